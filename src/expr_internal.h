/*-------------------------------------------------------------------------
 *
 * expr_internal.h
 *		The parsed form of DynamoDB expressions, shared by the parser
 *		(expr_parse.c), the evaluator (expr_eval.c), the update applier
 *		(expr_update.c) and the number arithmetic (expr_number.c).
 *
 * An operand or condition is a tree of ExprNode.  Placeholders are resolved
 * while parsing: a #name becomes the attribute name it stands for, a :value
 * points into the request's (normalised) ExpressionAttributeValues.  At
 * evaluation an operand yields an AttrVal: the type of an AttributeValue and
 * its inner value (a string for S, N and B, a boolean for BOOL and NULL, a
 * jbvBinary container for M, L and the sets), or "absent".
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_EXPR_INTERNAL_H
#define DYNAMO_EXPR_INTERNAL_H

#include "av_internal.h"
#include "expr.h"

/* One element of a document path: a name or a list index. */
typedef struct ExprPathElem
{
	char	   *name;			/* NULL for an index */
	int			len;
	int			index;
} ExprPathElem;

typedef struct ExprPath
{
	int			n;
	ExprPathElem *elems;
} ExprPath;

typedef enum ExprNodeType
{
	/* operands */
	EN_PATH,
	EN_VALUE,
	EN_SIZE,
	EN_PLUS,
	EN_MINUS,
	EN_IF_NOT_EXISTS,
	EN_LIST_APPEND,
	/* conditions */
	EN_CMP,
	EN_BETWEEN,
	EN_IN,
	EN_AND,
	EN_OR,
	EN_NOT,
	EN_EXISTS,
	EN_NOT_EXISTS,
	EN_TYPE,
	EN_BEGINS_WITH,
	EN_CONTAINS
} ExprNodeType;

typedef enum ExprCmp
{
	CMP_EQ,
	CMP_NE,
	CMP_LT,
	CMP_LE,
	CMP_GT,
	CMP_GE
} ExprCmp;

typedef struct ExprNode
{
	ExprNodeType type;
	ExprCmp		cmp;			/* EN_CMP */
	ExprPath   *path;			/* EN_PATH */
	JsonbValue *value;			/* EN_VALUE: the AttributeValue object */
	const char *vname;			/* EN_VALUE: its placeholder, ":v" */
	struct ExprNode *args[3];
	List	   *list;			/* EN_IN: the candidate operands */
} ExprNode;

/* One action of an UpdateExpression. */
typedef struct ExprAction
{
	char		kind;			/* 'S'et, 'R'emove, 'A'dd, 'D'elete */
	ExprPath   *path;
	ExprNode   *value;			/* SET: the value; ADD/DELETE: the :value */
} ExprAction;

struct DynamoExpr
{
	DynamoExprKind kind;
	ExprNode   *cond;			/* condition, filter, key condition */
	List	   *paths;			/* projection: ExprPath * */
	List	   *actions;		/* update: ExprAction * */
};

struct DynamoExprContext
{
	Jsonb	   *names;
	Jsonb	   *values;			/* normalised */
	List	   *used_names;		/* char * */
	List	   *used_values;
};

/* An evaluated operand. */
typedef struct AttrVal
{
	bool		present;
	DynamoAvType type;
	JsonbValue	v;				/* inner value, see the file header */
} AttrVal;

/* expr_parse.c */
extern const char *expr_function_name(ExprNodeType type);
extern bool expr_in_list(List *l, const char *s, int len);

/* expr_eval.c */
extern bool expr_av_from(JsonbValue *avobj, AttrVal *out);
extern bool expr_get_path(JsonbContainer *item, ExprPath *p, AttrVal *out);
extern void expr_operand(ExprNode *n, JsonbContainer *item, AttrVal *out,
						 bool update);
extern bool expr_av_equal(AttrVal *a, AttrVal *b);
extern char *expr_path_text(ExprPath *p);
extern const char *expr_kind_name(DynamoExprKind kind);
extern void expr_validate_paths(DynamoExprKind kind, List *paths);

/* expr_number.c: exact sum or difference of two canonical number texts */
extern char *dynamo_number_add(const char *a, int alen, const char *b, int blen,
							   bool subtract);

#define EXPR_ERROR(kind, ...) \
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION), \
			errmsg("Invalid %s: %s", expr_kind_name(kind), psprintf(__VA_ARGS__)))

#endif							/* DYNAMO_EXPR_INTERNAL_H */
