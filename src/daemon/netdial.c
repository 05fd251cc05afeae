/*
 * Keeping each peer connected, in the network process: dialling it with
 * backoff (PROTOCOL.md 6.2), through the master's resolver or the
 * peer's proxy, one `connect to` address after another; keeping one
 * link per peer when both sides dial at once (PROTOCOL.md 6.4); and
 * what a link going away means for its peer: its figures kept for
 * `show`, its unacknowledged messages queued again, the next dial.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "netpriv.h"
#include "network.h"
#include "relay.h"
#include "resume.h"
#include "session.h"
#include "util.h"
#include "wire.h"

/* ---- peers: dialling with backoff -------------------------------- */

static void
peer_retry_cb(int fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	p->in_backoff = 0;
	peer_dial(p);
}

/*
 * Wait before the next attempt: 1 s doubling to 60 s, with +-25% jitter
 * so that daemons restarted together do not dial in lockstep.
 */
static void
peer_schedule_dial(struct peer *p)
{
	struct timeval	tv;
	uint32_t	r;
	double		delay;

	if (p->nconnects == 0 || p->link != NULL || p->dialing != NULL ||
	    p->in_backoff)
		return;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	if (p->busy_ms != 0) {
		/* The peer asked us to come back then: no doubling. */
		delay = p->busy_ms / 1000.0;
		p->busy_ms = 0;
	} else {
		p->backoff = p->backoff == 0 ? NET_BACKOFF_MIN :
		    (p->backoff * 2 > NET_BACKOFF_MAX ? NET_BACKOFF_MAX :
		    p->backoff * 2);
		delay = p->backoff;
	}
	delay *= 0.75 + 0.5 * (r / 4294967296.0);
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	p->in_backoff = 1;
	if (evtimer_add(p->ev_retry, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

/* sa is the peer's address, or the proxy's for a proxied peer. */
static void
peer_connect_addr(struct peer *p, const struct sockaddr *sa, socklen_t len)
{
	int	fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("%s: socket", p->name);
		peer_schedule_dial(p);
		return;
	}
	p->dialing = link_new(fd, 1, p, sa, len,
	    p->proxy.type == PROXY_SOCKS5 ? p->target : NULL);
}

/* A literal address needs no resolver. */
static int
parse_literal(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

void
peer_dial(struct peer *p)
{
	struct connect_msg	*c;
	struct resolve_req	 req;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	const char		*host;
	uint16_t		 port;

	if (p->nconnects == 0 || p->link != NULL || p->dialing != NULL)
		return;
	c = &p->connects[p->next_connect % p->nconnects];
	p->next_connect = (p->next_connect + 1) % p->nconnects;
	p->target = c;
	/*
	 * Through a proxy, the peer's name is only ever given to the proxy
	 * (no DNS leak); what we connect to, and may have resolved, is the
	 * proxy.  Never a direct connection.
	 */
	if (p->proxy.type == PROXY_SOCKS5) {
		host = p->proxy.host;
		port = p->proxy.port;
	} else {
		host = c->host;
		port = c->port;
	}
	if (parse_literal(host, port, &ss, &len) == 0) {
		peer_connect_addr(p, (struct sockaddr *)&ss, len);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.peer = p->id;
	req.seq = ++p->resolve_seq;
	(void)nc_strlcpy(req.host, host, sizeof(req.host));
	req.port = port;
	p->in_backoff = 1;	/* nothing else until the answer */
	imsgev_compose(&net.master, IMSG_NET_RESOLVE, 0, -1, &req, sizeof(req));
}

void
handle_resolved(struct imsg *imsg)
{
	struct resolve_rep	 rep;
	struct peer		*p;
	socklen_t		 len;

	if (imsg_get_data(imsg, &rep, sizeof(rep)) == -1 ||
	    rep.naddrs > RESOLVE_MAX_ADDRS)
		fatalx("%s: bad NET_RESOLVED", __func__);
	if ((p = peer_by_id(rep.peer)) == NULL || rep.seq != p->resolve_seq)
		return;		/* stale */
	p->in_backoff = 0;
	if (rep.error != 0 || rep.naddrs == 0 || p->link != NULL) {
		peer_schedule_dial(p);
		return;
	}
	len = rep.addrs[0].ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	peer_connect_addr(p, (struct sockaddr *)&rep.addrs[0], len);
}

void
peer_new_timer(struct peer *p)
{
	if ((p->ev_retry = evtimer_new(netctx->base, peer_retry_cb, p)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	spoollink_peer_init(p);
}

void
peer_start(struct peer *p)
{
	if (p->ev_retry == NULL)
		peer_new_timer(p);
	net.npeers++;
	peer_dial(p);	/* "connect, or wait for the peer" */
}

/* ---- links coming up and going away ------------------------------- */

/*
 * One link per peer.  When a second one completes, both daemons keep
 * the link whose initiator has the smaller key fingerprint (raw digest,
 * bytewise), so both choose the same TCP connection.  Two exceptions,
 * where the older link must be stale: a link from a new peer epoch (the
 * peer restarted and cannot know the old one), and between two links of
 * the same initiator, the newer one.
 */
static int
link_wins(const struct link *a, const struct link *b)
{
	int	c;

	if (memcmp(a->peer_epoch, b->peer_epoch, sizeof(a->peer_epoch)) != 0)
		return 1;
	c = memcmp(a->initiator_fp, b->initiator_fp, NC_SHA256_LEN);
	if (c != 0)
		return c < 0;
	return a->id > b->id;
}

void
net_link_up(struct link *l)
{
	struct peer	*p = l->peer;
	struct link	*old = p->link;

	if (p->dialing == l)
		p->dialing = NULL;
	if (old != NULL) {
		if (!link_wins(l, old)) {
			link_close(l, CLOSE_DUPLICATE, "duplicate link");
			return;
		}
		p->link = NULL;		/* so old's going does not redial */
		link_close(old, CLOSE_DUPLICATE, "duplicate link");
	}
	p->link = l;
	p->backoff = 0;
	if (l->have_resume) {
		resume_store(&p->resume, l->resume);
		OPENSSL_cleanse(l->resume, sizeof(l->resume));
		l->have_resume = 0;
	}
	(void)relay_in_link_up(&p->in, l->peer_epoch);
	link_kick(l);
	if (l->state == LINK_UP && !link_output_full(l))
		session_peer_writable(p);
}

void
net_peer_busy(struct peer *p, unsigned int retry_ms)
{
	p->busy_ms = retry_ms;
}

void
net_link_gone(struct link *l)
{
	struct peer	*p = l->peer;

	if (p == NULL)
		return;
	if (p->dialing == l)
		p->dialing = NULL;
	/* Keep the link's figures in the peer's history for `show`. */
	p->bytes_in += l->bytes_in;
	p->bytes_out += l->bytes_out;
	p->records_in += l->records_in;
	p->records_out += l->records_out;
	p->key_updates += l->key_updates;
	p->rekeys += l->rk.done;
	if (p->link == l) {
		p->link = NULL;
		p->reconnects++;
		/* Unacknowledged messages go again on the next link. */
		relay_out_link_down(&p->out, now_ms());
		spoollink_down(p);
		log_info("peer %s: link down", p->name);
	}
	if (p->link == NULL && p->dialing == NULL && !p->in_backoff)
		peer_schedule_dial(p);
}
