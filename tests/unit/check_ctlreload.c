/*
 * Unit tests for reload and check over the control socket: refused where
 * the daemon offers no reload; else forwarded to the network child and
 * answered later by control_answer(), to the right client only, once,
 * and dropped if the client has gone.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <check.h>

#include "control.h"
#include "ctlfix.h"
#include "unitrun.h"

START_TEST(reload_not_offered)
{
	int	fd;

	fd = client();
	send_req(fd, CTL_RELOAD, NULL, 0);
	assert_error_reply(fd, "reload is not supported here");
	(void)close(fd);
	fd = client();
	send_req(fd, CTL_CHECK, NULL, 0);
	assert_error_reply(fd, "check is not supported here");
	(void)close(fd);
}
END_TEST

START_TEST(reload_answered)
{
	static const char	 done[] =
	    "peer c: added\nconfiguration reloaded\n";
	struct reply		 r;
	struct parsed		 pr;
	int			 fd;

	fd = client();
	send_req(fd, CTL_RELOAD, NULL, 0);
	pump(50);
	ck_assert_uint_eq(reload_calls, 1);
	ck_assert_int_eq(reload_check, 0);
	/* Nothing until the answer comes; another id is not this client. */
	control_answer(reload_client + 1, 0, "wrong", 5);
	collect(fd, &r, 100);
	ck_assert(!r.eof);
	ck_assert_uint_eq(r.len, 0);
	free_reply(&r, NULL);
	control_answer(reload_client, 0, done, strlen(done));
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_str_eq(pr.text, done);
	free_reply(&r, &pr);
	(void)close(fd);
	/* The same client cannot be answered twice. */
	control_answer(reload_client, 0, done, strlen(done));
	pump(10);
}
END_TEST

START_TEST(check_refused)
{
	static const char	err[] = "a.conf:3: unknown keyword \"x\"\n";
	int			fd;

	fd = client();
	send_req(fd, CTL_CHECK, NULL, 0);
	pump(50);
	ck_assert_uint_eq(reload_calls, 1);
	ck_assert_int_eq(reload_check, 1);
	control_answer(reload_client, 1, err, strlen(err));
	assert_error_reply(fd, err);
	(void)close(fd);
}
END_TEST

START_TEST(reload_malformed)
{
	int	fd;

	fd = client();
	send_req(fd, CTL_RELOAD, "x", 1);
	assert_error_reply(fd, "malformed reload request");
	(void)close(fd);
	ck_assert_uint_eq(reload_calls, 0);
}
END_TEST

/* A client that gives up before the answer: the answer is dropped. */
START_TEST(reload_client_gone)
{
	unsigned int	id;
	int		fd;

	control_set_timeout_ms(100);
	fd = client();
	send_req(fd, CTL_RELOAD, NULL, 0);
	pump(50);
	ck_assert_uint_eq(reload_calls, 1);
	id = reload_client;
	(void)close(fd);
	pump(300);		/* its deadline passes: freed */
	control_answer(id, 0, "late", 4);
	pump(10);
	control_set_timeout_ms(0);
	assert_show_works(0);
}
END_TEST

static Suite *
ctlreload_suite(void)
{
	Suite	*s = suite_create("control reload");
	TCase	*tc;

	tc = tcase_create("not offered");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, reload_not_offered);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, setup_reload, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, reload_answered);
	tcase_add_test(tc, check_refused);
	tcase_add_test(tc, reload_malformed);
	tcase_add_test(tc, reload_client_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(ctlreload_suite());
}
