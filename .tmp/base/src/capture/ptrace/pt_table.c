/* pt_table.c - which syscalls the ptrace backend decodes (the same ones the
 * eBPF programs handle: bpf/io.bpf.h, files.bpf.h, sockets.bpf.h) and the
 * seccomp filter that stops the tracee only at those. Pure. */
#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include "ptrace.h"

/* The x86_64 numbers; the eBPF side decodes the same table. */
static const short exit_calls[] = {
	SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
	SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2, SYS_sendto, SYS_recvfrom,
	SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg, SYS_sendfile,
	SYS_copy_file_range, SYS_splice,
	SYS_open, SYS_creat, SYS_openat, SYS_openat2, SYS_unlink, SYS_unlinkat,
	SYS_rename, SYS_renameat, SYS_renameat2, SYS_mkdir, SYS_mkdirat, SYS_rmdir,
	SYS_truncate, SYS_ftruncate, SYS_chmod, SYS_fchmod, SYS_fchmodat, 452,
	SYS_chown, SYS_fchown, SYS_lchown, SYS_fchownat, SYS_link, SYS_linkat,
	SYS_symlink, SYS_symlinkat, SYS_chdir, SYS_fchdir,
	SYS_socket, SYS_connect, SYS_accept, SYS_accept4, SYS_shutdown,
	SYS_getsockopt, SYS_dup, SYS_dup2, SYS_dup3, SYS_fcntl, SYS_close_range,
	SYS_pipe, SYS_pipe2,
};

enum adi_pt_when adi_pt_when(long nr)
{
	if (nr == SYS_close)
		return ADI_PT_ENTRY;
	if (nr == SYS_execve || nr == SYS_execveat)
		return ADI_PT_EXEC;
	for (size_t i = 0; i < sizeof(exit_calls) / sizeof(exit_calls[0]); i++)
		if (exit_calls[i] == nr)
			return ADI_PT_EXIT;
	return ADI_PT_NONE;
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i)) /* little endian */

/* Labels resolved at the end: a jump's target is an instruction index. */
enum { L_ALLOW = -1, L_TRACE = -2, L_FCNTL = -3, L_GSO = -4 };

struct fb {
	struct sock_filter *f;
	int jt[256], jf[256]; /* label (< 0) or 0 for "next" */
	size_t n, max;
};

static void put(struct fb *b, unsigned short code, unsigned k, int jt, int jf)
{
	if (b->n < b->max && b->n < 256) {
		b->f[b->n] = (struct sock_filter){ code, 0, 0, k };
		b->jt[b->n] = jt;
		b->jf[b->n] = jf;
	}
	b->n++;
}

int adi_pt_filter(struct sock_filter *out, size_t max)
{
	struct fb b = { .f = out, .max = max };
	int at[5] = { 0 };

	put(&b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, L_ALLOW);
	put(&b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
	/* x32 syscalls carry this bit: another ABI, not decoded */
	put(&b, BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, L_ALLOW, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_close, L_TRACE, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, L_TRACE, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, L_TRACE, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, L_FCNTL, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_getsockopt, L_GSO, 0);
	for (size_t i = 0; i < sizeof(exit_calls) / sizeof(exit_calls[0]); i++)
		if (exit_calls[i] != SYS_fcntl && exit_calls[i] != SYS_getsockopt)
			put(&b, BPF_JMP | BPF_JEQ | BPF_K, (unsigned)exit_calls[i], L_TRACE, 0);
	/* no match: run it */
	put(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	/* fcntl: F_DUPFD 0, F_SETFD 2, F_DUPFD_CLOEXEC 1030 change the table */
	at[-L_FCNTL] = (int)b.n;
	put(&b, BPF_LD | BPF_W | BPF_ABS, ARG_LO(1), 0, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, 0, L_TRACE, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, 2, L_TRACE, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, 1030, L_TRACE, L_ALLOW);
	/* getsockopt(fd, SOL_SOCKET 1, SO_ERROR 4): a non-blocking connect's
	 * outcome */
	at[-L_GSO] = (int)b.n;
	put(&b, BPF_LD | BPF_W | BPF_ABS, ARG_LO(1), 0, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, L_ALLOW);
	put(&b, BPF_LD | BPF_W | BPF_ABS, ARG_LO(2), 0, 0);
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, 4, L_TRACE, L_ALLOW);
	/* classic BPF jumps only forward: the returns come last */
	at[-L_ALLOW] = (int)b.n;
	put(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	at[-L_TRACE] = (int)b.n;
	put(&b, BPF_RET | BPF_K, SECCOMP_RET_TRACE, 0, 0);
	if (b.n > max || b.n > 256)
		return -ENOSPC;
	for (size_t i = 0; i < b.n; i++) {
		int t = b.jt[i] < 0 ? at[-b.jt[i]] - (int)i - 1 : b.jt[i];
		int f = b.jf[i] < 0 ? at[-b.jf[i]] - (int)i - 1 : b.jf[i];

		if (BPF_CLASS(out[i].code) != BPF_JMP)
			continue;
		if (t < 0 || t > 255 || f < 0 || f > 255)
			return -ENOSPC;
		out[i].jt = (unsigned char)t;
		out[i].jf = (unsigned char)f;
	}
	return (int)b.n;
}

uint32_t adi_pt_filter_run(const struct sock_filter *f, int n, uint32_t arch,
			   int nr, const uint64_t args[6])
{
	struct seccomp_data d = { .nr = nr, .arch = arch };
	uint32_t a = 0;

	for (int i = 0; i < 6; i++)
		d.args[i] = args[i];
	for (int pc = 0; pc >= 0 && pc < n; pc++) {
		const struct sock_filter *in = &f[pc];

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k + 4 > sizeof(d))
				return 0;
			a = *(const uint32_t *)((const char *)&d + in->k);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= in->k ? in->jt : in->jf;
			break;
		case BPF_RET | BPF_K:
			return in->k;
		default:
			return 0; /* not an instruction this filter uses */
		}
	}
	return 0;
}
