/*
 * The spool's segment files on disk (spoolseg.h, doc/SPOOL.md): create,
 * group-commit append, reopen with recovery, close.  The only file I/O of
 * the spool's format; spoolrec.c encodes and scans the bytes.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "spoolrec.h"
#include "spoolseg.h"

/*
 * Records gathered in one writev: three iovecs each (header, body,
 * trailer), well under any IOV_MAX (1024 on Linux and the BSDs), and
 * their headers and trailers on the stack (1.3 KiB).
 */
#define SPOOLSEG_BATCH	64

/*
 * Write all of iov[0..cnt), going on after short writes and EINTR; the
 * iovecs are used up on the way.  0, or -1 with errno.
 */
static int
writev_all(int fd, struct iovec *iov, int cnt)
{
	ssize_t	n;
	size_t	done;

	for (;;) {
		while (cnt > 0 && iov->iov_len == 0) {
			iov++;
			cnt--;
		}
		if (cnt == 0)
			return 0;
		n = writev(fd, iov, cnt);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;	/* no progress: never loop on it */
			return -1;
		}
		done = (size_t)n;
		while (cnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
}

/* Read exactly len bytes from the start of fd.  0, or -1 with errno. */
static int
pread_all(int fd, uint8_t *buf, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < len) {
		n = pread(fd, buf + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;	/* shrank since fstat */
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

int
spoolseg_create(int dirfd, const char *name,
    const uint8_t salt[SPOOLREC_SALTLEN], struct spoolseg *seg)
{
	uint8_t		hdr[SPOOLREC_SEGHDRLEN];
	struct iovec	iov;
	int		fd, save;

	seg->fd = -1;
	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	spoolrec_seghdr(salt, hdr);
	iov.iov_base = hdr;
	iov.iov_len = sizeof(hdr);
	/* The directory too: the file must outlive a crash before use. */
	if (writev_all(fd, &iov, 1) == -1 || fdatasync(fd) == -1 ||
	    fsync(dirfd) == -1) {
		save = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = save;
		return -1;
	}
	seg->fd = fd;
	memcpy(seg->salt, salt, SPOOLREC_SALTLEN);
	seg->size = SPOOLREC_SEGHDRLEN;
	seg->broken = 0;
	return 0;
}

/*
 * Check all n records before any is written: known kinds, bodies within
 * SPOOLREC_MAXBODY, and the segment within SPOOLSEG_MAXSIZE after them.
 * Their bytes on disk in *total.  0, or -1 with errno.
 */
static int
check_recs(const struct spoolseg *seg, const struct spoolseg_rec *recs,
    size_t n, size_t *total)
{
	uint8_t	hdr[SPOOLREC_HDRLEN];
	size_t	i, sz;

	*total = 0;
	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (spoolrec_header(seg->salt, recs[i].kind, recs[i].len,
		    hdr) == -1) {
			errno = EINVAL;
			return -1;
		}
		sz = SPOOLREC_SIZE(recs[i].len);
		/* seg->size <= SPOOLSEG_MAXSIZE always: no wrap. */
		if (sz > SPOOLSEG_MAXSIZE - seg->size - *total) {
			errno = EFBIG;
			return -1;
		}
		*total += sz;
	}
	return 0;
}

/* Write n <= SPOOLSEG_BATCH records, already checked, with writev. */
static int
write_batch(struct spoolseg *seg, const struct spoolseg_rec *recs, size_t n)
{
	uint8_t		hdr[SPOOLSEG_BATCH][SPOOLREC_HDRLEN];
	uint8_t		trl[SPOOLSEG_BATCH][SPOOLREC_TRLLEN];
	struct iovec	iov[SPOOLSEG_BATCH * 3];
	size_t		i;

	for (i = 0; i < n; i++) {
		if (spoolrec_header(seg->salt, recs[i].kind, recs[i].len,
		    hdr[i]) == -1) {
			errno = EINVAL;
			return -1;
		}
		spoolrec_trailer(recs[i].body, recs[i].len, trl[i]);
		iov[3 * i].iov_base = hdr[i];
		iov[3 * i].iov_len = SPOOLREC_HDRLEN;
		/* writev only reads the body; iov_base is not const. */
		iov[3 * i + 1].iov_base = (void *)(uintptr_t)recs[i].body;
		iov[3 * i + 1].iov_len = recs[i].len;
		iov[3 * i + 2].iov_base = trl[i];
		iov[3 * i + 2].iov_len = SPOOLREC_TRLLEN;
	}
	return writev_all(seg->fd, iov, (int)(3 * n));
}

int
spoolseg_append(struct spoolseg *seg, const struct spoolseg_rec *recs,
    size_t n)
{
	return spoolseg_write(seg, recs, n, 1);
}

int
spoolseg_write(struct spoolseg *seg, const struct spoolseg_rec *recs,
    size_t n, int sync)
{
	size_t	total, i, k;

	if (seg->broken || seg->fd == -1) {
		errno = EIO;
		return -1;
	}
	if (check_recs(seg, recs, n, &total) == -1)
		return -1;
	for (i = 0; i < n; i += k) {
		k = n - i < SPOOLSEG_BATCH ? n - i : SPOOLSEG_BATCH;
		if (write_batch(seg, recs + i, k) == -1)
			goto broken;
	}
	if (sync && fdatasync(seg->fd) == -1)
		goto broken;
	seg->size += total;
	return 0;
broken:
	seg->broken = 1;
	return -1;
}

/* The caller's callbacks, with offsets made to count from the file's start. */
struct open_scan {
	spoolrec_record_cb	 on_record;
	spoolrec_damage_cb	 on_damage;
	void			*arg;
};

static int
open_record(size_t off, uint8_t kind, const uint8_t *body, size_t len,
    void *arg)
{
	struct open_scan	*os = arg;

	if (os->on_record == NULL)
		return 0;
	return os->on_record(SPOOLREC_SEGHDRLEN + off, kind, body, len,
	    os->arg);
}

static void
open_damage(size_t off, size_t skipped, enum spoolrec_damage why, void *arg)
{
	struct open_scan	*os = arg;

	if (os->on_damage != NULL)
		os->on_damage(SPOOLREC_SEGHDRLEN + off, skipped, why, os->arg);
}

/*
 * Read the whole segment on fd, check its header, scan it into *r (file
 * offsets).  0, or -1 with errno.
 */
static int
read_and_scan(int fd, struct open_scan *os, struct spoolseg *seg,
    struct spoolrec_scan *r)
{
	struct stat	 st;
	uint8_t		*buf;
	size_t		 len;
	int		 rv = -1, save;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > SPOOLSEG_MAXSIZE) {
		errno = EFBIG;
		return -1;
	}
	len = (size_t)st.st_size;
	if (len < SPOOLREC_SEGHDRLEN) {
		errno = EBADMSG;
		return -1;
	}
	if ((buf = malloc(len)) == NULL)
		return -1;
	if (pread_all(fd, buf, len) == -1)
		goto out;
	if (spoolrec_seghdr_check(buf, len, seg->salt) == -1) {
		errno = EBADMSG;
		goto out;
	}
	if (spoolrec_scan(seg->salt, buf + SPOOLREC_SEGHDRLEN,
	    len - SPOOLREC_SEGHDRLEN, open_record, open_damage, os, r) != 0) {
		errno = ECANCELED;
		goto out;
	}
	r->end += SPOOLREC_SEGHDRLEN;
	if (r->torn)
		r->tornoff += SPOOLREC_SEGHDRLEN;
	seg->size = len;
	rv = 0;
out:
	save = errno;
	free(buf);
	errno = save;
	return rv;
}

int
spoolseg_open(int dirfd, const char *name, spoolrec_record_cb on_record,
    spoolrec_damage_cb on_damage, void *arg, struct spoolseg *seg,
    struct spoolrec_scan *res)
{
	struct open_scan	os = { on_record, on_damage, arg };
	struct spoolrec_scan	r;
	int			fd, save;

	seg->fd = -1;
	seg->broken = 0;
	fd = openat(dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (read_and_scan(fd, &os, seg, &r) == -1)
		goto fail;
	/* Nothing good after r.end: new records must not follow damage. */
	if (r.end < seg->size &&
	    (ftruncate(fd, (off_t)r.end) == -1 || fdatasync(fd) == -1))
		goto fail;
	if (lseek(fd, (off_t)r.end, SEEK_SET) == -1)
		goto fail;
	seg->size = r.end;
	seg->fd = fd;
	if (res != NULL)
		*res = r;
	return 0;
fail:
	save = errno;
	close(fd);
	OPENSSL_cleanse(seg->salt, sizeof(seg->salt));
	errno = save;
	return -1;
}

void
spoolseg_close(struct spoolseg *seg)
{
	if (seg->fd != -1)
		close(seg->fd);
	seg->fd = -1;
	OPENSSL_cleanse(seg->salt, sizeof(seg->salt));
}
