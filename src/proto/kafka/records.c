/* records.c - Kafka record batches (message format v2, magic 2) for the
 * Kafka decoder: the count of records in a partition's batches, the
 * compression of the first, and the first record's key and value as
 * previews (gzip batches inflated with zlib, zstd with libzstd; snappy and
 * lz4 are named, not inflated). Also the primitive readers and the writer
 * helpers of kf.h. Owns nothing beyond the caller's inflate buffer.
 * Format: https://kafka.apache.org/documentation/#recordbatch
 *
 *   batch: baseOffset(8) batchLength(4) partitionLeaderEpoch(4) magic(1) crc(4)
 *          attributes(2: compression bits 0-2) lastOffsetDelta(4) firstTimestamp(8)
 *          maxTimestamp(8) producerId(8) producerEpoch(2) baseSequence(4) count(4) records
 *   record: length(varint) attributes(1) timestampDelta(varlong) offsetDelta(varint)
 *           keyLength(varint, -1 null) key valueLength(varint) value headers
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "kf.h"

/* ---- primitives ---- */

bool kf_i8(struct kf_rd *r, int8_t *v)
{
	uint8_t x;
	bool ok = adi_cur_u8(&r->c, &x);

	*v = (int8_t)x;
	return ok;
}

bool kf_i16(struct kf_rd *r, int16_t *v)
{
	uint16_t x;
	bool ok = adi_cur_be16(&r->c, &x);

	*v = (int16_t)x;
	return ok;
}

bool kf_i32(struct kf_rd *r, int32_t *v)
{
	uint32_t x;
	bool ok = adi_cur_be32(&r->c, &x);

	*v = (int32_t)x;
	return ok;
}

bool kf_i64(struct kf_rd *r, int64_t *v)
{
	uint64_t x;
	bool ok = adi_cur_be64(&r->c, &x);

	*v = (int64_t)x;
	return ok;
}

/* A length: classic int16 / int32 (-1 null), or flexible unsigned varint
 * of length + 1 (0 null). */
static bool kf_len(struct kf_rd *r, bool wide, int64_t *len)
{
	if (r->flex) {
		uint64_t v;

		if (!adi_cur_varint(&r->c, &v) || v > 0x7fffffff)
			return adi_cur_fail(&r->c);
		*len = (int64_t)v - 1;
		return true;
	}
	if (wide) {
		int32_t v;

		if (!kf_i32(r, &v))
			return false;
		*len = v;
	} else {
		int16_t v;

		if (!kf_i16(r, &v))
			return false;
		*len = v;
	}
	return true;
}

bool kf_str(struct kf_rd *r, const uint8_t **p, size_t *n)
{
	int64_t len;

	*p = NULL;
	*n = 0;
	if (!kf_len(r, false, &len))
		return false;
	if (len < 0)
		return true;
	*n = (size_t)len;
	return adi_cur_bytes(&r->c, *n, p);
}

bool kf_bytes(struct kf_rd *r, const uint8_t **p, size_t *n)
{
	int64_t len;

	*p = NULL;
	*n = 0;
	if (!kf_len(r, true, &len))
		return false;
	if (len < 0)
		return true;
	*n = (size_t)len;
	return adi_cur_bytes(&r->c, *n, p);
}

bool kf_arr(struct kf_rd *r, int32_t *n)
{
	int64_t len;

	if (!kf_len(r, true, &len))
		return false;
	*n = (int32_t)len;
	return true;
}

bool kf_tags(struct kf_rd *r)
{
	uint64_t k, tag, size;

	if (!r->flex)
		return true;
	if (!adi_cur_varint(&r->c, &k))
		return false;
	for (uint64_t i = 0; i < k; i++)
		if (!adi_cur_varint(&r->c, &tag) || !adi_cur_varint(&r->c, &size) ||
		    !adi_cur_skip(&r->c, (size_t)size))
			return false;
	return true;
}

/* ---- the writer that remembers its containers ---- */

void kf_obj(struct kf_w *k)
{
	adi_jw_obj(k->w);
	if (k->n < sizeof(k->open))
		k->open[k->n] = '}';
	k->n++;
}

void kf_arr_open(struct kf_w *k)
{
	adi_jw_arr(k->w);
	if (k->n < sizeof(k->open))
		k->open[k->n] = ']';
	k->n++;
}

void kf_end(struct kf_w *k)
{
	if (!k->n)
		return;
	k->n--;
	if (k->n < sizeof(k->open) && k->open[k->n] == ']')
		adi_jw_arr_end(k->w);
	else
		adi_jw_obj_end(k->w);
}

void kf_close_to(struct kf_w *k, unsigned n)
{
	while (k->n > n)
		kf_end(k);
}

/* ---- records ---- */

static int64_t kf_zigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The first record of records[0..n): its key and value (borrowed). */
static bool kf_first_record(const uint8_t *b, size_t n, const uint8_t **key, int64_t *kn,
			    const uint8_t **val, int64_t *vn)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint64_t len, x;
	uint8_t attr;

	if (!adi_cur_varint(&c, &len) || !adi_cur_u8(&c, &attr) || !adi_cur_varint(&c, &x) ||
	    !adi_cur_varint(&c, &x) || !adi_cur_varint(&c, &x))
		return false;
	*kn = kf_zigzag(x);
	*key = NULL;
	if (*kn > 0 && !adi_cur_bytes(&c, (size_t)*kn, key))
		return false;
	if (!adi_cur_varint(&c, &x))
		return false;
	*vn = kf_zigzag(x);
	*val = NULL;
	if (*vn > 0 && !adi_cur_bytes(&c, (size_t)*vn, val))
		return false;
	return true;
}

/* Inflates src (gzip or zstd) into *buf (KF_INFLATE bytes, allocated on
 * first use), at most that much (a prefix is enough for the first record);
 * its length, 0 on failure. */
static size_t kf_inflate(int codec, const uint8_t *src, size_t n, uint8_t **buf)
{
	size_t out = 0, cap = KF_INFLATE;

	if (!*buf) {
		*buf = malloc(KF_INFLATE);
		if (!*buf)
			return 0;
	}
	if (codec == 1) {
		z_stream z;

		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, 15 + 32) != Z_OK)
			return 0;
		z.next_in = (Bytef *)(uintptr_t)src;
		z.avail_in = (uInt)n;
		z.next_out = *buf;
		z.avail_out = (uInt)cap;
		inflate(&z, Z_SYNC_FLUSH);
		out = cap - z.avail_out;
		inflateEnd(&z);
	} else if (codec == 4) {
		ZSTD_DStream *d = ZSTD_createDStream();
		ZSTD_inBuffer in = { src, n, 0 };
		ZSTD_outBuffer o = { *buf, cap, 0 };

		if (!d)
			return 0;
		ZSTD_initDStream(d);
		while (in.pos < in.size && o.pos < o.size)
			if (ZSTD_isError(ZSTD_decompressStream(d, &o, &in)) || (o.pos == 0 && in.pos == 0))
				break;
		out = o.pos;
		ZSTD_freeDStream(d);
	}
	return out;
}

void kf_records(struct kf_w *k, const uint8_t *b, size_t n, struct kf_preview *pv,
		size_t body_bytes)
{
	static const char *const codecs[] = { "none", "gzip", "snappy", "lz4", "zstd" };
	struct adi_jw *w = k->w;
	size_t off = 0;
	uint64_t count = 0;
	int codec = -1;
	const uint8_t *key = NULL, *val = NULL;
	int64_t kn = -1, vn = -1;
	bool first = true, whole = true;
	uint8_t *tmp = NULL; /* inflated here once pv->buf holds the message's payload */

	while (off + 61 <= n) {
		uint32_t blen = adi_ld_be32(b + off + 8);
		size_t end = off + 12 + (size_t)blen;
		int c = adi_ld_be16(b + off + 21) & 7;

		if (b[off + 16] != 2 || blen < 49)
			break; /* an old message set, or no batch */
		count += adi_ld_be32(b + off + 57);
		if (first) {
			size_t have = (end <= n ? end : n) - (off + 61);
			const uint8_t *rec = b + off + 61;

			codec = c;
			if (c == 1 || c == 4) {
				uint8_t **buf = pv->have ? &tmp : &pv->buf;

				have = kf_inflate(c, rec, have, buf);
				rec = *buf;
			}
			if ((c == 0 || ((c == 1 || c == 4) && have)) &&
			    kf_first_record(rec, have, &key, &kn, &val, &vn) && !pv->have) {
				pv->have = true;
				pv->val = val;
				pv->vn = vn > 0 ? (size_t)vn : 0;
			}
			first = false;
		}
		if (end > n) {
			whole = false;
			break;
		}
		off = end;
	}
	adi_jw_key(w, "records");
	if (!n)
		adi_jw_u64(w, 0);
	else if (whole && codec >= 0)
		adi_jw_u64(w, count);
	else
		adi_jw_null(w); /* the batches were not all seen */
	adi_jw_key(w, "compression");
	if (codec >= 0 && codec <= 4)
		adi_jw_str(w, codecs[codec]);
	else
		adi_jw_null(w);
	adi_jw_key(w, "key");
	if (key || kn == 0)
		adi_jw_bytes(w, key ? key : (const uint8_t *)"", kn > 0 ?
			     ((size_t)kn < body_bytes ? (size_t)kn : body_bytes) : 0);
	else
		adi_jw_null(w);
	adi_jw_key(w, "value");
	if (val || vn == 0)
		adi_jw_bytes(w, val ? val : (const uint8_t *)"", vn > 0 ?
			     ((size_t)vn < body_bytes ? (size_t)vn : body_bytes) : 0);
	else
		adi_jw_null(w);
	free(tmp);
}
