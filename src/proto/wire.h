/*
 * Constants of the peer link protocol, version 2 (doc/PROTOCOL.md): what
 * a peer sees on the wire.  The session socket's are in session_proto.h,
 * the control socket's in ctl_proto.h.
 */
#ifndef NC_WIRE_H
#define NC_WIRE_H

#define WIRE_MAGIC		"NCRY"
#define WIRE_VERSION		2
#define WIRE_VERSION_MIN	1	/* HELLOs we parse (to say "too old") */
#define WIRE_ROLE_INITIATOR	1
#define WIRE_ROLE_RESPONDER	2

/* Plaintext records (handshake): u32 len | u8 type | body, len <= 8192. */
#define WIRE_PLAIN_MAX		8192

/* Record types. */
#define REC_HELLO		1
#define REC_KEY			2
#define REC_FINISHED		3
#define REC_PING		4
#define REC_PONG		5
#define REC_MSG			6
#define REC_ACK			7
#define REC_NAK			8
#define REC_KEYUPDATE		9
#define REC_CLOSE		10
#define REC_BUSY		11	/* plaintext, before the link is up */

/*
 * BUSY: u32 len = 5 | u8 11 | u32 retry_ms.  Shorter than any sealed
 * record (17), so it is recognised in every handshake state.
 */
#define WIRE_BUSY_LEN		(4 + 1 + 4)
#define WIRE_BUSY_RETRY_MIN	500	/* ms: what a receiver honours */
#define WIRE_BUSY_RETRY_MAX	10000

/* v2 HELLO random: nonce[16] || resumption tag[16] (or random). */
#define WIRE_RESUME_NONCE	16
#define WIRE_RESUME_TAG		16

/* The rekey of doc/PROTOCOL.md 7.8: */
#define REC_REKEY		12	/* X25519 public key of the starter */
#define REC_REKEY_ACK		13	/* the answerer's; it switches sending */
#define REC_REKEY_DONE		14	/* empty: the starter switches sending */

/*
 * Extensions of version 2 (doc/PROTOCOL.md 7.9), announced by a daemon
 * in a PING that is its first record after FINISHED: "NCFT" | u32 bits.
 */
#define WIRE_FEATURES_MAGIC	"NCFT"
#define WIRE_FEAT_MSGS		0x00000001u	/* the peer opens MSGS */
#define WIRE_FEAT_SPOOL		0x00000002u	/* the peer takes SMSG (7.10) */
#define WIRE_FEATURES_OURS	(WIRE_FEAT_MSGS | WIRE_FEAT_SPOOL)
#define REC_MSGS		15	/* MSG bodies, each after a u16 length */

/*
 * Messages with a lifetime, kept in the spool (doc/PROTOCOL.md 7.10),
 * behind WIRE_FEAT_SPOOL.  inc is the sending spool's incarnation, seq
 * its number for the message, counted per receiving peer.
 *   SMSG	u64 inc | u64 seq | u32 ttl | u8 flags | u8 n | from[n] |
 *		u8 m | to[m] | payload
 *   SACK	u64 inc | u64 seq | u8 status (ST_OK taken, ST_SPOOL_FULL)
 *   SFINAL	u64 inc | u64 seq | u8 status (what became of it)
 *   SFINAL_ACK	u64 inc | u64 seq
 */
#define REC_SMSG		16
#define REC_SACK		17
#define REC_SFINAL		18
#define REC_SFINAL_ACK		19
#define WIRE_SMSG_HDRLEN	(8 + 8 + 4 + 1 + 1 + 1)
#define WIRE_SACK_LEN		17
#define WIRE_SFINAL_LEN		17
#define WIRE_SFINAL_ACK_LEN	16
/* The longest lifetime a message may ask for: 90 days. */
#define WIRE_TTL_MAX		(90U * 86400U)

/* MSG payload limit, and names (host names in HELLO, session names). */
#define WIRE_PAYLOAD_MAX	65280
#define WIRE_NAME_MAX		64
/* The same limit as the code and netcrypt.h spell it. */
#define NC_NAME_MAX		64
_Static_assert(NC_NAME_MAX == WIRE_NAME_MAX, "name limits differ");
/* A host: DNS name or address literal, as SOCKS5 carries it (RFC 1928). */
#define NC_HOST_MAX		255

/* Cipher ids, offered in HELLO (doc/PROTOCOL.md 5.2, 5.5). */
#define NC_CIPHER_AES256GCM	1
#define NC_CIPHER_AES128GCM	2
#define NC_CIPHER_CHACHA20	3
#define NC_CIPHER_MAX		3

/* Delivery status codes, shared by NAK and the session RECEIPT. */
#define ST_OK			0
#define ST_NO_SUCH_SESSION	1
#define ST_NO_SUCH_PEER		2
#define ST_UNREACHABLE		3
#define ST_TOO_LARGE		4
#define ST_QUEUE_FULL		5
#define ST_NAME_IN_USE		6
#define ST_BAD_NAME		7
#define ST_REJECTED		8
#define ST_BUSY			9
#define ST_NOT_ALLOWED		10	/* ATTACH only: the session policy */
/* Messages with a lifetime (SESSIONS.md 6): */
#define ST_QUEUED		11	/* kept durably, not delivered yet */
#define ST_EXPIRED		12	/* its lifetime ended undelivered */
#define ST_SPOOL_FULL		13	/* no room in a spool: not kept */
#define ST_AT_PEER		14	/* the peer's spool has it */
#define ST_UNKNOWN_ID		15	/* status query: no such entry */
#define ST_DROPPED		16	/* dropped by the administrator */

/* CLOSE reasons. */
#define CLOSE_NORMAL		0
#define CLOSE_DUPLICATE		1
#define CLOSE_PROTOCOL		2
#define CLOSE_TIMEOUT		3
#define CLOSE_SHUTDOWN		4

#endif
