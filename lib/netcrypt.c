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
 *
 * This file opens and closes sessions, sends messages and returns events
 * (the API of netcrypt.h but files), and holds the small helpers the
 * other files share; output.c and input.c move the bytes.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
	case NC_QUEUED:
		return "queued";
	case NC_EXPIRED:
		return "expired";
	case NC_SPOOL_FULL:
		return "spool full";
	case NC_AT_PEER:
		return "at peer";
	case NC_UNKNOWN_ID:
		return "unknown id";
	case NC_DROPPED:
		return "dropped";
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

/* The project's one clock, signed for the library's deadline arithmetic. */
int64_t
nc__now_ms(void)
{
	return (int64_t)now_ms();
}

/* Milliseconds until deadline (-1: none) for poll(), at most cap. */
int
nc__ms_left(int64_t deadline, int cap)
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
		rv = poll(&pfd, 1, nc__ms_left(deadline, -1));
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
		nc_seterr(err, errsz, "%s: socket path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		nc_seterr(err, errsz, "socket: %s", strerror(errno));
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
		nc_seterr(err, errsz, "%s: %s%s", path, strerror(e),
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
	uint8_t			 body[1 + NC_NAME_MAX + 1];
	size_t			 nlen;
	int64_t			 deadline;
	int			 fl, st;

	*sp = NULL;
	nlen = strnlen(name, NC_NAME_MAX + 1);
	if (nlen > 0 && !nc__valid_name(name, nlen)) {
		(void)close(fd);
		nc_seterr(err, errsz, "bad session name");
		return NC_BAD_NAME;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (s = session_new(fd)) == NULL) {
		nc_seterr(err, errsz, "%s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	s->anonymous = nlen == 0;
	body[0] = (uint8_t)nlen;
	memcpy(body + 1, name, nlen);
	/* The library takes messages from the spool (spool.c answers). */
	body[1 + nlen] = SP_ATTACH_SPOOL;
	deadline = nc__now_ms() + NC__ATTACH_MS;
	if (nc__queue_rec(s, SP_ATTACH, body, 2 + nlen) == -1)
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
		if (nc__pump(s, nc__ms_left(deadline, -1)) == -1)
			goto fail;
	}
	if ((st = s->attach_status) != NC_OK) {
		nc_seterr(err, errsz, "%s", nc_status_str(st));
		nc_close(s);
		return st;
	}
	*sp = s;
	return NC_OK;
fail:
	fl = errno;
	if (fl == EPIPE)
		nc_seterr(err, errsz, "netcryptd closed the connection");
	else if (fl == ETIMEDOUT)
		nc_seterr(err, errsz, "no answer from netcryptd");
	else if (fl == EPROTO)
		nc_seterr(err, errsz, "netcryptd sent a malformed answer");
	else
		nc_seterr(err, errsz, "%s", strerror(fl));
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
		nc_seterr(err, errsz, "bad session name");
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

/*
 * Our end is closed for writing, and what the daemon still sends is read
 * (and dropped) until it closes too, within the deadline: a socket
 * closed with input unread is reset, and the daemon, seeing the reset,
 * would drop the last records we wrote (a file's verdict) unread.
 */
static void
close_drain(struct nc_session *s, int64_t deadline)
{
	struct pollfd	pfd;
	ssize_t		n;

	if (s->error != 0 || s->wdead || s->eof ||
	    shutdown(s->fd, SHUT_WR) == -1)
		return;
	pfd.fd = s->fd;
	pfd.events = POLLIN;
	while (nc__now_ms() < deadline) {
		if (poll(&pfd, 1, nc__ms_left(deadline, -1)) == -1 &&
		    errno != EINTR)
			return;
		n = recv(s->fd, s->in, NC__IN_SIZE, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			return;
	}
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
	/*
	 * Senders of files being received learn of it now; files from the
	 * spool stay for the next receiver of the name.
	 */
	if (s->error == 0)
		nc__rx_close_all(s);
	/*
	 * What was queued (nc_send_more() included) should still reach the
	 * daemon: as much as the socket takes within NC__CLOSE_MS.
	 */
	deadline = nc__now_ms() + NC__CLOSE_MS;
	while (s->error == 0 && nc__flush_out(s) == 0 && s->outlen > 0 &&
	    !s->wdead && nc__now_ms() < deadline) {
		pfd.fd = s->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, nc__ms_left(deadline, -1)) == -1 &&
		    errno != EINTR)
			break;
	}
	close_drain(s, deadline);
	nc__rx_free_all(s);
	if (s->dirfd != -1)
		(void)close(s->dirfd);
	(void)close(s->fd);
	for (i = 0; i < NC__QMAX + NC__RX_MAX; i++)
		free(s->q[i].data);	/* queued events' and the slots' own */
	free(s->evdata);
	free(s->spare);
	free(s->rx_from);
	free(s->seen);
	nc__wfile_free(s);
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

/*
 * What nc_send(), nc_send_more() and their nc_send_within*() twins
 * share: the checks, room in the output, an id, and the record queued
 * (not yet written).  With SP_F_WITHIN, the lifetime is checked as the
 * daemon would (status 7), and so is the one destination it needs.
 */
int
nc__queue_text(struct nc_session *s, const char *to, const void *msg,
    size_t len, int flags, uint32_t lifetime, uint64_t *id)
{
	const uint8_t	ct = SP_CT_TEXT;
	size_t		tolen;
	uint64_t	cid;
	int		within = (flags & SP_F_WITHIN) != 0;

	if (s == NULL || to == NULL || (msg == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	tolen = strnlen(to, 256);
	if (!nc__valid_to(to, tolen, !within))
		return NC_BAD_NAME;
	if (within && (lifetime == 0 || lifetime > NC_LIFETIME_MAX))
		return NC_BAD_NAME;
	if (len > NC_MAX_PAYLOAD)
		return NC_TOO_LARGE;
	if (nc__wait_room(s, SP_HDR_LEN + 15 + tolen + 1 + len,
	    NC__ROOM_MS) == -1)
		return -1;
	cid = nc__cid(s, 0);
	if (nc__put_send(s, cid, flags, lifetime, to, tolen, &ct, 1, msg,
	    len) == -1)
		return -1;
	if (id != NULL)
		*id = cid;
	return NC_OK;
}

int
nc_send(struct nc_session *s, const char *to, const void *msg, size_t len,
    int want_receipt, uint64_t *id)
{
	int	r;

	if ((r = nc__queue_text(s, to, msg, len,
	    want_receipt ? SP_F_RECEIPT : 0, 0, id)) != NC_OK)
		return r;
	return nc__flush_out(s) == -1 ? -1 : NC_OK;
}

/*
 * Only queued: written when NC__BATCH bytes have been queued since the
 * last write, or by the next call that writes (nc_flush(), nc_send(),
 * nc_next(), nc_close(), waiting for room).
 */
int
nc_send_more(struct nc_session *s, const char *to, const void *msg,
    size_t len, int want_receipt, uint64_t *id)
{
	int	r;

	if ((r = nc__queue_text(s, to, msg, len,
	    want_receipt ? SP_F_RECEIPT : 0, 0, id)) != NC_OK)
		return r;
	if (s->held >= NC__BATCH && nc__flush_out(s) == -1)
		return -1;
	return NC_OK;
}

/* 0: all written; 1: the socket is full, the rest waits; -1: error. */
int
nc_flush(struct nc_session *s)
{
	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (nc__usable(s) == -1 || nc__flush_out(s) == -1)
		return -1;
	/* The daemon left: what was queued is lost. */
	if (nc__usable(s) == -1)
		return -1;
	return s->outlen > 0 ? 1 : 0;
}

/*
 * Pump until the answer that s->wait_kind names comes (its status), the
 * deadline passes (NC_TIMEOUT), or the session fails (-1).  The caller
 * has set waiting, wait_kind and wait_cid or wait_id.
 */
int
nc__wait(struct nc_session *s, int64_t deadline)
{
	int	r;

	s->wait_status = -1;
	for (;;) {
		if (nc__pump(s, nc__ms_left(deadline, -1)) == -1) {
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
		/* A late answer becomes an event. */
		if (deadline >= 0 && nc__now_ms() >= deadline) {
			r = NC_TIMEOUT;
			break;
		}
	}
	s->waiting = 0;
	return r;
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
	s->wait_kind = NC__WAIT_SEND;
	s->wait_cid = cid;
	return nc__wait(s, deadline);
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
	return nc__queue_rec(s, SP_PEERS, NULL, 0);
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
	/* The last event's data stays until the next event takes its place. */
	/* Records nc_send_more() held back go now, even if events wait. */
	if (s->held > 0 && nc__flush_out(s) == -1)
		return -1;
	/*
	 * The clock is read only when there is nothing to hand over: a
	 * reader taking a burst of events one call at a time never waits.
	 */
	deadline = -2;
	for (first = 1;; first = 0) {
		if (s->qcount == 0 && nc__parse_in(s) == -1)
			return -1;
		if (s->qcount > 0) {
			nc__pop_event(s, ev);
			/* Taken by a nc_*_wait() call: not the caller's. */
			if (ev->type == NC__EV_NONE)
				continue;
			/* From the spool: the daemon may count it delivered. */
			if (ev->type == NC_EV_MESSAGE && ev->id != 0)
				nc__spool_taken(s, ev->id);
			return 1;
		}
		if (deadline == -2)
			deadline = timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
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
		if (nc__pump(s, nc__ms_left(deadline, -1)) == -1)
			return -1;
	}
}
