/*
 * Unit tests of the configuration parser (src/daemon/parse.y).
 *
 * main() makes a temporary directory with RSA keys once; each test
 * writes a configuration there, parses it, and checks either the values
 * or, for a bad one, that config_parse() fails and printed the expected
 * "file:line: message" on stderr.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

static char	tmpdir[64];		/* mkdtemp(3) template */
static char	fp_b[NC_FP_STRLEN];	/* fingerprints of keys B and C */
static char	fp_c[NC_FP_STRLEN];

/* ---- fixtures, made once in main() --------------------------------- */

static void
die(const char *what)
{
	fprintf(stderr, "check_config: %s failed\n", what);
	exit(1);
}

static void
write_private(EVP_PKEY *pkey, const char *name)
{
	char	path[PATH_MAX];
	FILE	*fp;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL)
		die(path);
	if (PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		die("PEM_write_PrivateKey");
	fclose(fp);
}

static void
write_public(EVP_PKEY *pkey, const char *name, char *fp_out, size_t fpsz)
{
	char	 path[PATH_MAX];
	FILE	*fp;
	uint8_t	*der;
	size_t	 len;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		die(path);
	if (PEM_write_PUBKEY(fp, pkey) != 1)
		die("PEM_write_PUBKEY");
	fclose(fp);
	if (fp_out == NULL)
		return;
	if (nc_pkey_spki(pkey, &der, &len) == -1 ||
	    nc_fingerprint(der, len, fp_out, fpsz) == -1)
		die("fingerprint");
	free(der);
}

static void
make_fixtures(void)
{
	EVP_PKEY	*a, *b, *c, *weak;
	char		 path[PATH_MAX];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/peers", tmpdir);
	if (mkdir(path, 0700) == -1)
		die("mkdir peers");
	snprintf(path, sizeof(path), "%s/inc", tmpdir);
	if (mkdir(path, 0700) == -1)
		die("mkdir inc");

	if ((a = EVP_RSA_gen(2048)) == NULL || (b = EVP_RSA_gen(2048)) ==
	    NULL || (c = EVP_RSA_gen(2048)) == NULL ||
	    (weak = EVP_RSA_gen(1024)) == NULL)
		die("EVP_RSA_gen");
	write_private(a, "private.pem");
	write_public(a, "hosta.pub", NULL, 0);
	write_public(b, "peers/hostb.pub", fp_b, sizeof(fp_b));
	write_public(c, "hostc.pub", fp_c, sizeof(fp_c));
	write_private(weak, "weak.pem");
	write_public(weak, "weak.pub", NULL, 0);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
	EVP_PKEY_free(weak);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- helpers --------------------------------------------------------- */

/*
 * Write a configuration into tmpdir; "@D@" stands for tmpdir, "@FPB@"
 * and "@FPC@" for the fingerprints of keys B and C.
 */
static void
conf_write(const char *name, const char *text)
{
	char		 path[PATH_MAX];
	const char	*p;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		ck_abort_msg("fopen %s: %s", path, strerror(errno));
	for (p = text; *p != '\0'; p++) {
		if (strncmp(p, "@D@", 3) == 0) {
			fputs(tmpdir, fp);
			p += 2;
		} else if (strncmp(p, "@FPB@", 5) == 0) {
			fputs(fp_b, fp);
			p += 4;
		} else if (strncmp(p, "@FPC@", 5) == 0) {
			fputs(fp_c, fp);
			p += 4;
		} else
			fputc(*p, fp);
	}
	fclose(fp);
}

/* Parse tmpdir/name with stderr captured into err. */
static struct nc_conf *
parse_capture(const char *name, int flags, char *err, size_t errsz)
{
	struct nc_conf	*c;
	char		 path[PATH_MAX], errpath[PATH_MAX];
	ssize_t		 n;
	int		 fd, saved;

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(errpath, sizeof(errpath), "%s/stderr.XXXXXX", tmpdir);
	ck_assert_int_ne(fd = mkstemp(errpath), -1);
	unlink(errpath);
	ck_assert_int_ne(saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	c = config_parse(path, flags);
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, err, errsz - 1);
	close(fd);
	err[n > 0 ? n : 0] = '\0';
	return c;
}

/* A configuration that must parse without a word on stderr. */
static struct nc_conf *
parse_ok(const char *name, const char *text, int flags)
{
	struct nc_conf	*c;
	char		 err[4096];

	conf_write(name, text);
	c = parse_capture(name, flags, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s refused: %s", name, err);
	ck_assert_msg(err[0] == '\0', "%s: unexpected output: %s", name, err);
	return c;
}

/*
 * A configuration that must be refused, with each expected message
 * (a NULL-terminated list of "line: message" beginnings) on stderr as
 * "name:line: message".
 */
static void
parse_bad(const char *name, const char *text, int flags, ...)
{
	struct nc_conf	*c;
	char		 err[8192], want[1024];
	const char	*msg;
	va_list		 ap;

	conf_write(name, text);
	c = parse_capture(name, flags, err, sizeof(err));
	ck_assert_msg(c == NULL, "%s accepted", name);
	va_start(ap, flags);
	while ((msg = va_arg(ap, const char *)) != NULL) {
		snprintf(want, sizeof(want), "%s:%s", name, msg);
		ck_assert_msg(strstr(err, want) != NULL,
		    "expected \"%s\" in:\n%s", want, err);
	}
	va_end(ap);
}

static void
assert_fp_eq(const uint8_t fp[NC_SHA256_LEN], const char *expect)
{
	uint8_t	want[NC_SHA256_LEN];

	ck_assert_int_eq(nc_fingerprint_parse(expect, want), 0);
	ck_assert_mem_eq(fp, want, NC_SHA256_LEN);
}

static struct listen_addr *
listen_nth(struct nc_conf *c, int n)
{
	struct listen_addr	*la;

	TAILQ_FOREACH(la, &c->listens, entry)
		if (n-- == 0)
			return la;
	return NULL;
}

static int
listen_count(struct nc_conf *c)
{
	struct listen_addr	*la;
	int			 n = 0;

	TAILQ_FOREACH(la, &c->listens, entry)
		n++;
	return n;
}

static int
peer_count(struct nc_conf *c)
{
	struct peer_conf	*p;
	int			 n = 0;

	TAILQ_FOREACH(p, &c->peers, entry)
		n++;
	return n;
}

static unsigned int
listen_port(const struct listen_addr *la)
{
	if (la->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&la->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&la->ss)->sin6_port);
}

/* A path in tmpdir, in a static buffer. */
static const char *
tmppath(const char *name)
{
	static char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

#define PRIV	"private key \"@D@/private.pem\"\n"
#define PEER_B	"peer \"hostb\" {\n\tpublic key \"@D@/peers/hostb.pub\"\n}\n"

/* ---- valid configurations ------------------------------------------- */

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
	    "rekey interval 1d\n"
	    "rekey interval 10ms\n"
	    "rekey interval h\n"
	    "rekey bytes 32K\n"
	    "rekey bytes 65G\n"
	    "rekey interval\n"
	    "rekey 5\n"
	    "rekey interval 9999999999h\n", 0,
	    "2: rekey interval 0: out of range 1s..24h",
	    "3: rekey interval 25h: out of range 1s..24h",
	    "4: rekey interval: bad duration \"1d\"",
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
	tcase_add_test(tc, t_peer_key);
	tcase_add_test(tc, t_peer_fingerprint);
	tcase_add_test(tc, t_nokeys);
	tcase_add_test(tc, t_onion_global_proxy);
	tcase_add_test(tc, t_onion_peer_proxy);
	tcase_add_test(tc, t_proxy_auth);
	tcase_add_test(tc, t_proxy_effective);
	tcase_add_test(tc, t_proxy_auth_lengths);
	tcase_add_test(tc, t_macros);
	tcase_add_test(tc, t_macro_cmdline);
	tcase_add_test(tc, t_include_relative);
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
	tcase_add_test(tc, t_onion_no_proxy);
	tcase_add_test(tc, t_onion_proxy_none);
	tcase_add_test(tc, t_proxy_auth_no_proxy);
	tcase_add_test(tc, t_proxy_bad);
	tcase_add_test(tc, t_macro_undefined);
	tcase_add_test(tc, t_file_macros_forgotten);
	tcase_add_test(tc, t_include_errors);
	tcase_add_test(tc, t_include_loop);
	tcase_add_test(tc, t_include_depth);
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
	SRunner	*sr;
	int	 failed;

	log_init(LOG_TO_STDERR, 0);
	make_fixtures();
	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
