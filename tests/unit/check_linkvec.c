/*
 * Known-answer tests of the link protocol against
 * tests/vectors/link-v1.json (PROTOCOL.md 9): identities and
 * fingerprints, HELLOs, KEYs (unwrapping, implicit rejection), the key
 * schedule and FINISHED MACs, sealed and opened records, and that no
 * value of the file went unchecked.  The records are parsed here by hand,
 * independently of the handshake code.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "crypto.h"
#include "record.h"
#include "unitrun.h"
#include "vectors.h"
#include "wire.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------- */

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
static Suite *
linkvec_suite(void)
{
	Suite	*s = suite_create("link-v1.json");
	TCase	*tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vec_identity);
	tcase_add_test(tc, test_vec_hello);
	tcase_add_test(tc, test_vec_keys);
	tcase_add_test(tc, test_vec_schedule);
	tcase_add_test(tc, test_vec_records);
	tcase_add_test(tc, test_vec_all_checked);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(linkvec_suite());
}
