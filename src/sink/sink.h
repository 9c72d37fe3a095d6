/* sink.h - the sinks: text timeline, JSON Lines, the SQLite store and a
 * tee. Each implements the interface of lib/event.h (struct adi_sink).
 */
#ifndef ADI_SINK_H
#define ADI_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "../lib/event.h"
#include "../lib/util.h"

/* The text timeline's time column: the local clock, seconds since the
 * first event, or since the event before (strace -r). */
enum adi_text_time { ADI_TEXT_TIME_CLOCK, ADI_TEXT_TIME_REL, ADI_TEXT_TIME_DELTA };

/* The text timeline's focus (docs/output.md "Focus"): the file events of
 * processes out of focus folded into one line per process -- when the
 * trace is large (AUTO, the default), always (ON: --focus, --focus-net),
 * or never (OFF: --all). */
enum adi_text_focus { ADI_TEXT_FOCUS_AUTO, ADI_TEXT_FOCUS_ON, ADI_TEXT_FOCUS_OFF };

/* AUTO: a trace is large past this many events shown (not counting the
 * runtime's hidden ones). */
#define ADI_TEXT_FOCUS_ABOVE 1000

struct adi_sink_opts {
	int color;          /* text: 1 to use ANSI colours */
	unsigned content_preview; /* text: bytes of content/previews shown, default 64 */
	bool show_runtime;  /* text: also the runtime's own file events (the
			     * `runtime` field, docs/events.md); else they are
			     * counted in one line before the summary */
	enum adi_text_time time; /* text: the time column */
	enum adi_text_focus focus; /* text: when to fold */
	uint64_t focus_above;      /* text, AUTO: 0 means ADI_TEXT_FOCUS_ABOVE */
	const char *const *focus_globs; /* text: --focus (borrowed for the
					 * sink's life) */
	unsigned n_focus_globs;
	bool live;          /* text: a live trace, whose held lines are also
			     * written (or folded) by the wall clock when it
			     * goes quiet */
};

/* JSON Lines per docs/events.md: one object per line, keys in this order:
 * v, kind, timestamp, ts_ns, duration_ms, pid, tid, comm, cgroup_id,
 * container, id (when the event has one), then the event's fields in
 * their order. duration_ms is a
 * number with up to 3 decimals (ns / 1e6) or null.
 * The sink writes to f and does not close it. When f is fully buffered in
 * pieces of 64 KiB or more (a trace file), the sink batches lines itself
 * and writes them to f's descriptor in pieces of that size: nothing else
 * may write to f while the sink lives, flush() (or free) writes the rest,
 * and lines a failed write lost are counted by adi_sink_lost(). */
struct adi_sink *adi_sink_json_new(FILE *f);

/* What a writer of lines keeps from one line to the next: the second's
 * date and digits, the last pid, tid, cgroup id and id. Zeroed to start. */
struct adi_json_memo {
	struct adi_rfc3339_memo ts;
	struct adi_dec_memo pid, tid, cgroup_id, id;
};

/* The JSON Lines sink's line for ev (the object and its '\n') into the
 * caller's buffer *buf of *len bytes in *cap (grown with realloc; *len is
 * reset first). memo may be NULL. 0 or -ENOMEM. For the stores that keep
 * events as JSON. */
int adi_event_json_line(const struct adi_event *ev, struct adi_json_memo *memo, char **buf,
			size_t *len, size_t *cap);

/* The SQLite trace store (docs/store.md): events go into one `events`
 * table in batched transactions, committed after batch_events events, when
 * the open batch is batch_ms old (checked at each emit and flush), and
 * right after trace_summary. A failed commit loses its batch: counted by
 * the sink's lost() and reported by emit/flush as -errno, never fatal. */
struct adi_sqlite_opts {
	unsigned batch_events; /* 0: 1000 */
	unsigned batch_ms;     /* 0: 100 */
};
/* A new store at path, replacing any file there. o may be NULL. NULL with
 * errno set, and a message in err (errsz bytes) naming the problem. */
struct adi_sink *adi_sink_sqlite_new(const char *path, const struct adi_sqlite_opts *o,
				     char *err, size_t errsz);
/* Counters of a store sink (zeros for any other sink). */
struct adi_sqlite_stats {
	uint64_t written;  /* events committed */
	uint64_t lost;     /* events whose insert or commit failed */
	uint64_t commits;  /* transactions committed */
};
void adi_sink_sqlite_stats(const struct adi_sink *s, struct adi_sqlite_stats *st);
/* True when path names a store rather than JSON Lines / text: it ends in
 * .db or .sqlite. */
bool adi_sink_is_store_path(const char *path);

/* The human timeline, one event per line (continuation lines indented),
 * e.g.  15:10:41.123456 [PID 4213 sh] FS WRITE /tmp/a.txt (3 B) "hi\n"
 * ending with the process tree (proctree.h) before the summary line. A
 * file event's line may be held for up to 2 s of the trace's time while
 * the focus decides whether to fold it (docs/output.md "Focus"); the rest
 * is written when nothing older is held. Held lines are written by the
 * emit that releases them (whose return carries a write error), at
 * trace_summary, and when the sink is freed.
 * The sink writes to f and does not close it. */
struct adi_sink *adi_sink_text_new(FILE *f, const struct adi_sink_opts *o);

/* A sink that hands every event to a, then b, and owns both (freed with
 * it). emit/flush return a's error, else b's; lost() adds theirs. NULL
 * with errno = ENOMEM (a and b are then still the caller's). */
struct adi_sink *adi_sink_tee_new(struct adi_sink *a, struct adi_sink *b);


#endif
