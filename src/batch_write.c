/*-------------------------------------------------------------------------
 *
 * batch_write.c
 *		batch_write_item(): up to 25 puts and deletes, all or nothing.
 *
 * The request has AWS's shape
 *	  {"TableName": [{"PutRequest": {"Item": {...}}},
 *					 {"DeleteRequest": {"Key": {...}}}, ...], ...}
 * As in DynamoDB, the shape of the request and every item and key are
 * validated before any table is looked up; then the tables are looked up
 * and the keys checked against their schemas.
 * Every request is validated and normalised before anything is written, so
 * a bad request (unknown table, invalid item, duplicate key, more than 25
 * requests) writes nothing; an error during the writes aborts the statement
 * and so undoes the earlier ones.  UnprocessedItems is therefore always {}.
 * Puts use the same upsert as put_item, so identical items write nothing.
 *
 * Lock order.  The writes are made in a canonical order (table OID, then
 * the normalised key's bytes), not in request order, so that two batches
 * writing the same items in different orders lock them in the same order
 * and the second waits for the first instead of deadlocking.  DynamoDB
 * gives no order among the items of one batch (a batch has no two writes of
 * one key), so stream records of a batch come in this order too.  First,
 * the batch takes the advisory item locks of transact_write_items
 * (transact.c), which also cover items that do not exist yet: without
 * them a batch creating an item and a transaction holding another could
 * each wait for the other.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "attrval.h"
#include "items.h"

PG_FUNCTION_INFO_V1(dynamo_batch_write_item);

#define DYNAMO_BATCH_WRITE_MAX	25

/* One validated write. */
typedef struct BatchWrite
{
	text	   *table_name;
	DynamoItemTable *table;
	bool		is_put;
	Jsonb	   *item;			/* normalised item (put) or key (delete) */
	Jsonb	   *key;			/* normalised key, for duplicate checks */
	Datum		keys[2];
} BatchWrite;

/* ValidationException with a fixed reason. */
static void
batch_invalid(const char *reason)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("%s", reason));
}

/* The object under key member of container c, as Jsonb, or NULL. */
static Jsonb *
member_object(JsonbContainer *c, const char *member)
{
	JsonbValue *v = dynamo_find_attr(c, member, strlen(member));

	if (v == NULL)
		return NULL;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		batch_invalid(psprintf("One or more parameter values were invalid: %s must be an object", member));
	return JsonbValueToJsonb(v);
}

/* Validate one WriteRequest object of table t into w. */
static void
parse_request(text *table_name, JsonbValue *req, BatchWrite *w)
{
	JsonbContainer *c;
	Jsonb	   *put,
			   *del,
			   *inner;

	if (req->type != jbvBinary || !JsonContainerIsObject(req->val.binary.data))
		batch_invalid("One or more parameter values were invalid: a WriteRequest must be an object");
	c = req->val.binary.data;
	put = member_object(c, "PutRequest");
	del = member_object(c, "DeleteRequest");
	if ((put == NULL) == (del == NULL) || JsonContainerSize(c) != 1)
		batch_invalid("One or more parameter values were invalid: A WriteRequest must contain exactly one of PutRequest or DeleteRequest");
	w->table_name = table_name;
	w->is_put = put != NULL;
	inner = member_object(&(put ? put : del)->root, put ? "Item" : "Key");
	if (inner == NULL)
		batch_invalid(put ? "1 validation error detected: Value null at 'requestItems.member.putRequest.item' failed to satisfy constraint: Member must not be null"
					  : "1 validation error detected: Value null at 'requestItems.member.deleteRequest.key' failed to satisfy constraint: Member must not be null");
	/* AttributeValues (and an item's size) only: no table yet */
	if (w->is_put)
		w->item = dynamo_item_normalize(inner, NULL);
	else
		w->item = dynamo_key_normalize(inner, NULL);
}

/* Look up the table of each write and check its keys against the schema. */
static void
resolve_tables(BatchWrite *writes, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		BatchWrite *w = &writes[i];

		if (i > 0 && writes[i - 1].table_name == w->table_name)
			w->table = writes[i - 1].table;
		else
		{
			w->table = dynamo_item_table(w->table_name, RowExclusiveLock);
			dynamo_require_item_access(w->table, ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE,
									   "BatchWriteItem");
		}
		if (w->is_put)
		{
			/* AWS: "does not match the schema" here, unlike PutItem */
			dynamo_item_check_keys(w->item, &w->table->ks, true);
			w->key = dynamo_item_keys(&w->item->root, &w->table->ks);
		}
		else
			w->item = w->key = dynamo_key_normalize(w->item, &w->table->ks);
		dynamo_key_values(w->table, w->item, w->keys);
	}
}

/* Count the requests of all tables (non-arrays count as none). */
static int
count_requests(Jsonb *req)
{
	JsonbIterator *it = JsonbIteratorInit(&req->root);
	JsonbValue	v;
	JsonbIteratorToken r;
	int			n = 0;

	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (r == WJB_VALUE && v.type == jbvBinary && JsonContainerIsArray(v.val.binary.data))
			n += JsonContainerSize(v.val.binary.data);
	return n;
}

/* Parse and validate the whole request into writes; returns the count. */
static int
parse_batch(Jsonb *req, BatchWrite *writes)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int			n = 0;
	text	   *table_name = NULL;

	if (!JB_ROOT_IS_OBJECT(req) || JB_ROOT_IS_SCALAR(req) || JB_ROOT_COUNT(req) == 0)
		batch_invalid("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
	/* As DynamoDB, refuse an oversized batch before looking at its requests. */
	if (count_requests(req) > DYNAMO_BATCH_WRITE_MAX)
		batch_invalid("Too many items requested for the BatchWriteItem call");
	it = JsonbIteratorInit(&req->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			dynamo_check_table_name(v.val.string.val, v.val.string.len);
			table_name = cstring_to_text_with_len(v.val.string.val, v.val.string.len);
		}
		else if (r == WJB_VALUE)
		{
			JsonbIterator *ait;
			JsonbValue	e;
			int			before = n;

			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
				batch_invalid("One or more parameter values were invalid: the requests of a table must be an array");
			ait = JsonbIteratorInit(v.val.binary.data);
			while ((r = JsonbIteratorNext(&ait, &e, true)) != WJB_DONE)
			{
				if (r != WJB_ELEM)
					continue;
				if (n >= DYNAMO_BATCH_WRITE_MAX)
					batch_invalid("Too many items requested for the BatchWriteItem call");
				parse_request(table_name, &e, &writes[n++]);
			}
			if (n == before)
				batch_invalid(psprintf("1 validation error detected: Value '[]' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]",
									   DYNAMO_BATCH_WRITE_MAX));
		}
	}
	return n;
}

/* Reject two writes of one key in one table. */
static void
check_duplicates(BatchWrite *writes, int n)
{
	int			i,
				j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (writes[i].table == writes[j].table &&
				VARSIZE(writes[i].key) == VARSIZE(writes[j].key) &&
				memcmp(writes[i].key, writes[j].key, VARSIZE(writes[i].key)) == 0)
				batch_invalid("Provided list of item keys contains duplicates");
}

/* qsort comparator: the canonical write order (table OID, then key bytes). */
static int
write_order_cmp(const void *a, const void *b)
{
	const BatchWrite *wa = (const BatchWrite *) a;
	const BatchWrite *wb = (const BatchWrite *) b;
	Size		la,
				lb;
	int			c;

	if (wa->table->relid != wb->table->relid)
		return wa->table->relid < wb->table->relid ? -1 : 1;
	la = VARSIZE(wa->key);
	lb = VARSIZE(wb->key);
	c = memcmp(wa->key, wb->key, Min(la, lb));
	if (c != 0)
		return c;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* Take the item locks that transact_write_items takes (transact.c). */
static void
lock_items(BatchWrite *writes, int n)
{
	Oid			relids[DYNAMO_BATCH_WRITE_MAX];
	Jsonb	   *keys[DYNAMO_BATCH_WRITE_MAX];
	int			i;

	for (i = 0; i < n; i++)
	{
		relids[i] = writes[i].table->relid;
		keys[i] = writes[i].key;
	}
	dynamo_lock_item_keys(n, relids, keys);
}

/* batch_write_item(request_items jsonb) → {"UnprocessedItems": {}} */
Datum
dynamo_batch_write_item(PG_FUNCTION_ARGS)
{
	Jsonb	   *req = dynamo_arg_jsonb(fcinfo, 0, "requestItems");
	BatchWrite	writes[DYNAMO_BATCH_WRITE_MAX];
	int			n,
				i;

	SPI_connect();
	n = parse_batch(req, writes);
	resolve_tables(writes, n);
	check_duplicates(writes, n);
	lock_items(writes, n);
	qsort(writes, n, sizeof(BatchWrite), write_order_cmp);
	for (i = 0; i < n; i++)
	{
		if (writes[i].is_put)
			dynamo_put_normalized(writes[i].table, writes[i].item, writes[i].keys);
		else
			dynamo_delete_key(writes[i].table, writes[i].keys);
	}
	SPI_finish();
	PG_RETURN_JSONB_P(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"UnprocessedItems\": {}}"))));
}
