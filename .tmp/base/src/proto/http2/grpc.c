/* grpc.c - DATA content of the HTTP/2 decoder: a plain body keeps its
 * first --body-bytes; a gRPC one is cut into its length-prefixed messages,
 * the first H2_MAX_MSGS of each direction kept, and written into the event
 * when it is built: gzip / deflate inflated (one zlib stream per
 * connection, reused), decoded as schema-less protobuf (protobuf.h),
 * grpc-message percent-decoded. Owns the zlib state of struct http2_state.
 */
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include "h2.h"
#include "../protobuf.h"
#include "../../lib/cursor.h"

/* gRPC over HTTP/2 (https://github.com/grpc/grpc/blob/master/doc/
 * PROTOCOL-HTTP2.md): the DATA of each direction is a sequence of
 *
 *   +------------------+---------------------+------------------+
 *   | Compressed-Flag  | Message-Length (32, | Message          |
 *   | (8: 0 or 1)      |  big-endian)        | (Length bytes)   |
 *   +------------------+---------------------+------------------+
 *
 * messages, which may span DATA frames or share one. Compressed ones use
 * the grpc-encoding of their sender's headers.
 */

/* What a kept body of len bytes has allocated: powers of two from 1 KiB,
 * at most cap. A function of len alone, so no field records it. */
static size_t h2_keep_alloc(size_t len, size_t cap)
{
	size_t a = 1024;

	while (a < len && a < cap)
		a *= 2;
	return a < cap ? a : cap;
}

/* Keep up to cap bytes of a body. The buffer grows with what arrives
 * instead of taking the whole --body-bytes per stream up front. */
static void h2_keep(uint8_t **buf, size_t *len, bool *cut, size_t cap,
		    const uint8_t *p, size_t n)
{
	size_t k;

	if (!n)
		return;
	k = cap - *len < n ? cap - *len : n;
	if (k && (!*buf || h2_keep_alloc(*len + k, cap) > h2_keep_alloc(*len, cap))) {
		uint8_t *nb = realloc(*buf, h2_keep_alloc(*len + k, cap));

		if (!nb) {
			*cut = true;
			return;
		}
		*buf = nb;
	}
	if (k) {
		memcpy(*buf + *len, p, k);
		*len += k;
	}
	if (k < n)
		*cut = true;
}

/* The message in progress of h is complete. */
static void h2_grpc_msg_done(struct h2_half *h, size_t cap)
{
	h->total_msgs++;
	if (!h->msgs && cap)
		h->msgs = calloc(H2_MAX_MSGS, sizeof(*h->msgs));
	if (h->msgs && h->nmsgs < H2_MAX_MSGS && cap) {
		struct h2_gmsg *m = &h->msgs[h->nmsgs];

		m->b = malloc(h->m_keep ? h->m_keep : 1);
		if (m->b) {
			if (h->m_keep)
				memcpy(m->b, h->m_buf, h->m_keep);
			m->n = h->m_keep;
			m->cut = h->m_len > h->m_keep;
			m->comp = h->pfx[0] & 1;
			h->nmsgs++;
		}
	}
	h->pfx_len = 0;
	h->m_keep = 0;
}

static void h2_grpc_feed(struct h2_half *h, const uint8_t *p, size_t n, size_t cap)
{
	while (n) {
		size_t k;

		if (h->pfx_len < 5) {
			h->pfx[h->pfx_len++] = *p++;
			n--;
			if (h->pfx_len == 5) {
				h->m_len = h->m_left = adi_ld_be32(h->pfx + 1);
				h->m_keep = 0;
				if (!h->m_len)
					h2_grpc_msg_done(h, cap);
			}
			continue;
		}
		k = n < h->m_left ? n : h->m_left;
		if (h->m_keep < cap) {
			bool cut = false;

			h2_keep(&h->m_buf, &h->m_keep, &cut, cap, p, k);
		}
		p += k;
		n -= k;
		h->m_left -= (uint32_t)k;
		if (!h->m_left)
			h2_grpc_msg_done(h, cap);
	}
}

/* DATA content for half h of s. */
void h2_data(struct h2_stream *s, struct h2_half *h, const uint8_t *p, size_t n,
		    const struct adi_proto_cfg *cfg)
{
	if (!h->headers)
		h->incomplete = true; /* its header block was not seen */
	h->seen = true;
	h->bytes += n;
	if (s->grpc && !h->incomplete)
		h2_grpc_feed(h, p, n, cfg->body_bytes);
	else if (!s->grpc)
		h2_keep(&h->body, &h->body_len, &h->body_cut, cfg->body_bytes, p, n);
}

/* Inflate a gzip or zlib message into at most cap bytes (*out, caller
 * frees). *cut when more would come out or the input ends early. False on
 * a decoding error. */
static bool h2_gunzip(struct http2_state *st, const uint8_t *in, size_t n, bool in_cut,
		      size_t cap, uint8_t **out, size_t *out_n, bool *cut)
{
	uint8_t spill[64];
	int r;

	*out = malloc(cap ? cap : 1);
	*out_n = 0;
	if (!*out)
		return false;
	if (!st->z) {
		st->z = calloc(1, sizeof(*st->z));
		/* 32 + MAX_WBITS: a gzip or zlib header, detected */
		if (!st->z || inflateInit2(st->z, 32 + MAX_WBITS) != Z_OK) {
			free(st->z);
			st->z = NULL;
			return false;
		}
	} else if (inflateReset(st->z) != Z_OK) {
		return false;
	}
	st->z->next_in = in;
	st->z->avail_in = (uInt)n;
	st->z->next_out = *out;
	st->z->avail_out = (uInt)cap;
	r = inflate(st->z, Z_FINISH);
	*out_n = cap - st->z->avail_out;
	if (r == Z_STREAM_END)
		return true;
	if (r == Z_BUF_ERROR && !st->z->avail_out) {
		/* full: is there more? */
		st->z->next_out = spill;
		st->z->avail_out = sizeof(spill);
		r = inflate(st->z, Z_FINISH);
		*cut = true;
		return r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK;
	}
	if (r == Z_BUF_ERROR && in_cut) {
		*cut = true;
		return true;
	}
	return false;
}

char *h2_hdr_str(struct adi_jv hdrs, const char *k)
{
	size_t n;

	return adi_jv_strdup(adi_jv_get(hdrs, k), &n);
}

/* A compressed message can be shown: the sender's grpc-encoding is gzip
 * or deflate (read as a C string, up to a NUL, as it always was). */
static bool h2_inflatable(struct adi_jv hdrs)
{
	char *enc = h2_hdr_str(hdrs, "grpc-encoding");
	bool ok = enc && (!strcmp(enc, "gzip") || !strcmp(enc, "deflate"));

	free(enc);
	return ok;
}

void h2_messages(struct http2_state *st, struct adi_jw *w, const struct h2_half *h,
		 struct adi_jv hdrs, size_t cap, bool *trunc, const char **err)
{
	int inflatable = -1; /* not asked yet: only compressed messages do */

	adi_jw_arr(w);
	for (unsigned i = 0; i < h->nmsgs; i++) {
		const struct h2_gmsg *m = &h->msgs[i];
		const uint8_t *d = m->b;
		size_t dn = m->n;
		bool cut = m->cut;
		uint8_t *tmp = NULL;

		if (m->comp) {
			if (inflatable < 0)
				inflatable = h2_inflatable(hdrs);
			if (!inflatable) {
				*err = "compressed message: grpc-encoding not decoded";
				adi_jw_bytes(w, d, dn);
				continue;
			}
			cut = false;
			if (!h2_gunzip(st, m->b, m->n, m->cut, cap, &tmp, &dn, &cut)) {
				*err = "compressed message: inflate failed";
				adi_jw_bytes(w, m->b, m->n);
				free(tmp);
				*trunc |= m->cut;
				continue;
			}
			d = tmp;
		}
		if (!adi_pb_write(w, d, dn, cut))
			adi_jw_bytes(w, d, dn);
		*trunc |= cut;
		free(tmp);
	}
	adi_jw_arr_end(w);
	if (h->total_msgs > h->nmsgs)
		*trunc = true;
}

/* grpc-message, percent-decoded (PROTOCOL-HTTP2.md: "%" HEXDIG HEXDIG);
 * a malformed escape stays as sent. Decoded in place: it only shrinks. */
void h2_grpc_message(struct adi_jw *w, struct adi_jv v)
{
	size_t n, o = 0;
	char *s = adi_jv_strdup(v, &n);

	if (!s) {
		adi_jw_null(w);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = adi_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = adi_hexval((unsigned char)s[i + 2])) >= 0) {
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	adi_jw_bytes(w, (const uint8_t *)s, o);
	free(s);
}

void h2_gzip_free(struct http2_state *st)
{
	if (st->z) {
		inflateEnd(st->z);
		free(st->z);
		st->z = NULL;
	}
}
