/* record.c - the TLS handshake decoder as the engine sees it: the
 * adi_proto_tls table. parse() takes one record at a time, gathers the
 * handshake messages it carries (they may span records) and hands the ones
 * that say something to hello.c; a direction is done once it goes
 * protected (ChangeCipherSpec, application data, a TLS 1.3 ServerHello):
 * the rest is counted, never decoded. stitch() tells the facts to the
 * connection (adi_emit.annotate). Owns struct tls_state.
 *
 *   TLSPlaintext (RFC 8446 5.1, RFC 5246 6.2.1):
 *   +------+----------------+-----------+------------------------+
 *   | type | legacy_version | length    | fragment[length]       |
 *   | u8   | u16 (0x03 0x0x)| u16 <=18K |                        |
 *   +------+----------------+-----------+------------------------+
 *   Handshake (in fragments of type 22, possibly across records):
 *   +------+-----------+-------------------+
 *   | type | length u24| body[length]      |
 *   +------+-----------+-------------------+
 */
#include <stdlib.h>
#include <string.h>

#include "tls_priv.h"

/* Sniff scores (docs/tls.md): a record header with a ClientHello or a
 * ServerHello after it; another handshake message; protected application
 * data in TLS 1.2/1.3's record version (a connection joined mid-session:
 * five bytes of evidence, so just above the claim). */
#define TLS_SNIFF_HELLO 95
#define TLS_SNIFF_HANDSHAKE 70
#define TLS_SNIFF_APPDATA 62

/* A plausible record header at b (5 bytes). */
static bool rec_ok(const uint8_t *b)
{
	uint16_t len = adi_ld_be16(b + 3);

	return b[0] >= TLS_CT_CCS && b[0] <= TLS_CT_HEARTBEAT && b[1] == 3 && b[2] <= 4 &&
	       len > 0 && len <= TLS_REC_MAX;
}

static int tls_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	(void)c;
	if (n < 1 || (b[0] != TLS_CT_HANDSHAKE && b[0] != TLS_CT_APPDATA))
		return 0;
	if (n < 6)
		return (n < 2 || b[1] == 3) && (n < 3 || b[2] <= 4) ? -1 : 0;
	if (!rec_ok(b))
		return 0;
	if (b[0] == TLS_CT_APPDATA)
		return b[2] == 3 ? TLS_SNIFF_APPDATA : 0;
	if (b[5] == TLS_HS_CLIENT_HELLO || b[5] == TLS_HS_SERVER_HELLO)
		return TLS_SNIFF_HELLO;
	return b[5] <= 24 ? TLS_SNIFF_HANDSHAKE : 0;
}

static struct tls_dir *dir_of(struct tls_state *st, enum adi_dir dir)
{
	return &st->d[dir == ADI_DIR_IN];
}

/* Append a handshake fragment; false when the message in progress
 * outgrew TLS_HS_MAX (it is then skipped to its end, and the direction's
 * handshake no longer read). */
static bool hs_append(struct tls_dir *d, const uint8_t *p, size_t n)
{
	if (d->hs_lost)
		return false;
	if (d->hs_len + n > TLS_HS_MAX) {
		d->hs_lost = true;
		d->hs_len = 0;
		return false;
	}
	if (d->hs_len + n > d->hs_cap) {
		size_t cap = d->hs_cap ? d->hs_cap : 4096;
		uint8_t *nb;

		while (cap < d->hs_len + n)
			cap *= 2;
		nb = realloc(d->hs, cap);
		if (!nb) {
			d->hs_lost = true;
			return false;
		}
		d->hs = nb;
		d->hs_cap = cap;
	}
	memcpy(d->hs + d->hs_len, p, n);
	d->hs_len += n;
	return true;
}

/* Decode every whole handshake message held; true when the facts changed.
 * A TLS 1.3 ServerHello ends the direction's cleartext. */
static bool hs_messages(struct tls_state *st, struct tls_dir *d)
{
	size_t at = 0;
	bool changed = false;

	while (d->hs_len - at >= 4) {
		uint8_t type = d->hs[at];
		uint32_t len = adi_ld_be24(d->hs + at + 1);
		struct adi_cur body;

		if (d->hs_len - at - 4 < len)
			break;
		body = adi_cur_make(d->hs + at + 4, len);
		switch (type) {
		case TLS_HS_CLIENT_HELLO:
			changed |= tls_client_hello(&st->f, &body);
			break;
		case TLS_HS_SERVER_HELLO:
			changed |= tls_server_hello(&st->f, &body);
			if (st->f.server_hello && st->f.version >= 0x0304)
				d->done = true; /* EncryptedExtensions on: protected */
			break;
		case TLS_HS_CERTIFICATE:
			changed |= tls_certificate(&st->f, &body);
			break;
		}
		at += 4 + len;
		if (d->done)
			break;
	}
	memmove(d->hs, d->hs + at, d->hs_len - at);
	d->hs_len -= at;
	return changed;
}

/* parse(): see proto.h. One whole record per call (AGAIN with nothing
 * consumed until it is all there, at most 5 + TLS_REC_MAX bytes): FRAME
 * when it changed the facts (stitch tells them), SKIP otherwise, DONE once
 * the direction is protected. */
static enum adi_parse tls_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
				const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct tls_state *st = vst;
	struct tls_dir *d = dir_of(st, dir);
	bool changed = false;
	uint16_t len;

	(void)cfg;
	*used = 0;
	if (!b)
		return ADI_PARSE_AGAIN; /* nothing is delimited by the end */
	if (d->done)
		return ADI_PARSE_DONE;
	if (n < 5)
		return ADI_PARSE_AGAIN;
	if (!rec_ok(b))
		return ADI_PARSE_BAD;
	len = adi_ld_be16(b + 3);
	if (n < 5u + len)
		return ADI_PARSE_AGAIN;
	switch (b[0]) {
	case TLS_CT_HANDSHAKE:
		if (hs_append(d, b + 5, len))
			changed = hs_messages(st, d);
		break;
	case TLS_CT_CCS:
		/* what follows in this direction is encrypted -- except after a
		 * HelloRetryRequest, which only TLS 1.3 has: there it is the
		 * middlebox-compatibility dummy (RFC 8446 D.4) and the second
		 * hellos still come in the clear */
		if (!st->f.hrr)
			d->done = true;
		break;
	case TLS_CT_ALERT:
		/* two bytes in the clear; longer is an encrypted one (TLS 1.2) */
		if (len == 2) {
			st->f.have_alert = true;
			st->f.alert_level = b[5];
			st->f.alert = b[6];
			changed = true;
		}
		break;
	case TLS_CT_APPDATA:
		d->done = true;
		if (!st->f.client_hello && !st->f.server_hello && !st->f.unseen) {
			st->f.unseen = true; /* joined after the handshake */
			changed = true;
		}
		break;
	}
	*used = 5u + len;
	if (!changed)
		return ADI_PARSE_SKIP;
	st->changed++;
	out->kind = 1;
	out->key = TLS_MSG_KEY;
	return ADI_PARSE_FRAME;
}

/* gap(): bytes lost cannot be skipped over inside a record (its length is
 * what framing rests on): resync. (A gap before anything was parsed is how
 * the engine says the decoder joined mid-stream: protected records then
 * say the handshake was unseen.) */
static bool tls_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	(void)n;
	/* a protected direction reads nothing more: lost bytes change nothing */
	return dir_of(vst, dir)->done;
}

/* resync(): the next plausible record header (a header cut by the end of
 * b counts as one: the next bytes decide). Handshake reassembly restarts. */
static size_t tls_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct tls_dir *d = dir_of(vst, dir);

	if (d->done)
		return 0; /* parse() says DONE there */
	d->hs_len = 0;
	d->hs_lost = false;
	for (size_t i = 0; i < n; i++) {
		if (b[i] < TLS_CT_CCS || b[i] > TLS_CT_HEARTBEAT)
			continue;
		if (n - i < 5) {
			if ((n - i < 2 || b[i + 1] == 3) && (n - i < 3 || b[i + 2] <= 4) &&
			    (n - i < 4 || b[i + 3] <= TLS_REC_MAX >> 8))
				return i;
			continue;
		}
		if (rec_ok(b + i))
			return i;
	}
	return n;
}

/* stitch(): the decoder's messages only say "the facts changed": the
 * facts are told once per change. Messages a decoder that handed over
 * left queued (PostgreSQL's SSLRequest, already told) are dropped. */
static void tls_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		       struct adi_emit *em, bool final)
{
	struct tls_state *st = vst;
	struct adi_msg *m;

	(void)final;
	while ((m = adi_msgq_pop(out_q)))
		adi_msg_free(m);
	while ((m = adi_msgq_pop(in_q)))
		adi_msg_free(m);
	struct adi_jw *w = &st->w[!st->cur], *last = &st->w[st->cur];

	if (st->told == st->changed || !em->annotate)
		return;
	st->told = st->changed;
	tls_facts_write(&st->f, w);
	if (w->err || (w->len == last->len && last->len && !memcmp(w->buf, last->buf, w->len)))
		return;
	st->cur = !st->cur;
	em->annotate(em, "tls", w->buf, w->len);
}

static void tls_fini(void *vst)
{
	struct tls_state *st = vst;

	for (int i = 0; i < 2; i++)
		free(st->d[i].hs);
	adi_jw_fini(&st->w[0]);
	adi_jw_fini(&st->w[1]);
	memset(st, 0, sizeof(*st));
}

const struct adi_proto adi_proto_tls = {
	.name = "tls",
	.state_size = sizeof(struct tls_state),
	.sniff = tls_sniff,
	.parse = tls_parse,
	.gap = tls_gap,
	.resync = tls_resync,
	.stitch = tls_stitch,
	.fini = tls_fini,
};
