/*
 * libnetcrypt: sending a file inside message payloads (nc_send_file()).
 * FILE_OFFER {xfer, size, sha256, name}, then FILE_DATA chunks with
 * receipts, at most NC__WINDOW in flight, go-back-N on a refused chunk,
 * then FILE_END, then the receiver's FILE_RESULT.  The file is read
 * twice (hash, then data) rather than kept: memory does not grow with it.
 */
#include "config.h"

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
#include "util.h"

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
	struct nc__src	 src;		/* the file, its size, hash, xfer */
	const char	*to;
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

/* The receiver's FILE_RESULT of the file being sent. */
void
nc__tx_result(struct nc_session *s, const uint8_t *p, size_t len)
{
	if (len != NC__RESULT_LEN) {
		s->ignored++;
		return;
	}
	/* The transfer id is random: only the receiver knows it. */
	if (s->tx != NULL && s->tx->src.xfer == nc__get64(p) &&
	    s->tx->result < 0)
		s->tx->result = p[8];
	if (s->wfile != NULL && s->wfile->xfer == nc__get64(p) &&
	    s->wfile->result < 0)
		s->wfile->result = p[8];
}

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

int
nc__pread_all(int fd, uint8_t *p, size_t len, uint64_t off)
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

	if (!nc__room(s, sizeof(b) + tx->src.namelen + 300))
		return 0;
	tx->ctl_cid = nc__cid(s, 1);
	if (tx->phase == TX_OFFER) {
		b[0] = SP_CT_FILE_OFFER;
		nc__put64(b + 1, tx->src.xfer);
		nc__put64(b + 9, tx->src.size);
		memcpy(b + 17, tx->src.sha, NC__SHA_LEN);
		nc__put16(b + 17 + NC__SHA_LEN, (uint16_t)tx->src.namelen);
		len = sizeof(b);
	} else {
		b[0] = SP_CT_FILE_END;
		nc__put64(b + 1, tx->src.xfer);
		len = 1 + NC__END_LEN;
	}
	if (nc__send_rec(s, tx->ctl_cid, SP_F_RECEIPT, tx->to, b, len,
	    tx->phase == TX_OFFER ? tx->src.name : NULL,
	    tx->phase == TX_OFFER ? tx->src.namelen : 0) == -1)
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

	while (tx->nwin < tx->cwnd && tx->next < tx->src.size) {
		n = tx->src.size - tx->next < NC__CHUNK ?
		    (size_t)(tx->src.size - tx->next) : NC__CHUNK;
		if (!nc__room(s, 1 + NC__DATA_HDR + n + 300))
			return 0;
		if (nc__pread_all(tx->src.fd, tx->src.buf + 1 + NC__DATA_HDR, n,
		    tx->next) == -1)
			return -1;
		c = &tx->win[tx->nwin];
		c->cid = nc__cid(s, 1);
		c->off = tx->next;
		c->len = (uint32_t)n;
		c->acked = 0;
		tx->src.buf[0] = SP_CT_FILE_DATA;
		nc__put64(tx->src.buf + 1, tx->src.xfer);
		nc__put64(tx->src.buf + 9, tx->next);
		if (nc__send_rec(s, c->cid, SP_F_RECEIPT, tx->to, tx->src.buf,
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
		if (tx->nwin > 0 || tx->next < tx->src.size)
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
				nc_seterr(err, errsz, "%s: %s", tx->to,
				    nc_status_str(tx->result));
			return tx->result;
		}
		if (tx->fail != 0) {
			nc_seterr(err, errsz, "%s: %s", tx->to,
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
			nc_seterr(err, errsz, "%s: %s", tx->to,
			    nc_status_str(NC_TIMEOUT));
			return NC_TIMEOUT;
		}
		if (tx_step(s, tx) == -1) {
			nc_seterr(err, errsz, "%s", strerror(errno));
			return -1;
		}
		wait = 1000;
		if (deadline >= 0 && deadline - now < wait)
			wait = deadline - now;
		if (tx->retry_at > now && tx->retry_at - now < wait)
			wait = tx->retry_at - now;
		if (nc__pump(s, (int)wait) == -1) {
			nc_seterr(err, errsz, "netcryptd: %s",
			    errno == EPIPE ? "connection closed" :
			    strerror(errno));
			return -1;
		}
		if (tx->result < 0 && nc__drained(s)) {
			nc_seterr(err, errsz, "netcryptd: connection closed");
			errno = EPIPE;
			return -1;
		}
	}
}

/* The SHA-256 and the size of the file, in one streaming pass. */
static int
src_hash(struct nc__src *src)
{
	EVP_MD_CTX	*md;
	unsigned int	 mdlen = 0;
	ssize_t		 n;
	int		 r = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		n = read(src->fd, src->buf, NC__CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, src->buf, (size_t)n) != 1)
			goto out;
		src->size += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, src->sha, &mdlen) != 1 ||
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
src_read(struct nc__src *src, const char *path, char *err, size_t errsz)
{
	struct stat	st;

	/* O_NONBLOCK: a FIFO must not hang us before the check below. */
	src->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (src->fd == -1) {
		nc_seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(src->fd, &st) == -1) {
		nc_seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		nc_seterr(err, errsz, "%s: not a regular file", path);
		errno = EINVAL;
		return -1;
	}
	if ((src->buf = malloc(1 + NC__DATA_HDR + NC__CHUNK)) == NULL) {
		nc_seterr(err, errsz, "%s", strerror(errno));
		return -1;
	}
	errno = 0;
	if (src_hash(src) == -1) {
		nc_seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (nc__random(&src->xfer, sizeof(src->xfer)) == -1) {
		nc_seterr(err, errsz, "getrandom: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The file to send (nc_send_file(), nc_send_file_within()): a regular
 * file under a name the receiver would take, hashed, with a fresh
 * transfer id.  -1 with err filled; nc__src_close() in any case.
 */
int
nc__src_open(struct nc__src *src, const char *path, char *err, size_t errsz)
{
	memset(src, 0, sizeof(*src));
	src->fd = -1;
	src->name = base_name(path, &src->namelen);
	if (!nc__valid_file_name((const uint8_t *)src->name, src->namelen)) {
		nc_seterr(err, errsz, "%s: a file name the receiver would "
		    "refuse", path);
		errno = EINVAL;
		return -1;
	}
	return src_read(src, path, err, errsz);
}

void
nc__src_close(struct nc__src *src)
{
	int	saved = errno;

	if (src->fd != -1)
		(void)close(src->fd);
	free(src->buf);
	src->fd = -1;
	src->buf = NULL;
	errno = saved;
}

int
nc_send_file(struct nc_session *s, const char *to, const char *path,
    int timeout_ms, char *err, size_t errsz)
{
	struct nc__tx	 tx;
	uint8_t		 end[1 + NC__END_LEN];
	int		 r;

	if (s == NULL || to == NULL || path == NULL || s->tx != NULL) {
		errno = s != NULL && s->tx != NULL ? EBUSY : EINVAL;
		nc_seterr(err, errsz, "%s", strerror(errno));
		return -1;
	}
	/* The receiver's verdict could never reach an anonymous session. */
	if (s->anonymous) {
		nc_seterr(err, errsz, "an anonymous session cannot send "
		    "files: attach under a name");
		errno = EINVAL;
		return -1;
	}
	/* A file goes to one session: a broadcast cannot be go-back-N. */
	if (!nc__valid_to(to, strnlen(to, 256), 0)) {
		nc_seterr(err, errsz, "%s: %s", to,
		    nc_status_str(NC_BAD_NAME));
		return NC_BAD_NAME;
	}
	memset(&tx, 0, sizeof(tx));
	tx.to = to;
	tx.result = -1;
	tx.backoff = NC__BACKOFF_MIN;
	tx.cwnd = NC__WINDOW;
	tx.phase = TX_OFFER;
	tx.ctl = CTL_SEND;
	if (nc__src_open(&tx.src, path, err, errsz) == -1) {
		nc__src_close(&tx.src);
		return -1;
	}
	s->tx = &tx;
	r = tx_run(s, &tx, timeout_ms, err, errsz);
	s->tx = NULL;
	/* Given up: an END makes the receiver drop its copy now. */
	if (r != NC_OK && tx.started && tx.result < 0 &&
	    nc__usable(s) == 0) {
		end[0] = SP_CT_FILE_END;
		nc__put64(end + 1, tx.src.xfer);
		(void)nc__send_rec(s, nc__cid(s, 1), 0, to, end, sizeof(end),
		    NULL, 0);
	}
	nc__src_close(&tx.src);
	return r;
}
