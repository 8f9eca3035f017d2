/*-------------------------------------------------------------------------
 *
 * items.h
 *		Shared parts of the item API: the per-backend table cache with its
 *		prepared plans, argument helpers and response builders.
 *
 * Every item function (items.c, query.c, batch_write.c) works inside an
 * SPI connection: it opens the table through dynamo_item_table(), which
 * reads the catalog once per backend and keeps prepared plans for the hot
 * statements.  The _item_guard trigger (item_guard.c) needs none of this:
 * its key schema comes from the trigger arguments.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DYNAMO_ITEMS_H
#define DYNAMO_ITEMS_H

#include "executor/spi.h"
#include "fmgr.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
#include "utils/jsonb.h"

#include "dynamo_streams.h"

/* Longest table name an item table can have: PostgreSQL's identifier limit. */
#define DYNAMO_TABLE_NAME_MAX	(NAMEDATALEN - 1)

/* The statements kept prepared for each table. */
typedef enum DynamoPlanKind
{
	DYNAMO_PLAN_PUT,			/* upsert that skips identical items */
	DYNAMO_PLAN_INSERT,			/* INSERT ... ON CONFLICT DO NOTHING */
	DYNAMO_PLAN_LOCK,			/* SELECT item ... FOR UPDATE */
	DYNAMO_PLAN_GET,			/* SELECT item */
	DYNAMO_PLAN_DELETE,			/* DELETE */
	DYNAMO_PLAN_DELETE_OLD,		/* DELETE ... RETURNING item */
	DYNAMO_PLAN_COUNT
} DynamoPlanKind;

/* One item table as the item API sees it (cached per backend). */
typedef struct DynamoItemTable
{
	char		name[NAMEDATALEN];	/* hash key: the TableName */
	bool		valid;			/* false once invalidated */
	Oid			relid;
	DynamoKeySchema ks;
	int			nkeys;			/* 1 or 2 */
	char	   *qualname;		/* quoted schema.name of relation relid */
	SPIPlanPtr	plans[DYNAMO_PLAN_COUNT];
	MemoryContext cxt;			/* holds the strings above */
} DynamoItemTable;

/* item_cache.c */
extern DynamoItemTable *dynamo_item_table(text *name, LOCKMODE lockmode);
extern SPIPlanPtr dynamo_item_plan(DynamoItemTable *t, DynamoPlanKind kind);
extern Oid	dynamo_key_type_oid(char type);
extern void dynamo_check_table_name(const char *name, int len);
extern void dynamo_table_not_found(const char *name, int len, bool with_name) pg_attribute_noreturn();

/* item_access.c */
extern void dynamo_require_item_access(DynamoItemTable *t, AclMode mode,
									   const char *action);

/* The item put_item just normalised, which the trigger may trust. */
extern Oid	dynamo_trusted_relid;
extern Jsonb *dynamo_trusted_item;

/* items.c */
extern text *dynamo_arg_text(FunctionCallInfo fcinfo, int n, const char *what);
extern Jsonb *dynamo_arg_jsonb(FunctionCallInfo fcinfo, int n, const char *what);
extern Jsonb *dynamo_wrap_object(const char *key, Jsonb *value);
extern void dynamo_key_values(DynamoItemTable *t, Jsonb *item, Datum *values);
extern void dynamo_put_normalized(DynamoItemTable *t, Jsonb *item, Datum *keys);
extern bool dynamo_delete_key(DynamoItemTable *t, Datum *keys);
extern JsonbValue *dynamo_find_attr(JsonbContainer *obj, const char *name, int len);
extern uint64 dynamo_run_put_plan(DynamoItemTable *t, DynamoPlanKind kind,
								  Jsonb *item, Datum *keys);
extern Jsonb *dynamo_spi_first_item(MemoryContext cxt);

/* transact.c: the item locks of multi-item writes */
extern uint32 dynamo_item_key_hash(Jsonb *key);
extern void dynamo_lock_item_keys(int n, const Oid *relids, Jsonb *const *keys);

/* update_item.c: put_item and delete_item with a condition expression */
extern bool dynamo_item_has_expr(FunctionCallInfo fcinfo);
extern Datum dynamo_put_item_expr(FunctionCallInfo fcinfo);
extern Datum dynamo_delete_item_expr(FunctionCallInfo fcinfo);
struct DynamoExpr;
extern struct DynamoExpr *dynamo_parse_write_exprs(const char *update,
												   struct DynamoExpr **upd,
												   const char *cond, Jsonb *names,
												   Jsonb *values, const char *what);

/* Building jsonb results (items.c). */
extern void dynamo_push_key(JsonbParseState **state, const char *key, int len);
extern void dynamo_push_jsonb(JsonbParseState **state, JsonbIteratorToken tok, Jsonb *j);

#endif							/* DYNAMO_ITEMS_H */
