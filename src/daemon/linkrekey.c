/*
 * The link's side of the rekey (rekey.c, doc/PROTOCOL.md 7.8): when to
 * start one, the timer that starts it or gives up on a peer that does not
 * finish, and the records of the exchange as link.c hands them over.
 *
 * A link starts an exchange once `rekey interval` has passed since the
 * last one ended (or since it came up), or once `rekey bytes` went over
 * it in both directions together; either end may, so each daemon's own
 * settings hold whatever its peer's are.  An exchange not finished after
 * three keepalive periods (at least LINK_REKEY_TIMEOUT_MIN) closes the
 * link: a peer that never answers must not keep its keys for ever.
 */
#include "config.h"

#include <sys/time.h>
#include <stdint.h>

#include <event2/event.h>

#include "log.h"
#include "network.h"
#include "rekey.h"

#define LINK_REKEY_TIMEOUT_MIN	10000	/* ms */

static uint64_t
link_bytes(const struct link *l)
{
	return l->bytes_in + l->bytes_out;
}

static uint64_t
interval_ms(void)
{
	return (uint64_t)netctx->ns.rekey_interval * 1000;
}

static uint64_t
timeout_ms(void)
{
	uint64_t	t = 3ULL * netctx->ns.keepalive * 1000;

	return t < LINK_REKEY_TIMEOUT_MIN ? LINK_REKEY_TIMEOUT_MIN : t;
}

/* The timer fires when the exchange next needs a look. */
static void
rekey_arm(struct link *l)
{
	uint64_t	ms;
	struct timeval	tv;

	ms = rekey_wait_ms(&l->rk, now_ms(), interval_ms(), timeout_ms());
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (evtimer_add(l->ev_rekey, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

static int
rekey_send(void *arg, uint8_t type, const uint8_t *body, size_t len)
{
	return link_send(arg, type, body, len);
}

void
link_rekey_check(struct link *l)
{
	uint64_t	now;

	if (l->state != LINK_UP || l->ev_rekey == NULL)
		return;
	now = now_ms_coarse();
	if (!rekey_due(&l->rk, now, link_bytes(l), interval_ms(),
	    netctx->ns.rekey_bytes))
		return;
	if (rekey_start(&l->rk, now) == -1) {
		link_close(l, CLOSE_PROTOCOL, "rekey failed");
		return;
	}
	log_debug("link %s (%s): rekey started", l->addr, l->peer->name);
	rekey_arm(l);
}

static void
link_rekey_cb(int fd, short ev, void *arg)
{
	struct link	*l = arg;

	(void)fd;
	(void)ev;
	if (l->state != LINK_UP)
		return;
	if (rekey_expired(&l->rk, now_ms(), timeout_ms())) {
		link_close(l, CLOSE_TIMEOUT, "rekey not finished in time");
		return;
	}
	link_rekey_check(l);
	if (l->state == LINK_UP)
		rekey_arm(l);
}

int
link_rekey_input(struct link *l, uint8_t type, const uint8_t *body,
    size_t len)
{
	const char	*why = "rekey";
	int		 rv;

	rv = rekey_input(&l->rk, type, body, len, now_ms(), link_bytes(l),
	    &why);
	if (rv == -1) {
		/* As for a key update: a direction half switched is fatal. */
		if (l->send.ctx == NULL)
			fatalx("%s: %s", __func__, why);
		link_close(l, CLOSE_PROTOCOL, why);
		return -1;
	}
	if (rv == 1) {
		/* A fresh sending key: the hourly key update counts anew. */
		monotime(&l->last_update);
		log_debug("link %s (%s): rekey %llu done", l->addr,
		    l->peer->name, (unsigned long long)l->rk.done);
	}
	rekey_arm(l);
	return 0;
}

void
link_rekey_up(struct link *l)
{
	if ((l->ev_rekey = evtimer_new(netctx->base, link_rekey_cb, l)) == NULL)
		fatalx("%s: out of memory", __func__);
	rekey_init(&l->rk, l->outbound, &l->send, &l->recv, rekey_send, l,
	    now_ms(), link_bytes(l));
	rekey_arm(l);
}

void
link_rekey_stop(struct link *l)
{
	if (l->ev_rekey != NULL)
		evtimer_del(l->ev_rekey);
}

void
link_rekey_free(struct link *l)
{
	if (l->ev_rekey != NULL)
		event_free(l->ev_rekey);
	l->ev_rekey = NULL;
	rekey_clear(&l->rk);
}
