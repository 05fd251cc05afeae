#ifndef NC_UTIL_H
#define NC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The one clock of the project: CLOCK_MONOTONIC, for every timeout, rate
 * and age.  usec_since() also measures CPU time (the key-holder's cost).
 */
void		monotime(struct timespec *);
uint64_t	now_ms(void);
uint64_t	now_us(void);
/*
 * The same clock as of the kernel's last tick, a few ms behind at most,
 * read without the clock hardware: for the stamps the per-message path
 * takes (keepalive, key update, rekey, queue timeout), whose limits are
 * seconds.  Reading the precise clock there cost a fifth of the sending
 * daemon's time (bench/ANALYSIS.md).
 */
void		monotime_coarse(struct timespec *);
uint64_t	now_ms_coarse(void);
/* a - b, in seconds. */
double		timespec_diff(const struct timespec *a,
		    const struct timespec *b);
/* Microseconds on clock since t0 (which clock_gettime(clock) gave). */
uint64_t	usec_since(clockid_t clock, const struct timespec *t0);

/* OpenBSD's strlcpy/strlcat (glibc 2.36 has neither). */
size_t	nc_strlcpy(char *dst, const char *src, size_t dstsize);
size_t	nc_strlcat(char *dst, const char *src, size_t dstsize);
/* Parse a decimal number in [min, max]: 0, or -1 with *errstr set. */
int	nc_strtonum(const char *s, long long min, long long max,
	    long long *out, const char **errstr);
/* Hex helpers for tests and logs. */
int	nc_hex_decode(const char *hex, uint8_t *out, size_t outsz,
	    size_t *outlen);
void	nc_hex_encode(const uint8_t *in, size_t len, char *out,
	    size_t outsz);
/* Close every fd >= lowfd except those listed in keep[]. */
void	nc_closefrom_except(int lowfd, const int *keep, size_t nkeep);
/* Set or clear O_NONBLOCK; 0 or -1. */
int	nc_set_nonblock(int fd, int on);
/* Write a reason into err (when there is one); always -1. */
int	nc_seterr(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Vectors of malloc'd strings, grown one at a time. */
void	nc_strv_free(char **v, size_t n);
int	nc_strv_has(char *const *v, size_t n, const char *s);
/* Append a copy of s: 0, or -1 (ENOMEM) with *v and *n unchanged. */
int	nc_strv_add(char ***v, size_t *n, const char *s);
/* The same strings in the same order. */
int	nc_strv_equal(char *const *a, size_t na, char *const *b, size_t nb);

/*
 * Decode the UTF-8 sequence at s (n bytes left): its length, with the
 * code point in *cp, or 0 when it is not valid, minimal UTF-8.
 */
size_t	nc_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* Whether a non-ASCII code point is safe to show on a terminal. */
int	nc_utf8_printable(uint32_t cp);
/* Length of a valid sequence of one printable non-ASCII character, or 0. */
size_t	nc_utf8_printable_len(const uint8_t *s, size_t n);

#endif
