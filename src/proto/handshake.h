/*
 * The handshake of the peer link (PROTOCOL.md 5), without I/O.
 *
 * The network child owns the socket.  It gives this module whole
 * records (u32 len | ...; the length already checked against the read
 * buffer) and sends the records it gets back.  One struct handshake per
 * link; the calls must come in this order, each only once:
 *
 *	hs_new()		our HELLO is ready: send hs_hello_record()
 *	hs_recv_hello()		peer's HELLO; then the caller checks out->fp
 *				against the pinned keys, before any private
 *				key operation
 *	hs_make_key()		send the KEY record it returns
 *	hs_recv_key()		peer's KEY; send req + blob to the key-holder
 *	hs_unwrapped()		the key-holder's u; send our FINISHED
 *	hs_recv_finished()	peer's FINISHED: the link is up
 *	hs_take_aeads()		the two record-layer directions
 *
 * Records that arrive while the key-holder works stay in the caller's
 * input buffer until hs_unwrapped() returned.  A call out of order, or
 * any failure, kills the handshake: every later call fails too, and the
 * link must be closed.  Functions that take err/errsz write a reason
 * there (for the log) when they fail; err may be NULL.
 *
 * Every secret (X25519 private key, wrapped secret, u, key schedule) is
 * wiped as soon as it is no longer needed, and all of them in hs_free().
 */
#ifndef NC_HANDSHAKE_H
#define NC_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "record.h"
#include "unwrap.h"
#include "wire.h"

#define HS_RANDOM_LEN		32
#define HS_EPOCH_LEN		8
#define HS_NCIPHER_MAX		3	/* ids in a HELLO (PROTOCOL.md 5.2) */
/* Largest valid HELLO record, header included. */
#define HS_HELLO_MAX		(4 + 1 + 4 + 1 + 1 + HS_RANDOM_LEN + \
				HS_EPOCH_LEN + NC_X25519_LEN + 1 + \
				HS_NCIPHER_MAX + 1 + WIRE_NAME_MAX + 2 + \
				NC_SPKI_MAX)
/* KEY record: u32 len | u8 2 | blob (the modulus size). */
#define HS_KEY_MAX		(4 + 1 + KH_BLOB_MAX)
/* FINISHED record: sealed type + HMAC-SHA256. */
#define HS_FINISHED_LEN		(NC_REC_HDRLEN + 1 + NC_FIN_LEN + \
				NC_AEAD_TAGLEN)

struct handshake;

struct hs_config {
	uint8_t		 role;		/* WIRE_ROLE_*: who opened TCP */
	const uint8_t	*spki;		/* our RSA public key, SPKI DER */
	size_t		 spkilen;
	const char	*name;		/* our name, [A-Za-z0-9._-]{1,64} */
	const uint8_t	*ciphers;	/* NC_CIPHER_*, preference order */
	uint8_t		 nciphers;	/* 1..HS_NCIPHER_MAX, no repeats */
	uint8_t		 epoch[HS_EPOCH_LEN];	/* drawn at daemon start */
	uint8_t		 version;	/* 0: WIRE_VERSION; 1 for the v1 vectors */
	/* Initiator only, NULL if none: prove our last link (resume.h). */
	const uint8_t	*resume;
};

/* The fields of a HELLO (PROTOCOL.md 5.2). */
struct hs_hello_info {
	uint8_t		 version;	/* WIRE_VERSION_MIN..WIRE_VERSION */
	uint8_t		 role;
	uint8_t		 random[HS_RANDOM_LEN];
	uint8_t		 epoch[HS_EPOCH_LEN];
	uint8_t		 x25519[NC_X25519_LEN];
	uint8_t		 ciphers[HS_NCIPHER_MAX];	/* as sent */
	uint8_t		 nciphers;
	char		 name[WIRE_NAME_MAX + 1];	/* NUL-terminated */
	uint8_t		 spki[NC_SPKI_MAX];
	size_t		 spkilen;	/* != 0: spki and fp are set */
	uint8_t		 fp[NC_SHA256_LEN];	/* SHA-256 of spki */
	int		 rsa_bits;	/* set by parsing, not used to build */
};

/*
 * Fixed values instead of random ones, for known-answer tests only;
 * never in the daemon.  keyrec, when not NULL, is sent instead of our
 * own OAEP wrap of secret (the vector file's blobs are randomised) and
 * must be a KEY record for the peer's modulus size; it is copied.
 */
struct hs_fixed {
	uint8_t		 random[HS_RANDOM_LEN];
	uint8_t		 x25519[NC_X25519_LEN];	/* private key */
	uint8_t		 secret[NC_SECRET_LEN];
	const uint8_t	*keyrec;
	size_t		 keyreclen;
};

/* ---- Pure parsers and builders (also for unit tests and fuzzers) ---- */

/*
 * Parse and check a whole HELLO record: framing (len field equal to the
 * bytes given, at most WIRE_PLAIN_MAX, type), magic, version, role 1 or
 * 2, 1..HS_NCIPHER_MAX cipher ids without repeats and at least one we
 * know, the name, an RSA SPKI in canonical DER of 2048..16384 bits, and
 * no byte left over.  out is wiped, then filled as far as parsing got.
 * 0 or -1.
 */
int	hs_parse_hello(const uint8_t *rec, size_t len,
	    struct hs_hello_info *out, char *err, size_t errsz);

/*
 * Build a HELLO record from role, random, epoch, x25519, ciphers,
 * nciphers, name and spki/spkilen of in (fp and rsa_bits are not used),
 * with the same checks as the parser except for the key's contents.
 * *outlen gets the record's size.  0 or -1.
 */
int	hs_build_hello(const struct hs_hello_info *in, uint8_t *out,
	    size_t outsz, size_t *outlen, char *err, size_t errsz);

/*
 * Check a KEY record whose blob must be exactly modlen bytes; *blob
 * points into rec.  0 or -1.
 */
int	hs_parse_key(const uint8_t *rec, size_t len, size_t modlen,
	    const uint8_t **blob, char *err, size_t errsz);

/* ---- The handshake object ------------------------------------------ */

/*
 * Check the configuration, draw random and an X25519 key pair, and
 * build our HELLO.  NULL on failure: a configuration the daemon should
 * never have accepted (bad role, name, cipher list, or not an RSA key
 * of 2048..16384 bits in canonical DER), or no memory or randomness.
 */
struct handshake *hs_new(const struct hs_config *);
/* The same with fixed values (tests only; see struct hs_fixed). */
struct handshake *hs_new_fixed(const struct hs_config *,
	    const struct hs_fixed *);
/* Wipe every secret and free; NULL is fine. */
void	hs_free(struct handshake *);

/* Our HELLO record, to send at once; valid until hs_free(). */
const uint8_t *hs_hello_record(const struct handshake *, size_t *len);

/*
 * The peer's HELLO.  Beyond hs_parse_hello(): the role must be the
 * opposite of ours, the key must not be ours (reflection), and the two
 * cipher lists must have one in common (the first of the initiator's
 * that the responder also has).  No private-key work is done or
 * started.  out is filled as by hs_parse_hello(), also on failure, so
 * that the fingerprint can be logged.  On success the caller must check
 * out->fp against its pinned keys before calling hs_make_key().
 */
int	hs_recv_hello(struct handshake *, const uint8_t *rec, size_t len,
	    struct hs_hello_info *out, char *err, size_t errsz);

/*
 * Draw our secret, wrap it to the peer's key (OAEP label by our role
 * and th1), derive our u and wipe the secret.  *rec is our KEY record,
 * valid until hs_free().
 */
int	hs_make_key(struct handshake *, const uint8_t **rec, size_t *len,
	    char *err, size_t errsz);

/*
 * The peer's KEY: its blob must be exactly our modulus size (it was
 * wrapped to our key).  Fills req (id left 0: the caller's to set; role
 * = the peer's, the wrapper's; th1) and points *blob at the blob, valid
 * until hs_free(): the caller sends { req, blob } to the key-holder.
 */
int	hs_recv_key(struct handshake *, const uint8_t *rec, size_t len,
	    struct kh_unwrap_req *req, const uint8_t **blob, size_t *bloblen,
	    char *err, size_t errsz);

/*
 * The key-holder's u for the peer's secret.  dh (a low-order peer share
 * fails), th2 over the four records, the key schedule, both record-layer
 * directions, and our FINISHED: the first record (seq 0) of our sending
 * direction, in *fin until hs_free().  The X25519 private key and our
 * u are wiped here; u_peer is only read (the caller wipes its copy).
 */
int	hs_unwrapped(struct handshake *, const uint8_t u_peer[NC_SHA256_LEN],
	    const uint8_t **fin, size_t *finlen, char *err, size_t errsz);

/*
 * The peer's FINISHED: the first record of its direction, type
 * FINISHED, MAC checked in constant time.  Success authenticates the
 * peer: only then may the link be used.
 */
int	hs_recv_finished(struct handshake *, const uint8_t *rec, size_t len,
	    char *err, size_t errsz);

/*
 * After hs_recv_finished() succeeded: move the two directions (keys,
 * sequence numbers after FINISHED, traffic secrets for key update) into
 * *send and *recv, which the caller clears with nc_aead_clear().  Once
 * only.  0 or -1.
 */
int	hs_take_aeads(struct handshake *, struct nc_aead *send,
	    struct nc_aead *recv);

/*
 * The resumption secret of this link (resume.h), once hs_unwrapped()
 * succeeded; else NULL.  Valid until hs_free().
 */
const uint8_t *hs_resume_secret(const struct handshake *);

/* The negotiated NC_CIPHER_*, 0 before hs_recv_hello() succeeded. */
uint8_t	hs_cipher(const struct handshake *);

/*
 * Transcript hashes (public values, for logs and tests): th1 once
 * hs_recv_hello() succeeded, th2 once hs_unwrapped() did; else NULL.
 */
const uint8_t *hs_th1(const struct handshake *);
const uint8_t *hs_th2(const struct handshake *);

#endif
