/* sink_text.c - the human timeline: one line per event (plus indented
 * continuation lines for payload previews), e.g.
 *   15:10:41.123456 [PID 4213 sh] FS WRITE /tmp/a.txt (3 B) "hi\n"
 * Owns only the formatting; the FILE belongs to the caller. Every field is
 * optional: a missing one prints as "?", never crashes. Kinds it has no
 * layout for print their fields as compact JSON, so nothing is hidden --
 * but the runtime's own events (docs/events.md `runtime`), which are
 * counted and named in one line before the summary unless asked for.
 *
 * The event's fields are read where they lie (lib/jw.h views: one pass
 * over the member list, then lookups in a small table) and each line is
 * built in one buffer kept from event to event, then written with one
 * fwrite: no tree, no allocation per event.
 *
 * Every event also goes to the process table (proctree.h), whose tree ends
 * the timeline. The focus (docs/output.md "Focus") folds the file events
 * of processes that neither used the network nor match --focus, when the
 * trace is large or when asked: a file event's line waits in the hold
 * (hold.h), with every line after it, until its process is decided.
 */
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cursor.h"
#include "../lib/util.h"
#include "hold.h"
#include "proctree.h"

#define ADI_TEXT_PREVIEW_DEFAULT 64
#define ADI_TEXT_INDENT "    "
/* members of an event read in one pass; events have about twenty */
#define ADI_TEXT_FIELDS 48
/* answers a DNS line shows before "+N more" */
#define ADI_TEXT_DNS_ANSWERS 4

/* ANSI SGR codes, used only when the sink was asked for colour. */
#define ADI_C_RESET "\033[0m"
#define ADI_C_DIM "\033[2m"
#define ADI_C_BOLD "\033[1m"
#define ADI_C_RED "\033[31m"
#define ADI_C_ALERT "\033[1;31m"
#define ADI_C_FILE "\033[36m"
#define ADI_C_PROC "\033[35m"
#define ADI_C_NET "\033[34m"
#define ADI_C_PROTO "\033[32m"

/* The line being built: a buffer kept by the sink (grown, never shrunk). */
struct adi_tx {
	char *b;
	size_t n, cap;
	bool oom;           /* a grow failed: the line is dropped, -ENOMEM */
	int color;
	size_t preview;     /* payload bytes shown */
};

/* The event's top-level members, found in one pass (keys without their
 * quotes; keys written with escapes never match a name we look up). */
/* Buckets of adi_tfields' index: a line looks a dozen names up among
 * twenty-odd members, and a scan of them all was a tenth of its cost. */
#define ADI_TF_BUCKETS 64

struct adi_tfields {
	struct adi_jv list;  /* the whole member list, for what does not fit */
	unsigned n;
	bool full;
	struct {
		const char *k;
		size_t kl;
		struct adi_jv v;
	} m[ADI_TEXT_FIELDS];
	/* by adi_tf_bucket of the name: 1 + the index of its last member
	 * (0: none), and from a member to the one before it in its bucket */
	uint8_t head[ADI_TF_BUCKETS], prev[ADI_TEXT_FIELDS];
	/* whether conn.role is "server", once asked (adi_tf_served); -1
	 * until then */
	int8_t served;
};

struct adi_sink_text {
	struct adi_sink base; /* first: the sink methods cast back to this */
	FILE *f;
	struct adi_sink_opts o;
	struct adi_tx t;
	uint64_t hidden;      /* runtime events not shown */
	uint64_t first_ts, prev_ts; /* --time rel / delta */
	bool seen;
	/* the clock of the last second printed: localtime once a second */
	int64_t clock_sec;
	char clock[16];
	/* the processes and the focus (docs/output.md "Focus") */
	struct adi_proctree *procs;
	struct adi_hold hold;      /* lines waiting for their decision */
	bool focus_on;             /* folding: forced, or the trace is large */
	uint64_t shown;            /* events counted toward "large" */
	uint64_t above;            /* AUTO: large past this many */
	uint64_t newest;           /* the latest event time seen */
	uint64_t folded, folded_procs; /* file events folded, of how many */
};

/* ---- the line buffer ---- */

static bool adi_tx_grow(struct adi_tx *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 256;
	char *nb;

	if (t->oom)
		return false;
	while (cap - t->n < more) {
		if (cap > SIZE_MAX / 2) {
			t->oom = true;
			return false;
		}
		cap *= 2;
	}
	nb = realloc(t->b, cap);
	if (!nb) {
		t->oom = true;
		return false;
	}
	t->b = nb;
	t->cap = cap;
	return true;
}

static inline void adi_tx_put(struct adi_tx *t, const void *s, size_t n)
{
	if (t->cap - t->n < n && !adi_tx_grow(t, n))
		return;
	memcpy(t->b + t->n, s, n);
	t->n += n;
}

static inline void adi_tx_c(struct adi_tx *t, char c)
{
	if (t->cap == t->n && !adi_tx_grow(t, 1))
		return;
	t->b[t->n++] = c;
}

static inline void adi_tx_s(struct adi_tx *t, const char *s)
{
	adi_tx_put(t, s, strlen(s));
}

static void adi_tx_u64(struct adi_tx *t, uint64_t v)
{
	char d[24];

	adi_tx_put(t, d, (size_t)(adi_u64_dec(d, v) - d)); /* two digits a step */
}

static void adi_tx_i64(struct adi_tx *t, int64_t v)
{
	if (v < 0) {
		adi_tx_c(t, '-');
		adi_tx_u64(t, (uint64_t)0 - (uint64_t)v);
	} else {
		adi_tx_u64(t, (uint64_t)v);
	}
}

static void adi_tx_color(struct adi_tx *t, const char *code)
{
	if (t->color)
		adi_tx_s(t, code);
}

/* ---- escaping ---- */

/* Escaping modes of adi_tx_esc. */
#define ADI_ESC_QUOTE 1 /* inside "...": escape '"' */
#define ADI_ESC_BSLASH 2 /* escape '\' so that escapes are unambiguous */

/* Print bytes s[0..n) C-escaped: \n \t \r, \\ and \" as asked by mode,
 * \xNN for control bytes and bytes that are not UTF-8. Valid UTF-8 is
 * printed as is, except the C1 controls U+0080..U+009F that some terminals
 * obey. *used counts the bytes taken so far against limit; a character is
 * never split at the limit. Returns true when bytes were left out. */
static bool adi_tx_esc(struct adi_tx *t, const char *s, size_t n, size_t *used,
		       size_t limit, int mode)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = (const uint8_t *)s;
	size_t i = 0;

	while (i < n) {
		uint8_t c = b[i];
		size_t len = 1;

		/* printable ASCII, the common case, in one run */
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			/* jw's plain run (16 bytes at a time) is this rule but
			 * for DEL, which ends a run here */
			size_t run = adi_jw_plain_run(b + i, n - i), j, room = limit - *used;
			const uint8_t *del = memchr(b + i, 0x7f, run);

			j = i + (del ? (size_t)(del - (b + i)) : run);
			if (j - i > room) {
				adi_tx_put(t, b + i, room);
				*used += room;
				return true;
			}
			adi_tx_put(t, b + i, j - i);
			*used += j - i;
			i = j;
			continue;
		}
		if (c >= 0x80)
			len = adi_utf8_seq(b + i, n - i);
		if ((len ? len : 1) > limit - *used)
			return true;
		if (len > 1 && !(c == 0xc2 && b[i + 1] < 0xa0)) {
			adi_tx_put(t, b + i, len);
			*used += len;
			i += len;
			continue;
		}
		if (c == '\n')
			adi_tx_put(t, "\\n", 2);
		else if (c == '\t')
			adi_tx_put(t, "\\t", 2);
		else if (c == '\r')
			adi_tx_put(t, "\\r", 2);
		else if (c == '\\' && (mode & ADI_ESC_BSLASH))
			adi_tx_put(t, "\\\\", 2);
		else if (c == '"' && (mode & ADI_ESC_QUOTE))
			adi_tx_put(t, "\\\"", 2);
		else if (c < 0x20 || c >= 0x7f) {
			char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			adi_tx_put(t, x, 4);
		} else
			adi_tx_c(t, (char)c);
		*used += 1;
		i++;
	}
	return false;
}

static unsigned adi_hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int h = adi_hexval((unsigned char)p[i]);

		if (h < 0)
			return UINT32_MAX;
		v = v << 4 | (unsigned)h;
	}
	return v;
}

/* One JSON escape at p (p[0] == '\\', before end): its bytes (UTF-8) into
 * out, their count in *n; returns where the text goes on. A broken escape
 * reads as U+FFFD. */
static const char *adi_json_unescape(const char *p, const char *end, char out[4],
				     size_t *n)
{
	unsigned cp;

	*n = 1;
	if (end - p < 2) {
		out[0] = '\\';
		return end;
	}
	switch (p[1]) {
	case 'n': out[0] = '\n'; return p + 2;
	case 't': out[0] = '\t'; return p + 2;
	case 'r': out[0] = '\r'; return p + 2;
	case 'b': out[0] = '\b'; return p + 2;
	case 'f': out[0] = '\f'; return p + 2;
	case 'u': break;
	default: out[0] = p[1]; return p + 2; /* \" \\ \/ */
	}
	cp = end - p >= 6 ? adi_hex4(p + 2) : UINT32_MAX;
	p += end - p >= 6 ? 6 : end - p;
	if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
		unsigned lo = adi_hex4(p + 2);

		if (lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
	}
	if (cp == UINT32_MAX || (cp >= 0xd800 && cp < 0xe000))
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = (char)cp;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		*n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		*n = 3;
	} else {
		out[0] = (char)(0xf0 | cp >> 18);
		out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		*n = 4;
	}
	return p;
}

/* The string token v (with its quotes), its JSON escapes decoded, printed
 * through adi_tx_esc: at most limit bytes of the string. Returns true
 * when bytes were left out. */
static bool adi_tx_jstr(struct adi_tx *t, struct adi_jv v, size_t limit, int mode)
{
	const char *p = v.p + 1, *end = v.p + v.n - 1;
	size_t used = 0;

	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		char u[4];
		size_t un;

		if (!bs)
			return adi_tx_esc(t, p, (size_t)(end - p), &used, limit, mode);
		if (bs > p && adi_tx_esc(t, p, (size_t)(bs - p), &used, limit, mode))
			return true;
		p = adi_json_unescape(bs, end, u, &un);
		if (adi_tx_esc(t, u, un, &used, limit, mode))
			return true;
	}
	return false;
}

/* ---- reading the fields ---- */

static bool adi_jv_is_str(struct adi_jv v)
{
	return v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"';
}

static bool adi_jv_null_or_absent(struct adi_jv v)
{
	return v.n == 0 || (v.n == 4 && v.p[0] == 'n');
}

/* true when v is the string s, written without escapes (the engine's
 * names: ops, roles, kinds) */
static bool adi_jv_is(struct adi_jv v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n + 2 && v.p[0] == '"' && !memcmp(v.p + 1, s, n);
}

/* The end of the value at p, or NULL when it runs past end. */
static const char *adi_tf_skip(const char *p, const char *end)
{
	int depth = 0;

	if (*p == '"')
		return adi_jv_str_end(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			if (!(p = adi_jv_str_end(p, end)))
				return NULL;
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			if (--depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

/* The end of the key at k ('"'), as adi_jv_str_end: keys are the engine's
 * short plain names, found here without a call for each. */
static const char *adi_tf_key_end(const char *k, const char *end)
{
	const char *p = k + 1;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, lows = 0x7f7f7f7f7f7f7f7full;

	/* a word at a time: the first byte that is a quote or a backslash
	 * (the exact has-zero-byte test: no false hit before a true one) */
	for (int w = 0; w < 4 && end - p >= 8; w++, p += 8) {
		uint64_t x, q, b, hit;

		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		hit = ~(((q & lows) + lows) | q | lows) | ~(((b & lows) + lows) | b | lows);
		if (hit) {
			p += __builtin_ctzll(hit) / 8; /* little-endian: the first */
			return *p == '"' ? p + 1 : adi_jv_str_end(k, end);
		}
	}
#else
	(void)p;
#endif
	return adi_jv_str_end(k, end);
}

/* A name's bucket: its length and its first and last bytes (names are
 * the engine's keys, mostly of different lengths). */
static inline __attribute__((always_inline)) unsigned adi_tf_bucket(const char *k, size_t n)
{
	return (unsigned)(n * 7 + (n ? (unsigned char)k[0] * 3 + (unsigned char)k[n - 1] : 0)) &
	       (ADI_TF_BUCKETS - 1);
}

/* Member i of the table: key k[0..kl), value v[0..vn), in its bucket. */
static inline void adi_tf_add(struct adi_tfields *fs, const char *k, size_t kl,
			      const char *v, size_t vn)
{
	unsigned b = adi_tf_bucket(k, kl);

	fs->m[fs->n].k = k;
	fs->m[fs->n].kl = kl;
	fs->m[fs->n].v.p = v;
	fs->m[fs->n].v.n = vn;
	fs->prev[fs->n] = fs->head[b];
	fs->head[b] = (uint8_t)(fs->n + 1);
	fs->n++;
}

/* The event's members: from the index its writer kept (no reading of the
 * text), else in one pass over the member list (our compact JSON:
 * "k":v,"k":v), where what does not read as that ends the table. */
static void adi_tf_load(struct adi_tfields *fs, const struct adi_event *ev)
{
	struct adi_jv list = adi_event_fields(ev);
	const char *p = list.p, *end = list.p ? list.p + list.n : NULL;

	fs->list = list;
	fs->n = 0;
	fs->full = false;
	memset(fs->head, 0, sizeof(fs->head));
	fs->served = -1;
	if (ev->nidx && ev->nidx <= ADI_TEXT_FIELDS && !ev->idx[0].off) {
		for (uint32_t i = 0; i < ev->nidx; i++) {
			const char *k = list.p + ev->idx[i].off + 1, *v = k + ev->idx[i].klen + 2;
			const char *ve = i + 1 < ev->nidx ? list.p + ev->idx[i + 1].off - 1 : end;

			/* the bytes around each member as its writer put them
			 * (a writer that copied members as text without noting
			 * them fails this, in part; tests check all of it) */
			if (ve < v || ve > end || k[-1] != '"' || v[-2] != '"' || v[-1] != ':' ||
			    (ve < end && *ve != ',')) {
				fs->n = 0;
				memset(fs->head, 0, sizeof(fs->head));
				break;
			}
			adi_tf_add(fs, k, ev->idx[i].klen, v, (size_t)(ve - v));
		}
		if (fs->n)
			return;
	}
	while (p && p < end) {
		const char *k = p, *q;

		if (*k != '"' || !(q = adi_tf_key_end(k, end)) || q >= end || *q != ':')
			return;
		if (fs->n == ADI_TEXT_FIELDS) {
			fs->full = true;
			return;
		}
		p = q + 1;
		if (p >= end || !(q = adi_tf_skip(p, end)) || q == p)
			return;
		adi_tf_add(fs, k + 1, (size_t)(p - k - 3), p, (size_t)(q - p));
		p = q < end && *q == ',' ? q + 1 : q;
	}
}

/* a[0..n) == b[0..n) for short names, without a call: words where they
 * fit, then bytes */
static inline __attribute__((always_inline)) bool adi_tf_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	while (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
		a += 8, b += 8, n -= 8;
	}
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

/* member name's value (the last of that name), or absent; adi_tf takes
 * the length of a literal at compile time */
#define adi_tf(fs, name) adi_tf_n((fs), (name), __builtin_strlen(name))
static inline __attribute__((always_inline)) struct adi_jv adi_tf_n(const struct adi_tfields *fs,
								 const char *name, size_t n)
{
	struct adi_jv none = { NULL, 0 };

	if (fs->full)
		return adi_jv_member(fs->list, name);
	/* the bucket's members, the last first: a later one of a name wins */
	for (unsigned i = fs->head[adi_tf_bucket(name, n)]; i; i = fs->prev[i - 1])
		if (fs->m[i - 1].kl == n && adi_tf_eq(fs->m[i - 1].k, name, n))
			return fs->m[i - 1].v;
	return none;
}

/* The event's connection is one the traced task served (conn.role):
 * asked by the line and by its tree mark, read once. */
static bool adi_tf_served(const struct adi_tfields *fs)
{
	/* the line's writers hold the table const; the table itself is the
	 * emitting call's own (never a const object), so keeping the answer
	 * in it is allowed */
	if (fs->served < 0)
		((struct adi_tfields *)fs)->served =
			adi_jv_is(adi_jv_get(adi_tf(fs, "conn"), "role"), "server");
	return fs->served;
}

static inline __attribute__((always_inline)) int64_t adi_tf_int(const struct adi_tfields *fs,
							   const char *name, int64_t dflt)
{
	return adi_jv_int(adi_tf(fs, name), dflt);
}

static inline __attribute__((always_inline)) bool adi_tf_true(const struct adi_tfields *fs,
							 const char *name)
{
	return adi_jv_bool(adi_tf(fs, name), false);
}

/* ---- values ---- */

/* A field value as text: "?" when missing or null, strings escaped
 * ("" when empty), numbers and booleans as written, objects and arrays
 * as compact JSON. */
static void adi_tx_val(struct adi_tx *t, struct adi_jv v)
{
	if (adi_jv_null_or_absent(v)) {
		adi_tx_c(t, '?');
	} else if (adi_jv_is_str(v)) {
		if (v.n == 2)
			adi_tx_put(t, "\"\"", 2);
		else
			adi_tx_jstr(t, v, SIZE_MAX, 0);
	} else {
		size_t used = 0;

		/* numbers, booleans, compact JSON: escaped all the same, as a
		 * file written by someone else may hold anything */
		adi_tx_esc(t, v.p, v.n, &used, SIZE_MAX, 0);
	}
}

/* A string value escaped, cut to limit bytes (with "..."); else as
 * adi_tx_val. */
static void adi_tx_str_lim(struct adi_tx *t, struct adi_jv v, size_t limit)
{
	if (adi_jv_is_str(v) && v.n > 2) {
		if (adi_tx_jstr(t, v, limit, 0))
			adi_tx_put(t, "...", 3);
	} else {
		adi_tx_val(t, v);
	}
}

/* An op or kind name in upper case, for the tag that starts the body. */
static void adi_tx_upper_n(struct adi_tx *t, const char *s, size_t n)
{
	if (!s || !n) {
		adi_tx_c(t, '?');
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		adi_tx_c(t, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
}

static void adi_tx_upper_v(struct adi_tx *t, struct adi_jv v)
{
	size_t n;
	const char *s = adi_jv_plain(v, &n);

	if (!s && adi_jv_is_str(v)) {
		char *d = adi_jv_strdup(v, &n); /* escaped: rare */

		adi_tx_upper_n(t, d, d ? n : 0);
		free(d);
		return;
	}
	adi_tx_upper_n(t, s, n);
}

/* The coloured tag: prefix ("FS ", "NET "...) and the upper-cased name. */
static void adi_tx_tag(struct adi_tx *t, const char *color, const char *prefix,
		       struct adi_jv name)
{
	adi_tx_color(t, color);
	adi_tx_s(t, prefix);
	adi_tx_upper_v(t, name);
	adi_tx_color(t, ADI_C_RESET);
}

/* A tag without a name part ("REDIS", "GRPC"). */
static void adi_tx_tag_s(struct adi_tx *t, const char *color, const char *tag)
{
	adi_tx_color(t, color);
	adi_tx_s(t, tag);
	adi_tx_color(t, ADI_C_RESET);
}

/* A byte count as "2.1 KiB"; anything else through adi_tx_val. */
static void adi_tx_size(struct adi_tx *t, struct adi_jv v)
{
	int64_t n = adi_jv_int(v, -1);
	char buf[32];

	if (n < 0) {
		adi_tx_val(t, v);
	} else if (n < 1024) {
		adi_tx_u64(t, (uint64_t)n);
		adi_tx_put(t, " B", 2);
	} else {
		adi_tx_s(t, adi_size_str((uint64_t)n, buf, sizeof(buf)));
	}
}

/* Milliseconds from nanoseconds, up to 3 decimals without trailing zeros:
 * 1500000 -> "1.5", 2000000 -> "2". Integer arithmetic: exact, and no
 * locale decimal comma. */
static void adi_tx_ms(struct adi_tx *t, int64_t ns)
{
	int64_t us = ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);
	int64_t whole = us / 1000, frac = us % 1000;
	char fr[3];
	int l = 3;

	if (frac < 0)
		frac = -frac;
	if (us < 0 && whole == 0)
		adi_tx_c(t, '-');
	adi_tx_i64(t, whole);
	if (frac == 0)
		return;
	fr[0] = (char)('0' + frac / 100);
	fr[1] = (char)('0' + frac / 10 % 10);
	fr[2] = (char)('0' + frac % 10);
	while (l > 0 && fr[l - 1] == '0')
		l--;
	adi_tx_c(t, '.');
	adi_tx_put(t, fr, (size_t)l);
}

/* Payload text (content, previews, bodies): "<binary N B>" for base64
 * payload, else at most t->preview bytes escaped, with "..." when cut.
 * Prints nothing for a missing, empty or non-string value; returns
 * whether it printed. */
static bool adi_tx_payload(struct adi_tx *t, const char *lead, struct adi_jv v, bool quoted)
{
	static const char b64[] = "\"base64:";
	bool cut;

	if (!adi_jv_is_str(v) || v.n == 2)
		return false;
	adi_tx_s(t, lead);
	if (v.n >= sizeof(b64) && !memcmp(v.p, b64, sizeof(b64) - 1)) {
		size_t l = v.n - sizeof(b64), pad = 0; /* the base64 digits */

		while (pad < 2 && pad < l && v.p[v.n - 2 - pad] == '=')
			pad++;
		adi_tx_put(t, "<binary ", 8);
		adi_tx_u64(t, l % 4 ? l * 3 / 4 : l / 4 * 3 - pad);
		adi_tx_put(t, " B>", 3);
		return true;
	}
	if (quoted)
		adi_tx_c(t, '"');
	cut = adi_tx_jstr(t, v, t->preview, ADI_ESC_BSLASH | (quoted ? ADI_ESC_QUOTE : 0));
	if (quoted)
		adi_tx_c(t, '"');
	if (cut)
		adi_tx_put(t, "...", 3);
	return true;
}

/* A JSON value as compact JSON (its escapes kept: they are JSON's),
 * cut at the preview with "..."; returns true when cut. */
static bool adi_tx_json(struct adi_tx *t, struct adi_jv v)
{
	size_t used = 0;

	if (!adi_tx_esc(t, v.p, v.n, &used, t->preview, 0))
		return false;
	adi_tx_put(t, "...", 3);
	return true;
}

/* A JSON value (an object, an array) shown as a payload after lead;
 * nothing for null. */
static bool adi_tx_json_preview(struct adi_tx *t, const char *lead, struct adi_jv v)
{
	if (adi_jv_null_or_absent(v))
		return false;
	adi_tx_s(t, lead);
	adi_tx_json(t, v);
	return true;
}

static void adi_tx_error(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv e = adi_tf(f, "error");

	if (adi_jv_null_or_absent(e))
		return;
	adi_tx_c(t, ' ');
	adi_tx_color(t, ADI_C_RED);
	adi_tx_put(t, "! ", 2);
	adi_tx_val(t, e);
	adi_tx_color(t, ADI_C_RESET);
}

/* " TLSv1.3" on the events of a TLS connection (docs/tls.md): its
 * handshake's version, " TLS" when the version is not known (a handshake
 * not seen, a database login's tls: true) */
static void adi_tx_tls(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv tls = adi_tf(f, "tls"), v;

	if (adi_jv_type(tls) != ADI_J_OBJ && !adi_jv_bool(tls, false))
		return;
	v = adi_jv_get(tls, "version");
	adi_tx_c(t, ' ');
	if (adi_jv_is_str(v) && v.n > 2 && v.n < 40)
		adi_tx_jstr(t, v, SIZE_MAX, 0);
	else
		adi_tx_s(t, "TLS");
}

/* " TLSv1.3", " truncated", " incomplete" when those are so; not
 * "incomplete" when all that is missing is a body the process left unread
 * (said in the sizes, adi_tx_unread) */
static void adi_tx_flags(struct adi_tx *t, const struct adi_tfields *f)
{
	bool trunc = adi_tf_true(f, "truncated");

	adi_tx_tls(t, f);
	if (trunc)
		adi_tx_s(t, " truncated");
	if (adi_tf_true(f, "incomplete") &&
	    (trunc || (adi_jv_absent(adi_tf(f, "req_unread")) &&
		       adi_jv_absent(adi_tf(f, "resp_unread")))))
		adi_tx_s(t, " incomplete");
}

/* ---- files and processes ---- */

static void adi_tx_file(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv op = adi_tf(f, "op"), path = adi_tf(f, "path");

	adi_tx_tag(t, ADI_C_FILE, "FS ", op);
	/* close is about the descriptor: the path is shown only if known */
	if (!adi_jv_is(op, "close") || !adi_jv_null_or_absent(path)) {
		adi_tx_c(t, ' ');
		adi_tx_val(t, path);
	}
	if (adi_jv_is(op, "open")) {
		struct adi_jv v;

		if (!adi_jv_null_or_absent(v = adi_tf(f, "flags"))) {
			adi_tx_c(t, ' ');
			adi_tx_val(t, v);
		}
		if (!adi_jv_null_or_absent(v = adi_tf(f, "mode"))) {
			adi_tx_s(t, " mode ");
			adi_tx_val(t, v);
		}
		if (!adi_jv_null_or_absent(v = adi_tf(f, "fd"))) {
			adi_tx_s(t, " = fd ");
			adi_tx_val(t, v);
		}
	} else if (adi_jv_is(op, "read") || adi_jv_is(op, "write")) {
		int64_t ops = adi_tf_int(f, "ops", 1);

		adi_tx_s(t, " (");
		adi_tx_size(t, adi_tf(f, "bytes"));
		if (ops > 1) {
			adi_tx_s(t, ", ");
			adi_tx_i64(t, ops);
			adi_tx_s(t, " calls");
		}
		adi_tx_c(t, ')');
		adi_tx_payload(t, " ", adi_tf(f, "content"), true);
	} else if (adi_jv_is(op, "rename") || adi_jv_is(op, "link") ||
		   adi_jv_is(op, "symlink")) {
		adi_tx_s(t, " -> ");
		adi_tx_val(t, adi_tf(f, "new_path"));
	} else if (adi_jv_is(op, "chmod") ||
		   (adi_jv_is(op, "mkdir") && !adi_jv_null_or_absent(adi_tf(f, "mode")))) {
		adi_tx_s(t, " mode ");
		adi_tx_val(t, adi_tf(f, "mode"));
	} else if (adi_jv_is(op, "chown")) {
		adi_tx_s(t, " owner ");
		adi_tx_val(t, adi_tf(f, "uid"));
		adi_tx_c(t, ':');
		adi_tx_val(t, adi_tf(f, "gid"));
	} else if (adi_jv_is(op, "close")) {
		adi_tx_s(t, " (fd ");
		adi_tx_val(t, adi_tf(f, "fd"));
		adi_tx_c(t, ')');
	}
	adi_tx_error(t, f);
}

/* One word of a command line (exec's argv, Redis arguments), quoted only
 * when it could be misread unquoted; *used counts the bytes shown against
 * limit. Returns true when cut. */
static bool adi_tx_arg(struct adi_tx *t, struct adi_jv a, size_t *used, size_t limit)
{
	size_t n;
	const char *s = adi_jv_plain(a, &n);
	bool quote, cut;
	size_t before;

	if (!adi_jv_is_str(a)) {
		adi_tx_val(t, a);
		return false;
	}
	/* escapes in the JSON (a quote, a control byte) mean quoting */
	quote = !s || n == 0;
	for (size_t i = 0; s && i < n && !quote; i++) {
		unsigned char c = (unsigned char)s[i];

		quote = c == ' ' || c == '\'' || c == 0x7f;
	}
	if (quote)
		adi_tx_c(t, '"');
	before = t->n;
	cut = adi_tx_jstr(t, a, limit > *used ? limit - *used : 0,
			  quote ? ADI_ESC_QUOTE | ADI_ESC_BSLASH : 0);
	*used += t->n - before;
	if (quote)
		adi_tx_c(t, '"');
	return cut;
}

/* Returns false for an op it has no layout for. */
static bool adi_tx_process(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv op = adi_tf(f, "op");

	if (adi_jv_is(op, "exec")) {
		struct adi_jv argv = adi_tf(f, "argv"), a, k, interp;
		struct adi_jv_it it;
		size_t used = 0;

		adi_tx_tag(t, ADI_C_PROC, "", op);
		if (adi_jv_type(argv) != ADI_J_ARR) {
			adi_tx_s(t, " ?");
			return true;
		}
		it = adi_jv_iter(argv);
		while (adi_jv_next(&it, &k, &a)) {
			adi_tx_c(t, ' ');
			adi_tx_arg(t, a, &used, SIZE_MAX);
		}
		/* a script: the kernel ran its interpreter */
		interp = adi_tf(f, "interpreter");
		if (adi_jv_type(interp) == ADI_J_ARR) {
			bool first = true;

			adi_tx_s(t, " (via");
			it = adi_jv_iter(interp);
			while (adi_jv_next(&it, &k, &a)) {
				adi_tx_c(t, ' ');
				adi_tx_arg(t, a, &used, SIZE_MAX);
				first = false;
			}
			if (first)
				adi_tx_s(t, " ?");
			adi_tx_c(t, ')');
		}
	} else if (adi_jv_is(op, "fork")) {
		/* The event belongs to the new child; ppid is who forked it. */
		adi_tx_tag(t, ADI_C_PROC, "", op);
		adi_tx_s(t, " from ");
		adi_tx_val(t, adi_tf(f, "ppid"));
	} else if (adi_jv_is(op, "exit")) {
		struct adi_jv sig = adi_tf(f, "signal");

		adi_tx_tag(t, ADI_C_PROC, "", op);
		if (!adi_jv_null_or_absent(sig)) {
			adi_tx_s(t, " signal ");
			adi_tx_val(t, sig);
			if (adi_tf_true(f, "core_dumped"))
				adi_tx_s(t, " (core dumped)");
		} else {
			adi_tx_c(t, ' ');
			adi_tx_val(t, adi_tf(f, "exit_code"));
		}
	} else {
		return false;
	}
	return true;
}

/* ---- connections ---- */

static void adi_tx_ends(struct adi_tx *t, struct adi_jv conn)
{
	struct adi_jv local = adi_jv_get(conn, "local");

	/* a unix client's socket has no name (an empty string: the view is
	 * its two quotes): "unix -> /run/x.sock" */
	if (adi_jv_is_str(local) && local.n == 2) {
		adi_tx_s(t, "-> ");
		adi_tx_val(t, adi_jv_get(conn, "remote"));
		return;
	}
	adi_tx_val(t, local);
	adi_tx_s(t, " -> ");
	adi_tx_val(t, adi_jv_get(conn, "remote"));
}

static void adi_tx_connection(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv c = adi_tf(f, "conn");

	/* accept keeps local -> remote: the arrow is the socket's view,
	 * the role is in the op */
	adi_tx_tag(t, ADI_C_NET, "NET ", adi_tf(f, "op"));
	adi_tx_c(t, ' ');
	adi_tx_val(t, adi_jv_get(c, "transport"));
	adi_tx_c(t, ' ');
	adi_tx_ends(t, c);
	adi_tx_error(t, f);
}

static void adi_tx_tcp_stream(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv c = adi_tf(f, "conn"), proto = adi_tf(f, "protocol");

	/* a unix stream socket is not TCP: say which it is */
	adi_tx_tag_s(t, ADI_C_NET,
		     adi_jv_is(adi_jv_get(c, "transport"), "unix") ? "UNIX" : "TCP");
	adi_tx_c(t, ' ');
	adi_tx_ends(t, c);
	adi_tx_s(t, " out ");
	adi_tx_size(t, adi_tf(f, "bytes_out"));
	adi_tx_s(t, " in ");
	adi_tx_size(t, adi_tf(f, "bytes_in"));
	/* holes in the captured stream make the previews partial */
	if (adi_tf_int(f, "gaps", 0) > 0) {
		adi_tx_s(t, " gaps ");
		adi_tx_val(t, adi_tf(f, "gaps"));
	}
	/* a classified but unparsed protocol is worth knowing */
	if (adi_jv_is_str(proto) && proto.n > 2 && !adi_jv_is(proto, "unknown")) {
		adi_tx_s(t, " (");
		adi_tx_val(t, proto);
		adi_tx_c(t, ')');
	}
	adi_tx_tls(t, f);
}

/* The previews go on continuation lines, after the duration. */
static void adi_tx_tcp_previews(struct adi_tx *t, const struct adi_tfields *f)
{
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "> ", adi_tf(f, "preview_out"), false);
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "< ", adi_tf(f, "preview_in"), false);
}

/* ---- protocols ---- */

/* An HTTP-like status: red from 400 (or the caller's threshold). */
static void adi_tx_status(struct adi_tx *t, int64_t st, bool bad)
{
	adi_tx_color(t, bad ? ADI_C_RED : ADI_C_PROTO);
	adi_tx_i64(t, st);
	adi_tx_color(t, ADI_C_RESET);
}

static void adi_tx_red(struct adi_tx *t, const char *s)
{
	adi_tx_color(t, ADI_C_RED);
	adi_tx_s(t, s);
	adi_tx_color(t, ADI_C_RESET);
}

/* ", SIZE unread" (", rest unread" when the size is not known) after a
 * body the traced process left unread (http_request's *_unread). */
static void adi_tx_unread(struct adi_tx *t, struct adi_jv v)
{
	if (adi_jv_absent(v))
		return;
	adi_tx_s(t, ", ");
	if (adi_jv_type(v) == ADI_J_INT) {
		adi_tx_size(t, v);
		adi_tx_s(t, " unread");
	} else {
		adi_tx_s(t, "rest unread");
	}
}

/* " (req SIZE, resp SIZE)" */
static void adi_tx_req_resp(struct adi_tx *t, const struct adi_tfields *f)
{
	adi_tx_s(t, " (req ");
	adi_tx_size(t, adi_tf(f, "req_bytes"));
	adi_tx_unread(t, adi_tf(f, "req_unread"));
	adi_tx_s(t, ", resp ");
	adi_tx_size(t, adi_tf(f, "resp_bytes"));
	adi_tx_unread(t, adi_tf(f, "resp_unread"));
	adi_tx_c(t, ')');
}

/* One HTTP exchange: "HTTP GET host/url -> 200 (req 12 B, resp 2.1 KiB)";
 * a served request (the traced task answered) says "HTTP SERVED". */
static void adi_tx_http(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv host = adi_tf(f, "host"), url = adi_tf(f, "url");
	struct adi_jv st = adi_tf(f, "status"), v;
	bool served = adi_tf_served(f);

	adi_tx_tag(t, ADI_C_PROTO, served ? "HTTP SERVED " : "HTTP ", adi_tf(f, "method"));
	adi_tx_c(t, ' ');
	if (adi_jv_is_str(host) && !served)
		adi_tx_jstr(t, host, t->preview, 0);
	if (adi_jv_is_str(url))
		adi_tx_jstr(t, url, t->preview * 2, 0);
	else
		adi_tx_c(t, '?');
	adi_tx_s(t, " -> ");
	if (adi_jv_null_or_absent(st)) {
		adi_tx_red(t, "no response");
	} else {
		int64_t s = adi_jv_int(st, 0);

		adi_tx_status(t, s, s >= 400);
	}
	adi_tx_req_resp(t, f);
	adi_tx_flags(t, f);
	if (!adi_jv_null_or_absent(v = adi_tf(f, "upgrade"))) {
		adi_tx_s(t, " upgrade ");
		adi_tx_val(t, v);
	}
	if (adi_tf_true(f, "tunnel"))
		adi_tx_s(t, " tunnel");
	if (!adi_jv_null_or_absent(v = adi_tf(f, "reset"))) {
		adi_tx_s(t, " reset ");
		adi_tx_val(t, v);
	}
}

/* Bodies on continuation lines, like tcp previews. */
static void adi_tx_http_bodies(struct adi_tx *t, const struct adi_tfields *f)
{
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "> ", adi_tf(f, "req_body"), false);
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "< ", adi_tf(f, "resp_body"), false);
}

/* gRPC status codes (grpc/doc/statuscodes.md) */
static const char *adi_grpc_code(int64_t c)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
		"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
		"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
	};
	return c >= 0 && c < (int64_t)(sizeof(names) / sizeof(names[0])) ? names[c] : NULL;
}

/* One gRPC call: "GRPC /pkg.Svc/Method -> OK (req 12 B, resp 30 B)"; an
 * error status in red with its message. */
static void adi_tx_grpc(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv st = adi_tf(f, "status"), msg = adi_tf(f, "grpc_message");
	bool served = adi_tf_served(f);

	adi_tx_tag_s(t, ADI_C_PROTO, served ? "GRPC SERVED" : "GRPC");
	adi_tx_c(t, ' ');
	adi_tx_str_lim(t, adi_tf(f, "method"), t->preview * 2);
	adi_tx_s(t, " -> ");
	if (adi_jv_null_or_absent(st)) {
		struct adi_jv hs = adi_tf(f, "http_status");

		if (adi_jv_null_or_absent(hs)) {
			adi_tx_red(t, "no response");
		} else {
			adi_tx_s(t, "no status, HTTP ");
			adi_tx_status(t, adi_jv_int(hs, 0), adi_jv_int(hs, 0) != 200);
		}
	} else {
		int64_t c = adi_jv_int(st, -1);
		const char *name = adi_grpc_code(c);

		adi_tx_color(t, c ? ADI_C_RED : ADI_C_PROTO);
		if (name)
			adi_tx_s(t, name);
		else
			adi_tx_val(t, st);
		if (c && !adi_jv_null_or_absent(msg)) {
			adi_tx_s(t, ": ");
			adi_tx_str_lim(t, msg, t->preview);
		}
		adi_tx_color(t, ADI_C_RESET);
	}
	adi_tx_req_resp(t, f);
	adi_tx_flags(t, f);
	if (!adi_jv_null_or_absent(adi_tf(f, "reset"))) {
		adi_tx_s(t, " reset ");
		adi_tx_val(t, adi_tf(f, "reset"));
	}
}

/* The first message of each direction, on continuation lines. */
static void adi_tx_grpc_messages(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv k, m;
	struct adi_jv_it it = adi_jv_iter(adi_tf(f, "req_messages"));

	if (adi_jv_next(&it, &k, &m))
		adi_tx_json_preview(t, "\n" ADI_TEXT_INDENT "> ", m);
	it = adi_jv_iter(adi_tf(f, "resp_messages"));
	if (adi_jv_next(&it, &k, &m))
		adi_tx_json_preview(t, "\n" ADI_TEXT_INDENT "< ", m);
}

/* One SQL round trip: "SQL POSTGRES select ... -> SELECT 3 (3 rows) in_tx";
 * an error in red instead of the tag. Parameters follow on a continuation
 * line (after the duration), like HTTP bodies. */
static void adi_tx_sql(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv sql = adi_tf(f, "sql"), err = adi_tf(f, "error");
	struct adi_jv tag = adi_tf(f, "command_tag"), tx = adi_tf(f, "tx");
	struct adi_jv cmd = adi_tf(f, "command"), stmt = adi_tf(f, "statement");

	adi_tx_tag(t, ADI_C_PROTO, "SQL ", adi_tf(f, "db"));
	adi_tx_c(t, ' ');
	if (adi_jv_is_str(sql)) {
		adi_tx_jstr(t, sql, t->preview * 2, 0);
	} else if (adi_jv_is_str(cmd)) {
		adi_tx_val(t, cmd);
	} else if (!adi_jv_null_or_absent(stmt)) {
		adi_tx_s(t, "EXECUTE ");
		adi_tx_val(t, stmt);
	} else {
		adi_tx_c(t, '?');
	}
	adi_tx_s(t, " -> ");
	if (!adi_jv_null_or_absent(err)) {
		adi_tx_color(t, ADI_C_RED);
		adi_tx_s(t, "error ");
		adi_tx_val(t, adi_jv_get(err, "code"));
		adi_tx_c(t, ' ');
		adi_tx_val(t, adi_jv_get(err, "message"));
		adi_tx_color(t, ADI_C_RESET);
	} else if (adi_jv_is_str(tag)) {
		adi_tx_jstr(t, tag, t->preview, 0);
	} else if (adi_jv_null_or_absent(tx)) {
		adi_tx_red(t, "no reply");
	} else {
		adi_tx_s(t, "ok");
	}
	if (adi_jv_type(adi_tf(f, "columns")) == ADI_J_ARR) {
		adi_tx_s(t, " (");
		adi_tx_val(t, adi_tf(f, "rows"));
		adi_tx_s(t, " rows)");
	}
	if (adi_jv_is_str(tx) && !adi_jv_is(tx, "idle")) {
		adi_tx_c(t, ' ');
		adi_tx_val(t, tx);
	}
	adi_tx_flags(t, f);
}

/* One step of a database session that is no statement (db_session):
 * "DB POSTGRES LOGIN app@shop -> ok"; an error in red; quit and cancel
 * have no reply to show. */
static void adi_tx_db_session(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv op = adi_tf(f, "op"), user = adi_tf(f, "user"), db = adi_tf(f, "database");
	struct adi_jv err = adi_tf(f, "error");

	adi_tx_tag(t, ADI_C_PROTO, "DB ", adi_tf(f, "db"));
	adi_tx_c(t, ' ');
	adi_tx_color(t, ADI_C_PROTO);
	adi_tx_upper_v(t, op);
	adi_tx_color(t, ADI_C_RESET);
	if (adi_jv_is_str(user) || adi_jv_is_str(db)) {
		adi_tx_c(t, ' ');
		if (adi_jv_is_str(user))
			adi_tx_jstr(t, user, t->preview, 0);
		if (adi_jv_is_str(db)) {
			adi_tx_c(t, '@');
			adi_tx_jstr(t, db, t->preview, 0);
		}
	}
	if (!adi_jv_null_or_absent(err)) {
		adi_tx_s(t, " -> ");
		adi_tx_color(t, ADI_C_RED);
		adi_tx_s(t, "error ");
		adi_tx_val(t, adi_jv_get(err, "code"));
		adi_tx_c(t, ' ');
		adi_tx_val(t, adi_jv_get(err, "message"));
		adi_tx_color(t, ADI_C_RESET);
	} else if (!adi_jv_is(op, "quit") && !adi_jv_is(op, "cancel")) {
		adi_tx_s(t, " -> ok");
	}
	adi_tx_flags(t, f);
}

static void adi_tx_sql_params(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv p = adi_tf(f, "params");
	size_t used = 0;

	if (adi_jv_type(p) != ADI_J_ARR || p.n <= 2)
		return;
	adi_tx_s(t, "\n" ADI_TEXT_INDENT "params ");
	adi_tx_esc(t, p.p, p.n, &used, SIZE_MAX, 0);
}

/* Words of a command (keys, then other arguments) as a shell would need
 * them, their bytes together cut at twice the preview, then "...(+N)" for
 * the words left out. */
static void adi_tx_words(struct adi_tx *t, const struct adi_jv *lists, int nlists)
{
	struct adi_jv k, a;
	size_t used = 0, left = 0;

	for (int i = 0; i < nlists; i++) {
		struct adi_jv_it it = adi_jv_iter(lists[i]);

		while (adi_jv_next(&it, &k, &a)) {
			if (used >= t->preview * 2) {
				left++;
				continue;
			}
			adi_tx_c(t, ' ');
			if (adi_tx_arg(t, a, &used, t->preview * 2))
				adi_tx_put(t, "...", 3);
		}
	}
	if (left) {
		adi_tx_s(t, " ...(+");
		adi_tx_u64(t, left);
		adi_tx_c(t, ')');
	}
}

/* One Redis command: "REDIS SET k v -> OK". Arguments as a shell would
 * need them, their bytes together cut at the preview; the reply as
 * redis-cli shows it: strings quoted, (nil), (integer) N, [N items], an
 * error in red. */
static void adi_tx_redis(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv cmd = adi_tf(f, "command"), args = adi_tf(f, "args");
	struct adi_jv reply = adi_tf(f, "reply"), err = adi_tf(f, "error");
	bool push = adi_tf_true(f, "push");

	adi_tx_tag_s(t, ADI_C_PROTO, push ? "REDIS PUSH" : "REDIS");
	if (!adi_jv_null_or_absent(cmd)) {
		adi_tx_c(t, ' ');
		adi_tx_color(t, ADI_C_PROTO);
		adi_tx_upper_v(t, cmd);
		adi_tx_color(t, ADI_C_RESET);
	} else if (!push) {
		adi_tx_s(t, " ?");
	}
	adi_tx_words(t, &args, 1);
	adi_tx_s(t, push ? ": " : " -> ");
	if (!adi_jv_null_or_absent(err)) {
		adi_tx_color(t, ADI_C_RED);
		adi_tx_str_lim(t, err, t->preview);
		adi_tx_color(t, ADI_C_RESET);
	} else {
		switch (adi_jv_type(reply)) {
		case ADI_J_NULL:
			if (adi_jv_absent(reply) || adi_tf(f, "resp_bytes").n == 0 ||
			    adi_tf_int(f, "resp_bytes", 0) == 0)
				adi_tx_red(t, "no reply");
			else
				adi_tx_s(t, "(nil)");
			break;
		case ADI_J_STR:
			adi_tx_c(t, '"');
			if (adi_tx_jstr(t, reply, t->preview, ADI_ESC_QUOTE | ADI_ESC_BSLASH)) {
				adi_tx_c(t, '"');
				adi_tx_put(t, "...", 3);
			} else {
				adi_tx_c(t, '"');
			}
			break;
		case ADI_J_INT: case ADI_J_DOUBLE:
			adi_tx_s(t, "(integer) ");
			adi_tx_val(t, reply);
			break;
		case ADI_J_ARR:
			/* the items themselves; how many when they do not fit */
			if (adi_tx_json(t, reply)) {
				adi_tx_s(t, " (");
				adi_tx_u64(t, adi_jv_count(reply));
				adi_tx_s(t, " items)");
			}
			break;
		default:
			if (!adi_jv_absent(adi_jv_get(reply, "error"))) {
				adi_tx_color(t, ADI_C_RED);
				adi_tx_str_lim(t, adi_jv_get(reply, "error"), t->preview);
				adi_tx_color(t, ADI_C_RESET);
			} else {
				adi_tx_json(t, reply);
			}
		}
	}
	adi_tx_flags(t, f);
}

/* " 1 hit, 2 misses" */
static void adi_tx_count_word(struct adi_tx *t, struct adi_jv n, const char *one,
			      const char *many)
{
	int64_t v = adi_jv_int(n, 0);

	adi_tx_c(t, ' ');
	adi_tx_i64(t, v);
	adi_tx_c(t, ' ');
	adi_tx_s(t, v == 1 ? one : many);
}

/* One memcached command as its protocol reads: "MEMCACHED get k1 k2 -> END
 * 1 hit, 1 miss", "MEMCACHED set k (5 B) -> STORED", "MEMCACHED incr n 1 ->
 * 6"; "MEMCACHED/bin" for the binary protocol; "noreply" when no reply
 * was asked for; an error in red. */
static void adi_tx_memcached(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv cmd = adi_tf(f, "command"), st = adi_tf(f, "status");
	struct adi_jv err = adi_tf(f, "error"), res = adi_tf(f, "result");
	struct adi_jv vb = adi_tf(f, "value_bytes"), hits = adi_tf(f, "hits");

	adi_tx_tag_s(t, ADI_C_PROTO, adi_jv_is(adi_tf(f, "protocol"), "binary") ?
				     "MEMCACHED/bin" : "MEMCACHED");
	adi_tx_c(t, ' ');
	if (adi_jv_null_or_absent(cmd))
		adi_tx_c(t, '?');
	else
		adi_tx_str_lim(t, cmd, t->preview);
	{
		const struct adi_jv words[2] = { adi_tf(f, "keys"), adi_tf(f, "args") };

		adi_tx_words(t, words, 2);
	}
	if (!adi_jv_null_or_absent(vb)) {
		adi_tx_s(t, " (");
		adi_tx_size(t, vb);
		adi_tx_c(t, ')');
	}
	if (adi_tf_true(f, "noreply")) {
		adi_tx_s(t, " noreply");
	} else {
		adi_tx_s(t, " -> ");
		if (!adi_jv_null_or_absent(err)) {
			adi_tx_color(t, ADI_C_RED);
			adi_tx_str_lim(t, adi_jv_null_or_absent(st) ? err : st, t->preview);
			/* the status and then the text, once when they are one ("ERROR") */
			if (!adi_jv_null_or_absent(st) &&
			    (st.n != err.n || memcmp(st.p, err.p, st.n))) {
				adi_tx_c(t, ' ');
				adi_tx_str_lim(t, err, t->preview);
			}
			adi_tx_color(t, ADI_C_RESET);
		} else if (!adi_jv_null_or_absent(st)) {
			adi_tx_str_lim(t, st, t->preview);
			if (!adi_jv_absent(hits)) {
				adi_tx_count_word(t, hits, "hit,", "hits,");
				adi_tx_count_word(t, adi_tf(f, "misses"), "miss", "misses");
			}
		} else if (!adi_jv_null_or_absent(res)) {
			adi_tx_json(t, res);
		} else {
			adi_tx_red(t, "no reply");
		}
	}
	adi_tx_flags(t, f);
}

/* One broker operation, the same line whichever broker: "NATS PUB orders
 * (5 B "hello")", "KAFKA Produce orders (70 B "v1") -> ok", "AMQP
 * queue.declare jobs -> queue.declare-ok", "MQTT PUBLISH t/1 qos 1 (2 B
 * "hi") -> ok"; an answer's error in red; "-> no answer" for an operation
 * that waits for one (its duration) and got none. */
static void adi_tx_message(struct adi_tx *t, const struct adi_tfields *f, int64_t dur_ns)
{
	struct adi_jv dest = adi_tf(f, "destination"), pb = adi_tf(f, "payload_bytes");
	struct adi_jv err = adi_tf(f, "error"), reply = adi_tf(f, "reply");
	struct adi_jv rc = adi_tf(f, "reason_code"), qos = adi_tf(f, "qos");
	size_t used = 0;

	adi_tx_tag(t, ADI_C_PROTO, "", adi_tf(f, "system"));
	adi_tx_c(t, ' ');
	adi_tx_str_lim(t, adi_tf(f, "op"), t->preview);
	if (!adi_jv_null_or_absent(dest)) {
		adi_tx_c(t, ' ');
		if (adi_tx_arg(t, dest, &used, t->preview))
			adi_tx_put(t, "...", 3);
	}
	if (!adi_jv_absent(qos) && adi_jv_int(qos, 0) > 0) {
		adi_tx_s(t, " qos ");
		adi_tx_val(t, qos);
	}
	if (!adi_jv_null_or_absent(pb)) {
		adi_tx_s(t, " (");
		adi_tx_size(t, pb);
		adi_tx_payload(t, " ", adi_tf(f, "payload"), true);
		adi_tx_c(t, ')');
	}
	if (!adi_jv_null_or_absent(err)) {
		adi_tx_s(t, " -> ");
		adi_tx_color(t, ADI_C_RED);
		adi_tx_s(t, "error ");
		adi_tx_str_lim(t, err, t->preview);
		adi_tx_color(t, ADI_C_RESET);
	} else if (adi_jv_is_str(adi_jv_get(reply, "op"))) {
		adi_tx_s(t, " -> ");
		adi_tx_str_lim(t, adi_jv_get(reply, "op"), t->preview);
	} else if (!adi_jv_null_or_absent(reply) || !adi_jv_null_or_absent(rc) ||
		   adi_tf_int(f, "resp_bytes", 0) > 0) {
		adi_tx_s(t, " -> ok");
	} else if (dur_ns >= 0) {
		adi_tx_s(t, " -> ");
		adi_tx_red(t, "no answer");
	}
	adi_tx_flags(t, f);
}

/* A Mongo reply's document count: cursor.firstBatch / nextBatch items,
 * else "n" (insert, update, delete); -1 when it says none. */
static int64_t adi_mongo_count(struct adi_jv reply, const char **what)
{
	struct adi_jv cur = adi_jv_get(reply, "cursor"), b;

	*what = " docs";
	b = adi_jv_get(cur, "firstBatch");
	if (adi_jv_absent(b))
		b = adi_jv_get(cur, "nextBatch");
	if (adi_jv_type(b) == ADI_J_ARR)
		return (int64_t)adi_jv_count(b);
	*what = NULL;
	return adi_jv_int(adi_jv_get(reply, "n"), -1);
}

/* One Mongo command: "MONGO find shop.orders -> ok (3 docs)"; the command
 * document and the reply on continuation lines. */
static void adi_tx_mongo(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv db = adi_tf(f, "database"), coll = adi_tf(f, "collection");
	struct adi_jv ok = adi_tf(f, "ok"), err = adi_tf(f, "error"), reply = adi_tf(f, "reply");
	const char *what;
	int64_t n;

	adi_tx_tag_s(t, ADI_C_PROTO, "MONGO");
	adi_tx_c(t, ' ');
	adi_tx_str_lim(t, adi_tf(f, "op"), t->preview);
	if (!adi_jv_null_or_absent(db) || !adi_jv_null_or_absent(coll)) {
		adi_tx_c(t, ' ');
		if (!adi_jv_null_or_absent(db))
			adi_tx_str_lim(t, db, t->preview);
		if (!adi_jv_null_or_absent(coll)) {
			if (!adi_jv_null_or_absent(db))
				adi_tx_c(t, '.');
			adi_tx_str_lim(t, coll, t->preview);
		}
	}
	adi_tx_s(t, " -> ");
	if (!adi_jv_null_or_absent(err)) {
		adi_tx_color(t, ADI_C_RED);
		adi_tx_s(t, "error ");
		adi_tx_str_lim(t, err, t->preview);
		adi_tx_color(t, ADI_C_RESET);
	} else if (adi_tf_true(f, "unacknowledged")) {
		adi_tx_s(t, "unacknowledged");
	} else if (adi_jv_null_or_absent(ok)) {
		adi_tx_red(t, "no reply");
	} else if (!adi_jv_bool(ok, false)) {
		adi_tx_red(t, "not ok");
	} else {
		adi_tx_s(t, "ok");
		n = adi_mongo_count(reply, &what);
		if (n >= 0) {
			adi_tx_s(t, " (");
			if (!what)
				adi_tx_s(t, "n=");
			adi_tx_i64(t, n);
			if (what)
				adi_tx_s(t, n == 1 ? " doc" : what);
			adi_tx_c(t, ')');
		}
	}
	adi_tx_flags(t, f);
}

static void adi_tx_mongo_docs(struct adi_tx *t, const struct adi_tfields *f)
{
	adi_tx_json_preview(t, "\n" ADI_TEXT_INDENT "> ", adi_tf(f, "command"));
	adi_tx_json_preview(t, "\n" ADI_TEXT_INDENT "< ", adi_tf(f, "reply"));
}

/* One DNS exchange: "DNS A example.test -> 127.0.0.1, ::1 (NOERROR)";
 * "-> no response" when none came, "(TC)" when the answer was cut for
 * UDP, "retries N" when the query was sent again. */
static void adi_tx_dns(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv ans = adi_tf(f, "answers"), rcode = adi_tf(f, "rcode"), k, a;
	struct adi_jv name = adi_tf(f, "name");
	struct adi_jv_it it = adi_jv_iter(adi_tf(f, "flags"));
	bool tc = false;

	while (adi_jv_next(&it, &k, &a))
		tc |= adi_jv_is(a, "TC");
	adi_tx_tag(t, ADI_C_PROTO, "DNS ", adi_tf(f, "qtype"));
	adi_tx_c(t, ' ');
	if (adi_jv_is_str(name))
		adi_tx_jstr(t, name, t->preview * 2, 0);
	else
		adi_tx_c(t, '?');
	adi_tx_s(t, " -> ");
	if (!adi_jv_is_str(rcode)) {
		adi_tx_red(t, "no response");
	} else {
		size_t na = 0;

		/* a line, not a zone dump: the first few, then how many more */
		it = adi_jv_iter(ans);
		while (adi_jv_next(&it, &k, &a)) {
			if (na < ADI_TEXT_DNS_ANSWERS) {
				size_t used = 0;

				if (na)
					adi_tx_s(t, ", ");
				if (adi_jv_is_str(a))
					adi_tx_jstr(t, a, t->preview, 0);
				else
					adi_tx_esc(t, a.p, a.n, &used, t->preview, 0);
			}
			na++;
		}
		if (na > ADI_TEXT_DNS_ANSWERS) {
			adi_tx_s(t, " +");
			adi_tx_u64(t, na - ADI_TEXT_DNS_ANSWERS);
			adi_tx_s(t, " more");
		}
		if (na)
			adi_tx_c(t, ' ');
		adi_tx_color(t, adi_jv_is(rcode, "NOERROR") ? ADI_C_PROTO : ADI_C_RED);
		adi_tx_c(t, '(');
		adi_tx_jstr(t, rcode, SIZE_MAX, 0);
		adi_tx_c(t, ')');
		adi_tx_color(t, ADI_C_RESET);
	}
	if (tc)
		adi_tx_s(t, " (TC)");
	if (adi_tf_int(f, "retries", 0) > 0) {
		adi_tx_s(t, " retries ");
		adi_tx_val(t, adi_tf(f, "retries"));
	}
	if (adi_tf_true(f, "truncated"))
		adi_tx_s(t, " truncated");
}

/* One datagram no decoder took: "UDP out 127.0.0.1:5000 -> 127.0.0.1:9 (12 B)";
 * its preview follows on a continuation line. */
static void adi_tx_udp(struct adi_tx *t, const struct adi_tfields *f)
{
	struct adi_jv c = adi_tf(f, "conn");
	bool in = adi_jv_is(adi_tf(f, "direction"), "in");

	adi_tx_tag_s(t, ADI_C_NET, adi_jv_is(adi_jv_get(c, "transport"), "udp") ? "UDP" : "DGRAM");
	adi_tx_s(t, in ? " in " : " out ");
	adi_tx_val(t, adi_jv_get(c, "local"));
	adi_tx_s(t, in ? " <- " : " -> ");
	adi_tx_val(t, adi_jv_get(c, "remote"));
	adi_tx_s(t, " (");
	adi_tx_size(t, adi_tf(f, "bytes"));
	adi_tx_c(t, ')');
	if (adi_tf_true(f, "truncated"))
		adi_tx_s(t, " truncated");
}

static void adi_tx_summary(struct adi_tx *t, const struct adi_tfields *f, int64_t dur_ns)
{
	struct adi_jv ev = adi_tf(f, "events"), d, k, v;
	struct adi_jv_it it;
	int64_t total = 0;
	bool first = true;
	static const struct adi_jv summary = { "\"summary\"", 9 };

	if (adi_jv_type(ev) == ADI_J_OBJ) {
		it = adi_jv_iter(ev);
		while (adi_jv_next(&it, &k, &v))
			total += adi_jv_int(v, 0);
	}
	adi_tx_tag(t, ADI_C_BOLD, "", summary);
	adi_tx_c(t, ' ');
	adi_tx_i64(t, total);
	adi_tx_s(t, " events");
	if (adi_jv_type(ev) == ADI_J_OBJ && adi_jv_count(ev) > 0) {
		adi_tx_s(t, " (");
		it = adi_jv_iter(ev);
		while (adi_jv_next(&it, &k, &v)) {
			if (!first)
				adi_tx_c(t, ' ');
			first = false;
			adi_tx_jstr(t, k, SIZE_MAX, 0);
			adi_tx_c(t, '=');
			adi_tx_val(t, v);
		}
		adi_tx_c(t, ')');
	}
	d = adi_tf(f, "dropped");
	adi_tx_s(t, ", ");
	if (adi_jv_int(d, 0) > 0) {
		/* lost events make the whole trace suspect: say it loudly */
		adi_tx_color(t, ADI_C_ALERT);
		adi_tx_s(t, "DROPPED ");
		adi_tx_i64(t, adi_jv_int(d, 0));
		adi_tx_s(t, " EVENTS");
		adi_tx_color(t, ADI_C_RESET);
	} else {
		adi_tx_s(t, "dropped ");
		adi_tx_val(t, d);
	}
	adi_tx_s(t, ", truncated ");
	adi_tx_val(t, adi_tf(f, "truncated"));
	adi_tx_s(t, ", ");
	/* the trace's length is the event's own duration (docs/events.md); a
	 * duration_ms field is honoured for traces written by others */
	d = adi_tf(f, "duration_ms");
	if (dur_ns >= 0) {
		adi_tx_ms(t, dur_ns);
	} else if (adi_jv_type(d) == ADI_J_INT || adi_jv_type(d) == ADI_J_DOUBLE) {
		double ms = adi_jv_double(d, 0);

		/* in range for int64 ns; rounded by hand so no libm is needed */
		if (isfinite(ms) && ms < 9e12 && ms > -9e12)
			adi_tx_ms(t, (int64_t)(ms * 1e6 + (ms < 0 ? -0.5 : 0.5)));
		else
			adi_tx_val(t, d);
	} else {
		adi_tx_val(t, d);
	}
	adi_tx_s(t, " ms, backend ");
	adi_tx_val(t, adi_tf(f, "backend"));
	/* TLS (docs/tls.md): the connections, and those the trace could not
	 * see into (why: the JSON's trace_summary.tls) */
	d = adi_tf(f, "tls");
	if (adi_jv_int(adi_jv_get(d, "connections"), 0) > 0) {
		struct adi_jv pt = adi_jv_get(d, "plaintext");
		int64_t dark = adi_jv_int(adi_jv_get(d, "connections"), 0) -
			       adi_jv_int(adi_jv_get(d, "with_plaintext"), 0);

		adi_tx_s(t, ", TLS connections ");
		adi_tx_val(t, adi_jv_get(d, "connections"));
		if (adi_jv_is_str(pt) && !adi_jv_is(pt, "on")) {
			adi_tx_s(t, " (plaintext ");
			adi_tx_val(t, pt);
			adi_tx_c(t, ')');
		} else if (dark > 0) {
			adi_tx_s(t, " (");
			adi_tx_i64(t, dark);
			adi_tx_s(t, " without plaintext)");
		}
	}
}

/* Any other kind: its name and all its fields as JSON. */
static void adi_tx_generic(struct adi_tx *t, const struct adi_event *ev)
{
	size_t used = 0;

	adi_tx_color(t, ADI_C_PROTO);
	adi_tx_upper_n(t, ev->kind, ev->kind ? strlen(ev->kind) : 0);
	adi_tx_color(t, ADI_C_RESET);
	adi_tx_put(t, " {", 2);
	if (ev->fields_len)
		adi_tx_esc(t, ev->fields, ev->fields_len, &used, SIZE_MAX, 0);
	adi_tx_c(t, '}');
}

/* ---- the line ---- */

/* "HH:MM:SS.uuuuuu" in local time (truncated, not rounded: rounding could
 * print 60 seconds); localtime once per second of events. */
static void adi_tx_clock(struct adi_sink_text *ts, uint64_t ns)
{
	struct adi_tx *t = &ts->t;
	int64_t sec = (int64_t)(ns / 1000000000u);
	uint32_t us = (uint32_t)(ns % 1000000000u / 1000u);
	char frac[7];

	if (sec != ts->clock_sec || !ts->clock[0]) {
		time_t s = (time_t)sec;
		struct tm tm;

		if (!localtime_r(&s, &tm)) {
			ts->clock[0] = '\0';
			return;
		}
		snprintf(ts->clock, sizeof(ts->clock), "%02d:%02d:%02d", tm.tm_hour % 100,
			 tm.tm_min % 100, tm.tm_sec % 100);
		ts->clock_sec = sec;
	}
	adi_tx_s(t, ts->clock);
	for (int i = 6; i-- > 0; us /= 10)
		frac[i] = (char)('0' + us % 10);
	frac[6] = '.';
	adi_tx_c(t, '.');
	adi_tx_put(t, frac, 6);
}

/* Seconds with microseconds, "+S.uuuuuu" (--time rel / delta). */
static void adi_tx_secs(struct adi_tx *t, uint64_t ns)
{
	uint64_t us = ns / 1000u;
	char frac[6];

	adi_tx_c(t, '+');
	adi_tx_u64(t, us / 1000000u);
	us %= 1000000u;
	for (int i = 6; i-- > 0; us /= 10)
		frac[i] = (char)('0' + us % 10);
	adi_tx_c(t, '.');
	adi_tx_put(t, frac, 6);
}

/* The time column of an event at ns. */
static void adi_tx_when(struct adi_sink_text *ts, uint64_t ns)
{
	struct adi_tx *t = &ts->t;

	if (!ts->seen) {
		ts->first_ts = ts->prev_ts = ns;
		ts->seen = true;
	}
	adi_tx_color(t, ADI_C_DIM);
	switch (ts->o.time) {
	case ADI_TEXT_TIME_REL:
		adi_tx_secs(t, ns > ts->first_ts ? ns - ts->first_ts : 0);
		break;
	case ADI_TEXT_TIME_DELTA:
		adi_tx_secs(t, ns > ts->prev_ts ? ns - ts->prev_ts : 0);
		break;
	default:
		adi_tx_clock(ts, ns);
	}
	adi_tx_color(t, ADI_C_RESET);
	if (ns > ts->prev_ts)
		ts->prev_ts = ns;
}

/* Request trees (docs/engine.md): a request the task served ends with its
 * id ("#12"), the work naming it with "(in #12)" -- "(in #12 or #13?)"
 * when the trace cannot tell -- so a reader can follow the tree. */
static void adi_tx_tree(struct adi_tx *t, const struct adi_event *ev,
			const struct adi_tfields *f)
{
	static const char *const requests[] = {
		"http_request", "grpc_call", "sql_query", "redis_command", "mongo_command",
	};
	struct adi_jv p = adi_tf(f, "parent_id"), c = adi_tf(f, "parent_candidates");

	if (!adi_jv_absent(p)) {
		adi_tx_s(t, " (in #");
		adi_tx_i64(t, adi_jv_int(p, 0));
		adi_tx_c(t, ')');
	} else if (!adi_jv_absent(c)) {
		struct adi_jv_it it = adi_jv_iter(c);
		struct adi_jv k, v;
		bool first = true;

		adi_tx_s(t, " (in ");
		while (adi_jv_next(&it, &k, &v)) {
			adi_tx_s(t, first ? "#" : " or #");
			adi_tx_i64(t, adi_jv_int(v, 0));
			first = false;
		}
		adi_tx_s(t, "?)");
	} else if (ev->id && adi_tf_served(f)) {
		for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
			if (adi_kind_is(ev->kind, requests[i])) {
				adi_tx_s(t, " #");
				adi_tx_u64(t, ev->id);
			}
	}
}

/* " [PID pid[/tid] comm] " */
static void adi_tx_who(struct adi_tx *t, uint32_t pid, uint32_t tid, const char *comm,
		       size_t commsz)
{
	size_t cl = strnlen(comm, commsz), used = 0;

	adi_tx_put(t, " [PID ", 6);
	adi_tx_u64(t, pid);
	/* tid 0 means unknown, not a thread */
	if (tid != pid && tid != 0) {
		adi_tx_c(t, '/');
		adi_tx_u64(t, tid);
	}
	if (cl) {
		adi_tx_c(t, ' ');
		adi_tx_esc(t, comm, cl, &used, SIZE_MAX, 0);
	}
	adi_tx_put(t, "] ", 2);
}

/* The event's line after its time column: who, the body by kind, the
 * duration, continuation lines, '\n'. */
static void adi_tx_event(struct adi_tx *t, const struct adi_event *ev,
			 const struct adi_tfields *f)
{
	const char *kind = ev->kind;
	bool summary = adi_kind_is(kind, "trace_summary");

	/* a request's work, indented under it */
	if (!adi_jv_absent(adi_tf(f, "parent_id")) || !adi_jv_absent(adi_tf(f, "parent")))
		adi_tx_s(t, ADI_TEXT_INDENT);
	adi_tx_who(t, ev->pid, ev->tid, ev->comm, sizeof(ev->comm));
	if (adi_kind_is(kind, "http_request"))
		adi_tx_http(t, f);
	else if (adi_kind_is(kind, "file"))
		adi_tx_file(t, f);
	else if (adi_kind_is(kind, "sql_query"))
		adi_tx_sql(t, f);
	else if (adi_kind_is(kind, "redis_command"))
		adi_tx_redis(t, f);
	else if (adi_kind_is(kind, "db_session"))
		adi_tx_db_session(t, f);
	else if (adi_kind_is(kind, "process") && adi_tx_process(t, f))
		;
	else if (adi_kind_is(kind, "connection"))
		adi_tx_connection(t, f);
	else if (adi_kind_is(kind, "tcp_stream"))
		adi_tx_tcp_stream(t, f);
	else if (adi_kind_is(kind, "grpc_call"))
		adi_tx_grpc(t, f);
	else if (adi_kind_is(kind, "mongo_command"))
		adi_tx_mongo(t, f);
	else if (adi_kind_is(kind, "dns_query"))
		adi_tx_dns(t, f);
	else if (adi_kind_is(kind, "udp_datagram"))
		adi_tx_udp(t, f);
	else if (adi_kind_is(kind, "memcached_command"))
		adi_tx_memcached(t, f);
	else if (adi_kind_is(kind, "message_op"))
		adi_tx_message(t, f, ev->duration_ns);
	else if (summary)
		adi_tx_summary(t, f, ev->duration_ns);
	else
		adi_tx_generic(t, ev);

	if (ev->duration_ns >= 0 && !summary) {
		adi_tx_put(t, " [", 2);
		adi_tx_ms(t, ev->duration_ns);
		adi_tx_put(t, " ms]", 4);
	}
	adi_tx_tree(t, ev, f);
	if (adi_kind_is(kind, "http_request"))
		adi_tx_http_bodies(t, f);
	else if (adi_kind_is(kind, "sql_query"))
		adi_tx_sql_params(t, f);
	else if (adi_kind_is(kind, "tcp_stream"))
		adi_tx_tcp_previews(t, f);
	else if (adi_kind_is(kind, "grpc_call"))
		adi_tx_grpc_messages(t, f);
	else if (adi_kind_is(kind, "mongo_command"))
		adi_tx_mongo_docs(t, f);
	else if (adi_kind_is(kind, "udp_datagram"))
		adi_tx_payload(t, "\n" ADI_TEXT_INDENT "| ", adi_tf(f, "preview"), false);
	adi_tx_c(t, '\n');
}

/* Write the whole buffer; 0 or -errno. The stream's error flag is cleared
 * once reported, so the engine can count the loss and keep going. */
static int adi_text_put(FILE *f, const char *s, size_t len)
{
	int err = 0;

	errno = 0;
	if (fwrite(s, 1, len, f) != len || ferror(f))
		err = errno ? -errno : -EIO;
	if (err)
		clearerr(f);
	return err;
}

/* The line that stands for the runtime's hidden events (file events, and
 * the nscd probes' connects). */
static void adi_tx_hidden(struct adi_sink_text *ts)
{
	struct adi_tx *t = &ts->t;

	if (!ts->hidden)
		return;
	adi_tx_color(t, ADI_C_DIM);
	adi_tx_u64(t, ts->hidden);
	adi_tx_s(t, ts->hidden == 1 ? " runtime event hidden" : " runtime events hidden");
	adi_tx_s(t, " (loader, locale, modules, /proc/self, /dev/tty, inherited fds closed,"
		    " nscd probes) -- --all shows them");
	adi_tx_color(t, ADI_C_RESET);
	adi_tx_c(t, '\n');
	ts->hidden = 0;
}

/* An event's runtime member says it is the runtime's own (a class name;
 * true from other writers). */
static bool adi_is_runtime(struct adi_jv v)
{
	return (adi_jv_is_str(v) && v.n > 2) || adi_jv_bool(v, false);
}

/* ---- focus: folding the file events of processes out of it ---- */

/* How long a file event's line may wait for its process to be decided
 * (and, below the threshold, for the trace to turn out large): the
 * trace's own time, so that view and replay fold what the live run did. */
#define ADI_TEXT_HOLD_NS 2000000000ull
/* Held text, and held lines, beyond which the oldest lines are decided at
 * once (as if their time had passed). */
#define ADI_TEXT_HOLD_MAX (64u << 20)
#define ADI_TEXT_HOLD_LINES (1u << 20)

enum adi_fate { ADI_WAIT, ADI_WRITE, ADI_FOLD };

/* What happens to a held line now (the trace's time), at the end
 * (final), or when the hold is full (final too). */
static enum adi_fate adi_fate(const struct adi_sink_text *ts, const struct adi_hold_item *i,
			      uint64_t now, bool final)
{
	bool late = final || now >= i->ts + ADI_TEXT_HOLD_NS;

	if (i->what != ADI_HOLD_FILE || ts->o.focus == ADI_TEXT_FOCUS_OFF)
		return ADI_WRITE;
	if (!ts->focus_on) /* not large (yet): only waits to see */
		return late ? ADI_WRITE : ADI_WAIT;
	if (!i->p || adi_proc_focused(i->p))
		return ADI_WRITE;
	return late || i->p->exited ? ADI_FOLD : ADI_WAIT;
}

static void adi_fold(struct adi_sink_text *ts, const struct adi_hold_item *i)
{
	struct adi_proc_counts *c = &i->p->folded;

	if (!c->n[ADI_PK_FILE]++)
		ts->folded_procs++;
	ts->folded++;
	if (i->rw == 1) {
		c->reads++;
		c->read_bytes += i->bytes;
	} else if (i->rw == 2) {
		c->writes++;
		c->write_bytes += i->bytes;
	}
	c->errors += i->failed;
}

/* A command name as a word to paste after --focus: in single quotes when
 * a shell would split it or expand it ('npm test'), control bytes as
 * \xNN either way. */
static void adi_tx_shell_word(struct adi_tx *t, const char *s, size_t n)
{
	size_t used = 0;
	bool plain = n > 0;

	for (size_t i = 0; i < n && plain; i++) {
		char c = s[i];

		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
			c == '/' || c == '+' || c == ':' || c == '@' || c == ',';
	}
	if (plain) {
		adi_tx_put(t, s, n);
		return;
	}
	adi_tx_c(t, '\'');
	for (size_t i = 0; i < n;) {
		const char *q = memchr(s + i, '\'', n - i);
		size_t run = q ? (size_t)(q - (s + i)) : n - i;

		adi_tx_esc(t, s + i, run, &used, SIZE_MAX, 0);
		i += run;
		if (q) {
			adi_tx_s(t, "'\\''"); /* a quote: out, escaped, back in */
			i++;
		}
	}
	adi_tx_c(t, '\'');
}

/* "TIME [PID p comm] FOLDED 412 file events (...) -- --focus comm or --all
 * shows them" for what p folded since its last such line. */
static void adi_tx_fold_line(struct adi_sink_text *ts, struct adi_proc *p, uint64_t ns)
{
	struct adi_tx *t = &ts->t;
	struct adi_proc_counts d = p->folded;
	char words[512];
	size_t cl = strnlen(p->comm, sizeof(p->comm));

	if (p->folded.n[ADI_PK_FILE] <= p->said.n[ADI_PK_FILE])
		return;
	d.n[ADI_PK_FILE] -= p->said.n[ADI_PK_FILE];
	d.reads -= p->said.reads;
	d.read_bytes -= p->said.read_bytes;
	d.writes -= p->said.writes;
	d.write_bytes -= p->said.write_bytes;
	d.errors -= p->said.errors;
	p->said = p->folded;
	adi_tx_when(ts, ns);
	adi_tx_who(t, p->pid, p->pid, p->comm, sizeof(p->comm));
	adi_tx_color(t, ADI_C_DIM);
	adi_tx_s(t, "FOLDED ");
	adi_tx_s(t, adi_proc_counts_str(&d, words, sizeof(words)));
	adi_tx_s(t, " -- --focus ");
	adi_tx_shell_word(t, p->comm, cl);
	adi_tx_s(t, " or --all shows them");
	adi_tx_color(t, ADI_C_RESET);
	adi_tx_c(t, '\n');
}

/* Write one line whose text after the time is rest (an exit's process
 * gets its fold line first). 0 or -errno. */
static int adi_text_write(struct adi_sink_text *ts, const struct adi_hold_item *i,
			  const char *rest, size_t len)
{
	struct adi_tx *t = &ts->t;

	t->n = 0;
	t->oom = false;
	if (i->what == ADI_HOLD_EXIT && i->p)
		adi_tx_fold_line(ts, i->p, i->ts);
	adi_tx_when(ts, i->ts);
	adi_tx_put(t, rest, len);
	if (t->oom)
		return -ENOMEM;
	return adi_text_put(ts->f, t->b, t->n);
}

/* Write or fold the held lines whose fate is known, oldest first, up to
 * the first that must wait. now: the trace's time (live: the clock);
 * final: nothing more will come. Returns the first error. */
static int adi_release(struct adi_sink_text *ts, uint64_t now, bool final)
{
	struct adi_hold_item *i;
	int rc = 0;

	while ((i = adi_hold_front(&ts->hold))) {
		bool full = adi_hold_bytes(&ts->hold) > ADI_TEXT_HOLD_MAX ||
			    ts->hold.n > ADI_TEXT_HOLD_LINES;
		enum adi_fate fate = adi_fate(ts, i, now, final || full);

		if (fate == ADI_WAIT)
			break;
		if (fate == ADI_FOLD) {
			adi_fold(ts, i);
		} else {
			int e = adi_text_write(ts, i, adi_hold_text(&ts->hold, i), i->len);

			if (e && !rc)
				rc = e;
		}
		adi_hold_pop(&ts->hold);
	}
	return rc;
}

/* The end of the timeline (at trace_summary, or when freed without one):
 * every held line, the fold lines of processes still running, what the
 * focus folded, what the runtime rule hid, and (tree) the process tree.
 * 0 or the first -errno. */
static int adi_text_end(struct adi_sink_text *ts, bool tree)
{
	struct adi_tx *t = &ts->t;
	int rc = adi_release(ts, ts->newest, true), e;

	t->n = 0;
	t->oom = false;
	for (uint32_t k = 0; k < adi_proctree_count(ts->procs); k++)
		adi_tx_fold_line(ts, adi_proctree_at(ts->procs, k), ts->newest);
	if (ts->folded) {
		adi_tx_color(t, ADI_C_DIM);
		adi_tx_u64(t, ts->folded);
		adi_tx_s(t, ts->folded == 1 ? " file event of " : " file events of ");
		adi_tx_u64(t, ts->folded_procs);
		adi_tx_s(t, ts->folded_procs == 1 ? " process folded" : " processes folded");
		adi_tx_s(t, ts->o.focus == ADI_TEXT_FOCUS_ON ? " (focus" : " (a large trace");
		adi_tx_s(t, ": files are shown for processes that used the network or match "
			    "--focus) -- --all shows them");
		adi_tx_color(t, ADI_C_RESET);
		adi_tx_c(t, '\n');
		ts->folded = ts->folded_procs = 0;
	}
	adi_tx_hidden(ts);
	if (t->oom)
		return rc ? rc : -ENOMEM;
	if (t->n && (e = adi_text_put(ts->f, t->b, t->n)) && !rc)
		rc = e;
	if (tree && (e = adi_proctree_write_text(ts->procs, ts->f, ts->o.color)) && !rc)
		rc = e;
	return rc;
}

/* The table's lookup for proctree.h */
static struct adi_jv adi_tf_get(const void *ctx, const char *name)
{
	return adi_tf(ctx, name);
}

/* The held line's facts about a file event: read or write, bytes, failed. */
static void adi_file_facts(struct adi_hold_item *i, const struct adi_tfields *f)
{
	struct adi_jv op = adi_tf(f, "op");
	int64_t b = adi_tf_int(f, "bytes", 0);

	i->rw = adi_jv_is(op, "read") ? 1 : adi_jv_is(op, "write") ? 2 : 0;
	i->bytes = i->rw && b > 0 ? (uint64_t)b : 0;
	i->failed = !adi_jv_null_or_absent(adi_tf(f, "error"));
}

static int adi_sink_text_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_text *ts = (struct adi_sink_text *)s;
	struct adi_hold_item i = { .ts = ev->ts_ns, .what = ADI_HOLD_LINE };
	struct adi_tfields f;
	struct adi_fields_get g = { adi_tf_get, &f };
	enum adi_fate fate;
	int rc, rc2;

	adi_tf_load(&f, ev);
	if (ev->ts_ns > ts->newest)
		ts->newest = ev->ts_ns;
	if (adi_kind_is(ev->kind, "trace_summary")) {
		rc = adi_text_end(ts, true);
		ts->t.n = 0;
		ts->t.oom = false;
		adi_tx_when(ts, ev->ts_ns);
		adi_tx_event(&ts->t, ev, &f);
		if (ts->t.oom)
			return rc ? rc : -ENOMEM;
		rc2 = adi_text_put(ts->f, ts->t.b, ts->t.n);
		return rc2 ? rc2 : rc;
	}
	i.p = adi_proctree_add_get(ts->procs, ev, &g);
	if (!ts->o.show_runtime &&
	    (adi_kind_is(ev->kind, "file") || adi_kind_is(ev->kind, "connection")) &&
	    adi_is_runtime(adi_tf(&f, "runtime"))) {
		ts->hidden++;
		return adi_release(ts, ts->newest, false);
	}
	if (++ts->shown > ts->above && ts->o.focus == ADI_TEXT_FOCUS_AUTO)
		ts->focus_on = true;
	if (adi_kind_is(ev->kind, "file")) {
		i.what = ADI_HOLD_FILE;
		adi_file_facts(&i, &f);
	} else if (i.p && adi_kind_is(ev->kind, "process") &&
		   adi_jv_is(adi_tf(&f, "op"), "exit")) {
		i.what = ADI_HOLD_EXIT;
	}
	/* nothing older waits: decided now, written without a copy (or not
	 * formatted at all when folded) */
	fate = adi_hold_front(&ts->hold) ? ADI_WAIT : adi_fate(ts, &i, ts->newest, false);
	if (fate == ADI_FOLD) {
		adi_fold(ts, &i);
		return 0;
	}
	ts->t.n = 0;
	ts->t.oom = false;
	if (fate == ADI_WRITE) {
		if (i.what == ADI_HOLD_EXIT)
			adi_tx_fold_line(ts, i.p, i.ts);
		adi_tx_when(ts, i.ts);
		adi_tx_event(&ts->t, ev, &f);
		if (ts->t.oom)
			return -ENOMEM;
		return adi_text_put(ts->f, ts->t.b, ts->t.n);
	}
	adi_tx_event(&ts->t, ev, &f);
	if (ts->t.oom || adi_hold_push(&ts->hold, &i, ts->t.b, ts->t.n))
		return -ENOMEM;
	return adi_release(ts, ts->newest, false);
}

static int adi_sink_text_flush(struct adi_sink *s)
{
	struct adi_sink_text *ts = (struct adi_sink_text *)s;
	int err = 0;

	/* a live trace that went quiet: its held lines wait for the clock,
	 * not for the next event */
	if (ts->o.live && adi_hold_front(&ts->hold)) {
		struct timespec now;
		uint64_t ns;

		clock_gettime(CLOCK_REALTIME, &now);
		ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		err = adi_release(ts, ns > ts->newest ? ns : ts->newest, false);
	}
	errno = 0;
	if (fflush(ts->f) != 0 || ferror(ts->f)) {
		if (!err)
			err = errno ? -errno : -EIO;
		clearerr(ts->f);
	}
	return err;
}

static void adi_sink_text_free(struct adi_sink *s)
{
	struct adi_sink_text *ts = (struct adi_sink_text *)s;

	/* a trace without its summary (cut short) still shows what it held
	 * and says what it hid */
	adi_text_end(ts, false);
	fflush(ts->f);
	adi_proctree_free(ts->procs);
	adi_hold_fini(&ts->hold);
	free(ts->t.b);
	free(ts);
}

/* A new text timeline sink writing to f (borrowed, never closed). o may be
 * NULL; content_preview 0 means the default of 64 bytes. NULL with errno
 * set (EINVAL for no f, ENOMEM). Free it with adi_sink_free. */
struct adi_sink *adi_sink_text_new(FILE *f, const struct adi_sink_opts *o)
{
	struct adi_sink_text *ts;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts) {
		errno = ENOMEM;
		return NULL;
	}
	ts->base.emit = adi_sink_text_emit;
	ts->base.reads_index = true;
	ts->base.flush = adi_sink_text_flush;
	ts->base.free = adi_sink_text_free;
	ts->f = f;
	if (o)
		ts->o = *o;
	ts->procs = adi_proctree_new(ts->o.focus_globs, ts->o.n_focus_globs);
	if (!ts->procs) {
		free(ts);
		errno = ENOMEM;
		return NULL;
	}
	adi_hold_init(&ts->hold);
	ts->t.color = ts->o.color;
	ts->t.preview = ts->o.content_preview ? ts->o.content_preview : ADI_TEXT_PREVIEW_DEFAULT;
	ts->clock_sec = -1;
	ts->above = ts->o.focus_above ? ts->o.focus_above : ADI_TEXT_FOCUS_ABOVE;
	ts->focus_on = ts->o.focus == ADI_TEXT_FOCUS_ON;
	return &ts->base;
}
