/* backend.c - the backends of this platform (capture.h) and the spawn they
 * share: the child waits on a pipe until the backend traces it, so the
 * command's first syscall after exec is already seen. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "capture.h"
#ifdef __APPLE__
#include "dtrace/dtrace.h"
#else
#include "ebpf/ebpf.h"
#include "ptrace/ptrace.h"
#endif

#ifdef __APPLE__
const struct adi_backend_ops *const adi_backends[] = { &adi_backend_dtrace, NULL };
#else
const struct adi_backend_ops *const adi_backends[] = {
	&adi_backend_ebpf, &adi_backend_ptrace, NULL,
};
#endif

const struct adi_backend_ops *adi_backend_find(const char *name)
{
	for (int i = 0; adi_backends[i]; i++)
		if (!strcmp(adi_backends[i]->name, name))
			return adi_backends[i];
	return NULL;
}

/* The child: wait for the go byte, let the backend prepare (ptrace: the
 * seccomp filter), exec. It is traced already: what went wrong goes to the
 * parent through status (close-on-exec), never to a file of its own. */
static void child(int go, int status, char *const *cmd, int (*prep)(void *), void *arg)
{
	struct adi_spawn_failure why = { 0, 0 };
	char b;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (read(go, &b, 1) != 1)
		_exit(127); /* the profiler failed before tracing began */
	close(go);
	if (prep && prep(arg)) {
		why.stage = 1;
		why.err = errno;
		if (write(status, &why, sizeof(why)) < 0)
			_exit(127);
		_exit(127);
	}
	execvp(cmd[0], cmd);
	why.err = errno;
	if (write(status, &why, sizeof(why)) < 0)
		_exit(127);
	_exit(why.err == ENOENT ? 127 : 126);
}

/* Fork the child; *go is the write end of its pipe, *status the read end
 * of the one it reports on. 0 or -errno. */
static int spawn_fork(char *const *cmd, int (*prep)(void *arg), void *arg,
		      pid_t *pid, int *go, int *status)
{
	int p[2], st[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (pipe2(st, O_CLOEXEC)) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		close(st[0]);
		close(st[1]);
		return -e;
	}
	if (*pid == 0) {
		close(p[1]);
		close(st[0]);
		child(p[0], st[1], cmd, prep, arg);
	}
	close(p[0]);
	close(st[1]);
	*go = p[1];
	*status = st[0];
	return 0;
}

/* Let the child go (closes *go). 0 or -errno. */
static int spawn_go(int *go)
{
	int rc = write(*go, "g", 1) == 1 ? 0 : -errno;

	close(*go);
	*go = -1;
	return rc;
}

int adi_spawn_traced(struct adi_backend *b, char *const *cmd, int (*prep)(void *b),
		     int (*trace)(struct adi_backend *b, pid_t pid, char *err, size_t errsz),
		     adi_spawn_ready ready, void *arg, pid_t *pid, char *err, size_t errsz)
{
	int go = -1, status = -1, rc;

	rc = spawn_fork(cmd, prep, b, pid, &go, &status);
	if (rc) {
		snprintf(err, errsz, "fork: %s", strerror(-rc));
		return rc;
	}
	rc = trace(b, *pid, err, errsz);
	if (rc) {
		close(go); /* the child exits 127 without running anything */
		close(status);
		waitpid(*pid, NULL, 0);
		return rc;
	}
	ready(arg, *pid, status);
	rc = spawn_go(&go);
	if (rc)
		snprintf(err, errsz, "cannot start the command: %s", strerror(-rc));
	return rc;
}
