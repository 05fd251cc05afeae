/*
 * Messages with a lifetime on a link (doc/PROTOCOL.md 7.10).
 *
 * Sending: once the peer has announced that it takes SMSG, the entries
 * our spool keeps for it are fetched a window at a time, in seq order,
 * and sent; each SACK(ok) is written to the spool (the peer has it), an
 * SFINAL too (what became of it), and the SFINAL is acknowledged once
 * that is durable.  A SACK(full) rewinds the stream to that seq and
 * tries again after a backoff: the receiver takes nothing after a seq it
 * refused until that seq comes again, so order holds and nothing is
 * skipped.  Every link starts again from the first entry not taken: the
 * receiver's spool knows which it has (by inc and seq) and says so.
 *
 * Receiving: an SMSG is judged (name, accept list), handed to our spool
 * and SACKed once durable.  What we owe the sender (SFINAL) comes from
 * the spool whenever it is due and again at every link up.
 */
#include "config.h"

#include <string.h>

#include <event2/event.h>

#include "buf.h"
#include "log.h"
#include "netpriv.h"
#include "netspool.h"
#include "network.h"
#include "policy.h"
#include "relay.h"
#include "spoolwire.h"
#include "wire.h"

static void
retry_cb(int fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	p->sp.more = 1;
	spoollink_kick(p);
}

void
spoollink_peer_init(struct peer *p)
{
	memset(&p->sp, 0, sizeof(p->sp));
	if ((p->sp.ev_retry = evtimer_new(netctx->base, retry_cb, p)) == NULL)
		fatalx("%s: evtimer_new", __func__);
}

void
spoollink_peer_free(struct peer *p)
{
	if (p->sp.ev_retry != NULL)
		event_free(p->sp.ev_retry);
	p->sp.ev_retry = NULL;
}

/* Whether p's link is up and both ends take SMSG. */
static int
link_takes(const struct peer *p)
{
	return p->sp.up && p->link != NULL && p->link->state == LINK_UP;
}

/* Ask the spool for more when the window, the link and the timer allow. */
static void
try_fetch(struct peer *p)
{
	if (!link_takes(p) || p->sp.fetching || !p->sp.more ||
	    evtimer_pending(p->sp.ev_retry, NULL) ||
	    p->sp.inflight >= SPOOL_LINK_WINDOW || link_output_full(p->link))
		return;
	p->sp.fetching = 1;
	p->sp.more = 0;
	netspool_out_fetch(p, SPOOL_LINK_WINDOW - p->sp.inflight,
	    SPOOL_LINK_BYTES);
}

void
spoollink_kick(struct peer *p)
{
	p->sp.more = 1;
	try_fetch(p);
}

void
spoollink_up(struct link *l)
{
	struct peer	*p = l->peer;

	if (p == NULL || p->link != l ||
	    !(netctx->ns.features & WIRE_FEAT_SPOOL) ||
	    !(l->peer_features & WIRE_FEAT_SPOOL))
		return;
	p->sp.up = 1;
	p->sp.gen++;
	p->sp.unsacked_head = 0;
	p->sp.after = 0;	/* from the first entry the peer has not got */
	p->sp.inflight = 0;
	p->sp.finals_out = 0;
	p->sp.blocked = 0;
	p->sp.backoff_ms = 0;
	evtimer_del(p->sp.ev_retry);
	netspool_report_fetch(p);
	spoollink_kick(p);
}

void
spoollink_down(struct peer *p)
{
	p->sp.up = 0;
	p->sp.gen++;
	p->sp.inflight = 0;
	p->sp.blocked = 0;
	evtimer_del(p->sp.ev_retry);
}

void
spoollink_writable(struct peer *p)
{
	try_fetch(p);
}

void
spoollink_entry(struct peer *p, uint64_t gen, const struct sp_entry *e,
    const char *from, const char *to, const uint8_t *payload, size_t len)
{
	struct smsg_view	 v;
	uint8_t			 head[SMSG_HEAD_MAX];
	size_t			 hlen;

	/* For a link gone or a stream rewound: it is fetched again. */
	if (p == NULL || gen != p->sp.gen || !link_takes(p) ||
	    e->seq <= p->sp.after || p->sp.inflight >= SPOOL_LINK_WINDOW)
		return;
	memset(&v, 0, sizeof(v));
	v.inc = e->inc;
	v.seq = e->seq;
	v.ttl = e->ttl;
	v.from = from;
	v.fromlen = e->fromlen;
	v.to = to;
	v.tolen = e->tolen;
	v.len = len;
	if ((hlen = smsg_encode_head(&v, head, sizeof(head))) == 0)
		fatalx("%s: the spool handed a bad entry", __func__);
	if (link_send2(p->link, REC_SMSG, head, hlen, payload, len) == -1) {
		link_close(p->link, CLOSE_PROTOCOL, "cannot queue an SMSG");
		return;
	}
	p->sp.after = e->seq;
	p->sp.unsacked[(p->sp.unsacked_head + p->sp.inflight) %
	    SPOOL_LINK_WINDOW] = e->seq;
	p->sp.inflight++;
}

void
spoollink_fetch_end(struct peer *p, uint64_t gen,
    const struct sp_fetch_end *end)
{
	if (p == NULL)
		return;
	p->sp.fetching = 0;
	if (gen == p->sp.gen)
		p->sp.more |= end->more;
	try_fetch(p);
}

/* The peer's spool is full from seq on: send it again later. */
static void
rewind_full(struct peer *p, uint64_t seq)
{
	struct timeval	tv;

	p->sp.after = seq - 1;
	p->sp.gen++;
	p->sp.more = 1;
	p->sp.backoff_ms = p->sp.backoff_ms == 0 ? SPOOL_RETRY_MIN_MS :
	    p->sp.backoff_ms * 2;
	if (p->sp.backoff_ms > SPOOL_RETRY_MAX_MS)
		p->sp.backoff_ms = SPOOL_RETRY_MAX_MS;
	tv.tv_sec = p->sp.backoff_ms / 1000;
	tv.tv_usec = (p->sp.backoff_ms % 1000) * 1000;
	(void)evtimer_add(p->sp.ev_retry, &tv);
	log_info("peer %s: its spool is full, sending again in %u ms",
	    p->name, p->sp.backoff_ms);
}

static void
send_result(struct peer *p, const struct sack_view *a, int final)
{
	struct sp_result	res;

	memset(&res, 0, sizeof(res));
	memcpy(res.fp, p->fp, sizeof(res.fp));
	res.inc = a->inc;
	res.seq = a->seq;
	res.status = a->status;
	res.final = (uint8_t)final;
	netspool_send(IMSG_SP_OUT_RESULT, &res, sizeof(res));
}

static int
handle_sack(struct link *l, const struct sack_view *a)
{
	struct peer	*p = l->peer;
	uint64_t	 inc;

	/* SACKs answer SMSGs one by one, in the order they were sent. */
	if (!netspool_inc_known(&inc) || a->inc != inc ||
	    p->sp.inflight == 0 || a->seq != p->sp.unsacked[p->sp.unsacked_head]) {
		link_close(l, CLOSE_PROTOCOL, "SACK for nothing sent");
		return -1;
	}
	p->sp.unsacked_head = (p->sp.unsacked_head + 1) % SPOOL_LINK_WINDOW;
	p->sp.inflight--;
	if (a->status == ST_OK) {
		send_result(p, a, 0);
		p->sp.backoff_ms = 0;
	} else if (a->seq <= p->sp.after)
		rewind_full(p, a->seq);
	try_fetch(p);
	return 0;
}

static void
send_sfinal_ack(struct link *l, uint64_t inc, uint64_t seq)
{
	struct sack_view	a = { inc, seq, ST_OK };
	uint8_t			body[WIRE_SFINAL_ACK_LEN];

	sfinal_ack_encode(body, &a);
	(void)link_send(l, REC_SFINAL_ACK, body, sizeof(body));
}

static int
handle_sfinal(struct link *l, const struct sack_view *a)
{
	struct peer	*p = l->peer;
	uint64_t	 inc;

	/* About a spool we no longer are (its directory was emptied). */
	if (!netspool_inc_known(&inc) || a->inc != inc) {
		send_sfinal_ack(l, a->inc, a->seq);
		return 0;
	}
	if (p->sp.at_spool >= SPOOL_LINK_AT_SPOOL_MAX) {
		link_close(l, CLOSE_PROTOCOL, "too many SFINALs at once");
		return -1;
	}
	p->sp.at_spool++;
	send_result(p, a, 1);
	return 0;
}

void
spoollink_result_done(const struct sp_result *res)
{
	struct peer	*p;

	if (!res->final || (p = net_peer_by_fp(res->fp)) == NULL)
		return;
	if (p->sp.at_spool > 0)
		p->sp.at_spool--;
	if (link_takes(p))
		send_sfinal_ack(p->link, res->inc, res->seq);
}

static int
handle_sfinal_ack(struct link *l, const struct sack_view *a)
{
	struct peer		*p = l->peer;
	struct sp_report	 rep;

	if (p->sp.finals_out == 0) {
		link_close(l, CLOSE_PROTOCOL, "SFINAL_ACK for nothing sent");
		return -1;
	}
	p->sp.finals_out--;
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.fp, p->fp, sizeof(rep.fp));
	rep.inc = a->inc;
	rep.seq = a->seq;
	netspool_send(IMSG_SP_REPORTED, &rep, sizeof(rep));
	return 0;
}

void
spoollink_report(const struct sp_report *rep)
{
	struct peer		*p;
	struct sack_view	 a;
	uint8_t			 body[WIRE_SFINAL_LEN];

	if ((p = net_peer_by_fp(rep->fp)) == NULL || !link_takes(p))
		return;		/* asked for again at the next link up */
	a.inc = rep->inc;
	a.seq = rep->seq;
	a.status = rep->status;
	sack_encode(body, &a);
	if (link_send(p->link, REC_SFINAL, body, sizeof(body)) == 0)
		p->sp.finals_out++;
}

/* What our spool is to do with an SMSG: ST_OK, or the refusal. */
static uint8_t
judge_smsg(const struct smsg_view *v, const char *from)
{
	char	to[NC_NAME_MAX + 1];

	memcpy(to, v->to, v->tolen);
	to[v->tolen] = '\0';
	if (v->tolen >= 5 && memcmp(to, "anon-", 5) == 0)
		return ST_NO_SUCH_SESSION;
	if (!policy_accepts(policy_current(), to, from, netctx->ns.name))
		return ST_REJECTED;
	return ST_OK;
}

static void
send_sack(struct link *l, uint64_t inc, uint64_t seq, uint8_t status)
{
	struct sack_view	a = { inc, seq, status };
	uint8_t			body[WIRE_SACK_LEN];

	sack_encode(body, &a);
	(void)link_send(l, REC_SACK, body, sizeof(body));
}

static int
handle_smsg(struct link *l, const uint8_t *body, size_t len)
{
	struct peer		*p = l->peer;
	struct smsg_view	 v;
	struct sp_in		 in;
	char			 from[SP_FROM_MAX + 1];
	size_t			 plen = strlen(p->name);

	if (smsg_parse(body, len, &v) == -1) {
		link_close(l, CLOSE_PROTOCOL, "malformed SMSG");
		return -1;
	}
	if (p->sp.at_spool >= SPOOL_LINK_AT_SPOOL_MAX) {
		link_close(l, CLOSE_PROTOCOL, "too many SMSGs at once");
		return -1;
	}
	/* Nothing after a seq we refused, until it comes again. */
	if (p->sp.blocked != 0 && v.seq > p->sp.blocked) {
		send_sack(l, v.inc, v.seq, ST_SPOOL_FULL);
		return 0;
	}
	if (v.seq == p->sp.blocked)
		p->sp.blocked = 0;
	memcpy(from, v.from, v.fromlen);
	from[v.fromlen] = '@';
	memcpy(from + v.fromlen + 1, p->name, plen + 1);
	memset(&in, 0, sizeof(in));
	in.inc = v.inc;
	in.seq = v.seq;
	/* Kept no longer than we keep anything: the sender's clock is its. */
	in.ttl = v.ttl < netspool_lifetime_max() ? v.ttl :
	    netspool_lifetime_max();
	in.fromlen = (uint8_t)(v.fromlen + 1 + plen);
	in.tolen = (uint8_t)v.tolen;
	in.status = judge_smsg(&v, from);
	memcpy(in.fp, p->fp, sizeof(in.fp));
	p->sp.at_spool++;
	netspool_in(&in, from, v.to, v.payload,
	    in.status == ST_OK ? v.len : 0, p->id, l->id);
	return 0;
}

void
spoollink_in_done(uint32_t peer, uint64_t link, uint64_t inc, uint64_t seq,
    const struct sp_done *d)
{
	struct peer	*p;

	if ((p = peer_by_id(peer)) == NULL)
		return;
	if (p->sp.at_spool > 0)
		p->sp.at_spool--;
	if (p->link == NULL || p->link->id != link || !link_takes(p))
		return;		/* the sender sends it again */
	if (d->status == ST_SPOOL_FULL &&
	    (p->sp.blocked == 0 || seq < p->sp.blocked))
		p->sp.blocked = seq;
	send_sack(p->link, inc, seq, d->status == ST_OK ? ST_OK :
	    ST_SPOOL_FULL);
}

int
spoollink_record(struct link *l, uint8_t type, const uint8_t *body,
    size_t len)
{
	struct sack_view	a;

	if (!l->peer->sp.up) {
		link_close(l, CLOSE_PROTOCOL, "unexpected record type");
		return -1;
	}
	if (type == REC_SMSG)
		return handle_smsg(l, body, len);
	if (sack_parse(type, body, len, &a) == -1) {
		link_close(l, CLOSE_PROTOCOL, "malformed SACK or SFINAL");
		return -1;
	}
	switch (type) {
	case REC_SACK:
		return handle_sack(l, &a);
	case REC_SFINAL:
		return handle_sfinal(l, &a);
	default:
		return handle_sfinal_ack(l, &a);
	}
}
