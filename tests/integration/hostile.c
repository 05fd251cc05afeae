/*
 * hostile: the attacker of tests/integration/hostile.sh.  It knows a
 * pinned peer's public key (anyone who connects to that peer learns it
 * from its HELLO) and uses it to occupy or flood the victim's handshake
 * machinery, from 127.0.0.1 (the address the real peer uses too, as
 * behind a Tor onion service).  It never holds the peer's private key,
 * so no handshake of its own can complete.
 *
 *	hostile -p PORT -k PUBKEY -b BLOBLEN -m hold|flood [-N n] [-r rate]
 *	    [-T seconds]
 *
 *	hold	keep N connections (default 80) that each sent HELLO(PUBKEY)
 *		and a random KEY of BLOBLEN bytes (the victim's modulus
 *		size), so that they sit waiting for the key-holder or for
 *		FINISHED; reopen each one as soon as the victim closes it
 *	flood	open `rate` connections a second (default 1000), each
 *		sends HELLO(PUBKEY) and KEY and is closed at once
 *
 * Every loop is bounded by T seconds (default 10).  On exit it prints
 * "opened N", "closed-by-victim N" and "busy N" (BUSY records seen).
 * A test tool: not installed.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "buf.h"
#include "crypto.h"
#include "handshake.h"
#include "util.h"
#include "wire.h"

#define MAX_CONN	4096

struct conn {
	int	fd;
	int	sent;		/* HELLO and KEY written */
};

static struct conn	 conns[MAX_CONN];
static uint8_t		 hello[HS_HELLO_MAX], keyrec[HS_KEY_MAX];
static size_t		 hellolen, keyreclen;
static int		 port, nconn = 80, rate = 1000, seconds = 10, ep;
static unsigned long	 opened, closed_by_victim, busy;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "hostile: %s\n", what);
	exit(2);
}

static double
now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A HELLO with the pinned peer's public key, and a KEY of random bytes. */
static void
make_records(const char *pubfile, size_t bloblen)
{
	struct hs_config	 hc;
	struct handshake	*hs;
	EVP_PKEY		*pk;
	FILE			*f;
	uint8_t			*spki;
	size_t			 spkilen;
	const uint8_t		*rec;
	static const uint8_t	 ciphers[] = { NC_CIPHER_AES256GCM };

	if ((f = fopen(pubfile, "r")) == NULL ||
	    (pk = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL)
		die("cannot read the public key");
	(void)fclose(f);
	if (nc_pkey_spki(pk, &spki, &spkilen) == -1)
		die("spki");
	memset(&hc, 0, sizeof(hc));
	hc.role = WIRE_ROLE_INITIATOR;
	hc.spki = spki;
	hc.spkilen = spkilen;
	hc.name = "attacker";
	hc.ciphers = ciphers;
	hc.nciphers = 1;
	if (RAND_bytes(hc.epoch, sizeof(hc.epoch)) != 1 ||
	    (hs = hs_new(&hc)) == NULL)
		die("hs_new");
	rec = hs_hello_record(hs, &hellolen);
	memcpy(hello, rec, hellolen);
	hs_free(hs);
	OPENSSL_free(spki);
	EVP_PKEY_free(pk);
	if (bloblen == 0 || bloblen > KH_BLOB_MAX)
		die("bad blob length");
	put_u32(keyrec, (uint32_t)(1 + bloblen));
	keyrec[4] = REC_KEY;
	if (RAND_bytes(keyrec + 5, (int)bloblen) != 1)
		die("RAND_bytes");
	/*
	 * Below the victim's modulus, so that every unwrap costs it a
	 * whole private-key operation (a blob above it fails early).
	 */
	keyrec[5] = 0;
	keyreclen = 5 + bloblen;
}

/* A non-blocking connect to the victim; the slot's fd, or -1. */
static int
open_conn(struct conn *c)
{
	struct sockaddr_in	sin;
	struct epoll_event	ev;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		(void)close(fd);
		return -1;
	}
	c->fd = fd;
	c->sent = 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");
	opened++;
	return fd;
}

static void
close_conn(struct conn *c)
{
	(void)close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
}

/* Both records at once; they fit any socket buffer. */
static void
send_records(struct conn *c)
{
	struct epoll_event	ev;

	if (send(c->fd, hello, hellolen, MSG_NOSIGNAL) != (ssize_t)hellolen ||
	    send(c->fd, keyrec, keyreclen, MSG_NOSIGNAL) != (ssize_t)keyreclen)
		return;
	c->sent = 1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	(void)epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* What the victim sent: its HELLO and KEY, maybe a BUSY, then the end. */
static int
victim_done(struct conn *c)
{
	uint8_t	buf[16384];
	ssize_t	n, i;

	while ((n = recv(c->fd, buf, sizeof(buf), 0)) > 0)
		for (i = 0; i + 8 < n; i++)
			if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 0 &&
			    buf[i + 3] == 5 && buf[i + 4] == REC_BUSY)
				busy++;
	return n == 0 || (n == -1 && errno != EAGAIN);
}

static struct conn *
free_slot(void)
{
	int	i;

	for (i = 0; i < MAX_CONN; i++)
		if (conns[i].fd == -1)
			return &conns[i];
	return NULL;
}

static void
handle_event(struct epoll_event *e, int flood)
{
	struct conn	*c = e->data.ptr;

	if (c->fd == -1)
		return;
	if (!c->sent && (e->events & EPOLLOUT) &&
	    !(e->events & (EPOLLERR | EPOLLHUP))) {
		send_records(c);
		if (flood) {
			close_conn(c);
			return;
		}
	}
	if ((e->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    victim_done(c)) {
		closed_by_victim++;
		close_conn(c);
		if (!flood)
			(void)open_conn(c);
	}
}

static void
run(int flood)
{
	struct epoll_event	 evs[256];
	struct conn		*c;
	double			 start = now(), next = start, t;
	int			 i, n;

	if (!flood)
		for (i = 0; i < nconn; i++)
			(void)open_conn(&conns[i]);
	while ((t = now()) < start + seconds) {
		/* flood: as many new connections as the clock allows */
		while (flood && next <= t && (c = free_slot()) != NULL) {
			(void)open_conn(c);
			next += 1.0 / rate;
		}
		n = epoll_wait(ep, evs, 256, 1);
		for (i = 0; i < n; i++)
			handle_event(&evs[i], flood);
		/* hold: a slot lost to a failed connect is tried again */
		for (i = 0; !flood && i < nconn; i++)
			if (conns[i].fd == -1)
				(void)open_conn(&conns[i]);
	}
}

int
main(int argc, char *argv[])
{
	const char	*mode = NULL, *pubfile = NULL, *errstr;
	struct rlimit	 rl;
	long long	 v, bloblen = 0;
	int		 ch, i;

	while ((ch = getopt(argc, argv, "b:k:m:N:p:r:T:")) != -1) {
		if (ch == 'k' || ch == 'm') {
			if (ch == 'k')
				pubfile = optarg;
			else
				mode = optarg;
			continue;
		}
		if (nc_strtonum(optarg, 1, 65535, &v, &errstr) == -1)
			die("bad number");
		switch (ch) {
		case 'b': bloblen = v; break;
		case 'N': nconn = v > MAX_CONN ? MAX_CONN : (int)v; break;
		case 'p': port = (int)v; break;
		case 'r': rate = (int)v; break;
		case 'T': seconds = (int)v; break;
		default: die("usage: hostile -p port -k pub -b len -m mode");
		}
	}
	if (mode == NULL || pubfile == NULL || port == 0 || bloblen == 0)
		die("usage: hostile -p port -k pub -b len -m hold|flood");
	(void)signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)seconds + 30);		/* bounded, whatever happens */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	make_records(pubfile, (size_t)bloblen);
	if (strcmp(mode, "hold") == 0)
		run(0);
	else if (strcmp(mode, "flood") == 0)
		run(1);
	else
		die("unknown mode");
	printf("opened %lu\nclosed-by-victim %lu\nbusy %lu\n", opened,
	    closed_by_victim, busy);
	return 0;
}
