/*-------------------------------------------------------------------------
 *
 * stream_page.c
 *		One GetRecords page of the stream log, assembled in C.
 *
 * dynamo.get_records (sql/install/47_streams_api.sql) checks its iterator,
 * the caller's privilege and the trim horizon in PL/pgSQL, then asks
 * dynamo._log_page for the records: one index scan of dynamo._records
 * (a plan prepared once per backend, run through SPI), each row rendered
 * by the plugin's own renderer (record_render.c) straight into one buffer,
 * comma-separated, so the page is byte-identical to what format=streams
 * sends and to what dynamo.render_record gives for each row.
 *
 * Page rules (docs/streams-api.md): at most "limit" records, and at most
 * 1 MB (1,048,576 bytes) of rendered records, separators not counted; the
 * first record always goes.  One row past the page is read to tell
 * whether the shard has more.
 *
 * The result is the whole GetRecords JSON text, NextShardIterator included
 * (signed by dynamo._iterator_encode, called through SPI), built in one
 * buffer that becomes the json datum in place: a 1,000-record page is
 * about 600 KB, and parsing it again (a text-to-json cast) or copying it
 * between PL/pgSQL values cost more than reading and rendering the rows.
 * Rows are fetched through a cursor in small batches, so the memory they
 * take stays small and is reused.  The renderer writes only valid JSON.
 * The function is internal (not executable by PUBLIC).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "decode.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_log_page);

/* GetRecords returns at most 1 MB of records. */
#define PAGE_MAX_BYTES	1048576

/* Rows fetched from the cursor at a time. */
#define PAGE_BATCH		100

/* The page query: records of a shard after a sequence number, in order. */
static SPIPlanPtr page_plan = NULL;

/* The iterator query: a signed shard iterator. */
static SPIPlanPtr iterator_plan = NULL;

/* Prepare and keep a plan once per backend. */
static SPIPlanPtr
keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		*slot = plan;
	}
	return *slot;
}

/* A text column as pointer and length (NULL if null). */
/*
 * Append the records of the page to out, comma-separated; set *last_seq
 * (empty when none) and return whether the shard has records past it.
 */
static bool
render_page(StringInfo out, DynamoRecord *rec, int64 shard_no, text *after,
			int32 limit, char *last_seq)
{
	Oid			argtypes[3] = {INT8OID, TEXTOID, INT8OID};
	Datum		args[3];
	Portal		portal;
	int			n = 0;
	Size		bytes = 0;
	bool		more = false;
	bool		done = false;

	args[0] = Int64GetDatum(shard_no);
	args[1] = PointerGetDatum(after);
	args[2] = Int64GetDatum((int64) limit + 1);
	portal = SPI_cursor_open(NULL,
							 keep_plan(&page_plan,
									   "SELECT " DYNAMO_LOG_RECORD_COLUMNS
									   " FROM dynamo._records r "
									   "WHERE r.shard_no OPERATOR(pg_catalog.=) $1 "
									   "AND r.sequence_number OPERATOR(pg_catalog.>) $2 COLLATE \"C\" "
									   "ORDER BY r.sequence_number LIMIT $3", 3, argtypes),
							 args, NULL, true);
	last_seq[0] = '\0';
	while (!done)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, PAGE_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			int			start = out->len;

			if (n >= limit)
			{
				more = done = true;
				break;
			}
			dynamo_record_from_log_row(rec, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
			if (n > 0)
				appendStringInfoCharMacro(out, ',');
			dynamo_render_json(out, rec, DYNAMO_RENDER_STREAMS);
			bytes += out->len - start - (n > 0 ? 1 : 0);
			if (n > 0 && bytes > PAGE_MAX_BYTES)
			{
				/* past 1 MB: this record starts the next page */
				out->len = start;
				out->data[start] = '\0';
				more = done = true;
				break;
			}
			strlcpy(last_seq, rec->seq, 41);
			n++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	return more;
}

/* Append ,"NextShardIterator":"..." for position (kind, seq) of a shard. */
static void
append_iterator(StringInfo out, int64 stream_id, text *shard_id,
				const char *kind, const char *seq)
{
	Oid			argtypes[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		it;
	text	   *t;

	args[0] = Int64GetDatum(stream_id);
	args[1] = PointerGetDatum(shard_id);
	args[2] = CStringGetTextDatum(kind);
	if (seq != NULL)
		args[3] = CStringGetTextDatum(seq);
	else
		nulls[3] = 'n';
	if (SPI_execute_plan(keep_plan(&iterator_plan,
								   "SELECT dynamo._iterator_encode($1, $2, $3, $4::pg_catalog.numeric)",
								   4, argtypes),
						 args, nulls, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not make a shard iterator");
	it = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "could not make a shard iterator");
	t = DatumGetTextPP(it);
	appendStringInfoString(out, ",\"NextShardIterator\":");
	dynamo_json_string(out, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * _log_page(stream_id, stream_arn, stream_view_type, shard_id, shard_no,
 * closed, after_seq, limit, kind, seq) returns json: the GetRecords
 * result for shard shard_no (ShardId shard_id) of a stream: its records
 * with a sequence number above after_seq, at most "limit" and at most 1 MB
 * of them, and NextShardIterator after them; none when the shard is
 * closed and read to its end; at the iterator's own position (kind, seq)
 * when the page is empty.
 */
Datum
dynamo_sql_log_page(PG_FUNCTION_ARGS)
{
	int64		stream_id;
	char	   *arn;
	char	   *view;
	text	   *shard_id;
	int64		shard_no;
	bool		closed;
	text	   *after;
	int32		limit;
	char	   *kind;
	char	   *seq;
	StringInfoData out;
	DynamoRecord rec;
	char		last_seq[41];
	bool		more;
	int			i;

	for (i = 0; i < 9; i++)
		if (PG_ARGISNULL(i))
			elog(ERROR, "_log_page: argument %d is null", i + 1);
	stream_id = PG_GETARG_INT64(0);
	arn = text_to_cstring(PG_GETARG_TEXT_PP(1));
	view = text_to_cstring(PG_GETARG_TEXT_PP(2));
	shard_id = PG_GETARG_TEXT_PP(3);
	shard_no = PG_GETARG_INT64(4);
	closed = PG_GETARG_BOOL(5);
	after = PG_GETARG_TEXT_PP(6);
	limit = Max(PG_GETARG_INT32(7), 1);
	kind = text_to_cstring(PG_GETARG_TEXT_PP(8));
	seq = PG_ARGISNULL(9) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(9));

	memset(&rec, 0, sizeof(rec));
	rec.stream_arn = arn;
	rec.stream_arn_len = strlen(arn);
	rec.region = dynamo_stream_arn_region(arn);
	rec.view_name = view;

	/* one buffer for the whole page, its varlena header first */
	initStringInfo(&out);
	enlargeStringInfo(&out, Min((Size) limit * 1024, PAGE_MAX_BYTES + 64 * 1024));
	appendBinaryStringInfo(&out, "\0\0\0\0", VARHDRSZ);
	appendStringInfoString(&out, "{\"Records\":[");

	SPI_connect();
	more = render_page(&out, &rec, shard_no, after, limit, last_seq);
	appendStringInfoCharMacro(&out, ']');
	if (more || !closed)
	{
		if (last_seq[0] != '\0')
			append_iterator(&out, stream_id, shard_id, "AFTER", last_seq);
		else
			append_iterator(&out, stream_id, shard_id, kind, seq);
	}
	SPI_finish();
	appendStringInfoCharMacro(&out, '}');

	SET_VARSIZE(out.data, out.len);
	PG_RETURN_POINTER(out.data);
}
