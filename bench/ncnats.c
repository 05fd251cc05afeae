/*
 * ncload's NATS modes: a client of NATS's text protocol (INFO, CONNECT,
 * PING/PONG, SUB, PUB, MSG; request/reply through a reply subject), so
 * that bench/run measures nats-server as it measures the other tools.
 *
 *	nats-sink PORT N	receivers rx0..rxN-1, one connection each,
 *				count what arrives on bench.d.I; receiver I
 *				answers a request on bench.count.I with its
 *				counts and the process's CPU time ("messages
 *				bytes microseconds"); one more connection
 *				answers bench.echo with the payload it got
 *	nats-msgs PORT S R N	S connections publish N 64-byte messages
 *				each, sender I to receiver I % R, waiting for
 *				nothing (NATS's fire-and-forget)
 *	nats-bulk PORT BYTES	the same with 64 KiB messages, one sender
 *	nats-ping PORT N	64-byte requests to bench.echo; the time
 *				until each answer
 *
 * A throughput figure is what the receivers counted, over the time from
 * the first message sent to the answer of the last count request.  The
 * counts are asked only once every sender has had the PONG of a PING
 * sent after its last message (the server it talks to has handled them
 * all), and messages of one connection stay in order through both
 * servers and the link, so each receiver answers after everything sent
 * to it that was not lost; what was lost is printed as "lost N", and
 * the share of a core that the publishers and the receivers used as
 * "senders_cpu_pct" and "receivers_cpu_pct".
 * Publishers buffer their PUBs as NATS's client libraries do (nats.go:
 * 32 KiB, written when full or when nothing more is queued).  Every wait
 * has a deadline; only loopback is used.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncload.h"
#include "ncnats.h"

/* One publishing connection of nats-msgs and nats-bulk. */
struct npub {
	struct nconn	 c;
	uint8_t		*rec;			/* one whole PUB */
	size_t		 reclen;
	long		 todo;
	long		 pong_at;		/* after the last PUB: its PONG */
	int		 done;
};

static char	inbox[64];	/* this process's reply subjects: inbox.SEQ */

static int
starts(const void *p, size_t n, const char *w)
{
	size_t	wl = strlen(w);

	return n >= wl && memcmp(p, w, wl) == 0;
}

static int
equals(const void *p, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(p, w, n) == 0;
}

/* Decimal digits only, at most max; -1 otherwise. */
long long
nats_num(const char *p, size_t n, long long max)
{
	long long	v = 0;
	size_t		i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Splits at blanks into at most max tokens; their count, -1 if more. */
static int
nats_args(const char *p, size_t n, const char **tok, size_t *tlen, int max)
{
	size_t	i = 0, s;
	int	k = 0;

	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		if (k == max)
			return -1;
		for (s = i; i < n && p[i] != ' ' && p[i] != '\t'; i++)
			;
		tok[k] = p + s;
		tlen[k++] = i - s;
	}
	return k;
}

/*
 * "MSG subject sid [reply] size" of ll bytes at p, left bytes held in
 * all: hands the message over once it is whole; the bytes used, 0 if
 * it is not whole yet.
 */
static size_t
nats_msg(struct nconn *c, const uint8_t *p, size_t ll, size_t left)
{
	const char	*tok[4];
	size_t		 tlen[4], need;
	struct nmsg	 m;
	long long	 len;
	int		 k;

	k = nats_args((const char *)p + 4, ll - 4, tok, tlen, 4);
	if (k != 3 && k != 4)
		die("bad MSG line: %.*s", (int)(ll < 80 ? ll : 80), p);
	if ((len = nats_num(tok[k - 1], tlen[k - 1], NATS_PAYLOAD_MAX)) < 0)
		die("MSG payload size not in 0..%d", NATS_PAYLOAD_MAX);
	need = ll + 2 + (size_t)len + 2;
	if (left < need)
		return 0;
	if (p[need - 2] != '\r' || p[need - 1] != '\n')
		die("MSG payload not followed by CR LF");
	m.subj = tok[0];
	m.slen = tlen[0];
	m.reply = k == 4 ? tok[2] : NULL;
	m.rlen = k == 4 ? tlen[2] : 0;
	m.data = p + ll + 2;
	m.len = (size_t)len;
	c->on_msg(c, &m);
	return need;
}

static void
nats_control(struct nconn *c, const uint8_t *p, size_t ll)
{
	if (equals(p, ll, "PING"))
		c->owed_pongs++;
	else if (equals(p, ll, "PONG"))
		c->pongs++;
	else if (starts(p, ll, "INFO "))
		c->infos++;
	else if (equals(p, ll, "+OK"))
		return;
	else if (starts(p, ll, "-ERR"))
		die("nats-server: %.*s", (int)(ll < 200 ? ll : 200), p);
	else
		die("unexpected from nats-server: %.*s",
		    (int)(ll < 80 ? ll : 80), p);
}

/* Handles every whole line and message held; keeps the rest. */
static void
nats_parse(struct nconn *c)
{
	const uint8_t	*p, *nl;
	size_t		 off = 0, left, ll, used;

	while (off < c->inlen) {
		p = c->in + off;
		left = c->inlen - off;
		if ((nl = memchr(p, '\n', left)) == NULL) {
			if (left > NATS_LINE_MAX)
				die("a line from nats-server over %d bytes",
				    NATS_LINE_MAX);
			break;
		}
		ll = (size_t)(nl - p);
		if (ll == 0 || p[ll - 1] != '\r' || ll > NATS_LINE_MAX)
			die("bad line from nats-server");
		ll--;
		if (starts(p, ll, "MSG ")) {
			if ((used = nats_msg(c, p, ll, left)) == 0)
				break;
			off += used;
			continue;
		}
		nats_control(c, p, ll);
		off += ll + 2;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

/* One read, and what it completes handled. */
void
nats_read(struct nconn *c)
{
	ssize_t	n;

	/* A whole message and line fit, so the buffer is never full here. */
	if (c->inlen >= NATS_INCAP)
		die("input buffer full");
	n = read(c->fd, c->in + c->inlen, NATS_INCAP - c->inlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("read from nats-server: %s", strerror(errno));
	}
	if (n == 0)
		die("nats-server closed the connection");
	c->inlen += (size_t)n;
	nats_parse(c);
}

/* On a blocking socket with nothing half written. */
void
nats_pay_pongs(struct nconn *c)
{
	for (; c->owed_pongs > 0; c->owed_pongs--)
		write_all(c->fd, "PONG\r\n", 6);
}

/* Reads until *what reaches target: 1, or 0 after secs. */
int
nats_wait(struct nconn *c, const long *what, long target, double secs)
{
	struct pollfd	pfd;
	double		end = now_s() + secs, left;

	while (*what < target) {
		if ((left = end - now_s()) <= 0)
			return 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) == -1 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd.revents != 0)
			nats_read(c);
		nats_pay_pongs(c);
	}
	return 1;
}

/* PING, then its PONG: the server has handled all sent before. */
void
nats_sync(struct nconn *c)
{
	write_all(c->fd, "PING\r\n", 6);
	if (!nats_wait(c, &c->pongs, c->pongs + 1, 10))
		die("no PONG from nats-server in 10 s");
}

void
nats_dial(struct nconn *c, int port, const char *name,
    void (*on_msg)(struct nconn *, const struct nmsg *))
{
	char	buf[256];
	int	n;

	memset(c, 0, sizeof(*c));
	c->on_msg = on_msg;
	if ((c->in = malloc(NATS_INCAP)) == NULL)
		die("no memory");
	c->fd = tcp_connect(port);
	if (!nats_wait(c, &c->infos, 1, 10))
		die("no INFO from nats-server on port %d in 10 s", port);
	n = snprintf(buf, sizeof(buf), "CONNECT {\"verbose\":false,"
	    "\"pedantic\":false,\"name\":\"ncload %s\",\"lang\":\"c\","
	    "\"version\":\"%s\",\"protocol\":1}\r\n", name, PACKAGE_VERSION);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die("CONNECT too long");
	write_all(c->fd, buf, (size_t)n);
	nats_sync(c);
}

void
nats_hang_up(struct nconn *c)
{
	close_reset(c->fd);
	free(c->in);
	free(c->out);
	free(c->ans);
}

/* PUB subject [reply] len, the payload; written at once (blocking). */
void
nats_pub(struct nconn *c, const char *subj, size_t slen, const char *reply,
    size_t rlen, const void *data, size_t len)
{
	static uint8_t	buf[2 * NATS_LINE_MAX + NATS_PAYLOAD_MAX];
	int		n;

	if (slen + rlen > NATS_LINE_MAX || len > NATS_PAYLOAD_MAX)
		die("PUB too long");
	n = snprintf((char *)buf, 2 * NATS_LINE_MAX, "PUB %.*s%s%.*s %zu\r\n",
	    (int)slen, subj, reply != NULL ? " " : "", (int)rlen,
	    reply != NULL ? reply : "", len);
	if (n < 0 || n >= 2 * NATS_LINE_MAX)
		die("PUB line too long");
	if (len > 0)
		memcpy(buf + n, data, len);
	memcpy(buf + (size_t)n + len, "\r\n", 2);
	write_all(c->fd, buf, (size_t)n + len + 2);
}

/* ---- requests --------------------------------------------------------- */

/* A requester's MSG: the answer to one of the requests awaited. */
static void
on_answer(struct nconn *c, const struct nmsg *m)
{
	struct nanswer	*a;
	const char	*tok[3];
	size_t		 tlen[3], pl = strlen(inbox);
	long long	 seq;

	if (m->slen <= pl + 1 || memcmp(m->subj, inbox, pl) != 0 ||
	    m->subj[pl] != '.' || (seq = nats_num(m->subj + pl + 1,
	    m->slen - pl - 1, LLONG_MAX / 2)) < 0)
		die("unexpected message on %.*s", (int)m->slen, m->subj);
	if (c->ans == NULL || seq < c->ans_lo || seq >= c->ans_lo + c->ans_n)
		return;		/* a late answer to an earlier try */
	a = &c->ans[seq - c->ans_lo];
	if (a->have)
		return;
	a->have = 1;
	a->len = m->len;
	a->t.msgs = a->t.bytes = a->t.cpu_us = -1;
	if (nats_args((const char *)m->data, m->len, tok, tlen, 3) == 3) {
		a->t.msgs = nats_num(tok[0], tlen[0], LLONG_MAX / 2);
		a->t.bytes = nats_num(tok[1], tlen[1], LLONG_MAX / 2);
		a->t.cpu_us = nats_num(tok[2], tlen[2], LLONG_MAX / 2);
	}
	c->answered++;
}

/* Subscribes c to this process's reply subjects. */
static void
nats_requester(struct nconn *c)
{
	char	sub[128];
	int	n;

	(void)snprintf(inbox, sizeof(inbox), "_INBOX.ncload%ld",
	    (long)getpid());
	if ((c->ans = calloc(NATS_CONN_MAX, sizeof(*c->ans))) == NULL)
		die("no memory");
	n = snprintf(sub, sizeof(sub), "SUB %s.* 1\r\n", inbox);
	write_all(c->fd, sub, (size_t)n);
	nats_sync(c);
}

/* The next n reply subjects, awaited from now on; the first one's number. */
static long
nats_expect(struct nconn *c, long n)
{
	c->ans_lo = c->next_seq;
	c->ans_n = n;
	c->next_seq += n;
	c->answered = 0;
	memset(c->ans, 0, (size_t)n * sizeof(*c->ans));
	return c->ans_lo;
}

static void
nats_request(struct nconn *c, const char *subj, long seq, const void *data,
    size_t len)
{
	char	reply[96];
	int	n;

	n = snprintf(reply, sizeof(reply), "%s.%ld", inbox, seq);
	nats_pub(c, subj, strlen(subj), reply, (size_t)n, data, len);
}

/*
 * The counts of receivers 0..nrx-1, summed: one request each, all at
 * once.  0 if not all answered within secs.
 */
static int
ask_counts(struct nconn *c, int nrx, double secs, struct ntally *sum)
{
	const struct ntally	*t;
	char			 subj[64];
	long			 lo = nats_expect(c, nrx);
	int			 j;

	for (j = 0; j < nrx; j++) {
		(void)snprintf(subj, sizeof(subj), "bench.count.%d", j);
		nats_request(c, subj, lo + j, NULL, 0);
	}
	if (!nats_wait(c, &c->answered, nrx, secs))
		return 0;
	memset(sum, 0, sizeof(*sum));
	for (j = 0; j < nrx; j++) {
		t = &c->ans[j].t;
		if (t->msgs < 0 || t->bytes < 0 || t->cpu_us < 0)
			die("receiver %d: a count that is not one", j);
		sum->msgs += t->msgs;
		sum->bytes += t->bytes;
		/* One process: the last answer has its latest time. */
		if (t->cpu_us > sum->cpu_us)
			sum->cpu_us = t->cpu_us;
	}
	return 1;
}

/*
 * The first requests may go nowhere: a subscription reaches the other
 * server over the leaf link a little after its SUB.  Ten seconds of
 * tries, 100 ms each.
 */
static void
ask_counts_first(struct nconn *c, int nrx, struct ntally *sum)
{
	int	try;

	for (try = 0; try < 100; try++)
		if (ask_counts(c, nrx, 0.1, sum))
			return;
	die("the receivers did not answer in 10 s");
}

/* This process's CPU time, user and system. */
static long long
own_cpu_us(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		die("getrusage: %s", strerror(errno));
	return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* ---- the receivers ------------------------------------------------------ */

static void
on_sink(struct nconn *c, const struct nmsg *m)
{
	char	text[64];
	int	n;

	if (m->reply != NULL && starts(m->subj, m->slen, "bench.count.")) {
		n = snprintf(text, sizeof(text), "%lld %lld %lld", c->msgs,
		    c->bytes, own_cpu_us());
		nats_pub(c, m->reply, m->rlen, NULL, 0, text, (size_t)n);
	} else if (m->reply != NULL && equals(m->subj, m->slen, "bench.echo"))
		nats_pub(c, m->reply, m->rlen, NULL, 0, m->data, m->len);
	else {
		c->msgs++;
		c->bytes += (long long)m->len;
	}
}

static int
nats_sink(int port, int nrx)
{
	static struct nconn	c[NATS_CONN_MAX + 1];
	struct epoll_event	ready[64];
	char			sub[128];
	int			i, j, n = nrx + 1, ep, nready, len;

	/* epoll: a wakeup costs what is ready, not all the receivers. */
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		nats_dial(&c[i], port, i < nrx ? "receiver" : "echo", on_sink);
		if (i < nrx)
			len = snprintf(sub, sizeof(sub), "SUB bench.d.%d 1\r\n"
			    "SUB bench.count.%d 2\r\n", i, i);
		else
			len = snprintf(sub, sizeof(sub), "SUB bench.echo 1\r\n");
		write_all(c[i].fd, sub, (size_t)len);
		nats_sync(&c[i]);
		watch_fd(ep, c[i].fd, i);
	}
	printf("ready\n");
	fflush(stdout);
	while (!stopping()) {
		nready = wait_ready(ep, ready, 64);
		for (j = 0; j < nready; j++) {
			i = (int)ready[j].data.u32;
			nats_read(&c[i]);
			nats_pay_pongs(&c[i]);
		}
	}
	for (i = 0; i < n; i++)
		nats_hang_up(&c[i]);
	(void)close(ep);
	return 0;
}

/* ---- the publishers --------------------------------------------------- */

static void
pub_open(struct npub *x, int port, int to, long count, size_t len)
{
	char	hdr[64];
	int	n;

	nats_dial(&x->c, port, "sender", on_answer);
	n = snprintf(hdr, sizeof(hdr), "PUB bench.d.%d %zu\r\n", to, len);
	x->reclen = (size_t)n + len + 2;
	x->c.outcap = x->reclen > NATS_OUTBUF ? x->reclen : NATS_OUTBUF;
	if ((x->rec = malloc(x->reclen)) == NULL ||
	    (x->c.out = malloc(x->c.outcap)) == NULL)
		die("no memory");
	memcpy(x->rec, hdr, (size_t)n);
	memset(x->rec + n, 'm', len);
	memcpy(x->rec + (size_t)n + len, "\r\n", 2);
	x->todo = count;
}

static void
set_blocking(int fd, int on)
{
	int	fl = fcntl(fd, F_GETFL);

	(void)fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* An emptied buffer gets PONGs owed, PUBs, and after the last a PING. */
static void
pub_fill(struct npub *x)
{
	struct nconn	*c = &x->c;

	c->outoff = c->outlen = 0;
	for (; c->owed_pongs > 0 && c->outlen + 6 <= c->outcap;
	    c->owed_pongs--, c->outlen += 6)
		memcpy(c->out + c->outlen, "PONG\r\n", 6);
	for (; x->todo > 0 && c->outlen + x->reclen <= c->outcap; x->todo--,
	    c->outlen += x->reclen)
		memcpy(c->out + c->outlen, x->rec, x->reclen);
	if (x->todo == 0 && x->pong_at == 0 && c->outlen + 6 <= c->outcap) {
		memcpy(c->out + c->outlen, "PING\r\n", 6);
		c->outlen += 6;
		x->pong_at = c->pongs + 1;
	}
}

/* Writes until the socket is full or nothing is left to send. */
static void
pub_write(struct npub *x)
{
	struct nconn	*c = &x->c;
	ssize_t		 w;

	for (;;) {
		if (c->outoff == c->outlen) {
			pub_fill(x);
			if (c->outlen == 0)
				return;
		}
		w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("write to nats-server: %s", strerror(errno));
		}
		c->outoff += (size_t)w;
	}
}

static int
pub_wants_out(const struct npub *x)
{
	const struct nconn	*c = &x->c;

	return c->outoff < c->outlen || x->todo > 0 || x->pong_at == 0 ||
	    c->owed_pongs > 0;
}

/* Every sender's messages, until each has the PONG after its last. */
static void
pub_all(struct npub *x, int nsend)
{
	static struct pollfd	pfd[NATS_CONN_MAX];
	double			t0 = now_s();
	int			i, active = nsend;

	while (active > 0) {
		if (now_s() - t0 > 300)
			die("senders not done in 300 s");
		for (i = 0; i < nsend; i++) {
			pfd[i].fd = x[i].done ? -1 : x[i].c.fd;
			pfd[i].events = POLLIN |
			    (pub_wants_out(&x[i]) ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)nsend, 1000) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < nsend; i++) {
			if (x[i].done || pfd[i].revents == 0)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				nats_read(&x[i].c);
			if ((pfd[i].revents & POLLOUT) || x[i].c.owed_pongs > 0)
				pub_write(&x[i]);
			if (x[i].pong_at > 0 && x[i].c.pongs >= x[i].pong_at) {
				x[i].done = 1;
				active--;
			}
		}
	}
}

/*
 * Besides the figure: how much of its core the load generator used
 * (publishers, receivers), which shows whether it could be what bounds
 * the figure.
 */
static void
print_load(const struct ntally *t0, const struct ntally *t1, double t,
    long long me_us, long long sent, size_t len)
{
	long long	got = t1->msgs - t0->msgs;

	if (got > sent || t1->bytes - t0->bytes > sent * (long long)len)
		die("the receivers counted more than was sent: another "
		    "publisher?");
	if (len == MSG_LEN)
		printf("msgs_per_s %.0f\n", (double)got / t);
	else
		printf("bulk_mbs %.1f\n", (double)(t1->bytes - t0->bytes) / t /
		    1e6);
	printf("lost %lld\n", sent - got);
	printf("senders_cpu_pct %.0f\n", (double)me_us / 1e4 / t);
	printf("receivers_cpu_pct %.0f\n",
	    (double)(t1->cpu_us - t0->cpu_us) / 1e4 / t);
}

static int
nats_load(int port, int nsend, int nrx, long count, size_t len)
{
	static struct npub	x[NATS_CONN_MAX];
	struct ntally		t0, t1;
	long long		cpu0;
	double			start;
	int			i, used = nsend < nrx ? nsend : nrx;

	for (i = 0; i < nsend; i++)
		pub_open(&x[i], port, i % nrx, count, len);
	nats_requester(&x[0].c);
	ask_counts_first(&x[0].c, used, &t0);
	for (i = 0; i < nsend; i++)
		set_blocking(x[i].c.fd, 0);
	start = now_s();
	cpu0 = own_cpu_us();
	pub_all(x, nsend);
	for (i = 0; i < nsend; i++)
		set_blocking(x[i].c.fd, 1);
	if (!ask_counts(&x[0].c, used, 60, &t1))
		die("the receivers did not answer in 60 s");
	print_load(&t0, &t1, now_s() - start, own_cpu_us() - cpu0,
	    (long long)nsend * count, len);
	for (i = 0; i < nsend; i++) {
		nats_hang_up(&x[i].c);
		free(x[i].rec);
	}
	return 0;
}

/* ---- round trips -------------------------------------------------------- */

static int
ask_echo(struct nconn *c, const uint8_t *msg, double secs)
{
	long	seq = nats_expect(c, 1);

	nats_request(c, "bench.echo", seq, msg, MSG_LEN);
	if (!nats_wait(c, &c->answered, 1, secs))
		return 0;
	if (c->ans[0].len != MSG_LEN)
		die("echo of %zu bytes", c->ans[0].len);
	return 1;
}

static int
nats_ping(int port, long count)
{
	struct nconn	 c;
	uint8_t		 msg[MSG_LEN];
	double		*rtt, t0;
	long		 i;
	int		 try;

	if ((rtt = calloc((size_t)count, sizeof(*rtt))) == NULL)
		die("no memory");
	memset(msg, 'p', sizeof(msg));
	nats_dial(&c, port, "ping", on_answer);
	nats_requester(&c);
	/* The echo's subscription and ours may still be crossing the link. */
	for (try = 0; try < 100 && !ask_echo(&c, msg, 0.1); try++)
		;
	if (try == 100)
		die("no echo in 10 s");
	for (i = 0; i < count; i++) {
		t0 = now_s();
		if (!ask_echo(&c, msg, 10))
			die("ping %ld: no echo in 10 s", i);
		rtt[i] = now_s() - t0;
	}
	nats_hang_up(&c);
	print_latency(rtt, count);
	free(rtt);
	return 0;
}

/* ------------------------------------------------------------------------ */

/* argv[1] is a nats- mode: its result; -1 if the arguments do not fit. */
int
nats_mode(int argc, char *argv[])
{
	const char	*m = argv[1];
	long		 bytes;
	int		 port;

	if (argc < 3)
		return -1;
	port = (int)num(argv[2], 1, 65535);
	if (strcmp(m, "nats-sink") == 0 && argc == 4)
		return nats_sink(port, (int)num(argv[3], 1, NATS_CONN_MAX));
	if (strcmp(m, "nats-msgs") == 0 && argc == 6)
		return nats_load(port, (int)num(argv[3], 1, NATS_CONN_MAX),
		    (int)num(argv[4], 1, NATS_CONN_MAX),
		    num(argv[5], 1, NATS_COUNT_MAX), MSG_LEN);
	if (strcmp(m, "nats-bulk") == 0 && argc == 4) {
		bytes = num(argv[3], 1, NATS_COUNT_MAX * (long)NATS_BULK);
		return nats_load(port, 1, 1,
		    (bytes + NATS_BULK - 1) / NATS_BULK, NATS_BULK);
	}
	if (strcmp(m, "nats-ping") == 0 && argc == 4)
		return nats_ping(port, num(argv[3], 1, PING_MAX));
	return -1;
}
