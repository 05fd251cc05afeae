/*
 * Unit tests of the configuration parser (src/daemon/parse.y) on macros
 * (in the file and from the command line, forgotten between files) and
 * include (relative paths, errors reported where they are, loops, depth).
 * The fixtures and helpers are in conffix.c.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "crypto.h"
#include "conffix.h"

/* ---- macros and include --------------------------------------------- */

START_TEST(t_macros)
{
	struct nc_conf		*c;
	char			 want[PATH_MAX];

	c = parse_ok("macros.conf",
	    "port = 6001\n"
	    "dir = \"@D@\"\n"
	    "ka=25\n"
	    "h = hostb\n"
	    "listen on 127.0.0.1 port $port\n"
	    "private key $dir \"/private.pem\"\n"
	    "keepalive $ka\n"
	    "peer $h {\n"
	    "\tpublic key $dir \"/peers/\" $h \".pub\"\n"
	    "\tconnect to $h port $port\n"
	    "}\n"
	    "user \"$h\"\n", 0);
	ck_assert_uint_eq(listen_port(listen_nth(c, 0)), 6001);
	snprintf(want, sizeof(want), "%s/private.pem", tmpdir);
	ck_assert_str_eq(c->privkey, want);
	ck_assert_uint_eq(c->keepalive, 25);
	ck_assert_ptr_nonnull(config_find_peer(c, "hostb"));
	ck_assert_str_eq(TAILQ_FIRST(&config_find_peer(c, "hostb")->connects)
	    ->host, "hostb");
	ck_assert_uint_eq(TAILQ_FIRST(&config_find_peer(c, "hostb")->connects)
	    ->port, 6001);
	/* No expansion inside quotes. */
	ck_assert_str_eq(c->user, "$h");
	config_free(c);
}
END_TEST

START_TEST(t_macro_undefined)
{
	parse_bad("undef.conf", PRIV
	    "keepalive $nothing\n"
	    "name $a $b\n"
	    "bad-name = 1\n", 0,
	    "2: macro \"nothing\" not defined",
	    "3: macro \"a\" not defined",
	    "4: invalid macro name \"bad-name\"", NULL);
}
END_TEST

START_TEST(t_macro_cmdline)
{
	struct nc_conf	*c;

	ck_assert_int_eq(config_define_macro("kport=7777"), 0);
	ck_assert_int_eq(config_define_macro("bad name=1"), -1);
	ck_assert_int_eq(config_define_macro("novalue"), -1);
	ck_assert_int_eq(config_define_macro("=1"), -1);
	c = parse_ok("cmdline.conf", PRIV
	    "kport = 1234\n"
	    "listen on 127.0.0.1 port $kport\n", 0);
	ck_assert_uint_eq(listen_port(listen_nth(c, 0)), 7777);
	config_free(c);
	/* It outlives the parse, as -D does across reloads. */
	c = parse_ok("cmdline2.conf", PRIV
	    "listen on 127.0.0.1 port $kport\n", 0);
	ck_assert_uint_eq(listen_port(listen_nth(c, 0)), 7777);
	config_free(c);
}
END_TEST

START_TEST(t_file_macros_forgotten)
{
	struct nc_conf	*c;

	c = parse_ok("mdef.conf", PRIV "onlyhere = 5\nkeepalive $onlyhere\n",
	    0);
	config_free(c);
	parse_bad("muse.conf", PRIV "keepalive $onlyhere\n", 0,
	    "2: macro \"onlyhere\" not defined", NULL);
}
END_TEST

START_TEST(t_include_relative)
{
	struct nc_conf	*c;
	char		 cwd[PATH_MAX];

	conf_write("inc/peers.conf", "# included\n" PEER_B);
	conf_write("inc/sub.conf", "include \"peers.conf\"\n"
	    "keepalive 33\n");
	conf_write("inc/main.conf", PRIV "include \"sub.conf\"\n"
	    "peer \"hostc\" {\n\tpublic key \"@D@/hostc.pub\"\n}\n");
	/* Relative to the including file, not to the working directory. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir("/"), 0);
	c = parse_ok("inc/main.conf", PRIV "include \"sub.conf\"\n"
	    "peer \"hostc\" {\n\tpublic key \"@D@/hostc.pub\"\n}\n", 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_int_eq(peer_count(c), 2);
	ck_assert_str_eq(TAILQ_FIRST(&c->peers)->name, "hostb");
	ck_assert_str_eq(TAILQ_LAST(&c->peers, peer_list)->name, "hostc");
	ck_assert_uint_eq(c->keepalive, 33);
	config_free(c);
}
END_TEST

START_TEST(t_include_errors)
{
	/* Lines in included files are counted on their own. */
	conf_write("inc/broken.conf", "\n\nkeepalive 0\n");
	parse_bad("incerr.conf", PRIV
	    "include \"nothere.conf\"\n"
	    "include \"inc/broken.conf\"\n"
	    "keepalive 9999\n", 0,
	    "2: include \"",	/* then the path and the errno text */
	    "4: keepalive 9999: out of range 1..3600", NULL);
	{
		char	err[4096];

		ck_assert_ptr_null(parse_capture("incerr.conf", 0, err,
		    sizeof(err)));
		ck_assert_ptr_nonnull(strstr(err, "nothere.conf\": No such "
		    "file or directory"));
		ck_assert_ptr_nonnull(strstr(err, "inc/broken.conf:3: "
		    "keepalive 0: out of range 1..3600"));
	}
}
END_TEST

START_TEST(t_include_loop)
{
	conf_write("loopa.conf", "include \"loopb.conf\"\n");
	conf_write("loopb.conf", "\ninclude \"loopa.conf\"\n");
	parse_bad("loopa.conf", "include \"loopb.conf\"\n", 0, NULL);
	{
		char	err[4096];

		ck_assert_ptr_null(parse_capture("loopa.conf", 0, err,
		    sizeof(err)));
		ck_assert_ptr_nonnull(strstr(err, "loopb.conf:2: include \""));
		ck_assert_ptr_nonnull(strstr(err, "loopa.conf\": include "
		    "loop"));
	}
}
END_TEST

START_TEST(t_include_depth)
{
	struct nc_conf	*c;
	char		 name[64], text[128], err[4096];
	int		 i;

	/* d0 includes d1 ... d9: eight levels are fine, nine are not. */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i < 9)
			snprintf(text, sizeof(text), "%sinclude \"d%d.conf\"\n",
			    i == 0 ? PRIV : "", i + 1);
		else
			snprintf(text, sizeof(text), "keepalive 99\n");
		conf_write(name, text);
	}
	c = parse_capture("d1.conf", CONF_F_NOKEYS, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->keepalive, 99);
	config_free(c);
	ck_assert_ptr_null(parse_capture("d0.conf", 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "d8.conf:1: include \"") != NULL &&
	    strstr(err, "d9.conf\": includes nested deeper than 8") != NULL,
	    "%s", err);
}
END_TEST

static Suite *
confmacros_suite(void)
{
	Suite	*s = suite_create("config macros");
	TCase	*tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, t_macros);
	tcase_add_test(tc, t_macro_cmdline);
	tcase_add_test(tc, t_include_relative);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_test(tc, t_macro_undefined);
	tcase_add_test(tc, t_file_macros_forgotten);
	tcase_add_test(tc, t_include_errors);
	tcase_add_test(tc, t_include_loop);
	tcase_add_test(tc, t_include_depth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conffix_run(confmacros_suite());
}
