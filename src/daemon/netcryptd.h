/*
 * The master's own header: its state and the functions its files share
 * (netcryptd.c: start, children, signals; masterconf.c: what it hands
 * the children; reload.c: reloads).  No other process includes it: the
 * IPC vocabulary is in ipc.h, the processes' entry points in proc.h.
 */
#ifndef NC_NETCRYPTD_H
#define NC_NETCRYPTD_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "fdlimit.h"
#include "ipc.h"
#include "proc.h"

struct child {
	enum proc_role	 role;
	pid_t		 pid;
	int		 ready;
	int		 trapped_syscall;	/* -1, or what seccomp trapped */
	struct imsgev	 iev;
};

/* A listening TCP socket the network child holds, as the master knows it. */
struct listener {
	uint32_t		 id;
	struct listen_addr	 addr;		/* a copy; entry unused */
};

/* Lines for netcryptctl: a reload's errors, or what it changed. */
struct report {
	char			 text[CTL_RELOAD_TEXT_MAX];
	size_t			 len;
	int			 truncated;
};

struct master {
	struct nc_conf		*conf;
	char			*conffile;	/* absolute: we chdir("/") */
	struct fd_budget	 budget;	/* conf within the fd limit */
	struct event_base	*base;
	struct child		 kh;
	struct child		 sp;		/* the spool */
	struct child		 net;
	struct event		*ev_sigterm, *ev_sigint, *ev_sighup, *ev_sigchld;
	struct event		*ev_sigusr1, *ev_sigusr2;	/* test builds */
	struct event		*ev_sigurg;			/* test builds */
	struct event		*ev_ready_timeout;
	int			 exit_code;
	int			 stopping;
	/* the configuration as the network child has it */
	struct listener		 listeners[NET_MAX_LISTEN];
	size_t			 nlisteners;
	uint32_t		 next_listener_id;
	uint32_t		 next_peer_id;
	/* a reload sent to the network child, not yet acknowledged */
	int			 reloading;
	int			 reload_ctl;	/* asked by netcryptctl */
	uint32_t		 reload_client;
	size_t			 reload_changes;
	struct report		 report;	/* of the reload or check now */
	struct report		 pending;	/* of the one sent */
};

extern struct master	master;

struct imsg;
struct policy;

/* netcryptd.c */
void	master_shutdown(int code);
void	log_policy(const char *when, const struct policy *);

/* masterconf.c: what the children are handed, at start and in reloads */
int	open_listener(const struct listen_addr *, char *err, size_t errsz);
void	send_listener(const struct listen_addr *, int fd);
void	send_net_settings(const struct nc_conf *, const struct fd_budget *);
void	send_peer(const struct nc_conf *, const struct peer_conf *);
void	resolve_for_network(struct imsg *);
void	resolve_privsep(const struct nc_conf *, struct privsep_conf *);
/*
 * The spool directory, made when missing and checked (fatal when it is
 * not the user's alone); spc is who the spool becomes: pc in it.
 */
void	prepare_spool(const struct nc_conf *, const struct privsep_conf *pc,
	    struct privsep_conf *spc);
int	open_private_key(const char *path);
void	configure_children(const struct privsep_conf *pc,
	    const struct privsep_conf *spc, int keyfd, const struct policy *);

/* reload.c */
void	reload(int checkonly, int from_ctl, uint32_t client);
void	reload_done(void);
void	ctl_reload_request(struct imsg *);

#endif
