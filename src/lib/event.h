/* event.h - a semantic event: what sinks print (docs/events.md).
 *
 * The common fields of every event live in the struct; the kind's own fields
 * (path, conn, method, sql...) are JSON text written once by a struct adi_jw
 * (lib/jw.h): a member list without braces, in the order of the contract,
 * which the JSON sink splices after the common fields as it is.
 */
#ifndef ADI_EVENT_H
#define ADI_EVENT_H

#include <stdint.h>
#include <stdbool.h>
#include "jw.h"

#define ADI_EVENT_VERSION 1

/* What an event is to a request tree (docs/engine.md "Request trees"). */
enum adi_ev_role {
	ADI_EV_PLAIN = 0,   /* may be the child of a request its process serves */
	ADI_EV_SERVED,      /* a request the traced task served (a decoded
			     * exchange on a connection it accepted): a parent */
	ADI_EV_INBOUND,     /* another event of an accepted connection (its
			     * accept, close, tcp_stream): never a child */
};

/* A member of an event's fields: its key's opening quote at fields + off,
 * the key klen bytes long (plain: written as it is), the value after the
 * colon up to the next member's comma (or the end). */
struct adi_evmem {
	uint32_t off, klen;
};

/* The index room: a writer's (ADI_JW_INDEX) and the members a request tree
 * puts first (parent_id, parent_by, or parent and parent_candidates). */
#define ADI_EVENT_INDEX (ADI_JW_INDEX + 4)

struct adi_event {
	const char *kind;      /* static string: "file", "process", ... */
	uint64_t ts_ns;        /* wall clock ns of the start of the event */
	int64_t duration_ns;   /* -1: null */
	uint32_t pid, tid;
	char comm[16];
	uint64_t cgroup_id;
	char container[65];    /* "" : null */
	uint64_t seq;          /* creation order: ties on ts_ns keep it */
	uint64_t id;           /* docs/events.md `id`: 1, 2, 3... in the order
				* written, given when the engine writes it; 0:
				* none (a trace read back that had none) */
	/* For request trees, set by the engine and never written out: who
	 * did the work (the process and thread that moved an exchange's last
	 * bytes, made a file call...; io_tid 0: the thread is not known) and
	 * the event's role (enum adi_ev_role). */
	uint32_t io_pid, io_tid;
	uint8_t role;
	const char *fields;    /* the kind's members: `"op":"open",...` (no
				* braces; "" for none), fields_len bytes;
				* the engine puts a child's parent members
				* (parent_id...) first */
	size_t fields_len;
	/* Where each member of fields lies, as the writer that wrote them
	 * kept it (adi_event_new_jw): a sink finds a member without reading
	 * the text. nidx 0: no index came with the event (read the text). */
	uint32_t nidx;
	struct adi_evmem idx[ADI_EVENT_INDEX];
};

/* A new event holding a copy of the fields text (n bytes; fields may be
 * NULL when n is 0), in one allocation; duration starts as null (-1).
 * kind must be a static string. NULL on ENOMEM. */
/* kind == name; the first byte tells most kinds apart without a call (a
 * sink asks a few of these of every event). kind may be NULL. */
static inline bool adi_kind_is(const char *kind, const char *name)
{
	return kind && kind[0] == name[0] && !strcmp(kind, name);
}

struct adi_event *adi_event_new(const char *kind, uint64_t ts_ns, const char *fields,
				size_t n);
/* The same from a writer's member list, with its index when it has one
 * whole (every member in it, every key plain). */
struct adi_event *adi_event_new_jw(const char *kind, uint64_t ts_ns, const struct adi_jw *w);
/* ev with the members pre[0..n) (a member list, no braces) before its
 * fields, grown in place where the allocator can (one copy of the fields
 * at most, none through a scratch writer): the event to use from now on;
 * its index is dropped. NULL, ev untouched, when memory is short or ev's
 * fields are not its own (not made by adi_event_new). */
struct adi_event *adi_event_prepend(struct adi_event *ev, const char *pre, size_t n);
/* The same from a writer's member list; the event's index keeps up when
 * both have one and the room holds both, else the event has none. */
struct adi_event *adi_event_prepend_jw(struct adi_event *ev, const struct adi_jw *w);
void adi_event_free(struct adi_event *ev); /* accepts NULL */
/* ev's index names its members as a reading of the text finds them (or it
 * has none): checked on every event in builds with assertions, where the
 * tests and fuzzers run. */
bool adi_event_index_ok(const struct adi_event *ev);

/* The fields as a member list view (adi_jv_member reads one). */
static inline struct adi_jv adi_event_fields(const struct adi_event *ev)
{
	struct adi_jv v = { ev->fields, ev->fields ? ev->fields_len : 0 };

	return v;
}


/* Where semantic events go. The engine hands each event, in timestamp
 * order, to every sink; a sink formats and writes it (src/sink/, src/ui/).
 * Ownership: emit() borrows the event for the duration of the call. */
struct adi_sink {
	/* Write one event. Return 0 or -errno (e.g. -ENOSPC from a full disk:
	 * the engine counts it and reports it, it does not stop tracing). */
	int (*emit)(struct adi_sink *s, const struct adi_event *ev);
	/* Flush buffered output; return 0 or -errno. */
	int (*flush)(struct adi_sink *s);
	void (*free)(struct adi_sink *s);
	/* Optional: events that emit() accepted but that were lost later (a
	 * batched sink whose commit failed). NULL: such a sink loses nothing
	 * after emit() returned 0. */
	uint64_t (*lost)(struct adi_sink *s);
	/* It reads events' member index (adi_event idx): the engine keeps one
	 * only when a sink does (it costs a copy per event). */
	bool reads_index;
};

/* Convenience: s->emit / s->flush / s->free with NULL checks. */
int adi_sink_emit(struct adi_sink *s, const struct adi_event *ev);
int adi_sink_flush(struct adi_sink *s);
void adi_sink_free(struct adi_sink *s);
/* s->lost(s), or 0. */
uint64_t adi_sink_lost(struct adi_sink *s);

#endif
