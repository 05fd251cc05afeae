/*
 * One peer link: a TCP connection from its first byte to its close.
 * This file has its life: creation, reading and framing records (each
 * handed to linkhs.c before UP, to linkio.c after), the timer
 * (handshake timeout, keepalive), closing and freeing.
 *
 * A link never frees itself in the middle of a callback: closing marks
 * it LINK_CLOSING and the free happens from the event loop (write
 * drained, or a short timer), so no caller is left holding a dangling
 * pointer.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "admit.h"
#include "buf.h"
#include "handshake.h"
#include "inbuf.h"
#include "link_priv.h"
#include "log.h"
#include "network.h"
#include "outbuf.h"
#include "socks5.h"
#include "util.h"
#include "wire.h"

#define LINK_CLOSE_GRACE	2	/* seconds to flush a CLOSE */
#define LINK_READ_HIGH		(256 * 1024)	/* bytes buffered per link */
#define LINK_OUT_LOW		(256 * 1024)	/* feed it again */
#define LINK_IO_MAX		(256 * 1024)	/* bytes per write */

static void	link_write_cb(struct bufferevent *, void *);
static void	link_event_cb(struct bufferevent *, short, void *);
static void	link_timer_cb(int, short, void *);
static int	link_input(void *);
static void	link_input_error(void *, short);

const char *
link_state_name(enum link_state s)
{
	switch (s) {
	case LINK_CONNECTING:
	case LINK_SOCKS:
		return "connecting";
	case LINK_HELLO:
	case LINK_KEY:
	case LINK_UNWRAP:
	case LINK_FINISHED:
		return "handshaking";
	case LINK_UP:
		return "up";
	case LINK_CLOSING:
		return "closing";
	}
	return "unknown";
}

static void
format_addr(struct link *l)
{
	char	host[INET6_ADDRSTRLEN] = "?";
	int	port = 0;

	if (l->ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l->ss;
		(void)inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		l->loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
		(void)snprintf(l->addr, sizeof(l->addr), "%s:%d", host, port);
	} else if (l->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l->ss;
		(void)inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		l->loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		(void)snprintf(l->addr, sizeof(l->addr), "[%s]:%d", host,
		    port);
	} else
		(void)snprintf(l->addr, sizeof(l->addr), "?");
}

/*
 * Lines about inbound handshakes that have not proven anything: anyone
 * who can connect causes them, so at most a few a second are written.
 */
int
link_log_ok(const struct link *l)
{
	static struct log_rate	lines;

	if (l->outbound || l->proven || l->was_up)
		return 1;
	return log_rate_ok(&lines, 10, "inbound handshakes");
}

void
link_arm_timer(struct link *l, int seconds)
{
	struct timeval	tv = { seconds, 0 };

	if (evtimer_add(l->ev_timer, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

/*
 * A handshake that got past the TCP connect (and the proxy) and never
 * completed.
 */
static void
count_failure(struct link *l)
{
	if (l->was_up || l->failed_counted || l->state == LINK_CONNECTING ||
	    l->state == LINK_SOCKS)
		return;
	l->failed_counted = 1;
	netctx->handshakes_failed++;
}

/* What every link has; see link_priv.h. */
struct link *
link_alloc(int fd, int outbound, struct peer *peer, const struct sockaddr *sa,
    socklen_t salen)
{
	struct link	*l;
	int		 on = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	l->id = ++netctx->next_link_id;
	l->outbound = outbound;
	l->peer = peer;
	if (salen > sizeof(l->ss))
		salen = sizeof(l->ss);
	memcpy(&l->ss, sa, salen);
	l->sslen = salen;
	format_addr(l);
	monotime(&l->since);
	l->last_rx = l->last_tx = l->since;
	/* Small records carry latency-sensitive traffic: no Nagle delay. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	l->bev = bufferevent_socket_new(netctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	l->ev_timer = evtimer_new(netctx->base, link_timer_cb, l);
	l->ev_ack = evtimer_new(netctx->base, link_ack_cb, l);
	l->ev_hold = evtimer_new(netctx->base, link_hold_cb, l);
	l->ev_kick = event_new(netctx->base, -1, 0, link_kick_cb, l);
	if (l->bev == NULL || l->ev_timer == NULL || l->ev_ack == NULL ||
	    l->ev_hold == NULL || l->ev_kick == NULL)
		fatalx("%s: out of memory", __func__);
	outbuf_init(&l->ob, netctx->base, l->bev, link_drained, l);
	inbuf_init(&l->ib, netctx->base, l->bev, LINK_READ_HIGH, link_input,
	    link_input_error, l);
	bufferevent_setcb(l->bev, NULL, link_write_cb, link_event_cb, l);
	bufferevent_setwatermark(l->bev, EV_WRITE, LINK_OUT_LOW, 0);
	/*
	 * libevent writes 16 KiB at a time by default: a full record would
	 * take five system calls.
	 */
	if (bufferevent_set_max_single_write(l->bev, LINK_IO_MAX) == -1)
		fatalx("%s: bufferevent I/O size", __func__);
	TAILQ_INSERT_TAIL(&netctx->links, l, entry);
	return l;
}

struct link *
link_new(int fd, int outbound, struct peer *peer, const struct sockaddr *sa,
    socklen_t salen, const struct connect_msg *socks_dest)
{
	struct link	*l;

	l = link_alloc(fd, outbound, peer, sa, salen);
	if (outbound && socks_dest != NULL)
		link_set_socks(l, socks_dest);
	l->pending = 1;
	netctx->npending++;
	link_arm_timer(l, (int)netctx->ns.handshake_timeout);
	if (outbound) {
		l->state = LINK_CONNECTING;
		if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&l->ss,
		    (int)l->sslen) == -1) {
			log_warnx("link %s: connect failed", l->addr);
			link_close(l, CLOSE_NORMAL, "connect failed");
			return l;
		}
	} else {
		link_start_handshake(l);
		inbuf_enable(&l->ib);
		/*
		 * The dialler sends its HELLO at once: it is usually here
		 * already, and read right after this round of accepting.
		 */
		inbuf_poke(&l->ib);
	}
	if (bufferevent_enable(l->bev, EV_WRITE) == -1)
		fatalx("%s: bufferevent_enable", __func__);
	return l;
}

/*
 * A link stops counting as a pending handshake when it comes up or
 * starts closing: a closing link may linger for the close grace, and
 * must not keep a slot that a new connection needs (see accept_cb).
 */
void
link_unpend(struct link *l)
{
	admit_link_done(l);
	if (l->pending) {
		l->pending = 0;
		netctx->npending--;
	}
}

void
link_free(struct link *l)
{
	TAILQ_REMOVE(&netctx->links, l, entry);
	link_unpend(l);
	net_link_gone(l);
	if (l->hs != NULL)
		hs_free(l->hs);
	if (l->socks != NULL) {
		socks5_clear(l->socks);
		free(l->socks);
	}
	link_rekey_free(l);
	nc_aead_clear(&l->send);
	nc_aead_clear(&l->recv);
	OPENSSL_cleanse(l->resume, sizeof(l->resume));
	event_free(l->ev_timer);
	event_free(l->ev_ack);
	if (l->ev_hold != NULL)
		event_free(l->ev_hold);
	if (l->ev_kick != NULL)
		event_free(l->ev_kick);
	outbuf_clear(&l->ob);
	inbuf_clear(&l->ib);
	bufferevent_free(l->bev);
	if (l->rbuf != NULL) {
		OPENSSL_cleanse(l->rbuf, l->rbuf_dirty);
		free(l->rbuf);
	}
	free(l);
}

/* Stop reading and have the event loop free the link once flushed. */
void
link_schedule_free(struct link *l)
{
	l->state = LINK_CLOSING;
	link_unpend(l);
	inbuf_disable(&l->ib);
	evtimer_del(l->ev_ack);
	evtimer_del(l->ev_timer);
	if (l->ev_hold != NULL)
		evtimer_del(l->ev_hold);
	if (l->ev_kick != NULL)
		event_del(l->ev_kick);
	l->kick_soon = 0;
	link_rekey_stop(l);
	l->held_session = 0;
	/* The CLOSE goes now, or is left to the bufferevent to finish. */
	outbuf_flush(&l->ob);
	if (outbuf_length(&l->ob) == 0)
		event_active(l->ev_timer, EV_TIMEOUT, 0);
	else
		link_arm_timer(l, LINK_CLOSE_GRACE);
}

/*
 * Close: an authenticated CLOSE when the link is up, then the output is
 * flushed and the link freed from the event loop.  Safe to call from any
 * callback of this link.
 */
void
link_close(struct link *l, uint8_t reason, const char *why)
{
	uint8_t	body[2 + 255];
	size_t	wlen;

	if (l->state == LINK_CLOSING)
		return;
	if (link_log_ok(l))
		log_info("link %s%s%s: closing: %s", l->addr,
		    l->peer ? " to " : "", l->peer ? l->peer->name : "", why);
	if (l->state == LINK_UP) {
		wlen = strlen(why) < 255 ? strlen(why) : 255;
		body[0] = reason;
		body[1] = (uint8_t)wlen;
		memcpy(body + 2, why, wlen);
		(void)link_send(l, REC_CLOSE, body, 2 + wlen);
	} else
		count_failure(l);
	link_schedule_free(l);
}

/*
 * Refused for load before the link is up: tell the dialler when to come
 * back (BUSY, plaintext: there are no keys yet), then close.  Only the
 * side that accepted sends it; a dialler just goes.
 */
void
link_refuse(struct link *l, unsigned int retry_ms, const char *why)
{
	uint8_t	rec[WIRE_BUSY_LEN];

	if (l->state != LINK_UP && l->state != LINK_CLOSING && !l->outbound) {
		put_u32(rec, WIRE_BUSY_LEN - 4);
		rec[4] = REC_BUSY;
		put_u32(rec + 5, retry_ms);
		if (outbuf_add(&l->ob, rec, sizeof(rec)) == -1)
			fatalx("%s: write", __func__);
	}
	link_close(l, CLOSE_PROTOCOL, why);
}

/* One whole record: the handshake's or, once up, a sealed one. */
static int
handle_record(struct link *l, const uint8_t *rec, size_t len)
{
	l->records_in++;
	l->bytes_in += len;
	monotime_coarse(&l->last_rx);
	switch (l->state) {
	case LINK_HELLO:
	case LINK_KEY:
	case LINK_FINISHED:
		return link_hs_record(l, rec, len);
	case LINK_UP:
		return link_up_record(l, rec, len);
	default:
		link_close(l, CLOSE_PROTOCOL, "unexpected data");
		return -1;
	}
}

/* The records in the input, a bounded number a call (link_priv.h). */
void
link_read(struct link *l)
{
	struct evbuffer	*in = bufferevent_get_input(l->bev);
	uint8_t		 hdr[REC_HDR];
	size_t		 have, min, max;
	uint32_t	 len;
	int		 budget, rv;

	/* Waiting for a session: what came stays in the input buffer. */
	if (l->held_session != 0)
		return;
	/* Bounded per call: let other links run; re-armed below. */
	for (budget = 0; budget < 256; budget++) {
		if (l->state == LINK_UNWRAP || l->state == LINK_CLOSING ||
		    l->state == LINK_CONNECTING)
			return;
		if (l->state == LINK_SOCKS && link_socks_read(l, in) == -1)
			return;
		have = evbuffer_get_length(in);
		if (have < REC_HDR)
			return;
		(void)evbuffer_copyout(in, hdr, REC_HDR);
		len = get_u32(hdr);
		/* Shorter than any HELLO, KEY or sealed record. */
		if (len == WIRE_BUSY_LEN - REC_HDR && link_handshaking(l)) {
			if (have >= WIRE_BUSY_LEN)
				link_handle_busy(l, evbuffer_pullup(in,
				    WIRE_BUSY_LEN));
			return;
		}
		/* Plaintext before FINISHED, sealed from FINISHED on. */
		if (l->state == LINK_HELLO || l->state == LINK_KEY) {
			min = 1;
			max = WIRE_PLAIN_MAX;
		} else {
			min = 17;
			max = 1 + 65536 + 16;
		}
		if (len < min || len > max) {
			link_close(l, CLOSE_PROTOCOL, "record length out of range");
			return;
		}
		if (have < REC_HDR + (size_t)len)
			return;
		rv = handle_record(l, evbuffer_pullup(in, REC_HDR + len),
		    REC_HDR + len);
		if (rv == -1)
			return;
		(void)evbuffer_drain(in, REC_HDR + len);
		if (rv == 1)
			return;		/* held: link_resume() goes on */
	}
	/* More may be buffered: come back after other events. */
	inbuf_again(&l->ib);
}

/* inbuf.c's callbacks: a link is never freed while it reads. */
static int
link_input(void *arg)
{
	struct link	*l = arg;

	link_read(l);
	return 0;
}

static void
link_input_error(void *arg, short what)
{
	struct link	*l = arg;

	link_event_cb(l->bev, what, l);
}

static void
link_write_cb(struct bufferevent *bev, void *arg)
{
	struct link	*l = arg;

	if (l->state == LINK_UP) {
		link_drained(l);
		return;
	}
	if (l->state == LINK_CLOSING && outbuf_length(&l->ob) == 0) {
		(void)shutdown(bufferevent_getfd(bev), SHUT_WR);
		link_free(l);
	}
}

static void
link_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct link	*l = arg;

	(void)bev;
	/* Closed while connecting (a reload removed its peer, say). */
	if ((what & BEV_EVENT_CONNECTED) && l->state == LINK_CLOSING)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		log_debug("link %s (%s): connected", l->addr, l->peer->name);
		inbuf_enable(&l->ib);
		if (l->socks != NULL) {
			l->state = LINK_SOCKS;
			link_socks_send(l);		/* the greeting */
		} else
			link_start_handshake(l);
		return;
	}
	if (l->outbound && (link_handshaking(l) || l->state == LINK_UNWRAP))
		link_find_busy(l);
	/* Say why, and that nothing is tried without the proxy. */
	if (l->socks != NULL && l->state == LINK_CONNECTING)
		log_warnx("link %s (%s): cannot reach the SOCKS5 proxy: %s; "
		    "no direct connection is made", l->addr, l->peer->name,
		    (what & BEV_EVENT_EOF) ? "end of stream" : strerror(errno));
	else if (l->state == LINK_SOCKS)
		log_warnx("link %s (%s): %s during the SOCKS5 exchange",
		    l->addr, l->peer->name, (what & BEV_EVENT_EOF) ?
		    "end of stream" : strerror(errno));
	else if (l->state == LINK_UP)
		log_warnx("link %s (%s): %s without CLOSE", l->addr,
		    l->peer->name, (what & BEV_EVENT_EOF) ? "end of stream" :
		    "connection error");
	else if (l->state != LINK_CLOSING && link_log_ok(l))
		log_info("link %s%s%s: %s during %s", l->addr,
		    l->peer ? " to " : "", l->peer ? l->peer->name : "",
		    (what & BEV_EVENT_EOF) ? "end of stream" : strerror(errno),
		    link_state_name(l->state));
	count_failure(l);
	link_free(l);
}

static void
keepalive_tick(struct link *l)
{
	struct timespec	now;
	uint8_t		nonce[8];
	double		ka = netctx->ns.keepalive;

	monotime(&now);
	if (timespec_diff(&now, &l->last_rx) >= 3 * ka) {
		link_close(l, CLOSE_TIMEOUT, "no record for 3 keepalive periods");
		return;
	}
	if (timespec_diff(&now, &l->last_tx) >= ka - 0.5) {
		put_u64(nonce, (uint64_t)now.tv_nsec);
		(void)link_send(l, REC_PING, nonce, sizeof(nonce));
	}
	link_maybe_update_keys(l);
	link_arm_timer(l, (int)netctx->ns.keepalive);
}

static void
link_timer_cb(int fd, short ev, void *arg)
{
	struct link	*l = arg;

	(void)fd;
	(void)ev;
	switch (l->state) {
	case LINK_CLOSING:
		link_free(l);
		break;
	case LINK_UP:
		keepalive_tick(l);
		break;
	default:
		if (l->socks != NULL)
			log_warnx("link %s: %s in %u seconds", l->addr,
			    l->state == LINK_SOCKS ? "SOCKS5 exchange not "
			    "finished" : "SOCKS5 proxy not reached",
			    netctx->ns.handshake_timeout);
		else if (link_log_ok(l))
			log_warnx("link %s: handshake not finished in %u "
			    "seconds", l->addr, netctx->ns.handshake_timeout);
		link_close(l, CLOSE_TIMEOUT, "handshake timeout");
		break;
	}
}
