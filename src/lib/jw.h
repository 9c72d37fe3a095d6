/* jw.h - JSON written in one pass, and read back without a tree.
 *
 * Every event's fields are written once, as text, by a struct adi_jw: no
 * node per value, no key lookup on write, one growing buffer reused from
 * event to event. Written at depth 0 with keys, the text is a member list
 * without braces (`"op":"open","path":"/a"`), which the sinks splice after
 * the common fields; the writer keeps the offset of each top-level member,
 * so a decoder can read back what it wrote into a message (adi_jw_get) and
 * copy one member's value into an event (adi_jw_kraw).
 *
 * Reading: struct adi_jv is a view of one JSON value inside such a text
 * (pointer and length, borrowed). The readers expect the compact form this
 * writer and json.c produce (no white space); they never read outside the
 * view, and anything else reads as absent.
 *
 * Ownership: the writer owns its buffer (adi_jw_fini frees it;
 * adi_jw_take hands it over). Views borrow the text they point into and
 * die with it.
 */
#ifndef ADI_JW_H
#define ADI_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

/* Top-level members whose offsets a writer keeps; past that, adi_jw_get
 * scans the text. Messages, which are read back, have a dozen at most;
 * events, which have up to about twenty, are never read back. Small: a
 * message carries one writer. */
#define ADI_JW_INDEX 24

struct adi_jw {
	char *buf;            /* owned; NUL-terminated once anything is written */
	size_t len, cap;
	int err;              /* 0, or -ENOMEM: the text is incomplete (sticky:
			       * every later write is a no-op) */
	uint32_t depth;       /* containers open */
	uint32_t nmem;        /* top-level members written */
	bool escaped;         /* a top-level key was escaped: the index cannot
			       * name it (adi_event_new_jw keeps none) */
	struct {
		uint32_t off;     /* where the member starts (its key's '"') */
		uint32_t klen;    /* the key as written, between its quotes */
	} mem[ADI_JW_INDEX];
};

/* A JSON value inside a text: p[0..n), borrowed. n == 0: absent. */
struct adi_jv {
	const char *p;
	size_t n;
};

/* ---- the writer's life ---- */

/* An empty writer (the index needs no clearing: only its first nmem
 * entries are ever read). */
static inline void adi_jw_init(struct adi_jw *w)
{
	w->buf = NULL;
	w->len = w->cap = 0;
	w->err = 0;
	w->depth = w->nmem = 0;
	w->escaped = false;
}

/* Empty again, keeping the buffer for the next text. */
static inline void adi_jw_reset(struct adi_jw *w)
{
	w->len = 0;
	w->err = 0;
	w->depth = 0;
	w->nmem = 0;
	w->escaped = false;
	if (w->buf)
		w->buf[0] = '\0';
}

void adi_jw_fini(struct adi_jw *w); /* frees the buffer; w is empty again */

/* Makes room for n more bytes (and a NUL). 0, or -ENOMEM (then sticky).
 * Inline when there is room already (nearly always: a writer is reused). */
int adi_jw_grow(struct adi_jw *w, size_t n);
static inline int adi_jw_reserve(struct adi_jw *w, size_t n)
{
	if (w->err)
		return w->err;
	return w->cap - w->len > n ? 0 : adi_jw_grow(w, n);
}

/* ---- raw output ---- */

static inline void adi_jw_put(struct adi_jw *w, const char *s, size_t n)
{
	if (w->err || (w->cap - w->len <= n && adi_jw_grow(w, n)))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* ---- members and items ---- */

/* Starts a member `"k":` (an object's, or at depth 0 a member list's),
 * with the comma before it when one is due. k must be valid UTF-8; it is
 * escaped when it needs it (keys from the wire, from a document). */
void adi_jw_keyn(struct adi_jw *w, const char *k, size_t n);
/* The same for a key known to need no escaping: printable ASCII without
 * '"' or '\\' (a name the program chose, or one its parser already
 * checked, such as an HTTP field name). Not checked in release builds.
 * Inline: every event writes a dozen or more keys, nearly all literals, so
 * the common case (room in the buffer, a plain key) is a few stores and a
 * memcpy of a length the compiler knows. */
void adi_jw_keyn_plain_slow(struct adi_jw *w, const char *k, size_t n);
static inline void adi_jw_keyn_plain(struct adi_jw *w, const char *k, size_t n)
{
	char *p;

#ifndef NDEBUG
	adi_jw_keyn_plain_slow(w, k, n); /* checks the promise */
	return;
#endif
	if (w->err || w->cap - w->len <= n + 4 ||
	    (w->depth == 0 && w->nmem >= ADI_JW_INDEX)) {
		adi_jw_keyn_plain_slow(w, k, n);
		return;
	}
	p = w->buf + w->len;
	if (w->len && p[-1] != '{' && p[-1] != '[')
		*p++ = ',';
	if (w->depth == 0) {
		w->mem[w->nmem].off = (uint32_t)(p - w->buf);
		w->mem[w->nmem].klen = (uint32_t)n;
		w->nmem++;
	}
	*p++ = '"';
	memcpy(p, k, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	*p = '\0';
	w->len = (size_t)(p - w->buf);
}
/* JSON text that is a literal, as it is: a value (`null`), or a key with
 * its comma and even its value in one copy (`,"fd":null`). A member
 * written so enters the index only through adi_jw_note_member. */
#define ADI_JW_LIT(w, s) adi_jw_put((w), "" s, sizeof(s) - 1)
/* A key the program chose (a literal): written as it is. */
static inline void adi_jw_key(struct adi_jw *w, const char *k)
{
	adi_jw_keyn_plain(w, k, strlen(k));
}

/* Values: each starts with the comma an array item needs. */
void adi_jw_null(struct adi_jw *w);
void adi_jw_bool(struct adi_jw *w, bool b);
void adi_jw_int(struct adi_jw *w, int64_t v);
void adi_jw_u64(struct adi_jw *w, uint64_t v);
/* Up to 3 decimals, trailing zeros dropped but one ("1.0", "0.25");
 * non-finite values are null (json.h's format). */
void adi_jw_double(struct adi_jw *w, double d);
/* ns nanoseconds as milliseconds, exactly as adi_jw_double(w, ns / 1e6)
 * writes them, from the integer (every event's duration_ms). */
void adi_jw_ms(struct adi_jw *w, int64_t ns);
/* A string from n bytes; NULL with n > 0 gives null. Bytes that are not
 * UTF-8 become U+FFFD (payload goes through adi_jw_bytes). */
void adi_jw_strn(struct adi_jw *w, const char *s, size_t n);
/* A C string; NULL gives null. */
void adi_jw_str(struct adi_jw *w, const char *s);
/* Payload bytes: a string when they are valid UTF-8, else
 * "base64:<data>" (docs/events.md). */
void adi_jw_bytes(struct adi_jw *w, const uint8_t *b, size_t n);
/* A value already written as JSON text (a view from another writer);
 * an absent one (n == 0) is written as null. */
void adi_jw_raw(struct adi_jw *w, const char *json, size_t n);
/* A json.h tree (for values a decoder builds as a tree, e.g. from BSON). */
void adi_jw_tree(struct adi_jw *w, const struct adi_jval *v);

/* The length of the run at b[0..n) that a JSON string holds as it is, in
 * both directions: no control byte, no '"', no '\\', no byte >= 0x80
 * (those need a look). Fast (16 bytes at a time); json.c's parser uses it
 * too. */
size_t adi_jw_plain_run(const uint8_t *b, size_t n);

/* Containers: begin writes the comma an item needs and the bracket. */
void adi_jw_obj(struct adi_jw *w);
void adi_jw_obj_end(struct adi_jw *w);
void adi_jw_arr(struct adi_jw *w);
void adi_jw_arr_end(struct adi_jw *w);

/* Member shortcuts: adi_jw_key(w, k) then the value. */
static inline void adi_jw_knull(struct adi_jw *w, const char *k)
{
	adi_jw_key(w, k);
	/* after a key no comma is due: the literal straight in */
	adi_jw_put(w, "null", 4);
}
static inline void adi_jw_kbool(struct adi_jw *w, const char *k, bool b)
{
	adi_jw_key(w, k);
	if (b)
		adi_jw_put(w, "true", 4);
	else
		adi_jw_put(w, "false", 5);
}
static inline void adi_jw_kint(struct adi_jw *w, const char *k, int64_t v)
{
	adi_jw_key(w, k);
	adi_jw_int(w, v);
}
static inline void adi_jw_ku64(struct adi_jw *w, const char *k, uint64_t v)
{
	adi_jw_key(w, k);
	adi_jw_u64(w, v);
}
static inline void adi_jw_kdouble(struct adi_jw *w, const char *k, double d)
{
	adi_jw_key(w, k);
	adi_jw_double(w, d);
}
static inline void adi_jw_kstr(struct adi_jw *w, const char *k, const char *s)
{
	adi_jw_key(w, k);
	adi_jw_str(w, s);
}
static inline void adi_jw_kstrn(struct adi_jw *w, const char *k, const char *s, size_t n)
{
	adi_jw_key(w, k);
	adi_jw_strn(w, s, n);
}
static inline void adi_jw_kbytes(struct adi_jw *w, const char *k, const uint8_t *b, size_t n)
{
	adi_jw_key(w, k);
	adi_jw_bytes(w, b, n);
}
static inline void adi_jw_kraw(struct adi_jw *w, const char *k, struct adi_jv v)
{
	adi_jw_key(w, k);
	adi_jw_raw(w, v.p, v.n);
}
static inline void adi_jw_kobj(struct adi_jw *w, const char *k)
{
	adi_jw_key(w, k);
	adi_jw_obj(w);
}
static inline void adi_jw_karr(struct adi_jw *w, const char *k)
{
	adi_jw_key(w, k);
	adi_jw_arr(w);
}

/* The whole text so far as a view (a member list reads as one with
 * adi_jv_member_* below). */
static inline struct adi_jv adi_jw_text(const struct adi_jw *w)
{
	struct adi_jv v = { w->buf, w->err ? 0 : w->len };

	return v;
}

/* The buffer, handed over (the caller frees it; NULL when nothing was
 * written); *len its length. The writer is empty afterwards. NULL with
 * *len 0 after an error (nothing incomplete escapes). */
char *adi_jw_take(struct adi_jw *w, size_t *len);

/* Appends the member list another writer holds (written at depth 0) to
 * w's, the comma first when w already has members: how a decoder joins
 * the members parse() wrote to the event stitch() writes. The spliced
 * members join w's index (past its room, w is read as text). */
void adi_jw_splice(struct adi_jw *w, const struct adi_jw *list);

/* A top-level member in the index: its key's '"' at off, the key klen
 * bytes as written (UINT32_MAX: escaped). How the writer's keys and
 * spliced lists enter it, and how a caller that wrote members as text
 * (a held member list copied piece by piece) puts them there; past the
 * index's room a member is only counted. */
static inline void adi_jw_note_member(struct adi_jw *w, size_t off, uint32_t klen)
{
	if (w->nmem < ADI_JW_INDEX) {
		w->mem[w->nmem].off = (uint32_t)off;
		w->mem[w->nmem].klen = klen;
	}
	w->nmem++;
}

/* The index names every member w wrote, each key plain: what an event
 * keeps of it (adi_event_new_jw). */
static inline bool adi_jw_index_whole(const struct adi_jw *w)
{
	return !w->err && !w->depth && !w->escaped && w->nmem <= ADI_JW_INDEX;
}

/* dst (empty, or its buffer is replaced) becomes a copy of src's text and
 * index in a buffer of exactly that size: a message keeps what a reused
 * writer wrote without keeping its capacity. 0 or -ENOMEM (dst empty). */
int adi_jw_copy(struct adi_jw *dst, const struct adi_jw *src);

/* The text cut back to off (<= len): what was written after it goes, and
 * top-level members that started there leave the index. Containers
 * opened after off must have been closed (depth is not changed): for
 * undoing an item or member just written. */
void adi_jw_truncate(struct adi_jw *w, size_t off);

/* ---- reading back ---- */

/* The value of the top-level member k (the last one of that name), or an
 * absent view. Valid until the writer writes again. */
struct adi_jv adi_jw_get(const struct adi_jw *w, const char *k);

/* The value of the i-th top-level member (in the order written), or
 * absent (i past the members, or past the index). No key compared: for a
 * decoder that writes its messages' members in a fixed order. */
struct adi_jv adi_jw_member_at(const struct adi_jw *w, uint32_t i);

/* The key of the i-th top-level member as written (between its quotes),
 * its length in *kn; NULL past the members or past the index. With
 * adi_jw_member_at: one pass over a message's members instead of a
 * look-up per key. */
static inline const char *adi_jw_key_at(const struct adi_jw *w, uint32_t i, size_t *kn)
{
	if (w->err || i >= w->nmem || i >= ADI_JW_INDEX || w->mem[i].klen == UINT32_MAX)
		return NULL;
	*kn = w->mem[i].klen;
	return w->buf + w->mem[i].off + 1;
}

/* Member lists (a writer's text at depth 0) and objects: the value of
 * member k, or absent. adi_jv_get takes an object view ({...}). */
struct adi_jv adi_jv_member(struct adi_jv list, const char *k);
struct adi_jv adi_jv_get(struct adi_jv obj, const char *k);

/* The end of the string token at p (its opening '"'): just past its
 * closing quote, or NULL when that is not before end. */
const char *adi_jv_str_end(const char *p, const char *end);

/* Iteration over an object's members / an array's items / a member
 * list's members. key is the key's string token (quoted), absent for
 * array items. */
struct adi_jv_it {
	const char *p, *end;
	bool members;
};
struct adi_jv_it adi_jv_iter(struct adi_jv v);      /* object or array */
struct adi_jv_it adi_jv_iter_list(struct adi_jv list); /* a member list */
bool adi_jv_next(struct adi_jv_it *it, struct adi_jv *key, struct adi_jv *val);
size_t adi_jv_count(struct adi_jv v);                /* items or members */

/* What the view holds: ADI_J_NULL also for an absent view. */
enum adi_jtype adi_jv_type(struct adi_jv v);
static inline bool adi_jv_absent(struct adi_jv v)
{
	return v.n == 0;
}
/* Scalar readers: the value, or the fallback for another type. */
int64_t adi_jv_int(struct adi_jv v, int64_t fallback);
double adi_jv_double(struct adi_jv v, double fallback);
bool adi_jv_bool(struct adi_jv v, bool fallback);
/* A string's bytes: decoded into a new NUL-terminated heap string (the
 * caller frees; *len its length, NUL bytes included). NULL when v is not
 * a string (errno EINVAL) or on ENOMEM. */
char *adi_jv_strdup(struct adi_jv v, size_t *len);
/* A string without escapes, borrowed in place: its bytes and *len; NULL
 * when it is not a string or has escapes (then use adi_jv_strdup). */
const char *adi_jv_plain(struct adi_jv v, size_t *len);
/* true when v is the string s (escapes decoded). */
bool adi_jv_streq(struct adi_jv v, const char *s);
/* The value parsed into a json.h tree (NULL for absent, or on error). */
struct adi_jval *adi_jv_tree(struct adi_jv v);

#endif
