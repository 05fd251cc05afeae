/*
 * libnetcrypt: receiving files sent inside message payloads (the sender
 * is filesend.c; receive.c holds the rules applied to an offer).
 *
 * Takes chunks only in order (the sender's go-back-N fills any gap),
 * writes them to a temporary file created O_EXCL in the output
 * directory through a directory fd, checks size and SHA-256 at the end,
 * and links the file to a free name without ever replacing one.  The
 * name comes from another host: it is refused outright unless it is a
 * plain, printable name of one path component that starts with neither
 * '.' nor '-'.  An offer is judged whole before anything is created:
 * its sender, name, size and the free space it would leave.  A file
 * that comes from the daemon's spool (SDELIVER) keeps its temporary
 * file across a restart of the receiver, and its records are taken
 * only once on disk (fileresume.c).
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
		/* A spooled one waits as long as its sender's lifetime. */
		if (!s->rx[i].used || s->rx[i].offer_id != 0)
			continue;
		left = s->rx[i].last + s->rx_idle_ms + 1 - now;
		if (left < 0)
			left = 0;
		if (min == -1 || left < min)
			min = left;
	}
	return min > INT32_MAX ? INT32_MAX : (int)min;
}

/*
 * Forget a transfer; its temporary file goes with it, but a spooled
 * one's, which a receiver started again goes on with (unless drop).
 */
static void
rx_clear(struct nc_session *s, struct nc__rx *rx, int drop)
{
	if (rx->fd != -1)
		(void)close(rx->fd);
	if (rx->tmp[0] != '\0' && s->dirfd != -1 &&
	    (drop || rx->offer_id == 0))
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
			rx_clear(s, &s->rx[i], 0);
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

/* The end of a transfer that failed; status 0: no answer (an abort). */
static void
rx_drop(struct nc_session *s, struct nc__rx *rx, int status, int answer)
{
	if (answer)
		rx_reply(s, rx->from, rx->xfer, status);
	rx_remember(s, rx->from, rx->xfer, status);
	rx_event(s, NC_EV_FILE_FAILED, rx->from, (const uint8_t *)rx->name,
	    strlen(rx->name), rx->got, status);
	/* A spooled offer is taken with its file's end, its chunks too. */
	if (rx->offer_id != 0) {
		rx->dirty = 0;
		nc__rx_sync(s);
		nc__spool_taken(s, rx->offer_id);
	}
	rx_clear(s, rx, 1);
}

void
nc__rx_fail(struct nc_session *s, struct nc__rx *rx, int status)
{
	rx_drop(s, rx, status, 1);
}

/* Refuse every file being received, telling each sender. */
void
nc__rx_fail_all(struct nc_session *s)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (s->rx[i].used)
			nc__rx_fail(s, &s->rx[i], NC_REJECTED);
}

/*
 * The session ends: files from the spool stay where they are, for the
 * next receiver of the name (their offers untaken, their chunks on disk
 * taken); the others fail.
 */
void
nc__rx_close_all(struct nc_session *s)
{
	size_t	i;

	nc__rx_sync(s);
	for (i = 0; i < NC__RX_MAX; i++) {
		if (!s->rx[i].used)
			continue;
		if (s->rx[i].offer_id != 0)
			rx_clear(s, &s->rx[i], 0);
		else
			nc__rx_fail(s, &s->rx[i], NC_REJECTED);
	}
}

void
nc__rx_expire(struct nc_session *s, int64_t now)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++)
		if (s->rx[i].used && s->rx[i].offer_id == 0 &&
		    now - s->rx[i].last > s->rx_idle_ms)
			nc__rx_fail(s, &s->rx[i], NC_TIMEOUT);
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
static size_t
rx_spooled(const struct nc_session *s)
{
	size_t	i, n = 0;

	for (i = 0; i < NC__RX_MAX; i++)
		n += s->rx[i].used && s->rx[i].offer_id != 0;
	return n;
}

/*
 * Spooled offers wait untaken (one each of the daemon's window of
 * SDELIVERs): at most NC__RX_SPOOLED of them, so that chunks still come.
 * Their room is judged once the temporary file is open: one that is
 * there already needs only the rest.
 */
static int
rx_judge(struct nc_session *s, const char *from, uint64_t size,
    const uint8_t *name, size_t namelen, int spooled)
{
	if (s->dirfd == -1 || !nc__rx_sender_ok(s, from) ||
	    !nc__valid_file_name(name, namelen))
		return NC_REJECTED;
	if (size > INT64_MAX || (s->rx_max_size != 0 &&
	    size > s->rx_max_size))
		return NC_TOO_LARGE;
	if (rx_slot(s) == NULL ||
	    (spooled && rx_spooled(s) >= NC__RX_SPOOLED))
		return NC_BUSY;
	return spooled ? NC_OK : nc__rx_space(s, size);
}

/* The temporary file of a spooled transfer, found again or new. */
static int
rx_open_spooled(struct nc_session *s, struct nc__rx *rx)
{
	int	st;

	if ((st = nc__rx_spool_open(s, rx)) == NC_OK && !rx->saved)
		st = nc__rx_space(s, rx->size - rx->got);
	return st;
}

static int
rx_open(struct nc_session *s, struct nc__rx *rx)
{
	if (rx->offer_id != 0)
		return rx_open_spooled(s, rx);
	if ((rx->fd = rx_open_tmp(s, rx)) == -1)
		return NC_FILE_IO;
	if ((rx->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(rx->md, EVP_sha256(), NULL) != 1)
		return NC_FILE_IO;
	return NC_OK;
}

static int
rx_start(struct nc_session *s, struct nc__rx *rx, const char *from,
    uint64_t xfer, uint64_t size, const uint8_t *sha, const uint8_t *name,
    size_t namelen, uint64_t offer_id)
{
	int	st;

	memset(rx, 0, sizeof(*rx));
	rx->fd = -1;
	memcpy(rx->from, from, strlen(from) + 1);
	rx->xfer = xfer;
	rx->size = size;
	memcpy(rx->sha, sha, NC__SHA_LEN);
	memcpy(rx->name, name, namelen);
	rx->name[namelen] = '\0';
	rx->offer_id = offer_id;
	if ((st = rx_open(s, rx)) != NC_OK) {
		/* Refused now: a spooled one ends here as well. */
		rx_clear(s, rx, 1);
		return st;
	}
	rx->used = 1;
	rx->last = nc__now_ms();
	return NC_OK;
}

/* 1 when the offer is held (spooled: taken with the end of its file). */
static int
rx_offer(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len, uint64_t spool_id)
{
	const uint8_t	*name;
	uint64_t	 xfer, size;
	size_t		 namelen;
	int		 st;

	if (len < NC__OFFER_HDR ||
	    len != NC__OFFER_HDR + (size_t)nc__get16(p + 48)) {
		s->ignored++;
		return 0;
	}
	xfer = nc__get64(p);
	size = nc__get64(p + 8);
	namelen = nc__get16(p + 48);
	name = p + NC__OFFER_HDR;
	/* The sender offers again when it did not learn of the first one. */
	if (rx_find(s, from, xfer) != NULL)
		return 0;
	/* A judged offer has a free slot. */
	if ((st = rx_judge(s, from, size, name, namelen,
	    spool_id != 0)) == NC_OK)
		st = rx_start(s, rx_slot(s), from, xfer, size, p + 16, name,
		    namelen, spool_id);
	if (st != NC_OK) {
		rx_reply(s, from, xfer, st);
		rx_event(s, NC_EV_FILE_FAILED, from, name, namelen, size, st);
		return 0;
	}
	return spool_id != 0;
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

/* Write a chunk's data; 0, or -1 when the transfer failed. */
static int
rx_write(struct nc_session *s, struct nc__rx *rx, const uint8_t *p,
    size_t dlen)
{
	if (write_all(rx->fd, p, dlen) == -1 ||
	    EVP_DigestUpdate(rx->md, p, dlen) != 1) {
		nc__rx_fail(s, rx, NC_FILE_IO);
		return -1;
	}
	rx->got += dlen;
	return 0;
}

/*
 * A chunk from the spool: exactly once and in order, but a receiver
 * started again may have written it (or its start) before it stopped.
 * 1: its TAKEN waits for the fsync (fileresume.c).
 */
static int
rx_data_spooled(struct nc_session *s, struct nc__rx *rx, uint64_t off,
    const uint8_t *p, size_t dlen, uint64_t spool_id)
{
	size_t	skip;

	if (rx->saved || off + dlen <= rx->got)
		return 0;
	/* A gap: a chunk the sender's spool refused, or lost here. */
	if (off > rx->got || dlen > rx->size - off) {
		nc__rx_fail(s, rx, NC_FILE_CORRUPT);
		return 0;
	}
	skip = (size_t)(rx->got - off);
	if (rx_write(s, rx, p + skip, dlen - skip) == -1)
		return 0;
	nc__rx_written(s, rx, spool_id);
	return 1;
}

static int
rx_data(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len, uint64_t spool_id)
{
	struct nc__rx	*rx;
	size_t		 dlen;

	if (len < NC__DATA_HDR) {
		s->ignored++;
		return 0;
	}
	if ((rx = rx_find(s, from, nc__get64(p))) == NULL)
		return 0;
	rx->last = nc__now_ms();
	dlen = len - NC__DATA_HDR;
	if (rx->offer_id != 0 && spool_id != 0)
		return rx_data_spooled(s, rx, nc__get64(p + 8),
		    p + NC__DATA_HDR, dlen, spool_id);
	/* A duplicate or a chunk after a gap: go-back-N will resend it. */
	if (nc__get64(p + 8) != rx->got || dlen == 0 || rx->offer_id != 0)
		return 0;
	if (dlen > rx->size - rx->got) {
		nc__rx_fail(s, rx, NC_FILE_CORRUPT);
		return 0;
	}
	(void)rx_write(s, rx, p + NC__DATA_HDR, dlen);
	return 0;
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
	/* A spooled one's goes once its TAKENs are out (rx_end()). */
	if (rx->offer_id == 0) {
		(void)unlinkat(s->dirfd, rx->tmp, 0);
		rx->tmp[0] = '\0';
	}
	/* The new name is durable only once the directory is. */
	if (fsync(s->dirfd) == -1) {
		(void)unlinkat(s->dirfd, final, 0);
		return NC_FILE_IO;
	}
	return NC_OK;
}

/*
 * A spooled file saved: its END and OFFER taken, and once those TAKENs
 * are written its temporary name goes.  Should the daemon send the END
 * again (it stopped before it saw them), the name left behind tells a
 * new receiver that the file was saved (fileresume.c).
 */
static void
rx_saved_spooled(struct nc_session *s, struct nc__rx *rx, uint64_t end_id)
{
	nc__rx_sync(s);
	nc__spool_taken(s, end_id);
	nc__spool_taken(s, rx->offer_id);
	if (nc__flush_out(s) == 0 && s->outlen == 0)
		(void)unlinkat(s->dirfd, rx->tmp, 0);
	rx->tmp[0] = '\0';
	rx_clear(s, rx, 0);
}

/* 1 when the END's TAKEN was handled here (a spooled file saved). */
static int
rx_end(struct nc_session *s, const char *from, const uint8_t *p, size_t len,
    uint64_t spool_id)
{
	struct nc__rx	*rx;
	char		 final[256];
	uint64_t	 xfer;
	size_t		 i;
	int		 st;

	if (len != NC__END_LEN) {
		s->ignored++;
		return 0;
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
		return 0;
	}
	if (rx->saved)
		nc__rx_saved_name(s, rx, final, sizeof(final));
	else if ((st = rx_finish(s, rx, final, sizeof(final))) != NC_OK) {
		nc__rx_fail(s, rx, st);
		return 0;
	}
	rx_reply(s, rx->from, xfer, NC_OK);
	rx_remember(s, rx->from, xfer, NC_OK);
	rx_event(s, NC_EV_FILE_SAVED, rx->from, (const uint8_t *)final,
	    strlen(final), rx->size, NC_OK);
	if (rx->offer_id != 0 && spool_id != 0) {
		rx_saved_spooled(s, rx, spool_id);
		return 1;
	}
	rx_clear(s, rx, 0);
	return 0;
}

/* FILE_ABORT: the sender stopped; what came of the file is dropped. */
static void
rx_abort(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len)
{
	struct nc__rx	*rx;

	if (len != NC__ABORT_LEN) {
		s->ignored++;
		return;
	}
	if ((rx = rx_find(s, from, nc__get64(p))) != NULL)
		rx_drop(s, rx, p[8] != NC_OK ? p[8] : NC_TIMEOUT, 0);
}

/*
 * A file payload from another session; p[0] is the content type.  From
 * the spool (spool_id not 0) its TAKEN goes now, unless the transfer
 * holds it back until its data is on disk.
 */
void
nc__file_input(struct nc_session *s, const char *from, const uint8_t *p,
    size_t len, uint64_t spool_id)
{
	int	held = 0;

	switch (p[0]) {
	case SP_CT_FILE_OFFER:
		held = rx_offer(s, from, p + 1, len - 1, spool_id);
		break;
	case SP_CT_FILE_DATA:
		held = rx_data(s, from, p + 1, len - 1, spool_id);
		break;
	case SP_CT_FILE_END:
		held = rx_end(s, from, p + 1, len - 1, spool_id);
		break;
	case SP_CT_FILE_RESULT:
		nc__tx_result(s, p + 1, len - 1);
		break;
	case SP_CT_FILE_ABORT:
		rx_abort(s, from, p + 1, len - 1);
		break;
	default:
		s->ignored++;
		break;
	}
	if (spool_id != 0 && !held)
		nc__spool_taken(s, spool_id);
}

