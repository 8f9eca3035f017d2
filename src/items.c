/*-------------------------------------------------------------------------
 *
 * items.c
 *		put_item, get_item and delete_item, and the helpers the other item
 *		functions share (arguments, key values, response objects).
 *
 * put_item normalises the item with the AttributeValue core, takes the key
 * column values from it and runs the table's prepared upsert.  The upsert's
 * DO UPDATE has a WHERE clause that skips identical items, so a put that
 * changes nothing writes no row version, no WAL for the row, and therefore
 * no stream record (SPEC 4.3).  Before running it, put_item notes the
 * normalised item in dynamo_trusted_item; the _item_guard trigger then only
 * compares bytes instead of validating again (see item_guard.c).
 *
 * ALL_OLD first locks and reads the current item (SELECT ... FOR UPDATE)
 * and then upserts; when there is none it inserts with ON CONFLICT DO
 * NOTHING and, if a concurrent put won the race, starts over, so the item
 * returned is always the one this put replaced.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"

#include "attrval.h"
#include "item_read.h"
#include "items.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_put_item);
PG_FUNCTION_INFO_V1(dynamo_get_item);
PG_FUNCTION_INFO_V1(dynamo_delete_item);

/* Argument n as text; ValidationException naming what if it is NULL. */
text *
dynamo_arg_text(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", what));
	return PG_GETARG_TEXT_PP(n);
}

/* Argument n as jsonb; ValidationException naming what if it is NULL. */
Jsonb *
dynamo_arg_jsonb(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", what));
	return PG_GETARG_JSONB_P(n);
}

/* Parse return_values: true for ALL_OLD, false for NONE (or NULL). */
static bool
arg_return_values(FunctionCallInfo fcinfo, int n)
{
	char	   *rv;

	if (PG_ARGISNULL(n))
		return false;
	rv = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (strcmp(rv, "NONE") == 0)
		return false;
	if (strcmp(rv, "ALL_OLD") == 0)
		return true;
	if (strcmp(rv, "ALL_NEW") == 0 || strcmp(rv, "UPDATED_OLD") == 0 ||
		strcmp(rv, "UPDATED_NEW") == 0)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"Only NONE and ALL_OLD are allowed here, not %s.", rv),
				errmsg("Return values set to invalid value"));
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", rv));
	return false;
}

/* {"key": value}, or {} when value is NULL. */
Jsonb *
dynamo_wrap_object(const char *key, Jsonb *value)
{
	JsonbParseState *state = NULL;
	JsonbValue	k,
				v,
			   *res;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	if (value != NULL)
	{
		k.type = jbvString;
		k.val.string.val = (char *) key;
		k.val.string.len = strlen(key);
		pushJsonbValue(&state, WJB_KEY, &k);
		v.type = jbvBinary;
		v.val.binary.data = &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* Attribute name of an object container, or NULL. */
JsonbValue *
dynamo_find_attr(JsonbContainer *obj, const char *name, int len)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) name;
	k.val.string.len = len;
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

/* Key column values of a normalised item (or key) into values[0..nkeys-1]. */
void
dynamo_key_values(DynamoItemTable *t, Jsonb *item, Datum *values)
{
	values[0] = dynamo_key_datum(&item->root, t->ks.hash_key, t->ks.hash_type);
	if (t->nkeys == 2)
		values[1] = dynamo_key_datum(&item->root, t->ks.range_key, t->ks.range_type);
}

/*
 * Re-raise an error of the upsert.  A key too large for the primary key's
 * btree entry (hash plus range key beyond about 2,700 bytes after
 * compression, possible within DynamoDB's 2048 + 1024 byte limits) becomes
 * a ValidationException; everything else passes through unchanged.
 */
static void
put_error_rethrow(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	/* message_id is the untranslated text: lc_messages does not matter */
	if (edata->sqlerrcode != ERRCODE_PROGRAM_LIMIT_EXCEEDED ||
		edata->message_id == NULL ||
		strncmp(edata->message_id, "index row", 9) != 0)
		PG_RE_THROW();
	FlushErrorState();
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_VALIDATION, "%s.", edata->message),
			errmsg("One or more parameter values were invalid: the key of the item is too large for the table's primary key index"),
			errhint("dynamo_streams stores the hash and range key in one btree entry; together they must fit in about 2,700 bytes after compression."));
}

/*
 * Run the put or insert plan of t for a normalised item whose key values are
 * keys[0..nkeys-1]; returns the number of rows written.
 */
static uint64
run_put_plan(DynamoItemTable *t, DynamoPlanKind kind, Jsonb *item, Datum *keys)
{
	Datum		values[3];
	int			ret;
	MemoryContext cxt = CurrentMemoryContext;

	values[0] = keys[0];
	values[1] = keys[1];
	values[t->nkeys] = JsonbPGetDatum(item);
	dynamo_trusted_relid = t->relid;
	dynamo_trusted_item = item;
	PG_TRY();
	{
		ret = SPI_execute_plan(dynamo_item_plan(t, kind), values, NULL, false, 0);
	}
	PG_CATCH();
	{
		dynamo_trusted_relid = InvalidOid;
		dynamo_trusted_item = NULL;
		put_error_rethrow(cxt);
	}
	PG_END_TRY();
	dynamo_trusted_relid = InvalidOid;
	dynamo_trusted_item = NULL;
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "put_item upsert failed: %s", SPI_result_code_string(ret));
	/* the upsert skipped an identical item: count it (item_noop.c) */
	if (kind == DYNAMO_PLAN_PUT && SPI_processed == 0)
		dynamo_log_noop(t->relid, item, t->ks.hash_key, t->ks.range_key);
	return SPI_processed;
}

/* Upsert a normalised item whose key values are keys[0..nkeys-1]. */
void
dynamo_put_normalized(DynamoItemTable *t, Jsonb *item, Datum *keys)
{
	run_put_plan(t, DYNAMO_PLAN_PUT, item, keys);
}

/* Delete the item with key values keys; true if there was one. */
bool
dynamo_delete_key(DynamoItemTable *t, Datum *keys)
{
	int			ret;

	ret = SPI_execute_plan(dynamo_item_plan(t, DYNAMO_PLAN_DELETE), keys, NULL, false, 0);
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "delete failed: %s", SPI_result_code_string(ret));
	return SPI_processed > 0;
}

/* Copy the jsonb in column 1 of the first SPI result row into cxt, or NULL. */
static Jsonb *
spi_first_item(MemoryContext cxt)
{
	bool		isnull;
	Datum		d;
	MemoryContext old;
	Jsonb	   *res;

	if (SPI_processed == 0)
		return NULL;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(cxt);
	res = DatumGetJsonbPCopy(d);
	MemoryContextSwitchTo(old);
	return res;
}

/*
 * put_item with ALL_OLD: lock and read the current item, then replace it;
 * with none, insert.  If a concurrent put inserts the key first, the insert
 * writes nothing and the loop locks and replaces that item, so the caller
 * always gets the item it replaced.  Returns it (copied into cxt) or NULL.
 */
static Jsonb *
put_all_old(DynamoItemTable *t, Jsonb *item, Datum *keys, MemoryContext cxt)
{
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (SPI_execute_plan(dynamo_item_plan(t, DYNAMO_PLAN_LOCK), keys, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "put_item lock failed");
		if (SPI_processed > 0)
		{
			Jsonb	   *old = spi_first_item(cxt);

			dynamo_put_normalized(t, item, keys);
			return old;
		}
		if (run_put_plan(t, DYNAMO_PLAN_INSERT, item, keys) > 0)
			return NULL;
	}
}

/*
 * put_item(table_name text, item jsonb, return_values text DEFAULT 'NONE')
 * → {} or {"Attributes": old item}
 */
Datum
dynamo_put_item(PG_FUNCTION_ARGS)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	Jsonb	   *item = dynamo_arg_jsonb(fcinfo, 1, "item");
	bool		all_old = arg_return_values(fcinfo, 2);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	Jsonb	   *norm;
	Jsonb	   *old = NULL;
	Datum		keys[2];

	if (dynamo_item_has_expr(fcinfo))
		return dynamo_put_item_expr(fcinfo);
	/* like DynamoDB, validate the request before looking the table up */
	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	norm = dynamo_item_normalize(item, NULL);
	SPI_connect();
	t = dynamo_item_table(name, RowExclusiveLock);
	dynamo_require_item_access(t, ACL_SELECT | ACL_INSERT | ACL_UPDATE, "PutItem");
	dynamo_item_check_keys(norm, &t->ks, false);
	dynamo_key_values(t, norm, keys);
	if (all_old)
		old = put_all_old(t, norm, keys, callcxt);
	else
		dynamo_put_normalized(t, norm, keys);
	SPI_finish();
	PG_RETURN_JSONB_P(dynamo_wrap_object("Attributes", old));
}

/*
 * get_item(table_name text, key jsonb, consistent_read boolean DEFAULT false,
 *		   projection_expression text, expression_attribute_names jsonb)
 * → {"Item": item} or {}.  Reads are always consistent.
 */
Datum
dynamo_get_item(PG_FUNCTION_ARGS)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	Jsonb	   *key = dynamo_arg_jsonb(fcinfo, 1, "key");
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	Jsonb	   *item;
	Datum		keys[2];
	DynamoReadSpec spec;

	/* like DynamoDB, validate the request before looking the table up */
	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	key = dynamo_key_normalize(key, NULL);
	dynamo_read_spec_args(fcinfo, DYNAMO_READ_GET, -1, 3, 4, -1, -1, &spec);
	SPI_connect();
	t = dynamo_item_table(name, AccessShareLock);
	dynamo_require_item_access(t, ACL_SELECT, "GetItem");
	key = dynamo_key_normalize(key, &t->ks);
	dynamo_key_values(t, key, keys);
	if (SPI_execute_plan(dynamo_item_plan(t, DYNAMO_PLAN_GET), keys, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "get_item failed");
	item = spi_first_item(callcxt);
	SPI_finish();
	if (item != NULL)
		item = dynamo_read_output(&spec, item);
	PG_RETURN_JSONB_P(dynamo_wrap_object("Item", item));
}

/*
 * delete_item(table_name text, key jsonb, return_values text DEFAULT 'NONE')
 * → {} or {"Attributes": deleted item}
 */
Datum
dynamo_delete_item(PG_FUNCTION_ARGS)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	Jsonb	   *key = dynamo_arg_jsonb(fcinfo, 1, "key");
	bool		all_old = arg_return_values(fcinfo, 2);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	Jsonb	   *old = NULL;
	Datum		keys[2];

	if (dynamo_item_has_expr(fcinfo))
		return dynamo_delete_item_expr(fcinfo);
	/* like DynamoDB, validate the request before looking the table up */
	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	key = dynamo_key_normalize(key, NULL);
	SPI_connect();
	t = dynamo_item_table(name, RowExclusiveLock);
	dynamo_require_item_access(t, ACL_SELECT | ACL_DELETE, "DeleteItem");
	key = dynamo_key_normalize(key, &t->ks);
	dynamo_key_values(t, key, keys);
	if (all_old)
	{
		if (SPI_execute_plan(dynamo_item_plan(t, DYNAMO_PLAN_DELETE_OLD), keys, NULL, false, 1) != SPI_OK_DELETE_RETURNING)
			elog(ERROR, "delete_item failed");
		old = spi_first_item(callcxt);
	}
	else
		dynamo_delete_key(t, keys);
	SPI_finish();
	PG_RETURN_JSONB_P(dynamo_wrap_object("Attributes", old));
}

/* run_put_plan for the other item files (update_item.c). */
uint64
dynamo_run_put_plan(DynamoItemTable *t, DynamoPlanKind kind, Jsonb *item, Datum *keys)
{
	return run_put_plan(t, kind, item, keys);
}

/* spi_first_item for the other item files (update_item.c). */
Jsonb *
dynamo_spi_first_item(MemoryContext cxt)
{
	return spi_first_item(cxt);
}

/* Push key (len bytes) as an object key while building a jsonb result. */
void
dynamo_push_key(JsonbParseState **state, const char *key, int len)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = len;
	pushJsonbValue(state, WJB_KEY, &k);
}

/* Push a jsonb document as a value or element (tok) of a jsonb result. */
void
dynamo_push_jsonb(JsonbParseState **state, JsonbIteratorToken tok, Jsonb *j)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = &j->root;
	v.val.binary.len = VARSIZE(j) - VARHDRSZ;
	pushJsonbValue(state, tok, &v);
}
