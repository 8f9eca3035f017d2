/*-------------------------------------------------------------------------
 *
 * expr_eval.c
 *		Evaluation of parsed expressions against items: operands,
 *		conditions and filters, projections, and the document path rules
 *		shared by projections and updates.
 *
 * DynamoDB's semantics: an operand naming an attribute the item does not
 * have is "absent"; every comparison and function on an absent operand is
 * false, except <> (which is NOT =) and attribute_not_exists.  Values of
 * different types are never equal and never ordered: such a comparison is
 * false, not an error.  < <= > >= order numbers numerically, strings and
 * binaries bytewise (unsigned, UTF-8 for strings).  Every value is in normal
 * form (attrval.h), so equality of any two values, sets and documents
 * included, is byte equality of their jsonb.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "expr_internal.h"
#include "items.h"

/* The name each expression kind has in messages. */
const char *
expr_kind_name(DynamoExprKind kind)
{
	switch (kind)
	{
		case DYNAMO_EXPR_CONDITION:
			return "ConditionExpression";
		case DYNAMO_EXPR_FILTER:
			return "FilterExpression";
		case DYNAMO_EXPR_KEY_CONDITION:
			return "KeyConditionExpression";
		case DYNAMO_EXPR_PROJECTION:
			return "ProjectionExpression";
		case DYNAMO_EXPR_UPDATE:
			return "UpdateExpression";
	}
	return "Expression";
}

/* Unwrap an AttributeValue object (jbvBinary) into out. */
bool
expr_av_from(JsonbValue *avobj, AttrVal *out)
{
	out->present = false;
	if (avobj == NULL || avobj->type != jbvBinary)
		return false;
	if (!dynamo_av_unwrap(avobj->val.binary.data, &out->type, &out->v))
		return false;
	out->present = true;
	return true;
}

/* The value at path p of item (NULL: no item); false if absent. */
bool
expr_get_path(JsonbContainer *item, ExprPath *p, AttrVal *out)
{
	JsonbValue *v;
	int			i;

	out->present = false;
	if (item == NULL)
		return false;
	v = dynamo_find_attr(item, p->elems[0].name, p->elems[0].len);
	if (!expr_av_from(v, out))
		return false;
	for (i = 1; i < p->n; i++)
	{
		ExprPathElem *e = &p->elems[i];

		if (e->name)
		{
			if (out->type != AV_M)
				return out->present = false;
			v = dynamo_find_attr(out->v.val.binary.data, e->name, e->len);
		}
		else
		{
			if (out->type != AV_L)
				return out->present = false;
			v = getIthJsonbValueFromContainer(out->v.val.binary.data, e->index);
		}
		if (!expr_av_from(v, out))
			return false;
	}
	return true;
}

/* The AttributeValue object of av as a Jsonb. */
static Jsonb *
av_jsonb(AttrVal *av)
{
	JsonbParseState *ps = NULL;
	JsonbValue	k;
	const char *tn = dynamo_av_type_name(av->type);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = (char *) tn;
	k.val.string.len = strlen(tn);
	pushJsonbValue(&ps, WJB_KEY, &k);
	pushJsonbValue(&ps, WJB_VALUE, &av->v);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

/* Are two present values equal (same type, same normalised value)? */
bool
expr_av_equal(AttrVal *a, AttrVal *b)
{
	Jsonb	   *ja,
			   *jb;

	if (!a->present || !b->present || a->type != b->type)
		return false;
	if (a->v.type == jbvString && b->v.type == jbvString)
		return a->v.val.string.len == b->v.val.string.len &&
			memcmp(a->v.val.string.val, b->v.val.string.val, a->v.val.string.len) == 0;
	if (a->v.type == jbvBool && b->v.type == jbvBool)
		return a->v.val.boolean == b->v.val.boolean;
	ja = av_jsonb(a);
	jb = av_jsonb(b);
	return VARSIZE(ja) == VARSIZE(jb) && memcmp(ja, jb, VARSIZE(ja)) == 0;
}

/* Bytes of a B value (decoded from canonical base64). */
static void
binary_bytes(AttrVal *a, char **out, int *len)
{
	bool		canon;

	if (!dynamo_base64_decode(a->v.val.string.val, a->v.val.string.len, out, len, &canon))
		elog(ERROR, "invalid base64 in a normalised value");
}

/* Order of two present values of the same type S, N or B; false if not. */
static bool
av_order(AttrVal *a, AttrVal *b, int *res)
{
	const char *x,
			   *y;
	int			xl,
				yl;
	int			c;

	if (!a->present || !b->present || a->type != b->type)
		return false;
	if (a->type == AV_N)
	{
		*res = dynamo_number_cmp(a->v.val.string.val, a->v.val.string.len,
								 b->v.val.string.val, b->v.val.string.len);
		return true;
	}
	if (a->type == AV_S)
	{
		x = a->v.val.string.val, xl = a->v.val.string.len;
		y = b->v.val.string.val, yl = b->v.val.string.len;
	}
	else if (a->type == AV_B)
	{
		char	   *xx,
				   *yy;

		binary_bytes(a, &xx, &xl);
		binary_bytes(b, &yy, &yl);
		x = xx, y = yy;
	}
	else
		return false;
	c = memcmp(x, y, Min(xl, yl));
	*res = c != 0 ? (c < 0 ? -1 : 1) : (xl == yl ? 0 : (xl < yl ? -1 : 1));
	return true;
}

/* size(): a number value for S, B, sets, M and L; absent otherwise. */
static void
eval_size(AttrVal *in, AttrVal *out)
{
	int64		n;

	out->present = false;
	if (!in->present)
		return;
	switch (in->type)
	{
		case AV_S:
			n = in->v.val.string.len;
			break;
		case AV_B:
			n = dynamo_base64_decoded_len(in->v.val.string.val, in->v.val.string.len);
			break;
		case AV_SS:
		case AV_NS:
		case AV_BS:
		case AV_M:
		case AV_L:
			n = JsonContainerSize(in->v.val.binary.data);
			break;
		default:
			return;
	}
	out->present = true;
	out->type = AV_N;
	out->v.type = jbvString;
	out->v.val.string.val = psprintf(INT64_FORMAT, n);
	out->v.val.string.len = strlen(out->v.val.string.val);
}

static void update_operand_error(void) pg_attribute_noreturn();

/* A runtime type error in an update value. */
static void
update_operand_error(void)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("An operand in the update expression has an incorrect data type"));
}

/* list_append(a, b) of two lists. */
static void
eval_list_append(AttrVal *a, AttrVal *b, AttrVal *out)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	Jsonb	   *j;
	AttrVal    *parts[2] = {a, b};
	int			k;

	if (a->type != AV_L || b->type != AV_L)
		update_operand_error();
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (k = 0; k < 2; k++)
	{
		JsonbIterator *it = JsonbIteratorInit(parts[k]->v.val.binary.data);
		JsonbValue	v;
		JsonbIteratorToken r;

		while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (r == WJB_ELEM)
				pushJsonbValue(&ps, WJB_ELEM, &v);
	}
	res = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	j = JsonbValueToJsonb(res);
	out->present = true;
	out->type = AV_L;
	out->v.type = jbvBinary;
	out->v.val.binary.data = &j->root;
	out->v.val.binary.len = VARSIZE(j) - VARHDRSZ;
}

/*
 * Evaluate an operand against item.  In an update (update = true) an absent
 * path is an error, as in DynamoDB; in a condition it is just absent.
 */
void
expr_operand(ExprNode *n, JsonbContainer *item, AttrVal *out, bool update)
{
	AttrVal		a,
				b;

	check_stack_depth();
	out->present = false;
	switch (n->type)
	{
		case EN_VALUE:
			expr_av_from(n->value, out);
			return;
		case EN_PATH:
			if (!expr_get_path(item, n->path, out) && update)
				ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
						errmsg("The provided expression refers to an attribute that does not exist in the item"));
			return;
		case EN_SIZE:
			expr_operand(n->args[0], item, &a, false);
			eval_size(&a, out);
			return;
		case EN_IF_NOT_EXISTS:
			if (expr_get_path(item, n->args[0]->path, out))
				return;
			expr_operand(n->args[1], item, out, update);
			return;
		case EN_LIST_APPEND:
			expr_operand(n->args[0], item, &a, update);
			expr_operand(n->args[1], item, &b, update);
			eval_list_append(&a, &b, out);
			return;
		case EN_PLUS:
		case EN_MINUS:
			expr_operand(n->args[0], item, &a, update);
			expr_operand(n->args[1], item, &b, update);
			if (a.type != AV_N || b.type != AV_N)
				update_operand_error();
			out->present = true;
			out->type = AV_N;
			out->v.type = jbvString;
			out->v.val.string.val =
				dynamo_number_add(a.v.val.string.val, a.v.val.string.len,
								  b.v.val.string.val, b.v.val.string.len,
								  n->type == EN_MINUS);
			out->v.val.string.len = strlen(out->v.val.string.val);
			return;
		default:
			elog(ERROR, "unexpected expression node %d", (int) n->type);
	}
}

/* begins_with(a, b): S or B prefix. */
static bool
eval_begins_with(AttrVal *a, AttrVal *b)
{
	char	   *x,
			   *y;
	int			xl,
				yl;

	if (!a->present || !b->present || a->type != b->type)
		return false;
	if (a->type == AV_S)
		return b->v.val.string.len <= a->v.val.string.len &&
			memcmp(a->v.val.string.val, b->v.val.string.val, b->v.val.string.len) == 0;
	if (a->type != AV_B)
		return false;
	binary_bytes(a, &x, &xl);
	binary_bytes(b, &y, &yl);
	return yl <= xl && memcmp(x, y, yl) == 0;
}

/* Does the byte string x contain y? */
static bool
bytes_contain(const char *x, int xl, const char *y, int yl)
{
	int			i;

	for (i = 0; i + yl <= xl; i++)
		if (memcmp(x + i, y, yl) == 0)
			return true;
	return false;
}

/* contains(a, b): substring of S or B, member of a set, element of a list. */
static bool
eval_contains(AttrVal *a, AttrVal *b)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	DynamoAvType elem;

	if (!a->present || !b->present)
		return false;
	switch (a->type)
	{
		case AV_S:
			return b->type == AV_S &&
				bytes_contain(a->v.val.string.val, a->v.val.string.len,
							  b->v.val.string.val, b->v.val.string.len);
		case AV_B:
			{
				char	   *x,
						   *y;
				int			xl,
							yl;

				if (b->type != AV_B)
					return false;
				binary_bytes(a, &x, &xl);
				binary_bytes(b, &y, &yl);
				return bytes_contain(x, xl, y, yl);
			}
		case AV_SS:
		case AV_NS:
		case AV_BS:
			elem = a->type == AV_SS ? AV_S : a->type == AV_NS ? AV_N : AV_B;
			if (b->type != elem)
				return false;
			it = JsonbIteratorInit(a->v.val.binary.data);
			while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
				if (r == WJB_ELEM && v.type == jbvString &&
					v.val.string.len == b->v.val.string.len &&
					memcmp(v.val.string.val, b->v.val.string.val, v.val.string.len) == 0)
					return true;
			return false;
		case AV_L:
			it = JsonbIteratorInit(a->v.val.binary.data);
			while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			{
				AttrVal		e;

				if (r == WJB_ELEM && expr_av_from(&v, &e) && expr_av_equal(&e, b))
					return true;
			}
			return false;
		default:
			return false;
	}
}

/* Evaluate a comparison. */
static bool
eval_cmp(ExprCmp cmp, AttrVal *a, AttrVal *b)
{
	int			c;

	switch (cmp)
	{
		case CMP_EQ:
			return expr_av_equal(a, b);
		case CMP_NE:
			return !expr_av_equal(a, b);
		default:
			if (!av_order(a, b, &c))
				return false;
			return cmp == CMP_LT ? c < 0 : cmp == CMP_LE ? c <= 0 :
				cmp == CMP_GT ? c > 0 : c >= 0;
	}
}

/* Evaluate a condition node. */
static bool
eval_cond(ExprNode *n, JsonbContainer *item)
{
	AttrVal		a,
				b,
				c;
	ListCell   *lc;
	int			o1,
				o2;

	check_stack_depth();
	switch (n->type)
	{
		case EN_AND:
			return eval_cond(n->args[0], item) && eval_cond(n->args[1], item);
		case EN_OR:
			return eval_cond(n->args[0], item) || eval_cond(n->args[1], item);
		case EN_NOT:
			return !eval_cond(n->args[0], item);
		case EN_CMP:
			expr_operand(n->args[0], item, &a, false);
			expr_operand(n->args[1], item, &b, false);
			return eval_cmp(n->cmp, &a, &b);
		case EN_BETWEEN:
			expr_operand(n->args[0], item, &a, false);
			expr_operand(n->args[1], item, &b, false);
			expr_operand(n->args[2], item, &c, false);
			return av_order(&a, &b, &o1) && av_order(&a, &c, &o2) && o1 >= 0 && o2 <= 0;
		case EN_IN:
			expr_operand(n->args[0], item, &a, false);
			foreach(lc, n->list)
			{
				expr_operand(lfirst(lc), item, &b, false);
				if (expr_av_equal(&a, &b))
					return true;
			}
			return false;
		case EN_EXISTS:
			return expr_get_path(item, n->args[0]->path, &a);
		case EN_NOT_EXISTS:
			return !expr_get_path(item, n->args[0]->path, &a);
		case EN_TYPE:
			expr_operand(n->args[0], item, &a, false);
			expr_operand(n->args[1], item, &b, false);
			return a.present && b.present && b.type == AV_S &&
				strlen(dynamo_av_type_name(a.type)) == b.v.val.string.len &&
				memcmp(dynamo_av_type_name(a.type), b.v.val.string.val, b.v.val.string.len) == 0;
		case EN_BEGINS_WITH:
			expr_operand(n->args[0], item, &a, false);
			expr_operand(n->args[1], item, &b, false);
			return eval_begins_with(&a, &b);
		case EN_CONTAINS:
			expr_operand(n->args[0], item, &a, false);
			expr_operand(n->args[1], item, &b, false);
			return eval_contains(&a, &b);
		default:
			elog(ERROR, "unexpected condition node %d", (int) n->type);
	}
	return false;
}

/* True when the condition or filter e holds for item. */
bool
dynamo_expr_check(DynamoExpr *e, JsonbContainer *item)
{
	return eval_cond(e->cond, item);
}

/* A path as DynamoDB prints it in messages: [a, b, [2]]. */
char *
expr_path_text(ExprPath *p)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < p->n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (p->elems[i].name)
			appendBinaryStringInfo(&buf, p->elems[i].name, p->elems[i].len);
		else
			appendStringInfo(&buf, "[%d]", p->elems[i].index);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* Are two path elements the same? */
static bool
elem_equal(ExprPathElem *a, ExprPathElem *b)
{
	if ((a->name == NULL) != (b->name == NULL))
		return false;
	if (a->name == NULL)
		return a->index == b->index;
	return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
}

/*
 * DynamoDB's rules for the paths of one projection or update: no path may
 * be a prefix of another (overlap), and two paths may not reach the same
 * element once as a map key and once as a list index (conflict).
 */
void
expr_validate_paths(DynamoExprKind kind, List *paths)
{
	int			i,
				j,
				k;
	char	   *conflict = NULL;

	for (i = 0; i < list_length(paths); i++)
		for (j = i + 1; j < list_length(paths); j++)
		{
			ExprPath   *a = list_nth(paths, i);
			ExprPath   *b = list_nth(paths, j);
			int			n = Min(a->n, b->n);

			for (k = 0; k < n; k++)
				if (!elem_equal(&a->elems[k], &b->elems[k]))
					break;
			if (k == n)
				EXPR_ERROR(kind, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s",
						   expr_path_text(a), expr_path_text(b));
			if (conflict == NULL &&
				(a->elems[k].name == NULL) != (b->elems[k].name == NULL))
				conflict = psprintf("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s",
									expr_path_text(a), expr_path_text(b));
		}
	if (conflict)
		EXPR_ERROR(kind, "%s", conflict);
}
