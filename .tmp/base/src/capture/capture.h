/* capture.h - what every capture backend offers the verbs (run, attach):
 * start tracing, deliver normalized raw events to the engine, and account
 * for what was lost. A backend's only output is adi_raw_event (raw_event.h)
 * fed to the engine; everything semantic is shared. Backends: ebpf and
 * ptrace (Linux), dtrace (macOS); replay reads a saved file instead. */
#ifndef ADI_CAPTURE_H
#define ADI_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../core/engine.h"

struct adi_capture_opts {
	uint32_t capture_bytes;   /* payload kept per syscall (0: sizes only) */
	uint32_t content_bytes;   /* ... of a file read or write: the sample */
	uint32_t ringbuf_bytes;   /* kernel->user ring size, power of two */
	uint32_t wakeup_bytes;    /* queued bytes that wake the consumer; 0: auto */
	int poll_ms;              /* consumer poll period */
	bool no_fs, no_net;       /* do not produce those families' records */
};

/* produced = delivered + dropped, exactly, for every backend. */
struct adi_capture_stats {
	uint64_t produced, dropped, truncated, wakeups, delivered;
};

/* One backend's state, opaque to the verbs. */
struct adi_backend;

/* spawn calls this once the new process is traced and before it execs (it
 * waits, so its fds cannot change): the session says START and names the
 * fds it inherited. */
typedef void (*adi_spawn_ready)(void *arg, pid_t pid);

struct adi_backend_ops {
	const char *name; /* "ebpf", "ptrace", "dtrace": trace_summary.backend */

	/* Probe and start. NULL with one sentence for the user in err (what
	 * is missing; no advice about other backends: the caller adds it). */
	struct adi_backend *(*open)(const struct adi_capture_opts *o,
				    struct adi_engine *eng, char *err, size_t errsz);
	void (*close)(struct adi_backend *b); /* accepts NULL */

	/* attach: trace the running process pid (every thread) and what it
	 * starts from now on. 0 or -errno (-ESRCH: gone). */
	int (*trace_pid)(struct adi_backend *b, uint32_t pid);
	/* attach --container: also trace any task that enters the cgroup
	 * open at cgfd. NULL when the backend cannot. 0 or -errno. */
	int (*trace_cgroup)(struct adi_backend *b, int cgfd);

	/* run: start cmd (execvp) traced, its first syscall included. ready
	 * runs between "traced" and "exec". *pid is set. 0, or -errno with
	 * a sentence in err. The child exits 127/126 when exec fails. */
	int (*spawn)(struct adi_backend *b, char *const *cmd, adi_spawn_ready ready,
		     void *arg, pid_t *pid, char *err, size_t errsz);
	/* run: has the spawned command ended? 1 with its wait status in
	 * *status, 0 not yet, -errno. Only the backend reaps (ptrace must see
	 * every wait status of its tracees). */
	int (*reap)(struct adi_backend *b, pid_t pid, int *status);

	/* Deliver what is captured, after waiting at most timeout_ms (less
	 * when a lot is queued or wake_fd, if >= 0, is readable). Returns
	 * records delivered or -errno. */
	int (*poll)(struct adi_backend *b, int timeout_ms, int wake_fd);
	/* Deliver everything captured now, without waiting. */
	int (*drain)(struct adi_backend *b);
	/* Tasks that would not run unchanged if the trace stopped now (ptrace:
	 * they carry run's seccomp filter, and without a tracer its traced
	 * calls would fail with ENOSYS). NULL: none ever. */
	size_t (*filtered_left)(struct adi_backend *b);
	/* Stop tracing (ptrace: detach, leaving processes running); what is
	 * queued can still be drained, and the counters then balance. */
	void (*stop)(struct adi_backend *b);
	void (*stats)(struct adi_backend *b, struct adi_capture_stats *st);

	/* Describe pid's open fds to the engine (META_FD). Count or -errno. */
	int (*snapshot)(struct adi_backend *b, uint32_t pid, uint64_t wall_ns);
	/* The engine's resolver with this backend; arg is the backend. */
	adi_resolve_fn resolve;
};

/* The backend called name in this build, or NULL (a backend of another
 * platform: dtrace on Linux, ebpf and ptrace on macOS). */
const struct adi_backend_ops *adi_backend_find(const char *name);
/* The backends of this platform, best first, NULL terminated. */
extern const struct adi_backend_ops *const adi_backends[];

/* The backends' spawn, shared: fork a child that waits on a pipe; trace(b,
 * pid) makes the backend follow it (0, or -errno with a sentence in err:
 * the child is then let go to exit 127 unrun, and reaped); ready(arg, pid);
 * then the child is let go to run prep(b) (if any) and execvp(cmd). *pid
 * is set once forked. 0, or -errno with a sentence in err. */
int adi_spawn_traced(struct adi_backend *b, char *const *cmd, int (*prep)(void *b),
		     int (*trace)(struct adi_backend *b, pid_t pid, char *err, size_t errsz),
		     adi_spawn_ready ready, void *arg, pid_t *pid, char *err, size_t errsz);

#endif
