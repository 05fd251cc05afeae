/*
 * A listening socket that backs off when accept() fails for want of
 * resources, and a log line that is written at most once a second.
 * Used by every accept loop of the network child (peers, sessions,
 * the control socket); see acceptpause.c.
 */
#ifndef NC_ACCEPTPAUSE_H
#define NC_ACCEPTPAUSE_H

#include <stdint.h>

#include <event2/event.h>

#define AP_PAUSE_MIN_MS		100	/* the first pause */
#define AP_PAUSE_MAX_MS		1600	/* doubling stops here */
#define RATELOG_INTERVAL_MS	1000	/* one line per interval at most */

/* At most one line per RATELOG_INTERVAL_MS; the rest are counted. */
struct ratelog {
	uint64_t	last_ms;	/* when a line was last let through */
	uint64_t	suppressed;	/* lines held back since then */
	int		used;		/* a line was ever let through */
};

/*
 * 1 if a line may be written at now_ms, with *suppressed the number
 * held back since the previous one (and the count started again);
 * 0 if it is held back (and counted).
 */
int		 ratelog_allow(struct ratelog *, uint64_t now_ms,
		    uint64_t *suppressed);
/* " (N more since the last line)", or "" when none were held back. */
const char	*ratelog_note(uint64_t suppressed, char *buf, size_t bufsz);

/*
 * The backoff alone, without events, for the unit tests: the pause to
 * take after a failure, given whether it follows the previous pause
 * without a successful round in between.
 */
unsigned int	 acceptpause_next_ms(unsigned int last_ms, int consecutive);

/* A transient, per-connection accept() error: retry, never pause. */
int		 acceptpause_transient(int err);

struct acceptpause;

/*
 * Watch the listening fd for reads and call cb(fd, what, arg) when it
 * is readable, as event_new() would; what names the socket in logs ("the
 * session socket").  The descriptor stays the caller's.
 */
struct acceptpause *acceptpause_new(struct event_base *, int fd,
		    event_callback_fn cb, void *arg, const char *what);
void		 acceptpause_free(struct acceptpause *);

/*
 * accept4() on its listening socket failed with err: a transient error
 * is ignored; any other stops watching the socket for a while (100 ms,
 * doubling while each round after a pause fails again, 1.6 s at most)
 * and is logged at most once a second.  The caller returns from its
 * accept loop.  A round of accepting that ends without this being called
 * resets the pause to 100 ms.
 */
void		 acceptpause_failed(struct acceptpause *, int err);

/*
 * Stop watching for ms, or until acceptpause_release(), for a reason of
 * the caller's (its handshake slots are all busy): nothing is logged and
 * the failure backoff is left as it is.  Nothing happens while paused.
 */
void		 acceptpause_hold(struct acceptpause *, unsigned int ms);
/* The end of such a hold (not of a pause after a failure). */
void		 acceptpause_release(struct acceptpause *);

/* 1 while the listener is paused (tests). */
int		 acceptpause_paused(const struct acceptpause *);
/* The monotonic clock in milliseconds. */
uint64_t	 acceptpause_now_ms(void);

#endif
