/*
 * netcrypt(1)'s arguments for messages with a lifetime: a duration is a
 * whole number and one unit (s, m, h or d), 1 second to 90 days; a spool
 * id is what `netcrypt send --within` printed, 1 to 16 hex digits, not
 * all zero.  Strict on purpose: no sign, no space, no unit left out, so
 * that "7" (seconds? days?) is asked again rather than guessed.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "netcrypt.h"
#include "spoolarg.h"

#define DURATION_DIGITS	10	/* more than 90 days in seconds has 8 */
#define ID_DIGITS	16

static const char	duration_form[] = "a duration is a number and a unit: "
			    "s, m, h or d (e.g. 30s, 10m, 12h, 7d)";
static const char	id_form[] = "a spool id is 16 hex digits, as "
			    "netcrypt send --within printed it";

static int
unit_seconds(char c, uint64_t *mul)
{
	switch (c) {
	case 's':
		*mul = 1;
		return 0;
	case 'm':
		*mul = 60;
		return 0;
	case 'h':
		*mul = 3600;
		return 0;
	case 'd':
		*mul = 86400;
		return 0;
	default:
		return -1;
	}
}

const char *
spoolarg_duration(const char *arg, uint32_t *seconds)
{
	uint64_t	v = 0, mul;
	size_t		i, n = strlen(arg);

	if (n < 2 || n - 1 > DURATION_DIGITS ||
	    unit_seconds(arg[n - 1], &mul) == -1)
		return duration_form;
	for (i = 0; i < n - 1; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return duration_form;
		v = v * 10 + (uint64_t)(arg[i] - '0');
	}
	v *= mul;	/* at most 10^10 * 86400: no overflow */
	if (v == 0)
		return "a lifetime is at least 1 second";
	if (v > NC_LIFETIME_MAX)
		return "a lifetime is at most 90 days (90d)";
	*seconds = (uint32_t)v;
	return NULL;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
spoolarg_id(const char *arg, uint64_t *id)
{
	uint64_t	v = 0;
	size_t		i, n = strlen(arg);
	int		d;

	if (n == 0 || n > ID_DIGITS)
		return id_form;
	for (i = 0; i < n; i++) {
		if ((d = hex_digit(arg[i])) == -1)
			return id_form;
		v = v << 4 | (uint64_t)d;
	}
	if (v == 0)
		return "a spool id is never 0";
	*id = v;
	return NULL;
}
