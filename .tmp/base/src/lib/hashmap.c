/* hashmap.c - open addressing with linear probing and tombstones. */
#include <errno.h>
#include <stdlib.h>
#include "hashmap.h"

static char tomb_;
#define TOMB ((void *)&tomb_)

static size_t slot_of(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL; /* murmur3 finaliser: spreads pid<<32|fd keys */
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

int adi_map_init(struct adi_map *m)
{
	m->cap = 64;
	m->len = m->used = 0;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		adi_map_fini(m);
		return -ENOMEM;
	}
	return 0;
}

void adi_map_fini(struct adi_map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->len = m->used = 0;
}

static int grow(struct adi_map *m)
{
	struct adi_map n = { 0 };
	size_t cap = m->len * 4 > m->cap ? m->cap * 2 : m->cap; /* else just rehash */

	n.cap = cap;
	n.keys = calloc(cap, sizeof(*n.keys));
	n.vals = calloc(cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->vals[i] || m->vals[i] == TOMB)
			continue;
		size_t j = slot_of(m->keys[i], cap);
		while (n.vals[j])
			j = (j + 1) & (cap - 1);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.len++;
	}
	n.used = n.len;
	adi_map_fini(m);
	*m = n;
	return 0;
}

void *adi_map_get(const struct adi_map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			return NULL;
		if (m->vals[i] != TOMB && m->keys[i] == key)
			return m->vals[i];
	}
}

int adi_map_put(struct adi_map *m, uint64_t key, void *v)
{
	size_t i, tomb = (size_t)-1;

	if ((m->used + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			break;
		if (m->vals[i] == TOMB) {
			if (tomb == (size_t)-1)
				tomb = i;
		} else if (m->keys[i] == key) {
			m->vals[i] = v;
			return 0;
		}
	}
	if (tomb != (size_t)-1)
		i = tomb;
	else
		m->used++;
	m->keys[i] = key;
	m->vals[i] = v;
	m->len++;
	return 0;
}

void *adi_map_del(struct adi_map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			return NULL;
		if (m->vals[i] != TOMB && m->keys[i] == key) {
			void *v = m->vals[i];

			m->vals[i] = TOMB;
			m->len--;
			return v;
		}
	}
}

int adi_map_next(const struct adi_map *m, size_t *it, uint64_t *key, void **val)
{
	for (; *it < m->cap; (*it)++) {
		if (m->vals[*it] && m->vals[*it] != TOMB) {
			*key = m->keys[*it];
			*val = m->vals[*it];
			(*it)++;
			return 1;
		}
	}
	return 0;
}
