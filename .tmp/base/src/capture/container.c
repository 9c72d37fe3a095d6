/* container.c - container lookup for attach --container (container.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "container.h"
#include "procfs.h"
#include "../lib/json.h"
#include "../lib/util.h"

#define DOCKER_SOCK "/var/run/docker.sock"
#define HTTP_MAX_BODY (4u << 20)

int adi_unix_http_get(const char *sock, const char *path, int *status, char **body,
		      size_t *len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char req[1024], *buf = NULL, *p;
	size_t n = 0, cap = 0;
	int fd, rc = 0;

	*body = NULL;
	*len = 0;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a daemon that hangs must not hang the profiler */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		goto out;
	}
	n = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: docker\r\n"
			     "User-Agent: adi-profiler\r\n\r\n", path);
	if (n >= sizeof(req) || write(fd, req, n) != (ssize_t)n) {
		rc = n >= sizeof(req) ? -ENAMETOOLONG : -EIO;
		goto out;
	}
	n = 0;
	for (;;) {
		ssize_t k;

		if (n + 4096 + 1 > cap) {
			char *g;

			if (cap > HTTP_MAX_BODY) {
				rc = -EFBIG;
				goto out;
			}
			g = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (!g) {
				rc = -ENOMEM;
				goto out;
			}
			buf = g;
		}
		k = read(fd, buf + n, cap - n - 1);
		if (k < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1 || !(p = strstr(buf, "\r\n\r\n"))) {
		rc = -EPROTO;
		goto out;
	}
	p += 4;
	*len = n - (size_t)(p - buf);
	*body = malloc(*len + 1);
	if (!*body) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*body, p, *len);
	(*body)[*len] = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static const char *docker_socket(void)
{
	const char *h = getenv("DOCKER_HOST");

	if (h && !strncmp(h, "unix://", 7))
		return h + 7;
	if (h && *h)
		return NULL; /* tcp:// and ssh:// are not followed */
	return access(DOCKER_SOCK, F_OK) ? NULL : DOCKER_SOCK;
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 255)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* 1 found, 0 not known to Docker, -errno when the daemon failed. */
static int docker_lookup(const char *sock, const char *name, struct adi_container *out,
			 char *err, size_t errsz)
{
	char path[512];
	char *body = NULL;
	size_t len;
	int status = 0, rc;
	struct adi_jval *j;
	const char *id;

	snprintf(path, sizeof(path), "/containers/%s/json", name);
	rc = adi_unix_http_get(sock, path, &status, &body, &len);
	if (rc) {
		snprintf(err, errsz, "the Docker daemon at %s did not answer (%s)", sock,
			 strerror(-rc));
		return rc;
	}
	if (status == 404) {
		free(body);
		return 0;
	}
	j = status == 200 ? adi_json_parse(body, len) : NULL;
	free(body);
	id = adi_j_get_str(j, "Id", NULL);
	if (!j || !id || strlen(id) != 64) {
		snprintf(err, errsz, "the Docker daemon at %s answered %d without a container "
			 "id for %s", sock, status, name);
		adi_j_free(j);
		return -EPROTO;
	}
	memcpy(out->id, id, 65);
	out->pid = (uint32_t)adi_j_get_int(adi_j_get(j, "State"), "Pid", 0);
	out->via = "docker";
	adi_j_free(j);
	return 1;
}

/* Depth-first search of dir for directories whose name carries a 64-hex id
 * starting with prefix. Records the first match; counts distinct ids. */
static void cg_search(const char *dir, const char *prefix, struct adi_container *out,
		      int *distinct, int depth)
{
	struct dirent *de;
	char path[4096], id[65];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (adi_container_id(de->d_name, id) && !strncmp(id, prefix, strlen(prefix))) {
			if (!*distinct) {
				snprintf(out->cgdir, sizeof(out->cgdir), "%s", path);
				memcpy(out->id, id, 65);
				*distinct = 1;
			} else if (strcmp(out->id, id)) {
				(*distinct)++;
			}
			continue; /* a container's own sub-cgroups are its */
		}
		if (depth < 16)
			cg_search(path, prefix, out, distinct, depth + 1);
	}
	closedir(d);
}

int adi_container_find(const char *name, struct adi_container *out, char *err, size_t errsz)
{
	char root[4096], cg[4096];
	const char *sock = docker_socket();
	int distinct = 0, rc;
	bool hex = true;

	memset(out, 0, sizeof(*out));
	if (!name_ok(name)) {
		snprintf(err, errsz, "'%s' is not a container name or id", name);
		return -EINVAL;
	}
	if (adi_procfs_cgroup2_root(root, sizeof(root))) {
		snprintf(err, errsz, "no cgroup v2 hierarchy is mounted; attach --container "
			 "needs cgroup v2 (or the hybrid layout's /sys/fs/cgroup/unified)");
		return -ENOENT;
	}
	if (sock) {
		rc = docker_lookup(sock, name, out, err, errsz);
		if (rc < 0)
			return rc;
		if (rc == 1 && out->pid && !adi_procfs_cgroup(out->pid, cg, sizeof(cg))) {
			size_t rl = strlen(root), cl = strlen(cg);

			if (rl + cl < sizeof(out->cgdir)) {
				memcpy(out->cgdir, root, rl);
				memcpy(out->cgdir + rl, cg, cl + 1);
				if (!access(out->cgdir, F_OK))
					return 0;
			}
		}
		if (rc == 1)
			name = out->id; /* search the hierarchy by the full id */
	}
	for (const char *s = name; *s; s++)
		hex &= (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f');
	if (!hex || strlen(name) < 4) {
		snprintf(err, errsz, "no container named %s%s (without a container runtime "
			 "to ask, give at least 4 hex digits of its id)", name,
			 sock ? " is known to Docker" : "");
		return -ENOENT;
	}
	cg_search(root, name, out, &distinct, 0);
	if (distinct == 0) {
		snprintf(err, errsz, "no container with id %s%s was found under %s", name,
			 strlen(name) < 64 ? "..." : "", root);
		return -ENOENT;
	}
	if (distinct > 1) {
		snprintf(err, errsz, "the id prefix %s matches several containers; give more "
			 "digits", name);
		return -EEXIST;
	}
	if (!out->via)
		out->via = "cgroup";
	return 0;
}
