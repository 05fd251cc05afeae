/*
 * Resumption proofs (doc/PROTOCOL.md 5.13): a secret that two daemons
 * keep from their last link lets the dialling side show, in the random
 * field of its next HELLO, that it is the peer this daemon linked with
 * before.  The proof buys priority for scarce handshake resources
 * (slots, the key-holder's time); it never replaces the handshake's
 * authentication.
 */
#ifndef NC_RESUME_H
#define NC_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define RESUME_SECRET_LEN	32
#define RESUME_SEEN_MAX		32	/* nonces remembered against replay */

struct resume_state {
	uint8_t		 secret[2][RESUME_SECRET_LEN];	/* [0] newest */
	int		 have[2];
	uint8_t		 seen[RESUME_SEEN_MAX][WIRE_RESUME_NONCE];
	size_t		 nseen, next;
};

/* rs = HKDF-Expand(prk, "nc2 resume", 32). */
int	resume_secret(const uint8_t prk[32], uint8_t rs[RESUME_SECRET_LEN]);
/*
 * tag = the first 16 bytes of HMAC-SHA256(rs, "nc2 resume proof" ||
 * nonce || epoch || x25519).
 */
int	resume_tag(const uint8_t rs[RESUME_SECRET_LEN],
	    const uint8_t nonce[WIRE_RESUME_NONCE], const uint8_t epoch[8],
	    const uint8_t x25519[32], uint8_t tag[WIRE_RESUME_TAG]);
/* A link came up: its secret becomes the newest, the newest the older. */
void	resume_store(struct resume_state *, const uint8_t rs[RESUME_SECRET_LEN]);
/* The secret to prove with when dialling, or NULL. */
const uint8_t *resume_current(const struct resume_state *);
/*
 * Does a HELLO's random (nonce || tag) prove one of our secrets?  1: yes,
 * and the nonce is remembered; 0: no proof; -1: a proof seen before
 * (a replay).  Constant time in the tag comparison.
 */
int	resume_check(struct resume_state *, const uint8_t random[32],
	    const uint8_t epoch[8], const uint8_t x25519[32]);
/* Forget every secret (a changed key, a removed peer). */
void	resume_clear(struct resume_state *);

#endif
