/* dgram.c - datagram sockets (UDP, unix datagram): every IO record is one
 * whole datagram with its own peer, so nothing is reassembled and there are
 * no byte positions or gaps. A datagram goes to the socket's decoder when
 * one claimed the socket (sniffed on its first datagrams; each datagram is
 * then one message, docs/decoders.md), else it is a `udp_datagram` event of
 * its own. Owns neither the connection (conn.c) nor the decoding (stream.c). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "engine_int.h"

/* Datagrams with payload offered to the sniffers before a socket is left
 * undecoded: a socket's first datagram is usually its protocol's first
 * message, but a client may start with something else (a probe). */
#define ADI_DGRAM_TRIES 8

/* The datagram's peer: the address its call named (sendto, recvfrom, a
 * msghdr: path2), else the connected socket's peer. Text in buf; the
 * endpoint in *ep for inet peers (family 0 otherwise). */
static void dgram_peer(const struct adi_conn *c, const struct adi_raw_event *ev,
		       struct adi_endpoint *ep, char *buf, size_t n)
{
	const struct adi_raw_fixed *f = &ev->f;

	memset(ep, 0, sizeof(*ep));
	if (f->path2_len && ev->path2) {
		adi_sockaddr_ep((const uint8_t *)ev->path2, f->path2_len, ep);
		adi_sockaddr_str((const uint8_t *)ev->path2, f->path2_len, buf, n);
		if (buf[0] || f->remote.family == AF_UNIX)
			return;
	}
	if (f->remote.family == AF_INET || f->remote.family == AF_INET6) {
		*ep = f->remote;
		if (ep->port) {
			adi_endpoint_str(ep, buf, n);
			return;
		}
		memset(ep, 0, sizeof(*ep));
	}
	/* a unix socket's peer is its connect()'s path (conn.c) */
	snprintf(buf, n, "%s", c->remote);
}

/* Offer the datagram to the sniffers of decoders that take datagrams; the
 * first that claims it decodes the socket from then on. */
static void dgram_classify(struct adi_engine *e, struct adi_conn *c, int d,
			   const struct adi_raw_event *ev, const struct adi_endpoint *peer)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_sniff_ctx sc = {
		.dir = d ? ADI_DIR_IN : ADI_DIR_OUT,
		.server_side = c->role == 2,
		.local_port = f->local.port,
		.remote_port = peer->port ? peer->port : f->remote.port,
		.datagram = true,
	};
	const struct adi_proto *p;
	int more = 0;

	if (++c->late_tries >= ADI_DGRAM_TRIES)
		c->classified = true;
	p = adi_proto_classify(ev->data, f->data_len, &sc, &more);
	if (!p || adi_pconn_init(&c->pc, p, &sc))
		return;
	c->proto = p;
	c->classified = true;
	c->pc.budget = &e->budget;
	c->decoding = true;
}

/* A datagram no decoder took: an event of its own, like tcp_stream for a
 * stream (docs/events.md, udp_datagram). */
static void dgram_event(struct adi_engine *e, struct adi_conn *c, int d,
			const struct adi_raw_event *ev, const char *peer, bool cut)
{
	const struct adi_raw_fixed *f = &ev->f;
	uint32_t have = (f->flags & ADI_RAW_NOPAYLOAD) || !ev->data ? 0 : f->data_len;
	struct adi_jw *w = adi_ev_begin(e);

	adi_conn_member(w, c, peer);
	adi_jw_kstr(w, "direction", d ? "in" : "out");
	adi_jw_ku64(w, "bytes", f->size);
	adi_jw_kbytes(w, "preview", ev->data, have < e->o.body_bytes ? have : e->o.body_bytes);
	if (cut)
		adi_jw_kbool(w, "truncated", true);
	if (c->proto)
		adi_jw_kstr(w, "protocol", c->proto->name);
	adi_ev_commit(e, "udp_datagram", f->ts_ns, -1, f->pid, f->tid, f->comm, f->cgroup_id);
}

void adi_dgram_io(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	int d = f->dir == ADI_DIR_OUT ? 0 : 1;
	struct adi_stream *s = &c->s[d];
	uint32_t have = (f->flags & ADI_RAW_NOPAYLOAD) || !ev->data ? 0 : f->data_len;
	bool cut = (f->flags & ADI_RAW_MSG_TRUNC) || have < f->size;
	struct adi_endpoint peer;
	char ptxt[128];

	/* a socket that no connect() named sends or receives first: that
	 * tells its side better than the ports (a server's may be high) */
	if (c->midlife && !c->s[0].first_ts && !c->s[1].first_ts && c->role != (d ? 2 : 1)) {
		c->role = d ? 2 : 1;
		adi_conn_forget_member(c);
	}
	if (!s->first_ts)
		s->first_ts = f->ts_ns;
	s->last_ts = f->ts_ns;
	s->bytes += f->size;
	/* a unix datagram socket's own name comes with its datagrams (path) */
	if (!c->local[0] && f->path_len && ev->path) {
		adi_sockaddr_str((const uint8_t *)ev->path, f->path_len, c->local,
				 sizeof(c->local));
		adi_conn_forget_member(c);
	}
	if (e->o.no_net)
		return;
	dgram_peer(c, ev, &peer, ptxt, sizeof(ptxt));
	if (!c->classified && have)
		dgram_classify(e, c, d, ev, &peer);
	if (c->decoding) {
		struct adi_conn_emit ce;

		adi_conn_emitter(&ce, e, c);
		if (adi_pconn_datagram(&c->pc, &e->pcfg, d, ev->data, have, f->size, cut,
				       f->ts_ns, &peer, &ce.em))
			return;
	}
	dgram_event(e, c, d, ev, ptxt, cut);
}
