/*
 * What the parts of ncload share: the helpers of ncload.c and the link
 * handshake modes of nclinks.c.
 */
#ifndef NC_BENCH_NCLOAD_H
#define NC_BENCH_NCLOAD_H

#include <signal.h>
#include <stddef.h>

#define RELINK_MAX	1000	/* peers played at once by nc-relink */

_Noreturn void	die(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
double		now_s(void);
long		num(const char *, long min, long max);
void		raise_nofile(void);
int		tcp_connect(int port);
void		write_all(int fd, const void *, size_t);
void		close_reset(int fd);

/* nclinks.c */
int	nc_handshakes(int port, const char *keyfile, int conc,
	    double seconds);
int	nc_relink(int port, const char *keydir, int peers);

#endif
