/* proctree.h - the processes of a trace and what each one did: a table
 * built from the events one at a time (fork, exec and exit give the tree;
 * every event counts toward its process), the process tree summary written
 * from it (the end of the text timeline, `report`), as text or JSON, and
 * the focus rule (docs/output.md "Focus"): which processes used the
 * network, or match a --focus glob or descend from one that does.
 *
 * Owns its records and the copies it keeps (command line, executable); it
 * borrows the events only while adi_proctree_add runs, and the globs for
 * its whole life. Not thread-safe: one reader of one trace.
 *
 * A caller such as `report` reads a trace and hands every event to
 * adi_proctree_add, then writes the summary with adi_proctree_write_text
 * (the same lines as the timeline) or adi_proctree_write_json.
 */
#ifndef ADI_PROCTREE_H
#define ADI_PROCTREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "../lib/event.h"

/* The kinds counted per process, in the order the summary lists them. */
enum adi_pk {
	ADI_PK_FILE, ADI_PK_CONNECTION, ADI_PK_TCP, ADI_PK_HTTP, ADI_PK_GRPC, ADI_PK_SQL,
	ADI_PK_DB_SESSION, ADI_PK_REDIS, ADI_PK_MONGO, ADI_PK_DNS, ADI_PK_UDP,
	ADI_PK_PROCESS, ADI_PK_OTHER, ADI_PK_N
};

/* What a process (or a fold of processes) did. */
struct adi_proc_counts {
	uint64_t n[ADI_PK_N];          /* events per kind */
	uint64_t reads, read_bytes;    /* file events `read`, their bytes */
	uint64_t writes, write_bytes;  /* file events `write`, their bytes */
	uint64_t errors;               /* events that say something failed
					* (adi_event_failed) */
};

#define ADI_PROC_NONE UINT32_MAX
/* Processes kept one by one; the events of those that come after are
 * counted together (one "more processes" line) and are not focused. */
#define ADI_PROC_MAX 65536u

/* One process: a pid from its fork (or first event) to its exit. A pid
 * seen again after its exit is a new record. */
struct adi_proc {
	uint32_t pid, ppid;            /* ppid 0: not known */
	uint32_t index;                /* its place in the table (creation order) */
	uint32_t parent;               /* the parent's index, or ADI_PROC_NONE */
	char comm[16];                 /* the command name at its exec, else
					* at its first event */
	char *cmd;                     /* exec's argv joined by spaces, control
					* bytes escaped, cut; NULL: no exec seen */
	char *exe;                     /* exec's filename, or NULL */
	uint64_t t0, t1;               /* fork, exec or first event; exit or
					* the end of its last event */
	bool exited;
	int64_t exit_code;             /* when exited and not by a signal */
	char signal[16];               /* the signal's name when killed, else "" */
	bool net;                      /* it used the network: a TCP or UDP
					* event, or a protocol's (adi_event_is_net) */
	bool focus;                    /* it or an ancestor matches a --focus glob */
	struct adi_proc_counts all;    /* every event of it */
	/* The text timeline's own bookkeeping (sink_text.c): what it folded,
	 * and how much of that a fold line has said. */
	struct adi_proc_counts folded, said;
};

struct adi_proctree;

/* An empty table. globs (n of them, fnmatch patterns, borrowed for the
 * table's life; may be NULL when n is 0): the --focus globs, matched at
 * each exec against the command name, the executable and argv[0] (whole
 * and their last component). NULL on ENOMEM. */
struct adi_proctree *adi_proctree_new(const char *const *globs, unsigned n);
void adi_proctree_free(struct adi_proctree *t); /* accepts NULL */

/* Account one event to its process (created when new). Returns that
 * process (valid until the table is freed), or NULL for an event of no
 * process (pid 0, trace_summary), of a process past ADI_PROC_MAX (then
 * counted with the other such), or when out of memory (then not counted). */
struct adi_proc *adi_proctree_add(struct adi_proctree *t, const struct adi_event *ev);

/* How an event's members are looked up: adi_jv_member over its fields by
 * default (a scan of the member list per name); a caller that has already
 * indexed them (the text timeline) passes its own, so that a busy trace
 * is not scanned again. get returns the member's value or an absent view. */
struct adi_fields_get {
	struct adi_jv (*get)(const void *ctx, const char *name);
	const void *ctx;
};
struct adi_proc *adi_proctree_add_get(struct adi_proctree *t, const struct adi_event *ev,
				      const struct adi_fields_get *g);

/* Processes seen, and the i-th (creation order), or NULL past the end. */
uint32_t adi_proctree_count(const struct adi_proctree *t);
struct adi_proc *adi_proctree_at(const struct adi_proctree *t, uint32_t i);

/* The focus rule: a process whose file events the focused timeline shows
 * in full. */
static inline bool adi_proc_focused(const struct adi_proc *p)
{
	return p->net || p->focus;
}

/* The event says something failed: an `error`, a non-zero exit or a
 * signal, HTTP status >= 400 or none or a reset, a gRPC status other than
 * 0, Mongo `ok` false, a DNS rcode other than NOERROR (the --errors filter,
 * docs/cli.md). */
bool adi_event_failed(const char *kind, struct adi_jv fields);
bool adi_event_failed_get(const char *kind, const struct adi_fields_get *g);

/* The event is network I/O: a decoded protocol's (any kind but file,
 * process, connection, tcp_stream, udp_datagram and trace_summary), or a
 * connection, tcp_stream or udp_datagram over TCP or UDP (a unix socket is
 * not the network). */
bool adi_event_is_net(const char *kind, struct adi_jv fields);
bool adi_event_is_net_get(const char *kind, const struct adi_fields_get *g);

/* c as the summary words: "12 file events (2 reads 40 B, 1 write 335 B),
 * 2 connection, 1 http_request, 1 error" (process events are not named:
 * the tree is made of them); "" when there is nothing to say. Into buf
 * (cut to bufsz); returns buf. */
char *adi_proc_counts_str(const struct adi_proc_counts *c, char *buf, size_t bufsz);

/* The process tree summary as text lines (docs/output.md): a header line,
 * then each process under its parent, indented two spaces a level:
 *   fetch.test(26304) fetch.test -test.v -> exit 0 [31 ms]: COUNTS
 * children of one parent that share a command name, and used no network
 * and match no --focus glob, folded into one line:
 *   vet x132 -> exit 0 [3210 ms in all]: COUNTS
 * and past ADI_PROC_MAX processes, a last line with the counts of the
 * others. color: ANSI colours (the header bold, a failure red). Nothing
 * when the table is empty. 0, or -errno when writing failed. */
int adi_proctree_write_text(const struct adi_proctree *t, FILE *f, int color);

/* The same tree as a JSON array into w (at its current position: a value),
 * each node {"pid", "ppid", "comm", "command", "exit_code", "signal",
 * "running", "duration_ms", "net", "focus", "counts", "children"}, a fold
 * {"comm", "processes", "pids", "exits", "duration_ms", "counts",
 * "children"}; counts {"file", "reads", "read_bytes", "writes",
 * "write_bytes", "connection", ..., "errors"}; past ADI_PROC_MAX, a last
 * item {"more", "counts"}. */
void adi_proctree_write_json(const struct adi_proctree *t, struct adi_jw *w);

#endif
