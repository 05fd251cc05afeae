/*
 * The AEAD record layer of the peer link (PROTOCOL.md 4, 7.6), its key
 * update and rekey (doc/PROTOCOL.md 7.6, 7.8), and the key schedule of
 * the handshake (5.2 step 4).
 *
 * Each direction owns one EVP_CIPHER_CTX, keyed once (and again at each
 * key update); a record only sets its nonce.  The nonce is derived from
 * the implicit sequence number, so a replayed, dropped or reordered
 * record fails its tag.
 */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "crypto.h"
#include "record.h"
#include "wire.h"

#define LABEL_UPD	"nc1 upd"
#define LABEL_KEY	"nc1 key"
#define LABEL_IV	"nc1 iv"
#define LABEL_REKEY_I2R	"nc1 rekey i2r"
#define LABEL_REKEY_R2I	"nc1 rekey r2i"

static const struct {
	uint8_t		 id;
	size_t		 keylen;
	const char	*ossl_name;	/* for EVP_CIPHER_fetch() */
} ciphers[] = {
	{ NC_CIPHER_AES256GCM,	32, "AES-256-GCM" },
	{ NC_CIPHER_AES128GCM,	16, "AES-128-GCM" },
	{ NC_CIPHER_CHACHA20,	32, "ChaCha20-Poly1305" },
};

static const char *
cipher_ossl_name(uint8_t id)
{
	size_t	i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (ciphers[i].id == id)
			return ciphers[i].ossl_name;
	return NULL;
}

size_t
nc_cipher_keylen(uint8_t id)
{
	size_t	i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (ciphers[i].id == id)
			return ciphers[i].keylen;
	return 0;
}

uint8_t
nc_cipher_select(const uint8_t *prefs_i, size_t ni, const uint8_t *prefs_r,
    size_t nr)
{
	size_t	i, j;

	for (i = 0; i < ni; i++) {
		if (nc_cipher_keylen(prefs_i[i]) == 0)
			continue;
		for (j = 0; j < nr; j++)
			if (prefs_r[j] == prefs_i[i])
				return prefs_i[i];
	}
	return 0;
}

/* (Re)key the context; a record then only has to set its nonce. */
static int
aead_key(struct nc_aead *a)
{
	if (EVP_CipherInit_ex(a->ctx, NULL, NULL, a->key, NULL,
	    a->op == NC_AEAD_SEAL) != 1)
		return -1;
	a->seq = 0;
	a->bytes = 0;
	return 0;
}

int
nc_aead_init(struct nc_aead *a, int op, uint8_t cipher_id,
    const uint8_t *key, size_t keylen, const uint8_t iv[NC_AEAD_IVLEN],
    const uint8_t ts[NC_TS_LEN])
{
	EVP_CIPHER	*c = NULL;
	const char	*name;
	int		 ok;

	memset(a, 0, sizeof(*a));
	if (op != NC_AEAD_SEAL && op != NC_AEAD_OPEN)
		return -1;
	if ((name = cipher_ossl_name(cipher_id)) == NULL ||
	    keylen != nc_cipher_keylen(cipher_id) || keylen > sizeof(a->key))
		return -1;
	a->op = op;
	a->cipher_id = cipher_id;
	a->keylen = keylen;
	memcpy(a->key, key, keylen);
	memcpy(a->iv, iv, NC_AEAD_IVLEN);
	memcpy(a->ts, ts, NC_TS_LEN);

	/* Fetch once here, not implicitly on every init. */
	ok = (a->ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    (c = EVP_CIPHER_fetch(NULL, name, NULL)) != NULL &&
	    EVP_CipherInit_ex(a->ctx, c, NULL, NULL, NULL,
	    op == NC_AEAD_SEAL) == 1 &&
	    EVP_CIPHER_CTX_get_iv_length(a->ctx) == NC_AEAD_IVLEN &&
	    EVP_CIPHER_CTX_get_key_length(a->ctx) == (int)keylen &&
	    aead_key(a) == 0;
	EVP_CIPHER_free(c);	/* the context keeps its own reference */
	if (!ok) {
		nc_aead_clear(a);
		return -1;
	}
	return 0;
}

int
nc_aead_init_ks(struct nc_aead *a, int op, const struct nc_keysched *ks,
    int dir)
{
	if (dir == NC_DIR_I2R)
		return nc_aead_init(a, op, ks->cipher_id, ks->key_i2r,
		    ks->keylen, ks->iv_i2r, ks->upd_i2r);
	if (dir == NC_DIR_R2I)
		return nc_aead_init(a, op, ks->cipher_id, ks->key_r2i,
		    ks->keylen, ks->iv_r2i, ks->upd_r2i);
	memset(a, 0, sizeof(*a));
	return -1;
}

void
nc_aead_clear(struct nc_aead *a)
{
	/* Freeing the context also wipes OpenSSL's key schedule. */
	EVP_CIPHER_CTX_free(a->ctx);
	OPENSSL_cleanse(a, sizeof(*a));
	a->ctx = NULL;
}

int
nc_aead_should_update(const struct nc_aead *a)
{
	return a->seq >= NC_KEYUPDATE_RECORDS ||
	    a->bytes >= NC_KEYUPDATE_BYTES;
}

/* nonce = iv XOR (0x00000000 || be64 seq) */
static void
aead_nonce(const struct nc_aead *a, uint8_t nonce[NC_AEAD_IVLEN])
{
	uint8_t	seq[8];
	size_t	i;

	put_u64(seq, a->seq);
	memcpy(nonce, a->iv, 4);
	for (i = 0; i < sizeof(seq); i++)
		nonce[4 + i] = a->iv[4 + i] ^ seq[i];
}

int
nc_record_seal(struct nc_aead *a, uint8_t type, const uint8_t *body,
    size_t bodylen, uint8_t *out, size_t outsz, size_t *outlen)
{
	return nc_record_seal2(a, type, body, bodylen, NULL, 0, out, outsz,
	    outlen);
}

/* One part of a body; n == 0 encrypts nothing. */
static int
seal_part(EVP_CIPHER_CTX *ctx, uint8_t *ct, const uint8_t *p, size_t n)
{
	int	outl;

	if (n == 0)
		return 1;
	return EVP_EncryptUpdate(ctx, ct, &outl, p, (int)n) == 1 &&
	    (size_t)outl == n;
}

int
nc_record_seal2(struct nc_aead *a, uint8_t type, const uint8_t *b1,
    size_t l1, const uint8_t *b2, size_t l2, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	uint8_t	nonce[NC_AEAD_IVLEN];
	uint8_t	*ct, *tag;
	size_t	len, bodylen;
	int	n, ok;

	if (a->ctx == NULL || a->op != NC_AEAD_SEAL)
		return -1;
	if (l1 > NC_REC_MAXBODY || l2 > NC_REC_MAXBODY - l1 ||
	    (l1 > 0 && b1 == NULL) || (l2 > 0 && b2 == NULL))
		return -1;
	bodylen = l1 + l2;
	len = 1 + bodylen + NC_AEAD_TAGLEN;
	if (out == NULL || outsz < NC_REC_HDRLEN + len)
		return -1;
	/* A wrapped counter would reuse a nonce. */
	if (a->seq == UINT64_MAX)
		return -1;

	ct = out + NC_REC_HDRLEN;
	tag = ct + 1 + bodylen;
	put_u32(out, (uint32_t)len);
	aead_nonce(a, nonce);
	/* type goes first, so an in-place body at ct + 1 is not disturbed */
	ok = EVP_EncryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) == 1 &&
	    EVP_EncryptUpdate(a->ctx, NULL, &n, out, NC_REC_HDRLEN) == 1 &&
	    EVP_EncryptUpdate(a->ctx, ct, &n, &type, 1) == 1 && n == 1 &&
	    seal_part(a->ctx, ct + 1, b1, l1) &&
	    seal_part(a->ctx, ct + 1 + l1, b2, l2) &&
	    EVP_EncryptFinal_ex(a->ctx, tag, &n) == 1 && n == 0 &&
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, NC_AEAD_TAGLEN,
	    tag) == 1;
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (!ok) {
		/* Fail closed: never send, never retry under this nonce. */
		OPENSSL_cleanse(out, NC_REC_HDRLEN + len);
		nc_aead_clear(a);
		return -1;
	}
	a->seq++;
	a->bytes += 1 + bodylen;
	*outlen = NC_REC_HDRLEN + len;
	return 0;
}

int
nc_record_wire_len(const uint8_t hdr[NC_REC_HDRLEN], size_t *total)
{
	struct reader	r;
	uint32_t	len;

	rd_init(&r, hdr, NC_REC_HDRLEN);
	len = rd_u32(&r);
	if (len < NC_REC_MINLEN || len > NC_REC_MAXLEN)
		return -1;
	*total = NC_REC_HDRLEN + (size_t)len;
	return 0;
}

int
nc_record_open(struct nc_aead *a, const uint8_t *rec, size_t reclen,
    uint8_t *type, uint8_t *body, size_t bodysz, size_t *bodylen)
{
	uint8_t		 nonce[NC_AEAD_IVLEN], tag[NC_AEAD_TAGLEN];
	uint8_t		 t = 0, fin[NC_AEAD_TAGLEN];
	const uint8_t	*ct;
	size_t		 total, n;
	int		 outl, ok;

	if (a->ctx == NULL || a->op != NC_AEAD_OPEN)
		return -1;
	if (rec == NULL || reclen < NC_REC_HDRLEN ||
	    nc_record_wire_len(rec, &total) == -1 || reclen != total)
		return -1;
	n = total - NC_REC_HDRLEN - NC_REC_MINLEN;	/* body length */
	if (n > bodysz || (n > 0 && body == NULL))
		return -1;
	if (a->seq == UINT64_MAX)
		return -1;

	ct = rec + NC_REC_HDRLEN;
	/* Copied first: an in-place body overwrites the record. */
	memcpy(tag, ct + 1 + n, NC_AEAD_TAGLEN);
	aead_nonce(a, nonce);
	ok = EVP_DecryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) == 1 &&
	    EVP_DecryptUpdate(a->ctx, NULL, &outl, rec, NC_REC_HDRLEN) == 1 &&
	    EVP_DecryptUpdate(a->ctx, &t, &outl, ct, 1) == 1 && outl == 1 &&
	    (n == 0 ||
	    (EVP_DecryptUpdate(a->ctx, body, &outl, ct + 1, (int)n) == 1 &&
	    (size_t)outl == n)) &&
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, NC_AEAD_TAGLEN,
	    tag) == 1 &&
	    EVP_DecryptFinal_ex(a->ctx, fin, &outl) == 1 && outl == 0;
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (!ok) {
		/* Unauthenticated plaintext must not reach the caller. */
		if (n > 0)
			OPENSSL_cleanse(body, n);
		OPENSSL_cleanse(&t, sizeof(t));
		return -1;
	}
	*type = t;
	*bodylen = n;
	a->seq++;
	a->bytes += 1 + n;
	return 0;
}

/*
 * The direction's traffic secret becomes ts; key and iv are derived from
 * it and seq starts again at 0.  Used by the key update and the rekey,
 * which differ only in how the new ts is made.  On failure the struct is
 * cleared: half a change leaves the two ends out of step.
 */
static int
aead_set_ts(struct nc_aead *a, const uint8_t ts[NC_TS_LEN])
{
	uint8_t	key[NC_AEAD_KEYMAX], iv[NC_AEAD_IVLEN];
	int	rv = -1;

	if (nc_hkdf_expand(ts, LABEL_KEY, key, a->keylen) == -1 ||
	    nc_hkdf_expand(ts, LABEL_IV, iv, sizeof(iv)) == -1)
		goto out;
	/* Overwriting is the wipe of the old secrets. */
	memcpy(a->ts, ts, NC_TS_LEN);
	memcpy(a->key, key, a->keylen);
	memcpy(a->iv, iv, sizeof(iv));
	if (aead_key(a) == -1)
		goto out;
	rv = 0;
 out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	if (rv == -1)
		nc_aead_clear(a);
	return rv;
}

int
nc_aead_update(struct nc_aead *a)
{
	uint8_t	ts[NC_TS_LEN];
	int	rv;

	if (a->ctx == NULL)
		return -1;
	if (nc_hkdf_expand(a->ts, LABEL_UPD, ts, sizeof(ts)) == -1) {
		nc_aead_clear(a);
		return -1;
	}
	rv = aead_set_ts(a, ts);
	OPENSSL_cleanse(ts, sizeof(ts));
	return rv;
}

int
nc_aead_rekey(struct nc_aead *a, const uint8_t dh[NC_X25519_LEN], int dir)
{
	uint8_t		 prk[NC_SHA256_LEN], ts[NC_TS_LEN];
	const char	*label;
	int		 rv = -1;

	if (a->ctx == NULL)
		return -1;
	if (dir == NC_DIR_I2R)
		label = LABEL_REKEY_I2R;
	else if (dir == NC_DIR_R2I)
		label = LABEL_REKEY_R2I;
	else {
		nc_aead_clear(a);
		return -1;
	}
	/* The salt is this direction's secret as it is now, in stream order. */
	if (nc_hkdf_extract(a->ts, NC_TS_LEN, dh, NC_X25519_LEN, prk) == 0 &&
	    nc_hkdf_expand(prk, label, ts, sizeof(ts)) == 0)
		rv = aead_set_ts(a, ts);
	else
		nc_aead_clear(a);
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(ts, sizeof(ts));
	return rv;
}

int
nc_key_schedule(uint8_t cipher_id, const uint8_t th2[32],
    const uint8_t u_i[32], const uint8_t u_r[32], const uint8_t dh[32],
    struct nc_keysched *ks, uint8_t prk_out[32])
{
	uint8_t	ikm[3 * 32], prk[NC_SHA256_LEN];
	size_t	keylen;
	int	rv = -1;

	memset(ks, 0, sizeof(*ks));
	if ((keylen = nc_cipher_keylen(cipher_id)) == 0)
		return -1;
	ks->cipher_id = cipher_id;
	ks->keylen = keylen;
	memcpy(ikm, u_i, 32);
	memcpy(ikm + 32, u_r, 32);
	memcpy(ikm + 64, dh, 32);
	if (nc_hkdf_extract(th2, NC_SHA256_LEN, ikm, sizeof(ikm), prk) == -1 ||
	    nc_hkdf_expand(prk, "nc1 key i2r", ks->key_i2r, keylen) == -1 ||
	    nc_hkdf_expand(prk, "nc1 key r2i", ks->key_r2i, keylen) == -1 ||
	    nc_hkdf_expand(prk, "nc1 iv i2r", ks->iv_i2r,
	    sizeof(ks->iv_i2r)) == -1 ||
	    nc_hkdf_expand(prk, "nc1 iv r2i", ks->iv_r2i,
	    sizeof(ks->iv_r2i)) == -1 ||
	    nc_hkdf_expand(prk, "nc1 fin i", ks->fin_i,
	    sizeof(ks->fin_i)) == -1 ||
	    nc_hkdf_expand(prk, "nc1 fin r", ks->fin_r,
	    sizeof(ks->fin_r)) == -1 ||
	    nc_hkdf_expand(prk, "nc1 upd i2r", ks->upd_i2r,
	    sizeof(ks->upd_i2r)) == -1 ||
	    nc_hkdf_expand(prk, "nc1 upd r2i", ks->upd_r2i,
	    sizeof(ks->upd_r2i)) == -1)
		goto out;
	if (prk_out != NULL)
		memcpy(prk_out, prk, sizeof(prk));
	rv = 0;
 out:
	OPENSSL_cleanse(ikm, sizeof(ikm));
	OPENSSL_cleanse(prk, sizeof(prk));
	if (rv == -1)
		nc_keysched_clear(ks);
	return rv;
}

void
nc_keysched_clear(struct nc_keysched *ks)
{
	OPENSSL_cleanse(ks, sizeof(*ks));
}

int
nc_finished_mac(const uint8_t fin[NC_FIN_LEN], const uint8_t th2[32],
    uint8_t mac[NC_FIN_LEN])
{
	return nc_hmac_sha256(fin, NC_FIN_LEN, th2, NC_SHA256_LEN, mac);
}

int
nc_finished_verify(const uint8_t fin[NC_FIN_LEN], const uint8_t th2[32],
    const uint8_t *mac, size_t maclen)
{
	uint8_t	want[NC_FIN_LEN];
	int	rv;

	/* The length is public (the record's); only the bytes are secret. */
	if (maclen != NC_FIN_LEN)
		return -1;
	if (nc_finished_mac(fin, th2, want) == -1)
		return -1;
	rv = nc_memcmp_ct(want, mac, NC_FIN_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	return rv;
}
