/* ebpf.h - the Linux eBPF backend: loads the programs (libbpf skeleton,
 * CO-RE), filters by the traced process tree in the kernel, and turns ring
 * buffer records into normalized raw events for the engine. */
#ifndef ADI_EBPF_H
#define ADI_EBPF_H

#include <stddef.h>
#include "../capture.h"

struct adi_ebpf;

/* Probe the kernel and load + attach everything. On failure returns NULL
 * and writes one sentence for the user into err (what is missing). With
 * ADI_FORCE_NO_EBPF=1 in the environment it always fails: a test hook for
 * the fallback to ptrace. */
struct adi_ebpf *adi_ebpf_open(const struct adi_capture_opts *o,
			       struct adi_engine *eng, char *err, size_t errsz);
void adi_ebpf_close(struct adi_ebpf *b); /* accepts NULL */

/* Start tracing pid and (through fork) its descendants. 0 or -errno. */
int adi_ebpf_trace_pid(struct adi_ebpf *b, uint32_t pid);

/* Also trace every task of the cgroup v2 directory open at cgfd and of
 * the cgroups below it: a task there that is not traced yet joins on its
 * first syscall (so a process moved in from outside, as `docker exec`
 * does, is seen too). 0 or -errno. */
int adi_ebpf_trace_cgroup(struct adi_ebpf *b, int cgfd);

/* Stop tracing every process (the filter is emptied); queued records can
 * still be drained. */
void adi_ebpf_stop(struct adi_ebpf *b);

/* Deliver what is queued, after waiting at most timeout_ms (less when a lot
 * is queued, or when wake_fd, if >= 0, becomes readable). Returns records
 * delivered or -errno. */
int adi_ebpf_poll(struct adi_ebpf *b, int timeout_ms, int wake_fd);
/* Deliver everything queued now, without waiting. */
int adi_ebpf_drain(struct adi_ebpf *b);

void adi_ebpf_stats(struct adi_ebpf *b, struct adi_capture_stats *st);

/* The backend interface (capture.h) over the functions above. */
extern const struct adi_backend_ops adi_backend_ebpf;

#endif
