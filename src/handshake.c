/*
 * The handshake of the peer link (PROTOCOL.md 5), as a state machine that
 * only sees whole records: no sockets, no event loop, no private key.
 *
 * Everything from the peer is checked before it is used, and the HELLO
 * completely (key included) before anything costly or secret is done
 * for it.  The RSA private key lives in the key-holder; this side only
 * wraps to the peer's public key and receives u for the peer's secret.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "handshake.h"
#include "ipc.h"
#include "record.h"
#include "resume.h"
#include "wire.h"

/* The key-holder and the wire number roles alike; keep it so. */
_Static_assert(KH_ROLE_INITIATOR == WIRE_ROLE_INITIATOR &&
    KH_ROLE_RESPONDER == WIRE_ROLE_RESPONDER, "role numbers differ");
_Static_assert(HS_NCIPHER_MAX == NC_CIPHER_MAX, "cipher count");
_Static_assert(HS_HELLO_MAX <= NC_REC_HDRLEN + WIRE_PLAIN_MAX,
    "a valid HELLO must fit a plaintext record");
_Static_assert(HS_KEY_MAX <= NC_REC_HDRLEN + WIRE_PLAIN_MAX,
    "a KEY must fit a plaintext record");

/* HELLO up to the cipher list: magic, version, role, random, epoch, x25519. */
#define HELLO_FIXED	(4 + 1 + 1 + HS_RANDOM_LEN + HS_EPOCH_LEN + \
			NC_X25519_LEN)
#define KEY_HDRLEN	(NC_REC_HDRLEN + 1)

enum hs_state {
	HS_WAIT_HELLO,		/* our HELLO is out; the peer's is next */
	HS_MAKE_KEY,		/* HELLO accepted; our KEY is next */
	HS_WAIT_KEY,		/* our KEY is out; the peer's is next */
	HS_WAIT_UNWRAP,		/* the key-holder works on the peer's KEY */
	HS_WAIT_FINISHED,	/* our FINISHED is out; the peer's is next */
	HS_DONE,		/* the peer is authenticated */
	HS_TAKEN,		/* the record layer was handed over */
	HS_FAILED
};

static const char *const state_names[] = {
	"waiting for HELLO", "HELLO accepted", "waiting for KEY",
	"waiting for the key-holder", "waiting for FINISHED", "done",
	"handed over", "failed"
};

/* Records are kept by role, [0] the initiator's: transcript order. */
#define IX_I	0
#define IX_R	1

struct handshake {
	enum hs_state	 state;
	uint8_t		 role;
	uint8_t		 cipher;
	uint8_t		 ciphers[HS_NCIPHER_MAX];
	uint8_t		 nciphers;
	int		 have_th1, have_th2;
	int		 fixed_secret, fixed_key;

	EVP_PKEY	*ourkey;	/* public: to spot a reflected HELLO */
	size_t		 modlen;	/* ours: the size of the peer's blob */
	EVP_PKEY	*peerkey;

	EVP_PKEY	*xkey;		/* our ephemeral X25519 key */
	uint8_t		 xpeer[NC_X25519_LEN];
	uint8_t		 secret[NC_SECRET_LEN];
	uint8_t		 u_own[NC_SHA256_LEN];
	uint8_t		 fin_peer[NC_FIN_LEN];
	uint8_t		 th1[NC_SHA256_LEN];
	uint8_t		 th2[NC_SHA256_LEN];
	uint8_t		 version;
	uint8_t		 resume[RESUME_SECRET_LEN];
	int		 have_resume;

	uint8_t		 hello[2][HS_HELLO_MAX];
	size_t		 hellolen[2];
	uint8_t		 key[2][HS_KEY_MAX];
	size_t		 keylen[2];
	uint8_t		 finished[HS_FINISHED_LEN];
	size_t		 finishedlen;

	struct nc_aead	 send;
	struct nc_aead	 recv;
};

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Write a reason into err (when there is one); always -1. */
static int
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A failure kills the handshake: no later call may succeed. */
static int
hs_dead(struct handshake *hs)
{
	hs->state = HS_FAILED;
	return -1;
}

static int
hs_expect(struct handshake *hs, enum hs_state want, const char *call,
    char *err, size_t errsz)
{
	if (hs == NULL)
		return seterr(err, errsz, "%s: no handshake", call);
	if (hs->state == want)
		return 0;
	if (hs->state == HS_FAILED)
		seterr(err, errsz, "%s: the handshake has failed", call);
	else
		seterr(err, errsz, "%s: out of order (state: %s; needs: %s)",
		    call, state_names[hs->state], state_names[want]);
	return hs_dead(hs);
}

static int
own_ix(const struct handshake *hs)
{
	return hs->role == WIRE_ROLE_INITIATOR ? IX_I : IX_R;
}

static int
peer_ix(const struct handshake *hs)
{
	return hs->role == WIRE_ROLE_INITIATOR ? IX_R : IX_I;
}

/* ---- Field checks shared by the parser, the builder and hs_new ----- */

/* [A-Za-z0-9._-]{1,64}, as for session names (SESSIONS.md 2). */
static int
check_name(const uint8_t *name, size_t len, char *err, size_t errsz)
{
	size_t	i;
	uint8_t	c;

	if (len == 0 || len > WIRE_NAME_MAX)
		return seterr(err, errsz, "name of %zu bytes, 1 to %d allowed",
		    len, WIRE_NAME_MAX);
	for (i = 0; i < len; i++) {
		c = name[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		return seterr(err, errsz, "name has byte 0x%02x at offset %zu, "
		    "only [A-Za-z0-9._-] allowed", c, i);
	}
	return 0;
}

/*
 * 1..HS_NCIPHER_MAX ids, none twice.  A peer may list ids we do not
 * know (they never get selected) but must list one we do; our own list
 * (all_known) must be made of known ids only.
 */
static int
check_ciphers(const uint8_t *ids, size_t n, int all_known, char *err,
    size_t errsz)
{
	size_t	i, j, known = 0;

	if (n == 0 || n > HS_NCIPHER_MAX)
		return seterr(err, errsz, "%zu cipher ids, 1 to %d allowed",
		    n, HS_NCIPHER_MAX);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return seterr(err, errsz, "cipher id %u listed "
				    "twice", ids[i]);
		if (nc_cipher_keylen(ids[i]) != 0)
			known++;
		else if (all_known)
			return seterr(err, errsz, "unknown cipher id %u",
			    ids[i]);
	}
	if (known == 0)
		return seterr(err, errsz, "no known cipher among %zu ids", n);
	return 0;
}

/* An RSA key of 2048..16384 bits; its modulus size goes to *modlen. */
static int
check_rsa(EVP_PKEY *pk, size_t *modlen, char *err, size_t errsz)
{
	int	bits = nc_rsa_bits(pk), size;

	if (bits < NC_RSA_MIN_BITS || bits > NC_RSA_MAX_BITS)
		return seterr(err, errsz, "RSA key of %d bits, %d to %d "
		    "allowed", bits, NC_RSA_MIN_BITS, NC_RSA_MAX_BITS);
	size = EVP_PKEY_get_size(pk);
	if (size <= 0 || (size_t)size > KH_BLOB_MAX)
		return seterr(err, errsz, "RSA key of %d bytes", size);
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
		seterr(err, errsz, "key is not an RSA public key in SPKI DER");
		return NULL;
	}
	n = i2d_PUBKEY(pk, &der);
	if (n <= 0 || (size_t)n != len || memcmp(der, spki, len) != 0) {
		OPENSSL_free(der);
		EVP_PKEY_free(pk);
		ERR_clear_error();
		seterr(err, errsz, "key is not in canonical DER");
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

static EVP_PKEY *
parse_spki(const uint8_t *spki, size_t len, char *err, size_t errsz)
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
		seterr(err, errsz, "HELLO: %s of %zu bytes runs past the end "
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
		return seterr(err, errsz, "%s: record of %zu bytes is too "
		    "short", what, len);
	rd_init(r, rec, len);
	reclen = rd_u32(r);
	if (reclen > WIRE_PLAIN_MAX)
		return seterr(err, errsz, "%s: length %u over the limit of %d",
		    what, reclen, WIRE_PLAIN_MAX);
	if (reclen != len - NC_REC_HDRLEN)
		return seterr(err, errsz, "%s: length field %u, but %zu bytes "
		    "follow it", what, reclen, len - NC_REC_HDRLEN);
	if ((t = rd_u8(r)) != type)
		return seterr(err, errsz, "%s: record type %u, expected %u",
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
		return seterr(err, errsz, "HELLO: bad magic %02x%02x%02x%02x",
		    p[0], p[1], p[2], p[3]);
	version = p[4];
	if (version < WIRE_VERSION_MIN || version > WIRE_VERSION)
		return seterr(err, errsz, "HELLO: protocol version %u, we "
		    "speak %d", version, WIRE_VERSION);
	h->version = version;
	h->role = p[5];
	if (h->role != WIRE_ROLE_INITIATOR && h->role != WIRE_ROLE_RESPONDER)
		return seterr(err, errsz, "HELLO: role %u", h->role);
	p += 6;
	memcpy(h->random, p, HS_RANDOM_LEN);
	memcpy(h->epoch, p + HS_RANDOM_LEN, HS_EPOCH_LEN);
	memcpy(h->x25519, p + HS_RANDOM_LEN + HS_EPOCH_LEN, NC_X25519_LEN);

	if ((p = take(r, 1, "cipher count", err, errsz)) == NULL)
		return -1;
	h->nciphers = p[0];
	if (h->nciphers > HS_NCIPHER_MAX)
		return seterr(err, errsz, "HELLO: %u cipher ids, 1 to %d "
		    "allowed", h->nciphers, HS_NCIPHER_MAX);
	if ((p = take(r, h->nciphers, "cipher list", err, errsz)) == NULL)
		return -1;
	memcpy(h->ciphers, p, h->nciphers);
	if (check_ciphers(h->ciphers, h->nciphers, 0, why, sizeof(why)) == -1)
		return seterr(err, errsz, "HELLO: %s", why);

	if ((p = take(r, 1, "name length", err, errsz)) == NULL)
		return -1;
	namelen = p[0];
	if ((p = take(r, namelen, "name", err, errsz)) == NULL)
		return -1;
	if (check_name(p, namelen, why, sizeof(why)) == -1)
		return seterr(err, errsz, "HELLO: %s", why);
	memcpy(h->name, p, namelen);
	h->name[namelen] = '\0';
	return 0;
}

/* The whole HELLO; on success *keyp (if asked for) holds the key. */
static int
hello_parse(const uint8_t *rec, size_t len, struct hs_hello_info *h,
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
		return seterr(err, errsz, "HELLO: key of %u bytes, 1 to %d "
		    "allowed", keylen, NC_SPKI_MAX);
	if ((p = take(&r, keylen, "key", err, errsz)) == NULL)
		return -1;
	if (r.left != 0)
		return seterr(err, errsz, "HELLO: %zu byte(s) after the key",
		    r.left);
	/* Set before the key is looked at, so that a refusal can log it. */
	memcpy(h->spki, p, keylen);
	h->spkilen = keylen;
	if (nc_sha256(h->spki, h->spkilen, h->fp) == -1)
		return seterr(err, errsz, "HELLO: SHA-256 failed");

	if ((pk = parse_spki(h->spki, h->spkilen, why, sizeof(why))) == NULL)
		return seterr(err, errsz, "HELLO: %s", why);
	h->rsa_bits = nc_rsa_bits(pk);
	if (check_rsa(pk, &modlen, why, sizeof(why)) == -1) {
		EVP_PKEY_free(pk);
		return seterr(err, errsz, "HELLO: %s", why);
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
	return hello_parse(rec, len, out, NULL, err, errsz);
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
		return seterr(err, errsz, "HELLO: role %u", in->role);
	if (in->version > WIRE_VERSION)
		return seterr(err, errsz, "HELLO: version %u", in->version);
	if (check_ciphers(in->ciphers, in->nciphers, 0, why,
	    sizeof(why)) == -1 ||
	    check_name((const uint8_t *)in->name, namelen, why,
	    sizeof(why)) == -1)
		return seterr(err, errsz, "HELLO: %s", why);
	if (in->spkilen == 0 || in->spkilen > NC_SPKI_MAX)
		return seterr(err, errsz, "HELLO: key of %zu bytes, 1 to %d "
		    "allowed", in->spkilen, NC_SPKI_MAX);
	total = NC_REC_HDRLEN + 1 + HELLO_FIXED + 1 + in->nciphers + 1 +
	    namelen + 2 + in->spkilen;
	if (total > outsz)
		return seterr(err, errsz, "HELLO: %zu bytes do not fit in %zu",
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
		return seterr(err, errsz, "KEY: bad modulus size %zu", modlen);
	if (plain_frame(&r, rec, len, REC_KEY, "KEY", err, errsz) == -1)
		return -1;
	if (r.left != modlen)
		return seterr(err, errsz, "KEY: blob of %zu bytes, the modulus "
		    "has %zu", r.left, modlen);
	*blob = r.p;
	return 0;
}

/* ---- The handshake object ------------------------------------------ */

/* The configuration as hs_new() needs it; *namelen gets the name's. */
static int
config_check(const struct hs_config *cfg, size_t *namelen)
{
	if (cfg->role != WIRE_ROLE_INITIATOR &&
	    cfg->role != WIRE_ROLE_RESPONDER)
		return -1;
	if (cfg->name == NULL || cfg->ciphers == NULL || cfg->spki == NULL)
		return -1;
	*namelen = strnlen(cfg->name, WIRE_NAME_MAX + 1);
	if (check_name((const uint8_t *)cfg->name, *namelen, NULL, 0) == -1 ||
	    check_ciphers(cfg->ciphers, cfg->nciphers, 1, NULL, 0) == -1)
		return -1;
	return 0;
}

/* Our key, random and X25519 share, then our HELLO. */
static int
hs_setup(struct handshake *hs, const struct hs_config *cfg,
    const struct hs_fixed *fx, size_t namelen)
{
	struct hs_hello_info	*h;
	uint8_t			 xpriv[NC_X25519_LEN];
	int			 rv = -1;

	if ((hs->ourkey = parse_spki(cfg->spki, cfg->spkilen, NULL,
	    0)) == NULL || check_rsa(hs->ourkey, &hs->modlen, NULL, 0) == -1)
		return -1;
	/* Big (the SPKI buffer): not on the stack. */
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	h->role = cfg->role;
	h->version = hs->version;
	memcpy(h->epoch, cfg->epoch, HS_EPOCH_LEN);
	memcpy(h->ciphers, cfg->ciphers, cfg->nciphers);
	h->nciphers = cfg->nciphers;
	memcpy(h->name, cfg->name, namelen);
	memcpy(h->spki, cfg->spki, cfg->spkilen);
	h->spkilen = cfg->spkilen;
	if (fx != NULL) {
		memcpy(h->random, fx->random, HS_RANDOM_LEN);
		memcpy(xpriv, fx->x25519, NC_X25519_LEN);
	} else if (RAND_bytes(h->random, HS_RANDOM_LEN) != 1 ||
	    RAND_priv_bytes(xpriv, NC_X25519_LEN) != 1)
		goto out;
	if ((hs->xkey = nc_x25519_key(xpriv, h->x25519)) == NULL ||
	    (cfg->resume != NULL && resume_tag(cfg->resume, h->random,
	    h->epoch, h->x25519, h->random + WIRE_RESUME_NONCE) == -1) ||
	    hs_build_hello(h, hs->hello[own_ix(hs)], HS_HELLO_MAX,
	    &hs->hellolen[own_ix(hs)], NULL, 0) == -1)
		goto out;
	rv = 0;
 out:
	OPENSSL_cleanse(xpriv, sizeof(xpriv));
	free(h);
	return rv;
}

/* A fixed secret and KEY record (tests); the record is checked later. */
static int
hs_setup_fixed(struct handshake *hs, const struct hs_fixed *fx)
{
	memcpy(hs->secret, fx->secret, NC_SECRET_LEN);
	hs->fixed_secret = 1;
	if (fx->keyrec == NULL)
		return 0;
	if (fx->keyreclen > HS_KEY_MAX)
		return -1;
	memcpy(hs->key[own_ix(hs)], fx->keyrec, fx->keyreclen);
	hs->keylen[own_ix(hs)] = fx->keyreclen;
	hs->fixed_key = 1;
	return 0;
}

struct handshake *
hs_new_fixed(const struct hs_config *cfg, const struct hs_fixed *fx)
{
	struct handshake	*hs;
	size_t			 namelen = 0;

	/* No reason is returned: each of these is a bug of the caller. */
	if (cfg == NULL || config_check(cfg, &namelen) == -1)
		return NULL;
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return NULL;
	hs->role = cfg->role;
	hs->version = cfg->version != 0 ? cfg->version : WIRE_VERSION;
	memcpy(hs->ciphers, cfg->ciphers, cfg->nciphers);
	hs->nciphers = cfg->nciphers;
	if (hs_setup(hs, cfg, fx, namelen) == -1 ||
	    (fx != NULL && hs_setup_fixed(hs, fx) == -1)) {
		hs_free(hs);
		return NULL;
	}
	hs->state = HS_WAIT_HELLO;
	return hs;
}

struct handshake *
hs_new(const struct hs_config *cfg)
{
	return hs_new_fixed(cfg, NULL);
}

void
hs_free(struct handshake *hs)
{
	if (hs == NULL)
		return;
	nc_aead_clear(&hs->send);
	nc_aead_clear(&hs->recv);
	EVP_PKEY_free(hs->ourkey);
	EVP_PKEY_free(hs->peerkey);
	EVP_PKEY_free(hs->xkey);	/* OpenSSL wipes the private half */
	OPENSSL_cleanse(hs, sizeof(*hs));
	free(hs);
}

const uint8_t *
hs_hello_record(const struct handshake *hs, size_t *len)
{
	*len = hs->hellolen[own_ix(hs)];
	return hs->hello[own_ix(hs)];
}

int
hs_recv_hello(struct handshake *hs, const uint8_t *rec, size_t len,
    struct hs_hello_info *out, char *err, size_t errsz)
{
	const void	*bufs[2];
	size_t		 lens[2];
	EVP_PKEY	*pk;
	uint8_t		 cipher;

	if (hs_expect(hs, HS_WAIT_HELLO, "HELLO", err, errsz) == -1) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (hello_parse(rec, len, out, &pk, err, errsz) == -1)
		return hs_dead(hs);
	hs->peerkey = pk;	/* freed with hs, whatever happens next */
	if (out->version != hs->version) {
		seterr(err, errsz, "HELLO: link protocol version %u (%s); this "
		    "daemon speaks version %u only", out->version,
		    out->version < hs->version ? "an older netcryptd: upgrade "
		    "it" : "a newer netcryptd", hs->version);
		return hs_dead(hs);
	}
	if (out->role == hs->role) {
		seterr(err, errsz, "HELLO: the peer claims our role (%s)",
		    hs->role == WIRE_ROLE_INITIATOR ? "initiator" :
		    "responder");
		return hs_dead(hs);
	}
	/* Our own HELLO sent back to us, or a peer holding our key. */
	if (EVP_PKEY_eq(hs->ourkey, pk) == 1) {
		seterr(err, errsz, "HELLO: the peer presents our own key");
		return hs_dead(hs);
	}
	if (hs->role == WIRE_ROLE_INITIATOR)
		cipher = nc_cipher_select(hs->ciphers, hs->nciphers,
		    out->ciphers, out->nciphers);
	else
		cipher = nc_cipher_select(out->ciphers, out->nciphers,
		    hs->ciphers, hs->nciphers);
	if (cipher == 0) {
		seterr(err, errsz, "HELLO: no cipher in common");
		return hs_dead(hs);
	}

	/* Kept as received: the transcript covers the bytes on the wire. */
	if (len > sizeof(hs->hello[0])) {	/* the parser saw to it */
		seterr(err, errsz, "HELLO: record of %zu bytes", len);
		return hs_dead(hs);
	}
	memcpy(hs->hello[peer_ix(hs)], rec, len);
	hs->hellolen[peer_ix(hs)] = len;
	memcpy(hs->xpeer, out->x25519, NC_X25519_LEN);
	bufs[0] = hs->hello[IX_I];
	lens[0] = hs->hellolen[IX_I];
	bufs[1] = hs->hello[IX_R];
	lens[1] = hs->hellolen[IX_R];
	if (nc_sha256v(bufs, lens, 2, hs->th1) == -1) {
		seterr(err, errsz, "HELLO: SHA-256 failed");
		return hs_dead(hs);
	}
	hs->have_th1 = 1;
	hs->cipher = cipher;
	hs->state = HS_MAKE_KEY;
	return 0;
}

/* KEY = u32 len | 2 | RSA-OAEP(peer key, label by our role || th1, secret) */
static int
wrap_secret(struct handshake *hs, char *err, size_t errsz)
{
	uint8_t	 label[64];
	uint8_t	*rec = hs->key[own_ix(hs)];
	size_t	 labellen, bloblen = 0;
	int	 size = EVP_PKEY_get_size(hs->peerkey);

	if (nc_oaep_label(hs->role, hs->th1, label, sizeof(label),
	    &labellen) == -1 ||
	    nc_oaep_wrap(hs->peerkey, label, labellen, hs->secret,
	    NC_SECRET_LEN, rec + KEY_HDRLEN, HS_KEY_MAX - KEY_HDRLEN,
	    &bloblen) == -1 || size <= 0 || bloblen != (size_t)size)
		return seterr(err, errsz, "KEY: RSA-OAEP wrap failed");
	put_u32(rec, (uint32_t)(1 + bloblen));
	rec[NC_REC_HDRLEN] = REC_KEY;
	hs->keylen[own_ix(hs)] = KEY_HDRLEN + bloblen;
	return 0;
}

int
hs_make_key(struct handshake *hs, const uint8_t **rec, size_t *len,
    char *err, size_t errsz)
{
	const uint8_t	*blob;
	int		 rv;

	if (hs_expect(hs, HS_MAKE_KEY, "make KEY", err, errsz) == -1)
		return -1;
	if (!hs->fixed_secret &&
	    RAND_priv_bytes(hs->secret, NC_SECRET_LEN) != 1) {
		seterr(err, errsz, "KEY: no random bytes");
		return hs_dead(hs);
	}
	if (nc_derive_u(hs->secret, hs->th1, hs->role, hs->u_own) == -1)
		rv = seterr(err, errsz, "KEY: HKDF failed");
	else if (hs->fixed_key)
		rv = hs_parse_key(hs->key[own_ix(hs)], hs->keylen[own_ix(hs)],
		    (size_t)EVP_PKEY_get_size(hs->peerkey), &blob, err, errsz);
	else
		rv = wrap_secret(hs, err, errsz);
	/* The secret is in u and in the blob now: nowhere else. */
	OPENSSL_cleanse(hs->secret, sizeof(hs->secret));
	if (rv == -1)
		return hs_dead(hs);
	*rec = hs->key[own_ix(hs)];
	*len = hs->keylen[own_ix(hs)];
	hs->state = HS_WAIT_KEY;
	return 0;
}

int
hs_recv_key(struct handshake *hs, const uint8_t *rec, size_t len,
    struct kh_unwrap_req *req, const uint8_t **blob, size_t *bloblen,
    char *err, size_t errsz)
{
	const uint8_t	*b;
	uint8_t		*copy;

	if (hs == NULL || hs_expect(hs, HS_WAIT_KEY, "KEY", err, errsz) == -1)
		return -1;
	copy = hs->key[peer_ix(hs)];
	/* It was wrapped to our key: our modulus size, exactly. */
	if (hs_parse_key(rec, len, hs->modlen, &b, err, errsz) == -1)
		return hs_dead(hs);
	memcpy(copy, rec, len);
	hs->keylen[peer_ix(hs)] = len;
	memset(req, 0, sizeof(*req));
	req->role = hs->role == WIRE_ROLE_INITIATOR ? KH_ROLE_RESPONDER :
	    KH_ROLE_INITIATOR;
	memcpy(req->th1, hs->th1, NC_SHA256_LEN);
	*blob = copy + KEY_HDRLEN;
	*bloblen = len - KEY_HDRLEN;
	hs->state = HS_WAIT_UNWRAP;
	return 0;
}

/* th2 = SHA-256(HELLO_I || HELLO_R || KEY_I || KEY_R), records as sent. */
static int
transcript2(struct handshake *hs)
{
	const void	*bufs[4];
	size_t		 lens[4];

	bufs[0] = hs->hello[IX_I];
	lens[0] = hs->hellolen[IX_I];
	bufs[1] = hs->hello[IX_R];
	lens[1] = hs->hellolen[IX_R];
	bufs[2] = hs->key[IX_I];
	lens[2] = hs->keylen[IX_I];
	bufs[3] = hs->key[IX_R];
	lens[3] = hs->keylen[IX_R];
	if (nc_sha256v(bufs, lens, 4, hs->th2) == -1)
		return -1;
	hs->have_th2 = 1;
	return 0;
}

/* Both directions and our FINISHED from the key schedule. */
static int
use_schedule(struct handshake *hs, const struct nc_keysched *ks, char *err,
    size_t errsz)
{
	uint8_t	mac[NC_FIN_LEN];
	int	initiator = hs->role == WIRE_ROLE_INITIATOR, rv = -1;

	if (nc_aead_init_ks(&hs->send, NC_AEAD_SEAL, ks,
	    initiator ? NC_DIR_I2R : NC_DIR_R2I) == -1 ||
	    nc_aead_init_ks(&hs->recv, NC_AEAD_OPEN, ks,
	    initiator ? NC_DIR_R2I : NC_DIR_I2R) == -1)
		return seterr(err, errsz, "FINISHED: cipher setup failed");
	memcpy(hs->fin_peer, initiator ? ks->fin_r : ks->fin_i, NC_FIN_LEN);
	if (nc_finished_mac(initiator ? ks->fin_i : ks->fin_r, hs->th2,
	    mac) == -1 ||
	    nc_record_seal(&hs->send, REC_FINISHED, mac, sizeof(mac),
	    hs->finished, sizeof(hs->finished), &hs->finishedlen) == -1)
		seterr(err, errsz, "FINISHED: sealing failed");
	else
		rv = 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rv;
}

int
hs_unwrapped(struct handshake *hs, const uint8_t u_peer[NC_SHA256_LEN],
    const uint8_t **fin, size_t *finlen, char *err, size_t errsz)
{
	struct nc_keysched	 ks;
	uint8_t			 dh[NC_X25519_LEN], prk[NC_SHA256_LEN];
	const uint8_t		*u_i, *u_r;
	int			 rv = -1;

	if (hs_expect(hs, HS_WAIT_UNWRAP, "unwrap", err, errsz) == -1)
		return -1;
	memset(&ks, 0, sizeof(ks));
	/* nc_x25519() refuses an all-zero result (a low-order share). */
	if (nc_x25519_derive(hs->xkey, hs->xpeer, dh) == -1) {
		seterr(err, errsz, "X25519 with the peer's share failed "
		    "(a low-order point?)");
		goto out;
	}
	if (transcript2(hs) == -1) {
		seterr(err, errsz, "SHA-256 failed");
		goto out;
	}
	/* u_I comes from the initiator's secret, whoever unwrapped it. */
	u_i = hs->role == WIRE_ROLE_INITIATOR ? hs->u_own : u_peer;
	u_r = hs->role == WIRE_ROLE_INITIATOR ? u_peer : hs->u_own;
	if (nc_key_schedule(hs->cipher, hs->th2, u_i, u_r, dh, &ks,
	    prk) == -1 || resume_secret(prk, hs->resume) == -1) {
		seterr(err, errsz, "key schedule failed");
		goto out;
	}
	hs->have_resume = 1;
	if (use_schedule(hs, &ks, err, errsz) == -1)
		goto out;
	*fin = hs->finished;
	*finlen = hs->finishedlen;
	rv = 0;
 out:
	/* Forward secrecy: the ephemeral key is of no more use. */
	EVP_PKEY_free(hs->xkey);
	hs->xkey = NULL;
	OPENSSL_cleanse(hs->u_own, sizeof(hs->u_own));
	OPENSSL_cleanse(dh, sizeof(dh));
	OPENSSL_cleanse(prk, sizeof(prk));
	nc_keysched_clear(&ks);
	if (rv == -1)
		return hs_dead(hs);
	hs->state = HS_WAIT_FINISHED;
	return 0;
}

int
hs_recv_finished(struct handshake *hs, const uint8_t *rec, size_t len,
    char *err, size_t errsz)
{
	uint8_t	body[NC_FIN_LEN], type = 0;
	size_t	bodylen = 0;
	int	rv = -1;

	if (hs_expect(hs, HS_WAIT_FINISHED, "FINISHED", err, errsz) == -1)
		return -1;
	if (rec == NULL || len != HS_FINISHED_LEN) {
		seterr(err, errsz, "FINISHED: record of %zu bytes, expected %d",
		    len, HS_FINISHED_LEN);
		return hs_dead(hs);
	}
	if (nc_record_open(&hs->recv, rec, len, &type, body, sizeof(body),
	    &bodylen) == -1)
		seterr(err, errsz, "FINISHED: record does not authenticate "
		    "(bad KEY, wrong key pair, or tampering)");
	else if (type != REC_FINISHED)
		seterr(err, errsz, "FINISHED: record type %u, expected %d",
		    type, REC_FINISHED);
	else if (nc_finished_verify(hs->fin_peer, hs->th2, body,
	    bodylen) == -1)
		seterr(err, errsz, "FINISHED: MAC does not verify");
	else
		rv = 0;
	OPENSSL_cleanse(body, sizeof(body));
	OPENSSL_cleanse(hs->fin_peer, sizeof(hs->fin_peer));
	if (rv == -1)
		return hs_dead(hs);
	hs->state = HS_DONE;
	return 0;
}

int
hs_take_aeads(struct handshake *hs, struct nc_aead *send,
    struct nc_aead *recv)
{
	if (hs_expect(hs, HS_DONE, "take", NULL, 0) == -1)
		return -1;
	/* A move: the contexts belong to the caller now. */
	*send = hs->send;
	*recv = hs->recv;
	OPENSSL_cleanse(&hs->send, sizeof(hs->send));
	OPENSSL_cleanse(&hs->recv, sizeof(hs->recv));
	hs->state = HS_TAKEN;
	return 0;
}

uint8_t
hs_cipher(const struct handshake *hs)
{
	return hs->cipher;
}

const uint8_t *
hs_th1(const struct handshake *hs)
{
	return hs->have_th1 ? hs->th1 : NULL;
}

const uint8_t *
hs_th2(const struct handshake *hs)
{
	return hs->have_th2 ? hs->th2 : NULL;
}

const uint8_t *
hs_resume_secret(const struct handshake *hs)
{
	return hs->have_resume ? hs->resume : NULL;
}
