/*
 * Process helpers shared by the master and the children (proc.c), and the
 * entry points of the processes.
 */
#ifndef NC_PROC_H
#define NC_PROC_H

#include <sys/types.h>

#include "imsg.h"
#include "ipc.h"

struct proc_opts {
	const char	*self;		/* the binary to re-execute */
	int		 debug;
	int		 verbose;
};

/* Fork and re-exec a child with its channels at fds 3 and 4. */
pid_t	proc_spawn(enum proc_role, int master_end, int peer_end,
	    const struct proc_opts *);

/*
 * Configuration phase of a child: read messages (blocking) and hand each
 * to fn until it returns 1 (done, 0 returned) or -1 (error, -1 returned).
 */
typedef int (*proc_config_fn)(void *arg, struct imsg *);
int	proc_read_until(struct imsgbuf *, proc_config_fn, void *arg);

/* Send this process's log lines to the master over imsg. */
void	proc_forward_logs(struct imsgbuf *master);

const char *proc_signame(int sig);

/* The children's entry points, once re-executed (keyholder.c, network.c). */
void	keyholder_main(void) __attribute__((noreturn));
void	network_main(void) __attribute__((noreturn));
/* The key-holder's loop on explicit descriptors (used by tests). */
int	keyholder_run(int master_fd, int net_fd);
/* The spool (spool.c), and its loop without the sandbox (for tests). */
void	spool_main(void) __attribute__((noreturn));
int	spool_run(int master_fd, int net_fd, int dirfd);

/* proctitle.c: what ps(1) shows for each process */
extern char	**proctitle_env;
void	proctitle_init(int argc, char **argv);
void	proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * An imsg channel driven by libevent: read events always, write events
 * while output is queued.  dispatch gets every whole message; eof is
 * called once when the other side closes.
 */
struct event_base;
struct iovec;
struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	*ev;
	short		 events;
	const char	*name;		/* for messages: "key-holder", ... */
	void		(*dispatch)(void *arg, struct imsg *);
	void		(*eof)(void *arg);
	void		*arg;
};

void	imsgev_init(struct imsgev *, struct event_base *, int fd,
	    const char *name, void (*dispatch)(void *, struct imsg *),
	    void (*eof)(void *), void *arg);
void	imsgev_clear(struct imsgev *);
/* Queue a message and arrange for it to be written; fatal on failure. */
void	imsgev_compose(struct imsgev *, uint32_t type, uint32_t peerid,
	    int fd, const void *data, size_t len);
void	imsgev_composev(struct imsgev *, uint32_t type, uint32_t peerid,
	    int fd, const struct iovec *iov, int iovcnt);
#endif
