/*-------------------------------------------------------------------------
 *
 * update_item.c
 *		update_item, and put_item and delete_item with a condition
 *		expression (SPEC 4.3, DynamoDB's UpdateItem, PutItem, DeleteItem).
 *
 * Every conditional write follows one pattern: lock and read the current
 * item (SELECT ... FOR UPDATE), evaluate the condition on it, then write.
 * A failed condition raises ConditionalCheckFailedException before anything
 * is written, so it leaves no row version and no stream record.  When there
 * is no item the write is an INSERT ... ON CONFLICT DO NOTHING; if a
 * concurrent writer created the key first, nothing was written and the loop
 * starts over, locking that item and evaluating the condition on it, as
 * DynamoDB's serialised writes of one item would.
 *
 * update_item computes the new item (expr_update.c); an update that leaves
 * the item byte-identical writes nothing (no row version, no record), like
 * a put of an identical item.  An update of a missing key creates the item,
 * even when its expression changes nothing but the key, as in DynamoDB.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"

#include "attrval.h"
#include "expr.h"
#include "items.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_update_item);

/* return_values of the write functions. */
typedef enum ReturnValues
{
	RV_NONE,
	RV_ALL_OLD,
	RV_UPDATED_OLD,
	RV_ALL_NEW,
	RV_UPDATED_NEW
} ReturnValues;

static const char *const rv_names[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"};

/* Parse return_values (argument n); only_old: NONE and ALL_OLD allowed. */
static ReturnValues
arg_rv(FunctionCallInfo fcinfo, int n, bool only_old)
{
	char	   *rv;
	int			i;

	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return RV_NONE;
	rv = text_to_cstring(PG_GETARG_TEXT_PP(n));
	for (i = 0; i < lengthof(rv_names); i++)
		if (strcmp(rv, rv_names[i]) == 0)
		{
			if (only_old && i > RV_ALL_OLD)
				ereport(ERROR,
						dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
												"Only NONE and ALL_OLD are allowed here, not %s.", rv),
						errmsg("Return values set to invalid value"));
			return (ReturnValues) i;
		}
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
				   rv));
	return RV_NONE;
}

/* return_values_on_condition_check_failure: true for ALL_OLD. */
static bool
arg_rvccf(FunctionCallInfo fcinfo, int n)
{
	char	   *rv;

	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return false;
	rv = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (strcmp(rv, "NONE") == 0)
		return false;
	if (strcmp(rv, "ALL_OLD") == 0)
		return true;
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
				   rv));
	return false;
}

/* Does a put_item/delete_item call use the expression arguments (3..6)? */
bool
dynamo_item_has_expr(FunctionCallInfo fcinfo)
{
	if (PG_NARGS() <= 3)
		return false;
	return !PG_ARGISNULL(3) || !PG_ARGISNULL(4) || !PG_ARGISNULL(5) || arg_rvccf(fcinfo, 6);
}

/* Optional text argument n as a C string, or NULL. */
static char *
arg_cstring(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static Jsonb *
arg_jsonb_opt(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return PG_GETARG_JSONB_P(n);
}

/* Raise ConditionalCheckFailedException, with the old item if given. */
void
dynamo_condition_failed(Jsonb *old)
{
	if (old)
		ereport(ERROR,
				dynamo_exception_detail(DYNAMO_EXC_CONDITION_FAILED, "Item: %s",
										JsonbToCString(NULL, &old->root, VARSIZE(old))),
				errmsg("The conditional request failed"));
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_CONDITION_FAILED),
			errmsg("The conditional request failed"));
}

/*
 * Parse the condition (and update) expressions of a write.  names and
 * values need an expression, as in DynamoDB; what names the expressions
 * for that message.
 */
static DynamoExpr *
parse_write_exprs(const char *update, DynamoExpr **upd, const char *cond,
				  Jsonb *names, Jsonb *values, const char *what)
{
	DynamoExprContext *cx;
	DynamoExpr *c = NULL;

	if (update == NULL && cond == NULL)
	{
		if (names)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("ExpressionAttributeNames can only be specified when using expressions"));
		if (values)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("ExpressionAttributeValues can only be specified when using expressions: %s",
						   what));
	}
	cx = dynamo_expr_begin(names, values);
	if (upd)
		*upd = update ? dynamo_expr_parse(cx, DYNAMO_EXPR_UPDATE, update) : NULL;
	if (cond)
		c = dynamo_expr_parse(cx, DYNAMO_EXPR_CONDITION, cond);
	dynamo_expr_finish(cx);
	return c;
}

/* Lock and read the item with key values keys (copied into cxt), or NULL. */
static Jsonb *
lock_item(DynamoItemTable *t, Datum *keys, MemoryContext cxt)
{
	CHECK_FOR_INTERRUPTS();
	if (SPI_execute_plan(dynamo_item_plan(t, DYNAMO_PLAN_LOCK), keys, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "item lock failed");
	return dynamo_spi_first_item(cxt);
}

/* Check cond on old; on failure raise, with old when rvccf asks for it. */
static void
check_condition(DynamoExpr *cond, Jsonb *old, bool rvccf)
{
	if (cond && !dynamo_expr_check(cond, old ? &old->root : NULL))
		dynamo_condition_failed(rvccf ? old : NULL);
}

/*
 * put_item(table_name, item, return_values, condition_expression,
 *			expression_attribute_names, expression_attribute_values,
 *			return_values_on_condition_check_failure)
 */
Datum
dynamo_put_item_expr(FunctionCallInfo fcinfo)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	Jsonb	   *item = dynamo_arg_jsonb(fcinfo, 1, "item");
	bool		all_old = arg_rv(fcinfo, 2, true) == RV_ALL_OLD;
	char	   *cond_text = arg_cstring(fcinfo, 3);
	bool		rvccf = arg_rvccf(fcinfo, 6);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	DynamoExpr *cond;
	Jsonb	   *norm,
			   *old;
	Datum		keys[2];

	/* like DynamoDB, validate the request before looking the table up */
	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	norm = dynamo_item_normalize(item, NULL);
	cond = parse_write_exprs(NULL, NULL, cond_text, arg_jsonb_opt(fcinfo, 4),
							 arg_jsonb_opt(fcinfo, 5), "ConditionExpression is null");
	SPI_connect();
	t = dynamo_item_table(name, RowExclusiveLock);
	dynamo_require_item_access(t, ACL_SELECT | ACL_INSERT | ACL_UPDATE, "PutItem");
	dynamo_item_check_keys(norm, &t->ks, false);
	dynamo_key_values(t, norm, keys);
	for (;;)
	{
		old = lock_item(t, keys, callcxt);
		check_condition(cond, old, rvccf);
		if (old)
		{
			dynamo_put_normalized(t, norm, keys);
			break;
		}
		if (dynamo_run_put_plan(t, DYNAMO_PLAN_INSERT, norm, keys) > 0)
			break;
	}
	SPI_finish();
	PG_RETURN_JSONB_P(dynamo_wrap_object("Attributes", all_old ? old : NULL));
}

/*
 * delete_item(table_name, key, return_values, condition_expression,
 *			   expression_attribute_names, expression_attribute_values,
 *			   return_values_on_condition_check_failure)
 */
Datum
dynamo_delete_item_expr(FunctionCallInfo fcinfo)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	Jsonb	   *key = dynamo_arg_jsonb(fcinfo, 1, "key");
	bool		all_old = arg_rv(fcinfo, 2, true) == RV_ALL_OLD;
	char	   *cond_text = arg_cstring(fcinfo, 3);
	bool		rvccf = arg_rvccf(fcinfo, 6);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	DynamoExpr *cond;
	Jsonb	   *old;
	Datum		keys[2];

	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	key = dynamo_key_normalize(key, NULL);
	cond = parse_write_exprs(NULL, NULL, cond_text, arg_jsonb_opt(fcinfo, 4),
							 arg_jsonb_opt(fcinfo, 5), "ConditionExpression is null");
	SPI_connect();
	t = dynamo_item_table(name, RowExclusiveLock);
	/* the current item is locked (SELECT ... FOR UPDATE): UPDATE too */
	dynamo_require_item_access(t, ACL_SELECT | ACL_UPDATE | ACL_DELETE, "DeleteItem");
	key = dynamo_key_normalize(key, &t->ks);
	dynamo_key_values(t, key, keys);
	old = lock_item(t, keys, callcxt);
	check_condition(cond, old, rvccf);
	if (old)
		dynamo_delete_key(t, keys);
	SPI_finish();
	PG_RETURN_JSONB_P(dynamo_wrap_object("Attributes", all_old ? old : NULL));
}

/* The Attributes object an update returns, or NULL for none. */
static Jsonb *
update_result(ReturnValues rv, Jsonb *old, DynamoUpdateResult *res)
{
	Jsonb	   *r = NULL;

	switch (rv)
	{
		case RV_NONE:
			return NULL;
		case RV_ALL_OLD:
			r = old;
			break;
		case RV_ALL_NEW:
			r = res->item;
			break;
		case RV_UPDATED_OLD:
			r = res->updated_old;
			break;
		case RV_UPDATED_NEW:
			r = res->updated_new;
			break;
	}
	if (r && JB_ROOT_COUNT(r) == 0)
		return NULL;
	return r;
}

/*
 * update_item(table_name, key, update_expression, condition_expression,
 *			   expression_attribute_names, expression_attribute_values,
 *			   return_values, return_values_on_condition_check_failure)
 * → {} or {"Attributes": ...}
 */
Datum
dynamo_update_item(PG_FUNCTION_ARGS)
{
	text	   *name = dynamo_arg_text(fcinfo, 0, "tableName");
	Jsonb	   *key = dynamo_arg_jsonb(fcinfo, 1, "key");
	char	   *upd_text = arg_cstring(fcinfo, 2);
	char	   *cond_text = arg_cstring(fcinfo, 3);
	ReturnValues rv = arg_rv(fcinfo, 6, false);
	bool		rvccf = arg_rvccf(fcinfo, 7);
	MemoryContext callcxt = CurrentMemoryContext;
	DynamoItemTable *t;
	DynamoExpr *cond,
			   *upd;
	DynamoUpdateResult res;
	Jsonb	   *old,
			   *attrs;
	Datum		keys[2];

	dynamo_check_table_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	key = dynamo_key_normalize(key, NULL);
	cond = parse_write_exprs(upd_text, &upd, cond_text, arg_jsonb_opt(fcinfo, 4),
							 arg_jsonb_opt(fcinfo, 5),
							 "UpdateExpression and ConditionExpression are null");
	SPI_connect();
	t = dynamo_item_table(name, RowExclusiveLock);
	dynamo_require_item_access(t, ACL_SELECT | ACL_INSERT | ACL_UPDATE, "UpdateItem");
	key = dynamo_key_normalize(key, &t->ks);
	dynamo_key_values(t, key, keys);
	for (;;)
	{
		old = lock_item(t, keys, callcxt);
		check_condition(cond, old, rvccf);
		dynamo_expr_update(upd, old, key, &t->ks, &res);
		if (old)
		{
			if (res.changed)
				dynamo_put_normalized(t, res.item, keys);
			else
				dynamo_log_noop(t->relid, res.item, t->ks.hash_key, t->ks.range_key);
			break;
		}
		if (dynamo_run_put_plan(t, DYNAMO_PLAN_INSERT, res.item, keys) > 0)
			break;
	}
	attrs = update_result(rv, old, &res);
	if (attrs)
	{
		MemoryContext o = MemoryContextSwitchTo(callcxt);

		attrs = dynamo_wrap_object("Attributes", attrs);
		MemoryContextSwitchTo(o);
	}
	SPI_finish();
	PG_RETURN_JSONB_P(attrs ? attrs : dynamo_wrap_object("Attributes", NULL));
}

/* parse_write_exprs for the other item files (transact.c). */
DynamoExpr *
dynamo_parse_write_exprs(const char *update, DynamoExpr **upd, const char *cond,
						 Jsonb *names, Jsonb *values, const char *what)
{
	return parse_write_exprs(update, upd, cond, names, values, what);
}
