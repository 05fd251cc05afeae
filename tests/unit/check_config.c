/*
 * Unit tests of the configuration parser (src/daemon/parse.y): the
 * defaults, the global settings, listen addresses and ports, sizes,
 * numbers and modes, ciphers, names, the grammar (strings, comments,
 * continued lines, unknown keywords, syntax errors) and the sample
 * configuration.  Peers and keys are tested in check_confpeers.c, proxies
 * in check_confproxy.c, macros and include in check_confmacros.c; the
 * fixtures and helpers are in conffix.c.
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

/* ---- globals and listen addresses ----------------------------------- */

START_TEST(t_defaults)
{
	struct nc_conf		*c;
	struct listen_addr	*la;
	char			 host[256];

	c = parse_ok("defaults.conf", "# nothing but the key\n" PRIV, 0);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	ck_assert_str_eq(c->name, host);
	ck_assert_int_eq(listen_count(c), 2);
	la = listen_nth(c, 0);
	ck_assert_int_eq(la->ss.ss_family, AF_INET);
	ck_assert_str_eq(la->text, "0.0.0.0");
	ck_assert_uint_eq(listen_port(la), 55555);
	la = listen_nth(c, 1);
	ck_assert_int_eq(la->ss.ss_family, AF_INET6);
	ck_assert_str_eq(la->text, "::");
	ck_assert_uint_eq(listen_port(la), 55555);
	ck_assert_uint_eq(c->nciphers, 3);
	ck_assert_uint_eq(c->ciphers[0], NC_CIPHER_AES256GCM);
	ck_assert_uint_eq(c->ciphers[1], NC_CIPHER_AES128GCM);
	ck_assert_uint_eq(c->ciphers[2], NC_CIPHER_CHACHA20);
	ck_assert_str_eq(c->session_sock, RUNSTATEDIR "/netcryptd/session.sock");
	ck_assert_str_eq(c->session_group, "");
	ck_assert_uint_eq(c->session_mode, 0660);
	ck_assert_str_eq(c->control_sock, RUNSTATEDIR "/netcryptd/control.sock");
	ck_assert_uint_eq(c->control_mode, 0600);
	ck_assert_str_eq(c->user, NC_DEFAULT_USER);
	ck_assert_str_eq(c->chroot, NC_DEFAULT_CHROOT);
	ck_assert_uint_eq(c->keepalive, 15);
	ck_assert_uint_eq(c->handshake_timeout, 10);
	ck_assert_uint_eq(c->queue_size, 4 * 1024 * 1024);
	ck_assert_uint_eq(c->queue_timeout, 30);
	ck_assert_uint_eq(c->max_sessions, 10000);
	ck_assert_uint_eq(c->session_queue, 1024 * 1024);
	ck_assert_uint_eq(c->session_timeout, 60);
	ck_assert_uint_eq(c->unwrap_rate, NC_UNWRAP_AUTO);
	ck_assert_uint_eq(c->rekey_interval, 3600);
	ck_assert_uint_eq(c->rekey_bytes, 1ULL << 30);
	ck_assert_int_eq(c->proxy.type, PROXY_NONE);
	ck_assert_int_eq(peer_count(c), 0);
	config_free(c);
}
END_TEST

START_TEST(t_init_defaults)
{
	struct nc_conf	c;

	config_init_defaults(&c);
	ck_assert_str_eq(c.privkey, SYSCONFDIR "/netcryptd/private.pem");
	ck_assert_uint_eq(c.nciphers, 3);
	ck_assert_ptr_null(TAILQ_FIRST(&c.peers));
	ck_assert_ptr_null(TAILQ_FIRST(&c.listens));
	ck_assert_uint_gt(strlen(c.name), 0);
}
END_TEST

START_TEST(t_all_globals)
{
	struct nc_conf	*c;
	char		 want[PATH_MAX];

	c = parse_ok("globals.conf",
	    "name \"hosta\"\n"
	    PRIV
	    "session socket \"/tmp/s.sock\" group \"netcrypt\" mode 0640\n"
	    "control socket \"/tmp/c.sock\" mode 0400\n"
	    "user \"nobody\"\n"
	    "chroot \"/var/lib/empty\"\n"
	    "keepalive 20\n"
	    "handshake timeout 7\n"
	    "queue 8M\n"
	    "queue timeout 90\n"
	    "max sessions 42\n"
	    "session queue 512K\n"
	    "session timeout 120\n"
	    "unwrap rate 0\n"
	    "proxy socks5 127.0.0.1 port 9050\n", 0);
	snprintf(want, sizeof(want), "%s/private.pem", tmpdir);
	ck_assert_str_eq(c->privkey, want);
	ck_assert_str_eq(c->session_sock, "/tmp/s.sock");
	ck_assert_str_eq(c->session_group, "netcrypt");
	ck_assert_uint_eq(c->session_mode, 0640);
	ck_assert_str_eq(c->control_sock, "/tmp/c.sock");
	ck_assert_uint_eq(c->control_mode, 0400);
	ck_assert_str_eq(c->user, "nobody");
	ck_assert_str_eq(c->chroot, "/var/lib/empty");
	ck_assert_uint_eq(c->keepalive, 20);
	ck_assert_uint_eq(c->handshake_timeout, 7);
	ck_assert_uint_eq(c->queue_size, 8 * 1024 * 1024);
	ck_assert_uint_eq(c->queue_timeout, 90);
	ck_assert_uint_eq(c->max_sessions, 42);
	ck_assert_uint_eq(c->session_queue, 512 * 1024);
	ck_assert_uint_eq(c->session_timeout, 120);
	ck_assert_uint_eq(c->unwrap_rate, 0);
	ck_assert_int_eq(c->proxy.type, PROXY_SOCKS5);
	ck_assert_str_eq(c->proxy.host, "127.0.0.1");
	ck_assert_uint_eq(c->proxy.port, 9050);
	config_free(c);
	c = parse_ok("auto.conf", "unwrap rate auto\n" PRIV, 0);
	ck_assert_uint_eq(c->unwrap_rate, NC_UNWRAP_AUTO);
	config_free(c);
	c = parse_ok("rate.conf", "unwrap rate 250\n" PRIV, 0);
	ck_assert_uint_eq(c->unwrap_rate, 250);
	config_free(c);
}
END_TEST

START_TEST(t_listen_ipv4)
{
	struct nc_conf		*c;
	struct listen_addr	*la;

	c = parse_ok("listen4.conf", PRIV
	    "listen on 127.0.0.1 port 6000\n"
	    "listen on 192.0.2.1\n"
	    "listen on 127.0.0.1 port 6001\n", 0);
	ck_assert_int_eq(listen_count(c), 3);
	la = listen_nth(c, 0);
	ck_assert_int_eq(la->ss.ss_family, AF_INET);
	ck_assert_uint_eq(la->sslen, sizeof(struct sockaddr_in));
	ck_assert_str_eq(la->text, "127.0.0.1");
	ck_assert_uint_eq(listen_port(la), 6000);
	la = listen_nth(c, 1);
	ck_assert_str_eq(la->text, "192.0.2.1");
	ck_assert_uint_eq(listen_port(la), 55555);
	ck_assert_uint_eq(listen_port(listen_nth(c, 2)), 6001);
	config_free(c);
}
END_TEST

START_TEST(t_listen_ipv6)
{
	struct nc_conf		*c;
	struct listen_addr	*la;
	struct in6_addr		 lo = IN6ADDR_LOOPBACK_INIT;

	c = parse_ok("listen6.conf", PRIV
	    "listen on ::1 port 7000\n"
	    "listen on \"2001:db8::7\"\n", 0);
	ck_assert_int_eq(listen_count(c), 2);
	la = listen_nth(c, 0);
	ck_assert_int_eq(la->ss.ss_family, AF_INET6);
	ck_assert_uint_eq(la->sslen, sizeof(struct sockaddr_in6));
	ck_assert_mem_eq(&((struct sockaddr_in6 *)&la->ss)->sin6_addr, &lo,
	    sizeof(lo));
	ck_assert_str_eq(la->text, "::1");
	ck_assert_uint_eq(listen_port(la), 7000);
	ck_assert_str_eq(listen_nth(c, 1)->text, "2001:db8::7");
	config_free(c);
}
END_TEST

START_TEST(t_listen_star)
{
	struct nc_conf		*c;
	struct listen_addr	*la;

	c = parse_ok("star.conf", PRIV "listen on * port 5000\n", 0);
	ck_assert_int_eq(listen_count(c), 2);
	la = listen_nth(c, 0);
	ck_assert_int_eq(la->ss.ss_family, AF_INET);
	ck_assert_uint_eq(((struct sockaddr_in *)&la->ss)->sin_addr.s_addr,
	    htonl(INADDR_ANY));
	ck_assert_uint_eq(listen_port(la), 5000);
	la = listen_nth(c, 1);
	ck_assert_int_eq(la->ss.ss_family, AF_INET6);
	ck_assert_mem_eq(&((struct sockaddr_in6 *)&la->ss)->sin6_addr,
	    &in6addr_any, sizeof(in6addr_any));
	ck_assert_uint_eq(listen_port(la), 5000);
	config_free(c);
}
END_TEST

START_TEST(t_listen_bad)
{
	parse_bad("listenbad.conf", PRIV
	    "listen on 0.0.0.0 port 6000\n"
	    "listen on * port 6000\n"
	    "listen on localhost\n"
	    "listen on ::1 port 6000\n"
	    "listen on ::1 port 6000\n", 0,
	    "3: listen on 0.0.0.0 port 6000 given twice",
	    "4: listen on \"localhost\": not an IPv4 or IPv6 address",
	    "6: listen on ::1 port 6000 given twice", NULL);
}
END_TEST

START_TEST(t_port_zero)
{
	parse_bad("port0.conf", PRIV "listen on 127.0.0.1 port 0\n", 0,
	    "2: port 0: out of range 1..65535", NULL);
}
END_TEST

START_TEST(t_port_too_large)
{
	parse_bad("port65536.conf", PRIV "peer \"hostb\" {\n"
	    "\tconnect to hostb.example.org port 65536\n"
	    "\tpublic key \"@D@/peers/hostb.pub\"\n}\n", 0,
	    "3: port 65536: out of range 1..65535", NULL);
}
END_TEST

START_TEST(t_port_not_number)
{
	parse_bad("portabc.conf", PRIV
	    "listen on 127.0.0.1 port abc\n"
	    "proxy socks5 127.0.0.1 port -1\n", 0,
	    "2: port: \"abc\" is not a number",
	    "3: port: \"-1\" is not a number", NULL);
}
END_TEST

/* ---- sizes, numbers, names and the grammar -------------------------- */

START_TEST(t_sizes)
{
	struct nc_conf	*c;

	c = parse_ok("sizes.conf", PRIV "queue 4M\nsession queue 64K\n", 0);
	ck_assert_uint_eq(c->queue_size, 4194304);
	ck_assert_uint_eq(c->session_queue, 65536);
	config_free(c);
	c = parse_ok("sizes2.conf", PRIV "queue 1g\nsession queue 256m\n", 0);
	ck_assert_uint_eq(c->queue_size, 1073741824ULL);
	ck_assert_uint_eq(c->session_queue, 268435456ULL);
	config_free(c);
	c = parse_ok("sizes3.conf", PRIV "queue 65536\nsession queue 100k\n",
	    0);
	ck_assert_uint_eq(c->queue_size, 65536);
	ck_assert_uint_eq(c->session_queue, 102400);
	config_free(c);
}
END_TEST

START_TEST(t_sizes_bad)
{
	parse_bad("sizebad.conf", PRIV
	    "queue 4X\n"
	    "queue 4MB\n"
	    "queue M\n"
	    "queue 32K\n"
	    "queue 2G\n"
	    "session queue 512M\n"
	    "queue 99999999999999999999K\n", 0,
	    "2: queue: bad size \"4X\"",
	    "3: queue: bad size \"4MB\"",
	    "4: queue: bad size \"M\"",
	    "5: queue 32K: out of range 64K..1G",
	    "6: queue 2G: out of range 64K..1G",
	    "7: session queue 512M: out of range 64K..256M",
	    "8: queue: bad size", NULL);
}
END_TEST

/* rekey interval: seconds with s, m or h; rekey bytes: a size. */
START_TEST(t_rekey)
{
	static const struct {
		const char	*text;
		unsigned int	 interval;
		uint64_t	 bytes;
	} ok[] = {
		{ "rekey interval 1h\nrekey bytes 1G\n", 3600, 1ULL << 30 },
		{ "rekey interval 90m\nrekey bytes 64K\n", 5400, 65536 },
		{ "rekey interval 1\nrekey bytes 64G\n", 1, 64ULL << 30 },
		{ "rekey interval 45s\nrekey bytes 100M\n", 45, 100ULL << 20 },
		{ "rekey interval 24h\n", 86400, 1ULL << 30 },
	};
	struct nc_conf	*c;
	char		 text[256];
	size_t		 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), PRIV "%s", ok[i].text);
		c = parse_ok("rekey.conf", text, 0);
		ck_assert_uint_eq(c->rekey_interval, ok[i].interval);
		ck_assert_uint_eq(c->rekey_bytes, ok[i].bytes);
		config_free(c);
	}
	parse_bad("rekeybad.conf", PRIV
	    "rekey interval 0\n"
	    "rekey interval 25h\n"
	    "rekey interval 2d\n"
	    "rekey interval 10ms\n"
	    "rekey interval h\n"
	    "rekey bytes 32K\n"
	    "rekey bytes 65G\n"
	    "rekey interval\n"
	    "rekey 5\n"
	    "rekey interval 9999999999h\n", 0,
	    "2: rekey interval 0: out of range 1s..24h",
	    "3: rekey interval 25h: out of range 1s..24h",
	    "4: rekey interval 2d: out of range 1s..24h",
	    "5: rekey interval: bad duration \"10ms\"",
	    "6: rekey interval: bad duration \"h\"",
	    "7: rekey bytes 32K: out of range 64K..64G",
	    "8: rekey bytes 65G: out of range 64K..64G",
	    "9: ", "10: ",
	    "11: rekey interval: bad duration", NULL);
}
END_TEST

START_TEST(t_numbers_bad)
{
	parse_bad("nums.conf", PRIV
	    "keepalive 0\n"
	    "keepalive 3601\n"
	    "handshake timeout 301\n"
	    "queue timeout 86401\n"
	    "max sessions 1000001\n"
	    "session timeout 0\n"
	    "unwrap rate 100001\n"
	    "keepalive \" 5\"\n", 0,
	    "2: keepalive 0: out of range 1..3600",
	    "3: keepalive 3601: out of range 1..3600",
	    "4: handshake timeout 301: out of range 1..300",
	    "5: queue timeout 86401: out of range 1..86400",
	    "6: max sessions 1000001: out of range 1..1000000",
	    "7: session timeout 0: out of range 1..3600",
	    "8: unwrap rate 100001: out of range 0..100000",
	    "9: keepalive: \" 5\" is not a number", NULL);
}
END_TEST

START_TEST(t_modes)
{
	struct nc_conf	*c;

	c = parse_ok("modes.conf", PRIV
	    "session socket \"/tmp/x.sock\" mode 777 group \"g\"\n", 0);
	ck_assert_uint_eq(c->session_mode, 0777);
	ck_assert_str_eq(c->session_group, "g");
	config_free(c);
	parse_bad("modesbad.conf", PRIV
	    "session socket \"/tmp/x.sock\" mode 0778\n"
	    "control socket \"/tmp/c.sock\" mode 01000\n", 0,
	    "2: mode: \"0778\" is not an octal number",
	    "3: mode 01000: out of range 0..0777", NULL);
}
END_TEST

START_TEST(t_ciphers)
{
	struct nc_conf	*c;

	c = parse_ok("ciphers.conf", PRIV
	    "cipher chacha20-poly1305 \"aes-128-gcm\"\n", 0);
	ck_assert_uint_eq(c->nciphers, 2);
	ck_assert_uint_eq(c->ciphers[0], NC_CIPHER_CHACHA20);
	ck_assert_uint_eq(c->ciphers[1], NC_CIPHER_AES128GCM);
	config_free(c);
	c = parse_ok("ciphers2.conf", PRIV "cipher aes-128-gcm\n", 0);
	ck_assert_uint_eq(c->nciphers, 1);
	ck_assert_uint_eq(c->ciphers[0], NC_CIPHER_AES128GCM);
	config_free(c);
}
END_TEST

START_TEST(t_cipher_names)
{
	ck_assert_str_eq(cipher_name(NC_CIPHER_AES256GCM), "aes-256-gcm");
	ck_assert_str_eq(cipher_name(NC_CIPHER_AES128GCM), "aes-128-gcm");
	ck_assert_str_eq(cipher_name(NC_CIPHER_CHACHA20), "chacha20-poly1305");
	ck_assert_str_eq(cipher_name(0), "unknown");
	ck_assert_int_eq(cipher_from_name("aes-256-gcm"), NC_CIPHER_AES256GCM);
	ck_assert_int_eq(cipher_from_name("chacha20-poly1305"),
	    NC_CIPHER_CHACHA20);
	ck_assert_int_eq(cipher_from_name("aes-256-cbc"), -1);
}
END_TEST

START_TEST(t_cipher_bad)
{
	parse_bad("cipherbad.conf", PRIV
	    "cipher aes-256-gcm aes-128-gcm aes-256-gcm\n"
	    "cipher aes-256-cfb\n", 0,
	    "2: cipher aes-256-gcm given twice",
	    "3: unknown cipher \"aes-256-cfb\"", NULL);
}
END_TEST

START_TEST(t_names_bad)
{
	char	conf[512], msg[256];

	snprintf(conf, sizeof(conf), PRIV "name \"%065d\"\n", 0);
	snprintf(msg, sizeof(msg), "2: name \"%065d\": too long (at most 64 "
	    "characters)", 0);
	parse_bad("longname.conf", conf, 0, msg, NULL);
	parse_bad("names.conf", PRIV
	    "name \"host a\"\n"
	    "peer \"*\" {\n\tfingerprint \"@FPB@\"\n}\n"
	    "peer bob@hostb {\n\tfingerprint \"@FPC@\"\n}\n"
	    "peer \"\" {\n\tfingerprint \"@FPC@\"\n}\n", 0,
	    "2: name \"host a\": invalid",
	    "3: peer name \"*\": invalid",
	    "6: peer name \"bob@hostb\": invalid",
	    "9: peer name \"\": invalid", NULL);
}
END_TEST

START_TEST(t_names_ok)
{
	struct nc_conf	*c;
	char		 conf[512], name[NC_NAME_MAX + 1];

	memset(name, 'a', NC_NAME_MAX);
	name[NC_NAME_MAX] = '\0';
	snprintf(conf, sizeof(conf), PRIV "name \"%s\"\n"
	    "peer Host_B.x-1 {\n\tfingerprint \"@FPB@\"\n}\n", name);
	c = parse_ok("namesok.conf", conf, 0);
	ck_assert_str_eq(c->name, name);
	ck_assert_ptr_nonnull(config_find_peer(c, "Host_B.x-1"));
	config_free(c);
}
END_TEST

START_TEST(t_chroot_relative)
{
	parse_bad("chroot.conf", PRIV "chroot \"var/empty\"\n", 0,
	    "2: chroot \"var/empty\": not an absolute path", NULL);
}
END_TEST

START_TEST(t_concat)
{
	struct nc_conf	*c;
	char		 want[PATH_MAX];

	c = parse_ok("concat.conf",
	    "private key \"@D@\" \"/\" \"private.pem\"\n"
	    "name ho \"st\" \"-a\"\n"
	    "session socket \"/tmp/\" \"s.sock\" group \"net\\\"crypt\\\\\"\n",
	    0);
	snprintf(want, sizeof(want), "%s/private.pem", tmpdir);
	ck_assert_str_eq(c->privkey, want);
	ck_assert_str_eq(c->name, "host-a");
	ck_assert_str_eq(c->session_sock, "/tmp/s.sock");
	ck_assert_str_eq(c->session_group, "net\"crypt\\");
	config_free(c);
}
END_TEST

START_TEST(t_comments_continuation)
{
	struct nc_conf	*c;

	c = parse_ok("cont.conf",
	    "# a comment\n"
	    "\n"
	    "   # an indented one \\\n"
	    PRIV
	    "listen on \\\n"
	    "    127.0.0.1 \\\n"
	    "    port 6000	# after a statement\n"
	    "keepalive 44# no space\n"
	    "peer \"hostb\"\n"
	    "{\n"
	    "\t# inside a block\n"
	    "\n"
	    "\tpublic key \"@D@/peers/hostb.pub\" # trailing\n"
	    "}\n"
	    "max sessions 7", 0);
	ck_assert_int_eq(listen_count(c), 1);
	ck_assert_uint_eq(listen_port(listen_nth(c, 0)), 6000);
	ck_assert_uint_eq(c->keepalive, 44);
	ck_assert_uint_eq(c->max_sessions, 7);
	ck_assert_ptr_nonnull(config_find_peer(c, "hostb"));
	config_free(c);
	/* Line numbers go on counting across continued lines. */
	parse_bad("cont2.conf", PRIV
	    "listen on \\\n127.0.0.1 \\\nport 6000\n"
	    "keepalive 0\n", 0, "5: keepalive 0: out of range", NULL);
}
END_TEST

START_TEST(t_unknown_keyword)
{
	parse_bad("unknown.conf", PRIV
	    "keepalive 5\n"
	    "frobnicate 1\n"
	    "peer \"hostb\" {\n"
	    "\tpublic key \"@D@/peers/hostb.pub\"\n"
	    "\tcolor \"blue\"\n"
	    "}\n"
	    "lonely\n", 0,
	    "3: unknown keyword \"frobnicate\"",
	    "6: unknown keyword \"color\"",
	    "8: unknown keyword \"lonely\"", NULL);
}
END_TEST

START_TEST(t_syntax_errors)
{
	parse_bad("syntax.conf", PRIV
	    "listen on 127.0.0.1 port\n"
	    "listen 127.0.0.1\n"
	    "keepalive 5 6\n"
	    "name \"unterminated\n"
	    "name \"a\" b\n"
	    "keepalive 5;\n"
	    "keepalive 8\n", 0,
	    "2: syntax error",
	    "3: syntax error",
	    "4: syntax error",
	    "5: unterminated quoted string",
	    "6: syntax error",
	    "7: syntax error", NULL);
	parse_bad("unclosed.conf", PRIV "peer \"hostb\" {\n"
	    "\tfingerprint \"@FPB@\"\n", 0,
	    "4: syntax error at end of file", NULL);
	parse_bad("unknownpeer.conf", PRIV "connect to 192.0.2.1\n", 0,
	    "2: syntax error", NULL);
}
END_TEST

START_TEST(t_missing_file)
{
	char	err[1024];

	ck_assert_ptr_null(parse_capture("does-not-exist.conf", 0, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "does-not-exist.conf: No such file"));
}
END_TEST

START_TEST(t_sample_config)
{
	struct nc_conf		*c;
	struct peer_conf	*p;
	char			 def[PATH_MAX + 16], err[4096];

	snprintf(def, sizeof(def), "keydir=%s", tmpdir);
	ck_assert_int_eq(config_define_macro(def), 0);
	c = parse_capture(TEST_SRCDIR "/etc/netcryptd.conf", CONF_F_LOADKEY,
	    err, sizeof(err));
	ck_assert_msg(c != NULL, "sample refused: %s", err);
	ck_assert_msg(err[0] == '\0', "sample: %s", err);
	ck_assert_ptr_nonnull(p = config_find_peer(c, "hostb"));
	assert_fp_eq(p->fp, fp_b);
	config_free(c);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_init_defaults);
	tcase_add_test(tc, t_all_globals);
	tcase_add_test(tc, t_listen_ipv4);
	tcase_add_test(tc, t_listen_ipv6);
	tcase_add_test(tc, t_listen_star);
	tcase_add_test(tc, t_sizes);
	tcase_add_test(tc, t_rekey);
	tcase_add_test(tc, t_modes);
	tcase_add_test(tc, t_ciphers);
	tcase_add_test(tc, t_cipher_names);
	tcase_add_test(tc, t_names_ok);
	tcase_add_test(tc, t_concat);
	tcase_add_test(tc, t_comments_continuation);
	tcase_add_test(tc, t_sample_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_test(tc, t_listen_bad);
	tcase_add_test(tc, t_port_zero);
	tcase_add_test(tc, t_port_too_large);
	tcase_add_test(tc, t_port_not_number);
	tcase_add_test(tc, t_sizes_bad);
	tcase_add_test(tc, t_numbers_bad);
	tcase_add_test(tc, t_cipher_bad);
	tcase_add_test(tc, t_names_bad);
	tcase_add_test(tc, t_chroot_relative);
	tcase_add_test(tc, t_unknown_keyword);
	tcase_add_test(tc, t_syntax_errors);
	tcase_add_test(tc, t_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conffix_run(config_suite());
}
