/*-------------------------------------------------------------------------
 *
 * filter.h
 *		Lambda event filtering: FilterCriteria compiled into a tree of
 *		matchers (filter_compile.c) and matched against stream records
 *		(filter_match.c).  The language is described in docs/filters.md.
 *
 * A compiled criteria is a list of patterns (ORed).  A pattern is an
 * object node: fields (ANDed) and $or groups.  A field either descends
 * (child node) or is a leaf with a list of matchers (ORed).  Everything is
 * allocated in one memory context, so a cached criteria is freed at once.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_FILTER_H
#define DYNAMO_FILTER_H

#include "utils/jsonb.h"
#include "utils/numeric.h"

/* AWS quotas: filters per event source mapping, characters per pattern. */
#define DYNAMO_FILTER_MAX_FILTERS	5
#define DYNAMO_FILTER_MAX_PATTERN	4096

/* What one matcher of a leaf's list tests. */
typedef enum FilterOp
{
	FOP_STRING,					/* exact string */
	FOP_NUMBER,					/* exact JSON number (numeric equality) */
	FOP_BOOL,					/* true or false */
	FOP_NULL,					/* JSON null */
	FOP_PREFIX,					/* {"prefix": s} (ignore_case: of its fold) */
	FOP_SUFFIX,					/* {"suffix": s} */
	FOP_EQUALS_IC,				/* {"equals-ignore-case": s} */
	FOP_NUMERIC,				/* {"numeric": [op, n, op, n]} */
	FOP_EXISTS,					/* {"exists": true|false} */
	FOP_ANYTHING_BUT			/* {"anything-but": ...}: none of vals */
} FilterOp;

typedef struct FilterMatcher
{
	FilterOp	op;
	bool		ignore_case;	/* str is case-folded; compare folded */
	bool		flag;			/* FOP_BOOL value, FOP_EXISTS value */
	char	   *str;			/* string operand */
	int			len;
	Numeric		num;			/* FOP_NUMBER */
	/* FOP_NUMERIC: bounds, each optional */
	Numeric		lo;
	Numeric		hi;
	bool		lo_incl;
	bool		hi_incl;
	/* FOP_ANYTHING_BUT: the excluded values (STRING, NUMBER, PREFIX, ...) */
	int			nvals;
	struct FilterMatcher *vals;
} FilterMatcher;

struct FilterNode;

/* One key of an object pattern. */
typedef struct FilterField
{
	char	   *name;
	int			namelen;
	struct FilterNode *child;	/* nested object pattern, or NULL: a leaf */
	int			nmatchers;
	FilterMatcher *matchers;
	bool		has_exists;		/* some matcher is FOP_EXISTS */
} FilterField;

/* An object pattern: every field matches, and one alternative of each $or. */
typedef struct FilterNode
{
	int			nfields;
	FilterField *fields;
	int			nalts;			/* $or alternatives (0 = none) */
	struct FilterNode *alts;
} FilterNode;

typedef struct FilterCriteria
{
	int			npatterns;		/* 0: matches every record */
	FilterNode *patterns;
} FilterCriteria;

/* filter_compile.c */
extern FilterCriteria *dynamo_filter_compile(Jsonb *criteria);
extern FilterNode *dynamo_filter_compile_pattern(const char *pattern, int len,
												 int filter_no);

/* filter_match.c */
extern bool dynamo_filter_match(const FilterCriteria *fc, JsonbContainer *record);
extern bool dynamo_filter_match_node(const FilterNode *node, JsonbContainer *obj);

#endif							/* DYNAMO_FILTER_H */
