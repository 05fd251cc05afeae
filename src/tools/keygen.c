/*
 * netcrypt-keygen: write an RSA key pair for netcryptd, print the
 * fingerprint of a key file, or create the host key named in
 * netcryptd.conf when it is missing (-A, for systemd's ExecStartPre=).
 *
 * Key files are never overwritten and never left half-written: each is
 * written to a temporary file in its own directory, synced, then
 * link(2)ed into place, which fails instead of replacing an existing
 * name.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

#define KG_NAME		"netcrypt-keygen"
#define KG_FILE_MAX	(64 * 1024)	/* 16384-bit PKCS#8 PEM: ~13 KB */
#define KG_PRIV_NAME	"private.pem"	/* -o, as the Python tool */
#define KG_PUB_NAME	"public.pem"
#define KG_PUB_SUFFIX	".pub"
#define KG_TMP_SUFFIX	".tmp.XXXXXX"
#define KG_PEM_PRIVATE	"-----BEGIN PRIVATE KEY-----"

struct key_paths {
	char	priv[PATH_MAX];
	char	pub[PATH_MAX];
};

/* A PEM encoding held in a memory BIO that OpenSSL wipes on free. */
struct pem {
	BIO	*bio;
	char	*data;
	size_t	 len;
};

static void	usage(void) __attribute__((__noreturn__));
static void	kwarn(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));
static void	kwarnx(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: " KG_NAME " [-q] [-b bits] [-t rsa] -f file\n"
	    "       " KG_NAME " [-q] [-b bits] [-t rsa] -o directory\n"
	    "       " KG_NAME " -l -f file\n"
	    "       " KG_NAME " -A [-q] [-b bits] [-c file] "
	    "[-D macro=value] [-t rsa]\n");
	exit(1);
}

/* The attribute lets clang's -Wformat=2 check the callers instead. */
static void kvwarn(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
kvwarn(int code, const char *fmt, va_list ap)
{
	fprintf(stderr, KG_NAME ": ");
	vfprintf(stderr, fmt, ap);
	if (code != 0)
		fprintf(stderr, ": %s", strerror(code));
	fputc('\n', stderr);
}

/* warn(3) and warnx(3), with a fixed prefix whatever argv[0] is. */
static void
kwarn(const char *fmt, ...)
{
	va_list	ap;
	int	code = errno;

	va_start(ap, fmt);
	kvwarn(code, fmt, ap);
	va_end(ap);
}

static void
kwarnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	kvwarn(0, fmt, ap);
	va_end(ap);
}

/*
 * The configuration parser reports through log.c; see main().  log.c
 * names the process in forwarded lines ("netcrypt-keygen: ..."); add
 * the name only if it did not.
 */
static void
keygen_log(int pri, const char *line)
{
	static const char	prefix[] = KG_NAME ": ";

	(void)pri;
	if (strncmp(line, prefix, sizeof(prefix) - 1) == 0)
		fprintf(stderr, "%s\n", line);
	else
		fprintf(stderr, "%s%s\n", prefix, line);
}

static const char *
ssl_error(void)
{
	static char	buf[256];
	unsigned long	e;

	if ((e = ERR_get_error()) == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int
parse_bits(const char *s, int *bits)
{
	const char	*errstr;
	long long	 v = 0;

	if (nc_strtonum(s, 0, INT_MAX, &v, &errstr) == -1) {
		if (strcmp(errstr, "too large") != 0) {
			kwarnx("invalid key size \"%s\": give a number of bits "
			    "from %d to %d", s, NC_RSA_MIN_BITS,
			    NC_RSA_MAX_BITS);
			return -1;
		}
		v = LLONG_MAX;		/* refused as too large below */
	}
	if (v < NC_RSA_MIN_BITS) {
		kwarnx("%lld-bit RSA keys are refused: they are within reach "
		    "of factoring; use at least %d (default %d)", v,
		    NC_RSA_MIN_BITS, NC_RSA_DEFAULT_BITS);
		return -1;
	}
	if (v > NC_RSA_MAX_BITS) {
		kwarnx("%s-bit RSA keys are refused: beyond %d bits key "
		    "generation and every link handshake get very slow for "
		    "no useful gain; use at most %d (default %d)", s,
		    NC_RSA_MAX_BITS, NC_RSA_MAX_BITS, NC_RSA_DEFAULT_BITS);
		return -1;
	}
	*bits = (int)v;
	return 0;
}

static int
check_type(const char *s)
{
	if (strcasecmp(s, "rsa") == 0)
		return 0;
	kwarnx("key type \"%s\" is not supported: netcrypt link protocol v1 "
	    "wraps secrets with RSA-OAEP, so only RSA keys can be used "
	    "(-t rsa)", s);
	return -1;
}

static int
join(char *buf, size_t sz, const char *a, const char *b)
{
	int	n;

	n = snprintf(buf, sz, "%s%s", a, b);
	if (n < 0 || (size_t)n >= sz) {
		kwarnx("%s%s: path too long", a, b);
		return -1;
	}
	return 0;
}

/* The directory part of path, as dirname(3) without modifying path. */
static void
dir_of(const char *path, char *buf, size_t sz)
{
	const char	*slash;
	size_t		 len;

	if ((slash = strrchr(path, '/')) == NULL) {
		nc_strlcpy(buf, ".", sz);
		return;
	}
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sz)
		len = sz - 1;
	memcpy(buf, path, len);
	buf[len] = '\0';
}

static int
paths_from_file(struct key_paths *kp, const char *file)
{
	size_t	len = strlen(file);

	if (len == 0 || file[len - 1] == '/') {
		kwarnx("\"%s\" does not name a file", file);
		return -1;
	}
	if (join(kp->priv, sizeof(kp->priv), file, "") == -1 ||
	    join(kp->pub, sizeof(kp->pub), file, KG_PUB_SUFFIX) == -1)
		return -1;
	return 0;
}

static int
paths_from_dir(struct key_paths *kp, const char *dir)
{
	char		 d[PATH_MAX];
	struct stat	 st;
	size_t		 len;

	if (stat(dir, &st) == -1) {
		kwarn("%s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		kwarnx("%s: not a directory", dir);
		return -1;
	}
	if (nc_strlcpy(d, dir, sizeof(d)) >= sizeof(d)) {
		kwarnx("%s: path too long", dir);
		return -1;
	}
	/* "dir/" and "/" must not give "dir//private.pem", "//private.pem". */
	len = strlen(d);
	while (len > 0 && d[len - 1] == '/')
		d[--len] = '\0';
	if (join(kp->priv, sizeof(kp->priv), d, "/" KG_PRIV_NAME) == -1 ||
	    join(kp->pub, sizeof(kp->pub), d, "/" KG_PUB_NAME) == -1)
		return -1;
	return 0;
}

/*
 * lstat(2), not stat(2): a dangling symbolic link is a name link(2)
 * will not replace, so it counts as existing.
 */
static int
check_absent(const char *path)
{
	struct stat	st;

	if (lstat(path, &st) == 0) {
		kwarnx("%s already exists", path);
		return -1;
	}
	if (errno != ENOENT) {
		kwarn("%s", path);
		return -1;
	}
	return 0;
}

/*
 * Everything that can be checked before generating the key is, so a
 * doomed run neither wastes seconds on a large key nor creates a file.
 */
static int
precheck(const struct key_paths *kp)
{
	char	dir[PATH_MAX];

	if (check_absent(kp->priv) == -1 || check_absent(kp->pub) == -1)
		return -1;
	dir_of(kp->priv, dir, sizeof(dir));
	if (access(dir, W_OK | X_OK) == -1) {
		kwarn("cannot create files in %s", dir);
		return -1;
	}
	return 0;
}

static EVP_PKEY *
generate(int bits)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pkey = NULL;
	BIGNUM		*e = NULL;

	/* e = 65537 explicitly, rather than trusting a library default. */
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) <= 0 ||
	    (e = BN_new()) == NULL || BN_set_word(e, RSA_F4) != 1 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 ||
	    EVP_PKEY_keygen(ctx, &pkey) <= 0) {
		kwarnx("RSA key generation failed: %s", ssl_error());
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	if (pkey != NULL && nc_rsa_bits(pkey) != bits) {
		kwarnx("RSA key generation gave %d bits instead of %d",
		    nc_rsa_bits(pkey), bits);
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

static void
pem_free(struct pem *p)
{
	if (p->data != NULL)
		OPENSSL_cleanse(p->data, p->len);
	BIO_free(p->bio);
	memset(p, 0, sizeof(*p));
}

/*
 * BIO_s_secmem() keeps its buffer in OpenSSL's secure heap when there
 * is one and, either way, wipes every buffer it grows out of or frees.
 */
static int
pem_encode(EVP_PKEY *pkey, int isprivate, struct pem *p)
{
	long	len;
	int	ok;

	memset(p, 0, sizeof(*p));
	if ((p->bio = BIO_new(BIO_s_secmem())) == NULL) {
		kwarnx("BIO_new: %s", ssl_error());
		return -1;
	}
	/* No cipher: PKCS#8 PrivateKeyInfo, "BEGIN PRIVATE KEY". */
	if (isprivate)
		ok = PEM_write_bio_PrivateKey(p->bio, pkey, NULL, NULL, 0,
		    NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(p->bio, pkey);
	len = BIO_get_mem_data(p->bio, &p->data);
	if (ok != 1 || len <= 0 || p->data == NULL) {
		kwarnx("cannot encode the %s key: %s",
		    isprivate ? "private" : "public", ssl_error());
		pem_free(p);
		return -1;
	}
	p->len = (size_t)len;
	return 0;
}

/*
 * The daemon will load exactly these bytes: prove it can, and that they
 * hold the key whose fingerprint is about to be printed, before any of
 * them reach the disk.
 */
static int
verify_private_pem(const struct pem *p, const uint8_t *spki, size_t spkilen)
{
	EVP_PKEY	*back;
	uint8_t		*der = NULL;
	size_t		 derlen = 0;
	int		 ok;

	if (p->len < sizeof(KG_PEM_PRIVATE) - 1 ||
	    memcmp(p->data, KG_PEM_PRIVATE, sizeof(KG_PEM_PRIVATE) - 1) != 0) {
		kwarnx("private key not encoded as PKCS#8");
		return -1;
	}
	if ((back = nc_load_privkey_mem(p->data, p->len)) == NULL) {
		kwarnx("the encoded private key does not load back");
		return -1;
	}
	ok = nc_pkey_spki(back, &der, &derlen) == 0 && derlen == spkilen &&
	    memcmp(der, spki, spkilen) == 0;
	OPENSSL_free(der);
	EVP_PKEY_free(back);
	if (!ok) {
		kwarnx("the encoded private key does not match the key made");
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write p to a new temporary file beside target and sync it.  Its name
 * is left in tmp (empty when nothing was created) for the caller to
 * link(2) and remove.
 */
static int
write_temp(const char *target, const struct pem *p, mode_t mode,
    int isprivate, char *tmp, size_t tmpsz)
{
	char	errbuf[PATH_MAX + 128];
	int	fd;

	if (join(tmp, tmpsz, target, KG_TMP_SUFFIX) == -1) {
		tmp[0] = '\0';
		return -1;
	}
	/* mkostemp(3) opens with O_CREAT|O_EXCL and mode 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		kwarn("cannot create a temporary file for %s", target);
		tmp[0] = '\0';
		return -1;
	}
	/* Exactly this mode, whatever the umask took away. */
	if (fchmod(fd, mode) == -1) {
		kwarn("%s: chmod", tmp);
		goto fail;
	}
	/*
	 * netcryptd refuses a private key that group or others can read or
	 * that someone else owns; a file system that ignores modes (vfat,
	 * some network mounts) would give one.  Fail here, not at start.
	 */
	if (isprivate && nc_check_private_key_file(fd, target, errbuf,
	    sizeof(errbuf)) == -1) {
		kwarnx("%s", errbuf);
		goto fail;
	}
	if (write_all(fd, p->data, p->len) == -1) {
		kwarn("%s: write", tmp);
		goto fail;
	}
	if (fsync(fd) == -1) {
		kwarn("%s: fsync", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		kwarn("%s: close", tmp);
		return -1;
	}
	return 0;
 fail:
	(void)close(fd);
	return -1;
}

static void
sync_dir(const char *path)
{
	char	dir[PATH_MAX];
	int	fd;

	dir_of(path, dir, sizeof(dir));
	/*
	 * The keys are in place already; a failure here only weakens their
	 * durability across a crash, so it is reported, not fatal.
	 */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1)
		kwarn("warning: %s: cannot sync the directory", dir);
	if (fd != -1)
		(void)close(fd);
}

static void
remove_temp(const char *tmp)
{
	if (tmp[0] != '\0' && unlink(tmp) == -1)
		kwarn("%s: cannot remove the temporary file", tmp);
}

/*
 * Both files are written in full first, then linked; when the second
 * link fails the first one is taken back, so the result is both keys
 * or neither.
 */
static int
install_pair(const struct key_paths *kp, const struct pem *priv,
    const struct pem *pub)
{
	char	tpriv[PATH_MAX], tpub[PATH_MAX];
	int	linked = 0, ret = -1;

	tpriv[0] = tpub[0] = '\0';
	if (write_temp(kp->priv, priv, 0600, 1, tpriv, sizeof(tpriv)) == -1 ||
	    write_temp(kp->pub, pub, 0644, 0, tpub, sizeof(tpub)) == -1)
		goto out;
	/* link(2), unlike rename(2), never replaces an existing file. */
	if (link(tpriv, kp->priv) == -1) {
		if (errno == EEXIST)
			kwarnx("%s already exists", kp->priv);
		else
			kwarn("cannot create %s", kp->priv);
		goto out;
	}
	linked = 1;
	if (link(tpub, kp->pub) == -1) {
		if (errno == EEXIST)
			kwarnx("%s already exists", kp->pub);
		else
			kwarn("cannot create %s", kp->pub);
		goto out;
	}
	ret = 0;
 out:
	if (ret == -1 && linked && unlink(kp->priv) == -1)
		kwarn("%s: cannot remove the new private key", kp->priv);
	remove_temp(tpriv);
	remove_temp(tpub);
	if (ret == 0)
		sync_dir(kp->priv);	/* both files are in one directory */
	return ret;
}

/* Blocked while files are half made, so ^C cannot leave a temporary. */
static void
block_signals(int block, sigset_t *old)
{
	sigset_t	set;

	if (!block) {
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

static int
print_fingerprint(EVP_PKEY *pkey, const char *name)
{
	char	 fp[NC_FP_STRLEN];
	uint8_t	*der = NULL;
	size_t	 len = 0;

	if (nc_pkey_spki(pkey, &der, &len) == -1 ||
	    nc_fingerprint(der, len, fp, sizeof(fp)) == -1) {
		OPENSSL_free(der);
		kwarnx("%s: cannot compute the fingerprint", name);
		return -1;
	}
	OPENSSL_free(der);
	printf("%d %s %s (RSA)\n", nc_rsa_bits(pkey), fp, name);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		kwarn("stdout");
		return -1;
	}
	return 0;
}

static int
make_pair(const struct key_paths *kp, EVP_PKEY *pkey)
{
	struct pem	 priv, pub;
	sigset_t	 old;
	uint8_t		*spki = NULL;
	size_t		 spkilen = 0;
	int		 ret = -1;

	memset(&priv, 0, sizeof(priv));
	memset(&pub, 0, sizeof(pub));
	if (nc_pkey_spki(pkey, &spki, &spkilen) == -1) {
		kwarnx("cannot encode the public key");
		return -1;
	}
	if (pem_encode(pkey, 1, &priv) == 0 &&
	    verify_private_pem(&priv, spki, spkilen) == 0 &&
	    pem_encode(pkey, 0, &pub) == 0) {
		block_signals(1, &old);
		ret = install_pair(kp, &priv, &pub);
		block_signals(0, &old);
	}
	pem_free(&priv);
	pem_free(&pub);
	OPENSSL_free(spki);
	return ret;
}

static int
do_generate(const struct key_paths *kp, int bits, int quiet)
{
	EVP_PKEY	*pkey;
	int		 ret;

	if (precheck(kp) == -1)
		return -1;
	if ((pkey = generate(bits)) == NULL)
		return -1;
	ret = make_pair(kp, pkey);
	if (ret == 0 && !quiet)
		ret = print_fingerprint(pkey, kp->priv);
	EVP_PKEY_free(pkey);	/* clears the private numbers */
	return ret;
}

/* Read a whole small file; the caller wipes and frees *bufp. */
static int
read_small_file(int fd, const char *path, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;

	if (fstat(fd, &st) == -1) {
		kwarn("%s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KG_FILE_MAX) {
		kwarnx("%s: not a key file (%s)", path, S_ISREG(st.st_mode) ?
		    "too large" : "not a regular file");
		return -1;
	}
	if ((buf = malloc(KG_FILE_MAX)) == NULL) {
		kwarn("malloc");
		return -1;
	}
	while (len < KG_FILE_MAX) {
		n = read(fd, buf + len, KG_FILE_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			kwarn("%s: read", path);
			OPENSSL_cleanse(buf, len);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

static EVP_PKEY *
pubkey_from_mem(const char *pem, size_t len)
{
	BIO		*bio;
	EVP_PKEY	*pkey;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pkey != NULL && nc_rsa_bits(pkey) == -1) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static int
do_list(const char *path)
{
	EVP_PKEY	*pkey;
	char		 errbuf[PATH_MAX + 128];
	char		*buf = NULL;
	size_t		 len = 0;
	int		 fd, ret;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		kwarn("%s", path);
		return -1;
	}
	if (read_small_file(fd, path, &buf, &len) == -1) {
		(void)close(fd);
		return -1;
	}
	if ((pkey = nc_load_privkey_mem(buf, len)) != NULL) {
		/* Say now what netcryptd would say at start. */
		if (nc_check_private_key_file(fd, path, errbuf,
		    sizeof(errbuf)) == -1)
			kwarnx("warning: %s", errbuf);
	} else
		pkey = pubkey_from_mem(buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	(void)close(fd);
	if (pkey == NULL) {
		kwarnx("%s: not an RSA key in PEM: expected an unencrypted "
		    "private key or a public key (BEGIN PUBLIC KEY)", path);
		return -1;
	}
	if (nc_rsa_bits(pkey) < NC_RSA_MIN_BITS)
		kwarnx("warning: %s: netcryptd refuses RSA keys of fewer than "
		    "%d bits", path, NC_RSA_MIN_BITS);
	ret = print_fingerprint(pkey, path);
	EVP_PKEY_free(pkey);
	return ret;
}

static int
do_hostkey(const char *conffile, int bits, int quiet)
{
	struct nc_conf	*conf;
	struct key_paths kp;
	struct stat	 st;
	int		 ret;

	if ((conf = config_parse(conffile, CONF_F_NOKEYS)) == NULL)
		return -1;	/* the parser said what is wrong */
	if (conf->privkey[0] == '\0') {
		kwarnx("%s: no private key path", conffile);
		config_free(conf);
		return -1;
	}
	ret = paths_from_file(&kp, conf->privkey);
	config_free(conf);
	if (ret == -1)
		return -1;
	/* An existing key, whatever its state, is left to netcryptd. */
	if (lstat(kp.priv, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		kwarn("%s", kp.priv);
		return -1;
	}
	return do_generate(&kp, bits, quiet);
}

int
main(int argc, char *argv[])
{
	struct key_paths kp;
	const char	*conffile = NC_CONF_FILE, *file = NULL, *dir = NULL;
	int		 Aflag = 0, lflag = 0, qflag = 0, genflags = 0;
	int		 cflag = 0, Dflag = 0, bits = NC_RSA_DEFAULT_BITS;
	int		 ch, ret;

	/*
	 * config_parse() reports through log.c, whose stderr lines carry a
	 * pid.  Take them through the forward hook instead (facility -1:
	 * no syslog connection), so every message has the same prefix.
	 */
	log_init(LOG_TO_SYSLOG, -1);
	log_procinit(KG_NAME);
	log_set_forward(keygen_log);

	while ((ch = getopt(argc, argv, "Ab:c:D:f:lo:qt:")) != -1) {
		switch (ch) {
		case 'A':
			Aflag = 1;
			break;
		case 'b':
			if (parse_bits(optarg, &bits) == -1)
				exit(1);
			genflags = 1;
			break;
		case 'c':
			conffile = optarg;
			cflag = 1;
			break;
		case 'D':
			if (config_define_macro(optarg) == -1) {
				kwarnx("-D %s: expected macro=value", optarg);
				exit(1);
			}
			Dflag = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'l':
			lflag = 1;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'q':
			qflag = 1;
			break;
		case 't':
			if (check_type(optarg) == -1)
				exit(1);
			genflags = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc != 0)
		usage();
	if ((cflag || Dflag) && !Aflag)
		usage();

	if (Aflag) {
		if (lflag || file != NULL || dir != NULL)
			usage();
		ret = do_hostkey(conffile, bits, qflag);
	} else if (lflag) {
		if (file == NULL || dir != NULL || genflags || qflag)
			usage();
		ret = do_list(file);
	} else {
		if ((file == NULL) == (dir == NULL))
			usage();
		if (file != NULL)
			ret = paths_from_file(&kp, file);
		else
			ret = paths_from_dir(&kp, dir);
		if (ret == 0)
			ret = do_generate(&kp, bits, qflag);
	}
	return ret == 0 ? 0 : 1;
}
