/*
 * Unit tests for netcryptctl queue on the spool's side (spoolctl.c and
 * sps_drop): drops and every reason one is refused, the status 16 they
 * leave (durable, told to the sender or owed to the origin), the entries
 * a restart must assume sent; the listing as a table and as JSON, its
 * order, its bound of SPS_LIST_MAX entries, the damage it reports; and
 * `show`, which gives a size and a content type, never the payload.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctlfix.h"
#include "spoolstore_int.h"
#include "unitrun.h"

#define NOW		1700000000ULL
#define MAXEV		4096

static char	tmpdir[] = "/tmp/check_spoolctl.XXXXXX";
static int	dfd = -1;

static const uint8_t	FP_1[NC_SHA256_LEN] = { 0x11, 0x12 };
static const uint8_t	FP_2[NC_SHA256_LEN] = { 0x21, 0x22 };
static struct sps_peername	names[1];	/* FP_1 is "hostb" */

static struct sps_event	evs[MAXEV];
static size_t		nev;

static void
emit(void *arg, const struct sps_event *ev)
{
	(void)arg;
	ck_assert_uint_lt(nev, MAXEV);
	evs[nev++] = *ev;
}

static void
ignore_entry(void *arg, const struct sp_entry *e, const struct sps_msg *m)
{
	(void)arg;
	(void)e;
	(void)m;
}

static void
store_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	memcpy(names[0].fp, FP_1, NC_SHA256_LEN);
	snprintf(names[0].name, sizeof(names[0].name), "hostb");
	nev = 0;
}

static void
store_teardown(void)
{
	DIR		*d = fdopendir(dup(dfd));
	struct dirent	*e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			ck_assert_int_eq(unlinkat(dfd, e->d_name, 0), 0);
	closedir(d);
	close(dfd);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static struct spoolstore *
store_open(void)
{
	struct spoolstore	*s = sps_open(dfd, NOW, emit, NULL);

	ck_assert_ptr_nonnull(s);
	return s;
}

/* Put and commit one message (fp NULL: to the mailbox of to). */
static uint64_t
put1(struct spoolstore *s, const uint8_t *fp, const char *to,
    const char *text)
{
	static uint64_t	req = 1;
	struct sp_put	p;
	struct sps_msg	m = { "alice", 5, to, strlen(to),
			    (const uint8_t *)text, strlen(text) };
	size_t		i;

	memset(&p, 0, sizeof(p));
	p.req = ++req;
	p.dest = fp != NULL ? SP_DEST_PEER : SP_DEST_LOCAL;
	p.fromlen = 5;
	p.tolen = (uint8_t)strlen(to);
	p.ttl = 3600;
	if (fp != NULL)
		memcpy(p.fp, fp, NC_SHA256_LEN);
	sps_put(s, &p, &m, NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	for (i = nev; i-- > 0;)
		if (evs[i].type == SPS_EV_DONE && evs[i].u.done.req == req) {
			ck_assert_uint_eq(evs[i].u.done.status, ST_OK);
			return evs[i].u.done.id;
		}
	ck_abort_msg("no DONE");
	return 0;
}

static int
drop(struct spoolstore *s, uint64_t id, uint8_t *ended)
{
	int	r = sps_drop(s, id, ended);

	ck_assert_int_eq(sps_commit(s, NOW), 0);
	return r;
}

static void
fetch(struct spoolstore *s, const uint8_t *fp, const char *box)
{
	struct sp_fetch		f;
	struct sp_fetch_end	end;

	memset(&f, 0, sizeof(f));
	if (fp != NULL)
		memcpy(f.fp, fp, NC_SHA256_LEN);
	else
		snprintf(f.name, sizeof(f.name), "%s", box);
	f.max_count = 1000;
	f.max_bytes = 1000000;
	if (fp != NULL)
		sps_out_fetch(s, &f, NOW, ignore_entry, NULL, &end);
	else
		sps_box_fetch(s, &f, NOW, ignore_entry, NULL, &end);
	ck_assert_uint_gt(end.count, 0);
}

static const struct sps_event *
last_event(int type)
{
	size_t	i;

	for (i = nev; i-- > 0;)
		if (evs[i].type == type)
			return &evs[i];
	return NULL;
}

/* ---- drop ------------------------------------------------------------ */

START_TEST(drop_out_queued)
{
	struct spoolstore	*s = store_open();
	const struct sps_event	*ev;
	uint64_t		 id, other;
	uint8_t			 ended = 0;

	id = put1(s, FP_1, "bob", "hello");
	other = put1(s, FP_1, "bob", "again");
	nev = 0;
	ck_assert_int_eq(sps_drop(s, id, &ended), SPS_DROP_OK);
	/* Nothing told before it is durable. */
	ck_assert_ptr_null(last_event(SPS_EV_NOTIFY));
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_ptr_nonnull(ev = last_event(SPS_EV_NOTIFY));
	ck_assert_uint_eq(ev->u.notify.id, id);
	ck_assert_uint_eq(ev->u.notify.status, ST_DROPPED);
	ck_assert_mem_eq(ev->from, "alice", 5);
	ck_assert_uint_eq(sps_query(s, id, NOW), ST_DROPPED);
	ck_assert_int_eq(drop(s, id, &ended), SPS_DROP_ENDED);
	ck_assert_uint_eq(ended, ST_DROPPED);
	sps_close(s);
	/* Durable: after a restart it is still dropped, the other kept. */
	s = store_open();
	ck_assert_uint_eq(sps_query(s, id, NOW), ST_DROPPED);
	ck_assert_uint_eq(sps_query(s, other, NOW), ST_QUEUED);
	ck_assert_uint_eq(s->ids.n, 1);
	sps_close(s);
}
END_TEST

START_TEST(drop_refused)
{
	struct spoolstore	*s = store_open();
	struct sp_result	 r;
	struct sp_put		 p;
	struct sps_msg		 m = { "alice", 5, "bob", 3, (const uint8_t *)"x", 1 };
	uint64_t		 a, b, c, staged;
	uint8_t			 ended;
	size_t			 i;

	ck_assert_int_eq(drop(s, 0x1234, &ended), SPS_DROP_UNKNOWN);
	a = put1(s, FP_1, "bob", "one");
	b = put1(s, FP_1, "bob", "two");
	c = put1(s, NULL, "dave", "three");
	/* The peer has a: only its administrator can drop it. */
	memset(&r, 0, sizeof(r));
	memcpy(r.fp, FP_1, NC_SHA256_LEN);
	r.inc = sps_incarnation(s);
	r.seq = 1;
	sps_out_result(s, &r, NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_int_eq(drop(s, a, &ended), SPS_DROP_AT_PEER);
	/* b was handed to a link, c to a session: they may have them. */
	fetch(s, FP_1, NULL);
	fetch(s, NULL, "dave");
	ck_assert_int_eq(drop(s, b, &ended), SPS_DROP_SENT);
	ck_assert_int_eq(drop(s, c, &ended), SPS_DROP_HANDED);
	/* Staged, not durable yet. */
	memset(&p, 0, sizeof(p));
	p.req = 77;
	p.dest = SP_DEST_LOCAL;
	p.fromlen = 5;
	p.tolen = 3;
	p.ttl = 60;
	sps_put(s, &p, &m, NOW);
	for (i = 0, staged = 0; i < s->ids.cap; i++)
		if (s->ids.keys[i] != 0 &&
		    ((struct sps_entry *)s->ids.vals[i])->seg == NULL)
			staged = s->ids.keys[i];
	ck_assert_uint_ne(staged, 0);
	ck_assert_int_eq(sps_drop(s, staged, &ended), SPS_DROP_NOT_YET);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	ck_assert_uint_eq(s->ids.n, 4);
	sps_close(s);
}
END_TEST

/* A peer's message dropped at its mailbox: the origin is owed SFINAL 16. */
START_TEST(drop_from_peer)
{
	struct spoolstore	*s = store_open();
	const struct sps_event	*ev;
	struct sp_in		 in;
	struct sps_msg		 m = { "carol@hosta", 11, "dave", 4,
				    (const uint8_t *)"hi", 2 };
	uint64_t		 id;
	uint8_t			 ended;

	memset(&in, 0, sizeof(in));
	in.req = 5;
	in.inc = 99;
	in.seq = 7;
	in.ttl = 600;
	in.fromlen = 11;
	in.tolen = 4;
	memcpy(in.fp, FP_2, NC_SHA256_LEN);
	sps_in(s, &in, &m, NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	id = last_event(SPS_EV_DONE)->u.done.id;
	nev = 0;
	ck_assert_int_eq(drop(s, id, &ended), SPS_DROP_OK);
	ck_assert_ptr_nonnull(ev = last_event(SPS_EV_REPORT));
	ck_assert_mem_eq(ev->u.report.fp, FP_2, NC_SHA256_LEN);
	ck_assert_uint_eq(ev->u.report.inc, 99);
	ck_assert_uint_eq(ev->u.report.seq, 7);
	ck_assert_uint_eq(ev->u.report.status, ST_DROPPED);
	ck_assert_ptr_null(last_event(SPS_EV_NOTIFY));
	sps_close(s);
	/* Still owed after a restart. */
	s = store_open();
	nev = 0;
	sps_report_fetch(s, FP_2);
	ck_assert_ptr_nonnull(ev = last_event(SPS_EV_REPORT));
	ck_assert_uint_eq(ev->u.report.status, ST_DROPPED);
	sps_close(s);
}
END_TEST

/* After a restart the first SP_LINK_WINDOW waiting may be at the peer. */
START_TEST(drop_after_restart)
{
	struct spoolstore	*s = store_open();
	uint64_t		 ids[SP_LINK_WINDOW + 2];
	uint8_t			 ended;
	size_t			 i;

	for (i = 0; i < SP_LINK_WINDOW + 2; i++)
		ids[i] = put1(s, FP_1, "bob", "m");
	ck_assert_int_eq(drop(s, ids[0], &ended), SPS_DROP_OK);
	sps_close(s);
	s = store_open();
	ck_assert_int_eq(drop(s, ids[1], &ended), SPS_DROP_SENT);
	ck_assert_int_eq(drop(s, ids[SP_LINK_WINDOW], &ended), SPS_DROP_SENT);
	ck_assert_int_eq(drop(s, ids[SP_LINK_WINDOW + 1], &ended),
	    SPS_DROP_OK);
	sps_close(s);
}
END_TEST

START_TEST(drop_texts)
{
	char	*t;
	int	 failed;

	t = sps_ctl_drop_text(0xab, SPS_DROP_OK, 0, &failed);
	ck_assert_int_eq(failed, 0);
	ck_assert_str_eq(t, "00000000000000ab: dropped; it will not be "
	    "delivered, and its sender is told (status 16)\n");
	free(t);
	t = sps_ctl_drop_text(0xab, SPS_DROP_ENDED, ST_EXPIRED, &failed);
	ck_assert_int_eq(failed, 1);
	ck_assert_str_eq(t, "00000000000000ab: ended already (12, expired)");
	free(t);
	t = sps_ctl_drop_text(1, SPS_DROP_AT_PEER, 0, &failed);
	ck_assert_int_eq(failed, 1);
	ck_assert_ptr_nonnull(strstr(t, "peer's administrator"));
	free(t);
}
END_TEST

/* ---- the listing ----------------------------------------------------- */

START_TEST(list_table_and_json)
{
	struct spoolstore	*s = store_open();
	uint64_t		 a1, a2, b1, d1;
	char			*t, line[128];

	b1 = put1(s, FP_2, "bob", "to an unnamed peer");
	a1 = put1(s, FP_1, "bob", "first");
	d1 = put1(s, NULL, "dave", "mail");
	a2 = put1(s, FP_1, "carol", "second");
	t = sps_ctl_list(s, names, 1, 0, NOW + 60);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "ID                KIND "));
	/* Per peer in seq order, then the mailboxes; peers by key. */
	snprintf(line, sizeof(line), "%016llx  out to hostb ",
	    (unsigned long long)a1);
	ck_assert_ptr_nonnull(strstr(t, line));
	ck_assert(strstr(t, line) < strstr(t, "carol"));
	snprintf(line, sizeof(line), "%016llx  mailbox of dave ",
	    (unsigned long long)d1);
	ck_assert_ptr_nonnull(strstr(t, line));
	ck_assert_ptr_nonnull(strstr(t, "out to SHA256:"));
	ck_assert_ptr_nonnull(strstr(t, "00:59:00"));
	ck_assert_ptr_nonnull(strstr(t, "found since the spool started: 0"));
	ck_assert_ptr_nonnull(strstr(t, "totals: 4 entries"));
	ck_assert_ptr_nonnull(strstr(t, "peer hostb: 2 entries"));
	ck_assert_ptr_nonnull(strstr(t, "mailbox dave: 1 entries"));
	/* Payloads are not the administrator's to read. */
	ck_assert_ptr_null(strstr(t, "first"));
	free(t);
	t = sps_ctl_list(s, names, 1, 1, NOW);
	ck_assert_ptr_nonnull(t);
	ck_assert(json_valid(t));
	snprintf(line, sizeof(line), "{\"id\":\"%016llx\",\"kind\":\"out\","
	    "\"peer\":\"hostb\",", (unsigned long long)a2);
	ck_assert_ptr_nonnull(strstr(t, line));
	snprintf(line, sizeof(line), "{\"id\":\"%016llx\",\"kind\":\"out\","
	    "\"peer\":null,", (unsigned long long)b1);
	ck_assert_ptr_nonnull(strstr(t, line));
	ck_assert_ptr_nonnull(strstr(t, "\"entries_not_listed\":0,"
	    "\"damage\":[],\"damaged\":0,\"totals\":{\"entries\":4,"));
	ck_assert_ptr_nonnull(strstr(t, "\"mailboxes\":[{\"name\":\"dave\","
	    "\"entries\":1,"));
	free(t);
	sps_close(s);
}
END_TEST

/* At most SPS_LIST_MAX entries, and how many more. */
START_TEST(list_bound)
{
	struct spoolstore	*s = store_open();
	struct sp_put		 p;
	struct sps_msg		 m = { "alice", 5, "bob", 3, (const uint8_t *)"x", 1 };
	char			*t;
	size_t			 i;

	memset(&p, 0, sizeof(p));
	p.dest = SP_DEST_PEER;
	p.fromlen = 5;
	p.tolen = 3;
	p.ttl = 60;
	memcpy(p.fp, FP_1, NC_SHA256_LEN);
	for (i = 0; i < SPS_LIST_MAX + 5; i++) {
		p.req = i + 1;
		sps_put(s, &p, &m, NOW);
	}
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	t = sps_ctl_list(s, names, 1, 0, NOW);
	ck_assert_ptr_nonnull(strstr(t, "(5 more entries not listed)"));
	ck_assert_ptr_null(strstr(t, "  1001  "));
	ck_assert_ptr_nonnull(strstr(t, "  1000  "));
	free(t);
	t = sps_ctl_list(s, names, 1, 1, NOW);
	ck_assert(json_valid(t));
	ck_assert_ptr_nonnull(strstr(t, "\"seq\":1000,"));
	ck_assert_ptr_null(strstr(t, "\"seq\":1001,"));
	ck_assert_ptr_nonnull(strstr(t, "\"entries_not_listed\":5,"));
	free(t);
	sps_close(s);
}
END_TEST

/* Flipped bytes: the entry is gone, the stretch listed in both forms. */
START_TEST(list_damage)
{
	struct spoolstore	*s = store_open();
	struct sps_entry	*e;
	uint64_t		 a, b, seg;
	uint32_t		 off;
	char			 name[SPS_SEGNAME_LEN + 1], line[128], *t;
	int			 fd;
	uint8_t			 x;

	a = put1(s, FP_1, "bob", "one, to be damaged");
	b = put1(s, FP_1, "bob", "two");
	e = sps_map_get(&s->ids, a);
	seg = e->seg->no;
	off = e->off;
	sps_close(s);
	sps_seg_name(seg, name);
	fd = openat(dfd, name, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &x, 1, off + 100), 1);
	x ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &x, 1, off + 100), 1);
	close(fd);
	s = store_open();
	ck_assert_ptr_null(sps_map_get(&s->ids, a));
	ck_assert_ptr_nonnull(sps_map_get(&s->ids, b));
	t = sps_ctl_list(s, names, 1, 0, NOW);
	snprintf(line, sizeof(line), "%016llx  %6u  ", (unsigned long long)seg,
	    off);
	ck_assert_ptr_nonnull(strstr(t, line));
	ck_assert_ptr_nonnull(strstr(t, "bad body crc"));
	ck_assert_ptr_nonnull(strstr(t, "found since the spool started: 1"));
	free(t);
	t = sps_ctl_list(s, names, 1, 1, NOW);
	ck_assert(json_valid(t));
	snprintf(line, sizeof(line), "\"damage\":[{\"segment\":\"%016llx\","
	    "\"offset\":%u,", (unsigned long long)seg, off);
	ck_assert_ptr_nonnull(strstr(t, line));
	ck_assert_ptr_nonnull(strstr(t, "\"reason\":\"bad body crc\"}],"
	    "\"damaged\":1"));
	free(t);
	sps_close(s);
}
END_TEST

START_TEST(show_entry)
{
	struct spoolstore	*s = store_open();
	uint64_t		 id;
	char			*t, line[64];
	int			 failed;

	id = put1(s, FP_1, "bob", "\001offer of a secret file");
	t = sps_ctl_show(s, id, names, 1, 0, NOW, &failed);
	ck_assert_int_eq(failed, 0);
	snprintf(line, sizeof(line), "id       %016llx\n",
	    (unsigned long long)id);
	ck_assert_ptr_nonnull(strstr(t, line));
	ck_assert_ptr_nonnull(strstr(t, "kind     out to hostb\n"));
	ck_assert_ptr_nonnull(strstr(t, "size     23 bytes, content file "
	    "offer\n"));
	ck_assert_ptr_null(strstr(t, "secret"));
	free(t);
	t = sps_ctl_show(s, id, names, 1, 1, NOW, &failed);
	ck_assert(json_valid(t));
	ck_assert_ptr_nonnull(strstr(t, "\"content\":\"file offer\""));
	ck_assert_ptr_null(strstr(t, "secret"));
	free(t);
	t = sps_ctl_show(s, id + 1, names, 1, 0, NOW, &failed);
	ck_assert_int_eq(failed, 1);
	ck_assert_ptr_nonnull(strstr(t, "no entry"));
	free(t);
	sps_close(s);
}
END_TEST

static Suite *
spoolctl_suite(void)
{
	Suite	*su = suite_create("spoolctl");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, drop_out_queued);
	tcase_add_test(tc, drop_refused);
	tcase_add_test(tc, drop_from_peer);
	tcase_add_test(tc, drop_after_restart);
	tcase_add_test(tc, drop_texts);
	tcase_add_test(tc, list_table_and_json);
	tcase_add_test(tc, list_bound);
	tcase_add_test(tc, list_damage);
	tcase_add_test(tc, show_entry);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return unit_run(spoolctl_suite());
}
