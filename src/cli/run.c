/* run.c - `adi-profiler run -- COMMAND`: start COMMAND stopped at a pipe,
 * put it in the kernel filter, let it exec (so its first syscalls are
 * seen), drain events until it exits, exit with its status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "cli.h"
#include "../capture/ebpf/ebpf.h"
#include "../core/engine.h"
#include "../out/sink.h"

/* Signals only set flags here; the loop acts on them. These two are the
 * process's only mutable globals, as a signal handler requires. */
static volatile sig_atomic_t got_term, got_int;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_int++;
	else
		got_term = 1;
}

static uint64_t now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static uint64_t now_wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void feed_meta(struct adi_engine *e, enum adi_meta_op op, uint32_t pid,
		      const char *path, const char *path2, uint64_t size, uint64_t length)
{
	struct adi_raw_event m = { 0 };

	m.f.family = ADI_RAW_META;
	m.f.op = op;
	m.f.ts_ns = now_wall();
	m.f.pid = m.f.tid = pid;
	m.f.fd = m.f.fd2 = -1;
	m.f.size = size;
	m.f.length = length;
	if (path) {
		m.path = path;
		m.f.path_len = strlen(path);
	}
	if (path2) {
		m.path2 = path2;
		m.f.path2_len = strlen(path2);
	}
	adi_engine_feed(e, &m);
}

/* The child: wait for the go byte (sent once it is in the filter), exec. */
static void child(int go, char **cmd)
{
	char b;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (read(go, &b, 1) != 1)
		_exit(127); /* the profiler failed before tracing began */
	close(go);
	execvp(cmd[0], cmd);
	fprintf(stderr, "adi-profiler: cannot run %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int adi_verb_run(struct adi_cli *c)
{
	struct adi_capture_opts co = {
		.capture_bytes = c->capture_bytes, .ringbuf_bytes = c->ringbuf_bytes,
		.wakeup_bytes = c->wakeup_bytes, .poll_ms = 50,
		.no_fs = c->no_fs, .no_net = c->no_net,
	};
	struct adi_engine_opts eo;
	struct adi_sink *sink = NULL;
	struct adi_engine *eng = NULL;
	struct adi_ebpf *b = NULL;
	struct adi_capture_stats cs;
	FILE *save = NULL;
	void *outf = NULL;
	char err[512], cwd[4096];
	int go[2] = { -1, -1 }, status = 0, rc = 1, pidfd = -1;
	pid_t pid = -1;
	uint64_t t0, last_tick, last_warn_check = 0, warned = 0;
	bool exited = false, sent_term = false;

	if (c->backend && strcmp(c->backend, "ebpf")) {
		fprintf(stderr, "adi-profiler: the %s backend is not available in this "
			"build; use --backend ebpf\n", c->backend);
		return 1;
	}
	if (adi_cli_open_sink(c, &sink, &outf))
		return 1;
	adi_cli_engine_opts(c, &eo);
	eo.backend = "ebpf";
	eng = adi_engine_new(&eo, &sink, 1);
	if (!eng) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		goto out;
	}
	if (c->save_raw) {
		save = fopen(c->save_raw, "wbe");
		if (!save || adi_raw_write_header(save)) {
			fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->save_raw,
				strerror(errno));
			goto out;
		}
		adi_engine_save_raw(eng, save);
	}
	b = adi_ebpf_open(&co, eng, err, sizeof(err));
	if (!b) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		goto out;
	}
	adi_engine_set_resolver(eng, adi_ebpf_resolve, b);
	if (pipe2(go, O_CLOEXEC)) {
		fprintf(stderr, "adi-profiler: pipe: %s\n", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "adi-profiler: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		child(go[0], c->cmd);
	}
	close(go[0]);
	go[0] = -1;
	/* readable when the command exits: the loop ends without waiting out
	 * a poll period (kernels before 5.3 lack it; the timeout covers) */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* Ctrl-C reaches the command too (same process group): let it decide
	 * how to end, and keep tracing until it does */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (adi_ebpf_trace_pid(b, pid)) {
		fprintf(stderr, "adi-profiler: cannot add the command to the trace filter: %s\n",
			strerror(errno));
		close(go[1]);
		waitpid(pid, &status, 0);
		goto out;
	}
	feed_meta(eng, ADI_META_START, pid, getcwd(cwd, sizeof(cwd)) ? cwd : NULL,
		  "ebpf", 0, 0);
	/* the command inherits our fds (stdout may be a file): name them now,
	 * the records that use them may be read after the command is gone */
	adi_ebpf_snapshot(b, pid, now_wall());
	if (write(go[1], "g", 1) != 1) {
		fprintf(stderr, "adi-profiler: cannot start the command: %s\n", strerror(errno));
		goto out;
	}
	close(go[1]);
	go[1] = -1;
	t0 = last_tick = now_mono();
	while (!exited) {
		uint64_t t;
		int n = adi_ebpf_poll(b, co.poll_ms, pidfd);
		pid_t w;

		if (n < 0) {
			fprintf(stderr, "adi-profiler: reading the ring buffer failed: %s\n",
				strerror(-n));
			break;
		}
		t = now_mono();
		if (n == 0 && t - last_tick > 200000000ULL) {
			feed_meta(eng, ADI_META_TICK, 0, NULL, NULL, 0, 0);
			last_tick = t;
		}
		adi_engine_release(eng);
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			exited = true;
		if (t - last_warn_check > 1000000000ULL) {
			last_warn_check = t;
			adi_ebpf_stats(b, &cs);
			if (cs.dropped > warned) {
				fprintf(stderr, "adi-profiler: warning: %llu records lost so far "
					"(ring buffer full)\n", (unsigned long long)cs.dropped);
				warned = cs.dropped;
			}
		}
		/* SIGTERM/SIGHUP to us, a second Ctrl-C (the first went to the
		 * command too), or --duration: ask the command to end */
		if (!sent_term && (got_term || got_int >= 2 ||
		    (c->duration_s > 0 && (t - t0) / 1e9 >= c->duration_s))) {
			kill(pid, SIGTERM);
			sent_term = true;
		}
	}
	adi_ebpf_stop(b);
	adi_ebpf_drain(b);
	adi_ebpf_stats(b, &cs);
	{
		struct adi_raw_event m = { 0 };

		m.f.family = ADI_RAW_META;
		m.f.op = ADI_META_END;
		m.f.ts_ns = now_wall();
		m.f.fd = m.f.fd2 = -1;
		m.f.size = cs.dropped;
		m.f.length = cs.truncated;
		m.f.ino = cs.produced;
		m.f.ret = (int64_t)cs.delivered;
		adi_engine_feed(eng, &m);
	}
	adi_engine_finish(eng);
	if (!exited)
		rc = 1;
	else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	adi_cli_report(c, eng);
out:
	if (pidfd >= 0)
		close(pidfd);
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	adi_ebpf_close(b);
	adi_engine_free(eng);
	adi_sink_free(sink);
	if (save && fclose(save))
		fprintf(stderr, "adi-profiler: %s: %s\n", c->save_raw, strerror(errno));
	if (outf && fclose(outf)) {
		fprintf(stderr, "adi-profiler: %s: %s\n", c->output, strerror(errno));
		if (!rc)
			rc = 1;
	}
	return rc;
}
