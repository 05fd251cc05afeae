/*
 * The spool's entries and what happens to them (spoolstore.h,
 * doc/SPOOL.md 8): accepting a message (limits, ids, per-peer sequence
 * numbers, the origin table that spots duplicates), its states up to a
 * final status, the reports and notices that a final status owes,
 * expiry, and the reads (fetch, query).  Every change is staged here and
 * made durable by sps_commit() (spooldisk.c) before it is answered.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "namepat.h"
#include "relay.h"
#include "spoolstore_int.h"

void
sps_fatal_oom(const char *where)
{
	fatalx("%s: out of memory", where);
}

/* Make room for need elements of size bytes in p (capacity *cap). */
void *
sps_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	ncap = *cap == 0 ? 16 : *cap;

	if (need <= *cap)
		return p;
	while (ncap < need)
		ncap *= 2;
	if ((p = reallocarray(p, ncap, size)) == NULL)
		sps_fatal_oom(__func__);
	*cap = ncap;
	return p;
}

int
sps_names_valid(const char *from, size_t fromlen, int remote, const char *to,
    size_t tolen)
{
	const char	*at;

	if (!relay_name_valid(to, tolen, 0) || fromlen == 0)
		return 0;
	if (!remote)
		return relay_name_valid(from, fromlen, 0);
	if ((at = memchr(from, '@', fromlen)) == NULL)
		return 0;
	return relay_name_valid(from, (size_t)(at - from), 0) &&
	    relay_name_valid(at + 1, fromlen - (size_t)(at - from) - 1, 0);
}

uint64_t
sps_random_id(struct spoolstore *s)
{
	uint64_t	id;
	int		tries;

	for (tries = 0; tries < 64; tries++) {
		if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
			fatal("%s: getrandom", __func__);
		if (id != 0 && sps_map_get(&s->ids, id) == NULL &&
		    sps_map_get(&s->finals, id) == NULL)
			return id;
	}
	fatalx("%s: no fresh id", __func__);
}

static uint64_t
fp_key(const uint8_t *fp)
{
	uint64_t	k;

	memcpy(&k, fp, sizeof(k));	/* a hash already */
	return k != 0 ? k : 1;
}

uint64_t
sps_seq_key(const struct sps_peer *p, uint64_t seq)
{
	uint64_t	k = fp_key(p->fp) ^ (seq * 0x9e3779b97f4a7c15ULL);

	return k != 0 ? k : 1;
}

static uint64_t
name_key(const struct spoolstore *s, const char *name, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ s->boxseed;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

struct sps_peer *
sps_peer_get(struct spoolstore *s, const uint8_t *fp, int make)
{
	struct sps_peer	*head, *p;
	uint64_t	 key = fp_key(fp);

	head = sps_map_get(&s->peers, key);
	for (p = head; p != NULL; p = p->next)
		if (memcmp(p->fp, fp, NC_SHA256_LEN) == 0)
			return p;
	if (!make || s->npeers >= SPS_MAX_ORIGINS)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		sps_fatal_oom(__func__);
	memcpy(p->fp, fp, NC_SHA256_LEN);
	p->next_seq = 1;
	TAILQ_INIT(&p->queued);
	TAILQ_INIT(&p->owed);
	p->next = head;
	if (sps_map_put(&s->peers, key, p) == -1)
		sps_fatal_oom(__func__);
	s->npeers++;
	return p;
}

struct sps_box *
sps_box_get(struct spoolstore *s, const char *name, size_t len, int make)
{
	struct sps_box	*head, *b;
	uint64_t	 key = name_key(s, name, len);

	head = sps_map_get(&s->boxes, key);
	for (b = head; b != NULL; b = b->next)
		if (b->namelen == len && memcmp(b->name, name, len) == 0)
			return b;
	if (!make || len == 0 || len > NC_NAME_MAX)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		sps_fatal_oom(__func__);
	TAILQ_INIT(&b->kept);
	b->namelen = (uint8_t)len;
	memcpy(b->name, name, len);
	b->next = head;
	if (sps_map_put(&s->boxes, key, b) == -1)
		sps_fatal_oom(__func__);
	return b;
}

/* An empty mailbox goes: names that once had mail cost nothing. */
static void
box_release(struct spoolstore *s, struct sps_box *b)
{
	struct sps_box	**pp, *head;
	uint64_t	  key = name_key(s, b->name, b->namelen);

	if (b->count != 0)
		return;
	head = sps_map_get(&s->boxes, key);
	for (pp = &head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	if (head == NULL)
		sps_map_del(&s->boxes, key);
	else if (sps_map_put(&s->boxes, key, head) == -1)
		sps_fatal_oom(__func__);
	free(b);
}

uint64_t
sps_entry_cost(const struct sps_entry *e)
{
	return e->reclen;
}

/* When the entry next needs attention: its end, or a day after. */
static uint64_t
deadline(const struct sps_entry *e)
{
	return e->state == SPS_AT_PEER ? e->end + SPS_RETAIN_SECS : e->end;
}

static void
chain_out(struct spoolstore *s, struct sps_entry *e, int add)
{
	struct sps_entry	*head, **pp;
	uint64_t		 key = sps_seq_key(e->peer, e->seq);

	head = sps_map_get(&s->outs, key);
	if (add)
		e->snext = head, head = e;
	else
		for (pp = &head; *pp != NULL; pp = &(*pp)->snext)
			if (*pp == e) {
				*pp = e->snext;
				break;
			}
	if (head == NULL)
		sps_map_del(&s->outs, key);
	else if (sps_map_put(&s->outs, key, head) == -1)
		sps_fatal_oom(__func__);
}

/* Put a new entry (kind, peer or box, seq, end, names set) in the tables. */
void
sps_entry_link(struct spoolstore *s, struct sps_entry *e)
{
	if (sps_map_put(&s->ids, e->id, e) == -1)
		sps_fatal_oom(__func__);
	e->hn.key = deadline(e);
	if (sps_heap_add(&s->deadlines, &e->hn) == -1)
		sps_fatal_oom(__func__);
	if (e->kind == SPS_OUT) {
		chain_out(s, e, 1);
		e->peer->bytes += sps_entry_cost(e);
		e->peer->count++;
		if (e->state == SPS_QUEUED)
			TAILQ_INSERT_TAIL(&e->peer->queued, e, qlink);
	} else {
		TAILQ_INSERT_TAIL(&e->box->kept, e, qlink);
		e->box->bytes += sps_entry_cost(e);
		e->box->count++;
	}
	s->bytes += sps_entry_cost(e);
}

/* Take a live entry out of every table and free it. */
void
sps_entry_drop(struct spoolstore *s, struct sps_entry *e)
{
	sps_map_del(&s->ids, e->id);
	sps_heap_del(&s->deadlines, &e->hn);
	if (e->kind == SPS_OUT) {
		chain_out(s, e, 0);
		e->peer->bytes -= sps_entry_cost(e);
		e->peer->count--;
		if (e->state == SPS_QUEUED)
			TAILQ_REMOVE(&e->peer->queued, e, qlink);
	} else {
		TAILQ_REMOVE(&e->box->kept, e, qlink);
		e->box->bytes -= sps_entry_cost(e);
		e->box->count--;
		box_release(s, e->box);
	}
	s->bytes -= sps_entry_cost(e);
	if (e->seg != NULL)
		e->seg->live--;
	free(e);
}

void
sps_set_state(struct spoolstore *s, struct sps_entry *e, uint8_t state)
{
	if (e->kind != SPS_OUT || e->state == state)
		return;
	if (e->state == SPS_QUEUED)
		TAILQ_REMOVE(&e->peer->queued, e, qlink);
	e->state = state;
	if (state == SPS_QUEUED) {
		/* Back in seq order (recovery only: checkpoints list it). */
		struct sps_entry *q;
		TAILQ_FOREACH(q, &e->peer->queued, qlink)
			if (q->seq > e->seq)
				break;
		if (q == NULL)
			TAILQ_INSERT_TAIL(&e->peer->queued, e, qlink);
		else
			TAILQ_INSERT_BEFORE(q, e, qlink);
	}
	sps_heap_rekey(&s->deadlines, &e->hn, deadline(e));
}

static void
chain_owed(struct spoolstore *s, struct sps_final *f, int add)
{
	struct sps_final	*head, **pp;
	uint64_t		 key = sps_seq_key(f->origin, f->oseq);

	head = sps_map_get(&s->oweds, key);
	if (add)
		f->onext = head, head = f;
	else
		for (pp = &head; *pp != NULL; pp = &(*pp)->onext)
			if (*pp == f) {
				*pp = f->onext;
				break;
			}
	if (head == NULL)
		sps_map_del(&s->oweds, key);
	else if (sps_map_put(&s->oweds, key, head) == -1)
		sps_fatal_oom(__func__);
}

/* The oldest retained statuses go first when there are too many. */
static void
retain(struct spoolstore *s, struct sps_final *f)
{
	struct sps_hnode	*hn;

	f->hn.key = f->until;
	if (sps_heap_add(&s->retained, &f->hn) == -1)
		sps_fatal_oom(__func__);
	while (s->retained.n > SPS_MAX_FINALS &&
	    (hn = sps_heap_min(&s->retained)) != NULL)
		sps_final_drop(s, SPS_CONTAINER(hn, struct sps_final, hn));
}

struct sps_final *
sps_final_add(struct spoolstore *s, uint64_t id, uint8_t status,
    uint64_t until, int remote, struct sps_peer *owed_to, uint64_t inc,
    uint64_t oseq)
{
	struct sps_final	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		sps_fatal_oom(__func__);
	f->id = id;
	f->status = status;
	f->until = until;
	f->remote = remote != 0;
	f->hn.idx = SIZE_MAX;
	if (sps_map_put(&s->finals, id, f) == -1)
		sps_fatal_oom(__func__);
	if (owed_to != NULL) {
		f->origin = owed_to;
		f->inc = inc;
		f->oseq = oseq;
		TAILQ_INSERT_TAIL(&owed_to->owed, f, olink);
		chain_owed(s, f, 1);
		s->nowed++;
	} else
		retain(s, f);
	return f;
}

void
sps_final_drop(struct spoolstore *s, struct sps_final *f)
{
	sps_map_del(&s->finals, f->id);
	if (f->origin != NULL) {
		TAILQ_REMOVE(&f->origin->owed, f, olink);
		chain_owed(s, f, 0);
		s->nowed--;
	} else
		sps_heap_del(&s->retained, &f->hn);
	free(f);
}

/* The peer has the report: the status is only kept for queries now. */
void
sps_final_reported(struct spoolstore *s, struct sps_final *f)
{
	if (f->origin == NULL)
		return;
	TAILQ_REMOVE(&f->origin->owed, f, olink);
	chain_owed(s, f, 0);
	s->nowed--;
	f->origin = NULL;
	retain(s, f);
}

/* A live entry reaches its final status: what it owes, then it goes. */
struct sps_final *
sps_finalize(struct spoolstore *s, struct sps_entry *e, uint8_t status)
{
	struct sps_final	*f;
	int			 owes = e->kind == SPS_BOX && e->remote;

	f = sps_final_add(s, e->id, status, e->end + SPS_RETAIN_SECS,
	    e->remote, owes ? e->peer : NULL, e->inc, e->oseq);
	sps_entry_drop(s, e);
	return f;
}

static void
stage_done(struct spoolstore *s, uint64_t req, uint64_t id, uint8_t status,
    int dup)
{
	struct sps_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SPS_EV_DONE;
	ev.u.done.req = req;
	ev.u.done.id = id;
	ev.u.done.status = status;
	ev.u.done.dup = dup ? 1 : 0;
	sps_stage_event(s, &ev, 0);
}

static void
stage_report(struct spoolstore *s, const struct sps_final *f, int tied)
{
	struct sps_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SPS_EV_REPORT;
	memcpy(ev.u.report.fp, f->origin->fp, NC_SHA256_LEN);
	ev.u.report.inc = f->inc;
	ev.u.report.seq = f->oseq;
	ev.u.report.status = f->status;
	sps_stage_event(s, &ev, tied);
}

static void
stage_notify(struct spoolstore *s, uint64_t id, uint8_t status,
    const char *from, size_t fromlen)
{
	struct sps_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SPS_EV_NOTIFY;
	ev.u.notify.id = id;
	ev.u.notify.status = status;
	ev.u.notify.fromlen = (uint8_t)fromlen;
	memcpy(ev.from, from, fromlen);
	sps_stage_event(s, &ev, 0);
}

/* Finalize with a record, and owe what the final status owes. */
static void
stage_final(struct spoolstore *s, struct sps_entry *e, uint8_t status)
{
	struct sps_final	*f;
	char			 from[NC_NAME_MAX];
	size_t			 fromlen = e->fromlen;
	uint64_t		 id = e->id;
	int			 remote = e->remote;

	if (!remote)
		memcpy(from, e->names, fromlen);
	sps_stage_state(s, id, SPS_OP_FINAL, status);
	f = sps_finalize(s, e, status);
	if (remote)
		stage_report(s, f, 0);
	else
		stage_notify(s, id, status, from, fromlen);
}

/* The rule of a local name: first match; NULL for the default. */
const struct sps_rule *
sps_box_rule(const struct spoolstore *s, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < s->nrules; i++)
		if (nc__pat_match(s->rules[i].pattern, s->rules[i].len, name,
		    len))
			return &s->rules[i];
	return NULL;
}

static int
total_fits(const struct spoolstore *s, uint64_t cost)
{
	if (s->ids.n >= SPS_MAX_LIVE)
		return 0;
	return s->set.total_bytes == 0 || (s->bytes <= s->set.total_bytes &&
	    cost <= s->set.total_bytes - s->bytes);
}

/* Room in the mailbox of name: ST_OK, ST_SPOOL_FULL or no mailbox. */
static uint8_t
box_room(struct spoolstore *s, const char *name, size_t len, uint64_t cost)
{
	const struct sps_rule	*r = sps_box_rule(s, name, len);
	const struct sps_box	*b = sps_box_get(s, name, len, 0);
	uint64_t		 maxb = SPS_BOX_DEFAULT_BYTES, used = 0;
	uint32_t		 maxc = SPS_BOX_DEFAULT_COUNT, count = 0;

	if (r != NULL && r->none)
		return ST_NO_SUCH_SESSION;
	if (r != NULL) {
		maxb = r->max_bytes;
		maxc = r->max_count;
	}
	if (b != NULL) {
		used = b->bytes;
		count = b->count;
	}
	if (count >= maxc || used > maxb || cost > maxb - used ||
	    !total_fits(s, cost))
		return ST_SPOOL_FULL;
	return ST_OK;
}

static struct sps_entry *
entry_new(struct spoolstore *s, uint8_t kind, const struct sps_msg *m,
    uint32_t ttl, uint64_t now, size_t reclen)
{
	struct sps_entry	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		sps_fatal_oom(__func__);
	e->id = sps_random_id(s);
	e->kind = kind;
	e->end = now + ttl;
	e->reclen = (uint32_t)reclen;
	e->fromlen = (uint8_t)m->fromlen;
	e->tolen = (uint8_t)m->tolen;
	memcpy(e->names, m->from, m->fromlen);
	memcpy(e->names + m->fromlen, m->to, m->tolen);
	e->hn.idx = SIZE_MAX;
	return e;
}

static size_t
msg_reclen(const struct sps_msg *m, int with_payload)
{
	return SPOOLREC_SIZE(SPS_MSG_FIXED + m->fromlen + m->tolen +
	    (with_payload ? m->len : 0));
}

void
sps_refuse(struct spoolstore *s, uint64_t req, uint8_t status)
{
	stage_done(s, req, 0, status, 0);
}

void
sps_put(struct spoolstore *s, const struct sp_put *p,
    const struct sps_msg *m, uint64_t now)
{
	struct sps_entry	*e;
	struct sps_peer		*peer = NULL;
	size_t			 cost = msg_reclen(m, 1);
	uint8_t			 st;

	if (p->dest == SP_DEST_LOCAL) {
		if ((st = box_room(s, m->to, m->tolen, cost)) != ST_OK) {
			stage_done(s, p->req, 0, st, 0);
			return;
		}
	} else if ((peer = sps_peer_get(s, p->fp, 1)) == NULL ||
	    !total_fits(s, cost) || (s->set.peer_bytes != 0 &&
	    (peer->bytes > s->set.peer_bytes ||
	    cost > s->set.peer_bytes - peer->bytes))) {
		stage_done(s, p->req, 0, ST_SPOOL_FULL, 0);
		return;
	}
	e = entry_new(s, p->dest == SP_DEST_LOCAL ? SPS_BOX : SPS_OUT, m,
	    p->ttl, now, cost);
	e->flags = p->flags;
	if (peer != NULL) {
		e->peer = peer;
		e->seq = peer->next_seq++;
		e->state = SPS_QUEUED;
	} else {
		e->box = sps_box_get(s, m->to, m->tolen, 1);
		e->seq = ++s->next_pos;
		e->state = SPS_KEPT;
	}
	sps_entry_link(s, e);
	sps_stage_msg(s, e, m, ST_OK);
	sps_stage_undo(s, SPS_UNDO_ENTRY, e, 0, 0);
	stage_done(s, p->req, e->id, ST_OK, 0);
}

/* Taking (inc, seq) from this origin: remember it, undoably. */
static void
origin_take(struct spoolstore *s, struct sps_peer *o, uint64_t inc,
    uint64_t seq)
{
	sps_stage_undo(s, o->is_origin ? SPS_UNDO_ORIGIN : SPS_UNDO_NEWORIGIN,
	    o, o->inc, o->high);
	if (!o->is_origin || o->inc != inc) {
		if (!o->is_origin)
			s->norigins++;
		o->is_origin = 1;
		o->inc = inc;
		o->high = 0;
		o->blocked_seq = 0;
	}
	if (seq > o->high)
		o->high = seq;
	if (o->blocked_seq != 0 && seq <= o->blocked_seq)
		o->blocked_seq = 0;
}

/*
 * After a refusal for room, a later seq of the same origin is refused
 * too for a while: taking it would raise high past the refused one,
 * which would then pass for a duplicate when the sender tries again.
 */
static int
origin_blocked(const struct sps_peer *o, const struct sp_in *in, uint64_t now)
{
	return o->is_origin && o->inc == in->inc && o->blocked_seq != 0 &&
	    in->seq > o->blocked_seq && now < o->blocked_until;
}

static void
origin_block(struct sps_peer *o, const struct sp_in *in, uint64_t now)
{
	if (!o->is_origin || o->inc != in->inc)
		return;
	if (o->blocked_seq == 0 || in->seq < o->blocked_seq)
		o->blocked_seq = in->seq;
	o->blocked_until = now + SPS_BLOCK_SECS;
}

/* A refusal the network child or the mailbox rule judged: final at once. */
static void
in_refusal(struct spoolstore *s, const struct sp_in *in,
    const struct sps_msg *m, struct sps_peer *o, uint8_t status, uint64_t now)
{
	struct sps_entry	 tmp;
	struct sps_final	*f;

	memset(&tmp, 0, sizeof(tmp));
	tmp.id = sps_random_id(s);
	tmp.kind = SPS_BOX;
	tmp.remote = 1;
	tmp.end = now + in->ttl;
	tmp.flags = in->flags;
	tmp.peer = o;
	tmp.inc = in->inc;
	tmp.oseq = in->seq;
	tmp.seq = ++s->next_pos;
	sps_stage_msg(s, &tmp, m, status);
	origin_take(s, o, in->inc, in->seq);
	f = sps_final_add(s, tmp.id, status, tmp.end + SPS_RETAIN_SECS, 1, o,
	    in->inc, in->seq);
	sps_stage_undo(s, SPS_UNDO_FINAL, f, 0, 0);
	stage_report(s, f, 1);
	stage_done(s, in->req, tmp.id, ST_OK, 0);
}

void
sps_in(struct spoolstore *s, const struct sp_in *in, const struct sps_msg *m,
    uint64_t now)
{
	struct sps_peer		*o;
	struct sps_entry	*e;
	size_t			 cost = msg_reclen(m, 1);
	uint8_t			 st = in->status;

	if ((o = sps_peer_get(s, in->fp, 1)) == NULL) {
		stage_done(s, in->req, 0, ST_SPOOL_FULL, 0);
		return;
	}
	if (o->is_origin && o->inc == in->inc && in->seq <= o->high) {
		stage_done(s, in->req, 0, ST_OK, 1);
		return;
	}
	if (origin_blocked(o, in, now) || s->nowed >= SPS_MAX_OWED ||
	    (!o->is_origin && s->norigins >= SPS_MAX_ORIGINS)) {
		stage_done(s, in->req, 0, ST_SPOOL_FULL, 0);
		return;
	}
	if (st == ST_OK)
		st = box_room(s, m->to, m->tolen, cost);
	if (st == ST_SPOOL_FULL) {
		origin_block(o, in, now);
		stage_done(s, in->req, 0, ST_SPOOL_FULL, 0);
		return;
	}
	if (st != ST_OK) {
		in_refusal(s, in, m, o, st, now);
		return;
	}
	e = entry_new(s, SPS_BOX, m, in->ttl, now, cost);
	e->flags = in->flags;
	e->remote = 1;
	e->peer = o;
	e->inc = in->inc;
	e->oseq = in->seq;
	e->box = sps_box_get(s, m->to, m->tolen, 1);
	e->seq = ++s->next_pos;
	e->state = SPS_KEPT;
	sps_entry_link(s, e);
	sps_stage_msg(s, e, m, ST_OK);
	origin_take(s, o, in->inc, in->seq);
	sps_stage_undo(s, SPS_UNDO_ENTRY, e, 0, 0);
	stage_done(s, in->req, e->id, ST_OK, 0);
}

static struct sps_entry *
out_find(struct spoolstore *s, const struct sps_peer *p, uint64_t seq)
{
	struct sps_entry	*e;

	for (e = sps_map_get(&s->outs, sps_seq_key(p, seq)); e != NULL;
	    e = e->snext)
		if (e->peer == p && e->seq == seq)
			return e;
	return NULL;
}

void
sps_out_result(struct spoolstore *s, const struct sp_result *r, uint64_t now)
{
	struct sps_peer		*p = sps_peer_get(s, r->fp, 0);
	struct sps_entry	*e = NULL;
	struct sps_event	 ev;

	(void)now;
	if (p != NULL && r->inc == s->inc)
		e = out_find(s, p, r->seq);
	/* Unknown, or done with already: answered all the same. */
	if (e != NULL && e->seg != NULL) {
		if (r->final) {
			/* Only its SFINAL_ACK waits for it: it may wait. */
			s->sdeferring = 1;
			stage_final(s, e, r->status);
			s->sdeferring = 0;
		}
		else if (r->status == ST_OK && e->state == SPS_QUEUED) {
			sps_stage_state(s, e->id, SPS_OP_AT_PEER, 0);
			sps_set_state(s, e, SPS_AT_PEER);
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SPS_EV_RESULT_DONE;
	ev.u.result = *r;
	sps_stage_event(s, &ev, 0);
}

void
sps_taken(struct spoolstore *s, uint64_t id, uint64_t now)
{
	struct sps_entry	*e = sps_map_get(&s->ids, id);

	(void)now;
	/* Taken twice, or never ours: nothing to do. */
	if (e == NULL || e->kind != SPS_BOX || e->seg == NULL)
		return;
	stage_final(s, e, ST_OK);
}

int
sps_drop(struct spoolstore *s, uint64_t id, uint8_t *ended)
{
	struct sps_entry	*e = sps_map_get(&s->ids, id);
	struct sps_final	*f;

	if (e == NULL) {
		if ((f = sps_map_get(&s->finals, id)) == NULL)
			return SPS_DROP_UNKNOWN;
		*ended = f->status;
		return SPS_DROP_ENDED;
	}
	if (e->seg == NULL)
		return SPS_DROP_NOT_YET;
	if (e->kind == SPS_OUT && e->state == SPS_AT_PEER)
		return SPS_DROP_AT_PEER;
	if (e->handed)
		return e->kind == SPS_OUT ? SPS_DROP_SENT : SPS_DROP_HANDED;
	stage_final(s, e, ST_DROPPED);
	return SPS_DROP_OK;
}

void
sps_reported(struct spoolstore *s, const struct sp_report *r)
{
	struct sps_peer		*p = sps_peer_get(s, r->fp, 0);
	struct sps_final	*f;

	if (p == NULL)
		return;
	for (f = sps_map_get(&s->oweds, sps_seq_key(p, r->seq)); f != NULL;
	    f = f->onext)
		if (f->origin == p && f->oseq == r->seq && f->inc == r->inc)
			break;
	if (f == NULL)
		return;
	sps_stage_state(s, f->id, SPS_OP_REPORTED, 0);
	sps_final_reported(s, f);
}

void
sps_expire(struct spoolstore *s, uint64_t now)
{
	struct sps_hnode	*hn;
	struct sps_entry	*e;
	size_t			 n;

	for (n = 0; n < SPS_EXPIRE_BATCH; n++) {
		if ((hn = sps_heap_min(&s->deadlines)) == NULL ||
		    hn->key > now)
			break;
		e = SPS_CONTAINER(hn, struct sps_entry, hn);
		if (e->seg == NULL)
			break;
		/* At the peer: its spool expires it; we stop waiting. */
		if (e->state == SPS_AT_PEER)
			sps_entry_drop(s, e);
		else
			stage_final(s, e, ST_EXPIRED);
	}
	while ((hn = sps_heap_min(&s->retained)) != NULL && hn->key <= now)
		sps_final_drop(s, SPS_CONTAINER(hn, struct sps_final, hn));
}

