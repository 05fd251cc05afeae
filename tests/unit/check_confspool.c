/*
 * Unit tests of the configuration parser (src/daemon/parse.y,
 * conf_spool.c) on the spool's statements: the "spool" block (directory,
 * size, peer size, lifetime max) and "mailbox" rules, their defaults,
 * bounds, the end-of-file checks, and errors as "file:line: message".
 * The fixtures and helpers are in conffix.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conffix.h"

START_TEST(t_defaults)
{
	struct nc_conf	*c;

	c = parse_ok("sp_defaults.conf", PRIV, 0);
	ck_assert_str_eq(c->spool_dir, NC_DEFAULT_SPOOL_DIR);
	ck_assert_uint_eq(c->spool_size, 1ULL << 30);
	ck_assert_uint_eq(c->spool_peer_size, 256ULL << 20);
	ck_assert_uint_eq(c->spool_lifetime_max, 30 * 86400);
	ck_assert_uint_eq(c->nmailboxes, 0);
	ck_assert_ptr_null(c->mailboxes);
	/* What the spool process gives a name no rule matches. */
	ck_assert_uint_eq(SPOOL_MAILBOX_SIZE, 64ULL << 20);
	ck_assert_uint_eq(SPOOL_MAILBOX_COUNT, 100000);
	config_free(c);
}
END_TEST

START_TEST(t_spool_block)
{
	struct nc_conf	*c;

	c = parse_ok("sp_block.conf", PRIV
	    "spool {\n"
	    "\tdirectory \"/srv/spool\"\n"
	    "\tsize 2G\n"
	    "\n"
	    "\tpeer size 512M\n"
	    "\tlifetime max 90d\n"
	    "}\n", 0);
	ck_assert_str_eq(c->spool_dir, "/srv/spool");
	ck_assert_uint_eq(c->spool_size, 2ULL << 30);
	ck_assert_uint_eq(c->spool_peer_size, 512ULL << 20);
	ck_assert_uint_eq(c->spool_lifetime_max, 90 * 86400);
	config_free(c);
}
END_TEST

/* A total under the default share: the share follows it. */
START_TEST(t_spool_peer_follows)
{
	struct nc_conf	*c;

	c = parse_ok("sp_follow.conf", PRIV "spool {\n\tsize 1M\n}\n", 0);
	ck_assert_uint_eq(c->spool_size, 1ULL << 20);
	ck_assert_uint_eq(c->spool_peer_size, 1ULL << 20);
	config_free(c);
}
END_TEST

/* One line, the brace on the next line, and every duration unit. */
START_TEST(t_spool_forms)
{
	struct nc_conf	*c;

	c = parse_ok("sp_forms1.conf", PRIV
	    "spool { directory \"/a/b\" }\n", 0);
	ck_assert_str_eq(c->spool_dir, "/a/b");
	config_free(c);
	c = parse_ok("sp_forms2.conf", PRIV
	    "spool\n{\n\tlifetime max 12h }\n", 0);
	ck_assert_uint_eq(c->spool_lifetime_max, 12 * 3600);
	config_free(c);
	c = parse_ok("sp_forms3.conf", PRIV
	    "spool {\n\tlifetime max 90m\n}\n", 0);
	ck_assert_uint_eq(c->spool_lifetime_max, 90 * 60);
	config_free(c);
	c = parse_ok("sp_forms4.conf", PRIV
	    "spool {\n\tlifetime max 45s\n}\n", 0);
	ck_assert_uint_eq(c->spool_lifetime_max, 45);
	config_free(c);
	c = parse_ok("sp_forms5.conf", PRIV
	    "spool {\n\tlifetime max 7776000\n\tsize 1024G\n"
	    "\tpeer size 64K\n}\n", 0);
	ck_assert_uint_eq(c->spool_lifetime_max, 90 * 86400);
	ck_assert_uint_eq(c->spool_size, 1ULL << 40);
	ck_assert_uint_eq(c->spool_peer_size, 64 * 1024);
	config_free(c);
}
END_TEST

START_TEST(t_spool_bounds)
{
	parse_bad("sp_bounds.conf", PRIV
	    "spool {\n"
	    "\tsize 1023K\n"
	    "\tsize 1025G\n"
	    "\tpeer size 63K\n"
	    "\tlifetime max 91d\n"
	    "\tlifetime max 0\n"
	    "\tsize 10T\n"
	    "\tlifetime max 3w\n"
	    "}\n", 0,
	    "3: spool size 1023K: out of range 1M..1024G",
	    "4: spool size 1025G: out of range 1M..1024G",
	    "5: spool peer size 63K: out of range 64K..1024G",
	    "6: spool lifetime max 91d: out of range 1s..90d",
	    "7: spool lifetime max 0: out of range 1s..90d",
	    "8: spool size: bad size \"10T\"",
	    "9: spool lifetime max: bad duration \"3w\" (a number of seconds, "
	    "optionally followed by s, m, h or d)", NULL);
}
END_TEST

START_TEST(t_spool_errors)
{
	parse_bad("sp_errors.conf", PRIV
	    "spool {\n"
	    "\tdirectory \"var/spool\"\n"
	    "\tdirectory \"/\"\n"
	    "\tsize\n"
	    "\tcolour blue\n"
	    "}\n"
	    "directory \"/x\"\n", 0,
	    "3: spool directory \"var/spool\": not an absolute path",
	    "4: spool directory \"/\": give a directory of its own",
	    "5: syntax error",
	    "6: unknown keyword \"colour\"",
	    "8: syntax error", NULL);
}
END_TEST

/* Checked once the whole file is read, at the line of the block. */
START_TEST(t_spool_end_checks)
{
	parse_bad("sp_end1.conf", PRIV
	    "\n"
	    "spool {\n"
	    "\tsize 100M\n"
	    "\tpeer size 200M\n"
	    "}\n", 0,
	    "3: spool peer size 209715200 is more than spool size 104857600",
	    NULL);
	parse_bad("sp_end2.conf", PRIV
	    "chroot \"/var/empty\"\n"
	    "spool { directory \"/var/empty\" }\n", 0,
	    "3: spool directory /var/empty: the same as the chroot", NULL);
	/* Without a block: the default size is smaller than this. */
	parse_bad("sp_end3.conf", PRIV
	    "spool {\n\tpeer size 1024G\n}\n", 0,
	    "2: spool peer size 1099511627776 is more than spool size",
	    NULL);
}
END_TEST

START_TEST(t_mailbox_rules)
{
	struct nc_conf		*c;
	struct mailbox_rule	*m;

	c = parse_ok("mb_rules.conf", PRIV
	    "mailbox \"alice\" { size 1G count 5 }\n"
	    "mailbox \"anon-*\" none\n"
	    "mailbox \"bob\" {\n"
	    "\tcount 10000000\n"
	    "}\n"
	    "mailbox \"c?rol\" {\n"
	    "\tsize 64K\n"
	    "\tcount 7 }\n"
	    "mailbox \"*\" { size 128M }\n", 0);
	ck_assert_uint_eq(c->nmailboxes, 5);
	m = c->mailboxes;
	ck_assert_str_eq(m[0].pattern, "alice");
	ck_assert_int_eq(m[0].none, 0);
	ck_assert_uint_eq(m[0].max_bytes, 1ULL << 30);
	ck_assert_uint_eq(m[0].max_count, 5);
	ck_assert_int_eq(m[0].lineno, 2);
	ck_assert_str_eq(m[1].pattern, "anon-*");
	ck_assert_int_eq(m[1].none, 1);
	/* What is not given is the default. */
	ck_assert_str_eq(m[2].pattern, "bob");
	ck_assert_uint_eq(m[2].max_bytes, SPOOL_MAILBOX_SIZE);
	ck_assert_uint_eq(m[2].max_count, 10000000);
	ck_assert_str_eq(m[3].pattern, "c?rol");
	ck_assert_uint_eq(m[3].max_bytes, 64 * 1024);
	ck_assert_uint_eq(m[3].max_count, 7);
	ck_assert_str_eq(m[4].pattern, "*");
	ck_assert_uint_eq(m[4].max_bytes, 128ULL << 20);
	ck_assert_uint_eq(m[4].max_count, SPOOL_MAILBOX_COUNT);
	config_free(c);
}
END_TEST

START_TEST(t_mailbox_errors)
{
	parse_bad("mb_errors.conf", PRIV
	    "mailbox \"a b\" none\n"
	    "mailbox \"x\"\n"
	    "mailbox \"y\" { size 1K }\n"
	    "mailbox \"y\" { count 0 count 10000001 }\n"
	    "mailbox \"z\" { size 64M }\n"
	    "mailbox \"z\" none\n"
	    "mailbox \"w*\" none\n"
	    "mailbox \"wendy\" { size 1M }\n"
	    "mailbox \"v\" none { size 1M }\n"
	    "mailbox \"u\" { none }\n", 0,
	    "2: mailbox \"a b\": a name pattern has 1 to 64 letters",
	    "3: mailbox \"x\": give its size and count in braces, or none",
	    "4: mailbox size 1K: out of range 64K..1024G",
	    "5: mailbox count 0: out of range 1..10000000",
	    "5: mailbox count 10000001: out of range 1..10000000",
	    "7: mailbox \"z\" given twice (first at ",
	    "9: mailbox \"wendy\" is never used: \"w*\" (",
	    "10: syntax error",
	    "11: syntax error", NULL);
}
END_TEST

/* At most SPOOL_MAILBOX_RULES_MAX rules; the next one is refused. */
START_TEST(t_mailbox_bound)
{
	size_t	 sz = 64 + (SPOOL_MAILBOX_RULES_MAX + 1) * 40;
	char	*text, line[64], expect[64];
	int	 i;

	ck_assert_ptr_nonnull(text = malloc(sz));
	(void)snprintf(text, sz, "%s", PRIV);
	for (i = 0; i < SPOOL_MAILBOX_RULES_MAX; i++) {
		(void)snprintf(line, sizeof(line), "mailbox \"n%d\" none\n", i);
		(void)strncat(text, line, sz - strlen(text) - 1);
	}
	config_free(parse_ok("mb_max.conf", text, 0));
	(void)strncat(text, "mailbox \"last\" none\n", sz - strlen(text) - 1);
	(void)snprintf(expect, sizeof(expect), "%d: more than %d mailbox "
	    "rules", SPOOL_MAILBOX_RULES_MAX + 2, SPOOL_MAILBOX_RULES_MAX);
	parse_bad("mb_max1.conf", text, 0, expect, NULL);
	free(text);
}
END_TEST

START_TEST(t_mailbox_equal_copy)
{
	struct nc_conf	*a, *b;

	a = parse_ok("mb_eq1.conf", PRIV
	    "mailbox \"a\" none\nmailbox \"b\" { size 1M }\n", 0);
	b = parse_ok("mb_eq2.conf", PRIV
	    "\nmailbox \"a\" none\nmailbox \"b\" { size 1M }\n", 0);
	/* Where a rule is written does not matter. */
	ck_assert_int_eq(conf_mailboxes_equal(a, b), 1);
	config_free(b);
	b = parse_ok("mb_eq3.conf", PRIV
	    "mailbox \"a\" none\nmailbox \"b\" { size 2M }\n", 0);
	ck_assert_int_eq(conf_mailboxes_equal(a, b), 0);
	conf_mailboxes_copy(b, a);
	ck_assert_int_eq(conf_mailboxes_equal(a, b), 1);
	ck_assert_uint_eq(b->mailboxes[1].max_bytes, 1ULL << 20);
	config_free(b);
	b = parse_ok("mb_eq4.conf", PRIV, 0);
	ck_assert_int_eq(conf_mailboxes_equal(a, b), 0);
	conf_mailboxes_copy(a, b);
	ck_assert_uint_eq(a->nmailboxes, 0);
	config_free(a);
	config_free(b);
}
END_TEST

static Suite *
confspool_suite(void)
{
	Suite	*s = suite_create("config spool");
	TCase	*tc;

	tc = tcase_create("spool");
	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_spool_block);
	tcase_add_test(tc, t_spool_peer_follows);
	tcase_add_test(tc, t_spool_forms);
	tcase_add_test(tc, t_spool_bounds);
	tcase_add_test(tc, t_spool_errors);
	tcase_add_test(tc, t_spool_end_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("mailbox");
	tcase_add_test(tc, t_mailbox_rules);
	tcase_add_test(tc, t_mailbox_errors);
	tcase_add_test(tc, t_mailbox_bound);
	tcase_add_test(tc, t_mailbox_equal_copy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conffix_run(confspool_suite());
}
