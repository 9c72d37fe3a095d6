/* amqp.h - the AMQP 0-9-1 decoder (RabbitMQ): the methods of both
 * directions of one connection, with the content (properties and body) of
 * basic.publish, basic.deliver, basic.return and basic.get-ok, as
 * `message_op` events with system "amqp" (docs/events.md, docs/amqp.md); a
 * synchronous method is written with its -ok (or the close that refused
 * it). Used only through adi_proto_amqp (proto.h): adi_msg.kind of its
 * messages is class id << 16 | method id, adi_msg.key holds the channel
 * (low 16 bits) and decoder flags (src/proto/amqp/aq.h).
 */
#ifndef ADI_PROTO_AMQP_H
#define ADI_PROTO_AMQP_H

#include "proto.h"

extern const struct adi_proto adi_proto_amqp;

#endif
