/*
 * Unit tests of the JSON reader of the known-answer files
 * (tests/unit/vectors.c): escapes, strictness (every malformed text
 * refused, with its place), and lookups that fail loudly on a missing
 * key, a wrong type or a wrong length.
 */
#include "config.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "unitrun.h"
#include "util.h"
#include "vectors.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- the reader ---------------------------------------------------- */

START_TEST(test_vec_reader)
{
	static const char	 text[] =
	    "{\"a b (c)\": \"x\\n\\u0041\\u00a7\\ud83d\\ude00\\\"\", "
	    "\"n\": [-12, 0, 3.5, 1e3, true, false, null], \"o\": {}}";
	struct vec		*root, *n;

	root = vec_parse(text, strlen(text), "inline");
	ck_assert_str_eq(vec_str(root, "a b (c)"),
	    "x\nA\xc2\xa7\xf0\x9f\x98\x80\"");
	n = vec_get(root, "n");
	ck_assert_uint_eq(vec_len(n), 7);
	ck_assert_int_eq(vec_as_int(vec_index(n, 0)), -12);
	ck_assert_int_eq(vec_as_int(vec_index(n, 1)), 0);
	ck_assert_int_eq(vec_type(vec_index(n, 2)), VEC_NUM);
	ck_assert_int_eq(vec_as_bool(vec_index(n, 4)), 1);
	ck_assert_int_eq(vec_as_bool(vec_index(n, 5)), 0);
	ck_assert_int_eq(vec_type(vec_index(n, 6)), VEC_NULL);
	ck_assert_ptr_null(vec_find(root, "missing"));
	ck_assert_uint_eq(vec_len(vec_get(root, "o")), 0);
	/* 2, 3 and 6 not read */
	ck_assert_uint_eq(vec_unread(root, 0), 3);
	vec_free(root);
}
END_TEST

/* The reader's errors, caught by a hook instead of failing the test. */
static jmp_buf	vec_jmp;
static char	vec_msg[256];

static void
catch_fail(const char *msg)
{
	nc_strlcpy(vec_msg, msg, sizeof(vec_msg));
	longjmp(vec_jmp, 1);
}

static const char *const bad_json[] = {
	"{\"a\": 1,}",
	"{\"a\": 1 \"b\": 2}",
	"{\"a\": 1, \"a\": 2}",
	"{\"a\" 1}",
	"{1: 2}",
	"[01]",
	"[1.]",
	"[-]",
	"[1e]",
	"\"\\x\"",
	"\"\\u00\"",
	"\"\\u0000\"",
	"\"\\udc00\"",
	"\"\\ud800\\u0041\"",
	"\"a\tb\"",
	"\"abc",
	"\"abc\\",
	"tru",
	"nul",
	"[1] 2",
	"[1, 2",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	"",
	"   ",
};

START_TEST(test_vec_reader_bad)
{
	struct vec * volatile	v = NULL;
	vec_fail_fn		old;

	old = vec_set_fail(catch_fail);
	vec_msg[0] = '\0';
	if (setjmp(vec_jmp) == 0)
		v = vec_parse(bad_json[_i], strlen(bad_json[_i]), "bad");
	vec_set_fail(old);
	ck_assert_msg(v == NULL, "accepted: %s", bad_json[_i]);
	ck_assert_msg(strncmp(vec_msg, "bad:1:", 6) == 0, "message: %s",
	    vec_msg);
}
END_TEST

/* A missing key, a wrong type or a wrong length fails loudly. */
START_TEST(test_vec_strict)
{
	static const char	 text[] = "{\"a\": \"0011\", \"n\": 1.5}";
	struct vec		*v;
	uint8_t			 buf[4];
	size_t			 n;
	vec_fail_fn		 old;
	volatile int		 step, failed = 0;

	v = vec_parse(text, strlen(text), "inline");
	old = vec_set_fail(catch_fail);
	for (step = 0; step < 6; step++) {
		if (setjmp(vec_jmp) != 0) {
			failed++;
			continue;
		}
		switch (step) {
		case 0:
			(void)vec_str(v, "b");
			break;
		case 1:
			vec_hex(v, "a", buf, sizeof(buf), NULL);
			break;
		case 2:
			vec_hex(v, "a", buf, 1, &n);
			break;
		case 3:
			(void)vec_int(v, "n");
			break;
		case 4:
			(void)vec_int(v, "a");
			break;
		case 5:
			(void)vec_index(vec_get(v, "a"), 0);
			break;
		}
	}
	vec_set_fail(old);
	ck_assert_int_eq(failed, 6);
	vec_free(v);
}
END_TEST

static Suite *
vecreader_suite(void)
{
	Suite	*s = suite_create("vectors.c");
	TCase	*tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vec_reader);
	tcase_add_loop_test(tc, test_vec_reader_bad, 0, (int)nitems(bad_json));
	tcase_add_test(tc, test_vec_strict);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(vecreader_suite());
}
