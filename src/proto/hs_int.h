/*
 * What the files of the handshake share and nothing else uses: the field
 * checks and the HELLO parser (hsrecord.c), for the state machine
 * (handshake.c).
 */
#ifndef NC_HS_INT_H
#define NC_HS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "handshake.h"

/* HELLO up to the cipher list: magic, version, role, random, epoch, x25519. */
#define HELLO_FIXED	(4 + 1 + 1 + HS_RANDOM_LEN + HS_EPOCH_LEN + \
			NC_X25519_LEN)
#define KEY_HDRLEN	(NC_REC_HDRLEN + 1)

int	hs_check_name(const uint8_t *name, size_t len, char *err,
	    size_t errsz);
int	hs_check_ciphers(const uint8_t *ids, size_t n, int all_known,
	    char *err, size_t errsz);
int	hs_check_rsa(EVP_PKEY *, size_t *modlen, char *err, size_t errsz);
EVP_PKEY *hs_parse_spki(const uint8_t *spki, size_t len, char *err,
	    size_t errsz);
/* The whole HELLO; on success *keyp (if asked for) holds the key. */
int	hs_hello_parse(const uint8_t *rec, size_t len,
	    struct hs_hello_info *, EVP_PKEY **keyp, char *err, size_t errsz);

#endif
