/*
 * Unit tests for the spool's storage engine (spoolstore.c, spooldisk.c,
 * doc/SPOOL.md 8 to 13), on real files in a temporary directory: order
 * per peer and per mailbox, ids, sequence numbers, duplicates, states and
 * queries, notices and reports, expiry, every limit at its bound, group
 * commit, what is synced, a failed append.  Restart and damage are in
 * check_spoolrecov.c; the fixtures in storefix.c.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "spoolstore_int.h"
#include "storefix.h"
#include "unitrun.h"

/* Order per peer and per mailbox; ids unique and non-zero; seq per peer. */
START_TEST(test_order)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	uint64_t		 ids[12];
	char			 text[32];
	size_t			 i, j;

	fresh();
	s = store_open(NOW);
	for (i = 0; i < 12; i++) {
		snprintf(text, sizeof(text), "m%zu", i);
		ids[i] = put1(s, i % 3 == 2, i % 3 == 0 ? FP_A : FP_B, "bob",
		    text, ST_OK);
		ck_assert_uint_ne(ids[i], 0);
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	}
	fetch_out(s, FP_A, 0, 100, 1000000, &end);
	ck_assert_uint_eq(end.count, 4);
	ck_assert_uint_eq(end.more, 0);
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "m%zu", i * 3);
		ck_assert_uint_eq(got[i].e.seq, i + 1);
		ck_assert_uint_eq(got[i].e.id, ids[i * 3]);
		ck_assert_uint_eq(got[i].e.inc, sps_incarnation(s));
		ck_assert_mem_eq(got[i].e.fp, FP_A, NC_SHA256_LEN);
		ck_assert_str_eq(got[i].from, "alice");
		ck_assert_str_eq(got[i].to, "bob");
		ck_assert_uint_eq(got[i].len, strlen(text));
		ck_assert_mem_eq(got[i].payload, text, got[i].len);
		ck_assert_uint_le(got[i].e.ttl, 3600);
		ck_assert_uint_gt(got[i].e.ttl, 3500);
	}
	/* After a seq; and the limits: at least one, more set. */
	fetch_out(s, FP_B, 2, 100, 1000000, &end);
	ck_assert_uint_eq(end.count, 2);
	ck_assert_uint_eq(got[0].e.seq, 3);
	fetch_out(s, FP_B, 0, 2, 1000000, &end);
	ck_assert_uint_eq(end.count, 2);
	ck_assert_uint_eq(end.more, 1);
	fetch_out(s, FP_B, 0, 100, 1, &end);
	ck_assert_uint_eq(end.count, 1);
	ck_assert_uint_eq(end.more, 1);
	/* The mailbox: in the order kept, pos rising. */
	fetch_box(s, "bob", 0, &end);
	ck_assert_uint_eq(end.count, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(got[i].e.id, ids[i * 3 + 2]);
		if (i > 0)
			ck_assert_uint_gt(got[i].e.seq, got[i - 1].e.seq);
	}
	fetch_box(s, "bob", got[1].e.seq, &end);
	ck_assert_uint_eq(end.count, 2);
	ck_assert_uint_eq(got[0].e.id, ids[8]);
	fetch_box(s, "carol", 0, &end);
	ck_assert_uint_eq(end.count, 0);
	sps_close(s);
}
END_TEST

/* N puts that arrive together share one append, one fdatasync. */
START_TEST(test_group_commit)
{
	struct spoolstore	*s;
	struct sps_stats	 a, b;
	size_t			 i;

	fresh();
	s = store_open(NOW);
	sps_get_stats(s, &a);
	for (i = 0; i < 200; i++)
		put(s, i % 2, FP_A, "alice", "bob", "hello", 60, i + 1);
	/* Nothing is answered before the commit. */
	ck_assert_uint_eq(nev, 0);
	ck_assert_int_eq(sps_pending(s), 1);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	sps_get_stats(s, &b);
	ck_assert_uint_eq(b.appends, a.appends + 1);
	ck_assert_uint_eq(b.records, a.records + 200);
	ck_assert_uint_eq(count_events(SPS_EV_DONE), 200);
	ck_assert_uint_eq(b.live, 200);
	sps_close(s);
}
END_TEST

/* The origin table: a seq taken before is a duplicate; a new inc resets. */
START_TEST(test_dedup)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	uint64_t		 id;

	fresh();
	s = store_open(NOW);
	in(s, FP_A, 7, 1, "bob", "one", ST_OK, 1);
	in(s, FP_A, 7, 1, "bob", "one", ST_OK, 2);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_ne(id = done_id(1, ST_OK), 0);
	ck_assert_uint_eq(done_id(2, ST_OK), 0);
	ck_assert_uint_eq(evs[nev - 1].u.done.dup, 1);
	in(s, FP_A, 7, 3, "bob", "three", ST_OK, 3);
	in(s, FP_A, 7, 2, "bob", "two", ST_OK, 4);	/* below high: dup */
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_ne(done_id(3, ST_OK), 0);
	ck_assert_uint_eq(done_id(4, ST_OK), 0);
	ck_assert_uint_eq(evs[nev - 1].u.done.dup, 1);
	/* The sender's spool started again: its seq 1 is new. */
	in(s, FP_A, 8, 1, "bob", "again", ST_OK, 5);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_ne(done_id(5, ST_OK), 0);
	ck_assert_uint_eq(evs[nev - 1].u.done.dup, 0);
	/* Another origin has its own numbers. */
	in(s, FP_B, 7, 1, "bob", "other", ST_OK, 6);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_ne(done_id(6, ST_OK), 0);
	fetch_box(s, "bob", 0, &end);
	ck_assert_uint_eq(end.count, 4);
	ck_assert_uint_eq(got[0].e.id, id);
	ck_assert_str_eq(got[0].from, "alice@hosta");
	sps_close(s);
}
END_TEST

/* OUT: QUEUED, AT_PEER, final; BOX: KEPT, taken; what each reports. */
START_TEST(test_states)
{
	struct spoolstore	*s;
	const struct sps_event	*ev;
	struct sp_report	 rep;
	struct sp_fetch_end	 end;
	uint64_t		 out, box, rid, refid;

	fresh();
	s = store_open(NOW);
	out = put1(s, 0, FP_A, "bob", "x", ST_OK);
	ck_assert_uint_eq(sps_query(s, out, NOW), ST_QUEUED);
	nev = 0;
	result(s, FP_A, 1, ST_OK, 0);
	ck_assert_uint_eq(count_events(SPS_EV_RESULT_DONE), 1);
	ck_assert_uint_eq(sps_query(s, out, NOW), ST_AT_PEER);
	fetch_out(s, FP_A, 0, 10, 1000, &end);
	ck_assert_uint_eq(end.count, 0);	/* at the peer: not again */
	result(s, FP_A, 1, ST_OK, 1);
	ev = last_event(SPS_EV_NOTIFY);
	ck_assert_uint_eq(ev->u.notify.id, out);
	ck_assert_uint_eq(ev->u.notify.status, ST_OK);
	ck_assert_uint_eq(ev->u.notify.fromlen, 5);
	ck_assert_mem_eq(ev->from, "alice", 5);
	ck_assert_uint_eq(sps_query(s, out, NOW), ST_OK);
	/* An SFINAL again (the ack was lost): answered, nothing changes. */
	nev = 0;
	result(s, FP_A, 1, ST_REJECTED, 1);
	ck_assert_uint_eq(count_events(SPS_EV_RESULT_DONE), 1);
	ck_assert_uint_eq(count_events(SPS_EV_NOTIFY), 0);
	ck_assert_uint_eq(sps_query(s, out, NOW), ST_OK);
	/* A final status straight from QUEUED (the peer judged it). */
	out = put1(s, 0, FP_A, "bob", "y", ST_OK);
	result(s, FP_A, 2, ST_NO_SUCH_SESSION, 1);
	ck_assert_uint_eq(sps_query(s, out, NOW), ST_NO_SUCH_SESSION);

	/* A local mailbox entry, taken: the local sender is told. */
	box = put1(s, 1, NULL, "bob", "z", ST_OK);
	ck_assert_uint_eq(sps_query(s, box, NOW), ST_QUEUED);
	nev = 0;
	sps_taken(s, box, NOW);
	ck_assert_uint_eq(nev, 0);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ev = last_event(SPS_EV_NOTIFY);
	ck_assert_uint_eq(ev->u.notify.id, box);
	ck_assert_uint_eq(sps_query(s, box, NOW), ST_OK);
	sps_taken(s, box, NOW);		/* twice: nothing */
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_eq(count_events(SPS_EV_NOTIFY), 1);

	/* From a peer, taken: a report owed until the peer acks it. */
	in(s, FP_B, 5, 9, "bob", "w", ST_OK, 77);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	rid = done_id(77, ST_OK);
	ck_assert_uint_eq(sps_query(s, rid, NOW), ST_UNKNOWN_ID);
	nev = 0;
	sps_taken(s, rid, NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ev = last_event(SPS_EV_REPORT);
	ck_assert_mem_eq(ev->u.report.fp, FP_B, NC_SHA256_LEN);
	ck_assert_uint_eq(ev->u.report.inc, 5);
	ck_assert_uint_eq(ev->u.report.seq, 9);
	ck_assert_uint_eq(ev->u.report.status, ST_OK);
	ck_assert_uint_eq(count_events(SPS_EV_NOTIFY), 0);
	/* A refusal: kept with no payload, final and owed at once. */
	nev = 0;
	in(s, FP_B, 5, 10, "nobody", "v", ST_REJECTED, 78);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	refid = done_id(78, ST_OK);
	ck_assert_uint_ne(refid, 0);
	ev = last_event(SPS_EV_REPORT);
	ck_assert_uint_eq(ev->u.report.seq, 10);
	ck_assert_uint_eq(ev->u.report.status, ST_REJECTED);
	fetch_box(s, "nobody", 0, &end);
	ck_assert_uint_eq(end.count, 0);
	nev = 0;
	sps_report_fetch(s, FP_B);
	ck_assert_uint_eq(count_events(SPS_EV_REPORT), 2);
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.fp, FP_B, NC_SHA256_LEN);
	rep.inc = 5;
	rep.seq = 9;
	sps_reported(s, &rep);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	nev = 0;
	sps_report_fetch(s, FP_B);
	ck_assert_uint_eq(count_events(SPS_EV_REPORT), 1);
	ck_assert_uint_eq(evs[0].u.report.seq, 10);
	ck_assert_uint_eq(sps_query(s, 12345, NOW), ST_UNKNOWN_ID);
	sps_close(s);
}
END_TEST

/* Lifetimes end: queued ones expire; at-peer ones are forgotten later. */
START_TEST(test_expiry)
{
	struct spoolstore	*s;
	const struct sps_event	*ev;
	uint64_t		 a, b, c;

	fresh();
	s = store_open(NOW);
	put(s, 0, FP_A, "alice", "bob", "a", 10, 1);
	put(s, 0, FP_A, "alice", "bob", "b", 10, 2);
	put(s, 1, NULL, "alice", "bob", "c", 20, 3);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	a = done_id(1, ST_OK);
	b = done_id(2, ST_OK);
	c = done_id(3, ST_OK);
	result(s, FP_A, 2, ST_OK, 0);
	nev = 0;
	sps_expire(s, NOW + 9);
	ck_assert_int_eq(sps_pending(s), 0);
	sps_expire(s, NOW + 10);
	ck_assert_int_eq(sps_commit(s, NOW + 10), 0);
	ck_assert_uint_eq(count_events(SPS_EV_NOTIFY), 1);
	ev = last_event(SPS_EV_NOTIFY);
	ck_assert_uint_eq(ev->u.notify.id, a);
	ck_assert_uint_eq(ev->u.notify.status, ST_EXPIRED);
	ck_assert_uint_eq(sps_query(s, a, NOW + 10), ST_EXPIRED);
	ck_assert_uint_eq(sps_query(s, b, NOW + 10), ST_AT_PEER);
	sps_expire(s, NOW + 20);
	ck_assert_int_eq(sps_commit(s, NOW + 20), 0);
	ck_assert_uint_eq(sps_query(s, c, NOW + 20), ST_EXPIRED);
	/* A day after its end: the status and the at-peer entry go. */
	sps_expire(s, NOW + 10 + SPS_RETAIN_SECS);
	ck_assert_int_eq(sps_commit(s, NOW + 10 + SPS_RETAIN_SECS), 0);
	ck_assert_uint_eq(sps_query(s, a, NOW), ST_UNKNOWN_ID);
	ck_assert_uint_eq(sps_query(s, b, NOW), ST_UNKNOWN_ID);
	ck_assert_uint_eq(sps_query(s, c, NOW), ST_EXPIRED);
	sps_close(s);
}
END_TEST

/* Each limit at its bound: the last that fits, then the first refused. */
START_TEST(test_limits)
{
	struct spoolstore	*s;
	struct sp_mailbox_rule	 r[3];
	size_t			 one = SPOOLREC_SIZE(SPS_MSG_FIXED + 5 + 3 + 4);
	uint64_t		 id;

	fresh();
	s = store_open(NOW);
	/* total: exactly two messages */
	limits(s, 2 * one, 0, NULL, 0);
	put1(s, 0, FP_A, "bob", "1234", ST_OK);
	put1(s, 1, NULL, "bob", "1234", ST_OK);
	put1(s, 0, FP_B, "bob", "1234", ST_SPOOL_FULL);
	put1(s, 0, FP_B, "bob", "", ST_SPOOL_FULL);
	sps_close(s);

	fresh();
	s = store_open(NOW);
	/* per peer: two each */
	limits(s, 0, 2 * one, NULL, 0);
	put1(s, 0, FP_A, "bob", "1234", ST_OK);
	id = put1(s, 0, FP_A, "bob", "1234", ST_OK);
	put1(s, 0, FP_A, "bob", "1234", ST_SPOOL_FULL);
	put1(s, 0, FP_B, "bob", "1234", ST_OK);
	/* room again once one is final */
	result(s, FP_A, 2, ST_OK, 1);
	ck_assert_uint_eq(sps_query(s, id, NOW), ST_OK);
	put1(s, 0, FP_A, "bob", "1234", ST_OK);
	sps_close(s);

	fresh();
	s = store_open(NOW);
	memset(r, 0, sizeof(r));
	snprintf(r[0].pattern, sizeof(r[0].pattern), "svc-*");
	r[0].none = 1;
	snprintf(r[1].pattern, sizeof(r[1].pattern), "bob");
	r[1].max_bytes = 3 * one;
	r[1].max_count = 100;
	snprintf(r[2].pattern, sizeof(r[2].pattern), "b*");
	r[2].max_bytes = 1000000;
	r[2].max_count = 2;
	limits(s, 0, 0, r, 3);
	put1(s, 1, NULL, "svc-x", "1234", ST_NO_SUCH_SESSION);
	put1(s, 1, NULL, "bob", "1234", ST_OK);
	put1(s, 1, NULL, "bob", "1234", ST_OK);
	put1(s, 1, NULL, "bob", "1234", ST_OK);
	put1(s, 1, NULL, "bob", "1234", ST_SPOOL_FULL);	/* bytes */
	put1(s, 1, NULL, "bax", "1234", ST_OK);
	put1(s, 1, NULL, "bax", "1234", ST_OK);
	put1(s, 1, NULL, "bax", "1234", ST_SPOOL_FULL);	/* count */
	put1(s, 1, NULL, "carol", "1234", ST_OK);	/* the default */
	/* A peer's message to a name without a mailbox: a refusal. */
	nev = 0;
	in(s, FP_A, 1, 1, "svc-y", "1234", ST_OK, 9);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	done_id(9, ST_OK);
	ck_assert_uint_eq(last_event(SPS_EV_REPORT)->u.report.status,
	    ST_NO_SUCH_SESSION);
	/* Full: refused, high not raised, later seqs wait for it. */
	in(s, FP_A, 1, 2, "bax", "1234", ST_OK, 10);
	in(s, FP_A, 1, 3, "carol", "1234", ST_OK, 11);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	done_id(10, ST_SPOOL_FULL);
	done_id(11, ST_SPOOL_FULL);
	r[2].max_count = 3;
	limits(s, 0, 0, r, 3);
	in(s, FP_A, 1, 2, "bax", "1234", ST_OK, 12);
	in(s, FP_A, 1, 3, "carol", "1234", ST_OK, 13);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_ne(done_id(12, ST_OK), 0);
	ck_assert_uint_eq(evs[nev - 2].u.done.dup, 0);
	ck_assert_uint_ne(done_id(13, ST_OK), 0);
	sps_close(s);
}
END_TEST

/* A failed append: the puts in it refused, the store goes on. */
START_TEST(test_append_failure)
{
	struct spoolstore	*s;
	struct sps_seg		*cur;
	struct sp_fetch_end	 end;
	uint64_t		 id;
	char			 name[64];
	int			 fd;

	fresh();
	s = store_open(NOW);
	id = put1(s, 0, FP_A, "bob", "kept", ST_OK);
	cur = TAILQ_LAST(&s->segs, sps_seglist);
	snprintf(name, sizeof(name), "seg.%016llx", (unsigned long long)cur->no);
	fd = openat(dfd, name, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dup2(fd, cur->sg.fd), 0);	/* writes now fail */
	close(fd);
	put(s, 0, FP_A, "alice", "bob", "lost", 60, 5);
	in(s, FP_B, 3, 1, "bob", "lost", ST_OK, 6);
	{
		struct sp_result r;
		memset(&r, 0, sizeof(r));
		memcpy(r.fp, FP_A, NC_SHA256_LEN);
		r.inc = sps_incarnation(s);
		r.seq = 1;
		sps_out_result(s, &r, NOW);
	}
	ck_assert_int_eq(sps_commit(s, NOW), -1);	/* and goes on */
	done_id(5, ST_SPOOL_FULL);
	done_id(6, ST_SPOOL_FULL);
	ck_assert_uint_eq(count_events(SPS_EV_RESULT_DONE), 1);
	ck_assert_uint_eq(sps_query(s, id, NOW), ST_AT_PEER);
	/* The refused seq 1 of FP_B is not a duplicate later. */
	in(s, FP_B, 3, 1, "bob", "again", ST_OK, 7);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_ne(done_id(7, ST_OK), 0);
	ck_assert_uint_eq(evs[nev - 1].u.done.dup, 0);
	/* Its seq is never used again: the next one is 3. */
	put1(s, 0, FP_A, "bob", "next", ST_OK);
	sps_close(s);
	nev = 0;
	s = store_open(NOW);
	ck_assert_uint_eq(sps_query(s, id, NOW), ST_AT_PEER);
	fetch_out(s, FP_A, 0, 10, 100000, &end);
	ck_assert_uint_eq(end.count, 1);
	ck_assert_uint_eq(got[0].e.seq, 3);
	ck_assert_mem_eq(got[0].payload, "next", 4);
	sps_close(s);
}
END_TEST

/*
 * What is synced: "at the peer" alone is appended without an fdatasync
 * (a crash only sends the entry again); puts and final results are
 * synced, and a batch holding both kinds is synced once.
 */
START_TEST(test_syncs)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	struct sps_stats	 a, b;
	uint64_t		 id[3], seq[3];
	size_t			 i;

	fresh();
	s = store_open(NOW);
	sps_get_stats(s, &a);
	id[0] = put1(s, 0, FP_A, "bob", "one", ST_OK);
	sps_get_stats(s, &b);
	ck_assert_uint_eq(b.appends, a.appends + 1);
	ck_assert_uint_eq(b.syncs, a.syncs + 1);
	id[1] = put1(s, 0, FP_A, "bob", "two", ST_OK);
	id[2] = put1(s, 0, FP_A, "bob", "three", ST_OK);
	fetch_out(s, FP_A, 0, 10, 100000, &end);
	ck_assert_uint_eq(end.count, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(got[i].e.id, id[i]);
		seq[i] = got[i].e.seq;
	}
	/* A batch of only "at the peer": appended, not synced. */
	sps_get_stats(s, &a);
	result(s, FP_A, seq[0], ST_OK, 0);
	sps_get_stats(s, &b);
	ck_assert_uint_eq(b.appends, a.appends + 1);
	ck_assert_uint_eq(b.syncs, a.syncs);
	ck_assert_uint_eq(sps_query(s, id[0], NOW), ST_AT_PEER);
	/* A final result: synced. */
	result(s, FP_A, seq[1], ST_OK, 1);
	sps_get_stats(s, &a);
	ck_assert_uint_eq(a.appends, b.appends + 1);
	ck_assert_uint_eq(a.syncs, b.syncs + 1);
	/* A put and "at the peer" in one batch: one append, one sync. */
	put(s, 0, FP_A, "alice", "bob", "four", 3600, 70);
	result(s, FP_A, seq[2], ST_OK, 0);
	ck_assert_uint_ne(done_id(70, ST_OK), 0);
	sps_get_stats(s, &b);
	ck_assert_uint_eq(b.appends, a.appends + 1);
	ck_assert_uint_eq(b.syncs, a.syncs + 1);
	sps_close(s);
	/* The unsynced "at the peer" was written: a clean reopen has it. */
	nev = 0;
	s = store_open(NOW);
	ck_assert_uint_eq(sps_query(s, id[0], NOW), ST_AT_PEER);
	ck_assert_uint_eq(sps_query(s, id[1], NOW), ST_OK);
	ck_assert_uint_eq(sps_query(s, id[2], NOW), ST_AT_PEER);
	sps_close(s);
}
END_TEST

static Suite *
spoolstore_suite(void)
{
	Suite	*s = suite_create("spoolstore");
	TCase	*tc = tcase_create("engine");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_dedup);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_append_failure);
	tcase_add_test(tc, test_syncs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(spoolstore_suite());
}
