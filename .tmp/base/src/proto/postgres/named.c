/* named.c - what the connection remembers between requests: statement
 * texts and column descriptions (reference-counted, shared by statements,
 * portals and pending requests), and the two small tables of named
 * prepared statements (PG_MAX_STMTS) and portals (PG_MAX_PORTALS), the
 * least recently used entry forgotten when one is full. A statement or
 * portal whose creation was not seen is known by name only (a ghost).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

struct pg_text *pg_text_new(const uint8_t *s, size_t n, bool cut)
{
	struct pg_text *t = malloc(sizeof(*t) + n + 1);

	if (!t)
		return NULL;
	t->ref = 1;
	t->len = n;
	t->cut = cut;
	if (n)
		memcpy(t->s, s, n);
	t->s[n] = '\0';
	return t;
}

void pg_text_unref(struct pg_text *t)
{
	if (t && !--t->ref)
		free(t);
}

struct pg_cols *pg_cols_new(uint32_t n, const uint32_t *pairs, const char *json,
			    size_t json_len)
{
	struct pg_cols *c = malloc(sizeof(*c) + (size_t)n * (sizeof(uint32_t) + sizeof(int16_t)) +
				   json_len);
	uint32_t *oids;
	int16_t *fmts;
	char *j;

	if (!c)
		return NULL;
	oids = (uint32_t *)(c + 1);
	fmts = (int16_t *)(oids + n);
	j = (char *)(fmts + n);
	for (uint32_t i = 0; i < n; i++) {
		oids[i] = pairs[2 * i];
		fmts[i] = (int16_t)pairs[2 * i + 1];
	}
	memcpy(j, json, json_len);
	c->ref = 1;
	c->n = n;
	c->oids = oids;
	c->fmts = fmts;
	c->json = j;
	c->json_len = json_len;
	return c;
}

void pg_cols_unref(struct pg_cols *c)
{
	if (c && !--c->ref)
		free(c);
}

void pg_stmt_unref(struct pg_stmt *s)
{
	if (!s || --s->n.ref)
		return;
	pg_text_unref(s->sql);
	free(s->oids);
	pg_cols_unref(s->cols);
	free(s);
}

void pg_portal_unref(struct pg_portal *p)
{
	if (!p || --p->n.ref)
		return;
	pg_stmt_unref(p->stmt);
	free(p->vals);
	free(p->fmts);
	free(p->rfmts);
	pg_cols_unref(p->cols);
	free(p);
}

/* ---- a table of named entries (statements or portals) ---- */

static void pg_stmt_unref_named(struct pg_named *e)
{
	pg_stmt_unref((struct pg_stmt *)e);
}

static void pg_portal_unref_named(struct pg_named *e)
{
	pg_portal_unref((struct pg_portal *)e);
}

/* The entry of v[0..n) called name, or NULL (a hit counts as a use). */
static struct pg_named *pg_named_find(struct pg_state *st, struct pg_named **v, unsigned n,
				      const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(v[i]->name, name)) {
			v[i]->lru = ++st->tick;
			return v[i];
		}
	return NULL;
}

/* Forget the entry called name (only if it is `only`, when given). */
static void pg_named_drop(struct pg_named **v, unsigned *n, const char *name,
			  const struct pg_named *only, void (*unref)(struct pg_named *))
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(v[i]->name, name) && (!only || v[i] == only)) {
			unref(v[i]);
			v[i] = v[--*n];
			return;
		}
}

/* Remember e under its name (a reference is taken); when the table is full
 * the least recently used entry is forgotten: a later Bind to a forgotten
 * statement gets sql null, never another text. */
static void pg_named_put(struct pg_state *st, struct pg_named **v, unsigned *n, unsigned max,
			 struct pg_named *e, void (*unref)(struct pg_named *))
{
	unsigned old = 0;

	pg_named_drop(v, n, e->name, NULL, unref);
	if (*n == max) {
		for (unsigned i = 1; i < *n; i++)
			if (v[i]->lru < v[old]->lru)
				old = i;
		unref(v[old]);
		v[old] = v[--*n];
	}
	e->ref++;
	e->lru = ++st->tick;
	v[(*n)++] = e;
}

/* A new entry of `size` bytes (a struct pg_stmt or pg_portal, whose first
 * member is its struct pg_named) called name, with one reference; the name
 * lives in the same block, after it. */
static struct pg_named *pg_named_new(size_t size, const char *name)
{
	size_t n = strlen(name);
	struct pg_named *e = calloc(1, size + n + 1);

	if (!e)
		return NULL;
	e->ref = 1;
	e->name = (char *)e + size;
	memcpy(e->name, name, n + 1);
	return e;
}

/* ---- statements ---- */

struct pg_stmt *pg_stmt_new(const char *name)
{
	return (struct pg_stmt *)pg_named_new(sizeof(struct pg_stmt), name);
}

void pg_stmt_drop(struct pg_state *st, const char *name, const struct pg_stmt *only)
{
	pg_named_drop(st->stmts, &st->nstmts, name, only ? &only->n : NULL,
		      pg_stmt_unref_named);
}

void pg_stmt_put(struct pg_state *st, struct pg_stmt *s)
{
	pg_named_put(st, st->stmts, &st->nstmts, PG_MAX_STMTS, &s->n, pg_stmt_unref_named);
}

struct pg_stmt *pg_stmt_get(struct pg_state *st, const char *name)
{
	struct pg_named *e = pg_named_find(st, st->stmts, st->nstmts, name);

	if (e) {
		e->ref++;
		return (struct pg_stmt *)e;
	}
	return pg_stmt_new(name);
}

/* ---- portals ---- */

struct pg_portal *pg_portal_new(const char *name, uint64_t ts)
{
	struct pg_portal *p = (struct pg_portal *)pg_named_new(sizeof(struct pg_portal), name);

	if (p)
		p->ts_start = ts;
	return p;
}

void pg_portal_drop(struct pg_state *st, const char *name, const struct pg_portal *only)
{
	pg_named_drop(st->portals, &st->nportals, name, only ? &only->n : NULL,
		      pg_portal_unref_named);
}

void pg_portal_put(struct pg_state *st, struct pg_portal *p)
{
	pg_named_put(st, st->portals, &st->nportals, PG_MAX_PORTALS, &p->n,
		     pg_portal_unref_named);
}

struct pg_portal *pg_portal_get(struct pg_state *st, const char *name, uint64_t ts)
{
	struct pg_named *e = pg_named_find(st, st->portals, st->nportals, name);

	if (e) {
		e->ref++;
		return (struct pg_portal *)e;
	}
	return pg_portal_new(name, ts);
}

void pg_named_clear(struct pg_state *st)
{
	for (unsigned i = 0; i < st->nstmts; i++)
		pg_stmt_unref_named(st->stmts[i]);
	for (unsigned i = 0; i < st->nportals; i++)
		pg_portal_unref_named(st->portals[i]);
	st->nstmts = st->nportals = 0;
}
