/*
 * The network child: owns every untrusted byte (peer links, sessions,
 * the control socket) inside its sandbox.  It holds link keys, never the
 * RSA private key: private-key work is asked of the key-holder.
 *
 * This file is the process: its configuration phase, its channels to the
 * master and the key-holder, the peers (dialling with backoff, accepting
 * within limits, one link per peer), and the event loop.  A connection's
 * protocol lives in link.c.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "acceptpause.h"
#include "admit.h"
#include "control.h"
#include "crypto.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "network.h"
#include "policy.h"
#include "proc.h"
#include "record.h"
#include "relay.h"
#include "sandbox.h"
#include "session.h"
#include "util.h"
#include "wire.h"

/*
 * Accepts per readiness event: few enough that the HELLO of a real peer
 * accepted in one burst is read before a flood's next bursts can evict
 * it (admit.c).
 */
#define NET_ACCEPT_BURST	16
#define NET_ACCEPT_PAUSE_MS	50	/* at most, when the pool is full */
#define NET_TICK_SECONDS	1	/* queue timeouts */

struct network {
	struct netctx		 ctx;
	struct imsgev		 master;
	struct imsgev		 kh;
	int			 listen_fds[NET_MAX_LISTEN];
	uint32_t		 listen_ids[NET_MAX_LISTEN];	/* master's */
	struct acceptpause	*listener[NET_MAX_LISTEN];	/* its events */
	size_t			 nlisten;
	int			 serving;	/* listeners have events */
	int			 reconf;	/* between RECONF_START/END */
	int			 control_fd;
	int			 session_fd;
	int			 have_privsep, have_settings;
	struct privsep_conf	 privsep;
	struct event		*ev_tick;
	uint32_t		 npeers;
};

static struct network	net;
struct netctx		*netctx = &net.ctx;

static void	peer_dial(struct peer *);
static void	peer_schedule_dial(struct peer *);
static void	peer_retry_cb(int, short, void *);
static void	peer_new_timer(struct peer *);
static void	accept_cb(int, short, void *);

static struct peer *
peer_by_id(uint32_t id)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &netctx->peers, entry)
		if (p->id == id)
			return p;
	return NULL;
}

struct peer *
net_peer_by_fp(const uint8_t fp[NC_SHA256_LEN])
{
	struct peer	*p;

	TAILQ_FOREACH(p, &netctx->peers, entry)
		if (memcmp(p->fp, fp, NC_SHA256_LEN) == 0)
			return p;
	return NULL;
}

/*
 * The master's proxy settings, checked.  Without a configured user, the
 * peer gets a random user and password for this run: Tor (with its
 * default IsolateSOCKSAuth) then keeps each peer on its own circuits.
 */
static void
set_peer_proxy(struct peer *p, const struct proxy_msg *px)
{
	uint8_t	rnd[16];

	p->proxy = *px;
	p->proxy.host[sizeof(p->proxy.host) - 1] = '\0';
	p->proxy.user[sizeof(p->proxy.user) - 1] = '\0';
	p->proxy.password[sizeof(p->proxy.password) - 1] = '\0';
	if (p->proxy.type == PROXY_NONE)
		return;
	if (p->proxy.type != PROXY_SOCKS5 || p->proxy.port == 0 ||
	    p->proxy.host[0] == '\0' || (p->proxy.has_auth &&
	    (p->proxy.user[0] == '\0' || p->proxy.password[0] == '\0')))
		fatalx("%s: bad proxy for peer %s", __func__, p->name);
	if (p->proxy.has_auth)
		return;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatalx("%s: RAND_bytes", __func__);
	(void)nc_strlcpy(p->proxy.user, "netcryptd-", sizeof(p->proxy.user));
	nc_hex_encode(rnd, 8, p->proxy.user + strlen(p->proxy.user),
	    sizeof(p->proxy.user) - strlen(p->proxy.user));
	nc_hex_encode(rnd + 8, 8, p->proxy.password,
	    sizeof(p->proxy.password));
	OPENSSL_cleanse(rnd, sizeof(rnd));
}

static void
add_peer(const struct peer_msg *pm)
{
	struct peer	*p;

	if (peer_by_id(pm->id) != NULL)
		fatalx("%s: duplicate peer id %u", __func__, pm->id);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->id = pm->id;
	(void)nc_strlcpy(p->name, pm->name, sizeof(p->name));
	memcpy(p->fp, pm->fp, sizeof(p->fp));
	set_peer_proxy(p, &pm->proxy);
	(void)nc_fingerprint_from_digest(p->fp, p->fpstr, sizeof(p->fpstr));
	relay_out_init(&p->out, netctx->ns.queue_size, session_completed, p);
	relay_in_init(&p->in);
	TAILQ_INSERT_TAIL(&netctx->peers, p, entry);
}

static void
add_connect(const struct connect_msg *cm)
{
	struct peer	*p = peer_by_id(cm->peer);

	if (p == NULL || p->nconnects >= NET_MAX_CONNECTS)
		fatalx("%s: bad connect for peer %u", __func__, cm->peer);
	p->connects[p->nconnects] = *cm;
	p->connects[p->nconnects].host[NC_HOST_MAX] = '\0';
	p->nconnects++;
}

/* CONF_NET, at start or in a reload. */
static void
take_settings(struct imsg *imsg)
{
	struct net_settings	ns;

	if (imsg_get_data(imsg, &ns, sizeof(ns)) == -1 ||
	    ns.nciphers == 0 || ns.nciphers > NC_CIPHER_MAX ||
	    ns.keepalive == 0 || ns.handshake_timeout == 0 ||
	    ns.max_pending == 0 || ns.max_pending > NET_MAX_PENDING_ALL ||
	    ns.rekey_interval == 0 || ns.rekey_bytes == 0)
		fatalx("%s: bad CONF_NET", __func__);
	ns.name[NC_NAME_MAX] = '\0';
	netctx->ns = ns;
}

static void
listener_start(size_t i)
{
	char	what[48];

	(void)snprintf(what, sizeof(what), "peer listener %u",
	    net.listen_ids[i]);
	net.listener[i] = acceptpause_new(netctx->base, net.listen_fds[i],
	    accept_cb, NULL, what);
}

/* accept4() on lfd failed: pause that listener (see acceptpause.c). */
static void
listener_failed(int lfd, int err)
{
	size_t	i;

	for (i = 0; i < net.nlisten; i++)
		if (net.listen_fds[i] == lfd && net.listener[i] != NULL)
			acceptpause_failed(net.listener[i], err);
}

/* NET_LISTEN_FD: a socket the master bound for us (we never bind). */
static void
listener_add(struct imsg *imsg)
{
	struct listen_msg	lm;
	size_t			i;
	int			fd;

	if (imsg_get_data(imsg, &lm, sizeof(lm)) == -1 ||
	    net.nlisten >= NET_MAX_LISTEN)
		fatalx("%s: bad NET_LISTEN_FD", __func__);
	for (i = 0; i < net.nlisten; i++)
		if (net.listen_ids[i] == lm.id)
			fatalx("%s: listener %u given twice", __func__, lm.id);
	if ((fd = imsg_take_fd(imsg)) == -1)
		fatalx("%s: NET_LISTEN_FD without a descriptor", __func__);
	i = net.nlisten++;
	net.listen_fds[i] = fd;
	net.listen_ids[i] = lm.id;
	net.listener[i] = NULL;
	if (net.serving)
		listener_start(i);
}

/* RECONF_LISTEN_CLOSE: the address is gone from the configuration. */
static void
listener_close(struct imsg *imsg)
{
	uint32_t	id;
	size_t		i;

	if (imsg_get_data(imsg, &id, sizeof(id)) == -1)
		fatalx("%s: bad RECONF_LISTEN_CLOSE", __func__);
	for (i = 0; i < net.nlisten; i++)
		if (net.listen_ids[i] == id)
			break;
	if (i == net.nlisten)
		fatalx("%s: no listener %u", __func__, id);
	acceptpause_free(net.listener[i]);
	(void)close(net.listen_fds[i]);
	log_debug("listener %u closed", id);
	net.nlisten--;
	net.listen_fds[i] = net.listen_fds[net.nlisten];
	net.listen_ids[i] = net.listen_ids[net.nlisten];
	net.listener[i] = net.listener[net.nlisten];
}

static int
net_dispatch_master_conf(void *arg, struct imsg *imsg)
{
	struct network		*n = arg;
	struct peer_msg		 pm;
	struct connect_msg	 cm;

	switch (imsg->hdr.type) {
	case IMSG_CONF_PRIVSEP:
		if (imsg_get_data(imsg, &n->privsep, sizeof(n->privsep)) == -1)
			fatalx("%s: bad CONF_PRIVSEP", __func__);
		n->privsep.user[sizeof(n->privsep.user) - 1] = '\0';
		n->privsep.chroot[sizeof(n->privsep.chroot) - 1] = '\0';
		n->have_privsep = 1;
		return 0;
	case IMSG_CONF_NET:
		take_settings(imsg);
		n->have_settings = 1;
		return 0;
	case IMSG_CONF_PEER:
		if (!n->have_settings ||
		    imsg_get_data(imsg, &pm, sizeof(pm)) == -1)
			fatalx("%s: bad CONF_PEER", __func__);
		pm.name[NC_NAME_MAX] = '\0';
		add_peer(&pm);
		/* It may hold a proxy password. */
		OPENSSL_cleanse(&pm, sizeof(pm));
		OPENSSL_cleanse(imsg->data, imsg->datalen);
		return 0;
	case IMSG_CONF_CONNECT:
		if (imsg_get_data(imsg, &cm, sizeof(cm)) == -1)
			fatalx("%s: bad CONF_CONNECT", __func__);
		add_connect(&cm);
		return 0;
	case IMSG_NET_LISTEN_FD:
		listener_add(imsg);
		return 0;
	case IMSG_NET_CONTROL_FD:
		if (imsg_get_empty(imsg) == -1 || n->control_fd != -1 ||
		    (n->control_fd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad NET_CONTROL_FD", __func__);
		return 0;
	case IMSG_NET_SESSION_FD:
		if (imsg_get_empty(imsg) == -1 || n->session_fd != -1 ||
		    (n->session_fd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad NET_SESSION_FD", __func__);
		return 0;
	case IMSG_CONF_POLICY:
		policy_take(imsg->data, imsg->datalen);
		return 0;
	case IMSG_CONF_END:
		if (imsg_get_empty(imsg) == -1 || !n->have_settings)
			fatalx("%s: bad CONF_END", __func__);
		policy_commit();
		return 1;
	default:
		fatalx("%s: unexpected %s from the master during configuration",
		    __func__, imsg_type_name(imsg->hdr.type));
	}
}

/* The key-holder's first messages: our public key, then the rate. */
static int
net_dispatch_kh_conf(void *arg, struct imsg *imsg)
{
	struct kh_rate		 rate;
	const unsigned char	*spki;
	size_t			 spkilen;
	EVP_PKEY		*pkey;

	(void)arg;
	if (imsg->hdr.type == IMSG_KH_RATE && netctx->spki != NULL) {
		if (imsg_get_data(imsg, &rate, sizeof(rate)) == -1)
			fatalx("%s: bad %s", __func__,
			    imsg_type_name(imsg->hdr.type));
		admit_set_rate(&rate);
		return 1;
	}
	if (imsg->hdr.type != IMSG_KH_PUBKEY || netctx->spki != NULL)
		fatalx("%s: unexpected %s from the key-holder", __func__,
		    imsg_type_name(imsg->hdr.type));
	if (imsg_get_blob(imsg, &spki, &spkilen, NC_SPKI_MAX) == -1 ||
	    (pkey = nc_pkey_from_spki(spki, spkilen)) == NULL)
		fatalx("%s: the key-holder sent a bad public key", __func__);
	EVP_PKEY_free(pkey);
	if ((netctx->spki = malloc(spkilen)) == NULL)
		fatal("%s", __func__);
	memcpy(netctx->spki, spki, spkilen);
	netctx->spkilen = spkilen;
	if (nc_sha256(netctx->spki, netctx->spkilen, netctx->fp) == -1 ||
	    nc_fingerprint(netctx->spki, netctx->spkilen, netctx->fpstr,
	    sizeof(netctx->fpstr)) == -1)
		fatalx("%s: fingerprint", __func__);
	return 0;
}

/* ---- the key-holder channel -------------------------------------- */

static struct link *
link_by_id(uint64_t id)
{
	struct link	*l;

	TAILQ_FOREACH(l, &netctx->links, entry)
		if (l->id == id)
			return l;
	return NULL;
}

/* An id we never used means the channel is confused: stop. */
static uint64_t
kh_answer_id(struct imsg *imsg, void *buf, size_t len)
{
	uint64_t	id;

	if (imsg_get_data(imsg, buf, len) == -1)
		fatalx("%s: bad %s from the key-holder", __func__,
		    imsg_type_name(imsg->hdr.type));
	memcpy(&id, buf, sizeof(id));
	if (id == 0 || id > netctx->next_link_id)
		fatalx("%s: answer for unknown request %llu", __func__,
		    (unsigned long long)id);
	return id;
}

static void
net_dispatch_kh(void *arg, struct imsg *imsg)
{
	struct kh_unwrap_rep	 rep;
	struct link		*l;
	uint64_t		 id;

	(void)arg;
	switch (imsg->hdr.type) {
	case IMSG_KH_UNWRAP_DONE:
		id = kh_answer_id(imsg, &rep, sizeof(rep));
		netctx->unwraps++;
		admit_answered(id, 0, rep.op_us);
		/* The link may have closed while the key-holder worked. */
		if ((l = link_by_id(id)) != NULL)
			link_unwrapped(l, rep.u);
		OPENSSL_cleanse(&rep, sizeof(rep));
		break;
	case IMSG_KH_CANCELLED:
		id = kh_answer_id(imsg, &id, sizeof(id));
		admit_answered(id, 1, 0);
		break;
	default:
		fatalx("%s: unexpected %s from the key-holder", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

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

static void
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

static void
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
net_link_writable(struct link *l)
{
	if (l->peer != NULL && l->peer->link == l)
		session_peer_writable(l->peer);
}

void
net_link_gone(struct link *l, int was_up)
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
		log_info("peer %s: link down", p->name);
	}
	(void)was_up;
	if (p->link == NULL && p->dialing == NULL && !p->in_backoff)
		peer_schedule_dial(p);
}

/* Messages were queued for p: send what its link can take now. */
void
net_peer_send(struct peer *p)
{
	if (p->link != NULL)
		link_kick(p->link);
}

/*
 * Should the sessions sending to p wait?  While its link is up, when the
 * link's output is full; while it is not, when half its queue is used.
 */
int
net_peer_full(const struct peer *p)
{
	if (p->link == NULL)
		return p->out.nbytes > p->out.limit / 2;
	return link_output_full(p->link);
}

/* A session has room again (or is gone): links waiting for it go on. */
void
net_session_drained(uint64_t session)
{
	struct link	*l, *next;

	for (l = TAILQ_FIRST(&netctx->links); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->held_session == session)
			link_resume(l);
	}
}

/* ---- accepting ----------------------------------------------------- */

/*
 * Every slot of the handshake pool waits for our key-holder (admit.c):
 * stop accepting for a moment.  The kernel's backlog keeps newcomers in
 * order; a slot coming free (net_accept_room) or the timer resumes.
 */
static void
accept_pause(void)
{
	size_t	i;

	for (i = 0; i < net.nlisten; i++)
		if (net.listener[i] != NULL)
			acceptpause_hold(net.listener[i], NET_ACCEPT_PAUSE_MS);
}

/* A pool slot came free: accept again (acceptpause_release). */
void
net_accept_room(void)
{
	size_t	i;

	for (i = 0; i < net.nlisten; i++)
		if (net.listener[i] != NULL)
			acceptpause_release(net.listener[i]);
}

static void
accept_cb(int lfd, short ev, void *arg)
{
	static struct log_rate	lines;
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, i;

	(void)ev;
	(void)arg;
	for (i = 0; i < NET_ACCEPT_BURST; i++) {
		/* Bounded handshakes in progress: see admit.c. */
		if (admit_room() == -1) {
			accept_pause();
			return;
		}
		memset(&ss, 0, sizeof(ss));
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			listener_failed(lfd, errno);
			return;
		}
		if (admit_source(&ss) == -1) {
			if (log_rate_ok(&lines, 1, "refused connections"))
				log_warnx("too many handshakes from one source "
				    "in progress: refusing a connection");
			(void)close(fd);
			continue;
		}
		(void)link_new(fd, 0, NULL, (struct sockaddr *)&ss, len,
		    NULL);
	}
}

/* ---- control: what `netcryptctl show` reports ------------------------ */

static void
ctl_admission(struct ctl_daemon *d)
{
	const struct admit_stats	*st = admit_stats();

	d->unwrap_rate = st->rate;
	d->unwrap_us = st->op_us;
	d->unwraps_refused = st->refused;
	d->unwraps_cancelled = st->cancelled;
	d->handshakes_evicted = st->evicted;
	d->handshakes_proven = st->proven;
}

static size_t
ctl_snapshot(void *arg, struct ctl_daemon *d)
{
	struct timespec	now;

	(void)arg;
	monotime(&now);
	memset(d, 0, sizeof(*d));
	(void)nc_strlcpy(d->name, netctx->ns.name, sizeof(d->name));
	(void)nc_strlcpy(d->fingerprint, netctx->fpstr, sizeof(d->fingerprint));
	d->uptime_seconds = (int64_t)timespec_diff(&now, &netctx->started);
	d->handshakes_ok = netctx->handshakes_ok;
	d->handshakes_failed = netctx->handshakes_failed;
	d->rsa_unwraps = netctx->unwraps;
	ctl_admission(d);
	d->sessions = session_count();
	session_refusals(&d->attaches_refused, &d->messages_rejected);
	return net.npeers;
}

static void
ctl_peer(void *arg, size_t i, struct ctl_peer *c)
{
	struct peer	*p;
	struct link	*l, *shown = NULL;
	struct timespec	 now;

	(void)arg;
	memset(c, 0, sizeof(*c));
	TAILQ_FOREACH(p, &netctx->peers, entry)
		if (i-- == 0)
			break;
	if (p == NULL)
		return;
	(void)nc_strlcpy(c->name, p->name, sizeof(c->name));
	(void)nc_strlcpy(c->fingerprint, p->fpstr, sizeof(c->fingerprint));
	c->up_seconds = -1;
	c->cipher = "";
	c->direction = "";
	c->bytes_in = p->bytes_in;
	c->bytes_out = p->bytes_out;
	c->records_in = p->records_in;
	c->records_out = p->records_out;
	c->key_updates = p->key_updates;
	c->rekeys = p->rekeys;
	c->reconnects = p->reconnects;
	c->queued_msgs = p->out.nqueued;
	c->queued_bytes = p->out.nbytes;
	/* The up link, else a handshake in progress, for this peer. */
	shown = p->link != NULL ? p->link : p->dialing;
	TAILQ_FOREACH(l, &netctx->links, entry)
		if (shown == NULL && l->peer == p && l->state != LINK_CLOSING)
			shown = l;
	if (shown != NULL) {
		c->state = link_state_name(shown->state);
		(void)nc_strlcpy(c->address, shown->addr, sizeof(c->address));
		c->direction = shown->outbound ? "out" : "in";
		c->bytes_in += shown->bytes_in;
		c->bytes_out += shown->bytes_out;
		c->records_in += shown->records_in;
		c->records_out += shown->records_out;
		c->key_updates += shown->key_updates;
		c->rekeys += shown->rk.done;
		if (shown->state == LINK_UP) {
			monotime(&now);
			c->cipher = cipher_name(shown->cipher);
			c->up_seconds = (int64_t)timespec_diff(&now,
			    &shown->since);
		}
	} else
		c->state = p->in_backoff ? "backoff" : "idle";
}

/* netcryptctl reload / check: only the master can do it; ask it. */
static void
ctl_reload(void *arg, unsigned int client, int check)
{
	struct ctl_reload_req	req;

	(void)arg;
	memset(&req, 0, sizeof(req));
	req.client = client;
	req.check = check ? 1 : 0;
	imsgev_compose(&net.master, IMSG_CTL_RELOAD, 0, -1, &req, sizeof(req));
}

static const struct control_ops ctl_ops = {
	.snapshot = ctl_snapshot,
	.peer = ctl_peer,
	.reload = ctl_reload,
	.arg = NULL
};

static void
ctl_reload_done(struct imsg *imsg)
{
	struct ctl_reload_rep	 rep;
	const unsigned char	*text;
	size_t			 textlen;

	if (imsg_get_head_tail(imsg, &rep, sizeof(rep), &text, &textlen,
	    CTL_RELOAD_TEXT_MAX) == -1)
		fatalx("%s: bad CTL_RELOAD_DONE", __func__);
	control_answer(rep.client, rep.status, textlen > 0 ? text :
	    (const unsigned char *)"", textlen);
}

/* ---- reload: the difference the master sends --------------------- */

/*
 * CONF_PEER in a reload: a new peer, or one whose key, addresses or
 * proxy changed.  What that means for its links is decided at
 * RECONF_END, once the whole block is in.
 */
static void
reconf_peer_apply(const struct peer_msg *pm)
{
	struct peer	*p;

	if ((p = peer_by_id(pm->id)) == NULL) {
		add_peer(pm);
		p = peer_by_id(pm->id);
		p->reconf = PEER_RECONF_NEW;
		/*
		 * It can be accepted before RECONF_END, and a link of it that
		 * fails would then schedule a redial: the timer must exist.
		 */
		peer_new_timer(p);
		return;
	}
	if (strcmp(p->name, pm->name) != 0)
		fatalx("%s: peer %u is %s, not %s", __func__, pm->id, p->name,
		    pm->name);
	p->reconf |= PEER_RECONF_CHANGED;
	/* A changed proxy applies from the next connection on. */
	OPENSSL_cleanse(&p->proxy, sizeof(p->proxy));
	set_peer_proxy(p, &pm->proxy);
	if (memcmp(p->fp, pm->fp, sizeof(p->fp)) != 0) {
		memcpy(p->fp, pm->fp, sizeof(p->fp));
		(void)nc_fingerprint_from_digest(p->fp, p->fpstr,
		    sizeof(p->fpstr));
		p->reconf |= PEER_RECONF_KEY;
		/* Secrets of links with the old key prove nothing now. */
		resume_clear(&p->resume);
	}
	/* The CONF_CONNECTs that follow replace the list. */
	p->nconnects = 0;
	p->next_connect = 0;
}

static void
reconf_peer(struct imsg *imsg)
{
	struct peer_msg	 pm;

	if (imsg_get_data(imsg, &pm, sizeof(pm)) == -1)
		fatalx("%s: bad CONF_PEER", __func__);
	/* Both copies may hold a proxy password. */
	OPENSSL_cleanse(imsg->data, imsg->datalen);
	pm.name[NC_NAME_MAX] = '\0';
	reconf_peer_apply(&pm);
	OPENSSL_cleanse(&pm, sizeof(pm));
}

/*
 * RECONF_PEER_DEL: close its links with CLOSE(normal), and complete
 * every message still queued for it as "peer unreachable".
 */
static void
reconf_peer_del(struct imsg *imsg)
{
	uint32_t	 id;
	struct peer	*p;
	struct link	*l;

	if (imsg_get_data(imsg, &id, sizeof(id)) == -1 ||
	    (p = peer_by_id(id)) == NULL)
		fatalx("%s: bad RECONF_PEER_DEL", __func__);
	TAILQ_FOREACH(l, &netctx->links, entry) {
		if (l->peer != p)
			continue;
		link_close(l, CLOSE_NORMAL, "peer removed from the "
		    "configuration");
		/* Freed later, by the event loop: it must not find p then. */
		l->peer = NULL;
	}
	p->link = p->dialing = NULL;
	if (p->ev_retry != NULL)
		event_free(p->ev_retry);
	relay_out_clear(&p->out, 1);
	session_peer_writable(p);	/* nobody may wait for it */
	TAILQ_REMOVE(&netctx->peers, p, entry);
	net.npeers--;
	log_info("peer %s: removed", p->name);
	OPENSSL_cleanse(&p->proxy, sizeof(p->proxy));	/* a password */
	resume_clear(&p->resume);
	free(p);
}

static void
peer_new_timer(struct peer *p)
{
	if ((p->ev_retry = evtimer_new(netctx->base, peer_retry_cb, p)) == NULL)
		fatalx("%s: evtimer_new", __func__);
}

static void
peer_start(struct peer *p)
{
	if (p->ev_retry == NULL)
		peer_new_timer(p);
	net.npeers++;
	peer_dial(p);	/* "connect, or wait for the peer" */
}

/* RECONF_END: the new settings and peers take effect together. */
static void
reconf_end(void)
{
	struct peer	*p;
	struct link	*l;

	TAILQ_FOREACH(p, &netctx->peers, entry) {
		p->out.limit = netctx->ns.queue_size;
		if (p->reconf & PEER_RECONF_NEW) {
			log_info("peer %s: added", p->name);
			peer_start(p);
			p->reconf = 0;
			continue;
		}
		if (p->reconf & PEER_RECONF_KEY) {
			/* The old key was verified: nothing of it may stay. */
			log_info("peer %s: pinned key changed to %s", p->name,
			    p->fpstr);
			TAILQ_FOREACH(l, &netctx->links, entry)
				if (l->peer == p)
					link_close(l, CLOSE_NORMAL,
					    "pinned key changed");
		}
		if (p->reconf & PEER_RECONF_CHANGED) {
			/* New addresses are for the next attempt. */
			if (p->nconnects == 0 && p->in_backoff &&
			    evtimer_pending(p->ev_retry, NULL)) {
				evtimer_del(p->ev_retry);
				p->in_backoff = 0;
			}
			/* Idle: a peer that only waited may dial now. */
			if (!p->in_backoff)
				peer_dial(p);
		}
		p->reconf = 0;
	}
}

static void
net_dispatch_reconf(struct imsg *imsg)
{
	struct connect_msg	cm;

	switch (imsg->hdr.type) {
	case IMSG_CONF_NET:
		take_settings(imsg);
		break;
	case IMSG_CONF_PEER:
		reconf_peer(imsg);
		break;
	case IMSG_CONF_CONNECT:
		if (imsg_get_data(imsg, &cm, sizeof(cm)) == -1)
			fatalx("%s: bad CONF_CONNECT", __func__);
		add_connect(&cm);
		break;
	case IMSG_RECONF_PEER_DEL:
		reconf_peer_del(imsg);
		break;
	case IMSG_NET_LISTEN_FD:
		listener_add(imsg);
		break;
	case IMSG_RECONF_LISTEN_CLOSE:
		listener_close(imsg);
		break;
	case IMSG_CONF_POLICY:
		policy_take(imsg->data, imsg->datalen);
		break;
	case IMSG_RECONF_END:
		if (imsg_get_empty(imsg) == -1)
			fatalx("%s: bad RECONF_END", __func__);
		policy_commit();
		session_policy_changed();
		reconf_end();
		net.reconf = 0;
		log_info("configuration reloaded: %u peers, %zu listening "
		    "sockets", net.npeers, net.nlisten);
		imsgev_compose(&net.master, IMSG_RECONF_DONE, 0, -1, NULL, 0);
		break;
	default:
		fatalx("%s: unexpected %s from the master during a reload",
		    __func__, imsg_type_name(imsg->hdr.type));
	}
}

/* ---- the master channel and the periodic tick --------------------- */

static void
net_dispatch_master(void *arg, struct imsg *imsg)
{
	(void)arg;
	if (net.reconf) {
		net_dispatch_reconf(imsg);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_NET_RESOLVED:
		handle_resolved(imsg);
		break;
	case IMSG_CTL_RELOAD_DONE:
		ctl_reload_done(imsg);
		break;
	case IMSG_RECONF_START:
		if (imsg_get_empty(imsg) == -1)
			fatalx("%s: bad RECONF_START", __func__);
		net.reconf = 1;
		break;
#ifdef NC_SANDBOX_TESTS
	case IMSG_TEST_FORBIDDEN:
		log_warnx("test: attempting a forbidden system call");
		(void)execl("/bin/true", "true", (char *)NULL);
		fatalx("test: the forbidden call was allowed");
#endif
	default:
		fatalx("%s: unexpected %s from the master", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
net_master_eof(void *arg)
{
	(void)arg;
	/* The master closed our channel: the daemon is stopping. */
	log_debug("master went away, exiting");
	event_base_loopbreak(netctx->base);
}

static void
net_kh_eof(void *arg)
{
	(void)arg;
	fatalx("the key-holder went away");
}

/* Messages that waited too long for a link get "peer unreachable". */
static void
tick_cb(int fd, short ev, void *arg)
{
	struct peer	*p;
	struct timeval	 tv = { NET_TICK_SECONDS, 0 };
	uint64_t	 ms;

	(void)fd;
	(void)ev;
	(void)arg;
	ms = now_ms();
	TAILQ_FOREACH(p, &netctx->peers, entry)
		(void)relay_out_expire(&p->out, ms,
		    (uint64_t)netctx->ns.queue_timeout * 1000);
	session_tick();
	(void)evtimer_add(net.ev_tick, &tv);
}

/*
 * Everything OpenSSL fetches or seeds lazily, done once before the
 * seccomp filter: every cipher, HKDF/HMAC, X25519, OAEP with our key.
 */
static void
warm_up_crypto(void)
{
	struct nc_aead	a;
	uint8_t		key[32], iv[12], ts[32], rec[64], priv[32], pub[32];
	uint8_t		th[32] = { 0 }, u[32], label[64], blob[KH_BLOB_MAX];
	size_t		len, labellen;
	uint8_t		id;
	EVP_PKEY	*pk;

	if (RAND_bytes(key, sizeof(key)) != 1 || RAND_bytes(priv, 32) != 1)
		fatalx("%s: RAND_bytes", __func__);
	memset(iv, 0, sizeof(iv));
	memset(ts, 0, sizeof(ts));
	for (id = 1; id <= NC_CIPHER_MAX; id++) {
		if (nc_aead_init(&a, NC_AEAD_SEAL, id, key, nc_cipher_keylen(id),
		    iv, ts) == -1 ||
		    nc_record_seal(&a, REC_PING, key, 8, rec, sizeof(rec),
		    &len) == -1 || nc_aead_update(&a) == -1)
			fatalx("%s: cipher %u", __func__, id);
		nc_aead_clear(&a);
	}
	pk = nc_pkey_from_spki(netctx->spki, netctx->spkilen);
	if (nc_x25519_public(priv, pub) == -1 ||
	    nc_hkdf(th, 32, key, 32, "warm up", u, 32) == -1 || pk == NULL ||
	    nc_oaep_label(1, th, label, sizeof(label), &labellen) == -1 ||
	    nc_oaep_wrap(pk, label, labellen, key, 32, blob, sizeof(blob),
	    &len) == -1)
		fatalx("%s: crypto self-check failed", __func__);
	EVP_PKEY_free(pk);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(priv, sizeof(priv));
}

static void
start_serving(void)
{
	struct peer	*p;
	struct timeval	 tv = { NET_TICK_SECONDS, 0 };
	size_t		 i;

	for (i = 0; i < net.nlisten; i++)
		listener_start(i);
	net.serving = 1;
	if (net.control_fd != -1)
		control_init(netctx->base, net.control_fd, &ctl_ops);
	if (net.session_fd != -1)
		session_init(netctx->base, net.session_fd);
	if ((net.ev_tick = evtimer_new(netctx->base, tick_cb, NULL)) == NULL ||
	    evtimer_add(net.ev_tick, &tv) == -1)
		fatalx("%s: tick", __func__);
	TAILQ_FOREACH(p, &netctx->peers, entry)
		peer_start(p);
}

static void
configure(void)
{
	struct imsgbuf	boot, khboot;

	imsgbuf_init(&boot, PROC_MASTER_FD);
	proc_forward_logs(&boot);
	if (proc_read_until(&boot, net_dispatch_master_conf, &net) == -1)
		fatalx("configuration failed");
	if (!net.have_privsep)
		fatalx("configuration incomplete");
	imsgbuf_init(&khboot, PROC_PEER_FD);
	if (proc_read_until(&khboot, net_dispatch_kh_conf, &net) == -1)
		fatalx("no public key from the key-holder");
	/* Nothing else may be waiting in the boot buffers. */
	if (khboot.rlen != 0 || boot.rlen != 0)
		fatalx("unexpected data during configuration");
	imsgbuf_clear(&khboot);
	imsgbuf_clear(&boot);
}

void
network_main(void)
{
	int	keep[4 + NET_MAX_LISTEN];
	size_t	i, nkeep = 0;

#ifdef M_TRIM_THRESHOLD
	/*
	 * A message in flight is a copy of up to 64 KiB, and so is a read
	 * buffer: with glibc's default trim threshold (128 KiB) freeing
	 * the topmost one gave memory back with brk() and the next one
	 * took it again, about once per large message.  Keep up to 4 MiB
	 * of free heap instead.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
#endif
#ifdef M_MMAP_THRESHOLD
	/* Nor map and unmap each read buffer of inbuf.c. */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
	memset(&net, 0, sizeof(net));
	net.control_fd = -1;
	net.session_fd = -1;
	TAILQ_INIT(&netctx->peers);
	TAILQ_INIT(&netctx->links);
	configure();
	if (RAND_bytes(netctx->epoch, sizeof(netctx->epoch)) != 1)
		fatalx("cannot draw the epoch");
	monotime(&netctx->started);
	warm_up_crypto();

	keep[nkeep++] = PROC_MASTER_FD;
	keep[nkeep++] = PROC_PEER_FD;
	if (net.control_fd != -1)
		keep[nkeep++] = net.control_fd;
	if (net.session_fd != -1)
		keep[nkeep++] = net.session_fd;
	for (i = 0; i < net.nlisten; i++)
		keep[nkeep++] = net.listen_fds[i];
	sandbox_enter(PROC_NETWORK, &net.privsep, keep, nkeep);

	/* The event base comes after the descriptor cleanup. */
	if ((netctx->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	imsgev_init(&net.master, netctx->base, PROC_MASTER_FD, "master",
	    net_dispatch_master, net_master_eof, &net);
	proc_forward_logs(&net.master.ibuf);
	imsgev_init(&net.kh, netctx->base, PROC_PEER_FD, "key-holder",
	    net_dispatch_kh, net_kh_eof, &net);
	admit_init(&net.kh);
	sandbox_lock(PROC_NETWORK);
	start_serving();
	log_info("%s: listening on %zu sockets as %s, %u peers",
	    netctx->ns.name, net.nlisten, netctx->fpstr, net.npeers);
	imsgev_compose(&net.master, IMSG_READY, 0, -1, NULL, 0);

	if (event_base_dispatch(netctx->base) == -1)
		fatalx("event loop failed");
	exit(0);
}
