/* procfs.h - what Linux's /proc tells about processes that were running
 * before the trace began (attach): their descendants, the sockets they
 * listen on, their cgroup. Shared by the Linux backends (eBPF, ptrace). */
#ifndef ADI_PROCFS_H
#define ADI_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include "../lib/raw_event.h"
#include "../core/engine.h"

/* From /proc/PID/stat: the state letter (R, S, Z...) and the parent's pid,
 * either pointer may be NULL. 0, or -errno (-ENOENT: no such process). */
int adi_procfs_stat(uint32_t pid, char *state, uint32_t *ppid);

/* root and every living descendant of it (by ppid, at the time of the
 * scan), root first. Writes at most max pids; returns how many there are
 * (may exceed max), or -errno when root does not exist. */
int adi_procfs_tree(uint32_t root, uint32_t *out, size_t max);

/* The TCP endpoints pid listens on (its fds that are sockets in LISTEN
 * state, looked up in pid's own network namespace). Writes at most max;
 * returns how many were found, or -errno. */
int adi_procfs_listening(uint32_t pid, struct adi_endpoint *out, size_t max);

/* The mount point of the cgroup v2 hierarchy ("/sys/fs/cgroup", or
 * "/sys/fs/cgroup/unified" on a hybrid host). 0 or -ENOENT. */
int adi_procfs_cgroup2_root(char *buf, size_t bufsz);

/* pid's cgroup v2 path ("0::/system.slice/x.scope" -> "/system.slice/x.scope";
 * on a v1-only host, the first named hierarchy's path). 0 or -errno. */
int adi_procfs_cgroup(uint32_t pid, char *buf, size_t bufsz);

/* The path (relative to the cgroup v2 mount) of the cgroup whose id (its
 * directory's inode) is id: pid's own cgroup when it matches (the cheap
 * case), else found by walking the hierarchy. 0 or -errno. */
int adi_procfs_cgroup_by_id(uint32_t pid, uint64_t id, char *buf, size_t bufsz);

/* The pids of every process in the cgroup v2 directory dir and its
 * descendants (cgroup.procs files). Returns how many (may exceed max) or
 * -errno. */
int adi_procfs_cgroup_pids(const char *dir, uint32_t *out, size_t max);

/* The id of pid's cgroup v2 (its directory's inode, what the kernel's
 * bpf_get_current_cgroup_id() returns: 1 for the root). 0 when unknown. */
uint64_t adi_procfs_cgroup_id(uint32_t pid);

/* Describe pid's open fds to eng (META_FD events, saved with the trace:
 * the path from /proc/PID/fd/N, the kind from its inode). Returns the
 * number of fds or -errno. */
int adi_procfs_snapshot(struct adi_engine *eng, uint32_t pid, uint64_t wall_ns);

/* The engine's resolver for the live Linux backends (adi_resolve_fn):
 * /proc/PID/fd/N, /proc/PID/cwd, the cgroup path. arg is unused. */
int adi_procfs_resolve(void *arg, enum adi_meta_op what, uint32_t pid, int fd,
		       uint64_t cgroup_id, char *buf, size_t bufsz);

#endif
