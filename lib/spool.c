/*
 * libnetcrypt: messages with a lifetime (doc/SESSIONS.md section 6).
 * Sending them (SEND with SP_F_WITHIN) and waiting for their answers
 * (QUEUED, FINAL, STATE); taking messages from the daemon's spool
 * (SDELIVER), answering TAKEN when one is handed to the program, and
 * remembering the last NC_SPOOL_SEEN spool ids handed, so that one the
 * daemon sends again (it stopped before it saw our TAKEN) is answered
 * again but never handed twice.
 */
#include "config.h"

#include <sys/types.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- the spool ids handed to the program ------------------------------ */

static size_t
seen_bucket(uint64_t id)
{
	/* The daemon's ids are random; the multiply spreads any others. */
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 54) %
	    NC__SEEN_BUCKETS;
}

int
nc__seen_has(const struct nc_session *s, uint64_t id)
{
	const struct nc__seen	*t = s->seen;
	uint16_t		 i;

	if (t == NULL)
		return 0;
	for (i = t->head[seen_bucket(id)]; i != NC__SEEN_NIL; i = t->next[i])
		if (t->ids[i] == id)
			return 1;
	return 0;
}

/* Take slot i out of the chain of the id it holds. */
static void
seen_unlink(struct nc__seen *t, uint16_t i)
{
	uint16_t	*pp = &t->head[seen_bucket(t->ids[i])];

	while (*pp != NC__SEEN_NIL && *pp != i)
		pp = &t->next[*pp];
	if (*pp == i)
		*pp = t->next[i];
}

/* Remember id; at the bound the oldest is forgotten.  -1: no memory. */
int
nc__seen_add(struct nc_session *s, uint64_t id)
{
	struct nc__seen	*t;
	size_t		 b, i;

	if (s->seen == NULL) {
		if ((s->seen = malloc(sizeof(*s->seen))) == NULL)
			return -1;
		s->seen->count = 0;
		s->seen->oldest = 0;
		for (b = 0; b < NC__SEEN_BUCKETS; b++)
			s->seen->head[b] = NC__SEEN_NIL;
	}
	t = s->seen;
	if (t->count < NC_SPOOL_SEEN)
		i = t->count++;
	else {
		i = t->oldest;
		t->oldest = (t->oldest + 1) % NC_SPOOL_SEEN;
		seen_unlink(t, (uint16_t)i);
	}
	b = seen_bucket(id);
	t->ids[i] = id;
	t->next[i] = t->head[b];
	t->head[b] = (uint16_t)i;
	return 0;
}

/*
 * The message of spool id is the program's: remember it and tell the
 * daemon.  Should TAKEN not get through (the daemon left), the daemon
 * sends it again on the next attach: the program may see it twice then,
 * never lose it.
 */
void
nc__spool_taken(struct nc_session *s, uint64_t id)
{
	uint8_t	b[8];

	if (!nc__seen_has(s, id) && nc__seen_add(s, id) == -1) {
		s->error = ENOMEM;
		return;
	}
	nc__put64(b, id);
	(void)nc__queue_rec(s, SP_TAKEN, b, sizeof(b));
}

/* Whether a message of spool id waits in the event queue, not handed yet. */
static int
spool_queued(const struct nc_session *s, uint64_t id)
{
	const struct nc_event	*ev;
	size_t			 i;

	for (i = 0; i < s->qcount; i++) {
		ev = &s->q[(s->qhead + i) % (NC__QMAX + NC__RX_MAX)].ev;
		if (ev->type == NC_EV_MESSAGE && ev->id == id)
			return 1;
	}
	return 0;
}

/* ---- records from the daemon ------------------------------------------ */

/* QUEUED: u64 cid, u64 id. */
int
nc__on_queued(struct nc_session *s, const uint8_t *b, size_t len)
{
	struct nc_event	ev;
	uint64_t	cid, id;

	if (len != 16)
		return nc__proto_error(s);
	cid = nc__get64(b);
	id = nc__get64(b + 8);
	if (cid == 0 || cid > s->cid || id == 0)
		return nc__proto_error(s);
	/*
	 * The library's own: a file sent with a lifetime (filewithin.c),
	 * perhaps after its sending gave up waiting.
	 */
	if (nc__cid_internal(cid)) {
		if (s->wcid_first == 0 || cid < s->wcid_first ||
		    cid > s->wcid_last)
			return nc__proto_error(s);
		(void)nc__wtx_queued(s, cid, id);
		return 0;
	}
	if (s->waiting && s->wait_kind == NC__WAIT_SEND &&
	    cid == s->wait_cid) {
		s->wait_status = NC_QUEUED;
		s->wait_spool = id;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = NC_EV_QUEUED;
	ev.id = cid;
	ev.status = NC_QUEUED;
	ev.size = id;
	(void)nc__push_event(s, &ev, NULL, 0);
	return 0;
}

/* SDELIVER: u64 id, then DELIVER's body. */
int
nc__on_sdeliver(struct nc_session *s, const uint8_t *b, size_t len)
{
	uint64_t	id;

	if (len < 8 + 1 || (id = nc__get64(b)) == 0)
		return nc__proto_error(s);
	/* Handed already: the daemon missed our TAKEN.  Say it again. */
	if (nc__seen_has(s, id)) {
		nc__spool_taken(s, id);
		return 0;
	}
	/* Waiting for the program already: its TAKEN comes when handed. */
	if (spool_queued(s, id))
		return 0;
	return nc__deliver(s, id, b + 8, len - 8);
}

/* FINAL or STATE: u64 id, u8 status. */
int
nc__on_end(struct nc_session *s, uint8_t type, const uint8_t *b, size_t len)
{
	struct nc_event	ev;
	uint64_t	id;
	int		kind = type == SP_FINAL ? NC__WAIT_FINAL : NC__WAIT_STATE;

	if (len != 9 || (id = nc__get64(b)) == 0)
		return nc__proto_error(s);
	if (type == SP_FINAL && nc__wfile_final(s, id, b[8]))
		return 0;
	if (s->waiting && s->wait_kind == kind && id == s->wait_id) {
		s->wait_status = b[8];
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = type == SP_FINAL ? NC_EV_FINAL : NC_EV_STATE;
	ev.id = id;
	ev.status = b[8];
	(void)nc__push_event(s, &ev, NULL, 0);
	return 0;
}

/* ---- the API ---------------------------------------------------------- */

int
nc_send_within(struct nc_session *s, const char *to, const void *msg,
    size_t len, uint32_t seconds, uint64_t *id)
{
	int	r;

	if ((r = nc__queue_text(s, to, msg, len, SP_F_WITHIN, seconds,
	    id)) != NC_OK)
		return r;
	return nc__flush_out(s) == -1 ? -1 : NC_OK;
}

int
nc_send_within_more(struct nc_session *s, const char *to, const void *msg,
    size_t len, uint32_t seconds, uint64_t *id)
{
	int	r;

	if ((r = nc__queue_text(s, to, msg, len, SP_F_WITHIN, seconds,
	    id)) != NC_OK)
		return r;
	if (s->held >= NC__BATCH && nc__flush_out(s) == -1)
		return -1;
	return NC_OK;
}

static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
}

int
nc_send_within_wait(struct nc_session *s, const char *to, const void *msg,
    size_t len, uint32_t seconds, int timeout_ms, uint64_t *spool_id)
{
	int64_t		deadline;
	uint64_t	cid;
	int		r;

	if (s == NULL || s->waiting) {
		errno = s == NULL ? EINVAL : EBUSY;
		return -1;
	}
	deadline = deadline_of(timeout_ms);
	if ((r = nc_send_within(s, to, msg, len, seconds, &cid)) != NC_OK)
		return r;
	s->waiting = 1;
	s->wait_kind = NC__WAIT_SEND;
	s->wait_cid = cid;
	s->wait_spool = 0;
	r = nc__wait(s, deadline);
	if (r == NC_QUEUED && spool_id != NULL)
		*spool_id = s->wait_spool;
	return r;
}

/*
 * An event of type for spool id that came before the wait began: taken
 * out of the queue (nc_next() skips it), its status returned; -1: none.
 */
static int
take_queued(struct nc_session *s, int type, uint64_t id)
{
	struct nc_event	*ev;
	size_t		 i;

	for (i = 0; i < s->qcount; i++) {
		ev = &s->q[(s->qhead + i) % (NC__QMAX + NC__RX_MAX)].ev;
		if (ev->type == type && ev->id == id) {
			ev->type = NC__EV_NONE;
			return ev->status;
		}
	}
	return -1;
}

/*
 * Wait for FINAL or STATE of id.  A FINAL may have come before (it is
 * taken from the queue); a STATE is waited for, the answer to the QUERY
 * just sent, and one an earlier nc_query() asked for stays an event.
 */
static int
wait_end(struct nc_session *s, int kind, uint64_t id, int64_t deadline)
{
	int	st;

	if (kind == NC__WAIT_FINAL &&
	    (st = take_queued(s, NC_EV_FINAL, id)) != -1)
		return st;
	s->waiting = 1;
	s->wait_kind = kind;
	s->wait_id = id;
	return nc__wait(s, deadline);
}

static int
check_id(struct nc_session *s, uint64_t id)
{
	if (s == NULL || id == 0) {
		errno = EINVAL;
		return -1;
	}
	if (s->waiting) {
		errno = EBUSY;
		return -1;
	}
	return 0;
}

int
nc_wait_final(struct nc_session *s, uint64_t spool_id, int timeout_ms)
{
	if (check_id(s, spool_id) == -1)
		return -1;
	return wait_end(s, NC__WAIT_FINAL, spool_id, deadline_of(timeout_ms));
}

int
nc_query(struct nc_session *s, uint64_t spool_id)
{
	uint8_t	b[8];

	if (check_id(s, spool_id) == -1)
		return -1;
	if (nc__wait_room(s, SP_HDR_LEN + sizeof(b), NC__ROOM_MS) == -1)
		return -1;
	nc__put64(b, spool_id);
	return nc__queue_rec(s, SP_QUERY, b, sizeof(b));
}

int
nc_query_wait(struct nc_session *s, uint64_t spool_id, int timeout_ms)
{
	int64_t	deadline = deadline_of(timeout_ms);

	if (nc_query(s, spool_id) == -1)
		return -1;
	return wait_end(s, NC__WAIT_STATE, spool_id, deadline);
}
