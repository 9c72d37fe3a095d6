/* otlp_map.c - an event as OpenTelemetry sees it (docs/export.md): protocol
 * exchanges become spans named and described by the semantic conventions
 * (http.*, rpc.*, db.*, network.peer.*, server.*), everything else a log
 * record; the resource is the process. And the two encodings of the
 * result, protobuf and OTLP/JSON. Sending is otlp_send.c's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "otlp_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../lib/version.h"

/* ---- the event's members, read once ---- */

#define FIELDS_MAX 64

struct fields {
	struct {
		const char *k;
		size_t kn;
		struct adi_jv v;
	} m[FIELDS_MAX];
	unsigned n;
};

static void fields_load(struct fields *f, struct adi_jv list)
{
	struct adi_jv_it it = adi_jv_iter_list(list);
	struct adi_jv k, v;

	f->n = 0;
	while (f->n < FIELDS_MAX && adi_jv_next(&it, &k, &v)) {
		if (k.n < 2)
			continue;
		f->m[f->n].k = k.p + 1;
		f->m[f->n].kn = k.n - 2;
		f->m[f->n].v = v;
		f->n++;
	}
}

static struct adi_jv fget(const struct fields *f, const char *k)
{
	size_t n = strlen(k);
	struct adi_jv none = { NULL, 0 };

	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i].kn == n && !memcmp(f->m[i].k, k, n))
			return f->m[i].v;
	return none;
}

/* ---- strings the item keeps ---- */

static const char *keep(struct otlp_item *it, const char *s, size_t n)
{
	char *c;

	if (it->nstrs >= OTLP_MAX_STR || !(c = malloc(n + 1)))
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	it->strs[it->nstrs++] = c;
	return c;
}

/* A JSON string's bytes: borrowed when it has no escapes, else decoded
 * and kept. false when v is not a string. */
static bool sv(struct otlp_item *it, struct adi_jv v, const char **p, size_t *n)
{
	char *s;

	if (adi_jv_type(v) != ADI_J_STR)
		return false;
	*p = adi_jv_plain(v, n);
	if (*p)
		return true;
	if (it->nstrs >= OTLP_MAX_STR || !(s = adi_jv_strdup(v, n)))
		return false;
	it->strs[it->nstrs++] = s;
	*p = s;
	return true;
}

void otlp_item_clear(struct otlp_item *it)
{
	for (unsigned i = 0; i < it->nstrs; i++)
		free(it->strs[i]);
	memset(it, 0, sizeof(*it));
}

/* ---- attributes ---- */

static struct otlp_attr *a_new(struct otlp_attrs *a, const char *k, size_t kn, enum otlp_vt t)
{
	struct otlp_attr *x;

	if (a->n >= OTLP_MAX_ATTRS) {
		a->dropped++;
		return NULL;
	}
	x = &a->a[a->n++];
	memset(x, 0, sizeof(*x));
	x->key = k;
	x->key_n = kn;
	x->t = t;
	return x;
}

static void a_str(struct otlp_attrs *a, const char *k, const char *s, size_t n)
{
	struct otlp_attr *x;

	if (s && (x = a_new(a, k, strlen(k), OTLP_STR))) {
		x->s = s;
		x->n = n;
	}
}

static void a_cstr(struct otlp_attrs *a, const char *k, const char *s)
{
	if (s)
		a_str(a, k, s, strlen(s));
}

static void a_int(struct otlp_attrs *a, const char *k, int64_t v)
{
	struct otlp_attr *x = a_new(a, k, strlen(k), OTLP_INT);

	if (x)
		x->i = v;
}

static void a_bool(struct otlp_attrs *a, const char *k, bool v)
{
	struct otlp_attr *x = a_new(a, k, strlen(k), OTLP_BOOL);

	if (x)
		x->i = v;
}

/* a member's value, when it is a string / an int / a bool / strings */
static void a_jstr(struct otlp_item *it, const char *k, struct adi_jv v)
{
	const char *s;
	size_t n;

	if (sv(it, v, &s, &n))
		a_str(&it->at, k, s, n);
}

static void a_jint(struct otlp_item *it, const char *k, struct adi_jv v)
{
	if (adi_jv_type(v) == ADI_J_INT)
		a_int(&it->at, k, adi_jv_int(v, 0));
}

static void a_jtrue(struct otlp_item *it, const char *k, struct adi_jv v)
{
	if (adi_jv_type(v) == ADI_J_BOOL && adi_jv_bool(v, false))
		a_bool(&it->at, k, true);
}

/* Any member as an attribute of its own type; objects and arrays of
 * anything but strings as their JSON text. key is kept by the caller. */
static void a_any(struct otlp_item *it, const char *k, size_t kn, struct adi_jv v)
{
	struct otlp_attr *x;
	enum adi_jtype t = adi_jv_type(v);
	const char *s;
	size_t n;

	if (t == ADI_J_NULL)
		return;
	if (t == ADI_J_STR) {
		if (sv(it, v, &s, &n) && (x = a_new(&it->at, k, kn, OTLP_STR))) {
			x->s = s;
			x->n = n;
		}
		return;
	}
	if (!(x = a_new(&it->at, k, kn, OTLP_STR)))
		return;
	switch (t) {
	case ADI_J_INT: x->t = OTLP_INT; x->i = adi_jv_int(v, 0); break;
	case ADI_J_BOOL: x->t = OTLP_BOOL; x->i = adi_jv_bool(v, false); break;
	case ADI_J_DOUBLE: x->t = OTLP_DOUBLE; x->d = adi_jv_double(v, 0); break;
	default: {
		/* arrays of strings stay arrays; the rest is JSON text */
		struct adi_jv_it i = adi_jv_iter(v);
		struct adi_jv ik, iv;
		bool strs = t == ADI_J_ARR;

		while (strs && adi_jv_next(&i, &ik, &iv))
			strs = adi_jv_type(iv) == ADI_J_STR;
		if (strs)
			x->t = OTLP_STRARR;
		x->s = v.p;
		x->n = v.n;
	}
	}
}

/* ---- endpoints: "ip:port", "[v6]:port", a unix path ---- */

struct ep {
	const char *addr;
	size_t n;
	int port;   /* -1: none */
	bool v6;
};

static bool ep_parse(struct otlp_item *it, struct adi_jv v, struct ep *e)
{
	const char *s, *c;
	size_t n;

	e->port = -1;
	e->v6 = false;
	if (!sv(it, v, &s, &n) || !n)
		return false;
	e->addr = s;
	e->n = n;
	if (s[0] == '[') {
		c = memchr(s, ']', n);
		if (c && c + 1 < s + n && c[1] == ':') {
			e->addr = s + 1;
			e->n = (size_t)(c - s - 1);
			e->port = atoi(c + 2);
			e->v6 = true;
		}
	} else if (isdigit((unsigned char)s[0]) && (c = memrchr(s, ':', n))) {
		e->n = (size_t)(c - s);
		e->port = atoi(c + 1);
	}
	return true;
}

/* conn: network.*, server.*, client.*; returns 2 (server) or 3 (client),
 * the span kind its role gives. */
static int net_attrs(struct otlp_item *it, struct adi_jv conn, struct ep *server)
{
	struct adi_jv role = adi_jv_get(conn, "role"), tr = adi_jv_get(conn, "transport");
	bool srv = adi_jv_streq(role, "server");
	struct ep local, remote;
	const char *t;
	size_t tn;

	server->addr = NULL;
	server->port = -1;
	if (sv(it, tr, &t, &tn) && tn && strncmp(t, "other", tn))
		a_str(&it->at, "network.transport", t, tn);
	if (ep_parse(it, adi_jv_get(conn, "remote"), &remote)) {
		a_str(&it->at, "network.peer.address", remote.addr, remote.n);
		if (remote.port >= 0)
			a_int(&it->at, "network.peer.port", remote.port);
		if (remote.port >= 0)
			a_cstr(&it->at, "network.type", remote.v6 ? "ipv6" : "ipv4");
		if (srv) {
			a_str(&it->at, "client.address", remote.addr, remote.n);
			if (remote.port >= 0)
				a_int(&it->at, "client.port", remote.port);
		} else {
			*server = remote;
		}
	}
	if (ep_parse(it, adi_jv_get(conn, "local"), &local) && srv)
		*server = local;
	a_jint(it, "adi.conn.id", adi_jv_get(conn, "id"));
	return srv ? 2 : 3;
}

static void server_attrs(struct otlp_item *it, const struct ep *s)
{
	if (!s->addr)
		return;
	a_str(&it->at, "server.address", s->addr, s->n);
	if (s->port >= 0)
		a_int(&it->at, "server.port", s->port);
}

/* ---- ids ---- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(struct otlp_mapper *m)
{
	m->rng = mix64(m->rng);
	return m->rng ? m->rng : 1;
}

static void put64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* An event id (int, or a string hashed): 0 when absent. */
static uint64_t id_of(struct adi_jv v)
{
	const char *s;
	size_t n;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (adi_jv_type(v) == ADI_J_INT)
		return (uint64_t)adi_jv_int(v, 0) + 1; /* id 0 is an id too */
	if (adi_jv_type(v) != ADI_J_STR || !(s = adi_jv_plain(v, &n)) || !n)
		return 0;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h ? h : 1;
}

static void span_id_of(struct otlp_mapper *m, uint64_t id, uint8_t out[8])
{
	uint64_t v = mix64(m->salt ^ id);

	put64(out, v ? v : 1);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
	unsigned any = 0;

	for (size_t i = 0; i < n; i++) {
		int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);

		if (a < 0 || b < 0)
			return false;
		out[i] = (uint8_t)(a << 4 | b);
		any |= out[i];
	}
	return any != 0;
}

/* W3C traceparent "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"
 * (https://www.w3.org/TR/trace-context/#traceparent-header): the span
 * joins that trace as a child of that span. */
static bool traceparent(struct otlp_item *it, struct adi_jv headers)
{
	struct adi_jv v = adi_jv_get(headers, "traceparent");
	const char *s;
	size_t n;

	if (!sv(it, v, &s, &n) || n < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' ||
	    !strncmp(s, "ff", 2))
		return false;
	if (!hex_bytes(s + 3, it->trace, 16) || !hex_bytes(s + 36, it->parent, 8))
		return false;
	it->has_trace = it->has_parent = true;
	return true;
}

#define SPANS_MAX (1u << 20)

struct otlp_spanref {
	uint8_t trace[16], span[8];
};

/* The item's ids: its own from the event's id (events.md: a field of every
 * event; 0 for none: random), its parent's from "parent_id" (request
 * trees: the child joins its parent's trace) or from traceparent (done by
 * the caller before); a root starts a trace. */
static void item_ids(struct otlp_mapper *m, struct otlp_item *it, const struct fields *f,
		     uint64_t ev_id)
{
	uint64_t id = ev_id ? ev_id + 1 : 0, pid = id_of(fget(f, "parent_id"));
	struct otlp_spanref *ref;

	if (id)
		span_id_of(m, id, it->span);
	else
		put64(it->span, rnd(m));
	if (pid) {
		span_id_of(m, pid, it->parent);
		it->has_parent = true;
		ref = adi_map_get(&m->spans, pid);
		if (ref) {
			memcpy(it->trace, ref->trace, 16);
			it->has_trace = true;
		} else if (!it->has_trace) {
			/* the parent was never seen (or forgotten): its children
			 * still share one trace */
			put64(it->trace, mix64(m->salt ^ pid ^ 0x5bd1e995));
			put64(it->trace + 8, mix64(m->salt + pid));
			it->has_trace = true;
		}
	}
	if (!it->has_trace) {
		put64(it->trace, rnd(m));
		put64(it->trace + 8, rnd(m));
		it->has_trace = true;
	}
	if (id && it->is_span) {
		if (m->spans.len >= SPANS_MAX) {
			size_t i = 0;
			uint64_t k;
			void *v;

			while (adi_map_next(&m->spans, &i, &k, &v))
				free(v);
			adi_map_fini(&m->spans);
			adi_map_init(&m->spans);
		}
		if ((ref = malloc(sizeof(*ref)))) {
			memcpy(ref->trace, it->trace, 16);
			memcpy(ref->span, it->span, 8);
			free(adi_map_get(&m->spans, id));
			if (adi_map_put(&m->spans, id, ref))
				free(ref);
		}
	}
}

/* Logs: the span they belong to, when their parent is one. */
static void log_ids(struct otlp_mapper *m, struct otlp_item *it, const struct fields *f)
{
	uint64_t pid = id_of(fget(f, "parent_id"));
	struct otlp_spanref *ref = pid ? adi_map_get(&m->spans, pid) : NULL;

	if (ref) {
		memcpy(it->trace, ref->trace, 16);
		memcpy(it->span, ref->span, 8);
		it->has_trace = it->has_parent = true;
	}
}

/* ---- processes: the resource ---- */

#define PROCS_MAX 65536

struct otlp_proc {
	uint32_t ppid;
	char *cmdline;
};

static void procs_clear(struct adi_map *m)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (adi_map_next(m, &i, &k, &v)) {
		free(((struct otlp_proc *)v)->cmdline);
		free(v);
	}
	adi_map_fini(m);
	adi_map_init(m);
}

static struct otlp_proc *proc_get(struct otlp_mapper *m, uint32_t pid)
{
	struct otlp_proc *p = adi_map_get(&m->procs, pid);

	if (p)
		return p;
	if (m->procs.len >= PROCS_MAX)
		procs_clear(&m->procs);
	p = calloc(1, sizeof(*p));
	if (p && adi_map_put(&m->procs, pid, p)) {
		free(p);
		p = NULL;
	}
	return p;
}

/* A process event teaches the parent (fork, exec) and the command line
 * (exec's argv joined by spaces, as process.command_line). */
static void proc_learn(struct otlp_mapper *m, uint32_t pid, const struct fields *f)
{
	struct otlp_proc *p = proc_get(m, pid);
	struct adi_jv argv = fget(f, "argv"), ppid = fget(f, "ppid");
	struct adi_jv_it i;
	struct adi_jv k, v;
	struct adi_jw w;

	if (!p)
		return;
	if (adi_jv_type(ppid) == ADI_J_INT)
		p->ppid = (uint32_t)adi_jv_int(ppid, 0);
	if (adi_jv_type(argv) != ADI_J_ARR)
		return;
	adi_jw_init(&w);
	i = adi_jv_iter(argv);
	while (adi_jv_next(&i, &k, &v)) {
		size_t n;
		char *s = adi_jv_strdup(v, &n);

		if (!s)
			continue;
		if (w.len)
			adi_jw_put(&w, " ", 1);
		adi_jw_put(&w, s, strnlen(s, n));
		free(s);
	}
	free(p->cmdline);
	p->cmdline = adi_jw_take(&w, &(size_t){ 0 });
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static void resource(struct otlp_mapper *m, const struct adi_event *ev, struct otlp_item *it)
{
	struct otlp_proc *p = ev->pid ? adi_map_get(&m->procs, ev->pid) : NULL;
	const char *comm = ev->comm[0] ? ev->comm : "adi-profiler";
	uint64_t h = 0xcbf29ce484222325ULL;

	it->pid = ev->pid;
	a_cstr(&it->res, "service.name", comm);
	if (ev->pid) {
		a_int(&it->res, "process.pid", ev->pid);
		a_cstr(&it->res, "process.executable.name", comm);
		if (p && p->ppid)
			a_int(&it->res, "process.parent_pid", p->ppid);
		if (p && p->cmdline)
			a_cstr(&it->res, "process.command_line", keep(it, p->cmdline,
								       strlen(p->cmdline)));
	}
	if (ev->container[0])
		a_cstr(&it->res, "container.id", ev->container);
	a_cstr(&it->res, "host.name", m->host);
	/* the key: everything the attributes say */
	h = hash_bytes(h, &ev->pid, sizeof(ev->pid));
	h = hash_bytes(h, comm, strlen(comm));
	h = hash_bytes(h, ev->container, strlen(ev->container));
	if (p && p->cmdline)
		h = hash_bytes(h, p->cmdline, strlen(p->cmdline));
	if (p)
		h = hash_bytes(h, &p->ppid, sizeof(p->ppid));
	it->res_key = h;
}

/* ---- spans by kind ---- */

static void set_name(struct otlp_item *it, const char *s, size_t n)
{
	it->name = s;
	it->name_n = n;
}

static void set_error(struct otlp_item *it, const char *type, size_t tn, const char *msg,
		      size_t mn)
{
	it->status = 2;
	it->status_msg = msg;
	it->status_msg_n = msg ? mn : 0;
	if (type)
		a_str(&it->at, "error.type", type, tn);
	it->exc = true;
	it->exc_type = type;
	it->exc_type_n = type ? tn : 0;
	it->exc_msg = msg;
	it->exc_msg_n = msg ? mn : 0;
}

static void map_http(struct otlp_item *it, const struct fields *f, int kind, struct ep *srv)
{
	const char *method, *url, *host, *q;
	size_t mn = 0, un = 0, hn = 0;
	struct adi_jv status = fget(f, "status"), rqh = fget(f, "req_headers");
	int64_t code = adi_jv_int(status, -1);
	char buf[16];

	if (sv(it, fget(f, "method"), &method, &mn))
		a_str(&it->at, "http.request.method", method, mn);
	else
		method = NULL;
	set_name(it, method ? method : "HTTP", method ? mn : 4);
	a_cstr(&it->at, "url.scheme", "http");
	if (sv(it, fget(f, "url"), &url, &un)) {
		q = memchr(url, '?', un);
		a_str(&it->at, "url.path", url, q ? (size_t)(q - url) : un);
		if (q)
			a_str(&it->at, "url.query", q + 1, un - (size_t)(q - url) - 1);
	} else {
		url = NULL;
	}
	if (sv(it, fget(f, "host"), &host, &hn) && hn) {
		const char *c = host[0] == '[' ? memchr(host, ']', hn) : host;
		const char *colon = c ? memchr(c, ':', hn - (size_t)(c - host)) : NULL;

		/* the Host header names the server as the client meant it */
		srv->addr = host[0] == '[' && c ? host + 1 : host;
		srv->n = colon ? (size_t)(colon - srv->addr) : hn - (host[0] == '[');
		if (host[0] == '[' && c)
			srv->n = (size_t)(c - host - 1);
		if (colon)
			srv->port = atoi(colon + 1);
		if (kind == 3 && url) {
			char *full = malloc(7 + hn + un + 1);

			if (full) {
				memcpy(full, "http://", 7);
				memcpy(full + 7, host, hn);
				memcpy(full + 7 + hn, url, un);
				a_str(&it->at, "url.full", keep(it, full, 7 + hn + un), 7 + hn + un);
				free(full);
			}
		}
	}
	if (code >= 0)
		a_int(&it->at, "http.response.status_code", code);
	a_jstr(it, "network.protocol.version", fget(f, "version"));
	a_jstr(it, "user_agent.original", adi_jv_get(rqh, "user-agent"));
	a_jint(it, "http.request.body.size", fget(f, "req_bytes"));
	a_jint(it, "http.response.body.size", fget(f, "resp_bytes"));
	a_jint(it, "adi.http2.stream_id", fget(f, "stream_id"));
	/* semantic conventions: 5xx is an error on both sides, 4xx only for
	 * the client (the server answered as it should) */
	if (code >= 500 || (kind == 3 && code >= 400)) {
		snprintf(buf, sizeof(buf), "%d", (int)code);
		set_error(it, keep(it, buf, strlen(buf)), strlen(buf), NULL, 0);
		it->exc = false;
	}
	traceparent(it, rqh);
}

static void map_grpc(struct otlp_item *it, const struct fields *f, int kind)
{
	const char *m, *slash, *msg = NULL;
	size_t n, mn = 0;
	int64_t st = adi_jv_int(fget(f, "status"), -1);
	char buf[16];

	a_cstr(&it->at, "rpc.system", "grpc");
	if (sv(it, fget(f, "method"), &m, &n) && n) {
		if (m[0] == '/') {
			m++;
			n--;
		}
		set_name(it, m, n);
		slash = memchr(m, '/', n);
		if (slash) {
			a_str(&it->at, "rpc.service", m, (size_t)(slash - m));
			a_str(&it->at, "rpc.method", slash + 1, n - (size_t)(slash - m) - 1);
		}
	} else {
		set_name(it, "grpc", 4);
	}
	if (st >= 0)
		a_int(&it->at, "rpc.grpc.status_code", st);
	a_jint(it, "http.response.status_code", fget(f, "http_status"));
	a_jint(it, "adi.http2.stream_id", fget(f, "stream_id"));
	if (!sv(it, fget(f, "grpc_message"), &msg, &mn))
		msg = NULL;
	/* conventions: any non-OK status fails a client; a server only for
	 * UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
	 * DATA_LOSS */
	if (st > 0 && (kind == 3 || st == 2 || st == 4 || st == 12 || st == 13 || st == 14 ||
		       st == 15)) {
		snprintf(buf, sizeof(buf), "%d", (int)st);
		set_error(it, keep(it, buf, strlen(buf)), strlen(buf), msg, mn);
	}
	traceparent(it, fget(f, "req_headers"));
}

/* The first word of a statement, upper case: SELECT, INSERT, BEGIN... */
static const char *sql_op(struct otlp_item *it, const char *sql, size_t n, size_t *on)
{
	char w[32];
	size_t i = 0, k = 0;

	while (i < n && (isspace((unsigned char)sql[i]) || sql[i] == '('))
		i++;
	while (i < n && k < sizeof(w) && isalpha((unsigned char)sql[i]))
		w[k++] = (char)toupper((unsigned char)sql[i++]);
	if (!k || k == sizeof(w))
		return NULL;
	*on = k;
	return keep(it, w, k);
}

static void db_error(struct otlp_item *it, struct adi_jv err)
{
	const char *code = NULL, *msg = NULL;
	size_t cn = 0, mn = 0;
	char buf[24];

	if (adi_jv_type(err) == ADI_J_OBJ) {
		struct adi_jv c = adi_jv_get(err, "code");

		if (adi_jv_type(c) == ADI_J_INT) {
			snprintf(buf, sizeof(buf), "%lld", (long long)adi_jv_int(c, 0));
			code = keep(it, buf, cn = strlen(buf));
		} else if (!sv(it, c, &code, &cn)) {
			code = NULL;
		}
		if (!sv(it, adi_jv_get(err, "message"), &msg, &mn))
			msg = NULL;
	} else if (sv(it, err, &msg, &mn)) {
		/* Redis "ERR ...", "WRONGTYPE ...": the prefix is the code */
		const char *sp = memchr(msg, ' ', mn);

		code = msg;
		cn = sp ? (size_t)(sp - msg) : mn;
	} else {
		return;
	}
	if (code)
		a_str(&it->at, "db.response.status_code", code, cn);
	set_error(it, code ? code : "error", code ? cn : 5, msg, mn);
}

static void name2(struct otlp_item *it, const char *a, size_t an, const char *b, size_t bn)
{
	char *s;

	if (!a) {
		set_name(it, b, bn);
		return;
	}
	if (!b || !(s = malloc(an + 1 + bn))) {
		set_name(it, a, an);
		return;
	}
	memcpy(s, a, an);
	s[an] = ' ';
	memcpy(s + an + 1, b, bn);
	set_name(it, keep(it, s, an + 1 + bn), an + 1 + bn);
	free(s);
}

static void map_sql(struct otlp_item *it, const struct fields *f)
{
	const char *sql, *op = NULL, *ns = NULL, *sys = "mysql";
	size_t n, on = 0, nn = 0;

	if (adi_jv_streq(fget(f, "db"), "postgres"))
		sys = "postgresql";
	a_cstr(&it->at, "db.system", sys);
	if (sv(it, fget(f, "database"), &ns, &nn))
		a_str(&it->at, "db.namespace", ns, nn);
	else
		ns = NULL;
	if (sv(it, fget(f, "sql"), &sql, &n)) {
		a_str(&it->at, "db.query.text", sql, n);
		op = sql_op(it, sql, n, &on);
	} else if (sv(it, fget(f, "command"), &op, &on) || sv(it, fget(f, "op"), &op, &on)) {
		/* MySQL COM_PING, PostgreSQL startup / cancel: no statement */
	} else {
		op = NULL;
	}
	if (op)
		a_str(&it->at, "db.operation.name", op, on);
	a_jint(it, "db.response.returned_rows", fget(f, "rows"));
	a_jstr(it, "adi.db.command_tag", fget(f, "command_tag"));
	a_jstr(it, "adi.db.statement", fget(f, "statement"));
	a_jstr(it, "db.user", fget(f, "user"));
	a_jtrue(it, "adi.incomplete", fget(f, "incomplete"));
	if (op || ns)
		name2(it, op, on, ns, nn);
	else
		set_name(it, sys, strlen(sys));
	db_error(it, fget(f, "error"));
}

/* db_session: a step of the session that is not a statement (login,
 * quit, ping, reset...): a span named by the step, no query text */
static void map_db_session(struct otlp_item *it, const struct fields *f)
{
	const char *op = NULL, *ns = NULL, *sys = "mysql";
	size_t on = 0, nn = 0;

	if (adi_jv_streq(fget(f, "db"), "postgres"))
		sys = "postgresql";
	a_cstr(&it->at, "db.system", sys);
	if (sv(it, fget(f, "database"), &ns, &nn))
		a_str(&it->at, "db.namespace", ns, nn);
	else
		ns = NULL;
	if (sv(it, fget(f, "op"), &op, &on))
		a_str(&it->at, "db.operation.name", op, on);
	else
		op = NULL;
	a_jstr(it, "db.user", fget(f, "user"));
	a_jstr(it, "adi.db.application_name", fget(f, "application_name"));
	a_jtrue(it, "adi.db.tls", fget(f, "tls"));
	if (op || ns)
		name2(it, op, on, ns, nn);
	else
		set_name(it, sys, strlen(sys));
	db_error(it, fget(f, "error"));
}

static void map_redis(struct otlp_item *it, const struct fields *f)
{
	const char *cmd;
	size_t cn;
	struct adi_jw w;
	struct adi_jv_it i;
	struct adi_jv k, v;

	a_cstr(&it->at, "db.system", "redis");
	if (sv(it, fget(f, "command"), &cmd, &cn) && cn) {
		set_name(it, cmd, cn);
		a_str(&it->at, "db.operation.name", cmd, cn);
		/* the command as typed: its words and arguments, cut at 4 KiB */
		adi_jw_init(&w);
		adi_jw_put(&w, cmd, cn);
		i = adi_jv_iter(fget(f, "args"));
		while (adi_jv_next(&i, &k, &v) && w.len < 4096) {
			const char *a;
			size_t an;

			if (sv(it, v, &a, &an)) {
				adi_jw_put(&w, " ", 1);
				adi_jw_put(&w, a, an < 4096 ? an : 4096);
			}
		}
		if (!w.err && w.len)
			a_str(&it->at, "db.query.text", keep(it, w.buf, w.len), w.len);
		adi_jw_fini(&w);
	} else {
		set_name(it, "redis", 5);
	}
	a_jint(it, "adi.redis.req_bytes", fget(f, "req_bytes"));
	a_jint(it, "adi.redis.resp_bytes", fget(f, "resp_bytes"));
	a_jtrue(it, "adi.redis.push", fget(f, "push"));
	db_error(it, fget(f, "error"));
}

static void map_mongo(struct otlp_item *it, const struct fields *f)
{
	const char *op = NULL, *coll = NULL;
	size_t on = 0, cn = 0;

	a_cstr(&it->at, "db.system", "mongodb");
	a_jstr(it, "db.namespace", fget(f, "database"));
	if (sv(it, fget(f, "collection"), &coll, &cn))
		a_str(&it->at, "db.collection.name", coll, cn);
	else
		coll = NULL;
	if (sv(it, fget(f, "op"), &op, &on))
		a_str(&it->at, "db.operation.name", op, on);
	else
		op = NULL;
	if (op)
		name2(it, op, on, coll, cn);
	else
		set_name(it, "mongodb", 7);
	a_jint(it, "adi.mongo.request_id", fget(f, "request_id"));
	db_error(it, fget(f, "error"));
}

static void map_dns(struct otlp_item *it, const struct fields *f)
{
	const char *qt = NULL, *rc = NULL;
	size_t qn = 0, rn = 0;
	struct adi_jv ans = fget(f, "answers");

	a_jstr(it, "dns.question.name", fget(f, "name"));
	a_jint(it, "adi.dns.id", fget(f, "txid"));
	if (sv(it, fget(f, "qtype"), &qt, &qn))
		a_str(&it->at, "dns.question.type", qt, qn);
	else
		qt = NULL;
	if (adi_jv_type(ans) == ADI_J_ARR)
		a_any(it, "dns.answers", 11, ans);
	name2(it, "DNS", 3, qt, qn);
	if (sv(it, fget(f, "rcode"), &rc, &rn)) {
		a_str(&it->at, "dns.response_code", rc, rn);
		if (rn && strncmp(rc, "NOERROR", rn))
			set_error(it, rc, rn, NULL, 0);
	} else if (adi_jv_type(fget(f, "rcode")) == ADI_J_INT &&
		   adi_jv_int(fget(f, "rcode"), 0) != 0) {
		a_jint(it, "dns.response_code", fget(f, "rcode"));
	}
}

/* ---- log records: files, processes, connections, the rest ---- */

static const char *const log_skip[] = { "conn", "id", "parent_id", NULL };

static void map_log(struct otlp_item *it, const struct adi_event *ev, const struct fields *f)
{
	struct adi_jw b;
	const char *s;
	size_t n;
	struct adi_jv err = fget(f, "error"), dropped = fget(f, "dropped"), conn = fget(f, "conn");
	char key[80];

	it->name = keep(it, key, (size_t)snprintf(key, sizeof(key), "adi.%s", ev->kind));
	it->name_n = it->name ? strlen(it->name) : 0;
	it->severity = 9; /* INFO */
	if (!adi_jv_absent(err) && adi_jv_type(err) != ADI_J_NULL)
		it->severity = 13; /* WARN */
	if (adi_jv_int(dropped, 0) > 0)
		it->severity = 13;
	/* the body says what happened in a line: "file open /etc/hosts" */
	adi_jw_init(&b);
	adi_jw_put(&b, ev->kind, strlen(ev->kind));
	if (sv(it, fget(f, "op"), &s, &n)) {
		adi_jw_put(&b, " ", 1);
		adi_jw_put(&b, s, n);
	}
	if (sv(it, fget(f, "path"), &s, &n)) {
		adi_jw_put(&b, " ", 1);
		adi_jw_put(&b, s, n);
	} else if (sv(it, adi_jv_get(conn, "remote"), &s, &n)) {
		adi_jw_put(&b, " ", 1);
		adi_jw_put(&b, s, n);
	}
	if (!b.err && b.len) {
		it->body = keep(it, b.buf, b.len);
		it->body_n = it->body ? b.len : 0;
	}
	adi_jw_fini(&b);
	if (adi_jv_type(conn) == ADI_J_OBJ) {
		struct ep srv;

		net_attrs(it, conn, &srv);
	}
	if (!strcmp(ev->kind, "file"))
		a_jstr(it, "file.path", fget(f, "path"));
	/* every other member as adi.<name>, its own type */
	for (unsigned i = 0; i < f->n; i++) {
		const char *k;
		bool skip = false;

		for (int j = 0; log_skip[j]; j++)
			skip |= f->m[i].kn == strlen(log_skip[j]) &&
				!memcmp(f->m[i].k, log_skip[j], f->m[i].kn);
		if (skip || f->m[i].kn > sizeof(key) - 5)
			continue;
		memcpy(key, "adi.", 4);
		memcpy(key + 4, f->m[i].k, f->m[i].kn);
		k = keep(it, key, f->m[i].kn + 4);
		if (k)
			a_any(it, k, f->m[i].kn + 4, f->m[i].v);
	}
	if (ev->duration_ns >= 0)
		a_int(&it->at, "adi.duration_ns", ev->duration_ns);
}

int otlp_map_event(struct otlp_mapper *m, const struct adi_event *ev, struct otlp_item *it)
{
	struct fields f;
	struct ep srv = { NULL, 0, -1, false };
	struct adi_jv conn;
	const char *k = ev->kind;
	int kind;

	otlp_item_clear(it);
	fields_load(&f, adi_event_fields(ev));
	if (!strcmp(k, "process") && ev->pid)
		proc_learn(m, ev->pid, &f);
	resource(m, ev, it);
	it->t0 = ev->ts_ns;
	it->t1 = ev->ts_ns + (ev->duration_ns > 0 ? (uint64_t)ev->duration_ns : 0);
	it->is_span = !strcmp(k, "http_request") || !strcmp(k, "grpc_call") ||
		      !strcmp(k, "sql_query") || !strcmp(k, "db_session") ||
		      !strcmp(k, "redis_command") || !strcmp(k, "mongo_command") ||
		      !strcmp(k, "dns_query");
	if (!it->is_span) {
		map_log(it, ev, &f);
		log_ids(m, it, &f);
		return 0;
	}
	conn = fget(&f, "conn");
	kind = net_attrs(it, conn, &srv);
	it->kind = kind;
	if (!strcmp(k, "http_request"))
		map_http(it, &f, kind, &srv);
	else if (!strcmp(k, "grpc_call"))
		map_grpc(it, &f, kind);
	else if (!strcmp(k, "sql_query"))
		map_sql(it, &f);
	else if (!strcmp(k, "db_session"))
		map_db_session(it, &f);
	else if (!strcmp(k, "redis_command"))
		map_redis(it, &f);
	else if (!strcmp(k, "mongo_command"))
		map_mongo(it, &f);
	else
		map_dns(it, &f);
	server_attrs(it, &srv);
	a_int(&it->at, "thread.id", ev->tid);
	a_jtrue(it, "adi.truncated", fget(&f, "truncated"));
	a_jtrue(it, "adi.incomplete", fget(&f, "incomplete"));
	if (ev->duration_ns < 0)
		a_bool(&it->at, "adi.no_reply", true);
	item_ids(m, it, &f, ev->id); /* id_of's numbering: an id n is n + 1 */
	return 0;
}

int otlp_mapper_init(struct otlp_mapper *m, const char *host_name)
{
	uint64_t seed[2] = { 0, 0 };

	memset(m, 0, sizeof(*m));
	if (adi_map_init(&m->procs) || adi_map_init(&m->spans)) {
		otlp_mapper_fini(m);
		return -ENOMEM;
	}
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed)) {
		seed[0] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
		seed[1] = (uint64_t)(uintptr_t)m;
	}
	m->salt = seed[0];
	m->rng = seed[1];
	if (host_name)
		snprintf(m->host, sizeof(m->host), "%s", host_name);
	else if (gethostname(m->host, sizeof(m->host) - 1))
		snprintf(m->host, sizeof(m->host), "localhost");
	m->version = adi_version();
	return 0;
}

void otlp_mapper_fini(struct otlp_mapper *m)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	if (m->procs.keys)
		procs_clear(&m->procs);
	while (m->spans.keys && adi_map_next(&m->spans, &i, &k, &v))
		free(v);
	adi_map_fini(&m->procs);
	adi_map_fini(&m->spans);
}

/* ---- protobuf (opentelemetry/proto/{trace,logs,common,resource}/v1) ---- */

static void pb_anyvalue(struct adi_pb *o, const struct otlp_attr *a)
{
	switch (a->t) {
	case OTLP_STR: adi_pb_kbytes(o, 1, a->s, a->n); break;
	case OTLP_BOOL: adi_pb_kvarint(o, 2, a->i != 0); break;
	case OTLP_INT: adi_pb_kvarint(o, 3, (uint64_t)a->i); break;
	case OTLP_DOUBLE: adi_pb_kdouble(o, 4, a->d); break;
	case OTLP_STRARR: {
		struct adi_jv arr = { a->s, a->n }, k, v;
		struct adi_jv_it i = adi_jv_iter(arr);
		size_t av = adi_pb_begin(o, 5); /* ArrayValue */

		while (adi_jv_next(&i, &k, &v)) {
			size_t n, mark = adi_pb_begin(o, 1);
			const char *s = adi_jv_plain(v, &n);
			char *d = s ? NULL : adi_jv_strdup(v, &n);

			adi_pb_kbytes(o, 1, s ? s : d ? d : "", s || d ? n : 0);
			free(d);
			adi_pb_end(o, mark);
		}
		adi_pb_end(o, av);
	}
	}
}

/* repeated KeyValue attributes = field */
static void pb_attrs(struct adi_pb *o, unsigned field, const struct otlp_attrs *at)
{
	for (unsigned i = 0; i < at->n; i++) {
		size_t kv = adi_pb_begin(o, field), av;

		adi_pb_kbytes(o, 1, at->a[i].key, at->a[i].key_n);
		av = adi_pb_begin(o, 2);
		pb_anyvalue(o, &at->a[i]);
		adi_pb_end(o, av);
		adi_pb_end(o, kv);
	}
}

void otlp_pb_resource(struct adi_pb *o, const struct otlp_item *it)
{
	pb_attrs(o, 1, &it->res);
}

void otlp_pb_item(struct adi_pb *o, const struct otlp_item *it)
{
	if (!it->is_span) {
		/* LogRecord */
		size_t body;

		adi_pb_kfixed64(o, 1, it->t0);
		adi_pb_kfixed64(o, 11, it->t0);
		adi_pb_kvarint(o, 2, (uint64_t)it->severity);
		adi_pb_kbytes(o, 3, it->severity >= 13 ? "WARN" : "INFO", 4);
		if (it->body) {
			body = adi_pb_begin(o, 5);
			adi_pb_kbytes(o, 1, it->body, it->body_n);
			adi_pb_end(o, body);
		}
		pb_attrs(o, 6, &it->at);
		if (it->at.dropped)
			adi_pb_kvarint(o, 7, it->at.dropped);
		if (it->has_parent) {
			adi_pb_kbytes(o, 9, it->trace, 16);
			adi_pb_kbytes(o, 10, it->span, 8);
		}
		adi_pb_kbytes(o, 12, it->name, it->name_n);
		return;
	}
	/* Span */
	adi_pb_kbytes(o, 1, it->trace, 16);
	adi_pb_kbytes(o, 2, it->span, 8);
	if (it->has_parent)
		adi_pb_kbytes(o, 4, it->parent, 8);
	adi_pb_kbytes(o, 5, it->name, it->name_n);
	adi_pb_kvarint(o, 6, (uint64_t)it->kind);
	adi_pb_kfixed64(o, 7, it->t0);
	adi_pb_kfixed64(o, 8, it->t1);
	pb_attrs(o, 9, &it->at);
	if (it->at.dropped)
		adi_pb_kvarint(o, 10, it->at.dropped);
	if (it->exc) {
		/* Span.Event "exception" (semantic conventions: exceptions) */
		size_t e = adi_pb_begin(o, 11);
		struct otlp_attrs ea = { .n = 0 };

		adi_pb_kfixed64(o, 1, it->t1);
		adi_pb_kbytes(o, 2, "exception", 9);
		if (it->exc_type)
			a_str(&ea, "exception.type", it->exc_type, it->exc_type_n);
		if (it->exc_msg)
			a_str(&ea, "exception.message", it->exc_msg, it->exc_msg_n);
		pb_attrs(o, 3, &ea);
		adi_pb_end(o, e);
	}
	if (it->status) {
		size_t s = adi_pb_begin(o, 15);

		if (it->status_msg)
			adi_pb_kbytes(o, 2, it->status_msg, it->status_msg_n);
		adi_pb_kvarint(o, 3, (uint64_t)it->status);
		adi_pb_end(o, s);
	}
}

/* ---- OTLP/JSON: the protobuf JSON mapping with lowerCamelCase names,
 * ids as hex, 64-bit integers as strings, enums as numbers
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) ---- */

static void json_hex(struct adi_jw *w, const char *k, const uint8_t *b, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char s[33];

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hx[b[i] >> 4];
		s[2 * i + 1] = hx[b[i] & 15];
	}
	adi_jw_kstrn(w, k, s, 2 * n);
}

static void json_u64s(struct adi_jw *w, const char *k, uint64_t v)
{
	char s[24];

	adi_jw_kstrn(w, k, s, (size_t)snprintf(s, sizeof(s), "%llu", (unsigned long long)v));
}

static void json_value(struct adi_jw *w, const struct otlp_attr *a)
{
	adi_jw_obj(w);
	switch (a->t) {
	case OTLP_STR: adi_jw_kstrn(w, "stringValue", a->s, a->n); break;
	case OTLP_BOOL: adi_jw_kbool(w, "boolValue", a->i != 0); break;
	case OTLP_INT: {
		char s[24];

		adi_jw_kstrn(w, "intValue", s, (size_t)snprintf(s, sizeof(s), "%lld",
								(long long)a->i));
		break;
	}
	case OTLP_DOUBLE: adi_jw_kdouble(w, "doubleValue", a->d); break;
	case OTLP_STRARR: {
		struct adi_jv arr = { a->s, a->n }, k, v;
		struct adi_jv_it i = adi_jv_iter(arr);

		adi_jw_kobj(w, "arrayValue");
		adi_jw_karr(w, "values");
		while (adi_jv_next(&i, &k, &v)) {
			adi_jw_obj(w);
			adi_jw_kraw(w, "stringValue", v);
			adi_jw_obj_end(w);
		}
		adi_jw_arr_end(w);
		adi_jw_obj_end(w);
	}
	}
	adi_jw_obj_end(w);
}

static void json_attrs(struct adi_jw *w, const struct otlp_attrs *at)
{
	adi_jw_karr(w, "attributes");
	for (unsigned i = 0; i < at->n; i++) {
		adi_jw_obj(w);
		adi_jw_key(w, "key");
		adi_jw_strn(w, at->a[i].key, at->a[i].key_n);
		adi_jw_key(w, "value");
		json_value(w, &at->a[i]);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	if (at->dropped)
		adi_jw_kint(w, "droppedAttributesCount", at->dropped);
}

void otlp_json_resource(struct adi_jw *w, const struct otlp_item *it)
{
	adi_jw_obj(w);
	json_attrs(w, &it->res);
	adi_jw_obj_end(w);
}

void otlp_json_item(struct adi_jw *w, const struct otlp_item *it)
{
	adi_jw_obj(w);
	if (!it->is_span) {
		json_u64s(w, "timeUnixNano", it->t0);
		json_u64s(w, "observedTimeUnixNano", it->t0);
		adi_jw_kint(w, "severityNumber", it->severity);
		adi_jw_kstr(w, "severityText", it->severity >= 13 ? "WARN" : "INFO");
		if (it->body) {
			adi_jw_kobj(w, "body");
			adi_jw_kstrn(w, "stringValue", it->body, it->body_n);
			adi_jw_obj_end(w);
		}
		json_attrs(w, &it->at);
		if (it->has_parent) {
			json_hex(w, "traceId", it->trace, 16);
			json_hex(w, "spanId", it->span, 8);
		}
		adi_jw_kstrn(w, "eventName", it->name, it->name_n);
		adi_jw_obj_end(w);
		return;
	}
	json_hex(w, "traceId", it->trace, 16);
	json_hex(w, "spanId", it->span, 8);
	if (it->has_parent)
		json_hex(w, "parentSpanId", it->parent, 8);
	adi_jw_kstrn(w, "name", it->name, it->name_n);
	adi_jw_kint(w, "kind", it->kind);
	json_u64s(w, "startTimeUnixNano", it->t0);
	json_u64s(w, "endTimeUnixNano", it->t1);
	json_attrs(w, &it->at);
	if (it->exc) {
		struct otlp_attrs ea = { .n = 0 };

		if (it->exc_type)
			a_str(&ea, "exception.type", it->exc_type, it->exc_type_n);
		if (it->exc_msg)
			a_str(&ea, "exception.message", it->exc_msg, it->exc_msg_n);
		adi_jw_karr(w, "events");
		adi_jw_obj(w);
		json_u64s(w, "timeUnixNano", it->t1);
		adi_jw_kstr(w, "name", "exception");
		json_attrs(w, &ea);
		adi_jw_obj_end(w);
		adi_jw_arr_end(w);
	}
	if (it->status) {
		adi_jw_kobj(w, "status");
		adi_jw_kint(w, "code", it->status);
		if (it->status_msg)
			adi_jw_kstrn(w, "message", it->status_msg, it->status_msg_n);
		adi_jw_obj_end(w);
	}
	adi_jw_obj_end(w);
}
