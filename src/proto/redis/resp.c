/* resp.c - RESP on the wire for the Redis decoder: lines and counts, the
 * plausible message starts resync, the first message after a gap and
 * sniff judge by, bulks consumed as they come (their first bytes kept),
 * and the server direction's values, every RESP2 and RESP3 type written
 * as JSON text as it comes (no tree, no recursion). Owns the bulk buffer,
 * the value and attribute writers and the map member records of struct
 * rd_side (emptied by rd_msg_reset, freed by fini()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "../../lib/util.h"

/* A signed decimal of at most 19 digits: [+-]?[0-9]+ in s[0..n). */
bool rd_int(const uint8_t *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	size_t i = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == n || n - i > 19)
		return false;
	for (; i < n; i++) {
		if (!rd_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* ---- lines ----
 *
 * RESP (https://redis.io/docs/latest/develop/reference/protocol-spec/):
 * every value starts with a type byte and a line ending in CRLF:
 *
 *   RESP2                               RESP3 adds
 *   +OK\r\n          simple string      _\r\n            null
 *   -ERR msg\r\n     simple error       #t\r\n           boolean
 *   :42\r\n          integer            ,3.14\r\n        double (inf, nan)
 *   $5\r\nhello\r\n  bulk string        (3492890...\r\n  big number
 *   $-1\r\n          null bulk          !9\r\nERR x y\r\n bulk error
 *   *2\r\n<v><v>     array              =8\r\ntxt:abcd\r\n verbatim string
 *   *-1\r\n          null array         %1\r\n<k><v>     map
 *                                       ~2\r\n<v><v>     set
 *                                       |1\r\n<k><v><value> attribute
 *                                       >2\r\n<v><v>     push
 *
 * A command is an array of bulk strings, or an inline line of words:
 *
 *   *3\r\n $3\r\nSET\r\n $1\r\nk\r\n $1\r\nv\r\n      SET k v\r\n
 *
 * Streamed strings and aggregates ($?, *?) are not decoded (Redis does not
 * send them): they are a parse error, and the direction is resynced.
 */

/* A line at b[0..n) ending in CRLF within max bytes: *len is its length
 * with the CRLF. PARTIAL when no CRLF yet and fewer than max bytes; BAD
 * when longer, or a CR without LF. */
enum rd_sl rd_line(const uint8_t *b, size_t n, size_t max, size_t *len)
{
	const uint8_t *cr = memchr(b, '\r', rd_min(n, max));
	size_t i;

	if (!cr)
		return n >= max ? RD_SL_BAD : RD_SL_PARTIAL;
	i = (size_t)(cr - b);
	if (i + 1 >= n)
		return RD_SL_PARTIAL;
	if (b[i + 1] != '\n')
		return RD_SL_BAD;
	*len = i + 2;
	return RD_SL_OK;
}

/* Digits at b[*i] up to CRLF: "-1" when allow_null, else [0-9]{1,20} with
 * a value <= max. OK sets *v (-1 for null) and *i past the CRLF. */
enum rd_sl rd_count_line(const uint8_t *b, size_t n, size_t *i, bool allow_null,
			 uint64_t max, int64_t *v)
{
	uint64_t x = 0;
	size_t k = 0;
	bool null = false;

	if (*i < n && b[*i] == '-') {
		if (!allow_null)
			return RD_SL_BAD;
		if (++*i >= n)
			return RD_SL_PARTIAL;
		if (b[*i] != '1')
			return RD_SL_BAD;
		++*i;
		null = true;
	} else {
		while (*i < n && rd_digit(b[*i])) {
			x = x * 10 + (uint64_t)(b[*i] - '0');
			if (++k > 19 || x > max)
				return RD_SL_BAD;
			++*i;
		}
		if (*i >= n)
			return RD_SL_PARTIAL;
		if (!k)
			return RD_SL_BAD;
	}
	if (*i >= n)
		return RD_SL_PARTIAL;
	if (b[*i] != '\r')
		return RD_SL_BAD;
	if (++*i >= n)
		return RD_SL_PARTIAL;
	if (b[*i] != '\n')
		return RD_SL_BAD;
	++*i;
	*v = null ? -1 : (int64_t)x;
	return RD_SL_OK;
}

/* ---- plausible message starts (resync, strict restart, sniff) ---- */

/* A command start: "*" N "\r\n" "$" L "\r\n" name "\r\n" with N in
 * 1..RD_SYNC_ARGC, L in 1..RD_MAX_WORD and the name made of word
 * characters, starting with a letter. *argc gets N. */
enum rd_sl rd_plausible_cmd(const uint8_t *b, size_t n, int64_t *argc)
{
	int64_t v, l;
	size_t i = 1;
	enum rd_sl r;

	if (!n)
		return RD_SL_PARTIAL;
	if (b[0] != '*')
		return RD_SL_BAD;
	if ((r = rd_count_line(b, n, &i, false, RD_SYNC_ARGC, &v)) != RD_SL_OK)
		return r;
	if (v < 1)
		return RD_SL_BAD;
	*argc = v;
	if (i >= n)
		return RD_SL_PARTIAL;
	if (b[i++] != '$')
		return RD_SL_BAD;
	if ((r = rd_count_line(b, n, &i, false, RD_MAX_WORD, &l)) != RD_SL_OK)
		return r;
	if (l < 1)
		return RD_SL_BAD;
	for (int64_t k = 0; k < l; k++, i++) {
		if (i >= n)
			return RD_SL_PARTIAL;
		if (!rd_word_char(b[i]) || (k == 0 && !rd_alpha(b[i])))
			return RD_SL_BAD;
	}
	if (i >= n)
		return RD_SL_PARTIAL;
	if (b[i] != '\r')
		return RD_SL_BAD;
	if (i + 1 >= n)
		return RD_SL_PARTIAL;
	return b[i + 1] == '\n' ? RD_SL_OK : RD_SL_BAD;
}

bool rd_type_byte(uint8_t c)
{
	return c && strchr("+-:$*_#,(!=%~|>", c) != NULL;
}

/* Printable text up to CRLF at b[*i], at most max bytes. */
static enum rd_sl rd_text_line(const uint8_t *b, size_t n, size_t *i, size_t max)
{
	size_t s = *i;

	while (*i < n && b[*i] != '\r') {
		if ((b[*i] < 0x20 && b[*i] != '\t') || b[*i] == 0x7f || *i - s >= max)
			return RD_SL_BAD;
		++*i;
	}
	if (*i + 1 >= n)
		return RD_SL_PARTIAL;
	return b[*i + 1] == '\n' ? RD_SL_OK : RD_SL_BAD;
}

/* A reply start by the resync rules: a type byte and a sane line —
 * simple strings and errors printable within RD_SYNC_TEXT bytes, an error
 * starting with an upper-case code, integers and big numbers of digits,
 * bulk lengths <= RD_SYNC_BULK, aggregate counts <= RD_SYNC_AGG followed by
 * a type byte, "_", "#t"/"#f", doubles of number characters. */
enum rd_sl rd_plausible_reply(const uint8_t *b, size_t n)
{
	size_t i = 1, k;
	int64_t v;
	enum rd_sl r;

	if (!n)
		return RD_SL_PARTIAL;
	switch (b[0]) {
	case '+':
		return rd_text_line(b, n, &i, RD_SYNC_TEXT);
	case '-':
		for (k = 0; i < n && b[i] >= 'A' && b[i] <= 'Z'; i++)
			if (++k > RD_MAX_WORD)
				return RD_SL_BAD;
		if (i >= n)
			return RD_SL_PARTIAL;
		if (!k || (b[i] != ' ' && b[i] != '\r'))
			return RD_SL_BAD;
		return rd_text_line(b, n, &i, RD_SYNC_TEXT);
	case ':':
	case '(':
		if (i < n && (b[i] == '-' || b[i] == '+'))
			i++;
		for (k = 0; i < n && rd_digit(b[i]); i++)
			if (++k > (b[0] == ':' ? 19u : (unsigned)RD_SYNC_TEXT))
				return RD_SL_BAD;
		if (i >= n)
			return RD_SL_PARTIAL;
		if (!k)
			return RD_SL_BAD;
		return rd_text_line(b, n, &i, 0);
	case '$':
	case '!':
	case '=':
		return rd_count_line(b, n, &i, b[0] == '$', RD_SYNC_BULK, &v);
	case '*':
	case '~':
	case '%':
	case '|':
	case '>':
		r = rd_count_line(b, n, &i, b[0] == '*', RD_SYNC_AGG, &v);
		if (r != RD_SL_OK || v <= 0)
			return r;
		if (i >= n)
			return RD_SL_PARTIAL;
		return rd_type_byte(b[i]) ? RD_SL_OK : RD_SL_BAD;
	case '_':
		return rd_text_line(b, n, &i, 0);
	case '#':
		if (i >= n)
			return RD_SL_PARTIAL;
		if (b[i] != 't' && b[i] != 'f')
			return RD_SL_BAD;
		i++;
		return rd_text_line(b, n, &i, 0);
	case ',':
		for (k = 0; i < n && b[i] != '\r'; i++)
			if (!strchr("0123456789.eE+-infa", b[i]) || ++k > RD_NUM_LINE)
				return RD_SL_BAD;
		return rd_text_line(b, n, &i, 0);
	}
	return RD_SL_BAD;
}

/* ---- per-message state ---- */

/* Drop the message in progress (not the kept buffers' memory, unless a
 * big message left them big). */
void rd_msg_reset(struct rd_side *sd)
{
	sd->depth = 0;
	sd->nmk = 0;
	if (sd->vw.cap > RD_ABUF_SHRINK)
		adi_jw_fini(&sd->vw);
	if (sd->aw.cap > RD_ABUF_SHRINK)
		adi_jw_fini(&sd->aw);
	adi_jw_reset(&sd->vw);
	adi_jw_reset(&sd->aw);
	sd->phase = RD_HDR;
	sd->started = sd->truncated = sd->gapped = false;
	sd->blen = sd->remaining = 0;
	sd->keep_len = 0;
	sd->bcut = false;
	sd->argc = sd->argn = 0;
	sd->nargs = 0;
	sd->alen = 0;
	sd->top_type = 0;
	sd->head[0] = '\0';
	sd->items = 0;
	if (sd->aalloc > RD_ABUF_SHRINK) {
		free(sd->abuf);
		sd->abuf = NULL;
		sd->aalloc = 0;
	}
}

/* A bulk of len bytes starts; keep its first lim bytes (none when memory
 * runs out: the bulk is then shown cut). */
void rd_bulk_begin(struct rd_side *sd, uint8_t type, uint64_t len, size_t lim)
{
	size_t want = rd_min(lim, len);

	sd->btype = type;
	sd->blen = sd->remaining = len;
	sd->keep_len = 0;
	sd->keep_lim = want;
	sd->bcut = false;
	if (want > sd->keep_alloc) {
		uint8_t *k = realloc(sd->keep, want);

		if (!k) {
			sd->keep_lim = 0;
		} else {
			sd->keep = k;
			sd->keep_alloc = want;
		}
	}
	sd->phase = len ? RD_DATA : RD_CRLF;
}

static void rd_bulk_feed(struct rd_side *sd, const uint8_t *p, size_t n)
{
	size_t k = sd->bcut ? 0 : rd_min(sd->keep_lim - sd->keep_len, n);

	if (k) {
		memcpy(sd->keep + sd->keep_len, p, k);
		sd->keep_len += k;
	}
	sd->remaining -= n;
}

enum rd_sl rd_bulk_step(struct rd_side *sd, const uint8_t *b, size_t n, size_t *pos)
{
	if (sd->phase == RD_DATA) {
		size_t len = rd_min(n - *pos, sd->remaining);

		rd_bulk_feed(sd, b + *pos, len);
		*pos += len;
		if (sd->remaining)
			return RD_SL_PARTIAL;
		sd->phase = RD_CRLF;
	}
	if (n - *pos < 2)
		return RD_SL_PARTIAL;
	if (b[*pos] != '\r' || b[*pos + 1] != '\n')
		return RD_SL_BAD;
	*pos += 2;
	sd->phase = RD_HDR;
	return RD_SL_OK;
}

enum adi_parse rd_stop(size_t pos, size_t *used, bool error)
{
	*used = pos;
	return error && pos == 0 ? ADI_PARSE_BAD : ADI_PARSE_AGAIN;
}

void rd_meta_put(struct adi_msg *msg, const struct rd_meta *m)
{
	msg->aux[0] = m->truncated;
	msg->aux[1] = m->lost;
	msg->aux[2] = m->ctl;
	msg->aux[3] = m->num;
}

struct rd_meta rd_meta_get(const struct adi_msg *msg)
{
	struct rd_meta m = { 0 };

	if (msg) {
		m.truncated = msg->aux[0] != 0;
		m.lost = msg->aux[1];
		m.ctl = msg->aux[2];
		m.num = msg->aux[3];
	}
	return m;
}

/* ---- replies (server direction) ----
 *
 * The value is written as JSON text into sd->vw as it comes, without a
 * tree: an aggregate's bracket when its header is read, each element when
 * it is complete, the closing bracket after its last. What RESP allows
 * beyond JSON is settled on the tail of the text, where it was just
 * written:
 *  - a map key becomes a member name: a string as it is, anything else as
 *    its JSON text (an integer key 1 becomes "1") (rd_key_done);
 *  - a key met again in a map replaces the earlier value where it stands,
 *    as json.h's objects did (rd_pair_done);
 *  - an attribute is no element of its parent: its text is cut out and
 *    its members join sd->aw (rd_attr_done).
 * A value not kept (the item cap, or its parent not kept) writes nothing.
 */


/* In w's text, the bytes [at, at + n) replaced by src[0..sn) (src not
 * inside w's buffer). */
static void rd_splice(struct adi_jw *w, size_t at, size_t n, const char *src, size_t sn)
{
	if (w->err || (sn > n && adi_jw_reserve(w, sn - n)))
		return;
	memmove(w->buf + at + sn, w->buf + at + n, w->len - at - n);
	memcpy(w->buf + at, src, sn);
	w->len = w->len - n + sn;
	w->buf[w->len] = '\0';
}

/* The end (past its closing quote) of the string token at b[i], within
 * b[0..end). */
static size_t rd_str_end(const char *b, size_t i, size_t end)
{
	for (i++; i < end; i++) {
		if (b[i] == '\\')
			i++;
		else if (b[i] == '"')
			return i + 1;
	}
	return end;
}

/* The offset of the first escaped NUL ("\u0000") in the string token
 * b[0..n), or 0 when there is none. */
static size_t rd_str_nul(const char *b, size_t n)
{
	const char *e = memchr(b, '\\', n);

	for (size_t i = e ? (size_t)(e - b) : n; i + 1 < n; i++) {
		if (b[i] != '\\')
			continue;
		if (b[i + 1] == 'u' && i + 6 <= n && !memcmp(b + i + 2, "0000", 4))
			return i;
		i++; /* the escaped character */
	}
	return 0;
}

static uint32_t rd_hash(const char *b, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)b[i]) * 16777619u;
	return h;
}

/* A map key is complete at vw[at..]: it becomes the member name. A string
 * stays as written, as far as a NUL (json.h's member names were C
 * strings); anything else becomes the string of its JSON text. */
static void rd_key_done(struct adi_jw *w, size_t at)
{
	size_t s, n, nul;
	char *t;

	if (w->err || at >= w->len)
		return;
	s = at + (w->buf[at] == ',');
	if (w->buf[s] == '"') {
		nul = rd_str_nul(w->buf + s, w->len - s);
		if (nul) {
			adi_jw_truncate(w, s + nul);
			adi_jw_put(w, "\"", 1);
		}
		adi_jw_put(w, ":", 1);
		return;
	}
	n = w->len - s;
	t = malloc(n);
	if (!t) {
		w->err = -ENOMEM;
		return;
	}
	memcpy(t, w->buf + s, n);
	adi_jw_truncate(w, at);
	adi_jw_keyn(w, t, n); /* the comma again, the text escaped */
	free(t);
}

/* A pair of the map f is complete: its member, from f->key to the end of
 * vw. When an earlier member has the same name, the new value replaces
 * the old one where it stands and the new member goes; else the member
 * is recorded (sd->mk) for the pairs to come. */
static void rd_pair_done(struct rd_side *sd, struct rd_frame *f)
{
	struct adi_jw *w = &sd->vw;
	size_t s, q, klen;
	uint32_t h;

	if (w->err || f->key >= w->len)
		return;
	s = f->key + (w->buf[f->key] == ',');
	q = rd_str_end(w->buf, s, w->len);
	klen = q - s;
	h = rd_hash(w->buf + s, klen);
	for (size_t j = f->mk0; j < sd->nmk; j++) {
		struct rd_mkey *m = &sd->mk[j];
		size_t at, n, vn;
		char *v;

		if (m->hash != h || m->klen != klen || memcmp(w->buf + m->off, w->buf + s, klen))
			continue;
		at = m->off + klen + 1;
		n = (j + 1 < sd->nmk ? sd->mk[j + 1].off - 1 : f->key) - at;
		vn = w->len - (q + 1);
		v = malloc(vn ? vn : 1);
		if (!v) {
			w->err = -ENOMEM;
			return;
		}
		memcpy(v, w->buf + q + 1, vn);
		adi_jw_truncate(w, f->key);
		rd_splice(w, at, n, v, vn);
		free(v);
		for (size_t k = j + 1; k < sd->nmk; k++)
			sd->mk[k].off = sd->mk[k].off - n + vn;
		return;
	}
	if (sd->nmk == sd->mk_alloc) {
		size_t cap = sd->mk_alloc ? sd->mk_alloc * 2 : 16;
		struct rd_mkey *nm = realloc(sd->mk, cap * sizeof(*nm));

		if (!nm)
			return; /* a key met again later is then written twice */
		sd->mk = nm;
		sd->mk_alloc = cap;
	}
	sd->mk[sd->nmk].off = s;
	sd->mk[sd->nmk].klen = klen;
	sd->mk[sd->nmk].hash = h;
	sd->nmk++;
}

/* The member k: v set in the member list of w: the value of a member of
 * that name replaced in place, else the member appended. A scan:
 * attributes are rare (RESP3) and small. */
static void rd_attr_set(struct adi_jw *w, struct adi_jv k, struct adi_jv v)
{
	struct adi_jv_it it;
	struct adi_jv mk, mv;

	if (w->err)
		return;
	if (w->len) { /* (an empty writer may have no buffer to view) */
		it = adi_jv_iter_list(adi_jw_text(w));
		while (adi_jv_next(&it, &mk, &mv)) {
			if (mk.n == k.n && !memcmp(mk.p, k.p, k.n)) {
				rd_splice(w, (size_t)(mv.p - w->buf), mv.n, v.p, v.n);
				return;
			}
		}
		adi_jw_put(w, ",", 1);
	}
	adi_jw_put(w, k.p, k.n);
	adi_jw_put(w, ":", 1);
	adi_jw_put(w, v.p, v.n);
}

/* The attribute f is complete (and closed): its members join the
 * message's attributes (sd->aw) and its text leaves the value. */
static void rd_attr_done(struct rd_side *sd, const struct rd_frame *f)
{
	struct adi_jw *w = &sd->vw;
	struct adi_jv obj, k, v;
	struct adi_jv_it it;
	size_t s;

	if (!f->keep || w->err || f->start >= w->len)
		return;
	s = f->start + (w->buf[f->start] == ',');
	obj.p = w->buf + s;
	obj.n = w->len - s;
	it = adi_jv_iter(obj);
	while (adi_jv_next(&it, &k, &v))
		rd_attr_set(&sd->aw, k, v);
	adi_jw_truncate(w, f->start);
}

/* A complete value (kept: its text is at vw[at..]) joins the frame f. */
static void rd_attach(struct rd_side *sd, struct rd_frame *f, bool kept, size_t at)
{
	if (f->type != '%' && f->type != '|')
		return; /* an array's item: in place already */
	if (!f->has_key) {
		f->has_key = true;
		f->key = at;
		f->key_kept = kept;
		if (kept)
			rd_key_done(&sd->vw, at);
		return;
	}
	f->has_key = false;
	if (f->keep && f->key_kept && kept)
		rd_pair_done(sd, f);
	else
		adi_jw_truncate(&sd->vw, f->key); /* a pair missing its key or value goes */
}

/* The aggregate f is complete, or cut: its bracket closed (when it is
 * written), its map members forgotten. */
static void rd_close(struct rd_side *sd, const struct rd_frame *f)
{
	bool map = f->type == '%' || f->type == '|';

	if (map)
		sd->nmk = f->mk0;
	if (!f->keep)
		return;
	if (map)
		adi_jw_obj_end(&sd->vw);
	else
		adi_jw_arr_end(&sd->vw);
}

/* A value is complete (kept: its text is at vw[at..]): attach it where
 * it belongs, completing the frames it fills. Returns true when the
 * top-level value is complete (vw holds it; nothing written: null). An
 * attribute is no element of its parent: it joins sd->aw and the value it
 * announces comes next. */
static bool rd_put(struct rd_side *sd, bool kept, size_t at)
{
	for (;;) {
		struct rd_frame *f;

		if (!sd->depth)
			return true;
		f = &sd->stack[sd->depth - 1];
		rd_attach(sd, f, kept, at);
		f->first = false;
		if (--f->left)
			return false;
		sd->depth--;
		rd_close(sd, f);
		if (f->type == '|') {
			rd_attr_done(sd, f);
			return false;
		}
		kept = f->keep;
		at = f->start;
	}
}

/* Is a new value kept (its parent is, and the item cap is not reached)? */
static bool rd_keep_new(struct rd_side *sd)
{
	bool parent = !sd->depth || sd->stack[sd->depth - 1].keep;

	if (!parent)
		return false;
	if (sd->items >= RD_MAX_ITEMS) {
		sd->truncated = true;
		return false;
	}
	sd->items++;
	return true;
}

/* The first element of a top-level aggregate, when a string: kept (lower
 * case, RD_HEAD_KEEP bytes) for stitch to tell pushes and confirmations. */
static void rd_note_head(struct rd_side *sd, const uint8_t *p, size_t n)
{
	size_t k = n < RD_HEAD_KEEP ? n : RD_HEAD_KEEP;

	if (sd->depth != 1 || !sd->stack[0].first)
		return;
	for (size_t i = 0; i < k; i++)
		sd->head[i] = (char)(p[i] ? rd_lower(p[i]) : '?');
	sd->head[k] = '\0';
}

/* Is the element being read a map key (kept longer)? */
static bool rd_is_key(const struct rd_side *sd)
{
	const struct rd_frame *f = sd->depth ? &sd->stack[sd->depth - 1] : NULL;

	return f && (f->type == '%' || f->type == '|') && !f->has_key;
}

/* The bytes of a bulk kept for it: --body-bytes, at least RD_NAME_KEEP
 * for map keys and bulk errors, RD_HEAD_KEEP for anything (a push's kind),
 * 4 more for a verbatim string's "txt:". */
static size_t rd_bulk_lim(const struct rd_side *sd, const struct adi_proto_cfg *cfg,
			  uint8_t type)
{
	size_t lim = cfg->body_bytes;

	if (type == '!' || rd_is_key(sd))
		lim = lim > RD_NAME_KEEP ? lim : RD_NAME_KEEP;
	if (type == '=')
		lim += 4;
	return lim > RD_HEAD_KEEP ? lim : RD_HEAD_KEEP;
}

/* An error's text as its value: {"error": "..."}. */
static void rd_error_value(struct adi_jw *w, const uint8_t *p, size_t n)
{
	adi_jw_obj(w);
	adi_jw_kbytes(w, "error", p, n);
	adi_jw_obj_end(w);
}

/* The value of the bulk just received (or cut), written when kept;
 * returns whether it is. */
static bool rd_bulk_value(struct rd_side *sd, const struct adi_proto_cfg *cfg)
{
	size_t show = sd->keep_len, off = 0;
	const uint8_t *p;

	rd_note_head(sd, sd->keep, sd->keep_len);
	if (!rd_keep_new(sd))
		return false;
	if (sd->btype == '=' && sd->blen >= 4 && sd->keep_len >= 4 && sd->keep[3] == ':')
		off = 4; /* "txt:" / "mkd:": the format, not the text */
	if (sd->btype == '$' && !rd_is_key(sd))
		show = rd_min(show, cfg->body_bytes);
	if (sd->btype == '=')
		show = off + rd_min(show - off, cfg->body_bytes);
	if (sd->bcut || sd->blen > show)
		sd->truncated = true;
	p = sd->keep ? sd->keep + off : (const uint8_t *)"";
	if (sd->btype == '!')
		rd_error_value(&sd->vw, p, show - off);
	else
		adi_jw_bytes(&sd->vw, p, show - off);
	return true;
}

/* A double (RESP3 ','): true with *d, or with *txt pointing into buf at
 * "inf" / "-inf" / "nan" / "-nan" (JSON has no such numbers: they are
 * written as strings); false when malformed. */
static bool rd_double(const uint8_t *p, size_t n, char buf[RD_NUM_LINE + 1], double *d,
		      const char **txt)
{
	char *end;

	*txt = NULL;
	if (!n || n > RD_NUM_LINE)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (!strcmp(buf, "inf") || !strcmp(buf, "+inf") || !strcmp(buf, "-inf") ||
	    !strcmp(buf, "nan") || !strcmp(buf, "-nan")) {
		*txt = buf[0] == '+' ? buf + 1 : buf;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", buf[i]))
			return false;
	*d = strtod(buf, &end);
	return !*end && *d == *d && *d - *d == 0; /* not overflowed to inf */
}

/* A leaf value from a header line of type t with content p[0..n), written
 * when kept (*kept); false when malformed (nothing written). */
static bool rd_line_value(struct rd_side *sd, uint8_t t, const uint8_t *p, size_t n,
			  bool *kept)
{
	struct adi_jw *w = &sd->vw;
	char dbuf[RD_NUM_LINE + 1];
	const char *dtxt;
	double d = 0;
	int64_t x;

	*kept = false;
	switch (t) {
	case '+':
	case '-':
	case '(':
		if (t == '(') {
			size_t i = n && (p[0] == '-' || p[0] == '+');

			if (i == n)
				return false;
			for (; i < n; i++)
				if (!rd_digit(p[i]))
					return false;
		}
		if (t == '+')
			rd_note_head(sd, p, n);
		if (!(*kept = rd_keep_new(sd)))
			return true;
		if (t == '-')
			rd_error_value(w, p, n);
		else
			adi_jw_bytes(w, p, n);
		return true;
	case ':':
		if (!rd_int(p, n, &x))
			return false;
		if ((*kept = rd_keep_new(sd)))
			adi_jw_int(w, x);
		return true;
	case '_':
		if (n)
			return false;
		if ((*kept = rd_keep_new(sd)))
			adi_jw_null(w);
		return true;
	case '#':
		if (n != 1 || (p[0] != 't' && p[0] != 'f'))
			return false;
		if ((*kept = rd_keep_new(sd)))
			adi_jw_bool(w, p[0] == 't');
		return true;
	case ',':
		if (!rd_double(p, n, dbuf, &d, &dtxt))
			return false;
		if (!(*kept = rd_keep_new(sd)))
			return true;
		if (dtxt)
			adi_jw_str(w, dtxt);
		else
			adi_jw_double(w, d);
		return true;
	}
	return false;
}

/* The reply message's f (enum rd_rmem): "value", "error" (the top-level
 * error's text) for an error,
 * "attributes" when it has some. cut: bytes of it are missing (a gap, the
 * end of the stream): what was received is closed as it stands (an
 * attribute or a key without its value goes). */
void rd_reply_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
		     struct adi_msg *out, bool cut)
{
	struct adi_jw *f = &out->f;
	struct adi_jv value;
	struct rd_meta meta;

	if (cut) {
		if (sd->phase == RD_DATA || sd->phase == RD_CRLF) {
			size_t at = sd->vw.len;

			sd->bcut = true;
			rd_put(sd, rd_bulk_value(sd, cfg), at);
		}
		while (sd->depth) {
			struct rd_frame *fr = &sd->stack[--sd->depth];

			if (fr->has_key)
				adi_jw_truncate(&sd->vw, fr->key);
			fr->has_key = false;
			rd_close(sd, fr);
			if (fr->type == '|') {
				if (fr->keep)
					adi_jw_truncate(&sd->vw, fr->start);
				continue;
			}
			if (sd->depth)
				rd_attach(sd, &sd->stack[sd->depth - 1], fr->keep, fr->start);
		}
		sd->truncated = true;
	}
	out->kind = sd->top_type == '>' ? REDIS_PUSH : REDIS_REPLY;
	out->incomplete = cut;
	value = adi_jw_text(&sd->vw);
	if (adi_jw_reserve(f, value.n + sd->aw.len + 64))
		goto done;
	adi_jw_kraw(f, "value", value);
	meta.truncated = sd->truncated;
	meta.lost = sd->lost;
	meta.ctl = (uint64_t)rd_head_kind(sd->head);
	meta.num = sd->top_type;
	rd_meta_put(out, &meta);
	if (sd->top_type == '-' || sd->top_type == '!') {
		struct adi_jv e = adi_jv_get(value, "error");

		if (!adi_jv_absent(e))
			adi_jw_kraw(f, "error", e);
	}
	if (sd->aw.len && !sd->aw.err) {
		adi_jw_kobj(f, "attributes");
		adi_jw_put(f, sd->aw.buf, sd->aw.len);
		adi_jw_obj_end(f);
	}
done:
	sd->lost = 0;
	rd_msg_reset(sd);
}

/* parse() of the server direction. */
enum adi_parse rd_parse_reply(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			      const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	size_t pos = 0, len, at;
	bool kept;
	int64_t x;
	uint8_t t;
	enum rd_sl s;

	for (;;) {
		if (pos == n)
			goto wait;
		switch (sd->phase) {
		case RD_HDR:
			t = b[pos];
			if (!rd_type_byte(t))
				goto error;
			s = rd_line(b + pos, n - pos,
				    strchr("+-(", t) ? RD_MAX_LINE : RD_NUM_LINE, &len);
			if (s == RD_SL_PARTIAL)
				goto wait;
			if (s == RD_SL_BAD)
				goto error;
			if (!sd->depth && t != '|')
				sd->top_type = t;
			at = sd->vw.len;
			if (strchr("$!=*~%|>", t)) {
				bool map = t == '%' || t == '|';

				if (!rd_int(b + pos + 1, len - 3, &x) || x < -1 ||
				    (x == -1 && t != '$' && t != '*') || x > (int64_t)RD_MAX_LEN)
					goto error;
				if (x != -1 && strchr("*~%|>", t) && sd->depth >= RD_MAX_DEPTH)
					goto error; /* nested too deep: not believed */
				sd->started = true;
				pos += len;
				if (x == -1) { /* a null bulk or array */
					if ((kept = rd_keep_new(sd)))
						adi_jw_null(&sd->vw);
					if (rd_put(sd, kept, at))
						goto frame;
					break;
				}
				if (strchr("$!=", t)) {
					rd_bulk_begin(sd, t, (uint64_t)x, rd_bulk_lim(sd, cfg, t));
					break;
				}
				/* an aggregate */
				kept = rd_keep_new(sd);
				if (!x) {
					if (t == '|')
						break; /* an empty attribute: nothing to attach */
					if (kept && map) {
						adi_jw_obj(&sd->vw);
						adi_jw_obj_end(&sd->vw);
					} else if (kept) {
						adi_jw_arr(&sd->vw);
						adi_jw_arr_end(&sd->vw);
					}
					if (rd_put(sd, kept, at))
						goto frame;
					break;
				}
				{
					struct rd_frame *f = &sd->stack[sd->depth++];

					memset(f, 0, sizeof(*f));
					f->start = at;
					f->type = t;
					f->left = (uint64_t)x * (map ? 2 : 1);
					f->first = true;
					f->keep = kept;
					f->mk0 = sd->nmk;
					if (kept && map)
						adi_jw_obj(&sd->vw);
					else if (kept)
						adi_jw_arr(&sd->vw);
				}
				break;
			}
			if (!rd_line_value(sd, t, b + pos + 1, len - 3, &kept))
				goto error;
			sd->started = true;
			pos += len;
			if (rd_put(sd, kept, at))
				goto frame;
			break;
		case RD_DATA:
		case RD_CRLF:
			s = rd_bulk_step(sd, b, n, &pos);
			if (s == RD_SL_PARTIAL)
				goto wait;
			if (s == RD_SL_BAD)
				goto error;
			at = sd->vw.len;
			if (rd_put(sd, rd_bulk_value(sd, cfg), at))
				goto frame;
			break;
		}
	}
frame:
	rd_reply_finish(sd, cfg, out, false);
	*used = pos;
	return ADI_PARSE_FRAME;
wait:
	return rd_stop(pos, used, false);
error:
	return rd_stop(pos, used, true);
}
