/*
 * libnetcrypt: the session protocol between a local program and
 * netcryptd(8), over the daemon's session socket.
 *
 * The socket is non-blocking.  Output goes to a queue that is flushed
 * whenever the socket is writable; input is read into a buffer that holds
 * one whole record and parsed record by record into events.  Every wait
 * is a poll() with a deadline.  Memory is bounded: the output queue, the
 * event queue and the input buffer all have limits, and when one is
 * reached the library stops reading until it drains, so a flood slows
 * the daemon down instead of growing this process.
 *
 * Message ids: those handed to the caller are odd, those of the library's
 * own messages (file transfers) even, both from one increasing counter,
 * so a receipt can always be told apart without remembering every id.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#define NC_SOCKET	RUNSTATEDIR "/netcryptd/session.sock"
#define CONNECT_RETRY_MS 50	/* while the daemon's backlog is full */
#define PUMP_IDLE_MS	1000	/* longest sleep with nothing to watch */

static int	proto_error(struct nc_session *);
static int	parse_in(struct nc_session *);

const char *
nc_default_socket(void)
{
	return NC_SOCKET;
}

const char *
nc_status_str(int status)
{
	switch (status) {
	case NC_OK:
		return "ok";
	case NC_NO_SUCH_SESSION:
		return "no such session";
	case NC_NO_SUCH_PEER:
		return "no such peer";
	case NC_UNREACHABLE:
		return "peer unreachable";
	case NC_TOO_LARGE:
		return "too large";
	case NC_QUEUE_FULL:
		return "queue full";
	case NC_NAME_IN_USE:
		return "name in use";
	case NC_BAD_NAME:
		return "bad name";
	case NC_REJECTED:
		return "rejected";
	case NC_BUSY:
		return "busy";
	case NC_NOT_ALLOWED:
		return "name not allowed for this user";
	case NC_TIMEOUT:
		return "timed out";
	case NC_FILE_CORRUPT:
		return "file corrupt (size or SHA-256 mismatch)";
	case NC_FILE_IO:
		return "the receiver could not write the file";
	case NC_FILE_NO_SPACE:
		return "not enough free space at the receiver";
	default:
		return "unknown status";
	}
}

void
nc__seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* The project's one clock, signed for the library's deadline arithmetic. */
int64_t
nc__now_ms(void)
{
	return (int64_t)now_ms();
}

/* Milliseconds until deadline (-1: none) for poll(), at most cap. */
static int
ms_left(int64_t deadline, int cap)
{
	int64_t	left;

	if (deadline < 0)
		return cap;
	left = deadline - nc__now_ms();
	if (left < 0)
		left = 0;
	if (cap >= 0 && left > cap)
		left = cap;
	return (int)left;
}

int
nc__random(void *buf, size_t len)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A session or host name: [A-Za-z0-9._-]{1,64}. */
int
nc__valid_name(const char *s, size_t len)
{
	size_t	i;
	char	c;

	if (len == 0 || len > NC_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* "name", "name@peer", and with allow_star "*" and "*@peer". */
int
nc__valid_to(const char *to, size_t len, int allow_star)
{
	const char	*at;
	size_t		 left;

	at = memchr(to, '@', len);
	left = at != NULL ? (size_t)(at - to) : len;
	if (!(allow_star && left == 1 && to[0] == '*') &&
	    !nc__valid_name(to, left))
		return 0;
	if (at == NULL)
		return 1;
	/* A second '@' is not a name character, so this refuses it too. */
	return nc__valid_name(at + 1, len - left - 1);
}

uint64_t
nc__cid(struct nc_session *s, int internal)
{
	uint64_t	cid = s->cid + 1;

	if ((cid & 1) != (internal ? 0 : 1))
		cid++;
	s->cid = cid;
	return cid;
}

int
nc__cid_internal(uint64_t cid)
{
	return (cid & 1) == 0;
}

/* Whether sending can still work; -1 with errno if not. */
int
nc__usable(struct nc_session *s)
{
	if (s->error != 0) {
		errno = s->error;
		return -1;
	}
	if (s->wdead || s->eof) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static int
proto_error(struct nc_session *s)
{
	s->error = EPROTO;
	errno = EPROTO;
	return -1;
}

/* ---- output ----------------------------------------------------------- */

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
	}
}

/* Write what the socket takes now.  A closed peer is not an error yet. */
static int
flush_out(struct nc_session *s)
{
	ssize_t	n;

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

static int
queue_rec(struct nc_session *s, uint8_t type, const void *body, size_t blen)
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
	return flush_out(s);
}

/*
 * Queue a SEND record whose payload is p1 then p2 (so that a header and
 * the caller's data need no copy in between), then write what can be
 * written without waiting.  The caller has checked to.
 */
int
nc__send_rec(struct nc_session *s, uint64_t cid, int flags, const char *to,
    const void *p1, size_t l1, const void *p2, size_t l2)
{
	uint8_t	hdr[SP_HDR_LEN + 8 + 1 + 1];
	size_t	tolen, len;

	if (nc__usable(s) == -1)
		return -1;
	tolen = strnlen(to, 256);
	if (tolen > 255 || l1 > SP_MAX_LEN || l2 > SP_MAX_LEN) {
		errno = EINVAL;
		return -1;
	}
	len = 1 + 8 + 1 + 1 + tolen + l1 + l2;
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
	hdr[14] = (uint8_t)tolen;
	out_add(s, hdr, sizeof(hdr));
	out_add(s, to, tolen);
	out_add(s, p1, l1);
	out_add(s, p2, l2);
	return flush_out(s);
}

/* Wait (at most ms) until n more bytes fit in the output queue. */
int
nc__wait_room(struct nc_session *s, size_t n, int ms)
{
	int64_t	deadline = nc__now_ms() + ms;

	while (!nc__room(s, n)) {
		if (nc__usable(s) == -1)
			return -1;
		if (nc__now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (nc__pump(s, ms_left(deadline, -1)) == -1)
			return -1;
	}
	return nc__usable(s);
}

/* ---- input ------------------------------------------------------------ */

static int
read_in(struct nc_session *s)
{
	ssize_t	n;

	if (s->inlen == 0)
		s->inoff = 0;
	else if (s->inoff > 0) {
		memmove(s->in, s->in + s->inoff, s->inlen);
		s->inoff = 0;
	}
	if (s->inlen == NC__IN_SIZE)
		return 0;
	n = recv(s->fd, s->in + s->inlen, NC__IN_SIZE - s->inlen,
	    MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == ECONNRESET) {
			s->eof = 1;
			return 0;
		}
		s->error = errno;
		return -1;
	}
	if (n == 0)
		s->eof = 1;
	s->inlen += (size_t)n;
	return 0;
}

/* Whether a whole record waits in the input buffer. */
static int
in_complete(const struct nc_session *s)
{
	const uint8_t	*p = s->in + s->inoff;

	return s->inlen >= 4 && s->inlen - 4 >= nc__get32(p);
}

/* Room to take one more record: it may add an event or some output. */
static int
parse_allowed(const struct nc_session *s)
{
	return s->qcount < NC__QMAX && s->qbytes < NC__QBYTES &&
	    s->outlen < NC__OUT_MAX;
}

int
nc__push_event(struct nc_session *s, const struct nc_event *ev,
    const void *data, size_t len)
{
	struct nc__queued	*q;
	uint8_t			*copy;
	size_t			 cap;

	/*
	 * Reading stops at NC__QMAX; the extra NC__RX_MAX slots are for the
	 * file events that expiry adds without reading.  Past them, drop.
	 */
	if (s->qcount >= NC__QMAX + NC__RX_MAX) {
		s->lost++;
		return -1;
	}
	/*
	 * One byte more: a NUL after the data, for the caller's comfort.
	 * The buffer of the event before is reused when it is big enough:
	 * no allocation per message in a steady stream.
	 */
	if (s->spare != NULL && s->sparecap >= len + 1) {
		copy = s->spare;
		cap = s->sparecap;
		s->spare = NULL;
		s->sparecap = 0;
	} else if ((copy = malloc(len + 1)) == NULL) {
		s->error = ENOMEM;
		return -1;
	} else
		cap = len + 1;
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	q = &s->q[(s->qhead + s->qcount) % (NC__QMAX + NC__RX_MAX)];
	q->ev = *ev;
	q->ev.data = copy;
	q->ev.len = len;
	q->data = copy;
	q->cap = cap;
	s->qcount++;
	s->qbytes += len;
	return 0;
}

static void
pop_event(struct nc_session *s, struct nc_event *ev)
{
	struct nc__queued	*q = &s->q[s->qhead];

	*ev = q->ev;
	s->evdata = q->data;
	s->evcap = q->cap;
	q->data = NULL;
	s->qbytes -= q->ev.len;
	s->qhead = (s->qhead + 1) % (NC__QMAX + NC__RX_MAX);
	s->qcount--;
}

static int
on_receipt(struct nc_session *s, const uint8_t *b, size_t len)
{
	struct nc_event	ev;
	uint64_t	cid;

	if (len != 9)
		return proto_error(s);
	cid = nc__get64(b);
	/* An id this session never used is the daemon's mistake. */
	if (cid == 0 || cid > s->cid)
		return proto_error(s);
	if (nc__cid_internal(cid)) {
		if (s->tx != NULL)
			nc__tx_receipt(s, cid, b[8]);
		return 0;
	}
	if (s->waiting && cid == s->wait_cid) {
		s->wait_status = b[8];
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = NC_EV_RECEIPT;
	ev.id = cid;
	ev.status = b[8];
	(void)nc__push_event(s, &ev, NULL, 0);
	return 0;
}

static int
on_deliver(struct nc_session *s, const uint8_t *b, size_t len)
{
	struct nc_event	 ev;
	char		 from[NC__FROM_MAX + 1];
	const uint8_t	*p;
	size_t		 flen, plen;

	if (len < 1)
		return proto_error(s);
	flen = b[0];
	/* The daemon stamps from itself: anything but a name is a bug. */
	if (flen > NC__FROM_MAX || flen + 1 > len ||
	    !nc__valid_to((const char *)b + 1, flen, 0))
		return proto_error(s);
	memcpy(from, b + 1, flen);
	from[flen] = '\0';
	p = b + 1 + flen;
	plen = len - 1 - flen;
	/* The payload is another program's: odd ones are only ignored. */
	if (plen == 0) {
		s->ignored++;
		return 0;
	}
	switch (p[0]) {
	case SP_CT_TEXT:
		memset(&ev, 0, sizeof(ev));
		ev.type = NC_EV_MESSAGE;
		memcpy(ev.from, from, flen + 1);
		(void)nc__push_event(s, &ev, p + 1, plen - 1);
		break;
	case SP_CT_FILE_OFFER:
	case SP_CT_FILE_DATA:
	case SP_CT_FILE_END:
	case SP_CT_FILE_RESULT:
		nc__file_input(s, from, p, plen);
		break;
	default:
		s->ignored++;
		break;
	}
	return 0;
}

/* PEERLIST to "name up\n" lines. */
static int
on_peerlist(struct nc_session *s, const uint8_t *b, size_t len)
{
	struct nc_event	 ev;
	const char	*state;
	char		*text;
	size_t		 n, i, off, tlen, nlen;
	int		 r;

	if (len < 2)
		return proto_error(s);
	n = nc__get16(b);
	/* Each entry is at least 3 bytes: check n before trusting it. */
	if (n > (len - 2) / 3)
		return proto_error(s);
	tlen = n * (NC_NAME_MAX + sizeof(" unknown\n"));
	if ((text = malloc(tlen + 1)) == NULL) {
		s->error = ENOMEM;
		return -1;
	}
	off = 2;
	tlen = 0;
	for (i = 0; i < n; i++) {
		nlen = off < len ? b[off] : 0;
		if (off + 1 + nlen + 1 > len ||
		    !nc__valid_name((const char *)b + off + 1, nlen)) {
			free(text);
			return proto_error(s);
		}
		if (b[off + 1 + nlen] == SP_PEER_UP)
			state = "up";
		else if (b[off + 1 + nlen] == SP_PEER_DOWN)
			state = "down";
		else
			state = "unknown";
		memcpy(text + tlen, b + off + 1, nlen);
		tlen += nlen;
		r = snprintf(text + tlen, sizeof(" unknown\n"), " %s\n",
		    state);
		tlen += (size_t)r;
		off += 1 + nlen + 1;
	}
	if (off != len) {
		free(text);
		return proto_error(s);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = NC_EV_PEERS;
	(void)nc__push_event(s, &ev, text, tlen);
	free(text);
	return 0;
}

static int
on_attached(struct nc_session *s, const uint8_t *b, size_t len)
{
	size_t	dlen, slen;

	if (len < 3)
		return proto_error(s);
	dlen = b[1];
	if (2 + dlen + 1 > len)
		return proto_error(s);
	slen = b[2 + dlen];
	if (3 + dlen + slen != len)
		return proto_error(s);
	if (b[0] == NC_OK) {
		if (!nc__valid_name((const char *)b + 2, dlen) ||
		    !nc__valid_name((const char *)b + 3 + dlen, slen))
			return proto_error(s);
		memcpy(s->daemon, b + 2, dlen);
		s->daemon[dlen] = '\0';
		memcpy(s->name, b + 3 + dlen, slen);
		s->name[slen] = '\0';
	}
	s->attached = 1;
	s->attach_status = b[0];
	return 0;
}

static int
dispatch(struct nc_session *s, uint8_t type, const uint8_t *b, size_t len)
{
	if (!s->attached)
		return type == SP_ATTACHED ? on_attached(s, b, len) :
		    proto_error(s);
	switch (type) {
	case SP_RECEIPT:
		return on_receipt(s, b, len);
	case SP_DELIVER:
		return on_deliver(s, b, len);
	case SP_PEERLIST:
		return on_peerlist(s, b, len);
	default:
		/* A second ATTACHED, or a type we do not know. */
		return proto_error(s);
	}
}

/* Handle the whole records in the input buffer, while there is room. */
static int
parse_in(struct nc_session *s)
{
	const uint8_t	*p;
	uint32_t	 len;

	while (s->error == 0 && parse_allowed(s) && s->inlen >= 4) {
		p = s->in + s->inoff;
		len = nc__get32(p);
		/* Checked before waiting for the body that it announces. */
		if (len == 0 || len > SP_MAX_LEN)
			return proto_error(s);
		if (s->inlen - 4 < len)
			break;
		s->inoff += 4 + (size_t)len;
		s->inlen -= 4 + (size_t)len;
		if (dispatch(s, p[4], p + 5, len - 1) == -1)
			return -1;
		/*
		 * What follows ATTACHED waits for the caller's next call:
		 * a file offered now must not be refused merely because
		 * nc_receive_files() has not been called yet.
		 */
		if (p[4] == SP_ATTACHED)
			break;
	}
	if (s->inlen == 0)
		s->inoff = 0;
	if (s->error != 0) {
		errno = s->error;
		return -1;
	}
	return 0;
}

/*
 * One round: wait at most timeout_ms (-1: no limit) for the socket, write
 * what it takes, read what came, handle the records.  Returns 0 or -1.
 */
int
nc__pump(struct nc_session *s, int timeout_ms)
{
	struct pollfd	pfd;
	int64_t		now;
	size_t		q0;
	int		rv, expiry;

	if (s->error != 0) {
		errno = s->error;
		return -1;
	}
	now = nc__now_ms();
	q0 = s->qcount;
	nc__rx_expire(s, now);
	if (parse_in(s) == -1)
		return -1;
	pfd.fd = s->fd;
	pfd.events = 0;
	pfd.revents = 0;
	if (!s->eof && parse_allowed(s) && s->inlen < NC__IN_SIZE)
		pfd.events |= POLLIN;
	if (s->outlen > 0 && !s->wdead)
		pfd.events |= POLLOUT;
	if (pfd.events == 0 && (timeout_ms < 0 || timeout_ms > PUMP_IDLE_MS))
		timeout_ms = PUMP_IDLE_MS;
	/* Incoming files expire: wake up for the first of them. */
	expiry = nc__rx_wait(s, now);
	if (expiry >= 0 && (timeout_ms < 0 || timeout_ms > expiry))
		timeout_ms = expiry;
	/* Events are there already: only look, do not wait. */
	if (s->qcount != q0)
		timeout_ms = 0;
	/*
	 * Only to read, and not to wait: the receive itself says whether
	 * anything came.  A poll first would cost a program that polls
	 * nc_fd() itself one system call more for every message it reads.
	 */
	if (timeout_ms == 0 && pfd.events == POLLIN) {
		if (read_in(s) == -1)
			return -1;
		return parse_in(s);
	}
	rv = poll(pfd.events != 0 ? &pfd : NULL, pfd.events != 0 ? 1 : 0,
	    timeout_ms);
	if (rv == -1) {
		if (errno == EINTR)
			return 0;
		s->error = errno;
		return -1;
	}
	if (pfd.revents & (POLLOUT | POLLERR | POLLHUP))
		if (flush_out(s) == -1)
			return -1;
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		if ((pfd.events & POLLIN) && read_in(s) == -1)
			return -1;
	return parse_in(s);
}

/* The daemon is gone and nothing it said is left to handle. */
int
nc__drained(const struct nc_session *s)
{
	return s->eof && !in_complete(s) && (s->outlen == 0 || s->wdead);
}

/* ---- sessions --------------------------------------------------------- */

static struct nc_session *
session_new(int fd)
{
	struct nc_session	*s;
	size_t			 i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->in = malloc(NC__IN_SIZE)) == NULL) {
		free(s);
		return NULL;
	}
	s->fd = fd;
	s->dirfd = -1;
	s->rx_idle_ms = NC__RX_IDLE_MS;
	s->rx_max_size = NC_DEFAULT_MAX_FILE;
	s->rx_min_free = NC_DEFAULT_MIN_FREE;
	for (i = 0; i < NC__RX_MAX; i++)
		s->rx[i].fd = -1;
	return s;
}

static int
connect_wait(int fd, int64_t deadline)
{
	struct pollfd	pfd;
	socklen_t	sl = sizeof(int);
	int		e = 0, rv;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	do {
		rv = poll(&pfd, 1, ms_left(deadline, -1));
	} while (rv == -1 && errno == EINTR);
	if (rv == 0)
		errno = ETIMEDOUT;
	if (rv != 1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
		return -1;
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

static int
connect_unix(const char *path, int64_t deadline, char *err, size_t errsz)
{
	struct sockaddr_un	sun;
	size_t			len = strlen(path);
	int			fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (len >= sizeof(sun.sun_path)) {
		nc__seterr(err, errsz, "%s: socket path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		nc__seterr(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		/* A full backlog: the daemon is busy, try again shortly. */
		if (e == EAGAIN && nc__now_ms() < deadline) {
			(void)poll(NULL, 0, CONNECT_RETRY_MS);
			continue;
		}
		if ((e == EINPROGRESS || e == EINTR || e == EALREADY) &&
		    connect_wait(fd, deadline) == 0)
			break;
		if (e == EINPROGRESS || e == EINTR || e == EALREADY)
			e = errno;
		nc__seterr(err, errsz, "%s: %s%s", path, strerror(e),
		    e == ENOENT || e == ECONNREFUSED ?
		    " (is netcryptd running?)" :
		    e == EACCES || e == EPERM ?
		    " (the session socket is for its group)" : "");
		(void)close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Attach over a connected stream fd (taken over: closed on failure).
 * Also the entry point of the unit tests, which hand it one end of a
 * socketpair.
 */
int
nc__attach(struct nc_session **sp, int fd, const char *name, char *err,
    size_t errsz)
{
	struct nc_session	*s;
	uint8_t			 body[1 + NC_NAME_MAX];
	size_t			 nlen;
	int64_t			 deadline;
	int			 fl, st;

	*sp = NULL;
	nlen = strnlen(name, NC_NAME_MAX + 1);
	if (nlen > 0 && !nc__valid_name(name, nlen)) {
		(void)close(fd);
		nc__seterr(err, errsz, "bad session name");
		return NC_BAD_NAME;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (s = session_new(fd)) == NULL) {
		nc__seterr(err, errsz, "%s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	s->anonymous = nlen == 0;
	body[0] = (uint8_t)nlen;
	memcpy(body + 1, name, nlen);
	deadline = nc__now_ms() + NC__ATTACH_MS;
	if (queue_rec(s, SP_ATTACH, body, 1 + nlen) == -1)
		goto fail;
	while (!s->attached) {
		if (nc__drained(s)) {
			errno = EPIPE;
			goto fail;
		}
		if (nc__now_ms() >= deadline) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (nc__pump(s, ms_left(deadline, -1)) == -1)
			goto fail;
	}
	if ((st = s->attach_status) != NC_OK) {
		nc__seterr(err, errsz, "%s", nc_status_str(st));
		nc_close(s);
		return st;
	}
	*sp = s;
	return NC_OK;
fail:
	fl = errno;
	if (fl == EPIPE)
		nc__seterr(err, errsz, "netcryptd closed the connection");
	else if (fl == ETIMEDOUT)
		nc__seterr(err, errsz, "no answer from netcryptd");
	else if (fl == EPROTO)
		nc__seterr(err, errsz, "netcryptd sent a malformed answer");
	else
		nc__seterr(err, errsz, "%s", strerror(fl));
	nc_close(s);
	errno = fl;
	return -1;
}

int
nc_open(struct nc_session **sp, const char *socket_path, const char *name,
    char *err, size_t errsz)
{
	size_t	nlen;
	int	fd;

	if (sp == NULL) {
		errno = EINVAL;
		return -1;
	}
	*sp = NULL;
	if (name == NULL)
		name = "";
	/* Refused here, before any I/O: the daemon would refuse it too. */
	nlen = strnlen(name, NC_NAME_MAX + 1);
	if (nlen > 0 && !nc__valid_name(name, nlen)) {
		nc__seterr(err, errsz, "bad session name");
		return NC_BAD_NAME;
	}
	if (socket_path == NULL)
		socket_path = nc_default_socket();
	fd = connect_unix(socket_path, nc__now_ms() + NC__ATTACH_MS, err,
	    errsz);
	if (fd == -1)
		return -1;
	return nc__attach(sp, fd, name, err, errsz);
}

void
nc_close(struct nc_session *s)
{
	struct pollfd	pfd;
	int64_t		deadline;
	size_t		i;
	int		saved = errno;

	if (s == NULL)
		return;
	/* Senders of files being received learn of it now. */
	if (s->error == 0)
		nc__rx_fail_all(s);
	/* What was queued should still reach the daemon: a bit. */
	deadline = nc__now_ms() + NC__CLOSE_MS;
	while (s->outlen > 0 && !s->wdead && s->error == 0 &&
	    nc__now_ms() < deadline) {
		pfd.fd = s->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, ms_left(deadline, -1)) == -1 &&
		    errno != EINTR)
			break;
		if (flush_out(s) == -1)
			break;
	}
	nc__rx_free_all(s);
	if (s->dirfd != -1)
		(void)close(s->dirfd);
	(void)close(s->fd);
	for (i = 0; i < s->qcount; i++)
		free(s->q[(s->qhead + i) % (NC__QMAX + NC__RX_MAX)].data);
	free(s->evdata);
	free(s->spare);
	free(s->rx_from);
	free(s->in);
	free(s->out);
	free(s);
	errno = saved;
}

const char *
nc_session_name(const struct nc_session *s)
{
	return s->name;
}

const char *
nc_daemon_name(const struct nc_session *s)
{
	return s->daemon;
}

int
nc_fd(const struct nc_session *s)
{
	return s->fd;
}

/* ---- messages --------------------------------------------------------- */

int
nc_send(struct nc_session *s, const char *to, const void *msg, size_t len,
    int want_receipt, uint64_t *id)
{
	const uint8_t	ct = SP_CT_TEXT;
	size_t		tolen;
	uint64_t	cid;

	if (s == NULL || to == NULL || (msg == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	tolen = strnlen(to, 256);
	if (!nc__valid_to(to, tolen, 1))
		return NC_BAD_NAME;
	if (len > NC_MAX_PAYLOAD)
		return NC_TOO_LARGE;
	if (nc__wait_room(s, SP_HDR_LEN + 11 + tolen + 1 + len,
	    NC__ROOM_MS) == -1)
		return -1;
	cid = nc__cid(s, 0);
	if (nc__send_rec(s, cid, want_receipt ? SP_F_RECEIPT : 0, to, &ct, 1,
	    msg, len) == -1)
		return -1;
	if (id != NULL)
		*id = cid;
	return NC_OK;
}

int
nc_send_wait(struct nc_session *s, const char *to, const void *msg,
    size_t len, int timeout_ms)
{
	int64_t		deadline;
	uint64_t	cid;
	int		r;

	if (s != NULL && s->waiting) {
		errno = EBUSY;
		return -1;
	}
	deadline = timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
	if ((r = nc_send(s, to, msg, len, 1, &cid)) != NC_OK)
		return r;
	s->waiting = 1;
	s->wait_cid = cid;
	s->wait_status = -1;
	for (;;) {
		if (nc__pump(s, ms_left(deadline, -1)) == -1) {
			r = -1;
			break;
		}
		if (s->wait_status != -1) {
			r = s->wait_status;
			break;
		}
		if (nc__drained(s)) {
			errno = EPIPE;
			r = -1;
			break;
		}
		/* A late receipt becomes an NC_EV_RECEIPT event. */
		if (deadline >= 0 && nc__now_ms() >= deadline) {
			r = NC_TIMEOUT;
			break;
		}
	}
	s->waiting = 0;
	return r;
}

int
nc_request_peers(struct nc_session *s)
{
	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (nc__wait_room(s, SP_HDR_LEN, NC__ROOM_MS) == -1)
		return -1;
	return queue_rec(s, SP_PEERS, NULL, 0);
}

int
nc_next(struct nc_session *s, struct nc_event *ev, int timeout_ms)
{
	int64_t	deadline;
	int	first;

	if (s == NULL || ev == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* The last event's data is no longer valid: keep the larger buffer. */
	if (s->evdata != NULL && s->evcap > s->sparecap) {
		free(s->spare);
		s->spare = s->evdata;
		s->sparecap = s->evcap;
	} else
		free(s->evdata);
	s->evdata = NULL;
	deadline = timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
	for (first = 1;; first = 0) {
		if (s->qcount == 0 && parse_in(s) == -1)
			return -1;
		if (s->qcount > 0) {
			pop_event(s, ev);
			return 1;
		}
		if (s->error != 0) {
			errno = s->error;
			return -1;
		}
		if (nc__drained(s)) {
			errno = EPIPE;
			return -1;
		}
		/* With 0, still look once at what the socket holds. */
		if (!first && deadline >= 0 && nc__now_ms() >= deadline)
			return 0;
		if (nc__pump(s, ms_left(deadline, -1)) == -1)
			return -1;
	}
}
