/* deps.c - what a traced program needs to run (docs/insight.md "deps"):
 * the services it called and served (address, protocol, server version),
 * per database its users, databases, tables by statement and prepared
 * statements, per Redis its commands and key patterns, per MongoDB its
 * collections, gRPC methods, HTTP hosts and routes; DNS names; the files
 * it read, wrote and created; the programs it ran. Collected event by
 * event (scan.c calls adi_deps_add), written as text or JSON.
 */
#include "ins_int.h"

#include <stdlib.h>
#include <string.h>

static void sent_fini(void *e)
{
	free(((struct adi_sent *)e)->extra);
}

static void svc_fini(void *e)
{
	struct adi_svc *s = e;

	for (int i = 0; i < ADI_SS_N; i++)
		adi_tab_fini(&s->sets[i], sent_fini);
	free(s->transport);
	free(s->address);
	free(s->protocols);
	free(s->version);
}

void adi_deps_init(struct adi_deps *d)
{
	adi_tab_init(&d->svcs, sizeof(struct adi_svc), ADI_INS_SVCS_MAX);
	adi_tab_init(&d->dns, sizeof(struct adi_sent), ADI_INS_SET_MAX);
	adi_tab_init(&d->exec, sizeof(struct adi_sent), ADI_INS_SET_MAX);
	for (int i = 0; i < ADI_FS_N; i++)
		adi_tab_init(&d->files[i], sizeof(struct adi_sent), ADI_INS_SET_MAX);
}

void adi_deps_fini(struct adi_deps *d)
{
	adi_tab_fini(&d->svcs, svc_fini);
	adi_tab_fini(&d->dns, sent_fini);
	adi_tab_fini(&d->exec, sent_fini);
	for (int i = 0; i < ADI_FS_N; i++)
		adi_tab_fini(&d->files[i], sent_fini);
}

struct adi_svc *adi_deps_svc(struct adi_deps *d, bool server, const char *transport,
			     const char *address)
{
	struct adi_sb k = { 0 };
	struct adi_svc *s;

	adi_sb_puts(&k, server ? "s" : "c");
	adi_sb_putc(&k, '\x1f');
	adi_sb_puts(&k, transport ? transport : "?");
	adi_sb_putc(&k, '\x1f');
	adi_sb_puts(&k, address ? address : "?");
	s = k.err ? NULL : adi_tab_get(&d->svcs, k.p, k.len, true);
	adi_sb_fini(&k);
	if (!s || s->transport)
		return s;
	s->server = server;
	s->transport = strdup(transport ? transport : "?");
	s->address = strdup(address ? address : "?");
	for (int i = 0; i < ADI_SS_N; i++)
		adi_tab_init(&s->sets[i], sizeof(struct adi_sent), ADI_INS_SET_MAX);
	return s;
}

/* An entry of a list, counted; NULL when it cannot be kept. */
static struct adi_sent *set_add(struct adi_tab *t, const char *s, size_t n)
{
	struct adi_sent *e = s ? adi_tab_get(t, s, n, true) : NULL;

	if (e)
		e->count++;
	return e;
}

static void set_adds(struct adi_tab *t, const char *s)
{
	if (s)
		set_add(t, s, strlen(s));
}

/* protocols: a comma-separated list, each once */
static void add_protocol(struct adi_svc *s, const char *p)
{
	size_t n = strlen(p), have = s->protocols ? strlen(s->protocols) : 0;
	char *q;

	for (const char *c = s->protocols; c && *c;) {
		size_t l = strcspn(c, ",");

		if (l == n && !memcmp(c, p, n))
			return;
		c += l + (c[l] == ',');
	}
	q = realloc(s->protocols, have + n + 2);
	if (!q)
		return;
	if (have)
		q[have++] = ',';
	memcpy(q + have, p, n + 1);
	s->protocols = q;
}

static void set_version(struct adi_svc *s, struct adi_jv v)
{
	size_t n;
	char *ver;

	if (s->version || adi_jv_type(v) != ADI_J_STR)
		return;
	ver = adi_jv_strdup(v, &n);
	if (ver && !*ver) {
		free(ver);
		ver = NULL;
	}
	s->version = ver;
}

static char *member_dup(const struct adi_fields *f, const char *k)
{
	size_t n;

	return adi_jv_strdup(adi_fget(f, k), &n);
}

struct tables_arg {
	struct adi_svc *s;
};

static void on_table(void *arg, const char *verb, const char *t, size_t tn)
{
	struct tables_arg *a = arg;
	struct adi_sent *e = set_add(&a->s->sets[ADI_SS_TABLE], t, tn);
	uint32_t bit = !strcmp(verb, "SELECT") ? ADI_STMT_SELECT :
		       !strcmp(verb, "INSERT") ? ADI_STMT_INSERT :
		       !strcmp(verb, "UPDATE") ? ADI_STMT_UPDATE :
		       !strcmp(verb, "DELETE") ? ADI_STMT_DELETE :
		       !strcmp(verb, "DDL") ? ADI_STMT_DDL : ADI_STMT_OTHER;

	if (e)
		e->bits |= bit;
}

static void sql_deps(struct adi_svc *s, const struct adi_fields *f, const struct adi_op *op)
{
	char *user = member_dup(f, "user"), *db = member_dup(f, "database");
	char *stmt = member_dup(f, "statement");
	struct tables_arg ta = { s };

	set_adds(&s->sets[ADI_SS_USER], user);
	set_adds(&s->sets[ADI_SS_DATABASE], db);
	set_version(s, adi_fget(f, "server_version"));
	if (op && op->label[0] != '(')
		adi_sql_tables(op->label, strlen(op->label), on_table, &ta);
	/* PostgreSQL names its prepared statements ("" is the unnamed one,
	 * re-prepared at will: not a dependency) */
	if (stmt && *stmt && op && op->label[0] != '(') {
		struct adi_sent *e = set_add(&s->sets[ADI_SS_PREPARED], stmt, strlen(stmt));

		if (e && !e->extra)
			e->extra = strdup(op->label);
	}
	free(user);
	free(db);
	free(stmt);
}

/* The patterns of a Redis operation's label ("GET user:*": after the
 * command words; EVAL's script first is not one). */
static void redis_deps(struct adi_svc *s, const struct adi_fields *f, const struct adi_op *op)
{
	char *cmd = member_dup(f, "command");
	const char *p;

	set_adds(&s->sets[ADI_SS_COMMAND], cmd);
	if (cmd && op && !strncmp(op->label, cmd, strlen(cmd))) {
		bool script = !strncmp(cmd, "EVAL", 4) || !strncmp(cmd, "FCALL", 5);

		p = op->label + strlen(cmd);
		while (*p == ' ') {
			size_t n;

			p++;
			n = strcspn(p, " ");
			if (script)
				script = false;
			else if (n && strncmp(p, "...", n))
				set_add(&s->sets[ADI_SS_KEY], p, n);
			p += n;
		}
	}
	/* HELLO answers with the server's version (a RESP3 map, or RESP2's
	 * flat array of names and values) */
	if (cmd && !strcmp(cmd, "HELLO")) {
		struct adi_jv r = adi_fget(f, "reply"), k, v, prev = { NULL, 0 };
		struct adi_jv_it it;

		if (adi_jv_type(r) == ADI_J_OBJ) {
			set_version(s, adi_jv_get(r, "version"));
		} else if (adi_jv_type(r) == ADI_J_ARR) {
			it = adi_jv_iter(r);
			while (adi_jv_next(&it, &k, &v)) {
				if (adi_jv_streq(prev, "version")) {
					set_version(s, v);
					break;
				}
				prev = v;
			}
		}
	}
	free(cmd);
}

static void mongo_deps(struct adi_svc *s, const struct adi_fields *f)
{
	char *db = member_dup(f, "database"), *coll = member_dup(f, "collection");
	char *op = member_dup(f, "op");

	set_adds(&s->sets[ADI_SS_COMMAND], op);
	if (db) {
		struct adi_sb b = { 0 };

		adi_sb_puts(&b, db);
		if (coll) {
			adi_sb_putc(&b, '.');
			adi_sb_puts(&b, coll);
		}
		if (!b.err)
			set_add(&s->sets[ADI_SS_COLLECTION], b.p, b.len);
		adi_sb_fini(&b);
	}
	if (op && (!strcmp(op, "buildInfo") || !strcmp(op, "buildinfo")))
		set_version(s, adi_jv_get(adi_fget(f, "reply"), "version"));
	free(db);
	free(coll);
	free(op);
}

static void http_deps(struct adi_svc *s, const struct adi_fields *f, const struct adi_op *op)
{
	if (s->server) {
		if (op)
			set_adds(&s->sets[ADI_SS_ROUTE], op->label);
		return;
	}
	{
		char *host = member_dup(f, "host"), *method = member_dup(f, "method");
		char *url = member_dup(f, "url");
		struct adi_sb b = { 0 };

		set_adds(&s->sets[ADI_SS_HOST], host);
		adi_sb_puts(&b, method ? method : "?");
		adi_sb_putc(&b, ' ');
		if (url)
			adi_fp_route(url, strlen(url), &b);
		else
			adi_sb_putc(&b, '?');
		if (!b.err)
			set_add(&s->sets[ADI_SS_ROUTE], b.p, b.len);
		adi_sb_fini(&b);
		set_version(s, adi_jv_get(adi_fget(f, "resp_headers"), "server"));
		free(host);
		free(method);
		free(url);
	}
}

/* A path that names a shared library (libc.so.6, x.cpython-311.so). */
static bool library(const char *path)
{
	const char *base = strrchr(path, '/'), *so;

	base = base ? base + 1 : path;
	so = strstr(base, ".so");
	return so && (so[3] == '\0' || so[3] == '.');
}

static void file_deps(struct adi_deps *d, const struct adi_fields *f)
{
	char *op = member_dup(f, "op"), *path = member_dup(f, "path");
	char *np = member_dup(f, "new_path"), *flags = member_dup(f, "flags");

	if (!op || adi_jv_type(adi_fget(f, "error")) == ADI_J_STR)
		goto done; /* what failed is no dependency (report: errors) */
	if (!strcmp(op, "read") && path)
		set_adds(&d->files[library(path) ? ADI_FS_LIBS : ADI_FS_READ], path);
	else if ((!strcmp(op, "write") || !strcmp(op, "truncate")) && path)
		set_adds(&d->files[ADI_FS_WRITTEN], path);
	else if (!strcmp(op, "open") && path && flags && strstr(flags, "O_DIRECTORY"))
		set_adds(&d->files[ADI_FS_DIRS], path);
	else if (!strcmp(op, "open") && path && flags && strstr(flags, "O_CREAT"))
		set_adds(&d->files[ADI_FS_CREATED], path);
	else if (!strcmp(op, "mkdir") && path)
		set_adds(&d->files[ADI_FS_CREATED], path);
	else if ((!strcmp(op, "rename") || !strcmp(op, "link") || !strcmp(op, "symlink")) && np)
		set_adds(&d->files[ADI_FS_CREATED], np);
done:
	free(op);
	free(path);
	free(np);
	free(flags);
}

static void exec_deps(struct adi_deps *d, const struct adi_fields *f)
{
	char *op = member_dup(f, "op"), *file = member_dup(f, "filename");

	if (op && file && !strcmp(op, "exec")) {
		struct adi_sent *e = set_add(&d->exec, file, strlen(file));
		struct adi_jv_it it = adi_jv_iter(adi_fget(f, "argv"));
		struct adi_jv k, v;
		size_t n;

		if (e && !e->extra && adi_jv_next(&it, &k, &v))
			e->extra = adi_jv_strdup(v, &n);
	}
	free(op);
	free(file);
}

static void dns_deps(struct adi_deps *d, const struct adi_fields *f)
{
	char *name = member_dup(f, "name");

	set_adds(&d->dns, name);
	free(name);
}

static const char *protocol_of(enum adi_kid kid, const struct adi_fields *f, struct adi_sb *tmp)
{
	const char *p;
	size_t n;

	switch (kid) {
	case ADI_K_HTTP:
		return adi_jv_streq(adi_fget(f, "version"), "2") ? "http2" : "http";
	case ADI_K_GRPC: return "grpc";
	case ADI_K_REDIS: return "redis";
	case ADI_K_MONGO: return "mongo";
	case ADI_K_DNS: return "dns";
	case ADI_K_SQL: case ADI_K_DBSESS: case ADI_K_TCP:
		p = adi_ins_str(adi_fget(f, kid == ADI_K_TCP ? "protocol" : "db"), tmp, &n);
		return p && strcmp(p, "unknown") ? p : NULL;
	default:
		return NULL;
	}
}

void adi_deps_add(struct adi_deps *d, enum adi_kid kid, const struct adi_fields *f,
		 const struct adi_op *op, struct adi_sb *tmp)
{
	struct adi_jv conn = adi_fget(f, "conn");
	struct adi_svc *s;
	const char *proto;
	char *tr, *addr;
	bool server;

	if (adi_jv_type(conn) != ADI_J_OBJ) {
		if (kid == ADI_K_FILE)
			file_deps(d, f);
		else if (kid == ADI_K_PROC)
			exec_deps(d, f);
		else if (kid == ADI_K_DNS)
			dns_deps(d, f);
		return;
	}
	server = adi_jv_streq(adi_jv_get(conn, "role"), "server");
	tr = adi_jv_strdup(adi_jv_get(conn, "transport"), &(size_t){ 0 });
	addr = adi_jv_strdup(adi_jv_get(conn, server ? "local" : "remote"), &(size_t){ 0 });
	s = adi_deps_svc(d, server, tr, addr);
	free(tr);
	free(addr);
	if (!s)
		return;
	s->events++;
	if (kid == ADI_K_CONN) {
		char *op_s = member_dup(f, "op");

		if (op_s && (!strcmp(op_s, "connect") || !strcmp(op_s, "accept"))) {
			s->connections++;
			if (adi_jv_type(adi_fget(f, "error")) == ADI_J_STR)
				s->failed++;
		}
		free(op_s);
		return;
	}
	proto = protocol_of(kid, f, tmp);
	if (proto)
		add_protocol(s, proto);
	if (kid == ADI_K_SQL || kid == ADI_K_DBSESS)
		sql_deps(s, f, op);
	else if (kid == ADI_K_REDIS)
		redis_deps(s, f, op);
	else if (kid == ADI_K_MONGO)
		mongo_deps(s, f);
	else if (kid == ADI_K_GRPC && op)
		set_adds(&s->sets[ADI_SS_METHOD], op->label);
	else if (kid == ADI_K_HTTP)
		http_deps(s, f, op);
	else if (kid == ADI_K_DNS)
		dns_deps(d, f);
}

/* ---- output ---- */

static int sent_by_key(const void *a, const void *b)
{
	return strcmp((*(const struct adi_sent *const *)a)->t.key,
		      (*(const struct adi_sent *const *)b)->t.key);
}

static int svc_order(const void *a, const void *b)
{
	const struct adi_svc *x = *(const struct adi_svc *const *)a;
	const struct adi_svc *y = *(const struct adi_svc *const *)b;

	if (x->server != y->server)
		return x->server ? 1 : -1;
	return strcmp(x->t.key, y->t.key);
}

static const char *const adi_stmt_names[] = { "SELECT", "INSERT", "UPDATE", "DELETE", "DDL",
					      "OTHER" };

static void stmts_json(struct adi_jw *w, uint32_t bits)
{
	adi_jw_arr(w);
	for (int i = 0; i < 6; i++)
		if (bits & (1u << i))
			adi_jw_str(w, adi_stmt_names[i]);
	adi_jw_arr_end(w);
}

/* A list as ["a", "b"] (style 0), or [{"name": .., ..., "count": ..}]:
 * 1 counts, 2 a table's statements, 3 a prepared statement's text, 4 a
 * program's argv[0]. An empty list is written only when always. */
static void set_json(struct adi_jw *w, const char *key, const struct adi_tab *t, int style,
		     bool always)
{
	void **v;

	if (!t->n) {
		if (always) {
			adi_jw_karr(w, key);
			adi_jw_arr_end(w);
		}
		return;
	}
	v = adi_tab_sorted(t, sent_by_key);
	if (!v)
		return;
	adi_jw_karr(w, key);
	for (size_t i = 0; i < t->n; i++) {
		const struct adi_sent *e = v[i];

		if (style == 0) {
			adi_jw_str(w, e->t.key);
			continue;
		}
		adi_jw_obj(w);
		adi_jw_kstr(w, "name", e->t.key);
		if (style == 2) {
			adi_jw_key(w, "statements");
			stmts_json(w, e->bits);
		} else if (style == 3) {
			adi_jw_kstr(w, "statement", e->extra);
		} else if (style == 4) {
			adi_jw_kstr(w, "argv0", e->extra);
		}
		adi_jw_ku64(w, "count", e->count);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static uint64_t dropped_of(const struct adi_deps *d)
{
	uint64_t n = d->svcs.dropped + d->dns.dropped + d->exec.dropped;

	for (int i = 0; i < ADI_FS_N; i++)
		n += d->files[i].dropped;
	for (size_t i = 0; i < d->svcs.n; i++)
		for (int k = 0; k < ADI_SS_N; k++)
			n += ((const struct adi_svc *)d->svcs.v[i])->sets[k].dropped;
	return n;
}

void adi_deps_json(const struct adi_deps *d, struct adi_jw *w)
{
	static const char *const fs_names[ADI_FS_N] = { "read", "written", "created",
							"directories", "libraries" };
	void **v = adi_tab_sorted(&d->svcs, svc_order);

	adi_jw_karr(w, "services");
	for (size_t i = 0; v && i < d->svcs.n; i++) {
		const struct adi_svc *s = v[i];

		adi_jw_obj(w);
		adi_jw_kstr(w, "role", s->server ? "server" : "client");
		adi_jw_kstr(w, "transport", s->transport);
		adi_jw_kstr(w, "address", s->address);
		adi_jw_karr(w, "protocols");
		for (const char *c = s->protocols; c && *c;) {
			size_t l = strcspn(c, ",");

			adi_jw_strn(w, c, l);
			c += l + (c[l] == ',');
		}
		adi_jw_arr_end(w);
		adi_jw_kstr(w, "version", s->version);
		adi_jw_ku64(w, "connections", s->connections);
		adi_jw_ku64(w, "failed_connects", s->failed);
		adi_jw_ku64(w, "events", s->events);
		set_json(w, "users", &s->sets[ADI_SS_USER], 0, false);
		set_json(w, "databases", &s->sets[ADI_SS_DATABASE], 0, false);
		set_json(w, "tables", &s->sets[ADI_SS_TABLE], 2, false);
		set_json(w, "prepared", &s->sets[ADI_SS_PREPARED], 3, false);
		set_json(w, "commands", &s->sets[ADI_SS_COMMAND], 1, false);
		set_json(w, "key_patterns", &s->sets[ADI_SS_KEY], 1, false);
		set_json(w, "collections", &s->sets[ADI_SS_COLLECTION], 1, false);
		set_json(w, "methods", &s->sets[ADI_SS_METHOD], 1, false);
		set_json(w, "hosts", &s->sets[ADI_SS_HOST], 1, false);
		set_json(w, "routes", &s->sets[ADI_SS_ROUTE], 1, false);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
	set_json(w, "dns", &d->dns, 0, true);
	adi_jw_kobj(w, "files");
	for (int i = 0; i < ADI_FS_N; i++)
		set_json(w, fs_names[i], &d->files[i], 0, true);
	adi_jw_obj_end(w);
	set_json(w, "executed", &d->exec, 4, true);
	adi_jw_ku64(w, "dropped", dropped_of(d));
}

static void set_text(FILE *f, const char *title, const struct adi_tab *t, bool counts)
{
	void **v;

	if (!t->n)
		return;
	v = adi_tab_sorted(t, sent_by_key);
	if (!v)
		return;
	fprintf(f, "    %s:", title);
	for (size_t i = 0; i < t->n; i++) {
		const struct adi_sent *e = v[i];

		if (counts)
			fprintf(f, "%s %s (%llu)", i ? "," : "", e->t.key, (unsigned long long)e->count);
		else
			fprintf(f, "%s %s", i ? "," : "", e->t.key);
	}
	fputc('\n', f);
	free(v);
}

static void tables_text(FILE *f, const struct adi_tab *t)
{
	void **v;

	if (!t->n)
		return;
	v = adi_tab_sorted(t, sent_by_key);
	if (!v)
		return;
	fputs("    tables:\n", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct adi_sent *e = v[i];
		bool first = true;

		fprintf(f, "      %-32s", e->t.key);
		for (int k = 0; k < 6; k++)
			if (e->bits & (1u << k)) {
				fprintf(f, "%s%s", first ? " " : ", ", adi_stmt_names[k]);
				first = false;
			}
		fputc('\n', f);
	}
	free(v);
}

/* entries of a file list the text shows (JSON has them all) */
#define ADI_DEPS_TEXT_FILES 40

static void files_text(FILE *f, const char *title, const struct adi_tab *t)
{
	void **v;

	if (!t->n)
		return;
	v = adi_tab_sorted(t, sent_by_key);
	if (!v)
		return;
	fprintf(f, "  %s (%zu):\n", title, t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct adi_sent *e = v[i];

		if (i == ADI_DEPS_TEXT_FILES) {
			fprintf(f, "    ... and %zu more (--format json lists them all)\n",
				t->n - i);
			break;
		}
		if (e->extra)
			fprintf(f, "    %s (%s)\n", e->t.key, e->extra);
		else
			fprintf(f, "    %s\n", e->t.key);
	}
	free(v);
}

void adi_deps_text(const struct adi_deps *d, FILE *f)
{
	void **v = adi_tab_sorted(&d->svcs, svc_order);
	uint64_t dropped = dropped_of(d);

	fputs("Services\n", f);
	if (!d->svcs.n)
		fputs("  (none)\n", f);
	for (size_t i = 0; v && i < d->svcs.n; i++) {
		const struct adi_svc *s = v[i];

		fprintf(f, "  %s %s %s %s", s->server ? "serves" : "calls ", s->transport,
			s->address, s->protocols ? s->protocols : "(protocol unknown)");
		if (s->version)
			fprintf(f, " (version %s)", s->version);
		fprintf(f, ": %llu connection%s", (unsigned long long)s->connections,
			s->connections == 1 ? "" : "s");
		if (s->failed)
			fprintf(f, ", %llu failed", (unsigned long long)s->failed);
		fputc('\n', f);
		set_text(f, "users", &s->sets[ADI_SS_USER], false);
		set_text(f, "databases", &s->sets[ADI_SS_DATABASE], false);
		tables_text(f, &s->sets[ADI_SS_TABLE]);
		set_text(f, "prepared", &s->sets[ADI_SS_PREPARED], false);
		set_text(f, "commands", &s->sets[ADI_SS_COMMAND], true);
		set_text(f, "key patterns", &s->sets[ADI_SS_KEY], true);
		set_text(f, "collections", &s->sets[ADI_SS_COLLECTION], true);
		set_text(f, "methods", &s->sets[ADI_SS_METHOD], true);
		set_text(f, "hosts", &s->sets[ADI_SS_HOST], true);
		set_text(f, "routes", &s->sets[ADI_SS_ROUTE], true);
	}
	free(v);
	if (d->dns.n)
		files_text(f, "DNS names", &d->dns);
	fputs("Files\n", f);
	files_text(f, "read", &d->files[ADI_FS_READ]);
	files_text(f, "written", &d->files[ADI_FS_WRITTEN]);
	files_text(f, "created", &d->files[ADI_FS_CREATED]);
	files_text(f, "directories listed", &d->files[ADI_FS_DIRS]);
	files_text(f, "libraries", &d->files[ADI_FS_LIBS]);
	fputs("Programs executed\n", f);
	if (!d->exec.n)
		fputs("  (none)\n", f);
	else
		files_text(f, "programs", &d->exec);
	if (dropped)
		fprintf(f, "(%llu entries not listed: lists are capped at %d)\n",
			(unsigned long long)dropped, ADI_INS_SET_MAX);
}
