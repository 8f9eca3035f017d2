/*-------------------------------------------------------------------------
 *
 * av_sql.c
 *		SQL functions of the AttributeValue core: dynamo.validate_item,
 *		dynamo.item_size, dynamo.marshall, dynamo.unmarshall, and the internal
 *		dynamo._check_item / dynamo._check_key used by tests.
 *
 * item_size validates the item (an invalid item has no size) but does not
 * apply the 400 KB limit, so that an oversized item can still be measured.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "av_internal.h"

PG_FUNCTION_INFO_V1(dynamo_sql_validate_item);
PG_FUNCTION_INFO_V1(dynamo_sql_item_size);
PG_FUNCTION_INFO_V1(dynamo_sql_marshall);
PG_FUNCTION_INFO_V1(dynamo_sql_unmarshall);
PG_FUNCTION_INFO_V1(dynamo_sql_check_item);
PG_FUNCTION_INFO_V1(dynamo_sql_key_value);
PG_FUNCTION_INFO_V1(dynamo_sql_stored_item_size);

/* dynamo.validate_item(item jsonb) RETURNS jsonb: the normalised item. */
Datum
dynamo_sql_validate_item(PG_FUNCTION_ARGS)
{
	dynamo_require_utf8();
	PG_RETURN_JSONB_P(dynamo_item_normalize(PG_GETARG_JSONB_P(0), NULL));
}

/* dynamo.item_size(item jsonb) RETURNS bigint: validates, no 400 KB limit. */
Datum
dynamo_sql_item_size(PG_FUNCTION_ARGS)
{
	int64		size;

	dynamo_require_utf8();
	(void) dynamo_item_check(PG_GETARG_JSONB_P(0), &size);
	PG_RETURN_INT64(size);
}

/* dynamo.marshall(item jsonb) RETURNS jsonb. */
Datum
dynamo_sql_marshall(PG_FUNCTION_ARGS)
{
	dynamo_require_utf8();
	PG_RETURN_JSONB_P(dynamo_marshall_jsonb(PG_GETARG_JSONB_P(0)));
}

/* dynamo.unmarshall(item jsonb) RETURNS jsonb. */
Datum
dynamo_sql_unmarshall(PG_FUNCTION_ARGS)
{
	dynamo_require_utf8();
	PG_RETURN_JSONB_P(dynamo_unmarshall_jsonb(PG_GETARG_JSONB_P(0)));
}

/* A key type argument: 'S', 'N' or 'B'. */
static char
key_type_arg(text *t)
{
	char	   *s = text_to_cstring(t);

	if (strlen(s) != 1 || strchr("SNB", s[0]) == NULL)
		ereport(ERROR,
				dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("Member must satisfy enum value set: [B, N, S]"));
	return s[0];
}

/*
 * dynamo._check_item(item, hash_key, hash_type, range_key, range_type,
 * is_key): dynamo_item_normalize (or dynamo_key_normalize when is_key) with
 * that key schema.  Not strict: range_key and range_type may be NULL.
 */
Datum
dynamo_sql_check_item(PG_FUNCTION_ARGS)
{
	DynamoKeySchema ks;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	memset(&ks, 0, sizeof(ks));
	ks.hash_key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ks.hash_type = key_type_arg(PG_GETARG_TEXT_PP(2));
	if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4))
	{
		ks.range_key = text_to_cstring(PG_GETARG_TEXT_PP(3));
		ks.range_type = key_type_arg(PG_GETARG_TEXT_PP(4));
	}
	if (!PG_ARGISNULL(5) && PG_GETARG_BOOL(5))
		PG_RETURN_JSONB_P(dynamo_key_normalize(PG_GETARG_JSONB_P(0), &ks));
	PG_RETURN_JSONB_P(dynamo_item_normalize(PG_GETARG_JSONB_P(0), &ks));
}

/*
 * dynamo._key_value(item, attr, type): dynamo_key_datum as text (the output
 * of the text, numeric or bytea column value), plus the Keys object.
 */
Datum
dynamo_sql_key_value(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);
	char	   *attr = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char		type = key_type_arg(PG_GETARG_TEXT_PP(2));
	Datum		d = dynamo_key_datum(&item->root, attr, type);
	Oid			typid = (type == 'S') ? TEXTOID : (type == 'N') ? NUMERICOID : BYTEAOID;
	Oid			outfn;
	bool		isvarlena;
	DynamoKeySchema ks;
	StringInfoData buf;

	getTypeOutputInfo(typid, &outfn, &isvarlena);
	memset(&ks, 0, sizeof(ks));
	ks.hash_key = attr;
	ks.hash_type = type;
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s", OidOutputFunctionCall(outfn, d),
					 JsonbToCString(NULL, &dynamo_item_keys(&item->root, &ks)->root, 0));
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/*
 * dynamo._stored_item_size(item): dynamo_item_size, the size of an item that
 * is already normalised, without validation (what the output plugin uses).
 */
Datum
dynamo_sql_stored_item_size(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);

	PG_RETURN_INT64(dynamo_item_size(&item->root));
}
