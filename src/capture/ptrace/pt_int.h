/* pt_int.h - the ptrace backend's internal state, shared by the tracer
 * (ptrace.c) and the syscall decoder (pt_decode.c). */
#ifndef ADI_PT_INT_H
#define ADI_PT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include "../../../abi/adi_abi.h"
#include "../../core/engine.h"
#include "../../lib/hashmap.h"
#include "ptrace.h"

/* fds described per (tgid, fd): past this the cache is emptied (and
 * counted), never an event refused. */
#define ADI_PT_MAX_SOCKS 65536

/* One traced thread. */
struct pt_task {
	pid_t tid, tgid;
	uint32_t ppid;     /* its process's parent, as last seen */
	bool started;      /* its first stop was seen */
	bool filtered;     /* the seccomp filter is in it (run) */
	bool in_call;      /* a decoded call's entry was seen: exit wanted */
	bool listening;    /* in group-stop (PTRACE_LISTEN) */
	bool forked;       /* the FORK record of its process went out */
	int nr;            /* the call in progress */
	uint64_t entry_ts; /* its entry stop's wall clock (a send's stamp) */
	uint64_t args[6];
	char comm[16];
	uint64_t cgroup_id;
	char exec_path[1024]; /* execve's path argument, for the exec record */
	uint16_t exec_len;
};

/* What an fd of a process is, cached from its first use until it is
 * closed, replaced (dup2, exec) or reused (a new fd of that number): the
 * inode, and for a socket its identity once it cannot change any more. */
struct pt_fd {
	struct adi_fdinfo fi;
	bool sk_ok;
	struct adi_sockinfo sk;
	bool name_ok;           /* a unix datagram socket's own name, once bound */
	uint16_t name_len;
	uint8_t name[ADI_SOCKADDR_MAX];
};

struct adi_pt {
	struct adi_engine *eng;
	struct adi_capture_opts o;
	struct adi_map tasks;   /* tid -> struct pt_task */
	struct adi_map pidfds;  /* tgid -> pidfd + 1 (as a pointer value) */
	struct adi_map socks;   /* tgid << 32 | fd -> struct pt_fd */
	int sigfd;              /* SIGCHLD, blocked, read here */
	sigset_t oldmask;       /* the mask before ours: the command gets it */
	pid_t root;             /* run: the command */
	int root_status;
	bool root_done, stopped;
	uint64_t produced, delivered, dropped, truncated, sock_flushes;
	uint8_t *rec;           /* the record being built (ADI_PT_REC_MAX) */
};

#define ADI_PT_REC_MAX (sizeof(struct adi_rec_io) + 2 * ADI_CAP_MAX)

/* pt_decode.c: the record(s) of a syscall stop. entry: at the entry (or
 * seccomp) stop, returns true when the exit is wanted; exit: at the exit
 * stop with the result. */
bool adi_pt_entry(struct adi_pt *b, struct pt_task *t);
void adi_pt_exit(struct adi_pt *b, struct pt_task *t, int64_t ret);
/* The process records. */
void adi_pt_fork(struct adi_pt *b, struct pt_task *child, uint32_t ppid);
void adi_pt_exec(struct adi_pt *b, struct pt_task *t);
void adi_pt_exitproc(struct adi_pt *b, struct pt_task *t, int status);
/* Drop what is cached of tgid's fd (closed). fd < 0: all of tgid's. */
void adi_pt_forget_fd(struct adi_pt *b, pid_t tgid, int fd);

#endif
