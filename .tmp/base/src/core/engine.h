/* engine.h - the core engine: normalized raw events in, semantic events out.
 *
 * Owns the process table, the fd table (with generations, so a reused fd
 * never mixes two files), the connection table with per-direction streams,
 * file-op aggregation, and the timeline that hands events to the sinks in
 * timestamp order. Knows nothing of eBPF, /proc or the clock: anything it
 * cannot learn from the events it asks of the resolver, and what the
 * resolver answers is itself turned into a META event (saved, so replay sees
 * exactly what the live run saw).
 */
#ifndef ADI_ENGINE_H
#define ADI_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "../lib/raw_event.h"
#include "../lib/event.h"

struct adi_engine_opts {
	unsigned body_bytes;     /* tcp preview / bodies kept (--body-bytes) */
	unsigned content_bytes;  /* file content sampled (--content-bytes) */
	unsigned rows_sample;
	bool no_net, no_fs, no_proc;
	bool show_secrets;
	uint64_t hold_ns;        /* reorder window: how long a pending event
				  * (an open merged read, an open connection)
				  * may hold back later ones; default 2 s */
	const char *backend;     /* for trace_summary: "ebpf", "replay" */
};

/* Asks the live system what the events did not say: what = ADI_META_FD
 * (path of pid's fd), ADI_META_CWD (pid's cwd) or ADI_META_CGROUP (the path
 * of the cgroup v2 whose id is cgroup_id, or when that is 0 or 1, the root
 * of a hybrid host, pid's cgroup path). Writes a NUL terminated string into
 * buf; returns 0, or -errno when it cannot know. */
typedef int (*adi_resolve_fn)(void *arg, enum adi_meta_op what, uint32_t pid,
			      int fd, uint64_t cgroup_id, char *buf, size_t bufsz);

struct adi_engine;

/* A new engine writing to nsinks sinks (borrowed, must outlive it). */
struct adi_engine *adi_engine_new(const struct adi_engine_opts *o,
				  struct adi_sink **sinks, int nsinks);
void adi_engine_free(struct adi_engine *e); /* accepts NULL */

void adi_engine_set_resolver(struct adi_engine *e, adi_resolve_fn fn, void *arg);
/* Save every event fed (and every META the resolver produced) to f, which
 * must already hold the header. Write errors are counted, reported at the
 * end, and stop the saving (never the trace). */
void adi_engine_save_raw(struct adi_engine *e, FILE *f);

/* Process one event: update the tables, maybe produce semantic events.
 * Returns 0; never fails on odd input (it is counted instead). */
int adi_engine_feed(struct adi_engine *e, const struct adi_raw_event *ev);

/* Flush the sinks' buffered output (the engine itself decides, from the
 * event stream alone, when events are released to them). Called by the
 * capture loop after each batch. */
void adi_engine_release(struct adi_engine *e);

/* End of trace: close what is open, emit everything and trace_summary
 * (using the ADI_META_END event's counts if one was fed). */
void adi_engine_finish(struct adi_engine *e);

struct adi_engine_stats {
	uint64_t events_out;     /* semantic events handed to sinks */
	uint64_t sink_errors;    /* failed sink writes */
	int first_sink_error;    /* -errno of the first one */
	uint64_t raw_in;
	uint64_t dropped;        /* from META_END */
	uint64_t save_errors;
	int save_errno;
	uint64_t evicted;        /* table entries evicted at their caps */
	uint64_t stream_gaps;    /* TCP byte ranges never seen */
	uint64_t decoded;        /* protocol messages decoded */
	uint64_t parse_skipped;  /* bytes decoders could not use (resync) */
	uint64_t parse_errors;   /* undecodable spots */
	uint64_t out_of_order;   /* events written after a later-starting one
				  * (held past --hold-ms or ADI_HELD_MAX) */
};
void adi_engine_stats(const struct adi_engine *e, struct adi_engine_stats *st);

#endif
