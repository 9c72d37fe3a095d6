/* tables.c - the process table (pid -> comm, cwd, parent, fds) and the fd
 * table ((pid, fd) -> what it names, with a generation per open so a reused
 * number never mixes two files or connections). */
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"

static uint64_t fdkey(uint32_t pid, int fd)
{
	return (uint64_t)pid << 32 | (uint32_t)fd;
}

struct adi_proc *adi_proc_get(struct adi_engine *e, uint32_t pid)
{
	return adi_map_get(&e->procs, pid);
}

struct adi_proc *adi_proc_ensure(struct adi_engine *e, const struct adi_raw_fixed *f)
{
	struct adi_proc *p = adi_map_get(&e->procs, f->pid);

	if (p) {
		if (f->cgroup_id) /* META events do not know it */
			p->cgroup_id = f->cgroup_id;
		return p;
	}
	if (e->procs.len >= ADI_MAX_PROCS) {
		e->st.evicted++; /* untracked: its events still print, without cwd */
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = f->pid;
	p->ppid = f->ppid;
	memcpy(p->comm, f->comm, sizeof(p->comm));
	p->cgroup_id = f->cgroup_id;
	if (adi_map_put(&e->procs, p->pid, p)) {
		free(p);
		return NULL;
	}
	return p;
}

static void fd_unlink(struct adi_engine *e, struct adi_fd *f)
{
	struct adi_proc *p = adi_proc_get(e, f->pid);

	if (f->pprev)
		f->pprev->pnext = f->pnext;
	else if (p && p->fds == f)
		p->fds = f->pnext;
	if (f->pnext)
		f->pnext->pprev = f->pprev;
	adi_map_del(&e->fds, fdkey(f->pid, f->fd));
}

void adi_fd_set_conn(struct adi_engine *e, struct adi_fd *f, struct adi_conn *c)
{
	(void)e;
	if (f->conn == c)
		return;
	if (c)
		c->refs++;
	f->conn = c;
}

/* Close f: end its merged run, write the close event (files opened under
 * trace) when `event`, drop its connection reference, free it. */
void adi_fd_close(struct adi_engine *e, struct adi_fd *f, uint64_t ts, bool event,
		  const struct adi_raw_fixed *why)
{
	if (f->agg.active)
		adi_file_agg_flush(e, f);
	/* implicit closes (exit, exec, dup2 over it: why == NULL) are only
	 * worth a line for files the process opened itself, not for the
	 * stdio every process inherits */
	if (event && !e->o.no_fs && f->path && (why || f->from_open) &&
	    (f->kind == ADI_FD_REG || f->kind == ADI_FD_BLK))
		adi_file_close_event(e, f, ts, why);
	fd_unlink(e, f);
	if (f->conn)
		adi_conn_unref(e, f->conn, ts);
	free(f->agg.content);
	free(f->path);
	free(f);
}

struct adi_fd *adi_fd_get(struct adi_engine *e, uint32_t pid, int fd)
{
	return adi_map_get(&e->fds, fdkey(pid, fd));
}

struct adi_fd *adi_fd_install(struct adi_engine *e, struct adi_proc *p, int fd,
			      uint8_t kind, const char *path, uint64_t ts)
{
	struct adi_fd *old = adi_fd_get(e, p->pid, fd), *f;

	if (old) /* dup2 onto an open fd, or a close we never saw */
		adi_fd_close(e, old, ts, true, NULL);
	if (e->fds.len >= ADI_MAX_FDS) {
		e->st.evicted++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->pid = p->pid;
	f->fd = fd;
	f->gen = e->next_gen++;
	f->kind = kind;
	if (path && !(f->path = strdup(path))) {
		free(f);
		return NULL;
	}
	if (adi_map_put(&e->fds, fdkey(p->pid, fd), f)) {
		free(f->path);
		free(f);
		return NULL;
	}
	f->pnext = p->fds;
	if (p->fds)
		p->fds->pprev = f;
	p->fds = f;
	return f;
}

/* A process is gone: the kernel closed its fds (no close syscalls). */
void adi_proc_remove(struct adi_engine *e, struct adi_proc *p, uint64_t ts)
{
	while (p->fds)
		adi_fd_close(e, p->fds, ts, true, NULL);
	adi_map_del(&e->procs, p->pid);
	free(p->cwd);
	free(p);
}

void adi_tables_free(struct adi_engine *e)
{
	uint64_t k;
	void *v;

	for (size_t it = 0; adi_map_next(&e->fds, &it, &k, &v);) {
		struct adi_fd *f = v;

		free(f->agg.content);
		free(f->path);
		free(f);
	}
	for (size_t it = 0; adi_map_next(&e->procs, &it, &k, &v);) {
		struct adi_proc *p = v;

		free(p->cwd);
		free(p);
	}
	for (size_t it = 0; adi_map_next(&e->conns, &it, &k, &v);) {
		struct adi_conn *c = v;

		if (c->decoding)
			adi_pconn_finish(&c->pc, &e->pcfg, 0, NULL, NULL);
		free(c->s[0].preview);
		free(c->s[1].preview);
		free(c->conn_json);
		free(c);
	}
}
