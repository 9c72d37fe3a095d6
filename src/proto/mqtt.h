/* mqtt.h - the MQTT decoder (3.1, 3.1.1 and 5.0): the control packets of
 * both directions of one connection as `message_op` events with system
 * "mqtt" (docs/events.md, docs/mqtt.md): CONNECT with its CONNACK, PUBLISH
 * with its PUBACK / PUBREC, PUBREL with its PUBCOMP, (UN)SUBSCRIBE with its
 * (UN)SUBACK, PINGREQ with its PINGRESP, DISCONNECT and AUTH alone. Used
 * only through adi_proto_mqtt (proto.h); adi_msg.kind's low 4 bits are the
 * packet type below, adi_msg.key its packet identifier.
 */
#ifndef ADI_PROTO_MQTT_H
#define ADI_PROTO_MQTT_H

#include "proto.h"

enum mqtt_type {
	MQTT_CONNECT = 1, MQTT_CONNACK, MQTT_PUBLISH, MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL,
	MQTT_PUBCOMP, MQTT_SUBSCRIBE, MQTT_SUBACK, MQTT_UNSUBSCRIBE, MQTT_UNSUBACK,
	MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT, MQTT_AUTH,
};

extern const struct adi_proto adi_proto_mqtt;

#endif
