/*
 * Descriptors: the master raises RLIMIT_NOFILE's soft limit to the hard
 * limit at start (the children inherit it across fork and exec), and
 * checks that the configuration can be served within it.
 *
 * The network child holds every socket: the listeners, the links, the
 * sessions and the control clients.  Handshakes and sessions are the
 * only ones an outsider can multiply; both have a bound, and those two
 * bounds plus everything fixed must fit under the limit, so that the
 * daemon refuses a connection it has no room for instead of failing in
 * accept() (which acceptpause.c still survives, for descriptors taken
 * by other means).  A configuration that does not fit is lowered, with a
 * warning; one that cannot get even a few of each is refused.
 */
#include "config.h"

#include <sys/resource.h>
#include <inttypes.h>
#include <stdio.h>

#include "control.h"
#include "fdlimit.h"
#include "log.h"
#include "network.h"

uint64_t
fdlimit_current(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit(RLIMIT_NOFILE)");
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}

uint64_t
fdlimit_raise(uint64_t *was)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit(RLIMIT_NOFILE)");
	*was = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		/* Linux refuses more than fs.nr_open: keep what we had. */
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the descriptor limit from %"
			    PRIu64 " to %ju", *was, (uintmax_t)rl.rlim_max);
	}
	return fdlimit_current();
}

int
fd_budget(uint64_t limit, size_t nlisten, size_t npeers,
    unsigned int want_sessions, struct fd_budget *b)
{
	uint64_t	avail, pending, sessions;

	b->limit = limit;
	b->fixed = FD_NET_BASE + CTL_MAX_CLIENTS + FD_RESERVE +
	    (uint64_t)nlisten + FD_PER_PEER * (uint64_t)npeers;
	b->want_pending = NET_MAX_PENDING +
	    NET_PENDING_PER_PEER * (unsigned int)npeers;
	b->want_sessions = want_sessions;
	b->max_pending = 0;
	b->max_sessions = 0;
	if (limit < b->fixed + FD_MIN_PENDING + FD_MIN_SESSIONS)
		return -1;
	avail = limit - b->fixed;
	/* What the sessions leave, but never less than half. */
	pending = avail - (want_sessions < avail ? want_sessions : avail);
	if (pending < avail / 2)
		pending = avail / 2;
	if (pending > b->want_pending)
		pending = b->want_pending;
	sessions = avail - pending;
	if (sessions > want_sessions)
		sessions = want_sessions;
	b->max_pending = (unsigned int)pending;
	b->max_sessions = (unsigned int)sessions;
	return 0;
}

int
fd_budget_conf(const struct nc_conf *conf, uint64_t limit,
    struct fd_budget *b)
{
	const struct listen_addr	*la;
	const struct peer_conf		*pc;
	size_t				 nlisten = 0, npeers = 0;

	TAILQ_FOREACH(la, &conf->listens, entry)
		nlisten++;
	TAILQ_FOREACH(pc, &conf->peers, entry)
		npeers++;
	return fd_budget(limit, nlisten, npeers, conf->max_sessions, b);
}

void
fd_budget_lowered(const struct fd_budget *b, char *buf, size_t bufsz)
{
	char	sessions[64] = "", pending[64] = "";

	buf[0] = '\0';
	if (b->max_sessions < b->want_sessions)
		(void)snprintf(sessions, sizeof(sessions), "max sessions %u "
		    "lowered to %u", b->want_sessions, b->max_sessions);
	if (b->max_pending < b->want_pending)
		(void)snprintf(pending, sizeof(pending), "handshake slots %u "
		    "lowered to %u", b->want_pending, b->max_pending);
	if (sessions[0] == '\0' && pending[0] == '\0')
		return;
	(void)snprintf(buf, bufsz, "%s%s%s: the descriptor limit (%" PRIu64
	    ") leaves %" PRIu64 " after %" PRIu64 " for listeners, peers, "
	    "control clients and a reserve", sessions, sessions[0] != '\0' &&
	    pending[0] != '\0' ? ", " : "", pending, b->limit,
	    b->limit - b->fixed, b->fixed);
}

void
fd_budget_refused(const struct fd_budget *b, char *buf, size_t bufsz)
{
	(void)snprintf(buf, bufsz, "the descriptor limit (%" PRIu64 ") is too "
	    "low: the network child needs %" PRIu64 " for listeners, peers, "
	    "control clients and a reserve, and %d more for the fewest "
	    "handshakes and sessions; raise it (LimitNOFILE=, ulimit -n) or "
	    "configure fewer peers or listening addresses", b->limit, b->fixed,
	    FD_MIN_PENDING + FD_MIN_SESSIONS);
}

/* Refused before daemon(3), so that whoever starts us sees why. */
void
fd_budget_start(const struct nc_conf *conf, struct fd_budget *b,
    uint64_t *was)
{
	char	msg[512];

	if (fd_budget_conf(conf, fdlimit_raise(was), b) == -1) {
		fd_budget_refused(b, msg, sizeof(msg));
		fatalx("%s", msg);
	}
}

void
fd_budget_log(const struct fd_budget *b, uint64_t was, int checkonly)
{
	char	msg[512];

	if (!checkonly && b->limit != was)
		log_info("descriptor limit %" PRIu64 " (RLIMIT_NOFILE, raised "
		    "from %" PRIu64 ")", b->limit, was);
	else if (!checkonly)
		log_info("descriptor limit %" PRIu64 " (RLIMIT_NOFILE)",
		    b->limit);
	fd_budget_lowered(b, msg, sizeof(msg));
	if (msg[0] != '\0')
		log_warnx("%s", msg);
}
