/* scan.c - events in, the insight model out (ins_int.h): each event is
 * read once, in trace order. Operations are grouped by fingerprint; a
 * request a program served stays open until the trace passes its end,
 * and the work that names it (parent_id) is summed into its breakdown and
 * watched for N+1 loops and repeats; errors, the slowest operations, time
 * per process and dependencies are collected on the way. Owns the model's
 * life (new/free); writing it out is report.c's, deps.c's and diff.c's.
 */
#include "ins_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* open requests are checked for their end this often (events) */
#define ADI_INS_SWEEP_EVERY 256
/* arguments of a Redis command the fingerprint looks at */
#define ADI_INS_REDIS_ARGS 64

static void op_fini(void *e)
{
	struct adi_op *op = e;

	free(op->system);
	free(op->label);
	adi_dist_fini(&op->d);
}

static void err_fini(void *e)
{
	struct adi_err *er = e;

	free(er->category);
	free(er->what);
	free(er->message);
}

struct adi_insight *adi_insight_new(const struct adi_insight_opts *o)
{
	struct adi_insight *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	if (o)
		in->o = *o;
	if (!in->o.n1_min)
		in->o.n1_min = 5;
	if (!in->o.top)
		in->o.top = 10;
	adi_tab_init(&in->ops, sizeof(struct adi_op), ADI_INS_OPS_MAX);
	adi_tab_init(&in->pairs, sizeof(struct adi_pair), ADI_INS_PAIRS_MAX);
	adi_tab_init(&in->findings, sizeof(struct adi_finding), ADI_INS_FINDINGS_MAX);
	adi_tab_init(&in->errors, sizeof(struct adi_err), ADI_INS_ERRORS_MAX);
	adi_deps_init(&in->deps);
	in->slow = calloc(in->o.top, sizeof(*in->slow));
	if (!in->slow || adi_map_init(&in->parents) || adi_map_init(&in->procs) ||
	    in->ops.err || in->pairs.err || in->findings.err || in->errors.err ||
	    in->deps.svcs.err) {
		adi_insight_free(in);
		return NULL;
	}
	return in;
}

static void parent_free(struct adi_parent *p)
{
	free(p->tr);
	free(p);
}

void adi_insight_free(struct adi_insight *in)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	if (!in)
		return;
	adi_tab_fini(&in->ops, op_fini);
	adi_tab_fini(&in->pairs, NULL);
	adi_tab_fini(&in->findings, NULL);
	adi_tab_fini(&in->errors, err_fini);
	while (adi_map_next(&in->parents, &it, &k, &v))
		parent_free(v);
	adi_map_fini(&in->parents);
	it = 0;
	while (adi_map_next(&in->procs, &it, &k, &v))
		free(v);
	adi_map_fini(&in->procs);
	for (size_t i = 0; i < in->nslow; i++)
		free(in->slow[i].label);
	free(in->slow);
	adi_deps_fini(&in->deps);
	adi_sb_fini(&in->tmp);
	adi_sb_fini(&in->tmp2);
	free(in);
}

/* ---- small readers ---- */

static uint64_t ev_dur(const struct adi_event *ev)
{
	return ev->duration_ns > 0 ? (uint64_t)ev->duration_ns : 0;
}

/* The member's string copied (NULL when it is not one); the caller frees. */
static char *str_dup(const struct adi_fields *f, const char *k)
{
	size_t n;

	return adi_jv_strdup(adi_fget(f, k), &n);
}

static struct adi_proc_ins *proc_of(struct adi_insight *in, const struct adi_event *ev)
{
	struct adi_proc_ins *p = adi_map_get(&in->procs, ev->pid);

	if (p) {
		/* the name after exec: a forked shell that became `id` */
		memcpy(p->comm, ev->comm, sizeof(p->comm));
		return p;
	}
	if (!ev->pid)
		return p;
	if (in->procs.len >= ADI_INS_PROCS_MAX) {
		in->procs_dropped++;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p || adi_map_put(&in->procs, ev->pid, p)) {
		free(p);
		in->err = -ENOMEM;
		return NULL;
	}
	p->pid = ev->pid;
	memcpy(p->comm, ev->comm, sizeof(p->comm));
	return p;
}

/* ---- operations ---- */

static struct adi_op *op_get(struct adi_insight *in, enum adi_opc cls, enum adi_fam fam,
			     bool served_side, const char *system, const char *label)
{
	char c[3] = { (char)('0' + cls), served_side ? 's' : 'c', '\0' };
	const char *parts[3] = { c, system, label };
	struct adi_op *op;

	adi_ins_key(&in->tmp2, parts, 3);
	if (in->tmp2.err)
		return NULL;
	op = adi_tab_get(&in->ops, in->tmp2.p, in->tmp2.len, true);
	if (!op || op->system)
		return op;
	op->cls = (uint8_t)cls;
	op->fam = (uint8_t)fam;
	op->served_side = served_side;
	op->system = strdup(system);
	op->label = strdup(label);
	if (!op->system || !op->label)
		in->err = -ENOMEM;
	return op;
}

static void error_add(struct adi_insight *in, const char *category, const char *what,
		      const char *message, uint64_t id)
{
	const char *parts[2] = { category, what };
	struct adi_err *er;

	adi_ins_key(&in->tmp2, parts, 2);
	if (in->tmp2.err || !(er = adi_tab_get(&in->errors, in->tmp2.p, in->tmp2.len, true)))
		return;
	if (!er->category) {
		er->category = strdup(category);
		er->what = strdup(what);
		er->message = message ? strdup(message) : NULL;
		er->example_id = id;
	}
	er->count++;
}

/* HTTP: "GET /users/:id" served, "GET host/users/:id" called. */
static struct adi_op *http_op(struct adi_insight *in, const struct adi_event *ev,
			      const struct adi_fields *f, bool server, uint64_t *param)
{
	struct adi_jv url = adi_fget(f, "url");
	char *method = str_dup(f, "method"), *u = str_dup(f, "url"), *host = NULL;
	struct adi_sb *b = &in->tmp;
	struct adi_op *op;
	size_t n = 0;

	(void)ev;
	adi_sb_reset(b);
	adi_sb_puts(b, method ? method : "?");
	adi_sb_putc(b, ' ');
	if (!server) {
		host = str_dup(f, "host");
		if (!host) {
			size_t hn;

			host = adi_jv_strdup(adi_jv_get(adi_fget(f, "conn"), "remote"), &hn);
		}
		adi_sb_puts(b, host ? host : "?");
	}
	if (u)
		n = strlen(u);
	if (u)
		adi_fp_route(u, n, b);
	else
		adi_sb_puts(b, server ? "?" : "/?");
	*param = adi_hash(ADI_HASH0, url.p, url.n);
	op = b->err ? NULL
		    : op_get(in, server ? ADI_OPC_SERVED : ADI_OPC_CALLED, ADI_FAM_HTTP, server,
			     "http", b->p);
	free(method);
	free(u);
	free(host);
	return op;
}

static struct adi_op *grpc_op(struct adi_insight *in, const struct adi_fields *f, bool server,
			      uint64_t *param)
{
	struct adi_jv m = adi_fget(f, "req_messages");
	char *method = str_dup(f, "method");
	struct adi_op *op;

	*param = adi_hash(ADI_HASH0, m.p, m.n);
	op = op_get(in, server ? ADI_OPC_SERVED : ADI_OPC_CALLED, ADI_FAM_GRPC, server, "grpc",
		    method ? method : "?");
	free(method);
	return op;
}

static struct adi_op *sql_op(struct adi_insight *in, const struct adi_fields *f, bool server,
			     uint64_t *param)
{
	struct adi_jv sql = adi_fget(f, "sql"), params = adi_fget(f, "params");
	char *db = str_dup(f, "db");
	const char *system = db ? db : "sql";
	struct adi_sb *b = &in->tmp;
	struct adi_op *op;
	uint64_t consts = ADI_HASH0;
	size_t n;
	const char *s;

	adi_sb_reset(b);
	/* the text goes through tmp2 when it has escapes: the fingerprint is
	 * written into tmp */
	s = adi_ins_str(sql, &in->tmp2, &n);
	if (s) {
		adi_fp_sql(s, n, db && !strcmp(db, "mysql") ? ADI_SQL_MYSQL : ADI_SQL_POSTGRES, b,
			   &consts);
	} else {
		/* no statement text: what the protocol says it was */
		char *what = str_dup(f, "command");

		if (!what)
			what = str_dup(f, "op");
		adi_sb_putc(b, '(');
		adi_sb_puts(b, what ? what : "statement not seen");
		adi_sb_putc(b, ')');
		free(what);
	}
	*param = adi_hash(consts, params.p, params.n);
	op = b->err ? NULL : op_get(in, ADI_OPC_QUERY, ADI_FAM_SQL, server, system, b->p);
	free(db);
	return op;
}

static struct adi_op *redis_op(struct adi_insight *in, const struct adi_fields *f, bool server,
			       uint64_t *param)
{
	struct adi_slice a[ADI_INS_REDIS_ARGS];
	char *own[ADI_INS_REDIS_ARGS];
	char *cmd = str_dup(f, "command");
	struct adi_jv_it it = adi_jv_iter(adi_fget(f, "args"));
	struct adi_jv k, v;
	struct adi_op *op;
	size_t na = 0;

	while (na < ADI_INS_REDIS_ARGS && adi_jv_next(&it, &k, &v)) {
		size_t n = 0;
		const char *s = adi_jv_plain(v, &n);

		own[na] = NULL;
		if (!s) {
			own[na] = adi_jv_strdup(v, &n);
			s = own[na] ? own[na] : "";
		}
		a[na++] = (struct adi_slice){ s, n };
	}
	adi_sb_reset(&in->tmp);
	if (cmd)
		adi_fp_redis(cmd, a, na, &in->tmp, param);
	else
		adi_sb_puts(&in->tmp, "(push)");
	op = in->tmp.err ? NULL : op_get(in, ADI_OPC_QUERY, ADI_FAM_REDIS, server, "redis",
					 in->tmp.p);
	for (size_t i = 0; i < na; i++)
		free(own[i]);
	free(cmd);
	return op;
}

static struct adi_op *mongo_op(struct adi_insight *in, const struct adi_fields *f, bool server,
			       uint64_t *param)
{
	char *op_s = str_dup(f, "op"), *db = str_dup(f, "database"), *coll = str_dup(f, "collection");
	struct adi_jv c = adi_fget(f, "command");
	struct adi_op *op;

	adi_sb_reset(&in->tmp);
	adi_fp_mongo(op_s, db, coll, c.p, c.n, &in->tmp, param);
	op = in->tmp.err ? NULL : op_get(in, ADI_OPC_QUERY, ADI_FAM_MONGO, server, "mongo",
					 in->tmp.p);
	free(op_s);
	free(db);
	free(coll);
	return op;
}

static enum adi_fam fam_of(enum adi_kid kid)
{
	switch (kid) {
	case ADI_K_SQL: case ADI_K_DBSESS: return ADI_FAM_SQL; /* a login is database time */
	case ADI_K_REDIS: return ADI_FAM_REDIS;
	case ADI_K_MONGO: return ADI_FAM_MONGO;
	case ADI_K_HTTP: return ADI_FAM_HTTP;
	case ADI_K_GRPC: return ADI_FAM_GRPC;
	case ADI_K_FILE: return ADI_FAM_FILE;
	default: return ADI_FAM_OTHER;
	}
}

/* An exchange that ended with status st: grouped as "<label> -> st". */
static void status_error(struct adi_insight *in, const char *category, const struct adi_op *op,
			 int64_t st, const char *msg, uint64_t id)
{
	char what[32];

	snprintf(what, sizeof(what), " -> %lld", (long long)st);
	adi_sb_reset(&in->tmp);
	adi_sb_puts(&in->tmp, op->label);
	adi_sb_puts(&in->tmp, what);
	error_add(in, category, in->tmp.p, msg, id);
}

/* Outcome of an exchange: its errors, counted and grouped. */
static void outcome(struct adi_insight *in, const struct adi_event *ev, const struct adi_fields *f,
		    struct adi_op *op)
{
	bool served = op->cls == ADI_OPC_SERVED || op->served_side;
	char *msg = NULL;

	if (op->fam == ADI_FAM_HTTP) {
		struct adi_jv st = adi_fget(f, "status");
		int64_t s = adi_jv_int(st, -1);

		if (adi_jv_type(st) != ADI_J_INT) {
			op->no_reply++;
			error_add(in, served ? "no_response_served" : "no_response_called",
				  op->label, NULL, ev->id);
		} else if (s >= 500) {
			op->errors++;
			status_error(in, served ? "http_5xx_served" : "http_5xx_called", op, s, NULL,
				     ev->id);
		} else if (s >= 400) {
			op->client_errors++;
			status_error(in, served ? "http_4xx_served" : "http_4xx_called", op, s, NULL,
				     ev->id);
		}
		return;
	}
	if (op->fam == ADI_FAM_GRPC) {
		struct adi_jv st = adi_fget(f, "status");

		if (adi_jv_type(st) != ADI_J_INT) {
			op->no_reply++;
		} else if (adi_jv_int(st, 0) != 0) {
			op->errors++;
			msg = str_dup(f, "grpc_message");
			status_error(in, "grpc", op, adi_jv_int(st, 0), msg, ev->id);
		}
		free(msg);
		return;
	}
	if (op->fam == ADI_FAM_SQL) {
		struct adi_jv e = adi_fget(f, "error");
		char *code;

		if (adi_jv_type(e) != ADI_J_OBJ)
			return;
		op->errors++;
		code = adi_jv_strdup(adi_jv_get(e, "code"), &(size_t){ 0 });
		msg = adi_jv_strdup(adi_jv_get(e, "message"), &(size_t){ 0 });
		adi_sb_reset(&in->tmp);
		adi_sb_puts(&in->tmp, op->system);
		adi_sb_putc(&in->tmp, ' ');
		adi_sb_puts(&in->tmp, code ? code : "?");
		adi_sb_puts(&in->tmp, ": ");
		adi_sb_puts(&in->tmp, op->label);
		error_add(in, "sql", in->tmp.p, msg, ev->id);
		free(code);
		free(msg);
		return;
	}
	if (op->fam == ADI_FAM_REDIS || op->fam == ADI_FAM_MONGO) {
		struct adi_jv ok = adi_fget(f, "ok");

		msg = str_dup(f, "error");
		if (!msg && !(op->fam == ADI_FAM_MONGO && adi_jv_type(ok) == ADI_J_BOOL &&
			      !adi_jv_bool(ok, true)))
			return;
		op->errors++;
		adi_sb_reset(&in->tmp);
		adi_sb_puts(&in->tmp, op->label);
		if (msg && op->fam == ADI_FAM_REDIS) {
			/* the error's code word groups it: WRONGTYPE, NOAUTH... */
			adi_sb_puts(&in->tmp, ": ");
			adi_sb_put(&in->tmp, msg, strcspn(msg, " "));
		}
		error_add(in, op->fam == ADI_FAM_REDIS ? "redis" : "mongo", in->tmp.p, msg, ev->id);
		free(msg);
	}
}

/* The operation a protocol event is (NULL for another kind, or when it
 * could not be kept). */
static struct adi_op *proto_op(struct adi_insight *in, const struct adi_event *ev,
			       enum adi_kid kid, const struct adi_fields *f, bool server,
			       uint64_t *param)
{
	*param = 0;
	switch (kid) {
	case ADI_K_HTTP: return http_op(in, ev, f, server, param);
	case ADI_K_GRPC: return grpc_op(in, f, server, param);
	case ADI_K_SQL: return sql_op(in, f, server, param);
	case ADI_K_REDIS: return redis_op(in, f, server, param);
	case ADI_K_MONGO: return mongo_op(in, f, server, param);
	default: return NULL;
	}
}

/* ---- the slowest operations: a min-heap of o.top on duration ---- */

static bool slow_less(const struct adi_slow *a, const struct adi_slow *b)
{
	return a->ns != b->ns ? a->ns < b->ns : a->id > b->id;
}

static void slow_sift(struct adi_slow *h, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		struct adi_slow t;

		if (c >= n)
			return;
		if (c + 1 < n && slow_less(&h[c + 1], &h[c]))
			c++;
		if (!slow_less(&h[c], &h[i]))
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

/* The kind as a static string (an event read back lends its kind only
 * until the next one). */
static const char *static_kind(const char *k)
{
	static const char *const kinds[] = {
		"http_request", "grpc_call", "sql_query", "redis_command", "mongo_command",
		"dns_query", "file",
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(k, kinds[i]))
			return kinds[i];
	return "other";
}

static void slow_add(struct adi_insight *in, const struct adi_event *ev, const char *label,
		     uint64_t parent_id)
{
	struct adi_slow s = { ev_dur(ev), ev->id, parent_id, static_kind(ev->kind), NULL,
			      ev->pid };

	if (in->nslow == in->o.top && !slow_less(&in->slow[0], &s))
		return;
	s.label = strdup(label);
	if (!s.label)
		return;
	if (in->nslow < in->o.top) {
		size_t i = in->nslow++;

		in->slow[i] = s;
		while (i > 0 && slow_less(&in->slow[i], &in->slow[(i - 1) / 2])) {
			struct adi_slow t = in->slow[i];

			in->slow[i] = in->slow[(i - 1) / 2];
			in->slow[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
		return;
	}
	free(in->slow[0].label);
	in->slow[0] = s;
	slow_sift(in->slow, in->nslow, 0);
}

/* ---- requests and their work ---- */

static void finding_add(struct adi_insight *in, enum adi_find type, const struct adi_parent *p,
			const struct adi_track *t)
{
	const char *parts[3] = { adi_find_names[type], p->ep ? p->ep->t.key : "", t->op->t.key };
	struct adi_finding *fd;

	adi_ins_key(&in->tmp2, parts, 3);
	if (in->tmp2.err || !(fd = adi_tab_get(&in->findings, in->tmp2.p, in->tmp2.len, true)))
		return;
	fd->type = (uint8_t)type;
	fd->ep = p->ep;
	fd->op = t->op;
	fd->occurrences++;
	if (t->n > fd->max_n) {
		fd->max_n = t->n;
		fd->parent_id = p->id;
		fd->source_id = t->first_id;
		fd->total_ns = t->total_ns;
	}
}

static void pair_add(struct adi_insight *in, struct adi_op *ep, const struct adi_track *t)
{
	struct adi_pair *pr;

	adi_sb_reset(&in->tmp2);
	adi_sb_put(&in->tmp2, ep->t.key, ep->t.klen);
	adi_sb_putc(&in->tmp2, '\x1e');
	adi_sb_put(&in->tmp2, t->op->t.key, t->op->t.klen);
	if (in->tmp2.err || !(pr = adi_tab_get(&in->pairs, in->tmp2.p, in->tmp2.len, true)))
		return;
	pr->ep = ep;
	pr->op = t->op;
	pr->n += t->n;
	pr->requests++;
}

/* A request the trace has passed the end of: its breakdown summed into
 * its endpoint, its repeated work judged. */
static void parent_close(struct adi_insight *in, struct adi_parent *p)
{
	uint64_t dur = p->end - p->start;
	uint64_t self = dur > p->covered_ns ? dur - p->covered_ns : 0;
	struct adi_proc_ins *pr = adi_map_get(&in->procs, p->pid);

	adi_map_del(&in->parents, p->id);
	if (p->ep) {
		p->ep->closed++;
		p->ep->self_ns += self;
		for (int k = 0; k < ADI_FAM_N; k++) {
			p->ep->fam_ns[k] += p->fam_ns[k];
			p->ep->fam_n[k] += p->fam_n[k];
		}
	}
	if (pr)
		pr->self_ns += self;
	for (uint32_t i = 0; i < p->ntr; i++) {
		const struct adi_track *t = &p->tr[i];

		if (p->ep && t->op->cls != ADI_OPC_FILE)
			pair_add(in, p->ep, t);
		if (t->n < in->o.n1_min || t->overlap)
			continue;
		if (t->op->cls == ADI_OPC_FILE)
			finding_add(in, ADI_FIND_FILE, p, t);
		else
			finding_add(in, t->distinct > 1 ? ADI_FIND_N1 : ADI_FIND_REPEAT, p, t);
	}
	parent_free(p);
}

static void sweep(struct adi_insight *in, uint64_t now)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	while (adi_map_next(&in->parents, &it, &k, &v))
		if (((struct adi_parent *)v)->end < now)
			parent_close(in, v);
	in->since_sweep = 0;
}

static void parent_open(struct adi_insight *in, const struct adi_event *ev, struct adi_op *ep)
{
	struct adi_parent *p;

	in->requests++;
	if (!ev->id || adi_map_get(&in->parents, ev->id))
		return;
	if (in->parents.len >= ADI_INS_PARENTS_MAX) {
		in->parents_dropped++;
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p || adi_map_put(&in->parents, ev->id, p)) {
		free(p);
		in->err = -ENOMEM;
		return;
	}
	p->id = ev->id;
	p->start = ev->ts_ns;
	p->end = ev->ts_ns + ev_dur(ev);
	p->covered_until = p->start;
	p->pid = ev->pid;
	p->ep = ep;
}

/* An operation under p: repeated ones are watched (N+1). */
static void track(struct adi_parent *p, struct adi_op *op, const struct adi_event *ev,
		  uint64_t param)
{
	struct adi_track *t = NULL;
	uint64_t s = ev->ts_ns, e = ev->ts_ns + ev_dur(ev);

	for (uint32_t i = 0; i < p->ntr; i++)
		if (p->tr[i].op == op) {
			t = &p->tr[i];
			break;
		}
	if (!t) {
		if (p->ntr == ADI_INS_TRACKS_MAX) {
			p->tr_full = true;
			return;
		}
		if (p->ntr == p->captr) {
			uint32_t cap = p->captr ? p->captr * 2 : 4;
			struct adi_track *v = realloc(p->tr, cap * sizeof(*v));

			if (!v)
				return;
			p->tr = v;
			p->captr = cap;
		}
		t = &p->tr[p->ntr++];
		memset(t, 0, sizeof(*t));
		t->op = op;
		t->first_id = ev->id;
		t->first_param = param;
		t->distinct = 1;
	} else {
		/* one that starts before the last ended: they ran at once (a
		 * fan-out), not one after another (a loop) */
		if (s < t->last_end)
			t->overlap = true;
		if (param != t->first_param && t->distinct == 1)
			t->distinct = 2;
	}
	t->n++;
	t->total_ns += ev_dur(ev);
	if (e > t->last_end)
		t->last_end = e;
}

static void work(struct adi_parent *p, const struct adi_event *ev, enum adi_fam fam)
{
	uint64_t s = ev->ts_ns, e = ev->ts_ns + ev_dur(ev);

	/* children arrive in start order: their union is summed as it grows */
	if (s < p->start)
		s = p->start;
	if (e > p->end)
		e = p->end;
	if (e > s) {
		if (s >= p->covered_until) {
			p->covered_ns += e - s;
			p->covered_until = e;
		} else if (e > p->covered_until) {
			p->covered_ns += e - p->covered_until;
			p->covered_until = e;
		}
	}
	p->fam_ns[fam] += ev_dur(ev);
	p->fam_n[fam]++;
}

/* ---- one event ---- */

static void file_event(struct adi_insight *in, const struct adi_event *ev, const struct adi_fields *f,
		       struct adi_parent *parent, uint64_t parent_id)
{
	size_t pn = 0;
	char *path = adi_jv_strdup(adi_fget(f, "path"), &pn);
	char *op_s = str_dup(f, "op"), *err = str_dup(f, "error");
	/* the runtime's own file work (docs/events.md `runtime`: the loader,
	 * locale data, module loading, /proc/self), which the timeline hides:
	 * not the program's errors or slow operations */
	bool runtime = adi_jv_type(adi_fget(f, "runtime")) != ADI_J_NULL;

	if (err && op_s && path && !runtime) {
		/* the dynamic loader's search of its library path: a failed
		 * open of a shared object (or of /etc/ld.so.preload) is how it
		 * looks, not a failure */
		const char *base = strrchr(path, '/');
		bool loader = !strcmp(op_s, "open") &&
			      (!strcmp(err, "ENOENT") || !strcmp(err, "ENOTDIR")) &&
			      ((base && strstr(base, ".so")) || !strcmp(path, "/etc/ld.so.preload"));

		if (!loader) {
			adi_sb_reset(&in->tmp);
			adi_sb_puts(&in->tmp, op_s);
			adi_sb_putc(&in->tmp, ' ');
			adi_sb_puts(&in->tmp, path);
			adi_sb_putc(&in->tmp, ' ');
			adi_sb_puts(&in->tmp, err);
			error_add(in, "file", in->tmp.p, NULL, ev->id);
		}
	}
	if (path && op_s && !err && (!strcmp(op_s, "read") || !strcmp(op_s, "write"))) {
		adi_sb_reset(&in->tmp);
		adi_sb_puts(&in->tmp, op_s);
		adi_sb_putc(&in->tmp, ' ');
		adi_sb_puts(&in->tmp, path);
		if (ev_dur(ev) && !runtime)
			slow_add(in, ev, in->tmp.p, parent_id);
		if (parent && !strcmp(op_s, "read")) {
			struct adi_op *op = op_get(in, ADI_OPC_FILE, ADI_FAM_FILE, false, "file", path);

			if (op) {
				op->count++;
				track(parent, op, ev, 0);
			}
		}
	}
	free(path);
	free(op_s);
	free(err);
}

static void other_event(struct adi_insight *in, const struct adi_event *ev, enum adi_kid kid,
			const struct adi_fields *f)
{
	char *err = NULL, *op_s;

	if (kid == ADI_K_CONN) {
		op_s = str_dup(f, "op");
		err = str_dup(f, "error");
		/* the runtime's own (docs/events.md `runtime`: glibc asking
		 * for nscd) is not the program's error */
		if (err && op_s && !strcmp(op_s, "connect") &&
		    adi_jv_type(adi_fget(f, "runtime")) == ADI_J_NULL) {
			char *remote = adi_jv_strdup(adi_jv_get(adi_fget(f, "conn"), "remote"),
						     &(size_t){ 0 });

			adi_sb_reset(&in->tmp);
			adi_sb_puts(&in->tmp, remote ? remote : "?");
			adi_sb_putc(&in->tmp, ' ');
			adi_sb_puts(&in->tmp, err);
			error_add(in, "connect", in->tmp.p, NULL, ev->id);
			free(remote);
		}
		free(op_s);
	} else if (kid == ADI_K_PROC) {
		struct adi_jv code = adi_fget(f, "exit_code");

		op_s = str_dup(f, "op");
		err = str_dup(f, "signal");
		if (op_s && !strcmp(op_s, "exit") &&
		    (err || (adi_jv_type(code) == ADI_J_INT && adi_jv_int(code, 0) != 0))) {
			char b[32];

			adi_sb_reset(&in->tmp);
			adi_sb_put(&in->tmp, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
			if (err) {
				adi_sb_puts(&in->tmp, " killed by ");
				adi_sb_puts(&in->tmp, err);
			} else {
				snprintf(b, sizeof(b), " exit %lld", (long long)adi_jv_int(code, 0));
				adi_sb_puts(&in->tmp, b);
			}
			error_add(in, "exit", in->tmp.p, NULL, ev->id);
		}
		free(op_s);
	} else if (kid == ADI_K_DBSESS) {
		/* a refused login (or change of user...): an error of the session,
		 * not of a statement */
		struct adi_jv e = adi_fget(f, "error");
		char *db, *code, *msg;

		if (adi_jv_type(e) != ADI_J_OBJ)
			return;
		db = str_dup(f, "db");
		op_s = str_dup(f, "op");
		code = adi_jv_strdup(adi_jv_get(e, "code"), &(size_t){ 0 });
		msg = adi_jv_strdup(adi_jv_get(e, "message"), &(size_t){ 0 });
		adi_sb_reset(&in->tmp);
		adi_sb_puts(&in->tmp, db ? db : "?");
		adi_sb_putc(&in->tmp, ' ');
		adi_sb_puts(&in->tmp, op_s ? op_s : "?");
		adi_sb_putc(&in->tmp, ' ');
		adi_sb_puts(&in->tmp, code ? code : "?");
		error_add(in, "db_session", in->tmp.p, msg, ev->id);
		free(db);
		free(op_s);
		free(code);
		free(msg);
	} else if (kid == ADI_K_DNS) {
		char *name = str_dup(f, "name");

		err = str_dup(f, "rcode");
		if (err && strcmp(err, "NOERROR")) {
			adi_sb_reset(&in->tmp);
			adi_sb_puts(&in->tmp, name ? name : "?");
			adi_sb_putc(&in->tmp, ' ');
			adi_sb_puts(&in->tmp, err);
			error_add(in, "dns", in->tmp.p, NULL, ev->id);
		}
		free(name);
	}
	free(err);
}

int adi_insight_add(struct adi_insight *in, const struct adi_event *ev)
{
	struct adi_fields fs, *f = &fs;
	enum adi_kid kid = adi_kind_id(ev->kind);
	struct adi_jv pid_v, conn;
	struct adi_parent *parent = NULL;
	struct adi_proc_ins *proc;
	struct adi_op *op = NULL;
	uint64_t parent_id = 0, param = 0;
	enum adi_fam fam;
	bool server = false;
	int err0 = in->err;

	if (!ev->kind)
		return 0;
	in->events++;
	adi_fields_index(f, adi_event_fields(ev));
	if (kid == ADI_K_SUMMARY) {
		in->have_summary = true;
		in->trace_ms_x1000 = ev_dur(ev) / 1000;
		in->dropped_records = (uint64_t)adi_jv_int(adi_fget(f, "dropped"), 0);
		return 0;
	}
	if (!in->first_ts || ev->ts_ns < in->first_ts)
		in->first_ts = ev->ts_ns;
	if (ev->ts_ns + ev_dur(ev) > in->last_ts)
		in->last_ts = ev->ts_ns + ev_dur(ev);
	if (ev->ts_ns > in->latest)
		in->latest = ev->ts_ns;
	if (++in->since_sweep >= ADI_INS_SWEEP_EVERY)
		sweep(in, in->latest);
	proc = proc_of(in, ev);
	if (proc)
		proc->events++;
	/* where it belongs */
	pid_v = adi_fget(f, "parent_id");
	if (adi_jv_type(pid_v) == ADI_J_INT) {
		parent_id = (uint64_t)adi_jv_int(pid_v, 0);
		parent = adi_map_get(&in->parents, parent_id);
		in->with_parent++;
	} else if (adi_jv_streq(adi_fget(f, "parent"), "ambiguous")) {
		in->ambiguous++;
	}
	fam = fam_of(kid);
	conn = adi_fget(f, "conn");
	server = adi_jv_streq(adi_jv_get(conn, "role"), "server");
	op = proto_op(in, ev, kid, f, server, &param);
	if (op) {
		op->count++;
		if (!op->example_id)
			op->example_id = ev->id;
		if (ev->duration_ns >= 0)
			adi_dist_add(&op->d, ev_dur(ev));
		if (op->fam == ADI_FAM_SQL)
			op->rows += (uint64_t)adi_jv_int(adi_fget(f, "rows"), 0);
		outcome(in, ev, f, op);
		slow_add(in, ev, op->label, parent_id);
		if (server && (op->fam == ADI_FAM_HTTP || op->fam == ADI_FAM_GRPC ||
			       op->cls == ADI_OPC_QUERY)) {
			parent_open(in, ev, op);
			if (proc) {
				proc->served++;
				proc->served_ns += ev_dur(ev);
			}
		} else if (proc) {
			proc->fam_n[fam]++;
			proc->fam_ns[fam] += ev_dur(ev);
		}
		if (parent && !server)
			track(parent, op, ev, param);
	} else if (kid == ADI_K_FILE) {
		file_event(in, ev, f, parent, parent_id);
		if (proc && ev->duration_ns >= 0) {
			proc->fam_n[fam]++;
			proc->fam_ns[fam] += ev_dur(ev);
		}
	} else {
		other_event(in, ev, kid, f);
	}
	if (parent && !server)
		work(parent, ev, fam);
	adi_deps_add(&in->deps, kid, f, op, &in->tmp);
	return in->err && !err0 ? in->err : 0;
}

void adi_insight_finish(struct adi_insight *in)
{
	if (in->finished)
		return;
	sweep(in, UINT64_MAX);
	in->finished = true;
}
