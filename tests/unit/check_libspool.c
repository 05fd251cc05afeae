/*
 * Unit tests for libnetcrypt's messages with a lifetime (SESSIONS.md 6),
 * without a daemon: the SEND records of nc_send_within*(), what they
 * refuse before writing anything, QUEUED and failure RECEIPTs as events
 * and as nc_send_within_wait()'s answer, SDELIVER handed once with its
 * TAKEN (a repeat answered but not handed, the set of ids seen at its
 * bound), FINAL and STATE, nc_wait_final(), nc_query() and
 * nc_query_wait().  The test plays the daemon (libfake.h).
 */
#include "config.h"

#include <sys/types.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libfake.h"

#define WEEK		604800
#define SPOOL_A		0x0123456789abcdefULL
#define SPOOL_B		0xfedcba9876543210ULL

/* The SEND of a message with a lifetime; its payload length. */
static size_t
get_send_within(int fd, const char *to, uint64_t *cid, uint32_t *lifetime,
    uint8_t *pl)
{
	uint8_t	buf[REC_MAX], type;
	size_t	len, tl;

	len = get_rec(fd, &type, buf);
	ck_assert_int_eq(type, SP_SEND);
	ck_assert_uint_ge(len, 14);
	ck_assert_int_eq(buf[8], SP_F_WITHIN);
	tl = buf[13];
	ck_assert_uint_ge(len, 14 + tl);
	ck_assert_uint_eq(tl, strlen(to));
	ck_assert(memcmp(buf + 14, to, tl) == 0);
	*cid = nc__get64(buf);
	*lifetime = nc__get32(buf + 9);
	memcpy(pl, buf + 14 + tl, len - 14 - tl);
	return len - 14 - tl;
}

/* ---- sending ---------------------------------------------------------- */

START_TEST(test_within_framing)
{
	static const uint8_t	 want[] = {
		0, 0, 0, 27, SP_SEND, 0, 0, 0, 0, 0, 0, 0, 1, SP_F_WITHIN,
		0, 0x09, 0x3a, 0x80,		/* 604800 s */
		9, 'b', 'o', 'b', '@', 'h', 'o', 's', 't', 'b',
		SP_CT_TEXT, 'h', 'i'
	};
	struct nc_session	*s;
	uint8_t			 got[sizeof(want)], pl[REC_MAX];
	uint64_t		 id, cid;
	uint32_t		 life;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send_within(s, "bob@hostb", "hi", 2, WEEK, &id),
	    NC_OK);
	ck_assert(id == 1);
	ck_assert_int_eq(read_full(d, got, sizeof(got)), 1);
	ck_assert(memcmp(got, want, sizeof(want)) == 0);

	/* Held until a flush, like nc_send_more(); the bounds pass. */
	ck_assert_int_eq(nc_send_within_more(s, "bob", "x", 1,
	    NC_LIFETIME_MAX, &id), NC_OK);
	ck_assert(id == 3);
	ck_assert_int_eq(nc_send_within_more(s, "bob", "", 0, 1, &id),
	    NC_OK);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_flush(s), 0);
	ck_assert_uint_eq(get_send_within(d, "bob", &cid, &life, pl), 2);
	ck_assert(cid == 3 && life == NC_LIFETIME_MAX);
	ck_assert_uint_eq(get_send_within(d, "bob", &cid, &life, pl), 1);
	ck_assert(cid == 5 && life == 1);
	ck_assert_uint_eq(pl[0], SP_CT_TEXT);
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_within_refused_locally)
{
	static const char	*bad_to[] = { "*", "*@hostb", "", "bob@" };
	static const uint32_t	 bad_life[] = { 0, NC_LIFETIME_MAX + 1,
				    UINT32_MAX };
	struct nc_session	*s;
	uint8_t			*big, pl[REC_MAX];
	uint64_t		 id, cid;
	uint32_t		 life;
	size_t			 i;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_ptr_nonnull(big = calloc(1, NC_MAX_PAYLOAD + 1));
	for (i = 0; i < sizeof(bad_life) / sizeof(bad_life[0]); i++) {
		ck_assert_int_eq(nc_send_within(s, "bob", "x", 1,
		    bad_life[i], &id), NC_BAD_NAME);
		ck_assert_int_eq(nc_send_within_more(s, "bob", "x", 1,
		    bad_life[i], &id), NC_BAD_NAME);
		ck_assert_int_eq(nc_send_within_wait(s, "bob", "x", 1,
		    bad_life[i], 100, &id), NC_BAD_NAME);
	}
	/* A message that waits has one destination. */
	for (i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++)
		ck_assert_int_eq(nc_send_within(s, bad_to[i], "x", 1, WEEK,
		    &id), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_within(s, "bob", big, NC_MAX_PAYLOAD + 1,
	    WEEK, &id), NC_TOO_LARGE);
	ck_assert_int_eq(nc_send_within(s, "bob", NULL, 1, WEEK, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_flush(s), 0);
	ck_assert(nothing_to_read(d));

	/* No id was used up; the largest message fits in one record. */
	ck_assert_int_eq(nc_send_within(s, "bob@hostb", big, NC_MAX_PAYLOAD,
	    WEEK, &id), NC_OK);
	ck_assert(id == 1);
	ck_assert_uint_eq(get_send_within(d, "bob@hostb", &cid, &life, pl),
	    NC_MAX_PAYLOAD + 1);
	free(big);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- the daemon's answers --------------------------------------------- */

START_TEST(test_queued_and_failures)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint64_t		 id, id2, spool = 0;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send_within(s, "bob@hostb", "a", 1, WEEK, &id),
	    NC_OK);
	ck_assert_int_eq(nc_send_within(s, "bob@hostb", "b", 1, WEEK, &id2),
	    NC_OK);
	put_queued(d, id, SPOOL_A);
	put_receipt(d, id2, NC_SPOOL_FULL);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_QUEUED);
	ck_assert(ev.id == id);
	ck_assert(ev.size == SPOOL_A);
	ck_assert_int_eq(ev.status, NC_QUEUED);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_RECEIPT);
	ck_assert(ev.id == id2);
	ck_assert_int_eq(ev.status, NC_SPOOL_FULL);
	ck_assert_str_eq(nc_status_str(ev.status), "spool full");

	/* The waiting form: the answer written before it is asked. */
	put_queued(d, 5, SPOOL_B);
	ck_assert_int_eq(nc_send_within_wait(s, "bob", "c", 1, 30, TMO,
	    &spool), NC_QUEUED);
	ck_assert(spool == SPOOL_B);
	put_receipt(d, 7, NC_SPOOL_FULL);
	ck_assert_int_eq(nc_send_within_wait(s, "bob", "d", 1, 30, TMO,
	    &spool), NC_SPOOL_FULL);
	/* No answer in time: a late one is an event. */
	ck_assert_int_eq(nc_send_within_wait(s, "bob", "e", 1, 30, 50,
	    &spool), NC_TIMEOUT);
	put_queued(d, 9, SPOOL_A);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_QUEUED);
	ck_assert(ev.id == 9 && ev.size == SPOOL_A);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* New records that must end the session with EPROTO (after 2 sends). */
static const struct {
	size_t		 len;
	const char	*bytes;
} malformed[] = {
	{ 20, "\0\0\0\x10\x08\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\1" }, /* short */
	{ 21, "\0\0\0\x11\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1" }, /* cid 0 */
	{ 21, "\0\0\0\x11\x08\0\0\0\0\0\0\0\5\0\0\0\0\0\0\0\1" }, /* unused */
	{ 21, "\0\0\0\x11\x08\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0\1" }, /* file's */
	{ 21, "\0\0\0\x11\x08\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0" }, /* id 0 */
	{ 13, "\0\0\0\x09\x09\0\0\0\0\0\0\0\1" },	/* SDELIVER, no from */
	{ 18, "\0\0\0\x0e\x09\0\0\0\0\0\0\0\0\3bob\0" },  /* SDELIVER id 0 */
	{ 18, "\0\0\0\x0e\x09\0\0\0\0\0\0\0\1\3b b\0" },  /* from not a name */
	{ 14, "\0\0\0\x0a\x0b\0\0\0\0\0\0\0\0\0" },	/* FINAL id 0 */
	{ 13, "\0\0\0\x09\x0b\0\0\0\0\0\0\0\1" },	/* FINAL short */
	{ 15, "\0\0\0\x0b\x0d\0\0\0\0\0\0\0\1\0\0" },	/* STATE long */
	{ 13, "\0\0\0\x09\x0a\0\0\0\0\0\0\0\1" },	/* a TAKEN */
};

START_TEST(test_malformed)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint64_t		 id;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send_within(s, "bob", "a", 1, WEEK, &id), NC_OK);
	ck_assert_int_eq(nc_send_within(s, "bob", "b", 1, WEEK, &id), NC_OK);
	write_all(d, malformed[_i].bytes, malformed[_i].len);
	ck_assert_int_eq(nc_next(s, &ev, TMO), -1);
	ck_assert_int_eq(errno, EPROTO);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- messages from the spool ------------------------------------------ */

static void
expect_message(struct nc_session *s, uint64_t id, const char *text)
{
	struct nc_event	ev;

	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert(ev.id == id);
	ck_assert_str_eq(ev.from, "bob@hostb");
	ck_assert_uint_eq(ev.len, strlen(text));
	ck_assert(memcmp(ev.data, text, ev.len) == 0);
}

START_TEST(test_sdeliver_once)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	int			 d;

	s = mk_session(&d, "alice");
	put_sdeliver(d, SPOOL_A, "bob@hostb", SP_CT_TEXT, "one", 3);
	put_sdeliver(d, SPOOL_B, "bob@hostb", SP_CT_TEXT, "two", 3);
	/* TAKEN when handed, not before. */
	expect_message(s, SPOOL_A, "one");
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_A);
	ck_assert(nothing_to_read(d));
	expect_message(s, SPOOL_B, "two");
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_B);

	/* Again (the daemon missed the TAKEN): answered, not handed. */
	put_sdeliver(d, SPOOL_A, "bob@hostb", SP_CT_TEXT, "one", 3);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_A);

	/* Twice before the program took it: handed once, one TAKEN. */
	put_sdeliver(d, 7, "bob@hostb", SP_CT_TEXT, "three", 5);
	put_sdeliver(d, 7, "bob@hostb", SP_CT_TEXT, "three", 5);
	put_text(d, "bob@hostb", "live");
	expect_message(s, 7, "three");
	ck_assert(get_id_rec(d, SP_TAKEN) == 7);
	/* An ordinary message has id 0 and no TAKEN. */
	expect_message(s, 0, "live");
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	ck_assert(nothing_to_read(d));

	/* The library's own payloads are taken as they are handled. */
	put_sdeliver(d, 8, "bob@hostb", 99, "?", 1);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	ck_assert(get_id_rec(d, SP_TAKEN) == 8);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* A spooled file offer, with no directory to receive in: refused, taken. */
START_TEST(test_sdeliver_file)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 h[NC__OFFER_HDR + 1];
	int			 d;

	s = mk_session(&d, "alice");
	memset(h, 0, sizeof(h));
	nc__put64(h, 1);
	nc__put64(h + 8, 1);
	nc__put16(h + 48, 1);
	h[NC__OFFER_HDR] = 'f';
	put_sdeliver(d, SPOOL_A, "bob@hostb", SP_CT_FILE_OFFER, h, sizeof(h));
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_REJECTED);
	expect_result(d, "bob@hostb", 1, NC_REJECTED);
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_A);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* The ids seen: the last NC_SPOOL_SEEN are kept, the oldest forgotten. */
START_TEST(test_seen_bound)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint64_t		 i, n = 3 * NC_SPOOL_SEEN + 5;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert(!nc__seen_has(s, 1));
	for (i = 1; i <= n; i++) {
		ck_assert_int_eq(nc__seen_add(s, i), 0);
		ck_assert(nc__seen_has(s, i));
		if (i > NC_SPOOL_SEEN)
			ck_assert(!nc__seen_has(s, i - NC_SPOOL_SEEN));
	}
	for (i = 1; i <= n; i++)
		ck_assert(nc__seen_has(s, i) == (i > n - NC_SPOOL_SEEN));

	/* Through the protocol: handed, pushed out, handed again. */
	put_sdeliver(d, SPOOL_A, "bob@hostb", SP_CT_TEXT, "a", 1);
	expect_message(s, SPOOL_A, "a");
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_A);
	for (i = 1; i < NC_SPOOL_SEEN; i++)
		ck_assert_int_eq(nc__seen_add(s, SPOOL_B + i), 0);
	put_sdeliver(d, SPOOL_A, "bob@hostb", SP_CT_TEXT, "a", 1);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);	/* still known */
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_A);
	ck_assert_int_eq(nc__seen_add(s, SPOOL_B), 0);
	put_sdeliver(d, SPOOL_A, "bob@hostb", SP_CT_TEXT, "a", 1);
	expect_message(s, SPOOL_A, "a");		/* forgotten */
	ck_assert(get_id_rec(d, SP_TAKEN) == SPOOL_A);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- what became of it: FINAL, STATE, QUERY -------------------------- */

START_TEST(test_final_and_state)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	int			 d;

	s = mk_session(&d, "alice");
	put_id_status(d, SP_FINAL, SPOOL_A, NC_OK);
	put_id_status(d, SP_STATE, SPOOL_B, NC_AT_PEER);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FINAL);
	ck_assert(ev.id == SPOOL_A);
	ck_assert_int_eq(ev.status, NC_OK);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_STATE);
	ck_assert(ev.id == SPOOL_B);
	ck_assert_int_eq(ev.status, NC_AT_PEER);
	ck_assert_str_eq(nc_status_str(NC_AT_PEER), "at peer");

	/* nc_wait_final(): one that came before, taken from the queue. */
	put_id_status(d, SP_STATE, 5, NC_QUEUED);
	put_id_status(d, SP_FINAL, 6, NC_EXPIRED);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_STATE);
	ck_assert_int_eq(nc_wait_final(s, 6, 0), NC_EXPIRED);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	/* One that comes while waiting; what comes before it stays. */
	put_text(d, "bob", "hi");
	put_id_status(d, SP_FINAL, 9, NC_OK);
	put_id_status(d, SP_FINAL, 7, NC_NO_SUCH_SESSION);
	ck_assert_int_eq(nc_wait_final(s, 7, TMO), NC_NO_SUCH_SESSION);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FINAL);
	ck_assert(ev.id == 9);
	ck_assert_int_eq(nc_wait_final(s, 10, 50), NC_TIMEOUT);
	ck_assert_int_eq(nc_wait_final(s, 0, 50), -1);
	ck_assert_int_eq(errno, EINVAL);
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_query)
{
	static const uint8_t	 want[] = {
		0, 0, 0, 9, SP_QUERY, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
		0xcd, 0xef
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 got[sizeof(want)];
	int			 d;

	s = mk_session(&d, "");
	ck_assert_int_eq(nc_query(s, SPOOL_A), 0);
	ck_assert_int_eq(read_full(d, got, sizeof(got)), 1);
	ck_assert(memcmp(got, want, sizeof(want)) == 0);
	ck_assert_int_eq(nc_query(s, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_query(NULL, 1), -1);
	ck_assert(nothing_to_read(d));

	/* The answer to another query stays an event. */
	put_id_status(d, SP_STATE, SPOOL_A, NC_QUEUED);
	put_id_status(d, SP_STATE, SPOOL_B, NC_UNKNOWN_ID);
	ck_assert_int_eq(nc_query_wait(s, SPOOL_B, TMO), NC_UNKNOWN_ID);
	ck_assert(get_id_rec(d, SP_QUERY) == SPOOL_B);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_STATE);
	ck_assert(ev.id == SPOOL_A);
	ck_assert_int_eq(ev.status, NC_QUEUED);
	ck_assert_int_eq(nc_query_wait(s, SPOOL_B, 50), NC_TIMEOUT);
	ck_assert(get_id_rec(d, SP_QUERY) == SPOOL_B);
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_status_strings)
{
	static const char	*want[] = { "queued", "expired", "spool full",
				    "at peer", "unknown id", "dropped" };
	int			 i;

	for (i = NC_QUEUED; i <= NC_DROPPED; i++)
		ck_assert_str_eq(nc_status_str(i), want[i - NC_QUEUED]);
}
END_TEST

static Suite *
libspool_suite(void)
{
	Suite	*su = suite_create("libspool");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_within_framing);
	tcase_add_test(tc, test_within_refused_locally);
	tcase_add_test(tc, test_queued_and_failures);
	tcase_add_loop_test(tc, test_malformed, 0,
	    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_sdeliver_once);
	tcase_add_test(tc, test_sdeliver_file);
	tcase_add_test(tc, test_seen_bound);
	tcase_add_test(tc, test_final_and_state);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_status_strings);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return libfake_run(libspool_suite());
}
