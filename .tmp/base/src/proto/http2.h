/* http2.h - the HTTP/2 decoder (RFC 9113, cleartext: prior knowledge or an
 * HTTP/1.1 h2c upgrade handed over by http1.c) with gRPC decoded inside it:
 * one `grpc_call` event per gRPC stream, one `http_request` (version "2")
 * per other stream (docs/events.md). Used only through adi_proto_http2
 * (proto.h); the kinds below are what its messages carry in adi_msg.kind.
 */
#ifndef ADI_PROTO_HTTP2_H
#define ADI_PROTO_HTTP2_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages. They are time marks only: the
 * content of a stream is kept in the decoder's state and its event is
 * built when the stream ends. adi_msg.key is the stream id (0: the
 * connection, a GOAWAY). A stream's first mark stays queued (as
 * HTTP2_OPEN) until its event is emitted, so the engine knows an exchange
 * is in flight. */
enum http2_kind {
	HTTP2_MARK = 0x201, /* frames of stream `key` ended here */
	HTTP2_OPEN = 0x202, /* the first mark of a stream still open */
	HTTP2_NONE = 0x203, /* closes bytes consumed piecewise; no stream */
};

extern const struct adi_proto adi_proto_http2;

#endif
