/* table.c - the containers of the insight model (ins_int.h): duration
 * distributions (exact while small, then a log histogram: bounded memory
 * whatever the count) and string-keyed tables with a cap (entries in
 * insertion order, so output is stable); and the small helpers the
 * model's readers share.
 */
#include "ins_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- distributions ---- */

static uint32_t bucket_of(uint64_t v)
{
	int e;

	if (v < 16)
		return (uint32_t)v;
	e = 63 - __builtin_clzll(v);
	return 16 + (uint32_t)(e - 4) * 16 + (uint32_t)((v >> (e - 4)) & 15);
}

/* The middle of bucket i: at most half a bucket (1/32 of the value) off. */
static uint64_t bucket_mid(uint32_t i)
{
	uint32_t e, m;
	uint64_t low;

	if (i < 16)
		return i;
	e = (i - 16) / 16 + 4;
	m = (i - 16) % 16;
	low = (uint64_t)(16 + m) << (e - 4);
	return low + ((1ull << (e - 4)) >> 1);
}

void adi_dist_add(struct adi_dist *d, uint64_t v)
{
	d->n++;
	d->sum += v;
	if (v > d->max)
		d->max = v;
	if (d->hist) {
		d->hist[bucket_of(v)]++;
		return;
	}
	if (d->nx == ADI_DIST_EXACT) {
		/* from now on, counts per bucket */
		d->hist = calloc(ADI_DIST_BUCKETS, sizeof(*d->hist));
		if (!d->hist) {
			d->err = -ENOMEM;
			return;
		}
		for (uint32_t i = 0; i < d->nx; i++)
			d->hist[bucket_of(d->x[i])]++;
		d->hist[bucket_of(v)]++;
		free(d->x);
		d->x = NULL;
		d->nx = d->capx = 0;
		return;
	}
	if (d->nx == d->capx) {
		uint32_t cap = d->capx ? d->capx * 2 : 4;
		uint64_t *x = realloc(d->x, cap * sizeof(*x));

		if (!x) {
			d->err = -ENOMEM;
			return;
		}
		d->x = x;
		d->capx = cap;
	}
	d->x[d->nx++] = v;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t adi_dist_q(struct adi_dist *d, double q)
{
	uint64_t rank, seen = 0;

	if (!d->n)
		return 0;
	if (d->hist) {
		rank = (uint64_t)ceil(q * (double)d->n);
		if (rank < 1)
			rank = 1;
		if (rank >= d->n)
			return d->max; /* known exactly */
		for (uint32_t i = 0; i < ADI_DIST_BUCKETS; i++) {
			seen += d->hist[i];
			if (seen >= rank) {
				uint64_t m = bucket_mid(i);

				return m > d->max ? d->max : m;
			}
		}
		return d->max;
	}
	if (!d->nx)
		return d->max;
	qsort(d->x, d->nx, sizeof(*d->x), u64_cmp);
	rank = (uint64_t)ceil(q * (double)d->nx);
	if (rank < 1)
		rank = 1;
	return d->x[rank - 1];
}

void adi_dist_fini(struct adi_dist *d)
{
	free(d->x);
	free(d->hist);
	memset(d, 0, sizeof(*d));
}

/* ---- tables ---- */

void adi_tab_init(struct adi_tab *t, size_t esize, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->esize = esize;
	t->max = max;
	if (adi_map_init(&t->idx))
		t->err = -ENOMEM;
}

void *adi_tab_get(struct adi_tab *t, const char *k, size_t kn, bool make)
{
	uint64_t h = adi_hash(ADI_HASH0, k, kn);
	struct adi_tent *e = t->err ? NULL : adi_map_get(&t->idx, h), *head = e;

	for (; e; e = e->next)
		if (e->klen == kn && !memcmp(e->key, k, kn))
			return e;
	if (!make || t->err)
		return NULL;
	if (t->n >= t->max) {
		t->dropped++;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct adi_tent **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	e = calloc(1, t->esize);
	if (!e || !(e->key = malloc(kn + 1))) {
		free(e);
		return NULL;
	}
	memcpy(e->key, k, kn);
	e->key[kn] = '\0';
	e->klen = kn;
	e->next = head;
	if (adi_map_put(&t->idx, h, e)) {
		free(e->key);
		free(e);
		return NULL;
	}
	t->v[t->n++] = e;
	return e;
}

void adi_tab_fini(struct adi_tab *t, void (*fini)(void *entry))
{
	for (size_t i = 0; i < t->n; i++) {
		if (fini)
			fini(t->v[i]);
		free(t->v[i]->key);
		free(t->v[i]);
	}
	free(t->v);
	adi_map_fini(&t->idx);
	memset(t, 0, sizeof(*t));
}

void **adi_tab_sorted(const struct adi_tab *t, int (*cmp)(const void *, const void *))
{
	void **v = malloc((t->n ? t->n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	if (t->n)
		memcpy(v, t->v, t->n * sizeof(*v));
	if (cmp)
		qsort(v, t->n, sizeof(*v), cmp);
	return v;
}

/* ---- helpers ---- */

const char *const adi_fam_names[ADI_FAM_N] = {
	"sql", "redis", "mongo", "http", "grpc", "file", "other",
};

const char *const adi_find_names[3] = { "n_plus_one", "repeated_query", "repeated_file_read" };

double adi_ins_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

int adi_op_by_time(const void *a, const void *b)
{
	const struct adi_op *x = *(const struct adi_op *const *)a;
	const struct adi_op *y = *(const struct adi_op *const *)b;

	if (x->d.sum != y->d.sum)
		return x->d.sum > y->d.sum ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->t.key, y->t.key);
}

const char *adi_ins_str(struct adi_jv v, struct adi_sb *tmp, size_t *n)
{
	const char *s = adi_jv_plain(v, n);
	char *d = NULL;

	if (!s) {
		if (adi_jv_type(v) != ADI_J_STR || !(d = adi_jv_strdup(v, n)))
			return NULL;
		s = d;
	}
	adi_sb_reset(tmp);
	adi_sb_put(tmp, s, *n);
	adi_sb_putc(tmp, '\0'); /* an empty string still gets a buffer */
	tmp->len--;
	free(d);
	return tmp->err ? NULL : tmp->p;
}

void adi_ins_key(struct adi_sb *tmp, const char *const *parts, size_t n)
{
	adi_sb_reset(tmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			adi_sb_putc(tmp, '\x1f');
		adi_sb_puts(tmp, parts[i] ? parts[i] : "");
	}
}

/* ---- events ---- */

enum adi_kid adi_kind_id(const char *kind)
{
	static const struct {
		const char *name;
		enum adi_kid id;
	} kinds[] = {
		{ "http_request", ADI_K_HTTP }, { "grpc_call", ADI_K_GRPC },
		{ "sql_query", ADI_K_SQL }, { "redis_command", ADI_K_REDIS },
		{ "mongo_command", ADI_K_MONGO }, { "dns_query", ADI_K_DNS },
		{ "file", ADI_K_FILE }, { "connection", ADI_K_CONN }, { "process", ADI_K_PROC },
		{ "tcp_stream", ADI_K_TCP }, { "trace_summary", ADI_K_SUMMARY },
		{ "db_session", ADI_K_DBSESS },
	};

	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].name))
			return kinds[i].id;
	return ADI_K_OTHER;
}

void adi_fields_index(struct adi_fields *x, struct adi_jv list)
{
	struct adi_jv_it it = adi_jv_iter_list(list);

	x->all = list;
	x->n = 0;
	while (x->n < ADI_FIELDS_MAX && adi_jv_next(&it, &x->m[x->n].k, &x->m[x->n].v))
		x->n++;
}

struct adi_jv adi_fget(const struct adi_fields *x, const char *k)
{
	size_t n = strlen(k);

	/* keys are string tokens as written: "name", quotes included */
	for (unsigned i = 0; i < x->n; i++)
		if (x->m[i].k.n == n + 2 && !memcmp(x->m[i].k.p + 1, k, n))
			return x->m[i].v;
	if (x->n < ADI_FIELDS_MAX)
		return (struct adi_jv){ NULL, 0 };
	return adi_jv_member(x->all, k);
}
