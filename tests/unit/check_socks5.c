/*
 * Unit tests for the SOCKS5 client state machine (src/proto/socks5.c): the
 * exact bytes of every request, every reply type read to its exact
 * length and no further, every short, malformed or oversized answer,
 * and the name of every reply code.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socks5.h"

static const uint8_t REP_V4[] = { 5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90 };
static const uint8_t REP_V6[] = { 5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x23, 0x82 };
static const uint8_t REP_NAME[] = { 5, 0, 0, 3, 5, 'p', 'r', 'o', 'x', 'y',
	0x04, 0x38 };

static void
expect_output(struct socks5 *s, const uint8_t *want, size_t wantlen)
{
	const uint8_t	*out;
	size_t		 len;

	out = socks5_output(s, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, wantlen);
	ck_assert_mem_eq(out, want, wantlen);
	/* Taken: nothing more to send until the next answer. */
	ck_assert_ptr_null(socks5_output(s, &len));
	ck_assert_uint_eq(len, 0);
}

static char *
repeat(char c, size_t n)
{
	char	*p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

/* A machine past the greeting, waiting for the CONNECT reply. */
static void
to_connect(struct socks5 *s, const char *host)
{
	static const uint8_t	m00[] = { 5, 0 };
	size_t			used, len;

	ck_assert_int_eq(socks5_init(s, host, 55555, NULL, NULL), 0);
	(void)socks5_output(s, &len);
	ck_assert_int_eq(socks5_input(s, m00, 2, &used), SOCKS5_SEND);
	ck_assert_uint_eq(used, 2);
	(void)socks5_output(s, &len);
	ck_assert_int_eq(s->state, SOCKS5_S_CONNECT);
}

/* ---- encoders ---------------------------------------------------------- */

START_TEST(greeting_bytes)
{
	static const uint8_t	with[] = { 5, 2, 0, 2 };
	static const uint8_t	without[] = { 5, 1, 0 };
	uint8_t			buf[8];
	size_t			len;

	ck_assert_int_eq(socks5_encode_greeting(buf, sizeof(buf), 1, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, with, 4);
	ck_assert_int_eq(socks5_encode_greeting(buf, sizeof(buf), 0, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(buf, without, 3);
	ck_assert_int_eq(socks5_encode_greeting(buf, 3, 1, &len), -1);
	ck_assert_int_eq(socks5_encode_greeting(buf, 2, 0, &len), -1);
}
END_TEST

START_TEST(auth_bytes)
{
	static const uint8_t	want[] = { 1, 5, 'h', 'o', 's', 't', 'b',
	    3, 'p', ' ', 'w' };
	uint8_t			buf[SOCKS5_OUT_MAX];
	size_t			len;
	char			*u255 = repeat('u', 255);
	char			*u256 = repeat('u', 256);

	ck_assert_int_eq(socks5_encode_auth(buf, sizeof(buf), "hostb", "p w",
	    &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	/* Both at their limit: the largest message there is. */
	ck_assert_int_eq(socks5_encode_auth(buf, sizeof(buf), u255, u255,
	    &len), 0);
	ck_assert_uint_eq(len, SOCKS5_OUT_MAX);
	ck_assert_uint_eq(buf[1], 255);
	ck_assert_uint_eq(buf[2 + 255], 255);
	ck_assert_int_eq(socks5_encode_auth(buf, sizeof(buf), u256, "p",
	    &len), -1);
	ck_assert_int_eq(socks5_encode_auth(buf, sizeof(buf), "u", u256,
	    &len), -1);
	ck_assert_int_eq(socks5_encode_auth(buf, sizeof(buf), "", "p", &len),
	    -1);
	ck_assert_int_eq(socks5_encode_auth(buf, sizeof(buf), "u", "", &len),
	    -1);
	ck_assert_int_eq(socks5_encode_auth(buf, 10, "hostb", "p w", &len),
	    -1);
	free(u255);
	free(u256);
}
END_TEST

START_TEST(connect_ipv4)
{
	static const uint8_t	want[] = { 5, 1, 0, 1, 192, 0, 2, 7,
	    0xd9, 0x03 };
	uint8_t			buf[64];
	size_t			len;

	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), "192.0.2.7",
	    55555, &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(socks5_encode_connect(buf, 9, "192.0.2.7", 55555,
	    &len), -1);
}
END_TEST

START_TEST(connect_ipv6)
{
	static const uint8_t	want[] = { 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x50 };
	uint8_t			buf[64];
	size_t			len;

	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), "2001:db8::1",
	    80, &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(socks5_encode_connect(buf, 21, "2001:db8::1", 80,
	    &len), -1);
}
END_TEST

START_TEST(connect_name)
{
	static const uint8_t	want[] = { 5, 1, 0, 3, 13, 'h', 'o', 's', 't',
	    'b', '.', 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0xd9, 0x03 };
	uint8_t			buf[SOCKS5_IN_MAX + 8];
	size_t			len;
	char			*n255 = repeat('a', 255);
	char			*n256 = repeat('a', 256);

	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf),
	    "hostb.invalid", 55555, &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(want) - 1,
	    "hostb.invalid", 55555, &len), -1);
	/* Not literals in inet_pton's sense: names, left to the proxy. */
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), "127.1",
	    1, &len), 0);
	ck_assert_uint_eq(buf[3], SOCKS5_ATYP_NAME);
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf),
	    "abcdefghijklmnop.onion", 1, &len), 0);
	ck_assert_uint_eq(buf[3], SOCKS5_ATYP_NAME);
	ck_assert_uint_eq(buf[4], 22);
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), n255, 1,
	    &len), 0);
	ck_assert_uint_eq(len, 4 + 1 + 255 + 2);
	ck_assert_uint_eq(buf[4], 255);
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), n256, 1,
	    &len), -1);
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), "", 1, &len),
	    -1);
	ck_assert_int_eq(socks5_encode_connect(buf, sizeof(buf), "h", 0, &len),
	    -1);
	free(n255);
	free(n256);
}
END_TEST

/* ---- the exchange --------------------------------------------------- */

START_TEST(init_refuses)
{
	struct socks5	 s;
	char		*n256 = repeat('a', 256);

	ck_assert_int_eq(socks5_init(&s, n256, 1, NULL, NULL), -1);
	ck_assert_int_eq(s.state, SOCKS5_S_FAILED);
	ck_assert_int_eq(socks5_init(&s, "", 1, NULL, NULL), -1);
	ck_assert_int_eq(socks5_init(&s, "h", 0, NULL, NULL), -1);
	ck_assert_int_eq(socks5_init(&s, "h", 1, "u", NULL), -1);
	ck_assert_int_eq(socks5_init(&s, "h", 1, NULL, "p"), -1);
	ck_assert_int_eq(socks5_init(&s, "h", 1, "", "p"), -1);
	ck_assert_int_eq(socks5_init(&s, "h", 1, "u", n256), -1);
	ck_assert_int_eq(socks5_init(&s, "h", 1, n256, "p"), -1);
	free(n256);
}
END_TEST

START_TEST(flow_no_auth)
{
	static const uint8_t	greet[] = { 5, 1, 0 }, m00[] = { 5, 0 };
	static const uint8_t	req[] = { 5, 1, 0, 3, 1, 'h', 0, 80 };
	uint8_t			in[sizeof(REP_V4) + 5];
	struct socks5		s;
	size_t			used;

	ck_assert_int_eq(socks5_init(&s, "h", 80, NULL, NULL), 0);
	expect_output(&s, greet, sizeof(greet));
	ck_assert_int_eq(socks5_input(&s, m00, 1, &used), SOCKS5_MORE);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(socks5_input(&s, m00, 2, &used), SOCKS5_SEND);
	ck_assert_uint_eq(used, 2);
	expect_output(&s, req, sizeof(req));
	/* The peer's first bytes may follow the reply at once. */
	memcpy(in, REP_V4, sizeof(REP_V4));
	memcpy(in + sizeof(REP_V4), "HELLO", 5);
	ck_assert_int_eq(socks5_input(&s, in, sizeof(in), &used), SOCKS5_DONE);
	ck_assert_uint_eq(used, sizeof(REP_V4));
	ck_assert_int_eq(s.reply, 0);
	/* Done: it never takes the peer's bytes. */
	ck_assert_int_eq(socks5_input(&s, in + used, 5, &used), SOCKS5_DONE);
	ck_assert_uint_eq(used, 0);
	ck_assert_ptr_null(socks5_output(&s, &used));
	socks5_clear(&s);
}
END_TEST

START_TEST(flow_auth)
{
	static const uint8_t	greet[] = { 5, 2, 0, 2 }, m02[] = { 5, 2 };
	static const uint8_t	auth[] = { 1, 2, 'u', 's', 2, 'p', 'w' };
	static const uint8_t	ok[] = { 1, 0 };
	static const uint8_t	req[] = { 5, 1, 0, 1, 127, 0, 0, 1,
	    0x1f, 0x90 };
	struct socks5		s;
	size_t			used;

	ck_assert_int_eq(socks5_init(&s, "127.0.0.1", 8080, "us", "pw"), 0);
	ck_assert_uint_eq(s.atyp, SOCKS5_ATYP_IPV4);
	expect_output(&s, greet, sizeof(greet));
	ck_assert_int_eq(socks5_input(&s, m02, 2, &used), SOCKS5_SEND);
	ck_assert_uint_eq(used, 2);
	ck_assert_uint_eq(s.method, 2);
	expect_output(&s, auth, sizeof(auth));
	ck_assert_int_eq(socks5_input(&s, ok, 1, &used), SOCKS5_MORE);
	ck_assert_int_eq(socks5_input(&s, ok, 2, &used), SOCKS5_SEND);
	ck_assert_uint_eq(used, 2);
	/* Sent: no need to keep the password. */
	ck_assert_uint_eq(s.password[0], 0);
	expect_output(&s, req, sizeof(req));
	ck_assert_int_eq(socks5_input(&s, REP_V6, sizeof(REP_V6), &used),
	    SOCKS5_DONE);
	ck_assert_uint_eq(used, sizeof(REP_V6));
	socks5_clear(&s);
	ck_assert_uint_eq(s.user[0], 0);
}
END_TEST

/* Credentials offered, the proxy wants none: straight to CONNECT. */
START_TEST(flow_auth_offered_none_chosen)
{
	static const uint8_t	m00[] = { 5, 0 };
	struct socks5		s;
	size_t			used, len;
	const uint8_t		*out;

	ck_assert_int_eq(socks5_init(&s, "2001:db8::1", 80, "u", "p"), 0);
	ck_assert_uint_eq(s.atyp, SOCKS5_ATYP_IPV6);
	(void)socks5_output(&s, &len);
	ck_assert_int_eq(socks5_input(&s, m00, 2, &used), SOCKS5_SEND);
	out = socks5_output(&s, &len);
	ck_assert_uint_eq(len, 22);
	ck_assert_uint_eq(out[0], 5);
	ck_assert_uint_eq(out[3], SOCKS5_ATYP_IPV6);
	ck_assert_int_eq(s.state, SOCKS5_S_CONNECT);
	socks5_clear(&s);
}
END_TEST

/* Each reply type, fed byte by byte: MORE until the very last byte. */
START_TEST(reply_exact_lengths)
{
	static const struct { const uint8_t *p; size_t len; } reps[] = {
		{ REP_V4, sizeof(REP_V4) },
		{ REP_V6, sizeof(REP_V6) },
		{ REP_NAME, sizeof(REP_NAME) }
	};
	uint8_t		in[SOCKS5_IN_MAX + 16];
	struct socks5	s;
	size_t		i, n, used;

	for (i = 0; i < sizeof(reps) / sizeof(reps[0]); i++) {
		to_connect(&s, "hostb.invalid");
		for (n = 0; n < reps[i].len; n++) {
			ck_assert_int_eq(socks5_input(&s, reps[i].p, n, &used),
			    SOCKS5_MORE);
			ck_assert_uint_eq(used, 0);
		}
		/* Followed by the peer's data: only the reply is taken. */
		memcpy(in, reps[i].p, reps[i].len);
		memset(in + reps[i].len, 0xee, 16);
		ck_assert_int_eq(socks5_input(&s, in, reps[i].len + 16, &used),
		    SOCKS5_DONE);
		ck_assert_uint_eq(used, reps[i].len);
		socks5_clear(&s);
	}
}
END_TEST

/* The longest reply there is: a 255-byte bound name. */
START_TEST(reply_longest_name)
{
	uint8_t		in[SOCKS5_IN_MAX];
	struct socks5	s;
	size_t		used;

	to_connect(&s, "h");
	memset(in, 'n', sizeof(in));
	in[0] = 5;
	in[1] = 0;
	in[2] = 0;
	in[3] = 3;
	in[4] = 255;
	ck_assert_int_eq(socks5_input(&s, in, sizeof(in) - 1, &used),
	    SOCKS5_MORE);
	ck_assert_int_eq(socks5_input(&s, in, sizeof(in), &used), SOCKS5_DONE);
	ck_assert_uint_eq(used, SOCKS5_IN_MAX);
	socks5_clear(&s);
}
END_TEST

struct bad_case {
	const char	*what;
	uint8_t		 in[8];
	size_t		 len;
	const char	*err;		/* a part of the message */
};

static void
run_bad(struct socks5 *s, const struct bad_case *c)
{
	size_t	used = 99;

	ck_assert_msg(socks5_input(s, c->in, c->len, &used) == SOCKS5_ERROR,
	    "%s: not refused", c->what);
	ck_assert_msg(strstr(socks5_error(s), c->err) != NULL,
	    "%s: message \"%s\" lacks \"%s\"", c->what, socks5_error(s),
	    c->err);
	ck_assert_int_eq(s->state, SOCKS5_S_FAILED);
	/* An error uses no byte (found by fuzz_socks5: a method reply
	 * naming an unoffered method claimed its 2 bytes). */
	ck_assert_msg(used == 0, "%s: an error used %zu bytes", c->what,
	    used);
	/* Failed for good, and the credentials are gone. */
	ck_assert_int_eq(socks5_input(s, c->in, c->len, &used), SOCKS5_ERROR);
	ck_assert_uint_eq(s->user[0], 0);
	ck_assert_uint_eq(s->password[0], 0);
	ck_assert_ptr_null(socks5_output(s, &used));
}

START_TEST(bad_method_replies)
{
	static const struct bad_case cases[] = {
		{ "version 4", { 4, 0 }, 2, "not a SOCKS5 proxy" },
		{ "version 0", { 0, 0 }, 2, "not a SOCKS5 proxy" },
		{ "refused all", { 5, 0xff }, 2, "none of the offered" },
		{ "GSSAPI chosen", { 5, 1 }, 2, "method 0x01, which was not" },
		{ "unknown method", { 5, 0x80 }, 2, "method 0x80" },
		{ "three bytes", { 5, 0, 0 }, 3,
		    "3 bytes for a 2-byte method" },
		{ "oversized", { 5, 2, 1, 0, 0, 0, 0, 0 }, 8,
		    "8 bytes for a 2-byte method" }
	};
	struct socks5	s;
	size_t		i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(socks5_init(&s, "h", 1, "u", "p"), 0);
		(void)socks5_output(&s, &len);
		run_bad(&s, &cases[i]);
	}
	/* Without credentials, choosing 02 is choosing what was not offered. */
	ck_assert_int_eq(socks5_init(&s, "h", 1, NULL, NULL), 0);
	(void)socks5_output(&s, &len);
	run_bad(&s, &(struct bad_case){ "02 not offered", { 5, 2 }, 2,
	    "method 0x02, which was not offered" });
}
END_TEST

START_TEST(bad_auth_replies)
{
	static const struct bad_case cases[] = {
		{ "version 5", { 5, 0 }, 2, "bad version 5 in the auth" },
		{ "status 1", { 1, 1 }, 2, "refused the user name and password "
		    "(status 1)" },
		{ "status 255", { 1, 0xff }, 2, "(status 255)" },
		{ "three bytes", { 1, 0, 5 }, 3, "3 bytes for a 2-byte auth" }
	};
	static const uint8_t	m02[] = { 5, 2 };
	struct socks5		s;
	size_t			i, len, used;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(socks5_init(&s, "h", 1, "u", "p"), 0);
		(void)socks5_output(&s, &len);
		ck_assert_int_eq(socks5_input(&s, m02, 2, &used), SOCKS5_SEND);
		(void)socks5_output(&s, &len);
		ck_assert_uint_eq(len, 5);
		run_bad(&s, &cases[i]);
	}
}
END_TEST

START_TEST(bad_connect_replies)
{
	static const struct bad_case cases[] = {
		{ "version 4", { 4, 0, 0, 1 }, 4,
		    "bad version 4 in the CONNECT" },
		{ "reserved set", { 5, 0, 1, 1 }, 4, "reserved byte 0x01" },
		{ "atyp 0", { 5, 0, 0, 0 }, 4, "unknown address type 0" },
		{ "atyp 2", { 5, 0, 0, 2 }, 4, "unknown address type 2" },
		{ "atyp 5", { 5, 0, 0, 5 }, 4, "unknown address type 5" },
		{ "atyp 255", { 5, 0, 0, 255 }, 4, "unknown address type 255" },
		{ "empty name", { 5, 0, 0, 3, 0, 0, 0 }, 7,
		    "empty bound name" },
		/* A refusal is final on its second byte. */
		{ "short refusal", { 5, 5 }, 2, "connection refused (0x05)" }
	};
	struct socks5	s;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		to_connect(&s, "hostb.invalid");
		run_bad(&s, &cases[i]);
	}
}
END_TEST

static const struct {
	uint8_t		 code;
	const char	*name;
} codes[] = {
	{ 0x01, "general SOCKS server failure" },
	{ 0x02, "connection not allowed by ruleset" },
	{ 0x03, "network unreachable" },
	{ 0x04, "host unreachable" },
	{ 0x05, "connection refused" },
	{ 0x06, "TTL expired" },
	{ 0x07, "command not supported" },
	{ 0x08, "address type not supported" },
	{ 0xf0, "onion service descriptor not found" },
	{ 0xf1, "onion service descriptor invalid" },
	{ 0xf2, "onion service introduction failed" },
	{ 0xf3, "onion service rendezvous failed" },
	{ 0xf4, "onion service client authorization missing" },
	{ 0xf5, "onion service client authorization wrong" },
	{ 0xf6, "onion service address invalid" },
	{ 0xf7, "onion service introduction timed out" }
};

START_TEST(reply_code_names)
{
	static const uint8_t	unknown[] = { 0x09, 0x10, 0x7f, 0xef, 0xf8,
	    0xfe, 0xff };
	size_t			i;

	ck_assert_str_eq(socks5_reply_name(0), "succeeded");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		ck_assert_str_eq(socks5_reply_name(codes[i].code),
		    codes[i].name);
	for (i = 0; i < sizeof(unknown); i++)
		ck_assert_str_eq(socks5_reply_name(unknown[i]),
		    "unknown reply code");
}
END_TEST

/* Every refusal code ends the exchange with its name in the message. */
START_TEST(reply_code_refusals)
{
	uint8_t		in[10];
	struct socks5	s;
	size_t		used;
	char		want[128];

	memcpy(in, REP_V4, sizeof(in));
	to_connect(&s, "abcdefghijklmnop.onion");
	in[1] = (uint8_t)codes[_i].code;
	ck_assert_int_eq(socks5_input(&s, in, sizeof(in), &used),
	    SOCKS5_ERROR);
	ck_assert_int_eq(s.reply, codes[_i].code);
	(void)snprintf(want, sizeof(want), "CONNECT to abcdefghijklmnop.onion "
	    "port 55555 refused: %s (0x%02x)", codes[_i].name, codes[_i].code);
	ck_assert_str_eq(socks5_error(&s), want);
}
END_TEST

START_TEST(reply_unknown_code)
{
	static const uint8_t	in[] = { 5, 0x42 };
	struct socks5		s;
	size_t			used;

	to_connect(&s, "h");
	ck_assert_int_eq(socks5_input(&s, in, 2, &used), SOCKS5_ERROR);
	ck_assert_ptr_nonnull(strstr(socks5_error(&s),
	    "unknown reply code (0x42)"));
}
END_TEST

START_TEST(clear_wipes)
{
	struct socks5	s;
	size_t		i;
	const uint8_t	*p = (const uint8_t *)&s;

	ck_assert_int_eq(socks5_init(&s, "h", 1, "user", "secret"), 0);
	socks5_clear(&s);
	ck_assert_int_eq(s.state, SOCKS5_S_FAILED);
	for (i = offsetof(struct socks5, user);
	    i < offsetof(struct socks5, out) + sizeof(s.out); i++)
		ck_assert_uint_eq(p[i], 0);
	ck_assert_str_eq(socks5_error(&s), "no error");
}
END_TEST

/*
 * Arbitrary answers in every state (a fixed pseudo-random sequence, so
 * a failure repeats): the machine never claims more bytes than it was
 * given, and each outcome is consistent with its state.
 */
START_TEST(arbitrary_answers)
{
	static const uint8_t	m02[] = { 5, 2 }, ok[] = { 1, 0 };
	uint8_t			in[SOCKS5_IN_MAX + 40];
	struct socks5		s;
	enum socks5_status	st;
	uint32_t		x = 0x2545f491;
	size_t			i, j, len, used, outlen, seen[4] = { 0 };
	int			state;

	for (i = 0; i < 30000; i++) {
		state = (int)(i % 3);
		ck_assert_int_eq(socks5_init(&s, "hostb.invalid", 1, "u", "p"),
		    0);
		(void)socks5_output(&s, &outlen);
		if (state >= 1) {
			(void)socks5_input(&s, m02, 2, &used);
			(void)socks5_output(&s, &outlen);
		}
		if (state >= 2) {
			(void)socks5_input(&s, ok, 2, &used);
			(void)socks5_output(&s, &outlen);
		}
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		len = x % sizeof(in);
		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			in[j] = (uint8_t)x;
		}
		/* Often a plausible start, so the later checks are reached. */
		if (len > 0 && (x & 1))
			in[0] = state == 1 ? 1 : 5;
		if (len > 2 && (x & 2))
			in[2] = 0;
		if (len > 1 && (x & 4))
			in[1] = state == 0 ? 2 : 0;
		st = socks5_input(&s, in, len, &used);
		ck_assert_uint_le(used, len);
		seen[st]++;
		switch (st) {
		case SOCKS5_MORE:
			ck_assert_uint_eq(used, 0);
			break;
		case SOCKS5_SEND:
			ck_assert_int_lt(state, 2);
			ck_assert_uint_eq(used, 2);
			ck_assert_uint_eq(len, 2);
			ck_assert_ptr_nonnull(socks5_output(&s, &outlen));
			break;
		case SOCKS5_DONE:
			ck_assert_int_eq(state, 2);
			ck_assert_uint_ge(used, 10);
			ck_assert_uint_le(used, SOCKS5_IN_MAX);
			break;
		case SOCKS5_ERROR:
			ck_assert_str_ne(socks5_error(&s), "no error");
			ck_assert_ptr_null(socks5_output(&s, &outlen));
			break;
		}
		socks5_clear(&s);
	}
	/* Every outcome was reached, or the test proves little. */
	for (j = 0; j < 4; j++)
		ck_assert_msg(seen[j] > 0, "outcome %zu never seen", j);
}
END_TEST

static Suite *
socks5_suite(void)
{
	Suite	*s = suite_create("socks5");
	TCase	*tc;

	tc = tcase_create("encode");
	tcase_add_test(tc, greeting_bytes);
	tcase_add_test(tc, auth_bytes);
	tcase_add_test(tc, connect_ipv4);
	tcase_add_test(tc, connect_ipv6);
	tcase_add_test(tc, connect_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("exchange");
	tcase_add_test(tc, init_refuses);
	tcase_add_test(tc, flow_no_auth);
	tcase_add_test(tc, flow_auth);
	tcase_add_test(tc, flow_auth_offered_none_chosen);
	tcase_add_test(tc, reply_exact_lengths);
	tcase_add_test(tc, reply_longest_name);
	tcase_add_test(tc, clear_wipes);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, bad_method_replies);
	tcase_add_test(tc, bad_auth_replies);
	tcase_add_test(tc, bad_connect_replies);
	tcase_add_test(tc, arbitrary_answers);
	suite_add_tcase(s, tc);

	tc = tcase_create("codes");
	tcase_add_test(tc, reply_code_names);
	tcase_add_loop_test(tc, reply_code_refusals, 0,
	    (int)(sizeof(codes) / sizeof(codes[0])));
	tcase_add_test(tc, reply_unknown_code);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(socks5_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
