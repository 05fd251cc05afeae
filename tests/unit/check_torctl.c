/*
 * Unit tests for the Tor control-port client (src/proto/torctl.c): the
 * exact bytes of every command, replies read whole when split at every
 * byte, data blocks, every bound at the bound and one past, broken line
 * ends and codes, quoted strings, the service id and key checks, the
 * PROTOCOLINFO and ADD_ONION answers and the refusal log line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "torctl.h"

/* A valid v3 id (public key 00..1f) and a 64-byte key (bytes 00..3f). */
#define ID	"aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3kead"
#define KEY	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss" \
		"LS4vMDEyMzQ1Njc4OTo7PD0+Pw=="

static const char PI_REPLY[] = "250-PROTOCOLINFO 1\r\n"
    "250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD "
    "COOKIEFILE=\"/run/tor/control.authcookie\"\r\n"
    "250-VERSION Tor=\"0.4.7.16\"\r\n250 OK\r\n";
static const char ADD_REPLY[] = "250-ServiceID=" ID "\r\n"
    "250-PrivateKey=ED25519-V3:" KEY "\r\n250 OK\r\n";

static struct torctl_reader rd;

#define ENC_IS(call, want) do {					\
	char	out_[512];					\
	size_t	len_ = 99;					\
	ck_assert_int_eq(call, 0);				\
	ck_assert_uint_eq(len_, strlen(want));			\
	ck_assert_mem_eq(out_, want, len_);			\
} while (0)

START_TEST(encoders)
{
	static const uint8_t	cookie[] = { 0x00, 0xab, 0xff };

	ENC_IS(torctl_encode_protocolinfo(out_, sizeof(out_), &len_),
	    "PROTOCOLINFO 1\r\n");
	ENC_IS(torctl_encode_quit(out_, sizeof(out_), &len_), "QUIT\r\n");
	ENC_IS(torctl_encode_auth_cookie(out_, sizeof(out_), cookie, 3,
	    &len_), "AUTHENTICATE 00ABFF\r\n");
	ENC_IS(torctl_encode_auth_password(out_, sizeof(out_), "pa\"s\\w",
	    &len_), "AUTHENTICATE \"pa\\\"s\\\\w\"\r\n");
	ENC_IS(torctl_encode_auth_password(out_, sizeof(out_), "", &len_),
	    "AUTHENTICATE \"\"\r\n");
	ENC_IS(torctl_encode_add_onion(out_, sizeof(out_), NULL, NULL, 80,
	    4242, &len_), "ADD_ONION NEW:ED25519-V3 Port=80,127.0.0.1:4242\r\n");
	ENC_IS(torctl_encode_add_onion(out_, sizeof(out_), KEY,
	    "Detach,DiscardPK", 5555, 65535, &len_), "ADD_ONION ED25519-V3:"
	    KEY " Flags=Detach,DiscardPK Port=5555,127.0.0.1:65535\r\n");
	ENC_IS(torctl_encode_del_onion(out_, sizeof(out_), ID, &len_),
	    "DEL_ONION " ID "\r\n");
}
END_TEST

START_TEST(encoders_refuse)
{
	static const uint8_t	cookie[65] = { 0 };
	char			out[512];
	size_t			len;

	ck_assert_int_eq(torctl_encode_auth_password(out, sizeof(out),
	    "a\rb", &len), -1);
	ck_assert_int_eq(torctl_encode_auth_password(out, sizeof(out),
	    "a\nb", &len), -1);
	ck_assert_int_eq(torctl_encode_auth_cookie(out, sizeof(out), cookie,
	    0, &len), -1);
	ck_assert_int_eq(torctl_encode_auth_cookie(out, sizeof(out), cookie,
	    65, &len), -1);
	ck_assert_int_eq(torctl_encode_add_onion(out, sizeof(out), NULL,
	    NULL, 0, 1, &len), -1);
	ck_assert_int_eq(torctl_encode_add_onion(out, sizeof(out), NULL,
	    NULL, 1, 0, &len), -1);
	ck_assert_int_eq(torctl_encode_add_onion(out, sizeof(out), "AAAA",
	    NULL, 1, 1, &len), -1);
	ck_assert_int_eq(torctl_encode_add_onion(out, sizeof(out), NULL,
	    "Detach Port=1", 1, 1, &len), -1);
	ck_assert_int_eq(torctl_encode_add_onion(out, sizeof(out), NULL,
	    "Detach,", 1, 1, &len), -1);
	ck_assert_int_eq(torctl_encode_del_onion(out, sizeof(out),
	    "x\r\nQUIT", &len), -1);
	/* Too small by one byte, then just right. */
	ck_assert_int_eq(torctl_encode_protocolinfo(out, 16, &len), -1);
	ck_assert_int_eq(torctl_encode_protocolinfo(out, 17, &len), 0);
	ck_assert_int_eq(torctl_encode_add_onion(out, 60, KEY, NULL, 1, 1,
	    &len), -1);
	ck_assert_int_eq(torctl_encode_add_onion(out, 60, NULL, NULL, 1, 1,
	    &len), 0);
}
END_TEST

/* Feed s growing one byte at a time as a reader's caller would. */
static const struct torctl_reply *
read_split(const char *s, size_t n, size_t split)
{
	uint8_t			 buf[TORCTL_REPLY_MAX * 2];
	size_t			 have = 0, off = 0, used, step;
	enum torctl_status	 st = TORCTL_MORE;

	torctl_reader_init(&rd);
	while (st == TORCTL_MORE && off < n) {
		step = split == 0 ? n : split;
		if (step > n - off)
			step = n - off;
		memcpy(buf + have, s + off, step);
		have += step;
		off += step;
		st = torctl_read(&rd, buf, have, &used);
		ck_assert_uint_le(used, have);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	ck_assert_int_eq(st, TORCTL_REPLY);
	ck_assert_uint_eq(have + (n - off), 0);
	return torctl_reply(&rd);
}

static enum torctl_status
read_all(const char *s, size_t n, size_t *used)
{
	torctl_reader_init(&rd);
	return torctl_read(&rd, (const uint8_t *)s, n, used);
}

START_TEST(protocolinfo_every_split)
{
	const struct torctl_reply	*rep;
	struct torctl_protoinfo		 pi;
	char				 err[128];
	size_t				 split;

	for (split = 0; split < sizeof(PI_REPLY); split++) {
		rep = read_split(PI_REPLY, sizeof(PI_REPLY) - 1, split);
		ck_assert_int_eq(rep->code, 250);
		ck_assert_uint_eq(rep->nlines, 4);
		ck_assert_int_eq(torctl_parse_protocolinfo(rep, &pi, err,
		    sizeof(err)), 0);
		ck_assert_uint_eq(pi.methods, TORCTL_AUTH_COOKIE |
		    TORCTL_AUTH_SAFECOOKIE | TORCTL_AUTH_HASHEDPASSWORD);
		ck_assert_str_eq(pi.cookiefile, "/run/tor/control.authcookie");
		ck_assert_str_eq(pi.version, "0.4.7.16");
	}
}
END_TEST

START_TEST(protocolinfo_variants)
{
	static const char	 nullauth[] = "250-PROTOCOLINFO 1\r\n"
	    "250-AUTH METHODS=NULL,FUTURE\r\n250 OK\r\n";
	static const char	 noauth[] = "250-PROTOCOLINFO 1\r\n250 OK\r\n";
	static const char	 badq[] = "250-AUTH METHODS=COOKIE "
	    "COOKIEFILE=\"/x\r\n250 OK\r\n";
	static const char	 refused[] = "515 Authentication failed\r\n";
	struct torctl_protoinfo	 pi;
	char			 err[128];
	size_t			 used;

	ck_assert_int_eq(read_all(nullauth, strlen(nullauth), &used),
	    TORCTL_REPLY);
	ck_assert_int_eq(torctl_parse_protocolinfo(&rd.reply, &pi, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(pi.methods, TORCTL_AUTH_NULL);
	ck_assert_str_eq(pi.cookiefile, "");
	ck_assert_int_eq(read_all(noauth, strlen(noauth), &used),
	    TORCTL_REPLY);
	ck_assert_int_eq(torctl_parse_protocolinfo(&rd.reply, &pi, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(read_all(badq, strlen(badq), &used), TORCTL_REPLY);
	ck_assert_int_eq(torctl_parse_protocolinfo(&rd.reply, &pi, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(read_all(refused, strlen(refused), &used),
	    TORCTL_REPLY);
	ck_assert_int_eq(torctl_parse_protocolinfo(&rd.reply, &pi, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "PROTOCOLINFO: status 515");
}
END_TEST

START_TEST(data_reply_and_next)
{
	static const char	 s[] = "250+info/x=\r\nline one\r\n..dot\r\n"
	    "..\r\n.\r\n250 OK\r\n650 EVENT\r\n";
	const struct torctl_reply *rep;
	size_t			 used, len;

	ck_assert_int_eq(read_all(s, strlen(s), &used), TORCTL_REPLY);
	ck_assert_uint_eq(used, strlen(s) - strlen("650 EVENT\r\n"));
	rep = torctl_reply(&rd);
	ck_assert_uint_eq(rep->nlines, 5);
	ck_assert_int_eq(rep->line[0].kind, TORCTL_DATA);
	ck_assert_str_eq(torctl_line_text(rep, 0, NULL), "info/x=");
	ck_assert_int_eq(rep->line[1].kind, TORCTL_DLINE);
	ck_assert_str_eq(torctl_line_text(rep, 1, NULL), "line one");
	ck_assert_str_eq(torctl_line_text(rep, 2, &len), ".dot");
	ck_assert_uint_eq(len, 4);
	ck_assert_str_eq(torctl_line_text(rep, 3, NULL), ".");
	ck_assert_int_eq(rep->line[4].kind, TORCTL_END);
	ck_assert_ptr_null(torctl_line_text(rep, 5, &len));
	/* The next reply starts afresh. */
	ck_assert_int_eq(torctl_read(&rd, (const uint8_t *)s + used,
	    strlen(s) - used, &used), TORCTL_REPLY);
	ck_assert_int_eq(torctl_reply(&rd)->code, 650);
	ck_assert_uint_eq(torctl_reply(&rd)->nlines, 1);
	/* A data block whose "250 OK" has not come yet is not a reply. */
	ck_assert_int_eq(read_all(s, 36, &used), TORCTL_MORE);
	ck_assert_uint_eq(used, 34);		/* not the partial "." */
	ck_assert_ptr_null(torctl_reply(&rd));
}
END_TEST

/* "250 " and text up to linelen bytes in all, then CRLF. */
static char *
line_of(size_t linelen, char sep)
{
	char	*s = malloc(linelen + 3);

	ck_assert_ptr_nonnull(s);
	memset(s, 'x', linelen);
	memcpy(s, "250", 3);
	s[3] = sep;
	memcpy(s + linelen, "\r\n", 3);
	return s;
}

START_TEST(line_bound)
{
	char	*s;
	size_t	 used;

	s = line_of(TORCTL_LINE_MAX, ' ');
	ck_assert_int_eq(read_all(s, strlen(s), &used), TORCTL_REPLY);
	ck_assert_uint_eq(rd.reply.line[0].len, TORCTL_LINE_MAX - 4);
	free(s);
	s = line_of(TORCTL_LINE_MAX + 1, ' ');
	ck_assert_int_eq(read_all(s, strlen(s), &used), TORCTL_ERROR);
	ck_assert_str_eq(torctl_error(&rd), "reply line too long");
	/* Without its end, known as too long as soon as it is. */
	ck_assert_int_eq(read_all(s, TORCTL_IN_MAX - 1, &used), TORCTL_MORE);
	ck_assert_int_eq(read_all(s, TORCTL_IN_MAX, &used), TORCTL_ERROR);
	free(s);
	/* A data line has the same bound: 8 bytes open the block. */
	s = line_of(8 + TORCTL_LINE_MAX, '+');
	memcpy(s, "250+a=\r\n", 8);
	ck_assert_int_eq(read_all(s, strlen(s), &used), TORCTL_MORE);
	ck_assert_uint_eq(used, strlen(s));
	free(s);
	s = line_of(8 + TORCTL_LINE_MAX + 1, '+');
	memcpy(s, "250+a=\r\n", 8);
	ck_assert_int_eq(read_all(s, strlen(s), &used), TORCTL_ERROR);
	free(s);
}
END_TEST

static enum torctl_status
read_lines(size_t n, size_t lastlen, size_t midlen)
{
	char			*mid = line_of(midlen, '-');
	char			*end = line_of(lastlen, ' ');
	enum torctl_status	 st = TORCTL_MORE;
	size_t			 i, used;

	torctl_reader_init(&rd);
	for (i = 0; i + 1 < n && st == TORCTL_MORE; i++)
		st = torctl_read(&rd, (uint8_t *)mid, strlen(mid), &used);
	if (st == TORCTL_MORE)
		st = torctl_read(&rd, (uint8_t *)end, strlen(end), &used);
	free(mid);
	free(end);
	return st;
}

START_TEST(reply_bounds)
{
	size_t	per = TORCTL_LINE_MAX - 4 + 1;	/* kept per full line */
	size_t	full = TORCTL_REPLY_MAX / per;
	size_t	rest = TORCTL_REPLY_MAX - full * per;

	ck_assert_int_eq(read_lines(TORCTL_REPLY_LINES, 6, 6), TORCTL_REPLY);
	ck_assert_uint_eq(rd.reply.nlines, TORCTL_REPLY_LINES);
	ck_assert_int_eq(read_lines(TORCTL_REPLY_LINES + 1, 6, 6),
	    TORCTL_ERROR);
	ck_assert_str_eq(torctl_error(&rd), "reply over its bound");
	/* Bytes: exactly TORCTL_REPLY_MAX kept, then one more. */
	ck_assert_int_eq(read_lines(full + 1, rest - 1 + 4, TORCTL_LINE_MAX),
	    TORCTL_REPLY);
	ck_assert_uint_eq(rd.reply.used, TORCTL_REPLY_MAX);
	ck_assert_int_eq(read_lines(full + 1, rest + 4, TORCTL_LINE_MAX),
	    TORCTL_ERROR);
}
END_TEST

START_TEST(malformed)
{
	static const char	*bad[] = {
		"250 OK\n", "250-a\r\n250 OK\n", "250 O\rK\r\n", "250 O\0K\r\n",
		"250-a\r\n251 b\r\n", "250+a\r\nx\r\n.\r\n251 OK\r\n",
		"2x0 OK\r\n", "700 OK\r\n", "050 OK\r\n", "250:OK\r\n",
		"250\r\n", "\r\n", "\n",
	};
	static const char	*why[] = {
		"line ends in a bare LF", "line ends in a bare LF",
		"bare CR in a reply", "NUL in a reply",
		"status code changed inside a reply",
		"status code changed inside a reply",
		"bad status code", "bad status code", "bad status code",
		"bad reply line separator", "reply line too short",
		"reply line too short", "line ends in a bare LF",
	};
	size_t	i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);

		if (i == 3)
			n = 10;
		ck_assert_int_eq(read_all(bad[i], n, &used), TORCTL_ERROR);
		ck_assert_str_eq(torctl_error(&rd), why[i]);
		ck_assert_uint_eq(used, 0);
		/* Broken for good. */
		ck_assert_int_eq(torctl_read(&rd, (const uint8_t *)"250 OK\r\n",
		    8, &used), TORCTL_ERROR);
	}
}
END_TEST

START_TEST(quoted_strings)
{
	static const char	*ok[] = { "\"\"", "\"a b\"", "\"q\\\"q\"",
	    "\"b\\\\s\"", "\"\\n\\r\\t\"", "\"\\101\\'\"", "\"x\" rest" };
	static const char	*want[] = { "", "a b", "q\"q", "b\\s",
	    "\n\r\t", "A'", "x" };
	static const size_t	 used_want[] = { 2, 5, 6, 6, 8, 8, 3 };
	static const char	*bad[] = { "", "\"", "\"abc", "abc\"",
	    "\"\\x\"", "\"\\000\"", "\"\\400\"", "\"\\12\"", "\"a\\\"" };
	char			 out[16];
	size_t			 i, used;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(torctl_unquote(ok[i], strlen(ok[i]), out,
		    sizeof(out), &used), 0);
		ck_assert_str_eq(out, want[i]);
		ck_assert_uint_eq(used, used_want[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(torctl_unquote(bad[i], strlen(bad[i]), out,
		    sizeof(out), &used), -1);
	/* The output bound: 3 bytes and a NUL fit in 4, not in 3. */
	ck_assert_int_eq(torctl_unquote("\"abc\"", 5, out, 4, &used), 0);
	ck_assert_int_eq(torctl_unquote("\"abc\"", 5, out, 3, &used), -1);
}
END_TEST

START_TEST(id_and_key_checks)
{
	char	id[] = ID, key[] = KEY;

	ck_assert(torctl_valid_service_id(ID));
	ck_assert(!torctl_valid_service_id(""));
	ck_assert(!torctl_valid_service_id(ID "a"));
	id[10] = id[10] == 'a' ? 'b' : 'a';		/* checksum wrong */
	ck_assert(!torctl_valid_service_id(id));
	memcpy(id, ID, sizeof(id));
	id[0] = 'A';					/* upper case */
	ck_assert(!torctl_valid_service_id(id));
	memcpy(id, ID, sizeof(id));
	id[55] = 'e';					/* version 4 */
	ck_assert(!torctl_valid_service_id(id));

	ck_assert(torctl_valid_key(KEY));
	key[86] = '\0';					/* unpadded */
	ck_assert(torctl_valid_key(key));
	key[85] = '\0';
	ck_assert(!torctl_valid_key(key));
	memcpy(key, KEY, sizeof(key));
	key[85] = 'x';					/* low bits set */
	ck_assert(!torctl_valid_key(key));
	memcpy(key, KEY, sizeof(key));
	key[3] = '.';
	ck_assert(!torctl_valid_key(key));
	ck_assert(!torctl_valid_key(KEY "A"));
	ck_assert(!torctl_valid_key(NULL));
}
END_TEST

static int
parse_add(const char *s, struct torctl_onion *o)
{
	char	err[128];
	size_t	used;

	ck_assert_int_eq(read_all(s, strlen(s), &used), TORCTL_REPLY);
	return torctl_parse_add_onion(torctl_reply(&rd), o, err, sizeof(err));
}

START_TEST(add_onion_answers)
{
	static const char	*bad[] = {
		"250 OK\r\n",
		"250-ServiceID=" ID "x\r\n250 OK\r\n",
		"250-ServiceID=" ID "\r\n250-ServiceID=" ID "\r\n250 OK\r\n",
		"250-ServiceID=" ID "\r\n250-PrivateKey=RSA1024:" KEY
		    "\r\n250 OK\r\n",
		"250-ServiceID=" ID "\r\n250-PrivateKey=ED25519-V3:AAAA\r\n"
		    "250 OK\r\n",
		"250-ServiceID=" ID "\r\n250 NOTOK\r\n",
		"512 Bad arguments to ADD_ONION\r\n",
	};
	struct torctl_onion	 o;
	size_t			 i, split;

	for (split = 1; split < sizeof(ADD_REPLY); split += 7) {
		(void)read_split(ADD_REPLY, strlen(ADD_REPLY), split);
		ck_assert_int_eq(torctl_parse_add_onion(torctl_reply(&rd), &o,
		    NULL, 0), 0);
		ck_assert_str_eq(o.service_id, ID);
		ck_assert_str_eq(o.key, KEY);
	}
	ck_assert_int_eq(parse_add("250-ServiceID=" ID "\r\n250 OK\r\n", &o),
	    0);
	ck_assert_str_eq(o.key, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(parse_add(bad[i], &o), -1);
		ck_assert_str_eq(o.service_id, "");
		ck_assert_str_eq(o.key, "");
	}
}
END_TEST

START_TEST(error_lines)
{
	static const char	 r1[] = "512 Bad \x1b[31marguments\x7f \xc3\xa9\r\n";
	static const char	 r2[] = "552-Unrecognized\r\n552 flag \"Bad\"\r\n";
	char			 out[TORCTL_ERRLINE_MAX + 50], *big;
	size_t			 used;

	ck_assert_int_eq(read_all(r1, strlen(r1), &used), TORCTL_REPLY);
	torctl_error_line(torctl_reply(&rd), "ADD_ONION", out, sizeof(out));
	ck_assert_str_eq(out, "tor refused ADD_ONION: 512 Bad [31marguments ??");
	ck_assert_int_eq(read_all(r2, strlen(r2), &used), TORCTL_REPLY);
	torctl_error_line(torctl_reply(&rd), "AUTHENTICATE", out, sizeof(out));
	ck_assert_str_eq(out,
	    "tor refused AUTHENTICATE: 552 Unrecognized; flag \"Bad\"");
	torctl_error_line(torctl_reply(&rd), "AUTHENTICATE", out, 20);
	ck_assert_str_eq(out, "tor refused AUTH...");
	/* A long refusal is cut at TORCTL_ERRLINE_MAX, marked. */
	big = line_of(TORCTL_LINE_MAX, ' ');
	memcpy(big, "551", 3);
	ck_assert_int_eq(read_all(big, strlen(big), &used), TORCTL_REPLY);
	free(big);
	torctl_error_line(torctl_reply(&rd), "DEL_ONION", out, sizeof(out));
	ck_assert_uint_eq(strlen(out), TORCTL_ERRLINE_MAX - 1);
	ck_assert_str_eq(out + TORCTL_ERRLINE_MAX - 4, "...");
}
END_TEST

START_TEST(clear_wipes)
{
	static const struct torctl_reader	zr;
	static const struct torctl_onion	zo;
	struct torctl_onion			o;

	ck_assert_int_eq(parse_add(ADD_REPLY, &o), 0);
	ck_assert_ptr_nonnull(memmem(rd.reply.text, rd.reply.used, KEY, 86));
	torctl_reader_clear(&rd);
	ck_assert_mem_eq(&rd, &zr, sizeof(zr));
	torctl_onion_clear(&o);
	ck_assert_mem_eq(&o, &zo, sizeof(zo));
	/* Taking the next reply wipes the one before. */
	ck_assert_int_eq(parse_add(ADD_REPLY, &o), 0);
	ck_assert_int_eq(torctl_read(&rd, (const uint8_t *)"250 OK\r\n", 8,
	    &(size_t){ 0 }), TORCTL_REPLY);
	ck_assert_ptr_null(memmem(rd.reply.text, sizeof(rd.reply.text),
	    KEY, 86));
	torctl_onion_clear(&o);
}
END_TEST

static Suite *
torctl_suite(void)
{
	Suite	*s = suite_create("torctl");
	TCase	*tc;

	tc = tcase_create("encode");
	tcase_add_test(tc, encoders);
	tcase_add_test(tc, encoders_refuse);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_test(tc, protocolinfo_every_split);
	tcase_add_test(tc, data_reply_and_next);
	tcase_add_test(tc, line_bound);
	tcase_add_test(tc, reply_bounds);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, clear_wipes);
	suite_add_tcase(s, tc);

	tc = tcase_create("answers");
	tcase_add_test(tc, protocolinfo_variants);
	tcase_add_test(tc, quoted_strings);
	tcase_add_test(tc, id_and_key_checks);
	tcase_add_test(tc, add_onion_answers);
	tcase_add_test(tc, error_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(torctl_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
