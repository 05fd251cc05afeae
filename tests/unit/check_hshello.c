/*
 * The handshake's HELLO (src/proto/handshake.c, PROTOCOL.md 5.2 and
 * 5.3): every malformed HELLO refused with a reason (by the parser, or by
 * the handshake where only the context makes it wrong), every prefix and
 * every bit flip of a good one, unknown cipher ids, the builder and the
 * parser agreeing, and hs_new() refusing a configuration it could not
 * speak for.  The parties are in hsparty.c.
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

static Suite *
hshello_suite(void)
{
	Suite	*s = suite_create("handshake HELLO");
	TCase	*tc;

	tc = tcase_create("hello");
	tcase_add_loop_test(tc, test_bad_hello, 0, (int)nitems(bad_hellos));
	tcase_add_test(tc, test_hello_truncated);
	tcase_add_test(tc, test_hello_bitflips);
	tcase_add_test(tc, test_hello_unknown_ids);
	tcase_add_test(tc, test_hello_roundtrip);
	tcase_add_loop_test(tc, test_bad_config, 0, 14);
	tcase_add_test(tc, test_fixed_keyrec);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hsparty_run(hshello_suite());
}
