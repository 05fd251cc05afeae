/*
 * Reliable MSG delivery between two daemons (PROTOCOL.md 7.4).
 *
 * Sender: a FIFO of messages with strictly increasing ids.  The ones on
 * the current link form a prefix of the queue and "unsent" points just
 * past it, so relay_out_next() is O(1).  ACK removes from the front;
 * NAK and expiry may remove from the middle, which leaves gaps in the
 * ids the receiver sees; it only needs them to increase.
 *
 * Receiver: per peer epoch, the highest id handled.  Within one link ids
 * strictly increase, so anything at or below it is a re-send after a
 * link failure: ACK it again, do not deliver it again -- unless it was
 * NAKed, as the NAK may have been lost with the link: such a re-send is
 * handled anew.  The NAKed ids are kept until the first MSG of a later
 * link shows the sender has resolved them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "relay.h"

/*
 * [A-Za-z0-9._-], as a table filled on first use: every MSG's two names
 * are checked, and a table costs one load a character.
 */
static const uint8_t *
name_chars(void)
{
	static const char	 ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789._-";
	static uint8_t		 table[256];
	static int		 filled;
	size_t			 i;

	if (!filled) {
		for (i = 0; ok[i] != '\0'; i++)
			table[(unsigned char)ok[i]] = 1;
		filled = 1;
	}
	return table;
}

int
relay_name_valid(const char *name, size_t len, int allow_star)
{
	const unsigned char	*p = (const unsigned char *)name;
	const uint8_t		*table = name_chars();
	size_t			 i;
	uint8_t			 ok = 1;

	if (name == NULL || len == 0 || len > WIRE_NAME_MAX)
		return 0;
	if (allow_star && len == 1 && name[0] == '*')
		return 1;
	for (i = 0; i < len; i++)
		ok &= table[p[i]];
	return ok;
}

/* The statuses a NAK may carry (PROTOCOL.md 7.5). */
static int
nak_status_ok(uint8_t status)
{
	switch (status) {
	case ST_NO_SUCH_SESSION:
	case ST_TOO_LARGE:
	case ST_REJECTED:
	case ST_BUSY:
		return 1;
	default:
		return 0;
	}
}

/*
 * Sender.
 */

void
relay_out_init(struct relay_out *ro, size_t limit, relay_done_fn done,
    void *arg)
{
	memset(ro, 0, sizeof(*ro));
	TAILQ_INIT(&ro->q);
	ro->unsent = NULL;
	ro->next_id = 1;
	ro->limit = limit;
	ro->done = done;
	ro->arg = arg;
}

/* A copy of v, with the id left to the caller. */
/*
 * Small messages come and go by the thousand a second, a window of them
 * at a time and 64 with each ACK, which is the allocator's slow path; so
 * their blocks, all of one size, are kept for reuse: at most
 * RELAY_SPARE_MAX of them (about 1.9 MiB), and relay_out_trim(), called
 * every few seconds, gives back what was not used since the last call.
 */
#define RELAY_SMALL_PAYLOAD	256
#define RELAY_SMALL_BLOCK	(sizeof(struct relay_msg) + RELAY_SMALL_PAYLOAD)
#define RELAY_SPARE_MAX		4096

static struct {
	struct relay_msg	*first;		/* linked through entry */
	size_t			 count;
	size_t			 low;		/* fewest since the last trim */
} spare;

/* What a message of len payload bytes takes, its block's whole size. */
static size_t
msg_cost(size_t len)
{
	return len <= RELAY_SMALL_PAYLOAD ? RELAY_SMALL_BLOCK :
	    sizeof(struct relay_msg) + len;
}

static struct relay_msg *
msg_alloc(size_t cost)
{
	struct relay_msg	*m;

	if (cost == RELAY_SMALL_BLOCK && (m = spare.first) != NULL) {
		spare.first = TAILQ_NEXT(m, entry);
		if (--spare.count < spare.low)
			spare.low = spare.count;
		return m;
	}
	return malloc(cost);
}

static void
msg_free(struct relay_msg *m)
{
	if (m->cost == RELAY_SMALL_BLOCK && spare.count < RELAY_SPARE_MAX) {
		TAILQ_NEXT(m, entry) = spare.first;
		spare.first = m;
		spare.count++;
		return;
	}
	free(m);
}

size_t
relay_out_spares(void)
{
	return spare.count;
}

/* Free spare blocks until keep are left. */
static void
spare_free_to(size_t keep)
{
	struct relay_msg	*m;

	while (spare.count > keep && (m = spare.first) != NULL) {
		spare.first = TAILQ_NEXT(m, entry);
		spare.count--;
		free(m);
	}
}

void
relay_out_trim(void)
{
	/* The blocks that stayed unused since the last call go. */
	spare_free_to(spare.count - spare.low);
	spare.low = spare.count;
}

void
relay_out_release(void)
{
	spare_free_to(0);
	spare.low = 0;
}

static struct relay_msg *
msg_new(const struct relay_view *v, uint64_t cookie, uint64_t tag,
    uint64_t now_ms)
{
	struct relay_msg	*m;
	size_t			 cost = msg_cost(v->len);

	if ((m = msg_alloc(cost)) == NULL)
		return NULL;
	/* Every field set; the names are read only to their lengths. */
	m->id = 0;
	m->sent = 0;
	m->cookie = cookie;
	m->tag = tag;
	m->enq_ms = m->wait_ms = now_ms;
	m->cost = cost;
	m->flags = v->flags;
	m->fromlen = (uint8_t)v->fromlen;
	m->tolen = (uint8_t)v->tolen;
	memcpy(m->from, v->from, v->fromlen);
	memcpy(m->to, v->to, v->tolen);
	m->len = v->len;
	if (v->len > 0)
		memcpy(m->payload, v->payload, v->len);
	return m;
}

int
relay_out_push(struct relay_out *ro, const struct relay_view *v,
    uint64_t cookie, uint64_t tag, uint64_t now_ms, uint64_t *idp)
{
	struct relay_msg	*m;
	size_t			 cost;

	if (v->len > WIRE_PAYLOAD_MAX)
		return ST_TOO_LARGE;
	if (v->len > 0 && v->payload == NULL)
		return ST_REJECTED;
	if (!relay_name_valid(v->from, v->fromlen, 0) ||
	    !relay_name_valid(v->to, v->tolen, 1))
		return ST_BAD_NAME;
	/* Never reached in practice; but an id must never repeat. */
	if (ro->next_id == UINT64_MAX)
		return ST_QUEUE_FULL;
	/* The whole allocation counts, so tiny messages cannot cheat. */
	cost = msg_cost(v->len);
	if (ro->nbytes > ro->limit || cost > ro->limit - ro->nbytes)
		return ST_QUEUE_FULL;
	if ((m = msg_new(v, cookie, tag, now_ms)) == NULL)
		return ST_QUEUE_FULL;
	m->id = ro->next_id++;
	TAILQ_INSERT_TAIL(&ro->q, m, entry);
	if (ro->unsent == NULL)
		ro->unsent = m;
	ro->nqueued++;
	ro->nbytes += m->cost;
	ro->unsent_bytes += m->cost;
	if (idp != NULL)
		*idp = m->id;
	return ST_OK;
}

const struct relay_msg *
relay_out_next(struct relay_out *ro)
{
	struct relay_msg	*m;

	if ((m = ro->unsent) == NULL)
		return NULL;
	m->sent = 1;
	ro->unsent_bytes -= m->cost;
	if (m->id > ro->max_sent)
		ro->max_sent = m->id;
	ro->unsent = TAILQ_NEXT(m, entry);
	return m;
}

const struct relay_msg *
relay_out_peek(const struct relay_out *ro)
{
	return ro->unsent;
}

int
relay_out_has_unsent(const struct relay_out *ro)
{
	return ro->unsent != NULL;
}

size_t
relay_msg_bodylen(const struct relay_msg *m)
{
	return RELAY_MSG_HDRLEN + m->fromlen + m->tolen + m->len;
}

int
relay_encode_msg(const struct relay_msg *m, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	size_t	n = relay_msg_bodylen(m), off;

	if (outsz < n || relay_encode_msg_head(m, out, outsz, &off) == -1)
		return -1;
	if (m->len > 0)
		memcpy(out + off, m->payload, m->len);
	*outlen = n;
	return 0;
}

int
relay_encode_msg_head(const struct relay_msg *m, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	size_t	off = 0;

	if (outsz < relay_msg_bodylen(m) - m->len)
		return -1;
	put_u64(out, m->id);
	off += 8;
	out[off++] = m->flags;
	out[off++] = m->fromlen;
	memcpy(out + off, m->from, m->fromlen);
	off += m->fromlen;
	out[off++] = m->tolen;
	memcpy(out + off, m->to, m->tolen);
	off += m->tolen;
	*outlen = off;
	return 0;
}

size_t
relay_batch_put(const struct relay_msg *m, uint8_t *out, size_t room)
{
	size_t	n = relay_msg_bodylen(m), head;

	if (n > UINT16_MAX || room < RELAY_BATCH_ENTRY_HDR + n)
		return 0;
	put_u16(out, (uint16_t)n);
	if (relay_encode_msg(m, out + RELAY_BATCH_ENTRY_HDR, n, &head) == -1)
		return 0;
	return RELAY_BATCH_ENTRY_HDR + n;
}

/* Take m out of the queue and the counters; the caller frees it. */
static void
unlink_msg(struct relay_out *ro, struct relay_msg *m)
{
	if (ro->unsent == m)
		ro->unsent = TAILQ_NEXT(m, entry);
	TAILQ_REMOVE(&ro->q, m, entry);
	ro->nqueued--;
	ro->nbytes -= m->cost;
	if (!m->sent)
		ro->unsent_bytes -= m->cost;
}

/* Unlink, report and free: the callback never sees a queued message. */
static void
complete(struct relay_out *ro, struct relay_msg *m, uint8_t status)
{
	unlink_msg(ro, m);
	if (ro->done != NULL)
		ro->done(ro->arg, m, status);
	msg_free(m);
}

int
relay_out_ack(struct relay_out *ro, uint64_t upto)
{
	struct relay_msg	*m, *next;

	/* The peer cannot have handled an id we never sent. */
	if (upto > ro->max_sent)
		return -1;
	/*
	 * Complete every message up to upto, on the wire or not: one that a
	 * link failure made unsent again was still sent once (ids go out in
	 * order and upto <= max_sent), and the peer says it has it.  A
	 * NAK lost with a link is not turned into ok here: the receiver
	 * remembers what it NAKed and handles the re-send anew, so its NAK
	 * (or its delivery) comes before any ACK that covers it.
	 */
	/* complete() frees m; a callback may only append to the queue. */
	for (m = TAILQ_FIRST(&ro->q); m != NULL && m->id <= upto; m = next) {
		next = TAILQ_NEXT(m, entry);
		complete(ro, m, ST_OK);
	}
	return 0;
}

int
relay_out_nak(struct relay_out *ro, uint64_t id, uint8_t status)
{
	struct relay_msg	*m;

	if (!nak_status_ok(status))
		return -1;
	/* Only the prefix up to "unsent" is on the wire. */
	for (m = TAILQ_FIRST(&ro->q); m != NULL; m = TAILQ_NEXT(m, entry)) {
		if (m == ro->unsent || m->id > id)
			break;
		if (m->id == id) {
			complete(ro, m, status);
			return 0;
		}
	}
	return -1;
}

void
relay_out_link_down(struct relay_out *ro, uint64_t now_ms)
{
	struct relay_msg	*m;

	for (m = TAILQ_FIRST(&ro->q); m != NULL; m = TAILQ_NEXT(m, entry)) {
		if (m == ro->unsent)
			break;
		/* Its wait for the queue timeout starts now. */
		m->sent = 0;
		ro->unsent_bytes += m->cost;
		m->wait_ms = now_ms;
	}
	ro->unsent = TAILQ_FIRST(&ro->q);
}

size_t
relay_out_expire(struct relay_out *ro, uint64_t now_ms, uint64_t timeout_ms)
{
	struct relay_msg	*m, *next, *last;
	size_t			 n = 0;

	/*
	 * Only what was queued on entry: a callback may push, and what it
	 * pushes must not keep this loop going.
	 */
	if ((last = TAILQ_LAST(&ro->q, relay_msgq)) == NULL)
		return 0;
	for (m = ro->unsent; m != NULL; m = next) {
		/* Taken first: complete() frees m. */
		next = m == last ? NULL : TAILQ_NEXT(m, entry);
		if (now_ms > m->wait_ms && now_ms - m->wait_ms > timeout_ms) {
			complete(ro, m, ST_UNREACHABLE);
			n++;
		}
	}
	return n;
}

void
relay_out_clear(struct relay_out *ro, int notify)
{
	struct relay_msgq	 q;
	struct relay_msg	*m;

	/*
	 * Detach the whole queue first, so that a callback pushing onto it
	 * cannot keep this loop going.
	 */
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &ro->q, entry);
	ro->unsent = NULL;
	ro->nqueued = 0;
	ro->nbytes = 0;
	ro->unsent_bytes = 0;
	while ((m = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, m, entry);
		if (notify && ro->done != NULL)
			ro->done(ro->arg, m, ST_UNREACHABLE);
		msg_free(m);
	}
}

/*
 * Receiver.
 */

void
relay_in_init(struct relay_in *ri)
{
	memset(ri, 0, sizeof(*ri));
}

int
relay_in_link_up(struct relay_in *ri, const uint8_t epoch[8])
{
	/* Whatever ACK the old link owed, the peer re-sends and gets anew. */
	ri->unacked = 0;
	ri->fresh = 1;
	if (ri->have_epoch && memcmp(ri->epoch, epoch, sizeof(ri->epoch)) == 0)
		return 0;
	/* The peer restarted: its ids start again at 1. */
	memcpy(ri->epoch, epoch, sizeof(ri->epoch));
	ri->have_epoch = 1;
	ri->handled = 0;
	ri->nnaked = 0;
	return 1;
}

/* A u8-length-prefixed name; NULL when it is short or invalid. */
static const char *
rd_name(struct reader *r, size_t *lenp, int allow_star)
{
	const uint8_t	*p;
	size_t		 len = rd_u8(r);

	if ((p = rd_bytes(r, len)) == NULL ||
	    !relay_name_valid((const char *)p, len, allow_star))
		return NULL;
	*lenp = len;
	return (const char *)p;
}

int
relay_in_parse_msg(const uint8_t *body, size_t len, struct relay_view *v)
{
	struct reader	r;

	memset(v, 0, sizeof(*v));
	if (len < RELAY_MSG_HDRLEN + 2 || len > RELAY_MSG_MAXLEN)
		return -1;
	rd_init(&r, body, len);
	v->id = rd_u64(&r);
	v->flags = rd_u8(&r);
	if ((v->from = rd_name(&r, &v->fromlen, 0)) == NULL ||
	    (v->to = rd_name(&r, &v->tolen, 1)) == NULL || r.err)
		goto bad;
	/* Ids start at 1. */
	if (v->id == 0)
		goto bad;
	/* The rest of the body is the payload. */
	v->len = r.left;
	if (v->len > WIRE_PAYLOAD_MAX)
		goto bad;
	v->payload = v->len > 0 ? rd_bytes(&r, v->len) : NULL;
	if (rd_done(&r) == -1)
		goto bad;
	return 0;
 bad:
	memset(v, 0, sizeof(*v));
	return -1;
}

int
relay_batch_next(const uint8_t *body, size_t len, size_t *off,
    const uint8_t **msg, size_t *msglen)
{
	size_t	n;

	if (*off == len)
		return 0;
	if (*off > len || len - *off < RELAY_BATCH_ENTRY_HDR)
		return -1;
	n = ((size_t)body[*off] << 8) | body[*off + 1];
	if (n > len - *off - RELAY_BATCH_ENTRY_HDR)
		return -1;
	*msg = body + *off + RELAY_BATCH_ENTRY_HDR;
	*msglen = n;
	*off += RELAY_BATCH_ENTRY_HDR + n;
	return 1;
}

/* Forget the NAKed ids below id. */
static void
naked_prune(struct relay_in *ri, uint64_t id)
{
	size_t	i = 0;

	while (i < ri->nnaked) {
		if (ri->naked[i] < id)
			ri->naked[i] = ri->naked[--ri->nnaked];
		else
			i++;
	}
}

/* Take id out of the NAKed ids; 1 if it was there. */
static int
naked_take(struct relay_in *ri, uint64_t id)
{
	size_t	i;

	for (i = 0; i < ri->nnaked; i++)
		if (ri->naked[i] == id) {
			ri->naked[i] = ri->naked[--ri->nnaked];
			return 1;
		}
	return 0;
}

int
relay_in_accept(struct relay_in *ri, uint64_t id)
{
	/*
	 * On a new link the sender starts with its oldest unresolved
	 * message: every NAK for an id below it has reached the sender.
	 */
	if (ri->fresh) {
		ri->fresh = 0;
		naked_prune(ri, id);
	}
	if (id > ri->handled)
		return RELAY_NEW;
	/* Re-sent after a link failure that took our NAK with it. */
	return naked_take(ri, id) ? RELAY_NEW : RELAY_DUP;
}

void
relay_in_naked(struct relay_in *ri, uint64_t id)
{
	size_t	i, oldest = 0;

	if (naked_take(ri, id) || ri->nnaked < RELAY_NAK_MEMORY) {
		ri->naked[ri->nnaked++] = id;
		return;
	}
	/*
	 * Full: the sender cannot have that many NAKs in flight unless the
	 * link has been up long enough for the oldest to have arrived.
	 */
	for (i = 1; i < ri->nnaked; i++)
		if (ri->naked[i] < ri->naked[oldest])
			oldest = i;
	ri->naked[oldest] = id;
}

int
relay_in_handled(struct relay_in *ri, uint64_t id)
{
	if (id > ri->handled)
		ri->handled = id;
	if (ri->unacked < UINT64_MAX)
		ri->unacked++;
	return ri->unacked >= RELAY_ACK_EVERY;
}

int
relay_in_ack_pending(const struct relay_in *ri)
{
	return ri->unacked > 0;
}

uint64_t
relay_in_ack_value(struct relay_in *ri)
{
	ri->unacked = 0;
	return ri->handled;
}

/*
 * ACK and NAK bodies.
 */

void
relay_encode_ack(uint8_t out[RELAY_ACK_LEN], uint64_t id)
{
	put_u64(out, id);
}

int
relay_parse_ack(const uint8_t *body, size_t len, uint64_t *id)
{
	struct reader	r;
	uint64_t	v;

	rd_init(&r, body, len);
	v = rd_u64(&r);
	if (rd_done(&r) == -1)
		return -1;
	*id = v;
	return 0;
}

void
relay_encode_nak(uint8_t out[RELAY_NAK_LEN], uint64_t id, uint8_t status)
{
	put_u64(out, id);
	out[8] = status;
}

int
relay_parse_nak(const uint8_t *body, size_t len, uint64_t *id,
    uint8_t *status)
{
	struct reader	r;
	uint64_t	v;
	uint8_t		st;

	rd_init(&r, body, len);
	v = rd_u64(&r);
	st = rd_u8(&r);
	if (rd_done(&r) == -1 || v == 0 || !nak_status_ok(st))
		return -1;
	*id = v;
	*status = st;
	return 0;
}
