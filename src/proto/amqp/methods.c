/* methods.c - the AMQP 0-9-1 classes and methods the decoder knows (from
 * the specification's XML, amqp0-9-1.xml, and RabbitMQ's extensions:
 * exchange.bind, basic.nack, confirm, connection.blocked), and the writing
 * of their arguments, field tables and content properties as JSON. Owns
 * nothing; reads borrowed bytes through the cursor. docs/amqp.md.
 *
 *   method frame payload: class-id(2) method-id(2) arguments (bits packed into octets)
 *   field table: long size, then entries: short string name, type octet, value
 *   content header: class-id(2) weight(2) body-size(8) property-flags(2) properties
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aq.h"

static const struct aq_method aq_methods[] = {
	{ 10, 10, "connection.start",
	  "o version_major o version_minor F server_properties S mechanisms S locales", 11, false, NULL },
	{ 10, 11, "connection.start-ok", "F client_properties q mechanism S! response q locale", 0,
	  false, NULL },
	{ 10, 20, "connection.secure", "S challenge", 21, false, NULL },
	{ 10, 21, "connection.secure-ok", "S! response", 0, false, NULL },
	{ 10, 30, "connection.tune", "s channel_max l frame_max s heartbeat", 31, false, NULL },
	{ 10, 31, "connection.tune-ok", "s channel_max l frame_max s heartbeat", 0, false, NULL },
	{ 10, 40, "connection.open", "q virtual_host q -reserved_1 b -reserved_2", 41, false,
	  "virtual_host" },
	{ 10, 41, "connection.open-ok", "q -reserved_1", 0, false, NULL },
	{ 10, 50, "connection.close", "s reply_code q reply_text s class_id s method_id", 51, false,
	  NULL },
	{ 10, 51, "connection.close-ok", "", 0, false, NULL },
	{ 10, 60, "connection.blocked", "q reason", 0, false, NULL },
	{ 10, 61, "connection.unblocked", "", 0, false, NULL },
	{ 10, 70, "connection.update-secret", "S! new_secret q reason", 71, false, NULL },
	{ 10, 71, "connection.update-secret-ok", "", 0, false, NULL },
	{ 20, 10, "channel.open", "q -reserved_1", 11, false, NULL },
	{ 20, 11, "channel.open-ok", "S -reserved_1", 0, false, NULL },
	{ 20, 20, "channel.flow", "b active", 21, false, NULL },
	{ 20, 21, "channel.flow-ok", "b active", 0, false, NULL },
	{ 20, 40, "channel.close", "s reply_code q reply_text s class_id s method_id", 41, false,
	  NULL },
	{ 20, 41, "channel.close-ok", "", 0, false, NULL },
	{ 40, 10, "exchange.declare",
	  "s -reserved_1 q exchange q type b passive b durable b auto_delete b internal b no_wait "
	  "F arguments", 11, false, "exchange" },
	{ 40, 11, "exchange.declare-ok", "", 0, false, NULL },
	{ 40, 20, "exchange.delete", "s -reserved_1 q exchange b if_unused b no_wait", 21, false,
	  "exchange" },
	{ 40, 21, "exchange.delete-ok", "", 0, false, NULL },
	{ 40, 30, "exchange.bind",
	  "s -reserved_1 q destination q source q routing_key b no_wait F arguments", 31, false,
	  "destination" },
	{ 40, 31, "exchange.bind-ok", "", 0, false, NULL },
	{ 40, 40, "exchange.unbind",
	  "s -reserved_1 q destination q source q routing_key b no_wait F arguments", 51, false,
	  "destination" },
	{ 40, 51, "exchange.unbind-ok", "", 0, false, NULL },
	{ 50, 10, "queue.declare",
	  "s -reserved_1 q queue b passive b durable b exclusive b auto_delete b no_wait F arguments",
	  11, false, "queue" },
	{ 50, 11, "queue.declare-ok", "q queue l message_count l consumer_count", 0, false, NULL },
	{ 50, 20, "queue.bind",
	  "s -reserved_1 q queue q exchange q routing_key b no_wait F arguments", 21, false, "queue" },
	{ 50, 21, "queue.bind-ok", "", 0, false, NULL },
	{ 50, 30, "queue.purge", "s -reserved_1 q queue b no_wait", 31, false, "queue" },
	{ 50, 31, "queue.purge-ok", "l message_count", 0, false, NULL },
	{ 50, 40, "queue.delete", "s -reserved_1 q queue b if_unused b if_empty b no_wait", 41,
	  false, "queue" },
	{ 50, 41, "queue.delete-ok", "l message_count", 0, false, NULL },
	{ 50, 50, "queue.unbind", "s -reserved_1 q queue q exchange q routing_key F arguments", 51,
	  false, "queue" },
	{ 50, 51, "queue.unbind-ok", "", 0, false, NULL },
	{ 60, 10, "basic.qos", "l prefetch_size s prefetch_count b global", 11, false, NULL },
	{ 60, 11, "basic.qos-ok", "", 0, false, NULL },
	{ 60, 20, "basic.consume",
	  "s -reserved_1 q queue q consumer_tag b no_local b no_ack b exclusive b no_wait "
	  "F arguments", 21, false, "queue" },
	{ 60, 21, "basic.consume-ok", "q consumer_tag", 0, false, NULL },
	{ 60, 30, "basic.cancel", "q consumer_tag b no_wait", 31, false, NULL },
	{ 60, 31, "basic.cancel-ok", "q consumer_tag", 0, false, NULL },
	{ 60, 40, "basic.publish", "s -reserved_1 q exchange q routing_key b mandatory b immediate",
	  0, true, "exchange|routing_key" },
	{ 60, 50, "basic.return", "s reply_code q reply_text q exchange q routing_key", 0, true,
	  "exchange|routing_key" },
	{ 60, 60, "basic.deliver",
	  "q consumer_tag L delivery_tag b redelivered q exchange q routing_key", 0, true,
	  "exchange|routing_key" },
	{ 60, 70, "basic.get", "s -reserved_1 q queue b no_ack", 71, false, "queue" },
	{ 60, 71, "basic.get-ok",
	  "L delivery_tag b redelivered q exchange q routing_key l message_count", 0, true,
	  "exchange|routing_key" },
	{ 60, 72, "basic.get-empty", "q -reserved_1", 0, false, NULL },
	{ 60, 80, "basic.ack", "L delivery_tag b multiple", 0, false, NULL },
	{ 60, 90, "basic.reject", "L delivery_tag b requeue", 0, false, NULL },
	{ 60, 100, "basic.recover-async", "b requeue", 0, false, NULL },
	{ 60, 110, "basic.recover", "b requeue", 111, false, NULL },
	{ 60, 111, "basic.recover-ok", "", 0, false, NULL },
	{ 60, 120, "basic.nack", "L delivery_tag b multiple b requeue", 0, false, NULL },
	{ 85, 10, "confirm.select", "b no_wait", 11, false, NULL },
	{ 85, 11, "confirm.select-ok", "", 0, false, NULL },
	{ 90, 10, "tx.select", "", 11, false, NULL },
	{ 90, 11, "tx.select-ok", "", 0, false, NULL },
	{ 90, 20, "tx.commit", "", 21, false, NULL },
	{ 90, 21, "tx.commit-ok", "", 0, false, NULL },
	{ 90, 30, "tx.rollback", "", 31, false, NULL },
	{ 90, 31, "tx.rollback-ok", "", 0, false, NULL },
};
#define AQ_NMETHODS (sizeof(aq_methods) / sizeof(aq_methods[0]))

const struct aq_method *aq_method_find(unsigned cls, unsigned m)
{
	for (size_t i = 0; i < AQ_NMETHODS; i++)
		if (aq_methods[i].cls == cls && aq_methods[i].id == m)
			return &aq_methods[i];
	return NULL;
}

/* ---- field tables ---- */

static bool aq_value(struct adi_jw *w, struct adi_cur *c, uint8_t type, unsigned depth,
		     unsigned *items);

/* A field table (its long size first) as an object. */
static bool aq_table(struct adi_jw *w, struct adi_cur *c, unsigned depth, unsigned *items)
{
	struct adi_cur t;
	uint32_t size;

	if (depth >= AQ_MAX_DEPTH || !adi_cur_be32(c, &size) || !adi_cur_sub(c, size, &t))
		return adi_cur_fail(c);
	adi_jw_obj(w);
	while (adi_cur_left(&t)) {
		const uint8_t *k;
		size_t kn;
		uint8_t type;

		if (!adi_cur_lpstr(&t, 1, true, &k, &kn) || !adi_cur_u8(&t, &type))
			return adi_cur_fail(c);
		if (++*items > AQ_MAX_ITEMS) {
			/* read on (the bytes must be valid), write no more */
			struct adi_jw sink;

			adi_jw_init(&sink);
			adi_jw_arr(&sink);
			if (!aq_value(&sink, &t, type, depth + 1, items)) {
				adi_jw_fini(&sink);
				return adi_cur_fail(c);
			}
			adi_jw_fini(&sink);
			continue;
		}
		adi_jw_keyn(w, (const char *)k, kn);
		if (!aq_value(w, &t, type, depth + 1, items))
			return adi_cur_fail(c);
	}
	adi_jw_obj_end(w);
	return true;
}

/* One field value of the given type (RabbitMQ's type characters, which
 * differ from the 0-9-1 text for the short ints: s is a signed short, l a
 * signed long long). */
static bool aq_value(struct adi_jw *w, struct adi_cur *c, uint8_t type, unsigned depth,
		     unsigned *items)
{
	const uint8_t *s;
	size_t sn;
	uint8_t b;
	uint16_t h;
	uint32_t x;
	uint64_t q;
	char num[40];

	switch (type) {
	case 't':
		if (!adi_cur_u8(c, &b))
			return false;
		adi_jw_bool(w, b != 0);
		return true;
	case 'b':
		if (!adi_cur_u8(c, &b))
			return false;
		adi_jw_int(w, (int8_t)b);
		return true;
	case 'B':
		if (!adi_cur_u8(c, &b))
			return false;
		adi_jw_int(w, b);
		return true;
	case 's': case 'U':
		if (!adi_cur_be16(c, &h))
			return false;
		adi_jw_int(w, (int16_t)h);
		return true;
	case 'u':
		if (!adi_cur_be16(c, &h))
			return false;
		adi_jw_int(w, h);
		return true;
	case 'I':
		if (!adi_cur_be32(c, &x))
			return false;
		adi_jw_int(w, (int32_t)x);
		return true;
	case 'i':
		if (!adi_cur_be32(c, &x))
			return false;
		adi_jw_int(w, x);
		return true;
	case 'l': case 'L':
		if (!adi_cur_be64(c, &q))
			return false;
		adi_jw_int(w, (int64_t)q);
		return true;
	case 'T':
		if (!adi_cur_be64(c, &q))
			return false;
		adi_jw_u64(w, q);
		return true;
	case 'f': {
		float f;

		if (!adi_cur_be32(c, &x))
			return false;
		memcpy(&f, &x, sizeof(f));
		adi_jw_double(w, f);
		return true;
	}
	case 'd': {
		double d;

		if (!adi_cur_be64(c, &q))
			return false;
		memcpy(&d, &q, sizeof(d));
		adi_jw_double(w, d);
		return true;
	}
	case 'D':
		/* decimal: scale octet, then a long: written as text */
		if (!adi_cur_u8(c, &b) || !adi_cur_be32(c, &x))
			return false;
		snprintf(num, sizeof(num), "%" PRId32 "e-%u", (int32_t)x, b);
		adi_jw_str(w, num);
		return true;
	case 'S': case 'x':
		if (!adi_cur_lpstr(c, 4, true, &s, &sn))
			return false;
		adi_jw_bytes(w, s, sn);
		return true;
	case 'V':
		adi_jw_null(w);
		return true;
	case 'F':
		return aq_table(w, c, depth, items);
	case 'A': {
		struct adi_cur a;

		if (depth >= AQ_MAX_DEPTH || !adi_cur_be32(c, &x) || !adi_cur_sub(c, x, &a))
			return false;
		adi_jw_arr(w);
		while (adi_cur_left(&a)) {
			if (!adi_cur_u8(&a, &b) || !aq_value(w, &a, b, depth + 1, items))
				return false;
		}
		adi_jw_arr_end(w);
		return true;
	}
	}
	return false;
}

/* ---- method arguments ---- */

bool aq_args_write(struct adi_jw *w, const struct aq_method *md, struct adi_cur *c,
		   bool show_secrets, bool *nowait, const uint8_t **dst, size_t *dn)
{
	const char *a = md->args;
	const uint8_t *exch = NULL, *rkey = NULL;
	size_t exn = 0, rkn = 0;
	unsigned bitn = 0, items = 0;
	uint8_t bits = 0;

	*nowait = false;
	*dst = NULL;
	*dn = 0;
	adi_jw_kobj(w, "arguments");
	while (*a) {
		char type = *a++;
		bool secret = *a == '!';
		const char *name;
		size_t nl;
		bool skip;

		if (secret)
			a++;
		while (*a == ' ')
			a++;
		name = a;
		while (*a && *a != ' ')
			a++;
		nl = (size_t)(a - name);
		while (*a == ' ')
			a++;
		skip = name[0] == '-';
		if (type != 'b')
			bitn = 0; /* bits pack only while they follow each other */
		if (!skip)
			adi_jw_keyn_plain(w, name, nl);
		switch (type) {
		case 'b': {
			bool v;

			if (bitn % 8 == 0 && !adi_cur_u8(c, &bits))
				return false;
			v = (bits >> (bitn % 8)) & 1;
			bitn++;
			if (nl == 7 && !memcmp(name, "no_wait", 7))
				*nowait = v;
			if (!skip)
				adi_jw_bool(w, v);
			break;
		}
		case 'o': {
			uint8_t v;

			if (!adi_cur_u8(c, &v))
				return false;
			if (!skip)
				adi_jw_int(w, v);
			break;
		}
		case 's': {
			uint16_t v;

			if (!adi_cur_be16(c, &v))
				return false;
			if (!skip)
				adi_jw_int(w, v);
			break;
		}
		case 'l': {
			uint32_t v;

			if (!adi_cur_be32(c, &v))
				return false;
			if (!skip)
				adi_jw_int(w, v);
			break;
		}
		case 'L': case 'T': {
			uint64_t v;

			if (!adi_cur_be64(c, &v))
				return false;
			if (!skip)
				adi_jw_u64(w, v);
			break;
		}
		case 'q': case 'S': {
			const uint8_t *s;
			size_t sn;

			if (!adi_cur_lpstr(c, type == 'q' ? 1 : 4, true, &s, &sn))
				return false;
			if (!skip) {
				if (secret && !show_secrets)
					adi_jw_str(w, "<redacted>");
				else
					adi_jw_bytes(w, s, sn);
			}
			if (nl == 8 && !memcmp(name, "exchange", 8)) {
				exch = s;
				exn = sn;
			}
			if (nl == 11 && !memcmp(name, "routing_key", 11)) {
				rkey = s;
				rkn = sn;
			}
			if (md->dest && strlen(md->dest) == nl && !memcmp(md->dest, name, nl)) {
				*dst = s;
				*dn = sn;
			}
			break;
		}
		case 'F':
			if (skip || !aq_table(w, c, 0, &items))
				return false;
			break;
		default:
			return false;
		}
	}
	adi_jw_obj_end(w);
	if (md->dest && !strcmp(md->dest, "exchange|routing_key")) {
		/* the default exchange ("") routes by the key: the queue's name */
		*dst = exn ? exch : rkey;
		*dn = exn ? exn : rkn;
		if (!*dst)
			*dst = (const uint8_t *)"";
	}
	return !c->bad;
}

bool aq_close_error(struct adi_cur c, const uint8_t **t, size_t *tn, uint16_t *code)
{
	if (!adi_cur_be16(&c, code) || !adi_cur_lpstr(&c, 1, true, t, tn))
		return false;
	return *code != 200;
}

/* ---- content properties (class basic) ---- */

bool aq_props_write(struct adi_jw *w, struct adi_cur *c)
{
	/* property flags bits 15..2, in this order */
	static const struct {
		char type;
		const char *name;
	} props[] = {
		{ 'q', "content_type" }, { 'q', "content_encoding" }, { 'F', "headers" },
		{ 'o', "delivery_mode" }, { 'o', "priority" }, { 'q', "correlation_id" },
		{ 'q', "reply_to" }, { 'q', "expiration" }, { 'q', "message_id" },
		{ 'T', "timestamp" }, { 'q', "type" }, { 'q', "user_id" }, { 'q', "app_id" },
		{ 'q', "cluster_id" },
	};
	uint16_t flags;
	unsigned items = 0;

	if (!adi_cur_be16(c, &flags))
		return false;
	adi_jw_kobj(w, "properties");
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		const uint8_t *s;
		size_t sn;
		uint8_t o;
		uint64_t q;

		if (!(flags & (1u << (15 - i))))
			continue;
		adi_jw_key(w, props[i].name);
		switch (props[i].type) {
		case 'q':
			if (!adi_cur_lpstr(c, 1, true, &s, &sn))
				return false;
			adi_jw_bytes(w, s, sn);
			break;
		case 'o':
			if (!adi_cur_u8(c, &o))
				return false;
			adi_jw_int(w, o);
			break;
		case 'T':
			if (!adi_cur_be64(c, &q))
				return false;
			adi_jw_u64(w, q);
			break;
		default:
			if (!aq_table(w, c, 0, &items))
				return false;
		}
	}
	adi_jw_obj_end(w);
	return !c->bad;
}
