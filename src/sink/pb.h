/* pb.h - a protocol buffers writer for the OTLP messages, in one pass into
 * a growing buffer: varints, fixed64, length-delimited fields, and nested
 * messages whose length is filled in when they end. Only what OTLP needs;
 * wire format: https://protobuf.dev/programming-guides/encoding/
 *
 *   tag = (field << 3) | wire type      0 varint, 1 fixed64, 2 length, 5 fixed32
 *   length-delimited: tag, varint length, bytes
 */
#ifndef ADI_PB_H
#define ADI_PB_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct adi_pb {
	uint8_t *b;    /* owned */
	size_t len, cap;
	int err;       /* -ENOMEM, sticky: later writes do nothing */
};

/* Room for n more bytes; 0 or -ENOMEM. */
static inline int adi_pb_room(struct adi_pb *p, size_t n)
{
	size_t c;
	uint8_t *nb;

	if (p->err)
		return p->err;
	if (p->cap - p->len >= n)
		return 0;
	c = p->cap ? p->cap : 1024;
	while (c - p->len < n)
		c *= 2;
	nb = realloc(p->b, c);
	if (!nb)
		return p->err = -ENOMEM;
	p->b = nb;
	p->cap = c;
	return 0;
}

static inline void adi_pb_put(struct adi_pb *p, const void *s, size_t n)
{
	if (!n || adi_pb_room(p, n))
		return;
	memcpy(p->b + p->len, s, n);
	p->len += n;
}

static inline size_t adi_pb_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline void adi_pb_varint(struct adi_pb *p, uint64_t v)
{
	if (adi_pb_room(p, 10))
		return;
	while (v >= 0x80) {
		p->b[p->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p->b[p->len++] = (uint8_t)v;
}

static inline void adi_pb_tag(struct adi_pb *p, unsigned field, unsigned wt)
{
	adi_pb_varint(p, (uint64_t)field << 3 | wt);
}

static inline void adi_pb_kvarint(struct adi_pb *p, unsigned field, uint64_t v)
{
	adi_pb_tag(p, field, 0);
	adi_pb_varint(p, v);
}

static inline void adi_pb_kfixed64(struct adi_pb *p, unsigned field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	adi_pb_tag(p, field, 1);
	adi_pb_put(p, le, 8);
}

static inline void adi_pb_kdouble(struct adi_pb *p, unsigned field, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	adi_pb_kfixed64(p, field, v);
}

/* bytes and strings (a string must be UTF-8: the caller's promise) */
static inline void adi_pb_kbytes(struct adi_pb *p, unsigned field, const void *s, size_t n)
{
	adi_pb_tag(p, field, 2);
	adi_pb_varint(p, n);
	adi_pb_put(p, s, n);
}

/* A nested message starts: its tag and a one-byte length, filled in by
 * adi_pb_end (which moves the content when the length needs more bytes).
 * Returns the mark to hand to adi_pb_end. */
static inline size_t adi_pb_begin(struct adi_pb *p, unsigned field)
{
	adi_pb_tag(p, field, 2);
	adi_pb_put(p, "", 1);
	return p->len;
}

static inline void adi_pb_end(struct adi_pb *p, size_t mark)
{
	size_t n, k;

	if (p->err)
		return;
	n = p->len - mark;
	k = adi_pb_varint_len(n);
	if (k > 1) {
		if (adi_pb_room(p, k - 1))
			return;
		memmove(p->b + mark + k - 1, p->b + mark, n);
		p->len += k - 1;
	}
	for (size_t i = 0; i < k; i++, n >>= 7)
		p->b[mark - 1 + i] = (uint8_t)((n & 0x7f) | (i + 1 < k ? 0x80 : 0));
}

static inline void adi_pb_reset(struct adi_pb *p)
{
	p->len = 0;
	p->err = 0;
}

static inline void adi_pb_fini(struct adi_pb *p)
{
	free(p->b);
	memset(p, 0, sizeof(*p));
}

#endif
