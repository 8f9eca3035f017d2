/*-------------------------------------------------------------------------
 *
 * expr_parse.c
 *		Lexer and recursive-descent parser of DynamoDB's expression grammar,
 *		with its rules for ExpressionAttributeNames and -Values.
 *
 * Grammar (keywords case-insensitive, function names case-sensitive):
 *
 *	  condition := or
 *	  or        := and { OR and }
 *	  and       := not { AND not }
 *	  not       := NOT not | primary
 *	  primary   := '(' condition ')' | function '(' operand {, operand} ')'
 *				 | operand cmp operand | operand BETWEEN operand AND operand
 *				 | operand IN '(' operand {, operand} ')'
 *	  operand   := path | :value | size '(' path ')'
 *	  path      := name { '.' name | '[' digits ']' }     name := word | #word
 *	  update    := { SET set {, set} | REMOVE path {, path}
 *				   | ADD path :value {, ...} | DELETE path :value {, ...} }
 *	  set       := path '=' value      value := term [ ('+'|'-') term ]
 *	  term      := operand | if_not_exists(path, term) | list_append(term, term)
 *	  projection := path {, path}
 *
 * A bare word is a name unless it is a keyword where the grammar expects
 * one; a bare name that is one of DynamoDB's reserved words is an error.
 * Precedence is DynamoDB's: comparisons, then NOT, AND, OR.  Limits: 4 KB
 * per expression, 32 elements per document path, 300 operators, 100 IN
 * values.  Errors are worded as DynamoDB's (sources cited in the tests).
 * The rules for names and values are in expr_context.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "expr_internal.h"
#include "items.h"

typedef enum TokKind
{
	T_END,
	T_WORD,
	T_HASH,						/* #name */
	T_COLON,					/* :value */
	T_DIGITS,
	T_LPAREN,
	T_RPAREN,
	T_LBRACK,
	T_RBRACK,
	T_COMMA,
	T_DOT,
	T_CMP,						/* = <> < <= > >= */
	T_PLUS,
	T_MINUS
} TokKind;

typedef struct Token
{
	TokKind		kind;
	int			start;			/* byte offsets in the expression */
	int			end;
	char	   *text;
} Token;

typedef struct Parser
{
	DynamoExprContext *cx;
	DynamoExprKind kind;
	const char *expr;
	Token	   *toks;
	int			ntoks;
	int			pos;
	int			noperators;
} Parser;

static ExprNode *parse_or(Parser *p);
static ExprNode *parse_term(Parser *p);

/* Is c a character of a word? */
static inline bool
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_';
}

static inline bool
alpha_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Text of the expression between two byte offsets, shortened. */
static char *
span(Parser *p, int from, int to)
{
	int			len = to - from;
	int			cut = len <= 100 ? len : pg_mbcliplen(p->expr + from, len, 100);

	return psprintf("%.*s%s", cut, p->expr + from, cut < len ? "..." : "");
}

static void lex_error(Parser *p, int at) pg_attribute_noreturn();

/*
 * Syntax error at a character the lexer cannot start a token with.  As in
 * DynamoDB, "near" quotes the expression from the previous token to the end
 * of the next one ("SET _123": previous "SET", bad "_", next "123").
 */
static void
lex_error(Parser *p, int at)
{
	const char *s = p->expr;
	int			from = p->ntoks > 0 ? p->toks[p->ntoks - 1].start : at;
	int			len = pg_mblen(s + at);
	int			to = at + len;
	int			next = to;

	while (s[next] == ' ' || s[next] == '\t' || s[next] == '\n' || s[next] == '\r')
		next++;
	if (word_char(s[next]))
	{
		while (word_char(s[next]))
			next++;
		to = next;
	}
	else if (s[next] != '\0')
		to = next + pg_mblen(s + next);
	EXPR_ERROR(p->kind, "Syntax error; token: \"%.*s\", near: \"%s\"",
			   len, s + at, span(p, from, to));
}

/* Split the expression into tokens. */
static void
tokenize(Parser *p)
{
	const char *s = p->expr;
	int			i = 0;
	int			cap = 32;

	p->toks = palloc(sizeof(Token) * cap);
	p->ntoks = 0;
	for (;;)
	{
		Token		t;

		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			i++;
		t.start = i;
		switch (s[i])
		{
			case '\0':
				t.kind = T_END;
				break;
			case '(':
				t.kind = T_LPAREN, i++;
				break;
			case ')':
				t.kind = T_RPAREN, i++;
				break;
			case '[':
				t.kind = T_LBRACK, i++;
				break;
			case ']':
				t.kind = T_RBRACK, i++;
				break;
			case ',':
				t.kind = T_COMMA, i++;
				break;
			case '.':
				t.kind = T_DOT, i++;
				break;
			case '+':
				t.kind = T_PLUS, i++;
				break;
			case '-':
				t.kind = T_MINUS, i++;
				break;
			case '=':
				t.kind = T_CMP, i++;
				break;
			case '<':
				t.kind = T_CMP, i++;
				if (s[i] == '=' || s[i] == '>')
					i++;
				break;
			case '>':
				t.kind = T_CMP, i++;
				if (s[i] == '=')
					i++;
				break;
			case '#':
			case ':':
				t.kind = s[i] == '#' ? T_HASH : T_COLON;
				i++;
				if (!word_char(s[i]))
					lex_error(p, t.start);
				while (word_char(s[i]))
					i++;
				break;
			default:
				if (alpha_char(s[i]))
				{
					t.kind = T_WORD;
					while (word_char(s[i]))
						i++;
				}
				else if (s[i] >= '0' && s[i] <= '9')
				{
					t.kind = T_DIGITS;
					while (s[i] >= '0' && s[i] <= '9')
						i++;
				}
				else
					lex_error(p, i);
		}
		t.end = i;
		t.text = pnstrdup(s + t.start, i - t.start);
		if (p->ntoks == cap)
			p->toks = repalloc(p->toks, sizeof(Token) * (cap *= 2));
		p->toks[p->ntoks++] = t;
		if (t.kind == T_END)
			break;
	}
	p->pos = 0;
}

static inline Token *
peek(Parser *p)
{
	return &p->toks[p->pos];
}

/* Is the current token the keyword kw? */
static bool
at_kw(Parser *p, const char *kw)
{
	return peek(p)->kind == T_WORD && pg_strcasecmp(peek(p)->text, kw) == 0;
}

static void syntax_error(Parser *p) pg_attribute_noreturn();

/*
 * Syntax error at the current token.  "near" is DynamoDB's: the expression
 * from the previous token to the end of the next one ("= = b" for the
 * second "=" of "a = = b"); at the end of the expression, the last token.
 */
static void
syntax_error(Parser *p)
{
	Token	   *t = peek(p);
	Token	   *prev = p->pos > 0 ? &p->toks[p->pos - 1] : NULL;
	Token	   *next;

	if (t->kind == T_END)
		EXPR_ERROR(p->kind, "Syntax error; token: \"<EOF>\", near: \"%s\"",
				   prev ? span(p, prev->start, prev->end) : "");
	next = &p->toks[p->pos + 1];
	EXPR_ERROR(p->kind, "Syntax error; token: \"%s\", near: \"%s\"",
			   span(p, t->start, t->end),
			   span(p, prev ? prev->start : t->start,
					next->kind != T_END ? next->end : t->end));
}

static Token *
expect(Parser *p, TokKind k)
{
	if (peek(p)->kind != k)
		syntax_error(p);
	return &p->toks[p->pos++];
}

/* Count an operator or function against DynamoDB's limit. */
static void
count_operator(Parser *p)
{
	if (++p->noperators > DYNAMO_EXPR_MAX_OPERATORS)
		EXPR_ERROR(p->kind, "The expression contains too many operators; operator count: %d",
				   p->noperators);
}

/* Is s (len bytes) in the string list l? */
bool
expr_in_list(List *l, const char *s, int len)
{
	ListCell   *lc;

	foreach(lc, l)
		if ((int) strlen(lfirst(lc)) == len && memcmp(lfirst(lc), s, len) == 0)
			return true;
	return false;
}

/* The attribute name a #name stands for. */
static void
resolve_name(Parser *p, Token *t, ExprPathElem *e)
{
	JsonbValue *v = NULL;

	if (p->cx->names)
		v = dynamo_find_attr(&p->cx->names->root, t->text, strlen(t->text));
	if (v == NULL || v->type != jbvString)
		EXPR_ERROR(p->kind, "An expression attribute name used in the document path is not defined; attribute name: %s",
				   t->text);
	if (!expr_in_list(p->cx->used_names, t->text, strlen(t->text)))
		p->cx->used_names = lappend(p->cx->used_names, t->text);
	e->name = v->val.string.val;
	e->len = v->val.string.len;
	e->index = -1;
}

/* One name of a path: word (not reserved) or #name. */
static void
path_name(Parser *p, ExprPathElem *e)
{
	Token	   *t = peek(p);

	if (t->kind == T_HASH)
		resolve_name(p, t, e);
	else if (t->kind == T_WORD)
	{
		if (dynamo_expr_reserved(t->text, strlen(t->text)))
			EXPR_ERROR(p->kind, "Attribute name is a reserved keyword; reserved keyword: %s",
					   t->text);
		e->name = t->text;
		e->len = strlen(t->text);
		e->index = -1;
	}
	else
		syntax_error(p);
	p->pos++;
}

/* path := name { '.' name | '[' digits ']' } */
static ExprPath *
parse_path(Parser *p)
{
	ExprPath   *path = palloc0(sizeof(ExprPath));
	int			cap = 4;

	path->elems = palloc0(sizeof(ExprPathElem) * cap);
	path_name(p, &path->elems[path->n++]);
	for (;;)
	{
		ExprPathElem *e;

		if (peek(p)->kind != T_DOT && peek(p)->kind != T_LBRACK)
			break;
		if (path->n == cap)
			path->elems = repalloc(path->elems, sizeof(ExprPathElem) * (cap *= 2));
		e = &path->elems[path->n++];
		if (peek(p)->kind == T_DOT)
		{
			p->pos++;
			path_name(p, e);
		}
		else
		{
			Token	   *d;

			p->pos++;
			d = expect(p, T_DIGITS);
			if (strlen(d->text) > 9)
				EXPR_ERROR(p->kind, "List index is not within the allowable range; index: [%s]", d->text);
			e->name = NULL;
			e->index = atoi(d->text);
			expect(p, T_RBRACK);
		}
	}
	if (path->n > DYNAMO_EXPR_MAX_PATH_DEPTH)
		EXPR_ERROR(p->kind, "The document path has too many nesting levels; nesting levels: %d",
				   path->n);
	return path;
}

static ExprNode *
make_node(ExprNodeType type)
{
	ExprNode   *n = palloc0(sizeof(ExprNode));

	n->type = type;
	return n;
}

/* A :value placeholder as an operand. */
static ExprNode *
parse_value(Parser *p)
{
	Token	   *t = expect(p, T_COLON);
	ExprNode   *n = make_node(EN_VALUE);

	if (p->cx->values)
		n->value = dynamo_find_attr(&p->cx->values->root, t->text, strlen(t->text));
	if (n->value == NULL)
		EXPR_ERROR(p->kind, "An expression attribute value used in expression is not defined; attribute value: %s",
				   t->text);
	if (!expr_in_list(p->cx->used_values, t->text, strlen(t->text)))
		p->cx->used_values = lappend(p->cx->used_values, t->text);
	n->vname = t->text;
	return n;
}

/* Functions, with their node type and whether they are conditions. */
static const struct
{
	const char *name;
	ExprNodeType type;
	int			nargs;
	bool		condition;		/* a condition, not an operand */
	bool		update;			/* only in UpdateExpression */
}			functions[] =
{
	{"attribute_exists", EN_EXISTS, 1, true, false},
	{"attribute_not_exists", EN_NOT_EXISTS, 1, true, false},
	{"attribute_type", EN_TYPE, 2, true, false},
	{"begins_with", EN_BEGINS_WITH, 2, true, false},
	{"contains", EN_CONTAINS, 2, true, false},
	{"size", EN_SIZE, 1, false, false},
	{"if_not_exists", EN_IF_NOT_EXISTS, 2, false, true},
	{"list_append", EN_LIST_APPEND, 2, false, true},
};

/* Index of a function name in functions[], -1 if unknown. */
static int
find_function(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(functions); i++)
		if (strcmp(functions[i].name, name) == 0)
			return i;
	return -1;
}

/* The name of a function node's function. */
const char *
expr_function_name(ExprNodeType type)
{
	int			i;

	for (i = 0; i < lengthof(functions); i++)
		if (functions[i].type == type)
			return functions[i].name;
	return "?";
}

/* Short name of an AttributeValue type as DynamoDB's messages print it. */
static const char *
long_type_name(DynamoAvType t)
{
	switch (t)
	{
		case AV_S:
			return "STRING";
		case AV_N:
			return "NUMBER";
		case AV_B:
			return "BINARY";
		case AV_BOOL:
			return "BOOLEAN";
		case AV_NULL:
			return "NULL";
		case AV_M:
			return "MAP";
		case AV_L:
			return "LIST";
		case AV_SS:
			return "STRING_SET";
		case AV_NS:
			return "NUMBER_SET";
		case AV_BS:
			return "BINARY_SET";
		default:
			return "?";
	}
}

/* Type of a constant operand (EN_VALUE), AV_INVALID otherwise. */
static DynamoAvType
const_type(ExprNode *n)
{
	AttrVal		av;

	if (n->type != EN_VALUE || !expr_av_from(n->value, &av))
		return AV_INVALID;
	return av.type;
}

/* A constant operand of fn must have one of the allowed types. */
static void
check_const(Parser *p, ExprNode *n, const char *fn, DynamoAvType a, DynamoAvType b)
{
	DynamoAvType t = const_type(n);

	if (t != AV_INVALID && t != a && t != b)
		EXPR_ERROR(p->kind, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s",
				   fn, dynamo_av_type_name(t));
}

/* Check the arguments of a function call. */
static void
check_function(Parser *p, int f, ExprNode *n, int nargs)
{
	const char *name = functions[f].name;

	if (nargs != functions[f].nargs)
		EXPR_ERROR(p->kind, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d",
				   name, nargs);
	switch (n->type)
	{
		case EN_EXISTS:
		case EN_NOT_EXISTS:
		case EN_TYPE:
		case EN_SIZE:
		case EN_IF_NOT_EXISTS:
			if (n->args[0]->type != EN_PATH)
				EXPR_ERROR(p->kind, "Operator or function requires a document path; operator or function: %s",
						   name);
			break;
		default:
			break;
	}
	if (n->type == EN_TYPE)
	{
		AttrVal		av;

		check_const(p, n->args[1], name, AV_S, AV_S);
		if (n->args[1]->type == EN_VALUE && expr_av_from(n->args[1]->value, &av) &&
			dynamo_av_type(av.v.val.string.val, av.v.val.string.len) == AV_INVALID)
			EXPR_ERROR(p->kind, "Invalid attribute type name found; type: %.*s, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }",
					   av.v.val.string.len, av.v.val.string.val);
	}
	if (n->type == EN_BEGINS_WITH)
	{
		check_const(p, n->args[0], name, AV_S, AV_B);
		check_const(p, n->args[1], name, AV_S, AV_B);
	}
	if (n->type == EN_LIST_APPEND)
	{
		check_const(p, n->args[0], name, AV_L, AV_L);
		check_const(p, n->args[1], name, AV_L, AV_L);
	}
}

/*
 * A function call at the current token (a word followed by '(').  want_cond
 * says whether the grammar expects a condition or an operand here.
 */
static ExprNode *
parse_function(Parser *p, bool want_cond)
{
	Token	   *t = peek(p);
	int			f = find_function(t->text);
	ExprNode   *n;
	int			nargs = 0;

	if (f < 0 || (functions[f].update && p->kind == DYNAMO_EXPR_KEY_CONDITION))
		EXPR_ERROR(p->kind, "Invalid function name; function: %s", t->text);
	/* if_not_exists and list_append in a condition: "not allowed" (ScyllaDB
	 * test_condition_expression.py, test_update_condition_other_funcs) */
	if (functions[f].update && p->kind != DYNAMO_EXPR_UPDATE)
		EXPR_ERROR(p->kind, "The function is not allowed to be used this way in an expression; function: %s",
				   t->text);
	if (functions[f].condition != want_cond ||
		(p->kind == DYNAMO_EXPR_UPDATE && !functions[f].update))
		EXPR_ERROR(p->kind, "The function is not allowed to be used this way in an expression; function: %s",
				   t->text);
	count_operator(p);
	p->pos += 2;
	n = make_node(functions[f].type);
	for (;;)
	{
		ExprNode   *arg = parse_term(p);

		if (nargs < 3)
			n->args[nargs] = arg;
		nargs++;
		if (peek(p)->kind != T_COMMA)
			break;
		p->pos++;
	}
	expect(p, T_RPAREN);
	check_function(p, f, n, nargs);
	return n;
}

/* operand := path | :value | function call (in an update: term) */
static ExprNode *
parse_term(Parser *p)
{
	Token	   *t = peek(p);
	ExprNode   *n;

	check_stack_depth();
	if (t->kind == T_COLON)
		return parse_value(p);
	if (t->kind == T_WORD && p->toks[p->pos + 1].kind == T_LPAREN)
		return parse_function(p, false);
	if (t->kind != T_WORD && t->kind != T_HASH)
		syntax_error(p);
	n = make_node(EN_PATH);
	n->path = parse_path(p);
	return n;
}

/* Map a comparison token to its operator. */
static ExprCmp
cmp_of(const char *op)
{
	if (strcmp(op, "=") == 0)
		return CMP_EQ;
	if (strcmp(op, "<>") == 0)
		return CMP_NE;
	if (strcmp(op, "<") == 0)
		return CMP_LT;
	if (strcmp(op, "<=") == 0)
		return CMP_LE;
	if (strcmp(op, ">") == 0)
		return CMP_GT;
	return CMP_GE;
}

/* The BETWEEN bounds, when both are constants, must be in order. */
static void
check_between(Parser *p, ExprNode *lo, ExprNode *hi)
{
	AttrVal		a,
				b;
	int			c;

	if (lo->type != EN_VALUE || hi->type != EN_VALUE ||
		!expr_av_from(lo->value, &a) || !expr_av_from(hi->value, &b))
		return;
	/* dynalite test/query.js, test/updateItem.js */
	if (a.type != b.type && a.v.type == jbvString && b.v.type == jbvString)
		EXPR_ERROR(p->kind, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {%s:%.*s}, upper bound operand: AttributeValue: {%s:%.*s}",
				   dynamo_av_type_name(a.type), a.v.val.string.len, a.v.val.string.val,
				   dynamo_av_type_name(b.type), b.v.val.string.len, b.v.val.string.val);
	if (a.type != b.type)
		return;
	if (a.type == AV_N)
		c = dynamo_number_cmp(a.v.val.string.val, a.v.val.string.len,
							  b.v.val.string.val, b.v.val.string.len);
	else if (a.type == AV_S || a.type == AV_B)
	{
		c = memcmp(a.v.val.string.val, b.v.val.string.val,
				   Min(a.v.val.string.len, b.v.val.string.len));
		if (c == 0)
			c = a.v.val.string.len - b.v.val.string.len;
	}
	else
		return;
	if (c > 0)
		EXPR_ERROR(p->kind, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {%s:%.*s}, upper bound operand: AttributeValue: {%s:%.*s}",
				   dynamo_av_type_name(a.type), a.v.val.string.len, a.v.val.string.val,
				   dynamo_av_type_name(b.type), b.v.val.string.len, b.v.val.string.val);
}

/* primary := '(' condition ')' | function | operand (cmp|BETWEEN|IN) ... */
static ExprNode *
parse_primary(Parser *p)
{
	Token	   *t = peek(p);
	ExprNode   *n,
			   *a;

	check_stack_depth();
	if (t->kind == T_LPAREN)
	{
		p->pos++;
		n = parse_or(p);
		expect(p, T_RPAREN);
		return n;
	}
	if (t->kind == T_WORD && p->toks[p->pos + 1].kind == T_LPAREN &&
		find_function(t->text) >= 0 && functions[find_function(t->text)].condition)
	{
		n = parse_function(p, true);
		/* a condition function used as an operand: begins_with(a, :v) = :t */
		if (peek(p)->kind == T_CMP || at_kw(p, "BETWEEN") || at_kw(p, "IN"))
			EXPR_ERROR(p->kind, "The function is not allowed to be used this way in an expression; function: %s",
					   t->text);
		return n;
	}
	a = parse_term(p);
	if (peek(p)->kind == T_CMP)
	{
		n = make_node(EN_CMP);
		n->cmp = cmp_of(peek(p)->text);
		p->pos++;
		count_operator(p);
		n->args[0] = a;
		n->args[1] = parse_term(p);
		return n;
	}
	if (at_kw(p, "BETWEEN"))
	{
		p->pos++;
		count_operator(p);
		n = make_node(EN_BETWEEN);
		n->args[0] = a;
		n->args[1] = parse_term(p);
		if (!at_kw(p, "AND"))
			syntax_error(p);
		p->pos++;
		n->args[2] = parse_term(p);
		check_between(p, n->args[1], n->args[2]);
		return n;
	}
	if (at_kw(p, "IN"))
	{
		p->pos++;
		count_operator(p);
		n = make_node(EN_IN);
		n->args[0] = a;
		expect(p, T_LPAREN);
		for (;;)
		{
			n->list = lappend(n->list, parse_term(p));
			if (peek(p)->kind != T_COMMA)
				break;
			p->pos++;
		}
		expect(p, T_RPAREN);
		if (list_length(n->list) > DYNAMO_EXPR_MAX_IN)
			EXPR_ERROR(p->kind, "The IN operator is provided with too many operands; number of operands: %d",
					   list_length(n->list));
		return n;
	}
	if (a->type == EN_SIZE)
		EXPR_ERROR(p->kind, "The function is not allowed to be used this way in an expression; function: size");
	syntax_error(p);
}

/* not := NOT not | primary */
static ExprNode *
parse_not(Parser *p)
{
	ExprNode   *n;

	check_stack_depth();
	if (!at_kw(p, "NOT"))
		return parse_primary(p);
	p->pos++;
	count_operator(p);
	n = make_node(EN_NOT);
	n->args[0] = parse_not(p);
	return n;
}

/* and := not { AND not } */
static ExprNode *
parse_and(Parser *p)
{
	ExprNode   *left = parse_not(p);

	while (at_kw(p, "AND"))
	{
		ExprNode   *n = make_node(EN_AND);

		p->pos++;
		count_operator(p);
		n->args[0] = left;
		n->args[1] = parse_not(p);
		left = n;
	}
	return left;
}

/* or := and { OR and } */
static ExprNode *
parse_or(Parser *p)
{
	ExprNode   *left = parse_and(p);

	while (at_kw(p, "OR"))
	{
		ExprNode   *n = make_node(EN_OR);

		p->pos++;
		count_operator(p);
		n->args[0] = left;
		n->args[1] = parse_and(p);
		left = n;
	}
	return left;
}

/* value := term [ ('+'|'-') term ] */
static ExprNode *
parse_set_value(Parser *p)
{
	ExprNode   *a = parse_term(p);
	ExprNode   *n;
	const char *op;

	if (peek(p)->kind != T_PLUS && peek(p)->kind != T_MINUS)
		return a;
	op = peek(p)->kind == T_PLUS ? "+" : "-";
	n = make_node(peek(p)->kind == T_PLUS ? EN_PLUS : EN_MINUS);
	p->pos++;
	count_operator(p);
	n->args[0] = a;
	n->args[1] = parse_term(p);
	check_const(p, n->args[0], op, AV_N, AV_N);
	check_const(p, n->args[1], op, AV_N, AV_N);
	return n;
}

/* The :value of ADD or DELETE, which must be of a type the action takes. */
static ExprNode *
parse_action_value(Parser *p, char kind)
{
	ExprNode   *v = parse_value(p);
	DynamoAvType t = const_type(v);
	bool		ok = (t == AV_SS || t == AV_NS || t == AV_BS || (kind == 'A' && t == AV_N));

	if (!ok)
		EXPR_ERROR(p->kind, "Incorrect operand type for operator or function; operator: %s, operand type: %s",
				   kind == 'A' ? "ADD" : "DELETE", long_type_name(t));
	return v;
}

/* update := { SET ... | REMOVE ... | ADD ... | DELETE ... } */
static List *
parse_update(Parser *p)
{
	static const char *const sections[] = {"SET", "REMOVE", "ADD", "DELETE"};
	bool		seen[4] = {false, false, false, false};
	List	   *actions = NIL;
	int			twice = -1;		/* reported after parsing, as DynamoDB does */

	while (peek(p)->kind != T_END)
	{
		int			s;

		for (s = 0; s < 4; s++)
			if (at_kw(p, sections[s]))
				break;
		if (s == 4)
			syntax_error(p);
		if (seen[s] && twice < 0)
			twice = s;
		seen[s] = true;
		p->pos++;
		for (;;)
		{
			ExprAction *a = palloc0(sizeof(ExprAction));

			a->kind = sections[s][0];
			a->path = parse_path(p);
			if (a->kind == 'S')
			{
				Token	   *eq = expect(p, T_CMP);

				if (strcmp(eq->text, "=") != 0)
				{
					p->pos--;
					syntax_error(p);
				}
				a->value = parse_set_value(p);
			}
			else if (a->kind != 'R')
				a->value = parse_action_value(p, a->kind);
			actions = lappend(actions, a);
			if (peek(p)->kind != T_COMMA)
				break;
			p->pos++;
		}
	}
	if (twice >= 0)
		EXPR_ERROR(p->kind, "The \"%s\" section can only be used once in an update expression;",
				   sections[twice]);
	return actions;
}

/* projection := path {, path} */
static List *
parse_projection(Parser *p)
{
	List	   *paths = NIL;

	for (;;)
	{
		paths = lappend(paths, parse_path(p));
		if (peek(p)->kind != T_COMMA)
			break;
		p->pos++;
	}
	return paths;
}

/* Parse one expression of the request. */
DynamoExpr *
dynamo_expr_parse(DynamoExprContext *cx, DynamoExprKind kind, const char *text)
{
	Parser		p;
	DynamoExpr *e = palloc0(sizeof(DynamoExpr));
	size_t		len = strlen(text);

	memset(&p, 0, sizeof(p));
	p.cx = cx;
	p.kind = kind;
	p.expr = text;
	if (len > DYNAMO_EXPR_MAX_BYTES)
		EXPR_ERROR(kind, "Expression size has exceeded the maximum allowed size; expression size: %zu",
				   len);
	tokenize(&p);
	if (p.toks[0].kind == T_END)
		EXPR_ERROR(kind, "The expression can not be empty;");
	e->kind = kind;
	switch (kind)
	{
		case DYNAMO_EXPR_UPDATE:
			e->actions = parse_update(&p);
			break;
		case DYNAMO_EXPR_PROJECTION:
			e->paths = parse_projection(&p);
			break;
		default:
			e->cond = parse_or(&p);
			break;
	}
	if (peek(&p)->kind != T_END)
		syntax_error(&p);
	if (kind == DYNAMO_EXPR_PROJECTION)
		expr_validate_paths(kind, e->paths);
	else if (kind == DYNAMO_EXPR_UPDATE)
	{
		List	   *paths = NIL;
		ListCell   *lc;

		foreach(lc, e->actions)
			paths = lappend(paths, ((ExprAction *) lfirst(lc))->path);
		expr_validate_paths(kind, paths);
	}
	return e;
}
