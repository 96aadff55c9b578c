/* map.c — see map.h.  Linear probing, load factor at most 3/4 (the maps of
 * a 50,000-vault tenant are several megabytes; probes stay short). */
#include "kvpe/map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct map_slot { /* 16 bytes: at 50,000 vaults the slots were megabytes */
	const char *key;
	uint32_t value;
	uint32_t hash;
};

struct kv_map {
	struct map_slot *slots;
	size_t cap, count;
};

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		h ^= (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; /* case-insensitive */
		h *= 16777619u;
	}
	return h;
}

struct kv_map *
kv_map_new(void)
{
	struct kv_map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
kv_map_free(struct kv_map *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static struct map_slot *
find(struct map_slot *slots, size_t cap, const char *key, uint32_t h)
{
	size_t i = h & (cap - 1);

	while (slots[i].key != NULL && (slots[i].hash != h || !kv_streq_ci(slots[i].key, key)))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static enum kv_err
grow(struct kv_map *m)
{
	size_t ncap = m->cap * 2;
	struct map_slot *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL)
			*find(ns, ncap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return KV_OK;
}

enum kv_err
kv_map_put(struct kv_map *m, const char *key, size_t value)
{
	uint32_t h = fnv1a(key);
	struct map_slot *s;

	if (value > UINT32_MAX)
		return KV_ELIMIT;
	if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != KV_OK)
		return KV_ENOMEM;
	s = find(m->slots, m->cap, key, h);
	if (s->key == NULL) {
		s->key = key;
		s->hash = h;
		m->count++;
	}
	s->value = (uint32_t)value;
	return KV_OK;
}

bool
kv_map_get(const struct kv_map *m, const char *key, size_t *value)
{
	const struct map_slot *s = find(m->slots, m->cap, key, fnv1a(key));

	if (s->key == NULL)
		return false;
	*value = s->value;
	return true;
}

const char *
kv_map_key(const struct kv_map *m, const char *key)
{
	return find(m->slots, m->cap, key, fnv1a(key))->key;
}
