/*
 * ncload's client of the session protocol spoken raw (doc/SESSIONS.md),
 * for the durable modes of ncspool.c: the records it sends (ATTACH,
 * SEND with or without a lifetime, TAKEN) and reads, and a connection
 * that buffers both ways.  Raw, so that what a library does is not
 * measured, and so that the modes do not wait for libnetcrypt's
 * functions for lifetimes.  sess_check() ("ncload nc-durable-check")
 * checks the encoding against records written out by hand.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncload.h"
#include "ncsess.h"
#include "session_proto.h"

/* ---- records --------------------------------------------------------- */

void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

uint64_t
get_u64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ATTACH: u8 n, name, u8 flags.  Its length; 0 if cap is too small. */
size_t
rec_attach(uint8_t *b, size_t cap, const char *name, uint8_t flags)
{
	size_t	n = strlen(name), len = SP_HDR_LEN + 1 + n + 1;

	if (n > 255 || len > cap)
		return 0;
	put_u32(b, (uint32_t)(len - 4));
	b[4] = SP_ATTACH;
	b[5] = (uint8_t)n;
	memcpy(b + 6, name, n);
	b[6 + n] = flags;
	return len;
}

/*
 * SEND: u64 cid, u8 flags, [u32 lifetime if flags has SP_F_WITHIN],
 * u8 n, to, payload.  Its length; 0 if it does not fit.
 */
size_t
rec_send(uint8_t *b, size_t cap, uint64_t cid, uint8_t flags,
    uint32_t lifetime, const char *to, const uint8_t *pay, size_t len)
{
	size_t	tl = strlen(to), off = SP_HDR_LEN, total;

	total = SP_HDR_LEN + 8 + 1 + ((flags & SP_F_WITHIN) ? 4 : 0) + 1 +
	    tl + len;
	if (tl > 255 || total > cap || total - 4 > SP_MAX_LEN)
		return 0;
	put_u32(b, (uint32_t)(total - 4));
	b[4] = SP_SEND;
	put_u64(b + off, cid);
	off += 8;
	b[off++] = flags;
	if (flags & SP_F_WITHIN) {
		put_u32(b + off, lifetime);
		off += 4;
	}
	b[off++] = (uint8_t)tl;
	memcpy(b + off, to, tl);
	memcpy(b + off + tl, pay, len);
	return total;
}

/* TAKEN: u64 id. */
size_t
rec_taken(uint8_t *b, size_t cap, uint64_t id)
{
	if (cap < SP_HDR_LEN + 8)
		return 0;
	put_u32(b, 9);
	b[4] = SP_TAKEN;
	put_u64(b + 5, id);
	return SP_HDR_LEN + 8;
}

/*
 * The next whole record in b[0..n): its type and body; the bytes it
 * takes, 0 if it is not whole yet.  A length out of range ends the run.
 */
size_t
rec_next(const uint8_t *b, size_t n, uint8_t *type, const uint8_t **body,
    size_t *blen)
{
	uint32_t	len;

	if (n < SP_HDR_LEN)
		return 0;
	len = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	if (len < 1 || len > SP_MAX_LEN)
		die("a record of length %u from the daemon", len);
	if (n < 4 + (size_t)len)
		return 0;
	*type = b[4];
	*body = b + SP_HDR_LEN;
	*blen = len - 1;
	return 4 + (size_t)len;
}

/*
 * A delivered message (SDELIVER: u64 id, u8 n, from, payload; DELIVER:
 * u8 n, from, payload): its payload.  -1 if the body does not parse.
 */
int
rec_delivered(uint8_t type, const uint8_t *b, size_t n, uint64_t *id,
    const uint8_t **pay, size_t *plen)
{
	size_t	off = 0;

	if (type == SP_SDELIVER) {
		if (n < 8)
			return -1;
		*id = get_u64(b);
		off = 8;
	}
	if (n < off + 1 || n < off + 1 + b[off])
		return -1;
	off += 1 + (size_t)b[off];
	*pay = b + off;
	*plen = n - off;
	return 0;
}

/* ---- the connection ---------------------------------------------------- */

void
s_connect(struct sconn *c, const char *path)
{
	struct sockaddr_un	sun;

	memset(c, 0, sizeof(*c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die("socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect %s: %s", path, strerror(errno));
	c->outcap = (size_t)SESS_WINDOW_MAX * 128 + 4096;
	if ((c->in = malloc(SESS_INCAP)) == NULL ||
	    (c->out = malloc(c->outcap)) == NULL)
		die("no memory");
	(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

/* Room for n more bytes of output, else the run is wrong. */
uint8_t *
s_room(struct sconn *c, size_t n)
{
	if (c->outcap - c->outlen < n)
		die("session output buffer full");
	return c->out + c->outlen;
}

/* Writes what the socket takes now; 1 if some is left. */
int
s_flush(struct sconn *c)
{
	ssize_t	w;

	while (c->outlen > 0) {
		if ((w = write(c->fd, c->out, c->outlen)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 1;
			die("write to the daemon: %s", strerror(errno));
		}
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (size_t)w;
	}
	return 0;
}

/* One read; 0 if nothing came. */
int
s_read(struct sconn *c)
{
	ssize_t	n;

	if (c->inlen == SESS_INCAP)
		die("session input buffer full");
	if ((n = read(c->fd, c->in + c->inlen, SESS_INCAP - c->inlen)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		die("read from the daemon: %s", strerror(errno));
	}
	if (n == 0)
		die("the daemon closed the session (a protocol error, or it "
		    "stopped)");
	c->inlen += (size_t)n;
	return 1;
}

/* Hands each whole record to fn, keeps the rest. */
void
s_records(struct sconn *c, void (*fn)(void *, uint8_t, const uint8_t *,
    size_t), void *arg)
{
	const uint8_t	*body;
	size_t		 off = 0, used, blen;
	uint8_t		 type;

	while ((used = rec_next(c->in + off, c->inlen - off, &type, &body,
	    &blen)) > 0) {
		fn(arg, type, body, blen);
		off += used;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
on_attached(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
	int	*st = arg;

	if (type != SP_ATTACHED || n < 1)
		die("ATTACH answered with a record of type %u", type);
	*st = b[0];
}

/* ATTACH name with flags, and its answer within 10 s. */
void
s_attach(struct sconn *c, const char *name, uint8_t flags)
{
	struct pollfd	pfd;
	double		end = now_s() + 10;
	int		st = -1;

	c->outlen += rec_attach(s_room(c, 300), 300, name, flags);
	while (st == -1) {
		if (now_s() > end)
			die("ATTACH %s: no answer in 10 s", name);
		pfd.fd = c->fd;
		pfd.events = POLLIN | (s_flush(c) ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLIN) &&
		    s_read(c))
			s_records(c, on_attached, &st);
	}
	if (st != 0)
		die("ATTACH %s: status %d", name, st);
}

/* ---- the encoding, checked ----------------------------------------------- */

static void
check_bytes(const char *what, const uint8_t *got, size_t n,
    const uint8_t *want, size_t wn)
{
	if (n != wn || memcmp(got, want, n) != 0)
		die("session records: %s encoded wrongly", what);
}

int
sess_check(void)
{
	static const uint8_t	attach[] = { 0, 0, 0, 6, SP_ATTACH, 3, 'd',
				    'r', 'x', 1 };
	static const uint8_t	send[] = { 0, 0, 0, 22, SP_SEND,
				    0, 0, 0, 0, 0, 0, 1, 2, 2,
				    0, 0, 0x0e, 0x10, 4, 'a', '@', 'h', 'b',
				    0, 'h', 'i' };
	static const uint8_t	plain[] = { 0, 0, 0, 18, SP_SEND,
				    0, 0, 0, 0, 0, 0, 0, 7, 0,
				    4, 'a', '@', 'h', 'b', 0, 'h', 'i' };
	static const uint8_t	taken[] = { 0, 0, 0, 9, SP_TAKEN,
				    1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t	sdeliver[] = { 0, 0, 0, 16, SP_SDELIVER,
				    0, 0, 0, 0, 0, 0, 0, 42, 3, 'x', '@', 'h',
				    0, 'o', 'k', 0, 0, 0 };
	const uint8_t		 pay[] = { 0, 'h', 'i' }, *body, *p;
	uint8_t			 b[64], type;
	size_t			 n, blen, plen;
	uint64_t		 id = 0;

	check_bytes("ATTACH", b, rec_attach(b, sizeof(b), "drx", 1), attach,
	    sizeof(attach));
	check_bytes("SEND within", b, rec_send(b, sizeof(b), 258, SP_F_WITHIN,
	    3600, "a@hb", pay, sizeof(pay)), send, sizeof(send));
	check_bytes("SEND", b, rec_send(b, sizeof(b), 7, 0, 3600, "a@hb", pay,
	    sizeof(pay)), plain, sizeof(plain));
	check_bytes("TAKEN", b, rec_taken(b, sizeof(b), 0x0102030405060708ULL),
	    taken, sizeof(taken));
	if (rec_send(b, 20, 7, 0, 0, "a@hb", pay, sizeof(pay)) != 0)
		die("session records: SEND past its buffer");
	/* Not whole, then whole with 3 bytes of the next record after it. */
	if (rec_next(sdeliver, 19, &type, &body, &blen) != 0)
		die("session records: a part of a record taken as whole");
	n = rec_next(sdeliver, sizeof(sdeliver), &type, &body, &blen);
	if (n != 20 || type != SP_SDELIVER || blen != 15 ||
	    rec_delivered(type, body, blen, &id, &p, &plen) != 0 ||
	    id != 42 || plen != 3 || memcmp(p, "\0ok", 3) != 0)
		die("session records: SDELIVER parsed wrongly");
	if (rec_delivered(SP_SDELIVER, body, 11, &id, &p, &plen) != -1 ||
	    rec_delivered(SP_DELIVER, body + 8, 3, &id, &p, &plen) != -1)
		die("session records: a short delivery taken");
	printf("ok\n");
	return 0;
}

