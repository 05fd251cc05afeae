/*
 * The network child's channel to the spool (doc/SPOOL.md).
 *
 * The network child asks; the spool keeps.  Puts (a session's message
 * with a lifetime) and ins (a peer's SMSG) are answered with SP_DONE
 * once durable; fetches with SP_ENTRY messages and an SP_FETCH_END, in
 * the order asked.  Every request in flight is remembered here, so that
 * an answer goes to whoever asked (a session, a link) or nowhere when it
 * has gone; an answer to nothing asked means the spool is confused, and
 * the child stops.  What is in flight is bounded by its sources: a
 * session's asks (SSPOOL_ASKS_MAX), a link's SMSGs at the spool
 * (SPOOL_LINK_AT_SPOOL_MAX), one fetch per session and per peer.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "ipc.h"
#include "log.h"
#include "netpriv.h"
#include "netspool.h"
#include "network.h"
#include "proc.h"
#include "relay.h"
#include "sessspool.h"

enum ask_kind {
	ASK_PUT,
	ASK_IN,
	ASK_OUT_FETCH,
	ASK_BOX_FETCH
};

struct ask {
	TAILQ_ENTRY(ask)	 entry;
	enum ask_kind		 kind;
	uint64_t		 req;		/* puts and ins */
	uint64_t		 session;	/* put, box fetch */
	uint64_t		 cid;		/* put */
	uint8_t			 dest;		/* put */
	uint8_t			 fp[NC_SHA256_LEN];	/* put to a peer */
	char			 box[NC_NAME_MAX + 1];	/* local name */
	uint32_t		 peer;		/* in, out fetch */
	uint64_t		 link;		/* in */
	uint64_t		 gen;		/* out fetch */
	uint64_t		 inc, seq;	/* in */
	size_t			 len;		/* put: payload bytes */
};
TAILQ_HEAD(ask_list, ask);

static struct {
	struct imsgev		 iev;
	int			 have_hello;
	uint64_t		 inc;
	uint64_t		 next_req;
	size_t			 put_bytes;	/* payloads of puts in flight */
	struct ask_list		 done;		/* puts, ins: SP_DONE */
	struct ask_list		 fetches;	/* SP_ENTRY, SP_FETCH_END */
} NS;

static void	dispatch_spool(void *, struct imsg *);

static void
spool_eof(void *arg)
{
	(void)arg;
	fatalx("the spool went away");
}

void
netspool_init(struct event_base *base)
{
	TAILQ_INIT(&NS.done);
	TAILQ_INIT(&NS.fetches);
	imsgev_init(&NS.iev, base, PROC_SPOOL_FD, "spool", dispatch_spool,
	    spool_eof, NULL);
}

/* The longest lifetime this daemon keeps a message for. */
uint32_t
netspool_lifetime_max(void)
{
	uint32_t	max = netctx->ns.spool_lifetime_max;

	return max == 0 || max > WIRE_TTL_MAX ? WIRE_TTL_MAX : max;
}

size_t
netspool_put_bytes(void)
{
	return NS.put_bytes;
}

int
netspool_inc_known(uint64_t *inc)
{
	*inc = NS.inc;
	return NS.have_hello;
}

static struct ask *
ask_new(enum ask_kind kind)
{
	struct ask	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	a->kind = kind;
	a->req = ++NS.next_req;
	TAILQ_INSERT_TAIL(kind == ASK_PUT || kind == ASK_IN ? &NS.done :
	    &NS.fetches, a, entry);
	return a;
}

void
netspool_send(uint32_t type, const void *data, size_t len)
{
	imsgev_compose(&NS.iev, type, 0, -1, data, len);
}

/* The fixed part, then from, to and payload. */
static void
send_parts(uint32_t type, const void *fixed, size_t fixedlen,
    const char *from, size_t fromlen, const char *to, size_t tolen,
    const uint8_t *payload, size_t len)
{
	struct iovec	iov[4];

	iov[0].iov_base = (void *)(uintptr_t)fixed;
	iov[0].iov_len = fixedlen;
	iov[1].iov_base = (void *)(uintptr_t)from;
	iov[1].iov_len = fromlen;
	iov[2].iov_base = (void *)(uintptr_t)to;
	iov[2].iov_len = tolen;
	iov[3].iov_base = (void *)(uintptr_t)payload;
	iov[3].iov_len = len;
	imsgev_composev(&NS.iev, type, 0, -1, iov, 4);
}

void
netspool_put(const struct sp_put *p, const char *from, const char *to,
    const uint8_t *payload, size_t len, uint64_t session, uint64_t cid)
{
	struct ask	*a = ask_new(ASK_PUT);
	struct sp_put	 put = *p;

	a->session = session;
	a->cid = cid;
	a->len = len;
	NS.put_bytes += len;
	a->dest = p->dest;
	memcpy(a->fp, p->fp, sizeof(a->fp));
	memcpy(a->box, to, p->tolen);	/* tolen <= NC_NAME_MAX */
	put.req = a->req;
	send_parts(IMSG_SP_PUT, &put, sizeof(put), from, p->fromlen, to,
	    p->tolen, payload, len);
}

void
netspool_in(const struct sp_in *in, const char *from, const char *to,
    const uint8_t *payload, size_t len, uint32_t peer, uint64_t link)
{
	struct ask	*a = ask_new(ASK_IN);
	struct sp_in	 m = *in;

	a->peer = peer;
	a->link = link;
	a->inc = in->inc;
	a->seq = in->seq;
	memcpy(a->box, to, in->tolen);
	m.req = a->req;
	send_parts(IMSG_SP_IN, &m, sizeof(m), from, in->fromlen, to,
	    in->tolen, payload, len);
}

void
netspool_box_fetch(uint64_t session, const char *name, uint64_t after,
    uint32_t max_count, uint32_t max_bytes)
{
	struct ask	*a = ask_new(ASK_BOX_FETCH);
	struct sp_fetch	 f;

	a->session = session;
	memset(&f, 0, sizeof(f));
	if (nc_strlcpy(f.name, name, sizeof(f.name)) >= sizeof(f.name))
		fatalx("%s: name too long", __func__);
	f.after = after;
	f.max_count = max_count;
	f.max_bytes = max_bytes;
	netspool_send(IMSG_SP_BOX_FETCH, &f, sizeof(f));
}

void
netspool_out_fetch(struct peer *p, uint32_t max_count, uint32_t max_bytes)
{
	struct ask	*a = ask_new(ASK_OUT_FETCH);
	struct sp_fetch	 f;

	a->peer = p->id;
	a->gen = p->sp.gen;
	memset(&f, 0, sizeof(f));
	memcpy(f.fp, p->fp, sizeof(f.fp));
	f.after = p->sp.after;
	f.max_count = max_count;
	f.max_bytes = max_bytes;
	netspool_send(IMSG_SP_OUT_FETCH, &f, sizeof(f));
}

void
netspool_report_fetch(const struct peer *p)
{
	struct sp_fetch	f;

	memset(&f, 0, sizeof(f));
	memcpy(f.fp, p->fp, sizeof(f.fp));
	netspool_send(IMSG_SP_REPORT_FETCH, &f, sizeof(f));
}

/* Equal by design, which is what the check is for. */
/* NOLINTBEGIN(misc-redundant-expression) */
_Static_assert(CTL_QUEUE_LIST == SP_CTL_LIST && CTL_QUEUE_SHOW ==
    SP_CTL_SHOW && CTL_QUEUE_DROP == SP_CTL_DROP && CTL_F_JSON == SP_CTL_JSON,
    "netcryptctl's queue request is passed on as it is");
/* NOLINTEND(misc-redundant-expression) */

/*
 * netcryptctl queue: the names of the peers (the spool knows only their
 * keys), then the request; the spool answers the control client.
 */
void
netspool_ctl(unsigned int client, uint8_t op, uint8_t flags, uint64_t id)
{
	struct sp_ctl_peer	 v[64];
	struct sp_ctl		 c;
	struct peer		*p;
	size_t			 n = 0;

	TAILQ_FOREACH(p, &netctx->peers, entry) {
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].fp, p->fp, sizeof(v[n].fp));
		(void)nc_strlcpy(v[n].name, p->name, sizeof(v[n].name));
		if (++n == sizeof(v) / sizeof(v[0])) {
			netspool_send(IMSG_SP_CTL_PEERS, v, n * sizeof(v[0]));
			n = 0;
		}
	}
	if (n > 0)
		netspool_send(IMSG_SP_CTL_PEERS, v, n * sizeof(v[0]));
	memset(&c, 0, sizeof(c));
	c.client = client;
	c.op = op;
	c.flags = flags;
	c.id = id;
	netspool_send(IMSG_SP_CTL, &c, sizeof(c));
}

/* ---- answers ------------------------------------------------------ */

/* "name" or "name@peer", as the spool may hand back a sender. */
static int
from_valid(const char *from, size_t len)
{
	const char	*at = memchr(from, '@', len);
	size_t		 n = at != NULL ? (size_t)(at - from) : len;

	return relay_name_valid(from, n, 0) &&
	    (at == NULL || relay_name_valid(at + 1, len - n - 1, 0));
}

static void
take_done(struct imsg *imsg)
{
	struct sp_done	 d;
	struct ask	*a;
	struct peer	*p;

	if (imsg_get_data(imsg, &d, sizeof(d)) == -1)
		fatalx("%s: bad SP_DONE", __func__);
	TAILQ_FOREACH(a, &NS.done, entry)
		if (a->req == d.req)
			break;
	if (a == NULL)
		fatalx("%s: SP_DONE for nothing asked", __func__);
	TAILQ_REMOVE(&NS.done, a, entry);
	if (a->kind == ASK_PUT) {
		NS.put_bytes -= a->len;
		sspool_put_done(a->session, a->cid,
		    a->dest == SP_DEST_LOCAL ? a->box : NULL, &d);
		if (d.status == ST_OK && a->dest == SP_DEST_PEER &&
		    (p = net_peer_by_fp(a->fp)) != NULL)
			spoollink_kick(p);
	} else {
		spoollink_in_done(a->peer, a->link, a->inc, a->seq, &d);
		if (d.status == ST_OK && !d.dup)
			sspool_box_arrived(a->box);
	}
	free(a);
}

static void
take_entry(struct imsg *imsg)
{
	struct sp_entry	 e;
	struct ask	*a = TAILQ_FIRST(&NS.fetches);
	const uint8_t	*tail;
	const char	*from, *to;
	size_t		 taillen, plen;

	if (a == NULL || imsg_get_head_tail(imsg, &e, sizeof(e),
	    (const unsigned char **)&tail, &taillen, IMSG_MAX_PAYLOAD) == -1 ||
	    taillen < (size_t)e.fromlen + e.tolen ||
	    (plen = taillen - e.fromlen - e.tolen) > WIRE_PAYLOAD_MAX)
		fatalx("%s: bad SP_ENTRY", __func__);
	from = (const char *)tail;
	to = from + e.fromlen;
	if (e.id == 0 || !from_valid(from, e.fromlen) ||
	    (a->kind == ASK_OUT_FETCH && (e.seq == 0 || e.ttl == 0 ||
	    !relay_name_valid(from, e.fromlen, 0) ||
	    !relay_name_valid(to, e.tolen, 0))))
		fatalx("%s: bad SP_ENTRY", __func__);
	if (a->kind == ASK_OUT_FETCH)
		spoollink_entry(peer_by_id(a->peer), a->gen, &e, from, to,
		    tail + e.fromlen + e.tolen, plen);
	else
		sspool_box_entry(a->session, &e, from,
		    tail + e.fromlen + e.tolen, plen);
}

static void
take_fetch_end(struct imsg *imsg)
{
	struct sp_fetch_end	 end;
	struct ask		*a = TAILQ_FIRST(&NS.fetches);

	if (a == NULL || imsg_get_data(imsg, &end, sizeof(end)) == -1)
		fatalx("%s: bad SP_FETCH_END", __func__);
	TAILQ_REMOVE(&NS.fetches, a, entry);
	if (a->kind == ASK_OUT_FETCH)
		spoollink_fetch_end(peer_by_id(a->peer), a->gen, &end);
	else
		sspool_box_end(a->session, &end);
	free(a);
}

static void
take_notify(struct imsg *imsg)
{
	struct sp_notify	 n;
	const unsigned char	*from;
	size_t			 len;

	if (imsg_get_head_tail(imsg, &n, sizeof(n), &from, &len,
	    NC_NAME_MAX) == -1 || len != n.fromlen ||
	    !relay_name_valid((const char *)from, len, 0))
		fatalx("%s: bad SP_NOTIFY", __func__);
	sspool_notify(&n, (const char *)from);
}

/* A piece of the answer to netcryptctl, for its client if still there. */
static void
take_ctl_text(struct imsg *imsg)
{
	struct sp_ctl_text	 h;
	const unsigned char	*text;
	size_t			 len;

	if (imsg_get_head_tail(imsg, &h, sizeof(h), &text, &len,
	    SP_CTL_TEXT_MAX) == -1 || h.last > 1 ||
	    (h.status != CTL_STATUS_OK && h.status != CTL_STATUS_FAIL))
		fatalx("%s: bad SP_CTL_TEXT", __func__);
	if (text == NULL)
		text = (const unsigned char *)"";
	if (h.last)
		control_answer(h.client, h.status, text, len);
	else
		control_answer_part(h.client, text, len);
}

static void
take_fixed(struct imsg *imsg, void *out, size_t len)
{
	if (imsg_get_data(imsg, out, len) == -1)
		fatalx("bad %s from the spool",
		    imsg_type_name(imsg->hdr.type));
}

static void
dispatch_spool(void *arg, struct imsg *imsg)
{
	struct sp_hello		h;
	struct sp_result	res;
	struct sp_report	rep;
	struct sp_query		q;

	(void)arg;
	switch (imsg->hdr.type) {
	case IMSG_SP_HELLO:
		take_fixed(imsg, &h, sizeof(h));
		if (NS.have_hello)
			fatalx("%s: a second SP_HELLO", __func__);
		NS.have_hello = 1;
		NS.inc = h.inc;
		log_info("spool: %llu entries kept", (unsigned long long)h.entries);
		break;
	case IMSG_SP_DONE:
		take_done(imsg);
		break;
	case IMSG_SP_ENTRY:
		take_entry(imsg);
		break;
	case IMSG_SP_FETCH_END:
		take_fetch_end(imsg);
		break;
	case IMSG_SP_OUT_RESULT_DONE:
		take_fixed(imsg, &res, sizeof(res));
		spoollink_result_done(&res);
		break;
	case IMSG_SP_NOTIFY:
		take_notify(imsg);
		break;
	case IMSG_SP_REPORT:
		take_fixed(imsg, &rep, sizeof(rep));
		spoollink_report(&rep);
		break;
	case IMSG_SP_QUERY_DONE:
		take_fixed(imsg, &q, sizeof(q));
		sspool_query_done(&q);
		break;
	case IMSG_SP_CTL_TEXT:
		take_ctl_text(imsg);
		break;
	default:
		fatalx("%s: unexpected %s from the spool", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}
