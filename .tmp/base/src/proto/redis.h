/* redis.h - the Redis decoder (RESP2 and RESP3, inline commands): commands
 * of the client direction and replies / pushes of the server direction of
 * one connection, paired into `redis_command` events (docs/events.md). The
 * decoder is used only through adi_proto_redis (proto.h); the message kinds
 * below are what its messages carry in adi_msg.kind.
 */
#ifndef ADI_PROTO_REDIS_H
#define ADI_PROTO_REDIS_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages (adi_msg.key is always 0: pairing
 * is by order, see redis_stitch). */
enum redis_kind {
	REDIS_CMD = 1,   /* a command (multibulk or inline), client direction */
	REDIS_REPLY = 2, /* any RESP value of the server direction */
	REDIS_PUSH = 3,  /* a RESP3 push ('>'), server direction */
};

extern const struct adi_proto adi_proto_redis;

#endif
