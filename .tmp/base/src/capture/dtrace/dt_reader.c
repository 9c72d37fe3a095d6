/* dt_reader.c - dtrace's output (docs/dtrace.md) -> normalized raw events.
 * Streaming: input arrives in pieces split anywhere; a record is parsed
 * only once all of it is there (header line, length-prefixed strings that
 * may hold any byte, then the tracemem hex dumps its header announces).
 * Everything is checked against what the header says; a record that does
 * not parse is skipped to the next line and counted, never half-used.
 * Keeps a small table of the sockets it saw created, connected or
 * accepted, since fds[] does not tell a socket's family or peer. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "dtrace.h"
#include "../../lib/hashmap.h"

#define MAX_PENDING (1u << 20)  /* one record never needs more */
#define MAX_STR 4096
#define MAX_ADDR 128

/* macOS's numbering of the address families in the traced sockaddrs
 * (sys/socket.h there); mapped to this host's. */
#define DARWIN_AF_UNIX 1
#define DARWIN_AF_INET 2
#define DARWIN_AF_INET6 30

struct dt_sock {
	uint16_t family, type, proto;
	struct adi_endpoint remote;
};

/* One parsed record: integers by name, strings and dumps as slices. */
struct rec {
	char op[32];
	int64_t ts, pid, tid, ppid, ret, fd, fd2, flags, mode, dfd, dom, type, proto;
	int64_t why, code, data_n, addr_n;
	bool has_fd2;
	const char *comm, *fs, *fpath, *path, *path2, *args;
	size_t comm_n, fs_n, fpath_n, path_n, path2_n, args_n;
	uint8_t data[ADI_CAP_MAX], addr[MAX_ADDR];
};

struct adi_dt_reader {
	adi_dt_emit_fn emit;
	void *arg;
	char *buf;
	size_t len;
	struct adi_dt_stats st;
	struct adi_map socks; /* pid << 32 | fd -> struct dt_sock */
	struct rec cur;       /* the record being parsed (large: kept here) */
};

struct adi_dt_reader *adi_dt_reader_new(adi_dt_emit_fn emit, void *arg)
{
	struct adi_dt_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->emit = emit;
	r->arg = arg;
	r->buf = malloc(MAX_PENDING);
	if (!r->buf || adi_map_init(&r->socks)) {
		adi_dt_reader_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void adi_dt_reader_free(struct adi_dt_reader *r)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	if (!r)
		return;
	while (adi_map_next(&r->socks, &it, &k, &v))
		free(v);
	adi_map_fini(&r->socks);
	free(r->buf);
	free(r);
}

bool adi_dt_sip_error(const char *line)
{
	/* what dtrace prints when SIP refuses a process or its probes */
	return strstr(line, "System Integrity Protection") ||
	       (strstr(line, "dtrace:") && strstr(line, "restricted")) ||
	       strstr(line, "DTrace requires additional privileges");
}

/* ---- parsing: each returns 1 done, 0 need more input, -1 malformed ---- */

struct cur {
	const char *p, *end;
};

static int parse_int(struct cur *c, int64_t *v)
{
	bool neg = false;
	uint64_t x = 0;
	int digits = 0;

	if (c->p < c->end && *c->p == '-') {
		neg = true;
		c->p++;
	}
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++digits > 19)
			return -1;
		x = x * 10 + (uint64_t)(*c->p++ - '0');
	}
	if (c->p == c->end)
		return 0;
	if (!digits)
		return -1;
	*v = neg ? -(int64_t)x : (int64_t)x;
	return 1;
}

/* "<n>:<n bytes>" */
static int parse_str(struct cur *c, const char **s, size_t *n)
{
	int64_t len;
	int rc = parse_int(c, &len);

	if (rc <= 0)
		return rc;
	if (len < 0 || len > MAX_STR)
		return -1;
	if (c->p == c->end)
		return 0;
	if (*c->p++ != ':')
		return -1;
	if ((size_t)(c->end - c->p) < (size_t)len)
		return 0;
	*s = c->p;
	*n = (size_t)len;
	c->p += len;
	return 1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A tracemem dump of exactly want bytes into out:
 *              0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef
 *          0: 68 69 0a                                         hi.
 * The column line is optional; a data line is "<hex offset>:" then one
 * " hh" per byte at fixed positions (the text column after them is not
 * read). Offsets must follow each other. */
static int parse_dump(struct cur *c, uint8_t *out, size_t want)
{
	size_t got = 0;

	while (got < want) {
		const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
		const char *q = c->p;
		size_t off = 0;
		int digits = 0;

		if (!nl)
			return 0;
		while (q < nl && *q == ' ')
			q++;
		if (q == nl || (q + 3 < nl && q[0] == '0' && q[1] == ' ' && q[2] == ' ' &&
				q[3] == '1')) {
			c->p = nl + 1; /* blank or the column line */
			continue;
		}
		while (q < nl && hexval(*q) >= 0 && digits < 8) {
			off = off * 16 + (size_t)hexval(*q++);
			digits++;
		}
		if (!digits || q >= nl || *q != ':' || off != got)
			return -1;
		q++;
		for (int i = 0; i < 16 && got < want; i++) {
			int h, l;

			if (nl - q < 3 || q[0] != ' ')
				return -1;
			h = hexval(q[1]);
			l = hexval(q[2]);
			if (h < 0 || l < 0)
				return -1;
			out[got++] = (uint8_t)(h << 4 | l);
			q += 3;
		}
		c->p = nl + 1;
	}
	return 1;
}

static int parse_rec(struct cur *c, struct rec *r)
{
	int rc;

	if ((size_t)(c->end - c->p) < 5)
		return 0;
	if (memcmp(c->p, "ADI1 ", 5))
		return -1;
	c->p += 5;
	for (;;) {
		const char *k = c->p, *eq;
		size_t kl;

		eq = memchr(c->p, '=', (size_t)(c->end - c->p) < 16 ? (size_t)(c->end - c->p) : 16);
		if (!eq)
			return (size_t)(c->end - c->p) < 16 ? 0 : -1;
		kl = (size_t)(eq - k);
		c->p = eq + 1;
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(k, s, kl))
		if (KEY("op")) {
			size_t n = 0;

			while (c->p + n < c->end && c->p[n] != ' ' && c->p[n] != '\n')
				n++;
			if (c->p + n == c->end)
				return 0;
			if (!n || n >= sizeof(r->op))
				return -1;
			memcpy(r->op, c->p, n);
			r->op[n] = 0;
			c->p += n;
			rc = 1;
		} else if (KEY("comm")) {
			rc = parse_str(c, &r->comm, &r->comm_n);
		} else if (KEY("fs")) {
			rc = parse_str(c, &r->fs, &r->fs_n);
		} else if (KEY("fpath")) {
			rc = parse_str(c, &r->fpath, &r->fpath_n);
		} else if (KEY("path")) {
			rc = parse_str(c, &r->path, &r->path_n);
		} else if (KEY("path2")) {
			rc = parse_str(c, &r->path2, &r->path2_n);
		} else if (KEY("args")) {
			rc = parse_str(c, &r->args, &r->args_n);
		} else {
			int64_t v = 0;
			int64_t *dst = KEY("ts") ? &r->ts : KEY("pid") ? &r->pid : KEY("tid") ? &r->tid
				: KEY("ppid") ? &r->ppid : KEY("ret") ? &r->ret : KEY("fd") ? &r->fd
				: KEY("fd2") ? &r->fd2 : KEY("flags") ? &r->flags : KEY("mode") ? &r->mode
				: KEY("dfd") ? &r->dfd : KEY("dom") ? &r->dom : KEY("type") ? &r->type
				: KEY("proto") ? &r->proto : KEY("why") ? &r->why : KEY("code") ? &r->code
				: KEY("data") ? &r->data_n : KEY("addr") ? &r->addr_n : NULL;

			if (!dst)
				return -1; /* an unknown field: not our format */
			rc = parse_int(c, &v);
			if (rc > 0) {
				*dst = v;
				if (KEY("fd2"))
					r->has_fd2 = true;
			}
		}
#undef KEY
		if (rc <= 0)
			return rc;
		if (c->p == c->end)
			return 0;
		if (*c->p == '\n') {
			c->p++;
			break;
		}
		if (*c->p++ != ' ')
			return -1;
	}
	if (!r->op[0] || r->data_n < 0 || r->data_n > ADI_CAP_MAX || r->addr_n < 0 ||
	    r->addr_n > MAX_ADDR)
		return -1;
	/* the dumps come in the order the D program prints them */
	if (r->addr_n && (rc = parse_dump(c, r->addr, (size_t)r->addr_n)) <= 0)
		return rc;
	if (r->data_n && (rc = parse_dump(c, r->data, (size_t)r->data_n)) <= 0)
		return rc;
	return 1;
}

/* ---- records -> raw events ---- */

struct op_map {
	const char *name;
	uint16_t family, op;
	uint8_t dir;
};

static const struct op_map ops[] = {
	{ "read", ADI_RAW_IO, ADI_OP_READ, ADI_DIR_IN },
	{ "pread", ADI_RAW_IO, ADI_OP_PREAD64, ADI_DIR_IN },
	{ "readv", ADI_RAW_IO, ADI_OP_READV, ADI_DIR_IN },
	{ "recvfrom", ADI_RAW_IO, ADI_OP_RECVFROM, ADI_DIR_IN },
	{ "recvmsg", ADI_RAW_IO, ADI_OP_RECVMSG, ADI_DIR_IN },
	{ "write", ADI_RAW_IO, ADI_OP_WRITE, ADI_DIR_OUT },
	{ "pwrite", ADI_RAW_IO, ADI_OP_PWRITE64, ADI_DIR_OUT },
	{ "writev", ADI_RAW_IO, ADI_OP_WRITEV, ADI_DIR_OUT },
	{ "sendto", ADI_RAW_IO, ADI_OP_SENDTO, ADI_DIR_OUT },
	{ "sendmsg", ADI_RAW_IO, ADI_OP_SENDMSG, ADI_DIR_OUT },
	{ "open", ADI_RAW_PATH, ADI_OP_OPEN, 0 },
	{ "openat", ADI_RAW_PATH, ADI_OP_OPENAT, 0 },
	{ "unlink", ADI_RAW_PATH, ADI_OP_UNLINK, 0 },
	{ "rename", ADI_RAW_PATH, ADI_OP_RENAME, 0 },
	{ "mkdir", ADI_RAW_PATH, ADI_OP_MKDIR, 0 },
	{ "rmdir", ADI_RAW_PATH, ADI_OP_RMDIR, 0 },
	{ "chdir", ADI_RAW_PATH, ADI_OP_CHDIR, 0 },
	{ "socket", ADI_RAW_SOCK, ADI_OP_SOCKET, 0 },
	{ "connect", ADI_RAW_SOCK, ADI_OP_CONNECT, 0 },
	{ "accept", ADI_RAW_SOCK, ADI_OP_ACCEPT, 0 },
	{ "close", ADI_RAW_FD, ADI_OP_CLOSE, 0 },
	{ "fork", ADI_RAW_PROC, ADI_OP_FORK, 0 },
	{ "exec", ADI_RAW_PROC, ADI_OP_EXEC, 0 },
	{ "exit", ADI_RAW_PROC, ADI_OP_EXIT, 0 },
};

static const struct op_map *op_find(const char *name)
{
	char n[32];
	size_t l = strlen(name);

	/* read_nocancel is read: the cancellation point is not our business */
	if (l > 9 && !strcmp(name + l - 9, "_nocancel"))
		l -= 9;
	if (l >= sizeof(n))
		return NULL;
	memcpy(n, name, l);
	n[l] = 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, n))
			return &ops[i];
	return NULL;
}

static uint16_t host_af(unsigned darwin)
{
	return darwin == DARWIN_AF_INET ? AF_INET : darwin == DARWIN_AF_INET6 ? AF_INET6
		: darwin == DARWIN_AF_UNIX ? AF_UNIX : 0;
}

/* A BSD sockaddr (sa_len, sa_family, ...) -> this host's sockaddr in out
 * and the endpoint. Returns the host sockaddr's length, 0 if unknown. */
static size_t sa_convert(const uint8_t *sa, size_t n, uint8_t *out, size_t outsz,
			 struct adi_endpoint *ep)
{
	uint16_t af;

	if (n < 2)
		return 0;
	af = host_af(sa[1]);
	memset(ep, 0, sizeof(*ep));
	if (af == AF_INET && n >= 8 && outsz >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in = { .sin_family = AF_INET };

		memcpy(&in.sin_port, sa + 2, 2);
		memcpy(&in.sin_addr, sa + 4, 4);
		memcpy(out, &in, sizeof(in));
		ep->family = AF_INET;
		ep->port = ntohs(in.sin_port);
		memcpy(ep->addr, sa + 4, 4);
		return sizeof(in);
	}
	if (af == AF_INET6 && n >= 24 && outsz >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

		memcpy(&in6.sin6_port, sa + 2, 2);
		memcpy(&in6.sin6_addr, sa + 8, 16);
		memcpy(out, &in6, sizeof(in6));
		ep->family = AF_INET6;
		ep->port = ntohs(in6.sin6_port);
		memcpy(ep->addr, sa + 8, 16);
		return sizeof(in6);
	}
	if (af == AF_UNIX && outsz >= sizeof(struct sockaddr_un)) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		size_t pl = n - 2 < sizeof(un.sun_path) - 1 ? n - 2 : sizeof(un.sun_path) - 1;

		memcpy(un.sun_path, sa + 2, pl);
		memcpy(out, &un, sizeof(un));
		ep->family = AF_UNIX;
		return offsetof(struct sockaddr_un, sun_path) + strnlen(un.sun_path, pl) + 1;
	}
	return 0;
}

static struct dt_sock *sock_get(struct adi_dt_reader *r, int64_t pid, int64_t fd, bool make)
{
	uint64_t key = (uint64_t)(uint32_t)pid << 32 | (uint32_t)fd;
	struct dt_sock *s = adi_map_get(&r->socks, key);

	if (s || !make || r->socks.len >= 65536)
		return s;
	s = calloc(1, sizeof(*s));
	if (s && adi_map_put(&r->socks, key, s)) {
		free(s);
		s = NULL;
	}
	return s;
}

static void sock_fill(const struct dt_sock *s, struct adi_raw_fixed *f)
{
	f->fd_kind = ADI_FD_SOCK;
	f->sock_type = s->type;
	f->sock_proto = s->proto;
	f->local.family = s->family;
	f->remote = s->remote;
	f->remote.family = s->family;
	if (s->family == AF_UNIX)
		f->transport = s->type == SOCK_STREAM ? ADI_TR_UNIX : ADI_TR_OTHER;
	else if (s->family == AF_INET || s->family == AF_INET6)
		f->transport = s->type == SOCK_STREAM ? ADI_TR_TCP
			     : s->type == SOCK_DGRAM ? ADI_TR_UDP : ADI_TR_OTHER;
	else
		f->transport = ADI_TR_OTHER;
}

/* fds[]'s file system name -> fd kind (names of macOS's VFS) */
static uint8_t fs_kind(const struct rec *r)
{
	if (r->fs_n == 6 && !memcmp(r->fs, "sockfs", 6))
		return ADI_FD_SOCK;
	if (r->fs_n == 5 && !memcmp(r->fs, "devfs", 5))
		return ADI_FD_CHR;
	if ((r->fs_n == 6 && !memcmp(r->fs, "fifofs", 6)) ||
	    (r->fs_n == 6 && !memcmp(r->fs, "pipefs", 6)))
		return ADI_FD_FIFO;
	return r->fs_n || r->fpath_n ? ADI_FD_REG : ADI_FD_UNKNOWN;
}

static void to_event(struct adi_dt_reader *r, struct rec *c)
{
	const struct op_map *m = op_find(c->op);
	struct adi_raw_event ev;
	struct adi_raw_fixed *f = &ev.f;
	uint8_t sa[sizeof(struct sockaddr_un) + 16];
	char argv[ADI_ARGV_MAX];
	struct dt_sock *s;

	if (!strcmp(c->op, "begin")) {
		r->st.begun++;
		return;
	}
	if (!m) {
		r->st.bad++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	f->family = m->family;
	f->op = m->op;
	f->ts_ns = (uint64_t)c->ts;
	f->pid = (uint32_t)c->pid;
	f->tid = (uint32_t)c->tid;
	f->ppid = (uint32_t)c->ppid;
	f->ret = c->ret;
	f->fd = f->fd2 = -1;
	f->dfd = f->dfd2 = -100;
	memcpy(f->comm, c->comm ? c->comm : "", c->comm_n < 15 ? c->comm_n : 15);
	switch (m->family) {
	case ADI_RAW_IO:
		f->fd = (int32_t)c->fd;
		f->dir = m->dir;
		f->fd_kind = fs_kind(c);
		s = sock_get(r, c->pid, c->fd, false);
		if (s)
			sock_fill(s, f);
		/* as the eBPF side: bytes to terminals and pipes are not
		 * reported (failed calls are: their errno matters) */
		if ((f->fd_kind == ADI_FD_CHR || f->fd_kind == ADI_FD_FIFO) && c->ret >= 0)
			return;
		f->size = c->ret > 0 ? (uint64_t)c->ret : 0;
		ev.data = c->data;
		f->data_len = (uint32_t)c->data_n;
		if (c->data_n && (uint64_t)c->data_n < f->size)
			f->flags |= ADI_RAW_TRUNC;
		if (c->ret == 0 && f->dir == ADI_DIR_IN)
			f->flags |= ADI_RAW_EOF;
		break;
	case ADI_RAW_PATH:
		ev.path = c->path;
		f->path_len = (uint32_t)c->path_n;
		ev.path2 = c->path2;
		f->path2_len = (uint32_t)c->path2_n;
		f->mode = (uint32_t)c->mode;
		if (m->op == ADI_OP_OPEN || m->op == ADI_OP_OPENAT) {
			/* macOS's O_* values: the engine prints them with the
			 * host's constants, and runs on the host that traced */
			f->oflags = (uint32_t)c->flags;
			f->dfd = (int32_t)c->dfd;
			f->fd = c->ret >= 0 ? (int32_t)c->ret : -1;
			f->fd_kind = c->ret >= 0 ? ADI_FD_REG : ADI_FD_UNKNOWN;
		}
		break;
	case ADI_RAW_FD:
		f->fd = (int32_t)c->fd;
		f->fd_kind = fs_kind(c);
		s = sock_get(r, c->pid, c->fd, false);
		if (s) {
			sock_fill(s, f);
			free(adi_map_del(&r->socks, (uint64_t)(uint32_t)c->pid << 32 |
					 (uint32_t)c->fd));
		}
		break;
	case ADI_RAW_SOCK:
		f->fd = (int32_t)c->fd;
		if (m->op == ADI_OP_SOCKET) {
			f->arg = host_af((unsigned)c->dom);
			f->arg2 = (int32_t)c->type;
			if (c->ret >= 0 && (s = sock_get(r, c->pid, c->ret, true))) {
				memset(s, 0, sizeof(*s));
				s->family = (uint16_t)f->arg;
				s->type = (uint16_t)(c->type & 0xf);
				s->proto = (uint16_t)c->proto;
				sock_fill(s, f);
			}
			break;
		}
		if (m->op == ADI_OP_ACCEPT) {
			struct dt_sock *l = sock_get(r, c->pid, c->fd2, false);

			f->fd2 = (int32_t)c->fd2;
			f->arg = (int32_t)c->fd2; /* the listening socket */
			s = sock_get(r, c->pid, c->fd, true);
			if (s) {
				memset(s, 0, sizeof(*s));
				if (l) {
					s->family = l->family;
					s->type = l->type;
					s->proto = l->proto;
				}
			}
		} else {
			s = sock_get(r, c->pid, c->fd, true);
		}
		f->path2_len = (uint32_t)sa_convert(c->addr, (size_t)c->addr_n, sa, sizeof(sa),
						    &f->remote);
		ev.path2 = (const char *)sa;
		if (s) {
			if (f->remote.family) {
				if (!s->family)
					s->family = f->remote.family;
				s->remote = f->remote;
			}
			if (!s->type)
				s->type = SOCK_STREAM; /* connect/accept: a stream */
			if (!s->proto && s->family != AF_UNIX)
				s->proto = IPPROTO_TCP;
			sock_fill(s, f);
		}
		break;
	case ADI_RAW_PROC:
		if (m->op == ADI_OP_EXEC) {
			/* pr_psargs joins the arguments with spaces (and is
			 * short): split on them, the best that can be done */
			size_t n = c->args_n < sizeof(argv) ? c->args_n : sizeof(argv);

			memcpy(argv, c->args ? c->args : "", n);
			for (size_t i = 0; i < n; i++)
				if (argv[i] == ' ')
					argv[i] = 0;
			ev.data = (const uint8_t *)argv;
			f->data_len = (uint32_t)n;
			ev.path2 = c->path;
			f->path2_len = (uint32_t)c->path_n;
		} else if (m->op == ADI_OP_EXIT) {
			/* CLD_EXITED: the code exit() was given; a death by a
			 * signal is not told apart by proc:::exit */
			f->arg = c->why == 1 ? (int32_t)((c->code & 0xff) << 8) : 0;
		}
		break;
	}
	r->st.records++;
	r->emit(r->arg, &ev);
}

/* A line that is not a record: dtrace's own messages, or garbage. */
static void other_line(struct adi_dt_reader *r, const char *line, size_t n)
{
	char tmp[512];
	size_t k = n < sizeof(tmp) - 1 ? n : sizeof(tmp) - 1;

	if (!n)
		return; /* blank lines separate dumps */
	memcpy(tmp, line, k);
	tmp[k] = 0;
	if (!strncmp(tmp, "dtrace:", 7)) {
		r->st.dtrace_msgs++;
		if (adi_dt_sip_error(tmp))
			r->st.sip++;
		return;
	}
	r->st.bad++;
}

static void process(struct adi_dt_reader *r, bool at_end)
{
	size_t used = 0;
	struct rec *cp = &r->cur;

	while (used < r->len) {
		struct cur cu = { r->buf + used, r->buf + r->len };
		const char *nl;
		int rc;

		memset(cp, 0, offsetof(struct rec, data));
		cp->fd = cp->fd2 = -1;
		cp->dfd = -100;
		if (cu.end - cu.p >= 5 && !memcmp(cu.p, "ADI1 ", 5)) {
			rc = parse_rec(&cu, cp);
		} else if (cu.end - cu.p < 5 && !memcmp(cu.p, "ADI1 ", (size_t)(cu.end - cu.p)) &&
			   !at_end) {
			rc = 0;
		} else {
			nl = memchr(cu.p, '\n', (size_t)(cu.end - cu.p));
			if (!nl && !at_end)
				break;
			other_line(r, cu.p, nl ? (size_t)(nl - cu.p) : (size_t)(cu.end - cu.p));
			used = nl ? (size_t)(nl + 1 - r->buf) : r->len;
			continue;
		}
		if (rc == 1) {
			to_event(r, cp);
			used = (size_t)(cu.p - r->buf);
			continue;
		}
		if (rc == 0 && !at_end && r->len < MAX_PENDING)
			break; /* wait for the rest */
		if (rc == 0)
			r->st.truncated++;
		else
			r->st.bad++;
		/* skip the bad record's first line and look again */
		nl = memchr(r->buf + used, '\n', r->len - used);
		used = nl ? (size_t)(nl + 1 - r->buf) : r->len;
	}
	memmove(r->buf, r->buf + used, r->len - used);
	r->len -= used;
}

void adi_dt_reader_feed(struct adi_dt_reader *r, const char *buf, size_t n)
{
	while (n) {
		size_t k = MAX_PENDING - r->len < n ? MAX_PENDING - r->len : n;

		memcpy(r->buf + r->len, buf, k);
		r->len += k;
		buf += k;
		n -= k;
		process(r, false);
		if (r->len == MAX_PENDING) {
			/* a record cannot be this long: drop it as bad */
			r->st.bad++;
			r->len = 0;
		}
	}
}

void adi_dt_reader_finish(struct adi_dt_reader *r)
{
	process(r, true);
	r->len = 0;
}

void adi_dt_reader_stats(const struct adi_dt_reader *r, struct adi_dt_stats *st)
{
	*st = r->st;
}
