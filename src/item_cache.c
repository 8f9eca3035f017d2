/*-------------------------------------------------------------------------
 *
 * item_cache.c
 *		Per-backend cache of item tables: catalog row and prepared plans.
 *
 * The first item call on a table in a backend reads its row of
 * dynamo._tables and keeps it in a hash table keyed by TableName; the hot
 * statements (put, get, delete) are prepared on first use and kept with
 * SPI_keepplan, so a put_item costs one index probe plus one plan execution.
 *
 * Invalidation.  The cache registers with dynamo_register_cache_reset().
 * An edit of the catalog (create, delete or update of any table) or an
 * InvalidOid reset marks every entry invalid; a reset for an item table's
 * own OID marks that entry.  Callbacks only set flags: they may run while a
 * plan of the entry is executing, so nothing is freed there.  The next
 * lookup re-reads the catalog row; if the relation (its OID and its current
 * qualified name) and key schema are unchanged the plans stay (the plan cache
 * itself re-plans after DDL), otherwise fresh plans are prepared.  Plans name
 * the relation by its current name, looked up from the catalog row's relid,
 * so a renamed item table keeps working and a relation that took its old
 * name is never written.
 *
 * Freeing.  Each entry keeps its strings in a small memory context of its
 * own.  An entry that is replaced or removed is "retired": its context and
 * plans go on a list that is freed at the end of the transaction, because
 * until then a plan of it may still be executing further up the call stack
 * (a trigger of an item table can call put_item).  No plan of ours runs
 * across a transaction end: item functions run in atomic SPI connections,
 * where COMMIT is refused.  Entries of dropped tables are never looked up
 * again, so just before each commit that follows an invalidation, invalid
 * entries whose relation no longer exists are removed and retired.  A
 * backend's cache thus holds only tables that exist, however many tables it
 * creates and drops.
 *
 * Locking.  dynamo_item_table() locks the relation in the mode the caller's
 * statements will take, before they run.  A concurrent delete_table (ACCESS
 * EXCLUSIVE) is thus waited for here; the invalidations accepted with the
 * lock mark the entry, and a relation that is gone by then is reported as
 * ResourceNotFoundException instead of an SQL error from the plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "items.h"
#include "worker.h"

static HTAB *item_tables = NULL;
static MemoryContext item_cache_cxt = NULL;
static Oid	catalog_oid = InvalidOid;
static SPIPlanPtr catalog_plan = NULL;

/* What a replaced or removed entry held, freed at the end of the transaction. */
typedef struct RetiredEntry
{
	MemoryContext cxt;
	SPIPlanPtr	plans[DYNAMO_PLAN_COUNT];
} RetiredEntry;

static List *retired = NIL;		/* of RetiredEntry *, in item_cache_cxt */
static bool sweep_needed = false;	/* some entry was invalidated */
static MemoryContext spare_cxt = NULL;	/* an entry context no entry owns */

Oid			dynamo_trusted_relid = InvalidOid;
Jsonb	   *dynamo_trusted_item = NULL;

/* Reset callback: mark the affected entries invalid. */
static void
item_cache_reset(Oid relid)
{
	HASH_SEQ_STATUS seq;
	DynamoItemTable *t;
	bool		all = !OidIsValid(relid) || relid == catalog_oid;

	if (item_tables == NULL)
		return;
	hash_seq_init(&seq, item_tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		if (all || t->relid == relid)
		{
			t->valid = false;
			sweep_needed = true;
		}
	if (all)
		dynamo_trusted_relid = InvalidOid;
}

/* Hand what entry t holds to the end of the transaction. */
static void
item_table_retire(DynamoItemTable *t)
{
	RetiredEntry *r = MemoryContextAlloc(item_cache_cxt, sizeof(RetiredEntry));
	MemoryContext old = MemoryContextSwitchTo(item_cache_cxt);

	r->cxt = t->cxt;
	memcpy(r->plans, t->plans, sizeof(r->plans));
	retired = lappend(retired, r);
	MemoryContextSwitchTo(old);
	t->cxt = NULL;
	memset(t->plans, 0, sizeof(t->plans));
}

/* Free the plans and strings of retired entries (no plan of them runs). */
static void
item_cache_free_retired(void)
{
	ListCell   *lc;
	int			i;

	foreach(lc, retired)
	{
		RetiredEntry *r = lfirst(lc);

		for (i = 0; i < DYNAMO_PLAN_COUNT; i++)
			if (r->plans[i] != NULL)
				SPI_freeplan(r->plans[i]);
		if (r->cxt != NULL)
			MemoryContextDelete(r->cxt);
		pfree(r);
	}
	list_free(retired);
	retired = NIL;
}

/* Remove the invalid entries whose relation is gone (dropped tables). */
static void
item_cache_sweep(void)
{
	HASH_SEQ_STATUS seq;
	DynamoItemTable *t;
	List	   *dead = NIL;
	ListCell   *lc;

	sweep_needed = false;
	/* Collect first: syscache lookups may run the reset callback. */
	hash_seq_init(&seq, item_tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		if (!t->valid && !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->relid)))
			dead = lappend(dead, pstrdup(t->name));
	foreach(lc, dead)
	{
		t = hash_search(item_tables, lfirst(lc), HASH_FIND, NULL);
		if (t != NULL)
		{
			item_table_retire(t);
			hash_search(item_tables, lfirst(lc), HASH_REMOVE, NULL);
		}
	}
	list_free_deep(dead);
}

/* Transaction callback: sweep before commit, free retired entries after. */
static void
item_cache_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (sweep_needed && item_tables != NULL)
				item_cache_sweep();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			if (retired != NIL)
				item_cache_free_retired();
			break;
		default:
			break;
	}
}

/* Create the hash table on first use. */
static void
item_cache_init(void)
{
	HASHCTL		ctl;

	item_cache_cxt = AllocSetContextCreate(CacheMemoryContext,
										   "dynamo_streams item tables",
										   ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(DynamoItemTable);
	ctl.hcxt = item_cache_cxt;
	item_tables = hash_create("dynamo_streams item tables", 64, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	dynamo_register_cache_reset(item_cache_reset);
	RegisterXactCallback(item_cache_xact_callback, NULL);
}

/* Is c allowed in a table name? */
static inline bool
table_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Check a TableName argument against DynamoDB's rules (3-255 chars). */
void
dynamo_check_table_name(const char *name, int len)
{
	int			i;

	if (len < 3 || len > 255)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("1 validation error detected: Value '%.*s' at 'tableName' failed to satisfy constraint: Member must have length %s", len, name,
					   len < 3 ? "greater than or equal to 3" : "less than or equal to 255"));
	for (i = 0; i < len; i++)
		if (!table_name_char(name[i]))
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("1 validation error detected: Value '%.*s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", len, name));
}

/* The column type of a key type: text (S), numeric (N), bytea (B). */
Oid
dynamo_key_type_oid(char type)
{
	switch (type)
	{
		case 'S':
			return TEXTOID;
		case 'N':
			return NUMERICOID;
		case 'B':
			return BYTEAOID;
	}
	elog(ERROR, "unknown key type %c", type);
	return InvalidOid;
}

/* Copy a text column of an SPI result into context cxt, or NULL. */
static char *
spi_cache_string(MemoryContext cxt, int col)
{
	char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);

	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

/* Read the catalog row of table name into t; false if there is none. */
static bool
item_table_read(DynamoItemTable *t, const char *name)
{
	Datum		arg = CStringGetTextDatum(name);
	Oid			argtype = TEXTOID;
	bool		isnull;
	char	   *hash_type,
			   *range_type,
			   *relname,
			   *nspname;

	if (catalog_plan == NULL)
	{
		catalog_plan = SPI_prepare("SELECT relid::pg_catalog.oid, hash_key, hash_key_type::text, "
								   "range_key, range_key_type::text, 'dynamo._tables'::pg_catalog.regclass::pg_catalog.oid "
								   "FROM dynamo._tables WHERE table_name OPERATOR(pg_catalog.=) $1 "
								   "AND kind OPERATOR(pg_catalog.=) 'item'", 1, &argtype);
		if (catalog_plan == NULL || SPI_keepplan(catalog_plan) != 0)
			elog(ERROR, "could not prepare the catalog lookup: %s", SPI_result_code_string(SPI_result));
	}
	if (SPI_execute_plan(catalog_plan, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "catalog lookup failed");
	if (SPI_processed == 0)
		return false;
	catalog_oid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull));
	t->relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	t->ks.hash_key = spi_cache_string(t->cxt, 2);
	hash_type = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	t->ks.hash_type = hash_type[0];
	t->ks.range_key = spi_cache_string(t->cxt, 4);
	range_type = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
	t->ks.range_type = range_type ? range_type[0] : '\0';
	t->nkeys = t->ks.range_key ? 2 : 1;

	/*
	 * Statements name the relation the catalog row points to, not
	 * dynamo."<TableName>": after ALTER TABLE ... RENAME (or SET SCHEMA) the
	 * name may belong to another relation, or to none.
	 */
	relname = get_rel_name(t->relid);
	nspname = OidIsValid(get_rel_namespace(t->relid)) ?
		get_namespace_name(get_rel_namespace(t->relid)) : NULL;
	if (relname == NULL || nspname == NULL)
		return false;
	t->qualname = MemoryContextStrdup(t->cxt,
									  quote_qualified_identifier(nspname, relname));
	return true;
}

/* Do two catalog readings describe the same relation and key schema? */
static bool
same_table(DynamoItemTable *a, DynamoItemTable *b)
{
	return a->relid == b->relid && strcmp(a->qualname, b->qualname) == 0 &&
		a->ks.hash_type == b->ks.hash_type &&
		strcmp(a->ks.hash_key, b->ks.hash_key) == 0 &&
		a->ks.range_type == b->ks.range_type &&
		(a->ks.range_key == NULL) == (b->ks.range_key == NULL) &&
		(a->ks.range_key == NULL || strcmp(a->ks.range_key, b->ks.range_key) == 0);
}

/* The cached entry of table key, re-read from the catalog if invalid. */
static DynamoItemTable *
item_table_lookup(const char *key)
{
	DynamoItemTable *t;
	DynamoItemTable fresh;
	bool		found;

	t = hash_search(item_tables, key, HASH_FIND, &found);
	if (t != NULL && t->valid)
		return t;

	/* Read into the spare context: it is reset for reuse if not kept. */
	if (spare_cxt == NULL)
		spare_cxt = AllocSetContextCreate(item_cache_cxt, "dynamo_streams item table",
										  ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(spare_cxt);
	memset(&fresh, 0, sizeof(fresh));
	fresh.cxt = spare_cxt;
	if (!item_table_read(&fresh, key))
	{
		if (t != NULL)
		{
			item_table_retire(t);
			hash_search(item_tables, key, HASH_REMOVE, NULL);
		}
		return NULL;
	}
	if (t == NULL)
		t = hash_search(item_tables, key, HASH_ENTER, &found);
	else if (same_table(t, &fresh))
	{
		t->valid = true;
		return t;
	}
	else
		item_table_retire(t);
	spare_cxt = NULL;			/* now the entry's */
	memcpy(fresh.name, key, NAMEDATALEN);
	fresh.valid = true;
	*t = fresh;
	return t;
}

/*
 * ResourceNotFoundException for item table name: AWS's "Requested resource
 * not found" (with_name: "... : Table: <name> not found", DescribeTable's
 * wording).  If an item table's name differs only in case, the hint names
 * it.  Must be called inside an SPI connection.
 */
void
dynamo_table_not_found(const char *name, int len, bool with_name)
{
	char	   *str = pnstrdup(name, len);
	char	   *other = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	args[0] = CStringGetTextDatum(str);
	if (SPI_execute_with_args("SELECT c.table_name FROM " DYNAMO_SCHEMA "." DYNAMO_CATALOG_TABLE " c"
							  " WHERE c.kind OPERATOR(pg_catalog.=) 'item'"
							  " AND pg_catalog.lower(c.table_name) OPERATOR(pg_catalog.=) pg_catalog.lower($1)"
							  " AND c.table_name OPERATOR(pg_catalog.<>) $1"
							  " ORDER BY c.table_name COLLATE \"C\" LIMIT 1",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
		other = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_NOT_FOUND,
									"There is no item table named \"%s\".", str),
			with_name ?
			errmsg("Requested resource not found: Table: %s not found", str) :
			errmsg("Requested resource not found"),
			other ? errhint("Table names are case-sensitive; did you mean \"%s\"?", other) : 0);
}

/*
 * The item table called name, from the cache or the catalog, with its
 * relation locked in lockmode (the mode the caller's statements take, so
 * that a concurrent delete_table is waited for here).  Must be called
 * inside an SPI connection.  Raises ResourceNotFoundException if there is no
 * such item table, also when it was dropped while we waited for the lock.
 */
DynamoItemTable *
dynamo_item_table(text *name, LOCKMODE lockmode)
{
	char		key[NAMEDATALEN];
	int			len = VARSIZE_ANY_EXHDR(name);
	DynamoItemTable *t;

	dynamo_require_utf8();
	dynamo_check_table_name(VARDATA_ANY(name), len);
	if (len > DYNAMO_TABLE_NAME_MAX)
		dynamo_table_not_found(VARDATA_ANY(name), len, false);
	if (item_tables == NULL)
		item_cache_init();
	memset(key, 0, sizeof(key));
	memcpy(key, VARDATA_ANY(name), len);

	for (;;)
	{
		t = item_table_lookup(key);
		if (t == NULL)
			dynamo_table_not_found(key, len, false);
		/* Locking accepts invalidations: retry if they hit this entry. */
		LockRelationOid(t->relid, lockmode);
		if (t->valid)
			break;
	}
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->relid)))
		dynamo_table_not_found(key, len, false);
	if (lockmode >= RowExclusiveLock)
		dynamo_worker_note_write();	/* wake the worker at commit */
	return t;
}

/* Append "pk = $1 AND sk = $2" (the key columns) to buf. */
static void
append_key_match(StringInfo buf, DynamoItemTable *t)
{
	appendStringInfoString(buf, " WHERE pk OPERATOR(pg_catalog.=) $1");
	if (t->nkeys == 2)
		appendStringInfoString(buf, " AND sk OPERATOR(pg_catalog.=) $2");
}

/* Build the SQL text of one plan kind. */
static char *
plan_sql(DynamoItemTable *t, DynamoPlanKind kind)
{
	StringInfoData buf;
	const char *cols = t->nkeys == 2 ? "pk, sk" : "pk";

	initStringInfo(&buf);
	switch (kind)
	{
		case DYNAMO_PLAN_PUT:
			appendStringInfo(&buf, "INSERT INTO %s AS t (%s, item) VALUES ($1, %s$%d) "
							 "ON CONFLICT (%s) DO UPDATE SET item = EXCLUDED.item "
							 "WHERE NOT (t.item OPERATOR(pg_catalog.=) EXCLUDED.item)",
							 t->qualname, cols, t->nkeys == 2 ? "$2, " : "",
							 t->nkeys + 1, cols);
			break;
		case DYNAMO_PLAN_INSERT:
			appendStringInfo(&buf, "INSERT INTO %s (%s, item) VALUES ($1, %s$%d) "
							 "ON CONFLICT (%s) DO NOTHING",
							 t->qualname, cols, t->nkeys == 2 ? "$2, " : "",
							 t->nkeys + 1, cols);
			break;
		case DYNAMO_PLAN_LOCK:
		case DYNAMO_PLAN_GET:
			appendStringInfo(&buf, "SELECT item FROM %s", t->qualname);
			append_key_match(&buf, t);
			if (kind == DYNAMO_PLAN_LOCK)
				appendStringInfoString(&buf, " FOR UPDATE");
			break;
		case DYNAMO_PLAN_DELETE:
		case DYNAMO_PLAN_DELETE_OLD:
			appendStringInfo(&buf, "DELETE FROM %s", t->qualname);
			append_key_match(&buf, t);
			if (kind == DYNAMO_PLAN_DELETE_OLD)
				appendStringInfoString(&buf, " RETURNING item");
			break;
		default:
			elog(ERROR, "unknown plan kind %d", kind);
	}
	return buf.data;
}

/* The prepared plan of one kind for table t (prepared on first use). */
SPIPlanPtr
dynamo_item_plan(DynamoItemTable *t, DynamoPlanKind kind)
{
	Oid			argtypes[3];
	int			nargs = t->nkeys;
	SPIPlanPtr	plan;

	if (t->plans[kind] != NULL)
		return t->plans[kind];
	argtypes[0] = dynamo_key_type_oid(t->ks.hash_type);
	if (t->nkeys == 2)
		argtypes[1] = dynamo_key_type_oid(t->ks.range_type);
	if (kind == DYNAMO_PLAN_PUT || kind == DYNAMO_PLAN_INSERT)
		argtypes[nargs++] = JSONBOID;
	plan = SPI_prepare(plan_sql(t, kind), nargs, argtypes);
	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare statement for table %s: %s",
			 t->name, SPI_result_code_string(SPI_result));
	t->plans[kind] = plan;
	return plan;
}
