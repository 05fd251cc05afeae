/*
 * The main() of a unit test program (unitrun.h).
 */
#include "config.h"

#include <stdlib.h>

#include <check.h>

#include "unitrun.h"

int
unit_run(Suite *suite)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
