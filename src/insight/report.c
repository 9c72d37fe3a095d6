/* report.c - the insight model written out (docs/insight.md "report"):
 * endpoints with their latency breakdown and the operations each request
 * runs, queries by fingerprint, N+1 and repeated-work findings, errors,
 * the slowest operations and the time per process; as text for a person
 * or as one JSON object (the documented schema). Also the wrapper that
 * writes the dependencies (deps.c builds them).
 */
#include "ins_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* operations each endpoint lists under "per request" */
#define ADI_REPORT_PER_REQUEST 20

static const char *side_name(const struct adi_op *op)
{
	return op->cls == ADI_OPC_SERVED || op->served_side ? "served" : "called";
}

static int fd_order(const void *a, const void *b)
{
	const struct adi_finding *x = *(const struct adi_finding *const *)a;
	const struct adi_finding *y = *(const struct adi_finding *const *)b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->max_n != y->max_n)
		return x->max_n > y->max_n ? -1 : 1;
	return strcmp(x->t.key, y->t.key);
}

static int err_order(const void *a, const void *b)
{
	const struct adi_err *x = *(const struct adi_err *const *)a;
	const struct adi_err *y = *(const struct adi_err *const *)b;
	int c = strcmp(x->category, y->category);

	if (c)
		return c;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->what, y->what);
}

static int pair_order(const void *a, const void *b)
{
	const struct adi_pair *x = *(const struct adi_pair *const *)a;
	const struct adi_pair *y = *(const struct adi_pair *const *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->t.key, y->t.key);
}

static int slow_order(const void *a, const void *b)
{
	const struct adi_slow *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int proc_order(const void *a, const void *b)
{
	const struct adi_proc_ins *x = *(const struct adi_proc_ins *const *)a;
	const struct adi_proc_ins *y = *(const struct adi_proc_ins *const *)b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The operations of one class (and, for queries, every side), sorted by
 * total time; *n their number. The caller frees. */
static struct adi_op **ops_of(const struct adi_insight *in, int cls, size_t *n)
{
	struct adi_op **v = malloc((in->ops.n ? in->ops.n : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < in->ops.n; i++) {
		struct adi_op *op = (struct adi_op *)in->ops.v[i];

		if (cls < 0 ? op->cls == ADI_OPC_SERVED || op->cls == ADI_OPC_CALLED
			    : op->cls == cls)
			v[(*n)++] = op;
	}
	qsort(v, *n, sizeof(*v), adi_op_by_time);
	return v;
}

/* The (endpoint, operation) pairs of ep, most executed first. */
static struct adi_pair **pairs_of(const struct adi_insight *in, const struct adi_op *ep,
				  size_t *n)
{
	struct adi_pair **v = malloc((in->pairs.n ? in->pairs.n : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < in->pairs.n; i++) {
		struct adi_pair *p = (struct adi_pair *)in->pairs.v[i];

		if (p->ep == ep)
			v[(*n)++] = p;
	}
	qsort(v, *n, sizeof(*v), pair_order);
	return v;
}

static struct adi_slow *slow_sorted(const struct adi_insight *in)
{
	struct adi_slow *v = malloc((in->nslow ? in->nslow : 1) * sizeof(*v));

	if (!v)
		return NULL;
	memcpy(v, in->slow, in->nslow * sizeof(*v));
	qsort(v, in->nslow, sizeof(*v), slow_order);
	return v;
}

static struct adi_proc_ins **procs_sorted(const struct adi_insight *in, size_t *n)
{
	struct adi_proc_ins **v = malloc((in->procs.len ? in->procs.len : 1) * sizeof(*v));
	size_t it = 0;
	uint64_t k;
	void *p;

	*n = 0;
	if (!v)
		return NULL;
	while (adi_map_next(&in->procs, &it, &k, &p))
		v[(*n)++] = p;
	qsort(v, *n, sizeof(*v), proc_order);
	return v;
}

/* "WHERE id IN (...)" and its kin: the one operation an N+1 loop could be. */
static bool suggestion(const struct adi_op *op, struct adi_sb *out)
{
	if (op->fam == ADI_FAM_SQL)
		return adi_sql_batch_hint(op->label, strlen(op->label), out);
	if (op->fam == ADI_FAM_REDIS && (!strncmp(op->label, "GET ", 4) ||
					 !strncmp(op->label, "HGETALL ", 8))) {
		adi_sb_puts(out, op->label[0] == 'G' ? "MGET (or a pipeline)" : "a pipeline");
		return true;
	}
	if (op->fam == ADI_FAM_MONGO && !strncmp(op->label, "find ", 5) &&
	    strstr(op->label, "{_id: ?}")) {
		adi_sb_puts(out, "{_id: {$in: [...]}}");
		return true;
	}
	return false;
}

/* ---- JSON ---- */

static void dist_json(struct adi_jw *w, struct adi_dist *d)
{
	adi_jw_kdouble(w, "total_ms", adi_ins_ms(d->sum));
	if (d->n) {
		adi_jw_kdouble(w, "p50_ms", adi_ins_ms(adi_dist_q(d, 0.5)));
		adi_jw_kdouble(w, "p95_ms", adi_ins_ms(adi_dist_q(d, 0.95)));
		adi_jw_kdouble(w, "max_ms", adi_ins_ms(d->max));
	} else {
		adi_jw_knull(w, "p50_ms");
		adi_jw_knull(w, "p95_ms");
		adi_jw_knull(w, "max_ms");
	}
}

static void breakdown_json(const struct adi_insight *in, struct adi_jw *w,
			   const struct adi_op *ep)
{
	double r = ep->closed ? (double)ep->closed : 1;
	struct adi_pair **pv;
	size_t np;

	adi_jw_kobj(w, "breakdown");
	adi_jw_ku64(w, "requests", ep->closed);
	adi_jw_kdouble(w, "self_ms", adi_ins_ms(ep->self_ns) / r);
	for (int k = 0; k < ADI_FAM_N; k++) {
		char key[24];

		if (!ep->fam_n[k])
			continue;
		snprintf(key, sizeof(key), "%s_ms", adi_fam_names[k]);
		adi_jw_kdouble(w, key, adi_ins_ms(ep->fam_ns[k]) / r);
		snprintf(key, sizeof(key), "%s_count", adi_fam_names[k]);
		adi_jw_kdouble(w, key, (double)ep->fam_n[k] / r);
	}
	adi_jw_obj_end(w);
	pv = pairs_of(in, ep, &np);
	adi_jw_karr(w, "per_request");
	for (size_t i = 0; pv && i < np && i < ADI_REPORT_PER_REQUEST; i++) {
		adi_jw_obj(w);
		adi_jw_kstr(w, "system", pv[i]->op->system);
		adi_jw_kstr(w, "operation", pv[i]->op->label);
		adi_jw_kdouble(w, "count", (double)pv[i]->n / r);
		adi_jw_ku64(w, "requests", pv[i]->requests);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(pv);
}

static void endpoints_json(const struct adi_insight *in, struct adi_jw *w)
{
	size_t n;
	struct adi_op **v = ops_of(in, -1, &n);

	adi_jw_karr(w, "endpoints");
	for (size_t i = 0; v && i < n; i++) {
		struct adi_op *op = v[i];

		adi_jw_obj(w);
		adi_jw_kstr(w, "side", side_name(op));
		adi_jw_kstr(w, "protocol", op->system);
		adi_jw_kstr(w, "endpoint", op->label);
		adi_jw_ku64(w, "count", op->count);
		adi_jw_ku64(w, "errors", op->errors);
		adi_jw_ku64(w, "client_errors", op->client_errors);
		adi_jw_ku64(w, "no_response", op->no_reply);
		dist_json(w, &op->d);
		if (op->cls == ADI_OPC_SERVED)
			breakdown_json(in, w, op);
		adi_jw_ku64(w, "example_id", op->example_id);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static void queries_json(const struct adi_insight *in, struct adi_jw *w)
{
	size_t n;
	struct adi_op **v = ops_of(in, ADI_OPC_QUERY, &n);

	adi_jw_karr(w, "queries");
	for (size_t i = 0; v && i < n; i++) {
		struct adi_op *op = v[i];

		adi_jw_obj(w);
		adi_jw_kstr(w, "system", op->system);
		adi_jw_kstr(w, "side", side_name(op));
		adi_jw_kstr(w, "fingerprint", op->label);
		adi_jw_ku64(w, "count", op->count);
		adi_jw_ku64(w, "errors", op->errors);
		dist_json(w, &op->d);
		if (op->fam == ADI_FAM_SQL)
			adi_jw_ku64(w, "rows", op->rows);
		else
			adi_jw_knull(w, "rows");
		adi_jw_ku64(w, "example_id", op->example_id);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static void findings_json(const struct adi_insight *in, struct adi_jw *w, struct adi_sb *tmp)
{
	void **v = adi_tab_sorted(&in->findings, fd_order);

	adi_jw_karr(w, "findings");
	for (size_t i = 0; v && i < in->findings.n; i++) {
		const struct adi_finding *fd = v[i];

		adi_jw_obj(w);
		adi_jw_kstr(w, "type", adi_find_names[fd->type]);
		adi_jw_kstr(w, "endpoint", fd->ep ? fd->ep->label : NULL);
		adi_jw_kstr(w, "system", fd->op->system);
		adi_jw_kstr(w, "operation", fd->op->label);
		adi_jw_ku64(w, "executions", fd->max_n);
		adi_jw_ku64(w, "requests", fd->occurrences);
		adi_jw_kdouble(w, "time_ms", adi_ins_ms(fd->total_ns));
		adi_jw_ku64(w, "parent_id", fd->parent_id);
		adi_jw_ku64(w, "source_id", fd->source_id);
		adi_sb_reset(tmp);
		if (fd->type == ADI_FIND_N1 && suggestion(fd->op, tmp) && !tmp->err)
			adi_jw_kstr(w, "suggestion", tmp->p);
		else
			adi_jw_knull(w, "suggestion");
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static void errors_json(const struct adi_insight *in, struct adi_jw *w)
{
	void **v = adi_tab_sorted(&in->errors, err_order);

	adi_jw_karr(w, "errors");
	for (size_t i = 0; v && i < in->errors.n; i++) {
		const struct adi_err *e = v[i];

		adi_jw_obj(w);
		adi_jw_kstr(w, "category", e->category);
		adi_jw_kstr(w, "what", e->what);
		adi_jw_ku64(w, "count", e->count);
		adi_jw_kstr(w, "message", e->message);
		adi_jw_ku64(w, "example_id", e->example_id);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static void slowest_json(const struct adi_insight *in, struct adi_jw *w)
{
	struct adi_slow *v = slow_sorted(in);

	adi_jw_karr(w, "slowest");
	for (size_t i = 0; v && i < in->nslow; i++) {
		adi_jw_obj(w);
		adi_jw_ku64(w, "id", v[i].id);
		adi_jw_kstr(w, "kind", v[i].kind);
		adi_jw_kstr(w, "operation", v[i].label);
		adi_jw_kdouble(w, "duration_ms", adi_ins_ms(v[i].ns));
		adi_jw_ku64(w, "pid", v[i].pid);
		if (v[i].parent_id)
			adi_jw_ku64(w, "parent_id", v[i].parent_id);
		else
			adi_jw_knull(w, "parent_id");
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static void processes_json(const struct adi_insight *in, struct adi_jw *w)
{
	size_t n;
	struct adi_proc_ins **v = procs_sorted(in, &n);

	adi_jw_karr(w, "processes");
	for (size_t i = 0; v && i < n; i++) {
		const struct adi_proc_ins *p = v[i];

		adi_jw_obj(w);
		adi_jw_ku64(w, "pid", p->pid);
		adi_jw_kstrn(w, "comm", p->comm, strnlen(p->comm, sizeof(p->comm)));
		adi_jw_ku64(w, "events", p->events);
		adi_jw_kobj(w, "served");
		adi_jw_ku64(w, "count", p->served);
		adi_jw_kdouble(w, "total_ms", adi_ins_ms(p->served_ns));
		adi_jw_kdouble(w, "self_ms", adi_ins_ms(p->self_ns));
		adi_jw_obj_end(w);
		adi_jw_karr(w, "time");
		for (int k = 0; k < ADI_FAM_N; k++) {
			if (!p->fam_n[k])
				continue;
			adi_jw_obj(w);
			adi_jw_kstr(w, "family", adi_fam_names[k]);
			adi_jw_ku64(w, "count", p->fam_n[k]);
			adi_jw_kdouble(w, "total_ms", adi_ins_ms(p->fam_ns[k]));
			adi_jw_obj_end(w);
		}
		adi_jw_arr_end(w);
		adi_jw_obj_end(w);
	}
	adi_jw_arr_end(w);
	free(v);
}

static void trace_json(const struct adi_insight *in, struct adi_jw *w)
{
	adi_jw_kobj(w, "trace");
	adi_jw_ku64(w, "events", in->events);
	adi_jw_kdouble(w, "duration_ms", in->have_summary ? (double)in->trace_ms_x1000 / 1e3
							  : adi_ins_ms(in->last_ts - in->first_ts));
	adi_jw_ku64(w, "requests", in->requests);
	adi_jw_ku64(w, "with_parent", in->with_parent);
	adi_jw_ku64(w, "ambiguous", in->ambiguous);
	adi_jw_ku64(w, "dropped_records", in->dropped_records);
	adi_jw_kbool(w, "complete", in->have_summary);
	adi_jw_obj_end(w);
}

static void limits_json(const struct adi_insight *in, struct adi_jw *w)
{
	adi_jw_kobj(w, "limits");
	adi_jw_ku64(w, "operations_dropped", in->ops.dropped);
	adi_jw_ku64(w, "pairs_dropped", in->pairs.dropped);
	adi_jw_ku64(w, "findings_dropped", in->findings.dropped);
	adi_jw_ku64(w, "errors_dropped", in->errors.dropped);
	adi_jw_ku64(w, "requests_not_followed", in->parents_dropped);
	adi_jw_ku64(w, "processes_dropped", in->procs_dropped);
	adi_jw_kbool(w, "out_of_memory", in->err != 0);
	adi_jw_obj_end(w);
}

/* The text, then '\n'; 0 or -errno. */
static int put_json(struct adi_jw *w, FILE *f)
{
	int rc = 0;

	adi_jw_put(w, "\n", 1);
	if (w->err)
		rc = -ENOMEM;
	else if (fwrite(w->buf, 1, w->len, f) != w->len)
		rc = -EIO;
	adi_jw_fini(w);
	return rc;
}

/* ---- text ---- */

static void ms_col(FILE *f, uint64_t ns)
{
	fprintf(f, " %9.3f", adi_ins_ms(ns));
}

static void endpoints_text(const struct adi_insight *in, FILE *f, int side_served)
{
	size_t n, shown = 0;
	struct adi_op **v = ops_of(in, side_served ? ADI_OPC_SERVED : ADI_OPC_CALLED, &n);

	fprintf(f, "\nEndpoints %s\n", side_served ? "served" : "called");
	if (!n) {
		fputs("  (none)\n", f);
		free(v);
		return;
	}
	fprintf(f, "  %7s %5s %5s %9s %9s %9s  %s\n", "COUNT", "5XX", "4XX", "P50 ms", "P95 ms",
		"MAX ms", "ENDPOINT");
	for (size_t i = 0; v && i < n; i++) {
		struct adi_op *op = v[i];
		struct adi_pair **pv;
		size_t np;
		double r;

		fprintf(f, "  %7llu %5llu %5llu", (unsigned long long)op->count,
			(unsigned long long)op->errors, (unsigned long long)op->client_errors);
		ms_col(f, adi_dist_q(&op->d, 0.5));
		ms_col(f, adi_dist_q(&op->d, 0.95));
		ms_col(f, op->d.max);
		fprintf(f, "  %s%s\n", op->system[0] == 'g' ? "gRPC " : "", op->label);
		shown++;
		if (!side_served || !op->closed)
			continue;
		/* per request: where its time went, and what it ran */
		r = (double)op->closed;
		fprintf(f, "          per request: self %.3f ms", adi_ins_ms(op->self_ns) / r);
		/* connects and closes take no time: "other" only when it did */
		for (int k = 0; k < ADI_FAM_N; k++)
			if (op->fam_n[k] && (op->fam_ns[k] || k != ADI_FAM_OTHER))
				fprintf(f, ", %s %.3f ms (%.1f)", adi_fam_names[k],
					adi_ins_ms(op->fam_ns[k]) / r, (double)op->fam_n[k] / r);
		fputc('\n', f);
		pv = pairs_of(in, op, &np);
		for (size_t k = 0; pv && k < np && k < 5; k++)
			fprintf(f, "          %6.1f x %s %s\n", (double)pv[k]->n / r,
				pv[k]->op->system, pv[k]->op->label);
		free(pv);
	}
	free(v);
}

static void queries_text(const struct adi_insight *in, FILE *f)
{
	size_t n;
	struct adi_op **v = ops_of(in, ADI_OPC_QUERY, &n);

	fputs("\nQueries\n", f);
	if (!n) {
		fputs("  (none)\n", f);
		free(v);
		return;
	}
	fprintf(f, "  %7s %5s %9s %9s %9s %8s  %-9s %s\n", "COUNT", "ERR", "TOTAL ms", "P95 ms",
		"MAX ms", "ROWS", "SYSTEM", "FINGERPRINT");
	for (size_t i = 0; v && i < n; i++) {
		struct adi_op *op = v[i];

		fprintf(f, "  %7llu %5llu", (unsigned long long)op->count,
			(unsigned long long)op->errors);
		ms_col(f, op->d.sum);
		ms_col(f, adi_dist_q(&op->d, 0.95));
		ms_col(f, op->d.max);
		if (op->fam == ADI_FAM_SQL)
			fprintf(f, " %8llu", (unsigned long long)op->rows);
		else
			fprintf(f, " %8s", "-");
		fprintf(f, "  %-9s %s%s\n", op->system, op->served_side ? "(served) " : "",
			op->label);
	}
	free(v);
}

static void findings_text(const struct adi_insight *in, FILE *f, struct adi_sb *tmp)
{
	void **v = adi_tab_sorted(&in->findings, fd_order);
	static const char *const title[3] = { "N+1", "repeated", "re-read" };

	fputs("\nN+1 and repeated work\n", f);
	if (!in->findings.n)
		fprintf(f, "  (none: no operation ran %u times or more under one request)\n",
			in->o.n1_min);
	for (size_t i = 0; v && i < in->findings.n; i++) {
		const struct adi_finding *fd = v[i];

		if (fd->type == ADI_FIND_FILE)
			fprintf(f, "  %-8s %s: reads %s %u times in one request", title[fd->type],
				fd->ep ? fd->ep->label : "(a request)", fd->op->label, fd->max_n);
		else
			fprintf(f, "  %-8s %s: %s `%s` %u times in one request", title[fd->type],
				fd->ep ? fd->ep->label : "(a request)", fd->op->system, fd->op->label,
				fd->max_n);
		fprintf(f, " (%.3f ms together); in %llu request%s; request #%llu, first #%llu\n",
			adi_ins_ms(fd->total_ns), (unsigned long long)fd->occurrences,
			fd->occurrences == 1 ? "" : "s", (unsigned long long)fd->parent_id,
			(unsigned long long)fd->source_id);
		adi_sb_reset(tmp);
		if (fd->type == ADI_FIND_N1 && suggestion(fd->op, tmp) && !tmp->err)
			fprintf(f, "           as one query: %s\n", tmp->p);
	}
	free(v);
}

static void errors_text(const struct adi_insight *in, FILE *f)
{
	void **v = adi_tab_sorted(&in->errors, err_order);

	fputs("\nErrors\n", f);
	if (!in->errors.n)
		fputs("  (none)\n", f);
	for (size_t i = 0; v && i < in->errors.n; i++) {
		const struct adi_err *e = v[i];

		fprintf(f, "  %-18s %6llu x  %s", e->category, (unsigned long long)e->count, e->what);
		if (e->message)
			fprintf(f, ": %s", e->message);
		fprintf(f, " (first #%llu)\n", (unsigned long long)e->example_id);
	}
	free(v);
}

static void slowest_text(const struct adi_insight *in, FILE *f)
{
	struct adi_slow *v = slow_sorted(in);

	fputs("\nSlowest operations\n", f);
	if (!in->nslow)
		fputs("  (none)\n", f);
	for (size_t i = 0; v && i < in->nslow; i++) {
		fprintf(f, "  %10.3f ms  #%-8llu %-14s %s", adi_ins_ms(v[i].ns),
			(unsigned long long)v[i].id, v[i].kind, v[i].label);
		if (v[i].parent_id)
			fprintf(f, " (in #%llu)", (unsigned long long)v[i].parent_id);
		fputc('\n', f);
	}
	free(v);
}

static void processes_text(const struct adi_insight *in, FILE *f)
{
	size_t n;
	struct adi_proc_ins **v = procs_sorted(in, &n);

	fputs("\nWhere the time went\n", f);
	for (size_t i = 0; v && i < n; i++) {
		const struct adi_proc_ins *p = v[i];
		bool any = p->served;

		for (int k = 0; k < ADI_FAM_N; k++)
			any |= p->fam_n[k] != 0;
		if (!any)
			continue;
		fprintf(f, "  pid %u %.16s:", p->pid, p->comm);
		if (p->served)
			fprintf(f, " served %llu (%.3f ms, self %.3f ms);",
				(unsigned long long)p->served, adi_ins_ms(p->served_ns),
				adi_ins_ms(p->self_ns));
		for (int k = 0; k < ADI_FAM_N; k++)
			if (p->fam_n[k])
				fprintf(f, " %s %llu x %.3f ms;", adi_fam_names[k],
					(unsigned long long)p->fam_n[k], adi_ins_ms(p->fam_ns[k]));
		fputc('\n', f);
	}
	free(v);
}

int adi_insight_report(struct adi_insight *in, FILE *f, bool json)
{
	adi_insight_finish(in);
	return adi_insight_report_now(in, f, json);
}

int adi_insight_report_now(struct adi_insight *in, FILE *f, bool json)
{
	struct adi_sb tmp = { 0 };
	int rc = 0;

	if (json) {
		struct adi_jw w;

		adi_jw_init(&w);
		adi_jw_obj(&w);
		adi_jw_kint(&w, "report", 1);
		trace_json(in, &w);
		endpoints_json(in, &w);
		queries_json(in, &w);
		findings_json(in, &w, &tmp);
		errors_json(in, &w);
		slowest_json(in, &w);
		processes_json(in, &w);
		limits_json(in, &w);
		if (in->o.more_json)
			in->o.more_json(in->o.more_ctx, &w);
		adi_jw_obj_end(&w);
		rc = put_json(&w, f);
	} else {
		fprintf(f, "Trace: %llu events over %.3f s; %llu requests served; "
			"work with a parent: %llu, ambiguous: %llu%s\n",
			(unsigned long long)in->events,
			in->have_summary ? (double)in->trace_ms_x1000 / 1e6
					 : adi_ins_ms(in->last_ts - in->first_ts) / 1e3,
			(unsigned long long)in->requests, (unsigned long long)in->with_parent,
			(unsigned long long)in->ambiguous,
			in->have_summary ? "" : " (no trace_summary: the trace is cut short)");
		endpoints_text(in, f, 1);
		endpoints_text(in, f, 0);
		queries_text(in, f);
		findings_text(in, f, &tmp);
		errors_text(in, f);
		slowest_text(in, f);
		processes_text(in, f);
		if (in->ops.dropped || in->errors.dropped || in->findings.dropped ||
		    in->parents_dropped || in->err)
			fprintf(f, "\n(incomplete: %llu operations, %llu errors, %llu findings, "
				"%llu requests not kept at the caps%s)\n",
				(unsigned long long)in->ops.dropped,
				(unsigned long long)in->errors.dropped,
				(unsigned long long)in->findings.dropped,
				(unsigned long long)in->parents_dropped,
				in->err ? "; out of memory" : "");
		if (in->o.more_text)
			rc = in->o.more_text(in->o.more_ctx, f);
	}
	adi_sb_fini(&tmp);
	if (!rc && (fflush(f) || ferror(f)))
		rc = -EIO;
	return rc;
}

int adi_insight_deps(struct adi_insight *in, FILE *f, bool json)
{
	int rc = 0;

	adi_insight_finish(in);
	if (json) {
		struct adi_jw w;

		adi_jw_init(&w);
		adi_jw_obj(&w);
		adi_jw_kint(&w, "deps", 1);
		adi_deps_json(&in->deps, &w);
		adi_jw_obj_end(&w);
		rc = put_json(&w, f);
	} else {
		adi_deps_text(&in->deps, f);
	}
	if (!rc && (fflush(f) || ferror(f)))
		rc = -EIO;
	return rc;
}
