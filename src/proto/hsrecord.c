/*
 * The handshake's plaintext records, HELLO and KEY (PROTOCOL.md 5.2, 5.3,
 * 5.7): every field of the peer's checked before anything uses it, and
 * ours built the same way.  The field checks serve the parser, the
 * builder and hs_new() alike; the state machine is in handshake.c.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "crypto.h"
#include "handshake.h"
#include "hs_int.h"
#include "util.h"
#include "wire.h"

/* ---- Field checks shared by the parser, the builder and hs_new ----- */

/* [A-Za-z0-9._-]{1,64}, as for session names (SESSIONS.md 2). */
int
hs_check_name(const uint8_t *name, size_t len, char *err, size_t errsz)
{
	size_t	i;
	uint8_t	c;

	if (len == 0 || len > WIRE_NAME_MAX)
		return nc_seterr(err, errsz, "name of %zu bytes, 1 to %d allowed",
		    len, WIRE_NAME_MAX);
	for (i = 0; i < len; i++) {
		c = name[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		return nc_seterr(err, errsz, "name has byte 0x%02x at offset %zu, "
		    "only [A-Za-z0-9._-] allowed", c, i);
	}
	return 0;
}

/*
 * 1..HS_NCIPHER_MAX ids, none twice.  A peer may list ids we do not
 * know (they never get selected) but must list one we do; our own list
 * (all_known) must be made of known ids only.
 */
int
hs_check_ciphers(const uint8_t *ids, size_t n, int all_known, char *err,
    size_t errsz)
{
	size_t	i, j, known = 0;

	if (n == 0 || n > HS_NCIPHER_MAX)
		return nc_seterr(err, errsz, "%zu cipher ids, 1 to %d allowed",
		    n, HS_NCIPHER_MAX);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return nc_seterr(err, errsz, "cipher id %u listed "
				    "twice", ids[i]);
		if (nc_cipher_keylen(ids[i]) != 0)
			known++;
		else if (all_known)
			return nc_seterr(err, errsz, "unknown cipher id %u",
			    ids[i]);
	}
	if (known == 0)
		return nc_seterr(err, errsz, "no known cipher among %zu ids", n);
	return 0;
}

/* An RSA key of 2048..16384 bits; its modulus size goes to *modlen. */
int
hs_check_rsa(EVP_PKEY *pk, size_t *modlen, char *err, size_t errsz)
{
	int	bits = nc_rsa_bits(pk), size;

	if (bits < NC_RSA_MIN_BITS || bits > NC_RSA_MAX_BITS)
		return nc_seterr(err, errsz, "RSA key of %d bits, %d to %d "
		    "allowed", bits, NC_RSA_MIN_BITS, NC_RSA_MAX_BITS);
	size = EVP_PKEY_get_size(pk);
	if (size <= 0 || (size_t)size > KH_BLOB_MAX)
		return nc_seterr(err, errsz, "RSA key of %d bytes", size);
	*modlen = (size_t)size;
	return 0;
}

/*
 * Parse an RSA SPKI and insist on its canonical DER: the fingerprint,
 * which is what peers are pinned by, is then a function of the key and
 * not of one of its encodings.
 */
static EVP_PKEY *
parse_spki_der(const uint8_t *spki, size_t len, char *err, size_t errsz)
{
	EVP_PKEY	*pk;
	unsigned char	*der = NULL;
	int		 n;

	if ((pk = nc_pkey_from_spki(spki, len)) == NULL) {
		ERR_clear_error();
		nc_seterr(err, errsz, "key is not an RSA public key in SPKI DER");
		return NULL;
	}
	n = i2d_PUBKEY(pk, &der);
	if (n <= 0 || (size_t)n != len || memcmp(der, spki, len) != 0) {
		OPENSSL_free(der);
		EVP_PKEY_free(pk);
		ERR_clear_error();
		nc_seterr(err, errsz, "key is not in canonical DER");
		return NULL;
	}
	OPENSSL_free(der);
	return pk;
}

/*
 * The same keys come back on every link: ours in each hs_new() and each
 * pinned peer's in its HELLO, and decoding plus re-encoding one costs
 * about 100 us with OpenSSL 3's decoders, more than the rest of a
 * handshake but the RSA operation.  So the last few keys that parsed
 * are kept, keyed by their exact bytes: a hit is the very encoding that
 * was checked before, and anything else is parsed and checked as ever.
 * Public keys only; the daemon is single-threaded.
 */
#define SPKI_CACHE_N	8

static struct {
	EVP_PKEY	*pk;
	size_t		 len;
	uint8_t		 der[NC_SPKI_MAX];
} spki_cache[SPKI_CACHE_N];
static size_t	spki_cache_next;

EVP_PKEY *
hs_parse_spki(const uint8_t *spki, size_t len, char *err, size_t errsz)
{
	EVP_PKEY	*pk;
	size_t		 i;

	for (i = 0; i < SPKI_CACHE_N; i++)
		if (spki_cache[i].pk != NULL && spki_cache[i].len == len &&
		    memcmp(spki_cache[i].der, spki, len) == 0 &&
		    EVP_PKEY_up_ref(spki_cache[i].pk) == 1)
			return spki_cache[i].pk;
	if ((pk = parse_spki_der(spki, len, err, errsz)) == NULL)
		return NULL;
	if (len <= NC_SPKI_MAX && EVP_PKEY_up_ref(pk) == 1) {
		i = spki_cache_next++ % SPKI_CACHE_N;
		EVP_PKEY_free(spki_cache[i].pk);
		spki_cache[i].pk = pk;
		spki_cache[i].len = len;
		memcpy(spki_cache[i].der, spki, len);
	}
	return pk;
}

/* ---- HELLO ---------------------------------------------------------- */

/* The next n bytes, or NULL with the field that runs past the end. */
static const uint8_t *
take(struct reader *r, size_t n, const char *what, char *err, size_t errsz)
{
	size_t		 left = r->left;
	const uint8_t	*p;

	if ((p = rd_bytes(r, n)) == NULL)
		nc_seterr(err, errsz, "HELLO: %s of %zu bytes runs past the end "
		    "(%zu left)", what, n, left);
	return p;
}

/*
 * Record framing of a plaintext record of the given type: the len field
 * must be in range and exactly cover the bytes given.  r is left at the
 * body.
 */
static int
plain_frame(struct reader *r, const uint8_t *rec, size_t len, uint8_t type,
    const char *what, char *err, size_t errsz)
{
	uint32_t	reclen;
	uint8_t		t;

	rd_init(r, NULL, 0);	/* never left unset, whatever the outcome */
	if (rec == NULL || len < NC_REC_HDRLEN + 1)
		return nc_seterr(err, errsz, "%s: record of %zu bytes is too "
		    "short", what, len);
	rd_init(r, rec, len);
	reclen = rd_u32(r);
	if (reclen > WIRE_PLAIN_MAX)
		return nc_seterr(err, errsz, "%s: length %u over the limit of %d",
		    what, reclen, WIRE_PLAIN_MAX);
	if (reclen != len - NC_REC_HDRLEN)
		return nc_seterr(err, errsz, "%s: length field %u, but %zu bytes "
		    "follow it", what, reclen, len - NC_REC_HDRLEN);
	if ((t = rd_u8(r)) != type)
		return nc_seterr(err, errsz, "%s: record type %u, expected %u",
		    what, t, type);
	return 0;
}

/* Everything up to the key (not included); h was wiped by the caller. */
static int
hello_fields(struct reader *r, struct hs_hello_info *h, char *err,
    size_t errsz)
{
	const uint8_t	*p;
	uint8_t		 version, namelen;
	char		 why[128];

	if ((p = take(r, HELLO_FIXED, "fixed part", err, errsz)) == NULL)
		return -1;
	if (memcmp(p, WIRE_MAGIC, 4) != 0)
		return nc_seterr(err, errsz, "HELLO: bad magic %02x%02x%02x%02x",
		    p[0], p[1], p[2], p[3]);
	version = p[4];
	if (version < WIRE_VERSION_MIN || version > WIRE_VERSION)
		return nc_seterr(err, errsz, "HELLO: protocol version %u, we "
		    "speak %d", version, WIRE_VERSION);
	h->version = version;
	h->role = p[5];
	if (h->role != WIRE_ROLE_INITIATOR && h->role != WIRE_ROLE_RESPONDER)
		return nc_seterr(err, errsz, "HELLO: role %u", h->role);
	p += 6;
	memcpy(h->random, p, HS_RANDOM_LEN);
	memcpy(h->epoch, p + HS_RANDOM_LEN, HS_EPOCH_LEN);
	memcpy(h->x25519, p + HS_RANDOM_LEN + HS_EPOCH_LEN, NC_X25519_LEN);

	if ((p = take(r, 1, "cipher count", err, errsz)) == NULL)
		return -1;
	h->nciphers = p[0];
	if (h->nciphers > HS_NCIPHER_MAX)
		return nc_seterr(err, errsz, "HELLO: %u cipher ids, 1 to %d "
		    "allowed", h->nciphers, HS_NCIPHER_MAX);
	if ((p = take(r, h->nciphers, "cipher list", err, errsz)) == NULL)
		return -1;
	memcpy(h->ciphers, p, h->nciphers);
	if (hs_check_ciphers(h->ciphers, h->nciphers, 0, why, sizeof(why)) == -1)
		return nc_seterr(err, errsz, "HELLO: %s", why);

	if ((p = take(r, 1, "name length", err, errsz)) == NULL)
		return -1;
	namelen = p[0];
	if ((p = take(r, namelen, "name", err, errsz)) == NULL)
		return -1;
	if (hs_check_name(p, namelen, why, sizeof(why)) == -1)
		return nc_seterr(err, errsz, "HELLO: %s", why);
	memcpy(h->name, p, namelen);
	h->name[namelen] = '\0';
	return 0;
}

/* The whole HELLO; on success *keyp (if asked for) holds the key. */
int
hs_hello_parse(const uint8_t *rec, size_t len, struct hs_hello_info *h,
    EVP_PKEY **keyp, char *err, size_t errsz)
{
	struct reader	 r;
	const uint8_t	*p;
	EVP_PKEY	*pk;
	size_t		 modlen;
	uint16_t	 keylen;
	char		 why[128];

	if (keyp != NULL)
		*keyp = NULL;
	memset(h, 0, sizeof(*h));
	if (plain_frame(&r, rec, len, REC_HELLO, "HELLO", err, errsz) == -1 ||
	    hello_fields(&r, h, err, errsz) == -1)
		return -1;

	if ((p = take(&r, 2, "key length", err, errsz)) == NULL)
		return -1;
	keylen = (uint16_t)(p[0] << 8 | p[1]);
	if (keylen == 0 || keylen > NC_SPKI_MAX)
		return nc_seterr(err, errsz, "HELLO: key of %u bytes, 1 to %d "
		    "allowed", keylen, NC_SPKI_MAX);
	if ((p = take(&r, keylen, "key", err, errsz)) == NULL)
		return -1;
	if (r.left != 0)
		return nc_seterr(err, errsz, "HELLO: %zu byte(s) after the key",
		    r.left);
	/* Set before the key is looked at, so that a refusal can log it. */
	memcpy(h->spki, p, keylen);
	h->spkilen = keylen;
	if (nc_sha256(h->spki, h->spkilen, h->fp) == -1)
		return nc_seterr(err, errsz, "HELLO: SHA-256 failed");

	if ((pk = hs_parse_spki(h->spki, h->spkilen, why, sizeof(why))) == NULL)
		return nc_seterr(err, errsz, "HELLO: %s", why);
	h->rsa_bits = nc_rsa_bits(pk);
	if (hs_check_rsa(pk, &modlen, why, sizeof(why)) == -1) {
		EVP_PKEY_free(pk);
		return nc_seterr(err, errsz, "HELLO: %s", why);
	}
	if (keyp != NULL)
		*keyp = pk;
	else
		EVP_PKEY_free(pk);
	return 0;
}

int
hs_parse_hello(const uint8_t *rec, size_t len, struct hs_hello_info *out,
    char *err, size_t errsz)
{
	return hs_hello_parse(rec, len, out, NULL, err, errsz);
}

int
hs_build_hello(const struct hs_hello_info *in, uint8_t *out, size_t outsz,
    size_t *outlen, char *err, size_t errsz)
{
	size_t	namelen, total;
	uint8_t	*p;
	char	why[128];

	namelen = strnlen(in->name, sizeof(in->name));
	if (in->role != WIRE_ROLE_INITIATOR && in->role != WIRE_ROLE_RESPONDER)
		return nc_seterr(err, errsz, "HELLO: role %u", in->role);
	if (in->version > WIRE_VERSION)
		return nc_seterr(err, errsz, "HELLO: version %u", in->version);
	if (hs_check_ciphers(in->ciphers, in->nciphers, 0, why,
	    sizeof(why)) == -1 ||
	    hs_check_name((const uint8_t *)in->name, namelen, why,
	    sizeof(why)) == -1)
		return nc_seterr(err, errsz, "HELLO: %s", why);
	if (in->spkilen == 0 || in->spkilen > NC_SPKI_MAX)
		return nc_seterr(err, errsz, "HELLO: key of %zu bytes, 1 to %d "
		    "allowed", in->spkilen, NC_SPKI_MAX);
	total = NC_REC_HDRLEN + 1 + HELLO_FIXED + 1 + in->nciphers + 1 +
	    namelen + 2 + in->spkilen;
	if (total > outsz)
		return nc_seterr(err, errsz, "HELLO: %zu bytes do not fit in %zu",
		    total, outsz);

	p = out;
	put_u32(p, (uint32_t)(total - NC_REC_HDRLEN));
	p += NC_REC_HDRLEN;
	*p++ = REC_HELLO;
	memcpy(p, WIRE_MAGIC, 4);
	p += 4;
	*p++ = in->version != 0 ? in->version : WIRE_VERSION;
	*p++ = in->role;
	memcpy(p, in->random, HS_RANDOM_LEN);
	p += HS_RANDOM_LEN;
	memcpy(p, in->epoch, HS_EPOCH_LEN);
	p += HS_EPOCH_LEN;
	memcpy(p, in->x25519, NC_X25519_LEN);
	p += NC_X25519_LEN;
	*p++ = in->nciphers;
	memcpy(p, in->ciphers, in->nciphers);
	p += in->nciphers;
	*p++ = (uint8_t)namelen;
	memcpy(p, in->name, namelen);
	p += namelen;
	put_u16(p, (uint16_t)in->spkilen);
	p += 2;
	memcpy(p, in->spki, in->spkilen);
	*outlen = total;
	return 0;
}

/* ---- KEY ------------------------------------------------------------ */

int
hs_parse_key(const uint8_t *rec, size_t len, size_t modlen,
    const uint8_t **blob, char *err, size_t errsz)
{
	struct reader	r;

	if (modlen == 0 || modlen > KH_BLOB_MAX)
		return nc_seterr(err, errsz, "KEY: bad modulus size %zu", modlen);
	if (plain_frame(&r, rec, len, REC_KEY, "KEY", err, errsz) == -1)
		return -1;
	if (r.left != modlen)
		return nc_seterr(err, errsz, "KEY: blob of %zu bytes, the modulus "
		    "has %zu", r.left, modlen);
	*blob = r.p;
	return 0;
}
