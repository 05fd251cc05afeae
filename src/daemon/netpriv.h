/*
 * Private to the files of the network process itself: network.c (the
 * process, its configuration, listeners and channels), netdial.c
 * (keeping each peer connected), netreload.c (the master's reload) and
 * netcontrol.c (what netcryptctl is told).  Their shared state and the
 * calls between them; link.c and session.c see network.h only.
 */
#ifndef NC_NETPRIV_H
#define NC_NETPRIV_H

#include <stddef.h>
#include <stdint.h>

#include "imsg.h"
#include "ipc.h"
#include "network.h"
#include "proc.h"		/* struct imsgev */

struct acceptpause;
struct control_ops;
struct event;

struct network {
	struct netctx		 ctx;
	struct imsgev		 master;
	struct imsgev		 kh;
	int			 listen_fds[NET_MAX_LISTEN];
	uint32_t		 listen_ids[NET_MAX_LISTEN];	/* master's */
	struct acceptpause	*listener[NET_MAX_LISTEN];	/* its events */
	size_t			 nlisten;
	int			 serving;	/* listeners have events */
	int			 reconf;	/* between RECONF_START/END */
	int			 control_fd;
	int			 session_fd;
	int			 have_privsep, have_settings;
	struct privsep_conf	 privsep;
	struct event		*ev_tick;
	uint32_t		 npeers;
};

/*
 * The one instance, defined in network.c; netctx points into it.  The
 * other files use its channel to the master, the peer count, and (in a
 * reload) the listener count and the reload flag.
 */
extern struct network	net;

/* network.c: peers and listeners as the configuration names them */
struct peer	*peer_by_id(uint32_t id);
void		 set_peer_proxy(struct peer *, const struct proxy_msg *);
void		 add_peer(const struct peer_msg *);
/* CONF_PEER into *pm; the message's copy is wiped (a proxy password). */
void		 take_peer_msg(struct imsg *, struct peer_msg *);
void		 add_connect(const struct connect_msg *);
void		 take_settings(struct imsg *);		/* CONF_NET */
void		 listener_add(struct imsg *);		/* NET_LISTEN_FD */
void		 listener_close(struct imsg *);	/* RECONF_LISTEN_CLOSE */

/* netdial.c */
void		 peer_new_timer(struct peer *);	/* its backoff timer */
void		 peer_start(struct peer *);	/* counted, dialled if it may */
void		 peer_dial(struct peer *);
void		 handle_resolved(struct imsg *);	/* NET_RESOLVED */

/* netreload.c: one message between RECONF_START and RECONF_END */
void		 net_dispatch_reconf(struct imsg *);

/* netcontrol.c */
extern const struct control_ops	ctl_ops;
void		 ctl_reload_done(struct imsg *);	/* CTL_RELOAD_DONE */

#endif
