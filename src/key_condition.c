/*-------------------------------------------------------------------------
 *
 * key_condition.c
 *		Parser of DynamoDB's KeyConditionExpression.
 *
 * Grammar (keywords case-insensitive, function names case-sensitive):
 *
 *	  cond    := prim [AND prim]
 *	  prim    := '(' cond ')' | simple
 *	  simple  := operand cmp operand
 *			   | operand BETWEEN operand AND operand
 *			   | begins_with '(' operand ',' operand ')'
 *	  operand := name | #name | :value
 *	  cmp     := = | < | <= | > | >=
 *
 * A comparison may have the attribute on either side (":v < sk" is
 * "sk > :v").  The result must be exactly one equality on the hash key and
 * at most one condition on the range key.  Every #name and :value used
 * must be defined, and every one defined must be used, as in DynamoDB.
 * The values themselves are checked by the caller (query.c).  An expression
 * is at most 4 KB long, as in DynamoDB, which also bounds the recursion of
 * nested parentheses.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "items.h"
#include "key_condition.h"

typedef enum TokKind
{
	TOK_END,
	TOK_NAME,					/* plain name or keyword */
	TOK_HASHNAME,				/* #name */
	TOK_VALUE,					/* :value */
	TOK_OP,						/* = < <= > >= <> */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_COMMA
} TokKind;

typedef struct Token
{
	TokKind		kind;
	char	   *text;
} Token;

typedef struct Parser
{
	const char *expr;
	Token	   *toks;
	int			ntoks;
	int			pos;
	DynamoKeyCond conds[2];
	int			nconds;
	List	   *used_names;
	List	   *used_values;
} Parser;

/* Longest expression string DynamoDB accepts. */
#define DYNAMO_MAX_EXPRESSION_BYTES 4096

/* Raise a KeyConditionExpression error with a formatted reason. */
#define KC_ERROR(...) \
	ereport(ERROR, dynamo_exception(DYNAMO_EXC_VALIDATION), \
			errmsg(__VA_ARGS__))

/* Is c part of a name? */
static inline bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || (unsigned char) c >= 0x80;
}

/* At most the first 100 bytes of s (whole characters), for messages. */
static char *
clip(const char *s)
{
	int			len = strlen(s);
	int			cut = len <= 100 ? len : pg_mbcliplen(s, len, 100);

	return psprintf("%.*s%s", cut, s, cut < len ? "..." : "");
}

static void char_error(const char *near) pg_attribute_noreturn();

/* Syntax error at an unexpected character; near is the text from there. */
static void
char_error(const char *near)
{
	int			len = strlen(near);

	KC_ERROR("Invalid KeyConditionExpression: Syntax error; token: \"%c\", near: \"%.*s\"", *near, len <= 10 ? len : pg_mbcliplen(near, len, 10), near);
}

/* Split expr into tokens. */
static void
tokenize(Parser *p)
{
	const char *s = p->expr;
	int			cap = 16;

	p->toks = palloc(sizeof(Token) * cap);
	p->ntoks = 0;
	for (;;)
	{
		Token		t;
		const char *start;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		start = s;
		if (*s == '\0')
			t.kind = TOK_END;
		else if (*s == '(' || *s == ')' || *s == ',')
		{
			t.kind = *s == '(' ? TOK_LPAREN : *s == ')' ? TOK_RPAREN : TOK_COMMA;
			s++;
		}
		else if (*s == '=' || *s == '<' || *s == '>')
		{
			t.kind = TOK_OP;
			s++;
			if ((start[0] == '<' && (*s == '=' || *s == '>')) || (start[0] == '>' && *s == '='))
				s++;
		}
		else if (*s == '#' || *s == ':' || name_char(*s))
		{
			t.kind = *s == '#' ? TOK_HASHNAME : *s == ':' ? TOK_VALUE : TOK_NAME;
			if (t.kind != TOK_NAME)
				s++;
			while (name_char(*s))
				s++;
			if (t.kind != TOK_NAME && s == start + 1)
				char_error(start);
		}
		else
			char_error(s);
		t.text = pnstrdup(start, s - start);
		if (p->ntoks == cap)
			p->toks = repalloc(p->toks, sizeof(Token) * (cap *= 2));
		p->toks[p->ntoks++] = t;
		if (t.kind == TOK_END)
			break;
	}
	p->pos = 0;
}

/* The current token. */
static inline Token *
peek(Parser *p)
{
	return &p->toks[p->pos];
}

/* Is the current token the keyword kw? */
static bool
at_keyword(Parser *p, const char *kw)
{
	return peek(p)->kind == TOK_NAME && pg_strcasecmp(peek(p)->text, kw) == 0;
}

/* Syntax error at the current token. */
static void
syntax_error(Parser *p)
{
	Token	   *t = peek(p);
	const char *near = clip(p->pos > 0 ? p->toks[p->pos - 1].text : "");

	if (t->kind == TOK_END)
		KC_ERROR("Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"%s\"", near);
	KC_ERROR("Invalid KeyConditionExpression: Syntax error; token: \"%s\", near: \"%s %s\"", clip(t->text), near, clip(t->text));
}

/* Consume a token of kind k or fail. */
static Token *
expect(Parser *p, TokKind k)
{
	if (peek(p)->kind != k)
		syntax_error(p);
	return &p->toks[p->pos++];
}

/* An operand: name, #name or :value.  Keywords are not operands. */
static Token *
operand(Parser *p)
{
	Token	   *t = peek(p);

	if (t->kind == TOK_NAME &&
		(pg_strcasecmp(t->text, "AND") == 0 || pg_strcasecmp(t->text, "OR") == 0 ||
		 pg_strcasecmp(t->text, "NOT") == 0 || pg_strcasecmp(t->text, "BETWEEN") == 0))
		syntax_error(p);
	if (t->kind != TOK_NAME && t->kind != TOK_HASHNAME && t->kind != TOK_VALUE)
		syntax_error(p);
	p->pos++;
	return t;
}

/* Record a condition; a and b are the attribute and value operands. */
static void
add_cond(Parser *p, Token *attr, DynamoKeyOp op, Token *v1, Token *v2)
{
	DynamoKeyCond *c;

	if (attr->kind == TOK_VALUE)
		KC_ERROR("Invalid condition in KeyConditionExpression: No key attribute specified");
	if (v1->kind != TOK_VALUE || (v2 && v2->kind != TOK_VALUE))
		KC_ERROR("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
	if (p->nconds == 2)
		KC_ERROR("KeyConditionExpressions must only contain one condition per key");
	c = &p->conds[p->nconds++];
	c->attr = attr->text;		/* #names resolved later */
	c->op = op;
	c->value1 = v1->text;
	c->value2 = v2 ? v2->text : NULL;
}

/* Map a comparison token to an operator, mirrored if the value is left. */
static DynamoKeyOp
cmp_op(const char *op, bool mirrored)
{
	if (strcmp(op, "=") == 0)
		return DYNAMO_OP_EQ;
	if (strcmp(op, "<") == 0)
		return mirrored ? DYNAMO_OP_GT : DYNAMO_OP_LT;
	if (strcmp(op, "<=") == 0)
		return mirrored ? DYNAMO_OP_GE : DYNAMO_OP_LE;
	if (strcmp(op, ">") == 0)
		return mirrored ? DYNAMO_OP_LT : DYNAMO_OP_GT;
	if (strcmp(op, ">=") == 0)
		return mirrored ? DYNAMO_OP_LE : DYNAMO_OP_GE;
	KC_ERROR("Unsupported operator on KeyConditionExpression: operator: %s", op);
	return DYNAMO_OP_EQ;
}

static void parse_cond(Parser *p);

/* simple := begins_with(...) | operand BETWEEN .. AND .. | operand cmp operand */
static void
parse_simple(Parser *p)
{
	Token	   *a,
			   *b,
			   *c;

	if (peek(p)->kind == TOK_NAME && p->toks[p->pos + 1].kind == TOK_LPAREN)
	{
		Token	   *fn = &p->toks[p->pos];

		if (strcmp(fn->text, "begins_with") != 0)
			KC_ERROR("Invalid KeyConditionExpression: Invalid function name; function: %s", fn->text);
		p->pos += 2;
		a = operand(p);
		expect(p, TOK_COMMA);
		b = operand(p);
		expect(p, TOK_RPAREN);
		add_cond(p, a, DYNAMO_OP_BEGINS_WITH, b, NULL);
		return;
	}
	a = operand(p);
	if (at_keyword(p, "BETWEEN"))
	{
		p->pos++;
		b = operand(p);
		if (!at_keyword(p, "AND"))
			syntax_error(p);
		p->pos++;
		c = operand(p);
		add_cond(p, a, DYNAMO_OP_BETWEEN, b, c);
		return;
	}
	if (at_keyword(p, "IN"))
		KC_ERROR("Invalid operator used in KeyConditionExpression: IN");
	if (peek(p)->kind != TOK_OP)
		syntax_error(p);
	c = expect(p, TOK_OP);
	b = operand(p);
	if (a->kind == TOK_VALUE && b->kind != TOK_VALUE)
		add_cond(p, b, cmp_op(c->text, true), a, NULL);
	else
		add_cond(p, a, cmp_op(c->text, false), b, NULL);
}

/* prim := '(' cond ')' | simple; NOT is not allowed. */
static void
parse_prim(Parser *p)
{
	check_stack_depth();		/* "((((..." recurses once per parenthesis */
	if (at_keyword(p, "NOT"))
		KC_ERROR("Invalid operator used in KeyConditionExpression: NOT");
	if (peek(p)->kind == TOK_LPAREN)
	{
		p->pos++;
		parse_cond(p);
		expect(p, TOK_RPAREN);
	}
	else
		parse_simple(p);
}

/* cond := prim (AND prim)*; OR is not allowed. */
static void
parse_cond(Parser *p)
{
	parse_prim(p);
	for (;;)
	{
		if (at_keyword(p, "OR"))
			KC_ERROR("Invalid operator used in KeyConditionExpression: OR");
		if (!at_keyword(p, "AND"))
			break;
		p->pos++;
		parse_prim(p);
	}
}

/* Resolve #name through names; note it as used. */
static char *
resolve_name(Parser *p, char *attr, Jsonb *names)
{
	JsonbValue *v;

	if (attr[0] != '#')
		return attr;
	v = names ? dynamo_find_attr(&names->root, attr, strlen(attr)) : NULL;
	if (v == NULL || v->type != jbvString)
		KC_ERROR("Invalid KeyConditionExpression: An expression attribute name used in the document path is not defined; attribute name: %s", attr);
	p->used_names = lappend(p->used_names, attr);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Check that :value is defined; note it as used. */
static void
use_value(Parser *p, const char *value, Jsonb *values)
{
	if (value == NULL)
		return;
	if (values == NULL || dynamo_find_attr(&values->root, value, strlen(value)) == NULL)
		KC_ERROR("Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: %s", value);
	p->used_values = lappend(p->used_values, (char *) value);
}

/* Is s in the list of strings l? */
static bool
string_in_list(List *l, const char *s, int len)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strlen(lfirst(lc)) == len && memcmp(lfirst(lc), s, len) == 0)
			return true;
	return false;
}

/* Every key of obj must be in used; otherwise AWS's "unused" error. */
static void
check_unused(Jsonb *obj, List *used, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;

	if (obj == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(obj) || JB_ROOT_IS_SCALAR(obj))
		KC_ERROR("%s must be an object", what);
	if (JB_ROOT_COUNT(obj) == 0)
		KC_ERROR("%s must not be empty", what);
	it = JsonbIteratorInit(&obj->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (r == WJB_KEY && !string_in_list(used, v.val.string.val, v.val.string.len))
			KC_ERROR("Value provided in %s unused in expressions: keys: {%.*s}", what, v.val.string.len, v.val.string.val);
}

/* Is attr the attribute name key (which may be NULL)? */
static inline bool
is_key(const char *attr, const char *key)
{
	return key != NULL && strcmp(attr, key) == 0;
}

/* Assign the parsed conditions to the hash and range key. */
static void
assign_conditions(Parser *p, const DynamoKeySchema *ks, DynamoKeyCondition *out)
{
	bool		has_hash = false;
	int			i;

	for (i = 0; i < p->nconds; i++)
		has_hash |= is_key(p->conds[i].attr, ks->hash_key);
	if (!has_hash)
		KC_ERROR("Query condition missed key schema element: %s", ks->hash_key);
	if (p->nconds == 2 &&
		strcmp(p->conds[0].attr, p->conds[1].attr) == 0)
		KC_ERROR("KeyConditionExpressions must only contain one condition per key");
	out->has_range = false;
	for (i = 0; i < p->nconds; i++)
	{
		DynamoKeyCond *c = &p->conds[i];

		if (is_key(c->attr, ks->hash_key))
		{
			if (c->op != DYNAMO_OP_EQ)
				KC_ERROR("Query key condition not supported");
			out->hash = *c;
		}
		else if (is_key(c->attr, ks->range_key))
		{
			out->range = *c;
			out->has_range = true;
		}
		else if (ks->range_key)
			KC_ERROR("Query condition missed key schema element: %s", ks->range_key);
		else
			KC_ERROR("Query key condition not supported");
	}
}

/*
 * Parse expr against key schema ks.  names and values are the
 * ExpressionAttributeNames/Values objects (either may be NULL).  With ks
 * NULL, only the checks that need no table are made (DynamoDB makes them
 * before it looks the table up); out is then not filled in.
 */
void
dynamo_parse_key_condition(const char *expr, Jsonb *names, Jsonb *values,
						   const DynamoKeySchema *ks, DynamoKeyCondition *out)
{
	Parser		p;
	int			i;

	/* DynamoDB's limit on any expression string: 4 KB */
	if (strlen(expr) > DYNAMO_MAX_EXPRESSION_BYTES)
		KC_ERROR("Invalid KeyConditionExpression: Expression size has exceeded the maximum allowed size; expression size: %zu", strlen(expr));
	memset(&p, 0, sizeof(p));
	p.expr = expr;
	tokenize(&p);
	if (p.toks[0].kind == TOK_END)
		KC_ERROR("Invalid KeyConditionExpression: The expression can not be empty;");
	parse_cond(&p);
	if (peek(&p)->kind != TOK_END)
		syntax_error(&p);
	for (i = 0; i < p.nconds; i++)
	{
		p.conds[i].attr = resolve_name(&p, p.conds[i].attr, names);
		use_value(&p, p.conds[i].value1, values);
		use_value(&p, p.conds[i].value2, values);
	}
	check_unused(names, p.used_names, "ExpressionAttributeNames");
	check_unused(values, p.used_values, "ExpressionAttributeValues");
	if (ks)
		assign_conditions(&p, ks, out);
}
