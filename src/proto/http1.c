/* http1.c - the HTTP/1.x decoder (RFC 9112): one request parser and one
 * response parser per connection (a direction's role is learnt from its
 * first start line), bodies de-chunked and gzip/deflate-decoded into a
 * buffer of --body-bytes, requests and responses paired into `http_request`
 * events. Owns: struct http1_state (parse state of both directions, the FIFO
 * of requests awaiting a response, body buffers, zlib streams). Does not
 * own: the stream bytes (borrowed per call) nor queued messages (engine's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include "../lib/cursor.h"
#include "http1.h"
#include "http2.h"

#define H1_MAX_FIELDS 128  /* field lines per header or trailer section */
#define H1_FIFO_CAP 64     /* requests awaiting a response (pipelining depth) */
#define H1_MAX_INTERIM 8   /* 1xx status codes kept for one exchange */
#define H1_MAX_METHOD 20   /* longest method token believed */
#define H1_MAX_CL 18       /* digits of the largest Content-Length believed */
#define H1_MAX_CHUNK 15    /* hex digits of the largest chunk size believed */

/* Status of a start-line / line check on bytes that may be cut short. */
enum h1_sl {
	H1_SL_BAD,     /* cannot be one, whatever follows */
	H1_SL_PARTIAL, /* a valid prefix: need more bytes */
	H1_SL_OK,      /* complete and valid */
};

enum h1_role { H1_ANY, H1_REQ_ONLY, H1_RESP_ONLY };

enum h1_phase {
	H1_START,      /* before a start line; nothing of the message held */
	H1_BODY_LEN,   /* Content-Length body: `remaining` bytes to come */
	H1_CHUNK_SIZE, /* a chunk-size line */
	H1_CHUNK_DATA, /* chunk data: `remaining` bytes to come */
	H1_CHUNK_END,  /* the CRLF that ends chunk data */
	H1_TRAILERS,   /* the trailer section after the last chunk */
	H1_CHUNK_LOST, /* chunk framing lost to a gap: looking for it again */
	H1_BODY_CLOSE, /* response body delimited by the end of the stream */
	H1_FINISHED,   /* complete (or ended by a gap): FRAME it next call */
};

enum h1_enc { H1_ENC_NONE, H1_ENC_GZIP, H1_ENC_DEFLATE };

/* Where a chunk-size line is: digits, BWS before ";", extensions. */
enum h1_cl { H1_CL_HEX, H1_CL_BWS, H1_CL_EXT };
#define H1_MAX_CHUNK_LINE 4096 /* chunk-size line with extensions */

/* A chunk-size line read so far (h1_chunk_line): by the parser, byte by
 * byte across calls, and by the resync after lost framing, on a copy. */
struct h1_cline {
	uint64_t size;            /* the size the hex digits say */
	uint16_t len;             /* bytes of the line so far */
	uint8_t state;            /* enum h1_cl */
	uint8_t digits;           /* hex digits so far */
	bool cr;                  /* saw the CR */
};

/* Methods whose response framing differs (RFC 9112 6.3). */
enum h1_mclass { H1_MC_OTHER, H1_MC_HEAD, H1_MC_CONNECT };

/* A request whose response has not started yet. */
struct h1_pending {
	uint64_t key;    /* the request's ordinal: adi_msg.key of both */
	uint8_t mclass;  /* enum h1_mclass */
	bool sw;         /* may switch protocols (Upgrade header or CONNECT) */
	bool h2c;        /* Upgrade names h2c (RFC 7540 3.2) */
};

/* Incremental search for the empty line ending a field section: `line`
 * is where the current line starts, `pos` how far '\n' was searched.
 * Offsets are relative to the first byte the parse call is given. */
struct h1_scan {
	size_t line, pos;
};

/* One body as it arrives: the first `cap` bytes kept (decoded when a
 * Content-Encoding is decoded, with the raw bytes kept too as the fallback
 * for a decoding error), the true size counted. */
struct h1_body {
	uint8_t *keep, *raw;      /* allocated once per side, `alloc` bytes each */
	size_t alloc;
	size_t cap;               /* bytes to keep for this message */
	size_t keep_len, raw_len;
	uint64_t total;           /* body bytes transferred, after de-chunking */
	bool cut, raw_cut;        /* keep / raw overflowed */
	enum h1_enc enc;
	z_stream *z;              /* while decoding */
	bool zstop;               /* decoding ended (end, error, gap, full) */
	bool zend, zerr, zcut, zretried;
	char zmsg[64];
};

/* A place in a chunked body whose framing was lost where a chunk may
 * start, followed byte by byte until it proves a chunk or not (see
 * "chunked framing lost"). */
enum h1_cst {
	H1_C_LINE,     /* its chunk-size line */
	H1_C_DATA,     /* its data: `left` bytes to come */
	H1_C_CR,       /* the CR after the data */
	H1_C_LF,       /* ... the LF */
	H1_C_NEXT,     /* the next chunk-size line's first digit */
	H1_C_ZCR,      /* after "0" CRLF: the CR of the empty trailer section */
	H1_C_ZLF,      /* ... its LF */
};

#define H1_MAX_CANDS 4 /* places followed at once; more are not looked at */

struct h1_cand {
	uint64_t at;              /* its offset in the lost region */
	uint64_t left;            /* H1_C_DATA: data bytes to come */
	struct h1_cline cl;       /* its chunk-size line */
	uint8_t st;               /* enum h1_cst */
};

/* The parser of one direction. */
struct h1_side {
	enum h1_phase phase;
	int kind;                 /* HTTP1_REQ / HTTP1_RESP of the message */
	uint64_t key;
	uint64_t remaining;       /* BODY_LEN, CHUNK_DATA */
	struct h1_scan scan;      /* START, TRAILERS */
	struct h1_cline cl;       /* CHUNK_SIZE: the line so far */
	bool cr;                  /* CHUNK_END: saw the CR */
	bool incomplete;          /* bytes of the message are missing */
	/* the stream ended inside the body with nothing lost before: the
	 * traced process stopped reading (or writing) it; unread: how many
	 * bytes it was short of, -1 when the framing does not say */
	bool unread_set;
	int64_t unread;
	bool switch_after;        /* the protocol ends after this message */
	bool holding;             /* START waits on the bytes of a started head */
	int hold_kind;            /* ... whose start line is complete: its kind */
	bool strict;              /* after resync: registered methods only */
	bool building;            /* mw holds the message being built */
	struct adi_jw mw;         /* ... its fields (reused message to message) */
	bool trailing;            /* tw holds a chunked body's trailer fields */
	struct adi_jw tw;         /* ... as an open object (reused) */
	uint16_t interim[H1_MAX_INTERIM]; /* 1xx codes before the final response */
	unsigned n_interim;
	struct h1_body body;
	/* a chunked body whose framing a gap lost (H1_CHUNK_LOST, "chunked
	 * framing lost" below): */
	uint64_t last_chunk;      /* size of the last chunk whose line was read */
	uint16_t last_line;       /* ... and that line's length, CRLF included */
	int64_t lost;             /* bytes of the region of lost chunks so far
				   * (< 0: CRLF bytes still to come before it) */
	uint64_t hist;            /* its last bytes seen, 8 of them at most */
	uint8_t since_gap;        /* its bytes seen since the last gap (to 6) */
	uint8_t ncand;
	struct h1_cand cand[H1_MAX_CANDS];
};

struct http1_state {
	enum adi_dir req_dir;     /* direction carrying requests, once known */
	bool done;                /* Upgrade / CONNECT: no more HTTP */
	bool h2c;                 /* ... a 101 to an h2c upgrade: HTTP/2 follows */
	uint64_t h2c_key;         /* the upgrade request's ordinal */
	uint64_t next_key;        /* last request ordinal given */
	uint64_t req_inprog;      /* request whose head is parsed, body not yet */
	uint64_t resp_key_max;    /* highest key a response has taken */
	struct h1_pending fifo[H1_FIFO_CAP];
	unsigned fifo_head, fifo_len;
	struct h1_side side[2];   /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
};

/* The registered methods: what sniff() and resync() accept as a request
 * start. parse() accepts any method token once the stream is HTTP. */
static const char *const h1_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
	"PATCH",
};
#define H1_N_METHODS (sizeof(h1_methods) / sizeof(h1_methods[0]))

/* ---- small byte helpers ---- */

/* RFC 9110 tchar: ALPHA / DIGIT / "!#$%&'*+-.^_`|~". A field name's byte
 * maps to itself lower-cased, any other byte to 0: one look-up per byte
 * both checks and lowers a name (every byte of every name goes through). */
#define H1_TC(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || (c) == '!' || \
		  (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' ||       \
		  (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' ||          \
		  (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define H1_NB(c) (uint8_t)((c) >= 'A' && (c) <= 'Z' ? ((c) + 32) & 0xff : H1_TC(c) ? (c) : 0)
#define H1_NB4(c) H1_NB(c), H1_NB((c) + 1), H1_NB((c) + 2), H1_NB((c) + 3)
#define H1_NB16(c) H1_NB4(c), H1_NB4((c) + 4), H1_NB4((c) + 8), H1_NB4((c) + 12)
#define H1_NB64(c) H1_NB16(c), H1_NB16((c) + 16), H1_NB16((c) + 32), H1_NB16((c) + 48)
static const uint8_t h1_name_byte[256] = { H1_NB64(0), H1_NB64(64), H1_NB64(128), H1_NB64(192) };
#undef H1_NB64
#undef H1_NB16
#undef H1_NB4
#undef H1_NB
#undef H1_TC

static bool h1_tchar(uint8_t c)
{
	return h1_name_byte[c] != 0;
}

static bool h1_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static uint8_t h1_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool h1_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive: b[0..n) equals the lower-case s. */
static bool h1_ieq(const uint8_t *b, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++)
		if (h1_lower(b[i]) != (uint8_t)s[i])
			return false;
	return true;
}

static size_t h1_min(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

static struct h1_side *h1_side_of(struct http1_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

static enum adi_dir h1_other(enum adi_dir dir)
{
	return dir == ADI_DIR_OUT ? ADI_DIR_IN : ADI_DIR_OUT;
}

static enum h1_role h1_role_of(const struct http1_state *st, enum adi_dir dir)
{
	if (st->req_dir == ADI_DIR_NONE)
		return H1_ANY;
	return dir == st->req_dir ? H1_REQ_ONLY : H1_RESP_ONLY;
}

/* ---- start lines ----
 *
 * HTTP/1.x message (RFC 9112, https://www.rfc-editor.org/rfc/rfc9112):
 *
 *   request-line = method SP request-target SP "HTTP/1." DIGIT CRLF   (3.)
 *   status-line  = "HTTP/1." DIGIT SP 3DIGIT SP [ reason-phrase ] CRLF (4.)
 *
 *   +------------------------------------------+
 *   | POST /upload?x=1 HTTP/1.1\r\n            |  start line
 *   | Host: example.com\r\n                    |  field lines: name ":" OWS
 *   | Accept: text/html,\r\n                   |   value OWS; a line that
 *   |  text/plain\r\n                          |   starts SP/HT continues the
 *   | Transfer-Encoding: chunked\r\n           |   previous one (obs-fold)
 *   | \r\n                                     |  empty line (bare \n too)
 *   +------------------------------------------+
 *   | body, by RFC 9112 6.3:                   |
 *   |  - none: HEAD response, 1xx, 204, 304,   |
 *   |    2xx to CONNECT, request w/o length    |
 *   |  - chunked (7.1):                        |
 *   |      1a;ext=v\r\n  <0x1a bytes>  \r\n     |
 *   |      0\r\n  Trailer: v\r\n  \r\n          |
 *   |  - Content-Length bytes                  |
 *   |  - response w/o length: until close      |
 *   +------------------------------------------+
 *
 * Lines end with CRLF; a bare LF is accepted (RFC 9112 2.2). Empty lines
 * before a start line are skipped (2.2).
 */

/* What a start-line check learnt (offsets into the bytes checked). */
struct h1_line {
	size_t len;           /* bytes of the line, with its end */
	size_t m_len;         /* request: method = b[0..m_len) */
	size_t t_off, t_len;  /* request: target */
	bool method_done;     /* request: method and its SP seen */
	unsigned status;      /* response: status code */
	size_t r_off, r_len;  /* response: reason phrase */
	uint8_t minor;        /* '0'..'9' of "HTTP/1.x" */
};

/* Expect the literal s at c[*i]: OK (consumed), PARTIAL (the bytes end in a
 * matching prefix) or BAD. */
static enum h1_sl h1_lit(const uint8_t *b, size_t n, size_t *i, const char *s)
{
	for (; *s; s++, (*i)++) {
		if (*i >= n)
			return H1_SL_PARTIAL;
		if (b[*i] != (uint8_t)*s)
			return H1_SL_BAD;
	}
	return H1_SL_OK;
}

/* A line end ("\r\n" or "\n") at b[*i]. */
static enum h1_sl h1_eol(const uint8_t *b, size_t n, size_t *i)
{
	if (*i >= n)
		return H1_SL_PARTIAL;
	if (b[*i] == '\r') {
		if (++*i >= n)
			return H1_SL_PARTIAL;
	}
	if (b[*i] != '\n')
		return H1_SL_BAD;
	++*i;
	return H1_SL_OK;
}

/* "HTTP/1." DIGIT at b[*i]. */
static enum h1_sl h1_version(const uint8_t *b, size_t n, size_t *i, uint8_t *minor)
{
	enum h1_sl r = h1_lit(b, n, i, "HTTP/1.");

	if (r != H1_SL_OK)
		return r;
	if (*i >= n)
		return H1_SL_PARTIAL;
	if (!h1_digit(b[*i]))
		return H1_SL_BAD;
	*minor = b[(*i)++];
	return H1_SL_OK;
}

/* m = b[0..k) is a registered method (complete: a byte follows it) or a
 * prefix of one (the bytes end inside it). */
static bool h1_method_ok(const uint8_t *b, size_t k, bool complete)
{
	for (size_t j = 0; j < H1_N_METHODS; j++) {
		size_t ml = strlen(h1_methods[j]);

		if (complete ? ml == k : ml >= k)
			if (memcmp(h1_methods[j], b, k) == 0)
				return true;
	}
	return false;
}

/* Check b[0..n) as a request line. registered: only the registered methods
 * (sniff, resync); otherwise any token. */
static enum h1_sl h1_req_line(const uint8_t *b, size_t n, bool registered,
			      struct h1_line *l)
{
	size_t i = 0;
	enum h1_sl r;

	memset(l, 0, sizeof(*l));
	while (i < n && h1_tchar(b[i]))
		if (++i > H1_MAX_METHOD)
			return H1_SL_BAD;
	if (registered && !h1_method_ok(b, i, i < n))
		return H1_SL_BAD;
	if (i >= n)
		return H1_SL_PARTIAL;
	if (i == 0 || b[i] != ' ')
		return H1_SL_BAD;
	l->m_len = i++;
	l->method_done = true;
	l->t_off = i;
	while (i < n && b[i] > 0x20 && b[i] != 0x7f)
		i++;
	if (i >= n)
		return H1_SL_PARTIAL;
	l->t_len = i - l->t_off;
	if (!l->t_len || b[i] != ' ')
		return H1_SL_BAD;
	i++;
	if ((r = h1_version(b, n, &i, &l->minor)) != H1_SL_OK)
		return r;
	if ((r = h1_eol(b, n, &i)) != H1_SL_OK)
		return r;
	l->len = i;
	return H1_SL_OK;
}

/* Check b[0..n) as a status line. */
static enum h1_sl h1_status_line(const uint8_t *b, size_t n, struct h1_line *l)
{
	size_t i = 0;
	enum h1_sl r;

	memset(l, 0, sizeof(*l));
	if ((r = h1_version(b, n, &i, &l->minor)) != H1_SL_OK)
		return r;
	if ((r = h1_lit(b, n, &i, " ")) != H1_SL_OK)
		return r;
	for (int k = 0; k < 3; k++, i++) {
		if (i >= n)
			return H1_SL_PARTIAL;
		if (!h1_digit(b[i]))
			return H1_SL_BAD;
		l->status = l->status * 10 + (unsigned)(b[i] - '0');
	}
	if (l->status < 100)
		return H1_SL_BAD;
	if (i >= n)
		return H1_SL_PARTIAL;
	if (b[i] == ' ') {
		/* reason-phrase = *( HTAB / SP / VCHAR / obs-text ) */
		l->r_off = ++i;
		while (i < n && (b[i] == '\t' || (b[i] >= 0x20 && b[i] != 0x7f)))
			i++;
		if (i >= n)
			return H1_SL_PARTIAL;
		l->r_len = i - l->r_off;
	}
	if ((r = h1_eol(b, n, &i)) != H1_SL_OK)
		return r;
	l->len = i;
	return H1_SL_OK;
}

/* A start line for a direction of role `role`: *kind says which.
 * registered: only the registered methods (what resync() looks for). */
static enum h1_sl h1_start_line(const uint8_t *b, size_t n, enum h1_role role,
				bool registered, int *kind, struct h1_line *l)
{
	enum h1_sl r;

	if (role != H1_REQ_ONLY) {
		r = h1_status_line(b, n, l);
		if (r != H1_SL_BAD) {
			*kind = HTTP1_RESP;
			return r;
		}
	}
	if (role != H1_RESP_ONLY) {
		r = h1_req_line(b, n, registered, l);
		if (r != H1_SL_BAD) {
			*kind = HTTP1_REQ;
			return r;
		}
	}
	return H1_SL_BAD;
}

/* Find the empty line that ends a field section whose current line starts
 * at sc->line. Returns the offset just past it (and *empty, where the empty
 * line starts), or 0 when it is not in b[0..n) yet (sc keeps the progress). */
static size_t h1_section_end(const uint8_t *b, size_t n, struct h1_scan *sc,
			     size_t *empty)
{
	if (sc->pos > n || sc->line > sc->pos)
		sc->line = sc->pos = 0;
	while (sc->pos < n) {
		const uint8_t *nl = memchr(b + sc->pos, '\n', n - sc->pos);
		size_t e, len;

		if (!nl) {
			sc->pos = n;
			return 0;
		}
		e = (size_t)(nl - b);
		len = e - sc->line;
		if (len == 0 || (len == 1 && b[sc->line] == '\r')) {
			*empty = sc->line;
			return e + 1;
		}
		sc->line = sc->pos = e + 1;
	}
	return 0;
}

/* ---- field lines ----
 *
 *   field-line = field-name ":" OWS field-value OWS          (RFC 9112 5.)
 *   obs-fold   = OWS CRLF RWS     (a continuation: joined with one SP, 5.2)
 *
 * Names are kept lower-case; a repeated name is one member whose values are
 * joined with ", " (RFC 9110 5.3); Authorization, Proxy-Authorization,
 * Cookie and Set-Cookie values become "<redacted>" unless show_secrets.
 */

/* What framing needs from a header section. */
struct h1_framing {
	bool bad;         /* a Content-Length that cannot be trusted */
	bool has_cl, has_te, chunked, upgrade;
	bool h2c;         /* Upgrade lists the token h2c */
	uint64_t cl;
	enum h1_enc enc;
};

/* Positions in the scratch buffer of one field line. */
struct h1_field {
	size_t name;          /* in the scratch: NUL terminated, lower-case */
	size_t name_len;
	const uint8_t *val;   /* where the message has it, or (folded) in the
			       * scratch, joined from its lines */
	size_t val_len;
	bool folded;
};

/* Same lower-cased name (lengths first: most names differ in length). */
static bool h1_same_name(const char *sc, const struct h1_field *a, const struct h1_field *b)
{
	return a->name_len == b->name_len && !memcmp(sc + a->name, sc + b->name, a->name_len);
}

/* name[0..n) is the lower-case literal s (lengths first: most differ). */
#define H1_NAME_IS(name, n, s) ((n) == sizeof(s) - 1 && !memcmp((name), (s), (n)))

static bool h1_secret(const char *name, size_t n)
{
	return H1_NAME_IS(name, n, "authorization") ||
	       H1_NAME_IS(name, n, "proxy-authorization") ||
	       H1_NAME_IS(name, n, "cookie") || H1_NAME_IS(name, n, "set-cookie");
}

/* Content-Length: 1*DIGIT, or a list of identical values ("5, 5", which
 * RFC 9112 6.3 lets a recipient accept). Returns false when unusable. */
static bool h1_content_length(const uint8_t *v, size_t n, uint64_t *out)
{
	size_t i = 0;
	bool any = false;

	while (i <= n) {
		uint64_t x = 0;
		size_t d = 0;

		while (i < n && h1_ws(v[i]))
			i++;
		while (i < n && h1_digit(v[i])) {
			if (++d > H1_MAX_CL)
				return false;
			x = x * 10 + (uint64_t)(v[i++] - '0');
		}
		while (i < n && h1_ws(v[i]))
			i++;
		if (!d || (any && x != *out))
			return false;
		*out = x;
		any = true;
		if (i == n)
			return true;
		if (v[i] != ',')
			return false;
		i++;
	}
	return false;
}

/* The last comma-separated member of v[0..n), trimmed. */
static void h1_last_token(const uint8_t *v, size_t n, const uint8_t **t, size_t *tn)
{
	size_t s = n, e = n;

	while (s > 0 && v[s - 1] != ',')
		s--;
	while (s < e && h1_ws(v[s]))
		s++;
	while (e > s && h1_ws(v[e - 1]))
		e--;
	*t = v + s;
	*tn = e - s;
}

static void h1_framing_field(struct h1_framing *fr, const char *name, size_t nl,
			     const uint8_t *v, size_t n)
{
	const uint8_t *t;
	size_t tn;

	if (H1_NAME_IS(name, nl, "content-length")) {
		fr->has_cl = true;
		if (!h1_content_length(v, n, &fr->cl))
			fr->bad = true;
	} else if (H1_NAME_IS(name, nl, "transfer-encoding")) {
		fr->has_te = true;
		h1_last_token(v, n, &t, &tn);
		fr->chunked = h1_ieq(t, tn, "chunked");
	} else if (H1_NAME_IS(name, nl, "content-encoding")) {
		/* One coding only; a list ("gzip, br") is shown as sent. */
		h1_last_token(v, n, &t, &tn);
		if (memchr(v, ',', n))
			fr->enc = H1_ENC_NONE;
		else if (h1_ieq(t, tn, "gzip") || h1_ieq(t, tn, "x-gzip"))
			fr->enc = H1_ENC_GZIP;
		else if (h1_ieq(t, tn, "deflate"))
			fr->enc = H1_ENC_DEFLATE;
		else
			fr->enc = H1_ENC_NONE;
	} else if (H1_NAME_IS(name, nl, "upgrade")) {
		fr->upgrade = n > 0;
		for (size_t i = 0; i < n;) {
			size_t e = i;

			while (e < n && v[e] != ',')
				e++;
			h1_last_token(v + i, e - i, &t, &tn);
			if (h1_ieq(t, tn, "h2c"))
				fr->h2c = true;
			i = e + 1;
		}
	}
}

/* The line of b[0..n) that goes on at `from`: returns where it ends (its
 * LF, or n); [*vs, *ve) is its rest from `from`, without the CR and the
 * blanks around it (a field's value, or a fold's continuation). */
static inline size_t h1_line_value(const uint8_t *b, size_t from, size_t n, size_t *vs, size_t *ve)
{
	const uint8_t *nl = memchr(b + from, '\n', n - from);
	size_t e = nl ? (size_t)(nl - b) : n, s = from, le = e;

	if (le > from && b[le - 1] == '\r')
		le--;
	while (s < le && h1_ws(b[s]))
		s++;
	while (le > s && h1_ws(b[le - 1]))
		le--;
	*vs = s;
	*ve = le;
	return e;
}

/* Parse the field lines b[0..n) (each ending in LF; n stops before the
 * empty line) into w, as the members of the object w has open (names
 * lower case, repeated names joined in their first place). fr (may be
 * NULL) gets the framing fields. Returns
 * 0, or -1 when a line is malformed, there are more than H1_MAX_FIELDS, or
 * memory ran out (the message is then not decoded). One scratch allocation
 * per section, none per byte; a value is written from the message where
 * it lies unless it was folded or is joined with a repeat. */
static int h1_fields(const uint8_t *b, size_t n, const struct adi_proto_cfg *cfg,
		     struct adi_jw *w, struct h1_framing *fr)
{
	struct h1_field f[H1_MAX_FIELDS];
	size_t nf = 0, sn = 0, i = 0;
	char *sc, small[2048];
	uint64_t seen = 0;       /* a bit per (name length, first byte) */
	bool maybe_repeat = false;

	if (n == 0)
		return 0;
	/* Names + NULs + folded values fit in n (a NUL replaces each ':', one
	 * SP at least CRLF+RWS of a fold); joined values fit in another n.
	 * Most sections fit on the stack. */
	sc = 2 * n + 16 <= sizeof(small) ? small : malloc(2 * n + 16);
	if (!sc)
		return -1;
	while (i < n) {
		size_t e, le, s;

		if (h1_ws(b[i])) {
			struct h1_field *p;

			if (!nf)
				goto bad; /* a fold with nothing to continue */
			p = &f[nf - 1];
			e = h1_line_value(b, i, n, &s, &le);
			if (s < le) {
				/* into the scratch, where the last value then
				 * ends it: append */
				if (!p->folded) {
					memcpy(sc + sn, p->val, p->val_len);
					p->val = (const uint8_t *)sc + sn;
					sn += p->val_len;
					p->folded = true;
				}
				if (p->val_len)
					sc[sn++] = ' ';
				memcpy(sc + sn, b + s, le - s);
				sn += le - s;
				p->val_len = (size_t)((const uint8_t *)sc + sn - p->val);
			}
		} else {
			uint64_t bit;

			if (nf == H1_MAX_FIELDS)
				goto bad;
			/* the name, checked and lowered, up to the first byte
			 * that is no tchar: the colon, or the line is bad */
			f[nf].name = sn;
			for (s = i; s < n; s++) {
				uint8_t c = h1_name_byte[b[s]];

				if (!c)
					break;
				sc[sn++] = (char)c;
			}
			if (s == i || s == n || b[s] != ':')
				goto bad;
			f[nf].name_len = sn - f[nf].name;
			sc[sn++] = '\0';
			/* names that may repeat: by length and first byte */
			bit = 1ull << ((f[nf].name_len * 7 + (uint8_t)sc[f[nf].name]) & 63);
			if (seen & bit)
				maybe_repeat = true;
			seen |= bit;
			e = h1_line_value(b, s + 1, n, &s, &le);
			f[nf].val = b + s;
			f[nf].val_len = le - s;
			f[nf].folded = false;
			nf++;
		}
		i = e + 1;
	}
	for (size_t k = 0; k < nf; k++) {
		const char *name = sc + f[k].name;
		const uint8_t *v = f[k].val;
		size_t vn = f[k].val_len, j = nf;

		if (maybe_repeat) {
			for (j = 0; j < k; j++)
				if (h1_same_name(sc, &f[j], &f[k]))
					break;
			if (j < k)
				continue; /* joined with its first occurrence */
			for (j = k + 1; j < nf; j++)
				if (h1_same_name(sc, &f[j], &f[k]))
					break;
		}
		if (j < nf) {
			/* repeated: the values joined, after the scratch's end */
			char *jb = sc + sn;
			size_t jn = vn;

			memcpy(jb, v, vn);
			for (; j < nf; j++) {
				if (!h1_same_name(sc, &f[j], &f[k]))
					continue;
				jb[jn++] = ',';
				jb[jn++] = ' ';
				memcpy(jb + jn, f[j].val, f[j].val_len);
				jn += f[j].val_len;
			}
			v = (const uint8_t *)jb;
			vn = jn;
		}
		if (fr)
			h1_framing_field(fr, name, f[k].name_len, v, vn);
		/* tchars only (checked above): nothing to escape */
		adi_jw_keyn_plain(w, name, f[k].name_len);
		if (!cfg->show_secrets && h1_secret(name, f[k].name_len))
			adi_jw_str(w, "<redacted>");
		else
			adi_jw_bytes(w, v, vn);
	}
	if (sc != small)
		free(sc);
	return 0;
bad:
	if (sc != small)
		free(sc);
	return -1;
}

/* ---- bodies ---- */

static void h1_z_end(struct h1_body *bd)
{
	if (bd->z) {
		inflateEnd(bd->z);
		free(bd->z);
		bd->z = NULL;
	}
	bd->zstop = true;
}

static void h1_body_begin(struct h1_body *bd, const struct adi_proto_cfg *cfg,
			  enum h1_enc enc)
{
	h1_z_end(bd);
	bd->cap = cfg->body_bytes;
	bd->keep_len = bd->raw_len = 0;
	bd->total = 0;
	bd->cut = bd->raw_cut = false;
	bd->enc = enc;
	bd->zstop = bd->zend = bd->zerr = bd->zcut = bd->zretried = false;
	bd->zmsg[0] = '\0';
}

/* Append p[0..n) to buf (len of cap used); *cut when it does not fit. */
static void h1_keep(uint8_t *buf, size_t cap, size_t *len, bool *cut,
		    const uint8_t *p, size_t n)
{
	size_t k = h1_min(cap - *len, n);

	if (k) {
		memcpy(buf + *len, p, k);
		*len += k;
	}
	if (k < n)
		*cut = true;
}

static void h1_z_fail(struct h1_body *bd, const char *what)
{
	snprintf(bd->zmsg, sizeof(bd->zmsg), "%s: %s",
		 bd->enc == H1_ENC_GZIP ? "gzip" : "deflate", what);
	bd->zerr = true;
	h1_z_end(bd);
}

/* Inflate p[0..n) into keep; stop at the stream end, on an error, or as
 * soon as one byte more than cap comes out (the body is then cut).
 * Returns true when the data is not zlib but may be raw deflate. */
static bool h1_inflate(struct h1_body *bd, const uint8_t *p, size_t n)
{
	if (!bd->z) {
		bd->z = calloc(1, sizeof(*bd->z));
		/* 32 + MAX_WBITS: gzip or zlib header, detected */
		if (!bd->z || inflateInit2(bd->z, 32 + MAX_WBITS) != Z_OK) {
			free(bd->z);
			bd->z = NULL;
			h1_z_fail(bd, "cannot start zlib");
			return false;
		}
	}
	while (n > 0) {
		uInt slice = n > (1u << 30) ? (1u << 30) : (uInt)n;

		bd->z->next_in = p;
		bd->z->avail_in = slice;
		for (;;) {
			uint8_t spill[64];
			bool into_keep = bd->keep_len < bd->cap;
			uInt room = into_keep ? (uInt)(bd->cap - bd->keep_len) : sizeof(spill);
			int r;

			bd->z->next_out = into_keep ? bd->keep + bd->keep_len : spill;
			bd->z->avail_out = room;
			r = inflate(bd->z, Z_NO_FLUSH);
			if (into_keep)
				bd->keep_len += room - bd->z->avail_out;
			else if (bd->z->avail_out < room) {
				bd->zcut = true;
				h1_z_end(bd);
				return false;
			}
			if (r == Z_STREAM_END) {
				bd->zend = true;
				h1_z_end(bd);
				return false;
			}
			/* input left, or the keep filled just as it ran out:
			 * inflate may still hold the rest of a match, an error
			 * or the end, which smaller pieces of input would have
			 * shown (into the spill, one step more) */
			if (r == Z_OK && (bd->z->avail_in > 0 ||
					  (into_keep && bd->keep_len >= bd->cap)))
				continue;
			if (r == Z_OK || r == Z_BUF_ERROR)
				break; /* no progress possible with this input */
			/* "deflate" is often sent as raw RFC 1951 data without
			 * the zlib header: that fails on the 2 header bytes */
			if (bd->enc == H1_ENC_DEFLATE && !bd->zretried &&
			    bd->z->total_in <= 2 && bd->keep_len == 0)
				return true;
			h1_z_fail(bd, bd->z->msg ? bd->z->msg : "invalid data");
			return false;
		}
		p += slice;
		n -= slice;
	}
	return false;
}

/* Decode the body again as raw deflate: what came before p[0..n) is all in
 * raw (the zlib header failed within its first 2 bytes, and cap >= 2), so
 * raw then the part of p past it is the whole body so far. */
static void h1_inflate_raw(struct h1_body *bd, const uint8_t *p, size_t n)
{
	uint64_t before = bd->total - n;

	bd->zretried = true;
	if (bd->cap < 2 || before > bd->raw_len ||
	    inflateReset2(bd->z, -MAX_WBITS) != Z_OK) {
		h1_z_fail(bd, bd->z->msg ? bd->z->msg : "incorrect header check");
		return;
	}
	if (h1_inflate(bd, bd->raw, bd->raw_len) || bd->zstop)
		return;
	if (bd->total > bd->raw_len)
		h1_inflate(bd, p + (bd->raw_len - before), (size_t)(bd->total - bd->raw_len));
}

/* Body bytes p[0..n) arrived: count them, keep the first cap (decoded). */
static void h1_body_feed(struct h1_body *bd, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	bd->total += n;
	if (!bd->cap) {
		bd->cut = true;
		return;
	}
	if (bd->alloc < bd->cap) {
		uint8_t *k = realloc(bd->keep, bd->cap), *r;

		if (k)
			bd->keep = k;
		r = k ? realloc(bd->raw, bd->cap) : NULL;
		if (r)
			bd->raw = r;
		if (!k || !r) {
			bd->cut = true; /* out of memory: count only */
			bd->cap = 0;
			return;
		}
		bd->alloc = bd->cap;
	}
	if (bd->enc == H1_ENC_NONE) {
		h1_keep(bd->keep, bd->cap, &bd->keep_len, &bd->cut, p, n);
		return;
	}
	h1_keep(bd->raw, bd->cap, &bd->raw_len, &bd->raw_cut, p, n);
	if (!bd->zstop && h1_inflate(bd, p, n))
		h1_inflate_raw(bd, p, n);
}

/* Bytes of the body were lost: decoding cannot go on past them. */
static void h1_body_lost(struct h1_side *sd)
{
	sd->incomplete = true;
	if (sd->body.enc != H1_ENC_NONE)
		h1_z_end(&sd->body);
}

/* body, bytes, truncated (+ content_encoding / decode_error) into w. */
static void h1_body_fields(const struct h1_side *sd, struct adi_jw *w)
{
	const struct h1_body *bd = &sd->body;
	const uint8_t *show = bd->keep;
	size_t show_len = bd->keep_len;
	bool trunc = bd->cut;
	const char *ce = NULL, *derr = NULL;

	if (bd->enc != H1_ENC_NONE && bd->total > 0 && bd->cap > 0) {
		if (bd->zerr) {
			show = bd->raw;
			show_len = bd->raw_len;
			trunc = bd->raw_cut;
			derr = bd->zmsg;
		} else {
			ce = bd->enc == H1_ENC_GZIP ? "gzip" : "deflate";
			trunc = bd->zcut || (!bd->zend && bd->keep_len >= bd->cap);
			if (!bd->zend && !trunc && !sd->incomplete && !sd->unread_set)
				derr = bd->enc == H1_ENC_GZIP ?
				       "gzip: unexpected end of data" :
				       "deflate: unexpected end of data";
		}
	}
	adi_jw_kbytes(w, "body", show, show_len);
	adi_jw_kint(w, "bytes", (int64_t)bd->total);
	adi_jw_kbool(w, "truncated", trunc || sd->incomplete);
	if (sd->unread_set) {
		adi_jw_key(w, "unread");
		if (sd->unread >= 0)
			adi_jw_int(w, sd->unread);
		else
			adi_jw_null(w);
	}
	if (ce)
		adi_jw_kstr(w, "content_encoding", ce);
	if (derr)
		adi_jw_kstr(w, "decode_error", derr);
}

/* ---- per-direction state ---- */

static void h1_set_phase(struct h1_side *sd, enum h1_phase ph)
{
	sd->phase = ph;
	sd->scan.line = sd->scan.pos = 0;
	memset(&sd->cl, 0, sizeof(sd->cl));
	sd->cr = false;
	if (ph == H1_CHUNK_SIZE)
		sd->remaining = 0;
}

/* Forget the message in progress (after it was framed, or abandoned). */
static void h1_side_reset(struct http1_state *st, struct h1_side *sd)
{
	if (sd->kind == HTTP1_REQ && sd->key && st->req_inprog == sd->key)
		st->req_inprog = 0;
	sd->building = sd->trailing = false;
	h1_z_end(&sd->body);
	h1_set_phase(sd, H1_START);
	sd->kind = 0;
	sd->key = 0;
	sd->remaining = 0;
	sd->incomplete = sd->switch_after = sd->holding = false;
	sd->unread_set = false;
	sd->unread = 0;
	sd->hold_kind = 0;
	sd->lost = 0;
	sd->ncand = 0;
}

/* The message is complete: hand it over in out (an exact-size copy of its
 * fields; the side's writers keep their buffers for the next message). */
static void h1_finish(struct http1_state *st, struct h1_side *sd,
		      struct adi_msg *out)
{
	if (sd->building) {
		struct adi_jw *w = &sd->mw;

		h1_body_fields(sd, w);
		if (sd->trailing && sd->tw.len > 1) { /* more than its '{' */
			adi_jw_obj_end(&sd->tw);
			adi_jw_kraw(w, "trailers", adi_jw_text(&sd->tw));
		}
		adi_jw_copy(&out->f, w);
	}
	out->kind = sd->kind;
	out->key = sd->key;
	out->incomplete = sd->incomplete || sd->unread_set;
	if (sd->switch_after)
		st->done = true;
	h1_side_reset(st, sd);
}

static void h1_fifo_push(struct http1_state *st, const struct h1_pending *p)
{
	if (st->fifo_len == H1_FIFO_CAP) {
		/* deeper pipelining than we follow: the oldest request's
		 * response will not find it (emitted alone, incomplete) */
		st->fifo_head = (st->fifo_head + 1) % H1_FIFO_CAP;
		st->fifo_len--;
	}
	st->fifo[(st->fifo_head + st->fifo_len) % H1_FIFO_CAP] = *p;
	st->fifo_len++;
}

static bool h1_fifo_pop(struct http1_state *st, struct h1_pending *p)
{
	if (!st->fifo_len)
		return false;
	*p = st->fifo[st->fifo_head];
	st->fifo_head = (st->fifo_head + 1) % H1_FIFO_CAP;
	st->fifo_len--;
	return true;
}

/* A request that may switch protocols (Upgrade, CONNECT) awaits its
 * response: what follows it in the request direction may be the new
 * protocol, so it is held rather than called BAD until the response says. */
static bool h1_switch_pending(const struct http1_state *st)
{
	for (unsigned i = 0; i < st->fifo_len; i++)
		if (st->fifo[(st->fifo_head + i) % H1_FIFO_CAP].sw)
			return true;
	return false;
}

static enum h1_mclass h1_mclass_of(const uint8_t *m, size_t n)
{
	if (n == 4 && !memcmp(m, "HEAD", 4))
		return H1_MC_HEAD;
	if (n == 7 && !memcmp(m, "CONNECT", 7))
		return H1_MC_CONNECT;
	return H1_MC_OTHER;
}

/* A complete header section b[0..hlen) (start line l, field lines up to
 * `empty`) was received: build the message and choose how its body is
 * framed (RFC 9112 6.3). Returns FRAME-to-come (AGAIN is never returned):
 * ADI_PARSE_FRAME when a message starts, SKIP for a 1xx interim response,
 * BAD when it cannot be decoded. */
static enum adi_parse h1_head(struct http1_state *st, struct h1_side *sd,
			      const struct adi_proto_cfg *cfg, enum adi_dir dir,
			      const uint8_t *b, size_t empty,
			      const struct h1_line *l, int kind)
{
	struct h1_framing fr = { 0 };
	struct adi_jw *w = &sd->mw;
	char ver[4] = { '1', '.', (char)l->minor, '\0' };
	enum h1_phase body = H1_FINISHED;
	struct h1_pending p = { 0 };
	int rc;

	/* the start line's fields, then the headers: the message is dropped
	 * again below when it cannot be decoded or is an interim response */
	adi_jw_reset(w);
	if (kind == HTTP1_REQ) {
		adi_jw_kstrn(w, "method", (const char *)b, l->m_len);
		adi_jw_kbytes(w, "url", b + l->t_off, l->t_len);
		adi_jw_kstr(w, "version", ver);
	} else {
		adi_jw_kstr(w, "version", ver);
		adi_jw_kint(w, "status", l->status);
		adi_jw_kbytes(w, "reason", b + l->r_off, l->r_len);
	}
	adi_jw_kobj(w, "headers");
	rc = h1_fields(b + l->len, empty - l->len, cfg, w, &fr);
	adi_jw_obj_end(w);
	if (rc < 0 || w->err || fr.bad || (kind == HTTP1_REQ && fr.has_te && !fr.chunked)) {
		/* a request whose length cannot be known (RFC 9112 6.3: 400) */
		adi_jw_reset(w);
		return ADI_PARSE_BAD;
	}
	if (kind == HTTP1_RESP && l->status / 100 == 1 && l->status != 101) {
		/* interim: no body, not paired (RFC 9110 15.2) */
		if (sd->n_interim < H1_MAX_INTERIM)
			sd->interim[sd->n_interim++] = (uint16_t)l->status;
		if (st->req_dir == ADI_DIR_NONE)
			st->req_dir = h1_other(dir);
		adi_jw_reset(w);
		return ADI_PARSE_SKIP;
	}
	if (kind == HTTP1_REQ) {
		if (st->req_dir == ADI_DIR_NONE)
			st->req_dir = dir;
		p.key = ++st->next_key;
		p.mclass = h1_mclass_of(b, l->m_len);
		p.sw = fr.upgrade || p.mclass == H1_MC_CONNECT;
		p.h2c = fr.h2c;
		h1_fifo_push(st, &p);
		st->req_inprog = p.key;
		sd->key = p.key;
		if (fr.has_te)
			body = H1_CHUNK_SIZE;
		else if (fr.has_cl && fr.cl > 0)
			body = H1_BODY_LEN;
	} else {
		if (st->req_dir == ADI_DIR_NONE)
			st->req_dir = h1_other(dir);
		if (h1_fifo_pop(st, &p) && p.key > st->resp_key_max)
			st->resp_key_max = p.key;
		sd->key = p.key;
		if (sd->n_interim) {
			adi_jw_karr(w, "interim");
			for (unsigned i = 0; i < sd->n_interim; i++)
				adi_jw_int(w, sd->interim[i]);
			adi_jw_arr_end(w);
			sd->n_interim = 0;
		}
		if (l->status == 101 && p.h2c && p.key) {
			/* HTTP/2 follows (next()); the exchange is its
			 * stream 1 (RFC 7540 3.2), stitched by http2.c */
			st->h2c = true;
			st->h2c_key = p.key;
		}
		if (l->status == 101 ||
		    (p.mclass == H1_MC_CONNECT && l->status / 100 == 2))
			sd->switch_after = true; /* no body; the protocol ends */
		else if (p.mclass == H1_MC_HEAD || l->status == 204 ||
			 l->status == 304)
			body = H1_FINISHED;
		else if (fr.has_te)
			body = fr.chunked ? H1_CHUNK_SIZE : H1_BODY_CLOSE;
		else if (fr.has_cl)
			body = fr.cl > 0 ? H1_BODY_LEN : H1_FINISHED;
		else
			body = H1_BODY_CLOSE;
	}
	sd->kind = kind;
	sd->building = true;
	sd->incomplete = false;
	sd->remaining = fr.cl;
	sd->last_chunk = sd->last_line = 0;
	h1_body_begin(&sd->body, cfg, body == H1_FINISHED ? H1_ENC_NONE : fr.enc);
	h1_set_phase(sd, body);
	if (body == H1_CHUNK_SIZE) {
		adi_jw_reset(&sd->tw);
		adi_jw_obj(&sd->tw);
		sd->trailing = true;
	}
	return ADI_PARSE_FRAME;
}

/* START: a header section at b[0]. Returns SKIP/AGAIN/BAD with *pos the
 * bytes to report, or FRAME meaning "the head is consumed (*pos bytes),
 * go on with the body". */
static enum adi_parse h1_start(struct http1_state *st, struct h1_side *sd,
			       const struct adi_proto_cfg *cfg, enum adi_dir dir,
			       const uint8_t *b, size_t n, size_t *pos)
{
	size_t lim = h1_min(n, ADI_PROTO_LOOKAHEAD), k = 0, e, empty = 0;
	struct h1_line l;
	enum adi_parse r;
	enum h1_sl s;
	int kind = 0;

	*pos = 0;
	sd->holding = false;
	sd->hold_kind = 0;
	while (k < n) {
		if (b[k] == '\n')
			k++;
		else if (b[k] == '\r' && k + 1 < n && b[k + 1] == '\n')
			k += 2;
		else
			break;
	}
	if (k) {
		*pos = k;
		return ADI_PARSE_SKIP;
	}
	if (n == 0 || (n == 1 && b[0] == '\r'))
		return ADI_PARSE_AGAIN;
	/* Right after a resync, exactly what resync() accepted is accepted:
	 * whether bytes arrive whole or in pieces then makes no difference
	 * (resync() may stop at a cut-short candidate that parse() refuses
	 * once it is whole; refused whole, resync() would have passed it). */
	s = h1_start_line(b, lim, h1_role_of(st, dir), sd->strict, &kind, &l);
	if (s == H1_SL_BAD) {
		if (h1_role_of(st, dir) == H1_REQ_ONLY && h1_switch_pending(st) &&
		    !sd->strict && lim < ADI_PROTO_LOOKAHEAD)
			return ADI_PARSE_AGAIN;
		goto bad;
	}
	if (s == H1_SL_PARTIAL) {
		if (lim >= ADI_PROTO_LOOKAHEAD)
			goto bad;
		sd->holding = true;
		return ADI_PARSE_AGAIN;
	}
	if (sd->scan.pos < l.len)
		sd->scan.line = sd->scan.pos = l.len;
	e = h1_section_end(b, lim, &sd->scan, &empty);
	if (!e) {
		if (lim >= ADI_PROTO_LOOKAHEAD)
			goto bad; /* a header section larger than we hold */
		sd->holding = true;
		sd->hold_kind = kind;
		return ADI_PARSE_AGAIN;
	}
	sd->scan.line = sd->scan.pos = 0;
	r = h1_head(st, sd, cfg, dir, b, empty, &l, kind);
	if (r == ADI_PARSE_BAD)
		goto bad;
	sd->strict = false;
	*pos = e;
	return r;
bad:
	sd->scan.line = sd->scan.pos = 0;
	return ADI_PARSE_BAD;
}

/* chunk-size line = 1*HEXDIG [ BWS ";" chunk-ext ] CRLF (RFC 9112 7.1.1),
 * taken byte by byte into cl so that a body never leaves bytes held: a gap
 * anywhere in it reaches gap(). Consumes from b[0..n) up to and including
 * the LF (*len), or all of it. Returns OK when the line ended, PARTIAL when
 * it goes on, BAD at a byte that cannot be. */
static enum h1_sl h1_chunk_line(struct h1_cline *cl, const uint8_t *b, size_t n,
				size_t *len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = b[i];
		int d;

		if (++cl->len > H1_MAX_CHUNK_LINE)
			goto bad;
		if (cl->cr && c != '\n')
			goto bad;
		if (cl->state == H1_CL_HEX && (d = adi_hexval(c)) >= 0) {
			if (++cl->digits > H1_MAX_CHUNK)
				goto bad;
			cl->size = cl->size * 16 + (uint64_t)d;
			continue;
		}
		if (cl->state == H1_CL_HEX) {
			if (!cl->digits)
				goto bad;
			cl->state = H1_CL_BWS;
		}
		if (c == '\n') {
			*len = i + 1;
			return H1_SL_OK;
		}
		if (c == '\r') {
			cl->cr = true;
		} else if (cl->state == H1_CL_BWS) {
			if (c == ';')
				cl->state = H1_CL_EXT;
			else if (!h1_ws(c))
				goto bad;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			goto bad; /* extensions: no CTL but HT */
		}
	}
	*len = n;
	return H1_SL_PARTIAL;
bad:
	*len = i; /* the bytes before the bad one were taken into sd */
	return H1_SL_BAD;
}

/* A head that had started (START held its bytes) is lost to a gap: that
 * message is gone, but it still takes its place in the request/response
 * order, so the messages after it pair with the right partners. */
static void h1_lost_head(struct http1_state *st, struct h1_side *sd,
			 enum adi_dir dir)
{
	struct h1_pending p = { 0 };
	enum h1_role role = h1_role_of(st, dir);
	int kind = sd->hold_kind;

	if (sd->phase != H1_START || !sd->holding)
		return;
	sd->holding = false;
	sd->hold_kind = 0;
	if (role != H1_ANY)
		kind = role == H1_REQ_ONLY ? HTTP1_REQ : HTTP1_RESP;
	else if (kind) /* the first head: its complete start line tells */
		st->req_dir = kind == HTTP1_REQ ? dir : h1_other(dir);
	if (kind == HTTP1_REQ) {
		p.key = ++st->next_key;
		h1_fifo_push(st, &p);
	} else if (kind == HTTP1_RESP) {
		if (h1_fifo_pop(st, &p) && p.key > st->resp_key_max)
			st->resp_key_max = p.key;
	}
}

/* ---- chunked framing lost to a gap ----
 *
 * A gap that covers chunk framing (a chunk-size line, the CRLF after the
 * data, or data past the current chunk's end) leaves the body's framing
 * unknown, not the body's end: the body goes on in H1_CHUNK_LOST. The
 * bytes after the gap are searched for the next chunk-size line that
 * validates (h1_lost_scan), and the region in between, whole chunks whose
 * lines were lost, is counted as data by the shape of the chunks around it
 * (h1_lost_data), so resp_bytes stays the true decoded size wherever the
 * chunks are regular. The message is incomplete (bytes of it were lost).
 *
 *   ... data | CRLF | <lost: line data CRLF, line data CRLF ...> | 1f40 CRLF data CRLF | 0 CRLF CRLF
 *                    ^ region starts                             ^ resync here
 */

/* Hex digits of v (v > 0: its chunk-size line's digits, no leading 0). */
static unsigned h1_hexlen(uint64_t v)
{
	unsigned k = 1;

	while (v >>= 4)
		k++;
	return k;
}

/* The data bytes of a lost region of len bytes made of whole chunks (line,
 * data, CRLF each), ends: it reaches the last chunk (a shorter one may end
 * it). The lost lines are taken to be like the last one read (its
 * extension bytes too), the chunks as large as the last one read before the
 * gap or, failing that, as the one found after it (next, 0: none): what a
 * writer with a fixed buffer produces. Exact when the region is a whole
 * number of such chunks (or, when it ends the body, that and one shorter
 * chunk); otherwise the nearest count of such chunks is taken off. */
static uint64_t h1_lost_data(const struct h1_side *sd, uint64_t len, bool ends,
			     uint64_t next)
{
	uint64_t ref[2] = { sd->last_chunk, next };
	unsigned ext = 0;

	if (!len)
		return 0;
	if (sd->last_chunk && sd->last_line > h1_hexlen(sd->last_chunk) + 2)
		ext = sd->last_line - h1_hexlen(sd->last_chunk) - 2;
	for (int i = 0; i < 2; i++) {
		uint64_t per = ref[i] ? h1_hexlen(ref[i]) + ext + 4 + ref[i] : 0;

		if (per && len % per == 0)
			return len / per * ref[i];
	}
	for (int i = 0; i < 2; i++) {
		uint64_t per, m, rem;

		if (!ref[i] || !ends)
			continue;
		per = h1_hexlen(ref[i]) + ext + 4 + ref[i];
		m = len / per;
		rem = len % per;
		for (unsigned hl = 1; hl <= H1_MAX_CHUNK; hl++) {
			uint64_t x = rem > hl + ext + 4 ? rem - hl - ext - 4 : 0;

			if (x && x < ref[i] && h1_hexlen(x) == hl)
				return m * ref[i] + x;
		}
	}
	for (int i = 0; i < 2; i++) {
		uint64_t per, k;

		if (!ref[i])
			continue;
		per = h1_hexlen(ref[i]) + ext + 4 + ref[i];
		k = (len + per / 2) / per;
		k = k ? k : 1;
		return len > k * (per - ref[i]) ? len - k * (per - ref[i]) : 0;
	}
	/* no chunk seen at all: one chunk */
	return len > 5 ? len - 5 : 0;
}

/* A gap lost the framing of the chunked body sd is in: from here on the
 * body is a region of lost chunks, `lost` bytes of it so far (negative: the
 * CRLF after the last known data is still to come). */
static void h1_lose_chunks(struct h1_side *sd, int64_t lost)
{
	h1_body_lost(sd);
	h1_set_phase(sd, H1_CHUNK_LOST);
	sd->lost = lost;
	sd->hist = 0;
	sd->since_gap = 0;
	sd->ncand = 0;
}

/* Bytes of the region were lost again (a gap of n): a place whose data
 * holds them goes on, and so does one whose data and CRLF end within the
 * gap's last two bytes or exactly at its end (where the next chunk-size
 * line must then start: a sender writes a chunk's end and the next line
 * in different calls, and a gap is often a call's rest); any other is
 * forgotten. */
static void h1_lost_gap(struct h1_side *sd, uint64_t n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < sd->ncand; i++) {
		struct h1_cand *c = &sd->cand[i];

		if (c->st != H1_C_DATA || n > c->left + 2)
			continue;
		c->st = n < c->left ? H1_C_DATA : n == c->left ? H1_C_CR :
			n == c->left + 1 ? H1_C_LF : H1_C_NEXT;
		c->left -= n < c->left ? n : c->left;
		sd->cand[k++] = *c;
	}
	sd->ncand = (uint8_t)k;
	sd->lost += (int64_t)n;
	sd->hist = 0;
	sd->since_gap = 0;
}

/* Are the region's bytes seen since the last gap (at most 5) the end of
 * s (5 bytes)? */
static bool h1_tail_is(const struct h1_side *sd, const char *s)
{
	for (unsigned i = 0; i < sd->since_gap; i++)
		if ((uint8_t)(sd->hist >> (8 * i)) != (uint8_t)s[4 - i])
			return false;
	return true;
}

/* One byte c of the region for place p. Returns 1: p proved a chunk (its
 * end and the next line's first digit, c, are where its line said; c is
 * not taken), 2: p proved the last chunk ("0" CRLF CRLF, c its last byte),
 * -1: p cannot be one, 0: not yet known. */
static int h1_cand_step(struct h1_cand *p, uint8_t c)
{
	size_t len;

	switch (p->st) {
	case H1_C_LINE:
		switch (h1_chunk_line(&p->cl, &c, 1, &len)) {
		case H1_SL_BAD: return -1;
		case H1_SL_PARTIAL: return 0;
		case H1_SL_OK: break;
		}
		p->st = p->cl.size ? H1_C_DATA : H1_C_ZCR;
		p->left = p->cl.size;
		return 0;
	case H1_C_DATA:
		if (!--p->left)
			p->st = H1_C_CR;
		return 0;
	case H1_C_CR: p->st = H1_C_LF; return c == '\r' ? 0 : -1;
	case H1_C_LF: p->st = H1_C_NEXT; return c == '\n' ? 0 : -1;
	case H1_C_NEXT: return adi_hexval(c) >= 0 ? 1 : -1;
	case H1_C_ZCR: p->st = H1_C_ZLF; return c == '\r' ? 0 : -1;
	case H1_C_ZLF: return c == '\n' ? 2 : -1;
	}
	return -1;
}

/* H1_CHUNK_LOST over b[pos..n): every byte of the region, in order, goes
 * through the places followed; a new place starts at a hex digit after
 * CRLF (or at the region's start). The first place to prove itself ends
 * the region there: its offset is the region's size. A chunk: the body
 * goes on in CHUNK_SIZE at the next line (not consumed). The last chunk:
 * the body is FINISHED. Right after a gap, the next message's start line
 * (after at most what "0" CRLF CRLF left visible) ends the body too: the
 * last chunk was in the gap. Everything depends only on the bytes and
 * where gaps are, never on how the bytes are cut into calls.
 * Returns the new pos: n when all of b was region, less (the phase still
 * H1_CHUNK_LOST) when a start line right after a gap is not complete yet:
 * parse() waits with the bytes from there. */
static size_t h1_lost_step(const struct http1_state *st, struct h1_side *sd, enum adi_dir dir,
			   const uint8_t *b, size_t n, size_t pos)
{
	static const char tail[] = "0\r\n\r\n";
	enum h1_role role = h1_role_of(st, dir);

	for (; pos < n; pos++) {
		uint8_t c = b[pos];
		unsigned k = 0;

		/* the next message right after a gap: the start line after
		 * the visible end of the last chunk, if any */
		if (sd->since_gap <= 5 && c >= 'C' && c <= 'T' && h1_tail_is(sd, tail)) {
			size_t lim = h1_min(n - pos, ADI_PROTO_LOOKAHEAD);
			struct h1_line l;
			enum h1_sl a = role == H1_REQ_ONLY ? H1_SL_BAD : h1_status_line(b + pos, lim, &l);
			enum h1_sl q = role == H1_RESP_ONLY ? H1_SL_BAD : h1_req_line(b + pos, lim, true, &l);

			if (a == H1_SL_OK || q == H1_SL_OK) {
				/* the region ends with "0" CRLF CRLF (no trailers) */
				sd->body.total += h1_lost_data(sd, sd->lost > 5 ?
							       (uint64_t)sd->lost - 5 : 0, true, 0);
				h1_set_phase(sd, H1_FINISHED);
				return pos;
			}
			if ((a == H1_SL_PARTIAL || q == H1_SL_PARTIAL) && lim < ADI_PROTO_LOOKAHEAD)
				return pos;
		}
		for (unsigned i = 0; i < sd->ncand; i++) {
			struct h1_cand *p = &sd->cand[i];
			int v = h1_cand_step(p, c);

			if (v > 0) {
				sd->body.total += h1_lost_data(sd, p->at, v == 2, p->cl.size) +
						  p->cl.size;
				if (v == 2) {
					h1_set_phase(sd, H1_FINISHED);
					return pos + 1;
				}
				sd->last_chunk = p->cl.size;
				sd->last_line = p->cl.len;
				h1_set_phase(sd, H1_CHUNK_SIZE);
				return pos;
			}
			if (v == 0)
				sd->cand[k++] = *p;
		}
		sd->ncand = (uint8_t)k;
		if (sd->lost >= 0 && adi_hexval(c) >= 0 && sd->ncand < H1_MAX_CANDS &&
		    ((sd->since_gap >= 2 && (sd->hist & 0xffff) == ('\r' << 8 | '\n')) ||
		     sd->lost == 0)) {
			struct h1_cand *p = &sd->cand[sd->ncand++];
			size_t len;

			memset(p, 0, sizeof(*p));
			p->at = (uint64_t)sd->lost;
			h1_chunk_line(&p->cl, &c, 1, &len);
		}
		sd->hist = sd->hist << 8 | c;
		if (sd->since_gap <= 5)
			sd->since_gap++;
		sd->lost++;
	}
	return pos;
}

/* ---- the adi_proto callbacks ---- */

/* parse(): see proto.h. Head sections are taken whole (AGAIN with *used 0
 * until the empty line is in b, BAD past ADI_PROTO_LOOKAHEAD); bodies are
 * consumed as they come (AGAIN with *used > 0). A message a gap finished
 * (gap() returned true at its end) is returned as FRAME with *used 0 on the
 * next call, like one the end of the stream finishes. */
static enum adi_parse http1_parse(void *vst, const struct adi_proto_cfg *cfg,
				  enum adi_dir dir, const uint8_t *b, size_t n,
				  size_t *used, struct adi_msg *out)
{
	struct http1_state *st = vst;
	struct h1_side *sd = h1_side_of(st, dir);
	size_t pos = 0, lim, len, empty, e;
	uint64_t size;
	enum adi_parse r;
	enum h1_sl s;

	*used = 0;
	if (st->done)
		return ADI_PARSE_DONE;
	if (!b) {
		/* end of the direction: a message in progress ends here, a
		 * close-delimited body completely, any other cut short */
		if (sd->phase == H1_START) {
			sd->scan.line = sd->scan.pos = 0;
			return ADI_PARSE_AGAIN;
		}
		if (sd->phase == H1_CHUNK_LOST && sd->lost > 0) /* "0" CRLF CRLF in it? */
			sd->body.total += h1_lost_data(sd, sd->lost > 5 ? (uint64_t)sd->lost - 5 : 0,
						       true, 0);
		if (sd->phase != H1_BODY_CLOSE && sd->phase != H1_FINISHED) {
			/* nothing lost so far: the process closed (or the trace
			 * ended) before it read the rest, which no capture saw;
			 * not a loss of ours (docs/events.md *_unread) */
			if (!sd->incomplete && sd->phase != H1_CHUNK_LOST) {
				sd->unread_set = true;
				sd->unread = sd->phase == H1_BODY_LEN ? (int64_t)sd->remaining : -1;
				if (sd->body.enc != H1_ENC_NONE)
					h1_z_end(&sd->body);
			} else {
				h1_body_lost(sd);
			}
		}
		h1_finish(st, sd, out);
		return ADI_PARSE_FRAME;
	}
	if (sd->phase == H1_START) {
		r = h1_start(st, sd, cfg, dir, b, n, &pos);
		if (r != ADI_PARSE_FRAME) {
			*used = pos;
			return r;
		}
	}
	for (;;) {
		switch (sd->phase) {
		case H1_START:
		case H1_FINISHED:
			h1_finish(st, sd, out);
			*used = pos;
			return ADI_PARSE_FRAME;
		case H1_BODY_LEN:
		case H1_CHUNK_DATA:
			len = h1_min(n - pos, sd->remaining);
			h1_body_feed(&sd->body, b + pos, len);
			pos += len;
			sd->remaining -= len;
			if (sd->remaining)
				goto wait;
			h1_set_phase(sd, sd->phase == H1_BODY_LEN ? H1_FINISHED :
							       H1_CHUNK_END);
			break;
		case H1_BODY_CLOSE:
			h1_body_feed(&sd->body, b + pos, n - pos);
			pos = n;
			goto wait;
		case H1_CHUNK_SIZE:
			len = 0;
			s = h1_chunk_line(&sd->cl, b + pos, n - pos, &len);
			pos += len;
			if (s == H1_SL_BAD)
				goto error;
			if (s == H1_SL_PARTIAL)
				goto wait;
			size = sd->cl.size;
			if (size) {
				sd->last_chunk = size;
				sd->last_line = sd->cl.len;
			}
			h1_set_phase(sd, size ? H1_CHUNK_DATA : H1_TRAILERS);
			sd->remaining = size;
			break;
		case H1_CHUNK_END:
			/* CRLF after chunk data; the CR is taken alone too */
			if (pos < n && b[pos] == '\r' && !sd->cr) {
				sd->cr = true;
				pos++;
			}
			if (pos == n)
				goto wait;
			if (b[pos] != '\n')
				goto error;
			pos++;
			h1_set_phase(sd, H1_CHUNK_SIZE);
			break;
		case H1_CHUNK_LOST:
			pos = h1_lost_step(st, sd, dir, b, n, pos);
			if (sd->phase == H1_CHUNK_LOST)
				goto wait; /* all consumed, or held from a start line */
			break;
		case H1_TRAILERS:
			lim = h1_min(n - pos, ADI_PROTO_LOOKAHEAD);
			e = h1_section_end(b + pos, lim, &sd->scan, &empty);
			if (!e) {
				if (lim >= ADI_PROTO_LOOKAHEAD)
					goto error;
				goto wait;
			}
			if (h1_fields(b + pos, empty, cfg, &sd->tw, NULL) < 0)
				goto error;
			pos += e;
			h1_set_phase(sd, H1_FINISHED);
			break;
		}
	}
wait:
	/* scan offsets were taken relative to b + pos, which is where the
	 * next call starts */
	*used = pos;
	return ADI_PARSE_AGAIN;
error:
	if (pos > 0) {
		/* consume what was good; the next call starts at the error */
		sd->scan.line = sd->scan.pos = 0;
		*used = pos;
		return ADI_PARSE_AGAIN;
	}
	return ADI_PARSE_BAD;
}

/* gap(): a body of known extent absorbs lost bytes (the message is marked
 * incomplete, the bytes counted). A gap in a chunked body past the current
 * chunk's data (or in its framing) loses the framing, not the body: the
 * body goes on in H1_CHUNK_LOST until a chunk-size line validates again
 * (see "chunked framing lost"). A gap past Content-Length, or in the
 * trailers, ends the message there, incomplete: it is FRAMEd on the next
 * parse() call, and whatever follows is resynced (BAD). Between messages or inside a head:
 * false (the engine is assumed to drop the bytes it held for parse(), as
 * they cannot be joined to what follows the gap). */
static bool http1_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct http1_state *st = vst;
	struct h1_side *sd = h1_side_of(st, dir);
	uint64_t k;

	if (st->done)
		return true; /* not parsed any more: nothing to lose */
	switch (sd->phase) {
	case H1_START:
		h1_lost_head(st, sd, dir);
		sd->scan.line = sd->scan.pos = 0;
		return false;
	case H1_BODY_LEN:
	case H1_CHUNK_DATA:
		k = n < sd->remaining ? n : sd->remaining;
		sd->body.total += k;
		sd->remaining -= k;
		h1_body_lost(sd);
		if (n > k && sd->phase == H1_CHUNK_DATA) /* and the CRLF after it */
			h1_lose_chunks(sd, (int64_t)(n - k) - 2);
		else if (n > k) /* past Content-Length: the next message's */
			h1_set_phase(sd, H1_FINISHED);
		else if (!sd->remaining)
			h1_set_phase(sd, sd->phase == H1_BODY_LEN ? H1_FINISHED :
								   H1_CHUNK_END);
		return true;
	case H1_BODY_CLOSE:
		sd->body.total += n;
		h1_body_lost(sd);
		return true;
	case H1_CHUNK_SIZE: /* the line so far is lost region too */
		h1_lose_chunks(sd, (int64_t)(sd->cl.len + n));
		return true;
	case H1_CHUNK_END:
		h1_lose_chunks(sd, (int64_t)n - (sd->cr ? 1 : 2));
		return true;
	case H1_CHUNK_LOST:
		h1_lost_gap(sd, n);
		return true;
	case H1_TRAILERS:
		h1_body_lost(sd);
		h1_set_phase(sd, H1_FINISHED);
		return true;
	case H1_FINISHED:
		return true;
	}
	return false;
}

/* resync(): the first offset where a start line of the direction's role
 * (registered methods only) is complete and valid, or is cut by the end of
 * b while still plausible; n when there is none. Resets the direction: a
 * message in progress is dropped (a head it was receiving still counts in
 * the pairing order, see h1_lost_head). The engine drops the byte parse()
 * refused before calling this, so offset 0 is a fresh candidate. After
 * Upgrade / CONNECT: 0, so that parse() answers DONE. */
static size_t http1_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct http1_state *st = vst;
	struct h1_side *sd = h1_side_of(st, dir);
	enum h1_role role = h1_role_of(st, dir);
	struct h1_line l;

	if (st->done)
		return 0; /* nothing to look for: parse() says DONE */
	h1_lost_head(st, sd, dir);
	h1_side_reset(st, sd);
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		size_t lim = h1_min(n - i, ADI_PROTO_LOOKAHEAD);

		if (b[i] < 'C' || b[i] > 'T')
			continue; /* no method nor "HTTP/" starts so */
		if (role != H1_REQ_ONLY && h1_status_line(b + i, lim, &l) != H1_SL_BAD)
			return i;
		if (role != H1_RESP_ONLY &&
		    h1_req_line(b + i, lim, true, &l) != H1_SL_BAD)
			return i;
	}
	return n;
}

/* sniff(): thresholds.
 *  - 90: the bytes start a status line ("HTTP/1." at least, and what
 *    follows up to the end of the line fits "DIGIT SP 3DIGIT ..."), or a
 *    request line of a registered method followed by SP (and what follows
 *    fits "target SP HTTP/1.x CRLF" as far as it goes). Method names are
 *    case-sensitive upper case and "HTTP/1." is 7 fixed bytes, so another
 *    protocol's first bytes match only if it is text that starts with
 *    exactly these words: Redis inline commands ("GET key\r\n") fail at the
 *    line end without " HTTP/1.x", memcached is lower case ("get "), HTTP/2's
 *    preface starts "PRI" (not a registered method), binary protocols
 *    (Postgres, MySQL, MongoDB, TLS 0x16, DNS) start with a length or a
 *    byte that is no upper-case method letter.
 *  - +5 when the direction agrees with the role (the traced client writes
 *    requests and reads responses, a server the reverse): still one
 *    decoder, a hint only, never decisive alone.
 *  - -1: fewer than 8 bytes that are still a prefix of "HTTP/1." or of a
 *    registered method + SP ("OPTIONS " and "CONNECT " are 8 bytes).
 *  - 0 otherwise. The claim threshold is ADI_SNIFF_CLAIM (60). */
static int http1_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	struct h1_line l;
	enum h1_sl s;
	bool reader = c->server_side != 0; /* does the traced task read requests? */
	bool is_req;

	if (n == 0)
		return -1;
	s = h1_status_line(b, n, &l);
	if (s != H1_SL_BAD) {
		if (s == H1_SL_PARTIAL && n < 7)
			return -1;
		is_req = false;
	} else {
		s = h1_req_line(b, n, true, &l);
		if (s == H1_SL_BAD)
			return 0;
		if (!l.method_done)
			return -1;
		is_req = true;
	}
	/* requests go OUT from a client, IN to a server */
	if ((c->dir == ADI_DIR_IN) == (is_req == reader))
		return 95;
	return 90;
}

/* Member k of a, or, when a lacks it, of b. */
static struct adi_jv h1_either(struct adi_jv a, struct adi_jv b, const char *k)
{
	struct adi_jv v = adi_jv_get(a, k);

	return adi_jv_absent(v) ? adi_jv_get(b, k) : v;
}

/* The members of a message h1_emit reads. */
struct h1_view {
	struct adi_jv method, url, version, status, headers, body, bytes, truncated, unread,
		interim, content_encoding, decode_error, trailers;
};

/* The slot of v for the member key[0..kn), or NULL (by length first, then
 * one compare or two: H1_IS is only used where kn is the literal's). */
static struct adi_jv *h1_view_slot(struct h1_view *v, const char *key, size_t kn)
{
#define H1_IS(s) (!memcmp(key, s, sizeof(s) - 1))
	switch (kn) {
	case 3: return H1_IS("url") ? &v->url : NULL;
	case 4: return H1_IS("body") ? &v->body : NULL;
	case 5: return H1_IS("bytes") ? &v->bytes : NULL;
	case 6: return H1_IS("method") ? &v->method : H1_IS("status") ? &v->status
		     : H1_IS("unread") ? &v->unread : NULL;
	case 7: return H1_IS("headers") ? &v->headers : H1_IS("version") ? &v->version
		     : H1_IS("interim") ? &v->interim : NULL;
	case 8: return H1_IS("trailers") ? &v->trailers : NULL;
	case 9: return H1_IS("truncated") ? &v->truncated : NULL;
	case 12: return H1_IS("decode_error") ? &v->decode_error : NULL;
	case 16: return H1_IS("content_encoding") ? &v->content_encoding : NULL;
	}
	return NULL;
#undef H1_IS
}

/* A message's members in one pass over its member index (a look-up per key
 * scanned them all, a dozen times an event); the last of a name wins, as
 * with adi_jw_get. m may be NULL: all absent. */
static void h1_view_of(const struct adi_msg *m, struct h1_view *v)
{
	struct adi_jv_it it;
	struct adi_jv key, val, *slot;

	memset(v, 0, sizeof(*v));
	if (!m)
		return;
	if (m->f.nmem <= ADI_JW_INDEX) {
		for (uint32_t i = 0; i < m->f.nmem; i++) {
			size_t kn;
			const char *k = adi_jw_key_at(&m->f, i, &kn);

			if (k && (slot = h1_view_slot(v, k, kn)))
				*slot = adi_jw_member_at(&m->f, i);
		}
		return;
	}
	/* more members than the index keeps (not a message this decoder
	 * writes today): the text, member by member; keys are plain */
	it = adi_jv_iter_list(adi_jw_text(&m->f));
	while (adi_jv_next(&it, &key, &val))
		if (key.n >= 2 && (slot = h1_view_slot(v, key.p + 1, key.n - 2)))
			*slot = val;
}

/* One http_request event from a request and / or a response (one may be
 * NULL); lost: the partner is known to be lost (incomplete exchange). The
 * members are copied from the messages' fields as they were written. */
static void h1_emit(struct adi_emit *em, struct adi_msg *req,
		    struct adi_msg *resp, bool lost)
{
	struct h1_view q, r;
	struct adi_jv v;
	int64_t status;
	bool incomplete = lost || (req && req->incomplete) ||
			  (resp && resp->incomplete);
	bool lossy;
	struct adi_jw *w;

	h1_view_of(req, &q);
	h1_view_of(resp, &r);
	status = adi_jv_int(r.status, 0);
	/* a message whose rest was never read is incomplete but lost
	 * nothing of ours: truncated only when something else was */
	lossy = lost || (req && req->incomplete && adi_jv_absent(q.unread)) ||
		(resp && resp->incomplete && adi_jv_absent(r.unread));
	w = adi_emit_begin(em);
	adi_jw_kraw(w, "method", q.method);
	adi_jw_kraw(w, "url", q.url);
	adi_jw_kraw(w, "host", adi_jv_get(q.headers, "host"));
	adi_jw_kraw(w, "version", req ? q.version : r.version);
	adi_jw_kraw(w, "status", r.status);
	adi_jw_kraw(w, "req_headers", q.headers);
	adi_jw_kraw(w, "resp_headers", r.headers);
	adi_jw_kraw(w, "req_body", q.body);
	adi_jw_kraw(w, "resp_body", r.body);
	adi_jw_kint(w, "req_bytes", adi_jv_int(q.bytes, 0));
	adi_jw_kint(w, "resp_bytes", adi_jv_int(r.bytes, 0));
	adi_jw_kbool(w, "truncated", adi_jv_bool(q.truncated, false) ||
				     adi_jv_bool(r.truncated, false) || lossy);
	if (!adi_jv_absent(r.interim))
		adi_jw_kraw(w, "interim", r.interim);
	if (status == 101) /* the response's Upgrade, else the request's */
		adi_jw_kraw(w, "upgrade", h1_either(r.headers, q.headers, "upgrade"));
	if (status / 100 == 2 && adi_jv_streq(q.method, "CONNECT"))
		adi_jw_kbool(w, "tunnel", true);
	if (incomplete)
		adi_jw_kbool(w, "incomplete", true);
	if (!adi_jv_absent(q.unread))
		adi_jw_kraw(w, "req_unread", q.unread);
	if (!adi_jv_absent(r.unread))
		adi_jw_kraw(w, "resp_unread", r.unread);
	if (!adi_jv_absent(v = adi_jv_absent(r.content_encoding) ? q.content_encoding
								 : r.content_encoding))
		adi_jw_kraw(w, "content_encoding", v);
	if (!adi_jv_absent(v = adi_jv_absent(r.decode_error) ? q.decode_error : r.decode_error))
		adi_jw_kraw(w, "decode_error", v);
	if (!adi_jv_absent(r.trailers))
		adi_jw_kraw(w, "trailers", r.trailers);
	if (!adi_jv_absent(q.trailers))
		adi_jw_kraw(w, "req_trailers", q.trailers);
	em->emit(em, "http_request", req ? req->ts_first : resp->ts_first,
		 resp ? (int64_t)resp->ts_last : -1);
}

/* Pop m from q, emit it alone (as what its kind says), free it. */
static void h1_emit_alone(struct adi_emit *em, struct adi_msgq *q, bool lost)
{
	struct adi_msg *m = adi_msgq_pop(q);

	if (m->kind == HTTP1_REQ)
		h1_emit(em, m, NULL, lost);
	else
		h1_emit(em, NULL, m, lost || m->key != 0);
	adi_msg_free(m);
}

/* stitch(): requests and responses pair by key (the request's ordinal,
 * which its response took from the FIFO), i.e. in order, pipelining
 * included. The request queue is the one whose head is a request (or the
 * other one's head is a response): by kind, not by role. A response whose
 * request was lost or never seen, and a request whose response was lost,
 * are emitted alone; an unanswered request waits until final. */
static void http1_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			 struct adi_emit *em, bool final)
{
	struct http1_state *st = vst;

	for (;;) {
		struct adi_msgq *rq_q, *rs_q;
		struct adi_msg *req, *resp;

		if (out_q->head)
			rq_q = out_q->head->kind == HTTP1_REQ ? out_q : in_q;
		else if (in_q->head)
			rq_q = in_q->head->kind == HTTP1_REQ ? in_q : out_q;
		else
			return;
		rs_q = rq_q == out_q ? in_q : out_q;
		req = rq_q->head;
		resp = rs_q->head;
		if (req && req->kind != HTTP1_REQ) {
			h1_emit_alone(em, rq_q, false); /* not ours to pair */
			continue;
		}
		if (resp && resp->kind != HTTP1_RESP) {
			h1_emit_alone(em, rs_q, false);
			continue;
		}
		if (req && resp) {
			/* an h2c upgrade: left queued for the HTTP/2 decoder
			 * that takes over (next()), unless the connection
			 * ends first */
			if (st->h2c && resp->key == st->h2c_key &&
			    req->key == st->h2c_key && !final)
				return;
			if (resp->key == req->key) {
				req = adi_msgq_pop(rq_q);
				resp = adi_msgq_pop(rs_q);
				h1_emit(em, req, resp, false);
				adi_msg_free(req);
				adi_msg_free(resp);
			} else if (resp->key < req->key) {
				h1_emit_alone(em, rs_q, false);
			} else {
				h1_emit_alone(em, rq_q, true);
			}
			continue;
		}
		if (resp) {
			/* its request may still be arriving (a body after an
			 * early response, 100-continue) */
			if (!final && resp->key && resp->key == st->req_inprog)
				return;
			h1_emit_alone(em, rs_q, false);
			continue;
		}
		if (req->key < st->resp_key_max) {
			h1_emit_alone(em, rq_q, true); /* its response was lost */
			continue;
		}
		if (!final)
			return;
		h1_emit_alone(em, rq_q, false);
	}
}

/* next(): HTTP/2 after a 101 to an h2c upgrade; any other upgrade (e.g.
 * websocket) or CONNECT ends the parsing (NULL). */
static const struct adi_proto *http1_next(void *vst, enum adi_dir dir)
{
	const struct http1_state *st = vst;

	(void)dir;
	return st->h2c ? &adi_proto_http2 : NULL;
}

static void http1_fini(void *vst)
{
	struct http1_state *st = vst;

	for (int i = 0; i < 2; i++) {
		struct h1_side *sd = &st->side[i];

		h1_side_reset(st, sd);
		adi_jw_fini(&sd->mw);
		adi_jw_fini(&sd->tw);
		free(sd->body.keep);
		free(sd->body.raw);
		sd->body.keep = sd->body.raw = NULL;
		sd->body.alloc = 0;
	}
}

const struct adi_proto adi_proto_http1 = {
	.name = "http",
	.state_size = sizeof(struct http1_state),
	.sniff = http1_sniff,
	.parse = http1_parse,
	.gap = http1_gap,
	.resync = http1_resync,
	.stitch = http1_stitch,
	.fini = http1_fini,
	.next = http1_next,
};
