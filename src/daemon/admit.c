/*
 * Handshake admission in the network child: the slots of the handshake
 * pool, the per-source limit, priority for proven peers, the unwrap
 * rate and the queue in front of the key-holder (see admit.h and
 * doc/PROTOCOL.md 6.3).
 *
 * Classes of handshakes in progress:
 *   outbound	our own dials: one per peer at most, never evicted;
 *   proven	inbound, whose HELLO proved a previous link with its peer:
 *		ADMIT_PROVEN_PER_PEER per peer, outside the pool;
 *   unproven	every other inbound connection, from accept on: the pool
 *		of NET_MAX_PENDING slots and two a peer; when it is full
 *		the oldest of them that waits on the other side makes
 *		room, or, if all wait for the key-holder, accepting stops
 *		for a moment.
 * The key-holder gets at most KH_WINDOW requests at a time; the others
 * wait here, outbound and proven ones first, and leave the queue when
 * their connection goes.
 */
#include "config.h"

#include <sys/uio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <openssl/crypto.h>

#include "admit.h"
#include "handshake.h"
#include "log.h"
#include "network.h"
#include "proc.h"
#include "resume.h"

struct unwrap_job {
	struct kh_unwrap_req	req;
	size_t			bloblen;
	uint8_t			blob[KH_BLOB_MAX];
};

static struct {
	struct imsgev		*kh;
	struct event		*ev_dispatch;
	struct link_queue	 prio, normal;
	double			 tokens, burst;
	double			 avg_us;	/* an unwrap, on average */
	int			 is_auto;
	struct timespec		 refilled;
	struct admit_stats	 st;
} ad;

static void	dispatch_cb(int, short, void *);

void
admit_init(struct imsgev *kh)
{
	ad.kh = kh;
	TAILQ_INIT(&ad.prio);
	TAILQ_INIT(&ad.normal);
	if ((ad.ev_dispatch = evtimer_new(netctx->base, dispatch_cb,
	    NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
}

/*
 * Bursts of one second's worth: after a quiet time, a second at full
 * speed (the rate is half a core), then the rate.
 */
void
admit_set_rate(const struct kh_rate *r)
{
	ad.st.rate = r->rate;
	ad.st.op_us = r->op_us;
	ad.is_auto = r->is_auto;
	ad.avg_us = r->op_us;
	ad.burst = r->rate < 8 ? 8 : r->rate;
	ad.tokens = ad.burst;
	monotime(&ad.refilled);
}

const struct admit_stats *
admit_stats(void)
{
	return &ad.st;
}

/* ---- slots ------------------------------------------------------------ */

static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr)
		    >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

/*
 * Same source: the same IPv4 address, or the same IPv6 /64 (one host
 * usually has a whole /64, so single IPv6 addresses would be no limit).
 */
static int
same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 8) == 0;
	return 0;
}

static int
unproven(const struct link *l)
{
	return l->pending && !l->outbound && !l->proven;
}

/*
 * Waiting for the other side (its HELLO, KEY or FINISHED), not for our
 * key-holder: a real peer is only ever briefly there, except for its
 * own unwrap before FINISHED; a connection that stalls stays there.
 */
static int
waits_on_remote(const struct link *l)
{
	return l->state == LINK_HELLO || l->state == LINK_KEY ||
	    l->state == LINK_FINISHED;
}

/*
 * Young connections are not evicted: a real peer's HELLO must have a
 * chance to arrive and be read, even while a flood of newer connections
 * keeps coming (they then wait in the listen backlog instead).
 */
static int
evictable(const struct link *l, const struct timespec *now)
{
	return unproven(l) && waits_on_remote(l) &&
	    timespec_diff(now, &l->since) * 1000 >= ADMIT_EVICT_MIN_MS;
}

static size_t
count_unproven(const struct sockaddr_storage *src)
{
	struct link	*l;
	size_t		 n = 0;

	TAILQ_FOREACH(l, &netctx->links, entry)
		if (unproven(l) && (src == NULL || same_source(&l->ss, src)))
			n++;
	return n;
}

/*
 * The oldest unproven handshake waiting on the other side (from src, if
 * given), whatever it waits for.  Not the cheapest first: a flood of new
 * connections would then always find the newest ones (a real peer's
 * among them, before its HELLO is read) and never the ones it keeps.
 */
static struct link *
oldest_evictable(const struct sockaddr_storage *src)
{
	struct link	*l;
	struct timespec	 now;

	monotime(&now);
	TAILQ_FOREACH(l, &netctx->links, entry)		/* oldest first */
		if (evictable(l, &now) &&
		    (src == NULL || same_source(&l->ss, src)))
			return l;
	return NULL;
}

/* Close that one; 0 if there was one. */
static int
evict_oldest(const struct sockaddr_storage *src)
{
	struct link	*l;

	if ((l = oldest_evictable(src)) == NULL)
		return -1;
	ad.st.evicted++;
	link_refuse(l, ADMIT_BUSY_RETRY_MS,
	    "evicted: too many handshakes in progress");
	return 0;
}

/*
 * Slots for unproven handshakes: NET_MAX_PENDING, and two for each
 * configured peer, so that every peer of a hub fits when they all dial
 * back after a restart (when nobody can prove anything); the master
 * computes it, lowered if the descriptor limit requires (fdlimit.c).
 */
size_t
admit_pool_size(void)
{
	return netctx->ns.max_pending;
}

/*
 * Before an accept: is there a slot in the pool?  When it is full, the
 * oldest unproven handshake waiting on the other side gives its slot
 * up: a stalled connection then holds its slot only until newer ones
 * arrive, whatever state it stalls in, while a real peer passes those
 * states within a few round trips and is not the oldest.  -1 when every
 * slot waits for our own key-holder, or is too young to be evicted:
 * accepting more would not make the handshakes go faster, so the caller
 * stops accepting for a moment and the kernel's backlog keeps the
 * newcomers in order (a burst of real peers, after a restart).  That
 * wait is short: each of those handshakes leaves the key-holder's queue
 * within the queue's length in unwraps, and then waits on the other
 * side, where it can be evicted once ADMIT_EVICT_MIN_MS old.
 */
int
admit_room(void)
{
	if (count_unproven(NULL) < admit_pool_size() ||
	    evict_oldest(NULL) == 0)
		return 0;
	return -1;
}

/*
 * After an accept from ss: its source's share (loopback has none: all
 * that comes through a Tor onion service comes from there).  Over the
 * share, the oldest of that source waiting on the other side makes room,
 * else the newcomer is refused (-1).
 */
int
admit_source(const struct sockaddr_storage *ss)
{
	if (is_loopback(ss) || count_unproven(ss) < NET_MAX_PENDING_SRC ||
	    evict_oldest(ss) == 0)
		return 0;
	return -1;
}

void
admit_hello(struct link *l, const struct hs_hello_info *info)
{
	static struct log_rate	 replays;
	struct link		*o, *oldest = NULL;
	size_t			 n = 0;
	int			 rv;

	if (l->outbound)
		return;
	rv = resume_check(&l->peer->resume, info->random, info->epoch,
	    info->x25519);
	if (rv == -1 && log_rate_ok(&replays, 1, "replayed proofs"))
		log_warnx("link %s (%s): resumption proof seen before: not "
		    "taken", l->addr, l->peer->name);
	if (rv != 1)
		return;
	l->proven = 1;
	ad.st.proven++;
	net_accept_room();	/* it left the pool */
	/* Two at once are plenty for one peer: the oldest gives way. */
	TAILQ_FOREACH(o, &netctx->links, entry) {
		if (o == l || !o->pending || !o->proven || o->peer != l->peer ||
		    o->outbound)
			continue;
		if (oldest == NULL)
			oldest = o;
		n++;
	}
	if (n >= ADMIT_PROVEN_PER_PEER)
		link_refuse(oldest, ADMIT_BUSY_RETRY_MS,
		    "a newer proven handshake of this peer");
}

/* ---- the key-holder's queue ------------------------------------------- */

static void
refill(void)
{
	struct timespec	now;

	monotime(&now);
	ad.tokens += timespec_diff(&now, &ad.refilled) * ad.st.rate;
	if (ad.tokens > ad.burst)
		ad.tokens = ad.burst;
	ad.refilled = now;
}

/*
 * One unwrap's worth of the rate.  Outbound and proven handshakes are
 * never refused: they run the bucket into debt (at most a burst's worth;
 * they are few, bounded by the peers), which is then paid by refusing
 * unproven ones.
 */
static int
take_token(int prio)
{
	if (ad.st.rate == 0)
		return 0;
	refill();
	if (ad.tokens >= 1.0 || prio) {
		ad.tokens -= 1.0;
		if (ad.tokens < -ad.burst)
			ad.tokens = -ad.burst;
		return 0;
	}
	return -1;
}

static void
log_refusal(const struct link *l)
{
	static struct log_rate	lines;

	if (log_rate_ok(&lines, 1, "handshakes over the unwrap rate"))
		log_warnx("link %s: handshake refused: over the unwrap rate "
		    "of %u/s", l->addr, ad.st.rate);
}

static void
send_job(struct link *l)
{
	struct iovec	iov[2];

	iov[0].iov_base = &l->job->req;
	iov[0].iov_len = sizeof(l->job->req);
	iov[1].iov_base = l->job->blob;
	iov[1].iov_len = l->job->bloblen;
	imsgev_composev(ad.kh, IMSG_KH_UNWRAP, 0, -1, iov, 2);
	free(l->job);
	l->job = NULL;
	l->unwrap = UNWRAP_SENT;
	ad.st.inflight++;
}

/*
 * Requests go to the key-holder from the next turn of the event loop,
 * not at once: a KEY and the end of its connection usually come
 * together, and the end is read in the next turn, before this timer
 * runs, so the request of a connection that sent its KEY and left is
 * dropped here without costing an unwrap (or a token: it is refunded).
 */
static void
schedule_dispatch(void)
{
	struct timeval	tv = { 0, 0 };

	if (!evtimer_pending(ad.ev_dispatch, NULL) &&
	    evtimer_add(ad.ev_dispatch, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

static void
dispatch(void)
{
	struct link	*l;

	while (ad.st.inflight < KH_WINDOW) {
		if ((l = TAILQ_FIRST(&ad.prio)) != NULL)
			TAILQ_REMOVE(&ad.prio, l, uentry);
		else if ((l = TAILQ_FIRST(&ad.normal)) != NULL)
			TAILQ_REMOVE(&ad.normal, l, uentry);
		else
			return;
		ad.st.queued--;
		send_job(l);
	}
}

static void
dispatch_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	dispatch();
}

int
admit_unwrap(struct link *l, const struct kh_unwrap_req *req,
    const uint8_t *blob, size_t bloblen)
{
	int	prio = l->outbound || l->proven;

	if (bloblen > KH_BLOB_MAX)
		fatalx("%s: blob of %zu bytes", __func__, bloblen);
	if (take_token(prio) == -1) {
		ad.st.refused++;
		log_refusal(l);
		link_refuse(l, ADMIT_BUSY_RETRY_MS, "over the unwrap rate");
		return -1;
	}
	if ((l->job = malloc(sizeof(*l->job))) == NULL)
		fatal("%s", __func__);
	l->job->req = *req;
	l->job->bloblen = bloblen;
	memcpy(l->job->blob, blob, bloblen);
	l->unwrap = UNWRAP_QUEUED;
	TAILQ_INSERT_TAIL(prio ? &ad.prio : &ad.normal, l, uentry);
	ad.st.queued++;
	schedule_dispatch();
	return 0;
}

/*
 * `unwrap rate auto` follows what unwraps really take (a busy machine,
 * blobs that fail early): the rate stays at KH_AUTO_SHARE of a core.
 */
static void
follow_cost(uint32_t op_us)
{
	if (!ad.is_auto || op_us == 0)
		return;
	ad.avg_us = ad.avg_us * 0.95 + (double)op_us * 0.05;
	ad.st.op_us = (uint32_t)ad.avg_us;
	ad.st.rate = (uint32_t)(KH_AUTO_SHARE / ad.avg_us) + 1;
	ad.burst = ad.st.rate < 8 ? 8 : ad.st.rate;
}

void
admit_answered(uint64_t id, int cancelled, uint32_t op_us)
{
	(void)id;
	if (cancelled)
		ad.st.cancelled++;
	follow_cost(op_us);
	if (ad.st.inflight == 0)
		fatalx("%s: an answer to no request", __func__);
	ad.st.inflight--;
	dispatch();
}

void
admit_link_done(struct link *l)
{
	uint64_t	id = l->id;

	if (unproven(l))
		net_accept_room();

	switch (l->unwrap) {
	case UNWRAP_QUEUED:
		TAILQ_REMOVE(l->proven || l->outbound ? &ad.prio : &ad.normal,
		    l, uentry);
		ad.st.queued--;
		ad.st.cancelled++;
		free(l->job);
		l->job = NULL;
		if (ad.st.rate != 0 && (ad.tokens += 1.0) > ad.burst)
			ad.tokens = ad.burst;
		break;
	case UNWRAP_SENT:
		if (l->state != LINK_UP)
			imsgev_compose(ad.kh, IMSG_KH_CANCEL, 0, -1, &id,
			    sizeof(id));
		break;
	default:
		break;
	}
	l->unwrap = UNWRAP_NONE;
}
