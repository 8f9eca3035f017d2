/*-------------------------------------------------------------------------
 *
 * transact.c
 *		transact_write_items() and transact_get_items(): DynamoDB's
 *		TransactWriteItems and TransactGetItems.
 *
 * A write transaction is up to 100 actions (ConditionCheck, Put, Update,
 * Delete), each on a different item, all done or none.  It runs in three
 * steps, inside the caller's PostgreSQL transaction:
 *
 * 1. Validate.  The shape of the request, every item, key and expression
 *	  is checked before any table is looked up (as DynamoDB does); then the
 *	  tables are looked up, privileges checked, keys checked against their
 *	  schemas, and two actions on one item rejected.  These errors are
 *	  ValidationException (or ResourceNotFoundException, ...) for the whole
 *	  request.
 *
 * 2. Lock and evaluate, in a canonical order (table OID, hash of the
 *	  normalised key, key bytes).  Each item gets a transaction-level
 *	  advisory lock on (database, table OID, key hash) with the field
 *	  objsubid = DYNAMO_TRANSACT_LOCK_CLASS, which PostgreSQL's own advisory
 *	  lock functions never use (they use 1 and 2), and then its row lock
 *	  (SELECT ... FOR UPDATE).  The advisory lock also covers items that
 *	  do not exist yet, which a row lock cannot: two transactions that
 *	  create the same items in opposite request orders therefore queue up
 *	  instead of deadlocking.  Taking the locks in one global order makes
 *	  transact_write_items deadlock-free against itself and against
 *	  batch_write_item, which takes the same item locks
 *	  (dynamo_lock_item_keys) before it writes.  Every condition
 *	  is evaluated and every update computed; a failed condition, or an
 *	  update that breaks a rule only on this item ("An operand in the
 *	  update expression has an incorrect data type", item size), becomes
 *	  that action's cancellation reason.
 *
 * 3. If any action has a reason, raise TransactionCanceledException with
 *	  the reasons of all actions in request order (Code "None" for the
 *	  others) and write nothing.  Otherwise apply the actions in request
 *	  order, so that the stream records of the transaction (one per
 *	  changed item, none for ConditionCheck or for a Put or Update that
 *	  leaves the item as it was) share one commit and come in request order.
 *	  A Put or Update of a missing item inserts with ON CONFLICT DO NOTHING;
 *	  if a plain put_item created the item meanwhile, the action locks it,
 *	  evaluates its condition again and, if it now fails, cancels the whole
 *	  transaction (everything written so far goes with the error).
 *
 * An evaluation error is caught without a subtransaction: dynamo_expr_update
 * only computes (palloc, no locks, buffers or SPI), which makes it safe.
 *
 * A read transaction reads up to 100 items in one statement, so every read
 * sees the same snapshot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "attrval.h"
#include "expr.h"
#include "items.h"
#include "record.h"

PG_FUNCTION_INFO_V1(dynamo_transact_write_items);
PG_FUNCTION_INFO_V1(dynamo_transact_get_items);

/* Actions per request (DynamoDB raised it from 25 to 100 in 2022). */
#define DYNAMO_TRANSACT_MAX			100
/* objsubid of the item locks: "DS" */
#define DYNAMO_TRANSACT_LOCK_CLASS	0x4453
/* Longest ClientRequestToken. */
#define DYNAMO_TOKEN_MAX			36

typedef enum TxKind
{
	TX_CHECK,
	TX_PUT,
	TX_DELETE,
	TX_UPDATE,
	TX_GET
} TxKind;

/* Member names and the names used in AWS's validation messages. */
static const struct
{
	const char *member;
	const char *path;			/* camelCase, as in "transactItems.1.member.put" */
	const char *action;			/* IAM action, for AccessDeniedException */
	AclMode		privileges;
}			tx_kinds[] =
{
	[TX_CHECK] = {"ConditionCheck", "conditionCheck", "ConditionCheckItem", ACL_SELECT | ACL_UPDATE},
	[TX_PUT] = {"Put", "put", "PutItem", ACL_SELECT | ACL_INSERT | ACL_UPDATE},
	[TX_DELETE] = {"Delete", "delete", "DeleteItem", ACL_SELECT | ACL_UPDATE | ACL_DELETE},
	[TX_UPDATE] = {"Update", "update", "UpdateItem", ACL_SELECT | ACL_INSERT | ACL_UPDATE},
	[TX_GET] = {"Get", "get", "GetItem", ACL_SELECT},
};

/* One action of a transaction. */
typedef struct TxAction
{
	int			index;			/* position in the request, from 0 */
	TxKind		kind;
	text	   *table_name;
	DynamoItemTable *table;
	Jsonb	   *item;			/* Put: the normalised item */
	Jsonb	   *key;			/* the normalised key */
	Datum		keys[2];		/* key column values */
	uint32		hash;			/* hash of key, for the lock order */
	DynamoExpr *cond;			/* ConditionExpression or NULL */
	DynamoExpr *upd;			/* UpdateExpression (Update) */
	DynamoExpr *proj;			/* ProjectionExpression (Get) or NULL */
	bool		rvccf;			/* ReturnValuesOnConditionCheckFailure ALL_OLD */
	Jsonb	   *old;			/* the current item, locked; NULL: none */
	DynamoUpdateResult res;		/* Update: the new item */
	const char *code;			/* cancellation reason code; NULL: "None" */
	char	   *message;		/* its message */
	Jsonb	   *reason_item;	/* its Item (ALL_OLD) or NULL */
} TxAction;

/* ValidationException with a fixed message. */
static void
tx_invalid(const char *message)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("%s", message));
}

/* AWS's "Value null at '<path>'" for a missing required member. */
static void
tx_missing(int index, TxKind kind, const char *member)
{
	bool		whole = strcmp(member, tx_kinds[kind].path) == 0;

	tx_invalid(psprintf("1 validation error detected: Value null at 'transactItems.%d.member.%s%s%s' failed to satisfy constraint: Member must not be null",
						index + 1, tx_kinds[kind].path, whole ? "" : ".",
						whole ? "" : member));
}

/* Member name of object c; NULL if absent; type-checked. */
static JsonbValue *
tx_member(JsonbContainer *c, const char *name, bool object)
{
	JsonbValue *v = dynamo_find_attr(c, name, strlen(name));

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (object ? (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		: v->type != jbvString)
		tx_invalid(psprintf("One or more parameter values were invalid: %s must be %s",
							name, object ? "an object" : "a string"));
	return v;
}

/* Member name of c as a C string, or NULL. */
static char *
tx_string(JsonbContainer *c, const char *name)
{
	JsonbValue *v = tx_member(c, name, false);

	return v ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

/* Member name of c as Jsonb, or NULL. */
static Jsonb *
tx_object(JsonbContainer *c, const char *name)
{
	JsonbValue *v = tx_member(c, name, true);

	return v ? JsonbValueToJsonb(v) : NULL;
}

/* ReturnValuesOnConditionCheckFailure of action c: true for ALL_OLD. */
static bool
tx_rvccf(JsonbContainer *c, int index, TxKind kind)
{
	char	   *rv = tx_string(c, "ReturnValuesOnConditionCheckFailure");

	if (rv == NULL || strcmp(rv, "NONE") == 0)
		return false;
	if (strcmp(rv, "ALL_OLD") == 0)
		return true;
	tx_invalid(psprintf("1 validation error detected: Value '%s' at 'transactItems.%d.member.%s.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
						rv, index + 1, tx_kinds[kind].path));
	return false;
}

/* Which action an element of TransactItems holds; a sole member expected. */
static TxKind
tx_kind(JsonbValue *elem, int index, bool get, JsonbContainer **body)
{
	JsonbContainer *c;
	int			k,
				found = -1;

	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		tx_invalid("One or more parameter values were invalid: an element of TransactItems must be an object");
	c = elem->val.binary.data;
	for (k = get ? TX_GET : TX_CHECK; k <= (get ? TX_GET : TX_UPDATE); k++)
	{
		JsonbValue *v = tx_member(c, tx_kinds[k].member, true);

		if (v == NULL)
			continue;
		if (found >= 0)
			found = -2;
		else
		{
			found = k;
			*body = v->val.binary.data;
		}
	}
	/* moto, test_transact_write_items_multiple_operations_fail */
	if (found < 0 && !get)
		tx_invalid("TransactItems can only contain one of Check, Put, Update or Delete");
	if (found < 0)
		tx_missing(index, TX_GET, "get");
	return (TxKind) found;
}

/* Validate one action (no table yet) into a. */
static void
tx_parse_action(JsonbValue *elem, int index, bool get, TxAction *a)
{
	JsonbContainer *c = NULL;
	char	   *name,
			   *cond,
			   *upd;
	Jsonb	   *names,
			   *values,
			   *obj;

	memset(a, 0, sizeof(TxAction));
	a->index = index;
	a->kind = tx_kind(elem, index, get, &c);
	name = tx_string(c, "TableName");
	if (name == NULL)
		tx_missing(index, a->kind, "tableName");
	dynamo_check_table_name(name, strlen(name));
	a->table_name = cstring_to_text(name);
	obj = tx_object(c, a->kind == TX_PUT ? "Item" : "Key");
	if (obj == NULL)
		tx_missing(index, a->kind, a->kind == TX_PUT ? "item" : "key");
	if (a->kind == TX_PUT)
		a->item = dynamo_item_normalize(obj, NULL);
	else
		a->key = dynamo_key_normalize(obj, NULL);
	names = tx_object(c, "ExpressionAttributeNames");
	if (a->kind == TX_GET)
	{
		char	   *proj = tx_string(c, "ProjectionExpression");
		DynamoExprContext *cx;

		if (proj == NULL && names)
			tx_invalid("ExpressionAttributeNames can only be specified when using expressions");
		cx = dynamo_expr_begin(names, NULL);
		if (proj)
			a->proj = dynamo_expr_parse(cx, DYNAMO_EXPR_PROJECTION, proj);
		dynamo_expr_finish(cx);
		return;
	}
	values = tx_object(c, "ExpressionAttributeValues");
	cond = tx_string(c, "ConditionExpression");
	upd = tx_string(c, "UpdateExpression");
	if (a->kind == TX_CHECK && cond == NULL)
		tx_missing(index, a->kind, "conditionExpression");
	if (a->kind == TX_UPDATE && upd == NULL)
		tx_missing(index, a->kind, "updateExpression");
	a->rvccf = tx_rvccf(c, index, a->kind);
	a->cond = dynamo_parse_write_exprs(a->kind == TX_UPDATE ? upd : NULL,
									   a->kind == TX_UPDATE ? &a->upd : NULL,
									   cond, names, values,
									   "ConditionExpression is null");
}

/* Validate TransactItems; returns the number of actions. */
static int
tx_parse(Jsonb *req, bool get, TxAction *actions)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int			n = 0;

	if (!JB_ROOT_IS_ARRAY(req) || JB_ROOT_IS_SCALAR(req))
		tx_invalid("One or more parameter values were invalid: TransactItems must be an array");
	if (JB_ROOT_COUNT(req) == 0)
		tx_invalid("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
	/* moto, test_transact_write_items__too_many_transactions */
	if (JB_ROOT_COUNT(req) > DYNAMO_TRANSACT_MAX)
		tx_invalid(psprintf("1 validation error detected at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d.",
							DYNAMO_TRANSACT_MAX));
	it = JsonbIteratorInit(&req->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (r == WJB_ELEM)
		{
			tx_parse_action(&v, n, get, &actions[n]);
			n++;
		}
	return n;
}

/* The hash of a normalised key that orders and names its item lock. */
uint32
dynamo_item_key_hash(Jsonb *key)
{
	return hash_bytes((const unsigned char *) VARDATA(key), VARSIZE(key) - VARHDRSZ);
}

/* Take the transaction-level advisory lock of an item (see the header). */
static void
tx_lock_key(Oid relid, uint32 hash)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, relid, hash, DYNAMO_TRANSACT_LOCK_CLASS);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* One item lock to take, for dynamo_lock_item_keys(). */
typedef struct ItemLock
{
	Oid			relid;
	uint32		hash;
	Jsonb	   *key;
} ItemLock;

/* qsort comparator: the canonical order (table OID, key hash, key bytes). */
static int
item_lock_cmp(const void *pa, const void *pb)
{
	const ItemLock *a = (const ItemLock *) pa;
	const ItemLock *b = (const ItemLock *) pb;
	Size		la,
				lb;
	int			c;

	if (a->relid != b->relid)
		return a->relid < b->relid ? -1 : 1;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	la = VARSIZE(a->key);
	lb = VARSIZE(b->key);
	c = memcmp(a->key, b->key, Min(la, lb));
	if (c != 0)
		return c;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/*
 * Take the item locks of n items (table relids[i], normalised key keys[i])
 * in the canonical order, as transact_write_items does, so that other
 * multi-item writers (batch_write_item) and transactions never wait for
 * each other in a cycle.
 */
void
dynamo_lock_item_keys(int n, const Oid *relids, Jsonb *const *keys)
{
	ItemLock   *locks = palloc(n * sizeof(ItemLock));
	int			i;

	for (i = 0; i < n; i++)
	{
		locks[i].relid = relids[i];
		locks[i].key = keys[i];
		locks[i].hash = dynamo_item_key_hash(keys[i]);
	}
	qsort(locks, n, sizeof(ItemLock), item_lock_cmp);
	for (i = 0; i < n; i++)
		tx_lock_key(locks[i].relid, locks[i].hash);
	pfree(locks);
}

/* Look the tables up, check privileges and keys, hash the keys. */
static void
tx_resolve(TxAction *actions, int n, LOCKMODE lockmode)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		TxAction   *a = &actions[i];

		a->table = dynamo_item_table(a->table_name, lockmode);
		dynamo_require_item_access(a->table, tx_kinds[a->kind].privileges,
								   tx_kinds[a->kind].action);
		if (a->kind == TX_PUT)
		{
			dynamo_item_check_keys(a->item, &a->table->ks, false);
			a->key = dynamo_item_keys(&a->item->root, &a->table->ks);
		}
		else
			a->key = dynamo_key_normalize(a->key, &a->table->ks);
		dynamo_key_values(a->table, a->key, a->keys);
		a->hash = dynamo_item_key_hash(a->key);
	}
}

/* qsort comparator of actions: the canonical order of their item locks. */
static int
tx_order_cmp(const void *pa, const void *pb)
{
	const TxAction *a = *(TxAction *const *) pa;
	const TxAction *b = *(TxAction *const *) pb;
	ItemLock	la = {a->table->relid, a->hash, a->key};
	ItemLock	lb = {b->table->relid, b->hash, b->key};

	return item_lock_cmp(&la, &lb);
}

/*
 * The actions in lock order; two actions on one item are an error
 * (moto, test_multiple_transactions_on_same_item, recorded against AWS for
 * a Put and a Delete of one item).
 */
static TxAction **
tx_sorted(TxAction *actions, int n)
{
	TxAction  **sorted = palloc(n * sizeof(TxAction *));
	int			i;

	for (i = 0; i < n; i++)
		sorted[i] = &actions[i];
	qsort(sorted, n, sizeof(TxAction *), tx_order_cmp);
	for (i = 1; i < n; i++)
		if (tx_order_cmp(&sorted[i - 1], &sorted[i]) == 0)
			tx_invalid("Transaction request cannot include multiple operations on one item");
	return sorted;
}

/* Lock and read the current item of a into a->old. */
static void
tx_lock_row(TxAction *a, MemoryContext cxt)
{
	CHECK_FOR_INTERRUPTS();
	if (SPI_execute_plan(dynamo_item_plan(a->table, DYNAMO_PLAN_LOCK), a->keys,
						 NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "item lock failed");
	a->old = dynamo_spi_first_item(cxt);
}

/*
 * Compute the new item of an Update; a ValidationException that depends on
 * the item becomes the action's ValidationError reason.
 */
static void
tx_compute_update(TxAction *a)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		dynamo_expr_update(a->upd, a->old, a->key, &a->table->ks, &a->res);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_DYNAMO_VALIDATION)
			PG_RE_THROW();
		FlushErrorState();
		a->code = "ValidationError";
		a->message = edata->message;
	}
	PG_END_TRY();
}

/* Evaluate the condition (and update) of a locked action; sets its reason. */
static void
tx_evaluate(TxAction *a)
{
	a->code = NULL;
	a->message = NULL;
	a->reason_item = NULL;
	if (a->cond && !dynamo_expr_check(a->cond, a->old ? &a->old->root : NULL))
	{
		a->code = "ConditionalCheckFailed";
		a->message = "The conditional request failed";
		a->reason_item = a->rvccf ? a->old : NULL;
		return;
	}
	if (a->kind == TX_UPDATE)
		tx_compute_update(a);
}

/*
 * Raise TransactionCanceledException: the message lists the codes in
 * request order (AWS: "Transaction cancelled, please refer cancellation
 * reasons for specific reasons [None, ConditionalCheckFailed]"), the DETAIL
 * holds CancellationReasons as JSON.
 */
static void
tx_cancel(TxAction *actions, int n)
{
	StringInfoData codes,
				reasons;
	int			i;

	initStringInfo(&codes);
	initStringInfo(&reasons);
	appendStringInfoChar(&reasons, '[');
	for (i = 0; i < n; i++)
	{
		TxAction   *a = &actions[i];
		const char *code = a->code ? a->code : "None";

		appendStringInfo(&codes, "%s%s", i ? ", " : "", code);
		appendStringInfo(&reasons, "%s{\"Code\": \"%s\"", i ? ", " : "", code);
		if (a->message)
		{
			appendStringInfoString(&reasons, ", \"Message\": ");
			escape_json(&reasons, a->message);
		}
		if (a->reason_item)
			appendStringInfo(&reasons, ", \"Item\": %s",
							 JsonbToCString(NULL, &a->reason_item->root,
											VARSIZE(a->reason_item)));
		appendStringInfoChar(&reasons, '}');
	}
	appendStringInfoChar(&reasons, ']');
	ereport(ERROR,
			dynamo_exception_detail(DYNAMO_EXC_TRANSACTION_CANCELED,
									"CancellationReasons: %s", reasons.data),
			errmsg("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]",
				   codes.data),
			errhint("Nothing was written.  The DETAIL after \"CancellationReasons: \" is a JSON array with one reason per action, in request order."));
}

/* Write the new item of a Put or Update whose row was not there. */
static bool
tx_insert(TxAction *a, Jsonb *item)
{
	return dynamo_run_put_plan(a->table, DYNAMO_PLAN_INSERT, item, a->keys) > 0;
}

/*
 * Apply one evaluated action.  A Put or Update of a missing item that a
 * concurrent put created meanwhile locks it and evaluates again.
 */
static void
tx_apply(TxAction *a, TxAction *actions, int n, MemoryContext cxt)
{
	for (;;)
	{
		switch (a->kind)
		{
			case TX_CHECK:
			case TX_GET:
				return;
			case TX_DELETE:
				if (a->old)
					dynamo_delete_key(a->table, a->keys);
				return;
			case TX_PUT:
				if (a->old)
				{
					dynamo_put_normalized(a->table, a->item, a->keys);
					return;
				}
				if (tx_insert(a, a->item))
					return;
				break;
			case TX_UPDATE:
				if (a->old)
				{
					if (a->res.changed)
						dynamo_put_normalized(a->table, a->res.item, a->keys);
					else
						dynamo_log_noop(a->table->relid, a->res.item,
										a->table->ks.hash_key, a->table->ks.range_key);
					return;
				}
				if (tx_insert(a, a->res.item))
					return;
				break;
		}
		tx_lock_row(a, cxt);
		tx_evaluate(a);
		if (a->code)
			tx_cancel(actions, n);
	}
}

/*
 * transact_write_items(transact_items jsonb, client_request_token text
 * DEFAULT NULL) → {}
 */
Datum
dynamo_transact_write_items(PG_FUNCTION_ARGS)
{
	Jsonb	   *req = dynamo_arg_jsonb(fcinfo, 0, "transactItems");
	MemoryContext callcxt = CurrentMemoryContext;
	TxAction   *actions = palloc(DYNAMO_TRANSACT_MAX * sizeof(TxAction));
	TxAction  **sorted;
	bool		failed = false;
	int			n,
				i;

	if (!PG_ARGISNULL(1))
	{
		text	   *token = PG_GETARG_TEXT_PP(1);
		int			len = VARSIZE_ANY_EXHDR(token);

		if (len < 1 || len > DYNAMO_TOKEN_MAX)
			tx_invalid(psprintf("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length %s %d",
								text_to_cstring(token),
								len < 1 ? "greater than or equal to" : "less than or equal to",
								len < 1 ? 1 : DYNAMO_TOKEN_MAX));
	}
	n = tx_parse(req, false, actions);
	SPI_connect();
	tx_resolve(actions, n, RowExclusiveLock);
	sorted = tx_sorted(actions, n);
	for (i = 0; i < n; i++)
	{
		tx_lock_key(sorted[i]->table->relid, sorted[i]->hash);
		tx_lock_row(sorted[i], callcxt);
		tx_evaluate(sorted[i]);
		failed |= sorted[i]->code != NULL;
	}
	if (failed)
		tx_cancel(actions, n);
	for (i = 0; i < n; i++)
		tx_apply(&actions[i], actions, n, callcxt);
	SPI_finish();
	PG_RETURN_JSONB_P(dynamo_wrap_object("Attributes", NULL));
}

/* transact_get_items(transact_items jsonb) → {"Responses": [{"Item": ...} or {}, ...]} */
Datum
dynamo_transact_get_items(PG_FUNCTION_ARGS)
{
	Jsonb	   *req = dynamo_arg_jsonb(fcinfo, 0, "transactItems");
	MemoryContext callcxt = CurrentMemoryContext;
	TxAction   *actions = palloc(DYNAMO_TRANSACT_MAX * sizeof(TxAction));
	JsonbParseState *state = NULL;
	JsonbValue	k,
				v,
			   *res;
	Jsonb	   *resp;
	int			n,
				i;

	n = tx_parse(req, true, actions);
	SPI_connect();
	tx_resolve(actions, n, AccessShareLock);
	(void) tx_sorted(actions, n);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "Responses";
	k.val.string.len = strlen("Responses");
	pushJsonbValue(&state, WJB_KEY, &k);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		TxAction   *a = &actions[i];
		Jsonb	   *item;

		if (SPI_execute_plan(dynamo_item_plan(a->table, DYNAMO_PLAN_GET), a->keys,
							 NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "transact_get_items failed");
		item = dynamo_spi_first_item(callcxt);
		if (item && a->proj)
			item = dynamo_expr_project(a->proj, &item->root);
		resp = dynamo_wrap_object("Item", item);
		v.type = jbvBinary;
		v.val.binary.data = &resp->root;
		v.val.binary.len = VARSIZE(resp) - VARHDRSZ;
		pushJsonbValue(&state, WJB_ELEM, &v);
	}
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	/* the response outlives SPI_finish */
	MemoryContextSwitchTo(callcxt);
	resp = JsonbValueToJsonb(res);
	SPI_finish();
	PG_RETURN_JSONB_P(resp);
}
