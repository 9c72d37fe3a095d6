/* ins_int.h - the model src/insight builds from a trace, shared by scan.c
 * (events in), report.c, deps.c and diff.c (what is written out), and its
 * two containers (table.c): a string-keyed table with a cap, and a
 * duration distribution of bounded size. Not a public API: insight.h is.
 */
#ifndef ADI_INS_INT_H
#define ADI_INS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "insight.h"
#include "fingerprint.h"
#include "../lib/hashmap.h"
#include "../lib/jw.h"

/* ---- caps (docs/insight.md "Memory"): beyond them entries are not
 * made, and what was left out is counted in the output's "limits" ---- */
#define ADI_INS_OPS_MAX 20000       /* operations (endpoints, queries, files) */
#define ADI_INS_PAIRS_MAX 50000     /* (endpoint, operation) pairs */
#define ADI_INS_FINDINGS_MAX 10000
#define ADI_INS_ERRORS_MAX 10000
#define ADI_INS_PARENTS_MAX 65536   /* requests open at once */
#define ADI_INS_TRACKS_MAX 256      /* distinct operations under one request */
#define ADI_INS_PROCS_MAX 10000
#define ADI_INS_SVCS_MAX 10000      /* services (deps) */
#define ADI_INS_SET_MAX 10000       /* entries of one deps list */

/* ---- a duration distribution ---- */

/* Exact values while there are few (quantiles then exact, by nearest
 * rank); past ADI_DIST_EXACT a log histogram of 16 buckets per power of
 * two (a quantile within 3.2 % of the true value), so a group's memory is
 * bounded whatever its count. */
#define ADI_DIST_EXACT 256
#define ADI_DIST_BUCKETS 976

struct adi_dist {
	uint64_t n, sum, max;
	uint32_t nx, capx;       /* exact values held */
	uint64_t *x;
	uint32_t *hist;          /* ADI_DIST_BUCKETS counts, once past exact */
	int err;                 /* -ENOMEM: a value was counted, not kept */
};

void adi_dist_add(struct adi_dist *d, uint64_t v);
/* The q-quantile (0 < q <= 1) in ns; 0 when empty. Sorts the exact
 * values in place (hence not const). */
uint64_t adi_dist_q(struct adi_dist *d, double q);
void adi_dist_fini(struct adi_dist *d);

/* ---- a string-keyed table ---- */

/* Every entry starts with this header; the table allocates entries of
 * esize bytes (zeroed) and keeps them in insertion order. */
struct adi_tent {
	char *key;               /* owned, NUL-terminated */
	size_t klen;
	struct adi_tent *next;   /* same 64-bit hash */
};

struct adi_tab {
	struct adi_map idx;      /* hash(key) -> first entry of that hash */
	struct adi_tent **v;     /* entries, in insertion order */
	size_t n, cap;
	size_t esize, max;
	uint64_t dropped;        /* entries not made: max reached */
	int err;
};

void adi_tab_init(struct adi_tab *t, size_t esize, size_t max);
/* The entry for key k[0..kn): found, or (make) a new zeroed one; NULL when
 * absent (or at the cap, counted, or on ENOMEM). */
void *adi_tab_get(struct adi_tab *t, const char *k, size_t kn, bool make);
/* Frees the entries (fini, when not NULL, first frees what each owns). */
void adi_tab_fini(struct adi_tab *t, void (*fini)(void *entry));
/* The entries sorted by cmp (a copy of the order; the caller frees). */
void **adi_tab_sorted(const struct adi_tab *t, int (*cmp)(const void *, const void *));

/* ---- an event, read once ---- */

/* The kinds the model tells apart. */
enum adi_kid {
	ADI_K_HTTP, ADI_K_GRPC, ADI_K_SQL, ADI_K_REDIS, ADI_K_MONGO, ADI_K_DNS, ADI_K_FILE,
	ADI_K_CONN, ADI_K_PROC, ADI_K_TCP, ADI_K_SUMMARY, ADI_K_DBSESS, ADI_K_OTHER,
};
enum adi_kid adi_kind_id(const char *kind);

/* An event's members indexed in one walk: looked up by name, a member
 * list is otherwise scanned from its start each time (and an HTTP event
 * with its bodies is kilobytes long). Members past the index are found
 * by scanning. */
#define ADI_FIELDS_MAX 48

struct adi_fields {
	struct adi_jv all;
	unsigned n;
	struct {
		struct adi_jv k, v;
	} m[ADI_FIELDS_MAX];
};

void adi_fields_index(struct adi_fields *x, struct adi_jv list);
struct adi_jv adi_fget(const struct adi_fields *x, const char *k);

/* ---- the model ---- */

/* What an operation is to the report. */
enum adi_opc {
	ADI_OPC_SERVED,          /* an endpoint the program served (HTTP, gRPC) */
	ADI_OPC_CALLED,          /* an endpoint it called */
	ADI_OPC_QUERY,           /* a database or cache operation (SQL, Redis, Mongo) */
	ADI_OPC_FILE,            /* a file it read (repeated reads only) */
};

/* Where a request's time goes (latency breakdown). */
enum adi_fam {
	ADI_FAM_SQL, ADI_FAM_REDIS, ADI_FAM_MONGO, ADI_FAM_HTTP, ADI_FAM_GRPC,
	ADI_FAM_FILE, ADI_FAM_OTHER, ADI_FAM_N,
};
extern const char *const adi_fam_names[ADI_FAM_N];

struct adi_op {
	struct adi_tent t;       /* key: class, side, system, label */
	uint8_t cls;             /* enum adi_opc */
	uint8_t fam;             /* enum adi_fam */
	bool served_side;        /* a query the traced program answered (it is the database) */
	char *system;            /* "postgres", "mysql", "redis", "mongo", "http", "grpc", "file" */
	char *label;             /* the fingerprint, or "GET /users/:id" */
	uint64_t count, errors, client_errors, no_reply, rows;
	struct adi_dist d;
	uint64_t example_id;     /* the first event of it */
	/* served endpoints: their requests' breakdown */
	uint64_t closed;         /* requests whose work was summed */
	uint64_t self_ns;
	uint64_t fam_ns[ADI_FAM_N], fam_n[ADI_FAM_N];
};

/* How often an operation ran under the requests of an endpoint. */
struct adi_pair {
	struct adi_tent t;       /* key: the endpoint's key, '\x1e', the operation's */
	struct adi_op *ep, *op;
	uint64_t n;              /* executions, all requests */
	uint64_t requests;       /* requests it ran in */
};

enum adi_find { ADI_FIND_N1, ADI_FIND_REPEAT, ADI_FIND_FILE };
extern const char *const adi_find_names[3];

struct adi_finding {
	struct adi_tent t;       /* key: type, endpoint's key, operation's key */
	uint8_t type;            /* enum adi_find */
	struct adi_op *ep, *op;  /* ep NULL: a request of no known endpoint */
	uint64_t occurrences;    /* requests it was found in */
	uint32_t max_n;          /* the most executions in one of them */
	uint32_t distinct;       /* ... of which with different parameters (N+1) */
	uint64_t parent_id, source_id; /* that request, and its first such execution */
	uint64_t total_ns;       /* the time they took together there */
};

struct adi_err {
	struct adi_tent t;       /* key: category, '\x1f', what */
	char *category, *what;
	char *message;           /* the first one's message, or NULL */
	uint64_t count, example_id;
};

struct adi_slow {
	uint64_t ns, id, parent_id;
	const char *kind;        /* static */
	char *label;             /* owned */
	uint32_t pid;
};

struct adi_proc_ins {
	uint32_t pid;
	char comm[16];
	uint64_t events;
	uint64_t served, served_ns, self_ns;
	uint64_t fam_n[ADI_FAM_N], fam_ns[ADI_FAM_N];
};

/* An operation repeated under one open request (N+1 detection). */
struct adi_track {
	struct adi_op *op;
	uint32_t n, distinct;
	bool overlap;            /* two of them ran at once: not a loop */
	uint64_t last_end, total_ns, first_id;
	uint64_t first_param;
};

/* A request still open in the stream: its work is summed until the
 * stream passes its end. */
struct adi_parent {
	uint64_t id, start, end;
	uint32_t pid;
	struct adi_op *ep;
	uint64_t covered_until, covered_ns;
	uint64_t fam_ns[ADI_FAM_N], fam_n[ADI_FAM_N];
	struct adi_track *tr;
	uint32_t ntr, captr;
	bool tr_full;
};

/* ---- dependencies (deps.c) ---- */

enum adi_svc_set {
	ADI_SS_USER, ADI_SS_DATABASE, ADI_SS_TABLE, ADI_SS_PREPARED, ADI_SS_COMMAND,
	ADI_SS_KEY, ADI_SS_COLLECTION, ADI_SS_METHOD, ADI_SS_HOST, ADI_SS_ROUTE, ADI_SS_N,
};

struct adi_sent {
	struct adi_tent t;
	uint64_t count;
	uint32_t bits;           /* tables: the statements (ADI_STMT_*) */
	char *extra;             /* prepared statements: the statement */
};

enum { ADI_STMT_SELECT = 1, ADI_STMT_INSERT = 2, ADI_STMT_UPDATE = 4, ADI_STMT_DELETE = 8,
       ADI_STMT_DDL = 16, ADI_STMT_OTHER = 32 };

struct adi_svc {
	struct adi_tent t;       /* key: role, transport, address */
	bool server;             /* the program served it (else it called it) */
	char *transport, *address;
	char *protocols;         /* "postgres", "http,grpc"... */
	char *version;           /* when the protocol says (MySQL, HTTP Server, Redis HELLO) */
	uint64_t connections, failed, events;
	struct adi_tab sets[ADI_SS_N];
};

enum adi_file_set { ADI_FS_READ, ADI_FS_WRITTEN, ADI_FS_CREATED, ADI_FS_DIRS, ADI_FS_LIBS,
		    ADI_FS_N };

struct adi_deps {
	struct adi_tab svcs;     /* struct adi_svc */
	struct adi_tab dns;      /* struct adi_sent */
	struct adi_tab files[ADI_FS_N];
	struct adi_tab exec;     /* struct adi_sent, extra: argv[0] */
};

void adi_deps_init(struct adi_deps *d);
void adi_deps_fini(struct adi_deps *d);
/* One event's dependencies: its kind, its members, the operation scan.c
 * made of it (NULL for none); tmp is scratch. */
void adi_deps_add(struct adi_deps *d, enum adi_kid kid, const struct adi_fields *f,
		 const struct adi_op *op, struct adi_sb *tmp);
/* A service's entry (role, transport, address), made on first sight. */
struct adi_svc *adi_deps_svc(struct adi_deps *d, bool server, const char *transport,
			     const char *address);
void adi_deps_json(const struct adi_deps *d, struct adi_jw *w);
void adi_deps_text(const struct adi_deps *d, FILE *f);

/* ---- the whole model ---- */

struct adi_insight {
	struct adi_insight_opts o;
	struct adi_tab ops;      /* struct adi_op */
	struct adi_tab pairs;    /* struct adi_pair */
	struct adi_tab findings; /* struct adi_finding */
	struct adi_tab errors;   /* struct adi_err */
	struct adi_map parents;  /* id -> struct adi_parent (open requests) */
	uint64_t parents_dropped;
	struct adi_map procs;    /* pid -> struct adi_proc_ins */
	uint64_t procs_dropped;
	struct adi_slow *slow;   /* the o.top slowest, a min-heap on ns */
	size_t nslow;
	struct adi_deps deps;

	uint64_t events, latest;
	uint64_t first_ts, last_ts;
	uint64_t with_parent, ambiguous, requests;
	bool have_summary;
	uint64_t trace_ms_x1000;  /* trace_summary's duration, us */
	uint64_t dropped_records; /* trace_summary.dropped */
	unsigned since_sweep;
	struct adi_sb tmp, tmp2; /* scratch */
	bool finished;
	int err;                 /* -ENOMEM once something could not be kept */
};

/* ---- shared helpers (report.c) ---- */

/* ns as milliseconds, written by the JSON writer (3 decimals). */
double adi_ins_ms(uint64_t ns);
/* Sort orders: operations by total time, then count, then label. */
int adi_op_by_time(const void *a, const void *b);
/* The string of a member, NUL-terminated in tmp (escapes decoded), and
 * its length; NULL when it is not a string. Valid until tmp is reused. */
const char *adi_ins_str(struct adi_jv v, struct adi_sb *tmp, size_t *n);
/* key: the text of parts joined by '\x1f' into tmp. */
void adi_ins_key(struct adi_sb *tmp, const char *const *parts, size_t n);

#endif
