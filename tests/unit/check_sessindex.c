/*
 * The network child's index of sessions (src/daemon/sessindex.c): found
 * by id and by name, exactly, including after removal, with many in one
 * table (chains), and names that differ only in length.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_priv.h"

#define N	10000	/* more than the table's buckets: chains */

static struct session *
mk(uint64_t id, const char *name)
{
	struct session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		ck_abort_msg("no memory");
	s->id = id;
	(void)snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

START_TEST(t_by_id_and_name)
{
	static struct session	*v[N];
	char			 name[32];
	size_t			 i;

	sessindex_init();
	for (i = 0; i < N; i++) {
		(void)snprintf(name, sizeof(name), "s%zu", i);
		v[i] = mk(i + 1, name);
		sessindex_add_id(v[i]);
		if (i % 2 == 0)		/* the odd ones stay unnamed */
			sessindex_add_name(v[i]);
	}
	for (i = 0; i < N; i++) {
		(void)snprintf(name, sizeof(name), "s%zu", i);
		ck_assert_ptr_eq(session_by_id(i + 1), v[i]);
		ck_assert_ptr_eq(session_by_name(name, strlen(name)),
		    i % 2 == 0 ? v[i] : NULL);
	}
	ck_assert_ptr_null(session_by_id(N + 1));
	/* A prefix or a longer name is another name. */
	ck_assert_ptr_null(session_by_name("s1", 1));
	ck_assert_ptr_null(session_by_name("s10x", 4));
	ck_assert_ptr_null(session_by_name("s0", 65));
	/* Removed: gone under both keys; the others stay. */
	for (i = 0; i < N; i += 3)
		sessindex_remove(v[i]);
	for (i = 0; i < N; i++) {
		(void)snprintf(name, sizeof(name), "s%zu", i);
		if (i % 3 == 0) {
			ck_assert_ptr_null(session_by_id(i + 1));
			ck_assert_ptr_null(session_by_name(name,
			    strlen(name)));
		} else
			ck_assert_ptr_eq(session_by_id(i + 1), v[i]);
	}
	for (i = 0; i < N; i++) {
		if (i % 3 != 0)
			sessindex_remove(v[i]);
		free(v[i]);
	}
	ck_assert_ptr_null(session_by_id(2));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("sessindex");
	TCase	*tc = tcase_create("sessindex");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_by_id_and_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
