/*
 * The insides of session.c for tests and fuzzers: what a session is,
 * and the entry points that the accept callback and the read callback
 * use, so that a fuzzer drives a session made and read exactly as the
 * daemon makes and reads one.  The rest of the child uses session.h.
 */
#ifndef NC_SESSION_PRIV_H
#define NC_SESSION_PRIV_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "inbuf.h"
#include "outbuf.h"
#include "sessspool.h"

struct bufferevent;
struct event_base;
struct peer;

struct session {
	TAILQ_ENTRY(session)	 entry;
	TAILQ_ENTRY(session)	 wait_entry;	/* on a peer's wait list */
	uint64_t		 id;
	struct bufferevent	*bev;
	struct outbuf		 ob;		/* what goes out, see outbuf.h */
	struct inbuf		 ib;		/* what comes in, see inbuf.h */
	char			 name[NC_NAME_MAX + 1];
	int			 attached;
	int			 anonymous;	/* anon-N: never a recipient */
	struct peer		*waiting;	/* paused for this peer */
	int			 paused;	/* SESSION_PAUSE_* */
	pid_t			 pid;
	uid_t			 uid;
	struct timespec		 last_drain;	/* output last drained */
	int			 full;		/* a MSG waits for room */
	struct timespec		 full_since;
	int			 congested;	/* waited too long: refuse */
	struct sess_spool	 sp;		/* sessspool.c's */
	struct session		*id_next;	/* sessindex.c's chains */
	struct session		*name_next;
	int			 indexed_name;
};
TAILQ_HEAD(session_list, session);

/* What session_init() does but the listening socket. */
void		 session_setup(struct event_base *);
/* A session on a connected socket, as accepted; NULL: out of memory. */
struct session	*session_new(int fd);
/* Take the records its input buffer holds: 0, or -1: it was freed. */
int		 session_read(struct session *);
void		 session_free(struct session *, const char *why);

/* session.c, for sessspool.c */
int		 session_write(struct session *, uint8_t type, const void *a,
		    size_t alen, const void *b, size_t blen);
void		 send_receipt(struct session *, uint64_t cid, uint8_t status);
int		 session_has_room(const struct session *, size_t len);
struct peer	*peer_by_name(const char *, size_t);
/* Stop and go on reading a session for a reason of its own (why). */
#define SESSION_PAUSE_PEER	0x01	/* its link is full */
#define SESSION_PAUSE_SPOOL	0x02	/* too much asked of the spool */
void		 session_pause(struct session *, int why);
void		 session_unpause(struct session *, int why);

/* sessindex.c: sessions by id and, once attached with a name, by name */
void		 sessindex_init(void);
void		 sessindex_add_id(struct session *);
void		 sessindex_add_name(struct session *);
void		 sessindex_remove(struct session *);
/* Attached under this name (not anonymous), or NULL. */
struct session	*session_by_name(const char *, size_t);
struct session	*session_by_id(uint64_t);

#endif
