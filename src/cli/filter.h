/* filter.h - which events a verb writes (docs/cli.md, "Filters"): by kind,
 * path glob, port and host, protocol, pid and comm, text, errors and
 * duration -- the same options on run, attach, replay, view and ui. What
 * the kernel can drop cheaply (whole families: files, sockets) is turned
 * into the capture's own switches (adi_filter_kernel); everything else is
 * decided here on each event, in user space, by a sink that wraps the
 * verb's output. trace_summary always passes. */
#ifndef ADI_FILTER_H
#define ADI_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../lib/event.h"

#define ADI_FILTER_MAX 32 /* values per criterion */

/* The criteria: each one given keeps events that match any of its values;
 * all of those given must hold. */
enum adi_filter_what {
	ADI_F_KIND, ADI_F_PATH, ADI_F_XPATH, ADI_F_PORT, ADI_F_HOST, ADI_F_PROTO,
	ADI_F_PID, ADI_F_COMM, ADI_F_GREP, ADI_F__LISTS,
};

struct adi_filter {
	const char *v[ADI_F__LISTS][ADI_FILTER_MAX]; /* borrowed from argv */
	unsigned n[ADI_F__LISTS];
	bool errors;          /* --errors */
	bool no_fs, no_net, no_proc; /* --no-fs, --no-net, --no-proc */
	int64_t slower_ns;    /* --slower-than; -1: none */
	bool active;          /* any criterion given */
};

void adi_filter_init(struct adi_filter *f);

/* Add the value(s) of one option (a comma-separated list, each value
 * checked: a kind or a protocol must be known, a port a number...).
 * 0, or -EINVAL with a sentence in err (the caller's usage error). */
int adi_filter_add(struct adi_filter *f, enum adi_filter_what what, const char *arg,
		   char *err, size_t errsz);
/* --slower-than: "5ms", "250us", "1.5s", "800ns"; a bare number is
 * milliseconds. 0 or -EINVAL. */
int adi_filter_duration(struct adi_filter *f, const char *arg, char *err, size_t errsz);

/* true when ev passes. */
bool adi_filter_match(const struct adi_filter *f, const struct adi_event *ev);

/* What the kernel need not produce at all for these criteria: no file
 * event can pass (*no_fs), no network event can pass (*no_net). Only
 * ever sets them. */
void adi_filter_kernel(const struct adi_filter *f, bool *no_fs, bool *no_net, bool *no_proc);

/* A sink handing inner the events that pass f (borrowed: it must outlive
 * the sink); owns inner (freed with it). NULL with errno (inner is then
 * still the caller's). */
struct adi_sink *adi_filter_sink_new(struct adi_sink *inner, const struct adi_filter *f);

/* The kinds and protocols the options take, for the help text. */
extern const char adi_filter_kinds_help[];
extern const char adi_filter_protocols_help[];

#endif
