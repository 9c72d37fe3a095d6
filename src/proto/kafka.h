/* kafka.h - the Apache Kafka decoder: requests of the client direction and
 * responses of the broker direction of one connection (request header v0-v2,
 * flexible versions with tagged fields), paired by correlation id into
 * `message_op` events with system "kafka" (docs/events.md, docs/kafka.md).
 * Used only through adi_proto_kafka (proto.h): adi_msg.key of its messages
 * is the correlation id, adi_msg.kind says request or response
 * (src/proto/kafka/kf.h).
 */
#ifndef ADI_PROTO_KAFKA_H
#define ADI_PROTO_KAFKA_H

#include "proto.h"

extern const struct adi_proto adi_proto_kafka;

#endif
