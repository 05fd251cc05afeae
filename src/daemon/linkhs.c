/*
 * A link from its TCP connect to UP: the SOCKS5 exchange through a
 * proxy, then the handshake records (HELLO, KEY, the key-holder's
 * unwrap, FINISHED) handed to the sans-I/O object of handshake.c, and a
 * BUSY from a peer that refuses us for load.  link.c frames the records
 * and hands over those of the handshake states.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "handshake.h"
#include "inbuf.h"
#include "link_priv.h"
#include "log.h"
#include "network.h"
#include "outbuf.h"
#include "socks5.h"
#include "util.h"
#include "wire.h"

void
link_start_handshake(struct link *l)
{
	struct hs_config	 hc;
	const uint8_t		*hello;
	size_t			 len;

	memset(&hc, 0, sizeof(hc));
	hc.role = l->outbound ? WIRE_ROLE_INITIATOR : WIRE_ROLE_RESPONDER;
	hc.spki = netctx->spki;
	hc.spkilen = netctx->spkilen;
	hc.name = netctx->ns.name;
	hc.ciphers = netctx->ns.ciphers;
	hc.nciphers = netctx->ns.nciphers;
	memcpy(hc.epoch, netctx->epoch, sizeof(hc.epoch));
	if (l->outbound)
		hc.resume = resume_current(&l->peer->resume);
	if ((l->hs = hs_new(&hc)) == NULL)
		fatalx("%s: hs_new", __func__);
	hello = hs_hello_record(l->hs, &len);
	if (outbuf_add(&l->ob, hello, len) == -1)
		fatalx("%s: write", __func__);
	l->bytes_out += len;
	l->state = LINK_HELLO;
}

/*
 * Through a proxy, the link is to the proxy's address; the destination
 * travels in the SOCKS5 request.  Logs then name both.
 */
void
link_set_socks(struct link *l, const struct connect_msg *dest)
{
	char		 proxy[sizeof(l->addr)], port[16];
	const char	*user = l->peer->proxy.user;
	const char	*pass = l->peer->proxy.password;

	if ((l->socks = malloc(sizeof(*l->socks))) == NULL)
		fatal("%s", __func__);
	/* The master and set_peer_proxy() checked every field. */
	if (socks5_init(l->socks, dest->host, dest->port, user, pass) == -1)
		fatalx("%s: bad SOCKS5 request for %s", __func__, dest->host);
	/* Cut to fit if need be: it is only for logs and `show`. */
	(void)nc_strlcpy(proxy, l->addr, sizeof(proxy));
	(void)snprintf(port, sizeof(port), ":%u via ", (unsigned)dest->port);
	(void)nc_strlcpy(l->addr, dest->host, sizeof(l->addr));
	(void)nc_strlcat(l->addr, port, sizeof(l->addr));
	(void)nc_strlcat(l->addr, proxy, sizeof(l->addr));
}

/* Send what the SOCKS5 exchange has to say next, if anything. */
void
link_socks_send(struct link *l)
{
	const uint8_t	*out;
	size_t		 len;

	if ((out = socks5_output(l->socks, &len)) == NULL)
		return;
	if (outbuf_add(&l->ob, out, len) == -1)
		fatalx("%s: write", __func__);
}

/*
 * The proxy's answers.  0 once the tunnel is open: the handshake has
 * started and what follows in the input is the peer's.  -1: wait for
 * more, or the link is closing.
 */
int
link_socks_read(struct link *l, struct evbuffer *in)
{
	enum socks5_status	 st;
	const uint8_t		*p;
	size_t			 have, used;

	/* No answer is longer: more than that is an error anyway. */
	if ((have = evbuffer_get_length(in)) > SOCKS5_IN_MAX)
		have = SOCKS5_IN_MAX;
	if (have == 0 || (p = evbuffer_pullup(in, (ev_ssize_t)have)) == NULL)
		return -1;
	st = socks5_input(l->socks, p, have, &used);
	(void)evbuffer_drain(in, used);
	switch (st) {
	case SOCKS5_MORE:
		return -1;
	case SOCKS5_SEND:
		link_socks_send(l);
		return -1;
	case SOCKS5_DONE:
		log_debug("link %s (%s): SOCKS5 tunnel open", l->addr,
		    l->peer->name);
		socks5_clear(l->socks);
		free(l->socks);
		l->socks = NULL;
		link_start_handshake(l);
		return 0;
	case SOCKS5_ERROR:
		break;
	}
	log_warnx("link %s (%s): SOCKS5 proxy: %s", l->addr, l->peer->name,
	    socks5_error(l->socks));
	link_close(l, CLOSE_NORMAL, "SOCKS5 exchange failed");
	return -1;
}

static void
link_is_up(struct link *l)
{
	if (hs_take_aeads(l->hs, &l->send, &l->recv) == -1)
		fatalx("%s: handshake complete but no keys", __func__);
	l->cipher = hs_cipher(l->hs);
	if (hs_resume_secret(l->hs) != NULL) {
		memcpy(l->resume, hs_resume_secret(l->hs), sizeof(l->resume));
		l->have_resume = 1;
	}
	hs_free(l->hs);
	l->hs = NULL;
	link_unpend(l);
	netctx->handshakes_ok++;
	l->was_up = 1;
	l->state = LINK_UP;
	link_announce(l);	/* the first record after FINISHED */
	monotime(&l->since);
	l->last_update = l->since;
	evtimer_del(l->ev_timer);
	link_arm_timer(l, (int)netctx->ns.keepalive);
	link_rekey_up(l);
	log_info("link %s (%s): up, %s, %s", l->addr, l->peer->name,
	    cipher_name(l->cipher), l->outbound ? "outbound" : "inbound");
	net_link_up(l);
}

/* The peer's HELLO: who is it, and do we know its key? */
static int
handle_hello(struct link *l, const uint8_t *rec, size_t len)
{
	struct hs_hello_info	 info;
	const uint8_t		*key;
	size_t			 keylen;
	char			 err[256], fp[NC_FP_STRLEN];
	struct peer		*p;

	memset(&info, 0, sizeof(info));
	if (hs_recv_hello(l->hs, rec, len, &info, err, sizeof(err)) == -1) {
		if (info.spkilen != 0 && link_log_ok(l) &&
		    nc_fingerprint_from_digest(info.fp, fp, sizeof(fp)) == 0)
			log_warnx("link %s: refusing HELLO from key %s: %s",
			    l->addr, fp, err);
		link_close(l, CLOSE_PROTOCOL, err);
		return -1;
	}
	if (nc_fingerprint_from_digest(info.fp, fp, sizeof(fp)) == -1)
		fatalx("%s: fingerprint", __func__);
	/* Pinning, before any private-key operation. */
	p = net_peer_by_fp(info.fp);
	if (p == NULL || (l->outbound && p != l->peer)) {
		if (link_log_ok(l))
			log_warnx("link %s: refusing key %s (\"%s\"): %s",
			    l->addr, fp, info.name, p == NULL ?
			    "not a configured peer" :
			    "not the key of the peer dialled");
		link_close(l, CLOSE_PROTOCOL, "unknown key");
		return -1;
	}
	l->peer = p;
	admit_hello(l, &info);
	memcpy(l->peer_epoch, info.epoch, sizeof(l->peer_epoch));
	memcpy(l->initiator_fp, l->outbound ? netctx->fp : info.fp,
	    NC_SHA256_LEN);
	if (hs_make_key(l->hs, &key, &keylen, err, sizeof(err)) == -1) {
		link_close(l, CLOSE_PROTOCOL, err);
		return -1;
	}
	if (outbuf_add(&l->ob, key, keylen) == -1)
		fatalx("%s: write", __func__);
	l->bytes_out += keylen;
	l->state = LINK_KEY;
	return 0;
}

static int
handle_key(struct link *l, const uint8_t *rec, size_t len)
{
	struct kh_unwrap_req	 req;
	const uint8_t		*blob;
	size_t			 bloblen;
	char			 err[256];

	if (hs_recv_key(l->hs, rec, len, &req, &blob, &bloblen, err,
	    sizeof(err)) == -1) {
		link_close(l, CLOSE_PROTOCOL, err);
		return -1;
	}
	req.id = l->id;
	l->state = LINK_UNWRAP;
	return admit_unwrap(l, &req, blob, bloblen);
}

void
link_unwrapped(struct link *l, const uint8_t u[NC_SHA256_LEN])
{
	const uint8_t	*fin;
	size_t		 finlen;
	char		 err[256];

	if (l->state != LINK_UNWRAP)
		return;		/* closed meanwhile */
	l->unwrap = UNWRAP_NONE;
	if (hs_unwrapped(l->hs, u, &fin, &finlen, err, sizeof(err)) == -1) {
		link_close(l, CLOSE_PROTOCOL, err);
		return;
	}
	if (outbuf_add(&l->ob, fin, finlen) == -1)
		fatalx("%s: write", __func__);
	l->bytes_out += finlen;
	l->state = LINK_FINISHED;
	/* Records may have arrived meanwhile: look at them next. */
	inbuf_again(&l->ib);
}

static int
handle_finished(struct link *l, const uint8_t *rec, size_t len)
{
	char	err[256];

	if (hs_recv_finished(l->hs, rec, len, err, sizeof(err)) == -1) {
		log_warnx("link %s (%s): handshake failed: %s", l->addr,
		    l->peer->name, err);
		link_close(l, CLOSE_PROTOCOL, "FINISHED did not verify");
		return -1;
	}
	link_is_up(l);
	return l->state == LINK_UP ? 0 : -1;
}

/*
 * The accepting side refused us for load and says when to come back;
 * unauthenticated, so it can only make us wait within the bounds of
 * WIRE_BUSY_RETRY_MIN..MAX instead of our own backoff.
 */
static void
busy_retry(struct link *l, const uint8_t *rec)
{
	uint32_t	ms = (uint32_t)rec[5] << 24 | (uint32_t)rec[6] << 16 |
			    (uint32_t)rec[7] << 8 | rec[8];

	if (ms < WIRE_BUSY_RETRY_MIN)
		ms = WIRE_BUSY_RETRY_MIN;
	if (ms > WIRE_BUSY_RETRY_MAX)
		ms = WIRE_BUSY_RETRY_MAX;
	log_info("link %s%s%s: the peer is busy; next attempt in about %u ms",
	    l->addr, l->peer ? " to " : "", l->peer ? l->peer->name : "",
	    (unsigned)ms);
	if (l->outbound && l->peer != NULL)
		net_peer_busy(l->peer, ms);
}

void
link_handle_busy(struct link *l, const uint8_t *rec)
{
	if (rec[4] != REC_BUSY) {
		link_close(l, CLOSE_PROTOCOL, "record length out of range");
		return;
	}
	busy_retry(l, rec);
	link_close(l, CLOSE_NORMAL, "the peer is busy");
}

/*
 * A dial that broke before it was up: the accepting side may have said
 * BUSY just before it closed, and the end, or the error of a write that
 * crossed it, is reported before that record is handled (and a link that
 * waits for its own key-holder reads nothing).  Look for it in what is
 * left: only the HELLO and the KEY can stand before it.
 */
void
link_find_busy(struct link *l)
{
	struct evbuffer	*in = bufferevent_get_input(l->bev);
	const uint8_t	*p;
	size_t		 have, off = 0;
	uint32_t	 len;

	(void)inbuf_fill(&l->ib);
	if ((have = evbuffer_get_length(in)) > WIRE_PLAIN_MAX * 2)
		have = WIRE_PLAIN_MAX * 2;
	if (have == 0 || (p = evbuffer_pullup(in, (ev_ssize_t)have)) == NULL)
		return;
	while (off + WIRE_BUSY_LEN <= have) {
		len = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
		    (uint32_t)p[off + 2] << 8 | p[off + 3];
		if (len == WIRE_BUSY_LEN - REC_HDR && p[off + 4] == REC_BUSY) {
			busy_retry(l, p + off);
			return;
		}
		if (len == 0 || len > WIRE_PLAIN_MAX)
			return;
		off += REC_HDR + len;
	}
}

int
link_handshaking(const struct link *l)
{
	return l->state == LINK_HELLO || l->state == LINK_KEY ||
	    l->state == LINK_FINISHED;
}

/* A plaintext record in a handshake state; see link_priv.h. */
int
link_hs_record(struct link *l, const uint8_t *rec, size_t len)
{
	switch (l->state) {
	case LINK_HELLO:
		return handle_hello(l, rec, len);
	case LINK_KEY:
		return handle_key(l, rec, len);
	case LINK_FINISHED:
		return handle_finished(l, rec, len);
	default:
		link_close(l, CLOSE_PROTOCOL, "unexpected data");
		return -1;
	}
}
