/*-------------------------------------------------------------------------
 *
 * export_records.c
 *		dynamo.export_records: a range of the stream log as JSON records,
 *		one row per record, streamed.
 *
 * A value-per-call set-returning function: the first call checks the
 * arguments, resolves the stream through dynamo._stream_for_read (the
 * caller needs SELECT on the stream's table) and opens an SPI cursor over
 * the log in sequence-number order; each later call hands out one record,
 * refilling a batch of EXPORT_BATCH rendered records from the cursor when
 * the batch is used up.  So memory holds one batch, whatever the range:
 * in a SELECT list (ProjectSet) the rows stream straight to the client or
 * to COPY; in FROM the executor keeps them in a tuplestore, which spills
 * to disk past work_mem.  The cursor is closed at the end, or by an
 * ExprContext callback when the caller stops early (LIMIT).
 *
 * The cursor reads the stream's range and sorts it within work_mem (no
 * join, no JIT), so memory stays flat however many records the range
 * holds (test/bench/export.sh measures it).
 *
 * Records are rendered by the plugin's own renderer (record_render.c), so
 * each row is byte-identical to what get_records, the plugin's format=lambda
 * / format=streams and dynamo.render_record give for the same record
 * (sql/140_export_records.sql compares them).
 *
 * The log is not readable by PUBLIC: the first call runs as the
 * function's owner (export_begin, in effect SECURITY DEFINER with a pinned
 * search_path), the later ones, which only fetch from the open cursor, as
 * the caller.  The SPI statements name every object schema-qualified.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "decode.h"
#include "dynamo_streams.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_export_records);

#define EXPORT_BATCH 1000

/* The formats, as the SQL argument names them. */
static const char *const export_formats[] = {"lambda", "streams", "ndjson"};

/* State kept across the calls of one scan. */
typedef struct ExportState
{
	char		cursor_name[NAMEDATALEN];
	bool		open;			/* the cursor is still open */
	bool		done;			/* the cursor is exhausted */
	int			flags;			/* renderer flags */
	char	   *arn;
	char	   *region;
	char	   *view;
	int			n_trimmed;		/* the stream's shards with a trim horizon */
	int64	   *shard_nos;
	char	  **trimmed;		/* their horizons: records at or below are gone */
	MemoryContext batch_cxt;	/* the rendered batch */
	text	  **batch;
	int			n;
	int			next;
} ExportState;

/* A ValidationException about one argument, worded as AWS words them. */
static void
bad_argument(const char *name, const char *value, const char *constraint)
{
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_VALIDATION, "%s", constraint),
			value ?
			errmsg("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
				   value, name, constraint) :
			errmsg("1 validation error detected: Value null at '%s' failed to satisfy constraint: %s",
				   name, constraint));
}

/* Close the cursor if it is still open (end of scan, or early shutdown). */
static void
export_close(Datum arg)
{
	ExportState *st = (ExportState *) DatumGetPointer(arg);
	Portal		portal;

	if (!st->open)
		return;
	st->open = false;
	portal = SPI_cursor_find(st->cursor_name);
	if (portal)
		SPI_cursor_close(portal);
}

/* A text column of tup, in place (no copy; NULL when null), and its length. */
static const char *
text_column(HeapTuple tup, TupleDesc desc, int col, int *len)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	text	   *t;

	*len = 0;
	if (isnull)
		return NULL;
	t = DatumGetTextPP(d);
	*len = VARSIZE_ANY_EXHDR(t);
	return VARDATA_ANY(t);
}

/* Is the record in tup at or below its shard's trim horizon? */
static bool
export_trimmed(ExportState *st, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	int64		shard_no = DatumGetInt64(SPI_getbinval(tup, desc, 10, &isnull));
	int			i;

	for (i = 0; i < st->n_trimmed; i++)
		if (st->shard_nos[i] == shard_no)
		{
			int			len;
			const char *seq = text_column(tup, desc, 1, &len);
			int			tlen = strlen(st->trimmed[i]);

			/* fixed-width digit strings: byte order is numeric order */
			return memcmp(seq, st->trimmed[i], Min(len, tlen)) < 0 ||
				(memcmp(seq, st->trimmed[i], Min(len, tlen)) == 0 && len <= tlen);
		}
	return false;
}

/* Fetch and render the next batch of records into st->batch. */
static void
export_fill(ExportState *st)
{
	Portal		portal;
	uint64		i;
	MemoryContext old;

	MemoryContextReset(st->batch_cxt);
	st->n = st->next = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	portal = SPI_cursor_find(st->cursor_name);
	if (portal == NULL)
		elog(ERROR, "export cursor \"%s\" is gone", st->cursor_name);
	SPI_cursor_fetch(portal, true, EXPORT_BATCH);
	old = MemoryContextSwitchTo(st->batch_cxt);
	st->batch = palloc(sizeof(text *) * Max(SPI_processed, 1));
	st->n = 0;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DynamoRecord rec;
		StringInfoData out;

		if (st->n_trimmed > 0 && export_trimmed(st, tup, desc))
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.stream_arn = st->arn;
		rec.stream_arn_len = strlen(st->arn);
		rec.region = st->region;
		rec.view_name = st->view;
		dynamo_record_from_log_row(&rec, tup, desc);
		initStringInfo(&out);
		dynamo_render_json(&out, &rec, st->flags);
		st->batch[st->n++] = cstring_to_text_with_len(out.data, out.len);
		pfree(out.data);
	}
	if (SPI_processed < EXPORT_BATCH)
		st->done = true;
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	SPI_finish();
}

/* First call: check the arguments, find the stream, open the cursor. */
static ExportState *
export_open(FunctionCallInfo fcinfo, MemoryContext mcxt)
{
	ExportState *st;
	char	   *arn;
	char	   *format;
	int			f;
	Datum		args[3];
	Oid			argtypes[3] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	SPIPlanPtr	plan;
	Portal		portal;
	bool		isnull;
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	static uint64 counter = 0;
	int			i;
	MemoryContext old;

	format = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	for (f = 0; format && f < (int) lengthof(export_formats); f++)
		if (strcmp(format, export_formats[f]) == 0)
			break;
	if (format == NULL || f == (int) lengthof(export_formats))
		bad_argument("format", format,
					 format ? "Member must satisfy enum value set: [lambda, streams, ndjson]"
					 : "Member must not be null");
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2) &&
		PG_GETARG_TIMESTAMPTZ(1) > PG_GETARG_TIMESTAMPTZ(2))
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"The range is from %s to %s.",
										pstrdup(timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(1))),
										pstrdup(timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(2)))),
				errmsg("1 validation error detected: Value at 'from' failed to satisfy constraint: Member must not be later than 'to'"));
	arn = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	old = MemoryContextSwitchTo(mcxt);
	st = palloc0(sizeof(ExportState));
	st->flags = (f == 1) ? DYNAMO_RENDER_STREAMS : 0;
	st->batch_cxt = AllocSetContextCreate(mcxt, "dynamo export batch", ALLOCSET_DEFAULT_SIZES);
	snprintf(st->cursor_name, sizeof(st->cursor_name), "dynamo_export_%d_" UINT64_FORMAT,
			 MyProcPid, ++counter);
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* validation, ResourceNotFoundException, AccessDeniedException */
	args[0] = arn ? CStringGetTextDatum(arn) : (Datum) 0;
	if (SPI_execute_with_args("SELECT s.stream_id, s.stream_arn, s.stream_view_type FROM "
							  DYNAMO_SCHEMA "._stream_for_read($1, 'GetRecords') s",
							  1, argtypes, args, arn ? NULL : "n", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up the stream");
	args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	old = MemoryContextSwitchTo(mcxt);
	st->arn = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	st->view = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	st->region = dynamo_stream_arn_region(st->arn);
	MemoryContextSwitchTo(old);

	argtypes[0] = INT8OID;
	args[1] = PG_ARGISNULL(1) ? TimestampTzGetDatum(DT_NOBEGIN) : PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? TimestampTzGetDatum(DT_NOEND) : PG_GETARG_DATUM(2);
	/* the trim horizons of the stream's shards (a handful of rows) */
	if (SPI_execute_with_args("SELECT h.shard_no, h.trimmed_seq::text FROM " DYNAMO_SCHEMA "._shards h"
							  " WHERE h.stream_id OPERATOR(pg_catalog.=) $1 AND h.trimmed_seq IS NOT NULL",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the trim horizons");
	old = MemoryContextSwitchTo(mcxt);
	st->n_trimmed = (int) SPI_processed;
	st->shard_nos = palloc(sizeof(int64) * Max(st->n_trimmed, 1));
	st->trimmed = palloc(sizeof(char *) * Max(st->n_trimmed, 1));
	for (i = 0; i < st->n_trimmed; i++)
	{
		st->shard_nos[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		st->trimmed[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	MemoryContextSwitchTo(old);

	/*
	 * The records in sequence-number order: the stream's range through the
	 * index on (stream_id, created_at) of each daily partition (or all of
	 * it), sorted in work_mem (spilling to disk past it).  A record
	 * committed at or after "from" was pumped after it (give or take the
	 * length of a pump step: an hour's margin), so the partitions of earlier
	 * days are pruned.  No join with the shards (a hash join could hold the
	 * range in memory): their trim horizons are checked as rows come.
	 */
	plan = SPI_prepare("SELECT " DYNAMO_LOG_RECORD_COLUMNS ", r.shard_no"
					   " FROM " DYNAMO_SCHEMA "._records r"
					   " WHERE r.stream_id OPERATOR(pg_catalog.=) $1"
					   " AND r.created_at OPERATOR(pg_catalog.>=) $2"
					   " AND r.created_at OPERATOR(pg_catalog.<) $3"
					   " AND r.arrived_at OPERATOR(pg_catalog.>=) ($2 OPERATOR(pg_catalog.-) interval '1 hour')"
					   " ORDER BY r.sequence_number",
					   3, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the export query: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(st->cursor_name, plan, args, NULL, true);
	if (portal == NULL)
		elog(ERROR, "could not open the export cursor");
	st->open = true;
	SPI_finish();

	RegisterExprContextCallback(rsi->econtext, export_close, PointerGetDatum(st));
	return st;
}

/*
 * export_open as the function's owner (the extension's owner, who may read
 * the log) with search_path pg_catalog, pg_temp: SECURITY DEFINER for the
 * first call only.  The executor checks privileges when the cursor opens,
 * so the later calls, which only fetch, run as the caller and pay nothing
 * per row for switching users and settings.  _stream_for_read checks that
 * the caller (_stream_caller) may read the stream.
 */
static ExportState *
export_begin(FunctionCallInfo fcinfo, MemoryContext mcxt)
{
	Oid			save_userid;
	int			save_sec;
	int			nest;
	HeapTuple	proc;
	Oid			owner;
	ExportState *volatile st = NULL;

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
	ReleaseSysCache(proc);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	nest = NewGUCNestLevel();
	PG_TRY();
	{
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		/* a long range costs enough to be JIT-compiled: time and memory for nothing */
		(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		st = export_open(fcinfo, mcxt);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	AtEOXact_GUC(true, nest);
	return st;
}

/*
 * export_records(stream_arn text, "from" timestamptz, "to" timestamptz,
 * format text) returns setof text.
 */
Datum
dynamo_sql_export_records(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	ExportState *st;

	if (SRF_IS_FIRSTCALL())
	{
		fctx = SRF_FIRSTCALL_INIT();
		fctx->user_fctx = export_begin(fcinfo, fctx->multi_call_memory_ctx);
	}
	fctx = SRF_PERCALL_SETUP();
	st = (ExportState *) fctx->user_fctx;

	/* (a whole batch can be trimmed records) */
	while (st->next >= st->n && !st->done)
		export_fill(st);
	if (st->next < st->n)
		SRF_RETURN_NEXT(fctx, PointerGetDatum(st->batch[st->next++]));

	export_close(PointerGetDatum(st));
	SRF_RETURN_DONE(fctx);
}
