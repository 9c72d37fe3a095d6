/* ui.h - the web UI (docs/ui.md): a small HTTP server on 127.0.0.1 that
 * serves the page built into the binary (web/), the events it holds as
 * JSON (/api/events) and, as they arrive, as Server-Sent Events
 * (/api/stream). Every request needs the random token of the URL.
 *
 * Owns: the listening socket, its clients, and a copy of every event as its
 * JSON Lines text (bounded by ADI_UI_MAX_BYTES; beyond it events are counted
 * and not kept). Events may be added from another thread than the one that
 * serves (run --ui: the engine's thread adds, the UI thread serves).
 */
#ifndef ADI_UI_H
#define ADI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADI_UI_MAX_BYTES (1024ull << 20) /* event text kept for the page */
#define ADI_UI_MAX_CLIENTS 64

struct adi_ui;
struct adi_sink;

/* A server listening on 127.0.0.1 at a free port with a fresh token from
 * getrandom(). live: events keep arriving while the page is open. title:
 * what the page shows as the trace's name (copied). NULL with errno set
 * and a message in err. */
struct adi_ui *adi_ui_new(bool live, const char *title, char *err, size_t errsz);

/* The page's address, token included: http://127.0.0.1:PORT/?token=... */
const char *adi_ui_url(const struct adi_ui *u);

/* Keep one event, given as its JSON object text (no newline; copied).
 * Thread-safe. 0, or -E2BIG when the memory bound is reached (the event
 * is counted, not kept), -ENOMEM. */
int adi_ui_add(struct adi_ui *u, const char *json, size_t len);

/* The trace is complete: streams get an end event once they caught up.
 * Thread-safe. */
void adi_ui_end(struct adi_ui *u);

/* Events held, and events not kept (the memory bound). */
void adi_ui_counts(struct adi_ui *u, uint64_t *held, uint64_t *refused);

/* Serve on the calling thread until go(arg) returns false (asked at least
 * every 200 ms and after every signal). Returns 0 or -errno (poll failed). */
int adi_ui_serve(struct adi_ui *u, bool (*go)(void *arg), void *arg);

/* Serve on a thread of its own until adi_ui_free. 0 or -errno. */
int adi_ui_start(struct adi_ui *u);

/* Stop serving (joins the thread if any), close every socket, free.
 * Accepts NULL. */
void adi_ui_free(struct adi_ui *u);

/* A sink that adds every event to u (and ends it after trace_summary).
 * Borrows u, which must outlive it. NULL with errno = ENOMEM. */
struct adi_sink *adi_ui_sink_new(struct adi_ui *u);

/* The assets built from web/ (generated into the build folder). */
struct adi_ui_asset {
	const char *path;        /* "/index.html" */
	const char *type;        /* its Content-Type */
	const unsigned char *data;
	size_t len;
};
extern const struct adi_ui_asset adi_ui_assets[]; /* ends with path NULL */

#endif
