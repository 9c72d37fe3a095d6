/* http2.c - the HTTP/2 decoder (RFC 9113) and gRPC over it: frames of both
 * directions, header blocks through Debian's libnghttp2 HPACK inflater (one
 * per direction; a small walker when the dynamic table is unknown), streams
 * in a bounded table, DATA as bodies or as gRPC length-prefixed messages
 * decoded as schema-less protobuf (protobuf.h). Events are `grpc_call` or
 * `http_request` with version "2", one per stream. Owns: struct
 * http2_state (both directions, the stream table, inflaters, zlib). Does
 * not own: the stream bytes (borrowed per call) nor queued messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>
#include <nghttp2/nghttp2.h>

#include "http1.h"
#include "http2.h"
#include "protobuf.h"

/* Limits (docs/decoders.md). */
#define H2_HOLD_MAX 16384        /* payloads up to this are taken whole */
#define H2_MAX_STREAMS 1024      /* open streams per connection */
#define H2_MAX_HBLOCK (64 * 1024)/* header block bytes walked (table unknown) */
#define H2_MAX_FIELDS 128        /* header fields kept per block */
#define H2_MAX_FIELD_BYTES (64 * 1024) /* their names and values */
#define H2_MAX_MSGS 16           /* gRPC messages kept per direction of a call */
#define H2_MAX_UNACKED 8         /* SETTINGS awaiting their ACK */
#define H2_DEFAULT_FRAME 16384   /* SETTINGS_MAX_FRAME_SIZE initial value */
#define H2_DEFAULT_TABLE 4096    /* SETTINGS_HEADER_TABLE_SIZE initial value */
#define H2_STATIC_LAST 61        /* last index of the HPACK static table */

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
enum h2_type {
	H2_DATA = 0, H2_HEADERS = 1, H2_PRIORITY = 2, H2_RST_STREAM = 3,
	H2_SETTINGS = 4, H2_PUSH_PROMISE = 5, H2_PING = 6, H2_GOAWAY = 7,
	H2_WINDOW_UPDATE = 8, H2_CONTINUATION = 9,
};

#define H2_F_END_STREAM 0x01
#define H2_F_ACK 0x01
#define H2_F_END_HEADERS 0x04
#define H2_F_PADDED 0x08
#define H2_F_PRIORITY 0x20

/* Frame flags each known type defines (what a resync accepts). */
static const uint8_t h2_flags_defined[10] = {
	[H2_DATA] = H2_F_END_STREAM | H2_F_PADDED,
	[H2_HEADERS] = H2_F_END_STREAM | H2_F_END_HEADERS | H2_F_PADDED | H2_F_PRIORITY,
	[H2_SETTINGS] = H2_F_ACK,
	[H2_PUSH_PROMISE] = H2_F_END_HEADERS | H2_F_PADDED,
	[H2_PING] = H2_F_ACK,
	[H2_CONTINUATION] = H2_F_END_HEADERS,
};

struct h2_fhdr {
	uint32_t len;
	uint8_t type, flags;
	uint32_t sid;
	bool r;                  /* the reserved bit of the stream id */
};

static uint32_t h2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void h2_fhdr_read(const uint8_t *b, struct h2_fhdr *f)
{
	f->len = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
	f->type = b[3];
	f->flags = b[4];
	f->sid = h2_be32(b + 5) & 0x7fffffffu;
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
static struct adi_jval *h2_error_name(uint32_t code)
{
	char buf[16];

	if (code < sizeof(h2_errors) / sizeof(h2_errors[0]))
		return adi_j_str(h2_errors[code]);
	snprintf(buf, sizeof(buf), "0x%x", code);
	return adi_j_str(buf);
}

/* ---- state ---- */

/* A header field of the block being decoded: offsets into the side's
 * field buffer. */
struct h2_nv {
	size_t name, nlen, val, vlen;
};

/* One gRPC message kept: its first body_bytes bytes as received
 * (compressed ones are inflated when the event is built). */
struct h2_gmsg {
	uint8_t *b;
	size_t n;
	bool cut;                 /* the message was longer */
	bool comp;                /* the compressed flag */
};

/* One direction of a stream: [0] the request, [1] the response. */
struct h2_half {
	bool seen;                /* a header block or DATA came */
	bool headers;             /* its (final) header block came */
	bool ended;               /* END_STREAM */
	bool incomplete;          /* bytes of it were lost */
	bool hdr_cut;             /* fields beyond H2_MAX_FIELD* not kept */
	unsigned unknown;         /* fields not shown: dynamic table unknown */
	struct adi_jval *hdrs, *trailers;
	uint64_t bytes;           /* DATA content bytes */
	/* a plain body: the first body_bytes */
	uint8_t *body;
	size_t body_len;
	bool body_cut;
	/* gRPC: the length prefix and message in progress */
	uint8_t pfx[5];
	uint8_t pfx_len;
	uint32_t m_len, m_left;
	uint8_t *m_buf;           /* body_bytes, allocated at the first message */
	size_t m_keep;
	struct h2_gmsg *msgs;     /* H2_MAX_MSGS, allocated at the first: a
				   * stream of plain HTTP/2 stays small (a
				   * stream over 1 KiB made every new one a
				   * costly allocation) */
	unsigned nmsgs;
	uint64_t total_msgs;
};

struct h2_stream {
	uint32_t sid;
	uint64_t order;           /* creation order: the final flush's order */
	bool grpc;                /* content-type application/grpc* */
	bool pushed;              /* its request came in a PUSH_PROMISE */
	uint32_t pushed_on;       /* ... sent on this stream */
	bool upgrade;             /* stream 1 of an h2c upgrade */
	bool evicted;             /* pushed out of a full table */
	int64_t reset;            /* RST_STREAM error code, -1 when none */
	int64_t goaway;           /* GOAWAY error code that ended it, or -1 */
	bool goaway_ts;           /* ... its mark's time is still to take */
	bool has_start;
	uint64_t ts_start, ts_end;
	struct adi_jval *method, *path, *authority; /* pseudo-headers (owned) */
	struct adi_jval *h1_body; /* the request body of an h2c upgrade */
	int status;               /* :status of the final response, 0 none */
	struct adi_jval *interim; /* 1xx statuses, an array, or NULL */
	struct h2_half h[2];
};

/* The parse state of one direction. */
enum h2_phase {
	H2_PH_START,              /* nothing seen: a preface may come */
	H2_PH_FRAME,              /* at a frame header */
	H2_PH_PAYLOAD,            /* inside a frame taken piecewise */
};

struct h2_side {
	enum h2_phase phase;
	bool start_ok;            /* began with its preface, no gap before */
	bool lost;                /* the HPACK dynamic table is unknown */
	bool strict;              /* the first frame after a resync */
	bool pend;                /* bytes consumed (AGAIN) since the last FRAME */
	bool mark;                /* the frame ending marks stream mark_sid */
	uint32_t mark_sid;
	bool ignore;              /* the current frame's content is not used */
	uint32_t max_frame;       /* largest frame the peer allows */
	uint32_t table;           /* the peer's SETTINGS_HEADER_TABLE_SIZE in force */
	bool table_dirty;         /* ... not yet given to the inflater */
	/* the frame taken piecewise */
	struct h2_fhdr f;
	uint32_t left, pad;       /* content, then padding bytes to come */
	/* the header block in progress */
	bool in_block;
	bool block_end_stream;    /* its HEADERS had END_STREAM */
	bool block_broken;        /* part of it lost: fields not kept */
	uint8_t block_type;
	uint32_t block_sid, promised;
	uint8_t *hb;              /* the block, when walked (lost) */
	size_t hb_len, hb_cap;
	bool hb_cut;
	char *fb;                 /* field names and values of the block */
	size_t fb_len, fb_cap;
	struct h2_nv nv[H2_MAX_FIELDS];
	unsigned nnv, unknown;
	bool nv_cut;
	nghttp2_hd_inflater *inf; /* the table of this direction (!lost) */
	nghttp2_hd_inflater *one; /* decodes single fields for the walker */
	/* SETTINGS this direction sent, unacknowledged: the header table
	 * size each asked for the other direction (-1: none) */
	int64_t unacked[H2_MAX_UNACKED];
	unsigned nunacked;
};

struct http2_state {
	enum adi_dir client_dir;  /* the direction carrying requests */
	bool preface_seen;
	bool dir_learnt;          /* client_dir confirmed by bytes */
	bool midsession;          /* the client's side did not start with its preface */
	struct h2_side side[2];   /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
	struct h2_stream **streams; /* open streams, in creation order */
	size_t nstreams, cap;
	uint64_t next_order;
	uint32_t max_sid[2];      /* highest stream id seen, even / odd */
	uint64_t evicted;         /* streams pushed out of a full table */
	z_stream *z;              /* gzip of gRPC messages, reused */
};

static struct h2_side *h2_side_of(struct http2_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

static enum adi_dir h2_other(enum adi_dir dir)
{
	return dir == ADI_DIR_OUT ? ADI_DIR_IN : ADI_DIR_OUT;
}

/* ---- streams ---- */

static struct h2_stream *h2_find(struct http2_state *st, uint32_t sid)
{
	/* newest first: frames mostly belong to recent streams */
	for (size_t i = st->nstreams; i-- > 0;)
		if (st->streams[i]->sid == sid)
			return st->streams[i];
	return NULL;
}

static void h2_half_free(struct h2_half *h)
{
	adi_j_free(h->hdrs);
	adi_j_free(h->trailers);
	free(h->body);
	free(h->m_buf);
	for (unsigned i = 0; i < h->nmsgs; i++)
		free(h->msgs[i].b);
	free(h->msgs);
}

static void h2_stream_free(struct h2_stream *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		h2_half_free(&s->h[i]);
	adi_j_free(s->method);
	adi_j_free(s->path);
	adi_j_free(s->authority);
	adi_j_free(s->h1_body);
	adi_j_free(s->interim);
	free(s);
}

/* The live stream sid, or a new one when sid is above every id of its
 * parity seen so far (a lower one is closed: its late frames are
 * ignored) or `force`. A full table evicts its oldest stream (emitted,
 * marked evicted, at the next stitch). NULL when none. */
static struct h2_stream *h2_get(struct http2_state *st, uint32_t sid, bool create,
				bool force, bool *created)
{
	struct h2_stream *s = h2_find(st, sid);

	if (created)
		*created = false;
	if (s || !create || sid == 0)
		return s;
	if (!force && sid <= st->max_sid[sid & 1])
		return NULL;
	if (st->nstreams >= H2_MAX_STREAMS) {
		for (size_t i = 0; i < st->nstreams; i++)
			if (!st->streams[i]->evicted) {
				st->streams[i]->evicted = true;
				st->evicted++;
				break;
			}
		if (st->nstreams >= 2 * H2_MAX_STREAMS)
			return NULL; /* not stitched yet: refuse rather than grow */
	}
	if (st->nstreams == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct h2_stream **a = realloc(st->streams, cap * sizeof(*a));

		if (!a)
			return NULL;
		st->streams = a;
		st->cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sid = sid;
	s->order = st->next_order++;
	s->reset = s->goaway = -1;
	st->streams[st->nstreams++] = s;
	if (sid > st->max_sid[sid & 1])
		st->max_sid[sid & 1] = sid;
	if (created)
		*created = true;
	return s;
}

static void h2_remove(struct http2_state *st, struct h2_stream *s)
{
	for (size_t i = 0; i < st->nstreams; i++)
		if (st->streams[i] == s) {
			memmove(st->streams + i, st->streams + i + 1,
				(st->nstreams - i - 1) * sizeof(*st->streams));
			st->nstreams--;
			break;
		}
	h2_stream_free(s);
}

/* The half of s that frames of direction dir carry. */
static struct h2_half *h2_half_of(struct http2_state *st, struct h2_stream *s,
				  enum adi_dir dir)
{
	return &s->h[dir == st->client_dir ? 0 : 1];
}

/* Bytes of direction dir were lost: what an open stream was receiving in
 * it may miss some. (A direction that had not begun yet shows it when its
 * DATA comes without headers.) */
static void h2_streams_lost(struct http2_state *st, enum adi_dir dir)
{
	for (size_t i = 0; i < st->nstreams; i++) {
		struct h2_half *h = h2_half_of(st, st->streams[i], dir);

		if (h->seen && !h->ended)
			h->incomplete = true;
	}
}

/* ---- bodies and gRPC messages ----
 *
 * gRPC over HTTP/2 (https://github.com/grpc/grpc/blob/master/doc/
 * PROTOCOL-HTTP2.md): the DATA of each direction is a sequence of
 *
 *   +------------------+---------------------+------------------+
 *   | Compressed-Flag  | Message-Length (32, | Message          |
 *   | (8: 0 or 1)      |  big-endian)        | (Length bytes)   |
 *   +------------------+---------------------+------------------+
 *
 * messages, which may span DATA frames or share one. Compressed ones use
 * the grpc-encoding of their sender's headers.
 */

/* What a kept body of len bytes has allocated: powers of two from 1 KiB,
 * at most cap. A function of len alone, so no field records it. */
static size_t h2_keep_alloc(size_t len, size_t cap)
{
	size_t a = 1024;

	while (a < len && a < cap)
		a *= 2;
	return a < cap ? a : cap;
}

/* Keep up to cap bytes of a body. The buffer grows with what arrives
 * instead of taking the whole --body-bytes per stream up front. */
static void h2_keep(uint8_t **buf, size_t *len, bool *cut, size_t cap,
		    const uint8_t *p, size_t n)
{
	size_t k;

	if (!n)
		return;
	k = cap - *len < n ? cap - *len : n;
	if (k && (!*buf || h2_keep_alloc(*len + k, cap) > h2_keep_alloc(*len, cap))) {
		uint8_t *nb = realloc(*buf, h2_keep_alloc(*len + k, cap));

		if (!nb) {
			*cut = true;
			return;
		}
		*buf = nb;
	}
	if (k) {
		memcpy(*buf + *len, p, k);
		*len += k;
	}
	if (k < n)
		*cut = true;
}

/* The message in progress of h is complete. */
static void h2_grpc_msg_done(struct h2_half *h, size_t cap)
{
	h->total_msgs++;
	if (!h->msgs && cap)
		h->msgs = calloc(H2_MAX_MSGS, sizeof(*h->msgs));
	if (h->msgs && h->nmsgs < H2_MAX_MSGS && cap) {
		struct h2_gmsg *m = &h->msgs[h->nmsgs];

		m->b = malloc(h->m_keep ? h->m_keep : 1);
		if (m->b) {
			if (h->m_keep)
				memcpy(m->b, h->m_buf, h->m_keep);
			m->n = h->m_keep;
			m->cut = h->m_len > h->m_keep;
			m->comp = h->pfx[0] & 1;
			h->nmsgs++;
		}
	}
	h->pfx_len = 0;
	h->m_keep = 0;
}

static void h2_grpc_feed(struct h2_half *h, const uint8_t *p, size_t n, size_t cap)
{
	while (n) {
		size_t k;

		if (h->pfx_len < 5) {
			h->pfx[h->pfx_len++] = *p++;
			n--;
			if (h->pfx_len == 5) {
				h->m_len = h->m_left = h2_be32(h->pfx + 1);
				h->m_keep = 0;
				if (!h->m_len)
					h2_grpc_msg_done(h, cap);
			}
			continue;
		}
		k = n < h->m_left ? n : h->m_left;
		if (h->m_keep < cap) {
			bool cut = false;

			h2_keep(&h->m_buf, &h->m_keep, &cut, cap, p, k);
		}
		p += k;
		n -= k;
		h->m_left -= (uint32_t)k;
		if (!h->m_left)
			h2_grpc_msg_done(h, cap);
	}
}

/* DATA content for half h of s. */
static void h2_data(struct h2_stream *s, struct h2_half *h, const uint8_t *p, size_t n,
		    const struct adi_proto_cfg *cfg)
{
	if (!h->headers)
		h->incomplete = true; /* its header block was not seen */
	h->seen = true;
	h->bytes += n;
	if (s->grpc && !h->incomplete)
		h2_grpc_feed(h, p, n, cfg->body_bytes);
	else if (!s->grpc)
		h2_keep(&h->body, &h->body_len, &h->body_cut, cfg->body_bytes, p, n);
}

/* ---- header blocks ----
 *
 * HPACK (RFC 7541, https://www.rfc-editor.org/rfc/rfc7541): decoded by
 * libnghttp2's inflater, one per direction (each direction has its own
 * dynamic table, sized by the peer's SETTINGS_HEADER_TABLE_SIZE). When the
 * start of a direction was not seen, or bytes of it were lost, its dynamic
 * table is unknown: the block is then walked field by field (6.1-6.3):
 *
 *   1xxxxxxx                  indexed field, index in 7-bit prefix
 *   01xxxxxx [name] value     literal, incremental indexing, 6-bit name index
 *   0000xxxx [name] value     literal without indexing, 4-bit name index
 *   0001xxxx [name] value     literal never indexed, 4-bit name index
 *   001xxxxx                  dynamic table size update, 5-bit
 *   string: H (Huffman) bit + 7-bit prefix length, then the octets
 *
 * A field that refers to the dynamic table (an index above 61) is counted
 * as unknown, never shown; the others are decoded one by one by a second
 * inflater whose table is never referred to (it also decodes Huffman).
 */

static void h2_nv_add(struct h2_side *sd, const uint8_t *name, size_t nlen,
		      const uint8_t *val, size_t vlen)
{
	size_t need = nlen + vlen;

	if (sd->nnv == H2_MAX_FIELDS || sd->fb_len + need > H2_MAX_FIELD_BYTES) {
		sd->nv_cut = true;
		return;
	}
	if (!sd->fb || sd->fb_len + need > sd->fb_cap) {
		size_t cap = sd->fb_cap ? sd->fb_cap : 1024;
		char *b;

		while (cap < sd->fb_len + need)
			cap *= 2;
		b = realloc(sd->fb, cap);
		if (!b) {
			sd->nv_cut = true;
			return;
		}
		sd->fb = b;
		sd->fb_cap = cap;
	}
	sd->nv[sd->nnv].name = sd->fb_len;
	sd->nv[sd->nnv].nlen = nlen;
	for (size_t i = 0; i < nlen; i++) /* HTTP/2 names are lower case (8.2.1) */
		sd->fb[sd->fb_len++] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
					      name[i] + 32 : name[i]);
	sd->nv[sd->nnv].val = sd->fb_len;
	sd->nv[sd->nnv].vlen = vlen;
	if (vlen)
		memcpy(sd->fb + sd->fb_len, val, vlen);
	sd->fb_len += vlen;
	sd->nnv++;
}

/* Run inf over p[0..n) (final: the block ends there), adding the fields it
 * emits. Returns false on a decoding error (the inflater is then useless). */
static bool h2_inflate(struct h2_side *sd, nghttp2_hd_inflater *inf,
		       const uint8_t *p, size_t n, bool final)
{
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &flags, p, n, final);

		if (r < 0 || (size_t)r > n)
			return false;
		p += r;
		n -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			h2_nv_add(sd, nv.name, nv.namelen, nv.value, nv.valuelen);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(inf);
			return true;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && n == 0)
			return !final;
	}
}

/* An HPACK integer with an N-bit prefix at b[*pos] (5.1). */
static bool hp_int(const uint8_t *b, size_t n, size_t *pos, unsigned bits, uint64_t *v)
{
	uint64_t mask = (1u << bits) - 1, x;
	unsigned m = 0;

	if (*pos >= n)
		return false;
	x = b[(*pos)++] & mask;
	if (x < mask) {
		*v = x;
		return true;
	}
	for (;;) {
		uint8_t c;

		if (*pos >= n || m > 28)
			return false;
		c = b[(*pos)++];
		x += (uint64_t)(c & 0x7f) << m;
		m += 7;
		if (!(c & 0x80))
			break;
	}
	*v = x;
	return true;
}

/* A string literal at b[*pos] (5.2): skipped. */
static bool hp_str(const uint8_t *b, size_t n, size_t *pos)
{
	uint64_t len;

	if (!hp_int(b, n, pos, 7, &len) || len > n - *pos)
		return false;
	*pos += (size_t)len;
	return true;
}

/* Walk a block whose dynamic table is unknown (see above). */
static void h2_walk(struct h2_side *sd, const uint8_t *b, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		size_t at = pos;
		uint8_t c = b[pos];
		uint64_t idx;
		bool ok;

		if (c & 0x80) {
			ok = hp_int(b, n, &pos, 7, &idx) && idx != 0;
		} else if ((c & 0xe0) == 0x20) {
			if (!hp_int(b, n, &pos, 5, &idx))
				break;
			continue; /* table size updates change nothing shown */
		} else {
			ok = hp_int(b, n, &pos, (c & 0xc0) == 0x40 ? 6 : 4, &idx) &&
			     (idx || hp_str(b, n, &pos)) && hp_str(b, n, &pos);
		}
		if (!ok)
			break;
		if (idx > H2_STATIC_LAST) {
			sd->unknown++;
			continue;
		}
		if (!sd->one && nghttp2_hd_inflate_new(&sd->one))
			sd->one = NULL;
		if (!sd->one || !h2_inflate(sd, sd->one, b + at, pos - at, true)) {
			if (sd->one)
				nghttp2_hd_inflate_del(sd->one);
			sd->one = NULL;
			sd->unknown++;
		}
	}
	if (pos < n)
		sd->unknown++; /* the rest cannot be told apart */
}

/* The table of this direction is unknown from here on. */
static void h2_side_lose(struct h2_side *sd)
{
	sd->lost = true;
	if (sd->inf) {
		nghttp2_hd_inflate_del(sd->inf);
		sd->inf = NULL;
	}
}

/* A header table size that changed (h2_table_set) reaches the inflater
 * between blocks only (nghttp2_hd_inflate_change_table_size's rule). */
static void h2_table_apply(struct h2_side *sd)
{
	if (!sd->table_dirty || !sd->inf || sd->in_block)
		return;
	sd->table_dirty = false;
	if (nghttp2_hd_inflate_change_table_size(sd->inf, sd->table))
		h2_side_lose(sd);
}

static void h2_block_reset(struct h2_side *sd)
{
	sd->in_block = false;
	sd->block_broken = false;
	sd->hb_len = 0;
	sd->hb_cut = false;
	sd->fb_len = 0;
	sd->nnv = 0;
	sd->unknown = 0;
	sd->nv_cut = false;
}

static void h2_block_begin(struct h2_side *sd, const struct h2_fhdr *f, uint32_t promised)
{
	h2_block_reset(sd);
	sd->block_type = f->type;
	sd->block_sid = f->sid;
	sd->promised = promised;
	sd->block_end_stream = f->type == H2_HEADERS && (f->flags & H2_F_END_STREAM);
	if (!sd->lost && !sd->start_ok)
		h2_side_lose(sd);
	if (!sd->lost && !sd->inf) {
		if (nghttp2_hd_inflate_new(&sd->inf)) {
			sd->inf = NULL;
			h2_side_lose(sd);
		} else {
			/* a new inflater starts at the default size */
			sd->table_dirty = sd->table != H2_DEFAULT_TABLE;
		}
	}
	h2_table_apply(sd);
	sd->in_block = true;
}

/* A fragment of the block in progress. */
static void h2_block_feed(struct h2_side *sd, const uint8_t *p, size_t n)
{
	if (!n || sd->block_broken)
		return;
	if (!sd->lost) {
		if (!h2_inflate(sd, sd->inf, p, n, false)) {
			h2_side_lose(sd);
			sd->block_broken = true;
		}
		return;
	}
	if (sd->hb_len + n > H2_MAX_HBLOCK) {
		sd->hb_cut = true;
		n = H2_MAX_HBLOCK - sd->hb_len;
	}
	if (sd->hb_len + n > sd->hb_cap) {
		size_t cap = sd->hb_cap ? sd->hb_cap : 1024;
		uint8_t *b;

		while (cap < sd->hb_len + n)
			cap *= 2;
		b = realloc(sd->hb, cap);
		if (!b) {
			sd->block_broken = true;
			return;
		}
		sd->hb = b;
		sd->hb_cap = cap;
	}
	if (n)
		memcpy(sd->hb + sd->hb_len, p, n);
	sd->hb_len += n;
}

static bool h2_secret(const char *name, size_t n)
{
	static const char *const s[] = {
		"authorization", "proxy-authorization", "cookie", "set-cookie",
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strlen(s[i]) == n && !memcmp(s[i], name, n))
			return true;
	return false;
}

static bool h2_name_is(const struct h2_side *sd, const struct h2_nv *v, const char *s)
{
	return v->nlen == strlen(s) && !memcmp(sd->fb + v->name, s, v->nlen);
}

/* The regular fields of the block as an object: lower-case names, repeated
 * ones joined with ", " ("; " for cookie, 8.2.3), secrets redacted unless
 * show_secrets. */
static struct adi_jval *h2_fields(const struct h2_side *sd, bool show_secrets)
{
	struct adi_jval *obj = adi_j_obj();
	char *jb = NULL, name[256];
	size_t jcap = 0;

	for (unsigned k = 0; obj && k < sd->nnv; k++) {
		const struct h2_nv *a = &sd->nv[k];
		const char *an = sd->fb + a->name;
		size_t jn = 0;
		unsigned j;

		if (!a->nlen || an[0] == ':' || a->nlen >= sizeof(name))
			continue;
		for (j = 0; j < k; j++)
			if (sd->nv[j].nlen == a->nlen &&
			    !memcmp(sd->fb + sd->nv[j].name, an, a->nlen))
				break;
		if (j < k)
			continue; /* joined with its first occurrence */
		memcpy(name, an, a->nlen);
		name[a->nlen] = '\0';
		if (!show_secrets && h2_secret(an, a->nlen)) {
			adi_j_set_str(obj, name, "<redacted>");
			continue;
		}
		for (j = k; j < sd->nnv; j++) {
			const struct h2_nv *b = &sd->nv[j];
			size_t need = jn + b->vlen + 2;

			if (b->nlen != a->nlen || memcmp(sd->fb + b->name, an, a->nlen))
				continue;
			if (need > jcap) {
				char *t = realloc(jb, need * 2);

				if (!t)
					break;
				jb = t;
				jcap = need * 2;
			}
			if (j > k) {
				jb[jn++] = strcmp(name, "cookie") ? ',' : ';';
				jb[jn++] = ' ';
			}
			memcpy(jb + jn, sd->fb + b->val, b->vlen);
			jn += b->vlen;
		}
		adi_j_set_bytes(obj, name, (const uint8_t *)jb, jn);
	}
	free(jb);
	return obj;
}

/* The value of field `name` in the block, or NULL. */
static const struct h2_nv *h2_nv_get(const struct h2_side *sd, const char *name)
{
	for (unsigned k = 0; k < sd->nnv; k++)
		if (h2_name_is(sd, &sd->nv[k], name))
			return &sd->nv[k];
	return NULL;
}

static struct adi_jval *h2_nv_str(const struct h2_side *sd, const char *name)
{
	const struct h2_nv *v = h2_nv_get(sd, name);

	return v ? adi_j_bytes((const uint8_t *)sd->fb + v->val, v->vlen) : NULL;
}

static int h2_nv_status(const struct h2_side *sd)
{
	const struct h2_nv *v = h2_nv_get(sd, ":status");
	int x = 0;

	if (!v || v->vlen != 3)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		char c = sd->fb[v->val + i];

		if (c < '0' || c > '9')
			return 0;
		x = x * 10 + (c - '0');
	}
	return x >= 100 ? x : 0;
}

static bool h2_is_grpc(const struct h2_side *sd)
{
	const struct h2_nv *v = h2_nv_get(sd, "content-type");

	return v && v->vlen >= 16 && !memcmp(sd->fb + v->val, "application/grpc", 16);
}

/* Move the pseudo-header value into *slot when it is not set yet. */
static void h2_set_once(struct adi_jval **slot, struct adi_jval *v)
{
	if (!*slot)
		*slot = v;
	else
		adi_j_free(v);
}

/* The block of direction dir is complete: its fields go to their stream.
 * Returns the stream id to mark (0: none). */
static uint32_t h2_block_done(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
			      const struct adi_proto_cfg *cfg)
{
	struct h2_stream *s;
	struct h2_half *h;
	bool created, req_block;
	uint32_t sid = sd->block_type == H2_PUSH_PROMISE ? sd->promised : sd->block_sid;
	int status;

	if (!sd->block_broken) {
		if (sd->lost)
			h2_walk(sd, sd->hb, sd->hb_len);
		else if (!h2_inflate(sd, sd->inf, (const uint8_t *)"", 0, true)) {
			h2_side_lose(sd);
			sd->unknown++;
		}
	}
	if (sd->hb_cut)
		sd->nv_cut = true;
	/* the first request or response tells which direction is the
	 * client's when the preface did not */
	if (!st->preface_seen && !st->dir_learnt && sd->block_type == H2_HEADERS) {
		if (h2_nv_get(sd, ":method")) {
			st->client_dir = dir;
			st->dir_learnt = true;
		} else if (h2_nv_get(sd, ":status")) {
			st->client_dir = h2_other(dir);
			st->dir_learnt = true;
		}
	}
	s = h2_get(st, sid, true, sd->block_type == H2_PUSH_PROMISE, &created);
	sd->in_block = false;
	if (!s)
		return 0;
	if (sd->block_type == H2_PUSH_PROMISE) {
		s->pushed = true;
		s->pushed_on = sd->block_sid;
		h = &s->h[0];
		h->ended = true;
		req_block = true;
	} else {
		h = h2_half_of(st, s, dir);
		req_block = h == &s->h[0];
	}
	h->seen = true;
	h->unknown += sd->unknown + (sd->block_broken ? 1 : 0);
	h->hdr_cut |= sd->nv_cut;
	status = h2_nv_status(sd);
	if (!h->headers && !req_block && status / 100 == 1 && status != 101) {
		/* an interim response (8.1): its status only */
		if (!s->interim)
			s->interim = adi_j_arr();
		adi_j_push(s->interim, adi_j_int(status));
	} else if (!h->headers) {
		h->headers = true;
		h->hdrs = h2_fields(sd, cfg->show_secrets);
		if (req_block) {
			h2_set_once(&s->method, h2_nv_str(sd, ":method"));
			h2_set_once(&s->path, h2_nv_str(sd, ":path"));
			h2_set_once(&s->authority, h2_nv_str(sd, ":authority"));
		} else {
			s->status = status;
		}
		if (h2_is_grpc(sd))
			s->grpc = true;
	} else if (!h->trailers) {
		h->trailers = h2_fields(sd, cfg->show_secrets);
	}
	if (sd->block_end_stream)
		h->ended = true;
	(void)created;
	return sid;
}

/* A block cut by another frame or lost bytes: its stream's half shows
 * that fields are missing; the table is unknown from here on. */
static void h2_block_abort(struct http2_state *st, struct h2_side *sd, enum adi_dir dir)
{
	struct h2_stream *s;

	if (!sd->in_block)
		return;
	s = h2_find(st, sd->block_type == H2_PUSH_PROMISE ? sd->promised : sd->block_sid);
	if (s) {
		struct h2_half *h = h2_half_of(st, s, dir);

		h->unknown++;
		h->incomplete = true;
	}
	h2_side_lose(sd);
	h2_block_reset(sd);
}

/* ---- SETTINGS, GOAWAY, RST_STREAM ---- */

/* The header table size the peer of sd's direction allows now applies to
 * sd's table (taken up at its next block: nghttp2 allows a change only
 * between blocks). */
static void h2_table_set(struct h2_side *sd, uint32_t v)
{
	if (v == sd->table)
		return;
	sd->table = v;
	sd->table_dirty = true;
	h2_table_apply(sd);
}

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
	for (uint32_t i = 0; i + 6 <= f->len; i += 6) {
		uint16_t id = (uint16_t)(pl[i] << 8 | pl[i + 1]);
		uint32_t v = h2_be32(pl + i + 2);

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
 * True when one did. */
static bool h2_goaway(struct http2_state *st, enum adi_dir dir, const uint8_t *pl)
{
	uint32_t last = h2_be32(pl) & 0x7fffffffu, code = h2_be32(pl + 4);
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
		h2_block_begin(sd, f, h2_be32(pl + pre - 4) & 0x7fffffffu);
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
			s->reset = h2_be32(pl);
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
static enum adi_parse http2_parse(void *vst, const struct adi_proto_cfg *cfg,
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
static bool http2_gap(void *vst, enum adi_dir dir, uint64_t n)
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
	if (n >= 3 && ((uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2]) > max)
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
static size_t http2_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
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
	size_t pos = 0;
	bool body = false;

	while (pos < n) {
		struct h2_fhdr f;

		if (n - pos < 9)
			return false;
		h2_fhdr_read(b + pos, &f);
		if (!h2_fhdr_ok(&f, H2_DEFAULT_FRAME, true) ||
		    (pos == 0 && f.type == H2_CONTINUATION) || f.len > n - pos - 9)
			return false;
		body |= f.type == H2_HEADERS || f.type == H2_DATA;
		pos += 9 + f.len;
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
static int http2_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
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
		if (n >= 3 && ((b[1] << 8 | b[2]) % 6 || (b[1] << 8 | b[2]) > H2_HOLD_MAX))
			return 0;
		if (n > 3 && memcmp(b + 3, tail, n - 3))
			return 0;
		return -1;
	}
	h2_fhdr_read(b, &f);
	if (f.type == H2_SETTINGS && f.flags == 0 && f.sid == 0 && !f.r &&
	    f.len % 6 == 0 && f.len <= H2_HOLD_MAX) {
		for (size_t i = 9; i + 6 <= n && i + 6 <= 9 + (size_t)f.len; i += 6) {
			uint16_t id = (uint16_t)(b[i] << 8 | b[i + 1]);
			uint32_t v = h2_be32(b + i + 2);

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

/* ---- events ---- */

/* Inflate a gzip or zlib message into at most cap bytes (*out, caller
 * frees). *cut when more would come out or the input ends early. False on
 * a decoding error. */
static bool h2_gunzip(struct http2_state *st, const uint8_t *in, size_t n, bool in_cut,
		      size_t cap, uint8_t **out, size_t *out_n, bool *cut)
{
	uint8_t spill[64];
	int r;

	*out = malloc(cap ? cap : 1);
	*out_n = 0;
	if (!*out)
		return false;
	if (!st->z) {
		st->z = calloc(1, sizeof(*st->z));
		/* 32 + MAX_WBITS: a gzip or zlib header, detected */
		if (!st->z || inflateInit2(st->z, 32 + MAX_WBITS) != Z_OK) {
			free(st->z);
			st->z = NULL;
			return false;
		}
	} else if (inflateReset(st->z) != Z_OK) {
		return false;
	}
	st->z->next_in = in;
	st->z->avail_in = (uInt)n;
	st->z->next_out = *out;
	st->z->avail_out = (uInt)cap;
	r = inflate(st->z, Z_FINISH);
	*out_n = cap - st->z->avail_out;
	if (r == Z_STREAM_END)
		return true;
	if (r == Z_BUF_ERROR && !st->z->avail_out) {
		/* full: is there more? */
		st->z->next_out = spill;
		st->z->avail_out = sizeof(spill);
		r = inflate(st->z, Z_FINISH);
		*cut = true;
		return r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK;
	}
	if (r == Z_BUF_ERROR && in_cut) {
		*cut = true;
		return true;
	}
	return false;
}

/* The kept messages of h as a JSON array (each a protobuf object, or the
 * bytes when they are not one). *trunc: a message was cut or left out;
 * *err: why a compressed one could not be shown. */
static struct adi_jval *h2_messages(struct http2_state *st, const struct h2_half *h,
				    size_t cap, bool *trunc, const char **err)
{
	struct adi_jval *arr = adi_j_arr();
	const char *enc = adi_j_get_str(h->hdrs, "grpc-encoding", "identity");

	for (unsigned i = 0; arr && i < h->nmsgs; i++) {
		const struct h2_gmsg *m = &h->msgs[i];
		const uint8_t *d = m->b;
		size_t dn = m->n;
		bool cut = m->cut;
		uint8_t *tmp = NULL;
		struct adi_jval *v;

		if (m->comp) {
			if (strcmp(enc, "gzip") && strcmp(enc, "deflate")) {
				*err = "compressed message: grpc-encoding not decoded";
				adi_j_push(arr, adi_j_bytes(d, dn));
				continue;
			}
			cut = false;
			if (!h2_gunzip(st, m->b, m->n, m->cut, cap, &tmp, &dn, &cut)) {
				*err = "compressed message: inflate failed";
				adi_j_push(arr, adi_j_bytes(m->b, m->n));
				free(tmp);
				*trunc |= m->cut;
				continue;
			}
			d = tmp;
		}
		v = adi_pb_decode(d, dn, cut);
		adi_j_push(arr, v ? v : adi_j_bytes(d, dn));
		*trunc |= cut;
		free(tmp);
	}
	if (h->total_msgs > h->nmsgs)
		*trunc = true;
	return arr;
}

static int h2_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* grpc-message, percent-decoded (PROTOCOL-HTTP2.md: "%" HEXDIG HEXDIG);
 * a malformed escape stays as sent. */
static struct adi_jval *h2_grpc_message(const struct adi_jval *v)
{
	const char *s = adi_j_as_str(v, NULL);
	size_t n = adi_j_len(v), o = 0;
	uint8_t *b;
	struct adi_jval *r;

	if (!s)
		return adi_j_null();
	b = malloc(n + 1);
	if (!b)
		return adi_j_null();
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = h2_hexval(s[i + 1])) >= 0 && (lo = h2_hexval(s[i + 2])) >= 0) {
			b[o++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else {
			b[o++] = (uint8_t)s[i];
		}
	}
	r = adi_j_bytes(b, o);
	free(b);
	return r;
}

/* The value (or null): the slot is emptied. */
static struct adi_jval *h2_take(struct adi_jval **slot)
{
	struct adi_jval *v = *slot;

	*slot = NULL;
	return v ? v : adi_j_null();
}

static struct adi_jval *h2_copy_str(const struct adi_jval *v)
{
	const char *s = adi_j_as_str(v, NULL);

	return s ? adi_j_strn(s, adi_j_len(v)) : adi_j_null();
}

/* A finished (or, with cut_short, abandoned) stream becomes its event. */
static void h2_emit(struct http2_state *st, struct h2_stream *s, struct adi_emit *em,
		    bool cut_short)
{
	const struct adi_proto_cfg *cfg = em->cfg;
	struct h2_half *rq = &s->h[0], *rs = &s->h[1];
	struct adi_jval *ev = adi_j_obj();
	bool trunc = false, incomplete = cut_short || rq->incomplete || rs->incomplete;
	bool answered = rs->seen || s->reset >= 0 || s->goaway >= 0;
	unsigned unknown = rq->unknown + rs->unknown;
	const char *err = NULL;

	if (!ev)
		return;
	if (s->grpc) {
		/* first: the messages read their half's grpc-encoding */
		struct adi_jval *rqm = h2_messages(st, rq, cfg->body_bytes, &trunc, &err);
		struct adi_jval *rsm = h2_messages(st, rs, cfg->body_bytes, &trunc, &err);
		struct adi_jval *tr = rs->trailers ? rs->trailers : rs->ended ? rs->hdrs : NULL;
		const char *gs = adi_j_get_str(tr, "grpc-status", NULL);
		char *end = NULL;
		long code = gs ? strtol(gs, &end, 10) : -1;

		adi_j_set(ev, "method", h2_take(&s->path));
		adi_j_set(ev, "authority", h2_take(&s->authority));
		if (gs && end && !*end && *gs && code >= 0 && code <= 0x7fffffff)
			adi_j_set_int(ev, "status", code);
		else
			adi_j_set_null(ev, "status");
		adi_j_set(ev, "grpc_message", h2_grpc_message(adi_j_get(tr, "grpc-message")));
		if (s->status)
			adi_j_set_int(ev, "http_status", s->status);
		else
			adi_j_set_null(ev, "http_status");
		adi_j_set_int(ev, "stream_id", s->sid);
		adi_j_set(ev, "req_headers", h2_take(&rq->hdrs));
		if (tr && tr == rs->hdrs) {
			/* trailers-only (PROTOCOL-HTTP2.md): one block for both */
			adi_j_set(ev, "resp_headers", h2_take(&rs->hdrs));
			adi_j_set_null(ev, "resp_trailers");
			adi_j_set_bool(ev, "trailers_only", true);
		} else {
			adi_j_set(ev, "resp_headers", h2_take(&rs->hdrs));
			adi_j_set(ev, "resp_trailers", h2_take(&rs->trailers));
		}
		adi_j_set(ev, "req_messages", rqm);
		adi_j_set(ev, "resp_messages", rsm);
		adi_j_set_int(ev, "req_bytes", (int64_t)rq->bytes);
		adi_j_set_int(ev, "resp_bytes", (int64_t)rs->bytes);
		adi_j_set_bool(ev, "truncated", trunc || incomplete);
		if (rq->total_msgs > rq->nmsgs)
			adi_j_set_int(ev, "req_message_count", (int64_t)rq->total_msgs);
		if (rs->total_msgs > rs->nmsgs)
			adi_j_set_int(ev, "resp_message_count", (int64_t)rs->total_msgs);
		if (err)
			adi_j_set_str(ev, "decode_error", err);
	} else {
		adi_j_set(ev, "method", h2_take(&s->method));
		adi_j_set(ev, "url", h2_take(&s->path));
		if (s->authority)
			adi_j_set(ev, "host", h2_take(&s->authority));
		else
			adi_j_set(ev, "host", h2_copy_str(adi_j_get(rq->hdrs, "host")));
		adi_j_set_str(ev, "version", "2");
		if (s->status)
			adi_j_set_int(ev, "status", s->status);
		else
			adi_j_set_null(ev, "status");
		adi_j_set(ev, "req_headers", h2_take(&rq->hdrs));
		adi_j_set(ev, "resp_headers", h2_take(&rs->hdrs));
		if (s->h1_body)
			adi_j_set(ev, "req_body", h2_take(&s->h1_body));
		else
			adi_j_set_bytes(ev, "req_body", rq->body, rq->body_len);
		adi_j_set_bytes(ev, "resp_body", rs->body, rs->body_len);
		adi_j_set_int(ev, "req_bytes", (int64_t)rq->bytes);
		adi_j_set_int(ev, "resp_bytes", (int64_t)rs->bytes);
		adi_j_set_bool(ev, "truncated", rq->body_cut || rs->body_cut || incomplete);
		adi_j_set_int(ev, "stream_id", s->sid);
		if (rs->trailers)
			adi_j_set(ev, "trailers", h2_take(&rs->trailers));
		if (rq->trailers)
			adi_j_set(ev, "req_trailers", h2_take(&rq->trailers));
	}
	if (s->interim)
		adi_j_set(ev, "interim", h2_take(&s->interim));
	if (s->reset >= 0)
		adi_j_set(ev, "reset", h2_error_name((uint32_t)s->reset));
	if (s->goaway >= 0)
		adi_j_set(ev, "goaway", h2_error_name((uint32_t)s->goaway));
	if (s->pushed)
		adi_j_set_int(ev, "pushed_on", s->pushed_on);
	if (s->upgrade)
		adi_j_set_str(ev, "upgrade", "h2c");
	if (s->evicted)
		adi_j_set_bool(ev, "evicted", true);
	if (unknown)
		adi_j_set_int(ev, "headers_unknown", unknown);
	if (rq->hdr_cut || rs->hdr_cut)
		adi_j_set_bool(ev, "headers_truncated", true);
	if (incomplete)
		adi_j_set_bool(ev, "incomplete", true);
	em->event(em, s->grpc ? "grpc_call" : "http_request", s->ts_start,
		  answered ? (int64_t)(s->ts_end > s->ts_start ? s->ts_end : s->ts_start) : -1,
		  ev);
}

/* ---- the adi_proto callbacks: stitching ---- */

static bool h2_finished(const struct h2_stream *s)
{
	if (s->reset >= 0 || s->goaway >= 0 || s->evicted)
		return true;
	if (!s->h[1].ended)
		return false;
	/* joined mid-session: a request never seen does not hold it */
	return s->h[0].ended || !s->h[0].seen;
}

/* The h2c upgrade's HTTP/1.1 messages (http1.c leaves them queued): the
 * request is stream 1's (RFC 7540 3.2), the 101 marks the upgrade. True
 * when m becomes stream 1's open mark. */
static bool h2_adopt(struct http2_state *st, struct adi_msg *m)
{
	struct h2_stream *s = h2_get(st, 1, true, true, NULL);
	struct h2_half *h;

	if (!s)
		return false;
	s->upgrade = true;
	if (m->kind != HTTP1_REQ)
		return false;
	h = &s->h[0];
	h2_set_once(&s->method, adi_j_take(m->fields, "method"));
	h2_set_once(&s->path, adi_j_take(m->fields, "url"));
	if (!h->hdrs) {
		h->hdrs = adi_j_take(m->fields, "headers");
		h2_set_once(&s->authority, h2_copy_str(adi_j_get(h->hdrs, "host")));
		if (adi_j_is_null(s->authority)) {
			adi_j_free(s->authority);
			s->authority = NULL;
		}
	}
	if (!s->h1_body)
		s->h1_body = adi_j_take(m->fields, "body");
	h->bytes = (uint64_t)adi_j_get_int(m->fields, "bytes", 0);
	h->seen = h->headers = h->ended = true;
	h->incomplete |= m->incomplete;
	m->key = 1;
	if (s->has_start) {
		if (m->ts_first < s->ts_start)
			s->ts_start = m->ts_first;
		return false;
	}
	s->has_start = true;
	s->ts_start = m->ts_first;
	return true;
}

/* A time mark: the stream's start (the first mark stays queued as its
 * open mark, returned true) and end. */
static bool h2_take_mark(struct http2_state *st, const struct adi_msg *m)
{
	struct h2_stream *s;

	if (m->key == 0) {
		for (size_t i = 0; i < st->nstreams; i++) {
			s = st->streams[i];
			if (s->goaway_ts) {
				s->goaway_ts = false;
				if (m->ts_last > s->ts_end)
					s->ts_end = m->ts_last;
			}
		}
		return false;
	}
	s = h2_find(st, (uint32_t)m->key);
	if (!s)
		return false;
	if (m->ts_last > s->ts_end)
		s->ts_end = m->ts_last;
	if (s->has_start)
		return false;
	s->has_start = true;
	s->ts_start = m->ts_first;
	return true;
}

/* Remove from q the messages for which keep() is false (freed). */
static void h2_q_unlink(struct adi_msgq *q, struct adi_msg *prev, struct adi_msg *m)
{
	if (prev)
		prev->next = m->next;
	else
		q->head = m->next;
	if (q->tail == m)
		q->tail = prev;
	q->len--;
	m->next = NULL;
	adi_msg_free(m);
}

/* Drop stream sid's open mark. */
static void h2_drop_open(struct adi_msgq **qs, uint32_t sid)
{
	for (int i = 0; i < 2; i++) {
		struct adi_msg *prev = NULL;

		for (struct adi_msg *m = qs[i]->head; m; prev = m, m = m->next)
			if (m->kind == HTTP2_OPEN && m->key == sid) {
				h2_q_unlink(qs[i], prev, m);
				return;
			}
	}
}

/* stitch(): the marks queued since the last call give streams their start
 * and end times (see http2.h); streams that finished (both directions
 * ended, reset, refused by GOAWAY, evicted) become events, in the order
 * they were opened. final: every stream left is emitted, incomplete. */
static void http2_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			 struct adi_emit *em, bool final)
{
	struct http2_state *st = vst;
	struct adi_msgq *qs[2] = { out_q, in_q };

	for (int i = 0; i < 2; i++) {
		struct adi_msg *prev = NULL, *m = qs[i]->head, *next;

		for (; m; m = next) {
			bool keep = false;

			next = m->next;
			if (m->kind == HTTP2_OPEN) {
				prev = m;
				continue;
			}
			if (m->kind == HTTP1_REQ || m->kind == HTTP1_RESP)
				keep = h2_adopt(st, m);
			else if (m->kind == HTTP2_MARK)
				keep = h2_take_mark(st, m);
			if (keep) {
				m->kind = HTTP2_OPEN;
				prev = m;
			} else {
				h2_q_unlink(qs[i], prev, m);
			}
		}
	}
	for (size_t i = 0; i < st->nstreams;) {
		struct h2_stream *s = st->streams[i];

		if (!final && !h2_finished(s)) {
			i++;
			continue;
		}
		if (!s->has_start)
			s->ts_start = s->ts_end;
		h2_emit(st, s, em, !h2_finished(s));
		h2_drop_open(qs, s->sid);
		h2_remove(st, s);
	}
	if (final) {
		adi_msgq_clear(out_q);
		adi_msgq_clear(in_q);
	}
}

/* start(): the client's direction is the one the traced task writes to
 * unless it accepted the connection (the preface, when seen, decides). */
static void http2_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct http2_state *st = vst;

	st->client_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	for (int i = 0; i < 2; i++) {
		st->side[i].max_frame = H2_DEFAULT_FRAME;
		st->side[i].table = H2_DEFAULT_TABLE;
	}
}

static void http2_fini(void *vst)
{
	struct http2_state *st = vst;

	for (size_t i = 0; i < st->nstreams; i++)
		h2_stream_free(st->streams[i]);
	free(st->streams);
	st->streams = NULL;
	st->nstreams = st->cap = 0;
	for (int i = 0; i < 2; i++) {
		struct h2_side *sd = &st->side[i];

		if (sd->inf)
			nghttp2_hd_inflate_del(sd->inf);
		if (sd->one)
			nghttp2_hd_inflate_del(sd->one);
		free(sd->hb);
		free(sd->fb);
		memset(sd, 0, sizeof(*sd));
	}
	if (st->z) {
		inflateEnd(st->z);
		free(st->z);
		st->z = NULL;
	}
}

const struct adi_proto adi_proto_http2 = {
	.name = "http2",
	.state_size = sizeof(struct http2_state),
	.start = http2_start,
	.sniff = http2_sniff,
	.parse = http2_parse,
	.gap = http2_gap,
	.resync = http2_resync,
	.stitch = http2_stitch,
	.fini = http2_fini,
};
