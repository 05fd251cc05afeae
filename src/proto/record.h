/*
 * The encrypted record layer of the peer link (PROTOCOL.md 4, key update
 * of 7.6) and the handshake key schedule (5.10).
 *
 * One struct nc_aead per direction of a link: the sending side seals,
 * the receiving side opens.  The cipher context is keyed once and only
 * the nonce changes per record.  All functions return 0 on success and
 * -1 on failure.
 */
#ifndef NC_RECORD_H
#define NC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define NC_REC_HDRLEN		4	/* u32 len */
#define NC_AEAD_TAGLEN		16
#define NC_AEAD_IVLEN		12
#define NC_AEAD_KEYMAX		32
#define NC_TS_LEN		32	/* traffic secret for key update */
#define NC_FIN_LEN		32	/* FINISHED MAC (HMAC-SHA256) */
#define NC_REC_MAXBODY		65536
/* len = type + body + tag */
#define NC_REC_MINLEN		(1 + NC_AEAD_TAGLEN)
#define NC_REC_MAXLEN		(1 + NC_REC_MAXBODY + NC_AEAD_TAGLEN)
/* Largest record on the wire, header included: size of a record buffer. */
#define NC_REC_MAXWIRE		(NC_REC_HDRLEN + NC_REC_MAXLEN)

/* Sender's key update thresholds (PROTOCOL.md 7.6); the hour is the caller's. */
#define NC_KEYUPDATE_RECORDS	(1ULL << 28)
#define NC_KEYUPDATE_BYTES	(1ULL << 30)

/* What an nc_aead does: it is keyed for one of the two. */
#define NC_AEAD_SEAL		1
#define NC_AEAD_OPEN		2

/* Direction of traffic, to pick keys out of a key schedule. */
#define NC_DIR_I2R		1
#define NC_DIR_R2I		2

struct nc_aead {
	EVP_CIPHER_CTX	*ctx;		/* NULL: cleared or failed */
	int		 op;		/* NC_AEAD_SEAL or _OPEN */
	uint8_t		 cipher_id;	/* NC_CIPHER_* of wire.h */
	size_t		 keylen;
	uint8_t		 key[NC_AEAD_KEYMAX];
	uint8_t		 iv[NC_AEAD_IVLEN];
	uint8_t		 ts[NC_TS_LEN];
	uint64_t	 seq;		/* of the next record */
	uint64_t	 bytes;		/* plaintext under this key */
};

struct nc_keysched {
	uint8_t		 cipher_id;
	size_t		 keylen;
	uint8_t		 key_i2r[NC_AEAD_KEYMAX];
	uint8_t		 key_r2i[NC_AEAD_KEYMAX];
	uint8_t		 iv_i2r[NC_AEAD_IVLEN];
	uint8_t		 iv_r2i[NC_AEAD_IVLEN];
	uint8_t		 fin_i[NC_FIN_LEN];
	uint8_t		 fin_r[NC_FIN_LEN];
	uint8_t		 upd_i2r[NC_TS_LEN];
	uint8_t		 upd_r2i[NC_TS_LEN];
};

/* Key length of a cipher id, 0 when the id is unknown. */
size_t	nc_cipher_keylen(uint8_t cipher_id);
/*
 * The first id in the initiator's list that the responder's list also
 * has and that we implement; 0 when there is none.
 */
uint8_t	nc_cipher_select(const uint8_t *prefs_i, size_t ni,
	    const uint8_t *prefs_r, size_t nr);

/*
 * Key a direction.  op is NC_AEAD_SEAL or NC_AEAD_OPEN; keylen must be
 * the cipher's; ts is the traffic secret the next key update starts
 * from.  seq starts at 0.  The struct is overwritten: clear it first if
 * it held a context.  On failure it is left cleared.
 */
int	nc_aead_init(struct nc_aead *, int op, uint8_t cipher_id,
	    const uint8_t *key, size_t keylen,
	    const uint8_t iv[NC_AEAD_IVLEN], const uint8_t ts[NC_TS_LEN]);
/* The same, with the key, iv and ts of one direction of a schedule. */
int	nc_aead_init_ks(struct nc_aead *, int op, const struct nc_keysched *,
	    int dir);
/* Wipe key, iv and traffic secret and free the context; idempotent. */
void	nc_aead_clear(struct nc_aead *);
/* 1 when the sender should send KEYUPDATE now (count or volume). */
int	nc_aead_should_update(const struct nc_aead *);

/*
 * Seal one record into out: u32 len | AEAD(type || body) | tag, with
 * len = 1 + bodylen + 16 as AAD and nonce = iv XOR (0^4 || be64 seq).
 * body may be out + 5 (in place) but must not otherwise overlap out.
 * On success *outlen = 4 + len and seq is incremented.  Any failure
 * other than a bad argument clears the struct: the link must close.
 */
int	nc_record_seal(struct nc_aead *, uint8_t type, const uint8_t *body,
	    size_t bodylen, uint8_t *out, size_t outsz, size_t *outlen);
/*
 * The same with the body in two parts, b1 then b2 (a header and a
 * payload sealed where it lies, without a copy to join them).  b1 may
 * be out + 5; b2 must not overlap out.
 */
int	nc_record_seal2(struct nc_aead *, uint8_t type, const uint8_t *b1,
	    size_t l1, const uint8_t *b2, size_t l2, uint8_t *out,
	    size_t outsz, size_t *outlen);

/*
 * Total wire size (4 + len) of the record whose first 4 bytes are hdr,
 * or -1 when len is out of range: check before reading the rest.
 */
int	nc_record_wire_len(const uint8_t hdr[NC_REC_HDRLEN], size_t *total);

/*
 * Open one whole record (header included, reclen = 4 + len exactly).
 * -1 on a bad length or a failed tag; then seq is unchanged and the
 * body buffer is wiped.  body may be rec + 5 (in place).  The tag check
 * is OpenSSL's, in constant time.  seq is incremented on success only.
 */
int	nc_record_open(struct nc_aead *, const uint8_t *rec, size_t reclen,
	    uint8_t *type, uint8_t *body, size_t bodysz, size_t *bodylen);

/*
 * Key update (PROTOCOL.md 7.6): ts' = HKDF-Expand(ts, "nc1 upd", 32),
 * key = HKDF-Expand(ts', "nc1 key", keylen), iv = HKDF-Expand(ts',
 * "nc1 iv", 12), seq = 0; the old secrets are overwritten.  On failure
 * the struct is cleared.
 */
int	nc_aead_update(struct nc_aead *);

/*
 * Rekey of one direction (doc/PROTOCOL.md 7.8): prk = HKDF-Extract(salt =
 * ts, ikm = dh), ts' = HKDF-Expand(prk, "nc1 rekey i2r" or "nc1 rekey
 * r2i" by dir, 32), then key, iv and seq from ts' as nc_aead_update()
 * does.  On failure the struct is cleared.
 */
int	nc_aead_rekey(struct nc_aead *, const uint8_t dh[32], int dir);

/*
 * prk = HKDF-Extract(salt = th2, ikm = u_i || u_r || dh), then every
 * expansion of PROTOCOL.md 5.10 into out.  prk_out may be NULL (it is
 * there for the known-answer tests).  On failure out is wiped.
 */
int	nc_key_schedule(uint8_t cipher_id, const uint8_t th2[32],
	    const uint8_t u_i[32], const uint8_t u_r[32], const uint8_t dh[32],
	    struct nc_keysched *out, uint8_t prk_out[32]);
void	nc_keysched_clear(struct nc_keysched *);

/* FINISHED: mac = HMAC-SHA256(fin, th2). */
int	nc_finished_mac(const uint8_t fin[NC_FIN_LEN], const uint8_t th2[32],
	    uint8_t mac[NC_FIN_LEN]);
/* 0 when mac (maclen bytes, from the wire) is right; constant time. */
int	nc_finished_verify(const uint8_t fin[NC_FIN_LEN],
	    const uint8_t th2[32], const uint8_t *mac, size_t maclen);

#endif
