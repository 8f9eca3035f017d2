/*-------------------------------------------------------------------------
 *
 * stream_shard_for.c
 *		The key hash of an ordinary table's key, for dynamo.shard_for.
 *
 * The plugin picks a record's shard by the hash of its Keys text
 * (record_render.c, dynamo_key_hash).  For an item table that text is the
 * key attributes in jsonb key order (dynamo._key_hash); for a
 * stream-enabled ordinary table it is the primary key columns in column
 * order (row_image.c), each written as an AttributeValue.  Given the Keys
 * as AttributeValue JSON (normalised by validate_item) and the primary key
 * column names in column order, this writes that same text, member by
 * member with the item writer (record_item.c), and hashes it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "decode.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_key_hash_columns);

/*
 * _key_hash_columns(item jsonb, columns text[]) RETURNS bigint: the key
 * hash of the Keys map made of the attributes named by columns, in that
 * order; NULL when one of them is missing.
 */
Datum
dynamo_sql_key_hash_columns(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);
	ArrayType  *names = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	StringInfoData keys;
	StringInfoData member;
	int			i;

	if (!JB_ROOT_IS_OBJECT(item))
		PG_RETURN_NULL();
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &elem_nulls, &nelems);
	initStringInfo(&keys);
	initStringInfo(&member);
	appendStringInfoCharMacro(&keys, '{');
	for (i = 0; i < nelems; i++)
	{
		bool		found;

		if (elem_nulls[i])
			PG_RETURN_NULL();
		resetStringInfo(&member);
		/* {"name":value}: the member without its braces */
		dynamo_json_keys(&member, &item->root, TextDatumGetCString(elems[i]), NULL, &found);
		if (!found)
			PG_RETURN_NULL();
		if (i > 0)
			appendStringInfoCharMacro(&keys, ',');
		appendBinaryStringInfo(&keys, member.data + 1, member.len - 2);
	}
	appendStringInfoCharMacro(&keys, '}');
	PG_RETURN_INT64((int64) dynamo_key_hash(keys.data, keys.len));
}
