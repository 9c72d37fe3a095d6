/* ptrace.h - the Linux ptrace backend: no BPF, no root needed for one's own
 * processes. `run` seizes the command (PTRACE_SEIZE, fork/clone/exec/exit
 * events) and installs a seccomp-bpf filter in it before exec that stops
 * the tracee only at the syscalls we decode (SECCOMP_RET_TRACE), so every
 * other syscall runs at full speed; `attach` seizes every thread of a
 * running tree and, since no filter can be put into a running process,
 * stops at every syscall (PTRACE_SYSCALL: slower). At each stop it builds
 * the same records the eBPF programs write (abi/adi_abi.h) from the
 * registers, the tracee's memory (process_vm_readv) and /proc, and runs
 * them through the eBPF normalizer: the raw events are the same. */
#ifndef ADI_PTRACE_H
#define ADI_PTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include "../capture.h"

extern const struct adi_backend_ops adi_backend_ptrace;

/* What a decoded syscall needs (adi_pt_when). */
enum adi_pt_when {
	ADI_PT_NONE = 0,  /* not decoded: the filter lets it run */
	ADI_PT_EXIT,      /* recorded at its exit (needs the result) */
	ADI_PT_ENTRY,     /* recorded at its entry (close: the fd still names
			   * its file) */
	ADI_PT_EXEC,      /* execve/execveat: the path is kept at entry for
			   * the exec event; no record of its own */
};

/* How syscall nr (x86_64 numbering) is handled. Pure. */
enum adi_pt_when adi_pt_when(long nr);

/* Build the seccomp filter into out (at most max instructions): the
 * decoded syscalls return SECCOMP_RET_TRACE (fcntl only for the commands
 * that change the fd table, getsockopt only for SO_ERROR), anything else,
 * and any other architecture, SECCOMP_RET_ALLOW. Returns the number of
 * instructions or -ENOSPC. Pure. */
int adi_pt_filter(struct sock_filter *out, size_t max);

/* Run the filter as the kernel would for (arch, nr, args): the SECCOMP_RET
 * action. For unit tests of adi_pt_filter. Pure. */
uint32_t adi_pt_filter_run(const struct sock_filter *f, int n, uint32_t arch,
			   int nr, const uint64_t args[6]);

#endif
