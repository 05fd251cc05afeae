#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void
monotime(struct timespec *ts)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
}

uint64_t
now_ms(void)
{
	return now_us() / 1000;
}

void
monotime_coarse(struct timespec *ts)
{
	(void)clock_gettime(CLOCK_MONOTONIC_COARSE, ts);
}

uint64_t
now_ms_coarse(void)
{
	struct timespec	ts;

	monotime_coarse(&ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
now_us(void)
{
	struct timespec	ts;

	monotime(&ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

double
timespec_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	    (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

uint64_t
usec_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec	now;

	(void)clock_gettime(clock, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
	    (uint64_t)((now.tv_nsec - t0->tv_nsec) / 1000);
}

size_t
nc_strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t	len = strlen(src);

	if (dstsize > 0) {
		size_t n = len < dstsize - 1 ? len : dstsize - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
nc_strlcat(char *dst, const char *src, size_t dstsize)
{
	size_t	dlen = strnlen(dst, dstsize);

	if (dlen == dstsize)
		return dstsize + strlen(src);
	return dlen + nc_strlcpy(dst + dlen, src, dstsize - dlen);
}

int
nc_strtonum(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char		*end;
	long long	 v;

	*errstr = NULL;
	if (s == NULL || *s == '\0') {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s) {
		*errstr = "invalid";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
nc_hex_decode(const char *hex, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t	len = strlen(hex), i;

	if (len % 2 != 0 || len / 2 > outsz)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return 0;
}

void
nc_hex_encode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	if (outsz == 0)
		return;
	for (i = 0; i < len && 2 * i + 2 < outsz; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * i] = '\0';
}

static int
is_kept(int fd, const int *keep, size_t nkeep)
{
	size_t	i;

	for (i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

void
nc_closefrom_except(int lowfd, const int *keep, size_t nkeep)
{
	DIR		*d;
	struct dirent	*de;
	int		 fds[1024];
	size_t		 n = 0, i;

	/* Collect first: closing while reading /proc/self/fd would race. */
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL && n < 1024) {
			const char	*err;
			long long	 fd;

			if (nc_strtonum(de->d_name, 0, INT_MAX, &fd, &err) == -1)
				continue;
			if (fd >= lowfd && fd != dirfd(d) &&
			    !is_kept((int)fd, keep, nkeep))
				fds[n++] = (int)fd;
		}
		closedir(d);
		for (i = 0; i < n; i++)
			(void)close(fds[i]);
		if (n < 1024)
			return;
	}
	/* No /proc, or too many: close by number. */
	{
		long	max = sysconf(_SC_OPEN_MAX);
		int	fd;

		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = lowfd; fd < max; fd++)
			if (!is_kept(fd, keep, nkeep))
				(void)close(fd);
	}
}

int
nc_set_nonblock(int fd, int on)
{
	int	flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, flags);
}

size_t
nc_utf8_decode(const uint8_t *s, size_t n, uint32_t *cpp)
{
	uint32_t	cp, min;
	size_t		len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cpp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return len;
}

int
nc_utf8_printable(uint32_t cp)
{
	/*
	 * U+0080..U+009F are the C1 controls some terminals obey; the
	 * bidirectional marks, embeddings, overrides and isolates and the
	 * line and paragraph separators can disguise what is shown.
	 */
	return cp >= 0xa0 && cp != 0x200e && cp != 0x200f &&
	    !(cp >= 0x2028 && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069);
}

size_t
nc_utf8_printable_len(const uint8_t *s, size_t n)
{
	uint32_t	cp;
	size_t		len = nc_utf8_decode(s, n, &cp);

	return len > 1 && nc_utf8_printable(cp) ? len : 0;
}

int
nc_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
nc_strv_free(char **v, size_t n)
{
	while (n-- > 0)
		free(v[n]);
	free(v);
}

int
nc_strv_has(char *const *v, size_t n, const char *s)
{
	while (n-- > 0)
		if (strcmp(v[n], s) == 0)
			return 1;
	return 0;
}

int
nc_strv_add(char ***v, size_t *n, const char *s)
{
	char	**nv, *copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL) {
		free(copy);
		return -1;
	}
	nv[*n] = copy;
	*v = nv;
	(*n)++;
	return 0;
}

int
nc_strv_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t	i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}
