/*
 * sd_notify(3) without libsystemd.
 *
 * The protocol is one datagram of newline-separated "KEY=value" lines
 * sent to the AF_UNIX socket named by $NOTIFY_SOCKET: a file system path,
 * or an abstract name when it starts with '@'.  systemd documents it as
 * stable, and it is a few dozen lines; libsystemd would bring a dozen
 * libraries into a process that runs as root for that.
 *
 * Only the master speaks it (the unit's NotifyAccess=main refuses any
 * other sender), so notify_init() removes the variables from the
 * environment before the children are executed.  A failure to send is
 * logged once and otherwise ignored: the daemon must not stop because
 * its service manager went away.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "notify.h"
#include "util.h"

static struct {
	int			 enabled;
	int			 warned;
	struct sockaddr_un	 sun;
	socklen_t		 sunlen;
	uint64_t		 watchdog_usec;
	struct event		*ev_watchdog;
} notify;

/*
 * "/path" or "@abstract" into an address and its length.  An abstract
 * name has no terminating NUL: its length is all the kernel goes by.
 */
int
notify_parse_addr(const char *s, struct sockaddr_un *sun, socklen_t *lenp)
{
	size_t	len;

	if (s == NULL || (s[0] != '/' && s[0] != '@'))
		return -1;
	len = strlen(s);
	/* A path needs room for its NUL; "@" alone names nothing. */
	if (len >= sizeof(sun->sun_path) || len < 2)
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s, len);
	if (s[0] == '@') {
		sun->sun_path[0] = '\0';
		*lenp = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len);
	} else
		*lenp = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len + 1);
	return 0;
}

/* strtoll(3) takes blanks and a sign too; systemd writes neither. */
static int
decimal(const char *s, long long max, long long *v)
{
	const char	*errstr, *p;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return nc_strtonum(s, 1, max, v, &errstr);
}

/*
 * $WATCHDOG_USEC, and $WATCHDOG_PID which says whose watchdog it is:
 * 0 with *usecp set (0 when the watchdog is not ours), -1 when malformed.
 */
int
notify_parse_watchdog(const char *usec, const char *pid, pid_t self,
    uint64_t *usecp)
{
	long long	v, p;

	*usecp = 0;
	if (usec == NULL)
		return 0;
	if (decimal(usec, LLONG_MAX, &v) == -1)
		return -1;
	if (pid != NULL) {
		if (decimal(pid, INT_MAX, &p) == -1)
			return -1;
		if ((pid_t)p != self)
			return 0;
	}
	*usecp = (uint64_t)v;
	return 0;
}

/* systemd 253 and later match a reload to CLOCK_MONOTONIC; 252 ignores it. */
int
notify_format_reloading(char *buf, size_t size, uint64_t monotonic_usec)
{
	int	n;

	n = snprintf(buf, size, "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=Reloading the configuration",
	    (unsigned long long)monotonic_usec);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

int
notify_send_to(const struct sockaddr_un *sun, socklen_t sunlen,
    const char *msg)
{
	ssize_t	n;
	size_t	len = strlen(msg);
	int	fd, saved;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)sun,
	    sunlen);
	saved = errno;
	(void)close(fd);
	errno = saved;
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
notify_init(void)
{
	const char	*s;
	int		 rv;

	notify_watchdog_stop();
	memset(&notify, 0, sizeof(notify));
	if ((s = getenv("NOTIFY_SOCKET")) != NULL) {
		if (notify_parse_addr(s, &notify.sun, &notify.sunlen) == -1)
			log_warnx("%s: NOTIFY_SOCKET=%s: not a path or an "
			    "@abstract name that fits, ignored", __func__, s);
		else
			notify.enabled = 1;
	}
	rv = notify_parse_watchdog(getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"), getpid(), &notify.watchdog_usec);
	if (rv == -1)
		log_warnx("%s: malformed WATCHDOG_USEC or WATCHDOG_PID, "
		    "no watchdog", __func__);
	if (!notify.enabled)
		notify.watchdog_usec = 0;
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	return notify.enabled;
}

int
notify_enabled(void)
{
	return notify.enabled;
}

static void
notify_send(const char *msg)
{
	if (!notify.enabled)
		return;
	if (notify_send_to(&notify.sun, notify.sunlen, msg) == -1 &&
	    !notify.warned) {
		log_warn("%s: cannot notify the service manager", __func__);
		notify.warned = 1;
	}
}

void
notify_ready(void)
{
	notify_send("READY=1\nSTATUS=Running");
}

void
notify_reloading(void)
{
	char	msg[128];

	if (!notify.enabled)
		return;
	if (notify_format_reloading(msg, sizeof(msg), now_us()) == -1)
		fatalx("%s: message too long", __func__);
	notify_send(msg);
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=Stopping");
}

void
notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

uint64_t
notify_watchdog_usec(void)
{
	return notify.watchdog_usec;
}

static void
watchdog_cb(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	notify_watchdog();
}

/*
 * Half the period, as sd_watchdog_enabled(3) advises, leaves a whole
 * half for a late timer.  The ping proves that the master's event loop
 * turns; a dead child already stops the daemon.
 */
void
notify_watchdog_start(struct event_base *base)
{
	struct timeval	tv;
	uint64_t	half = notify.watchdog_usec / 2;

	if (notify.watchdog_usec == 0 || notify.ev_watchdog != NULL)
		return;
	if (half < 1000)
		half = 1000;	/* never a busy loop */
	tv.tv_sec = (time_t)(half / 1000000);
	tv.tv_usec = (suseconds_t)(half % 1000000);
	notify.ev_watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, NULL);
	if (notify.ev_watchdog == NULL || event_add(notify.ev_watchdog, &tv) ==
	    -1)
		fatalx("%s: cannot set up the watchdog timer", __func__);
	log_debug("%s: WATCHDOG=1 every %llu ms", __func__,
	    (unsigned long long)(half / 1000));
}

void
notify_watchdog_stop(void)
{
	if (notify.ev_watchdog == NULL)
		return;
	event_free(notify.ev_watchdog);
	notify.ev_watchdog = NULL;
}
