/*
 * The network child's index of sessions: by id (receipts find their
 * session by it) and by name (every message for a local session finds
 * it by name).  Two tables of chained buckets, linked through the
 * sessions themselves, so an index costs no allocation per session.
 * Names hash with FNV-1a from a random start, so that local users who
 * choose their names cannot choose one bucket at will; at worst a chain
 * is as long as the list the index replaced.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/rand.h>

#include "log.h"
#include "session_priv.h"

#define SESSINDEX_BUCKETS	4096	/* a power of two */

static struct {
	struct session	*byid[SESSINDEX_BUCKETS];
	struct session	*byname[SESSINDEX_BUCKETS];
	uint64_t	 seed;
} ix;

void
sessindex_init(void)
{
	memset(&ix, 0, sizeof(ix));
	if (RAND_bytes((unsigned char *)&ix.seed, sizeof(ix.seed)) != 1)
		fatalx("%s: no random seed", __func__);
}

static size_t
name_bucket(const char *name, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ ix.seed;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 32)) & (SESSINDEX_BUCKETS - 1);
}

static size_t
id_bucket(uint64_t id)
{
	return (size_t)id & (SESSINDEX_BUCKETS - 1);	/* ids are sequential */
}

void
sessindex_add_id(struct session *s)
{
	struct session	**b = &ix.byid[id_bucket(s->id)];

	s->id_next = *b;
	*b = s;
}

/* Under its name: an attached session that is not anonymous. */
void
sessindex_add_name(struct session *s)
{
	struct session	**b = &ix.byname[name_bucket(s->name,
			    strlen(s->name))];

	s->name_next = *b;
	*b = s;
	s->indexed_name = 1;
}

void
sessindex_remove(struct session *s)
{
	struct session	**pp;

	for (pp = &ix.byid[id_bucket(s->id)]; *pp != NULL;
	    pp = &(*pp)->id_next)
		if (*pp == s) {
			*pp = s->id_next;
			break;
		}
	if (!s->indexed_name)
		return;
	for (pp = &ix.byname[name_bucket(s->name, strlen(s->name))];
	    *pp != NULL; pp = &(*pp)->name_next)
		if (*pp == s) {
			*pp = s->name_next;
			break;
		}
	s->indexed_name = 0;
}

struct session *
session_by_id(uint64_t id)
{
	struct session	*s;

	for (s = ix.byid[id_bucket(id)]; s != NULL; s = s->id_next)
		if (s->id == id)
			return s;
	return NULL;
}

/* Attached under this name (not anonymous), or NULL. */
struct session *
session_by_name(const char *name, size_t len)
{
	struct session	*s;

	if (len > NC_NAME_MAX)
		return NULL;
	for (s = ix.byname[name_bucket(name, len)]; s != NULL;
	    s = s->name_next)
		if (memcmp(s->name, name, len) == 0 && s->name[len] == '\0')
			return s;
	return NULL;
}
