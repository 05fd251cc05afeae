/*
 * The master's header: the entry points of the processes it starts and
 * what they share besides IPC (the process title).  The IPC vocabulary
 * is in ipc.h.
 */
#ifndef NC_NETCRYPTD_H
#define NC_NETCRYPTD_H

/* keyholder.c */
void	keyholder_main(void) __attribute__((noreturn));
/* The key-holder's loop on explicit descriptors (used by tests). */
int	keyholder_run(int master_fd, int net_fd);

/* network.c */
void	network_main(void) __attribute__((noreturn));

/* proctitle.c */
extern char	**proctitle_env;
void	proctitle_init(int argc, char **argv);
void	proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
