/*
 * The difference between two parsed configurations, for the reload in
 * the master (netcryptd.c).  Pure functions over struct nc_conf: nothing
 * here touches a socket or another process, so the unit tests can feed
 * it any pair of files.
 *
 * A setting is either live (the network child applies the new value) or
 * needs a restart: the private key (the key-holder got it once and is
 * sandboxed), the user and chroot of the children (they dropped
 * privileges long ago), the session and control sockets (bound by the
 * master at start, with their group and modes), the key-holder's
 * unwrap rate (sent to it only before its configuration ends), and the
 * spool's settings and mailbox rules (the spool process is chrooted into
 * its directory and is handed the rest only at start).  For
 * those the reload keeps the running value and says so.  The session
 * policy is live: a reload always sends it anew (resolved again with
 * the user database, even when the file did not change it).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "confdiff.h"
#include "util.h"

enum cd_kind {
	CD_UINT,	/* unsigned int */
	CD_U64,		/* uint64_t */
	CD_MODE,	/* mode_t, printed in octal */
	CD_STR		/* char array, NUL-terminated */
};

static const struct cd_setting {
	const char	*name;		/* as in netcryptd.conf(5) */
	size_t		 off;
	size_t		 size;		/* of a CD_STR field */
	enum cd_kind	 kind;
	int		 restart;
} settings[] = {
#define F(f)	offsetof(struct nc_conf, f)
#define S(f)	sizeof(((struct nc_conf *)0)->f)
	{ "name",		F(name), S(name), CD_STR, 0 },
	{ "keepalive",		F(keepalive), 0, CD_UINT, 0 },
	{ "handshake timeout",	F(handshake_timeout), 0, CD_UINT, 0 },
	{ "queue",		F(queue_size), 0, CD_U64, 0 },
	{ "queue timeout",	F(queue_timeout), 0, CD_UINT, 0 },
	{ "max sessions",	F(max_sessions), 0, CD_UINT, 0 },
	{ "session queue",	F(session_queue), 0, CD_U64, 0 },
	{ "session timeout",	F(session_timeout), 0, CD_UINT, 0 },
	{ "rekey interval",	F(rekey_interval), 0, CD_UINT, 0 },
	{ "rekey bytes",	F(rekey_bytes), 0, CD_U64, 0 },
	{ "private key",	F(privkey), S(privkey), CD_STR, 1 },
	{ "user",		F(user), S(user), CD_STR, 1 },
	{ "chroot",		F(chroot), S(chroot), CD_STR, 1 },
	{ "session socket",	F(session_sock), S(session_sock), CD_STR, 1 },
	{ "session socket group", F(session_group), S(session_group),
	    CD_STR, 1 },
	{ "session socket mode", F(session_mode), 0, CD_MODE, 1 },
	{ "control socket",	F(control_sock), S(control_sock), CD_STR, 1 },
	{ "control socket mode", F(control_mode), 0, CD_MODE, 1 },
	{ "unwrap rate",	F(unwrap_rate), 0, CD_UINT, 1 },
	{ "spool directory",	F(spool_dir), S(spool_dir), CD_STR, 1 },
	{ "spool size",		F(spool_size), 0, CD_U64, 1 },
	{ "spool peer size",	F(spool_peer_size), 0, CD_U64, 1 },
	{ "spool lifetime max",	F(spool_lifetime_max), 0, CD_UINT, 1 },
#undef F
#undef S
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

/* A line for fn, formatted; long lines are cut, never overflow. */
static void cd_report(confdiff_fn, void *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
cd_report(confdiff_fn fn, void *arg, int restart, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, restart, line);
}

static const void *
field(const struct nc_conf *c, const struct cd_setting *s)
{
	return (const char *)c + s->off;
}

static int
setting_equal(const struct nc_conf *a, const struct nc_conf *b,
    const struct cd_setting *s)
{
	const void	*x = field(a, s), *y = field(b, s);

	switch (s->kind) {
	case CD_UINT:
		return *(const unsigned int *)x == *(const unsigned int *)y;
	case CD_U64:
		return *(const uint64_t *)x == *(const uint64_t *)y;
	case CD_MODE:
		return *(const mode_t *)x == *(const mode_t *)y;
	case CD_STR:
		return strncmp(x, y, s->size) == 0;
	}
	return 0;
}

static void
setting_text(const struct nc_conf *c, const struct cd_setting *s, char *buf,
    size_t bufsz)
{
	const void	*x = field(c, s);

	switch (s->kind) {
	case CD_UINT:
		if (*(const unsigned int *)x == NC_UNWRAP_AUTO)
			(void)snprintf(buf, bufsz, "auto");
		else
			(void)snprintf(buf, bufsz, "%u",
			    *(const unsigned int *)x);
		break;
	case CD_U64:
		(void)snprintf(buf, bufsz, "%" PRIu64, *(const uint64_t *)x);
		break;
	case CD_MODE:
		(void)snprintf(buf, bufsz, "0%03o",
		    (unsigned int)*(const mode_t *)x);
		break;
	case CD_STR:
		(void)snprintf(buf, bufsz, "\"%.*s\"", (int)s->size,
		    (const char *)x);
		break;
	}
}

static int
ciphers_equal(const struct nc_conf *a, const struct nc_conf *b)
{
	return a->nciphers == b->nciphers &&
	    memcmp(a->ciphers, b->ciphers, a->nciphers) == 0;
}

static void
ciphers_text(const struct nc_conf *c, char *buf, size_t bufsz)
{
	size_t	i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < c->nciphers && i < NC_CIPHER_MAX; i++) {
		(void)snprintf(buf + len, bufsz - len, "%s%s", i ? " " : "",
		    cipher_name(c->ciphers[i]));
		len = strlen(buf);
	}
}

static int
proxy_equal(const struct proxy_conf *a, const struct proxy_conf *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type != PROXY_SOCKS5)
		return 1;
	return strcmp(a->host, b->host) == 0 && a->port == b->port &&
	    a->has_auth == b->has_auth && (!a->has_auth ||
	    (strcmp(a->user, b->user) == 0 &&
	    strcmp(a->password, b->password) == 0));
}

/* The proxies two peers are dialled through, as the network child gets them. */
static int
peer_proxy_equal(const struct nc_conf *oc, const struct peer_conf *op,
    const struct nc_conf *nc, const struct peer_conf *np)
{
	struct proxy_conf	a, b;
	int			same;

	config_peer_proxy(oc, op, &a);
	config_peer_proxy(nc, np, &b);
	same = proxy_equal(&a, &b);
	OPENSSL_cleanse(&a, sizeof(a));		/* passwords */
	OPENSSL_cleanse(&b, sizeof(b));
	return same;
}

static int
connects_equal(const struct connect_list *a, const struct connect_list *b)
{
	const struct connect_to	*x, *y;

	for (x = TAILQ_FIRST(a), y = TAILQ_FIRST(b); x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->host, y->host) != 0 || x->port != y->port)
			return 0;
	return x == NULL && y == NULL;
}

unsigned int
confdiff_peer(const struct nc_conf *oc, const struct peer_conf *op,
    const struct nc_conf *nc, const struct peer_conf *np)
{
	unsigned int	changes = 0;

	if (memcmp(op->fp, np->fp, sizeof(op->fp)) != 0)
		changes |= CD_PEER_KEY;
	if (!connects_equal(&op->connects, &np->connects))
		changes |= CD_PEER_CONNECT;
	if (!peer_proxy_equal(oc, op, nc, np))
		changes |= CD_PEER_PROXY;
	return changes;
}

static int
listen_equal(const struct listen_addr *a, const struct listen_addr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	if (a->ss.ss_family != AF_INET6)
		return 0;
	a6 = (const struct sockaddr_in6 *)&a->ss;
	b6 = (const struct sockaddr_in6 *)&b->ss;
	return a6->sin6_port == b6->sin6_port &&
	    a6->sin6_scope_id == b6->sin6_scope_id &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

struct listen_addr *
confdiff_find_listen(const struct nc_conf *conf, const struct listen_addr *la)
{
	struct listen_addr	*l;

	TAILQ_FOREACH(l, &conf->listens, entry)
		if (listen_equal(l, la))
			return l;
	return NULL;
}

static uint16_t
listen_port(const struct listen_addr *la)
{
	if (la->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&la->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&la->ss)->sin_port);
}

static size_t
diff_settings(const struct nc_conf *old, const struct nc_conf *new,
    confdiff_fn fn, void *arg, size_t *nrestart)
{
	char	a[PATH_MAX + 3], b[PATH_MAX + 3];
	size_t	i, n = 0;

	for (i = 0; i < NSETTINGS; i++) {
		if (setting_equal(old, new, &settings[i]))
			continue;
		n++;
		setting_text(old, &settings[i], a, sizeof(a));
		setting_text(new, &settings[i], b, sizeof(b));
		if (!settings[i].restart) {
			cd_report(fn, arg, 0, "%s: %s -> %s", settings[i].name,
			    a, b);
			continue;
		}
		(*nrestart)++;
		cd_report(fn, arg, 1, "%s: %s -> %s needs a restart; %s is "
		    "kept until then", settings[i].name, a, b, a);
	}
	if (!ciphers_equal(old, new)) {
		n++;
		ciphers_text(old, a, sizeof(a));
		ciphers_text(new, b, sizeof(b));
		cd_report(fn, arg, 0, "cipher: %s -> %s (for new links)", a, b);
	}
	if (!proxy_equal(&old->proxy, &new->proxy)) {
		n++;
		cd_report(fn, arg, 0, "proxy: changed (for new connections)");
	}
	if (!conf_mailboxes_equal(old, new)) {
		n++;
		(*nrestart)++;
		cd_report(fn, arg, 1, "mailbox rules: changed; needs a restart, "
		    "the running rules are kept until then");
	}
	return n;
}

static size_t
diff_listens(const struct nc_conf *old, const struct nc_conf *new,
    confdiff_fn fn, void *arg)
{
	const struct listen_addr	*la;
	size_t				 n = 0;

	TAILQ_FOREACH(la, &old->listens, entry) {
		if (confdiff_find_listen(new, la) != NULL)
			continue;
		n++;
		cd_report(fn, arg, 0, "listen on %s port %u: removed", la->text,
		    (unsigned int)listen_port(la));
	}
	TAILQ_FOREACH(la, &new->listens, entry) {
		if (confdiff_find_listen(old, la) != NULL)
			continue;
		n++;
		cd_report(fn, arg, 0, "listen on %s port %u: added", la->text,
		    (unsigned int)listen_port(la));
	}
	return n;
}

static const struct peer_conf *
find_peer(const struct nc_conf *c, const char *name)
{
	const struct peer_conf	*p;

	TAILQ_FOREACH(p, &c->peers, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static size_t
diff_peers(const struct nc_conf *old, const struct nc_conf *new,
    confdiff_fn fn, void *arg)
{
	const struct peer_conf	*p, *q;
	unsigned int		 c;
	size_t			 n = 0;

	TAILQ_FOREACH(p, &old->peers, entry) {
		if (find_peer(new, p->name) != NULL)
			continue;
		n++;
		cd_report(fn, arg, 0, "peer %s: removed", p->name);
	}
	TAILQ_FOREACH(p, &new->peers, entry) {
		if ((q = find_peer(old, p->name)) == NULL) {
			n++;
			cd_report(fn, arg, 0, "peer %s: added", p->name);
			continue;
		}
		if ((c = confdiff_peer(old, q, new, p)) == 0)
			continue;
		n++;
		cd_report(fn, arg, 0, "peer %s: %s%s%s%s%s", p->name,
		    (c & CD_PEER_KEY) ? "pinned key changed, its link is "
		    "closed" : "",
		    (c & CD_PEER_KEY) && (c & ~CD_PEER_KEY) ? "; " : "",
		    (c & CD_PEER_CONNECT) ? "connect addresses changed, used "
		    "from the next attempt" : "",
		    (c & CD_PEER_CONNECT) && (c & CD_PEER_PROXY) ? "; " : "",
		    (c & CD_PEER_PROXY) ? "proxy changed, used from the next "
		    "attempt" : "");
	}
	return n;
}

static size_t
diff_sessions(const struct nc_conf *old, const struct nc_conf *new,
    confdiff_fn fn, void *arg)
{
	size_t	n = 0;

	if (old->session_default != new->session_default) {
		n++;
		cd_report(fn, arg, 0, "session default: %s -> %s (for new "
		    "attaches; sessions it no longer allows are detached)",
		    conf_session_default_name(old->session_default),
		    conf_session_default_name(new->session_default));
	}
	if (!conf_rules_equal(&old->session_rules, &new->session_rules)) {
		n++;
		cd_report(fn, arg, 0, "session rules: changed (for new "
		    "attaches and every message from now on; sessions they "
		    "no longer allow are detached)");
	}
	return n;
}

size_t
confdiff(const struct nc_conf *old, const struct nc_conf *new,
    confdiff_fn fn, void *arg, size_t *nrestart)
{
	size_t	n, dummy = 0;

	if (nrestart == NULL)
		nrestart = &dummy;
	*nrestart = 0;
	n = diff_settings(old, new, fn, arg, nrestart);
	n += diff_listens(old, new, fn, arg);
	n += diff_peers(old, new, fn, arg);
	n += diff_sessions(old, new, fn, arg);
	return n;
}

void
confdiff_keep_running(const struct nc_conf *old, struct nc_conf *new)
{
	size_t	i;

	for (i = 0; i < NSETTINGS; i++) {
		if (!settings[i].restart)
			continue;
		memcpy((char *)new + settings[i].off,
		    (const char *)old + settings[i].off,
		    settings[i].kind == CD_STR ? settings[i].size :
		    settings[i].kind == CD_U64 ? sizeof(uint64_t) :
		    settings[i].kind == CD_MODE ? sizeof(mode_t) :
		    sizeof(unsigned int));
	}
	if (!conf_mailboxes_equal(old, new))
		conf_mailboxes_copy(new, old);
}
