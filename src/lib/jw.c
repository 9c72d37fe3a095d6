/* jw.c - the one-pass JSON writer and the tree-less reader of jw.h.
 * Owns the writer's buffer; the escaping of strings, the format of doubles
 * and payload encoding (UTF-8 or base64) live here once, for every event
 * and for json.c's tree serialiser.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "jw.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- buffer ---- */

void adi_jw_fini(struct adi_jw *w)
{
	free(w->buf);
	adi_jw_init(w);
}

int adi_jw_grow(struct adi_jw *w, size_t n)
{
	size_t ncap;
	char *p;

	if (w->err)
		return w->err;
	if (w->cap - w->len > n)
		return 0;
	ncap = w->cap ? w->cap : 256;
	while (ncap - w->len <= n) {
		if (ncap > SIZE_MAX / 2) {
			w->err = -ENOMEM;
			return w->err;
		}
		ncap *= 2;
	}
	p = realloc(w->buf, ncap);
	if (!p) {
		w->err = -ENOMEM;
		return w->err;
	}
	w->buf = p;
	w->cap = ncap;
	return 0;
}

char *adi_jw_take(struct adi_jw *w, size_t *len)
{
	char *b = w->err ? NULL : w->buf;

	*len = b ? w->len : 0;
	if (!b)
		free(w->buf);
	adi_jw_init(w);
	return b;
}

int adi_jw_copy(struct adi_jw *dst, const struct adi_jw *src)
{
	uint32_t k = src->nmem < ADI_JW_INDEX ? src->nmem : ADI_JW_INDEX;

	adi_jw_fini(dst);
	if (src->err)
		return src->err;
	if (!src->len)
		return 0;
	dst->buf = malloc(src->len + 1);
	if (!dst->buf)
		return -ENOMEM;
	memcpy(dst->buf, src->buf, src->len + 1);
	dst->len = src->len;
	dst->cap = src->len + 1;
	dst->depth = src->depth;
	dst->nmem = src->nmem;
	dst->escaped = src->escaped;
	memcpy(dst->mem, src->mem, k * sizeof(dst->mem[0]));
	return 0;
}

void adi_jw_truncate(struct adi_jw *w, size_t off)
{
	if (w->err || off >= w->len)
		return;
	w->len = off;
	w->buf[off] = '\0';
	while (w->nmem && w->nmem <= ADI_JW_INDEX && w->mem[w->nmem - 1].off >= off)
		w->nmem--;
}

/* ---- commas ---- */

/* Inside a container, an item after another one needs a comma: whatever
 * was written last is not an opening bracket or a key's colon. At depth 0
 * a value stands alone (a writer appending to a caller's line). */
static inline void adi_jw_item(struct adi_jw *w)
{
	if (w->depth && w->len) {
		char c = w->buf[w->len - 1];

		if (c != '{' && c != '[' && c != ':')
			adi_jw_put(w, ",", 1);
	}
}

/* Printable ASCII without '"' and '\\': written between quotes as is. */
static bool adi_jw_plain_key(const char *k, size_t n)
{
	unsigned bad = 0;

	/* no branch per byte: keys are short and nearly always plain */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];

		bad |= (unsigned)(c - 0x20) >= 0x5f || c == '"' || c == '\\';
	}
	return !bad;
}

/* The comma before a member and its place in the index; plain: the key
 * is written as it is (klen is only kept for those). */
static void adi_jw_member(struct adi_jw *w, size_t n, bool plain)
{
	if (w->len) {
		char c = w->buf[w->len - 1];

		if (c != '{' && c != '[')
			adi_jw_put(w, ",", 1);
	}
	if (w->depth == 0) {
		/* a member of the top-level list: remember where it starts;
		 * an escaped key is never looked up (UINT32_MAX matches none) */
		adi_jw_note_member(w, w->len, plain ? (uint32_t)n : UINT32_MAX);
		w->escaped |= !plain;
	}
}

void adi_jw_keyn_plain_slow(struct adi_jw *w, const char *k, size_t n)
{
	if (w->err)
		return;
#ifndef NDEBUG
	/* a caller's promise, checked where tests and fuzzers run */
	if (!adi_jw_plain_key(k, n)) {
		fprintf(stderr, "adi_jw_keyn_plain: key needs escaping: %.*s\n", (int)n, k);
		abort();
	}
#endif
	adi_jw_member(w, n, true);
	if (adi_jw_reserve(w, n + 3))
		return;
	w->buf[w->len++] = '"';
	memcpy(w->buf + w->len, k, n);
	w->len += n;
	w->buf[w->len++] = '"';
	w->buf[w->len++] = ':';
	w->buf[w->len] = '\0';
}

void adi_jw_keyn(struct adi_jw *w, const char *k, size_t n)
{
	if (w->err)
		return;
	if (adi_jw_plain_key(k, n)) {
		adi_jw_keyn_plain_slow(w, k, n);
		return;
	}
	adi_jw_member(w, n, false);
	{
		uint32_t d = w->depth;

		w->depth = 0; /* no comma before the key's string */
		adi_jw_strn(w, k, n);
		w->depth = d;
	}
	adi_jw_put(w, ":", 1);
}

/* ---- scalars ---- */

void adi_jw_null(struct adi_jw *w)
{
	adi_jw_item(w);
	adi_jw_put(w, "null", 4);
}

void adi_jw_bool(struct adi_jw *w, bool b)
{
	adi_jw_item(w);
	if (b)
		adi_jw_put(w, "true", 4);
	else
		adi_jw_put(w, "false", 5);
}

/* u, '-' first when neg: digits straight into the buffer (every event
 * writes a dozen numbers). */
static void adi_jw_dec(struct adi_jw *w, bool neg, uint64_t u)
{
	char *p;

	adi_jw_item(w);
	if (adi_jw_reserve(w, 21))
		return;
	p = w->buf + w->len;
	if (neg)
		*p++ = '-';
	p = adi_u64_dec(p, u);
	*p = '\0';
	w->len = (size_t)(p - w->buf);
}

void adi_jw_u64(struct adi_jw *w, uint64_t v)
{
	adi_jw_dec(w, false, v);
}

void adi_jw_int(struct adi_jw *w, int64_t v)
{
	adi_jw_dec(w, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* u thousandths (negative: neg) as adi_jw_double writes a number: three
 * decimals, trailing zeros dropped but one. After the item's comma. */
static inline void adi_jw_milli(struct adi_jw *w, bool neg, uint64_t u)
{
	unsigned frac = (unsigned)(u % 1000);
	char out[32], *p = out;

	if (neg)
		*p++ = '-';
	p = adi_u64_dec(p, u / 1000);
	*p++ = '.';
	*p++ = (char)('0' + frac / 100);
	if (frac % 100) {
		*p++ = (char)('0' + frac / 10 % 10);
		if (frac % 10)
			*p++ = (char)('0' + frac % 10);
	}
	adi_jw_put(w, out, (size_t)(p - out));
}

/* "%.3f" with trailing zeros removed, keeping one decimal. The integer
 * part and the three decimals are picked out of the printf output so that
 * a locale's decimal comma cannot leak into JSON. Non-finite values have
 * no JSON form and are written as null. */
void adi_jw_double(struct adi_jw *w, double d)
{
	char tmp[400], out[400];
	size_t len, ip = 0, fl = 3, o;

	adi_jw_item(w);
	if (!isfinite(d)) {
		adi_jw_put(w, "null", 4);
		return;
	}
	/* By hand when the rounding cannot differ from printf's exact one:
	 * x = d * 1000 is off by far less than 1e-6, so unless x sits that
	 * close to a half, rounding x gives the decimal printf would. */
	if (fabs(d) < 1e12) {
		double x = d * 1000.0, r = nearbyint(x), fr = fabs(x - trunc(x));

		if (fabs(fr - 0.5) > 1e-6) {
			int64_t m = (int64_t)r;

			/* never "-0.0": m == 0 is not negative */
			adi_jw_milli(w, m < 0, m < 0 ? 0 - (uint64_t)m : (uint64_t)m);
			return;
		}
	}
	len = (size_t)snprintf(tmp, sizeof(tmp), "%.3f", d);
	if (len >= sizeof(tmp) || len < 5)
		len = (size_t)snprintf(tmp, sizeof(tmp), "%.3f", 0.0);
	if (tmp[ip] == '-')
		ip++;
	while (tmp[ip] >= '0' && tmp[ip] <= '9')
		ip++;
	while (fl > 1 && tmp[len - 3 + fl - 1] == '0')
		fl--;
	o = ip;
	memcpy(out, tmp, ip);
	out[o++] = '.';
	memcpy(out + o, tmp + len - 3, fl);
	o += fl;
	out[o] = '\0';
	/* -0.0001 rounds to "-0.000": no reader wants a negative zero. */
	if (strcmp(out, "-0.0") == 0)
		adi_jw_put(w, "0.0", 3);
	else
		adi_jw_put(w, out, o);
}

/* The integer's own rounding to the microsecond is printf's on ns / 1e6
 * unless the remainder is a half (500 ns: there the double's binary error
 * decides) or the double is too coarse to tell (past 1e14 ns, a day and
 * more: its error nears a thousandth of a microsecond): those go through
 * adi_jw_double. The rest is adi_jw_double's fast path without the
 * floating point (adi_jw_milli for both). */
void adi_jw_ms(struct adi_jw *w, int64_t ns)
{
	if (ns < 0 || ns >= 100000000000000LL || ns % 1000 == 500) {
		adi_jw_double(w, (double)ns / 1e6);
		return;
	}
	adi_jw_item(w);
	adi_jw_milli(w, false, ((uint64_t)ns + 500) / 1000); /* microseconds */
}

/* ---- strings ---- */

/* A word of 8 bytes any of which needs a look (see below), by SWAR. */
static inline bool adi_jw_word_bad(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t qq = x ^ (ones * '"'), bb = x ^ (ones * '\\');

	return (((x - ones * 0x20) | (qq - ones) | (bb - ones) | x) & high) != 0;
}

#if defined(__SSE2__)
/* A bit per byte of x that needs a look (adi_jw_plain_run's rule). Signed
 * compare: bytes >= 0x80 are negative, so "< 0x20" catches them and the
 * control bytes at once. */
static inline int adi_jw_bad16(__m128i x)
{
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i sp = _mm_set1_epi8(0x20);

	return _mm_movemask_epi8(_mm_or_si128(_mm_cmpgt_epi8(sp, x),
					      _mm_or_si128(_mm_cmpeq_epi8(x, q),
							   _mm_cmpeq_epi8(x, bs))));
}
#endif

/* The rule, a byte at a time. */
static inline bool adi_jw_byte_bad(uint8_t c)
{
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* b[0..n), 4 <= n <= 16 (most names, values, paths' parts), is plain: two
 * words that overlap cover it all (4 to 7 bytes: both halves in one). */
static inline bool adi_jw_short_plain(const uint8_t *b, size_t n)
{
	if (n >= 8) {
		uint64_t x0, x1;

		memcpy(&x0, b, 8);
		memcpy(&x1, b + n - 8, 8);
		return !adi_jw_word_bad(x0) && !adi_jw_word_bad(x1);
	} else {
		uint32_t y0, y1;

		memcpy(&y0, b, 4);
		memcpy(&y1, b + n - 4, 4);
		return !adi_jw_word_bad((uint64_t)y0 | (uint64_t)y1 << 32);
	}
}

/* The length of the run at b[0..n) that needs no look: no control byte, no
 * '"', no '\\', no byte >= 0x80. 16 bytes at a time (SSE2, which every
 * x86-64 has), else 8 (bodies are mostly plain text). */
size_t adi_jw_plain_run(const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (n >= 4 && n <= 16 && adi_jw_short_plain(b, n))
		return n;

#if defined(__SSE2__)
	while (n - i >= 16) {
		int m = adi_jw_bad16(_mm_loadu_si128((const __m128i *)(const void *)(b + i)));

		if (m)
			return i + (size_t)__builtin_ctz((unsigned)m);
		i += 16;
	}
#endif
	while (n - i >= 8) {
		uint64_t x;

		memcpy(&x, b + i, 8);
		if (adi_jw_word_bad(x))
			break;
		i += 8;
	}
	while (i < n && !adi_jw_byte_bad(b[i]))
		i++;
	return i;
}

/* Room a string's writing asks for beyond the bytes still to write (twice
 * them once escapes are in play): the copying scan below stores whole
 * 16-byte blocks (what follows the clean part is overwritten next), and an
 * escape writes at most 6 bytes. */
#define ADI_JW_SLACK 16

/* Copies the plain run at b[0..n) (adi_jw_plain_run's rule) to d while it
 * scans -- one pass, not a scan and then a copy -- and returns its length.
 * Reads only b[0..n); writes d[0..n + ADI_JW_SLACK) at most. */
static size_t adi_jw_copy_plain(char *d, const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (n < 16) {
		/* plain: stored as the two words that overlap, as checked */
		if (n >= 8 && adi_jw_short_plain(b, n)) {
			memcpy(d, b, 8);
			memcpy(d + n - 8, b + n - 8, 8);
			return n;
		}
		if (n >= 4 && n < 8 && adi_jw_short_plain(b, n)) {
			memcpy(d, b, 4);
			memcpy(d + n - 4, b + n - 4, 4);
			return n;
		}
		goto bytes;
	}
#if defined(__SSE2__)
	{
		__m128i x;
		int m;

		while (n - i >= 16) {
			x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
			_mm_storeu_si128((__m128i *)(void *)(d + i), x);
			m = adi_jw_bad16(x);
			if (m)
				return i + (size_t)__builtin_ctz((unsigned)m);
			i += 16;
		}
		if (i == n)
			return n;
		/* the tail as the last 16 bytes (n >= 16): those before i are
		 * known plain, so the first bad byte is at or past i */
		x = _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16));
		_mm_storeu_si128((__m128i *)(void *)(d + n - 16), x);
		m = adi_jw_bad16(x);
		return m ? n - 16 + (size_t)__builtin_ctz((unsigned)m) : n;
	}
#else
	while (n - i >= 8) {
		uint64_t x;

		memcpy(&x, b + i, 8);
		if (adi_jw_word_bad(x))
			break;
		memcpy(d + i, &x, 8);
		i += 8;
	}
#endif
bytes:
	for (; i < n && !adi_jw_byte_bad(b[i]); i++)
		d[i] = (char)b[i];
	return i;
}

/* The escaped body of a string literal (no quotes). A byte that is not
 * part of valid UTF-8 becomes U+FFFD when strict is false (writing it raw
 * would make the line invalid JSON); when strict, the first such byte
 * stops the writing and false is returned (adi_jw_bytes then writes
 * base64 instead). On return there is room for ADI_JW_SLACK more bytes
 * (unless w->err), so a caller's closing quote needs no check; the text is
 * not NUL-terminated until that quote. */
static bool adi_jw_escaped(struct adi_jw *w, const char *s, size_t n, bool strict)
{
	/* the two-character escapes by byte, 0 where none applies */
	static const char two[128] = {
		['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r',
		['\t'] = 't', ['\b'] = 'b', ['\f'] = 'f',
	};
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = (const uint8_t *)s;
	size_t i = 0;

	for (;;) {
		char *p;
		uint8_t c;

		/* room for every byte left written twice (each a two-character
		 * escape): the loop below then needs no check of its own */
		if (adi_jw_reserve(w, 2 * (n - i) + ADI_JW_SLACK))
			return true; /* w->err is sticky: nothing more is written */
		p = w->buf + w->len;
		for (;;) {
			size_t run, len;

#if defined(__SSE2__)
			/* whole blocks, a two-character escape written where
			 * it falls: a body's newlines, a JSON body's quotes do
			 * not end the scan; the last 16 to 31 bytes are
			 * copy_plain's, which reads them as whole blocks) */
			while (n - i >= 32) {
				__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
				int m;

				_mm_storeu_si128((__m128i *)(void *)p, x);
				m = adi_jw_bad16(x);
				if (!m) {
					i += 16;
					p += 16;
					continue;
				}
				m = __builtin_ctz((unsigned)m);
				i += (size_t)m;
				p += m;
				goto look; /* b[i] needs one */
			}
#endif
			run = adi_jw_copy_plain(p, b + i, n - i);
			i += run;
			p += run;
			if (i >= n) {
				w->len = (size_t)(p - w->buf);
				return true;
			}
#if defined(__SSE2__)
look:
#endif
			c = b[i];
			if (c < 0x80 && two[c]) {
				/* one per line of a text body, several per JSON
				 * object: straight in, no new round */
				p[0] = '\\';
				p[1] = two[c];
				p += 2;
				i++;
			} else if (c >= 0x80 && (len = adi_utf8_seq(b + i, n - i))) {
				memcpy(p, b + i, len); /* len <= 4 */
				p += len;
				i += len;
			} else {
				break;
			}
		}
		/* a control byte (\u00xx: six bytes for one) or a byte that is
		 * not UTF-8 (three for one) */
		if (c >= 0x80) {
			if (strict) {
				w->len = (size_t)(p - w->buf);
				return false;
			}
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
		} else {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		}
		i++;
		w->len = (size_t)(p - w->buf);
	}
}

/* The opening quote and the plain start of b[0..n) in one go, without
 * adi_jw_escaped's loop (most strings are plain and short): true when that
 * was the whole string, closed too (or w->err); else *done bytes of it are
 * written and the rest is adi_jw_escaped's. */
static inline bool adi_jw_open_plain(struct adi_jw *w, const uint8_t *b, size_t n, size_t *done)
{
	char *p;
	size_t run;

	if (adi_jw_reserve(w, n + 2 + ADI_JW_SLACK))
		return true;
	p = w->buf + w->len;
	*p = '"';
	run = adi_jw_copy_plain(p + 1, b, n);
	if (run == n) {
		p[n + 1] = '"';
		p[n + 2] = '\0';
		w->len += n + 2;
		return true;
	}
	w->len += 1 + run;
	*done = run;
	return false;
}

/* The closing quote after adi_jw_escaped, which left room for it. */
static inline void adi_jw_close_quote(struct adi_jw *w)
{
	if (w->err)
		return;
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

void adi_jw_strn(struct adi_jw *w, const char *s, size_t n)
{
	size_t done;

	if (!s && n) {
		adi_jw_null(w);
		return;
	}
	adi_jw_item(w);
	if (!s)
		s = "";
	if (adi_jw_open_plain(w, (const uint8_t *)s, n, &done))
		return;
	adi_jw_escaped(w, s + done, n - done, false);
	adi_jw_close_quote(w);
}

void adi_jw_str(struct adi_jw *w, const char *s)
{
	if (!s)
		adi_jw_null(w);
	else
		adi_jw_strn(w, s, strlen(s));
}

/* Escaped as a string while the bytes are valid UTF-8; at the first that
 * is not, what was written goes and the whole is base64 (one pass over
 * text, which payload mostly is). */
void adi_jw_bytes(struct adi_jw *w, const uint8_t *b, size_t n)
{
	static const char prefix[] = "\"base64:";
	size_t k, start, done;

	if (!b)
		b = (const uint8_t *)"";
	adi_jw_item(w);
	start = w->len;
	if (adi_jw_open_plain(w, b, n, &done))
		return;
	if (adi_jw_escaped(w, (const char *)b + done, n - done, true)) {
		adi_jw_close_quote(w);
		return;
	}
	if (w->err)
		return;
	w->len = start;
	if (n > (SIZE_MAX / 2) / 4 * 3 - 16) {
		w->err = -ENOMEM;
		return;
	}
	k = adi_base64_len(n);
	if (adi_jw_reserve(w, sizeof(prefix) + k + 1))
		return;
	memcpy(w->buf + w->len, prefix, sizeof(prefix) - 1);
	w->len += sizeof(prefix) - 1;
	w->len += adi_base64_encode(b, n, w->buf + w->len);
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

void adi_jw_raw(struct adi_jw *w, const char *json, size_t n)
{
	if (!json || !n) {
		adi_jw_null(w);
		return;
	}
	adi_jw_item(w);
	adi_jw_put(w, json, n);
}

/* ---- containers ---- */

void adi_jw_obj(struct adi_jw *w)
{
	adi_jw_item(w);
	adi_jw_put(w, "{", 1);
	w->depth++;
}

void adi_jw_obj_end(struct adi_jw *w)
{
	adi_jw_put(w, "}", 1);
	if (w->depth)
		w->depth--;
}

void adi_jw_arr(struct adi_jw *w)
{
	adi_jw_item(w);
	adi_jw_put(w, "[", 1);
	w->depth++;
}

void adi_jw_arr_end(struct adi_jw *w)
{
	adi_jw_put(w, "]", 1);
	if (w->depth)
		w->depth--;
}

/* ---- reading ---- */

const char *adi_jv_str_end(const char *p, const char *end)
{
	const char *from = ++p;

	/* memchr to each quote, which ends the string when an even number of
	 * backslashes comes before it: headers and bodies are long strings,
	 * and a byte at a time was most of reading them back */
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p)), *b;

		if (!q)
			return NULL;
		for (b = q; b > from && b[-1] == '\\';)
			b--;
		if (!((q - b) & 1))
			return q + 1;
		p = q + 1;
	}
}

/* The end of the value starting at p, or NULL when it runs past end. */
static const char *adi_jv_skip(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return adi_jv_str_end(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ':')
			p++;
		return p;
	}
	while (p < end) {
		char c = *p;

		if (c == '"') {
			p = adi_jv_str_end(p, end);
			if (!p)
				return NULL;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* true when the string token [p, q) is exactly "k" (no escapes in k). */
static bool adi_jv_key_is(const char *p, const char *q, const char *k, size_t kn)
{
	return (size_t)(q - p) == kn + 2 && !memcmp(p + 1, k, kn);
}

struct adi_jv_it adi_jv_iter_list(struct adi_jv list)
{
	/* an absent list has no pointer to add to (NULL + 0) */
	struct adi_jv_it it = { list.p, list.p ? list.p + list.n : NULL, true };

	return it;
}

struct adi_jv_it adi_jv_iter(struct adi_jv v)
{
	struct adi_jv_it it = { NULL, NULL, false };

	if (v.n >= 2 && (v.p[0] == '{' || v.p[0] == '[')) {
		it.p = v.p + 1;
		it.end = v.p + v.n - 1;
		it.members = v.p[0] == '{';
	}
	return it;
}

bool adi_jv_next(struct adi_jv_it *it, struct adi_jv *key, struct adi_jv *val)
{
	const char *q;

	key->p = NULL;
	key->n = 0;
	if (!it->p || it->p >= it->end)
		return false;
	if (*it->p == ',')
		it->p++;
	if (it->members) {
		if (it->p >= it->end || *it->p != '"' ||
		    !(q = adi_jv_str_end(it->p, it->end)) || q >= it->end || *q != ':')
			goto bad;
		key->p = it->p;
		key->n = (size_t)(q - it->p);
		it->p = q + 1;
	}
	q = adi_jv_skip(it->p, it->end);
	if (!q || q == it->p)
		goto bad;
	val->p = it->p;
	val->n = (size_t)(q - it->p);
	it->p = q;
	return true;
bad:
	it->p = it->end; /* not our compact JSON: stop, read nothing more */
	val->p = NULL;
	val->n = 0;
	return false;
}

size_t adi_jv_count(struct adi_jv v)
{
	struct adi_jv_it it = adi_jv_iter(v);
	struct adi_jv k, x;
	size_t n = 0;

	while (adi_jv_next(&it, &k, &x))
		n++;
	return n;
}

static struct adi_jv adi_jv_find(struct adi_jv_it it, const char *k)
{
	struct adi_jv key, val, found = { NULL, 0 };
	size_t kn = strlen(k);

	while (adi_jv_next(&it, &key, &val))
		if (adi_jv_key_is(key.p, key.p + key.n, k, kn))
			found = val; /* the last one: a later write wins */
	return found;
}

struct adi_jv adi_jv_member(struct adi_jv list, const char *k)
{
	return adi_jv_find(adi_jv_iter_list(list), k);
}

struct adi_jv adi_jv_get(struct adi_jv obj, const char *k)
{
	struct adi_jv none = { NULL, 0 };

	if (obj.n < 2 || obj.p[0] != '{')
		return none;
	return adi_jv_find(adi_jv_iter(obj), k);
}

struct adi_jv adi_jw_get(const struct adi_jw *w, const char *k)
{
	struct adi_jv none = { NULL, 0 };
	size_t kn = strlen(k);

	if (w->err || !w->len)
		return none;
	if (w->nmem > ADI_JW_INDEX)
		return adi_jv_member(adi_jw_text(w), k);
	for (uint32_t i = w->nmem; i-- > 0;) {
		const char *p = w->buf + w->mem[i].off;
		const char *end = i + 1 < w->nmem ? w->buf + w->mem[i + 1].off - 1
						  : w->buf + w->len;
		struct adi_jv v;

		/* lengths first, from the index: no scan of the text */
		if (w->mem[i].klen != kn || memcmp(p + 1, k, kn))
			continue;
		v.p = p + kn + 3; /* past "key": */
		v.n = (size_t)(end - v.p);
		return v;
	}
	return none;
}

struct adi_jv adi_jw_member_at(const struct adi_jw *w, uint32_t i)
{
	struct adi_jv v = { NULL, 0 };
	const char *end;

	if (w->err || i >= w->nmem || i >= ADI_JW_INDEX || w->mem[i].klen == UINT32_MAX)
		return v;
	end = i + 1 < w->nmem && i + 1 < ADI_JW_INDEX ? w->buf + w->mem[i + 1].off - 1
						      : w->buf + w->len;
	if (i + 1 < w->nmem && i + 1 >= ADI_JW_INDEX)
		return v; /* its end is past what the index knows */
	v.p = w->buf + w->mem[i].off + w->mem[i].klen + 3; /* past "key": */
	v.n = (size_t)(end - v.p);
	return v;
}

enum adi_jtype adi_jv_type(struct adi_jv v)
{
	if (!v.n)
		return ADI_J_NULL;
	switch (v.p[0]) {
	case '{': return ADI_J_OBJ;
	case '[': return ADI_J_ARR;
	case '"': return ADI_J_STR;
	case 't': case 'f': return ADI_J_BOOL;
	case 'n': return ADI_J_NULL;
	default:
		for (size_t i = 0; i < v.n; i++)
			if (v.p[i] == '.' || v.p[i] == 'e' || v.p[i] == 'E')
				return ADI_J_DOUBLE;
		return ADI_J_INT;
	}
}

int64_t adi_jv_int(struct adi_jv v, int64_t fallback)
{
	size_t i = 0;
	bool neg = false;
	uint64_t mag = 0;

	if (adi_jv_type(v) != ADI_J_INT)
		return fallback;
	if (v.p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == v.n)
		return fallback;
	for (; i < v.n; i++) {
		unsigned d = (unsigned)(v.p[i] - '0');

		if (d > 9 || mag > (UINT64_MAX - d) / 10)
			return fallback;
		mag = mag * 10 + d;
	}
	if (!neg)
		return mag <= (uint64_t)INT64_MAX ? (int64_t)mag : fallback;
	if (mag == (uint64_t)INT64_MAX + 1)
		return INT64_MIN;
	return mag <= (uint64_t)INT64_MAX ? -(int64_t)mag : fallback;
}

double adi_jv_double(struct adi_jv v, double fallback)
{
	enum adi_jtype t = adi_jv_type(v);
	struct adi_jval *tree;
	double d;

	if (t == ADI_J_INT) {
		int64_t i = adi_jv_int(v, 0);

		if (i || (v.n == 1 && v.p[0] == '0'))
			return (double)i;
	} else if (t != ADI_J_DOUBLE) {
		return fallback;
	}
	tree = adi_json_parse(v.p, v.n); /* rare: the exact parse of json.c */
	d = adi_j_as_double(tree, fallback);
	adi_j_free(tree);
	return d;
}

bool adi_jv_bool(struct adi_jv v, bool fallback)
{
	if (v.n == 4 && !memcmp(v.p, "true", 4))
		return true;
	if (v.n == 5 && !memcmp(v.p, "false", 5))
		return false;
	return fallback;
}

const char *adi_jv_plain(struct adi_jv v, size_t *len)
{
	*len = 0;
	if (v.n < 2 || v.p[0] != '"' || v.p[v.n - 1] != '"' ||
	    memchr(v.p + 1, '\\', v.n - 2))
		return NULL;
	*len = v.n - 2;
	return v.p + 1;
}

char *adi_jv_strdup(struct adi_jv v, size_t *len)
{
	const char *s = adi_jv_plain(v, len);
	struct adi_jval *tree;
	char *out;

	if (!s) {
		tree = adi_jv_type(v) == ADI_J_STR ? adi_json_parse(v.p, v.n) : NULL;
		if (adi_j_type(tree) != ADI_J_STR) {
			adi_j_free(tree);
			*len = 0;
			errno = EINVAL;
			return NULL;
		}
		s = adi_j_as_str(tree, "");
		*len = adi_j_len(tree);
		out = malloc(*len + 1);
		if (out) {
			memcpy(out, s, *len);
			out[*len] = '\0';
		}
		adi_j_free(tree);
		return out;
	}
	out = malloc(*len + 1);
	if (!out)
		return NULL;
	memcpy(out, s, *len);
	out[*len] = '\0';
	return out;
}

bool adi_jv_streq(struct adi_jv v, const char *s)
{
	size_t n, sn = strlen(s);
	const char *p = adi_jv_plain(v, &n);
	char *d;
	bool eq;

	if (p)
		return n == sn && !memcmp(p, s, n);
	d = adi_jv_strdup(v, &n);
	eq = d && n == sn && !memcmp(d, s, n);
	free(d);
	return eq;
}

struct adi_jval *adi_jv_tree(struct adi_jv v)
{
	return v.n ? adi_json_parse(v.p, v.n) : NULL;
}

void adi_jw_splice(struct adi_jw *w, const struct adi_jw *list)
{
	struct adi_jv t = adi_jw_text(list);
	size_t at;

	if (!t.n || w->err)
		return;
	if (w->len)
		adi_jw_put(w, ",", 1);
	at = w->len;
	adi_jw_put(w, t.p, t.n);
	if (w->err || w->depth)
		return; /* inside an object: not top-level members */
	/* its members, where they now lie; past either index's room, the
	 * count alone (nmem > ADI_JW_INDEX: read as text) */
	if (list->nmem > ADI_JW_INDEX) {
		w->nmem += list->nmem;
		return;
	}
	w->escaped |= list->escaped;
	for (uint32_t i = 0; i < list->nmem; i++)
		adi_jw_note_member(w, at + list->mem[i].off, list->mem[i].klen);
}
