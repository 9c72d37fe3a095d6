/* container.h - find a container's cgroup from a name or an id prefix, for
 * `attach --container`: through the Docker Engine API on its Unix socket
 * when one is there (names, ids, the main process), otherwise by searching
 * the cgroup v2 hierarchy for a directory that carries the id (docker,
 * containerd/cri-containerd, cri-o, podman and kubepods layouts). */
#ifndef ADI_CONTAINER_H
#define ADI_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

struct adi_container {
	char id[65];            /* 64 hex digits */
	char cgdir[4096];       /* its cgroup v2 directory (absolute) */
	uint32_t pid;           /* main process when the runtime said, else 0 */
	const char *via;        /* "docker" or "cgroup" */
};

/* Look name up. 0, or -errno with one sentence for the user in err. The
 * Docker socket is $DOCKER_HOST when it is unix://PATH, else
 * /var/run/docker.sock. */
int adi_container_find(const char *name, struct adi_container *out, char *err, size_t errsz);

/* One GET over a Unix socket (HTTP/1.0, so the body ends at close): the
 * status code and a malloc'd body (caller frees). 0 or -errno. */
int adi_unix_http_get(const char *sock, const char *path, int *status, char **body,
		      size_t *len);

#endif
