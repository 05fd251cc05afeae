/*
 * What the spool store's unit tests (check_spoolstore, check_spoolrecov)
 * share (storefix.h): a temporary spool directory made by setup() and
 * emptied by fresh(), the events the store emitted, the entries fetches
 * handed out, and helpers that stage and commit puts, incoming messages
 * and results, fetch, and look up what came out.
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

#include "spoolstore_int.h"
#include "storefix.h"

static char	tmpdir[] = "/tmp/check_spool.XXXXXX";
int		dfd = -1;

const uint8_t	FP_A[NC_SHA256_LEN] = { 0xa1, 0xa2, 0xa3 };
const uint8_t	FP_B[NC_SHA256_LEN] = { 0xb1, 0xb2, 0xb3 };

/* What the store emitted and what fetches handed out. */
struct sps_event	evs[MAXEV];
size_t			nev;
struct fetched		*got;
size_t			ngot;

static void
emit(void *arg, const struct sps_event *ev)
{
	(void)arg;
	ck_assert_uint_lt(nev, MAXEV);
	evs[nev++] = *ev;
}

static void
on_entry(void *arg, const struct sp_entry *e, const struct sps_msg *m)
{
	struct fetched	*f;

	(void)arg;
	ck_assert_uint_lt(ngot, MAXENT);
	f = &got[ngot++];
	f->e = *e;
	memcpy(f->from, m->from, m->fromlen);
	f->from[m->fromlen] = '\0';
	memcpy(f->to, m->to, m->tolen);
	f->to[m->tolen] = '\0';
	ck_assert_uint_le(m->len, sizeof(f->payload));
	memcpy(f->payload, m->payload, m->len);
	f->len = m->len;
}

static void
empty_dir(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 fd = dup(dfd);

	ck_assert_int_ge(fd, 0);
	d = fdopendir(fd);
	ck_assert_ptr_nonnull(d);
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ck_assert_int_eq(unlinkat(dfd, e->d_name, 0), 0);
	closedir(d);
}

void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	got = calloc(MAXENT, sizeof(*got));
	ck_assert_ptr_nonnull(got);
}

void
teardown(void)
{
	empty_dir();
	close(dfd);
	ck_assert_int_eq(rmdir(tmpdir), 0);
	free(got);
}

void
fresh(void)
{
	empty_dir();
	nev = ngot = 0;
}

struct spoolstore *
store_open(uint64_t now)
{
	struct spoolstore	*s = sps_open(dfd, now, emit, NULL);

	ck_assert_ptr_nonnull(s);
	return s;
}

void
limits(struct spoolstore *s, uint64_t total, uint64_t peer,
    const struct sp_mailbox_rule *rules, size_t n)
{
	struct sp_settings	set;

	memset(&set, 0, sizeof(set));
	set.total_bytes = total;
	set.peer_bytes = peer;
	set.lifetime_max = WIRE_TTL_MAX;
	sps_settings(s, &set, rules, n);
}

struct sps_msg
msg(const char *from, const char *to, const void *payload, size_t len)
{
	struct sps_msg	m;

	m.from = from;
	m.fromlen = strlen(from);
	m.to = to;
	m.tolen = strlen(to);
	m.payload = payload;
	m.len = len;
	return m;
}

/* Stage a put (not committed). */
void
put(struct spoolstore *s, int local, const uint8_t *fp, const char *from,
    const char *to, const char *text, uint32_t ttl, uint64_t req)
{
	struct sp_put	p;
	struct sps_msg	m = msg(from, to, text, strlen(text));

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.dest = local ? SP_DEST_LOCAL : SP_DEST_PEER;
	p.fromlen = (uint8_t)m.fromlen;
	p.tolen = (uint8_t)m.tolen;
	p.ttl = ttl;
	if (fp != NULL)
		memcpy(p.fp, fp, NC_SHA256_LEN);
	sps_put(s, &p, &m, NOW);
}

void
in(struct spoolstore *s, const uint8_t *fp, uint64_t inc, uint64_t seq,
    const char *to, const char *text, uint8_t status, uint64_t req)
{
	struct sp_in	i;
	struct sps_msg	m = msg("alice@hosta", to, text, strlen(text));

	memset(&i, 0, sizeof(i));
	i.req = req;
	i.inc = inc;
	i.seq = seq;
	i.ttl = 3600;
	i.fromlen = (uint8_t)m.fromlen;
	i.tolen = (uint8_t)m.tolen;
	i.status = status;
	memcpy(i.fp, fp, NC_SHA256_LEN);
	sps_in(s, &i, &m, NOW);
}

/* Commit; the last event must be the DONE of req: its (status, id). */
uint64_t
done_id(uint64_t req, uint8_t want)
{
	size_t	i;

	for (i = nev; i-- > 0;)
		if (evs[i].type == SPS_EV_DONE && evs[i].u.done.req == req) {
			ck_assert_uint_eq(evs[i].u.done.status, want);
			return evs[i].u.done.id;
		}
	ck_abort_msg("no DONE for req %llu", (unsigned long long)req);
	return 0;
}

uint64_t
put1(struct spoolstore *s, int local, const uint8_t *fp, const char *to,
    const char *text, uint8_t want)
{
	static uint64_t	req = 1000;

	put(s, local, fp, "alice", to, text, 3600, ++req);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
	return done_id(req, want);
}

void
fetch_out(struct spoolstore *s, const uint8_t *fp, uint64_t after,
    uint32_t count, uint32_t bytes, struct sp_fetch_end *end)
{
	struct sp_fetch	f;

	memset(&f, 0, sizeof(f));
	memcpy(f.fp, fp, NC_SHA256_LEN);
	f.after = after;
	f.max_count = count;
	f.max_bytes = bytes;
	ngot = 0;
	sps_out_fetch(s, &f, NOW, on_entry, NULL, end);
	ck_assert_uint_eq(end->count, ngot);
}

void
fetch_box(struct spoolstore *s, const char *name, uint64_t after,
    struct sp_fetch_end *end)
{
	struct sp_fetch	f;

	memset(&f, 0, sizeof(f));
	snprintf(f.name, sizeof(f.name), "%s", name);
	f.after = after;
	f.max_count = 100000;
	f.max_bytes = 100000000;
	ngot = 0;
	sps_box_fetch(s, &f, NOW, on_entry, NULL, &end[0]);
	ck_assert_uint_eq(end->count, ngot);
}

void
result(struct spoolstore *s, const uint8_t *fp, uint64_t seq, uint8_t status,
    int final)
{
	struct sp_result	r;

	memset(&r, 0, sizeof(r));
	memcpy(r.fp, fp, NC_SHA256_LEN);
	r.inc = sps_incarnation(s);
	r.seq = seq;
	r.status = status;
	r.final = (uint8_t)final;
	sps_out_result(s, &r, NOW);
	ck_assert_int_eq(sps_commit(s, NOW), 0);
}

size_t
count_events(int type)
{
	size_t	i, n = 0;

	for (i = 0; i < nev; i++)
		n += evs[i].type == type;
	return n;
}

const struct sps_event *
last_event(int type)
{
	size_t	i;

	for (i = nev; i-- > 0;)
		if (evs[i].type == type)
			return &evs[i];
	ck_abort_msg("no event of type %d", type);
	return NULL;
}
