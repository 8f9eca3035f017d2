/*-------------------------------------------------------------------------
 *
 * marshall.c
 *		Plain JSON <-> AttributeValue JSON, with the mapping of the AWS SDK's
 *		util-dynamodb (marshall / unmarshall), plus the SQL functions of the
 *		AttributeValue core.
 *
 * marshall: string -> S, number -> N (the number's text, normalised and
 * checked against DynamoDB's limits), true/false -> BOOL, null -> NULL true,
 * object -> M, array -> L.  A top-level object becomes an item (a map of
 * attribute names to AttributeValues); a top-level array becomes an array of
 * AttributeValues and a top-level scalar one AttributeValue, as the SDK's
 * marshall() returns them.  Plain JSON cannot express sets or binary, so
 * marshall never produces SS, NS, BS or B.
 *
 * unmarshall: the reverse, on a validated item.  Where JSON has no type of
 * its own: N becomes a JSON number (jsonb's numeric keeps all 38 digits,
 * where the SDK would need wrapNumbers); SS and NS become arrays (of strings,
 * of numbers) in their canonical order; B becomes its base64 string and BS
 * an array of base64 strings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "av_internal.h"

/* Push a string with the given token. */
static void
push_text(JsonbParseState **ps, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	pushJsonbValue(ps, tok, &v);
}

/* Push the AttributeValue of one plain JSON value; path names it in errors. */
static JsonbValue *
marshall_value(JsonbParseState **ps, JsonbValue *v, StringInfo path)
{
	JsonbValue	t;
	char	   *text;

	check_stack_depth();
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	switch (v->type)
	{
		case jbvNull:
			push_text(ps, WJB_KEY, "NULL", 4);
			t.type = jbvBool;
			t.val.boolean = true;
			pushJsonbValue(ps, WJB_VALUE, &t);
			break;
		case jbvBool:
			push_text(ps, WJB_KEY, "BOOL", 4);
			pushJsonbValue(ps, WJB_VALUE, v);
			break;
		case jbvString:
			push_text(ps, WJB_KEY, "S", 1);
			pushJsonbValue(ps, WJB_VALUE, v);
			break;
		case jbvNumeric:
			push_text(ps, WJB_KEY, "N", 1);
			text = DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
			text = dynamo_number_normalize(text, strlen(text), path->data);
			push_text(ps, WJB_VALUE, text, strlen(text));
			break;
		case jbvBinary:
			{
				JsonbContainer *c = v->val.binary.data;
				bool		is_obj = JsonContainerIsObject(c);
				JsonbIterator *it = JsonbIteratorInit(c);
				JsonbValue	m;
				JsonbIteratorToken r;
				int			base = path->len;
				int			index = 0;

				push_text(ps, WJB_KEY, is_obj ? "M" : "L", 1);
				while ((r = JsonbIteratorNext(&it, &m, true)) != WJB_DONE)
				{
					CHECK_FOR_INTERRUPTS();
					if (r == WJB_KEY)
					{
						pushJsonbValue(ps, WJB_KEY, &m);
						appendStringInfo(path, ".%.*s", m.val.string.len, m.val.string.val);
						continue;
					}
					if (r == WJB_VALUE || r == WJB_ELEM)
					{
						if (r == WJB_ELEM)
							appendStringInfo(path, "[%d]", index++);
						marshall_value(ps, &m, path);
						path->len = base;
						path->data[base] = '\0';
					}
					else
						pushJsonbValue(ps, r, NULL);	/* begin/end */
				}
				break;
			}
		default:
			elog(ERROR, "unexpected jsonb value type %d", v->type);
	}
	return pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* util-dynamodb marshall of a plain JSON value (see the file header). */
Jsonb *
dynamo_marshall_jsonb(Jsonb *plain)
{
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken r;
	StringInfoData path;
	int			index = 0;

	initStringInfo(&path);
	if (JB_ROOT_IS_SCALAR(plain))
	{
		if (!JsonbExtractScalar(&plain->root, &v))
			elog(ERROR, "could not extract jsonb scalar");
		return JsonbValueToJsonb(marshall_value(&ps, &v, &path));
	}
	it = JsonbIteratorInit(&plain->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			pushJsonbValue(&ps, WJB_KEY, &v);
			resetStringInfo(&path);
			appendBinaryStringInfo(&path, v.val.string.val, v.val.string.len);
		}
		else if (r == WJB_VALUE)
			marshall_value(&ps, &v, &path);
		else if (r == WJB_ELEM)
		{
			resetStringInfo(&path);
			appendStringInfo(&path, "[%d]", index++);
			marshall_value(&ps, &v, &path);
		}
		else
			res = pushJsonbValue(&ps, r, NULL);
	}
	return JsonbValueToJsonb(res);
}

/* Push the plain JSON of one normalised AttributeValue with token tok. */
static JsonbValue *
unmarshall_value(JsonbParseState **ps, JsonbContainer *av, JsonbIteratorToken tok)
{
	DynamoAvType type;
	JsonbValue	v;
	JsonbValue	m;
	JsonbIterator *it;
	JsonbIteratorToken r;
	JsonbValue *res = NULL;

	check_stack_depth();
	if (!dynamo_av_unwrap(av, &type, &v))
		elog(ERROR, "AttributeValue is not normalised");
	switch (type)
	{
		case AV_S:
		case AV_B:
		case AV_BOOL:
			return pushJsonbValue(ps, tok, &v);
		case AV_NULL:
			v.type = jbvNull;
			return pushJsonbValue(ps, tok, &v);
		case AV_N:
			m.type = jbvNumeric;
			m.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(pnstrdup(v.val.string.val, v.val.string.len)),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			return pushJsonbValue(ps, tok, &m);
		default:
			break;
	}
	/* M, L and the sets: walk the container */
	it = JsonbIteratorInit(v.val.binary.data);
	while ((r = JsonbIteratorNext(&it, &m, true)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (r == WJB_KEY)
			pushJsonbValue(ps, WJB_KEY, &m);
		else if ((r == WJB_VALUE || r == WJB_ELEM) && (type == AV_M || type == AV_L))
			unmarshall_value(ps, m.val.binary.data, r);
		else if (r == WJB_ELEM && type == AV_NS)
		{
			JsonbValue	n;

			n.type = jbvNumeric;
			n.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(pnstrdup(m.val.string.val, m.val.string.len)),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			pushJsonbValue(ps, WJB_ELEM, &n);
		}
		else if (r == WJB_ELEM)
			pushJsonbValue(ps, WJB_ELEM, &m);
		else
			res = pushJsonbValue(ps, r, NULL);	/* begin/end */
	}
	return res;
}

/* util-dynamodb unmarshall of an item (validated first) to plain JSON. */
Jsonb *
dynamo_unmarshall_jsonb(Jsonb *item)
{
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken r;

	item = dynamo_item_check(item, NULL);
	it = JsonbIteratorInit(&item->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
			pushJsonbValue(&ps, WJB_KEY, &v);
		else if (r == WJB_VALUE)
			unmarshall_value(&ps, v.val.binary.data, WJB_VALUE);
		else
			res = pushJsonbValue(&ps, r, NULL);
	}
	return JsonbValueToJsonb(res);
}
