/* mongo.h - the MongoDB wire protocol decoder: OP_MSG, the legacy OP_QUERY /
 * OP_REPLY pair drivers still use for their first handshake, OP_COMPRESSED
 * (zlib, zstd, snappy), with BSON shown as MongoDB Extended JSON (relaxed)
 * through libbson; requests and replies paired by requestID / responseTo
 * into `mongo_command` events (docs/events.md; what is decoded, the fields,
 * limits: docs/mongo.md). Used only through adi_proto_mongo (proto.h); the
 * kinds below are what its messages carry. The code: src/proto/mongo/.
 */
#ifndef ADI_PROTO_MONGO_H
#define ADI_PROTO_MONGO_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages. adi_msg.key is the requestID of
 * a request and the responseTo of a reply (both as uint32 bits), so a reply
 * pairs with the request it names, whatever the order. */
enum mongo_kind {
	MONGO_REQ = 1,
	MONGO_REPLY = 2,
};

extern const struct adi_proto adi_proto_mongo;

#endif
