/*
 * Unit tests for libnetcrypt's files with a lifetime (SESSIONS.md 5),
 * without a daemon.  Sending (nc_send_file_within()): a forked fake
 * spool checks the records (every one with the lifetime, in the file's
 * order, 32 sent before any answer) and answers QUEUED or a refusal,
 * after which a FILE_ABORT must follow; the FINALs of the chunks are
 * the library's, the END's an event; nc_file_wait().  Receiving from
 * the spool: TAKEN for a chunk only after it is written, the offer held
 * until the end, a receiver started again goes on with its partial file
 * (same inode), a gap or a FILE_ABORT fails the file, a file found saved
 * already is not saved twice, planted temporary names are not written
 * through, and the leftovers' ages.  The test plays the daemon
 * (libfake.h).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "libfake.h"

#define HOUR		3600
#define ID0		0x100		/* the fake spool's first id */
#define FROM		"alice@hosta"

/* ---- a fake spool in a child: no check calls there, an exit code ------- */

/* One whole record within 2 s; its length (type and body), 0 on EOF. */
static size_t
child_rec(int fd, uint8_t *buf)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	size_t		got = 0, need = 4, len = 0;
	ssize_t		n;

	while (got < need) {
		if (poll(&pfd, 1, 2000) != 1)
			_exit(10);		/* nothing came */
		if ((n = read(fd, buf + got, need - got)) <= 0)
			return 0;
		got += (size_t)n;
		if (got == 4 && need == 4) {
			len = nc__get32(buf);
			if (len == 0 || len > SP_MAX_LEN)
				_exit(11);
			need = 4 + len;
		}
	}
	return len;
}

static void
child_put(int fd, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t	b[32];

	nc__put32(b, (uint32_t)(len + 1));
	b[4] = type;
	memcpy(b + 5, body, len);
	if (write(fd, b, 5 + len) != (ssize_t)(5 + len))
		_exit(12);
}

/* QUEUED with id, or a RECEIPT with status. */
static void
child_answer(int fd, uint64_t cid, uint64_t id, int status)
{
	uint8_t	b[16];

	nc__put64(b, cid);
	if (status == NC_OK) {
		nc__put64(b + 8, id);
		child_put(fd, SP_QUEUED, b, 16);
	} else {
		b[8] = (uint8_t)status;
		child_put(fd, SP_RECEIPT, b, 9);
	}
}

/*
 * Read the SENDs of one file: each with the lifetime, to "bob", in the
 * order OFFER, DATA at rising offsets, END (or ABORT after a refusal).
 * The first `hold` are read before any is answered.  Message n gets id
 * ID0 + n, or from refuse_at on the status.  Exit 0 at the END or the
 * ABORT the refusal called for.
 */
static void __attribute__((noreturn))
fake_spool(int fd, int hold, int refuse_at, int status)
{
	static uint8_t	buf[4 + SP_MAX_LEN];
	uint64_t	cids[64], off = 0;
	int		n = 0, nread = 0, held = 0, i, refused = 0;
	uint8_t		ct;

	for (;;) {
		if (child_rec(fd, buf) == 0)
			_exit(13);
		if (buf[4] != SP_SEND || buf[13] != SP_F_WITHIN ||
		    nc__get32(buf + 14) != HOUR || buf[18] != 3 ||
		    memcmp(buf + 19, "bob", 3) != 0)
			_exit(14);
		ct = buf[22];
		if ((nread++ == 0) != (ct == SP_CT_FILE_OFFER))
			_exit(15);
		if (ct == SP_CT_FILE_DATA) {
			if (nc__get64(buf + 31) != off)
				_exit(16);	/* out of order */
			/* type, cid, flags, lifetime, "bob", ct, header */
			off += nc__get32(buf) - (1 + 8 + 1 + 4 + 4 + 1 + 16);
		}
		if (ct == SP_CT_FILE_ABORT && !refused)
			_exit(17);
		cids[held++] = nc__get64(buf + 5);
		if (held < hold && ct != SP_CT_FILE_END &&
		    ct != SP_CT_FILE_ABORT)
			continue;
		for (i = 0; i < held; i++, n++) {
			refused |= n >= refuse_at && ct != SP_CT_FILE_ABORT;
			child_answer(fd, cids[i], ID0 + (uint64_t)n,
			    n >= refuse_at && ct != SP_CT_FILE_ABORT ?
			    status : NC_OK);
		}
		held = 0;
		hold = 1;
		/* After a refusal, the END sent meanwhile, then an ABORT. */
		if (ct == SP_CT_FILE_END && !refused)
			_exit(0);
		if (ct == SP_CT_FILE_ABORT)
			_exit(0);
	}
}

static pid_t
fork_spool(int d, int hold, int refuse_at, int status)
{
	pid_t	pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		fake_spool(d, hold, refuse_at, status);
	return pid;
}

static void
spool_exited_ok(pid_t pid)
{
	int	st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}

/* A file of len random bytes at tdir/name; its path in path. */
static uint8_t *
mk_file(char *path, size_t psz, const char *name, size_t len)
{
	uint8_t	*p;
	size_t	 i;

	ck_assert_ptr_nonnull(p = malloc(len + 1));
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / 251);
	(void)snprintf(path, psz, "%s/%s", tdir, name);
	write_file(path, p, len);
	return p;
}

/* ---- sending ---------------------------------------------------------- */

START_TEST(test_within_queued)
{
	struct nc_session	*s;
	struct nc_file_ids	 ids;
	char			 err[256], path[256];
	uint8_t			*data;
	size_t			 len = 40 * NC__CHUNK + 100;
	pid_t			 pid;
	int			 d;

	mk_dirs();
	data = mk_file(path, sizeof(path), "f.bin", len);
	s = mk_session(&d, "alice");
	/* 43 messages; the fake reads 32 before it answers one. */
	pid = fork_spool(d, 32, 1000, NC_OK);
	ck_assert_int_eq(nc_send_file_within(s, "bob", path, HOUR, TMO, &ids,
	    err, sizeof(err)), NC_QUEUED);
	spool_exited_ok(pid);
	ck_assert(ids.offer == ID0);
	ck_assert(ids.end == ID0 + 42);
	ck_assert(ids.chunks == 41);
	ck_assert(ids.size == len);
	ck_assert(ids.xfer != 0);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
	free(data);
	rm_dirs();
}
END_TEST

START_TEST(test_within_refused)
{
	struct nc_session	*s;
	struct nc_file_ids	 ids;
	char			 err[256], path[256];
	uint8_t			*data;
	pid_t			 pid;
	int			 d;

	mk_dirs();
	data = mk_file(path, sizeof(path), "f.bin", 10 * NC__CHUNK);
	s = mk_session(&d, "alice");
	/* The fourth message (the third chunk) is refused: spool full. */
	pid = fork_spool(d, 1, 3, NC_SPOOL_FULL);
	ck_assert_int_eq(nc_send_file_within(s, "bob", path, HOUR, TMO, &ids,
	    err, sizeof(err)), NC_SPOOL_FULL);
	spool_exited_ok(pid);		/* and a FILE_ABORT came */
	ck_assert_ptr_nonnull(strstr(err, "spool full after 130524 of "
	    "652620 bytes were queued"));
	ck_assert(ids.chunks == 2);
	nc_close(s);
	(void)close(d);

	/* Refused at once: no abort, nothing queued. */
	s = mk_session(&d, "alice");
	pid = fork_spool(d, 1, 0, NC_NO_SUCH_PEER);
	ck_assert_int_eq(nc_send_file_within(s, "bob", path, HOUR, TMO, &ids,
	    err, sizeof(err)), NC_NO_SUCH_PEER);
	ck_assert_str_eq(err, "bob: no such peer");
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	(void)waitpid(pid, NULL, 0);
	nc_close(s);
	(void)close(d);

	/* Checked before anything is sent. */
	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send_file_within(s, "*", path, HOUR, TMO, &ids,
	    err, sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file_within(s, "bob", path, 0, TMO, &ids,
	    err, sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file_within(s, "bob", path,
	    NC_LIFETIME_MAX + 1, TMO, &ids, err, sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file_within(s, "bob", tdir, HOUR, TMO, &ids,
	    err, sizeof(err)), -1);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
	free(data);
	rm_dirs();
}
END_TEST

/* A file of 3 chunks queued (ids ID0 .. ID0 + 4); the session stays. */
static struct nc_session *
queued_file(int *d, struct nc_file_ids *ids, char *path, size_t psz)
{
	struct nc_session	*s;
	char			 err[256];
	pid_t			 pid;

	free(mk_file(path, psz, "f.bin", 3 * NC__CHUNK));
	s = mk_session(d, "alice");
	pid = fork_spool(*d, 1, 1000, NC_OK);
	ck_assert_int_eq(nc_send_file_within(s, "bob", path, HOUR, TMO, ids,
	    err, sizeof(err)), NC_QUEUED);
	spool_exited_ok(pid);
	return s;
}

START_TEST(test_within_finals)
{
	struct nc_session	*s;
	struct nc_file_ids	 ids;
	struct nc_event		 ev;
	char			 err[256], path[256];
	uint8_t			 res[9];
	int			 d;

	mk_dirs();
	s = queued_file(&d, &ids, path, sizeof(path));
	/* The offer's and the chunks' FINALs are the library's. */
	put_id_status(d, SP_FINAL, ID0, NC_OK);
	put_id_status(d, SP_FINAL, ID0 + 1, NC_OK);
	put_id_status(d, SP_FINAL, ID0 + 3, NC_OK);
	ck_assert_int_eq(nc_next(s, &ev, 100), 0);
	/* Another message's FINAL, and the END's, are the program's. */
	put_id_status(d, SP_FINAL, 0x999, NC_EXPIRED);
	put_id_status(d, SP_FINAL, ID0 + 4, NC_OK);
	next_ev(s, &ev);
	ck_assert(ev.type == NC_EV_FINAL && ev.id == 0x999);
	next_ev(s, &ev);
	ck_assert(ev.type == NC_EV_FINAL && ev.id == ID0 + 4);
	/* The verdict: saved. */
	nc__put64(res, ids.xfer);
	res[8] = NC_OK;
	put_deliver(d, "bob", SP_CT_FILE_RESULT, res, sizeof(res), NULL, 0);
	ck_assert_int_eq(nc_file_wait(s, &ids, TMO, err, sizeof(err)), NC_OK);
	nc_close(s);
	(void)close(d);

	/* The END's FINAL says expired while the wait runs. */
	s = queued_file(&d, &ids, path, sizeof(path));
	put_id_status(d, SP_FINAL, ID0 + 4, NC_EXPIRED);
	ck_assert_int_eq(nc_file_wait(s, &ids, TMO, err, sizeof(err)),
	    NC_EXPIRED);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	nc_close(s);
	(void)close(d);

	/* A chunk rejected by the receiving daemon; the receiver refuses. */
	s = queued_file(&d, &ids, path, sizeof(path));
	put_id_status(d, SP_FINAL, ID0 + 2, NC_REJECTED);
	ck_assert_int_eq(nc_file_wait(s, &ids, TMO, err, sizeof(err)),
	    NC_REJECTED);
	nc_close(s);
	(void)close(d);
	s = queued_file(&d, &ids, path, sizeof(path));
	res[8] = NC_TOO_LARGE;
	nc__put64(res, ids.xfer);
	put_deliver(d, "bob", SP_CT_FILE_RESULT, res, sizeof(res), NULL, 0);
	ck_assert_int_eq(nc_file_wait(s, &ids, TMO, err, sizeof(err)),
	    NC_TOO_LARGE);
	/* Nothing: a timeout. */
	ids.xfer ^= 1;
	ck_assert_int_eq(nc_file_wait(s, &ids, 50, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ids.xfer ^= 1;
	s->wfile->result = -1;
	ck_assert_int_eq(nc_file_wait(s, &ids, 50, err, sizeof(err)),
	    NC_TIMEOUT);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

/* ---- receiving from the spool ------------------------------------------ */

static void
s_offer(int d, uint64_t id, uint64_t xfer, uint64_t size, const uint8_t *sha,
    const char *name)
{
	uint8_t	b[NC__OFFER_HDR + 64];
	size_t	n = strlen(name);

	nc__put64(b, xfer);
	nc__put64(b + 8, size);
	memcpy(b + 16, sha, NC__SHA_LEN);
	nc__put16(b + 48, (uint16_t)n);
	memcpy(b + NC__OFFER_HDR, name, n);
	put_sdeliver(d, id, FROM, SP_CT_FILE_OFFER, b, NC__OFFER_HDR + n);
}

static void
s_data(int d, uint64_t id, uint64_t xfer, uint64_t off, const uint8_t *p,
    size_t len)
{
	static uint8_t	b[NC__DATA_HDR + NC__CHUNK];

	nc__put64(b, xfer);
	nc__put64(b + 8, off);
	memcpy(b + NC__DATA_HDR, p, len);
	put_sdeliver(d, id, FROM, SP_CT_FILE_DATA, b, NC__DATA_HDR + len);
}

static void
s_end(int d, uint64_t id, uint8_t ct, uint64_t xfer, int status)
{
	uint8_t	b[9];

	nc__put64(b, xfer);
	b[8] = (uint8_t)status;
	put_sdeliver(d, id, FROM, ct, b, ct == SP_CT_FILE_END ? 8 : 9);
}

static void
expect_taken(int d, uint64_t id)
{
	ck_assert(get_id_rec(d, SP_TAKEN) == id);
}

/* The one temporary file of a spooled transfer in odir, and its inode. */
static ino_t
partial(off_t *size)
{
	char		path[160], name[64] = "";
	struct stat	st;
	FILE		*fp;

	(void)snprintf(path, sizeof(path), "ls -A %s | grep '^\\.ncs-'", odir);
	ck_assert_ptr_nonnull(fp = popen(path, "r"));
	ck_assert_ptr_nonnull(fgets(name, sizeof(name), fp));
	(void)pclose(fp);
	name[strcspn(name, "\n")] = '\0';
	ck_assert_uint_eq(strlen(name), 5 + 16);
	(void)snprintf(path, sizeof(path), "%s/%s", odir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	*size = st.st_size;
	return st.st_ino;
}

static struct nc_session *
receiver(int *d)
{
	struct nc_session	*s = mk_session(d, "bob");

	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	return s;
}

START_TEST(test_spooled_resume)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN], *f;
	size_t			 len = 2 * NC__CHUNK + 10;
	struct stat		 st;
	char			 path[160];
	off_t			 size;
	ino_t			 ino;
	int			 d;

	mk_dirs();
	f = mk_file(path, sizeof(path), "src", len);
	sha256(f, len, sha);
	s = receiver(&d);
	s_offer(d, 1, 77, len, sha, "f.txt");
	s_data(d, 2, 77, 0, f, NC__CHUNK);
	s_data(d, 3, 77, NC__CHUNK, f + NC__CHUNK, NC__CHUNK);
	ck_assert_int_eq(nc_next(s, &ev, 200), 0);
	/* Written, then taken; the offer is not. */
	expect_taken(d, 2);
	expect_taken(d, 3);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
	ino = partial(&size);
	ck_assert_int_eq(size, 2 * NC__CHUNK);

	/* Started again: the offer and the untaken chunks come again. */
	s = receiver(&d);
	s_offer(d, 1, 77, len, sha, "f.txt");
	s_data(d, 3, 77, NC__CHUNK, f + NC__CHUNK, NC__CHUNK);
	s_data(d, 4, 77, 2 * NC__CHUNK, f + 2 * NC__CHUNK, 10);
	s_end(d, 5, SP_CT_FILE_END, 77, 0);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	ck_assert_str_eq(ev.name, "f.txt");
	expect_taken(d, 3);		/* had it: taken at once */
	expect_result(d, FROM, 77, NC_OK);
	expect_taken(d, 4);		/* once on disk, with the end */
	expect_taken(d, 5);
	expect_taken(d, 1);
	check_file(odir, "f.txt", f, len);
	(void)snprintf(path, sizeof(path), "%s/f.txt", odir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(st.st_ino == ino);	/* the partial file, continued */
	ck_assert_int_eq(count_entries(odir), 1);
	nc_close(s);
	(void)close(d);
	free(f);
	rm_dirs();
}
END_TEST

START_TEST(test_spooled_gap_abort)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN], *f;
	uint64_t		 t[3];
	char			 path[160];
	int			 d;

	mk_dirs();
	f = mk_file(path, sizeof(path), "src", 2 * NC__CHUNK);
	sha256(f, 2 * NC__CHUNK, sha);
	s = receiver(&d);
	/* The first chunk never came (its sender's spool refused it). */
	s_offer(d, 1, 5, 2 * NC__CHUNK, sha, "g.txt");
	s_data(d, 2, 5, NC__CHUNK, f + NC__CHUNK, NC__CHUNK);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	expect_result(d, FROM, 5, NC_FILE_CORRUPT);
	expect_taken(d, 1);
	expect_taken(d, 2);
	ck_assert_int_eq(count_entries(odir), 0);

	/* The sender stopped: FILE_ABORT drops what came, without answer. */
	s_offer(d, 11, 6, 2 * NC__CHUNK, sha, "h.txt");
	s_data(d, 12, 6, 0, f, NC__CHUNK);
	s_end(d, 13, SP_CT_FILE_ABORT, 6, NC_SPOOL_FULL);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_SPOOL_FULL);
	ck_assert_str_eq(ev.name, "h.txt");
	t[0] = get_id_rec(d, SP_TAKEN);
	t[1] = get_id_rec(d, SP_TAKEN);
	t[2] = get_id_rec(d, SP_TAKEN);
	ck_assert(t[0] + t[1] + t[2] == 36 && t[0] != t[1] && t[1] != t[2] &&
	    t[0] != t[2]);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(count_entries(odir), 0);
	nc_close(s);
	(void)close(d);
	free(f);
	rm_dirs();
}
END_TEST

/* The temporary name of transfer xfer from FROM to bob. */
static void
tmp_name(uint64_t xfer, char *out, size_t outsz)
{
	uint8_t		in[4 + sizeof(FROM) + 8], md[NC__SHA_LEN];
	int		i, n;

	memcpy(in, "bob", 4);
	memcpy(in + 4, FROM, sizeof(FROM));
	nc__put64(in + 4 + sizeof(FROM), xfer);
	sha256(in, sizeof(in), md);
	n = snprintf(out, outsz, "%s/.ncs-", odir);
	for (i = 0; i < 8; i++)
		n += snprintf(out + n, outsz - (size_t)n, "%02x", md[i]);
}

START_TEST(test_spooled_found_saved)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN], *f;
	char			 path[160], tmp[160];
	int			 d;

	mk_dirs();
	f = mk_file(path, sizeof(path), "src", 1000);
	sha256(f, 1000, sha);
	/* Saved and linked, but its TAKENs never reached the daemon. */
	(void)snprintf(path, sizeof(path), "%s/k.txt", odir);
	write_file(path, f, 1000);
	tmp_name(9, tmp, sizeof(tmp));
	ck_assert_int_eq(link(path, tmp), 0);
	s = receiver(&d);
	s_offer(d, 1, 9, 1000, sha, "k.txt");
	s_end(d, 2, SP_CT_FILE_END, 9, 0);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	ck_assert_str_eq(ev.name, "k.txt");
	expect_result(d, FROM, 9, NC_OK);
	expect_taken(d, 2);
	expect_taken(d, 1);
	ck_assert_int_eq(count_entries(odir), 1);	/* not saved twice */
	nc_close(s);
	(void)close(d);
	free(f);
	rm_dirs();
}
END_TEST

START_TEST(test_spooled_planted)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN], *f;
	char			 path[160], tmp[160], victim[160];
	int			 d;

	mk_dirs();
	f = mk_file(path, sizeof(path), "src", 1000);
	sha256(f, 1000, sha);
	(void)snprintf(victim, sizeof(victim), "%s/victim", tdir);
	write_file(victim, "keep", 4);
	s = receiver(&d);
	/* A symbolic link under the temporary name: not followed. */
	tmp_name(21, tmp, sizeof(tmp));
	ck_assert_int_eq(symlink(victim, tmp), 0);
	s_offer(d, 1, 21, 1000, sha, "x.txt");
	s_data(d, 2, 21, 0, f, 1000);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_FILE_IO);
	expect_result(d, FROM, 21, NC_FILE_IO);
	expect_taken(d, 1);
	expect_taken(d, 2);
	/* A second name of another file, not the offer's size: refused. */
	tmp_name(22, tmp, sizeof(tmp));
	ck_assert_int_eq(link(victim, tmp), 0);
	s_offer(d, 3, 22, 1000, sha, "y.txt");
	next_ev(s, &ev);
	ck_assert_int_eq(ev.status, NC_FILE_IO);
	expect_result(d, FROM, 22, NC_FILE_IO);
	expect_taken(d, 3);
	check_file(tdir, "victim", "keep", 4);
	nc_close(s);
	(void)close(d);
	free(f);
	rm_dirs();
}
END_TEST

/* name in odir, a second name of it too if linked, mtime days ago. */
static void
leftover(const char *name, int linked, int days)
{
	char		path[160], other[160];
	struct timespec	ts[2];

	(void)snprintf(path, sizeof(path), "%s/%s", odir, name);
	write_file(path, "x", 1);
	if (linked) {
		(void)snprintf(other, sizeof(other), "%s/%s.saved", odir,
		    name + 1);
		ck_assert_int_eq(link(path, other), 0);
	}
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)days * 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int
exists(const char *name)
{
	char	path[160];

	(void)snprintf(path, sizeof(path), "%s/%s", odir, name);
	return access(path, F_OK) == 0;
}

START_TEST(test_spooled_leftovers)
{
	struct nc_session	*s;
	int			 d;

	mk_dirs();
	leftover(".ncs-0000000000000001", 0, 1);	/* may still come */
	leftover(".ncs-0000000000000002", 0, 92);	/* its lifetime ended */
	leftover(".ncs-0000000000000003", 1, 0);	/* saved, just now */
	leftover(".ncs-0000000000000004", 1, 2);	/* saved, days ago */
	leftover(".ncs-000000000000005", 0, 200);	/* not our name */
	s = receiver(&d);
	ck_assert(exists(".ncs-0000000000000001"));
	ck_assert(!exists(".ncs-0000000000000002"));
	ck_assert(exists(".ncs-0000000000000003"));
	ck_assert(!exists(".ncs-0000000000000004"));
	ck_assert(exists("ncs-0000000000000004.saved"));
	ck_assert(exists(".ncs-000000000000005"));
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

static Suite *
libfilewithin_suite(void)
{
	Suite	*s = suite_create("libfilewithin");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_within_queued);
	tcase_add_test(tc, test_within_refused);
	tcase_add_test(tc, test_within_finals);
	tcase_add_test(tc, test_spooled_resume);
	tcase_add_test(tc, test_spooled_gap_abort);
	tcase_add_test(tc, test_spooled_found_saved);
	tcase_add_test(tc, test_spooled_planted);
	tcase_add_test(tc, test_spooled_leftovers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return libfake_run(libfilewithin_suite());
}
