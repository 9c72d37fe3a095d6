/* attach.c - `adi-profiler attach --pid PID`: trace a running process, its
 * threads, the children it already has and every process it starts from
 * now on, until it exits, Ctrl-C / SIGTERM, or --duration. What it had open
 * before is described on first use (the kernel describes sockets; /proc
 * names files), and the sockets it listens on tell which side of an
 * established connection it is. Ends with exit status 0; the target is
 * left running. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "cli.h"
#include "session.h"
#include "../capture/container.h"
#include "../capture/procfs.h"

#define ATTACH_MAX_PIDS 65536
#define ATTACH_MAX_LISTEN 256

struct attach_state {
	int pidfd;
	bool target_exited;
	const char *cgdir;       /* --container: ends when it empties */
	uint64_t last_check_ns;
};

/* "populated 0" in cgroup.events (or the directory gone): the container
 * has no process left. */
static bool cgroup_empty(const char *dir)
{
	char path[4200], line[128];
	bool empty = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "populated 0\n"))
			empty = true;
	fclose(f);
	return empty;
}

static enum adi_loop_end attach_check(struct adi_session *s, double elapsed, void *arg)
{
	struct attach_state *a = arg;
	struct pollfd pf = { .fd = a->pidfd, .events = POLLIN };
	int ints, terms;

	/* the pidfd is readable once the target has exited */
	if (a->pidfd >= 0 && poll(&pf, 1, 0) == 1) {
		a->target_exited = true;
		return ADI_LOOP_STOP;
	}
	adi_session_signals(&ints, &terms);
	if (ints || terms)
		return ADI_LOOP_STOP;
	if (a->cgdir && elapsed * 1e9 - (double)a->last_check_ns > 5e8) {
		a->last_check_ns = (uint64_t)(elapsed * 1e9);
		if (cgroup_empty(a->cgdir)) {
			a->target_exited = true;
			return ADI_LOOP_STOP;
		}
	}
	if (s->c->duration_s > 0 && elapsed >= s->c->duration_s)
		return ADI_LOOP_STOP;
	return ADI_LOOP_GO;
}

/* Tell the engine what /proc knows of one process that was running
 * before the trace: its open fds, its cwd (through the resolver, on first
 * use), its listening sockets and its cgroup. */
static void describe(struct adi_session *s, uint32_t pid)
{
	struct adi_endpoint eps[ATTACH_MAX_LISTEN];
	char cg[4096];
	int n;

	s->ops->snapshot(s->b, pid, adi_now_wall());
	n = adi_procfs_listening(pid, eps, ATTACH_MAX_LISTEN);
	for (int i = 0; i < n && i < ATTACH_MAX_LISTEN; i++) {
		struct adi_raw_event m = { 0 };

		m.f.family = ADI_RAW_META;
		m.f.op = ADI_META_LISTEN;
		m.f.ts_ns = adi_now_wall();
		m.f.pid = m.f.tid = pid;
		m.f.fd = m.f.fd2 = -1;
		m.f.local = eps[i];
		adi_engine_feed(s->eng, &m);
	}
	if (!adi_procfs_cgroup(pid, cg, sizeof(cg)))
		adi_session_meta(s, ADI_META_CGROUP, pid, cg, NULL);
}

/* Whether pid is still a running process (not gone, not a zombie its
 * parent has yet to reap: ptrace refuses those with EPERM). */
static bool still_running(uint32_t pid)
{
	char state;

	return adi_procfs_stat(pid, &state, NULL) == 0 && state != 'Z' && state != 'X';
}

/* Trace root's tree. Children forked after their parent is traced join by
 * themselves (eBPF's fork hook, ptrace's fork events), so a second scan
 * catches the ones forked while the first was being added. */
static int add_tree(struct adi_session *s, uint32_t root, uint32_t *pids, int *npids)
{
	for (int round = 0; round < 2; round++) {
		int n = adi_procfs_tree(root, pids, ATTACH_MAX_PIDS), kept = 0;

		if (n < 0)
			return n;
		if (n > ATTACH_MAX_PIDS)
			n = ATTACH_MAX_PIDS;
		for (int i = 0; i < n; i++) {
			int rc;

			/* attach to our own shell: its tree holds the profiler,
			 * which never traces itself */
			if (pids[i] == (uint32_t)getpid())
				continue;
			rc = s->ops->trace_pid(s->b, pids[i]);

			/* a descendant that ended between the scan and now (a
			 * shell's short `sleep`) has nothing left to trace; only
			 * the root's end, or another error, ends the attach */
			if (rc && pids[i] != root && !still_running(pids[i]))
				continue;
			if (rc)
				return rc;
			pids[kept++] = pids[i];
		}
		*npids = kept;
	}
	return 0;
}

int adi_verb_attach_pid(struct adi_cli *c)
{
	struct adi_session s;
	struct attach_state a = { .pidfd = -1 };
	uint32_t pid = (uint32_t)c->pid, *pids = NULL;
	char path[64], cwd[4096];
	int rc = 1, npids = 0, err;
	ssize_t l;

	snprintf(path, sizeof(path), "/proc/%u", pid);
	if (access(path, F_OK)) {
		fprintf(stderr, "adi-profiler: no process with pid %u\n", pid);
		return 1;
	}
	if (pid == (uint32_t)getpid()) {
		fprintf(stderr, "adi-profiler: cannot attach to itself\n");
		return 1;
	}
	pids = malloc(ATTACH_MAX_PIDS * sizeof(*pids));
	if (!pids) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	adi_session_catch_signals(); /* from the start: a signal while the probes load ends the loop */
	if (adi_session_open(&s, c))
		goto out;
	a.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (a.pidfd < 0 && errno == ESRCH) {
		fprintf(stderr, "adi-profiler: process %u exited while attaching\n", pid);
		goto out;
	}
	err = add_tree(&s, pid, pids, &npids);
	if (err) {
		fprintf(stderr, err == -ESRCH ? "adi-profiler: process %u exited while attaching\n"
			: "adi-profiler: cannot add process %u to the trace filter: %s\n",
			pid, strerror(-err));
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%u/cwd", pid);
	l = readlink(path, cwd, sizeof(cwd) - 1);
	cwd[l > 0 ? l : 0] = 0;
	adi_session_meta(&s, ADI_META_START, pid, l > 0 ? cwd : NULL, s.ops->name);
	for (int i = 0; i < npids; i++)
		describe(&s, pids[i]);
	fprintf(stderr, "adi-profiler: attached to %u (%d process%s)\n", pid, npids,
		npids == 1 ? "" : "es");
	err = adi_session_loop(&s, a.pidfd, attach_check, &a);
	/* whatever ended the loop, what was captured is written out */
	adi_session_finish(&s);
	rc = err ? 1 : 0;
out:
	if (a.pidfd >= 0)
		close(a.pidfd);
	free(pids);
	return adi_session_close(&s, rc);
}

/* attach --container NAME|ID: the container's cgroup is found (Docker API,
 * or the cgroup v2 hierarchy), its processes join the filter now, and the
 * kernel adds any task that later runs in it (or below it). Ends when the
 * container is empty, on Ctrl-C / SIGTERM, or --duration. */
int adi_verb_attach_container(struct adi_cli *c)
{
	struct adi_session s;
	struct attach_state a = { .pidfd = -1 };
	struct adi_container ct;
	uint32_t *pids = NULL, *tree = NULL;
	char err[512];
	int rc = 1, n, cgfd = -1, ntree = 0, total = 0;

	if (adi_container_find(c->container, &ct, err, sizeof(err))) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		return 1;
	}
	pids = malloc(ATTACH_MAX_PIDS * sizeof(*pids));
	tree = malloc(ATTACH_MAX_PIDS * sizeof(*tree));
	if (!pids || !tree) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		free(pids);
		free(tree);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	adi_session_catch_signals();
	if (adi_session_open(&s, c))
		goto out;
	/* ptrace traces the processes there now and their children, but
	 * cannot see a process that enters the cgroup later (docker exec):
	 * said after the banner below */
	if (s.ops->trace_cgroup &&
	    ((cgfd = open(ct.cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	     (errno = -s.ops->trace_cgroup(s.b, cgfd)) != 0)) {
		fprintf(stderr, "adi-profiler: cannot filter by the cgroup %s: %s\n", ct.cgdir,
			strerror(errno));
		goto out;
	}
	adi_session_meta(&s, ADI_META_START, 0, NULL, s.ops->name);
	n = adi_procfs_cgroup_pids(ct.cgdir, pids, ATTACH_MAX_PIDS);
	for (int i = 0; i < n && i < ATTACH_MAX_PIDS; i++) {
		if (add_tree(&s, pids[i], tree, &ntree))
			continue; /* gone meanwhile */
		for (int k = 0; k < ntree; k++)
			describe(&s, tree[k]);
		total += ntree;
	}
	fprintf(stderr, "adi-profiler: attached to container %.12s (%s, found through %s, "
		"%d process%s)\n", ct.id, ct.cgdir, ct.via, total, total == 1 ? "" : "es");
	if (!s.ops->trace_cgroup)
		fprintf(stderr, "adi-profiler: note: the %s backend traces these processes "
			"and their children, not processes that enter the container later "
			"(the eBPF backend does)\n", s.ops->name);
	a.cgdir = ct.cgdir;
	n = adi_session_loop(&s, -1, attach_check, &a);
	adi_session_finish(&s);
	rc = n ? 1 : 0;
out:
	if (cgfd >= 0)
		close(cgfd);
	free(pids);
	free(tree);
	return adi_session_close(&s, rc);
}
