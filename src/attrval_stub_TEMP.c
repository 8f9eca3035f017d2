/*-------------------------------------------------------------------------
 *
 * attrval_stub_TEMP.c
 *		TEMPORARY stand-in for the attrval branch: just enough to build and
 *		run the item API.  Deleted when the real core is merged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "attrval.h"

/* Find attribute attr of an object container. */
static JsonbValue *
stub_find(JsonbContainer *c, const char *attr)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) attr;
	k.val.string.len = strlen(attr);
	return findJsonbValueFromContainer(c, JB_FOBJECT, &k);
}

/* Check one key attribute. */
static void
stub_check_key(Jsonb *item, const char *attr, char type)
{
	(void) dynamo_key_datum(&item->root, attr, type);
}

/* Stub: only key checks. */
Jsonb *
dynamo_item_normalize(Jsonb *item, const DynamoKeySchema *ks)
{
	if (!JB_ROOT_IS_OBJECT(item))
		ereport(ERROR, errcode(ERRCODE_DYNAMO_VALIDATION),
				errmsg("%s: item must be an object", DYNAMO_VALIDATION));
	if (ks)
	{
		stub_check_key(item, ks->hash_key, ks->hash_type);
		if (ks->range_key)
			stub_check_key(item, ks->range_key, ks->range_type);
	}
	return item;
}

/* Stub. */
Jsonb *
dynamo_key_normalize(Jsonb *key, const DynamoKeySchema *ks)
{
	int			n = ks->range_key ? 2 : 1;

	dynamo_item_normalize(key, ks);
	if (JsonContainerSize(&key->root) != n)
		ereport(ERROR, errcode(ERRCODE_DYNAMO_VALIDATION),
				errmsg("%s: The provided key element does not match the schema", DYNAMO_VALIDATION));
	return key;
}

/* Stub. */
Datum
dynamo_key_datum(JsonbContainer *item, const char *attr, char type)
{
	JsonbValue *v = stub_find(item, attr);
	JsonbValue *s;
	char		t[2] = {type, 0};
	char	   *str;

	if (v == NULL || v->type != jbvBinary)
		ereport(ERROR, errcode(ERRCODE_DYNAMO_VALIDATION),
				errmsg("%s: One or more parameter values were invalid: Missing the key %s in the item", DYNAMO_VALIDATION, attr));
	s = stub_find(v->val.binary.data, t);
	if (s == NULL || s->type != jbvString)
		ereport(ERROR, errcode(ERRCODE_DYNAMO_VALIDATION),
				errmsg("%s: One or more parameter values were invalid: Type mismatch for key %s", DYNAMO_VALIDATION, attr));
	str = pnstrdup(s->val.string.val, s->val.string.len);
	if (type == 'S')
		return PointerGetDatum(cstring_to_text(str));
	if (type == 'N')
		return DirectFunctionCall3(numeric_in, CStringGetDatum(str), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	{
		int			len = pg_b64_dec_len(strlen(str));
		bytea	   *b = palloc(VARHDRSZ + len);

		len = pg_b64_decode(str, strlen(str), VARDATA(b), len);
		SET_VARSIZE(b, VARHDRSZ + len);
		return PointerGetDatum(b);
	}
}

/* Stub. */
int64
dynamo_item_size(JsonbContainer *item)
{
	return 0;
}

/* Stub. */
char *
dynamo_number_normalize(const char *str, int len, const char *attr)
{
	return pnstrdup(str, len);
}
