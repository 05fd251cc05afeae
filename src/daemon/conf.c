/*
 * The configuration object of netcryptd.conf(5), apart from its syntax:
 * the defaults, freeing, looking up a peer and the proxy that applies to
 * it, the names of the ciphers, the macros that -D and the file define
 * (the lexer expands them through symget()), and the report and count
 * of errors (cerror_at()).
 * parse.y reads the file; conf_build.c and conf_check.c fill and check
 * what it reads.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"
#include "util.h"

/* A macro; those from the command line (-D) win over the file's. */
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	char			*name;
	char			*value;
	int			 cmdline;
};
TAILQ_HEAD(syms, sym);

static struct syms	 syms = TAILQ_HEAD_INITIALIZER(syms);

static const struct {
	uint8_t		 id;
	const char	*name;
} ciphers[] = {
	{ NC_CIPHER_AES256GCM,	"aes-256-gcm" },
	{ NC_CIPHER_AES128GCM,	"aes-128-gcm" },
	{ NC_CIPHER_CHACHA20,	"chacha20-poly1305" }
};
#define NCIPHERS	(sizeof(ciphers) / sizeof(ciphers[0]))

static void
default_name(char *buf, size_t bufsz)
{
	char	host[256];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	if (host[0] == '\0')
		nc_strlcpy(host, "localhost", sizeof(host));
	/* Keep it a valid name whatever the system calls itself. */
	for (i = 0; host[i] != '\0'; i++)
		if (strchr(NAME_CHARS, host[i]) == NULL)
			host[i] = '_';
	nc_strlcpy(buf, host, bufsz);
}

/*
 * No allocation here: the default listen addresses (* port 55555) are
 * added by config_parse() when the file has no "listen on".
 */
void
config_init_defaults(struct nc_conf *c)
{
	memset(c, 0, sizeof(*c));
	default_name(c->name, sizeof(c->name));
	TAILQ_INIT(&c->listens);
	TAILQ_INIT(&c->peers);
	TAILQ_INIT(&c->session_rules);
	/* Names are identities: see netcryptd.conf(5) for why "own". */
	c->session_default = SESSION_DEFAULT_OWN;
	nc_strlcpy(c->privkey, SYSCONFDIR "/netcryptd/private.pem",
	    sizeof(c->privkey));
	c->ciphers[0] = NC_CIPHER_AES256GCM;
	c->ciphers[1] = NC_CIPHER_AES128GCM;
	c->ciphers[2] = NC_CIPHER_CHACHA20;
	c->nciphers = 3;
	nc_strlcpy(c->session_sock, RUNSTATEDIR "/netcryptd/session.sock",
	    sizeof(c->session_sock));
	c->session_mode = 0660;
	nc_strlcpy(c->control_sock, RUNSTATEDIR "/netcryptd/control.sock",
	    sizeof(c->control_sock));
	c->control_mode = 0600;
	nc_strlcpy(c->user, NC_DEFAULT_USER, sizeof(c->user));
	nc_strlcpy(c->chroot, NC_DEFAULT_CHROOT, sizeof(c->chroot));
	c->keepalive = 15;
	c->handshake_timeout = 10;
	c->queue_size = 4 * MIB;
	c->queue_timeout = 30;
	c->max_sessions = 10000;
	c->session_queue = 1 * MIB;
	c->session_timeout = 60;
	c->unwrap_rate = NC_UNWRAP_AUTO;
	c->rekey_interval = NC_REKEY_INTERVAL;
	c->rekey_bytes = NC_REKEY_BYTES;
	c->proxy.type = PROXY_NONE;
	nc_strlcpy(c->spool_dir, NC_DEFAULT_SPOOL_DIR, sizeof(c->spool_dir));
	c->spool_size = SPOOL_SIZE;
	c->spool_peer_size = SPOOL_PEER_SIZE;
	c->spool_lifetime_max = SPOOL_LIFETIME_MAX;
}

void
config_free(struct nc_conf *c)
{
	struct listen_addr	*la;
	struct peer_conf	*p;
	struct session_rule	*r;

	if (c == NULL)
		return;
	while ((r = TAILQ_FIRST(&c->session_rules)) != NULL) {
		TAILQ_REMOVE(&c->session_rules, r, entry);
		conf_rule_free(r);
	}
	while ((la = TAILQ_FIRST(&c->listens)) != NULL) {
		TAILQ_REMOVE(&c->listens, la, entry);
		free(la);
	}
	while ((p = TAILQ_FIRST(&c->peers)) != NULL) {
		TAILQ_REMOVE(&c->peers, p, entry);
		peer_free(p);
	}
	conf_mailboxes_free(c->mailboxes, c->nmailboxes);
	OPENSSL_cleanse(&c->proxy, sizeof(c->proxy));
	free(c);
}

void
peer_free(struct peer_conf *p)
{
	struct connect_to	*ct;

	if (p == NULL)
		return;
	while ((ct = TAILQ_FIRST(&p->connects)) != NULL) {
		TAILQ_REMOVE(&p->connects, ct, entry);
		free(ct);
	}
	free(p->spki);
	OPENSSL_cleanse(&p->proxy, sizeof(p->proxy));
	free(p);
}

struct peer_conf *
config_find_peer(struct nc_conf *c, const char *name)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &c->peers, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/*
 * The proxy a peer's outgoing links use: its own "proxy" statement, else
 * the global one; the user and password are always the peer's.  The
 * type is PROXY_NONE or PROXY_SOCKS5, never PROXY_INHERIT.
 */
void
config_peer_proxy(const struct nc_conf *c, const struct peer_conf *p,
    struct proxy_conf *out)
{
	const struct proxy_conf	*src;

	src = p->proxy.type == PROXY_INHERIT ? &c->proxy : &p->proxy;
	memset(out, 0, sizeof(*out));
	if (src->type != PROXY_SOCKS5) {
		out->type = PROXY_NONE;
		return;
	}
	out->type = PROXY_SOCKS5;
	nc_strlcpy(out->host, src->host, sizeof(out->host));
	out->port = src->port;
	if (p->proxy.has_auth) {
		out->has_auth = 1;
		nc_strlcpy(out->user, p->proxy.user, sizeof(out->user));
		nc_strlcpy(out->password, p->proxy.password,
		    sizeof(out->password));
	}
}

const char *
cipher_name(uint8_t id)
{
	size_t	i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].id == id)
			return ciphers[i].name;
	return "unknown";
}

int
cipher_from_name(const char *name)
{
	size_t	i;

	for (i = 0; i < NCIPHERS; i++)
		if (strcasecmp(ciphers[i].name, name) == 0)
			return ciphers[i].id;
	return -1;
}

/* An error of the configuration: printed, and counted by the parse. */
void
cerror_at(const char *fname, int lineno, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", fname, lineno, msg);
	ps.nerrors++;
}

/* ---- macros ---- */

int
valid_macro_name(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return i > 0;
}

int
symset(const char *name, const char *value, int cmdline)
{
	struct sym	*sym;
	char		*v;

	TAILQ_FOREACH(sym, &syms, entry)
		if (strcmp(sym->name, name) == 0)
			break;
	if (sym != NULL) {
		/* -D wins over the file, as in OpenBSD's daemons. */
		if (sym->cmdline && !cmdline)
			return 0;
		if ((v = strdup(value)) == NULL)
			return -1;
		free(sym->value);
		sym->value = v;
		sym->cmdline = cmdline;
		return 0;
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return -1;
	if ((sym->name = strdup(name)) == NULL ||
	    (sym->value = strdup(value)) == NULL) {
		free(sym->name);
		free(sym);
		return -1;
	}
	sym->cmdline = cmdline;
	TAILQ_INSERT_TAIL(&syms, sym, entry);
	return 0;
}

const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &syms, entry)
		if (strcmp(sym->name, name) == 0)
			return sym->value;
	return NULL;
}

/* Forget the file's macros; those from the command line stay. */
void
symclear(void)
{
	struct sym	*sym, *next;

	for (sym = TAILQ_FIRST(&syms); sym != NULL; sym = next) {
		next = TAILQ_NEXT(sym, entry);
		if (sym->cmdline)
			continue;
		TAILQ_REMOVE(&syms, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym);
	}
}

/* "name = value" in the file. */
void
macro_define(const char *name, const char *value)
{
	if (!valid_macro_name(name))
		cerror("invalid macro name \"%s\": use letters, digits and "
		    "'_'", name);
	else if (symset(name, value, 0) == -1)
		cerror("macro \"%s\": out of memory", name);
}

int
config_define_macro(const char *def)
{
	const char	*eq;
	char		 name[128];
	size_t		 len;

	if ((eq = strchr(def, '=')) == NULL)
		return -1;
	len = (size_t)(eq - def);
	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, def, len);
	name[len] = '\0';
	if (!valid_macro_name(name))
		return -1;
	return symset(name, eq + 1, 1);
}
