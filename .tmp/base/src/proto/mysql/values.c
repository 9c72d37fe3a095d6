/* values.c - MySQL values: the wire encodings (int<lenenc>,
 * string<lenenc>, string<NUL>) read through adi_cur, binary protocol
 * values as text, the value walker that reads parameters, query attributes
 * and text / binary rows as their bytes arrive (writing the kept values as
 * JSON, jw.h), column definitions, and bytes as JSON. Owns nothing beyond
 * a walker's buffers and writers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_priv.h"
#include "../../lib/util.h"

/* ---- MySQL's own encodings, read through an adi_cur ----
 *
 *   int<lenenc>: 0x00..0xfa the value itself; 0xfb NULL (text rows);
 *                0xfc int<2>, 0xfd int<3>, 0xfe int<8> follows; 0xff none
 *   string<lenenc>: int<lenenc> length, then that many bytes
 *   string<NUL>: bytes up to a NUL, which is consumed
 */

/* int<lenenc> into *v; *null (may be NULL) for 0xfb, *v then 0. False,
 * with bad set, when short or on 0xff; on 0xff (unlike adi_cur's reads)
 * the position stays after that byte, so fixed fields after it still
 * read as they always did. (my_lenenc in mysql_priv.h reads the one-byte
 * form inline and calls this for the rest.) */
bool my_lenenc_any(struct adi_cur *c, uint64_t *v, bool *null)
{
	uint8_t b;

	*v = 0;
	if (null)
		*null = false;
	if (!adi_cur_u8(c, &b))
		return false;
	if (b < 0xfb) {
		*v = b;
		return true;
	}
	if (b == 0xfb) {
		if (null)
			*null = true;
		return true;
	}
	if (b == 0xff) {
		c->bad = true;
		return false;
	}
	return adi_cur_le(c, b == 0xfc ? 2 : b == 0xfd ? 3 : 8, v);
}

/* string<lenenc>: *s its bytes (borrowed), *len its length. Short, or
 * the cursor already bad: false, *s NULL, the position at the end.
 * (my_lenstr in mysql_priv.h reads a short one inline.) */
bool my_lenstr_any(struct adi_cur *c, const uint8_t **s, size_t *len)
{
	uint64_t k;

	*s = NULL;
	*len = 0;
	my_lenenc(c, &k, NULL);
	if (c->bad || k > adi_cur_left(c))
		return adi_cur_fail(c);
	*len = (size_t)k;
	return adi_cur_bytes(c, *len, s);
}

/* string<NUL>: its bytes (borrowed, never NULL), *len its length; without
 * a NUL the rest of the bytes (never fails: the last string of a packet
 * may lack its NUL). */
const uint8_t *my_nulstr(struct adi_cur *c, size_t *len)
{
	const uint8_t *s = adi_cur_ptr(c);

	if (memchr(s, 0, adi_cur_left(c))) {
		adi_cur_cstr(c, &s, len);
		return s;
	}
	*len = adi_cur_left(c);
	c->pos = c->n;
	return s;
}

/* ---- bytes as JSON ---- */

/* The length of b[0..n) without a UTF-8 sequence cut short at its end (a
 * value cut to its cap stays text rather than becoming base64). */
static size_t my_utf8_trim(const uint8_t *b, size_t n)
{
	size_t i = n, k = 0;

	while (i > 0 && k < 4 && (b[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i > 0 && b[i - 1] >= 0xc0) {
		size_t want = b[i - 1] >= 0xf0 ? 4 : b[i - 1] >= 0xe0 ? 3 : 2;

		if (k + 1 < want)
			return i - 1;
	}
	return n;
}

/* Payload bytes as a JSON value: a string when valid UTF-8, else
 * "base64:..."; cut: the bytes are a prefix (a split character at the end
 * is dropped, so a value cut to its cap stays text). */
void my_wbytes(struct adi_jw *w, const uint8_t *b, size_t n, bool cut)
{
	if (cut)
		n = my_utf8_trim(b, n);
	adi_jw_bytes(w, b, n);
}

/* Always "base64:<data>" (a raw block that is not text). */
void my_wbase64(struct adi_jw *w, const uint8_t *b, size_t n)
{
	char *s = malloc(adi_base64_len(n) + 8);

	if (!s) {
		adi_jw_null(w);
		return;
	}
	memcpy(s, "base64:", 7);
	adi_base64_encode(b, n, s + 7);
	adi_jw_str(w, s);
	free(s);
}

/* The pairs as a JSON object. A name given twice keeps its first place
 * and takes its last value, as a map would: no key is written twice.
 * (Quadratic, as the json.h object it replaces was: at most
 * MY_MAX_ATTRS attributes; query attributes are few.) */
void my_wpairs(struct adi_jw *w, const struct my_pair *p, size_t n)
{
	adi_jw_obj(w);
	for (size_t i = 0; i < n; i++) {
		size_t last = i, j;

		for (j = 0; j < i && !(p[i].kn == p[j].kn && !memcmp(p[i].k, p[j].k, p[i].kn)); j++)
			;
		if (j < i)
			continue; /* written at its first place */
		for (j = i + 1; j < n; j++)
			if (p[i].kn == p[j].kn && !memcmp(p[i].k, p[j].k, p[i].kn))
				last = j;
		adi_jw_keyn(w, p[i].k, p[i].kn);
		if (p[last].json)
			adi_jw_raw(w, (const char *)p[last].v, p[last].vn);
		else
			adi_jw_bytes(w, p[last].v, p[last].vn);
	}
	adi_jw_obj_end(w);
}

/* A JSON string from a printf format (at most 95 bytes: dates, names). */
void my_wfmt(struct adi_jw *w, const char *fmt, ...)
{
	char buf[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	adi_jw_str(w, buf);
}

/* An integer as a JSON string ("-5", "7": ids, codes and binary values
 * are strings in the events), without printf. */
void my_wdec(struct adi_jw *w, bool neg, uint64_t v)
{
	char buf[24], *p = buf;

	*p++ = '"';
	if (neg)
		*p++ = '-';
	p = adi_u64_dec(p, v);
	*p++ = '"';
	adi_jw_raw(w, buf, (size_t)(p - buf));
}

/* A signed integer as a JSON string. */
static void my_wsdec(struct adi_jw *w, int64_t v)
{
	my_wdec(w, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* ---- binary protocol values as text ----
 *
 * Binary Protocol Value (PAGE_PROTOCOL "Binary Protocol Value"):
 *
 *   TINY 1, SHORT/YEAR 2, LONG/INT24/FLOAT 4, LONGLONG/DOUBLE 8 bytes, LE;
 *   the parameter flag 0x80 (a column's UNSIGNED_FLAG) makes them unsigned
 *   DATE/DATETIME/TIMESTAMP: len(1) = 0 | 4 | 7 | 11
 *     +------+-------+-----+------+--------+--------+-------------+
 *     | year | month | day | hour | minute | second | microsecond |
 *     |  2   |   1   |  1  |  1   |   1    |   1    |      4      |
 *     +------+-------+-----+------+--------+--------+-------------+
 *   TIME: len(1) = 0 | 8 | 12
 *     +-----+------+------+--------+--------+-------------+
 *     | neg | days | hour | minute | second | microsecond |
 *     |  1  |  4   |  1   |   1    |   1    |      4      |
 *     +-----+------+------+--------+--------+-------------+
 *   everything else (DECIMAL, strings, BLOBs, JSON, ENUM, SET, BIT,
 *   GEOMETRY): string<lenenc>
 *
 * Text: integers in decimal, FLOAT/DOUBLE the shortest form that reads
 * back to the same value, DATE "YYYY-MM-DD", DATETIME "YYYY-MM-DD
 * HH:MM:SS[.ffffff]", TIME "[-]H..H:MM:SS[.ffffff]" (hours = days * 24 +
 * hour), strings as sent.
 */

/* Bytes of a fixed-size value of type t, 0 for other types. */
static unsigned my_fixed_size(uint16_t t)
{
	switch (t & 0xff) {
	case T_TINY:
		return 1;
	case T_SHORT:
	case T_YEAR:
		return 2;
	case T_LONG:
	case T_INT24:
	case T_FLOAT:
		return 4;
	case T_LONGLONG:
	case T_DOUBLE:
		return 8;
	}
	return 0;
}

/* Types sent as len<1> + 0..12 bytes (dates, times). */
static bool my_temporal(uint16_t t)
{
	switch (t & 0xff) {
	case T_DATE:
	case T_NEWDATE:
	case T_DATETIME:
	case T_DATETIME2:
	case T_TIMESTAMP:
	case T_TIMESTAMP2:
	case T_TIME:
	case T_TIME2:
		return true;
	}
	return false;
}

/* Types sent as string<lenenc>. */
static bool my_lenenc_type(uint16_t t)
{
	switch (t & 0xff) {
	case T_DECIMAL:
	case T_NEWDECIMAL:
	case T_VARCHAR:
	case T_VAR_STRING:
	case T_STRING:
	case T_TINY_BLOB:
	case T_MEDIUM_BLOB:
	case T_LONG_BLOB:
	case T_BLOB:
	case T_JSON:
	case T_ENUM:
	case T_SET:
	case T_BIT:
	case T_GEOMETRY:
	case T_VECTOR:
		return true;
	}
	return false;
}

/* The shortest %g form of d that reads back as d (as a float when
 * single). */
static void my_fmt_real(char *buf, size_t sz, double d, bool single)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sz, "%.*g", p, d);
		if (single ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			return;
	}
}

/* A fixed-size value (my_fixed_size(t) bytes at b) as a JSON string. */
static void my_fmt_fixed(struct adi_jw *w, uint16_t t, const uint8_t *b)
{
	bool u = (t & MY_UNSIGNED) != 0;
	uint64_t v;
	char buf[40];

	switch (t & 0xff) {
	case T_TINY:
		u ? my_wdec(w, false, b[0]) : my_wsdec(w, (int8_t)b[0]);
		return;
	case T_YEAR:
		my_wdec(w, false, adi_ld_le16(b));
		return;
	case T_SHORT:
		v = adi_ld_le16(b);
		u ? my_wdec(w, false, v) : my_wsdec(w, (int16_t)v);
		return;
	case T_LONG:
	case T_INT24:
		v = adi_ld_le32(b);
		u ? my_wdec(w, false, v) : my_wsdec(w, (int32_t)v);
		return;
	case T_LONGLONG:
		v = adi_ld_le64(b);
		u ? my_wdec(w, false, v) : my_wsdec(w, (int64_t)v);
		return;
	case T_FLOAT: {
		uint32_t x = adi_ld_le32(b);
		float f;

		memcpy(&f, &x, 4);
		my_fmt_real(buf, sizeof(buf), f, true);
		adi_jw_str(w, buf);
		return;
	}
	case T_DOUBLE: {
		double d;

		v = adi_ld_le64(b);
		memcpy(&d, &v, 8);
		my_fmt_real(buf, sizeof(buf), d, false);
		adi_jw_str(w, buf);
		return;
	}
	}
	adi_jw_null(w);
}

/* A date or time of len (0..12) bytes at b as a JSON string. */
static void my_fmt_temporal(struct adi_jw *w, uint16_t t, const uint8_t *b, size_t len)
{
	char us[16] = "";

	t &= 0xff;
	if (t == T_TIME || t == T_TIME2) {
		bool neg = len >= 8 && b[0];
		unsigned long long h = len >= 8 ? (unsigned long long)adi_ld_le32(b + 1) * 24 + b[5] : 0;

		if (len >= 12)
			snprintf(us, sizeof(us), ".%06u", adi_ld_le32(b + 8));
		my_wfmt(w, "%s%02llu:%02u:%02u%s", neg ? "-" : "", h,
			len >= 8 ? b[6] : 0, len >= 8 ? b[7] : 0, us);
		return;
	}
	unsigned y = len >= 4 ? adi_ld_le16(b) : 0;
	unsigned mo = len >= 4 ? b[2] : 0, d = len >= 4 ? b[3] : 0;

	if (t == T_DATE || t == T_NEWDATE) {
		my_wfmt(w, "%04u-%02u-%02u", y, mo, d);
		return;
	}
	if (len >= 11)
		snprintf(us, sizeof(us), ".%06u", adi_ld_le32(b + 7));
	my_wfmt(w, "%04u-%02u-%02u %02u:%02u:%02u%s", y, mo, d,
		len >= 7 ? b[4] : 0, len >= 7 ? b[5] : 0, len >= 7 ? b[6] : 0, us);
}

/* ---- the value walker ---- */

/* (Re)start w on a packet of `mode` holding n values (rows: the column
 * count; EXEC and query attributes learn theirs from the bytes); keep:
 * the values are kept (written into w->vals as a JSON array, read with
 * my_walk_vals), else only framed. */
void my_walk_begin(struct my_walk *w, enum my_wmode mode, uint32_t n, bool keep)
{
	adi_jw_reset(&w->vals);
	adi_jw_reset(&w->names);
	w->nnames = 0;
	w->mode = (uint8_t)mode;
	w->step = mode == W_TEXT_ROW ? WS_VAL : WS_HEAD;
	w->vstep = VS_START;
	w->qa = w->bound = w->unknown = w->to_names = w->cut = false;
	w->keep = keep;
	w->flags = 0;
	w->stmt = 0;
	w->i = 0;
	w->n = n;
	w->tk_len = w->le_want = 0;
	w->bm_len = w->bm_want = 0;
	w->need = 0;
	w->v_len = 0;
	w->v_cut = false;
	w->raw_total = 0;
	if (keep)
		adi_jw_arr(&w->vals);
}

/* A writer's array, closed if it is still open: its text (absent when
 * nothing was written). */
static struct adi_jv my_walk_close(struct adi_jw *a)
{
	if (a->depth)
		adi_jw_arr_end(a);
	return adi_jw_text(a);
}

/* The kept values as a JSON array ("[...]"; absent when not kept). Ends
 * the array: call once the packet is walked. */
struct adi_jv my_walk_vals(struct my_walk *w)
{
	return my_walk_close(&w->vals);
}

/* The parameter names (query attributes) as a JSON array, absent when
 * there were none. Ends the array, like my_walk_vals. */
struct adi_jv my_walk_names(struct my_walk *w)
{
	return my_walk_close(&w->names);
}

/* Gather `want` bytes into the token; true when it holds them (tk_len is
 * then reset for the next token, the bytes stay in tk). */
static bool my_walk_tok(struct my_walk *w, struct adi_cur *in, unsigned want)
{
	size_t t = my_min(adi_cur_left(in), want - w->tk_len);

	if (t)
		memcpy(w->tk + w->tk_len, adi_cur_ptr(in), t);
	w->tk_len = (uint8_t)(w->tk_len + t);
	adi_cur_skip(in, t);
	if (w->tk_len < want)
		return false;
	w->tk_len = 0;
	return true;
}

/* int<lenenc>, incrementally: 1 done (*v, *null for 0xfb), 0 more bytes
 * needed, -1 malformed (0xff). */
static int my_walk_lenenc(struct my_walk *w, struct adi_cur *in, uint64_t *v, bool *null)
{
	*null = false;
	if (!w->le_want) {
		uint8_t c;

		if (!adi_cur_left(in))
			return 0;
		adi_cur_u8(in, &c);
		if (c < 0xfb) {
			*v = c;
			return 1;
		}
		if (c == 0xfb) {
			*null = true;
			*v = 0;
			return 1;
		}
		if (c == 0xff)
			return -1;
		w->le_want = c == 0xfc ? 2 : c == 0xfd ? 3 : 8;
		w->tk_len = 0;
	}
	if (!my_walk_tok(w, in, w->le_want))
		return 0;
	*v = adi_ld_le(w->tk, w->le_want);
	w->le_want = 0;
	return 1;
}

/* Where the value being read goes: the names, the values (when kept),
 * or nowhere (NULL: only framed). */
static struct adi_jw *my_walk_out(struct my_walk *w)
{
	if (w->to_names) {
		if (!w->nnames++)
			adi_jw_arr(&w->names);
		return &w->names;
	}
	return w->keep ? &w->vals : NULL;
}

/* Read one value of type w->vtype: 1 when complete (delivered), 0 when
 * more bytes are needed, -1 when it cannot be framed. Kept values keep
 * their first `cap` bytes. */
static int my_walk_value(struct my_walk *w, size_t cap, struct adi_cur *in)
{
	bool keep = w->keep || w->to_names;
	struct adi_jw *out;
	uint64_t len;
	bool null;
	int r;

	for (;;) {
		switch (w->vstep) {
		case VS_START:
			w->v_len = 0;
			w->v_cut = false;
			w->tk_len = w->le_want = 0;
			if ((w->vtype & MY_TEXT) || my_lenenc_type(w->vtype))
				w->vstep = VS_LEN;
			else if (my_fixed_size(w->vtype))
				w->vstep = VS_FIX;
			else if (my_temporal(w->vtype))
				w->vstep = VS_TLEN;
			else if ((w->vtype & 0xff) == T_NULL) {
				if ((out = my_walk_out(w)))
					adi_jw_null(out);
				return 1;
			} else {
				return -1; /* a type whose size is unknown */
			}
			break;
		case VS_LEN:
			if ((r = my_walk_lenenc(w, in, &len, &null)) <= 0)
				return r;
			if (null) {
				if (!(w->vtype & MY_TEXT))
					return -1;
				w->vstep = VS_START;
				if ((out = my_walk_out(w)))
					adi_jw_null(out);
				return 1;
			}
			w->need = len;
			w->vstep = VS_DATA;
			break;
		case VS_DATA: {
			size_t t = my_min(adi_cur_left(in), w->need);

			if (keep && t == w->need && !w->v_len && !w->v_cut) {
				/* the whole value is here (the usual case): written
				 * from the input, not gathered first */
				bool cut = w->need > cap;

				w->vstep = VS_START;
				w->cut |= cut;
				my_wbytes(my_walk_out(w), adi_cur_ptr(in), my_min(cap, w->need), cut);
				adi_cur_skip(in, t);
				w->need = 0;
				return 1;
			}
			if (keep && my_keep_capped(&w->v, &w->v_len, &w->v_alloc, cap,
						   adi_cur_ptr(in), t))
				w->v_cut = true;
			adi_cur_skip(in, t);
			w->need -= t;
			if (w->need)
				return 0;
			w->vstep = VS_START;
			if (keep) {
				w->cut |= w->v_cut;
				my_wbytes(my_walk_out(w), w->v, w->v_len, w->v_cut);
			}
			return 1;
		}
		case VS_FIX:
			if (!my_walk_tok(w, in, my_fixed_size(w->vtype)))
				return 0;
			w->vstep = VS_START;
			if ((out = my_walk_out(w)))
				my_fmt_fixed(out, w->vtype, w->tk);
			return 1;
		case VS_TLEN: {
			uint8_t tlen;

			if (!adi_cur_left(in))
				return 0;
			adi_cur_u8(in, &tlen);
			w->need = tlen;
			if (w->need > 12)
				return -1;
			w->vstep = VS_TBODY;
			if (!w->need) {
				w->vstep = VS_START;
				if ((out = my_walk_out(w)))
					my_fmt_temporal(out, w->vtype, w->tk, 0);
				return 1;
			}
			break;
		}
		case VS_TBODY:
			if (!my_walk_tok(w, in, (unsigned)w->need))
				return 0;
			w->vstep = VS_START;
			if ((out = my_walk_out(w)))
				my_fmt_temporal(out, w->vtype, w->tk, (size_t)w->need);
			return 1;
		}
	}
}

/* The NULL bit of value i (bit offset 2 in binary rows). */
static bool my_walk_is_null(const struct my_walk *w, uint32_t i)
{
	size_t bit = i + (w->mode == W_BIN_ROW ? 2 : 0);

	return bit / 8 < w->bm_len && (w->bm[bit / 8] >> (bit % 8)) & 1;
}

/* The parameter types of an EXEC that did not bind them: a copy of t. */
static void my_walk_types_from(struct my_walk *w, const uint16_t *t, uint32_t n)
{
	if (my_grow((void **)&w->types, &w->types_alloc, n ? n : 1, sizeof(*w->types)))
		memcpy(w->types, t, n * sizeof(*t));
	else
		w->step = WS_DEAD;
}

/* EXEC header read: find the statement and what follows. */
static void my_walk_exec_head(struct mysql_state *st, struct my_walk *w)
{
	struct my_stmt *s;

	w->stmt = adi_ld_le32(w->tk + 1);
	w->flags = w->tk[5];
	s = my_stmt_find(st, w->stmt);
	if (st->caps_known)
		w->qa = (st->cli_caps & st->srv_caps & CLIENT_QUERY_ATTRIBUTES) != 0;
	else
		w->qa = (w->flags & 0x08) != 0; /* PARAMETER_COUNT_AVAILABLE */
	if (w->qa && (w->flags & 0x08)) {
		w->step = WS_COUNT;
	} else if (!s) {
		w->unknown = true;
		w->step = WS_RAW;
	} else {
		w->n = s->nparams;
		w->bm_want = (w->n + 7) / 8;
		w->step = w->n ? WS_BITMAP : WS_DONE;
	}
}

/* Values start: parameters bound now, or the types of the last time. */
static void my_walk_values_start(struct mysql_state *st, struct my_walk *w)
{
	struct my_stmt *s;

	w->i = 0;
	w->step = WS_VAL;
	w->vstep = VS_START;
	if (w->mode != W_EXEC || w->bound)
		return;
	s = my_stmt_find(st, w->stmt);
	if (s && s->ptypes && s->nparams == w->n && !my_long_lost(st, w->stmt))
		my_walk_types_from(w, s->ptypes, w->n);
	else {
		w->unknown = true;
		w->step = WS_RAW;
	}
}

/* Before value i: true when its bytes are to be read (w->vtype is then
 * its type); false when it needs none (NULL, long data: delivered, i
 * moves on), when there are no more (DONE) or when its type is unknown
 * (DEAD). */
static bool my_walk_next_value(struct mysql_state *st, struct my_walk *w)
{
	const uint16_t *ta = w->mode == W_BIN_ROW ? w->rt : w->types;
	struct my_long *l;

	if (w->i >= w->n) {
		w->step = WS_DONE;
		return false;
	}
	if (w->mode != W_TEXT_ROW && my_walk_is_null(w, w->i)) {
		if (w->keep)
			adi_jw_null(&w->vals);
		w->i++;
		return false;
	}
	if (w->mode == W_EXEC && (l = my_long_find(st, w->stmt, (uint16_t)w->i))) {
		if (w->keep) {
			bool cut = l->total > l->len;

			w->cut |= cut;
			my_wbytes(&w->vals, l->keep, l->len, cut);
		}
		w->i++;
		return false;
	}
	if (w->mode == W_TEXT_ROW) {
		w->vtype = MY_TEXT;
		return true;
	}
	/* binary values without their types cannot be delimited: the rest
	 * is not decoded */
	if (!ta) {
		w->step = WS_DEAD;
		return false;
	}
	w->vtype = ta[w->i];
	return true;
}

/* Feed payload bytes to the walker: it reads from `in` all of them,
 * unless it is DONE (the rest is the caller's). With no bytes left it
 * delivers what needs none (NULLs, long data): the packet's end. */
void my_walk_feed(struct mysql_state *st, const struct adi_proto_cfg *cfg,
		  struct my_walk *w, struct adi_cur *in)
{
	uint64_t v;
	uint8_t b;
	bool null;
	int r;

	for (;;) {
		switch (w->step) {
		case WS_HEAD:
			if (!my_walk_tok(w, in, w->mode == W_EXEC ? 10 : 1))
				return;
			if (w->mode == W_EXEC) {
				my_walk_exec_head(st, w);
			} else if (w->mode == W_QATTR) {
				w->qa = true;
				w->step = WS_COUNT;
			} else if (w->tk[0] != 0x00) {
				w->step = WS_DEAD;
			} else {
				w->bm_want = (w->n + 9) / 8;
				w->step = WS_BITMAP;
			}
			break;
		case WS_COUNT:
		case WS_SETS:
			if ((r = my_walk_lenenc(w, in, &v, &null)) == 0)
				return;
			if (r < 0 || null || v > MY_MAX_COLS) {
				w->step = WS_DEAD;
				break;
			}
			if (w->step == WS_COUNT)
				w->n = (uint32_t)v;
			if (w->step == WS_COUNT && w->mode == W_QATTR) {
				w->step = WS_SETS;
				break;
			}
			w->bm_want = (w->n + 7) / 8;
			w->step = w->n ? WS_BITMAP : WS_DONE;
			break;
		case WS_BITMAP: {
			size_t t = my_min(adi_cur_left(in), w->bm_want - w->bm_len);

			if (!my_grow((void **)&w->bm, &w->bm_alloc, w->bm_want ? w->bm_want : 1, 1)) {
				w->step = WS_DEAD;
				break;
			}
			if (t)
				memcpy(w->bm + w->bm_len, adi_cur_ptr(in), t);
			w->bm_len += t;
			adi_cur_skip(in, t);
			if (w->bm_len < w->bm_want)
				return;
			if (w->mode == W_BIN_ROW)
				my_walk_values_start(st, w);
			else
				w->step = WS_BOUND;
			break;
		}
		case WS_BOUND:
			if (!adi_cur_left(in))
				return;
			adi_cur_u8(in, &b);
			w->bound = b == 1;
			if (!w->bound) {
				my_walk_values_start(st, w);
			} else if (!my_grow((void **)&w->types, &w->types_alloc, w->n,
					    sizeof(*w->types))) {
				w->step = WS_DEAD;
			} else {
				w->i = 0;
				w->step = WS_TYPE;
			}
			break;
		case WS_TYPE:
			if (!my_walk_tok(w, in, 2))
				return;
			w->types[w->i] = (uint16_t)(w->tk[0] | (w->tk[1] & 0x80 ? MY_UNSIGNED : 0));
			if (w->qa) {
				w->step = WS_NAME;
				w->vtype = T_VAR_STRING;
				w->to_names = true;
				w->vstep = VS_START;
			} else if (++w->i == w->n) {
				my_walk_values_start(st, w);
			}
			break;
		case WS_NAME:
			if ((r = my_walk_value(w, 256, in)) == 0)
				return;
			w->to_names = false;
			if (r < 0) {
				w->step = WS_DEAD;
				break;
			}
			w->step = WS_TYPE;
			if (++w->i == w->n)
				my_walk_values_start(st, w);
			break;
		case WS_VAL:
			if (w->vstep == VS_START && !my_walk_next_value(st, w))
				break;
			if ((r = my_walk_value(w, cfg->body_bytes, in)) == 0)
				return;
			if (r < 0) {
				w->step = WS_DEAD;
				break;
			}
			w->i++;
			break;
		case WS_RAW:
			my_keep_capped(&w->v, &w->v_len, &w->v_alloc, cfg->body_bytes,
				       adi_cur_ptr(in), adi_cur_left(in));
			w->raw_total += adi_cur_left(in);
			adi_cur_skip(in, adi_cur_left(in));
			return;
		case WS_DEAD:
			adi_cur_skip(in, adi_cur_left(in));
			return;
		case WS_DONE:
			return;
		}
	}
}

/* The packet being walked ended: deliver what needs no bytes. */
void my_walk_end(struct mysql_state *st, const struct adi_proto_cfg *cfg,
		 struct my_walk *w)
{
	static const uint8_t none[1];
	struct adi_cur in = adi_cur_make(none, 0);

	my_walk_feed(st, cfg, w, &in);
}

/* Free what the walker owns; it is zeroed. */
void my_walk_fini(struct my_walk *w)
{
	adi_jw_fini(&w->vals);
	adi_jw_fini(&w->names);
	free(w->bm);
	free(w->types);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* Column Definition 41 (page_protocol_com_query_response_text_resultset_column_definition):
 *   catalog, schema, table, org_table, name, org_name: string<lenenc> |
 *   [MariaDB extended metadata string<lenenc>] | int<lenenc> 0x0c |
 *   int<2> charset | int<4> length | int<1> type | int<2> flags | int<1> decimals
 *   [COM_FIELD_LIST: default value]
 * Gives the type with MY_UNSIGNED for UNSIGNED_FLAG (32), and the name
 * (borrowed; false when the definition is too short to hold one). */
bool my_coldef(struct adi_cur *c, bool field_list, uint16_t *type,
	       const uint8_t **name_out, size_t *name_len)
{
	const uint8_t *name = NULL, *s;
	size_t nl = 0, l;
	uint64_t fixed_len;

	*type = T_VAR_STRING;
	for (int i = 0; i < 6; i++) {
		my_lenstr(c, &s, &l);
		if (i == 4) {
			name = s;
			nl = l;
		}
	}
	if (!field_list && adi_cur_left(c) > 13)
		my_lenstr(c, &s, &l);
	my_lenenc(c, &fixed_len, NULL);
	adi_cur_skip(c, 6);
	if (adi_cur_left(c) >= 3) {
		uint8_t t;
		uint16_t flags;

		adi_cur_u8(c, &t);
		adi_cur_le16(c, &flags);
		*type = (uint16_t)(t | (flags & 32 ? MY_UNSIGNED : 0));
	}
	*name_out = name;
	*name_len = nl;
	return name != NULL;
}
