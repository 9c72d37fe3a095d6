/* event.h - a semantic event: what sinks print (events.md).
 *
 * The common fields of every event live in the struct; the kind's own fields
 * (path, conn, method, sql...) live in `fields`, a JSON object owned by the
 * event, in the order they are written.
 */
#ifndef ADI_EVENT_H
#define ADI_EVENT_H

#include <stdint.h>
#include "json.h"

#define ADI_EVENT_VERSION 1

struct adi_event {
	const char *kind;      /* static string: "file", "process", ... */
	uint64_t ts_ns;        /* wall clock ns of the start of the event */
	int64_t duration_ns;   /* -1: null */
	uint32_t pid, tid;
	char comm[16];
	uint64_t cgroup_id;
	char container[65];    /* "" : null */
	uint64_t seq;          /* creation order: ties on ts_ns keep it */
	struct adi_jval *fields; /* owned object */
};

/* New event with an empty fields object; NULL on ENOMEM. */
struct adi_event *adi_event_new(const char *kind, uint64_t ts_ns);
void adi_event_free(struct adi_event *ev); /* accepts NULL */

#endif
