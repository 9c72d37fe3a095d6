/* facts.c - what a TLS handshake told, as the connection's "tls" object
 * (docs/events.md): protocol versions, cipher suites and alerts by their
 * registered names (IANA TLS parameters; a value not listed is written as
 * hex), the ALPN list walked from its wire form, and the certificate.
 */
#include <stdio.h>

#include "tls_priv.h"

const char *tls_version_name(uint16_t v, char *buf, size_t n)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1.0";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	}
	snprintf(buf, n, "0x%04x", v);
	return buf;
}

const char *tls_cipher_name(uint16_t v, char *buf, size_t n)
{
	static const struct { uint16_t id; const char *name; } suites[] = {
		{ 0x1301, "TLS_AES_128_GCM_SHA256" },
		{ 0x1302, "TLS_AES_256_GCM_SHA384" },
		{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
		{ 0x1304, "TLS_AES_128_CCM_SHA256" },
		{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
		{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
		{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
		{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
		{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
		{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
		{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
		{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
		{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
		{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
		{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
		{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
		{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
		{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
		{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
		{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
		{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
		{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
		{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
		{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
		{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
		{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
		{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
		{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
		{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
		{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
		{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
		{ 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
		{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	};

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == v)
			return suites[i].name;
	snprintf(buf, n, "0x%04x", v);
	return buf;
}

const char *tls_alert_name(uint8_t a)
{
	switch (a) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	}
	return NULL;
}

/* How much of the handshake the decoder saw. */
static const char *handshake_seen(const struct tls_facts *f)
{
	if (f->client_hello && f->server_hello)
		return "seen";
	if (f->client_hello || f->server_hello)
		return "partial";
	return "unseen";
}

static void write_cert(const struct tls_facts *f, struct adi_jw *w)
{
	const struct tls_cert *ct = &f->cert;

	adi_jw_key(w, "certificate");
	if (f->version >= 0x0304) {
		/* TLS 1.3 sends it inside the encrypted handshake */
		adi_jw_str(w, "encrypted");
		return;
	}
	if (!ct->seen) {
		adi_jw_null(w);
		return;
	}
	adi_jw_obj(w);
	adi_jw_kstr(w, "subject", ct->subject);
	adi_jw_kstr(w, "issuer", ct->issuer);
	adi_jw_kstr(w, "not_after", ct->not_after[0] ? ct->not_after : NULL);
	if (ct->ndns) {
		adi_jw_karr(w, "dns_names");
		for (unsigned i = 0; i < ct->ndns; i++)
			adi_jw_str(w, ct->dns[i]);
		adi_jw_arr_end(w);
	}
	adi_jw_obj_end(w);
}

/* The object, in docs/events.md's order: what was negotiated, whom the
 * client asked for, what it offered, the certificate, how much was seen. */
void tls_facts_write(const struct tls_facts *f, struct adi_jw *w)
{
	char b[8];

	adi_jw_reset(w);
	adi_jw_obj(w);
	adi_jw_kstr(w, "version", f->version ? tls_version_name(f->version, b, sizeof(b)) : NULL);
	adi_jw_kstr(w, "cipher", f->server_hello ? tls_cipher_name(f->cipher, b, sizeof(b)) : NULL);
	adi_jw_key(w, "sni");
	if (f->have_sni)
		adi_jw_strn(w, f->sni, f->sni_len);
	else
		adi_jw_null(w);
	adi_jw_key(w, "alpn");
	if (f->have_alpn)
		adi_jw_strn(w, f->alpn, f->alpn_len);
	else
		adi_jw_null(w);
	if (f->client_hello) {
		struct adi_cur c = adi_cur_make(f->alpn_offered, f->alpn_offered_len);
		const uint8_t *name;
		size_t len;

		adi_jw_karr(w, "alpn_offered");
		while (adi_cur_left(&c) && adi_cur_lpstr(&c, 1, true, &name, &len))
			adi_jw_strn(w, (const char *)name, len);
		adi_jw_arr_end(w);
		adi_jw_karr(w, "versions_offered");
		for (unsigned i = 0; i < f->nversions; i++)
			adi_jw_str(w, tls_version_name(f->versions_offered[i], b, sizeof(b)));
		adi_jw_arr_end(w);
	}
	if (f->server_hello)
		write_cert(f, w);
	adi_jw_kstr(w, "handshake", handshake_seen(f));
	if (f->have_alert) {
		const char *a = tls_alert_name(f->alert);

		if (a)
			adi_jw_kstr(w, "alert", a);
		else
			adi_jw_kint(w, "alert", f->alert);
	}
	adi_jw_obj_end(w);
}
