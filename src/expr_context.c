/*-------------------------------------------------------------------------
 *
 * expr_context.c
 *		DynamoDB's rules for ExpressionAttributeNames and
 *		ExpressionAttributeValues, shared by every expression of a request.
 *
 * dynamo_expr_begin() checks the two objects (keys "#word" and ":word",
 * names strings, neither empty) and validates and normalises every value
 * like an item attribute, rewording an error as DynamoDB does
 * ("ExpressionAttributeValues contains invalid value: <reason> for key :v").
 * The parser notes each name and value it resolves; dynamo_expr_finish()
 * then raises DynamoDB's "unused" error, listing every unused key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "expr_internal.h"
#include "items.h"

/* Is c a character of a placeholder name? */
static inline bool
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_';
}

/* Check the keys of ExpressionAttributeNames or -Values. */
static void
check_keys(Jsonb *obj, const char *what, char lead)
{
	JsonbIterator *it;
	JsonbValue	v,
				k;
	JsonbIteratorToken r;

	if (obj == NULL)
		return;
	memset(&k, 0, sizeof(k));
	if (!JB_ROOT_IS_OBJECT(obj) || JB_ROOT_IS_SCALAR(obj))
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("%s must be an object", what));
	if (JB_ROOT_COUNT(obj) == 0)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("%s must not be empty", what));
	it = JsonbIteratorInit(&obj->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			i;
		bool		ok;

		/* as DynamoDB answers an empty name (recorded in application code) */
		if (r == WJB_VALUE && lead == '#' && v.type == jbvString && v.val.string.len == 0)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("%s contains invalid value: Empty attribute name for key %.*s",
						   what, k.val.string.len, k.val.string.val));
		if (r == WJB_VALUE && lead == '#' && v.type != jbvString)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("%s contains invalid value: the value of each key must be a string",
						   what));
		if (r != WJB_KEY)
			continue;
		k = v;
		ok = v.val.string.len > 1 && v.val.string.val[0] == lead;
		for (i = 1; ok && i < v.val.string.len; i++)
			ok = word_char(v.val.string.val[i]);
		if (!ok)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("%s contains invalid key: Syntax error; key: \"%.*s\"",
						   what, v.val.string.len, v.val.string.val));
	}
}

/*
 * Normalise ExpressionAttributeValues: every value is validated like an
 * item attribute; an error is reworded as DynamoDB words it.
 */
static Jsonb *
normalize_values(Jsonb *values)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *res = NULL;

	PG_TRY();
	{
		res = dynamo_item_check(values, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *ed;
		const char *at = "attribute \"";
		char	   *name = NULL;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		if (ed->sqlerrcode != ERRCODE_DYNAMO_VALIDATION)
			PG_RE_THROW();
		FlushErrorState();
		/* the path of the bad value is in DETAIL: ... at attribute ":v" */
		if (ed->detail && (name = strstr(ed->detail, at)) != NULL)
		{
			char	   *end;

			name += strlen(at);
			end = strchr(name, '"');
			name = pnstrdup(name, end ? end - name : strlen(name));
		}
		if (name)
			ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
					errmsg("ExpressionAttributeValues contains invalid value: %s for key %s",
						   ed->message, name));
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("ExpressionAttributeValues contains invalid value: %s",
					   ed->message));
	}
	PG_END_TRY();
	return res;
}

/* Open a request's expression context over its names and values. */
DynamoExprContext *
dynamo_expr_begin(Jsonb *names, Jsonb *values)
{
	DynamoExprContext *cx = palloc0(sizeof(DynamoExprContext));

	check_keys(names, "ExpressionAttributeNames", '#');
	check_keys(values, "ExpressionAttributeValues", ':');
	cx->names = names;
	cx->values = values ? normalize_values(values) : NULL;
	return cx;
}

/* Raise the "unused" error for keys of obj not in used. */
static void
check_unused(Jsonb *obj, List *used, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	StringInfoData buf;

	if (obj == NULL)
		return;
	initStringInfo(&buf);
	it = JsonbIteratorInit(&obj->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (r == WJB_KEY && !expr_in_list(used, v.val.string.val, v.val.string.len))
			appendStringInfo(&buf, "%s%.*s", buf.len ? ", " : "",
							 v.val.string.len, v.val.string.val);
	if (buf.len > 0)
		ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
				errmsg("Value provided in %s unused in expressions: keys: {%s}",
					   what, buf.data));
}

/* After parsing every expression: every name and value must be used. */
void
dynamo_expr_finish(DynamoExprContext *cx)
{
	check_unused(cx->names, cx->used_names, "ExpressionAttributeNames");
	check_unused(cx->values, cx->used_values, "ExpressionAttributeValues");
}
