/*-------------------------------------------------------------------------
 *
 * filter_compile.c
 *		Validate Lambda FilterCriteria and compile its patterns into the
 *		matcher tree of filter.h.
 *
 * FilterCriteria is {"Filters":[{"Pattern":"<JSON text>"}, ...]}: at most
 * five filters (ORed), each pattern at most 4096 characters of JSON text
 * (AWS's quotas).  A pattern is a non-empty JSON object whose values are
 * either nested objects (descend into the record) or non-empty arrays of
 * match values (ORed): strings, numbers, true/false, null, or one-key
 * operator objects (prefix, suffix, equals-ignore-case, anything-but,
 * numeric, exists); "$or" takes an array of object patterns.  Anything
 * else is "Invalid filter pattern definition." (InvalidParameterValueException),
 * as Lambda answers; the DETAIL says which filter and what is wrong.
 *
 * The pattern text is parsed with jsonb_in: a syntax error is caught and
 * raised again as the AWS error (parsing only allocates memory, so no
 * subtransaction is needed).  The compiled tree points into that jsonb,
 * so both live in the caller's memory context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"

#include "dynamo_streams.h"
#include "filter.h"

#define INVALID_PATTERN "Invalid filter pattern definition."

/* Case-fold a string (lower() of the database's collation); palloc'd. */
char *
dynamo_filter_fold(const char *s, int len, int *outlen)
{
	char	   *out;
	int			i;

	for (i = 0; i < len; i++)
		if (IS_HIGHBIT_SET(s[i]))
			break;
	if (i < len)
	{
		out = str_tolower(s, len, DEFAULT_COLLATION_OID);
		*outlen = strlen(out);
		return out;
	}
	out = palloc(len + 1);
	for (i = 0; i < len; i++)
		out[i] = pg_ascii_tolower((unsigned char) s[i]);
	out[len] = '\0';
	*outlen = len;
	return out;
}

static void invalid(int fno, const char *what) pg_attribute_noreturn();

/* Raise the AWS error for a bad pattern of filter fno (1-based). */
static void
invalid(int fno, const char *what)
{
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_INVALID_PARAMETER,
									"Filter %d: %s.", fno, what),
			errmsg(INVALID_PATTERN));
}

/* The same with a formatted reason. */
#define INVALIDF(fno, ...) invalid((fno), psprintf(__VA_ARGS__))

/* A JsonbValue's text as a C string (for messages). */
static char *
value_text(JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	return "a value";
}

/* Is v an object / array container? */
static inline bool
is_object(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static inline bool
is_array(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* Copy a numeric out of the jsonb (aligned, owned). */
static Numeric
copy_numeric(Numeric n)
{
	Numeric		copy = palloc(VARSIZE(n));

	memcpy(copy, n, VARSIZE(n));
	return copy;
}

/* The single key and value of a one-key object; false if not one key. */
static bool
only_member(JsonbContainer *obj, JsonbValue *key, JsonbValue *val)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	int			n = 0;

	if (JsonContainerSize(obj) != 1)
		return false;
	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, val, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			*key = *val;
			n++;
		}
		else if (tok == WJB_VALUE)
			break;
	}
	return n == 1;
}

/* Elements of an array container into a palloc'd array; returns the count. */
static int
array_elements(JsonbContainer *arr, JsonbValue **out)
{
	JsonbIterator *it = JsonbIteratorInit(arr);
	JsonbIteratorToken tok;
	JsonbValue	v;
	int			n = 0;

	*out = palloc(sizeof(JsonbValue) * Max(JsonContainerSize(arr), 1));
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			(*out)[n++] = v;
	return n;
}

/* A string operand, case-folded when ignore_case. */
static void
set_string(FilterMatcher *m, JsonbValue *v, bool ignore_case)
{
	m->ignore_case = ignore_case;
	if (ignore_case)
		m->str = dynamo_filter_fold(v->val.string.val, v->val.string.len, &m->len);
	else
	{
		m->str = pnstrdup(v->val.string.val, v->val.string.len);
		m->len = v->val.string.len;
	}
}

/*
 * prefix / suffix: a string, or {"equals-ignore-case": string}.
 */
static void
compile_affix(FilterMatcher *m, FilterOp op, JsonbValue *v, int fno)
{
	JsonbValue	k,
				inner;

	m->op = op;
	if (v->type == jbvString)
	{
		set_string(m, v, false);
		return;
	}
	if (is_object(v) && only_member(v->val.binary.data, &k, &inner) &&
		k.val.string.len == 18 &&
		memcmp(k.val.string.val, "equals-ignore-case", 18) == 0 &&
		inner.type == jbvString)
	{
		set_string(m, &inner, true);
		return;
	}
	INVALIDF(fno, "\"%s\" takes a string or {\"equals-ignore-case\": string}",
			 op == FOP_PREFIX ? "prefix" : "suffix");
}

/* numeric: [op, n] or [lower-op, n, upper-op, n]. */
static void
compile_numeric(FilterMatcher *m, JsonbValue *v, int fno)
{
	JsonbValue *el;
	int			n,
				i;
	bool		has_lo = false,
				has_hi = false;

	m->op = FOP_NUMERIC;
	if (!is_array(v) || ((n = array_elements(v->val.binary.data, &el)) != 2 && n != 4))
		invalid(fno, "\"numeric\" takes [operator, number] or [operator, number, operator, number]");
	for (i = 0; i < n; i += 2)
	{
		const char *op;
		int			len;

		if (el[i].type != jbvString || el[i + 1].type != jbvNumeric)
			invalid(fno, "\"numeric\" takes operator strings each followed by a JSON number");
		op = el[i].val.string.val;
		len = el[i].val.string.len;
		if (len == 1 && op[0] == '=' && n == 2)
		{
			m->lo = m->hi = copy_numeric(el[i + 1].val.numeric);
			m->lo_incl = m->hi_incl = true;
			return;
		}
		if (len >= 1 && op[0] == '>' && (len == 1 || (len == 2 && op[1] == '=')) && !has_lo)
		{
			m->lo = copy_numeric(el[i + 1].val.numeric);
			m->lo_incl = (len == 2);
			has_lo = true;
		}
		else if (len >= 1 && op[0] == '<' && (len == 1 || (len == 2 && op[1] == '=')) && !has_hi)
		{
			m->hi = copy_numeric(el[i + 1].val.numeric);
			m->hi_incl = (len == 2);
			has_hi = true;
		}
		else
			INVALIDF(fno, "\"numeric\" operator \"%s\" is not =, <, <=, > or >=, or repeats a bound",
					 pnstrdup(op, len));
	}
	if (has_lo && has_hi &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(m->lo),
										  NumericGetDatum(m->hi))) >= 0)
		invalid(fno, "\"numeric\" range has its lower bound at or above its upper bound");
}

/* anything-but: a value, a list of strings or of numbers, or {prefix|suffix|equals-ignore-case}. */
static void
compile_anything_but(FilterMatcher *m, JsonbValue *v, int fno)
{
	JsonbValue *el;
	JsonbValue	k,
				inner;
	int			n,
				i;

	m->op = FOP_ANYTHING_BUT;
	if (v->type == jbvString || v->type == jbvNumeric)
	{
		el = v;
		n = 1;
	}
	else if (is_array(v))
	{
		n = array_elements(v->val.binary.data, &el);
		if (n == 0)
			invalid(fno, "\"anything-but\" list is empty");
	}
	else if (is_object(v) && only_member(v->val.binary.data, &k, &inner))
	{
		const char *name = k.val.string.val;
		int			len = k.val.string.len;

		m->vals = palloc0(sizeof(FilterMatcher));
		m->nvals = 1;
		if (len == 6 && memcmp(name, "prefix", 6) == 0 && inner.type == jbvString)
			m->vals[0].op = FOP_PREFIX;
		else if (len == 6 && memcmp(name, "suffix", 6) == 0 && inner.type == jbvString)
			m->vals[0].op = FOP_SUFFIX;
		else if (len == 18 && memcmp(name, "equals-ignore-case", 18) == 0 &&
				 (inner.type == jbvString || is_array(&inner)))
		{
			if (is_array(&inner))
			{
				n = array_elements(inner.val.binary.data, &el);
				if (n == 0)
					invalid(fno, "\"anything-but\" list is empty");
				m->vals = palloc0(sizeof(FilterMatcher) * n);
				m->nvals = n;
				for (i = 0; i < n; i++)
				{
					if (el[i].type != jbvString)
						invalid(fno, "\"anything-but\" \"equals-ignore-case\" takes strings");
					m->vals[i].op = FOP_EQUALS_IC;
					set_string(&m->vals[i], &el[i], true);
				}
				return;
			}
			m->vals[0].op = FOP_EQUALS_IC;
			set_string(&m->vals[0], &inner, true);
			return;
		}
		else
			invalid(fno, "\"anything-but\" takes a string, a number, a list of them, or {\"prefix\"|\"suffix\"|\"equals-ignore-case\": string}");
		set_string(&m->vals[0], &inner, false);
		return;
	}
	else
		invalid(fno, "\"anything-but\" takes a string, a number, a list of them, or {\"prefix\"|\"suffix\"|\"equals-ignore-case\": string}");
	m->vals = palloc0(sizeof(FilterMatcher) * n);
	m->nvals = n;
	for (i = 0; i < n; i++)
	{
		if (el[i].type != el[0].type ||
			(el[i].type != jbvString && el[i].type != jbvNumeric))
			invalid(fno, "\"anything-but\" list holds only strings or only numbers");
		if (el[i].type == jbvString)
		{
			m->vals[i].op = FOP_STRING;
			set_string(&m->vals[i], &el[i], false);
		}
		else
		{
			m->vals[i].op = FOP_NUMBER;
			m->vals[i].num = copy_numeric(el[i].val.numeric);
		}
	}
}

/* An operator object {"op": value} of a match list. */
static void
compile_operator(FilterMatcher *m, JsonbContainer *obj, int fno)
{
	JsonbValue	k,
				v;
	const char *name;
	int			len;

	if (!only_member(obj, &k, &v))
		invalid(fno, "an object in a match list must hold exactly one operator");
	name = k.val.string.val;
	len = k.val.string.len;
#define IS(lit) (len == (int) strlen(lit) && memcmp(name, lit, len) == 0)
	if (IS("prefix"))
		compile_affix(m, FOP_PREFIX, &v, fno);
	else if (IS("suffix"))
		compile_affix(m, FOP_SUFFIX, &v, fno);
	else if (IS("equals-ignore-case"))
	{
		if (v.type != jbvString)
			invalid(fno, "\"equals-ignore-case\" takes a string");
		m->op = FOP_EQUALS_IC;
		set_string(m, &v, true);
	}
	else if (IS("exists"))
	{
		if (v.type != jbvBool)
			invalid(fno, "\"exists\" takes true or false");
		m->op = FOP_EXISTS;
		m->flag = v.val.boolean;
	}
	else if (IS("numeric"))
		compile_numeric(m, &v, fno);
	else if (IS("anything-but"))
		compile_anything_but(m, &v, fno);
	else
		INVALIDF(fno, "unknown operator \"%s\"", pnstrdup(name, len));
#undef IS
}

/* A leaf's match list: a non-empty array of values and operator objects. */
static void
compile_leaf(FilterField *f, JsonbContainer *arr, int fno)
{
	JsonbValue *el;
	int			n = array_elements(arr, &el);
	int			i;

	if (n == 0)
		INVALIDF(fno, "the match list of \"%s\" is empty", f->name);
	f->matchers = palloc0(sizeof(FilterMatcher) * n);
	f->nmatchers = n;
	for (i = 0; i < n; i++)
	{
		FilterMatcher *m = &f->matchers[i];

		switch (el[i].type)
		{
			case jbvString:
				m->op = FOP_STRING;
				set_string(m, &el[i], false);
				break;
			case jbvNumeric:
				m->op = FOP_NUMBER;
				m->num = copy_numeric(el[i].val.numeric);
				break;
			case jbvBool:
				m->op = FOP_BOOL;
				m->flag = el[i].val.boolean;
				break;
			case jbvNull:
				m->op = FOP_NULL;
				break;
			default:
				if (!is_object(&el[i]))
					INVALIDF(fno, "the match list of \"%s\" holds an array", f->name);
				compile_operator(m, el[i].val.binary.data, fno);
				if (m->op == FOP_EXISTS)
					f->has_exists = true;
				break;
		}
	}
}

static FilterNode *compile_node(JsonbContainer *obj, int fno);

/* "$or": an array of object patterns. */
static void
compile_or(FilterNode *node, JsonbValue *v, int fno)
{
	JsonbValue *el;
	int			n,
				i;

	if (!is_array(v) || (n = array_elements(v->val.binary.data, &el)) == 0)
		invalid(fno, "\"$or\" takes a non-empty array of patterns");
	node->alts = palloc0(sizeof(FilterNode) * n);
	node->nalts = n;
	for (i = 0; i < n; i++)
	{
		if (!is_object(&el[i]))
			invalid(fno, "\"$or\" takes a non-empty array of patterns");
		node->alts[i] = *compile_node(el[i].val.binary.data, fno);
	}
}

/* An object pattern. */
static FilterNode *
compile_node(JsonbContainer *obj, int fno)
{
	FilterNode *node = palloc0(sizeof(FilterNode));
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	key = {0},
				v;
	int			n = JsonContainerSize(obj);

	check_stack_depth();
	if (n == 0)
		invalid(fno, "a pattern object is empty");
	node->fields = palloc0(sizeof(FilterField) * n);
	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		FilterField *f;

		if (tok == WJB_KEY)
		{
			key = v;
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (key.val.string.len == 3 && memcmp(key.val.string.val, "$or", 3) == 0)
		{
			compile_or(node, &v, fno);
			continue;
		}
		if (key.val.string.len > 0 && key.val.string.val[0] == '$')
			INVALIDF(fno, "unknown operator \"%s\"", value_text(&key));
		f = &node->fields[node->nfields++];
		f->name = pnstrdup(key.val.string.val, key.val.string.len);
		f->namelen = key.val.string.len;
		if (is_object(&v))
			f->child = compile_node(v.val.binary.data, fno);
		else if (is_array(&v))
			compile_leaf(f, v.val.binary.data, fno);
		else
			INVALIDF(fno, "the value of \"%s\" must be an array of match values or an object",
					 f->name);
	}
	return node;
}

/* Parse pattern text as jsonb; a syntax error becomes the AWS error. */
static Jsonb *
parse_pattern(const char *pattern, int len, int fno)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *text = pnstrdup(pattern, len);
	Jsonb	   *volatile j = NULL;

	PG_TRY();
	{
		j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		INVALIDF(fno, "the pattern is not JSON (%s)", edata->message);
	}
	PG_END_TRY();
	return j;
}

/* Validate and compile the pattern text of filter fno (1-based). */
FilterNode *
dynamo_filter_compile_pattern(const char *pattern, int len, int fno)
{
	Jsonb	   *j;

	if (pg_mbstrlen_with_len(pattern, len) > DYNAMO_FILTER_MAX_PATTERN)
		INVALIDF(fno, "the pattern is longer than %d characters", DYNAMO_FILTER_MAX_PATTERN);
	j = parse_pattern(pattern, len, fno);
	if (!JB_ROOT_IS_OBJECT(j))
		invalid(fno, "a pattern must be a JSON object");
	return compile_node(&j->root, fno);
}

/* The string "Pattern" of one Filters element (fno 1-based). */
static JsonbValue *
filter_pattern(JsonbValue *el, int fno, JsonbValue *out)
{
	JsonbValue	k;

	if (!is_object(el) || !only_member(el->val.binary.data, &k, out) ||
		k.val.string.len != 7 || memcmp(k.val.string.val, "Pattern", 7) != 0)
		invalid(fno, "a filter must be {\"Pattern\": \"<JSON pattern>\"}");
	if (out->type != jbvString)
		invalid(fno, "\"Pattern\" must be a string holding the JSON pattern");
	return out;
}

/*
 * Validate and compile FilterCriteria {"Filters": [...]}.  NULL, {} and an
 * empty Filters list filter nothing out (npatterns = 0).
 */
FilterCriteria *
dynamo_filter_compile(Jsonb *criteria)
{
	FilterCriteria *fc = palloc0(sizeof(FilterCriteria));
	JsonbValue	k,
				filters;
	JsonbValue *el;
	int			n,
				i;

	if (criteria == NULL || (JB_ROOT_IS_OBJECT(criteria) && JB_ROOT_COUNT(criteria) == 0))
		return fc;
	if (!JB_ROOT_IS_OBJECT(criteria) ||
		!only_member(&criteria->root, &k, &filters) ||
		k.val.string.len != 7 || memcmp(k.val.string.val, "Filters", 7) != 0 ||
		!is_array(&filters))
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_INVALID_PARAMETER,
										"FilterCriteria must be {\"Filters\": [{\"Pattern\": \"<JSON pattern>\"}, ...]}."),
				errmsg(INVALID_PATTERN));
	n = array_elements(filters.val.binary.data, &el);
	if (n > DYNAMO_FILTER_MAX_FILTERS)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_INVALID_PARAMETER,
										"FilterCriteria holds %d filters; the quota is %d.",
										n, DYNAMO_FILTER_MAX_FILTERS),
				errmsg(INVALID_PATTERN));
	fc->patterns = palloc0(sizeof(FilterNode) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		JsonbValue	p;

		filter_pattern(&el[i], i + 1, &p);
		fc->patterns[i] = *dynamo_filter_compile_pattern(p.val.string.val,
														 p.val.string.len, i + 1);
	}
	fc->npatterns = n;
	return fc;
}
