/*
 * One peer link: a TCP connection from its first byte to its close.
 *
 * Records are framed and opened here; the handshake itself is the
 * sans-I/O object of handshake.c, message delivery the one of relay.c.
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
#include "log.h"
#include "network.h"
#include "outbuf.h"
#include "record.h"
#include "relay.h"
#include "session.h"
#include "socks5.h"
#include "util.h"
#include "wire.h"

#define LINK_CLOSE_GRACE	2	/* seconds to flush a CLOSE */
#define LINK_READ_HIGH		(256 * 1024)	/* bytes buffered per link */
#define LINK_ACK_DELAY_US	10000	/* cumulative ACK at most 10 ms late */
#define LINK_ACK_BYTES		(64 * 1024)	/* or after this much MSG data */
#define LINK_UPDATE_SECONDS	3600	/* key update at least hourly */
#define LINK_OUT_HIGH		(1024 * 1024)	/* stop feeding the link */
#define LINK_OUT_LOW		(256 * 1024)	/* feed it again */
#define LINK_IO_MAX		(256 * 1024)	/* bytes per write */
#define LINK_RBUF_LEN		NC_REC_MAXBODY	/* an opened record body */
#define REC_HDR			4
#define REC_SEALED_MAX		(REC_HDR + 1 + 65536 + 16)

static void	link_read_cb(struct bufferevent *, void *);
static void	link_write_cb(struct bufferevent *, void *);
static void	link_event_cb(struct bufferevent *, short, void *);
static void	link_timer_cb(int, short, void *);
static void	link_ack_cb(int, short, void *);
static void	link_hold_cb(int, short, void *);
static int	link_input(void *);
static void	link_input_error(void *, short);
static int	handle_msg(struct link *, const uint8_t *, size_t);
static void	link_drained(void *);
static int	link_send2(struct link *, uint8_t type, const uint8_t *b1,
		    size_t l1, const uint8_t *b2, size_t l2);

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
static int
hs_log_ok(const struct link *l)
{
	static struct log_rate	lines;

	if (l->outbound || l->proven || l->was_up)
		return 1;
	return log_rate_ok(&lines, 10, "inbound handshakes");
}

static void
arm_timer(struct link *l, int seconds)
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

static void
start_handshake(struct link *l)
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
static void
set_socks(struct link *l, const struct connect_msg *dest)
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
static void
socks_send(struct link *l)
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
static int
socks_read(struct link *l, struct evbuffer *in)
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
		socks_send(l);
		return -1;
	case SOCKS5_DONE:
		log_debug("link %s (%s): SOCKS5 tunnel open", l->addr,
		    l->peer->name);
		socks5_clear(l->socks);
		free(l->socks);
		l->socks = NULL;
		start_handshake(l);
		return 0;
	case SOCKS5_ERROR:
		break;
	}
	log_warnx("link %s (%s): SOCKS5 proxy: %s", l->addr, l->peer->name,
	    socks5_error(l->socks));
	link_close(l, CLOSE_NORMAL, "SOCKS5 exchange failed");
	return -1;
}

struct link *
link_new(int fd, int outbound, struct peer *peer, const struct sockaddr *sa,
    socklen_t salen, const struct connect_msg *socks_dest)
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
	if (outbound && socks_dest != NULL)
		set_socks(l, socks_dest);
	monotime(&l->since);
	l->last_rx = l->last_tx = l->since;
	/* Small records carry latency-sensitive traffic: no Nagle delay. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	l->bev = bufferevent_socket_new(netctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	l->ev_timer = evtimer_new(netctx->base, link_timer_cb, l);
	l->ev_ack = evtimer_new(netctx->base, link_ack_cb, l);
	l->ev_hold = evtimer_new(netctx->base, link_hold_cb, l);
	if (l->bev == NULL || l->ev_timer == NULL || l->ev_ack == NULL ||
	    l->ev_hold == NULL)
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
	l->pending = 1;
	netctx->npending++;
	arm_timer(l, (int)netctx->ns.handshake_timeout);
	if (outbound) {
		l->state = LINK_CONNECTING;
		if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&l->ss,
		    (int)l->sslen) == -1) {
			log_warnx("link %s: connect failed", l->addr);
			link_close(l, CLOSE_NORMAL, "connect failed");
			return l;
		}
	} else {
		start_handshake(l);
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
static void
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
	net_link_gone(l, l->was_up);
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
static void
schedule_free(struct link *l)
{
	l->state = LINK_CLOSING;
	link_unpend(l);
	inbuf_disable(&l->ib);
	evtimer_del(l->ev_ack);
	evtimer_del(l->ev_timer);
	if (l->ev_hold != NULL)
		evtimer_del(l->ev_hold);
	link_rekey_stop(l);
	l->held_session = 0;
	/* The CLOSE goes now, or is left to the bufferevent to finish. */
	outbuf_flush(&l->ob);
	if (outbuf_length(&l->ob) == 0)
		event_active(l->ev_timer, EV_TIMEOUT, 0);
	else
		arm_timer(l, LINK_CLOSE_GRACE);
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
	if (hs_log_ok(l))
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
	schedule_free(l);
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

/* Seal one record into the output buffer, without a copy. */
int
link_send(struct link *l, uint8_t type, const uint8_t *body, size_t len)
{
	return link_send2(l, type, body, len, NULL, 0);
}

/* The same with the body in two parts (a MSG's head and its payload). */
static int
link_send2(struct link *l, uint8_t type, const uint8_t *b1, size_t l1,
    const uint8_t *b2, size_t l2)
{
	struct evbuffer		*out = outbuf_queue(&l->ob);
	struct evbuffer_iovec	 vec;
	size_t			 reclen;

	if (evbuffer_reserve_space(out,
	    (ev_ssize_t)(REC_HDR + 1 + l1 + l2 + 16), &vec, 1) != 1)
		return -1;
	if (nc_record_seal2(&l->send, type, b1, l1, b2, l2, vec.iov_base,
	    vec.iov_len, &reclen) == -1)
		fatalx("%s: cannot seal a record", __func__);
	vec.iov_len = reclen;
	if (evbuffer_commit_space(out, &vec, 1) == -1)
		return -1;
	l->bytes_out += reclen;
	l->records_out++;
	monotime(&l->last_tx);
	return 0;
}

/* Key update on the sending side when a limit is reached. */
static void
maybe_update_keys(struct link *l)
{
	struct timespec	now;
	uint64_t	limit = netctx->ns.test_keyupdate_records;
	int		due;

	monotime(&now);
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

/* Send what the peer's queue has for the wire, up to the high mark. */
void
link_kick(struct link *l)
{
	const struct relay_msg	*m;
	uint8_t			 head[RELAY_MSG_HEAD_MAX];
	size_t			 len;

	if (l->state != LINK_UP)
		return;
	while (!link_output_full(l) &&
	    (m = relay_out_next(&l->peer->out)) != NULL) {
		/* The payload is sealed from the queue, not copied first. */
		if (relay_encode_msg_head(m, head, sizeof(head), &len) == -1)
			fatalx("%s: cannot encode a message", __func__);
		if (link_send2(l, REC_MSG, head, len, m->payload,
		    m->len) == -1) {
			link_close(l, CLOSE_PROTOCOL, "output failed");
			return;
		}
		maybe_update_keys(l);
		link_rekey_check(l);
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

static void
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
link_hold(struct link *l, uint64_t session, size_t len)
{
	struct timeval	tv = { 0, SESSION_HOLD_MS * 1000 };

	l->held_session = session;
	l->held_len = len;
	(void)evtimer_add(l->ev_hold, &tv);
	return 1;
}

/* Deliver the held MSG again, then the records read behind it. */
void
link_resume(struct link *l)
{
	if (l->held_session == 0)
		return;
	l->held_session = 0;
	evtimer_del(l->ev_hold);
	if (l->state != LINK_UP || handle_msg(l, l->rbuf, l->held_len) != 0)
		return;
	inbuf_again(&l->ib);
}

static void
link_hold_cb(int fd, short ev, void *arg)
{
	struct link	*l = arg;

	(void)fd;
	(void)ev;
	session_hold_expired(l->held_session);
	link_resume(l);
}

/* 0, 1: held (link_hold()), or -1: the link is closing. */
static int
handle_msg(struct link *l, const uint8_t *body, size_t len)
{
	struct relay_view	v;
	uint8_t			nak[RELAY_NAK_LEN];
	uint8_t			status;
	uint64_t		session;

	if (relay_in_parse_msg(body, len, &v) == -1) {
		link_close(l, CLOSE_PROTOCOL, "malformed MSG");
		return -1;
	}
	if ((session = session_hold_for(&v)) != 0)
		return link_hold(l, session, len);
	if (relay_in_accept(&l->peer->in, v.id) == RELAY_NEW) {
		/* A large payload may take rbuf with it (session.c). */
		status = session_deliver_remote(l->peer, &v, &l->rbuf);
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
		return link_send(l, REC_PONG, body, len);
	case REC_PONG:
		return len == 8 ? 0 : (link_close(l, CLOSE_PROTOCOL,
		    "bad PONG"), -1);
	case REC_MSG:
		return handle_msg(l, body, len);
	case REC_ACK:
	case REC_NAK:
		return handle_ack_nak(l, type, body, len);
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
		schedule_free(l);	/* no CLOSE back, nothing after it */
		return -1;
	default:
		link_close(l, CLOSE_PROTOCOL, "unexpected record type");
		return -1;
	}
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
	monotime(&l->since);
	l->last_update = l->since;
	evtimer_del(l->ev_timer);
	arm_timer(l, (int)netctx->ns.keepalive);
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
		if (info.spkilen != 0 && hs_log_ok(l) &&
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
		if (hs_log_ok(l))
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

static void
handle_busy(struct link *l, const uint8_t *rec)
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
static void
find_busy(struct link *l)
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

static int
handshaking(const struct link *l)
{
	return l->state == LINK_HELLO || l->state == LINK_KEY ||
	    l->state == LINK_FINISHED;
}

static int
handle_record(struct link *l, const uint8_t *rec, size_t len)
{
	uint8_t	type;
	size_t	bodylen;
	int	rv;

	l->records_in++;
	l->bytes_in += len;
	monotime(&l->last_rx);
	switch (l->state) {
	case LINK_HELLO:
		return handle_hello(l, rec, len);
	case LINK_KEY:
		return handle_key(l, rec, len);
	case LINK_FINISHED:
		return handle_finished(l, rec, len);
	case LINK_UP:
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
		rv = handle_up_record(l, type, l->rbuf, bodylen);
		if (rv == 0)
			link_rekey_check(l);	/* the bytes received count */
		return rv;
	default:
		link_close(l, CLOSE_PROTOCOL, "unexpected data");
		return -1;
	}
}

static void
link_read_cb(struct bufferevent *bev, void *arg)
{
	struct link	*l = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
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
		if (l->state == LINK_SOCKS && socks_read(l, in) == -1)
			return;
		have = evbuffer_get_length(in);
		if (have < REC_HDR)
			return;
		(void)evbuffer_copyout(in, hdr, REC_HDR);
		len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
		    ((uint32_t)hdr[2] << 8) | hdr[3];
		/* Shorter than any HELLO, KEY or sealed record. */
		if (len == WIRE_BUSY_LEN - REC_HDR && handshaking(l)) {
			if (have >= WIRE_BUSY_LEN)
				handle_busy(l, evbuffer_pullup(in,
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

	link_read_cb(l->bev, l);
	return 0;
}

static void
link_input_error(void *arg, short what)
{
	struct link	*l = arg;

	link_event_cb(l->bev, what, l);
}

/* Under the low mark: more from the queue, then from sessions. */
static void
link_drained(void *arg)
{
	struct link	*l = arg;

	if (l->state != LINK_UP)
		return;
	link_kick(l);
	if (l->state == LINK_UP && !link_output_full(l))
		net_link_writable(l);
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
			socks_send(l);		/* the greeting */
		} else
			start_handshake(l);
		return;
	}
	if (l->outbound && (handshaking(l) || l->state == LINK_UNWRAP))
		find_busy(l);
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
	else if (l->state != LINK_CLOSING && hs_log_ok(l))
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
	maybe_update_keys(l);
	arm_timer(l, (int)netctx->ns.keepalive);
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
		else if (hs_log_ok(l))
			log_warnx("link %s: handshake not finished in %u "
			    "seconds", l->addr, netctx->ns.handshake_timeout);
		link_close(l, CLOSE_TIMEOUT, "handshake timeout");
		break;
	}
}
