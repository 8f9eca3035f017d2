/*-------------------------------------------------------------------------
 *
 * record_marshall.c
 *		Plain JSON (json/jsonb columns of ordinary tables) written as
 *		AttributeValues, the way @aws-sdk/util-dynamodb's marshall does,
 *		with their DynamoDB sizes.
 *
 * Objects become M, arrays L, strings S, numbers N (normalised; a number
 * outside DynamoDB's range becomes S), booleans BOOL, null NULL.  The
 * container is walked sequentially (record_jsonb.h) in one pass, checking
 * the record size limit before each append (record_json.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "decode.h"
#include "record_jsonb.h"

/* Marshall one jsonb entry (plain JSON) as an AttributeValue. */
static int64
marshall_entry(StringInfo out, JCursor *cur, uint32 len)
{
	JEntry		je = cur->jc->children[cur->i - 1];
	char	   *data = cur->base + cur->off - len;
	int64		size = 0;

	DYNAMO_ROOM(out, 16);
	if (JBE_ISSTRING(je))
	{
		appendBinaryStringInfo(out, "{\"S\":", 5);
		dynamo_json_string(out, data, len);
		size = len;
	}
	else if (JBE_ISCONTAINER(je))
	{
		dynamo_marshall_container(out, (JsonbContainer *) (cur->base + INTALIGN(cur->off - len)), &size);
		return size;
	}
	else if (JBE_ISNUMERIC(je))
	{
		char	   *txt = DatumGetCString(DirectFunctionCall1(numeric_out,
															  PointerGetDatum(cur->base + INTALIGN(cur->off - len))));
		int			nsize;

		DYNAMO_ROOM(out, strlen(txt) + 8);
		appendBinaryStringInfo(out, "{\"N\":\"", 6);
		if (dynamo_number_canonical(txt, out, &nsize))
		{
			size = nsize;
			appendStringInfoCharMacro(out, '"');
		}
		else
		{
			out->len -= 6;
			appendBinaryStringInfo(out, "{\"S\":", 5);
			dynamo_json_string(out, txt, strlen(txt));
			size = strlen(txt);
		}
	}
	else if (JBE_ISBOOL(je))
	{
		appendStringInfoString(out, JBE_ISBOOL_TRUE(je) ? "{\"BOOL\":true" : "{\"BOOL\":false");
		size = 1;
	}
	else
	{
		appendStringInfoString(out, "{\"NULL\":true");
		size = 1;
	}
	appendStringInfoCharMacro(out, '}');
	return size;
}

/*
 * Marshall a plain JSON container as an AttributeValue (object -> M,
 * array -> L, scalars by type), the way @aws-sdk/util-dynamodb's marshall
 * does; *size gets its DynamoDB size.
 */
void
dynamo_marshall_container(StringInfo out, JsonbContainer *jc, int64 *size)
{
	int			n = JsonContainerSize(jc);
	JCursor		k;
	JCursor		v;
	uint32		start;
	int			i;

	/* recursion depth follows the JSON nesting of ordinary-table columns */
	check_stack_depth();
	DYNAMO_ROOM(out, 8);

	if (JsonContainerIsScalar(jc))
	{
		cursor_init(&v, jc, 0);
		*size = marshall_entry(out, &v, cursor_next(&v, &start));
		return;
	}
	*size = 3 + n;
	if (JsonContainerIsArray(jc))
	{
		appendBinaryStringInfo(out, "{\"L\":[", 6);
		cursor_init(&v, jc, 0);
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoCharMacro(out, ',');
			*size += marshall_entry(out, &v, cursor_next(&v, &start));
		}
		appendBinaryStringInfo(out, "]}", 2);
		return;
	}
	appendBinaryStringInfo(out, "{\"M\":{", 6);
	cursor_init(&k, jc, 0);
	if (n > 0)
		cursor_init(&v, jc, n);
	for (i = 0; i < n; i++)
	{
		uint32		klen = cursor_next(&k, &start);

		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		dynamo_json_string(out, k.base + start, klen);
		appendStringInfoCharMacro(out, ':');
		*size += klen + marshall_entry(out, &v, cursor_next(&v, &start));
	}
	appendBinaryStringInfo(out, "}}", 2);
}
