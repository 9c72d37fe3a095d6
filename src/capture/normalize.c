/* normalize.c - ring buffer records (abi/adi_abi.h) -> normalized raw
 * events (lib/raw_event.h). Pure and bounds checked: every length in a
 * record is checked against the record's size before it is trusted. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "normalize.h"

static void copy_hdr(const struct adi_rec_hdr *h, int64_t off, struct adi_raw_fixed *f)
{
	f->ts_ns = h->ts + off;
	f->pid = h->pid;
	f->tid = h->tid;
	f->cgroup_id = h->cgroup_id;
	memcpy(f->comm, h->comm, sizeof(f->comm));
	f->comm[15] = 0;
}

static void copy_fi(const struct adi_fdinfo *fi, struct adi_raw_fixed *f)
{
	f->ino = fi->ino;
	f->dev = fi->dev;
	f->mode = fi->mode;
	f->uid = fi->uid;
	f->gid = fi->gid;
	f->fd_kind = fi->kind;
}

static void copy_sk(const struct adi_sockinfo *sk, struct adi_raw_fixed *f)
{
	if (!sk->family)
		return;
	f->sock_type = sk->type;
	f->sock_proto = sk->protocol;
	if (sk->family == AF_UNIX)
		f->transport = sk->type == SOCK_DGRAM ? ADI_TR_OTHER : ADI_TR_UNIX;
	else if (sk->family == AF_INET || sk->family == AF_INET6)
		f->transport = sk->protocol == 6 ? ADI_TR_TCP
			     : sk->protocol == 17 ? ADI_TR_UDP : ADI_TR_OTHER;
	else
		f->transport = ADI_TR_OTHER;
	if (f->transport == ADI_TR_UNIX && sk->type != SOCK_STREAM)
		f->transport = ADI_TR_OTHER;
	if (sk->family == AF_INET || sk->family == AF_INET6) {
		size_t n = sk->family == AF_INET ? 4 : 16;

		f->local.family = f->remote.family = sk->family;
		f->local.port = sk->lport;
		f->remote.port = sk->rport;
		memcpy(f->local.addr, sk->laddr, n);
		memcpy(f->remote.addr, sk->raddr, n);
	} else {
		f->local.family = f->remote.family = sk->family;
	}
}

int adi_normalize_record(const void *rec, size_t size, int64_t wall_off,
		       struct adi_raw_event *ev)
{
	const struct adi_rec_hdr *h = rec;
	struct adi_raw_fixed *f = &ev->f;
	const uint8_t *tail;

	memset(ev, 0, sizeof(*ev));
	if (size < sizeof(*h) || h->size > size || h->size < sizeof(*h))
		return -EINVAL;
	/* from here on the record is what its header says it is */
	size = h->size;
	copy_hdr(h, wall_off, f);
	f->op = h->op;
	f->fd = f->fd2 = -1;
	f->dfd = f->dfd2 = -100;
	switch (h->type) {
	case ADI_REC_IO: {
		const struct adi_rec_io *r = rec;

		if (size < sizeof(*r) ||
		    sizeof(*r) + (size_t)r->cap_len + r->addr_len + r->name_len > size)
			return -EINVAL;
		f->family = ADI_RAW_IO;
		f->ret = r->ret;
		f->fd = r->fd;
		f->size = r->size;
		f->arg2 = r->msg_index;
		copy_fi(&r->fi, f);
		copy_sk(&r->sk, f);
		f->dir = r->flags & ADI_F_OUT ? ADI_DIR_OUT : ADI_DIR_IN;
		/* sendfile/copy_file_range/splice move bytes we cannot see */
		if (r->h.op == ADI_OP_SENDFILE || r->h.op == ADI_OP_COPY_FILE_RANGE ||
		    r->h.op == ADI_OP_SPLICE)
			f->flags |= ADI_RAW_NOPAYLOAD;
		if (r->flags & ADI_F_TRUNC)
			f->flags |= ADI_RAW_TRUNC;
		if (r->flags & ADI_F_MSG_TRUNC)
			f->flags |= ADI_RAW_MSG_TRUNC;
		if (r->flags & ADI_F_PEEK)
			f->flags |= ADI_RAW_PEEK;
		if (r->flags & ADI_F_CONT)
			f->flags |= ADI_RAW_CONT;
		if (r->flags & ADI_F_HAS_SEQ) {
			f->flags |= ADI_RAW_HAS_SEQ;
			f->seq = r->seq;
		}
		if (r->ret == 0 && f->dir == ADI_DIR_IN)
			f->flags |= ADI_RAW_EOF;
		f->data_len = r->cap_len;
		ev->data = (const uint8_t *)rec + sizeof(*r);
		/* a datagram's peer as the call named it, and a unix datagram
		 * socket's own name: sockaddrs, as path2 and path (raw_event.h) */
		tail = ev->data + r->cap_len;
		if (r->addr_len) {
			ev->path2 = (const char *)tail;
			f->path2_len = r->addr_len;
		}
		if (r->name_len) {
			ev->path = (const char *)tail + r->addr_len;
			f->path_len = r->name_len;
		}
		return 0;
	}
	case ADI_REC_PATH: {
		const struct adi_rec_path *r = rec;

		if (size < sizeof(*r) || sizeof(*r) + (size_t)r->len1 + r->len2 > size)
			return -EINVAL;
		f->family = ADI_RAW_PATH;
		f->ret = r->ret;
		f->length = r->length;
		f->dfd = r->dfd;
		f->dfd2 = r->dfd2;
		f->fd = r->fd;
		f->oflags = r->oflags;
		copy_fi(&r->fi, f);
		/* the op's own mode / owner arguments win over the inode's,
		 * except for open*, where the inode tells what the file is */
		switch (r->h.op) {
		case ADI_OP_OPEN: case ADI_OP_OPENAT: case ADI_OP_OPENAT2:
		case ADI_OP_CREAT:
			if (!r->fi.ino)
				f->mode = r->mode;
			break;
		case ADI_OP_CHOWN: case ADI_OP_FCHOWN: case ADI_OP_LCHOWN:
		case ADI_OP_FCHOWNAT:
			f->uid = r->uid;
			f->gid = r->gid;
			break;
		default:
			f->mode = r->mode;
		}
		if (r->flags & (ADI_F_TRUNC | ADI_F_PATH2_TRUNC))
			f->flags |= ADI_RAW_TRUNC;
		tail = (const uint8_t *)rec + sizeof(*r);
		ev->path = (const char *)tail;
		f->path_len = r->len1;
		ev->path2 = (const char *)tail + r->len1;
		f->path2_len = r->len2;
		return 0;
	}
	case ADI_REC_SOCK: {
		const struct adi_rec_sock *r = rec;

		if (size < sizeof(*r) || sizeof(*r) + (size_t)r->addrlen > size)
			return -EINVAL;
		f->family = ADI_RAW_SOCK;
		f->ret = r->ret;
		f->fd = r->fd;
		f->arg = r->arg;
		f->arg2 = r->arg2;
		if (r->h.op == ADI_OP_ACCEPT || r->h.op == ADI_OP_ACCEPT4)
			f->fd2 = r->arg; /* the listening socket */
		copy_fi(&r->fi, f);
		copy_sk(&r->sk, f);
		if (r->h.op == ADI_OP_SOCKET && !r->sk.family) {
			/* failed socket(): only the arguments are known */
			f->arg = r->arg;
		}
		ev->path2 = (const char *)rec + sizeof(*r);
		f->path2_len = r->addrlen;
		return 0;
	}
	case ADI_REC_FD: {
		const struct adi_rec_fd *r = rec;

		if (size < sizeof(*r))
			return -EINVAL;
		f->family = ADI_RAW_FD;
		f->ret = r->ret;
		f->fd = r->fd;
		f->fd2 = r->fd2;
		f->arg = r->arg;
		f->oflags = r->oflags;
		copy_fi(&r->fi, f);
		copy_sk(&r->sk, f);
		return 0;
	}
	case ADI_REC_PROC: {
		const struct adi_rec_proc *r = rec;

		if (size < sizeof(*r) ||
		    sizeof(*r) + (size_t)r->argv_len + r->filename_len > size)
			return -EINVAL;
		f->family = ADI_RAW_PROC;
		f->ppid = r->ppid;
		f->arg = r->exit_code;
		if (r->flags & ADI_F_TRUNC)
			f->flags |= ADI_RAW_TRUNC;
		tail = (const uint8_t *)rec + sizeof(*r);
		ev->data = tail;
		f->data_len = r->argv_len;
		ev->path2 = (const char *)tail + r->argv_len;
		f->path2_len = r->filename_len;
		return 0;
	}
	case ADI_REC_TLS: {
		const struct adi_rec_tls *r = rec;

		if (size < sizeof(*r) ||
		    sizeof(*r) + (size_t)r->cap_len + r->head_len > size ||
		    r->head_len > ADI_TLS_HEAD)
			return -EINVAL;
		f->family = ADI_RAW_TLS;
		f->ret = r->ret;
		f->fd = r->fd;
		f->size = r->size;
		f->length = r->ssl;
		copy_fi(&r->fi, f);
		copy_sk(&r->sk, f);
		f->dir = r->flags & ADI_F_OUT ? ADI_DIR_OUT : ADI_DIR_IN;
		if (r->flags & ADI_F_TRUNC)
			f->flags |= ADI_RAW_TRUNC;
		if (r->flags & ADI_F_HAS_SEQ) {
			f->flags |= ADI_RAW_HAS_SEQ;
			f->seq = r->seq;
		}
		f->data_len = r->cap_len;
		ev->data = (const uint8_t *)rec + sizeof(*r);
		if (r->head_len) {
			ev->path2 = (const char *)ev->data + r->cap_len;
			f->path2_len = r->head_len;
		}
		return 0;
	}
	}
	return -EINVAL;
}
