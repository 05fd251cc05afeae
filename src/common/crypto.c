/*
 * OpenSSL 3 wrappers.  Nothing here keeps state; every secret buffer on
 * the stack is wiped before returning.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto.h"

int
nc_sha256(const void *data, size_t len, uint8_t out[NC_SHA256_LEN])
{
	return nc_sha256v(&data, &len, 1, out);
}

int
nc_sha256v(const void *const *bufs, const size_t *lens, size_t n,
    uint8_t out[NC_SHA256_LEN])
{
	EVP_MD_CTX	*ctx;
	unsigned int	 outlen = 0;
	size_t		 i;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, bufs[i], lens[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &outlen) == 1 &&
	    outlen == NC_SHA256_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
nc_hmac_sha256_2(const void *key, size_t keylen, const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[NC_SHA256_LEN])
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	size_t		 outlen = 0;
	int		 ok = 0;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(ctx, key, keylen, params) == 1 &&
	    EVP_MAC_update(ctx, a, alen) == 1 &&
	    (blen == 0 || EVP_MAC_update(ctx, b, blen) == 1) &&
	    EVP_MAC_final(ctx, out, &outlen, NC_SHA256_LEN) == 1 &&
	    outlen == NC_SHA256_LEN)
		ok = 1;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

int
nc_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[NC_SHA256_LEN])
{
	return nc_hmac_sha256_2(key, keylen, data, len, NULL, 0, out);
}

/* RFC 5869 written out over HMAC: short, and identical on every build. */
int
nc_hkdf_extract(const void *salt, size_t saltlen, const void *ikm,
    size_t ikmlen, uint8_t prk[NC_SHA256_LEN])
{
	static const uint8_t	zeros[NC_SHA256_LEN];

	if (saltlen == 0) {
		salt = zeros;
		saltlen = sizeof(zeros);
	}
	return nc_hmac_sha256(salt, saltlen, ikm, ikmlen, prk);
}

int
nc_hkdf_expand(const uint8_t prk[NC_SHA256_LEN], const char *info,
    uint8_t *out, size_t outlen)
{
	uint8_t		 t[NC_SHA256_LEN + 1 + 256];
	uint8_t		 block[NC_SHA256_LEN];
	size_t		 infolen = strlen(info), tlen = 0, done = 0;
	unsigned int	 counter = 1;
	int		 rv = -1;

	if (outlen > 255 * NC_SHA256_LEN || infolen > 255)
		return -1;
	while (done < outlen) {
		/* T(n) = HMAC(PRK, T(n-1) | info | n) */
		memcpy(t + tlen, info, infolen);
		t[tlen + infolen] = (uint8_t)counter;
		if (nc_hmac_sha256(prk, NC_SHA256_LEN, t, tlen + infolen + 1,
		    block) == -1)
			goto out;
		size_t n = outlen - done < NC_SHA256_LEN ? outlen - done :
		    NC_SHA256_LEN;
		memcpy(out + done, block, n);
		done += n;
		memcpy(t, block, NC_SHA256_LEN);
		tlen = NC_SHA256_LEN;
		counter++;
	}
	rv = 0;
 out:
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(block, sizeof(block));
	return rv;
}

int
nc_hkdf(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
    const char *info, uint8_t *out, size_t outlen)
{
	uint8_t	prk[NC_SHA256_LEN];
	int	rv;

	rv = nc_hkdf_extract(salt, saltlen, ikm, ikmlen, prk);
	if (rv == 0)
		rv = nc_hkdf_expand(prk, info, out, outlen);
	OPENSSL_cleanse(prk, sizeof(prk));
	return rv;
}

int
nc_memcmp_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0 ? 0 : -1;
}

int
nc_fingerprint_from_digest(const uint8_t digest[NC_SHA256_LEN], char *out,
    size_t outsz)
{
	unsigned char	b64[64];
	int		n;

	n = EVP_EncodeBlock(b64, digest, NC_SHA256_LEN);
	if (n <= 0)
		return -1;
	while (n > 0 && b64[n - 1] == '=')	/* unpadded, as OpenSSH */
		n--;
	b64[n] = '\0';
	if ((size_t)snprintf(out, outsz, "SHA256:%s", (char *)b64) >= outsz)
		return -1;
	return 0;
}

int
nc_fingerprint(const uint8_t *spki, size_t len, char *out, size_t outsz)
{
	uint8_t	digest[NC_SHA256_LEN];

	if (nc_sha256(spki, len, digest) == -1)
		return -1;
	return nc_fingerprint_from_digest(digest, out, outsz);
}

int
nc_fingerprint_parse(const char *s, uint8_t out[NC_SHA256_LEN])
{
	unsigned char	in[48], dec[48];
	size_t		len;
	int		n;

	if (strncmp(s, "SHA256:", 7) != 0)
		return -1;
	s += 7;
	len = strlen(s);
	if (len != 43 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/") != len)
		return -1;
	/*
	 * The last of 43 characters carries 2 padding bits that must be
	 * zero: refuse the three other spellings of the same digest.
	 */
	if (strchr("AEIMQUYcgkosw048", s[42]) == NULL)
		return -1;
	memcpy(in, s, len);
	in[len] = '=';		/* EVP_DecodeBlock wants whole quanta */
	n = EVP_DecodeBlock(dec, in, 44);
	/* 44 chars decode to 33 bytes, the last one the padding's zero. */
	if (n != 33)
		return -1;
	memcpy(out, dec, NC_SHA256_LEN);
	return 0;
}

int
nc_pkey_spki(EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	unsigned char	*p = NULL;
	int		 n;

	n = i2d_PUBKEY(pkey, &p);
	if (n <= 0)
		return -1;
	*der = p;
	*len = (size_t)n;
	return 0;
}

EVP_PKEY *
nc_pkey_from_spki(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	EVP_PKEY		*pkey;

	if (len == 0 || len > NC_SPKI_MAX)
		return NULL;
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey == NULL) {
		ERR_clear_error();
		return NULL;
	}
	/* Trailing bytes mean the caller's framing is wrong: refuse. */
	if (p != der + len || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int
nc_rsa_bits(const EVP_PKEY *pkey)
{
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return -1;
	return EVP_PKEY_get_bits(pkey);
}

EVP_PKEY *
nc_load_pubkey_file(const char *path, char *errbuf, size_t errsz)
{
	FILE		*fp;
	EVP_PKEY	*pkey;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(errbuf, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (pkey == NULL) {
		snprintf(errbuf, errsz, "%s: not a PEM public key", path);
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		snprintf(errbuf, errsz, "%s: not an RSA key", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (EVP_PKEY_get_bits(pkey) < NC_RSA_MIN_BITS) {
		snprintf(errbuf, errsz, "%s: RSA key of %d bits, at least %d "
		    "required", path, EVP_PKEY_get_bits(pkey), NC_RSA_MIN_BITS);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

EVP_PKEY *
nc_load_privkey_mem(const void *pem, size_t len)
{
	BIO		*bio;
	EVP_PKEY	*pkey;

	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	/* An empty passphrase callback: encrypted keys are refused. */
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	ERR_clear_error();
	if (pkey != NULL && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int
nc_check_private_key_file(int fd, const char *path, char *errbuf,
    size_t errsz)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errsz, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(errbuf, errsz, "%s: owned by uid %u, not by root or "
		    "uid %u", path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(errbuf, errsz, "%s: permissions 0%03o are too open: "
		    "a private key must not be accessible by group or others "
		    "(chmod 600)", path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

/* RSA-OAEP, SHA-256 and MGF1-SHA-256, with a label; one direction. */
static int
oaep(EVP_PKEY *pkey, int decrypt, const void *label, size_t labellen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	EVP_PKEY_CTX	*ctx;
	unsigned char	*lab = NULL;
	size_t		 len = outsz;
	int		 ok = 0;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return -1;
	if (labellen > 0 && (lab = OPENSSL_memdup(label, labellen)) == NULL)
		goto out;
	if ((decrypt ? EVP_PKEY_decrypt_init(ctx) :
	    EVP_PKEY_encrypt_init(ctx)) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, lab, (int)labellen) == 1) {
		lab = NULL;	/* owned by ctx now */
		if ((decrypt ? EVP_PKEY_decrypt(ctx, out, &len, in, inlen) :
		    EVP_PKEY_encrypt(ctx, out, &len, in, inlen)) == 1) {
			*outlen = len;
			ok = 1;
		}
	}
 out:
	OPENSSL_free(lab);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int
nc_oaep_wrap(EVP_PKEY *pub, const void *label, size_t labellen,
    const void *in, size_t inlen, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	return oaep(pub, 0, label, labellen, in, inlen, out, outsz, outlen);
}

int
nc_oaep_unwrap(EVP_PKEY *priv, const void *label, size_t labellen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	return oaep(priv, 1, label, labellen, in, inlen, out, outsz, outlen);
}

int
nc_oaep_label(int role, const uint8_t th1[NC_SHA256_LEN], uint8_t *out,
    size_t outsz, size_t *outlen)
{
	const char	*prefix;
	size_t		 plen;

	if (role == 1)
		prefix = NC_OAEP_LABEL_I;
	else if (role == 2)
		prefix = NC_OAEP_LABEL_R;
	else
		return -1;
	plen = strlen(prefix);
	if (outsz < plen + NC_SHA256_LEN)
		return -1;
	memcpy(out, prefix, plen);
	memcpy(out + plen, th1, NC_SHA256_LEN);
	*outlen = plen + NC_SHA256_LEN;
	return 0;
}

int
nc_derive_u(const uint8_t secret[NC_SECRET_LEN],
    const uint8_t th1[NC_SHA256_LEN], int role, uint8_t u[NC_SHA256_LEN])
{
	if (role != 1 && role != 2)
		return -1;
	return nc_hkdf(th1, NC_SHA256_LEN, secret, NC_SECRET_LEN,
	    role == 1 ? "nc1 unwrap i" : "nc1 unwrap r", u, NC_SHA256_LEN);
}

int
nc_reject_u(const uint8_t seed[NC_SHA256_LEN],
    const uint8_t th1[NC_SHA256_LEN], const uint8_t *blob, size_t bloblen,
    uint8_t u[NC_SHA256_LEN])
{
	return nc_hmac_sha256_2(seed, NC_SHA256_LEN, th1, NC_SHA256_LEN,
	    blob, bloblen, u);
}

static EVP_PKEY *
x25519_from_priv(const uint8_t priv[NC_X25519_LEN])
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    NC_X25519_LEN);
}

EVP_PKEY *
nc_x25519_key(const uint8_t priv[NC_X25519_LEN], uint8_t pub[NC_X25519_LEN])
{
	EVP_PKEY	*pkey;
	size_t		 len = NC_X25519_LEN;

	if ((pkey = x25519_from_priv(priv)) == NULL)
		return NULL;
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 ||
	    len != NC_X25519_LEN) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int
nc_x25519_public(const uint8_t priv[NC_X25519_LEN],
    uint8_t pub[NC_X25519_LEN])
{
	EVP_PKEY	*pkey;

	if ((pkey = nc_x25519_key(priv, pub)) == NULL)
		return -1;
	EVP_PKEY_free(pkey);
	return 0;
}

int
nc_x25519(const uint8_t priv[NC_X25519_LEN],
    const uint8_t peerpub[NC_X25519_LEN], uint8_t out[NC_X25519_LEN])
{
	EVP_PKEY	*mine;
	int		 rv;

	if ((mine = x25519_from_priv(priv)) == NULL) {
		OPENSSL_cleanse(out, NC_X25519_LEN);
		return -1;
	}
	rv = nc_x25519_derive(mine, peerpub, out);
	EVP_PKEY_free(mine);
	return rv;
}

int
nc_x25519_derive(EVP_PKEY *mine, const uint8_t peerpub[NC_X25519_LEN],
    uint8_t out[NC_X25519_LEN])
{
	static const uint8_t	 zeros[NC_X25519_LEN];
	EVP_PKEY		*theirs;
	EVP_PKEY_CTX		*ctx = NULL;
	size_t			 len = NC_X25519_LEN;
	int			 ok = 0;

	theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peerpub,
	    NC_X25519_LEN);
	if (mine != NULL && theirs != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL)) != NULL &&
	    EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, theirs) == 1 &&
	    EVP_PKEY_derive(ctx, out, &len) == 1 && len == NC_X25519_LEN)
		ok = 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(theirs);
	ERR_clear_error();
	/* An all-zero result means a low-order peer point: refuse it. */
	if (ok && CRYPTO_memcmp(out, zeros, NC_X25519_LEN) == 0)
		ok = 0;
	if (!ok)
		OPENSSL_cleanse(out, NC_X25519_LEN);
	return ok ? 0 : -1;
}
