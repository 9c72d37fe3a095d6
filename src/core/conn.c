/* conn.c - the connection table: sockets by inode (so dup'd and inherited
 * fds share one connection), their connect/accept/close events, and the two
 * per-direction byte streams with TCP positions (gaps are counted, never
 * papered over). A connection no decoder claims becomes a tcp_stream event
 * when its last fd closes, or at the end of the trace. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "engine_int.h"
#include "../lib/util.h"
#include "stream.h"

void adi_endpoint_str(const struct adi_endpoint *ep, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == AF_INET) {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ep->port);
	} else if (ep->family == AF_INET6) {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, ep->port);
	} else {
		buf[0] = 0;
	}
}

bool adi_sockaddr_ep(const uint8_t *sa, size_t len, struct adi_endpoint *ep)
{
	uint16_t fam;

	memset(ep, 0, sizeof(*ep));
	if (len < 2)
		return false;
	memcpy(&fam, sa, 2);
	if (fam == AF_INET && len >= 8) {
		ep->family = AF_INET;
		ep->port = sa[2] << 8 | sa[3];
		memcpy(ep->addr, sa + 4, 4);
		return true;
	}
	if (fam == AF_INET6 && len >= 24) {
		ep->family = AF_INET6;
		ep->port = sa[2] << 8 | sa[3];
		memcpy(ep->addr, sa + 8, 16);
		return true;
	}
	return false;
}

void adi_sockaddr_str(const uint8_t *sa, size_t len, char *buf, size_t n)
{
	struct adi_endpoint ep;
	uint16_t fam;

	buf[0] = 0;
	if (len < 2)
		return;
	memcpy(&fam, sa, 2);
	if (adi_sockaddr_ep(sa, len, &ep)) {
		adi_endpoint_str(&ep, buf, n);
	} else if (fam == AF_UNIX && len > 2) {
		size_t pl = len - 2;

		if (sa[2] == 0) { /* abstract namespace: shown as @name */
			size_t k = pl - 1 < n - 2 ? pl - 1 : n - 2;

			buf[0] = '@';
			memcpy(buf + 1, sa + 3, k);
			buf[k + 1] = 0;
		} else {
			size_t k = strnlen((const char *)sa + 2, pl);

			if (k > n - 1)
				k = n - 1;
			memcpy(buf, sa + 2, k);
			buf[k] = 0;
		}
	}
}

static uint8_t transport_of(const struct adi_raw_fixed *f)
{
	if (f->transport)
		return f->transport;
	return ADI_TR_OTHER;
}

static void conn_unlink_open(struct adi_engine *e, struct adi_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (e->open_conns == c)
		e->open_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/* The connection of the socket described by f (by inode), created on
 * first sight with what the kernel told us about the socket. */
struct adi_conn *adi_conn_for(struct adi_engine *e, const struct adi_raw_fixed *f)
{
	struct adi_conn *c = f->ino ? adi_map_get(&e->conns, f->ino) : NULL;

	if (c)
		return c;
	if (e->conns.len >= ADI_MAX_CONNS) {
		e->st.evicted++;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = e->next_conn_id++;
	c->ino = f->ino ? f->ino : (1ULL << 63) | c->id; /* no inode: private key */
	c->transport = transport_of(f);
	c->stream = f->sock_type == 1 /* SOCK_STREAM */;
	c->dgram = f->sock_type == 2 /* SOCK_DGRAM */;
	adi_endpoint_str(&f->local, c->local, sizeof(c->local));
	adi_endpoint_str(&f->remote, c->remote, sizeof(c->remote));
	/* A socket first seen in the middle of its life: the server side when
	 * its local port was listening when the trace began (attach), else a
	 * guess from the ports (the side with the ephemeral port is usually
	 * the client). */
	if (e->listen_ports[f->local.port / 8] & (1u << (f->local.port % 8)))
		c->role = 2;
	else
		c->role = (f->local.port && f->local.port < 32768 &&
			   f->remote.port >= 32768) ? 2 : 1;
	c->pid = f->pid;
	c->tid = f->tid;
	memcpy(c->comm, f->comm, sizeof(c->comm));
	c->cgroup_id = f->cgroup_id;
	c->start_ts = c->last_ts = f->ts_ns;
	c->state = CONN_OPEN;
	c->announced = true; /* its connect/accept happened before we looked */
	c->midlife = true;
	if (adi_map_put(&e->conns, c->ino, c)) {
		free(c);
		return NULL;
	}
	c->next = e->open_conns;
	if (c->next)
		c->next->prev = c;
	e->open_conns = c;
	return c;
}

/* The conn member of a network event: its value is written once per
 * connection and copied after that (every event of a busy connection
 * carries it); set_ends() and adi_conn_forget_member() forget it when what
 * it says changes. A datagram's own peer (remote) is written each time. */
void adi_conn_member(struct adi_jw *w, struct adi_conn *c, const char *remote)
{
	static const char *const tr[] = { "none", "tcp", "udp", "unix", "other" };

	if (remote) {
		adi_jw_kobj(w, "conn");
		adi_jw_kstr(w, "transport", tr[c->transport < 5 ? c->transport : 4]);
		adi_jw_kstr(w, "local", c->local);
		adi_jw_kstr(w, "remote", remote);
		adi_jw_kstr(w, "role", c->role == 2 ? "server" : "client");
		adi_jw_ku64(w, "id", c->id);
		adi_jw_obj_end(w);
		return;
	}
	if (!c->conn_json) {
		struct adi_jw o;
		size_t n;

		adi_jw_init(&o);
		adi_jw_obj(&o);
		adi_jw_kstr(&o, "transport", tr[c->transport < 5 ? c->transport : 4]);
		adi_jw_kstr(&o, "local", c->local);
		adi_jw_kstr(&o, "remote", c->remote);
		adi_jw_kstr(&o, "role", c->role == 2 ? "server" : "client");
		adi_jw_ku64(&o, "id", c->id);
		adi_jw_obj_end(&o);
		c->conn_json = adi_jw_take(&o, &n);
		c->conn_json_len = (uint32_t)n;
		if (!c->conn_json) { /* out of memory: the writer is told */
			w->err = -ENOMEM;
			return;
		}
	}
	adi_jw_key(w, "conn");
	adi_jw_raw(w, c->conn_json, c->conn_json_len);
}

void adi_conn_forget_member(struct adi_conn *c)
{
	free(c->conn_json);
	c->conn_json = NULL;
}

/* glibc's NSS asks the name service cache daemon first at every user,
 * group or host lookup: on a machine without nscd each lookup is two
 * failed connects, the runtime's, not the program's (docs/events.md
 * "Runtime noise", class nscd). */
static bool nscd_probe(const struct adi_conn *c, int err)
{
	return err && c->transport == ADI_TR_UNIX &&
	       (!strcmp(c->remote, "/var/run/nscd/socket") ||
		!strcmp(c->remote, "/run/nscd/socket"));
}

static void conn_event(struct adi_engine *e, struct adi_conn *c, const char *op,
		       uint64_t ts, int err, const struct adi_raw_fixed *who)
{
	struct adi_event *ev;
	struct adi_jw *w;
	char eb[24];

	if (e->o.no_net)
		return;
	w = adi_ev_begin(e);
	adi_jw_kstr(w, "op", op);
	adi_conn_member(w, c, NULL);
	adi_jw_kstr(w, "error", err ? adi_errno_name(err, eb, sizeof(eb)) : NULL);
	if (c->tls)
		adi_tls_member(w, c);
	if (nscd_probe(c, err))
		adi_jw_kstr(w, "runtime", "nscd");
	ev = adi_ev_commit(e, "connection", ts, -1, who ? who->pid : c->pid,
			   who ? who->tid : c->tid, who ? who->comm : c->comm,
			   who ? who->cgroup_id : c->cgroup_id);
	if (ev && c->role == 2) /* the served side: never work of a request */
		ev->role = ADI_EV_INBOUND;
}

/* The emitter decoders stitch through: an event on this connection, its
 * fields written into the engine's writer; on a datagram socket, conn.remote
 * is the exchange's peer when the decoder names one (em->peer). */
static void emit_event(struct adi_emit *em, const char *kind, uint64_t ts_start,
		       int64_t ts_end)
{
	struct adi_conn_emit *ce = (struct adi_conn_emit *)em;
	struct adi_conn *c = ce->c;
	const struct adi_endpoint *peer = em->peer;
	struct adi_event *ev;
	char remote[128];

	em->peer = NULL;
	if (ce->e->o.no_net)
		return;
	if (peer && (peer->family == AF_INET || peer->family == AF_INET6))
		adi_endpoint_str(peer, remote, sizeof(remote));
	adi_conn_member(em->w, c, peer && remote[0] ? remote : NULL);
	if (c->tls)
		adi_tls_member(em->w, c);
	ev = adi_ev_commit(ce->e, kind, ts_start,
			   ts_end >= 0 && (uint64_t)ts_end >= ts_start ?
			   (int64_t)(ts_end - ts_start) : -1,
			   c->pid, c->tid, c->comm, c->cgroup_id);
	if (!ev)
		return;
	/* a decoder stitches when the bytes that end an exchange arrive: the
	 * thread that moved them did the work (it answered the request, or
	 * read the reply to its query) -- which need not be the thread that
	 * opened the connection, the event's tid */
	if (c->io_pid) {
		ev->io_pid = c->io_pid;
		ev->io_tid = c->io_tid;
	}
	ev->role = c->role == 2 ? ADI_EV_SERVED : ADI_EV_PLAIN;
}

/* A decoder tells what it learnt about the connection (proto.h): the
 * engine keeps the TLS facts (tls.c); other keys have no place yet. */
static void annotate(struct adi_emit *em, const char *key, const char *json, size_t n)
{
	struct adi_conn_emit *ce = (struct adi_conn_emit *)em;

	if (!strcmp(key, "tls"))
		adi_tls_annotate(ce->e, ce->c, json, n);
}

void adi_conn_emitter(struct adi_conn_emit *ce, struct adi_engine *e, struct adi_conn *c)
{
	ce->em.w = &e->w;
	ce->em.emit = emit_event;
	ce->em.server_side = c->role == 2;
	ce->em.cfg = &e->pcfg;
	ce->em.peer = NULL;
	ce->em.annotate = annotate;
	ce->em.pool = &e->msg_pool;
	ce->e = e;
	ce->c = c;
}

static void stream_event(struct adi_engine *e, struct adi_conn *c, uint64_t decoded)
{
	/* what the previews show: a TLS connection's plaintext when a
	 * library showed it (tls.c) */
	const struct adi_stream *pv = c->tls ? adi_tls_previews(c) : c->s;
	struct adi_event *ev;
	struct adi_jw *w;

	/* a connection a decoder understood is told by its events; one it
	 * claimed but could not decode at all is still shown raw. A TLS
	 * connection counts only its plaintext's messages: the handshake
	 * alone is told here, with its facts */
	if (decoded)
		return;
	if (e->o.no_net || !c->stream || c->state == CONN_FAILED ||
	    (c->transport != ADI_TR_TCP && c->transport != ADI_TR_UNIX))
		return;
	if (c->transport == ADI_TR_UNIX && !c->s[0].bytes && !c->s[1].bytes)
		return; /* an idle local socket says nothing */
	w = adi_ev_begin(e);
	adi_conn_member(w, c, NULL);
	adi_jw_kstr(w, "protocol", c->proto ? c->proto->name : "unknown");
	adi_jw_ku64(w, "bytes_out", c->s[0].bytes);
	adi_jw_ku64(w, "bytes_in", c->s[1].bytes);
	/* the previews may hold more than is shown: see stream_add() */
	adi_jw_kbytes(w, "preview_out", pv[0].preview,
		      pv[0].plen < e->o.body_bytes ? pv[0].plen : e->o.body_bytes);
	adi_jw_kbytes(w, "preview_in", pv[1].preview,
		      pv[1].plen < e->o.body_bytes ? pv[1].plen : e->o.body_bytes);
	if (c->s[0].gaps || c->s[1].gaps) {
		adi_jw_ku64(w, "gaps", c->s[0].gaps + c->s[1].gaps);
		adi_jw_ku64(w, "gap_bytes", c->s[0].gap_bytes + c->s[1].gap_bytes);
	}
	if (c->tls)
		adi_tls_stream_member(e, w, c);
	ev = adi_ev_commit(e, "tcp_stream", c->start_ts, (int64_t)(c->last_ts - c->start_ts),
			   c->pid, c->tid, c->comm, c->cgroup_id);
	if (ev && c->role == 2)
		ev->role = ADI_EV_INBOUND;
}

/* A non-blocking connect's outcome becomes known (SO_ERROR, or the first
 * successful transfer): write the connect event at the connect's time. */
static void settle_connect(struct adi_engine *e, struct adi_conn *c, int err)
{
	if (c->state != CONN_PENDING)
		return;
	c->state = err ? CONN_FAILED : CONN_OPEN;
	c->connect_err = err;
	conn_event(e, c, "connect", c->start_ts, err, NULL);
	c->announced = true;
}

/* End decoding: the last messages are stitched into events. Returns how
 * many messages the decoder produced over the connection's life. */
static uint64_t decode_finish(struct adi_engine *e, struct adi_conn *c, uint64_t ts)
{
	struct adi_pconn_stats ps = { 0 };
	struct adi_conn_emit ce;

	if (!c->decoding)
		return 0;
	adi_conn_emitter(&ce, e, c);
	adi_pconn_finish(&c->pc, &e->pcfg, ts, &ce.em, &ps);
	c->decoding = false;
	e->st.decoded += ps.messages;
	e->st.parse_skipped += ps.skipped;
	e->st.parse_errors += ps.errors;
	return ps.messages;
}

/* Free c; its decoding was finished by decode_finish() first. */
static void conn_free(struct adi_engine *e, struct adi_conn *c)
{
	conn_unlink_open(e, c);
	adi_map_del(&e->conns, c->ino);
	free(c->s[0].preview);
	free(c->s[1].preview);
	free(c->conn_json);
	adi_tls_conn_free(e, c);
	free(c);
}

static void conn_end(struct adi_engine *e, struct adi_conn *c, uint64_t ts, bool closed)
{
	if (c->state == CONN_PENDING) {
		/* closed before anyone learned the outcome: say so */
		c->state = CONN_OPEN;
		conn_event(e, c, "connect", c->start_ts, EINPROGRESS, NULL);
		c->announced = true;
		if (!c->s[0].bytes && !c->s[1].bytes)
			c->state = CONN_FAILED;
	}
	if (ts > c->last_ts)
		c->last_ts = ts;
	if (closed && c->state != CONN_FAILED && c->announced)
		conn_event(e, c, "close", ts, 0, NULL);
	{
		uint64_t decoded = decode_finish(e, c, ts);

		/* TLS: what counts is what its plaintext made */
		if (c->tls)
			decoded = adi_tls_conn_end(e, c, ts);
		stream_event(e, c, decoded);
	}
	conn_free(e, c);
}

void adi_conn_unref(struct adi_engine *e, struct adi_conn *c, uint64_t ts)
{
	if (--c->refs <= 0)
		conn_end(e, c, ts, true);
}

void adi_conn_end_all(struct adi_engine *e)
{
	while (e->open_conns)
		conn_end(e, e->open_conns, e->have_end ? e->end_ts : e->now, false);
}

static void set_ends(struct adi_conn *c, const struct adi_raw_event *ev, bool accept)
{
	const struct adi_raw_fixed *f = &ev->f;
	char tmp[128];

	free(c->conn_json); /* role and ends change here: written again */
	c->conn_json = NULL;
	adi_endpoint_str(&f->local, c->local, sizeof(c->local));
	adi_endpoint_str(&f->remote, c->remote, sizeof(c->remote));
	if (f->path2_len && ev->path2) {
		adi_sockaddr_str((const uint8_t *)ev->path2, f->path2_len, tmp, sizeof(tmp));
		if (c->transport == ADI_TR_UNIX) {
			/* connect names the peer's path; accept carries our own */
			snprintf(accept ? c->local : c->remote, sizeof(c->local), "%s", tmp);
		} else if (!accept && tmp[0]) {
			snprintf(c->remote, sizeof(c->remote), "%s", tmp);
		}
	}
}

/* socket / connect / accept / shutdown / SO_ERROR */
void adi_conn_sock_event(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_proc *p = adi_proc_get(e, f->pid);
	struct adi_fd *fd;
	struct adi_conn *c;

	if (!p)
		return;
	switch (f->op) {
	case ADI_OP_SOCKET:
		if (f->ret >= 0 && (fd = adi_fd_install(e, p, f->fd, ADI_FD_SOCK, NULL, f->ts_ns))) {
			fd->ino = f->ino;
			fd->cloexec = f->arg2 & 02000000; /* SOCK_CLOEXEC */
		}
		return;
	case ADI_OP_CONNECT:
		fd = adi_fd_get(e, f->pid, f->fd);
		if (!fd || (f->ino && fd->ino != f->ino)) {
			fd = adi_fd_install(e, p, f->fd, ADI_FD_SOCK, NULL, f->ts_ns);
			if (!fd)
				return;
			fd->ino = f->ino;
		}
		c = fd->conn;
		if (c && (c->announced || c->state == CONN_FAILED)) {
			/* a second connect on the same socket (UDP re-targeting,
			 * or a retry after failure): a new conversation */
			adi_conn_unref(e, c, f->ts_ns);
			fd->conn = NULL;
			c = NULL;
		}
		if (!c) {
			c = adi_conn_for(e, f);
			if (!c)
				return;
			adi_fd_set_conn(e, fd, c);
		}
		c->role = 1;
		c->start_ts = c->last_ts = f->ts_ns;
		c->pid = f->pid;
		c->tid = f->tid;
		memcpy(c->comm, f->comm, sizeof(c->comm));
		set_ends(c, ev, false);
		c->announced = false;
		if (f->ret == -EINPROGRESS || f->ret == -EAGAIN) {
			c->state = CONN_PENDING;
		} else {
			c->state = f->ret < 0 ? CONN_FAILED : CONN_OPEN;
			c->connect_err = adi_err_of(f->ret);
			conn_event(e, c, "connect", f->ts_ns, c->connect_err, f);
			c->announced = true;
		}
		return;
	case ADI_OP_ACCEPT: case ADI_OP_ACCEPT4:
		if (f->ret < 0)
			return;
		fd = adi_fd_install(e, p, f->fd, ADI_FD_SOCK, NULL, f->ts_ns);
		if (!fd)
			return;
		fd->ino = f->ino;
		fd->cloexec = f->arg2 & 02000000;
		c = adi_conn_for(e, f);
		if (!c)
			return;
		adi_fd_set_conn(e, fd, c);
		c->role = 2;
		set_ends(c, ev, true);
		c->state = CONN_OPEN;
		conn_event(e, c, "accept", f->ts_ns, 0, f);
		c->announced = true;
		return;
	case ADI_OP_SO_ERROR:
		fd = adi_fd_get(e, f->pid, f->fd);
		if (fd && fd->conn)
			settle_connect(e, fd->conn, f->arg);
		return;
	case ADI_OP_SHUTDOWN:
		return; /* the close that follows ends the connection */
	}
}

uint64_t adi_stream_add(struct adi_engine *e, struct adi_stream *s, bool classified,
			const struct adi_raw_event *ev)
{
	uint64_t pos;
	const struct adi_raw_fixed *f = &ev->f;
	uint32_t room, keep;

	if (!s->first_ts)
		s->first_ts = f->ts_ns;
	s->last_ts = f->ts_ns;
	/* an end-of-stream read (0 bytes) sits after the FIN, which takes a
	 * sequence number of its own: it says nothing about gaps */
	if ((f->flags & ADI_RAW_HAS_SEQ) && f->size) {
		if (s->have_seq && f->seq != s->next_seq) {
			/* bytes in between were moved by calls we never saw
			 * (a dropped record, or another process) */
			int32_t delta = (int32_t)(f->seq - s->next_seq);

			s->gaps++;
			e->st.stream_gaps++;
			if (delta > 0)
				s->gap_bytes += (uint32_t)delta;
		}
		s->have_seq = true;
		s->next_seq = f->seq + (uint32_t)f->size;
	}
	pos = s->bytes + s->gap_bytes;
	s->bytes += f->size;
	if (f->size == 0 && f->dir == ADI_DIR_IN)
		s->eof = true;
	/* the first bytes are kept for the tcp_stream preview (body_bytes)
	 * and, until the classifier has decided, as much as a decoder may
	 * need to start from byte 0: a first write larger than the preview
	 * would otherwise reach the decoder cut short */
	keep = e->o.body_bytes;
	if (!classified && keep < ADI_PROTO_LOOKAHEAD)
		keep = ADI_PROTO_LOOKAHEAD;
	room = keep > s->plen ? keep - s->plen : 0;
	if (room && f->data_len && !(f->flags & ADI_RAW_NOPAYLOAD) && ev->data) {
		uint32_t n = f->data_len < room ? f->data_len : room;
		uint8_t *p = realloc(s->preview, s->plen + n);

		if (p) {
			memcpy(p + s->plen, ev->data, n);
			s->preview = p;
			s->plen += n;
		}
	}
	return pos;
}

/* Account a chunk in direction d; returns the chunk's stream position
 * (bytes before it, seen or missing), what decoders are fed. */
static uint64_t stream_add(struct adi_engine *e, struct adi_conn *c, int d,
			   const struct adi_raw_event *ev)
{
	return adi_stream_add(e, &c->s[d], c->classified, ev);
}

void adi_stream_trim(struct adi_engine *e, struct adi_stream *sv)
{
	for (int d = 0; d < 2; d++) {
		struct adi_stream *s = &sv[d];
		uint8_t *p;

		if (s->plen <= e->o.body_bytes)
			continue;
		s->plen = e->o.body_bytes;
		p = realloc(s->preview, s->plen ? s->plen : 1);
		if (p)
			s->preview = p;
	}
}

/* Once classified, the previews only serve tcp_stream: body_bytes. */
static void trim_previews(struct adi_engine *e, struct adi_conn *c)
{
	adi_stream_trim(e, c->s);
}

/* A decoder claimed c: give it what the previews hold of both directions
 * (the first bytes; anything seen beyond them is a gap). */
static void decode_start(struct adi_engine *e, struct adi_conn *c,
			 const struct adi_sniff_ctx *sc)
{
	struct adi_conn_emit ce;

	if (adi_pconn_init(&c->pc, c->proto, sc))
		return;
	c->pc.budget = &e->budget;
	c->decoding = true;
	adi_conn_emitter(&ce, e, c);
	for (int d = 0; d < 2; d++) {
		struct adi_stream *s = &c->s[d];

		if (s->plen)
			adi_pconn_feed(&c->pc, &e->pcfg, d, 0, s->preview, s->plen,
				       s->first_ts, &ce.em);
	}
}

/* A connection joined mid-stream whose first bytes matched nothing: a
 * later chunk may start a message (a syscall usually moves whole ones).
 * The decoder starts there; everything before it in both directions is
 * skipped and counted, never decoded. */
#define ADI_LATE_TRIES 32

static void late_classify(struct adi_engine *e, struct adi_conn *c, int d, uint64_t pos,
			  const struct adi_raw_event *ev, struct adi_sniff_ctx *sc)
{
	const struct adi_raw_fixed *f = &ev->f;
	uint32_t have = (f->flags & ADI_RAW_NOPAYLOAD) || !ev->data ? 0 : f->data_len;
	const struct adi_proto *p;
	struct adi_conn_emit ce;
	int more = 0;

	if (!have || c->late_tries >= ADI_LATE_TRIES)
		return;
	c->late_tries++;
	p = adi_proto_classify(ev->data, have, sc, &more);
	if (!p || adi_pconn_init(&c->pc, p, sc))
		return;
	c->proto = p;
	c->pc.budget = &e->budget;
	c->decoding = true;
	/* the decoder hears of what came before as a gap at its start, so it
	 * knows it joined mid-stream (no handshake was seen) */
	for (int k = 0; k < 2; k++) {
		uint64_t end = k == d ? pos : c->s[k].bytes + c->s[k].gap_bytes;

		adi_pconn_gap(&c->pc, k, end);
		c->pc.skipped += end;
	}
	adi_conn_emitter(&ce, e, c);
	adi_pconn_feed(&c->pc, &e->pcfg, d, pos, ev->data, have, f->ts_ns, &ce.em);
	if (f->size > have)
		adi_pconn_gap(&c->pc, d, f->size - have);
}

void adi_conn_io(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	int d = f->dir == ADI_DIR_OUT ? 0 : 1;
	uint64_t pos;

	if (f->ret < 0)
		return;
	c->io_pid = f->pid;
	c->io_tid = f->tid;
	if (c->state == CONN_PENDING)
		settle_connect(e, c, 0);
	if (f->flags & ADI_RAW_PEEK)
		return; /* nothing consumed: the same bytes come again (nginx peeks
			 * at a TLS connection's first byte) */
	if (f->ts_ns > c->last_ts)
		c->last_ts = f->ts_ns;
	if (c->dgram) { /* messages, not a stream: dgram.c */
		adi_dgram_io(e, c, ev);
		return;
	}
	pos = stream_add(e, c, d, ev);
	if (adi_tls_cipher_only(e, c, ev))
		return; /* its plaintext is decoded instead (tls.c) */
	if (c->decoding) {
		struct adi_conn_emit ce;

		uint32_t have = (f->flags & ADI_RAW_NOPAYLOAD) || !ev->data ? 0 : f->data_len;

		adi_conn_emitter(&ce, e, c);
		if (have)
			adi_pconn_feed(&c->pc, &e->pcfg, d, pos, ev->data, have, f->ts_ns,
				       &ce.em);
		/* bytes beyond the capture cap (or sent by sendfile) are a gap
		 * the decoder hears of now, not when the next chunk comes */
		if (f->size > have)
			adi_pconn_gap(&c->pc, d, f->size - have);
		return;
	}
	if (!c->classified && c->s[d].plen) {
		struct adi_sniff_ctx sc = {
			.dir = d ? ADI_DIR_IN : ADI_DIR_OUT,
			.server_side = c->role == 2,
			.local_port = f->local.port,
			.remote_port = f->remote.port,
		};
		int more = 0;

		c->proto = adi_proto_classify(c->s[d].preview, c->s[d].plen, &sc, &more);
		c->classified = c->proto || !more;
		if (c->proto && c->stream && !e->o.no_net)
			decode_start(e, c, &sc);
		if (c->classified)
			trim_previews(e, c);
	} else if (c->classified && !c->proto && c->midlife && c->stream && !e->o.no_net) {
		struct adi_sniff_ctx sc = {
			.dir = d ? ADI_DIR_IN : ADI_DIR_OUT,
			.server_side = c->role == 2,
			.local_port = f->local.port,
			.remote_port = f->remote.port,
		};

		late_classify(e, c, d, pos, ev, &sc);
	}
}
