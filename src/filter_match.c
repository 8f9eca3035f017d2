/*-------------------------------------------------------------------------
 *
 * filter_match.c
 *		Match stream records against compiled FilterCriteria (filter.h),
 *		and the SQL functions over it.
 *
 * A record is the Lambda event record as jsonb (eventName, userIdentity,
 * dynamodb.NewImage.<attr>.S, ...).  Matching walks the pattern tree and
 * looks each key up in the record (a binary search in the jsonb object),
 * so a record is never copied or flattened.  As in EventBridge / Lambda:
 *
 *	- a leaf's match values are ORed and match scalars only (an object at
 *	  the leaf's path matches nothing; "exists" is about leaves too);
 *	- an array in the record matches when any element matches (arrays of
 *	  objects: each element is tried as a whole, so the fields of one
 *	  pattern object all match within the same element);
 *	- fields of an object are ANDed, a "$or" needs one alternative, and
 *	  the patterns of a criteria are ORed;
 *	- a missing path matches only {"exists": false}.
 *
 * Numbers compare as numbers (1.0 equals 1), strings byte for byte;
 * equals-ignore-case folds case as lower() does in the database's
 * collation (ASCII letters alone when it is C).
 *
 * _filter_criteria_match and test_event_pattern keep the compiled
 * criteria in fn_extra, keyed by the criteria's bytes, so matching a batch
 * of records compiles once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "dynamo_streams.h"
#include "filter.h"

PG_FUNCTION_INFO_V1(dynamo_filter_criteria_check);
PG_FUNCTION_INFO_V1(dynamo_filter_criteria_match);
PG_FUNCTION_INFO_V1(dynamo_test_event_pattern);

/* Compare two numerics. */
static inline int
num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a),
											 NumericGetDatum(b)));
}

/* Does string s (len) begin / end with / equal m's operand (folded if so)? */
static bool
match_string_op(const FilterMatcher *m, const char *s, int len)
{
	if (m->ignore_case || m->op == FOP_EQUALS_IC)
		s = dynamo_filter_fold(s, len, &len);
	switch (m->op)
	{
		case FOP_PREFIX:
			return len >= m->len && memcmp(s, m->str, m->len) == 0;
		case FOP_SUFFIX:
			return len >= m->len && memcmp(s + len - m->len, m->str, m->len) == 0;
		default:				/* FOP_STRING, FOP_EQUALS_IC */
			return len == m->len && memcmp(s, m->str, len) == 0;
	}
}

/* Does scalar s match m (not FOP_EXISTS)? */
static bool
match_scalar(const FilterMatcher *m, const JsonbValue *s)
{
	int			i;

	switch (m->op)
	{
		case FOP_STRING:
		case FOP_PREFIX:
		case FOP_SUFFIX:
		case FOP_EQUALS_IC:
			return s->type == jbvString &&
				match_string_op(m, s->val.string.val, s->val.string.len);
		case FOP_NUMBER:
			return s->type == jbvNumeric && num_cmp(s->val.numeric, m->num) == 0;
		case FOP_BOOL:
			return s->type == jbvBool && s->val.boolean == m->flag;
		case FOP_NULL:
			return s->type == jbvNull;
		case FOP_NUMERIC:
			if (s->type != jbvNumeric)
				return false;
			if (m->lo)
			{
				int			c = num_cmp(s->val.numeric, m->lo);

				if (c < 0 || (c == 0 && !m->lo_incl))
					return false;
			}
			if (m->hi)
			{
				int			c = num_cmp(s->val.numeric, m->hi);

				if (c > 0 || (c == 0 && !m->hi_incl))
					return false;
			}
			return true;
		case FOP_ANYTHING_BUT:
			/* any string or number that none of the excluded values matches */
			if (s->type != jbvString && s->type != jbvNumeric)
				return false;
			for (i = 0; i < m->nvals; i++)
				if (match_scalar(&m->vals[i], s))
					return false;
			return true;
		case FOP_EXISTS:
			return false;
	}
	return false;
}

/* State of matching one leaf: saw a scalar, matched one. */
typedef struct LeafState
{
	bool		found;
	bool		matched;
} LeafState;

/* Visit a record value at a leaf's path (arrays: every scalar in them). */
static void
visit_leaf(const FilterField *f, const JsonbValue *v, LeafState *st)
{
	int			i;

	if (v->type == jbvBinary)
	{
		JsonbIterator *it;
		JsonbIteratorToken tok;
		JsonbValue	el;

		if (!JsonContainerIsArray(v->val.binary.data))
			return;				/* an object is not a leaf */
		check_stack_depth();
		it = JsonbIteratorInit(v->val.binary.data);
		while (!st->matched &&
			   (tok = JsonbIteratorNext(&it, &el, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
				visit_leaf(f, &el, st);
		return;
	}
	st->found = true;
	for (i = 0; i < f->nmatchers && !st->matched; i++)
		if (f->matchers[i].op != FOP_EXISTS && match_scalar(&f->matchers[i], v))
			st->matched = true;
}

/* Does leaf field f match the record value v (NULL: missing)? */
static bool
match_leaf(const FilterField *f, const JsonbValue *v)
{
	LeafState	st = {false, false};
	int			i;

	if (v)
		visit_leaf(f, v, &st);
	if (st.matched)
		return true;
	if (f->has_exists)
		for (i = 0; i < f->nmatchers; i++)
			if (f->matchers[i].op == FOP_EXISTS && f->matchers[i].flag == st.found)
				return true;
	return false;
}

/*
 * Does a nested pattern match the record value v: an object, an array of
 * objects (any element), or nothing usable (matched as a missing object).
 */
static bool
match_child(const FilterNode *node, const JsonbValue *v)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	el;
	bool		seen = false;

	if (v == NULL || v->type != jbvBinary)
		return dynamo_filter_match_node(node, NULL);
	if (JsonContainerIsObject(v->val.binary.data))
		return dynamo_filter_match_node(node, v->val.binary.data);
	check_stack_depth();
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &el, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM || el.type != jbvBinary)
			continue;
		seen = true;
		if (match_child(node, &el))
			return true;
	}
	return seen ? false : dynamo_filter_match_node(node, NULL);
}

/* Does an object pattern match obj (NULL: the path is missing)? */
bool
dynamo_filter_match_node(const FilterNode *node, JsonbContainer *obj)
{
	int			i;

	for (i = 0; i < node->nfields; i++)
	{
		const FilterField *f = &node->fields[i];
		JsonbValue	tmp;
		JsonbValue *v = NULL;
		bool		ok;

		if (obj && JsonContainerIsObject(obj))
			v = getKeyJsonValueFromContainer(obj, f->name, f->namelen, &tmp);
		ok = f->child ? match_child(f->child, v) : match_leaf(f, v);
		if (!ok)
			return false;
	}
	if (node->nalts > 0)
	{
		for (i = 0; i < node->nalts; i++)
			if (dynamo_filter_match_node(&node->alts[i], obj))
				return true;
		return false;
	}
	return true;
}

/* Does the record match the criteria (any pattern; none: every record)? */
bool
dynamo_filter_match(const FilterCriteria *fc, JsonbContainer *record)
{
	int			i;

	if (fc->npatterns == 0)
		return true;
	for (i = 0; i < fc->npatterns; i++)
		if (dynamo_filter_match_node(&fc->patterns[i], record))
			return true;
	return false;
}

/* fn_extra cache: the compiled criteria of the last key bytes seen. */
typedef struct FilterCache
{
	MemoryContext cxt;
	char	   *key;
	Size		keylen;
	FilterCriteria *fc;
} FilterCache;

/* The compiled criteria for key (criteria jsonb or pattern text), cached. */
static FilterCriteria *
cached_criteria(FunctionCallInfo fcinfo, struct varlena *key, bool is_pattern)
{
	FilterCache *c = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	Size		len = VARSIZE_ANY_EXHDR(key);

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FilterCache));
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "dynamo_streams filter",
									   ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = c;
	}
	else if (c->fc && c->keylen == len && memcmp(c->key, VARDATA_ANY(key), len) == 0)
		return c->fc;
	MemoryContextReset(c->cxt);
	c->fc = NULL;
	old = MemoryContextSwitchTo(c->cxt);
	if (is_pattern)
	{
		FilterCriteria *fc = palloc0(sizeof(FilterCriteria));

		fc->npatterns = 1;
		fc->patterns = dynamo_filter_compile_pattern(VARDATA_ANY(key), len, 1);
		c->fc = fc;
	}
	else
		c->fc = dynamo_filter_compile((Jsonb *) key);
	c->key = palloc(Max(len, 1));
	memcpy(c->key, VARDATA_ANY(key), len);
	c->keylen = len;
	MemoryContextSwitchTo(old);
	return c->fc;
}

/*
 * _filter_criteria_check(filter_criteria jsonb) returns void: raise
 * InvalidParameterValueException for bad FilterCriteria; NULL is fine.
 */
Datum
dynamo_filter_criteria_check(PG_FUNCTION_ARGS)
{
	MemoryContext cxt,
				old;

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	cxt = AllocSetContextCreate(CurrentMemoryContext, "dynamo_streams filter check",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	(void) dynamo_filter_compile(PG_GETARG_JSONB_P(0));
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_VOID();
}

/*
 * _filter_criteria_match(filter_criteria jsonb, record jsonb) returns
 * boolean (also test_filter_criteria): NULL criteria match every record;
 * a NULL record gives NULL.
 */
Datum
dynamo_filter_criteria_match(PG_FUNCTION_ARGS)
{
	FilterCriteria *fc;
	Jsonb	   *record;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(true);
	fc = cached_criteria(fcinfo, (struct varlena *) PG_GETARG_JSONB_P(0), false);
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	record = PG_GETARG_JSONB_P(1);
	PG_RETURN_BOOL(dynamo_filter_match(fc, &record->root));
}

/*
 * test_event_pattern(pattern text, record jsonb) returns boolean: one
 * pattern (the text of a filter's "Pattern") against a record.
 */
Datum
dynamo_test_event_pattern(PG_FUNCTION_ARGS)
{
	FilterCriteria *fc;
	Jsonb	   *record;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	fc = cached_criteria(fcinfo, (struct varlena *) PG_GETARG_TEXT_PP(0), true);
	record = PG_GETARG_JSONB_P(1);
	PG_RETURN_BOOL(dynamo_filter_match(fc, &record->root));
}
