/*
 * Unit tests for libnetcrypt's sessions, without a daemon: attaching
 * (nc__attach over a socketpair, the real nc_open over a UNIX socket with
 * a forked child as the daemon), records from the daemon in pieces,
 * ignored or malformed, and the small helpers.  The test plays the daemon
 * (libfake.h).  Sending is in check_libsend.c, files in check_libfiles.c
 * and check_libsendfile.c.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libfake.h"

/* ---- attach ----------------------------------------------------------- */

START_TEST(test_attach_ok)
{
	struct nc_session	*s;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_str_eq(nc_session_name(s), "alice");
	ck_assert_str_eq(nc_daemon_name(s), "hosta");
	ck_assert_int_ge(nc_fd(s), 0);
	ck_assert_int_eq(fcntl(nc_fd(s), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	ck_assert_int_eq(fcntl(nc_fd(s), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	nc_close(s);
	(void)close(d);

	/* Anonymous: the daemon's name for it. */
	s = mk_session(&d, "");
	ck_assert_str_eq(nc_session_name(s), "anon-1");
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_attach_refused)
{
	struct nc_session	*s;
	char			 err[128];
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_attached(sv[1], NC_NAME_IN_USE, "", "");
	ck_assert_int_eq(nc__attach(&s, sv[0], "alice", err, sizeof(err)),
	    NC_NAME_IN_USE);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "name in use");
	(void)close(sv[1]);

	/* A bad name never reaches the daemon. */
	ck_assert_int_eq(nc_open(&s, "/nonexistent/sock", "a b", err,
	    sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_open(&s, "/nonexistent/sock",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234", err, sizeof(err)), NC_BAD_NAME);
	ck_assert_ptr_null(s);

	/* No daemon. */
	ck_assert_int_eq(nc_open(&s, "/nonexistent/sock", "alice", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is netcryptd running"));

	/* A daemon that hangs up, or answers nonsense. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	(void)close(sv[1]);
	ck_assert_int_eq(nc__attach(&s, sv[0], "alice", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_rec(sv[1], SP_ATTACHED, "\0\5ab", 4);
	ck_assert_int_eq(nc__attach(&s, sv[0], "alice", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(errno, EPROTO);
	(void)close(sv[1]);
}
END_TEST

/* The real nc_open() over a UNIX socket, a forked child as the daemon. */
static void
serve_attach(int lfd, int n)
{
	uint8_t	buf[REC_MAX], type;
	int	i, c;

	(void)alarm(5);
	for (i = 0; i < n; i++) {
		if ((c = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		if (get_rec(c, &type, buf) != 7 || type != SP_ATTACH ||
		    buf[0] != 5 || memcmp(buf + 1, "alice", 5) != 0 ||
		    buf[6] != SP_ATTACH_SPOOL)
			_exit(2);
		put_attached(c, i == 0 ? NC_OK : NC_NAME_IN_USE, "hosta",
		    "alice");
		/* Hold the first one until the second has been refused. */
	}
	_exit(0);
}

START_TEST(test_open_socket)
{
	struct sockaddr_un	 sun;
	struct nc_session	*s, *s2;
	char			 err[256];
	pid_t			 pid;
	int			 lfd, st;

	mk_dirs();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s.sock",
	    tdir);
	ck_assert_int_ne(lfd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0)
		serve_attach(lfd, 2);
	(void)close(lfd);
	ck_assert_int_eq(nc_open(&s, sun.sun_path, "alice", err, sizeof(err)),
	    NC_OK);
	ck_assert_str_eq(nc_session_name(s), "alice");
	ck_assert_str_eq(nc_daemon_name(s), "hosta");
	ck_assert_int_eq(nc_open(&s2, sun.sun_path, "alice", err,
	    sizeof(err)), NC_NAME_IN_USE);
	ck_assert_ptr_null(s2);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	nc_close(s);
	rm_dirs();
}
END_TEST

/* ---- records from the daemon ------------------------------------------ */

START_TEST(test_ignored_and_partial)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 rec[32];
	int			 d;

	s = mk_session(&d, "alice");
	put_deliver(d, "bob", 42, "zz", 2, NULL, 0);
	put_rec(d, SP_DELIVER, "\3bob", 4);	/* an empty payload */
	put_text(d, "bob", "ok");
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_uint_eq(ev.len, 2);
	ck_assert_uint_eq(s->ignored, 2);

	/* A record in pieces. */
	nc__put32(rec, 8);
	memcpy(rec + 4, "\5\3bob\0hi", 8);
	write_all(d, rec, 7);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	write_all(d, rec + 7, 5);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_uint_eq(ev.len, 2);
	ck_assert(memcmp(ev.data, "hi", 2) == 0);

	/* The daemon leaves: what it said first is still delivered. */
	put_text(d, "bob", "bye");
	(void)close(d);
	next_ev(s, &ev);
	ck_assert(memcmp(ev.data, "bye", 3) == 0);
	ck_assert_int_eq(nc_next(s, &ev, TMO), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(nc_send(s, "bob", "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EPIPE);
	nc_close(s);
}
END_TEST

/* Records from the daemon that must end the session with EPROTO. */
struct bad_record {
	size_t		 len;
	const char	*bytes;
};

static const struct bad_record malformed[] = {
	{ 4, "\0\0\0\0" },				/* length 0 */
	{ 5, "\0\1\0\1\5" },				/* length 65537 */
	{ 5, "\xff\xff\xff\xff\5" },			/* length 2^32-1 */
	{ 5, "\0\0\0\1\143" },				/* unknown type */
	{ 5, "\0\0\0\1\3" },				/* a SEND */
	{ 13, "\0\0\0\x09\4\0\0\0\0\0\0\0\1" },		/* short RECEIPT */
	{ 14, "\0\0\0\x0a\4\0\0\0\0\0\0\0\7\0" },	/* unused id */
	{ 14, "\0\0\0\x0a\4\0\0\0\0\0\0\0\0\0" },	/* id 0 */
	{ 5, "\0\0\0\1\5" },				/* empty DELIVER */
	{ 8, "\0\0\0\4\5\5ab" },			/* from too long */
	{ 9, "\0\0\0\5\5\3a b" },			/* from not a name */
	{ 7, "\0\0\0\3\5\0\0" },			/* from empty */
	{ 9, "\0\0\0\5\5\3a@\0" },			/* from "a@" */
	{ 6, "\0\0\0\2\7\0" },				/* short PEERLIST */
	{ 10, "\0\0\0\6\7\0\2\1a\1" },			/* 2 peers, 1 */
	{ 11, "\0\0\0\7\7\0\1\1a\1\0" },		/* trailing byte */
	{ 10, "\0\0\0\6\7\0\1\1\n\1" },			/* peer not a name */
	{ 12, "\0\0\0\x08\2\0\2hb\5alice" },		/* second ATTACHED */
};

START_TEST(test_malformed)
{
	const struct bad_record	*bad = &malformed[_i];
	struct nc_session	*s;
	struct nc_event		 ev;
	int			 d;

	s = mk_session(&d, "alice");
	write_all(d, bad->bytes, bad->len);
	ck_assert_int_eq(nc_next(s, &ev, TMO), -1);
	ck_assert_int_eq(errno, EPROTO);
	/* It sticks. */
	ck_assert_int_eq(nc_next(s, &ev, 0), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(nc_send(s, "bob", "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EPROTO);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- odds and ends ---------------------------------------------------- */

/*
 * Event buffers are reused (queue slots keep small ones, a large one is
 * kept as spare): whatever the order of sizes, each event's data is its
 * own message, NUL-terminated, though the events after it were read
 * into the queue's slots at once.
 */
START_TEST(test_event_buffers_reused)
{
	static const size_t	 sizes[] = { 10, 0, 300, 200, 5000, 3, 256,
				    255, 70, 40000, 1 };
	static uint8_t		 text[40001];
	struct nc_session	*s;
	struct nc_event		 ev;
	size_t			 i, k, n;
	int			 d;

	s = mk_session(&d, "alice");
	/* Three rounds, so that slots and the spare have been used. */
	for (k = 0; k < 3 * 11; k++) {
		n = sizes[k % 11];
		memset(text, 'a' + (int)(k % 26), n);
		put_deliver(d, "bob", SP_CT_TEXT, text, n, NULL, 0);
	}
	for (k = 0; k < 3 * 11; k++) {
		next_ev(s, &ev);
		n = sizes[k % 11];
		ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
		ck_assert_uint_eq(ev.len, n);
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(((const uint8_t *)ev.data)[i],
			    'a' + k % 26);
		ck_assert_uint_eq(((const uint8_t *)ev.data)[n], 0);
	}
	/* One at a time, past the queue's 144 slots: each slot reused. */
	for (k = 0; k < 160; k++) {
		n = sizes[k % 11];
		memset(text, 'A' + (int)(k % 26), n);
		put_deliver(d, "bob", SP_CT_TEXT, text, n, NULL, 0);
		next_ev(s, &ev);
		ck_assert_uint_eq(ev.len, n);
		ck_assert(n == 0 || (((const uint8_t *)ev.data)[0] ==
		    'A' + k % 26 && ((const uint8_t *)ev.data)[n - 1] ==
		    'A' + k % 26));
		ck_assert_uint_eq(((const uint8_t *)ev.data)[n], 0);
	}
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_misc)
{
	int	i;

	ck_assert_str_eq(nc_default_socket(), RUNSTATEDIR
	    "/netcryptd/session.sock");
	for (i = 0; i <= 9; i++)
		ck_assert_str_ne(nc_status_str(i), "unknown status");
	ck_assert_str_eq(nc_status_str(NC_TIMEOUT), "timed out");
	ck_assert_str_eq(nc_status_str(NC_NAME_IN_USE), "name in use");
	ck_assert_str_eq(nc_status_str(77), "unknown status");
	nc_close(NULL);
	ck_assert_int_eq(nc_send(NULL, "bob", "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_flush(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!nc__valid_file_name((const uint8_t *)"...", 3));
	ck_assert(!nc__valid_file_name((const uint8_t *)".hidden", 7));
	ck_assert(!nc__valid_file_name((const uint8_t *)"-rf", 3));
	ck_assert(!nc__valid_file_name((const uint8_t *)"-", 1));
	ck_assert(nc__valid_file_name((const uint8_t *)"a.-b", 4));
	ck_assert(nc__valid_file_name((const uint8_t *)"caf\xc3\xa9", 5));
	ck_assert_str_eq(nc_status_str(NC_NOT_ALLOWED),
	    "name not allowed for this user");
	ck_assert_str_ne(nc_status_str(NC_FILE_NO_SPACE), "unknown status");
}
END_TEST

static Suite *
lib_suite(void)
{
	Suite	*s = suite_create("libnetcrypt");
	TCase	*tc;

	tc = tcase_create("session");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_attach_ok);
	tcase_add_test(tc, test_attach_refused);
	tcase_add_test(tc, test_open_socket);
	tcase_add_test(tc, test_ignored_and_partial);
	tcase_add_loop_test(tc, test_malformed, 0,
	    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_event_buffers_reused);
	tcase_add_test(tc, test_misc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return libfake_run(lib_suite());
}
