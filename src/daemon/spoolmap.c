/*
 * The storage engine's tables (spoolstore_int.h): a map from non-zero
 * 64-bit keys to pointers, open addressing with linear probing and
 * backward-shift deletion, and a binary min-heap of deadlines.  Keys are
 * random ids, key fingerprints or seeded name hashes; they are mixed
 * once more so that a run of near keys does not cluster.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spoolstore_int.h"

static size_t
slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void *
sps_map_get(const struct sps_map *m, uint64_t key)
{
	size_t	i;

	if (m->cap == 0 || key == 0)
		return NULL;
	for (i = slot_of(key, m->cap); m->keys[i] != 0; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return m->vals[i];
	return NULL;
}

static void
insert_slot(struct sps_map *m, uint64_t key, void *val)
{
	size_t	i;

	for (i = slot_of(key, m->cap); m->keys[i] != 0 && m->keys[i] != key;
	    i = (i + 1) & (m->cap - 1))
		;
	if (m->keys[i] == 0)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

/* Keep the load at most one half: probes stay short. */
static int
map_grow(struct sps_map *m)
{
	struct sps_map	 old = *m;
	uint64_t	*keys;
	void		**vals;
	size_t		 i, cap = old.cap == 0 ? 64 : old.cap * 2;

	keys = calloc(cap, sizeof(*keys));
	vals = calloc(cap, sizeof(*vals));
	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return -1;
	}
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	m->n = 0;
	for (i = 0; i < old.cap; i++)
		if (old.keys[i] != 0)
			insert_slot(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
	return 0;
}

int
sps_map_put(struct sps_map *m, uint64_t key, void *val)
{
	if (key == 0)
		return -1;
	if ((m->n + 1) * 2 > m->cap && map_grow(m) == -1)
		return -1;
	insert_slot(m, key, val);
	return 0;
}

void
sps_map_del(struct sps_map *m, uint64_t key)
{
	size_t	i, j, home;

	if (m->cap == 0 || key == 0)
		return;
	for (i = slot_of(key, m->cap); m->keys[i] != key;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == 0)
			return;
	/* Shift back the keys that probed past the freed slot. */
	for (j = (i + 1) & (m->cap - 1); m->keys[j] != 0;
	    j = (j + 1) & (m->cap - 1)) {
		home = slot_of(m->keys[j], m->cap);
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = NULL;
	m->n--;
}

void
sps_map_free(struct sps_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static void
heap_set(struct sps_heap *h, size_t i, struct sps_hnode *n)
{
	h->v[i] = n;
	n->idx = i;
}

static void
sift_up(struct sps_heap *h, size_t i)
{
	struct sps_hnode	*n = h->v[i];

	while (i > 0 && h->v[(i - 1) / 2]->key > n->key) {
		heap_set(h, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(h, i, n);
}

static void
sift_down(struct sps_heap *h, size_t i)
{
	struct sps_hnode	*n = h->v[i];
	size_t			 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->key < h->v[c]->key)
			c++;
		if (h->v[c]->key >= n->key)
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, n);
}

int
sps_heap_add(struct sps_heap *h, struct sps_hnode *n)
{
	struct sps_hnode	**v;
	size_t			  cap;

	if (h->n == h->cap) {
		cap = h->cap == 0 ? 64 : h->cap * 2;
		/* An array of pointers: the size of one is what is meant. */
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		if ((v = reallocarray(h->v, cap, sizeof(*v))) == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	heap_set(h, h->n++, n);
	sift_up(h, n->idx);
	return 0;
}

void
sps_heap_del(struct sps_heap *h, struct sps_hnode *n)
{
	struct sps_hnode	*last;
	size_t			 i = n->idx;

	if (i == SIZE_MAX || i >= h->n || h->v[i] != n)
		return;
	n->idx = SIZE_MAX;
	if (--h->n == i)
		return;
	last = h->v[h->n];
	heap_set(h, i, last);
	sift_down(h, i);
	sift_up(h, last->idx);
}

void
sps_heap_rekey(struct sps_heap *h, struct sps_hnode *n, uint64_t key)
{
	if (n->idx == SIZE_MAX || n->idx >= h->n || h->v[n->idx] != n) {
		n->key = key;
		return;
	}
	n->key = key;
	sift_down(h, n->idx);
	sift_up(h, n->idx);
}

struct sps_hnode *
sps_heap_min(const struct sps_heap *h)
{
	return h->n == 0 ? NULL : h->v[0];
}

void
sps_heap_free(struct sps_heap *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}
