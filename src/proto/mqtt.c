/* mqtt.c - the MQTT decoder (3.1, 3.1.1, 5.0): control packets of both
 * directions, paired into message_op events (system "mqtt"). Owns the
 * per-connection state: the protocol level CONNECT announced, and per
 * direction the packet being decoded (written as JSON text as it comes)
 * and the first bytes of a PUBLISH payload; queued messages are the
 * engine's. Specifications: MQTT 3.1.1 (http://docs.oasis-open.org/mqtt/
 * mqtt/v3.1.1/mqtt-v3.1.1.html) and 5.0 (https://docs.oasis-open.org/mqtt/
 * mqtt/v5.0/mqtt-v5.0.html); docs/mqtt.md.
 *
 *   fixed header:  type(4 bits) flags(4 bits) | remaining length (1-4 bytes, 7 bits each)
 *   variable header (packet id, ...; 5.0: properties = length varint + id/value pairs)
 *   payload (PUBLISH: the message; CONNECT: client id, will, user name, password; ...)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"
#include "../lib/cursor.h"
#include "../lib/util.h"

#define MQ_HOLD (ADI_PROTO_LOOKAHEAD - 8) /* a packet (or PUBLISH's header) held whole */
#define MQ_MAX_ITEMS 1024          /* topics / reason codes written per packet */
#define MQ_WAIT_MAX 256            /* messages behind an unanswered packet before
				    * it is written alone */
#define MQ_PORT 1883

/* adi_msg.kind: the enum mqtt_type, QoS << 4, cut, lost << 8. */
#define MQ_TYPE(k) ((k) & 0xf)
#define MQ_QOS(k) (((k) >> 4) & 3)
#define MQ_TRUNC 0x40
#define MQ_LOST_SHIFT 8

enum mq_phase { MQ_HDR, MQ_PAYLOAD, MQ_SKIP };

struct mq_side {
	uint8_t phase;        /* enum mq_phase */
	bool strict;          /* after a resync: judged by resync()'s rule */
	bool truncated;
	uint8_t type, qos;
	uint16_t pid;
	uint32_t lost;
	uint64_t remaining;   /* payload (or skipped body) bytes to come */
	uint64_t plen;        /* the payload's length */
	uint8_t *keep;
	size_t keep_len, keep_cap, keep_lim;
	struct adi_jw w;
};

struct mqtt_state {
	enum adi_dir cmd_dir; /* the client's direction */
	uint8_t level;        /* CONNECT's protocol level: 3, 4 (3.1.1), 5; 0 unknown (4) */
	struct mq_side side[2];
};

static const char *const mq_names[16] = {
	"?", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
	"AUTH",
};

static struct mq_side *mq_side_of(struct mqtt_state *st, enum adi_dir d)
{
	return &st->side[d == ADI_DIR_OUT ? 0 : 1];
}

static enum adi_dir mq_cmd_dir(const struct mqtt_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

static bool mq_v5(const struct mqtt_state *st)
{
	return st->level == 5;
}

/* ---- the fixed header ---- */

/* The flags each type must have (PUBLISH: any but QoS 3). */
static bool mq_flags_ok(uint8_t b0)
{
	uint8_t t = b0 >> 4, f = b0 & 0xf;

	if (t == 0)
		return false;
	if (t == MQTT_PUBLISH)
		return ((f >> 1) & 3) != 3;
	if (t == MQTT_PUBREL || t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE)
		return f == 2;
	return f == 0;
}

/* The remaining length after byte 0 of b[0..n): 2 with *len and *hl (the
 * fixed header's size), 1 when cut, 0 when more than 4 bytes. */
static int mq_rlen(const uint8_t *b, size_t n, uint32_t *len, size_t *hl)
{
	uint32_t v = 0;

	for (size_t i = 1; i < 5; i++) {
		if (i >= n)
			return 1;
		v |= (uint32_t)(b[i] & 0x7f) << (7 * (i - 1));
		if (!(b[i] & 0x80)) {
			*len = v;
			*hl = i + 1;
			return 2;
		}
	}
	return 0;
}

/* A variable byte integer (properties' length, subscription ids). */
static bool mq_varint(struct adi_cur *c, uint32_t *v)
{
	uint32_t x = 0;

	for (unsigned i = 0; i < 4; i++) {
		uint8_t b;

		if (!adi_cur_u8(c, &b))
			return false;
		x |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return adi_cur_fail(c);
}

/* A 2-byte length-prefixed string or binary. */
static bool mq_str(struct adi_cur *c, const uint8_t **p, size_t *n)
{
	return adi_cur_lpstr(c, 2, true, p, n);
}

/* ---- properties (5.0) ---- */

enum mq_ptype { MQ_P_BYTE, MQ_P_U16, MQ_P_U32, MQ_P_VAR, MQ_P_STR, MQ_P_BIN, MQ_P_PAIR };

static const struct {
	uint8_t id, type;
	const char *name;
} mq_props_tab[] = {
	{ 0x01, MQ_P_BYTE, "payload_format_indicator" }, { 0x02, MQ_P_U32, "message_expiry_interval" },
	{ 0x03, MQ_P_STR, "content_type" }, { 0x08, MQ_P_STR, "response_topic" },
	{ 0x09, MQ_P_BIN, "correlation_data" }, { 0x0b, MQ_P_VAR, "subscription_identifier" },
	{ 0x11, MQ_P_U32, "session_expiry_interval" }, { 0x12, MQ_P_STR, "assigned_client_identifier" },
	{ 0x13, MQ_P_U16, "server_keep_alive" }, { 0x15, MQ_P_STR, "authentication_method" },
	{ 0x16, MQ_P_BIN, "authentication_data" }, { 0x17, MQ_P_BYTE, "request_problem_information" },
	{ 0x18, MQ_P_U32, "will_delay_interval" }, { 0x19, MQ_P_BYTE, "request_response_information" },
	{ 0x1a, MQ_P_STR, "response_information" }, { 0x1c, MQ_P_STR, "server_reference" },
	{ 0x1f, MQ_P_STR, "reason_string" }, { 0x21, MQ_P_U16, "receive_maximum" },
	{ 0x22, MQ_P_U16, "topic_alias_maximum" }, { 0x23, MQ_P_U16, "topic_alias" },
	{ 0x24, MQ_P_BYTE, "maximum_qos" }, { 0x25, MQ_P_BYTE, "retain_available" },
	{ 0x26, MQ_P_PAIR, "user_properties" }, { 0x27, MQ_P_U32, "maximum_packet_size" },
	{ 0x28, MQ_P_BYTE, "wildcard_subscription_available" },
	{ 0x29, MQ_P_BYTE, "subscription_identifier_available" },
	{ 0x2a, MQ_P_BYTE, "shared_subscription_available" },
};
#define MQ_NPROPS (sizeof(mq_props_tab) / sizeof(mq_props_tab[0]))

/* Reads one property of c into its id, type index and value span (the
 * value's cursor position); false when malformed. */
static bool mq_prop_next(struct adi_cur *c, int *k, uint64_t *num, const uint8_t **s,
			 size_t *sn, const uint8_t **s2, size_t *sn2)
{
	uint32_t id, v32;
	uint16_t v16;
	uint8_t v8;

	if (!mq_varint(c, &id))
		return false;
	*k = -1;
	for (size_t i = 0; i < MQ_NPROPS; i++)
		if (mq_props_tab[i].id == id)
			*k = (int)i;
	if (*k < 0)
		return adi_cur_fail(c);
	switch (mq_props_tab[*k].type) {
	case MQ_P_BYTE:
		if (!adi_cur_u8(c, &v8))
			return false;
		*num = v8;
		return true;
	case MQ_P_U16:
		if (!adi_cur_be16(c, &v16))
			return false;
		*num = v16;
		return true;
	case MQ_P_U32:
		if (!adi_cur_be32(c, &v32))
			return false;
		*num = v32;
		return true;
	case MQ_P_VAR:
		if (!mq_varint(c, &v32))
			return false;
		*num = v32;
		return true;
	case MQ_P_PAIR:
		return mq_str(c, s, sn) && mq_str(c, s2, sn2);
	default:
		return mq_str(c, s, sn);
	}
}

/* The properties block at c (its length varint first), written as member
 * `key` (an object: names as the specification's in snake case; user
 * properties an array of [name, value] pairs; authentication data
 * "<redacted>" unless show_secrets) when it has any. false: malformed. */
static bool mq_props(struct adi_jw *w, const char *key, struct adi_cur *c, bool show_secrets)
{
	struct adi_cur p;
	uint32_t len;
	bool users = false;

	if (!mq_varint(c, &len) || !adi_cur_sub(c, len, &p))
		return false;
	if (!len)
		return true;
	adi_jw_kobj(w, key);
	for (int pass = 0; pass < 2; pass++) {
		struct adi_cur q = p;

		if (pass && users)
			adi_jw_karr(w, "user_properties");
		while (adi_cur_left(&q)) {
			const uint8_t *s = NULL, *s2 = NULL;
			size_t sn = 0, sn2 = 0;
			uint64_t num = 0;
			int k;

			if (!mq_prop_next(&q, &k, &num, &s, &sn, &s2, &sn2))
				return false;
			if (mq_props_tab[k].type == MQ_P_PAIR) {
				users = true;
				if (pass) {
					adi_jw_arr(w);
					adi_jw_bytes(w, s, sn);
					adi_jw_bytes(w, s2, sn2);
					adi_jw_arr_end(w);
				}
				continue;
			}
			if (pass)
				continue;
			adi_jw_key(w, mq_props_tab[k].name);
			if (mq_props_tab[k].id == 0x16 && !show_secrets)
				adi_jw_str(w, "<redacted>");
			else if (mq_props_tab[k].type == MQ_P_STR || mq_props_tab[k].type == MQ_P_BIN)
				adi_jw_bytes(w, s, sn);
			else
				adi_jw_u64(w, num);
		}
		if (pass && users)
			adi_jw_arr_end(w);
	}
	adi_jw_obj_end(w);
	return true;
}

/* ---- reason codes ---- */

static const char *mq_reason(uint8_t rc)
{
	static const struct {
		uint8_t rc;
		const char *name;
	} t[] = {
		{ 0x80, "Unspecified error" }, { 0x81, "Malformed Packet" }, { 0x82, "Protocol Error" },
		{ 0x83, "Implementation specific error" }, { 0x84, "Unsupported Protocol Version" },
		{ 0x85, "Client Identifier not valid" }, { 0x86, "Bad User Name or Password" },
		{ 0x87, "Not authorized" }, { 0x88, "Server unavailable" }, { 0x89, "Server busy" },
		{ 0x8a, "Banned" }, { 0x8b, "Server shutting down" }, { 0x8c, "Bad authentication method" },
		{ 0x8d, "Keep Alive timeout" }, { 0x8e, "Session taken over" },
		{ 0x8f, "Topic Filter invalid" }, { 0x90, "Topic Name invalid" },
		{ 0x91, "Packet Identifier in use" }, { 0x92, "Packet Identifier not found" },
		{ 0x93, "Receive Maximum exceeded" }, { 0x94, "Topic Alias invalid" },
		{ 0x95, "Packet too large" }, { 0x96, "Message rate too high" },
		{ 0x97, "Quota exceeded" }, { 0x98, "Administrative action" },
		{ 0x99, "Payload format invalid" }, { 0x9a, "Retain not supported" },
		{ 0x9b, "QoS not supported" }, { 0x9c, "Use another server" }, { 0x9d, "Server moved" },
		{ 0x9e, "Shared Subscriptions not supported" }, { 0x9f, "Connection rate exceeded" },
		{ 0xa0, "Maximum connect time" }, { 0xa1, "Subscription Identifiers not supported" },
		{ 0xa2, "Wildcard Subscriptions not supported" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].rc == rc)
			return t[i].name;
	return rc >= 0x80 ? "error" : NULL;
}

/* 3.1 / 3.1.1 CONNACK return codes. */
static const char *mq_connack_v3(uint8_t rc)
{
	static const char *const t[] = {
		NULL, "Connection Refused, unacceptable protocol version",
		"Connection Refused, identifier rejected", "Connection Refused, Server unavailable",
		"Connection Refused, bad user name or password", "Connection Refused, not authorized",
	};

	return rc < 6 ? t[rc] : "Connection Refused";
}

/* "error" (the failure's name, or null) and "reason_code" (5.0, or when
 * the packet has one) of an answer or a lone packet. */
static void mq_error(struct adi_jw *w, int rc, const char *err)
{
	adi_jw_kstr(w, "error", err);
	if (rc >= 0)
		adi_jw_kint(w, "reason_code", rc);
}

/* ---- packets ---- */

/* The members every packet starts with; dst: the topic (PUBLISH) or the
 * first topic filter ((UN)SUBSCRIBE), NULL for none. */
static void mq_head(struct adi_jw *w, uint8_t type, bool client, const uint8_t *dst, size_t dn)
{
	adi_jw_kstr(w, "system", "mqtt");
	adi_jw_kstr(w, "op", mq_names[type]);
	adi_jw_key(w, "destination");
	if (dst)
		adi_jw_bytes(w, dst, dn);
	else
		adi_jw_null(w);
	adi_jw_kstr(w, "sender", client ? "client" : "server");
}

/* (UN)SUBSCRIBE's first topic filter in its body c (a copy is read). */
static bool mq_first_filter(const struct mqtt_state *st, struct adi_cur c, const uint8_t **s,
			    size_t *sn)
{
	uint16_t pid;
	uint32_t pl;

	*s = NULL;
	*sn = 0;
	if (!adi_cur_be16(&c, &pid))
		return false;
	if (st->level == 5 && (!mq_varint(&c, &pl) || !adi_cur_skip(&c, pl)))
		return false;
	return mq_str(&c, s, sn);
}

static void mq_nopayload(struct adi_jw *w)
{
	adi_jw_knull(w, "payload_bytes");
	adi_jw_knull(w, "payload");
}

/* CONNECT's body (after the fixed header). */
static bool mq_connect(struct mqtt_state *st, struct adi_jw *w, struct adi_cur *c,
		       const struct adi_proto_cfg *cfg)
{
	const uint8_t *name, *s;
	size_t nn, sn;
	uint8_t level, flags;
	uint16_t keep;

	if (!mq_str(c, &name, &nn) || !adi_cur_u8(c, &level) || !adi_cur_u8(c, &flags) ||
	    !adi_cur_be16(c, &keep))
		return false;
	if (!((nn == 4 && !memcmp(name, "MQTT", 4)) || (nn == 6 && !memcmp(name, "MQIsdp", 6))))
		return false;
	st->level = level;
	adi_jw_kstr(w, "protocol_version", level == 5 ? "5.0" : level == 4 ? "3.1.1" :
		    level == 3 ? "3.1" : "unknown");
	if (level == 5 && !mq_props(w, "properties", c, cfg->show_secrets))
		return false;
	if (!mq_str(c, &s, &sn))
		return false;
	adi_jw_kbytes(w, "client_id", s, sn);
	adi_jw_kbool(w, "clean_start", (flags & 0x02) != 0);
	adi_jw_kint(w, "keep_alive", keep);
	if (flags & 0x04) {
		const uint8_t *t, *p;
		size_t tn, pn;

		adi_jw_kobj(w, "will");
		if (level == 5 && !mq_props(w, "properties", c, cfg->show_secrets))
			return false;
		if (!mq_str(c, &t, &tn) || !mq_str(c, &p, &pn))
			return false;
		adi_jw_kbytes(w, "topic", t, tn);
		adi_jw_kint(w, "qos", (flags >> 3) & 3);
		adi_jw_kbool(w, "retain", (flags & 0x20) != 0);
		adi_jw_kbytes(w, "payload", p, pn < cfg->body_bytes ? pn : cfg->body_bytes);
		adi_jw_obj_end(w);
	}
	if (flags & 0x80) {
		if (!mq_str(c, &s, &sn))
			return false;
		adi_jw_kbytes(w, "username", s, sn);
	}
	/* the password (flag 0x40) is read, never written */
	return !(flags & 0x40) || mq_str(c, &s, &sn);
}

/* The body of any packet but PUBLISH, held whole in c: its members (head
 * already written). false: malformed. */
static bool mq_body(struct mqtt_state *st, struct mq_side *sd, uint8_t type, struct adi_cur *c,
		    const struct adi_proto_cfg *cfg)
{
	struct adi_jw *w = &sd->w;
	bool v5 = mq_v5(st);
	uint16_t pid = 0;
	uint8_t b1 = 0, rc = 0;
	size_t n = 0;

	switch (type) {
	case MQTT_CONNECT:
		if (!mq_connect(st, w, c, cfg))
			return false;
		mq_nopayload(w);
		return true;
	case MQTT_CONNACK:
		if (!adi_cur_u8(c, &b1) || !adi_cur_u8(c, &rc))
			return false;
		adi_jw_kbool(w, "session_present", (b1 & 1) != 0);
		if (v5 && adi_cur_left(c) && !mq_props(w, "properties", c, cfg->show_secrets))
			return false;
		mq_nopayload(w);
		mq_error(w, rc, v5 ? mq_reason(rc) : mq_connack_v3(rc));
		return true;
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
		if (!adi_cur_be16(c, &pid))
			return false;
		sd->pid = pid;
		adi_jw_kint(w, "packet_id", pid);
		rc = 0;
		if (v5 && adi_cur_left(c)) {
			if (!adi_cur_u8(c, &rc))
				return false;
			if (adi_cur_left(c) && !mq_props(w, "properties", c, cfg->show_secrets))
				return false;
		}
		mq_nopayload(w);
		if (type != MQTT_PUBREL)
			mq_error(w, v5 ? rc : -1, v5 ? mq_reason(rc) : NULL);
		return true;
	case MQTT_SUBSCRIBE: case MQTT_UNSUBSCRIBE:
		if (!adi_cur_be16(c, &pid))
			return false;
		sd->pid = pid;
		adi_jw_kint(w, "packet_id", pid);
		if (v5 && !mq_props(w, "properties", c, cfg->show_secrets))
			return false;
		adi_jw_karr(w, "topics");
		while (adi_cur_left(c)) {
			const uint8_t *s;
			size_t sn;
			uint8_t opt = 0;

			if (!mq_str(c, &s, &sn) || (type == MQTT_SUBSCRIBE && !adi_cur_u8(c, &opt)))
				return false;
			if (n++ >= MQ_MAX_ITEMS) {
				sd->truncated = true;
				continue;
			}
			if (type == MQTT_SUBSCRIBE) {
				adi_jw_obj(w);
				adi_jw_kbytes(w, "filter", s, sn);
				adi_jw_kint(w, "qos", opt & 3);
				adi_jw_obj_end(w);
			} else {
				adi_jw_bytes(w, s, sn);
			}
		}
		adi_jw_arr_end(w);
		if (!n)
			return false;
		mq_nopayload(w);
		return true;
	case MQTT_SUBACK: case MQTT_UNSUBACK: {
		const char *err = NULL;

		if (!adi_cur_be16(c, &pid))
			return false;
		sd->pid = pid;
		adi_jw_kint(w, "packet_id", pid);
		if (v5 && !mq_props(w, "properties", c, cfg->show_secrets))
			return false;
		if (type == MQTT_SUBACK || v5) {
			adi_jw_karr(w, "reason_codes");
			while (adi_cur_left(c)) {
				adi_cur_u8(c, &rc);
				if (n++ < MQ_MAX_ITEMS)
					adi_jw_int(w, rc);
				if (rc >= 0x80 && !err)
					err = v5 ? mq_reason(rc) : "Failure";
			}
			adi_jw_arr_end(w);
		}
		mq_nopayload(w);
		mq_error(w, -1, err);
		return true;
	}
	case MQTT_PINGREQ: case MQTT_PINGRESP:
		mq_nopayload(w);
		if (type == MQTT_PINGRESP)
			mq_error(w, -1, NULL);
		return !adi_cur_left(c);
	case MQTT_DISCONNECT: case MQTT_AUTH:
		rc = 0;
		if (adi_cur_left(c)) {
			if (!adi_cur_u8(c, &rc))
				return false;
			if (adi_cur_left(c) && !mq_props(w, "properties", c, cfg->show_secrets))
				return false;
		}
		mq_nopayload(w);
		mq_error(w, v5 ? rc : -1, v5 && rc != 0x04 ? mq_reason(rc) : NULL);
		return true;
	}
	return false;
}

/* PUBLISH's variable header, held whole in c (fixed header byte b0): its
 * members up to the payload's. */
static bool mq_publish(struct mqtt_state *st, struct mq_side *sd, uint8_t b0, bool client,
		       struct adi_cur *c, const struct adi_proto_cfg *cfg)
{
	struct adi_jw *w = &sd->w;
	const uint8_t *t;
	size_t tn;
	uint16_t pid = 0;

	if (!mq_str(c, &t, &tn))
		return false;
	sd->qos = (b0 >> 1) & 3;
	if (sd->qos && !adi_cur_be16(c, &pid))
		return false;
	sd->pid = pid;
	mq_head(w, MQTT_PUBLISH, client, t, tn);
	if (sd->qos)
		adi_jw_kint(w, "packet_id", pid);
	adi_jw_kint(w, "qos", sd->qos);
	adi_jw_kbool(w, "retain", (b0 & 1) != 0);
	adi_jw_kbool(w, "dup", (b0 & 8) != 0);
	return !mq_v5(st) || mq_props(w, "properties", c, cfg->show_secrets);
}

/* The bytes a PUBLISH's variable header needs from b (the fixed header
 * hl bytes, remaining rl): 0 when b does not hold enough to say yet (*need
 * set), else the size. -1: malformed. */
static long mq_publish_vh(const struct mqtt_state *st, const uint8_t *b, size_t n, size_t hl,
			  uint32_t rl, uint8_t flags, size_t *need)
{
	size_t vh = 2;
	uint16_t tl;

	*need = hl + 2;
	if (n < *need)
		return 0;
	tl = adi_ld_be16(b + hl);
	vh += tl + (((flags >> 1) & 3) ? 2 : 0);
	if (vh > rl)
		return -1;
	if (mq_v5(st)) {
		uint32_t pl = 0;
		size_t i;

		for (i = 0; i < 4; i++) {
			*need = hl + vh + i + 1;
			if (n < *need)
				return 0;
			pl |= (uint32_t)(b[hl + vh + i] & 0x7f) << (7 * i);
			if (!(b[hl + vh + i] & 0x80))
				break;
		}
		if (i == 4)
			return -1;
		vh += i + 1 + pl;
		if (vh > rl)
			return -1;
	}
	*need = hl + vh;
	return (long)vh;
}

/* ---- parse ---- */

static void mq_reset(struct mq_side *sd)
{
	sd->phase = MQ_HDR;
	sd->truncated = false;
	sd->type = sd->qos = 0;
	sd->pid = 0;
	sd->remaining = sd->plen = 0;
	sd->keep_len = 0;
	adi_jw_reset(&sd->w);
}

static void mq_frame(struct mq_side *sd, struct adi_msg *out)
{
	uint32_t lost = sd->lost < 0xffff ? sd->lost : 0xffff;

	out->kind = sd->type | sd->qos << 4 | (sd->truncated ? MQ_TRUNC : 0) |
		    (int)(lost << MQ_LOST_SHIFT);
	out->key = sd->pid;
	if (adi_jw_copy(&out->f, &sd->w))
		out->kind |= MQ_TRUNC;
	sd->lost = 0;
	mq_reset(sd);
}

/* PUBLISH's payload is complete (or cut): its members. */
static void mq_payload_done(struct mq_side *sd)
{
	adi_jw_ku64(&sd->w, "payload_bytes", sd->plen);
	adi_jw_kbytes(&sd->w, "payload", sd->keep_len ? sd->keep : (const uint8_t *)"", sd->keep_len);
	if (sd->plen > sd->keep_len)
		sd->truncated = true;
}

/* How plausible a packet from the sender (client or not) at b[0..n) is,
 * for resync and sniff: 2 a whole packet that decodes (PUBLISH: its
 * variable header, a topic of printable UTF-8 without wildcards), 1 a
 * prefix of one, 0 not one. Packets of two bytes (PINGREQ, PINGRESP, an
 * empty DISCONNECT) are too short to be told from other bytes: 0. */
static int mq_plausible(struct mqtt_state *st, const uint8_t *b, size_t n, bool client)
{
	uint32_t rl;
	size_t hl, need;
	uint8_t t;
	int s;

	if (!n)
		return 1;
	t = b[0] >> 4;
	if (!mq_flags_ok(b[0]) || (t == MQTT_CONNECT && !client) ||
	    ((t == MQTT_CONNACK || t == MQTT_SUBACK || t == MQTT_UNSUBACK || t == MQTT_PINGRESP) &&
	     client) ||
	    ((t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE || t == MQTT_PINGREQ) && !client))
		return 0;
	s = mq_rlen(b, n, &rl, &hl);
	if (s != 2)
		return s;
	if (rl == 0)
		return 0;
	if (t == MQTT_PUBLISH) {
		long vh = mq_publish_vh(st, b, n, hl, rl, b[0] & 0xf, &need);
		uint16_t tl;

		if (vh < 0 || need > MQ_HOLD)
			return 0;
		if (!vh || n < need)
			return 1;
		tl = adi_ld_be16(b + hl);
		if (!tl)
			return 0;
		for (size_t i = 0; i < tl; i++) {
			uint8_t ch = b[hl + 2 + i];

			if (ch < 0x20 || ch == 0x7f || ch == '+' || ch == '#')
				return 0;
		}
		return 2;
	}
	if (hl + rl > MQ_HOLD)
		return 0;
	if (n < hl + rl)
		return 1;
	{
		struct adi_cur c = adi_cur_make(b + hl, rl);
		struct mq_side tmp;
		struct mqtt_state probe = *st;
		struct adi_proto_cfg cfg = { 0 };
		bool ok;

		memset(&tmp, 0, sizeof(tmp));
		adi_jw_init(&tmp.w);
		ok = mq_body(&probe, &tmp, t, &c, &cfg) && !adi_cur_left(&c) && !c.bad;
		adi_jw_fini(&tmp.w);
		return ok ? 2 : 0;
	}
}

/* parse(): see proto.h. A packet is held whole (AGAIN with *used 0 until
 * it is in), except PUBLISH, whose variable header is held and whose
 * payload is consumed as it comes (first --body-bytes kept), and packets
 * over 64 KiB, whose body is skipped (written cut). */
static enum adi_parse mqtt_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
				 const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct mqtt_state *st = vst;
	struct mq_side *sd = mq_side_of(st, dir);
	bool client = dir == mq_cmd_dir(st);
	size_t pos = 0;

	*used = 0;
	if (!b) {
		if (sd->phase == MQ_HDR)
			return ADI_PARSE_AGAIN;
		if (sd->phase == MQ_PAYLOAD)
			mq_payload_done(sd);
		sd->truncated = true;
		mq_frame(sd, out);
		out->incomplete = true;
		return ADI_PARSE_FRAME;
	}
	if (!n)
		return ADI_PARSE_AGAIN;
	if (sd->phase == MQ_HDR) {
		uint32_t rl;
		size_t hl, need;
		uint8_t t = b[0] >> 4;
		int s;

		if (sd->strict) {
			s = mq_plausible(st, b, n, client);
			if (s != 2)
				return s ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
			sd->strict = false;
		}
		if (!mq_flags_ok(b[0]))
			return ADI_PARSE_BAD;
		s = mq_rlen(b, n, &rl, &hl);
		if (s != 2)
			return s ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
		sd->type = t;
		if (t == MQTT_PUBLISH) {
			long vh = mq_publish_vh(st, b, n, hl, rl, b[0] & 0xf, &need);
			struct adi_cur c;

			if (vh < 0)
				return ADI_PARSE_BAD;
			if (need > MQ_HOLD) {
				/* a variable header over 64 KiB: the packet is skipped */
				mq_head(&sd->w, t, client, NULL, 0);
				sd->phase = MQ_SKIP;
				sd->remaining = rl;
				sd->truncated = true;
				pos = hl;
			} else {
				if (!vh || n < need)
					return ADI_PARSE_AGAIN;
				c = adi_cur_make(b + hl, (size_t)vh);
				if (!mq_publish(st, sd, b[0], client, &c, cfg)) {
					mq_reset(sd);
					return ADI_PARSE_BAD;
				}
				sd->phase = MQ_PAYLOAD;
				sd->plen = sd->remaining = rl - (uint64_t)vh;
				sd->keep_len = 0;
				sd->keep_lim = cfg->body_bytes;
				pos = need;
			}
		} else if (hl + rl > MQ_HOLD) {
			mq_head(&sd->w, t, client, NULL, 0);
			sd->phase = MQ_SKIP;
			sd->remaining = rl;
			sd->truncated = true;
			pos = hl;
		} else {
			struct adi_cur c;
			const uint8_t *dst = NULL;
			size_t dn = 0;

			if (n < hl + rl)
				return ADI_PARSE_AGAIN;
			c = adi_cur_make(b + hl, rl);
			if ((t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE) &&
			    !mq_first_filter(st, c, &dst, &dn))
				return ADI_PARSE_BAD;
			mq_head(&sd->w, t, client, dst, dn);
			if (!mq_body(st, sd, t, &c, cfg) || adi_cur_left(&c) || c.bad) {
				mq_reset(sd);
				return ADI_PARSE_BAD;
			}
			*used = hl + rl;
			mq_frame(sd, out);
			return ADI_PARSE_FRAME;
		}
	}
	/* a payload (or a skipped body) as it comes */
	{
		size_t k = n - pos < sd->remaining ? n - pos : (size_t)sd->remaining;

		if (sd->phase == MQ_PAYLOAD && sd->keep_len < sd->keep_lim) {
			size_t kk = sd->keep_lim - sd->keep_len < k ? sd->keep_lim - sd->keep_len : k;

			if (!adi_bytes_append(&sd->keep, &sd->keep_len, &sd->keep_cap, b + pos, kk))
				sd->keep_lim = sd->keep_len; /* out of memory: keep what fits */
		}
		pos += k;
		sd->remaining -= k;
	}
	*used = pos;
	if (sd->remaining)
		return ADI_PARSE_AGAIN;
	if (sd->phase == MQ_PAYLOAD) {
		mq_payload_done(sd);
	} else {
		mq_nopayload(&sd->w);
	}
	mq_frame(sd, out);
	return ADI_PARSE_FRAME;
}

/* gap(): inside a payload (or skipped body) of known length the lost
 * bytes are absorbed; elsewhere false (the engine resyncs). */
static bool mqtt_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct mqtt_state *st = vst;
	struct mq_side *sd = mq_side_of(st, dir);

	if (sd->phase == MQ_HDR || n > sd->remaining)
		return false;
	sd->remaining -= n;
	sd->keep_lim = sd->keep_len;
	sd->truncated = true;
	return true;
}

/* resync(): the first offset of b where a packet the direction may send
 * plausibly starts (mq_plausible), whole or cut by the end of b; n when
 * none. The packet in progress is dropped and counted. */
static size_t mqtt_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct mqtt_state *st = vst;
	struct mq_side *sd = mq_side_of(st, dir);
	bool client = dir == mq_cmd_dir(st);

	if (sd->phase != MQ_HDR)
		sd->lost++;
	mq_reset(sd);
	sd->strict = true;
	for (size_t i = 0; i < n; i++)
		if (mq_plausible(st, b + i, n - i, client))
			return i;
	return n;
}

/* ---- stitch ---- */

/* The type that answers a packet of kind k, or 0 when none does. */
static int mq_answer(int k)
{
	switch (MQ_TYPE(k)) {
	case MQTT_CONNECT: return MQTT_CONNACK;
	case MQTT_PUBLISH: return MQ_QOS(k) == 1 ? MQTT_PUBACK : MQ_QOS(k) == 2 ? MQTT_PUBREC : 0;
	case MQTT_PUBREL: return MQTT_PUBCOMP;
	case MQTT_SUBSCRIBE: return MQTT_SUBACK;
	case MQTT_UNSUBSCRIBE: return MQTT_UNSUBACK;
	case MQTT_PINGREQ: return MQTT_PINGRESP;
	}
	return 0;
}

static bool mq_is_answer(int k)
{
	switch (MQ_TYPE(k)) {
	case MQTT_CONNACK: case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBCOMP:
	case MQTT_SUBACK: case MQTT_UNSUBACK: case MQTT_PINGRESP:
		return true;
	}
	return false;
}

/* One message_op event: packet m and its answer r (or NULL). A request's
 * text ends before "error"; an answer's and a lone packet's have it. */
static void mq_emit(struct adi_emit *em, const struct adi_msg *m, const struct adi_msg *r)
{
	struct adi_jw *w = adi_emit_begin(em);
	bool trunc = (m->kind & MQ_TRUNC) || (r && (r->kind & MQ_TRUNC));
	int64_t ts_end = -1;

	adi_jw_splice(w, &m->f);
	if (!mq_is_answer(m->kind) && MQ_TYPE(m->kind) != MQTT_DISCONNECT &&
	    MQ_TYPE(m->kind) != MQTT_AUTH) {
		static const char *const from_answer[] = {
			"reason_code", "reason_codes", "session_present",
		};
		struct adi_jv props;

		adi_jw_kraw(w, "error", r ? adi_jw_get(&r->f, "error") : (struct adi_jv){ NULL, 0 });
		for (size_t i = 0; r && i < sizeof(from_answer) / sizeof(from_answer[0]); i++) {
			struct adi_jv v = adi_jw_get(&r->f, from_answer[i]);

			if (!adi_jv_absent(v))
				adi_jw_kraw(w, from_answer[i], v);
		}
		props = r ? adi_jw_get(&r->f, "properties") : (struct adi_jv){ NULL, 0 };
		if (!adi_jv_absent(props))
			adi_jw_kraw(w, "reply_properties", props);
	}
	adi_jw_ku64(w, "req_bytes", m->wire_bytes);
	adi_jw_ku64(w, "resp_bytes", r ? r->wire_bytes : 0);
	adi_jw_kbool(w, "truncated", trunc);
	if (m->incomplete || (r && r->incomplete))
		adi_jw_kbool(w, "incomplete", true);
	if (r)
		ts_end = r->ts_last < m->ts_first ? (int64_t)m->ts_first : (int64_t)r->ts_last;
	em->emit(em, "message_op", m->ts_first, ts_end);
}

/* The first message of q of type t (and packet id key when by_key), and
 * *prev the one before it; NULL when none. */
static struct adi_msg *mq_find(struct adi_msgq *q, int t, bool by_key, uint64_t key,
			       struct adi_msg **prev)
{
	*prev = NULL;
	for (struct adi_msg *m = q->head; m; *prev = m, m = m->next)
		if (MQ_TYPE(m->kind) == t && (!by_key || m->key == key))
			return m;
	return NULL;
}

/* stitch(): packets of both directions in the order they started. A
 * packet that has an answer (CONNECT, PUBLISH QoS 1 / 2, PUBREL,
 * (UN)SUBSCRIBE, PINGREQ) is written with it: the first packet of the
 * answer's type from the other direction, with the same packet identifier
 * where the type has one; while it has not come (and fewer than
 * MQ_WAIT_MAX packets wait behind), nothing later is written, so events
 * keep their start order. Answers with no packet waiting for them (lost),
 * QoS 0 PUBLISH, DISCONNECT and AUTH are events of their own. */
static void mqtt_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			struct adi_emit *em, bool final)
{
	struct mqtt_state *st = vst;
	struct adi_msgq *cq = mq_cmd_dir(st) == ADI_DIR_OUT ? out_q : in_q;
	struct adi_msgq *sq = cq == out_q ? in_q : out_q;

	for (;;) {
		struct adi_msg *c = cq->head, *s = sq->head, *m, *r = NULL, *prev = NULL;
		struct adi_msgq *mq, *oq;
		int ans;

		if (!c && !s)
			return;
		if (c && (!s || c->ts_first <= s->ts_first)) {
			m = c, mq = cq, oq = sq;
		} else {
			m = s, mq = sq, oq = cq;
		}
		ans = mq_answer(m->kind);
		if (ans) {
			bool by_key = ans != MQTT_CONNACK && ans != MQTT_PINGRESP;

			r = mq_find(oq, ans, by_key, m->key, &prev);
			if (!r && !final && oq->len < MQ_WAIT_MAX)
				return; /* its answer may be coming */
		}
		adi_msgq_pop(mq);
		if (r)
			adi_msgq_unlink(oq, prev, r);
		mq_emit(em, m, r);
		adi_msg_free(m);
		adi_msg_free(r);
	}
}

/* ---- sniff, start, fini ---- */

/* sniff(): thresholds (the claim is ADI_SNIFF_CLAIM, 60).
 *  - 100: a CONNECT whose variable header starts with the protocol name
 *    "MQTT" (level 4 or 5) or "MQIsdp" (level 3): every MQTT connection
 *    opens with one (no other decoded protocol starts with 0x10: TLS 0x16,
 *    PostgreSQL 0x00, memcached 0x80, text protocols with a letter).
 *  - 50: another whole packet that decodes (a connection joined
 *    mid-session), PUBLISH with a printable topic; +15 on port 1883 and +5
 *    with the direction agreeing: claimed only with both.
 *  - -1: fewer than 64 bytes that may still be one; 0 otherwise. */
static int mqtt_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	enum adi_dir cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	uint16_t port = c->server_side ? c->local_port : c->remote_port;
	struct mqtt_state probe;
	bool client = c->dir == cmd_dir;
	uint32_t rl;
	size_t hl;
	int s;

	if (!n)
		return -1;
	if (b[0] == 0x10) {
		/* the protocol name and level: "MQTT" 4 or 5, "MQIsdp" 3 */
		static const struct {
			const char *name;
			size_t n;
			uint8_t lo, hi;
		} names[] = { { "\x00\x04MQTT", 6, 4, 5 }, { "\x00\x06MQIsdp", 8, 3, 3 } };

		s = mq_rlen(b, n, &rl, &hl);
		if (s != 2)
			return s && n < 64 ? -1 : 0;
		for (size_t i = 0; i < 2; i++) {
			size_t have = n - hl;

			if (have <= names[i].n) {
				if (!memcmp(b + hl, names[i].name, have))
					return n < 64 ? -1 : 0;
			} else if (!memcmp(b + hl, names[i].name, names[i].n) &&
				   b[hl + names[i].n] >= names[i].lo && b[hl + names[i].n] <= names[i].hi &&
				   rl >= names[i].n + 4) {
				return 100;
			}
		}
		return 0;
	}
	memset(&probe, 0, sizeof(probe));
	probe.level = 4;
	s = mq_plausible(&probe, b, n, client);
	if (!s) {
		probe.level = 5;
		s = mq_plausible(&probe, b, n, client);
	}
	if (s == 1)
		return n < 64 ? -1 : 0;
	if (!s)
		return 0;
	return 50 + 5 + (port == MQ_PORT ? 15 : 0);
}

static void mqtt_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct mqtt_state *st = vst;

	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
}

static void mqtt_fini(void *vst)
{
	struct mqtt_state *st = vst;

	for (int i = 0; i < 2; i++) {
		free(st->side[i].keep);
		st->side[i].keep = NULL;
		adi_jw_fini(&st->side[i].w);
	}
}

const struct adi_proto adi_proto_mqtt = {
	.name = "mqtt",
	.state_size = sizeof(struct mqtt_state),
	.start = mqtt_start,
	.sniff = mqtt_sniff,
	.parse = mqtt_parse,
	.gap = mqtt_gap,
	.resync = mqtt_resync,
	.stitch = mqtt_stitch,
	.fini = mqtt_fini,
};
