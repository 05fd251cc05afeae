/*
 * The storage engine on disk (doc/SPOOL.md 9 to 13): the bodies of MSG
 * and STATE records, staging them and committing a batch with one
 * fdatasync (spoolseg_append), then handing out the answers; segments
 * that rotate at SPS_ROTATE_SIZE with a checkpoint at the head of each;
 * dead segments unlinked; and recovery at start, which replays every
 * segment in order and trusts nothing it reads before checking it.
 */
#include "config.h"

#include <sys/random.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relay.h"
#include "spoolstore_int.h"

const size_t	sps_ck_len[CK_OWED + 1] = {
	[CK_HEAD] = 16, [CK_PEER] = 40, [CK_ORIGIN] = 48, [CK_LIVE] = 17,
	[CK_FINAL] = 18, [CK_OWED] = 65
};

void
sps_seg_name(uint64_t no, char name[SPS_SEGNAME_LEN + 1])
{
	(void)snprintf(name, SPS_SEGNAME_LEN + 1, "seg.%016" PRIx64, no);
}

void
sps_note_damage(struct spoolstore *s, uint64_t seg, uint64_t off,
    uint64_t len, const char *why)
{
	s->damaged++;
	if (s->ndamage < SPS_MAX_DAMAGE) {
		s->damage[s->ndamage].seg = seg;
		s->damage[s->ndamage].off = off;
		s->damage[s->ndamage].len = len;
		s->damage[s->ndamage].why = why;
		s->ndamage++;
	}
	if (s->dlogged++ < SPS_DAMAGE_LOGGED)
		log_warnx("spool: segment %016" PRIx64 " offset %" PRIu64
		    ": %" PRIu64 " bytes damaged (%s), never delivered",
		    seg, off, len, why);
}

/* ---- staging ---------------------------------------------------------- */

static size_t
stage_bytes(struct spoolstore *s, uint8_t kind, size_t len, int joins_state)
{
	size_t	off = s->slen;

	s->sbuf = sps_grow(s->sbuf, &s->scap, s->slen + len, 1);
	s->slen += len;
	if (joins_state) {
		s->srecs[s->statrec - 1].len += len;
		return off;
	}
	s->srecs = sps_grow(s->srecs, &s->srcap, s->nsrecs + 1,
	    sizeof(*s->srecs));
	s->srecs[s->nsrecs].kind = kind;
	s->srecs[s->nsrecs].off = off;
	s->srecs[s->nsrecs].len = len;
	s->srecs[s->nsrecs].e = NULL;
	s->nsrecs++;
	return off;
}

/*
 * A MSG record for e (or for a refusal: status set, no payload).  Its
 * body: u64 id | u8 kind | u8 flags | u8 fromlen | u8 tolen | u8 status |
 * u8 remote | u16 0 | u64 end | u64 seq | fp[32] | u64 inc | u64 oseq |
 * from | to | payload.
 */
void
sps_stage_msg(struct spoolstore *s, struct sps_entry *e,
    const struct sps_msg *m, uint8_t status)
{
	size_t	 plen = status == ST_OK ? m->len : 0, off;
	uint8_t	*b;

	s->statrec = 0;
	s->ssync = s->surgent = 1;
	off = stage_bytes(s, SPOOLREC_MSG, SPS_MSG_FIXED + m->fromlen +
	    m->tolen + plen, 0);
	if (status == ST_OK)
		s->srecs[s->nsrecs - 1].e = e;
	b = s->sbuf + off;
	memset(b, 0, SPS_MSG_FIXED);
	sps_put64(b, e->id);
	b[8] = e->kind;
	b[9] = e->flags;
	b[10] = (uint8_t)m->fromlen;
	b[11] = (uint8_t)m->tolen;
	b[12] = status;
	b[13] = e->remote;
	sps_put64(b + 16, e->end);
	sps_put64(b + 24, e->seq);
	if (e->peer != NULL)
		memcpy(b + 32, e->peer->fp, NC_SHA256_LEN);
	sps_put64(b + 64, e->inc);
	sps_put64(b + 72, e->oseq);
	b += SPS_MSG_FIXED;
	memcpy(b, m->from, m->fromlen);
	memcpy(b + m->fromlen, m->to, m->tolen);
	if (plen > 0)
		memcpy(b + m->fromlen + m->tolen, m->payload, plen);
}

/* One change in the open STATE record: u64 id | u8 op | u8 status | 0s. */
void
sps_stage_state(struct spoolstore *s, uint64_t id, uint8_t op, uint8_t status)
{
	size_t	 off;
	int	 joins = s->statrec != 0 && s->srecs[s->statrec - 1].len +
		    SPS_STATE_ITEM <= SPOOLREC_MAXBODY;
	uint8_t	*b;

	/*
	 * "At the peer" and "reported" may be lost in a crash: the entry is
	 * then sent again (the peer's spool knows it has it) or reported
	 * again (the peer acknowledges again).  Everything else is a
	 * decision that must be durable before it is acted on.
	 */
	if (op != SPS_OP_AT_PEER && op != SPS_OP_REPORTED) {
		s->ssync = 1;
		s->surgent |= !s->sdeferring;
	}
	off = stage_bytes(s, SPOOLREC_STATE, SPS_STATE_ITEM, joins);
	if (!joins)
		s->statrec = s->nsrecs;
	b = s->sbuf + off;
	memset(b, 0, SPS_STATE_ITEM);
	sps_put64(b, id);
	b[8] = op;
	b[9] = status;
}

void
sps_stage_event(struct spoolstore *s, const struct sps_event *ev, int tied)
{
	s->sev = sps_grow(s->sev, &s->sevcap, s->nsev + 1, sizeof(*s->sev));
	s->sev[s->nsev].ev = *ev;
	s->sev[s->nsev].tied = tied;
	s->nsev++;
}

void
sps_stage_undo(struct spoolstore *s, int what, void *p, uint64_t inc,
    uint64_t high)
{
	s->undo = sps_grow(s->undo, &s->undocap, s->nundo + 1,
	    sizeof(*s->undo));
	s->undo[s->nundo].what = what;
	s->undo[s->nundo].p = p;
	s->undo[s->nundo].inc = inc;
	s->undo[s->nundo].high = high;
	s->nundo++;
}

int
sps_pending(const struct spoolstore *s)
{
	return s->nsrecs > 0 || s->nsev > 0;
}

int
sps_urgent(const struct spoolstore *s)
{
	return s->surgent;
}

void
sps_stage_free(struct spoolstore *s)
{
	free(s->sbuf);
	free(s->srecs);
	free(s->sev);
	free(s->undo);
}

static void
emit_staged(struct spoolstore *s)
{
	size_t	i, n = s->nsev;

	/* Cleared first: emit may not stage, but must see a clean store. */
	s->nsev = 0;
	for (i = 0; i < n; i++)
		s->emit(s->arg, &s->sev[i].ev);
}

/* ---- segments --------------------------------------------------------- */

static int
append(struct spoolstore *s, struct sps_seg *seg, const uint8_t *buf,
    const struct sps_rec *r, size_t n, int sync)
{
	struct spoolseg_rec	*recs;
	size_t			 i;
	int			 rv;

	if ((recs = calloc(n, sizeof(*recs))) == NULL)
		sps_fatal_oom(__func__);
	for (i = 0; i < n; i++) {
		recs[i].kind = r[i].kind;
		recs[i].body = buf + r[i].off;
		recs[i].len = r[i].len;
	}
	rv = spoolseg_write(&seg->sg, recs, n, sync);
	free(recs);
	s->appends++;
	s->syncs += sync != 0;
	if (rv == 0)
		s->records += n;
	return rv;
}

/* Growing checkpoint: records of at most SPOOLREC_MAXBODY. */
struct ckpt {
	uint8_t		*buf;
	size_t		 len, cap;
	struct sps_rec	*r;
	size_t		 n, rcap;
	size_t		 count;		/* items in the open record */
};

static void
ck_close_rec(struct ckpt *c, int last)
{
	uint8_t	*h = c->buf + c->r[c->n - 1].off;

	h[0] = last ? CK_LAST : 0;
	h[4] = (uint8_t)(c->count >> 24);
	h[5] = (uint8_t)(c->count >> 16);
	h[6] = (uint8_t)(c->count >> 8);
	h[7] = (uint8_t)c->count;
}

static uint8_t *
ck_item(struct ckpt *c, uint8_t type)
{
	size_t	need = 1 + sps_ck_len[type];
	uint8_t	*p;

	if (c->n == 0 || c->r[c->n - 1].len + need > SPOOLREC_MAXBODY) {
		if (c->n > 0)
			ck_close_rec(c, 0);
		c->r = sps_grow(c->r, &c->rcap, c->n + 1, sizeof(*c->r));
		c->buf = sps_grow(c->buf, &c->cap, c->len + CK_HDRLEN, 1);
		memset(c->buf + c->len, 0, CK_HDRLEN);
		c->r[c->n].kind = SPOOLREC_CKPT;
		c->r[c->n].off = c->len;
		c->r[c->n].len = CK_HDRLEN;
		c->r[c->n].e = NULL;
		c->n++;
		c->len += CK_HDRLEN;
		c->count = 0;
	}
	c->buf = sps_grow(c->buf, &c->cap, c->len + need, 1);
	p = c->buf + c->len;
	memset(p, 0, need);
	p[0] = type;
	c->len += need;
	c->r[c->n - 1].len += need;
	c->count++;
	return p + 1;
}

static void
ck_build(struct spoolstore *s, struct ckpt *c)
{
	struct sps_entry	*e;
	struct sps_final	*f;
	struct sps_peer		*p;
	uint8_t			*b;
	size_t			 i;

	b = ck_item(c, CK_HEAD);
	sps_put64(b, s->inc);
	sps_put64(b + 8, s->next_pos);
	for (i = 0; i < s->peers.cap; i++)
		for (p = s->peers.vals[i]; s->peers.keys[i] && p; p = p->next) {
			b = ck_item(c, CK_PEER);
			memcpy(b, p->fp, NC_SHA256_LEN);
			sps_put64(b + 32, p->next_seq);
			if (!p->is_origin)
				continue;
			b = ck_item(c, CK_ORIGIN);
			memcpy(b, p->fp, NC_SHA256_LEN);
			sps_put64(b + 32, p->inc);
			sps_put64(b + 40, p->high);
			TAILQ_FOREACH(f, &p->owed, olink) {
				b = ck_item(c, CK_OWED);
				sps_put64(b, f->id);
				b[8] = f->status;
				sps_put64(b + 9, f->until);
				memcpy(b + 17, p->fp, NC_SHA256_LEN);
				sps_put64(b + 49, f->inc);
				sps_put64(b + 57, f->oseq);
			}
		}
	for (i = 0; i < s->ids.cap; i++)
		if (s->ids.keys[i] != 0 && (e = s->ids.vals[i])->seg != NULL) {
			b = ck_item(c, CK_LIVE);
			sps_put64(b, e->id);
			b[8] = e->state;
			sps_put64(b + 9, e->end);
		}
	for (i = 0; i < s->retained.n; i++) {
		f = SPS_CONTAINER(s->retained.v[i], struct sps_final, hn);
		b = ck_item(c, CK_FINAL);
		sps_put64(b, f->id);
		b[8] = f->status;
		b[9] = f->remote;
		sps_put64(b + 10, f->until);
	}
	ck_close_rec(c, 1);
}

/* Close and remove every segment but the current one with nothing live. */
static void
unlink_dead(struct spoolstore *s)
{
	struct sps_seg	*seg, *next, *cur = TAILQ_LAST(&s->segs, sps_seglist);
	char		 name[SPS_SEGNAME_LEN + 1];
	int		 any = 0;

	for (seg = TAILQ_FIRST(&s->segs); seg != NULL; seg = next) {
		next = TAILQ_NEXT(seg, link);
		if (seg == cur || seg->live != 0)
			continue;
		sps_seg_name(seg->no, name);
		if (unlinkat(s->dirfd, name, 0) == -1 && errno != ENOENT) {
			log_warn("spool: unlink %s", name);
			continue;
		}
		spoolseg_close(&seg->sg);
		TAILQ_REMOVE(&s->segs, seg, link);
		free(seg);
		s->nsegs--;
		s->unlinked++;
		any = 1;
	}
	if (any && fsync(s->dirfd) == -1)
		log_warn("spool: fsync of the spool directory");
}

/*
 * Start a new segment whose head is a checkpoint of what memory holds
 * (nothing staged), then drop the segments that hold nothing live.
 */
int
sps_rotate(struct spoolstore *s)
{
	struct sps_seg	*seg, *last = TAILQ_LAST(&s->segs, sps_seglist);
	uint8_t		 salt[SPOOLREC_SALTLEN];
	char		 name[SPS_SEGNAME_LEN + 1];
	struct ckpt	 c;
	int		 rv;

	if ((seg = calloc(1, sizeof(*seg))) == NULL)
		sps_fatal_oom(__func__);
	seg->no = last != NULL ? last->no + 1 : 1;
	sps_seg_name(seg->no, name);
	if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		fatal("%s: getrandom", __func__);
	if (spoolseg_create(s->dirfd, name, salt, &seg->sg) == -1) {
		log_warn("spool: create %s", name);
		free(seg);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	ck_build(s, &c);
	rv = append(s, seg, c.buf, c.r, c.n, 1);
	free(c.buf);
	free(c.r);
	if (rv == -1) {
		log_warn("spool: checkpoint in %s", name);
		spoolseg_close(&seg->sg);
		(void)unlinkat(s->dirfd, name, 0);
		free(seg);
		return -1;
	}
	seg->ckptend = seg->sg.size;
	TAILQ_INSERT_TAIL(&s->segs, seg, link);
	s->nsegs++;
	unlink_dead(s);
	return 0;
}

/* The append failed: take back what it would have made. */
static void
undo_batch(struct spoolstore *s)
{
	struct sps_undo	*u;
	struct sps_peer	*o;
	size_t		 i, j;

	for (i = s->nundo; i-- > 0;) {
		u = &s->undo[i];
		switch (u->what) {
		case SPS_UNDO_ENTRY:
			sps_entry_drop(s, u->p);
			break;
		case SPS_UNDO_FINAL:
			sps_final_drop(s, u->p);
			break;
		case SPS_UNDO_ORIGIN:
		case SPS_UNDO_NEWORIGIN:
			o = u->p;
			o->inc = u->inc;
			o->high = u->high;
			if (u->what == SPS_UNDO_NEWORIGIN && o->is_origin) {
				o->is_origin = 0;
				s->norigins--;
			}
			break;
		}
	}
	/* What was taken is refused instead; its reports never were. */
	for (i = j = 0; i < s->nsev; i++) {
		struct sps_event *ev = &s->sev[i].ev;
		if (s->sev[i].tied)
			continue;
		if (ev->type == SPS_EV_DONE &&
		    (ev->u.done.status == ST_OK || ev->u.done.dup)) {
			ev->u.done.status = ST_SPOOL_FULL;
			ev->u.done.id = 0;
			ev->u.done.dup = 0;
		}
		s->sev[j++] = s->sev[i];
	}
	s->nsev = j;
}

/*
 * A new segment, with a checkpoint, when the current one is full, or
 * when segments that hold nothing live any more are worth removing: a
 * segment may go only once a checkpoint newer than all of its records
 * says what became of the entries they name.  "Worth": at least 1 MiB
 * and as much as the checkpoint costs, so that the rewriting stays
 * below what it frees.
 */
static int
rotation_due(struct spoolstore *s, struct sps_seg *cur)
{
	struct sps_seg	*seg;
	size_t		 dead = 0;

	if (cur->sg.size - cur->ckptend >= SPS_ROTATE_SIZE)
		return 1;
	TAILQ_FOREACH(seg, &s->segs, link)
		if (seg != cur && seg->live == 0)
			dead += seg->sg.size;
	return dead >= SPS_DEAD_MIN && dead >= cur->ckptend;
}

/* The batch is over: forget its records, hand out its answers. */
static void
batch_done(struct spoolstore *s)
{
	s->slen = s->nsrecs = s->statrec = s->nundo = 0;
	s->ssync = s->surgent = 0;
	emit_staged(s);
}

/* Where each new entry of the batch now lives. */
static void
place_entries(struct spoolstore *s, struct sps_seg *cur, size_t off)
{
	size_t	i;

	for (i = 0; i < s->nsrecs; i++) {
		if (s->srecs[i].e != NULL) {
			s->srecs[i].e->seg = cur;
			s->srecs[i].e->off = (uint32_t)off;
			cur->live++;
		}
		off += SPOOLREC_SIZE(s->srecs[i].len);
	}
}

int
sps_commit(struct spoolstore *s, uint64_t now)
{
	struct sps_seg	*cur = TAILQ_LAST(&s->segs, sps_seglist);
	size_t		 off = cur->sg.size;

	(void)now;
	if (s->nsrecs == 0) {
		batch_done(s);
		return 0;
	}
	if (append(s, cur, s->sbuf, s->srecs, s->nsrecs, s->ssync) == 0) {
		place_entries(s, cur, off);
		batch_done(s);
		if (rotation_due(s, cur) && sps_rotate(s) == -1)
			log_warnx("spool: segment %016" PRIx64 " goes on past "
			    "its size", cur->no);
		return 0;
	}
	log_warn("spool: append to segment %016" PRIx64 " failed; what it "
	    "held is refused", cur->no);
	undo_batch(s);
	/* The changes that stay become durable in the new checkpoint. */
	if (sps_rotate(s) == -1)
		fatalx("spool: no new segment after a failed append");
	batch_done(s);
	return -1;
}

/* ---- reading back ----------------------------------------------------- */

/* Check a MSG body; 0 and its parts, or -1 for damage. */
int
sps_msg_decode(const uint8_t *b, size_t len, struct sps_entry *e, uint8_t *status,
    uint8_t fp[NC_SHA256_LEN], struct sps_msg *m)
{
	size_t	names;

	if (len < SPS_MSG_FIXED)
		return -1;
	memset(e, 0, sizeof(*e));
	e->id = sps_get64(b);
	e->kind = b[8];
	e->flags = b[9];
	e->fromlen = b[10];
	e->tolen = b[11];
	*status = b[12];
	e->remote = b[13];
	e->end = sps_get64(b + 16);
	e->seq = sps_get64(b + 24);
	memcpy(fp, b + 32, NC_SHA256_LEN);
	e->inc = sps_get64(b + 64);
	e->oseq = sps_get64(b + 72);
	names = (size_t)e->fromlen + e->tolen;
	if (e->id == 0 || e->seq == 0 || b[14] != 0 || b[15] != 0 ||
	    e->remote > 1 || len - SPS_MSG_FIXED < names)
		return -1;
	if (e->kind == SPS_OUT ? (e->remote || *status != ST_OK) :
	    e->kind != SPS_BOX)
		return -1;
	m->from = (const char *)b + SPS_MSG_FIXED;
	m->fromlen = e->fromlen;
	m->to = m->from + e->fromlen;
	m->tolen = e->tolen;
	m->payload = b + SPS_MSG_FIXED + names;
	m->len = len - SPS_MSG_FIXED - names;
	if (!sps_names_valid(m->from, m->fromlen, e->remote, m->to, m->tolen))
		return -1;
	if (*status != ST_OK && (m->len != 0 || !e->remote))
		return -1;
	return 0;
}

struct one_rec {
	const uint8_t	*body;
	size_t		 len;
	size_t		 n;
};

static int
one_record(size_t off, uint8_t kind, const uint8_t *body, size_t len,
    void *arg)
{
	struct one_rec	*o = arg;

	(void)off;
	if (kind == SPOOLREC_MSG && o->n++ == 0) {
		o->body = body;
		o->len = len;
	}
	return 0;
}

int
sps_read_entry(struct spoolstore *s, struct sps_entry *e, uint8_t *buf,
    const uint8_t **payload, size_t *len)
{
	struct spoolrec_scan	res;
	struct one_rec		o = { NULL, 0, 0 };
	struct sps_entry	d;
	struct sps_msg		m;
	uint8_t			st, fp[NC_SHA256_LEN];
	ssize_t			n;
	size_t			got = 0;

	memset(&res, 0, sizeof(res));
	while (got < e->reclen) {
		n = pread(e->seg->sg.fd, buf + got, e->reclen - got,
		    (off_t)e->off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == e->reclen)
		(void)spoolrec_scan(e->seg->sg.salt, buf, got, one_record,
		    NULL, &o, &res);
	if (o.n != 1 || res.damaged != 0 || res.torn ||
	    sps_msg_decode(o.body, o.len, &d, &st, fp, &m) == -1 || d.id != e->id) {
		e->unreadable = 1;
		sps_note_damage(s, e->seg->no, e->off, e->reclen,
		    "entry no longer reads back");
		return -1;
	}
	*payload = m.payload;
	*len = m.len;
	return 0;
}

void
sps_segs_close(struct spoolstore *s)
{
	struct sps_seg	*seg;

	while ((seg = TAILQ_FIRST(&s->segs)) != NULL) {
		TAILQ_REMOVE(&s->segs, seg, link);
		spoolseg_close(&seg->sg);
		free(seg);
	}
	s->nsegs = 0;
}
