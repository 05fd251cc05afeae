/*
 * Unit tests for libnetcrypt's receiving of files, without a daemon:
 * offers, data and ENDs written by the test (playing the daemon and the
 * sender, libfake.h) into a session that receives into a temporary
 * directory: hostile names, checksums, sizes, chunks out of order, no
 * overwriting, the bounds on transfers at once and idle ones, the rules
 * on names, size, free space and senders, and stale temporary files.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libfake.h"

/* ---- receiving files -------------------------------------------------- */

START_TEST(test_file_evil_names)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} evil[] = {
		{ "../x", 4 }, { "/etc/passwd", 11 }, { "a/b", 3 },
		{ ".", 1 }, { "..", 2 }, { "", 0 }, { "x\ny", 3 },
		{ "\x7f", 1 }, { "a\0b", 3 }, { "tab\tx", 5 }, { "x/", 2 },
		{ "..\\..\\x/y", 9 }, { "\x1b[2J", 4 }, { NULL, 256 },
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN], longname[300];
	const void		*name;
	size_t			 i;
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	sha256("x", 1, sha);
	memset(longname, 'a', sizeof(longname));
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		name = evil[i].name != NULL ? (const void *)evil[i].name :
		    longname;
		put_offer(d, "alice@hostb", 100 + i, 1, sha, name,
		    evil[i].len);
		put_data(d, "alice@hostb", 100 + i, 0, "x", 1);
		put_end(d, "alice@hostb", 100 + i);
		next_ev(s, &ev);
		ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
		ck_assert_int_eq(ev.status, NC_REJECTED);
		ck_assert_str_eq(ev.from, "alice@hostb");
		/* One answer: the END of a refused offer gets none. */
		expect_result(d, "alice@hostb", 100 + i, NC_REJECTED);
		ck_assert(nothing_to_read(d));
		ck_assert_int_eq(count_entries(odir), 0);
		ck_assert_int_eq(count_entries(tdir), 1);
	}
	/* 255 bytes is the longest name: accepted. */
	put_offer(d, "alice@hostb", 1, 1, sha, longname, 255);
	put_data(d, "alice@hostb", 1, 0, "x", 1);
	put_end(d, "alice@hostb", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	ck_assert_uint_eq(strlen(ev.name), 255);
	expect_result(d, "alice@hostb", 1, NC_OK);
	ck_assert_int_eq(count_entries(odir), 1);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_ok)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	const char		*text = "hello, file\n";
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	sha256(text, strlen(text), sha);
	put_offer(d, "alice", 7, strlen(text), sha, "hello.txt", 9);
	put_data(d, "alice", 7, 0, text, 5);
	put_data(d, "alice", 7, 5, text + 5, strlen(text) - 5);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	/* Only the temporary file so far. */
	ck_assert_int_eq(count_entries(odir), 1);
	put_end(d, "alice", 7);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	ck_assert_str_eq(ev.name, "hello.txt");
	ck_assert_str_eq(ev.from, "alice");
	ck_assert(ev.size == strlen(text));
	expect_result(d, "alice", 7, NC_OK);
	check_file(odir, "hello.txt", text, strlen(text));
	ck_assert_int_eq(count_entries(odir), 1);

	/* A resent END gets the same answer again. */
	put_end(d, "alice", 7);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	expect_result(d, "alice", 7, NC_OK);

	/* An empty file. */
	sha256("", 0, sha);
	put_offer(d, "alice", 8, 0, sha, "empty", 5);
	put_end(d, "alice", 8);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, "alice", 8, NC_OK);
	check_file(odir, "empty", "", 0);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_corrupt)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);

	/* Wrong checksum. */
	sha256("abcd", 4, sha);
	put_offer(d, "alice", 1, 4, sha, "f", 1);
	put_data(d, "alice", 1, 0, "abce", 4);
	put_end(d, "alice", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	ck_assert_str_eq(ev.name, "f");
	expect_result(d, "alice", 1, NC_FILE_CORRUPT);
	ck_assert_int_eq(count_entries(odir), 0);

	/* Too short. */
	put_offer(d, "alice", 2, 4, sha, "f", 1);
	put_data(d, "alice", 2, 0, "abc", 3);
	put_end(d, "alice", 2);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	expect_result(d, "alice", 2, NC_FILE_CORRUPT);
	ck_assert_int_eq(count_entries(odir), 0);

	/* More than offered: refused at once. */
	put_offer(d, "alice", 3, 4, sha, "f", 1);
	put_data(d, "alice", 3, 0, "abcde", 5);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	expect_result(d, "alice", 3, NC_FILE_CORRUPT);
	ck_assert_int_eq(count_entries(odir), 0);

	/* Another session cannot feed someone else's transfer. */
	put_offer(d, "alice", 4, 4, sha, "f", 1);
	put_data(d, "mallory", 4, 0, "abce", 4);
	put_end(d, "mallory", 4);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	ck_assert(nothing_to_read(d));
	put_data(d, "alice", 4, 0, "abcd", 4);
	put_end(d, "alice", 4);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, "alice", 4, NC_OK);
	check_file(odir, "f", "abcd", 4);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_no_overwrite)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	char			 path[256], target[256];
	int			 d, i;

	mk_dirs();
	(void)snprintf(path, sizeof(path), "%s/a.txt", odir);
	write_file(path, "old", 3);
	/* A symlink in the way is not followed either. */
	(void)snprintf(target, sizeof(target), "%s/target", tdir);
	(void)snprintf(path, sizeof(path), "%s/link", odir);
	ck_assert_int_eq(symlink(target, path), 0);
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	sha256("new", 3, sha);
	for (i = 1; i <= 3; i++) {
		put_offer(d, "alice", (uint64_t)i, 3, sha,
		    i < 3 ? "a.txt" : "link", i < 3 ? 5 : 4);
		put_data(d, "alice", (uint64_t)i, 0, "new", 3);
		put_end(d, "alice", (uint64_t)i);
		next_ev(s, &ev);
		ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
		ck_assert_str_eq(ev.name, i == 1 ? "a.txt.1" :
		    i == 2 ? "a.txt.2" : "link.1");
		expect_result(d, "alice", (uint64_t)i, NC_OK);
	}
	check_file(odir, "a.txt.1", "new", 3);
	check_file(odir, "a.txt.2", "new", 3);
	check_file(odir, "link.1", "new", 3);
	ck_assert_int_eq(access(target, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/a.txt", odir);
	ck_assert_int_eq(chmod(path, 0600), 0);
	check_file(odir, "a.txt", "old", 3);
	ck_assert_int_eq(count_entries(odir), 5);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_gaps)
{
	/* Chunks of 100 bytes, as go-back-N may deliver them. */
	static const int	 order[] = {
		0, 2, 1, 1, 3, 2, 0, 3, 4, 6, 5, 4, 6, 7, 9, 8, 9
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 data[950], sha[NC__SHA_LEN];
	size_t			 i, off, n;
	int			 d;

	mk_dirs();
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	sha256(data, sizeof(data), sha);
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	put_offer(d, "alice@hostb", 9, sizeof(data), sha, "g.bin", 5);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		off = (size_t)order[i] * 100;
		n = off + 100 > sizeof(data) ? sizeof(data) - off : 100;
		put_data(d, "alice@hostb", 9, off, data + off, n);
		ck_assert_int_eq(nc_next(s, &ev, 0), 0);
	}
	put_end(d, "alice@hostb", 9);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, "alice@hostb", 9, NC_OK);
	check_file(odir, "g.bin", data, sizeof(data));
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_refused_and_limits)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	int			 d, i;

	mk_dirs();
	sha256("x", 1, sha);
	s = mk_session(&d, "bob");
	/* Not receiving files: offers are refused. */
	put_offer(d, "alice", 1, 1, sha, "x", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_REJECTED);
	ck_assert_str_eq(ev.name, "x");
	expect_result(d, "alice", 1, NC_REJECTED);

	/* At most NC__RX_MAX at once; a resent offer is not a new one. */
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	for (i = 0; i < NC__RX_MAX; i++)
		put_offer(d, "alice", 10 + (uint64_t)i, 1, sha, "x", 1);
	put_offer(d, "alice", 10, 1, sha, "x", 1);
	put_offer(d, "alice", 99, 1, sha, "x", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_BUSY);
	expect_result(d, "alice", 99, NC_BUSY);
	ck_assert_int_eq(count_entries(odir), NC__RX_MAX);

	/* Idle transfers expire, and take their temporary files along. */
	s->rx_idle_ms = 50;
	for (i = 0; i < NC__RX_MAX; i++) {
		next_ev(s, &ev);
		ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
		ck_assert_int_eq(ev.status, NC_TIMEOUT);
		expect_result(d, "alice", 10 + (uint64_t)i, NC_TIMEOUT);
	}
	ck_assert_int_eq(count_entries(odir), 0);

	/* Another directory, or closing: what was coming in is refused. */
	put_offer(d, "alice", 200, 1, sha, "x", 1);
	ck_assert_int_eq(nc_next(s, &ev, 20), 0);
	ck_assert_int_eq(count_entries(odir), 1);
	ck_assert_int_eq(nc_receive_files(s, tdir), 0);
	ck_assert_int_eq(count_entries(odir), 0);
	expect_result(d, "alice", 200, NC_REJECTED);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	put_offer(d, "alice", 201, 1, sha, "x", 1);
	ck_assert_int_eq(nc_next(s, &ev, 20), 0);
	ck_assert_int_eq(count_entries(tdir), 2);
	nc_close(s);
	ck_assert_int_eq(count_entries(tdir), 1);
	expect_result(d, "alice", 201, NC_REJECTED);
	(void)close(d);
	rm_dirs();
}
END_TEST

/* An offer of size bytes from from, refused with status: nothing made. */
static void
expect_refused(struct nc_session *s, int d, const char *from, uint64_t xfer,
    uint64_t size, const char *name, int status)
{
	struct nc_event	ev;
	uint8_t		sha[NC__SHA_LEN];
	int		before = count_entries(odir);

	sha256("x", 1, sha);
	put_offer(d, from, xfer, size, sha, name, strlen(name));
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, status);
	expect_result(d, from, xfer, status);
	ck_assert_int_eq(count_entries(odir), before);
}

/* A one-byte file from from, saved. */
static void
expect_saved(struct nc_session *s, int d, const char *from, uint64_t xfer,
    const char *name)
{
	struct nc_event	ev;
	uint8_t		sha[NC__SHA_LEN];

	sha256("x", 1, sha);
	put_offer(d, from, xfer, 1, sha, name, strlen(name));
	put_data(d, from, xfer, 0, "x", 1);
	put_end(d, from, xfer);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, from, xfer, NC_OK);
}

/* Names, size, free space and senders: judged before anything is made. */
START_TEST(test_file_receiver_rules)
{
	static const char *const from[] = { "carol@hostb", "d?ve", "*@hostc" };
	static const char *const bad[] = { "a@b@c" };
	struct nc_session	*s;
	struct statvfs		 sv;
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	expect_refused(s, d, "alice", 1, 1, ".profile", NC_REJECTED);
	expect_refused(s, d, "alice", 2, 1, "-rf", NC_REJECTED);
	/* The default maximum, then one of 10 bytes. */
	expect_refused(s, d, "alice", 3, NC_DEFAULT_MAX_FILE + 1, "big",
	    NC_TOO_LARGE);
	ck_assert_int_eq(nc_receive_limits(s, 10, 0), 0);
	expect_refused(s, d, "alice", 4, 11, "eleven", NC_TOO_LARGE);
	/* More than the file system has: never, whatever the minimum. */
	ck_assert_int_eq(statvfs(odir, &sv), 0);
	ck_assert_int_eq(nc_receive_limits(s, 0, 0), 0);
	expect_refused(s, d, "alice", 5, (uint64_t)sv.f_bavail *
	    sv.f_frsize + 1, "huge", NC_FILE_NO_SPACE);
	ck_assert_int_eq(nc_receive_limits(s, 10, 5), 0);
	expect_saved(s, d, "alice", 6, "one");
	/* Senders. */
	ck_assert_int_eq(nc_receive_from(s, from, 3), 0);
	expect_refused(s, d, "alice", 7, 1, "two", NC_REJECTED);
	expect_refused(s, d, "carol", 8, 1, "two", NC_REJECTED);
	expect_refused(s, d, "dave@hostb", 9, 1, "two", NC_REJECTED);
	ck_assert_int_eq(count_entries(odir), 1);
	expect_saved(s, d, "carol@hostb", 10, "c");
	expect_saved(s, d, "dave", 11, "d");
	expect_saved(s, d, "eve@hostc", 12, "e");
	ck_assert_int_eq(count_entries(odir), 4);
	ck_assert_int_eq(nc_receive_from(s, NULL, 0), 0);
	expect_saved(s, d, "alice", 13, "a");
	/* Bad arguments change nothing. */
	ck_assert_int_eq(nc_receive_from(s, bad, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_receive_from(s, from, NC__FROM_PATS_MAX + 1), -1);
	ck_assert_int_eq(nc_receive_limits(s, 1, 100), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_saved(s, d, "zed", 14, "z");
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

/* nc__space_ok(): every boundary, and no overflow. */
START_TEST(test_space_rule)
{
	/* 1000 blocks of 4096, 100 available: 5% is 50 blocks. */
	ck_assert(nc__space_ok(0, 0, 100, 1000, 4096, 5));
	ck_assert(nc__space_ok(50 * 4096, 0, 100, 1000, 4096, 5));
	ck_assert(!nc__space_ok(50 * 4096 + 1, 0, 100, 1000, 4096, 5));
	ck_assert(!nc__space_ok(25 * 4096, 25 * 4096 + 1, 100, 1000, 4096,
	    5));
	ck_assert(nc__space_ok(100 * 4096, 0, 100, 1000, 4096, 0));
	ck_assert(!nc__space_ok(100 * 4096 + 1, 0, 100, 1000, 4096, 0));
	/* 99 blocks: 5% of them is 4.95, taken as 4. */
	ck_assert(nc__space_ok(95 * 4096, 0, 99, 99, 4096, 5));
	ck_assert(!nc__space_ok(96 * 4096, 0, 99, 99, 4096, 5));
	/* Huge numbers. */
	ck_assert(!nc__space_ok(UINT64_MAX, UINT64_MAX, UINT64_MAX,
	    UINT64_MAX, 1, 5));
	ck_assert(!nc__space_ok(UINT64_MAX, 0, UINT64_MAX, UINT64_MAX, 1, 5));
	ck_assert(nc__space_ok(1, 0, UINT64_MAX, UINT64_MAX, 1, 99));
	ck_assert(!nc__space_ok(1, 0, 10, 10, 0, 0));
}
END_TEST

/* Leftovers of an interrupted receive go; nothing else does. */
START_TEST(test_file_stale_tmp)
{
	static const char *const keep[] = { ".nc-0123456789AB", ".nc-short",
	    "keep", ".nc-0123456789abc" };
	struct nc_session	*s;
	char			 path[256];
	size_t			 i;
	int			 d, held;

	mk_dirs();
	ck_assert(nc__stale_tmp_name(".nc-0123456789ab"));
	ck_assert(!nc__stale_tmp_name(".nc-0123456789aB"));
	ck_assert(!nc__stale_tmp_name("x.nc-0123456789ab"));
	(void)snprintf(path, sizeof(path), "%s/.nc-0123456789ab", odir);
	write_file(path, "stale", 5);
	/* One that a live receiver still holds. */
	(void)snprintf(path, sizeof(path), "%s/.nc-aaaaaaaaaaaa", odir);
	write_file(path, "live", 4);
	ck_assert_int_ne(held = open(path, O_RDONLY), -1);
	ck_assert_int_eq(flock(held, LOCK_EX), 0);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", odir, keep[i]);
		write_file(path, "k", 1);
	}
	(void)snprintf(path, sizeof(path), "%s/.nc-bbbbbbbbbbbb", odir);
	ck_assert_int_eq(symlink("keep", path), 0);
	(void)snprintf(path, sizeof(path), "%s/.nc-cccccccccccc", odir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	ck_assert_int_eq(faccessat(AT_FDCWD, path, F_OK, 0), 0);
	(void)rmdir(path);
	(void)snprintf(path, sizeof(path), "%s/.nc-0123456789ab", odir);
	ck_assert_int_eq(faccessat(AT_FDCWD, path, F_OK, 0), -1);
	ck_assert_int_eq(count_entries(odir), 6);
	/* Once its receiver is gone, the held one goes too. */
	(void)close(held);
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	ck_assert_int_eq(count_entries(odir), 5);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

static Suite *
libfiles_suite(void)
{
	Suite	*s = suite_create("libnetcrypt receive files");
	TCase	*tc;

	tc = tcase_create("files");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_file_evil_names);
	tcase_add_test(tc, test_file_ok);
	tcase_add_test(tc, test_file_corrupt);
	tcase_add_test(tc, test_file_no_overwrite);
	tcase_add_test(tc, test_file_gaps);
	tcase_add_test(tc, test_file_refused_and_limits);
	tcase_add_test(tc, test_file_receiver_rules);
	tcase_add_test(tc, test_space_rule);
	tcase_add_test(tc, test_file_stale_tmp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return libfake_run(libfiles_suite());
}
