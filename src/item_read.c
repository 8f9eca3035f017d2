/*-------------------------------------------------------------------------
 *
 * item_read.c
 *		Select, ProjectionExpression and FilterExpression of the reads
 *		(get_item, query, scan, batch_get_item), with DynamoDB's rules.
 *
 * Everything here is checked before the table is looked up, as DynamoDB
 * does, except the rule that a query's filter may not name a key attribute,
 * which needs the key schema (dynamo_read_check_filter_keys).
 *
 * Select.  Without it a read returns whole items, or the projected
 * attributes when there is a projection.  COUNT returns Count and
 * ScannedCount but no Items.  ALL_PROJECTED_ATTRIBUTES needs an index,
 * which item tables do not have, so it is always refused.  A Select that
 * contradicts the projection is refused with DynamoDB's words; Query puts
 * "1 validation error detected: " before them and Scan does not (recorded
 * against DynamoDB: ExtendDB tests/validation_wording.rs).
 *
 * The filter and the projection are evaluated by the expression module
 * (expr_eval.c, expr_update.c); the page loop that applies them and counts
 * ScannedCount before the filter and Count after it is in query.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "expr_internal.h"
#include "item_read.h"
#include "items.h"

/* Select values, in the order of DynamoDB's enum message. */
typedef enum ReadSelect
{
	SELECT_NONE = -1,
	SELECT_SPECIFIC,
	SELECT_COUNT,
	SELECT_ALL,
	SELECT_PROJECTED
} ReadSelect;

static const char *const select_names[] =
{"SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"};

/* Optional text argument n as a C string, or NULL. */
char *
dynamo_read_arg_cstring(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* Optional jsonb argument n, or NULL. */
Jsonb *
dynamo_read_arg_jsonb(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return PG_GETARG_JSONB_P(n);
}

/* Parse the Select value (NULL: none given). */
static ReadSelect
parse_select(const char *select)
{
	int			i;

	if (select == NULL)
		return SELECT_NONE;
	for (i = 0; i < lengthof(select_names); i++)
		if (strcmp(select, select_names[i]) == 0)
			return (ReadSelect) i;
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
				   select));
	return SELECT_NONE;
}

/* Check Select against the projection; true for COUNT. */
static bool
check_select(DynamoReadOp op, ReadSelect sel, bool has_projection)
{
	const char *prefix = op == DYNAMO_READ_QUERY ? "1 validation error detected: " : "";

	if (has_projection && sel != SELECT_NONE && sel != SELECT_SPECIFIC)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("%sCannot specify the ProjectionExpression when choosing to get %s", prefix,
					   sel == SELECT_COUNT ? "only the Count" : select_names[sel]));
	if (sel == SELECT_PROJECTED)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"Item tables have no secondary indexes."),
				errmsg("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"));
	if (sel == SELECT_SPECIFIC && !has_projection)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("%sMust specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
					   prefix));
	return sel == SELECT_COUNT;
}

/*
 * ExpressionAttributeNames and -Values need an expression that can use
 * them (dynalite validations/index.js, validateExpressionParams).  A query
 * always has its key condition, so only get_item and scan can fail here.
 */
void
dynamo_read_check_names(DynamoReadOp op, Jsonb *names, Jsonb *values,
						const char *projection, const char *filter)
{
	if (op == DYNAMO_READ_QUERY)
		return;
	if (names != NULL && projection == NULL && filter == NULL)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("ExpressionAttributeNames can only be specified when using expressions"));
	if (values != NULL && filter == NULL)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"));
}

/*
 * Parse the Select, projection and filter of a read in cx (any of them may
 * be NULL).  The caller runs dynamo_expr_finish() after its other
 * expressions, so that the "unused" rule covers them all.
 */
void
dynamo_read_spec(DynamoExprContext *cx, DynamoReadOp op, const char *select,
				 const char *projection, const char *filter, DynamoReadSpec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->count_only = check_select(op, parse_select(select), projection != NULL);
	if (filter != NULL)
	{
		spec->filter = dynamo_expr_parse(cx, DYNAMO_EXPR_FILTER, filter);
		spec->filter_cxt = AllocSetContextCreate(CurrentMemoryContext, "dynamo filter",
												 ALLOCSET_SMALL_SIZES);
	}
	if (projection != NULL)
		spec->projection = dynamo_expr_parse(cx, DYNAMO_EXPR_PROJECTION, projection);
}

/*
 * The spec of a read whose expressions are all its own arguments: the
 * argument numbers of filter, projection, names, values and select (-1:
 * the function has no such argument).  get_item and scan.
 */
void
dynamo_read_spec_args(FunctionCallInfo fcinfo, DynamoReadOp op, int filter_n,
					  int projection_n, int names_n, int values_n, int select_n,
					  DynamoReadSpec *spec)
{
	char	   *filter = filter_n < 0 ? NULL : dynamo_read_arg_cstring(fcinfo, filter_n);
	char	   *projection = dynamo_read_arg_cstring(fcinfo, projection_n);
	Jsonb	   *names = dynamo_read_arg_jsonb(fcinfo, names_n);
	Jsonb	   *values = values_n < 0 ? NULL : dynamo_read_arg_jsonb(fcinfo, values_n);
	char	   *select = select_n < 0 ? NULL : dynamo_read_arg_cstring(fcinfo, select_n);
	DynamoExprContext *cx;

	dynamo_read_check_names(op, names, values, projection, filter);
	cx = dynamo_expr_begin(names, values);
	dynamo_read_spec(cx, op, select, projection, filter, spec);
	dynamo_expr_finish(cx);
}

/* Does n (or a part of it) name attribute key at the top level? */
static bool
node_uses(ExprNode *n, const char *key)
{
	ListCell   *lc;
	int			i;

	if (n == NULL)
		return false;
	if (n->type == EN_PATH)
		return n->path->elems[0].name != NULL && strlen(key) == n->path->elems[0].len &&
			memcmp(key, n->path->elems[0].name, n->path->elems[0].len) == 0;
	for (i = 0; i < lengthof(n->args); i++)
		if (node_uses(n->args[i], key))
			return true;
	foreach(lc, n->list)
		if (node_uses(lfirst(lc), key))
			return true;
	return false;
}

/*
 * A query's filter may not name its table's key attributes; the hash key is
 * reported first (dynalite db/index.js, queryTable: traverseKey).
 */
void
dynamo_read_check_filter_keys(DynamoReadSpec *spec, const DynamoKeySchema *ks)
{
	const char *keys[2] = {ks->hash_key, ks->range_key};
	int			i;

	for (i = 0; spec->filter != NULL && i < 2; i++)
		if (keys[i] != NULL && node_uses(spec->filter->cond, keys[i]))
			ereport(ERROR,
					dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
											"Conditions on key attributes belong in the KeyConditionExpression."),
					errmsg("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s",
						   keys[i]));
}

/* Does item meet the filter?  What the check allocates is freed at once. */
bool
dynamo_read_filter(DynamoReadSpec *spec, Jsonb *item)
{
	MemoryContext old = MemoryContextSwitchTo(spec->filter_cxt);
	bool		keep = dynamo_expr_check(spec->filter, &item->root);

	MemoryContextSwitchTo(old);
	MemoryContextReset(spec->filter_cxt);
	return keep;
}

/* The attributes of item named by the projection. */
Jsonb *
dynamo_read_project(DynamoReadSpec *spec, Jsonb *item)
{
	return dynamo_expr_project(spec->projection, &item->root);
}
