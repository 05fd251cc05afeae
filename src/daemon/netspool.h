/*
 * The network child's channel to the spool (netspool.c) and the link
 * side of messages with a lifetime (spoollink.c, doc/PROTOCOL.md 7.10).
 */
#ifndef NC_NETSPOOL_H
#define NC_NETSPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "spoolipc.h"

/* In-flight SMSGs a sender keeps, and what it fetches at once. */
#define SPOOL_LINK_WINDOW	SP_LINK_WINDOW
#define SPOOL_LINK_BYTES	(256 * 1024)

/* A peer's messages with a lifetime, both ways; in struct peer. */
struct spool_peer {
	/* sending: our spool's entries for the peer */
	int		 up;		/* the link's peer takes SMSG */
	uint64_t	 gen;		/* fetches of an older gen are stale */
	uint64_t	 after;		/* highest seq fetched or sent */
	/* SMSGs sent on this link, not SACKed yet, in the order sent */
	uint64_t	 unsacked[SPOOL_LINK_WINDOW];
	unsigned int	 unsacked_head, inflight;
	unsigned int	 finals_out;	/* SFINALs sent, not acknowledged */
	int		 fetching;
	int		 more;		/* the spool may hold more */
	struct event	*ev_retry;	/* after the peer said full */
	unsigned int	 backoff_ms;
	/* receiving */
	uint64_t	 blocked;	/* seq we said full to, 0: none */
	unsigned int	 at_spool;	/* SMSGs, SFINALs at our spool */
};

/* SMSGs a peer may have at our spool unanswered before it is cut off. */
#define SPOOL_LINK_AT_SPOOL_MAX	1024
#define SPOOL_RETRY_MIN_MS	1000
#define SPOOL_RETRY_MAX_MS	60000

struct event_base;
struct link;
struct peer;

/* netspool.c: the channel at PROC_SPOOL_FD. */
void	netspool_init(struct event_base *);
int	netspool_inc_known(uint64_t *inc);
uint32_t netspool_lifetime_max(void);
size_t	netspool_put_bytes(void);	/* payloads of puts in flight */
/* Requests; answers come back to sessspool.c and spoollink.c. */
void	netspool_put(const struct sp_put *, const char *from,
	    const char *to, const uint8_t *payload, size_t len,
	    uint64_t session, uint64_t cid);
void	netspool_in(const struct sp_in *, const char *from, const char *to,
	    const uint8_t *payload, size_t len, uint32_t peer,
	    uint64_t link);
void	netspool_box_fetch(uint64_t session, const char *name,
	    uint64_t after, uint32_t max_count, uint32_t max_bytes);
void	netspool_out_fetch(struct peer *, uint32_t max_count,
	    uint32_t max_bytes);
void	netspool_report_fetch(const struct peer *);
void	netspool_send(uint32_t type, const void *, size_t);
/* netcryptctl queue: answered to control client through control.c. */
void	netspool_ctl(unsigned int client, uint8_t op, uint8_t flags,
	    uint64_t id);

/* spoollink.c */
void	spoollink_peer_init(struct peer *);
void	spoollink_peer_free(struct peer *);
void	spoollink_up(struct link *);	/* the peer announced SPOOL */
void	spoollink_down(struct peer *);
void	spoollink_kick(struct peer *);	/* entries may wait for it */
void	spoollink_writable(struct peer *);	/* its link drained */
/* An SMSG, SACK, SFINAL or SFINAL_ACK: 0, or -1 (the link closed). */
int	spoollink_record(struct link *, uint8_t type, const uint8_t *body,
	    size_t len);
/* The spool's answers about links. */
void	spoollink_in_done(uint32_t peer, uint64_t link, uint64_t inc,
	    uint64_t seq, const struct sp_done *);
void	spoollink_entry(struct peer *, uint64_t gen, const struct sp_entry *,
	    const char *from, const char *to, const uint8_t *payload,
	    size_t len);
void	spoollink_fetch_end(struct peer *, uint64_t gen,
	    const struct sp_fetch_end *);
void	spoollink_result_done(const struct sp_result *);
void	spoollink_report(const struct sp_report *);

#endif
