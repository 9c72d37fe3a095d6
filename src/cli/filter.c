/* filter.c - the event filters of run, attach, replay, view and ui
 * (filter.h, docs/cli.md): parsing the options, matching an event by its
 * fields where they lie (lib/jw.h views), and the sink that applies them.
 * Owns nothing but the values' pointers into argv. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"
#include "../sink/proctree.h"

/* The families the kernel can leave out as a whole. */
#define FAM_FS 1u
#define FAM_NET 2u
#define FAM_PROC 4u

static const struct {
	const char *name;   /* as typed */
	const char *kind;   /* the event kind */
	unsigned fam;
} kinds[] = {
	{ "file", "file", FAM_FS },
	{ "process", "process", FAM_PROC }, { "proc", "process", FAM_PROC },
	{ "connection", "connection", FAM_NET }, { "conn", "connection", FAM_NET },
	{ "tcp_stream", "tcp_stream", FAM_NET }, { "tcp", "tcp_stream", FAM_NET },
	{ "http_request", "http_request", FAM_NET }, { "http", "http_request", FAM_NET },
	{ "grpc_call", "grpc_call", FAM_NET }, { "grpc", "grpc_call", FAM_NET },
	{ "sql_query", "sql_query", FAM_NET }, { "sql", "sql_query", FAM_NET },
	{ "db_session", "db_session", FAM_NET },
	{ "redis_command", "redis_command", FAM_NET }, { "redis", "redis_command", FAM_NET },
	{ "mongo_command", "mongo_command", FAM_NET }, { "mongo", "mongo_command", FAM_NET },
	{ "dns_query", "dns_query", FAM_NET }, { "dns", "dns_query", FAM_NET },
	{ "udp_datagram", "udp_datagram", FAM_NET }, { "udp", "udp_datagram", FAM_NET },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const char adi_filter_kinds_help[] =
	"file, process, connection, tcp_stream (tcp), http_request (http), grpc_call (grpc), "
	"sql_query (sql), db_session, redis_command (redis), mongo_command (mongo), dns_query (dns), "
	"udp_datagram (udp)";

static const char *const protocols[] = {
	"http", "http2", "grpc", "postgres", "mysql", "redis", "mongo", "dns",
};
#define N_PROTOS (sizeof(protocols) / sizeof(protocols[0]))

const char adi_filter_protocols_help[] =
	"http, http2, grpc, postgres, mysql, redis, mongo, dns";

void adi_filter_init(struct adi_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->slower_ns = -1;
}

static const char *kind_of(const char *name, size_t n)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (strlen(kinds[i].name) == n && !memcmp(kinds[i].name, name, n))
			return kinds[i].kind;
	return NULL;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* One value of a list, checked; the stored pointer is into argv (values
 * end at ',' or NUL: the matchers read only up to there). */
static int add_one(struct adi_filter *f, enum adi_filter_what what, const char *v, size_t n,
		   char *err, size_t errsz)
{
	if (!n) {
		snprintf(err, errsz, "an empty value in a filter list");
		return -EINVAL;
	}
	switch (what) {
	case ADI_F_KIND:
		if (!kind_of(v, n)) {
			snprintf(err, errsz, "--kind takes %s, not %.*s", adi_filter_kinds_help,
				 (int)n, v);
			return -EINVAL;
		}
		break;
	case ADI_F_PROTO: {
		bool ok = false;

		for (size_t i = 0; i < N_PROTOS && !ok; i++)
			ok = strlen(protocols[i]) == n && !memcmp(protocols[i], v, n);
		if (!ok) {
			snprintf(err, errsz, "--protocol takes %s, not %.*s",
				 adi_filter_protocols_help, (int)n, v);
			return -EINVAL;
		}
		break;
	}
	case ADI_F_PORT:
		if (!all_digits(v, n) || n > 5 || atoi(v) < 1 || atoi(v) > 65535) {
			snprintf(err, errsz, "--port takes a port number (1..65535), not %.*s",
				 (int)n, v);
			return -EINVAL;
		}
		break;
	case ADI_F_PID:
		if (!all_digits(v, n) || n > 7) {
			snprintf(err, errsz, "--pid takes a process id, not %.*s", (int)n, v);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	if (f->n[what] == ADI_FILTER_MAX) {
		snprintf(err, errsz, "at most %d values per filter", ADI_FILTER_MAX);
		return -EINVAL;
	}
	f->v[what][f->n[what]++] = v;
	f->active = true;
	return 0;
}

int adi_filter_add(struct adi_filter *f, enum adi_filter_what what, const char *arg,
		   char *err, size_t errsz)
{
	/* globs and text are taken whole: a comma may be part of them */
	if (what == ADI_F_PATH || what == ADI_F_XPATH || what == ADI_F_GREP ||
	    what == ADI_F_COMM)
		return add_one(f, what, arg, strlen(arg), err, errsz);
	for (const char *p = arg;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		int rc = add_one(f, what, p, n, err, errsz);

		if (rc)
			return rc;
		if (!c)
			return 0;
		p = c + 1;
	}
}

int adi_filter_duration(struct adi_filter *f, const char *arg, char *err, size_t errsz)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e6 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!errno && end != arg && v >= 0 && v < 1e9) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].unit)) {
				f->slower_ns = (int64_t)(v * units[i].ns + 0.5);
				f->active = true;
				return 0;
			}
	}
	snprintf(err, errsz, "--slower-than takes a duration such as 5ms, 250us or 1.5s, not %s",
		 arg);
	return -EINVAL;
}

/* ---- matching ---- */

/* The length of a list value (it ends at ',' or NUL). */
static size_t vlen(const char *v)
{
	return strcspn(v, ",");
}

/* A string member as a NUL-terminated copy in buf (cut to fit); false
 * when it is not a string. Escaped strings are decoded. */
static bool str_of(struct adi_jv v, char *buf, size_t bufsz)
{
	size_t n;
	const char *s = adi_jv_plain(v, &n);
	char *d = NULL;

	if (!s) {
		if (adi_jv_type(v) != ADI_J_STR || !(d = adi_jv_strdup(v, &n)))
			return false;
		s = d;
	}
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	free(d);
	return true;
}

static bool is(struct adi_jv v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n + 2 && v.p[0] == '"' && !memcmp(v.p + 1, s, n);
}

/* The family of a kind: what --no-fs, --no-net, --no-proc leave out
 * (kinds this table does not know are network events: the decoders'). */
static unsigned family(const char *kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (!strcmp(kinds[i].kind, kind))
			return kinds[i].fam;
	return FAM_NET;
}

static bool match_kind(const struct adi_filter *f, const char *kind)
{
	for (unsigned i = 0; i < f->n[ADI_F_KIND]; i++) {
		const char *k = kind_of(f->v[ADI_F_KIND][i], vlen(f->v[ADI_F_KIND][i]));

		if (k && kind && !strcmp(k, kind))
			return true;
	}
	return false;
}

static bool match_path(const char *const *globs, unsigned n, struct adi_jv fields)
{
	static const char *const keys[] = { "path", "new_path" };
	char path[4096];

	for (size_t k = 0; k < 2; k++) {
		if (!str_of(adi_jv_member(fields, keys[k]), path, sizeof(path)))
			continue;
		for (unsigned i = 0; i < n; i++)
			if (!fnmatch(globs[i], path, 0))
				return true;
	}
	return false;
}

/* The host and port of a conn end ("1.2.3.4:80", "[::1]:80", a unix
 * path): host into buf, the port (or -1). */
static long split_end(struct adi_jv v, char *host, size_t hostsz)
{
	char s[160], *colon;
	long port = -1;

	if (!str_of(v, s, sizeof(s)))
		return host[0] = '\0', -1;
	colon = strrchr(s, ':');
	if (colon && colon[1] && all_digits(colon + 1, strlen(colon + 1)) &&
	    (s[0] == '[' || !strchr(s, '/'))) {
		port = atol(colon + 1);
		*colon = '\0';
	}
	if (s[0] == '[' && colon && colon > s && colon[-1] == ']') {
		colon[-1] = '\0';
		snprintf(host, hostsz, "%s", s + 1);
	} else {
		snprintf(host, hostsz, "%s", s);
	}
	return port;
}

static bool match_conn(const struct adi_filter *f, struct adi_jv fields)
{
	struct adi_jv conn = adi_jv_member(fields, "conn");
	char host[2][160];
	long port[2];
	bool ok;

	if (adi_jv_type(conn) != ADI_J_OBJ)
		return false;
	port[0] = split_end(adi_jv_get(conn, "local"), host[0], sizeof(host[0]));
	port[1] = split_end(adi_jv_get(conn, "remote"), host[1], sizeof(host[1]));
	if (f->n[ADI_F_PORT]) {
		ok = false;
		for (unsigned i = 0; i < f->n[ADI_F_PORT] && !ok; i++) {
			long p = atol(f->v[ADI_F_PORT][i]);

			ok = p == port[0] || p == port[1];
		}
		if (!ok)
			return false;
	}
	if (f->n[ADI_F_HOST]) {
		ok = false;
		for (unsigned i = 0; i < f->n[ADI_F_HOST] && !ok; i++) {
			const char *h = f->v[ADI_F_HOST][i];
			size_t n = vlen(h);

			/* [::1] as typed matches ::1 as well */
			if (n > 2 && h[0] == '[' && h[n - 1] == ']') {
				h++;
				n -= 2;
			}
			for (int e = 0; e < 2 && !ok; e++)
				ok = strlen(host[e]) == n && !memcmp(host[e], h, n);
		}
		if (!ok)
			return false;
	}
	return true;
}

/* The event is of protocol p (a decoded kind, or a tcp_stream a decoder
 * claimed). */
static bool of_protocol(const char *p, size_t n, const char *kind, struct adi_jv fields)
{
	char name[16];

	if (n >= sizeof(name))
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	if (!strcmp(kind, "tcp_stream"))
		return is(adi_jv_member(fields, "protocol"), name);
	if (!strcmp(name, "http"))
		return !strcmp(kind, "http_request");
	if (!strcmp(name, "http2"))
		return !strcmp(kind, "grpc_call") ||
		       (!strcmp(kind, "http_request") && is(adi_jv_member(fields, "version"), "2"));
	if (!strcmp(name, "grpc"))
		return !strcmp(kind, "grpc_call");
	if (!strcmp(name, "postgres") || !strcmp(name, "mysql"))
		return (!strcmp(kind, "sql_query") || !strcmp(kind, "db_session")) &&
		       is(adi_jv_member(fields, "db"), name);
	if (!strcmp(name, "redis"))
		return !strcmp(kind, "redis_command");
	if (!strcmp(name, "mongo"))
		return !strcmp(kind, "mongo_command");
	if (!strcmp(name, "dns"))
		return !strcmp(kind, "dns_query");
	return false;
}

bool adi_filter_match(const struct adi_filter *f, const struct adi_event *ev)
{
	struct adi_jv fields = adi_event_fields(ev);
	const char *kind = ev->kind ? ev->kind : "";
	bool ok;

	if (!f->active || !strcmp(kind, "trace_summary"))
		return true;
	if (f->n[ADI_F_KIND] && !match_kind(f, kind))
		return false;
	if (f->no_fs || f->no_net || f->no_proc) {
		unsigned fam = family(kind);

		if ((f->no_fs && fam == FAM_FS) || (f->no_net && fam == FAM_NET) ||
		    (f->no_proc && fam == FAM_PROC))
			return false;
	}
	if (f->n[ADI_F_PID]) {
		ok = false;
		for (unsigned i = 0; i < f->n[ADI_F_PID] && !ok; i++) {
			unsigned long p = strtoul(f->v[ADI_F_PID][i], NULL, 10);

			ok = p == ev->pid || p == ev->tid;
		}
		if (!ok)
			return false;
	}
	if (f->n[ADI_F_COMM]) {
		char comm[sizeof(ev->comm) + 1];

		memcpy(comm, ev->comm, sizeof(ev->comm));
		comm[sizeof(ev->comm)] = '\0';
		ok = false;
		for (unsigned i = 0; i < f->n[ADI_F_COMM] && !ok; i++)
			ok = !fnmatch(f->v[ADI_F_COMM][i], comm, 0);
		if (!ok)
			return false;
	}
	if (f->slower_ns >= 0 && (ev->duration_ns < 0 || ev->duration_ns < f->slower_ns))
		return false;
	if (f->n[ADI_F_PATH] && (strcmp(kind, "file") ||
				 !match_path(f->v[ADI_F_PATH], f->n[ADI_F_PATH], fields)))
		return false;
	if (f->n[ADI_F_XPATH] && !strcmp(kind, "file") &&
	    match_path(f->v[ADI_F_XPATH], f->n[ADI_F_XPATH], fields))
		return false;
	if ((f->n[ADI_F_PORT] || f->n[ADI_F_HOST]) && !match_conn(f, fields))
		return false;
	if (f->n[ADI_F_PROTO]) {
		ok = false;
		for (unsigned i = 0; i < f->n[ADI_F_PROTO] && !ok; i++)
			ok = of_protocol(f->v[ADI_F_PROTO][i], vlen(f->v[ADI_F_PROTO][i]), kind,
					 fields);
		if (!ok)
			return false;
	}
	if (f->errors && !adi_event_failed(kind, fields))
		return false;
	if (f->n[ADI_F_GREP]) {
		ok = false;
		for (unsigned i = 0; i < f->n[ADI_F_GREP] && !ok; i++) {
			const char *g = f->v[ADI_F_GREP][i];
			size_t gl = strlen(g);

			ok = (ev->fields && memmem(ev->fields, ev->fields_len, g, gl)) ||
			     memmem(ev->comm, strnlen(ev->comm, sizeof(ev->comm)), g, gl) ||
			     strstr(kind, g);
		}
		if (!ok)
			return false;
	}
	return true;
}

void adi_filter_kernel(const struct adi_filter *f, bool *no_fs, bool *no_net, bool *no_proc)
{
	unsigned fam = FAM_FS | FAM_NET | FAM_PROC;

	if (f->n[ADI_F_KIND]) {
		fam = 0;
		for (unsigned i = 0; i < f->n[ADI_F_KIND]; i++) {
			const char *k = kind_of(f->v[ADI_F_KIND][i], vlen(f->v[ADI_F_KIND][i]));

			for (size_t j = 0; k && j < N_KINDS; j++)
				if (!strcmp(kinds[j].kind, k))
					fam |= kinds[j].fam;
		}
	}
	if (f->n[ADI_F_PATH])
		fam &= FAM_FS;
	if (f->n[ADI_F_PORT] || f->n[ADI_F_HOST] || f->n[ADI_F_PROTO])
		fam &= FAM_NET;
	if (!(fam & FAM_FS))
		*no_fs = true;
	if (!(fam & FAM_NET))
		*no_net = true;
	if (!(fam & FAM_PROC))
		*no_proc = true;
}

/* ---- the sink ---- */

struct filter_sink {
	struct adi_sink base; /* first */
	struct adi_sink *inner;
	const struct adi_filter *f;
};

static int fs_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct filter_sink *fs = (struct filter_sink *)s;

	return adi_filter_match(fs->f, ev) ? adi_sink_emit(fs->inner, ev) : 0;
}

static int fs_flush(struct adi_sink *s)
{
	return adi_sink_flush(((struct filter_sink *)s)->inner);
}

static void fs_free(struct adi_sink *s)
{
	adi_sink_free(((struct filter_sink *)s)->inner);
	free(s);
}

static uint64_t fs_lost(struct adi_sink *s)
{
	return adi_sink_lost(((struct filter_sink *)s)->inner);
}

struct adi_sink *adi_filter_sink_new(struct adi_sink *inner, const struct adi_filter *f)
{
	struct filter_sink *fs = calloc(1, sizeof(*fs));

	if (!fs) {
		errno = ENOMEM;
		return NULL;
	}
	fs->base.emit = fs_emit;
	fs->base.flush = fs_flush;
	fs->base.free = fs_free;
	fs->base.lost = fs_lost;
	fs->inner = inner;
	fs->f = f;
	return &fs->base;
}
