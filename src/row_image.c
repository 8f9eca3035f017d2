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
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/jsonb.h"

#include "av_internal.h"
#include "decode.h"


/*
 * Append the canonical DynamoDB text of a number (attrval's rules) to out
 * and set *size to its storage size.  Returns false, appending nothing,
 * when DynamoDB cannot represent the value (NaN, infinities, too many
 * digits, out of range).
 */
bool
dynamo_number_canonical(const char *s, StringInfo out, int *size)
{
	DynamoNumber num;
	char	   *txt;
	int			len;

	if (dynamo_number_parse(s, strlen(s), &num) != DYNAMO_NUM_OK)
		return false;
	txt = dynamo_number_text(&num, &len);
	appendBinaryStringInfo(out, txt, len);
	*size = dynamo_number_storage(&num);
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
	int			size;

	appendBinaryStringInfo(out, "{\"N\":\"", 6);
	if (!dynamo_number_canonical(txt, out, &size))
	{
		out->len = start;
		out->data[start] = '\0';
		return put_s(out, txt, strlen(txt));
	}
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
	n = pg_b64_encode(DYNAMO_B64_SRC(VARDATA_ANY(v)), len, out->data + out->len, enc);
	if (n < 0)
		elog(ERROR, "could not encode bytea as base64");
	out->len += n;
	appendBinaryStringInfo(out, "\"}", 2);
	return len;
}

/*
 * Append a timestamp, timestamptz or date as S in ISO 8601 (UTC for
 * timestamptz), whatever the session's DateStyle and TimeZone; infinities
 * and out-of-range values use the output function.
 */
static int64
put_datetime(StringInfo out, DynamoColumn *col, Datum d)
{
	char		buf[MAXDATELEN + 1];
	struct pg_tm tm;
	fsec_t		fsec = 0;

	if (col->kind == DCOL_DATE)
	{
		DateADT		date = DatumGetDateADT(d);

		if (DATE_NOT_FINITE(date))
		{
			char	   *txt = OutputFunctionCall(&col->out, d);

			return put_s(out, txt, strlen(txt));
		}
		j2date(date + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		EncodeDateOnly(&tm, USE_XSD_DATES, buf);
	}
	else
	{
		Timestamp	ts = DatumGetTimestamp(d);

		if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		{
			char	   *txt = OutputFunctionCall(&col->out, d);

			return put_s(out, txt, strlen(txt));
		}
		EncodeDateTime(&tm, fsec, false, 0, NULL, USE_XSD_DATES, buf);
		if (col->kind == DCOL_TIMESTAMPTZ)
			strcat(buf, "Z");
	}
	return put_s(out, buf, strlen(buf));
}

/*
 * In a PG_CATCH block: discard an error about the value (SQLSTATE class
 * 22, data exception, or 54, program limit exceeded: stack depth); re-throw
 * any other (a cancel or an out-of-memory must not be swallowed).
 */
static void
rethrow_unless_value_error(MemoryContext cxt)
{
	ErrorData  *edata;
	int			errclass;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	errclass = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
	if (errclass != ERRCODE_DATA_EXCEPTION &&
		errclass != ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		PG_RE_THROW();
	FreeErrorData(edata);
	FlushErrorState();
}

/*
 * The jsonb of a json column's text, or NULL when jsonb refuses it (a
 * \u0000 escape, a number beyond numeric's range): such values are sent as
 * S rather than stopping decoding.  jsonb_in is a pure function (it only
 * allocates memory and raises errors), so its error can be caught and
 * discarded without a subtransaction.
 */
static Jsonb *
json_text_to_jsonb(char *txt)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *volatile jb = NULL;

	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(txt)));
	}
	PG_CATCH();
	{
		rethrow_unless_value_error(cxt);
		jb = NULL;
	}
	PG_END_TRY();
	return jb;
}

/*
 * Marshall a jsonb value as an AttributeValue; return its size.  A
 * document nested too deep for the stack (far beyond DynamoDB's 32 levels)
 * becomes S with its text (txt, or the jsonb's own text output, which is
 * not recursive) instead of an error that would stop the slot at this
 * change on every attempt.  Marshalling only appends to out and allocates
 * memory, so its stack-depth error can be caught without a subtransaction.
 */
static int64
put_jsonb(StringInfo out, Jsonb *jb, char *txt)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			start = out->len;
	volatile int64 size = 0;
	volatile bool too_deep = false;

	PG_TRY();
	{
		int64		s;

		dynamo_marshall_container(out, &jb->root, &s);
		size = s;
	}
	PG_CATCH();
	{
		rethrow_unless_value_error(cxt);
		too_deep = true;
	}
	PG_END_TRY();
	if (!too_deep)
		return size;
	out->len = start;
	out->data[start] = '\0';
	if (txt == NULL)
		txt = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	return put_s(out, txt, strlen(txt));
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
				char	   *txt = NULL;

				if (col->kind == DCOL_JSONB)
					jb = DatumGetJsonbP(d);
				else
				{
					txt = OutputFunctionCall(&col->out, d);
					jb = json_text_to_jsonb(txt);
					if (jb == NULL)
						return put_s(out, txt, strlen(txt));
				}
				return put_jsonb(out, jb, txt);
			}
		case DCOL_TIMESTAMPTZ:
		case DCOL_TIMESTAMP:
		case DCOL_DATE:
			return put_datetime(out, col, d);
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
