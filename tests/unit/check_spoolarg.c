/*
 * Unit tests for netcrypt(1)'s arguments of messages with a lifetime
 * (src/tools/spoolarg.c): the durations of send --within, 1 second to
 * 90 days with a unit, and the spool ids of status.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <check.h>

#include "netcrypt.h"
#include "spoolarg.h"
#include "unitrun.h"

START_TEST(test_duration_good)
{
	static const struct {
		const char	*arg;
		uint32_t	 seconds;
	} good[] = {
		{ "1s", 1 }, { "30s", 30 }, { "10m", 600 }, { "12h", 43200 },
		{ "7d", 604800 }, { "90d", NC_LIFETIME_MAX },
		{ "7776000s", NC_LIFETIME_MAX }, { "129600m", NC_LIFETIME_MAX },
		{ "2160h", NC_LIFETIME_MAX }, { "007d", 604800 },
	};
	uint32_t	s;
	size_t		i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		s = 0;
		ck_assert_ptr_null(spoolarg_duration(good[i].arg, &s));
		ck_assert_uint_eq(s, good[i].seconds);
	}
}
END_TEST

START_TEST(test_duration_bad)
{
	static const char	*form[] = {
		"", "7", "d", "s", "7x", "7D", "7 d", " 7d", "7d ", "-7d",
		"+7d", "1.5h", "7dd", "1d12h", "0x10s", "12345678901s",
		"99999999999d",
	};
	static const char	*range[] = {
		"0s", "0d", "000m", "91d", "7776001s", "129601m", "2161h",
		"9999999999d",
	};
	const char	*why;
	uint32_t	 s = 42;
	size_t		 i;

	for (i = 0; i < sizeof(form) / sizeof(form[0]); i++) {
		ck_assert_ptr_nonnull(why = spoolarg_duration(form[i], &s));
		ck_assert_msg(strstr(why, "a number and a unit") != NULL,
		    "%s: %s", form[i], why);
	}
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++) {
		ck_assert_ptr_nonnull(why = spoolarg_duration(range[i], &s));
		ck_assert_msg(strstr(why, "at least 1 second") != NULL ||
		    strstr(why, "at most 90 days") != NULL, "%s: %s",
		    range[i], why);
	}
	/* Refused: *seconds untouched. */
	ck_assert_uint_eq(s, 42);
}
END_TEST

START_TEST(test_spool_id)
{
	static const char	*bad[] = {
		"", "0", "0000000000000000", "00000000000000001", "xyz",
		"0123456789abcdeg", " 1", "1 ", "-1", "0x1",
	};
	uint64_t	id = 0;
	size_t		i;

	ck_assert_ptr_null(spoolarg_id("0123456789abcdef", &id));
	ck_assert(id == 0x0123456789abcdefULL);
	ck_assert_ptr_null(spoolarg_id("FFFFFFFFFFFFFFFF", &id));
	ck_assert(id == UINT64_MAX);
	ck_assert_ptr_null(spoolarg_id("1", &id));
	ck_assert(id == 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(spoolarg_id(bad[i], &id) != NULL, "%s", bad[i]);
	ck_assert(id == 1);
}
END_TEST

static Suite *
spoolarg_suite(void)
{
	Suite	*su = suite_create("spoolarg");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_duration_good);
	tcase_add_test(tc, test_duration_bad);
	tcase_add_test(tc, test_spool_id);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return unit_run(spoolarg_suite());
}
