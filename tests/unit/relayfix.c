/*
 * What the relay unit tests share (relayfix.h): the completion log,
 * message views and epochs.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <check.h>

#include "relay.h"
#include "relayfix.h"

struct done	dones[MAXDONE];
size_t		ndone;

const uint8_t	epoch_a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
const uint8_t	epoch_b[8] = { 1, 2, 3, 4, 5, 6, 7, 9 };

void
on_done(void *arg, const struct relay_msg *m, uint8_t status)
{
	(void)arg;
	/* Not ck_assert(): see SIM_CHECK in check_relaysim.c. */
	if (ndone >= MAXDONE)
		ck_abort_msg("too many completions");
	dones[ndone].cookie = m->cookie;
	dones[ndone].id = m->id;
	dones[ndone].status = status;
	ndone++;
}

void
dones_reset(void)
{
	ndone = 0;
	memset(dones, 0, sizeof(dones));
}

struct relay_view
mkview(const char *from, const char *to, const void *payload, size_t len)
{
	struct relay_view	v;

	memset(&v, 0, sizeof(v));
	v.from = from;
	v.fromlen = strlen(from);
	v.to = to;
	v.tolen = strlen(to);
	v.payload = payload;
	v.len = len;
	return v;
}

