/* common.bpf.h - maps, filters and helpers every capture family shares:
 * the traced-process filter, the ring buffer with its loss counters, the
 * per-CPU scratch record, and reading an fd's inode and socket through the
 * task's fd table (CO-RE). The programs themselves are in adi.bpf.c. */
#ifndef ADI_COMMON_BPF_H
#define ADI_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "../abi/adi_abi.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define MSG_PEEK 2
#define MSG_TRUNC 0x20

/* Make v provably < mask + 1 for the verifier. clang 14 drops range checks
 * it can prove redundant and the verifier then sees an unbounded length
 * (PLATFORM.md); the empty asm hides v's value from clang, so the mask
 * survives. The mask is a no-op for values already in range. */
#define ADI_BOUND(v, mask)                         \
	do {                                       \
		asm volatile("" : "+r"(v));        \
		(v) &= (mask);                     \
	} while (0)

/* How a program reads the kernel and hands over payloads: a constant in
 * each program, which adi.bpf.c builds once per mode so that user space
 * loads the one the kernel takes (every branch on it is folded away). */
#define K_LOOP 1   /* bpf_loop (5.17+): a socket call's payload whole, in pieces */
#define K_DIRECT 2 /* bpf_rdonly_cast (6.2+): kernel structs read by plain loads */

/* Makes a pointer read from kernel memory a typed, read-only one, so its
 * fields are plain loads (the JIT guards each with an exception entry)
 * instead of a bpf_probe_read_kernel call each: ~20 ns a field, a dozen
 * fields per socket call. Weak: on older kernels it is unresolved and
 * only the K_DIRECT programs, which are then not loaded, name it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define KCAST(type, p) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

/* Set by user space before load (rodata). */
const volatile __u32 cap_bytes = ADI_PAYLOAD_DEFAULT; /* payload kept per socket call */
/* payload kept per file read/write: only the content sample (--content-bytes)
 * of a file is ever shown, so more would be copied for nothing */
const volatile __u32 file_cap_bytes = 256;
const volatile __u64 wakeup_bytes = 1 << 20;      /* wake the consumer past this */
/* --no-fs / --no-net: the records that only those families use are not
 * produced at all (fd-table changes and process records always are) */
const volatile bool want_fs = true;
const volatile bool want_net = true;

/* events: the kernel -> user channel. Size set by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
} events SEC(".maps");

/* traced: index tgid, value 1 while the process is traced (2: never, set
 * by user space for its own tgid). An ARRAY sized
 * to the kernel's pid_max (set by user space), not a hash: the lookup is
 * inlined by the verifier into a bounds check and a load, and this is what
 * every syscall of every untraced process pays. Set by user space (the
 * root process) and by the fork program (children join); cleared by the
 * exit program when the thread group dies. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4194304);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/* Set by user space at the end of a trace: nothing more is produced, so the
 * loss counters read after the last drain balance exactly. */
volatile bool stopped;

/* attach --container: the container's cgroup (v2). While cg_on, a task in
 * it or below it that is not traced yet joins on its first syscall. Only
 * then does an untraced syscall pay more than the one lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cg_filter SEC(".maps");
volatile bool cg_on;

/* counters: index enum adi_counter, per CPU; only ever incremented here,
 * summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ADI_CNT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The record being built. A plain ARRAY indexed by CPU, since a per-CPU
 * array value may not exceed 32 KiB and the payload area is 3 * ADI_CAP_MAX
 * (so that offset + length of every copy is provably in bounds: offsets
 * are masked below ADI_CAP_MAX, lengths below 2 * ADI_CAP_MAX).
 * max_entries is set to the number of possible CPUs by user space. */
struct io_pieces;
struct scratch {
	/* a record's fixed part at offset 0, its variable bytes right after
	 * it (at sizeof the record: see REC_DATA) */
	__u8 buf[sizeof(struct adi_rec_io) + 3 * ADI_CAP_MAX];
	/* a call being handed over in pieces (io.bpf.h): kept here, not on
	 * the stack, so the verifier sees each bpf_loop round alike (values
	 * loaded from a map are not tracked, stack values are: a position on
	 * the stack made every round a new state, past the 1M insn limit) */
	__u8 pieces[64];
};
#define REC_DATA(s, type) ((s)->buf + sizeof(type))
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void cnt_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n; /* per CPU: no other writer */
}

static __always_inline bool tgid_traced(__u32 tgid)
{
	__u8 *v = bpf_map_lookup_elem(&traced, &tgid);

	if (!v || stopped)
		return false;
	/* 1: traced; 2: never (the profiler itself, which a container or a
	 * traced tree may hold: it must not trace its own work) */
	if (*v)
		return *v == 1;
	if (cg_on && bpf_current_task_under_cgroup(&cg_filter, 0) == 1) {
		*v = 1;
		return true;
	}
	return false;
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch_map, &cpu);
}

/* Hand a finished record to user space. The consumer is not woken for each
 * record (that costs more than the copy, see PLATFORM.md): only once the
 * queued bytes pass wakeup_bytes; otherwise it polls on a short timer.
 * A refused record is counted, never silently lost. */
static __always_inline void emit(void *rec, __u32 size)
{
	__u32 idx = ADI_CNT_PRODUCED;
	__u64 flags = BPF_RB_NO_WAKEUP, *produced;

	produced = bpf_map_lookup_elem(&counters, &idx);
	if (!produced)
		return;
	*produced += 1; /* per CPU: no other writer */
	/* Reading the ring's fill level touches the line the consumer
	 * writes, from the other core: about 40 ns. Every 16th record of a
	 * CPU is often enough to wake the consumer in time (a record is at
	 * most 64 KiB; the threshold is at most a quarter of the ring). */
	if ((*produced & 15) == 0 &&
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		cnt_add(ADI_CNT_WAKEUPS, 1);
	}
	ADI_BOUND(size, 0xffff); /* records are < 64 KiB (abi/adi_abi.h) */
	if (bpf_ringbuf_output(&events, rec, size, flags))
		cnt_add(ADI_CNT_DROPPED, 1);
}

static __always_inline void fill_hdr(struct adi_rec_hdr *h, __u16 type,
				     __u16 op, __u64 id, int mode)
{
	struct task_struct *t = bpf_get_current_task_btf();

	h->type = type;
	h->op = op;
	h->size = 0;
	h->ts = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	/* K_DIRECT: the walk bpf_get_current_cgroup_id does, as plain loads */
	if (mode & K_DIRECT)
		h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	else
		h->cgroup_id = bpf_get_current_cgroup_id();
	/* two plain loads from the task (a BTF pointer), not the helper's
	 * string copy: ~50 ns a record. The kernel keeps comm NUL-terminated
	 * within its 16 bytes; what follows the NUL is not read (user space
	 * stops there) */
	__builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
}

/* The struct file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_file(int fd, int mode)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct file **arr;
	struct file *f = NULL;

	if (fd < 0)
		return NULL;
	/* BTF pointer walks: direct loads, no helper call each */
	fdt = t->files->fdt;
	if (!fdt)
		return NULL;
	if ((__u32)fd >= fdt->max_fds)
		return NULL;
	arr = fdt->fd;
	if (mode & K_DIRECT) {
		/* the verifier types no array of pointers: the slot is read
		 * as the one member of a struct that is a pointer at offset 0
		 * (llist_node), a plain load like the others */
		struct llist_node *slot = KCAST(struct llist_node, (void *)(arr + fd));

		return (struct file *)slot->next;
	}
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

/* fd_describe's fields on kernels without bpf_rdonly_cast: a helper call
 * (CO-RE read) per field. */
static __always_inline struct sock *describe_read(struct file *f, struct adi_fdinfo *fi,
						  struct adi_sockinfo *sk)
{
	struct inode *ino;
	struct socket *sock;
	struct sock *s;

	ino = BPF_CORE_READ(f, f_inode);
	if (!ino)
		return NULL;
	fi->ino = BPF_CORE_READ(ino, i_ino);
	/* i_mode, i_opflags, i_uid, i_gid open struct inode on every kernel we
	 * know: one read instead of three when the relocated offsets agree */
	if (bpf_core_field_offset(struct inode, i_uid) ==
		    bpf_core_field_offset(struct inode, i_mode) + 4 &&
	    bpf_core_field_offset(struct inode, i_gid) ==
		    bpf_core_field_offset(struct inode, i_mode) + 8) {
		struct { __u16 mode, opflags; __u32 uid, gid; } h;

		bpf_probe_read_kernel(&h, sizeof(h), &ino->i_mode);
		fi->mode = h.mode;
		fi->uid = h.uid;
		fi->gid = h.gid;
	} else {
		fi->mode = BPF_CORE_READ(ino, i_mode);
		fi->uid = BPF_CORE_READ(ino, i_uid.val);
		fi->gid = BPF_CORE_READ(ino, i_gid.val);
	}
	fi->dev = 0; /* not read: nothing keys on it yet (2 reads per event) */
	fi->kind = adi_mode_kind(fi->mode);
	if (fi->kind != ADI_FD_SOCK || !sk)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	s = BPF_CORE_READ(sock, sk);
	if (!s)
		return NULL;
	sk->family = BPF_CORE_READ(s, __sk_common.skc_family);
	sk->type = BPF_CORE_READ(s, sk_type);
	sk->protocol = BPF_CORE_READ(s, sk_protocol);
	sk->state = BPF_CORE_READ(s, __sk_common.skc_state);
	/* explicit sizes: BPF_CORE_READ_INTO would take sizeof(laddr[0]) */
	if (sk->family == AF_INET) {
		bpf_core_read(sk->laddr, 4, &s->__sk_common.skc_rcv_saddr);
		bpf_core_read(sk->raddr, 4, &s->__sk_common.skc_daddr);
	} else if (sk->family == AF_INET6) {
		bpf_core_read(sk->laddr, 16, &s->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(sk->raddr, 16, &s->__sk_common.skc_v6_daddr);
	}
	if (sk->family == AF_INET || sk->family == AF_INET6) {
		sk->lport = BPF_CORE_READ(s, __sk_common.skc_num);
		sk->rport = bpf_ntohs(BPF_CORE_READ(s, __sk_common.skc_dport));
	}
	return s;
}

/* The same fields by plain loads (K_DIRECT). */
static __always_inline struct sock *describe_loads(struct file *f, struct adi_fdinfo *fi,
						   struct adi_sockinfo *sk)
{
	struct inode *ino;
	struct socket *sock;
	struct sock *s;

	f = KCAST(struct file, f);
	ino = f->f_inode;
	if (!ino)
		return NULL;
	fi->ino = ino->i_ino;
	fi->mode = ino->i_mode;
	fi->uid = ino->i_uid.val;
	fi->gid = ino->i_gid.val;
	fi->kind = adi_mode_kind(fi->mode);
	if (fi->kind != ADI_FD_SOCK || !sk)
		return NULL;
	sock = KCAST(struct socket, f->private_data);
	s = sock->sk;
	if (!s)
		return NULL;
	sk->family = s->__sk_common.skc_family;
	sk->type = s->sk_type;
	sk->protocol = s->sk_protocol;
	sk->state = s->__sk_common.skc_state;
	if (sk->family == AF_INET) {
		__u32 l = s->__sk_common.skc_rcv_saddr, r = s->__sk_common.skc_daddr;

		__builtin_memcpy(sk->laddr, &l, 4);
		__builtin_memcpy(sk->raddr, &r, 4);
	} else if (sk->family == AF_INET6) {
		struct in6_addr l = s->__sk_common.skc_v6_rcv_saddr;
		struct in6_addr r = s->__sk_common.skc_v6_daddr;

		__builtin_memcpy(sk->laddr, &l, 16);
		__builtin_memcpy(sk->raddr, &r, 16);
	}
	if (sk->family == AF_INET || sk->family == AF_INET6) {
		sk->lport = s->__sk_common.skc_num;
		sk->rport = bpf_ntohs(s->__sk_common.skc_dport);
	}
	return s;
}

/* Describe fd: its inode in *fi and, for a socket, the kernel socket in *sk
 * (sk may be NULL). Returns the struct sock for sockets, else NULL. */
static __always_inline struct sock *fd_describe(int fd, struct adi_fdinfo *fi,
						 struct adi_sockinfo *sk, int mode)
{
	struct file *f = fd_file(fd, mode);

	__builtin_memset(fi, 0, sizeof(*fi));
	if (sk)
		__builtin_memset(sk, 0, sizeof(*sk));
	if (!f)
		return NULL;
	return mode & K_DIRECT ? describe_loads(f, fi, sk) : describe_read(f, fi, sk);
}

/* Syscall arguments as the task's saved user registers hold them. */
struct sc_args {
	__u64 a[6];
	__s64 ret;
	__u64 id;
};

#endif
