/* run.c - `adi-profiler run -- COMMAND`: start COMMAND stopped at a pipe,
 * put it in the kernel filter, let it exec (so its first syscalls are
 * seen), drain events until it exits, exit with its status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "cli.h"
#include "session.h"
#include "../capture/ebpf/ebpf.h"

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

struct run_state {
	pid_t pid;
	int status;
	bool exited, sent_term;
};

static enum adi_loop_end run_check(struct adi_session *s, double elapsed, void *arg)
{
	struct run_state *r = arg;
	int ints, terms;

	if (waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
		r->exited = true;
		return ADI_LOOP_STOP;
	}
	/* SIGTERM/SIGHUP to us, a second Ctrl-C (the first went to the
	 * command too: same process group), or --duration: ask the command
	 * to end, and keep tracing until it does */
	adi_session_signals(&ints, &terms);
	if (!r->sent_term && (terms || ints >= 2 ||
	    (s->c->duration_s > 0 && elapsed >= s->c->duration_s))) {
		kill(r->pid, SIGTERM);
		r->sent_term = true;
	}
	return ADI_LOOP_GO;
}

int adi_verb_run(struct adi_cli *c)
{
	struct adi_session s;
	struct run_state r = { .pid = -1 };
	char cwd[4096];
	int go[2] = { -1, -1 }, rc = 1, pidfd = -1;

	if (adi_session_open(&s, c))
		goto out;
	if (pipe2(go, O_CLOEXEC)) {
		fprintf(stderr, "adi-profiler: pipe: %s\n", strerror(errno));
		goto out;
	}
	fflush(NULL);
	r.pid = fork();
	if (r.pid < 0) {
		fprintf(stderr, "adi-profiler: fork: %s\n", strerror(errno));
		goto out;
	}
	if (r.pid == 0) {
		close(go[1]);
		child(go[0], c->cmd);
	}
	close(go[0]);
	go[0] = -1;
	/* readable when the command exits: the loop ends without waiting out
	 * a poll period (kernels before 5.3 lack it; the timeout covers) */
	pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0);
	adi_session_catch_signals();
	if (adi_ebpf_trace_pid(s.b, r.pid)) {
		fprintf(stderr, "adi-profiler: cannot add the command to the trace filter: %s\n",
			strerror(errno));
		close(go[1]);
		go[1] = -1;
		waitpid(r.pid, &r.status, 0);
		goto out;
	}
	adi_session_meta(&s, ADI_META_START, r.pid, getcwd(cwd, sizeof(cwd)) ? cwd : NULL,
			 "ebpf");
	/* the command inherits our fds (stdout may be a file): name them now,
	 * the records that use them may be read after the command is gone */
	adi_ebpf_snapshot(s.b, r.pid, adi_now_wall());
	if (write(go[1], "g", 1) != 1) {
		fprintf(stderr, "adi-profiler: cannot start the command: %s\n", strerror(errno));
		goto out;
	}
	close(go[1]);
	go[1] = -1;
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
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	return adi_session_close(&s, rc);
}
