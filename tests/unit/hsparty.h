/*
 * The two parties of the handshake unit tests (check_handshake,
 * check_hshello, check_hskeyfin): test keys made once before the suite
 * runs, a party (a handshake object with its private key at hand), and
 * the steps of a handshake between two parties, each failing the running
 * test on a surprise.  A "fake key-holder" unwraps with the private key
 * directly, as kh_unwrap() does (implicit rejection included).
 */
#ifndef NC_TEST_HSPARTY_H
#define NC_TEST_HSPARTY_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <openssl/evp.h>

#include "handshake.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct testkey {
	EVP_PKEY	*pk;
	uint8_t		*spki;
	size_t		 spkilen;
};

/*
 * Made by hsparty_run() before the suite runs; the forked tests inherit
 * them.  a, b and c are RSA-2048; weak is RSA-1024; ec is on P-256.
 */
extern struct testkey	key_a, key_b, key_c, key_weak, key_ec;

extern const uint8_t	all_ciphers[3];
extern const uint8_t	epoch_a[HS_EPOCH_LEN];

/* One side of a handshake under test. */
struct party {
	struct handshake	*hs;
	EVP_PKEY		*priv;		/* for the fake key-holder */
	const uint8_t		*key, *fin;
	size_t			 keylen, finlen;
	struct hs_hello_info	 info;		/* the peer's HELLO */
	char			 err[256];
};

/* A configuration of role with k, name and ciphers, and epoch_a. */
struct hs_config config(uint8_t role, const struct testkey *k,
		    const char *name, const uint8_t *ciphers, size_t n);
/* A party of role with k: "hosta" as initiator, "hostb" as responder. */
void		 party_new(struct party *p, uint8_t role,
		    const struct testkey *k, const uint8_t *ciphers,
		    size_t n);
void		 party_free(struct party *p);
/* What kh_unwrap() does, with the private key at hand. */
void		 fake_kh(EVP_PKEY *priv, const struct kh_unwrap_req *req,
		    const uint8_t *blob, size_t bloblen,
		    uint8_t u[NC_SHA256_LEN]);
/* p receives from's HELLO; 0 or -1. */
int		 recv_hello(struct party *p, const struct party *from);
/* Both HELLOs, accepted: the same cipher and th1 on both sides. */
void		 hellos(struct party *i, struct party *r);
void		 make_key(struct party *p);
/* Both KEYs made, received and unwrapped: the same th2. */
void		 keys(struct party *i, struct party *r);
int		 recv_fin(struct party *p, const uint8_t *rec, size_t len);
/* A whole handshake, accepted on both sides. */
void		 handshake(struct party *i, struct party *r);
/* The call failed, said why, and the reason mentions want (if any). */
void		 refused(int rv, const char *err, const char *want,
		    const char *what);
/* A record's u32 length field. */
void		 put_len(uint8_t *rec, uint32_t v);

/* Make the keys, run the suite, free the keys: main()'s exit status. */
int		 hsparty_run(Suite *);

#endif
