/*
 * The main() of a unit test program, shared: run a check suite, in
 * forked children, and say how it went.
 */
#ifndef NC_TEST_UNITRUN_H
#define NC_TEST_UNITRUN_H

#include <check.h>

/* Run every test of the suite (freed after): main()'s exit status. */
int	unit_run(Suite *);

#endif
