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
 * The text of a record depends on the WAL only, never on the settings of
 * the session that reads the slot or of the server (extra_float_digits,
 * DateStyle, IntervalStyle, TimeZone, bytea_output, lc_monetary,
 * search_path...): floats are written as their shortest exact decimal,
 * dates and times as ISO 8601 (UTC), intervals as ISO 8601 durations, money
 * as a number, bytea as base64, by code that reads no setting.  Other types
 * use their output function; those whose output may depend on a setting
 * (arrays of timestamps, geometric types, reg* types, user types...) run
 * it under one fixed set of settings (pin_settings), set once per decoded
 * transaction.
 *
 * Sizes: no value is rendered into more than max-record-bytes (the JSON
 * writers check; see record_json.c).  Values whose stored size alone shows
 * that they cannot fit are refused before they are detoasted or rendered.
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
#include "common/shortest_dec.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/varbit.h"

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

	DYNAMO_ROOM(out, strlen(txt) + 8);
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

	DYNAMO_ROOM(out, (Size) enc + 8);
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
 * A float8 or float4 as N: its shortest decimal text that reads back as the
 * same value (what extra_float_digits = 1, the default, prints), whatever
 * the session's extra_float_digits.  NaN and infinities become S.
 */
static int64
put_float(StringInfo out, DynamoColumn *col, Datum d)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN + 1];

	if (col->kind == DCOL_FLOAT8)
		double_to_shortest_decimal_buf(DatumGetFloat8(d), buf);
	else
		float_to_shortest_decimal_buf(DatumGetFloat4(d), buf);
	return put_n(out, buf);
}

/*
 * money as N: the amount in units of 1/100 (the scale of lc_monetary 'C'
 * and of most currencies), whatever the session's lc_monetary.
 */
static int64
put_money(StringInfo out, Datum d)
{
	int64		cents = DatumGetInt64(d);
	uint64		mag = cents < 0 ? -(uint64) cents : (uint64) cents;
	char		buf[32];

	snprintf(buf, sizeof(buf), "%s" UINT64_FORMAT ".%02d",
			 cents < 0 ? "-" : "", mag / 100, (int) (mag % 100));
	return put_n(out, buf);
}

/*
 * interval as S: an ISO 8601 duration ("P1Y2M3DT4H5M6.5S"), whatever the
 * session's IntervalStyle; infinite intervals as "infinity"/"-infinity".
 */
static int64
put_interval(StringInfo out, DynamoColumn *col, Datum d)
{
	Interval   *span = DatumGetIntervalP(d);
	char		buf[MAXDATELEN + 1];

	if (DYNAMO_INTERVAL_NOT_FINITE(span))
	{
		char	   *txt = OutputFunctionCall(&col->out, d);

		return put_s(out, txt, strlen(txt));
	}
	DYNAMO_INTERVAL_ISO(span, buf);
	return put_s(out, buf, strlen(buf));
}

/* The settings that output functions run under (DCOL_S_PINNED). */
static const struct
{
	const char *name;
	const char *value;
}			pinned_settings[] =
{
	{"DateStyle", "ISO, YMD"},
	{"IntervalStyle", "iso_8601"},
	{"TimeZone", "UTC"},
	{"extra_float_digits", "1"},
	{"bytea_output", "hex"},
	{"lc_monetary", "C"},
	{"search_path", "pg_catalog"},
	{"quote_all_identifiers", "off"},
};

/*
 * The GUC nest level of the fixed settings, while they are in force (0
 * when not).  They are set at the first row of a decoded transaction that
 * needs them and kept until its commit callback (dynamo_release_settings):
 * setting eight GUCs per row would cost more than rendering the row.
 * Nothing else the plugin does between changes reads these settings.  If
 * decoding fails, the transaction's abort restores the session's values
 * (and dynamo_forget_settings forgets the level).
 */
static int	pinned_level = 0;

/*
 * Set the fixed settings for output functions in a new GUC nest level, as
 * a function's SET clause does.
 */
static void
pin_settings(void)
{
	int			i;

	if (pinned_level > 0)
		return;
	pinned_level = NewGUCNestLevel();
	for (i = 0; i < lengthof(pinned_settings); i++)
		(void) set_config_option(pinned_settings[i].name, pinned_settings[i].value,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
}

/* Restore the session's settings at the end of a decoded transaction. */
void
dynamo_release_settings(void)
{
	if (pinned_level > 0)
		AtEOXact_GUC(true, pinned_level);
	pinned_level = 0;
}

/* Forget a nest level that a failed decoding's abort has popped already. */
void
dynamo_forget_settings(void)
{
	pinned_level = 0;
}

/*
 * In a PG_CATCH block: take the current error if it is about the data
 * (SQLSTATE class 22, data exception, or 54, program limit exceeded: stack
 * depth, a full string buffer, max-record-bytes) and describe it in *omit;
 * re-throw any other (a cancel or an out-of-memory must not be swallowed).
 * With omit NULL (a value-level fallback) max-record-bytes is re-thrown
 * too: only the record can deal with it.
 */
void
dynamo_catch_value_error(MemoryContext cxt, DynamoOmitInfo *omit)
{
	ErrorData  *edata;
	int			errclass;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	errclass = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
	if ((errclass != ERRCODE_DATA_EXCEPTION &&
		 errclass != ERRCODE_PROGRAM_LIMIT_EXCEEDED) ||
		(omit == NULL && dynamo_out_limit_hit))
		PG_RE_THROW();
	FlushErrorState();
	if (omit)
	{
		omit->too_big = dynamo_out_limit_hit;
		omit->sqlerrcode = edata->sqlerrcode;
		omit->message = edata->message;
	}
	dynamo_out_limit_hit = false;
}

/* Discard an error about a value (see dynamo_catch_value_error). */
static void
rethrow_unless_value_error(MemoryContext cxt)
{
	dynamo_catch_value_error(cxt, NULL);
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

/*
 * Refuse, before detoasting or rendering it, a varlena value whose stored
 * size shows that its JSON would pass the limit: text and bytea exactly
 * (the JSON is at least the bytes + quotes, or the base64), values of
 * output-function types when stored larger than a quarter of
 * max-record-bytes (their text is rarely more than 4 times their stored
 * size, and this bounds it far below MaxAllocSize), bit strings by their
 * length in bits.
 */
static void
check_stored_size(StringInfo out, DynamoColumn *col, Form_pg_attribute att,
				  Datum d)
{
	Size		raw;

	if (att->attlen != -1)
		return;
	raw = toast_raw_datum_size(d) - VARHDRSZ;
	switch (col->kind)
	{
		case DCOL_S:
			DYNAMO_ROOM(out, raw + 8);
			break;
		case DCOL_B:
			DYNAMO_ROOM(out, (raw + 2) / 3 * 4 + 8);
			break;
		case DCOL_S_OUT:
		case DCOL_S_PINNED:
			/* row images are built in buffers of their own: limit = max */
			if (raw > dynamo_out_limit / 4)
				dynamo_too_big();
			if (att->atttypid == BITOID || att->atttypid == VARBITOID)
			{
				VarBit	   *vb = DatumGetVarBitP(d);

				DYNAMO_ROOM(out, (Size) VARBITLEN(vb) + 8);
			}
			break;
		default:
			break;
	}
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
		case DCOL_FLOAT4:
		case DCOL_FLOAT8:
			return put_float(out, col, d);
		case DCOL_MONEY:
			return put_money(out, d);
		case DCOL_INTERVAL:
			return put_interval(out, col, d);
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
		case DCOL_S_PINNED:
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
 * The value of column i to render: the row's, or for an unchanged TOASTed
 * value (an on-disk pointer) the fallback row's when it has it inline.
 * Returns false when there is none to render.
 */
static bool
row_value(TupleDesc desc, int i, Datum *values, bool *nulls,
		  HeapTuple fallback, Datum **fvalues, bool **fnulls, Datum *d)
{
	if (nulls[i])
		return false;
	*d = values[i];
	if (TupleDescAttr(desc, i)->attlen != -1 ||
		!VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(*d)))
		return true;
	if (fallback == NULL)
		return false;
	if (*fvalues == NULL)
	{
		*fvalues = palloc(sizeof(Datum) * desc->natts);
		*fnulls = palloc(sizeof(bool) * desc->natts);
		heap_deform_tuple(fallback, desc, *fvalues, *fnulls);
	}
	if ((*fnulls)[i] || VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer((*fvalues)[i])))
		return false;
	*d = (*fvalues)[i];
	return true;
}

/* Append "name":value to an image's map; return its size. */
static int64
put_member(StringInfo out, DynamoColumn *col, Form_pg_attribute att, Datum d)
{
	if (out->len > 1)
		appendStringInfoCharMacro(out, ',');
	DYNAMO_ROOM(out, strlen(col->name_json) + 1);
	appendStringInfoString(out, col->name_json);
	appendStringInfoCharMacro(out, ':');
	check_stored_size(out, col, att, d);
	return col->name_len + put_value(out, col, d);
}

/* Build the maps of dynamo_row_image (see there). */
static void
build_row_image(DynamoRelInfo *info, TupleDesc desc, HeapTuple tuple,
				HeapTuple fallback, bool keys_only, DynamoImage *img)
{
	int			natts = Min(desc->natts, info->natts);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	Datum	   *fvalues = NULL;
	bool	   *fnulls = NULL;
	int			i;

	heap_deform_tuple(tuple, desc, values, nulls);
	appendStringInfoCharMacro(&img->keys, '{');
	if (!keys_only)
		appendStringInfoCharMacro(&img->item, '{');
	for (i = 0; i < natts; i++)
	{
		DynamoColumn *col = &info->cols[i];
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Datum		d;
		int			start;
		int64		size;

		if (col->kind == DCOL_SKIP || (keys_only && !col->is_key) ||
			!row_value(desc, i, values, nulls, fallback, &fvalues, &fnulls, &d))
			continue;
		if (keys_only)
		{
			img->key_size += put_member(&img->keys, col, att, d);
			continue;
		}
		start = img->item.len + (img->item.len > 1);
		size = put_member(&img->item, col, att, d);
		img->item_size += size;
		if (col->is_key)
		{
			if (img->keys.len > 1)
				appendStringInfoCharMacro(&img->keys, ',');
			appendBinaryStringInfo(&img->keys, img->item.data + start,
								   img->item.len - start);
			img->key_size += size;
		}
	}
	appendStringInfoCharMacro(&img->keys, '}');
	if (!keys_only)
		appendStringInfoCharMacro(&img->item, '}');
}

/*
 * Build the AttributeValue image and Keys of a row (only Keys with
 * keys_only).  Values that are unchanged TOASTed pointers are taken from
 * fallback (the old row) when it has them inline, and left out otherwise.
 * May raise an error (a value too deep, max-record-bytes): the caller
 * catches it.
 */
void
dynamo_row_image(DynamoRelInfo *info, TupleDesc desc, HeapTuple tuple,
				 HeapTuple fallback, bool keys_only, DynamoImage *img)
{
	initStringInfo(&img->keys);
	if (!keys_only)
		initStringInfo(&img->item);
	img->key_size = 0;
	img->item_size = 0;
	img->keys_only = keys_only;
	if (info->pinned)
		pin_settings();
	build_row_image(info, desc, tuple, fallback, keys_only, img);
}

/* Are two non-null values of a column the same bytes (after detoasting)? */
static bool
values_identical(Form_pg_attribute att, Datum a, Datum b)
{
	struct varlena *va;
	struct varlena *vb;

	if (att->attlen != -1)
		return datumIsEqual(a, b, att->attbyval, att->attlen);
	if (toast_raw_datum_size(a) != toast_raw_datum_size(b))
		return false;
	va = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(a));
	vb = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(b));
	return VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
		memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
}

/*
 * Does an UPDATE leave every column (or, with keys_only, every primary key
 * column) of a row byte-identical?  An unchanged TOASTed value of the new
 * row (an on-disk pointer) is identical by definition.  Identical rows
 * render identical images, so this settles a no-op without rendering;
 * rows that differ are compared as images (numbers normalised).
 */
bool
dynamo_rows_identical(DynamoRelInfo *info, TupleDesc desc, HeapTuple newtup,
					  HeapTuple oldtup, bool keys_only)
{
	int			natts = Min(desc->natts, info->natts);
	Datum	   *nv = palloc(sizeof(Datum) * desc->natts);
	bool	   *nn = palloc(sizeof(bool) * desc->natts);
	Datum	   *ov = palloc(sizeof(Datum) * desc->natts);
	bool	   *on = palloc(sizeof(bool) * desc->natts);
	int			i;

	heap_deform_tuple(newtup, desc, nv, nn);
	heap_deform_tuple(oldtup, desc, ov, on);
	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (info->cols[i].kind == DCOL_SKIP || (keys_only && !info->cols[i].is_key))
			continue;
		if (nn[i] != on[i])
			return false;
		if (nn[i])
			continue;
		if (att->attlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(nv[i])))
			continue;
		if (att->attlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(ov[i])))
			return false;
		if (!values_identical(att, nv[i], ov[i]))
			return false;
	}
	return true;
}
