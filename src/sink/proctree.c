/* proctree.c - the processes of a trace and the process tree summary
 * (proctree.h, docs/output.md "The process tree"). The table is built from
 * the events as they come (fork, exec and exit events give the tree); the
 * summary is written once, at the end, folding the children of one parent
 * that repeat a command (`vet x132`). Owns its records; never prints
 * unless asked to write the summary.
 */
#include "proctree.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/hashmap.h"
#include "../lib/util.h"

/* A command line kept for the summary is cut here ("..." after). */
#define ADI_PROC_CMD_MAX 160
/* Deeper levels of the tree are not indented further: a process that deep
 * has its whole subtree listed at that level (and the walk recurses no
 * deeper, whatever a fork chain does). */
#define ADI_PROC_DEPTH_MAX 32
/* Distinct exit statuses a fold line names before "...". */
#define ADI_PROC_STATUSES 4

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"

struct adi_proctree {
	struct adi_map cur;          /* pid -> its current record */
	struct adi_proc **v;         /* every record, in creation order */
	uint32_t n, cap;
	/* past ADI_PROC_MAX records: the events of processes not kept */
	struct adi_proc_counts over;
	const char *const *globs;    /* --focus, borrowed */
	unsigned nglobs;
};

/* The kinds by their event names; ADI_PK_OTHER for the rest. */
static const char *const pk_kind[ADI_PK_N] = {
	[ADI_PK_FILE] = "file", [ADI_PK_CONNECTION] = "connection",
	[ADI_PK_TCP] = "tcp_stream", [ADI_PK_HTTP] = "http_request",
	[ADI_PK_GRPC] = "grpc_call", [ADI_PK_SQL] = "sql_query",
	[ADI_PK_DB_SESSION] = "db_session", [ADI_PK_REDIS] = "redis_command",
	[ADI_PK_MONGO] = "mongo_command", [ADI_PK_DNS] = "dns_query",
	[ADI_PK_UDP] = "udp_datagram", [ADI_PK_PROCESS] = "process",
	[ADI_PK_OTHER] = "other",
};

static enum adi_pk pk_of(const char *kind)
{
	for (int i = 0; i < ADI_PK_OTHER; i++)
		if (adi_kind_is(kind, pk_kind[i]))
			return (enum adi_pk)i;
	return ADI_PK_OTHER;
}

/* ---- what an event says ---- */

static bool jv_is(struct adi_jv v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n + 2 && v.p[0] == '"' && !memcmp(v.p + 1, s, n);
}

static bool jv_null(struct adi_jv v)
{
	return v.n == 0 || (v.n == 4 && !memcmp(v.p, "null", 4));
}

static struct adi_jv member_of(const void *ctx, const char *name)
{
	return adi_jv_member(*(const struct adi_jv *)ctx, name);
}

bool adi_event_failed_get(const char *kind, const struct adi_fields_get *g)
{
	struct adi_jv v;

	if (!kind)
		return false;
	if (!jv_null(g->get(g->ctx, "error")))
		return true;
	if (adi_kind_is(kind, "process")) {
		if (!jv_is(g->get(g->ctx, "op"), "exit"))
			return false;
		return !jv_null(g->get(g->ctx, "signal")) ||
		       adi_jv_int(g->get(g->ctx, "exit_code"), 0) != 0;
	}
	if (adi_kind_is(kind, "http_request")) {
		v = g->get(g->ctx, "status");
		return jv_null(v) || adi_jv_int(v, 0) >= 400 || !jv_null(g->get(g->ctx, "reset"));
	}
	if (adi_kind_is(kind, "grpc_call"))
		return adi_jv_int(g->get(g->ctx, "status"), -1) != 0;
	if (adi_kind_is(kind, "mongo_command"))
		return !adi_jv_bool(g->get(g->ctx, "ok"), true);
	if (adi_kind_is(kind, "dns_query")) {
		v = g->get(g->ctx, "rcode");
		return !jv_null(v) && !jv_is(v, "NOERROR") && adi_jv_int(v, -1) != 0;
	}
	return false;
}

bool adi_event_failed(const char *kind, struct adi_jv fields)
{
	struct adi_fields_get g = { member_of, &fields };

	return adi_event_failed_get(kind, &g);
}

bool adi_event_is_net_get(const char *kind, const struct adi_fields_get *g)
{
	struct adi_jv tr;

	if (!kind || adi_kind_is(kind, "file") || adi_kind_is(kind, "process") ||
	    adi_kind_is(kind, "trace_summary"))
		return false;
	if (!adi_kind_is(kind, "connection") && !adi_kind_is(kind, "tcp_stream") &&
	    !adi_kind_is(kind, "udp_datagram"))
		return true; /* a decoder's: it spoke a protocol */
	tr = adi_jv_get(g->get(g->ctx, "conn"), "transport");
	return jv_is(tr, "tcp") || jv_is(tr, "udp");
}

bool adi_event_is_net(const char *kind, struct adi_jv fields)
{
	struct adi_fields_get g = { member_of, &fields };

	return adi_event_is_net_get(kind, &g);
}

/* ---- the table ---- */

struct adi_proctree *adi_proctree_new(const char *const *globs, unsigned n)
{
	struct adi_proctree *t = calloc(1, sizeof(*t));

	if (!t || adi_map_init(&t->cur)) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->globs = globs;
	t->nglobs = globs ? n : 0;
	return t;
}

void adi_proctree_free(struct adi_proctree *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->n; i++) {
		free(t->v[i]->cmd);
		free(t->v[i]->exe);
		free(t->v[i]);
	}
	free(t->v);
	adi_map_fini(&t->cur);
	free(t);
}

uint32_t adi_proctree_count(const struct adi_proctree *t)
{
	return t->n;
}

struct adi_proc *adi_proctree_at(const struct adi_proctree *t, uint32_t i)
{
	return i < t->n ? t->v[i] : NULL;
}

/* A new record for pid, the current one from now on; its parent is ppid's
 * current record, whose focus it inherits. */
static struct adi_proc *proc_new(struct adi_proctree *t, const struct adi_event *ev,
				 uint32_t ppid)
{
	struct adi_proc *p, *parent = ppid ? adi_map_get(&t->cur, ppid) : NULL;

	if (t->n == ADI_PROC_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct adi_proc **nv = realloc(t->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (adi_map_put(&t->cur, ev->pid, p)) {
		free(p);
		return NULL;
	}
	p->pid = ev->pid;
	p->ppid = ppid;
	p->index = t->n;
	p->parent = parent ? parent->index : ADI_PROC_NONE;
	p->focus = parent && parent->focus;
	memcpy(p->comm, ev->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->t0 = p->t1 = ev->ts_ns;
	t->v[t->n++] = p;
	return p;
}

static bool glob_hit(const struct adi_proctree *t, const char *s)
{
	const char *base;

	if (!s || !*s)
		return false;
	base = strrchr(s, '/');
	for (unsigned i = 0; i < t->nglobs; i++)
		if (!fnmatch(t->globs[i], s, 0) || (base && !fnmatch(t->globs[i], base + 1, 0)))
			return true;
	return false;
}

/* argv joined by spaces into a new string, control bytes as \xNN, cut at
 * ADI_PROC_CMD_MAX bytes with "...". NULL when argv is not an array or on
 * ENOMEM. *argv0: the first word, decoded (the caller frees), or NULL. */
static char *join_argv(struct adi_jv argv, char **argv0)
{
	static const char hex[] = "0123456789abcdef";
	char *out = malloc(ADI_PROC_CMD_MAX + 8);
	struct adi_jv_it it;
	struct adi_jv k, a;
	size_t n = 0;
	bool cut = false;

	*argv0 = NULL;
	if (!out || adi_jv_type(argv) != ADI_J_ARR) {
		free(out);
		return NULL;
	}
	it = adi_jv_iter(argv);
	while (!cut && adi_jv_next(&it, &k, &a)) {
		size_t len;
		char *s = adi_jv_strdup(a, &len);

		if (!s)
			continue;
		if (n) {
			/* the separator counts against the cut too: a run of
			 * empty words once wrote spaces past the buffer */
			if (n + 1 + 4 > ADI_PROC_CMD_MAX) {
				cut = true;
				free(s); /* not the first word: *argv0 is set */
				break;
			}
			out[n++] = ' ';
		}
		for (size_t i = 0; i < len && !cut; i++) {
			unsigned char c = (unsigned char)s[i];

			if (n + 4 > ADI_PROC_CMD_MAX) {
				cut = true;
			} else if (c < 0x20 || c == 0x7f) {
				out[n++] = '\\';
				out[n++] = 'x';
				out[n++] = hex[c >> 4];
				out[n++] = hex[c & 15];
			} else {
				out[n++] = (char)c;
			}
		}
		if (!*argv0)
			*argv0 = s;
		else
			free(s);
	}
	if (cut) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* A process event: the tree's own facts. Returns the record it is about. */
static struct adi_proc *on_process(struct adi_proctree *t, const struct adi_event *ev,
				   const struct adi_fields_get *g)
{
	struct adi_jv op = g->get(g->ctx, "op");
	uint32_t ppid = (uint32_t)adi_jv_int(g->get(g->ctx, "ppid"), 0);
	struct adi_proc *p = adi_map_get(&t->cur, ev->pid);

	/* a fork starts a process: any record of that pid was an earlier
	 * life of it */
	if (jv_is(op, "fork") || !p || (p->exited && !jv_is(op, "exit")))
		p = proc_new(t, ev, ppid);
	if (!p)
		return NULL;
	if (!p->ppid && ppid) {
		struct adi_proc *parent = adi_map_get(&t->cur, ppid);

		p->ppid = ppid;
		if (parent && parent != p) {
			p->parent = parent->index;
			p->focus = p->focus || parent->focus;
		}
	}
	if (jv_is(op, "exec")) {
		char *argv0 = NULL, *cmd = join_argv(g->get(g->ctx, "argv"), &argv0);
		struct adi_jv fn = g->get(g->ctx, "filename");
		size_t len;

		if (cmd) {
			free(p->cmd);
			p->cmd = cmd;
		}
		if (adi_jv_type(fn) == ADI_J_STR) {
			free(p->exe);
			p->exe = adi_jv_strdup(fn, &len);
		}
		memcpy(p->comm, ev->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = '\0';
		if (t->nglobs && !p->focus)
			p->focus = glob_hit(t, p->comm) || glob_hit(t, p->exe) || glob_hit(t, argv0);
		free(argv0);
	} else if (jv_is(op, "exit")) {
		struct adi_jv sig = g->get(g->ctx, "signal");

		p->exited = true;
		p->t1 = ev->ts_ns;
		p->exit_code = adi_jv_int(g->get(g->ctx, "exit_code"), 0);
		p->signal[0] = '\0';
		if (!jv_null(sig)) {
			size_t n;
			const char *s = adi_jv_plain(sig, &n);

			if (s)
				snprintf(p->signal, sizeof(p->signal), "%.*s", (int)n, s);
			else
				snprintf(p->signal, sizeof(p->signal), "%" PRId64,
					 adi_jv_int(sig, 0));
		}
	}
	return p;
}

/* One event into c. */
static void count(struct adi_proc_counts *c, const struct adi_event *ev, enum adi_pk k,
		  const struct adi_fields_get *g)
{
	c->n[k]++;
	if (k == ADI_PK_FILE) {
		struct adi_jv op = g->get(g->ctx, "op");
		int64_t b = adi_jv_int(g->get(g->ctx, "bytes"), 0);

		if (jv_is(op, "read")) {
			c->reads++;
			c->read_bytes += b > 0 ? (uint64_t)b : 0;
		} else if (jv_is(op, "write")) {
			c->writes++;
			c->write_bytes += b > 0 ? (uint64_t)b : 0;
		}
	}
	if (adi_event_failed_get(ev->kind, g))
		c->errors++;
}

struct adi_proc *adi_proctree_add_get(struct adi_proctree *t, const struct adi_event *ev,
				      const struct adi_fields_get *g)
{
	enum adi_pk k = pk_of(ev->kind);
	struct adi_proc *p;

	if (!ev->pid || (ev->kind && adi_kind_is(ev->kind, "trace_summary")))
		return NULL;
	errno = 0;
	if (k == ADI_PK_PROCESS)
		p = on_process(t, ev, g);
	else if (!(p = adi_map_get(&t->cur, ev->pid)))
		p = proc_new(t, ev, 0);
	if (!p) {
		/* the table is full: still counted, as "more processes" */
		if (errno == ENOSPC)
			count(&t->over, ev, k, g);
		return NULL;
	}
	if (!p->exited) {
		uint64_t end = ev->ts_ns + (ev->duration_ns > 0 ? (uint64_t)ev->duration_ns : 0);

		if (end > p->t1)
			p->t1 = end;
	}
	count(&p->all, ev, k, g);
	if (k != ADI_PK_FILE && !p->net && adi_event_is_net_get(ev->kind, g))
		p->net = true;
	return p;
}

struct adi_proc *adi_proctree_add(struct adi_proctree *t, const struct adi_event *ev)
{
	struct adi_jv fields = adi_event_fields(ev);
	struct adi_fields_get g = { member_of, &fields };

	return adi_proctree_add_get(t, ev, &g);
}

/* ---- words ---- */

/* dst += src */
static void counts_add(struct adi_proc_counts *dst, const struct adi_proc_counts *src)
{
	for (int i = 0; i < ADI_PK_N; i++)
		dst->n[i] += src->n[i];
	dst->reads += src->reads;
	dst->read_bytes += src->read_bytes;
	dst->writes += src->writes;
	dst->write_bytes += src->write_bytes;
	dst->errors += src->errors;
}

/* snprintf at the end of buf, never past it */
static void cat(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t sz, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
}

char *adi_proc_counts_str(const struct adi_proc_counts *c, char *buf, size_t bufsz)
{
	char sz[32];
	const char *sep = "";

	if (!bufsz)
		return buf;
	buf[0] = '\0';
	if (c->n[ADI_PK_FILE]) {
		cat(buf, bufsz, "%" PRIu64 " file event%s", c->n[ADI_PK_FILE],
		    c->n[ADI_PK_FILE] == 1 ? "" : "s");
		if (c->reads || c->writes) {
			cat(buf, bufsz, " (");
			if (c->reads)
				cat(buf, bufsz, "%" PRIu64 " read%s %s", c->reads,
				    c->reads == 1 ? "" : "s",
				    adi_size_str(c->read_bytes, sz, sizeof(sz)));
			if (c->writes)
				cat(buf, bufsz, "%s%" PRIu64 " write%s %s", c->reads ? ", " : "",
				    c->writes, c->writes == 1 ? "" : "s",
				    adi_size_str(c->write_bytes, sz, sizeof(sz)));
			cat(buf, bufsz, ")");
		}
		sep = ", ";
	}
	for (int i = ADI_PK_FILE + 1; i < ADI_PK_N; i++) {
		if (i == ADI_PK_PROCESS || !c->n[i])
			continue;
		cat(buf, bufsz, "%s%" PRIu64 " %s", sep, c->n[i], pk_kind[i]);
		sep = ", ";
	}
	if (c->errors)
		cat(buf, bufsz, "%s%" PRIu64 " error%s", sep, c->errors, c->errors == 1 ? "" : "s");
	return buf;
}

/* Milliseconds, at most 3 decimals, trailing zeros dropped (as the
 * timeline's durations). */
static char *ms_str(uint64_t ns, char *buf, size_t sz)
{
	uint64_t us = (ns + 500) / 1000;
	int l;

	l = snprintf(buf, sz, "%" PRIu64 ".%03u", us / 1000, (unsigned)(us % 1000));
	while (l > 0 && (size_t)l < sz && buf[l - 1] == '0')
		buf[--l] = '\0';
	if (l > 0 && (size_t)l < sz && buf[l - 1] == '.')
		buf[--l] = '\0';
	return buf;
}

/* "exit 0", "killed by SIGKILL", "running" (no exit in the trace) */
static char *status_str(const struct adi_proc *p, char *buf, size_t sz)
{
	if (!p->exited)
		snprintf(buf, sz, "running");
	else if (p->signal[0])
		snprintf(buf, sz, "killed by %s", p->signal);
	else
		snprintf(buf, sz, "exit %" PRId64, p->exit_code);
	return buf;
}

static bool failed(const struct adi_proc *p)
{
	return p->exited && (p->signal[0] || p->exit_code != 0);
}

/* ---- the tree's shape ---- */

/* Children lists, by index: kids[off[i]..off[i+1]) are i's children in
 * creation order; roots are those whose parent is unknown. */
struct shape {
	const struct adi_proctree *t;
	uint32_t *off, *kids, *roots;
	uint32_t nroots;
};

static int shape_make(struct shape *s, const struct adi_proctree *t)
{
	uint32_t n = t->n, *fill;

	memset(s, 0, sizeof(*s));
	s->t = t;
	s->off = calloc((size_t)n + 1, sizeof(uint32_t));
	s->kids = calloc(n ? n : 1, sizeof(uint32_t));
	s->roots = calloc(n ? n : 1, sizeof(uint32_t));
	fill = calloc((size_t)n + 1, sizeof(uint32_t));
	if (!s->off || !s->kids || !s->roots || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		if (t->v[i]->parent != ADI_PROC_NONE)
			s->off[t->v[i]->parent + 1]++;
	for (uint32_t i = 0; i < n; i++)
		s->off[i + 1] += s->off[i];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t par = t->v[i]->parent;

		if (par == ADI_PROC_NONE)
			s->roots[s->nroots++] = i;
		else
			s->kids[s->off[par] + fill[par]++] = i;
	}
	free(fill);
	return 0;
}

static void shape_free(struct shape *s)
{
	free(s->off);
	free(s->kids);
	free(s->roots);
}

/* One line of the summary: a process, or a fold of several. */
struct entry {
	uint32_t first;      /* the first member's index: the line's place */
	uint32_t *members;   /* indices, creation order (borrowed from the set) */
	uint32_t n;
};

struct by_comm {
	const char *comm;
	uint32_t idx;
	bool single;
};

static int cmp_comm(const void *a, const void *b)
{
	const struct by_comm *x = a, *y = b;
	int c;

	if (x->single != y->single)
		return x->single ? 1 : -1;
	c = strcmp(x->comm, y->comm);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* The lines of one set of siblings (ids, n): processes that share a
 * command name are folded into one entry, unless they used the network
 * or match --focus (those are the program under test: each stays on its
 * own line). *order receives the member indices grouped, entries point
 * into it. Returns the entry count, or -ENOMEM. */
static long entries_of(const struct adi_proctree *t, const uint32_t *ids, uint32_t n,
		       struct entry **out, uint32_t **order)
{
	struct by_comm *bc = calloc(n ? n : 1, sizeof(*bc));
	struct entry *e = calloc(n ? n : 1, sizeof(*e));
	uint32_t *ord = calloc(n ? n : 1, sizeof(*ord));
	long ne = 0;

	if (!bc || !e || !ord) {
		free(bc);
		free(e);
		free(ord);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct adi_proc *p = t->v[ids[i]];

		bc[i] = (struct by_comm){ p->comm, ids[i], adi_proc_focused(p) };
	}
	qsort(bc, n, sizeof(*bc), cmp_comm);
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i + 1;

		if (!bc[i].single)
			while (j < n && !bc[j].single && !strcmp(bc[j].comm, bc[i].comm))
				j++;
		e[ne].members = ord + i;
		e[ne].n = j - i;
		e[ne].first = bc[i].idx;
		for (uint32_t k = i; k < j; k++)
			ord[k] = bc[k].idx;
		ne++;
		i = j;
	}
	free(bc);
	qsort(e, (size_t)ne, sizeof(*e), cmp_entry);
	*out = e;
	*order = ord;
	return ne;
}

/* The children of every member of an entry, in creation order of their
 * parents then their own (a fold's children are folded together). */
static uint32_t *children_of(const struct shape *s, const struct entry *e, uint32_t *n)
{
	uint32_t total = 0, k = 0, *out;

	for (uint32_t i = 0; i < e->n; i++)
		total += s->off[e->members[i] + 1] - s->off[e->members[i]];
	*n = total;
	out = malloc((total ? total : 1) * sizeof(*out));
	if (!out)
		return NULL;
	for (uint32_t i = 0; i < e->n; i++)
		for (uint32_t c = s->off[e->members[i]]; c < s->off[e->members[i] + 1]; c++)
			out[k++] = s->kids[c];
	return out;
}

/* What a walk over the folded tree does with each line: text or JSON. */
struct walk {
	const struct shape *s;
	int (*line)(struct walk *w, const struct entry *e, int depth); /* before children */
	void (*end)(struct walk *w, const struct entry *e, int depth); /* after them */
	void *arg;
	int color;
};

/* ids and all their descendants, in a new array (*n in and out). */
static uint32_t *subtree(const struct shape *s, const uint32_t *ids, uint32_t *n)
{
	uint32_t total = *n, k;
	uint32_t *out;

	/* a tree: the subtree holds each process once, at most all of them;
	 * filled level by level, each member's children after it */
	out = malloc((size_t)s->t->n * sizeof(*out));
	if (!out)
		return NULL;
	memcpy(out, ids, (size_t)*n * sizeof(*out));
	for (k = 0; k < total; k++)
		for (uint32_t c = s->off[out[k]]; c < s->off[out[k] + 1]; c++)
			out[total++] = s->kids[c];
	*n = total;
	return out;
}

static int walk_set(struct walk *w, const uint32_t *ids, uint32_t n, int depth)
{
	struct entry *e;
	uint32_t *order, *flat = NULL;
	long ne;
	int rc = 0;

	if (depth >= ADI_PROC_DEPTH_MAX) {
		flat = subtree(w->s, ids, &n);
		if (!flat)
			return -ENOMEM;
		ids = flat;
	}
	ne = entries_of(w->s->t, ids, n, &e, &order);
	free(flat);
	if (ne < 0)
		return (int)ne;
	for (long i = 0; i < ne && !rc; i++) {
		uint32_t nk = 0, *kids = NULL;

		rc = w->line(w, &e[i], depth);
		if (rc)
			break;
		if (depth >= ADI_PROC_DEPTH_MAX) { /* listed already, flat */
			if (w->end)
				w->end(w, &e[i], depth);
			continue;
		}
		kids = children_of(w->s, &e[i], &nk);
		if (!kids) {
			rc = -ENOMEM;
			break;
		}
		if (nk)
			rc = walk_set(w, kids, nk, depth + 1);
		free(kids);
		if (w->end)
			w->end(w, &e[i], depth);
	}
	free(e);
	free(order);
	return rc;
}

/* The fold's members summed: counts, total duration, exit statuses. */
struct fold {
	struct adi_proc_counts c;
	uint64_t ns;
	char status[ADI_PROC_STATUSES + 1][32];
	uint32_t status_n[ADI_PROC_STATUSES + 1];
	unsigned nstatus;
	uint32_t others;     /* members whose status is past the ones named */
	bool more, bad;
};

static void fold_of(const struct adi_proctree *t, const struct entry *e, struct fold *f)
{
	memset(f, 0, sizeof(*f));
	for (uint32_t i = 0; i < e->n; i++) {
		const struct adi_proc *p = t->v[e->members[i]];
		char st[32];
		unsigned k;

		counts_add(&f->c, &p->all);
		f->ns += p->t1 - p->t0;
		f->bad = f->bad || failed(p);
		status_str(p, st, sizeof(st));
		for (k = 0; k < f->nstatus && strcmp(f->status[k], st); k++)
			;
		if (k == f->nstatus) {
			if (k == ADI_PROC_STATUSES) {
				f->more = true;
				f->others++;
				continue;
			}
			snprintf(f->status[k], sizeof(f->status[k]), "%s", st);
			f->nstatus++;
		}
		f->status_n[k]++;
	}
}

/* ---- text ---- */

/* bytes of s (at most n) with control bytes as \xNN */
static void put_esc(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static int text_line(struct walk *w, const struct entry *e, int depth)
{
	const struct adi_proctree *t = w->s->t;
	FILE *f = w->arg;
	char counts[512], st[32], ms[32];
	int ind = 2 * (1 + (depth < ADI_PROC_DEPTH_MAX ? depth : ADI_PROC_DEPTH_MAX));

	fprintf(f, "%*s", ind, "");
	if (e->n == 1) {
		const struct adi_proc *p = t->v[e->members[0]];

		/* comm(pid), as pstree writes it: not "[PID ...]", so that the
		 * timeline's event lines are the only ones that start so */
		put_esc(f, p->comm, sizeof(p->comm));
		fprintf(f, "(%" PRIu32 ")", p->pid);
		if (p->cmd) {
			fputc(' ', f);
			fputs(p->cmd, f);
		}
		fprintf(f, " -> %s%s%s [%s ms]", w->color && failed(p) ? C_RED : "",
			status_str(p, st, sizeof(st)), w->color && failed(p) ? C_RESET : "",
			ms_str(p->t1 - p->t0, ms, sizeof(ms)));
		adi_proc_counts_str(&p->all, counts, sizeof(counts));
	} else {
		struct fold fo;

		fold_of(t, e, &fo);
		put_esc(f, t->v[e->members[0]]->comm, sizeof(t->v[0]->comm));
		fprintf(f, " x%" PRIu32 " -> %s", e->n, w->color && fo.bad ? C_RED : "");
		for (unsigned k = 0; k < fo.nstatus; k++)
			if (fo.nstatus == 1 && !fo.more)
				fputs(fo.status[k], f);
			else
				fprintf(f, "%s%s x%" PRIu32, k ? ", " : "", fo.status[k],
					fo.status_n[k]);
		fprintf(f, "%s%s [%s ms in all]", fo.more ? ", ..." : "",
			w->color && fo.bad ? C_RESET : "", ms_str(fo.ns, ms, sizeof(ms)));
		adi_proc_counts_str(&fo.c, counts, sizeof(counts));
	}
	if (counts[0])
		fprintf(f, ": %s", counts);
	fputc('\n', f);
	return 0;
}

int adi_proctree_write_text(const struct adi_proctree *t, FILE *f, int color)
{
	struct shape s;
	struct walk w = { .s = &s, .line = text_line, .arg = f, .color = color };
	int rc;

	if (!t || !t->n)
		return 0;
	if (shape_make(&s, t)) {
		shape_free(&s);
		return -ENOMEM;
	}
	errno = 0;
	fprintf(f, "%sPROCESSES%s %" PRIu32 "\n", color ? C_BOLD : "", color ? C_RESET : "",
		t->n);
	rc = walk_set(&w, s.roots, s.nroots, 0);
	shape_free(&s);
	if (!rc && t->n == ADI_PROC_MAX) {
		char counts[512];

		fprintf(f, "  more processes, not kept (the table holds %u): %s\n",
			ADI_PROC_MAX, adi_proc_counts_str(&t->over, counts, sizeof(counts)));
	}
	if (!rc && ferror(f)) {
		rc = errno ? -errno : -EIO;
		clearerr(f);
	}
	return rc;
}

/* ---- JSON ---- */

static void json_counts(struct adi_jw *w, const struct adi_proc_counts *c)
{
	adi_jw_kobj(w, "counts");
	adi_jw_ku64(w, "file", c->n[ADI_PK_FILE]);
	adi_jw_ku64(w, "reads", c->reads);
	adi_jw_ku64(w, "read_bytes", c->read_bytes);
	adi_jw_ku64(w, "writes", c->writes);
	adi_jw_ku64(w, "write_bytes", c->write_bytes);
	for (int i = ADI_PK_FILE + 1; i < ADI_PK_N; i++)
		adi_jw_ku64(w, pk_kind[i], c->n[i]);
	adi_jw_ku64(w, "errors", c->errors);
	adi_jw_obj_end(w);
}

static void json_ms(struct adi_jw *w, uint64_t ns)
{
	adi_jw_key(w, "duration_ms");
	adi_jw_double(w, (double)((ns + 500) / 1000) / 1000.0);
}

static int json_line(struct walk *wk, const struct entry *e, int depth)
{
	const struct adi_proctree *t = wk->s->t;
	struct adi_jw *w = wk->arg;

	(void)depth;
	adi_jw_obj(w);
	if (e->n == 1) {
		const struct adi_proc *p = t->v[e->members[0]];

		adi_jw_ku64(w, "pid", p->pid);
		adi_jw_ku64(w, "ppid", p->ppid);
		adi_jw_kstrn(w, "comm", p->comm, strnlen(p->comm, sizeof(p->comm)));
		if (p->cmd)
			adi_jw_kstr(w, "command", p->cmd);
		else
			adi_jw_knull(w, "command");
		if (p->exited && !p->signal[0])
			adi_jw_kint(w, "exit_code", p->exit_code);
		else
			adi_jw_knull(w, "exit_code");
		if (p->signal[0])
			adi_jw_kstr(w, "signal", p->signal);
		else
			adi_jw_knull(w, "signal");
		adi_jw_kbool(w, "running", !p->exited);
		json_ms(w, p->t1 - p->t0);
		adi_jw_kbool(w, "net", p->net);
		adi_jw_kbool(w, "focus", p->focus);
		json_counts(w, &p->all);
	} else {
		struct fold fo;

		fold_of(t, e, &fo);
		adi_jw_kstrn(w, "comm", t->v[e->members[0]]->comm,
			     strnlen(t->v[e->members[0]]->comm, sizeof(t->v[0]->comm)));
		adi_jw_ku64(w, "processes", e->n);
		adi_jw_karr(w, "pids");
		for (uint32_t i = 0; i < e->n; i++)
			adi_jw_u64(w, t->v[e->members[i]]->pid);
		adi_jw_arr_end(w);
		/* the statuses the text names, and how many others */
		adi_jw_kobj(w, "exits");
		for (unsigned k = 0; k < fo.nstatus; k++) {
			adi_jw_keyn(w, fo.status[k], strlen(fo.status[k]));
			adi_jw_u64(w, fo.status_n[k]);
		}
		if (fo.more)
			adi_jw_ku64(w, "other", fo.others);
		adi_jw_obj_end(w);
		json_ms(w, fo.ns);
		json_counts(w, &fo.c);
	}
	adi_jw_karr(w, "children");
	return 0;
}

static void json_end(struct walk *wk, const struct entry *e, int depth)
{
	struct adi_jw *w = wk->arg;

	(void)e;
	(void)depth;
	adi_jw_arr_end(w);
	adi_jw_obj_end(w);
}

void adi_proctree_write_json(const struct adi_proctree *t, struct adi_jw *w)
{
	struct shape s;
	struct walk wk = { .s = &s, .line = json_line, .end = json_end, .arg = w };

	adi_jw_arr(w);
	if (t && t->n && !shape_make(&s, t)) {
		if (walk_set(&wk, s.roots, s.nroots, 0))
			w->err = -ENOMEM;
	} else if (t && t->n) {
		w->err = -ENOMEM;
	}
	if (t && t->n)
		shape_free(&s);
	if (t && t->n == ADI_PROC_MAX) {
		adi_jw_obj(w);
		adi_jw_kstr(w, "more", "processes not kept (the table's cap)");
		json_counts(w, &t->over);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
}
