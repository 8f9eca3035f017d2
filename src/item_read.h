/*-------------------------------------------------------------------------
 *
 * item_read.h
 *		What a read returns: Select, ProjectionExpression and
 *		FilterExpression of get_item, query, scan and batch_get_item
 *		(item_read.c).
 *
 * A read parses its expressions once into a DynamoReadSpec, in the
 * request's DynamoExprContext (expr.h), before it looks the table up.  The
 * page loop then asks, per item read, whether the filter keeps it
 * (dynamo_read_keep) and what to return of it (dynamo_read_output).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_ITEM_READ_H
#define DYNAMO_ITEM_READ_H

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "dynamo_streams.h"
#include "expr.h"

/* The operations that read, as named in messages. */
typedef enum DynamoReadOp
{
	DYNAMO_READ_GET,
	DYNAMO_READ_QUERY,
	DYNAMO_READ_SCAN,
	DYNAMO_READ_BATCH_GET
} DynamoReadOp;

/* What a read returns of the items it reads. */
typedef struct DynamoReadSpec
{
	DynamoExpr *filter;			/* NULL: every item read is returned */
	DynamoExpr *projection;		/* NULL: whole items */
	bool		count_only;		/* Select COUNT: no Items */
	MemoryContext filter_cxt;	/* reset after each item's filter check */
} DynamoReadSpec;

extern void dynamo_read_spec(DynamoExprContext *cx, DynamoReadOp op,
							 const char *select, const char *projection,
							 const char *filter, DynamoReadSpec *spec);
extern void dynamo_read_spec_args(FunctionCallInfo fcinfo, DynamoReadOp op,
								  int filter_n, int projection_n, int names_n,
								  int values_n, int select_n, DynamoReadSpec *spec);
extern void dynamo_read_check_names(DynamoReadOp op, Jsonb *names, Jsonb *values,
									const char *projection, const char *filter);
extern void dynamo_read_check_filter_keys(DynamoReadSpec *spec,
										  const DynamoKeySchema *ks);
extern Jsonb *dynamo_read_project(DynamoReadSpec *spec, Jsonb *item);
extern bool dynamo_read_filter(DynamoReadSpec *spec, Jsonb *item);

/* Optional arguments: NULL when absent (old signature) or SQL NULL. */
extern char *dynamo_read_arg_cstring(FunctionCallInfo fcinfo, int n);
extern Jsonb *dynamo_read_arg_jsonb(FunctionCallInfo fcinfo, int n);

/* Does the filter keep item? */
static inline bool
dynamo_read_keep(DynamoReadSpec *spec, Jsonb *item)
{
	return spec->filter == NULL || dynamo_read_filter(spec, item);
}

/* The item as returned: projected when the read has a projection. */
static inline Jsonb *
dynamo_read_output(DynamoReadSpec *spec, Jsonb *item)
{
	return spec->projection == NULL ? item : dynamo_read_project(spec, item);
}

#endif							/* DYNAMO_ITEM_READ_H */
