/*
 * Sessions: local programs attached to the session socket (SESSIONS.md).
 *
 * A session attaches under a unique name (or anonymously), sends to
 * "name", "name@peer", "*" or "*@peer", and receives DELIVER records.
 * The daemon stamps "from" itself, so no session can speak for another;
 * the session policy (policy.c) says which uid may take which name and
 * whom a session takes messages from.  Anonymous sessions only send.
 *
 * Memory stays bounded whatever a session does: a session whose output
 * passes `session queue` gets nothing more (the sender hears "busy"), a
 * session that does not read for `session timeout` is cut off, and a
 * session feeding a link that cannot keep up is not read from until the
 * link drains.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/queue.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "acceptpause.h"
#include "buf.h"
#include "log.h"
#include "network.h"
#include "policy.h"
#include "relay.h"
#include "session.h"
#include "session_priv.h"
#include "session_proto.h"
#include "util.h"
#include "wire.h"

#define SESSION_READ_BURST	512	/* records per read callback: more
					   than one 32 KiB burst of small ones */
#define SESSION_READ_HIGH	(4 * SP_MAX_LEN)	/* bytes read ahead */
#define SESSION_ADDR_MAX	(2 * NC_NAME_MAX + 2)	/* "name@peer" */
#define SESSION_HANDOVER_MIN	(16 * 1024)	/* see session_write_ref() */
#define SESSION_SMALL_RECORD	512	/* written in one piece */
#define SESSION_REFUSAL_LOGS	10	/* refused attaches logged per second */

static struct {
	struct event_base	*base;
	struct acceptpause	*listener;
	struct ratelog		 full_log;	/* "max sessions reached" */
	struct session_list	 sessions;
	struct session_list	 waiting;	/* paused for some peer */
	uint64_t		 count;
	uint64_t		 next_id;
	uint64_t		 next_anon;
	uint64_t		 attaches_refused;	/* by the policy */
	uint64_t		 rejected;	/* messages, by accept lists */
	uint64_t		 read_ms;	/* coarse clock, per read burst */
	time_t			 log_second;	/* refusal lines: the bound */
	unsigned int		 log_count;
	uint64_t		 log_skipped;
} S;

static int	session_input(void *);
static void	session_drained(void *);
static void	session_input_error(void *, short);
static void	session_write_cb(struct bufferevent *, void *);
static void	session_event_cb(struct bufferevent *, short, void *);

uint64_t
session_count(void)
{
	return S.count;
}

void
session_free(struct session *s, const char *why)
{
	uint64_t	id = s->id;
	int		full = s->full;

	log_info("session %s (pid %ld uid %u): %s", s->attached ? s->name :
	    "-", (long)s->pid, (unsigned)s->uid, why);
	if (s->waiting != NULL)
		TAILQ_REMOVE(&S.waiting, s, wait_entry);
	sspool_gone(s);
	TAILQ_REMOVE(&S.sessions, s, entry);
	sessindex_remove(s);
	outbuf_clear(&s->ob);
	inbuf_clear(&s->ib);
	bufferevent_free(s->bev);
	S.count--;
	free(s);
	/* A link holding a MSG for it delivers it now: to nobody. */
	if (full)
		net_session_drained(id);
}

static void
free_block(const void *data, size_t len, void *block)
{
	(void)data;
	(void)len;
	free(block);
}

/*
 * Queue one record to a session: u32 len | u8 type | parts.  With block,
 * the malloc()ed memory that b lies in, b is not copied: the queue keeps
 * a reference and frees block once it is written (or the session gone).
 */
static int
session_write_ref(struct session *s, uint8_t type, const void *a,
    size_t alen, const void *b, size_t blen, uint8_t **block)
{
	struct evbuffer	*out = outbuf_queue(&s->ob);
	uint8_t		 hdr[SP_HDR_LEN];
	uint8_t		 small[SESSION_SMALL_RECORD];

	if (1 + alen + blen > SP_MAX_LEN)
		return -1;
	put_u32(hdr, (uint32_t)(1 + alen + blen));
	hdr[4] = type;
	/* A small record in one piece: each add wakes the buffer's hooks. */
	if (SP_HDR_LEN + alen + blen <= sizeof(small)) {
		memcpy(small, hdr, SP_HDR_LEN);
		if (alen > 0)
			memcpy(small + SP_HDR_LEN, a, alen);
		if (blen > 0)
			memcpy(small + SP_HDR_LEN + alen, b, blen);
		return evbuffer_add(out, small, SP_HDR_LEN + alen + blen);
	}
	if (evbuffer_add(out, hdr, sizeof(hdr)) == -1 ||
	    (alen > 0 && evbuffer_add(out, a, alen) == -1))
		return -1;
	if (blen > 0 && block != NULL && *block != NULL &&
	    evbuffer_add_reference(out, b, blen, free_block, *block) == 0) {
		*block = NULL;
		return 0;
	}
	if (blen > 0 && evbuffer_add(out, b, blen) == -1)
		return -1;
	return 0;
}

int
session_write(struct session *s, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	return session_write_ref(s, type, a, alen, b, blen, NULL);
}

void
send_receipt(struct session *s, uint64_t cid, uint8_t status)
{
	uint8_t	body[9];

	put_u64(body, cid);
	body[8] = status;
	(void)session_write(s, SP_RECEIPT, body, sizeof(body), NULL, 0);
}

/* Whether len more bytes fit in the session's output queue. */
int
session_has_room(const struct session *s, size_t len)
{
	return len <= netctx->ns.session_queue &&
	    outbuf_length(&s->ob) <= netctx->ns.session_queue - len;
}

/*
 * DELIVER to one session, unless its output queue is full: then "busy",
 * and the sender (through its library) backs off and tries again.
 */
static uint8_t
deliver_one(struct session *s, const char *from, size_t fromlen,
    const uint8_t *payload, size_t len, uint8_t **block)
{
	uint8_t	hdr[1 + SESSION_ADDR_MAX];

	/* Before the room: a refused sender learns nothing of the queue. */
	if (!policy_accepts(policy_current(), s->name, from,
	    netctx->ns.name))
		return ST_REJECTED;
	if (!session_has_room(s, len))
		return ST_BUSY;
	hdr[0] = (uint8_t)fromlen;
	memcpy(hdr + 1, from, fromlen);
	/* A small payload is cheaper to copy than to hand over. */
	if (len < SESSION_HANDOVER_MIN)
		block = NULL;
	if (session_write_ref(s, SP_DELIVER, hdr, 1 + fromlen, payload, len,
	    block) == -1)
		return ST_BUSY;
	return ST_OK;
}

/*
 * To every named session but the sender: ok if one took it, else busy
 * if one was full (trying again may help), else rejected if one
 * refused the sender, else no such session.
 */
static uint8_t
deliver_all(struct session *except, const char *from, size_t fromlen,
    const uint8_t *payload, size_t len)
{
	struct session	*s;
	int		 any = 0, busy = 0, delivered = 0;
	uint8_t		 st;

	TAILQ_FOREACH(s, &S.sessions, entry) {
		if (!s->attached || s->anonymous || s == except)
			continue;
		any = 1;
		st = deliver_one(s, from, fromlen, payload, len, NULL);
		delivered |= st == ST_OK;
		busy |= st == ST_BUSY;
	}
	if (delivered)
		return ST_OK;
	return busy ? ST_BUSY : (any ? ST_REJECTED : ST_NO_SUCH_SESSION);
}

/* To one name or to every session but the sender ("*"); from is a string. */
static uint8_t
deliver_local(struct session *except, const char *to, size_t tolen,
    const char *from, size_t fromlen, const uint8_t *payload, size_t len,
    uint8_t **block)
{
	struct session	*s;
	uint8_t		 st;

	if (tolen == 1 && to[0] == '*')
		st = deliver_all(except, from, fromlen, payload, len);
	else if ((s = session_by_name(to, tolen)) == NULL)
		st = ST_NO_SUCH_SESSION;
	else
		st = deliver_one(s, from, fromlen, payload, len, block);
	if (st == ST_REJECTED)
		S.rejected++;
	return st;
}

uint8_t
session_deliver_remote(struct peer *p, const struct relay_view *v,
    uint8_t **block)
{
	char	from[SESSION_ADDR_MAX];
	size_t	plen = strlen(p->name);

	/* "from@peer", built by hand: snprintf showed in the profile. */
	if (v->fromlen + 1 + plen >= sizeof(from))
		return ST_REJECTED;
	memcpy(from, v->from, v->fromlen);
	from[v->fromlen] = '@';
	memcpy(from + v->fromlen + 1, p->name, plen + 1);
	return deliver_local(NULL, v->to, v->tolen, from, v->fromlen + 1 + plen,
	    v->payload, v->len, block);
}

/*
 * The relay's completion callback (relay_done_fn) for every peer's queue.
 * The message's cookie is the sending session's id (it may have gone),
 * its tag the session's own id for it, its flags the SEND's.
 */
void
session_completed(void *arg, const struct relay_msg *m, uint8_t status)
{
	struct session	*s;

	(void)arg;
	if ((status != ST_OK || (m->flags & SP_F_RECEIPT)) &&
	    (s = session_by_id(m->cookie)) != NULL)
		send_receipt(s, m->tag, status);
}

/* Reading a session stops while any reason holds. */
void
session_pause(struct session *s, int why)
{
	if (s->paused == 0)
		inbuf_disable(&s->ib);
	s->paused |= why;
}

void
session_unpause(struct session *s, int why)
{
	if ((s->paused & why) == 0)
		return;
	s->paused &= ~why;
	if (s->paused != 0)
		return;
	inbuf_enable(&s->ib);
	/* Records may be buffered already: look at them now. */
	inbuf_again(&s->ib);
}

/* Pause a session until the peer's link drains. */
static void
wait_for_peer(struct session *s, struct peer *p)
{
	if (s->waiting != NULL)
		return;
	s->waiting = p;
	TAILQ_INSERT_TAIL(&S.waiting, s, wait_entry);
	session_pause(s, SESSION_PAUSE_PEER);
}

void
session_peer_writable(struct peer *p)
{
	struct session	*s, *next;

	for (s = TAILQ_FIRST(&S.waiting); s != NULL; s = next) {
		next = TAILQ_NEXT(s, wait_entry);
		if (s->waiting != p)
			continue;
		TAILQ_REMOVE(&S.waiting, s, wait_entry);
		s->waiting = NULL;
		session_unpause(s, SESSION_PAUSE_PEER);
	}
}

struct peer *
peer_by_name(const char *name, size_t len)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &netctx->peers, entry)
		if (strlen(p->name) == len && memcmp(p->name, name, len) == 0)
			return p;
	return NULL;
}

static uint8_t
send_remote(struct session *s, struct peer *p, uint64_t cid, uint8_t flags,
    const char *to, size_t tolen, const uint8_t *payload, size_t len)
{
	struct relay_view	 v;
	uint64_t		 id;
	int			 st;

	memset(&v, 0, sizeof(v));
	v.flags = flags;
	v.from = s->name;
	v.fromlen = strlen(s->name);
	v.to = to;
	v.tolen = tolen;
	v.payload = payload;
	v.len = len;
	st = relay_out_push(&p->out, &v, s->id, cid, S.read_ms, &id);
	if (st != ST_OK)
		return (uint8_t)st;
	net_peer_send(p);
	/* Backpressure: stop reading this session while the link is full. */
	if (net_peer_full(p))
		wait_for_peer(s, p);
	return ST_OK;
}

/* SEND: u64 cid, u8 flags, u8 tolen, to, payload. */
static int
handle_send(struct session *s, const uint8_t *body, size_t len)
{
	struct reader	 r;
	const char	*to, *at;
	struct peer	*p;
	uint64_t	 cid;
	uint8_t		 flags, tolen, st;
	size_t		 namelen;

	rd_init(&r, body, len);
	cid = rd_u64(&r);
	flags = rd_u8(&r);
	if (flags & SP_F_WITHIN)
		return sspool_send(s, body, len);
	tolen = rd_u8(&r);
	to = (const char *)rd_bytes(&r, tolen);
	if (r.err || tolen == 0)
		return -1;
	body = r.p;
	len = r.left;
	at = memchr(to, '@', tolen);
	namelen = at != NULL ? (size_t)(at - to) : tolen;
	if (!relay_name_valid(to, namelen, 1) || (at != NULL &&
	    !relay_name_valid(at + 1, tolen - namelen - 1, 0)))
		st = ST_BAD_NAME;
	else if (len > WIRE_PAYLOAD_MAX)
		st = ST_TOO_LARGE;
	else if (at == NULL || (strlen(netctx->ns.name) == tolen - namelen -
	    1 && memcmp(at + 1, netctx->ns.name, tolen - namelen - 1) == 0))
		st = deliver_local(s, to, namelen, s->name, strlen(s->name),
		    body, len, NULL);
	else if ((p = peer_by_name(at + 1, tolen - namelen - 1)) == NULL)
		st = ST_NO_SUCH_PEER;
	else {
		st = send_remote(s, p, cid, flags, to, namelen, body, len);
		if (st == ST_OK)
			return 0;	/* the receipt comes from the peer */
	}
	if (st != ST_OK || (flags & SP_F_RECEIPT))
		send_receipt(s, cid, st);
	return 0;
}

/*
 * A refused attach is logged with the uid, at most SESSION_REFUSAL_LOGS
 * lines a second: a local program may retry without end.  The lines
 * left out are counted in the next one.
 */
static void
log_refusal(const struct session *s, const char *name)
{
	struct timespec	now;

	monotime(&now);
	if (now.tv_sec != S.log_second) {
		S.log_second = now.tv_sec;
		S.log_count = 0;
	}
	if (S.log_count >= SESSION_REFUSAL_LOGS) {
		S.log_skipped++;
		return;
	}
	S.log_count++;
	if (S.log_skipped == 0)
		log_warnx("session %s refused (pid %ld uid %u): the session "
		    "policy does not give this name to this user", name,
		    (long)s->pid, (unsigned)s->uid);
	else
		log_warnx("session %s refused (pid %ld uid %u): the session "
		    "policy does not give this name to this user (%llu "
		    "refusals not logged before this one)", name,
		    (long)s->pid, (unsigned)s->uid,
		    (unsigned long long)S.log_skipped);
	S.log_skipped = 0;
}

/* Whether s may attach under name[0..namelen): ST_OK sets its name. */
static uint8_t
attach_status(struct session *s, const char *name, size_t namelen)
{
	char	n[NC_NAME_MAX + 1];

	if (!relay_name_valid(name, namelen, 0) ||
	    (namelen >= 5 && memcmp(name, "anon-", 5) == 0))
		return ST_BAD_NAME;	/* anon-* is ours to give */
	memcpy(n, name, namelen);
	n[namelen] = '\0';
	/* Before "in use": whether a name is taken is not theirs to know. */
	if (!policy_may_attach(policy_current(), s->uid, n)) {
		S.attaches_refused++;
		log_refusal(s, n);
		return ST_NOT_ALLOWED;
	}
	if (session_by_name(name, namelen) != NULL)
		return ST_NAME_IN_USE;
	memcpy(s->name, n, namelen + 1);
	return ST_OK;
}

/* ATTACH: u8 namelen, name ("" = anonymous), optionally u8 flags. */
static int
handle_attach(struct session *s, const uint8_t *body, size_t len)
{
	struct reader	 r;
	const char	*name;
	uint8_t		 namelen, flags = 0, st = ST_OK;
	uint8_t		 out[2 + 2 * (NC_NAME_MAX + 1)];
	size_t		 dlen, slen;

	rd_init(&r, body, len);
	namelen = rd_u8(&r);
	name = (const char *)rd_bytes(&r, namelen);
	if (r.left == 1)
		flags = rd_u8(&r);
	if (rd_done(&r) == -1 || s->attached ||
	    (flags & ~SP_ATTACH_SPOOL) != 0)
		return -1;
	if (namelen == 0) {
		(void)snprintf(s->name, sizeof(s->name), "anon-%llu",
		    (unsigned long long)++S.next_anon);
		s->anonymous = 1;
	} else
		st = attach_status(s, name, namelen);
	if (st == ST_OK)
		s->attached = 1;
	if (st == ST_OK && !s->anonymous)
		sessindex_add_name(s);
	dlen = strlen(netctx->ns.name);
	slen = st == ST_OK ? strlen(s->name) : 0;
	out[0] = st;
	out[1] = (uint8_t)dlen;
	memcpy(out + 2, netctx->ns.name, dlen);
	out[2 + dlen] = (uint8_t)slen;
	memcpy(out + 3 + dlen, s->name, slen);
	(void)session_write(s, SP_ATTACHED, out, 3 + dlen + slen, NULL, 0);
	if (st == ST_OK)
		log_info("session %s attached (pid %ld uid %u)", s->name,
		    (long)s->pid, (unsigned)s->uid);
	if (st == ST_OK && !s->anonymous && (flags & SP_ATTACH_SPOOL))
		sspool_attached(s);
	return 0;
}

static int
handle_peers(struct session *s, size_t len)
{
	struct evbuffer	*b;
	struct peer	*p;
	uint8_t		 n[2], l;
	uint16_t	 count = 0;
	int		 rv;

	if (len != 0 || (b = evbuffer_new()) == NULL)
		return -1;
	TAILQ_FOREACH(p, &netctx->peers, entry) {
		l = (uint8_t)strlen(p->name);
		(void)evbuffer_add(b, &l, 1);
		(void)evbuffer_add(b, p->name, l);
		l = p->link != NULL ? SP_PEER_UP : SP_PEER_DOWN;
		(void)evbuffer_add(b, &l, 1);
		count++;
	}
	put_u16(n, count);
	rv = session_write(s, SP_PEERLIST, n, 2, evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return rv;
}

static int
handle_record(struct session *s, uint8_t type, const uint8_t *body,
    size_t len)
{
	if (!s->attached && type != SP_ATTACH)
		return -1;
	switch (type) {
	case SP_ATTACH:
		return handle_attach(s, body, len);
	case SP_SEND:
		return handle_send(s, body, len);
	case SP_PEERS:
		return handle_peers(s, len);
	case SP_TAKEN:
		return sspool_taken(s, body, len);
	case SP_QUERY:
		return sspool_query(s, body, len);
	default:
		return -1;
	}
}

/*
 * The length of the record at p, of which have bytes are here: 1 and
 * *reclen when it is whole, 0 when more must come, -1 when its length
 * is out of range.
 */
static int
record_at(const uint8_t *p, size_t have, size_t *reclen)
{
	uint32_t	len;

	if (have < SP_HDR_LEN)
		return 0;
	len = get_u32(p);
	if (len < 1 || len > SP_MAX_LEN)
		return -1;
	*reclen = 4 + (size_t)len;
	return have >= *reclen;
}

/*
 * The whole records at the start of the input buffer's first chain,
 * handled where they lie, at most *budget; then drained at once.  1 when
 * the next record is not wholly in that chain (see session_read()), 0
 * when done, -1 when the session was freed.
 */
static int
read_in_place(struct session *s, struct evbuffer *in, int *budget)
{
	struct evbuffer_iovec	 v;
	const uint8_t		*p;
	size_t			 used = 0, reclen = 0;
	int			 r = 0;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		return 0;
	p = v.iov_base;
	while (*budget > 0 && s->paused == 0 &&
	    (r = record_at(p + used, v.iov_len - used, &reclen)) == 1) {
		if (handle_record(s, p[used + 4], p + used + SP_HDR_LEN,
		    reclen - SP_HDR_LEN) == -1) {
			session_free(s, "protocol error");
			return -1;
		}
		used += reclen;
		(*budget)--;
	}
	if (r == -1) {
		session_free(s, "record length out of range");
		return -1;
	}
	(void)evbuffer_drain(in, used);
	return r == 0 && used == 0 && *budget > 0 && s->paused == 0;
}

/*
 * What the session sent: 0, or -1 when the session was freed.  Records
 * are handled in the input buffer, without a copy each; one that spans
 * two chains is made contiguous first.
 */
int
session_read(struct session *s)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	uint8_t		 hdr[SP_HDR_LEN];
	size_t		 reclen;
	int		 budget = SESSION_READ_BURST, r;

	S.read_ms = now_ms_coarse();	/* for every message of the burst */
	while ((r = read_in_place(s, in, &budget)) == 1) {
		if (evbuffer_copyout(in, hdr, SP_HDR_LEN) < SP_HDR_LEN)
			return 0;
		/* Whole only across chains; its length was checked. */
		if (record_at(hdr, SP_HDR_LEN, &reclen) == -1 ||
		    evbuffer_get_length(in) < reclen ||
		    evbuffer_pullup(in, (ev_ssize_t)reclen) == NULL)
			return 0;
	}
	if (r == -1)
		return -1;
	/* More buffered: come back after other events. */
	if (s->paused == 0 && evbuffer_get_length(in) >= SP_HDR_LEN)
		inbuf_again(&s->ib);
	return 0;
}

/* inbuf.c's callback. */
static int
session_input(void *arg)
{
	return session_read(arg);
}

/*
 * The output went under the low mark, half the queue (whether libevent
 * or outbuf.c wrote it): a link holding a MSG for this session goes on.
 */
static void
session_drained(void *arg)
{
	struct session	*s = arg;

	monotime(&s->last_drain);
	if ((s->full || s->congested) &&
	    outbuf_length(&s->ob) <= netctx->ns.session_queue / 2) {
		s->full = 0;
		s->congested = 0;
		net_session_drained(s->id);
	}
	sspool_drained(s);
}

/*
 * A MSG from a peer for one session whose queue is full: rather than
 * refusing it at once (the sender would have to send it again), the
 * link stops reading and waits for the session to drain, so a reader
 * that is merely slower than the link for a moment loses nothing.  The
 * wait is bounded: a session full for SESSION_HOLD_MS is congested and
 * refused busy, as before, until it drains to half its queue, so that
 * one program that stops reading holds up the other sessions of a link
 * for at most that long.  Returns the id of the session to wait for,
 * or 0: deliver now.
 */
uint64_t
session_hold_for(const struct relay_view *v)
{
	struct session	*s;
	struct timespec	 now;

	if ((v->tolen == 1 && v->to[0] == '*') ||
	    (s = session_by_name(v->to, v->tolen)) == NULL ||
	    s->congested || v->len > netctx->ns.session_queue ||
	    session_has_room(s, v->len))
		return 0;
	monotime(&now);
	if (!s->full) {
		s->full = 1;
		s->full_since = now;
	} else if (timespec_diff(&now, &s->full_since) * 1000 >=
	    SESSION_HOLD_MS) {
		session_hold_expired(s->id);
		return 0;
	}
	return s->id;
}

/* A link waited SESSION_HOLD_MS for this session: refuse from now on. */
void
session_hold_expired(uint64_t id)
{
	struct session	*s;

	if ((s = session_by_id(id)) == NULL || s->congested)
		return;
	s->congested = 1;
	log_debug("session %s (pid %ld): queue full for %d ms: refusing "
	    "messages until it reads", s->name, (long)s->pid,
	    SESSION_HOLD_MS);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	session_drained(arg);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	session_free(arg, (what & BEV_EVENT_EOF) ? "detached" :
	    "connection error");
}

static void
session_input_error(void *arg, short what)
{
	session_event_cb(NULL, what, arg);
}

void
session_tick(void)
{
	struct session	*s, *next;
	struct timespec	 now;

	monotime(&now);
	for (s = TAILQ_FIRST(&S.sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (outbuf_length(&s->ob) == 0)
			s->last_drain = now;
		else if (timespec_diff(&now, &s->last_drain) >=
		    netctx->ns.session_timeout)
			session_free(s, "cut off: not reading");
	}
}

/* Anyone who can connect can make this happen: a line a second. */
static void
session_refuse_full(void)
{
	uint64_t	suppressed;
	char		note[64];

	if (ratelog_allow(&S.full_log, acceptpause_now_ms(), &suppressed))
		log_warnx("max sessions (%u) reached: refusing a "
		    "connection%s", netctx->ns.max_sessions,
		    ratelog_note(suppressed, note, sizeof(note)));
}

/* A session on fd, as accepted; NULL when out of memory. */
struct session *
session_new(int fd)
{
	struct session	*s;
	struct ucred	 cred;
	socklen_t	 clen = sizeof(cred);

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	/* Not root by accident: without credentials, nobody at all. */
	s->uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		s->pid = cred.pid;
		s->uid = cred.uid;
	}
	s->id = ++S.next_id;
	s->bev = bufferevent_socket_new(S.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)
		fatalx("%s: bufferevent", __func__);
	monotime(&s->last_drain);
	outbuf_init(&s->ob, S.base, s->bev, session_drained, s);
	/* Read no more than a couple of records ahead. */
	inbuf_init(&s->ib, S.base, s->bev, SESSION_READ_HIGH, session_input,
	    session_input_error, s);
	bufferevent_setcb(s->bev, NULL, session_write_cb, session_event_cb, s);
	/* Drained to half: see session_hold_for(). */
	bufferevent_setwatermark(s->bev, EV_WRITE,
	    netctx->ns.session_queue / 2, 0);
	/* Whole records per system call, not libevent's 16 KiB. */
	(void)bufferevent_set_max_single_write(s->bev, SESSION_READ_HIGH);
	(void)bufferevent_enable(s->bev, EV_WRITE);
	inbuf_enable(&s->ib);
	TAILQ_INSERT_TAIL(&S.sessions, s, entry);
	sessindex_add_id(s);
	S.count++;
	return s;
}

static void
accept_cb(int lfd, short ev, void *arg)
{
	struct session	*s;
	int		 fd, i;

	(void)ev;
	(void)arg;
	for (i = 0; i < 64; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			acceptpause_failed(S.listener, errno);
			return;
		}
		if (S.count >= netctx->ns.max_sessions) {
			session_refuse_full();
			(void)close(fd);
			continue;
		}
		if ((s = session_new(fd)) == NULL) {
			(void)close(fd);
			continue;
		}
		log_debug("session connected (pid %ld uid %u)", (long)s->pid,
		    (unsigned)s->uid);
	}
}

/*
 * A new session policy (a reload): a session whose uid may no longer
 * use its name is detached; the others keep it.  Accept lists need no
 * such step: they are looked up for every message.
 */
void
session_policy_changed(void)
{
	const struct policy	*pol = policy_current();
	struct session		*s, *next;

	for (s = TAILQ_FIRST(&S.sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->attached && !s->anonymous &&
		    !policy_may_attach(pol, s->uid, s->name))
			session_free(s, "detached: the session policy no "
			    "longer gives this name to this user");
	}
}

void
session_refusals(uint64_t *attaches, uint64_t *messages)
{
	*attaches = S.attaches_refused;
	*messages = S.rejected;
}

void
session_setup(struct event_base *base)
{
	S.base = base;
	sessindex_init();
	TAILQ_INIT(&S.sessions);
	TAILQ_INIT(&S.waiting);
}

void
session_init(struct event_base *base, int fd)
{
	session_setup(base);
	S.listener = acceptpause_new(base, fd, accept_cb, NULL,
	    "the session socket");
}
