/*
 * netcryptd: the master process.
 *
 * It parses the configuration, opens the private key file and the
 * listening sockets as root, forks and re-executes the key-holder and
 * the network child, hands each what it needs, and then only supervises:
 * signals, log lines from the children, and their deaths.  A child that
 * dies unexpectedly takes the whole daemon down (fail closed), so that
 * the service manager restarts it cleanly.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <seccomp.h>

#include "conf.h"
#include "confdiff.h"
#include "fdlimit.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "netcryptd.h"
#include "notify.h"
#include "policy.h"
#include "proc.h"
#include "sandbox.h"
#include "util.h"

#define READY_TIMEOUT		10	/* seconds for both children to start */
#define CHILD_STOP_TIMEOUT_MS	5000
#define NC_LISTEN_BACKLOG	1024	/* peer listeners; the kernel caps it */

struct child {
	enum proc_role	 role;
	pid_t		 pid;
	int		 ready;
	int		 trapped_syscall;	/* -1, or what seccomp trapped */
	struct imsgev	 iev;
};

/* A listening TCP socket the network child holds, as the master knows it. */
struct listener {
	uint32_t		 id;
	struct listen_addr	 addr;		/* a copy; entry unused */
};

/* Lines for netcryptctl: a reload's errors, or what it changed. */
struct report {
	char			 text[CTL_RELOAD_TEXT_MAX];
	size_t			 len;
	int			 truncated;
};

struct master {
	struct nc_conf		*conf;
	char			*conffile;	/* absolute: we chdir("/") */
	struct fd_budget	 budget;	/* conf within the fd limit */
	struct event_base	*base;
	struct child		 kh;
	struct child		 net;
	struct event		*ev_sigterm, *ev_sigint, *ev_sighup, *ev_sigchld;
	struct event		*ev_sigusr1, *ev_sigusr2;	/* test builds */
	struct event		*ev_ready_timeout;
	int			 exit_code;
	int			 stopping;
	/* the configuration as the network child has it */
	struct listener		 listeners[NET_MAX_LISTEN];
	size_t			 nlisteners;
	uint32_t		 next_listener_id;
	uint32_t		 next_peer_id;
	/* a reload sent to the network child, not yet acknowledged */
	int			 reloading;
	int			 reload_ctl;	/* asked by netcryptctl */
	uint32_t		 reload_client;
	size_t			 reload_changes;
	struct report		 report;	/* of the reload or check now */
	struct report		 pending;	/* of the one sent */
};

static struct master	master;

static void	resolve_for_network(struct imsg *);
static void	reload(int checkonly, int from_ctl, uint32_t client);
static void	reload_done(void);
static void	ctl_reload_request(struct imsg *);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: netcryptd [-dnv] [-D macro=value] "
	    "[-f file]\n");
	exit(1);
}

static void
child_describe_status(struct child *c, int status)
{
	const char	*name = proc_role_name(c->role);

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		char	*sc = NULL;

		if (c->trapped_syscall >= 0)
			sc = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
			    c->trapped_syscall);
		if (c->trapped_syscall >= 0)
			log_warnx("%s (pid %ld) killed by SIGSYS (seccomp): "
			    "system call %d (%s)", name, (long)c->pid,
			    c->trapped_syscall, sc != NULL ? sc : "?");
		else
			log_warnx("%s (pid %ld) killed by SIGSYS (seccomp); "
			    "the kernel's audit log names the system call",
			    name, (long)c->pid);
		free(sc);
	}
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %ld) killed by signal %d (%s)", name,
		    (long)c->pid, WTERMSIG(status),
		    proc_signame(WTERMSIG(status)));
	else if (WIFEXITED(status))
		log_warnx("%s (pid %ld) exited with status %d", name,
		    (long)c->pid, WEXITSTATUS(status));
}

/*
 * Stop one child: closing its channel makes it exit; one that does not
 * within the bound is killed.  A child must leave cleanly even when told
 * to: anything but exit status 0 is reported and makes our status 1.
 */
static void
stop_child(struct child *c)
{
	struct timespec	tick = { 0, 10 * 1000 * 1000 };
	int		waited, status;

	if (c->pid <= 0)
		return;
	if (c->iev.ev != NULL) {
		(void)close(c->iev.ibuf.fd);
		imsgev_clear(&c->iev);
	}
	for (waited = 0; waited < CHILD_STOP_TIMEOUT_MS; waited += 10) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				child_describe_status(c, status);
				master.exit_code = 1;
			}
			c->pid = 0;
			return;
		}
		(void)nanosleep(&tick, NULL);
	}
	log_warnx("%s (pid %ld) did not exit, killing it",
	    proc_role_name(c->role), (long)c->pid);
	(void)kill(c->pid, SIGKILL);
	(void)waitpid(c->pid, &status, 0);
	c->pid = 0;
	master.exit_code = 1;
}

/*
 * The network child first: it treats the key-holder's going away as
 * fatal, so the key-holder must outlive it.
 */
static void
stop_children(void)
{
	stop_child(&master.net);
	stop_child(&master.kh);
}

static void
master_shutdown(int code)
{
	if (master.stopping)
		return;
	master.stopping = 1;
	master.exit_code = code;
	notify_stopping();
	stop_children();	/* may raise exit_code */
	event_base_loopbreak(master.base);
}

/*
 * Describe every child that has died (when one dies the other may follow
 * at once), then stop the daemon: nothing runs without both.
 */
static void
reap_children(void)
{
	struct child	*cs[2] = { &master.kh, &master.net };
	int		 i, status, died = 0;

	for (i = 0; i < 2; i++) {
		if (cs[i]->pid <= 0 ||
		    waitpid(cs[i]->pid, &status, WNOHANG) != cs[i]->pid)
			continue;
		child_describe_status(cs[i], status);
		cs[i]->pid = 0;
		died++;
	}
	if (died > 0) {
		log_warnx("a child died unexpectedly, stopping the daemon");
		master_shutdown(1);
	}
}

static void
on_signal(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received %s, stopping", proc_signame(sig));
		master_shutdown(0);
		break;
#ifdef NC_SANDBOX_TESTS
	case SIGUSR1:
	case SIGUSR2:
		/* Test builds only: prove the child's filter bites. */
		imsgev_compose(sig == SIGUSR1 ? &master.kh.iev :
		    &master.net.iev, IMSG_TEST_FORBIDDEN, 0, -1, NULL, 0);
		break;
#endif
	case SIGHUP:
		log_info("received SIGHUP, reloading the configuration");
		reload(0, 0, 0);
		break;
	case SIGCHLD:
		if (!master.stopping)
			reap_children();
		break;
	}
}

/*
 * What both children may send: log lines, the number of a system call
 * seccomp trapped, and READY once.  Returns 0 when the type is not one
 * of these.
 */
static int
child_common(struct child *c, struct imsg *imsg)
{
	struct log_msg	 lm;
	int32_t		 nr;

	switch (imsg->hdr.type) {
	case IMSG_LOG:
		if (imsg_get_data(imsg, &lm, sizeof(lm)) == -1)
			fatalx("%s: bad LOG from %s", __func__,
			    proc_role_name(c->role));
		lm.line[sizeof(lm.line) - 1] = '\0';
		logit(lm.priority & LOG_PRIMASK, "%s", lm.line);
		return 1;
	case IMSG_SECCOMP_TRAP:
		if (imsg_get_data(imsg, &nr, sizeof(nr)) == -1)
			fatalx("%s: bad SECCOMP_TRAP from %s", __func__,
			    proc_role_name(c->role));
		c->trapped_syscall = nr;
		return 1;
	case IMSG_READY:
		if (c->ready || imsg_get_empty(imsg) == -1)
			fatalx("%s: bad READY from %s", __func__,
			    proc_role_name(c->role));
		c->ready = 1;
		if (master.kh.ready && master.net.ready) {
			evtimer_del(master.ev_ready_timeout);
			log_info("started: key-holder %ld, network %ld",
			    (long)master.kh.pid, (long)master.net.pid);
			/* Listening since configure_children(). */
			notify_ready();
		}
		return 1;
	default:
		return 0;
	}
}

/* A type the channel does not carry: the child is broken. */
static void
child_unexpected(struct child *c, struct imsg *imsg)
{
	log_warnx("unexpected %s from the %s", imsg_type_name(imsg->hdr.type),
	    proc_role_name(c->role));
	master_shutdown(1);
}

/* The key-holder's channel: nothing but what both children send. */
static void
master_dispatch_kh(void *arg, struct imsg *imsg)
{
	struct child	*c = arg;

	if (!child_common(c, imsg))
		child_unexpected(c, imsg);
}

/* The network child's channel: name resolution and reloads besides. */
static void
master_dispatch_net(void *arg, struct imsg *imsg)
{
	struct child	*c = arg;

	if (child_common(c, imsg))
		return;
	switch (imsg->hdr.type) {
	case IMSG_NET_RESOLVE:
		resolve_for_network(imsg);
		break;
	case IMSG_CTL_RELOAD:
		ctl_reload_request(imsg);
		break;
	case IMSG_RECONF_DONE:
		if (!master.reloading || imsg_get_empty(imsg) == -1)
			fatalx("%s: unexpected RECONF_DONE", __func__);
		reload_done();
		break;
	default:
		child_unexpected(c, imsg);
	}
}

static void
child_eof(void *arg)
{
	struct child	*c = arg;

	/* SIGCHLD will say how it ended; just stop listening to it. */
	if (!master.stopping)
		log_debug("%s closed its channel", proc_role_name(c->role));
	imsgev_clear(&c->iev);
}

static void
ready_timeout(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	log_warnx("children not ready after %d seconds: key-holder %s, "
	    "network %s", READY_TIMEOUT, master.kh.ready ? "ready" : "not ready",
	    master.net.ready ? "ready" : "not ready");
	master_shutdown(1);
}

/*
 * A bound, listening TCP socket for la, or -1 with the reason in err
 * (fatal at start, a refused reload later).
 */
static int
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
	 * instead of having their SYNs dropped (src/admit.c).
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

static void
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

static void
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
#ifdef NC_SANDBOX_TESTS
	/* Test builds: let tests force many key updates quickly. */
	if ((ku = getenv("NETCRYPTD_TEST_KEYUPDATE_RECORDS")) != NULL)
		ns.test_keyupdate_records = strtoull(ku, NULL, 10);
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
static void
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
static void
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

static void
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

static int
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

/* Spawn a child; own_end is our side of the master channel. */
static void
start_child(struct child *c, enum proc_role role, int own_end,
    int child_end, int peer_end, const struct proc_opts *opts)
{
	c->role = role;
	c->trapped_syscall = -1;
	c->pid = proc_spawn(role, child_end, peer_end, opts);
	(void)close(child_end);
	imsgev_init(&c->iev, master.base, own_end, proc_role_name(role),
	    role == PROC_KEYHOLDER ? master_dispatch_kh : master_dispatch_net,
	    child_eof, c);
}

static void
log_policy(const char *when, const struct policy *pol)
{
	log_info("%ssession policy: default %s, %zu rules, %zu login names",
	    when, policy_default_name(master.conf->session_default),
	    policy_nrules(pol), policy_nusers(pol));
}

static void
configure_children(const struct privsep_conf *pc, int keyfd,
    const struct policy *pol)
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

/* ---- reload (SIGHUP, netcryptctl reload and check) ----------------- */

static void
report_reset(struct report *r)
{
	r->len = 0;
	r->truncated = 0;
	r->text[0] = '\0';
}

/* One line; what does not fit is replaced by a final "...". */
static void
report_line(struct report *r, const char *line)
{
	size_t	len = strlen(line), room;

	if (r->truncated)
		return;
	room = sizeof(r->text) - r->len;
	if (len + 1 >= room || room < 5) {
		if (room >= 5) {
			memcpy(r->text + r->len, "...\n", 4);
			r->len += 4;
		}
		r->truncated = 1;
		return;
	}
	memcpy(r->text + r->len, line, len);
	r->text[r->len + len] = '\n';
	r->len += len + 1;
}

/* While a new file is parsed: its errors, as they are logged. */
static void
report_capture(int priority, const char *line)
{
	(void)priority;
	report_line(&master.report, line);
}

static void
report_change(void *arg, int restart, const char *text)
{
	int	checkonly = *(const int *)arg;

	if (!checkonly) {
		if (restart)
			log_warnx("reload: %s", text);
		else
			log_info("reload: %s", text);
	}
	report_line(&master.report, text);
}

static void
ctl_answer(uint32_t client, uint8_t status, const struct report *r)
{
	struct ctl_reload_rep	rep;
	struct iovec		iov[2];

	memset(&rep, 0, sizeof(rep));
	rep.client = client;
	rep.status = status;
	iov[0].iov_base = &rep;
	iov[0].iov_len = sizeof(rep);
	iov[1].iov_base = (void *)r->text;
	iov[1].iov_len = r->len;
	imsgev_composev(&master.net.iev, IMSG_CTL_RELOAD_DONE, 0, -1, iov, 2);
}

/* Refused at once: the report of a reload in progress stays intact. */
static void
ctl_refuse(uint32_t client, const char *why)
{
	struct report	r;

	report_reset(&r);
	report_line(&r, why);
	ctl_answer(client, 1, &r);
}

static void
ctl_reload_request(struct imsg *imsg)
{
	struct ctl_reload_req	req;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 || req.check > 1)
		fatalx("%s: bad CTL_RELOAD", __func__);
	log_info("%s requested by netcryptctl", req.check ? "configuration "
	    "check" : "reload");
	reload(req.check, 1, req.client);
}

/*
 * The listening sockets a new configuration adds, bound now: a reload
 * whose addresses cannot all be bound is refused as a whole.  fds[i]
 * belongs to the i-th address of nc, -1 for those already open.
 */
static int
reload_bind(const struct nc_conf *nc, int fds[NET_MAX_LISTEN], char *err,
    size_t errsz)
{
	const struct listen_addr	*la;
	size_t				 i, j, n = 0;

	TAILQ_FOREACH(la, &nc->listens, entry)
		n++;
	if (n > NET_MAX_LISTEN) {
		(void)snprintf(err, errsz, "more than %d listening addresses",
		    NET_MAX_LISTEN);
		return -1;
	}
	i = 0;
	TAILQ_FOREACH(la, &nc->listens, entry) {
		fds[i] = -1;
		for (j = 0; j < master.nlisteners; j++)
			if (confdiff_find_listen(nc,
			    &master.listeners[j].addr) == la)
				break;
		if (j == master.nlisteners &&
		    (fds[i] = open_listener(la, err, errsz)) == -1) {
			while (i-- > 0)
				if (fds[i] != -1)
					(void)close(fds[i]);
			return -1;
		}
		i++;
	}
	return 0;
}

/* Listeners: the removed ones closed, the new ones handed over. */
static void
reload_listeners(const struct nc_conf *nc, const int fds[NET_MAX_LISTEN])
{
	const struct listen_addr	*la;
	size_t				 i;

	for (i = 0; i < master.nlisteners;) {
		if (confdiff_find_listen(nc, &master.listeners[i].addr) !=
		    NULL) {
			i++;
			continue;
		}
		imsgev_compose(&master.net.iev, IMSG_RECONF_LISTEN_CLOSE, 0,
		    -1, &master.listeners[i].id, sizeof(uint32_t));
		master.listeners[i] = master.listeners[--master.nlisteners];
	}
	i = 0;
	TAILQ_FOREACH(la, &nc->listens, entry) {
		if (i >= NET_MAX_LISTEN)
			break;		/* reload_bind() refused more */
		if (fds[i] != -1)
			send_listener(la, fds[i]);
		i++;
	}
}

/*
 * Peers: removed ones first (a peer renamed with the same key is then
 * never known twice), then the added and changed ones.  Unchanged peers
 * keep their id and are not mentioned, so their links are not touched.
 */
static void
reload_peers(struct nc_conf *nc)
{
	struct peer_conf	*op, *np;

	TAILQ_FOREACH(op, &master.conf->peers, entry)
		if (config_find_peer(nc, op->name) == NULL)
			imsgev_compose(&master.net.iev, IMSG_RECONF_PEER_DEL, 0,
			    -1, &op->id, sizeof(op->id));
	TAILQ_FOREACH(np, &nc->peers, entry) {
		if ((op = config_find_peer(master.conf, np->name)) == NULL) {
			np->id = master.next_peer_id++;
			send_peer(nc, np);
			continue;
		}
		np->id = op->id;
		if (confdiff_peer(master.conf, op, nc, np) != 0)
			send_peer(nc, np);
	}
}

/* What a reload's configuration lowers to fit the descriptor limit. */
static void
reload_lowered(const struct fd_budget *b, int checkonly)
{
	char	msg[512];

	fd_budget_lowered(b, msg, sizeof(msg));
	if (msg[0] == '\0')
		return;
	if (!checkonly)
		log_warnx("reload: %s", msg);
	report_line(&master.report, msg);
}

/* A reload (or check) refused: the running configuration stays. */
static void
reload_refuse(struct nc_conf *nc, int checkonly, int from_ctl,
    uint32_t client, const char *err)
{
	log_warnx("%s: %s; refused, the running configuration is kept",
	    checkonly ? "check" : "reload", err);
	report_reset(&master.report);
	report_line(&master.report, "refused, the running configuration is "
	    "kept:");
	report_line(&master.report, err);
	if (from_ctl)
		ctl_answer(client, 1, &master.report);
	config_free(nc);
	if (!checkonly)
		notify_ready();
}

/*
 * Re-read the configuration file into a fresh structure.  With errors
 * the running one stays in force; otherwise the difference goes to the
 * network child between RECONF_START and RECONF_END, and the reload is
 * over when it answers RECONF_DONE.  Until then another is refused.
 * checkonly parses and compares only (netcryptctl check).
 */
static void
reload(int checkonly, int from_ctl, uint32_t client)
{
	struct nc_conf	*nc;
	struct fd_budget budget;
	struct policy	*pol;
	size_t		 nchanges, nrestart;
	int		 fds[NET_MAX_LISTEN];
	char		 line[PATH_MAX + 64], err[512];
	size_t		 i;

	for (i = 0; i < NET_MAX_LISTEN; i++)
		fds[i] = -1;
	if (master.stopping || !master.net.ready) {
		log_warnx("%s: the daemon is %s; request ignored",
		    checkonly ? "check" : "reload", master.stopping ?
		    "stopping" : "still starting");
		if (from_ctl)
			ctl_refuse(client, master.stopping ? "the daemon is "
			    "stopping" : "the daemon is still starting");
		return;
	}
	if (!checkonly && master.reloading) {
		log_warnx("reload: another reload is in progress; request "
		    "ignored");
		if (from_ctl)
			ctl_refuse(client, "another reload is in progress");
		return;
	}
	/* systemd: RELOADING=1 now, READY=1 once it ended either way. */
	if (!checkonly)
		notify_reloading();
	report_reset(&master.report);
	/* The heading of the answer if errors follow; else discarded. */
	(void)snprintf(line, sizeof(line), "%s has errors; the running "
	    "configuration is kept:", master.conffile);
	report_line(&master.report, line);
	log_set_capture(report_capture);
	nc = config_parse(master.conffile, 0);
	log_set_capture(NULL);
	/* Its users and groups must exist; users added since are known now. */
	pol = nc != NULL ? policy_resolve(nc, err, sizeof(err)) : NULL;
	if (nc != NULL && pol == NULL) {
		log_warnx("%s", err);
		report_line(&master.report, err);
		config_free(nc);
		nc = NULL;
	}
	if (nc == NULL) {
		log_warnx("%s: %s has errors; the running configuration is "
		    "kept", checkonly ? "check" : "reload", master.conffile);
		if (from_ctl)
			ctl_answer(client, 1, &master.report);
		if (!checkonly)
			notify_ready();
		return;
	}
	if (fd_budget_conf(nc, fdlimit_current(), &budget) == -1) {
		fd_budget_refused(&budget, err, sizeof(err));
		policy_free(pol);
		reload_refuse(nc, checkonly, from_ctl, client, err);
		return;
	}
	report_reset(&master.report);
	nchanges = confdiff(master.conf, nc, report_change, &checkonly,
	    &nrestart);
	reload_lowered(&budget, checkonly);
	if (checkonly) {
		(void)snprintf(line, sizeof(line), "configuration OK: a reload "
		    "would make %zu changes, %zu of them need a restart",
		    nchanges, nrestart);
		report_line(&master.report, line);
		if (from_ctl)
			ctl_answer(client, 0, &master.report);
		config_free(nc);
		policy_free(pol);
		return;
	}
	if (reload_bind(nc, fds, err, sizeof(err)) == -1) {
		policy_free(pol);
		reload_refuse(nc, 0, from_ctl, client, err);
		return;
	}
	imsgev_compose(&master.net.iev, IMSG_RECONF_START, 0, -1, NULL, 0);
	confdiff_keep_running(master.conf, nc);
	send_net_settings(nc, &budget);
	reload_peers(nc);
	reload_listeners(nc, fds);
	/* Always: the user database may have changed, if nothing else. */
	policy_send(&master.net.iev, pol);
	imsgev_compose(&master.net.iev, IMSG_RECONF_END, 0, -1, NULL, 0);
	config_free(master.conf);
	master.conf = nc;
	master.budget = budget;
	log_policy("reload: ", pol);
	policy_free(pol);
	master.reloading = 1;
	master.pending = master.report;
	master.reload_ctl = from_ctl;
	master.reload_client = client;
	master.reload_changes = nchanges;
	if (nrestart > 0)
		log_warnx("reload: %zu changed settings need a restart of "
		    "netcryptd", nrestart);
}

/* The network child applied the new configuration. */
static void
reload_done(void)
{
	char	line[128];

	master.reloading = 0;
	log_info("reload: done, %zu changes", master.reload_changes);
	if (master.reload_ctl) {
		(void)snprintf(line, sizeof(line), "configuration reloaded: "
		    "%zu changes", master.reload_changes);
		report_line(&master.pending, line);
		ctl_answer(master.reload_client, 0, &master.pending);
	}
	notify_ready();
}

static void
setup_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	master.ev_sigterm = evsignal_new(master.base, SIGTERM, on_signal, NULL);
	master.ev_sigint = evsignal_new(master.base, SIGINT, on_signal, NULL);
	master.ev_sighup = evsignal_new(master.base, SIGHUP, on_signal, NULL);
	master.ev_sigchld = evsignal_new(master.base, SIGCHLD, on_signal, NULL);
	if (master.ev_sigterm == NULL || master.ev_sigint == NULL ||
	    master.ev_sighup == NULL || master.ev_sigchld == NULL ||
	    evsignal_add(master.ev_sigterm, NULL) == -1 ||
	    evsignal_add(master.ev_sigint, NULL) == -1 ||
	    evsignal_add(master.ev_sighup, NULL) == -1 ||
	    evsignal_add(master.ev_sigchld, NULL) == -1)
		fatalx("cannot set up signal handling");
#ifdef NC_SANDBOX_TESTS
	master.ev_sigusr1 = evsignal_new(master.base, SIGUSR1, on_signal, NULL);
	master.ev_sigusr2 = evsignal_new(master.base, SIGUSR2, on_signal, NULL);
	if (master.ev_sigusr1 == NULL || master.ev_sigusr2 == NULL ||
	    evsignal_add(master.ev_sigusr1, NULL) == -1 ||
	    evsignal_add(master.ev_sigusr2, NULL) == -1)
		fatalx("cannot set up the test signals");
#endif
}

/* Children ignore the signals a terminal or service manager sends. */
static void
child_ignore_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
}

static void __attribute__((noreturn))
run_child(enum proc_role role, int debug, int verbose)
{
	struct stat	st;

	log_init(debug, -1);
	log_setverbose(verbose);
	log_procinit(proc_role_name(role));
	/* Refuse to run by hand: the channels must already be there. */
	if (fstat(PROC_MASTER_FD, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    fstat(PROC_PEER_FD, &st) == -1 || !S_ISSOCK(st.st_mode))
		fatalx("-%c is for netcryptd's own use",
		    role == PROC_KEYHOLDER ? 'K' : 'N');
	child_ignore_signals();
	proctitle_set("netcryptd: %s", proc_role_name(role));
	if (role == PROC_KEYHOLDER)
		keyholder_main();
	network_main();
}

static void
daemonize(void)
{
	if (daemon(0, 0) == -1)
		fatal("daemon");
}

int
main(int argc, char *argv[])
{
	struct proc_opts	 opts;
	struct privsep_conf	 pc;
	struct policy		*pol;
	char			 err[512];
	const char		*conffile = NC_CONF_FILE;
	enum proc_role		 role = PROC_MASTER;
	int			 ch, debug = 0, checkonly = 0, verbose = 0;
	int			 sp_kh[2], sp_net[2], sp_khnet[2], keyfd;
	uint64_t		 fdwas;

	proctitle_init(argc, argv);
	log_init(1, LOG_DAEMON);	/* stderr until we know better */
	while ((ch = getopt(argc, argv, "D:df:KNnv")) != -1) {
		switch (ch) {
		case 'D':
			if (config_define_macro(optarg) == -1)
				fatalx("-D %s: expected name=value", optarg);
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'K':
			role = PROC_KEYHOLDER;
			break;
		case 'N':
			role = PROC_NETWORK;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (role != PROC_MASTER)
		run_child(role, debug, verbose);
	log_setverbose(verbose);

	master.conf = config_parse(conffile, checkonly ? CONF_F_LOADKEY : 0);
	/* A reload reads it again after daemon(3) has gone to "/". */
	if (master.conf != NULL && !checkonly &&
	    (master.conffile = realpath(conffile, NULL)) == NULL)
		fatal("%s", conffile);
	if (master.conf == NULL)
		exit(1);
	fd_budget_start(master.conf, &master.budget, &fdwas);
	if ((pol = policy_resolve(master.conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (checkonly) {
		fd_budget_log(&master.budget, fdwas, 1);
		printf("configuration OK\n");
		policy_free(pol);
		config_free(master.conf);
		exit(0);
	}
	if (geteuid() != 0)
		fatalx("need root privileges (to chroot the children)");
	resolve_privsep(master.conf, &pc);
	keyfd = open_private_key(master.conf->privkey);

	/* Under systemd (Type=notify) the master must stay the main pid. */
	if (notify_init() && !debug)
		log_warnx("NOTIFY_SOCKET is set but -d is not: the service "
		    "manager will not hear from the daemonized process");
	if (!debug)
		daemonize();
	log_init(debug, LOG_DAEMON);
	log_procinit("master");
	proctitle_set("netcryptd: master");
	fd_budget_log(&master.budget, fdwas, 0);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp_kh) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp_net) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp_khnet) == -1)
		fatal("socketpair");
	if ((master.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	setup_signals();
	notify_watchdog_start(master.base);

	opts.self = "/proc/self/exe";
#ifdef NC_VALGRIND_TESTS
	/*
	 * Under valgrind /proc/self/exe is valgrind's tool, not us; its
	 * readlink() is answered with our path, so exec that.  Production
	 * builds keep the magic link: it names this very binary even if the
	 * file was replaced meanwhile.
	 */
	{
		static char	self[PATH_MAX];
		ssize_t		n;

		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			opts.self = self;
		}
	}
#endif
	opts.debug = debug;
	opts.verbose = verbose;
	start_child(&master.kh, PROC_KEYHOLDER, sp_kh[0], sp_kh[1],
	    sp_khnet[0], &opts);
	start_child(&master.net, PROC_NETWORK, sp_net[0], sp_net[1],
	    sp_khnet[1], &opts);
	/* The key-holder <-> network channel is theirs alone. */
	(void)close(sp_khnet[0]);
	(void)close(sp_khnet[1]);

	configure_children(&pc, keyfd, pol);
	log_policy("", pol);
	policy_free(pol);
	master.ev_ready_timeout = evtimer_new(master.base, ready_timeout, NULL);
	{
		struct timeval tv = { READY_TIMEOUT, 0 };
		if (master.ev_ready_timeout == NULL ||
		    evtimer_add(master.ev_ready_timeout, &tv) == -1)
			fatalx("evtimer");
	}

	if (event_base_dispatch(master.base) == -1)
		fatalx("event loop failed");
	log_info("exiting with status %d", master.exit_code);
	config_free(master.conf);
	free(master.conffile);
	return master.exit_code;
}
