/*-------------------------------------------------------------------------
 *
 * key_condition.h
 *		Parser of DynamoDB's KeyConditionExpression (key_condition.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_KEY_CONDITION_H
#define DYNAMO_KEY_CONDITION_H

#include "utils/jsonb.h"

#include "dynamo_streams.h"

/* Operators of a key condition. */
typedef enum DynamoKeyOp
{
	DYNAMO_OP_EQ,
	DYNAMO_OP_LT,
	DYNAMO_OP_LE,
	DYNAMO_OP_GT,
	DYNAMO_OP_GE,
	DYNAMO_OP_BETWEEN,
	DYNAMO_OP_BEGINS_WITH
} DynamoKeyOp;

/* One condition: attribute, operator and the :value placeholders. */
typedef struct DynamoKeyCond
{
	char	   *attr;			/* resolved attribute name */
	DynamoKeyOp op;
	char	   *value1;			/* ":v" placeholder */
	char	   *value2;			/* upper bound of BETWEEN */
} DynamoKeyCond;

/* A parsed KeyConditionExpression: hash condition and optional range one. */
typedef struct DynamoKeyCondition
{
	DynamoKeyCond hash;
	DynamoKeyCond range;
	bool		has_range;
} DynamoKeyCondition;

/* The conditions of a KeyConditionExpression parsed with expr.h. */
struct DynamoExpr;
extern void dynamo_expr_key_condition(struct DynamoExpr *e, const DynamoKeySchema *ks,
									  DynamoKeyCondition *out);

#endif							/* DYNAMO_KEY_CONDITION_H */
