/*
 * The storage engine's reads and its life (spoolstore.h): status
 * queries, fetches of what waits for a peer or in a mailbox (read back
 * from the segments and checked again), the reports owed to a peer,
 * settings, figures, and opening and closing the store.
 */
#include "config.h"

#include <sys/random.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "spoolstore_int.h"

uint8_t
sps_query(struct spoolstore *s, uint64_t id, uint64_t now)
{
	struct sps_entry	*e = sps_map_get(&s->ids, id);
	struct sps_final	*f = sps_map_get(&s->finals, id);

	(void)now;
	/* A peer's message has a peer's id: not ours to tell about. */
	if (e != NULL && !e->remote && e->seg != NULL)
		return e->state == SPS_AT_PEER ? ST_AT_PEER : ST_QUEUED;
	if (f != NULL && !f->remote)
		return f->status;
	return ST_UNKNOWN_ID;
}

/* Hand e to fn; 0, or -1 when its record could not be read back. */
static int
fetch_one(struct spoolstore *s, struct sps_entry *e, uint64_t now,
    sps_entry_fn fn, void *arg, size_t *bytes)
{
	static uint8_t		 buf[SPOOLREC_SIZE(SPOOLREC_MAXBODY)];
	struct sp_entry		 se;
	struct sps_msg		 m;

	if (sps_read_entry(s, e, buf, &m.payload, &m.len) == -1)
		return -1;
	memset(&se, 0, sizeof(se));
	se.id = e->id;
	se.inc = e->kind == SPS_OUT ? s->inc : 0;
	se.seq = e->seq;
	se.ttl = e->end > now ? (uint32_t)(e->end - now) : 1;
	se.flags = e->flags;
	se.fromlen = e->fromlen;
	se.tolen = e->tolen;
	if (e->kind == SPS_OUT)
		memcpy(se.fp, e->peer->fp, NC_SHA256_LEN);
	m.from = e->names;
	m.fromlen = e->fromlen;
	m.to = e->names + e->fromlen;
	m.tolen = e->tolen;
	fn(arg, &se, &m);
	e->handed = 1;
	*bytes += m.len;
	return 0;
}

/* Walk q from the first entry past after, within the fetch's limits. */
static void
fetch_queue(struct spoolstore *s, struct sps_queue *q, const struct sp_fetch *f,
    uint64_t now, sps_entry_fn fn, void *arg, struct sp_fetch_end *end)
{
	struct sps_entry	*e;
	size_t			 bytes = 0;

	TAILQ_FOREACH(e, q, qlink) {
		if (e->seq <= f->after || e->seg == NULL || e->unreadable ||
		    e->end <= now)
			continue;
		if (end->count > 0 && (end->count >= f->max_count ||
		    bytes + (e->reclen - SPOOLREC_SIZE(SPS_MSG_FIXED +
		    e->fromlen + e->tolen)) >
		    f->max_bytes)) {
			end->more = 1;
			return;
		}
		if (fetch_one(s, e, now, fn, arg, &bytes) == 0)
			end->count++;
	}
}

void
sps_out_fetch(struct spoolstore *s, const struct sp_fetch *f, uint64_t now,
    sps_entry_fn fn, void *arg, struct sp_fetch_end *end)
{
	struct sps_peer	*p = sps_peer_get(s, f->fp, 0);

	memset(end, 0, sizeof(*end));
	memcpy(end->fp, f->fp, NC_SHA256_LEN);
	if (p != NULL)
		fetch_queue(s, &p->queued, f, now, fn, arg, end);
}

void
sps_box_fetch(struct spoolstore *s, const struct sp_fetch *f, uint64_t now,
    sps_entry_fn fn, void *arg, struct sp_fetch_end *end)
{
	size_t		 len = strnlen(f->name, sizeof(f->name));
	struct sps_box	*b = sps_box_get(s, f->name, len, 0);

	memset(end, 0, sizeof(*end));
	memcpy(end->name, f->name, len);
	if (b != NULL)
		fetch_queue(s, &b->kept, f, now, fn, arg, end);
}

void
sps_report_fetch(struct spoolstore *s, const uint8_t fp[NC_SHA256_LEN])
{
	struct sps_peer		*p = sps_peer_get(s, fp, 0);
	struct sps_final	*f;
	struct sps_event	 ev;

	if (p == NULL)
		return;
	TAILQ_FOREACH(f, &p->owed, olink) {
		memset(&ev, 0, sizeof(ev));
		ev.type = SPS_EV_REPORT;
		memcpy(ev.u.report.fp, p->fp, NC_SHA256_LEN);
		ev.u.report.inc = f->inc;
		ev.u.report.seq = f->oseq;
		ev.u.report.status = f->status;
		s->emit(s->arg, &ev);
	}
}

void
sps_settings(struct spoolstore *s, const struct sp_settings *set,
    const struct sp_mailbox_rule *rules, size_t nrules)
{
	size_t	i;

	s->set = *set;
	free(s->rules);
	s->rules = NULL;
	s->nrules = 0;
	if (nrules == 0)
		return;
	if ((s->rules = calloc(nrules, sizeof(*s->rules))) == NULL)
		sps_fatal_oom(__func__);
	for (i = 0; i < nrules; i++) {
		memcpy(s->rules[i].pattern, rules[i].pattern,
		    sizeof(s->rules[i].pattern));
		s->rules[i].pattern[NC_NAME_MAX] = '\0';
		s->rules[i].len = strlen(s->rules[i].pattern);
		s->rules[i].none = rules[i].none;
		s->rules[i].max_bytes = rules[i].max_bytes;
		s->rules[i].max_count = rules[i].max_count;
	}
	s->nrules = nrules;
}

uint64_t
sps_incarnation(const struct spoolstore *s)
{
	return s->inc;
}

void
sps_get_stats(const struct spoolstore *s, struct sps_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->appends = s->appends;
	st->syncs = s->syncs;
	st->records = s->records;
	st->segments = s->nsegs;
	st->unlinked = s->unlinked;
	st->live = s->ids.n;
	st->finals = s->finals.n;
	st->owed = s->nowed;
	st->bytes = s->bytes;
	st->damaged = s->damaged;
}

size_t
sps_damage(const struct spoolstore *s, struct sps_damage *out, size_t max)
{
	size_t	n = s->ndamage < max ? s->ndamage : max;

	memcpy(out, s->damage, n * sizeof(*out));
	return n;
}

struct spoolstore *
sps_open(int dirfd, uint64_t now, sps_emit_fn emit, void *arg)
{
	struct spoolstore	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		sps_fatal_oom(__func__);
	s->dirfd = dirfd;
	s->emit = emit;
	s->arg = arg;
	s->set.lifetime_max = WIRE_TTL_MAX;
	TAILQ_INIT(&s->segs);
	if (getrandom(&s->boxseed, sizeof(s->boxseed), 0) !=
	    (ssize_t)sizeof(s->boxseed))
		fatal("%s: getrandom", __func__);
	if (sps_recover(s, now) == -1) {
		sps_close(s);
		return NULL;
	}
	sps_mark_maybe_sent(s);
	return s;
}

void
sps_close(struct spoolstore *s)
{
	struct sps_peer	*p, *pn;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ids.cap; i++)
		while (s->ids.keys[i] != 0)
			sps_entry_drop(s, s->ids.vals[i]);
	for (i = 0; i < s->finals.cap; i++)
		while (s->finals.keys[i] != 0)
			sps_final_drop(s, s->finals.vals[i]);
	for (i = 0; i < s->peers.cap; i++)
		for (p = s->peers.keys[i] ? s->peers.vals[i] : NULL; p != NULL;
		    p = pn) {
			pn = p->next;
			free(p);
		}
	sps_map_free(&s->ids);
	sps_map_free(&s->finals);
	sps_map_free(&s->peers);
	sps_map_free(&s->boxes);
	sps_map_free(&s->outs);
	sps_map_free(&s->oweds);
	sps_heap_free(&s->deadlines);
	sps_heap_free(&s->retained);
	sps_segs_close(s);
	sps_stage_free(s);
	free(s->ckpend);
	free(s->rules);
	free(s);
}
