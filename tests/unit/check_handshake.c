/*
 * The sans-I/O handshake (src/proto/handshake.c), whole: the known
 * answers of tests/vectors/link-v1.json (and FINISHED records forged
 * with the vectors' keys), and fresh handshakes over all ciphers, with
 * the resumption proof of version 2 and the refusal of version 1.  The
 * parties and the fake key-holder are in hsparty.c; malformed HELLOs are
 * tested in check_hshello.c, KEY, FINISHED and call order in
 * check_hskeyfin.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "handshake.h"
#include "resume.h"
#include "record.h"
#include "wire.h"
#include "hsparty.h"
#include "vectors.h"

/* ---- link-v1.json -------------------------------------------------- */

/* HELLO offsets (PROTOCOL.md 5.2): after u32 len, type, magic, ... */
#define OFF_RANDOM	11
#define OFF_EPOCH	(OFF_RANDOM + HS_RANDOM_LEN)
#define OFF_X25519	(OFF_EPOCH + HS_EPOCH_LEN)
#define OFF_NCIPHER	(OFF_X25519 + NC_X25519_LEN)

struct vside {
	uint8_t		 role;
	uint8_t		 prefs[HS_NCIPHER_MAX];
	size_t		 nprefs;
	uint8_t		*hello, *key, *fin;
	size_t		 hellolen, keylen, finlen;
	uint8_t		 secret[32], u[32], xpriv[32];
	uint8_t		*spki;
	size_t		 spkilen;
	EVP_PKEY	*priv;
	char		 name[WIRE_NAME_MAX + 1];
};

struct vcase {
	struct vec	*root, *c;
	struct vside	 i, r;
	uint8_t		 cipher, th1[32], th2[32];
};

static EVP_PKEY *
load_pem(struct vec *root, const char *key)
{
	const char	*pem = vec_str(root, key);
	EVP_PKEY	*pk = nc_load_privkey_mem(pem, strlen(pem));

	ck_assert_msg(pk != NULL, "%s does not load", key);
	return pk;
}

static void
vside_load(struct vcase *vc, struct vside *s, char x)
{
	char		 k[64];
	struct vec	*prefs;
	size_t		 n, namelen;

	s->role = x == 'i' ? WIRE_ROLE_INITIATOR : WIRE_ROLE_RESPONDER;
	snprintf(k, sizeof(k), "cipher_prefs_%c", x);
	prefs = vec_get(vc->c, k);
	s->nprefs = vec_len(prefs);
	ck_assert_uint_le(s->nprefs, HS_NCIPHER_MAX);
	for (n = 0; n < s->nprefs; n++)
		s->prefs[n] = (uint8_t)vec_as_int(vec_index(prefs, n));
	snprintf(k, sizeof(k), "hello_%c_record", x);
	s->hello = vec_hex_alloc(vc->c, k, &s->hellolen);
	snprintf(k, sizeof(k), "key_%c_record", x);
	s->key = vec_hex_alloc(vc->c, k, &s->keylen);
	snprintf(k, sizeof(k), "finished_%c_record (%s seq 0)", x,
	    x == 'i' ? "i2r" : "r2i");
	s->fin = vec_hex_alloc(vc->c, k, &s->finlen);
	snprintf(k, sizeof(k), "secret_%c", x);
	vec_hex(vc->c, k, s->secret, sizeof(s->secret), NULL);
	snprintf(k, sizeof(k), "u_%c", x);
	vec_hex(vc->c, k, s->u, sizeof(s->u), NULL);
	snprintf(k, sizeof(k), "x25519_private_%c", x);
	vec_hex(vc->root, k, s->xpriv, sizeof(s->xpriv), NULL);
	snprintf(k, sizeof(k), "spki_%c", x);
	s->spki = vec_hex_alloc(vc->root, k, &s->spkilen);
	snprintf(k, sizeof(k), "rsa_private_%c_pem", x);
	s->priv = load_pem(vc->root, k);

	/* The name is only in the record: after the cipher list. */
	ck_assert_uint_gt(s->hellolen, OFF_NCIPHER + 1 + s->nprefs);
	ck_assert_uint_eq(s->hello[OFF_NCIPHER], s->nprefs);
	namelen = s->hello[OFF_NCIPHER + 1 + s->nprefs];
	ck_assert_uint_le(namelen, WIRE_NAME_MAX);
	ck_assert_uint_gt(s->hellolen, OFF_NCIPHER + 2 + s->nprefs + namelen);
	memcpy(s->name, s->hello + OFF_NCIPHER + 2 + s->nprefs, namelen);
	s->name[namelen] = '\0';
}

static void
vside_free(struct vside *s)
{
	free(s->hello);
	free(s->key);
	free(s->fin);
	free(s->spki);
	EVP_PKEY_free(s->priv);
}

static void
vcase_load(struct vcase *vc, struct vec *root, size_t idx)
{
	memset(vc, 0, sizeof(*vc));
	vc->root = root;
	vc->c = vec_index(vec_get(root, "cases"), idx);
	vside_load(vc, &vc->i, 'i');
	vside_load(vc, &vc->r, 'r');
	vc->cipher = (uint8_t)vec_int(vc->c, "cipher");
	vec_hex(vc->c, "th1", vc->th1, sizeof(vc->th1), NULL);
	vec_hex(vc->c, "th2", vc->th2, sizeof(vc->th2), NULL);
}

static void
vcase_free(struct vcase *vc)
{
	vside_free(&vc->i);
	vside_free(&vc->r);
}

/* HELLO from the vector's parts with the pure builder. */
static void
vec_build_hello(const struct vside *s)
{
	struct hs_hello_info	h;
	uint8_t			out[HS_HELLO_MAX];
	size_t			outlen = 0;
	char			err[256] = "";

	memset(&h, 0, sizeof(h));
	h.version = 1;		/* the vectors are of version 1's HELLO */
	h.role = s->role;
	memcpy(h.random, s->hello + OFF_RANDOM, HS_RANDOM_LEN);
	memcpy(h.epoch, s->hello + OFF_EPOCH, HS_EPOCH_LEN);
	/* From the private key: checks the record's share as well. */
	ck_assert_int_eq(nc_x25519_public(s->xpriv, h.x25519), 0);
	memcpy(h.ciphers, s->prefs, s->nprefs);
	h.nciphers = (uint8_t)s->nprefs;
	memcpy(h.name, s->name, sizeof(h.name));
	memcpy(h.spki, s->spki, s->spkilen);
	h.spkilen = s->spkilen;
	ck_assert_msg(hs_build_hello(&h, out, sizeof(out), &outlen, err,
	    sizeof(err)) == 0, "build: %s", err);
	ck_assert_uint_eq(outlen, s->hellolen);
	ck_assert_mem_eq(out, s->hello, outlen);
}

/* A handshake object with every random value of the vector fixed. */
static struct handshake *
vec_hs(const struct vside *s)
{
	struct hs_config	 cfg;
	struct hs_fixed		 fx;
	struct handshake	*hs;
	const uint8_t		*rec;
	size_t			 len;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = s->role;
	cfg.spki = s->spki;
	cfg.spkilen = s->spkilen;
	cfg.name = s->name;
	cfg.ciphers = s->prefs;
	cfg.nciphers = (uint8_t)s->nprefs;
	memcpy(cfg.epoch, s->hello + OFF_EPOCH, HS_EPOCH_LEN);
	cfg.version = 1;	/* the vectors are of version 1's HELLO */
	memset(&fx, 0, sizeof(fx));
	memcpy(fx.random, s->hello + OFF_RANDOM, HS_RANDOM_LEN);
	memcpy(fx.x25519, s->xpriv, sizeof(fx.x25519));
	memcpy(fx.secret, s->secret, sizeof(fx.secret));
	fx.keyrec = s->key;
	fx.keyreclen = s->keylen;
	hs = hs_new_fixed(&cfg, &fx);
	ck_assert_ptr_nonnull(hs);
	rec = hs_hello_record(hs, &len);
	ck_assert_uint_eq(len, s->hellolen);
	ck_assert_mem_eq(rec, s->hello, len);
	return hs;
}

static void
vec_party(struct party *p, const struct vside *s)
{
	memset(p, 0, sizeof(*p));
	p->hs = vec_hs(s);
	p->priv = s->priv;
}

/* The HELLOs and KEYs of a vector case, up to both FINISHED records. */
static void
vec_to_finished(struct vcase *vc, struct party *i, struct party *r)
{
	struct kh_unwrap_req	 req;
	const uint8_t		*blob;
	size_t			 bloblen;
	uint8_t			 u[32];
	char			 fp[NC_FP_STRLEN];

	vec_party(i, &vc->i);
	vec_party(r, &vc->r);
	ck_assert_ptr_null(hs_th1(i->hs));
	hellos(i, r);
	ck_assert_mem_eq(hs_th1(i->hs), vc->th1, 32);
	ck_assert_uint_eq(hs_cipher(i->hs), vc->cipher);
	ck_assert_str_eq(i->info.name, vc->r.name);
	ck_assert_int_eq(i->info.rsa_bits, 2048);
	ck_assert_int_eq(nc_fingerprint(vc->r.spki, vc->r.spkilen, fp,
	    sizeof(fp)), 0);
	ck_assert_str_eq(fp, vec_str(vc->root, "fingerprint_r"));
	ck_assert_int_eq(nc_fingerprint(r->info.spki, r->info.spkilen, fp,
	    sizeof(fp)), 0);
	ck_assert_str_eq(fp, vec_str(vc->root, "fingerprint_i"));

	make_key(i);
	make_key(r);
	ck_assert_mem_eq(i->key, vc->i.key, vc->i.keylen);
	ck_assert_mem_eq(r->key, vc->r.key, vc->r.keylen);

	/* R unwraps I's secret: the request carries I's role and th1. */
	ck_assert_int_eq(hs_recv_key(r->hs, i->key, i->keylen, &req, &blob,
	    &bloblen, r->err, sizeof(r->err)), 0);
	ck_assert_uint_eq(req.role, KH_ROLE_INITIATOR);
	ck_assert_mem_eq(req.th1, vc->th1, 32);
	fake_kh(r->priv, &req, blob, bloblen, u);
	ck_assert_mem_eq(u, vc->i.u, 32);
	ck_assert_int_eq(hs_unwrapped(r->hs, u, &r->fin, &r->finlen, r->err,
	    sizeof(r->err)), 0);

	ck_assert_int_eq(hs_recv_key(i->hs, r->key, r->keylen, &req, &blob,
	    &bloblen, i->err, sizeof(i->err)), 0);
	ck_assert_uint_eq(req.role, KH_ROLE_RESPONDER);
	ck_assert_mem_eq(req.th1, vc->th1, 32);
	fake_kh(i->priv, &req, blob, bloblen, u);
	ck_assert_mem_eq(u, vc->r.u, 32);
	ck_assert_int_eq(hs_unwrapped(i->hs, u, &i->fin, &i->finlen, i->err,
	    sizeof(i->err)), 0);

	ck_assert_mem_eq(hs_th2(i->hs), vc->th2, 32);
	ck_assert_mem_eq(hs_th2(r->hs), vc->th2, 32);
	ck_assert_uint_eq(i->finlen, vc->i.finlen);
	ck_assert_mem_eq(i->fin, vc->i.fin, i->finlen);
	ck_assert_uint_eq(r->finlen, vc->r.finlen);
	ck_assert_mem_eq(r->fin, vc->r.fin, r->finlen);
}

static void
expect_aead(struct vec *exp, const struct nc_aead *a, const char *dir)
{
	uint8_t	want[32];
	char	k[32];

	snprintf(k, sizeof(k), "nc1 key %s", dir);
	vec_hex(exp, k, want, a->keylen, NULL);
	ck_assert_mem_eq(a->key, want, a->keylen);
	snprintf(k, sizeof(k), "nc1 iv %s", dir);
	vec_hex(exp, k, want, NC_AEAD_IVLEN, NULL);
	ck_assert_mem_eq(a->iv, want, NC_AEAD_IVLEN);
	snprintf(k, sizeof(k), "nc1 upd %s", dir);
	vec_hex(exp, k, want, NC_TS_LEN, NULL);
	ck_assert_mem_eq(a->ts, want, NC_TS_LEN);
	ck_assert_uint_eq(a->seq, 1);	/* FINISHED was seq 0 */
}

/* The handed-over directions: keys, and the PING of the vector. */
static void
vec_traffic(struct vcase *vc, struct party *i, struct party *r)
{
	struct nc_aead	 is, ir, rs, rr;
	struct vec	*exp = vec_get(vc->c, "expanded");
	uint8_t		 body[8] = { 0, 0, 0, 0, 0, 0, 0, 42 }, out[64];
	uint8_t		*want, type = 0;
	size_t		 wantlen, outlen = 0, n = 0;

	ck_assert_int_eq(hs_take_aeads(i->hs, &is, &ir), 0);
	ck_assert_int_eq(hs_take_aeads(r->hs, &rs, &rr), 0);
	expect_aead(exp, &is, "i2r");
	expect_aead(exp, &rr, "i2r");
	expect_aead(exp, &rs, "r2i");
	expect_aead(exp, &ir, "r2i");

	want = vec_hex_alloc(vc->c, "ping_i_record (i2r seq 1, nonce 42)",
	    &wantlen);
	ck_assert_int_eq(nc_record_seal(&is, REC_PING, body, sizeof(body), out,
	    sizeof(out), &outlen), 0);
	ck_assert_uint_eq(outlen, wantlen);
	ck_assert_mem_eq(out, want, wantlen);
	free(want);
	memset(body, 0, sizeof(body));
	ck_assert_int_eq(nc_record_open(&rr, out, outlen, &type, body,
	    sizeof(body), &n), 0);
	ck_assert_uint_eq(type, REC_PING);
	ck_assert_uint_eq(body[7], 42);
	nc_aead_clear(&is);
	nc_aead_clear(&ir);
	nc_aead_clear(&rs);
	nc_aead_clear(&rr);
}

START_TEST(test_vectors)
{
	struct vec	*root = vec_load(VEC_LINK_V1);
	struct vec	*cases = vec_get(root, "cases");
	struct vcase	 vc;
	struct party	 i, r;
	size_t		 n;

	ck_assert_uint_ge(vec_len(cases), 3);
	for (n = 0; n < vec_len(cases); n++) {
		vcase_load(&vc, root, n);
		vec_build_hello(&vc.i);
		vec_build_hello(&vc.r);
		vec_to_finished(&vc, &i, &r);
		ck_assert_msg(recv_fin(&i, r.fin, r.finlen) == 0, "case %zu: "
		    "I: %s", n, i.err);
		ck_assert_msg(recv_fin(&r, i.fin, i.finlen) == 0, "case %zu: "
		    "R: %s", n, r.err);
		vec_traffic(&vc, &i, &r);
		party_free(&i);
		party_free(&r);
		vcase_free(&vc);
	}
	vec_free(root);
}
END_TEST

/*
 * Records sealed with the vector's r2i keys: they authenticate, so I's
 * checks behind the AEAD (type, MAC) are what refuses them.
 */
START_TEST(test_vec_finished_forged)
{
	struct vec	*root = vec_load(VEC_LINK_V1);
	struct vec	*exp, *other;
	struct vcase	 vc;
	struct party	 i, r;
	struct nc_aead	 a;
	uint8_t		 key[32], iv[12], ts[32], mac[32], rec[64];
	size_t		 keylen, reclen = 0;
	uint8_t		 type = REC_FINISHED;
	const char	*want = NULL;

	vcase_load(&vc, root, 0);
	vec_to_finished(&vc, &i, &r);
	exp = vec_get(vc.c, "expanded");
	keylen = nc_cipher_keylen(vc.cipher);
	vec_hex(exp, "nc1 key r2i", key, keylen, NULL);
	vec_hex(exp, "nc1 iv r2i", iv, sizeof(iv), NULL);
	vec_hex(exp, "nc1 upd r2i", ts, sizeof(ts), NULL);
	ck_assert_int_eq(nc_aead_init(&a, NC_AEAD_SEAL, vc.cipher, key, keylen,
	    iv, ts), 0);
	vec_hex(vc.c, "finished_r_mac", mac, sizeof(mac), NULL);
	switch (_i) {
	case 0:		/* the real thing, rebuilt: accepted */
		break;
	case 1:		/* R's MAC of another handshake */
		other = vec_index(vec_get(root, "cases"), 1);
		vec_hex(other, "finished_r_mac", mac, sizeof(mac), NULL);
		want = "MAC";
		break;
	case 2:		/* right MAC, wrong type */
		type = REC_PING;
		want = "record type";
		break;
	case 3:		/* right MAC, but not the first record */
		ck_assert_int_eq(nc_record_seal(&a, REC_PING, mac, 8, rec,
		    sizeof(rec), &reclen), 0);
		want = "authenticate";
		break;
	}
	ck_assert_int_eq(nc_record_seal(&a, type, mac, sizeof(mac), rec,
	    sizeof(rec), &reclen), 0);
	if (want == NULL) {
		ck_assert_mem_eq(rec, vc.r.fin, reclen);
		ck_assert_msg(recv_fin(&i, rec, reclen) == 0, "%s", i.err);
	} else
		refused(recv_fin(&i, rec, reclen), i.err, want, "forged");
	nc_aead_clear(&a);
	party_free(&i);
	party_free(&r);
	vcase_free(&vc);
	vec_free(root);
}
END_TEST

/* ---- fresh handshakes ---------------------------------------------- */

static void
interop(struct nc_aead *send, struct nc_aead *recv)
{
	static uint8_t	 body[NC_REC_MAXBODY], got[NC_REC_MAXBODY];
	static uint8_t	 rec[NC_REC_MAXWIRE];
	static const size_t sizes[] = { 0, 1, 100, NC_REC_MAXBODY };
	size_t		 k, reclen = 0, n = 0;
	uint8_t		 type = 0;

	for (k = 0; k < sizeof(body); k++)
		body[k] = (uint8_t)(k * 7 + 1);
	for (k = 0; k < nitems(sizes); k++) {
		ck_assert_int_eq(nc_record_seal(send, REC_MSG, body, sizes[k],
		    rec, sizeof(rec), &reclen), 0);
		ck_assert_int_eq(nc_record_open(recv, rec, reclen, &type, got,
		    sizeof(got), &n), 0);
		ck_assert_uint_eq(type, REC_MSG);
		ck_assert_uint_eq(n, sizes[k]);
		ck_assert_int_eq(memcmp(got, body, n), 0);
	}
	/* A key update on both ends keeps them in step. */
	ck_assert_int_eq(nc_aead_update(send), 0);
	ck_assert_int_eq(nc_aead_update(recv), 0);
	ck_assert_int_eq(nc_record_seal(send, REC_PING, body, 8, rec,
	    sizeof(rec), &reclen), 0);
	ck_assert_int_eq(nc_record_open(recv, rec, reclen, &type, got,
	    sizeof(got), &n), 0);
	ck_assert_uint_eq(type, REC_PING);
}

START_TEST(test_full)
{
	const uint8_t	 want = all_ciphers[_i];
	const uint8_t	 prefs_r[] = { 3, 2, 1 };
	uint8_t		 prefs_i[3];
	struct party	 i, r;
	struct nc_aead	 is, ir, rs, rr;
	size_t		 k, n = 0;

	/* I prefers want; R's own order must not matter. */
	prefs_i[n++] = want;
	for (k = 0; k < nitems(all_ciphers); k++)
		if (all_ciphers[k] != want)
			prefs_i[n++] = all_ciphers[k];
	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, prefs_i, n);
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, prefs_r, nitems(prefs_r));
	handshake(&i, &r);
	ck_assert_uint_eq(hs_cipher(i.hs), want);
	ck_assert_uint_eq(hs_cipher(r.hs), want);
	ck_assert_str_eq(i.info.name, "hostb");
	ck_assert_str_eq(r.info.name, "hosta");
	ck_assert_uint_eq(i.info.role, WIRE_ROLE_RESPONDER);
	ck_assert_mem_eq(r.info.epoch, epoch_a, HS_EPOCH_LEN);
	ck_assert_uint_eq(i.info.spkilen, key_b.spkilen);
	ck_assert_mem_eq(i.info.spki, key_b.spki, key_b.spkilen);

	ck_assert_int_eq(hs_take_aeads(i.hs, &is, &ir), 0);
	ck_assert_int_eq(hs_take_aeads(r.hs, &rs, &rr), 0);
	ck_assert_uint_eq(is.cipher_id, want);
	interop(&is, &rr);
	interop(&rs, &ir);
	nc_aead_clear(&is);
	nc_aead_clear(&ir);
	nc_aead_clear(&rs);
	nc_aead_clear(&rr);
	party_free(&i);
	party_free(&r);
}
END_TEST

/*
 * Version 2: both sides of a handshake end with the same resumption
 * secret; an initiator given it proves it in its next HELLO's random,
 * which the responder's check accepts; without it, the random proves
 * nothing.
 */
START_TEST(test_resume_proof)
{
	struct party		 i, r, i2, r2;
	struct resume_state	 st;
	struct hs_config	 cfg;
	uint8_t			 rs[RESUME_SECRET_LEN];

	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	ck_assert_ptr_null(hs_resume_secret(i.hs));
	handshake(&i, &r);
	ck_assert_ptr_nonnull(hs_resume_secret(i.hs));
	ck_assert_ptr_nonnull(hs_resume_secret(r.hs));
	ck_assert_mem_eq(hs_resume_secret(i.hs), hs_resume_secret(r.hs),
	    RESUME_SECRET_LEN);
	memcpy(rs, hs_resume_secret(i.hs), sizeof(rs));
	memset(&st, 0, sizeof(st));
	resume_store(&st, rs);

	/* The next dial, with the secret: proven, once. */
	memset(&i2, 0, sizeof(i2));
	cfg = config(WIRE_ROLE_INITIATOR, &key_a, "hosta", all_ciphers, 3);
	cfg.resume = rs;
	ck_assert_ptr_nonnull(i2.hs = hs_new(&cfg));
	i2.priv = key_a.pk;
	party_new(&r2, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	hellos(&i2, &r2);
	ck_assert_uint_eq(r2.info.version, WIRE_VERSION);
	ck_assert_int_eq(resume_check(&st, r2.info.random, r2.info.epoch,
	    r2.info.x25519), 1);
	ck_assert_int_eq(resume_check(&st, r2.info.random, r2.info.epoch,
	    r2.info.x25519), -1);
	/* The proof does not change the handshake itself. */
	keys(&i2, &r2);
	party_free(&i2);
	party_free(&r2);
	/* Without the secret: no proof. */
	party_new(&i2, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r2, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	hellos(&i2, &r2);
	ck_assert_int_eq(resume_check(&st, r2.info.random, r2.info.epoch,
	    r2.info.x25519), 0);
	party_free(&i2);
	party_free(&r2);
	party_free(&i);
	party_free(&r);
	resume_clear(&st);
}
END_TEST

/*
 * A version 1 HELLO (an older netcryptd) parses, but a version 2
 * handshake refuses it, saying so.
 */
START_TEST(test_version1_refused)
{
	struct party		 i, r;
	struct hs_config	 cfg;

	memset(&i, 0, sizeof(i));
	cfg = config(WIRE_ROLE_INITIATOR, &key_a, "hosta", all_ciphers, 3);
	cfg.version = 1;
	ck_assert_ptr_nonnull(i.hs = hs_new(&cfg));
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	refused(recv_hello(&r, &i), r.err, "version 1 (an older netcryptd: "
	    "upgrade it)", "v1 HELLO");
	ck_assert_uint_eq(r.info.version, 1);
	party_free(&i);
	party_free(&r);
}
END_TEST

/* Two fresh handshakes between the same keys share no secret. */
START_TEST(test_fresh_values)
{
	struct party	i1, r1, i2, r2;
	size_t		l1, l2;
	const uint8_t	*h1, *h2;

	party_new(&i1, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r1, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	party_new(&i2, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r2, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	h1 = hs_hello_record(i1.hs, &l1);
	h2 = hs_hello_record(i2.hs, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_ne(memcmp(h1, h2, l1), 0);
	handshake(&i1, &r1);
	handshake(&i2, &r2);
	ck_assert_int_ne(memcmp(i1.key, i2.key, i1.keylen), 0);
	ck_assert_int_ne(memcmp(i1.fin, i2.fin, i1.finlen), 0);
	ck_assert_int_ne(memcmp(hs_th2(i1.hs), hs_th2(i2.hs), 32), 0);
	party_free(&i1);
	party_free(&r1);
	party_free(&i2);
	party_free(&r2);
}
END_TEST

static Suite *
handshake_suite(void)
{
	Suite	*s = suite_create("handshake");
	TCase	*tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vectors);
	tcase_add_loop_test(tc, test_vec_finished_forged, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("fresh");
	tcase_add_loop_test(tc, test_full, 0, (int)nitems(all_ciphers));
	tcase_add_test(tc, test_fresh_values);
	tcase_add_test(tc, test_resume_proof);
	tcase_add_test(tc, test_version1_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hsparty_run(handshake_suite());
}
