/*
 * Session name and sender patterns (namepat.h): validation and matching.
 * Everything here is bounded by the lengths given; nothing allocates.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "namepat.h"

static int
pat_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '*' || c == '?';
}

int
nc__pat_valid(const char *pat, size_t len)
{
	size_t	i;

	if (len == 0 || len > NC__PAT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!pat_char(pat[i]))
			return 0;
	return 1;
}

/*
 * The classic one-star backtracking match: on a mismatch after a '*',
 * let that star take one character more and go on from there.  Each
 * step advances s or a retry point in s, so at most plen * slen steps.
 */
int
nc__pat_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t	pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < slen) {
		if (pi < plen && (pat[pi] == '?' || pat[pi] == s[si])) {
			pi++;
			si++;
		} else if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else
			return 0;
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

int
nc__sender_valid(const char *pat)
{
	const char	*at;
	size_t		 len = strnlen(pat, NC__SENDER_PAT_MAX + 1);

	if (len > NC__SENDER_PAT_MAX)
		return 0;
	if ((at = memchr(pat, '@', len)) == NULL)
		return nc__pat_valid(pat, len);
	return nc__pat_valid(pat, (size_t)(at - pat)) &&
	    nc__pat_valid(at + 1, len - (size_t)(at - pat) - 1);
}

int
nc__sender_match(const char *pat, const char *from, const char *self)
{
	const char	*pat_at = strchr(pat, '@');
	const char	*from_at = strchr(from, '@');
	const char	*host;
	size_t		 plen, flen;

	plen = pat_at != NULL ? (size_t)(pat_at - pat) : strlen(pat);
	flen = from_at != NULL ? (size_t)(from_at - from) : strlen(from);
	if (!nc__pat_match(pat, plen, from, flen))
		return 0;
	if (pat_at == NULL)
		return from_at == NULL;
	host = from_at != NULL ? from_at + 1 : (self != NULL ? self : "");
	return nc__pat_match(pat_at + 1, strlen(pat_at + 1), host,
	    strlen(host));
}
