/*-------------------------------------------------------------------------
 *
 * record_json.c
 *		JSON string literals for stream records, and the record size limit.
 *
 * Every writer of record text checks, before it appends, that the buffer
 * stays within dynamo_out_limit (max-record-bytes while a record is
 * built): strings by their exact escaped length when the cheap bound says
 * they might not fit, everything else at each element (DYNAMO_ROOM).  Past
 * the limit dynamo_too_big() raises an error that decode.c catches, so no
 * buffer ever grows towards MaxAllocSize, whatever the values.
 *
 * The other writers: record_item.c (AttributeValue items and Keys from
 * jsonb, with their DynamoDB sizes), record_marshall.c (plain JSON as
 * AttributeValues), record_render.c (whole records).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "decode.h"

static const char hexdig[] = "0123456789abcdef";

Size		dynamo_out_limit = MaxAllocSize;
bool		dynamo_out_limit_hit = false;

/* The buffer would pass dynamo_out_limit: give up on this record. */
void
dynamo_too_big(void)
{
	dynamo_out_limit_hit = true;
	ereport(ERROR,
			errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			errmsg("dynamo_streams record is larger than max-record-bytes"));
}

/* Exact length of the JSON string literal of len bytes (with quotes). */
static Size
json_string_len(const char *s, int len)
{
	Size		n = (Size) len + 2;
	const char *end = s + len;

	for (; s < end; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
			c == '\r' || c == '\t')
			n += 1;
		else
			n += 5;
	}
	return n;
}

/* Append a JSON string literal (with quotes) of len bytes of UTF-8. */
void
dynamo_json_string(StringInfo out, const char *s, int len)
{
	const char *run = s;
	const char *end = s + len;
	const char *p;

	/* at most 6 bytes per byte; count exactly only when that may not fit */
	if (unlikely((Size) out->len + (Size) len * 6 + 2 > dynamo_out_limit))
		DYNAMO_ROOM(out, json_string_len(s, len));
	enlargeStringInfo(out, len + 2);
	out->data[out->len++] = '"';
	for (p = s; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (p > run)
			appendBinaryStringInfo(out, run, p - run);
		run = p + 1;
		switch (c)
		{
			case '"':
				appendBinaryStringInfo(out, "\\\"", 2);
				break;
			case '\\':
				appendBinaryStringInfo(out, "\\\\", 2);
				break;
			case '\b':
				appendBinaryStringInfo(out, "\\b", 2);
				break;
			case '\f':
				appendBinaryStringInfo(out, "\\f", 2);
				break;
			case '\n':
				appendBinaryStringInfo(out, "\\n", 2);
				break;
			case '\r':
				appendBinaryStringInfo(out, "\\r", 2);
				break;
			case '\t':
				appendBinaryStringInfo(out, "\\t", 2);
				break;
			default:
				{
					char		u[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};

					appendBinaryStringInfo(out, u, 6);
				}
		}
	}
	if (end > run)
		appendBinaryStringInfo(out, run, end - run);
	appendStringInfoCharMacro(out, '"');
}
