/* ebpf.c - load, attach and drain the eBPF backend (bpf/adi.bpf.c through its
 * libbpf skeleton). Probes the kernel first so a missing feature becomes one
 * clear sentence, not a libbpf error dump. Owns the ring buffer consumer and
 * the /proc resolver; the engine owns everything it is fed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ebpf.h"
#include "adi.skel.h"
#include "../procfs.h"
#include "../normalize.h"
#include "tls.h"

/* The processes the trace follows, for run to wait on what its command
 * left running: a small set, bounded (past it, run stops waiting as
 * before). */
#define ADI_EBPF_MAX_LIVE 65536

struct adi_ebpf {
	struct adi_bpf *skel;
	bool uprobe_multi;      /* the TLS hooks use uprobe_multi links */
	uint32_t *live;         /* tgids traced and not seen to exit */
	size_t nlive, caplive;
	uint64_t live_checked;  /* monotonic ns of the last /proc check */
	struct ring_buffer *rb;
	struct adi_engine *eng;
	int64_t wall_off;       /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	uint64_t delivered, bad;
	int budget;             /* records left in this batch (see on_record) */
	int ncpu;
	struct adi_tls_hooks *tls; /* TLS library uprobes (tls.c), NULL: none */
};

static int quiet_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	/* libbpf's own messages only with ADI_DEBUG=1: the user gets our
	 * one-line diagnosis instead */
	if (lvl == LIBBPF_DEBUG || !getenv("ADI_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int64_t clock_offset(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

#define BATCH 16384
#define BATCH_DONE (-EALREADY) /* our own "stop here", never libbpf's */

static void live_add(struct adi_ebpf *b, uint32_t pid)
{
	for (size_t i = 0; i < b->nlive; i++)
		if (b->live[i] == pid)
			return;
	if (b->nlive == b->caplive) {
		size_t cap = b->caplive ? b->caplive * 2 : 64;
		uint32_t *n;

		if (cap > ADI_EBPF_MAX_LIVE || !(n = realloc(b->live, cap * sizeof(*n))))
			return;
		b->live = n;
		b->caplive = cap;
	}
	b->live[b->nlive++] = pid;
}

static void live_del(struct adi_ebpf *b, uint32_t pid)
{
	for (size_t i = 0; i < b->nlive; i++)
		if (b->live[i] == pid) {
			b->live[i] = b->live[--b->nlive];
			return;
		}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct adi_ebpf *b = ctx;
	struct adi_raw_event ev;

	/* data is ring memory, valid only during this callback: the engine
	 * copies what it keeps */
	if (adi_normalize_record(data, size, b->wall_off, &ev)) {
		b->bad++;
		return 0;
	}
	b->delivered++;
	if (ev.f.family == ADI_RAW_PROC && ev.f.op == ADI_OP_FORK)
		live_add(b, ev.f.pid);
	else if (ev.f.family == ADI_RAW_PROC && ev.f.op == ADI_OP_EXIT)
		live_del(b, ev.f.pid);
	if (b->tls)
		adi_tls_hooks_event(b->tls, &ev); /* new files to hook: exec, open */
	adi_engine_feed(b->eng, &ev);
	/* libbpf consumes until the ring is empty, which never happens while
	 * producers outpace us: stop after a batch (the record is consumed)
	 * so the loop can look at signals and the command */
	return --b->budget > 0 ? 0 : BATCH_DONE;
}

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* What the kernel must offer; the first thing missing is the message. */
static int probe(char *err, size_t errsz)
{
	/* test hook: lets the suites check the fallback to ptrace on a
	 * machine where eBPF works (docs/capture.md) */
	if (getenv("ADI_FORCE_NO_EBPF") && !strcmp(getenv("ADI_FORCE_NO_EBPF"), "1")) {
		snprintf(err, errsz, "disabled by ADI_FORCE_NO_EBPF=1");
		return -ENOTSUP;
	}
	if (geteuid() != 0) {
		snprintf(err, errsz, "tracing needs root (CAP_BPF and CAP_PERFMON): "
			 "run adi-profiler with sudo");
		return -EPERM;
	}
	if (!path_exists("/sys/kernel/btf/vmlinux")) {
		snprintf(err, errsz, "this kernel has no BTF (/sys/kernel/btf/vmlinux "
			 "is missing, CONFIG_DEBUG_INFO_BTF=y is needed for the eBPF "
			 "backend)");
		return -ENOTSUP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		snprintf(err, errsz, "this kernel has no BPF ring buffer (Linux 5.8 or "
			 "later is needed)");
		return -ENOTSUP;
	}
	/* libbpf finds tracepoint ids in tracefs; many systems do not mount
	 * it by default, and mounting it changes nothing else */
	if (!path_exists("/sys/kernel/tracing/events") &&
	    !path_exists("/sys/kernel/debug/tracing/events"))
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (!path_exists("/sys/kernel/tracing/events/syscalls/sys_enter_close") &&
	    !path_exists("/sys/kernel/debug/tracing/events/syscalls/sys_enter_close")) {
		snprintf(err, errsz, "syscall tracepoints are not available (tracefs "
			 "not mounted or CONFIG_FTRACE_SYSCALLS off): mount -t tracefs "
			 "nodev /sys/kernel/tracing");
		return -ENOTSUP;
	}
	return 0;
}

/* The traced filter is indexed by pid: as large as pids can be here. */
static uint32_t pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v >= 301 && v <= 4194304 ? (uint32_t)v : 4194304;
}

/* The TLS library hooks (tls.c): the engine is told whether plaintext is
 * captured, and the system's OpenSSL is hooked before anything runs. A
 * failure leaves the trace without plaintext, never without the rest. */
static void tls_open(struct adi_ebpf *b, const struct adi_capture_opts *o)
{
	b->tls = adi_tls_hooks_new(b->skel, b->eng, o->no_tls_plaintext, b->uprobe_multi);
	if (b->tls)
		adi_tls_hooks_start(b->tls);
}

/* Can programs call bpf_loop (Linux 5.17+)? Test hook: ADI_FORCE_NO_BPF_LOOP=1
 * says no, to run the older kernels' program where bpf_loop exists. */
static bool has_bpf_loop(void)
{
	const char *f = getenv("ADI_FORCE_NO_BPF_LOOP");

	if (f && !strcmp(f, "1"))
		return false;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL) == 1;
}

/* Can programs read kernel structs by plain loads (bpf_rdonly_cast, Linux
 * 6.2+)? The kernel's BTF names the kfunc when it has it. Test hook:
 * ADI_FORCE_NO_DIRECT_READS=1 says no, to run the 5.17-6.1 programs. */
static bool has_direct_reads(void)
{
	const char *f = getenv("ADI_FORCE_NO_DIRECT_READS");
	struct btf *vmlinux;
	bool yes;

	if (f && !strcmp(f, "1"))
		return false;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	yes = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return yes;
}

/* Open the object and load it with the syscall programs of one mode
 * (bpf/common.bpf.h): loop, the kernel has bpf_loop; direct, it has
 * bpf_rdonly_cast. Returns 0 or libbpf's negative error. */
static int open_load(struct adi_ebpf *b, const struct adi_capture_opts *o,
		     bool loop, bool direct)
{
	b->skel = adi_bpf__open();
	if (!b->skel)
		return -errno;
	b->skel->rodata->cap_bytes = o->capture_bytes > ADI_PAYLOAD_MAX ? ADI_PAYLOAD_MAX
									 : o->capture_bytes;
	bpf_program__set_autoload(b->skel->progs.handle_sys_exit, direct);
	bpf_program__set_autoload(b->skel->progs.handle_sys_exit_read, loop && !direct);
	bpf_program__set_autoload(b->skel->progs.handle_sys_exit_one, !loop);
	bpf_program__set_autoload(b->skel->progs.handle_sys_enter_close, direct);
	bpf_program__set_autoload(b->skel->progs.handle_sys_enter_close_read, !direct);
	if (getenv("ADI_DEBUG"))
		fprintf(stderr, "adi-profiler: syscall programs: %s, %s\n",
			loop ? "payloads whole (bpf_loop)" : "payloads cut to one record",
			direct ? "kernel structs by plain loads (bpf_rdonly_cast)"
			       : "kernel structs by helper reads");
	b->skel->rodata->file_cap_bytes = o->content_bytes;
	/* by default 1 MiB, and at most a quarter of the ring: a threshold
	 * the ring can never reach would leave only the poll timer to empty
	 * it. An explicit --wakeup-bytes is taken as given (tests use that to
	 * overflow a ring on purpose). */
	b->skel->rodata->wakeup_bytes = o->wakeup_bytes ? o->wakeup_bytes
		: (1u << 20) < o->ringbuf_bytes / 4 ? (1u << 20) : o->ringbuf_bytes / 4;
	b->skel->rodata->want_fs = !o->no_fs;
	b->skel->rodata->want_net = !o->no_net;
	bpf_map__set_max_entries(b->skel->maps.events, o->ringbuf_bytes);
	bpf_map__set_max_entries(b->skel->maps.scratch_map, b->ncpu > 0 ? b->ncpu : 1);
	bpf_map__set_max_entries(b->skel->maps.traced, pid_max());
	b->uprobe_multi = !o->no_tls_plaintext && adi_tls_multi_prepare(b->skel);
	return adi_bpf__load(b->skel);
}

struct adi_ebpf *adi_ebpf_open(const struct adi_capture_opts *o,
			       struct adi_engine *eng, char *err, size_t errsz)
{
	struct adi_ebpf *b;
	bool loop, direct;
	int rc;

	libbpf_set_print(quiet_print);
	if (probe(err, errsz))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	b->eng = eng;
	b->ncpu = libbpf_num_possible_cpus();
	/* the syscall programs for this kernel: with bpf_loop a socket call's
	 * payload goes out whole, in pieces; without, one record of it */
	loop = has_bpf_loop();
	direct = loop && has_direct_reads();
	if (!loop && o->capture_bytes > ADI_CAP_MAX)
		fprintf(stderr, "adi-profiler: this kernel has no bpf_loop (Linux 5.17 or "
			"later): socket payloads are cut at %u bytes per call, not %u\n",
			ADI_CAP_MAX, o->capture_bytes);
	rc = open_load(b, o, loop, direct);
	if (rc && b->skel && direct) {
		/* a kernel whose verifier refuses the plain loads (a backport,
		 * an older rule) still takes the helper reads: slower, the same
		 * events */
		adi_bpf__destroy(b->skel);
		b->skel = NULL;
		rc = open_load(b, o, loop, false);
	}
	if (!b->skel) {
		snprintf(err, errsz, "cannot open the BPF object: %s", strerror(-rc));
		goto fail;
	}
	if (rc) {
		snprintf(err, errsz, "the kernel refused the BPF programs (%s); "
			 "run with ADI_DEBUG=1 for the verifier log", strerror(-rc));
		goto fail;
	}
	rc = adi_bpf__attach(b->skel);
	if (rc) {
		snprintf(err, errsz, "cannot attach to the syscall and sched tracepoints "
			 "(%s); this kernel may lack raw tracepoints or BTF-enabled "
			 "tracepoints", strerror(-rc));
		goto fail;
	}
	/* never this process: a container or a traced tree may hold it */
	{
		__u32 self = (__u32)getpid();
		__u8 never = 2;

		bpf_map__update_elem(b->skel->maps.traced, &self, sizeof(self), &never,
				     sizeof(never), BPF_ANY);
	}
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_record, b, NULL);
	if (!b->rb) {
		snprintf(err, errsz, "cannot map the BPF ring buffer: %s", strerror(errno));
		goto fail;
	}
	b->wall_off = clock_offset();
	tls_open(b, o);
	return b;
fail:
	adi_ebpf_close(b);
	return NULL;
}

void adi_ebpf_link_destroy(struct adi_ebpf_link *l)
{
	if (l->link)
		bpf_link__destroy(l->link);
	else if (l->fd >= 0)
		close(l->fd);
	l->link = NULL;
	l->fd = -1;
}

static void *detach_thread(void *arg)
{
	adi_ebpf_link_destroy(arg);
	return NULL;
}

/* Detaching a link waits for grace periods: 100-170 ms a link on this VM,
 * and the kernel does perf-event uprobes' one after the other. A dozen
 * links made the end of every trace take a second. The trace is over by
 * now, so a child holds the last references and pays for the detach after
 * we have returned: it keeps only the links' descriptors (not the
 * output's, so a reader of our output sees its end now) and exits. The
 * programs stay attached until it has, doing nothing anyone reads.
 * Without a child (fork failed, or ADI_SYNC_DETACH=1), the links are
 * detached here, from threads of their own so that the waits that can
 * overlap do. Empties every entry. */
static int fd_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int detach_fd(const struct adi_ebpf_link *d)
{
	return d->link ? bpf_link__fd(d->link) : d->fd;
}

static bool links_detach_in_child(struct adi_ebpf_link *v, size_t n)
{
	const char *sync = getenv("ADI_SYNC_DETACH");
	int *keep, go[2];
	pid_t pid;

	if ((sync && !strcmp(sync, "1")) || !(keep = calloc(n + 1, sizeof(*keep))))
		return false;
	/* the child holds the last references only if it lets go of them
	 * after we have let go of ours: it waits for the end of this pipe */
	if (pipe2(go, O_CLOEXEC)) {
		free(keep);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		keep[i] = detach_fd(&v[i]);
	keep[n] = go[0];
	qsort(keep, n + 1, sizeof(*keep), fd_cmp);
	pid = fork();
	if (pid == 0) {
		/* the child: every descriptor but the links' and the pipe's
		 * read end closed (the gaps between them, in order); once we
		 * have closed the write end, the exit that detaches them (no
		 * stdio, no atexit: _exit) */
		unsigned from = 0;
		char c;

		for (size_t i = 0; i <= n; i++) {
			if (keep[i] < 0)
				continue;
			if ((unsigned)keep[i] > from)
				close_range(from, (unsigned)keep[i] - 1, 0);
			from = (unsigned)keep[i] + 1;
		}
		close_range(from, ~0U, 0);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	free(keep);
	close(go[0]);
	if (pid < 0) {
		close(go[1]);
		return false;
	}
	for (size_t i = 0; i < n; i++) /* ours are not the last references */
		detach_thread(&v[i]);
	close(go[1]);
	return true;
}

static void links_destroy(struct adi_ebpf_link *v, size_t n)
{
	enum { MAXT = 64 };
	pthread_t th[MAXT];
	bool started[MAXT];

	if (!n || links_detach_in_child(v, n))
		return;
	for (size_t at = 0; at < n; at += MAXT) {
		size_t k = n - at < MAXT ? n - at : MAXT;

		for (size_t i = 0; i < k; i++) {
			started[i] = !pthread_create(&th[i], NULL, detach_thread, &v[at + i]);
			if (!started[i])
				detach_thread(&v[at + i]); /* no thread: here, in turn */
		}
		for (size_t i = 0; i < k; i++)
			if (started[i])
				pthread_join(th[i], NULL);
	}
}

void adi_ebpf_close(struct adi_ebpf *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	if (b->skel) {
		/* the skeleton's tracepoint links and the TLS uprobes, together */
		const struct bpf_object_skeleton *sk = b->skel->skeleton;
		size_t nt = 0, n = 0, nskel = sk ? (size_t)sk->prog_cnt : 0;
		struct adi_ebpf_link *tl = b->tls ? adi_tls_hooks_take_links(b->tls, &nt) : NULL;
		struct adi_ebpf_link *all = calloc(nskel + nt, sizeof(*all));

		for (size_t i = 0; i < nskel; i++) {
			struct adi_ebpf_link l = { *sk->progs[i].link, -1 };

			*sk->progs[i].link = NULL; /* the skeleton's destroy skips it */
			if (!l.link)
				continue;
			if (all)
				all[n++] = l;
			else
				adi_ebpf_link_destroy(&l);
		}
		for (size_t i = 0; i < nt; i++)
			if (all)
				all[n++] = tl[i];
			else
				adi_ebpf_link_destroy(&tl[i]);
		links_destroy(all, n);
		free(all);
		free(tl);
	}
	adi_tls_hooks_free(b->tls);
	adi_bpf__destroy(b->skel);
	free(b->live);
	free(b);
}

/* scan: look through the process's maps for TLS libraries to hook (a
 * process attached to); not for run's command, which has not exec'd yet
 * (its maps are still ours: what it will run is hooked by name in
 * ops_spawn, and its libraries as it opens them) */
static int trace_pid(struct adi_ebpf *b, uint32_t pid, bool scan)
{
	__u8 one = 1;

	if (pid == (uint32_t)getpid())
		return -EPERM; /* the profiler never traces itself */
	if (bpf_map__update_elem(b->skel->maps.traced, &pid, sizeof(pid), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	live_add(b, pid);
	if (b->tls && scan) /* attach: the TLS libraries it has mapped already */
		adi_tls_hooks_scan_pid(b->tls, pid);
	return 0;
}

int adi_ebpf_trace_pid(struct adi_ebpf *b, uint32_t pid)
{
	return trace_pid(b, pid, true);
}

size_t adi_ebpf_running(struct adi_ebpf *b)
{
	struct timespec t;
	uint64_t now;

	/* an exit record lost in a full ring would make us wait forever,
	 * and the command may be reaped before its record is read: what
	 * /proc says of each wins (at each call while they are few) */
	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
	if (b->nlive <= 64 || now - b->live_checked >= 1000000000u) {
		b->live_checked = now;
		for (size_t i = 0; i < b->nlive;) {
			char path[32], state = 0, line[256];
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%u/stat", b->live[i]);
			f = fopen(path, "re");
			if (f) {
				char *paren = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;

				state = paren && paren[1] ? paren[2] : 0;
				fclose(f);
			}
			/* gone, or a zombie whose parent has yet to reap it */
			if (!f || state == 'Z' || state == 'X')
				b->live[i] = b->live[--b->nlive];
			else
				i++;
		}
	}
	return b->nlive;
}

int adi_ebpf_trace_cgroup(struct adi_ebpf *b, int cgfd)
{
	__u32 key = 0, fd = (__u32)cgfd;

	if (bpf_map__update_elem(b->skel->maps.cg_filter, &key, sizeof(key), &fd,
				 sizeof(fd), BPF_ANY))
		return -errno;
	b->skel->bss->cg_on = true;
	return 0;
}

void adi_ebpf_stop(struct adi_ebpf *b)
{
	/* from here on nothing new is produced, so the counters read after
	 * the last drain balance exactly */
	b->skel->bss->stopped = true;
}

int adi_ebpf_poll(struct adi_ebpf *b, int timeout_ms, int wake_fd)
{
	uint64_t before = b->delivered;
	struct pollfd pf[2] = {
		{ .fd = ring_buffer__epoll_fd(b->rb), .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};
	int rc;

	/* records are produced without waking us (see emit() in
	 * common.bpf.h): the timeout is the normal way in, the ring's epoll
	 * fd only fires when a lot is queued, and wake_fd (the command's
	 * pidfd) ends the wait as soon as the command exits */
	rc = poll(pf, wake_fd >= 0 ? 2 : 1, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -errno;
	b->budget = BATCH;
	rc = ring_buffer__consume(b->rb);
	if (rc < 0 && rc != -EINTR && rc != BATCH_DONE)
		return rc;
	if (b->tls)
		adi_tls_hooks_tick(b->tls);
	return (int)(b->delivered - before);
}

int adi_ebpf_drain(struct adi_ebpf *b)
{
	uint64_t before = b->delivered;
	int rc;

	do {
		b->budget = BATCH;
		rc = ring_buffer__consume(b->rb);
	} while (rc > 0 || rc == BATCH_DONE);
	if (rc < 0 && rc != -EINTR)
		return rc;
	return (int)(b->delivered - before);
}

void adi_ebpf_stats(struct adi_ebpf *b, struct adi_capture_stats *st)
{
	int n = b->ncpu > 0 ? b->ncpu : 1;
	__u64 *vals = calloc(n, sizeof(*vals));

	memset(st, 0, sizeof(*st));
	st->delivered = b->delivered;
	if (!vals)
		return;
	for (__u32 i = 0; i < ADI_CNT__COUNT; i++) {
		uint64_t sum = 0;

		if (bpf_map__lookup_elem(b->skel->maps.counters, &i, sizeof(i), vals,
					 sizeof(*vals) * n, 0))
			continue;
		for (int c = 0; c < n; c++)
			sum += vals[c];
		switch (i) {
		case ADI_CNT_PRODUCED: st->produced = sum; break;
		case ADI_CNT_DROPPED: st->dropped = sum; break;
		case ADI_CNT_TRUNCATED: st->truncated = sum; break;
		case ADI_CNT_WAKEUPS: st->wakeups = sum; break;
		}
	}
	free(vals);
}

/* ---- the backend interface (capture.h) ---- */

static struct adi_backend *ops_open(const struct adi_capture_opts *o,
				    struct adi_engine *eng, char *err, size_t errsz)
{
	return (struct adi_backend *)adi_ebpf_open(o, eng, err, errsz);
}

static void ops_close(struct adi_backend *b)
{
	adi_ebpf_close((struct adi_ebpf *)b);
}

static int ops_trace_pid(struct adi_backend *b, uint32_t pid)
{
	return adi_ebpf_trace_pid((struct adi_ebpf *)b, pid);
}

static int ops_trace_cgroup(struct adi_backend *b, int cgfd)
{
	return adi_ebpf_trace_cgroup((struct adi_ebpf *)b, cgfd);
}

/* spawn's tracing step: the waiting child joins the kernel filter, so its
 * first syscalls after exec are seen. */
static int trace_spawned(struct adi_backend *b, pid_t pid, char *err, size_t errsz)
{
	int rc = trace_pid((struct adi_ebpf *)b, (uint32_t)pid, false);

	if (rc)
		snprintf(err, errsz, "cannot add the command to the trace filter: %s",
			 strerror(-rc));
	return rc;
}

static int ops_spawn(struct adi_backend *b, char *const *cmd, adi_spawn_ready ready,
		     void *arg, pid_t *pid, char *err, size_t errsz)
{
	struct adi_ebpf *e = (struct adi_ebpf *)b;

	/* an executable with OpenSSL linked in (node) is hooked before it runs */
	if (e->tls)
		adi_tls_hooks_command(e->tls, cmd[0]);
	return adi_spawn_traced(b, cmd, NULL, trace_spawned, ready, arg, pid, err, errsz);
}

static int ops_reap(struct adi_backend *b, pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, WNOHANG);

	(void)b;
	if (r < 0)
		return -errno;
	return r == pid;
}

static size_t ops_running(struct adi_backend *b)
{
	return adi_ebpf_running((struct adi_ebpf *)b);
}

static int ops_poll(struct adi_backend *b, int timeout_ms, int wake_fd)
{
	return adi_ebpf_poll((struct adi_ebpf *)b, timeout_ms, wake_fd);
}

static int ops_drain(struct adi_backend *b)
{
	return adi_ebpf_drain((struct adi_ebpf *)b);
}

static void ops_stop(struct adi_backend *b)
{
	adi_ebpf_stop((struct adi_ebpf *)b);
}

static void ops_stats(struct adi_backend *b, struct adi_capture_stats *st)
{
	adi_ebpf_stats((struct adi_ebpf *)b, st);
}

static int ops_snapshot(struct adi_backend *b, uint32_t pid, uint64_t wall_ns)
{
	return adi_procfs_snapshot(((struct adi_ebpf *)b)->eng, pid, wall_ns);
}

const struct adi_backend_ops adi_backend_ebpf = {
	.name = "ebpf",
	.open = ops_open,
	.close = ops_close,
	.trace_pid = ops_trace_pid,
	.trace_cgroup = ops_trace_cgroup,
	.spawn = ops_spawn,
	.reap = ops_reap,
	.poll = ops_poll,
	.drain = ops_drain,
	.running = ops_running,
	.stop = ops_stop,
	.stats = ops_stats,
	.snapshot = ops_snapshot,
	.resolve = adi_procfs_resolve,
};
