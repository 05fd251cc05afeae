/*
 * The sans-I/O handshake (src/proto/handshake.c): known answers of
 * tests/vectors/link-v1.json, fresh handshakes over all ciphers, and
 * refusal of every malformed or out-of-place record.  A "fake
 * key-holder" unwraps with the private key directly, as kh_unwrap()
 * does (implicit rejection included).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "conf.h"
#include "crypto.h"
#include "handshake.h"
#include "resume.h"
#include "ipc.h"
#include "record.h"
#include "wire.h"
#include "vectors.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct testkey {
	EVP_PKEY	*pk;
	uint8_t		*spki;
	size_t		 spkilen;
};

/* Made once in main(); the forked tests inherit them. */
static struct testkey	key_a, key_b, key_c, key_weak, key_ec;

static const uint8_t	all_ciphers[] = { NC_CIPHER_AES256GCM,
			    NC_CIPHER_AES128GCM, NC_CIPHER_CHACHA20 };
static const uint8_t	kh_seed[32] = { 0x5e, 0xed };
static const uint8_t	epoch_a[HS_EPOCH_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* One side of a handshake under test. */
struct party {
	struct handshake	*hs;
	EVP_PKEY		*priv;		/* for the fake key-holder */
	const uint8_t		*key, *fin;
	size_t			 keylen, finlen;
	struct hs_hello_info	 info;		/* the peer's HELLO */
	char			 err[256];
};

/* ---- helpers ------------------------------------------------------- */

static struct hs_config
config(uint8_t role, const struct testkey *k, const char *name,
    const uint8_t *ciphers, size_t n)
{
	struct hs_config	cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = role;
	cfg.spki = k->spki;
	cfg.spkilen = k->spkilen;
	cfg.name = name;
	cfg.ciphers = ciphers;
	cfg.nciphers = (uint8_t)n;
	memcpy(cfg.epoch, epoch_a, sizeof(cfg.epoch));
	return cfg;
}

static void
party_new(struct party *p, uint8_t role, const struct testkey *k,
    const uint8_t *ciphers, size_t n)
{
	struct hs_config	cfg;

	memset(p, 0, sizeof(*p));
	cfg = config(role, k, role == WIRE_ROLE_INITIATOR ? "hosta" : "hostb",
	    ciphers, n);
	p->hs = hs_new(&cfg);
	ck_assert_ptr_nonnull(p->hs);
	p->priv = k->pk;
}

static void
party_free(struct party *p)
{
	hs_free(p->hs);
	p->hs = NULL;
}

/* What kh_unwrap() does, with the private key at hand. */
static void
fake_kh(EVP_PKEY *priv, const struct kh_unwrap_req *req,
    const uint8_t *blob, size_t bloblen, uint8_t u[NC_SHA256_LEN])
{
	uint8_t	label[64], plain[KH_BLOB_MAX];
	size_t	labellen = 0, plainlen = 0;

	ck_assert_int_eq(nc_oaep_label(req->role, req->th1, label,
	    sizeof(label), &labellen), 0);
	if (nc_oaep_unwrap(priv, label, labellen, blob, bloblen, plain,
	    sizeof(plain), &plainlen) == 0 && plainlen == NC_SECRET_LEN)
		ck_assert_int_eq(nc_derive_u(plain, req->th1, req->role, u), 0);
	else
		ck_assert_int_eq(nc_reject_u(kh_seed, req->th1, blob, bloblen,
		    u), 0);
	OPENSSL_cleanse(plain, sizeof(plain));
}

/* p receives from's HELLO; 0 or -1. */
static int
recv_hello(struct party *p, const struct party *from)
{
	const uint8_t	*rec;
	size_t		 len;

	rec = hs_hello_record(from->hs, &len);
	return hs_recv_hello(p->hs, rec, len, &p->info, p->err,
	    sizeof(p->err));
}

static void
hellos(struct party *i, struct party *r)
{
	ck_assert_msg(recv_hello(i, r) == 0, "I: %s", i->err);
	ck_assert_msg(recv_hello(r, i) == 0, "R: %s", r->err);
	ck_assert_int_eq(hs_cipher(i->hs), hs_cipher(r->hs));
	ck_assert_mem_eq(hs_th1(i->hs), hs_th1(r->hs), NC_SHA256_LEN);
}

static void
make_key(struct party *p)
{
	ck_assert_msg(hs_make_key(p->hs, &p->key, &p->keylen, p->err,
	    sizeof(p->err)) == 0, "make_key: %s", p->err);
}

/* p receives a KEY, has it unwrapped, and makes its FINISHED. */
static void
recv_key(struct party *p, const uint8_t *rec, size_t len, uint8_t u[32])
{
	struct kh_unwrap_req	 req;
	const uint8_t		*blob;
	size_t			 bloblen;

	ck_assert_msg(hs_recv_key(p->hs, rec, len, &req, &blob, &bloblen,
	    p->err, sizeof(p->err)) == 0, "recv_key: %s", p->err);
	ck_assert_uint_eq(bloblen, len - 5);
	ck_assert_mem_eq(req.th1, hs_th1(p->hs), NC_SHA256_LEN);
	fake_kh(p->priv, &req, blob, bloblen, u);
	ck_assert_msg(hs_unwrapped(p->hs, u, &p->fin, &p->finlen, p->err,
	    sizeof(p->err)) == 0, "unwrapped: %s", p->err);
	ck_assert_uint_eq(p->finlen, HS_FINISHED_LEN);
}

static void
keys(struct party *i, struct party *r)
{
	uint8_t	u[32];

	make_key(i);
	make_key(r);
	recv_key(r, i->key, i->keylen, u);
	recv_key(i, r->key, r->keylen, u);
	ck_assert_mem_eq(hs_th2(i->hs), hs_th2(r->hs), NC_SHA256_LEN);
}

static int
recv_fin(struct party *p, const uint8_t *rec, size_t len)
{
	return hs_recv_finished(p->hs, rec, len, p->err, sizeof(p->err));
}

static void
handshake(struct party *i, struct party *r)
{
	hellos(i, r);
	keys(i, r);
	ck_assert_msg(recv_fin(i, r->fin, r->finlen) == 0, "I: %s", i->err);
	ck_assert_msg(recv_fin(r, i->fin, i->finlen) == 0, "R: %s", r->err);
}

/* The call failed, said why, and the reason mentions want (if any). */
static void
refused(int rv, const char *err, const char *want, const char *what)
{
	ck_assert_msg(rv == -1, "%s: accepted", what);
	ck_assert_msg(err[0] != '\0', "%s: no reason given", what);
	if (want != NULL)
		ck_assert_msg(strstr(err, want) != NULL,
		    "%s: reason \"%s\" does not mention \"%s\"", what, err,
		    want);
}

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

/* ---- malformed HELLO ------------------------------------------------ */

/* A HELLO written field by field, without any check. */
struct raw {
	uint8_t		 type;
	char		 magic[5];
	uint8_t		 version, role;
	uint8_t		 x25519[32];
	uint8_t		 ncipher;	/* as written */
	uint8_t		 ids[8];
	size_t		 nids;		/* as present */
	uint8_t		 namelen;
	char		 name[80];
	size_t		 namebytes;
	int		 nokey;		/* stop after the name */
	uint16_t	 keylen;
	const uint8_t	*spki;
	size_t		 spkibytes;
	size_t		 trailing;	/* bytes after the key */
};

static void
raw_default(struct raw *r, const struct testkey *k)
{
	static const uint8_t	xpriv[32] = { 0x77, 1, 2, 3 };

	memset(r, 0, sizeof(*r));
	r->type = REC_HELLO;
	memcpy(r->magic, "NCRY", 5);
	r->version = WIRE_VERSION;
	r->role = WIRE_ROLE_RESPONDER;
	ck_assert_int_eq(nc_x25519_public(xpriv, r->x25519), 0);
	r->ncipher = r->nids = 3;
	memcpy(r->ids, all_ciphers, 3);
	memcpy(r->name, "hostb", 5);
	r->namelen = r->namebytes = 5;
	r->spki = k->spki;
	r->spkibytes = r->keylen = (uint16_t)k->spkilen;
}

/* The record, with a len field that matches; its total size. */
static size_t
raw_build(const struct raw *r, uint8_t *out, size_t outsz)
{
	size_t	n = 4, k;

	ck_assert_uint_le(4 + 1 + 78 + 1 + r->nids + 1 + r->namebytes + 2 +
	    r->spkibytes + r->trailing, outsz);
	out[n++] = r->type;
	memcpy(out + n, r->magic, 4);
	n += 4;
	out[n++] = r->version;
	out[n++] = r->role;
	for (k = 0; k < HS_RANDOM_LEN + HS_EPOCH_LEN; k++)
		out[n++] = (uint8_t)(0xa0 + k);
	memcpy(out + n, r->x25519, 32);
	n += 32;
	out[n++] = r->ncipher;
	memcpy(out + n, r->ids, r->nids);
	n += r->nids;
	out[n++] = r->namelen;
	memcpy(out + n, r->name, r->namebytes);
	n += r->namebytes;
	if (!r->nokey) {
		out[n++] = (uint8_t)(r->keylen >> 8);
		out[n++] = (uint8_t)r->keylen;
		if (r->spkibytes > 0)
			memcpy(out + n, r->spki, r->spkibytes);
		n += r->spkibytes;
	}
	memset(out + n, 0xaa, r->trailing);
	n += r->trailing;
	out[0] = (uint8_t)((n - 4) >> 24);
	out[1] = (uint8_t)((n - 4) >> 16);
	out[2] = (uint8_t)((n - 4) >> 8);
	out[3] = (uint8_t)(n - 4);
	return n;
}

static void
put_len(uint8_t *rec, uint32_t v)
{
	rec[0] = (uint8_t)(v >> 24);
	rec[1] = (uint8_t)(v >> 16);
	rec[2] = (uint8_t)(v >> 8);
	rec[3] = (uint8_t)v;
}

/* An RSA-2048 SPKI whose outer length is in a longer form than needed. */
static size_t
noncanonical_spki(uint8_t *out, size_t outsz)
{
	/* 30 82 01 22 ... -> 30 83 00 01 22 ... */
	ck_assert_uint_eq(key_b.spki[1], 0x82);
	ck_assert_uint_le(key_b.spkilen + 1, outsz);
	out[0] = 0x30;
	out[1] = 0x83;
	out[2] = 0;
	memcpy(out + 3, key_b.spki + 2, key_b.spkilen - 2);
	return key_b.spkilen + 1;
}

static const struct bad_hello {
	const char	*what;
	const char	*reason;	/* a word of the expected reason */
	int		 context;	/* refused by hs_recv_hello only */
} bad_hellos[] = {
	{ "bad magic", "magic", 0 },
	{ "version 3", "version", 0 },
	{ "version 0", "version", 0 },
	{ "role 0", "role", 0 },
	{ "role 3", "role", 0 },
	{ "role of ours", "our role", 1 },
	{ "len field +1", "length field", 0 },
	{ "len field -1", "length field", 0 },
	{ "len field 2^32-1", "over the limit", 0 },
	{ "record of 8193", "over the limit", 0 },
	{ "type KEY", "record type", 0 },
	{ "ncipher 0", "0 cipher ids", 0 },
	{ "ncipher 4", "4 cipher ids", 0 },
	{ "unknown ciphers only", "no known cipher", 0 },
	{ "duplicate cipher", "twice", 0 },
	{ "duplicate among unknown", "twice", 0 },
	{ "cipher list over the end", "runs past the end", 0 },
	{ "namelen 0", "name of 0 bytes", 0 },
	{ "namelen 65", "name of 65 bytes", 0 },
	{ "name over the end", "name of 20 bytes runs past", 0 },
	{ "name with a space", "[A-Za-z0-9._-]", 0 },
	{ "name with a slash", "[A-Za-z0-9._-]", 0 },
	{ "name with a NUL", "[A-Za-z0-9._-]", 0 },
	{ "name in UTF-8", "[A-Za-z0-9._-]", 0 },
	{ "no key length", "key length", 0 },
	{ "keylen 0", "key of 0 bytes", 0 },
	{ "keylen over the end", "runs past the end", 0 },
	{ "keylen 65535", "key of 65535 bytes", 0 },
	{ "keylen 4097", "key of 4097 bytes", 0 },
	{ "trailing byte", "after the key", 0 },
	{ "garbage SPKI", "RSA public key", 0 },
	{ "SPKI cut short", "RSA public key", 0 },
	{ "non-canonical SPKI", "key", 0 },
	{ "RSA-1024", "1024 bits", 0 },
	{ "EC key", "RSA public key", 0 },
	{ "our own key", "our own key", 1 },
	{ "our own HELLO", "our role", 1 },
	{ "no common cipher", "no cipher in common", 1 },
	{ "empty body", "runs past the end", 0 },
};

static size_t
bad_hello(int which, uint8_t *buf, size_t bufsz)
{
	static uint8_t	 garbage[300], spki[600];
	struct raw	 r;
	size_t		 len;

	raw_default(&r, &key_b);
	switch (which) {
	case 0: memcpy(r.magic, "NCRZ", 5); break;
	case 1: r.version = 3; break;
	case 2: r.version = 0; break;
	case 3: r.role = 0; break;
	case 4: r.role = 3; break;
	case 5: r.role = WIRE_ROLE_INITIATOR; break;
	case 6:
		len = raw_build(&r, buf, bufsz);
		put_len(buf, (uint32_t)(len - 4 + 1));
		return len;
	case 7:
		len = raw_build(&r, buf, bufsz);
		put_len(buf, (uint32_t)(len - 4 - 1));
		return len;
	case 8:
		len = raw_build(&r, buf, bufsz);
		put_len(buf, 0xffffffffU);
		return len;
	case 9:
		len = raw_build(&r, buf, bufsz);
		r.trailing = WIRE_PLAIN_MAX + 1 - (len - 4);
		break;
	case 10: r.type = REC_KEY; break;
	case 11: r.ncipher = r.nids = 0; break;
	case 12: r.ncipher = r.nids = 4; r.ids[3] = 9; break;
	case 13: r.ncipher = r.nids = 2; r.ids[0] = 7; r.ids[1] = 200; break;
	case 14: r.ncipher = r.nids = 2; r.ids[0] = r.ids[1] = 1; break;
	case 15:
		r.ncipher = r.nids = 3;
		r.ids[0] = 2; r.ids[1] = 9; r.ids[2] = 9;
		break;
	case 16:
		/* ncipher 3, then nothing at all */
		r.nids = 2; r.namebytes = 0; r.nokey = 1;
		len = raw_build(&r, buf, bufsz) - 1;	/* and no namelen */
		put_len(buf, (uint32_t)(len - 4));
		return len;
	case 17: r.namelen = r.namebytes = 0; break;
	case 18:
		memset(r.name, 'a', 65);
		r.namelen = r.namebytes = 65;
		break;
	case 19: r.namelen = 20; r.nokey = 1; break;
	case 20: memcpy(r.name, "ho tb", 5); break;
	case 21: memcpy(r.name, "ho/tb", 5); break;
	case 22: memcpy(r.name, "ho\0tb", 5); break;
	case 23: memcpy(r.name, "h\xc3\xa9tb", 5); break;
	case 24: r.nokey = 1; break;
	case 25: r.keylen = 0; r.spkibytes = 0; break;
	case 26: r.keylen = (uint16_t)(key_b.spkilen + 1); break;
	case 27: r.keylen = 0xffff; break;
	case 28:
		/* 4097 bytes follow the length, as trailing filler */
		r.keylen = NC_SPKI_MAX + 1;
		r.spkibytes = 0;
		r.trailing = NC_SPKI_MAX + 1;
		break;
	case 29: r.trailing = 1; break;
	case 30:
		memset(garbage, 0x5a, sizeof(garbage));
		r.spki = garbage;
		r.keylen = r.spkibytes = sizeof(garbage);
		break;
	case 31: r.keylen = r.spkibytes = (uint16_t)(key_b.spkilen - 1); break;
	case 32:
		r.spki = spki;
		r.keylen = r.spkibytes = (uint16_t)noncanonical_spki(spki,
		    sizeof(spki));
		break;
	case 33:
		r.spki = key_weak.spki;
		r.keylen = r.spkibytes = (uint16_t)key_weak.spkilen;
		break;
	case 34:
		r.spki = key_ec.spki;
		r.keylen = r.spkibytes = (uint16_t)key_ec.spkilen;
		break;
	case 35:
		r.spki = key_a.spki;
		r.keylen = r.spkibytes = (uint16_t)key_a.spkilen;
		break;
	case 36:
		return 0;	/* the caller sends our own HELLO */
	case 37: r.ncipher = r.nids = 2; r.ids[0] = 2; r.ids[1] = 3; break;
	case 38:
		put_len(buf, 1);
		buf[4] = REC_HELLO;
		return 5;
	default:
		ck_abort_msg("no case %d", which);
	}
	return raw_build(&r, buf, bufsz);
}

START_TEST(test_bad_hello)
{
	static uint8_t		 buf[4 + WIRE_PLAIN_MAX + 4200];
	const struct bad_hello	*b = &bad_hellos[_i];
	const uint8_t		 only_aes256[] = { NC_CIPHER_AES256GCM };
	struct hs_hello_info	 info;
	struct party		 i;
	const uint8_t		*rec = buf;
	size_t			 len, n;
	char			 err[256] = "";
	int			 rv;

	/* Case 37 needs an initiator that only has AES-256-GCM. */
	if (_i == 37)
		party_new(&i, WIRE_ROLE_INITIATOR, &key_a, only_aes256, 1);
	else
		party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	len = bad_hello(_i, buf, sizeof(buf));
	if (_i == 36)
		rec = hs_hello_record(i.hs, &len);

	rv = hs_parse_hello(rec, len, &info, err, sizeof(err));
	if (b->context)
		ck_assert_msg(rv == 0, "%s: parser refused: %s", b->what, err);
	else
		refused(rv, err, b->reason, b->what);
	rv = hs_recv_hello(i.hs, rec, len, &i.info, i.err, sizeof(i.err));
	refused(rv, i.err, b->reason, b->what);
	/* What got as far as the key can be logged by its fingerprint. */
	if (i.info.spkilen != 0) {
		ck_assert_int_eq(nc_sha256(i.info.spki, i.info.spkilen,
		    info.fp), 0);
		ck_assert_mem_eq(info.fp, i.info.fp, 32);
	}
	/* And the handshake is dead. */
	i.err[0] = '\0';
	refused(hs_make_key(i.hs, &i.key, &n, i.err, sizeof(i.err)), i.err,
	    "failed", b->what);
	party_free(&i);
}
END_TEST

/* Every prefix of a good HELLO, as it came and with its len fixed. */
START_TEST(test_hello_truncated)
{
	struct hs_hello_info	 info;
	struct party		 i, r;
	uint8_t			 buf[HS_HELLO_MAX];
	const uint8_t		*good;
	size_t			 len, cut;
	char			 err[256];

	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	good = hs_hello_record(r.hs, &len);
	ck_assert_int_eq(hs_parse_hello(good, len, &info, err, sizeof(err)),
	    0);
	for (cut = 0; cut < len; cut++) {
		memcpy(buf, good, cut);
		err[0] = '\0';
		refused(hs_parse_hello(buf, cut, &info, err, sizeof(err)), err,
		    cut < 5 ? "too short" : "length field", "prefix");
		if (cut >= 5) {
			put_len(buf, (uint32_t)(cut - 4));
			err[0] = '\0';
			refused(hs_parse_hello(buf, cut, &info, err,
			    sizeof(err)), err, NULL, "fixed prefix");
		}
		party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
		refused(hs_recv_hello(i.hs, buf, cut, &i.info, i.err,
		    sizeof(i.err)), i.err, NULL, "recv prefix");
		party_free(&i);
	}
	party_free(&r);
}
END_TEST

/*
 * Every single-bit change of a good HELLO's fields and of the DER
 * structure of its key (not of the modulus: that only makes other
 * keys): no crash, and whatever is accepted is exactly what the
 * builder makes of the parsed fields.
 */
START_TEST(test_hello_bitflips)
{
	struct hs_hello_info	 info;
	struct party		 r;
	uint8_t			 buf[HS_HELLO_MAX], out[HS_HELLO_MAX];
	const uint8_t		*good;
	size_t			 len, bit, limit, outlen, accepted = 0;
	char			 err[256];

	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	good = hs_hello_record(r.hs, &len);
	/* The key's first 40 bytes hold its DER headers; the rest is n, e. */
	ck_assert_uint_gt(len, key_b.spkilen);
	limit = (len - key_b.spkilen + 40) * 8;
	for (bit = 0; bit < len * 8; bit++) {
		if (bit == limit)
			bit = (len - 8) * 8;	/* and the exponent's bytes */
		memcpy(buf, good, len);
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		err[0] = '\0';
		if (hs_parse_hello(buf, len, &info, err, sizeof(err)) == -1) {
			ck_assert_msg(err[0] != '\0', "bit %zu: no reason",
			    bit);
			continue;
		}
		accepted++;
		ck_assert_int_eq(hs_build_hello(&info, out, sizeof(out),
		    &outlen, err, sizeof(err)), 0);
		ck_assert_uint_eq(outlen, len);
		ck_assert_msg(memcmp(out, buf, len) == 0, "bit %zu", bit);
	}
	/* random, epoch, x25519 and some name bits are free. */
	ck_assert_uint_ge(accepted, (32 + 8 + 32) * 8);
	party_free(&r);
}
END_TEST

/* Unknown ids are ignored, as long as one is known. */
START_TEST(test_hello_unknown_ids)
{
	static uint8_t	buf[HS_HELLO_MAX];
	struct raw	raw;
	struct party	i;
	size_t		len;

	raw_default(&raw, &key_b);
	raw.ncipher = raw.nids = 3;
	raw.ids[0] = 9;
	raw.ids[1] = NC_CIPHER_AES128GCM;
	raw.ids[2] = 255;
	len = raw_build(&raw, buf, sizeof(buf));
	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	ck_assert_msg(hs_recv_hello(i.hs, buf, len, &i.info, i.err,
	    sizeof(i.err)) == 0, "%s", i.err);
	ck_assert_uint_eq(hs_cipher(i.hs), NC_CIPHER_AES128GCM);
	ck_assert_uint_eq(i.info.nciphers, 3);
	ck_assert_uint_eq(i.info.ciphers[0], 9);
	party_free(&i);

	/* As responder, the first of I's list that we have wins. */
	raw.role = WIRE_ROLE_INITIATOR;
	raw.ids[1] = NC_CIPHER_CHACHA20;
	raw.ids[2] = NC_CIPHER_AES128GCM;
	len = raw_build(&raw, buf, sizeof(buf));
	party_new(&i, WIRE_ROLE_RESPONDER, &key_a, all_ciphers, 3);
	ck_assert_msg(hs_recv_hello(i.hs, buf, len, &i.info, i.err,
	    sizeof(i.err)) == 0, "%s", i.err);
	ck_assert_uint_eq(hs_cipher(i.hs), NC_CIPHER_CHACHA20);
	party_free(&i);
}
END_TEST

/* Our own HELLO parses back into what we configured. */
START_TEST(test_hello_roundtrip)
{
	struct hs_hello_info	 info;
	struct party		 i;
	const uint8_t		*rec;
	uint8_t			 out[HS_HELLO_MAX], fp[32];
	size_t			 len, outlen;
	char			 err[256];

	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	rec = hs_hello_record(i.hs, &len);
	ck_assert_int_eq(hs_parse_hello(rec, len, &info, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(info.role, WIRE_ROLE_INITIATOR);
	ck_assert_mem_eq(info.epoch, epoch_a, HS_EPOCH_LEN);
	ck_assert_str_eq(info.name, "hosta");
	ck_assert_uint_eq(info.nciphers, 3);
	ck_assert_mem_eq(info.ciphers, all_ciphers, 3);
	ck_assert_uint_eq(info.spkilen, key_a.spkilen);
	ck_assert_mem_eq(info.spki, key_a.spki, key_a.spkilen);
	ck_assert_int_eq(nc_sha256(key_a.spki, key_a.spkilen, fp), 0);
	ck_assert_mem_eq(info.fp, fp, 32);
	ck_assert_int_eq(info.rsa_bits, 2048);
	ck_assert_int_eq(hs_build_hello(&info, out, sizeof(out), &outlen, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(outlen, len);
	ck_assert_mem_eq(out, rec, len);
	/* Too small a buffer. */
	refused(hs_build_hello(&info, out, len - 1, &outlen, err, sizeof(err)),
	    err, "do not fit", "small buffer");
	info.name[0] = '\0';
	refused(hs_build_hello(&info, out, sizeof(out), &outlen, err,
	    sizeof(err)), err, "name", "empty name");
	party_free(&i);
}
END_TEST

/* hs_new() refuses a configuration it could not speak for. */
START_TEST(test_bad_config)
{
	static const uint8_t	dup[] = { 1, 1 }, unknown[] = { 1, 4 };
	static const uint8_t	four[] = { 1, 2, 3, 1 };
	struct hs_config	cfg;
	struct hs_fixed		fx;
	char			name[70];

	ck_assert_ptr_null(hs_new(NULL));
	memset(name, 'x', 65);
	name[65] = '\0';
	cfg = config(WIRE_ROLE_INITIATOR, &key_a, "hosta", all_ciphers, 3);
	switch (_i) {
	case 0: cfg.role = 0; break;
	case 1: cfg.role = 3; break;
	case 2: cfg.name = ""; break;
	case 3: cfg.name = "host a"; break;
	case 4: cfg.name = name; break;
	case 5: cfg.name = NULL; break;
	case 6: cfg.nciphers = 0; break;
	case 7: cfg.ciphers = dup; cfg.nciphers = 2; break;
	case 8: cfg.ciphers = unknown; cfg.nciphers = 2; break;
	case 9: cfg.ciphers = four; cfg.nciphers = 4; break;
	case 10: cfg.spki = key_weak.spki; cfg.spkilen = key_weak.spkilen;
		break;
	case 11: cfg.spki = key_ec.spki; cfg.spkilen = key_ec.spkilen; break;
	case 12: cfg.spkilen = 10; break;
	case 13: cfg.spki = NULL; break;
	}
	ck_assert_ptr_null(hs_new(&cfg));
	/* The same, with fixed values. */
	memset(&fx, 0, sizeof(fx));
	ck_assert_ptr_null(hs_new_fixed(&cfg, &fx));
}
END_TEST

/* A fixed KEY record is checked too: its size, then its shape. */
START_TEST(test_fixed_keyrec)
{
	static uint8_t		 big[HS_KEY_MAX + 1];
	struct hs_config	 cfg;
	struct hs_fixed		 fx;
	struct party		 i, r;
	uint8_t			 rec[5 + 100];

	cfg = config(WIRE_ROLE_INITIATOR, &key_a, "hosta", all_ciphers, 3);
	memset(&fx, 0, sizeof(fx));
	fx.keyrec = big;
	fx.keyreclen = sizeof(big);
	ck_assert_ptr_null(hs_new_fixed(&cfg, &fx));

	memset(rec, 0, sizeof(rec));
	put_len(rec, sizeof(rec) - 4);
	rec[4] = REC_KEY;
	fx.keyrec = rec;
	fx.keyreclen = sizeof(rec);
	memset(&i, 0, sizeof(i));
	i.hs = hs_new_fixed(&cfg, &fx);
	ck_assert_ptr_nonnull(i.hs);
	i.priv = key_a.pk;
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	hellos(&i, &r);
	refused(hs_make_key(i.hs, &i.key, &i.keylen, i.err, sizeof(i.err)),
	    i.err, "blob of 100", "fixed KEY");
	party_free(&i);
	party_free(&r);
}
END_TEST

/* ---- KEY ----------------------------------------------------------- */

START_TEST(test_bad_key)
{
	static const char *const reasons[] = {
		"record type", "blob of 255", "blob of 257", "length field",
		"over the limit", "too short", "blob of 0", "too short"
	};
	struct kh_unwrap_req	 req;
	struct party		 i, r;
	uint8_t			 buf[HS_KEY_MAX + 8];
	const uint8_t		*blob;
	size_t			 len, bloblen;

	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	hellos(&i, &r);
	make_key(&i);
	make_key(&r);
	ck_assert_uint_eq(i.keylen, 5 + 256);
	memcpy(buf, i.key, i.keylen);
	len = i.keylen;
	switch (_i) {
	case 0: buf[4] = REC_FINISHED; break;
	case 1: len--; put_len(buf, (uint32_t)(len - 4)); break;
	case 2: buf[len++] = 0; put_len(buf, (uint32_t)(len - 4)); break;
	case 3: len--; break;
	case 4: put_len(buf, WIRE_PLAIN_MAX + 1); break;
	case 5: len = 3; break;
	case 6: len = 5; put_len(buf, 1); break;
	case 7: len = 0; break;
	}
	refused(hs_recv_key(r.hs, buf, len, &req, &blob, &bloblen, r.err,
	    sizeof(r.err)), r.err, reasons[_i], "KEY");
	/* The pure parser agrees. */
	r.err[0] = '\0';
	refused(hs_parse_key(buf, len, 256, &blob, r.err, sizeof(r.err)),
	    r.err, reasons[_i], "parse KEY");
	party_free(&i);
	party_free(&r);
}
END_TEST

START_TEST(test_parse_key)
{
	uint8_t		 rec[5 + 256];
	const uint8_t	*blob = NULL;
	char		 err[128];

	memset(rec, 0, sizeof(rec));
	put_len(rec, 1 + 256);
	rec[4] = REC_KEY;
	ck_assert_int_eq(hs_parse_key(rec, sizeof(rec), 256, &blob, err,
	    sizeof(err)), 0);
	ck_assert_ptr_eq(blob, rec + 5);
	ck_assert_int_eq(hs_parse_key(rec, sizeof(rec), 0, &blob, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(hs_parse_key(rec, sizeof(rec), KH_BLOB_MAX + 1, &blob,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(hs_parse_key(NULL, 0, 256, &blob, NULL, 0), -1);
}
END_TEST

/*
 * I's secret wrapped to a third key: R's key-holder cannot decode it,
 * answers the implicit-rejection u, and FINISHED fails on both sides.
 */
START_TEST(test_mismatched_key)
{
	struct hs_config	 cfg;
	struct hs_fixed		 fx;
	struct party		 i, r;
	uint8_t			 rec[5 + 256], secret[32] = { 9 };
	size_t			 bloblen = 0;

	ck_assert_int_eq(nc_oaep_wrap(key_c.pk, NC_OAEP_LABEL_I,
	    strlen(NC_OAEP_LABEL_I), secret, sizeof(secret), rec + 5,
	    sizeof(rec) - 5, &bloblen), 0);
	ck_assert_uint_eq(bloblen, 256);
	put_len(rec, 1 + 256);
	rec[4] = REC_KEY;

	memset(&fx, 0, sizeof(fx));
	fx.random[0] = 1;
	fx.x25519[0] = 0x42;
	memcpy(fx.secret, secret, sizeof(secret));
	fx.keyrec = rec;
	fx.keyreclen = sizeof(rec);
	cfg = config(WIRE_ROLE_INITIATOR, &key_a, "hosta", all_ciphers, 3);
	memset(&i, 0, sizeof(i));
	i.hs = hs_new_fixed(&cfg, &fx);
	ck_assert_ptr_nonnull(i.hs);
	i.priv = key_a.pk;
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	hellos(&i, &r);
	keys(&i, &r);		/* same transcript on both sides */
	ck_assert_mem_eq(i.key, rec, sizeof(rec));
	refused(recv_fin(&i, r.fin, r.finlen), i.err, "authenticate", "I");
	refused(recv_fin(&r, i.fin, i.finlen), r.err, "authenticate", "R");
	party_free(&i);
	party_free(&r);
}
END_TEST

/* ---- FINISHED ------------------------------------------------------ */

START_TEST(test_bad_finished)
{
	static const char *const what[] = {
		"flipped length bit", "flipped type bit", "flipped MAC bit",
		"flipped tag bit", "one byte more", "one byte less",
		"another handshake's", "our own, reflected", "empty"
	};
	struct party	 i, r, i2, r2;
	uint8_t		 buf[HS_FINISHED_LEN + 1];
	const uint8_t	*rec = buf;
	size_t		 len;
	const char	*want = "authenticate";

	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	hellos(&i, &r);
	keys(&i, &r);
	memcpy(buf, r.fin, r.finlen);
	len = r.finlen;
	switch (_i) {
	case 0: buf[3] ^= 0x01; break;
	case 1: buf[4] ^= 0x02; break;
	case 2: buf[20] ^= 0x80; break;
	case 3: buf[len - 1] ^= 0x01; break;
	case 4:
		buf[len++] = 0;
		put_len(buf, (uint32_t)(len - 4));
		want = "expected";
		break;
	case 5: len--; want = "expected"; break;
	case 6:
		party_new(&i2, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
		party_new(&r2, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
		handshake(&i2, &r2);
		memcpy(buf, r2.fin, r2.finlen);
		party_free(&i2);
		party_free(&r2);
		break;
	case 7: rec = i.fin; len = i.finlen; break;
	case 8: rec = NULL; len = 0; want = "expected"; break;
	}
	refused(recv_fin(&i, rec, len), i.err, want, what[_i]);
	/* The good one comes too late: the handshake is dead. */
	refused(recv_fin(&i, r.fin, r.finlen), i.err, "failed", "late");
	/* R is not affected. */
	ck_assert_msg(recv_fin(&r, i.fin, i.finlen) == 0, "%s", r.err);
	party_free(&i);
	party_free(&r);
}
END_TEST

/* ---- call order ---------------------------------------------------- */

START_TEST(test_order)
{
	struct kh_unwrap_req	 req;
	struct nc_aead		 s, v;
	struct party		 i, r;
	const uint8_t		*p, *blob;
	size_t			 n, bloblen;
	uint8_t			 u[32] = { 0 }, key[5 + 256];
	int			 rv = 0;

	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	i.err[0] = '\0';
	switch (_i) {
	case 0:
		rv = hs_make_key(i.hs, &p, &n, i.err, sizeof(i.err));
		break;
	case 1:
		memset(key, 0, sizeof(key));
		put_len(key, 1 + 256);
		key[4] = REC_KEY;
		rv = hs_recv_key(i.hs, key, sizeof(key), &req, &blob,
		    &bloblen, i.err, sizeof(i.err));
		break;
	case 2:
		rv = hs_unwrapped(i.hs, u, &p, &n, i.err, sizeof(i.err));
		break;
	case 3:
		rv = recv_fin(&i, u, sizeof(u));
		break;
	case 4:
		rv = hs_take_aeads(i.hs, &s, &v);
		break;
	case 5:
		hellos(&i, &r);
		rv = recv_hello(&i, &r);
		break;
	case 6:
		hellos(&i, &r);
		make_key(&i);
		rv = hs_make_key(i.hs, &p, &n, i.err, sizeof(i.err));
		break;
	case 7:
		hellos(&i, &r);
		make_key(&i);
		make_key(&r);
		ck_assert_int_eq(hs_recv_key(i.hs, r.key, r.keylen, &req,
		    &blob, &bloblen, i.err, sizeof(i.err)), 0);
		rv = recv_fin(&i, u, sizeof(u));
		break;
	case 8:
		hellos(&i, &r);
		keys(&i, &r);
		rv = hs_take_aeads(i.hs, &s, &v);
		break;
	case 9:
		handshake(&i, &r);
		rv = recv_fin(&i, r.fin, r.finlen);
		break;
	case 10:
		handshake(&i, &r);
		ck_assert_int_eq(hs_take_aeads(i.hs, &s, &v), 0);
		nc_aead_clear(&s);
		nc_aead_clear(&v);
		rv = hs_take_aeads(i.hs, &s, &v);
		break;
	}
	/* hs_take_aeads() gives no reason. */
	if (_i == 4 || _i == 8 || _i == 10)
		ck_assert_int_eq(rv, -1);
	else
		refused(rv, i.err, "out of order", "call");
	/* Dead from now on, even for the call that was due. */
	i.err[0] = '\0';
	refused(recv_hello(&i, &r), i.err, "failed", "after");
	party_free(&i);
	party_free(&r);
}
END_TEST

/* ---- X25519 -------------------------------------------------------- */

START_TEST(test_low_order)
{
	/* Points of small order (RFC 7748 section 7; as libsodium lists). */
	static const char *const points[] = {
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"01000000000000000000000000000000"
		"00000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46a"
		"da098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b"
		"04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",	/* p - 1 */
	};
	struct hs_hello_info	 info;
	struct kh_unwrap_req	 req;
	struct party		 i, r;
	uint8_t			 rec[HS_HELLO_MAX], u[32] = { 0 };
	const uint8_t		*good, *blob, *fin;
	size_t			 len, n, k, bloblen, finlen;
	char			 err[256];
	unsigned int		 x;

	party_new(&i, WIRE_ROLE_INITIATOR, &key_a, all_ciphers, 3);
	party_new(&r, WIRE_ROLE_RESPONDER, &key_b, all_ciphers, 3);
	good = hs_hello_record(r.hs, &len);
	ck_assert_int_eq(hs_parse_hello(good, len, &info, err, sizeof(err)),
	    0);
	for (k = 0; k < 32; k++) {
		ck_assert_int_eq(sscanf(points[_i] + 2 * k, "%2x", &x), 1);
		info.x25519[k] = (uint8_t)x;
	}
	ck_assert_int_eq(hs_build_hello(&info, rec, sizeof(rec), &n, err,
	    sizeof(err)), 0);
	ck_assert_msg(hs_recv_hello(i.hs, rec, n, &i.info, i.err,
	    sizeof(i.err)) == 0, "%s", i.err);
	ck_assert_int_eq(recv_hello(&r, &i), 0);
	make_key(&i);
	make_key(&r);
	ck_assert_int_eq(hs_recv_key(i.hs, r.key, r.keylen, &req, &blob,
	    &bloblen, i.err, sizeof(i.err)), 0);
	refused(hs_unwrapped(i.hs, u, &fin, &finlen, i.err, sizeof(i.err)),
	    i.err, "low-order", points[_i]);
	party_free(&i);
	party_free(&r);
}
END_TEST

/* ---- main ---------------------------------------------------------- */

static void
testkey_make(struct testkey *k, EVP_PKEY *pk)
{
	if (pk == NULL || nc_pkey_spki(pk, &k->spki, &k->spkilen) == -1) {
		fprintf(stderr, "key generation failed\n");
		exit(EXIT_FAILURE);
	}
	k->pk = pk;
}

static void
testkey_free(struct testkey *k)
{
	EVP_PKEY_free(k->pk);
	OPENSSL_free(k->spki);
}

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
	tcase_add_test(tc, test_mismatched_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("hello");
	tcase_add_loop_test(tc, test_bad_hello, 0, (int)nitems(bad_hellos));
	tcase_add_test(tc, test_hello_truncated);
	tcase_add_test(tc, test_hello_bitflips);
	tcase_add_test(tc, test_hello_unknown_ids);
	tcase_add_test(tc, test_hello_roundtrip);
	tcase_add_loop_test(tc, test_bad_config, 0, 14);
	tcase_add_test(tc, test_fixed_keyrec);
	suite_add_tcase(s, tc);

	tc = tcase_create("key+finished");
	tcase_add_loop_test(tc, test_bad_key, 0, 8);
	tcase_add_test(tc, test_parse_key);
	tcase_add_loop_test(tc, test_bad_finished, 0, 9);
	tcase_add_loop_test(tc, test_low_order, 0, 5);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_add_loop_test(tc, test_order, 0, 11);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	testkey_make(&key_a, EVP_RSA_gen(2048));
	testkey_make(&key_b, EVP_RSA_gen(2048));
	testkey_make(&key_c, EVP_RSA_gen(2048));
	testkey_make(&key_weak, EVP_RSA_gen(1024));
	testkey_make(&key_ec, EVP_EC_gen("P-256"));

	sr = srunner_create(handshake_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	testkey_free(&key_a);
	testkey_free(&key_b);
	testkey_free(&key_c);
	testkey_free(&key_weak);
	testkey_free(&key_ec);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
