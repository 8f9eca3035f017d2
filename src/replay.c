/*-------------------------------------------------------------------------
 *
 * replay.c
 *		Helpers of time travel, replay and import (sql/install/72_replay.sql).
 *
 * The stream log keeps a record's Keys and images as the JSON text the
 * plugin wrote, and picks its shard by a hash of that Keys text
 * (record_render.c, dynamo_key_hash).  Time travel finds an item's records
 * through that hash (the index on (key_hash, stream_id) of each day partition), so it must write the Keys of a
 * key given in SQL exactly as the plugin would; import_records stores
 * records captured elsewhere in the same canonical text.  Both use the
 * plugin's own writer (record_item.c), never jsonb's output function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "decode.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_sql_item_text);

/*
 * dynamo._item_text(item jsonb) RETURNS text: a normalised item (or Keys
 * map) as the plugin writes it (compact, members in jsonb order).
 */
Datum
dynamo_sql_item_text(PG_FUNCTION_ARGS)
{
	Jsonb	   *item = PG_GETARG_JSONB_P(0);
	StringInfoData out;

	initStringInfo(&out);
	dynamo_json_item(&out, &item->root);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

PG_FUNCTION_INFO_V1(dynamo_sql_keys_text_hash);

/*
 * dynamo._keys_text_hash(keys text) RETURNS bigint: the key hash of a Keys
 * text (docs/output-plugin.md, "Key hash"), as stored in _records.key_hash.
 */
Datum
dynamo_sql_keys_text_hash(PG_FUNCTION_ARGS)
{
	text	   *keys = PG_GETARG_TEXT_PP(0);

	PG_RETURN_INT64((int64) dynamo_key_hash(VARDATA_ANY(keys),
											VARSIZE_ANY_EXHDR(keys)));
}
