/*
 * Logging in the shape of OpenBSD's log.c: log_init() picks stderr
 * (foreground) or syslog; children may forward their lines to the master.
 */
#ifndef NC_LOG_H
#define NC_LOG_H

#include <stdarg.h>

#define LOG_TO_STDERR	1
#define LOG_TO_SYSLOG	0

/* A hook that receives a fully formatted line instead of syslog(3). */
typedef void (*log_forward_fn)(int priority, const char *line);

void	log_init(int to_stderr, int facility);
void	log_procinit(const char *procname);
void	log_setverbose(int level);
int	log_getverbose(void);
void	log_set_forward(log_forward_fn fn);
/*
 * While set, every warning or worse is also handed to fn, as it is
 * logged (the master collects a reload's errors for netcryptctl).
 */
void	log_set_capture(log_forward_fn fn);

/*
 * A bound on lines an outsider can cause: log_rate_ok() says whether
 * one more line of this kind may go out in the current second (at most
 * `burst`); the first allowed line of a later second is preceded by a
 * count of those held back, under the name `what`.
 */
struct log_rate {
	long		 sec;
	unsigned int	 n;
	unsigned long	 quiet;
};
int	log_rate_ok(struct log_rate *, unsigned int burst, const char *what);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	logit(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
