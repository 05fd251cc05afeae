/*
 * libnetcrypt: the input of a session.  Bytes from the socket are read
 * into a buffer that holds one whole record; each record is checked and
 * turned into events on a bounded queue (receipts, messages, the peer
 * list), or handed to file.c when it carries a file.  nc__pump() is the
 * one loop that moves both directions until the caller's deadline.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define PUMP_IDLE_MS	1000	/* longest sleep with nothing to watch */

int
nc__proto_error(struct nc_session *s)
{
	s->error = EPROTO;
	errno = EPROTO;
	return -1;
}

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

/*
 * A buffer of at least need bytes for slot q: its own small one, or the
 * larger one an event before left (spare), or a new one.  NULL: no memory.
 */
static uint8_t *
slot_buffer(struct nc_session *s, struct nc__queued *q, size_t need)
{
	if (q->data != NULL && q->cap >= need)
		return q->data;
	free(q->data);
	q->data = NULL;
	q->cap = 0;
	if (s->spare != NULL && s->sparecap >= need) {
		q->data = s->spare;
		q->cap = s->sparecap;
		s->spare = NULL;
		s->sparecap = 0;
	} else if ((q->data = malloc(need)) != NULL)
		q->cap = need;
	return q->data;
}

int
nc__push_event(struct nc_session *s, const struct nc_event *ev,
    const void *data, size_t len)
{
	struct nc__queued	*q;
	uint8_t			*copy;

	/*
	 * Reading stops at NC__QMAX; the extra NC__RX_MAX slots are for the
	 * file events that expiry adds without reading.  Past them, drop.
	 */
	if (s->qcount >= NC__QMAX + NC__RX_MAX) {
		s->lost++;
		return -1;
	}
	q = &s->q[(s->qhead + s->qcount) % (NC__QMAX + NC__RX_MAX)];
	/*
	 * One byte more: a NUL after the data, for the caller's comfort.
	 * No allocation per message in a steady stream (slot_buffer()).
	 */
	if ((copy = slot_buffer(s, q, len + 1)) == NULL) {
		s->error = ENOMEM;
		return -1;
	}
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	q->ev = *ev;
	q->ev.data = copy;
	q->ev.len = len;
	s->qcount++;
	s->qbytes += len;
	return 0;
}

void
nc__pop_event(struct nc_session *s, struct nc_event *ev)
{
	struct nc__queued	*q = &s->q[s->qhead];
	uint8_t			*old = s->evdata;	/* no longer valid */
	size_t			 oldcap = s->evcap;

	*ev = q->ev;
	s->evdata = q->data;
	s->evcap = q->cap;
	/* The slot keeps the last event's buffer if small; else spare. */
	q->data = NULL;
	q->cap = 0;
	if (old != NULL && oldcap <= NC__SLOT_KEEP) {
		q->data = old;
		q->cap = oldcap;
	} else if (old != NULL && oldcap > s->sparecap) {
		free(s->spare);
		s->spare = old;
		s->sparecap = oldcap;
	} else
		free(old);
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
		return nc__proto_error(s);
	cid = nc__get64(b);
	/* An id this session never used is the daemon's mistake. */
	if (cid == 0 || cid > s->cid)
		return nc__proto_error(s);
	if (nc__cid_internal(cid)) {
		if (s->tx != NULL)
			nc__tx_receipt(s, cid, b[8]);
		else if (s->wtx != NULL)
			nc__wtx_receipt(s, cid, b[8]);
		return 0;
	}
	if (s->waiting && s->wait_kind == NC__WAIT_SEND &&
	    cid == s->wait_cid) {
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

/*
 * DELIVER's body, or SDELIVER's after its spool id (0 for DELIVER).  A
 * text becomes an event (the spool's TAKEN goes when nc_next() returns
 * it); the records of file transfers, and payloads that are ignored, are
 * the library's and done with here.
 */
int
nc__deliver(struct nc_session *s, uint64_t spool_id, const uint8_t *b,
    size_t len)
{
	struct nc_event	 ev;
	char		 from[NC__FROM_MAX + 1];
	const uint8_t	*p;
	size_t		 flen, plen;

	if (len < 1)
		return nc__proto_error(s);
	flen = b[0];
	/* The daemon stamps from itself: anything but a name is a bug. */
	if (flen > NC__FROM_MAX || flen + 1 > len ||
	    !nc__valid_to((const char *)b + 1, flen, 0))
		return nc__proto_error(s);
	memcpy(from, b + 1, flen);
	from[flen] = '\0';
	p = b + 1 + flen;
	plen = len - 1 - flen;
	/* The payload is another program's: odd ones are only ignored. */
	if (plen == 0) {
		s->ignored++;
		if (spool_id != 0)
			nc__spool_taken(s, spool_id);
		return 0;
	}
	switch (p[0]) {
	case SP_CT_TEXT:
		memset(&ev, 0, sizeof(ev));
		ev.type = NC_EV_MESSAGE;
		ev.id = spool_id;
		memcpy(ev.from, from, flen + 1);
		(void)nc__push_event(s, &ev, p + 1, plen - 1);
		return 0;
	case SP_CT_FILE_OFFER:
	case SP_CT_FILE_DATA:
	case SP_CT_FILE_END:
	case SP_CT_FILE_RESULT:
	case SP_CT_FILE_ABORT:
		/* Its TAKEN, if spooled, when the file has it (file.c). */
		nc__file_input(s, from, p, plen, spool_id);
		return 0;
	default:
		s->ignored++;
		break;
	}
	if (spool_id != 0)
		nc__spool_taken(s, spool_id);
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
		return nc__proto_error(s);
	n = nc__get16(b);
	/* Each entry is at least 3 bytes: check n before trusting it. */
	if (n > (len - 2) / 3)
		return nc__proto_error(s);
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
			return nc__proto_error(s);
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
		return nc__proto_error(s);
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
		return nc__proto_error(s);
	dlen = b[1];
	if (2 + dlen + 1 > len)
		return nc__proto_error(s);
	slen = b[2 + dlen];
	if (3 + dlen + slen != len)
		return nc__proto_error(s);
	if (b[0] == NC_OK) {
		if (!nc__valid_name((const char *)b + 2, dlen) ||
		    !nc__valid_name((const char *)b + 3 + dlen, slen))
			return nc__proto_error(s);
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
		    nc__proto_error(s);
	switch (type) {
	case SP_RECEIPT:
		return on_receipt(s, b, len);
	case SP_DELIVER:
		return nc__deliver(s, 0, b, len);
	case SP_PEERLIST:
		return on_peerlist(s, b, len);
	case SP_QUEUED:
		return nc__on_queued(s, b, len);
	case SP_SDELIVER:
		return nc__on_sdeliver(s, b, len);
	case SP_FINAL:
	case SP_STATE:
		return nc__on_end(s, type, b, len);
	default:
		/* A second ATTACHED, or a type we do not know. */
		return nc__proto_error(s);
	}
}

/* Handle the whole records in the input buffer, while there is room. */
int
nc__parse_in(struct nc_session *s)
{
	const uint8_t	*p;
	uint32_t	 len;

	while (s->error == 0 && parse_allowed(s) && s->inlen >= 4) {
		p = s->in + s->inoff;
		len = nc__get32(p);
		/* Checked before waiting for the body that it announces. */
		if (len == 0 || len > SP_MAX_LEN)
			return nc__proto_error(s);
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
	if (nc__parse_in(s) == -1)
		return -1;
	/* Spooled chunks written: their fsync and TAKENs before a wait. */
	nc__rx_sync_idle(s);
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
		return nc__parse_in(s);
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
		if (nc__flush_out(s) == -1)
			return -1;
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		if ((pfd.events & POLLIN) && read_in(s) == -1)
			return -1;
	return nc__parse_in(s);
}

/* The daemon is gone and nothing it said is left to handle. */
int
nc__drained(const struct nc_session *s)
{
	return s->eof && !in_complete(s) && (s->outlen == 0 || s->wdead);
}

