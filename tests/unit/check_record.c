/*
 * Unit tests of the AEAD record layer (src/proto/record.c, PROTOCOL.md 4.2
 * and 7.6): sealing and opening over every cipher, a record sealed in two
 * parts, bit flips, replay and order, size limits, misuse, nonces, chains
 * of key updates and when a key update is due.
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
#include "wire.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

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

static Suite *
record_suite(void)
{
	Suite	*s = suite_create("record");
	TCase	*tc;

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
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(record_suite());
}
