/* run.c - `adi-profiler run -- COMMAND`: the backend starts COMMAND traced
 * (held before exec until it is, so its first syscalls are seen), events
 * are drained until it and whatever it left running have exited, and we
 * exit with its status.
 *
 * Signals (docs/cli.md): SIGINT, SIGTERM and SIGHUP mean the same. The
 * first one reaches the command once -- from the terminal it already has
 * (its process group got it), sent to the profiler alone it is passed on --
 * and the trace goes on until the command exits, so its end is seen. A
 * second one stops tracing at once, as strace does: what was captured is
 * written, and the command is left running, untraced. */
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
	struct adi_session *s;
	pid_t pid;
	int status;
	int status_fd;           /* the child's report of a failed exec */
	bool exited, sent_term, waiting_left, told;
	int sigs_seen;           /* signals handled so far */
	int sigs_at_exit;
	int stop_sig;            /* the signal that stopped the trace early */
	double first_sig_at;
};

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* Tasks the command left running that the trace follows. */
static size_t left_running(struct adi_session *s)
{
	if (s->ops->filtered_left)
		return s->ops->filtered_left(s->b);
	return s->ops->running ? s->ops->running(s->b) : 0;
}

static enum adi_loop_end after_exit(struct adi_session *s, struct run_state *r,
				    double elapsed, int sigs)
{
	size_t left = left_running(s);

	/* processes the command left running are followed until they end,
	 * as strace -f and the ptrace backend do; a signal, or --duration,
	 * ends the wait */
	if (!left || sigs > r->sigs_at_exit ||
	    (s->c->duration_s > 0 && elapsed >= s->c->duration_s)) {
		/* under ptrace they keep its seccomp filter */
		if (left && s->ops->filtered_left)
			fprintf(stderr, "adi-profiler: warning: %zu task%s started by the "
				"command still run%s and keep%s the ptrace backend's seccomp "
				"filter: %s traced calls now fail with ENOSYS\n", left,
				left == 1 ? "" : "s", left == 1 ? "s" : "",
				left == 1 ? "s" : "", left == 1 ? "its" : "their");
		else if (left)
			fprintf(stderr, "adi-profiler: %zu process%s started by the command "
				"still run%s, untraced\n", left, left == 1 ? "" : "es",
				left == 1 ? "s" : "");
		return ADI_LOOP_STOP;
	}
	if (!r->waiting_left) {
		fprintf(stderr, "adi-profiler: the command exited; waiting for %zu process%s "
			"it started (Ctrl-C stops)\n", left, left == 1 ? "" : "es");
		r->waiting_left = true;
	}
	return ADI_LOOP_GO;
}

static enum adi_loop_end run_check(struct adi_session *s, double elapsed, void *arg)
{
	struct run_state *r = arg;
	int ints, terms, sigs;

	adi_session_signals(&ints, &terms);
	sigs = ints + terms;
	if (!r->exited && s->ops->reap(s->b, r->pid, &r->status) == 1) {
		r->exited = true;
		r->sigs_at_exit = sigs;
		/* its pidfd is readable for good now: what it started is
		 * waited for on the poll period, not in a spin */
		s->wake_fd = -1;
	}
	if (r->exited)
		return after_exit(s, r, elapsed, sigs);
	if (sigs > r->sigs_seen) {
		int alone = adi_session_signal_alone();

		if (r->sigs_seen) {
			/* a second signal: stop tracing now */
			r->stop_sig = alone ? alone : ints ? SIGINT : SIGTERM;
			fprintf(stderr, "adi-profiler: stopped tracing; the command (pid %d) "
				"keeps running\n", (int)r->pid);
			return ADI_LOOP_STOP;
		}
		/* the first: the command gets it once */
		if (alone)
			kill(r->pid, alone);
		r->sigs_seen = sigs;
		r->first_sig_at = elapsed;
	}
	if (r->sigs_seen && !r->told && elapsed - r->first_sig_at > 1.0) {
		fprintf(stderr, "adi-profiler: %s: waiting for the command to exit; again "
			"stops tracing now\n", sig_name(adi_session_signal_alone() ?
			adi_session_signal_alone() : ints ? SIGINT : SIGTERM));
		r->told = true;
	}
	/* --duration: ask the command to end, and keep tracing until it does */
	if (!r->sent_term && s->c->duration_s > 0 && elapsed >= s->c->duration_s) {
		kill(r->pid, SIGTERM);
		r->sent_term = true;
	}
	return ADI_LOOP_GO;
}

/* The command is traced and waits to exec: say where the trace starts and
 * name the fds it inherits (stdout may be a file), since the records that
 * use them may be read after the command is gone. */
static void ready(void *arg, pid_t pid, int status_fd)
{
	struct run_state *r = arg;
	struct adi_session *s = r->s;
	char cwd[4096];

	r->status_fd = status_fd;
	adi_session_meta(s, ADI_META_START, (uint32_t)pid,
			 getcwd(cwd, sizeof(cwd)) ? cwd : NULL, s->ops->name);
	s->ops->snapshot(s->b, (uint32_t)pid, adi_now_wall());
}

/* The command exited 127 or 126: what its child side reported, if it
 * could not run it (said here: the child is traced, the profiler not). */
static void report_failure(struct run_state *r, const char *cmd)
{
	struct adi_spawn_failure why;

	if (r->status_fd < 0 || read(r->status_fd, &why, sizeof(why)) != sizeof(why))
		return;
	if (why.stage == 1)
		fprintf(stderr, "adi-profiler: cannot prepare %s for tracing: %s\n", cmd,
			strerror(why.err));
	else
		fprintf(stderr, "adi-profiler: cannot run %s: %s\n", cmd, strerror(why.err));
}

static int early_signal(void)
{
	int ints, terms, sig = adi_session_signal_alone();

	adi_session_signals(&ints, &terms);
	if (!ints && !terms)
		return 0;
	sig = sig ? sig : ints ? SIGINT : SIGTERM;
	fprintf(stderr, "adi-profiler: %s before the command started; not run\n", sig_name(sig));
	return 128 + sig;
}

int adi_verb_run(struct adi_cli *c)
{
	struct adi_session s;
	struct run_state r = { .s = &s, .pid = -1, .status_fd = -1 };
	char err[512];
	int rc = 1, pidfd = -1;

	/* caught from the start: loading the probes can take a second when
	 * another trace is detaching, and a signal meanwhile must not kill us
	 * half-attached; one that came before the command existed ends the
	 * run without starting it */
	adi_session_catch_signals();
	if (adi_session_open(&s, c))
		goto out;
	if ((rc = early_signal()) != 0)
		goto out;
	if (s.ops->spawn(s.b, c->cmd, ready, &r, &r.pid, err, sizeof(err))) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		goto out;
	}
	/* readable when the command exits: the loop ends without waiting out
	 * a poll period (kernels before 5.3 lack it; the timeout covers) */
	pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0);
	adi_session_loop(&s, pidfd, run_check, &r);
	adi_session_finish(&s);
	if (r.exited && WIFEXITED(r.status) &&
	    (WEXITSTATUS(r.status) == 127 || WEXITSTATUS(r.status) == 126))
		report_failure(&r, c->cmd[0]);
	if (!r.exited)
		rc = r.stop_sig ? 128 + r.stop_sig : 1;
	else if (WIFEXITED(r.status))
		rc = WEXITSTATUS(r.status);
	else if (WIFSIGNALED(r.status))
		rc = 128 + WTERMSIG(r.status);
out:
	if (pidfd >= 0)
		close(pidfd);
	if (r.status_fd >= 0)
		close(r.status_fd);
	return adi_session_close(&s, rc);
}
