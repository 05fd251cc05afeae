/*
 * Confinement of the children: the key-holder, the network child and the
 * spool.
 *
 * The order is fixed and lives only here: close every descriptor the
 * process does not need, chroot (into an empty directory, or for the
 * spool into its own), drop groups, gid and uid (real, effective and
 * saved), prove root cannot be regained, forbid new privileges, core
 * dumps and ptrace-style access; then each role's seccomp allow-list.
 */
#include "config.h"

#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"

/*
 * The directory a child is chrooted into: absolute, a directory, owned
 * by owner (root, or the service user for the spool's), and writable by
 * nobody else.  what names it in the message.
 */
static int
check_dir(const struct privsep_conf *pc, const char *what, uid_t owner,
    const char *ownername, char *errbuf, size_t errsz)
{
	struct stat	st;

	if (pc->chroot[0] != '/') {
		snprintf(errbuf, errsz, "%s %s: not an absolute path", what,
		    pc->chroot);
		return -1;
	}
	if (stat(pc->chroot, &st) == -1) {
		snprintf(errbuf, errsz, "%s %s: %s", what, pc->chroot,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errsz, "%s %s: not a directory", what,
		    pc->chroot);
		return -1;
	}
	if (st.st_uid != owner || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(errbuf, errsz, "%s %s: must be owned by %s and "
		    "writable by nobody else (owner uid %u, mode 0%03o)", what,
		    pc->chroot, ownername, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (pc->uid == 0) {
		snprintf(errbuf, errsz, "user %s: must not be root", pc->user);
		return -1;
	}
	return 0;
}

int
sandbox_check_privsep(const struct privsep_conf *pc, char *errbuf,
    size_t errsz)
{
	/*
	 * A chroot the service user can write to would let a compromised
	 * child plant files there; require root's and nobody else's.
	 */
	return check_dir(pc, "chroot", 0, "root", errbuf, errsz);
}

int
sandbox_check_spool(const struct privsep_conf *pc, char *errbuf,
    size_t errsz)
{
	char	owner[96];

	/* The spool writes there itself, and nobody else may. */
	(void)snprintf(owner, sizeof(owner), "%s (uid %u)", pc->user,
	    (unsigned)pc->uid);
	return check_dir(pc, "spool directory", pc->uid, owner, errbuf,
	    errsz);
}

/*
 * The spool's directory is the user's, mode 0700: a root without
 * CAP_DAC_OVERRIDE (as under the systemd unit) may not even search it.
 * Enter it with the user's file access rights instead, keeping
 * CAP_SYS_CHROOT (only the file system capabilities go with fsuid 0);
 * setresuid() below sets the fsuid for good.
 */
static void
enter_as_user(const struct privsep_conf *pc)
{
	(void)setfsgid(pc->gid);
	(void)setfsuid(pc->uid);
	/* Both return the previous value: ask again to know they took. */
	if ((gid_t)setfsgid((gid_t)-1) != pc->gid ||
	    (uid_t)setfsuid((uid_t)-1) != pc->uid)
		fatalx("cannot take the file system ids of %s", pc->user);
}

static void
drop_privileges(enum proc_role role, const struct privsep_conf *pc)
{
	gid_t	gid = pc->gid;

	if (role == PROC_SPOOL)
		enter_as_user(pc);
	if (chroot(pc->chroot) == -1)
		fatal("chroot %s%s", pc->chroot, role == PROC_SPOOL ?
		    " (as the service user, who must be able to reach it)" : "");
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(pc->gid, pc->gid, pc->gid) == -1)
		fatal("setresgid %u", (unsigned)pc->gid);
	if (setresuid(pc->uid, pc->uid, pc->uid) == -1)
		fatal("setresuid %u", (unsigned)pc->uid);
	/* Trust, but verify: none of these may succeed any more. */
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		fatalx("privileges could be regained after dropping them");
}

static void
limit_process(void)
{
	struct rlimit	rl = { 0, 0 };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	/* Not dumpable: no core file, no ptrace or /proc access by uid. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
}

#ifdef NC_SANITIZERS
/*
 * Sanitizer builds only.  LeakSanitizer's check at exit stops the world
 * with ptrace and reads /proc: the filter kills that, and /proc is not in
 * the chroot anyway.  Its documented hook lets a sandboxed process skip
 * the check; the unsandboxed master keeps it, and valgrind covers the
 * children's leaks.
 */
static int	lsan_off;

int	__lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return lsan_off;
}
#endif

void
sandbox_enter(enum proc_role role, const struct privsep_conf *pc,
    const int *keep, size_t nkeep)
{
#ifdef NC_SANITIZERS
	lsan_off = 1;
#endif
	nc_closefrom_except(STDERR_FILENO + 1, keep, nkeep);
	drop_privileges(role, pc);
	limit_process();
	log_debug("%s: sandboxed as %s in %s", proc_role_name(role),
	    pc->user, pc->chroot);
}

/*
 * The seccomp allow-lists.  Default action: kill the process.  In a
 * --enable-sandbox-tests build the default is a trap instead, whose
 * handler tells the master the number of the forbidden call before the
 * process dies of SIGSYS all the same.
 *
 * Plain rules come in grouped tables; calls that are allowed only with
 * certain arguments have their own rules below.  Every rule's result is
 * checked: a filter that failed to build is never loaded half-done.
 */
struct sc_rule {
	int	nr;
	int	nargs;
	struct scmp_arg_cmp args[2];
};

/* Every child: end the process, memory, time, randomness, fd I/O. */
static const int sc_common[] = {
	SCMP_SYS(exit),			/* leaving */
	SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn),		/* return from the SIGSYS trap */
	SCMP_SYS(brk),			/* malloc */
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),		/* free() returning memory */
	SCMP_SYS(getrandom),		/* OpenSSL reseeding its DRBGs */
	SCMP_SYS(clock_gettime),	/* when the vDSO falls back */
	SCMP_SYS(gettimeofday),
	SCMP_SYS(getpid),		/* log lines and imsg headers */
	SCMP_SYS(futex),		/* OpenSSL's locks under contention */
	SCMP_SYS(read),			/* channel I/O (imsg) */
	SCMP_SYS(write),		/* channel I/O, stderr logging */
	SCMP_SYS(recvmsg),		/* imsg with descriptor passing */
	SCMP_SYS(sendmsg),
	SCMP_SYS(close),		/* descriptors received and done with */
};

/* Key-holder: a blocking poll loop, and sleeping for its rate limit. */
static const int sc_keyholder[] = {
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
};

/* Network child: an epoll loop over TCP and UNIX stream sockets. */
static const int sc_network[] = {
	SCMP_SYS(epoll_wait),		/* libevent's backend */
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll),			/* imsgbuf_flush() of a log line */
	SCMP_SYS(readv),		/* link and session input (inbuf.c) */
	SCMP_SYS(writev),		/* record batches */
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendto),
	SCMP_SYS(accept4),		/* peers, sessions, control clients */
	SCMP_SYS(connect),		/* outgoing links and proxies */
	SCMP_SYS(shutdown),
	SCMP_SYS(setsockopt),		/* TCP_NODELAY, keepalive, buffers */
	SCMP_SYS(getsockopt),		/* SO_ERROR, SO_PEERCRED */
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
};

/*
 * Spool: an epoll loop over its two channels, and files in its
 * directory, kept durable.  No socket of its own: only its channels.
 */
static const int sc_spool[] = {
	SCMP_SYS(epoll_wait),		/* libevent's backend */
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll),			/* imsgbuf_flush() of a log line */
	SCMP_SYS(openat),		/* entries, relative to its directory */
	SCMP_SYS(pread64),
	SCMP_SYS(writev),
	SCMP_SYS(pwrite64),
	SCMP_SYS(fdatasync),		/* an entry is durable before "queued" */
	SCMP_SYS(fsync),		/* ... and so is its directory entry */
	SCMP_SYS(ftruncate),		/* cutting a torn tail off */
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(getdents64),		/* listing its segments at start */
	SCMP_SYS(unlinkat),		/* segments done with */
	SCMP_SYS(renameat),		/* a file made whole, moved in place */
	SCMP_SYS(renameat2),
	SCMP_SYS(mkdirat),
	SCMP_SYS(flock),		/* one spool per directory */
};

#ifdef NC_SANITIZERS
/*
 * Sanitizer builds only: AddressSanitizer removes its alternate signal
 * stack when the process exits.
 */
static const int sc_sanitizer[] = {
	SCMP_SYS(sigaltstack),
};
#endif

/* Memory may be mapped or re-protected, never executable. */
static const struct sc_rule sc_memory_rules[] = {
	{ SCMP_SYS(mmap), 1, { SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) } },
	{ SCMP_SYS(mprotect), 1,
	    { SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) } },
};

/* The type argument of socket(2) with its flag bits masked off. */
#define SOCK_TYPE_MASK	(~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))

/*
 * Non-blocking mode and close-on-exec, nothing else (the network child
 * and the spool).
 */
#define SC_FCNTL_RULES							\
	{ SCMP_SYS(fcntl), 1, { SCMP_A1(SCMP_CMP_EQ, F_GETFL) } },	\
	{ SCMP_SYS(fcntl), 1, { SCMP_A1(SCMP_CMP_EQ, F_SETFL) } },	\
	{ SCMP_SYS(fcntl), 1, { SCMP_A1(SCMP_CMP_EQ, F_GETFD) } },	\
	{ SCMP_SYS(fcntl), 1, { SCMP_A1(SCMP_CMP_EQ, F_SETFD) } }

static const struct sc_rule sc_spool_rules[] = {
	SC_FCNTL_RULES,
};

static const struct sc_rule sc_network_rules[] = {
	/* New sockets: stream sockets of the three families only. */
	{ SCMP_SYS(socket), 2, { SCMP_A0(SCMP_CMP_EQ, AF_INET),
	    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_STREAM) } },
	{ SCMP_SYS(socket), 2, { SCMP_A0(SCMP_CMP_EQ, AF_INET6),
	    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_STREAM) } },
	{ SCMP_SYS(socket), 2, { SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
	    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_STREAM) } },
	SC_FCNTL_RULES,
};

static void
sc_add(scmp_filter_ctx ctx, const int *nrs, size_t n)
{
	size_t	i;
	int	rv;

	for (i = 0; i < n; i++)
		if ((rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nrs[i], 0)) < 0)
			fatalx("seccomp: cannot allow system call %d: %s",
			    nrs[i], strerror(-rv));
}

static void
sc_add_rules(scmp_filter_ctx ctx, const struct sc_rule *rules, size_t n)
{
	size_t	i;
	int	rv;

	for (i = 0; i < n; i++) {
		rv = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, rules[i].nr,
		    (unsigned int)rules[i].nargs, rules[i].args);
		if (rv < 0)
			fatalx("seccomp: cannot add the rule for system call "
			    "%d: %s", rules[i].nr, strerror(-rv));
	}
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#ifdef NC_SANDBOX_TESTS
/*
 * Only async-signal-safe work here: format the number by hand, send one
 * IMSG_SECCOMP_TRAP to the master with write(2), then die of SIGSYS by
 * making a forbidden call while SIGSYS is blocked in this handler (the
 * kernel then applies the default action).
 */
static void
sc_trap(int sig, siginfo_t *info, void *ctx)
{
	struct {
		struct imsg_hdr	hdr;
		int32_t		nr;
	} msg;

	(void)sig;
	(void)ctx;
	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = IMSG_SECCOMP_TRAP;
	msg.hdr.len = sizeof(msg);
	msg.hdr.pid = (uint32_t)getpid();
	msg.nr = info->si_syscall;
	if (write(PROC_MASTER_FD, &msg, sizeof(msg)) < 0) {
		/* nothing else can be done */
	}
	(void)syscall(SYS_kexec_load, 0, 0, 0, 0);
	_exit(128 + SIGSYS);
}

static uint32_t
sc_default_action(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sc_trap;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction(SIGSYS)");
	return SCMP_ACT_TRAP;
}
#else
static uint32_t
sc_default_action(void)
{
	return SCMP_ACT_KILL_PROCESS;
}
#endif

void
sandbox_lock(enum proc_role role)
{
	scmp_filter_ctx	ctx;
	int		rv;

#ifdef NC_VALGRIND_TESTS
	/*
	 * --enable-valgrind-tests builds only, and only when the test asks.
	 * valgrind cannot run a filtered process: it does not implement the
	 * seccomp() call, and once a filter is in place (libseccomp falls
	 * back to prctl) every system call valgrind makes for itself (signal
	 * masks around each call, its own memory management) is judged by
	 * it too.  Memcheck needs no filter to find memory errors; the
	 * filters are tested by the plain and sanitizer builds
	 * (tests/integration/sandbox.sh).  Chroot, user, no_new_privs and
	 * limits stay in force.
	 */
	if (getenv("NETCRYPTD_TEST_NO_SECCOMP") != NULL) {
		log_warnx("%s: seccomp filter NOT loaded (valgrind test build, "
		    "NETCRYPTD_TEST_NO_SECCOMP set)", proc_role_name(role));
		return;
	}
#endif
	if ((ctx = seccomp_init(sc_default_action())) == NULL)
		fatalx("seccomp_init failed");
	sc_add(ctx, sc_common, NELEM(sc_common));
#ifdef NC_SANITIZERS
	sc_add(ctx, sc_sanitizer, NELEM(sc_sanitizer));
#endif
	sc_add_rules(ctx, sc_memory_rules, NELEM(sc_memory_rules));
	if (role == PROC_KEYHOLDER)
		sc_add(ctx, sc_keyholder, NELEM(sc_keyholder));
	else if (role == PROC_NETWORK) {
		sc_add(ctx, sc_network, NELEM(sc_network));
		sc_add_rules(ctx, sc_network_rules, NELEM(sc_network_rules));
	} else if (role == PROC_SPOOL) {
		sc_add(ctx, sc_spool, NELEM(sc_spool));
		sc_add_rules(ctx, sc_spool_rules, NELEM(sc_spool_rules));
	} else
		fatalx("%s: no filter for %s", __func__, proc_role_name(role));
	if ((rv = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rv));
	seccomp_release(ctx);
	log_debug("%s: seccomp filter loaded", proc_role_name(role));
}
