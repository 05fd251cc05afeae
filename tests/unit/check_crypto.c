/*
 * Known-answer tests of the crypto wrappers (RFC 5869, RFC 7748), of
 * the link protocol against tests/vectors/link-v1.json (PROTOCOL.md 9), and
 * of the AEAD record layer.
 */
#include "config.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "record.h"
#include "util.h"
#include "vectors.h"
#include "wire.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))


/* ---- helpers ------------------------------------------------------- */

/* A hex literal of the test itself, of exactly len bytes. */
static void
unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t	n = 0;

	ck_assert_msg(nc_hex_decode(hex, out, len, &n) == 0 && n == len,
	    "bad hex literal %.16s...", hex);
}


/* Our name of each cipher id, as the vector file spells them. */
static const char *
cipher_label(long long id)
{
	switch (id) {
	case NC_CIPHER_AES256GCM:
		return "AES-256-GCM";
	case NC_CIPHER_AES128GCM:
		return "AES-128-GCM";
	case NC_CIPHER_CHACHA20:
		return "ChaCha20-Poly1305";
	}
	return "?";
}

/* Fields of a HELLO record (PROTOCOL.md 5.2), pointing into it. */
struct hello {
	uint8_t		 version;
	uint8_t		 role;
	const uint8_t	*random;
	const uint8_t	*epoch;
	const uint8_t	*xpub;
	uint8_t		 ncipher;
	const uint8_t	*ciphers;
	uint8_t		 namelen;
	const uint8_t	*name;
	size_t		 spkilen;
	const uint8_t	*spki;
};

static int
parse_hello(const uint8_t *rec, size_t reclen, struct hello *h)
{
	struct reader	 r;
	const uint8_t	*magic;
	uint32_t	 len;
	uint8_t		 type;

	memset(h, 0, sizeof(*h));
	rd_init(&r, rec, reclen);
	len = rd_u32(&r);
	type = rd_u8(&r);
	magic = rd_bytes(&r, 4);
	h->version = rd_u8(&r);
	h->role = rd_u8(&r);
	h->random = rd_bytes(&r, 32);
	h->epoch = rd_bytes(&r, 8);
	h->xpub = rd_bytes(&r, NC_X25519_LEN);
	h->ncipher = rd_u8(&r);
	h->ciphers = rd_bytes(&r, h->ncipher);
	h->namelen = rd_u8(&r);
	h->name = rd_bytes(&r, h->namelen);
	h->spkilen = rd_u16(&r);
	h->spki = rd_bytes(&r, h->spkilen);
	if (rd_done(&r) == -1 || reclen < 4 || len != reclen - 4 ||
	    len > 8192 || type != REC_HELLO || memcmp(magic, "NCRY", 4) != 0)
		return -1;
	return 0;
}

/* KEY record: u32 len | u8 type 2 | blob. */
static int
parse_key(const uint8_t *rec, size_t reclen, const uint8_t **blob,
    size_t *bloblen)
{
	struct reader	r;
	uint32_t	len;

	rd_init(&r, rec, reclen);
	len = rd_u32(&r);
	if (rd_u8(&r) != REC_KEY || r.err || reclen < 5 || len != reclen - 4)
		return -1;
	*bloblen = r.left;
	*blob = rd_bytes(&r, r.left);
	return rd_done(&r);
}

/* ---- RFC 5869 ------------------------------------------------------ */

static const struct {
	const char	*ikm, *salt, *info, *prk, *okm;
	size_t		 ikmlen, saltlen, infolen, okmlen;
} rfc5869[] = {
	{	/* A.1 */
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"000102030405060708090a0b0c",
		"f0f1f2f3f4f5f6f7f8f9",
		"077709362c2e32df0ddc3f0dc47bba63"
		"90b6c73bb50f9c3122ec844ad7c2b3e5",
		"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		"34007208d5b887185865",
		22, 13, 10, 42
	},
	{	/* A.2 */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		"404142434445464748494a4b4c4d4e4f",
		"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		"b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
		"d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
		"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		"06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
		"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		"59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		"cc30c58179ec3e87c14c01d5c1f3434f1d87",
		80, 80, 80, 82
	},
	{	/* A.3: empty salt, empty info */
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"",
		"",
		"19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
		"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		"9d201395faa4b61a96c8",
		22, 0, 0, 42
	},
};

START_TEST(test_hkdf_rfc5869)
{
	uint8_t	ikm[80], salt[80], info[81], prk[32], wprk[32];
	uint8_t	okm[82], wokm[82];

	/* _i is the loop index of tcase_add_loop_test. */
	unhex(rfc5869[_i].ikm, ikm, rfc5869[_i].ikmlen);
	unhex(rfc5869[_i].salt, salt, rfc5869[_i].saltlen);
	unhex(rfc5869[_i].info, info, rfc5869[_i].infolen);
	unhex(rfc5869[_i].prk, wprk, sizeof(wprk));
	unhex(rfc5869[_i].okm, wokm, rfc5869[_i].okmlen);
	/*
	 * nc_hkdf_expand takes info as a C string.  The RFC's binary infos
	 * happen to hold no zero byte, so they pass through it whole.
	 */
	info[rfc5869[_i].infolen] = '\0';
	ck_assert_uint_eq(strlen((char *)info), rfc5869[_i].infolen);

	ck_assert_int_eq(nc_hkdf_extract(salt, rfc5869[_i].saltlen, ikm,
	    rfc5869[_i].ikmlen, prk), 0);
	ck_assert_mem_eq(prk, wprk, sizeof(prk));
	ck_assert_int_eq(nc_hkdf_expand(prk, (char *)info, okm,
	    rfc5869[_i].okmlen), 0);
	ck_assert_mem_eq(okm, wokm, rfc5869[_i].okmlen);

	memset(okm, 0, sizeof(okm));
	ck_assert_int_eq(nc_hkdf(salt, rfc5869[_i].saltlen, ikm,
	    rfc5869[_i].ikmlen, (char *)info, okm, rfc5869[_i].okmlen), 0);
	ck_assert_mem_eq(okm, wokm, rfc5869[_i].okmlen);
}
END_TEST

START_TEST(test_hkdf_limits)
{
	uint8_t	prk[32] = { 1 }, out[32];
	uint8_t	*big;
	char	info[300];

	/* L > 255 * HashLen is refused (RFC 5869 2.3). */
	big = calloc(1, 255 * 32 + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(nc_hkdf_expand(prk, "x", big, 255 * 32 + 1), -1);
	ck_assert_int_eq(nc_hkdf_expand(prk, "x", big, 255 * 32), 0);
	free(big);
	/* info longer than the wrapper's buffer is refused, not truncated */
	memset(info, 'a', sizeof(info) - 1);
	info[sizeof(info) - 1] = '\0';
	ck_assert_int_eq(nc_hkdf_expand(prk, info, out, sizeof(out)), -1);
	info[255] = '\0';
	ck_assert_int_eq(nc_hkdf_expand(prk, info, out, sizeof(out)), 0);
}
END_TEST

/* ---- RFC 7748 ------------------------------------------------------ */

START_TEST(test_x25519_rfc7748_5_2)
{
	static const struct {
		const char	*scalar, *u, *out;
	} v[] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		/* u has its top bit set: the RFC wants it masked */
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	uint8_t	k[32], u[32], want[32], out[32];
	size_t	i;

	for (i = 0; i < nitems(v); i++) {
		unhex(v[i].scalar, k, sizeof(k));
		unhex(v[i].u, u, sizeof(u));
		unhex(v[i].out, want, sizeof(want));
		ck_assert_int_eq(nc_x25519(k, u, out), 0);
		ck_assert_mem_eq(out, want, sizeof(out));
	}
}
END_TEST

START_TEST(test_x25519_rfc7748_6_1)
{
	uint8_t	a[32], b[32], wa[32], wb[32], wk[32], pa[32], pb[32], k[32];

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    a, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	    wa, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	    b, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	    wb, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	    wk, 32);
	ck_assert_int_eq(nc_x25519_public(a, pa), 0);
	ck_assert_mem_eq(pa, wa, 32);
	ck_assert_int_eq(nc_x25519_public(b, pb), 0);
	ck_assert_mem_eq(pb, wb, 32);
	ck_assert_int_eq(nc_x25519(a, pb, k), 0);
	ck_assert_mem_eq(k, wk, 32);
	memset(k, 0, sizeof(k));
	ck_assert_int_eq(nc_x25519(b, pa, k), 0);
	ck_assert_mem_eq(k, wk, 32);
}
END_TEST

START_TEST(test_x25519_low_order)
{
	/* Points whose product is all zeros, whatever the scalar. */
	static const char *bad[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	static const uint8_t	zeros[32];
	uint8_t			k[32], u[32], out[32];
	size_t			i;

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    k, 32);
	for (i = 0; i < nitems(bad); i++) {
		unhex(bad[i], u, sizeof(u));
		memset(out, 0xa5, sizeof(out));
		ck_assert_int_eq(nc_x25519(k, u, out), -1);
		ck_assert_mem_eq(out, zeros, sizeof(out));
	}
}
END_TEST

/* ---- fingerprints -------------------------------------------------- */

START_TEST(test_fingerprint_parse)
{
	static const char *bad[] = {
		"",
		"SHA256:",
		"sha256:z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8",
		"MD5:z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8",
		"z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8",
		"SHA256:z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB",	/* 42 */
		"SHA256:z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8A",	/* 44 */
		"SHA256:z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8=",	/* pad */
		"SHA256:z-b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8",	/* url */
		"SHA256:z+b1wwZSvl1TRJ3AWT_Am8qlRCdwpyx2T4Ed0oFKzB8",
		"SHA256:z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8\n",
		"SHA256: z+b1wwZSvl1TRJ3AWT+Am8qlRCdwpyx2T4Ed0oFKzB8",
		"SHA256:z+b1wwZSvl1TRJ3AWT+Am8ql Cdwpyx2T4Ed0oFKzB8",
		"SHA256:z+b1wwZSvl1TRJ3AWT+Am8ql=Cdwpyx2T4Ed0oFKzB8",
	};
	uint8_t	spki[64], d[32], w[32];
	char	fp[NC_FP_STRLEN];
	size_t	i, n;

	/* Round trip over several digests, so every tail character shows. */
	for (n = 0; n < sizeof(spki); n++) {
		spki[n] = (uint8_t)(n * 37 + 1);
		ck_assert_int_eq(nc_fingerprint(spki, n + 1, fp, sizeof(fp)),
		    0);
		ck_assert_uint_eq(strlen(fp), 7 + 43);
		ck_assert_int_eq(nc_fingerprint_parse(fp, d), 0);
		ck_assert_int_eq(nc_sha256(spki, n + 1, w), 0);
		ck_assert_mem_eq(d, w, sizeof(d));
	}
	/* Too small an output buffer is an error, not a truncation. */
	ck_assert_int_eq(nc_fingerprint(spki, 1, fp, 50), -1);
	ck_assert_int_eq(nc_fingerprint(spki, 1, fp, 51), 0);
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(nc_fingerprint_parse(bad[i], d) == -1,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

/* ---- link-v1.json -------------------------------------------------- */

struct tv {
	struct vec	*root;
	EVP_PKEY	*priv_i;
	EVP_PKEY	*priv_r;
	uint8_t		 xpriv_i[NC_X25519_LEN];
	uint8_t		 xpriv_r[NC_X25519_LEN];
};

static EVP_PKEY *
load_pem(struct vec *root, const char *key)
{
	const char	*pem = vec_str(root, key);
	EVP_PKEY	*pkey;

	pkey = nc_load_privkey_mem(pem, strlen(pem));
	ck_assert_msg(pkey != NULL, "%s does not load", key);
	return pkey;
}

static void
tv_open(struct tv *tv)
{
	memset(tv, 0, sizeof(*tv));
	tv->root = vec_load(VEC_LINK_V1);
	tv->priv_i = load_pem(tv->root, "rsa_private_i_pem");
	tv->priv_r = load_pem(tv->root, "rsa_private_r_pem");
	vec_hex(tv->root, "x25519_private_i", tv->xpriv_i,
	    sizeof(tv->xpriv_i), NULL);
	vec_hex(tv->root, "x25519_private_r", tv->xpriv_r,
	    sizeof(tv->xpriv_r), NULL);
}

static void
tv_close(struct tv *tv)
{
	EVP_PKEY_free(tv->priv_i);
	EVP_PKEY_free(tv->priv_r);
	vec_free(tv->root);
	OPENSSL_cleanse(tv, sizeof(*tv));
}

static struct vec *
tv_cases(struct tv *tv)
{
	struct vec	*cases = vec_get(tv->root, "cases");

	ck_assert_int_eq(vec_type(cases), VEC_ARR);
	ck_assert_uint_ge(vec_len(cases), 3);
	return cases;
}

/* Keys, their SPKI and fingerprints. */
static void
step_identity(struct tv *tv, EVP_PKEY *pkey, const char *spkikey,
    const char *fpkey)
{
	uint8_t		*der = NULL, *want, d[32], w[32];
	size_t		 derlen, wantlen;
	char		 fp[NC_FP_STRLEN];
	EVP_PKEY	*pub;

	ck_assert_int_eq(nc_pkey_spki(pkey, &der, &derlen), 0);
	vec_expect_hex(tv->root, spkikey, der, derlen);
	OPENSSL_free(der);

	want = vec_hex_alloc(tv->root, spkikey, &wantlen);
	ck_assert_int_eq(nc_fingerprint(want, wantlen, fp, sizeof(fp)), 0);
	ck_assert_str_eq(fp, vec_str(tv->root, fpkey));
	ck_assert_int_eq(nc_fingerprint_parse(vec_str(tv->root, fpkey), d),
	    0);
	ck_assert_int_eq(nc_sha256(want, wantlen, w), 0);
	ck_assert_mem_eq(d, w, sizeof(d));
	ck_assert_ptr_nonnull(pub = nc_pkey_from_spki(want, wantlen));
	ck_assert_int_ge(nc_rsa_bits(pub), NC_RSA_MIN_BITS);
	EVP_PKEY_free(pub);
	free(want);
}

static void
step_top(struct tv *tv)
{
	step_identity(tv, tv->priv_i, "spki_i", "fingerprint_i");
	step_identity(tv, tv->priv_r, "spki_r", "fingerprint_r");
	/* Prose, not a value. */
	vec_touch(vec_get(tv->root, "about"));
}

static void
check_prefs(struct vec *c, const char *key, const struct hello *h)
{
	struct vec	*prefs = vec_get(c, key);
	size_t		 i;

	ck_assert_int_eq(vec_type(prefs), VEC_ARR);
	ck_assert_uint_eq(vec_len(prefs), h->ncipher);
	for (i = 0; i < h->ncipher; i++)
		ck_assert_int_eq(vec_as_int(vec_index(prefs, i)),
		    h->ciphers[i]);
}

/* HELLO records, the cipher choice and th1. */
static void
step_hello(struct tv *tv, struct vec *c)
{
	struct hello	 hi, hr;
	uint8_t		*reci, *recr, *spki, pub[32], th1[32];
	size_t		 leni, lenr, spkilen;
	const void	*bufs[2];
	size_t		 lens[2];
	long long	 cipher;

	reci = vec_hex_alloc(c, "hello_i_record", &leni);
	recr = vec_hex_alloc(c, "hello_r_record", &lenr);
	ck_assert_int_eq(parse_hello(reci, leni, &hi), 0);
	ck_assert_int_eq(parse_hello(recr, lenr, &hr), 0);
	ck_assert_int_eq(hi.version, 1);
	ck_assert_int_eq(hr.version, 1);
	ck_assert_int_eq(hi.role, 1);
	ck_assert_int_eq(hr.role, 2);

	ck_assert_int_eq(nc_x25519_public(tv->xpriv_i, pub), 0);
	ck_assert_mem_eq(hi.xpub, pub, sizeof(pub));
	ck_assert_int_eq(nc_x25519_public(tv->xpriv_r, pub), 0);
	ck_assert_mem_eq(hr.xpub, pub, sizeof(pub));

	spki = vec_hex_alloc(tv->root, "spki_i", &spkilen);
	ck_assert_uint_eq(hi.spkilen, spkilen);
	ck_assert_mem_eq(hi.spki, spki, spkilen);
	free(spki);
	spki = vec_hex_alloc(tv->root, "spki_r", &spkilen);
	ck_assert_uint_eq(hr.spkilen, spkilen);
	ck_assert_mem_eq(hr.spki, spki, spkilen);
	free(spki);

	check_prefs(c, "cipher_prefs_i", &hi);
	check_prefs(c, "cipher_prefs_r", &hr);
	cipher = vec_int(c, "cipher");
	ck_assert_int_eq(nc_cipher_select(hi.ciphers, hi.ncipher, hr.ciphers,
	    hr.ncipher), cipher);
	ck_assert_str_eq(vec_str(c, "cipher_name"), cipher_label(cipher));

	bufs[0] = reci;
	lens[0] = leni;
	bufs[1] = recr;
	lens[1] = lenr;
	ck_assert_int_eq(nc_sha256v(bufs, lens, 2, th1), 0);
	vec_expect_hex(c, "th1", th1, sizeof(th1));
	free(reci);
	free(recr);
}

/* One KEY record: unwrap, compare the secret, derive u. */
static void
check_unwrap(struct vec *c, EVP_PKEY *priv, EVP_PKEY *wrongpriv,
    int role, const uint8_t th1[32])
{
	uint8_t		*rec, label[64], wrong[64], secret[512], u[32];
	const uint8_t	*blob;
	size_t		 reclen, bloblen, labellen, wronglen, slen;
	const char	*rk = role == 1 ? "key_i_record" : "key_r_record";

	ck_assert_int_eq(nc_oaep_label(role, th1, label, sizeof(label),
	    &labellen), 0);
	vec_expect_hex(c, role == 1 ? "oaep_label_i" : "oaep_label_r", label,
	    labellen);
	ck_assert_int_eq(nc_oaep_label(3 - role, th1, wrong, sizeof(wrong),
	    &wronglen), 0);

	rec = vec_hex_alloc(c, rk, &reclen);
	ck_assert_int_eq(parse_key(rec, reclen, &blob, &bloblen), 0);
	ck_assert_int_eq(nc_oaep_unwrap(priv, label, labellen, blob, bloblen,
	    secret, sizeof(secret), &slen), 0);
	vec_expect_hex(c, role == 1 ? "secret_i" : "secret_r", secret, slen);
	ck_assert_uint_eq(slen, NC_SECRET_LEN);
	ck_assert_int_eq(nc_derive_u(secret, th1, role, u), 0);
	vec_expect_hex(c, role == 1 ? "u_i" : "u_r", u, sizeof(u));

	/* The label binds role and th1; the key binds the recipient. */
	ck_assert_int_eq(nc_oaep_unwrap(priv, wrong, wronglen, blob, bloblen,
	    secret, sizeof(secret), &slen), -1);
	ck_assert_int_eq(nc_oaep_unwrap(wrongpriv, label, labellen, blob,
	    bloblen, secret, sizeof(secret), &slen), -1);
	OPENSSL_cleanse(secret, sizeof(secret));
	free(rec);
}

/* OAEP labels, KEY records, u values, implicit rejection, th2. */
static void
step_keys(struct tv *tv, struct vec *c)
{
	struct vec	*ir = vec_get(c, "implicit_rejection");
	uint8_t		 th1[32], th2[32], seed[32], u[32], label[64];
	uint8_t		 out[512], *blob, *recs[4];
	size_t		 bloblen, labellen, outlen, lens[4], i;
	const void	*bufs[4];
	static const char *names[4] = {
		"hello_i_record", "hello_r_record", "key_i_record",
		"key_r_record"
	};

	vec_hex(c, "th1", th1, sizeof(th1), NULL);
	/* I wraps to R's key, R to I's. */
	check_unwrap(c, tv->priv_r, tv->priv_i, 1, th1);
	check_unwrap(c, tv->priv_i, tv->priv_r, 2, th1);

	vec_hex(ir, "seed", seed, sizeof(seed), NULL);
	blob = vec_hex_alloc(ir, "blob", &bloblen);
	ck_assert_int_eq(nc_oaep_label(1, th1, label, sizeof(label),
	    &labellen), 0);
	ck_assert_int_eq(nc_oaep_unwrap(tv->priv_r, label, labellen, blob,
	    bloblen, out, sizeof(out), &outlen), -1);
	ck_assert_int_eq(nc_reject_u(seed, th1, blob, bloblen, u), 0);
	vec_expect_hex(ir, "u", u, sizeof(u));
	vec_touch(vec_get(ir, "note"));		/* prose */
	free(blob);

	for (i = 0; i < 4; i++) {
		recs[i] = vec_hex_alloc(c, names[i], &lens[i]);
		bufs[i] = recs[i];
	}
	ck_assert_int_eq(nc_sha256v(bufs, lens, 4, th2), 0);
	vec_expect_hex(c, "th2", th2, sizeof(th2));
	for (i = 0; i < 4; i++)
		free(recs[i]);
}

static void
hello_xpub(struct vec *c, const char *key, uint8_t pub[32])
{
	struct hello	 h;
	uint8_t		*rec;
	size_t		 len;

	rec = vec_hex_alloc(c, key, &len);
	ck_assert_int_eq(parse_hello(rec, len, &h), 0);
	memcpy(pub, h.xpub, 32);
	free(rec);
}

/* Key schedule inputs of a case, all from the file. */
static void
case_schedule(struct vec *c, struct nc_keysched *ks, uint8_t prk[32],
    uint8_t th2[32])
{
	uint8_t	u_i[32], u_r[32], dh[32];

	vec_hex(c, "th2", th2, 32, NULL);
	vec_hex(c, "u_i", u_i, sizeof(u_i), NULL);
	vec_hex(c, "u_r", u_r, sizeof(u_r), NULL);
	vec_hex(c, "dh", dh, sizeof(dh), NULL);
	ck_assert_int_eq(nc_key_schedule((uint8_t)vec_int(c, "cipher"), th2,
	    u_i, u_r, dh, ks, prk), 0);
}

/* dh, prk, every expansion, FINISHED MACs. */
static void
step_schedule(struct tv *tv, struct vec *c)
{
	struct nc_keysched	 ks;
	struct vec		*exp = vec_get(c, "expanded"), *m;
	uint8_t			 pub_i[32], pub_r[32], dh[32], prk[32];
	uint8_t			 th2[32], mac[32], buf[64];
	size_t			 i, n;
	long long		 cipher = vec_int(c, "cipher");
	/* len 0: the cipher's key length */
	const struct {
		const char	*label;
		const uint8_t	*p;
		size_t		 len;
	} fields[] = {
		{ "nc1 key i2r", ks.key_i2r, 0 },
		{ "nc1 key r2i", ks.key_r2i, 0 },
		{ "nc1 iv i2r", ks.iv_i2r, sizeof(ks.iv_i2r) },
		{ "nc1 iv r2i", ks.iv_r2i, sizeof(ks.iv_r2i) },
		{ "nc1 fin i", ks.fin_i, sizeof(ks.fin_i) },
		{ "nc1 fin r", ks.fin_r, sizeof(ks.fin_r) },
		{ "nc1 upd i2r", ks.upd_i2r, sizeof(ks.upd_i2r) },
		{ "nc1 upd r2i", ks.upd_r2i, sizeof(ks.upd_r2i) },
	};

	hello_xpub(c, "hello_i_record", pub_i);
	hello_xpub(c, "hello_r_record", pub_r);
	ck_assert_int_eq(nc_x25519(tv->xpriv_i, pub_r, dh), 0);
	vec_expect_hex(c, "dh", dh, sizeof(dh));
	ck_assert_int_eq(nc_x25519(tv->xpriv_r, pub_i, dh), 0);
	vec_expect_hex(c, "dh", dh, sizeof(dh));

	case_schedule(c, &ks, prk, th2);
	vec_expect_hex(c, "prk", prk, sizeof(prk));
	ck_assert_int_eq(ks.cipher_id, cipher);
	ck_assert_uint_eq(ks.keylen, cipher == NC_CIPHER_AES128GCM ? 16 : 32);
	ck_assert_uint_eq(vec_len(exp), nitems(fields));
	for (i = 0; i < nitems(fields); i++)
		vec_expect_hex(exp, fields[i].label, fields[i].p,
		    fields[i].len ? fields[i].len : ks.keylen);
	/* And every label in the file, through the bare expansion. */
	for (i = 0; i < vec_len(exp); i++) {
		m = vec_index(exp, i);
		n = strlen(vec_as_str(m)) / 2;
		ck_assert_uint_le(n, sizeof(buf));
		ck_assert_int_eq(nc_hkdf_expand(prk, vec_key(m), buf, n), 0);
		vec_expect_hex(exp, vec_key(m), buf, n);
	}

	ck_assert_int_eq(nc_finished_mac(ks.fin_i, th2, mac), 0);
	vec_expect_hex(c, "finished_i_mac", mac, sizeof(mac));
	ck_assert_int_eq(nc_finished_verify(ks.fin_i, th2, mac, 32), 0);
	ck_assert_int_eq(nc_finished_verify(ks.fin_r, th2, mac, 32), -1);
	ck_assert_int_eq(nc_finished_verify(ks.fin_i, th2, mac, 31), -1);
	mac[31] ^= 0x01;
	ck_assert_int_eq(nc_finished_verify(ks.fin_i, th2, mac, 32), -1);
	ck_assert_int_eq(nc_finished_mac(ks.fin_r, th2, mac), 0);
	vec_expect_hex(c, "finished_r_mac", mac, sizeof(mac));
	ck_assert_int_eq(nc_finished_verify(ks.fin_r, th2, mac, 32), 0);
	nc_keysched_clear(&ks);
	OPENSSL_cleanse(prk, sizeof(prk));
}

/* Seal body, compare with the file, open the file's bytes back. */
static void
check_record(struct nc_aead *seal, struct nc_aead *open, struct vec *obj,
    const char *key, uint8_t type, const uint8_t *body, size_t bodylen)
{
	uint8_t		*want, rec[256], got[256], t;
	size_t		 wantlen, reclen, gotlen;
	uint64_t	 seq = open->seq;

	ck_assert_uint_eq(seal->seq, open->seq);
	ck_assert_int_eq(nc_record_seal(seal, type, body, bodylen, rec,
	    sizeof(rec), &reclen), 0);
	vec_expect_hex(obj, key, rec, reclen);
	ck_assert_uint_eq(seal->seq, seq + 1);

	want = vec_hex_alloc(obj, key, &wantlen);
	ck_assert_int_eq(nc_record_open(open, want, wantlen, &t, got,
	    sizeof(got), &gotlen), 0);
	ck_assert_int_eq(t, type);
	ck_assert_uint_eq(gotlen, bodylen);
	if (bodylen > 0)
		ck_assert_mem_eq(got, body, bodylen);
	ck_assert_uint_eq(open->seq, seq + 1);
	free(want);
}

/* FINISHED, PING, MSG and a key update, both sides of each direction. */
static void
step_records(struct tv *tv, struct vec *c)
{
	struct nc_keysched	 ks;
	struct nc_aead		 si, oi, sr, or;
	struct vec		*ku = vec_get(c, "keyupdate_i2r");
	uint8_t			 prk[32], th2[32], mac[32], ping[8];
	uint8_t			 rec[64];
	uint8_t			 t, *msg;
	size_t			 msglen, reclen, n;

	(void)tv;
	case_schedule(c, &ks, prk, th2);
	ck_assert_int_eq(nc_aead_init_ks(&si, NC_AEAD_SEAL, &ks, NC_DIR_I2R),
	    0);
	ck_assert_int_eq(nc_aead_init_ks(&oi, NC_AEAD_OPEN, &ks, NC_DIR_I2R),
	    0);
	ck_assert_int_eq(nc_aead_init_ks(&sr, NC_AEAD_SEAL, &ks, NC_DIR_R2I),
	    0);
	ck_assert_int_eq(nc_aead_init_ks(&or, NC_AEAD_OPEN, &ks, NC_DIR_R2I),
	    0);

	ck_assert_int_eq(nc_finished_mac(ks.fin_i, th2, mac), 0);
	check_record(&si, &oi, c, "finished_i_record (i2r seq 0)",
	    REC_FINISHED, mac, sizeof(mac));
	ck_assert_int_eq(nc_finished_mac(ks.fin_r, th2, mac), 0);
	check_record(&sr, &or, c, "finished_r_record (r2i seq 0)",
	    REC_FINISHED, mac, sizeof(mac));

	put_u64(ping, 42);
	check_record(&si, &oi, c, "ping_i_record (i2r seq 1, nonce 42)",
	    REC_PING, ping, sizeof(ping));
	msg = vec_hex_alloc(c, "msg_i_body", &msglen);
	check_record(&si, &oi, c, "msg_i_record (i2r seq 2)", REC_MSG, msg,
	    msglen);
	free(msg);

	/* KEYUPDATE goes out under the old key, then both sides move. */
	ck_assert_int_eq(nc_record_seal(&si, REC_KEYUPDATE, NULL, 0, rec,
	    sizeof(rec), &reclen), 0);
	ck_assert_int_eq(nc_record_open(&oi, rec, reclen, &t, NULL, 0, &n),
	    0);
	ck_assert_int_eq(t, REC_KEYUPDATE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(nc_aead_update(&si), 0);
	ck_assert_int_eq(nc_aead_update(&oi), 0);
	vec_expect_hex(ku, "ts1", si.ts, sizeof(si.ts));
	vec_expect_hex(ku, "key1", si.key, si.keylen);
	vec_expect_hex(ku, "iv1", si.iv, sizeof(si.iv));
	vec_expect_hex(ku, "ts1", oi.ts, sizeof(oi.ts));
	vec_expect_hex(ku, "key1", oi.key, oi.keylen);
	vec_expect_hex(ku, "iv1", oi.iv, sizeof(oi.iv));
	ck_assert_uint_eq(si.seq, 0);
	ck_assert_uint_eq(oi.seq, 0);
	put_u64(ping, 7);
	check_record(&si, &oi, ku,
	    "ping_record (seq 0 after the update, nonce 7)", REC_PING, ping,
	    sizeof(ping));

	nc_aead_clear(&si);
	nc_aead_clear(&oi);
	nc_aead_clear(&sr);
	nc_aead_clear(&or);
	nc_keysched_clear(&ks);
}

typedef void (*case_step)(struct tv *, struct vec *);

static void
each_case(case_step step)
{
	struct tv	 tv;
	struct vec	*cases;
	size_t		 i;

	tv_open(&tv);
	cases = tv_cases(&tv);
	for (i = 0; i < vec_len(cases); i++)
		step(&tv, vec_index(cases, i));
	tv_close(&tv);
}

START_TEST(test_vec_identity)
{
	struct tv	tv;

	tv_open(&tv);
	step_top(&tv);
	tv_close(&tv);
}
END_TEST

START_TEST(test_vec_hello)
{
	each_case(step_hello);
}
END_TEST

START_TEST(test_vec_keys)
{
	each_case(step_keys);
}
END_TEST

START_TEST(test_vec_schedule)
{
	each_case(step_schedule);
}
END_TEST

START_TEST(test_vec_records)
{
	each_case(step_records);
}
END_TEST

/*
 * Everything again on one tree, then: no value of the file went
 * unchecked, and every cipher id is covered.
 */
START_TEST(test_vec_all_checked)
{
	struct tv	 tv;
	struct vec	*cases, *c;
	size_t		 i, unread;
	int		 seen[4] = { 0 };
	long long	 id;

	tv_open(&tv);
	step_top(&tv);
	cases = tv_cases(&tv);
	for (i = 0; i < vec_len(cases); i++) {
		c = vec_index(cases, i);
		step_hello(&tv, c);
		step_keys(&tv, c);
		step_schedule(&tv, c);
		step_records(&tv, c);
		id = vec_int(c, "cipher");
		ck_assert(id >= 1 && id <= 3);
		seen[id] = 1;
	}
	ck_assert(seen[1] && seen[2] && seen[3]);
	unread = vec_unread(tv.root, 1);
	printf("link-v1.json: %zu cases, %zu values checked, %zu unchecked\n",
	    vec_len(cases), vec_nread(tv.root), unread);
	ck_assert_uint_eq(unread, 0);
	tv_close(&tv);
}
END_TEST

/* The reader itself: escapes, errors caught. */
START_TEST(test_vec_reader)
{
	static const char	 text[] =
	    "{\"a b (c)\": \"x\\n\\u0041\\u00a7\\ud83d\\ude00\\\"\", "
	    "\"n\": [-12, 0, 3.5, 1e3, true, false, null], \"o\": {}}";
	struct vec		*root, *n;

	root = vec_parse(text, strlen(text), "inline");
	ck_assert_str_eq(vec_str(root, "a b (c)"),
	    "x\nA\xc2\xa7\xf0\x9f\x98\x80\"");
	n = vec_get(root, "n");
	ck_assert_uint_eq(vec_len(n), 7);
	ck_assert_int_eq(vec_as_int(vec_index(n, 0)), -12);
	ck_assert_int_eq(vec_as_int(vec_index(n, 1)), 0);
	ck_assert_int_eq(vec_type(vec_index(n, 2)), VEC_NUM);
	ck_assert_int_eq(vec_as_bool(vec_index(n, 4)), 1);
	ck_assert_int_eq(vec_as_bool(vec_index(n, 5)), 0);
	ck_assert_int_eq(vec_type(vec_index(n, 6)), VEC_NULL);
	ck_assert_ptr_null(vec_find(root, "missing"));
	ck_assert_uint_eq(vec_len(vec_get(root, "o")), 0);
	/* 2, 3 and 6 not read */
	ck_assert_uint_eq(vec_unread(root, 0), 3);
	vec_free(root);
}
END_TEST

/* The reader's errors, caught by a hook instead of failing the test. */
static jmp_buf	vec_jmp;
static char	vec_msg[256];

static void
catch_fail(const char *msg)
{
	nc_strlcpy(vec_msg, msg, sizeof(vec_msg));
	longjmp(vec_jmp, 1);
}

static const char *const bad_json[] = {
	"{\"a\": 1,}",
	"{\"a\": 1 \"b\": 2}",
	"{\"a\": 1, \"a\": 2}",
	"{\"a\" 1}",
	"{1: 2}",
	"[01]",
	"[1.]",
	"[-]",
	"[1e]",
	"\"\\x\"",
	"\"\\u00\"",
	"\"\\u0000\"",
	"\"\\udc00\"",
	"\"\\ud800\\u0041\"",
	"\"a\tb\"",
	"\"abc",
	"\"abc\\",
	"tru",
	"nul",
	"[1] 2",
	"[1, 2",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	"",
	"   ",
};

START_TEST(test_vec_reader_bad)
{
	struct vec * volatile	v = NULL;
	vec_fail_fn		old;

	old = vec_set_fail(catch_fail);
	vec_msg[0] = '\0';
	if (setjmp(vec_jmp) == 0)
		v = vec_parse(bad_json[_i], strlen(bad_json[_i]), "bad");
	vec_set_fail(old);
	ck_assert_msg(v == NULL, "accepted: %s", bad_json[_i]);
	ck_assert_msg(strncmp(vec_msg, "bad:1:", 6) == 0, "message: %s",
	    vec_msg);
}
END_TEST

/* A missing key, a wrong type or a wrong length fails loudly. */
START_TEST(test_vec_strict)
{
	static const char	 text[] = "{\"a\": \"0011\", \"n\": 1.5}";
	struct vec		*v;
	uint8_t			 buf[4];
	size_t			 n;
	vec_fail_fn		 old;
	volatile int		 step, failed = 0;

	v = vec_parse(text, strlen(text), "inline");
	old = vec_set_fail(catch_fail);
	for (step = 0; step < 6; step++) {
		if (setjmp(vec_jmp) != 0) {
			failed++;
			continue;
		}
		switch (step) {
		case 0:
			(void)vec_str(v, "b");
			break;
		case 1:
			vec_hex(v, "a", buf, sizeof(buf), NULL);
			break;
		case 2:
			vec_hex(v, "a", buf, 1, &n);
			break;
		case 3:
			(void)vec_int(v, "n");
			break;
		case 4:
			(void)vec_int(v, "a");
			break;
		case 5:
			(void)vec_index(vec_get(v, "a"), 0);
			break;
		}
	}
	vec_set_fail(old);
	ck_assert_int_eq(failed, 6);
	vec_free(v);
}
END_TEST

/* ---- record layer -------------------------------------------------- */

/* Sealer and opener of a fixed test key, for cipher id (1 + _i). */
static void
pair_init(uint8_t cipher, struct nc_aead *s, struct nc_aead *o)
{
	uint8_t	key[32], iv[12], ts[32];
	size_t	i, keylen = nc_cipher_keylen(cipher);

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)(0xf0 - i);
	for (i = 0; i < sizeof(ts); i++)
		ts[i] = (uint8_t)(i * 3);
	ck_assert_uint_ne(keylen, 0);
	ck_assert_int_eq(nc_aead_init(s, NC_AEAD_SEAL, cipher, key, keylen,
	    iv, ts), 0);
	ck_assert_int_eq(nc_aead_init(o, NC_AEAD_OPEN, cipher, key, keylen,
	    iv, ts), 0);
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Two parts seal to exactly the record of their concatenation. */
START_TEST(test_rec_seal2)
{
	static const size_t	 splits[] = { 0, 1, 139, 4096, NC_REC_MAXBODY };
	struct nc_aead		 s1, o1, s2, o2;
	uint8_t			*body, *r1, *r2;
	size_t			 i, l1, l2;

	pair_init((uint8_t)(1 + _i), &s1, &o1);
	pair_init((uint8_t)(1 + _i), &s2, &o2);
	body = malloc(NC_REC_MAXBODY + 1);
	r1 = malloc(NC_REC_MAXWIRE);
	r2 = malloc(NC_REC_MAXWIRE);
	ck_assert(body != NULL && r1 != NULL && r2 != NULL);
	fill(body, NC_REC_MAXBODY + 1, 9);
	for (i = 0; i < nitems(splits); i++) {
		ck_assert_int_eq(nc_record_seal(&s1, 5, body, NC_REC_MAXBODY,
		    r1, NC_REC_MAXWIRE, &l1), 0);
		ck_assert_int_eq(nc_record_seal2(&s2, 5, body, splits[i],
		    body + splits[i], NC_REC_MAXBODY - splits[i], r2,
		    NC_REC_MAXWIRE, &l2), 0);
		ck_assert_uint_eq(l1, l2);
		ck_assert_mem_eq(r1, r2, l1);
	}
	/* Every length still checked: one byte over in total fails. */
	ck_assert_int_eq(nc_record_seal2(&s2, 5, body, 1, body + 1,
	    NC_REC_MAXBODY, r2, NC_REC_MAXWIRE, &l2), -1);
	ck_assert_int_eq(nc_record_seal2(&s2, 5, NULL, 1, body, 1, r2,
	    NC_REC_MAXWIRE, &l2), -1);
	ck_assert_uint_eq(s2.seq, nitems(splits));
	nc_aead_clear(&s1);
	nc_aead_clear(&o1);
	nc_aead_clear(&s2);
	nc_aead_clear(&o2);
	free(body);
	free(r1);
	free(r2);
}
END_TEST

START_TEST(test_rec_roundtrip)
{
	static const size_t	 sizes[] = { 0, 1, 15, 16, 17, 255, 4096,
				     NC_REC_MAXBODY };
	struct nc_aead		 s, o;
	uint8_t			*body, *rec, *got, t;
	size_t			 i, reclen, n, total;

	pair_init((uint8_t)(1 + _i), &s, &o);
	body = malloc(NC_REC_MAXBODY);
	rec = malloc(NC_REC_MAXWIRE);
	got = malloc(NC_REC_MAXBODY);
	ck_assert(body != NULL && rec != NULL && got != NULL);
	for (i = 0; i < nitems(sizes); i++) {
		fill(body, sizes[i], (uint8_t)i);
		ck_assert_int_eq(nc_record_seal(&s, (uint8_t)(4 + i), body,
		    sizes[i], rec, NC_REC_MAXWIRE, &reclen), 0);
		ck_assert_uint_eq(reclen, 4 + 1 + sizes[i] + 16);
		ck_assert_int_eq(nc_record_wire_len(rec, &total), 0);
		ck_assert_uint_eq(total, reclen);
		ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got,
		    NC_REC_MAXBODY, &n), 0);
		ck_assert_int_eq(t, 4 + i);
		ck_assert_uint_eq(n, sizes[i]);
		if (n > 0)
			ck_assert_mem_eq(got, body, n);
	}
	ck_assert_uint_eq(s.seq, nitems(sizes));
	ck_assert_uint_eq(o.seq, nitems(sizes));

	/* In place, both ways: the body sits where it is encrypted. */
	fill(rec + 5, 100, 9);
	fill(body, 100, 9);
	ck_assert_int_eq(nc_record_seal(&s, 6, rec + 5, 100, rec,
	    NC_REC_MAXWIRE, &reclen), 0);
	ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, rec + 5, 100,
	    &n), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_mem_eq(rec + 5, body, 100);

	free(body);
	free(rec);
	free(got);
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

/* Every single bit flipped anywhere in a record makes it fail. */
START_TEST(test_rec_bitflip)
{
	struct nc_aead	s, o;
	uint8_t		body[20], rec[64], bad[64], got[64], t;
	size_t		reclen, n, i;
	int		bit;

	pair_init((uint8_t)(1 + _i), &s, &o);
	fill(body, sizeof(body), 1);
	ck_assert_int_eq(nc_record_seal(&s, 6, body, sizeof(body), rec,
	    sizeof(rec), &reclen), 0);
	for (i = 0; i < reclen; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, rec, reclen);
			bad[i] ^= (uint8_t)(1 << bit);
			memset(got, 0x55, sizeof(got));
			ck_assert_msg(nc_record_open(&o, bad, reclen, &t, got,
			    sizeof(got), &n) == -1, "byte %zu bit %d", i, bit);
			ck_assert_uint_eq(o.seq, 0);
		}
	}
	/* No unauthenticated plaintext left behind by the last failure. */
	for (i = 0; i < sizeof(body); i++)
		ck_assert_int_eq(got[i], 0);

	/* A consistently shortened length (tag cut by one) fails too. */
	memcpy(bad, rec, reclen);
	put_u32(bad, (uint32_t)(reclen - 5));
	ck_assert_int_eq(nc_record_open(&o, bad, reclen - 1, &t, got,
	    sizeof(got), &n), -1);
	/* So does a length that does not match the bytes given. */
	ck_assert_int_eq(nc_record_open(&o, rec, reclen - 1, &t, got,
	    sizeof(got), &n), -1);
	ck_assert_int_eq(nc_record_open(&o, rec, reclen + 1, &t, got,
	    sizeof(got), &n), -1);
	ck_assert_uint_eq(o.seq, 0);

	ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got, sizeof(got),
	    &n), 0);
	ck_assert_uint_eq(o.seq, 1);
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

START_TEST(test_rec_replay_order)
{
	struct nc_aead	s, o;
	uint8_t		rec[3][64], got[64], t, body[8];
	size_t		len[3], n, i;

	pair_init((uint8_t)(1 + _i), &s, &o);
	for (i = 0; i < 3; i++) {
		put_u64(body, i);
		ck_assert_int_eq(nc_record_seal(&s, 4, body, sizeof(body),
		    rec[i], sizeof(rec[i]), &len[i]), 0);
	}
	/* Out of order: record 1 before record 0. */
	ck_assert_int_eq(nc_record_open(&o, rec[1], len[1], &t, got,
	    sizeof(got), &n), -1);
	ck_assert_uint_eq(o.seq, 0);
	ck_assert_int_eq(nc_record_open(&o, rec[0], len[0], &t, got,
	    sizeof(got), &n), 0);
	ck_assert_uint_eq(o.seq, 1);
	/* Replay of record 0. */
	ck_assert_int_eq(nc_record_open(&o, rec[0], len[0], &t, got,
	    sizeof(got), &n), -1);
	ck_assert_uint_eq(o.seq, 1);
	/* Dropped record: 2 where 1 is due. */
	ck_assert_int_eq(nc_record_open(&o, rec[2], len[2], &t, got,
	    sizeof(got), &n), -1);
	ck_assert_int_eq(nc_record_open(&o, rec[1], len[1], &t, got,
	    sizeof(got), &n), 0);
	ck_assert_int_eq(nc_record_open(&o, rec[1], len[1], &t, got,
	    sizeof(got), &n), -1);
	ck_assert_int_eq(nc_record_open(&o, rec[2], len[2], &t, got,
	    sizeof(got), &n), 0);
	ck_assert_uint_eq(o.seq, 3);
	put_u64(body, 2);
	ck_assert_mem_eq(got, body, sizeof(body));
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

START_TEST(test_rec_limits)
{
	struct nc_aead	 s, o;
	uint8_t		*buf, *got, hdr[4], t;
	size_t		 n, reclen, total;

	pair_init((uint8_t)(1 + _i), &s, &o);
	buf = calloc(1, NC_REC_MAXWIRE + 16);
	got = calloc(1, NC_REC_MAXBODY + 16);
	ck_assert(buf != NULL && got != NULL);
	ck_assert_uint_eq(NC_REC_MAXLEN, 65553);

	/* Lengths out of range, by the header alone. */
	put_u32(hdr, 16);
	ck_assert_int_eq(nc_record_wire_len(hdr, &total), -1);
	put_u32(hdr, 17);
	ck_assert_int_eq(nc_record_wire_len(hdr, &total), 0);
	ck_assert_uint_eq(total, 21);
	put_u32(hdr, 65553);
	ck_assert_int_eq(nc_record_wire_len(hdr, &total), 0);
	ck_assert_uint_eq(total, 65557);
	put_u32(hdr, 65554);
	ck_assert_int_eq(nc_record_wire_len(hdr, &total), -1);
	put_u32(hdr, 0);
	ck_assert_int_eq(nc_record_wire_len(hdr, &total), -1);
	put_u32(hdr, UINT32_MAX);
	ck_assert_int_eq(nc_record_wire_len(hdr, &total), -1);

	/* And through open, with as many bytes as the header claims. */
	put_u32(buf, 16);
	ck_assert_int_eq(nc_record_open(&o, buf, 20, &t, got, 64, &n), -1);
	put_u32(buf, 0);
	ck_assert_int_eq(nc_record_open(&o, buf, 4, &t, got, 64, &n), -1);
	ck_assert_int_eq(nc_record_open(&o, buf, 3, &t, got, 64, &n), -1);
	ck_assert_int_eq(nc_record_open(&o, buf, 0, &t, got, 64, &n), -1);
	put_u32(buf, 65554);
	ck_assert_int_eq(nc_record_open(&o, buf, 65558, &t, got,
	    NC_REC_MAXBODY + 16, &n), -1);
	ck_assert_uint_eq(o.seq, 0);

	/* Seal: 65537 refused, 65536 fits, too small an out refused. */
	ck_assert_int_eq(nc_record_seal(&s, 6, got, NC_REC_MAXBODY + 1, buf,
	    NC_REC_MAXWIRE + 16, &reclen), -1);
	ck_assert_int_eq(nc_record_seal(&s, 6, got, 10, buf, 4 + 1 + 10 + 15,
	    &reclen), -1);
	ck_assert_uint_eq(s.seq, 0);
	ck_assert_ptr_nonnull(s.ctx);	/* a bad argument is not fatal */
	fill(got, NC_REC_MAXBODY, 3);
	ck_assert_int_eq(nc_record_seal(&s, 6, got, NC_REC_MAXBODY, buf,
	    NC_REC_MAXWIRE, &reclen), 0);
	ck_assert_uint_eq(reclen, NC_REC_MAXWIRE);
	ck_assert_uint_eq(s.seq, 1);

	/* Open into too small a body buffer: refused, seq kept. */
	ck_assert_int_eq(nc_record_open(&o, buf, reclen, &t, got,
	    NC_REC_MAXBODY - 1, &n), -1);
	ck_assert_uint_eq(o.seq, 0);
	memset(got, 0, NC_REC_MAXBODY);
	ck_assert_int_eq(nc_record_open(&o, buf, reclen, &t, got,
	    NC_REC_MAXBODY, &n), 0);
	ck_assert_uint_eq(n, NC_REC_MAXBODY);
	ck_assert_uint_eq(o.seq, 1);
	fill(buf, NC_REC_MAXBODY, 3);
	ck_assert_mem_eq(got, buf, NC_REC_MAXBODY);

	free(buf);
	free(got);
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

START_TEST(test_rec_misuse)
{
	struct nc_aead	s, o, x;
	uint8_t		key[32] = { 0 }, iv[12] = { 0 }, ts[32] = { 0 };
	uint8_t		rec[64], got[64], t;
	size_t		reclen, n;

	pair_init((uint8_t)(1 + _i), &s, &o);
	/* Each side does only what it was keyed for. */
	ck_assert_int_eq(nc_record_seal(&o, 4, key, 8, rec, sizeof(rec),
	    &reclen), -1);
	ck_assert_int_eq(nc_record_seal(&s, 4, key, 8, rec, sizeof(rec),
	    &reclen), 0);
	ck_assert_int_eq(nc_record_open(&s, rec, reclen, &t, got,
	    sizeof(got), &n), -1);
	/* Another key does not open it. */
	ck_assert_int_eq(nc_aead_init(&x, NC_AEAD_OPEN, (uint8_t)(1 + _i),
	    key, nc_cipher_keylen((uint8_t)(1 + _i)), iv, ts), 0);
	ck_assert_int_eq(nc_record_open(&x, rec, reclen, &t, got,
	    sizeof(got), &n), -1);
	nc_aead_clear(&x);
	ck_assert_ptr_null(x.ctx);
	nc_aead_clear(&x);		/* idempotent */
	ck_assert_int_eq(nc_record_open(&x, rec, reclen, &t, got,
	    sizeof(got), &n), -1);

	/* Bad parameters leave a cleared struct. */
	ck_assert_int_eq(nc_aead_init(&x, NC_AEAD_SEAL, 0, key, 32, iv, ts),
	    -1);
	ck_assert_ptr_null(x.ctx);
	ck_assert_int_eq(nc_aead_init(&x, NC_AEAD_SEAL, 4, key, 32, iv, ts),
	    -1);
	ck_assert_int_eq(nc_aead_init(&x, NC_AEAD_SEAL, NC_CIPHER_AES128GCM,
	    key, 32, iv, ts), -1);
	ck_assert_int_eq(nc_aead_init(&x, NC_AEAD_SEAL, NC_CIPHER_AES256GCM,
	    key, 16, iv, ts), -1);
	ck_assert_int_eq(nc_aead_init(&x, 0, NC_CIPHER_AES256GCM, key, 32,
	    iv, ts), -1);
	ck_assert_ptr_null(x.ctx);
	ck_assert_int_eq(nc_aead_update(&x), -1);

	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

/* The nonce's high sequence bytes, against a one-shot reference. */
START_TEST(test_rec_nonce)
{
	static const uint64_t	 seqs[] = { 0x0102030405060708ULL,
				     1ULL << 32, 0xfffffffffffffffeULL };
	struct nc_aead		 s, o;
	EVP_CIPHER_CTX		*ctx;
	uint8_t			 rec[64], ref[64], nonce[12], got[64], t;
	uint8_t			 body[5] = { 1, 2, 3, 4, 5 };
	size_t			 reclen, n, i, j;
	int			 outl;
	const EVP_CIPHER	*c = _i == 0 ? EVP_aes_256_gcm() :
				     _i == 1 ? EVP_aes_128_gcm() :
				     EVP_chacha20_poly1305();

	pair_init((uint8_t)(1 + _i), &s, &o);
	for (i = 0; i < nitems(seqs); i++) {
		s.seq = o.seq = seqs[i];
		ck_assert_int_eq(nc_record_seal(&s, 4, body, sizeof(body), rec,
		    sizeof(rec), &reclen), 0);

		memcpy(nonce, s.iv, 12);
		for (j = 0; j < 8; j++)
			nonce[4 + j] ^= (uint8_t)(seqs[i] >> (56 - 8 * j));
		put_u32(ref, 1 + sizeof(body) + 16);
		ref[4] = 4;
		memcpy(ref + 5, body, sizeof(body));
		ck_assert_ptr_nonnull(ctx = EVP_CIPHER_CTX_new());
		ck_assert(EVP_EncryptInit_ex(ctx, c, NULL, s.key, nonce) == 1);
		ck_assert(EVP_EncryptUpdate(ctx, NULL, &outl, ref, 4) == 1);
		ck_assert(EVP_EncryptUpdate(ctx, ref + 4, &outl, ref + 4,
		    1 + sizeof(body)) == 1);
		ck_assert(EVP_EncryptFinal_ex(ctx, ref + 10, &outl) == 1);
		ck_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
		    ref + 10) == 1);
		EVP_CIPHER_CTX_free(ctx);
		ck_assert_uint_eq(reclen, 26);
		ck_assert_mem_eq(rec, ref, reclen);

		ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got,
		    sizeof(got), &n), 0);
		ck_assert_uint_eq(o.seq, seqs[i] + 1);
	}
	/* The last sequence number is never used: it would wrap. */
	ck_assert_uint_eq(s.seq, UINT64_MAX);
	ck_assert_int_eq(nc_record_seal(&s, 4, body, sizeof(body), rec,
	    sizeof(rec), &reclen), -1);
	ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got,
	    sizeof(got), &n), -1);
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

START_TEST(test_rec_update_chain)
{
	struct nc_aead	s, o;
	uint8_t		rec[64], got[64], body[8], t, oldkey[32];
	size_t		reclen, n, i;

	pair_init((uint8_t)(1 + _i), &s, &o);
	/* Both sides in step: a record, then KEYUPDATE, five times over. */
	for (i = 0; i < 5; i++) {
		put_u64(body, i);
		ck_assert_int_eq(nc_record_seal(&s, 4, body, sizeof(body), rec,
		    sizeof(rec), &reclen), 0);
		ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got,
		    sizeof(got), &n), 0);
		ck_assert_uint_eq(s.bytes, 1 + sizeof(body));
		memcpy(oldkey, s.key, sizeof(oldkey));
		ck_assert_int_eq(nc_aead_update(&s), 0);
		ck_assert_int_eq(nc_aead_update(&o), 0);
		ck_assert_int_ne(memcmp(oldkey, s.key, s.keylen), 0);
		ck_assert_mem_eq(s.key, o.key, s.keylen);
		ck_assert_uint_eq(s.seq, 0);
		ck_assert_uint_eq(s.bytes, 0);
	}
	/*
	 * The sender moves on three times alone: nothing opens until the
	 * opener has caught up.
	 */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(nc_aead_update(&s), 0);
	ck_assert_int_eq(nc_record_seal(&s, 4, body, sizeof(body), rec,
	    sizeof(rec), &reclen), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got,
		    sizeof(got), &n), -1);
		ck_assert_int_eq(nc_aead_update(&o), 0);
	}
	ck_assert_int_eq(nc_record_open(&o, rec, reclen, &t, got, sizeof(got),
	    &n), 0);
	ck_assert_mem_eq(s.ts, o.ts, sizeof(s.ts));
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

START_TEST(test_rec_should_update)
{
	struct nc_aead	s, o;

	pair_init(NC_CIPHER_AES256GCM, &s, &o);
	ck_assert_int_eq(nc_aead_should_update(&s), 0);
	s.seq = NC_KEYUPDATE_RECORDS - 1;
	ck_assert_int_eq(nc_aead_should_update(&s), 0);
	s.seq = NC_KEYUPDATE_RECORDS;
	ck_assert_int_eq(nc_aead_should_update(&s), 1);
	s.seq = 0;
	s.bytes = NC_KEYUPDATE_BYTES;
	ck_assert_int_eq(nc_aead_should_update(&s), 1);
	nc_aead_clear(&s);
	nc_aead_clear(&o);
}
END_TEST

START_TEST(test_cipher_select)
{
	static const uint8_t	a[] = { 3, 1 }, b[] = { 1, 3 }, c[] = { 2 };
	static const uint8_t	u[] = { 7, 0, 2 }, v[] = { 0, 7, 2 };

	ck_assert_int_eq(nc_cipher_select(a, 2, b, 2), 3);
	ck_assert_int_eq(nc_cipher_select(b, 2, a, 2), 1);
	ck_assert_int_eq(nc_cipher_select(a, 2, c, 1), 0);
	ck_assert_int_eq(nc_cipher_select(a, 0, b, 2), 0);
	/* ids we do not implement never win, even when both list them */
	ck_assert_int_eq(nc_cipher_select(u, 3, v, 3), 2);
	ck_assert_uint_eq(nc_cipher_keylen(0), 0);
	ck_assert_uint_eq(nc_cipher_keylen(4), 0);
}
END_TEST

START_TEST(test_keysched_bad)
{
	struct nc_keysched	ks;
	uint8_t			z[32] = { 0 }, prk[32];

	ck_assert_int_eq(nc_key_schedule(0, z, z, z, z, &ks, prk), -1);
	ck_assert_int_eq(nc_key_schedule(4, z, z, z, z, &ks, NULL), -1);
	ck_assert_int_eq(nc_key_schedule(2, z, z, z, z, &ks, NULL), 0);
	ck_assert_uint_eq(ks.keylen, 16);
	nc_keysched_clear(&ks);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite	*s = suite_create("crypto");
	TCase	*tc;

	tc = tcase_create("rfc");
	tcase_add_loop_test(tc, test_hkdf_rfc5869, 0, (int)nitems(rfc5869));
	tcase_add_test(tc, test_hkdf_limits);
	tcase_add_test(tc, test_x25519_rfc7748_5_2);
	tcase_add_test(tc, test_x25519_rfc7748_6_1);
	tcase_add_test(tc, test_x25519_low_order);
	tcase_add_test(tc, test_fingerprint_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vec_reader);
	tcase_add_loop_test(tc, test_vec_reader_bad, 0, (int)nitems(bad_json));
	tcase_add_test(tc, test_vec_strict);
	tcase_add_test(tc, test_vec_identity);
	tcase_add_test(tc, test_vec_hello);
	tcase_add_test(tc, test_vec_keys);
	tcase_add_test(tc, test_vec_schedule);
	tcase_add_test(tc, test_vec_records);
	tcase_add_test(tc, test_vec_all_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("record");
	tcase_add_loop_test(tc, test_rec_roundtrip, 0, 3);
	tcase_add_loop_test(tc, test_rec_seal2, 0, 3);
	tcase_add_loop_test(tc, test_rec_bitflip, 0, 3);
	tcase_add_loop_test(tc, test_rec_replay_order, 0, 3);
	tcase_add_loop_test(tc, test_rec_limits, 0, 3);
	tcase_add_loop_test(tc, test_rec_misuse, 0, 3);
	tcase_add_loop_test(tc, test_rec_nonce, 0, 3);
	tcase_add_loop_test(tc, test_rec_update_chain, 0, 3);
	tcase_add_test(tc, test_rec_should_update);
	tcase_add_test(tc, test_cipher_select);
	tcase_add_test(tc, test_keysched_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(crypto_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
