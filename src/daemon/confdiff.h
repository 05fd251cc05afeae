/*
 * What changed between the running configuration and a new one
 * (confdiff.c), for the master's reload: which peers were added, removed
 * or changed, which listening addresses, and which global settings,
 * with those that only a restart can apply marked as such.
 */
#ifndef NC_CONFDIFF_H
#define NC_CONFDIFF_H

#include <stddef.h>

#include "conf.h"

/* confdiff_peer(): what differs between two blocks of the same name. */
#define CD_PEER_KEY		0x01	/* the pinned key */
#define CD_PEER_CONNECT		0x02	/* the "connect to" list */
#define CD_PEER_PROXY		0x04	/* the proxy in effect for it */

/* Called once per difference with a line for the log and netcryptctl. */
typedef void (*confdiff_fn)(void *arg, int restart, const char *text);

unsigned int	 confdiff_peer(const struct nc_conf *oc,
		    const struct peer_conf *op, const struct nc_conf *nc,
		    const struct peer_conf *np);
/* The address la in conf's listen list, or NULL. */
struct listen_addr *confdiff_find_listen(const struct nc_conf *conf,
		    const struct listen_addr *la);
/*
 * Report every difference, in a fixed order: global settings, listening
 * addresses, peers (removed, added, changed), then the session policy.
 * Returns how many there were; *nrestart (if not NULL) gets how many
 * need a restart.
 */
size_t		 confdiff(const struct nc_conf *old, const struct nc_conf *new,
		    confdiff_fn fn, void *arg, size_t *nrestart);
/*
 * Give new the values of old for every setting that needs a restart, so
 * that it describes what actually runs after the reload.
 */
void		 confdiff_keep_running(const struct nc_conf *old,
		    struct nc_conf *new);

#endif
