/* amqp.c - the AMQP 0-9-1 decoder as the engine sees it: frames of each
 * direction (the client's protocol header, method, content header, body and
 * heartbeat frames) into messages, a content-bearing method together with
 * its header and body frames; gap(), resync(), sniff(); stitch() pairing a
 * synchronous method with its -ok from the other side; the adi_proto_amqp
 * table. Owns struct amqp_state; methods.c knows the specification's
 * methods. Specification: AMQP 0-9-1 (https://www.rabbitmq.com/resources/
 * specs/amqp0-9-1.pdf); docs/amqp.md.
 *
 *   frame:  type(1: 1 method, 2 header, 3 body, 8 heartbeat) channel(2) size(4)
 *           payload(size) frame-end(0xCE)
 *   client opens with "AMQP" 0 0 9 1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq.h"
#include "../../lib/util.h"

enum aq_phase { AQ_FRAME, AQ_BODY, AQ_END };

/* The parser of one direction. */
struct aq_side {
	uint8_t phase;        /* enum aq_phase */
	bool strict;          /* after a resync: judged by resync()'s rule */
	bool body_mine;       /* the body frame being received is the content's */
	uint32_t lost;        /* messages lost to resync since the last FRAME */
	uint64_t frame_left;  /* bytes of the body frame still to come */
	/* the content-bearing method waiting for its header and body */
	bool busy, got_header, ctrunc;
	uint16_t channel;
	int ckind;
	uint64_t cflags;      /* AQ_K_* of it */
	uint64_t body_size, body_got;
	uint8_t *keep;
	size_t keep_len, keep_cap, keep_lim;
	struct adi_jw cw;     /* its members */
	struct adi_jw w;      /* a method message being written */
};

struct amqp_state {
	enum adi_dir cmd_dir;
	struct aq_side side[2];
};

static struct aq_side *aq_side_of(struct amqp_state *st, enum adi_dir d)
{
	return &st->side[d == ADI_DIR_OUT ? 0 : 1];
}

static enum adi_dir aq_cmd_dir(const struct amqp_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

static const uint8_t aq_header[8] = { 'A', 'M', 'Q', 'P', 0, 0, 9, 1 };

/* ---- messages ---- */

/* The members a method starts with, and its arguments (in c); false when
 * malformed. *flags gets AQ_K_NOWAIT when no_wait was set. */
static bool aq_method_members(struct adi_jw *w, unsigned cls, unsigned mid, uint16_t ch,
			      struct adi_cur *c, const struct adi_proto_cfg *cfg, uint64_t *flags)
{
	const struct aq_method *md = aq_method_find(cls, mid);
	const uint8_t *dst = NULL;
	size_t dn = 0;
	bool nowait = false;
	struct adi_jw args;
	bool ok;

	*flags = 0;
	if (!md)
		return false;
	/* the arguments first, into their own writer: the destination is
	 * one of them and comes before them in the event */
	adi_jw_init(&args);
	ok = aq_args_write(&args, md, c, cfg->show_secrets, &nowait, &dst, &dn) &&
	     !adi_cur_left(c);
	if (ok) {
		adi_jw_kstr(w, "system", "amqp");
		adi_jw_kstr(w, "op", md->name);
		adi_jw_key(w, "destination");
		if (dst)
			adi_jw_bytes(w, dst, dn);
		else
			adi_jw_null(w);
		adi_jw_kint(w, "channel", ch);
		adi_jw_kraw(w, "arguments", adi_jw_get(&args, "arguments"));
	}
	adi_jw_fini(&args);
	if (nowait)
		*flags |= AQ_K_NOWAIT;
	return ok;
}

static void aq_content_reset(struct aq_side *sd)
{
	sd->busy = sd->got_header = sd->ctrunc = false;
	sd->body_size = sd->body_got = 0;
	sd->keep_len = 0;
	adi_jw_reset(&sd->cw);
}

static void aq_out(struct aq_side *sd, struct adi_jw *w, int kind, uint64_t key, struct adi_msg *out)
{
	uint64_t lost = sd->lost < 0xffff ? sd->lost : 0xffff;

	out->kind = kind;
	out->key = key | lost << AQ_K_LOST_SHIFT;
	if (adi_jw_copy(&out->f, w))
		out->key |= AQ_K_TRUNC;
	sd->lost = 0;
}

/* The content message is complete (or cut: cut): its payload members,
 * then the message. */
static void aq_content_frame(struct aq_side *sd, struct adi_msg *out, bool cut)
{
	struct adi_jw *w = &sd->cw;

	if (sd->got_header)
		adi_jw_ku64(w, "payload_bytes", sd->body_size);
	else
		adi_jw_knull(w, "payload_bytes");
	adi_jw_kbytes(w, "payload", sd->keep_len ? sd->keep : (const uint8_t *)"", sd->keep_len);
	if (cut || sd->body_size > sd->keep_len)
		sd->ctrunc = true;
	aq_out(sd, w, sd->ckind, sd->channel | sd->cflags | (sd->ctrunc ? AQ_K_TRUNC : 0), out);
	aq_content_reset(sd);
}

/* Body bytes of the content kept (its first --body-bytes). */
static void aq_keep(struct aq_side *sd, const uint8_t *b, size_t k)
{
	size_t room = sd->keep_lim > sd->keep_len ? sd->keep_lim - sd->keep_len : 0;

	if (k > room)
		k = room;
	if (!adi_bytes_append(&sd->keep, &sd->keep_len, &sd->keep_cap, b, k))
		sd->keep_lim = sd->keep_len; /* out of memory: keep what fits */
}

/* ---- frames ---- */

/* How plausible a frame start at b[0..n) is, for resync and sniff: 2 a
 * whole method frame of a known method whose arguments decode, 1 a prefix
 * of one, 0 not one. */
static int aq_plausible(const uint8_t *b, size_t n)
{
	uint32_t size;

	if (!n)
		return 1;
	if (b[0] != 1)
		return 0;
	if (n < 7)
		return 1;
	size = adi_ld_be32(b + 3);
	if (size < 4 || (uint64_t)size + 8 > AQ_HOLD)
		return 0;
	if (n >= 11 && !aq_method_find(adi_ld_be16(b + 7), adi_ld_be16(b + 9)))
		return 0;
	if (n < (size_t)size + 8)
		return 1;
	if (b[7 + size] != AQ_FRAME_END)
		return 0;
	{
		struct adi_cur c = adi_cur_make(b + 11, size - 4);
		struct adi_proto_cfg cfg = { 0 };
		struct adi_jw w;
		uint64_t fl;
		bool ok;

		adi_jw_init(&w);
		ok = aq_method_members(&w, adi_ld_be16(b + 7), adi_ld_be16(b + 9), 0, &c, &cfg, &fl);
		adi_jw_fini(&w);
		return ok ? 2 : 0;
	}
}

/* How a loop that stopped at pos ends (error: the bytes at pos are no
 * frame). */
static enum adi_parse aq_stop(size_t pos, size_t *used, bool error)
{
	*used = pos;
	return error && !pos ? ADI_PARSE_BAD : ADI_PARSE_AGAIN;
}

/* parse(): see proto.h. Method and content header frames are held whole
 * (up to 64 KiB); body frames are consumed as they come, the content's
 * first --body-bytes kept; heartbeats and the protocol header are SKIPped.
 * A content-bearing method (basic.publish, .deliver, .return, .get-ok)
 * becomes one message with its header and body frames, which may arrive
 * with other channels' methods between them (those are messages of their
 * own meanwhile). */
static enum adi_parse amqp_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
				 const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct amqp_state *st = vst;
	struct aq_side *sd = aq_side_of(st, dir);
	size_t pos = 0;

	*used = 0;
	if (!b) {
		if (!sd->busy)
			return ADI_PARSE_AGAIN;
		aq_content_frame(sd, out, true);
		out->incomplete = true;
		return ADI_PARSE_FRAME;
	}
	if (!n)
		return ADI_PARSE_AGAIN;
	if (sd->strict && sd->phase == AQ_FRAME) {
		int s = aq_plausible(b, n);

		if (s != 2)
			return s ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
		sd->strict = false;
	}
	for (;;) {
		uint32_t size;
		uint16_t ch;
		uint8_t type;

		if (sd->phase == AQ_BODY) {
			size_t k = n - pos < sd->frame_left ? n - pos : (size_t)sd->frame_left;

			if (sd->body_mine) {
				aq_keep(sd, b + pos, k);
				sd->body_got += k;
			}
			pos += k;
			sd->frame_left -= k;
			if (sd->frame_left)
				return aq_stop(pos, used, false);
			sd->phase = AQ_END;
		}
		if (sd->phase == AQ_END) {
			if (pos == n)
				return aq_stop(pos, used, false);
			if (b[pos] != AQ_FRAME_END)
				return aq_stop(pos, used, true);
			pos++;
			sd->phase = AQ_FRAME;
			if (sd->body_mine && sd->body_got >= sd->body_size) {
				*used = pos;
				aq_content_frame(sd, out, false);
				return ADI_PARSE_FRAME;
			}
		}
		if (pos == n)
			return aq_stop(pos, used, false);
		if (b[pos] == 'A') {
			/* the protocol header (the client's, or the server's
			 * answer to a version it does not speak) */
			size_t k = n - pos < 8 ? n - pos : 8;

			if (memcmp(b + pos, aq_header, 4 < k ? 4 : k))
				return aq_stop(pos, used, true);
			if (pos || k < 8)
				return aq_stop(pos, used, false);
			*used = 8;
			return ADI_PARSE_SKIP;
		}
		if (n - pos < 7)
			return aq_stop(pos, used, false);
		type = b[pos];
		ch = adi_ld_be16(b + pos + 1);
		size = adi_ld_be32(b + pos + 3);
		if (type == 3) {
			pos += 7;
			sd->phase = AQ_BODY;
			sd->frame_left = size;
			sd->body_mine = sd->busy && sd->got_header && ch == sd->channel;
			continue;
		}
		if ((type != 1 && type != 2 && type != 8) || (uint64_t)size + 8 > AQ_HOLD)
			return aq_stop(pos, used, true);
		if (n - pos < (size_t)size + 8)
			return aq_stop(pos, used, false);
		if (b[pos + 7 + size] != AQ_FRAME_END)
			return aq_stop(pos, used, true);
		if (type == 8) {
			if (pos)
				return aq_stop(pos, used, false);
			*used = size + 8;
			return ADI_PARSE_SKIP;
		}
		if (type == 2) {
			struct adi_cur c = adi_cur_make(b + pos + 7, size);
			uint16_t cls, weight;
			uint64_t bsize;

			if (!sd->busy || sd->got_header || ch != sd->channel) {
				pos += size + 8; /* no method waits for it */
				continue;
			}
			if (!adi_cur_be16(&c, &cls) || !adi_cur_be16(&c, &weight) ||
			    !adi_cur_be64(&c, &bsize) || !aq_props_write(&sd->cw, &c))
				return aq_stop(pos, used, true);
			sd->got_header = true;
			sd->body_size = bsize;
			sd->keep_lim = cfg->body_bytes;
			pos += size + 8;
			if (!bsize) {
				*used = pos;
				aq_content_frame(sd, out, false);
				return ADI_PARSE_FRAME;
			}
			continue;
		}
		{
			struct adi_cur c = adi_cur_make(b + pos + 11, size >= 4 ? size - 4 : 0);
			unsigned cls, mid;
			const struct aq_method *md;
			uint64_t fl;

			if (size < 4)
				return aq_stop(pos, used, true);
			cls = adi_ld_be16(b + pos + 7);
			mid = adi_ld_be16(b + pos + 9);
			md = aq_method_find(cls, mid);
			if (md && md->content) {
				if (sd->busy)
					sd->lost++; /* its content never came */
				aq_content_reset(sd);
				if (!aq_method_members(&sd->cw, cls, mid, ch, &c, cfg, &fl))
					return aq_stop(pos, used, true);
				sd->busy = true;
				sd->channel = ch;
				sd->ckind = AQ_KIND(cls, mid);
				sd->cflags = fl;
				pos += size + 8;
				continue;
			}
			adi_jw_reset(&sd->w);
			if (!aq_method_members(&sd->w, cls, mid, ch, &c, cfg, &fl))
				return aq_stop(pos, used, true);
			adi_jw_knull(&sd->w, "payload_bytes");
			adi_jw_knull(&sd->w, "payload");
			*used = pos + size + 8;
			aq_out(sd, &sd->w, AQ_KIND(cls, mid), ch | fl, out);
			return ADI_PARSE_FRAME;
		}
	}
}

/* gap(): inside a body frame of known length the lost bytes are absorbed
 * (the content keeps what came before them and is marked cut); elsewhere
 * false: the engine resyncs. */
static bool amqp_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct amqp_state *st = vst;
	struct aq_side *sd = aq_side_of(st, dir);

	if (sd->phase != AQ_BODY || n > sd->frame_left)
		return false;
	sd->frame_left -= n;
	if (sd->body_mine) {
		sd->body_got += n;
		sd->keep_lim = sd->keep_len;
		sd->ctrunc = true;
	}
	if (!sd->frame_left)
		sd->phase = AQ_END;
	return true;
}

/* resync(): the first offset of b where a whole method frame of a known
 * method that decodes plausibly starts (aq_plausible), or a prefix of one
 * cut by the end of b; n when none. A content in progress is dropped and
 * counted as lost. */
static size_t amqp_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct amqp_state *st = vst;
	struct aq_side *sd = aq_side_of(st, dir);

	if (sd->busy || sd->phase != AQ_FRAME)
		sd->lost++;
	aq_content_reset(sd);
	sd->phase = AQ_FRAME;
	sd->strict = true;
	for (size_t i = 0; i < n; i++)
		if (b[i] == 1 && aq_plausible(b + i, n - i))
			return i;
	return n;
}

/* ---- stitch ---- */

static bool aq_is_close(int k)
{
	return k == AQ_KIND(20, 40) || k == AQ_KIND(10, 50);
}

/* The error of a close message (its reply text when its code is not
 * 200), as a view, or absent. */
static struct adi_jv aq_close_text(const struct adi_msg *m)
{
	struct adi_jv args = adi_jw_get(&m->f, "arguments"), none = { NULL, 0 };

	if (!aq_is_close(m->kind) || adi_jv_int(adi_jv_get(args, "reply_code"), 200) == 200)
		return none;
	return adi_jv_get(args, "reply_text");
}

/* One message_op event: method m, and r: its -ok (ok true), or the close
 * that refused it (ok false), or NULL. */
static void aq_emit(struct adi_emit *em, const struct adi_msg *m, const struct adi_msg *r, bool ok)
{
	struct adi_jw *w = adi_emit_begin(em);
	struct adi_jv err = aq_close_text(m);
	bool trunc = (m->key & AQ_K_TRUNC) || (r && (r->key & AQ_K_TRUNC));
	int64_t ts_end = -1;

	adi_jw_splice(w, &m->f);
	if (r && !ok)
		err = aq_close_text(r);
	adi_jw_kraw(w, "error", err);
	if (r && ok) {
		/* the answer's members but the ones the event has already */
		struct adi_jv_it it = adi_jv_iter_list(adi_jw_text(&r->f));
		struct adi_jv k, v;

		adi_jw_kobj(w, "reply");
		while (adi_jv_next(&it, &k, &v)) {
			size_t kn;
			const char *ks = adi_jv_plain(k, &kn);

			/* (payload members only when the answer has content) */
			if (!ks || (kn == 6 && !memcmp(ks, "system", 6)) ||
			    (kn == 11 && !memcmp(ks, "destination", 11)) ||
			    (kn == 7 && !memcmp(ks, "channel", 7)) ||
			    (adi_jv_type(v) == ADI_J_NULL && kn >= 7 && !memcmp(ks, "payload", 7)))
				continue;
			adi_jw_keyn_plain(w, ks, kn);
			adi_jw_raw(w, v.p, v.n);
		}
		adi_jw_obj_end(w);
	}
	adi_jw_ku64(w, "req_bytes", m->wire_bytes);
	adi_jw_ku64(w, "resp_bytes", r && ok ? r->wire_bytes : 0);
	adi_jw_kbool(w, "truncated", trunc);
	if (m->incomplete || (r && r->incomplete))
		adi_jw_kbool(w, "incomplete", true);
	if (r)
		ts_end = r->ts_last < m->ts_first ? (int64_t)m->ts_first : (int64_t)r->ts_last;
	em->emit(em, "message_op", m->ts_first, ts_end);
}

/* stitch(): messages of both directions in the order they started. A
 * synchronous method (one with an -ok, no_wait not set) is written with
 * the first -ok of its class on its channel from the other side
 * (basic.get: get-ok or get-empty), or, when a channel.close on its channel
 * or a connection.close comes first, with that close's error (the close
 * stays an event of its own, with its close-ok); while neither has come
 * (and fewer than AQ_WAIT_MAX messages wait behind), nothing later is
 * written. Everything else is an event of its own. */
static void amqp_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			struct adi_emit *em, bool final)
{
	struct amqp_state *st = vst;
	struct adi_msgq *cq = aq_cmd_dir(st) == ADI_DIR_OUT ? out_q : in_q;
	struct adi_msgq *sq = cq == out_q ? in_q : out_q;

	for (;;) {
		struct adi_msg *c = cq->head, *s = sq->head, *m, *r = NULL, *prev = NULL;
		struct adi_msgq *mq, *oq;
		const struct aq_method *md;
		bool ok = false;

		if (!c && !s)
			return;
		if (c && (!s || c->ts_first <= s->ts_first)) {
			m = c, mq = cq, oq = sq;
		} else {
			m = s, mq = sq, oq = cq;
		}
		md = aq_method_find(AQ_CLASS(m->kind), AQ_METHOD(m->kind));
		if (md && md->ok && !(m->key & AQ_K_NOWAIT)) {
			for (struct adi_msg *x = oq->head; x; prev = x, x = x->next) {
				bool same_ch = AQ_K_CHANNEL(x->key) == AQ_K_CHANNEL(m->key);

				if (same_ch && AQ_CLASS(x->kind) == md->cls &&
				    (AQ_METHOD(x->kind) == md->ok ||
				     (md->cls == 60 && md->id == 70 && AQ_METHOD(x->kind) == 72))) {
					r = x;
					ok = true;
					break;
				}
				if (!aq_is_close(m->kind) &&
				    ((same_ch && x->kind == AQ_KIND(20, 40)) || x->kind == AQ_KIND(10, 50))) {
					r = x; /* refused: the close answers it, and stays */
					break;
				}
			}
			if (!r && !final && oq->len < AQ_WAIT_MAX)
				return; /* its answer may be coming */
		}
		adi_msgq_pop(mq);
		if (r && ok)
			adi_msgq_unlink(oq, prev, r);
		aq_emit(em, m, r, ok);
		adi_msg_free(m);
		if (ok)
			adi_msg_free(r);
	}
}

/* ---- sniff, start, fini ---- */

/* sniff(): thresholds (the claim is ADI_SNIFF_CLAIM, 60).
 *  - 100: the client's protocol header "AMQP" 0 0 9 1 (any other version
 *    bytes: 0, AMQP 1.0 is another protocol);
 *  - 95: the server's first frame: a method frame on channel 0 whose
 *    class and method are connection.start (10, 10): enough from its
 *    first 11 bytes, the frame is often longer than a preview;
 *  - 55: another whole method frame of a known method that decodes (a
 *    connection joined mid-session), +15 on port 5672: claimed there only;
 *  - -1: fewer than 64 bytes that may still be one of these; 0 otherwise. */
static int amqp_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	uint16_t port = c->server_side ? c->local_port : c->remote_port;
	int s;

	if (!n)
		return -1;
	if (b[0] == 'A') {
		size_t k = n < 8 ? n : 8;

		if (memcmp(b, aq_header, k))
			return 0;
		return n < 8 ? -1 : 100;
	}
	if (b[0] != 1)
		return 0;
	if (n < 11)
		return -1;
	if (!memcmp(b + 1, "\x00\x00", 2) && !memcmp(b + 7, "\x00\x0a\x00\x0a", 4))
		return 95;
	s = aq_plausible(b, n);
	if (s == 1)
		return n < 64 ? -1 : 0;
	if (!s)
		return 0;
	return 55 + (port == AQ_PORT ? 15 : 0);
}

static void amqp_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct amqp_state *st = vst;

	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
}

static void amqp_fini(void *vst)
{
	struct amqp_state *st = vst;

	for (int i = 0; i < 2; i++) {
		free(st->side[i].keep);
		st->side[i].keep = NULL;
		adi_jw_fini(&st->side[i].cw);
		adi_jw_fini(&st->side[i].w);
	}
}

const struct adi_proto adi_proto_amqp = {
	.name = "amqp",
	.state_size = sizeof(struct amqp_state),
	.start = amqp_start,
	.sniff = amqp_sniff,
	.parse = amqp_parse,
	.gap = amqp_gap,
	.resync = amqp_resync,
	.stitch = amqp_stitch,
	.fini = amqp_fini,
};
