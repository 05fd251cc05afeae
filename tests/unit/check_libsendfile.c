/*
 * Unit tests for libnetcrypt's nc_send_file(), without a daemon: local
 * errors, the answers of a fake daemon (libfake.h), whole transfers
 * between two sessions through a forked relay (go-back-N over refused
 * chunks, a receiver that takes no files), and a receiver that has
 * forgotten the transfer.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libfake.h"

/* ---- sending files ---------------------------------------------------- */

START_TEST(test_send_file_local_errors)
{
	struct nc_session	*s;
	char			 err[256], path[256];
	int			 d;

	mk_dirs();
	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send_file(s, "*", "/etc/hostname", 100, err,
	    sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file(s, "*@hostb", "/etc/hostname", 100, err,
	    sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file(s, "bob", tdir, 100, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	(void)snprintf(path, sizeof(path), "%s/fifo", tdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(nc_send_file(s, "bob", path, 100, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(nc_send_file(s, "bob", "/nonexistent/f", 100, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_send_file_answers)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 res[9], pl[REC_MAX];
	char			 err[256], path[256];
	uint64_t		 cid;
	int			 d, flags;

	mk_dirs();
	(void)snprintf(path, sizeof(path), "%s/f.txt", tdir);
	write_file(path, "content", 7);
	s = mk_session(&d, "alice");

	/* The offer's receipt says there is no such session. */
	put_receipt(d, 2, NC_NO_SUCH_SESSION);
	ck_assert_int_eq(nc_send_file(s, "bob", path, TMO, err, sizeof(err)),
	    NC_NO_SUCH_SESSION);
	ck_assert_str_eq(err, "bob: no such session");
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl),
	    1 + NC__OFFER_HDR + 5);
	ck_assert(cid == 2);
	ck_assert_int_eq(flags, SP_F_RECEIPT);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_OFFER);
	ck_assert(nc__get64(pl + 9) == 7);
	ck_assert(memcmp(pl + 1 + NC__OFFER_HDR, "f.txt", 5) == 0);

	/* Offer taken, then nothing comes back: no progress, timeout. */
	put_receipt(d, 4, NC_OK);
	ck_assert_int_eq(nc_send_file(s, "bob", path, 200, err, sizeof(err)),
	    NC_TIMEOUT);
	ck_assert_str_eq(err, "bob: timed out");
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl),
	    1 + NC__OFFER_HDR + 5);
	ck_assert(cid == 4);
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl), 1 + 16 + 7);
	ck_assert(cid == 6);
	ck_assert_int_eq(flags, SP_F_RECEIPT);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_DATA);
	ck_assert(nc__get64(pl + 9) == 0);
	ck_assert(memcmp(pl + 17, "content", 7) == 0);
	/* And an END, so that the receiver drops its copy at once. */
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl), 9);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_END);
	ck_assert_int_eq(flags, 0);

	/* A FILE_RESULT for another transfer id changes nothing. */
	put_receipt(d, 10, NC_OK);
	memcpy(res, pl + 1, 8);
	res[8] = NC_OK;
	put_deliver(d, "bob", SP_CT_FILE_RESULT, res, sizeof(res), NULL, 0);
	ck_assert_int_eq(nc_send_file(s, "bob", path, 200, err, sizeof(err)),
	    NC_TIMEOUT);
	/* Nor do receipts for ids it does not wait for. */
	put_receipt(d, 12, NC_OK);
	put_receipt(d, 14, NC_REJECTED);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

/*
 * The whole transfer: the parent sends, one child plays the daemon (a
 * relay that refuses some chunks as busy), another receives.
 */
static void
relay_send(int from_fd, int to_fd, const char *from, int *n, int busy_every)
{
	uint8_t		buf[REC_MAX], type, pl[REC_MAX];
	uint64_t	cid;
	size_t		len, tl, plen;

	len = get_rec(from_fd, &type, buf);
	if (type != SP_SEND)
		return;
	cid = nc__get64(buf);
	tl = buf[9];
	plen = len - 10 - tl;
	memcpy(pl, buf + 10 + tl, plen);
	if (busy_every > 0 && pl[0] == SP_CT_FILE_DATA &&
	    ++*n % busy_every == 0) {
		put_receipt(from_fd, cid, NC_BUSY);
		return;
	}
	put_deliver(to_fd, from, pl[0], pl + 1, plen - 1, NULL, 0);
	if (buf[8] & SP_F_RECEIPT)
		put_receipt(from_fd, cid, NC_OK);
}

static void __attribute__((noreturn))
relay(int a, int b, int busy_every)
{
	struct pollfd	pfd[2];
	char		c;
	int		i, n = 0;

	(void)alarm(10);
	relaying = 1;
	pfd[0].fd = a;
	pfd[1].fd = b;
	pfd[0].events = pfd[1].events = POLLIN;
	for (i = 0; i < 100000; i++) {
		if (poll(pfd, 2, 3 * TMO) <= 0)
			_exit(1);
		if (pfd[0].revents) {
			if (recv(a, &c, 1, MSG_PEEK) <= 0)
				_exit(0);	/* the sender is done */
			relay_send(a, b, "alice", &n, busy_every);
		}
		if (pfd[1].revents) {
			/* The receiver may leave first: stop watching it. */
			if (recv(b, &c, 1, MSG_PEEK) <= 0)
				pfd[1].fd = -1;
			else
				relay_send(b, a, "bob", &n, 0);
		}
	}
	_exit(3);
}

static void __attribute__((noreturn))
receiver(int fd, int accept_files)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	int			 i, r;

	(void)alarm(10);
	if (nc__attach(&s, fd, "bob", NULL, 0) != NC_OK ||
	    (accept_files && nc_receive_files(s, odir) == -1))
		_exit(20);
	for (i = 0; i < 1000; i++) {
		if ((r = nc_next(s, &ev, 100)) == -1)
			_exit(21);
		if (r == 1 && ev.type == NC_EV_FILE_SAVED) {
			nc_close(s);
			_exit(strcmp(ev.name, "data.bin") == 0 ? 0 : 22);
		}
		if (r == 1 && ev.type == NC_EV_FILE_FAILED) {
			nc_close(s);
			_exit(!accept_files && ev.status == NC_REJECTED &&
			    strcmp(ev.name, "data.bin") == 0 ? 0 : 23);
		}
	}
	_exit(24);
}

static void
transfer(size_t size, int busy_every, int accept_files)
{
	struct nc_session	*s;
	uint8_t			*data, type, buf[REC_MAX];
	char			 err[256], path[256];
	pid_t			 rl, rc;
	size_t			 i;
	int			 a[2], b[2], st, r;

	mk_dirs();
	ck_assert_ptr_nonnull(data = malloc(size + 1));
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	(void)snprintf(path, sizeof(path), "%s/data.bin", tdir);
	write_file(path, data, size);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	put_attached(a[1], NC_OK, "hosta", "alice");
	put_attached(b[1], NC_OK, "hosta", "bob");
	ck_assert_int_eq(nc__attach(&s, a[0], "alice", NULL, 0), NC_OK);
	ck_assert_int_eq(get_rec(a[1], &type, buf), 7);
	ck_assert_int_ne(rc = fork(), -1);
	/* Each child keeps only its own ends, so that EOFs are seen. */
	if (rc == 0) {
		(void)close(a[0]);
		(void)close(a[1]);
		(void)close(b[1]);
		receiver(b[0], accept_files);
	}
	(void)close(b[0]);
	ck_assert_int_eq(get_rec(b[1], &type, buf), 5);
	ck_assert_int_ne(rl = fork(), -1);
	if (rl == 0) {
		(void)close(a[0]);
		relay(a[1], b[1], busy_every);
	}
	(void)close(a[1]);
	(void)close(b[1]);

	r = nc_send_file(s, "bob", path, 5000, err, sizeof(err));
	ck_assert_msg(r == (accept_files ? NC_OK : NC_REJECTED),
	    "size %zu: %d (%s)", size, r, err);
	nc_close(s);
	ck_assert_int_eq(waitpid(rc, &st, 0), rc);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(waitpid(rl, &st, 0), rl);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	if (accept_files)
		check_file(odir, "data.bin", data, size);
	ck_assert_int_eq(count_entries(odir), accept_files ? 1 : 0);
	free(data);
	rm_dirs();
}

START_TEST(test_send_file_transfer)
{
	transfer(40 * NC__CHUNK + 12345, 0, 1);
}
END_TEST

START_TEST(test_send_file_go_back_n)
{
	transfer(40 * NC__CHUNK + 777, 7, 1);
}
END_TEST

START_TEST(test_send_file_small)
{
	transfer(0, 0, 1);
	transfer(1, 2, 1);
	transfer(NC__CHUNK, 0, 1);
	/* A receiver that takes no files refuses the offer. */
	transfer(1000, 0, 0);
}
END_TEST

/* ---- a receiver that forgot ------------------------------------------- */

/*
 * A receiver that has forgotten the transfer (its daemon restarted, and a
 * new session of the same name took over): every SEND is delivered, but
 * no FILE_RESULT ever comes.  The receipts of the re-sent ENDs are not
 * progress, so send-file gives up after timeout_ms instead of waiting
 * forever.  The child acknowledges everything and counts the ENDs.
 */
static void __attribute__((noreturn))
black_hole(int fd)
{
	struct pollfd	pfd;
	uint8_t		hdr[5], buf[REC_MAX];
	uint32_t	len;
	int		ends = 0, i;

	(void)alarm(30);
	for (i = 0; i < 10000; i++) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20000) != 1 || read_full(fd, hdr, 5) != 1)
			break;
		len = nc__get32(hdr);
		if (len < 1 || len > SP_MAX_LEN ||
		    (len > 1 && read_full(fd, buf, len - 1) != 1))
			break;
		if (hdr[4] != SP_SEND)
			continue;
		if (buf[10 + buf[9]] == SP_CT_FILE_END)
			ends++;
		/* The last END wants no answer: the sender may be gone. */
		if (buf[8] & SP_F_RECEIPT)
			put_receipt(fd, nc__get64(buf), NC_OK);
	}
	_exit(ends);
}

START_TEST(test_send_file_forgotten)
{
	struct nc_session	*s;
	char			 err[256], path[256];
	pid_t			 pid;
	int			 d, st;

	mk_dirs();
	(void)snprintf(path, sizeof(path), "%s/f.txt", tdir);
	write_file(path, "content", 7);
	s = mk_session(&d, "alice");
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		(void)close(nc_fd(s));	/* so that our EOF comes */
		black_hole(d);
	}
	/*
	 * One END, one re-send after NC__END_RETRY_MS, the timeout, and the
	 * END that tells the receiver to drop its copy: three.
	 */
	ck_assert_int_eq(nc_send_file(s, "bob", path, NC__END_RETRY_MS + 1500,
	    err, sizeof(err)), NC_TIMEOUT);
	ck_assert_str_eq(err, "bob: timed out");
	nc_close(s);
	(void)close(d);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	rm_dirs();
}
END_TEST

static Suite *
libsendfile_suite(void)
{
	Suite	*s = suite_create("libnetcrypt send files");
	TCase	*tc;

	tc = tcase_create("files");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_send_file_local_errors);
	tcase_add_test(tc, test_send_file_answers);
	tcase_add_test(tc, test_send_file_transfer);
	tcase_add_test(tc, test_send_file_go_back_n);
	tcase_add_test(tc, test_send_file_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("slow files");
	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, test_send_file_forgotten);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return libfake_run(libsendfile_suite());
}
