/* cursor.h - a bounds-checked reader over borrowed wire bytes: what every
 * decoder reads its framing and values through.
 *
 * A cursor never reads past the n bytes it was given. Every read returns
 * true when the bytes were there; a read that would run past the end
 * returns false, reads nothing, moves the position to the end and sets the
 * sticky `bad` flag, so a decoder may either test each read or do a series
 * of reads and test `bad` once. adi_cur_need() says how many more bytes a
 * read of k bytes would need ("need more" for streaming parsers).
 *
 * The adi_ld_* loads read fixed-width integers from a pointer whose bytes
 * the caller has already checked (a frame header after adi_cur_need() == 0);
 * the cursor reads use them.
 *
 * Everything is static inline: decoders call these per field, per byte.
 */
#ifndef ADI_CURSOR_H
#define ADI_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct adi_cur {
	const uint8_t *p;   /* borrowed bytes */
	size_t n;           /* how many */
	size_t pos;         /* next byte to read, 0..n */
	bool bad;           /* a read ran past the end (sticky) */
};

/* ---- fixed-width loads from checked memory ---- */

static inline uint16_t adi_ld_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t adi_ld_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t adi_ld_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t adi_ld_be64(const uint8_t *p)
{
	return (uint64_t)adi_ld_be32(p) << 32 | adi_ld_be32(p + 4);
}

static inline uint16_t adi_ld_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t adi_ld_le24(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static inline uint32_t adi_ld_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t adi_ld_le64(const uint8_t *p)
{
	return adi_ld_le32(p) | (uint64_t)adi_ld_le32(p + 4) << 32;
}

/* An unsigned little-endian integer of k (0..8) bytes. */
static inline uint64_t adi_ld_le(const uint8_t *p, unsigned k)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < k && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The value of an ASCII hex digit, or -1. */
static inline int adi_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ---- the cursor ---- */

static inline struct adi_cur adi_cur_make(const void *p, size_t n)
{
	struct adi_cur c = { (const uint8_t *)p, n, 0, false };

	return c;
}

static inline size_t adi_cur_left(const struct adi_cur *c)
{
	return c->n - c->pos;
}

/* Bytes missing for a read of k bytes at the position: 0 when they are
 * all there. */
static inline size_t adi_cur_need(const struct adi_cur *c, size_t k)
{
	size_t left = c->n - c->pos;

	return k > left ? k - left : 0;
}

/* The current position as a pointer (valid for adi_cur_left() bytes). */
static inline const uint8_t *adi_cur_ptr(const struct adi_cur *c)
{
	return c->p + c->pos;
}

/* Marks the cursor bad: the position moves to the end. Always false. */
static inline bool adi_cur_fail(struct adi_cur *c)
{
	c->bad = true;
	c->pos = c->n;
	return false;
}

static inline bool adi_cur_skip(struct adi_cur *c, size_t k)
{
	if (adi_cur_left(c) < k)
		return adi_cur_fail(c);
	c->pos += k;
	return true;
}

/* k bytes at the position: *out points at them (borrowed). *out is set
 * to NULL on failure. */
static inline bool adi_cur_bytes(struct adi_cur *c, size_t k, const uint8_t **out)
{
	*out = NULL;
	if (adi_cur_left(c) < k)
		return adi_cur_fail(c);
	*out = c->p + c->pos;
	c->pos += k;
	return true;
}

/* A sub-cursor over the next k bytes (which this one skips). */
static inline bool adi_cur_sub(struct adi_cur *c, size_t k, struct adi_cur *sub)
{
	const uint8_t *b;

	if (!adi_cur_bytes(c, k, &b)) {
		*sub = adi_cur_make(NULL, 0);
		sub->bad = true;
		return false;
	}
	*sub = adi_cur_make(b, k);
	return true;
}

static inline bool adi_cur_u8(struct adi_cur *c, uint8_t *v)
{
	*v = 0;
	if (adi_cur_left(c) < 1)
		return adi_cur_fail(c);
	*v = c->p[c->pos++];
	return true;
}

/* Fixed-width integers; *v is 0 on failure. */
#define ADI_CUR_INT(name, type, k, load) \
	static inline bool adi_cur_##name(struct adi_cur *c, type *v) \
	{ \
		*v = 0; \
		if (adi_cur_left(c) < (k)) \
			return adi_cur_fail(c); \
		*v = load(c->p + c->pos); \
		c->pos += (k); \
		return true; \
	}
ADI_CUR_INT(be16, uint16_t, 2, adi_ld_be16)
ADI_CUR_INT(be24, uint32_t, 3, adi_ld_be24)
ADI_CUR_INT(be32, uint32_t, 4, adi_ld_be32)
ADI_CUR_INT(be64, uint64_t, 8, adi_ld_be64)
ADI_CUR_INT(le16, uint16_t, 2, adi_ld_le16)
ADI_CUR_INT(le24, uint32_t, 3, adi_ld_le24)
ADI_CUR_INT(le32, uint32_t, 4, adi_ld_le32)
ADI_CUR_INT(le64, uint64_t, 8, adi_ld_le64)
#undef ADI_CUR_INT

/* A little-endian unsigned integer of k (1..8) bytes. */
static inline bool adi_cur_le(struct adi_cur *c, unsigned k, uint64_t *v)
{
	*v = 0;
	if (k > 8 || adi_cur_left(c) < k)
		return adi_cur_fail(c);
	*v = adi_ld_le(c->p + c->pos, k);
	c->pos += k;
	return true;
}

/* A base-128 varint, least significant group first (protobuf, Kafka):
 * at most 10 bytes; longer, or cut by the end, fails. */
static inline bool adi_cur_varint(struct adi_cur *c, uint64_t *v)
{
	uint64_t x = 0;

	*v = 0;
	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (c->pos >= c->n)
			return adi_cur_fail(c);
		b = c->p[c->pos++];
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return adi_cur_fail(c);
}

/* A NUL-terminated string: *s points at it (borrowed), *len excludes the
 * NUL, which is consumed. Without a NUL before the end: false. */
static inline bool adi_cur_cstr(struct adi_cur *c, const uint8_t **s, size_t *len)
{
	/* nothing left (maybe a cursor over NULL): no pointer arithmetic */
	const uint8_t *z = adi_cur_left(c) ? memchr(c->p + c->pos, 0, adi_cur_left(c)) : NULL;

	*s = NULL;
	*len = 0;
	if (!z)
		return adi_cur_fail(c);
	*s = c->p + c->pos;
	*len = (size_t)(z - *s);
	c->pos += *len + 1;
	return true;
}

/* A string whose length precedes it in `width` bytes (1, 2 or 4), big
 * endian when be, else little endian. *s borrowed; *len its length. */
static inline bool adi_cur_lpstr(struct adi_cur *c, unsigned width, bool be,
				 const uint8_t **s, size_t *len)
{
	uint64_t k = 0;
	bool ok;

	*s = NULL;
	*len = 0;
	if (width == 1) {
		uint8_t v;
		ok = adi_cur_u8(c, &v);
		k = v;
	} else if (width == 2) {
		uint16_t v;
		ok = be ? adi_cur_be16(c, &v) : adi_cur_le16(c, &v);
		k = v;
	} else if (width == 4) {
		uint32_t v;
		ok = be ? adi_cur_be32(c, &v) : adi_cur_le32(c, &v);
		k = v;
	} else {
		return adi_cur_fail(c);
	}
	if (!ok || !adi_cur_bytes(c, (size_t)k, s))
		return false;
	*len = (size_t)k;
	return true;
}

/* A text protocol's line at b[0..n) (NATS, memcached): false while no LF
 * has come; else *len is its length without the LF and a CR before it,
 * *eol with them. */
static inline bool adi_line(const uint8_t *b, size_t n, size_t *len, size_t *eol)
{
	/* no bytes may come with no buffer (NULL): memchr must not see it */
	const uint8_t *lf = n ? memchr(b, '\n', n) : NULL;

	if (!lf)
		return false;
	*eol = (size_t)(lf - b) + 1;
	*len = *eol - 1;
	if (*len && b[*len - 1] == '\r')
		(*len)--;
	return true;
}

#endif
