/*
 * Unit tests for the control socket's server, driven over a real UNIX
 * socket in a temporary directory with clients in the same process
 * (tests/unit/ctlfix.c): `show` in both formats and in chunks, malformed
 * and oversized requests, clients that leave halfway, too many clients,
 * idle and request deadlines, a reader that stalls, running out of
 * descriptors, and shutdown.  The formats themselves are in
 * check_ctlformat.c, reload and check in check_ctlreload.c.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "buf.h"
#include "control.h"
#include "ctlfix.h"
#include "unitrun.h"

START_TEST(show_json)
{
	assert_show_works(CTL_F_JSON);
	ck_assert_int_eq(fake_calls, 2);	/* server, then expected() */
}
END_TEST

START_TEST(show_table)
{
	struct reply	r;
	struct parsed	pr;
	int		fd;

	assert_show_works(0);
	fd = client();
	send_show(fd, 0);
	collect(fd, &r, 1000);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_ptr_nonnull(strstr(pr.text, "\nal\"ice\\x  up "));
	ck_assert_ptr_nonnull(strstr(pr.text, "\nbob       backoff "));
	ck_assert_ptr_nonnull(strstr(pr.text, "    key " FP_B "\n"));
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

/* An answer larger than one record comes in bounded chunks. */
START_TEST(show_chunked)
{
	struct reply	r;
	struct parsed	pr;
	char		*want;
	int		fd;

	fake_npeers = 2000;
	fd = client();
	send_show(fd, CTL_F_JSON);
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_uint_gt(pr.ntext, 10);
	want = expected(1);
	ck_assert_uint_eq(pr.ntext,
	    (strlen(want) + CTL_MAX_BODY - 1) / CTL_MAX_BODY);
	ck_assert_str_eq(pr.text, want);
	ck_assert(json_valid(pr.text));
	free(want);
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

START_TEST(unknown_type)
{
	int	fd;

	fd = client();
	send_req(fd, 77, "abc", 3);
	assert_error_reply(fd, "unknown request type 77");
	(void)close(fd);
	/* A reply type sent as a request is just as unknown. */
	fd = client();
	send_req(fd, CTL_END, NULL, 0);
	assert_error_reply(fd, "unknown request type 3");
	(void)close(fd);
	ck_assert_int_eq(fake_calls, 0);
	assert_show_works(0);
}
END_TEST

START_TEST(malformed_show)
{
	uint8_t	two[2] = { 0, 0 };
	int	fd;

	fd = client();
	send_req(fd, CTL_SHOW, NULL, 0);
	assert_error_reply(fd, "malformed show request");
	(void)close(fd);
	fd = client();
	send_req(fd, CTL_SHOW, two, sizeof(two));
	assert_error_reply(fd, "malformed show request");
	(void)close(fd);
	fd = client();
	send_show(fd, 0x82);
	assert_error_reply(fd, "unknown show flags 0x82");
	(void)close(fd);
	ck_assert_int_eq(fake_calls, 0);
}
END_TEST

START_TEST(oversized_length)
{
	uint8_t	hdr[CTL_HDR_LEN];
	int	fd;

	fd = client();
	put_u32(hdr, CTL_MAX_BODY + 1);
	hdr[4] = CTL_SHOW;
	send_raw(fd, hdr, sizeof(hdr));
	assert_closed_silently(fd, 1000);
	(void)close(fd);
	fd = client();
	put_u32(hdr, UINT32_MAX);
	send_raw(fd, hdr, sizeof(hdr));
	assert_closed_silently(fd, 1000);
	(void)close(fd);
	assert_show_works(CTL_F_JSON);
}
END_TEST

/* The largest legal body is read whole, then answered. */
START_TEST(max_body)
{
	uint8_t	*body;
	int	 fd;

	ck_assert_ptr_nonnull(body = calloc(1, CTL_MAX_BODY));
	fd = client();
	send_req(fd, 9, body, CTL_MAX_BODY);
	assert_error_reply(fd, "unknown request type 9");
	(void)close(fd);
	free(body);
}
END_TEST

START_TEST(disconnect_mid_request)
{
	uint8_t	hdr[CTL_HDR_LEN] = { 0, 0, 0, 1, CTL_SHOW };
	int	fd, i;

	/* Gone in the header, after it, and right after a full request. */
	for (i = 0; i < 3; i++) {
		fd = client();
		send_raw(fd, hdr, i == 0 ? 3 : sizeof(hdr));
		if (i == 2)
			send_raw(fd, "\0", 1);
		pump(5);
		(void)close(fd);
		pump(5);
	}
	/* Every slot was given back: a full house is still served. */
	{
		int	fds[CTL_MAX_CLIENTS];

		for (i = 0; i < CTL_MAX_CLIENTS; i++)
			fds[i] = client();
		pump(10);
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct reply	r;
			struct parsed	pr;

			send_show(fds[i], 0);
			collect(fds[i], &r, 1000);
			parse_reply(&r, &pr);
			ck_assert_int_eq(pr.status, 0);
			free_reply(&r, &pr);
			(void)close(fds[i]);
		}
	}
}
END_TEST

/*
 * A client that leaves in the middle of a large answer: the server gets
 * EPIPE, not SIGPIPE (which is not ignored here), and carries on.
 */
START_TEST(disconnect_mid_reply)
{
	uint8_t	buf[1024];
	int	fd;

	fake_npeers = 5000;
	fd = client();
	send_show(fd, CTL_F_JSON);
	pump(10);
	ck_assert_int_gt(read(fd, buf, sizeof(buf)), 0);
	(void)close(fd);
	pump(20);
	fake_npeers = 2;
	assert_show_works(0);
}
END_TEST

START_TEST(too_many_clients)
{
	int	fds[CTL_MAX_CLIENTS], extra, i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		fds[i] = client();
	pump(10);
	extra = client();
	assert_closed_silently(extra, 1000);
	(void)close(extra);
	/* The ones let in are served normally. */
	{
		struct reply	r;
		struct parsed	pr;

		send_show(fds[0], CTL_F_JSON);
		collect(fds[0], &r, 1000);
		parse_reply(&r, &pr);
		ck_assert_int_eq(pr.status, 0);
		ck_assert_str_eq(pr.text, json_want);
		free_reply(&r, &pr);
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		(void)close(fds[i]);
	pump(10);
	assert_show_works(0);
}
END_TEST

START_TEST(idle_timeout)
{
	struct reply	r;
	int		fd;

	/*
	 * 40 ms in, not yet; the 260 ms between are for a loaded machine
	 * (distcheck's parallel tests) that stops this process a while.
	 */
	control_set_timeout_ms(300);
	fd = client();
	collect(fd, &r, 40);
	ck_assert(!r.eof);		/* not yet */
	free_reply(&r, NULL);
	assert_closed_silently(fd, 2000);
	(void)close(fd);
	assert_show_works(CTL_F_JSON);
}
END_TEST

/* Trickling a byte now and then does not buy more time. */
START_TEST(request_deadline)
{
	struct reply	r;
	uint8_t		hdr[CTL_HDR_LEN] = { 0, 0, 0, 1, CTL_SHOW };
	int		fd, i;

	control_set_timeout_ms(100);
	fd = client();
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 5 && !r.eof; i++) {
		(void)send(fd, hdr + i, 1, MSG_NOSIGNAL);
		pump(40);
		(void)drain(fd, &r);
	}
	ck_assert(r.eof);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_lt(i, 5);
	free_reply(&r, NULL);
	(void)close(fd);
}
END_TEST

/* A client that asks and then never reads is dropped as well. */
START_TEST(reader_stalls)
{
	struct reply	r;
	struct parsed	pr;
	char		*want;
	int		fd;

	control_set_timeout_ms(100);
	fake_npeers = 5000;
	fd = client();
	send_show(fd, CTL_F_JSON);
	pump(300);
	/* Whatever was buffered is there, then EOF, and no CTL_END. */
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	want = expected(1);
	ck_assert_uint_lt(r.len, strlen(want));
	free(want);
	r.len -= r.len % (CTL_HDR_LEN + CTL_MAX_BODY);	/* whole records */
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, -1);
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

/* Out of descriptors: accepting pauses, then resumes. */
START_TEST(accept_emfile)
{
	struct rlimit	 old, low;
	struct reply	 r;
	struct parsed	 pr;
	int		 fd, fill[256], nfill = 0, i;

	fd = client();
	send_show(fd, 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* Use up every descriptor below the limit. */
	low = old;
	low.rlim_cur = (rlim_t)fd + 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nfill < 256 && (i = dup(fd)) != -1)
		fill[nfill++] = i;
	ck_assert_int_eq(errno, EMFILE);
	collect(fd, &r, 50);
	ck_assert_uint_eq(r.len, 0);
	ck_assert(!r.eof);
	free_reply(&r, NULL);
	for (i = 0; i < nfill; i++)
		(void)close(fill[i]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	collect(fd, &r, 1500);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

START_TEST(shutdown_closes_all)
{
	int	fds[3], i;

	for (i = 0; i < 3; i++)
		fds[i] = client();
	send_raw(fds[1], "\0\0", 2);
	pump(10);
	control_shutdown();
	for (i = 0; i < 3; i++) {
		assert_closed_silently(fds[i], 100);
		(void)close(fds[i]);
	}
	/* The listening socket went with it. */
	ck_assert_int_eq(fcntl(lfd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	/* Again is harmless; teardown does it too. */
	control_shutdown();
}
END_TEST

static Suite *
control_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc;

	tc = tcase_create("server");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, show_json);
	tcase_add_test(tc, show_table);
	tcase_add_test(tc, show_chunked);
	tcase_add_test(tc, unknown_type);
	tcase_add_test(tc, malformed_show);
	tcase_add_test(tc, oversized_length);
	tcase_add_test(tc, max_body);
	tcase_add_test(tc, disconnect_mid_request);
	tcase_add_test(tc, disconnect_mid_reply);
	tcase_add_test(tc, too_many_clients);
	tcase_add_test(tc, idle_timeout);
	tcase_add_test(tc, request_deadline);
	tcase_add_test(tc, reader_stalls);
	tcase_add_test(tc, accept_emfile);
	tcase_add_test(tc, shutdown_closes_all);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(control_suite());
}
