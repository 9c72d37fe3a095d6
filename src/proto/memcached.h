/* memcached.h - the memcached decoder (text protocol, meta commands and
 * the binary protocol): commands of the client direction and replies of
 * the server direction of one connection, paired into `memcached_command`
 * events (docs/events.md, docs/memcached.md). Used only through
 * adi_proto_memcached (proto.h); the kinds below are what its messages
 * carry in adi_msg.kind.
 */
#ifndef ADI_PROTO_MEMCACHED_H
#define ADI_PROTO_MEMCACHED_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages: the low byte says what the
 * message is, the bits above what pairing must know of it (mc.h). For the
 * binary protocol adi_msg.key is the header's opaque; text pairs by order
 * (key 0). */
enum memcached_kind {
	MEMCACHED_CMD = 1,   /* a command, client direction */
	MEMCACHED_REPLY = 2, /* a reply, server direction */
};

extern const struct adi_proto adi_proto_memcached;

#endif
