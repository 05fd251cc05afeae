/*
 * Reliable MSG delivery between two daemons (PROTOCOL.md 7.4): the sender's
 * queue of unacknowledged messages and the receiver's duplicate
 * suppression, plus the MSG, ACK and NAK body codecs.
 *
 * Sans-I/O: nothing here touches a socket or a timer.  The link layer
 * feeds in bodies and the monotonic time in milliseconds, and takes out
 * bodies to seal and send.
 *
 * One struct relay_out and one struct relay_in per configured peer; both
 * outlive the links to that peer.
 */
#ifndef NC_RELAY_H
#define NC_RELAY_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* MSG body: u64 id | u8 flags | u8 fromlen | from | u8 tolen | to | payload */
#define RELAY_MSG_HDRLEN	(8 + 1 + 1 + 1)
#define RELAY_MSG_MAXLEN	(RELAY_MSG_HDRLEN + 2 * WIRE_NAME_MAX + \
				    WIRE_PAYLOAD_MAX)
#define RELAY_ACK_LEN		8	/* u64 id */
#define RELAY_NAK_LEN		9	/* u64 id | u8 status */

/* The receiver ACKs after this many handled messages, or after the delay. */
#define RELAY_ACK_EVERY		64
#define RELAY_ACK_DELAY_MS	10

/* relay_in_accept() */
#define RELAY_NEW		1	/* deliver it */
#define RELAY_DUP		2	/* handled before: ACK again only */

/*
 * A MSG, as parsed (pointing into the body it came from) or as handed
 * to relay_out_push().  Names are not NUL-terminated.
 */
struct relay_view {
	uint64_t	 id;
	uint8_t		 flags;
	const char	*from;
	size_t		 fromlen;
	const char	*to;
	size_t		 tolen;
	const uint8_t	*payload;
	size_t		 len;
};

/* One queued message.  Read-only outside relay.c. */
struct relay_msg {
	TAILQ_ENTRY(relay_msg)	 entry;
	uint64_t		 id;
	uint64_t		 cookie;	/* routes the receipt */
	uint64_t		 tag;		/* the sender's own id for it */
	uint64_t		 enq_ms;	/* when it was pushed */
	uint64_t		 wait_ms;	/* off the wire since */
	size_t			 cost;		/* counted against the limit */
	int			 sent;		/* on the current link */
	uint8_t			 flags;
	uint8_t			 fromlen;
	uint8_t			 tolen;
	char			 from[WIRE_NAME_MAX];
	char			 to[WIRE_NAME_MAX];
	size_t			 len;
	uint8_t			 payload[];
};

/*
 * Completion of a queued message m: ST_OK (ACKed), the peer's NAK
 * status, or ST_UNREACHABLE (expired, or cleared with notification).  m
 * is already out of the queue and freed after the callback; the callback
 * may push onto the same queue but must not call anything else on it.
 */
typedef void (*relay_done_fn)(void *arg, const struct relay_msg *m,
    uint8_t status);

TAILQ_HEAD(relay_msgq, relay_msg);

struct relay_out {
	struct relay_msgq	 q;		/* FIFO, ids increasing */
	struct relay_msg	*unsent;	/* first one not on the wire */
	uint64_t		 next_id;	/* of the next push; from 1 */
	uint64_t		 max_sent;	/* highest id ever handed out */
	size_t			 limit;		/* bytes; the "queue" setting */
	relay_done_fn		 done;
	void			*arg;
	/* For "show". */
	size_t			 nqueued;	/* messages */
	size_t			 nbytes;	/* payload + overhead */
	size_t			 unsent_bytes;	/* of nbytes, not on the wire */
};

/*
 * NAKed ids the receiver remembers until the sender has certainly seen
 * the NAK: a NAK lost with a link would otherwise make the re-sent MSG
 * look like a duplicate, and the next ACK would report it delivered.
 */
#define RELAY_NAK_MEMORY	4096

struct relay_in {
	uint8_t			 epoch[8];	/* of the sending daemon */
	int			 have_epoch;
	int			 fresh;		/* no MSG yet on this link */
	uint64_t		 handled;	/* highest id handled */
	uint64_t		 unacked;	/* handled since the last ACK */
	size_t			 nnaked;
	uint64_t		 naked[RELAY_NAK_MEMORY];	/* unordered */
};

/* Names: 1..WIRE_NAME_MAX of [A-Za-z0-9._-], or "*" when allow_star. */
int	relay_name_valid(const char *name, size_t len, int allow_star);

/* Sender. */
void	relay_out_init(struct relay_out *, size_t limit, relay_done_fn,
	    void *arg);
/*
 * Queue a copy of v (v->id is ignored), with cookie and tag for the
 * completion.  Returns ST_OK and sets *idp, or ST_TOO_LARGE,
 * ST_QUEUE_FULL or ST_BAD_NAME; nothing is queued then.
 */
int	relay_out_push(struct relay_out *, const struct relay_view *v,
	    uint64_t cookie, uint64_t tag, uint64_t now_ms, uint64_t *idp);
/*
 * Blocks of small messages kept for reuse: how many; trim (every few
 * seconds: those not used since the last trim are freed); release all.
 */
size_t	relay_out_spares(void);
void	relay_out_trim(void);
void	relay_out_release(void);
/* The next message not on the wire, now marked sent; NULL when none. */
const struct relay_msg *relay_out_next(struct relay_out *);
/* The same without taking it; NULL when none. */
const struct relay_msg *relay_out_peek(const struct relay_out *);
int	relay_out_has_unsent(const struct relay_out *);
/* Bytes relay_encode_msg() writes for m. */
size_t	relay_msg_bodylen(const struct relay_msg *m);
/* MSG body of m into out; 0 and *outlen, or -1 when outsz is too small. */
int	relay_encode_msg(const struct relay_msg *m, uint8_t *out,
	    size_t outsz, size_t *outlen);
/*
 * Only what precedes the payload (id, flags, from, to), so that the
 * payload can be sealed where it lies; at most RELAY_MSG_HEAD_MAX bytes.
 */
#define RELAY_MSG_HEAD_MAX	(8 + 1 + 1 + WIRE_NAME_MAX + 1 + WIRE_NAME_MAX)
int	relay_encode_msg_head(const struct relay_msg *m, uint8_t *out,
	    size_t outsz, size_t *outlen);
/*
 * MSGS (PROTOCOL.md 7.9): MSG bodies back to back, each after a u16
 * length.  relay_batch_put() adds m; 0 when it does not fit in room.
 */
#define RELAY_BATCH_ENTRY_HDR	2
size_t	relay_batch_put(const struct relay_msg *m, uint8_t *out,
	    size_t room);
/*
 * The next entry of a MSGS body at *off: 1 and the MSG body in *msg
 * and *msglen (*off moves past it), 0 at the end, -1 when the entry's
 * length does not fit.  The MSG itself is checked by relay_in_parse_msg().
 */
int	relay_batch_next(const uint8_t *body, size_t len, size_t *off,
	    const uint8_t **msg, size_t *msglen);
/* Peer's ACK: 0, or -1 (protocol error) when upto was never sent. */
int	relay_out_ack(struct relay_out *, uint64_t upto);
/* Peer's NAK: 0, or -1 when id is not on the wire (or status is ok). */
int	relay_out_nak(struct relay_out *, uint64_t id, uint8_t status);
/* The link is gone: everything on the wire is to be sent again. */
void	relay_out_link_down(struct relay_out *, uint64_t now_ms);
/* Complete with ST_UNREACHABLE what waited off the wire > timeout_ms. */
size_t	relay_out_expire(struct relay_out *, uint64_t now_ms,
	    uint64_t timeout_ms);
/* Free everything; with notify, complete each with ST_UNREACHABLE. */
void	relay_out_clear(struct relay_out *, int notify);

/* Receiver. */
void	relay_in_init(struct relay_in *);
/* Peer's epoch from its HELLO; 1 when it is new (memory reset), else 0. */
int	relay_in_link_up(struct relay_in *, const uint8_t epoch[8]);
/* Validate a MSG body; v points into body.  0 or -1. */
int	relay_in_parse_msg(const uint8_t *body, size_t len,
	    struct relay_view *v);
/*
 * RELAY_NEW (above the highest id handled, or NAKed before: handle it
 * anew) or RELAY_DUP.  Call it for every MSG, in the order received.
 */
int	relay_in_accept(struct relay_in *, uint64_t id);
/* id was NAKed: a re-send of it is to be handled anew. */
void	relay_in_naked(struct relay_in *, uint64_t id);
/*
 * id was delivered or NAKed (RELAY_NEW), or ignored (RELAY_DUP).
 * Returns 1 when an ACK is due now, else 0: then, if
 * relay_in_ack_pending(), the caller sends one in RELAY_ACK_DELAY_MS.
 */
int	relay_in_handled(struct relay_in *, uint64_t id);
int	relay_in_ack_pending(const struct relay_in *);
/* The id to put in the ACK being sent now; clears the pending count. */
uint64_t relay_in_ack_value(struct relay_in *);

/* ACK and NAK bodies, exact lengths. */
void	relay_encode_ack(uint8_t out[RELAY_ACK_LEN], uint64_t id);
int	relay_parse_ack(const uint8_t *body, size_t len, uint64_t *id);
void	relay_encode_nak(uint8_t out[RELAY_NAK_LEN], uint64_t id,
	    uint8_t status);
int	relay_parse_nak(const uint8_t *body, size_t len, uint64_t *id,
	    uint8_t *status);

#endif
