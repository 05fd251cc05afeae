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

#include "control.h"
#include "crypto.h"
#include "imsg.h"
#include "log.h"
#include "netcryptd.h"
#include "network.h"
#include "proc.h"
#include "record.h"
#include "relay.h"
#include "sandbox.h"
#include "session.h"
#include "util.h"
#include "wire.h"

#define NET_MAX_LISTEN		16
#define NET_ACCEPT_BURST	64	/* accepts per readiness event */
#define NET_TICK_SECONDS	1	/* queue timeouts */

struct network {
	struct netctx		 ctx;
	struct imsgev		 master;
	struct imsgev		 kh;
	int			 listen_fds[NET_MAX_LISTEN];
	struct event		*ev_listen[NET_MAX_LISTEN];
	size_t			 nlisten;
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
	(void)nc_fingerprint_from_digest(p->fp, p->fpstr, sizeof(p->fpstr));
	relay_out_init(&p->out, netctx->ns.queue_size, net_completed, p);
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

static int
net_dispatch_master_conf(void *arg, struct imsg *imsg)
{
	struct network		*n = arg;
	struct peer_msg		 pm;
	struct connect_msg	 cm;
	int			 fd;

	switch (imsg->hdr.type) {
	case IMSG_CONF_PRIVSEP:
		if (imsg_get_data(imsg, &n->privsep, sizeof(n->privsep)) == -1)
			fatalx("%s: bad CONF_PRIVSEP", __func__);
		n->privsep.user[sizeof(n->privsep.user) - 1] = '\0';
		n->privsep.chroot[sizeof(n->privsep.chroot) - 1] = '\0';
		n->have_privsep = 1;
		return 0;
	case IMSG_CONF_NET:
		if (imsg_get_data(imsg, &netctx->ns, sizeof(netctx->ns)) == -1 ||
		    netctx->ns.nciphers == 0 ||
		    netctx->ns.nciphers > NC_CIPHER_MAX ||
		    netctx->ns.keepalive == 0 ||
		    netctx->ns.handshake_timeout == 0)
			fatalx("%s: bad CONF_NET", __func__);
		netctx->ns.name[NC_NAME_MAX] = '\0';
		n->have_settings = 1;
		return 0;
	case IMSG_CONF_PEER:
		if (!n->have_settings ||
		    imsg_get_data(imsg, &pm, sizeof(pm)) == -1)
			fatalx("%s: bad CONF_PEER", __func__);
		pm.name[NC_NAME_MAX] = '\0';
		add_peer(&pm);
		return 0;
	case IMSG_CONF_CONNECT:
		if (imsg_get_data(imsg, &cm, sizeof(cm)) == -1)
			fatalx("%s: bad CONF_CONNECT", __func__);
		add_connect(&cm);
		return 0;
	case IMSG_NET_LISTEN_FD:
		if (imsg->datalen != 0 || n->nlisten >= NET_MAX_LISTEN ||
		    (fd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad NET_LISTEN_FD", __func__);
		n->listen_fds[n->nlisten++] = fd;
		return 0;
	case IMSG_NET_CONTROL_FD:
		if (imsg->datalen != 0 || n->control_fd != -1 ||
		    (n->control_fd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad NET_CONTROL_FD", __func__);
		return 0;
	case IMSG_NET_SESSION_FD:
		if (imsg->datalen != 0 || n->session_fd != -1 ||
		    (n->session_fd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad NET_SESSION_FD", __func__);
		return 0;
	case IMSG_CONF_END:
		if (imsg->datalen != 0 || !n->have_settings)
			fatalx("%s: bad CONF_END", __func__);
		return 1;
	default:
		fatalx("%s: unexpected %s from the master during configuration",
		    __func__, imsg_type_name(imsg->hdr.type));
	}
}

/* The key-holder's first message is our public key. */
static int
net_dispatch_kh_conf(void *arg, struct imsg *imsg)
{
	EVP_PKEY	*pkey;

	(void)arg;
	if (imsg->hdr.type != IMSG_KH_PUBKEY)
		fatalx("%s: unexpected %s from the key-holder", __func__,
		    imsg_type_name(imsg->hdr.type));
	if ((pkey = nc_pkey_from_spki(imsg->data, imsg->datalen)) == NULL)
		fatalx("%s: the key-holder sent a bad public key", __func__);
	EVP_PKEY_free(pkey);
	if ((netctx->spki = malloc(imsg->datalen)) == NULL)
		fatal("%s", __func__);
	memcpy(netctx->spki, imsg->data, imsg->datalen);
	netctx->spkilen = imsg->datalen;
	if (nc_sha256(netctx->spki, netctx->spkilen, netctx->fp) == -1 ||
	    nc_fingerprint(netctx->spki, netctx->spkilen, netctx->fpstr,
	    sizeof(netctx->fpstr)) == -1)
		fatalx("%s: fingerprint", __func__);
	return 1;
}

/* ---- the key-holder channel -------------------------------------- */

void
net_request_unwrap(struct link *l, const struct kh_unwrap_req *req,
    const uint8_t *blob, size_t bloblen)
{
	struct iovec	iov[2];

	iov[0].iov_base = (void *)req;
	iov[0].iov_len = sizeof(*req);
	iov[1].iov_base = (void *)blob;
	iov[1].iov_len = bloblen;
	(void)l;
	imsgev_composev(&net.kh, IMSG_KH_UNWRAP, 0, -1, iov, 2);
}

static struct link *
link_by_id(uint64_t id)
{
	struct link	*l;

	TAILQ_FOREACH(l, &netctx->links, entry)
		if (l->id == id)
			return l;
	return NULL;
}

static void
net_dispatch_kh(void *arg, struct imsg *imsg)
{
	struct kh_unwrap_rep	 rep;
	struct link		*l;

	(void)arg;
	if (imsg->hdr.type != IMSG_KH_UNWRAP_DONE ||
	    imsg_get_data(imsg, &rep, sizeof(rep)) == -1)
		fatalx("%s: unexpected %s from the key-holder", __func__,
		    imsg_type_name(imsg->hdr.type));
	/* An id we never used means the channel is confused: stop. */
	if (rep.id == 0 || rep.id > netctx->next_link_id)
		fatalx("%s: reply for unknown request %llu", __func__,
		    (unsigned long long)rep.id);
	netctx->unwraps++;
	/* The link may have closed (timeout) while the key-holder worked. */
	if ((l = link_by_id(rep.id)) != NULL)
		link_unwrapped(l, rep.u);
	OPENSSL_cleanse(&rep, sizeof(rep));
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
	p->backoff = p->backoff == 0 ? NET_BACKOFF_MIN :
	    (p->backoff * 2 > NET_BACKOFF_MAX ? NET_BACKOFF_MAX :
	    p->backoff * 2);
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	delay = p->backoff * (0.75 + 0.5 * (r / 4294967296.0));
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	p->in_backoff = 1;
	if (evtimer_add(p->ev_retry, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

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
	p->dialing = link_new(fd, 1, p, sa, len);
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

	if (p->nconnects == 0 || p->link != NULL || p->dialing != NULL)
		return;
	c = &p->connects[p->next_connect % p->nconnects];
	p->next_connect = (p->next_connect + 1) % p->nconnects;
	if (parse_literal(c->host, c->port, &ss, &len) == 0) {
		peer_connect_addr(p, (struct sockaddr *)&ss, len);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.peer = p->id;
	req.seq = ++p->resolve_seq;
	(void)nc_strlcpy(req.host, c->host, sizeof(req.host));
	req.port = c->port;
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
	(void)relay_in_link_up(&p->in, l->peer_epoch);
	link_kick(l);
	if (l->state == LINK_UP && !link_output_full(l))
		session_peer_writable(p);
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

uint8_t
net_deliver(struct peer *p, const struct relay_view *v)
{
	return session_deliver_remote(p, v);
}

void
net_completed(void *arg, uint64_t cookie, uint64_t id, uint8_t status)
{
	(void)arg;
	session_completed(cookie, id, status);
}

/* ---- accepting ----------------------------------------------------- */

static size_t
pending_from(const struct sockaddr_storage *ss)
{
	struct link	*l;
	size_t		 n = 0;

	TAILQ_FOREACH(l, &netctx->links, entry) {
		if (l->was_up || l->outbound || l->ss.ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET &&
		    ((const struct sockaddr_in *)&l->ss)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)ss)->sin_addr.s_addr)
			n++;
		else if (ss->ss_family == AF_INET6 &&
		    memcmp(&((const struct sockaddr_in6 *)&l->ss)->sin6_addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, 16) == 0)
			n++;
	}
	return n;
}

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

static void
accept_cb(int lfd, short ev, void *arg)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, i;

	(void)ev;
	(void)arg;
	for (i = 0; i < NET_ACCEPT_BURST; i++) {
		memset(&ss, 0, sizeof(ss));
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("%s: accept", __func__);
			return;
		}
		/*
		 * Bound the handshakes in progress, in total and per source
		 * (loopback excepted: behind Tor every inbound link comes
		 * from 127.0.0.1).
		 */
		if (netctx->npending >= NET_MAX_PENDING ||
		    (!is_loopback(&ss) &&
		    pending_from(&ss) >= NET_MAX_PENDING_SRC)) {
			log_warnx("too many handshakes in progress: refusing a "
			    "connection");
			(void)close(fd);
			continue;
		}
		(void)link_new(fd, 0, NULL, (struct sockaddr *)&ss, len);
	}
}

/* ---- control: what `netcryptctl show` reports ------------------------ */

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
	d->sessions = session_count();
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
		if (shown->state == LINK_UP) {
			monotime(&now);
			c->cipher = cipher_name(shown->cipher);
			c->up_seconds = (int64_t)timespec_diff(&now,
			    &shown->since);
		}
	} else
		c->state = p->in_backoff ? "backoff" : "idle";
}

static const struct control_ops ctl_ops = { ctl_snapshot, ctl_peer, NULL };

/* ---- the master channel and the periodic tick --------------------- */

static void
net_dispatch_master(void *arg, struct imsg *imsg)
{
	(void)arg;
	switch (imsg->hdr.type) {
	case IMSG_NET_RESOLVED:
		handle_resolved(imsg);
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

	for (i = 0; i < net.nlisten; i++) {
		net.ev_listen[i] = event_new(netctx->base, net.listen_fds[i],
		    EV_READ | EV_PERSIST, accept_cb, NULL);
		if (net.ev_listen[i] == NULL ||
		    event_add(net.ev_listen[i], NULL) == -1)
			fatalx("%s: listener event", __func__);
	}
	if (net.control_fd != -1)
		control_init(netctx->base, net.control_fd, &ctl_ops);
	if (net.session_fd != -1)
		session_init(netctx->base, net.session_fd);
	if ((net.ev_tick = evtimer_new(netctx->base, tick_cb, NULL)) == NULL ||
	    evtimer_add(net.ev_tick, &tv) == -1)
		fatalx("%s: tick", __func__);
	TAILQ_FOREACH(p, &netctx->peers, entry) {
		if ((p->ev_retry = evtimer_new(netctx->base, peer_retry_cb,
		    p)) == NULL)
			fatalx("%s: evtimer_new", __func__);
		net.npeers++;
		peer_dial(p);	/* "connect, or wait for the peer" */
	}
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
	/* Nor map and unmap each read buffer of net_read_more(). */
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
	sandbox_lock(PROC_NETWORK);
	start_serving();
	log_info("%s: listening on %zu sockets as %s, %u peers",
	    netctx->ns.name, net.nlisten, netctx->fpstr, net.npeers);
	imsgev_compose(&net.master, IMSG_READY, 0, -1, NULL, 0);

	if (event_base_dispatch(netctx->base) == -1)
		fatalx("event loop failed");
	exit(0);
}

/*
 * libevent 2.1 reads at most 4 KiB a call (EVBUFFER_MAX_READ) whatever
 * the bufferevent's limits: a 64 KiB record took 16 reads and as many
 * FIONREAD ioctls.  A read callback calls this first to take, in one
 * readv, what the socket holds, up to max bytes buffered (its read
 * watermark).  EOF and errors are left to libevent's next read, which
 * the level-triggered event still makes.
 */
#define NET_EVBUFFER_MAX_READ	4096	/* libevent 2.1's buffer.c */

void
net_read_more(struct bufferevent *bev, size_t max)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 v[2];
	size_t			 have = evbuffer_get_length(in), left;
	ssize_t			 n;
	int			 nv, i;

	/* Less than 4 KiB: libevent's read was not cut short. */
	if (have < NET_EVBUFFER_MAX_READ || have >= max)
		return;
	/*
	 * The bufferevent keeps the end of its input frozen outside its
	 * own reads; thaw it for this one read, as libevent itself does.
	 */
	(void)evbuffer_unfreeze(in, 0);
	if ((nv = evbuffer_reserve_space(in, (ev_ssize_t)(max - have), v,
	    2)) <= 0) {
		(void)evbuffer_freeze(in, 0);
		return;
	}
	do
		n = readv(bufferevent_getfd(bev), (struct iovec *)v, nv);
	while (n == -1 && errno == EINTR);
	left = n > 0 ? (size_t)n : 0;
	for (i = 0; i < nv; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
	}
	(void)evbuffer_commit_space(in, v, nv);
	(void)evbuffer_freeze(in, 0);
}
