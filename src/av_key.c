/*-------------------------------------------------------------------------
 *
 * av_key.c
 *		Key attributes: the key rules of items and Key arguments, and key
 *		values as column datums.
 *
 * Order of checks, as in DynamoDB: first every AttributeValue (attrval.c),
 * then the item size (both before the table is looked up), then the key
 * attributes (hash key, then range key).  Key errors state the table's key
 * schema in their DETAIL.
 * Key values must be of the table's key type (S, N or B); S and B values must
 * be non-empty and at most 2048 bytes for the hash key and 1024 bytes for the
 * range key (B measured decoded).  Numbers need no size check: the largest is
 * 21 bytes.  A Key argument (GetItem, DeleteItem) must hold exactly the key
 * attributes; anything else is "The provided key element does not match the
 * schema", as in DynamoDB.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "av_internal.h"

/* Raise a ValidationException with the given message. */
#define KEY_ERROR(...) \
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION), errmsg(__VA_ARGS__))

/* Raise a ValidationException whose DETAIL states the key schema ks. */
#define KEY_SCHEMA_ERROR(ks, ...) \
	ereport(ERROR, \
			dynamo_exception_detail(DYNAMO_EXC_VALIDATION, \
									"The table's key schema is %s.", \
									key_schema_text(ks)), \
			errmsg(__VA_ARGS__))

/* "Artist (HASH, S), SongTitle (RANGE, S)": a key schema for messages. */
static char *
key_schema_text(const DynamoKeySchema *ks)
{
	if (ks->range_key)
		return psprintf("%s (HASH, %c), %s (RANGE, %c)", ks->hash_key,
						ks->hash_type, ks->range_key, ks->range_type);
	return psprintf("%s (HASH, %c)", ks->hash_key, ks->hash_type);
}

/* Find attribute name of an item: its type and value; false if absent. */
static bool
find_attr(JsonbContainer *item, const char *name, DynamoAvType *type,
		  JsonbValue *value)
{
	JsonbValue *av;

	if (!JsonContainerIsObject(item))
		return false;
	av = getKeyJsonValueFromContainer(item, name, strlen(name), NULL);
	if (av == NULL || av->type != jbvBinary)
		return false;
	if (!dynamo_av_unwrap(av->val.binary.data, type, value))
		return false;
	/* key types S, N and B hold strings; anything else is a mismatch */
	if ((*type == AV_S || *type == AV_N || *type == AV_B) && value->type != jbvString)
		*type = AV_INVALID;
	return true;
}

/* Check one key attribute (the hash key, or the range key) of an item or key. */
static void
check_key_attr(JsonbContainer *item, const DynamoKeySchema *ks, bool is_hash,
			   bool key_arg)
{
	const char *name = is_hash ? ks->hash_key : ks->range_key;
	char		ktype = is_hash ? ks->hash_type : ks->range_type;
	DynamoAvType type;
	JsonbValue	v;
	int			bytes;

	if (!find_attr(item, name, &type, &v))
	{
		if (key_arg)
			KEY_SCHEMA_ERROR(ks, "The provided key element does not match the schema");
		KEY_SCHEMA_ERROR(ks, "One or more parameter values were invalid: Missing the key %s in the item", name);
	}
	if (dynamo_av_type_name(type)[0] != ktype || dynamo_av_type_name(type)[1] != '\0')
	{
		if (key_arg)
			KEY_SCHEMA_ERROR(ks, "The provided key element does not match the schema");
		KEY_SCHEMA_ERROR(ks, "One or more parameter values were invalid: Type mismatch for key %s expected: %c actual: %s",
						 name, ktype, dynamo_av_type_name(type));
	}
	if (ktype == 'N')
		return;
	bytes = (ktype == 'S') ? v.val.string.len :
		dynamo_base64_decoded_len(v.val.string.val, v.val.string.len);
	if (bytes == 0)
		KEY_ERROR("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s",
				  ktype == 'S' ? "string" : "binary", name);
	/* AWS's messages name no attribute (and lack a space after "of") */
	if (is_hash && bytes > DYNAMO_MAX_HASH_KEY_BYTES)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"Hash key \"%s\" is %d bytes.", name, bytes),
				errmsg("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of%d bytes",
					   DYNAMO_MAX_HASH_KEY_BYTES));
	if (!is_hash && bytes > DYNAMO_MAX_RANGE_KEY_BYTES)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"Range key \"%s\" is %d bytes.", name, bytes),
				errmsg("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of %d bytes",
					   DYNAMO_MAX_RANGE_KEY_BYTES));
}

/* Check the key attributes of a normalised item or key. */
static void
check_keys(JsonbContainer *item, const DynamoKeySchema *ks, bool key_arg)
{
	check_key_attr(item, ks, true, key_arg);
	if (ks->range_key)
		check_key_attr(item, ks, false, key_arg);
}

/*
 * Validate and normalise an item; ks may be NULL (no key checks, for a
 * caller that checks the AttributeValues before it looks the table up, as
 * DynamoDB does, and the keys after, with dynamo_item_check_keys()).  The
 * size limit comes before the key checks: DynamoDB refuses an oversized item
 * even for a table that does not exist.
 */
Jsonb *
dynamo_item_normalize(Jsonb *item, const DynamoKeySchema *ks)
{
	int64		size;
	Jsonb	   *res = dynamo_item_check(item, &size);

	dynamo_item_size_limit(size);
	if (ks)
		check_keys(&res->root, ks, false);
	return res;
}

/*
 * The key checks of an item already normalised without a key schema.  With
 * key_message, a missing or mistyped key attribute gets "The provided key
 * element does not match the schema", BatchWriteItem's message for a
 * PutRequest.
 */
void
dynamo_item_check_keys(Jsonb *item, const DynamoKeySchema *ks, bool key_message)
{
	check_keys(&item->root, ks, key_message);
}

/*
 * Validate and normalise a Key argument: exactly the key attributes of ks
 * (with ks NULL, only its AttributeValues).
 */
Jsonb *
dynamo_key_normalize(Jsonb *key, const DynamoKeySchema *ks)
{
	Jsonb	   *res = dynamo_item_check(key, NULL);

	if (ks == NULL)
		return res;
	if (JsonContainerSize(&res->root) != (ks->range_key ? 2 : 1))
		KEY_SCHEMA_ERROR(ks, "The provided key element does not match the schema");
	check_keys(&res->root, ks, true);
	return res;
}

/* A key attribute of a normalised item as text, numeric or bytea. */
Datum
dynamo_key_datum(JsonbContainer *item, const char *attr, char type)
{
	DynamoAvType t;
	JsonbValue	v;
	char	   *str;
	char	   *bytes;
	int			blen;
	bool		canonical;
	bytea	   *result;

	if (!find_attr(item, attr, &t, &v))
		KEY_ERROR("One or more parameter values were invalid: Missing the key %s in the item", attr);
	if (dynamo_av_type_name(t)[0] != type || dynamo_av_type_name(t)[1] != '\0')
		KEY_ERROR("One or more parameter values were invalid: Type mismatch for key %s expected: %c actual: %s", attr, type, dynamo_av_type_name(t));
	switch (type)
	{
		case 'S':
			return PointerGetDatum(cstring_to_text_with_len(v.val.string.val,
															v.val.string.len));
		case 'N':
			str = pnstrdup(v.val.string.val, v.val.string.len);
			return DirectFunctionCall3(numeric_in, CStringGetDatum(str),
									   ObjectIdGetDatum(InvalidOid),
									   Int32GetDatum(-1));
		case 'B':
			if (!dynamo_base64_decode(v.val.string.val, v.val.string.len,
									  &bytes, &blen, &canonical))
				KEY_ERROR("One or more parameter values were invalid: Invalid base64 in key %s", attr);
			result = palloc(VARHDRSZ + blen);
			SET_VARSIZE(result, VARHDRSZ + blen);
			memcpy(VARDATA(result), bytes, blen);
			return PointerGetDatum(result);
	}
	elog(ERROR, "invalid key type '%c'", type);
	return (Datum) 0;
}

/* Push attribute name with its AttributeValue from item, if present. */
static void
push_attr(JsonbParseState **ps, JsonbContainer *item, const char *name)
{
	JsonbValue	k;
	JsonbValue *av;

	if (!JsonContainerIsObject(item))
		return;
	av = getKeyJsonValueFromContainer(item, name, strlen(name), NULL);
	if (av == NULL)
		return;
	k.type = jbvString;
	k.val.string.val = (char *) name;
	k.val.string.len = strlen(name);
	pushJsonbValue(ps, WJB_KEY, &k);
	pushJsonbValue(ps, WJB_VALUE, av);
}

/* The Keys object of a normalised item: only its key attributes. */
Jsonb *
dynamo_item_keys(JsonbContainer *item, const DynamoKeySchema *ks)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_attr(&ps, item, ks->hash_key);
	if (ks->range_key)
		push_attr(&ps, item, ks->range_key);
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}
