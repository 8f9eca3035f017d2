/*-------------------------------------------------------------------------
 *
 * item_guard.c
 *		The _item_guard trigger of every item table.
 *
 * BEFORE INSERT OR UPDATE FOR EACH ROW.  Its arguments are the key schema
 * (hash key name, hash type[, range key name, range type]).  It validates
 * and normalises NEW.item with the same rules and messages as put_item and
 * sets the key columns pk (and sk) from the item, so that plain SQL writes
 * obey DynamoDB's rules and the key columns always match the item.
 *
 * Fast path: put_item has already normalised the item it writes and notes
 * it (with the relation) in dynamo_trusted_item.  When NEW.item is
 * byte-for-byte that item and the trigger fires on that relation, the item
 * is known to be valid for this key schema, so only the key columns are
 * taken from it.  Anything else (plain SQL, a user trigger that changed the
 * item first) takes the full path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "attrval.h"
#include "items.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(dynamo_item_guard);

/* Is s one of the key types "S", "N", "B"? */
static bool
guard_key_type(const char *s)
{
	return strlen(s) == 1 && strchr("SNB", s[0]) != NULL;
}

/* Key schema from the trigger's arguments. */
static void
guard_key_schema(Trigger *tg, DynamoKeySchema *ks)
{
	if ((tg->tgnargs != 2 && tg->tgnargs != 4) ||
		!guard_key_type(tg->tgargs[1]) ||
		(tg->tgnargs == 4 && !guard_key_type(tg->tgargs[3])))
		ereport(ERROR, errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("_item_guard: bad trigger arguments"),
				errhint("The arguments are the hash key name and type (S, N or B), then optionally the range key name and type."));
	ks->hash_key = tg->tgargs[0];
	ks->hash_type = tg->tgargs[1][0];
	ks->range_key = tg->tgnargs == 4 ? tg->tgargs[2] : NULL;
	ks->range_type = tg->tgnargs == 4 ? tg->tgargs[3][0] : '\0';
}

/*
 * Column number of column name of the trigger's relation, checked to have
 * type typid: the trigger writes datums of that type into it, so any other
 * type (the trigger attached by hand to some other table) would corrupt
 * memory.
 */
static int
guard_column(Relation rel, const char *name, Oid typid)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			col = SPI_fnumber(desc, name);

	if (col <= 0 || TupleDescAttr(desc, col - 1)->atttypid != typid)
		ereport(ERROR, errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("_item_guard: relation \"%s\" has no column \"%s\" of type %s",
					   RelationGetRelationName(rel), name, format_type_be(typid)),
				errhint("_item_guard only works on item tables made by dynamo.create_table."));
	return col;
}

/* Is item the one put_item normalised for this relation? */
static bool
guard_trusted(Relation rel, Jsonb *item)
{
	return OidIsValid(dynamo_trusted_relid) &&
		dynamo_trusted_relid == RelationGetRelid(rel) &&
		dynamo_trusted_item != NULL &&
		VARSIZE(item) == VARSIZE(dynamo_trusted_item) &&
		memcmp(item, dynamo_trusted_item, VARSIZE(item)) == 0;
}

/* The trigger function dynamo._item_guard(). */
Datum
dynamo_item_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	DynamoKeySchema ks;
	TupleDesc	desc;
	HeapTuple	tuple;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			cols[3];
	int			ncols = 0;
	bool		isnull;
	Jsonb	   *item;

	dynamo_require_utf8();
	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR, errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("_item_guard must be a BEFORE INSERT OR UPDATE FOR EACH ROW trigger"));
	guard_key_schema(td->tg_trigger, &ks);
	dynamo_worker_note_write();	/* wake the worker at commit */
	desc = RelationGetDescr(td->tg_relation);
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;

	/* check every column the trigger writes before touching the tuple */
	cols[0] = guard_column(td->tg_relation, "pk", dynamo_key_type_oid(ks.hash_type));
	if (ks.range_key)
		cols[1] = guard_column(td->tg_relation, "sk", dynamo_key_type_oid(ks.range_type));
	cols[2] = guard_column(td->tg_relation, "item", JSONBOID);
	values[2] = heap_getattr(tuple, cols[2], desc, &isnull);
	if (isnull)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null"));
	item = DatumGetJsonbP(values[2]);
	if (!guard_trusted(td->tg_relation, item))
		item = dynamo_item_normalize(item, &ks);
	values[2] = JsonbPGetDatum(item);

	values[ncols++] = dynamo_key_datum(&item->root, ks.hash_key, ks.hash_type);
	if (ks.range_key)
		values[ncols++] = dynamo_key_datum(&item->root, ks.range_key, ks.range_type);
	if (ncols == 1)
	{
		cols[1] = cols[2];
		values[1] = values[2];
	}
	ncols++;
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, ncols, cols, values, nulls));
}
