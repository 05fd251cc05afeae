/*
 * libFuzzer targets of netcryptd (README "Fuzzing").  Each fuzz_*.c
 * defines LLVMFuzzerTestOneInput(); it is linked with libFuzzer by
 * --enable-fuzzing, and with replay.c into a plain program that "make
 * check" runs over the target's corpus/ and regress/ inputs.
 */
#ifndef NC_FUZZ_H
#define NC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* Drop the daemon's log lines, unless FUZZ_VERBOSE is set. */
void	fuzz_quiet(void);
/* A private temporary directory, removed with its files at exit. */
const char *fuzz_tmpdir(void);
/* Remove every file in dir (not recursive); 0 or -1. */
int	fuzz_empty_dir(const char *dir);
/*
 * The hex string value of the nth (from 0) member named key in the
 * known-answer file tests/vectors/link-v1.json, decoded into out; the
 * length, or fuzz_fail().  A flat scan, not a JSON parser: the file's
 * members of one name appear in case order.
 */
size_t	fuzz_vector(const char *key, int nth, uint8_t *out, size_t outsz);

/* abort() with a message: a property the target checks was broken. */
void	fuzz_fail(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

#endif
