/*
 * libnetcrypt: file transfer inside message payloads.
 *
 * Sender: FILE_OFFER {xfer, size, sha256, name}, then FILE_DATA chunks
 * with receipts, at most NC__WINDOW in flight, go-back-N on a refused
 * chunk, then FILE_END, then the receiver's FILE_RESULT.  The file is read
 * twice (hash, then data) rather than kept: memory does not grow with it.
 *
 * Receiver: takes chunks only in order (the sender's go-back-N fills any
 * gap), writes them to a temporary file created O_EXCL in the output
 * directory through a directory fd, checks size and SHA-256 at the end,
 * and links the file to a free name without ever replacing one.  The
 * name comes from another host: it is refused outright unless it is a
 * plain, printable name of one path component that starts with neither
 * '.' nor '-'.  An offer is judged whole before anything is created:
 * its sender, name, size and the free space it would leave.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"

#define TMP_TRIES	16	/* random temporary names before giving up */
#define LINK_MAX_SUFFIX	1000	/* name.1 ... name.1000 */

enum { TX_OFFER, TX_DATA, TX_END };
enum { CTL_SEND, CTL_FLIGHT, CTL_DONE };

struct nc__chunk {
	uint64_t	cid;
	uint64_t	off;
	uint32_t	len;
	int		acked;
};

/* A file being sent: lives on nc_send_file()'s stack. */
struct nc__tx {
	uint64_t	 xfer;
	const char	*to;
	const char	*name;
	size_t		 namelen;
	int		 fd;
	uint64_t	 size;
	uint8_t		 sha[NC__SHA_LEN];
	uint8_t		*buf;		/* one FILE_DATA payload */
	int		 phase;
	int		 ctl;		/* of the OFFER or the END */
	uint64_t	 ctl_cid;
	int64_t		 end_at;	/* when the END was delivered */
	struct nc__chunk win[NC__WINDOW];	/* by offset, unacknowledged */
	int		 nwin;
	int		 cwnd;		/* chunks allowed in flight now */
	uint64_t	 next;		/* offset of the next chunk to send */
	uint64_t	 fail_off;	/* of the last go-back */
	int		 backoff;	/* ms */
	int64_t		 retry_at;	/* nothing is sent before */
	int		 progress;	/* a receipt said ok: reset the timer */
	int		 started;	/* the offer was accepted */
	int		 fail;		/* a status that ends the transfer */
	int		 result;	/* the receiver's, -1 until it came */
};

/* ---- receiving -------------------------------------------------------- */

int
nc_receive_files(struct nc_session *s, const char *dir)
{
	int	fd = -1;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (dir != NULL &&
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fd != -1)
		nc__remove_stale(fd);
	/* Files on their way into the old directory end there. */
	if (s->dirfd != -1) {
		nc__rx_fail_all(s);
		(void)close(s->dirfd);
	}
	s->dirfd = fd;
	return 0;
}

static struct nc__rx *
rx_find(struct nc_session *s, const char *from, uint64_t xfer)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (s->rx[i].used && s->rx[i].xfer == xfer &&
		    strcmp(s->rx[i].from, from) == 0)
			return &s->rx[i];
	return NULL;
}

static struct nc__rx *
rx_slot(struct nc_session *s)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (!s->rx[i].used)
			return &s->rx[i];
	return NULL;
}

/* Milliseconds until the first incoming file expires, -1 if none. */
int
nc__rx_wait(const struct nc_session *s, int64_t now)
{
	int64_t	left, min = -1;
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++) {
		if (!s->rx[i].used)
			continue;
		left = s->rx[i].last + s->rx_idle_ms + 1 - now;
		if (left < 0)
			left = 0;
		if (min == -1 || left < min)
			min = left;
	}
	return min > INT32_MAX ? INT32_MAX : (int)min;
}

/* Forget a transfer; its temporary file goes with it. */
static void
rx_clear(struct nc_session *s, struct nc__rx *rx)
{
	if (rx->fd != -1)
		(void)close(rx->fd);
	if (rx->tmp[0] != '\0' && s->dirfd != -1)
		(void)unlinkat(s->dirfd, rx->tmp, 0);
	EVP_MD_CTX_free(rx->md);
	memset(rx, 0, sizeof(*rx));
	rx->fd = -1;
}

void
nc__rx_free_all(struct nc_session *s)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (s->rx[i].used)
			rx_clear(s, &s->rx[i]);
}

/* FILE_RESULT to the sender, without a receipt: it is only an answer. */
static void
rx_reply(struct nc_session *s, const char *to, uint64_t xfer, int status)
{
	uint8_t	b[1 + NC__RESULT_LEN];

	b[0] = SP_CT_FILE_RESULT;
	nc__put64(b + 1, xfer);
	b[9] = (uint8_t)status;
	(void)nc__send_rec(s, nc__cid(s, 1), 0, to, b, sizeof(b), NULL, 0);
}

static void
rx_remember(struct nc_session *s, const char *from, uint64_t xfer,
    int status)
{
	struct nc__done	*d = &s->done[s->ndone++ % NC__DONE_MAX];

	memcpy(d->from, from, sizeof(d->from));
	d->xfer = xfer;
	d->status = status;
}

/* The name bytes as far as they go in ev->name (the caller escapes). */
static void
rx_event(struct nc_session *s, int type, const char *from,
    const uint8_t *name, size_t namelen, uint64_t size, int status)
{
	struct nc_event	 ev;
	const uint8_t	*nul;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.status = status;
	ev.size = size;
	memcpy(ev.from, from, strlen(from) + 1);
	if ((nul = memchr(name, '\0', namelen)) != NULL)
		namelen = (size_t)(nul - name);
	if (namelen > sizeof(ev.name) - 1)
		namelen = sizeof(ev.name) - 1;
	memcpy(ev.name, name, namelen);
	(void)nc__push_event(s, &ev, NULL, 0);
}

static void
rx_fail(struct nc_session *s, struct nc__rx *rx, int status)
{
	rx_reply(s, rx->from, rx->xfer, status);
	rx_remember(s, rx->from, rx->xfer, status);
	rx_event(s, NC_EV_FILE_FAILED, rx->from, (const uint8_t *)rx->name,
	    strlen(rx->name), rx->got, status);
	rx_clear(s, rx);
}

/* Refuse every file being received, telling each sender. */
void
nc__rx_fail_all(struct nc_session *s)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (s->rx[i].used)
			rx_fail(s, &s->rx[i], NC_REJECTED);
}

void
nc__rx_expire(struct nc_session *s, int64_t now)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (s->rx[i].used && now - s->rx[i].last > s->rx_idle_ms)
			rx_fail(s, &s->rx[i], NC_TIMEOUT);
}

/*
 * The temporary file, locked for as long as it is open (see
 * nc__remove_stale()), under the directory lock if it can be had.
 */
static int
rx_open_tmp(struct nc_session *s, struct nc__rx *rx)
{
	uint8_t	r[6];
	int	i, fd = -1, locked;

	locked = nc__lock_within(s->dirfd, LOCK_SH) == 0;
	for (i = 0; i < TMP_TRIES; i++) {
		if (nc__random(r, sizeof(r)) == -1)
			return -1;
		(void)snprintf(rx->tmp, sizeof(rx->tmp),
		    NC__TMP_PREFIX "%02x%02x%02x%02x%02x%02x",
		    r[0], r[1], r[2], r[3], r[4], r[5]);
		/* Relative to the directory fd: nothing can lead elsewhere. */
		fd = openat(s->dirfd, rx->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd != -1)
		(void)flock(fd, LOCK_EX | LOCK_NB);	/* new: nobody has it */
	if (locked)
		(void)flock(s->dirfd, LOCK_UN);
	if (fd == -1)
		rx->tmp[0] = '\0';
	return fd;
}

/* The verdict on an offer, before anything is created. */
static int
rx_judge(struct nc_session *s, const char *from, uint64_t size,
    const uint8_t *name, size_t namelen)
{
	if (s->dirfd == -1 || !nc__rx_sender_ok(s, from) ||
	    !nc__valid_file_name(name, namelen))
		return NC_REJECTED;
	if (size > INT64_MAX || (s->rx_max_size != 0 &&
	    size > s->rx_max_size))
		return NC_TOO_LARGE;
	if (rx_slot(s) == NULL)
		return NC_BUSY;
	return nc__rx_space(s, size);
}

static int
rx_start(struct nc_session *s, struct nc__rx *rx, const char *from,
    uint64_t xfer, uint64_t size, const uint8_t *sha, const uint8_t *name,
    size_t namelen)
{
	memset(rx, 0, sizeof(*rx));
	rx->fd = -1;
	if ((rx->fd = rx_open_tmp(s, rx)) == -1)
		return NC_FILE_IO;
	if ((rx->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(rx->md, EVP_sha256(), NULL) != 1) {
		rx_clear(s, rx);
		return NC_FILE_IO;
	}
	rx->used = 1;
	memcpy(rx->from, from, strlen(from) + 1);
	rx->xfer = xfer;
	rx->size = size;
	memcpy(rx->sha, sha, NC__SHA_LEN);
	memcpy(rx->name, name, namelen);
	rx->name[namelen] = '\0';
	rx->last = nc__now_ms();
	return NC_OK;
}

static void
rx_offer(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len)
{
	const uint8_t	*name;
	uint64_t	 xfer, size;
	size_t		 namelen;
	int		 st;

	if (len < NC__OFFER_HDR ||
	    len != NC__OFFER_HDR + (size_t)nc__get16(p + 48)) {
		s->ignored++;
		return;
	}
	xfer = nc__get64(p);
	size = nc__get64(p + 8);
	namelen = nc__get16(p + 48);
	name = p + NC__OFFER_HDR;
	/* The sender offers again when it did not learn of the first one. */
	if (rx_find(s, from, xfer) != NULL)
		return;
	/* A judged offer has a free slot. */
	if ((st = rx_judge(s, from, size, name, namelen)) == NC_OK)
		st = rx_start(s, rx_slot(s), from, xfer, size, p + 16, name,
		    namelen);
	if (st != NC_OK) {
		rx_reply(s, from, xfer, st);
		rx_event(s, NC_EV_FILE_FAILED, from, name, namelen, size, st);
	}
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
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

static void
rx_data(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len)
{
	struct nc__rx	*rx;
	size_t		 dlen;

	if (len < NC__DATA_HDR) {
		s->ignored++;
		return;
	}
	if ((rx = rx_find(s, from, nc__get64(p))) == NULL)
		return;
	rx->last = nc__now_ms();
	dlen = len - NC__DATA_HDR;
	/* A duplicate or a chunk after a gap: go-back-N will resend it. */
	if (nc__get64(p + 8) != rx->got || dlen == 0)
		return;
	if (dlen > rx->size - rx->got) {
		rx_fail(s, rx, NC_FILE_CORRUPT);
		return;
	}
	if (write_all(rx->fd, p + NC__DATA_HDR, dlen) == -1 ||
	    EVP_DigestUpdate(rx->md, p + NC__DATA_HDR, dlen) != 1) {
		rx_fail(s, rx, NC_FILE_IO);
		return;
	}
	rx->got += dlen;
}

/* Link the temporary file to name, name.1, ... never replacing one. */
static int
rx_link(struct nc_session *s, struct nc__rx *rx, char *final, size_t fsz)
{
	int	i, n;

	for (i = 0; i <= LINK_MAX_SUFFIX; i++) {
		if (i == 0)
			n = snprintf(final, fsz, "%s", rx->name);
		else
			n = snprintf(final, fsz, "%s.%d", rx->name, i);
		if (n < 0 || (size_t)n >= fsz) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (linkat(s->dirfd, rx->tmp, s->dirfd, final, 0) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* Verify, make durable, name.  The status for FILE_RESULT. */
static int
rx_finish(struct nc_session *s, struct nc__rx *rx, char *final, size_t fsz)
{
	uint8_t		md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (rx->got != rx->size)
		return NC_FILE_CORRUPT;
	if (EVP_DigestFinal_ex(rx->md, md, &mdlen) != 1 ||
	    mdlen != NC__SHA_LEN)
		return NC_FILE_IO;
	if (memcmp(md, rx->sha, NC__SHA_LEN) != 0)
		return NC_FILE_CORRUPT;
	if (fsync(rx->fd) == -1 || rx_link(s, rx, final, fsz) == -1)
		return NC_FILE_IO;
	(void)unlinkat(s->dirfd, rx->tmp, 0);
	rx->tmp[0] = '\0';
	/* The new name is durable only once the directory is. */
	if (fsync(s->dirfd) == -1) {
		(void)unlinkat(s->dirfd, final, 0);
		return NC_FILE_IO;
	}
	return NC_OK;
}

static void
rx_end(struct nc_session *s, const char *from, const uint8_t *p, size_t len)
{
	struct nc__rx	*rx;
	char		 final[256];
	uint64_t	 xfer;
	size_t		 i;
	int		 st;

	if (len != NC__END_LEN) {
		s->ignored++;
		return;
	}
	xfer = nc__get64(p);
	if ((rx = rx_find(s, from, xfer)) == NULL) {
		/*
		 * An END resent because our answer was lost: answer again.
		 * Any other was answered already (a refused offer, an
		 * expiry) or is noise: one answer per transfer is enough.
		 */
		for (i = 0; i < NC__DONE_MAX && i < s->ndone; i++)
			if (s->done[i].xfer == xfer &&
			    strcmp(s->done[i].from, from) == 0)
				rx_reply(s, from, xfer, s->done[i].status);
		return;
	}
	if ((st = rx_finish(s, rx, final, sizeof(final))) != NC_OK) {
		rx_fail(s, rx, st);
		return;
	}
	rx_reply(s, rx->from, xfer, NC_OK);
	rx_remember(s, rx->from, xfer, NC_OK);
	rx_event(s, NC_EV_FILE_SAVED, rx->from, (const uint8_t *)final,
	    strlen(final), rx->size, NC_OK);
	rx_clear(s, rx);
}

static void
tx_result(struct nc_session *s, const uint8_t *p, size_t len)
{
	if (len != NC__RESULT_LEN) {
		s->ignored++;
		return;
	}
	/* The transfer id is random: only the receiver knows it. */
	if (s->tx != NULL && s->tx->xfer == nc__get64(p) && s->tx->result < 0)
		s->tx->result = p[8];
}

/* A file payload from another session; p[0] is the content type. */
void
nc__file_input(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len)
{
	switch (p[0]) {
	case SP_CT_FILE_OFFER:
		rx_offer(s, from, p + 1, len - 1);
		break;
	case SP_CT_FILE_DATA:
		rx_data(s, from, p + 1, len - 1);
		break;
	case SP_CT_FILE_END:
		rx_end(s, from, p + 1, len - 1);
		break;
	case SP_CT_FILE_RESULT:
		tx_result(s, p + 1, len - 1);
		break;
	default:
		s->ignored++;
		break;
	}
}

/* ---- sending ---------------------------------------------------------- */

static int
retryable(int status)
{
	return status == NC_BUSY || status == NC_QUEUE_FULL ||
	    status == NC_UNREACHABLE;
}

static void
tx_backoff(struct nc__tx *tx)
{
	tx->retry_at = nc__now_ms() + tx->backoff;
	tx->backoff *= 2;
	if (tx->backoff > NC__BACKOFF_MAX)
		tx->backoff = NC__BACKOFF_MAX;
}

void
nc__tx_receipt(struct nc_session *s, uint64_t cid, int status)
{
	struct nc__tx	*tx = s->tx;
	int		 i;

	if (tx->ctl == CTL_FLIGHT && cid == tx->ctl_cid) {
		if (status == NC_OK) {
			/*
			 * A re-sent END that is delivered again is no sign
			 * that the receiver still knows the transfer (its
			 * daemon may have restarted): only the first one
			 * counts as progress, so the wait for FILE_RESULT
			 * stays bounded by the timeout.
			 */
			if (tx->phase != TX_END || tx->end_at == 0)
				tx->progress = 1;
			tx->ctl = CTL_DONE;
			tx->end_at = nc__now_ms();
			tx->backoff = NC__BACKOFF_MIN;
		} else if (retryable(status)) {
			tx->ctl = CTL_SEND;
			tx_backoff(tx);
		} else
			tx->fail = status;
		return;
	}
	for (i = 0; i < tx->nwin; i++)
		if (tx->win[i].cid == cid)
			break;
	if (i == tx->nwin)
		return;		/* sent before a go-back: forgotten */
	if (status == NC_OK) {
		tx->win[i].acked = 1;
		tx->progress = 1;
		if (tx->cwnd < NC__WINDOW)
			tx->cwnd++;
		if (tx->win[i].off >= tx->fail_off)
			tx->backoff = NC__BACKOFF_MIN;
		while (tx->nwin > 0 && tx->win[0].acked) {
			tx->nwin--;
			memmove(&tx->win[0], &tx->win[1],
			    (size_t)tx->nwin * sizeof(tx->win[0]));
		}
	} else if (retryable(status)) {
		/*
		 * Go back: this chunk and all after it are sent again, and
		 * fewer at a time, as the receiving side cannot keep up.
		 */
		tx->cwnd = tx->cwnd > 1 ? tx->cwnd / 2 : 1;
		tx->next = tx->win[i].off;
		tx->fail_off = tx->win[i].off;
		tx->nwin = i;
		tx_backoff(tx);
	} else
		tx->fail = status;
}

static int
pread_all(int fd, uint8_t *p, size_t len, uint64_t off)
{
	ssize_t	n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;	/* the file shrank under us */
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
tx_send_ctl(struct nc_session *s, struct nc__tx *tx)
{
	uint8_t	b[1 + NC__OFFER_HDR];
	size_t	len;

	if (!nc__room(s, sizeof(b) + tx->namelen + 300))
		return 0;
	tx->ctl_cid = nc__cid(s, 1);
	if (tx->phase == TX_OFFER) {
		b[0] = SP_CT_FILE_OFFER;
		nc__put64(b + 1, tx->xfer);
		nc__put64(b + 9, tx->size);
		memcpy(b + 17, tx->sha, NC__SHA_LEN);
		nc__put16(b + 17 + NC__SHA_LEN, (uint16_t)tx->namelen);
		len = sizeof(b);
	} else {
		b[0] = SP_CT_FILE_END;
		nc__put64(b + 1, tx->xfer);
		len = 1 + NC__END_LEN;
	}
	if (nc__send_rec(s, tx->ctl_cid, SP_F_RECEIPT, tx->to, b, len,
	    tx->phase == TX_OFFER ? tx->name : NULL,
	    tx->phase == TX_OFFER ? tx->namelen : 0) == -1)
		return -1;
	tx->ctl = CTL_FLIGHT;
	return 0;
}

/* Fill the window while the output queue has room. */
static int
tx_send_data(struct nc_session *s, struct nc__tx *tx)
{
	struct nc__chunk	*c;
	size_t			 n;

	while (tx->nwin < tx->cwnd && tx->next < tx->size) {
		n = tx->size - tx->next < NC__CHUNK ?
		    (size_t)(tx->size - tx->next) : NC__CHUNK;
		if (!nc__room(s, 1 + NC__DATA_HDR + n + 300))
			return 0;
		if (pread_all(tx->fd, tx->buf + 1 + NC__DATA_HDR, n,
		    tx->next) == -1)
			return -1;
		c = &tx->win[tx->nwin];
		c->cid = nc__cid(s, 1);
		c->off = tx->next;
		c->len = (uint32_t)n;
		c->acked = 0;
		tx->buf[0] = SP_CT_FILE_DATA;
		nc__put64(tx->buf + 1, tx->xfer);
		nc__put64(tx->buf + 9, tx->next);
		if (nc__send_rec(s, c->cid, SP_F_RECEIPT, tx->to, tx->buf,
		    1 + NC__DATA_HDR + n, NULL, 0) == -1)
			return -1;
		tx->nwin++;
		tx->next += n;
	}
	return 0;
}

/* Send whatever the state allows now. */
static int
tx_step(struct nc_session *s, struct nc__tx *tx)
{
	if (nc__now_ms() < tx->retry_at)
		return 0;
	switch (tx->phase) {
	case TX_OFFER:
		if (tx->ctl == CTL_SEND)
			return tx_send_ctl(s, tx);
		if (tx->ctl != CTL_DONE)
			return 0;
		tx->phase = TX_DATA;
		tx->started = 1;
		/* FALLTHROUGH */
	case TX_DATA:
		if (tx_send_data(s, tx) == -1)
			return -1;
		if (tx->nwin > 0 || tx->next < tx->size)
			return 0;
		tx->phase = TX_END;
		tx->ctl = CTL_SEND;
		/* FALLTHROUGH */
	default:
		/* No answer long after the END arrived: it may be lost. */
		if (tx->ctl == CTL_DONE &&
		    nc__now_ms() - tx->end_at >= NC__END_RETRY_MS)
			tx->ctl = CTL_SEND;
		if (tx->ctl == CTL_SEND)
			return tx_send_ctl(s, tx);
		return 0;
	}
}

static int
tx_run(struct nc_session *s, struct nc__tx *tx, int timeout_ms, char *err,
    size_t errsz)
{
	int64_t	now, deadline, wait;

	deadline = timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
	for (;;) {
		if (tx->result >= 0) {
			if (tx->result != NC_OK)
				nc__seterr(err, errsz, "%s: %s", tx->to,
				    nc_status_str(tx->result));
			return tx->result;
		}
		if (tx->fail != 0) {
			nc__seterr(err, errsz, "%s: %s", tx->to,
			    nc_status_str(tx->fail));
			return tx->fail;
		}
		now = nc__now_ms();
		if (tx->progress) {
			tx->progress = 0;
			if (deadline >= 0)
				deadline = now + timeout_ms;
		}
		if (deadline >= 0 && now >= deadline) {
			nc__seterr(err, errsz, "%s: %s", tx->to,
			    nc_status_str(NC_TIMEOUT));
			return NC_TIMEOUT;
		}
		if (tx_step(s, tx) == -1) {
			nc__seterr(err, errsz, "%s", strerror(errno));
			return -1;
		}
		wait = 1000;
		if (deadline >= 0 && deadline - now < wait)
			wait = deadline - now;
		if (tx->retry_at > now && tx->retry_at - now < wait)
			wait = tx->retry_at - now;
		if (nc__pump(s, (int)wait) == -1) {
			nc__seterr(err, errsz, "netcryptd: %s",
			    errno == EPIPE ? "connection closed" :
			    strerror(errno));
			return -1;
		}
		if (tx->result < 0 && nc__drained(s)) {
			nc__seterr(err, errsz, "netcryptd: connection closed");
			errno = EPIPE;
			return -1;
		}
	}
}

/* The SHA-256 and the size of the file, in one streaming pass. */
static int
tx_hash(struct nc__tx *tx)
{
	EVP_MD_CTX	*md;
	unsigned int	 mdlen = 0;
	ssize_t		 n;
	int		 r = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		n = read(tx->fd, tx->buf, NC__CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, tx->buf, (size_t)n) != 1)
			goto out;
		tx->size += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, tx->sha, &mdlen) != 1 ||
	    mdlen != NC__SHA_LEN)
		goto out;
	r = 0;
out:
	if (r == -1 && errno == 0)
		errno = EIO;
	EVP_MD_CTX_free(md);
	return r;
}

/* The last component of path, without trailing slashes. */
static const char *
base_name(const char *path, size_t *len)
{
	size_t	end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	*len = end - start;
	return path + start;
}

static int
tx_open(struct nc__tx *tx, const char *path, char *err, size_t errsz)
{
	struct stat	st;

	/* O_NONBLOCK: a FIFO must not hang us before the check below. */
	tx->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (tx->fd == -1) {
		nc__seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(tx->fd, &st) == -1) {
		nc__seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		nc__seterr(err, errsz, "%s: not a regular file", path);
		errno = EINVAL;
		return -1;
	}
	if ((tx->buf = malloc(1 + NC__DATA_HDR + NC__CHUNK)) == NULL) {
		nc__seterr(err, errsz, "%s", strerror(errno));
		return -1;
	}
	errno = 0;
	if (tx_hash(tx) == -1) {
		nc__seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (nc__random(&tx->xfer, sizeof(tx->xfer)) == -1) {
		nc__seterr(err, errsz, "getrandom: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
nc_send_file(struct nc_session *s, const char *to, const char *path,
    int timeout_ms, char *err, size_t errsz)
{
	struct nc__tx	 tx;
	uint8_t		 end[1 + NC__END_LEN];
	int		 r, saved;

	if (s == NULL || to == NULL || path == NULL || s->tx != NULL) {
		errno = s != NULL && s->tx != NULL ? EBUSY : EINVAL;
		nc__seterr(err, errsz, "%s", strerror(errno));
		return -1;
	}
	/* The receiver's verdict could never reach an anonymous session. */
	if (s->anonymous) {
		nc__seterr(err, errsz, "an anonymous session cannot send "
		    "files: attach under a name");
		errno = EINVAL;
		return -1;
	}
	/* A file goes to one session: a broadcast cannot be go-back-N. */
	if (!nc__valid_to(to, strnlen(to, 256), 0)) {
		nc__seterr(err, errsz, "%s: %s", to,
		    nc_status_str(NC_BAD_NAME));
		return NC_BAD_NAME;
	}
	memset(&tx, 0, sizeof(tx));
	tx.fd = -1;
	tx.to = to;
	tx.result = -1;
	tx.backoff = NC__BACKOFF_MIN;
	tx.cwnd = NC__WINDOW;
	tx.phase = TX_OFFER;
	tx.ctl = CTL_SEND;
	tx.name = base_name(path, &tx.namelen);
	if (!nc__valid_file_name((const uint8_t *)tx.name, tx.namelen)) {
		nc__seterr(err, errsz, "%s: a file name the receiver would "
		    "refuse", path);
		errno = EINVAL;
		return -1;
	}
	if (tx_open(&tx, path, err, errsz) == -1) {
		r = -1;
		goto out;
	}
	s->tx = &tx;
	r = tx_run(s, &tx, timeout_ms, err, errsz);
	s->tx = NULL;
	/* Given up: an END makes the receiver drop its copy now. */
	if (r != NC_OK && tx.started && tx.result < 0 &&
	    nc__usable(s) == 0) {
		end[0] = SP_CT_FILE_END;
		nc__put64(end + 1, tx.xfer);
		(void)nc__send_rec(s, nc__cid(s, 1), 0, to, end, sizeof(end),
		    NULL, 0);
	}
out:
	saved = errno;
	if (tx.fd != -1)
		(void)close(tx.fd);
	free(tx.buf);
	errno = saved;
	return r;
}
