/* trace_read.h - saved traces read back as events: a JSON Lines file (what
 * sink_json.c writes) or an SQLite store (sink_sqlite.c, docs/store.md),
 * told apart by the file's first bytes, not its name. `view` prints what
 * it reads with the text sink; `ui` serves it.
 */
#ifndef ADI_TRACE_READ_H
#define ADI_TRACE_READ_H

#include <stddef.h>
#include "../lib/event.h"

struct adi_trace_in;

/* Open path ("-": JSON Lines on standard input). NULL with errno set and a
 * message naming the problem in err (errsz bytes). */
struct adi_trace_in *adi_trace_in_open(const char *path, char *err, size_t errsz);

/* The next event in trace order, borrowed until the next call or close:
 * returns 1 with *ev set; 0 at the end; -EINVAL for a line or row that is
 * not an event (skipped: call again; adi_trace_in_where says which); any
 * other -errno when reading failed (stop there). */
int adi_trace_in_next(struct adi_trace_in *r, const struct adi_event **ev);

/* The line (JSON Lines) or row id (store) last read. */
unsigned long adi_trace_in_where(const struct adi_trace_in *r);

/* True when the trace is an SQLite store. */
bool adi_trace_in_is_store(const struct adi_trace_in *r);

void adi_trace_in_close(struct adi_trace_in *r); /* accepts NULL */

#endif
