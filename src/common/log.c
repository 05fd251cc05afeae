/*
 * Logging for all netcryptd processes.
 *
 * In the foreground (-d) every process writes to stderr.  Otherwise the
 * master uses syslog(3) and the children, which live in an empty chroot
 * where syslog(3) cannot reopen /dev/log, hand each formatted line to a
 * forward hook that ships it to the master over imsg.
 *
 * When stderr is systemd's journal stream (systemd.exec(5), $JOURNAL_STREAM),
 * each line starts with its priority as "<N>", which journald takes off
 * and records, so that "journalctl -p warning" works.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int		 log_stderr = 1;
static int		 log_journal;
static int		 log_verbose;
static const char	*log_procname = "netcryptd";
static log_forward_fn	 log_forward;
static log_forward_fn	 log_capture;

/*
 * The decimal number at *sp, which is moved past it: 0, or -1 when there
 * are no digits or the number does not fit.
 */
static int
scan_decimal(const char **sp, unsigned long long *v)
{
	char	*end;

	if (**sp < '0' || **sp > '9')
		return -1;
	errno = 0;
	*v = strtoull(*sp, &end, 10);
	if (errno != 0)
		return -1;
	*sp = end;
	return 0;
}

/* Whether stderr is the stream $JOURNAL_STREAM ("device:inode") names. */
static int
stderr_is_journal(void)
{
	const char		*js = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (js == NULL || scan_decimal(&js, &dev) == -1 || *js++ != ':' ||
	    scan_decimal(&js, &ino) == -1 || *js != '\0' ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int to_stderr, int facility)
{
	log_stderr = to_stderr;
	log_journal = to_stderr && stderr_is_journal();
	/* facility -1: a child, whose lines are forwarded to the master */
	if (!to_stderr && facility >= 0)
		openlog("netcryptd", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_setverbose(int level)
{
	log_verbose = level;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_set_forward(log_forward_fn fn)
{
	log_forward = fn;
}

void
log_set_capture(log_forward_fn fn)
{
	log_capture = fn;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	line[1024];
	int	saved_errno = errno;

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (log_capture != NULL && (pri & LOG_PRIMASK) <= LOG_WARNING)
		log_capture(pri, line);
	if (log_stderr) {
		/* One write per line keeps lines of the three processes whole. */
		char	out[1100];
		int	n;

		if (log_journal)
			n = snprintf(out, sizeof(out), "<%d>%s[%ld]: %s\n",
			    pri & LOG_PRIMASK, log_procname, (long)getpid(),
			    line);
		else
			n = snprintf(out, sizeof(out), "%s[%ld]: %s\n",
			    log_procname, (long)getpid(), line);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(out) ? (size_t)n :
			    sizeof(out) - 1;
			if (write(STDERR_FILENO, out, len) < 0) {
				/* nowhere left to report it */
			}
		}
	} else if (log_forward != NULL) {
		char	fwd[1100];

		/* The master logs it under its own pid: say whose it is. */
		(void)snprintf(fwd, sizeof(fwd), "%s: %s", log_procname, line);
		log_forward(pri, fwd);
	}
	else
		syslog(pri, "%s", line);
	errno = saved_errno;
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void vlog_errno(int, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vlog_errno(int pri, int code, const char *fmt, va_list ap)
{
	char	buf[900];

	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	if (code != 0)
		logit(pri, "%s: %s", buf, strerror(code));
	else
		logit(pri, "%s", buf);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	code = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, code, fmt, ap);
	va_end(ap);
	errno = code;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	code = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, code, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_rate_ok(struct log_rate *r, unsigned int burst, const char *what)
{
	struct timespec	now;

	monotime(&now);
	if ((long)now.tv_sec != r->sec) {
		if (r->quiet != 0)
			log_warnx("%s: %lu similar lines not logged in the "
			    "last %ld s", what, r->quiet,
			    (long)now.tv_sec - r->sec);
		r->sec = (long)now.tv_sec;
		r->n = 0;
		r->quiet = 0;
	}
	if (r->n >= burst) {
		r->quiet++;
		return 0;
	}
	r->n++;
	return 1;
}
