/*
 * The descriptor limit (RLIMIT_NOFILE): raised by the master at start,
 * and what it can serve in the network child, which holds every socket.
 * See fdlimit.c and netcryptd(8), DENIAL OF SERVICE.
 */
#ifndef NC_FDLIMIT_H
#define NC_FDLIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/*
 * Held by the network child whatever its load: stdin, stdout, stderr;
 * its channels to the master, the key-holder and the spool; epoll and
 * the two ends of libevent's wake-up pipe; the control and session
 * sockets.
 */
#define FD_NET_BASE		11
/*
 * For short-lived descriptors: a connection accepted only to be
 * refused, a listener handed over by a reload before the old one is
 * closed, a link still draining its CLOSE.
 */
#define FD_RESERVE		8
#define FD_MIN_PENDING		4	/* the fewest handshake slots */
/*
 * Each peer: its link or our dial to it, and its two proven handshakes
 * (src/daemon/admit.c); its two slots of the unproven pool count with those.
 */
#define FD_PER_PEER		3
#define FD_MIN_SESSIONS		4	/* the fewest sessions */

struct fd_budget {
	uint64_t	limit;		/* RLIMIT_NOFILE, soft */
	uint64_t	fixed;		/* for all but handshakes and sessions */
	unsigned int	max_pending;	/* unproven handshake slots */
	unsigned int	want_pending;	/* NET_MAX_PENDING + 2 a peer */
	unsigned int	max_sessions;	/* <= the configured max sessions */
	unsigned int	want_sessions;	/* the configured max sessions */
};

/*
 * Raise the soft limit to the hard one: the soft limit now in force,
 * with the one before in *was.
 */
uint64_t	fdlimit_raise(uint64_t *was);
/* The soft limit now in force. */
uint64_t	fdlimit_current(void);

/*
 * Split what limit leaves after the fixed descriptors (FD_NET_BASE, the
 * control clients, FD_RESERVE, one per listening address and FD_PER_PEER
 * per peer) between unproven handshakes and sessions: handshakes get
 * what the configured sessions leave, but at least half and at most
 * NET_MAX_PENDING + 2 per peer; sessions get the rest, at most what is
 * configured.
 * -1 when fewer than FD_MIN_PENDING + FD_MIN_SESSIONS are left.
 */
int		fd_budget(uint64_t limit, size_t nlisten, size_t npeers,
		    unsigned int want_sessions, struct fd_budget *);
int		fd_budget_conf(const struct nc_conf *, uint64_t limit,
		    struct fd_budget *);
/*
 * At start: the limit raised (the one before in *was) and conf checked
 * against it; fatal when refused.
 */
void		fd_budget_start(const struct nc_conf *, struct fd_budget *,
		    uint64_t *was);
/* The limit (not for -n) and what was lowered to fit it, logged. */
void		fd_budget_log(const struct fd_budget *, uint64_t was,
		    int checkonly);
/* What was lowered, in words; "" when nothing was. */
void		fd_budget_lowered(const struct fd_budget *, char *, size_t);
/* Why a budget was refused, in words. */
void		fd_budget_refused(const struct fd_budget *, char *, size_t);

#endif
