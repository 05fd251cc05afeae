/*
 * What the relay unit tests (check_relay, check_relaysim) share: a log of
 * the completions the sender reports, a view of a message, and the
 * receiver's link epochs.
 */
#ifndef NC_TEST_RELAYFIX_H
#define NC_TEST_RELAYFIX_H

#include <stddef.h>
#include <stdint.h>

#include "relay.h"

#define MAXDONE		20000

/* Every completion the sender reported, in order. */
struct done {
	uint64_t	cookie;
	uint64_t	id;
	uint8_t		status;
};
extern struct done	dones[MAXDONE];
extern size_t		ndone;

/* The completion callback of a relay_out: appends to dones. */
void		 on_done(void *arg, const struct relay_msg *m,
		    uint8_t status);
/* Empty dones: the checked fixture of the tests that read it. */
void		 dones_reset(void);
/* A message view "from" -> "to" of len bytes of payload. */
struct relay_view mkview(const char *from, const char *to,
		    const void *payload, size_t len);

/* Two epochs of the peer's daemon: a restart in between. */
extern const uint8_t	epoch_a[8];
extern const uint8_t	epoch_b[8];

#endif
