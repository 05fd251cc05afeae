/*
 * Thin wrappers over OpenSSL 3 for the few primitives netcryptd uses.
 * All return 0 on success and -1 on failure unless said otherwise.
 */
#ifndef NC_CRYPTO_H
#define NC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define NC_SHA256_LEN		32
#define NC_FP_STRLEN		52	/* "SHA256:" + 43 base64 + NUL, rounded */
#define NC_RSA_MIN_BITS		2048
#define NC_RSA_MAX_BITS		16384
#define NC_RSA_DEFAULT_BITS	3072
#define NC_SPKI_MAX		4096	/* DER of a 16384-bit RSA key: ~2.1 KiB */

int	nc_sha256(const void *data, size_t len, uint8_t out[NC_SHA256_LEN]);
/* SHA-256 over the concatenation of n buffers. */
int	nc_sha256v(const void *const *bufs, const size_t *lens, size_t n,
	    uint8_t out[NC_SHA256_LEN]);
int	nc_hmac_sha256(const void *key, size_t keylen, const void *data,
	    size_t len, uint8_t out[NC_SHA256_LEN]);
/* HMAC-SHA256 over the concatenation of two buffers. */
int	nc_hmac_sha256_2(const void *key, size_t keylen, const void *a,
	    size_t alen, const void *b, size_t blen,
	    uint8_t out[NC_SHA256_LEN]);
/* RFC 5869 with SHA-256. */
int	nc_hkdf_extract(const void *salt, size_t saltlen, const void *ikm,
	    size_t ikmlen, uint8_t prk[NC_SHA256_LEN]);
int	nc_hkdf_expand(const uint8_t prk[NC_SHA256_LEN], const char *info,
	    uint8_t *out, size_t outlen);
int	nc_hkdf(const void *salt, size_t saltlen, const void *ikm,
	    size_t ikmlen, const char *info, uint8_t *out, size_t outlen);
/* Constant-time comparison: 0 when equal. */
int	nc_memcmp_ct(const void *a, const void *b, size_t len);

/* "SHA256:" + unpadded base64 of SHA-256 over the SPKI DER. */
int	nc_fingerprint(const uint8_t *spki, size_t len, char *out,
	    size_t outsz);
/* The same text from the raw digest. */
int	nc_fingerprint_from_digest(const uint8_t digest[NC_SHA256_LEN],
	    char *out, size_t outsz);
/* Parse "SHA256:..." into the raw 32-byte digest. */
int	nc_fingerprint_parse(const char *s, uint8_t out[NC_SHA256_LEN]);

/* SPKI DER of a key into a malloc'd buffer. */
int	nc_pkey_spki(EVP_PKEY *, uint8_t **der, size_t *len);
/* Parse SPKI DER; NULL on error.  Only RSA keys are accepted. */
EVP_PKEY *nc_pkey_from_spki(const uint8_t *der, size_t len);
/* RSA modulus size in bits, or -1 when the key is not RSA. */
int	nc_rsa_bits(const EVP_PKEY *);
/* Load a PEM public key (SPKI) file; errbuf gets a reason on failure. */
EVP_PKEY *nc_load_pubkey_file(const char *path, char *errbuf,
	    size_t errsz);
/* Parse a PEM private key held in memory; NULL on error. */
EVP_PKEY *nc_load_privkey_mem(const void *pem, size_t len);

/*
 * Refuse a private key file that group or others may read, that is not
 * a regular file, or that is owned by someone other than root or us
 * (as sshd does).  0 ok, -1 with a reason in errbuf.
 */
int	nc_check_private_key_file(int fd, const char *path, char *errbuf,
	    size_t errsz);

/*
 * RSA-OAEP with SHA-256 and MGF1-SHA-256 and the given label.  Encrypt
 * writes exactly the modulus size into out.
 */
int	nc_oaep_wrap(EVP_PKEY *pub, const void *label, size_t labellen,
	    const void *in, size_t inlen, uint8_t *out, size_t outsz,
	    size_t *outlen);

/*
 * The reverse, on a private key.  out must hold outsz bytes, and outsz
 * must be at least the modulus size (OpenSSL refuses a smaller buffer
 * even for a short plaintext); -1 on any decoding failure, which the
 * key-holder turns into implicit rejection.
 */
int	nc_oaep_unwrap(EVP_PKEY *priv, const void *label, size_t labellen,
	    const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz,
	    size_t *outlen);

/* Length of the secret each side wraps (PROTOCOL.md 5.7). */
#define NC_SECRET_LEN		32
#define NC_OAEP_LABEL_I		"netcrypt v1 i"
#define NC_OAEP_LABEL_R		"netcrypt v1 r"
/* role: 1 = initiator wrapped, 2 = responder wrapped. */
int	nc_oaep_label(int role, const uint8_t th1[NC_SHA256_LEN],
	    uint8_t *out, size_t outsz, size_t *outlen);
/* u = HKDF(salt = th1, ikm = secret, info = "nc1 unwrap i"/"r", 32) */
int	nc_derive_u(const uint8_t secret[NC_SECRET_LEN],
	    const uint8_t th1[NC_SHA256_LEN], int role,
	    uint8_t u[NC_SHA256_LEN]);
/* Implicit rejection: u = HMAC-SHA256(seed, th1 || blob) */
int	nc_reject_u(const uint8_t seed[NC_SHA256_LEN],
	    const uint8_t th1[NC_SHA256_LEN], const uint8_t *blob,
	    size_t bloblen, uint8_t u[NC_SHA256_LEN]);

/* X25519 (RFC 7748). */
#define NC_X25519_LEN		32
int	nc_x25519_public(const uint8_t priv[NC_X25519_LEN],
	    uint8_t pub[NC_X25519_LEN]);
/* Shared secret; -1 also when it is all zeros (a low-order point). */
int	nc_x25519(const uint8_t priv[NC_X25519_LEN],
	    const uint8_t peerpub[NC_X25519_LEN], uint8_t out[NC_X25519_LEN]);
/*
 * The same with the private key held as a key object: making one from
 * raw bytes costs a scalar multiplication (OpenSSL computes the public
 * half), so a handshake makes it once and derives with it.
 */
EVP_PKEY *nc_x25519_key(const uint8_t priv[NC_X25519_LEN],
	    uint8_t pub[NC_X25519_LEN]);
int	nc_x25519_derive(EVP_PKEY *mine, const uint8_t peerpub[NC_X25519_LEN],
	    uint8_t out[NC_X25519_LEN]);

#endif
