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

struct adi_engine;
struct adi_sink;
struct adi_ui;

struct adi_session {
	struct adi_cli *c;
	struct adi_capture_opts co;
	struct adi_engine *eng;
	struct adi_sink *sink;
	const struct adi_backend_ops *ops; /* the backend that runs */
	struct adi_backend *b;
	FILE *save;
	void *outf;
	uint64_t t0;             /* monotonic start of the loop */
	struct adi_ui *ui;       /* --ui: the page's server (session_ui.c) */
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
 * wake_fd (a pidfd, or -1) ends a wait early. */
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

/* Free everything; returns rc, or 1 when closing the output failed. */
int adi_session_close(struct adi_session *s, int rc);

/* SIGINT/SIGTERM/SIGHUP set flags (counts of Ctrl-C, any term/hup). */
void adi_session_catch_signals(void);
void adi_session_signals(int *ints, int *terms);

uint64_t adi_now_wall(void);
uint64_t adi_now_mono(void);

#endif
