/* hello.c - the handshake messages that say who a TLS connection talks to,
 * decoded into struct tls_facts: the ClientHello (server_name, ALPN,
 * supported_versions), the ServerHello (version, cipher suite, ALPN in
 * TLS 1.2, a HelloRetryRequest told apart) and a TLS 1.2 server's leaf
 * certificate (subject, issuer, notAfter, subjectAltName DNS names; DER,
 * X.690). Everything read through adi_cur: a message cut short yields what
 * was whole before the cut. Specs: RFC 8446 4.1.2-4.1.3, RFC 5246 7.4,
 * RFC 6066 3, RFC 7301, RFC 5280 4.1.
 */
#include <stdio.h>
#include <string.h>

#include "tls_priv.h"

/* extension types */
enum {
	EXT_SERVER_NAME = 0,
	EXT_ALPN = 16,
	EXT_SUPPORTED_VERSIONS = 43,
};

/* SHA-256("HelloRetryRequest"): a ServerHello with this random is one
 * (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* GREASE values (RFC 8701) are noise a client adds: never reported. */
static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Copy at most cap bytes of s[0..n) into dst (NUL terminated); *len gets
 * what was kept. */
static void keep_name(char *dst, uint16_t *len, size_t cap, const uint8_t *s, size_t n)
{
	if (n > cap)
		n = cap;
	memcpy(dst, s, n);
	dst[n] = '\0';
	*len = (uint16_t)n;
}

/*   struct { NameType name_type; opaque HostName<1..2^16-1>; } ServerName;
 *   ServerName server_name_list<1..2^16-1>;        host_name(0) only */
static void ext_sni(struct tls_facts *f, struct adi_cur *c)
{
	struct adi_cur list;
	uint16_t n;

	if (!adi_cur_be16(c, &n) || !adi_cur_sub(c, n, &list))
		return;
	while (adi_cur_left(&list)) {
		const uint8_t *name;
		size_t len;
		uint8_t type;

		if (!adi_cur_u8(&list, &type) || !adi_cur_lpstr(&list, 2, true, &name, &len))
			return;
		if (type == 0 && len) {
			keep_name(f->sni, &f->sni_len, TLS_NAME_MAX, name, len);
			f->have_sni = true;
			return;
		}
	}
}

/*   opaque ProtocolName<1..2^8-1>;
 *   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 * The client's list is kept as it is on the wire (facts.c walks it); the
 * server's has one name. */
static void ext_alpn(struct tls_facts *f, struct adi_cur *c, bool server)
{
	struct adi_cur list;
	const uint8_t *name;
	size_t len;
	uint16_t n;

	if (!adi_cur_be16(c, &n) || !adi_cur_sub(c, n, &list))
		return;
	if (!server) {
		/* whole names only: a list cut at the cap ends at the last one */
		size_t keep = 0;

		while (adi_cur_left(&list) &&
		       adi_cur_lpstr(&list, 1, true, &name, &len) &&
		       list.pos <= TLS_ALPN_WIRE_MAX)
			keep = list.pos;
		memcpy(f->alpn_offered, list.p, keep);
		f->alpn_offered_len = (uint16_t)keep;
		return;
	}
	if (adi_cur_lpstr(&list, 1, true, &name, &len) && len) {
		keep_name(f->alpn, &f->alpn_len, TLS_NAME_MAX, name, len);
		f->have_alpn = true;
	}
}

/* ClientHello: uint8 versions<2..254>; ServerHello: the one selected. */
static void ext_versions(struct tls_facts *f, struct adi_cur *c, bool server)
{
	uint16_t v;
	uint8_t n;

	if (server) {
		if (adi_cur_be16(c, &v))
			f->version = v;
		return;
	}
	if (!adi_cur_u8(c, &n))
		return;
	f->nversions = 0;
	for (unsigned i = 0; i + 2 <= n && adi_cur_be16(c, &v); i += 2)
		if (!grease(v) && f->nversions < TLS_VERSIONS_MAX)
			f->versions_offered[f->nversions++] = v;
}

/*   Extension extensions<0..2^16-1>;  struct { uint16 type; opaque data<0..2^16-1>; } */
static void extensions(struct tls_facts *f, struct adi_cur *c, bool server)
{
	struct adi_cur all;
	uint16_t n;

	if (!adi_cur_left(c) || !adi_cur_be16(c, &n) || !adi_cur_sub(c, n, &all))
		return; /* none: a hello without extensions is valid (TLS 1.0) */
	while (adi_cur_left(&all)) {
		struct adi_cur data;
		uint16_t type, len;

		if (!adi_cur_be16(&all, &type) || !adi_cur_be16(&all, &len) ||
		    !adi_cur_sub(&all, len, &data))
			return;
		switch (type) {
		case EXT_SERVER_NAME:
			if (!server)
				ext_sni(f, &data);
			break;
		case EXT_ALPN:
			ext_alpn(f, &data, server);
			break;
		case EXT_SUPPORTED_VERSIONS:
			ext_versions(f, &data, server);
			break;
		}
	}
}

/*   uint16 legacy_version; Random random; opaque legacy_session_id<0..32>;
 *   CipherSuite cipher_suites<2..2^16-2>; opaque compression<1..2^8-1>;
 *   Extension extensions<8..2^16-1>;
 * A second ClientHello (after a HelloRetryRequest) says it again. */
bool tls_client_hello(struct tls_facts *f, struct adi_cur *c)
{
	const uint8_t *p;
	size_t len;

	if (!adi_cur_be16(c, &f->client_version) || !adi_cur_skip(c, 32) ||
	    !adi_cur_lpstr(c, 1, true, &p, &len) || !adi_cur_lpstr(c, 2, true, &p, &len) ||
	    !adi_cur_lpstr(c, 1, true, &p, &len))
		return false;
	f->client_hello = true;
	/* without supported_versions the legacy field is the offer */
	f->nversions = 1;
	f->versions_offered[0] = f->client_version;
	extensions(f, c, false);
	return true;
}

/*   uint16 legacy_version; Random random; opaque legacy_session_id_echo<0..32>;
 *   CipherSuite cipher_suite; uint8 legacy_compression_method;
 *   Extension extensions<6..2^16-1>;
 * The version is supported_versions' when present (TLS 1.3), else the
 * legacy field. A HelloRetryRequest has the same shape and a fixed random:
 * the real ServerHello follows. */
bool tls_server_hello(struct tls_facts *f, struct adi_cur *c)
{
	const uint8_t *random, *sid;
	uint16_t legacy, cipher;
	uint8_t comp;
	size_t len;

	if (!adi_cur_be16(c, &legacy) || !adi_cur_bytes(c, 32, &random) ||
	    !adi_cur_lpstr(c, 1, true, &sid, &len) || !adi_cur_be16(c, &cipher) ||
	    !adi_cur_u8(c, &comp))
		return false;
	if (!memcmp(random, hrr_random, sizeof(hrr_random))) {
		f->hrr = true;
		return false; /* nothing shown changes: the real one follows */
	}
	f->server_hello = true;
	f->version = legacy;
	f->cipher = cipher;
	extensions(f, c, true);
	return true;
}

/* ---- DER (X.690), as much as a certificate's names need ---- */

/* One TLV at c: its tag and a cursor over its contents. Definite lengths
 * of up to 4 bytes only (DER has nothing else). */
static bool der_tlv(struct adi_cur *c, uint8_t *tag, struct adi_cur *val)
{
	uint8_t l0;
	uint32_t len = 0;

	if (!adi_cur_u8(c, tag) || !adi_cur_u8(c, &l0))
		return false;
	if (l0 < 0x80) {
		len = l0;
	} else {
		unsigned k = l0 & 0x7f;

		if (k == 0 || k > 4)
			return adi_cur_fail(c);
		for (unsigned i = 0; i < k; i++) {
			uint8_t b;

			if (!adi_cur_u8(c, &b))
				return false;
			len = len << 8 | b;
		}
	}
	return adi_cur_sub(c, len, val);
}

/* The next TLV must have tag want. */
static bool der_expect(struct adi_cur *c, uint8_t want, struct adi_cur *val)
{
	uint8_t tag;

	return der_tlv(c, &tag, val) && (tag == want || adi_cur_fail(c));
}

/* Attribute types of a Name written by their short names (RFC 4514 3). */
static const char *dn_attr(const struct adi_cur *oid)
{
	static const struct { uint8_t last; const char *name; } known[] = {
		{ 3, "CN" }, { 6, "C" }, { 7, "L" }, { 8, "ST" }, { 10, "O" }, { 11, "OU" },
	};
	/* id-at: 2.5.4.x = 55 04 xx */
	if (oid->n != 3 || oid->p[0] != 0x55 || oid->p[1] != 0x04)
		return NULL;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (oid->p[2] == known[i].last)
			return known[i].name;
	return NULL;
}

/* Bytes a name string may show: printable ASCII, the rest as '?'. */
static void dn_put(char *out, size_t cap, size_t *at, const char *s, const uint8_t *v, size_t n)
{
	size_t k = strlen(s);

	if (*at + k + 1 >= cap)
		return;
	memcpy(out + *at, s, k);
	*at += k;
	for (size_t i = 0; i < n && *at + 1 < cap; i++)
		out[(*at)++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
	out[*at] = '\0';
}

/*   Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF
 *            AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY })
 * Written "CN=x,O=y" in the certificate's order, known attributes only. */
static void der_name(struct adi_cur *name, char *out, size_t cap)
{
	size_t at = 0;

	out[0] = '\0';
	while (adi_cur_left(name)) {
		struct adi_cur rdn, atv, oid, val;
		uint8_t tag;

		if (!der_expect(name, 0x31, &rdn))
			return;
		while (adi_cur_left(&rdn)) {
			const char *a;
			char pre[8];

			if (!der_expect(&rdn, 0x30, &atv) || !der_expect(&atv, 0x06, &oid) ||
			    !der_tlv(&atv, &tag, &val))
				return;
			a = dn_attr(&oid);
			/* string types: UTF8, Printable, T61, IA5 (BMP is not shown) */
			if (!a || (tag != 0x0c && tag != 0x13 && tag != 0x14 && tag != 0x16))
				continue;
			snprintf(pre, sizeof(pre), "%s%s=", at ? "," : "", a);
			dn_put(out, cap, &at, pre, val.p, val.n);
		}
	}
}

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ -> RFC 3339. */
static void der_time(uint8_t tag, const struct adi_cur *t, char *out, size_t cap)
{
	char y[5];
	const uint8_t *p = t->p;
	size_t yl = tag == 0x17 ? 2 : 4;

	out[0] = '\0';
	if (t->n < yl + 10 || (tag != 0x17 && tag != 0x18))
		return;
	for (size_t i = 0; i < yl + 10; i++)
		if (p[i] < '0' || p[i] > '9')
			return;
	if (yl == 2) /* RFC 5280 4.1.2.5.1: 50..99 are 19xx */
		snprintf(y, sizeof(y), "%s%c%c", p[0] >= '5' ? "19" : "20", p[0], p[1]);
	else
		snprintf(y, sizeof(y), "%c%c%c%c", p[0], p[1], p[2], p[3]);
	p += yl;
	snprintf(out, cap, "%s-%c%c-%c%cT%c%c:%c%c:%c%cZ", y, p[0], p[1], p[2], p[3], p[4], p[5],
		 p[6], p[7], p[8], p[9]);
}

/* extnValue of subjectAltName (2.5.29.17): GeneralNames, dNSName [2]. */
static void der_san(struct tls_cert *ct, struct adi_cur *v)
{
	struct adi_cur names, gn;
	uint8_t tag;

	if (!der_expect(v, 0x30, &names))
		return;
	while (adi_cur_left(&names) && der_tlv(&names, &tag, &gn)) {
		uint16_t len;

		if (tag != 0x82 || ct->ndns >= TLS_DNS_NAMES_MAX)
			continue;
		keep_name(ct->dns[ct->ndns], &len, TLS_NAME_MAX, gn.p, gn.n);
		for (uint16_t i = 0; i < len; i++)
			if ((uint8_t)ct->dns[ct->ndns][i] < 0x20 || (uint8_t)ct->dns[ct->ndns][i] >= 0x7f)
				ct->dns[ct->ndns][i] = '?';
		ct->ndns++;
	}
}

/* extensions [3] EXPLICIT SEQUENCE OF Extension { extnID, critical?, extnValue } */
static void der_extensions(struct tls_cert *ct, struct adi_cur *c)
{
	static const uint8_t san_oid[3] = { 0x55, 0x1d, 0x11 };
	struct adi_cur all, ext, oid, v;
	uint8_t tag;

	if (!der_expect(c, 0x30, &all))
		return;
	while (adi_cur_left(&all)) {
		if (!der_expect(&all, 0x30, &ext) || !der_expect(&ext, 0x06, &oid))
			return;
		if (!der_tlv(&ext, &tag, &v))
			continue;
		if (tag == 0x01 && !der_tlv(&ext, &tag, &v)) /* critical */
			continue;
		if (tag == 0x04 && oid.n == 3 && !memcmp(oid.p, san_oid, 3))
			der_san(ct, &v);
	}
}

/*   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL,
 *     serialNumber, signature, issuer Name, validity { notBefore, notAfter },
 *     subject Name, subjectPublicKeyInfo, ... extensions [3] OPTIONAL } */
static bool der_certificate(struct tls_cert *ct, struct adi_cur *der)
{
	struct adi_cur cert, tbs, x, validity, t;
	uint8_t tag;

	if (!der_expect(der, 0x30, &cert) || !der_expect(&cert, 0x30, &tbs) ||
	    !der_tlv(&tbs, &tag, &x))
		return false;
	if (tag == 0xa0 && !der_tlv(&tbs, &tag, &x)) /* version, then serial */
		return false;
	if (!der_expect(&tbs, 0x30, &x)) /* signature algorithm */
		return false;
	if (!der_expect(&tbs, 0x30, &x))
		return false;
	der_name(&x, ct->issuer, sizeof(ct->issuer));
	if (!der_expect(&tbs, 0x30, &validity) || !der_tlv(&validity, &tag, &t) ||
	    !der_tlv(&validity, &tag, &t))
		return false;
	der_time(tag, &t, ct->not_after, sizeof(ct->not_after));
	if (!der_expect(&tbs, 0x30, &x))
		return false;
	der_name(&x, ct->subject, sizeof(ct->subject));
	ct->seen = true;
	if (!der_tlv(&tbs, &tag, &x)) /* subjectPublicKeyInfo */
		return true;
	while (adi_cur_left(&tbs) && der_tlv(&tbs, &tag, &x))
		if (tag == 0xa3)
			der_extensions(ct, &x);
	return true;
}

/* TLS 1.2:  opaque ASN.1Cert<1..2^24-1>;  ASN.1Cert certificate_list<0..2^24-1>;
 * the first is the server's own (RFC 5246 7.4.2). */
bool tls_certificate(struct tls_facts *f, struct adi_cur *c)
{
	struct adi_cur list, der;
	uint32_t n, len;

	if (f->version >= 0x0304 || f->cert.seen)
		return false; /* TLS 1.3: this would be encrypted, not read */
	if (!adi_cur_be24(c, &n) || !adi_cur_sub(c, n, &list) || !adi_cur_be24(&list, &len) ||
	    !adi_cur_sub(&list, len, &der))
		return false;
	memset(&f->cert, 0, sizeof(f->cert));
	return der_certificate(&f->cert, &der);
}
