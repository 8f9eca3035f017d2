/*-------------------------------------------------------------------------
 *
 * attrval.c
 *		Validation and normalisation of DynamoDB items (SPEC 4.1, 4.2).
 *
 * One recursive walk over the item checks every rule of DynamoDB and
 * computes the item size at the same time.  The first pass only checks and
 * notes whether anything differs from the normal form (a number spelled
 * differently, a set out of canonical order, non-canonical base64, a type key
 * holding null).  Most items written by programs are already normal, and
 * then the input jsonb is returned as it is.  Otherwise a second pass runs
 * the same walk and pushes the normal form into a JsonbParseState.
 *
 * Canonical forms: numbers as in av_number.c; SS sorted by UTF-8 bytes, NS
 * numerically, BS by decoded bytes (all ascending, unsigned bytewise, shorter
 * first on a common prefix); B and BS members in canonical base64.  Object
 * keys are ordered by jsonb itself.  Together this makes equal DynamoDB items
 * byte-identical jsonb.
 *
 * Attribute names: a top-level name must be 1 byte to under 64 KB long (the
 * documented naming rule; AWS's wording is unknown); map keys are not checked.
 *
 * Nesting: the value of a top-level attribute is at level 1 and each M or L
 * adds one level to its members; a value at level 33 is rejected, which is
 * what AWS does (31 nested maps below an attribute are accepted, 32 are not).
 *
 * Error messages are AWS's own, word for word, where AWS has one (see
 * docs/errors.md); the DETAIL names the offending attribute by its path
 * (a.b[2].c).  A top-level value that is not an AttributeValue gets a hint
 * to dynamo.marshall(), the commonest mistake being plain JSON.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "av_internal.h"

#define AWS_INVALID "One or more parameter values were invalid: "

/* One step of the path to the value being checked. */
typedef struct AvPathElem
{
	const char *name;			/* map key or attribute name, or NULL */
	int			len;
	int			index;			/* list index when name is NULL */
} AvPathElem;

/* State of one walk over an item. */
typedef struct AvWalk
{
	bool		build;			/* second pass: push the normal form */
	bool		dirty;			/* the input differs from its normal form */
	JsonbParseState *ps;
	JsonbValue *result;
	int			depth;			/* entries in path = level of current value */
	const char *detail;			/* av_fail: more DETAIL after the path */
	const char *hint;			/* av_fail: HINT, or NULL */
	AvPathElem	path[DYNAMO_MAX_DEPTH + 2];
} AvWalk;

/* One member of a set while it is being checked and sorted. */
typedef struct SetMember
{
	const char *str;			/* normal-form text to store */
	int			len;
	const char *bytes;			/* sort key: UTF-8 or decoded bytes */
	int			blen;
	int			size;			/* contribution to the item size */
} SetMember;

static const struct
{
	const char *name;
	DynamoAvType type;
}			av_types[] =
{
	{"S", AV_S}, {"N", AV_N}, {"B", AV_B}, {"BOOL", AV_BOOL}, {"NULL", AV_NULL},
	{"M", AV_M}, {"L", AV_L}, {"SS", AV_SS}, {"NS", AV_NS}, {"BS", AV_BS}
};

static int64 av_value(AvWalk *w, JsonbValue *av);
static void av_fail(AvWalk *w, const char *fmt,...)
			pg_attribute_printf(2, 3) pg_attribute_noreturn();
static void av_type_error(AvWalk *w, DynamoAvType type, const char *expected)
			pg_attribute_noreturn();

/* Type of a type key, AV_INVALID if it is not one of the ten. */
DynamoAvType
dynamo_av_type(const char *key, int len)
{
	int			i;

	for (i = 0; i < lengthof(av_types); i++)
		if ((int) strlen(av_types[i].name) == len &&
			memcmp(av_types[i].name, key, len) == 0)
			return av_types[i].type;
	return AV_INVALID;
}

/* The type key of a type. */
const char *
dynamo_av_type_name(DynamoAvType type)
{
	int			i;

	for (i = 0; i < lengthof(av_types); i++)
		if (av_types[i].type == type)
			return av_types[i].name;
	return "?";
}

/* The single type key and value of an AttributeValue object. */
bool
dynamo_av_unwrap(JsonbContainer *av, DynamoAvType *type, JsonbValue *value)
{
	JsonbIterator *it;
	JsonbValue	k;

	if (!JsonContainerIsObject(av) || JsonContainerSize(av) != 1)
		return false;
	it = JsonbIteratorInit(av);
	if (JsonbIteratorNext(&it, &k, true) != WJB_BEGIN_OBJECT ||
		JsonbIteratorNext(&it, &k, true) != WJB_KEY)
		return false;
	*type = dynamo_av_type(k.val.string.val, k.val.string.len);
	if (JsonbIteratorNext(&it, value, true) != WJB_VALUE)
		return false;
	return *type != AV_INVALID;
}

/* Length of s cut to at most max bytes on a character boundary. */
static int
clip_len(const char *s, int len, int max)
{
	return (len <= max) ? len : pg_mbcliplen(s, len, max);
}

/* The path of the current value, as a.b[2].c (long names shortened). */
static char *
av_path(AvWalk *w)
{
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	for (k = 0; k < w->depth; k++)
	{
		AvPathElem *e = &w->path[k];

		if (e->name)
		{
			int			len = e->len;

			if (k > 0)
				appendStringInfoChar(&buf, '.');
			/* long names are cut to 100 bytes (on a character boundary) */
			len = clip_len(e->name, e->len, 100);
			appendBinaryStringInfo(&buf, e->name, len);
			if (len < e->len)
				appendStringInfoString(&buf, "...");
		}
		else
			appendStringInfo(&buf, "[%d]", e->index);
	}
	return buf.data;
}

/* Raise a ValidationException about the current value. */
static void
av_fail(AvWalk *w, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
									"The error is at attribute \"%s\".%s%s",
									av_path(w), w->detail ? " " : "",
									w->detail ? w->detail : ""),
			errmsg_internal("%s", msg.data),
			w->hint ? errhint("%s", w->hint) : 0);
}

/* A type key whose value has the wrong JSON type. */
static void
av_type_error(AvWalk *w, DynamoAvType type, const char *expected)
{
	av_fail(w, AWS_INVALID "The value of an AttributeValue of type %s must be a JSON %s",
			dynamo_av_type_name(type), expected);
}

/* Push a string value with the given token (build pass only). */
static void
push_string(AvWalk *w, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	pushJsonbValue(&w->ps, tok, &v);
}

/* Check a number text; returns its canonical text and storage size. */
static const char *
av_number(AvWalk *w, JsonbValue *v, int *outlen, int *size)
{
	DynamoNumber num;
	DynamoNumStatus st;
	char	   *text;

	if (v->type != jbvString)
		av_type_error(w, AV_N, "string");
	st = dynamo_number_parse(v->val.string.val, v->val.string.len, &num);
	if (st == DYNAMO_NUM_NOT_NUMERIC && v->val.string.len > 0)
		av_fail(w, "%s: %.*s%s", dynamo_number_message(st),
				clip_len(v->val.string.val, v->val.string.len, 100),
				v->val.string.val, v->val.string.len > 100 ? "..." : "");
	if (st != DYNAMO_NUM_OK)
		av_fail(w, "%s", dynamo_number_message(st));
	text = dynamo_number_text(&num, outlen);
	if (*outlen != v->val.string.len ||
		memcmp(text, v->val.string.val, *outlen) != 0)
		w->dirty = true;
	*size = dynamo_number_storage(&num);
	return text;
}

/* Check a base64 text; returns its canonical text and the decoded bytes. */
static const char *
av_binary(AvWalk *w, DynamoAvType type, JsonbValue *v, int *outlen,
		  char **bytes, int *blen)
{
	bool		canonical;

	if (v->type != jbvString)
		av_type_error(w, type, type == AV_B ? "string" : "array of strings");
	if (!dynamo_base64_decode(v->val.string.val, v->val.string.len, bytes,
							  blen, &canonical))
		av_fail(w, AWS_INVALID "Invalid base64 in a binary value: \"%.*s%s\"",
				clip_len(v->val.string.val, v->val.string.len, 100),
				v->val.string.val, v->val.string.len > 100 ? "..." : "");
	if (canonical)
	{
		*outlen = v->val.string.len;
		return v->val.string.val;
	}
	w->dirty = true;
	return dynamo_base64_encode(*bytes, *blen, outlen);
}

/* qsort_arg comparator for set members; arg points to the set type. */
static int
set_member_cmp(const void *a, const void *b, void *arg)
{
	const SetMember *ma = a;
	const SetMember *mb = b;
	int			c;

	if (*(DynamoAvType *) arg == AV_NS)
		return dynamo_number_cmp(ma->str, ma->len, mb->str, mb->len);
	c = memcmp(ma->bytes, mb->bytes, Min(ma->blen, mb->blen));
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (ma->blen == mb->blen) ? 0 : (ma->blen < mb->blen ? -1 : 1);
}

/*
 * AWS's message for a set with a repeated member: the members in input
 * order, unquoted, joined by ", " (long lists and members are shortened).
 */
static void
set_duplicates(AvWalk *w, DynamoAvType type, SetMember *m, int n)
{
	StringInfoData list;
	int			i;

	if (type == AV_NS)
		av_fail(w, "Input collection contains duplicates");
	initStringInfo(&list);
	appendStringInfoChar(&list, '[');
	for (i = 0; i < n && list.len < 1000; i++)
		appendStringInfo(&list, "%s%.*s%s", i == 0 ? "" : ", ",
						 clip_len(m[i].str, m[i].len, 100), m[i].str,
						 m[i].len > 100 ? "..." : "");
	appendStringInfoString(&list, i < n ? ", ...]" : "]");
	if (type == AV_SS)
		av_fail(w, AWS_INVALID "Input collection %s contains duplicates.", list.data);
	av_fail(w, AWS_INVALID "Input collection %sof type BS contains duplicates.", list.data);
}

/* Read one set member into *m. */
static void
set_member(AvWalk *w, DynamoAvType type, JsonbValue *v, SetMember *m)
{
	char	   *bytes;

	if (v->type != jbvString)
		av_type_error(w, type, "array of strings");
	if (type == AV_SS)
	{
		m->str = m->bytes = v->val.string.val;
		m->len = m->blen = m->size = v->val.string.len;
	}
	else if (type == AV_NS)
		m->str = av_number(w, v, &m->len, &m->size);
	else
	{
		m->str = av_binary(w, type, v, &m->len, &bytes, &m->blen);
		m->bytes = bytes;
		m->size = m->blen;
	}
}

/* Check an SS, NS or BS value; push it sorted in the build pass. */
static int64
av_set(AvWalk *w, DynamoAvType type, JsonbValue *v)
{
	JsonbContainer *c;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken r;
	SetMember  *m;
	SetMember  *sorted;
	int			n;
	int			i = 0;
	int64		size = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		av_type_error(w, type, "array of strings");
	c = v->val.binary.data;
	n = JsonContainerSize(c);
	if (n == 0)
		av_fail(w, AWS_INVALID "%s", type == AV_SS ? "An string set  may not be empty" :
				type == AV_NS ? "An number set  may not be empty" :
				"Binary sets should not be empty");
	m = palloc(sizeof(SetMember) * n);
	it = JsonbIteratorInit(c);
	while ((r = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (r != WJB_ELEM)
			continue;			/* the begin/end tokens of the array itself */
		CHECK_FOR_INTERRUPTS();	/* a set may have millions of members */
		set_member(w, type, &e, &m[i]);
		if (i > 0 && set_member_cmp(&m[i - 1], &m[i], &type) >= 0)
			w->dirty = true;	/* not in canonical order (or a duplicate) */
		size += m[i].size;
		i++;
	}
	sorted = palloc(sizeof(SetMember) * n);
	memcpy(sorted, m, sizeof(SetMember) * n);
	qsort_arg(sorted, n, sizeof(SetMember), set_member_cmp, &type);
	for (i = 1; i < n; i++)
		if (set_member_cmp(&sorted[i - 1], &sorted[i], &type) == 0)
			set_duplicates(w, type, m, n);
	pfree(m);
	m = sorted;
	if (w->build)
	{
		pushJsonbValue(&w->ps, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < n; i++)
			push_string(w, WJB_ELEM, m[i].str, m[i].len);
		pushJsonbValue(&w->ps, WJB_END_ARRAY, NULL);
	}
	return size;
}

/* Check the members of an M (object) or L (array) value. */
static int64
av_container(AvWalk *w, DynamoAvType type, JsonbValue *v)
{
	bool		is_map = (type == AV_M);
	JsonbContainer *c;
	JsonbIterator *it;
	JsonbValue	k;
	JsonbIteratorToken r;
	int64		size = 3;
	int			index = 0;

	if (v->type != jbvBinary ||
		!(is_map ? JsonContainerIsObject(v->val.binary.data) :
		  JsonContainerIsArray(v->val.binary.data)))
		av_type_error(w, type, is_map ? "object" : "array");
	c = v->val.binary.data;
	if (JsonContainerSize(c) > 0 && w->depth >= DYNAMO_MAX_DEPTH)
		av_fail(w, "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit");
	if (w->build)
		pushJsonbValue(&w->ps, is_map ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(c);
	while ((r = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		JsonbValue	member;
		AvPathElem *e = &w->path[w->depth];

		CHECK_FOR_INTERRUPTS();	/* an M or L may have millions of members */
		if (r == WJB_KEY)
		{
			if (JsonbIteratorNext(&it, &member, true) != WJB_VALUE)
				elog(ERROR, "unexpected jsonb iterator token");
			e->name = k.val.string.val;
			e->len = k.val.string.len;
			size += k.val.string.len;
			if (w->build)
				pushJsonbValue(&w->ps, WJB_KEY, &k);
		}
		else if (r == WJB_ELEM)
		{
			member = k;
			e->name = NULL;
			e->index = index++;
		}
		else
			continue;
		w->depth++;
		size += 1 + av_value(w, &member);
		w->depth--;
	}
	if (w->build)
		pushJsonbValue(&w->ps, is_map ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
	return size;
}

/* Find the one type key of an AttributeValue object and its value. */
static DynamoAvType
av_find_type(AvWalk *w, JsonbValue *av, JsonbValue *value)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken r;
	DynamoAvType type = AV_INVALID;
	int			ntypes = 0;

	if (w->depth == 1)
		w->hint = "Items are AttributeValue JSON such as {\"Id\": {\"N\": \"1\"}}; dynamo.marshall() turns plain JSON such as {\"Id\": 1} into it.";
	if (av->type != jbvBinary || !JsonContainerIsObject(av->val.binary.data))
		av_fail(w, "Supplied AttributeValue must be a JSON object with exactly one of the supported datatypes");
	it = JsonbIteratorInit(av->val.binary.data);
	while ((r = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		DynamoAvType t;

		if (r != WJB_KEY)
			continue;			/* begin/end of the object */
		t = dynamo_av_type(k.val.string.val, k.val.string.len);
		if (t == AV_INVALID)
		{
			w->detail = psprintf("\"%.*s\" is not a type key (S, N, B, BOOL, NULL, M, L, SS, NS or BS).",
								 clip_len(k.val.string.val, k.val.string.len, 100),
								 k.val.string.val);
			av_fail(w, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
		}
		if (JsonbIteratorNext(&it, &v, true) != WJB_VALUE)
			elog(ERROR, "unexpected jsonb iterator token");
		if (v.type == jbvNull)
		{
			w->dirty = true;	/* a type key holding null is absent */
			continue;
		}
		ntypes++;
		type = t;
		*value = v;
	}
	if (ntypes == 0)
		av_fail(w, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
	if (ntypes > 1)
		av_fail(w, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
	w->hint = NULL;
	return type;
}

/* Check one AttributeValue (and push it in the build pass); its size. */
static int64
av_value(AvWalk *w, JsonbValue *av)
{
	JsonbValue	v;
	DynamoAvType type = av_find_type(w, av, &v);
	int64		size = 1;
	const char *text;
	int			len;
	int			isize;
	char	   *bytes;

	if (w->build)
	{
		pushJsonbValue(&w->ps, WJB_BEGIN_OBJECT, NULL);
		push_string(w, WJB_KEY, dynamo_av_type_name(type),
					strlen(dynamo_av_type_name(type)));
	}
	switch (type)
	{
		case AV_S:
			if (v.type != jbvString)
				av_type_error(w, type, "string");
			size = v.val.string.len;
			if (w->build)
				pushJsonbValue(&w->ps, WJB_VALUE, &v);
			break;
		case AV_N:
			text = av_number(w, &v, &len, &isize);
			size = isize;
			if (w->build)
				push_string(w, WJB_VALUE, text, len);
			break;
		case AV_B:
			text = av_binary(w, type, &v, &len, &bytes, &isize);
			size = isize;
			if (w->build)
				push_string(w, WJB_VALUE, text, len);
			break;
		case AV_BOOL:
		case AV_NULL:
			if (v.type != jbvBool)
				av_type_error(w, type, "boolean");
			if (type == AV_NULL && !v.val.boolean)
				av_fail(w, AWS_INVALID "Null attribute value types must have the value of true");
			if (w->build)
				pushJsonbValue(&w->ps, WJB_VALUE, &v);
			break;
		case AV_M:
		case AV_L:
			size = av_container(w, type, &v);
			break;
		case AV_SS:
		case AV_NS:
		case AV_BS:
			size = av_set(w, type, &v);
			break;
		case AV_INVALID:
			elog(ERROR, "unexpected AttributeValue type");
	}
	if (w->build)
		pushJsonbValue(&w->ps, WJB_END_OBJECT, NULL);
	return size;
}

/* Check (and in the build pass, push) a whole item; its size. */
static int64
av_item(AvWalk *w, JsonbContainer *item)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken r;
	int64		size = 0;

	w->depth = 0;
	it = JsonbIteratorInit(item);
	while ((r = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (r == WJB_BEGIN_OBJECT || r == WJB_END_OBJECT)
		{
			if (w->build)
				w->result = pushJsonbValue(&w->ps, r, NULL);
			continue;
		}
		if (r != WJB_KEY || JsonbIteratorNext(&it, &v, true) != WJB_VALUE)
			elog(ERROR, "unexpected jsonb iterator token");
		CHECK_FOR_INTERRUPTS();
		if (w->build)
			pushJsonbValue(&w->ps, WJB_KEY, &k);
		w->path[0].name = k.val.string.val;
		w->path[0].len = k.val.string.len;
		w->depth = 1;
		/* DynamoDB's naming rule: at least one character, less than 64 KB */
		if (k.val.string.len == 0)
			av_fail(w, AWS_INVALID "An attribute name must be at least one character long");
		if (k.val.string.len >= 65536)
			av_fail(w, AWS_INVALID "An attribute name must be less than 64 KB long");
		size += k.val.string.len + av_value(w, &v);
		w->depth = 0;
	}
	return size;
}

/*
 * Validate an item (or key) and return its normal form; *size receives the
 * item size.  Key rules and the size limit are checked by the callers.
 */
Jsonb *
dynamo_item_check(Jsonb *item, int64 *size)
{
	AvWalk		w;
	int64		sz;

	if (!JB_ROOT_IS_OBJECT(item))
		ereport(ERROR,
				dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("An item must be a JSON object mapping attribute names to AttributeValues"));
	memset(&w, 0, sizeof(w));
	sz = av_item(&w, &item->root);
	if (w.dirty)
	{
		memset(&w, 0, sizeof(w));
		w.build = true;
		av_item(&w, &item->root);
		item = JsonbValueToJsonb(w.result);
	}
	if (size)
		*size = sz;
	return item;
}

/* Raise AWS's error if an item of this size is over the 400 KB limit. */
void
dynamo_item_size_limit(int64 size)
{
	if (size > DYNAMO_MAX_ITEM_SIZE)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"The item is " INT64_FORMAT " bytes; the limit is %d bytes.",
										size, DYNAMO_MAX_ITEM_SIZE),
				errmsg("Item size has exceeded the maximum allowed size"));
}
