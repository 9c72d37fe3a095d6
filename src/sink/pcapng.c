/* pcapng.c - socket traffic as a pcapng capture for Wireshark
 * (docs/export.md), made from raw events: every TCP and UDP conversation as
 * synthetic Ethernet / IPv4 or IPv6 / TCP or UDP packets with the real
 * addresses, ports and TCP sequence numbers, the traced process in each
 * packet's comment. Unix sockets are left out (counted). Owns the flow
 * table and the file format; the raw events come from a --save-raw file or
 * from a live trace. Format: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
 *
 *   Section Header Block, two Interface Description Blocks (0: IPv4 over
 *   Ethernet, 1: IPv6 over Ethernet, nanosecond timestamps), then one
 *   Enhanced Packet Block per packet:
 *   +------+-----+---------+---------+---------+----------+---------+------+-----+
 *   | type | len | if id   | ts high | ts low  | cap len  | orig len| data | opts|
 *   +------+-----+---------+---------+---------+----------+---------+------+-----+
 *
 * One conversation is often traced from both ends (a client and a server
 * on one host): each direction's bytes are written once, by sequence
 * number (what one end already wrote is trimmed from the other's), so
 * Wireshark sees each segment once and holes stay holes. Without sequence
 * numbers (the ptrace backend) the first socket seen for a conversation
 * speaks for it and sequence numbers are counted from 1; UDP datagrams
 * seen from both ends are told apart by their bytes within a second.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../lib/hashmap.h"
#include "../lib/util.h"
#include "../lib/version.h"

#define SEG_MAX 65000u    /* payload per packet: an IP packet holds 64 KiB */
#define UDP_RECENT 8      /* datagrams remembered per direction for dedup */
#define FLOWS_MAX (1u << 20)

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_PSH = 0x08, TH_ACK = 0x10 };

struct dirst {
	bool have;          /* next is known: something was written */
	bool learned;       /* isn from the first pass */
	bool fin;
	uint32_t next;      /* the sequence number after what was written */
	uint32_t isn;       /* initial sequence number (first byte - 1) */
	struct {
		uint64_t h, ts;
	} recent[UDP_RECENT];
	unsigned ri;
};

struct flow {
	struct adi_endpoint a, b;  /* canonical order: a < b */
	uint8_t transport;
	bool opened;               /* handshake written, or data seen first */
	uint64_t owner_ino;        /* no sequence numbers: the socket written */
	struct dirst d[2];         /* 0: a -> b, 1: b -> a */
};

struct adi_pcapng {
	FILE *f;
	struct adi_map flows;      /* hash of the endpoints (probed) -> flow */
	struct adi_map containers; /* cgroup id (or pid | 1 << 63) -> char[65] */
	uint16_t ip_id;
	uint8_t *pkt;              /* one packet being built */
	size_t pkt_cap;
	struct adi_pcapng_stats st;
};

/* ---- the file ---- */

static void w_put(struct adi_pcapng *p, const void *b, size_t n)
{
	if (!p->st.err && n && fwrite(b, 1, n, p->f) != n)
		p->st.err = -EIO;
}

static void w_u32(struct adi_pcapng *p, uint32_t v)
{
	w_put(p, &v, 4); /* pcapng is in the writer's byte order (SHB magic) */
}

static void w_u16(struct adi_pcapng *p, uint16_t v)
{
	w_put(p, &v, 2);
}

static size_t opt_len(size_t n)
{
	return 4 + ((n + 3) & ~(size_t)3);
}

static void w_opt(struct adi_pcapng *p, uint16_t code, const void *v, size_t n)
{
	static const uint8_t zero[4];

	w_u16(p, code);
	w_u16(p, (uint16_t)n);
	w_put(p, v, n);
	w_put(p, zero, ((n + 3) & ~(size_t)3) - n);
}

static void header(struct adi_pcapng *p)
{
	char app[96];
	size_t an = (size_t)snprintf(app, sizeof(app), "adi-profiler %s", adi_version());
	uint32_t len = 28 + (uint32_t)opt_len(an) + 4;
	uint8_t tsres = 9; /* if_tsresol: 10^-9 s */

	/* Section Header Block */
	w_u32(p, 0x0A0D0D0A);
	w_u32(p, len);
	w_u32(p, 0x1A2B3C4D);
	w_u16(p, 1);
	w_u16(p, 0);
	w_u32(p, 0xFFFFFFFFu); /* section length: not given (-1) */
	w_u32(p, 0xFFFFFFFFu);
	w_opt(p, 4, app, an);  /* shb_userappl */
	w_opt(p, 0, NULL, 0);
	w_u32(p, len);
	/* Interface Description Blocks: 0 IPv4, 1 IPv6 */
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "adi-ipv6" : "adi-ipv4";
		uint32_t ilen = 20 + (uint32_t)(opt_len(strlen(name)) + opt_len(1)) + 4;

		w_u32(p, 1);
		w_u32(p, ilen);
		w_u16(p, 1);        /* LINKTYPE_ETHERNET */
		w_u16(p, 0);
		w_u32(p, 0);        /* snaplen: no limit */
		w_opt(p, 2, name, strlen(name)); /* if_name */
		w_opt(p, 9, &tsres, 1);          /* if_tsresol */
		w_opt(p, 0, NULL, 0);
		w_u32(p, ilen);
	}
}

/* ---- packets ---- */

static void be16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint16_t ip_sum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The process behind a packet, for its comment and direction flag. */
struct who {
	uint64_t ts;
	uint32_t pid, tid;
	const char *comm;
	const char *container; /* NULL: none known */
	bool out;          /* the traced task sent it */
};

/* One packet src -> dst: headers for `len` payload bytes of which `cap`
 * are at data (cap <= len: the rest was not captured). */
static void packet(struct adi_pcapng *p, const struct flow *fl, int dir, const struct who *w,
		   uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *data, size_t cap,
		   size_t len)
{
	const struct adi_endpoint *src = dir ? &fl->b : &fl->a, *dst = dir ? &fl->a : &fl->b;
	bool v6 = src->family == AF_INET6, tcp = fl->transport == ADI_TR_TCP;
	size_t ip = v6 ? 40 : 20, l4 = tcp ? 20 : 8, hdr = 14 + ip + l4;
	size_t total = hdr + cap, orig = hdr + len, pad;
	uint8_t *b;
	char comment[96];
	size_t cn;
	uint32_t blen, epb_flags = w->out ? 2 : 1; /* outbound / inbound */
	static const uint8_t zero[4];

	if (p->pkt_cap < total) {
		uint8_t *nb = realloc(p->pkt, total);

		if (!nb) {
			p->st.err = -ENOMEM;
			return;
		}
		p->pkt = nb;
		p->pkt_cap = total;
	}
	b = p->pkt;
	memset(b, 0, hdr);
	/* Ethernet: locally administered addresses, one per end */
	b[0] = b[6] = 0x02;
	b[5] = dir ? 1 : 2;
	b[11] = dir ? 2 : 1;
	be16(b + 12, v6 ? 0x86DD : 0x0800);
	if (v6) {
		b[14] = 0x60;
		be16(b + 18, (uint16_t)(l4 + len > 0xffff ? 0xffff : l4 + len));
		b[20] = tcp ? 6 : 17;
		b[21] = 64;
		memcpy(b + 22, src->addr, 16);
		memcpy(b + 38, dst->addr, 16);
	} else {
		b[14] = 0x45;
		be16(b + 16, (uint16_t)(ip + l4 + len > 0xffff ? 0xffff : ip + l4 + len));
		be16(b + 18, p->ip_id++);
		b[20] = 0x40; /* don't fragment */
		b[22] = 64;
		b[23] = tcp ? 6 : 17;
		memcpy(b + 26, src->addr, 4);
		memcpy(b + 30, dst->addr, 4);
		be16(b + 24, ip_sum(b + 14, 20));
	}
	b += 14 + ip;
	be16(b, src->port);
	be16(b + 2, dst->port);
	if (tcp) {
		be32(b + 4, seq);
		be32(b + 8, ack);
		b[12] = 5 << 4;
		b[13] = flags;
		be16(b + 14, 65535);
	} else {
		be16(b + 4, (uint16_t)(8 + len > 0xffff ? 0xffff : 8 + len));
	}
	if (cap)
		memcpy(p->pkt + hdr, data, cap);
	cn = (size_t)snprintf(comment, sizeof(comment), "pid %u tid %u comm %.16s%s%.12s", w->pid,
			      w->tid, w->comm, w->container ? " container " : "",
			      w->container ? w->container : "");
	if (cn >= sizeof(comment))
		cn = sizeof(comment) - 1;
	pad = ((total + 3) & ~(size_t)3) - total;
	blen = (uint32_t)(28 + total + pad + opt_len(cn) + opt_len(4) + 4 + 4);
	w_u32(p, 6);
	w_u32(p, blen);
	w_u32(p, v6 ? 1 : 0);
	w_u32(p, (uint32_t)(w->ts >> 32));
	w_u32(p, (uint32_t)w->ts);
	w_u32(p, (uint32_t)total);
	w_u32(p, (uint32_t)orig);
	w_put(p, p->pkt, total);
	w_put(p, zero, pad);
	w_opt(p, 1, comment, cn);       /* opt_comment */
	w_opt(p, 2, &epb_flags, 4);     /* epb_flags: direction */
	w_opt(p, 0, NULL, 0);
	w_u32(p, blen);
	p->st.packets++;
	p->st.bytes += cap;
}

/* ---- flows ---- */

static int ep_cmp(const struct adi_endpoint *x, const struct adi_endpoint *y)
{
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));

	return c ? c : (int)x->port - (int)y->port;
}

/* any_addr: a UDP socket bound to the wildcard address sends from it as
 * far as the records know */
static bool ep_usable(const struct adi_endpoint *e, bool any_addr)
{
	static const uint8_t zero[16];

	return (e->family == AF_INET || e->family == AF_INET6) && e->port &&
	       (any_addr || memcmp(e->addr, zero, e->family == AF_INET ? 4 : 16));
}

/* A datagram's peer as its call named it (sendto's dest_addr, recvfrom's
 * src_addr, a msghdr's msg_name): a sockaddr in path2 (raw_event.h);
 * false when the call named none (a connected socket: sk has it). */
static bool dgram_peer(const struct adi_raw_event *ev, struct adi_endpoint *ep)
{
	const uint8_t *sa = (const uint8_t *)ev->path2;
	size_t n = ev->f.path2_len;
	uint16_t fam;

	if (!sa || n < 2)
		return false;
	memcpy(&fam, sa, 2);
	memset(ep, 0, sizeof(*ep));
	ep->port = (uint16_t)(sa[2] << 8 | sa[3]);
	if (fam == AF_INET && n >= 8) {
		memcpy(ep->addr, sa + 4, 4);
	} else if (fam == AF_INET6 && n >= 24) {
		memcpy(ep->addr, sa + 8, 16);
	} else {
		return false;
	}
	ep->family = fam;
	return true;
}

/* The flow of a socket event (created when create), and the direction of
 * local -> remote in it (*dir_out). NULL when the event has no usable
 * addresses (counted by the caller). */
static struct flow *flow_of(struct adi_pcapng *p, const struct adi_raw_fixed *f, bool create,
			    int *dir_out)
{
	const struct adi_endpoint *lo = &f->local, *re = &f->remote, *a, *b;
	uint64_t h = 0xcbf29ce484222325ULL;
	struct flow *fl;
	int c;

	if (!ep_usable(lo, f->transport == ADI_TR_UDP) || !ep_usable(re, false) ||
	    lo->family != re->family)
		return NULL;
	c = ep_cmp(lo, re);
	a = c <= 0 ? lo : re;
	b = c <= 0 ? re : lo;
	*dir_out = c <= 0 ? 0 : 1;
	for (const uint8_t *x = (const uint8_t *)a; x < (const uint8_t *)(a + 1); x++)
		h = (h ^ *x) * 0x100000001b3ULL;
	for (const uint8_t *x = (const uint8_t *)b; x < (const uint8_t *)(b + 1); x++)
		h = (h ^ *x) * 0x100000001b3ULL;
	h = (h ^ f->transport) * 0x100000001b3ULL;
	for (;; h++) {
		fl = adi_map_get(&p->flows, h);
		if (!fl)
			break;
		if (fl->transport == f->transport && !memcmp(&fl->a, a, sizeof(*a)) &&
		    !memcmp(&fl->b, b, sizeof(*b)))
			return fl;
	}
	if (!create || p->flows.len >= FLOWS_MAX || !(fl = calloc(1, sizeof(*fl))))
		return NULL;
	fl->a = *a;
	fl->b = *b;
	fl->transport = f->transport;
	if (adi_map_put(&p->flows, h, fl)) {
		free(fl);
		return NULL;
	}
	return fl;
}

/* Where the engine finds a task's container: by its cgroup, or on a
 * hybrid host (cgroup id 0 or 1) by its pid. */
static uint64_t container_key(uint64_t cgroup_id, uint32_t pid)
{
	return cgroup_id > 1 ? cgroup_id : (uint64_t)pid | 1ULL << 63;
}

/* ADI_META_CGROUP: the task's cgroup path names its container, if any */
static void learn_container(struct adi_pcapng *p, const struct adi_raw_event *ev)
{
	char path[4096], *id;
	size_t n = ev->f.path_len < sizeof(path) - 1 ? ev->f.path_len : sizeof(path) - 1;
	uint64_t key = container_key(ev->f.cgroup_id, ev->f.pid);

	if (!ev->path || adi_map_get(&p->containers, key))
		return;
	memcpy(path, ev->path, n);
	path[n] = '\0';
	id = malloc(65);
	if (id && (!adi_container_id(path, id) || adi_map_put(&p->containers, key, id)))
		free(id);
}

static struct who who_of(struct adi_pcapng *p, const struct adi_raw_fixed *f, bool out)
{
	struct who w = { f->ts_ns, f->pid, f->tid, f->comm, NULL, out };

	w.container = adi_map_get(&p->containers, container_key(f->cgroup_id, f->pid));
	return w;
}

static uint32_t ack_of(const struct flow *fl, int dir, uint8_t *flags)
{
	const struct dirst *o = &fl->d[!dir];

	if (o->have || o->learned) {
		*flags |= TH_ACK;
		return o->have ? o->next : o->isn + 1;
	}
	return 0;
}

/* the handshake of a connection seen opening, when the first pass learned
 * its initial sequence numbers (client: dir c) */
static void handshake(struct adi_pcapng *p, struct flow *fl, int c, const struct who *w)
{
	struct dirst *cs = &fl->d[c], *ss = &fl->d[!c];
	struct who x = *w;

	fl->opened = true;
	if (!cs->learned)
		return;
	if (!ss->learned)
		ss->isn = cs->isn ^ 0x5a5a5a5a; /* the server never sent: any number */
	x.out = w->out;
	packet(p, fl, c, &x, cs->isn, 0, TH_SYN, NULL, 0, 0);
	x.out = !w->out;
	packet(p, fl, !c, &x, ss->isn, cs->isn + 1, TH_SYN | TH_ACK, NULL, 0, 0);
	x.out = w->out;
	packet(p, fl, c, &x, cs->isn + 1, ss->isn + 1, TH_ACK, NULL, 0, 0);
	cs->have = ss->have = true;
	cs->next = cs->isn + 1;
	ss->next = ss->isn + 1;
}

static void fin(struct adi_pcapng *p, struct flow *fl, int dir, const struct who *w)
{
	struct dirst *d = &fl->d[dir];
	uint8_t flags = TH_FIN;
	uint32_t ack;

	if (d->fin || !d->have || fl->transport != ADI_TR_TCP)
		return;
	ack = ack_of(fl, dir, &flags);
	packet(p, fl, dir, w, d->next, ack, flags, NULL, 0, 0);
	d->fin = true;
}

static uint64_t bytes_hash(const uint8_t *b, size_t n, uint64_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ size;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static void io(struct adi_pcapng *p, const struct adi_raw_event *ev)
{
	struct adi_raw_fixed fx = ev->f;
	const struct adi_raw_fixed *f = &fx;
	bool out = f->dir == ADI_DIR_OUT;
	int lo_dir, dir;
	struct flow *fl;

	if (fx.transport == ADI_TR_UDP) {
		static const uint8_t zero[16], lo6[16] = { [15] = 1 };

		dgram_peer(ev, &fx.remote);
		/* a wildcard-bound socket talking to loopback sends from the
		 * loopback address: the other end's view of the same flow */
		if (fx.local.family == fx.remote.family &&
		    !memcmp(fx.local.addr, zero, sizeof(zero)) &&
		    (fx.remote.family == AF_INET ? fx.remote.addr[0] == 127
						 : !memcmp(fx.remote.addr, lo6, 16)))
			memcpy(fx.local.addr, fx.remote.addr, sizeof(fx.local.addr));
	}
	fl = flow_of(p, f, true, &lo_dir);
	struct dirst *d;
	struct who w = who_of(p, f, out);
	const uint8_t *data = (f->flags & ADI_RAW_NOPAYLOAD) ? NULL : ev->data;
	size_t cap = data ? f->data_len : 0, len = f->size;
	uint32_t seq;

	if (!fl) {
		p->st.other_skipped++;
		return;
	}
	dir = out ? lo_dir : !lo_dir;
	d = &fl->d[dir];
	if (cap > len)
		cap = len;
	if (fl->transport == ADI_TR_UDP) {
		uint64_t h = bytes_hash(data, cap, len);

		for (unsigned i = 0; i < UDP_RECENT; i++)
			if (d->recent[i].h == h && f->ts_ns - d->recent[i].ts < 1000000000ULL) {
				/* the other end's view of the same datagram */
				d->recent[i].h = 0;
				p->st.dup_bytes += len;
				return;
			}
		d->recent[d->ri].h = h;
		d->recent[d->ri].ts = f->ts_ns;
		d->ri = (d->ri + 1) % UDP_RECENT;
		packet(p, fl, dir, &w, 0, 0, 0, data, cap, len > SEG_MAX ? SEG_MAX : len);
		return;
	}
	if (f->flags & ADI_RAW_HAS_SEQ) {
		seq = f->seq;
		if (d->have) {
			int32_t behind = (int32_t)(d->next - seq);

			if (behind >= 0 && (uint64_t)behind >= len) {
				p->st.dup_bytes += len;
				return;
			}
			if (behind > 0) {
				/* the start was written from the other end */
				p->st.dup_bytes += (uint64_t)behind;
				seq += (uint32_t)behind;
				len -= (size_t)behind;
				if (data)
					data += cap < (size_t)behind ? cap : (size_t)behind;
				cap = cap < (size_t)behind ? 0 : cap - (size_t)behind;
			}
		}
	} else {
		/* no sequence numbers: one end speaks for the conversation */
		if (!fl->owner_ino)
			fl->owner_ino = f->ino ? f->ino : 1;
		if (f->ino && f->ino != fl->owner_ino) {
			p->st.dup_bytes += len;
			return;
		}
		if (!d->have) {
			d->have = true;
			d->next = 1;
		}
		seq = d->next;
	}
	fl->opened = true;
	/* large writes as several segments; the uncaptured rest as lengths */
	while (len) {
		size_t n = len > SEG_MAX ? SEG_MAX : len, c = cap > n ? n : cap;
		uint8_t flags = TH_PSH;
		uint32_t ack = ack_of(fl, dir, &flags);

		packet(p, fl, dir, &w, seq, ack, flags, data, c, n);
		seq += (uint32_t)n;
		len -= n;
		cap -= c;
		if (data)
			data += c;
		if (!d->have || (int32_t)(seq - d->next) > 0)
			d->next = seq;
		d->have = true;
	}
}

int adi_pcapng_feed(struct adi_pcapng *p, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct flow *fl;
	int lo_dir;

	if (f->family == ADI_RAW_META && f->op == ADI_META_CGROUP) {
		learn_container(p, ev);
		return p->st.err;
	}
	if (f->transport == ADI_TR_UNIX) {
		if (f->family == ADI_RAW_IO && f->size)
			p->st.unix_skipped++;
		return p->st.err;
	}
	if (f->transport != ADI_TR_TCP && f->transport != ADI_TR_UDP)
		return p->st.err;
	switch (f->family) {
	case ADI_RAW_IO:
		if (f->ret < 0)
			break;
		if (f->size)
			io(p, ev);
		else if ((f->flags & ADI_RAW_EOF) && (fl = flow_of(p, f, false, &lo_dir))) {
			struct who w = who_of(p, f, false);

			fin(p, fl, !lo_dir, &w); /* the peer closed its side */
		}
		break;
	case ADI_RAW_SOCK:
		if (f->transport != ADI_TR_TCP || (f->op != ADI_OP_CONNECT &&
		    f->op != ADI_OP_ACCEPT && f->op != ADI_OP_ACCEPT4))
			break;
		if (f->ret < 0 && f->ret != -EINPROGRESS)
			break;
		fl = flow_of(p, f, true, &lo_dir);
		if (fl && !fl->opened) {
			bool conn = f->op == ADI_OP_CONNECT;
			struct who w = who_of(p, f, conn);

			/* the client's direction: local -> remote for connect */
			handshake(p, fl, conn ? lo_dir : !lo_dir, &w);
		}
		break;
	case ADI_RAW_FD:
		if (f->op == ADI_OP_CLOSE && f->ret == 0 && (fl = flow_of(p, f, false, &lo_dir))) {
			struct who w = who_of(p, f, true);

			fin(p, fl, lo_dir, &w);
		}
		break;
	}
	return p->st.err;
}

void adi_pcapng_learn(struct adi_pcapng *p, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct flow *fl;
	struct dirst *d;
	int lo_dir;

	if (f->family != ADI_RAW_IO || f->transport != ADI_TR_TCP || !f->size || f->ret < 0 ||
	    !(f->flags & ADI_RAW_HAS_SEQ) || !(fl = flow_of(p, f, true, &lo_dir)))
		return;
	d = &fl->d[f->dir == ADI_DIR_OUT ? lo_dir : !lo_dir];
	if (!d->learned || (int32_t)(f->seq - 1 - d->isn) < 0)
		d->isn = f->seq - 1;
	d->learned = true;
}

void adi_pcapng_stats(const struct adi_pcapng *p, struct adi_pcapng_stats *st)
{
	*st = p->st;
}

struct adi_pcapng *adi_pcapng_new(FILE *f)
{
	struct adi_pcapng *p = calloc(1, sizeof(*p));

	if (!p || adi_map_init(&p->flows) || adi_map_init(&p->containers)) {
		if (p)
			adi_map_fini(&p->flows);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->f = f;
	header(p);
	return p;
}

void adi_pcapng_free(struct adi_pcapng *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	if (!p)
		return;
	while (adi_map_next(&p->flows, &i, &k, &v))
		free(v);
	adi_map_fini(&p->flows);
	i = 0;
	while (adi_map_next(&p->containers, &i, &k, &v))
		free(v);
	adi_map_fini(&p->containers);
	free(p->pkt);
	free(p);
}
