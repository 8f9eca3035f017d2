/*-------------------------------------------------------------------------
 *
 * expr.h
 *		DynamoDB's expression language: one parser and evaluator for
 *		ConditionExpression, FilterExpression, ProjectionExpression,
 *		UpdateExpression and KeyConditionExpression (expr_*.c).
 *
 * Use.  A request opens one DynamoExprContext over its
 * ExpressionAttributeNames and ExpressionAttributeValues (both may be NULL),
 * parses each of its expressions once with dynamo_expr_parse(), then calls
 * dynamo_expr_finish(), which raises DynamoDB's "unused" errors: a name or
 * value is unused only if no expression of the request uses it.  The parsed
 * DynamoExpr can then be evaluated against any number of items:
 *
 *	  condition/filter:	dynamo_expr_check(e, item)
 *	  projection:		dynamo_expr_project(e, item)
 *	  update:			dynamo_expr_update(e, old_item, key, &res)
 *
 * A query parses its KeyConditionExpression in the same context, so that
 * its filter and projection share the names and values:
 * dynamo_expr_parse(cx, DYNAMO_EXPR_KEY_CONDITION, text), then
 * dynamo_expr_key_condition() (key_condition.h) for the key ranges.
 *
 * Items are normalised items (attrval.h) or NULL for "no item".  Placeholder
 * values are validated and normalised by dynamo_expr_begin(), so every value
 * an evaluator sees is in normal form and equality is byte equality.
 *
 * Errors are ValidationExceptions worded as DynamoDB words them
 * ("Invalid UpdateExpression: Syntax error; token: ...").  A condition that
 * is false is not an error: dynamo_expr_check() returns false and the caller
 * raises ConditionalCheckFailedException (dynamo_condition_failed()).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_EXPR_H
#define DYNAMO_EXPR_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "dynamo_streams.h"

/* DynamoDB's limits on expressions. */
#define DYNAMO_EXPR_MAX_BYTES		4096	/* length of one expression */
#define DYNAMO_EXPR_MAX_PATH_DEPTH	32	/* elements of a document path */
#define DYNAMO_EXPR_MAX_OPERATORS	300 /* operators and functions */
#define DYNAMO_EXPR_MAX_IN			100 /* values of one IN list */

/* The kinds of expression; each names itself in error messages. */
typedef enum DynamoExprKind
{
	DYNAMO_EXPR_CONDITION,
	DYNAMO_EXPR_FILTER,
	DYNAMO_EXPR_KEY_CONDITION,
	DYNAMO_EXPR_PROJECTION,
	DYNAMO_EXPR_UPDATE
} DynamoExprKind;

/* Names and values of one request, and which of them were used. */
typedef struct DynamoExprContext DynamoExprContext;

/* A parsed expression (opaque; see expr_internal.h). */
typedef struct DynamoExpr DynamoExpr;

/* Result of an update. */
typedef struct DynamoUpdateResult
{
	Jsonb	   *item;			/* the new item, normalised */
	bool		changed;		/* false: byte-identical to the old item */
	Jsonb	   *updated_old;	/* UPDATED_OLD: old values of updated paths */
	Jsonb	   *updated_new;	/* UPDATED_NEW: new values of updated paths */
} DynamoUpdateResult;

extern DynamoExprContext *dynamo_expr_begin(Jsonb *names, Jsonb *values);
extern DynamoExpr *dynamo_expr_parse(DynamoExprContext *cx, DynamoExprKind kind,
									 const char *text);
extern void dynamo_expr_finish(DynamoExprContext *cx);

/* True when the condition or filter holds for item (NULL: no item). */
extern bool dynamo_expr_check(DynamoExpr *e, JsonbContainer *item);

/* The attributes of item named by a projection; NULL item gives NULL. */
extern Jsonb *dynamo_expr_project(DynamoExpr *e, JsonbContainer *item);

/*
 * Apply an update expression (e may be NULL: no actions) to old (NULL: the
 * item does not exist, start from key).  ks guards the key attributes.
 */
extern void dynamo_expr_update(DynamoExpr *e, Jsonb *old, Jsonb *key,
							   const DynamoKeySchema *ks,
							   DynamoUpdateResult *res);

/* Raise ConditionalCheckFailedException, with the old item if given. */
extern void dynamo_condition_failed(Jsonb *old) pg_attribute_noreturn();

/* Is word (len bytes) one of DynamoDB's reserved words? (expr_reserved.c) */
extern bool dynamo_expr_reserved(const char *word, int len);

#endif							/* DYNAMO_EXPR_H */
