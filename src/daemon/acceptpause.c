/*
 * Accept loops that do not spin when descriptors run out.
 *
 * When accept4() fails with EMFILE, ENFILE, ENOBUFS or ENOMEM the
 * connection stays in the backlog and the listening socket stays
 * readable: a level-triggered event loop would call us again at once,
 * forever, and log a line each time (issue 14: 10.5 million lines in
 * 30 s, one core busy, the peer links starved).  Instead the listener is
 * not watched for a while: 100 ms, doubling for each round after a pause
 * that fails again, at most 1.6 s; a round that ends without a failure
 * starts again from 100 ms.  What failed is logged at most once a
 * second, with the number of failures not logged since.
 *
 * The pause owns the listener's read event: it calls the accept loop
 * and then knows whether the round failed.  Everything here runs inside
 * the network child's sandbox: clock_gettime and libevent only.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "acceptpause.h"
#include "log.h"
#include "util.h"

struct acceptpause {
	struct event		*ev_listen;
	struct event		*ev_resume;
	event_callback_fn	 cb;
	void			*arg;
	char			 what[64];
	unsigned int		 pause_ms;	/* the last pause; 0: reset */
	int			 paused;
	int			 held;		/* by acceptpause_hold() */
	int			 failed;	/* in the current round */
	struct ratelog		 log;
};

int
ratelog_allow(struct ratelog *rl, uint64_t now_ms, uint64_t *suppressed)
{
	if (rl->used && now_ms - rl->last_ms < RATELOG_INTERVAL_MS) {
		rl->suppressed++;
		return 0;
	}
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	rl->last_ms = now_ms;
	rl->used = 1;
	return 1;
}

const char *
ratelog_note(uint64_t suppressed, char *buf, size_t bufsz)
{
	if (suppressed == 0)
		return "";
	(void)snprintf(buf, bufsz, " (%" PRIu64 " more since the last line)",
	    suppressed);
	return buf;
}

unsigned int
acceptpause_next_ms(unsigned int last_ms, int consecutive)
{
	if (!consecutive || last_ms < AP_PAUSE_MIN_MS)
		return AP_PAUSE_MIN_MS;
	if (last_ms >= AP_PAUSE_MAX_MS / 2)
		return AP_PAUSE_MAX_MS;
	return last_ms * 2;
}

/*
 * Errors of one connection, not of the listener: it is gone from the
 * backlog, so trying again cannot spin.  Linux also passes pending
 * network errors of the new connection (accept(2), "Error handling").
 */
int
acceptpause_transient(int err)
{
	switch (err) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
	case EPERM:		/* refused by a firewall rule */
	case EPROTO:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}

uint64_t
acceptpause_now_ms(void)
{
	return now_ms();
}

/* One round of accepting; one that did not fail ends the backoff. */
static void
ap_ready(int fd, short what, void *arg)
{
	struct acceptpause	*ap = arg;

	ap->failed = 0;
	ap->cb(fd, what, ap->arg);
	if (!ap->failed)
		ap->pause_ms = 0;
}

static void
ap_resume(int fd, short what, void *arg)
{
	struct acceptpause	*ap = arg;

	(void)fd;
	(void)what;
	ap->paused = 0;
	ap->held = 0;
	if (event_add(ap->ev_listen, NULL) == -1)
		fatalx("%s: cannot watch %s again", __func__, ap->what);
}

struct acceptpause *
acceptpause_new(struct event_base *base, int fd, event_callback_fn cb,
    void *arg, const char *what)
{
	struct acceptpause	*ap;

	if ((ap = calloc(1, sizeof(*ap))) == NULL)
		fatal("%s", __func__);
	ap->cb = cb;
	ap->arg = arg;
	(void)nc_strlcpy(ap->what, what, sizeof(ap->what));
	ap->ev_listen = event_new(base, fd, EV_READ | EV_PERSIST, ap_ready,
	    ap);
	ap->ev_resume = evtimer_new(base, ap_resume, ap);
	if (ap->ev_listen == NULL || ap->ev_resume == NULL ||
	    event_add(ap->ev_listen, NULL) == -1)
		fatalx("%s: cannot watch %s", __func__, what);
	return ap;
}

void
acceptpause_free(struct acceptpause *ap)
{
	if (ap == NULL)
		return;
	event_free(ap->ev_listen);
	event_free(ap->ev_resume);
	free(ap);
}

void
acceptpause_failed(struct acceptpause *ap, int err)
{
	struct timeval	tv;
	uint64_t	suppressed;
	char		note[64];

	if (acceptpause_transient(err))
		return;
	ap->pause_ms = acceptpause_next_ms(ap->pause_ms, ap->pause_ms != 0);
	ap->failed = 1;
	ap->paused = 1;
	(void)event_del(ap->ev_listen);
	tv.tv_sec = ap->pause_ms / 1000;
	tv.tv_usec = (suseconds_t)(ap->pause_ms % 1000) * 1000;
	if (evtimer_add(ap->ev_resume, &tv) == -1)
		fatalx("%s: cannot pause %s", __func__, ap->what);
	if (!ratelog_allow(&ap->log, acceptpause_now_ms(), &suppressed))
		return;
	log_warnx("accept on %s: %s: paused for %u ms%s", ap->what,
	    strerror(err), ap->pause_ms, ratelog_note(suppressed, note,
	    sizeof(note)));
}

int
acceptpause_paused(const struct acceptpause *ap)
{
	return ap->paused;
}

void
acceptpause_hold(struct acceptpause *ap, unsigned int ms)
{
	struct timeval	tv;

	if (ap->paused)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	(void)event_del(ap->ev_listen);
	ap->paused = 1;
	ap->held = 1;
	if (evtimer_add(ap->ev_resume, &tv) == -1)
		fatalx("%s: cannot pause %s", __func__, ap->what);
}

void
acceptpause_release(struct acceptpause *ap)
{
	if (!ap->held)
		return;
	(void)evtimer_del(ap->ev_resume);
	ap_resume(-1, 0, ap);
}
