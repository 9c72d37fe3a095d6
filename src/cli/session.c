/* session.c - the live trace shared by `run` and `attach` (session.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "session.h"
#include "../capture/ebpf/ebpf.h"
#include "../core/engine.h"
#include "../out/sink.h"

/* Signals only set flags; the loops act on them. These are the process's
 * only mutable globals, as a signal handler requires. */
static volatile sig_atomic_t got_term, got_int;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_int++;
	else
		got_term = 1;
}

void adi_session_catch_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

void adi_session_signals(int *ints, int *terms)
{
	*ints = got_int;
	*terms = got_term;
}

uint64_t adi_now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

uint64_t adi_now_wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

int adi_session_open(struct adi_session *s, struct adi_cli *c)
{
	struct adi_engine_opts eo;
	char err[512];

	memset(s, 0, sizeof(*s));
	s->c = c;
	s->co = (struct adi_capture_opts){
		.capture_bytes = c->capture_bytes, .ringbuf_bytes = c->ringbuf_bytes,
		.wakeup_bytes = c->wakeup_bytes, .poll_ms = 50,
		.no_fs = c->no_fs, .no_net = c->no_net,
	};
	if (c->backend && strcmp(c->backend, "ebpf")) {
		fprintf(stderr, "adi-profiler: the %s backend is not available in this "
			"build; use --backend ebpf\n", c->backend);
		return 1;
	}
	if (adi_cli_open_sink(c, &s->sink, &s->outf))
		return 1;
	adi_cli_engine_opts(c, &eo);
	eo.backend = "ebpf";
	s->eng = adi_engine_new(&eo, &s->sink, 1);
	if (!s->eng) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	if (c->save_raw) {
		s->save = fopen(c->save_raw, "wbe");
		if (!s->save || adi_raw_write_header(s->save)) {
			fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->save_raw,
				strerror(errno));
			return 1;
		}
		adi_engine_save_raw(s->eng, s->save);
	}
	s->b = adi_ebpf_open(&s->co, s->eng, err, sizeof(err));
	if (!s->b) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		return 1;
	}
	adi_engine_set_resolver(s->eng, adi_ebpf_resolve, s->b);
	return 0;
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

int adi_session_loop(struct adi_session *s, int wake_fd, adi_loop_check check, void *arg)
{
	struct adi_capture_stats cs;
	uint64_t last_tick, last_warn_check = 0, warned = 0;

	s->t0 = last_tick = adi_now_mono();
	for (;;) {
		int n = adi_ebpf_poll(s->b, s->co.poll_ms, wake_fd);
		uint64_t t;

		if (n < 0) {
			fprintf(stderr, "adi-profiler: reading the ring buffer failed: %s\n",
				strerror(-n));
			return n;
		}
		t = adi_now_mono();
		/* an idle trace still releases what waits for time to pass */
		if (n == 0 && t - last_tick > 200000000ULL) {
			adi_session_meta(s, ADI_META_TICK, 0, NULL, NULL);
			last_tick = t;
		}
		adi_engine_release(s->eng);
		if (t - last_warn_check > 1000000000ULL) {
			last_warn_check = t;
			adi_ebpf_stats(s->b, &cs);
			if (cs.dropped > warned) {
				fprintf(stderr, "adi-profiler: warning: %llu records lost so far "
					"(ring buffer full)\n", (unsigned long long)cs.dropped);
				warned = cs.dropped;
			}
		}
		if (check(s, (double)(t - s->t0) / 1e9, arg) == ADI_LOOP_STOP)
			return 0;
	}
}

bool adi_session_finish(struct adi_session *s)
{
	struct adi_capture_stats cs;
	struct adi_raw_event m = { 0 };

	adi_ebpf_stop(s->b);
	adi_ebpf_drain(s->b);
	adi_ebpf_stats(s->b, &cs);
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
	return adi_cli_report(s->c, s->eng);
}

int adi_session_close(struct adi_session *s, int rc)
{
	adi_ebpf_close(s->b);
	adi_engine_free(s->eng);
	adi_sink_free(s->sink);
	if (s->save && fclose(s->save))
		fprintf(stderr, "adi-profiler: %s: %s\n", s->c->save_raw, strerror(errno));
	if (s->outf && fclose(s->outf)) {
		fprintf(stderr, "adi-profiler: %s: %s\n", s->c->output, strerror(errno));
		if (!rc)
			rc = 1;
	}
	memset(s, 0, sizeof(*s));
	return rc;
}
