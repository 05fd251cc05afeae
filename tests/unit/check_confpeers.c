/*
 * Unit tests of the configuration parser (src/daemon/parse.y) on peers
 * and keys: connect addresses, public key files and fingerprints, the
 * refusal of duplicate, keyless, self-named or weak peers, and the
 * private key (missing, too open, loaded or not).  The fixtures and
 * helpers are in conffix.c.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conf.h"
#include "crypto.h"
#include "conffix.h"

/* ---- peers and keys ------------------------------------------------- */

/* A path in tmpdir, in a static buffer. */
static const char *
tmppath(const char *name)
{
	static char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

START_TEST(t_peer_key)
{
	struct nc_conf		*c;
	struct peer_conf	*p;
	struct connect_to	*ct;
	EVP_PKEY		*pkey;
	uint8_t			*der;
	size_t			 len;
	char			 path[PATH_MAX], errbuf[256];

	c = parse_ok("peerkey.conf", PRIV
	    "peer \"hostb\" {\n"
	    "\tconnect to \"hostb.example.org\" port 55556\n"
	    "\tconnect to 192.0.2.7\n"
	    "\tconnect to 2001:db8::1 port 1\n"
	    "\tpublic key \"@D@/peers/hostb.pub\"\n"
	    "}\n", 0);
	ck_assert_int_eq(peer_count(c), 1);
	ck_assert_ptr_nonnull(p = config_find_peer(c, "hostb"));
	ck_assert_ptr_null(config_find_peer(c, "hostc"));
	ck_assert_int_eq(p->lineno, 2);
	ct = TAILQ_FIRST(&p->connects);
	ck_assert_str_eq(ct->host, "hostb.example.org");
	ck_assert_uint_eq(ct->port, 55556);
	ct = TAILQ_NEXT(ct, entry);
	ck_assert_str_eq(ct->host, "192.0.2.7");
	ck_assert_uint_eq(ct->port, 55555);
	ct = TAILQ_NEXT(ct, entry);
	ck_assert_str_eq(ct->host, "2001:db8::1");
	ck_assert_uint_eq(ct->port, 1);
	ck_assert_ptr_null(TAILQ_NEXT(ct, entry));
	snprintf(path, sizeof(path), "%s/peers/hostb.pub", tmpdir);
	ck_assert_str_eq(p->keyfile, path);
	assert_fp_eq(p->fp, fp_b);
	/* The SPKI is the key file's. */
	ck_assert_ptr_nonnull(pkey = nc_load_pubkey_file(path, errbuf,
	    sizeof(errbuf)));
	ck_assert_int_eq(nc_pkey_spki(pkey, &der, &len), 0);
	ck_assert_uint_eq(p->spkilen, len);
	ck_assert_mem_eq(p->spki, der, len);
	free(der);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(p->proxy.type, PROXY_INHERIT);
	config_free(c);
}
END_TEST

START_TEST(t_peer_fingerprint)
{
	struct nc_conf		*c;
	struct peer_conf	*p;

	c = parse_ok("peerfp.conf", PRIV
	    "peer hostb {\n\tfingerprint \"@FPB@\"\n}\n"
	    "peer \"hostc\" { fingerprint \"@FPC@\" }\n", 0);
	ck_assert_int_eq(peer_count(c), 2);
	p = config_find_peer(c, "hostb");
	ck_assert_ptr_nonnull(p);
	/* Inbound only. */
	ck_assert_ptr_null(TAILQ_FIRST(&p->connects));
	ck_assert_str_eq(p->keyfile, "");
	ck_assert_ptr_null(p->spki);
	ck_assert_uint_eq(p->spkilen, 0);
	assert_fp_eq(p->fp, fp_b);
	assert_fp_eq(config_find_peer(c, "hostc")->fp, fp_c);
	config_free(c);
}
END_TEST

START_TEST(t_peer_duplicate)
{
	parse_bad("duppeer.conf", PRIV PEER_B
	    "peer \"hostb\" {\n\tfingerprint \"@FPC@\"\n}\n", 0,
	    "5: peer \"hostb\" defined twice (first on line 2)", NULL);
}
END_TEST

START_TEST(t_peer_self)
{
	parse_bad("self.conf", PRIV PEER_B "name \"hostb\"\n", 0,
	    "2: peer \"hostb\" has the name of this host", NULL);
}
END_TEST

START_TEST(t_peer_same_key)
{
	parse_bad("samekey.conf", PRIV PEER_B
	    "peer \"hostb2\" {\n\tfingerprint \"@FPB@\"\n}\n", 0,
	    "5: peers \"hostb\" and \"hostb2\" have the same key", NULL);
}
END_TEST

START_TEST(t_peer_no_key)
{
	parse_bad("nokey.conf", PRIV
	    "peer \"hostb\" {\n\tconnect to 192.0.2.1\n}\n", 0,
	    "2: peer \"hostb\": \"public key\" or \"fingerprint\" required",
	    NULL);
}
END_TEST

START_TEST(t_peer_both)
{
	parse_bad("both.conf", PRIV
	    "peer \"hostb\" {\n"
	    "\tpublic key \"@D@/peers/hostb.pub\"\n"
	    "\tfingerprint \"@FPB@\"\n"
	    "}\n", 0,
	    "2: peer \"hostb\": give either \"public key\" or \"fingerprint\","
	    " not both", NULL);
}
END_TEST

START_TEST(t_pubkey_missing)
{
	char	msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "3: peer \"hostb\": %s/nope.pub: No such "
	    "file or directory", tmpdir);
	parse_bad("nopub.conf", PRIV
	    "peer \"hostb\" {\n\tpublic key \"@D@/nope.pub\"\n}\n", 0,
	    msg, NULL);
}
END_TEST

START_TEST(t_pubkey_invalid)
{
	char	msg[PATH_MAX + 128];

	/* A private key is not a public key file. */
	snprintf(msg, sizeof(msg), "3: peer \"hostb\": %s/defaults.conf: not "
	    "a PEM public key", tmpdir);
	conf_write("defaults.conf", PRIV);
	parse_bad("badpub.conf", PRIV
	    "peer \"hostb\" {\n\tpublic key \"@D@/defaults.conf\"\n}\n", 0,
	    msg, NULL);
}
END_TEST

START_TEST(t_pubkey_weak)
{
	char	msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "3: peer \"hostb\": %s/weak.pub: RSA key of "
	    "1024 bits, at least 2048 required", tmpdir);
	parse_bad("weak.conf", PRIV
	    "peer \"hostb\" {\n\tpublic key \"@D@/weak.pub\"\n}\n", 0,
	    msg, NULL);
}
END_TEST

START_TEST(t_fingerprint_bad)
{
	parse_bad("badfp.conf", PRIV
	    "peer \"hostb\" {\n\tfingerprint \"SHA256:abc\"\n}\n"
	    "peer \"hostc\" {\n\tfingerprint \"MD5:00\"\n}\n", 0,
	    "3: peer \"hostb\": invalid fingerprint \"SHA256:abc\"",
	    "6: peer \"hostc\": invalid fingerprint \"MD5:00\"", NULL);
}
END_TEST

START_TEST(t_privkey_missing)
{
	char	msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "2: private key %s/missing.pem: No such "
	    "file or directory", tmpdir);
	parse_bad("nopriv.conf", "# the key\n"
	    "private key \"@D@/missing.pem\"\n", 0, msg, NULL);
}
END_TEST

START_TEST(t_privkey_default_missing)
{
	/* The default path does not exist in a test tree: line 0. */
	if (access(SYSCONFDIR "/netcryptd/private.pem", F_OK) == 0)
		return;
	parse_bad("nopriv2.conf", "keepalive 5\n", 0,
	    "0: private key " SYSCONFDIR "/netcryptd/private.pem: No such file",
	    NULL);
}
END_TEST

static void
privkey_mode_test(const char *name, mode_t mode, const char *perm)
{
	char	src[PATH_MAX], dst[PATH_MAX], msg[PATH_MAX + 256];
	char	buf[8192], conf[PATH_MAX + 64];
	ssize_t	n;
	int	in, out;

	snprintf(src, sizeof(src), "%s/private.pem", tmpdir);
	snprintf(dst, sizeof(dst), "%s/%s.pem", tmpdir, name);
	ck_assert_int_ne(in = open(src, O_RDONLY), -1);
	ck_assert_int_ne(out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    -1);
	ck_assert_int_gt(n = read(in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	/* Owned by us (euid), which the check accepts; only the mode is bad. */
	ck_assert_int_eq(chmod(dst, mode), 0);
	snprintf(conf, sizeof(conf), "private key \"%s\"\n", dst);
	snprintf(msg, sizeof(msg), "1: private key %s: permissions %s are too "
	    "open", dst, perm);
	snprintf(buf, sizeof(buf), "%s.conf", name);
	parse_bad(buf, conf, 0, msg, NULL);
}

START_TEST(t_privkey_world_readable)
{
	privkey_mode_test("world", 0604, "0604");
}
END_TEST

START_TEST(t_privkey_group_readable)
{
	privkey_mode_test("group", 0640, "0640");
}
END_TEST

START_TEST(t_privkey_load)
{
	struct nc_conf	*c;
	char		 msg[PATH_MAX + 128], err[4096];

	c = parse_ok("loadkey.conf", PRIV PEER_B, CONF_F_LOADKEY);
	config_free(c);
	/* Reported in the included file, where the statement is. */
	conf_write("weakpriv.inc", "\n\nprivate key \"@D@/weak.pem\"\n");
	snprintf(msg, sizeof(msg), "weakpriv.inc:3: private key %s/weak.pem: "
	    "RSA key of 1024 bits, at least 2048 required", tmpdir);
	conf_write("weakpriv.conf", "include \"weakpriv.inc\"\n");
	ck_assert_ptr_null(parse_capture("weakpriv.conf", CONF_F_LOADKEY, err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, msg) != NULL, "%s", err);
	/* Without CONF_F_LOADKEY only the file's secrecy is checked. */
	c = parse_capture("weakpriv.conf", 0, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	config_free(c);
	/* Not a key at all. */
	conf_write("notakey.pem", "hello\n");
	ck_assert_int_eq(chmod(tmppath("notakey.pem"), 0600), 0);
	parse_bad("notakey.conf", "private key \"@D@/notakey.pem\"\n",
	    CONF_F_LOADKEY, "1: private key ", NULL);
}
END_TEST

START_TEST(t_nokeys)
{
	struct nc_conf		*c;
	struct peer_conf	*p;
	static const uint8_t	 zero[NC_SHA256_LEN];

	c = parse_ok("nokeys.conf",
	    "private key \"/nonexistent/private.pem\"\n"
	    "peer \"hostb\" {\n\tpublic key \"/nonexistent/hostb.pub\"\n}\n"
	    "peer \"hostc\" {\n\tfingerprint \"@FPC@\"\n}\n",
	    CONF_F_NOKEYS);
	p = config_find_peer(c, "hostb");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->keyfile, "/nonexistent/hostb.pub");
	ck_assert_ptr_null(p->spki);
	ck_assert_mem_eq(p->fp, zero, sizeof(zero));
	assert_fp_eq(config_find_peer(c, "hostc")->fp, fp_c);
	config_free(c);
}
END_TEST

static Suite *
confpeers_suite(void)
{
	Suite	*s = suite_create("config peers");
	TCase	*tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, t_peer_key);
	tcase_add_test(tc, t_peer_fingerprint);
	tcase_add_test(tc, t_nokeys);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_test(tc, t_peer_duplicate);
	tcase_add_test(tc, t_peer_self);
	tcase_add_test(tc, t_peer_same_key);
	tcase_add_test(tc, t_peer_no_key);
	tcase_add_test(tc, t_peer_both);
	tcase_add_test(tc, t_pubkey_missing);
	tcase_add_test(tc, t_pubkey_invalid);
	tcase_add_test(tc, t_pubkey_weak);
	tcase_add_test(tc, t_fingerprint_bad);
	tcase_add_test(tc, t_privkey_missing);
	tcase_add_test(tc, t_privkey_default_missing);
	tcase_add_test(tc, t_privkey_world_readable);
	tcase_add_test(tc, t_privkey_group_readable);
	tcase_add_test(tc, t_privkey_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conffix_run(confpeers_suite());
}
