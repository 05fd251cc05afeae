/*
 * Unit tests for relay.c's bodies (PROTOCOL.md 7.3): the MSG parser on
 * truncated bodies, bad names, payload sizes and ids; the ACK and NAK
 * encoders and parsers; and the name check.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "relay.h"
#include "unitrun.h"
#include "wire.h"

/*
 * Parsers.
 */

/* A valid body "id 7, from, to, payload" into b; returns its length. */
static size_t
mkbody(uint8_t *b, const char *from, const char *to, size_t paylen)
{
	size_t	off = 0, fl = strlen(from), tl = strlen(to);

	put_u64(b, 7);
	off = 8;
	b[off++] = 0;
	b[off++] = (uint8_t)fl;
	memcpy(b + off, from, fl);
	off += fl;
	b[off++] = (uint8_t)tl;
	memcpy(b + off, to, tl);
	off += tl;
	memset(b + off, 'p', paylen);
	return off + paylen;
}

static int
parse(const uint8_t *b, size_t len)
{
	struct relay_view	v;

	return relay_in_parse_msg(b, len, &v);
}

START_TEST(test_parse_truncated)
{
	static uint8_t	b[RELAY_MSG_MAXLEN + 8];
	size_t		len = mkbody(b, "alice", "bob", 0), hdr = len, i;

	ck_assert_uint_eq(hdr, RELAY_MSG_HDRLEN + 5 + 3);
	ck_assert_int_eq(parse(b, len), 0);
	/* Every cut inside id, flags, names: refused. */
	for (i = 0; i < hdr; i++)
		ck_assert_int_eq(parse(b, i), -1);
	ck_assert_int_eq(parse(NULL, 0), -1);
	/* fromlen or tolen running past the end. */
	b[9] = 200;
	ck_assert_int_eq(parse(b, len), -1);
	b[9] = 5;
	b[8 + 1 + 1 + 5] = 4;
	ck_assert_int_eq(parse(b, len), -1);
	/* ... unless payload bytes follow, which then read as "to". */
	len = mkbody(b, "alice", "bob", 1);
	b[8 + 1 + 1 + 5] = 4;
	ck_assert_int_eq(parse(b, len), 0);
	/* fromlen overruns into where tolen would be, and beyond. */
	len = mkbody(b, "a", "b", 0);
	b[9] = 3;
	ck_assert_int_eq(parse(b, len), -1);
	b[9] = 4;
	ck_assert_int_eq(parse(b, len), -1);
	b[9] = 255;
	ck_assert_int_eq(parse(b, len), -1);
}
END_TEST

START_TEST(test_parse_names)
{
	static uint8_t	b[RELAY_MSG_MAXLEN + 8];
	static const char bad[] = " /@*:\\\t\n\"'%+~";
	char		n[80];
	size_t		len, i;
	struct relay_view v;

	/* 64 ok, 65 not; on both sides. */
	memset(n, 'N', sizeof(n));
	n[64] = '\0';
	ck_assert_int_eq(parse(b, mkbody(b, n, "b", 0)), 0);
	ck_assert_int_eq(parse(b, mkbody(b, "a", n, 0)), 0);
	n[64] = 'N';
	n[65] = '\0';
	ck_assert_int_eq(parse(b, mkbody(b, n, "b", 0)), -1);
	ck_assert_int_eq(parse(b, mkbody(b, "a", n, 0)), -1);
	/* Empty names. */
	ck_assert_int_eq(parse(b, mkbody(b, "", "b", 0)), -1);
	ck_assert_int_eq(parse(b, mkbody(b, "a", "", 0)), -1);
	/* The whole allowed set. */
	ck_assert_int_eq(parse(b, mkbody(b, "AZaz09._-", "zZ-_.9", 0)), 0);
	/* Each bad character, alone and inside a name. */
	for (i = 0; i < sizeof(bad) - 1; i++) {
		snprintf(n, sizeof(n), "ab%ccd", bad[i]);
		ck_assert_int_eq(parse(b, mkbody(b, n, "b", 0)), -1);
		ck_assert_int_eq(parse(b, mkbody(b, "a", n, 0)), -1);
		snprintf(n, sizeof(n), "%c", bad[i]);
		ck_assert_int_eq(parse(b, mkbody(b, n, "b", 0)), -1);
		if (bad[i] != '*')
			ck_assert_int_eq(parse(b, mkbody(b, "a", n, 0)), -1);
	}
	/* NUL and bytes >= 0x80, which mkbody's strlen cannot carry. */
	len = mkbody(b, "abc", "def", 0);
	b[11] = '\0';
	ck_assert_int_eq(parse(b, len), -1);
	len = mkbody(b, "abc", "def", 0);
	b[11] = 0xc3;
	ck_assert_int_eq(parse(b, len), -1);
	len = mkbody(b, "abc", "def", 0);
	b[len - 1] = 0xff;
	ck_assert_int_eq(parse(b, len), -1);
	/* '*' only as the whole "to". */
	ck_assert_int_eq(parse(b, mkbody(b, "a", "*", 0)), 0);
	ck_assert_int_eq(parse(b, mkbody(b, "*", "b", 0)), -1);
	ck_assert_int_eq(parse(b, mkbody(b, "*", "*", 0)), -1);
	ck_assert_int_eq(parse(b, mkbody(b, "a", "**", 0)), -1);
	ck_assert_int_eq(parse(b, mkbody(b, "a", "a*", 0)), -1);
	ck_assert_int_eq(parse(b, mkbody(b, "a", "*@x", 0)), -1);
	/* A failed parse leaves nothing behind. */
	ck_assert_int_eq(relay_in_parse_msg(b, mkbody(b, "*", "b", 3), &v),
	    -1);
	ck_assert_ptr_null(v.from);
	ck_assert_ptr_null(v.payload);
}
END_TEST

START_TEST(test_parse_payload_and_id)
{
	static uint8_t		 b[RELAY_MSG_MAXLEN + 8];
	struct relay_view	 v;
	size_t			 len;

	len = mkbody(b, "a", "b", WIRE_PAYLOAD_MAX);
	ck_assert_int_eq(relay_in_parse_msg(b, len, &v), 0);
	ck_assert_uint_eq(v.len, WIRE_PAYLOAD_MAX);
	ck_assert_uint_eq(v.id, 7);
	ck_assert_ptr_eq(v.payload, b + 8 + 1 + 2 + 2);
	ck_assert_int_eq(parse(b, mkbody(b, "a", "b", WIRE_PAYLOAD_MAX + 1)),
	    -1);
	/* Longest names and payload: the largest body there is. */
	memset(b, 0, sizeof(b));
	{
		char	n[65];

		memset(n, 'q', 64);
		n[64] = '\0';
		len = mkbody(b, n, n, WIRE_PAYLOAD_MAX);
		ck_assert_uint_eq(len, RELAY_MSG_MAXLEN);
		ck_assert_int_eq(parse(b, len), 0);
		ck_assert_int_eq(parse(b, mkbody(b, n, n,
		    WIRE_PAYLOAD_MAX + 1)), -1);
	}
	/* Id 0 is never sent. */
	len = mkbody(b, "a", "b", 1);
	put_u64(b, 0);
	ck_assert_int_eq(parse(b, len), -1);
	put_u64(b, UINT64_MAX);
	ck_assert_int_eq(relay_in_parse_msg(b, len, &v), 0);
	ck_assert_uint_eq(v.id, UINT64_MAX);
	/* Flags pass through as they are. */
	b[8] = 0xa5;
	ck_assert_int_eq(relay_in_parse_msg(b, len, &v), 0);
	ck_assert_uint_eq(v.flags, 0xa5);
}
END_TEST

START_TEST(test_ack_nak_bodies)
{
	uint8_t		b[16];
	uint64_t	id;
	uint8_t		st;
	size_t		i;

	relay_encode_ack(b, 0x0102030405060708ULL);
	ck_assert_int_eq(b[0], 1);
	ck_assert_int_eq(b[7], 8);
	ck_assert_int_eq(relay_parse_ack(b, RELAY_ACK_LEN, &id), 0);
	ck_assert_uint_eq(id, 0x0102030405060708ULL);
	for (i = 0; i < sizeof(b); i++)
		if (i != RELAY_ACK_LEN)
			ck_assert_int_eq(relay_parse_ack(b, i, &id), -1);

	relay_encode_nak(b, 42, ST_BUSY);
	ck_assert_int_eq(relay_parse_nak(b, RELAY_NAK_LEN, &id, &st), 0);
	ck_assert_uint_eq(id, 42);
	ck_assert_uint_eq(st, ST_BUSY);
	for (i = 0; i < sizeof(b); i++)
		if (i != RELAY_NAK_LEN)
			ck_assert_int_eq(relay_parse_nak(b, i, &id, &st), -1);
	/* Only the statuses a NAK may carry. */
	for (i = 0; i < 256; i++) {
		int ok = i == ST_NO_SUCH_SESSION || i == ST_TOO_LARGE ||
		    i == ST_REJECTED || i == ST_BUSY;

		relay_encode_nak(b, 42, (uint8_t)i);
		ck_assert_int_eq(relay_parse_nak(b, RELAY_NAK_LEN, &id, &st),
		    ok ? 0 : -1);
	}
	relay_encode_nak(b, 0, ST_BUSY);
	ck_assert_int_eq(relay_parse_nak(b, RELAY_NAK_LEN, &id, &st), -1);
}
END_TEST

START_TEST(test_name_valid)
{
	ck_assert(relay_name_valid("a", 1, 0));
	ck_assert(relay_name_valid("*", 1, 1));
	ck_assert(!relay_name_valid("*", 1, 0));
	ck_assert(!relay_name_valid(NULL, 0, 1));
	ck_assert(!relay_name_valid(NULL, 3, 1));
	ck_assert(!relay_name_valid("ab", 0, 0));
	/* Length counts, not the NUL. */
	ck_assert(!relay_name_valid("ab", 3, 0));
	ck_assert(relay_name_valid("ab\0", 2, 0));
}
END_TEST

static Suite *
relaybody_suite(void)
{
	Suite	*s = suite_create("relay bodies");
	TCase	*wire = tcase_create("bodies");

	tcase_add_test(wire, test_parse_truncated);
	tcase_add_test(wire, test_parse_names);
	tcase_add_test(wire, test_parse_payload_and_id);
	tcase_add_test(wire, test_ack_nak_bodies);
	tcase_add_test(wire, test_name_valid);
	suite_add_tcase(s, wire);
	return s;
}

int
main(void)
{
	return unit_run(relaybody_suite());
}
