/* nats.h - the NATS client protocol decoder: the operations of both
 * directions of one connection (CONNECT, INFO, PUB, HPUB, SUB, UNSUB, MSG,
 * HMSG, PING, PONG, +OK, -ERR) as `message_op` events with system "nats"
 * (docs/events.md, docs/nats.md). Used only through adi_proto_nats
 * (proto.h); adi_msg.kind of its messages is an enum nats_op.
 */
#ifndef ADI_PROTO_NATS_H
#define ADI_PROTO_NATS_H

#include "proto.h"

enum nats_op {
	NATS_CONNECT = 1, NATS_INFO, NATS_PUB, NATS_HPUB, NATS_SUB, NATS_UNSUB,
	NATS_MSG, NATS_HMSG, NATS_PING, NATS_PONG, NATS_OK, NATS_ERR,
};

extern const struct adi_proto adi_proto_nats;

#endif
