/*
 * record_log.c: DynamoRecords from rows of the stream log.
 *
 * The C readers that render stored records (get_records' page,
 * stream_page.c; export_records, export_records.c) select the columns
 * DYNAMO_LOG_RECORD_COLUMNS of dynamo._records (then, if they need, a few
 * columns of their own), set the stream's fields of the record, and fill the rest from each row here, so that a stored record
 * renders alike wherever it is read (and as dynamo.render_record renders
 * it, record_sql.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "utils/timestamp.h"

#include "decode.h"
#include "record.h"

enum
{
	COL_SEQ, COL_EVENT, COL_CREATED, COL_KEYS, COL_NEW, COL_OLD,
	COL_SIZE, COL_TTL, COL_OMITTED, NCOLS
};

/* a reader may select a few columns of its own after the record's */
#define MAX_COLS	(NCOLS + 8)

/* A text column, in place (no copy; NULL when null), and its length. */
static const char *
text_col(Datum *values, bool *nulls, int col, int *len)
{
	text	   *t;

	if (nulls[col])
	{
		*len = 0;
		return NULL;
	}
	t = (text *) PG_DETOAST_DATUM_PACKED(values[col]);
	*len = VARSIZE_ANY_EXHDR(t);
	return VARDATA_ANY(t);
}

/* See record.h. */
void
dynamo_record_from_log_row(DynamoRecord *rec, HeapTuple tup, TupleDesc desc)
{
	Datum		values[MAX_COLS];
	bool		nulls[MAX_COLS];
	int			len;
	const char *s;

	if (desc->natts < NCOLS || desc->natts > MAX_COLS)
		elog(ERROR, "a stream log row has %d columns", desc->natts);
	heap_deform_tuple(tup, desc, values, nulls);
	s = text_col(values, nulls, COL_SEQ, &len);
	if (s == NULL || len >= (int) sizeof(rec->seq))
		elog(ERROR, "malformed sequence number in the stream log");
	memcpy(rec->seq, s, len);
	rec->seq[len] = '\0';
	/* a refire record is known by its sequence number (record_seq.c) */
	rec->refire = dynamo_seq_is_refire(rec->seq);
	dynamo_event_id(rec->event_id, rec->stream_arn, rec->stream_arn_len, rec->seq);
	s = text_col(values, nulls, COL_EVENT, &len);
	if (s != NULL && len == 6 && memcmp(s, "INSERT", 6) == 0)
		rec->event = DYNAMO_EV_INSERT;
	else if (s != NULL && len == 6 && memcmp(s, "MODIFY", 6) == 0)
		rec->event = DYNAMO_EV_MODIFY;
	else if (s != NULL && len == 6 && memcmp(s, "REMOVE", 6) == 0)
		rec->event = DYNAMO_EV_REMOVE;
	else
		elog(ERROR, "unexpected eventName in the stream log");
	rec->commit_time = DatumGetTimestampTz(values[COL_CREATED]);
	rec->keys = text_col(values, nulls, COL_KEYS, &rec->keys_len);
	rec->new_image = text_col(values, nulls, COL_NEW, &rec->new_len);
	rec->old_image = text_col(values, nulls, COL_OLD, &rec->old_len);
	rec->size_bytes = DatumGetInt64(values[COL_SIZE]);
	rec->ttl = !nulls[COL_TTL] && DatumGetBool(values[COL_TTL]);
	s = text_col(values, nulls, COL_OMITTED, &len);
	rec->omitted = (s == NULL || len == 0) ? DYNAMO_OMITTED_NONE :
		(len == 5 && memcmp(s, "error", 5) == 0) ? DYNAMO_OMITTED_ERROR : DYNAMO_OMITTED_TOO_BIG;
}

/* See record.h. */
char *
dynamo_stream_arn_region(const char *arn)
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
