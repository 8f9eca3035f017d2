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
 * dynamo._trusted_json hands the assembled text to SQL as json without
 * parsing it again: the renderer writes only valid JSON, and a 1,000-record
 * page is about 600 KB, so validating it cost more than reading it.  Both
 * functions are internal (not executable by PUBLIC).
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
PG_FUNCTION_INFO_V1(dynamo_sql_trusted_json);

/* GetRecords returns at most 1 MB of records. */
#define PAGE_MAX_BYTES	1048576

/* The page query: records of a shard after a sequence number, in order. */
static SPIPlanPtr page_plan = NULL;

/* Columns of the page query, 1-based as SPI numbers them. */
enum
{
	COL_SEQ = 1, COL_EVENT, COL_CREATED, COL_KEYS, COL_NEW, COL_OLD,
	COL_SIZE, COL_TTL, COL_OMITTED
};

/* The page query's plan, prepared once per backend. */
static SPIPlanPtr
get_page_plan(void)
{
	Oid			argtypes[3] = {INT8OID, TEXTOID, INT8OID};

	if (page_plan == NULL)
	{
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT r.sequence_number, r.event_name, r.created_at, r.keys, "
						   "r.new_image, r.old_image, r.size_bytes, r.ttl, r.omitted "
						   "FROM dynamo._records r "
						   "WHERE r.shard_no OPERATOR(pg_catalog.=) $1 "
						   "AND r.sequence_number OPERATOR(pg_catalog.>) $2 COLLATE \"C\" "
						   "ORDER BY r.sequence_number LIMIT $3", 3, argtypes);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the stream log page query: %s",
				 SPI_result_code_string(SPI_result));
		page_plan = plan;
	}
	return page_plan;
}

/* A text column of the current row as pointer and length (NULL if null). */
static const char *
text_col(HeapTuple tup, TupleDesc desc, int col, int *len)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	text	   *t;

	if (isnull)
	{
		*len = 0;
		return NULL;
	}
	t = (text *) PG_DETOAST_DATUM_PACKED(d);
	*len = VARSIZE_ANY_EXHDR(t);
	return VARDATA_ANY(t);
}

/* The region of a stream ARN from the catalog (arn:aws:dynamodb:REGION:...). */
static char *
arn_region(const char *arn)
{
	const char *p = strchr(arn, ':');
	const char *end;

	/* skip "arn", "aws" and "dynamodb" */
	if (p != NULL)
		p = strchr(p + 1, ':');
	if (p != NULL)
		p = strchr(p + 1, ':');
	if (p == NULL || (end = strchr(p + 1, ':')) == NULL)
		elog(ERROR, "malformed stream ARN in the catalog: %s", arn);
	return pnstrdup(p + 1, end - p - 1);
}

/* Fill rec from one row of the page query (the stream fields are set). */
static void
row_to_record(DynamoRecord *rec, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	int			len;
	const char *s;

	s = text_col(tup, desc, COL_SEQ, &len);
	if (len >= (int) sizeof(rec->seq))
		elog(ERROR, "malformed sequence number in the stream log");
	memcpy(rec->seq, s, len);
	rec->seq[len] = '\0';
	dynamo_event_id(rec->event_id, rec->stream_arn, rec->stream_arn_len, rec->seq);
	s = text_col(tup, desc, COL_EVENT, &len);
	rec->event = (len == 6 && memcmp(s, "INSERT", 6) == 0) ? DYNAMO_EV_INSERT :
		(len == 6 && memcmp(s, "MODIFY", 6) == 0) ? DYNAMO_EV_MODIFY : DYNAMO_EV_REMOVE;
	rec->commit_time = DatumGetTimestampTz(SPI_getbinval(tup, desc, COL_CREATED, &isnull));
	rec->keys = text_col(tup, desc, COL_KEYS, &rec->keys_len);
	rec->new_image = text_col(tup, desc, COL_NEW, &rec->new_len);
	rec->old_image = text_col(tup, desc, COL_OLD, &rec->old_len);
	rec->size_bytes = DatumGetInt64(SPI_getbinval(tup, desc, COL_SIZE, &isnull));
	rec->ttl = DatumGetBool(SPI_getbinval(tup, desc, COL_TTL, &isnull)) && !isnull;
	s = text_col(tup, desc, COL_OMITTED, &len);
	rec->omitted = (s == NULL || len == 0) ? DYNAMO_OMITTED_NONE :
		(len == 5 && memcmp(s, "error", 5) == 0) ? DYNAMO_OMITTED_ERROR : DYNAMO_OMITTED_TOO_BIG;
}

/*
 * _log_page(shard_no, after_seq, limit, stream_arn, stream_view_type,
 * OUT body text, OUT n integer, OUT last_seq text, OUT more boolean):
 * the records of shard shard_no with a sequence number above after_seq,
 * rendered as GetRecords records and joined by commas (body), how many,
 * the last one's sequence number, and whether the shard has records past
 * the page.
 */
Datum
dynamo_sql_log_page(PG_FUNCTION_ARGS)
{
	int64		shard_no = PG_GETARG_INT64(0);
	text	   *after = PG_GETARG_TEXT_PP(1);
	int32		limit = PG_GETARG_INT32(2);
	char	   *arn = text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *view = text_to_cstring(PG_GETARG_TEXT_PP(4));
	TupleDesc	resdesc;
	StringInfoData body;
	DynamoRecord rec;
	char		last_seq[41] = "";
	Datum		args[3];
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	uint64		i;
	int			n = 0;
	Size		bytes = 0;
	bool		more = false;

	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "_log_page must return a record");
	if (limit < 1)
		limit = 1;
	initStringInfo(&body);
	memset(&rec, 0, sizeof(rec));
	rec.stream_arn = arn;
	rec.stream_arn_len = strlen(arn);
	rec.region = arn_region(arn);
	rec.view_name = view;

	SPI_connect();
	args[0] = Int64GetDatum(shard_no);
	args[1] = PointerGetDatum(after);
	args[2] = Int64GetDatum((int64) limit + 1);
	if (SPI_execute_plan(get_page_plan(), args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "stream log page query failed");
	for (i = 0; i < SPI_processed; i++)
	{
		int			start = body.len;

		if (n >= limit)
		{
			more = true;
			break;
		}
		row_to_record(&rec, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		if (n > 0)
			appendStringInfoCharMacro(&body, ',');
		dynamo_render_json(&body, &rec, DYNAMO_RENDER_STREAMS);
		bytes += body.len - start - (n > 0 ? 1 : 0);
		if (n > 0 && bytes > PAGE_MAX_BYTES)
		{
			/* past 1 MB: this record starts the next page */
			body.len = start;
			body.data[start] = '\0';
			more = true;
			break;
		}
		strlcpy(last_seq, rec.seq, sizeof(last_seq));
		n++;
	}
	SPI_finish();

	values[0] = PointerGetDatum(cstring_to_text_with_len(body.data, body.len));
	values[1] = Int32GetDatum(n);
	if (n > 0)
		values[2] = CStringGetTextDatum(last_seq);
	else
		nulls[2] = true;
	values[3] = BoolGetDatum(more);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(resdesc), values, nulls)));
}

/* _trusted_json(text) returns json: the text as it is, not parsed again. */
Datum
dynamo_sql_trusted_json(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}
