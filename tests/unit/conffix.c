/*
 * The fixtures and helpers of the configuration parser's unit tests
 * (conffix.h): the temporary directory with its keys, and configurations
 * written, parsed and checked.
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
#include "conffix.h"
#include "unitrun.h"

char	tmpdir[64];
char	fp_b[NC_FP_STRLEN];
char	fp_c[NC_FP_STRLEN];

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
void
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
struct nc_conf *
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
struct nc_conf *
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
void
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

void
assert_fp_eq(const uint8_t fp[NC_SHA256_LEN], const char *expect)
{
	uint8_t	want[NC_SHA256_LEN];

	ck_assert_int_eq(nc_fingerprint_parse(expect, want), 0);
	ck_assert_mem_eq(fp, want, NC_SHA256_LEN);
}

struct listen_addr *
listen_nth(struct nc_conf *c, int n)
{
	struct listen_addr	*la;

	TAILQ_FOREACH(la, &c->listens, entry)
		if (n-- == 0)
			return la;
	return NULL;
}

int
listen_count(struct nc_conf *c)
{
	struct listen_addr	*la;
	int			 n = 0;

	TAILQ_FOREACH(la, &c->listens, entry)
		n++;
	return n;
}

int
peer_count(struct nc_conf *c)
{
	struct peer_conf	*p;
	int			 n = 0;

	TAILQ_FOREACH(p, &c->peers, entry)
		n++;
	return n;
}

unsigned int
listen_port(const struct listen_addr *la)
{
	if (la->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&la->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&la->ss)->sin6_port);
}

int
conffix_run(Suite *suite)
{
	int	rc;

	log_init(LOG_TO_STDERR, 0);
	make_fixtures();
	rc = unit_run(suite);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
