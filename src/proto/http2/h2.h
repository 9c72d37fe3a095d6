/* h2.h - private to the HTTP/2 decoder (src/proto/http2/): the limits, the
 * frame header, the per-connection state (struct http2_state: both
 * directions, the stream table) and the functions one file of the decoder
 * lends another. Nothing outside src/proto/http2/ includes it: the decoder's
 * one public header is src/proto/http2.h.
 *
 *   frame.c   preface, frame headers, SETTINGS / GOAWAY / RST_STREAM, the
 *             parse(), gap(), resync() and sniff() callbacks
 *   hpack.c   header blocks: HPACK through libnghttp2, the walker for an
 *             unknown dynamic table, fields written into a stream's text
 *   grpc.c    DATA content: plain bodies, gRPC length-prefixed messages,
 *             their gzip, protobuf and grpc-message
 *   stitch.c  the stream table, marks, one event per stream, stitch()
 *   http2.c   start(), fini() and the adi_proto_http2 table
 */
#ifndef ADI_PROTO_HTTP2_H2_H
#define ADI_PROTO_HTTP2_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nghttp2/nghttp2.h>

#include "../http2.h"
#include "../../lib/jw.h"

/* Limits (docs/http2.md). */
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
#define H2_SID_WINDOW 256        /* resync: stream ids believed above the highest seen */
#define H2_REGION_STREAMS 8      /* resync: streams whose last frame a lost region may hold */

/* Frame types (RFC 9113 6.1-6.10; the diagram is in frame.c). */
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

/* A frame header (9 bytes on the wire). */
struct h2_fhdr {
	uint32_t len;
	uint8_t type, flags;
	uint32_t sid;
	bool r;                  /* the reserved bit of the stream id */
};

/* ---- state ---- */

/* A header field of the block being decoded: offsets into the side's
 * field buffer. */
struct h2_nv {
	size_t name, nlen, val, vlen;
};

/* A JSON value a stream keeps for its event: bytes [off, off + len) of
 * the stream's text (struct h2_stream.txt); len 0: none. Offsets, not
 * pointers: the text grows. */
struct h2_val {
	size_t off, len;
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
	struct h2_val hdrs, trailers; /* header objects */
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
	struct h2_val method, path, authority; /* pseudo-headers, strings */
	struct h2_val h1_body;    /* the request body of an h2c upgrade */
	int status;               /* :status of the final response, 0 none */
	uint16_t *interim;        /* 1xx statuses, in order (owned) */
	unsigned ninterim, interim_cap;
	struct h2_half h[2];
	/* The JSON text of the h2_val above, each written once when its
	 * header block ends (or the h2c request is adopted) and copied as is
	 * into the event: values one after the other, no separators. */
	struct adi_jw txt;
};

/* The parse state of one direction. */
enum h2_phase {
	H2_PH_START,              /* nothing seen: a preface may come */
	H2_PH_FRAME,              /* at a frame header */
	H2_PH_PAYLOAD,            /* inside a frame taken piecewise */
	H2_PH_LOST,               /* a gap lost the framing: looking for it (frame.c) */
};

struct h2_side {
	enum h2_phase phase;
	bool start_ok;            /* began with its preface, no gap before */
	bool lost;                /* the HPACK dynamic table is unknown */
	uint8_t strict;           /* frames after a resync still checked as a
				   * chain (frame.c, "lost framing"): 2 at the
				   * resync, 0 once two frames passed */
	bool mark;                /* the frame ending marks stream mark_sid */
	uint32_t mark_sid;
	bool ignore;              /* the current frame's content is not used */
	uint32_t max_frame;       /* largest frame the peer allows */
	uint32_t table;           /* the peer's SETTINGS_HEADER_TABLE_SIZE in force */
	bool table_dirty;         /* ... not yet given to the inflater */
	/* the frame taken piecewise */
	struct h2_fhdr f;
	uint32_t left, pad;       /* content, then padding bytes to come */
	/* a gap that broke the framing (frame.c, "lost framing"): */
	bool gap_known;           /* the bytes since the last frame's end are counted */
	bool cand;                /* resync() named a frame parse() has not taken */
	uint64_t gap_lost;        /* ... those bytes so far */
	uint32_t gap_sid;         /* the stream whose DATA was the last frame */
	uint32_t last_data;       /* length of the last DATA frame of this direction */
	uint32_t last_data_sid;   /* ... and its stream */
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
	bool nv_nul;              /* a field name holds a NUL (hpack.c) */
	char *jb;                 /* a repeated field's values joined */
	size_t jb_cap;
	nghttp2_hd_inflater *inf; /* the table of this direction (!lost) */
	nghttp2_hd_inflater *one; /* decodes single fields for the walker */
	/* SETTINGS this direction sent, unacknowledged: the header table
	 * size each asked for the other direction (-1: none) */
	int64_t unacked[H2_MAX_UNACKED];
	unsigned nunacked;
};

struct z_stream_s;

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
	struct z_stream_s *z;     /* gzip of gRPC messages, reused (grpc.c) */
};

static inline struct h2_side *h2_side_of(struct http2_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

static inline enum adi_dir h2_other(enum adi_dir dir)
{
	return dir == ADI_DIR_OUT ? ADI_DIR_IN : ADI_DIR_OUT;
}

/* ---- frame.c ---- */

/* The name of an error code (RFC 9113 7.), or "0x..." for another, as a
 * string value. */
void h2_error_name(struct adi_jw *w, uint32_t code);

/* ---- hpack.c ---- */

/* The table of sd's direction is unknown from here on (its inflater is
 * freed; blocks are walked). */
void h2_side_lose(struct h2_side *sd);

/* A header table size set by SETTINGS reaches the inflater, between
 * blocks only. h2_table_set records a new size and applies it when it can;
 * h2_table_apply applies a recorded one (after a block). */
void h2_table_set(struct h2_side *sd, uint32_t v);
void h2_table_apply(struct h2_side *sd);

/* A header block: begun by a HEADERS or PUSH_PROMISE (f; promised: the
 * promised stream id), fed its fragments, done at END_HEADERS (its fields
 * go to their stream; returns the stream id to mark, 0 none), aborted when
 * another frame or lost bytes cut it, reset after either. */
void h2_block_begin(struct h2_side *sd, const struct h2_fhdr *f, uint32_t promised);
void h2_block_feed(struct h2_side *sd, const uint8_t *p, size_t n);
uint32_t h2_block_done(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
		       const struct adi_proto_cfg *cfg);
void h2_block_abort(struct http2_state *st, struct h2_side *sd, enum adi_dir dir);
void h2_block_reset(struct h2_side *sd);

/* ---- grpc.c ---- */

/* DATA content p[0..n) for half h of s: a plain body keeps its first
 * body_bytes; a gRPC one is cut into its messages. */
void h2_data(struct h2_stream *s, struct h2_half *h, const uint8_t *p, size_t n,
	     const struct adi_proto_cfg *cfg);

/* The kept messages of h written into w as a JSON array (each a protobuf
 * object, or the bytes when they are not one); hdrs: h's header object
 * (its grpc-encoding). *trunc: a message was cut or left out; *err: why a
 * compressed one could not be shown. */
void h2_messages(struct http2_state *st, struct adi_jw *w, const struct h2_half *h,
		 struct adi_jv hdrs, size_t cap, bool *trunc, const char **err);

/* Member k of a header object as a C string (the caller frees), or NULL
 * when it is absent or not a string. */
char *h2_hdr_str(struct adi_jv hdrs, const char *k);

/* grpc-message v, percent-decoded, written into w; null when v is no
 * string. */
void h2_grpc_message(struct adi_jw *w, struct adi_jv v);

/* Free the gzip state of st (fini). */
void h2_gzip_free(struct http2_state *st);

/* ---- stitch.c ---- */

/* The live stream sid (NULL when none). h2_get also creates it when
 * create and sid is above every id of its parity seen so far (a lower one
 * is closed: its late frames are ignored) or force; a full table evicts its
 * oldest stream (emitted, marked evicted, at the next stitch). *created
 * (may be NULL) tells whether it was made now. */
struct h2_stream *h2_find(struct http2_state *st, uint32_t sid);
struct h2_stream *h2_get(struct http2_state *st, uint32_t sid, bool create,
			 bool force, bool *created);
void h2_stream_free(struct h2_stream *s);

/* The value v of s (absent when none, or when its text ran out of
 * memory). Valid until s->txt is written again. */
static inline struct adi_jv h2_view(const struct h2_stream *s, struct h2_val v)
{
	struct adi_jv r = { NULL, 0 };

	if (v.len && !s->txt.err) {
		r.p = s->txt.buf + v.off;
		r.n = v.len;
	}
	return r;
}

/* Writing a value of s: h2_val_begin before, h2_val_end after it gives
 * its slot. */
static inline size_t h2_val_begin(const struct h2_stream *s)
{
	return s->txt.len;
}

static inline struct h2_val h2_val_end(const struct h2_stream *s, size_t from)
{
	struct h2_val v = { from, s->txt.err ? 0 : s->txt.len - from };

	return v;
}

/* Set *slot, when it is still empty, to a copy of the JSON value v (not
 * in s->txt itself) / to the bytes p[0..n) (adi_jw_bytes). An absent v
 * sets nothing. */
void h2_keep_raw(struct h2_stream *s, struct h2_val *slot, struct adi_jv v);
void h2_keep_bytes(struct h2_stream *s, struct h2_val *slot, const uint8_t *p, size_t n);

/* The half of s that frames of direction dir carry. */
struct h2_half *h2_half_of(struct http2_state *st, struct h2_stream *s, enum adi_dir dir);

/* Bytes of direction dir were lost: what an open stream was receiving in
 * it may miss some. */
void h2_streams_lost(struct http2_state *st, enum adi_dir dir);

/* The body length half h of s declared (content-length) in *cl: false when
 * it declared none (or one that is no decimal), or when it is no body's
 * (the response to HEAD, a 204 / 304). */
bool h2_declared_len(const struct h2_stream *s, const struct h2_half *h, uint64_t *cl);

/* ---- the adi_proto callbacks (http2.c lists them) ---- */

int http2_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c);
enum adi_parse http2_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
			   const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);
bool http2_gap(void *vst, enum adi_dir dir, uint64_t n);
size_t http2_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n);
void http2_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final);

#endif
