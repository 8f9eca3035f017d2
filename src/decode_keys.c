/*-------------------------------------------------------------------------
 *
 * decode_keys.c
 *		Keys of an item-table row from its key columns.
 *
 * The plugin takes the Keys of an item-table record from the item (the
 * jsonb column).  Item tables keep REPLICA IDENTITY FULL (an event trigger
 * refuses anything else), so the old item of an UPDATE or DELETE is in the
 * WAL.  If the identity was changed anyway (the event trigger bypassed),
 * the old row of a DELETE holds only the key columns pk and sk; the REMOVE
 * must not be lost, so its Keys are rebuilt from them: pk/sk hold the key
 * attributes' values (text for S, numeric for N, bytea for B; see
 * src/item_guard.c), and the map is written in jsonb key order, exactly as
 * the Keys taken from an item would be.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "utils/builtins.h"

#include "decode.h"

/* Append "name":{"T":value} for one key column; return its size, or -1. */
static int64
put_key_column(StringInfo out, const char *name, char type, Datum d)
{
	int			name_len = strlen(name);
	int64		size = name_len;

	dynamo_json_string(out, name, name_len);
	appendStringInfo(out, ":{\"%c\":", type);
	if (type == 'S')
	{
		text	   *t = DatumGetTextPP(d);

		dynamo_json_string(out, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		size += VARSIZE_ANY_EXHDR(t);
	}
	else if (type == 'N')
	{
		char	   *txt = DatumGetCString(DirectFunctionCall1(numeric_out, d));
		int			nsize;

		appendStringInfoCharMacro(out, '"');
		if (!dynamo_number_canonical(txt, out, &nsize))
			return -1;
		appendStringInfoCharMacro(out, '"');
		size += nsize;
	}
	else
	{
		bytea	   *b = DatumGetByteaPP(d);
		int			len = VARSIZE_ANY_EXHDR(b);
		int			enc = pg_b64_enc_len(len);
		int			n;

		appendStringInfoCharMacro(out, '"');
		enlargeStringInfo(out, enc + 1);
		n = pg_b64_encode(DYNAMO_B64_SRC(VARDATA_ANY(b)), len,
						  out->data + out->len, enc);
		if (n < 0)
			return -1;
		out->len += n;
		out->data[out->len] = '\0';
		appendStringInfoCharMacro(out, '"');
		size += len;
	}
	appendStringInfoCharMacro(out, '}');
	return size;
}

/*
 * Write the Keys map of an item-table row from its key columns into out;
 * *size gets its DynamoDB size.  Returns false (out undefined) when a key
 * column is missing or null.
 */
bool
dynamo_item_keys_from_columns(DynamoRelInfo *info, TupleDesc desc,
							  HeapTuple tuple, StringInfo out, int64 *size)
{
	const char *names[2] = {info->hash_key, info->range_key};
	Datum		vals[2];
	int			order[2] = {0, 1};
	int			nkeys = info->range_key ? 2 : 1;
	int			i;

	*size = 0;
	for (i = 0; i < nkeys; i++)
	{
		bool		isnull;

		if (info->key_attnums[i] <= 0 || info->key_attnums[i] > desc->natts)
			return false;
		vals[i] = heap_getattr(tuple, info->key_attnums[i], desc, &isnull);
		if (isnull || VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(vals[i])))
			return false;
	}
	/* jsonb key order: shorter names first, then bytewise */
	if (nkeys == 2)
	{
		int			hl = strlen(names[0]);
		int			rl = strlen(names[1]);

		if (rl < hl || (rl == hl && memcmp(names[1], names[0], hl) < 0))
		{
			order[0] = 1;
			order[1] = 0;
		}
	}
	appendStringInfoCharMacro(out, '{');
	for (i = 0; i < nkeys; i++)
	{
		int			k = order[i];
		int64		s;

		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		s = put_key_column(out, names[k], info->key_types[k], vals[k]);
		if (s < 0)
			return false;
		*size += s;
	}
	appendStringInfoCharMacro(out, '}');
	return true;
}
