/*-------------------------------------------------------------------------
 *
 * record_item.c
 *		AttributeValue items and their Keys, written from jsonb as compact
 *		JSON with their DynamoDB sizes.
 *
 * Decoding is a hot path, so items are written straight from the jsonb
 * container into the output buffer, walking the container's entries
 * sequentially (record_jsonb.h: no JsonbIterator, no text round trip), and
 * the DynamoDB item size (SPEC 4.2) is summed in the same pass.  Items of
 * item tables are normalised by the _item_guard trigger, so their numbers
 * are strings already and sets are in canonical order; this file never
 * re-validates them.  Anything that is not shaped like an AttributeValue
 * is still written as valid JSON (and counts 0 bytes).  Every writer
 * checks the record size limit before it appends (record_json.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "attrval.h"
#include "decode.h"
#include "record_jsonb.h"

static int64 write_av(StringInfo out, JsonbContainer *av);
static int64 write_av_map(StringInfo out, JsonbContainer *jc, bool nested);
static void write_entry(StringInfo out, JCursor *cur, uint32 len);
static void write_container(StringInfo out, JsonbContainer *jc);

/* Decoded length of base64 text. */
static inline int64
b64_size(const char *s, uint32 len)
{
	return dynamo_base64_decoded_len(s, len);
}

/* Write one scalar or container entry of a container as JSON. */
static void
write_entry(StringInfo out, JCursor *cur, uint32 len)
{
	JEntry		je = cur->jc->children[cur->i - 1];
	char	   *data = cur->base + cur->off - len;

	DYNAMO_ROOM(out, 5);
	if (JBE_ISSTRING(je))
		dynamo_json_string(out, data, len);
	else if (JBE_ISCONTAINER(je))
		write_container(out, (JsonbContainer *) (cur->base +
												 INTALIGN(cur->off - len)));
	else if (JBE_ISNUMERIC(je))
	{
		char	   *txt = DatumGetCString(DirectFunctionCall1(numeric_out,
															  PointerGetDatum(cur->base + INTALIGN(cur->off - len))));
		int			tlen = strlen(txt);

		DYNAMO_ROOM(out, tlen);
		appendBinaryStringInfo(out, txt, tlen);
	}
	else if (JBE_ISBOOL_TRUE(je))
		appendBinaryStringInfo(out, "true", 4);
	else if (JBE_ISBOOL_FALSE(je))
		appendBinaryStringInfo(out, "false", 5);
	else
		appendBinaryStringInfo(out, "null", 4);
}

/* Write any jsonb container as compact JSON. */
static void
write_container(StringInfo out, JsonbContainer *jc)
{
	int			n = JsonContainerSize(jc);
	JCursor		k;
	JCursor		v;
	uint32		start;
	int			i;

	/* recursion depth follows the JSON nesting of ordinary-table columns */
	check_stack_depth();
	DYNAMO_ROOM(out, 2);

	if (JsonContainerIsScalar(jc))
	{
		cursor_init(&v, jc, 0);
		write_entry(out, &v, cursor_next(&v, &start));
		return;
	}
	if (JsonContainerIsArray(jc))
	{
		appendStringInfoCharMacro(out, '[');
		cursor_init(&v, jc, 0);
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoCharMacro(out, ',');
			write_entry(out, &v, cursor_next(&v, &start));
		}
		appendStringInfoCharMacro(out, ']');
		return;
	}
	appendStringInfoCharMacro(out, '{');
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
		write_entry(out, &v, cursor_next(&v, &start));
	}
	appendStringInfoCharMacro(out, '}');
}

/* Size of the string elements of a set, by element type. */
static int64
set_size(JsonbContainer *arr, char type)
{
	JCursor		c;
	uint32		start;
	uint32		len;
	int64		size = 0;
	int			i;
	int			n = JsonContainerSize(arr);

	cursor_init(&c, arr, 0);
	for (i = 0; i < n; i++)
	{
		len = cursor_next(&c, &start);
		if (!JBE_ISSTRING(arr->children[i]))
			continue;
		if (type == 'S')
			size += len;
		else if (type == 'N')
			size += dynamo_number_size(c.base + start, len);
		else
			size += b64_size(c.base + start, len);
	}
	return size;
}

/* Write an L value's array of AttributeValues; return its size. */
static int64
write_av_list(StringInfo out, JsonbContainer *arr)
{
	JCursor		c;
	uint32		start;
	int64		size = 3;
	int			i;
	int			n = JsonContainerSize(arr);

	appendStringInfoCharMacro(out, '[');
	cursor_init(&c, arr, 0);
	for (i = 0; i < n; i++)
	{
		uint32		len = cursor_next(&c, &start);

		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		if (JBE_ISCONTAINER(arr->children[i]))
			size += write_av(out, (JsonbContainer *) (c.base + INTALIGN(start))) + 1;
		else
			write_entry(out, &c, len);
	}
	appendStringInfoCharMacro(out, ']');
	return size;
}

/* Write one AttributeValue object ({"T":v}); return its DynamoDB size. */
static int64
write_av(StringInfo out, JsonbContainer *av)
{
	JCursor		k;
	JCursor		v;
	uint32		kstart;
	uint32		vstart;
	uint32		klen;
	uint32		vlen;
	JEntry		ve;
	const char *t;
	char	   *vdata;
	int64		size = 0;

	/* recursion depth follows the JSON nesting of ordinary-table columns */
	check_stack_depth();
	DYNAMO_ROOM(out, 8);

	if (!JsonContainerIsObject(av) || JsonContainerSize(av) != 1)
	{
		write_container(out, av);
		return 0;
	}
	cursor_init(&k, av, 0);
	cursor_init(&v, av, 1);
	klen = cursor_next(&k, &kstart);
	t = k.base + kstart;
	appendStringInfoCharMacro(out, '{');
	dynamo_json_string(out, t, klen);
	appendStringInfoCharMacro(out, ':');
	vlen = cursor_next(&v, &vstart);
	ve = av->children[1];
	vdata = v.base + vstart;
	if (JBE_ISSTRING(ve))
	{
		dynamo_json_string(out, vdata, vlen);
		if (klen == 1 && t[0] == 'S')
			size = vlen;
		else if (klen == 1 && t[0] == 'N')
			size = dynamo_number_size(vdata, vlen);
		else if (klen == 1 && t[0] == 'B')
			size = b64_size(vdata, vlen);
	}
	else if (JBE_ISCONTAINER(ve))
	{
		JsonbContainer *c = (JsonbContainer *) (v.base + INTALIGN(vstart));

		if (klen == 1 && t[0] == 'M' && JsonContainerIsObject(c))
			size = write_av_map(out, c, true);
		else if (klen == 1 && t[0] == 'L' && JsonContainerIsArray(c) &&
				 !JsonContainerIsScalar(c))
			size = write_av_list(out, c);
		else
		{
			write_container(out, c);
			if (klen == 2 && t[1] == 'S' && JsonContainerIsArray(c))
				size = set_size(c, t[0]);
		}
	}
	else
	{
		write_entry(out, &v, vlen);
		size = 1;				/* BOOL, NULL */
	}
	appendStringInfoCharMacro(out, '}');
	return size;
}

/*
 * Write a map of attribute name -> AttributeValue; return its size: the
 * sum of name lengths and value sizes, plus 3 and 1 per entry for a nested
 * M value.
 */
static int64
write_av_map(StringInfo out, JsonbContainer *jc, bool nested)
{
	int			n = JsonContainerSize(jc);
	JCursor		k;
	JCursor		v;
	uint32		start;
	int64		size = nested ? 3 + n : 0;
	int			i;

	appendStringInfoCharMacro(out, '{');
	cursor_init(&k, jc, 0);
	if (n > 0)
		cursor_init(&v, jc, n);
	for (i = 0; i < n; i++)
	{
		uint32		klen = cursor_next(&k, &start);
		uint32		vlen;

		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		dynamo_json_string(out, k.base + start, klen);
		appendStringInfoCharMacro(out, ':');
		size += klen;
		vlen = cursor_next(&v, &start);
		if (JBE_ISCONTAINER(jc->children[n + i]))
			size += write_av(out, (JsonbContainer *) (v.base + INTALIGN(start)));
		else
			write_entry(out, &v, vlen);
	}
	appendStringInfoCharMacro(out, '}');
	return size;
}

/* Write a normalised item (attribute map) as JSON; return its item size. */
int64
dynamo_json_item(StringInfo out, JsonbContainer *item)
{
	if (!JsonContainerIsObject(item))
	{
		write_container(out, item);
		return 0;
	}
	return write_av_map(out, item, false);
}

/* Find the AttributeValue container of an attribute of an item. */
static JsonbContainer *
item_attr(JsonbContainer *item, const char *name, JsonbValue *buf)
{
	if (name == NULL || !JsonContainerIsObject(item))
		return NULL;
	if (!getKeyJsonValueFromContainer(item, name, strlen(name), buf) ||
		buf->type != jbvBinary)
		return NULL;
	return buf->val.binary.data;
}

/* Write one "name":AV member; return its size. */
static int64
write_key_member(StringInfo out, const char *name, JsonbContainer *av)
{
	int			len = strlen(name);

	dynamo_json_string(out, name, len);
	appendStringInfoCharMacro(out, ':');
	return len + write_av(out, av);
}

/*
 * Write the Keys map of an item (hash and range key attributes, in jsonb
 * key order); return its size.  *found is false when a key attribute is
 * missing (then only the ones present are written).
 */
int64
dynamo_json_keys(StringInfo out, JsonbContainer *item,
				 const char *hash_key, const char *range_key, bool *found)
{
	JsonbValue	hb;
	JsonbValue	rb;
	JsonbContainer *h = item_attr(item, hash_key, &hb);
	JsonbContainer *r = item_attr(item, range_key, &rb);
	int64		size = 0;
	bool		range_first = false;

	*found = (h != NULL && (range_key == NULL || r != NULL));
	if (h && r)
	{
		int			hl = strlen(hash_key);
		int			rl = strlen(range_key);

		range_first = (rl < hl || (rl == hl && memcmp(range_key, hash_key, hl) < 0));
	}
	appendStringInfoCharMacro(out, '{');
	if (r && range_first)
	{
		size += write_key_member(out, range_key, r);
		appendStringInfoCharMacro(out, ',');
	}
	if (h)
		size += write_key_member(out, hash_key, h);
	if (r && !range_first)
	{
		if (h)
			appendStringInfoCharMacro(out, ',');
		size += write_key_member(out, range_key, r);
	}
	appendStringInfoCharMacro(out, '}');
	return size;
}

/* Compare one key attribute of two items byte for byte. */
static bool
key_attr_equal(JsonbContainer *a, JsonbContainer *b, const char *name)
{
	JsonbValue	ab;
	JsonbValue	bb;
	JsonbContainer *ac = item_attr(a, name, &ab);
	JsonbContainer *bc = item_attr(b, name, &bb);

	if (ac == NULL || bc == NULL)
		return ac == bc;
	return ab.val.binary.len == bb.val.binary.len &&
		memcmp(ac, bc, ab.val.binary.len) == 0;
}

/* Do two normalised items have the same primary key? */
bool
dynamo_json_keys_equal(JsonbContainer *a, JsonbContainer *b,
					   const char *hash_key, const char *range_key)
{
	return key_attr_equal(a, b, hash_key) &&
		(range_key == NULL || key_attr_equal(a, b, range_key));
}
