/*
 * Unit tests for the spool store's recovery (spoolrecover.c, spooldisk.c,
 * doc/SPOOL.md 8 to 13), on real files in a temporary directory: restart,
 * a cut checkpoint, torn tails and flipped bytes, rotation with
 * checkpoints and dead segments removed.  The fixtures are in storefix.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "spoolstore_int.h"
#include "storefix.h"
#include "unitrun.h"

/* Stop and start: everything comes back, counters go on. */
START_TEST(test_restart)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	uint64_t		 inc, ids[6], fin, rid;

	fresh();
	s = store_open(NOW);
	inc = sps_incarnation(s);
	ck_assert_uint_ne(inc, 0);
	ids[0] = put1(s, 0, FP_A, "bob", "a1", ST_OK);
	ids[1] = put1(s, 0, FP_A, "bob", "a2", ST_OK);
	ids[2] = put1(s, 0, FP_A, "bob", "a3", ST_OK);
	ids[3] = put1(s, 1, NULL, "bob", "b1", ST_OK);
	ids[4] = put1(s, 1, NULL, "bob", "b2", ST_OK);
	fin = put1(s, 1, NULL, "bob", "b3", ST_OK);
	result(s, FP_A, 2, ST_OK, 0);
	sps_taken(s, fin, NOW);
	in(s, FP_B, 4, 6, "bob", "r1", ST_OK, 50);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	rid = done_id(50, ST_OK);
	sps_taken(s, rid, NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	sps_close(s);

	nev = 0;
	s = store_open(NOW + 5);
	ck_assert_uint_eq(sps_incarnation(s), inc);
	ck_assert_uint_eq(sps_query(s, ids[0], NOW), ST_QUEUED);
	ck_assert_uint_eq(sps_query(s, ids[1], NOW), ST_AT_PEER);
	ck_assert_uint_eq(sps_query(s, fin, NOW), ST_OK);
	fetch_out(s, FP_A, 0, 10, 100000, &end);
	ck_assert_uint_eq(end.count, 2);
	ck_assert_uint_eq(got[0].e.id, ids[0]);
	ck_assert_uint_eq(got[1].e.id, ids[2]);
	ck_assert_uint_eq(got[1].e.seq, 3);
	fetch_box(s, "bob", 0, &end);
	ck_assert_uint_eq(end.count, 2);
	ck_assert_uint_eq(got[0].e.id, ids[3]);
	ck_assert_uint_eq(got[1].e.id, ids[4]);
	ck_assert_mem_eq(got[1].payload, "b2", 2);
	/* Counters go on; the origin's high and the owed report stay. */
	put1(s, 0, FP_A, "bob", "a4", ST_OK);
	fetch_out(s, FP_A, 3, 10, 100000, &end);
	ck_assert_uint_eq(got[0].e.seq, 4);
	in(s, FP_B, 4, 6, "bob", "r1", ST_OK, 51);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	done_id(51, ST_OK);
	ck_assert_uint_eq(evs[nev - 1].u.done.dup, 1);
	nev = 0;
	sps_report_fetch(s, FP_B);
	ck_assert_uint_eq(count_events(SPS_EV_REPORT), 1);
	ck_assert_uint_eq(evs[0].u.report.seq, 6);
	/* Box positions go on after the ones kept. */
	put1(s, 1, NULL, "bob", "b4", ST_OK);
	fetch_box(s, "bob", 0, &end);
	ck_assert_uint_eq(end.count, 3);
	ck_assert_uint_gt(got[2].e.seq, got[1].e.seq);
	sps_close(s);
}
END_TEST

static void newest_segment(char *, size_t);

/*
 * A crash while a new segment's checkpoint was written: that checkpoint
 * is ignored whole, and what the older segments say stands.
 */
START_TEST(test_cut_checkpoint)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	uint64_t		 out, box, fin, rid;
	char			 name[64];
	int			 fd;
	struct stat		 st;

	fresh();
	s = store_open(NOW);
	out = put1(s, 0, FP_A, "bob", "o", ST_OK);
	box = put1(s, 1, NULL, "bob", "b", ST_OK);
	fin = put1(s, 1, NULL, "bob", "f", ST_OK);
	sps_taken(s, fin, NOW);
	in(s, FP_B, 4, 6, "bob", "r", ST_OK, 60);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	rid = done_id(60, ST_OK);
	sps_close(s);
	/* A start: its new segment holds only the checkpoint.  Cut it. */
	s = store_open(NOW);
	sps_close(s);
	newest_segment(name, sizeof(name));
	fd = openat(dfd, name, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(ftruncate(fd, st.st_size - 10), 0);
	close(fd);
	nev = 0;
	s = store_open(NOW);
	ck_assert_uint_eq(sps_query(s, out, NOW), ST_QUEUED);
	ck_assert_uint_eq(sps_query(s, box, NOW), ST_QUEUED);
	ck_assert_uint_eq(sps_query(s, fin, NOW), ST_OK);
	fetch_box(s, "bob", 0, &end);
	ck_assert_uint_eq(end.count, 2);
	ck_assert_uint_eq(got[1].e.id, rid);
	in(s, FP_B, 4, 6, "bob", "r", ST_OK, 61);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	done_id(61, ST_OK);
	ck_assert_uint_eq(evs[nev - 1].u.done.dup, 1);
	sps_close(s);
}
END_TEST

/* The newest segment file (the highest number). */
static void
newest_segment(char *name, size_t sz)
{
	DIR		*d;
	struct dirent	*e;
	int		 fd = dup(dfd);

	name[0] = '\0';
	d = fdopendir(fd);
	ck_assert_ptr_nonnull(d);
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "seg.", 4) == 0 &&
		    strcmp(e->d_name, name) > 0)
			(void)snprintf(name, sz, "%.63s", e->d_name);
	closedir(d);
	ck_assert_int_ne(name[0], '\0');
}

static off_t
file_size(const char *name)
{
	struct stat	st;

	ck_assert_int_eq(fstatat(dfd, name, &st, 0), 0);
	return st.st_size;
}

/* Five mailbox entries, each in a commit of its own; the store closed. */
static void
five(uint64_t ids[5], off_t ends[5])
{
	struct spoolstore	*s;
	char			 name[64], text[16];
	size_t			 i;

	fresh();
	s = store_open(NOW);
	newest_segment(name, sizeof(name));
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "payload-%zu", i);
		ids[i] = put1(s, 1, NULL, "bob", text, ST_OK);
		ends[i] = file_size(name);
	}
	sps_close(s);
}

/* The last segment cut inside its last record: the other four remain. */
START_TEST(test_torn_tail)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	struct sps_damage	 dmg[SPS_MAX_DAMAGE];
	uint64_t		 ids[5];
	off_t			 ends[5], cut;
	char			 name[64];
	int			 fd;
	size_t			 i;

	for (cut = 1; cut < 140; cut += 7) {
		five(ids, ends);
		if (ends[3] + cut >= ends[4])
			break;
		newest_segment(name, sizeof(name));
		fd = openat(dfd, name, O_WRONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, ends[3] + cut), 0);
		close(fd);
		nev = 0;
		s = store_open(NOW);
		fetch_box(s, "bob", 0, &end);
		ck_assert_uint_eq(end.count, 4);
		for (i = 0; i < 4; i++)
			ck_assert_uint_eq(got[i].e.id, ids[i]);
		ck_assert_uint_eq(sps_query(s, ids[4], NOW), ST_UNKNOWN_ID);
		ck_assert_uint_ge(sps_damage(s, dmg, SPS_MAX_DAMAGE), 1);
		ck_assert_uint_eq(dmg[0].off, (uint64_t)ends[3]);
		sps_close(s);
	}
	ck_assert_int_gt(cut, 100);
}
END_TEST

/* A byte flipped inside the third entry: it alone is lost, and said so. */
START_TEST(test_flipped)
{
	struct spoolstore	*s;
	struct sp_fetch_end	 end;
	struct sps_damage	 dmg[SPS_MAX_DAMAGE];
	struct sps_stats	 st;
	uint64_t		 ids[5];
	off_t			 ends[5], at;
	char			 name[64];
	uint8_t			 c;
	int			 fd, k;

	for (k = 0; k < 3; k++) {
		five(ids, ends);
		newest_segment(name, sizeof(name));
		fd = openat(dfd, name, O_RDWR);
		ck_assert_int_ge(fd, 0);
		/* The header, the body, the trailer of the third record. */
		at = k == 0 ? ends[1] + 9 : k == 1 ?
		    ends[1] + (ends[2] - ends[1]) / 2 : ends[2] - 2;
		ck_assert_int_eq(pread(fd, &c, 1, at), 1);
		c ^= 0x20;
		ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
		close(fd);
		nev = 0;
		s = store_open(NOW);
		fetch_box(s, "bob", 0, &end);
		ck_assert_uint_eq(end.count, 4);
		ck_assert_uint_eq(got[0].e.id, ids[0]);
		ck_assert_uint_eq(got[1].e.id, ids[1]);
		ck_assert_uint_eq(got[2].e.id, ids[3]);
		ck_assert_uint_eq(got[3].e.id, ids[4]);
		ck_assert_uint_eq(sps_damage(s, dmg, SPS_MAX_DAMAGE), 1);
		ck_assert_uint_eq(dmg[0].off, (uint64_t)ends[1]);
		sps_get_stats(s, &st);
		ck_assert_uint_eq(st.damaged, 1);
		sps_close(s);
	}
}
END_TEST

/* Segments rotate with a checkpoint; dead ones go; all survives it. */
START_TEST(test_rotation)
{
	struct spoolstore	*s;
	struct sps_stats	 st;
	struct sp_fetch_end	 end;
	static char		 big[60001];
	uint64_t		 ids[320], inc;
	size_t			 i, n = 320, live;

	fresh();
	memset(big, 'q', sizeof(big) - 1);
	s = store_open(NOW);
	inc = sps_incarnation(s);
	for (i = 0; i < n; i++) {
		put(s, 1, NULL, "alice", "bob", big, 3600, i + 1);
		if (i % 40 == 39)
			ck_assert_int_eq(sps_commit(s, NOW), 0);
	}
	for (i = 0; i < n; i++)
		ids[i] = done_id(i + 1, ST_OK);
	sps_get_stats(s, &st);
	ck_assert_uint_eq(st.segments, 2);
	/*
	 * Everything in the first segment delivered: a new checkpoint, and
	 * it goes.
	 */
	for (i = 0; i < 280; i++)
		sps_taken(s, ids[i], NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	sps_get_stats(s, &st);
	ck_assert_uint_eq(st.segments, 2);
	ck_assert_uint_eq(st.unlinked, 1);
	live = st.live;
	ck_assert_uint_eq(live, 40);
	sps_close(s);

	s = store_open(NOW);
	ck_assert_uint_eq(sps_incarnation(s), inc);
	sps_get_stats(s, &st);
	ck_assert_uint_eq(st.live, live);
	ck_assert_uint_eq(st.damaged, 0);
	ck_assert_uint_eq(sps_query(s, ids[0], NOW), ST_OK);
	ck_assert_uint_eq(sps_query(s, ids[279], NOW), ST_OK);
	fetch_box(s, "bob", 0, &end);
	ck_assert_uint_eq(end.count, 40);
	for (i = 0; i < 40; i++)
		ck_assert_uint_eq(got[i].e.id, ids[280 + i]);
	ck_assert_uint_eq(got[0].len, sizeof(big) - 1);
	sps_close(s);
}
END_TEST

static Suite *
spoolrecov_suite(void)
{
	Suite	*s = suite_create("spoolrecov");
	TCase	*tc = tcase_create("recovery");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_flipped);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_cut_checkpoint);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(spoolrecov_suite());
}
