/*
 * The session side of messages with a lifetime (SESSIONS.md 6).
 *
 * A SEND with a lifetime is judged here as any SEND is (address, size,
 * the destination's accept list for a local one) and handed to the
 * spool; the session hears QUEUED only once the spool has it on disk.
 * A session attached with the ATTACH flag gets its mailbox: a window of
 * SDELIVERs fetched from the spool in the order kept, each counted
 * delivered when the session answers TAKEN with its id.  A session may
 * only take what it was given: an id it was not sent ends it.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "log.h"
#include "netspool.h"
#include "network.h"
#include "policy.h"
#include "relay.h"
#include "session_priv.h"
#include "session_proto.h"
#include "sessspool.h"
#include "wire.h"

/* Sessions not read for what they, or all together, have at the spool. */
static TAILQ_HEAD(, session) paused = TAILQ_HEAD_INITIALIZER(paused);

static void
pause_for_spool(struct session *s)
{
	if (s->sp.paused)
		return;
	s->sp.paused = 1;
	TAILQ_INSERT_TAIL(&paused, s, sp.pause_entry);
	session_pause(s, SESSION_PAUSE_SPOOL);
}

/* One more request at the spool for s; past a bound, stop reading it. */
static void
ask(struct session *s)
{
	if (++s->sp.asks >= SSPOOL_ASKS_MAX ||
	    netspool_put_bytes() >= SSPOOL_PUT_BYTES_MAX)
		pause_for_spool(s);
}

/* An answer came: read again the sessions now under half of both bounds. */
static void
answered(struct session *s)
{
	struct session	*t, *next;

	if (s != NULL && s->sp.asks > 0)
		s->sp.asks--;
	if (netspool_put_bytes() > SSPOOL_PUT_BYTES_MAX / 2)
		return;
	for (t = TAILQ_FIRST(&paused); t != NULL; t = next) {
		next = TAILQ_NEXT(t, sp.pause_entry);
		if (t->sp.asks > SSPOOL_ASKS_MAX / 2)
			continue;
		TAILQ_REMOVE(&paused, t, sp.pause_entry);
		t->sp.paused = 0;
		session_unpause(t, SESSION_PAUSE_SPOOL);
	}
}

void
sspool_gone(struct session *s)
{
	if (s->sp.paused)
		TAILQ_REMOVE(&paused, s, sp.pause_entry);
	s->sp.paused = 0;
}

/*
 * Where a message with a lifetime goes: put->dest and put->fp set, or a
 * status to refuse it with.  to is "name" or "name@peer".
 */
static uint8_t
judge_destination(struct session *s, const char *to, size_t tolen,
    struct sp_put *put)
{
	const char	*at = memchr(to, '@', tolen);
	size_t		 namelen = at != NULL ? (size_t)(at - to) : tolen;
	const char	*host = at != NULL ? at + 1 : NULL;
	size_t		 hostlen = at != NULL ? tolen - namelen - 1 : 0;
	char		 name[NC_NAME_MAX + 1];
	struct peer	*p;

	if (!relay_name_valid(to, namelen, 0) ||
	    (host != NULL && !relay_name_valid(host, hostlen, 0)))
		return ST_BAD_NAME;	/* "*" too: one destination */
	put->tolen = (uint8_t)namelen;
	if (host != NULL && (hostlen != strlen(netctx->ns.name) ||
	    memcmp(host, netctx->ns.name, hostlen) != 0)) {
		if ((p = peer_by_name(host, hostlen)) == NULL)
			return ST_NO_SUCH_PEER;
		put->dest = SP_DEST_PEER;
		memcpy(put->fp, p->fp, sizeof(put->fp));
		return ST_OK;
	}
	memcpy(name, to, namelen);
	name[namelen] = '\0';
	if (namelen >= 5 && memcmp(name, "anon-", 5) == 0)
		return ST_NO_SUCH_SESSION;
	if (!policy_accepts(policy_current(), name, s->name,
	    netctx->ns.name))
		return ST_REJECTED;
	put->dest = SP_DEST_LOCAL;
	return ST_OK;
}

/* SEND with SP_F_WITHIN: u64 cid, u8 flags, u32 lifetime, u8 n, to, payload. */
int
sspool_send(struct session *s, const uint8_t *body, size_t len)
{
	struct reader	 r;
	struct sp_put	 put;
	const char	*to;
	uint64_t	 cid;
	uint32_t	 lifetime;
	uint8_t		 tolen, st;

	rd_init(&r, body, len);
	cid = rd_u64(&r);
	(void)rd_u8(&r);
	lifetime = rd_u32(&r);
	tolen = rd_u8(&r);
	to = (const char *)rd_bytes(&r, tolen);
	if (r.err || tolen == 0)
		return -1;
	memset(&put, 0, sizeof(put));
	st = judge_destination(s, to, tolen, &put);
	if (st == ST_OK && (lifetime == 0 || lifetime > netspool_lifetime_max()))
		st = ST_BAD_NAME;
	if (st == ST_OK && r.left > WIRE_PAYLOAD_MAX)
		st = ST_TOO_LARGE;
	if (st != ST_OK) {
		send_receipt(s, cid, st);
		return 0;
	}
	put.ttl = lifetime;
	put.fromlen = (uint8_t)strlen(s->name);
	netspool_put(&put, s->name, to, r.p, r.left, s->id, cid);
	ask(s);
	return 0;
}

void
sspool_put_done(uint64_t session, uint64_t cid, const char *box,
    const struct sp_done *d)
{
	struct session	*s;
	uint8_t		 body[16];

	s = session_by_id(session);
	answered(s);
	if (s != NULL) {
		if (d->status == ST_OK) {
			put_u64(body, cid);
			put_u64(body + 8, d->id);
			(void)session_write(s, SP_QUEUED, body, 16, NULL, 0);
		} else
			send_receipt(s, cid, d->status);
	}
	if (d->status == ST_OK && box != NULL)
		sspool_box_arrived(box);
}

/* Fetch more of s's mailbox when its window and its queue have room. */
static void
box_kick(struct session *s)
{
	unsigned int	room;
	size_t		bytes = SSPOOL_BOX_BYTES;

	if (!s->sp.takes)
		return;
	if (s->sp.fetching) {
		s->sp.again = 1;
		return;
	}
	/* No more than half a small session queue (64K at the least). */
	if (bytes > netctx->ns.session_queue / 2)
		bytes = (size_t)(netctx->ns.session_queue / 2);
	room = SSPOOL_BOX_WINDOW - s->sp.nuntaken;
	if (room == 0 || !session_has_room(s, bytes))
		return;		/* a TAKEN or the drain comes back here */
	s->sp.fetching = 1;
	s->sp.again = 0;
	s->sp.more = 0;
	netspool_box_fetch(s->id, s->name, s->sp.after, room,
	    (uint32_t)bytes);
}

void
sspool_attached(struct session *s)
{
	s->sp.takes = 1;
	box_kick(s);
}

void
sspool_drained(struct session *s)
{
	if (s->sp.takes && (s->sp.more || s->sp.again))
		box_kick(s);
}

void
sspool_box_arrived(const char *name)
{
	struct session	*s;

	if ((s = session_by_name(name, strlen(name))) != NULL &&
	    s->sp.takes) {
		s->sp.more = 1;
		box_kick(s);
	}
}

void
sspool_box_entry(uint64_t session, const struct sp_entry *e,
    const char *from, const uint8_t *payload, size_t len)
{
	struct session	*s;
	uint8_t		 hdr[9 + SP_FROM_MAX];

	/* Gone, or seen: it stays kept, and comes again at the next attach. */
	if ((s = session_by_id(session)) == NULL || !s->sp.takes ||
	    e->seq <= s->sp.after || s->sp.nuntaken >= SSPOOL_BOX_WINDOW)
		return;
	put_u64(hdr, e->id);
	hdr[8] = e->fromlen;
	memcpy(hdr + 9, from, e->fromlen);
	if (session_write(s, SP_SDELIVER, hdr, 9 + (size_t)e->fromlen,
	    payload, len) == -1)
		return;
	s->sp.untaken[s->sp.nuntaken++] = e->id;
	s->sp.after = e->seq;
}

void
sspool_box_end(uint64_t session, const struct sp_fetch_end *end)
{
	struct session	*s;

	if ((s = session_by_id(session)) == NULL)
		return;
	s->sp.fetching = 0;
	s->sp.more |= end->more;
	if (s->sp.again || s->sp.more)
		box_kick(s);
}

/* TAKEN: u64 id, one the session was given and has not taken yet. */
int
sspool_taken(struct session *s, const uint8_t *body, size_t len)
{
	struct sp_id	 t;
	unsigned int	 i;

	if (len != 8 || !s->sp.takes)
		return -1;
	t.id = get_u64(body);
	for (i = 0; i < s->sp.nuntaken && s->sp.untaken[i] != t.id; i++)
		;
	if (i == s->sp.nuntaken)
		return -1;
	s->sp.untaken[i] = s->sp.untaken[--s->sp.nuntaken];
	netspool_send(IMSG_SP_TAKEN, &t, sizeof(t));
	box_kick(s);
	return 0;
}

/* QUERY: u64 id.  The id is the capability: whoever knows it may ask. */
int
sspool_query(struct session *s, const uint8_t *body, size_t len)
{
	struct sp_query	q;

	if (len != 8)
		return -1;
	memset(&q, 0, sizeof(q));
	q.req = s->id;
	q.id = get_u64(body);
	netspool_send(IMSG_SP_QUERY, &q, sizeof(q));
	ask(s);
	return 0;
}

void
sspool_query_done(const struct sp_query *q)
{
	struct session	*s;
	uint8_t		 body[9];

	s = session_by_id(q->req);
	answered(s);
	if (s == NULL)
		return;
	put_u64(body, q->id);
	body[8] = q->status;
	(void)session_write(s, SP_STATE, body, sizeof(body), NULL, 0);
}

/* The end of a message a session of this name sent: tell it, if here. */
void
sspool_notify(const struct sp_notify *n, const char *from)
{
	struct session	*s;
	uint8_t		 body[9];

	if ((s = session_by_name(from, n->fromlen)) == NULL || !s->sp.takes)
		return;
	put_u64(body, n->id);
	body[8] = n->status;
	(void)session_write(s, SP_FINAL, body, sizeof(body), NULL, 0);
}
