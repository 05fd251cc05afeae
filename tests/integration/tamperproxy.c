/*
 * tamperproxy: a TCP forwarder on loopback that damages the first
 * connection it carries, for the integration tests of the peer link.
 *
 *	tamperproxy -l LPORT -c CPORT [-T seconds] [-m MODE] [-n N]
 *
 * Listens on 127.0.0.1:LPORT; each accepted connection is forwarded to
 * 127.0.0.1:CPORT, both ways.  Only the client-to-server direction of
 * the first connection is tampered with, by MODE:
 *	none		forward untouched (the default)
 *	flip		XOR 0x01 into the byte at stream offset N
 *	replay		after record N (0-based; u32 big-endian len | len
 *			bytes), send record N again
 *	truncate	forward N bytes, then close both sides
 * Later connections are always forwarded untouched, so a link that was
 * broken can come back.
 *
 * Prints "ready" on stdout once listening, one line per event on
 * stderr, and exits after -T seconds (default 60) whatever happens.
 * A test tool: not installed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAXCONN		16		/* at once; more are refused */
#define BUFSZ		(256 * 1024)	/* per direction */
#define REPLAY_MAX	(4 + 128 * 1024) /* largest record we can replay */
#define MAXACCEPT	8		/* accepts per poll round */
#define POLL_MS		1000
#define RD_EV		(POLLIN | POLLHUP | POLLERR)
#define WR_EV		(POLLOUT | POLLHUP | POLLERR)

enum mode { MODE_NONE, MODE_FLIP, MODE_REPLAY, MODE_TRUNCATE };

/* A byte queue: data at b[off .. off + len). */
struct bq {
	uint8_t		*b;
	size_t		 off;
	size_t		 len;
};

struct conn {
	int		 num;		/* 1-based, in order of accept */
	int		 cfd;		/* client; -1: slot free */
	int		 sfd;		/* server */
	int		 connecting;
	int		 tamper;	/* the first connection */
	int		 tampered;	/* done, or given up */
	int		 closing;	/* truncate: close once drained */
	int		 c_eof, s_eof;	/* read EOF from client, server */
	int		 c_shut, s_shut; /* SHUT_WR sent to client, server */
	struct bq	 up;		/* client -> server */
	struct bq	 down;		/* server -> client */
	uint64_t	 upin;		/* bytes read from the client */
	uint64_t	 nup, ndown;	/* bytes written */
	/* replay: the record framing of the upstream */
	uint8_t		 hdr[4];
	size_t		 hdrgot;
	uint64_t	 recleft;	/* body bytes left in this record */
	uint64_t	 recno;
	int		 capture;	/* copying record N into rbuf */
	uint8_t		*rbuf;
	size_t		 rlen;
};

static struct conn	 conns[MAXCONN];
static enum mode	 mode = MODE_NONE;
static uint64_t		 tamper_n;
static int		 cport;
static int		 nconns;	/* accepted so far */

static void	ev(const char *, ...) __attribute__((format(printf, 1, 2)));
static void	usage(void) __attribute__((noreturn));

static void
ev(const char *fmt, ...)
{
	va_list	ap;

	fputs("tamperproxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void
usage(void)
{
	fprintf(stderr, "usage: tamperproxy -l lport -c cport [-T seconds] "
	    "[-m none|flip|replay|truncate] [-n N]\n");
	exit(2);
}

static size_t
bq_room(const struct bq *q)
{
	return BUFSZ - q->len;
}

/* The caller made sure there is room. */
static void
bq_put(struct bq *q, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (n > bq_room(q)) {
		ev("internal error: buffer overrun");
		abort();
	}
	if (q->off + q->len + n > BUFSZ) {
		memmove(q->b, q->b + q->off, q->len);
		q->off = 0;
	}
	memcpy(q->b + q->off + q->len, p, n);
	q->len += n;
}

static void
bq_drop(struct bq *q, size_t n)
{
	q->off += n;
	q->len -= n;
	if (q->len == 0)
		q->off = 0;
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

static void
conn_close(struct conn *c, const char *why)
{
	if (c->tamper && !c->tampered && mode != MODE_NONE)
		ev("connection %d: tamper point not reached", c->num);
	ev("connection %d: closed (%s; %llu bytes up, %llu bytes down)",
	    c->num, why, (unsigned long long)c->nup,
	    (unsigned long long)c->ndown);
	if (c->cfd != -1)
		close(c->cfd);
	if (c->sfd != -1)
		close(c->sfd);
	free(c->up.b);
	free(c->down.b);
	free(c->rbuf);
	memset(c, 0, sizeof(*c));
	c->cfd = c->sfd = -1;
}

static struct conn *
conn_slot(void)
{
	int	i;

	for (i = 0; i < MAXCONN; i++)
		if (conns[i].cfd == -1)
			return &conns[i];
	return NULL;
}

/* Start the connection to the server; 0, or -1 (logged). */
static int
conn_dial(struct conn *c)
{
	struct sockaddr_in	sin = loopback(cport);

	c->sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->sfd == -1) {
		ev("connection %d: socket: %s", c->num, strerror(errno));
		return -1;
	}
	if (connect(c->sfd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		ev("connection %d: connect to 127.0.0.1:%d: %s", c->num,
		    cport, strerror(errno));
		return -1;
	}
	c->connecting = 1;
	return 0;
}

static void
do_accept(int lfd)
{
	struct conn	*c;
	int		 fd, i;

	for (i = 0; i < MAXACCEPT; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				ev("accept: %s", strerror(errno));
			return;
		}
		nconns++;
		if ((c = conn_slot()) == NULL) {
			ev("connection %d: refused, too many", nconns);
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->num = nconns;
		c->cfd = fd;
		c->sfd = -1;
		c->tamper = nconns == 1 && mode != MODE_NONE;
		c->up.b = malloc(BUFSZ);
		c->down.b = malloc(BUFSZ);
		if (c->tamper && mode == MODE_REPLAY)
			c->rbuf = malloc(REPLAY_MAX);
		ev("connection %d: accepted%s", c->num,
		    c->tamper ? ", tampering" : "");
		if (c->up.b == NULL || c->down.b == NULL ||
		    (c->tamper && mode == MODE_REPLAY && c->rbuf == NULL)) {
			conn_close(c, "out of memory");
			continue;
		}
		if (conn_dial(c) == -1) {
			conn_close(c, "no server");
			continue;
		}
		/* truncate 0: forward nothing at all. */
		if (c->tamper && mode == MODE_TRUNCATE && tamper_n == 0) {
			c->closing = 1;
			c->tampered = 1;
			ev("connection %d: truncated after 0 bytes", c->num);
		}
	}
}

/* replay: forward p[0..n), repeating record N right after it ends. */
static void
filter_replay(struct conn *c, const uint8_t *p, size_t n)
{
	size_t	i = 0, k;

	while (i < n && !c->tampered) {
		if (c->hdrgot < 4) {
			k = 4 - c->hdrgot;
			if (k > n - i)
				k = n - i;
			memcpy(c->hdr + c->hdrgot, p + i, k);
			c->hdrgot += k;
			i += k;
			if (c->hdrgot < 4)
				break;
			c->recleft = ((uint64_t)c->hdr[0] << 24) |
			    ((uint64_t)c->hdr[1] << 16) |
			    ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
			if (c->recno == tamper_n) {
				if (4 + c->recleft > REPLAY_MAX) {
					ev("connection %d: record %llu too "
					    "long to replay (%llu bytes)",
					    c->num,
					    (unsigned long long)c->recno,
					    (unsigned long long)c->recleft);
					c->tampered = 1;
					break;
				}
				c->capture = 1;
				memcpy(c->rbuf, c->hdr, 4);
				c->rlen = 4;
			}
		} else {
			k = c->recleft < n - i ? (size_t)c->recleft : n - i;
			if (c->capture) {
				memcpy(c->rbuf + c->rlen, p + i, k);
				c->rlen += k;
			}
			c->recleft -= k;
			i += k;
		}
		if (c->hdrgot == 4 && c->recleft == 0) {
			/* Record complete: it goes out, then its copy. */
			bq_put(&c->up, p, i);
			p += i;
			n -= i;
			i = 0;
			if (c->capture) {
				bq_put(&c->up, c->rbuf, c->rlen);
				ev("connection %d: replayed record %llu "
				    "(%zu bytes)", c->num,
				    (unsigned long long)c->recno, c->rlen);
				c->capture = 0;
				c->tampered = 1;
			}
			c->hdrgot = 0;
			c->recno++;
		}
	}
	bq_put(&c->up, p, n);
}

/* Bytes read from the client go through here into c->up. */
static void
filter_up(struct conn *c, uint8_t *p, size_t n)
{
	uint64_t	off = c->upin;

	c->upin += n;
	if (!c->tamper || c->tampered) {
		bq_put(&c->up, p, n);
		return;
	}
	switch (mode) {
	case MODE_FLIP:
		if (tamper_n >= off && tamper_n - off < n) {
			p[tamper_n - off] ^= 0x01;
			c->tampered = 1;
			ev("connection %d: flipped byte %llu", c->num,
			    (unsigned long long)tamper_n);
		}
		bq_put(&c->up, p, n);
		break;
	case MODE_REPLAY:
		filter_replay(c, p, n);
		break;
	case MODE_TRUNCATE:
		/* off < tamper_n: at tamper_n we stop reading. */
		if (n >= tamper_n - off) {
			n = (size_t)(tamper_n - off);
			c->closing = 1;
			c->tampered = 1;
			ev("connection %d: truncated after %llu bytes", c->num,
			    (unsigned long long)tamper_n);
		}
		bq_put(&c->up, p, n);
		break;
	case MODE_NONE:
		bq_put(&c->up, p, n);
		break;
	}
}

/* Room to read from the client, keeping space for a replayed record. */
static size_t
up_room(const struct conn *c)
{
	size_t	room = bq_room(&c->up);

	if (c->tamper && !c->tampered && mode == MODE_REPLAY)
		return room > REPLAY_MAX ? room - REPLAY_MAX : 0;
	return room;
}

/* One read from the client; 0, or -1 when the connection is to go. */
static int
read_client(struct conn *c)
{
	static uint8_t	buf[BUFSZ];
	size_t		room = up_room(c);
	ssize_t		n;

	if (room > sizeof(buf))
		room = sizeof(buf);
	n = recv(c->cfd, buf, room, 0);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		ev("connection %d: read from client: %s", c->num,
		    strerror(errno));
		return -1;
	}
	if (n == 0) {
		ev("connection %d: EOF from client", c->num);
		c->c_eof = 1;
		return 0;
	}
	filter_up(c, buf, (size_t)n);
	return 0;
}

static int
read_server(struct conn *c)
{
	struct bq	*q = &c->down;
	ssize_t		 n;

	if (q->off + q->len == BUFSZ) {
		memmove(q->b, q->b + q->off, q->len);
		q->off = 0;
	}
	n = recv(c->sfd, q->b + q->off + q->len, BUFSZ - q->off - q->len, 0);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		ev("connection %d: read from server: %s", c->num,
		    strerror(errno));
		return -1;
	}
	if (n == 0) {
		ev("connection %d: EOF from server", c->num);
		c->s_eof = 1;
		return 0;
	}
	q->len += (size_t)n;
	return 0;
}

/* One write of q to fd; 0, or -1 when the connection is to go. */
static int
flush(struct conn *c, int fd, struct bq *q, uint64_t *count,
    const char *who)
{
	ssize_t	n;

	if (q->len == 0)
		return 0;
	n = send(fd, q->b + q->off, q->len, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		ev("connection %d: write to %s: %s", c->num, who,
		    strerror(errno));
		return -1;
	}
	bq_drop(q, (size_t)n);
	*count += (uint64_t)n;
	return 0;
}

/* The connect to the server finished, one way or the other. */
static int
connected(struct conn *c)
{
	int		err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		ev("connection %d: connect to 127.0.0.1:%d: %s", c->num,
		    cport, strerror(err));
		return -1;
	}
	c->connecting = 0;
	ev("connection %d: connected to 127.0.0.1:%d", c->num, cport);
	return 0;
}

static void
set_events(const struct conn *c, struct pollfd *pc, struct pollfd *ps)
{
	pc->fd = c->cfd;
	ps->fd = c->sfd;
	pc->events = ps->events = 0;
	pc->revents = ps->revents = 0;
	if (c->connecting) {
		ps->events = POLLOUT;
		pc->fd = -1;
		return;
	}
	if (!c->c_eof && !c->closing && up_room(c) > 0)
		pc->events |= POLLIN;
	if (c->down.len > 0)
		pc->events |= POLLOUT;
	if (!c->s_eof && !c->closing && bq_room(&c->down) > 0)
		ps->events |= POLLIN;
	if (c->up.len > 0)
		ps->events |= POLLOUT;
	/* Ignored by poll(2), so a finished side cannot spin on POLLHUP. */
	if (pc->events == 0)
		pc->fd = -1;
	if (ps->events == 0)
		ps->fd = -1;
}

/* After I/O: half-close what is finished; 1 when all is done. */
static int
conn_settle(struct conn *c)
{
	if (c->closing && c->up.len == 0)
		return 1;
	if (c->c_eof && c->up.len == 0 && !c->s_shut) {
		shutdown(c->sfd, SHUT_WR);
		c->s_shut = 1;
	}
	if (c->s_eof && c->down.len == 0 && !c->c_shut) {
		shutdown(c->cfd, SHUT_WR);
		c->c_shut = 1;
	}
	return c->s_shut && c->c_shut;
}

/* Act on one connection's poll results; 0, or -1 with *why. */
static int
conn_io(struct conn *c, const struct pollfd *pc, const struct pollfd *ps,
    const char **why)
{
	*why = "error";
	if (c->connecting) {
		if (ps->revents != 0 && connected(c) == -1) {
			*why = "no server";
			return -1;
		}
		return 0;
	}
	/* POLLHUP and POLLERR surface as EOF or an error of the call. */
	if ((pc->events & POLLIN) && (pc->revents & RD_EV) &&
	    read_client(c) == -1)
		return -1;
	if ((ps->events & POLLOUT) && (ps->revents & WR_EV) &&
	    flush(c, c->sfd, &c->up, &c->nup, "server") == -1)
		return -1;
	if ((ps->events & POLLIN) && (ps->revents & RD_EV) &&
	    read_server(c) == -1)
		return -1;
	if ((pc->events & POLLOUT) && (pc->revents & WR_EV) &&
	    flush(c, c->cfd, &c->down, &c->ndown, "client") == -1)
		return -1;
	if (c->closing && c->up.len == 0) {
		*why = "truncated";
		return -1;
	}
	if (conn_settle(c)) {
		*why = "both sides done";
		return -1;
	}
	return 0;
}

static int
listen_on(int port)
{
	struct sockaddr_in	sin = loopback(port);
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		perror("tamperproxy: socket");
		exit(1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1
	    || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1) {
		fprintf(stderr, "tamperproxy: listen on 127.0.0.1:%d: %s\n",
		    port, strerror(errno));
		exit(1);
	}
	return fd;
}

static long long
num_arg(const char *s, long long min, long long max, const char *what)
{
	const char	*errstr;
	long long	 v;

	if (nc_strtonum(s, min, max, &v, &errstr) == -1) {
		fprintf(stderr, "tamperproxy: %s %s: %s\n", what, s, errstr);
		exit(2);
	}
	return v;
}

static enum mode
mode_arg(const char *s)
{
	if (strcmp(s, "none") == 0)
		return MODE_NONE;
	if (strcmp(s, "flip") == 0)
		return MODE_FLIP;
	if (strcmp(s, "replay") == 0)
		return MODE_REPLAY;
	if (strcmp(s, "truncate") == 0)
		return MODE_TRUNCATE;
	fprintf(stderr, "tamperproxy: unknown mode %s\n", s);
	usage();
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd[1 + 2 * MAXCONN];
	const char	*why;
	uint64_t	 deadline, t;
	long long	 secs = 60;
	int		 ch, lport = 0, lfd, i, timeout;

	while ((ch = getopt(argc, argv, "c:l:m:n:T:")) != -1) {
		switch (ch) {
		case 'c':
			cport = (int)num_arg(optarg, 1, 65535, "port");
			break;
		case 'l':
			lport = (int)num_arg(optarg, 1, 65535, "port");
			break;
		case 'm':
			mode = mode_arg(optarg);
			break;
		case 'n':
			tamper_n = (uint64_t)num_arg(optarg, 0,
			    1LL << 40, "offset");
			break;
		case 'T':
			secs = num_arg(optarg, 1, 86400, "time");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || lport == 0 || cport == 0)
		usage();

	signal(SIGPIPE, SIG_IGN);
	/* A backstop, should the loop below ever overrun its deadline. */
	alarm((unsigned int)secs + 5);
	for (i = 0; i < MAXCONN; i++)
		conns[i].cfd = conns[i].sfd = -1;
	lfd = listen_on(lport);
	printf("ready\n");
	fflush(stdout);

	deadline = now_ms() + (uint64_t)secs * 1000;
	while ((t = now_ms()) < deadline) {
		timeout = deadline - t < POLL_MS ? (int)(deadline - t) :
		    POLL_MS;
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (i = 0; i < MAXCONN; i++) {
			if (conns[i].cfd == -1) {
				pfd[1 + 2 * i].fd = pfd[2 + 2 * i].fd = -1;
				pfd[1 + 2 * i].revents = 0;
				pfd[2 + 2 * i].revents = 0;
				continue;
			}
			set_events(&conns[i], &pfd[1 + 2 * i],
			    &pfd[2 + 2 * i]);
		}
		if (poll(pfd, 1 + 2 * MAXCONN, timeout) == -1) {
			if (errno == EINTR)
				continue;
			perror("tamperproxy: poll");
			exit(1);
		}
		for (i = 0; i < MAXCONN; i++) {
			if (conns[i].cfd == -1)
				continue;
			if (conn_io(&conns[i], &pfd[1 + 2 * i],
			    &pfd[2 + 2 * i], &why) == -1)
				conn_close(&conns[i], why);
		}
		if (pfd[0].revents & POLLIN)
			do_accept(lfd);
	}
	ev("time limit reached, exiting");
	for (i = 0; i < MAXCONN; i++)
		if (conns[i].cfd != -1)
			conn_close(&conns[i], "time limit");
	close(lfd);
	return 0;
}
