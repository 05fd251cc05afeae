/*
 * The two parties of the handshake unit tests (hsparty.h): test keys,
 * parties, and the steps of a handshake between them.
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

#include "crypto.h"
#include "handshake.h"
#include "hsparty.h"
#include "unitrun.h"

struct testkey	key_a, key_b, key_c, key_weak, key_ec;

const uint8_t	all_ciphers[3] = { NC_CIPHER_AES256GCM,
		    NC_CIPHER_AES128GCM, NC_CIPHER_CHACHA20 };
static const uint8_t	kh_seed[32] = { 0x5e, 0xed };
const uint8_t	epoch_a[HS_EPOCH_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* ---- helpers ------------------------------------------------------- */

struct hs_config
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

void
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

void
party_free(struct party *p)
{
	hs_free(p->hs);
	p->hs = NULL;
}

/* What kh_unwrap() does, with the private key at hand. */
void
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
int
recv_hello(struct party *p, const struct party *from)
{
	const uint8_t	*rec;
	size_t		 len;

	rec = hs_hello_record(from->hs, &len);
	return hs_recv_hello(p->hs, rec, len, &p->info, p->err,
	    sizeof(p->err));
}

void
hellos(struct party *i, struct party *r)
{
	ck_assert_msg(recv_hello(i, r) == 0, "I: %s", i->err);
	ck_assert_msg(recv_hello(r, i) == 0, "R: %s", r->err);
	ck_assert_int_eq(hs_cipher(i->hs), hs_cipher(r->hs));
	ck_assert_mem_eq(hs_th1(i->hs), hs_th1(r->hs), NC_SHA256_LEN);
}

void
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

void
keys(struct party *i, struct party *r)
{
	uint8_t	u[32];

	make_key(i);
	make_key(r);
	recv_key(r, i->key, i->keylen, u);
	recv_key(i, r->key, r->keylen, u);
	ck_assert_mem_eq(hs_th2(i->hs), hs_th2(r->hs), NC_SHA256_LEN);
}

int
recv_fin(struct party *p, const uint8_t *rec, size_t len)
{
	return hs_recv_finished(p->hs, rec, len, p->err, sizeof(p->err));
}

void
handshake(struct party *i, struct party *r)
{
	hellos(i, r);
	keys(i, r);
	ck_assert_msg(recv_fin(i, r->fin, r->finlen) == 0, "I: %s", i->err);
	ck_assert_msg(recv_fin(r, i->fin, i->finlen) == 0, "R: %s", r->err);
}

/* The call failed, said why, and the reason mentions want (if any). */
void
refused(int rv, const char *err, const char *want, const char *what)
{
	ck_assert_msg(rv == -1, "%s: accepted", what);
	ck_assert_msg(err[0] != '\0', "%s: no reason given", what);
	if (want != NULL)
		ck_assert_msg(strstr(err, want) != NULL,
		    "%s: reason \"%s\" does not mention \"%s\"", what, err,
		    want);
}

void
put_len(uint8_t *rec, uint32_t v)
{
	rec[0] = (uint8_t)(v >> 24);
	rec[1] = (uint8_t)(v >> 16);
	rec[2] = (uint8_t)(v >> 8);
	rec[3] = (uint8_t)v;
}

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

int
hsparty_run(Suite *suite)
{
	int	rc;

	testkey_make(&key_a, EVP_RSA_gen(2048));
	testkey_make(&key_b, EVP_RSA_gen(2048));
	testkey_make(&key_c, EVP_RSA_gen(2048));
	testkey_make(&key_weak, EVP_RSA_gen(1024));
	testkey_make(&key_ec, EVP_EC_gen("P-256"));

	rc = unit_run(suite);
	testkey_free(&key_a);
	testkey_free(&key_b);
	testkey_free(&key_c);
	testkey_free(&key_weak);
	testkey_free(&key_ec);
	return rc;
}
