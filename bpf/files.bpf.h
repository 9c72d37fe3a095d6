/* files.bpf.h - path operations: open family, unlink, rename, mkdir, rmdir,
 * truncate, chmod/chown families, link, symlink, chdir. Paths are copied as
 * the task gave them; user space resolves them against the cwd and dirfds. */
#ifndef ADI_FILES_BPF_H
#define ADI_FILES_BPF_H

#include "common.bpf.h"

#define AT_FDCWD -100

/* Copy the user string at ptr into data+off; returns its length without
 * the NUL, sets trunc when it filled ADI_PATH_MAX. */
static __always_inline __u16 copy_path(__u8 *data, __u64 ptr, __u32 *flags,
				       __u32 trunc_flag)
{
	long n;

	if (!ptr)
		return 0;
	n = bpf_probe_read_user_str(data, ADI_PATH_MAX, (void *)ptr);
	if (n <= 0)
		return 0;
	if (n >= ADI_PATH_MAX)
		*flags |= trunc_flag;
	return n - 1;
}

struct path_args {
	__u16 op;
	__s32 dfd, dfd2, fd;
	__u64 p1, p2;
	__u32 oflags, mode, uid, gid;
	__u64 length;
};

static __always_inline void path_emit(struct sc_args *a, struct path_args *p, int mode)
{
	struct scratch *s = scratch_get();
	struct adi_rec_path *r;
	__u16 l1, l2;

	if (!s)
		return;
	r = (struct adi_rec_path *)s->buf;
	fill_hdr(&r->h, ADI_REC_PATH, p->op, a->id, mode);
	r->ret = a->ret;
	r->length = p->length;
	r->dfd = p->dfd;
	r->dfd2 = p->dfd2;
	r->fd = p->fd;
	r->oflags = p->oflags;
	r->mode = p->mode;
	r->uid = p->uid;
	r->gid = p->gid;
	r->flags = 0;
	r->pad = 0;
	l1 = copy_path(REC_DATA(s, *r), p->p1, &r->flags, ADI_F_TRUNC);
	ADI_BOUND(l1, ADI_PATH_MAX - 1);
	l2 = copy_path(REC_DATA(s, *r) + l1, p->p2, &r->flags, ADI_F_PATH2_TRUNC);
	ADI_BOUND(l2, ADI_PATH_MAX - 1);
	r->len1 = l1;
	r->len2 = l2;
	/* describe the inode: the new fd of open*, the fd of f* calls */
	if (p->fd >= 0)
		fd_describe(p->fd, &r->fi, NULL, mode);
	else
		__builtin_memset(&r->fi, 0, sizeof(r->fi));
	r->h.size = sizeof(*r) + l1 + l2;
	emit(r, sizeof(*r) + l1 + l2);
}

static __always_inline bool handle_files(struct sc_args *a, long nr, int mode)
{
	struct path_args p = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD, .fd = -1 };
	__u64 *g = a->a;

	switch (nr) {
	case 2: /* open(path, flags, mode) */
		p.op = ADI_OP_OPEN; p.p1 = g[0]; p.oflags = g[1]; p.mode = g[2];
		p.fd = a->ret;
		break;
	case 85: /* creat(path, mode) */
		p.op = ADI_OP_CREAT; p.p1 = g[0]; p.oflags = 01 | 0100 | 01000;
		p.mode = g[1]; p.fd = a->ret;
		break;
	case 257: /* openat(dfd, path, flags, mode) */
		p.op = ADI_OP_OPENAT; p.dfd = g[0]; p.p1 = g[1]; p.oflags = g[2];
		p.mode = g[3]; p.fd = a->ret;
		break;
	case 437: { /* openat2(dfd, path, how, size) */
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)g[2]);
		p.op = ADI_OP_OPENAT2; p.dfd = g[0]; p.p1 = g[1];
		p.oflags = how.flags; p.mode = how.mode; p.fd = a->ret;
		break;
	}
	case 87: p.op = ADI_OP_UNLINK; p.p1 = g[0]; break;
	case 263: /* unlinkat(dfd, path, flags); AT_REMOVEDIR makes it rmdir */
		p.op = ADI_OP_UNLINKAT; p.dfd = g[0]; p.p1 = g[1]; p.oflags = g[2];
		break;
	case 82: p.op = ADI_OP_RENAME; p.p1 = g[0]; p.p2 = g[1]; break;
	case 264:
		p.op = ADI_OP_RENAMEAT; p.dfd = g[0]; p.p1 = g[1]; p.dfd2 = g[2];
		p.p2 = g[3];
		break;
	case 316:
		p.op = ADI_OP_RENAMEAT2; p.dfd = g[0]; p.p1 = g[1]; p.dfd2 = g[2];
		p.p2 = g[3]; p.oflags = g[4];
		break;
	case 83: p.op = ADI_OP_MKDIR; p.p1 = g[0]; p.mode = g[1]; break;
	case 258: p.op = ADI_OP_MKDIRAT; p.dfd = g[0]; p.p1 = g[1]; p.mode = g[2]; break;
	case 84: p.op = ADI_OP_RMDIR; p.p1 = g[0]; break;
	case 76: p.op = ADI_OP_TRUNCATE; p.p1 = g[0]; p.length = g[1]; break;
	case 77: p.op = ADI_OP_FTRUNCATE; p.fd = g[0]; p.length = g[1]; break;
	case 90: p.op = ADI_OP_CHMOD; p.p1 = g[0]; p.mode = g[1]; break;
	case 91: p.op = ADI_OP_FCHMOD; p.fd = g[0]; p.mode = g[1]; break;
	case 268: case 452: /* fchmodat, fchmodat2 */
		p.op = ADI_OP_FCHMODAT; p.dfd = g[0]; p.p1 = g[1]; p.mode = g[2];
		p.oflags = nr == 452 ? g[3] : 0;
		break;
	case 92: p.op = ADI_OP_CHOWN; p.p1 = g[0]; p.uid = g[1]; p.gid = g[2]; break;
	case 93: p.op = ADI_OP_FCHOWN; p.fd = g[0]; p.uid = g[1]; p.gid = g[2]; break;
	case 94: p.op = ADI_OP_LCHOWN; p.p1 = g[0]; p.uid = g[1]; p.gid = g[2]; break;
	case 260:
		p.op = ADI_OP_FCHOWNAT; p.dfd = g[0]; p.p1 = g[1]; p.uid = g[2];
		p.gid = g[3]; p.oflags = g[4];
		break;
	case 86: p.op = ADI_OP_LINK; p.p1 = g[0]; p.p2 = g[1]; break;
	case 265:
		p.op = ADI_OP_LINKAT; p.dfd = g[0]; p.p1 = g[1]; p.dfd2 = g[2];
		p.p2 = g[3]; p.oflags = g[4];
		break;
	case 88: p.op = ADI_OP_SYMLINK; p.p1 = g[0]; p.p2 = g[1]; break;
	case 266: /* symlinkat(target, newdfd, linkpath) */
		p.op = ADI_OP_SYMLINKAT; p.p1 = g[0]; p.dfd2 = g[1]; p.p2 = g[2];
		break;
	case 80: p.op = ADI_OP_CHDIR; p.p1 = g[0]; break;
	case 81: p.op = ADI_OP_FCHDIR; p.fd = g[0]; break;
	default:
		return false;
	}
	/* opens still matter with --no-fs (the fd table names sockets and
	 * files apart), chdir too (paths); the rest is only for file events */
	if (!want_fs && p.op != ADI_OP_OPEN && p.op != ADI_OP_OPENAT &&
	    p.op != ADI_OP_OPENAT2 && p.op != ADI_OP_CREAT && p.op != ADI_OP_CHDIR &&
	    p.op != ADI_OP_FCHDIR)
		return true;
	if (p.fd < 0 || a->ret < 0) {
		/* nothing to describe, unless an f* call named an fd */
		if (!(p.op == ADI_OP_FTRUNCATE || p.op == ADI_OP_FCHMOD ||
		      p.op == ADI_OP_FCHOWN || p.op == ADI_OP_FCHDIR))
			p.fd = -1;
	}
	path_emit(a, &p, mode);
	return true;
}

#endif
