/*
 * ncload's durable modes: messages with a lifetime through netcryptd's
 * spool (doc/SESSIONS.md section 6), spoken raw on the session socket
 * so that nothing but the daemons is measured, and the cost of one
 * fsync on the same file system, which bounds what the spool can do.
 *
 *	nc-durable SOCK-A SOCK-B PEER COUNT ONE [SPOOL-A SPOOL-B]
 *
 * Session "dtx" on daemon A (SOCK-A) sends 64-byte messages with a
 * lifetime (NCLOAD_LIFETIME seconds, 3600 unless set) to "drx@PEER",
 * a session attached to daemon B (SOCK-B) with ATTACH flag 1 in a child
 * process (on cpu NCLOAD_RX_CPU if set), which answers every SDELIVER
 * with TAKEN and tells the parent when each message came.  Four parts:
 *
 *  1. COUNT messages, at most NCLOAD_WINDOW (256) not yet QUEUED:
 *     queued_per_s and delivered_per_s, over the time from the first
 *     SEND to the last QUEUED, and to the last SDELIVER.  With the
 *     spool directories given, their growth over those messages
 *     (file sizes, as du -b, and blocks allocated) divided by COUNT:
 *     disk_bytes_per_msg_a, _b and alloc_bytes_per_msg_a, _b.
 *  2. ONE messages one at a time (ONE 0: not this part nor the next):
 *     the time from SEND to QUEUED (queued_median_us, queued_p99_us):
 *     the spool's write and fsync and the IPC on the way; one_per_s.
 *  3. ONE messages with a lifetime and ONE without, alternately, each
 *     sent only when the one before was delivered: the time from SEND to
 *     SDELIVER (spooled_median_us, _p99_us) and to DELIVER (plain_...),
 *     and spool_added_us, the difference of the medians.
 *  4. The FINALs that came (finals_ok, finals_failed), messages
 *     delivered twice (duplicates) and messages of another run (stale).
 *
 * A payload is what libnetcrypt sends for a 64-byte text: its content
 * type byte, then 64 bytes, the first 16 of them this run's nonce and
 * the message's number.
 *
 *	fsync-lat DIR COUNT
 *
 * COUNT appends of 64 bytes to a new file in DIR, each followed by
 * fdatasync: fsync_median_us, fsync_p99_us.
 *
 *	nc-durable-check
 *
 * Checks the session records of ncsess.c against records written out by
 * hand from SESSIONS.md; prints "ok".
 *
 * Every wait has a deadline; only the two session sockets are used.
 */
#include "config.h"	/* _GNU_SOURCE: sched_setaffinity */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ncload.h"
#include "ncsess.h"
#include "session_proto.h"

#define D_PAYLOAD	(1 + MSG_LEN)	/* content type, then the message */
#define D_COUNT_MAX	1000000L
#define D_ONE_MAX	100000L
#define D_PHASE_S	120.0		/* every part ends within this */
#define D_ST_SPOOL_FULL	13

/* What the receiving child tells the parent, for each message. */
struct drec {
	uint64_t	seq;
	double		at;
	uint32_t	kind;		/* D_SPOOLED, D_PLAIN, D_STALE */
	uint32_t	pad;
};
#define D_SPOOLED	1
#define D_PLAIN		2
#define D_STALE		3
#define D_READY		4

/* The sender: per message number, when it was sent, queued, delivered. */
struct dstate {
	struct sconn	 tx;
	int		 rxfd;		/* the child's reports */
	pid_t		 child;
	uint8_t		 rbuf[64 * sizeof(struct drec)];
	size_t		 rlen;
	uint64_t	 nonce;
	long		 total, next;	/* numbers given so far */
	double		*sent_at, *queued_at, *deliv_at;
	long		 nqueued, ndeliv, dups, stale, finals_ok, finals_bad;
	uint32_t	 lifetime;
	char		 to[80];
};

/* ---- the receiving child ---------------------------------------------- */

static volatile sig_atomic_t	rx_stop;

static void
rx_on_term(int sig)
{
	(void)sig;
	rx_stop = 1;
}

struct rxstate {
	struct sconn	 c;
	uint64_t	 nonce;
	struct drec	 out[4096];
	size_t		 nout;
};

static void
rx_report(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0 && !rx_stop) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(0);	/* the parent is gone */
		}
		b += w;
		n -= (size_t)w;
	}
}

static void
on_rx(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
	struct rxstate	*r = arg;
	struct drec	*d;
	const uint8_t	*pay;
	size_t		 plen;
	uint64_t	 id = 0;

	if (type != SP_SDELIVER && type != SP_DELIVER)
		return;
	if (rec_delivered(type, b, n, &id, &pay, &plen) == -1)
		die("receiver: a delivery that does not parse");
	if (type == SP_SDELIVER)
		r->c.outlen += rec_taken(s_room(&r->c, 16), 16, id);
	if (r->nout == sizeof(r->out) / sizeof(r->out[0]))
		die("receiver: too many reports held");
	d = &r->out[r->nout++];
	memset(d, 0, sizeof(*d));
	d->at = now_s();
	if (plen != D_PAYLOAD || get_u64(pay + 1) != r->nonce) {
		d->kind = D_STALE;
		return;
	}
	d->seq = get_u64(pay + 9);
	d->kind = type == SP_SDELIVER ? D_SPOOLED : D_PLAIN;
}

static _Noreturn void
rx_child(const char *sock, uint64_t nonce, int fd)
{
	static struct rxstate	r;
	struct sigaction	sa;
	struct pollfd		pfd;
	const char		*cpu = getenv("NCLOAD_RX_CPU");
	cpu_set_t		set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rx_on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	if (cpu != NULL && *cpu != '\0') {
		CPU_ZERO(&set);
		CPU_SET((int)num(cpu, 0, 1023), &set);
		(void)sched_setaffinity(0, sizeof(set), &set);
	}
	r.nonce = nonce;
	s_connect(&r.c, sock);
	s_attach(&r.c, "drx", SP_ATTACH_SPOOL);
	r.out[0].kind = D_READY;
	rx_report(fd, &r.out[0], sizeof(r.out[0]));
	while (!rx_stop) {
		pfd.fd = r.c.fd;
		pfd.events = POLLIN | (r.c.outlen > 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if ((pfd.revents & POLLIN) && s_read(&r.c))
			s_records(&r.c, on_rx, &r);
		(void)s_flush(&r.c);
		rx_report(fd, r.out, r.nout * sizeof(r.out[0]));
		r.nout = 0;
	}
	_exit(0);
}

/* ---- the sender ------------------------------------------------------- */

static void
on_tx(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
	struct dstate	*d = arg;
	uint64_t	 cid;

	if (type == SP_FINAL && n == 9) {
		if (b[8] == 0)
			d->finals_ok++;
		else
			d->finals_bad++;
		return;
	}
	if ((type != SP_QUEUED || n != 16) && (type != SP_RECEIPT || n != 9))
		die("sender: a record of type %u, %zu bytes", type, n);
	cid = get_u64(b);
	if (cid == 0 || cid > (uint64_t)d->next)
		die("sender: an answer for cid %llu, never sent",
		    (unsigned long long)cid);
	if (type == SP_RECEIPT)
		die("message %llu refused: status %u%s",
		    (unsigned long long)cid - 1, b[8], b[8] == D_ST_SPOOL_FULL ?
		    " (spool full)" : "");
	if (d->queued_at[cid - 1] != 0)
		die("message %llu queued twice", (unsigned long long)cid - 1);
	d->queued_at[cid - 1] = now_s();
	d->nqueued++;
}

/* The child's reports that came. */
static void
take_reports(struct dstate *d)
{
	struct drec	r;
	ssize_t		n;
	size_t		off;

	n = read(d->rxfd, d->rbuf + d->rlen, sizeof(d->rbuf) - d->rlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		die("the receiving process ended");
	d->rlen += (size_t)n;
	for (off = 0; d->rlen - off >= sizeof(r); off += sizeof(r)) {
		memcpy(&r, d->rbuf + off, sizeof(r));
		if (r.kind == D_STALE || r.kind == D_READY) {
			d->stale += r.kind == D_STALE;
			continue;
		}
		if (r.seq >= (uint64_t)d->next)
			die("delivered: message %llu, never sent",
			    (unsigned long long)r.seq);
		if (d->deliv_at[r.seq] != 0) {
			d->dups++;
			continue;
		}
		d->deliv_at[r.seq] = r.at;
		d->ndeliv++;
	}
	memmove(d->rbuf, d->rbuf + off, d->rlen - off);
	d->rlen -= off;
}

/* Waits at most ms for the daemon or the child, and takes what came. */
static void
pump(struct dstate *d, int ms)
{
	struct pollfd	pfd[2];

	pfd[0].fd = d->tx.fd;
	pfd[0].events = POLLIN | (s_flush(&d->tx) ? POLLOUT : 0);
	pfd[1].fd = d->rxfd;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	if (poll(pfd, 2, ms) == -1 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && s_read(&d->tx))
		s_records(&d->tx, on_tx, d);
	if (pfd[1].revents != 0)
		take_reports(d);
	if (pfd[0].revents & POLLOUT)
		(void)s_flush(&d->tx);
}

/* Buffers the next message, with a lifetime or without; its number. */
static long
send_one(struct dstate *d, int within)
{
	uint8_t	pay[D_PAYLOAD];
	long	seq = d->next;

	if (seq >= d->total)
		die("more messages than planned");
	memset(pay, 'm', sizeof(pay));
	pay[0] = SP_CT_TEXT;
	put_u64(pay + 1, d->nonce);
	put_u64(pay + 9, (uint64_t)seq);
	d->tx.outlen += rec_send(s_room(&d->tx, 256), 256, (uint64_t)seq + 1,
	    within ? SP_F_WITHIN : 0, d->lifetime, d->to, pay, sizeof(pay));
	d->next++;
	d->sent_at[seq] = now_s();
	return seq;
}

static void
check_time(const struct dstate *d, double t0, const char *what)
{
	if (now_s() - t0 > D_PHASE_S || stopping())
		die("%s: not done in %.0f s (queued %ld, delivered %ld of "
		    "%ld sent)", what, D_PHASE_S, d->nqueued, d->ndeliv,
		    d->next);
}

/* Until messages [lo, hi) are all queued (spooled) and delivered. */
static void
wait_range(struct dstate *d, long lo, long hi, int spooled, const char *what)
{
	double	t0 = now_s();
	long	i = lo;

	while (i < hi) {
		if ((spooled && d->queued_at[i] == 0) || d->deliv_at[i] == 0) {
			check_time(d, t0, what);
			pump(d, 100);
			continue;
		}
		i++;
	}
}

static double
last_of(const double *t, long lo, long hi)
{
	double	m = 0;
	long	i;

	for (i = lo; i < hi; i++)
		if (t[i] > m)
			m = t[i];
	return m;
}

/* ---- disk ------------------------------------------------------------- */

static long long	tree_size, tree_alloc;

static int
add_file(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_F && S_ISREG(st->st_mode)) {
		tree_size += (long long)st->st_size;
		tree_alloc += (long long)st->st_blocks * 512;
	}
	return 0;
}

/* The sizes of the files under dir, and the blocks they hold. */
static void
dir_bytes(const char *dir, long long *size, long long *alloc)
{
	tree_size = tree_alloc = 0;
	if (nftw(dir, add_file, 16, FTW_PHYS) == -1)
		die("%s: %s", dir, strerror(errno));
	*size = tree_size;
	*alloc = tree_alloc;
}

/* ---- the parts ---------------------------------------------------------- */

/* 1: COUNT messages, window not yet queued. */
static void
part_window(struct dstate *d, long count, long window, char *const spool[2])
{
	long long	s0[2] = { 0, 0 }, a0[2] = { 0, 0 }, s1, a1;
	long		lo = d->next, hi = lo + count, q0 = d->nqueued;
	double		t0, tq, td;
	int		i;

	for (i = 0; i < 2 && spool[0] != NULL; i++)
		dir_bytes(spool[i], &s0[i], &a0[i]);
	t0 = now_s();
	while (d->next < hi) {
		check_time(d, t0, "the window part");
		while (d->next < hi && d->next - lo - (d->nqueued - q0) <
		    window)
			(void)send_one(d, 1);
		pump(d, 100);
	}
	wait_range(d, lo, hi, 1, "the window part");
	tq = last_of(d->queued_at, lo, hi) - t0;
	td = last_of(d->deliv_at, lo, hi) - t0;
	printf("window %ld\n", window);
	printf("queued_per_s %.0f\n", (double)count / tq);
	printf("delivered_per_s %.0f\n", (double)count / td);
	if (spool[0] == NULL)
		return;
	/* What the TAKENs and FINALs write settles within a moment. */
	for (t0 = now_s(); now_s() - t0 < 0.5;)
		pump(d, 50);
	for (i = 0; i < 2; i++) {
		dir_bytes(spool[i], &s1, &a1);
		printf("disk_bytes_per_msg_%c %.1f\n", "ab"[i],
		    (double)(s1 - s0[i]) / (double)count);
		printf("alloc_bytes_per_msg_%c %.1f\n", "ab"[i],
		    (double)(a1 - a0[i]) / (double)count);
	}
}

/* 2: one at a time, the time to QUEUED. */
static void
part_queued(struct dstate *d, long one)
{
	double	*lat, t0 = now_s();
	long	i, seq, lo = d->next;

	if ((lat = calloc((size_t)one, sizeof(*lat))) == NULL)
		die("no memory");
	for (i = 0; i < one; i++) {
		seq = send_one(d, 1);
		while (d->queued_at[seq] == 0) {
			check_time(d, t0, "the one-at-a-time part");
			pump(d, 100);
		}
		lat[i] = d->queued_at[seq] - d->sent_at[seq];
	}
	printf("one_per_s %.0f\n", (double)one / (now_s() - t0));
	print_latency_as("queued", lat, one);
	wait_range(d, lo, d->next, 1, "the one-at-a-time part");
	free(lat);
}

/* 3: with a lifetime and without, alternately: the time to delivery. */
static void
part_delivery(struct dstate *d, long one)
{
	double	*sp, *pl;
	long	i, seq;
	int	within;

	if ((sp = calloc((size_t)one, sizeof(*sp))) == NULL ||
	    (pl = calloc((size_t)one, sizeof(*pl))) == NULL)
		die("no memory");
	for (i = 0; i < 2 * one; i++) {
		within = (i % 2) == 0;
		seq = send_one(d, within);
		wait_range(d, seq, seq + 1, within, "the delivery part");
		(within ? sp : pl)[i / 2] = d->deliv_at[seq] - d->sent_at[seq];
	}
	print_latency_as("spooled", sp, one);
	print_latency_as("plain", pl, one);
	/* Sorted by now. */
	printf("spool_added_us %.1f\n", (sp[one / 2] - pl[one / 2]) * 1e6);
	free(sp);
	free(pl);
}

static void
d_init(struct dstate *d, const char *peer, long total)
{
	const char	*lt = getenv("NCLOAD_LIFETIME");
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	d->nonce = (uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_sec << 8 ^
	    (uint64_t)ts.tv_nsec;
	d->lifetime = lt != NULL ? (uint32_t)num(lt, 1, 7776000) : 3600;
	d->total = total;
	if ((size_t)snprintf(d->to, sizeof(d->to), "drx@%s", peer) >=
	    sizeof(d->to))
		die("peer name too long");
	if ((d->sent_at = calloc((size_t)total, sizeof(double))) == NULL ||
	    (d->queued_at = calloc((size_t)total, sizeof(double))) == NULL ||
	    (d->deliv_at = calloc((size_t)total, sizeof(double))) == NULL)
		die("no memory");
}

/* The child attached, its first report read. */
static void
start_receiver(struct dstate *d, const char *sock)
{
	struct drec	r;
	struct pollfd	pfd;
	int		p[2];

	if (pipe(p) == -1)
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	if ((d->child = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (d->child == 0) {
		(void)close(p[0]);
		rx_child(sock, d->nonce, p[1]);
	}
	(void)close(p[1]);
	d->rxfd = p[0];
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 15000) != 1 || read(p[0], &r, sizeof(r)) !=
	    (ssize_t)sizeof(r) || r.kind != D_READY)
		die("the receiver did not attach in 15 s");
	(void)fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
}

static int
nc_durable(char *const argv[], long count, long one, char *const spool[2])
{
	static struct dstate	d;
	const char		*w = getenv("NCLOAD_WINDOW");
	long			 window, warm = 10, lo;
	int			 st;

	window = w != NULL ? num(w, 1, SESS_WINDOW_MAX) : 256;
	d_init(&d, argv[4], warm * 2 + count + 3 * one);
	start_receiver(&d, argv[3]);
	s_connect(&d.tx, argv[2]);
	s_attach(&d.tx, "dtx", SP_ATTACH_SPOOL);
	/* Warm up both ways, one at a time: the link, the spool's files. */
	for (lo = 0; lo < 2 * warm; lo++) {
		(void)send_one(&d, (int)(lo % 2));
		wait_range(&d, lo, lo + 1, (int)(lo % 2), "the warm-up");
	}
	part_window(&d, count, window, spool);
	if (one > 0) {
		part_queued(&d, one);
		part_delivery(&d, one);
	}
	printf("finals_ok %ld\n", d.finals_ok);
	printf("finals_failed %ld\n", d.finals_bad);
	printf("duplicates %ld\n", d.dups);
	printf("stale %ld\n", d.stale);
	(void)kill(d.child, SIGTERM);
	(void)waitpid(d.child, &st, 0);
	(void)close(d.tx.fd);
	return 0;
}

/* ---- one fsync ----------------------------------------------------------- */

static int
fsync_lat(const char *dir, long count)
{
	char	path[4096];
	uint8_t	buf[MSG_LEN];
	double	*lat, t0;
	long	i;
	int	fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/fsync-lat.XXXXXX", dir) >=
	    sizeof(path))
		die("directory name too long");
	if ((fd = mkstemp(path)) == -1)
		die("%s: %s", path, strerror(errno));
	(void)unlink(path);
	if ((lat = calloc((size_t)count, sizeof(*lat))) == NULL)
		die("no memory");
	memset(buf, 'f', sizeof(buf));
	for (i = 0; i < count; i++) {
		t0 = now_s();
		write_all(fd, buf, sizeof(buf));
		if (fdatasync(fd) == -1)
			die("fdatasync: %s", strerror(errno));
		lat[i] = now_s() - t0;
	}
	(void)close(fd);
	print_latency_as("fsync", lat, count);
	free(lat);
	return 0;
}

/* argv[1] is one of the modes above: its result; -1 if not. */
int
durable_mode(int argc, char *argv[])
{
	char	*spool[2] = { NULL, NULL };

	if (strcmp(argv[1], "nc-durable-check") == 0 && argc == 2)
		return sess_check();
	if (strcmp(argv[1], "fsync-lat") == 0 && argc == 4)
		return fsync_lat(argv[2], num(argv[3], 1, D_ONE_MAX));
	if (strcmp(argv[1], "nc-durable") != 0 || (argc != 7 && argc != 9))
		return -1;
	if (argc == 9) {
		spool[0] = argv[7];
		spool[1] = argv[8];
	}
	return nc_durable(argv, num(argv[5], 1, D_COUNT_MAX),
	    num(argv[6], 0, D_ONE_MAX), spool);
}
