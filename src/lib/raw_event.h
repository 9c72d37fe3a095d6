/* raw_event.h - the normalized raw event: one syscall (or one fact learned
 * about the traced system) as every capture backend reports it.
 *
 * This is the seam between the OS-specific capture layer and the shared
 * engine. The eBPF backend converts its ring-buffer records into it, the
 * ptrace backend the same records built from the stopped tracee, and the
 * DTrace backend dtrace(1)'s output; replay reads it back from a --save-raw
 * file. The engine consumes nothing else, so a saved stream of these
 * reproduces a live trace exactly.
 *
 * Ownership: data/path/path2 are borrowed for the duration of one
 * adi_engine_feed() call; the engine copies what it keeps.
 */
#ifndef ADI_RAW_EVENT_H
#define ADI_RAW_EVENT_H

#include <stdint.h>
#include <stdio.h>
#include "../../abi/adi_abi.h"

enum adi_raw_family {
	ADI_RAW_IO = 1,   /* bytes through an fd (ops ADI_OP_READ...) */
	ADI_RAW_PATH = 2, /* a path operation (ADI_OP_OPEN...) */
	ADI_RAW_SOCK = 3, /* socket lifecycle (ADI_OP_SOCKET...) */
	ADI_RAW_FD = 4,   /* fd table change (ADI_OP_CLOSE, dup...) */
	ADI_RAW_PROC = 5, /* fork / exec / exit */
	ADI_RAW_META = 6, /* a fact from user space (enum adi_meta_op) */
	ADI_RAW_TLS = 7,  /* plaintext of a TLS library call (ADI_OP_SSL_READ,
			   * ADI_OP_SSL_WRITE): data is the plaintext, size its
			   * true length, seq its position in the session's
			   * direction (ADI_RAW_HAS_SEQ), length the session
			   * (the library's SSL *, an opaque key), fd and the
			   * inode/socket fields the socket its I/O went
			   * through (fd -1: none seen, a memory BIO), path2
			   * the start of the ciphertext the call handed a
			   * memory BIO (docs/tls.md) */
};

/* ADI_RAW_META operations: facts the live backend learned outside the
 * kernel records (from /proc, from the clock), saved so replay has them. */
enum adi_meta_op {
	ADI_META_START = 1, /* trace begins: pid = root process (0 if none),
			     * path = its cwd, path2 = backend name */
	ADI_META_FD,        /* pid's fd names path (from /proc/PID/fd) */
	ADI_META_CWD,       /* pid's working directory is path */
	ADI_META_END,       /* trace ends: size = records dropped in the
			     * kernel, length = payloads truncated, ino =
			     * records the kernel produced, ret = records
			     * delivered to user space */
	ADI_META_TICK,      /* time passes with nothing to report: lets the
			     * timeline release held events while idle */
	ADI_META_LISTEN,    /* pid has a socket listening on local (found in
			     * /proc when attaching): a connection first seen
			     * mid-life on that local port is the server side */
	ADI_META_CGROUP,    /* pid runs in the cgroup at path (from
			     * /proc/PID/cgroup; cgroup_id is its id): the
			     * engine names the container from it */
	ADI_META_TLS_LIB,   /* a TLS library was hooked for plaintext: path =
			     * the file, path2 = its build id (hex), data =
			     * its version text; arg = how (enum
			     * adi_tls_probes), arg2 = functions hooked; pid =
			     * the process it was found in (0: a system
			     * library hooked at start) */
	ADI_META_TLS_STATE, /* what TLS plaintext capture is in this trace:
			     * arg = enum adi_tls_capture, path = why, in a
			     * sentence (off, unavailable) */
};

/* ADI_META_TLS_LIB's arg: where the probes sit (docs/tls.md). */
enum adi_tls_probes {
	ADI_TLS_PROBES_ENTRY = 1,   /* at the exported functions' first
				     * instruction, which the kernel emulates */
	ADI_TLS_PROBES_INNER = 2,   /* at the internal function the exported
				     * ones call (their own first instruction
				     * would be single-stepped) */
	ADI_TLS_PROBES_STEPPED = 3, /* at the exported functions' first
				     * instruction, single-stepped: the costly
				     * fallback */
};

/* ADI_META_TLS_STATE's arg. */
enum adi_tls_capture {
	ADI_TLS_CAPTURE_ON = 1,   /* libraries are hooked as they are found */
	ADI_TLS_CAPTURE_OFF,      /* --no-tls-plaintext */
	ADI_TLS_CAPTURE_NONE,     /* the backend cannot (ptrace, dtrace) */
};

enum adi_dir { ADI_DIR_NONE = 0, ADI_DIR_IN = 1, ADI_DIR_OUT = 2 };
enum adi_transport {
	ADI_TR_NONE = 0, ADI_TR_TCP, ADI_TR_UDP, ADI_TR_UNIX, ADI_TR_OTHER,
};

/* flags */
#define ADI_RAW_TRUNC     0x1u  /* payload/path/argv cut to the capture cap */
#define ADI_RAW_HAS_SEQ   0x2u  /* seq is the byte position of data[0] */
#define ADI_RAW_NOPAYLOAD 0x4u  /* the syscall moved bytes we cannot see */
#define ADI_RAW_EOF       0x8u  /* a read returned 0: end of stream */
#define ADI_RAW_MSG_TRUNC 0x10u /* a datagram longer than the receiver's buffer:
				 * size is what the task got, not the datagram */
#define ADI_RAW_CONT      0x20u /* a further piece of the call the thread's
				 * previous IO event began: a stream call larger
				 * than one record is several events, each with
				 * its own bytes, size and position (seq) */
#define ADI_RAW_PEEK      0x40u /* a receive with MSG_PEEK: nothing was consumed */

struct adi_endpoint {
	uint16_t family;   /* AF_INET, AF_INET6, AF_UNIX or 0 */
	uint16_t port;
	uint8_t addr[16];
};

/* The fixed part: no pointers, so it is also the on-disk form. */
struct adi_raw_fixed {
	uint16_t family;      /* enum adi_raw_family */
	uint16_t op;          /* enum adi_op, or enum adi_meta_op */
	uint32_t flags;       /* ADI_RAW_* */
	uint64_t ts_ns;       /* wall clock, ns since the epoch */
	uint32_t pid, tid;
	uint64_t cgroup_id;
	char comm[16];
	int64_t ret;          /* the syscall's result (>= 0), or -errno */
	int32_t fd;           /* the fd acted on (new fd for open/socket/accept) */
	int32_t fd2;          /* second fd: dup target, pipe write end, accept's listener */
	int32_t dfd, dfd2;    /* *at directory fds (-100 = AT_FDCWD) */
	uint8_t fd_kind;      /* enum adi_fd_kind */
	uint8_t dir;          /* enum adi_dir */
	uint8_t transport;    /* enum adi_transport */
	uint8_t pad0;
	uint32_t seq;         /* TCP byte position of data[0] (ADI_RAW_HAS_SEQ) */
	uint64_t size;        /* true bytes moved (data may hold fewer) */
	uint64_t ino;         /* inode of the fd's file or socket */
	uint32_t dev;
	uint32_t mode;        /* inode mode, or the mode argument of a path op */
	uint32_t uid, gid;    /* inode owner, or the chown arguments */
	uint32_t oflags;      /* open / rename / AT_ / dup3 / accept4 flags */
	int32_t arg;          /* op specific: socket domain, shutdown how,
			       * SO_ERROR value, fcntl cmd, exit status */
	int32_t arg2;         /* socket type, mmsg message index */
	uint32_t ppid;
	uint64_t length;      /* truncate length */
	uint16_t sock_type, sock_proto;
	uint32_t pad1;
	struct adi_endpoint local, remote;
	uint32_t data_len, path_len, path2_len, pad2;
};

struct adi_raw_event {
	struct adi_raw_fixed f;
	const uint8_t *data;  /* payload, or exec's NUL separated argv */
	const char *path;     /* path argument (not NUL terminated); IO on a
			       * unix datagram socket: its own bound sockaddr */
	const char *path2;    /* second path, exec filename, or a sockaddr: the
			       * peer of connect/accept, and of a datagram when
			       * its call named one (sendto, recvfrom, msghdr) */
};

/* --save-raw files: "ADIRAW1\n", then for each event a little-endian u32
 * length of what follows, the adi_raw_fixed, data, path, path2. Documented
 * in docs/raw-format.md. */
#define ADI_RAW_MAGIC "ADIRAW1\n"

/* Append ev to f. Returns 0 or -errno (e.g. -ENOSPC). */
int adi_raw_write(FILE *f, const struct adi_raw_event *ev);
int adi_raw_write_header(FILE *f);

struct adi_raw_reader;
/* Open a saved file; NULL with errno (EINVAL for a file that is not ours). */
struct adi_raw_reader *adi_raw_reader_open(const char *path);
/* Next event: 1 with *ev filled (pointers valid until the next call), 0 at a
 * clean end, -EINVAL for a truncated or corrupt record (the reader stops). */
int adi_raw_reader_next(struct adi_raw_reader *r, struct adi_raw_event *ev);
void adi_raw_reader_free(struct adi_raw_reader *r);

const char *adi_op_name(unsigned op); /* "read", "openat"... */

#endif
