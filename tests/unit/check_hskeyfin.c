/*
 * The handshake's KEY and FINISHED steps (src/proto/handshake.c,
 * PROTOCOL.md 5.7 to 5.11): malformed KEY records, a secret wrapped to
 * another key, forged or misplaced FINISHED records, every call out of
 * order, and X25519 shares of small order.  The parties and the fake
 * key-holder are in hsparty.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "crypto.h"
#include "handshake.h"
#include "record.h"
#include "wire.h"
#include "hsparty.h"

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

static Suite *
hskeyfin_suite(void)
{
	Suite	*s = suite_create("handshake KEY and FINISHED");
	TCase	*tc;

	tc = tcase_create("key+finished");
	tcase_add_test(tc, test_mismatched_key);
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
	return hsparty_run(hskeyfin_suite());
}
