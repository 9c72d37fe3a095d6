/* tls_priv.h - the TLS handshake decoder's state and the split of its work:
 * record.c owns the table (sniff, record framing, handshake reassembly,
 * resync, stitch), hello.c decodes the hellos and the certificate into
 * struct tls_facts, facts.c names versions, suites and alerts and writes the
 * facts as the connection's "tls" member. Not a public API (tls.h is).
 */
#ifndef ADI_TLS_PRIV_H
#define ADI_TLS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "../tls.h"
#include "../../lib/cursor.h"

/* TLSPlaintext (RFC 8446 5.1) at most 2^14 bytes, TLSCiphertext 2^14 + 256
 * (RFC 8446), 2^14 + 2048 (RFC 5246 6.2.3): the longest a record may claim. */
#define TLS_REC_MAX (16384 + 2048)
/* Handshake bytes kept while a message spans records: a certificate chain
 * longer than this is not decoded (the hellos are a few KiB). */
#define TLS_HS_MAX 65536
/* What the facts keep of each value: longer ones are cut (SNI is at most
 * 255 bytes by RFC 6066, an ALPN name 255). */
#define TLS_NAME_MAX 255
#define TLS_ALPN_WIRE_MAX 512
#define TLS_VERSIONS_MAX 16
#define TLS_DN_MAX 256
#define TLS_DNS_NAMES_MAX 8

/* record content types (RFC 8446 B.1) */
enum {
	TLS_CT_CCS = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPDATA = 23,
	TLS_CT_HEARTBEAT = 24,
};

/* handshake message types */
enum {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
};

/* adi_msg.key of the decoder's own messages: queued messages of a decoder
 * that handed over (PostgreSQL's SSLRequest) are told apart by it */
#define TLS_MSG_KEY 0x746c73u /* "tls" */

/* The leaf certificate of a TLS 1.2 server (its Certificate message). */
struct tls_cert {
	bool seen;
	char subject[TLS_DN_MAX], issuer[TLS_DN_MAX];
	char not_after[24];          /* RFC 3339, "" when unreadable */
	char dns[TLS_DNS_NAMES_MAX][TLS_NAME_MAX + 1]; /* subjectAltName dNSNames */
	unsigned ndns;
};

/* What the cleartext handshake told, typed; facts.c writes it. */
struct tls_facts {
	bool client_hello, server_hello;
	bool unseen;                 /* joined after the handshake */
	bool hrr;                    /* a HelloRetryRequest was seen */
	char sni[TLS_NAME_MAX + 1];
	uint16_t sni_len;
	bool have_sni;
	uint8_t alpn_offered[TLS_ALPN_WIRE_MAX]; /* ProtocolNameList body */
	uint16_t alpn_offered_len;
	uint16_t versions_offered[TLS_VERSIONS_MAX];
	uint8_t nversions;
	uint16_t client_version;     /* legacy_version of the ClientHello */
	uint16_t version;            /* negotiated; 0 until a ServerHello */
	uint16_t cipher;
	char alpn[TLS_NAME_MAX + 1]; /* the server's choice (TLS 1.2 only) */
	uint16_t alpn_len;
	bool have_alpn;
	struct tls_cert cert;
	bool have_alert;
	uint8_t alert_level, alert;
};

/* One direction: the handshake bytes of a message spanning records, and
 * whether the direction went protected (nothing more to read). */
struct tls_dir {
	uint8_t *hs;                 /* owned, at most TLS_HS_MAX */
	size_t hs_len, hs_cap;
	bool hs_lost;                /* a message outgrew TLS_HS_MAX: skipped */
	bool done;                   /* ChangeCipherSpec, application data, or
				      * a TLS 1.3 ServerHello: encrypted on */
};

struct tls_state {
	struct tls_dir d[2];         /* [0] out, [1] in (from the traced task) */
	struct tls_facts f;
	unsigned changed, told;      /* facts versions: written once each */
	struct adi_jw w[2];          /* the "tls" object as last told, and the
				      * one being written (told only when it
				      * differs: a second ClientHello after a
				      * HelloRetryRequest says the same) */
	int cur;                     /* which of w was told last */
};

/* hello.c: decode a handshake message's body into f; true when it changed
 * what f says. */
bool tls_client_hello(struct tls_facts *f, struct adi_cur *c);
bool tls_server_hello(struct tls_facts *f, struct adi_cur *c);
bool tls_certificate(struct tls_facts *f, struct adi_cur *c);

/* facts.c */
const char *tls_version_name(uint16_t v, char *buf, size_t n);
const char *tls_cipher_name(uint16_t v, char *buf, size_t n);
const char *tls_alert_name(uint8_t a);
/* The "tls" object's value (braces included) into w, emptied first. */
void tls_facts_write(const struct tls_facts *f, struct adi_jw *w);

#endif
