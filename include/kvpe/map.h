/* map.h — string → index hash map (open addressing, FNV-1a), for joins by
 * ARM resource ID without per-vault scans.  Keys compare ASCII
 * case-insensitively (ARM echoes IDs in varying case), so the IDs themselves
 * are the keys: no lower-cased copies.  Keys are not copied: they must
 * outlive the map (they live in the inventory's arena). */
#ifndef KVPE_MAP_H
#define KVPE_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "kvpe/common.h"

struct kv_map;

struct kv_map *kv_map_new(void);
void kv_map_free(struct kv_map *m);
/* Inserts or replaces; values above UINT32_MAX are KV_ELIMIT. */
enum kv_err kv_map_put(struct kv_map *m, const char *key, size_t value);
bool kv_map_get(const struct kv_map *m, const char *key, size_t *value);
/* The stored key equal (ignoring case) to `key`, or NULL. */
const char *kv_map_key(const struct kv_map *m, const char *key);

#endif
