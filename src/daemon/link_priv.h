/*
 * The insides of a link, shared by the files that make one up: link.c
 * (its life: creation, reading records, timers, closing, freeing),
 * linkhs.c (from the TCP connect to UP: SOCKS5, handshake, BUSY) and
 * linkio.c (the records of an up link: sealing, MSG, ACK, NAK, holds,
 * key updates).  network.h has what the rest of the child may call;
 * this header is for those files and for the fuzzers.
 */
#ifndef NC_LINK_PRIV_H
#define NC_LINK_PRIV_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "network.h"

struct evbuffer;

#define REC_HDR			4	/* the length before each record */

/* link.c */
/* Lines about unproven inbound handshakes: whether this one is logged. */
int	link_log_ok(const struct link *);
void	link_arm_timer(struct link *, int seconds);
/* No longer a pending handshake (up, or closing). */
void	link_unpend(struct link *);
/* Stop reading; the event loop frees the link once its output is out. */
void	link_schedule_free(struct link *);

/* linkhs.c */
void	link_start_handshake(struct link *);	/* send our HELLO */
/* An outbound link goes through the proxy to dest (link_new()). */
void	link_set_socks(struct link *, const struct connect_msg *dest);
void	link_socks_send(struct link *);		/* the next SOCKS5 bytes */
/* The proxy's answers: 0 once the tunnel is open, else -1. */
int	link_socks_read(struct link *, struct evbuffer *in);
int	link_handshaking(const struct link *);	/* HELLO, KEY, FINISHED */
/* A plaintext record in a handshake state: 0, or -1: closing. */
int	link_hs_record(struct link *, const uint8_t *rec, size_t len);
/* A BUSY record (WIRE_BUSY_LEN bytes) read during the handshake. */
void	link_handle_busy(struct link *, const uint8_t *rec);
/* A dial that broke: a BUSY may be left in the input. */
void	link_find_busy(struct link *);

/* linkio.c */
/* A sealed record of an up link: 0, 1: held (a MSG), -1: closing. */
int	link_up_record(struct link *, const uint8_t *rec, size_t len);
void	link_maybe_update_keys(struct link *);	/* KEYUPDATE when due */
void	link_ack_cb(int, short, void *);	/* the delayed ACK */
void	link_hold_cb(int, short, void *);	/* a held MSG waited enough */
void	link_kick_cb(int, short, void *);	/* link_kick_soon()'s turn */
void	link_announce(struct link *);		/* our extensions, 7.9 */
void	link_drained(void *);			/* output under the low mark */

/*
 * For tests and fuzzers too.  link_alloc() is the part of link_new()
 * every link has: the link, its bufferevent on fd, its timers and
 * buffers, in netctx->links, in no state yet, not connecting, not
 * reading, no timer armed.  link_read() takes the records that the
 * input buffer holds, as the read callback does.
 */
struct link	*link_alloc(int fd, int outbound, struct peer *,
		    const struct sockaddr *, socklen_t);
void		 link_read(struct link *);

#endif
