/* ptrace.c - the ptrace backend's tracer (ptrace.h): seizing, the stop
 * loop, signals, fork/exec/exit, detaching; and the backend interface.
 * The records themselves are built in pt_decode.c.
 *
 * Stops and what we do at each:
 *   seccomp stop (run)        the call's arguments: close is recorded now,
 *                             execve's path kept; a call whose result
 *                             matters is resumed with PTRACE_SYSCALL once
 *   syscall entry (attach)    the same, every syscall stops there
 *   syscall exit              the result: the record goes out
 *   fork/vfork/clone event    the new task is known (FORK record)
 *   exec event                the EXEC record (argv from /proc)
 *   group-stop                PTRACE_LISTEN: the tracee stays stopped
 *                             until SIGCONT, as it would untraced
 *   signal-delivery-stop      the signal is re-injected as is
 * Every wait status is read here (waitpid(-1, __WALL)), so the command's
 * exit status comes from here too (reap). SIGCHLD is blocked and read
 * through a signalfd, so the poll can wait on it with a timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "pt_int.h"
#include "../procfs.h"
#include "../../lib/util.h"

#define BATCH 4096 /* stops handled per poll before the loop looks around */
#define OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
	      PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | \
	      PTRACE_O_TRACESECCOMP)

struct adi_ptb {
	struct adi_pt pt;      /* first: the decoder's view */
	struct sock_filter filter[256];
	int nfilter;
	bool seccomp_ok;
};

static void read_comm(pid_t tid, char comm[16])
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/comm", tid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	memset(comm, 0, 16);
	if (fd < 0)
		return;
	n = read(fd, comm, 15);
	close(fd);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = 0;
}

/* Tgid and the "Seccomp:" mode of tid, from /proc/TID/status. */
static int read_status(pid_t tid, pid_t *tgid, int *seccomp)
{
	char p[64], line[256];
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", tid);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	*tgid = tid;
	*seccomp = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5))
			*tgid = (pid_t)strtol(line + 5, NULL, 10);
		else if (!strncmp(line, "Seccomp:", 8))
			*seccomp = (int)strtol(line + 8, NULL, 10);
	}
	fclose(f);
	return 0;
}

static struct pt_task *task_get(struct adi_pt *b, pid_t tid)
{
	return adi_map_get(&b->tasks, (uint64_t)tid);
}

static struct pt_task *task_new(struct adi_pt *b, pid_t tid, pid_t tgid)
{
	struct pt_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->tid = tid;
	t->tgid = tgid;
	if (adi_map_put(&b->tasks, (uint64_t)tid, t)) {
		free(t);
		return NULL;
	}
	read_comm(tid, t->comm);
	t->cgroup_id = adi_procfs_cgroup_id((uint32_t)tgid);
	return t;
}

static void task_del(struct adi_pt *b, struct pt_task *t)
{
	adi_map_del(&b->tasks, (uint64_t)t->tid);
	if (t->tid == t->tgid) {
		void *v = adi_map_del(&b->pidfds, (uint64_t)t->tgid);

		if (v)
			close((int)(intptr_t)v - 1);
	}
	free(t);
}

/* Let t run to its next stop: with the filter in, only a call whose exit
 * we want needs PTRACE_SYSCALL; without it every syscall stops. */
static void resume(struct adi_pt *b, struct pt_task *t, int sig)
{
	long req = !t->filtered || t->in_call ? PTRACE_SYSCALL : PTRACE_CONT;

	(void)b;
	ptrace(req, t->tid, 0, (void *)(long)sig);
}

static void on_syscall(struct adi_pt *b, struct pt_task *t)
{
	struct __ptrace_syscall_info si;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) <= 0) {
		t->in_call = false;
		return;
	}
	if (si.op == PTRACE_SYSCALL_INFO_ENTRY || si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
		/* 32-bit tasks use another table: not decoded (as eBPF) */
		if (si.arch != AUDIT_ARCH_X86_64 || b->stopped) {
			t->in_call = false;
			return;
		}
		t->nr = (int)(si.op == PTRACE_SYSCALL_INFO_ENTRY ? si.entry.nr : si.seccomp.nr);
		memcpy(t->args, si.op == PTRACE_SYSCALL_INFO_ENTRY ? si.entry.args
				: si.seccomp.args, sizeof(t->args));
		t->in_call = adi_pt_when(t->nr) != ADI_PT_NONE && adi_pt_entry(b, t);
	} else if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
		if (t->in_call && !b->stopped)
			adi_pt_exit(b, t, si.exit.rval);
		t->in_call = false;
	}
}

/* A task seen for the first time at its own stop (its parent's fork event
 * not handled yet): learn what it is from /proc. */
static struct pt_task *task_found(struct adi_pt *b, pid_t tid)
{
	pid_t tgid;
	int sc;
	struct pt_task *t;

	if (read_status(tid, &tgid, &sc))
		return NULL;
	t = task_new(b, tid, tgid);
	if (!t)
		return NULL;
	t->filtered = sc == 2;
	if (tid == tgid) {
		char p[64], buf[512], *q;
		unsigned ppid = 0;
		FILE *f;

		snprintf(p, sizeof(p), "/proc/%d/stat", tid);
		f = fopen(p, "re");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);

			buf[n] = 0;
			fclose(f);
			q = strrchr(buf, ')');
			if (q && sscanf(q + 1, " %*c %u", &ppid) != 1)
				ppid = 0;
		}
		if (!b->stopped)
			adi_pt_fork(b, t, ppid);
	}
	return t;
}

/* The parent's fork/vfork/clone event: the child (msg) joins now, so its
 * FORK record precedes anything it does. */
static void on_new_task(struct adi_pt *b, struct pt_task *parent, pid_t tid)
{
	struct pt_task *c = task_get(b, tid);
	pid_t tgid;
	int sc;

	if (c)
		return; /* its own first stop came first */
	/* gone already: waitpid(-1) handed us its exit before this event (it
	 * keeps its own order), and a task kept now would be waited for
	 * forever */
	if (read_status(tid, &tgid, &sc))
		return;
	c = task_new(b, tid, tgid);
	if (!c)
		return;
	c->filtered = parent->filtered;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	c->cgroup_id = parent->cgroup_id;
	if (tid == tgid && !b->stopped)
		adi_pt_fork(b, c, (uint32_t)parent->tgid);
}

static void on_exit_status(struct adi_ptb *pb, pid_t tid, int status)
{
	struct adi_pt *b = &pb->pt;
	struct pt_task *t = task_get(b, tid);

	if (t) {
		/* a group's leader is reported once all its threads are gone */
		if (t->tid == t->tgid && !b->stopped)
			adi_pt_exitproc(b, t, status);
		task_del(b, t);
	}
	if (tid == b->root) {
		b->root_status = status;
		b->root_done = true;
	}
}

static void on_stop(struct adi_ptb *pb, pid_t tid, int status)
{
	struct adi_pt *b = &pb->pt;
	struct pt_task *t = task_get(b, tid);
	int sig = WSTOPSIG(status), event = status >> 16;
	unsigned long msg = 0;

	if (!t && !(t = task_found(b, tid))) {
		ptrace(PTRACE_CONT, tid, 0, 0); /* cannot follow it: let it go */
		return;
	}
	switch (event) {
	case 0:
		if (sig == (SIGTRAP | 0x80)) {
			on_syscall(b, t);
			resume(b, t, 0);
		} else {
			resume(b, t, sig); /* signal-delivery-stop: deliver it */
		}
		return;
	case PTRACE_EVENT_SECCOMP:
		on_syscall(b, t);
		resume(b, t, 0);
		return;
	case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE:
		if (!ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg))
			on_new_task(b, t, (pid_t)msg);
		resume(b, t, 0);
		return;
	case PTRACE_EVENT_EXEC:
		/* a non-leader thread that execs takes the leader's tid */
		if (!ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) && (pid_t)msg != tid) {
			struct pt_task *old = task_get(b, (pid_t)msg);

			if (old) {
				memcpy(t->exec_path, old->exec_path, old->exec_len);
				t->exec_len = old->exec_len;
				task_del(b, old);
			}
		}
		t->in_call = false;
		read_comm(tid, t->comm);
		if (!b->stopped)
			adi_pt_exec(b, t);
		resume(b, t, 0);
		return;
	case PTRACE_EVENT_STOP:
		if (!t->started) {
			t->started = true; /* an auto-attached child's first stop */
			resume(b, t, 0);
		} else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* group-stop: stay stopped until SIGCONT, without
			 * being resumed by us */
			t->listening = true;
			ptrace(PTRACE_LISTEN, tid, 0, 0);
		} else {
			t->listening = false; /* PTRACE_INTERRUPT or a SIGCONT */
			resume(b, t, 0);
		}
		return;
	default: /* PTRACE_EVENT_EXIT and anything newer */
		resume(b, t, 0);
	}
}

/* Handle the wait statuses there are, at most max. Returns how many. */
/* No task is left to wait for (ECHILD): those still in the table died
 * without our seeing it (which the order of waitpid's reports can hide),
 * and must not hold the trace open. */
static void forget_all(struct adi_pt *b)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	while (adi_map_next(&b->tasks, &it, &k, &v))
		task_del(b, v);
}

static int pump(struct adi_ptb *pb, int max)
{
	int n = 0;

	while (n < max) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid < 0 && errno == ECHILD)
			forget_all(&pb->pt); /* no tracee is left at all */
		if (tid <= 0)
			break;
		n++;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			on_exit_status(pb, tid, status);
		else if (WIFSTOPPED(status))
			on_stop(pb, tid, status);
	}
	return n;
}

static void drain_sigfd(struct adi_pt *b)
{
	struct signalfd_siginfo si[16];

	while (read(b->sigfd, si, sizeof(si)) > 0)
		;
}

/* ---- the backend interface ---- */

static bool have_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[0].effective & (1u << CAP_SYS_ADMIN);
}

/* TLS (docs/tls.md): the handshake's facts come from the wire as with any
 * backend; the plaintext would need a breakpoint and two ptrace stops per
 * SSL call (tens of microseconds each), which this backend does not do.
 * The engine is told, so every TLS connection says why it has none. */
static void tls_state(struct adi_pt *b)
{
	static const char why[] = "the ptrace backend does not hook TLS libraries "
				  "(handshake metadata only; use the eBPF backend)";
	struct adi_raw_event m = { 0 };

	m.f.family = ADI_RAW_META;
	m.f.op = ADI_META_TLS_STATE;
	m.f.ts_ns = adi_now_wall();
	m.f.fd = m.f.fd2 = -1;
	m.f.arg = ADI_TLS_CAPTURE_NONE;
	m.path = why;
	m.f.path_len = sizeof(why) - 1;
	adi_engine_feed(b->eng, &m);
}

static struct adi_backend *pt_open(const struct adi_capture_opts *o,
				   struct adi_engine *eng, char *err, size_t errsz)
{
	struct adi_ptb *pb;
	struct adi_pt *b;
	sigset_t chld;
	FILE *f;
	int scope = 0;
	bool masked = false;

	f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 0;
		fclose(f);
	}
	if (scope >= 3) {
		snprintf(err, errsz, "ptrace is disabled on this system "
			 "(kernel.yama.ptrace_scope = 3)");
		return NULL;
	}
	pb = calloc(1, sizeof(*pb));
	if (!pb) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	b = &pb->pt;
	b->eng = eng;
	b->o = *o;
	b->root = -1;
	b->sigfd = -1;
	b->rec = malloc(ADI_PT_REC_MAX);
	if (!b->rec || adi_map_init(&b->tasks) || adi_map_init(&b->pidfds) ||
	    adi_map_init(&b->socks)) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	pb->nfilter = adi_pt_filter(pb->filter, 256);
	/* PR_GET_SECCOMP fails with EINVAL on a kernel without seccomp:
	 * then every syscall stops, as for attach */
	pb->seccomp_ok = pb->nfilter > 0 && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &b->oldmask)) {
		snprintf(err, errsz, "sigprocmask: %s", strerror(errno));
		goto fail;
	}
	masked = true;
	b->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (b->sigfd < 0) {
		snprintf(err, errsz, "signalfd: %s", strerror(errno));
		goto fail;
	}
	tls_state(b);
	return (struct adi_backend *)pb;
fail:
	if (masked)
		sigprocmask(SIG_SETMASK, &b->oldmask, NULL);
	adi_map_fini(&b->tasks);
	adi_map_fini(&b->pidfds);
	adi_map_fini(&b->socks);
	free(b->rec);
	free(pb);
	return NULL;
}

static void pt_close(struct adi_backend *bb)
{
	struct adi_ptb *pb = (struct adi_ptb *)bb;
	struct adi_pt *b;
	size_t it = 0;
	uint64_t k;
	void *v;

	if (!pb)
		return;
	b = &pb->pt;
	while (adi_map_next(&b->tasks, &it, &k, &v))
		free(v);
	it = 0;
	while (adi_map_next(&b->pidfds, &it, &k, &v))
		close((int)(intptr_t)v - 1);
	adi_pt_forget_fd(b, 0, -2);
	adi_map_fini(&b->tasks);
	adi_map_fini(&b->pidfds);
	adi_map_fini(&b->socks);
	if (b->sigfd >= 0)
		close(b->sigfd);
	sigprocmask(SIG_SETMASK, &b->oldmask, NULL);
	free(b->rec);
	free(pb);
}

/* Seize one thread and stop it once (PTRACE_INTERRUPT), so the loop can
 * resume it in syscall-stepping mode: no filter can be put in a running
 * process. */
static int seize_thread(struct adi_pt *b, pid_t tid, pid_t tgid)
{
	struct pt_task *t;

	if (task_get(b, tid))
		return 0;
	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)OPTS))
		return -errno;
	t = task_new(b, tid, tgid);
	if (!t)
		return -ENOMEM;
	t->started = true;
	t->forked = true;
	ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	return 0;
}

static int pt_trace_pid(struct adi_backend *bb, uint32_t pid)
{
	struct adi_pt *b = &((struct adi_ptb *)bb)->pt;
	char dir[64];
	int rc = 0, seized = 0;

	/* threads started while we list them are seized by their creator's
	 * clone event once it is traced; a second pass catches the others */
	for (int round = 0; round < 2; round++) {
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "/proc/%u/task", pid);
		d = opendir(dir);
		if (!d)
			return seized ? 0 : -ESRCH;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);

			if (tid <= 0)
				continue;
			rc = seize_thread(b, tid, (pid_t)pid);
			if (rc == -ESRCH)
				continue; /* the thread ended meanwhile */
			if (rc)
				break;
			seized++;
		}
		closedir(d);
		if (rc)
			return rc;
	}
	return 0;
}

static int prep_child(void *arg)
{
	struct adi_ptb *pb = arg;
	struct sock_fprog prog = { .len = (unsigned short)pb->nfilter, .filter = pb->filter };

	/* the command runs with the signal mask we were given */
	sigprocmask(SIG_SETMASK, &pb->pt.oldmask, NULL);
	if (!pb->seccomp_ok)
		return 0;
	/* without CAP_SYS_ADMIN a filter needs no_new_privs (setuid
	 * programs then run without their privileges: documented) */
	if (!have_cap_sys_admin() && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* spawn's tracing step: seize the waiting child; it gets run's seccomp
 * filter (prep_child) once let go, or, without one, stops at every call */
static int pt_trace_spawned(struct adi_backend *bb, pid_t pid, char *err, size_t errsz)
{
	struct adi_ptb *pb = (struct adi_ptb *)bb;
	struct adi_pt *b = &pb->pt;
	struct pt_task *t;
	int rc;

	b->root = pid;
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)OPTS)) {
		rc = -errno;
		snprintf(err, errsz, "cannot trace the command (PTRACE_SEIZE: %s)%s",
			 strerror(-rc), rc == -EPERM ? "; ptrace may be forbidden here "
			 "(a container without CAP_SYS_PTRACE, or a seccomp policy)" : "");
		return rc;
	}
	t = task_new(b, pid, pid);
	if (!t) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	t->started = true;
	t->forked = true;
	t->ppid = (uint32_t)getpid();
	t->filtered = pb->seccomp_ok;
	if (!t->filtered)
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	return 0;
}

static int pt_spawn(struct adi_backend *b, char *const *cmd, adi_spawn_ready ready,
		    void *arg, pid_t *pid, char *err, size_t errsz)
{
	return adi_spawn_traced(b, cmd, prep_child, pt_trace_spawned, ready, arg, pid, err,
				errsz);
}

static int pt_reap(struct adi_backend *bb, pid_t pid, int *status)
{
	struct adi_pt *b = &((struct adi_ptb *)bb)->pt;

	if (pid != b->root || !b->root_done)
		return 0;
	*status = b->root_status;
	return 1;
}

static int pt_poll(struct adi_backend *bb, int timeout_ms, int wake_fd)
{
	struct adi_ptb *pb = (struct adi_ptb *)bb;
	struct adi_pt *b = &pb->pt;
	uint64_t before = b->delivered;
	struct pollfd pf[2] = {
		{ .fd = b->sigfd, .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};

	/* tracees wait in their stops while we are away: handle what is
	 * there first, and sleep only when nothing was */
	if (pump(pb, BATCH) == 0) {
		if (poll(pf, wake_fd >= 0 ? 2 : 1, timeout_ms) < 0 && errno != EINTR)
			return -errno;
		drain_sigfd(b);
		pump(pb, BATCH);
	}
	return (int)(b->delivered - before);
}

static int pt_drain(struct adi_backend *bb)
{
	(void)bb; /* records are fed as they are built: nothing is queued */
	return 0;
}

/* Detach from every task, leaving it running (or stopped, if it was in a
 * group-stop) with any signal it was about to get. A task must be in a
 * ptrace-stop to be detached: interrupt it, then detach at its stop. */
static void pt_stop(struct adi_backend *bb)
{
	struct adi_ptb *pb = (struct adi_ptb *)bb;
	struct adi_pt *b = &pb->pt;
	uint64_t t0 = (uint64_t)time(NULL);
	size_t it = 0;
	uint64_t k;
	void *v;

	if (b->stopped)
		return;
	/* what already happened is recorded: the stops waiting now, and a
	 * call in progress when its exit stop comes before the detach */
	while (pump(pb, BATCH) > 0)
		;
	while (adi_map_next(&b->tasks, &it, &k, &v))
		ptrace(PTRACE_INTERRUPT, (pid_t)k, 0, 0);
	/* a task in uninterruptible sleep may take a moment; after 3 s the
	 * rest are detached by the kernel when we exit */
	while (b->tasks.len && (uint64_t)time(NULL) - t0 < 3) {
		struct pollfd pf = { .fd = b->sigfd, .events = POLLIN };
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
		struct pt_task *t;

		if (tid < 0)
			break;
		if (tid == 0) {
			poll(&pf, 1, 100);
			drain_sigfd(b);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			on_exit_status(pb, tid, status);
			continue;
		}
		t = task_get(b, tid);
		if (t && t->in_call && (status >> 16) == 0 && WSTOPSIG(status) == (SIGTRAP | 0x80))
			on_syscall(b, t); /* a call's exit: its record goes out */
		if ((status >> 16) == PTRACE_EVENT_FORK || (status >> 16) == PTRACE_EVENT_VFORK ||
		    (status >> 16) == PTRACE_EVENT_CLONE) {
			unsigned long msg = 0;

			/* its child is traced already: detach it at its stop */
			if (t && !ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg))
				on_new_task(b, t, (pid_t)msg);
		}
		{
			int sig = WSTOPSIG(status), inj = 0;

			if ((status >> 16) == 0 && sig != (SIGTRAP | 0x80))
				inj = sig; /* a signal on its way: deliver it */
			ptrace(PTRACE_DETACH, tid, 0, (void *)(long)inj);
		}
		if (t)
			task_del(b, t);
	}
	b->stopped = true; /* from here on nothing is produced */
}

static size_t pt_filtered_left(struct adi_backend *bb)
{
	struct adi_pt *b = &((struct adi_ptb *)bb)->pt;
	size_t it = 0, n = 0;
	uint64_t k;
	void *v;

	while (adi_map_next(&b->tasks, &it, &k, &v))
		n += ((struct pt_task *)v)->filtered;
	return n;
}

static void pt_stats(struct adi_backend *bb, struct adi_capture_stats *st)
{
	struct adi_pt *b = &((struct adi_ptb *)bb)->pt;

	memset(st, 0, sizeof(*st));
	st->produced = b->produced;
	st->delivered = b->delivered;
	st->dropped = b->dropped;
	st->truncated = b->truncated;
}

static int pt_snapshot(struct adi_backend *bb, uint32_t pid, uint64_t wall_ns)
{
	return adi_procfs_snapshot(((struct adi_ptb *)bb)->pt.eng, pid, wall_ns);
}

const struct adi_backend_ops adi_backend_ptrace = {
	.name = "ptrace",
	.open = pt_open,
	.close = pt_close,
	.trace_pid = pt_trace_pid,
	.trace_cgroup = NULL,
	.spawn = pt_spawn,
	.reap = pt_reap,
	.poll = pt_poll,
	.drain = pt_drain,
	.filtered_left = pt_filtered_left,
	.stop = pt_stop,
	.stats = pt_stats,
	.snapshot = pt_snapshot,
	.resolve = adi_procfs_resolve,
};
