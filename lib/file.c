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
		nc__tx_result(s, p + 1, len - 1);
		break;
	default:
		s->ignored++;
		break;
	}
}

