/*
 * What the processes share: names for roles and message types,
 * spawning a child (fork, then re-exec with a role flag and its channels
 * at fixed descriptors), the blocking configuration phase of a child, and
 * forwarding of a child's log lines to the master.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "util.h"

const char *
imsg_type_name(uint32_t type)
{
	static const char *const names[IMSG_TYPE_MAX] = {
#define IMSG_NAME_ENTRY(name)	[IMSG_##name] = #name,
		IMSG_TYPES(IMSG_NAME_ENTRY)
#undef IMSG_NAME_ENTRY
	};

	if (type < IMSG_TYPE_MAX && names[type] != NULL)
		return names[type];
	return "unknown";
}

const char *
proc_role_name(enum proc_role role)
{
	switch (role) {
	case PROC_MASTER:
		return "master";
	case PROC_KEYHOLDER:
		return "key-holder";
	case PROC_NETWORK:
		return "network";
	case PROC_SPOOL:
		return "spool";
	}
	return "unknown";
}

/* Move fd to target, coping with the case where target is already used. */
static void
move_fd(int fd, int target)
{
	if (fd == target) {
		int flags = fcntl(fd, F_GETFD);
		if (flags == -1 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == -1)
			_exit(127);
		return;
	}
	if (dup2(fd, target) == -1)
		_exit(127);
}

/* proc_spawn() places fds[i] at PROC_MASTER_FD + i. */
_Static_assert(PROC_PEER_FD == PROC_MASTER_FD + 1 &&
    PROC_SPOOL_FD == PROC_MASTER_FD + 2, "channels at 3, 4 and 5");

/* The flag that makes the re-executed binary take a child's role. */
static const char *
role_flag(enum proc_role role)
{
	switch (role) {
	case PROC_KEYHOLDER:
		return "-K";
	case PROC_NETWORK:
		return "-N";
	case PROC_SPOOL:
		return "-S";
	case PROC_MASTER:
		break;
	}
	fatalx("%s: no flag for %s", __func__, proc_role_name(role));
}

pid_t
proc_spawn(enum proc_role role, const int *fds, size_t nfds,
    const struct proc_opts *opts)
{
	char		*argv[8];
	char		 vflags[8];
	const char	*flag = role_flag(role);
	int		 argc = 0, hi[PROC_MAX_CHANNELS], keep[PROC_MAX_CHANNELS];
	int		 devnull;
	size_t		 i;
	pid_t		 pid;

	if (nfds == 0 || nfds > PROC_MAX_CHANNELS)
		fatalx("%s: %zu channels", __func__, nfds);
	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		break;
	default:
		return pid;
	}
	/*
	 * Child.  Park every end above the fixed numbers first, so that
	 * dup2() onto 3, 4 and 5 can never clobber another one.
	 */
	for (i = 0; i < nfds; i++)
		if ((hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) == -1)
			_exit(127);
	for (i = 0; i < nfds; i++) {
		keep[i] = PROC_MASTER_FD + (int)i;
		move_fd(hi[i], keep[i]);
	}
	if ((devnull = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(devnull, STDIN_FILENO);
		if (!opts->debug) {
			(void)dup2(devnull, STDOUT_FILENO);
			(void)dup2(devnull, STDERR_FILENO);
		}
		if (devnull > STDERR_FILENO)
			(void)close(devnull);
	}
	nc_closefrom_except(STDERR_FILENO + 1, keep, nfds);
	argv[argc++] = (char *)"netcryptd";
	argv[argc++] = (char *)flag;
	if (opts->debug)
		argv[argc++] = (char *)"-d";
	if (opts->verbose > 0) {
		int v = opts->verbose < 6 ? opts->verbose : 6;
		vflags[0] = '-';
		memset(vflags + 1, 'v', (size_t)v);
		vflags[v + 1] = '\0';
		argv[argc++] = vflags;
	}
	argv[argc] = NULL;
#ifdef NC_SANITIZERS
	{
		/* The children's reports stay unsymbolized: no exec there. */
		const char	*old = getenv("ASAN_OPTIONS");
		char		 opt[512];

		(void)snprintf(opt, sizeof(opt), "%s%ssymbolize=0",
		    old != NULL ? old : "", old != NULL ? ":" : "");
		(void)setenv("ASAN_OPTIONS", opt, 1);
	}
#endif
	/* Fresh address space for every child: re-execute ourselves. */
	execv(opts->self, argv);
	fprintf(stderr, "netcryptd: exec %s: %s\n", opts->self, strerror(errno));
	_exit(127);
}

int
proc_read_until(struct imsgbuf *ibuf, proc_config_fn fn, void *arg)
{
	struct imsg	imsg;
	int		rv, budget;

	/* Bounded: a configuration is a few hundred messages at most. */
	for (budget = 0; budget < 100000; budget++) {
		while ((rv = imsg_get(ibuf, &imsg)) == 1) {
			rv = fn(arg, &imsg);
			imsg_free(&imsg);
			if (rv != 0)
				return rv > 0 ? 0 : -1;
		}
		if (rv == -1)
			fatalx("%s: bad message from the master", __func__);
		switch (imsgbuf_read(ibuf)) {
		case -1:
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fatal("%s: read", __func__);
		case 0:
			/* The master went away before configuring us. */
			exit(0);
		default:
			break;
		}
	}
	fatalx("%s: configuration never ended", __func__);
}

static struct imsgbuf	*log_master;

static void
forward_log(int priority, const char *line)
{
	struct log_msg	msg;

	if (log_master == NULL)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.priority = priority;
	(void)nc_strlcpy(msg.line, line, sizeof(msg.line));
	/* Blocking: a log line must not be lost when we are about to die. */
	if (imsg_compose(log_master, IMSG_LOG, 0, 0, -1, &msg,
	    sizeof(msg)) == 0)
		(void)imsgbuf_flush(log_master);
}

void
proc_forward_logs(struct imsgbuf *master)
{
	log_master = master;
	log_set_forward(forward_log);
}

const char *
proc_signame(int sig)
{
	switch (sig) {
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGHUP: return "SIGHUP";
	case SIGILL: return "SIGILL";
	case SIGINT: return "SIGINT";
	case SIGKILL: return "SIGKILL";
	case SIGPIPE: return "SIGPIPE";
	case SIGSEGV: return "SIGSEGV";
	case SIGSYS: return "SIGSYS";
	case SIGTERM: return "SIGTERM";
	default: return "signal";
	}
}

static void	imsgev_update(struct imsgev *);

static void
imsgev_handler(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

	(void)fd;
	if (event & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1) {
			if (errno == EPIPE || errno == ECONNRESET) {
				iev->eof(iev->arg);
				return;
			}
			fatal("%s: write to %s", __func__, iev->name);
		}
	}
	if (event & EV_READ) {
		n = imsgbuf_read(&iev->ibuf);
		if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			iev->eof(iev->arg);
			return;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			fatal("%s: read from %s", __func__, iev->name);
		while ((rv = imsg_get(&iev->ibuf, &imsg)) == 1) {
			iev->dispatch(iev->arg, &imsg);
			imsg_free(&imsg);
		}
		if (rv == -1)
			fatalx("%s: malformed message from %s", __func__,
			    iev->name);
	}
	imsgev_update(iev);
}

static void
imsgev_update(struct imsgev *iev)
{
	short	events = EV_READ;

	if (imsgbuf_queuelen(&iev->ibuf))
		events |= EV_WRITE;
	if (events == iev->events && iev->ev != NULL)
		return;
	iev->events = events;
	if (event_del(iev->ev) == -1 ||
	    event_assign(iev->ev, event_get_base(iev->ev), iev->ibuf.fd,
	    events | EV_PERSIST, imsgev_handler, iev) == -1 ||
	    event_add(iev->ev, NULL) == -1)
		fatalx("%s: cannot arm the event for %s", __func__, iev->name);
}

void
imsgev_init(struct imsgev *iev, struct event_base *base, int fd,
    const char *name, void (*dispatch)(void *, struct imsg *),
    void (*eof)(void *), void *arg)
{
	if (nc_set_nonblock(fd, 1) == -1)
		fatal("%s: O_NONBLOCK", __func__);
	imsgbuf_init(&iev->ibuf, fd);
	iev->name = name;
	iev->dispatch = dispatch;
	iev->eof = eof;
	iev->arg = arg;
	iev->events = EV_READ;
	iev->ev = event_new(base, fd, EV_READ | EV_PERSIST, imsgev_handler,
	    iev);
	if (iev->ev == NULL || event_add(iev->ev, NULL) == -1)
		fatalx("%s: cannot set up the event for %s", __func__, name);
}

void
imsgev_clear(struct imsgev *iev)
{
	if (iev->ev != NULL) {
		event_free(iev->ev);
		iev->ev = NULL;
	}
	imsgbuf_clear(&iev->ibuf);
}

void
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	if (imsg_compose(&iev->ibuf, type, peerid, 0, fd, data, len) == -1)
		fatal("%s: %s to %s", __func__, imsg_type_name(type),
		    iev->name);
	imsgev_update(iev);
}

void
imsgev_composev(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	if (imsg_composev(&iev->ibuf, type, peerid, 0, fd, iov, iovcnt) == -1)
		fatal("%s: %s to %s", __func__, imsg_type_name(type),
		    iev->name);
	imsgev_update(iev);
}
