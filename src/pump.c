/*-------------------------------------------------------------------------
 *
 * pump.c
 *		The stream log pump (docs/stream-log.md).
 *
 * A step writes the output plugin's records from the pump's own logical
 * slot into dynamo._records, in the caller's transaction, together with
 * the pump's progress: the commit LSN (start of the commit record) of the
 * last transaction taken, as the progress of the replication origin
 * dynamo_streams_pump_<database oid>, which the commit record carries
 * (pg_replication_origin_xact_setup).  Reading a slot is not transactional,
 * so the slot is only moved, at the start of the next step, to the progress
 * that committed; transactions decoded again whose commit is at or below it
 * are skipped.  Whole transactions, by commit LSN: a later-committing
 * transaction can have lower row LSNs.
 *
 * This file runs a step: dynamo._pump_begin (SQL: the pump lock, shard
 * upkeep, the day's partition), the map of streams and shards, the
 * in-process decoding and bulk write (pump_decode.c), then dynamo._pump_end
 * (SQL: no-op counts, progress, shard upkeep).  It also sets up the
 * replication origin for the session, which only C can reset after the
 * commit (a transaction callback), so that no later transaction of the
 * session is marked as the pump's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "replication/origin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/pg_lsn.h"

#include "compat.h"
#include "dynamo_streams.h"
#include "decode.h"
#include "pump.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_pump);

static bool pump_origin_active = false;
static bool pump_callback_registered = false;
static int	shard_rollover_interval = 4 * 3600;

/* Define the pump's settings (called by _PG_init). */
void
dynamo_pump_define_settings(void)
{
	DefineCustomIntVariable("dynamo_streams.shard_rollover_interval",
							"Age at which an open shard of a stream is closed and replaced by a child shard.",
							"0 keeps shards open until the stream is disabled or dynamo.rollover_shards() is called.",
							&shard_rollover_interval,
							4 * 3600, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
}

/* End of the pump's transaction: give the origin back. */
static void
pump_xact_callback(XactEvent event, void *arg)
{
	if (!pump_origin_active)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pump_origin_active = false;
			replorigin_session_reset();
			replorigin_session_origin = InvalidRepOriginId;
			replorigin_session_origin_lsn = InvalidXLogRecPtr;
			replorigin_session_origin_timestamp = 0;
			break;
		default:
			break;
	}
}

static char *
pump_origin_name(void)
{
	return psprintf("dynamo_streams_pump_%u", MyDatabaseId);
}

/* Set up the pump's origin for this session until the end of the transaction. */
static void
pump_origin_begin(void)
{
	RepOriginId origin;
	char	   *name = pump_origin_name();

	if (pump_origin_active)
		return;					/* a second step in one transaction */
	if (replorigin_session_origin != InvalidRepOriginId)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_IN_USE),
				errmsg("this session has a replication origin set up already"),
				errdetail("The pump records its progress as the replication origin %s.", name),
				errhint("Reset it with SELECT pg_replication_origin_session_reset() first."));
	origin = replorigin_by_name(name, true);
	if (origin == InvalidRepOriginId)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("replication origin \"%s\" does not exist", name),
				errhint("dynamo.pump() and dynamo.start() create it."));
	if (!pump_callback_registered)
	{
		RegisterXactCallback(pump_xact_callback, NULL);
		pump_callback_registered = true;
	}
	DYNAMO_REPLORIGIN_SESSION_SETUP(origin);
	replorigin_session_origin = origin;
	pump_origin_active = true;
}

/* See pump.h. */
bool
dynamo_pump_ensure_slot(void)
{
	int			rc;
	bool		created;

	SPI_connect();
	rc = SPI_execute("SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots r"
					 " WHERE r.slot_name OPERATOR(pg_catalog.=) dynamo._pump_slot_name()),"
					 " dynamo._pump_ensure_slot()", false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "creating the pump's slot failed: %s", SPI_result_code_string(rc));
	created = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){false}));
	SPI_finish();
	return created;
}

/*
 * The pump's map of streams: every stream with current shards, and the
 * shard of each hash slot.  Read once per step, under the pump lock (shards
 * change only under it), after the shard upkeep of _pump_begin (not read
 * only: a read-only query would not see that upkeep).
 */
static PumpStreamMap *
load_stream_map(MemoryContext cxt)
{
	PumpStreamMap *map = MemoryContextAllocZero(cxt, sizeof(PumpStreamMap));
	PumpStream *s = NULL;
	int			rc;
	uint64		i;

	rc = SPI_execute("SELECT s.stream_arn, s.stream_id, sh.slot_count, sh.hash_slot, sh.shard_no"
					 "  FROM dynamo._streams s"
					 "  JOIN dynamo._shards sh ON sh.stream_id OPERATOR(pg_catalog.=) s.stream_id AND sh.current"
					 " ORDER BY s.stream_id, sh.hash_slot", false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "loading the pump's shard map failed: %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		stream_id = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		int			slot_count = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		int			hash_slot = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));

		if (s == NULL || s->stream_id != stream_id)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);
			char	   *arn = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));

			s = palloc0(sizeof(PumpStream));
			s->arn = arn;
			s->arn_len = strlen(arn);
			s->stream_id = stream_id;
			s->slot_count = slot_count;
			s->shard_nos = palloc0(slot_count * sizeof(int64));
			s->next = map->streams;
			map->streams = s;
			MemoryContextSwitchTo(old);
		}
		/* the current shards of a stream share one slot count */
		if (slot_count == s->slot_count && hash_slot >= 0 && hash_slot < slot_count)
			s->shard_nos[hash_slot] = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
	}
	return map;
}

/* See pump.h. */
int64
dynamo_pump_step(int64 max_changes, bool *more)
{
	Oid			argtypes[8] = {INT8OID, LSNOID, BOOLOID, LSNOID, BOOLOID,
	INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID};
	Datum		args[8];
	char		nulls[8] = "        ";
	int			rc;
	bool		isnull;
	XLogRecPtr	done;
	Oid			partition;
	char	   *slot;
	PumpStreamMap *map;
	PumpResult	res;
	XLogRecPtr	pending;
	MemoryContext caller = CurrentMemoryContext;

	if (!IsTransactionState())
		elog(ERROR, "dynamo_pump_step needs a transaction");
	pump_origin_begin();
	/* lock, slot moved to the committed progress, shards, partition */
	SPI_connect();
	rc = SPI_execute("SELECT done, part, slot FROM dynamo._pump_begin()", false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pump step failed: %s", SPI_result_code_string(rc));
	done = DatumGetLSN(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	partition = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	/* (the slot's name and the map outlive this SPI connection) */
	slot = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
	map = load_stream_map(caller);
	SPI_finish();
	/* records and no-op counts of the transactions after done */
	/*
	 * An earlier step of this transaction took transactions up to the
	 * session's origin LSN, not committed yet: skip them too, but move the
	 * slot only past what committed.
	 */
	pending = (replorigin_session_origin_lsn != InvalidXLogRecPtr &&
			   replorigin_session_origin_lsn > done) ?
		replorigin_session_origin_lsn : InvalidXLogRecPtr;
	dynamo_pump_decode(slot, map, done, pending, partition, max_changes, &res);
	/* progress, shard upkeep, the pump's row, in this transaction */
	SPI_connect();
	args[0] = Int64GetDatum(res.pumped);
	args[1] = LSNGetDatum(res.last_lsn);
	nulls[1] = res.last_lsn != InvalidXLogRecPtr ? ' ' : 'n';
	args[2] = BoolGetDatum(res.more);
	args[3] = LSNGetDatum(res.upto);
	args[4] = BoolGetDatum(res.last_lsn != InvalidXLogRecPtr);
	args[5] = PointerGetDatum(construct_array(res.noop_streams, res.n_noop_rows, INT8OID,
											  8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[6] = PointerGetDatum(construct_array(res.noop_buckets, res.n_noop_rows, TIMESTAMPTZOID,
											  8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[7] = PointerGetDatum(construct_array(res.noop_counts, res.n_noop_rows, INT8OID,
											  8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	rc = SPI_execute_with_args("SELECT dynamo._pump_end($1, $2, $3, $4, $5, $6, $7, $8)",
							   8, argtypes, args, nulls, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pump step failed: %s", SPI_result_code_string(rc));
	SPI_finish();
	if (more)
		*more = res.more;
	return res.pumped;
}

/*
 * dynamo.pump(max_changes bigint DEFAULT NULL) RETURNS bigint: create the
 * slot if missing, then one step.
 */
Datum
dynamo_sql_pump(PG_FUNCTION_ARGS)
{
	int64		max_changes = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);

	if (!PG_ARGISNULL(0) && max_changes < 1)
		ereport(ERROR,
				dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("1 validation error detected: Value '" INT64_FORMAT "' at 'maxChanges' failed to satisfy constraint: Member must have value greater than or equal to 1",
					   max_changes));
	if (max_changes > INT_MAX)
		max_changes = INT_MAX;
	/*
	 * The transaction becomes the pump's (its origin's), whose changes the
	 * plugin skips: it must not have written anything else.
	 */
	if (!pump_origin_active && GetTopTransactionIdIfAny() != InvalidTransactionId)
		ereport(ERROR,
				errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				errmsg("dynamo.pump() must run in a transaction that has not written"),
				errdetail("The output plugin skips the pump's transactions, so other writes in them would not reach any stream."),
				errhint("Call dynamo.pump() in a transaction of its own."));
	dynamo_pump_ensure_slot();
	PG_RETURN_INT64(dynamo_pump_step(max_changes, NULL));
}

PG_FUNCTION_INFO_V1(dynamo_sql_key_hash);

/*
 * dynamo._key_hash(item jsonb, hash_key text, range_key text) RETURNS bigint:
 * the key hash (docs/output-plugin.md, "Key hash") of a normalised item's
 * Keys, as the plugin computes it; NULL when a key attribute is missing.
 */
Datum
dynamo_sql_key_hash(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);
	char	   *hash_key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *range_key = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	StringInfoData keys;
	bool		found;

	if (!JB_ROOT_IS_OBJECT(item))
		PG_RETURN_NULL();
	initStringInfo(&keys);
	dynamo_json_keys(&keys, &item->root, hash_key, range_key, &found);
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) dynamo_key_hash(keys.data, keys.len));
}

PG_FUNCTION_INFO_V1(dynamo_sql_hash_slot);

/*
 * dynamo._hash_slot(h bigint, n integer) RETURNS integer: the hash slot of
 * a key hash, its unsigned 64-bit value modulo n (as hash-slots computes it).
 */
Datum
dynamo_sql_hash_slot(PG_FUNCTION_ARGS)
{
	uint64		h = (uint64) PG_GETARG_INT64(0);
	int32		n = PG_GETARG_INT32(1);

	if (n < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("slot count must be at least 1"));
	PG_RETURN_INT32((int32) (h % (uint64) n));
}
