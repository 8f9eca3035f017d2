/*-------------------------------------------------------------------------
 *
 * ttl.c
 *		Time to live: the expiry time of an item and the sweeper that
 *		deletes expired items (dynamo.sweep_ttl, and the future worker).
 *
 * The expiry time.  dynamo._ttl_epoch(item, attribute) is the number held
 * by a top-level N attribute of an item, or NULL for an item without the
 * attribute or with another type there (DynamoDB's TTL ignores such items).
 * It is IMMUTABLE and never fails, so update_time_to_live indexes it: a
 * partial expression index per TTL-enabled table (dynamo."_ttl_<relid>",
 * WHERE the value IS NOT NULL) lets a sweep find expired items without
 * reading the table, and costs nothing for items without a TTL value.
 *
 * The sweep.  An item expires when its TTL value lies before now() and not
 * more than five years before it (AWS: "The TTL attribute value must be a
 * datetimestamp with an expiration of no more than five years in the
 * past").  Each table's batch is one statement:
 *
 *		DELETE FROM t WHERE ctid = ANY (ARRAY(SELECT ctid FROM t
 *		  WHERE <expired> LIMIT n FOR UPDATE SKIP LOCKED))
 *
 * The inner SELECT locks the rows it returns and skips rows a writer holds
 * (a sweep never waits for, nor makes a writer wait longer than its own
 * short batch); a row updated and committed since the statement's snapshot
 * is re-checked by the lock (EvalPlanQual), so an item whose TTL was just
 * moved into the future is not deleted: it is either skipped, or its new
 * version is not visible to the outer DELETE's snapshot and is left for the
 * next sweep.  Under REPEATABLE READ such a row is a serialization failure
 * instead; sweeps run in READ COMMITTED transactions of their own.
 *
 * The marking.  The output plugin gives a REMOVE the TTL userIdentity when
 * its transaction's replication origin is dynamo_streams_ttl.  The origin
 * is per session: dynamo_ttl_origin_begin sets it up and
 * dynamo_ttl_origin_end (also on error) resets it, so that no later
 * transaction of the session is marked.  Only one session at a time may
 * hold an origin (cluster-wide); a session-level advisory lock lets a
 * second sweep of the same database return at once instead of failing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/origin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/snapmgr.h"

#include "dynamo_streams.h"
#include "ttl.h"

PG_FUNCTION_INFO_V1(dynamo_ttl_epoch);
PG_FUNCTION_INFO_V1(dynamo_sweep_ttl);

/* dynamo_streams.ttl_update_interval: seconds between TTL changes. */
static int	ttl_update_interval = 3600;

/* Key of the advisory lock of a database's sweep: (int4, int4) pair. */
#define TTL_LOCK_KEY1	0x64796e61		/* "dyna" */
#define TTL_LOCK_KEY2	0x74746c00		/* "ttl" */

static bool ttl_origin_active = false;
static bool ttl_lock_held = false;

/* Define the TTL settings (called by _PG_init). */
void
dynamo_ttl_define_settings(void)
{
	DefineCustomIntVariable("dynamo_streams.ttl_update_interval",
							"Seconds after a change of a table's TTL setting during which "
							"update_time_to_live refuses another change.",
							"DynamoDB refuses a second UpdateTimeToLive of a table within about one hour.",
							&ttl_update_interval,
							3600, 0, 86400,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
}

/*
 * Is s[0..len) a number as an N value holds one: optional sign, digits with
 * at most one point, an optional exponent of at most three digits?  Stored
 * items are normalised already; this keeps _ttl_epoch from ever failing on
 * a value written around the guard trigger.
 */
static bool
number_syntax_ok(const char *s, int len)
{
	int			i = 0,
				digits = 0,
				exp_digits = 0;
	bool		point = false;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len; i++)
	{
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !point)
			point = true;
		else
			break;
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			exp_digits++;
		if (exp_digits == 0 || exp_digits > 3)
			return false;
	}
	return i == len;
}

/* The value under key in a jsonb object container, or NULL. */
static JsonbValue *
object_member(JsonbContainer *obj, const char *key, int len)
{
	JsonbValue	k;

	if (!JsonContainerIsObject(obj))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = len;
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

/*
 * _ttl_epoch(item jsonb, attribute text) → numeric: the number of the
 * item's top-level N attribute, or NULL (attribute missing, another type,
 * or not a number).  IMMUTABLE, STRICT, never fails: it is indexed.
 */
Datum
dynamo_ttl_epoch(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);
	text	   *attr = PG_GETARG_TEXT_PP(1);
	JsonbValue *av;
	JsonbValue *n;

	av = object_member(&item->root, VARDATA_ANY(attr), VARSIZE_ANY_EXHDR(attr));
	if (av == NULL || av->type != jbvBinary)
		PG_RETURN_NULL();
	n = object_member(av->val.binary.data, "N", 1);
	if (n == NULL || n->type != jbvString ||
		!number_syntax_ok(n->val.string.val, n->val.string.len))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall3(numeric_in,
										CStringGetDatum(pnstrdup(n->val.string.val,
																 n->val.string.len)),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1)));
}

/* The advisory lock tag of this database's sweep. */
static void
ttl_lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, TTL_LOCK_KEY1, TTL_LOCK_KEY2, 2);
}

/* See ttl.h. */
bool
dynamo_ttl_origin_begin(void)
{
	LOCKTAG		tag;
	RepOriginId origin;

	if (replorigin_session_origin != InvalidRepOriginId)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_IN_USE),
				errmsg("this session has a replication origin set up already"),
				errdetail("A TTL sweep marks its deletes with the replication origin %s.",
						  DYNAMO_TTL_ORIGIN),
				errhint("Reset it with SELECT pg_replication_origin_session_reset() first."));
	origin = replorigin_by_name(DYNAMO_TTL_ORIGIN, true);
	if (origin == InvalidRepOriginId)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("replication origin \"%s\" does not exist", DYNAMO_TTL_ORIGIN),
				errhint("The install script creates it; create it again with SELECT pg_replication_origin_create('%s').",
						DYNAMO_TTL_ORIGIN));
	ttl_lock_tag(&tag);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		return false;
	ttl_lock_held = true;
	PG_TRY();
	{
		DYNAMO_REPLORIGIN_SESSION_SETUP(origin);
		replorigin_session_origin = origin;
		ttl_origin_active = true;
	}
	PG_CATCH();
	{
		LockRelease(&tag, ExclusiveLock, true);
		ttl_lock_held = false;
		PG_RE_THROW();
	}
	PG_END_TRY();
	return true;
}

/* See ttl.h. */
void
dynamo_ttl_origin_end(void)
{
	LOCKTAG		tag;

	if (ttl_origin_active)
	{
		ttl_origin_active = false;
		replorigin_session_reset();
		replorigin_session_origin = InvalidRepOriginId;
		replorigin_session_origin_lsn = InvalidXLogRecPtr;
		replorigin_session_origin_timestamp = 0;
	}
	if (ttl_lock_held)
	{
		ttl_lock_held = false;
		ttl_lock_tag(&tag);
		LockRelease(&tag, ExclusiveLock, true);
	}
}

/* Delete at most limit expired items of relation rel (text of its regclass). */
static int64
sweep_table(const char *rel, const char *attr, int limit)
{
	StringInfoData q;
	char	   *expiry;
	int			rc;

	expiry = psprintf("dynamo._ttl_epoch(item, %s)", quote_literal_cstr(attr));
	initStringInfo(&q);
	appendStringInfo(&q,
					 "DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT ctid FROM %s"
					 " WHERE %s OPERATOR(pg_catalog.<) EXTRACT(epoch FROM pg_catalog.now())::pg_catalog.numeric"
					 " AND %s OPERATOR(pg_catalog.>=) EXTRACT(epoch FROM pg_catalog.now()"
					 " OPERATOR(pg_catalog.-) interval '5 years')::pg_catalog.numeric"
					 " LIMIT %d FOR UPDATE SKIP LOCKED))",
					 rel, rel, expiry, expiry, limit);
	rc = SPI_execute(q.data, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "TTL sweep of %s failed: %s", rel, SPI_result_code_string(rc));
	return (int64) SPI_processed;
}

/* See ttl.h. */
int64
dynamo_ttl_sweep(int budget)
{
	int64		deleted = 0;
	int			ntables;
	char	  **rels;
	char	  **attrs;
	int			i;
	int			rc;

	if (!ttl_origin_active || replorigin_session_origin == InvalidRepOriginId)
		elog(ERROR, "dynamo_ttl_sweep needs dynamo_ttl_origin_begin first");
	if (budget <= 0)
		return 0;
	SPI_connect();
	rc = SPI_execute("SELECT t.relid::pg_catalog.text, t.ttl_attribute FROM dynamo._tables t"
					 " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid"
					 " WHERE t.kind OPERATOR(pg_catalog.=) 'item' AND t.ttl_enabled"
					 " AND t.ttl_attribute IS NOT NULL"
					 " AND pg_catalog.has_table_privilege(t.relid::pg_catalog.oid, 'SELECT')"
					 " AND pg_catalog.has_table_privilege(t.relid::pg_catalog.oid, 'UPDATE')"
					 " AND pg_catalog.has_table_privilege(t.relid::pg_catalog.oid, 'DELETE')"
					 " ORDER BY t.table_name COLLATE \"C\"", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the TTL-enabled tables failed: %s", SPI_result_code_string(rc));
	ntables = (int) SPI_processed;
	rels = palloc0(sizeof(char *) * (ntables + 1));
	attrs = palloc0(sizeof(char *) * (ntables + 1));
	for (i = 0; i < ntables; i++)
	{
		rels[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		attrs[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	for (i = 0; i < ntables && deleted < budget; i++)
		deleted += sweep_table(rels[i], attrs[i], (int) (budget - deleted));
	SPI_finish();
	return deleted;
}

/*
 * PROCEDURE sweep_ttl(max_items int DEFAULT 100, INOUT deleted bigint):
 * delete at most max_items expired items, in batches of DYNAMO_TTL_BATCH,
 * each committed on its own.  Only by CALL outside a transaction block:
 * every REMOVE of a sweep's transaction is marked as a TTL delete, so a
 * sweep must not share its transactions with other work.
 */
Datum
dynamo_sweep_ttl(PG_FUNCTION_ARGS)
{
	int			max_items = PG_ARGISNULL(0) ? -1 : PG_GETARG_INT32(0);
	int64		deleted = 0;
	TupleDesc	tupdesc;
	Datum		value;
	bool		isnull = false;

	if (max_items < 1)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("max_items must be at least 1"));
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		((CallContext *) fcinfo->context)->atomic)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				errmsg("sweep_ttl must be called by CALL outside a transaction block"),
				errdetail("It commits after each batch, and every REMOVE of its transactions is marked as a TTL delete."),
				errhint("Run CALL dynamo.sweep_ttl() on its own, not inside BEGIN ... COMMIT or a function."));
	if (GetTopTransactionIdIfAny() != InvalidTransactionId)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				errmsg("sweep_ttl must start in a transaction that has not written anything"),
				errdetail("Every REMOVE of a sweep's transactions is marked as a TTL delete."),
				errhint("COMMIT before calling it."));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "sweep_ttl: return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (!dynamo_ttl_origin_begin())
	{
		ereport(NOTICE,
				errmsg("another TTL sweep of this database is running"));
		value = Int64GetDatum(0);
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, &value, &isnull)));
	}
	PG_TRY();
	{
		SPI_connect_ext(SPI_OPT_NONATOMIC);
		while (deleted < max_items)
		{
			int64		n;

			PushActiveSnapshot(GetTransactionSnapshot());
			n = dynamo_ttl_sweep(Min(DYNAMO_TTL_BATCH, max_items - deleted));
			PopActiveSnapshot();
			SPI_commit();
			DYNAMO_SPI_START_TRANSACTION();
			deleted += n;
			if (n == 0)
				break;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		dynamo_ttl_origin_end();
	}
	PG_END_TRY();
	value = Int64GetDatum(deleted);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, &value, &isnull)));
}
