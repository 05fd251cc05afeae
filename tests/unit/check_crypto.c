/*
 * Known-answer tests of the crypto wrappers: HKDF against RFC 5869,
 * X25519 against RFC 7748 (low-order points refused), fingerprints, the
 * choice of a cipher and the key schedule's refusals.  The link protocol
 * against tests/vectors/link-v1.json is tested in check_linkvec.c, the
 * AEAD record layer in check_record.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "record.h"
#include "unitrun.h"
#include "util.h"

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

	tc = tcase_create("cipher");
	tcase_add_test(tc, test_cipher_select);
	tcase_add_test(tc, test_keysched_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(crypto_suite());
}
