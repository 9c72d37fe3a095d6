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
 * seccomp filter), exec. */
static void child(int go, char *const *cmd, int (*prep)(void *), void *arg)
{
	char b;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (read(go, &b, 1) != 1)
		_exit(127); /* the profiler failed before tracing began */
	close(go);
	if (prep && prep(arg)) {
		fprintf(stderr, "adi-profiler: cannot prepare %s for tracing: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	execvp(cmd[0], cmd);
	fprintf(stderr, "adi-profiler: cannot run %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Fork the child; *go is the write end of its pipe. 0 or -errno. */
static int spawn_fork(char *const *cmd, int (*prep)(void *arg), void *arg,
		      pid_t *pid, int *go)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (*pid == 0) {
		close(p[1]);
		child(p[0], cmd, prep, arg);
	}
	close(p[0]);
	*go = p[1];
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
	int go = -1, rc;

	rc = spawn_fork(cmd, prep, b, pid, &go);
	if (rc) {
		snprintf(err, errsz, "fork: %s", strerror(-rc));
		return rc;
	}
	rc = trace(b, *pid, err, errsz);
	if (rc) {
		close(go); /* the child exits 127 without running anything */
		waitpid(*pid, NULL, 0);
		return rc;
	}
	ready(arg, *pid);
	rc = spawn_go(&go);
	if (rc)
		snprintf(err, errsz, "cannot start the command: %s", strerror(-rc));
	return rc;
}
