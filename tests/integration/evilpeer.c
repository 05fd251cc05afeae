/*
 * evilpeer: a hostile peer for the adversary tests.  It speaks the link
 * protocol with the project's own handshake code, then misbehaves.
 *
 *	evilpeer -p PORT -k KEY -m MODE [-N count] [-T seconds] [-a arg]
 *	    [-l LPORT]
 *
 * Every connection goes to 127.0.0.1:PORT.  KEY is a PEM file: a private
 * key where a handshake is completed, else a public key.  MODE:
 *	stall		open N connections (default 1000), send a HELLO on
 *			each with KEY (a public key will do: a pinned peer's
 *			passes pinning), then send nothing; hold them for T s
 *	keyflood	N connections in turn, each sends HELLO and a KEY
 *			blob at once, then waits for the daemon to close
 *	plain		instead of a HELLO, a record header with length -a
 *			(decimal) and 16 bytes of filler
 *	up		complete the handshake as an initiator (private
 *			KEY), then per -a:
 *			  len:N		a record header with length N
 *			  afterclose:TO	CLOSE(normal), then a MSG to TO
 *			  msg:FROM:TO	a MSG from FROM to TO, then CLOSE
 *			  msgs:HEX	a MSGS record with this body
 *					(hex, may be empty), then CLOSE
 *			  spool:RECS	announce bits 0 and 1 (PROTOCOL.md
 *					7.9), then send RECS, records
 *					TYPE:HEX[/TYPE:HEX...] (TYPE in
 *					decimal, HEX the body, may be
 *					empty); print the SMSG, SACK,
 *					SFINAL, SFINAL_ACK the daemon sends
 *					within 2 s ("SACK seq 1 status 0"),
 *					then CLOSE unless it closed first
 *			  rec:RECS	the same without the announcement
 *			  rekey:ignore	answer PINGs, never a REKEY
 *			  rekey:lowack	answer a REKEY with REKEY_ACK of
 *					a low-order point (all zero)
 *			  rekey:lowstart  send REKEY of a low-order point
 *	mitm		listen on 127.0.0.1:LPORT; forward each connection
 *			to PORT, with KEY's public key put in place of the
 *			key in both HELLOs
 * Prints one line per outcome on stdout ("up", "closed by the daemon:
 * CLOSE reason 2", "eof", ...).  Every wait is bounded; exits after T s
 * (default 20) at the latest.  A test tool: not installed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "crypto.h"
#include "handshake.h"
#include "record.h"
#include "util.h"
#include "wire.h"

#define MAXREC		(4 + 1 + 65536 + 16)
#define IO_TIMEOUT	5	/* seconds per read or write */

static EVP_PKEY	*key;
static uint8_t	*spki;
static size_t	 spkilen;
static int	 port, lport, nconn = 1000, seconds = 20;
static const char *arg = "";
static const char *errstr;
static const uint8_t ciphers[] = { NC_CIPHER_AES256GCM, NC_CIPHER_AES128GCM,
		    NC_CIPHER_CHACHA20 };

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "evilpeer: %s\n", what);
	exit(2);
}

static void
timeouts(int fd, int secs)
{
	struct timeval	tv = { secs, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
dial(void)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	timeouts(fd, IO_TIMEOUT);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = send(fd, b, n, MSG_NOSIGNAL)) <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = recv(fd, b, n, 0)) <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One record, header included, into rec (MAXREC bytes); its size or -1. */
static ssize_t
read_rec(int fd, uint8_t *rec)
{
	struct reader	r;
	uint32_t	len;

	if (read_all(fd, rec, 4) == -1)
		return -1;
	rd_init(&r, rec, 4);
	len = rd_u32(&r);
	if (len < 1 || len > MAXREC - 4 || read_all(fd, rec + 4, len) == -1)
		return -1;
	return (ssize_t)(4 + len);
}

static struct handshake *
new_hs(uint8_t role)
{
	struct hs_config	hc;
	struct handshake	*hs;

	memset(&hc, 0, sizeof(hc));
	hc.role = role;
	hc.spki = spki;
	hc.spkilen = spkilen;
	hc.name = "evil";
	hc.ciphers = ciphers;
	hc.nciphers = sizeof(ciphers);
	if (RAND_bytes(hc.epoch, sizeof(hc.epoch)) != 1 ||
	    (hs = hs_new(&hc)) == NULL)
		die("hs_new");
	return hs;
}

static int
send_hello(int fd, struct handshake *hs)
{
	const uint8_t	*rec;
	size_t		 len;

	rec = hs_hello_record(hs, &len);
	return write_all(fd, rec, len);
}

/* After whatever we sent: what does the daemon do?  Bounded. */
static void
await_end(int fd, struct nc_aead *recv)
{
	static uint8_t	rec[MAXREC], body[65536];
	uint8_t		type;
	size_t		blen;
	ssize_t		n;

	while ((n = read_rec(fd, rec)) > 0) {
		if (recv == NULL)
			continue;
		if (nc_record_open(recv, rec, (size_t)n, &type, body,
		    sizeof(body), &blen) == -1) {
			printf("record did not open\n");
			return;
		}
		if (type == REC_CLOSE) {
			printf("closed by the daemon: CLOSE reason %u\n",
			    (unsigned)(blen > 0 ? body[0] : 0));
			return;
		}
	}
	printf(n == 0 || errno != EAGAIN ? "eof\n" : "timeout\n");
}

/* ---- stall, keyflood, plain ------------------------------------------- */

static void
mode_stall(void)
{
	struct rlimit		 rl;
	struct handshake	*hs;
	int			*fds, i, n = 0;

	rl.rlim_cur = rl.rlim_max = (rlim_t)nconn + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("setrlimit");
	if ((fds = calloc((size_t)nconn, sizeof(int))) == NULL)
		die("calloc");
	hs = new_hs(WIRE_ROLE_INITIATOR);
	for (i = 0; i < nconn; i++) {
		if ((fds[i] = dial()) == -1)
			continue;
		if (send_hello(fds[i], hs) == 0)
			n++;
	}
	hs_free(hs);
	printf("stalled %d\n", n);
	(void)fflush(stdout);
	(void)sleep((unsigned)seconds);
	for (i = 0; i < nconn; i++)
		if (fds[i] != -1)
			(void)close(fds[i]);
	free(fds);
}

static void
mode_keyflood(void)
{
	struct handshake	*hs;
	uint8_t			 keyrec[5 + 256];
	int			 fd, i, n = 0;

	put_u32(keyrec, sizeof(keyrec) - 4);
	keyrec[4] = REC_KEY;
	for (i = 0; i < nconn; i++) {
		if ((fd = dial()) == -1)
			continue;
		hs = new_hs(WIRE_ROLE_INITIATOR);
		(void)RAND_bytes(keyrec + 5, 256);
		if (send_hello(fd, hs) == 0 &&
		    write_all(fd, keyrec, sizeof(keyrec)) == 0)
			n++;
		timeouts(fd, 2);
		await_end(fd, NULL);
		hs_free(hs);
		(void)close(fd);
	}
	printf("keyflood %d sent\n", n);
}

static void
mode_plain(void)
{
	uint8_t		rec[4 + 16];
	long long	len;
	int		fd;

	if (nc_strtonum(arg, 0, 0xffffffffLL, &len, &errstr) == -1)
		die("bad -a length");
	put_u32(rec, (uint32_t)len);
	memset(rec + 4, 0x41, 16);
	if ((fd = dial()) == -1)
		die("connect");
	if (write_all(fd, rec, sizeof(rec)) == -1)
		die("write");
	await_end(fd, NULL);
	(void)close(fd);
}

/* ---- a full handshake, then misbehaviour ------------------------------ */

static int
handshake(int fd, struct handshake *hs, struct nc_aead *send,
    struct nc_aead *recv)
{
	static uint8_t		 rec[MAXREC];
	struct hs_hello_info	 info;
	struct kh_unwrap_req	 req;
	const uint8_t		*out, *blob;
	uint8_t			 label[128], plain[1024], u[NC_SHA256_LEN];
	size_t			 outlen, bloblen, labellen, plainlen;
	ssize_t			 n;
	char			 err[256];

	if (send_hello(fd, hs) == -1 || (n = read_rec(fd, rec)) == -1 ||
	    hs_recv_hello(hs, rec, (size_t)n, &info, err, sizeof(err)) == -1 ||
	    hs_make_key(hs, &out, &outlen, err, sizeof(err)) == -1 ||
	    write_all(fd, out, outlen) == -1 ||
	    (n = read_rec(fd, rec)) == -1 ||
	    hs_recv_key(hs, rec, (size_t)n, &req, &blob, &bloblen, err,
	    sizeof(err)) == -1)
		return -1;
	/* We are our own key-holder. */
	if (nc_oaep_label(req.role, req.th1, label, sizeof(label),
	    &labellen) == -1 || nc_oaep_unwrap(key, label, labellen, blob,
	    bloblen, plain, sizeof(plain), &plainlen) == -1 ||
	    plainlen != NC_SECRET_LEN ||
	    nc_derive_u(plain, req.th1, req.role, u) == -1)
		return -1;
	OPENSSL_cleanse(plain, sizeof(plain));
	if (hs_unwrapped(hs, u, &out, &outlen, err, sizeof(err)) == -1 ||
	    write_all(fd, out, outlen) == -1 ||
	    (n = read_rec(fd, rec)) == -1 ||
	    hs_recv_finished(hs, rec, (size_t)n, err, sizeof(err)) == -1 ||
	    hs_take_aeads(hs, send, recv) == -1)
		return -1;
	OPENSSL_cleanse(u, sizeof(u));
	return 0;
}

static int
seal_send(int fd, struct nc_aead *send, uint8_t type, const uint8_t *body,
    size_t len)
{
	static uint8_t	rec[MAXREC];
	size_t		reclen;

	if (nc_record_seal(send, type, body, len, rec, sizeof(rec),
	    &reclen) == -1)
		die("seal");
	return write_all(fd, rec, reclen);
}

/* MSG id 1: from, to, text payload. */
static int
send_msg(int fd, struct nc_aead *send, const char *from, const char *to,
    const char *text)
{
	uint8_t	body[512];
	size_t	fl = strlen(from), tl = strlen(to), xl = strlen(text), o;

	if (fl > 64 || tl > 64 || xl > 200)
		die("msg too long");
	memset(body, 0, 8);
	body[7] = 1;		/* id 1 */
	body[8] = 1;		/* flags: receipt wanted */
	body[9] = (uint8_t)fl;
	memcpy(body + 10, from, fl);
	o = 10 + fl;
	body[o++] = (uint8_t)tl;
	memcpy(body + o, to, tl);
	o += tl;
	body[o++] = 0;		/* content type: text */
	memcpy(body + o, text, xl);
	return seal_send(fd, send, REC_MSG, body, o + xl);
}

/* A record of this type whose body is given in hex. */
static int
send_hex(int fd, struct nc_aead *send, uint8_t type, const char *hex)
{
	static uint8_t	body[NC_REC_MAXBODY];
	size_t		n = 0;

	if (*hex != '\0' && nc_hex_decode(hex, body, sizeof(body), &n) == -1)
		die("bad hex");
	return seal_send(fd, send, type, body, n);
}

/*
 * Rekeys gone wrong (doc/PROTOCOL.md 7.8): the daemon's REKEY is ignored
 * or answered with a low-order point, or ours carries one.  PINGs are
 * answered, so that only the rekey can end the link.
 */
static void
evil_rekey(int fd, struct nc_aead *send, struct nc_aead *recv,
    const char *how)
{
	static uint8_t		 rec[MAXREC], body[65536];
	static const uint8_t	 zero[NC_X25519_LEN];
	uint8_t			 type;
	size_t			 blen;
	ssize_t			 n;

	if (strcmp(how, "lowstart") == 0 &&
	    seal_send(fd, send, REC_REKEY, zero, sizeof(zero)) == -1)
		die("write");
	while ((n = read_rec(fd, rec)) > 0) {
		if (nc_record_open(recv, rec, (size_t)n, &type, body,
		    sizeof(body), &blen) == -1) {
			printf("record did not open\n");
			return;
		}
		if (type == REC_PING && seal_send(fd, send, REC_PONG, body,
		    blen) == -1)
			die("write");
		if (type == REC_KEYUPDATE && nc_aead_update(recv) == -1)
			die("key update");
		if (type == REC_REKEY) {
			printf("REKEY received\n");
			if (strcmp(how, "lowack") == 0 && seal_send(fd, send,
			    REC_REKEY_ACK, zero, sizeof(zero)) == -1)
				die("write");
		}
		if (type == REC_CLOSE) {
			printf("closed by the daemon: CLOSE reason %u\n",
			    (unsigned)(blen > 0 ? body[0] : 0));
			return;
		}
	}
	printf(n == 0 || errno != EAGAIN ? "eof\n" : "timeout\n");
}

/* ---- messages with a lifetime (PROTOCOL.md 7.10) ---------------------- */

/* One line for each spool record the daemon sends. */
static void
print_spool_rec(uint8_t type, const uint8_t *body, size_t len)
{
	static const char *const names[] = { "SMSG", "SACK", "SFINAL",
		"SFINAL_ACK" };

	if (type < REC_SMSG || type > REC_SFINAL_ACK)
		return;
	if (len < 16) {
		printf("%s short\n", names[type - REC_SMSG]);
		return;
	}
	printf("%s seq %llu", names[type - REC_SMSG],
	    (unsigned long long)get_u64(body + 8));
	if ((type == REC_SACK || type == REC_SFINAL) && len == WIRE_SACK_LEN)
		printf(" status %u", body[16]);
	printf("\n");
}

/*
 * What comes back for 2 s: spool records printed, PINGs answered.  1 when
 * the link ended (the daemon's CLOSE, end of stream, a bad record).
 */
static int
spool_watch(int fd, struct nc_aead *send, struct nc_aead *recv)
{
	static uint8_t	rec[MAXREC], body[65536];
	struct pollfd	pfd;
	time_t		end = time(NULL) + 2;
	uint8_t		type;
	size_t		blen;
	ssize_t		n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (time(NULL) < end) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((n = read_rec(fd, rec)) <= 0) {
			printf("eof\n");
			return 1;
		}
		if (nc_record_open(recv, rec, (size_t)n, &type, body,
		    sizeof(body), &blen) == -1) {
			printf("record did not open\n");
			return 1;
		}
		if (type == REC_CLOSE) {
			printf("closed by the daemon: CLOSE reason %u\n",
			    (unsigned)(blen > 0 ? body[0] : 0));
			return 1;
		}
		if (type == REC_PING && seal_send(fd, send, REC_PONG, body,
		    blen) == -1)
			die("write");
		if (type == REC_KEYUPDATE && nc_aead_update(recv) == -1)
			die("key update");
		print_spool_rec(type, body, blen);
	}
	return 0;
}

/*
 * spool:RECS and rec:RECS (see the top): the records, then what comes
 * back.  1 when the link ended, else 0 after our CLOSE(normal).
 */
static int
evil_records(int fd, struct nc_aead *send, struct nc_aead *recv,
    char *recs, int announce)
{
	uint8_t		 ping[8], closebody[2] = { CLOSE_NORMAL, 0 };
	char		*r, *hex, *last = NULL;
	long long	 t;

	if (announce) {
		memcpy(ping, WIRE_FEATURES_MAGIC, 4);
		put_u32(ping + 4, WIRE_FEAT_MSGS | WIRE_FEAT_SPOOL);
		if (seal_send(fd, send, REC_PING, ping, sizeof(ping)) == -1)
			die("write");
	}
	for (r = strtok_r(recs, "/", &last); r != NULL;
	    r = strtok_r(NULL, "/", &last)) {
		if ((hex = strchr(r, ':')) == NULL)
			die("bad -a: records are TYPE:HEX");
		*hex++ = '\0';
		if (nc_strtonum(r, 0, 255, &t, &errstr) == -1)
			die("bad record type");
		if (send_hex(fd, send, (uint8_t)t, hex) == -1)
			die("write");
	}
	if (spool_watch(fd, send, recv))
		return 1;
	if (seal_send(fd, send, REC_CLOSE, closebody, 2) == -1)
		die("write");
	return 0;
}

static void
mode_up(void)
{
	struct handshake	*hs;
	struct nc_aead		 send, recv;
	uint8_t			 hdr[4 + 64], closebody[2] = { CLOSE_NORMAL, 0 };
	static char		 buf[4096];
	char			*to, *from;
	long long		 len;
	int			 fd, ended = 0;

	memset(&send, 0, sizeof(send));
	memset(&recv, 0, sizeof(recv));
	if (key == NULL)
		die("mode up needs a private key");
	if ((fd = dial()) == -1)
		die("connect");
	hs = new_hs(WIRE_ROLE_INITIATOR);
	if (handshake(fd, hs, &send, &recv) == -1) {
		printf("handshake failed\n");
		exit(1);
	}
	hs_free(hs);
	printf("up\n");
	if (nc_strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		die("-a too long");
	if (strncmp(buf, "len:", 4) == 0) {
		if (nc_strtonum(buf + 4, 0, 0xffffffffLL, &len, &errstr) == -1)
			die("bad length");
		put_u32(hdr, (uint32_t)len);
		memset(hdr + 4, 0x41, sizeof(hdr) - 4);
		if (write_all(fd, hdr, sizeof(hdr)) == -1)
			die("write");
	} else if (strncmp(buf, "afterclose:", 11) == 0) {
		/* Both in one write: the daemon must ignore the MSG. */
		if (seal_send(fd, &send, REC_CLOSE, closebody, 2) == -1 ||
		    send_msg(fd, &send, "evil", buf + 11,
		    "after CLOSE") == -1)
			die("write");
	} else if (strncmp(buf, "msg:", 4) == 0 &&
	    (to = strchr(buf + 4, ':')) != NULL) {
		*to++ = '\0';
		from = buf + 4;
		if (send_msg(fd, &send, from, to, "hello from evil") == -1)
			die("write");
		(void)sleep(1);
		if (seal_send(fd, &send, REC_CLOSE, closebody, 2) == -1)
			die("write");
	} else if (strncmp(buf, "msgs:", 5) == 0) {
		if (send_hex(fd, &send, REC_MSGS, buf + 5) == -1)
			die("write");
		(void)sleep(1);
		if (seal_send(fd, &send, REC_CLOSE, closebody, 2) == -1)
			die("write");
	} else if (strncmp(buf, "spool:", 6) == 0)
		ended = evil_records(fd, &send, &recv, buf + 6, 1);
	else if (strncmp(buf, "rec:", 4) == 0)
		ended = evil_records(fd, &send, &recv, buf + 4, 0);
	else if (strncmp(buf, "rekey:", 6) == 0)
		evil_rekey(fd, &send, &recv, buf + 6);
	else
		die("bad -a");
	if (!ended)
		await_end(fd, &recv);
	nc_aead_clear(&send);
	nc_aead_clear(&recv);
	(void)close(fd);
}

/* ---- man in the middle ------------------------------------------------ */

/* Read one HELLO from `from`, put our key in it, write it to `to`. */
static int
swap_hello(int from, int to)
{
	static uint8_t		rec[MAXREC], out[HS_HELLO_MAX];
	struct hs_hello_info	info;
	size_t			outlen;
	ssize_t			n;
	char			err[256];

	if ((n = read_rec(from, rec)) == -1 ||
	    hs_parse_hello(rec, (size_t)n, &info, err, sizeof(err)) == -1)
		return -1;
	memcpy(info.spki, spki, spkilen);
	info.spkilen = spkilen;
	if (hs_build_hello(&info, out, sizeof(out), &outlen, err,
	    sizeof(err)) == -1)
		return -1;
	return write_all(to, out, outlen);
}

static void
mode_mitm(void)
{
	struct sockaddr_in	sin;
	struct pollfd		pfd;
	int			lfd, cfd, sfd, on = 1, n = 0;
	time_t			end = time(NULL) + seconds;

	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)lport);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 16) == -1)
		die("listen");
	printf("ready\n");
	(void)fflush(stdout);
	while (time(NULL) < end) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if ((cfd = accept(lfd, NULL, NULL)) == -1)
			continue;
		timeouts(cfd, IO_TIMEOUT);
		if ((sfd = dial()) != -1) {
			/* Each daemon sends its HELLO at once. */
			if (swap_hello(cfd, sfd) == 0 &&
			    swap_hello(sfd, cfd) == 0)
				n++;
			await_end(sfd, NULL);
			(void)close(sfd);
		}
		(void)close(cfd);
		printf("mitm: %d HELLO pairs swapped\n", n);
		(void)fflush(stdout);
	}
	(void)close(lfd);
}

/* ---- main ------------------------------------------------------------- */

static void
load_key(const char *path)
{
	char		 err[256];
	FILE		*f;
	static char	 pem[16384];
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot open the key");
	n = fread(pem, 1, sizeof(pem) - 1, f);
	(void)fclose(f);
	pem[n] = '\0';
	if (strstr(pem, "PRIVATE KEY") != NULL)
		key = nc_load_privkey_mem(pem, n);
	OPENSSL_cleanse(pem, sizeof(pem));
	if (key == NULL && (key = nc_load_pubkey_file(path, err,
	    sizeof(err))) == NULL)
		die("cannot load the key");
	if (nc_pkey_spki(key, &spki, &spkilen) == -1)
		die("spki");
	if (strstr(path, ".pub") != NULL) {
		/* only the public half: no handshake can complete */
		EVP_PKEY_free(key);
		key = NULL;
	}
}

int
main(int argc, char *argv[])
{
	const char	*mode = NULL, *keyfile = NULL;
	long long	 v;
	int		 ch;

	while ((ch = getopt(argc, argv, "a:k:l:m:N:p:T:")) != -1) {
		switch (ch) {
		case 'a':
			arg = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
		case 'N':
		case 'p':
		case 'T':
			if (nc_strtonum(optarg, 1, 65535, &v, &errstr) == -1)
				die("bad number");
			if (ch == 'l')
				lport = (int)v;
			else if (ch == 'N')
				nconn = (int)v;
			else if (ch == 'p')
				port = (int)v;
			else
				seconds = (int)v;
			break;
		case 'm':
			mode = optarg;
			break;
		default:
			die("usage: evilpeer -p port -k key -m mode ...");
		}
	}
	if (mode == NULL || keyfile == NULL || port == 0)
		die("usage: evilpeer -p port -k key -m mode ...");
	(void)signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)seconds + 30);		/* bounded, whatever happens */
	load_key(keyfile);
	if (strcmp(mode, "stall") == 0)
		mode_stall();
	else if (strcmp(mode, "keyflood") == 0)
		mode_keyflood();
	else if (strcmp(mode, "plain") == 0)
		mode_plain();
	else if (strcmp(mode, "up") == 0)
		mode_up();
	else if (strcmp(mode, "mitm") == 0 && lport != 0)
		mode_mitm();
	else
		die("unknown mode");
	(void)fflush(stdout);
	EVP_PKEY_free(key);
	OPENSSL_free(spki);
	return 0;
}
