/* fp_sql.c - SQL fingerprints (fingerprint.h, docs/insight.md): a small
 * lexer for PostgreSQL and MySQL text, the normaliser built on it (the
 * rules of pg_stat_statements: constants and parameters become one
 * placeholder, so statements that differ only in their values, spacing,
 * case of keywords or comments are one), and readers of a fingerprint
 * (verb and tables, the batch hint). Owns no state.
 */
#include "fingerprint.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* past this much output the fingerprint is cut: a statement of megabytes
 * (a bulk insert written out) is still one line of a report */
#define ADI_FP_SQL_MAX 8192

/* ---- the string builder and the hash, shared by the fingerprints ---- */

void adi_sb_put(struct adi_sb *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap - b->len <= n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void adi_sb_puts(struct adi_sb *b, const char *s)
{
	adi_sb_put(b, s, strlen(s));
}

void adi_sb_putc(struct adi_sb *b, char c)
{
	adi_sb_put(b, &c, 1);
}

void adi_sb_reset(struct adi_sb *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

void adi_sb_fini(struct adi_sb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

uint64_t adi_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- the lexer ---- */

enum tk {
	TK_END, TK_WORD, TK_QIDENT, TK_CONST, TK_PARAM, TK_OP, TK_LPAREN, TK_RPAREN,
	TK_COMMA, TK_SEMI, TK_DOT, TK_LBRACK, TK_RBRACK,
};

struct lex {
	const char *s;
	size_t n, i;
	enum adi_sql_dialect d;
};

static bool word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* PostgreSQL's operator characters (MySQL's are a subset). */
static bool op_char(char c)
{
	return c && strchr("+-*/<>=~!@#%^&|`?:", c);
}

/* Past a quoted run starting at L->i (the opening quote q): doubled quotes
 * stay inside; backslash escapes when bs. */
static void skip_quoted(struct lex *L, char q, bool bs)
{
	L->i++;
	while (L->i < L->n) {
		char c = L->s[L->i++];

		if (bs && c == '\\' && L->i < L->n) {
			L->i++;
		} else if (c == q) {
			if (L->i < L->n && L->s[L->i] == q)
				L->i++;
			else
				return;
		}
	}
}

/* White space and comments: -- to the end of the line, nested block
 * comments (PostgreSQL nests them; MySQL's do not nest, and a statement
 * that relies on that is rare), # to the end of the line in MySQL. */
static void skip_space(struct lex *L)
{
	while (L->i < L->n) {
		const char *s = L->s + L->i;
		size_t left = L->n - L->i;

		if (isspace((unsigned char)s[0])) {
			L->i++;
		} else if ((left >= 2 && s[0] == '-' && s[1] == '-') ||
			   (L->d == ADI_SQL_MYSQL && s[0] == '#')) {
			while (L->i < L->n && L->s[L->i] != '\n')
				L->i++;
		} else if (left >= 2 && s[0] == '/' && s[1] == '*') {
			int depth = 0;

			while (L->i < L->n) {
				if (L->i + 1 < L->n && L->s[L->i] == '/' && L->s[L->i + 1] == '*') {
					depth++;
					L->i += 2;
				} else if (L->i + 1 < L->n && L->s[L->i] == '*' &&
					   L->s[L->i + 1] == '/') {
					L->i += 2;
					if (--depth == 0)
						break;
				} else {
					L->i++;
				}
			}
		} else {
			return;
		}
	}
}

/* A dollar quote's tag at s[0..n) ($$ or $tag$): its length, or 0. */
static size_t dollar_tag(const char *s, size_t n)
{
	size_t k = 1;

	if (n < 2 || s[0] != '$')
		return 0;
	if (s[1] != '$' && !(word_start((unsigned char)s[1]) && s[1] != '$'))
		return 0;
	while (k < n && s[k] != '$') {
		if (!word_char((unsigned char)s[k]) || s[k] == '$')
			return 0;
		k++;
	}
	return k < n ? k + 1 : 0;
}

static void lex_number(struct lex *L)
{
	const char *s = L->s;

	if (L->i + 1 < L->n && s[L->i] == '0' && (s[L->i + 1] == 'x' || s[L->i + 1] == 'X')) {
		L->i += 2;
		while (L->i < L->n && (isxdigit((unsigned char)s[L->i]) || s[L->i] == '_'))
			L->i++;
		return;
	}
	while (L->i < L->n && (isdigit((unsigned char)s[L->i]) || s[L->i] == '_'))
		L->i++;
	if (L->i < L->n && s[L->i] == '.') {
		L->i++;
		while (L->i < L->n && (isdigit((unsigned char)s[L->i]) || s[L->i] == '_'))
			L->i++;
	}
	if (L->i < L->n && (s[L->i] == 'e' || s[L->i] == 'E')) {
		size_t k = L->i + 1;

		if (k < L->n && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < L->n && isdigit((unsigned char)s[k])) {
			L->i = k;
			while (L->i < L->n && isdigit((unsigned char)s[L->i]))
				L->i++;
		}
	}
}

/* The next token: its kind, start and length. */
static enum tk lex_next(struct lex *L, size_t *start, size_t *len)
{
	const char *s;
	size_t left, k;
	char c;
	enum tk t;

	skip_space(L);
	*start = L->i;
	*len = 0;
	if (L->i >= L->n)
		return TK_END;
	s = L->s + L->i;
	left = L->n - L->i;
	c = s[0];
	/* string prefixes: E'..' (escapes), N'..', B'..', X'..', U&'..' */
	if (left >= 2 && s[1] == '\'' && strchr("EeNnBbXx", c)) {
		L->i++;
		skip_quoted(L, '\'', c == 'E' || c == 'e' || L->d == ADI_SQL_MYSQL);
		t = TK_CONST;
	} else if (left >= 3 && (c == 'U' || c == 'u') && s[1] == '&' && s[2] == '\'') {
		L->i += 2;
		skip_quoted(L, '\'', false);
		t = TK_CONST;
	} else if (c == '\'') {
		skip_quoted(L, '\'', L->d == ADI_SQL_MYSQL);
		t = TK_CONST;
	} else if (c == '"') {
		skip_quoted(L, '"', L->d == ADI_SQL_MYSQL);
		t = L->d == ADI_SQL_MYSQL ? TK_CONST : TK_QIDENT;
	} else if (c == '`') {
		skip_quoted(L, '`', false);
		t = TK_QIDENT;
	} else if (c == '$' && L->d == ADI_SQL_POSTGRES && left >= 2 &&
		   isdigit((unsigned char)s[1])) {
		L->i++;
		while (L->i < L->n && isdigit((unsigned char)L->s[L->i]))
			L->i++;
		t = TK_PARAM;
	} else if (c == '$' && L->d == ADI_SQL_POSTGRES && (k = dollar_tag(s, left))) {
		/* $tag$ ... $tag$: to the same tag, or the end */
		const char *end = NULL;

		for (size_t j = k; j + k <= left; j++)
			if (s[j] == '$' && !memcmp(s + j, s, k)) {
				end = s + j + k;
				break;
			}
		L->i = end ? (size_t)(end - L->s) : L->n;
		t = TK_CONST;
	} else if (isdigit((unsigned char)c) ||
		   (c == '.' && left >= 2 && isdigit((unsigned char)s[1]))) {
		lex_number(L);
		t = TK_CONST;
	} else if (word_start((unsigned char)c)) {
		while (L->i < L->n && word_char((unsigned char)L->s[L->i]))
			L->i++;
		t = TK_WORD;
	} else if (c == '?' && (left < 2 || !op_char(s[1]) || s[1] == '?')) {
		/* a placeholder (MySQL, JDBC, ODBC); PostgreSQL's jsonb `?`
		 * operator reads the same once written */
		L->i++;
		t = TK_PARAM;
	} else if (strchr("()[],;.", c)) {
		L->i++;
		t = c == '(' ? TK_LPAREN : c == ')' ? TK_RPAREN : c == '[' ? TK_LBRACK :
		    c == ']' ? TK_RBRACK : c == ',' ? TK_COMMA : c == ';' ? TK_SEMI : TK_DOT;
	} else if (op_char(c)) {
		size_t j = 0;
		bool special = false;

		while (j < left && op_char(s[j])) {
			if (j + 1 < left && ((s[j] == '-' && s[j + 1] == '-') ||
					     (s[j] == '/' && s[j + 1] == '*')))
				break; /* a comment starts */
			j++;
		}
		if (!j)
			j = 1;
		/* PostgreSQL: a multi-character operator ends in + or - only
		 * when it holds one of ~ ! @ # % ^ & | ` ? (so "=-1" is = and
		 * -1) */
		for (size_t q = 0; q < j; q++)
			special |= strchr("~!@#%^&|`?", s[q]) != NULL;
		while (j > 1 && !special && (s[j - 1] == '+' || s[j - 1] == '-'))
			j--;
		L->i += j;
		t = TK_OP;
	} else {
		L->i++;
		t = TK_OP;
	}
	*len = L->i - *start;
	return t;
}

/* ---- keywords ---- */

/* Written upper case in a fingerprint, sorted for bsearch. A word not
 * here keeps the case it was written in (an identifier). */
static const char *const adi_sql_keywords[] = {
	"ADD", "ALL", "ALTER", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC",
	"BEGIN", "BETWEEN", "BY", "CALL", "CASCADE", "CASE", "CAST", "CHECK",
	"COLUMN", "COMMIT", "CONFLICT", "CONSTRAINT", "COPY", "CREATE", "CROSS",
	"CURRENT_DATE", "CURRENT_TIMESTAMP", "DATABASE", "DEALLOCATE", "DEFAULT",
	"DELETE", "DESC", "DISTINCT", "DO", "DROP", "DUPLICATE", "ELSE", "END",
	"ESCAPE", "EXCEPT", "EXECUTE", "EXISTS", "EXPLAIN", "FALSE", "FETCH",
	"FIRST", "FOR", "FOREIGN", "FROM", "FULL", "GRANT", "GROUP", "HAVING",
	"IF", "IGNORE", "ILIKE", "IN", "INDEX", "INNER", "INSERT", "INTERSECT",
	"INTERVAL", "INTO", "IS", "ISOLATION", "JOIN", "KEY", "LATERAL", "LEFT",
	"LEVEL", "LIKE", "LIMIT", "LOCK", "NATURAL", "NEXT", "NOT", "NOTHING",
	"NOWAIT", "NULL", "NULLS", "OF", "OFFSET", "ON", "ONLY", "OR", "ORDER",
	"OUTER", "OVER", "PARTITION", "PREPARE", "PRIMARY", "RECURSIVE",
	"REFERENCES", "RELEASE", "RENAME", "REPLACE", "RETURNING", "REVOKE",
	"RIGHT", "ROLLBACK", "ROW", "ROWS", "SAVEPOINT", "SCHEMA", "SELECT",
	"SEQUENCE", "SET", "SHARE", "SHOW", "SKIP", "START", "TABLE", "THEN",
	"TO", "TRANSACTION", "TRUE", "TRUNCATE", "UNION", "UNIQUE", "UPDATE",
	"USE", "USING", "VALUES", "VIEW", "WHEN", "WHERE", "WINDOW", "WITH",
};

/* Functions written upper case and, like any name before '(', with no
 * space before it. */
static const char *const adi_sql_functions[] = {
	"AVG", "COALESCE", "COUNT", "GREATEST", "LEAST", "LOWER", "MAX", "MIN",
	"NOW", "NULLIF", "SUM", "UPPER",
};

static int kw_cmp(const void *key, const void *elem)
{
	const struct adi_slice *k = key;
	const char *w = *(const char *const *)elem;
	int c = strncasecmp(k->s, w, k->n);

	return c ? c : w[k->n] ? -1 : 0;
}

static const char *find_word(const char *const *list, size_t n, const char *s, size_t len)
{
	struct adi_slice k = { s, len };
	const char *const *hit;

	if (len > 20)
		return NULL;
	hit = bsearch(&k, list, n, sizeof(list[0]), kw_cmp);
	return hit ? *hit : NULL;
}

static const char *keyword(const char *s, size_t n)
{
	return find_word(adi_sql_keywords, sizeof(adi_sql_keywords) / sizeof(adi_sql_keywords[0]),
			 s, n);
}

static const char *function_name(const char *s, size_t n)
{
	return find_word(adi_sql_functions,
			 sizeof(adi_sql_functions) / sizeof(adi_sql_functions[0]), s, n);
}

/* ---- the normaliser ---- */

/* One output token: its kind and text (a keyword's static spelling, or a
 * run of the input). */
struct otok {
	enum tk t;
	const char *s;
	size_t n;
	bool kw;                 /* a keyword (static, upper case) */
	bool fn;                 /* a function written upper case */
};

struct otoks {
	struct otok *v;
	size_t n, cap;
	bool err;
};

static void push(struct otoks *o, struct otok t)
{
	if (o->err)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct otok *v = realloc(o->v, cap * sizeof(*v));

		if (!v) {
			o->err = true;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = t;
}

static bool is_kw(const struct otok *t, const char *k)
{
	return t->kw && !strcmp(t->s, k);
}

static bool is_placeholder(const struct otok *t)
{
	return t->t == TK_PARAM || t->t == TK_CONST;
}

/* A sign before a number is part of the constant when what precedes
 * cannot end an operand (start, '(', ',', an operator, a keyword). */
static bool sign_is_unary(const struct otoks *o)
{
	const struct otok *p;

	if (!o->n)
		return true;
	p = &o->v[o->n - 1];
	switch (p->t) {
	case TK_LPAREN: case TK_COMMA: case TK_OP: case TK_LBRACK: case TK_SEMI:
		return true;
	case TK_WORD:
		return p->kw && !is_kw(p, "NULL") && !is_kw(p, "TRUE") && !is_kw(p, "FALSE");
	default:
		return false;
	}
}

/* Collapse "( ? , ? , ... )" starting at v[i] (a '(' or '['): the index of
 * its closing token, or 0 when the list holds anything but placeholders. */
static size_t const_list_end(const struct otoks *o, size_t i)
{
	enum tk close = o->v[i].t == TK_LPAREN ? TK_RPAREN : TK_RBRACK;
	size_t j = i + 1;

	if (j >= o->n || !is_placeholder(&o->v[j]))
		return 0;
	for (;;) {
		if (j >= o->n || !is_placeholder(&o->v[j]))
			return 0;
		j++;
		if (j < o->n && o->v[j].t == close)
			return j;
		if (j >= o->n || o->v[j].t != TK_COMMA)
			return 0;
		j++;
	}
}

/* The end (index of ')') of the balanced group opening at v[i], or 0. */
static size_t group_end(const struct otoks *o, size_t i)
{
	int depth = 0;

	for (size_t j = i; j < o->n; j++) {
		if (o->v[j].t == TK_LPAREN)
			depth++;
		else if (o->v[j].t == TK_RPAREN && --depth == 0)
			return j;
	}
	return 0;
}

static bool same_run(const struct otoks *o, size_t a, size_t b, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		const struct otok *x = &o->v[a + k], *y = &o->v[b + k];

		if (is_placeholder(x) && is_placeholder(y))
			continue; /* values differ from row to row */
		if (x->t != y->t || x->n != y->n || memcmp(x->s, y->s, x->n))
			return false;
	}
	return true;
}

static void put_tok(struct adi_sb *out, const struct otok *t)
{
	if (is_placeholder(t))
		adi_sb_putc(out, '?');
	else if (t->fn) {
		const char *u = function_name(t->s, t->n);

		adi_sb_puts(out, u);
	} else
		adi_sb_put(out, t->s, t->n);
}

/* Whether a space goes between tokens a and b. */
static bool spaced(const struct otok *a, const struct otok *b)
{
	if (a->t == TK_LPAREN || a->t == TK_LBRACK || a->t == TK_DOT ||
	    (a->t == TK_OP && a->n == 2 && !memcmp(a->s, "::", 2)))
		return false;
	if (b->t == TK_RPAREN || b->t == TK_RBRACK || b->t == TK_COMMA || b->t == TK_SEMI ||
	    b->t == TK_DOT || (b->t == TK_OP && b->n == 2 && !memcmp(b->s, "::", 2)))
		return false;
	/* a name before '(' is a call (or a table's column list) */
	if (b->t == TK_LPAREN && (a->t == TK_QIDENT || (a->t == TK_WORD && !a->kw)))
		return false;
	if (b->t == TK_LBRACK && a->t != TK_OP && !(a->kw && !is_kw(a, "ARRAY")))
		return false;
	return true;
}

static void render(const struct otoks *o, struct adi_sb *out)
{
	size_t i = 0, last = o->n;

	while (last > 0 && o->v[last - 1].t == TK_SEMI)
		last--;
	while (i < last) {
		const struct otok *t = &o->v[i];
		size_t end;

		if (out->len >= ADI_FP_SQL_MAX) {
			adi_sb_puts(out, " ...");
			return;
		}
		if (i && spaced(&o->v[i - 1], t))
			adi_sb_putc(out, ' ');
		/* IN (?, ?), ANY (?), ARRAY[?, ?]: a list of values of any length */
		if ((t->t == TK_LPAREN || t->t == TK_LBRACK) && i > 0 &&
		    (is_kw(&o->v[i - 1], "IN") || is_kw(&o->v[i - 1], "ANY") ||
		     is_kw(&o->v[i - 1], "ARRAY") || is_kw(&o->v[i - 1], "ALL")) &&
		    (end = const_list_end(o, i)) && end < last) {
			adi_sb_puts(out, t->t == TK_LPAREN ? "(...)" : "[...]");
			i = end + 1;
			continue;
		}
		/* VALUES (row), (row), ... with every row alike: the first and
		 * ", ..." (a batch of any size is one statement) */
		if (t->t == TK_LPAREN && i > 0 && is_kw(&o->v[i - 1], "VALUES") &&
		    (end = group_end(o, i)) && end < last) {
			size_t len = end - i + 1, j = end + 1, rows = 1;

			while (j < last && o->v[j].t == TK_COMMA && j + len < last &&
			       same_run(o, i, j + 1, len)) {
				j += 1 + len;
				rows++;
			}
			for (size_t k = i; k <= end; k++) {
				if (k > i && spaced(&o->v[k - 1], &o->v[k]))
					adi_sb_putc(out, ' ');
				put_tok(out, &o->v[k]);
			}
			if (rows > 1)
				adi_sb_puts(out, ", ...");
			i = j;
			continue;
		}
		put_tok(out, t);
		i++;
	}
}

void adi_fp_sql(const char *sql, size_t n, enum adi_sql_dialect d, struct adi_sb *out,
		uint64_t *consts)
{
	struct lex L = { sql ? sql : "", sql ? n : 0, 0, d };
	struct otoks o = { 0 };
	uint64_t h = ADI_HASH0;
	size_t st, len;
	enum tk t;

	while ((t = lex_next(&L, &st, &len)) != TK_END && !o.err) {
		struct otok ot = { t, sql + st, len, false, false };

		if (t == TK_WORD) {
			const char *k = keyword(ot.s, len);

			if (k) {
				bool after_is = o.n && (is_kw(&o.v[o.n - 1], "IS") ||
							is_kw(&o.v[o.n - 1], "NOT"));

				/* TRUE, FALSE and NULL are constants, but in IS
				 * [NOT] NULL / TRUE and NOT NULL (syntax) */
				if ((!strcmp(k, "TRUE") || !strcmp(k, "FALSE") ||
				     !strcmp(k, "NULL")) && !after_is) {
					ot.t = TK_CONST;
					h = adi_hash(h, k, strlen(k) + 1); /* with its NUL */
				} else {
					ot.s = k;
					ot.kw = true;
				}
			} else if (function_name(ot.s, len)) {
				ot.fn = true;
			}
		} else if (t == TK_CONST || t == TK_PARAM) {
			h = adi_hash(adi_hash(h, sql + st, len), "", 1);
		} else if (t == TK_OP && len == 1 && (sql[st] == '-' || sql[st] == '+') &&
			   sign_is_unary(&o)) {
			/* a signed number is one constant: "-5" and "5" alike */
			struct lex peek = L;
			size_t ps, pl;

			if (lex_next(&peek, &ps, &pl) == TK_CONST &&
			    (isdigit((unsigned char)sql[ps]) || sql[ps] == '.')) {
				L = peek;
				ot.t = TK_CONST;
				ot.n = ps + pl - st;
				h = adi_hash(adi_hash(h, sql + st, ot.n), "", 1);
			}
		}
		push(&o, ot);
	}
	if (o.err)
		out->err = -ENOMEM;
	else
		render(&o, out);
	free(o.v);
	if (consts)
		*consts = h;
}

/* ---- reading a fingerprint ---- */

/* The fingerprint's tokens, re-lexed (a fingerprint is valid SQL text). */
struct ftok {
	enum tk t;
	const char *s;
	size_t n;
};

static bool fkw(const struct ftok *t, const char *k)
{
	return t->t == TK_WORD && strlen(k) == t->n && !strncasecmp(t->s, k, t->n);
}

#define ADI_FP_TOKS 512

static size_t fp_tokens(const char *fp, size_t n, struct ftok *v, size_t max)
{
	struct lex L = { fp, n, 0, ADI_SQL_POSTGRES };
	size_t k = 0, st, len;
	enum tk t;

	while (k < max && (t = lex_next(&L, &st, &len)) != TK_END)
		v[k++] = (struct ftok){ t, fp + st, len };
	return k;
}

/* A possibly qualified name at v[i] (a.b.c): its end index (exclusive),
 * its text span in *s, *sn; i when there is no name there. */
static size_t qualified(const struct ftok *v, size_t nt, size_t i, const char **s, size_t *sn)
{
	size_t j = i;

	if (j >= nt || (v[j].t != TK_WORD && v[j].t != TK_QIDENT) ||
	    (v[j].t == TK_WORD && keyword(v[j].s, v[j].n)))
		return i;
	j++;
	while (j + 1 < nt && v[j].t == TK_DOT && (v[j + 1].t == TK_WORD || v[j + 1].t == TK_QIDENT))
		j += 2;
	*s = v[i].s;
	*sn = (size_t)(v[j - 1].s + v[j - 1].n - v[i].s);
	return j;
}

const char *adi_sql_tables(const char *fp, size_t n,
			   void (*fn)(void *arg, const char *verb, const char *t, size_t tn),
			   void *arg)
{
	struct ftok v[ADI_FP_TOKS];
	size_t nt = fp_tokens(fp, n, v, ADI_FP_TOKS);
	static const char *const verbs[] = { "SELECT", "INSERT", "UPDATE", "DELETE" };
	const char *verb = "OTHER";
	struct adi_slice ctes[16];
	size_t nctes = 0, i = 0;

	if (!nt)
		return verb;
	/* WITH a AS (...), b AS (...) <statement>: the statement's verb; a
	 * and b are names, not tables */
	if (fkw(&v[0], "WITH")) {
		int depth = 0;

		i = 1;
		if (i < nt && fkw(&v[i], "RECURSIVE"))
			i++;
		for (; i < nt; i++) {
			if (v[i].t == TK_LPAREN)
				depth++;
			else if (v[i].t == TK_RPAREN)
				depth--;
			else if (depth == 0 && (v[i].t == TK_WORD || v[i].t == TK_QIDENT) &&
				 i + 1 < nt && fkw(&v[i + 1], "AS") && nctes < 16)
				ctes[nctes++] = (struct adi_slice){ v[i].s, v[i].n };
			else if (depth == 0 && (fkw(&v[i], "SELECT") || fkw(&v[i], "INSERT") ||
						fkw(&v[i], "UPDATE") || fkw(&v[i], "DELETE")))
				break;
		}
		if (i >= nt)
			i = 0;
	}
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (fkw(&v[i], verbs[k]))
			verb = verbs[k];
	if (fkw(&v[i], "CREATE") || fkw(&v[i], "ALTER") || fkw(&v[i], "DROP") ||
	    fkw(&v[i], "TRUNCATE") || fkw(&v[i], "RENAME"))
		verb = "DDL";
	else if (fkw(&v[i], "COPY"))
		verb = "COPY";
	else if (!strcmp(verb, "OTHER") && v[i].t == TK_WORD)
		verb = keyword(v[i].s, v[i].n) ? keyword(v[i].s, v[i].n) : "OTHER";
	for (size_t j = 0; j < nt; j++) {
		bool list = false;
		size_t k = j + 1;

		if (fkw(&v[j], "FROM") || fkw(&v[j], "JOIN"))
			list = fkw(&v[j], "FROM");
		else if (fkw(&v[j], "INTO") || (fkw(&v[j], "UPDATE") && j == i) ||
			 fkw(&v[j], "TABLE") || (fkw(&v[j], "COPY") && j == i) ||
			 (fkw(&v[j], "TRUNCATE") && j == i && !(k < nt && fkw(&v[k], "TABLE"))))
			;
		else
			continue;
		/* IF [NOT] EXISTS, ONLY: not names */
		while (k < nt && (fkw(&v[k], "IF") || fkw(&v[k], "NOT") || fkw(&v[k], "EXISTS") ||
				  fkw(&v[k], "ONLY")))
			k++;
		for (;;) {
			const char *s;
			size_t sn, e = qualified(v, nt, k, &s, &sn);
			bool cte = false;

			if (e == k)
				break;
			for (size_t c = 0; c < nctes; c++)
				cte |= ctes[c].n == sn && !memcmp(ctes[c].s, s, sn);
			/* a function in FROM (generate_series(...)) is no table */
			if (!cte && !(e < nt && v[e].t == TK_LPAREN && list))
				fn(arg, verb, s, sn);
			if (!list)
				break;
			/* an alias, then ',' and the next name */
			k = e;
			if (k < nt && fkw(&v[k], "AS"))
				k++;
			if (k < nt && (v[k].t == TK_WORD || v[k].t == TK_QIDENT) &&
			    !keyword(v[k].s, v[k].n))
				k++;
			if (k >= nt || v[k].t != TK_COMMA)
				break;
			k++;
		}
	}
	return verb;
}

bool adi_sql_batch_hint(const char *fp, size_t n, struct adi_sb *out)
{
	struct ftok v[ADI_FP_TOKS];
	size_t nt = fp_tokens(fp, n, v, ADI_FP_TOKS), at = 0, eq = 0;
	const char *s = NULL;
	size_t sn = 0;

	if (!nt || !fkw(&v[0], "SELECT"))
		return false;
	for (size_t i = 0; i + 2 < nt; i++) {
		size_t e;
		const char *ns;
		size_t nn;

		if (!(v[i].t == TK_WORD || v[i].t == TK_QIDENT))
			continue;
		e = qualified(v, nt, i, &ns, &nn);
		if (e == i || e + 1 >= nt || v[e].t != TK_OP || v[e].n != 1 || v[e].s[0] != '=' ||
		    !(v[e + 1].t == TK_PARAM || v[e + 1].t == TK_CONST)) {
			if (e > i)
				i = e - 1;
			continue;
		}
		eq++;
		at = i;
		s = ns;
		sn = nn;
		i = e + 1;
	}
	if (eq != 1 || !at || !fkw(&v[at - 1], "WHERE"))
		return false;
	adi_sb_puts(out, "WHERE ");
	adi_sb_put(out, s, sn);
	adi_sb_puts(out, " IN (...)");
	return true;
}
