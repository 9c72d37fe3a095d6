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
#include "../../core/hashmap.h"
#include "ptrace.h"

/* Sockets described per (tgid, fd) and threads traced: caps; past them the
 * socket cache is emptied (and counted), never a thread refused. */
#define ADI_PT_MAX_SOCKS 65536

/* One traced thread. */
struct pt_task {
	pid_t tid, tgid;
	bool started;      /* its first stop was seen */
	bool filtered;     /* the seccomp filter is in it (run) */
	bool in_call;      /* a decoded call's entry was seen: exit wanted */
	bool listening;    /* in group-stop (PTRACE_LISTEN) */
	bool forked;       /* the FORK record of its process went out */
	int nr;            /* the call in progress */
	uint64_t args[6];
	char comm[16];
	uint64_t cgroup_id;
	char exec_path[1024]; /* execve's path argument, for the exec record */
	uint16_t exec_len;
};

/* A socket's identity, cached while it cannot change (connected). */
struct pt_sock {
	uint64_t ino;
	struct adi_sockinfo sk;
};

struct adi_pt {
	struct adi_engine *eng;
	struct adi_capture_opts o;
	struct adi_map tasks;   /* tid -> struct pt_task */
	struct adi_map pidfds;  /* tgid -> pidfd + 1 (as a pointer value) */
	struct adi_map socks;   /* tgid << 32 | fd -> struct pt_sock */
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
