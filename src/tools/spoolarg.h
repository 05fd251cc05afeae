/*
 * netcrypt(1)'s arguments for messages with a lifetime (spoolarg.c):
 * durations ("30s", "10m", "12h", "7d") and spool ids (16 hex digits).
 */
#ifndef NC_SPOOLARG_H
#define NC_SPOOLARG_H

#include <stdint.h>

/* NULL with *seconds set (1 to NC_LIFETIME_MAX), or why arg is refused. */
const char	*spoolarg_duration(const char *arg, uint32_t *seconds);
/* NULL with *id set (not 0), or why arg is refused. */
const char	*spoolarg_id(const char *arg, uint64_t *id);

#endif
