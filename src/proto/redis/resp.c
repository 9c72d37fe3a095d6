/* resp.c - RESP on the wire for the Redis decoder: lines and counts, the
 * plausible message starts resync, the first message after a gap and
 * sniff judge by, bulks consumed as they come (their first bytes kept),
 * and the server direction's values, every RESP2 and RESP3 type built into
 * a JSON tree without recursion. Owns the bulk buffer and the value tree of
 * struct rd_side (freed by rd_msg_reset and fini()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"

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

/* Drop the message in progress (not the kept buffers' memory). */
void rd_msg_reset(struct rd_side *sd)
{
	while (sd->depth) {
		struct rd_frame *f = &sd->stack[--sd->depth];

		adi_j_free(f->v);
		adi_j_free(f->key);
		memset(f, 0, sizeof(*f));
	}
	adi_j_free(sd->root);
	adi_j_free(sd->attrs);
	sd->root = sd->attrs = NULL;
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

/* ---- replies (server direction) ---- */

/* A map key as an object member name: a string as it is, anything else
 * as its JSON text (an integer key 1 becomes "1"). */
static void rd_map_set(struct adi_jval *obj, const struct adi_jval *key, struct adi_jval *v)
{
	char *txt;

	if (adi_j_type(key) == ADI_J_STR) {
		adi_j_set(obj, adi_j_as_str(key, ""), v);
		return;
	}
	txt = adi_j_to_string(key);
	if (!txt) {
		adi_j_free(v);
		return;
	}
	adi_j_set(obj, txt, v);
	free(txt);
}

/* Attach a complete value v (NULL: not kept) to frame f. */
static void rd_attach(struct rd_frame *f, struct adi_jval *v)
{
	if (f->type == '%' || f->type == '|') {
		if (!f->has_key) {
			f->key = v;
			f->has_key = true;
			return;
		}
		if (f->v && f->key && v)
			rd_map_set(f->v, f->key, v);
		else
			adi_j_free(v);
		adi_j_free(f->key);
		f->key = NULL;
		f->has_key = false;
		return;
	}
	if (f->v && v)
		adi_j_push(f->v, v);
	else
		adi_j_free(v);
}

/* The members of an attribute map join the message's attributes. */
static void rd_attrs_merge(struct rd_side *sd, struct adi_jval *a)
{
	if (!a)
		return;
	if (!sd->attrs) {
		sd->attrs = a;
		return;
	}
	while (adi_j_len(a)) {
		const char *k = adi_j_key_at(a, 0);
		char *kc = strdup(k ? k : "");
		struct adi_jval *v = kc ? adi_j_take(a, kc) : NULL;

		if (!v) {
			free(kc);
			break;
		}
		adi_j_set(sd->attrs, kc, v);
		free(kc);
	}
	adi_j_free(a);
}

/* A value is complete: attach it where it belongs, completing the frames
 * it fills. Returns true when the top-level value is complete. An
 * attribute is no element of its parent: it joins sd->attrs and the value
 * it announces comes next. */
static bool rd_put(struct rd_side *sd, struct adi_jval *v)
{
	for (;;) {
		struct rd_frame *f;
		uint8_t type;

		if (!sd->depth) {
			adi_j_free(sd->root);
			sd->root = v ? v : adi_j_null();
			return true;
		}
		f = &sd->stack[sd->depth - 1];
		rd_attach(f, v);
		f->first = false;
		if (--f->left)
			return false;
		v = f->v;
		type = f->type;
		f->v = NULL;
		sd->depth--;
		if (type == '|') {
			rd_attrs_merge(sd, v);
			return false;
		}
	}
}

/* Is a new value kept (its parent is, and the item cap is not reached)? */
static bool rd_keep_new(struct rd_side *sd)
{
	bool parent = !sd->depth || sd->stack[sd->depth - 1].v;

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

/* The value of the bulk just received (or cut). */
static struct adi_jval *rd_bulk_value(struct rd_side *sd, const struct adi_proto_cfg *cfg)
{
	size_t show = sd->keep_len, off = 0;
	struct adi_jval *v, *o;

	rd_note_head(sd, sd->keep, sd->keep_len);
	if (!rd_keep_new(sd))
		return NULL;
	if (sd->btype == '=' && sd->blen >= 4 && sd->keep_len >= 4 && sd->keep[3] == ':')
		off = 4; /* "txt:" / "mkd:": the format, not the text */
	if (sd->btype == '$' && !rd_is_key(sd))
		show = rd_min(show, cfg->body_bytes);
	if (sd->btype == '=')
		show = off + rd_min(show - off, cfg->body_bytes);
	if (sd->bcut || sd->blen > show)
		sd->truncated = true;
	v = adi_j_bytes(sd->keep ? sd->keep + off : (const uint8_t *)"", show - off);
	if (sd->btype != '!')
		return v;
	o = adi_j_obj();
	if (o)
		adi_j_set(o, "error", v);
	else
		adi_j_free(v);
	return o;
}

/* A double (RESP3 ','): a JSON number, or "inf" / "-inf" / "nan" as a
 * string (JSON has none). NULL when malformed. */
static struct adi_jval *rd_double(const uint8_t *p, size_t n)
{
	char buf[RD_NUM_LINE + 1], *end;
	double d;

	if (!n || n > RD_NUM_LINE)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (!strcmp(buf, "inf") || !strcmp(buf, "+inf") || !strcmp(buf, "-inf") ||
	    !strcmp(buf, "nan") || !strcmp(buf, "-nan"))
		return adi_j_str(buf[0] == '+' ? buf + 1 : buf);
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", buf[i]))
			return NULL;
	d = strtod(buf, &end);
	if (*end || d != d || d - d != 0)
		return NULL; /* overflowed to inf */
	return adi_j_double(d);
}

/* A leaf value from a header line of type t with content p[0..n): the
 * value (NULL when not kept) in *v, or false when malformed. */
static bool rd_line_value(struct rd_side *sd, uint8_t t, const uint8_t *p, size_t n,
			  struct adi_jval **v)
{
	struct adi_jval *o;
	int64_t x;
	bool keep;

	*v = NULL;
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
		if (!rd_keep_new(sd))
			return true;
		*v = adi_j_bytes(p, n);
		if (t != '-')
			return true;
		o = adi_j_obj();
		if (o)
			adi_j_set(o, "error", *v);
		else
			adi_j_free(*v);
		*v = o;
		return true;
	case ':':
		if (!rd_int(p, n, &x))
			return false;
		if (rd_keep_new(sd))
			*v = adi_j_int(x);
		return true;
	case '_':
		if (n)
			return false;
		if (rd_keep_new(sd))
			*v = adi_j_null();
		return true;
	case '#':
		if (n != 1 || (p[0] != 't' && p[0] != 'f'))
			return false;
		if (rd_keep_new(sd))
			*v = adi_j_bool(p[0] == 't');
		return true;
	case ',':
		o = rd_double(p, n);
		if (!o)
			return false;
		keep = rd_keep_new(sd);
		if (keep)
			*v = o;
		else
			adi_j_free(o);
		return true;
	}
	return false;
}

/* The reply message's fields: {"value", "error" (top-level error text or
 * null), "truncated", and for stitch "t" (type byte), "h" (first element
 * of an aggregate, lower case), "lost", "attributes" when there were
 * some}. */
void rd_reply_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			    struct adi_msg *out, bool cut)
{
	struct adi_jval *f = adi_j_obj(), *err;

	if (cut) {
		/* what was received: the bulk in progress, the open frames */
		if (sd->phase == RD_DATA || sd->phase == RD_CRLF) {
			sd->bcut = true;
			rd_put(sd, rd_bulk_value(sd, cfg));
		}
		while (sd->depth) {
			struct rd_frame *fr = &sd->stack[--sd->depth];
			struct adi_jval *v = fr->v;

			fr->v = NULL;
			adi_j_free(fr->key);
			fr->key = NULL;
			fr->has_key = false;
			if (fr->type == '|') {
				adi_j_free(v);
				continue;
			}
			if (!sd->depth) {
				adi_j_free(sd->root);
				sd->root = v;
			} else {
				rd_attach(&sd->stack[sd->depth - 1], v);
			}
		}
		sd->truncated = true;
	}
	out->kind = sd->top_type == '>' ? REDIS_PUSH : REDIS_REPLY;
	out->incomplete = cut;
	if (f) {
		err = adi_j_get(sd->root, "error");
		adi_j_set(f, "value", sd->root ? sd->root : adi_j_null());
		sd->root = NULL;
		if ((sd->top_type == '-' || sd->top_type == '!') && err)
			adi_j_set(f, "error", adi_j_copy(err));
		else
			adi_j_set_null(f, "error");
		adi_j_set_bool(f, "truncated", sd->truncated);
		adi_j_set_int(f, "t", sd->top_type);
		if (sd->head[0])
			adi_j_set_str(f, "h", sd->head);
		adi_j_set_int(f, "lost", sd->lost);
		if (sd->attrs) {
			adi_j_set(f, "attributes", sd->attrs);
			sd->attrs = NULL;
		}
	}
	out->fields = f;
	sd->lost = 0;
	rd_msg_reset(sd);
}

/* parse() of the server direction. */
enum adi_parse rd_parse_reply(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			      const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	size_t pos = 0, len;
	struct adi_jval *v;
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
			if (strchr("$!=*~%|>", t)) {
				bool is_null;

				if (!rd_int(b + pos + 1, len - 3, &x) || x < -1 ||
				    (x == -1 && t != '$' && t != '*') || x > (int64_t)RD_MAX_LEN)
					goto error;
				is_null = x == -1;
				if (!is_null && strchr("*~%|>", t) && sd->depth >= RD_MAX_DEPTH)
					goto error; /* nested too deep: not believed */
				sd->started = true;
				pos += len;
				if (is_null) {
					if (rd_put(sd, rd_keep_new(sd) ? adi_j_null() : NULL))
						goto frame;
					break;
				}
				if (strchr("$!=", t)) {
					rd_bulk_begin(sd, t, (uint64_t)x, rd_bulk_lim(sd, cfg, t));
					break;
				}
				/* an aggregate */
				if (!x) {
					v = rd_keep_new(sd) ? (t == '%' ? adi_j_obj() : adi_j_arr()) : NULL;
					if (t == '|') {
						adi_j_free(v);
						break; /* an empty attribute: nothing to attach */
					}
					if (rd_put(sd, v))
						goto frame;
					break;
				}
				{
					struct rd_frame *f = &sd->stack[sd->depth];
					bool keep = rd_keep_new(sd);

					memset(f, 0, sizeof(*f));
					f->type = t;
					f->left = (uint64_t)x * (t == '%' || t == '|' ? 2 : 1);
					f->first = true;
					if (keep)
						f->v = t == '%' || t == '|' ? adi_j_obj() : adi_j_arr();
					sd->depth++;
				}
				break;
			}
			if (!rd_line_value(sd, t, b + pos + 1, len - 3, &v))
				goto error;
			sd->started = true;
			pos += len;
			if (rd_put(sd, v))
				goto frame;
			break;
		case RD_DATA:
		case RD_CRLF:
			s = rd_bulk_step(sd, b, n, &pos);
			if (s == RD_SL_PARTIAL)
				goto wait;
			if (s == RD_SL_BAD)
				goto error;
			if (rd_put(sd, rd_bulk_value(sd, cfg)))
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

