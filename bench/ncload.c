/*
 * ncload: the load generator of bench/run.
 *
 * The same measurements over plain TCP (for raw loopback, socat,
 * stunnel4 and spiped, which all carry a TCP stream) and over
 * libnetcrypt sessions (for netcryptd), so that every tool is driven by
 * the same code.  Every figure goes to stdout as one "key value" line;
 * bench/run collects them.  Every loop is bounded by a count and by a
 * deadline; only loopback addresses are used.
 *
 * TCP: "tcp-server PORT" answers connections whose first byte says what
 * to do: 'S' sink (read to EOF, then send the byte count as u64) or 'E'
 * echo.  The clients connect to 127.0.0.1:PORT (the first relay).
 * netcryptd: "nc-server SOCK N" attaches sessions rx0..rxN-1 (counting
 * sinks) and "echo" (sends every message back to its sender).  NATS: the
 * same over nats-server's client protocol (ncnats.c).
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/resource.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "netcrypt.h"
#include "ncload.h"
#include "ncnats.h"

#include "conf.h"
#include "crypto.h"
#include "handshake.h"
#include "ipc.h"
#include "wire.h"

#define MAX_CONN	12000
#define BULK_CHUNK	(256 * 1024)

static volatile sig_atomic_t	stop;


_Noreturn void
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "ncload: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
stopping(void)
{
	return stop != 0;
}

double
now_s(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long
num(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		die("bad number %s (%ld..%ld)", s, min, max);
	return v;
}

void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Watches fd for reading in epoll set ep; idx comes back in its events. */
void
watch_fd(int ep, int fd, int idx)
{
	struct epoll_event	ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.u32 = (uint32_t)idx;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee) == -1)
		die("epoll_ctl: %s", strerror(errno));
}

/* At most max ready events, after a second at most; 0 on a signal. */
int
wait_ready(int ep, struct epoll_event *ready, int max)
{
	int	n;

	if ((n = epoll_wait(ep, ready, max, 1000)) == -1) {
		if (errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		n = 0;
	}
	return n;
}

/* ---- TCP ------------------------------------------------------------- */

static void
nodelay(int fd)
{
	int	on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

int
tcp_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect to port %d: %s", port, strerror(errno));
	nodelay(fd);
	return fd;
}

void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		b += w;
		n -= (size_t)w;
	}
}

/* 0 on EOF before n bytes. */
static int
read_all(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("read: %s", strerror(errno));
		}
		if (r == 0)
			return 0;
		b += r;
		n -= (size_t)r;
	}
	return 1;
}

struct tconn {
	int		fd;
	char		mode;		/* 0 until the first byte */
	uint64_t	count;
};

static void
tconn_close(struct pollfd *pfd, struct tconn *c)
{
	(void)close(c->fd);
	c->fd = -1;
	pfd->fd = -1;
}

/* One readable server connection; big reads. */
static void
tconn_read(struct pollfd *pfd, struct tconn *c, uint8_t *buf, size_t bufsz)
{
	uint8_t		cnt[8];
	ssize_t		n;
	size_t		off = 0;
	int		i;

	n = read(c->fd, buf, bufsz);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->mode == 'S') {
			for (i = 0; i < 8; i++)
				cnt[i] = (uint8_t)(c->count >> (56 - 8 * i));
			write_all(c->fd, cnt, sizeof(cnt));
		}
		tconn_close(pfd, c);
		return;
	}
	if (c->mode == 0) {
		c->mode = (char)buf[0];
		off = 1;
		if (c->mode != 'S' && c->mode != 'E') {
			tconn_close(pfd, c);
			return;
		}
	}
	if (c->mode == 'S')
		c->count += (uint64_t)n - off;
	else if ((size_t)n > off)
		write_all(c->fd, buf + off, (size_t)n - off);
}

static int
tcp_server(int port)
{
	static struct pollfd	pfd[MAX_CONN + 1];
	static struct tconn	conn[MAX_CONN + 1];
	static uint8_t		buf[BULK_CHUNK];
	struct sockaddr_in	sin;
	int			lfd, on = 1, fd, i, nfds = 1, fl;

	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 1024) == -1)
		die("listen on port %d: %s", port, strerror(errno));
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (i = 1; i <= MAX_CONN; i++)
		pfd[i].fd = conn[i].fd = -1;
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (poll(pfd, (nfds_t)nfds, 1000) == -1) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[0].revents & POLLIN) {
			if ((fd = accept(lfd, NULL, NULL)) == -1)
				continue;
			for (i = 1; i <= MAX_CONN && conn[i].fd != -1; i++)
				;
			if (i > MAX_CONN) {
				(void)close(fd);
				continue;
			}
			nodelay(fd);
			fl = fcntl(fd, F_GETFL);
			(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
			conn[i].fd = fd;
			conn[i].mode = 0;
			conn[i].count = 0;
			pfd[i].fd = fd;
			pfd[i].events = POLLIN;
			if (i + 1 > nfds)
				nfds = i + 1;
		}
		for (i = 1; i < nfds; i++)
			if (pfd[i].fd != -1 && pfd[i].revents != 0)
				tconn_read(&pfd[i], &conn[i], buf,
				    sizeof(buf));
	}
	return 0;
}

static uint64_t
read_count(int fd)
{
	uint8_t		cnt[8];
	uint64_t	v = 0;
	int		i;

	if (!read_all(fd, cnt, sizeof(cnt)))
		die("no byte count from the server");
	for (i = 0; i < 8; i++)
		v = v << 8 | cnt[i];
	return v;
}

static int
tcp_bulk(int port, long long bytes)
{
	static uint8_t	buf[BULK_CHUNK];
	long long	left = bytes;
	uint64_t	got;
	double		t0, t;
	size_t		n;
	int		fd;

	memset(buf, 'x', sizeof(buf));
	fd = tcp_connect(port);
	t0 = now_s();
	write_all(fd, "S", 1);
	while (left > 0) {
		n = left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left;
		write_all(fd, buf, n);
		left -= (long long)n;
	}
	(void)shutdown(fd, SHUT_WR);
	got = read_count(fd);
	t = now_s() - t0;
	(void)close(fd);
	if (got != (uint64_t)bytes)
		die("server counted %llu of %lld bytes",
		    (unsigned long long)got, bytes);
	printf("bulk_mbs %.1f\n", (double)bytes / t / 1e6);
	return 0;
}

/* n senders, count 64-byte writes each, then the server's counts. */
static int
tcp_msgs(int port, int nsend, long count)
{
	static int	fds[1000];
	static long	left[1000];
	static size_t	off[1000];
	struct pollfd	pfd[1000];
	ssize_t		w;
	uint8_t		msg[MSG_LEN];
	uint64_t	got = 0;
	double		t0, t;
	int		i, active, fl;

	memset(msg, 'm', sizeof(msg));
	for (i = 0; i < nsend; i++) {
		fds[i] = tcp_connect(port);
		write_all(fds[i], "S", 1);
		fl = fcntl(fds[i], F_GETFL);
		(void)fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
		left[i] = count;
	}
	t0 = now_s();
	for (active = nsend; active > 0 && now_s() - t0 < 120;) {
		for (i = 0; i < nsend; i++) {
			pfd[i].fd = left[i] > 0 ? fds[i] : -1;
			pfd[i].events = POLLOUT;
		}
		if (poll(pfd, (nfds_t)nsend, 1000) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < nsend; i++) {
			if (left[i] == 0 || !(pfd[i].revents & POLLOUT))
				continue;
			/*
			 * One write per message, as a program would; a
			 * short one is finished before the next message.
			 */
			while (left[i] > 0 && (w = write(fds[i],
			    msg + off[i], sizeof(msg) - off[i])) > 0) {
				off[i] += (size_t)w;
				if (off[i] == sizeof(msg)) {
					off[i] = 0;
					left[i]--;
				}
			}
			if (left[i] == 0) {
				(void)shutdown(fds[i], SHUT_WR);
				active--;
			}
		}
	}
	for (i = 0; i < nsend; i++) {
		fl = fcntl(fds[i], F_GETFL);
		(void)fcntl(fds[i], F_SETFL, fl & ~O_NONBLOCK);
		got += read_count(fds[i]);
		(void)close(fds[i]);
	}
	t = now_s() - t0;
	if (got != (uint64_t)nsend * (uint64_t)count * MSG_LEN)
		die("server counted %llu bytes, sent %llu",
		    (unsigned long long)got,
		    (unsigned long long)nsend * (uint64_t)count * MSG_LEN);
	printf("msgs_per_s %.0f\n", (double)nsend * (double)count / t);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts t[0..n-1] (seconds); prints WHAT_median_us and WHAT_p99_us. */
void
print_latency_as(const char *what, double *t, long n)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
	printf("%s_median_us %.1f\n", what, t[n / 2] * 1e6);
	printf("%s_p99_us %.1f\n", what, t[(n * 99) / 100] * 1e6);
}

void
print_latency(double *rtt, long n)
{
	print_latency_as("rtt", rtt, n);
}

static int
tcp_ping(int port, long count)
{
	double		*rtt, t0;
	uint8_t		 msg[MSG_LEN], back[MSG_LEN];
	long		 i;
	int		 fd;

	if ((rtt = calloc((size_t)count, sizeof(*rtt))) == NULL)
		die("no memory");
	memset(msg, 'p', sizeof(msg));
	fd = tcp_connect(port);
	write_all(fd, "E", 1);
	for (i = 0; i < count; i++) {
		t0 = now_s();
		write_all(fd, msg, sizeof(msg));
		if (!read_all(fd, back, sizeof(back)))
			die("echo closed");
		rtt[i] = now_s() - t0;
	}
	(void)close(fd);
	print_latency(rtt, count);
	free(rtt);
	return 0;
}

/*
 * Close with a reset: no TIME_WAIT left behind.  Thousands of those on
 * ephemeral ports would make binds of other programs on this machine
 * fail (tests pick random ports there) for a minute after the run.
 */
void
close_reset(int fd)
{
	struct linger	l = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	(void)close(fd);
}

/*
 * New connections through the relays, one byte echoed on each; at most
 * MAX_NEW of them, since each relay hop still leaves a TIME_WAIT.
 */
#define MAX_NEW		1000

static int
tcp_conns(int port, double seconds)
{
	double		t0 = now_s();
	long		n = 0;
	uint8_t		b;
	int		fd;

	while (now_s() - t0 < seconds && n < MAX_NEW) {
		fd = tcp_connect(port);
		write_all(fd, "Ex", 2);
		if (!read_all(fd, &b, 1))
			die("echo closed");
		close_reset(fd);
		n++;
	}
	printf("conns_per_s %.1f\n", (double)n / (now_s() - t0));
	return 0;
}

/* ---- libnetcrypt ------------------------------------------------------ */

static struct nc_session *
nc_attach(const char *sock, const char *name)
{
	struct nc_session	*s;
	char			 err[256];
	int			 r;

	if ((r = nc_open(&s, sock, name, err, sizeof(err))) != NC_OK)
		die("attach %s: %s", name, r == -1 ? err : nc_status_str(r));
	return s;
}

static int
nc_server(const char *sock, int nrx)
{
	static struct nc_session	*s[1001];
	struct epoll_event		 ready[64];
	struct nc_event			 ev;
	char				 name[32];
	int				 i, j, n = nrx + 1, r, ep, nready;

	/* epoll: a wakeup costs what is ready, not all the sessions. */
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		if (i < nrx)
			(void)snprintf(name, sizeof(name), "rx%d", i);
		else
			(void)snprintf(name, sizeof(name), "echo");
		s[i] = nc_attach(sock, name);
		watch_fd(ep, nc_fd(s[i]), i);
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		nready = wait_ready(ep, ready, 64);
		for (j = 0; j < nready; j++) {
			i = (int)ready[j].data.u32;
			while ((r = nc_next(s[i], &ev, 0)) == 1)
				if (i == nrx && ev.type == NC_EV_MESSAGE &&
				    nc_send(s[i], ev.from, ev.data, ev.len, 0,
				    NULL) != NC_OK)
					die("echo failed");
				else if (i == nrx && ev.type == NC_EV_RECEIPT)
					fprintf(stderr, "ncload: an echo "
					    "failed: %s\n",
					    nc_status_str(ev.status));
			if (r == -1)
				die("session %d: %s", i, strerror(errno));
		}
	}
	for (i = 0; i < n; i++)
		nc_close(s[i]);
	(void)close(ep);
	return 0;
}

/*
 * Messages with receipts from nsend sessions, at most window unanswered
 * each, until every one got an ok receipt (a busy one is sent again).
 * A window goes out with nc_send_more() and one nc_flush(): a write per
 * 32 KiB, not per message, as a program sending a burst would do.
 */
struct sender {
	struct nc_session	*s;
	char			 to[80];
	long			 todo;		/* not yet sent */
	long			 inflight;
	long			 done;		/* ok receipts */
	long			 failed;
	int			 unwritten;	/* the socket was full */
};

/* The receipts that came, waiting at most timeout_ms for the first. */
static void
take_receipts(struct sender *x, int timeout_ms)
{
	struct nc_event	ev;
	int		r;

	for (r = nc_next(x->s, &ev, timeout_ms); r == 1;
	    r = nc_next(x->s, &ev, 0)) {
		if (ev.type != NC_EV_RECEIPT)
			continue;
		x->inflight--;
		if (ev.status == NC_OK)
			x->done++;
		else {
			x->failed++;
			x->todo++;	/* again */
		}
	}
	if (r == -1)
		die("session: %s", strerror(errno));
}

/* Fills the window, then writes it (what the socket takes now). */
static void
send_window(struct sender *x, const uint8_t *msg, size_t len, long window)
{
	int	queued = 0, r;

	for (; x->todo > 0 && x->inflight < window; queued = 1) {
		if (nc_send_more(x->s, x->to, msg, len, 1, NULL) != NC_OK)
			die("send: %s", strerror(errno));
		x->todo--;
		x->inflight++;
	}
	if (!queued && !x->unwritten)
		return;
	if ((r = nc_flush(x->s)) == -1)
		die("flush: %s", strerror(errno));
	x->unwritten = r == 1;
}

/*
 * Many senders: a session is read only when poll() says so, so that a
 * pass costs no system call for the sessions with nothing to say.
 * Nothing waits unread inside the library meanwhile: take_receipts()
 * reads until nc_next() returns 0, and nc_send_more() reads only while
 * it waits for room in the library's 1 MiB output queue, which these
 * windows (8192 small messages in all) never fill.
 */
static void
run_senders(struct sender *snd, struct pollfd *pfd, int nsend, long count,
    const uint8_t *msg, size_t len, long window)
{
	double	t0 = now_s();
	int	i, active = nsend;

	for (i = 0; i < nsend; i++) {
		pfd[i].fd = nc_fd(snd[i].s);
		pfd[i].revents = 0;
	}
	while (active > 0 && now_s() - t0 < 300) {
		for (i = 0; i < nsend; i++) {
			struct sender *x = &snd[i];

			if (pfd[i].fd == -1)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				take_receipts(x, 0);
			if (x->done >= count) {
				pfd[i].fd = -1;
				active--;
				continue;
			}
			send_window(x, msg, len, window);
			pfd[i].events = POLLIN | (x->unwritten ? POLLOUT : 0);
		}
		if (active > 0 && poll(pfd, (nfds_t)nsend, 1000) == -1 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
	}
}

static int
nc_load(const char *sock, const char *peer, int nsend, int nrx, long count,
    size_t len, long window)
{
	static struct sender	 snd[1000];
	static struct pollfd	 pfd[1000];
	uint8_t			*msg;
	char			 name[32];
	long			 total = 0, failed = 0;
	double			 t0, t;
	int			 i;

	/* 0: 8192 small messages in flight in all, spread over the senders */
	if (window == 0)
		window = nsend > 256 ? 32 : 8192 / nsend;
	if ((msg = malloc(len)) == NULL)
		die("no memory");
	memset(msg, 'm', len);
	for (i = 0; i < nsend; i++) {
		(void)snprintf(name, sizeof(name), "tx%d", i);
		snd[i].s = nc_attach(sock, name);
		(void)snprintf(snd[i].to, sizeof(snd[i].to), "rx%d@%s",
		    i % nrx, peer);
		snd[i].todo = count;
	}
	t0 = now_s();
	if (nsend > 1)
		run_senders(snd, pfd, nsend, count, msg, len, window);
	else {
		/* One sender waits in nc_next(), which writes the rest. */
		while (snd[0].done < count && now_s() - t0 < 300) {
			send_window(&snd[0], msg, len, window);
			take_receipts(&snd[0], 1000);
		}
	}
	t = now_s() - t0;
	for (i = 0; i < nsend; i++) {
		total += snd[i].done;
		failed += snd[i].failed;
		nc_close(snd[i].s);
	}
	if (total != (long)nsend * count)
		die("only %ld of %ld delivered", total, (long)nsend * count);
	if (len == MSG_LEN)
		printf("msgs_per_s %.0f\n", (double)total / t);
	else
		printf("bulk_mbs %.1f\n", (double)total * (double)len / t /
		    1e6);
	printf("refused_busy %ld\n", failed);
	free(msg);
	return 0;
}

static int
nc_ping(const char *sock, const char *peer, long count)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 msg[MSG_LEN];
	char			 to[80];
	double			*rtt, t0;
	long			 i;
	int			 r;

	if ((rtt = calloc((size_t)count, sizeof(*rtt))) == NULL)
		die("no memory");
	memset(msg, 'p', sizeof(msg));
	(void)snprintf(to, sizeof(to), "echo@%s", peer);
	s = nc_attach(sock, "ping");
	for (i = 0; i < count; i++) {
		t0 = now_s();
		if (nc_send(s, to, msg, sizeof(msg), 0, NULL) != NC_OK)
			die("send: %s", strerror(errno));
		do {
			if ((r = nc_next(s, &ev, 10000)) != 1)
				die("ping %ld: no echo in 10 s (%s)", i,
				    r == 0 ? "timeout" : strerror(errno));
			if (ev.type == NC_EV_RECEIPT)
				die("ping %ld: %s", i, nc_status_str(ev.status));
		} while (ev.type != NC_EV_MESSAGE);
		if (ev.len != sizeof(msg))
			die("echo of %zu bytes", ev.len);
		rtt[i] = now_s() - t0;
	}
	nc_close(s);
	print_latency(rtt, count);
	free(rtt);
	return 0;
}

/* n idle named sessions, held until a signal (or the time is up). */
static int
nc_idle(const char *sock, int n, long seconds)
{
	struct nc_session	**s;
	char			  name[32];
	double			  t0;
	int			  i;

	/* An array of pointers, which clang-tidy 14 takes for a mistake. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((s = calloc((size_t)n, sizeof(*s))) == NULL)
		die("no memory");
	for (i = 0; i < n; i++) {
		(void)snprintf(name, sizeof(name), "idle%d", i);
		s[i] = nc_attach(sock, name);
	}
	printf("ready\n");
	fflush(stdout);
	for (t0 = now_s(); !stop && now_s() - t0 < (double)seconds;)
		(void)poll(NULL, 0, 100);
	for (i = 0; i < n; i++)
		nc_close(s[i]);
	free(s);
	return 0;
}

/* ------------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ncload tcp-server port\n"
	    "       ncload tcp-bulk port bytes\n"
	    "       ncload tcp-msgs port senders count\n"
	    "       ncload tcp-ping port count\n"
	    "       ncload tcp-conns port seconds\n"
	    "       ncload nc-server socket receivers\n"
	    "       ncload nc-bulk socket peer bytes\n"
	    "       ncload nc-msgs socket peer senders receivers count\n"
	    "       ncload nc-ping socket peer count\n"
	    "       ncload nc-idle socket sessions seconds\n"
	    "       ncload nc-handshakes port keyfile concurrency seconds\n"
	    "       ncload nc-relink port keydir peers\n"
	    "       ncload nats-sink port receivers\n"
	    "       ncload nats-bulk port bytes\n"
	    "       ncload nats-msgs port senders receivers count\n"
	    "       ncload nats-ping port count\n"
	    "       ncload js-pub port stream count window\n"
	    "       ncload nc-durable socket-a socket-b peer count one "
	    "[spool-a spool-b]\n"
	    "       ncload fsync-lat directory count\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sigaction	sa;
	const char		*m, *win;
	long long		bytes;
	long			chunks;
	int			r;

	if (argc < 2)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile();
	m = argv[1];
	if (strncmp(m, "nats-", 5) == 0 && (r = nats_mode(argc, argv)) != -1)
		return r;
	if (strncmp(m, "js-", 3) == 0 && (r = js_mode(argc, argv)) != -1)
		return r;
	if ((r = durable_mode(argc, argv)) != -1)
		return r;
	if (strcmp(m, "tcp-server") == 0 && argc == 3)
		return tcp_server((int)num(argv[2], 1, 65535));
	if (strcmp(m, "tcp-bulk") == 0 && argc == 4)
		return tcp_bulk((int)num(argv[2], 1, 65535),
		    num(argv[3], 1, LONG_MAX));
	if (strcmp(m, "tcp-msgs") == 0 && argc == 5)
		return tcp_msgs((int)num(argv[2], 1, 65535),
		    (int)num(argv[3], 1, 1000), num(argv[4], 1, 100000000));
	if (strcmp(m, "tcp-ping") == 0 && argc == 4)
		return tcp_ping((int)num(argv[2], 1, 65535),
		    num(argv[3], 1, PING_MAX));
	if (strcmp(m, "tcp-conns") == 0 && argc == 4)
		return tcp_conns((int)num(argv[2], 1, 65535),
		    (double)num(argv[3], 1, 600));
	if (strcmp(m, "nc-server") == 0 && argc == 4)
		return nc_server(argv[2], (int)num(argv[3], 1, 1000));
	if (strcmp(m, "nc-bulk") == 0 && argc == 5) {
		/*
		 * Whole messages of the largest size, 8 in flight: 512 KiB,
		 * half the receiving session's 1 MiB queue.  A window as big
		 * as that queue only fills it, and the link then waits for
		 * the reader (bench/ANALYSIS.md has the figures).
		 */
		bytes = num(argv[4], 1, LONG_MAX);
		chunks = (long)((bytes + NC_MAX_PAYLOAD - 1) / NC_MAX_PAYLOAD);
		win = getenv("NCLOAD_WINDOW");
		return nc_load(argv[2], argv[3], 1, 1, chunks,
		    NC_MAX_PAYLOAD, win != NULL ? num(win, 1, 1024) : 8);
	}
	if (strcmp(m, "nc-msgs") == 0 && argc == 7)
		return nc_load(argv[2], argv[3], (int)num(argv[4], 1, 1000),
		    (int)num(argv[5], 1, 1000), num(argv[6], 1, 100000000),
		    MSG_LEN, 0);
	if (strcmp(m, "nc-ping") == 0 && argc == 5)
		return nc_ping(argv[2], argv[3], num(argv[4], 1, PING_MAX));
	if (strcmp(m, "nc-idle") == 0 && argc == 5)
		return nc_idle(argv[2], (int)num(argv[3], 1, 100000),
		    num(argv[4], 1, 3600));
	if (strcmp(m, "nc-handshakes") == 0 && argc == 6)
		return nc_handshakes((int)num(argv[2], 1, 65535), argv[3],
		    (int)num(argv[4], 1, 16), (double)num(argv[5], 1, 600));
	if (strcmp(m, "nc-relink") == 0 && argc == 5)
		return nc_relink((int)num(argv[2], 1, 65535), argv[3],
		    (int)num(argv[4], 1, RELINK_MAX));
	usage();
	return 2;
}
