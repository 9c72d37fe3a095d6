/* run.c - `adi-profiler run -- COMMAND`: the backend starts COMMAND traced
 * (held before exec until it is, so its first syscalls are seen), events
 * are drained until it exits, and we exit with its status. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "cli.h"
#include "session.h"

struct run_state {
	pid_t pid;
	int status;
	bool exited, sent_term, waiting_left;
	int ints_at_exit;
};

static enum adi_loop_end run_check(struct adi_session *s, double elapsed, void *arg)
{
	struct run_state *r = arg;
	size_t left;
	int ints, terms;

	adi_session_signals(&ints, &terms);
	if (!r->exited && s->ops->reap(s->b, r->pid, &r->status) == 1) {
		r->exited = true;
		r->ints_at_exit = ints;
	}
	if (r->exited) {
		/* processes the command left running still carry the ptrace
		 * backend's seccomp filter: detached, their traced calls would
		 * fail (ENOSYS), so they are followed until they end, as
		 * strace -f does; a Ctrl-C (or SIGTERM) from here stops anyway */
		left = s->ops->filtered_left ? s->ops->filtered_left(s->b) : 0;
		if (!left || terms || ints > r->ints_at_exit) {
			if (left)
				fprintf(stderr, "adi-profiler: warning: %zu task%s started by the "
					"command still run%s and keep%s the ptrace backend's seccomp "
					"filter: %s traced calls now fail with ENOSYS\n", left,
					left == 1 ? "" : "s", left == 1 ? "s" : "",
					left == 1 ? "s" : "", left == 1 ? "its" : "their");
			return ADI_LOOP_STOP;
		}
		if (!r->waiting_left) {
			fprintf(stderr, "adi-profiler: the command exited; %zu task%s it started "
				"still run%s: tracing until they end (Ctrl-C stops)\n", left,
				left == 1 ? "" : "s", left == 1 ? "s" : "");
			r->waiting_left = true;
		}
		return ADI_LOOP_GO;
	}
	/* SIGTERM/SIGHUP to us, a second Ctrl-C (the first went to the
	 * command too: same process group), or --duration: ask the command
	 * to end, and keep tracing until it does */
	if (!r->sent_term && (terms || ints >= 2 ||
	    (s->c->duration_s > 0 && elapsed >= s->c->duration_s))) {
		kill(r->pid, SIGTERM);
		r->sent_term = true;
	}
	return ADI_LOOP_GO;
}

/* The command is traced and waits to exec: say where the trace starts and
 * name the fds it inherits (stdout may be a file), since the records that
 * use them may be read after the command is gone. */
static void ready(void *arg, pid_t pid)
{
	struct adi_session *s = arg;
	char cwd[4096];

	adi_session_meta(s, ADI_META_START, (uint32_t)pid,
			 getcwd(cwd, sizeof(cwd)) ? cwd : NULL, s->ops->name);
	s->ops->snapshot(s->b, (uint32_t)pid, adi_now_wall());
}

int adi_verb_run(struct adi_cli *c)
{
	struct adi_session s;
	struct run_state r = { .pid = -1 };
	char err[512];
	int rc = 1, pidfd = -1;

	if (adi_session_open(&s, c))
		goto out;
	adi_session_catch_signals();
	if (s.ops->spawn(s.b, c->cmd, ready, &s, &r.pid, err, sizeof(err))) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		goto out;
	}
	/* readable when the command exits: the loop ends without waiting out
	 * a poll period (kernels before 5.3 lack it; the timeout covers) */
	pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0);
	adi_session_loop(&s, pidfd, run_check, &r);
	adi_session_finish(&s);
	if (!r.exited)
		rc = 1;
	else if (WIFEXITED(r.status))
		rc = WEXITSTATUS(r.status);
	else if (WIFSIGNALED(r.status))
		rc = 128 + WTERMSIG(r.status);
out:
	if (pidfd >= 0)
		close(pidfd);
	return adi_session_close(&s, rc);
}
