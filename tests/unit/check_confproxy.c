/*
 * Unit tests of the configuration parser (src/daemon/parse.y) on SOCKS5
 * proxies: .onion peers, the global proxy and a peer's own, "proxy none",
 * which proxy applies, user name and password (RFC 1929 lengths), and
 * bad proxy statements.  The fixtures and helpers are in conffix.c.
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

/* ---- proxies -------------------------------------------------------- */

#define ONION_PEER(proxy)						\
	"peer \"hidden\" {\n"						\
	"\tconnect to \"abcdefghijklmnop.ONION\" port 55555\n"		\
	proxy								\
	"\tfingerprint \"@FPB@\"\n"					\
	"}\n"

START_TEST(t_onion_no_proxy)
{
	parse_bad("onion1.conf", PRIV ONION_PEER(""), 0,
	    "3: peer \"hidden\": connect to \"abcdefghijklmnop.ONION\": "
	    ".onion hosts need a socks5 proxy", NULL);
}
END_TEST

START_TEST(t_onion_global_proxy)
{
	struct nc_conf		*c;
	struct peer_conf	*p;

	/* The global proxy may come after the peer. */
	c = parse_ok("onion2.conf", PRIV ONION_PEER("")
	    "proxy socks5 127.0.0.1 port 9050\n", 0);
	p = config_find_peer(c, "hidden");
	ck_assert_int_eq(p->proxy.type, PROXY_INHERIT);
	ck_assert_int_eq(c->proxy.type, PROXY_SOCKS5);
	ck_assert_str_eq(TAILQ_FIRST(&p->connects)->host,
	    "abcdefghijklmnop.ONION");
	config_free(c);
}
END_TEST

START_TEST(t_onion_peer_proxy)
{
	struct nc_conf		*c;
	struct peer_conf	*p;

	c = parse_ok("onion3.conf", PRIV
	    ONION_PEER("\tproxy socks5 localhost port 9150\n"), 0);
	p = config_find_peer(c, "hidden");
	ck_assert_int_eq(p->proxy.type, PROXY_SOCKS5);
	ck_assert_str_eq(p->proxy.host, "localhost");
	ck_assert_uint_eq(p->proxy.port, 9150);
	ck_assert_int_eq(p->proxy.has_auth, 0);
	ck_assert_int_eq(c->proxy.type, PROXY_NONE);
	config_free(c);
}
END_TEST

START_TEST(t_onion_proxy_none)
{
	parse_bad("onion4.conf", PRIV
	    "proxy socks5 127.0.0.1 port 9050\n"
	    ONION_PEER("\tproxy none\n"), 0,
	    "4: peer \"hidden\": connect to \"abcdefghijklmnop.ONION\": "
	    ".onion hosts need a socks5 proxy", NULL);
}
END_TEST

START_TEST(t_proxy_auth)
{
	struct nc_conf		*c;
	struct peer_conf	*p;

	/* The user may come before the proxy it applies to. */
	c = parse_ok("auth.conf", PRIV
	    "peer \"hostb\" {\n"
	    "\tproxy user \"hostb\" password \"iso-1\"\n"
	    "\tproxy socks5 127.0.0.1 port 9050\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n"
	    "proxy socks5 127.0.0.1 port 9050\n"
	    "peer \"hostc\" {\n"
	    "\tproxy user \"c\" password \"p w\"\n"
	    "\tfingerprint \"@FPC@\"\n"
	    "}\n", 0);
	p = config_find_peer(c, "hostb");
	ck_assert_int_eq(p->proxy.type, PROXY_SOCKS5);
	ck_assert_int_eq(p->proxy.has_auth, 1);
	ck_assert_str_eq(p->proxy.user, "hostb");
	ck_assert_str_eq(p->proxy.password, "iso-1");
	p = config_find_peer(c, "hostc");
	ck_assert_int_eq(p->proxy.type, PROXY_INHERIT);
	ck_assert_str_eq(p->proxy.password, "p w");
	config_free(c);
}
END_TEST

START_TEST(t_proxy_auth_no_proxy)
{
	parse_bad("authbad.conf", PRIV
	    "peer \"hostb\" {\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "\tproxy user \"hostb\" password \"iso-1\"\n"
	    "}\n"
	    "peer \"hostc\" {\n"
	    "\tfingerprint \"@FPC@\"\n"
	    "\tproxy user \"\" password \"x\"\n"
	    "\tproxy socks5 127.0.0.1 port 9050\n"
	    "}\n", 0,
	    "4: peer \"hostb\": proxy user and password need a socks5 proxy",
	    "8: peer \"hostc\": proxy user and password must have 1 to 255 "
	    "bytes each", NULL);
}
END_TEST

/* Which proxy applies: the peer's own, else the global; auth per peer. */
START_TEST(t_proxy_effective)
{
	struct nc_conf		*c;
	struct proxy_conf	 px;

	c = parse_ok("proxyeff.conf", PRIV
	    "proxy socks5 tor.example port 9050\n"
	    "peer \"hostb\" {\n"
	    "\tproxy user \"ub\" password \"pb\"\n"
	    "\tconnect to \"hostb.example\" port 1\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n"
	    "peer \"hostc\" {\n"
	    "\tproxy socks5 ::1 port 1080\n"
	    "\tfingerprint \"@FPC@\"\n"
	    "}\n"
	    "peer \"hostd\" {\n"
	    "\tproxy none\n"
	    "\tfingerprint \"SHA256:"
	    "3bDlWv8kk0a3ytKtN3ZQTOZxSHi1ypB4z3Ja1/V6NLE\"\n"
	    "}\n", 0);
	config_peer_proxy(c, config_find_peer(c, "hostb"), &px);
	ck_assert_int_eq(px.type, PROXY_SOCKS5);
	ck_assert_str_eq(px.host, "tor.example");
	ck_assert_uint_eq(px.port, 9050);
	ck_assert_int_eq(px.has_auth, 1);
	ck_assert_str_eq(px.user, "ub");
	ck_assert_str_eq(px.password, "pb");
	config_peer_proxy(c, config_find_peer(c, "hostc"), &px);
	ck_assert_int_eq(px.type, PROXY_SOCKS5);
	ck_assert_str_eq(px.host, "::1");
	ck_assert_uint_eq(px.port, 1080);
	ck_assert_int_eq(px.has_auth, 0);
	ck_assert_str_eq(px.user, "");
	config_peer_proxy(c, config_find_peer(c, "hostd"), &px);
	ck_assert_int_eq(px.type, PROXY_NONE);
	ck_assert_str_eq(px.host, "");
	config_free(c);

	/* No proxy anywhere: none, even with "proxy none" globally. */
	c = parse_ok("proxyeff2.conf", PRIV
	    "proxy none\n"
	    "peer \"hostb\" {\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n", 0);
	ck_assert_int_eq(c->proxy.type, PROXY_NONE);
	config_peer_proxy(c, config_find_peer(c, "hostb"), &px);
	ck_assert_int_eq(px.type, PROXY_NONE);
	config_free(c);

	/* The last global statement wins; a peer's own wins over it. */
	c = parse_ok("proxyeff3.conf", PRIV
	    "proxy socks5 127.0.0.1 port 9050\n"
	    "proxy none\n"
	    "peer \"hostb\" {\n"
	    "\tproxy none\n"
	    "\tproxy socks5 127.0.0.2 port 9150\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n", 0);
	ck_assert_int_eq(c->proxy.type, PROXY_NONE);
	config_peer_proxy(c, config_find_peer(c, "hostb"), &px);
	ck_assert_int_eq(px.type, PROXY_SOCKS5);
	ck_assert_str_eq(px.host, "127.0.0.2");
	ck_assert_uint_eq(px.port, 9150);
	config_free(c);
}
END_TEST

START_TEST(t_proxy_bad)
{
	parse_bad("proxybad.conf", PRIV
	    "proxy socks5 \"abcdefghijklmnop.onion\" port 9050\n"
	    "proxy socks5 127.0.0.1 port 0\n"
	    "proxy socks5 \"bad host!\" port 9050\n"
	    "proxy socks5 127.0.0.1\n"
	    "proxy socks4 127.0.0.1 port 9050\n"
	    "peer \"hostb\" {\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "\tproxy socks5 x.onion. port 9050\n"
	    "}\n", 0,
	    "2: proxy socks5: \"abcdefghijklmnop.onion\": a .onion host "
	    "cannot be the proxy itself",
	    "3: port 0: out of range 1..65535",
	    "4: proxy socks5: invalid host \"bad host!\"",
	    "5: syntax error",
	    "6: syntax error",
	    "9: proxy socks5: \"x.onion.\": a .onion host cannot be the "
	    "proxy itself", NULL);
}
END_TEST

/* RFC 1929 lengths: 1..255 bytes each, checked at their limits. */
START_TEST(t_proxy_auth_lengths)
{
	struct nc_conf		*c;
	struct peer_conf	*p;
	char			 text[2048], u255[256], u256[257];

	memset(u255, 'u', 255);
	u255[255] = '\0';
	memset(u256, 'u', 256);
	u256[256] = '\0';
	snprintf(text, sizeof(text), PRIV
	    "proxy socks5 127.0.0.1 port 9050\n"
	    "peer \"hostb\" {\n"
	    "\tproxy user \"%s\" password \"%s\"\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n", u255, u255);
	c = parse_ok("authlen.conf", text, 0);
	p = config_find_peer(c, "hostb");
	ck_assert_uint_eq(strlen(p->proxy.user), 255);
	ck_assert_uint_eq(strlen(p->proxy.password), 255);
	config_free(c);
	snprintf(text, sizeof(text), PRIV
	    "proxy socks5 127.0.0.1 port 9050\n"
	    "peer \"hostb\" {\n"
	    "\tproxy user \"%s\" password \"p\"\n"
	    "\tproxy user \"u\" password \"%s\"\n"
	    "\tproxy user \"u\" password \"\"\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n", u256, u256);
	parse_bad("authlen2.conf", text, 0,
	    "4: peer \"hostb\": proxy user and password must have 1 to 255",
	    "5: peer \"hostb\": proxy user and password must have 1 to 255",
	    "6: peer \"hostb\": proxy user and password must have 1 to 255",
	    NULL);
}
END_TEST

static Suite *
confproxy_suite(void)
{
	Suite	*s = suite_create("config proxy");
	TCase	*tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, t_onion_global_proxy);
	tcase_add_test(tc, t_onion_peer_proxy);
	tcase_add_test(tc, t_proxy_auth);
	tcase_add_test(tc, t_proxy_effective);
	tcase_add_test(tc, t_proxy_auth_lengths);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_test(tc, t_onion_no_proxy);
	tcase_add_test(tc, t_onion_proxy_none);
	tcase_add_test(tc, t_proxy_auth_no_proxy);
	tcase_add_test(tc, t_proxy_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conffix_run(confproxy_suite());
}
