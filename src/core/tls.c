/* tls.c - TLS connections in the engine (docs/tls.md). Owns: the handshake
 * facts the wire decoder (proto/tls/) tells, carried as the tls member of
 * every event of the connection; the plaintext hooked libraries show
 * (ADI_RAW_TLS), fed through the same stream machinery as cleartext bytes,
 * positioned by the session's plaintext counters, so every decoder works
 * unchanged; the ciphertext of such a connection, then only counted;
 * sessions doing their I/O through memory BIOs (no socket of their own),
 * tied to their socket when a socket write starts with the ciphertext the
 * library handed the BIO, else told as on an unknown connection; and what
 * trace_summary says of it all. Does not own the connection (conn.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define TLS_LIBS_MAX 32          /* libraries listed in trace_summary */
#define TLS_NOPT_MAX 32          /* connections without plaintext listed */
#define TLS_WAIT_MAX 256         /* sessions waiting for their socket */
#define TLS_HELD_MAX (256u << 10)/* plaintext held per waiting session */
#define TLS_HEADS 4              /* ciphertext heads kept per session */
#define TLS_LATE_TRIES 32        /* plaintext chunks offered to the classifier */

/* per process (procs map): it made hooked calls; some of its sessions had
 * no socket of their own */
#define PROC_CALLS 0x1u
#define PROC_MEMBIO 0x2u
#define PROC_SET 0x100u          /* map values are never NULL */

/* The facts when the handshake decoder told none: the decoder's own shape
 * for a connection joined after its handshake. */
static const char unseen_facts[] =
	"{\"version\":null,\"cipher\":null,\"sni\":null,\"alpn\":null,\"handshake\":\"unseen\"}";

/* A plaintext record held until its session's socket is known. */
struct tls_held {
	struct tls_held *next;
	struct adi_raw_fixed f;
	uint8_t data[];
};

/* A session (process, SSL *) whose records name no socket. */
struct tls_sess {
	uint64_t key;
	uint32_t pid;
	uint64_t conn;           /* inode key of the connection it is tied to, 0: none yet */
	struct tls_held *head, *tail;
	size_t held;
	uint64_t first_ts;       /* of the oldest record held */
	uint8_t heads[TLS_HEADS][ADI_TLS_HEAD];
	unsigned nheads;
	bool server;             /* its first plaintext was read: it answers */
};

struct tls_lib {
	char path[256], build_id[65], version[64];
	int how, nfunc;
	uint32_t pid;
};

struct tls_nopt {
	uint64_t conn;
	uint32_t pid;
	char remote[128], sni[64];
	const char *why;
};

struct adi_tls_eng {
	int capture;             /* enum adi_tls_capture; 0: never told */
	char why[192];
	struct tls_lib libs[TLS_LIBS_MAX];
	unsigned nlibs, libs_more;
	struct adi_map procs;    /* pid -> PROC_* | PROC_SET */
	struct adi_map sess;     /* session key -> struct tls_sess */
	struct tls_sess *wait[TLS_WAIT_MAX];
	unsigned nwait;
	uint64_t conns, with_plaintext, records, unknown;
	struct tls_nopt nopt[TLS_NOPT_MAX];
	unsigned nnopt;
	uint64_t nopt_more;
};

struct adi_tls_conn {
	char *facts;             /* the tls object the decoder told, owned */
	uint32_t facts_len;
	bool plaintext;          /* a library call moved plaintext on it */
	bool unknown;            /* a session tied to no socket at all */
	bool classified, decoding;
	uint8_t late_tries;
	const struct adi_proto *proto;
	struct adi_pconn pc;     /* its plaintext's decoding */
	struct adi_stream s[2];  /* plaintext bytes, positions, previews */
	uint64_t sess;           /* a memory-BIO session's key, 0: none */
	uint64_t messages;       /* what the plaintext made (at its end) */
};

/* ---- state ---- */

static struct adi_tls_eng *eng_tls(struct adi_engine *e)
{
	if (e->tls)
		return e->tls;
	e->tls = calloc(1, sizeof(*e->tls));
	if (e->tls && (adi_map_init(&e->tls->procs) || adi_map_init(&e->tls->sess))) {
		adi_map_fini(&e->tls->procs);
		free(e->tls);
		e->tls = NULL;
	}
	return e->tls;
}

static struct adi_tls_conn *conn_tls(struct adi_engine *e, struct adi_conn *c)
{
	struct adi_tls_eng *t = eng_tls(e);

	if (c->tls || !t)
		return c->tls;
	c->tls = calloc(1, sizeof(*c->tls));
	if (c->tls)
		t->conns++;
	return c->tls;
}

static unsigned proc_flags(const struct adi_tls_eng *t, uint32_t pid)
{
	return (unsigned)(uintptr_t)adi_map_get(&t->procs, pid);
}

static void proc_flag(struct adi_tls_eng *t, uint32_t pid, unsigned fl)
{
	unsigned old = proc_flags(t, pid);

	if ((old & fl) != fl && t->procs.len < 65536)
		adi_map_put(&t->procs, pid, (void *)(uintptr_t)(old | fl | PROC_SET));
}

/* ---- what events say ---- */

void adi_tls_annotate(struct adi_engine *e, struct adi_conn *c, const char *json, size_t n)
{
	struct adi_tls_conn *ct = conn_tls(e, c);
	char *p;

	if (!ct || n < 3 || json[0] != '{' || json[n - 1] != '}' || !(p = malloc(n)))
		return;
	memcpy(p, json, n);
	free(ct->facts);
	ct->facts = p;
	ct->facts_len = (uint32_t)n;
}

static struct adi_jv facts_of(const struct adi_tls_conn *ct)
{
	if (ct->facts)
		return (struct adi_jv){ ct->facts, ct->facts_len };
	return (struct adi_jv){ unseen_facts, sizeof(unseen_facts) - 1 };
}

void adi_tls_member(struct adi_jw *w, const struct adi_conn *c)
{
	struct adi_jv v = facts_of(c->tls);

	adi_jw_key(w, "tls");
	if (!c->tls->unknown) {
		adi_jw_raw(w, v.p, v.n);
		return;
	}
	/* a session tied to no socket: its connection has no ends to show */
	adi_jw_put(w, v.p, v.n - 1);
	adi_jw_put(w, ",\"socket\":\"unknown\"}", 21);
}

const struct adi_stream *adi_tls_previews(const struct adi_conn *c)
{
	return c->tls->plaintext ? c->tls->s : c->s;
}

/* Why a TLS connection's plaintext was not seen, from what the trace
 * knows (docs/tls.md). */
static const char *why_none(const struct adi_engine *e, const struct adi_conn *c)
{
	const struct adi_tls_eng *t = e->tls;
	unsigned fl;

	if (!t || !t->capture)
		return "this trace has no TLS plaintext capture";
	if (t->capture != ADI_TLS_CAPTURE_ON)
		return t->why[0] ? t->why : "TLS plaintext capture is off";
	if (!t->nlibs)
		return "no TLS library was found to hook (OpenSSL's libssl, or an executable "
		       "exporting SSL_write)";
	fl = proc_flags(t, c->pid);
	if (fl & PROC_MEMBIO)
		return "the process's TLS sessions do their I/O through memory BIOs and none "
		       "could be tied to this socket";
	if (!(fl & PROC_CALLS))
		return "the process made no SSL_read/SSL_write call of a hooked library (another "
		       "TLS library: Go's crypto/tls, GnuTLS, NSS, rustls, Java; or OpenSSL "
		       "loaded before it could be hooked)";
	return "no SSL_read/SSL_write call of the process moved data on this socket";
}

/* A string member of the facts, copied (at most n - 1 bytes). */
static void fact_str(const struct adi_tls_conn *ct, const char *k, char *out, size_t n)
{
	size_t len = 0;
	const char *s = adi_jv_plain(adi_jv_get(facts_of(ct), k), &len);

	if (!s)
		len = 0;
	if (len > n - 1)
		len = n - 1;
	memcpy(out, s ? s : "", len);
	out[len] = '\0';
}

void adi_tls_stream_member(struct adi_engine *e, struct adi_jw *w, struct adi_conn *c)
{
	struct adi_tls_conn *ct = c->tls;
	struct adi_tls_eng *t = eng_tls(e);
	struct adi_jv v = facts_of(ct);
	const char *why = NULL;

	if (!ct->plaintext) {
		why = why_none(e, c);
		if (t && t->nnopt < TLS_NOPT_MAX) {
			struct tls_nopt *x = &t->nopt[t->nnopt++];

			x->conn = c->id;
			x->pid = c->pid;
			snprintf(x->remote, sizeof(x->remote), "%s", c->remote);
			fact_str(ct, "sni", x->sni, sizeof(x->sni));
			x->why = why;
		} else if (t) {
			t->nopt_more++;
		}
	}
	/* the facts' object with two members more */
	adi_jw_key(w, "tls");
	adi_jw_put(w, v.p, v.n - 1);
	adi_jw_put(w, ",\"plaintext\":", 13);
	adi_jw_put(w, ct->plaintext ? "true" : "false", ct->plaintext ? 4 : 5);
	if (why) {
		size_t k = strlen(why);

		adi_jw_put(w, ",\"no_plaintext\":\"", 17);
		adi_jw_put(w, why, k); /* our own sentences: nothing to escape */
		adi_jw_put(w, "\"", 1);
	}
	adi_jw_put(w, "}", 1);
}

/* ---- plaintext into the stream machinery ---- */

static void start_decoding(struct adi_engine *e, struct adi_conn *c, struct adi_tls_conn *ct,
			   const struct adi_proto *p, const struct adi_sniff_ctx *sc)
{
	if (adi_pconn_init(&ct->pc, p, sc))
		return;
	ct->proto = p;
	ct->pc.budget = &e->budget;
	ct->decoding = true;
	(void)c;
}

/* One plaintext chunk of c, as conn.c does with cleartext: the first bytes
 * classify (their decoder then gets both directions' previews from 0), a
 * session joined mid-stream may be classified on a later chunk (what came
 * before is a gap), then every chunk is fed at its position. */
static void feed(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_tls_conn *ct = conn_tls(e, c);
	int d = f->dir == ADI_DIR_OUT ? 0 : 1;
	uint32_t have = ev->data ? f->data_len : 0;
	struct adi_sniff_ctx sc = {
		.dir = d ? ADI_DIR_IN : ADI_DIR_OUT,
		.server_side = c->role == 2,
		.local_port = f->local.port,
		.remote_port = f->remote.port,
	};
	struct adi_conn_emit ce;
	uint64_t pos;
	int more = 0;

	if (!ct || e->o.no_net)
		return;
	if (!ct->plaintext) {
		ct->plaintext = true;
		e->tls->with_plaintext++;
	}
	if (f->ts_ns > c->last_ts)
		c->last_ts = f->ts_ns;
	/* the thread of the library call moved these bytes (tree.c: the
	 * thread that ends an exchange did its work) */
	c->io_pid = f->pid;
	c->io_tid = f->tid;
	pos = adi_stream_add(e, &ct->s[d], ct->classified, ev);
	adi_conn_emitter(&ce, e, c);
	if (ct->decoding) {
		if (have)
			adi_pconn_feed(&ct->pc, &e->pcfg, d, pos, ev->data, have, f->ts_ns, &ce.em);
		if (f->size > have)
			adi_pconn_gap(&ct->pc, d, f->size - have);
		return;
	}
	if (!ct->classified && ct->s[d].plen) {
		const struct adi_proto *p = adi_proto_classify(ct->s[d].preview, ct->s[d].plen,
								&sc, &more);

		ct->classified = p || !more;
		if (p) {
			start_decoding(e, c, ct, p, &sc);
			for (int k = 0; ct->decoding && k < 2; k++)
				if (ct->s[k].plen)
					adi_pconn_feed(&ct->pc, &e->pcfg, k, 0, ct->s[k].preview,
						       ct->s[k].plen, ct->s[k].first_ts, &ce.em);
		}
		if (ct->classified)
			adi_stream_trim(e, ct->s);
		return;
	}
	if (ct->classified && !ct->proto && have && ct->late_tries < TLS_LATE_TRIES) {
		const struct adi_proto *p;

		ct->late_tries++;
		p = adi_proto_classify(ev->data, have, &sc, &more);
		if (!p)
			return;
		start_decoding(e, c, ct, p, &sc);
		if (!ct->decoding)
			return;
		/* what came before is a gap at its start: no handshake seen */
		for (int k = 0; k < 2; k++) {
			uint64_t end = k == d ? pos : ct->s[k].bytes + ct->s[k].gap_bytes;

			adi_pconn_gap(&ct->pc, k, end);
			ct->pc.skipped += end;
		}
		adi_pconn_feed(&ct->pc, &e->pcfg, d, pos, ev->data, have, f->ts_ns, &ce.em);
		if (f->size > have)
			adi_pconn_gap(&ct->pc, d, f->size - have);
	}
}

/* ---- sessions without a socket (memory BIOs) ---- */

static uint64_t sess_key(uint32_t pid, uint64_t ssl)
{
	uint64_t k = ssl ^ ((uint64_t)pid << 48) ^ ((uint64_t)pid * 0x9e3779b97f4a7c15ull);

	return k ? k : 1;
}

static void wait_remove(struct adi_tls_eng *t, struct tls_sess *s)
{
	for (unsigned i = 0; i < t->nwait; i++)
		if (t->wait[i] == s) {
			t->wait[i] = t->wait[--t->nwait];
			return;
		}
}

static void sess_drop_held(struct tls_sess *s)
{
	while (s->head) {
		struct tls_held *h = s->head;

		s->head = h->next;
		free(h);
	}
	s->tail = NULL;
	s->held = 0;
	s->nheads = 0;
}

/* s is tied to c: what it held goes in, in order. */
static void tie(struct adi_engine *e, struct tls_sess *s, struct adi_conn *c)
{
	struct adi_tls_conn *ct = conn_tls(e, c);
	struct tls_held *h;

	wait_remove(e->tls, s);
	s->conn = c->ino;
	if (ct)
		ct->sess = s->key;
	while ((h = s->head)) {
		struct adi_raw_event ev = { .f = h->f, .data = h->data };

		s->head = h->next;
		feed(e, c, &ev);
		free(h);
	}
	sess_drop_held(s);
}

/* A session never tied to a socket gets a connection of its own, with no
 * ends: its events say the socket is unknown rather than guess one. */
static void tie_unknown(struct adi_engine *e, struct tls_sess *s)
{
	struct adi_raw_fixed g = { 0 };
	struct adi_conn *c;

	g.ts_ns = s->head ? s->head->f.ts_ns : e->now;
	g.pid = g.tid = s->pid;
	if (s->head) {
		memcpy(g.comm, s->head->f.comm, sizeof(g.comm));
		g.tid = s->head->f.tid;
		g.cgroup_id = s->head->f.cgroup_id;
	}
	g.sock_type = 1; /* a stream, for the decoders */
	c = adi_conn_for(e, &g);
	if (!c || !conn_tls(e, c)) {
		wait_remove(e->tls, s);
		sess_drop_held(s);
		return;
	}
	c->role = s->server ? 2 : 1;
	c->tls->unknown = true;
	e->tls->unknown++;
	tie(e, s, c);
}

/* Hold a record of a session that has no socket yet; its ciphertext head
 * waits for a socket write starting with it. */
static void hold(struct adi_engine *e, struct tls_sess *s, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	uint32_t n = ev->data ? f->data_len : 0;
	struct tls_held *h;

	if (!s->held && !s->head) {
		s->first_ts = f->ts_ns;
		s->server = f->dir == ADI_DIR_IN;
		if (e->tls->nwait < TLS_WAIT_MAX)
			e->tls->wait[e->tls->nwait++] = s;
	}
	if (f->path2_len == ADI_TLS_HEAD && ev->path2 && s->nheads < TLS_HEADS)
		memcpy(s->heads[s->nheads++], ev->path2, ADI_TLS_HEAD);
	if (s->held + n > TLS_HELD_MAX) {
		struct adi_conn *c;

		tie_unknown(e, s); /* too much to wait for: told as it is */
		if (s->conn && (c = adi_map_get(&e->conns, s->conn)))
			feed(e, c, ev);
		return;
	}
	h = malloc(sizeof(*h) + n);
	if (!h)
		return;
	h->next = NULL;
	h->f = *f;
	h->f.path2_len = 0;
	memcpy(h->data, ev->data, n);
	if (s->tail)
		s->tail->next = h;
	else
		s->head = h;
	s->tail = h;
	s->held += n;
}

/* Sessions waiting longer than the hold window are told as unknown. */
static void expire(struct adi_engine *e)
{
	struct adi_tls_eng *t = e->tls;
	uint64_t floor = e->now > e->o.hold_ns ? e->now - e->o.hold_ns : 0;

	for (unsigned i = 0; i < t->nwait;) {
		struct tls_sess *s = t->wait[i];

		if (s->first_ts >= floor) {
			i++;
			continue;
		}
		tie_unknown(e, s); /* removes it from wait */
	}
}

/* A socket write of the process carries a head a waiting session handed
 * its BIO: that socket is the session's. Anywhere in the write: the runtime
 * may send records the library wrote outside SSL_write (a TLS 1.3 server's
 * session tickets) in front of them. */
static void match_heads(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev)
{
	struct adi_tls_eng *t = e->tls;

	for (unsigned i = 0; i < t->nwait; i++) {
		struct tls_sess *s = t->wait[i];

		if (s->pid != ev->f.pid)
			continue;
		for (unsigned k = 0; k < s->nheads; k++)
			if (memmem(ev->data, ev->f.data_len, s->heads[k], ADI_TLS_HEAD)) {
				tie(e, s, c);
				return;
			}
	}
}

/* The library freed the session: what it still holds is told as on an
 * unknown socket, and its address may come back as another session. */
static void sess_end(struct adi_engine *e, uint64_t key)
{
	struct tls_sess *s = adi_map_get(&e->tls->sess, key);
	struct adi_conn *c;

	if (!s)
		return;
	if (!s->conn && s->head)
		tie_unknown(e, s);
	adi_map_del(&e->tls->sess, key);
	wait_remove(e->tls, s);
	if (s->conn && (c = adi_map_get(&e->conns, s->conn)) && c->tls && c->tls->sess == key)
		c->tls->sess = 0;
	sess_drop_held(s);
	free(s);
}

bool adi_tls_cipher_only(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;

	if (!e->tls)
		return false;
	if (e->tls->nwait && f->dir == ADI_DIR_OUT && ev->data && f->data_len >= ADI_TLS_HEAD &&
	    c->stream)
		match_heads(e, c, ev);
	return c->tls && c->tls->plaintext;
}

void adi_tls_io(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_tls_eng *t;
	struct adi_proc *p;
	struct tls_sess *s;
	struct adi_conn *c;
	uint64_t key;

	if (e->o.no_net || f->ret < 0 || !(t = eng_tls(e)))
		return;
	if (f->op == ADI_OP_SSL_FREE) {
		sess_end(e, sess_key(f->pid, f->length));
		return;
	}
	t->records++;
	proc_flag(t, f->pid, PROC_CALLS);
	p = adi_proc_ensure(e, f);
	if (!p)
		return;
	if (f->fd >= 0 && f->fd_kind == ADI_FD_SOCK && f->ino) {
		c = adi_sock_conn(e, p, f);
		if (c && c->stream)
			feed(e, c, ev);
		return;
	}
	/* no socket of its own: a memory BIO */
	key = sess_key(f->pid, f->length);
	s = adi_map_get(&t->sess, key);
	if (!s) {
		if (t->sess.len >= 65536 || !(s = calloc(1, sizeof(*s))))
			return;
		s->key = key;
		s->pid = f->pid;
		if (adi_map_put(&t->sess, key, s)) {
			free(s);
			return;
		}
	}
	if (s->conn && (c = adi_map_get(&e->conns, s->conn))) {
		feed(e, c, ev);
		return;
	}
	s->conn = 0;
	proc_flag(t, f->pid, PROC_MEMBIO);
	hold(e, s, ev);
	expire(e);
}

/* ---- library facts ---- */

void adi_tls_meta(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_tls_eng *t = eng_tls(e);
	struct tls_lib *l;

	if (!t)
		return;
	if (f->op == ADI_META_TLS_STATE) {
		t->capture = f->arg;
		snprintf(t->why, sizeof(t->why), "%.*s", (int)(f->path_len < 191 ? f->path_len : 191),
			 ev->path ? ev->path : "");
		return;
	}
	if (t->nlibs == TLS_LIBS_MAX) {
		t->libs_more++;
		return;
	}
	l = &t->libs[t->nlibs++];
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%.*s", (int)(f->path_len < 255 ? f->path_len : 255),
		 ev->path ? ev->path : "");
	snprintf(l->build_id, sizeof(l->build_id), "%.*s",
		 (int)(f->path2_len < 64 ? f->path2_len : 64), ev->path2 ? ev->path2 : "");
	snprintf(l->version, sizeof(l->version), "%.*s",
		 (int)(f->data_len < 63 ? f->data_len : 63), ev->data ? (const char *)ev->data : "");
	l->how = f->arg;
	l->nfunc = f->arg2;
	l->pid = f->pid;
}

/* ---- time and ends ---- */

uint64_t adi_tls_pending_ts(const struct adi_engine *e, const struct adi_conn *c)
{
	const struct adi_tls_conn *ct;
	uint64_t ts = 0;

	if (!c) {
		for (unsigned i = 0; e->tls && i < e->tls->nwait; i++)
			if (!ts || e->tls->wait[i]->first_ts < ts)
				ts = e->tls->wait[i]->first_ts;
		return ts;
	}
	ct = c->tls;
	/* like a cleartext connection: one with nothing decoded may still
	 * become a tcp_stream of its start; a decoded one holds back only
	 * its exchanges in flight */
	if (ct->decoding && ct->pc.messages)
		return adi_pconn_pending_ts(&ct->pc);
	return c->start_ts;
}

uint64_t adi_tls_conn_end(struct adi_engine *e, struct adi_conn *c, uint64_t ts)
{
	struct adi_tls_conn *ct = c->tls;
	struct adi_pconn_stats ps = { 0 };
	struct adi_conn_emit ce;

	if (!ct->decoding)
		return ct->messages;
	adi_conn_emitter(&ce, e, c);
	adi_pconn_finish(&ct->pc, &e->pcfg, ts, &ce.em, &ps);
	ct->decoding = false;
	ct->messages = ps.messages;
	e->st.decoded += ps.messages;
	e->st.parse_skipped += ps.skipped;
	e->st.parse_errors += ps.errors;
	return ct->messages;
}

void adi_tls_conn_free(struct adi_engine *e, struct adi_conn *c)
{
	struct adi_tls_conn *ct = c->tls;

	if (!ct)
		return;
	if (ct->decoding)
		adi_pconn_finish(&ct->pc, &e->pcfg, 0, NULL, NULL);
	if (ct->sess && e->tls) {
		struct tls_sess *s = adi_map_del(&e->tls->sess, ct->sess);

		if (s) {
			wait_remove(e->tls, s);
			sess_drop_held(s);
			free(s);
		}
	}
	free(ct->s[0].preview);
	free(ct->s[1].preview);
	free(ct->facts);
	free(ct);
	c->tls = NULL;
}

void adi_tls_finish(struct adi_engine *e)
{
	while (e->tls && e->tls->nwait)
		tie_unknown(e, e->tls->wait[0]);
}

/* ---- trace_summary ---- */

static const char *probes_name(int how)
{
	switch (how) {
	case ADI_TLS_PROBES_ENTRY: return "entry";
	case ADI_TLS_PROBES_INNER: return "inner";
	case ADI_TLS_PROBES_STEPPED: return "stepped";
	}
	return "unknown";
}

void adi_tls_summary(struct adi_engine *e, struct adi_jw *w)
{
	static const char *const cap[] = { "unknown", "on", "off", "unavailable" };
	const struct adi_tls_eng *t = e->tls;

	if (!t)
		return; /* no TLS in this trace, nor a backend that could hook it */
	adi_jw_kobj(w, "tls");
	adi_jw_kstr(w, "plaintext", cap[t->capture >= 0 && t->capture <= 3 ? t->capture : 0]);
	if (t->capture != ADI_TLS_CAPTURE_ON && t->why[0])
		adi_jw_kstr(w, "why", t->why);
	adi_jw_karr(w, "libraries");
	for (unsigned i = 0; i < t->nlibs; i++) {
		const struct tls_lib *l = &t->libs[i];

		adi_jw_obj(w);
		adi_jw_kstrn(w, "path", l->path, strlen(l->path));
		adi_jw_kstr(w, "build_id", l->build_id[0] ? l->build_id : NULL);
		adi_jw_kstrn(w, "version", l->version, strlen(l->version));
		adi_jw_kstr(w, "probes", probes_name(l->how));
		adi_jw_kint(w, "functions", l->nfunc);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	if (t->libs_more)
		adi_jw_ku64(w, "libraries_more", t->libs_more);
	adi_jw_ku64(w, "connections", t->conns);
	adi_jw_ku64(w, "with_plaintext", t->with_plaintext);
	adi_jw_ku64(w, "plaintext_calls", t->records);
	adi_jw_karr(w, "without_plaintext");
	for (unsigned i = 0; i < t->nnopt; i++) {
		const struct tls_nopt *x = &t->nopt[i];

		adi_jw_obj(w);
		adi_jw_ku64(w, "conn", x->conn);
		adi_jw_kint(w, "pid", x->pid);
		adi_jw_kstrn(w, "remote", x->remote, strlen(x->remote));
		adi_jw_kstr(w, "sni", x->sni[0] ? x->sni : NULL);
		adi_jw_kstr(w, "why", x->why);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	if (t->nopt_more)
		adi_jw_ku64(w, "without_plaintext_more", t->nopt_more);
	if (t->unknown)
		adi_jw_ku64(w, "unknown_sockets", t->unknown);
	adi_jw_obj_end(w);
}

void adi_tls_free(struct adi_engine *e)
{
	struct adi_tls_eng *t = e->tls;
	uint64_t k;
	void *v;

	if (!t)
		return;
	for (size_t it = 0; adi_map_next(&t->sess, &it, &k, &v);) {
		sess_drop_held(v);
		free(v);
	}
	adi_map_fini(&t->sess);
	adi_map_fini(&t->procs);
	free(t);
	e->tls = NULL;
}
