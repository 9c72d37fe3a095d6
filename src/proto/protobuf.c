/* protobuf.c - schema-less protobuf decoding (protobuf.h). Reads through
 * the bounds-checked cursor of lib/cursor.h; builds the JSON object of one message, nested
 * messages recursively up to ADI_PB_MAX_DEPTH. Owns nothing between calls.
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
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protobuf.h"
#include "../lib/cursor.h"
#include "../lib/util.h"

#define PB_MAX_FIELD ((1u << 29) - 1)
#define PB_JSON_INT_MAX ((int64_t)1 << 53)

/* A 64-bit value as JSON: an int within +-2^53 (a negative int64 is how
 * negative int32/int64 travel), else the unsigned decimal as a string. */
static struct adi_jval *pb_u64(uint64_t v)
{
	char num[24];

	if (v <= (uint64_t)PB_JSON_INT_MAX)
		return adi_j_int((int64_t)v);
	if ((int64_t)v < 0 && (int64_t)v >= -PB_JSON_INT_MAX)
		return adi_j_int((int64_t)v);
	snprintf(num, sizeof(num), "%" PRIu64, v);
	return adi_j_str(num);
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

/* One decoded field, kept until the message is complete so repeated
 * numbers can be grouped into arrays. */
struct pb_field {
	uint32_t num;
	uint32_t order;          /* position of the field in the message */
	struct adi_jval *val;
};

struct pb_list {
	struct pb_field *f;
	size_t len, cap;
};

static void pb_list_free(struct pb_list *l)
{
	for (size_t i = 0; i < l->len; i++)
		adi_j_free(l->f[i].val);
	free(l->f);
}

static int pb_list_add(struct pb_list *l, uint32_t num, struct adi_jval *v)
{
	if (!v)
		return -1;
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct pb_field *f = realloc(l->f, cap * sizeof(*f));

		if (!f) {
			adi_j_free(v);
			return -1;
		}
		l->f = f;
		l->cap = cap;
	}
	l->f[l->len].num = num;
	l->f[l->len].order = (uint32_t)l->len;
	l->f[l->len].val = v;
	l->len++;
	return 0;
}

/* By field number, then position: a field's values become contiguous and
 * keep their order. */
static int pb_cmp(const void *a, const void *b)
{
	const struct pb_field *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A group of one field number: where it starts in the sorted list, how
 * many values, and the position of its first value in the message. */
struct pb_group {
	size_t start, count;
	uint32_t first;
};

static int pb_group_cmp(const void *a, const void *b)
{
	const struct pb_group *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* The object of l's fields: each number once, in order of first
 * appearance; repeated numbers as arrays. Takes the values out of l. */
static struct adi_jval *pb_object(struct pb_list *l)
{
	struct adi_jval *obj = adi_j_obj();
	struct pb_group *g = NULL;
	size_t ng = 0;

	if (!obj)
		return NULL;
	if (!l->len)
		return obj;
	qsort(l->f, l->len, sizeof(*l->f), pb_cmp);
	g = malloc(l->len * sizeof(*g));
	if (!g)
		goto fail;
	for (size_t i = 0; i < l->len; i++) {
		if (ng && l->f[g[ng - 1].start].num == l->f[i].num) {
			g[ng - 1].count++;
			continue;
		}
		g[ng].start = i;
		g[ng].count = 1;
		g[ng].first = l->f[i].order;
		ng++;
	}
	qsort(g, ng, sizeof(*g), pb_group_cmp);
	for (size_t k = 0; k < ng; k++) {
		struct pb_field *f = &l->f[g[k].start];
		char key[12];
		struct adi_jval *v;

		snprintf(key, sizeof(key), "%" PRIu32, f->num);
		if (g[k].count == 1) {
			v = f->val;
			f->val = NULL;
		} else {
			v = adi_j_arr();
			for (size_t i = 0; v && i < g[k].count; i++) {
				if (adi_j_push(v, f[i].val) < 0) {
					f[i].val = NULL;
					adi_j_free(v);
					v = NULL;
					break;
				}
				f[i].val = NULL;
			}
		}
		if (adi_j_set(obj, key, v) < 0)
			goto fail;
	}
	free(g);
	return obj;
fail:
	free(g);
	adi_j_free(obj);
	return NULL;
}

static struct adi_jval *pb_message(const uint8_t *b, size_t n, bool partial,
				   unsigned depth);
static bool pb_printable(const uint8_t *b, size_t n);

/* The value of a length-delimited field (see protobuf.h). */
static struct adi_jval *pb_len_value(const uint8_t *b, size_t n, unsigned depth)
{
	struct adi_jval *v;

	if (n == 0)
		return adi_j_str("");
	if (pb_printable(b, n))
		return adi_j_strn((const char *)b, n);
	if (depth + 1 < ADI_PB_MAX_DEPTH && (v = pb_message(b, n, false, depth + 1)))
		return v;
	return adi_j_bytes(b, n); /* not UTF-8 here: "base64:..." */
}

/* The first n bytes of a length-delimited value cut short: text (up to
 * the last whole character when the cut split one), else a message prefix,
 * else base64. */
static struct adi_jval *pb_len_cut(const uint8_t *b, size_t n, unsigned depth)
{
	struct adi_jval *v;

	for (size_t k = n; k + 4 > n && k > 0; k--) {
		bool tail = k == n || b[k] >= 0xc0; /* a lead byte, then ... */

		for (size_t i = k + 1; tail && i < n; i++)
			tail = (b[i] & 0xc0) == 0x80; /* ... continuation bytes */
		if (tail && pb_printable(b, k))
			return adi_j_strn((const char *)b, k);
	}
	if (depth + 1 < ADI_PB_MAX_DEPTH && (v = pb_message(b, n, true, depth + 1)))
		return v;
	return adi_j_bytes(b, n);
}

static struct adi_jval *pb_message(const uint8_t *b, size_t n, bool partial,
				   unsigned depth)
{
	struct adi_cur c = adi_cur_make(b, n);
	struct pb_list l = { 0 };
	struct adi_jval *obj;

	while (adi_cur_left(&c)) {
		uint64_t tag, v, len;
		uint32_t num;
		struct adi_jval *val = NULL;
		const uint8_t *p;

		/* a varint of more than 10 bytes, or cut by the end, fails */
		if (!adi_cur_varint(&c, &tag))
			goto cut;
		if ((tag >> 3) < 1 || (tag >> 3) > PB_MAX_FIELD)
			goto bad;
		num = (uint32_t)(tag >> 3);
		switch (tag & 7) {
		case 0:
			if (!adi_cur_varint(&c, &v))
				goto cut;
			val = pb_u64(v);
			break;
		case 1:
			if (!adi_cur_le64(&c, &v))
				goto cut;
			val = pb_u64(v);
			break;
		case 5:
			if (!adi_cur_le(&c, 4, &v))
				goto cut;
			val = adi_j_int((int64_t)v);
			break;
		case 2:
			if (!adi_cur_varint(&c, &len))
				goto cut;
			if (len > adi_cur_left(&c)) {
				if (!partial)
					goto bad;
				/* cut short: its first bytes, and the end */
				p = adi_cur_ptr(&c);
				val = pb_len_cut(p, adi_cur_left(&c), depth);
				adi_cur_skip(&c, adi_cur_left(&c));
				break;
			}
			adi_cur_bytes(&c, (size_t)len, &p);
			val = pb_len_value(p, (size_t)len, depth);
			break;
		default:
			goto bad; /* groups (3, 4) and the unused 6, 7 */
		}
		if (pb_list_add(&l, num, val) < 0)
			goto bad;
		continue;
cut:
		/* a field running past the end: what a cut-short message
		 * ends with (the fields before it are kept); anything else
		 * is not a message */
		if (partial)
			break;
		goto bad;
	}
	obj = pb_object(&l);
	pb_list_free(&l);
	return obj;
bad:
	pb_list_free(&l);
	return NULL;
}

struct adi_jval *adi_pb_decode(const uint8_t *b, size_t n, bool partial)
{
	if (!b && n)
		return NULL;
	return pb_message(b, n, partial, 0);
}
