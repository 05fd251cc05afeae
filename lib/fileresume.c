/*
 * libnetcrypt: receiving a file that comes from the daemon's spool
 * (SESSIONS.md 5, "Files with a lifetime"), so that a receiver that
 * stops in the middle of it (killed, its daemon restarted) goes on from
 * where it was when it starts again.
 *
 * The daemon keeps every SDELIVER it has not had a TAKEN for, and sends
 * them again, in order, to the next session of the name.  So the
 * receiver answers TAKEN for a chunk only once the chunk is on disk (an
 * fsync for up to NC__PEND_MAX chunks at a time), and for the FILE_OFFER
 * only when the file is saved or refused: a new receiver gets the offer
 * again and then the first chunk it did not take.  The temporary file
 * has a name made from the receiving name, the sender and the transfer
 * id (.ncs- and 16 hex digits), so that it can be found again; it is
 * locked while open, and nothing is written to one that has a second
 * name or is not a plain file of ours.  What it holds is hashed again
 * when it is opened, and a chunk that would leave a gap fails the file.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"

#define REHASH_BUF	(64 * 1024)
#define SAVED_SUFFIX_MAX 1000	/* as file.c's name.1 ... name.1000 */

/* The name: SHA-256 of "name NUL from NUL xfer", 16 hex digits of it. */
static int
spooled_name(const struct nc_session *s, const struct nc__rx *rx,
    char *out, size_t outsz)
{
	uint8_t		md[EVP_MAX_MD_SIZE], x[8];
	unsigned int	mdlen = 0;
	EVP_MD_CTX	*c;
	int		r = -1, i, n;

	nc__put64(x, rx->xfer);
	if ((c = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, s->name, strlen(s->name) + 1) == 1 &&
	    EVP_DigestUpdate(c, rx->from, strlen(rx->from) + 1) == 1 &&
	    EVP_DigestUpdate(c, x, sizeof(x)) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen >= 8) {
		n = snprintf(out, outsz, "%s", NC__STMP_PREFIX);
		for (i = 0; i < NC__STMP_HEX / 2 && n > 0; i++)
			n += snprintf(out + n, outsz - (size_t)n, "%02x",
			    md[i]);
		r = 0;
	}
	EVP_MD_CTX_free(c);
	return r;
}

int
nc__spooled_tmp_name(const char *name)
{
	size_t	i, plen = strlen(NC__STMP_PREFIX);

	if (strncmp(name, NC__STMP_PREFIX, plen) != 0 ||
	    strlen(name) != plen + NC__STMP_HEX)
		return 0;
	for (i = plen; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

/* The running hash over the first got bytes of the file, again. */
static int
rehash(struct nc__rx *rx)
{
	uint8_t		*buf;
	uint64_t	 off = 0;
	size_t		 n;
	int		 r = -1;

	if ((buf = malloc(REHASH_BUF)) == NULL)
		return -1;
	while (off < rx->got) {
		n = rx->got - off < REHASH_BUF ? (size_t)(rx->got - off) :
		    REHASH_BUF;
		if (nc__pread_all(rx->fd, buf, n, off) == -1 ||
		    EVP_DigestUpdate(rx->md, buf, n) != 1)
			goto out;
		off += n;
	}
	if (lseek(rx->fd, (off_t)rx->got, SEEK_SET) == -1)
		goto out;
	r = 0;
out:
	free(buf);
	return r;
}

/*
 * One that is there already: ours, plain, locked by nobody else.  With a
 * second name and the whole size it is saved already (its TAKENs did
 * not get through); otherwise what it holds is where the file goes on.
 */
static int
adopt(struct nc__rx *rx, int fd)
{
	struct stat	st;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid())
		return NC_FILE_IO;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		return NC_BUSY;		/* another receiver has it */
	if (st.st_nlink > 1) {
		if ((uint64_t)st.st_size != rx->size)
			return NC_FILE_IO;
		rx->saved = 1;
		return NC_OK;
	}
	if ((uint64_t)st.st_size > rx->size)
		return NC_FILE_CORRUPT;
	rx->got = (uint64_t)st.st_size;
	return rehash(rx) == -1 ? NC_FILE_IO : NC_OK;
}

/*
 * Open (or create) the temporary file of a spooled transfer, rx filled
 * from its offer.  NC_OK with rx->fd, rx->tmp, rx->md and rx->got set;
 * otherwise a status, and nothing of another receiver's touched.
 */
int
nc__rx_spool_open(struct nc_session *s, struct nc__rx *rx)
{
	int	fd, locked, st;

	if (spooled_name(s, rx, rx->tmp, sizeof(rx->tmp)) == -1 ||
	    (rx->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(rx->md, EVP_sha256(), NULL) != 1)
		return NC_FILE_IO;
	/* The directory lock keeps nc__remove_stale() out meanwhile. */
	locked = nc__lock_within(s->dirfd, LOCK_SH) == 0;
	fd = openat(s->dirfd, rx->tmp, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if ((rx->fd = fd) != -1)
		st = adopt(rx, fd);
	else if (errno == ENOENT) {
		fd = openat(s->dirfd, rx->tmp, O_RDWR | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		rx->fd = fd;
		st = fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0 ?
		    NC_OK : NC_FILE_IO;
	} else
		st = NC_FILE_IO;
	if (locked)
		(void)flock(s->dirfd, LOCK_UN);
	if (st != NC_OK) {
		if (fd != -1)
			(void)close(fd);
		rx->fd = -1;
		/* Not ours to remove: another's, or not a file we made. */
		if (fd == -1 || st == NC_BUSY || st == NC_FILE_IO)
			rx->tmp[0] = '\0';
	}
	return st;
}

/*
 * The name a file found saved already was linked under: name, name.1...
 * whichever is that file; the offered name if none is any more.
 */
void
nc__rx_saved_name(struct nc_session *s, const struct nc__rx *rx,
    char *final, size_t fsz)
{
	struct stat	st, o;
	int		i;

	(void)snprintf(final, fsz, "%s", rx->name);
	if (fstat(rx->fd, &st) == -1)
		return;
	for (i = 0; i <= SAVED_SUFFIX_MAX; i++) {
		if (i == 0)
			(void)snprintf(final, fsz, "%s", rx->name);
		else
			(void)snprintf(final, fsz, "%s.%d", rx->name, i);
		if (fstatat(s->dirfd, final, &o, AT_SYMLINK_NOFOLLOW) == 0 &&
		    o.st_dev == st.st_dev && o.st_ino == st.st_ino)
			return;
	}
	(void)snprintf(final, fsz, "%s", rx->name);
}

/* ---- TAKEN once a chunk is on disk ------------------------------------ */

/* Chunk spool_id of rx is written; its TAKEN goes after an fsync. */
void
nc__rx_written(struct nc_session *s, struct nc__rx *rx, uint64_t spool_id)
{
	rx->dirty = 1;
	s->pend[s->npend++] = spool_id;
	if (s->npend == NC__PEND_MAX)
		nc__rx_sync(s);
}

/* fsync what was written, then the TAKENs it was holding back. */
void
nc__rx_sync(struct nc_session *s)
{
	size_t	i;

	for (i = 0; i < NC__RX_MAX; i++) {
		if (!s->rx[i].used || !s->rx[i].dirty)
			continue;
		s->rx[i].dirty = 0;
		/* Its chunks are taken all the same: the file failed. */
		if (fsync(s->rx[i].fd) == -1)
			nc__rx_fail(s, &s->rx[i], NC_FILE_IO);
	}
	for (i = 0; i < s->npend; i++)
		nc__spool_taken(s, s->pend[i]);
	s->npend = 0;
}

/*
 * Before waiting: when no more chunks are at hand, the ones written make
 * their fsync now rather than wait for the batch to fill.
 */
void
nc__rx_sync_idle(struct nc_session *s)
{
	struct pollfd	pfd;
	const uint8_t	*p = s->in + s->inoff;

	if (s->npend == 0)
		return;
	if (s->inlen >= 4 && s->inlen - 4 >= nc__get32(p))
		return;		/* a whole record waits */
	pfd.fd = s->fd;
	pfd.events = POLLIN;
	if (!s->eof && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
		return;
	nc__rx_sync(s);
}

/* ---- leftovers -------------------------------------------------------- */

/*
 * A spooled transfer's temporary file that nobody holds: kept while its
 * sender's messages may still come (their lifetime is at most
 * NC_LIFETIME_MAX), and a file saved already (a second name) for a day,
 * in case the daemon sends its end again; then removed.
 */
void
nc__spooled_stale(int dirfd, const char *name, int64_t now)
{
	struct stat	st;
	int64_t		age;
	int		fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		age = now - (int64_t)st.st_mtime;
		if ((st.st_nlink > 1 && age > NC__SAVED_KEEP_S) ||
		    age > (int64_t)NC_LIFETIME_MAX + NC__SAVED_KEEP_S)
			(void)unlinkat(dirfd, name, 0);
	}
	(void)close(fd);
}
