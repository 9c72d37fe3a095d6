/* dt_gen.c - the D program of the DTrace backend (dtrace.h). One clause
 * set per family of syscalls; each record is one header line in the format
 * of docs/dtrace.md, its payload and socket address following as tracemem
 * hex dumps. Arguments are saved at entry (thread-local self->), the record
 * is printed at return with the result; buffers are copied at return, when
 * the kernel has filled them (reads) or after it took them (writes). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "dtrace.h"

struct out {
	char *b;
	size_t n, cap;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->b + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->cap - o->n) {
		o->full = true;
		return;
	}
	o->n += (size_t)k;
}

/* The fields every record starts with (docs/dtrace.md). The op is the
 * probe's function with "_nocancel" left in: the reader strips it. */
#define HDR "ADI1 op=%%s ts=%%d pid=%%d tid=%%d ppid=%%d ret=%%d comm=%%d:%%s"
#define HDR_OP(op) "ADI1 op=" op " ts=%%d pid=%%d tid=%%d ppid=%%d ret=%%d comm=%%d:%%s"
#define HDR_OP_ARGS "walltimestamp, pid, tid, ppid, this->ret, strlen(execname), execname"
#define HDR_ARGS "probefunc, walltimestamp, pid, tid, ppid, this->ret, " \
	"strlen(execname), execname"
/* -errno for a failed call, else the result */
#define RET "this->ret = (int64_t)arg0 == -1 ? -errno : (int64_t)arg0;"
/* the fd's file as fds[] knows it: file system name and path */
#define FDINFO "fs=%%d:%%s fpath=%%d:%%s"
#define FDINFO_ARGS(fd) "strlen(fds[" fd "].fi_fs), fds[" fd "].fi_fs, " \
	"strlen(fds[" fd "].fi_pathname), fds[" fd "].fi_pathname"

static const char *probes(char *buf, size_t n, const char *const *names, const char *kind)
{
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; names[i]; i++) {
		int k = snprintf(buf + at, n - at, "%ssyscall::%s:%s", i ? ",\n" : "",
				 names[i], kind);

		if (k < 0 || (size_t)k >= n - at)
			break;
		at += (size_t)k;
	}
	return buf;
}

/* read/write-like calls with one buffer: fd arg0, buffer arg1 */
static void io_buf(struct out *o, uint32_t cap)
{
	static const char *const names[] = {
		"read", "read_nocancel", "pread", "pread_nocancel", "write",
		"write_nocancel", "pwrite", "pwrite_nocancel", "recvfrom",
		"recvfrom_nocancel", "sendto", "sendto_nocancel", NULL,
	};
	char p[1024];

	put(o, "%s\n/progenyof($target)/\n{\n\tself->fd = arg0;\n\tself->buf = arg1;\n}\n\n",
	    probes(p, sizeof(p), names, "entry"));
	put(o, "%s\n/self->buf/\n{\n\t" RET "\n\tthis->n = this->ret > 0 ? "
	    "(this->ret > %u ? %u : this->ret) : 0;\n"
	    "\tprintf(\"" HDR " fd=%%d " FDINFO " data=%%d\\n\", " HDR_ARGS ",\n\t    self->fd, "
	    FDINFO_ARGS("self->fd") ", this->n);\n}\n\n", probes(p, sizeof(p), names, "return"),
	    cap, cap);
	put(o, "%s\n/self->buf && this->n > 0/\n{\n\ttracemem(copyin(self->buf, this->n), %u, "
	    "this->n);\n}\n\n", probes(p, sizeof(p), names, "return"), cap ? cap : 1);
	put(o, "%s\n/self->buf/\n{\n\tself->buf = 0;\n\tself->fd = 0;\n}\n\n",
	    probes(p, sizeof(p), names, "return"));
}

/* vectored calls: the first iovec's bytes (readv/writev: arg1 is the
 * iovec array; sendmsg/recvmsg: arg1 is a msghdr whose msg_iov is at
 * offset 16 on 64-bit macOS) */
static void io_vec(struct out *o, uint32_t cap)
{
	static const char *const iov[] = { "readv", "readv_nocancel", "writev",
		"writev_nocancel", NULL };
	static const char *const msg[] = { "recvmsg", "recvmsg_nocancel", "sendmsg",
		"sendmsg_nocancel", NULL };
	char p[1024];

	put(o, "%s\n/progenyof($target)/\n{\n\tself->fd = arg0;\n\tself->vec = arg1;\n}\n\n",
	    probes(p, sizeof(p), iov, "entry"));
	put(o, "%s\n/progenyof($target)/\n{\n\tself->fd = arg0;\n"
	    "\tself->vec = ((uint64_t *)copyin(arg1, 32))[2];\n}\n\n",
	    probes(p, sizeof(p), msg, "entry"));
	for (int k = 0; k < 2; k++) {
		const char *const *names = k ? msg : iov;

		put(o, "%s\n/self->vec/\n{\n\t" RET "\n"
		    "\tthis->iov = (uint64_t *)copyin(self->vec, 16);\n"
		    "\tthis->n = this->ret > 0 ? (this->ret < this->iov[1] ? this->ret : "
		    "this->iov[1]) : 0;\n\tthis->n = this->n > %u ? %u : this->n;\n"
		    "\tprintf(\"" HDR " fd=%%d " FDINFO " data=%%d\\n\", " HDR_ARGS
		    ",\n\t    self->fd, " FDINFO_ARGS("self->fd") ", this->n);\n}\n\n",
		    probes(p, sizeof(p), names, "return"), cap, cap);
		put(o, "%s\n/self->vec && this->n > 0/\n{\n\ttracemem(copyin(this->iov[0], "
		    "this->n), %u, this->n);\n}\n\n", probes(p, sizeof(p), names, "return"),
		    cap ? cap : 1);
		put(o, "%s\n/self->vec/\n{\n\tself->vec = 0;\n\tself->fd = 0;\n}\n\n",
		    probes(p, sizeof(p), names, "return"));
	}
}

/* open family: the path copied at entry, the new fd at return */
static void files(struct out *o, bool no_fs)
{
	static const char *const open1[] = { "open", "open_nocancel", NULL };
	static const char *const openat[] = { "openat", "openat_nocancel", NULL };
	static const char *const p1[] = { "unlink", "rmdir", "chdir", NULL };
	static const char *const mk[] = { "mkdir", NULL };
	static const char *const ren[] = { "rename", NULL };
	char p[512];

	put(o, "%s\n/progenyof($target)/\n{\n\tself->path = copyinstr(arg0);\n"
	    "\tself->flags = arg1;\n\tself->mode = arg2;\n\tself->dfd = -100;\n"
	    "\tself->on = 1;\n}\n\n", probes(p, sizeof(p), open1, "entry"));
	put(o, "%s\n/progenyof($target)/\n{\n\tself->path = copyinstr(arg1);\n"
	    "\tself->flags = arg2;\n\tself->mode = arg3;\n\tself->dfd = arg0;\n"
	    "\tself->on = 1;\n}\n\n", probes(p, sizeof(p), openat, "entry"));
	put(o, "syscall::open:return, syscall::open_nocancel:return,\n"
	    "syscall::openat:return, syscall::openat_nocancel:return\n/self->on/\n{\n\t" RET
	    "\n\tprintf(\"" HDR " fd=%%d flags=%%d mode=%%d dfd=%%d path=%%d:%%s\\n\", "
	    HDR_ARGS ",\n\t    this->ret, self->flags, self->mode, self->dfd, "
	    "strlen(self->path), self->path);\n\tself->on = 0;\n}\n\n");
	if (no_fs)
		return;
	put(o, "%s\n/progenyof($target)/\n{\n\tself->path = copyinstr(arg0);\n"
	    "\tself->mode = 0;\n\tself->pon = 1;\n}\n\n", probes(p, sizeof(p), p1, "entry"));
	put(o, "%s\n/progenyof($target)/\n{\n\tself->path = copyinstr(arg0);\n"
	    "\tself->mode = arg1;\n\tself->pon = 1;\n}\n\n", probes(p, sizeof(p), mk, "entry"));
	put(o, "syscall::unlink:return, syscall::rmdir:return, syscall::chdir:return,\n"
	    "syscall::mkdir:return\n/self->pon/\n{\n\t" RET "\n\tprintf(\"" HDR
	    " mode=%%d path=%%d:%%s\\n\", " HDR_ARGS ",\n\t    self->mode, "
	    "strlen(self->path), self->path);\n\tself->pon = 0;\n}\n\n");
	put(o, "%s\n/progenyof($target)/\n{\n\tself->path = copyinstr(arg0);\n"
	    "\tself->path2 = copyinstr(arg1);\n\tself->ron = 1;\n}\n\n",
	    probes(p, sizeof(p), ren, "entry"));
	put(o, "syscall::rename:return\n/self->ron/\n{\n\t" RET "\n\tprintf(\"" HDR
	    " path=%%d:%%s path2=%%d:%%s\\n\", " HDR_ARGS ",\n\t    strlen(self->path), "
	    "self->path, strlen(self->path2), self->path2);\n\tself->ron = 0;\n}\n\n");
}

/* close (at entry, while fds[] still names the file), sockets */
static void sockets(struct out *o, bool no_net)
{
	put(o, "syscall::close:entry, syscall::close_nocancel:entry\n/progenyof($target)/\n{\n"
	    "\tthis->ret = 0;\n\tprintf(\"" HDR " fd=%%d " FDINFO "\\n\", " HDR_ARGS
	    ",\n\t    arg0, " FDINFO_ARGS("arg0") ");\n}\n\n");
	if (no_net)
		return;
	put(o, "syscall::socket:entry\n/progenyof($target)/\n{\n\tself->dom = arg0;\n"
	    "\tself->type = arg1;\n\tself->proto = arg2;\n\tself->son = 1;\n}\n\n");
	put(o, "syscall::socket:return\n/self->son/\n{\n\t" RET "\n\tprintf(\"" HDR
	    " fd=%%d dom=%%d type=%%d proto=%%d\\n\", " HDR_ARGS ",\n\t    this->ret, "
	    "self->dom, self->type, self->proto);\n\tself->son = 0;\n}\n\n");
	/* connect: the target sockaddr as the user gave it (BSD layout) */
	put(o, "syscall::connect:entry, syscall::connect_nocancel:entry\n/progenyof($target)/\n"
	    "{\n\tself->cfd = arg0;\n\tself->sa = arg1;\n\tself->salen = arg2 > 128 ? 128 : "
	    "arg2;\n\tself->con = 1;\n}\n\n");
	put(o, "syscall::connect:return, syscall::connect_nocancel:return\n/self->con/\n{\n\t"
	    RET "\n\tprintf(\"" HDR " fd=%%d addr=%%d\\n\", " HDR_ARGS ",\n\t    self->cfd, "
	    "self->salen);\n\ttracemem(copyin(self->sa, self->salen), 128, self->salen);\n"
	    "\tself->con = 0;\n}\n\n");
	/* accept: the peer's sockaddr, its length written by the kernel */
	put(o, "syscall::accept:entry, syscall::accept_nocancel:entry\n/progenyof($target)/\n"
	    "{\n\tself->lfd = arg0;\n\tself->sa = arg1;\n\tself->lenp = arg2;\n"
	    "\tself->aon = 1;\n}\n\n");
	put(o, "syscall::accept:return, syscall::accept_nocancel:return\n"
	    "/self->aon && (int64_t)arg0 >= 0/\n{\n\t" RET "\n"
	    "\tthis->l = self->lenp && self->sa ? *(uint32_t *)copyin(self->lenp, 4) : 0;\n"
	    "\tthis->l = this->l > 128 ? 128 : this->l;\n"
	    "\tprintf(\"" HDR " fd=%%d fd2=%%d addr=%%d\\n\", " HDR_ARGS ",\n\t    this->ret, "
	    "self->lfd, this->l);\n}\n\n");
	put(o, "syscall::accept:return, syscall::accept_nocancel:return\n"
	    "/self->aon && (int64_t)arg0 >= 0 && this->l > 0/\n{\n"
	    "\ttracemem(copyin(self->sa, this->l), 128, this->l);\n}\n\n");
	put(o, "syscall::accept:return, syscall::accept_nocancel:return\n/self->aon/\n{\n"
	    "\tself->aon = 0;\n}\n\n");
}

/* processes: proc provider */
static void procs(struct out *o)
{
	put(o, "proc:::create\n/progenyof($target)/\n{\n\tthis->ret = 0;\n\tprintf(\""
	    "ADI1 op=fork ts=%%d pid=%%d tid=%%d ppid=%%d ret=0 comm=%%d:%%s\\n\", "
	    "walltimestamp, args[0]->pr_pid, args[0]->pr_pid, pid, strlen(execname), "
	    "execname);\n}\n\n");
	put(o, "proc:::exec\n/progenyof($target)/\n{\n\tself->exe = args[0];\n}\n\n");
	put(o, "proc:::exec-success\n/progenyof($target)/\n{\n\tthis->ret = 0;\n\tprintf(\""
	    HDR_OP("exec") " path=%%d:%%s args=%%d:%%s\\n\", " HDR_OP_ARGS ",\n\t    strlen(self->exe), "
	    "self->exe, strlen(curpsinfo->pr_psargs), curpsinfo->pr_psargs);\n"
	    "\tself->exe = 0;\n}\n\n");
	put(o, "syscall::exit:entry\n/progenyof($target)/\n{\n\tself->code = arg0;\n}\n\n");
	put(o, "proc:::exit\n/progenyof($target)/\n{\n\tthis->ret = 0;\n\tprintf(\""
	    HDR_OP("exit") " why=%%d code=%%d\\n\", " HDR_OP_ARGS ", args[0], self->code);\n}\n\n");
}

int adi_dt_gen(const struct adi_dt_gen_opts *opt, char *buf, size_t bufsz)
{
	struct out o = { .b = buf, .cap = bufsz };
	uint32_t cap = opt->capture_bytes > ADI_CAP_MAX ? ADI_CAP_MAX : opt->capture_bytes;

	if (!bufsz)
		return -ENOSPC;
	buf[0] = 0;
	put(&o, "/* generated by adi-profiler (src/capture/dtrace/dt_gen.c); the record\n"
	    " * format is docs/dtrace.md */\n"
	    "#pragma D option quiet\n#pragma D option switchrate=20hz\n"
	    "#pragma D option bufsize=16m\n#pragma D option strsize=1024\n"
	    "#pragma D option rawbytes\n\n");
	/* the reader waits for this line before it lets the command run */
	put(&o, "BEGIN\n{\n\tprintf(\"ADI1 op=begin ts=%%d pid=%%d tid=0 ppid=0 ret=0 "
	    "comm=0:\\n\", walltimestamp, $target);\n}\n\n");
	if (!opt->no_fs || !opt->no_net) {
		io_buf(&o, cap);
		io_vec(&o, cap);
	}
	files(&o, opt->no_fs);
	sockets(&o, opt->no_net);
	procs(&o);
	if (o.full)
		return -ENOSPC;
	return (int)o.n;
}
