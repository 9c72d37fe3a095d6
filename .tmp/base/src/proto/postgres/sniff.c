/* sniff.c - recognising the start of a PostgreSQL message in bytes that
 * may be anything: sniff() (does a connection speak the protocol, in which
 * direction) and pg_probe() (is this offset a plausible message start, for
 * resync() and the first header after it). Judges headers and the first
 * bytes of bodies only; keeps nothing.
 */
#include <string.h>

#include "pg.h"

/* Text of a statement: printable, tabs and line ends, UTF-8 bytes. */
static bool pg_textc(uint8_t c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t' || c == '\n' || c == '\r';
}

/* b[0..n) are text bytes up to a NUL (or to n): the length before it, or
 * -1 when a non-text byte comes first. */
static long pg_text_run(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!b[i])
			return (long)i;
		if (!pg_textc(b[i]))
			return -1;
	}
	return (long)n;
}

static bool pg_auth_ok(uint32_t code, uint32_t len)
{
	switch (code) {
	case 0: case 2: case 3: case 7: case 9:
		return len == 8;            /* Ok, Kerberos, cleartext, GSS, SSPI */
	case 5:
		return len == 12;           /* MD5 with its salt */
	case 8: case 10: case 11: case 12:
		return len > 8;             /* GSS/SASL data, mechanism list */
	}
	return false;
}

/* The body of a frontend message (type t): 0 impossible, 1 plausible, 2
 * checks out. body: its bytes here; whole: all of them. */
static int pg_content_fe(uint8_t t, struct adi_cur body, bool whole)
{
	const uint8_t *p = adi_cur_ptr(&body);
	size_t k = adi_cur_left(&body);
	long tl, q;

	switch (t) {
	case 'Q':
		tl = pg_text_run(p, k);
		if (tl < 0 || (whole && (size_t)tl != k - 1) || (!whole && (size_t)tl < k))
			return 0;
		return whole || tl >= 8 ? 2 : 1;
	case 'P':
	case 'B':
	case 'E':
		tl = pg_text_run(p, k);
		if (tl < 0 || tl > PG_MAX_NAME)
			return 0;
		if (t == 'P' && (size_t)tl < k) {
			adi_cur_skip(&body, (size_t)tl + 1);
			q = pg_text_run(adi_cur_ptr(&body), adi_cur_left(&body));
			if (q < 0)
				return 0;
			return q >= 8 || whole ? 2 : 1;
		}
		return 1;
	case 'D':
	case 'C':
		return !k || p[0] == 'S' || p[0] == 'P' ? 1 : 0;
	}
	return 1;
}

/* The body of a backend message (type t, length len): as pg_content_fe. */
static int pg_content_be(uint8_t t, uint32_t len, struct adi_cur body)
{
	const uint8_t *p = adi_cur_ptr(&body);
	size_t k = adi_cur_left(&body);
	uint16_t cnt;
	uint32_t code;

	switch (t) {
	case 'Z':
		return !k || (p[0] == 'I' || p[0] == 'T' || p[0] == 'E') ? 2 : 0;
	case 'C':
		if (k && !(p[0] >= 'A' && p[0] <= 'Z'))
			return 0;
		return pg_text_run(p, k) < 0 ? 0 : 2;
	case 'E':
	case 'N':
		if (k && !strchr("SVCMDHPpqWstcdnFLR", p[0]))
			return 0;
		return k && p[0] == 'S' ? 2 : 1;
	case 'T':
	case 'D':
	case 't':
		return !adi_cur_be16(&body, &cnt) ||
		       cnt <= (t == 't' ? 65535 : PG_MAX_COLS) ? 1 : 0;
	case 'R':
		return !adi_cur_be32(&body, &code) || pg_auth_ok(code, len) ? 2 : 0;
	case 'S':
		return !k || (p[0] >= 'a' && p[0] <= 'z') ? 2 : 0;
	}
	return 1;
}

/* What the first bytes of a typed message (b[0..n), n >= 5) of direction
 * fe say: 0 = impossible, 1 = a plausible header (nothing of the body
 * contradicts it), 2 = its body checks out too (names, counts, text). */
static int pg_content(bool fe, const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n), body;
	uint8_t t;
	uint32_t len;
	bool whole;

	pg_cur_hdr(&c, &t, &len);
	if (!pg_hdr_ok(fe, t, len))
		return 0;
	whole = adi_cur_left(&c) >= len - 4;
	adi_cur_sub(&c, whole ? len - 4 : adi_cur_left(&c), &body);
	return fe ? pg_content_fe(t, body, whole) : pg_content_be(t, len, body);
}

/* Bytes of a message judged after a resync: the whole message when
 * shorter. The verdict depends on these bytes only, never on how many
 * happen to be buffered, so it is the same however the stream is cut. */
#define PG_PROBE 256

int pg_probe(bool fe, const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint8_t t;
	uint32_t len;
	size_t need;

	if (!pg_type_known(fe, b[0]))
		return 0;
	if (!pg_cur_hdr(&c, &t, &len))
		return -1;
	if (!pg_hdr_ok(fe, t, len))
		return 0;
	need = 1 + (size_t)len < PG_PROBE ? 1 + (size_t)len : PG_PROBE;
	if (n < need)
		return -1;
	return pg_content(fe, b, need) ? 1 : 0;
}

/* The score of typed bytes read as direction fe (n >= 5). */
static int pg_sniff_typed(bool fe, const uint8_t *b, size_t n)
{
	int c = pg_content(fe, b, n);
	struct adi_cur at = adi_cur_make(b, n);
	uint8_t t;
	uint32_t len;
	uint64_t end;
	int s;

	pg_cur_hdr(&at, &t, &len);
	end = 1 + (uint64_t)len; /* where a second message would start */
	if (!c)
		return 0;
	if (fe) {
		if (strchr("QPB", t) && len > (1u << 20))
			return 0; /* a first message that big: not believed */
		switch (t) {
		case 'Q': s = c == 2 ? (end <= n ? 75 : 65) : 30; break;
		case 'P': s = c == 2 ? (end <= n ? 70 : 62) : 30; break;
		case 'B': s = end <= n ? 50 : 30; break;
		default: s = 25; break;
		}
	} else {
		switch (t) {
		case 'R': s = n >= 9 ? 85 : 40; break;
		case 'E': s = c == 2 && len <= PG_BE_SMALL ? 70 : 30; break;
		case 'N': s = c == 2 && len <= PG_BE_SMALL ? 62 : 30; break;
		case 'v': s = 60; break;
		case 'Z': case 'S': case 'K': s = 55; break;
		case 'T': case 'C': s = 50; break;
		default: s = 30; break;
		}
	}
	/* a second message right after the first, as plausible */
	at = adi_cur_make(b, n);
	if (end + 5 <= n && adi_cur_skip(&at, (size_t)end) &&
	    pg_content(fe, adi_cur_ptr(&at), adi_cur_left(&at)))
		s += 10;
	return s;
}

/* sniff(): thresholds (ADI_SNIFF_CLAIM is 60).
 *  - frontend startup-phase packets (Int32 length, Int32 code: they start
 *    with a 0 byte, no typed message does): StartupMessage 3.x (length
 *    9..10000, keys and values text) 95, SSLRequest / GSSENCRequest
 *    (length 8) 95, CancelRequest (length 16) 90. -1 while fewer than 8
 *    bytes could still be one.
 *  - backend first words: Authentication 'R' with a known code whose
 *    length matches 85; ErrorResponse 'E' starting with its severity field
 *    70 (a refused startup); NoticeResponse 62; NegotiateProtocolVersion 60.
 *  - mid-session (typed) frontend: Query 'Q' + length (<= 1 MiB) + text
 *    ending in its NUL 75 (65 while cut short, after 8 bytes of text);
 *    Parse 'P' with a text name and >= 8 bytes of query text 70 / 62;
 *    Bind 50; others 25. Mid-session backend: Z/S/K 55, T/C 50, others 30.
 *    +10 when a second plausible message follows the first.
 *  - a single 'S' or 'N' byte (an answer to SSLRequest) 30: ambiguous.
 *  - -25 when the bytes read as the other direction than the traced task's
 *    role gives them; +5 for port 5432 on either end (a hint, never alone).
 * Other protocols' first bytes give 0: HTTP methods and "HTTP/1." read as
 * a type byte and a length far beyond the type's bound; the HTTP/2 preface
 * "PRI *" too; TLS (0x16 0x03) and Redis ('*', '+', '$') start with no type
 * byte; a MySQL greeting (3-byte length, sequence 0, protocol 10) reads as
 * a type byte with length 10, which no type whose letter its length can be
 * accepts (the version string fails the content checks). */
static int pg_sniff_startup(const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint32_t len, code;
	size_t m;

	if (!adi_cur_be32(&c, &len) || !adi_cur_be32(&c, &code))
		return n < 2 || b[1] == 0 ? -1 : 0; /* length < 65536 */
	if (!pg_startup_ok(len, code))
		return 0;
	if (code == PG_CODE_CANCEL)
		return 90;
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
		return 95;
	m = n < len ? n : len;
	for (size_t i = 8; i < m; i++)
		if (b[i] && !pg_textc(b[i]))
			return 0;
	return 95;
}

int pg_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	bool fe_dir = (c->dir == ADI_DIR_IN) == (c->server_side != 0);
	int s;

	if (n == 0)
		return -1;
	if (b[0] == 0) {
		s = pg_sniff_startup(b, n);
		if (s <= 0)
			return s;
		if (!fe_dir)
			s -= 25;
	} else if (n == 1 && (b[0] == 'S' || b[0] == 'N')) {
		s = 30;
	} else if (n < 5) {
		return pg_type_known(true, b[0]) || pg_type_known(false, b[0]) ? -1 : 0;
	} else {
		int mine = pg_sniff_typed(fe_dir, b, n);
		int other = pg_sniff_typed(!fe_dir, b, n) - 25;

		s = mine > other ? mine : other;
	}
	if (s > 0 && (c->local_port == 5432 || c->remote_port == 5432))
		s += 5;
	if (s < 0)
		s = 0;
	return s > 100 ? 100 : s;
}
