/*-------------------------------------------------------------------------
 *
 * row_image.c
 *		A row of a stream-enabled ordinary table as an AttributeValue map.
 *
 * Columns map by type (docs/output-plugin.md): text types -> S, integer
 * and floating/numeric types -> N in DynamoDB's normalised form, bytea ->
 * B, boolean -> BOOL, json/jsonb -> marshalled, NULL -> omitted, anything
 * else -> S of its output function.  Numbers DynamoDB cannot hold (NaN,
 * infinities, more than 38 significant digits, out of range) are sent as S
 * rather than failing: an error here would make the slot undecodable.
 *
 * Unchanged TOASTed values of an UPDATE's new tuple arrive as on-disk
 * pointers; they are taken from the old tuple (REPLICA IDENTITY FULL logs
 * it with every value inline) and never fetched from the table.  The map
 * and the Keys map are built as JSON text so that two images can be
 * compared byte for byte (no-op detection).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "decode.h"

#define MAX_NUMBER_DIGITS 38

/*
 * Append the canonical DynamoDB form of a decimal number text (optional
 * sign, digits, optional fraction, optional exponent) to out: no exponent,
 * no leading or trailing zeros, "0" for zero.  Returns false, appending
 * nothing, when DynamoDB cannot represent the value.
 */
bool
dynamo_number_canonical(const char *s, StringInfo out)
{
	char		digits[MAX_NUMBER_DIGITS + 1];
	int			nd = 0;
	int			dp = 0;			/* value = 0.digits x 10^dp */
	bool		neg = false;
	bool		seen_point = false;
	bool		leading = true;
	int			pending_zeros = 0;
	const char *p = s;
	int			i;

	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return false;			/* NaN, Infinity */
	for (; *p; p++)
	{
		if (*p == '.' && !seen_point)
			seen_point = true;
		else if (*p >= '0' && *p <= '9')
		{
			if (leading && *p == '0')
			{
				if (seen_point)
					dp--;
				continue;
			}
			leading = false;
			if (!seen_point)
				dp++;
			if (*p == '0')
			{
				pending_zeros++;
				continue;
			}
			if (nd + pending_zeros + 1 > MAX_NUMBER_DIGITS)
				return false;
			while (pending_zeros > 0)
			{
				digits[nd++] = '0';
				pending_zeros--;
			}
			digits[nd++] = *p;
		}
		else if (*p == 'e' || *p == 'E')
		{
			char	   *end;
			long		e = strtol(p + 1, &end, 10);

			if (*end != '\0' || e > 1000 || e < -1000)
				return false;
			dp += (int) e;
			break;
		}
		else
			return false;
	}
	if (nd == 0)
	{
		appendStringInfoChar(out, '0');
		return true;
	}
	if (dp > 126 || dp < -129)
		return false;
	if (neg)
		appendStringInfoChar(out, '-');
	if (dp <= 0)
	{
		appendStringInfoString(out, "0.");
		for (i = dp; i < 0; i++)
			appendStringInfoChar(out, '0');
		appendBinaryStringInfo(out, digits, nd);
	}
	else if (dp >= nd)
	{
		appendBinaryStringInfo(out, digits, nd);
		for (i = nd; i < dp; i++)
			appendStringInfoChar(out, '0');
	}
	else
	{
		appendBinaryStringInfo(out, digits, dp);
		appendStringInfoChar(out, '.');
		appendBinaryStringInfo(out, digits + dp, nd - dp);
	}
	return true;
}

/* Append {"S":"<text>"}; return the size. */
static int64
put_s(StringInfo out, const char *s, int len)
{
	appendBinaryStringInfo(out, "{\"S\":", 5);
	dynamo_json_string(out, s, len);
	appendStringInfoCharMacro(out, '}');
	return len;
}

/* Append a number from its text as N (or S when not representable). */
static int64
put_n(StringInfo out, const char *txt)
{
	int			start = out->len;
	int64		size;

	appendBinaryStringInfo(out, "{\"N\":\"", 6);
	if (!dynamo_number_canonical(txt, out))
	{
		out->len = start;
		out->data[start] = '\0';
		return put_s(out, txt, strlen(txt));
	}
	size = dynamo_number_size(out->data + start + 6, out->len - start - 6);
	appendBinaryStringInfo(out, "\"}", 2);
	return size;
}

/* Append a bytea as B (base64); return the size. */
static int64
put_b(StringInfo out, struct varlena *v)
{
	int			len = VARSIZE_ANY_EXHDR(v);
	int			enc = pg_b64_enc_len(len);
	int			n;

	appendBinaryStringInfo(out, "{\"B\":\"", 6);
	enlargeStringInfo(out, enc + 3);
	n = pg_b64_encode(VARDATA_ANY(v), len, out->data + out->len, enc);
	if (n < 0)
		elog(ERROR, "could not encode bytea as base64");
	out->len += n;
	appendBinaryStringInfo(out, "\"}", 2);
	return len;
}

/* Append one non-null column value as an AttributeValue; return its size. */
static int64
put_value(StringInfo out, DynamoColumn *col, Datum d)
{
	switch (col->kind)
	{
		case DCOL_S:
			{
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));

				return put_s(out, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
			}
		case DCOL_N_INT:
		case DCOL_N_OUT:
			return put_n(out, OutputFunctionCall(&col->out, d));
		case DCOL_B:
			return put_b(out, pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d)));
		case DCOL_BOOL:
			appendStringInfoString(out, DatumGetBool(d) ? "{\"BOOL\":true}" : "{\"BOOL\":false}");
			return 1;
		case DCOL_JSONB:
		case DCOL_JSON:
			{
				Jsonb	   *jb;
				int64		size;

				if (col->kind == DCOL_JSONB)
					jb = DatumGetJsonbP(d);
				else
					jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(OutputFunctionCall(&col->out, d))));
				dynamo_marshall_container(out, &jb->root, &size);
				return size;
			}
		case DCOL_S_OUT:
			{
				char	   *txt = OutputFunctionCall(&col->out, d);

				return put_s(out, txt, strlen(txt));
			}
		case DCOL_SKIP:
			break;
	}
	return 0;
}

/*
 * Build the AttributeValue image and Keys of a row.  Values that are
 * unchanged TOASTed pointers are taken from fallback (the old row) when it
 * has them inline, and left out otherwise.
 */
void
dynamo_row_image(DynamoRelInfo *info, TupleDesc desc, HeapTuple tuple,
				 HeapTuple fallback, DynamoImage *img)
{
	int			natts = Min(desc->natts, info->natts);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	Datum	   *fvalues = NULL;
	bool	   *fnulls = NULL;
	int			i;

	initStringInfo(&img->keys);
	initStringInfo(&img->item);
	img->key_size = 0;
	img->item_size = 0;
	heap_deform_tuple(tuple, desc, values, nulls);
	appendStringInfoCharMacro(&img->keys, '{');
	appendStringInfoCharMacro(&img->item, '{');
	for (i = 0; i < natts; i++)
	{
		DynamoColumn *col = &info->cols[i];
		Datum		d = values[i];
		int			start;
		int64		size;

		if (col->kind == DCOL_SKIP || nulls[i])
			continue;
		if (TupleDescAttr(desc, i)->attlen == -1 &&
			VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
		{
			if (fallback == NULL)
				continue;
			if (fvalues == NULL)
			{
				fvalues = palloc(sizeof(Datum) * desc->natts);
				fnulls = palloc(sizeof(bool) * desc->natts);
				heap_deform_tuple(fallback, desc, fvalues, fnulls);
			}
			if (fnulls[i] || VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(fvalues[i])))
				continue;
			d = fvalues[i];
		}
		if (img->item.len > 1)
			appendStringInfoCharMacro(&img->item, ',');
		appendStringInfoString(&img->item, col->name_json);
		appendStringInfoCharMacro(&img->item, ':');
		start = img->item.len;
		size = col->name_len + put_value(&img->item, col, d);
		img->item_size += size;
		if (col->is_key)
		{
			if (img->keys.len > 1)
				appendStringInfoCharMacro(&img->keys, ',');
			appendStringInfoString(&img->keys, col->name_json);
			appendStringInfoCharMacro(&img->keys, ':');
			appendBinaryStringInfo(&img->keys, img->item.data + start,
								   img->item.len - start);
			img->key_size += size;
		}
	}
	appendStringInfoCharMacro(&img->keys, '}');
	appendStringInfoCharMacro(&img->item, '}');
}
