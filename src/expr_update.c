/*-------------------------------------------------------------------------
 *
 * expr_update.c
 *		Applying an UpdateExpression to an item, and projecting items on
 *		document paths (ProjectionExpression, UPDATED_OLD/UPDATED_NEW).
 *
 * The new item is built as a small mutable tree (MNode) over the old one:
 * only the maps and lists on the path of an action are expanded, every other
 * value stays the jsonb container it was.  DynamoDB's order is kept: every
 * value an action reads (the right-hand sides of SET, the current values of
 * ADD and DELETE) comes from the item as it was before the update, then the
 * actions are applied; list elements named by REMOVE are removed last,
 * highest index first, so that every index refers to the list as it was.
 * The tree is then serialised and normalised (attrval.h), which validates
 * the result (size, nesting, sets) and puts it in normal form; an update
 * that changes nothing thus gives a byte-identical item, and the caller
 * writes nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "expr_internal.h"
#include "items.h"

typedef struct MNode
{
	DynamoAvType type;
	bool		expanded;		/* M or L with children below */
	JsonbValue	v;				/* inner value when not expanded */
	int			n;
	int			cap;
	char	  **keys;			/* M: names of the children */
	int		   *klens;
	int		   *idx;			/* projected L: source index of each child */
	struct MNode **kids;
} MNode;

/* A list element REMOVE removes at the end. */
typedef struct PendingRemove
{
	MNode	   *list;
	int			index;
} PendingRemove;

static void invalid_path(void) pg_attribute_noreturn();

static void
invalid_path(void)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("The document path provided in the update expression is invalid for update"));
}

static void
operand_type_error(void)
{
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
			errmsg("An operand in the update expression has an incorrect data type"));
}

static MNode *
node_from(AttrVal *av)
{
	MNode	   *m = palloc0(sizeof(MNode));

	m->type = av->type;
	m->v = av->v;
	return m;
}

/* An empty expanded map or list. */
static MNode *
node_new(DynamoAvType type)
{
	MNode	   *m = palloc0(sizeof(MNode));

	m->type = type;
	m->expanded = true;
	return m;
}

/* Append a child (key may be NULL for lists). */
static void
node_append(MNode *m, const char *key, int klen, int idx, MNode *kid)
{
	if (m->n == m->cap)
	{
		m->cap = m->cap ? m->cap * 2 : 8;
		m->keys = m->keys ? repalloc(m->keys, sizeof(char *) * m->cap) : palloc(sizeof(char *) * m->cap);
		m->klens = m->klens ? repalloc(m->klens, sizeof(int) * m->cap) : palloc(sizeof(int) * m->cap);
		m->idx = m->idx ? repalloc(m->idx, sizeof(int) * m->cap) : palloc(sizeof(int) * m->cap);
		m->kids = m->kids ? repalloc(m->kids, sizeof(MNode *) * m->cap) : palloc(sizeof(MNode *) * m->cap);
	}
	m->keys[m->n] = (char *) key;
	m->klens[m->n] = klen;
	m->idx[m->n] = idx;
	m->kids[m->n] = kid;
	m->n++;
}

/* Expand an M or L node into children; false for other types. */
static bool
node_expand(MNode *m)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken r;

	k.type = jbvString;
	k.val.string.val = NULL;
	k.val.string.len = 0;
	if (m->expanded)
		return true;
	if (m->type != AV_M && m->type != AV_L)
		return false;
	m->expanded = true;
	it = JsonbIteratorInit(m->v.val.binary.data);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		AttrVal		av;

		if (r == WJB_KEY)
			k = v;
		else if (r == WJB_VALUE || r == WJB_ELEM)
		{
			if (!expr_av_from(&v, &av))
				elog(ERROR, "invalid AttributeValue in a normalised item");
			if (r == WJB_VALUE)
				node_append(m, k.val.string.val, k.val.string.len, -1, node_from(&av));
			else
				node_append(m, NULL, 0, m->n, node_from(&av));
		}
	}
	return true;
}

/* Index of a key in an expanded map, -1 if absent. */
static int
node_find(MNode *m, const char *key, int len)
{
	int			i;

	for (i = 0; i < m->n; i++)
		if (m->klens[i] == len && memcmp(m->keys[i], key, len) == 0)
			return i;
	return -1;
}

/* Remove child i. */
static void
node_remove(MNode *m, int i)
{
	int			j;

	for (j = i; j < m->n - 1; j++)
	{
		m->keys[j] = m->keys[j + 1];
		m->klens[j] = m->klens[j + 1];
		m->idx[j] = m->idx[j + 1];
		m->kids[j] = m->kids[j + 1];
	}
	m->n--;
}

/* Push a node as an AttributeValue object. */
static void
node_push(JsonbParseState **ps, MNode *m)
{
	JsonbValue	k;
	const char *tn = dynamo_av_type_name(m->type);
	int			i;

	check_stack_depth();
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = (char *) tn;
	k.val.string.len = strlen(tn);
	pushJsonbValue(ps, WJB_KEY, &k);
	if (!m->expanded)
		pushJsonbValue(ps, WJB_VALUE, &m->v);
	else
	{
		pushJsonbValue(ps, m->type == AV_M ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < m->n; i++)
		{
			if (m->type == AV_M)
			{
				k.val.string.val = m->keys[i];
				k.val.string.len = m->klens[i];
				pushJsonbValue(ps, WJB_KEY, &k);
			}
			node_push(ps, m->kids[i]);
		}
		pushJsonbValue(ps, m->type == AV_M ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* The item a top-level map node stands for. */
static Jsonb *
node_item(MNode *top)
{
	JsonbParseState *ps = NULL;
	JsonbValue	k;
	int			i;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < top->n; i++)
	{
		k.type = jbvString;
		k.val.string.val = top->keys[i];
		k.val.string.len = top->klens[i];
		pushJsonbValue(&ps, WJB_KEY, &k);
		node_push(&ps, top->kids[i]);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

/* A top-level map node over an item's attributes. */
static MNode *
node_top(Jsonb *item)
{
	MNode	   *m = palloc0(sizeof(MNode));

	m->type = AV_M;
	m->v.type = jbvBinary;
	m->v.val.binary.data = &item->root;
	m->v.val.binary.len = VARSIZE(item) - VARHDRSZ;
	node_expand(m);
	return m;
}

/* The parent node of the last element of p (expanding on the way). */
static MNode *
node_parent(MNode *top, ExprPath *p)
{
	MNode	   *cur = top;
	int			i,
				j;

	for (i = 0; i < p->n - 1; i++)
	{
		ExprPathElem *e = &p->elems[i];

		if (!node_expand(cur))
			invalid_path();
		if (e->name)
		{
			if (cur->type != AV_M || (j = node_find(cur, e->name, e->len)) < 0)
				invalid_path();
		}
		else
		{
			if (cur->type != AV_L || e->index >= cur->n)
				invalid_path();
			j = e->index;
		}
		cur = cur->kids[j];
	}
	if (!node_expand(cur))
		invalid_path();
	return cur;
}

/* Set the last element of p under parent to value. */
static void
node_set(MNode *parent, ExprPathElem *e, MNode *value)
{
	int			j;

	if (e->name)
	{
		if (parent->type != AV_M)
			invalid_path();
		j = node_find(parent, e->name, e->len);
		if (j >= 0)
			parent->kids[j] = value;
		else
			node_append(parent, e->name, e->len, -1, value);
	}
	else
	{
		if (parent->type != AV_L)
			invalid_path();
		if (e->index < parent->n)
			parent->kids[e->index] = value;
		else
			node_append(parent, NULL, 0, parent->n, value);
	}
}

/* Union (ADD) or difference (DELETE) of two sets of the same type. */
static bool
set_combine(AttrVal *cur, AttrVal *arg, bool add, AttrVal *out)
{
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	int			count = 0;
	Jsonb	   *j;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(cur->v.val.binary.data);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r != WJB_ELEM)
			continue;
		if (!add)
		{
			/* keep members not in arg */
			JsonbIterator *it2 = JsonbIteratorInit(arg->v.val.binary.data);
			JsonbValue	w;
			bool		found = false;

			while ((r = JsonbIteratorNext(&it2, &w, true)) != WJB_DONE)
				if (r == WJB_ELEM && w.val.string.len == v.val.string.len &&
					memcmp(w.val.string.val, v.val.string.val, w.val.string.len) == 0)
					found = true;
			if (found)
				continue;
		}
		pushJsonbValue(&ps, WJB_ELEM, &v);
		count++;
	}
	if (add)
	{
		it = JsonbIteratorInit(arg->v.val.binary.data);
		while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			AttrVal		set = *cur;

			if (r != WJB_ELEM)
				continue;
			/* skip members the old set already has */
			{
				JsonbIterator *it2 = JsonbIteratorInit(set.v.val.binary.data);
				JsonbValue	w;
				bool		found = false;

				while ((r = JsonbIteratorNext(&it2, &w, true)) != WJB_DONE)
					if (r == WJB_ELEM && w.val.string.len == v.val.string.len &&
						memcmp(w.val.string.val, v.val.string.val, w.val.string.len) == 0)
						found = true;
				if (found)
					continue;
			}
			pushJsonbValue(&ps, WJB_ELEM, &v);
			count++;
		}
	}
	j = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
	out->present = true;
	out->type = cur->type;
	out->v.type = jbvBinary;
	out->v.val.binary.data = &j->root;
	out->v.val.binary.len = VARSIZE(j) - VARHDRSZ;
	return count > 0;
}

/* Reject an action on a key attribute. */
static void
check_key_paths(List *actions, const DynamoKeySchema *ks)
{
	ListCell   *lc;

	foreach(lc, actions)
	{
		ExprPathElem *e = &((ExprAction *) lfirst(lc))->path->elems[0];
		const char *keys[2] = {ks->hash_key, ks->range_key};
		int			i;

		for (i = 0; i < 2; i++)
			if (keys[i] && (int) strlen(keys[i]) == e->len &&
				memcmp(keys[i], e->name, e->len) == 0)
				ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION),
						errmsg("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key",
							   keys[i]));
	}
}

/* Apply ADD or DELETE of a (the :value) to the value cur at the path. */
static bool
add_or_delete(char kind, AttrVal *cur, AttrVal *a, AttrVal *out)
{
	if (!cur->present)
	{
		*out = *a;
		return kind == 'A';		/* DELETE of an absent value: nothing */
	}
	if (cur->type != a->type)
		operand_type_error();
	if (a->type == AV_N)
	{
		out->present = true;
		out->type = AV_N;
		out->v.type = jbvString;
		out->v.val.string.val = dynamo_number_add(cur->v.val.string.val, cur->v.val.string.len,
												  a->v.val.string.val, a->v.val.string.len, false);
		out->v.val.string.len = strlen(out->v.val.string.val);
		return true;
	}
	return set_combine(cur, a, kind == 'A', out);
}

static int
pending_cmp(const void *a, const void *b)
{
	const PendingRemove *x = a,
			   *y = b;

	if (x->list != y->list)
		return x->list < y->list ? -1 : 1;
	return y->index - x->index;
}

/* Build the new item from old (or key) by applying the actions. */
static Jsonb *
apply_actions(List *actions, Jsonb *old, Jsonb *key)
{
	MNode	   *top = node_top(old ? old : key);
	JsonbContainer *src = old ? &old->root : NULL;
	int			nact = list_length(actions);
	AttrVal    *vals = palloc0(sizeof(AttrVal) * Max(nact, 1));
	bool	   *keep = palloc0(sizeof(bool) * Max(nact, 1));
	PendingRemove *pend = palloc0(sizeof(PendingRemove) * Max(nact, 1));
	int			npend = 0;
	int			i;

	/* read everything from the old item first */
	for (i = 0; i < nact; i++)
	{
		ExprAction *a = list_nth(actions, i);
		AttrVal		cur,
					arg;

		if (a->kind == 'S')
			expr_operand(a->value, src, &vals[i], true);
		else if (a->kind == 'A' || a->kind == 'D')
		{
			expr_get_path(src, a->path, &cur);
			expr_operand(a->value, src, &arg, true);
			keep[i] = add_or_delete(a->kind, &cur, &arg, &vals[i]);
			if (!cur.present && a->kind == 'D')
				vals[i].present = false;	/* nothing to do */
		}
	}
	/* then write */
	for (i = 0; i < nact; i++)
	{
		ExprAction *a = list_nth(actions, i);
		ExprPathElem *last = &a->path->elems[a->path->n - 1];
		MNode	   *parent;
		int			j;

		if (a->kind == 'D' && !vals[i].present)
		{
			/* DELETE from an absent attribute; its parent must still exist */
			node_parent(top, a->path);
			continue;
		}
		parent = node_parent(top, a->path);
		if (a->kind == 'R' || (a->kind == 'D' && !keep[i]))
		{
			if (last->name)
			{
				if (parent->type != AV_M)
					invalid_path();
				if ((j = node_find(parent, last->name, last->len)) >= 0)
					node_remove(parent, j);
			}
			else
			{
				if (parent->type != AV_L)
					invalid_path();
				if (last->index < parent->n)
				{
					pend[npend].list = parent;
					pend[npend].index = last->index;
					npend++;
				}
			}
			continue;
		}
		node_set(parent, last, node_from(&vals[i]));
	}
	if (npend > 1)
		qsort(pend, npend, sizeof(PendingRemove), pending_cmp);
	for (i = 0; i < npend; i++)
		if (i == 0 || pend[i].list != pend[i - 1].list || pend[i].index != pend[i - 1].index)
			node_remove(pend[i].list, pend[i].index);
	return node_item(top);
}

/* Insert value at path p into the projection tree top. */
static void
project_insert(MNode *top, ExprPath *p, AttrVal *value)
{
	MNode	   *cur = top;
	int			i,
				j;

	for (i = 0; i < p->n; i++)
	{
		ExprPathElem *e = &p->elems[i];
		bool		leaf = (i == p->n - 1);
		ExprPathElem *next = leaf ? NULL : &p->elems[i + 1];

		if (e->name)
		{
			j = node_find(cur, e->name, e->len);
			if (j < 0)
			{
				node_append(cur, e->name, e->len, -1,
							leaf ? node_from(value) : node_new(next->name ? AV_M : AV_L));
				j = cur->n - 1;
			}
		}
		else
		{
			for (j = 0; j < cur->n && cur->idx[j] < e->index; j++)
				;
			if (j == cur->n || cur->idx[j] != e->index)
			{
				int			k;

				node_append(cur, NULL, 0, e->index, NULL);
				for (k = cur->n - 1; k > j; k--)
				{
					cur->idx[k] = cur->idx[k - 1];
					cur->kids[k] = cur->kids[k - 1];
				}
				cur->idx[j] = e->index;
				cur->kids[j] = leaf ? node_from(value) : node_new(next->name ? AV_M : AV_L);
			}
		}
		cur = cur->kids[j];
	}
}

/* Project item on paths: a new item with only the values they name. */
static Jsonb *
project_paths(List *paths, JsonbContainer *item)
{
	MNode	   *top = node_new(AV_M);
	ListCell   *lc;

	foreach(lc, paths)
	{
		ExprPath   *p = lfirst(lc);
		AttrVal		v;

		if (expr_get_path(item, p, &v))
			project_insert(top, p, &v);
	}
	return node_item(top);
}

/* The attributes of item named by a projection; NULL item gives NULL. */
Jsonb *
dynamo_expr_project(DynamoExpr *e, JsonbContainer *item)
{
	if (item == NULL)
		return NULL;
	return project_paths(e->paths, item);
}

/*
 * Normalise the updated item; the size limit has the wording of UpdateItem
 * (dynalite test/updateItem.js: "Item size to update has exceeded the
 * maximum allowed size").
 */
static Jsonb *
normalize_updated(Jsonb *item, const DynamoKeySchema *ks)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *res = NULL;

	PG_TRY();
	{
		res = dynamo_item_normalize(item, ks);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		if (ed->sqlerrcode != ERRCODE_DYNAMO_VALIDATION ||
			strstr(ed->message, "Item size has exceeded") == NULL)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				ed->detail ? errcode(ERRCODE_DYNAMO_VALIDATION) : dynamo_exception(DYNAMO_EXC_VALIDATION),
				ed->detail ? errdetail_internal("%s", ed->detail) : 0,
				errmsg("Item size to update has exceeded the maximum allowed size"));
	}
	PG_END_TRY();
	return res;
}

/* Apply an update expression (or none) to old, or to key when old is NULL. */
void
dynamo_expr_update(DynamoExpr *e, Jsonb *old, Jsonb *key,
				   const DynamoKeySchema *ks, DynamoUpdateResult *res)
{
	List	   *actions = e ? e->actions : NIL;
	List	   *paths = NIL;
	ListCell   *lc;
	Jsonb	   *item;

	memset(res, 0, sizeof(*res));
	check_key_paths(actions, ks);
	item = apply_actions(actions, old, key);
	res->item = normalize_updated(item, ks);
	res->changed = old == NULL || VARSIZE(old) != VARSIZE(res->item) ||
		memcmp(old, res->item, VARSIZE(old)) != 0;
	foreach(lc, actions)
		paths = lappend(paths, ((ExprAction *) lfirst(lc))->path);
	res->updated_old = project_paths(paths, old ? &old->root : NULL);
	res->updated_new = project_paths(paths, &res->item->root);
}
