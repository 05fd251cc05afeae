/*
 * What each statement of netcryptd.conf(5) adds to the configuration
 * being parsed (ps.conf): the grammar's actions in parse.y call these.
 * Values are checked here (numbers, sizes, durations, names, hosts,
 * ciphers, proxies), then the listen addresses, the peer blocks and the
 * session rules are built.  Every mistake is reported with cerror() at
 * the line being read, and the parse goes on.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conf.h"
#include "conf_int.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

/* ---- values ---- */

/* Join two strings into the first; both are consumed. */
char *
join(char *a, char *b)
{
	size_t	alen = strlen(a), blen = strlen(b);
	char	*s;

	if (alen + blen >= STRING_MAX) {
		cerror("string too long");
		free(a);
		free(b);
		return NULL;
	}
	if ((s = realloc(a, alen + blen + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(s + alen, b, blen + 1);
	free(b);
	return s;
}

int
getnum(const char *what, const char *s, long long min, long long max,
    long long *out)
{
	const char	*errstr;
	size_t		 len = strlen(s);

	/* Digits only: strtoll(3) would also take spaces and signs. */
	if (len == 0 || len > 18 || strspn(s, "0123456789") != len) {
		cerror("%s: \"%s\" is not a number", what, s);
		return -1;
	}
	if (nc_strtonum(s, min, max, out, &errstr) == -1) {
		cerror("%s %s: out of range %lld..%lld", what, s, min, max);
		return -1;
	}
	return 0;
}

/* A setting of min..max; *out is left alone after an error. */
void
getuint(const char *what, const char *s, unsigned int min, unsigned int max,
    unsigned int *out)
{
	long long	n;

	if (getnum(what, s, min, max, &n) == 0)
		*out = (unsigned int)n;
}

/* A port number, or -1 after an error. */
int
getport(const char *s)
{
	long long	n;

	if (getnum("port", s, 1, 65535, &n) == -1)
		return -1;
	return (int)n;
}

int
getmode(const char *s, mode_t *out)
{
	size_t		len = strlen(s);
	unsigned long	m;

	if (len == 0 || len > 5 || strspn(s, "01234567") != len) {
		cerror("mode: \"%s\" is not an octal number", s);
		return -1;
	}
	m = strtoul(s, NULL, 8);
	if (m > 0777) {
		cerror("mode %s: out of range 0..0777", s);
		return -1;
	}
	*out = (mode_t)m;
	return 0;
}

/* A byte count: digits and an optional K, M or G (powers of 1024). */
int
getsize(const char *what, const char *s, uint64_t min, const char *mins,
    uint64_t max, const char *maxs, uint64_t *out)
{
	size_t		len = strlen(s), ndig;
	uint64_t	mult = 1, v;

	ndig = strspn(s, "0123456789");
	if (ndig == 0 || ndig > 19 || len > ndig + 1)
		goto bad;
	if (len == ndig + 1) {
		switch (s[ndig]) {
		case 'k':
		case 'K':
			mult = KIB;
			break;
		case 'm':
		case 'M':
			mult = MIB;
			break;
		case 'g':
		case 'G':
			mult = GIB;
			break;
		default:
			goto bad;
		}
	}
	v = strtoull(s, NULL, 10);
	if (v > max / mult || v * mult < min) {
		cerror("%s %s: out of range %s..%s", what, s, mins, maxs);
		return -1;
	}
	*out = v * mult;
	return 0;
bad:
	cerror("%s: bad size \"%s\" (a number of bytes, optionally followed "
	    "by K, M or G)", what, s);
	return -1;
}

/*
 * A duration in seconds: digits and an optional s, m, h or d.  min and max
 * are seconds, mins and maxs the same for the message.
 */
int
getduration(const char *what, const char *s, long long min,
    const char *mins, long long max, const char *maxs, long long *out)
{
	size_t		len = strlen(s), ndig;
	long long	mult = 1, v;

	ndig = strspn(s, "0123456789");
	if (ndig == 0 || ndig > 9 || len > ndig + 1)
		goto bad;
	if (len == ndig + 1) {
		switch (s[ndig]) {
		case 's':
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			goto bad;
		}
	}
	v = strtoll(s, NULL, 10) * mult;	/* at most 10^9 * 86400 */
	if (v < min || v > max) {
		cerror("%s %s: out of range %s..%s", what, s, mins, maxs);
		return -1;
	}
	*out = v;
	return 0;
bad:
	cerror("%s: bad duration \"%s\" (a number of seconds, optionally "
	    "followed by s, m, h or d)", what, s);
	return -1;
}

static int
valid_name(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= NC_NAME_MAX && strspn(s, NAME_CHARS) == len;
}

/* Host and peer names: what sessions write after '@'. */
int
check_name(const char *what, const char *s)
{
	if (strlen(s) > NC_NAME_MAX) {
		cerror("%s \"%s\": too long (at most %d characters)", what, s,
		    NC_NAME_MAX);
		return -1;
	}
	if (!valid_name(s)) {
		cerror("%s \"%s\": invalid (use letters, digits, '.', '_' "
		    "and '-')", what, s);
		return -1;
	}
	return 0;
}

/* A DNS name or an address literal; never resolved here. */
static int
valid_host(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= NC_HOST_MAX &&
	    strspn(s, NAME_CHARS ":%") == len;
}

static int
is_onion(const char *host)
{
	size_t	len = strlen(host);

	if (len > 0 && host[len - 1] == '.')	/* fully qualified */
		len--;
	return len >= 6 && strncasecmp(host + len - 6, ".onion", 6) == 0;
}

int
setstr(const char *what, char *dst, size_t dstsz, const char *src)
{
	if (strlen(src) >= dstsz) {
		cerror("%s \"%s\": too long (at most %zu bytes)", what, src,
		    dstsz - 1);
		return -1;
	}
	nc_strlcpy(dst, src, dstsz);
	return 0;
}

/* "private key": its place is kept for the errors of the check at the end. */
void
private_key(const char *path)
{
	if (setstr("private key", ps.conf->privkey, sizeof(ps.conf->privkey),
	    path) == -1)
		return;
	free(ps.privkey_file);
	if ((ps.privkey_file = strdup(parse_file_name())) == NULL)
		fatal("private key");
	ps.privkey_line = parse_lineno();
}

/* "cipher": the list replaces the default unless one of its names is bad. */
void
cipher_begin(void)
{
	ps.nciphertmp = 0;
	ps.cipherbad = 0;
}

void
cipher_end(void)
{
	if (ps.cipherbad)
		return;
	memcpy(ps.conf->ciphers, ps.ciphertmp, sizeof(ps.conf->ciphers));
	ps.conf->nciphers = (uint8_t)ps.nciphertmp;
}

void
cipher_add(const char *name)
{
	int	id, i;

	if ((id = cipher_from_name(name)) == -1) {
		cerror("unknown cipher \"%s\" (use aes-256-gcm, aes-128-gcm "
		    "or chacha20-poly1305)", name);
		ps.cipherbad = 1;
		return;
	}
	for (i = 0; i < ps.nciphertmp; i++) {
		if (ps.ciphertmp[i] == id) {
			cerror("cipher %s given twice", cipher_name(id));
			ps.cipherbad = 1;
			return;
		}
	}
	/* Cannot overflow: there are only NC_CIPHER_MAX distinct ones. */
	ps.ciphertmp[ps.nciphertmp++] = (uint8_t)id;
}

void
proxy_socks5(const char *host, int port)
{
	memset(&ps.proxytmp, 0, sizeof(ps.proxytmp));
	ps.proxytmp.type = PROXY_SOCKS5;
	if (!valid_host(host)) {
		cerror("proxy socks5: invalid host \"%s\"", host);
		return;
	}
	/* The master would have to resolve it: a lookup that leaks. */
	if (is_onion(host)) {
		cerror("proxy socks5: \"%s\": a .onion host cannot be the "
		    "proxy itself", host);
		return;
	}
	nc_strlcpy(ps.proxytmp.host, host, sizeof(ps.proxytmp.host));
	/* A bad port has been reported; 0 never reaches a socket. */
	ps.proxytmp.port = port > 0 ? (uint16_t)port : 0;
}

void
proxy_none(void)
{
	memset(&ps.proxytmp, 0, sizeof(ps.proxytmp));
	ps.proxytmp.type = PROXY_NONE;
}

/* The global proxy has no user: see PROTOCOL.md 3. */
void
proxy_global(void)
{
	ps.conf->proxy.type = ps.proxytmp.type;
	memcpy(ps.conf->proxy.host, ps.proxytmp.host,
	    sizeof(ps.conf->proxy.host));
	ps.conf->proxy.port = ps.proxytmp.port;
}

/* ---- listen ---- */

static int
sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return a6->sin6_port == b6->sin6_port &&
	    a6->sin6_scope_id == b6->sin6_scope_id &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* Address literals only: the master never waits on DNS to listen. */
int
listen_add_one(const char *host, uint16_t port)
{
	struct addrinfo		 hints, *res;
	struct listen_addr	*la, *l;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		cerror("listen on \"%s\": not an IPv4 or IPv6 address", host);
		return -1;
	}
	if (res->ai_addrlen > sizeof(la->ss) || (res->ai_family != AF_INET &&
	    res->ai_family != AF_INET6)) {
		cerror("listen on \"%s\": unsupported address", host);
		freeaddrinfo(res);
		return -1;
	}
	if ((la = calloc(1, sizeof(*la))) == NULL)
		fatal("%s", __func__);
	memcpy(&la->ss, res->ai_addr, res->ai_addrlen);
	la->sslen = res->ai_addrlen;
	freeaddrinfo(res);
	if (la->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&la->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&la->ss)->sin6_port = htons(port);
	if (getnameinfo((struct sockaddr *)&la->ss, la->sslen, la->text,
	    sizeof(la->text), NULL, 0, NI_NUMERICHOST) != 0)
		nc_strlcpy(la->text, host, sizeof(la->text));

	TAILQ_FOREACH(l, &ps.conf->listens, entry) {
		if (sa_equal((struct sockaddr *)&l->ss,
		    (struct sockaddr *)&la->ss)) {
			cerror("listen on %s port %u given twice", la->text,
			    port);
			free(la);
			return -1;
		}
	}
	TAILQ_INSERT_TAIL(&ps.conf->listens, la, entry);
	return 0;
}

void
listen_add(const char *host, int port)
{
	ps.listen_given = 1;
	if (strcmp(host, "*") == 0) {
		/* Both families, as two sockets (IPV6_V6ONLY on ::). */
		listen_add_one("0.0.0.0", (uint16_t)port);
		listen_add_one("::", (uint16_t)port);
	} else
		listen_add_one(host, (uint16_t)port);
}

/* ---- peers ---- */

/* Whether fp holds a key: not for a key file skipped with NOKEYS. */
static int
peer_has_fp(const struct peer_conf *p)
{
	return p->keyfile[0] == '\0' || p->spki != NULL;
}

/*
 * A peer block is parsed even when its name is bad, to report what is
 * wrong inside; a peer with any error is dropped at its end.
 */
void
peer_begin(const char *name, int lineno)
{
	struct peer_conf	*p;

	peer_free(ps.curpeer);
	checks_clear(&ps.peerchecks);
	if ((ps.curpeer = calloc(1, sizeof(*ps.curpeer))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&ps.curpeer->connects);
	ps.curpeer->lineno = lineno;
	ps.curpeer->proxy.type = PROXY_INHERIT;
	ps.curpeer_key = ps.curpeer_fp = 0;
	ps.curpeer_errors = ps.nerrors;

	if (check_name("peer name", name) == 0) {
		nc_strlcpy(ps.curpeer->name, name, sizeof(ps.curpeer->name));
		TAILQ_FOREACH(p, &ps.conf->peers, entry)
			if (strcmp(p->name, name) == 0)
				break;
		if (p != NULL)
			cerror_at(parse_file_name(), lineno, "peer \"%s\" "
			    "defined twice (first on line %d)", name,
			    p->lineno);
	}
	check_add(&ps.peerchecks, CHECK_SELF, NULL, lineno);
}

void
peer_end(void)
{
	struct peer_conf	*p;

	if (ps.curpeer_key && ps.curpeer_fp)
		cerror_at(parse_file_name(), ps.curpeer->lineno, "peer \"%s\": "
		    "give either \"public key\" or \"fingerprint\", not both",
		    ps.curpeer->name);
	else if (!ps.curpeer_key && !ps.curpeer_fp)
		cerror_at(parse_file_name(), ps.curpeer->lineno, "peer \"%s\": "
		    "\"public key\" or \"fingerprint\" required",
		    ps.curpeer->name);
	if (ps.nerrors == ps.curpeer_errors && peer_has_fp(ps.curpeer)) {
		TAILQ_FOREACH(p, &ps.conf->peers, entry) {
			if (peer_has_fp(p) && memcmp(p->fp, ps.curpeer->fp,
			    sizeof(p->fp)) == 0) {
				cerror_at(parse_file_name(), ps.curpeer->lineno,
				    "peers \"%s\" and \"%s\" have the same "
				    "key", p->name, ps.curpeer->name);
				break;
			}
		}
	}
	if (ps.nerrors != ps.curpeer_errors) {
		peer_free(ps.curpeer);
		checks_clear(&ps.peerchecks);
	} else {
		TAILQ_INSERT_TAIL(&ps.conf->peers, ps.curpeer, entry);
		TAILQ_CONCAT(&ps.checks, &ps.peerchecks, entry);
	}
	ps.curpeer = NULL;
}

void
peer_connect(const char *host, int port)
{
	struct connect_to	*ct;

	if (!valid_host(host)) {
		cerror("connect to \"%s\": invalid host", host);
		return;
	}
	if ((ct = calloc(1, sizeof(*ct))) == NULL)
		fatal("%s", __func__);
	nc_strlcpy(ct->host, host, sizeof(ct->host));
	ct->port = (uint16_t)port;
	TAILQ_INSERT_TAIL(&ps.curpeer->connects, ct, entry);
	/* Only a proxy can reach it; which one is known at the end. */
	if (is_onion(host))
		check_add(&ps.peerchecks, CHECK_ONION, host, parse_lineno());
}

void
peer_pubkey(const char *path)
{
	EVP_PKEY	*pkey;
	char		 errbuf[512];
	int		 bits;

	if (ps.curpeer_key) {
		cerror("peer \"%s\": public key given twice", ps.curpeer->name);
		return;
	}
	ps.curpeer_key = 1;
	if (setstr("public key", ps.curpeer->keyfile,
	    sizeof(ps.curpeer->keyfile), path) == -1 ||
	    (ps.flags & CONF_F_NOKEYS))
		return;
	if ((pkey = nc_load_pubkey_file(path, errbuf, sizeof(errbuf))) ==
	    NULL) {
		cerror("peer \"%s\": %s", ps.curpeer->name, errbuf);
		return;
	}
	/* nc_load_pubkey_file() checks it too; this is the policy. */
	if ((bits = nc_rsa_bits(pkey)) < NC_RSA_MIN_BITS) {
		cerror("peer \"%s\": %s: RSA key of %d bits, at least %d "
		    "required", ps.curpeer->name, path, bits, NC_RSA_MIN_BITS);
		EVP_PKEY_free(pkey);
		return;
	}
	if (nc_pkey_spki(pkey, &ps.curpeer->spki, &ps.curpeer->spkilen) == -1 ||
	    nc_sha256(ps.curpeer->spki, ps.curpeer->spkilen,
	    ps.curpeer->fp) == -1)
		cerror("peer \"%s\": %s: cannot encode the key",
		    ps.curpeer->name, path);
	EVP_PKEY_free(pkey);
}

void
peer_fingerprint(const char *s)
{
	if (ps.curpeer_fp) {
		cerror("peer \"%s\": fingerprint given twice",
		    ps.curpeer->name);
		return;
	}
	ps.curpeer_fp = 1;
	if (nc_fingerprint_parse(s, ps.curpeer->fp) == -1)
		cerror("peer \"%s\": invalid fingerprint \"%s\" (expected "
		    "SHA256: and 43 base64 characters)", ps.curpeer->name, s);
}

void
peer_proxy(void)
{
	/* Keep a user and password given before. */
	ps.curpeer->proxy.type = ps.proxytmp.type;
	memcpy(ps.curpeer->proxy.host, ps.proxytmp.host,
	    sizeof(ps.curpeer->proxy.host));
	ps.curpeer->proxy.port = ps.proxytmp.port;
}

void
peer_auth(const char *user, const char *password)
{
	size_t	ulen = strlen(user), plen = strlen(password);

	/* RFC 1929 sends both with a one-byte length. */
	if (ulen < 1 || ulen > 255 || plen < 1 || plen > 255) {
		cerror("peer \"%s\": proxy user and password must have 1 to "
		    "255 bytes each", ps.curpeer->name);
		return;
	}
	ps.curpeer->proxy.has_auth = 1;
	nc_strlcpy(ps.curpeer->proxy.user, user,
	    sizeof(ps.curpeer->proxy.user));
	nc_strlcpy(ps.curpeer->proxy.password, password,
	    sizeof(ps.curpeer->proxy.password));
	check_add(&ps.peerchecks, CHECK_AUTH, NULL, parse_lineno());
}

/* ---- session rules (built by conf_rules.c) ---- */

/* Like a peer, a rule with errors is parsed to its end, then dropped. */
void
rule_begin(const char *pattern, int lineno)
{
	char	err[256];

	conf_rule_free(ps.currule);
	ps.currule = conf_rule_new(pattern, parse_file_name(), lineno);
	ps.currule_errors = ps.nerrors;
	if (conf_rule_check_pattern(pattern, err, sizeof(err)) == -1)
		cerror_at(parse_file_name(), lineno, "%s", err);
}

void
rule_add(enum conf_rule_item item, const char *value)
{
	char	err[256];

	if (conf_rule_add(ps.currule, item, value, err, sizeof(err)) == -1)
		cerror("%s", err);
}

void
rule_end(void)
{
	char	err[512];

	if (ps.nerrors == ps.currule_errors &&
	    conf_rule_fits(&ps.conf->session_rules, ps.currule, err,
	    sizeof(err)) == -1)
		cerror_at(ps.currule->file, ps.currule->lineno, "%s", err);
	if (ps.nerrors == ps.currule_errors)
		TAILQ_INSERT_TAIL(&ps.conf->session_rules, ps.currule, entry);
	else
		conf_rule_free(ps.currule);
	ps.currule = NULL;
}

void
session_default(const char *value)
{
	if (strcmp(value, "own") == 0)
		ps.conf->session_default = SESSION_DEFAULT_OWN;
	else if (strcmp(value, "any") == 0)
		ps.conf->session_default = SESSION_DEFAULT_ANY;
	else
		cerror("session default \"%s\": \"own\" or \"any\"", value);
}
