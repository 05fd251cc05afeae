/*
 * What the parts of ncload share: the helpers of ncload.c, the link
 * handshake modes of nclinks.c and the NATS modes of ncnats.c.
 */
#ifndef NC_BENCH_NCLOAD_H
#define NC_BENCH_NCLOAD_H

#include <signal.h>
#include <stddef.h>

struct epoll_event;

#define MSG_LEN		64	/* the small message */
#define PING_MAX	1000000	/* round trips in one run */
#define RELINK_MAX	1000	/* peers played at once by nc-relink */

_Noreturn void	die(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
double		now_s(void);
long		num(const char *, long min, long max);
void		raise_nofile(void);
int		tcp_connect(int port);
void		write_all(int fd, const void *, size_t);
void		close_reset(int fd);
void		print_latency(double *rtt, long n);
void		print_latency_as(const char *what, double *, long n);
int		stopping(void);
void		watch_fd(int ep, int fd, int idx);
int		wait_ready(int ep, struct epoll_event *, int max);

/* nclinks.c */
int	nc_handshakes(int port, const char *keyfile, int conc,
	    double seconds);
int	nc_relink(int port, const char *keydir, int peers);

/* ncspool.c */
int	durable_mode(int argc, char *argv[]);

/* ncnats.c */
int	nats_mode(int argc, char *argv[]);

#endif
