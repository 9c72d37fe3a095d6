/* json.c - the JSON value tree of json.h: constructors, ordered objects,
 * the compact writer and a strict RFC 8259 parser.
 * Owns every node and string it stores (all input is copied). Strings keep
 * an explicit length, so payload with NUL bytes survives. It does not know
 * the event schema: sinks decide what goes into a tree.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strtod_l, newlocale */
#endif

#include "json.h"
#include "jw.h"
#include "util.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of arrays/objects the parser accepts (json.h). */
#define ADI_JSON_MAX_DEPTH 64

struct adi_jstr {
	char *s;  /* NUL terminated, for adi_j_as_str; may hold NUL bytes */
	size_t n;
};

/* Keys shorter than this live inside the member (key.s == NULL): every
 * event object has a dozen short keys, and a heap copy of each was a large
 * share of a busy trace's time. Read a key through adi_jkey(). */
#define ADI_JKEY_INLINE 24

struct adi_jmember {
	struct adi_jstr key;     /* key.s NULL: the key is in kin */
	char kin[ADI_JKEY_INLINE];
	struct adi_jval *val;
};

static const char *adi_jkey(const struct adi_jmember *m)
{
	return m->key.s ? m->key.s : m->kin;
}

struct adi_jval {
	enum adi_jtype type;
	union {
		bool b;
		int64_t i;
		double d;
		struct adi_jstr str;
		struct {
			struct adi_jval **items;
			size_t n, cap;
		} arr;
		struct {
			struct adi_jmember *m;
			size_t n, cap;
		} obj;
	} u;
};

/* ---- constructors ---- */

/* null, true and false are shared read-only nodes, never allocated nor
 * freed: a file event alone carries half a dozen nulls. Nothing writes to a
 * node after construction except containers (which these are not). */
static const struct adi_jval adi_j_null_node = { .type = ADI_J_NULL };
static const struct adi_jval adi_j_true_node = { .type = ADI_J_BOOL, .u.b = true };
static const struct adi_jval adi_j_false_node = { .type = ADI_J_BOOL, .u.b = false };

static bool adi_j_shared(const struct adi_jval *v)
{
	return v == &adi_j_null_node || v == &adi_j_true_node || v == &adi_j_false_node;
}

static struct adi_jval *adi_j_new(enum adi_jtype t)
{
	struct adi_jval *v = calloc(1, sizeof(*v));

	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	v->type = t;
	return v;
}

struct adi_jval *adi_j_null(void)
{
	return (struct adi_jval *)&adi_j_null_node;
}

struct adi_jval *adi_j_bool(bool b)
{
	return (struct adi_jval *)(b ? &adi_j_true_node : &adi_j_false_node);
}

struct adi_jval *adi_j_int(int64_t i)
{
	struct adi_jval *v = adi_j_new(ADI_J_INT);

	if (v)
		v->u.i = i;
	return v;
}

struct adi_jval *adi_j_double(double d)
{
	struct adi_jval *v = adi_j_new(ADI_J_DOUBLE);

	if (v)
		v->u.d = d;
	return v;
}

/* Copy n bytes into a NUL terminated heap string; 0 or -ENOMEM. */
static int adi_jstr_set(struct adi_jstr *js, const char *s, size_t n)
{
	js->s = malloc(n + 1);
	if (!js->s)
		return -ENOMEM;
	if (n)
		memcpy(js->s, s, n);
	js->s[n] = '\0';
	js->n = n;
	return 0;
}

/* A string node that takes over buf (n bytes, NUL terminated); frees buf
 * on failure. */
static struct adi_jval *adi_j_str_take(char *buf, size_t n)
{
	struct adi_jval *v = adi_j_new(ADI_J_STR);

	if (!v) {
		free(buf);
		return NULL;
	}
	v->u.str.s = buf;
	v->u.str.n = n;
	return v;
}

/* The node and its bytes in one allocation (v->u.str.s points right after
 * the node; adi_j_free knows it by that address): one malloc per string
 * value instead of two, and every event holds dozens. */
struct adi_jval *adi_j_strn(const char *s, size_t n)
{
	struct adi_jval *v;

	if (!s && n == 0)
		s = "";
	if (!s)
		return adi_j_null();
	if (n > SIZE_MAX - sizeof(*v) - 1 || !(v = malloc(sizeof(*v) + n + 1))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->type = ADI_J_STR;
	v->u.str.s = (char *)(v + 1);
	if (n)
		memcpy(v->u.str.s, s, n);
	v->u.str.s[n] = '\0';
	v->u.str.n = n;
	return v;
}

struct adi_jval *adi_j_str(const char *s)
{
	if (!s)
		return adi_j_null();
	return adi_j_strn(s, strlen(s));
}

struct adi_jval *adi_j_bytes(const uint8_t *b, size_t n)
{
	static const char prefix[] = "base64:";
	size_t plen = sizeof(prefix) - 1;
	char *buf;

	if (n == 0)
		return adi_j_strn("", 0);
	if (adi_utf8_valid(b, n))
		return adi_j_strn((const char *)b, n);
	if (n > (SIZE_MAX - plen - 1) / 4 * 3 - 3) {
		errno = ENOMEM;
		return NULL;
	}
	buf = malloc(plen + adi_base64_len(n) + 1);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(buf, prefix, plen);
	return adi_j_str_take(buf, plen + adi_base64_encode(b, n, buf + plen));
}

struct adi_jval *adi_j_arr(void)
{
	return adi_j_new(ADI_J_ARR);
}

struct adi_jval *adi_j_obj(void)
{
	return adi_j_new(ADI_J_OBJ);
}

struct adi_jval *adi_j_copy(const struct adi_jval *v)
{
	struct adi_jval *c;

	switch (adi_j_type(v)) {
	case ADI_J_BOOL:
		return adi_j_bool(adi_j_as_bool(v, false));
	case ADI_J_INT:
		return adi_j_int(adi_j_as_int(v, 0));
	case ADI_J_DOUBLE:
		return adi_j_double(adi_j_as_double(v, 0));
	case ADI_J_STR:
		return adi_j_strn(adi_j_as_str(v, ""), adi_j_len(v));
	case ADI_J_ARR:
		c = adi_j_arr();
		for (size_t i = 0; c && i < adi_j_len(v); i++)
			adi_j_push(c, adi_j_copy(adi_j_at(v, i)));
		return c;
	case ADI_J_OBJ:
		c = adi_j_obj();
		for (size_t i = 0; c && i < adi_j_len(v); i++)
			adi_j_set(c, adi_j_key_at(v, i), adi_j_copy(adi_j_at(v, i)));
		return c;
	case ADI_J_NULL:
		break;
	}
	return adi_j_null();
}

void adi_j_free(struct adi_jval *v)
{
	if (!v || adi_j_shared(v))
		return;
	switch (v->type) {
	case ADI_J_STR:
		if (v->u.str.s != (char *)(v + 1)) /* not the adi_j_strn block */
			free(v->u.str.s);
		break;
	case ADI_J_ARR:
		for (size_t i = 0; i < v->u.arr.n; i++)
			adi_j_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case ADI_J_OBJ:
		for (size_t i = 0; i < v->u.obj.n; i++) {
			free(v->u.obj.m[i].key.s);
			adi_j_free(v->u.obj.m[i].val);
		}
		free(v->u.obj.m);
		break;
	default:
		break;
	}
	free(v);
}

/* ---- containers ---- */

/* Make room for one more element of size elsz in *items (capacity *cap). */
static int adi_j_grow(void **items, size_t *cap, size_t n, size_t elsz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	/* first 8 (an event object has 12-25 members, a header object
	 * fewer), then doubling */
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / elsz)
		return -ENOMEM;
	p = realloc(*items, ncap * elsz);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = ncap;
	return 0;
}

int adi_j_push(struct adi_jval *arr, struct adi_jval *v)
{
	if (!v)
		return -ENOMEM;
	if (!arr || arr->type != ADI_J_ARR) {
		adi_j_free(v);
		return -EINVAL;
	}
	if (adi_j_grow((void **)&arr->u.arr.items, &arr->u.arr.cap, arr->u.arr.n,
		       sizeof(*arr->u.arr.items)) < 0) {
		adi_j_free(v);
		return -ENOMEM;
	}
	arr->u.arr.items[arr->u.arr.n++] = v;
	return 0;
}

static struct adi_jmember *adi_j_find(const struct adi_jval *obj, const char *key,
				      size_t klen)
{
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		struct adi_jmember *m = &obj->u.obj.m[i];

		/* length and first byte first: most keys differ there, and
		 * events are built by a dozen inserts into the same object */
		if (m->key.n == klen && (klen == 0 || (adi_jkey(m)[0] == key[0] &&
		    memcmp(adi_jkey(m), key, klen) == 0)))
			return m;
	}
	return NULL;
}

/* Set key (klen bytes) to v. The key is copied unless owned_key is given,
 * which is then taken over (freed when not needed). v is always taken.
 * Lookup is linear: event objects hold a handful of fields. */
static int adi_j_put(struct adi_jval *obj, const char *key, size_t klen,
		     char *owned_key, struct adi_jval *v)
{
	struct adi_jmember *m = adi_j_find(obj, key, klen);
	struct adi_jstr k;

	if (m) {
		free(owned_key);
		adi_j_free(m->val);
		m->val = v; /* in place: the key keeps its position */
		return 0;
	}
	if (adi_j_grow((void **)&obj->u.obj.m, &obj->u.obj.cap, obj->u.obj.n,
		       sizeof(*obj->u.obj.m)) < 0)
		goto nomem;
	if (owned_key) {
		k.s = owned_key;
		k.n = klen;
		owned_key = NULL;
	} else if (klen < ADI_JKEY_INLINE && !memchr(key, 0, klen)) {
		k.s = NULL; /* inline: copied below */
		k.n = klen;
	} else if (adi_jstr_set(&k, key, klen) < 0) {
		goto nomem;
	}
	obj->u.obj.m[obj->u.obj.n].key = k;
	if (!k.s) {
		memcpy(obj->u.obj.m[obj->u.obj.n].kin, key, klen);
		obj->u.obj.m[obj->u.obj.n].kin[klen] = 0;
	}
	obj->u.obj.m[obj->u.obj.n].val = v;
	obj->u.obj.n++;
	return 0;
nomem:
	free(owned_key);
	adi_j_free(v);
	return -ENOMEM;
}

int adi_j_set(struct adi_jval *obj, const char *key, struct adi_jval *v)
{
	if (!v)
		return -ENOMEM;
	if (!obj || obj->type != ADI_J_OBJ || !key) {
		adi_j_free(v);
		return -EINVAL;
	}
	return adi_j_put(obj, key, strlen(key), NULL, v);
}

int adi_j_set_str(struct adi_jval *obj, const char *key, const char *s)
{
	return adi_j_set(obj, key, adi_j_str(s));
}

int adi_j_set_int(struct adi_jval *obj, const char *key, int64_t v)
{
	return adi_j_set(obj, key, adi_j_int(v));
}

int adi_j_set_bool(struct adi_jval *obj, const char *key, bool b)
{
	return adi_j_set(obj, key, adi_j_bool(b));
}

int adi_j_set_null(struct adi_jval *obj, const char *key)
{
	return adi_j_set(obj, key, adi_j_null());
}

int adi_j_set_double(struct adi_jval *obj, const char *key, double v)
{
	return adi_j_set(obj, key, adi_j_double(v));
}

int adi_j_set_bytes(struct adi_jval *obj, const char *key, const uint8_t *b, size_t n)
{
	return adi_j_set(obj, key, adi_j_bytes(b, n));
}

/* ---- access ---- */

enum adi_jtype adi_j_type(const struct adi_jval *v)
{
	return v ? v->type : ADI_J_NULL;
}

struct adi_jval *adi_j_get(const struct adi_jval *obj, const char *key)
{
	struct adi_jmember *m;

	if (!obj || obj->type != ADI_J_OBJ || !key)
		return NULL;
	m = adi_j_find(obj, key, strlen(key));
	return m ? m->val : NULL;
}

size_t adi_j_len(const struct adi_jval *v)
{
	if (!v)
		return 0;
	switch (v->type) {
	case ADI_J_ARR:
		return v->u.arr.n;
	case ADI_J_OBJ:
		return v->u.obj.n;
	case ADI_J_STR:
		return v->u.str.n;
	default:
		return 0;
	}
}

struct adi_jval *adi_j_at(const struct adi_jval *v, size_t i)
{
	if (!v)
		return NULL;
	if (v->type == ADI_J_ARR && i < v->u.arr.n)
		return v->u.arr.items[i];
	if (v->type == ADI_J_OBJ && i < v->u.obj.n)
		return v->u.obj.m[i].val;
	return NULL;
}

const char *adi_j_key_at(const struct adi_jval *obj, size_t i)
{
	if (!obj || obj->type != ADI_J_OBJ || i >= obj->u.obj.n)
		return NULL;
	return adi_jkey(&obj->u.obj.m[i]);
}

bool adi_j_is_null(const struct adi_jval *v)
{
	return !v || v->type == ADI_J_NULL;
}

const char *adi_j_as_str(const struct adi_jval *v, const char *fallback)
{
	return v && v->type == ADI_J_STR ? v->u.str.s : fallback;
}

int64_t adi_j_as_int(const struct adi_jval *v, int64_t fallback)
{
	return v && v->type == ADI_J_INT ? v->u.i : fallback;
}

double adi_j_as_double(const struct adi_jval *v, double fallback)
{
	if (!v)
		return fallback;
	if (v->type == ADI_J_DOUBLE)
		return v->u.d;
	/* JSON has one number type: "2" read back from a trace is an int. */
	if (v->type == ADI_J_INT)
		return (double)v->u.i;
	return fallback;
}

bool adi_j_as_bool(const struct adi_jval *v, bool fallback)
{
	return v && v->type == ADI_J_BOOL ? v->u.b : fallback;
}

const char *adi_j_get_str(const struct adi_jval *obj, const char *key, const char *fallback)
{
	return adi_j_as_str(adi_j_get(obj, key), fallback);
}

int64_t adi_j_get_int(const struct adi_jval *obj, const char *key, int64_t fallback)
{
	return adi_j_as_int(adi_j_get(obj, key), fallback);
}

/* ---- writer: the tree through jw.c's one-pass writer ---- */

void adi_jw_tree(struct adi_jw *w, const struct adi_jval *v)
{
	if (!v) {
		adi_jw_null(w);
		return;
	}
	switch (v->type) {
	case ADI_J_NULL:
		adi_jw_null(w);
		break;
	case ADI_J_BOOL:
		adi_jw_bool(w, v->u.b);
		break;
	case ADI_J_INT:
		adi_jw_int(w, v->u.i);
		break;
	case ADI_J_DOUBLE:
		adi_jw_double(w, v->u.d);
		break;
	case ADI_J_STR:
		adi_jw_strn(w, v->u.str.s, v->u.str.n);
		break;
	case ADI_J_ARR:
		adi_jw_arr(w);
		for (size_t i = 0; i < v->u.arr.n && !w->err; i++)
			adi_jw_tree(w, v->u.arr.items[i]);
		adi_jw_arr_end(w);
		break;
	case ADI_J_OBJ:
		adi_jw_obj(w);
		for (size_t i = 0; i < v->u.obj.n && !w->err; i++) {
			adi_jw_keyn(w, adi_jkey(&v->u.obj.m[i]), v->u.obj.m[i].key.n);
			adi_jw_tree(w, v->u.obj.m[i].val);
		}
		adi_jw_obj_end(w);
		break;
	}
}

int adi_j_write(const struct adi_jval *v, FILE *f)
{
	struct adi_jw w;
	int err;

	if (!f)
		return -EINVAL;
	adi_jw_init(&w);
	adi_jw_tree(&w, v);
	err = w.err;
	errno = 0;
	if (!err && w.len && fwrite(w.buf, 1, w.len, f) != w.len)
		err = errno ? -errno : -EIO;
	adi_jw_fini(&w);
	return err;
}

/* A writer over a caller's buffer (what the append functions share), and
 * the buffer handed back. */
static void adi_jw_over(struct adi_jw *w, char *buf, size_t len, size_t cap)
{
	adi_jw_init(w);
	w->buf = buf;
	w->len = len;
	w->cap = cap;
}

static int adi_jw_back(struct adi_jw *w, char **buf, size_t *len, size_t *cap)
{
	*buf = w->buf;
	*len = w->len;
	*cap = w->cap;
	return w->err;
}

int adi_j_append(const struct adi_jval *v, char **buf, size_t *len, size_t *cap)
{
	struct adi_jw w;

	adi_jw_over(&w, *buf, *len, *cap);
	adi_jw_tree(&w, v);
	return adi_jw_back(&w, buf, len, cap);
}

int adi_j_append_str(const char *s, size_t n, char **buf, size_t *len, size_t *cap)
{
	struct adi_jw w;

	adi_jw_over(&w, *buf, *len, *cap);
	adi_jw_strn(&w, s, n);
	return adi_jw_back(&w, buf, len, cap);
}

int adi_j_append_double(double d, char **buf, size_t *len, size_t *cap)
{
	struct adi_jw w;

	adi_jw_over(&w, *buf, *len, *cap);
	adi_jw_double(&w, d);
	return adi_jw_back(&w, buf, len, cap);
}

int adi_j_append_raw(const char *s, size_t n, char **buf, size_t *len, size_t *cap)
{
	struct adi_jw w;

	adi_jw_over(&w, *buf, *len, *cap);
	adi_jw_put(&w, s, n);
	return adi_jw_back(&w, buf, len, cap);
}

struct adi_jval *adi_j_take(struct adi_jval *obj, const char *key)
{
	struct adi_jmember *m;
	struct adi_jval *v;
	size_t i;

	if (!obj || obj->type != ADI_J_OBJ || !key)
		return NULL;
	m = adi_j_find(obj, key, strlen(key));
	if (!m)
		return NULL;
	v = m->val;
	free(m->key.s);
	i = (size_t)(m - obj->u.obj.m);
	memmove(m, m + 1, (obj->u.obj.n - i - 1) * sizeof(*m));
	obj->u.obj.n--;
	return v;
}

char *adi_j_to_string(const struct adi_jval *v)
{
	struct adi_jw w;
	size_t len;
	char *b;

	adi_jw_init(&w);
	adi_jw_tree(&w, v);
	if (w.err) {
		adi_jw_fini(&w);
		errno = ENOMEM;
		return NULL;
	}
	b = adi_jw_take(&w, &len);
	return b ? b : strdup("");
}

/* ---- parser ---- */

/* A bounds-checked cursor over s[0..n): every read tests pos < n first. */
struct adi_jp {
	const char *s;
	size_t n, pos;
	int err;        /* -EINVAL or -ENOMEM, first one wins */
	locale_t c_loc; /* "C" numeric locale for strtod_l, made on first use */
};

static void adi_jp_fail(struct adi_jp *p, int err)
{
	if (!p->err)
		p->err = err;
}

static void adi_jp_ws(struct adi_jp *p)
{
	while (p->pos < p->n) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool adi_jp_lit(struct adi_jp *p, const char *lit)
{
	size_t l = strlen(lit);

	if (p->n - p->pos < l || memcmp(p->s + p->pos, lit, l) != 0)
		return false;
	p->pos += l;
	return true;
}

static int adi_jp_hex4(struct adi_jp *p, uint32_t *out)
{
	uint32_t v = 0;

	if (p->n - p->pos < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t adi_utf8_put(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode the string whose opening quote is at pos. Returns a heap buffer
 * (NUL terminated, length in *len) or NULL with p->err set. The decoded
 * text is never longer than the raw text (every escape shrinks), so one
 * allocation of the raw length suffices. */
static char *adi_jp_string(struct adi_jp *p, size_t *len)
{
	size_t end, o = 0;
	char *out;

	p->pos++; /* the opening quote */
	for (end = p->pos; end < p->n; end++) {
		/* plain runs at once: strings are mostly text */
		end += adi_jw_plain_run((const uint8_t *)p->s + end, p->n - end);
		if (end >= p->n || p->s[end] == '"')
			break;
		if (p->s[end] == '\\')
			end++; /* the escaped char cannot close the string */
	}
	if (end >= p->n) {
		adi_jp_fail(p, -EINVAL);
		return NULL;
	}
	out = malloc(end - p->pos + 1);
	if (!out) {
		adi_jp_fail(p, -ENOMEM);
		return NULL;
	}
	while (p->pos < end) {
		size_t run = adi_jw_plain_run((const uint8_t *)p->s + p->pos, end - p->pos);
		uint8_t c;
		uint32_t cp, lo;
		size_t sl;

		memcpy(out + o, p->s + p->pos, run);
		o += run;
		p->pos += run;
		if (p->pos >= end)
			break;
		c = (uint8_t)p->s[p->pos];
		if (c < 0x20)
			goto bad; /* raw control characters must be escaped */
		if (c >= 0x80) {
			sl = adi_utf8_seq((const uint8_t *)p->s + p->pos, end - p->pos);
			if (!sl)
				goto bad;
			memcpy(out + o, p->s + p->pos, sl);
			o += sl;
			p->pos += sl;
			continue;
		}
		p->pos++;
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		c = (uint8_t)p->s[p->pos++]; /* pos < end: end follows a char */
		switch (c) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case '/': out[o++] = '/'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			if (end - p->pos < 4 || adi_jp_hex4(p, &cp) < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad; /* a low surrogate with no high one */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - p->pos < 6 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u')
					goto bad;
				p->pos += 2;
				if (adi_jp_hex4(p, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			o += adi_utf8_put(cp, out + o);
			break;
		default:
			goto bad;
		}
	}
	p->pos = end + 1;
	out[o] = '\0';
	*len = o;
	return out;
bad:
	free(out);
	adi_jp_fail(p, -EINVAL);
	return NULL;
}

static struct adi_jval *adi_jp_number(struct adi_jp *p)
{
	size_t start = p->pos, digits;
	bool neg = false, is_int = true, overflow = false;
	uint64_t mag = 0;
	char small[64], *copy;
	struct adi_jval *v;
	double d;

	if (p->pos < p->n && p->s[p->pos] == '-') {
		neg = true;
		p->pos++;
	}
	digits = p->pos;
	while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		unsigned dg = (unsigned)(p->s[p->pos] - '0');

		if (mag > (UINT64_MAX - dg) / 10)
			overflow = true;
		else
			mag = mag * 10 + dg;
		p->pos++;
	}
	digits = p->pos - digits;
	/* RFC 8259: at least one digit, no leading zero. */
	if (digits == 0 || (digits > 1 && p->s[p->pos - digits] == '0'))
		goto bad;
	if (p->pos < p->n && p->s[p->pos] == '.') {
		is_int = false;
		p->pos++;
		digits = p->pos;
		while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == digits)
			goto bad;
	}
	if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		is_int = false;
		p->pos++;
		if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		digits = p->pos;
		while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == digits)
			goto bad;
	}
	if (is_int && !overflow) {
		if (!neg && mag <= (uint64_t)INT64_MAX)
			return adi_j_int((int64_t)mag);
		if (neg && mag <= (uint64_t)INT64_MAX + 1)
			return adi_j_int(mag == (uint64_t)INT64_MAX + 1 ?
					 INT64_MIN : -(int64_t)mag);
	}
	/* strtod needs a terminated copy: the input is not terminated. */
	if (!p->c_loc) {
		p->c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (!p->c_loc) {
			adi_jp_fail(p, -ENOMEM);
			return NULL;
		}
	}
	copy = p->pos - start < sizeof(small) ? small : malloc(p->pos - start + 1);
	if (!copy) {
		adi_jp_fail(p, -ENOMEM);
		return NULL;
	}
	memcpy(copy, p->s + start, p->pos - start);
	copy[p->pos - start] = '\0';
	d = strtod_l(copy, NULL, p->c_loc);
	if (copy != small)
		free(copy);
	v = adi_j_double(d);
	if (!v)
		adi_jp_fail(p, -ENOMEM);
	return v;
bad:
	adi_jp_fail(p, -EINVAL);
	return NULL;
}

static struct adi_jval *adi_jp_value(struct adi_jp *p, int depth);

static struct adi_jval *adi_jp_array(struct adi_jp *p, int depth)
{
	struct adi_jval *arr = adi_j_arr(), *item;

	if (!arr) {
		adi_jp_fail(p, -ENOMEM);
		return NULL;
	}
	p->pos++; /* '[' */
	adi_jp_ws(p);
	if (p->pos < p->n && p->s[p->pos] == ']') {
		p->pos++;
		return arr;
	}
	for (;;) {
		item = adi_jp_value(p, depth);
		if (!item)
			goto fail;
		if (adi_j_push(arr, item) < 0) {
			adi_jp_fail(p, -ENOMEM);
			goto fail;
		}
		adi_jp_ws(p);
		if (p->pos >= p->n)
			goto fail;
		if (p->s[p->pos] == ']') {
			p->pos++;
			return arr;
		}
		if (p->s[p->pos] != ',')
			goto fail;
		p->pos++;
	}
fail:
	/* a syntax error here; a no-op when a nested failure already set err */
	adi_jp_fail(p, -EINVAL);
	adi_j_free(arr);
	return NULL;
}

static struct adi_jval *adi_jp_object(struct adi_jp *p, int depth)
{
	struct adi_jval *obj = adi_j_obj(), *val;
	char *key;
	size_t klen;

	if (!obj) {
		adi_jp_fail(p, -ENOMEM);
		return NULL;
	}
	p->pos++; /* '{' */
	adi_jp_ws(p);
	if (p->pos < p->n && p->s[p->pos] == '}') {
		p->pos++;
		return obj;
	}
	for (;;) {
		adi_jp_ws(p);
		if (p->pos >= p->n || p->s[p->pos] != '"')
			goto fail;
		key = adi_jp_string(p, &klen);
		if (!key)
			goto fail;
		adi_jp_ws(p);
		if (p->pos >= p->n || p->s[p->pos] != ':') {
			free(key);
			goto fail;
		}
		p->pos++;
		val = adi_jp_value(p, depth);
		if (!val) {
			free(key);
			goto fail;
		}
		/* A repeated key replaces the earlier value, as adi_j_set does. */
		if (adi_j_put(obj, key, klen, key, val) < 0) {
			adi_jp_fail(p, -ENOMEM);
			goto fail;
		}
		adi_jp_ws(p);
		if (p->pos >= p->n)
			goto fail;
		if (p->s[p->pos] == '}') {
			p->pos++;
			return obj;
		}
		if (p->s[p->pos] != ',')
			goto fail;
		p->pos++;
	}
fail:
	/* a syntax error here; a no-op when a nested failure already set err */
	adi_jp_fail(p, -EINVAL);
	adi_j_free(obj);
	return NULL;
}

/* One value after optional whitespace; depth counts the containers that
 * enclose it. */
static struct adi_jval *adi_jp_value(struct adi_jp *p, int depth)
{
	struct adi_jval *v = NULL;
	char *s;
	size_t len;

	adi_jp_ws(p);
	if (p->pos >= p->n) {
		adi_jp_fail(p, -EINVAL);
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (depth >= ADI_JSON_MAX_DEPTH) {
			adi_jp_fail(p, -EINVAL);
			return NULL;
		}
		return p->s[p->pos] == '{' ? adi_jp_object(p, depth + 1) :
					     adi_jp_array(p, depth + 1);
	case '"':
		s = adi_jp_string(p, &len);
		if (!s)
			return NULL;
		v = adi_j_str_take(s, len);
		break;
	case 't':
		if (!adi_jp_lit(p, "true"))
			goto bad;
		v = adi_j_bool(true);
		break;
	case 'f':
		if (!adi_jp_lit(p, "false"))
			goto bad;
		v = adi_j_bool(false);
		break;
	case 'n':
		if (!adi_jp_lit(p, "null"))
			goto bad;
		v = adi_j_null();
		break;
	default:
		return adi_jp_number(p);
	}
	if (!v)
		adi_jp_fail(p, -ENOMEM);
	return v;
bad:
	adi_jp_fail(p, -EINVAL);
	return NULL;
}

struct adi_jval *adi_json_parse(const char *s, size_t n)
{
	struct adi_jp p = { .s = s, .n = n };
	struct adi_jval *v;

	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	v = adi_jp_value(&p, 0);
	if (v) {
		adi_jp_ws(&p);
		if (p.pos != p.n) {
			adi_j_free(v); /* trailing garbage */
			v = NULL;
			adi_jp_fail(&p, -EINVAL);
		}
	}
	if (p.c_loc)
		freelocale(p.c_loc);
	if (!v)
		errno = p.err ? -p.err : EINVAL;
	return v;
}
