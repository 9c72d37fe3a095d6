/* kafka.c - the Kafka decoder as the engine sees it: size-prefixed
 * requests and responses (the first KF_WINDOW bytes of each decoded, the
 * rest consumed unread), request headers v0-v2, the in-flight requests a
 * response's correlation id is looked up in (its body's API and version
 * are the request's), parse/gap/resync/sniff, stitch by correlation id, the
 * adi_proto_kafka table. Owns struct kafka_state. body.c and records.c
 * know the bodies. Protocol: https://kafka.apache.org/protocol.html;
 * docs/kafka.md.
 *
 *   request:  size(4) api_key(2) api_version(2) correlation_id(4) client_id(2+n)
 *             [tagged fields: flexible versions] body
 *   response: size(4) correlation_id(4) [tagged fields: flexible, not ApiVersions] body
 */
#include <stdlib.h>
#include <string.h>

#include "kf.h"

/* A request awaiting its response: what its body was. */
struct kf_inflight {
	uint32_t corr;
	int16_t api, ver;
	bool used;
};

struct kf_side {
	uint64_t skip;        /* bytes of the message still to consume unread */
	bool strict;          /* after a resync: judged by resync()'s rule */
	uint32_t lost;
	int kind;             /* of the message being consumed */
	uint64_t key;
	struct adi_jw w;      /* its members */
};

struct kafka_state {
	enum adi_dir cmd_dir;
	struct kf_inflight fl[KF_INFLIGHT];
	unsigned next;        /* the ring's next slot */
	struct kf_side side[2];
	uint8_t *inflate;     /* KF_INFLATE bytes for compressed batches */
};

#define KF_NORESP 0x200   /* adi_msg.kind: acks=0 Produce, no response comes */
#define KF_LOST_SHIFT 12

static struct kf_side *kf_side_of(struct kafka_state *st, enum adi_dir d)
{
	return &st->side[d == ADI_DIR_OUT ? 0 : 1];
}

static enum adi_dir kf_cmd_dir(const struct kafka_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

static struct kf_inflight *kf_lookup(const struct kafka_state *st, uint32_t corr)
{
	/* the most recent first: ids are reused only after wrapping */
	for (unsigned i = 1; i <= KF_INFLIGHT; i++) {
		struct kf_inflight *f = (struct kf_inflight *)&st->fl[(st->next - i) % KF_INFLIGHT];

		if (f->used && f->corr == corr)
			return f;
	}
	return NULL;
}

/* How plausible a request at b[0..n) is: 2 its header is whole and sane
 * (size, a known API, a version up to 20, a client id that fits and is
 * printable), 1 a prefix of one, 0 not one. */
static int kf_plausible_req(const uint8_t *b, size_t n)
{
	uint32_t size;
	int16_t api, ver, cl;

	if (n < 4)
		return n && b[0] > (KF_MAX_SIZE >> 24) ? 0 : 1;
	size = adi_ld_be32(b);
	if (size < 10 || size > KF_MAX_SIZE)
		return 0;
	if (n < 8)
		return 1;
	api = (int16_t)adi_ld_be16(b + 4);
	ver = (int16_t)adi_ld_be16(b + 6);
	if (!kf_api_name(api) || ver < 0 || ver > 20)
		return 0;
	if (n < 14)
		return 1;
	cl = (int16_t)adi_ld_be16(b + 12);
	if (cl < -1 || (cl > 0 && (size_t)cl + 10 > size))
		return 0;
	for (int i = 0; i < cl; i++) {
		if ((size_t)(14 + i) >= n)
			return 1;
		if (b[14 + i] < 0x20 || b[14 + i] > 0x7e)
			return 0;
	}
	return 2;
}

/* A response at b[0..n): its size is sane and its correlation id is one
 * of a request in flight. */
static int kf_plausible_resp(const struct kafka_state *st, const uint8_t *b, size_t n)
{
	uint32_t size;

	if (n < 8)
		return n < 4 || adi_ld_be32(b) <= KF_MAX_SIZE ? 1 : 0;
	size = adi_ld_be32(b);
	if (size < 4 || size > KF_MAX_SIZE)
		return 0;
	return kf_lookup(st, adi_ld_be32(b + 4)) ? 2 : 0;
}

/* ---- decoding one message (its first window bytes in b) ---- */

/* The body written into a writer of its own (its members are placed after
 * the header's), containers closed even when it ended early. */
static bool kf_body(struct adi_jw *bw, bool req, int api, int ver, const uint8_t *b, size_t n,
		    bool flex, const uint8_t **dst, size_t *dn, int *err, struct kf_preview *pv,
		    const struct adi_proto_cfg *cfg)
{
	struct kf_rd r = { adi_cur_make(b, n), flex };
	struct kf_w k = { bw, { 0 }, 0 };
	bool ok;

	ok = req ? kf_request_body(&k, api, ver, &r, dst, dn, pv, cfg->body_bytes)
		 : kf_response_body(&k, api, ver, &r, err, pv, cfg->body_bytes);
	kf_close_to(&k, 0);
	return ok;
}

static void kf_payload(struct adi_jw *w, const struct kf_preview *pv, size_t body_bytes, bool any)
{
	if (!any) {
		adi_jw_knull(w, "payload_bytes");
		adi_jw_knull(w, "payload");
		return;
	}
	adi_jw_ku64(w, "payload_bytes", pv->bytes);
	adi_jw_key(w, "payload");
	if (pv->have)
		adi_jw_bytes(w, pv->val ? pv->val : (const uint8_t *)"",
			     pv->vn < body_bytes ? pv->vn : body_bytes);
	else
		adi_jw_null(w);
}

/* A request's members into sd->w; false when its header is not one. */
static bool kf_request(struct kafka_state *st, struct kf_side *sd, const uint8_t *b, size_t win,
		       uint32_t size, const struct adi_proto_cfg *cfg)
{
	struct adi_cur c = adi_cur_make(b + 4, win - 4);
	struct kf_preview pv = { 0 };
	const uint8_t *cid = NULL, *dst = NULL;
	size_t cn = 0, dn = 0;
	uint16_t api, ver;
	uint32_t corr;
	int16_t cl, acks;
	bool flex, ok;
	struct adi_jw bw;
	int err = 0;

	if (!adi_cur_be16(&c, &api) || !adi_cur_be16(&c, &ver) || !adi_cur_be32(&c, &corr) ||
	    !adi_cur_be16(&c, (uint16_t *)&cl))
		return false;
	if (cl >= 0 && !adi_cur_bytes(&c, (size_t)cl, &cid))
		return false;
	cn = cl > 0 ? (size_t)cl : 0;
	flex = kf_flex_from((int16_t)api) >= 0 && (int16_t)ver >= kf_flex_from((int16_t)api);
	if (flex) {
		struct kf_rd t = { c, true };

		if (!kf_tags(&t))
			return false;
		c = t.c;
	}
	st->fl[st->next % KF_INFLIGHT] = (struct kf_inflight){ corr, (int16_t)api, (int16_t)ver, true };
	st->next++;
	pv.buf = st->inflate;
	adi_jw_init(&bw);
	ok = kf_body(&bw, true, (int16_t)api, (int16_t)ver, adi_cur_ptr(&c), adi_cur_left(&c), flex,
		     &dst, &dn, &err, &pv, cfg);
	st->inflate = pv.buf;
	sd->kind = KF_REQ | (ok && win - 4 == size ? 0 : KF_TRUNC);
	/* acks=0: the broker answers nothing */
	acks = 1;
	if (api == 0) {
		struct adi_jv a = adi_jw_get(&bw, "acks");

		acks = (int16_t)adi_jv_int(a, 1);
	}
	if (!acks)
		sd->kind |= KF_NORESP;
	sd->key = corr;
	adi_jw_kstr(&sd->w, "system", "kafka");
	adi_jw_kstr(&sd->w, "op", kf_api_name((int16_t)api));
	adi_jw_key(&sd->w, "destination");
	if (dst)
		adi_jw_bytes(&sd->w, dst, dn);
	else
		adi_jw_null(&sd->w);
	adi_jw_kint(&sd->w, "api_version", (int16_t)ver);
	adi_jw_kint(&sd->w, "correlation_id", (int32_t)corr);
	adi_jw_key(&sd->w, "client_id");
	if (cid || cl == 0)
		adi_jw_bytes(&sd->w, cid ? cid : (const uint8_t *)"", cn);
	else
		adi_jw_null(&sd->w);
	adi_jw_splice(&sd->w, &bw);
	adi_jw_fini(&bw);
	kf_payload(&sd->w, &pv, cfg->body_bytes, api == 0);
	return true;
}

/* A response's members into sd->w: "op" (its request's, when known),
 * "correlation_id", "error", "reply", payload. */
static void kf_response(struct kafka_state *st, struct kf_side *sd, const uint8_t *b, size_t win,
			uint32_t size, const struct adi_proto_cfg *cfg)
{
	struct adi_cur c = adi_cur_make(b + 4, win - 4);
	struct kf_inflight *f;
	struct kf_preview pv = { 0 };
	const uint8_t *dst = NULL;
	size_t dn = 0;
	uint32_t corr = 0;
	bool flex = false, ok = false;
	struct adi_jw bw;
	char buf[24];
	int err = 0;

	adi_cur_be32(&c, &corr);
	f = kf_lookup(st, corr);
	adi_jw_init(&bw);
	if (f) {
		/* ApiVersions answers with header v0 whatever the version */
		flex = f->api != 18 && kf_flex_from(f->api) >= 0 && f->ver >= kf_flex_from(f->api);
		if (flex) {
			struct kf_rd t = { c, true };

			kf_tags(&t);
			c = t.c;
		}
		pv.buf = st->inflate;
		ok = !c.bad && kf_body(&bw, false, f->api, f->ver, adi_cur_ptr(&c), adi_cur_left(&c),
				       flex, &dst, &dn, &err, &pv, cfg);
		st->inflate = pv.buf;
		f->used = false; /* answered: no longer in flight */
	}
	sd->kind = KF_RESP | (ok && win - 4 == size ? 0 : KF_TRUNC);
	sd->key = corr;
	adi_jw_kstr(&sd->w, "system", "kafka");
	adi_jw_kstr(&sd->w, "op", f ? kf_api_name(f->api) : NULL);
	adi_jw_knull(&sd->w, "destination");
	adi_jw_kint(&sd->w, "correlation_id", (int32_t)corr);
	adi_jw_kstr(&sd->w, "error", kf_error_name(err, buf, sizeof(buf)));
	adi_jw_kobj(&sd->w, "reply");
	{
		struct adi_jv t = adi_jw_text(&bw);

		adi_jw_put(&sd->w, t.p ? t.p : "", t.n);
	}
	adi_jw_obj_end(&sd->w);
	adi_jw_fini(&bw);
	kf_payload(&sd->w, &pv, cfg->body_bytes, f && f->api == 1);
}

static void kf_frame(struct kf_side *sd, struct adi_msg *out)
{
	uint32_t lost = sd->lost < 0xffff ? sd->lost : 0xffff;

	out->kind = sd->kind | (int)(lost << KF_LOST_SHIFT);
	out->key = sd->key;
	if (adi_jw_copy(&out->f, &sd->w))
		out->kind |= KF_TRUNC;
	adi_jw_reset(&sd->w);
	sd->lost = 0;
	sd->skip = 0;
}

/* parse(): see proto.h. A message's first KF_WINDOW bytes (or all of it)
 * are held and decoded; the rest, if any, is consumed as it comes, and the
 * message is FRAMEd when its last byte is in. */
static enum adi_parse kafka_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
				  const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct kafka_state *st = vst;
	struct kf_side *sd = kf_side_of(st, dir);
	bool req = dir == kf_cmd_dir(st);
	uint32_t size;
	size_t win;

	*used = 0;
	if (!b) {
		if (!sd->skip)
			return ADI_PARSE_AGAIN;
		sd->kind |= KF_TRUNC;
		kf_frame(sd, out);
		out->incomplete = true;
		return ADI_PARSE_FRAME;
	}
	if (!n)
		return ADI_PARSE_AGAIN;
	if (sd->skip) {
		size_t k = n < sd->skip ? n : (size_t)sd->skip;

		sd->skip -= k;
		*used = k;
		if (sd->skip)
			return ADI_PARSE_AGAIN;
		kf_frame(sd, out);
		return ADI_PARSE_FRAME;
	}
	if (sd->strict) {
		int s = req ? kf_plausible_req(b, n) : kf_plausible_resp(st, b, n);

		if (s != 2)
			return s ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
		sd->strict = false;
	}
	if (n < 4)
		return ADI_PARSE_AGAIN;
	size = adi_ld_be32(b);
	if (size < 4 || size > KF_MAX_SIZE || (req && size < 10))
		return ADI_PARSE_BAD;
	win = (size_t)size + 4 < KF_WINDOW ? (size_t)size + 4 : KF_WINDOW;
	if (n < win)
		return ADI_PARSE_AGAIN;
	adi_jw_reset(&sd->w);
	if (req) {
		if (kf_plausible_req(b, win) != 2 || !kf_request(st, sd, b, win, size, cfg)) {
			adi_jw_reset(&sd->w);
			return ADI_PARSE_BAD;
		}
	} else {
		kf_response(st, sd, b, win, size, cfg);
	}
	if (win == (size_t)size + 4) {
		*used = win;
		kf_frame(sd, out);
		return ADI_PARSE_FRAME;
	}
	sd->skip = (uint64_t)size + 4 - win;
	*used = win;
	return ADI_PARSE_AGAIN;
}

/* gap(): inside the unread part of a message the lost bytes are absorbed;
 * elsewhere false (resync). */
static bool kafka_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct kafka_state *st = vst;
	struct kf_side *sd = kf_side_of(st, dir);

	if (!sd->skip || n > sd->skip)
		return false;
	sd->skip -= n;
	return true;
}

/* resync(): the first offset of b where a request (kf_plausible_req) or a
 * response to a request in flight (kf_plausible_resp) plausibly starts,
 * whole or cut by the end of b; n when none. A message in progress is
 * dropped and counted. */
static size_t kafka_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct kafka_state *st = vst;
	struct kf_side *sd = kf_side_of(st, dir);
	bool req = dir == kf_cmd_dir(st);

	if (sd->skip)
		sd->lost++;
	sd->skip = 0;
	adi_jw_reset(&sd->w);
	sd->strict = true;
	for (size_t i = 0; i < n; i++)
		if (req ? kf_plausible_req(b + i, n - i) : kf_plausible_resp(st, b + i, n - i))
			return i;
	return n;
}

/* ---- stitch ---- */

/* One message_op event: request q and / or response r (one may be NULL);
 * lost: a partner is known to be lost. */
static void kf_emit(struct adi_emit *em, const struct adi_msg *q, const struct adi_msg *r, bool lost)
{
	struct adi_jw *w = adi_emit_begin(em);
	const struct adi_msg *m = q ? q : r;
	struct adi_jv_it it = adi_jv_iter_list(adi_jw_text(&m->f));
	struct adi_jv k, v, pb = { NULL, 0 }, pl = { NULL, 0 };
	bool trunc = (m->kind & KF_TRUNC) || (r && (r->kind & KF_TRUNC));
	int64_t ts_end = -1;

	/* the message's members but its payload, chosen below */
	while (adi_jv_next(&it, &k, &v)) {
		size_t kn;
		const char *ks = adi_jv_plain(k, &kn);

		if (!ks)
			continue;
		if (kn >= 7 && !memcmp(ks, "payload", 7)) {
			if (kn == 7)
				pl = v;
			else
				pb = v;
			continue;
		}
		if (!q && ((kn == 5 && !memcmp(ks, "error", 5)) || (kn == 5 && !memcmp(ks, "reply", 5))))
			continue; /* a response alone: written after, as for a pair */
		adi_jw_keyn_plain(w, ks, kn);
		adi_jw_raw(w, v.p, v.n);
	}
	if (r && adi_jv_type(pb) == ADI_J_NULL) {
		pb = adi_jw_get(&r->f, "payload_bytes");
		pl = adi_jw_get(&r->f, "payload");
	}
	adi_jw_kraw(w, "payload_bytes", pb);
	adi_jw_kraw(w, "payload", pl);
	adi_jw_kraw(w, "error", r ? adi_jw_get(&r->f, "error") : (struct adi_jv){ NULL, 0 });
	if (r)
		adi_jw_kraw(w, "reply", adi_jw_get(&r->f, "reply"));
	adi_jw_ku64(w, "req_bytes", q ? q->wire_bytes : 0);
	adi_jw_ku64(w, "resp_bytes", r ? r->wire_bytes : 0);
	adi_jw_kbool(w, "truncated", trunc);
	if (lost || m->incomplete || (r && r->incomplete))
		adi_jw_kbool(w, "incomplete", true);
	if (q && r)
		ts_end = r->ts_last < q->ts_first ? (int64_t)q->ts_first : (int64_t)r->ts_last;
	em->emit(em, "message_op", m->ts_first, ts_end);
}

static void kf_alone(struct adi_emit *em, struct adi_msgq *q, bool lost)
{
	struct adi_msg *m = adi_msgq_pop(q);

	if ((m->kind & 0xff) == KF_REQ)
		kf_emit(em, m, NULL, lost);
	else
		kf_emit(em, NULL, m, lost);
	adi_msg_free(m);
}

static bool kf_queued(const struct adi_msgq *q, uint64_t key)
{
	for (const struct adi_msg *m = q->head; m; m = m->next)
		if (m->key == key)
			return true;
	return false;
}

/* stitch(): a broker answers a connection's requests in order; a response
 * pairs with the queued request of its correlation id. Requests before it
 * that have none got no response: an acks=0 Produce by design (written at
 * once, no reply), any other because it was lost (incomplete). A response
 * whose request is not queued is written alone (incomplete), unless a
 * request is being received (it may be its). final: the rest alone. */
static void kafka_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			 struct adi_emit *em, bool final)
{
	struct kafka_state *st = vst;
	bool out_is_req = kf_cmd_dir(st) == ADI_DIR_OUT;
	struct adi_msgq *rq = out_is_req ? out_q : in_q, *sq = out_is_req ? in_q : out_q;
	const struct kf_side *rs = kf_side_of(st, kf_cmd_dir(st));

	for (;;) {
		struct adi_msg *q = rq->head, *r = sq->head;

		if (q && (q->kind & KF_NORESP)) {
			kf_alone(em, rq, false);
			continue;
		}
		if (!r) {
			if (!q || !final)
				return;
			kf_alone(em, rq, false);
			continue;
		}
		if (!q || !kf_queued(rq, r->key)) {
			if (!final && rs->skip)
				return; /* its request may be arriving */
			kf_alone(em, sq, true);
			continue;
		}
		if (q->key != r->key) {
			kf_alone(em, rq, true); /* its response was lost */
			continue;
		}
		kf_emit(em, q, r, false);
		adi_msg_free(adi_msgq_pop(rq));
		adi_msg_free(adi_msgq_pop(sq));
	}
}

/* ---- sniff, start, fini ---- */

/* sniff(): thresholds (the claim is ADI_SNIFF_CLAIM, 60).
 *  - 80: a request header: a size from 10 to 256 MiB, a known API key, a
 *    version up to 20, a client id of -1 or printable bytes that fit in the
 *    size (+10 on port 9092). PostgreSQL's StartupMessage has the shape of
 *    Metadata v0 but its "client id" length (from "user\0...") runs past
 *    its size; its SSLRequest names API 1234; DNS over TCP and the
 *    little-endian MySQL and MongoDB lengths name no API.
 *  - responses are not recognised as such (a size and a correlation id
 *    say nothing); one whose correlation id is below 65536 reads as a
 *    Produce request header and scores the same (it is Kafka all the
 *    same: the roles come from the connection, not from this guess).
 *  - -1: fewer than 64 bytes that may still be a request header; 0
 *    otherwise. */
static int kafka_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	uint16_t port = c->server_side ? c->local_port : c->remote_port;
	int s = kf_plausible_req(b, n);

	if (s == 1)
		return n < 64 ? -1 : 0;
	if (!s)
		return 0;
	return 80 + (port == KF_PORT ? 10 : 0);
}

static void kafka_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct kafka_state *st = vst;

	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
}

static void kafka_fini(void *vst)
{
	struct kafka_state *st = vst;

	free(st->inflate);
	st->inflate = NULL;
	for (int i = 0; i < 2; i++)
		adi_jw_fini(&st->side[i].w);
}

const struct adi_proto adi_proto_kafka = {
	.name = "kafka",
	.state_size = sizeof(struct kafka_state),
	.start = kafka_start,
	.sniff = kafka_sniff,
	.parse = kafka_parse,
	.gap = kafka_gap,
	.resync = kafka_resync,
	.stitch = kafka_stitch,
	.fini = kafka_fini,
};
