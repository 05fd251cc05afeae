/*
 * Resumption secrets and proofs (src/proto/resume.c, doc/PROTOCOL.md 5.13):
 * the known answers of tests/vectors/resume-v2.json, every one of them
 * checked; the two-secret store; the replay memory and its bound.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resume.h"
#include "vectors.h"

#define VEC_RESUME_V2	TEST_SRCDIR "/tests/vectors/resume-v2.json"

START_TEST(test_vec_resume)
{
	struct vec		*root, *cases, *c;
	struct resume_state	 st;
	uint8_t			 prk[32], rs[32], want[32], epoch[8], x[32];
	uint8_t			 nonce[16], tag[16], random[32], got[16];
	size_t			 i, unread;

	root = vec_load(VEC_RESUME_V2);
	(void)vec_str(root, "about");
	cases = vec_get(root, "cases");
	ck_assert_uint_eq(vec_len(cases), 3);
	for (i = 0; i < vec_len(cases); i++) {
		c = vec_index(cases, i);
		ck_assert_int_eq(vec_int(c, "from_case"), (long long)i);
		vec_hex(c, "prk", prk, sizeof(prk), NULL);
		vec_hex(c, "resume_secret", want, sizeof(want), NULL);
		vec_hex(c, "epoch", epoch, sizeof(epoch), NULL);
		vec_hex(c, "x25519", x, sizeof(x), NULL);
		vec_hex(c, "nonce", nonce, sizeof(nonce), NULL);
		vec_hex(c, "tag", tag, sizeof(tag), NULL);
		vec_hex(c, "random", random, sizeof(random), NULL);
		ck_assert_int_eq(resume_secret(prk, rs), 0);
		ck_assert_mem_eq(rs, want, 32);
		ck_assert_int_eq(resume_tag(rs, nonce, epoch, x, got), 0);
		ck_assert_mem_eq(got, tag, 16);
		ck_assert_mem_eq(random, nonce, 16);
		ck_assert_mem_eq(random + 16, tag, 16);
		/* The vector's random proves the secret, once. */
		memset(&st, 0, sizeof(st));
		resume_store(&st, rs);
		ck_assert_int_eq(resume_check(&st, random, epoch, x), 1);
		ck_assert_int_eq(resume_check(&st, random, epoch, x), -1);
		/* Another epoch or share: no proof. */
		epoch[0] ^= 1;
		ck_assert_int_eq(resume_check(&st, random, epoch, x), 0);
		resume_clear(&st);
	}
	unread = vec_unread(root, 1);
	ck_assert_uint_eq(unread, 0);
	vec_free(root);
}
END_TEST

/* A proof made with the secret of a link. */
static void
prove(const uint8_t rs[32], uint8_t n, uint8_t random[32])
{
	static const uint8_t	epoch[8] = { 1 }, x[32] = { 2 };

	memset(random, n, 16);
	ck_assert_int_eq(resume_tag(rs, random, epoch, x, random + 16), 0);
}

static int
check(struct resume_state *st, const uint8_t random[32])
{
	static const uint8_t	epoch[8] = { 1 }, x[32] = { 2 };

	return resume_check(st, random, epoch, x);
}

/* The newest and the one before count; older secrets do not. */
START_TEST(test_store_two_secrets)
{
	struct resume_state	st;
	uint8_t			s1[32], s2[32], s3[32], r[32];

	memset(&st, 0, sizeof(st));
	memset(s1, 0x11, 32);
	memset(s2, 0x22, 32);
	memset(s3, 0x33, 32);
	ck_assert_ptr_null(resume_current(&st));
	prove(s1, 1, r);
	ck_assert_int_eq(check(&st, r), 0);	/* nothing stored */
	resume_store(&st, s1);
	ck_assert_mem_eq(resume_current(&st), s1, 32);
	resume_store(&st, s2);
	ck_assert_mem_eq(resume_current(&st), s2, 32);
	ck_assert_int_eq(check(&st, r), 1);	/* s1 is the older */
	prove(s2, 2, r);
	ck_assert_int_eq(check(&st, r), 1);
	resume_store(&st, s3);
	prove(s1, 3, r);
	ck_assert_int_eq(check(&st, r), 0);	/* s1 is gone */
	resume_clear(&st);
	ck_assert_ptr_null(resume_current(&st));
	prove(s3, 4, r);
	ck_assert_int_eq(check(&st, r), 0);
}
END_TEST

/* Replays are caught for the last RESUME_SEEN_MAX proofs. */
START_TEST(test_replay_memory_bound)
{
	struct resume_state	st;
	uint8_t			s[32], r[32];
	unsigned int		i;

	memset(&st, 0, sizeof(st));
	memset(s, 0x44, 32);
	resume_store(&st, s);
	for (i = 0; i < RESUME_SEEN_MAX; i++) {
		prove(s, (uint8_t)i, r);
		ck_assert_int_eq(check(&st, r), 1);
	}
	for (i = 0; i < RESUME_SEEN_MAX; i++) {
		prove(s, (uint8_t)i, r);
		ck_assert_int_eq(check(&st, r), -1);
	}
	/* One more new proof pushes out the oldest nonce. */
	prove(s, RESUME_SEEN_MAX, r);
	ck_assert_int_eq(check(&st, r), 1);
	prove(s, 0, r);
	ck_assert_int_eq(check(&st, r), 1);
	prove(s, 2, r);
	ck_assert_int_eq(check(&st, r), -1);
	ck_assert_uint_eq(st.nseen, RESUME_SEEN_MAX);
}
END_TEST

/* A tag with one bit off proves nothing. */
START_TEST(test_forged_tag)
{
	struct resume_state	st;
	uint8_t			s[32], r[32];
	int			bit;

	memset(&st, 0, sizeof(st));
	memset(s, 0x55, 32);
	resume_store(&st, s);
	for (bit = 0; bit < 128; bit += 7) {
		prove(s, (uint8_t)bit, r);
		r[16 + bit / 8] ^= (uint8_t)(1 << (bit % 8));
		ck_assert_int_eq(check(&st, r), 0);
	}
	ck_assert_uint_eq(st.nseen, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("resume");
	TCase	*tc = tcase_create("resume");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_vec_resume);
	tcase_add_test(tc, test_store_two_secrets);
	tcase_add_test(tc, test_replay_memory_bound);
	tcase_add_test(tc, test_forged_tag);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
