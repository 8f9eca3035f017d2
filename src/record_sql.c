/*-------------------------------------------------------------------------
 *
 * record_sql.c
 *		dynamo.render_record: a stored record rendered again as JSON.
 *
 * The stream log stores a record in its parts (the fields of the pump
 * format, record_render.c) and renders it when it is read.  This function
 * takes those parts and calls the plugin's own renderer, so its text is
 * byte-identical to what format=lambda or format=streams sends for the
 * same change (sql/070_record_render.sql compares them).  The Keys and
 * image fragments are written as they are: they are what the plugin
 * produced, not user input to validate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "decode.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_render_record);

static const char *const view_names[] = {
	"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"
};

/* A ValidationException about one argument. */
static void
bad_argument(const char *name, const char *value, const char *detail)
{
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_VALIDATION, "%s", detail),
			errmsg("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
				   value ? value : "null", name, detail));
}

/* Text argument n, or an error naming it when it is NULL and required. */
static char *
text_arg(FunctionCallInfo fcinfo, int n, const char *name, bool required)
{
	if (PG_ARGISNULL(n))
	{
		if (required)
			bad_argument(name, NULL, "Member must not be null");
		return NULL;
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* Index of s in names, or -1. */
static int
name_index(const char *s, const char *const *names, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* The region of a stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/...). */
static char *
arn_region(const char *arn)
{
	const char *p = arn + strlen("arn:aws:dynamodb:");
	const char *end;

	if (strncmp(arn, "arn:aws:dynamodb:", strlen("arn:aws:dynamodb:")) != 0 ||
		(end = strchr(p, ':')) == NULL || end == p ||
		strstr(end, ":table/") == NULL || strstr(end, "/stream/") == NULL)
		bad_argument("streamArn", arn, "Member must be a stream ARN");
	return pnstrdup(p, end - p);
}

/*
 * render_record(format, stream_arn, stream_view_type, event_name,
 * sequence_number, creation_time, keys, new_image, old_image, size_bytes,
 * ttl, omitted, noop) returns text.
 */
Datum
dynamo_sql_render_record(PG_FUNCTION_ARGS)
{
	char	   *format = text_arg(fcinfo, 0, "format", true);
	char	   *arn = text_arg(fcinfo, 1, "streamArn", true);
	char	   *view = text_arg(fcinfo, 2, "streamViewType", true);
	char	   *event = text_arg(fcinfo, 3, "eventName", true);
	char	   *seq = text_arg(fcinfo, 4, "sequenceNumber", true);
	char	   *omitted = text_arg(fcinfo, 11, "omitted", false);
	DynamoRecord rec;
	StringInfoData out;
	int			ev;
	int			flags = 0;

	memset(&rec, 0, sizeof(rec));
	if (strcmp(format, "streams") == 0)
		flags = DYNAMO_RENDER_STREAMS;
	else if (strcmp(format, "lambda") != 0)
		bad_argument("format", format, "Member must satisfy enum value set: [lambda, streams]");
	if (name_index(view, view_names, lengthof(view_names)) < 0)
		bad_argument("streamViewType", view, "Member must satisfy enum value set: [KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES]");
	if ((ev = name_index(event, dynamo_event_names, 3)) < 0)
		bad_argument("eventName", event, "Member must satisfy enum value set: [INSERT, MODIFY, REMOVE]");
	if (strlen(seq) < 21 || strlen(seq) > 40 || strspn(seq, "0123456789") != strlen(seq))
		bad_argument("sequenceNumber", seq, "Member must be 21 to 40 digits");
	if (PG_ARGISNULL(5))
		bad_argument("creationTime", NULL, "Member must not be null");
	if (PG_ARGISNULL(6))
		bad_argument("keys", NULL, "Member must not be null");
	if (PG_ARGISNULL(9))
		bad_argument("sizeBytes", NULL, "Member must not be null");
	rec.event = (DynamoEvent) ev;
	if (omitted == NULL || omitted[0] == '\0')
		rec.omitted = DYNAMO_OMITTED_NONE;
	else if (strcmp(omitted, "max-record-bytes") == 0)
		rec.omitted = DYNAMO_OMITTED_TOO_BIG;
	else if (strcmp(omitted, "error") == 0)
		rec.omitted = DYNAMO_OMITTED_ERROR;
	else
		bad_argument("omitted", omitted, "Member must satisfy enum value set: [max-record-bytes, error]");
	rec.stream_arn = arn;
	rec.stream_arn_len = strlen(arn);
	rec.region = arn_region(arn);
	rec.view_name = view;
	strlcpy(rec.seq, seq, sizeof(rec.seq));
	dynamo_event_id(rec.event_id, arn, rec.stream_arn_len, rec.seq);
	rec.commit_time = PG_GETARG_TIMESTAMPTZ(5);
	rec.keys = text_arg(fcinfo, 6, "keys", true);
	rec.keys_len = strlen(rec.keys);
	rec.new_image = text_arg(fcinfo, 7, "newImage", false);
	rec.new_len = rec.new_image ? strlen(rec.new_image) : 0;
	rec.old_image = text_arg(fcinfo, 8, "oldImage", false);
	rec.old_len = rec.old_image ? strlen(rec.old_image) : 0;
	rec.size_bytes = PG_GETARG_INT64(9);
	rec.ttl = !PG_ARGISNULL(10) && PG_GETARG_BOOL(10);
	rec.noop = !PG_ARGISNULL(12) && PG_GETARG_BOOL(12);
	/* a refire record is known by its sequence number (record_seq.c) */
	rec.refire = dynamo_seq_is_refire(rec.seq);
	initStringInfo(&out);
	dynamo_render_json(&out, &rec, flags);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
