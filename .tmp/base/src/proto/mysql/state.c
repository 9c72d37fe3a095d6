/* state.c - the per-connection storage of the MySQL decoder: owned strings
 * and capped buffers, the session's user and database (as JSON text), the
 * prepared-statement map (least recently used forgotten), long data
 * awaiting its EXECUTE, the FIFO of commands awaiting a reply, and freeing
 * it all (fini). Limits: mysql_priv.h.
 */
#include <stdlib.h>
#include <string.h>

#include "mysql_priv.h"

/* ---- owned strings and buffers ---- */

/* A C string copy of b[0..n) (NUL bytes in it end it early). */
char *my_strdup(const uint8_t *b, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, b, n);
		s[n] = '\0';
	}
	return s;
}

/* Replace *dst with a copy of b[0..n). */
void my_set_str(char **dst, const uint8_t *b, size_t n)
{
	free(*dst);
	*dst = b ? my_strdup(b, n) : NULL;
}

/* j becomes the JSON string of b[0..n) up to its first NUL (a name, as
 * a C string; bytes that are not UTF-8 become U+FFFD), or unknown when b
 * is NULL. */
static void my_jstr_set(struct my_jstr *j, const uint8_t *b, size_t n)
{
	const uint8_t *nul;
	struct adi_jw w;

	free(j->s);
	j->s = NULL;
	j->n = 0;
	if (!b)
		return;
	if ((nul = memchr(b, 0, n)))
		n = (size_t)(nul - b);
	adi_jw_init(&w);
	adi_jw_strn(&w, (const char *)b, n);
	j->s = adi_jw_take(&w, &j->n);
}

/* The session's user or database (j) changes to b[0..n) (NULL:
 * unknown). */
void my_sess_set(struct mysql_state *st, struct my_jstr *j, const uint8_t *b, size_t n)
{
	my_jstr_set(j, b, n);
	st->sess++;
}

/* Member k: the string j, or null when it is unknown. */
void my_jstr_put(struct adi_jw *w, const char *k, const struct my_jstr *j)
{
	adi_jw_key(w, k);
	adi_jw_raw(w, j->s, j->s ? j->n : 0);
}

/* Make *buf hold at least want items of unit bytes (doubling from 16);
 * false when memory ran out (*buf is then unchanged). */
bool my_grow(void **buf, size_t *alloc, size_t want, size_t unit)
{
	void *nb;
	size_t cap = *alloc ? *alloc : 16;

	if (want <= *alloc)
		return true;
	while (cap < want)
		cap *= 2;
	nb = realloc(*buf, cap * unit);
	if (!nb)
		return false;
	*buf = nb;
	*alloc = cap;
	return true;
}

/* Append to buf[0..*len) what fits of p[0..k) below cap bytes. True when
 * some of it was dropped (beyond cap, or no memory). */
bool my_keep_capped(uint8_t **buf, size_t *len, size_t *alloc, size_t cap,
		    const uint8_t *p, size_t k)
{
	size_t room = cap > *len ? cap - *len : 0;
	size_t c = k < room ? k : room;

	if (c && my_grow((void **)buf, alloc, *len + c, 1)) {
		memcpy(*buf + *len, p, c);
		*len += c;
	} else if (c) {
		return true;
	}
	return c < k;
}

/* ---- prepared statements and long data ---- */

/* Forget one statement: its slot is free again. */
void my_stmt_clear(struct mysql_state *st, struct my_stmt *s)
{
	st->sql_bytes -= s->sql_len;
	free(s->sql);
	free(s->ptypes);
	free(s->ctypes);
	memset(s, 0, sizeof(*s));
}

/* The statement id (MY_NO_STMT: the one prepared last), or NULL. */
struct my_stmt *my_stmt_find(struct mysql_state *st, uint32_t id)
{
	if (id == MY_NO_STMT) {
		if (!st->have_last)
			return NULL;
		id = st->last_prepared;
	}
	for (size_t i = 0; st->stmts && i < MY_MAX_STMTS; i++)
		if (st->stmts[i].used && st->stmts[i].id == id) {
			st->stmts[i].tick = ++st->tick;
			return &st->stmts[i];
		}
	return NULL;
}

/* The least recently used statement (NULL when none is known). */
static struct my_stmt *my_stmt_lru(struct mysql_state *st)
{
	struct my_stmt *old = NULL;

	for (size_t i = 0; i < MY_MAX_STMTS; i++)
		if (st->stmts[i].used && (!old || st->stmts[i].tick < old->tick))
			old = &st->stmts[i];
	return old;
}

/* Remember a statement prepared by the command pe (its text, as JSON,
 * is copied); the least recently used ones are forgotten beyond
 * MY_MAX_STMTS or MY_STMT_SQL_BUDGET bytes of text. */
struct my_stmt *my_stmt_add(struct mysql_state *st, uint32_t id,
			    const struct my_pend *pe, uint32_t nparams)
{
	struct my_stmt *s = NULL, *old;
	size_t len = pe->sql ? pe->sql_len : 0;

	if (!st->stmts) {
		st->stmts = calloc(MY_MAX_STMTS, sizeof(*st->stmts));
		if (!st->stmts)
			return NULL;
	}
	if ((old = my_stmt_find(st, id)))
		my_stmt_clear(st, old);
	while (st->sql_bytes + len > MY_STMT_SQL_BUDGET && (old = my_stmt_lru(st)))
		my_stmt_clear(st, old);
	for (size_t i = 0; i < MY_MAX_STMTS && !s; i++)
		if (!st->stmts[i].used)
			s = &st->stmts[i];
	if (!s) {
		s = my_stmt_lru(st);
		my_stmt_clear(st, s);
	}
	s->used = true;
	s->id = id;
	s->tick = ++st->tick;
	s->nparams = nparams;
	if (pe->sql) {
		s->sql = my_strdup((const uint8_t *)pe->sql, pe->sql_json_len);
		s->sql_json_len = pe->sql_json_len;
		s->sql_len = s->sql ? len : 0;
		s->sql_cut = pe->sql_cut;
		st->sql_bytes += s->sql_len;
	}
	st->last_prepared = id;
	st->have_last = true;
	return s;
}

/* The long data sent for parameter `param` of statement stmt, or NULL. */
struct my_long *my_long_find(struct mysql_state *st, uint32_t stmt,
			     uint16_t param)
{
	for (int i = 0; i < MY_MAX_LONG; i++)
		if (st->longs[i].used && st->longs[i].stmt == stmt &&
		    st->longs[i].param == param)
			return &st->longs[i];
	return NULL;
}

/* Forget the long data of statement stmt (its EXECUTE, RESET or CLOSE
 * took it), or all of it. */
void my_long_clear(struct mysql_state *st, uint32_t stmt, bool all)
{
	for (int i = 0; i < MY_MAX_LONG; i++)
		if (st->longs[i].used && (all || st->longs[i].stmt == stmt)) {
			free(st->longs[i].keep);
			memset(&st->longs[i], 0, sizeof(st->longs[i]));
		}
}

/* Data of a parameter sent ahead of EXECUTE: b[0..n) are the first bytes
 * of a chunk of `total` bytes. Beyond MY_MAX_LONG parameters it is not
 * kept (the EXECUTE then cannot place its values: undecoded). */
void my_long_add(struct mysql_state *st, uint32_t stmt, uint16_t param,
		 const uint8_t *b, size_t n, uint64_t total, size_t cap)
{
	struct my_long *l = my_long_find(st, stmt, param);

	for (int i = 0; !l && i < MY_MAX_LONG; i++)
		if (!st->longs[i].used) {
			l = &st->longs[i];
			l->used = true;
			l->stmt = stmt;
			l->param = param;
		}
	if (!l)
		return;
	l->total += total;
	n = my_min(n, cap > l->len ? cap - l->len : 0);
	if (n) {
		uint8_t *k = realloc(l->keep, l->len + n);

		if (!k)
			return;
		l->keep = k;
		memcpy(l->keep + l->len, b, n);
		l->len += n;
	}
}

/* A parameter of stmt got long data the EXECUTE did not see (more
 * parameters than kept): its values cannot be placed. */
bool my_long_lost(const struct mysql_state *st, uint32_t stmt)
{
	(void)stmt;
	for (int i = 0; i < MY_MAX_LONG; i++)
		if (!st->longs[i].used)
			return false;
	return true;
}

/* Every prepared statement and all long data are forgotten (the session
 * was reset, or ends). */
void my_stmt_forget_all(struct mysql_state *st)
{
	for (size_t i = 0; st->stmts && i < MY_MAX_STMTS; i++)
		if (st->stmts[i].used)
			my_stmt_clear(st, &st->stmts[i]);
	st->have_last = false;
	my_long_clear(st, 0, true);
}

/* ---- commands awaiting a reply (pipelining) ---- */

/* Free what a command awaiting its reply owns; the slot is zeroed. */
void my_pend_free(struct my_pend *p)
{
	free(p->sql);
	free(p->arg);
	free(p->arg2);
	memset(p, 0, sizeof(*p));
}

/* The oldest command awaiting a reply, or NULL. */
struct my_pend *my_fifo_head(struct mysql_state *st)
{
	return st->fifo_len ? &st->fifo[st->fifo_head] : NULL;
}

/* Forget the oldest command awaiting a reply (its reply is complete, or
 * lost). */
void my_fifo_pop(struct mysql_state *st)
{
	if (!st->fifo_len)
		return;
	my_pend_free(&st->fifo[st->fifo_head]);
	st->fifo_head = (st->fifo_head + 1) % MY_FIFO_CAP;
	st->fifo_len--;
}

/* A command awaits its reply; the FIFO takes over what *p owns. Beyond
 * MY_FIFO_CAP the oldest is dropped (its reply will be a stranger). */
void my_fifo_push(struct mysql_state *st, struct my_pend *p)
{
	if (st->fifo_len == MY_FIFO_CAP) {
		/* deeper pipelining than followed: the oldest command's reply
		 * will not find it */
		if (st->fifo[st->fifo_head].key > st->lost_upto)
			st->lost_upto = st->fifo[st->fifo_head].key;
		my_fifo_pop(st);
	}
	st->fifo[(st->fifo_head + st->fifo_len) % MY_FIFO_CAP] = *p;
	st->fifo_len++;
}

/* ---- the end of the connection ---- */

/* fini(): everything the state owns is freed, the state zeroed. */
void mysql_fini(void *vst)
{
	struct mysql_state *st = vst;

	for (int i = 0; i < 2; i++) {
		my_side_reset(&st->side[i]);
		my_walk_fini(&st->side[i].w);
		adi_jw_fini(&st->side[i].mw);
		free(st->side[i].pk);
	}
	while (st->fifo_len)
		my_fifo_pop(st);
	my_stmt_forget_all(st);
	free(st->stmts);
	free(st->rtypes);
	adi_jw_fini(&st->cols);
	adi_jw_fini(&st->sample);
	adi_jw_fini(&st->attrs);
	free(st->server_version);
	free(st->auth_plugin);
	free(st->user.s);
	free(st->database.s);
	memset(st, 0, sizeof(*st));
}
