/*
 * The end of a parse of netcryptd.conf(5): the checks that depend on
 * statements which may come later in the file (kept in a list while
 * parsing, run once it is read), the default listen addresses, and the
 * secrecy and strength of the private key.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conf.h"
#include "conf_int.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

#define PRIVKEY_FILE_MAX	(64 * 1024)

void
check_add(struct checks *list, enum check_kind kind, const char *host,
    int lineno)
{
	struct check	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->file = strdup(parse_file_name())) == NULL)
		fatal("%s", __func__);
	c->kind = kind;
	c->peer = ps.curpeer;
	c->lineno = lineno;
	if (host != NULL)
		nc_strlcpy(c->host, host, sizeof(c->host));
	TAILQ_INSERT_TAIL(list, c, entry);
}

void
checks_clear(struct checks *list)
{
	struct check	*c;

	while ((c = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, c, entry);
		free(c->file);
		free(c);
	}
}

static void
run_checks(void)
{
	struct check		*c;
	struct peer_conf	*p;
	enum proxy_type		 type;

	TAILQ_FOREACH(c, &ps.checks, entry) {
		p = c->peer;
		type = p->proxy.type == PROXY_INHERIT ? ps.conf->proxy.type :
		    p->proxy.type;
		switch (c->kind) {
		case CHECK_SELF:
			if (strcmp(p->name, ps.conf->name) == 0)
				cerror_at(c->file, c->lineno, "peer \"%s\" has "
				    "the name of this host", p->name);
			break;
		case CHECK_ONION:
			if (type != PROXY_SOCKS5)
				cerror_at(c->file, c->lineno, "peer \"%s\": "
				    "connect to \"%s\": .onion hosts need a "
				    "socks5 proxy", p->name, c->host);
			break;
		case CHECK_AUTH:
			if (type != PROXY_SOCKS5)
				cerror_at(c->file, c->lineno, "peer \"%s\": "
				    "proxy user and password need a socks5 "
				    "proxy", p->name);
			break;
		}
	}
}

/* With CONF_F_LOADKEY: the key must parse and be strong enough. */
static int
load_privkey(int fd, const char *path)
{
	EVP_PKEY	*pkey;
	uint8_t		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 tries, bits, ret = -1;

	if ((buf = malloc(PRIVKEY_FILE_MAX + 1)) == NULL)
		fatal("%s", __func__);
	/* Each turn reads something, or is one of few interruptions. */
	for (tries = 0; len <= PRIVKEY_FILE_MAX && tries < 64; tries++) {
		n = read(fd, buf + len, PRIVKEY_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("%s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > PRIVKEY_FILE_MAX) {
		cerror_at(ps.privkey_file, ps.privkey_line, "private key %s: "
		    "larger than %d bytes", path, PRIVKEY_FILE_MAX);
		goto out;
	}
	if ((pkey = nc_load_privkey_mem(buf, len)) == NULL) {
		cerror_at(ps.privkey_file, ps.privkey_line, "private key %s: "
		    "not an unencrypted PEM RSA private key", path);
		goto out;
	}
	bits = nc_rsa_bits(pkey);
	EVP_PKEY_free(pkey);
	if (bits < NC_RSA_MIN_BITS) {
		cerror_at(ps.privkey_file, ps.privkey_line, "private key %s: "
		    "RSA key of %d bits, at least %d required", path, bits,
		    NC_RSA_MIN_BITS);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(buf, PRIVKEY_FILE_MAX + 1);
	free(buf);
	return ret;
}

/* The secrecy check sshd does: nobody else may read the key. */
static void
check_privkey(void)
{
	char	errbuf[512];
	int	fd;

	if ((fd = open(ps.conf->privkey, O_RDONLY | O_CLOEXEC)) == -1) {
		cerror_at(ps.privkey_file, ps.privkey_line,
		    "private key %s: %s", ps.conf->privkey, strerror(errno));
		return;
	}
	if (nc_check_private_key_file(fd, ps.conf->privkey, errbuf,
	    sizeof(errbuf)) == -1)
		cerror_at(ps.privkey_file, ps.privkey_line, "private key %s",
		    errbuf);
	else if (ps.flags & CONF_F_LOADKEY)
		load_privkey(fd, ps.conf->privkey);
	close(fd);
}

/*
 * The end of a parse, before its file is closed: what a block cut short
 * by the end of the file left, the defaults, the checks kept for the end,
 * then the parse's state is cleared for the next one.
 */
void
config_finish(void)
{
	peer_free(ps.curpeer);
	ps.curpeer = NULL;
	checks_clear(&ps.peerchecks);
	conf_rule_free(ps.currule);
	ps.currule = NULL;
	if (!ps.listen_given) {
		listen_add_one("0.0.0.0", NC_DEFAULT_PORT);
		listen_add_one("::", NC_DEFAULT_PORT);
	}
	run_checks();
	spool_finish();
	if (!(ps.flags & CONF_F_NOKEYS))
		check_privkey();
	checks_clear(&ps.checks);
	symclear();
	free(ps.privkey_file);
	ps.privkey_file = NULL;
}
