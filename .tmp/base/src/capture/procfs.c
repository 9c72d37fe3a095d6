/* procfs.c - /proc and /sys/fs/cgroup readers for attach (procfs.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfs.h"

struct pp {
	uint32_t pid, ppid;
};

static int pp_cmp(const void *a, const void *b)
{
	const struct pp *x = a, *y = b;

	return x->ppid < y->ppid ? -1 : x->ppid > y->ppid;
}

/* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so the
 * fields after it are found from the last ')'. */
int adi_procfs_stat(uint32_t pid, char *state, uint32_t *ppid)
{
	char path[64], buf[1024], *p, st;
	uint32_t pp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %u", &st, &pp) != 2)
		return -EINVAL;
	if (state)
		*state = st;
	if (ppid)
		*ppid = pp;
	return 0;
}

int adi_procfs_tree(uint32_t root, uint32_t *out, size_t max)
{
	struct pp *all = NULL;
	size_t n = 0, cap = 0, found = 0;
	uint32_t *queue;
	size_t qh = 0, qt = 0;
	struct dirent *de;
	char path[64];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%u", root);
	if (access(path, F_OK))
		return -ESRCH;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint32_t pid, ppid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		if (adi_procfs_stat(pid, NULL, &ppid))
			continue;
		if (n == cap) {
			struct pp *g = realloc(all, (cap = cap ? cap * 2 : 512) * sizeof(*all));

			if (!g) {
				free(all);
				closedir(d);
				return -ENOMEM;
			}
			all = g;
		}
		all[n].pid = pid;
		all[n++].ppid = ppid;
	}
	closedir(d);
	qsort(all, n, sizeof(*all), pp_cmp);
	queue = malloc((n + 1) * sizeof(*queue));
	if (!queue) {
		free(all);
		return -ENOMEM;
	}
	queue[qt++] = root;
	/* breadth first over children found by binary search on ppid; a pid
	 * cannot repeat (each has one parent) */
	while (qh < qt) {
		uint32_t p = queue[qh++];
		size_t lo = 0, hi = n;

		if (found < max)
			out[found] = p;
		found++;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (all[mid].ppid < p)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && all[lo].ppid == p && qt <= n; lo++)
			if (all[lo].pid != p)
				queue[qt++] = all[lo].pid;
	}
	free(queue);
	free(all);
	return (int)found;
}

/* The socket inodes among pid's fds, sorted. */
static int socket_inodes(uint32_t pid, uint64_t **out, size_t *n)
{
	char dir[64], link[320], t[64];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned long long ino;
		ssize_t l;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		l = readlink(link, t, sizeof(t) - 1);
		if (l < 0)
			continue;
		t[l] = 0;
		if (sscanf(t, "socket:[%llu]", &ino) != 1)
			continue;
		if (*n == cap) {
			uint64_t *g = realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof(**out));

			if (!g)
				break;
			*out = g;
		}
		(*out)[(*n)++] = ino;
	}
	closedir(d);
	return 0;
}

static int has_ino(const uint64_t *v, size_t n, uint64_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == ino)
			return 1;
	return 0;
}

/* One /proc/PID/net/tcp{,6} table: "sl local rem st ... inode". Addresses
 * are hex words in host order as the kernel prints them. */
static void scan_table(const char *path, int v6, const uint64_t *inos, size_t nino,
		       struct adi_endpoint *out, size_t max, size_t *found)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned st, port;
		unsigned long long ino;
		char *colon;

		if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*s %*s %llu", local, &st,
			   &ino) != 3 || st != 0x0a || !has_ino(inos, nino, ino))
			continue;
		colon = strchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		if (*found < max) {
			struct adi_endpoint *ep = &out[*found];

			memset(ep, 0, sizeof(*ep));
			ep->family = v6 ? AF_INET6 : AF_INET;
			ep->port = (uint16_t)port;
			for (size_t w = 0; w < (v6 ? 4u : 1u); w++) {
				unsigned word;

				if (sscanf(local + w * 8, "%8x", &word) != 1)
					break;
				memcpy(ep->addr + w * 4, &word, 4);
			}
		}
		(*found)++;
	}
	fclose(f);
}

int adi_procfs_listening(uint32_t pid, struct adi_endpoint *out, size_t max)
{
	uint64_t *inos;
	size_t nino, found = 0;
	char path[64];
	int rc = socket_inodes(pid, &inos, &nino);

	if (rc)
		return rc;
	if (nino) {
		snprintf(path, sizeof(path), "/proc/%u/net/tcp", pid);
		scan_table(path, 0, inos, nino, out, max, &found);
		snprintf(path, sizeof(path), "/proc/%u/net/tcp6", pid);
		scan_table(path, 1, inos, nino, out, max, &found);
	}
	free(inos);
	return (int)found;
}

int adi_procfs_cgroup(uint32_t pid, char *buf, size_t bufsz)
{
	char path[64], line[4096], first[4096] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* "0::/path" is the unified (v2) hierarchy; on a v1 host the named
	 * hierarchies carry the same container path */
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *q;

		line[strcspn(line, "\n")] = 0;
		if (!p || !(q = strchr(p + 1, ':')))
			continue;
		if (!strncmp(line, "0::", 3)) {
			snprintf(buf, bufsz, "%s", q + 1);
			fclose(f);
			return 0;
		}
		if (!first[0] && strcmp(q + 1, "/"))
			snprintf(first, sizeof(first), "%s", q + 1);
	}
	fclose(f);
	if (!first[0])
		return -ENOENT;
	snprintf(buf, bufsz, "%s", first);
	return 0;
}

static void cgroup_walk(const char *dir, uint32_t *out, size_t max, size_t *found, int depth)
{
	char path[4096];
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (f) {
		unsigned pid;

		while (fscanf(f, "%u", &pid) == 1) {
			if (*found < max)
				out[*found] = pid;
			(*found)++;
		}
		fclose(f);
	}
	if (depth > 64 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cgroup_walk(path, out, max, found, depth + 1);
	}
	closedir(d);
}

int adi_procfs_cgroup_pids(const char *dir, uint32_t *out, size_t max)
{
	size_t found = 0;

	if (access(dir, F_OK))
		return -errno;
	cgroup_walk(dir, out, max, &found, 0);
	return (int)found;
}

int adi_procfs_cgroup2_root(char *buf, size_t bufsz)
{
	char dev[256], dir[4096], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, bufsz, "%s", dir);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

static bool cg_find_ino(char *path, size_t len, size_t cap, uint64_t id, int depth)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return false;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + 1 + nl >= cap)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nl + 1);
		if (de->d_ino == id ||
		    (depth < 32 && cg_find_ino(path, len + 1 + nl, cap, id, depth + 1))) {
			closedir(d);
			return true;
		}
		path[len] = 0;
	}
	closedir(d);
	return false;
}

int adi_procfs_cgroup_by_id(uint32_t pid, uint64_t id, char *buf, size_t bufsz)
{
	char root[4096], path[4096];
	struct stat st;
	size_t rl;

	if (adi_procfs_cgroup2_root(root, sizeof(root)))
		return -ENOENT;
	rl = strlen(root);
	if (!adi_procfs_cgroup(pid, buf, bufsz) && rl + strlen(buf) < sizeof(path)) {
		memcpy(path, root, rl);
		strcpy(path + rl, buf);
		if (!stat(path, &st) && st.st_ino == id)
			return 0;
	}
	memcpy(path, root, rl + 1);
	if (!cg_find_ino(path, rl, sizeof(path), id, 0))
		return -ENOENT;
	snprintf(buf, bufsz, "%s", path[rl] ? path + rl : "/");
	return 0;
}

uint64_t adi_procfs_cgroup_id(uint32_t pid)
{
	char root[4096], cg[4096], path[8200];
	struct stat st;

	if (adi_procfs_cgroup2_root(root, sizeof(root)) || adi_procfs_cgroup(pid, cg, sizeof(cg)))
		return 0;
	/* a v1 path (no "0::" line) names no v2 directory */
	snprintf(path, sizeof(path), "%s%s", root, cg);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return 0;
	return st.st_ino;
}

int adi_procfs_snapshot(struct adi_engine *eng, uint32_t pid, uint64_t wall_ns)
{
	char dir[64], link[128], target[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct adi_raw_event m = { 0 };
		struct stat st;
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t l;

		if (*end || fd < 0 || de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%ld", dir, fd);
		l = readlink(link, target, sizeof(target) - 1);
		if (l < 0)
			continue;
		target[l] = 0;
		m.f.family = ADI_RAW_META;
		m.f.op = ADI_META_FD;
		m.f.ts_ns = wall_ns;
		m.f.pid = m.f.tid = pid;
		m.f.fd = fd;
		m.f.fd2 = -1;
		m.f.fd_kind = stat(link, &st) ? ADI_FD_UNKNOWN : adi_mode_kind(st.st_mode);
		m.path = target;
		m.f.path_len = l;
		adi_engine_feed(eng, &m);
		n++;
	}
	closedir(d);
	return n;
}

int adi_procfs_resolve(void *arg, enum adi_meta_op what, uint32_t pid, int fd,
		       uint64_t cgroup_id, char *buf, size_t bufsz)
{
	char p[64];
	ssize_t n;

	(void)arg;
	if (what == ADI_META_FD)
		snprintf(p, sizeof(p), "/proc/%u/fd/%d", pid, fd);
	else if (what == ADI_META_CWD)
		snprintf(p, sizeof(p), "/proc/%u/cwd", pid);
	else if (what == ADI_META_CGROUP)
		return cgroup_id > 1 ? adi_procfs_cgroup_by_id(pid, cgroup_id, buf, bufsz)
				     : adi_procfs_cgroup(pid, buf, bufsz);
	else
		return -EINVAL;
	n = readlink(p, buf, bufsz - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}
