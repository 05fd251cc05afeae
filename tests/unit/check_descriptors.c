/*
 * Descriptors: the accept pause and the rate-limited log line
 * (src/daemon/acceptpause.c), and the split of the descriptor limit between
 * handshakes and sessions (src/daemon/fdlimit.c).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "acceptpause.h"
#include "conf.h"
#include "control.h"
#include "fdlimit.h"
#include "log.h"
#include "network.h"
#include "util.h"

/* ---- the log line at most once a second ---------------------------- */

START_TEST(ratelog_once_a_second)
{
	struct ratelog	rl;
	uint64_t	n = 99, t;

	memset(&rl, 0, sizeof(rl));
	ck_assert_int_eq(ratelog_allow(&rl, 5000, &n), 1);
	ck_assert_uint_eq(n, 0);
	/* 999 more within the second: all held back and counted. */
	for (t = 5001; t < 6000; t++)
		ck_assert_int_eq(ratelog_allow(&rl, t, &n), 0);
	ck_assert_int_eq(ratelog_allow(&rl, 6000, &n), 1);
	ck_assert_uint_eq(n, 999);
	/* The count starts again. */
	ck_assert_int_eq(ratelog_allow(&rl, 6500, &n), 0);
	ck_assert_int_eq(ratelog_allow(&rl, 60000, &n), 1);
	ck_assert_uint_eq(n, 1);
}
END_TEST

/* The very first line passes even at time 0 of the clock. */
START_TEST(ratelog_first_at_zero)
{
	struct ratelog	rl;
	uint64_t	n;

	memset(&rl, 0, sizeof(rl));
	ck_assert_int_eq(ratelog_allow(&rl, 0, &n), 1);
	ck_assert_int_eq(ratelog_allow(&rl, 999, &n), 0);
	ck_assert_int_eq(ratelog_allow(&rl, 1000, &n), 1);
	ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(ratelog_note_text)
{
	char	buf[64];

	ck_assert_str_eq(ratelog_note(0, buf, sizeof(buf)), "");
	ck_assert_str_eq(ratelog_note(185, buf, sizeof(buf)),
	    " (185 more since the last line)");
}
END_TEST

/* ---- the backoff ----------------------------------------------------- */

START_TEST(backoff_doubles_to_the_cap)
{
	unsigned int	want[] = { 100, 200, 400, 800, 1600, 1600, 1600 };
	unsigned int	ms = 0;
	size_t		i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ms = acceptpause_next_ms(ms, ms != 0);
		ck_assert_uint_eq(ms, want[i]);
	}
	/* Not consecutive: from the start again. */
	ck_assert_uint_eq(acceptpause_next_ms(1600, 0), AP_PAUSE_MIN_MS);
	/* Odd values never pass the cap. */
	ck_assert_uint_eq(acceptpause_next_ms(1000, 1), AP_PAUSE_MAX_MS);
	ck_assert_uint_eq(acceptpause_next_ms(799, 1), 1598);
}
END_TEST

START_TEST(transient_errors)
{
	ck_assert(acceptpause_transient(EAGAIN));
	ck_assert(acceptpause_transient(EINTR));
	ck_assert(acceptpause_transient(ECONNABORTED));
	ck_assert(acceptpause_transient(EPROTO));
	ck_assert(!acceptpause_transient(EMFILE));
	ck_assert(!acceptpause_transient(ENFILE));
	ck_assert(!acceptpause_transient(ENOBUFS));
	ck_assert(!acceptpause_transient(ENOMEM));
	ck_assert(!acceptpause_transient(EBADF));
}
END_TEST

/* ---- a real listener out of descriptors --------------------------------- */

static struct {
	struct event_base	*base;
	struct acceptpause	*ap;
	int			 lfd;
	char			 dir[64], path[128];
	uint64_t		 rounds_at[32];	/* when each round ran */
	size_t			 rounds;
	size_t			 accepted;
	int			 clients[8];
	size_t			 nclients;
	size_t			 warnings;
} T;

static void
count_warnings(int pri, const char *line)
{
	(void)pri;
	if (strstr(line, "accept on the test socket") != NULL)
		T.warnings++;
}

static void
test_accept(int lfd, short ev, void *arg)
{
	int	fd, i;

	(void)ev;
	(void)arg;
	if (T.rounds < 32)
		T.rounds_at[T.rounds] = acceptpause_now_ms();
	T.rounds++;
	for (i = 0; i < 16; i++) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			acceptpause_failed(T.ap, errno);
			return;
		}
		T.accepted++;
		(void)close(fd);
	}
}

static void
connect_client(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	nc_strlcpy(sun.sun_path, T.path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_uint_lt(T.nclients, 8);
	T.clients[T.nclients++] = fd;
}

static void
listener_setup(void)
{
	struct sockaddr_un	sun;

	memset(&T, 0, sizeof(T));
	log_init(1, 0);
	nc_strlcpy(T.dir, "/tmp/check_descriptors.XXXXXX", sizeof(T.dir));
	ck_assert_ptr_nonnull(mkdtemp(T.dir));
	(void)snprintf(T.path, sizeof(T.path), "%s/s", T.dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	nc_strlcpy(sun.sun_path, T.path, sizeof(sun.sun_path));
	T.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(T.lfd, 0);
	ck_assert_int_eq(bind(T.lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(T.lfd, 16), 0);
	ck_assert_ptr_nonnull(T.base = event_base_new());
	T.ap = acceptpause_new(T.base, T.lfd, test_accept, NULL,
	    "the test socket");
	log_set_capture(count_warnings);
}

static void
listener_teardown(void)
{
	size_t	i;

	log_set_capture(NULL);
	acceptpause_free(T.ap);
	event_base_free(T.base);
	for (i = 0; i < T.nclients; i++)
		(void)close(T.clients[i]);
	(void)close(T.lfd);
	(void)unlink(T.path);
	(void)rmdir(T.dir);
}

/* Run the loop for ms milliseconds. */
static void
run_for(unsigned int ms)
{
	struct timeval	tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	ck_assert_int_eq(event_base_loopexit(T.base, &tv), 0);
	ck_assert_int_ne(event_base_dispatch(T.base), -1);
}

/*
 * Take every descriptor up to a limit just above the ones open now;
 * fill[] gets them, the old limit goes to *old.
 */
static int
exhaust(struct rlimit *old, int *fill, int max)
{
	struct rlimit	low;
	int		n = 0, fd;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, old), 0);
	low = *old;
	low.rlim_cur = (rlim_t)T.clients[T.nclients - 1] + 8;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < max && (fd = dup(T.lfd)) != -1)
		fill[n++] = fd;
	ck_assert_int_eq(errno, EMFILE);
	return n;
}

START_TEST(pauses_doubles_and_resets)
{
	struct rlimit	old;
	int		fill[64], nfill, i;
	size_t		r;

	connect_client();
	nfill = exhaust(&old, fill, 64);
	/*
	 * 1.3 s of EMFILE: rounds at 0, 100, 300 and 700 ms (the next
	 * would be at 1.5 s), not thousands; on a loaded machine the timers
	 * may fire late, and the fourth round with them.
	 */
	run_for(1300);
	ck_assert_uint_eq(T.accepted, 0);
	ck_assert_uint_ge(T.rounds, 3);
	ck_assert_uint_le(T.rounds, 4);
	for (r = 1; r < T.rounds; r++) {
		uint64_t gap = T.rounds_at[r] - T.rounds_at[r - 1];
		unsigned int want = 100u << (r - 1);

		ck_assert_uint_ge(gap, want - 2);	/* ms rounding */
		ck_assert_uint_lt(gap, want + 400);
	}
	ck_assert(acceptpause_paused(T.ap));
	/* One line in that second, the next one counts the rest. */
	ck_assert_uint_le(T.warnings, 2);
	ck_assert_uint_ge(T.warnings, 1);

	/* Descriptors again: the client is taken once the pause ends. */
	for (i = 0; i < nfill; i++)
		(void)close(fill[i]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	run_for(1000);
	ck_assert_uint_eq(T.accepted, 1);
	ck_assert(!acceptpause_paused(T.ap));

	/* A round without a failure: the next pause is 100 ms again. */
	T.rounds = 0;
	connect_client();
	nfill = exhaust(&old, fill, 64);
	run_for(600);
	/* Without the reset it would have been 1.6 s. */
	ck_assert_uint_ge(T.rounds, 2);
	ck_assert_uint_ge(T.rounds_at[1] - T.rounds_at[0], AP_PAUSE_MIN_MS - 2);
	ck_assert_uint_lt(T.rounds_at[1] - T.rounds_at[0], 1000);
	for (i = 0; i < nfill; i++)
		(void)close(fill[i]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}
END_TEST

/* A failure that is the connection's own is not a reason to pause. */
START_TEST(transient_does_not_pause)
{
	acceptpause_failed(T.ap, ECONNABORTED);
	ck_assert(!acceptpause_paused(T.ap));
	ck_assert_uint_eq(T.warnings, 0);
	acceptpause_failed(T.ap, ENOBUFS);
	ck_assert(acceptpause_paused(T.ap));
	ck_assert_uint_eq(T.warnings, 1);
}
END_TEST

/* ---- the descriptor budget ------------------------------------------- */

/* Fixed: base, control clients, reserve, 1 listener and 1 peer. */
#define FIXED_1_1	(FD_NET_BASE + CTL_MAX_CLIENTS + FD_RESERVE + 1 + \
			FD_PER_PEER)
/* The unproven pool wanted with n peers (src/daemon/admit.c). */
#define POOL(n)		(NET_MAX_PENDING + NET_PENDING_PER_PEER * (n))

START_TEST(budget_64)
{
	struct fd_budget	b;
	char			msg[512];
	unsigned int		avail = 64 - FIXED_1_1;

	ck_assert_int_eq(fd_budget(64, 1, 1, 10000, &b), 0);
	ck_assert_uint_eq(b.fixed, FIXED_1_1);
	ck_assert_uint_eq(b.max_pending, avail / 2);
	ck_assert_uint_eq(b.max_sessions, avail - avail / 2);
	ck_assert_uint_le(b.fixed + b.max_pending + b.max_sessions, 64);
	fd_budget_lowered(&b, msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "max sessions 10000 lowered to"));
	ck_assert_ptr_nonnull(strstr(msg, "handshake slots 66 lowered to"));
	ck_assert_ptr_nonnull(strstr(msg, "descriptor limit (64)"));
}
END_TEST

START_TEST(budget_minimum)
{
	struct fd_budget	b;
	char			msg[512];
	uint64_t		min = FIXED_1_1 + FD_MIN_PENDING +
				    FD_MIN_SESSIONS;

	ck_assert_int_eq(fd_budget(min, 1, 1, 10000, &b), 0);
	ck_assert_uint_eq(b.max_pending, FD_MIN_PENDING);
	ck_assert_uint_eq(b.max_sessions, FD_MIN_SESSIONS);
	ck_assert_int_eq(fd_budget(min - 1, 1, 1, 10000, &b), -1);
	fd_budget_refused(&b, msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "is too low"));
	/* Each peer and listening address takes one more. */
	ck_assert_int_eq(fd_budget(min, 1, 2, 10000, &b), -1);
	ck_assert_int_eq(fd_budget(min, 2, 1, 10000, &b), -1);
	ck_assert_int_eq(fd_budget(0, 0, 0, 1, &b), -1);
}
END_TEST

START_TEST(budget_plenty)
{
	struct fd_budget	b;
	char			msg[512];

	ck_assert_int_eq(fd_budget(65536, 2, 100, 10000, &b), 0);
	ck_assert_uint_eq(b.max_pending, POOL(100));
	ck_assert_uint_eq(b.max_sessions, 10000);
	fd_budget_lowered(&b, msg, sizeof(msg));
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(fd_budget(UINT64_MAX, 2, 100, 1000000, &b), 0);
	ck_assert_uint_eq(b.max_pending, POOL(100));
	ck_assert_uint_eq(b.max_sessions, 1000000);
}
END_TEST

/* Few sessions wanted: handshakes get the rest, up to their maximum. */
START_TEST(budget_few_sessions)
{
	struct fd_budget	b;
	char			msg[512];

	ck_assert_int_eq(fd_budget(64, 1, 1, 5, &b), 0);
	ck_assert_uint_eq(b.max_sessions, 5);
	ck_assert_uint_eq(b.max_pending, 64 - FIXED_1_1 - 5);
	fd_budget_lowered(&b, msg, sizeof(msg));
	ck_assert_ptr_null(strstr(msg, "max sessions"));
	ck_assert_ptr_nonnull(strstr(msg, "handshake slots 66 lowered"));
	/* systemd's default soft limit: max sessions lowered only. */
	ck_assert_int_eq(fd_budget(1024, 2, 3, 10000, &b), 0);
	ck_assert_uint_eq(b.max_pending, POOL(3));
	ck_assert_uint_eq(b.max_sessions, 1024 - b.fixed - POOL(3));
	fd_budget_lowered(&b, msg, sizeof(msg));
	ck_assert_ptr_null(strstr(msg, "handshake slots"));
}
END_TEST

START_TEST(budget_of_a_configuration)
{
	struct nc_conf		c;
	struct listen_addr	la[3];
	struct peer_conf	pc[2];
	struct fd_budget	b, want;
	size_t			i;

	config_init_defaults(&c);
	memset(la, 0, sizeof(la));
	memset(pc, 0, sizeof(pc));
	for (i = 0; i < 3; i++)
		TAILQ_INSERT_TAIL(&c.listens, &la[i], entry);
	for (i = 0; i < 2; i++)
		TAILQ_INSERT_TAIL(&c.peers, &pc[i], entry);
	ck_assert_int_eq(fd_budget_conf(&c, 100, &b), 0);
	ck_assert_int_eq(fd_budget(100, 3, 2, 10000, &want), 0);
	ck_assert_uint_eq(b.fixed, want.fixed);
	ck_assert_uint_eq(b.max_pending, want.max_pending);
	ck_assert_uint_eq(b.max_sessions, want.max_sessions);
}
END_TEST

static Suite *
descriptors_suite(void)
{
	Suite	*s = suite_create("descriptors");
	TCase	*tc;

	tc = tcase_create("timing");
	tcase_add_test(tc, ratelog_once_a_second);
	tcase_add_test(tc, ratelog_first_at_zero);
	tcase_add_test(tc, ratelog_note_text);
	tcase_add_test(tc, backoff_doubles_to_the_cap);
	tcase_add_test(tc, transient_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("listener");
	tcase_add_checked_fixture(tc, listener_setup, listener_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, pauses_doubles_and_resets);
	tcase_add_test(tc, transient_does_not_pause);
	suite_add_tcase(s, tc);

	tc = tcase_create("budget");
	tcase_add_test(tc, budget_64);
	tcase_add_test(tc, budget_minimum);
	tcase_add_test(tc, budget_plenty);
	tcase_add_test(tc, budget_few_sessions);
	tcase_add_test(tc, budget_of_a_configuration);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(descriptors_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
