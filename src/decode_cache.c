/*-------------------------------------------------------------------------
 *
 * decode_cache.c
 *		Per-relation stream metadata for the output plugin.
 *
 * For every relation that has changes, the plugin needs to know whether it
 * streams at that point in the WAL, with which view type and stream label,
 * and how to turn its rows into items.  That comes from dynamo._tables, a
 * user_catalog_table, read with the historic snapshot that logical decoding
 * installs for each change, so a stream enabled or disabled by some commit
 * takes effect exactly at that commit.
 *
 * The answers (negative ones too) are cached in a hash table that lives in
 * a child of the decoding context, for one decoding session: the session's
 * table filter is folded into the entries.  A stream's region, ARN and
 * SequenceNumber epoch come from its catalog row (fixed when the stream
 * was enabled); the session's region and account only stand in for rows
 * written before those columns existed.  A memory
 * context reset callback forgets the cache when the session's memory goes
 * away, even on error.  Every edit of _tables sends a relcache invalidation
 * of _tables (its statement trigger), which decoding replays at the edit's
 * commit; that, an invalidation of the relation itself (DDL), or a global
 * one marks entries stale.  Stale entries are rebuilt on next use, never
 * while in use.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/bitmapset.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "decode.h"

/* StreamViewType names and what each record carries. */
static const struct
{
	const char *name;
	int			view;
}			view_types[] =
{
	{"KEYS_ONLY", 0},
	{"NEW_IMAGE", DYNAMO_VIEW_NEW},
	{"OLD_IMAGE", DYNAMO_VIEW_OLD},
	{"NEW_AND_OLD_IMAGES", DYNAMO_VIEW_NEW | DYNAMO_VIEW_OLD},
};

/*
 * At most this many relations are cached: a session that sees more (many
 * short-lived tables) empties the cache and starts again, so its memory
 * stays bounded.
 */
#define RELINFO_CACHE_MAX 1024

static HTAB *relinfo_cache = NULL;
static MemoryContext cache_cxt = NULL;
static Oid	catalog_relid = InvalidOid;
static Oid	source_relid = InvalidOid;	/* dynamo._source */
static bool catalog_known = false;
static int	source_epoch = DYNAMO_SEQ_EPOCH_MIN;
static bool epoch_known = false;
static char *cache_region;
static char *cache_account;
static List *cache_tables;

/* Forget the cache when its memory goes away. */
static void
relinfo_forget(void *arg)
{
	relinfo_cache = NULL;
	cache_cxt = NULL;
	catalog_known = false;
	epoch_known = false;
}

/* Cache reset hook (see dynamo_register_cache_reset). */
static void
relinfo_reset(Oid relid)
{
	HASH_SEQ_STATUS seq;
	DynamoRelInfo *e;

	if (relinfo_cache == NULL)
		return;
	if (OidIsValid(relid) && catalog_known && OidIsValid(catalog_relid))
	{
		/* the epoch table: only the epoch is stale */
		if (relid == source_relid)
		{
			epoch_known = false;
			return;
		}
		if (relid != catalog_relid)
		{
			e = hash_search(relinfo_cache, &relid, HASH_FIND, NULL);
			if (e)
				e->valid = false;
			return;
		}
	}
	/* global, catalog, or any change while the extension is absent */
	if (!OidIsValid(relid) || !OidIsValid(catalog_relid) || relid == catalog_relid)
	{
		catalog_known = false;
		epoch_known = false;
	}
	hash_seq_init(&seq, relinfo_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		e->valid = false;
}

/* Set up the cache for a decoding session. */
void
dynamo_relinfo_init(MemoryContext parent, const char *region,
					const char *account, List *tables)
{
	HASHCTL		hctl;
	MemoryContextCallback *cb;
	ListCell   *lc;

	cache_cxt = AllocSetContextCreate(parent, "dynamo_streams relation cache",
									  ALLOCSET_SMALL_SIZES);
	cb = MemoryContextAlloc(cache_cxt, sizeof(MemoryContextCallback));
	cb->func = relinfo_forget;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(cache_cxt, cb);
	hctl.keysize = sizeof(Oid);
	hctl.entrysize = sizeof(DynamoRelInfo);
	hctl.hcxt = cache_cxt;
	relinfo_cache = hash_create("dynamo_streams relations", 64, &hctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cache_region = MemoryContextStrdup(cache_cxt, region);
	cache_account = MemoryContextStrdup(cache_cxt, account);
	cache_tables = NIL;
	foreach(lc, tables)
		cache_tables = lappend(cache_tables,
							   MemoryContextStrdup(cache_cxt, lfirst(lc)));
	catalog_known = false;
	epoch_known = false;
	dynamo_register_cache_reset(relinfo_reset);
}

/* Release what a stale entry points to. */
static void
relinfo_clear(DynamoRelInfo *e)
{
	if (e->cxt)
		MemoryContextDelete(e->cxt);
	memset(((char *) e) + sizeof(Oid), 0, sizeof(DynamoRelInfo) - sizeof(Oid));
}

/* Empty the cache (called between changes, when no entry is in use). */
static void
relinfo_purge(void)
{
	HASH_SEQ_STATUS seq;
	DynamoRelInfo *e;

	hash_seq_init(&seq, relinfo_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		relinfo_clear(e);
		hash_search(relinfo_cache, &e->relid, HASH_REMOVE, NULL);
	}
}

/*
 * Column of a catalog row, or null.  Columns added by a later version are
 * missing in the catalog as of WAL written before the upgrade.
 */
static Datum
catalog_datum(HeapTuple tup, Relation cat, const char *col, bool *isnull)
{
	AttrNumber	attnum = attnameAttNum(cat, col, true);

	*isnull = true;
	if (attnum <= 0)
		return (Datum) 0;
	return heap_getattr(tup, attnum, RelationGetDescr(cat), isnull);
}

/* Text column of a catalog row as a C string, or NULL. */
static char *
catalog_text(HeapTuple tup, Relation cat, const char *col)
{
	bool		isnull;
	Datum		d = catalog_datum(tup, cat, col, &isnull);

	if (isnull)
		return NULL;
	return TextDatumGetCString(d);
}

/* "char" column of a catalog row, or '\0'. */
static char
catalog_char(HeapTuple tup, Relation cat, const char *col)
{
	bool		isnull;
	Datum		d = catalog_datum(tup, cat, col, &isnull);

	return isnull ? '\0' : DatumGetChar(d);
}

/* Copy a string into the entry's memory (NULL stays NULL). */
static char *
cache_strdup(DynamoRelInfo *e, const char *s)
{
	return s ? MemoryContextStrdup(e->cxt, s) : NULL;
}

/*
 * The stream's identity: region and ARN, fixed in
 * the catalog when the stream was enabled.  A row without them (WAL
 * written before the upgrade that added them) falls back to the session's
 * region and account, as the plugin did before.
 */
static void
fill_identity(DynamoRelInfo *e, Relation cat, HeapTuple tup, const char *label)
{
	char	   *region = catalog_text(tup, cat, "stream_region");
	char	   *arn = catalog_text(tup, cat, "stream_arn");

	if (region == NULL || arn == NULL)
	{
		region = cache_region;
		arn = psprintf("arn:aws:dynamodb:%s:%s:table/%s/stream/%s",
					   cache_region, cache_account, e->table_name, label);
	}
	e->region = cache_strdup(e, region);
	e->stream_arn = cache_strdup(e, arn);
	e->stream_arn_len = strlen(e->stream_arn);
}

/* Is the table name in the session's table filter (or is there none)? */
static bool
table_wanted(const char *name)
{
	ListCell   *lc;

	if (cache_tables == NIL)
		return true;
	foreach(lc, cache_tables)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * Does the output function of a type read no setting (so its text depends
 * on the value only)?  Known built-in types, enums, and arrays and ranges
 * of such types; anything else (timestamps, floats, bytea, money, intervals
 * inside arrays, composites, geometric, reg* and user types) is run under
 * fixed settings.
 */
static bool
output_is_stable(Oid typid, int depth)
{
	Oid			base = getBaseType(typid);
	Oid			elem;

	switch (base)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case CHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case NUMERICOID:
		case BOOLOID:
		case UUIDOID:
		case JSONOID:
		case JSONBOID:
		case INETOID:
		case CIDROID:
		case MACADDROID:
		case MACADDR8OID:
		case BITOID:
		case VARBITOID:
		case TIMEOID:
		case TIMETZOID:
		case TSVECTOROID:
		case TSQUERYOID:
		case XIDOID:
		case CIDOID:
		case TIDOID:
		case PG_LSNOID:
			return true;
		default:
			break;
	}
	if (depth > 4)
		return false;
	if (get_typtype(base) == TYPTYPE_ENUM)
		return true;
	elem = get_element_type(base);
	if (OidIsValid(elem))
		return output_is_stable(elem, depth + 1);
	if (get_typtype(base) == TYPTYPE_RANGE)
		return output_is_stable(get_range_subtype(base), depth + 1);
	return false;
}

/* Map a column type to how its values become AttributeValues. */
static DynamoColKind
column_kind(Oid typid)
{
	switch (getBaseType(typid))
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return DCOL_S;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return DCOL_N_INT;
		case FLOAT4OID:
			return DCOL_FLOAT4;
		case FLOAT8OID:
			return DCOL_FLOAT8;
		case NUMERICOID:
			return DCOL_N_OUT;
		case CASHOID:
			return DCOL_MONEY;
		case INTERVALOID:
			return DCOL_INTERVAL;
		case BYTEAOID:
			return DCOL_B;
		case BOOLOID:
			return DCOL_BOOL;
		case JSONOID:
			return DCOL_JSON;
		case JSONBOID:
			return DCOL_JSONB;
		case TIMESTAMPTZOID:
			return DCOL_TIMESTAMPTZ;
		case TIMESTAMPOID:
			return DCOL_TIMESTAMP;
		case DATEOID:
			return DCOL_DATE;
		default:
			return output_is_stable(typid, 0) ? DCOL_S_OUT : DCOL_S_PINNED;
	}
}

/* Column metadata of an ordinary table. */
static void
fill_columns(DynamoRelInfo *e, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Bitmapset  *pk = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	int			i;

	e->natts = desc->natts;
	e->cols = MemoryContextAllocZero(e->cxt, sizeof(DynamoColumn) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		DynamoColumn *col = &e->cols[i];
		StringInfoData buf;
		Oid			outfn;
		bool		varlena;

		if (att->attisdropped)
		{
			col->kind = DCOL_SKIP;
			continue;
		}
		col->kind = column_kind(att->atttypid);
		if (col->kind == DCOL_S_PINNED)
			e->pinned = true;
		col->is_key = bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, pk);
		initStringInfo(&buf);
		dynamo_json_string(&buf, NameStr(att->attname), strlen(NameStr(att->attname)));
		col->name_json = MemoryContextStrdup(e->cxt, buf.data);
		col->name_len = strlen(NameStr(att->attname));
		getTypeOutputInfo(att->atttypid, &outfn, &varlena);
		fmgr_info_cxt(outfn, &col->out, e->cxt);
	}
}

/*
 * Attribute number of an item table's key column, if it still has the
 * type its key type stores (text, numeric, bytea); else 0.  Used only to
 * build Keys when the old item is missing (see decode_keys.c).
 */
static int
key_column(Relation rel, const char *name, char type)
{
	int			attnum = attnameAttNum(rel, name, true);
	Oid			want = (type == 'S') ? TEXTOID : (type == 'N') ? NUMERICOID :
		(type == 'B') ? BYTEAOID : InvalidOid;

	if (attnum <= 0 || !OidIsValid(want) ||
		TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid != want)
		return 0;
	return attnum;
}

/* Stream settings of one catalog row into the entry. */
static void
fill_from_row(DynamoRelInfo *e, Relation rel, Relation cat, HeapTuple tup)
{
	bool		isnull;
	char	   *kind = catalog_text(tup, cat, "kind");
	char	   *view = catalog_text(tup, cat, "stream_view_type");
	char	   *label = catalog_text(tup, cat, "stream_label");
	Datum		enabled = catalog_datum(tup, cat, "stream_enabled", &isnull);
	int			i;

	e->table_name = cache_strdup(e, catalog_text(tup, cat, "table_name"));
	if (isnull || !DatumGetBool(enabled) || view == NULL || label == NULL ||
		kind == NULL || e->table_name == NULL || !table_wanted(e->table_name))
		return;
	for (i = 0; i < lengthof(view_types); i++)
		if (strcmp(view, view_types[i].name) == 0)
			break;
	if (i == lengthof(view_types))
		return;
	e->view_name = view_types[i].name;
	e->view = view_types[i].view;
	e->is_item = (strcmp(kind, "item") == 0);
	if (e->is_item)
	{
		e->item_attnum = attnameAttNum(rel, "item", true);
		e->hash_key = cache_strdup(e, catalog_text(tup, cat, "hash_key"));
		e->range_key = cache_strdup(e, catalog_text(tup, cat, "range_key"));
		e->key_types[0] = catalog_char(tup, cat, "hash_key_type");
		e->key_attnums[0] = key_column(rel, "pk", e->key_types[0]);
		if (e->range_key)
		{
			e->key_types[1] = catalog_char(tup, cat, "range_key_type");
			e->key_attnums[1] = key_column(rel, "sk", e->key_types[1]);
		}
		/* the user may have changed the column: only jsonb is read as items */
		if (e->item_attnum <= 0 || e->hash_key == NULL ||
			TupleDescAttr(RelationGetDescr(rel), e->item_attnum - 1)->atttypid != JSONBOID)
			return;
	}
	else
	{
		/* the extension's own tables never stream as ordinary tables */
		if (get_rel_namespace(RelationGetRelid(rel)) == RelationGetNamespace(cat))
			return;
		fill_columns(e, rel);
	}
	fill_identity(e, cat, tup, label);
	e->streamed = true;
}

/*
 * Does the relation exist now (not as of the decoding position)?  Opening
 * a user_catalog_table under a historic snapshot looks up its current
 * pg_class row to find its file (relcache.c, RelationInitPhysicalAddr), so
 * a catalog that was dropped since (DROP EXTENSION after writes the slot
 * has not decoded yet) cannot be opened, and would make every later
 * decode of that WAL fail.  Its contents are gone then: treat the
 * extension as absent at that position.
 */
static bool
relation_exists_now(Oid relid)
{
	Relation	pgclass = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(pgclass, ClassOidIndexId, true,
							  GetNonHistoricCatalogSnapshot(RelationRelationId),
							  1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(pgclass, AccessShareLock);
	return found;
}

/* Find the catalog tables (once per invalidation of the catalog). */
static void
catalog_lookup(void)
{
	Oid			nspid;

	if (catalog_known)
		return;
	catalog_relid = dynamo_catalog_relid();
	if (OidIsValid(catalog_relid) && !relation_exists_now(catalog_relid))
		catalog_relid = InvalidOid;
	source_relid = InvalidOid;
	if (OidIsValid(catalog_relid))
	{
		nspid = get_rel_namespace(catalog_relid);
		source_relid = get_relname_relid(DYNAMO_SOURCE_TABLE, nspid);
		if (OidIsValid(source_relid) && !relation_exists_now(source_relid))
			source_relid = InvalidOid;
	}
	catalog_known = true;
}

/*
 * The SequenceNumber epoch at the current decoding position: the row of
 * dynamo._source as of the change (historic snapshot), 100 without one
 * (or before the upgrade that added the table).
 */
int
dynamo_relinfo_epoch(void)
{
	Relation	src;
	SysScanDesc scan;
	HeapTuple	tup;

	if (epoch_known)
		return source_epoch;
	catalog_lookup();
	source_epoch = DYNAMO_SEQ_EPOCH_MIN;
	if (OidIsValid(source_relid))
	{
		src = table_open(source_relid, AccessShareLock);
		scan = systable_beginscan(src, InvalidOid, false, NULL, 0, NULL);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
		{
			bool		isnull;
			Datum		d = catalog_datum(tup, src, "epoch", &isnull);

			if (!isnull)
				source_epoch = DatumGetInt16(d);
		}
		systable_endscan(scan);
		table_close(src, AccessShareLock);
	}
	epoch_known = true;
	return source_epoch;
}

/* Read the relation's catalog row (historic snapshot) into the entry. */
static void
relinfo_fill(DynamoRelInfo *e, Relation rel)
{
	Relation	cat;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	relinfo_clear(e);
	e->valid = true;
	catalog_lookup();
	if (!OidIsValid(catalog_relid) || e->relid == catalog_relid ||
		e->relid == source_relid)
		return;
	cat = table_open(catalog_relid, AccessShareLock);
	ScanKeyInit(&key, attnameAttNum(cat, "relid", false),
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(e->relid));
	scan = systable_beginscan(cat, InvalidOid, false, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		e->cxt = AllocSetContextCreate(cache_cxt, "dynamo_streams relation",
									   ALLOCSET_SMALL_SIZES);
		fill_from_row(e, rel, cat, tup);
	}
	systable_endscan(scan);
	table_close(cat, AccessShareLock);
}

/* Stream metadata of a relation at the current decoding position. */
DynamoRelInfo *
dynamo_relinfo_get(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	DynamoRelInfo *e;
	bool		found;

	if (hash_get_num_entries(relinfo_cache) >= RELINFO_CACHE_MAX)
		relinfo_purge();
	e = hash_search(relinfo_cache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) e) + sizeof(Oid), 0, sizeof(DynamoRelInfo) - sizeof(Oid));
		e->valid = false;
	}
	if (!e->valid)
		relinfo_fill(e, rel);
	return e;
}

/*
 * Stream metadata of a relation for a SQL function outside decoding (the
 * rows of a full export, export_files.c): without a decoding session's
 * cache, one is set up under cxt (the caller's fn_mcxt) and forgotten when
 * cxt goes away.
 */
DynamoRelInfo *
dynamo_relinfo_get_sql(Relation rel, MemoryContext cxt)
{
	if (relinfo_cache == NULL)
		dynamo_relinfo_init(cxt, dynamo_region ? dynamo_region : "us-east-1",
							dynamo_account_id ? dynamo_account_id : "000000000000",
							NIL);
	return dynamo_relinfo_get(rel);
}

/*
 * Check the names of the plugin option "tables" against dynamo._tables as
 * it is when the read starts, before any change is decoded: a name that is
 * neither an item table nor a stream-enabled table (a typo, another
 * database) would otherwise filter out, and so consume, every record.
 * Runs in the caller's transaction (SQL functions) or in one of its own
 * (walsender); the error is raised after that one has ended.
 */
void
dynamo_check_table_names(List *tables)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool		own_xact = !IsTransactionState();
	char	   *missing = NULL;
	List	   *left;
	Oid			relid;

	if (tables == NIL)
		return;
	if (own_xact)
		StartTransactionCommand();
	left = list_copy(tables);
	relid = dynamo_catalog_relid();
	if (OidIsValid(relid))
	{
		Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
		Relation	cat = table_open(relid, AccessShareLock);
		SysScanDesc scan = systable_beginscan(cat, InvalidOid, false, snap, 0, NULL);
		HeapTuple	tup;

		while (left != NIL && HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			char	   *name = catalog_text(tup, cat, "table_name");
			ListCell   *lc;

			foreach(lc, left)
				if (name && strcmp(lfirst(lc), name) == 0)
					left = foreach_delete_current(left, lc);
		}
		systable_endscan(scan);
		table_close(cat, AccessShareLock);
		UnregisterSnapshot(snap);
	}
	if (left != NIL)
		missing = MemoryContextStrdup(cxt, linitial(left));
	if (own_xact)
		CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	if (missing)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_NOT_FOUND,
										"The dynamo_streams option \"tables\" names a table that is neither an item table nor a stream-enabled table of this database."),
				errmsg("Requested resource not found: Table: %s not found", missing),
				errhint("Names are DynamoDB table names (for ordinary tables, the relation name), case-sensitive; list them with SELECT table_name FROM dynamo._tables."));
}
