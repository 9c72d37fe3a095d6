/* tls.h - the TLS handshake decoder (RFC 8446, RFC 5246): reads the
 * cleartext start of a TLS connection off the wire -- the ClientHello's SNI,
 * ALPN list and offered versions, the ServerHello's version, cipher suite
 * and (TLS 1.2) ALPN, the TLS 1.2 server certificate, cleartext alerts --
 * and tells them about the connection (adi_emit.annotate, member "tls"),
 * so every event of the connection carries them. It makes no events of its
 * own: the plaintext, when a hooked library shows it, is decoded by the
 * protocol it carries (src/core/tls.c). docs/tls.md.
 * Used only through adi_proto_tls (proto.h); PostgreSQL's and MySQL's
 * decoders hand over to it when their connection switches to TLS.
 */
#ifndef ADI_PROTO_TLS_H
#define ADI_PROTO_TLS_H

#include "proto.h"

extern const struct adi_proto adi_proto_tls;

#endif
