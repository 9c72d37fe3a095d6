/* adi_abi.h - the records the kernel side writes into the ring buffer.
 *
 * Shared by bpf/ (compiled with clang -target bpf against vmlinux.h) and by
 * src/capture/ebpf/ (compiled against the libc headers).  Every struct is
 * fixed width with explicit padding and no pointers; the size asserts at the
 * bottom catch any drift between the two compilers.  Variable-length bytes
 * (payload, paths, argv) follow the fixed part of a record.
 */
#ifndef ADI_ABI_H
#define ADI_ABI_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint8_t adi_u8;
typedef uint16_t adi_u16;
typedef uint32_t adi_u32;
typedef uint64_t adi_u64;
typedef int32_t adi_s32;
typedef int64_t adi_s64;
#else
typedef __u8 adi_u8;
typedef __u16 adi_u16;
typedef __u32 adi_u32;
typedef __u64 adi_u64;
typedef __s32 adi_s32;
typedef __s64 adi_s64;
#endif

#define ADI_COMM_LEN 16
/* Bytes kept of each path argument; longer paths are flagged truncated. */
#define ADI_PATH_MAX 1024
/* Upper bound of the per-syscall payload cap (--capture-bytes). The scratch
 * buffer is twice this so the verifier can prove every copy in bounds. */
#define ADI_CAP_MAX 32768
#define ADI_CAP_DEFAULT 16384
/* Bytes of the exec'd argv block kept (NUL separated). */
#define ADI_ARGV_MAX 2048
/* iovecs copied per readv/writev/sendmsg/recvmsg; bytes of further iovecs
 * are still counted in size, and the record is flagged truncated. */
#define ADI_IOV_MAX 16
/* messages of one sendmmsg/recvmmsg described, one record each */
#define ADI_MMSG_MAX 8
#define ADI_SOCKADDR_MAX 112

/* Record types (adi_rec_hdr.type). */
enum adi_rec_type {
	ADI_REC_IO = 1,   /* bytes moved through an fd: struct adi_rec_io */
	ADI_REC_PATH = 2, /* a path operation: struct adi_rec_path */
	ADI_REC_SOCK = 3, /* socket lifecycle: struct adi_rec_sock */
	ADI_REC_FD = 4,   /* fd table changes: struct adi_rec_fd */
	ADI_REC_PROC = 5, /* fork / exec / exit: struct adi_rec_proc */
};

/* Operations (adi_rec_hdr.op): our own numbering, independent of the
 * architecture's syscall numbers, so saved records replay anywhere. */
enum adi_op {
	ADI_OP_NONE = 0,
	/* ADI_REC_IO */
	ADI_OP_READ, ADI_OP_WRITE, ADI_OP_PREAD64, ADI_OP_PWRITE64,
	ADI_OP_READV, ADI_OP_WRITEV, ADI_OP_PREADV, ADI_OP_PWRITEV,
	ADI_OP_PREADV2, ADI_OP_PWRITEV2, ADI_OP_SENDTO, ADI_OP_RECVFROM,
	ADI_OP_SENDMSG, ADI_OP_RECVMSG, ADI_OP_SENDMMSG, ADI_OP_RECVMMSG,
	ADI_OP_SENDFILE, ADI_OP_COPY_FILE_RANGE, ADI_OP_SPLICE,
	/* ADI_REC_PATH */
	ADI_OP_OPEN, ADI_OP_OPENAT, ADI_OP_OPENAT2, ADI_OP_CREAT,
	ADI_OP_UNLINK, ADI_OP_UNLINKAT, ADI_OP_RENAME, ADI_OP_RENAMEAT,
	ADI_OP_RENAMEAT2, ADI_OP_MKDIR, ADI_OP_MKDIRAT, ADI_OP_RMDIR,
	ADI_OP_TRUNCATE, ADI_OP_FTRUNCATE, ADI_OP_CHMOD, ADI_OP_FCHMOD,
	ADI_OP_FCHMODAT, ADI_OP_CHOWN, ADI_OP_FCHOWN, ADI_OP_LCHOWN,
	ADI_OP_FCHOWNAT, ADI_OP_LINK, ADI_OP_LINKAT, ADI_OP_SYMLINK,
	ADI_OP_SYMLINKAT, ADI_OP_CHDIR, ADI_OP_FCHDIR,
	/* ADI_REC_SOCK */
	ADI_OP_SOCKET, ADI_OP_CONNECT, ADI_OP_ACCEPT, ADI_OP_ACCEPT4,
	ADI_OP_SHUTDOWN, ADI_OP_SO_ERROR,
	/* ADI_REC_FD */
	ADI_OP_CLOSE, ADI_OP_DUP, ADI_OP_DUP2, ADI_OP_DUP3, ADI_OP_FCNTL,
	ADI_OP_CLOSE_RANGE, ADI_OP_PIPE, ADI_OP_PIPE2,
	/* ADI_REC_PROC */
	ADI_OP_FORK, ADI_OP_EXEC, ADI_OP_EXIT,
	ADI_OP__COUNT
};

/* What an fd refers to, from the inode's S_IFMT (adi_fdinfo.kind). */
enum adi_fd_kind {
	ADI_FD_UNKNOWN = 0, /* fd not open, or not readable */
	ADI_FD_REG, ADI_FD_DIR, ADI_FD_CHR, ADI_FD_BLK, ADI_FD_FIFO,
	ADI_FD_SOCK, ADI_FD_LNK, ADI_FD_ANON, /* anon inodes: eventfd, epoll... */
};

/* The fd kind of an inode mode (S_IFMT bits, the same on every Linux
 * architecture). Shared by the BPF side and user space (/proc snapshots). */
static inline adi_u8 adi_mode_kind(adi_u32 mode)
{
	switch (mode & 0170000) {
	case 0100000: return ADI_FD_REG;
	case 0040000: return ADI_FD_DIR;
	case 0020000: return ADI_FD_CHR;
	case 0060000: return ADI_FD_BLK;
	case 0010000: return ADI_FD_FIFO;
	case 0140000: return ADI_FD_SOCK;
	case 0120000: return ADI_FD_LNK;
	case 0: return ADI_FD_ANON; /* anon inodes have no type bits */
	}
	return ADI_FD_UNKNOWN;
}

/* adi_rec_*.flags */
#define ADI_F_TRUNC      0x1u /* payload, path or argv cut to the cap */
#define ADI_F_HAS_SEQ    0x2u /* seq holds the TCP sequence of the first byte */
#define ADI_F_COMPAT     0x4u /* 32-bit syscall ABI: arguments not decoded */
#define ADI_F_PATH2_TRUNC 0x8u
#define ADI_F_OUT        0x10u /* IO: bytes went out of the task (write side) */
/* IO on a datagram socket: the datagram was longer than the receiver's
 * buffer (recvmsg's MSG_TRUNC, or recvfrom(MSG_TRUNC) returning more than
 * its buffer): its tail never reached the task */
#define ADI_F_MSG_TRUNC  0x20u

/* 48 bytes, at the start of every record. */
struct adi_rec_hdr {
	adi_u16 type;      /* enum adi_rec_type */
	adi_u16 op;        /* enum adi_op */
	adi_u32 size;      /* bytes of the whole record, header included */
	adi_u64 ts;        /* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
	adi_u32 pid;       /* thread group id */
	adi_u32 tid;
	adi_u64 cgroup_id; /* bpf_get_current_cgroup_id() */
	char comm[ADI_COMM_LEN];
};

/* The inode behind an fd, read from the task's fd table at the syscall. */
struct adi_fdinfo {
	adi_u64 ino;
	adi_u32 dev;       /* superblock s_dev */
	adi_u16 mode;      /* i_mode: type and permission bits */
	adi_u8 kind;       /* enum adi_fd_kind */
	adi_u8 pad;
	adi_u32 uid, gid;  /* owner */
};

/* A socket's identity, read from the kernel socket (struct sock). */
struct adi_sockinfo {
	adi_u16 family;    /* AF_INET, AF_INET6, AF_UNIX, 0 if not a socket */
	adi_u16 type;      /* SOCK_STREAM, SOCK_DGRAM... */
	adi_u16 protocol;  /* IPPROTO_TCP... */
	adi_u16 state;     /* skc_state */
	adi_u16 lport, rport; /* host byte order */
	adi_u32 pad;
	adi_u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
};

/* ADI_REC_IO: data moved through an fd. Followed by cap_len payload bytes,
 * then, on datagram sockets only, addr_len bytes of the datagram's peer as a
 * sockaddr (sendto's dest_addr, recvfrom's src_addr, a msghdr's msg_name;
 * 0 when the call named none: a connected socket's peer is in sk), then
 * name_len bytes of a unix datagram socket's own bound sockaddr_un. */
struct adi_rec_io {
	struct adi_rec_hdr h;
	adi_s64 ret;       /* syscall result: bytes, messages (mmsg) or -errno */
	adi_u64 size;      /* true bytes of this record's message (<= ret) */
	adi_s32 fd;
	adi_u32 flags;     /* ADI_F_* */
	adi_u32 cap_len;   /* payload bytes that follow */
	adi_u32 seq;       /* TCP sequence number of the first byte (ADI_F_HAS_SEQ) */
	adi_u32 msg_index; /* sendmmsg/recvmmsg: which message; else 0 */
	adi_u16 addr_len;  /* peer sockaddr bytes after the payload (<= ADI_SOCKADDR_MAX) */
	adi_u16 name_len;  /* own unix sockaddr bytes after those (<= ADI_SOCKADDR_MAX) */
	struct adi_fdinfo fi;
	struct adi_sockinfo sk;
};

/* ADI_REC_PATH: a path operation. Followed by len1 + len2 path bytes
 * (not NUL terminated). For open*, fi describes the new fd's inode. */
struct adi_rec_path {
	struct adi_rec_hdr h;
	adi_s64 ret;       /* new fd for open*, else 0 or -errno */
	adi_u64 length;    /* truncate length */
	adi_s32 dfd, dfd2; /* directory fds of *at calls (AT_FDCWD = -100) */
	adi_s32 fd;        /* the fd of ftruncate/fchmod/fchown/fchdir */
	adi_u32 oflags;    /* open flags, rename flags, AT_* flags */
	adi_u32 mode;      /* mode argument of open/mkdir/chmod */
	adi_u32 uid, gid;  /* chown arguments */
	adi_u32 flags;     /* ADI_F_* */
	adi_u16 len1, len2;
	adi_u32 pad;
	struct adi_fdinfo fi;
};

/* ADI_REC_SOCK: socket lifecycle. Followed by addrlen bytes of the
 * user's sockaddr (connect's target, accept's peer). */
struct adi_rec_sock {
	struct adi_rec_hdr h;
	adi_s64 ret;       /* new fd (socket, accept) or 0 or -errno */
	adi_s32 fd;        /* the socket's fd (for accept: the new fd) */
	adi_s32 arg;       /* socket: domain; shutdown: how; SO_ERROR: the value */
	adi_s32 arg2;      /* socket: type with SOCK_* flags; accept4: flags */
	adi_u32 addrlen;
	adi_u32 flags;
	adi_u32 pad;
	struct adi_fdinfo fi;
	struct adi_sockinfo sk;
};

/* ADI_REC_FD: fd table changes. close is recorded at sys_enter, while
 * the fd still names its file. */
struct adi_rec_fd {
	struct adi_rec_hdr h;
	adi_s64 ret;
	adi_s32 fd;        /* old fd (dup*, fcntl, close), first of close_range */
	adi_s32 fd2;       /* new fd asked for (dup2/3), last of close_range */
	adi_s32 arg;       /* fcntl cmd; pipe: the two new fds in fd/fd2 */
	adi_u32 oflags;    /* dup3/pipe2/close_range flags, fcntl argument */
	adi_u32 flags;
	adi_u32 pad;
	struct adi_fdinfo fi;
	struct adi_sockinfo sk;
};

/* ADI_REC_PROC: process lifecycle. Exec is followed by argv_len bytes of
 * NUL-separated argv, then filename_len bytes of the exec'd file name. */
struct adi_rec_proc {
	struct adi_rec_hdr h;
	adi_u32 ppid;
	adi_u32 child_pid;  /* fork: the new process */
	adi_s32 exit_code;  /* exit: the wait status (code << 8 | signal) */
	adi_u32 flags;
	adi_u16 argv_len, filename_len;
	adi_u32 pad;
};

/* Counters the kernel side keeps per CPU (map "counters"), summed by user
 * space. produced = delivered + dropped, exactly. */
enum adi_counter {
	ADI_CNT_PRODUCED = 0, /* records the programs tried to output */
	ADI_CNT_DROPPED,      /* records the ring buffer refused */
	ADI_CNT_TRUNCATED,    /* records whose payload was cut to the cap */
	ADI_CNT_WAKEUPS,      /* forced consumer wake-ups */
	ADI_CNT__COUNT
};

_Static_assert(sizeof(struct adi_rec_hdr) == 48, "adi_rec_hdr");
_Static_assert(sizeof(struct adi_fdinfo) == 24, "adi_fdinfo");
_Static_assert(sizeof(struct adi_sockinfo) == 48, "adi_sockinfo");
_Static_assert(sizeof(struct adi_rec_io) == 48 + 40 + 24 + 48, "adi_rec_io");
_Static_assert(__builtin_offsetof(struct adi_rec_io, addr_len) == 84 &&
	       __builtin_offsetof(struct adi_rec_io, fi) == 88, "adi_rec_io layout");
_Static_assert(sizeof(struct adi_rec_path) == 48 + 56 + 24, "adi_rec_path");
_Static_assert(sizeof(struct adi_rec_sock) == 48 + 32 + 24 + 48, "adi_rec_sock");
_Static_assert(sizeof(struct adi_rec_fd) == 48 + 32 + 24 + 48, "adi_rec_fd");
_Static_assert(sizeof(struct adi_rec_proc) == 48 + 24, "adi_rec_proc");

#endif
