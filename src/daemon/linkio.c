/*
 * The records of an up link, both ways: sealing records into the
 * output, feeding queued MSGs to it while it has room, opening what
 * link.c read, and the bodies of PING, PONG, MSG, ACK, NAK, KEYUPDATE
 * and CLOSE (the rekey's are linkrekey.c's); a MSG for a full session
 * held back, delayed cumulative ACKs, key updates when due.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "buf.h"
#include "inbuf.h"
#include "link_priv.h"
#include "log.h"
#include "network.h"
#include "outbuf.h"
#include "record.h"
#include "relay.h"
#include "session.h"
#include "util.h"
#include "wire.h"

#define LINK_ACK_DELAY_US	10000	/* cumulative ACK at most 10 ms late */
#define LINK_ACK_BYTES		(64 * 1024)	/* or after this much MSG data */
#define LINK_UPDATE_SECONDS	3600	/* key update at least hourly */
#define LINK_OUT_HIGH		(1024 * 1024)	/* stop feeding the link */
#define LINK_RBUF_LEN		NC_REC_MAXBODY	/* an opened record body */
/*
 * MSGS (PROTOCOL.md 7.9): small MSGs queued together share one record,
 * so that the AEAD's per-record cost is paid once for many.  A bigger
 * MSG goes alone: its sealing costs far more than the record does.
 */
#define LINK_BATCH_BODY		(16 * 1024)
#define LINK_BATCH_MSG_MAX	2048

static int	handle_msg(struct link *, size_t off, size_t len,
		    size_t batch_len);
static int	handle_msgs(struct link *, size_t off, size_t len);

/*
 * Seal a record into vec, space reserved in the output buffer (the body
 * may lie in it already), and commit it.
 */
static int
seal_commit(struct link *l, struct evbuffer_iovec *vec, uint8_t type,
    const uint8_t *b1, size_t l1, const uint8_t *b2, size_t l2)
{
	size_t	reclen;

	if (nc_record_seal2(&l->send, type, b1, l1, b2, l2, vec->iov_base,
	    vec->iov_len, &reclen) == -1)
		fatalx("%s: cannot seal a record", __func__);
	vec->iov_len = reclen;
	if (evbuffer_commit_space(outbuf_queue(&l->ob), vec, 1) == -1)
		return -1;
	l->bytes_out += reclen;
	l->records_out++;
	monotime_coarse(&l->last_tx);
	return 0;
}

/* Seal one record into the output buffer, without a copy. */
int
link_send(struct link *l, uint8_t type, const uint8_t *body, size_t len)
{
	return link_send2(l, type, body, len, NULL, 0);
}

/* The same with the body in two parts (a MSG's head and its payload). */
int
link_send2(struct link *l, uint8_t type, const uint8_t *b1, size_t l1,
    const uint8_t *b2, size_t l2)
{
	struct evbuffer_iovec	 vec;

	if (evbuffer_reserve_space(outbuf_queue(&l->ob),
	    (ev_ssize_t)(REC_HDR + 1 + l1 + l2 + 16), &vec, 1) != 1)
		return -1;
	return seal_commit(l, &vec, type, b1, l1, b2, l2);
}

/* Key update on the sending side when a limit is reached. */
void
link_maybe_update_keys(struct link *l)
{
	struct timespec	now;
	uint64_t	limit = netctx->ns.test_keyupdate_records;
	int		due;

	monotime_coarse(&now);
	due = nc_aead_should_update(&l->send) ||
	    (limit != 0 && l->send.seq >= limit) ||
	    timespec_diff(&now, &l->last_update) >= LINK_UPDATE_SECONDS;
	if (!due)
		return;
	if (link_send(l, REC_KEYUPDATE, NULL, 0) == -1 ||
	    nc_aead_update(&l->send) == -1)
		fatalx("%s: key update failed", __func__);
	l->last_update = now;
	l->key_updates++;
	log_debug("link %s (%s): sent key update %llu", l->addr,
	    l->peer->name, (unsigned long long)l->key_updates);
}

int
link_output_full(const struct link *l)
{
	return outbuf_length(&l->ob) >= LINK_OUT_HIGH;
}

/* Our extensions, in the first record after FINISHED (7.9). */
void
link_announce(struct link *l)
{
	uint8_t	body[8];

	if (netctx->ns.features == 0)
		return;		/* a test playing a daemon without them */
	memcpy(body, WIRE_FEATURES_MAGIC, 4);
	put_u32(body + 4, netctx->ns.features);
	(void)link_send(l, REC_PING, body, sizeof(body));
}

static int
batchable(const struct relay_msg *m)
{
	return m != NULL && relay_msg_bodylen(m) <= LINK_BATCH_MSG_MAX;
}

/* One MSG in its own record; the payload is sealed from the queue. */
static int
send_one_msg(struct link *l, const struct relay_msg *m)
{
	uint8_t	head[RELAY_MSG_HEAD_MAX];
	size_t	len;

	if (relay_encode_msg_head(m, head, sizeof(head), &len) == -1)
		fatalx("%s: cannot encode a message", __func__);
	return link_send2(l, REC_MSG, head, len, m->payload, m->len);
}

/*
 * The small MSGs at the head of the queue in one MSGS record, built in
 * the output buffer's own space and sealed where it lies.
 */
static int
send_msgs(struct link *l)
{
	struct evbuffer_iovec	 vec;
	struct relay_out	*ro = &l->peer->out;
	const struct relay_msg	*m;
	uint8_t			*body;
	size_t			 used = 0, n;

	if (evbuffer_reserve_space(outbuf_queue(&l->ob),
	    (ev_ssize_t)(REC_HDR + 1 + LINK_BATCH_BODY + 16), &vec, 1) != 1)
		return -1;
	body = (uint8_t *)vec.iov_base + REC_HDR + 1;
	while (batchable(m = relay_out_peek(ro)) &&
	    (n = relay_batch_put(m, body + used, LINK_BATCH_BODY - used)) > 0) {
		(void)relay_out_next(ro);
		used += n;
	}
	return seal_commit(l, &vec, REC_MSGS, body, used, NULL, 0);
}

/* Send what the peer's queue has for the wire, up to the high mark. */
void
link_kick(struct link *l)
{
	const struct relay_msg	*m;
	int			 rv;

	if (l->state != LINK_UP)
		return;
	while (!link_output_full(l) &&
	    (m = relay_out_peek(&l->peer->out)) != NULL) {
		/* Two or more small ones, to a peer that opens MSGS. */
		if ((l->peer_features & WIRE_FEAT_MSGS) && batchable(m) &&
		    batchable(TAILQ_NEXT(m, entry)))
			rv = send_msgs(l);
		else
			rv = send_one_msg(l, relay_out_next(&l->peer->out));
		if (rv == -1) {
			link_close(l, CLOSE_PROTOCOL, "output failed");
			return;
		}
		link_maybe_update_keys(l);
		link_rekey_check(l);
	}
}

void
link_kick_cb(int fd, short ev, void *arg)
{
	struct link	*l = arg;

	(void)fd;
	(void)ev;
	l->kick_soon = 0;
	link_kick(l);
}

/*
 * Messages were queued: send them once this turn of the event loop has
 * read what every session sent, so that they share records.  Past one
 * record's worth, at once: what waits unsent stays small.
 */
void
link_kick_soon(struct link *l)
{
	if (l->peer->out.unsent_bytes >= LINK_BATCH_BODY)
		link_kick(l);
	else if (!l->kick_soon) {
		l->kick_soon = 1;
		event_active(l->ev_kick, EV_TIMEOUT, 0);
	}
}

static void
send_ack(struct link *l)
{
	uint8_t	body[8];

	evtimer_del(l->ev_ack);
	l->unacked_bytes = 0;
	put_u64(body, relay_in_ack_value(&l->peer->in));
	if (link_send(l, REC_ACK, body, sizeof(body)) == -1)
		link_close(l, CLOSE_PROTOCOL, "output failed");
}

void
link_ack_cb(int fd, short ev, void *arg)
{
	struct link	*l = arg;

	(void)fd;
	(void)ev;
	if (l->state == LINK_UP)
		send_ack(l);
}

static void
schedule_ack(struct link *l, int now)
{
	struct timeval	tv = { 0, LINK_ACK_DELAY_US };

	if (now)
		send_ack(l);
	else if (!evtimer_pending(l->ev_ack, NULL))
		(void)evtimer_add(l->ev_ack, &tv);
}

/*
 * Stop reading until the session a MSG is for has room (or is gone), or
 * for SESSION_HOLD_MS; the opened MSG stays in rbuf, which no other
 * record touches meanwhile (see session_hold_for()).
 */
static int
link_hold(struct link *l, uint64_t session, size_t off, size_t len,
    int batch)
{
	struct timeval	tv = { 0, SESSION_HOLD_MS * 1000 };

	l->held_session = session;
	l->held_off = off;
	l->held_len = len;
	l->held_batch = batch;
	(void)evtimer_add(l->ev_hold, &tv);
	return 1;
}

/*
 * Deliver the held MSG again (and the rest of its MSGS), then the
 * records read behind it.
 */
void
link_resume(struct link *l)
{
	int	rv;

	if (l->held_session == 0)
		return;
	l->held_session = 0;
	evtimer_del(l->ev_hold);
	if (l->state != LINK_UP)
		return;
	if (l->held_batch)
		rv = handle_msgs(l, l->held_off, l->held_len);
	else
		rv = handle_msg(l, 0, l->held_len, 0);
	if (rv == 0)
		inbuf_again(&l->ib);
}

void
link_hold_cb(int fd, short ev, void *arg)
{
	struct link	*l = arg;

	(void)fd;
	(void)ev;
	session_hold_expired(l->held_session);
	link_resume(l);
}

/*
 * One MSG body in rbuf at off: a MSG record's, or with batch_len, one
 * entry of the MSGS body of that length.  0, 1: held (link_hold()), or
 * -1: the link is closing.
 */
static int
handle_msg(struct link *l, size_t off, size_t len, size_t batch_len)
{
	struct relay_view	v;
	uint8_t			nak[RELAY_NAK_LEN];
	uint8_t			status, *none = NULL;
	uint64_t		session;

	if (relay_in_parse_msg(l->rbuf + off, len, &v) == -1) {
		link_close(l, CLOSE_PROTOCOL, "malformed MSG");
		return -1;
	}
	/* A MSGS resumes at the entry's length. */
	if ((session = session_hold_for(&v)) != 0)
		return batch_len == 0 ? link_hold(l, session, 0, len, 0) :
		    link_hold(l, session, off - RELAY_BATCH_ENTRY_HDR,
		    batch_len, 1);
	if (relay_in_accept(&l->peer->in, v.id) == RELAY_NEW) {
		/*
		 * A large payload may take rbuf with it (session.c), unless
		 * more of a MSGS follows in it.
		 */
		status = session_deliver_remote(l->peer, &v,
		    batch_len > 0 ? &none : &l->rbuf);
		if (l->rbuf == NULL)
			l->rbuf_dirty = 0;
		if (status != ST_OK) {
			relay_in_naked(&l->peer->in, v.id);
			relay_encode_nak(nak, v.id, status);
			if (link_send(l, REC_NAK, nak, sizeof(nak)) == -1)
				return -1;
		}
	}
	/*
	 * Besides every RELAY_ACK_EVERY MSGs, an ACK per LINK_ACK_BYTES: a
	 * sender's window of a few large messages must not wait for the
	 * delay, while small ones (a ping-pong) still share one ACK.
	 */
	l->unacked_bytes += len;
	schedule_ack(l, relay_in_handled(&l->peer->in, v.id) ||
	    l->unacked_bytes >= LINK_ACK_BYTES);
	return 0;
}

static int
handle_ack_nak(struct link *l, uint8_t type, const uint8_t *body, size_t len)
{
	struct reader	r;
	uint64_t	id;
	uint8_t		status = ST_OK;

	rd_init(&r, body, len);
	id = rd_u64(&r);
	if (type == REC_NAK)
		status = rd_u8(&r);
	if (rd_done(&r) == -1 ||
	    (type == REC_ACK && relay_out_ack(&l->peer->out, id) == -1) ||
	    (type == REC_NAK && relay_out_nak(&l->peer->out, id,
	    status) == -1)) {
		link_close(l, CLOSE_PROTOCOL, type == REC_ACK ? "bad ACK" :
		    "bad NAK");
		return -1;
	}
	return 0;
}

/*
 * The MSGS body of len bytes in rbuf, from the entry at off on.  An
 * empty MSGS, or an entry whose length passes the body's end, is a
 * protocol error.
 */
static int
handle_msgs(struct link *l, size_t off, size_t len)
{
	const uint8_t	*msg;
	size_t		 mlen;
	int		 r, rv;

	if (len == 0) {
		link_close(l, CLOSE_PROTOCOL, "empty MSGS");
		return -1;
	}
	while ((r = relay_batch_next(l->rbuf, len, &off, &msg, &mlen)) == 1)
		if ((rv = handle_msg(l, (size_t)(msg - l->rbuf), mlen,
		    len)) != 0)
			return rv;
	if (r == -1) {
		link_close(l, CLOSE_PROTOCOL, "malformed MSGS");
		return -1;
	}
	return 0;
}

/* One opened record of an up link.  -1: the link is closing, 1: held. */
static int
handle_up_record(struct link *l, uint8_t type, const uint8_t *body,
    size_t len)
{
	switch (type) {
	case REC_PING:
		if (len != 8) {
			link_close(l, CLOSE_PROTOCOL, "bad PING");
			return -1;
		}
		if (l->up_records == 1 &&
		    memcmp(body, WIRE_FEATURES_MAGIC, 4) == 0) {
			l->peer_features = get_u32(body + 4);
			spoollink_up(l);
		}
		return link_send(l, REC_PONG, body, len);
	case REC_PONG:
		return len == 8 ? 0 : (link_close(l, CLOSE_PROTOCOL,
		    "bad PONG"), -1);
	case REC_MSG:
		return handle_msg(l, 0, len, 0);
	case REC_MSGS:
		if (!(netctx->ns.features & WIRE_FEAT_MSGS))
			break;
		return handle_msgs(l, 0, len);
	case REC_ACK:
	case REC_NAK:
		return handle_ack_nak(l, type, body, len);
	case REC_SMSG:
	case REC_SACK:
	case REC_SFINAL:
	case REC_SFINAL_ACK:
		return spoollink_record(l, type, body, len);
	case REC_KEYUPDATE:
		if (len != 0 || nc_aead_update(&l->recv) == -1) {
			link_close(l, CLOSE_PROTOCOL, "bad KEYUPDATE");
			return -1;
		}
		return 0;
	case REC_REKEY:
	case REC_REKEY_ACK:
	case REC_REKEY_DONE:
		return link_rekey_input(l, type, body, len);
	case REC_CLOSE:
		log_info("link %s to %s: closed by the peer (reason %u)",
		    l->addr, l->peer->name, len > 0 ? body[0] : 0);
		link_schedule_free(l);	/* no CLOSE back, nothing after it */
		return -1;
	default:
		break;
	}
	link_close(l, CLOSE_PROTOCOL, "unexpected record type");
	return -1;
}

/* Under the low mark: more from the queue, then from sessions. */
void
link_drained(void *arg)
{
	struct link	*l = arg;

	if (l->state != LINK_UP)
		return;
	link_kick(l);
	if (l->state == LINK_UP && !link_output_full(l))
		net_link_writable(l);
}

/* A sealed record of an up link; see link_priv.h. */
int
link_up_record(struct link *l, const uint8_t *rec, size_t len)
{
	uint8_t	type;
	size_t	bodylen;
	int	rv;

	/* Only now: many links never get here (probes, floods). */
	if (l->rbuf == NULL && (l->rbuf = malloc(LINK_RBUF_LEN)) == NULL)
		fatal("%s", __func__);
	/* What a wipe at the end must cover: at most the record. */
	if (l->rbuf_dirty < len)
		l->rbuf_dirty = len < LINK_RBUF_LEN ? len : LINK_RBUF_LEN;
	if (nc_record_open(&l->recv, rec, len, &type, l->rbuf,
	    LINK_RBUF_LEN, &bodylen) == -1) {
		link_close(l, CLOSE_PROTOCOL, "record did not verify");
		return -1;
	}
	l->up_records += l->up_records < 2;	/* only the first counts */
	rv = handle_up_record(l, type, l->rbuf, bodylen);
	if (rv == 0)
		link_rekey_check(l);	/* the bytes received count */
	return rv;
}
