/* dtrace.c - the macOS DTrace backend's process side (dtrace.h): writes
 * the generated D program to a temporary file and runs dtrace(1) on it,
 * its output read through a pipe into the record reader. `run` starts the
 * command itself, held on a pipe before exec, attaches `dtrace -p`, waits
 * for the program's BEGIN line, then lets it exec: the command is our
 * child, so its exit status is exact. `attach --pid` is `dtrace -p PID`.
 * dtrace's standard error is read too: a System Integrity Protection
 * refusal is explained once, and tracing goes on for what can be traced.
 * Compiled on macOS only (ADI_DT_CHECK compiles it elsewhere for a syntax
 * check); NEVER RUN: no Mac was available (README.md). */
#if defined(__APPLE__) || defined(ADI_DT_CHECK)
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "dtrace.h"

extern char **environ;

struct adi_dt {
	struct adi_engine *eng;
	struct adi_capture_opts o;
	struct adi_dt_reader *rd;
	char script[64];
	pid_t dtrace, root;
	int out, err;            /* dtrace's stdout and stderr (read ends) */
	int root_status;
	bool root_done, sip_told;
	uint64_t produced, delivered;
	char errline[512];
	size_t errlen;
};

static void on_event(void *arg, const struct adi_raw_event *ev)
{
	struct adi_dt *d = arg;

	d->produced++;
	d->delivered++;
	adi_engine_feed(d->eng, ev);
}

static struct adi_backend *dt_open(const struct adi_capture_opts *o,
				   struct adi_engine *eng, char *err, size_t errsz)
{
	struct adi_dt *d = calloc(1, sizeof(*d));
	struct adi_dt_gen_opts g = { .capture_bytes = o->capture_bytes,
				     .no_fs = o->no_fs, .no_net = o->no_net };
	char *prog = malloc(65536);
	int fd, n;

	if (!d || !prog) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (geteuid() != 0) {
		snprintf(err, errsz, "DTrace needs root: run adi-profiler with sudo");
		goto fail;
	}
	d->eng = eng;
	d->o = *o;
	d->out = d->err = -1;
	d->dtrace = d->root = -1;
	d->rd = adi_dt_reader_new(on_event, d);
	n = adi_dt_gen(&g, prog, 65536);
	snprintf(d->script, sizeof(d->script), "/tmp/adi-dtrace.XXXXXX");
	fd = d->rd && n > 0 ? mkstemp(d->script) : -1;
	if (fd < 0 || write(fd, prog, (size_t)n) != n) {
		snprintf(err, errsz, "cannot write the D program: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	free(prog);
	return (struct adi_backend *)d;
fail:
	free(prog);
	if (d) {
		adi_dt_reader_free(d->rd);
		free(d);
	}
	return NULL;
}

static void dt_close(struct adi_backend *b)
{
	struct adi_dt *d = (struct adi_dt *)b;

	if (!d)
		return;
	if (d->dtrace > 0) {
		kill(d->dtrace, SIGINT);
		waitpid(d->dtrace, NULL, 0);
	}
	if (d->out >= 0)
		close(d->out);
	if (d->err >= 0)
		close(d->err);
	unlink(d->script);
	adi_dt_reader_free(d->rd);
	free(d);
}

/* dtrace -q -s SCRIPT -p PID, stdout and stderr to pipes */
static int start_dtrace(struct adi_dt *d, pid_t pid)
{
	posix_spawn_file_actions_t fa;
	int po[2], pe[2], rc;
	char pidarg[16];
	char *argv[] = { "dtrace", "-q", "-s", d->script, "-p", pidarg, NULL };

	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	if (pipe(po))
		return -errno;
	if (pipe(pe)) {
		close(po[0]);
		close(po[1]);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	rc = posix_spawnp(&d->dtrace, "dtrace", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc) {
		close(po[0]);
		close(pe[0]);
		return -rc;
	}
	d->out = po[0];
	d->err = pe[0];
	fcntl(d->out, F_SETFL, O_NONBLOCK);
	fcntl(d->err, F_SETFL, O_NONBLOCK);
	return 0;
}

/* dtrace's own messages: the SIP one explained once, others passed on */
static void read_err(struct adi_dt *d)
{
	char buf[1024];
	ssize_t n;

	while ((n = read(d->err, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && d->errlen < sizeof(d->errline) - 1) {
				d->errline[d->errlen++] = buf[i];
				continue;
			}
			d->errline[d->errlen] = 0;
			if (adi_dt_sip_error(d->errline)) {
				if (!d->sip_told)
					fprintf(stderr, "adi-profiler: %s\n", ADI_DT_SIP_HELP);
				d->sip_told = true;
			} else if (d->errlen) {
				fprintf(stderr, "adi-profiler: %s\n", d->errline);
			}
			d->errlen = 0;
		}
	}
}

static int read_out(struct adi_dt *d)
{
	char buf[65536];
	ssize_t n;
	int got = 0;

	while ((n = read(d->out, buf, sizeof(buf))) > 0) {
		adi_dt_reader_feed(d->rd, buf, (size_t)n);
		got++;
	}
	return got;
}

static int dt_trace_pid(struct adi_backend *b, uint32_t pid)
{
	struct adi_dt *d = (struct adi_dt *)b;
	struct adi_dt_stats st;

	if (d->dtrace > 0)
		return 0; /* one dtrace follows the whole tree (progenyof) */
	if (start_dtrace(d, (pid_t)pid))
		return -ENOEXEC;
	/* wait (5 s at most) for the BEGIN line: probes are on */
	for (int i = 0; i < 500; i++) {
		read_out(d);
		read_err(d);
		adi_dt_reader_stats(d->rd, &st);
		if (st.begun)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* spawn's tracing step: `dtrace -p` on the waiting child */
static int dt_trace_spawned(struct adi_backend *b, pid_t pid, char *err, size_t errsz)
{
	int rc;

	((struct adi_dt *)b)->root = pid;
	rc = dt_trace_pid(b, (uint32_t)pid);
	if (rc)
		snprintf(err, errsz, "dtrace did not start (%s); is it installed, and are "
			 "you root?", strerror(-rc));
	return rc;
}

static int dt_spawn(struct adi_backend *b, char *const *cmd, adi_spawn_ready ready,
		    void *arg, pid_t *pid, char *err, size_t errsz)
{
	return adi_spawn_traced(b, cmd, NULL, dt_trace_spawned, ready, arg, pid, err, errsz);
}

static int dt_reap(struct adi_backend *b, pid_t pid, int *status)
{
	struct adi_dt *d = (struct adi_dt *)b;

	if (!d->root_done && waitpid(pid, &d->root_status, WNOHANG) == pid)
		d->root_done = true;
	if (!d->root_done)
		return 0;
	*status = d->root_status;
	return 1;
}

static int dt_poll(struct adi_backend *b, int timeout_ms, int wake_fd)
{
	struct adi_dt *d = (struct adi_dt *)b;
	uint64_t before = d->delivered;
	struct pollfd pf[3] = {
		{ .fd = d->out, .events = POLLIN },
		{ .fd = d->err, .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};

	if (poll(pf, wake_fd >= 0 ? 3 : 2, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	read_out(d);
	read_err(d);
	return (int)(d->delivered - before);
}

static int dt_drain(struct adi_backend *b)
{
	struct adi_dt *d = (struct adi_dt *)b;
	uint64_t before = d->delivered;

	read_out(d);
	return (int)(d->delivered - before);
}

/* dtrace flushes its buffers when it ends (SIGINT): read to its EOF */
static void dt_stop(struct adi_backend *b)
{
	struct adi_dt *d = (struct adi_dt *)b;
	char buf[65536];
	ssize_t n;

	if (d->dtrace <= 0)
		return;
	kill(d->dtrace, SIGINT);
	fcntl(d->out, F_SETFL, 0);
	while ((n = read(d->out, buf, sizeof(buf))) > 0)
		adi_dt_reader_feed(d->rd, buf, (size_t)n);
	read_err(d);
	adi_dt_reader_finish(d->rd);
	waitpid(d->dtrace, NULL, 0);
	d->dtrace = -1;
}

static void dt_stats(struct adi_backend *b, struct adi_capture_stats *st)
{
	struct adi_dt *d = (struct adi_dt *)b;
	struct adi_dt_stats ds;

	adi_dt_reader_stats(d->rd, &ds);
	memset(st, 0, sizeof(*st));
	/* records dtrace printed that could not be read count as dropped, so
	 * produced = delivered + dropped still holds; dtrace's own drops are
	 * in its "dtrace: N drops" lines (passed on to stderr) */
	st->dropped = ds.bad + ds.truncated;
	st->delivered = d->delivered;
	st->produced = d->produced + st->dropped;
}

static int dt_snapshot(struct adi_backend *b, uint32_t pid, uint64_t wall_ns)
{
	(void)b;
	(void)pid;
	(void)wall_ns;
	return 0; /* no /proc: inherited fds are named from fds[] on use */
}

static int dt_resolve(void *arg, enum adi_meta_op what, uint32_t pid, int fd,
		      uint64_t cgroup_id, char *buf, size_t bufsz)
{
	(void)arg;
	(void)what;
	(void)pid;
	(void)fd;
	(void)cgroup_id;
	(void)buf;
	(void)bufsz;
	return -ENOTSUP;
}

const struct adi_backend_ops adi_backend_dtrace = {
	.name = "dtrace",
	.open = dt_open,
	.close = dt_close,
	.trace_pid = dt_trace_pid,
	.trace_cgroup = NULL,
	.spawn = dt_spawn,
	.reap = dt_reap,
	.poll = dt_poll,
	.drain = dt_drain,
	.stop = dt_stop,
	.stats = dt_stats,
	.snapshot = dt_snapshot,
	.resolve = dt_resolve,
};
#endif
