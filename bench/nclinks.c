/*
 * ncload's link modes: it plays daemons that dial the daemon under test
 * and do the whole handshake of doc/PROTOCOL.md section 5 with their own
 * private keys (the unwrap a key-holder would do, done here).
 *	nc-handshakes	new links a second with one key
 *	nc-relink	many peers, each with its own key, dialling at once
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "handshake.h"
#include "ipc.h"
#include "ncload.h"
#include "wire.h"

/* Links leave no TIME_WAIT: the daemon closes after our reset. */
#define MAX_LINKS	6000

/*
 * Plays a daemon that dials: the whole handshake of PROTOCOL.md 5 with our
 * own private key (the unwrap a key-holder would do, done here), then a
 * close.  The daemon under test must pin our key as an inbound peer.
 */
struct hsconn {
	struct handshake	*hs;
	EVP_PKEY		*key;		/* ours: the peer played */
	uint8_t			*spki;
	size_t			 spkilen;
	double			 retry_at;	/* nc-relink: redial then */
	int			 done;
	size_t			 inlen;
	int			 fd;
	int			 state;		/* 0 hello, 1 key, 2 finished */
	uint8_t			 in[8192];
};

static void
hs_start(struct hsconn *c, int port)
{
	struct hs_config	cfg;
	static const uint8_t	ciphers[] = { NC_CIPHER_AES256GCM,
	    NC_CIPHER_AES128GCM, NC_CIPHER_CHACHA20 };
	const uint8_t		*rec;
	size_t			 len;
	int			 fl;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WIRE_ROLE_INITIATOR;
	cfg.spki = c->spki;
	cfg.spkilen = c->spkilen;
	cfg.name = "hsload";
	cfg.ciphers = ciphers;
	cfg.nciphers = sizeof(ciphers);
	/* A new epoch each time: the daemon takes the newest link. */
	if (RAND_bytes(cfg.epoch, sizeof(cfg.epoch)) != 1 ||
	    (c->hs = hs_new(&cfg)) == NULL)
		die("hs_new");
	c->fd = tcp_connect(port);
	c->state = 0;
	c->inlen = 0;
	rec = hs_hello_record(c->hs, &len);
	write_all(c->fd, rec, len);
	fl = fcntl(c->fd, F_GETFL);
	(void)fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
}

static void
hs_end(struct hsconn *c)
{
	hs_free(c->hs);
	c->hs = NULL;
	close_reset(c->fd);
	c->fd = -1;
}

/* A record to a non-blocking socket that has room for it; -1: gone. */
static int
send_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * One whole record in c->in; 1 when the handshake is complete, -1 when
 * the daemon went away.
 */
static int
hs_record(struct hsconn *c, const uint8_t *rec, size_t len)
{
	struct hs_hello_info	 info;
	struct kh_unwrap_req	 req;
	const uint8_t		*out, *blob;
	uint8_t			 label[64], plain[KH_BLOB_MAX];
	uint8_t			 u[NC_SHA256_LEN];
	size_t			 outlen, bloblen, labellen, plainlen;
	char			 err[256];

	switch (c->state) {
	case 0:
		if (hs_recv_hello(c->hs, rec, len, &info, err,
		    sizeof(err)) == -1 ||
		    hs_make_key(c->hs, &out, &outlen, err, sizeof(err)) == -1)
			die("handshake: %s", err);
		if (send_all(c->fd, out, outlen) == -1)
			return -1;
		c->state = 1;
		return 0;
	case 1:
		if (hs_recv_key(c->hs, rec, len, &req, &blob, &bloblen, err,
		    sizeof(err)) == -1)
			die("handshake: %s", err);
		if (nc_oaep_label(req.role, req.th1, label, sizeof(label),
		    &labellen) == -1 ||
		    nc_oaep_unwrap(c->key, label, labellen, blob, bloblen,
		    plain, sizeof(plain), &plainlen) == -1 ||
		    plainlen != NC_SECRET_LEN ||
		    nc_derive_u(plain, req.th1, req.role, u) == -1)
			die("handshake: unwrap failed");
		OPENSSL_cleanse(plain, sizeof(plain));
		if (hs_unwrapped(c->hs, u, &out, &outlen, err,
		    sizeof(err)) == -1)
			die("handshake: %s", err);
		OPENSSL_cleanse(u, sizeof(u));
		if (send_all(c->fd, out, outlen) == -1)
			return -1;
		c->state = 2;
		return 0;
	default:
		if (hs_recv_finished(c->hs, rec, len, err, sizeof(err)) == -1)
			die("handshake: %s", err);
		return 1;
	}
}

/*
 * Readable: 1 when the handshake is complete, 0 for more, -1 when the
 * daemon refused with BUSY (*retry_ms set) or closed.
 */
static int
hs_input(struct hsconn *c, unsigned int *retry_ms)
{
	ssize_t	n;
	size_t	reclen;
	int	done = 0;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		*retry_ms = 0;
		return -1;
	}
	c->inlen += (size_t)n;
	while (!done && c->inlen >= 4) {
		reclen = 4 + ((size_t)c->in[0] << 24 | (size_t)c->in[1] << 16 |
		    (size_t)c->in[2] << 8 | c->in[3]);
		if (reclen > sizeof(c->in))
			die("record of %zu bytes", reclen);
		if (c->inlen < reclen)
			break;
		if (reclen == WIRE_BUSY_LEN && c->in[4] == REC_BUSY) {
			*retry_ms = (unsigned int)c->in[5] << 24 |
			    (unsigned int)c->in[6] << 16 |
			    (unsigned int)c->in[7] << 8 | c->in[8];
			return -1;
		}
		if ((done = hs_record(c, c->in, reclen)) == -1) {
			*retry_ms = 0;
			return -1;
		}
		memmove(c->in, c->in + reclen, c->inlen - reclen);
		c->inlen -= reclen;
	}
	return done;
}

/* The peer c plays: its private key from a PEM file. */
static void
hs_load_key(struct hsconn *c, const char *keyfile)
{
	FILE		*f;
	uint8_t		 pem[16384];
	size_t		 pemlen;

	if ((f = fopen(keyfile, "r")) == NULL)
		die("%s: %s", keyfile, strerror(errno));
	pemlen = fread(pem, 1, sizeof(pem), f);
	(void)fclose(f);
	if ((c->key = nc_load_privkey_mem(pem, pemlen)) == NULL ||
	    nc_pkey_spki(c->key, &c->spki, &c->spkilen) == -1)
		die("%s: no RSA private key", keyfile);
	OPENSSL_cleanse(pem, sizeof(pem));
}

static void
hs_unload_key(struct hsconn *c)
{
	EVP_PKEY_free(c->key);
	OPENSSL_free(c->spki);
}

int
nc_handshakes(int port, const char *keyfile, int conc, double seconds)
{
	struct hsconn	 c[16];
	struct pollfd	 pfd[16];
	unsigned int	 retry;
	double		 t0;
	long		 n = 0, busy = 0;
	int		 i;

	memset(c, 0, sizeof(c));
	hs_load_key(&c[0], keyfile);
	for (i = 1; i < conc; i++) {
		c[i].key = c[0].key;
		c[i].spki = c[0].spki;
		c[i].spkilen = c[0].spkilen;
	}
	t0 = now_s();
	for (i = 0; i < conc; i++)
		hs_start(&c[i], port);
	while (now_s() - t0 < seconds && n < MAX_LINKS) {
		for (i = 0; i < conc; i++) {
			pfd[i].fd = c[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)conc, 10000) <= 0 && errno != EINTR)
			die("handshake: no answer");
		for (i = 0; i < conc; i++) {
			if (pfd[i].revents == 0)
				continue;
			retry = 0;
			switch (hs_input(&c[i], &retry)) {
			case -1:
				/*
				 * Past the daemon's unwrap rate (the default,
				 * "auto", is about 45% of a core): counted,
				 * and dialled again at once.
				 */
				if (retry == 0)
					die("the daemon closed a handshake");
				busy++;
				hs_end(&c[i]);
				hs_start(&c[i], port);
				break;
			case 1:
				n++;
				hs_end(&c[i]);
				hs_start(&c[i], port);
			}
		}
	}
	printf("links_per_s %.1f\n", (double)n / (now_s() - t0));
	printf("links_refused_busy %ld\n", busy);
	for (i = 0; i < conc; i++)
		hs_end(&c[i]);
	hs_unload_key(&c[0]);
	return 0;
}

/*
 * A hub restarted: `peers` peers, each with its own key (KEYDIR/peerN.pem),
 * dial it at once.  A peer told BUSY, or closed, dials again when it was
 * told, or after a second, as a daemon does.  Prints how long until the
 * last one linked, and how often they were turned away.
 */
#define RELINK_SECONDS	120
#define RELINK_HOLD	3	/* seconds the links are kept */

static int
relink_poll(struct hsconn *c, struct pollfd *pfd, int peers, int port,
    long *busy, long *closed)
{
	unsigned int	retry = 0;
	double		t = now_s();
	int		i, left = 0;

	for (i = 0; i < peers; i++) {
		if (c[i].done)
			continue;
		left++;
		if (c[i].fd == -1 && c[i].retry_at <= t)
			hs_start(&c[i], port);
		pfd[i].fd = c[i].fd;	/* -1: ignored by poll */
		pfd[i].events = POLLIN;
	}
	if (left == 0)
		return 0;
	if (poll(pfd, (nfds_t)peers, 10) == -1 && errno != EINTR)
		die("poll: %s", strerror(errno));
	for (i = 0; i < peers; i++) {
		if (c[i].done || c[i].fd == -1 || pfd[i].revents == 0)
			continue;
		switch (hs_input(&c[i], &retry)) {
		case 1:
			c[i].done = 1;	/* keep the link: the hub has it */
			break;
		case -1:
			if (retry == 0) {
				(*closed)++;
				retry = 1000;
			} else
				(*busy)++;
			if (retry < WIRE_BUSY_RETRY_MIN)
				retry = WIRE_BUSY_RETRY_MIN;
			if (retry > WIRE_BUSY_RETRY_MAX)
				retry = WIRE_BUSY_RETRY_MAX;
			hs_end(&c[i]);
			c[i].retry_at = now_s() + retry / 1000.0;
			break;
		}
	}
	return left;
}

int
nc_relink(int port, const char *keydir, int peers)
{
	struct hsconn	*c;
	struct pollfd	*pfd;
	char		 path[4096];
	double		 t0;
	long		 busy = 0, closed = 0;
	int		 i, left = peers;

	raise_nofile();
	if ((c = calloc((size_t)peers, sizeof(*c))) == NULL ||
	    (pfd = calloc((size_t)peers, sizeof(*pfd))) == NULL)
		die("calloc");
	for (i = 0; i < peers; i++) {
		(void)snprintf(path, sizeof(path), "%s/peer%d.pem", keydir, i);
		hs_load_key(&c[i], path);
		c[i].fd = -1;
	}
	t0 = now_s();
	while (left > 0 && now_s() - t0 < RELINK_SECONDS)
		left = relink_poll(c, pfd, peers, port, &busy, &closed);
	if (left > 0)
		die("%d of %d peers not linked in %d s", left, peers,
		    RELINK_SECONDS);
	printf("relink_peers %d\nrelink_s %.3f\nrelink_busy %ld\n"
	    "relink_closed %ld\n", peers, now_s() - t0, busy, closed);
	/* Keep the links a moment: the hub can be asked to show them. */
	(void)fflush(stdout);
	(void)sleep(RELINK_HOLD);
	for (i = 0; i < peers; i++) {
		if (c[i].fd != -1)
			hs_end(&c[i]);
		hs_unload_key(&c[i]);
	}
	free(c);
	free(pfd);
	return 0;
}

