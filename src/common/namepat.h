/*
 * Patterns of session names and of senders, shared by the daemon's
 * session policy (policy.c) and libnetcrypt's list of accepted file
 * senders (lib/file.c).  Pure functions; the nc__ prefix keeps them
 * from clashing with a program that links libnetcrypt statically.
 *
 * A name pattern is 1 to 64 characters of session names
 * ([A-Za-z0-9._-]) and the wildcards '*' (any run of characters, none
 * too) and '?' (one character).  A sender pattern is "name" (a session
 * of this host) or "name@host" (of the host so named: this host's own
 * name means this host), each part a name pattern.
 */
#ifndef NC_NAMEPAT_H
#define NC_NAMEPAT_H

#include <stddef.h>

#define NC__PAT_MAX		64	/* one part */
#define NC__SENDER_PAT_MAX	(2 * NC__PAT_MAX + 1)

/* 1 if pat[0..len) is a name pattern (no '@'). */
int	nc__pat_valid(const char *pat, size_t len);
/* 1 if s[0..slen) matches pat[0..plen); O(plen * slen) at worst. */
int	nc__pat_match(const char *pat, size_t plen, const char *s,
	    size_t slen);
/* 1 if the NUL-terminated pat is a sender pattern. */
int	nc__sender_valid(const char *pat);
/*
 * 1 if the sender from ("name" on this host, or "name@host") matches
 * pat; self is this host's name.  A pattern without '@' matches only
 * senders of this host.
 */
int	nc__sender_match(const char *pat, const char *from, const char *self);

#endif
