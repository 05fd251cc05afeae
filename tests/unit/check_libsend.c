/*
 * Unit tests for libnetcrypt's sending of messages, without a daemon:
 * the SEND records of nc_send(), what nc_send() and nc_send_more() refuse
 * before writing anything, nc_send_wait() keeping the events it passes,
 * and bursts: nc_send_more() holding messages until nc_flush(), the
 * batch threshold, a full socket, nc_next() and nc_close() writing what is
 * held.  The test plays the daemon (libfake.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libfake.h"

/* ---- messages --------------------------------------------------------- */

START_TEST(test_send_framing)
{
	static const uint8_t	 want[] = {
		0, 0, 0, 23, SP_SEND, 0, 0, 0, 0, 0, 0, 0, 1, SP_F_RECEIPT,
		9, 'b', 'o', 'b', '@', 'h', 'o', 's', 't', 'b',
		SP_CT_TEXT, 'h', 'i'
	};
	struct nc_session	*s;
	uint8_t			 got[sizeof(want)], pl[REC_MAX];
	uint64_t		 id, cid;
	int			 d, flags;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send(s, "bob@hostb", "hi", 2, 1, &id), NC_OK);
	ck_assert(id == 1);
	ck_assert_int_eq(read_full(d, got, sizeof(got)), 1);
	ck_assert(memcmp(got, want, sizeof(want)) == 0);

	/* Ids increase; without a receipt the flag is clear. */
	ck_assert_int_eq(nc_send(s, "*", "", 0, 0, &id), NC_OK);
	ck_assert(id == 3);
	ck_assert_uint_eq(get_send(d, "*", &cid, &flags, pl), 1);
	ck_assert(cid == 3);
	ck_assert_int_eq(flags, 0);
	ck_assert_uint_eq(pl[0], SP_CT_TEXT);
	nc_close(s);
	(void)close(d);
}
END_TEST

typedef int	(*send_fn)(struct nc_session *, const char *, const void *,
		    size_t, int, uint64_t *);

/* nc_send() and nc_send_more() refuse the same, and write nothing then. */
static const send_fn	send_fns[] = { nc_send, nc_send_more };

START_TEST(test_send_refused_locally)
{
	static const char	*bad[] = {
		"", "a b", "bob@", "@hostb", "a@b@c", "**", "*@*", "bob@*",
		"bob\n", "bob/x", "*bob", "bob@host b",
		("01234567890123456789012345678901234567890123456789012345678"
		"901234"),
	};
	static const char	*good[] = {
		"bob", "*", "*@hostb", "bob@hostb", "B.o_b-9@h-1.x",
		("0123456789012345678901234567890123456789012345678901234567"
		"890123"),
	};
	const send_fn		 sendf = send_fns[_i];
	struct nc_session	*s;
	uint8_t			*big, pl[REC_MAX];
	uint64_t		 id, cid;
	size_t			 i;
	int			 d, flags;

	s = mk_session(&d, "alice");
	ck_assert_ptr_nonnull(big = calloc(1, NC_MAX_PAYLOAD + 1));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(sendf(s, bad[i], "x", 1, 1, &id),
		    NC_BAD_NAME);
		ck_assert_int_eq(nc_send_wait(s, bad[i], "x", 1, 100),
		    NC_BAD_NAME);
	}
	ck_assert_int_eq(sendf(s, "bob", big, NC_MAX_PAYLOAD + 1, 1, &id),
	    NC_TOO_LARGE);
	ck_assert_int_eq(nc_send_wait(s, "bob", big, NC_MAX_PAYLOAD + 1,
	    100), NC_TOO_LARGE);
	ck_assert_int_eq(sendf(NULL, "bob", "x", 1, 0, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(sendf(s, NULL, "x", 1, 0, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(sendf(s, "bob", NULL, 1, 0, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_flush(s), 0);
	ck_assert(nothing_to_read(d));

	/* No id was used up: the first message sent is 1. */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(sendf(s, good[i], "x", 1, 0, &id), NC_OK);
		ck_assert(id == 2 * i + 1);
		ck_assert_int_eq(nc_flush(s), 0);
		ck_assert_uint_eq(get_send(d, good[i], &cid, &flags, pl), 2);
		ck_assert(cid == id);
	}
	/* The largest message fits in one record. */
	ck_assert_int_eq(sendf(s, good[5], big, NC_MAX_PAYLOAD, 0, &id),
	    NC_OK);
	ck_assert_uint_eq(get_send(d, good[5], &cid, &flags, pl),
	    NC_MAX_PAYLOAD + 1);

	/* The daemon gone: -1 and EPIPE, from the call that finds out. */
	(void)close(d);
	(void)sendf(s, "bob", "x", 1, 0, &id);
	ck_assert_int_eq(nc_flush(s), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(sendf(s, "bob", "x", 1, 0, &id), -1);
	ck_assert_int_eq(errno, EPIPE);
	free(big);
	nc_close(s);
}
END_TEST

START_TEST(test_send_wait_keeps_events)
{
	static const uint8_t	 peers[] = {
		0, 2, 5, 'h', 'o', 's', 't', 'b', 1, 5, 'h', 'o', 's', 't',
		'c', 0
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint64_t		 id;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send(s, "bob", "a", 1, 1, &id), NC_OK);
	ck_assert(id == 1);
	/* What comes before the receipt that nc_send_wait() wants. */
	put_text(d, "carol@hostb", "hello there");
	put_rec(d, SP_PEERLIST, peers, sizeof(peers));
	put_receipt(d, 1, NC_BUSY);
	put_receipt(d, 3, NC_OK);
	put_text(d, "dave", "after");
	ck_assert_int_eq(nc_send_wait(s, "bob", "b", 1, TMO), NC_OK);

	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_str_eq(ev.from, "carol@hostb");
	ck_assert_uint_eq(ev.len, 11);
	ck_assert(memcmp(ev.data, "hello there", 11) == 0);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_PEERS);
	ck_assert_uint_eq(ev.len, strlen("hostb up\nhostc down\n"));
	ck_assert(memcmp(ev.data, "hostb up\nhostc down\n", ev.len) == 0);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_RECEIPT);
	ck_assert(ev.id == 1);
	ck_assert_int_eq(ev.status, NC_BUSY);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_str_eq(ev.from, "dave");
	ck_assert_int_eq(nc_next(s, &ev, 0), 0);

	/* No receipt: timeout; when it comes late, it is an event. */
	ck_assert_int_eq(nc_send_wait(s, "bob", "c", 1, 100), NC_TIMEOUT);
	put_receipt(d, 5, NC_UNREACHABLE);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_RECEIPT);
	ck_assert(ev.id == 5);
	ck_assert_int_eq(ev.status, NC_UNREACHABLE);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- bursts: nc_send_more() and nc_flush() ---------------------------- */

#define BURST_TO	"bob@hostb"
#define BURST_LEN	64	/* message bytes */
/* A burst's SEND record: u32 len, type, u64 cid, flags, u8 tolen, to, ct. */
#define BURST_REC	(4 + 1 + 8 + 1 + 1 + sizeof(BURST_TO) - 1 + 1 + \
			    BURST_LEN)

/* Message seq of a burst: its number, then a letter it also picks. */
static void
burst_msg(uint8_t *m, long seq)
{
	memset(m, 'a' + (int)(seq % 26), BURST_LEN);
	nc__put64(m, (uint64_t)seq);
}

/*
 * Messages first..first+n-1, with receipts, through sendf; message seq
 * gets id 2 * seq + 1 (the session's first message is seq 0).
 */
static void
queue_burst(struct nc_session *s, send_fn sendf, long first, long n)
{
	uint8_t		m[BURST_LEN];
	uint64_t	id;
	long		i;

	for (i = first; i < first + n; i++) {
		burst_msg(m, i);
		ck_assert_int_eq(sendf(s, BURST_TO, m, sizeof(m), 1, &id),
		    NC_OK);
		ck_assert(id == (uint64_t)(2 * i + 1));
	}
}

/* The session protocol's SEND of message seq, byte for byte. */
static void
burst_rec(uint8_t *r, long seq)
{
	size_t	tl = sizeof(BURST_TO) - 1;

	nc__put32(r, (uint32_t)(BURST_REC - 4));
	r[4] = SP_SEND;
	nc__put64(r + 5, (uint64_t)(2 * seq + 1));
	r[13] = SP_F_RECEIPT;
	r[14] = (uint8_t)tl;
	memcpy(r + 15, BURST_TO, tl);
	r[15 + tl] = SP_CT_TEXT;
	burst_msg(r + 16 + tl, seq);
}

/* Whether got holds messages first.. in order, whole records. */
static int
burst_ok(const uint8_t *got, size_t len, long first)
{
	uint8_t	want[BURST_REC];
	size_t	i;

	if (len % BURST_REC != 0)
		return 0;
	for (i = 0; i < len / BURST_REC; i++) {
		burst_rec(want, first + (long)i);
		if (memcmp(got + i * BURST_REC, want, BURST_REC) != 0)
			return 0;
	}
	return 1;
}

/* The daemon reads exactly messages first..first+n-1, and no more. */
static void
expect_burst(int d, long first, long n)
{
	uint8_t	*got;
	size_t	 len = (size_t)n * BURST_REC;

	ck_assert_ptr_nonnull(got = malloc(len));
	ck_assert_int_eq(read_full(d, got, len), 1);
	ck_assert(burst_ok(got, len, first));
	free(got);
	ck_assert(nothing_to_read(d));
}

/* What the socket holds now, without waiting, appended at got + *len. */
static void
read_now(int d, uint8_t *got, size_t cap, size_t *len)
{
	ssize_t	n;

	while (*len < cap && (n = recv(d, got + *len, cap - *len,
	    MSG_DONTWAIT)) > 0)
		*len += (size_t)n;
}

START_TEST(test_send_more_held)
{
	struct nc_session	*s;
	int			 d;

	s = mk_session(&d, "alice");
	queue_burst(s, nc_send_more, 0, 10);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_flush(s), 0);
	expect_burst(d, 0, 10);
	/* Nothing queued: nothing written, all is written. */
	ck_assert_int_eq(nc_flush(s), 0);
	ck_assert(nothing_to_read(d));

	/* nc_send() writes what was held, then its own, in order. */
	queue_burst(s, nc_send_more, 10, 3);
	ck_assert(nothing_to_read(d));
	queue_burst(s, nc_send, 13, 1);
	expect_burst(d, 10, 4);
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_send_more_threshold)
{
	static uint8_t		 big[NC__BATCH];
	struct nc_session	*s;
	uint8_t			 rec[REC_MAX], type;
	long			 below = (NC__BATCH - 1) / (long)BURST_REC;
	int			 d;

	s = mk_session(&d, "alice");
	queue_burst(s, nc_send_more, 0, below);
	ck_assert(nothing_to_read(d));
	/* The message that brings the queue to NC__BATCH writes it all. */
	queue_burst(s, nc_send_more, below, 1);
	expect_burst(d, 0, below + 1);
	/* The count starts again from that write. */
	queue_burst(s, nc_send_more, below + 1, below);
	ck_assert(nothing_to_read(d));
	queue_burst(s, nc_send_more, 2 * below + 1, 1);
	expect_burst(d, below + 1, below + 1);

	/* A message of NC__BATCH bytes goes at once, with what was held. */
	ck_assert_int_eq(nc_send_more(s, "bob", NULL, 0, 0, NULL), NC_OK);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_send_more(s, "bob", big, sizeof(big), 0, NULL),
	    NC_OK);
	ck_assert_uint_eq(get_rec(d, &type, rec), 10 + 3 + 1);
	ck_assert_uint_eq(get_rec(d, &type, rec), 10 + 3 + 1 + sizeof(big));
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
}
END_TEST

/* Enough to fill a socket whose send buffer is FULL_SNDBUF. */
#define FULL_MSGS	((long)(512 * 1024 / BURST_REC))
#define FULL_SNDBUF	16384

/* A session whose socket takes little; *got, room to read a full burst. */
static struct nc_session *
mk_small_session(int *d, uint8_t **got)
{
	struct nc_session	*s;
	int			 sz = FULL_SNDBUF;

	s = mk_session(d, "alice");
	ck_assert_int_eq(setsockopt(nc_fd(s), SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	ck_assert_ptr_nonnull(*got = malloc((size_t)FULL_MSGS * BURST_REC));
	return s;
}

START_TEST(test_flush_full)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			*got;
	size_t			 len = 0, cap = (size_t)FULL_MSGS * BURST_REC;
	int64_t			 t0;
	int			 d, i, r = 1;

	s = mk_small_session(&d, &got);
	queue_burst(s, nc_send_more, 0, FULL_MSGS);
	ck_assert_int_eq(nc_flush(s), 1);
	/* As the daemon reads, nc_flush() writes the rest, then says 0. */
	for (i = 0; i < 100000 && r == 1; i++) {
		read_now(d, got, cap, &len);
		r = nc_flush(s);
		ck_assert_int_ge(r, 0);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(read_full(d, got + len, cap - len), 1);
	ck_assert(burst_ok(got, cap, 0));
	ck_assert(nothing_to_read(d));

	/* What the full socket left goes with nc_next() too. */
	queue_burst(s, nc_send_more, FULL_MSGS, FULL_MSGS);
	ck_assert_int_eq(nc_flush(s), 1);
	len = 0;
	for (i = 0; i < 100000 && len < cap; i++) {
		read_now(d, got, cap, &len);
		ck_assert_int_eq(nc_next(s, &ev, 0), 0);
	}
	ck_assert(burst_ok(got, cap, FULL_MSGS));
	ck_assert_int_eq(nc_flush(s), 0);

	/* A daemon that never reads holds nc_close() for NC__CLOSE_MS. */
	queue_burst(s, nc_send_more, 2 * FULL_MSGS, FULL_MSGS);
	ck_assert_int_eq(nc_flush(s), 1);
	t0 = nc__now_ms();
	nc_close(s);
	ck_assert_int_lt(nc__now_ms() - t0, NC__CLOSE_MS + 500);
	free(got);
	(void)close(d);
}
END_TEST

START_TEST(test_send_more_next_close)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			*got, four[4 * BURST_REC];
	size_t			 cap = (size_t)(FULL_MSGS / 4) * BURST_REC;
	pid_t			 pid;
	int			 d, st;

	s = mk_session(&d, "alice");
	put_text(d, "carol", "one");
	put_text(d, "carol", "two");
	next_ev(s, &ev);
	ck_assert_str_eq((const char *)ev.data, "one");
	/* "two" waits in the library: nc_next() still writes what is held. */
	queue_burst(s, nc_send_more, 0, 3);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_next(s, &ev, 0), 1);
	ck_assert_str_eq((const char *)ev.data, "two");
	expect_burst(d, 0, 3);
	/* And with nothing to return. */
	queue_burst(s, nc_send_more, 3, 2);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_next(s, &ev, 0), 0);
	expect_burst(d, 3, 2);

	/* nc_close() writes what is held, then closes. */
	queue_burst(s, nc_send_more, 5, 4);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	ck_assert_int_eq(read_full(d, four, sizeof(four)), 1);
	ck_assert(burst_ok(four, sizeof(four), 5));
	ck_assert_int_eq(read_full(d, four, 1), 0);
	(void)close(d);

	/*
	 * ... all of it, over several writes, as a daemon reads (a quarter
	 * of a full burst: well within NC__CLOSE_MS under a sanitizer).
	 */
	s = mk_small_session(&d, &got);
	queue_burst(s, nc_send_more, 0, FULL_MSGS / 4);
	ck_assert_int_eq(nc_flush(s), 1);
	if ((pid = fork()) == 0) {
		(void)close(nc_fd(s));	/* for the end of file */
		_exit(read_full(d, got, cap) == 1 && burst_ok(got, cap, 0) &&
		    read_full(d, got, 1) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	(void)close(d);
	nc_close(s);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(got);
}
END_TEST

static Suite *
libsend_suite(void)
{
	Suite	*s = suite_create("libnetcrypt send");
	TCase	*tc;

	tc = tcase_create("session");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_send_framing);
	tcase_add_loop_test(tc, test_send_refused_locally, 0,
	    sizeof(send_fns) / sizeof(send_fns[0]));
	tcase_add_test(tc, test_send_wait_keeps_events);
	tcase_add_test(tc, test_send_more_held);
	tcase_add_test(tc, test_send_more_threshold);
	tcase_add_test(tc, test_flush_full);
	tcase_add_test(tc, test_send_more_next_close);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return libfake_run(libsend_suite());
}
