/* protobuf.c - schema-less protobuf decoding (protobuf.h). Reads through
 * the bounds-checked cursor of lib/cursor.h and writes the JSON object of
 * one message straight into a jw.h writer, nested messages recursively up
 * to ADI_PB_MAX_DEPTH. Owns nothing between calls.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/):
 *
 *   message = *field
 *   field   = tag value
 *   tag     = varint: (field_number << 3) | wire_type
 *   +------+------------------+----------------------------------------+
 *   | wire | name             | value                                  |
 *   +------+------------------+----------------------------------------+
 *   |  0   | VARINT           | 1..10 bytes, 7 bits each, LSB first    |
 *   |  1   | I64              | 8 bytes little-endian                  |
 *   |  2   | LEN              | varint length, then that many bytes    |
 *   | 3, 4 | SGROUP / EGROUP  | deprecated groups: not decoded here    |
 *   |  5   | I32              | 4 bytes little-endian                  |
 *   +------+------------------+----------------------------------------+
 *
 * One pass cannot both write and find out whether bytes are a message (a
 * LEN value is a nested message only if all of it parses) nor group a
 * repeated number's values: each level is first scanned into a list of
 * its fields (numbers, scalars, pointers into the bytes), which settles
 * both, then written.
 */
#include <stdlib.h>
#include <string.h>

#include "protobuf.h"
#include "../lib/cursor.h"
#include "../lib/util.h"

#define PB_MAX_FIELD ((1u << 29) - 1)
#define PB_JSON_INT_MAX ((int64_t)1 << 53)
#define PB_INLINE 32            /* fields of a level kept on the stack */
#define PB_LEN_CUT 8            /* wire type of a LEN value cut short */

/* One field of a scanned message: its number, wire type (or PB_LEN_CUT)
 * and value: the scalar, or the bytes of a LEN value (borrowed). */
struct pb_field {
	uint32_t num;
	uint8_t wire;
	uint64_t v;               /* scalar, or the length of p */
	const uint8_t *p;
};

/* The fields of one message, in order: the first PB_INLINE in place,
 * then on the heap. */
struct pb_list {
	struct pb_field *f;
	size_t len, cap;
	size_t *idx;              /* the order to write them in (pb_order), or
				   * NULL: as they are */
	struct pb_field in[PB_INLINE];
};

static void pb_list_init(struct pb_list *l)
{
	l->f = l->in;
	l->len = 0;
	l->cap = PB_INLINE;
	l->idx = NULL;
}

static void pb_list_fini(struct pb_list *l)
{
	if (l->f != l->in)
		free(l->f);
	free(l->idx);
	pb_list_init(l);
}

static bool pb_list_add(struct pb_list *l, uint32_t num, uint8_t wire, uint64_t v,
			const uint8_t *p)
{
	if (l->len == l->cap) {
		size_t cap = l->cap * 2;
		struct pb_field *f = l->f == l->in ? malloc(cap * sizeof(*f))
						   : realloc(l->f, cap * sizeof(*f));

		if (!f)
			return false;
		if (l->f == l->in)
			memcpy(f, l->in, sizeof(l->in));
		l->f = f;
		l->cap = cap;
	}
	l->f[l->len].num = num;
	l->f[l->len].wire = wire;
	l->f[l->len].v = v;
	l->f[l->len].p = p;
	l->len++;
	return true;
}

/* Scan b[0..n) as one message into l. False when the bytes are not a
 * message (protobuf.h) or memory ran out. partial: a field cut short by
 * the end ends the message (a LEN value is kept as PB_LEN_CUT). */
static bool pb_scan(const uint8_t *b, size_t n, bool partial, struct pb_list *l)
{
	struct adi_cur c = adi_cur_make(b, n);

	while (adi_cur_left(&c)) {
		uint64_t tag, v, len;
		uint8_t wire;
		const uint8_t *p = NULL;

		/* a varint of more than 10 bytes, or cut by the end, fails */
		if (!adi_cur_varint(&c, &tag))
			goto cut;
		if ((tag >> 3) < 1 || (tag >> 3) > PB_MAX_FIELD)
			return false;
		wire = (uint8_t)(tag & 7);
		switch (wire) {
		case 0:
			if (!adi_cur_varint(&c, &v))
				goto cut;
			break;
		case 1:
			if (!adi_cur_le64(&c, &v))
				goto cut;
			break;
		case 5:
			if (!adi_cur_le(&c, 4, &v))
				goto cut;
			break;
		case 2:
			if (!adi_cur_varint(&c, &len))
				goto cut;
			if (len > adi_cur_left(&c)) {
				if (!partial)
					return false;
				/* cut short: its first bytes, and the end */
				wire = PB_LEN_CUT;
				len = adi_cur_left(&c);
			}
			adi_cur_bytes(&c, (size_t)len, &p);
			v = len;
			break;
		default:
			return false; /* groups (3, 4) and the unused 6, 7 */
		}
		if (!pb_list_add(l, (uint32_t)(tag >> 3), wire, v, p))
			return false;
		continue;
cut:
		/* a field running past the end: what a cut-short message
		 * ends with (the fields before it are kept); anything else
		 * is not a message */
		if (partial)
			break;
		return false;
	}
	return true;
}

/* A 64-bit value: an int within +-2^53 (a negative int64 is how negative
 * int32/int64 travel), else the unsigned decimal as a string. */
static void pb_u64(struct adi_jw *w, uint64_t v)
{
	char num[24];

	if (v <= (uint64_t)PB_JSON_INT_MAX ||
	    ((int64_t)v < 0 && (int64_t)v >= -PB_JSON_INT_MAX))
		adi_jw_int(w, (int64_t)v);
	else
		adi_jw_strn(w, num, (size_t)(adi_u64_dec(num, v) - num));
}

/* Printable text: valid UTF-8 without control characters but TAB/LF/CR. */
static bool pb_printable(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') ||
		    b[i] == 0x7f)
			return false;
	return adi_utf8_valid(b, n);
}

/* A field number and the position of one of its values. */
struct pb_ord {
	uint32_t num;
	size_t pos;
};

/* A group of one field number: where it starts in the sorted positions,
 * how many values, the position of its first value in the message. */
struct pb_group {
	size_t start, count, first;
};

/* By field number, then position: a number's values become contiguous
 * and keep their order. */
static int pb_ord_cmp(const void *a, const void *b)
{
	const struct pb_ord *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int pb_group_cmp(const void *a, const void *b)
{
	const struct pb_group *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* The order l's fields are written in: each number once, at the place of
 * its first value, with all its values (then an array) in order. Numbers
 * in ascending order, each repeated one contiguous (what encoders write),
 * need none: l->idx stays NULL. False when memory ran out. */
static bool pb_order(struct pb_list *l)
{
	struct pb_ord *o;
	struct pb_group *g;
	size_t ng = 0, k = 0;
	bool sorted = true;

	for (size_t i = 1; i < l->len && sorted; i++)
		sorted = l->f[i - 1].num <= l->f[i].num;
	if (sorted)
		return true;
	o = malloc(l->len * sizeof(*o));
	g = malloc(l->len * sizeof(*g));
	l->idx = malloc(l->len * sizeof(*l->idx));
	if (!o || !g || !l->idx) {
		free(o);
		free(g);
		return false;
	}
	for (size_t i = 0; i < l->len; i++) {
		o[i].num = l->f[i].num;
		o[i].pos = i;
	}
	qsort(o, l->len, sizeof(*o), pb_ord_cmp);
	for (size_t i = 0; i < l->len; i++) {
		if (ng && o[g[ng - 1].start].num == o[i].num) {
			g[ng - 1].count++;
			continue;
		}
		g[ng].start = i;
		g[ng].count = 1;
		g[ng].first = o[i].pos;
		ng++;
	}
	qsort(g, ng, sizeof(*g), pb_group_cmp);
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i].count; j++)
			l->idx[k++] = o[g[i].start + j].pos;
	free(o);
	free(g);
	return true;
}

static void pb_object(struct adi_jw *w, const struct pb_list *l, unsigned depth);

/* b[0..n) as a nested message at depth, when it is one (partial: cut
 * short). False, nothing written, when it is not. */
static bool pb_nested(struct adi_jw *w, const uint8_t *b, size_t n, bool partial,
		      unsigned depth)
{
	struct pb_list l;
	bool ok;

	if (depth >= ADI_PB_MAX_DEPTH)
		return false;
	pb_list_init(&l);
	ok = pb_scan(b, n, partial, &l) && pb_order(&l);
	if (ok)
		pb_object(w, &l, depth);
	pb_list_fini(&l);
	return ok;
}

/* The value of a length-delimited field (see protobuf.h) of a message at
 * depth. */
static void pb_len_value(struct adi_jw *w, const uint8_t *b, size_t n, unsigned depth)
{
	if (n == 0 || pb_printable(b, n))
		adi_jw_strn(w, (const char *)b, n);
	else if (!pb_nested(w, b, n, false, depth + 1))
		adi_jw_bytes(w, b, n); /* not UTF-8 here: "base64:..." */
}

/* The first n bytes of a length-delimited value cut short: text (up to
 * the last whole character when the cut split one), else a message prefix,
 * else base64. */
static void pb_len_cut(struct adi_jw *w, const uint8_t *b, size_t n, unsigned depth)
{
	for (size_t k = n; k + 4 > n && k > 0; k--) {
		bool tail = k == n || b[k] >= 0xc0; /* a lead byte, then ... */

		for (size_t i = k + 1; tail && i < n; i++)
			tail = (b[i] & 0xc0) == 0x80; /* ... continuation bytes */
		if (tail && pb_printable(b, k)) {
			adi_jw_strn(w, (const char *)b, k);
			return;
		}
	}
	if (!pb_nested(w, b, n, true, depth + 1))
		adi_jw_bytes(w, b, n);
}

static void pb_value(struct adi_jw *w, const struct pb_field *f, unsigned depth)
{
	switch (f->wire) {
	case 0:
	case 1:
		pb_u64(w, f->v);
		break;
	case 5:
		adi_jw_int(w, (int64_t)f->v);
		break;
	case 2:
		pb_len_value(w, f->p, (size_t)f->v, depth);
		break;
	default:
		pb_len_cut(w, f->p, (size_t)f->v, depth);
		break;
	}
}

/* The object of l's fields (pb_order): a run of one number is one
 * member, its value or the array of its values. */
static void pb_object(struct adi_jw *w, const struct pb_list *l, unsigned depth)
{
	adi_jw_obj(w);
	for (size_t i = 0, j; i < l->len; i = j) {
		const struct pb_field *f = &l->f[l->idx ? l->idx[i] : i];
		char key[24];

		for (j = i + 1; j < l->len && l->f[l->idx ? l->idx[j] : j].num == f->num; j++)
			;
		adi_jw_keyn(w, key, (size_t)(adi_u64_dec(key, f->num) - key));
		if (j - i == 1) {
			pb_value(w, f, depth);
			continue;
		}
		adi_jw_arr(w);
		for (size_t k = i; k < j; k++)
			pb_value(w, &l->f[l->idx ? l->idx[k] : k], depth);
		adi_jw_arr_end(w);
	}
	adi_jw_obj_end(w);
}

bool adi_pb_write(struct adi_jw *w, const uint8_t *b, size_t n, bool partial)
{
	if (!b && n)
		return false;
	return pb_nested(w, b, n, partial, 0);
}
