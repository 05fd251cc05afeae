/*
 * Recovery of the spool at start (doc/SPOOL.md 12): every segment file
 * read in order (spoolseg_open cuts a torn tail), each record checked
 * before it is used (a record whose crcs verify may still come from a
 * buggy writer), MSG records making entries, STATE records changing
 * them, checkpoints replacing what came before; damage logged (a bounded
 * number of lines) and remembered (a bounded list), never delivered.
 */
#include "config.h"

#include <sys/random.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spoolstore_int.h"

/*
 * An entry a checkpoint lists whose MSG record was not seen: its segment
 * may have gone since (a later checkpoint then no longer lists it, or a
 * STATE record finishes it), or it was lost.  Decided at the end.
 */
struct missing {
	uint64_t	end;
	uint8_t		state;
};

static void
missing_add(struct spoolstore *s, uint64_t id, uint8_t state, uint64_t end)
{
	struct missing	*m;

	if (id == 0 || sps_map_get(&s->missing, id) != NULL)
		return;
	if ((m = malloc(sizeof(*m))) == NULL)
		sps_fatal_oom(__func__);
	m->end = end;
	m->state = state;
	if (sps_map_put(&s->missing, id, m) == -1)
		sps_fatal_oom(__func__);
}

static void
missing_del(struct spoolstore *s, uint64_t id)
{
	struct missing	*m = sps_map_get(&s->missing, id);

	if (m != NULL) {
		sps_map_del(&s->missing, id);
		free(m);
	}
}

/* Forget them all (a new checkpoint), or report those truly lost. */
static void
missing_flush(struct spoolstore *s, int report, uint64_t now)
{
	struct missing	*m;
	size_t		 i;

	for (i = 0; i < s->missing.cap; i++)
		while (s->missing.keys[i] != 0) {
			m = s->missing.vals[i];
			/* An entry at a peer is forgotten a day after its end. */
			if (report && !(m->state == SPS_AT_PEER &&
			    m->end + SPS_RETAIN_SECS <= now))
				sps_note_damage(s, 0, s->missing.keys[i], 0,
				    "an entry's record is missing (offset: id)");
			missing_del(s, s->missing.keys[i]);
		}
	sps_map_free(&s->missing);
}

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

	if (sps_msg_decode(body, len, &d, &st, fp, &m) == -1) {
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
		    (sps_get64(b + i + 8) & 0xffffffffffffULL) != 0)
			return -1;
	for (i = 0; i < len; i += SPS_STATE_ITEM) {
		uint64_t id = sps_get64(b + i);
		if (b[i + 8] == SPS_OP_FINAL)
			missing_del(s, id);
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

	s->inc = sps_get64(b);
	if (s->next_pos < sps_get64(b + 8))
		s->next_pos = sps_get64(b + 8);
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
	missing_flush(s, 0, 0);
	s->ckgen++;
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
}

static void
ck_apply(struct recov *rc, uint8_t type, const uint8_t *b)
{
	struct spoolstore	*s = rc->s;
	struct sps_peer		*p;
	struct sps_entry	*e;
	uint64_t		 id = sps_get64(b);

	switch (type) {
	case CK_PEER:
		if ((p = sps_peer_get(s, b, 1)) != NULL &&
		    p->next_seq < sps_get64(b + 32))
			p->next_seq = sps_get64(b + 32);
		break;
	case CK_ORIGIN:
		if ((p = sps_peer_get(s, b, 1)) != NULL) {
			origin_seen(s, p, sps_get64(b + 32), 0);
			p->high = sps_get64(b + 40);
		}
		break;
	case CK_LIVE:
		if ((e = sps_map_get(&s->ids, id)) != NULL) {
			e->listed = s->ckgen;
			if (b[8] == SPS_AT_PEER || b[8] == SPS_QUEUED)
				sps_set_state(s, e, b[8]);
		} else
			missing_add(s, id, b[8], sps_get64(b + 9));
		break;
	case CK_FINAL:
		if (sps_map_get(&s->finals, id) == NULL && id != 0)
			(void)sps_final_add(s, id, b[8], sps_get64(b + 10),
			    b[9] != 0, NULL, 0, 0);
		break;
	case CK_OWED:
		if (sps_map_get(&s->finals, id) == NULL && id != 0 &&
		    (p = sps_peer_get(s, b + 17, 1)) != NULL)
			(void)sps_final_add(s, id, b[8], sps_get64(b + 9), 1, p,
			    sps_get64(b + 49), sps_get64(b + 57));
		break;
	}
}

/* Apply the items of one checked CKPT body. */
static void
ck_run(struct recov *rc, const uint8_t *b, size_t len)
{
	size_t	i;

	for (i = CK_HDRLEN; i < len; i += 1 + sps_ck_len[b[i]]) {
		if (b[i] == CK_HEAD)
			ck_head(rc->s, b + i + 1);
		else
			ck_apply(rc, b[i], b + i + 1);
	}
}

/* A checkpoint cut short is ignored whole: forget its records. */
static void
ck_drop_pending(struct spoolstore *s)
{
	free(s->ckpend);
	s->ckpend = NULL;
	s->ckplen = s->ckpcap = 0;
	s->in_ckpt = 0;
}

/*
 * Check a CKPT body whole; keep it until the checkpoint's last record,
 * then apply them all: a checkpoint counts only once it is complete
 * (a crash may cut one short; the segments before it are still there).
 */
static int
apply_ckpt(struct recov *rc, const uint8_t *b, size_t len)
{
	struct spoolstore	*s = rc->s;
	size_t			 i, n, count, off;

	if (len < CK_HDRLEN || (b[0] & ~CK_LAST) != 0 || b[1] || b[2] || b[3])
		return -1;
	count = ((size_t)b[4] << 24) | ((size_t)b[5] << 16) |
	    ((size_t)b[6] << 8) | b[7];
	for (i = CK_HDRLEN, n = 0; i < len; i += 1 + sps_ck_len[b[i]], n++)
		if (b[i] < CK_HEAD || b[i] > CK_OWED ||
		    len - i - 1 < sps_ck_len[b[i]] ||
		    (b[i] == CK_HEAD) != (n == 0 && !s->in_ckpt))
			return -1;
	if (n != count || n == 0)
		return -1;
	s->in_ckpt = 1;
	s->ckpend = sps_grow(s->ckpend, &s->ckpcap, s->ckplen + sizeof(len) +
	    len, 1);
	memcpy(s->ckpend + s->ckplen, &len, sizeof(len));
	memcpy(s->ckpend + s->ckplen + sizeof(len), b, len);
	s->ckplen += sizeof(len) + len;
	if (!(b[0] & CK_LAST))
		return 0;
	for (off = 0; off < s->ckplen; off += sizeof(len) + n) {
		memcpy(&n, s->ckpend + off, sizeof(n));
		ck_run(rc, s->ckpend + off + sizeof(n), n);
	}
	ck_end(s);
	ck_drop_pending(s);
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
		ck_drop_pending(rc->s);
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
	sps_seg_name(no, name);
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
			ck_drop_pending(s);
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
	missing_flush(s, 1, now);
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
	if (sps_rotate(s) == -1)
		return -1;
	log_info("spool: %zu entries, %zu statuses, %zu reports owed, "
	    "%zu segments", s->ids.n, s->finals.n, s->nowed, s->nsegs);
	return 0;
}

