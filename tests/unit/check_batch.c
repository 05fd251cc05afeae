/*
 * Unit tests for the MSGS codec of relay.c (doc/PROTOCOL.md 7.9): entries
 * written by relay_batch_put() read back by relay_batch_next() and
 * relay_in_parse_msg(), every malformed entry length refused, and the
 * sender's count of bytes not yet on the wire, which bounds what a link
 * lets wait for one batch.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "record.h"
#include "relay.h"
#include "unitrun.h"
#include "vectors.h"
#include "wire.h"

#define VEC_MSGS_V2	TEST_SRCDIR "/tests/vectors/msgs-v2.json"

static void
push(struct relay_out *ro, const char *to, const char *text)
{
	struct relay_view	v;

	memset(&v, 0, sizeof(v));
	v.from = "alice";
	v.fromlen = 5;
	v.to = to;
	v.tolen = strlen(to);
	v.payload = (const uint8_t *)text;
	v.len = strlen(text);
	ck_assert_int_eq(relay_out_push(ro, &v, 0, 0, 0, NULL), ST_OK);
}

START_TEST(test_put_then_next)
{
	struct relay_out	 ro;
	struct relay_view	 v;
	const struct relay_msg	*m;
	const uint8_t		*msg;
	uint8_t			 body[512];
	size_t			 used = 0, off = 0, n, mlen;
	const char		*texts[] = { "one", "", "three" };
	int			 i;

	relay_out_init(&ro, 1 << 20, NULL, NULL);
	push(&ro, "bob", texts[0]);
	push(&ro, "*", texts[1]);
	push(&ro, "carol", texts[2]);
	while ((m = relay_out_next(&ro)) != NULL) {
		n = relay_batch_put(m, body + used, sizeof(body) - used);
		ck_assert_uint_eq(n, RELAY_BATCH_ENTRY_HDR +
		    relay_msg_bodylen(m));
		used += n;
	}
	/* u16 length, then the MSG body of 7.3: id 1, flags, "alice", "bob" */
	ck_assert_uint_eq(body[0], 0);
	ck_assert_uint_eq(body[1], RELAY_MSG_HDRLEN + 5 + 3 + 3);
	ck_assert_uint_eq(body[2 + 7], 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(relay_batch_next(body, used, &off, &msg,
		    &mlen), 1);
		ck_assert_int_eq(relay_in_parse_msg(msg, mlen, &v), 0);
		ck_assert_uint_eq(v.id, (uint64_t)i + 1);
		ck_assert_uint_eq(v.len, strlen(texts[i]));
		ck_assert(v.len == 0 ||
		    memcmp(v.payload, texts[i], v.len) == 0);
	}
	ck_assert_int_eq(relay_batch_next(body, used, &off, &msg, &mlen), 0);
	ck_assert_uint_eq(off, used);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_put_no_room)
{
	struct relay_out	 ro;
	const struct relay_msg	*m;
	uint8_t			 body[64];

	relay_out_init(&ro, 1 << 20, NULL, NULL);
	push(&ro, "bob", "hello");
	m = relay_out_next(&ro);
	/* One byte short of the entry: nothing written, 0. */
	memset(body, 0xee, sizeof(body));
	ck_assert_uint_eq(relay_batch_put(m, body,
	    RELAY_BATCH_ENTRY_HDR + relay_msg_bodylen(m) - 1), 0);
	ck_assert_uint_eq(body[0], 0xee);
	ck_assert_uint_eq(relay_batch_put(m, body, 1), 0);
	ck_assert_uint_eq(relay_batch_put(m, body,
	    RELAY_BATCH_ENTRY_HDR + relay_msg_bodylen(m)),
	    RELAY_BATCH_ENTRY_HDR + relay_msg_bodylen(m));
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_next_refuses_bad_lengths)
{
	const uint8_t	*msg;
	uint8_t		 body[8] = { 0, 3, 'a', 'b', 'c', 0, 5, 'x' };
	size_t		 off, mlen;

	/* A length byte alone, a length past the end. */
	off = 0;
	ck_assert_int_eq(relay_batch_next(body, 1, &off, &msg, &mlen), -1);
	off = 0;
	ck_assert_int_eq(relay_batch_next(body, 4, &off, &msg, &mlen), -1);
	/* The first entry fits; the second claims 5 of the 1 left. */
	off = 0;
	ck_assert_int_eq(relay_batch_next(body, 8, &off, &msg, &mlen), 1);
	ck_assert_uint_eq(mlen, 3);
	ck_assert_ptr_eq(msg, body + 2);
	ck_assert_int_eq(relay_batch_next(body, 8, &off, &msg, &mlen), -1);
	/* An offset past the end never reads. */
	off = 9;
	ck_assert_int_eq(relay_batch_next(body, 8, &off, &msg, &mlen), -1);
	/* An empty body has no entry. */
	off = 0;
	ck_assert_int_eq(relay_batch_next(body, 0, &off, &msg, &mlen), 0);
}
END_TEST

START_TEST(test_unsent_bytes)
{
	struct relay_out	 ro;
	const struct relay_msg	*m;
	size_t			 one;

	relay_out_init(&ro, 1 << 20, NULL, NULL);
	push(&ro, "bob", "a");
	one = ro.unsent_bytes;
	ck_assert_uint_gt(one, 0);
	push(&ro, "bob", "b");
	push(&ro, "bob", "c");
	ck_assert_uint_eq(ro.unsent_bytes, 3 * one);
	ck_assert_ptr_eq(relay_out_peek(&ro), TAILQ_FIRST(&ro.q));
	ck_assert_uint_eq(ro.unsent_bytes, 3 * one);	/* peek takes none */
	m = relay_out_next(&ro);
	ck_assert_uint_eq(m->id, 1);
	(void)relay_out_next(&ro);
	ck_assert_uint_eq(ro.unsent_bytes, one);
	/* The link fails: both on the wire wait again. */
	relay_out_link_down(&ro, 0);
	ck_assert_uint_eq(ro.unsent_bytes, 3 * one);
	(void)relay_out_next(&ro);
	/* An ACK covers 1 (sent) and 2 (unsent again). */
	ck_assert_int_eq(relay_out_ack(&ro, 2), 0);
	ck_assert_uint_eq(ro.unsent_bytes, one);
	ck_assert_uint_eq(ro.nbytes, one);
	relay_out_clear(&ro, 0);
	ck_assert_uint_eq(ro.unsent_bytes, 0);
}
END_TEST

START_TEST(test_small_blocks_reused)
{
	struct relay_out	 ro;
	const struct relay_msg	*first;
	int			 i;

	relay_out_release();
	relay_out_init(&ro, 8 << 20, NULL, NULL);
	push(&ro, "bob", "a");
	first = TAILQ_FIRST(&ro.q);
	/* A small message costs its whole block, so tiny ones cannot cheat. */
	ck_assert_uint_ge(ro.nbytes, sizeof(struct relay_msg) + 256);
	(void)relay_out_next(&ro);
	ck_assert_int_eq(relay_out_ack(&ro, 1), 0);
	ck_assert_uint_eq(relay_out_spares(), 1);
	push(&ro, "bob", "b");
	ck_assert_ptr_eq(TAILQ_FIRST(&ro.q), first);
	ck_assert_uint_eq(relay_out_spares(), 0);
	/* At most 4096 are kept, however many complete at once. */
	for (i = 0; i < 4105; i++)
		push(&ro, "bob", "c");
	while (relay_out_next(&ro) != NULL)
		;
	ck_assert_int_eq(relay_out_ack(&ro, 4107), 0);
	ck_assert_uint_eq(ro.nqueued, 0);
	ck_assert_uint_eq(relay_out_spares(), 4096);
	/* All were in use since the last trim: kept; then unused: freed. */
	relay_out_trim();
	ck_assert_uint_eq(relay_out_spares(), 4096);
	push(&ro, "bob", "d");		/* one taken, and given back */
	(void)relay_out_next(&ro);
	ck_assert_int_eq(relay_out_ack(&ro, 4108), 0);
	relay_out_trim();
	ck_assert_uint_eq(relay_out_spares(), 1);
	relay_out_trim();
	ck_assert_uint_eq(relay_out_spares(), 0);
	relay_out_release();
	ck_assert_uint_eq(relay_out_spares(), 0);
}
END_TEST

/* ---- known answers: msgs-v2.json ----------------------------------- */

/* Both ends of i2r keyed as link-v1.json's case leaves them, at seq 1. */
static void
kat_keys(struct vec *c, struct vec *v1, struct nc_aead *seal,
    struct nc_aead *open)
{
	struct vec	*base = vec_index(vec_get(v1, "cases"),
			    (size_t)vec_int(c, "from_case"));
	struct vec	*e = vec_get(base, "expanded");
	uint8_t		 key[32], iv[NC_AEAD_IVLEN], ts[NC_TS_LEN];
	uint8_t		 cipher = (uint8_t)vec_int(c, "cipher");
	size_t		 keylen = nc_cipher_keylen(cipher);

	ck_assert_int_eq(cipher, vec_int(base, "cipher"));
	vec_hex(e, "nc1 key i2r", key, keylen, NULL);
	vec_hex(e, "nc1 iv i2r", iv, sizeof(iv), NULL);
	memset(ts, 0, sizeof(ts));	/* no key update here */
	ck_assert_int_eq(nc_aead_init(seal, NC_AEAD_SEAL, cipher, key,
	    keylen, iv, ts), 0);
	ck_assert_int_eq(nc_aead_init(open, NC_AEAD_OPEN, cipher, key,
	    keylen, iv, ts), 0);
	seal->seq = open->seq = 1;	/* FINISHED took 0 */
	OPENSSL_cleanse(key, sizeof(key));
}

/* The announcement as link_announce() builds it, sealed and opened. */
static void
kat_ping(struct vec *c, struct nc_aead *seal, struct nc_aead *open)
{
	uint8_t	ping[8], rec[64], body[64], type;
	size_t	n, blen;

	memcpy(ping, WIRE_FEATURES_MAGIC, 4);
	put_u32(ping + 4, WIRE_FEAT_MSGS);	/* 7.9 alone: spool-v2 has both */
	vec_expect_hex(c, "ping_body", ping, sizeof(ping));
	ck_assert_int_eq(nc_record_seal(seal, REC_PING, ping, sizeof(ping),
	    rec, sizeof(rec), &n), 0);
	vec_expect_hex(c, "ping_record (i2r seq 1)", rec, n);
	ck_assert_int_eq(nc_record_open(open, rec, n, &type, body,
	    sizeof(body), &blen), 0);
	ck_assert_uint_eq(type, REC_PING);
	ck_assert_uint_eq(blen, sizeof(ping));
}

/* The messages pushed as a session would, then put as link.c does. */
static size_t
kat_build_msgs(struct vec *msgs, uint8_t *body, size_t bodysz)
{
	struct relay_out	 ro;
	struct relay_view	 v;
	const struct relay_msg	*m;
	struct vec		*x;
	uint8_t			 payload[64];
	uint64_t		 id;
	size_t			 i, used = 0;

	relay_out_init(&ro, 1 << 20, NULL, NULL);
	for (i = 0; i < vec_len(msgs); i++) {
		x = vec_index(msgs, i);
		memset(&v, 0, sizeof(v));
		v.flags = (uint8_t)vec_int(x, "flags");
		v.from = vec_str(x, "from");
		v.fromlen = strlen(v.from);
		v.to = vec_str(x, "to");
		v.tolen = strlen(v.to);
		vec_hex(x, "payload", payload, sizeof(payload), &v.len);
		v.payload = payload;
		ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, &id), ST_OK);
		ck_assert_uint_eq(id, (uint64_t)vec_int(x, "id"));
	}
	while ((m = relay_out_next(&ro)) != NULL)
		used += relay_batch_put(m, body + used, bodysz - used);
	relay_out_clear(&ro, 0);
	return used;
}

/* What the receiver reads back: the messages of the file, in order. */
static void
kat_read_msgs(struct vec *msgs, const uint8_t *body, size_t len)
{
	struct relay_view	 v;
	const uint8_t		*msg;
	size_t			 off = 0, mlen, i = 0;

	while (relay_batch_next(body, len, &off, &msg, &mlen) == 1) {
		ck_assert_uint_lt(i, vec_len(msgs));
		ck_assert_int_eq(relay_in_parse_msg(msg, mlen, &v), 0);
		ck_assert_uint_eq(v.id,
		    (uint64_t)vec_int(vec_index(msgs, i), "id"));
		ck_assert_uint_eq(v.tolen,
		    strlen(vec_str(vec_index(msgs, i), "to")));
		i++;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(i, vec_len(msgs));
}

START_TEST(test_msgs_vectors)
{
	struct vec	*root = vec_load(VEC_MSGS_V2);
	struct vec	*v1 = vec_load(VEC_LINK_V1);
	struct vec	*cases = vec_get(root, "cases"), *c;
	struct nc_aead	 seal, open;
	uint8_t		 body[1024], rec[1100], opened[1100], type;
	size_t		 i, used, n, olen;

	vec_touch(vec_get(root, "about"));
	ck_assert_uint_eq(vec_len(cases), 3);
	for (i = 0; i < vec_len(cases); i++) {
		c = vec_index(cases, i);
		kat_keys(c, v1, &seal, &open);
		kat_ping(c, &seal, &open);
		used = kat_build_msgs(vec_get(c, "messages"), body,
		    sizeof(body));
		vec_expect_hex(c, "msgs_body", body, used);
		ck_assert_int_eq(nc_record_seal(&seal, REC_MSGS, body, used,
		    rec, sizeof(rec), &n), 0);
		vec_expect_hex(c, "msgs_record (i2r seq 2)", rec, n);
		ck_assert_int_eq(nc_record_open(&open, rec, n, &type, opened,
		    sizeof(opened), &olen), 0);
		ck_assert_uint_eq(type, REC_MSGS);
		kat_read_msgs(vec_get(c, "messages"), opened, olen);
		nc_aead_clear(&seal);
		nc_aead_clear(&open);
	}
	ck_assert_uint_eq(vec_unread(root, 1), 0);
	vec_free(root);
	vec_free(v1);
}
END_TEST

static Suite *
batch_suite(void)
{
	Suite	*s = suite_create("batch");
	TCase	*tc = tcase_create("msgs");

	tcase_add_test(tc, test_put_then_next);
	tcase_add_test(tc, test_put_no_room);
	tcase_add_test(tc, test_next_refuses_bad_lengths);
	tcase_add_test(tc, test_unsent_bytes);
	tcase_add_test(tc, test_small_blocks_reused);
	tcase_add_test(tc, test_msgs_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(batch_suite());
}
