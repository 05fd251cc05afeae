/*
 * Unit tests for notify.c: the parsing of $NOTIFY_SOCKET and the
 * watchdog variables, the messages, and their delivery to a datagram
 * socket in a temporary directory (and to an abstract one), as systemd
 * would receive them.  Every receive is bounded by a socket timeout.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "notify.h"

static char	tmpdir[64];
static char	sockpath[128];
static int	rfd = -1;

/* A receiving socket at a path, like systemd's /run/systemd/notify. */
static int
bind_dgram(const char *name)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	struct timeval		tv = { 5, 0 };
	int			fd;

	ck_assert_int_eq(notify_parse_addr(name, &sun, &len), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	return fd;
}

/* One datagram, NUL-terminated; fails the test after 5 s. */
static void
recv_msg(int fd, char *buf, size_t size)
{
	ssize_t	n;

	n = recv(fd, buf, size - 1, 0);
	ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
	buf[n] = '\0';
}

/* No datagram waiting. */
static int
nothing_queued(int fd)
{
	char	buf[16];

	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_notify.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(sockpath, sizeof(sockpath), "%s/notify", tmpdir);
	rfd = bind_dgram(sockpath);
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
}

static void
teardown(void)
{
	if (rfd != -1)
		(void)close(rfd);
	rfd = -1;
	(void)unlink(sockpath);
	(void)rmdir(tmpdir);
	notify_watchdog_stop();
}

/* ---- parsing ------------------------------------------------------ */

START_TEST(addr_path)
{
	struct sockaddr_un	sun;
	socklen_t		len;

	ck_assert_int_eq(notify_parse_addr("/run/systemd/notify", &sun, &len),
	    0);
	ck_assert_int_eq(sun.sun_family, AF_UNIX);
	ck_assert_str_eq(sun.sun_path, "/run/systemd/notify");
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) +
	    sizeof("/run/systemd/notify"));
}
END_TEST

START_TEST(addr_abstract)
{
	struct sockaddr_un	sun;
	socklen_t		len;

	ck_assert_int_eq(notify_parse_addr("@sd-notify/x", &sun, &len), 0);
	ck_assert_int_eq(sun.sun_path[0], '\0');
	ck_assert_int_eq(memcmp(sun.sun_path + 1, "sd-notify/x", 11), 0);
	/* No NUL counted: the name is exactly its bytes. */
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + 12);
}
END_TEST

START_TEST(addr_length_bound)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	char			name[sizeof(sun.sun_path) + 2];

	/* A path of 107 bytes and its NUL fill sun_path exactly. */
	memset(name, 'a', sizeof(name));
	name[0] = '/';
	name[sizeof(sun.sun_path) - 1] = '\0';
	ck_assert_int_eq(notify_parse_addr(name, &sun, &len), 0);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_un));
	name[sizeof(sun.sun_path) - 1] = 'a';
	name[sizeof(sun.sun_path)] = '\0';
	ck_assert_int_eq(notify_parse_addr(name, &sun, &len), -1);
	name[0] = '@';
	ck_assert_int_eq(notify_parse_addr(name, &sun, &len), -1);
	name[sizeof(sun.sun_path) - 1] = '\0';
	ck_assert_int_eq(notify_parse_addr(name, &sun, &len), 0);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_un) - 1);
}
END_TEST

START_TEST(addr_refused)
{
	struct sockaddr_un	sun;
	socklen_t		len;

	ck_assert_int_eq(notify_parse_addr(NULL, &sun, &len), -1);
	ck_assert_int_eq(notify_parse_addr("", &sun, &len), -1);
	ck_assert_int_eq(notify_parse_addr("@", &sun, &len), -1);
	ck_assert_int_eq(notify_parse_addr("/", &sun, &len), -1);
	ck_assert_int_eq(notify_parse_addr("run/notify", &sun, &len), -1);
	ck_assert_int_eq(notify_parse_addr("vsock:2:1234", &sun, &len), -1);
}
END_TEST

START_TEST(watchdog_values)
{
	uint64_t	usec = 7;

	ck_assert_int_eq(notify_parse_watchdog(NULL, NULL, 42, &usec), 0);
	ck_assert_uint_eq(usec, 0);
	ck_assert_int_eq(notify_parse_watchdog("30000000", NULL, 42, &usec), 0);
	ck_assert_uint_eq(usec, 30000000);
	ck_assert_int_eq(notify_parse_watchdog("5000", "42", 42, &usec), 0);
	ck_assert_uint_eq(usec, 5000);
	/* Another process's watchdog: not ours to feed. */
	ck_assert_int_eq(notify_parse_watchdog("5000", "43", 42, &usec), 0);
	ck_assert_uint_eq(usec, 0);
}
END_TEST

START_TEST(watchdog_malformed)
{
	const char	*bad[] = { "", "0", "-5", "12x", "x", " 5",
	    "99999999999999999999999" };
	uint64_t	 usec;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		usec = 7;
		ck_assert_msg(notify_parse_watchdog(bad[i], NULL, 42, &usec) ==
		    -1, "WATCHDOG_USEC=\"%s\" accepted", bad[i]);
		ck_assert_uint_eq(usec, 0);
	}
	ck_assert_int_eq(notify_parse_watchdog("5000", "", 42, &usec), -1);
	ck_assert_int_eq(notify_parse_watchdog("5000", "0", 42, &usec), -1);
	ck_assert_int_eq(notify_parse_watchdog("5000", "4x", 42, &usec), -1);
}
END_TEST

START_TEST(reloading_format)
{
	char	buf[128], small[20];

	ck_assert_int_eq(notify_format_reloading(buf, sizeof(buf),
	    18446744073709551615ULL), 0);
	ck_assert_str_eq(buf, "RELOADING=1\nMONOTONIC_USEC=18446744073709551615"
	    "\nSTATUS=Reloading the configuration");
	ck_assert_int_eq(notify_format_reloading(small, sizeof(small), 1), -1);
}
END_TEST

/* ---- delivery ----------------------------------------------------- */

START_TEST(unset_is_noop)
{
	ck_assert_int_eq(notify_init(), 0);
	ck_assert_int_eq(notify_enabled(), 0);
	notify_ready();
	notify_reloading();
	notify_stopping();
	notify_watchdog();
	ck_assert(nothing_queued(rfd));
}
END_TEST

START_TEST(messages_to_path)
{
	char	buf[256];

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	ck_assert_int_eq(notify_init(), 1);
	/* The children must not inherit it. */
	ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));

	notify_ready();
	recv_msg(rfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=Running");
	notify_stopping();
	recv_msg(rfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STOPPING=1\nSTATUS=Stopping");
	notify_watchdog();
	recv_msg(rfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "WATCHDOG=1");
	ck_assert(nothing_queued(rfd));
}
END_TEST

START_TEST(reloading_has_monotonic_time)
{
	struct timespec		 ts;
	char			 buf[256], *p, *end;
	unsigned long long	 before, sent, after;

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	ck_assert_int_eq(notify_init(), 1);
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	before = (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000;
	notify_reloading();
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	after = (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000;
	recv_msg(rfd, buf, sizeof(buf));
	ck_assert_int_eq(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	p = buf + 27;
	sent = strtoull(p, &end, 10);
	ck_assert_ptr_ne(end, p);
	ck_assert_int_eq(*end, '\n');
	ck_assert_uint_ge(sent, before);
	ck_assert_uint_le(sent, after);
	notify_ready();
	recv_msg(rfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=Running");
}
END_TEST

START_TEST(messages_to_abstract)
{
	char	name[64], buf[64];
	int	afd;

	(void)snprintf(name, sizeof(name), "@check_notify/%ld/%ld",
	    (long)getpid(), (long)time(NULL));
	afd = bind_dgram(name);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(notify_init(), 1);
	notify_ready();
	recv_msg(afd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=Running");
	/* Nothing went to a path socket by mistake. */
	ck_assert(nothing_queued(rfd));
	(void)close(afd);
}
END_TEST

START_TEST(bad_socket_disables)
{
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "relative/path", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "1000000", 1), 0);
	ck_assert_int_eq(notify_init(), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	notify_ready();
	ck_assert(nothing_queued(rfd));
}
END_TEST

START_TEST(gone_manager_is_not_fatal)
{
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	ck_assert_int_eq(notify_init(), 1);
	(void)close(rfd);
	rfd = -1;
	ck_assert_int_eq(unlink(sockpath), 0);
	/* Logged once, then silent; the daemon goes on. */
	notify_ready();
	notify_watchdog();
	ck_assert_int_eq(notify_enabled(), 1);
}
END_TEST

START_TEST(watchdog_pid_other)
{
	char	pid[32];

	(void)snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	ck_assert_int_eq(notify_init(), 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
	ck_assert_ptr_null(getenv("WATCHDOG_PID"));
}
END_TEST

static int	got_pings;

static void
on_ping(int fd, short ev, void *arg)
{
	struct event_base	*base = arg;
	char			 buf[64];
	ssize_t			 n;

	(void)ev;
	if ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) < 0)
		return;
	buf[n] = '\0';
	ck_assert_str_eq(buf, "WATCHDOG=1");
	if (++got_pings == 2)
		event_base_loopbreak(base);
}

/* Two pings from the event loop, at half of a 0.2 s period. */
START_TEST(watchdog_timer)
{
	struct event_base	*base;
	struct event		*ev;
	struct timeval		 limit = { 10, 0 };
	char			 pid[32];

	(void)snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "200000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	ck_assert_int_eq(notify_init(), 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 200000);

	ck_assert_ptr_nonnull(base = event_base_new());
	notify_watchdog_start(base);
	ev = event_new(base, rfd, EV_READ | EV_PERSIST, on_ping, base);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(event_add(ev, NULL), 0);
	got_pings = 0;
	/* Bounded: the loop ends after 10 s whatever happens. */
	ck_assert_int_eq(event_base_loopexit(base, &limit), 0);
	ck_assert_int_ne(event_base_dispatch(base), -1);
	ck_assert_int_eq(got_pings, 2);
	event_free(ev);
	notify_watchdog_stop();
	event_base_free(base);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, addr_path);
	tcase_add_test(tc, addr_abstract);
	tcase_add_test(tc, addr_length_bound);
	tcase_add_test(tc, addr_refused);
	tcase_add_test(tc, watchdog_values);
	tcase_add_test(tc, watchdog_malformed);
	tcase_add_test(tc, reloading_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("send");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, unset_is_noop);
	tcase_add_test(tc, messages_to_path);
	tcase_add_test(tc, reloading_has_monotonic_time);
	tcase_add_test(tc, messages_to_abstract);
	tcase_add_test(tc, bad_socket_disables);
	tcase_add_test(tc, gone_manager_is_not_fatal);
	tcase_add_test(tc, watchdog_pid_other);
	tcase_add_test(tc, watchdog_timer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(notify_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
