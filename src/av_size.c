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

/* Size of the members of an M, L or set value. */
static int64
container_size(DynamoAvType type, JsonbContainer *c)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken r;
	int64		size = (type == AV_M || type == AV_L) ? 3 : 0;

	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (r == WJB_KEY)
			size += 1 + v.val.string.len;
		else if (r == WJB_ELEM && type == AV_L)
			size += 1 + (v.type == jbvBinary ? dynamo_value_size(v.val.binary.data) : 0);
		else if (r == WJB_VALUE)
			size += (v.type == jbvBinary ? dynamo_value_size(v.val.binary.data) : 0);
		else if (r == WJB_ELEM)
			size += set_member_size(type, &v);
	}
	return size;
}

/* SPEC 4.2 size of one normalised AttributeValue object. */
int64
dynamo_value_size(JsonbContainer *av)
{
	DynamoAvType type;
	JsonbValue	v;

	check_stack_depth();
	if (!dynamo_av_unwrap(av, &type, &v))
		return 0;
	switch (type)
	{
		case AV_S:
			return v.type == jbvString ? v.val.string.len : 0;
		case AV_N:
			return v.type == jbvString ?
				dynamo_number_size(v.val.string.val, v.val.string.len) : 0;
		case AV_B:
			return v.type == jbvString ?
				dynamo_base64_decoded_len(v.val.string.val, v.val.string.len) : 0;
		case AV_BOOL:
		case AV_NULL:
			return 1;
		case AV_M:
		case AV_L:
		case AV_SS:
		case AV_NS:
		case AV_BS:
			return v.type == jbvBinary ? container_size(type, v.val.binary.data) : 0;
		case AV_INVALID:
			break;
	}
	return 0;
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
