/*
 * What the master hands the children, as root, at start and in reloads:
 * the listening sockets it binds, the network child's settings and peers,
 * who the children become, the private key as an open descriptor, the
 * spool's directory (made here when missing) and settings, and the
 * answers to the network child's name lookups (it has no resolver).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "netcryptd.h"
#include "policy.h"
#include "sandbox.h"
#include "util.h"

#define NC_LISTEN_BACKLOG	1024	/* peer listeners; the kernel caps it */

/*
 * A bound, listening TCP socket for la, or -1 with the reason in err
 * (fatal at start, a refused reload later).
 */
int
open_listener(const struct listen_addr *la, char *err, size_t errsz)
{
	const char	*what = "socket";
	int		 fd, on = 1, saved;

	fd = socket(la->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	what = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "*" gives one IPv4 and one IPv6 socket: keep them apart. */
	if (la->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	what = "bind";
	if (bind(fd, (const struct sockaddr *)&la->ss, la->sslen) == -1)
		goto fail;
	what = "listen";
	/*
	 * A deep backlog: while every handshake slot waits for the
	 * key-holder the network child stops accepting, and the peers
	 * that dial back together after a restart wait here, in order,
	 * instead of having their SYNs dropped (src/daemon/admit.c).
	 */
	if (listen(fd, NC_LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)snprintf(err, errsz, "%s %s: %s", what, la->text,
	    strerror(saved));
	return -1;
}

/* Remember what the network child listens on, under a fresh id. */
static uint32_t
listener_record(const struct listen_addr *la)
{
	struct listener	*l;

	if (master.nlisteners >= NET_MAX_LISTEN)
		fatalx("more than %d listening addresses", NET_MAX_LISTEN);
	l = &master.listeners[master.nlisteners++];
	l->id = master.next_listener_id++;
	l->addr = *la;
	return l->id;
}

void
send_listener(const struct listen_addr *la, int fd)
{
	struct listen_msg	lm;

	memset(&lm, 0, sizeof(lm));
	lm.id = listener_record(la);
	imsgev_compose(&master.net.iev, IMSG_NET_LISTEN_FD, 0, fd, &lm,
	    sizeof(lm));
}

/*
 * The directory of a socket (say /run/netcryptd) may not exist yet after
 * a reboot: create the last component, root's, mode 0755.
 */
static void
ensure_parent_dir(const char *path)
{
	char	dir[PATH_MAX], *slash;

	if (nc_strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
}

/*
 * A listening UNIX socket at path with the given mode.  A stale socket
 * left by a previous run is removed; any other file there is an error.
 */
static int
bind_unix_socket(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd;
	mode_t			old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (nc_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	ensure_parent_dir(path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("%s exists and is not a socket", path);
		if (unlink(path) == -1)
			fatal("unlink %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket");
	/* Never a moment with looser permissions than asked for. */
	old = umask(0777 & ~mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	(void)umask(old);
	if (gid != (gid_t)-1 && chown(path, 0, gid) == -1)
		fatal("chown %s", path);
	if (chmod(path, mode) == -1)
		fatal("chmod %s", path);
	if (listen(fd, 64) == -1)
		fatal("listen %s", path);
	return fd;
}

/* The group that may use the session socket; -1: leave root's. */
static gid_t
session_gid(const struct nc_conf *conf)
{
	struct group	*gr;

	if (conf->session_group[0] == '\0')
		return (gid_t)-1;
	if ((gr = getgrnam(conf->session_group)) == NULL)
		fatalx("session socket group \"%s\" does not exist",
		    conf->session_group);
	return gr->gr_gid;
}

void
send_net_settings(const struct nc_conf *conf, const struct fd_budget *b)
{
	struct net_settings	ns;
	const char		*ku;

	memset(&ns, 0, sizeof(ns));
	(void)nc_strlcpy(ns.name, conf->name, sizeof(ns.name));
	memcpy(ns.ciphers, conf->ciphers, sizeof(ns.ciphers));
	ns.nciphers = conf->nciphers;
	ns.keepalive = conf->keepalive;
	ns.handshake_timeout = conf->handshake_timeout;
	ns.queue_size = conf->queue_size;
	ns.queue_timeout = conf->queue_timeout;
	ns.max_sessions = b->max_sessions;
	ns.max_pending = b->max_pending;
	ns.session_queue = conf->session_queue;
	ns.session_timeout = conf->session_timeout;
	ns.rekey_interval = conf->rekey_interval;
	ns.rekey_bytes = conf->rekey_bytes;
	ns.features = WIRE_FEATURES_OURS;
	ns.spool_lifetime_max = conf->spool_lifetime_max;
#ifdef NC_SANDBOX_TESTS
	/* Test builds: let tests force many key updates quickly. */
	if ((ku = getenv("NETCRYPTD_TEST_KEYUPDATE_RECORDS")) != NULL)
		ns.test_keyupdate_records = strtoull(ku, NULL, 10);
	/* ... and play a daemon without the extensions of 7.9 ("0"). */
	if ((ku = getenv("NETCRYPTD_TEST_FEATURES")) != NULL)
		ns.features = (uint32_t)strtoul(ku, NULL, 0);
#else
	(void)ku;
#endif
	imsgev_compose(&master.net.iev, IMSG_CONF_NET, 0, -1, &ns, sizeof(ns));
}

/* The proxy that applies to a peer, for the network child. */
static void
peer_proxy_msg(const struct nc_conf *conf, const struct peer_conf *pc,
    struct proxy_msg *px)
{
	struct proxy_conf	pxc;

	config_peer_proxy(conf, pc, &pxc);
	memset(px, 0, sizeof(*px));
	px->type = (uint8_t)pxc.type;
	px->has_auth = (uint8_t)pxc.has_auth;
	px->port = pxc.port;
	(void)nc_strlcpy(px->host, pxc.host, sizeof(px->host));
	(void)nc_strlcpy(px->user, pxc.user, sizeof(px->user));
	(void)nc_strlcpy(px->password, pxc.password, sizeof(px->password));
	OPENSSL_cleanse(&pxc, sizeof(pxc));
}

/*
 * One peer block, at start or when a reload adds or changes it: the
 * network child knows it by pc->id, which stays the same across reloads.
 */
void
send_peer(const struct nc_conf *conf, const struct peer_conf *pc)
{
	struct connect_to	*ct;
	struct peer_msg		 pm;
	struct connect_msg	 cm;

	memset(&pm, 0, sizeof(pm));
	pm.id = pc->id;
	(void)nc_strlcpy(pm.name, pc->name, sizeof(pm.name));
	memcpy(pm.fp, pc->fp, sizeof(pm.fp));
	peer_proxy_msg(conf, pc, &pm.proxy);
	imsgev_compose(&master.net.iev, IMSG_CONF_PEER, 0, -1, &pm,
	    sizeof(pm));
	OPENSSL_cleanse(&pm, sizeof(pm));	/* a proxy password */
	TAILQ_FOREACH(ct, &pc->connects, entry) {
		memset(&cm, 0, sizeof(cm));
		cm.peer = pc->id;
		(void)nc_strlcpy(cm.host, ct->host, sizeof(cm.host));
		cm.port = ct->port;
		imsgev_compose(&master.net.iev, IMSG_CONF_CONNECT, 0, -1, &cm,
		    sizeof(cm));
	}
}

static void
send_peers(struct nc_conf *conf)
{
	struct peer_conf	*pc;

	TAILQ_FOREACH(pc, &conf->peers, entry) {
		pc->id = master.next_peer_id++;
		send_peer(conf, pc);
	}
}

/*
 * The network child cannot resolve names (no files, no UDP in its
 * sandbox): it asks us.  getaddrinfo() blocks the master briefly, which
 * is acceptable: the master has no latency-sensitive work.
 */
void
resolve_for_network(struct imsg *imsg)
{
	struct resolve_req	 req;
	struct resolve_rep	 rep;
	struct addrinfo		 hints, *res = NULL, *ai;
	char			 port[8];

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1)
		fatalx("%s: bad NET_RESOLVE", __func__);
	req.host[sizeof(req.host) - 1] = '\0';
	memset(&rep, 0, sizeof(rep));
	rep.peer = req.peer;
	rep.seq = req.seq;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(port, sizeof(port), "%u", (unsigned)req.port);
	rep.error = getaddrinfo(req.host, port, &hints, &res);
	for (ai = res; rep.error == 0 && ai != NULL &&
	    rep.naddrs < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(rep.addrs[0]))
			continue;
		memcpy(&rep.addrs[rep.naddrs++], ai->ai_addr, ai->ai_addrlen);
	}
	if (res != NULL)
		freeaddrinfo(res);
	if (rep.error != 0)
		log_warnx("cannot resolve %s: %s", req.host,
		    gai_strerror(rep.error));
	imsgev_compose(&master.net.iev, IMSG_NET_RESOLVED, 0, -1, &rep,
	    sizeof(rep));
}

void
resolve_privsep(const struct nc_conf *conf, struct privsep_conf *pc)
{
	struct passwd	*pw;
	char		 err[512];

	memset(pc, 0, sizeof(*pc));
	if ((pw = getpwnam(conf->user)) == NULL)
		fatalx("user \"%s\" does not exist: create it (see "
		    "netcryptd(8)) or set \"user\" in the configuration",
		    conf->user);
	pc->uid = pw->pw_uid;
	pc->gid = pw->pw_gid;
	(void)nc_strlcpy(pc->user, conf->user, sizeof(pc->user));
	if (nc_strlcpy(pc->chroot, conf->chroot, sizeof(pc->chroot)) >=
	    sizeof(pc->chroot))
		fatalx("chroot path too long");
	if (sandbox_check_privsep(pc, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

void
prepare_spool(const struct nc_conf *conf, const struct privsep_conf *pc,
    struct privsep_conf *spc)
{
	const char	*dir = conf->spool_dir;
	char		 err[512];

	*spc = *pc;
	if (nc_strlcpy(spc->chroot, dir, sizeof(spc->chroot)) >=
	    sizeof(spc->chroot))
		fatalx("spool directory path too long");
	/* One level only: a missing parent is a mistake to report. */
	if (mkdir(dir, 0700) == 0) {
		if (chown(dir, pc->uid, pc->gid) == -1) {
			int saved = errno;
			(void)rmdir(dir);
			errno = saved;
			fatal("spool directory %s: chown to %s", dir, pc->user);
		}
		log_info("spool directory %s created for %s", dir, pc->user);
	} else if (errno != EEXIST)
		fatal("spool directory %s: mkdir", dir);
	if (sandbox_check_spool(spc, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

int
open_private_key(const char *path)
{
	char	err[512];
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		fatal("private key %s", path);
	if (nc_check_private_key_file(fd, path, err, sizeof(err)) == -1)
		fatalx("%s", err);
	return fd;
}

/*
 * The spool: who it becomes (chrooted into its directory), its limits,
 * and the mailbox rules in file order.
 */
static void
configure_spool(const struct privsep_conf *spc)
{
	const struct nc_conf	*conf = master.conf;
	struct sp_settings	 ss;
	struct sp_mailbox_rule	 mr;
	size_t			 i;

	imsgev_compose(&master.sp.iev, IMSG_CONF_PRIVSEP, 0, -1, spc,
	    sizeof(*spc));
	memset(&ss, 0, sizeof(ss));
	ss.total_bytes = conf->spool_size;
	ss.peer_bytes = conf->spool_peer_size;
	ss.lifetime_max = conf->spool_lifetime_max;
	imsgev_compose(&master.sp.iev, IMSG_CONF_SPOOL, 0, -1, &ss,
	    sizeof(ss));
	for (i = 0; i < conf->nmailboxes; i++) {
		memset(&mr, 0, sizeof(mr));
		(void)nc_strlcpy(mr.pattern, conf->mailboxes[i].pattern,
		    sizeof(mr.pattern));
		mr.none = (uint8_t)conf->mailboxes[i].none;
		mr.max_bytes = conf->mailboxes[i].max_bytes;
		mr.max_count = conf->mailboxes[i].max_count;
		imsgev_compose(&master.sp.iev, IMSG_CONF_MAILBOX, 0, -1, &mr,
		    sizeof(mr));
	}
	imsgev_compose(&master.sp.iev, IMSG_CONF_END, 0, -1, NULL, 0);
}

void
configure_children(const struct privsep_conf *pc,
    const struct privsep_conf *spc, int keyfd, const struct policy *pol)
{
	struct kh_settings	 ks;
	struct listen_addr	*la;
	char			 err[512];
	int			 fd;

	memset(&ks, 0, sizeof(ks));
	ks.unwrap_rate = master.conf->unwrap_rate;
	imsgev_compose(&master.kh.iev, IMSG_CONF_PRIVSEP, 0, -1, pc,
	    sizeof(*pc));
	imsgev_compose(&master.kh.iev, IMSG_KH_SETTINGS, 0, -1, &ks,
	    sizeof(ks));
	/* The key travels as an open descriptor; we never read it. */
	imsgev_compose(&master.kh.iev, IMSG_KH_KEYFD, 0, keyfd, NULL, 0);
	imsgev_compose(&master.kh.iev, IMSG_CONF_END, 0, -1, NULL, 0);

	configure_spool(spc);

	imsgev_compose(&master.net.iev, IMSG_CONF_PRIVSEP, 0, -1, pc,
	    sizeof(*pc));
	send_net_settings(master.conf, &master.budget);
	send_peers(master.conf);
	policy_send(&master.net.iev, pol);
	imsgev_compose(&master.net.iev, IMSG_NET_CONTROL_FD, 0,
	    bind_unix_socket(master.conf->control_sock,
	    master.conf->control_mode, (gid_t)-1), NULL, 0);
	imsgev_compose(&master.net.iev, IMSG_NET_SESSION_FD, 0,
	    bind_unix_socket(master.conf->session_sock,
	    master.conf->session_mode, session_gid(master.conf)), NULL, 0);
	TAILQ_FOREACH(la, &master.conf->listens, entry) {
		if ((fd = open_listener(la, err, sizeof(err))) == -1)
			fatalx("%s", err);
		send_listener(la, fd);
	}
	imsgev_compose(&master.net.iev, IMSG_CONF_END, 0, -1, NULL, 0);
}
