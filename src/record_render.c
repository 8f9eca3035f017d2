/*-------------------------------------------------------------------------
 *
 * record_render.c
 *		Renderers of a DynamoRecord: the Lambda and GetRecords JSON
 *		records, and the internal pump format.
 *
 * The JSON renderer is the only writer of a record's JSON text, for the
 * output plugin and for dynamo.render_record alike, so a record stored in
 * its parts renders byte-identical to what the plugin sends.  Member order
 * and spelling are in docs/output-plugin.md ("Record layout").  It checks
 * dynamo_out_limit before it appends (DYNAMO_ROOM), so the plugin can catch
 * a record larger than max-record-bytes.
 *
 * The pump format (format=pump, internal: its only reader is the stream
 * log pump) is one text row per record of tab-separated fields.  Compact
 * JSON never holds a raw tab or newline (strings escape every control
 * character), so the Keys and images are written as they are, and a reader
 * splits the row at tabs without parsing any JSON:
 *
 *	 R1 seq commitLSN endLSN event commitTime keyHash sizeBytes flags omitted arn keys new old
 *
 * R1 names the layout (a later one gets R2); seq is the 40-digit
 * SequenceNumber; LSNs as "X/X"; event INSERT, MODIFY or REMOVE;
 * commitTime the TimestampTz as an integer (microseconds since
 * 2000-01-01 UTC); keyHash the key hash as a signed 64-bit integer;
 * flags "t" for a TTL delete, "n" for a no-op and "r" for a record of
 * dynamo.refire (any of them, or empty);
 * omitted empty, "max-record-bytes" or "error"; arn the stream ARN as a
 * JSON string literal (relation names may hold a tab); keys the Keys JSON;
 * new and old the images, empty when the record does not carry them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/datetime.h"

#include "decode.h"
#include "record.h"

const char *const dynamo_event_names[] = {"INSERT", "MODIFY", "REMOVE"};
const char *const dynamo_omitted_names[] = {"", "max-record-bytes", "error"};

/* 64-bit hash of a record's Keys text (the same key gives the same text). */
uint64
dynamo_key_hash(const char *keys, int len)
{
	return hash_bytes_extended((const unsigned char *) keys, len,
							   DYNAMO_KEY_HASH_SEED);
}

/* Append an LSN as a JSON string "X/X". */
void
dynamo_render_lsn(StringInfo out, XLogRecPtr lsn)
{
	appendStringInfo(out, "\"%X/%X\"", LSN_FORMAT_ARGS(lsn));
}

/* Append a time as a JSON string, ISO 8601 UTC with microseconds. */
void
dynamo_render_time(StringInfo out, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
	{
		appendStringInfoString(out, "null");
		return;
	}
	appendStringInfo(out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"",
					 tm.tm_year, tm.tm_mon, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

/* Append the optional top-level "pg" metadata object. */
static void
render_metadata(StringInfo out, const DynamoRecord *rec, int flags)
{
	const char *sep = "";

	appendStringInfoString(out, ",\"pg\":{");
	if (flags & DYNAMO_RENDER_PG_XID)
	{
		appendStringInfo(out, "\"xid\":%u", rec->xid);
		sep = ",";
	}
	if (flags & DYNAMO_RENDER_PG_LSN)
	{
		appendStringInfo(out, "%s\"lsn\":", sep);
		dynamo_render_lsn(out, rec->lsn);
		appendStringInfoString(out, ",\"commitLsn\":");
		dynamo_render_lsn(out, rec->commit_lsn);
		sep = ",";
	}
	if (flags & DYNAMO_RENDER_PG_TIME)
	{
		appendStringInfo(out, "%s\"commitTime\":", sep);
		dynamo_render_time(out, rec->commit_time);
	}
	appendStringInfoCharMacro(out, '}');
}

/* Append a JSON fragment as it is, within dynamo_out_limit. */
static inline void
put_fragment(StringInfo out, const char *s, int len)
{
	DYNAMO_ROOM(out, len);
	appendBinaryStringInfo(out, s, len);
}

/* Append the record as a Lambda (or, with DYNAMO_RENDER_STREAMS, GetRecords) record. */
void
dynamo_render_json(StringInfo out, const DynamoRecord *rec, int flags)
{
	bool		streams = (flags & DYNAMO_RENDER_STREAMS) != 0;
	TimestampTz ct = rec->commit_time;

	appendStringInfo(out, "{\"eventID\":\"%s\",\"eventName\":\"%s\",\"eventVersion\":\"1.1\","
					 "\"eventSource\":\"aws:dynamodb\",\"awsRegion\":",
					 rec->event_id, dynamo_event_names[rec->event]);
	dynamo_json_string(out, rec->region, strlen(rec->region));
	appendStringInfoCharMacro(out, ',');
	if (rec->ttl)
		appendStringInfoString(out, streams ?
							   "\"userIdentity\":{\"PrincipalId\":\"dynamodb.amazonaws.com\",\"Type\":\"Service\"}," :
							   "\"userIdentity\":{\"type\":\"Service\",\"principalId\":\"dynamodb.amazonaws.com\"},");
	else if (rec->refire)
		appendStringInfoString(out, streams ?
							   "\"userIdentity\":{\"PrincipalId\":\"" DYNAMO_REFIRE_PRINCIPAL "\",\"Type\":\"Service\"}," :
							   "\"userIdentity\":{\"type\":\"Service\",\"principalId\":\"" DYNAMO_REFIRE_PRINCIPAL "\"},");
	appendStringInfo(out, "\"dynamodb\":{\"ApproximateCreationDateTime\":" INT64_FORMAT ",\"Keys\":",
					 (int64) (ct / USECS_PER_SEC) +
					 (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
	put_fragment(out, rec->keys, rec->keys_len);
	if (rec->new_image)
	{
		appendBinaryStringInfo(out, ",\"NewImage\":", 12);
		put_fragment(out, rec->new_image, rec->new_len);
	}
	if (rec->old_image)
	{
		appendBinaryStringInfo(out, ",\"OldImage\":", 12);
		put_fragment(out, rec->old_image, rec->old_len);
	}
	appendStringInfo(out, ",\"SequenceNumber\":\"%s\",\"SizeBytes\":" INT64_FORMAT
					 ",\"StreamViewType\":\"%s\"}",
					 rec->seq, rec->size_bytes, rec->view_name);
	if (!streams)
	{
		appendBinaryStringInfo(out, ",\"eventSourceARN\":", 18);
		dynamo_json_string(out, rec->stream_arn, rec->stream_arn_len);
	}
	if (rec->noop)
		appendBinaryStringInfo(out, ",\"noop\":true", 12);
	if (rec->omitted != DYNAMO_OMITTED_NONE)
		appendStringInfo(out, ",\"omitted\":\"%s\"", dynamo_omitted_names[rec->omitted]);
	if (flags & DYNAMO_RENDER_PG_ANY)
		render_metadata(out, rec, flags);
	appendStringInfoCharMacro(out, '}');
	DYNAMO_ROOM(out, 0);
}

/*
 * Exact length of the JSON rendering, without building the images: the
 * record is rendered without them into a scratch buffer and their lengths
 * (and member names) added.  The pump format decides max-record-bytes by
 * the Lambda rendering, the longer of the two JSON forms.
 */
Size
dynamo_render_json_len(const DynamoRecord *rec, int flags)
{
	DynamoRecord skel = *rec;
	StringInfoData buf;
	Size		len;

	skel.new_image = skel.old_image = NULL;
	skel.keys = "";
	skel.keys_len = 0;
	initStringInfo(&buf);
	dynamo_render_json(&buf, &skel, flags);
	len = (Size) buf.len + rec->keys_len;
	if (rec->new_image)
		len += 12 + rec->new_len;
	if (rec->old_image)
		len += 12 + rec->old_len;
	pfree(buf.data);
	return len;
}

/* Append the record in the pump format (see the file header). */
void
dynamo_render_pump(StringInfo out, const DynamoRecord *rec)
{
	appendStringInfo(out, "R1\t%s\t%X/%X\t%X/%X\t%s\t" INT64_FORMAT "\t" INT64_FORMAT
					 "\t" INT64_FORMAT "\t%s%s%s\t%s\t",
					 rec->seq, LSN_FORMAT_ARGS(rec->commit_lsn),
					 LSN_FORMAT_ARGS(rec->end_lsn), dynamo_event_names[rec->event],
					 (int64) rec->commit_time, (int64) rec->key_hash,
					 rec->size_bytes, rec->ttl ? "t" : "", rec->noop ? "n" : "",
					 rec->refire ? "r" : "",
					 dynamo_omitted_names[rec->omitted]);
	dynamo_json_string(out, rec->stream_arn, rec->stream_arn_len);
	appendStringInfoCharMacro(out, '\t');
	appendBinaryStringInfo(out, rec->keys, rec->keys_len);
	appendStringInfoCharMacro(out, '\t');
	if (rec->new_image)
		appendBinaryStringInfo(out, rec->new_image, rec->new_len);
	appendStringInfoCharMacro(out, '\t');
	if (rec->old_image)
		appendBinaryStringInfo(out, rec->old_image, rec->old_len);
}
