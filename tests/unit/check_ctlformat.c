/*
 * Unit tests for the control socket's formats: the JSON and the table
 * that `show` answers, exact for a known daemon, with hostile names
 * escaped (JSON) or made harmless (table), and the JSON checker the other
 * control tests rely on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "control.h"
#include "util.h"
#include "ctlfix.h"
#include "unitrun.h"

START_TEST(format_json_exact)
{
	char	*s = expected(1);

	ck_assert_str_eq(s, json_want);
	ck_assert(json_valid(s));
	free(s);
}
END_TEST

START_TEST(format_json_escapes)
{
	struct ctl_daemon	d;
	struct ctl_peer		p;
	char			*s;

	memset(&d, 0, sizeof(d));
	memset(&p, 0, sizeof(p));
	/* Control characters, bad UTF-8, good UTF-8, DEL. */
	nc_strlcpy(d.name, "a\x01" "b\nc\xff" "\xc3\xa9" "\x7f",
	    sizeof(d.name));
	/* Overlong '/' and a lone surrogate are not UTF-8 either. */
	nc_strlcpy(p.name, "\xc0\xaf" "\xed\xa0\x80" "\"\\", sizeof(p.name));
	p.state = NULL;			/* a NULL string is "" */
	p.up_seconds = 0;
	ck_assert_ptr_nonnull(s = control_format(&d, &p, 1, 1));
	ck_assert(json_valid(s));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"a\\u0001b\\u000ac\\ufffd"
	    "\xc3\xa9" "\\u007f\""));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\\"\\\\\""));
	ck_assert_ptr_nonnull(strstr(s, "\"state\":\"\""));
	ck_assert_ptr_nonnull(strstr(s, "\"up_seconds\":0,"));
	free(s);
}
END_TEST

START_TEST(format_json_no_peers)
{
	char	*s;

	fake_npeers = 0;
	s = expected(1);
	ck_assert_ptr_nonnull(strstr(s, ",\"peers\":[]}\n"));
	ck_assert(json_valid(s));
	free(s);
	/* The checker itself must reject what is broken. */
	ck_assert(!json_valid("{\"a\":1"));
	ck_assert(!json_valid("{\"a\":\"\x01\"}"));
	ck_assert(!json_valid("{\"a\":\"\\x\"}"));
	ck_assert(!json_valid("[1,]"));
}
END_TEST

static const char table_want[] =
    "netcryptd hosta, key " FP_D ", up 1d02h03m\n"
    "sessions 4, handshakes 12 ok 3 failed 8 evicted 9 proven\n"
    "rsa unwraps 7 done 5 refused 6 cancelled, rate 294/s\n"
    "session policy: 5 attaches refused, 6 messages rejected\n"
    "\n"
    "NAME      STATE    ADDRESS                CIPHER       "
    "      UP  BYTES-IN  BYTES-OUT  KEYUPD  REKEYS  RECONN  QUEUED\n"
    "al\"ice\\x  up       192.0.2.7:55555 (out)  aes-256-gcm  "
    "01:02:03      1000      20000       1       6       2     0/0\n"
    "    key " FP_A "\n"
    "bob       backoff  -                      -            "
    "       -         0          0       0       0       5  3/4096\n"
    "    key " FP_B "\n";

START_TEST(format_table_exact)
{
	char	*s = expected(0);

	ck_assert_str_eq(s, table_want);
	free(s);
}
END_TEST

START_TEST(format_table_sanitized)
{
	struct ctl_daemon	d;
	struct ctl_peer		p[2];
	char			*s;

	memset(&d, 0, sizeof(d));
	memset(p, 0, sizeof(p));
	nc_strlcpy(d.name, "h\x1b[2J", sizeof(d.name));
	nc_strlcpy(p[0].name, "e\x1b]0;x\x07\xc3\xa9", sizeof(p[0].name));
	p[0].state = "up";
	p[0].up_seconds = 8 * 86400 + 3 * 3600;	/* 01w1d03h */
	nc_strlcpy(p[1].name, "long-name-of-a-peer", sizeof(p[1].name));
	p[1].state = "idle";
	p[1].up_seconds = -1;
	ck_assert_ptr_nonnull(s = control_format(&d, p, 2, 0));
	ck_assert_ptr_null(strchr(s, '\x1b'));
	ck_assert_ptr_null(strchr(s, '\x07'));
	ck_assert_ptr_nonnull(strstr(s, "netcryptd h?[2J, key -,"));
	ck_assert_ptr_nonnull(strstr(s, "\ne?]0;x??? "));
	ck_assert_ptr_nonnull(strstr(s, " 01w1d03h "));
	ck_assert_ptr_nonnull(strstr(s, "\nlong-name-of-a-peer  idle "));
	free(s);
}
END_TEST

static Suite *
ctlformat_suite(void)
{
	Suite	*s = suite_create("control formats");
	TCase	*tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, reset_fake, NULL);
	tcase_add_test(tc, format_json_exact);
	tcase_add_test(tc, format_json_escapes);
	tcase_add_test(tc, format_json_no_peers);
	tcase_add_test(tc, format_table_exact);
	tcase_add_test(tc, format_table_sanitized);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(ctlformat_suite());
}
