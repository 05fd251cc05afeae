/*
 * Unit tests for outbuf.c: output queued during callbacks reaches the
 * socket only once the event loop runs, in the order it was queued,
 * also when the socket takes only part of it and the bufferevent writes
 * the rest; the owner hears of a flush that left nothing behind.  A
 * socketpair stands for the connection; every loop is bounded.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "outbuf.h"

#define BIG	(1024 * 1024)

static struct event_base	*base;
static struct bufferevent	*bev;
static struct outbuf		 ob;
static int			 peer = -1;	/* the other end */
static int			 flushes;

static void
count_flush(void *arg)
{
	(void)arg;
	flushes++;
}

static void
setup(void)
{
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(bev);
	ck_assert_int_eq(bufferevent_enable(bev, EV_WRITE), 0);
	outbuf_init(&ob, base, bev, count_flush, NULL);
	peer = sv[1];
	flushes = 0;
}

static void
teardown(void)
{
	outbuf_clear(&ob);
	bufferevent_free(bev);
	event_base_free(base);
	(void)close(peer);
}

/* What the other end can read now, without waiting. */
static size_t
peer_read(uint8_t *buf, size_t size)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < size &&
	    (n = recv(peer, buf + got, size - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	return got;
}

static void
run_once(void)
{
	ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
}

START_TEST(nothing_before_the_loop_runs)
{
	uint8_t	buf[16];

	ck_assert_int_eq(outbuf_add(&ob, "abc", 3), 0);
	ck_assert_int_eq(outbuf_add(&ob, "def", 3), 0);
	ck_assert_uint_eq(outbuf_length(&ob), 6);
	ck_assert_uint_eq(peer_read(buf, sizeof(buf)), 0);
	run_once();
	ck_assert_uint_eq(peer_read(buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "abcdef", 6);
	ck_assert_uint_eq(outbuf_length(&ob), 0);
	/* One flush for both: they went out together. */
	ck_assert_int_eq(flushes, 1);
}
END_TEST

START_TEST(flush_writes_at_once)
{
	uint8_t	buf[16];

	ck_assert_int_eq(outbuf_add(&ob, "close", 5), 0);
	outbuf_flush(&ob);
	ck_assert_uint_eq(outbuf_length(&ob), 0);
	ck_assert_uint_eq(peer_read(buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "close", 5);
	/* The event finds nothing left to do, and says nothing. */
	run_once();
	ck_assert_int_eq(flushes, 0);
}
END_TEST

/* Bytes 0..n-1 of the pattern: the i-th byte is (i * 7 + i / 251) & 0xff. */
static uint8_t
pattern(size_t i)
{
	return (uint8_t)((i * 7 + i / 251) & 0xff);
}

START_TEST(rest_goes_to_the_bufferevent_in_order)
{
	static uint8_t	 data[BIG], got[BIG + 4];
	struct timespec	 t0, t;
	size_t		 i, have = 0;
	int		 rounds;

	for (i = 0; i < BIG; i++)
		data[i] = pattern(i);
	ck_assert_int_eq(outbuf_add(&ob, data, BIG), 0);
	run_once();
	/* A socketpair takes far less than 1 MiB: the rest waits in bev. */
	ck_assert_uint_gt(outbuf_length(&ob), 0);
	ck_assert_uint_eq(evbuffer_get_length(ob.pend), 0);
	ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(bev)),
	    outbuf_length(&ob));
	ck_assert_int_eq(flushes, 0);
	/* Queued now, it must come after everything the bev holds. */
	ck_assert_int_eq(outbuf_add(&ob, "TAIL", 4), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (rounds = 0; rounds < 100000 && have < BIG + 4; rounds++) {
		have += peer_read(got + have, sizeof(got) - have);
		run_once();
		clock_gettime(CLOCK_MONOTONIC, &t);
		ck_assert_msg(t.tv_sec - t0.tv_sec < 10, "not drained in 10 s");
	}
	ck_assert_uint_eq(have, BIG + 4);
	for (i = 0; i < BIG; i++)
		if (got[i] != pattern(i))
			ck_abort_msg("byte %zu out of order", i);
	ck_assert_mem_eq(got + BIG, "TAIL", 4);
	ck_assert_uint_eq(outbuf_length(&ob), 0);
}
END_TEST

START_TEST(cleared_with_data_queued)
{
	ck_assert_int_eq(outbuf_add(&ob, "lost", 4), 0);
	outbuf_clear(&ob);
	/* Idempotent, and the loop has nothing of it left to run. */
	outbuf_clear(&ob);
	run_once();
	ck_assert_int_eq(flushes, 0);
}
END_TEST

static Suite *
outbuf_suite(void)
{
	Suite	*s = suite_create("outbuf");
	TCase	*tc = tcase_create("outbuf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, nothing_before_the_loop_runs);
	tcase_add_test(tc, flush_writes_at_once);
	tcase_add_test(tc, rest_goes_to_the_bufferevent_in_order);
	tcase_add_test(tc, cleared_with_data_queued);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(outbuf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
