/*-------------------------------------------------------------------------
 *
 * av_size.c
 *		Item size of a normalised item (SPEC 4.2), without validation.
 *
 * The size is what DynamoDB charges against the 400 KB item limit and
 * reports as SizeBytes in stream records:
 *
 *	item	sum over attributes of UTF-8 name length + value size
 *	S		UTF-8 bytes				B		decoded bytes
 *	N		see av_number.c			BOOL, NULL	1
 *	SS, NS, BS	sum of the member sizes
 *	M		3 + per member (1 + UTF-8 name length + value size)
 *	L		3 + per element (1 + value size)
 *
 * The output plugin calls dynamo_item_size() on images already normalised by
 * the item guard, so this file trusts its input: it only reads it.  The same
 * figures are computed while validating (attrval.c).
 *
 * The same walk in "stored" mode gives dynamo_page_size(): what DynamoDB
 * counts against the 1 MB page of a Query or Scan.  That is not the size
 * above but the size of DynamoDB's internal serialisation, as measured
 * against DynamoDB (docs/functions/scan.md has the sources):
 *
 *	item	2 + s + (1 + floor((1 + s) / 3072)) * (18 + size of the range key
 *			value), where s = sum over the other attributes of
 *			1 + stored value size (the name itself does not count)
 *	S		UTF-8 bytes + length of a varint of that (1 below 128, ...)
 *	B, N	size + 1				BOOL 1, NULL 0
 *	SS, NS, BS	sum of the member sizes + number of members + 1
 *	M		3 + per member (2 + stored value size)
 *	L		3 + per element (1 + stored value size)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "av_internal.h"

/* Size of a member value of a set, given the set's type. */
static int64
set_member_size(DynamoAvType type, JsonbValue *v)
{
	if (v->type != jbvString)
		return 0;
	if (type == AV_SS)
		return v->val.string.len;
	if (type == AV_NS)
		return dynamo_number_size(v->val.string.val, v->val.string.len);
	return dynamo_base64_decoded_len(v->val.string.val, v->val.string.len);
}

/* Bytes of the varint that prefixes a stored string of len bytes. */
static int64
varint_size(int64 len)
{
	int64		n = 1;

	while (len >= 128)
	{
		len >>= 7;
		n++;
	}
	return n;
}

static int64 value_size(JsonbContainer *av, bool stored);

/* Size of the members of an M, L or set value (stored: page size). */
static int64
container_size(DynamoAvType type, JsonbContainer *c, bool stored)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken r;
	bool		nested = (type == AV_M || type == AV_L);
	int64		size = nested ? 3 : (stored ? 1 : 0);

	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (r == WJB_KEY)
			size += stored ? 2 : 1 + v.val.string.len;
		else if (r == WJB_ELEM && type == AV_L)
			size += 1 + (v.type == jbvBinary ? value_size(v.val.binary.data, stored) : 0);
		else if (r == WJB_VALUE)
			size += (v.type == jbvBinary ? value_size(v.val.binary.data, stored) : 0);
		else if (r == WJB_ELEM)
			size += set_member_size(type, &v) + (stored ? 1 : 0);
	}
	return size;
}

/* SPEC 4.2 size of one normalised AttributeValue (stored: page size). */
static int64
value_size(JsonbContainer *av, bool stored)
{
	DynamoAvType type;
	JsonbValue	v;
	int64		n;

	check_stack_depth();
	if (!dynamo_av_unwrap(av, &type, &v))
		return 0;
	switch (type)
	{
		case AV_S:
			n = v.type == jbvString ? v.val.string.len : 0;
			return stored ? n + varint_size(n) : n;
		case AV_N:
			n = v.type == jbvString ?
				dynamo_number_size(v.val.string.val, v.val.string.len) : 0;
			return n + (stored ? 1 : 0);
		case AV_B:
			n = v.type == jbvString ?
				dynamo_base64_decoded_len(v.val.string.val, v.val.string.len) : 0;
			return n + (stored ? 1 : 0);
		case AV_BOOL:
			return 1;
		case AV_NULL:
			return stored ? 0 : 1;
		case AV_M:
		case AV_L:
		case AV_SS:
		case AV_NS:
		case AV_BS:
			return v.type == jbvBinary ?
				container_size(type, v.val.binary.data, stored) : 0;
		case AV_INVALID:
			break;
	}
	return 0;
}

/* SPEC 4.2 size of one normalised AttributeValue object. */
int64
dynamo_value_size(JsonbContainer *av)
{
	return value_size(av, false);
}

/* SPEC 4.2 size of a normalised item object. */
int64
dynamo_item_size(JsonbContainer *item)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int64		size = 0;

	if (!JsonContainerIsObject(item))
		return 0;
	it = JsonbIteratorInit(item);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
			size += v.val.string.len;
		else if (r == WJB_VALUE && v.type == jbvBinary)
			size += dynamo_value_size(v.val.binary.data);
	}
	return size;
}

/*
 * What DynamoDB counts against the 1 MB page of a Query or Scan for a
 * normalised item (see the file header); range_key is the name of the
 * table's range key attribute, or NULL.
 */
int64
dynamo_page_size(JsonbContainer *item, const char *range_key)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int			rlen = range_key ? strlen(range_key) : 0;
	bool		is_range = false;
	int64		size = 0;
	int64		range_size = 0;

	if (!JsonContainerIsObject(item))
		return 0;
	it = JsonbIteratorInit(item);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
			is_range = range_key && v.val.string.len == rlen &&
				memcmp(v.val.string.val, range_key, rlen) == 0;
		else if (r == WJB_VALUE && v.type == jbvBinary && is_range)
			range_size = value_size(v.val.binary.data, false);
		else if (r == WJB_VALUE && v.type == jbvBinary)
			size += 1 + value_size(v.val.binary.data, true);
	}
	return 2 + size + (1 + (1 + size) / 3072) * (18 + range_size);
}
