/*-------------------------------------------------------------------------
 *
 * batch_get.c
 *		batch_get_item(): up to 100 items by key from one or more tables.
 *
 * The request has AWS's shape
 *	  {"TableName": {"Keys": [{...}, ...], "ProjectionExpression": "...",
 *					 "ExpressionAttributeNames": {...},
 *					 "ConsistentRead": true}, ...}
 * and the answer is {"Responses": {"TableName": [items]}, "UnprocessedKeys":
 * {...}}.  As in DynamoDB the whole request is validated first (shape,
 * keys, duplicates, at most 100 keys, expressions), then the tables are
 * looked up: an unknown table fails the whole request.  Every table
 * requested appears in Responses, with the items found (missing keys give
 * nothing), in request order; DynamoDB gives no order.
 *
 * Response size.  DynamoDB returns at most 16 MB of items and leaves the
 * rest in UnprocessedKeys, in the shape of the request (its documented
 * example: of 100 items of 300 KB, 52 are returned).  Items are counted by
 * their SPEC 4.2 size as read (before projection) against 16,000,000 bytes,
 * the limit with which that example comes out at 52; the first key whose
 * item would cross it and all keys after it are unprocessed.  Reads are
 * consistent whatever ConsistentRead says, as for get_item.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "attrval.h"
#include "item_read.h"
#include "items.h"

PG_FUNCTION_INFO_V1(dynamo_batch_get_item);

#define DYNAMO_BATCH_GET_MAX		100
#define DYNAMO_BATCH_GET_BYTES	16000000

/* The request of one table. */
typedef struct TableGet
{
	text	   *name;
	JsonbContainer *request;	/* its KeysAndAttributes object */
	int			nkeys;
	JsonbValue *keys;			/* the keys as given (jbvBinary objects) */
	Jsonb	  **norm;			/* the keys normalised */
	DynamoReadSpec spec;
	DynamoItemTable *table;
} TableGet;

/* ValidationException with a fixed reason. */
static void
get_invalid(const char *reason)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("%s", reason));
}

/* Member name of the KeysAndAttributes object c, of type want, or NULL. */
static JsonbValue *
member(JsonbContainer *c, const char *name, enum jbvType want, const char *what)
{
	JsonbValue *v = dynamo_find_attr(c, name, strlen(name));

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != want ||
		(want == jbvBinary && (strcmp(name, "Keys") == 0) != JsonContainerIsArray(v->val.binary.data)))
		get_invalid(psprintf("One or more parameter values were invalid: %s must be %s", name, what));
	return v;
}

/* Refuse members of a KeysAndAttributes object that are not supported. */
static void
check_members(JsonbContainer *c)
{
	static const char *const known[] =
	{"Keys", "ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead"};
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken r;

	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			i;
		bool		ok = false;

		if (r != WJB_KEY)
			continue;
		for (i = 0; i < lengthof(known); i++)
			ok |= (strlen(known[i]) == v.val.string.len &&
				   memcmp(known[i], v.val.string.val, v.val.string.len) == 0);
		if (!ok)
			ereport(ERROR,
					dynamo_exception_detail(DYNAMO_EXC_VALIDATION,
											"A table's request may have Keys, ProjectionExpression, ExpressionAttributeNames and ConsistentRead."),
					errmsg("One or more parameter values were invalid: %.*s is not supported",
						   v.val.string.len, v.val.string.val));
	}
}

/* Validate the request of one table (no table lookup yet). */
static void
parse_table(TableGet *g, JsonbValue *req)
{
	JsonbValue *keys,
			   *proj,
			   *names;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken r;
	char	   *tname = text_to_cstring(g->name);
	Jsonb	   *names_jb = NULL;
	DynamoExprContext *cx;
	int			i,
				j;

	if (req->type != jbvBinary || !JsonContainerIsObject(req->val.binary.data))
		get_invalid("One or more parameter values were invalid: the request of a table must be an object");
	g->request = req->val.binary.data;
	check_members(g->request);
	keys = member(g->request, "Keys", jbvBinary, "an array");
	proj = member(g->request, "ProjectionExpression", jbvString, "a string");
	names = member(g->request, "ExpressionAttributeNames", jbvBinary, "an object");
	(void) member(g->request, "ConsistentRead", jbvBool, "a boolean");
	if (keys == NULL)
		get_invalid(psprintf("1 validation error detected: Value null at 'RequestItems.%s.member.Keys' failed to satisfy constraint: Member must not be null", tname));
	g->nkeys = JsonContainerSize(keys->val.binary.data);
	if (g->nkeys == 0)
		get_invalid(psprintf("1 validation error detected: Value at 'RequestItems.%s.member.Keys' failed to satisfy constraint: Member must have length greater than or equal to 1", tname));
	g->keys = palloc(sizeof(JsonbValue) * g->nkeys);
	g->norm = palloc(sizeof(Jsonb *) * g->nkeys);
	i = 0;
	it = JsonbIteratorInit(keys->val.binary.data);
	while ((r = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (r != WJB_ELEM)
			continue;
		if (e.type != jbvBinary || !JsonContainerIsObject(e.val.binary.data))
			get_invalid("One or more parameter values were invalid: a key must be an object");
		g->keys[i] = e;
		g->norm[i] = dynamo_key_normalize(JsonbValueToJsonb(&e), NULL);
		/* dynalite validations/batchGetItem.js */
		for (j = 0; j < i; j++)
			if (VARSIZE(g->norm[j]) == VARSIZE(g->norm[i]) &&
				memcmp(g->norm[j], g->norm[i], VARSIZE(g->norm[i])) == 0)
				get_invalid("Provided list of item keys contains duplicates");
		i++;
	}
	if (names)
		names_jb = JsonbValueToJsonb(names);
	if (names_jb && proj == NULL)
		get_invalid("ExpressionAttributeNames can only be specified when using expressions");
	cx = dynamo_expr_begin(names_jb, NULL);
	dynamo_read_spec(cx, DYNAMO_READ_BATCH_GET, NULL,
					 proj ? pnstrdup(proj->val.string.val, proj->val.string.len) : NULL,
					 NULL, &g->spec);
	dynamo_expr_finish(cx);
}

/*
 * Before anything else, the number of keys: at most 100 per table (a
 * constraint of the request's shape) and at most 100 in all (recorded
 * against DynamoDB: dynalite test/batchGetItem.js "more than 100 keys over
 * multiple tables"; an emulator conformance suite's BatchGetItem "exact
 * error messages" for the per-table one and for an empty request).
 */
static void
check_counts(Jsonb *req)
{
	JsonbIterator *it = JsonbIteratorInit(&req->root);
	JsonbValue	v,
				name = {0};
	JsonbIteratorToken r;
	int			total = 0;

	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbValue *keys;
		int			n;

		if (r == WJB_KEY)
			name = v;
		if (r != WJB_VALUE || v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			continue;
		keys = dynamo_find_attr(v.val.binary.data, "Keys", 4);
		if (keys == NULL || keys->type != jbvBinary || !JsonContainerIsArray(keys->val.binary.data))
			continue;
		n = JsonContainerSize(keys->val.binary.data);
		if (n > DYNAMO_BATCH_GET_MAX)
			get_invalid(psprintf("1 validation error detected: Value at 'RequestItems.%.*s.member.Keys' failed to satisfy constraint: Member must have length less than or equal to %d",
								 name.val.string.len, name.val.string.val, DYNAMO_BATCH_GET_MAX));
		total += n;
	}
	if (total > DYNAMO_BATCH_GET_MAX)
		get_invalid("Too many items requested for the BatchGetItem call");
}

/* Parse and validate the whole request; returns the number of tables. */
static int
parse_batch(Jsonb *req, TableGet **out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int			n = 0;
	TableGet   *tables;
	text	   *name = NULL;

	if (!JB_ROOT_IS_OBJECT(req) || JB_ROOT_IS_SCALAR(req) || JB_ROOT_COUNT(req) == 0)
		get_invalid("The requestItems parameter is required for BatchGetItem");
	check_counts(req);
	tables = palloc0(sizeof(TableGet) * JB_ROOT_COUNT(req));
	it = JsonbIteratorInit(&req->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			dynamo_check_table_name(v.val.string.val, v.val.string.len);
			name = cstring_to_text_with_len(v.val.string.val, v.val.string.len);
		}
		else if (r == WJB_VALUE)
		{
			tables[n].name = name;
			parse_table(&tables[n++], &v);
		}
	}
	*out = tables;
	return n;
}

/* Push UnprocessedKeys' entry of g: its request with keys from first on. */
static void
push_unprocessed(JsonbParseState **state, TableGet *g, int first)
{
	JsonbIterator *it = JsonbIteratorInit(g->request);
	JsonbValue	v;
	JsonbIteratorToken r;
	int			i;

	dynamo_push_key(state, VARDATA_ANY(g->name), VARSIZE_ANY_EXHDR(g->name));
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		is_keys;

		if (r != WJB_KEY)
			continue;
		is_keys = v.val.string.len == 4 && memcmp(v.val.string.val, "Keys", 4) == 0;
		pushJsonbValue(state, WJB_KEY, &v);
		r = JsonbIteratorNext(&it, &v, true);
		if (is_keys)
		{
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (i = first; i < g->nkeys; i++)
				pushJsonbValue(state, WJB_ELEM, &g->keys[i]);
			pushJsonbValue(state, WJB_END_ARRAY, NULL);
		}
		else
			pushJsonbValue(state, WJB_VALUE, &v);
	}
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * Read the keys of every table in order into Responses while the items
 * read stay within 16 MB; the rest go to UnprocessedKeys.
 */
static Jsonb *
read_batch(TableGet *tables, int n, MemoryContext cxt)
{
	JsonbParseState *state = NULL;
	int64		bytes = 0;
	int			stop_table = n,
				stop_key = 0;
	int			i,
				k;
	JsonbValue *res;
	MemoryContext old;
	Jsonb	   *out;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	dynamo_push_key(&state, "Responses", 9);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < n; i++)
	{
		TableGet   *g = &tables[i];

		dynamo_push_key(&state, VARDATA_ANY(g->name), VARSIZE_ANY_EXHDR(g->name));
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (k = 0; i < stop_table && k < g->nkeys; k++)
		{
			Datum		keys[2];
			Jsonb	   *item;
			bool		isnull;

			dynamo_key_values(g->table, g->norm[k], keys);
			if (SPI_execute_plan(dynamo_item_plan(g->table, DYNAMO_PLAN_GET), keys, NULL, true, 1) != SPI_OK_SELECT)
				elog(ERROR, "batch_get_item failed");
			if (SPI_processed == 0)
				continue;
			item = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			bytes += dynamo_item_size(&item->root);
			if (bytes > DYNAMO_BATCH_GET_BYTES)
			{
				stop_table = i;
				stop_key = k;
				break;
			}
			dynamo_push_jsonb(&state, WJB_ELEM, dynamo_read_output(&g->spec, item));
		}
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	dynamo_push_key(&state, "UnprocessedKeys", 15);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = stop_table; i < n; i++)
		push_unprocessed(&state, &tables[i], i == stop_table ? stop_key : 0);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	old = MemoryContextSwitchTo(cxt);
	out = JsonbValueToJsonb(res);
	MemoryContextSwitchTo(old);
	return out;
}

/* batch_get_item(request_items jsonb) → {"Responses", "UnprocessedKeys"} */
Datum
dynamo_batch_get_item(PG_FUNCTION_ARGS)
{
	Jsonb	   *req = dynamo_arg_jsonb(fcinfo, 0, "requestItems");
	MemoryContext callcxt = CurrentMemoryContext;
	TableGet   *tables;
	Jsonb	   *res;
	int			n,
				i,
				k;

	n = parse_batch(req, &tables);
	SPI_connect();
	for (i = 0; i < n; i++)
	{
		TableGet   *g = &tables[i];

		g->table = dynamo_item_table(g->name, AccessShareLock);
		dynamo_require_item_access(g->table, ACL_SELECT, "BatchGetItem");
		for (k = 0; k < g->nkeys; k++)
			g->norm[k] = dynamo_key_normalize(g->norm[k], &g->table->ks);
	}
	res = read_batch(tables, n, callcxt);
	SPI_finish();
	PG_RETURN_JSONB_P(res);
}
