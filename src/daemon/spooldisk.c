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

#define SPS_SEGNAME_LEN		20	/* "seg." and 16 hex digits */
#define SPS_DAMAGE_LOGGED	16	/* lines at start; a count for more */
#define SPS_MAX_SEGMENTS	100000	/* files read at start */

/* Checkpoint items (doc/SPOOL.md 11). */
#define CK_HEAD			1	/* u64 inc, u64 next_pos */
#define CK_PEER			2	/* fp, u64 next_seq */
#define CK_ORIGIN		3	/* fp, u64 inc, u64 high */
#define CK_LIVE			4	/* u64 id, u8 state, u64 end */
#define CK_FINAL		5	/* u64 id, u8 status, u8 remote, u64 until */
#define CK_OWED			6	/* u64 id, u8 status, u64 until, fp, */
					/* u64 inc, u64 oseq */
#define CK_LAST			0x01	/* flags: the checkpoint's last record */
#define CK_HDRLEN		8	/* u8 flags, 3 zeros, u32 count */

static const size_t ck_len[] = {
	[CK_HEAD] = 16, [CK_PEER] = 40, [CK_ORIGIN] = 48, [CK_LIVE] = 17,
	[CK_FINAL] = 18, [CK_OWED] = 65
};

static void
put64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
seg_name(uint64_t no, char name[SPS_SEGNAME_LEN + 1])
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
	off = stage_bytes(s, SPOOLREC_MSG, SPS_MSG_FIXED + m->fromlen +
	    m->tolen + plen, 0);
	if (status == ST_OK)
		s->srecs[s->nsrecs - 1].e = e;
	b = s->sbuf + off;
	memset(b, 0, SPS_MSG_FIXED);
	put64(b, e->id);
	b[8] = e->kind;
	b[9] = e->flags;
	b[10] = (uint8_t)m->fromlen;
	b[11] = (uint8_t)m->tolen;
	b[12] = status;
	b[13] = e->remote;
	put64(b + 16, e->end);
	put64(b + 24, e->seq);
	if (e->peer != NULL)
		memcpy(b + 32, e->peer->fp, NC_SHA256_LEN);
	put64(b + 64, e->inc);
	put64(b + 72, e->oseq);
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

	off = stage_bytes(s, SPOOLREC_STATE, SPS_STATE_ITEM, joins);
	if (!joins)
		s->statrec = s->nsrecs;
	b = s->sbuf + off;
	memset(b, 0, SPS_STATE_ITEM);
	put64(b, id);
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
    const struct sps_rec *r, size_t n)
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
	rv = spoolseg_append(&seg->sg, recs, n);
	free(recs);
	s->appends++;
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
	size_t	need = 1 + ck_len[type];
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
	put64(b, s->inc);
	put64(b + 8, s->next_pos);
	for (i = 0; i < s->peers.cap; i++)
		for (p = s->peers.vals[i]; s->peers.keys[i] && p; p = p->next) {
			b = ck_item(c, CK_PEER);
			memcpy(b, p->fp, NC_SHA256_LEN);
			put64(b + 32, p->next_seq);
			if (!p->is_origin)
				continue;
			b = ck_item(c, CK_ORIGIN);
			memcpy(b, p->fp, NC_SHA256_LEN);
			put64(b + 32, p->inc);
			put64(b + 40, p->high);
			TAILQ_FOREACH(f, &p->owed, olink) {
				b = ck_item(c, CK_OWED);
				put64(b, f->id);
				b[8] = f->status;
				put64(b + 9, f->until);
				memcpy(b + 17, p->fp, NC_SHA256_LEN);
				put64(b + 49, f->inc);
				put64(b + 57, f->oseq);
			}
		}
	for (i = 0; i < s->ids.cap; i++)
		if (s->ids.keys[i] != 0 && (e = s->ids.vals[i])->seg != NULL) {
			b = ck_item(c, CK_LIVE);
			put64(b, e->id);
			b[8] = e->state;
			put64(b + 9, e->end);
		}
	for (i = 0; i < s->retained.n; i++) {
		f = SPS_CONTAINER(s->retained.v[i], struct sps_final, hn);
		b = ck_item(c, CK_FINAL);
		put64(b, f->id);
		b[8] = f->status;
		b[9] = f->remote;
		put64(b + 10, f->until);
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
		seg_name(seg->no, name);
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
static int
rotate(struct spoolstore *s)
{
	struct sps_seg	*seg, *last = TAILQ_LAST(&s->segs, sps_seglist);
	uint8_t		 salt[SPOOLREC_SALTLEN];
	char		 name[SPS_SEGNAME_LEN + 1];
	struct ckpt	 c;
	int		 rv;

	if ((seg = calloc(1, sizeof(*seg))) == NULL)
		sps_fatal_oom(__func__);
	seg->no = last != NULL ? last->no + 1 : 1;
	seg_name(seg->no, name);
	if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		fatal("%s: getrandom", __func__);
	if (spoolseg_create(s->dirfd, name, salt, &seg->sg) == -1) {
		log_warn("spool: create %s", name);
		free(seg);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	ck_build(s, &c);
	rv = append(s, seg, c.buf, c.r, c.n);
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

/* The batch is over: forget its records, hand out its answers. */
static void
batch_done(struct spoolstore *s)
{
	s->slen = s->nsrecs = s->statrec = s->nundo = 0;
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
	if (append(s, cur, s->sbuf, s->srecs, s->nsrecs) == 0) {
		place_entries(s, cur, off);
		batch_done(s);
		if (cur->sg.size - cur->ckptend < SPS_ROTATE_SIZE)
			unlink_dead(s);
		else if (rotate(s) == -1)
			log_warnx("spool: segment %016" PRIx64 " goes on past "
			    "its size", cur->no);
		return 0;
	}
	log_warn("spool: append to segment %016" PRIx64 " failed; what it "
	    "held is refused", cur->no);
	undo_batch(s);
	/* The changes that stay become durable in the new checkpoint. */
	if (rotate(s) == -1)
		fatalx("spool: no new segment after a failed append");
	batch_done(s);
	return -1;
}

/* ---- reading back ----------------------------------------------------- */

/* Check a MSG body; 0 and its parts, or -1 for damage. */
static int
msg_decode(const uint8_t *b, size_t len, struct sps_entry *e, uint8_t *status,
    uint8_t fp[NC_SHA256_LEN], struct sps_msg *m)
{
	size_t	names;

	if (len < SPS_MSG_FIXED)
		return -1;
	memset(e, 0, sizeof(*e));
	e->id = get64(b);
	e->kind = b[8];
	e->flags = b[9];
	e->fromlen = b[10];
	e->tolen = b[11];
	*status = b[12];
	e->remote = b[13];
	e->end = get64(b + 16);
	e->seq = get64(b + 24);
	memcpy(fp, b + 32, NC_SHA256_LEN);
	e->inc = get64(b + 64);
	e->oseq = get64(b + 72);
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
	    msg_decode(o.body, o.len, &d, &st, fp, &m) == -1 || d.id != e->id) {
		e->unreadable = 1;
		sps_note_damage(s, e->seg->no, e->off, e->reclen,
		    "entry no longer reads back");
		return -1;
	}
	*payload = m.payload;
	*len = m.len;
	return 0;
}

/* ---- recovery --------------------------------------------------------- */

struct recov {
	struct spoolstore	*s;
	struct sps_seg		*seg;
	uint64_t		 now;
};

static void
origin_seen(struct spoolstore *s, struct sps_peer *o, uint64_t inc,
    uint64_t seq)
{
	if (!o->is_origin || o->inc != inc) {
		if (!o->is_origin)
			s->norigins++;
		o->is_origin = 1;
		o->inc = inc;
		o->high = 0;
	}
	if (seq > o->high)
		o->high = seq;
}

static void
apply_msg(struct recov *rc, size_t off, const uint8_t *body, size_t len)
{
	struct spoolstore	*s = rc->s;
	struct sps_entry	 d, *e;
	struct sps_msg		 m;
	struct sps_peer		*p = NULL;
	uint8_t			 st, fp[NC_SHA256_LEN];

	if (msg_decode(body, len, &d, &st, fp, &m) == -1) {
		sps_note_damage(s, rc->seg->no, off, SPOOLREC_SIZE(len),
		    "entry with bad fields");
		return;
	}
	if ((e = sps_map_get(&s->ids, d.id)) != NULL) {
		/* A copy: the entry lives where the latest one is. */
		if (e->seg != NULL)
			e->seg->live--;
		e->seg = rc->seg;
		e->off = (uint32_t)off;
		rc->seg->live++;
		return;
	}
	if (sps_map_get(&s->finals, d.id) != NULL)
		return;
	if ((d.kind == SPS_OUT || d.remote) &&
	    (p = sps_peer_get(s, fp, 1)) == NULL) {
		sps_note_damage(s, rc->seg->no, off, SPOOLREC_SIZE(len),
		    "too many peers");
		return;
	}
	if (d.kind == SPS_BOX && s->next_pos < d.seq)
		s->next_pos = d.seq;
	if (d.remote)
		origin_seen(s, p, d.inc, d.oseq);
	if (st != ST_OK) {
		(void)sps_final_add(s, d.id, st, d.end + SPS_RETAIN_SECS, 1, p,
		    d.inc, d.oseq);
		return;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		sps_fatal_oom(__func__);
	*e = d;
	e->hn.idx = SIZE_MAX;
	e->peer = p;
	e->reclen = (uint32_t)SPOOLREC_SIZE(len);
	memcpy(e->names, m.from, m.fromlen);
	memcpy(e->names + m.fromlen, m.to, m.tolen);
	if (d.kind == SPS_OUT) {
		e->state = SPS_QUEUED;
		if (p->next_seq <= d.seq)
			p->next_seq = d.seq + 1;
	} else {
		e->state = SPS_KEPT;
		e->box = sps_box_get(s, m.to, m.tolen, 1);
	}
	e->listed = s->ckgen;
	sps_entry_link(s, e);
	e->seg = rc->seg;
	e->off = (uint32_t)off;
	rc->seg->live++;
}

static int
apply_state(struct recov *rc, const uint8_t *b, size_t len)
{
	struct spoolstore	*s = rc->s;
	struct sps_entry	*e;
	struct sps_final	*f;
	size_t			 i;

	if (len == 0 || len % SPS_STATE_ITEM != 0)
		return -1;
	for (i = 0; i < len; i += SPS_STATE_ITEM)
		if (b[i + 8] < SPS_OP_AT_PEER || b[i + 8] > SPS_OP_REPORTED ||
		    (get64(b + i + 8) & 0xffffffffffffULL) != 0)
			return -1;
	for (i = 0; i < len; i += SPS_STATE_ITEM) {
		uint64_t id = get64(b + i);
		e = sps_map_get(&s->ids, id);
		f = sps_map_get(&s->finals, id);
		switch (b[i + 8]) {
		case SPS_OP_AT_PEER:
			if (e != NULL && e->kind == SPS_OUT)
				sps_set_state(s, e, SPS_AT_PEER);
			break;
		case SPS_OP_FINAL:
			if (e != NULL)
				(void)sps_finalize(s, e, b[i + 9]);
			break;
		case SPS_OP_REPORTED:
			if (f != NULL)
				sps_final_reported(s, f);
			break;
		}
	}
	return 0;
}

/* A checkpoint's HEAD: what it lists replaces what came before. */
static void
ck_head(struct spoolstore *s, const uint8_t *b)
{
	struct sps_peer		*p;
	size_t			 i;

	s->inc = get64(b);
	if (s->next_pos < get64(b + 8))
		s->next_pos = get64(b + 8);
	while (s->retained.n > 0)
		sps_final_drop(s, SPS_CONTAINER(s->retained.v[0],
		    struct sps_final, hn));
	for (i = 0; i < s->peers.cap; i++)
		for (p = s->peers.vals[i]; s->peers.keys[i] && p; p = p->next) {
			while (!TAILQ_EMPTY(&p->owed))
				sps_final_drop(s, TAILQ_FIRST(&p->owed));
			p->is_origin = 0;
		}
	s->norigins = 0;
	s->ckgen++;
	s->in_ckpt = 1;
	s->have_head = 1;
}

/* A checkpoint's last record: entries it did not list are dead. */
static void
ck_end(struct spoolstore *s)
{
	struct sps_entry	*e;
	size_t			 i;

	for (i = 0; i < s->ids.cap; i++) {
		while (s->ids.keys[i] != 0 &&
		    (e = s->ids.vals[i])->listed != s->ckgen)
			sps_entry_drop(s, e);	/* shifts a key into i */
	}
	s->in_ckpt = 0;
}

static void
ck_apply(struct recov *rc, uint8_t type, const uint8_t *b)
{
	struct spoolstore	*s = rc->s;
	struct sps_peer		*p;
	struct sps_entry	*e;
	uint64_t		 id = get64(b);

	switch (type) {
	case CK_PEER:
		if ((p = sps_peer_get(s, b, 1)) != NULL &&
		    p->next_seq < get64(b + 32))
			p->next_seq = get64(b + 32);
		break;
	case CK_ORIGIN:
		if ((p = sps_peer_get(s, b, 1)) != NULL) {
			origin_seen(s, p, get64(b + 32), 0);
			p->high = get64(b + 40);
		}
		break;
	case CK_LIVE:
		if ((e = sps_map_get(&s->ids, id)) != NULL) {
			e->listed = s->ckgen;
			if (b[8] == SPS_AT_PEER || b[8] == SPS_QUEUED)
				sps_set_state(s, e, b[8]);
		} else if (!(b[8] == SPS_AT_PEER &&
		    get64(b + 9) + SPS_RETAIN_SECS <= rc->now))
			sps_note_damage(s, rc->seg->no, 0, 0,
			    "an entry the checkpoint lists is missing");
		break;
	case CK_FINAL:
		if (sps_map_get(&s->finals, id) == NULL && id != 0)
			(void)sps_final_add(s, id, b[8], get64(b + 10),
			    b[9] != 0, NULL, 0, 0);
		break;
	case CK_OWED:
		if (sps_map_get(&s->finals, id) == NULL && id != 0 &&
		    (p = sps_peer_get(s, b + 17, 1)) != NULL)
			(void)sps_final_add(s, id, b[8], get64(b + 9), 1, p,
			    get64(b + 49), get64(b + 57));
		break;
	}
}

/* Check a CKPT body whole before applying any of it. */
static int
apply_ckpt(struct recov *rc, const uint8_t *b, size_t len)
{
	size_t		i, n, count;
	int		first;

	if (len < CK_HDRLEN || (b[0] & ~CK_LAST) != 0 || b[1] || b[2] || b[3])
		return -1;
	count = ((size_t)b[4] << 24) | ((size_t)b[5] << 16) |
	    ((size_t)b[6] << 8) | b[7];
	for (i = CK_HDRLEN, n = 0; i < len; i += 1 + ck_len[b[i]], n++)
		if (b[i] < CK_HEAD || b[i] > CK_OWED ||
		    len - i - 1 < ck_len[b[i]] ||
		    (b[i] == CK_HEAD) != (n == 0 && !rc->s->in_ckpt))
			return -1;
	if (n != count || n == 0)
		return -1;
	first = 1;
	for (i = CK_HDRLEN; i < len; i += 1 + ck_len[b[i]]) {
		if (first && b[i] == CK_HEAD)
			ck_head(rc->s, b + i + 1);
		else
			ck_apply(rc, b[i], b + i + 1);
		first = 0;
	}
	if (b[0] & CK_LAST)
		ck_end(rc->s);
	return 0;
}

static int
on_record(size_t off, uint8_t kind, const uint8_t *body, size_t len,
    void *arg)
{
	struct recov	*rc = arg;
	int		 bad = 0;

	if (kind != SPOOLREC_CKPT && rc->s->in_ckpt) {
		sps_note_damage(rc->s, rc->seg->no, off, 0,
		    "checkpoint cut short");
		rc->s->in_ckpt = 0;
	}
	switch (kind) {
	case SPOOLREC_MSG:
		apply_msg(rc, off, body, len);
		break;
	case SPOOLREC_STATE:
		bad = apply_state(rc, body, len) == -1;
		break;
	case SPOOLREC_CKPT:
		bad = apply_ckpt(rc, body, len) == -1;
		break;
	default:
		bad = 1;	/* FILE: not written by this version */
		break;
	}
	if (bad)
		sps_note_damage(rc->s, rc->seg->no, off, SPOOLREC_SIZE(len),
		    "record with bad fields");
	return 0;
}

static void
on_damage(size_t off, size_t skipped, enum spoolrec_damage why, void *arg)
{
	struct recov	*rc = arg;

	sps_note_damage(rc->s, rc->seg->no, off, skipped,
	    spoolrec_damage_str(why));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The numbers of the segment files in the directory, sorted. */
static int
list_segments(int dirfd, uint64_t **nos, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 cap = 0, i;
	int		 fd;
	uint64_t	 no;

	*nos = NULL;
	*n = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != SPS_SEGNAME_LEN ||
		    strncmp(de->d_name, "seg.", 4) != 0)
			continue;
		for (i = 4, no = 0; i < SPS_SEGNAME_LEN; i++) {
			const char *hex = "0123456789abcdef";
			const char *c = strchr(hex, de->d_name[i]);
			if (c == NULL || *c == '\0')
				break;
			no = (no << 4) | (uint64_t)(c - hex);
		}
		if (i != SPS_SEGNAME_LEN || no == 0 || *n >= SPS_MAX_SEGMENTS)
			continue;
		*nos = sps_grow(*nos, &cap, *n + 1, sizeof(**nos));
		(*nos)[(*n)++] = no;
	}
	closedir(d);
	if (*n > 0)
		qsort(*nos, *n, sizeof(**nos), cmp_u64);
	return 0;
}

static int
recover_one(struct spoolstore *s, uint64_t no, uint64_t now)
{
	struct recov	 rc;
	struct sps_seg	*seg;
	char		 name[SPS_SEGNAME_LEN + 1];

	if ((seg = calloc(1, sizeof(*seg))) == NULL)
		sps_fatal_oom(__func__);
	seg->no = no;
	seg_name(no, name);
	rc.s = s;
	rc.seg = seg;
	rc.now = now;
	/* Kept in the list first: entries point at it while it is read. */
	TAILQ_INSERT_TAIL(&s->segs, seg, link);
	s->nsegs++;
	if (spoolseg_open(s->dirfd, name, on_record, on_damage, &rc,
	    &seg->sg, NULL) == 0) {
		if (s->in_ckpt) {
			sps_note_damage(s, no, seg->sg.size, 0,
			    "checkpoint cut short");
			s->in_ckpt = 0;
		}
		return 0;
	}
	if (errno != EBADMSG && errno != EFBIG && errno != EINVAL) {
		log_warn("spool: open %s", name);
		return -1;
	}
	/* Left as it is, for someone to look at; never used. */
	sps_note_damage(s, no, 0, 0, errno == EBADMSG ? "bad segment header" :
	    "segment too large or not a file");
	if (seg->live != 0)
		fatalx("%s: entries in a refused segment", __func__);
	TAILQ_REMOVE(&s->segs, seg, link);
	s->nsegs--;
	free(seg);
	return 0;
}

int
sps_recover(struct spoolstore *s, uint64_t now)
{
	uint64_t	*nos;
	size_t		 n, i;

	if (list_segments(s->dirfd, &nos, &n) == -1) {
		log_warn("spool: read the spool directory");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (recover_one(s, nos[i], now) == -1) {
			free(nos);
			return -1;
		}
	free(nos);
	if (s->damaged > SPS_DAMAGE_LOGGED)
		log_warnx("spool: %" PRIu64 " damaged stretches in all",
		    s->damaged);
	if (!s->have_head) {
		while (s->inc == 0)
			if (getrandom(&s->inc, sizeof(s->inc), 0) !=
			    (ssize_t)sizeof(s->inc))
				fatal("%s: getrandom", __func__);
		if (n > 0)
			log_warnx("spool: no checkpoint found in %zu "
			    "segments: a new incarnation", n);
	}
	/* The incarnation is durable before anything uses it. */
	if (rotate(s) == -1)
		return -1;
	log_info("spool: %zu entries, %zu statuses, %zu reports owed, "
	    "%zu segments", s->ids.n, s->finals.n, s->nowed, s->nsegs);
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
