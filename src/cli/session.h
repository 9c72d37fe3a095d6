/* session.h - one live trace, shared by `run` and `attach`: the sink, the
 * engine, the capture backend (--backend, or the best one that starts), the
 * consumer loop and the end of the trace (drain, counters, trace_summary).
 * The verbs decide only what is traced and when the trace ends. */
#ifndef ADI_SESSION_H
#define ADI_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli.h"
#include "../capture/capture.h"
#include "../lib/raw_event.h"
#include "../lib/util.h" /* adi_now_wall, adi_now_mono */

struct adi_engine;
struct adi_sink;
struct adi_ui;
struct adi_session_export;

struct adi_session {
	struct adi_cli *c;
	struct adi_capture_opts co;
	struct adi_engine *eng;
	struct adi_sink *sink;
	const struct adi_backend_ops *ops; /* the backend that runs */
	struct adi_backend *b;
	FILE *save;
	char *save_buf;          /* save's stream buffer (owned; freed after it) */
	bool save_reported;      /* save's failure is in the report already */
	void *outf;
	uint64_t t0;             /* monotonic start of the loop */
	uint64_t progress_t, progress_n; /* the last progress line's time, events */
	bool progress_shown;     /* a progress line is on standard error */
	struct adi_ui *ui;       /* --ui: the page's server (session_ui.c) */
	struct adi_session_export *ex; /* --otlp, --pcapng (export.c) */
	int wake_fd;             /* the loop's wake_fd; a check sets -1 once it has
				  * fired for good (a reaped command's pidfd stays
				  * readable: polled, the loop would spin) */
};

/* Sink, engine, --save-raw and the backend; 0, or 1 with one message on
 * stderr (everything opened so far is closed by adi_session_close). The
 * backend is --backend's, else $ADI_BACKEND's (a hook to run a test suite
 * under one backend), else the first of adi_backends that starts: when
 * eBPF cannot, one line says why and ptrace is used. */
int adi_session_open(struct adi_session *s, struct adi_cli *c);

/* A META event made here (start, cwd, tick...), saved with the trace. */
void adi_session_meta(struct adi_session *s, enum adi_meta_op op, uint32_t pid,
		      const char *path, const char *path2);

/* Why the loop should end, asked about once per poll period. */
enum adi_loop_end { ADI_LOOP_GO, ADI_LOOP_STOP };
typedef enum adi_loop_end (*adi_loop_check)(struct adi_session *s, double elapsed_s,
					    void *arg);

/* Consume records until check says stop (or the ring fails: -errno);
 * wake_fd (a pidfd, or -1) ends a wait early, until a check sets
 * s->wake_fd to -1. While the events go to a
 * file and standard error is a terminal, a progress line there (events,
 * their rate, drops, time), cleared at the end. */
int adi_session_loop(struct adi_session *s, int wake_fd, adi_loop_check check, void *arg);

/* Stop the capture, drain, write the counters and trace_summary, report
 * lost output; with --ui, keep serving the page until Ctrl-C or SIGTERM.
 * Returns true when output was lost. */
bool adi_session_finish(struct adi_session *s);

/* --ui (session_ui.c): start the page's server and tee the events to it
 * (s->sink becomes the tee); 0, or 1 with a message. After the trace,
 * linger serves the page until a new Ctrl-C or a SIGTERM. */
int adi_session_ui_open(struct adi_session *s);
void adi_session_ui_linger(struct adi_session *s);

/* --otlp, --pcapng (export.c): open adds the OTLP sink to s->sink and
 * puts the pcapng tap in place of s->save (0, or 1 with a message);
 * finish sends what is left and reports losses (true when output was
 * lost); free closes the pcapng file, after s->save is closed. */
int adi_session_export_open(struct adi_session *s);
bool adi_session_export_finish(struct adi_session *s);
void adi_session_export_free(struct adi_session *s);

/* Free everything; returns rc, or 1 when closing the output failed. */
int adi_session_close(struct adi_session *s, int rc);

/* SIGINT/SIGTERM/SIGHUP set flags (counts of Ctrl-C, of term/hup). */
void adi_session_catch_signals(void);
void adi_session_signals(int *ints, int *terms);
/* The first of them sent to the profiler alone (kill, not the terminal:
 * the command did not get it), or 0. */
int adi_session_signal_alone(void);

#endif
