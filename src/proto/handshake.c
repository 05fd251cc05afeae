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

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "crypto.h"
#include "handshake.h"
#include "hs_int.h"
#include "resume.h"
#include "unwrap.h"
#include "util.h"
#include "wire.h"

/* The key-holder and the wire number roles alike; keep it so. */
_Static_assert(KH_ROLE_INITIATOR == WIRE_ROLE_INITIATOR &&
    KH_ROLE_RESPONDER == WIRE_ROLE_RESPONDER, "role numbers differ");
_Static_assert(HS_NCIPHER_MAX == NC_CIPHER_MAX, "cipher count");
_Static_assert(HS_HELLO_MAX <= NC_REC_HDRLEN + WIRE_PLAIN_MAX,
    "a valid HELLO must fit a plaintext record");
_Static_assert(HS_KEY_MAX <= NC_REC_HDRLEN + WIRE_PLAIN_MAX,
    "a KEY must fit a plaintext record");


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
		return nc_seterr(err, errsz, "%s: no handshake", call);
	if (hs->state == want)
		return 0;
	if (hs->state == HS_FAILED)
		nc_seterr(err, errsz, "%s: the handshake has failed", call);
	else
		nc_seterr(err, errsz, "%s: out of order (state: %s; needs: %s)",
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
	if (hs_check_name((const uint8_t *)cfg->name, *namelen, NULL, 0) == -1 ||
	    hs_check_ciphers(cfg->ciphers, cfg->nciphers, 1, NULL, 0) == -1)
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

	if ((hs->ourkey = hs_parse_spki(cfg->spki, cfg->spkilen, NULL,
	    0)) == NULL || hs_check_rsa(hs->ourkey, &hs->modlen, NULL, 0) == -1)
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
	if (hs_hello_parse(rec, len, out, &pk, err, errsz) == -1)
		return hs_dead(hs);
	hs->peerkey = pk;	/* freed with hs, whatever happens next */
	if (out->version != hs->version) {
		nc_seterr(err, errsz, "HELLO: link protocol version %u (%s); this "
		    "daemon speaks version %u only", out->version,
		    out->version < hs->version ? "an older netcryptd: upgrade "
		    "it" : "a newer netcryptd", hs->version);
		return hs_dead(hs);
	}
	if (out->role == hs->role) {
		nc_seterr(err, errsz, "HELLO: the peer claims our role (%s)",
		    hs->role == WIRE_ROLE_INITIATOR ? "initiator" :
		    "responder");
		return hs_dead(hs);
	}
	/* Our own HELLO sent back to us, or a peer holding our key. */
	if (EVP_PKEY_eq(hs->ourkey, pk) == 1) {
		nc_seterr(err, errsz, "HELLO: the peer presents our own key");
		return hs_dead(hs);
	}
	if (hs->role == WIRE_ROLE_INITIATOR)
		cipher = nc_cipher_select(hs->ciphers, hs->nciphers,
		    out->ciphers, out->nciphers);
	else
		cipher = nc_cipher_select(out->ciphers, out->nciphers,
		    hs->ciphers, hs->nciphers);
	if (cipher == 0) {
		nc_seterr(err, errsz, "HELLO: no cipher in common");
		return hs_dead(hs);
	}

	/* Kept as received: the transcript covers the bytes on the wire. */
	if (len > sizeof(hs->hello[0])) {	/* the parser saw to it */
		nc_seterr(err, errsz, "HELLO: record of %zu bytes", len);
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
		nc_seterr(err, errsz, "HELLO: SHA-256 failed");
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
		return nc_seterr(err, errsz, "KEY: RSA-OAEP wrap failed");
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
		nc_seterr(err, errsz, "KEY: no random bytes");
		return hs_dead(hs);
	}
	if (nc_derive_u(hs->secret, hs->th1, hs->role, hs->u_own) == -1)
		rv = nc_seterr(err, errsz, "KEY: HKDF failed");
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
		return nc_seterr(err, errsz, "FINISHED: cipher setup failed");
	memcpy(hs->fin_peer, initiator ? ks->fin_r : ks->fin_i, NC_FIN_LEN);
	if (nc_finished_mac(initiator ? ks->fin_i : ks->fin_r, hs->th2,
	    mac) == -1 ||
	    nc_record_seal(&hs->send, REC_FINISHED, mac, sizeof(mac),
	    hs->finished, sizeof(hs->finished), &hs->finishedlen) == -1)
		nc_seterr(err, errsz, "FINISHED: sealing failed");
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
		nc_seterr(err, errsz, "X25519 with the peer's share failed "
		    "(a low-order point?)");
		goto out;
	}
	if (transcript2(hs) == -1) {
		nc_seterr(err, errsz, "SHA-256 failed");
		goto out;
	}
	/* u_I comes from the initiator's secret, whoever unwrapped it. */
	u_i = hs->role == WIRE_ROLE_INITIATOR ? hs->u_own : u_peer;
	u_r = hs->role == WIRE_ROLE_INITIATOR ? u_peer : hs->u_own;
	if (nc_key_schedule(hs->cipher, hs->th2, u_i, u_r, dh, &ks,
	    prk) == -1 || resume_secret(prk, hs->resume) == -1) {
		nc_seterr(err, errsz, "key schedule failed");
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
		nc_seterr(err, errsz, "FINISHED: record of %zu bytes, expected %d",
		    len, HS_FINISHED_LEN);
		return hs_dead(hs);
	}
	if (nc_record_open(&hs->recv, rec, len, &type, body, sizeof(body),
	    &bodylen) == -1)
		nc_seterr(err, errsz, "FINISHED: record does not authenticate "
		    "(bad KEY, wrong key pair, or tampering)");
	else if (type != REC_FINISHED)
		nc_seterr(err, errsz, "FINISHED: record type %u, expected %d",
		    type, REC_FINISHED);
	else if (nc_finished_verify(hs->fin_peer, hs->th2, body,
	    bodylen) == -1)
		nc_seterr(err, errsz, "FINISHED: MAC does not verify");
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
