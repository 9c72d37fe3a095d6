/* http1.h - the HTTP/1.x decoder (RFC 9112): requests and responses of one
 * connection, decoded per direction and paired into `http_request` events
 * (docs/events.md). The decoder is used only through adi_proto_http1 (proto.h);
 * the message kinds below are what its messages carry in adi_msg.kind.
 */
#ifndef ADI_PROTO_HTTP1_H
#define ADI_PROTO_HTTP1_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages. adi_msg.key is the request's
 * ordinal on the connection (1, 2, ...) on both a request and the response
 * paired with it; 0 on a response whose request was never seen. */
enum http1_kind {
	HTTP1_REQ = 1,
	HTTP1_RESP = 2,
};

extern const struct adi_proto adi_proto_http1;

#endif
