/* insight.h - what a trace says about the program it traced
 * (docs/insight.md): the endpoints it served and called, its queries by
 * fingerprint, N+1 and repeated-work findings under its requests, its
 * errors, its slowest operations and where each process's time went, and
 * what it depends on (services, databases and tables, files, programs);
 * and how two traces of it differ. One pass over the events, in trace
 * order, in bounded memory (caps in ins_int.h, counted when reached).
 * Knows nothing of files or options: src/cli/ reads the traces.
 */
#ifndef ADI_INSIGHT_H
#define ADI_INSIGHT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/event.h"

struct adi_jw;

struct adi_insight_opts {
	unsigned n1_min;         /* N+1 and repeats: executions under one
				  * request (0: 5) */
	unsigned top;            /* slowest operations kept (0: 10) */
	/* More sections the caller writes at the end of the report (the
	 * process tree, which src/cli/ builds): more_text after the text
	 * sections, more_json as members of the JSON object before its
	 * close. Either may be NULL. */
	int (*more_text)(void *ctx, FILE *f);
	void (*more_json)(void *ctx, struct adi_jw *w);
	void *more_ctx;
};

struct adi_insight;

/* A new, empty model; NULL on ENOMEM. o may be NULL (defaults). */
struct adi_insight *adi_insight_new(const struct adi_insight_opts *o);
void adi_insight_free(struct adi_insight *in); /* accepts NULL */

/* One event, in trace order (the event is only read during the call).
 * 0, or -ENOMEM when something about it could not be kept (the model
 * stays usable; the output says it is incomplete). */
int adi_insight_add(struct adi_insight *in, const struct adi_event *ev);

/* The end of the trace: requests still open are closed. Called once,
 * before the outputs (which call it when it was not). */
void adi_insight_finish(struct adi_insight *in);

/* The report (docs/insight.md "report"): text, or one JSON object.
 * 0, or -errno when writing failed. */
int adi_insight_report(struct adi_insight *in, FILE *f, bool json);
/* The same for a trace still running (the web UI, live): the model is not
 * finished, so requests still open are not in the breakdowns and
 * findings yet; more events may be added afterwards. */
int adi_insight_report_now(struct adi_insight *in, FILE *f, bool json);

/* The dependencies (docs/insight.md "deps"): text, or one JSON object. */
int adi_insight_deps(struct adi_insight *in, FILE *f, bool json);

/* What `diff` compares and which changes make it fail. */
enum {
	ADI_DIFF_ADDED = 1,      /* an operation in B that A did not have */
	ADI_DIFF_REMOVED = 2,    /* one of A that B does not have */
	ADI_DIFF_COUNT = 4,      /* ran more often (per request, or in all) */
	ADI_DIFF_SLOWER = 8,     /* p95 grew */
	ADI_DIFF_ERRORS = 16,    /* a new error, or more of one */
	ADI_DIFF_N1 = 32,        /* a new N+1 or repeat finding */
	ADI_DIFF_DEPS = 64,      /* a new service, table or program */
};
#define ADI_DIFF_DEFAULT_FAIL (ADI_DIFF_ADDED | ADI_DIFF_COUNT | ADI_DIFF_ERRORS | \
			       ADI_DIFF_N1 | ADI_DIFF_DEPS)

struct adi_diff_opts {
	unsigned fail_on;        /* ADI_DIFF_* bits */
	double count_pct;        /* a count change beyond this (%) is one (10) */
	double time_pct;         /* a p95 change beyond this (%) ... (50) */
	double min_ms;           /* ... and beyond this many ms (1) */
};

/* "added,count,n+1" (or "all", "none") into ADI_DIFF_* bits; -EINVAL
 * with *bad set to the word it does not know. */
int adi_diff_parse_fail_on(const char *s, unsigned *bits, const char **bad, size_t *badlen);

/* Compare two models (a: before, b: after; names for the output) and
 * write the changes. Returns 1 when a change of a kind in o->fail_on was
 * found, 0 when none, -errno when writing failed. */
int adi_insight_diff(struct adi_insight *a, struct adi_insight *b, const char *name_a,
		     const char *name_b, const struct adi_diff_opts *o, FILE *f, bool json);

#endif
