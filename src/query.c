/*-------------------------------------------------------------------------
 *
 * query.c
 *		query() and scan(): pages of items in DynamoDB's key order.
 *
 * Both build one SELECT over the item table and read it through an SPI
 * cursor, so a page costs what it returns.  Order is the key columns'
 * order: S as text COLLATE "C" (UTF-8 bytes), N as numeric, B as bytea
 * (bytes), never the database collation.  scan() walks (pk, sk) in that
 * order; DynamoDB's own scan order is by partition hash, which clients must
 * not rely on.
 *
 * A page ends when "limit" items were read or when the items read reach
 * 1 MB (1,048,576 bytes) as DynamoDB counts them: not their SPEC 4.2 size
 * but the size of DynamoDB's internal serialisation (dynamo_page_size()).
 * The item that reaches or crosses 1 MB is still returned, so a page can
 * exceed 1 MB by up to one item.  Either way LastEvaluatedKey is the key of
 * the last item read, even if no items follow (AWS does the same).  A
 * FilterExpression and a projection (item_read.c) apply to the items read:
 * limit and the 1 MB count them before the filter (ScannedCount), Count
 * counts those it keeps, and LastEvaluatedKey may be an item it dropped.
 * docs/functions/scan.md gives the measurements this follows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "attrval.h"
#include "item_read.h"
#include "items.h"
#include "key_condition.h"

PG_FUNCTION_INFO_V1(dynamo_query);
PG_FUNCTION_INFO_V1(dynamo_scan);

#define DYNAMO_PAGE_BYTES	(1024 * 1024)
#define FETCH_BATCH			100

/* A SELECT under construction with its parameters. */
typedef struct PageQuery
{
	StringInfoData sql;
	Datum		values[6];
	Oid			types[6];
	int			nargs;
} PageQuery;

/* Add a parameter and return its "$n" text. */
static char *
add_param(PageQuery *q, Datum value, Oid type)
{
	q->values[q->nargs] = value;
	q->types[q->nargs] = type;
	q->nargs++;
	return psprintf("$%d", q->nargs);
}

/* Read the "limit" argument: NULL or 1 and up. */
static int64
arg_limit(FunctionCallInfo fcinfo, int n)
{
	int32		limit;

	if (PG_ARGISNULL(n))
		return -1;
	limit = PG_GETARG_INT32(n);
	if (limit < 1)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", limit));
	return limit;
}

/* jsonb numeric value of n. */
static JsonbValue
number_value(int64 n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric, Int64GetDatum(n)));
	return v;
}

/*
 * Run q through a cursor and build {"Items", "Count", "ScannedCount"
 * [, "LastEvaluatedKey"]} in cxt.  limit < 0 means no limit.  As in
 * DynamoDB, limit and the 1 MB count the items read (ScannedCount); the
 * filter then decides which of them are returned (Count), and
 * LastEvaluatedKey is the key of the last item read (item_read.c).
 */
static Jsonb *
read_page(DynamoItemTable *t, PageQuery *q, int64 limit, DynamoReadSpec *spec,
		  MemoryContext cxt)
{
	JsonbParseState *state = NULL;
	Portal		portal;
	int64		count = 0;
	int64		scanned = 0;
	int64		bytes = 0;
	bool		stopped = false;
	Jsonb	   *last = NULL;
	JsonbValue	n,
			   *res;
	MemoryContext old;

	portal = SPI_cursor_open_with_args(NULL, q->sql.data, q->nargs, q->types,
									   q->values, NULL, true, 0);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	if (!spec->count_only)
	{
		dynamo_push_key(&state, "Items", 5);
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	}
	while (!stopped)
	{
		uint64		i;
		long		want = limit < 0 ? FETCH_BATCH : Min(FETCH_BATCH, limit - scanned);

		SPI_cursor_fetch(portal, true, want);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed && !stopped; i++)
		{
			bool		isnull;

			last = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			if (dynamo_read_keep(spec, last))
			{
				if (!spec->count_only)
					dynamo_push_jsonb(&state, WJB_ELEM, dynamo_read_output(spec, last));
				count++;
			}
			scanned++;
			bytes += dynamo_page_size(&last->root, t->ks.range_key);
			stopped = (limit >= 0 && scanned >= limit) || bytes >= DYNAMO_PAGE_BYTES;
		}
	}
	SPI_cursor_close(portal);
	if (!spec->count_only)
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	n = number_value(count);
	dynamo_push_key(&state, "Count", 5);
	pushJsonbValue(&state, WJB_VALUE, &n);
	n = number_value(scanned);
	dynamo_push_key(&state, "ScannedCount", 12);
	pushJsonbValue(&state, WJB_VALUE, &n);
	if (stopped)
	{
		dynamo_push_key(&state, "LastEvaluatedKey", 16);
		dynamo_push_jsonb(&state, WJB_VALUE, dynamo_item_keys(&last->root, &t->ks));
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	old = MemoryContextSwitchTo(cxt);
	last = JsonbValueToJsonb(res);
	MemoryContextSwitchTo(old);
	return last;
}

/* Compare two key datums of one type in DynamoDB's order. */
static int
key_cmp(char type, Datum a, Datum b)
{
	if (type == 'S')
		return DatumGetInt32(DirectFunctionCall2Coll(bttextcmp, C_COLLATION_OID, a, b));
	if (type == 'N')
		return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
	return DatumGetInt32(DirectFunctionCall2(byteacmp, a, b));
}

/* The key datum of placeholder ph (from normalised values) for attr. */
static Datum
value_datum(Jsonb *values, const char *ph, char type, const char *attr)
{
	JsonbValue *v = dynamo_find_attr(&values->root, ph, strlen(ph));
	char		tkey[2] = {type, '\0'};
	JsonbValue *s;

	s = v && v->type == jbvBinary && JsonContainerSize(v->val.binary.data) == 1 ?
		dynamo_find_attr(v->val.binary.data, tkey, 1) : NULL;
	if (s == NULL)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
										"Value %s is compared with key attribute \"%s\" of type %c.", ph, attr, type),
				errmsg("One or more parameter values were invalid: Condition parameter type does not match schema type"));
	if (s->type == jbvString && s->val.string.len == 0)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", type == 'S' ? "string" : "binary", attr));
	return dynamo_key_datum(&values->root, ph, type);
}

/* SQL operator text of a comparison. */
static const char *
op_sql(DynamoKeyOp op)
{
	switch (op)
	{
		case DYNAMO_OP_EQ:
			return "=";
		case DYNAMO_OP_LT:
			return "<";
		case DYNAMO_OP_LE:
			return "<=";
		case DYNAMO_OP_GT:
			return ">";
		case DYNAMO_OP_GE:
			return ">=";
		default:
			return NULL;
	}
}

/* Append the range key condition to q. */
static void
append_range_condition(PageQuery *q, DynamoItemTable *t, DynamoKeyCond *c, Jsonb *values)
{
	char		type = t->ks.range_type;
	Oid			typid = dynamo_key_type_oid(type);
	Datum		v1 = value_datum(values, c->value1, type, c->attr);
	char	   *p1 = add_param(q, v1, typid);

	if (c->op == DYNAMO_OP_BETWEEN)
	{
		Datum		v2 = value_datum(values, c->value2, type, c->attr);

		if (key_cmp(type, v1, v2) > 0)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: %s, upper bound operand: %s", c->value1, c->value2));
		appendStringInfo(&q->sql, " AND sk OPERATOR(pg_catalog.>=) %s AND sk OPERATOR(pg_catalog.<=) %s",
						 p1, add_param(q, v2, typid));
	}
	else if (c->op == DYNAMO_OP_BEGINS_WITH)
	{
		if (type == 'N')
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"));
		if (type == 'S')
			appendStringInfo(&q->sql, " AND sk OPERATOR(pg_catalog.>=) %s AND pg_catalog.starts_with(sk, %s)", p1, p1);
		else
			appendStringInfo(&q->sql, " AND sk OPERATOR(pg_catalog.>=) %s AND pg_catalog.substring(sk, 1, pg_catalog.length(%s)) OPERATOR(pg_catalog.=) %s",
							 p1, p1, p1);
	}
	else
		appendStringInfo(&q->sql, " AND sk OPERATOR(pg_catalog.%s) %s", op_sql(c->op), p1);
}

/* Does bytes value a (text or bytea) start with b? */
static bool
has_prefix(Datum a, Datum b)
{
	struct varlena *va = PG_DETOAST_DATUM_PACKED(a);
	struct varlena *vb = PG_DETOAST_DATUM_PACKED(b);

	return VARSIZE_ANY_EXHDR(va) >= VARSIZE_ANY_EXHDR(vb) &&
		memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(vb)) == 0;
}

/* Does range key value sk satisfy the range condition c? */
static bool
range_satisfied(DynamoItemTable *t, DynamoKeyCond *c, Jsonb *values, Datum sk)
{
	char		type = t->ks.range_type;
	Datum		v1 = value_datum(values, c->value1, type, c->attr);
	int			cmp = c->op == DYNAMO_OP_BEGINS_WITH ? 0 : key_cmp(type, sk, v1);

	switch (c->op)
	{
		case DYNAMO_OP_EQ:
			return cmp == 0;
		case DYNAMO_OP_LT:
			return cmp < 0;
		case DYNAMO_OP_LE:
			return cmp <= 0;
		case DYNAMO_OP_GT:
			return cmp > 0;
		case DYNAMO_OP_GE:
			return cmp >= 0;
		case DYNAMO_OP_BETWEEN:
			return cmp >= 0 &&
				key_cmp(type, sk, value_datum(values, c->value2, type, c->attr)) <= 0;
		case DYNAMO_OP_BEGINS_WITH:
			return has_prefix(sk, v1);
	}
	return false;
}

/* The exclusive start key of a query: its key values, checked as AWS does. */
static void
query_start_key(DynamoItemTable *t, DynamoKeyCondition *kc, Jsonb *values,
				Jsonb *esk, Datum hash, Datum *keys)
{
	esk = dynamo_key_normalize(esk, &t->ks);
	dynamo_key_values(t, esk, keys);
	if (key_cmp(t->ks.hash_type, keys[0], hash) != 0)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("The provided starting key is invalid: its partition key value differs from the one in the KeyConditionExpression"));
	if (kc->has_range && !range_satisfied(t, &kc->range, values, keys[1]))
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("The provided starting key does not match the range key predicate"));
}

/*
 * query(table_name, key_condition_expression, expression_attribute_values,
 *		 expression_attribute_names, scan_index_forward, "limit",
 *		 exclusive_start_key, filter_expression, projection_expression,
 *		 "select", consistent_read)
 */
Datum
dynamo_query(PG_FUNCTION_ARGS)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	char	   *expr;
	Jsonb	   *values = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	Jsonb	   *names = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	bool		forward = PG_ARGISNULL(4) ? true : PG_GETARG_BOOL(4);
	int64		limit = arg_limit(fcinfo, 5);
	Jsonb	   *esk = PG_ARGISNULL(6) ? NULL : PG_GETARG_JSONB_P(6);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	DynamoKeyCondition kc;
	PageQuery	q;
	Datum		hash;
	Jsonb	   *res;
	DynamoExprContext *cx;
	DynamoExpr *kce;
	DynamoReadSpec spec;

	if (PG_ARGISNULL(1))
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."));
	expr = text_to_cstring(PG_GETARG_TEXT_PP(1));
	/* like DynamoDB, check what needs no table before looking it up */
	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	/* key condition, filter and projection share names and values */
	cx = dynamo_expr_begin(names, values);
	kce = dynamo_expr_parse(cx, DYNAMO_EXPR_KEY_CONDITION, expr);
	dynamo_expr_key_condition(kce, NULL, NULL);
	dynamo_read_spec(cx, DYNAMO_READ_QUERY, dynamo_read_arg_cstring(fcinfo, 9),
					 dynamo_read_arg_cstring(fcinfo, 8),
					 dynamo_read_arg_cstring(fcinfo, 7), &spec);
	dynamo_expr_finish(cx);
	values = dynamo_item_normalize(values, NULL);
	if (esk != NULL)
		esk = dynamo_key_normalize(esk, NULL);
	SPI_connect();
	t = dynamo_item_table(name, AccessShareLock);
	dynamo_require_item_access(t, ACL_SELECT, "Query");
	dynamo_expr_key_condition(kce, &t->ks, &kc);
	dynamo_read_check_filter_keys(&spec, &t->ks);

	memset(&q, 0, sizeof(q));
	initStringInfo(&q.sql);
	hash = value_datum(values, kc.hash.value1, t->ks.hash_type, kc.hash.attr);
	appendStringInfo(&q.sql, "SELECT item FROM %s WHERE pk OPERATOR(pg_catalog.=) %s",
					 t->qualname, add_param(&q, hash, dynamo_key_type_oid(t->ks.hash_type)));
	if (kc.has_range)
		append_range_condition(&q, t, &kc.range, values);
	if (esk != NULL)
	{
		Datum		keys[2];

		query_start_key(t, &kc, values, esk, hash, keys);
		if (t->nkeys == 1)
			appendStringInfoString(&q.sql, " AND false");
		else
			appendStringInfo(&q.sql, " AND sk OPERATOR(pg_catalog.%s) %s", forward ? ">" : "<",
							 add_param(&q, keys[1], dynamo_key_type_oid(t->ks.range_type)));
	}
	if (t->nkeys == 2)
		appendStringInfo(&q.sql, " ORDER BY sk%s", forward ? "" : " DESC");
	res = read_page(t, &q, limit, &spec, callcxt);
	SPI_finish();
	PG_RETURN_JSONB_P(res);
}

/*
 * scan(table_name, "limit", exclusive_start_key, filter_expression,
 *		projection_expression, expression_attribute_names,
 *		expression_attribute_values, "select", consistent_read)
 */
Datum
dynamo_scan(PG_FUNCTION_ARGS)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	int64		limit = arg_limit(fcinfo, 1);
	Jsonb	   *esk = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	PageQuery	q;
	Jsonb	   *res;
	DynamoReadSpec spec;

	/* like DynamoDB, check what needs no table before looking it up */
	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	dynamo_read_spec_args(fcinfo, DYNAMO_READ_SCAN, 3, 4, 5, 6, 7, &spec);
	if (esk != NULL)
		esk = dynamo_key_normalize(esk, NULL);
	SPI_connect();
	t = dynamo_item_table(name, AccessShareLock);
	dynamo_require_item_access(t, ACL_SELECT, "Scan");
	memset(&q, 0, sizeof(q));
	initStringInfo(&q.sql);
	appendStringInfo(&q.sql, "SELECT item FROM %s", t->qualname);
	if (esk != NULL)
	{
		Datum		keys[2];
		char	   *p1;

		esk = dynamo_key_normalize(esk, &t->ks);
		dynamo_key_values(t, esk, keys);
		p1 = add_param(&q, keys[0], dynamo_key_type_oid(t->ks.hash_type));
		if (t->nkeys == 1)
			appendStringInfo(&q.sql, " WHERE pk OPERATOR(pg_catalog.>) %s", p1);
		else
			appendStringInfo(&q.sql, " WHERE (pk, sk) OPERATOR(pg_catalog.>) (%s, %s)", p1,
							 add_param(&q, keys[1], dynamo_key_type_oid(t->ks.range_type)));
	}
	appendStringInfoString(&q.sql, t->nkeys == 2 ? " ORDER BY pk, sk" : " ORDER BY pk");
	res = read_page(t, &q, limit, &spec, callcxt);
	SPI_finish();
	PG_RETURN_JSONB_P(res);
}
