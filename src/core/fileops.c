/* fileops.c - `file` events: path operations resolved to absolute paths
 * (against the task's cwd or the *at call's directory fd), and reads/writes
 * merged per fd into one event per consecutive run with sampled content. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"
#include "../lib/util.h"

#define AT_FDCWD_ (-100)
#define AT_REMOVEDIR_ 0x200
#define O_CREAT_ 0100
#define O_TMPFILE_ 020200000
#define O_CLOEXEC_ 02000000

/* Resolve rel (rlen bytes, not NUL terminated) for pid against dfd. When the
 * base directory is unknown the path is returned as given (still relative)
 * and 1 is returned so the caller can flag it; 0 when absolute. */
int adi_resolve_at(struct adi_engine *e, uint32_t pid, int dfd, const char *rel,
		   size_t rlen, char *out, size_t outsz)
{
	char r[ADI_PATH_BUF];
	const char *base = NULL;
	struct adi_proc *p;

	if (rlen >= sizeof(r))
		rlen = sizeof(r) - 1;
	memcpy(r, rel ? rel : "", rlen);
	r[rlen] = 0;
	if (r[0] == '/')
		return adi_path_join("/", r, out, outsz) ? 1 : 0;
	if (dfd == AT_FDCWD_) {
		p = adi_proc_get(e, pid);
		base = p ? p->cwd : NULL;
	} else {
		struct adi_fd *f = adi_fd_get(e, pid, dfd);

		base = f ? f->path : NULL;
	}
	if (base && base[0] == '/' && !adi_path_join(base, r, out, outsz))
		return 0;
	snprintf(out, outsz, "%s", r);
	return 1;
}

static struct adi_event *file_event(struct adi_engine *e, const struct adi_raw_fixed *f,
				    const char *op, uint64_t ts)
{
	struct adi_event *ev = adi_ev_new(e, "file", ts, f->pid, f->tid, f->comm,
					  f->cgroup_id);

	if (!ev)
		return NULL;
	adi_j_set_str(ev->fields, "op", op);
	adi_j_set_null(ev->fields, "path");
	adi_j_set_null(ev->fields, "fd");
	adi_j_set_null(ev->fields, "new_path");
	adi_j_set_null(ev->fields, "flags");
	adi_j_set_null(ev->fields, "mode");
	adi_j_set_null(ev->fields, "uid");
	adi_j_set_null(ev->fields, "gid");
	adi_j_set_null(ev->fields, "bytes");
	adi_j_set_null(ev->fields, "ops");
	adi_j_set_null(ev->fields, "content");
	adi_j_set_null(ev->fields, "error");
	return ev;
}

static void set_error(struct adi_event *ev, int64_t ret)
{
	char b[24];

	if (ret < 0)
		adi_j_set_str(ev->fields, "error", adi_errno_name(adi_err_of(ret), b, sizeof(b)));
}

static void set_path(struct adi_event *ev, const char *key, const char *path, int rel)
{
	adi_j_set_str(ev->fields, key, path);
	if (rel) /* never pass a guess off as an absolute path */
		adi_j_set_bool(ev->fields, "path_unresolved", true);
}

static void set_mode(struct adi_event *ev, uint32_t mode)
{
	char b[8];

	adi_j_set_str(ev->fields, "mode", adi_mode_str(mode, b, sizeof(b)));
}

static void set_owner(struct adi_event *ev, uint32_t uid, uint32_t gid)
{
	adi_j_set_int(ev->fields, "uid", uid);
	adi_j_set_int(ev->fields, "gid", gid);
}

/* Rename moves a path: open fds naming it, or anything below it when it is
 * a directory, now name the new one. */
static void rename_fds(struct adi_engine *e, const char *from, const char *to)
{
	size_t fl = strlen(from);
	uint64_t k;
	void *v;

	for (size_t it = 0; adi_map_next(&e->fds, &it, &k, &v);) {
		struct adi_fd *f = v;
		char buf[ADI_PATH_BUF];
		char *np;

		if (!f->path || strncmp(f->path, from, fl) ||
		    (f->path[fl] != 0 && f->path[fl] != '/'))
			continue;
		if (snprintf(buf, sizeof(buf), "%s%s", to, f->path + fl) >= (int)sizeof(buf))
			continue;
		if ((np = strdup(buf))) {
			free(f->path);
			f->path = np;
		}
	}
}

void adi_file_path_event(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	char p1[ADI_PATH_BUF], p2[ADI_PATH_BUF];
	int r1 = 0, r2 = 0;
	const char *op = NULL;
	struct adi_event *out;
	struct adi_proc *p = adi_proc_get(e, f->pid);
	struct adi_fd *fd = NULL;
	bool ok = f->ret >= 0;

	p1[0] = p2[0] = 0;
	if (f->path_len)
		r1 = adi_resolve_at(e, f->pid, f->dfd, ev->path, f->path_len, p1, sizeof(p1));
	if (f->path2_len)
		r2 = adi_resolve_at(e, f->pid, f->dfd2, ev->path2, f->path2_len, p2, sizeof(p2));

	switch (f->op) {
	case ADI_OP_OPEN: case ADI_OP_OPENAT: case ADI_OP_OPENAT2: case ADI_OP_CREAT:
		op = "open";
		break;
	case ADI_OP_UNLINK: op = "unlink"; break;
	case ADI_OP_UNLINKAT: op = f->oflags & AT_REMOVEDIR_ ? "rmdir" : "unlink"; break;
	case ADI_OP_RENAME: case ADI_OP_RENAMEAT: case ADI_OP_RENAMEAT2: op = "rename"; break;
	case ADI_OP_MKDIR: case ADI_OP_MKDIRAT: op = "mkdir"; break;
	case ADI_OP_RMDIR: op = "rmdir"; break;
	case ADI_OP_TRUNCATE: case ADI_OP_FTRUNCATE: op = "truncate"; break;
	case ADI_OP_CHMOD: case ADI_OP_FCHMOD: case ADI_OP_FCHMODAT: op = "chmod"; break;
	case ADI_OP_CHOWN: case ADI_OP_FCHOWN: case ADI_OP_LCHOWN: case ADI_OP_FCHOWNAT:
		op = "chown";
		break;
	case ADI_OP_LINK: case ADI_OP_LINKAT: op = "link"; break;
	case ADI_OP_SYMLINK: case ADI_OP_SYMLINKAT: op = "symlink"; break;
	case ADI_OP_CHDIR:
		if (ok && p && !r1 && p1[0]) {
			free(p->cwd);
			p->cwd = strdup(p1);
		}
		return;
	case ADI_OP_FCHDIR:
		fd = adi_fd_get(e, f->pid, f->fd);
		if (ok && p && fd && fd->path) {
			char *c = strdup(fd->path);

			if (c) {
				free(p->cwd);
				p->cwd = c;
			}
		}
		return;
	default:
		return;
	}
	/* the f* forms name an fd: take its path, and they end its run of
	 * reads or writes (another operation on the fd) */
	if (f->op == ADI_OP_FTRUNCATE || f->op == ADI_OP_FCHMOD || f->op == ADI_OP_FCHOWN) {
		fd = adi_fd_get(e, f->pid, f->fd);
		if (fd && fd->agg.active)
			adi_file_agg_flush(e, fd);
		if (fd && fd->path)
			snprintf(p1, sizeof(p1), "%s", fd->path);
		else
			r1 = 1;
	}

	if (!strcmp(op, "open") && ok && p) {
		/* a successful open installs the fd even with --no-fs */
		struct adi_fd *nf = adi_fd_install(e, p, (int)f->ret,
						   f->fd_kind ? f->fd_kind : ADI_FD_REG,
						   r1 ? NULL : p1, f->ts_ns);

		if (nf) {
			nf->ino = f->ino;
			nf->cloexec = f->oflags & O_CLOEXEC_;
			nf->from_open = true;
			if (r1 && !nf->path)
				nf->path = strdup(p1);
		}
	}
	if (!strcmp(op, "rename") && ok && !r1 && !r2)
		rename_fds(e, p1, p2);
	if (e->o.no_fs)
		return;
	out = file_event(e, f, op, f->ts_ns);
	if (!out)
		return;
	if (f->op == ADI_OP_SYMLINK || f->op == ADI_OP_SYMLINKAT) {
		/* the target is stored verbatim: it is not resolved by us */
		adi_j_set(out->fields, "path", adi_j_bytes((const uint8_t *)ev->path, f->path_len));
		set_path(out, "new_path", p2, r2);
	} else {
		if (p1[0] || f->path_len)
			set_path(out, "path", p1, r1);
		if (f->path2_len)
			set_path(out, "new_path", p2, r2);
	}
	if (!strcmp(op, "open")) {
		char fb[256];

		adi_j_set_str(out->fields, "flags",
			      adi_open_flags_str(f->oflags, fb, sizeof(fb)));
		if (ok) {
			adi_j_set_int(out->fields, "fd", f->ret);
			if (f->ino) {
				set_mode(out, f->mode & 07777);
				set_owner(out, f->uid, f->gid);
			}
		} else if (f->oflags & (O_CREAT_ | O_TMPFILE_)) {
			set_mode(out, f->mode); /* the mode it asked for */
		}
	} else if (!strcmp(op, "mkdir") || !strcmp(op, "chmod")) {
		set_mode(out, f->mode);
	} else if (!strcmp(op, "chown")) {
		if (f->uid != UINT32_MAX)
			adi_j_set_int(out->fields, "uid", f->uid);
		if (f->gid != UINT32_MAX)
			adi_j_set_int(out->fields, "gid", f->gid);
	} else if (!strcmp(op, "truncate")) {
		adi_j_set_int(out->fields, "bytes", f->length);
	}
	if (f->fd >= 0 && strcmp(op, "open") &&
	    (f->op == ADI_OP_FTRUNCATE || f->op == ADI_OP_FCHMOD || f->op == ADI_OP_FCHOWN))
		adi_j_set_int(out->fields, "fd", f->fd);
	set_error(out, f->ret);
	adi_ev_push(e, out);
}

static void agg_link(struct adi_engine *e, struct adi_fd *f)
{
	f->anext = e->aggs;
	f->aprev = NULL;
	if (e->aggs)
		e->aggs->aprev = f;
	e->aggs = f;
}

static void agg_unlink(struct adi_engine *e, struct adi_fd *f)
{
	if (f->aprev)
		f->aprev->anext = f->anext;
	else if (e->aggs == f)
		e->aggs = f->anext;
	if (f->anext)
		f->anext->aprev = f->aprev;
	f->anext = f->aprev = NULL;
}

/* Write the merged run of f as one event and end it. */
void adi_file_agg_flush(struct adi_engine *e, struct adi_fd *f)
{
	struct adi_fagg *a = &f->agg;
	struct adi_raw_fixed who = { 0 };
	struct adi_event *ev;

	if (!a->active)
		return;
	agg_unlink(e, f);
	a->active = false;
	who.pid = f->pid;
	who.tid = a->tid;
	memcpy(who.comm, a->comm, sizeof(who.comm));
	who.cgroup_id = a->cgroup_id;
	ev = file_event(e, &who, a->write ? "write" : "read", a->ts);
	if (ev) {
		ev->duration_ns = a->last_ts - a->ts;
		if (f->path)
			adi_j_set_str(ev->fields, "path", f->path);
		adi_j_set_int(ev->fields, "fd", f->fd);
		set_mode(ev, a->mode & 07777);
		set_owner(ev, a->uid, a->gid);
		adi_j_set_int(ev->fields, "bytes", a->bytes);
		adi_j_set_int(ev->fields, "ops", a->ops);
		adi_j_set_bytes(ev->fields, "content", a->content, a->clen);
		if (a->content_gap)
			adi_j_set_bool(ev->fields, "content_partial", true);
		adi_ev_push(e, ev);
	}
	free(a->content);
	a->content = NULL;
	a->clen = 0;
}

void adi_file_io(struct adi_engine *e, struct adi_fd *f, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *r = &ev->f;
	struct adi_fagg *a = &f->agg;
	bool write = r->dir == ADI_DIR_OUT;
	uint32_t room;

	if (r->ret < 0) {
		/* a failed read/write is its own event, with its errno */
		struct adi_event *out;

		adi_file_agg_flush(e, f);
		out = file_event(e, r, write ? "write" : "read", r->ts_ns);
		if (!out)
			return;
		if (f->path)
			adi_j_set_str(out->fields, "path", f->path);
		adi_j_set_int(out->fields, "fd", f->fd);
		adi_j_set_int(out->fields, "bytes", 0);
		adi_j_set_int(out->fields, "ops", 1);
		set_error(out, r->ret);
		adi_ev_push(e, out);
		return;
	}
	if (a->active && a->write != write)
		adi_file_agg_flush(e, f);
	if (!a->active) {
		memset(a, 0, sizeof(*a));
		a->active = true;
		a->write = write;
		a->ts = r->ts_ns;
		a->tid = r->tid;
		memcpy(a->comm, r->comm, sizeof(a->comm));
		a->cgroup_id = r->cgroup_id;
		agg_link(e, f);
	}
	a->last_ts = r->ts_ns;
	a->bytes += r->size;
	a->ops++;
	a->uid = r->uid;
	a->gid = r->gid;
	a->mode = r->mode;
	room = e->o.content_bytes > a->clen ? e->o.content_bytes - a->clen : 0;
	if (room && r->size) {
		/* content is the start of the run: stop at the first call whose
		 * bytes we could not see, so the sample stays contiguous */
		if ((r->flags & ADI_RAW_NOPAYLOAD) || !ev->data || r->data_len == 0) {
			a->content_gap = true;
		} else if (!a->content_gap) {
			uint32_t n = r->data_len < room ? r->data_len : room;
			uint8_t *p = realloc(a->content, a->clen + n);

			if (p) {
				memcpy(p + a->clen, ev->data, n);
				a->content = p;
				a->clen += n;
			}
			if (r->data_len < r->size)
				a->content_gap = true;
		}
	}
}

void adi_file_close_event(struct adi_engine *e, struct adi_fd *f, uint64_t ts,
			  const struct adi_raw_fixed *why)
{
	struct adi_raw_fixed who = { 0 };
	struct adi_event *ev;
	struct adi_proc *p = adi_proc_get(e, f->pid);

	if (why) {
		who = *why;
	} else {
		who.pid = f->pid;
		who.tid = f->pid;
		if (p) {
			memcpy(who.comm, p->comm, sizeof(who.comm));
			who.cgroup_id = p->cgroup_id;
		}
	}
	who.pid = f->pid;
	ev = file_event(e, &who, "close", ts);
	if (!ev)
		return;
	adi_j_set_str(ev->fields, "path", f->path);
	adi_j_set_int(ev->fields, "fd", f->fd);
	adi_ev_push(e, ev);
}
