/*
 * Local sessions of the network child (session.c): programs attached to
 * the session socket under a name.
 */
#ifndef NC_SESSION_H
#define NC_SESSION_H

#include <stdint.h>

struct peer;
struct relay_view;
struct event_base;

void	session_init(struct event_base *, int listen_fd);
/*
 * A message from a peer for our sessions: returns an ST_* status.  The
 * payload lies in *block, malloc()ed: a session that keeps the payload
 * by reference takes the block and sets *block to NULL.
 */
uint8_t	session_deliver_remote(struct peer *, const struct relay_view *,
	    uint8_t **block);
/*
 * A relayed message completed: its cookie and tag are what session.c
 * gave relay (the relay's completion callback; arg is not needed).
 */
void	session_completed(void *arg, const struct relay_msg *,
	    uint8_t status);
/* A MSG for a full session: the id to wait for (session.c), or 0. */
uint64_t session_hold_for(const struct relay_view *);
void	session_hold_expired(uint64_t id);
#define SESSION_HOLD_MS	100	/* longest wait for one full session */
/* A peer's link can take more: resume the sessions that wait for it. */
void	session_peer_writable(struct peer *);
/* Once a second: cut off sessions that stopped reading. */
void	session_tick(void);
uint64_t session_count(void);
/* A reload changed the session policy: detach those it now refuses. */
void	session_policy_changed(void);
/* Attaches refused by the policy, messages rejected by accept lists. */
void	session_refusals(uint64_t *attaches, uint64_t *messages);

#endif
