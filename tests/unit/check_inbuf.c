/*
 * Unit tests for inbuf.c: reading a socket into a bufferevent's input
 * buffer.  What arrives reaches input(); EOF and errors reach error();
 * nothing is read past the high mark or while disabled; inbuf_again()
 * runs input() without data; an owner freed in input() is not touched
 * again; the reservation grows with full reads.  A socketpair stands for
 * the connection; every loop is bounded.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "inbuf.h"

static struct event_base	*base;
static struct bufferevent	*bev;
static struct inbuf		 ib;
static int			 peer = -1;	/* the other end */
static int			 inputs, errors, free_in_input;
static short			 last_error;
static size_t			 seen;		/* buffered at the last input() */

static void	free_owner(void);

static int
count_input(void *arg)
{
	(void)arg;
	inputs++;
	seen = evbuffer_get_length(bufferevent_get_input(bev));
	if (free_in_input) {
		free_owner();
		return -1;
	}
	return 0;
}

static void
count_error(void *arg, short what)
{
	(void)arg;
	errors++;
	last_error = what;
	free_owner();		/* as link.c and session.c do */
}

static void
setup_high(size_t high)
{
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(bev);
	inbuf_init(&ib, base, bev, high, count_input, count_error, NULL);
	peer = sv[1];
	inputs = errors = free_in_input = 0;
	last_error = 0;
	seen = 0;
}

static void
setup(void)
{
	setup_high(256 * 1024);
}

static void
free_owner(void)
{
	if (bev == NULL)
		return;
	inbuf_clear(&ib);
	bufferevent_free(bev);
	bev = NULL;
}

static void
teardown(void)
{
	free_owner();
	event_base_free(base);
	if (peer != -1)
		(void)close(peer);
	peer = -1;
}

static void
run_once(void)
{
	ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
}

static size_t
buffered(void)
{
	return evbuffer_get_length(bufferevent_get_input(bev));
}

START_TEST(what_arrives_reaches_input)
{
	inbuf_enable(&ib);
	run_once();
	ck_assert_int_eq(inputs, 0);	/* nothing to read: not called */
	ck_assert_int_eq(write(peer, "hello", 5), 5);
	run_once();
	ck_assert_int_eq(inputs, 1);
	ck_assert_uint_eq(seen, 5);
	ck_assert_int_eq(evbuffer_copyout(bufferevent_get_input(bev),
	    (char [5]){ 0 }, 5), 5);
	ck_assert_int_eq(errors, 0);
}
END_TEST

START_TEST(eof_reaches_error)
{
	inbuf_enable(&ib);
	ck_assert_int_eq(write(peer, "last", 4), 4);
	(void)close(peer);
	peer = -1;
	run_once();
	run_once();
	ck_assert_int_eq(inputs, 1);	/* the data first, then the EOF */
	ck_assert_uint_eq(seen, 4);
	ck_assert_int_eq(errors, 1);
	ck_assert_int_eq(last_error, BEV_EVENT_READING | BEV_EVENT_EOF);
}
END_TEST

START_TEST(no_reading_while_disabled)
{
	ck_assert_int_eq(write(peer, "wait", 4), 4);
	run_once();
	ck_assert_int_eq(inputs, 0);
	ck_assert_uint_eq(buffered(), 0);
	inbuf_enable(&ib);
	inbuf_disable(&ib);
	run_once();
	ck_assert_uint_eq(buffered(), 0);
	inbuf_enable(&ib);
	run_once();
	ck_assert_uint_eq(buffered(), 4);
}
END_TEST

START_TEST(again_without_data)
{
	inbuf_again(&ib);
	ck_assert_int_eq(inputs, 0);	/* from the loop, not at once */
	run_once();
	ck_assert_int_eq(inputs, 1);
	ck_assert_uint_eq(seen, 0);
}
END_TEST

START_TEST(high_mark_stops_reading)
{
	static uint8_t	data[10000];
	int		i;

	teardown();
	setup_high(4096);
	memset(data, 'h', sizeof(data));
	ck_assert_int_eq(write(peer, data, sizeof(data)), (int)sizeof(data));
	inbuf_enable(&ib);
	/* input() takes nothing: at most 4096 bytes are ever read. */
	for (i = 0; i < 10; i++)
		run_once();
	ck_assert_uint_eq(buffered(), 4096);
	ck_assert(!event_pending(ib.ev_read, EV_READ, NULL));
	/* Taken: reading goes on once input() has seen the buffer again. */
	ck_assert_int_eq(evbuffer_drain(bufferevent_get_input(bev), 4096), 0);
	inbuf_again(&ib);
	for (i = 0; i < 10; i++)
		run_once();
	ck_assert_uint_eq(buffered(), 4096);
	ck_assert_int_eq(evbuffer_drain(bufferevent_get_input(bev), 4096), 0);
	inbuf_again(&ib);
	for (i = 0; i < 10; i++)
		run_once();
	ck_assert_uint_eq(buffered(), sizeof(data) - 2 * 4096);
	ck_assert_int_eq(errors, 0);
}
END_TEST

START_TEST(owner_freed_in_input)
{
	free_in_input = 1;
	inbuf_enable(&ib);
	ck_assert_int_eq(write(peer, "bye", 3), 3);
	run_once();
	ck_assert_int_eq(inputs, 1);
	ck_assert_ptr_null(bev);	/* and nothing touched it after */
	run_once();
	ck_assert_int_eq(inputs, 1);
}
END_TEST

START_TEST(reservation_grows_and_shrinks)
{
	static uint8_t	data[64 * 1024];
	size_t		first = ib.next;
	int		i;

	memset(data, 'g', sizeof(data));
	inbuf_enable(&ib);
	/* Full reads double the next reservation. */
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(write(peer, data, 32 * 1024), 32 * 1024);
		run_once();
		(void)evbuffer_drain(bufferevent_get_input(bev), buffered());
	}
	ck_assert_uint_gt(ib.next, first);
	/* Small reads bring it back down. */
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(write(peer, "s", 1), 1);
		run_once();
		(void)evbuffer_drain(bufferevent_get_input(bev), buffered());
	}
	ck_assert_uint_eq(ib.next, first);
}
END_TEST

static Suite *
inbuf_suite(void)
{
	Suite	*s = suite_create("inbuf");
	TCase	*tc = tcase_create("inbuf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, what_arrives_reaches_input);
	tcase_add_test(tc, eof_reaches_error);
	tcase_add_test(tc, no_reading_while_disabled);
	tcase_add_test(tc, again_without_data);
	tcase_add_test(tc, high_mark_stops_reading);
	tcase_add_test(tc, owner_freed_in_input);
	tcase_add_test(tc, reservation_grows_and_shrinks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(inbuf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
