/*
 * Admission of handshakes in the network child (doc/PROTOCOL.md 6.3):
 * who gets one of the scarce handshake slots, and in which order and at
 * what rate the key-holder's time is spent.  A peer that proves it held
 * a link with us before (resume.h) is never displaced by one that does
 * not; a request for the key-holder whose connection is gone is never
 * worked on; past the unwrap rate a handshake is refused at once.
 */
#ifndef NC_ADMIT_H
#define NC_ADMIT_H

#include <sys/socket.h>
#include <stdint.h>

#include "ipc.h"

struct imsgev;
struct link;
struct hs_hello_info;

#define ADMIT_PROVEN_PER_PEER	2	/* proven handshakes at once */
#define ADMIT_BUSY_RETRY_MS	1000	/* what a BUSY asks the dialler */
#define ADMIT_EVICT_MIN_MS	100	/* no handshake is evicted younger */

struct admit_stats {
	uint32_t	rate;		/* unwraps per second, 0: no limit */
	uint32_t	op_us;		/* one unwrap: at start, then averaged */
	uint64_t	refused;	/* handshakes refused past the rate */
	uint64_t	cancelled;	/* requests dropped: connection gone */
	uint64_t	evicted;	/* handshakes closed to make room */
	uint64_t	proven;		/* handshakes with a resumption proof */
	uint32_t	queued;		/* waiting now, in the network child */
	uint32_t	inflight;	/* at the key-holder now */
};

void	admit_init(struct imsgev *kh);
void	admit_set_rate(const struct kh_rate *);
/* The slots for unproven handshakes: NET_MAX_PENDING + 2 a peer. */
size_t	admit_pool_size(void);
/* Before accepting: 0 if a slot is free (maybe by evicting), -1 not. */
int	admit_room(void);
/* After accepting from ss: 0 if its source may have one more. */
int	admit_source(const struct sockaddr_storage *ss);
/* The HELLO of an inbound link passed pinning: is it proven? */
void	admit_hello(struct link *, const struct hs_hello_info *);
/* The peer's KEY: queue the unwrap, or refuse (-1: the link closes). */
int	admit_unwrap(struct link *, const struct kh_unwrap_req *,
	    const uint8_t *blob, size_t bloblen);
/* The key-holder answered the request id: done, or dropped unworked. */
void	admit_answered(uint64_t id, int cancelled, uint32_t op_us);
/* The link stops being a handshake (up, closing): drop its request. */
void	admit_link_done(struct link *);
const struct admit_stats *admit_stats(void);

#endif
