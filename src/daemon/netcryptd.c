/*
 * netcryptd: the master process.
 *
 * It parses the configuration, opens the private key file and the
 * listening sockets as root, makes sure the spool directory is there,
 * forks and re-executes the key-holder, the spool and the network child,
 * hands each what it needs (masterconf.c), and then
 * only supervises: signals, log lines from the children, their deaths,
 * and reloads (reload.c).  A child that dies unexpectedly takes the
 * whole daemon down (fail closed), so that the service manager restarts
 * it cleanly.  This file: start, the children, signals, the channels.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <seccomp.h>

#include "conf.h"
#include "fdlimit.h"
#include "ipc.h"
#include "log.h"
#include "netcryptd.h"
#include "notify.h"
#include "policy.h"
#include "proc.h"

#define READY_TIMEOUT		10	/* seconds for the children to start */
#define CHILD_STOP_TIMEOUT_MS	5000

struct master	master;

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
 * The network child first: it treats the key-holder's or the spool's
 * going away as fatal, so they must outlive it.
 */
static void
stop_children(void)
{
	stop_child(&master.net);
	stop_child(&master.sp);
	stop_child(&master.kh);
}

void
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
 * Describe every child that has died (when one dies the others may
 * follow at once), then stop the daemon: nothing runs without all three.
 */
static void
reap_children(void)
{
	struct child	*cs[3] = { &master.kh, &master.sp, &master.net };
	int		 i, status, died = 0;

	for (i = 0; i < 3; i++) {
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
	case SIGURG:
		/* Test builds only: prove the child's filter bites. */
		imsgev_compose(sig == SIGUSR1 ? &master.kh.iev :
		    sig == SIGUSR2 ? &master.net.iev : &master.sp.iev,
		    IMSG_TEST_FORBIDDEN, 0, -1, NULL, 0);
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
 * What every child may send: log lines, the number of a system call
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
		if (master.kh.ready && master.sp.ready && master.net.ready) {
			evtimer_del(master.ev_ready_timeout);
			log_info("started: key-holder %ld, spool %ld, network %ld",
			    (long)master.kh.pid, (long)master.sp.pid,
			    (long)master.net.pid);
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

/*
 * The key-holder's and the spool's channels: nothing but what every
 * child sends.
 */
static void
master_dispatch_plain(void *arg, struct imsg *imsg)
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
	    "spool %s, network %s", READY_TIMEOUT,
	    master.kh.ready ? "ready" : "not ready",
	    master.sp.ready ? "ready" : "not ready",
	    master.net.ready ? "ready" : "not ready");
	master_shutdown(1);
}

/*
 * Spawn a child.  own_end is our side of the master channel, fds[0] the
 * child's (closed here once it has it), then its channels to the others.
 */
static void
start_child(struct child *c, enum proc_role role, int own_end,
    const int *fds, size_t nfds, const struct proc_opts *opts)
{
	c->role = role;
	c->trapped_syscall = -1;
	c->pid = proc_spawn(role, fds, nfds, opts);
	(void)close(fds[0]);
	imsgev_init(&c->iev, master.base, own_end, proc_role_name(role),
	    role == PROC_NETWORK ? master_dispatch_net : master_dispatch_plain,
	    child_eof, c);
}

void
log_policy(const char *when, const struct policy *pol)
{
	log_info("%ssession policy: default %s, %zu rules, %zu login names",
	    when, conf_session_default_name(master.conf->session_default),
	    policy_nrules(pol), policy_nusers(pol));
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
	master.ev_sigurg = evsignal_new(master.base, SIGURG, on_signal, NULL);
	if (master.ev_sigusr1 == NULL || master.ev_sigusr2 == NULL ||
	    master.ev_sigurg == NULL ||
	    evsignal_add(master.ev_sigusr1, NULL) == -1 ||
	    evsignal_add(master.ev_sigusr2, NULL) == -1 ||
	    evsignal_add(master.ev_sigurg, NULL) == -1)
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

static int
is_socket(int fd)
{
	struct stat	st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void __attribute__((noreturn))
run_child(enum proc_role role, int debug, int verbose)
{
	log_init(debug, -1);
	log_setverbose(verbose);
	log_procinit(proc_role_name(role));
	/* Refuse to run by hand: the channels must already be there. */
	if (!is_socket(PROC_MASTER_FD) || !is_socket(PROC_PEER_FD) ||
	    (role == PROC_NETWORK && !is_socket(PROC_SPOOL_FD)))
		fatalx("-%c is for netcryptd's own use",
		    role == PROC_KEYHOLDER ? 'K' : role == PROC_SPOOL ? 'S' :
		    'N');
	child_ignore_signals();
	proctitle_set("netcryptd: %s", proc_role_name(role));
	if (role == PROC_KEYHOLDER)
		keyholder_main();
	if (role == PROC_SPOOL)
		spool_main();
	network_main();
}

static void
channel(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
}

/*
 * The key-holder, the spool, then the network child, each with its
 * channel to us at fd 3; the network child's channels to the other two
 * at 4 (PROC_PEER_FD) and 5 (PROC_SPOOL_FD), theirs to it at 4.
 */
static void
start_children(const struct proc_opts *opts)
{
	int	kh[2], sp[2], net[2], khnet[2], spnet[2], fds[3];

	channel(kh);
	channel(sp);
	channel(net);
	channel(khnet);
	channel(spnet);
	fds[0] = kh[1];
	fds[1] = khnet[0];
	start_child(&master.kh, PROC_KEYHOLDER, kh[0], fds, 2, opts);
	fds[0] = sp[1];
	fds[1] = spnet[0];
	start_child(&master.sp, PROC_SPOOL, sp[0], fds, 2, opts);
	fds[0] = net[1];
	fds[1] = khnet[1];
	fds[2] = spnet[1];
	start_child(&master.net, PROC_NETWORK, net[0], fds, 3, opts);
	/* The channels between the children are theirs alone. */
	(void)close(khnet[0]);
	(void)close(khnet[1]);
	(void)close(spnet[0]);
	(void)close(spnet[1]);
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
	struct privsep_conf	 pc, spc;
	struct policy		*pol;
	char			 err[512];
	const char		*conffile = NC_CONF_FILE;
	enum proc_role		 role = PROC_MASTER;
	int			 ch, debug = 0, checkonly = 0, verbose = 0;
	int			 keyfd;
	uint64_t		 fdwas;

	proctitle_init(argc, argv);
	log_init(1, LOG_DAEMON);	/* stderr until we know better */
	while ((ch = getopt(argc, argv, "D:df:KNnSv")) != -1) {
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
		case 'S':
			role = PROC_SPOOL;
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
	prepare_spool(master.conf, &pc, &spc);
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
	start_children(&opts);

	configure_children(&pc, &spc, keyfd, pol);
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
