/* hpack.c - header blocks of the HTTP/2 decoder: a block (HEADERS or
 * PUSH_PROMISE and its CONTINUATIONs) decoded through libnghttp2's HPACK
 * inflater, or walked field by field when the dynamic table is unknown;
 * its fields (lower-case names, secrets redacted) written once as JSON into
 * their stream's text (struct h2_stream.txt) as request, response or
 * trailers, an interim status kept as a number. Owns the inflaters and the
 * block, field and join buffers of struct h2_side (freed by fini()).
 */
#include <stdlib.h>
#include <string.h>

#include "h2.h"
#include "../../lib/cursor.h"

/* HPACK (RFC 7541, https://www.rfc-editor.org/rfc/rfc7541): decoded by
 * libnghttp2's inflater, one per direction (each direction has its own
 * dynamic table, sized by the peer's SETTINGS_HEADER_TABLE_SIZE). When the
 * start of a direction was not seen, or bytes of it were lost, its dynamic
 * table is unknown: the block is then walked field by field (6.1-6.3):
 *
 *   1xxxxxxx                  indexed field, index in 7-bit prefix
 *   01xxxxxx [name] value     literal, incremental indexing, 6-bit name index
 *   0000xxxx [name] value     literal without indexing, 4-bit name index
 *   0001xxxx [name] value     literal never indexed, 4-bit name index
 *   001xxxxx                  dynamic table size update, 5-bit
 *   string: H (Huffman) bit + 7-bit prefix length, then the octets
 *
 * A field that refers to the dynamic table (an index above 61) is counted
 * as unknown, never shown; the others are decoded one by one by a second
 * inflater whose table is never referred to (it also decodes Huffman).
 */

/* buf (*cap bytes; NULL and 0 at first) grown by doubling from 1 KiB until
 * it holds need bytes: the buffer to use, *cap updated, or NULL when memory
 * ran out (buf is then still allocated, *cap unchanged). */
static void *h2_grow(void *buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 1024;
	void *nb;

	if (buf && need <= *cap)
		return buf;
	while (c < need)
		c *= 2;
	nb = realloc(buf, c);
	if (nb)
		*cap = c;
	return nb;
}

static void h2_nv_add(struct h2_side *sd, const uint8_t *name, size_t nlen,
		      const uint8_t *val, size_t vlen)
{
	size_t need = nlen + vlen, at;
	uint8_t nul = 1;
	char *fb;

	if (sd->nnv == H2_MAX_FIELDS || sd->fb_len + need > H2_MAX_FIELD_BYTES) {
		sd->nv_cut = true;
		return;
	}
	fb = h2_grow(sd->fb, &sd->fb_cap, sd->fb_len + need);
	if (!fb) {
		sd->nv_cut = true;
		return;
	}
	sd->fb = fb;
	at = sd->fb_len;
	for (size_t i = 0; i < nlen; i++) {
		uint8_t c = name[i];

		nul &= c != 0; /* stays 1 while there is no NUL */
		/* HTTP/2 names are lower case (8.2.1) */
		fb[at + i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	sd->nv_nul |= !nul;
	if (vlen)
		memcpy(fb + at + nlen, val, vlen);
	sd->nv[sd->nnv].name = at;
	sd->nv[sd->nnv].nlen = nlen;
	sd->nv[sd->nnv].val = at + nlen;
	sd->nv[sd->nnv].vlen = vlen;
	sd->fb_len = at + need;
	sd->nnv++;
}

/* Run inf over p[0..n) (final: the block ends there), adding the fields it
 * emits. Returns false on a decoding error (the inflater is then useless). */
static bool h2_inflate(struct h2_side *sd, nghttp2_hd_inflater *inf,
		       const uint8_t *p, size_t n, bool final)
{
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &flags, p, n, final);

		if (r < 0 || (size_t)r > n)
			return false;
		p += r;
		n -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			h2_nv_add(sd, nv.name, nv.namelen, nv.value, nv.valuelen);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(inf);
			return true;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && n == 0)
			return !final;
	}
}

/* An HPACK integer with an N-bit prefix at the cursor (5.1). False when
 * the bytes end inside it (the cursor is then at the end) or when it runs
 * past 2^35 (the cursor stays at the byte that would continue it). */
static bool hp_int(struct adi_cur *c, unsigned bits, uint64_t *v)
{
	uint64_t mask = (1u << bits) - 1, x;
	unsigned m = 0;
	uint8_t b;

	if (!adi_cur_u8(c, &b))
		return false;
	x = b & mask;
	if (x < mask) {
		*v = x;
		return true;
	}
	for (;;) {
		if (m > 28 || !adi_cur_u8(c, &b))
			return false;
		x += (uint64_t)(b & 0x7f) << m;
		m += 7;
		if (!(b & 0x80))
			break;
	}
	*v = x;
	return true;
}

/* A string literal at the cursor (5.2): skipped. False when its length
 * runs past the end (the cursor then stays after the length). */
static bool hp_str(struct adi_cur *c)
{
	uint64_t len;

	if (!hp_int(c, 7, &len) || len > adi_cur_left(c))
		return false;
	return adi_cur_skip(c, (size_t)len);
}

/* Walk a block whose dynamic table is unknown (see above). */
static void h2_walk(struct h2_side *sd, const uint8_t *b, size_t n)
{
	struct adi_cur cur = adi_cur_make(b, n);

	while (adi_cur_left(&cur)) {
		size_t at = cur.pos;
		uint8_t c = *adi_cur_ptr(&cur);
		uint64_t idx;
		bool ok;

		if (c & 0x80) {
			ok = hp_int(&cur, 7, &idx) && idx != 0;
		} else if ((c & 0xe0) == 0x20) {
			if (!hp_int(&cur, 5, &idx))
				break;
			continue; /* table size updates change nothing shown */
		} else {
			ok = hp_int(&cur, (c & 0xc0) == 0x40 ? 6 : 4, &idx) &&
			     (idx || hp_str(&cur)) && hp_str(&cur);
		}
		if (!ok)
			break;
		if (idx > H2_STATIC_LAST) {
			sd->unknown++;
			continue;
		}
		if (!sd->one && nghttp2_hd_inflate_new(&sd->one))
			sd->one = NULL;
		if (!sd->one || !h2_inflate(sd, sd->one, b + at, cur.pos - at, true)) {
			if (sd->one)
				nghttp2_hd_inflate_del(sd->one);
			sd->one = NULL;
			sd->unknown++;
		}
	}
	if (adi_cur_left(&cur))
		sd->unknown++; /* the rest cannot be told apart */
}

/* The table of this direction is unknown from here on. */
void h2_side_lose(struct h2_side *sd)
{
	sd->lost = true;
	if (sd->inf) {
		nghttp2_hd_inflate_del(sd->inf);
		sd->inf = NULL;
	}
}

/* A header table size that changed (h2_table_set) reaches the inflater
 * between blocks only (nghttp2_hd_inflate_change_table_size's rule). */
void h2_table_apply(struct h2_side *sd)
{
	if (!sd->table_dirty || !sd->inf || sd->in_block)
		return;
	sd->table_dirty = false;
	if (nghttp2_hd_inflate_change_table_size(sd->inf, sd->table))
		h2_side_lose(sd);
}

void h2_block_reset(struct h2_side *sd)
{
	sd->in_block = false;
	sd->block_broken = false;
	sd->hb_len = 0;
	sd->hb_cut = false;
	sd->fb_len = 0;
	sd->nnv = 0;
	sd->unknown = 0;
	sd->nv_cut = false;
	sd->nv_nul = false;
}

void h2_block_begin(struct h2_side *sd, const struct h2_fhdr *f, uint32_t promised)
{
	h2_block_reset(sd);
	sd->block_type = f->type;
	sd->block_sid = f->sid;
	sd->promised = promised;
	sd->block_end_stream = f->type == H2_HEADERS && (f->flags & H2_F_END_STREAM);
	if (!sd->lost && !sd->start_ok)
		h2_side_lose(sd);
	if (!sd->lost && !sd->inf) {
		if (nghttp2_hd_inflate_new(&sd->inf)) {
			sd->inf = NULL;
			h2_side_lose(sd);
		} else {
			/* a new inflater starts at the default size */
			sd->table_dirty = sd->table != H2_DEFAULT_TABLE;
		}
	}
	h2_table_apply(sd);
	sd->in_block = true;
}

/* A fragment of the block in progress. */
void h2_block_feed(struct h2_side *sd, const uint8_t *p, size_t n)
{
	uint8_t *hb;

	if (!n || sd->block_broken)
		return;
	if (!sd->lost) {
		if (!h2_inflate(sd, sd->inf, p, n, false)) {
			h2_side_lose(sd);
			sd->block_broken = true;
		}
		return;
	}
	if (sd->hb_len + n > H2_MAX_HBLOCK) {
		sd->hb_cut = true;
		n = H2_MAX_HBLOCK - sd->hb_len;
	}
	if (!n)
		return;
	hb = h2_grow(sd->hb, &sd->hb_cap, sd->hb_len + n);
	if (!hb) {
		sd->block_broken = true;
		return;
	}
	sd->hb = hb;
	memcpy(sd->hb + sd->hb_len, p, n);
	sd->hb_len += n;
}

static bool h2_secret(const char *name, size_t n)
{
#define H2_SECRET(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *s;
		size_t n;
	} sec[] = {
		H2_SECRET("authorization"), H2_SECRET("proxy-authorization"),
		H2_SECRET("cookie"), H2_SECRET("set-cookie"),
	};
#undef H2_SECRET

	for (size_t i = 0; i < sizeof(sec) / sizeof(sec[0]); i++)
		if (sec[i].n == n && !memcmp(sec[i].s, name, n))
			return true;
	return false;
}

static bool h2_name_is(const struct h2_side *sd, const struct h2_nv *v, const char *s)
{
	return v->nlen == strlen(s) && !memcmp(sd->fb + v->name, s, v->nlen);
}

/* A regular field shown in the headers object: not a pseudo-header, a
 * name of 1 to 255 bytes. */
static bool h2_shown(const struct h2_side *sd, const struct h2_nv *v)
{
	return v->nlen && sd->fb[v->name] != ':' && v->nlen < 256;
}

static bool h2_same_name(const struct h2_side *sd, const struct h2_nv *a,
			 const struct h2_nv *b)
{
	return a->nlen == b->nlen && !memcmp(sd->fb + a->name, sd->fb + b->name, a->nlen);
}

/* A field's key in the headers object: its name up to a NUL in it. The
 * keys were C strings when the object was a json.h tree, and the output
 * stays what it was: names alike up to a NUL share one key, at the place
 * of the first, with the value of the last of them to come. */
static size_t h2_key_len(const struct h2_side *sd, const struct h2_nv *v)
{
	const char *z = sd->nv_nul ? memchr(sd->fb + v->name, 0, v->nlen) : NULL;

	return z ? (size_t)(z - (sd->fb + v->name)) : v->nlen;
}

static bool h2_same_key(const struct h2_side *sd, const struct h2_nv *a, size_t kl,
			const struct h2_nv *b)
{
	return h2_shown(sd, b) && h2_key_len(sd, b) == kl &&
	       !memcmp(sd->fb + a->name, sd->fb + b->name, kl);
}

/* The field whose value the key (kl bytes) of field k shows: k itself,
 * or, with a NUL in a name, the first field of the last name after k to
 * share the key (json.h replaced a key's value in place). */
static unsigned h2_key_owner(const struct h2_side *sd, unsigned k, size_t kl)
{
	unsigned win = k;

	if (!sd->nv_nul)
		return k;
	for (unsigned m = k + 1; m < sd->nnv; m++) {
		unsigned j;

		if (!h2_same_key(sd, &sd->nv[k], kl, &sd->nv[m]))
			continue;
		for (j = k; j < m && !h2_same_name(sd, &sd->nv[j], &sd->nv[m]); j++)
			;
		if (j == m)
			win = m; /* the first field of that name */
	}
	return win;
}

/* The value of the fields named like field k, from k on: one, or all
 * joined with ", " ("; " for cookie, 8.2.3). */
static void h2_field_value(struct h2_side *sd, struct adi_jw *w, unsigned k, bool cookie)
{
	const struct h2_nv *a = &sd->nv[k];
	size_t jn = 0;
	unsigned j;

	for (j = k + 1; j < sd->nnv && !h2_same_name(sd, a, &sd->nv[j]); j++)
		;
	if (j == sd->nnv) {
		/* the common case: named once, written from the field buffer */
		adi_jw_bytes(w, (const uint8_t *)sd->fb + a->val, a->vlen);
		return;
	}
	for (j = k; j < sd->nnv; j++) {
		const struct h2_nv *b = &sd->nv[j];
		size_t need = jn + b->vlen + 2;

		if (!h2_same_name(sd, a, b))
			continue;
		if (need > sd->jb_cap) {
			char *t = realloc(sd->jb, need * 2);

			if (!t)
				break;
			sd->jb = t;
			sd->jb_cap = need * 2;
		}
		if (j > k) {
			sd->jb[jn++] = cookie ? ';' : ',';
			sd->jb[jn++] = ' ';
		}
		memcpy(sd->jb + jn, sd->fb + b->val, b->vlen);
		jn += b->vlen;
	}
	adi_jw_bytes(w, (const uint8_t *)sd->jb, jn);
}

/* The regular fields of the block written into w as an object:
 * lower-case names, each once, at the place of its first field, repeated
 * ones joined, secrets redacted unless show_secrets. */
static void h2_fields(struct h2_side *sd, struct adi_jw *w, bool show_secrets)
{
	adi_jw_obj(w);
	for (unsigned k = 0; k < sd->nnv; k++) {
		const struct h2_nv *a = &sd->nv[k], *o;
		size_t kl;
		unsigned j;

		if (!h2_shown(sd, a))
			continue;
		kl = h2_key_len(sd, a);
		for (j = 0; j < k && !h2_same_key(sd, a, kl, &sd->nv[j]); j++)
			;
		if (j < k)
			continue; /* its key is written already */
		o = &sd->nv[h2_key_owner(sd, k, kl)];
		adi_jw_keyn(w, sd->fb + a->name, kl);
		if (!show_secrets && h2_secret(sd->fb + o->name, o->nlen))
			adi_jw_str(w, "<redacted>");
		else
			h2_field_value(sd, w, (unsigned)(o - sd->nv),
				       kl == 6 && !memcmp(sd->fb + a->name, "cookie", 6));
	}
	adi_jw_obj_end(w);
}

/* The value of field `name` in the block, or NULL. */
static const struct h2_nv *h2_nv_get(const struct h2_side *sd, const char *name)
{
	for (unsigned k = 0; k < sd->nnv; k++)
		if (h2_name_is(sd, &sd->nv[k], name))
			return &sd->nv[k];
	return NULL;
}

/* Pseudo-header `name` of the block into *slot of s, when it is there
 * and the slot still empty. */
static void h2_keep_nv(struct h2_stream *s, struct h2_val *slot, const struct h2_side *sd,
		       const char *name)
{
	const struct h2_nv *v;

	if (slot->len || !(v = h2_nv_get(sd, name)))
		return;
	h2_keep_bytes(s, slot, (const uint8_t *)sd->fb + v->val, v->vlen);
}

/* The headers object of the block, written into s's text. */
static struct h2_val h2_fields_val(struct h2_side *sd, struct h2_stream *s, bool show_secrets)
{
	size_t from = h2_val_begin(s);

	h2_fields(sd, &s->txt, show_secrets);
	return h2_val_end(s, from);
}

/* An interim status (1xx) of s, after those before it. */
static void h2_interim(struct h2_stream *s, int status)
{
	if (s->ninterim == s->interim_cap) {
		unsigned cap = s->interim_cap ? s->interim_cap * 2 : 4;
		uint16_t *a = realloc(s->interim, cap * sizeof(*a));

		if (!a)
			return;
		s->interim = a;
		s->interim_cap = cap;
	}
	s->interim[s->ninterim++] = (uint16_t)status;
}

static int h2_nv_status(const struct h2_side *sd)
{
	const struct h2_nv *v = h2_nv_get(sd, ":status");
	int x = 0;

	if (!v || v->vlen != 3)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		char c = sd->fb[v->val + i];

		if (c < '0' || c > '9')
			return 0;
		x = x * 10 + (c - '0');
	}
	return x >= 100 ? x : 0;
}

static bool h2_is_grpc(const struct h2_side *sd)
{
	const struct h2_nv *v = h2_nv_get(sd, "content-type");

	return v && v->vlen >= 16 && !memcmp(sd->fb + v->val, "application/grpc", 16);
}

/* The block of direction dir is complete: its fields go to their stream.
 * Returns the stream id to mark (0: none). */
uint32_t h2_block_done(struct http2_state *st, struct h2_side *sd, enum adi_dir dir,
		       const struct adi_proto_cfg *cfg)
{
	struct h2_stream *s;
	struct h2_half *h;
	bool created, req_block;
	uint32_t sid = sd->block_type == H2_PUSH_PROMISE ? sd->promised : sd->block_sid;
	int status;

	if (!sd->block_broken) {
		if (sd->lost)
			h2_walk(sd, sd->hb, sd->hb_len);
		else if (!h2_inflate(sd, sd->inf, (const uint8_t *)"", 0, true)) {
			h2_side_lose(sd);
			sd->unknown++;
		}
	}
	if (sd->hb_cut)
		sd->nv_cut = true;
	/* the first request or response tells which direction is the
	 * client's when the preface did not */
	if (!st->preface_seen && !st->dir_learnt && sd->block_type == H2_HEADERS) {
		if (h2_nv_get(sd, ":method")) {
			st->client_dir = dir;
			st->dir_learnt = true;
		} else if (h2_nv_get(sd, ":status")) {
			st->client_dir = h2_other(dir);
			st->dir_learnt = true;
		}
	}
	s = h2_get(st, sid, true, sd->block_type == H2_PUSH_PROMISE, &created);
	sd->in_block = false;
	if (!s)
		return 0;
	if (sd->block_type == H2_PUSH_PROMISE) {
		s->pushed = true;
		s->pushed_on = sd->block_sid;
		h = &s->h[0];
		h->ended = true;
		req_block = true;
	} else {
		h = h2_half_of(st, s, dir);
		req_block = h == &s->h[0];
	}
	h->seen = true;
	h->unknown += sd->unknown + (sd->block_broken ? 1 : 0);
	h->hdr_cut |= sd->nv_cut;
	status = h2_nv_status(sd);
	if (!h->headers && !req_block && status / 100 == 1 && status != 101) {
		/* an interim response (8.1): its status only */
		h2_interim(s, status);
	} else if (!h->headers) {
		h->headers = true;
		h->hdrs = h2_fields_val(sd, s, cfg->show_secrets);
		if (req_block) {
			h2_keep_nv(s, &s->method, sd, ":method");
			h2_keep_nv(s, &s->path, sd, ":path");
			h2_keep_nv(s, &s->authority, sd, ":authority");
		} else {
			s->status = status;
		}
		if (h2_is_grpc(sd))
			s->grpc = true;
	} else if (!h->trailers.len) {
		h->trailers = h2_fields_val(sd, s, cfg->show_secrets);
	}
	if (sd->block_end_stream)
		h->ended = true;
	(void)created;
	return sid;
}

/* A block cut by another frame or lost bytes: its stream's half shows
 * that fields are missing; the table is unknown from here on. */
void h2_block_abort(struct http2_state *st, struct h2_side *sd, enum adi_dir dir)
{
	struct h2_stream *s;

	if (!sd->in_block)
		return;
	s = h2_find(st, sd->block_type == H2_PUSH_PROMISE ? sd->promised : sd->block_sid);
	if (s) {
		struct h2_half *h = h2_half_of(st, s, dir);

		h->unknown++;
		h->incomplete = true;
	}
	h2_side_lose(sd);
	h2_block_reset(sd);
}

/* The header table size the peer of sd's direction allows now applies to
 * sd's table (taken up at its next block: nghttp2 allows a change only
 * between blocks). */
void h2_table_set(struct h2_side *sd, uint32_t v)
{
	if (v == sd->table)
		return;
	sd->table = v;
	sd->table_dirty = true;
	h2_table_apply(sd);
}
