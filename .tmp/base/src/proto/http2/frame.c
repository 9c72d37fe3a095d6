/* frame.c - the frame layer of the HTTP/2 decoder (RFC 9113): the client
 * preface, frame headers and their rules, payload layouts (padding,
 * priority, promised ids), SETTINGS / GOAWAY / RST_STREAM, one frame per
 * parse() call (small payloads whole, large ones piecewise), gaps, resync
 * and sniffing. Header block fragments go to hpack.c, DATA content to
 * grpc.c, streams live in stitch.c. Owns no memory of its own.
 */
#include <stdio.h>
#include <string.h>

#include "h2.h"
#include "../../lib/cursor.h"

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN 24

/* ---- frames ----
 *
 * Frame (RFC 9113 4.1, https://www.rfc-editor.org/rfc/rfc9113#section-4.1):
 *
 *   +-----------------------------------------------+
 *   |                 Length (24)                   |
 *   +---------------+---------------+---------------+
 *   |   Type (8)    |   Flags (8)   |
 *   +-+-------------+---------------+-------------------------------+
 *   |R|                 Stream Identifier (31)                      |
 *   +=+=============================================================+
 *   |                   Frame Payload (Length)                    ...
 *   +---------------------------------------------------------------+
 *
 * Payload layouts (6.1-6.10):
 *   DATA           [Pad Length (8)] data [padding]          END_STREAM, PADDED
 *   HEADERS        [Pad Length] [E|Dependency (32), Weight (8)] block [padding]
 *                                    END_STREAM, END_HEADERS, PADDED, PRIORITY
 *   PRIORITY       E|Dependency (32), Weight (8)
 *   RST_STREAM     Error Code (32)
 *   SETTINGS       n x { Identifier (16), Value (32) }       ACK
 *   PUSH_PROMISE   [Pad Length] R|Promised Stream ID (32) block [padding]
 *   PING           Opaque Data (64)                          ACK
 *   GOAWAY         R|Last-Stream-ID (32), Error Code (32), debug data
 *   WINDOW_UPDATE  R|Window Size Increment (32)
 *   CONTINUATION   block                                     END_HEADERS
 * A header block is one HEADERS or PUSH_PROMISE and the CONTINUATIONs that
 * follow it on the same stream, with nothing in between (4.3).
 */

/* Frame flags each known type defines (what a resync accepts). */
static const uint8_t h2_flags_defined[10] = {
	[H2_DATA] = H2_F_END_STREAM | H2_F_PADDED,
	[H2_HEADERS] = H2_F_END_STREAM | H2_F_END_HEADERS | H2_F_PADDED | H2_F_PRIORITY,
	[H2_SETTINGS] = H2_F_ACK,
	[H2_PUSH_PROMISE] = H2_F_END_HEADERS | H2_F_PADDED,
	[H2_PING] = H2_F_ACK,
	[H2_CONTINUATION] = H2_F_END_HEADERS,
};

/* The frame header at b, whose 9 bytes the caller has checked are there. */
static void h2_fhdr_read(const uint8_t *b, struct h2_fhdr *f)
{
	f->len = adi_ld_be24(b);
	f->type = b[3];
	f->flags = b[4];
	f->sid = adi_ld_be32(b + 5) & 0x7fffffffu;
	f->r = b[5] & 0x80;
}

/* The frame rules of 4.1-6.10 a receiver checks from the header alone.
 * strict (sniffing, resync): also only known types, defined flags, R 0.
 * max: the largest frame the receiver allows. */
static bool h2_fhdr_ok(const struct h2_fhdr *f, uint32_t max, bool strict)
{
	if (f->len > max)
		return false;
	if (strict && (f->type > H2_CONTINUATION || f->r ||
		       (f->flags & ~h2_flags_defined[f->type])))
		return false;
	switch (f->type) {
	case H2_DATA:
	case H2_HEADERS:
	case H2_CONTINUATION:
		return f->sid != 0;
	case H2_PRIORITY:
		return f->sid != 0 && f->len == 5;
	case H2_RST_STREAM:
		return f->sid != 0 && f->len == 4;
	case H2_SETTINGS:
		return f->sid == 0 && f->len % 6 == 0 && f->len <= H2_HOLD_MAX &&
		       (!(f->flags & H2_F_ACK) || f->len == 0);
	case H2_PUSH_PROMISE:
		return f->sid != 0 && f->len >= 4;
	case H2_PING:
		return f->sid == 0 && f->len == 8;
	case H2_GOAWAY:
		return f->sid == 0 && f->len >= 8;
	case H2_WINDOW_UPDATE:
		return f->len == 4;
	default:
		return true; /* extension frames are skipped (5.5) */
	}
}

/* Bytes of the payload before the content (pad length, priority, promised
 * id, or the fields of a control frame) given its first byte p0 (the pad
 * length when PADDED), and the padding after it; false when they do not
 * fit in the payload (a PROTOCOL_ERROR, 6.1). */
static bool h2_layout(const struct h2_fhdr *f, uint8_t p0, uint32_t *pre, uint32_t *pad)
{
	*pre = 0;
	*pad = 0;
	switch (f->type) {
	case H2_DATA:
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
		if (f->flags & H2_F_PADDED) {
			if (f->len < 1)
				return false;
			*pad = p0;
			*pre = 1;
		}
		if (f->type == H2_HEADERS && (f->flags & H2_F_PRIORITY))
			*pre += 5;
		if (f->type == H2_PUSH_PROMISE)
			*pre += 4;
		return (uint64_t)*pre + *pad <= f->len;
	case H2_RST_STREAM:
	case H2_WINDOW_UPDATE:
		*pre = 4;
		return true;
	case H2_PRIORITY:
		*pre = 5;
		return true;
	case H2_PING:
	case H2_GOAWAY:
		*pre = 8;
		return true;
	case H2_SETTINGS:
		*pre = f->len;
		return true;
	default:
		return true;
	}
}

static const char *const h2_errors[] = {
	"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
	"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
	"CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
	"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
};

/* The name of an error code (7.), or "0x..." for another. */
void h2_error_name(struct adi_jw *w, uint32_t code)
{
	char buf[16];

	if (code < sizeof(h2_errors) / sizeof(h2_errors[0])) {
		adi_jw_str(w, h2_errors[code]);
		return;
	}
	snprintf(buf, sizeof(buf), "0x%x", code);
	adi_jw_str(w, buf);
}

/* ---- SETTINGS, GOAWAY, RST_STREAM ---- */

/* SETTINGS (6.5) sent in direction dir. Its values bind what the other
 * direction sends once that direction acknowledges them: a smaller
 * SETTINGS_HEADER_TABLE_SIZE is applied to the other direction's table at
 * its ACK (in that direction's byte order, exactly where the encoder must
 * follow it), a larger one at once (a larger table than the encoder's
 * decodes the same). SETTINGS_MAX_FRAME_SIZE only grows what we accept. */
static void h2_settings(struct http2_state *st, enum adi_dir dir, const struct h2_fhdr *f,
			const uint8_t *pl)
{
	struct h2_side *me = h2_side_of(st, dir), *peer = h2_side_of(st, h2_other(dir));
	struct adi_cur c = adi_cur_make(pl, f->len);
	int64_t want = -1;

	if (f->flags & H2_F_ACK) {
		/* dir acknowledges the peer's oldest SETTINGS */
		if (peer->nunacked) {
			int64_t t = peer->unacked[0];

			memmove(peer->unacked, peer->unacked + 1,
				--peer->nunacked * sizeof(peer->unacked[0]));
			if (t >= 0)
				h2_table_set(me, (uint32_t)t);
		}
		return;
	}
	while (adi_cur_left(&c) >= 6) {
		uint16_t id;
		uint32_t v;

		adi_cur_be16(&c, &id);
		adi_cur_be32(&c, &v);
		if (id == 1)
			want = v;
		else if (id == 5 && v > peer->max_frame && v <= 0xffffff)
			peer->max_frame = v;
	}
	if (want > (int64_t)peer->table)
		h2_table_set(peer, (uint32_t)want);
	if (me->nunacked == H2_MAX_UNACKED) {
		/* more outstanding than we follow: the oldest applies now */
		if (me->unacked[0] >= 0)
			h2_table_set(peer, (uint32_t)me->unacked[0]);
		memmove(me->unacked, me->unacked + 1, --me->nunacked * sizeof(me->unacked[0]));
	}
	me->unacked[me->nunacked++] = want;
}

/* GOAWAY (6.8) sent in direction dir: the streams its receiver initiated
 * above Last-Stream-ID were not processed; they end with the error code.
 * pl holds the 8 bytes of those two fields. True when one did. */
static bool h2_goaway(struct http2_state *st, enum adi_dir dir, const uint8_t *pl)
{
	uint32_t last = adi_ld_be32(pl) & 0x7fffffffu, code = adi_ld_be32(pl + 4);
	/* the client initiates odd streams, the server even ones */
	uint32_t parity = dir == st->client_dir ? 0 : 1;
	bool any = false;

	for (size_t i = 0; i < st->nstreams; i++) {
		struct h2_stream *s = st->streams[i];

		if ((s->sid & 1) == parity && s->sid > last && s->goaway < 0 && s->reset < 0) {
			s->goaway = code;
			s->goaway_ts = true;
			any = true;
		}
	}
	return any;
}

/* ---- frame processing ---- */

/* What the frame ending now marks: a FRAME of kind HTTP2_MARK. */
static void h2_mark(struct h2_side *sd, uint32_t sid)
{
	sd->mark = true;
	sd->mark_sid = sid;
}

/* The first mid-session sign on the client's side: neither direction's
 * table is known. */
static void h2_midsession(struct http2_state *st)
{
	st->midsession = true;
	for (int i = 0; i < 2; i++) {
		st->side[i].start_ok = false;
		h2_side_lose(&st->side[i]);
	}
}

/* A frame's header and its fields before the content (pl[0..pre)) are in:
 * act on them. */
static void h2_frame_start(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
			   const struct h2_fhdr *f, const uint8_t *pl, uint32_t pre)
{
	struct h2_stream *s;
	bool created;

	sd->ignore = false;
	if (sd->in_block && f->type != H2_CONTINUATION)
		h2_block_abort(st, sd, dir); /* 4.3: nothing may come between */
	switch (f->type) {
	case H2_DATA:
		s = h2_get(st, f->sid, true, false, &created);
		if (created)
			h2_mark(sd, f->sid);
		sd->ignore = !s;
		break;
	case H2_HEADERS:
		h2_block_begin(sd, f, 0);
		break;
	case H2_PUSH_PROMISE:
		h2_block_begin(sd, f, adi_ld_be32(pl + pre - 4) & 0x7fffffffu);
		break;
	case H2_CONTINUATION:
		if (!sd->in_block || f->sid != sd->block_sid) {
			h2_side_lose(sd); /* the start of its block was lost */
			sd->ignore = true;
		}
		break;
	case H2_RST_STREAM:
		s = h2_find(st, f->sid);
		if (s && s->reset < 0) {
			s->reset = adi_ld_be32(pl);
			h2_mark(sd, f->sid);
		}
		break;
	case H2_SETTINGS:
		h2_settings(st, dir, f, pl);
		break;
	case H2_GOAWAY:
		if (h2_goaway(st, dir, pl))
			h2_mark(sd, 0);
		break;
	default:
		break; /* PRIORITY, PING, WINDOW_UPDATE, extensions */
	}
}

/* Content bytes of the current frame (data, or a header block fragment). */
static void h2_frame_content(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
			     const struct adi_proto_cfg *cfg, const uint8_t *p, size_t n)
{
	struct h2_stream *s;

	if (sd->ignore || !n)
		return;
	switch (sd->f.type) {
	case H2_DATA:
		s = h2_find(st, sd->f.sid);
		if (s)
			h2_data(s, h2_half_of(st, s, dir), p, n, cfg);
		break;
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		if (sd->in_block)
			h2_block_feed(sd, p, n);
		break;
	default:
		break;
	}
}

static void h2_frame_end(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
			 const struct adi_proto_cfg *cfg)
{
	struct h2_stream *s;
	uint32_t sid;

	if (sd->ignore)
		return;
	switch (sd->f.type) {
	case H2_DATA:
		s = h2_find(st, sd->f.sid);
		if (s && (sd->f.flags & H2_F_END_STREAM)) {
			h2_half_of(st, s, dir)->ended = true;
			h2_mark(sd, s->sid);
		}
		break;
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		if (sd->in_block && (sd->f.flags & H2_F_END_HEADERS)) {
			sid = h2_block_done(st, sd, dir, cfg);
			h2_block_reset(sd);
			h2_table_apply(sd);
			if (sid)
				h2_mark(sd, sid);
		}
		break;
	default:
		break;
	}
}

/* How a frame that ended here is reported: a FRAME when it marks a stream
 * or closes bytes taken piecewise, AGAIN inside a header block (its FRAME
 * comes with END_HEADERS, timed from the HEADERS), else SKIP. */
static enum adi_parse h2_result(struct h2_side *sd, size_t pos, size_t *used,
				struct adi_msg *out)
{
	*used = pos;
	if (sd->mark) {
		out->kind = HTTP2_MARK;
		out->key = sd->mark_sid;
		sd->mark = false;
		sd->pend = false;
		return ADI_PARSE_FRAME;
	}
	if (sd->in_block) {
		sd->pend = true;
		return ADI_PARSE_AGAIN;
	}
	if (sd->pend) {
		out->kind = HTTP2_NONE;
		sd->pend = false;
		return ADI_PARSE_FRAME;
	}
	return ADI_PARSE_SKIP;
}

/* The content and padding of the current frame from b[pos]; the frame
 * ends when they are all in. */
static enum adi_parse h2_payload(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
				 const struct adi_proto_cfg *cfg, const uint8_t *b, size_t n,
				 size_t pos, size_t *used, struct adi_msg *out)
{
	size_t k = n - pos < sd->left ? n - pos : sd->left;

	h2_frame_content(st, sd, dir, cfg, b + pos, k);
	pos += k;
	sd->left -= (uint32_t)k;
	if (!sd->left) {
		k = n - pos < sd->pad ? n - pos : sd->pad;
		pos += k;
		sd->pad -= (uint32_t)k;
	}
	if (sd->left || sd->pad) {
		*used = pos;
		sd->pend = true;
		return ADI_PARSE_AGAIN;
	}
	sd->phase = H2_PH_FRAME;
	h2_frame_end(st, sd, dir, cfg);
	return h2_result(sd, pos, used, out);
}

/* The first bytes of a direction: the client's connection preface (3.4),
 * or on the server's side its SETTINGS. Anything else, or a gap first:
 * joined mid-session, the dynamic tables are unknown. Returns true with *r
 * when the call ends here. */
static bool h2_start_dir(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
			 const uint8_t *b, size_t n, size_t *used, enum adi_parse *r)
{
	size_t k = n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN;
	struct h2_fhdr f;

	if (!memcmp(b, h2_preface, k)) {
		*r = ADI_PARSE_AGAIN;
		if (n < H2_PREFACE_LEN)
			return true;
		sd->phase = H2_PH_FRAME;
		sd->start_ok = !st->midsession;
		st->preface_seen = true;
		st->client_dir = dir;
		st->dir_learnt = true;
		*used = H2_PREFACE_LEN;
		*r = ADI_PARSE_SKIP;
		return true;
	}
	if (n < 9) {
		*r = ADI_PARSE_AGAIN;
		return true;
	}
	sd->phase = H2_PH_FRAME;
	h2_fhdr_read(b, &f);
	if (dir == st->client_dir && !st->preface_seen) {
		h2_midsession(st);
		return false;
	}
	sd->start_ok = !st->midsession && f.type == H2_SETTINGS &&
		       !(f.flags & H2_F_ACK) && f.sid == 0;
	if (!sd->start_ok)
		h2_side_lose(sd);
	return false;
}

/* A gap or a resync where a direction starts. */
static void h2_start_lost(struct http2_state *st, struct h2_side *sd, enum adi_dir dir)
{
	sd->phase = H2_PH_FRAME;
	if (dir == st->client_dir && !st->preface_seen)
		h2_midsession(st);
	sd->start_ok = false;
	h2_side_lose(sd);
}

/* ---- the adi_proto callbacks: parsing ---- */

/* parse(): see proto.h. One frame per call. Payloads up to H2_HOLD_MAX are
 * taken whole (AGAIN with *used 0 until they are in); larger ones (DATA or
 * header block fragments above the default frame size) piecewise, AGAIN
 * with *used > 0, ending in a FRAME. A FRAME is a time mark (http2.h): a
 * stream opened, a header block or a direction of a stream ended, a reset,
 * a GOAWAY. */
enum adi_parse http2_parse(void *vst, const struct adi_proto_cfg *cfg,
			   enum adi_dir dir, const uint8_t *b, size_t n,
			   size_t *used, struct adi_msg *out)
{
	struct http2_state *st = vst;
	struct h2_side *sd = h2_side_of(st, dir);
	struct h2_fhdr f;
	uint32_t pre, pad;
	enum adi_parse r;

	*used = 0;
	if (!b)
		return ADI_PARSE_AGAIN; /* streams still open end at the final stitch */
	if (sd->phase == H2_PH_START && h2_start_dir(st, sd, dir, b, n, used, &r))
		return r;
	if (sd->phase == H2_PH_PAYLOAD)
		return h2_payload(st, sd, dir, cfg, b, n, 0, used, out);
	if (n < 9)
		return ADI_PARSE_AGAIN;
	h2_fhdr_read(b, &f);
	if (!h2_fhdr_ok(&f, sd->max_frame, sd->strict) ||
	    (sd->strict && f.type == H2_CONTINUATION))
		goto bad;
	if (f.len <= H2_HOLD_MAX && n - 9 < f.len)
		return ADI_PARSE_AGAIN;
	if (f.len && n < 10)
		return ADI_PARSE_AGAIN; /* the pad length decides the layout */
	if (!h2_layout(&f, f.len ? b[9] : 0, &pre, &pad))
		goto bad;
	if (n - 9 < pre)
		return ADI_PARSE_AGAIN;
	sd->strict = false;
	sd->f = f;
	sd->left = f.len - pre - pad;
	sd->pad = pad;
	sd->phase = H2_PH_PAYLOAD;
	h2_frame_start(st, sd, dir, &f, b + 9, pre);
	return h2_payload(st, sd, dir, cfg, b, n, 9 + pre, used, out);
bad:
	sd->pend = false; /* the engine drops the message in progress */
	return ADI_PARSE_BAD;
}

/* gap(): bytes lost inside the content or padding of a frame taken
 * piecewise are absorbed (the stream's direction is incomplete; a header
 * block loses its fields and the table is unknown from then on). Any other
 * gap loses the framing: false, and the next bytes are resynced. */
bool http2_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct http2_state *st = vst;
	struct h2_side *sd = h2_side_of(st, dir);
	struct h2_stream *s;
	uint64_t k;

	if (sd->phase == H2_PH_START) {
		h2_start_lost(st, sd, dir);
		return false;
	}
	if (sd->phase != H2_PH_PAYLOAD)
		return false;
	s = sd->f.type == H2_DATA && !sd->ignore ? h2_find(st, sd->f.sid) : NULL;
	if (s) {
		struct h2_half *h = h2_half_of(st, s, dir);

		k = n < sd->left ? n : sd->left;
		h->bytes += k;
		h->incomplete = true;
	}
	if (sd->in_block && sd->f.type != H2_DATA)
		h2_block_abort(st, sd, dir);
	if (n > (uint64_t)sd->left + sd->pad) {
		sd->phase = H2_PH_FRAME;
		if (s && (sd->f.flags & H2_F_END_STREAM))
			h2_half_of(st, s, dir)->ended = true;
		return false;
	}
	k = n < sd->left ? n : sd->left;
	sd->left -= (uint32_t)k;
	sd->pad -= (uint32_t)(n - k);
	if (!sd->left && !sd->pad) {
		sd->phase = H2_PH_FRAME;
		h2_frame_end(st, sd, dir, NULL);
		/* its mark would be a FRAME of nothing: the next one closes it */
		sd->mark = false;
	}
	return true;
}

/* A frame header at b[0..n), n < 9, that may still become one resync
 * accepts. */
static bool h2_fhdr_prefix_ok(const uint8_t *b, size_t n, uint32_t max)
{
	if (n >= 3 && adi_ld_be24(b) > max)
		return false;
	if (n >= 4 && b[3] >= H2_CONTINUATION)
		return false;
	if (n >= 5 && (b[4] & ~h2_flags_defined[b[3]]))
		return false;
	if (n >= 6 && (b[5] & 0x80))
		return false;
	return true;
}

/* resync(): the first offset holding a frame header a receiver would take
 * (known type other than CONTINUATION, defined flags, sizes and stream id
 * rules of 6.1-6.10, within the allowed frame size), or one cut short by
 * the end of b that still may. parse() takes exactly that as the next
 * frame. The direction's table is unknown from here on; its open streams
 * may miss bytes. */
size_t http2_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct http2_state *st = vst;
	struct h2_side *sd = h2_side_of(st, dir);

	if (sd->phase == H2_PH_START)
		h2_start_lost(st, sd, dir);
	h2_block_abort(st, sd, dir);
	h2_side_lose(sd);
	h2_streams_lost(st, dir);
	sd->phase = H2_PH_FRAME;
	sd->pend = false;
	sd->mark = false;
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		struct h2_fhdr f;

		if (n - i < 9) {
			if (h2_fhdr_prefix_ok(b + i, n - i, sd->max_frame))
				return i;
			continue;
		}
		h2_fhdr_read(b + i, &f);
		if (f.type != H2_CONTINUATION && h2_fhdr_ok(&f, sd->max_frame, true))
			return i;
	}
	return n;
}

/* A chunk made of whole frames only, exactly, that a receiver would take
 * (strict rules), with a HEADERS or DATA among them: how an HTTP/2
 * connection looks when joined mid-session. */
static bool h2_sniff_frames(const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	bool body = false;

	while (adi_cur_left(&c)) {
		struct h2_fhdr f;

		if (adi_cur_need(&c, 9))
			return false;
		h2_fhdr_read(adi_cur_ptr(&c), &f);
		if (!h2_fhdr_ok(&f, H2_DEFAULT_FRAME, true) ||
		    (c.pos == 0 && f.type == H2_CONTINUATION) || adi_cur_need(&c, 9 + (size_t)f.len))
			return false;
		body |= f.type == H2_HEADERS || f.type == H2_DATA;
		adi_cur_skip(&c, 9 + (size_t)f.len);
	}
	return body;
}

/* sniff(): thresholds.
 *  - 100: the client connection preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
 *    (24 fixed bytes; HTTP/1 has no method PRI); -1 for a prefix of it.
 *  - 80: a server's first frame: SETTINGS, flags 0, stream 0, R 0, a
 *    length that is a multiple of 6 up to 16384, with every setting in the
 *    bytes a known one (1-6, 8, 9) with a legal value (70 with unknown
 *    identifiers, which 6.5.2 tells receivers to ignore); -1 for fewer than
 *    9 bytes that still fit "00 xx xx 04 00 00 00 00 00".
 *  - 65: joined mid-session: the bytes are whole frames, exactly, by the
 *    strict rules of resync(), with a HEADERS or DATA (a length field,
 *    type, flags and stream id that all agree, ending at the last byte:
 *    another protocol's first bytes fail at one of them).
 *  - 0 otherwise. Claim threshold ADI_SNIFF_CLAIM (60). */
int http2_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	size_t k = n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN;
	struct h2_fhdr f;
	int score = 80;

	(void)c;
	if (n == 0)
		return -1;
	if (!memcmp(b, h2_preface, k))
		return n < H2_PREFACE_LEN ? -1 : 100;
	if (n < 9) {
		static const uint8_t tail[6] = { 4, 0, 0, 0, 0, 0 };

		if (b[0] != 0)
			return 0;
		if (n >= 3 && (adi_ld_be16(b + 1) % 6 || adi_ld_be16(b + 1) > H2_HOLD_MAX))
			return 0;
		if (n > 3 && memcmp(b + 3, tail, n - 3))
			return 0;
		return -1;
	}
	h2_fhdr_read(b, &f);
	if (f.type == H2_SETTINGS && f.flags == 0 && f.sid == 0 && !f.r &&
	    f.len % 6 == 0 && f.len <= H2_HOLD_MAX) {
		/* the settings of the frame that are in b */
		struct adi_cur set = adi_cur_make(b + 9, n - 9 < f.len ? n - 9 : f.len);

		while (adi_cur_left(&set) >= 6) {
			uint16_t id;
			uint32_t v;

			adi_cur_be16(&set, &id);
			adi_cur_be32(&set, &v);
			if ((id == 2 && v > 1) || (id == 4 && v > 0x7fffffffu) ||
			    (id == 5 && (v < 16384 || v > 0xffffff)))
				return 0;
			if (id == 0 || id == 7 || id > 9)
				score = 70;
		}
		return score;
	}
	return h2_sniff_frames(b, n) ? 65 : 0;
}
