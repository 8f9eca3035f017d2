/*-------------------------------------------------------------------------
 *
 * key_condition.c
 *		DynamoDB's KeyConditionExpression on top of the expression parser
 *		(expr_parse.c).
 *
 * The expression is parsed by the one grammar of every expression (so
 * syntax, reserved words, placeholders and limits are checked exactly as
 * for the other kinds), then its shape is checked: an AND of at most two
 * simple conditions, each an attribute compared with a value (=, <, <=, >,
 * >=, either side), BETWEEN two values, or begins_with(attribute, value);
 * no OR, NOT, IN, <> or other function.  Exactly one equality on the hash
 * key and at most one condition on the range key.  Every #name and :value
 * must be used, as in DynamoDB.  The values themselves are read by the
 * caller (query.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "expr_internal.h"
#include "items.h"
#include "key_condition.h"

/* Raise a KeyConditionExpression error with DynamoDB's message. */
#define KC_ERROR(...) \
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION), \
			errmsg(__VA_ARGS__))

/* The conditions found so far. */
typedef struct KcState
{
	DynamoKeyCond conds[2];
	int			nconds;
} KcState;

/* Map a comparison to a key operator, mirrored if the value is left. */
static DynamoKeyOp
key_op(ExprCmp cmp, bool mirrored)
{
	switch (cmp)
	{
		case CMP_EQ:
			return DYNAMO_OP_EQ;
		case CMP_LT:
			return mirrored ? DYNAMO_OP_GT : DYNAMO_OP_LT;
		case CMP_LE:
			return mirrored ? DYNAMO_OP_GE : DYNAMO_OP_LE;
		case CMP_GT:
			return mirrored ? DYNAMO_OP_LT : DYNAMO_OP_GT;
		case CMP_GE:
			return mirrored ? DYNAMO_OP_LE : DYNAMO_OP_GE;
		case CMP_NE:
			break;
	}
	KC_ERROR("Unsupported operator on KeyConditionExpression: operator: <>");
	return DYNAMO_OP_EQ;
}

/* An operand must be a path or a value; a function is not allowed. */
static void
check_operand(ExprNode *n)
{
	if (n->type != EN_PATH && n->type != EN_VALUE)
		KC_ERROR("Invalid KeyConditionExpression: Invalid function name; function: %s",
				 expr_function_name(n->type));
	if (n->type == EN_PATH && n->path->n > 1)
		KC_ERROR("KeyConditionExpressions cannot contain nested attributes: %s",
				 expr_path_text(n->path));
}

/* Record one condition: attr is the path operand, v1 and v2 values. */
static void
add_cond(KcState *st, ExprNode *attr, DynamoKeyOp op, ExprNode *v1, ExprNode *v2)
{
	DynamoKeyCond *c;

	check_operand(attr);
	check_operand(v1);
	if (v2)
		check_operand(v2);
	if (attr->type == EN_VALUE)
		KC_ERROR("Invalid condition in KeyConditionExpression: No key attribute specified");
	if (v1->type != EN_VALUE || (v2 && v2->type != EN_VALUE))
		KC_ERROR("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
	if (st->nconds == 2)
		KC_ERROR("KeyConditionExpressions must only contain one condition per key");
	c = &st->conds[st->nconds++];
	c->attr = pnstrdup(attr->path->elems[0].name, attr->path->elems[0].len);
	c->op = op;
	c->value1 = (char *) v1->vname;
	c->value2 = v2 ? (char *) v2->vname : NULL;
}

/* Walk the parsed condition: AND of simple conditions. */
static void
collect(KcState *st, ExprNode *n)
{
	switch (n->type)
	{
		case EN_AND:
			collect(st, n->args[0]);
			collect(st, n->args[1]);
			return;
		case EN_OR:
			KC_ERROR("Invalid operator used in KeyConditionExpression: OR");
			break;
		case EN_NOT:
			KC_ERROR("Invalid operator used in KeyConditionExpression: NOT");
			break;
		case EN_IN:
			KC_ERROR("Invalid operator used in KeyConditionExpression: IN");
			break;
		case EN_CMP:
			check_operand(n->args[0]);
			check_operand(n->args[1]);
			if (n->args[0]->type == EN_VALUE && n->args[1]->type != EN_VALUE)
				add_cond(st, n->args[1], key_op(n->cmp, true), n->args[0], NULL);
			else
				add_cond(st, n->args[0], key_op(n->cmp, false), n->args[1], NULL);
			return;
		case EN_BETWEEN:
			add_cond(st, n->args[0], DYNAMO_OP_BETWEEN, n->args[1], n->args[2]);
			return;
		case EN_BEGINS_WITH:
			add_cond(st, n->args[0], DYNAMO_OP_BEGINS_WITH, n->args[1], NULL);
			return;
		default:
			KC_ERROR("Invalid KeyConditionExpression: Invalid function name; function: %s",
					 expr_function_name(n->type));
	}
}

/* Is attr the attribute name key (which may be NULL)? */
static inline bool
is_key(const char *attr, const char *key)
{
	return key != NULL && strcmp(attr, key) == 0;
}

/* Assign the conditions to the hash and range key. */
static void
assign_conditions(KcState *st, const DynamoKeySchema *ks, DynamoKeyCondition *out)
{
	bool		has_hash = false;
	int			i;

	for (i = 0; i < st->nconds; i++)
		has_hash |= is_key(st->conds[i].attr, ks->hash_key);
	if (!has_hash)
		KC_ERROR("Query condition missed key schema element: %s", ks->hash_key);
	if (st->nconds == 2 &&
		strcmp(st->conds[0].attr, st->conds[1].attr) == 0)
		KC_ERROR("KeyConditionExpressions must only contain one condition per key");
	out->has_range = false;
	for (i = 0; i < st->nconds; i++)
	{
		DynamoKeyCond *c = &st->conds[i];

		if (is_key(c->attr, ks->hash_key))
		{
			if (c->op != DYNAMO_OP_EQ)
				KC_ERROR("Query key condition not supported");
			out->hash = *c;
		}
		else if (is_key(c->attr, ks->range_key))
		{
			out->range = *c;
			out->has_range = true;
		}
		else if (ks->range_key)
			KC_ERROR("Query condition missed key schema element: %s", ks->range_key);
		else
			KC_ERROR("Query key condition not supported");
	}
}

/* The key conditions of a parsed KeyConditionExpression (expr.h). */
void
dynamo_expr_key_condition(DynamoExpr *e, const DynamoKeySchema *ks,
						  DynamoKeyCondition *out)
{
	KcState		st;

	memset(&st, 0, sizeof(st));
	collect(&st, e->cond);
	if (ks)
		assign_conditions(&st, ks, out);
}
