/* diff.c - two traces of one program compared (docs/insight.md "diff"):
 * operations by fingerprint (added, removed, run more often in all or per
 * request of an endpoint, p95 slower), errors, N+1 and repeat findings and
 * dependencies that are new. Each change says whether it is of a kind
 * the caller fails on (--fail-on), which makes the exit status. Reads two
 * finished models; owns only the list of changes while writing them.
 */
#include "ins_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct chg {
	unsigned cat;            /* ADI_DIFF_* */
	const char *what;        /* "endpoint", "query", "per_request", "error"... */
	const char *system;      /* or NULL */
	char *name;              /* owned */
	const char *unit;        /* what a and b measure, or NULL */
	double a, b;
	bool has_a, has_b;
	bool worse;              /* a regression (else: an improvement, shown) */
	bool fails;
};

struct chgs {
	struct chg *v;
	size_t n, cap;
	int err;
	const struct adi_diff_opts *o;
};

static const struct {
	const char *name;
	unsigned bit;
} adi_diff_words[] = {
	{ "added", ADI_DIFF_ADDED }, { "removed", ADI_DIFF_REMOVED },
	{ "count", ADI_DIFF_COUNT }, { "slower", ADI_DIFF_SLOWER }, { "p95", ADI_DIFF_SLOWER },
	{ "errors", ADI_DIFF_ERRORS }, { "n+1", ADI_DIFF_N1 }, { "n_plus_one", ADI_DIFF_N1 },
	{ "deps", ADI_DIFF_DEPS },
};

static const char *cat_name(unsigned cat)
{
	for (size_t i = 0; i < sizeof(adi_diff_words) / sizeof(adi_diff_words[0]); i++)
		if (adi_diff_words[i].bit == cat)
			return adi_diff_words[i].name;
	return "?";
}

int adi_diff_parse_fail_on(const char *s, unsigned *bits, const char **bad, size_t *badlen)
{
	unsigned b = 0;

	while (s && *s) {
		size_t n = strcspn(s, ",");
		bool ok = false;

		if (n == 3 && !strncasecmp(s, "all", 3)) {
			b = ~0u;
			ok = true;
		} else if (n == 4 && !strncasecmp(s, "none", 4)) {
			ok = true;
		}
		for (size_t i = 0; !ok && i < sizeof(adi_diff_words) / sizeof(adi_diff_words[0]); i++)
			if (strlen(adi_diff_words[i].name) == n &&
			    !strncasecmp(s, adi_diff_words[i].name, n)) {
				b |= adi_diff_words[i].bit;
				ok = true;
			}
		if (!ok) {
			*bad = s;
			*badlen = n;
			return -EINVAL;
		}
		s += n + (s[n] == ',');
	}
	*bits = b;
	return 0;
}

static void add(struct chgs *c, unsigned cat, const char *what, const char *system,
		const char *name, const char *unit, const double *a, const double *b, bool worse)
{
	struct chg *x;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct chg *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	x = &c->v[c->n];
	memset(x, 0, sizeof(*x));
	x->name = strdup(name);
	if (!x->name) {
		c->err = -ENOMEM;
		return;
	}
	x->cat = cat;
	x->what = what;
	x->system = system;
	x->unit = unit;
	x->has_a = a != NULL;
	x->has_b = b != NULL;
	x->a = a ? *a : 0;
	x->b = b ? *b : 0;
	x->worse = worse;
	x->fails = worse && (c->o->fail_on & cat);
	c->n++;
}

/* b beyond a by more than pct percent (a change from nothing is one). */
static bool grew(double a, double b, double pct)
{
	return b > a * (1 + pct / 100) && b > a;
}

static const char *op_what(const struct adi_op *op)
{
	return op->cls == ADI_OPC_QUERY ? "query" : "endpoint";
}

static void ops_diff(struct chgs *c, struct adi_insight *a, struct adi_insight *b)
{
	const struct adi_diff_opts *o = c->o;

	for (size_t i = 0; i < b->ops.n; i++) {
		struct adi_op *y = (struct adi_op *)b->ops.v[i];
		struct adi_op *x = adi_tab_get(&a->ops, y->t.key, y->t.klen, false);
		double ca, cb = (double)y->count;

		if (y->cls == ADI_OPC_FILE)
			continue;
		if (!x) {
			add(c, ADI_DIFF_ADDED, op_what(y), y->system, y->label, "count", NULL, &cb, true);
			continue;
		}
		ca = (double)x->count;
		if (grew(ca, cb, o->count_pct))
			add(c, ADI_DIFF_COUNT, op_what(y), y->system, y->label, "count", &ca, &cb, true);
		else if (grew(cb, ca, o->count_pct))
			add(c, ADI_DIFF_COUNT, op_what(y), y->system, y->label, "count", &ca, &cb, false);
		if (x->d.n && y->d.n) {
			double pa = adi_ins_ms(adi_dist_q(&x->d, 0.95));
			double pb = adi_ins_ms(adi_dist_q(&y->d, 0.95));

			if (grew(pa, pb, o->time_pct) && pb - pa > o->min_ms)
				add(c, ADI_DIFF_SLOWER, op_what(y), y->system, y->label, "p95_ms", &pa,
				    &pb, true);
		}
	}
	for (size_t i = 0; i < a->ops.n; i++) {
		struct adi_op *x = (struct adi_op *)a->ops.v[i];
		double ca = (double)x->count;

		if (x->cls != ADI_OPC_FILE && !adi_tab_get(&b->ops, x->t.key, x->t.klen, false))
			add(c, ADI_DIFF_REMOVED, op_what(x), x->system, x->label, "count", &ca, NULL,
			    true);
	}
}

/* "GET /x: postgres SELECT ...": an endpoint's operation, for output. */
static void pair_name(struct adi_sb *s, const struct adi_pair *p)
{
	adi_sb_reset(s);
	adi_sb_puts(s, p->ep->label);
	adi_sb_puts(s, " -> ");
	adi_sb_puts(s, p->op->label);
}

/* What a request of an endpoint runs: executions per request. */
static void pairs_diff(struct chgs *c, struct adi_insight *a, struct adi_insight *b,
		       struct adi_sb *s)
{
	for (size_t i = 0; i < b->pairs.n; i++) {
		struct adi_pair *y = (struct adi_pair *)b->pairs.v[i];
		struct adi_pair *x = adi_tab_get(&a->pairs, y->t.key, y->t.klen, false);
		struct adi_op *ea = adi_tab_get(&a->ops, y->ep->t.key, y->ep->t.klen, false);
		double ra, rb = y->ep->closed ? (double)y->n / (double)y->ep->closed : 0;

		if (!ea || !ea->closed)
			continue; /* a new endpoint: said once, as added */
		ra = x ? (double)x->n / (double)ea->closed : 0;
		pair_name(s, y);
		if (s->err)
			continue;
		if (grew(ra, rb, c->o->count_pct))
			add(c, ADI_DIFF_COUNT, "per_request", y->op->system, s->p, "per_request", &ra,
			    &rb, true);
		else if (grew(rb, ra, c->o->count_pct))
			add(c, ADI_DIFF_COUNT, "per_request", y->op->system, s->p, "per_request", &ra,
			    &rb, false);
	}
	for (size_t i = 0; i < a->pairs.n; i++) {
		struct adi_pair *x = (struct adi_pair *)a->pairs.v[i];
		struct adi_op *eb = adi_tab_get(&b->ops, x->ep->t.key, x->ep->t.klen, false);
		double ra = x->ep->closed ? (double)x->n / (double)x->ep->closed : 0, rb = 0;

		if (!eb || !eb->closed || adi_tab_get(&b->pairs, x->t.key, x->t.klen, false))
			continue;
		pair_name(s, x);
		if (!s->err)
			add(c, ADI_DIFF_COUNT, "per_request", x->op->system, s->p, "per_request", &ra,
			    &rb, false);
	}
}

static void errors_diff(struct chgs *c, struct adi_insight *a, struct adi_insight *b,
			struct adi_sb *s)
{
	for (size_t i = 0; i < b->errors.n; i++) {
		struct adi_err *y = (struct adi_err *)b->errors.v[i];
		struct adi_err *x = adi_tab_get(&a->errors, y->t.key, y->t.klen, false);
		double ca = x ? (double)x->count : 0, cb = (double)y->count;

		adi_sb_reset(s);
		adi_sb_puts(s, y->category);
		adi_sb_puts(s, ": ");
		adi_sb_puts(s, y->what);
		if (s->err)
			continue;
		if (!x || grew(ca, cb, c->o->count_pct))
			add(c, ADI_DIFF_ERRORS, "error", NULL, s->p, "count", x ? &ca : NULL, &cb, true);
	}
	for (size_t i = 0; i < a->errors.n; i++) {
		struct adi_err *x = (struct adi_err *)a->errors.v[i];
		double ca = (double)x->count;

		if (adi_tab_get(&b->errors, x->t.key, x->t.klen, false))
			continue;
		adi_sb_reset(s);
		adi_sb_puts(s, x->category);
		adi_sb_puts(s, ": ");
		adi_sb_puts(s, x->what);
		if (!s->err)
			add(c, ADI_DIFF_ERRORS, "error", NULL, s->p, "count", &ca, NULL, false);
	}
}

static void finding_name(struct adi_sb *s, const struct adi_finding *fd)
{
	adi_sb_reset(s);
	adi_sb_puts(s, adi_find_names[fd->type]);
	adi_sb_puts(s, ": ");
	adi_sb_puts(s, fd->ep ? fd->ep->label : "(a request)");
	adi_sb_puts(s, " -> ");
	adi_sb_puts(s, fd->op->label);
}

static void findings_diff(struct chgs *c, struct adi_insight *a, struct adi_insight *b,
			  struct adi_sb *s)
{
	for (size_t i = 0; i < b->findings.n; i++) {
		struct adi_finding *y = (struct adi_finding *)b->findings.v[i];
		struct adi_finding *x = adi_tab_get(&a->findings, y->t.key, y->t.klen, false);
		double na = x ? x->max_n : 0, nb = y->max_n;

		finding_name(s, y);
		if (s->err)
			continue;
		if (!x || grew(na, nb, c->o->count_pct))
			add(c, ADI_DIFF_N1, "finding", y->op->system, s->p, "executions",
			    x ? &na : NULL, &nb, true);
	}
	for (size_t i = 0; i < a->findings.n; i++) {
		struct adi_finding *x = (struct adi_finding *)a->findings.v[i];
		double na = x->max_n;

		if (adi_tab_get(&b->findings, x->t.key, x->t.klen, false))
			continue;
		finding_name(s, x);
		if (!s->err)
			add(c, ADI_DIFF_N1, "finding", x->op->system, s->p, "executions", &na, NULL,
			    false);
	}
}

static void svc_name(struct adi_sb *s, const struct adi_svc *v, const char *table)
{
	adi_sb_reset(s);
	adi_sb_puts(s, v->server ? "serves " : "calls ");
	adi_sb_puts(s, v->transport);
	adi_sb_putc(s, ' ');
	adi_sb_puts(s, v->address);
	if (v->protocols) {
		adi_sb_putc(s, ' ');
		adi_sb_puts(s, v->protocols);
	}
	if (table) {
		adi_sb_puts(s, " table ");
		adi_sb_puts(s, table);
	}
}

/* New dependencies: a service, a table of one, a program run. Files are
 * not compared: temporary names differ from run to run. */
static void deps_diff(struct chgs *c, struct adi_insight *a, struct adi_insight *b,
		      struct adi_sb *s)
{
	for (int pass = 0; pass < 2; pass++) {
		struct adi_deps *from = pass ? &a->deps : &b->deps, *to = pass ? &b->deps : &a->deps;

		for (size_t i = 0; i < from->svcs.n; i++) {
			struct adi_svc *y = (struct adi_svc *)from->svcs.v[i];
			struct adi_svc *x = adi_tab_get(&to->svcs, y->t.key, y->t.klen, false);
			const struct adi_tab *tt = &y->sets[ADI_SS_TABLE];

			if (!x) {
				svc_name(s, y, NULL);
				if (!s->err)
					add(c, ADI_DIFF_DEPS, "service", NULL, s->p, NULL, NULL, NULL,
					    !pass);
				continue;
			}
			for (size_t k = 0; k < tt->n; k++) {
				struct adi_tent *e = tt->v[k];

				if (adi_tab_get(&x->sets[ADI_SS_TABLE], e->key, e->klen, false))
					continue;
				svc_name(s, y, e->key);
				if (!s->err)
					add(c, ADI_DIFF_DEPS, "table", NULL, s->p, NULL, NULL, NULL,
					    !pass);
			}
		}
		for (size_t i = 0; i < from->exec.n; i++) {
			struct adi_tent *e = from->exec.v[i];

			if (!adi_tab_get(&to->exec, e->key, e->klen, false))
				add(c, ADI_DIFF_DEPS, "program", NULL, e->key, NULL, NULL, NULL, !pass);
		}
	}
}

static int chg_order(const void *p, const void *q)
{
	const struct chg *x = p, *y = q;
	int c;

	if (x->fails != y->fails)
		return x->fails ? -1 : 1;
	if (x->worse != y->worse)
		return x->worse ? -1 : 1;
	if (x->cat != y->cat)
		return x->cat < y->cat ? -1 : 1;
	c = strcmp(x->what, y->what);
	return c ? c : strcmp(x->name, y->name);
}

static void num_json(struct adi_jw *w, const char *k, bool has, double v)
{
	if (has)
		adi_jw_kdouble(w, k, v);
	else
		adi_jw_knull(w, k);
}

static void write_json(const struct chgs *c, const char *na, const char *nb, bool failed,
		       FILE *f, int *rc)
{
	struct adi_jw w;

	adi_jw_init(&w);
	adi_jw_obj(&w);
	adi_jw_kint(&w, "diff", 1);
	adi_jw_kstr(&w, "a", na);
	adi_jw_kstr(&w, "b", nb);
	adi_jw_karr(&w, "fail_on");
	for (size_t i = 0; i < sizeof(adi_diff_words) / sizeof(adi_diff_words[0]); i++)
		if ((c->o->fail_on & adi_diff_words[i].bit) && strcmp(adi_diff_words[i].name, "p95") &&
		    strcmp(adi_diff_words[i].name, "n_plus_one"))
			adi_jw_str(&w, adi_diff_words[i].name);
	adi_jw_arr_end(&w);
	adi_jw_karr(&w, "changes");
	for (size_t i = 0; i < c->n; i++) {
		const struct chg *x = &c->v[i];

		adi_jw_obj(&w);
		adi_jw_kstr(&w, "change", cat_name(x->cat));
		adi_jw_kstr(&w, "what", x->what);
		adi_jw_kstr(&w, "system", x->system);
		adi_jw_kstr(&w, "name", x->name);
		adi_jw_kstr(&w, "measure", x->unit);
		num_json(&w, "a", x->has_a, x->a);
		num_json(&w, "b", x->has_b, x->b);
		adi_jw_kbool(&w, "worse", x->worse);
		adi_jw_kbool(&w, "fails", x->fails);
		adi_jw_obj_end(&w);
	}
	adi_jw_arr_end(&w);
	adi_jw_kbool(&w, "failed", failed);
	adi_jw_obj_end(&w);
	adi_jw_put(&w, "\n", 1);
	if (w.err)
		*rc = -ENOMEM;
	else if (fwrite(w.buf, 1, w.len, f) != w.len)
		*rc = -EIO;
	adi_jw_fini(&w);
}

static void val_text(FILE *f, bool has, double v)
{
	if (!has)
		fputs("-", f);
	else if (v == floor(v) && v < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.3f", v);
}

static void write_text(const struct chgs *c, const char *na, const char *nb, bool failed,
		       FILE *f)
{
	size_t nfail = 0;

	fprintf(f, "diff %s -> %s\n", na, nb);
	if (!c->n)
		fputs("  no changes beyond the thresholds\n", f);
	for (size_t i = 0; i < c->n; i++) {
		const struct chg *x = &c->v[i];

		nfail += x->fails;
		fprintf(f, "  %c %-8s %-11s ", x->fails ? '!' : x->worse ? '+' : '-',
			cat_name(x->cat), x->what);
		if (x->system)
			fprintf(f, "%s ", x->system);
		fputs(x->name, f);
		if (x->unit) {
			fprintf(f, "  (%s ", x->unit);
			val_text(f, x->has_a, x->a);
			fputs(" -> ", f);
			val_text(f, x->has_b, x->b);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	fprintf(f, "%s: %zu change%s fail%s (--fail-on)\n", failed ? "FAIL" : "ok", nfail,
		nfail == 1 ? "" : "s", nfail == 1 ? "s" : "");
}

int adi_insight_diff(struct adi_insight *a, struct adi_insight *b, const char *name_a,
		     const char *name_b, const struct adi_diff_opts *o, FILE *f, bool json)
{
	struct chgs c = { .o = o };
	struct adi_sb s = { 0 };
	bool failed = false;
	int rc = 0;

	adi_insight_finish(a);
	adi_insight_finish(b);
	ops_diff(&c, a, b);
	pairs_diff(&c, a, b, &s);
	errors_diff(&c, a, b, &s);
	findings_diff(&c, a, b, &s);
	deps_diff(&c, a, b, &s);
	adi_sb_fini(&s);
	if (c.err) {
		rc = c.err;
		goto out;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), chg_order);
	for (size_t i = 0; i < c.n; i++)
		failed |= c.v[i].fails;
	if (json)
		write_json(&c, name_a, name_b, failed, f, &rc);
	else
		write_text(&c, name_a, name_b, failed, f);
	if (!rc && (fflush(f) || ferror(f)))
		rc = -EIO;
	if (!rc)
		rc = failed;
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].name);
	free(c.v);
	return rc;
}
