/*
 * ncload's JetStream mode: acked publishes to a stream that nats-server
 * keeps in files, the anchor of bench/run's durable suite (netcryptd's
 * spool is measured by ncspool.c).
 *
 *	js-pub PORT STREAM COUNT WINDOW [DOMAIN]
 *
 * Creates the stream STREAM (file storage, one replica, subject
 * "jsbench.STREAM") through the JetStream API, a request on
 * $JS.API.STREAM.CREATE.STREAM with its configuration in JSON; creating
 * one that exists with the same configuration is no error.  With a
 * DOMAIN the API is $JS.DOMAIN.API: how a client on a leaf server
 * without JetStream reaches the JetStream of the hub, which nats-server
 * extends over the leaf link only when the hub names its domain.  Then
 * publishes COUNT 64-byte messages to it, each with a reply subject of
 * its own, at most WINDOW not yet acknowledged: the server that stores
 * the stream answers each on its reply subject with
 * {"stream":..,"seq":..}, or with an "error" object, which ends the run.
 * Publishes are buffered and written together, as nats.go's async
 * publishing does.  Prints acked_per_s (acks over the time from the
 * first publish to the last ack), with WINDOW 1 also the time from each
 * publish to its ack (ack_median_us, ack_p99_us), and what the
 * stream then holds (stream_msgs, from $JS.API.STREAM.INFO).
 * Every wait has a deadline; only loopback is used.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncload.h"
#include "ncnats.h"

#define JS_NAME_MAX	32		/* stream name: [A-Za-z0-9_-] */
#define JS_WINDOW_MAX	10000
#define JS_COUNT_MAX	10000000L
#define JS_API_MAX	8192		/* an API answer kept for reading */
#define JS_RUN_S	300.0

/* The publisher: what was sent and acked, by the number of its reply. */
struct jspub {
	char		 inbox[64];	/* reply subjects: inbox.N, inbox.api */
	size_t		 inlen;
	long		 count, sent, acked;
	uint8_t		*got;		/* per message: acked */
	double		*sent_at, *lat;
	char		 prefix[64];	/* $JS.API or $JS.DOMAIN.API */
	char		 api[JS_API_MAX + 1];
	long		 api_answers;
	uint8_t		*out;		/* PUBs not written yet */
	size_t		 outlen, outcap;
};

static struct jspub	js;

static int
has(const uint8_t *p, size_t n, const char *w)
{
	size_t	wl = strlen(w), i;

	for (i = 0; i + wl <= n; i++)
		if (memcmp(p + i, w, wl) == 0)
			return 1;
	return 0;
}

/* The number after "key": in a JSON text, or -1. */
static long long
json_num(const char *text, const char *key)
{
	const char	*p = strstr(text, key);
	size_t		 n = 0;

	if (p == NULL)
		return -1;
	p += strlen(key);
	while (*p == ' ')
		p++;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return nats_num(p, n, JS_COUNT_MAX * 100);
}

static void
on_api(const struct nmsg *m)
{
	size_t	n = m->len < JS_API_MAX ? m->len : JS_API_MAX;

	memcpy(js.api, m->data, n);
	js.api[n] = '\0';
	js.api_answers++;
}

/* A message on our reply subjects: an API answer or a publish's ack. */
static void
on_reply(struct nconn *c, const struct nmsg *m)
{
	const char	*suffix = m->subj + js.inlen + 1;
	size_t		 slen = m->slen - js.inlen - 1;
	long long	 i;

	(void)c;
	if (m->slen <= js.inlen + 1 || memcmp(m->subj, js.inbox, js.inlen) != 0
	    || m->subj[js.inlen] != '.')
		die("unexpected message on %.*s", (int)m->slen, m->subj);
	if (slen == 3 && memcmp(suffix, "api", 3) == 0) {
		on_api(m);
		return;
	}
	if ((i = nats_num(suffix, slen, JS_COUNT_MAX)) < 0 || i >= js.sent)
		die("an ack on %.*s, never published", (int)m->slen, m->subj);
	if (has(m->data, m->len, "\"error\"") || !has(m->data, m->len, "\"seq\""))
		die("publish %lld: not stored: %.*s", i,
		    (int)(m->len < 300 ? m->len : 300), (const char *)m->data);
	if (js.got[i])
		die("publish %lld acked twice", i);
	js.got[i] = 1;
	js.lat[i] = now_s() - js.sent_at[i];
	js.acked++;
}

/* An API request; its answer in js.api, 0 if none came within secs. */
static int
js_api(struct nconn *c, const char *subj, const char *body, double secs)
{
	char	reply[80];
	long	want = js.api_answers + 1;
	int	n;

	n = snprintf(reply, sizeof(reply), "%s.api", js.inbox);
	nats_pub(c, subj, strlen(subj), reply, (size_t)n, body, strlen(body));
	return nats_wait(c, &js.api_answers, want, secs);
}

/*
 * The stream, made or found.  The first requests may go unanswered: our
 * reply subscription reaches the storing server over the leaf link a
 * little after its SUB.  Ten seconds of tries.
 */
static void
js_stream(struct nconn *c, const char *name)
{
	char	subj[96], cfg[256];
	int	try;

	(void)snprintf(subj, sizeof(subj), "%s.STREAM.CREATE.%s", js.prefix,
	    name);
	(void)snprintf(cfg, sizeof(cfg), "{\"name\":\"%s\",\"subjects\":"
	    "[\"jsbench.%s\"],\"storage\":\"file\",\"num_replicas\":1,"
	    "\"retention\":\"limits\",\"discard\":\"old\"}", name, name);
	for (try = 0; try < 100; try++)
		if (js_api(c, subj, cfg, 0.1))
			break;
	if (try == 100)
		die("no answer from the JetStream API in 10 s (is JetStream "
		    "enabled where the stream is to be kept?)");
	if (strstr(js.api, "\"error\"") != NULL &&
	    strstr(js.api, "already in use") == NULL)
		die("stream %s not created: %.300s", name, js.api);
}

/* What the stream holds, -1 if the server did not say. */
static long long
js_stream_msgs(struct nconn *c, const char *name)
{
	char	subj[96];

	(void)snprintf(subj, sizeof(subj), "%s.STREAM.INFO.%s", js.prefix, name);
	if (!js_api(c, subj, "", 10))
		return -1;
	return json_num(js.api, "\"messages\":");
}

/* Sends what was buffered, on a blocking socket. */
static void
js_flush(struct nconn *c)
{
	if (js.outlen > 0)
		write_all(c->fd, js.out, js.outlen);
	js.outlen = 0;
}

/* Publishes buffered until WINDOW are unacked or all are sent. */
static void
js_fill(const char *subj, const uint8_t *msg, long window)
{
	int	n;

	while (js.sent < js.count && js.sent - js.acked < window) {
		if (js.outcap - js.outlen < 256 + MSG_LEN)
			return;
		n = snprintf((char *)js.out + js.outlen, 256,
		    "PUB %s %s.%ld %d\r\n", subj, js.inbox, js.sent, MSG_LEN);
		if (n < 0 || n >= 256)
			die("PUB line too long");
		js.outlen += (size_t)n;
		memcpy(js.out + js.outlen, msg, MSG_LEN);
		memcpy(js.out + js.outlen + MSG_LEN, "\r\n", 2);
		js.outlen += MSG_LEN + 2;
		js.sent_at[js.sent++] = now_s();
	}
}

/* Reads what came, or waits at most ms for it. */
static void
js_take(struct nconn *c, int ms)
{
	struct pollfd	pfd;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (pfd.revents != 0)
		nats_read(c);
	nats_pay_pongs(c);
}

static void
js_alloc(long count, long window)
{
	js.count = count;
	js.outcap = (size_t)window * (256 + MSG_LEN + 2);
	if ((js.got = calloc((size_t)count, 1)) == NULL ||
	    (js.sent_at = calloc((size_t)count, sizeof(double))) == NULL ||
	    (js.lat = calloc((size_t)count, sizeof(double))) == NULL ||
	    (js.out = malloc(js.outcap)) == NULL)
		die("no memory");
}

static int
js_pub(int port, const char *name, long count, long window)
{
	struct nconn	c;
	uint8_t		msg[MSG_LEN];
	char		subj[64], sub[128];
	double		t0, t;
	long long	stored;
	int		n;

	js_alloc(count, window);
	memset(msg, 'j', sizeof(msg));
	js.inlen = (size_t)snprintf(js.inbox, sizeof(js.inbox),
	    "_INBOX.js%ld", (long)getpid());
	(void)snprintf(subj, sizeof(subj), "jsbench.%s", name);
	nats_dial(&c, port, "jetstream publisher", on_reply);
	n = snprintf(sub, sizeof(sub), "SUB %s.* 1\r\n", js.inbox);
	write_all(c.fd, sub, (size_t)n);
	nats_sync(&c);
	js_stream(&c, name);
	t0 = now_s();
	while (js.acked < count) {
		if (now_s() - t0 > JS_RUN_S || stopping())
			die("%ld of %ld publishes acked in %.0f s", js.acked,
			    count, now_s() - t0);
		js_fill(subj, msg, window);
		js_flush(&c);
		js_take(&c, 1000);
	}
	t = now_s() - t0;
	printf("acked_per_s %.0f\n", (double)count / t);
	if (window == 1)
		print_latency_as("ack", js.lat, count);
	if ((stored = js_stream_msgs(&c, name)) >= 0)
		printf("stream_msgs %lld\n", stored);
	nats_hang_up(&c);
	free(js.got);
	free(js.sent_at);
	free(js.lat);
	free(js.out);
	return 0;
}

static int
stream_name_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > JS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* argv[1] is a js- mode: its result; -1 if the arguments do not fit. */
int
js_mode(int argc, char *argv[])
{
	if (strcmp(argv[1], "js-pub") != 0 || (argc != 6 && argc != 7))
		return -1;
	if (!stream_name_ok(argv[3]) || (argc == 7 && !stream_name_ok(argv[6])))
		die("stream or domain name: 1 to %d of A-Z a-z 0-9 _ -",
		    JS_NAME_MAX);
	(void)snprintf(js.prefix, sizeof(js.prefix), argc == 7 ?
	    "$JS.%s.API" : "$JS.API", argc == 7 ? argv[6] : "");
	return js_pub((int)num(argv[2], 1, 65535), argv[3],
	    num(argv[4], 1, JS_COUNT_MAX), num(argv[5], 1, JS_WINDOW_MAX));
}
