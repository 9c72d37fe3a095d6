/* engine_int.h - the engine's tables, shared by engine.c (dispatch, timeline,
 * summary), tables.c (processes and fds), conn.c (connections and streams)
 * and fileops.c (file events and read/write merging). Not a public API. */
#ifndef ADI_ENGINE_INT_H
#define ADI_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "engine.h"
#include "../lib/hashmap.h"
#include "../proto/proto.h"
#include "stream.h"

/* Caps: beyond them the oldest-looking entries are evicted and counted. */
#define ADI_MAX_PROCS 65536
#define ADI_MAX_FDS 262144
#define ADI_MAX_CONNS 65536
#define ADI_MAX_KINDS 32
#define ADI_PATH_BUF 4096
/* what all decoders' stream buffers may hold together */
#define ADI_DECODE_BUDGET (256u << 20)
/* events between two timeline releases */
#define ADI_RELEASE_EVERY 64
/* a merged run of reads or writes also ends at a pause longer than this
 * in which the process did something else (a socket, another file): one
 * "write" of a log should not span the requests it logs (docs/events.md) */
#define ADI_RUN_SPLIT_NS (1000000ull)
/* a merged run of reads or writes lasts at most this long (or --hold-ms
 * when shorter; docs/engine.md): an open run holds every later event back,
 * and a server pread()ing one cached fd for every request made a single
 * run that held 2 s of events (630 MB at 180 K HTTP/2 requests/s) */
#define ADI_RUN_MAX_NS (100ull * 1000000ull)
/* how far behind the newest record the timeline stays (docs/engine.md):
 * records of different CPUs reach the ring in the order they were reserved,
 * not the order their timestamps were taken, so one stamped a little
 * earlier may come after one already written (seen: 30 ns) */
#define ADI_SKEW_NS (1000000ull)
/* events the timeline holds back at most (docs/engine.md): past it the
 * oldest are written even though something still pending started before
 * them (it is then written out of order, as after --hold-ms) -- memory
 * stays bounded whatever the event rate */
#define ADI_HELD_MAX 65536

struct adi_conn;
struct adi_event;

struct adi_heap_ent {
	uint64_t ts, seq;
	struct adi_event *ev;
};

/* A merged run of reads or writes on one fd (docs/events.md: consecutive reads
 * or writes are one event). */
struct adi_fagg {
	bool active;
	bool write;
	uint64_t ts, last_ts;
	uint64_t bytes;
	uint32_t ops;
	uint32_t tid;
	char comm[16];
	uint64_t cgroup_id;
	uint32_t uid, gid, mode;
	uint8_t *content;        /* first content_bytes of the run */
	uint32_t clen;
	bool content_gap;        /* a call in the run carried no payload */
};

struct adi_fd {
	uint32_t pid;
	int fd;
	uint64_t gen;            /* unique per opened fd in this trace */
	uint8_t kind;            /* enum adi_fd_kind */
	bool cloexec;
	bool from_open;          /* opened under trace (we saw the open) */
	bool stdio;              /* a standard stream or a copy of one (adi_fd_is_stdio) */
	bool inherited;          /* the process got it from its parent at fork */
	bool used;               /* the process read or wrote through it */
	char *path;              /* absolute path, or NULL when unknown */
	const char *runtime;     /* its runtime-noise class (static), once known */
	bool runtime_known;
	uint64_t ino;
	struct adi_conn *conn;   /* sockets: a counted reference */
	struct adi_fagg agg;
	struct adi_fd *pnext, *pprev; /* the process's fds */
	struct adi_fd *anext, *aprev; /* engine's list of fds with an active agg */
};

/* A cgroup v2 seen in events (id > 1) and what it says. */
struct adi_cgroup {
	char container[65];      /* "" when not a container */
	bool known;              /* META_CGROUP applied (else: asked, no answer) */
};

struct adi_proc {
	uint32_t pid, ppid;
	char comm[16];
	uint64_t cgroup_id;
	char *cwd;               /* NULL when unknown */
	struct adi_fd *fds;
	char container[65];      /* container id, "" when none */
	bool cg_known;           /* container learnt (META_CGROUP or parent) */
	bool cwd_tried, cg_tried;/* asked the resolver once already */
	/* the latest activity of the process that may end a merged run of
	 * reads or writes (fileops.c): its time, and the generation of the
	 * fd when it was a file read or write (0: anything else) */
	uint64_t act_ts, act_gen;
};

enum adi_conn_state { CONN_NEW, CONN_PENDING, CONN_OPEN, CONN_FAILED };

struct adi_stream {
	uint64_t bytes;          /* true bytes moved in this direction */
	uint8_t *preview;        /* first body_bytes, owned */
	uint32_t plen;
	bool have_seq;
	uint32_t next_seq;       /* expected TCP position of the next byte */
	uint64_t gaps, gap_bytes;
	bool eof;
	uint64_t first_ts, last_ts;
};

struct adi_conn {
	uint64_t id;             /* conn.id in output */
	uint64_t ino;            /* socket inode: the identity across dup/fork */
	int refs;                /* fds naming it */
	uint8_t transport;       /* enum adi_transport */
	uint8_t role;            /* 0 unknown, 1 client, 2 server */
	bool stream;             /* SOCK_STREAM */
	bool dgram;              /* SOCK_DGRAM: datagrams, each a message (dgram.c) */
	char local[128], remote[128];
	uint32_t pid, tid;
	char comm[16];
	uint64_t cgroup_id;
	uint32_t io_pid, io_tid; /* who moved its latest bytes (0: none yet):
				  * the thread an exchange's event is said to
				  * be the work of (request trees, tree.c) */
	enum adi_conn_state state;
	int connect_err;         /* errno of a failed connect */
	uint64_t start_ts, last_ts;
	bool announced;          /* connect/accept event written */
	const struct adi_proto *proto;
	bool classified;
	bool decoding;           /* proto claimed it: pc is live */
	bool midlife;            /* first seen in the middle of its life */
	uint8_t late_tries;      /* chunks offered to the classifier since */
	struct adi_pconn pc;     /* the decoder's streams (stream.h) */
	struct adi_stream s[2];  /* [0] out (written by us), [1] in */
	char *conn_json;         /* the conn member's value as written, owned;
				  * NULL: write it again (its ends changed) */
	uint32_t conn_json_len;
	struct adi_tls_conn *tls; /* TLS: its handshake facts and plaintext
				  * decoding (tls.c); NULL for cleartext */
	struct adi_conn *next, *prev; /* engine's open list */
};

/* Request trees (tree.c, docs/engine.md): the requests a process is serving
 * that later events may belong to, as the timeline writes them. */
#define ADI_TREE_OPEN_MAX 65536   /* requests held open, all processes */
#define ADI_TREE_THREADS_MAX 65536 /* threads remembered as request threads */
#define ADI_TREE_CANDIDATES 16    /* candidates listed when ambiguous */

struct adi_openreq {
	uint64_t id;
	uint64_t start, end;     /* the request's span (ts_ns, + duration) */
	uint32_t tid;            /* the thread that served it (its io_tid) */
};

/* The open requests of one process, in the order written (= id order). */
struct adi_reqset {
	struct adi_openreq *v;
	uint32_t n, cap;
	uint64_t blind_until;    /* a request was not held (ADI_TREE_OPEN_MAX):
				  * until it ends, nothing is attributed */
};

struct adi_tree {
	uint64_t next_id;        /* the id of the next event written */
	uint64_t latest;         /* the latest start written */
	struct adi_map procs;    /* io pid -> struct adi_reqset */
	struct adi_map threads;  /* pid << 32 | tid of every thread that served
				  * a request -> (void *)1 */
	bool threads_full;       /* ADI_TREE_THREADS_MAX reached: the "time"
				  * rule is off (a request thread could no
				  * longer be told from a helper) */
	size_t open;             /* requests held, all processes */
	unsigned since_sweep;
	struct adi_jw w;         /* a child's members, written before its own */
};

struct adi_kind_count {
	const char *kind;
	uint64_t n;
};

/* A path's runtime class (fileops.c), remembered: a server opening the
 * same file for every request would classify it every time. */
#define ADI_RT_CACHE 256
struct adi_rt_slot {
	uint64_t hash;
	char *path;             /* owned; NULL: empty */
	const char *cls;        /* static; NULL: not runtime noise */
};

struct adi_engine {
	struct adi_engine_opts o;
	struct adi_rt_slot rt_cache[ADI_RT_CACHE];
	struct adi_msg_pool msg_pool; /* the decoders' spare messages */
	/* the last open's flags as text: a server opens with the same flags
	 * every time (fileops.c) */
	struct {
		bool set;
		uint32_t flags;
		char str[256];
	} oflags_memo;
	struct adi_sink **sinks;
	int nsinks;
	adi_resolve_fn resolve;
	void *resolve_arg;
	FILE *save;

	struct adi_map procs;    /* pid -> adi_proc */
	struct adi_map fds;      /* pid << 32 | fd -> adi_fd */
	struct adi_map conns;    /* socket inode -> adi_conn */
	struct adi_fd *aggs;     /* fds with an active merged run */
	struct adi_conn *open_conns;
	uint64_t next_gen, next_conn_id;
	/* local ports the traced processes listened on before the trace
	 * (META_LISTEN): the role of connections first seen mid-life */
	uint8_t listen_ports[65536 / 8];
	/* cgroup id -> struct adi_cgroup: the container of every task in it */
	struct adi_map cgroups;

	/* timeline: the held events in (ts_ns, seq) order, the keys beside
	 * the pointers so sifting does not chase every event (a busy trace
	 * holds tens of thousands). Most come in order: those go to the run,
	 * a FIFO (ring), and only the others to a min-heap; the earlier of
	 * the two heads goes out first. */
	struct adi_heap_ent *heap;
	uint64_t last_out_ts;    /* start of the latest event written */
	size_t nheap, capheap;
	struct adi_heap_ent *run;
	size_t run_head, nrun, caprun;
	uint64_t next_seq;
	uint64_t now;            /* largest raw timestamp seen */
	unsigned since_release;

	uint64_t start_ts, end_ts;
	bool have_end;
	uint64_t dropped, truncated;
	uint64_t produced, delivered; /* kernel records, from META_END */
	struct adi_kind_count kinds[ADI_MAX_KINDS];
	int nkinds;
	struct adi_engine_stats st;
	char *backend_name;
	struct adi_proto_cfg pcfg; /* what decoders are told (from o) */
	struct adi_jw w;           /* the fields of the event being written */
	struct adi_budget budget;  /* decoder buffers of all connections */
	struct adi_tree tree;      /* ids and parents of the events written */
	struct adi_tls_eng *tls;   /* TLS libraries, sessions, summary (tls.c);
				    * NULL until the trace has any */
};

/* The errno of a syscall result: -ret for -4095..-1 (the kernel's range),
 * EIO for anything more negative (only a corrupt capture has that), 0 for
 * success. Never negates INT64_MIN. */
static inline int adi_err_of(int64_t ret)
{
	return ret >= 0 ? 0 : ret >= -4095 ? (int)-ret : 5 /* EIO */;
}

/* engine.c */
/* The writer of the next event's fields, emptied (one event at a time:
 * nothing may begin another before this one is committed). */
struct adi_jw *adi_ev_begin(struct adi_engine *e);
/* The event whose fields are in e->w: given its common fields, held for
 * ordering and written in start order. duration_ns -1: null. Returns the
 * held event, whose io_pid/io_tid (pid and tid until then) and role (plain)
 * the caller may still set for request trees; NULL when it was lost
 * (ENOMEM, counted). */
struct adi_event *adi_ev_commit(struct adi_engine *e, const char *kind, uint64_t ts,
				int64_t duration_ns, uint32_t pid, uint32_t tid,
				const char *comm, uint64_t cgroup_id);

/* tables.c */
struct adi_proc *adi_proc_get(struct adi_engine *e, uint32_t pid);
struct adi_proc *adi_proc_ensure(struct adi_engine *e, const struct adi_raw_fixed *f);
void adi_proc_remove(struct adi_engine *e, struct adi_proc *p, uint64_t ts);
struct adi_fd *adi_fd_get(struct adi_engine *e, uint32_t pid, int fd);
/* A new entry for pid's fd (closing whatever was there, at ts). */
struct adi_fd *adi_fd_install(struct adi_engine *e, struct adi_proc *p, int fd,
			      uint8_t kind, const char *path, uint64_t ts);
/* A standard stream: fd 0-2 not opened there by the process itself, made
 * one by dup2, or a copy of one (a shell saving its stdout as fd 10). */
static inline bool adi_fd_is_stdio(const struct adi_fd *f)
{
	return f->stdio || (f->fd >= 0 && f->fd <= 2 && !f->from_open);
}

void adi_fd_close(struct adi_engine *e, struct adi_fd *f, uint64_t ts, bool event,
		  const struct adi_raw_fixed *why);
void adi_fd_set_conn(struct adi_engine *e, struct adi_fd *f, struct adi_conn *c);
void adi_tables_free(struct adi_engine *e);

/* conn.c */
/* The emitter a connection's decoder stitches through (proto.h). */
struct adi_conn_emit {
	struct adi_emit em;
	struct adi_engine *e;
	struct adi_conn *c;
};
void adi_conn_emitter(struct adi_conn_emit *ce, struct adi_engine *e, struct adi_conn *c);
/* The conn member of a network event; remote NULL: the connection's
 * (written once, then copied: adi_conn_forget_member() when its role or
 * ends change). */
void adi_conn_member(struct adi_jw *w, struct adi_conn *c, const char *remote);
void adi_conn_forget_member(struct adi_conn *c);
/* A sockaddr as a task passed or got it: *ep for AF_INET/AF_INET6 (true),
 * and as text (inet as adi_endpoint_str, unix paths, "@name" abstract). */
bool adi_sockaddr_ep(const uint8_t *sa, size_t len, struct adi_endpoint *ep);
void adi_sockaddr_str(const uint8_t *sa, size_t len, char *buf, size_t n);
struct adi_conn *adi_conn_for(struct adi_engine *e, const struct adi_raw_fixed *f);
void adi_conn_sock_event(struct adi_engine *e, const struct adi_raw_event *ev);
void adi_conn_io(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev);
void adi_conn_unref(struct adi_engine *e, struct adi_conn *c, uint64_t ts);
void adi_conn_end_all(struct adi_engine *e);
void adi_endpoint_str(const struct adi_endpoint *ep, char *buf, size_t n);

/* A chunk of direction s (ev) accounted: positions (gaps from the
 * sequence numbers), bytes, the preview (up to the lookahead until
 * classified); returns its stream position. */
uint64_t adi_stream_add(struct adi_engine *e, struct adi_stream *s, bool classified,
			const struct adi_raw_event *ev);
/* Previews of both directions cut back to body_bytes (classified). */
void adi_stream_trim(struct adi_engine *e, struct adi_stream *s);

/* engine.c: the connection of the socket a raw event names (fd, inode),
 * its fd entry installed or refreshed as an IO would; NULL when untracked. */
struct adi_conn *adi_sock_conn(struct adi_engine *e, struct adi_proc *p,
			       const struct adi_raw_fixed *f);

/* tls.c: TLS connections (docs/tls.md) */
struct adi_tls_conn;
struct adi_tls_eng;
/* The handshake decoder's facts (a "tls" object), kept for c's events. */
void adi_tls_annotate(struct adi_engine *e, struct adi_conn *c, const char *json, size_t n);
/* The tls member of an event of c (c->tls set). */
void adi_tls_member(struct adi_jw *w, const struct adi_conn *c);
/* tcp_stream's tls member: the facts, whether plaintext was seen, why not. */
void adi_tls_stream_member(struct adi_engine *e, struct adi_jw *w, struct adi_conn *c);
/* The previews tcp_stream shows for c (c->tls set): plaintext if any. */
const struct adi_stream *adi_tls_previews(const struct adi_conn *c);
/* A ciphertext chunk of c (IO): true when it is only counted, its
 * plaintext being decoded instead; matches memory-BIO sessions' heads. */
bool adi_tls_cipher_only(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev);
/* ADI_RAW_TLS: plaintext of a library call. */
void adi_tls_io(struct adi_engine *e, const struct adi_raw_event *ev);
/* META_TLS_LIB / META_TLS_STATE */
void adi_tls_meta(struct adi_engine *e, const struct adi_raw_event *ev);
/* The earliest start still pending in c's plaintext decoding, or in
 * plaintext held for sessions not yet tied to a socket (c NULL); 0 none. */
uint64_t adi_tls_pending_ts(const struct adi_engine *e, const struct adi_conn *c);
/* c ends: its plaintext decoding finishes (last events); returns the
 * messages its plaintext made over its life. */
uint64_t adi_tls_conn_end(struct adi_engine *e, struct adi_conn *c, uint64_t ts);
void adi_tls_conn_free(struct adi_engine *e, struct adi_conn *c); /* c->tls may be NULL */
/* The trace ends: sessions never tied to a socket are told as unknown. */
void adi_tls_finish(struct adi_engine *e);
/* trace_summary's tls member (nothing when the trace had no TLS at all). */
void adi_tls_summary(struct adi_engine *e, struct adi_jw *w);
void adi_tls_free(struct adi_engine *e);

/* dgram.c: one datagram (IO on a SOCK_DGRAM socket, ret >= 0) */
void adi_dgram_io(struct adi_engine *e, struct adi_conn *c, const struct adi_raw_event *ev);

/* tree.c */
int adi_tree_init(struct adi_tree *t);   /* 0 or -ENOMEM */
void adi_tree_fini(struct adi_tree *t);
/* ev is about to be written: it gets its id and, when it is work a
 * process did while serving a request, its parent members (parent_id and
 * parent_by, or parent "ambiguous" and parent_candidates) before its own.
 * Returns the event to write: ev, or a copy with the members that replaces
 * it (ev is then freed). Never NULL. */
struct adi_event *adi_tree_place(struct adi_tree *t, struct adi_event *ev);

/* fileops.c */
void adi_file_path_event(struct adi_engine *e, const struct adi_raw_event *ev);
void adi_file_io(struct adi_engine *e, struct adi_fd *f, const struct adi_raw_event *ev);
void adi_file_agg_flush(struct adi_engine *e, struct adi_fd *f);
void adi_file_close_event(struct adi_engine *e, struct adi_fd *f, uint64_t ts,
			  const struct adi_raw_fixed *why);
int adi_resolve_at(struct adi_engine *e, uint32_t pid, int dfd, const char *rel,
		   size_t rlen, char *out, size_t outsz);

#endif
