/*
 * The network child: owns every untrusted byte (peer links, sessions,
 * the control socket) inside its sandbox.  It holds link keys, never the
 * RSA private key: private-key work is asked of the key-holder.
 *
 * This file is the process: its configuration phase, the listeners and
 * accepting within limits, its channels to the master and the
 * key-holder, the calls by which links and sessions reach each other,
 * and the event loop.  Keeping each peer connected is in netdial.c, the
 * master's reload in netreload.c, what netcryptctl is told in
 * netcontrol.c (their shared state: netpriv.h); a connection's protocol
 * lives in link.c.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
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
#include "netpriv.h"
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

struct network	net;
struct netctx	*netctx = &net.ctx;

static void	accept_cb(int, short, void *);

struct peer *
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
void
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

void
take_peer_msg(struct imsg *imsg, struct peer_msg *pm)
{
	if (imsg_get_data(imsg, pm, sizeof(*pm)) == -1)
		fatalx("%s: bad CONF_PEER", __func__);
	OPENSSL_cleanse(imsg->data, imsg->datalen);
	pm->name[NC_NAME_MAX] = '\0';
}

void
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

void
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
void
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
void
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
void
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
		if (!n->have_settings)
			fatalx("%s: CONF_PEER before CONF_NET", __func__);
		take_peer_msg(imsg, &pm);
		add_peer(&pm);
		OPENSSL_cleanse(&pm, sizeof(pm));
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

/* ---- links and sessions reach each other here -------------------- */

/* l has room again: the sessions sending to its peer may go on. */
void
net_link_writable(struct link *l)
{
	if (l->peer != NULL && l->peer->link == l)
		session_peer_writable(l->peer);
}

/* Messages were queued for p: send what its link can take now. */
void
net_peer_send(struct peer *p)
{
	if (p->link != NULL)
		link_kick_soon(p->link);
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
	relay_out_trim();
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
	int	keep[5 + NET_MAX_LISTEN];
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
	keep[nkeep++] = PROC_SPOOL_FD;
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
	relay_out_release();
	exit(0);
}
