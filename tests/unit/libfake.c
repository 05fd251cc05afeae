/*
 * The fake daemon of the libnetcrypt unit tests (libfake.h): session
 * protocol records written and read by hand on the daemon's end of a
 * socketpair, and the temporary directories of the file tests.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "libfake.h"
#include "unitrun.h"

/* ---- the fake daemon's side ------------------------------------------- */

int	relaying;

void
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EPIPE && relaying)
			return;
		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

void
put_rec(int fd, uint8_t type, const void *body, size_t len)
{
	uint8_t	hdr[5];

	nc__put32(hdr, (uint32_t)len + 1);
	hdr[4] = type;
	write_all(fd, hdr, sizeof(hdr));
	if (len > 0)
		write_all(fd, body, len);
}

/* Read exactly len bytes, waiting at most TMO for each piece; 0 on EOF. */
int
read_full(int fd, uint8_t *p, size_t len)
{
	struct pollfd	pfd;
	ssize_t		n;

	while (len > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TMO) != 1)
			return -1;
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* One record from the library: its type; the body in buf. */
size_t
get_rec(int fd, uint8_t *type, uint8_t *buf)
{
	uint8_t		hdr[5];
	uint32_t	len;

	ck_assert_int_eq(read_full(fd, hdr, 5), 1);
	len = nc__get32(hdr);
	ck_assert(len >= 1 && len <= SP_MAX_LEN);
	*type = hdr[4];
	if (len > 1)
		ck_assert_int_eq(read_full(fd, buf, len - 1), 1);
	return len - 1;
}

int
nothing_to_read(int fd)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 50) == 0;
}

void
put_attached(int fd, int status, const char *dname, const char *sname)
{
	uint8_t	b[3 + 2 * 255];
	size_t	dl = strlen(dname), sl = strlen(sname);

	b[0] = (uint8_t)status;
	b[1] = (uint8_t)dl;
	memcpy(b + 2, dname, dl);
	b[2 + dl] = (uint8_t)sl;
	memcpy(b + 3 + dl, sname, sl);
	put_rec(fd, SP_ATTACHED, b, 3 + dl + sl);
}

void
put_receipt(int fd, uint64_t cid, int status)
{
	uint8_t	b[9];

	nc__put64(b, cid);
	b[8] = (uint8_t)status;
	put_rec(fd, SP_RECEIPT, b, sizeof(b));
}

/* DELIVER (spool_id 0) or SDELIVER from, payload = ct then p1 then p2. */
static void
put_delivery(int fd, uint64_t spool_id, const char *from, uint8_t ct,
    const void *p1, size_t l1, const void *p2, size_t l2)
{
	static uint8_t	b[SP_MAX_LEN];
	size_t		fl = strlen(from), off = 0;

	if (spool_id != 0) {
		nc__put64(b, spool_id);
		off = 8;
	}
	b[off] = (uint8_t)fl;
	memcpy(b + off + 1, from, fl);
	off += 1 + fl;
	b[off++] = ct;
	if (l1 > 0)
		memcpy(b + off, p1, l1);
	off += l1;
	if (l2 > 0)
		memcpy(b + off, p2, l2);
	off += l2;
	put_rec(fd, spool_id != 0 ? SP_SDELIVER : SP_DELIVER, b, off);
}

void
put_deliver(int fd, const char *from, uint8_t ct, const void *p1, size_t l1,
    const void *p2, size_t l2)
{
	put_delivery(fd, 0, from, ct, p1, l1, p2, l2);
}

void
put_sdeliver(int fd, uint64_t id, const char *from, uint8_t ct,
    const void *p1, size_t l1)
{
	ck_assert(id != 0);
	put_delivery(fd, id, from, ct, p1, l1, NULL, 0);
}

void
put_queued(int fd, uint64_t cid, uint64_t id)
{
	uint8_t	b[16];

	nc__put64(b, cid);
	nc__put64(b + 8, id);
	put_rec(fd, SP_QUEUED, b, sizeof(b));
}

/* FINAL or STATE. */
void
put_id_status(int fd, uint8_t type, uint64_t id, int status)
{
	uint8_t	b[9];

	nc__put64(b, id);
	b[8] = (uint8_t)status;
	put_rec(fd, type, b, sizeof(b));
}

/* The next record from the library is TAKEN or QUERY: its id. */
uint64_t
get_id_rec(int fd, uint8_t want)
{
	uint8_t	buf[REC_MAX], type;

	ck_assert_uint_eq(get_rec(fd, &type, buf), 8);
	ck_assert_int_eq(type, want);
	return nc__get64(buf);
}

void
put_text(int fd, const char *from, const char *text)
{
	put_deliver(fd, from, SP_CT_TEXT, text, strlen(text), NULL, 0);
}

/* A session attached as name over a socketpair; *dfd is the daemon end. */
struct nc_session *
mk_session(int *dfd, const char *name)
{
	struct nc_session	*s;
	uint8_t			 buf[REC_MAX], type;
	size_t			 len;
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_attached(sv[1], NC_OK, "hosta", name[0] != '\0' ? name :
	    "anon-1");
	ck_assert_int_eq(nc__attach(&s, sv[0], name, NULL, 0), NC_OK);
	len = get_rec(sv[1], &type, buf);
	ck_assert_int_eq(type, SP_ATTACH);
	/* The name, then the flags: the library takes from the spool. */
	ck_assert_uint_eq(len, 1 + strlen(name) + 1);
	ck_assert_uint_eq(buf[0], strlen(name));
	ck_assert(memcmp(buf + 1, name, strlen(name)) == 0);
	ck_assert_uint_eq(buf[1 + strlen(name)], SP_ATTACH_SPOOL);
	*dfd = sv[1];
	return s;
}

void
next_ev(struct nc_session *s, struct nc_event *ev)
{
	ck_assert_int_eq(nc_next(s, ev, TMO), 1);
}

/* The SEND the library wrote; checks to, returns the payload length. */
size_t
get_send(int fd, const char *to, uint64_t *cid, int *flags, uint8_t *pl)
{
	uint8_t	buf[REC_MAX], type;
	size_t	len, tl;

	len = get_rec(fd, &type, buf);
	ck_assert_int_eq(type, SP_SEND);
	ck_assert_uint_ge(len, 10);
	tl = buf[9];
	ck_assert_uint_ge(len, 10 + tl);
	ck_assert_uint_eq(tl, strlen(to));
	ck_assert(memcmp(buf + 10, to, tl) == 0);
	*cid = nc__get64(buf);
	*flags = buf[8];
	memcpy(pl, buf + 10 + tl, len - 10 - tl);
	return len - 10 - tl;
}

void
expect_result(int fd, const char *to, uint64_t xfer, int status)
{
	uint8_t		pl[REC_MAX];
	uint64_t	cid;
	int		flags;

	ck_assert_uint_eq(get_send(fd, to, &cid, &flags, pl), 10);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_RESULT);
	ck_assert(nc__get64(pl + 1) == xfer);
	ck_assert_int_eq(pl[9], status);
	ck_assert_int_eq(flags, 0);
	ck_assert(nc__cid_internal(cid));
}

/* ---- files: payloads and directories ---------------------------------- */

void
sha256(const void *p, size_t len, uint8_t out[NC__SHA_LEN])
{
	unsigned int	n = 0;

	ck_assert_int_eq(EVP_Digest(p, len, out, &n, EVP_sha256(), NULL), 1);
}

void
put_offer(int fd, const char *from, uint64_t xfer, uint64_t size,
    const uint8_t *sha, const void *name, size_t nlen)
{
	uint8_t	h[NC__OFFER_HDR];

	nc__put64(h, xfer);
	nc__put64(h + 8, size);
	memcpy(h + 16, sha, NC__SHA_LEN);
	nc__put16(h + 48, (uint16_t)nlen);
	put_deliver(fd, from, SP_CT_FILE_OFFER, h, sizeof(h), name, nlen);
}

void
put_data(int fd, const char *from, uint64_t xfer, uint64_t off,
    const void *data, size_t len)
{
	uint8_t	h[NC__DATA_HDR];

	nc__put64(h, xfer);
	nc__put64(h + 8, off);
	put_deliver(fd, from, SP_CT_FILE_DATA, h, sizeof(h), data, len);
}

void
put_end(int fd, const char *from, uint64_t xfer)
{
	uint8_t	h[8];

	nc__put64(h, xfer);
	put_deliver(fd, from, SP_CT_FILE_END, h, sizeof(h), NULL, 0);
}

char	tdir[64];
char	odir[80];

void
mk_dirs(void)
{
	static int	registered;

	/* A failed assertion exits: the directories go all the same. */
	if (!registered++)
		ck_assert_int_eq(atexit(rm_dirs), 0);
	(void)snprintf(tdir, sizeof(tdir), "/tmp/check_lib.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	(void)snprintf(odir, sizeof(odir), "%s/out", tdir);
	ck_assert_int_eq(mkdir(odir, 0700), 0);
}

int
count_entries(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/* Remove dir's entries (files and symlinks only: all the tests make). */
static void
empty_dir(const char *dir)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	(void)closedir(d);
}

void
rm_dirs(void)
{
	empty_dir(odir);
	(void)rmdir(odir);
	empty_dir(tdir);
	(void)rmdir(tdir);
}

void
check_file(const char *dir, const char *name, const void *data, size_t len)
{
	char		path[512];
	uint8_t		*buf;
	struct stat	st;
	int		fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, len);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_ptr_nonnull(buf = calloc(1, len + 1));
	if (len > 0)
		ck_assert_int_eq(read_full(fd, buf, len), 1);
	ck_assert(len == 0 || memcmp(buf, data, len) == 0);
	free(buf);
	(void)close(fd);
}

void
write_file(const char *path, const void *data, size_t len)
{
	int	fd;

	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    -1);
	write_all(fd, data, len);
	(void)close(fd);
}

int
libfake_run(Suite *suite)
{
	/* A fake daemon that is gone must not kill the test by SIGPIPE. */
	(void)signal(SIGPIPE, SIG_IGN);
	return unit_run(suite);
}
