/*
 * Unit tests for the spool's segment files (spoolseg.c, doc/SPOOL.md), on
 * real files in a temporary directory: create, append and reopen; a file
 * cut at every offset of its last record, reopened, truncated and
 * appended to; a damaged middle record; a damaged segment header; the
 * size limit; and a segment whose writes fail, marked broken.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "spoolrec.h"
#include "spoolseg.h"
#include "unitrun.h"

#define KEEP	256	/* records and damage kept per open */

static const uint8_t	SALT[SPOOLREC_SALTLEN] = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x0f
};

static char	tmpdir[] = "/tmp/check_spoolseg.XXXXXX";
static int	dfd = -1;

/* What an open reported. */
struct seen {
	size_t	nrec;
	struct {
		size_t		off;
		uint8_t		kind;
		size_t		len;
		uint8_t		first;	/* the body's first byte, or 0 */
	} rec[KEEP];
	size_t	ndmg;
	struct {
		size_t			off;
		size_t			skip;
		enum spoolrec_damage	why;
	} dmg[KEEP];
};

static int
on_record(size_t off, uint8_t kind, const uint8_t *body, size_t len,
    void *arg)
{
	struct seen	*s = arg;

	if (s->nrec < KEEP) {
		s->rec[s->nrec].off = off;
		s->rec[s->nrec].kind = kind;
		s->rec[s->nrec].len = len;
		s->rec[s->nrec].first = len > 0 ? body[0] : 0;
	}
	s->nrec++;
	return 0;
}

static void
on_damage(size_t off, size_t skip, enum spoolrec_damage why, void *arg)
{
	struct seen	*s = arg;

	if (s->ndmg < KEEP) {
		s->dmg[s->ndmg].off = off;
		s->dmg[s->ndmg].skip = skip;
		s->dmg[s->ndmg].why = why;
	}
	s->ndmg++;
}

/* Unlink every file in the directory. */
static void
empty_dir(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 fd = dup(dfd);

	ck_assert_int_ge(fd, 0);
	d = fdopendir(fd);
	ck_assert_ptr_nonnull(d);
	rewinddir(d);		/* the dup shares dfd's offset */
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ck_assert_int_eq(unlinkat(dfd, e->d_name, 0), 0);
	closedir(d);
}

/*
 * One temporary directory for the test case, made and removed by the
 * parent; each test starts with it empty.
 */
static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
}

static void
teardown(void)
{
	empty_dir();
	close(dfd);
	dfd = -1;
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

/* Bodies: record i has i * 7 % 50 bytes, each of the value 'a' + i. */
static uint8_t	bodies[KEEP][50];

static struct spoolseg_rec
rec_i(size_t i)
{
	struct spoolseg_rec	r;

	memset(bodies[i], (int)('a' + i % 26), sizeof(bodies[i]));
	r.kind = (uint8_t)(1 + i % 3);
	r.body = bodies[i];
	r.len = i * 7 % 50;
	return r;
}

/* Append records from..to-1 in one call. */
static void
append_range(struct spoolseg *seg, size_t from, size_t to)
{
	struct spoolseg_rec	recs[KEEP];
	size_t			i;

	for (i = from; i < to; i++)
		recs[i - from] = rec_i(i);
	ck_assert_int_eq(spoolseg_append(seg, recs, to - from), 0);
}

/* The i-th record seen is record j of rec_i() at off; its end. */
static size_t
expect_rec(const struct seen *s, size_t i, size_t j, size_t off)
{
	struct spoolseg_rec	r = rec_i(j);

	ck_assert_uint_lt(i, s->nrec);
	ck_assert_uint_eq(s->rec[i].off, off);
	ck_assert_uint_eq(s->rec[i].kind, r.kind);
	ck_assert_uint_eq(s->rec[i].len, r.len);
	if (r.len > 0)
		ck_assert_uint_eq(s->rec[i].first, 'a' + j % 26);
	return off + SPOOLREC_SIZE(r.len);
}

/* Open name into s and res, expecting success. */
static void
reopen(const char *name, struct spoolseg *seg, struct seen *s,
    struct spoolrec_scan *res)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(spoolseg_open(dfd, name, on_record, on_damage, s,
	    seg, res), 0);
	ck_assert_uint_eq(res->records, s->nrec);
	ck_assert_uint_eq(res->damaged, s->ndmg);
}

static size_t
file_size(const char *name)
{
	struct stat	st;

	ck_assert_int_eq(fstatat(dfd, name, &st, 0), 0);
	return (size_t)st.st_size;
}

/* Read name whole into buf (cap bytes): its length. */
static size_t
read_file(const char *name, uint8_t *buf, size_t cap)
{
	int	fd = openat(dfd, name, O_RDONLY);
	ssize_t	n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, cap);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt((size_t)n, cap);
	close(fd);
	return (size_t)n;
}

/* Make name hold exactly buf[0..len). */
static void
write_file(const char *name, const uint8_t *buf, size_t len)
{
	int	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* A segment "seg" of n records of rec_i(); its image in img, offsets in at. */
static size_t
make_segment(size_t n, uint8_t *img, size_t cap, size_t *at)
{
	struct spoolseg	seg;
	size_t		i, off = SPOOLREC_SEGHDRLEN;

	ck_assert_int_eq(spoolseg_create(dfd, "seg", SALT, &seg), 0);
	append_range(&seg, 0, n);
	spoolseg_close(&seg);
	for (i = 0; i < n; i++) {
		at[i] = off;
		off += SPOOLREC_SIZE(rec_i(i).len);
	}
	at[n] = off;
	ck_assert_uint_eq(read_file("seg", img, cap), off);
	return off;
}

/*
 * Create, append in three group commits (one of more records than one
 * writev takes), reopen: every record in order, nothing damaged, nothing
 * cut; then append after the reopen and read that back too.
 */
START_TEST(test_round_trip)
{
	struct spoolseg		seg;
	struct spoolrec_scan	res;
	struct seen		s;
	size_t			i, off, len;

	ck_assert_int_eq(spoolseg_create(dfd, "seg", SALT, &seg), 0);
	ck_assert_uint_eq(file_size("seg"), SPOOLREC_SEGHDRLEN);
	append_range(&seg, 0, 3);
	append_range(&seg, 3, 4);
	append_range(&seg, 4, 200);
	len = seg.size;
	spoolseg_close(&seg);
	ck_assert_uint_eq(file_size("seg"), len);
	reopen("seg", &seg, &s, &res);
	ck_assert_uint_eq(s.nrec, 200);
	for (i = 0, off = SPOOLREC_SEGHDRLEN; i < 200; i++)
		off = expect_rec(&s, i, i, off);
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(s.ndmg, 0);
	ck_assert_uint_eq(res.end, len);
	ck_assert_int_eq(res.torn, 0);
	append_range(&seg, 200, 201);
	spoolseg_close(&seg);
	reopen("seg", &seg, &s, &res);
	ck_assert_uint_eq(s.nrec, 201);
	expect_rec(&s, 200, 200, len);
	spoolseg_close(&seg);
	/* An empty segment reopens empty. */
	ck_assert_int_eq(spoolseg_create(dfd, "empty", SALT, &seg), 0);
	spoolseg_close(&seg);
	reopen("empty", &seg, &s, &res);
	ck_assert_uint_eq(s.nrec + s.ndmg, 0);
	ck_assert_uint_eq(res.end, SPOOLREC_SEGHDRLEN);
	spoolseg_close(&seg);
}
END_TEST

/*
 * The file cut at every offset inside its last record: reopened, the
 * earlier records come back, the torn tail is reported where that record
 * starts, the file is cut to the end of the last good record, and a
 * record appended then reads back after them.
 */
START_TEST(test_torn_tail)
{
	uint8_t			img[4096];
	size_t			at[5], len, cut;
	struct spoolseg		seg;
	struct spoolrec_scan	res;
	struct seen		s;

	len = make_segment(4, img, sizeof(img), at);
	for (cut = at[3] + 1; cut < len; cut++) {
		write_file("cut", img, cut);
		reopen("cut", &seg, &s, &res);
		ck_assert_uint_eq(s.nrec, 3);
		expect_rec(&s, 2, 2, at[2]);
		ck_assert_uint_eq(s.ndmg, 1);
		ck_assert_uint_eq(s.dmg[0].off, at[3]);
		ck_assert_int_eq(s.dmg[0].why, SPOOLREC_PAST_END);
		ck_assert_int_eq(res.torn, 1);
		ck_assert_uint_eq(res.tornoff, at[3]);
		ck_assert_uint_eq(res.end, at[3]);
		ck_assert_uint_eq(file_size("cut"), at[3]);
		append_range(&seg, 7, 8);
		spoolseg_close(&seg);
		reopen("cut", &seg, &s, &res);
		ck_assert_uint_eq(s.nrec, 4);
		expect_rec(&s, 2, 2, at[2]);
		expect_rec(&s, 3, 7, at[3]);
		ck_assert_uint_eq(s.ndmg, 0);
		spoolseg_close(&seg);
	}
}
END_TEST

/*
 * A byte of the middle record changed, at every offset: that record
 * reported and never delivered, the others delivered, and nothing cut.
 */
START_TEST(test_flipped_middle)
{
	uint8_t			img[4096];
	size_t			at[4], len, i;
	struct spoolseg		seg;
	struct spoolrec_scan	res;
	struct seen		s;

	len = make_segment(3, img, sizeof(img), at);
	for (i = at[1]; i < at[2]; i++) {
		img[i] ^= 0x40;
		write_file("flip", img, len);
		img[i] ^= 0x40;
		reopen("flip", &seg, &s, &res);
		spoolseg_close(&seg);
		ck_assert_uint_eq(s.nrec, 2);
		expect_rec(&s, 0, 0, at[0]);
		expect_rec(&s, 1, 2, at[2]);
		ck_assert_uint_eq(s.ndmg, 1);
		ck_assert_uint_eq(s.dmg[0].off, at[1]);
		ck_assert_uint_eq(s.dmg[0].skip, at[2] - at[1]);
		ck_assert_int_eq(res.torn, 0);
		ck_assert_uint_eq(file_size("flip"), len);
	}
}
END_TEST

/*
 * A segment header with any byte changed, or too short: refused with
 * EBADMSG, no record reported, the file left as it was.
 */
START_TEST(test_bad_seghdr)
{
	uint8_t			img[4096], back[4096];
	size_t			at[3], len, i;
	struct spoolseg		seg;
	struct seen		s;

	len = make_segment(2, img, sizeof(img), at);
	for (i = 0; i < SPOOLREC_SEGHDRLEN + 1; i++) {
		if (i < SPOOLREC_SEGHDRLEN) {
			img[i] ^= 0x01;
			write_file("bad", img, len);
			img[i] ^= 0x01;
		} else
			write_file("bad", img, SPOOLREC_SEGHDRLEN - 1);
		memset(&s, 0, sizeof(s));
		errno = 0;
		ck_assert_int_eq(spoolseg_open(dfd, "bad", on_record,
		    on_damage, &s, &seg, NULL), -1);
		ck_assert_int_eq(errno, EBADMSG);
		ck_assert_uint_eq(s.nrec + s.ndmg, 0);
		ck_assert_int_eq(seg.fd, -1);
		if (i < SPOOLREC_SEGHDRLEN) {
			ck_assert_uint_eq(read_file("bad", back,
			    sizeof(back)), len);
			ck_assert_uint_eq(back[i], img[i] ^ 0x01);
		}
	}
}
END_TEST

/*
 * Over the size limit: a file of SPOOLSEG_MAXSIZE + 1 bytes is refused
 * unread (EFBIG), and an append that would pass the limit is refused
 * without writing or marking the segment broken.
 */
START_TEST(test_size_limit)
{
	struct spoolseg		seg;
	struct spoolrec_scan	res;
	struct spoolseg_rec	r = rec_i(3);
	struct seen		s;
	int			fd;

	ck_assert_int_eq(spoolseg_create(dfd, "big", SALT, &seg), 0);
	spoolseg_close(&seg);
	fd = openat(dfd, "big", O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)SPOOLSEG_MAXSIZE + 1), 0);
	close(fd);
	errno = 0;
	ck_assert_int_eq(spoolseg_open(dfd, "big", NULL, NULL, NULL, &seg,
	    NULL), -1);
	ck_assert_int_eq(errno, EFBIG);

	ck_assert_int_eq(spoolseg_create(dfd, "seg", SALT, &seg), 0);
	/* As if it were full but for one byte less than the record. */
	seg.size = SPOOLSEG_MAXSIZE - SPOOLREC_SIZE(r.len) + 1;
	errno = 0;
	ck_assert_int_eq(spoolseg_append(&seg, &r, 1), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(seg.broken, 0);
	ck_assert_uint_eq(file_size("seg"), SPOOLREC_SEGHDRLEN);
	seg.size = SPOOLSEG_MAXSIZE - SPOOLREC_SIZE(r.len);
	ck_assert_int_eq(spoolseg_append(&seg, &r, 1), 0);
	spoolseg_close(&seg);
	reopen("seg", &seg, &s, &res);
	ck_assert_uint_eq(s.nrec, 1);
	expect_rec(&s, 0, 3, SPOOLREC_SEGHDRLEN);
	spoolseg_close(&seg);
}
END_TEST

/*
 * A write that fails (the segment's fd swapped for a read-only one):
 * the append fails and the segment is broken, so a later append fails
 * too even once the fd could write again; what was durable before is
 * still there.  Bad records are refused before anything is written.
 */
START_TEST(test_write_failure)
{
	struct spoolseg		seg;
	struct spoolrec_scan	res;
	struct spoolseg_rec	r = rec_i(5);
	struct seen		s;

	ck_assert_int_eq(spoolseg_create(dfd, "seg", SALT, &seg), 0);
	append_range(&seg, 0, 2);
	r.kind = 9;
	errno = 0;
	ck_assert_int_eq(spoolseg_append(&seg, &r, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(spoolseg_append(&seg, &r, 0), -1);
	ck_assert_int_eq(seg.broken, 0);
	r = rec_i(5);
	close(seg.fd);
	seg.fd = openat(dfd, "seg", O_RDONLY);
	ck_assert_int_ge(seg.fd, 0);
	ck_assert_int_eq(spoolseg_append(&seg, &r, 1), -1);
	ck_assert_int_eq(seg.broken, 1);
	close(seg.fd);
	seg.fd = openat(dfd, "seg", O_WRONLY | O_APPEND);
	ck_assert_int_ge(seg.fd, 0);
	errno = 0;
	ck_assert_int_eq(spoolseg_append(&seg, &r, 1), -1);
	ck_assert_int_eq(errno, EIO);
	spoolseg_close(&seg);
	reopen("seg", &seg, &s, &res);
	ck_assert_uint_eq(s.nrec, 2);
	ck_assert_uint_eq(s.ndmg, 0);
	spoolseg_close(&seg);
	/* A name that exists is never created over. */
	ck_assert_int_eq(spoolseg_create(dfd, "seg", SALT, &seg), -1);
	ck_assert_int_eq(errno, EEXIST);
	reopen("seg", &seg, &s, &res);
	ck_assert_uint_eq(s.nrec, 2);
	spoolseg_close(&seg);
}
END_TEST

static Suite *
spoolseg_suite(void)
{
	Suite	*s = suite_create("spoolseg");
	TCase	*tc = tcase_create("files");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, empty_dir, NULL);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_flipped_middle);
	tcase_add_test(tc, test_bad_seghdr);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_write_failure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(spoolseg_suite());
}
