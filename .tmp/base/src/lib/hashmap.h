/* hashmap.h - an open-addressing map from uint64_t keys to pointers, the one
 * table type the engine's process, fd and connection tables use. Values are
 * borrowed: the map never frees them. Capacity grows by doubling. */
#ifndef ADI_HASHMAP_H
#define ADI_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct adi_map {
	uint64_t *keys;
	void **vals;     /* NULL: empty slot; ADI_MAP_TOMB: deleted */
	size_t cap, len, used; /* used counts live + tombstones */
};

int adi_map_init(struct adi_map *m);           /* 0 or -ENOMEM */
void adi_map_fini(struct adi_map *m);
void *adi_map_get(const struct adi_map *m, uint64_t key); /* NULL if absent */
/* Insert or replace; v must not be NULL. 0 or -ENOMEM. */
int adi_map_put(struct adi_map *m, uint64_t key, void *v);
void *adi_map_del(struct adi_map *m, uint64_t key); /* the old value or NULL */
/* Iterate: for (size_t i = 0; adi_map_next(m, &i, &k, &v);) ... Deleting
 * the current key while iterating is allowed. */
int adi_map_next(const struct adi_map *m, size_t *it, uint64_t *key, void **val);

#endif
