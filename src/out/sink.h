/* sink.h - where semantic events go. The engine hands each event, in
 * timestamp order, to every sink; a sink formats and writes it.
 *
 * Ownership: emit() borrows the event for the duration of the call.
 */
#ifndef ADI_SINK_H
#define ADI_SINK_H

#include <stdio.h>
#include "../core/event.h"

struct adi_sink {
	/* Write one event. Return 0 or -errno (e.g. -ENOSPC from a full disk:
	 * the engine counts it and reports it, it does not stop tracing). */
	int (*emit)(struct adi_sink *s, const struct adi_event *ev);
	/* Flush buffered output; return 0 or -errno. */
	int (*flush)(struct adi_sink *s);
	void (*free)(struct adi_sink *s);
};

struct adi_sink_opts {
	int color;          /* text: 1 to use ANSI colours */
	unsigned content_preview; /* text: bytes of content/previews shown, default 64 */
};

/* JSON Lines per events.md: one object per line, keys in this order:
 * v, kind, timestamp, ts_ns, duration_ms, pid, tid, comm, cgroup_id,
 * container, then the event's fields in their order. duration_ms is a
 * number with up to 3 decimals (ns / 1e6) or null.
 * The sink writes to f and does not close it. */
struct adi_sink *adi_sink_json_new(FILE *f);

/* The human timeline, one event per line (continuation lines indented),
 * e.g.  15:10:41.123456 [PID 4213 sh] FS WRITE /tmp/a.txt (3 B) "hi\n"
 * The sink writes to f and does not close it. */
struct adi_sink *adi_sink_text_new(FILE *f, const struct adi_sink_opts *o);

/* Convenience: s->emit / s->flush / s->free with NULL checks. */
int adi_sink_emit(struct adi_sink *s, const struct adi_event *ev);
int adi_sink_flush(struct adi_sink *s);
void adi_sink_free(struct adi_sink *s);

#endif
