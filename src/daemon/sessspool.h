/*
 * The session side of messages with a lifetime (SESSIONS.md 6), in
 * sessspool.c: SEND with a lifetime, mailbox deliveries (SDELIVER, and
 * the session's TAKEN), FINAL and QUERY.  What the spool answers comes
 * through netspool.c.
 */
#ifndef NC_SESSSPOOL_H
#define NC_SESSSPOOL_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "spoolipc.h"

/* SDELIVERs a session holds untaken, and what it asks of the spool. */
#define SSPOOL_BOX_WINDOW	32
#define SSPOOL_BOX_BYTES	(256 * 1024)	/* fetched at once */
/*
 * What sessions may have at the spool: per session, puts and queries;
 * all sessions together, bytes of payload.  Past either, a session is
 * not read until answers bring it under half.  Many in flight are what
 * lets the spool make one fdatasync for many messages.
 */
#define SSPOOL_ASKS_MAX		512
#define SSPOOL_PUT_BYTES_MAX	(16 * 1024 * 1024)

/* A session's part; zero is a session that takes nothing from a spool. */
struct sess_spool {
	int		 takes;		/* ATTACH flag: SDELIVER, TAKEN */
	int		 fetching;	/* a mailbox fetch is at the spool */
	int		 again;		/* something arrived meanwhile */
	int		 more;		/* the last fetch was cut short */
	uint64_t	 after;		/* pos of the last one fetched */
	uint64_t	 untaken[SSPOOL_BOX_WINDOW];	/* ids SDELIVERed */
	unsigned int	 nuntaken;
	unsigned int	 asks;		/* puts and queries at the spool */
	int		 paused;	/* on the list of paused sessions */
	TAILQ_ENTRY(session) pause_entry;
};

struct session;

/* session.c's record handlers: 0, or -1 (a protocol error). */
int	sspool_send(struct session *, const uint8_t *body, size_t len);
int	sspool_taken(struct session *, const uint8_t *body, size_t len);
int	sspool_query(struct session *, const uint8_t *body, size_t len);
/* Attached under a name with the ATTACH flag; output drained. */
void	sspool_attached(struct session *);
void	sspool_drained(struct session *);
void	sspool_gone(struct session *);

/* What netspool.c hands on from the spool. */
void	sspool_put_done(uint64_t session, uint64_t cid, const char *box,
	    const struct sp_done *);
void	sspool_box_entry(uint64_t session, const struct sp_entry *,
	    const char *from, const uint8_t *payload, size_t len);
void	sspool_box_end(uint64_t session, const struct sp_fetch_end *);
void	sspool_box_arrived(const char *name);
void	sspool_notify(const struct sp_notify *, const char *from);
void	sspool_query_done(const struct sp_query *);

#endif
