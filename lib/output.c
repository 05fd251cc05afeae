/*
 * libnetcrypt: the output queue of a session.  Records are framed into
 * one bounded buffer and written whenever the non-blocking socket takes
 * them; a caller that needs room waits for it, with a deadline.  Records
 * of nc_send_more() are held back until NC__BATCH bytes have been queued
 * since the last write, so that a burst costs one send() per batch
 * rather than one per message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int
nc__room(const struct nc_session *s, size_t n)
{
	return s->outlen + n <= NC__OUT_MAX;
}

static int
out_reserve(struct nc_session *s, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (s->outoff > 0 && s->outoff + s->outlen + n > s->outcap) {
		memmove(s->out, s->out + s->outoff, s->outlen);
		s->outoff = 0;
	}
	if (s->outoff + s->outlen + n <= s->outcap)
		return 0;
	cap = s->outcap > 0 ? s->outcap : 8192;
	while (cap < s->outlen + n)
		cap *= 2;
	if ((p = realloc(s->out, cap)) == NULL)
		return -1;
	s->out = p;
	s->outcap = cap;
	return 0;
}

static void
out_add(struct nc_session *s, const void *p, size_t n)
{
	if (n > 0) {
		memcpy(s->out + s->outoff + s->outlen, p, n);
		s->outlen += n;
		s->held += n;
	}
}

/* Write what the socket takes now.  A closed peer is not an error yet. */
int
nc__flush_out(struct nc_session *s)
{
	ssize_t	n;

	/* Whatever is left after this attempt waits for POLLOUT. */
	s->held = 0;
	while (s->outlen > 0 && !s->wdead) {
		/* MSG_NOSIGNAL: a closed daemon must not kill the program. */
		n = send(s->fd, s->out + s->outoff, s->outlen,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EPIPE || errno == ECONNRESET) {
				/* Read what the daemon said before it left. */
				s->wdead = 1;
				break;
			}
			s->error = errno;
			return -1;
		}
		s->outoff += (size_t)n;
		s->outlen -= (size_t)n;
	}
	if (s->outlen == 0 || s->wdead) {
		s->outoff = 0;
		s->outlen = 0;
	}
	return 0;
}

int
nc__queue_rec(struct nc_session *s, uint8_t type, const void *body,
    size_t blen)
{
	uint8_t	hdr[SP_HDR_LEN];

	if (nc__usable(s) == -1)
		return -1;
	if (blen + 1 > SP_MAX_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	if (out_reserve(s, SP_HDR_LEN + blen) == -1)
		return -1;
	nc__put32(hdr, (uint32_t)(blen + 1));
	hdr[4] = type;
	out_add(s, hdr, sizeof(hdr));
	out_add(s, body, blen);
	return nc__flush_out(s);
}

/*
 * Queue a SEND record whose payload is p1 then p2 (so that a header and
 * the caller's data need no copy in between), without writing it.  The
 * caller has checked to, and tolen is its length; lifetime is written
 * only with SP_F_WITHIN.
 */
int
nc__put_send(struct nc_session *s, uint64_t cid, int flags, uint32_t lifetime,
    const char *to, size_t tolen, const void *p1, size_t l1, const void *p2,
    size_t l2)
{
	uint8_t	hdr[SP_HDR_LEN + 8 + 1 + 4 + 1];
	size_t	len, hlen;

	if (nc__usable(s) == -1)
		return -1;
	if (tolen > 255 || l1 > SP_MAX_LEN || l2 > SP_MAX_LEN) {
		errno = EINVAL;
		return -1;
	}
	hlen = SP_HDR_LEN + 8 + 1;
	len = 1 + 8 + 1 + 1 + tolen + l1 + l2 + (flags & SP_F_WITHIN ? 4 : 0);
	if (len > SP_MAX_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	if (out_reserve(s, 4 + len) == -1)
		return -1;
	nc__put32(hdr, (uint32_t)len);
	hdr[4] = SP_SEND;
	nc__put64(hdr + 5, cid);
	hdr[13] = (uint8_t)flags;
	if (flags & SP_F_WITHIN) {
		nc__put32(hdr + hlen, lifetime);
		hlen += 4;
	}
	hdr[hlen++] = (uint8_t)tolen;
	out_add(s, hdr, hlen);
	out_add(s, to, tolen);
	out_add(s, p1, l1);
	out_add(s, p2, l2);
	return 0;
}

/* nc__put_send(), then write what can be written without waiting. */
int
nc__send_rec(struct nc_session *s, uint64_t cid, int flags, const char *to,
    const void *p1, size_t l1, const void *p2, size_t l2)
{
	if (nc__put_send(s, cid, flags, 0, to, strnlen(to, 256), p1, l1, p2,
	    l2) == -1)
		return -1;
	return nc__flush_out(s);
}

/*
 * Wait (at most ms) until n more bytes fit in the output queue.  The
 * clock is read only when there is no room: a sender that keeps up pays
 * nothing here.
 */
int
nc__wait_room(struct nc_session *s, size_t n, int ms)
{
	int64_t	deadline = -1;

	while (!nc__room(s, n)) {
		if (nc__usable(s) == -1)
			return -1;
		if (deadline == -1)
			deadline = nc__now_ms() + ms;
		else if (nc__now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (nc__pump(s, nc__ms_left(deadline, -1)) == -1)
			return -1;
	}
	return nc__usable(s);
}
