/* otlp_int.h - between the OTLP mapping (otlp_map.c: an event becomes a
 * span or a log record, and its encoding) and the OTLP sink (otlp_send.c:
 * batches, the queue, the sender thread). Not a public header.
 */
#ifndef ADI_OTLP_INT_H
#define ADI_OTLP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "export.h"
#include "pb.h"
#include "../lib/hashmap.h"
#include "../lib/jw.h"

#define OTLP_MAX_ATTRS 48
#define OTLP_MAX_STR 64      /* strings decoded or built for one item */

enum otlp_vt { OTLP_STR, OTLP_INT, OTLP_BOOL, OTLP_DOUBLE, OTLP_STRARR };

struct otlp_attr {
	const char *key;          /* static, or kept in the item's strs */
	size_t key_n;
	enum otlp_vt t;
	const char *s;            /* OTLP_STR: bytes; OTLP_STRARR: a JSON array
				   * view of strings */
	size_t n;
	int64_t i;
	double d;
};

struct otlp_attrs {
	struct otlp_attr a[OTLP_MAX_ATTRS];
	unsigned n;
	unsigned dropped;
};

/* One span or log record, made from one event; strings point into the
 * event or into strs (freed by otlp_item_clear). */
struct otlp_item {
	bool is_span;
	uint8_t trace[16], span[8], parent[8];
	bool has_trace, has_parent;
	const char *name;         /* span name / log event name */
	size_t name_n;
	int kind;                 /* SpanKind: 2 server, 3 client */
	uint64_t t0, t1;
	struct otlp_attrs at;
	/* the span's exception event (errors), at t1 */
	bool exc;
	const char *exc_type, *exc_msg;
	size_t exc_type_n, exc_msg_n;
	int status;               /* 0 unset, 2 error */
	const char *status_msg;
	size_t status_msg_n;
	/* log records */
	int severity;             /* SeverityNumber: 9 INFO, 13 WARN */
	const char *body;
	size_t body_n;
	/* the resource: who did it */
	uint32_t pid;
	uint64_t res_key;         /* same key, same resource attributes */
	struct otlp_attrs res;
	char *strs[OTLP_MAX_STR];
	unsigned nstrs;
};

/* What the mapper remembers across events: the processes (command line,
 * parent) for the resources, ids of spans for their children. */
struct otlp_mapper {
	struct adi_map procs;     /* pid -> struct otlp_proc */
	struct adi_map spans;     /* event id -> struct otlp_spanref */
	uint64_t salt;            /* span ids of events with an id: hashed with it */
	uint64_t rng;             /* random ids otherwise */
	char host[256];
	const char *version;
};

int otlp_mapper_init(struct otlp_mapper *m, const char *host_name);
void otlp_mapper_fini(struct otlp_mapper *m);

/* ev as a span (protocol exchanges) or a log record (everything else):
 * 0, or -ENOMEM. it is cleared first. */
int otlp_map_event(struct otlp_mapper *m, const struct adi_event *ev, struct otlp_item *it);
void otlp_item_clear(struct otlp_item *it);

/* Encodings of an item: protobuf (the Span / LogRecord message's content)
 * or OTLP/JSON (its object), appended to out. */
void otlp_pb_item(struct adi_pb *out, const struct otlp_item *it);
void otlp_json_item(struct adi_jw *out, const struct otlp_item *it);
/* The Resource message's content / object of it. */
void otlp_pb_resource(struct adi_pb *out, const struct otlp_item *it);
void otlp_json_resource(struct adi_jw *out, const struct otlp_item *it);

#endif
