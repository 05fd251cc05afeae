/*
 * What the handshake asks of the key-holder (doc/PROTOCOL.md 5.8): the
 * value u for the peer's wrapped secret needs the wrapper's role, the
 * first transcript hash and the blob.  The handshake fills the request
 * (hs_recv_key) and the network child sends it as IMSG_KH_UNWRAP, so the
 * protocol code and the IPC share this one definition.
 */
#ifndef NC_UNWRAP_H
#define NC_UNWRAP_H

#include <stdint.h>

#include "crypto.h"

#define KH_ROLE_INITIATOR	1	/* the wrapper's role in the handshake */
#define KH_ROLE_RESPONDER	2
#define KH_BLOB_MAX		(NC_RSA_MAX_BITS / 8)

struct kh_unwrap_req {
	uint64_t	id;		/* handshake id, echoed */
	uint8_t		role;		/* KH_ROLE_* of the side that wrapped */
	uint8_t		pad[7];
	uint8_t		th1[NC_SHA256_LEN];
	/* followed by the blob: exactly the modulus size */
};

#endif
