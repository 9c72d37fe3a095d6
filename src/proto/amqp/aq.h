/* aq.h - private to the AMQP 0-9-1 decoder (src/proto/amqp/): limits, the
 * method table's shape, the per-connection state and what the two files
 * lend each other. Nothing outside this folder includes it.
 *
 *   methods.c  the specification's classes and methods (names, arguments,
 *              their -ok), argument lists, field tables and content
 *              properties written as JSON
 *   amqp.c     frames: parse(), gap(), resync(), sniff(); stitch(); the
 *              adi_proto_amqp table
 */
#ifndef ADI_PROTO_AMQP_AQ_H
#define ADI_PROTO_AMQP_AQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../amqp.h"
#include "../../lib/cursor.h"
#include "../../lib/jw.h"

#define AQ_FRAME_END 0xce
#define AQ_HOLD (ADI_PROTO_LOOKAHEAD - 8) /* a method / header frame held whole */
#define AQ_MAX_DEPTH 8            /* field tables / arrays nested */
#define AQ_MAX_ITEMS 1024         /* table entries / array items written per message */
#define AQ_WAIT_MAX 256           /* messages behind an unanswered method before it is
				   * written alone */
#define AQ_PORT 5672

/* adi_msg.key: the channel, and: */
#define AQ_K_CHANNEL(k) ((k) & 0xffff)
#define AQ_K_TRUNC (1ULL << 16)   /* something was cut or not kept */
#define AQ_K_NOWAIT (1ULL << 17)  /* no_wait set: no -ok comes */
#define AQ_K_LOST_SHIFT 32        /* messages of its direction lost before it */

/* adi_msg.kind */
#define AQ_KIND(cls, m) ((int)((unsigned)(cls) << 16 | (m)))
#define AQ_CLASS(k) ((unsigned)(k) >> 16)
#define AQ_METHOD(k) ((unsigned)(k) & 0xffff)

/* One method of the specification. args: its arguments, each a type
 * character and a name, separated by spaces; a name starting with '-' is
 * reserved (read, not written); the type characters are o (octet), s
 * (short), l (long), L (long long), q (short string), S (long string), b
 * (bit), F (field table), T (timestamp); a '!' after the type marks a
 * secret (written "<redacted>" unless --show-secrets). */
struct aq_method {
	uint16_t cls, id;
	const char *name;         /* "queue.declare" */
	const char *args;
	uint16_t ok;              /* the -ok's method id, 0: asynchronous */
	bool content;             /* a content header and body follow */
	const char *dest;         /* the argument that is the destination; "exchange|
				   * routing_key": the exchange, or the routing key
				   * when the exchange is "" (the default) */
};

/* The method of class cls, id m, or NULL. */
const struct aq_method *aq_method_find(unsigned cls, unsigned m);

/* The arguments of method md in c written as the object member
 * "arguments"; *nowait: its no_wait bit was set; *dst / *dn: the
 * destination's bytes (borrowed from c). false: malformed. */
bool aq_args_write(struct adi_jw *w, const struct aq_method *md, struct adi_cur *c,
		   bool show_secrets, bool *nowait, const uint8_t **dst, size_t *dn);

/* Content header properties (class basic: property flags then the
 * present ones) written as member "properties". false: malformed. */
bool aq_props_write(struct adi_jw *w, struct adi_cur *c);

/* The error text of a close method's arguments in c (reply_text when
 * reply_code is not 200), or NULL; borrowed. */
bool aq_close_error(struct adi_cur c, const uint8_t **t, size_t *tn, uint16_t *code);

#endif
