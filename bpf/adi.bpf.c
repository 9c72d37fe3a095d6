// SPDX-License-Identifier: GPL-2.0
/* adi.bpf.c - the kernel side of the eBPF backend: the programs and their
 * attach points. One raw tracepoint at sys_exit sees every syscall's saved
 * user registers (the arguments) and its result, so no enter/exit pairing
 * map is needed; close is taken at sys_enter_close, while the fd still names
 * its file; fork/exec/exit come from the sched tracepoints. Every program
 * first asks the `traced` map, so untraced processes pay one lookup. */
#include "common.bpf.h"
#include "io.bpf.h"
#include "files.bpf.h"
#include "sockets.bpf.h"
#include "ssl.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define USER32_CS 0x23

/* x86_64's struct pt_regs from r10 to cs: the syscall's arguments (di, si,
 * dx, r10, r8, r9), its number (orig_ax) and the code segment. The entry
 * code fixes this layout (it is the user register frame). */
struct user_regs_tail {
	__u64 r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs;
};

/* Every syscall's exit. mode (common.bpf.h): what the kernel offers --
 * bpf_loop (Linux 5.17+), so a socket call's whole payload goes out in
 * pieces (io.bpf.h); bpf_rdonly_cast (6.2+), so an fd's file, inode and
 * socket are read by plain loads. The programs below are this body in
 * each mode, and user space loads the one the kernel takes. */
static __always_inline int sys_exit(struct bpf_raw_tracepoint_args *ctx, int mode)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pt_regs *regs;
	struct user_regs_tail r;
	struct sc_args a;
	long nr;

	if (!tgid_traced(id >> 32))
		return 0;
	regs = (struct pt_regs *)ctx->args[0];
	if (mode & K_DIRECT) {
		/* plain loads of the saved registers (common.bpf.h) */
		struct pt_regs *p = KCAST(struct pt_regs, regs);

		r.cs = p->cs;
		r.orig_ax = p->orig_ax;
		r.di = p->di;
		r.si = p->si;
		r.dx = p->dx;
		r.r10 = p->r10;
		r.r8 = p->r8;
		r.r9 = p->r9;
	} else if (bpf_probe_read_kernel(&r, sizeof(r), &regs->r10)) {
		/* one copy of the saved registers r10..cs instead of a read
		 * per argument: this runs on every syscall of a traced process */
		return 0;
	}
	/* 32-bit tasks use another syscall table and register order */
	if ((r.cs & 0xffff) == USER32_CS)
		return 0;
	nr = r.orig_ax;
	a.id = id;
	a.ret = ctx->args[1];
	a.a[0] = r.di;
	a.a[1] = r.si;
	a.a[2] = r.dx;
	a.a[3] = r.r10;
	a.a[4] = r.r8;
	a.a[5] = r.r9;
	ssl_note_syscall(&a, nr);
	if (handle_io(&a, nr, mode))
		return 0;
	if (handle_files(&a, nr, mode))
		return 0;
	handle_sockets(&a, nr, mode);
	return 0;
}

SEC("raw_tp/sys_exit")
int handle_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return sys_exit(ctx, K_LOOP | K_DIRECT);
}

/* Kernels 5.17 to 6.1: kernel structs read through a helper call each. */
SEC("raw_tp/sys_exit")
int handle_sys_exit_read(struct bpf_raw_tracepoint_args *ctx)
{
	return sys_exit(ctx, K_LOOP);
}

/* Kernels without bpf_loop: a call's payload is cut to one record
 * (ADI_CAP_MAX). */
SEC("raw_tp/sys_exit")
int handle_sys_exit_one(struct bpf_raw_tracepoint_args *ctx)
{
	return sys_exit(ctx, 0);
}

static __always_inline int sys_enter_close(struct trace_event_raw_sys_enter *ctx, int mode)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sc_args a = {};

	if (!tgid_traced(id >> 32))
		return 0;
	a.id = id;
	fd_emit(&a, ADI_OP_CLOSE, (int)ctx->args[0], -1, 0, 0, mode);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int handle_sys_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	return sys_enter_close(ctx, K_DIRECT);
}

SEC("tracepoint/syscalls/sys_enter_close")
int handle_sys_enter_close_read(struct trace_event_raw_sys_enter *ctx)
{
	return sys_enter_close(ctx, 0);
}

/* A new process of a traced one joins the trace before it runs. Threads
 * share their group's tgid, which is already in the map. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct scratch *s;
	struct adi_rec_proc *r;
	__u8 one = 1;

	if (child->pid != ctgid || !tgid_traced(ptgid))
		return 0;
	bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
	s = scratch_get();
	if (!s)
		return 0;
	r = (struct adi_rec_proc *)s->buf;
	fill_hdr(&r->h, ADI_REC_PROC, ADI_OP_FORK, bpf_get_current_pid_tgid(), 0);
	r->h.pid = ctgid;
	r->h.tid = child->pid;
	bpf_probe_read_kernel_str(r->h.comm, sizeof(r->h.comm), child->comm);
	r->ppid = ptgid;
	r->child_pid = ctgid;
	r->exit_code = 0;
	r->flags = 0;
	r->argv_len = r->filename_len = 0;
	r->pad = 0;
	r->h.size = sizeof(*r);
	emit(r, sizeof(*r));
	return 0;
}

/* Raw tracepoints, not perf-event ones: attaching a perf-event tracepoint
 * or uprobe takes the kernel's event_mutex, which a trace detaching its
 * own perf-event probes holds through a grace period each; a run started
 * just after another waited seconds for it. args: the task, its old pid,
 * the linux_binprm. */
SEC("raw_tp/sched_process_exec")
int handle_sched_process_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t;
	struct adi_rec_proc *r;
	struct scratch *s;
	unsigned long as, ae;
	__u32 n, fl;

	if (!tgid_traced(id >> 32))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	r = (struct adi_rec_proc *)s->buf;
	fill_hdr(&r->h, ADI_REC_PROC, ADI_OP_EXEC, id, 0);
	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	r->child_pid = 0;
	r->exit_code = 0;
	r->flags = 0;
	r->pad = 0;
	as = BPF_CORE_READ(t, mm, arg_start);
	ae = BPF_CORE_READ(t, mm, arg_end);
	n = ae > as ? ae - as : 0;
	if (n > ADI_ARGV_MAX) {
		n = ADI_ARGV_MAX;
		r->flags |= ADI_F_TRUNC;
	}
	ADI_BOUND(n, 2 * ADI_ARGV_MAX - 1);
	if (bpf_probe_read_user(REC_DATA(s, *r), n, (void *)as))
		n = 0;
	r->argv_len = n;
	fl = 0;
	{
		const char *fname = BPF_CORE_READ(bprm, filename);
		__u32 at = n;
		long k;

		ADI_BOUND(at, 2 * ADI_ARGV_MAX - 1);
		k = bpf_probe_read_kernel_str(REC_DATA(s, *r) + at, ADI_PATH_MAX, fname);
		if (k > 0)
			fl = k - 1;
	}
	r->filename_len = fl;
	r->h.size = sizeof(*r) + n + fl;
	ADI_BOUND(fl, ADI_PATH_MAX - 1);
	emit(r, sizeof(*r) + n + fl);
	return 0;
}

/* The group's last thread is leaving: report the exit status once, and
 * stop tracing the tgid (its entry is deleted here, never leaked). */
SEC("raw_tp/sched_process_exit")
int handle_sched_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct task_struct *t;
	struct adi_rec_proc *r;
	struct scratch *s;

	if (!tgid_traced(tgid))
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	{
		__u8 *v = bpf_map_lookup_elem(&traced, &tgid);

		if (v)
			*v = 0;
	}
	s = scratch_get();
	if (!s)
		return 0;
	r = (struct adi_rec_proc *)s->buf;
	fill_hdr(&r->h, ADI_REC_PROC, ADI_OP_EXIT, id, 0);
	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	r->child_pid = 0;
	r->exit_code = BPF_CORE_READ(t, exit_code);
	r->flags = 0;
	r->argv_len = r->filename_len = 0;
	r->pad = 0;
	r->h.size = sizeof(*r);
	emit(r, sizeof(*r));
	return 0;
}
