/* session.c - the live trace shared by `run` and `attach` (session.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "session.h"
#include "../core/engine.h"
#include "../lib/outfile.h"
#include "../sink/sink.h"
#include "../ui/ui.h"

/* Signals only set flags; the loops act on them. These are the process's
 * only mutable globals, as a signal handler requires. sent_alone: the
 * first SIGINT/SIGTERM/SIGHUP that did not come from the terminal (the
 * tty driver sends its signals, si_code SI_KERNEL, to the whole foreground
 * process group: the command got those too). */
static volatile sig_atomic_t got_term, got_int, sent_alone;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGINT)
		got_int++;
	else
		got_term++;
	if (!sent_alone && si && si->si_code != SI_KERNEL)
		sent_alone = sig;
}

void adi_session_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void adi_session_signals(int *ints, int *terms)
{
	*ints = got_int;
	*terms = got_term;
}

int adi_session_signal_alone(void)
{
	return sent_alone;
}

/* (Re)create the engine for backend name: trace_summary.backend is fixed
 * when the engine is made, and nothing has been fed to it yet. */
static int make_engine(struct adi_session *s, const char *name)
{
	struct adi_engine_opts eo;

	adi_engine_free(s->eng);
	adi_cli_engine_opts(s->c, &eo);
	eo.backend = name;
	s->eng = adi_engine_new(&eo, &s->sink, 1);
	if (!s->eng) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	if (s->save)
		adi_engine_save_raw(s->eng, s->save);
	return 0;
}

static const char *display_name(const char *name)
{
	return !strcmp(name, "ebpf") ? "eBPF" : name;
}

static int open_backend(struct adi_session *s)
{
	const char *want = s->c->backend;
	char err[512];

	if (!want && getenv("ADI_BACKEND") && *getenv("ADI_BACKEND"))
		want = getenv("ADI_BACKEND");
	if (want) {
		s->ops = adi_backend_find(want);
		if (!s->ops) {
			fprintf(stderr, "adi-profiler: the %s backend does not exist on this "
				"platform (%s)\n", want,
				!strcmp(want, "dtrace") ? "it is macOS only" :
				!strcmp(want, "ebpf") || !strcmp(want, "ptrace") ?
				"it is Linux only" : "use ebpf, ptrace or dtrace");
			return 1;
		}
		if (make_engine(s, s->ops->name))
			return 1;
		s->b = s->ops->open(&s->co, s->eng, err, sizeof(err));
		if (!s->b) {
			fprintf(stderr, "adi-profiler: %s%s\n", err,
				!strcmp(s->ops->name, "ebpf") && adi_backend_find("ptrace")
				? " (--backend ptrace needs no BPF)" : "");
			return 1;
		}
	} else {
		for (int i = 0; adi_backends[i]; i++) {
			s->ops = adi_backends[i];
			if (make_engine(s, s->ops->name))
				return 1;
			s->b = s->ops->open(&s->co, s->eng, err, sizeof(err));
			if (s->b)
				break;
			if (!adi_backends[i + 1]) {
				fprintf(stderr, "adi-profiler: %s\n", err);
				return 1;
			}
			fprintf(stderr, "adi-profiler: %s unavailable (%s); using the %s backend\n",
				display_name(s->ops->name), err, adi_backends[i + 1]->name);
		}
	}
	adi_engine_set_resolver(s->eng, s->ops->resolve, s->b);
	return 0;
}

int adi_session_open(struct adi_session *s, struct adi_cli *c)
{
	bool no_proc;

	memset(s, 0, sizeof(*s));
	s->c = c;
	s->co = (struct adi_capture_opts){
		.capture_bytes = c->capture_bytes, .content_bytes = c->content_bytes,
		.ringbuf_bytes = c->ringbuf_bytes,
		.wakeup_bytes = c->wakeup_bytes, .poll_ms = 50,
		.no_tls_plaintext = c->no_tls_plaintext,
	};
	/* families no event of which can pass the filters are not produced
	 * at all: a narrow trace costs the kernel less */
	adi_cli_families(c, &s->co.no_fs, &s->co.no_net, &no_proc);
	if (adi_cli_open_sink(c, &s->sink, &s->outf))
		return 1;
	if (c->ui && adi_session_ui_open(s))
		return 1;
	if (c->save_raw) {
		/* a capture is hundreds of MB a second under load: big
		 * pieces, uncached past its first ADI_OUT_CACHED bytes
		 * (outfile.h) */
		s->save_buf = malloc(ADI_OUT_BUF);
		s->save = s->save_buf ? adi_fopen_out(c->save_raw, s->save_buf, ADI_OUT_BUF,
						     ADI_OUT_CACHED)
				      : NULL;
		if (!s->save || adi_raw_write_header(s->save)) {
			fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->save_raw,
				strerror(errno));
			return 1;
		}
	}
	if (adi_session_export_open(s))
		return 1;
	return open_backend(s);
}

void adi_session_meta(struct adi_session *s, enum adi_meta_op op, uint32_t pid,
		      const char *path, const char *path2)
{
	struct adi_raw_event m = { 0 };

	m.f.family = ADI_RAW_META;
	m.f.op = op;
	m.f.ts_ns = adi_now_wall();
	m.f.pid = m.f.tid = pid;
	m.f.fd = m.f.fd2 = -1;
	if (path) {
		m.path = path;
		m.f.path_len = strlen(path);
	}
	if (path2) {
		m.path2 = path2;
		m.f.path2_len = strlen(path2);
	}
	adi_engine_feed(s->eng, &m);
}

/* Progress on standard error while a long trace goes elsewhere: only
 * when standard error is a terminal the timeline does not use. */
static bool want_progress(const struct adi_session *s)
{
	const char *o = s->c->output;

	if (!isatty(STDERR_FILENO) || !o)
		return false; /* the timeline is on standard error */
	return strcmp(o, "-") || !isatty(STDOUT_FILENO);
}

/* "\r12 s, 45678 events (3700/s), 0 dropped" over the line before. */
static void progress(struct adi_session *s, uint64_t t, uint64_t dropped)
{
	struct adi_engine_stats st;
	double secs = (double)(t - s->t0) / 1e9;
	uint64_t n;

	adi_engine_stats(s->eng, &st);
	n = st.events_out;
	fprintf(stderr, "\r\033[Kadi-profiler: %.0f s, %llu events (%.0f/s), %llu dropped",
		secs, (unsigned long long)n,
		secs > 0.5 ? (double)(n - s->progress_n) / ((double)(t - s->progress_t) / 1e9) : 0.0,
		(unsigned long long)dropped);
	s->progress_n = n;
	s->progress_t = t;
	s->progress_shown = true;
}

static void progress_clear(struct adi_session *s)
{
	if (s->progress_shown)
		fputs("\r\033[K", stderr);
	s->progress_shown = false;
}

int adi_session_loop(struct adi_session *s, int wake_fd, adi_loop_check check, void *arg)
{
	struct adi_capture_stats cs = { 0 };
	uint64_t last_tick, last_flush, last_warn_check = 0, warned = 0, last_progress;
	bool show = want_progress(s);

	s->t0 = last_tick = last_flush = last_progress = s->progress_t = adi_now_mono();
	s->wake_fd = wake_fd;
	for (;;) {
		int n = s->ops->poll(s->b, s->co.poll_ms, s->wake_fd);
		uint64_t t;

		if (n < 0) {
			progress_clear(s);
			fprintf(stderr, "adi-profiler: reading the %s capture failed: %s\n",
				s->ops->name, strerror(-n));
			return n;
		}
		t = adi_now_mono();
		/* an idle trace still releases what waits for time to pass */
		if (n == 0 && t - last_tick > 200000000ULL) {
			adi_session_meta(s, ADI_META_TICK, 0, NULL, NULL);
			last_tick = t;
		}
		/* written out when idle, and at least every 100 ms while busy:
		 * a flush per poll wrote a busy trace in small pieces */
		if (n == 0 || t - last_flush >= 100000000ULL) {
			adi_engine_release(s->eng);
			last_flush = t;
		}
		if (t - last_warn_check > 1000000000ULL) {
			last_warn_check = t;
			s->ops->stats(s->b, &cs);
			if (cs.dropped > warned) {
				progress_clear(s);
				fprintf(stderr, "adi-profiler: warning: %llu records lost so far "
					"(ring buffer full)\n", (unsigned long long)cs.dropped);
				warned = cs.dropped;
			}
		}
		if (show && t - last_progress >= 1000000000ULL) {
			last_progress = t;
			progress(s, t, cs.dropped);
		}
		if (check(s, (double)(t - s->t0) / 1e9, arg) == ADI_LOOP_STOP) {
			progress_clear(s);
			return 0;
		}
	}
}

bool adi_session_finish(struct adi_session *s)
{
	struct adi_capture_stats cs;
	struct adi_raw_event m = { 0 };
	bool lost = false;

	s->ops->stop(s->b);
	s->ops->drain(s->b);
	s->ops->stats(s->b, &cs);
	m.f.family = ADI_RAW_META;
	m.f.op = ADI_META_END;
	m.f.ts_ns = adi_now_wall();
	m.f.fd = m.f.fd2 = -1;
	m.f.size = cs.dropped;
	m.f.length = cs.truncated;
	m.f.ino = cs.produced;
	m.f.ret = (int64_t)cs.delivered;
	adi_engine_feed(s->eng, &m);
	adi_engine_finish(s->eng);
	if (adi_cli_report(s->c, s->eng, s->sink))
		lost = true;
	{
		struct adi_engine_stats st;

		adi_engine_stats(s->eng, &st);
		s->save_reported = st.save_errors > 0; /* said once, by the report */
	}
	if (adi_session_export_finish(s))
		lost = true;
	if (s->ui)
		adi_session_ui_linger(s);
	return lost;
}

int adi_session_close(struct adi_session *s, int rc)
{
	if (s->ops)
		s->ops->close(s->b);
	adi_engine_free(s->eng);
	adi_sink_free(s->sink);
	adi_ui_free(s->ui);
	if (s->save) {
		if (s->save_reported)
			__fpurge(s->save); /* what failed is not written twice */
		if (fclose(s->save) && !s->save_reported)
			fprintf(stderr, "adi-profiler: %s: %s\n", s->c->save_raw, strerror(errno));
	}
	free(s->save_buf); /* after fclose: the stream wrote from it */
	adi_session_export_free(s);
	if (adi_cli_close_output(s->outf)) {
		fprintf(stderr, "adi-profiler: %s: %s\n", s->c->output, strerror(errno));
		if (!rc)
			rc = 1;
	}
	memset(s, 0, sizeof(*s));
	return rc;
}
