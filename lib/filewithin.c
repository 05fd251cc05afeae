/*
 * libnetcrypt: sending a file with a lifetime (nc_send_file_within(),
 * nc_file_wait(); SESSIONS.md 5).  FILE_OFFER, every FILE_DATA chunk
 * and FILE_END go as messages with that lifetime, each answered QUEUED
 * once the daemon's spool has it on disk: the file is copied into the
 * spool as it is accepted, and the caller may go once all of it is.
 * Up to NC__WFLIGHT messages wait for their answer at once, so that the
 * spool makes many chunks durable with one fsync.  A refusal stops the
 * sending; what was queued still goes, so a FILE_ABORT follows it and
 * the receiver drops the partial file.
 *
 * The session remembers the spool ids of the last file it queued (16
 * bytes a chunk, up to NC__WSET_MAX), so that the FINALs of its chunks
 * are the library's: the program sees only the FILE_END's.
 */
#include "config.h"

#include <sys/types.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

enum { WK_OFFER, WK_DATA, WK_END, WK_ABORT };

struct nc__wslot {
	uint64_t	 cid;
	int		 kind;
};

/* A file being queued: lives on nc_send_file_within()'s stack. */
struct nc__wtx {
	struct nc__src	 src;
	const char	*to;
	size_t		 tolen;
	uint32_t	 seconds;
	uint64_t	 next;		/* offset of the next chunk to queue */
	int		 offer_sent;
	int		 end_sent;
	struct nc__wslot flight[NC__WFLIGHT];	/* sent, not answered */
	int		 nflight;
	uint64_t	 chunks;	/* FILE_DATA queued */
	uint64_t	 offer_id;
	uint64_t	 end_id;
	int		 fail;		/* the first refusal, 0 if none */
	int		 progress;	/* an answer came: the timer restarts */
};

/* ---- the spool ids of the last file queued ---------------------------- */

static size_t
set_slot(const struct nc__wfile *w, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & w->mask;
}

static int
set_has(const struct nc__wfile *w, uint64_t id)
{
	size_t	i;

	if (w->set == NULL)
		return 0;
	for (i = set_slot(w, id); w->set[i] != 0; i = (i + 1) & w->mask)
		if (w->set[i] == id)
			return 1;
	return 0;
}

/* Remember id; past the table's bound its FINAL becomes an event. */
static void
set_add(struct nc__wfile *w, uint64_t id)
{
	size_t	i;

	if (w->set == NULL || w->nset >= (w->mask + 1) / 2)
		return;
	for (i = set_slot(w, id); w->set[i] != 0; i = (i + 1) & w->mask)
		if (w->set[i] == id)
			return;
	w->set[i] = id;
	w->nset++;
}

void
nc__wfile_free(struct nc_session *s)
{
	if (s->wfile != NULL) {
		free(s->wfile->set);
		free(s->wfile);
		s->wfile = NULL;
	}
}

/* A new record for a file of nmsg messages; -1: no memory. */
static int
wfile_new(struct nc_session *s, uint64_t xfer, uint64_t nmsg)
{
	struct nc__wfile	*w;
	size_t			 slots = 64;

	nc__wfile_free(s);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	while (slots < NC__WSET_MAX && slots / 2 < nmsg)
		slots *= 2;
	/* Without the table the FINALs only become events: no failure. */
	if ((w->set = calloc(slots, sizeof(*w->set))) != NULL)
		w->mask = slots - 1;
	w->xfer = xfer;
	w->result = -1;
	w->end_final = -1;
	s->wfile = w;
	return 0;
}

/*
 * A FINAL: 1 if it is the library's (a chunk's, or the END's that
 * nc_file_wait() waits for), 0 if it is an event for the program.
 */
int
nc__wfile_final(struct nc_session *s, uint64_t id, int status)
{
	struct nc__wfile	*w = s->wfile;

	if (w == NULL)
		return 0;
	if (id == w->end && w->end != 0) {
		w->end_final = status;
		return w->waiting;
	}
	if (!set_has(w, id))
		return 0;
	if (status != NC_OK && w->failed == 0)
		w->failed = status;
	return 1;
}

/* ---- answers to the messages of the file being queued ------------------ */

static int
flight_find(const struct nc__wtx *tx, uint64_t cid)
{
	int	i;

	for (i = 0; i < tx->nflight; i++)
		if (tx->flight[i].cid == cid)
			return i;
	return -1;
}

static void
flight_drop(struct nc__wtx *tx, int i)
{
	tx->flight[i] = tx->flight[--tx->nflight];
	tx->progress = 1;
}

/* QUEUED of an internal cid: 1 if it was one of ours. */
int
nc__wtx_queued(struct nc_session *s, uint64_t cid, uint64_t id)
{
	struct nc__wtx	*tx = s->wtx;
	int		 i;

	if (tx == NULL || (i = flight_find(tx, cid)) == -1)
		return 0;
	if (tx->flight[i].kind == WK_OFFER)
		tx->offer_id = id;
	else if (tx->flight[i].kind == WK_END)
		tx->end_id = id;
	else if (tx->flight[i].kind == WK_DATA)
		tx->chunks++;
	if (s->wfile != NULL && tx->flight[i].kind == WK_END)
		s->wfile->end = id;
	else if (s->wfile != NULL)
		set_add(s->wfile, id);
	flight_drop(tx, i);
	return 1;
}

/* A RECEIPT: the spool did not keep it (every status here is final). */
void
nc__wtx_receipt(struct nc_session *s, uint64_t cid, int status)
{
	struct nc__wtx	*tx = s->wtx;
	int		 i;

	if ((i = flight_find(tx, cid)) == -1)
		return;
	if (tx->fail == 0)
		tx->fail = status != NC_OK ? status : NC_UNKNOWN_ID;
	flight_drop(tx, i);
}

/* ---- queueing ---------------------------------------------------------- */

static int
wtx_put(struct nc_session *s, struct nc__wtx *tx, int kind,
    const uint8_t *hdr, size_t hlen, const void *data, size_t dlen)
{
	uint64_t	cid = nc__cid(s, 1);

	if (nc__put_send(s, cid, SP_F_WITHIN, tx->seconds, tx->to, tx->tolen,
	    hdr, hlen, data, dlen) == -1)
		return -1;
	tx->flight[tx->nflight].cid = cid;
	tx->flight[tx->nflight].kind = kind;
	tx->nflight++;
	if (s->wcid_first == 0)
		s->wcid_first = cid;
	s->wcid_last = cid;
	if (s->held >= NC__BATCH)
		return nc__flush_out(s);
	return 0;
}

static int
wtx_room(const struct nc_session *s, const struct nc__wtx *tx, size_t len)
{
	return nc__room(s, SP_HDR_LEN + 14 + tx->tolen + len);
}

/* Queue what the window and the output allow, in the file's order. */
static int
wtx_fill(struct nc_session *s, struct nc__wtx *tx)
{
	uint8_t		b[1 + NC__OFFER_HDR];
	size_t		n;

	while (tx->nflight < NC__WFLIGHT && !tx->end_sent && tx->fail == 0) {
		if (!tx->offer_sent) {
			if (!wtx_room(s, tx, sizeof(b) + tx->src.namelen))
				return 0;
			b[0] = SP_CT_FILE_OFFER;
			nc__put64(b + 1, tx->src.xfer);
			nc__put64(b + 9, tx->src.size);
			memcpy(b + 17, tx->src.sha, NC__SHA_LEN);
			nc__put16(b + 17 + NC__SHA_LEN,
			    (uint16_t)tx->src.namelen);
			if (wtx_put(s, tx, WK_OFFER, b, sizeof(b),
			    tx->src.name, tx->src.namelen) == -1)
				return -1;
			tx->offer_sent = 1;
		} else if (tx->next < tx->src.size) {
			n = tx->src.size - tx->next < NC__CHUNK ?
			    (size_t)(tx->src.size - tx->next) : NC__CHUNK;
			if (!wtx_room(s, tx, 1 + NC__DATA_HDR + n))
				return 0;
			if (nc__pread_all(tx->src.fd, tx->src.buf, n,
			    tx->next) == -1)
				return -1;
			b[0] = SP_CT_FILE_DATA;
			nc__put64(b + 1, tx->src.xfer);
			nc__put64(b + 9, tx->next);
			if (wtx_put(s, tx, WK_DATA, b, 1 + NC__DATA_HDR,
			    tx->src.buf, n) == -1)
				return -1;
			tx->next += n;
		} else {
			if (!wtx_room(s, tx, 1 + NC__END_LEN))
				return 0;
			b[0] = SP_CT_FILE_END;
			nc__put64(b + 1, tx->src.xfer);
			if (wtx_put(s, tx, WK_END, b, 1 + NC__END_LEN, NULL,
			    0) == -1)
				return -1;
			tx->end_sent = 1;
		}
	}
	return 0;
}

/*
 * Queue the whole file: NC_QUEUED, the first refusal once every answer
 * has come, NC_TIMEOUT (no answer for timeout_ms), or -1.
 */
static int
wtx_run(struct nc_session *s, struct nc__wtx *tx, int timeout_ms)
{
	int64_t	now, deadline;

	deadline = timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
	for (;;) {
		/* The receiver refused already (its FILE_RESULT, a FINAL). */
		if (tx->fail == 0 && s->wfile->result > 0)
			tx->fail = s->wfile->result;
		if (tx->fail == 0 && s->wfile->failed != 0)
			tx->fail = s->wfile->failed;
		if (tx->nflight == 0 && (tx->fail != 0 || tx->end_sent))
			return tx->fail != 0 ? tx->fail : NC_QUEUED;
		now = nc__now_ms();
		if (tx->progress) {
			tx->progress = 0;
			if (deadline >= 0)
				deadline = now + timeout_ms;
		}
		if (deadline >= 0 && now >= deadline)
			return NC_TIMEOUT;
		if (wtx_fill(s, tx) == -1)
			return -1;
		if (s->held > 0 && nc__flush_out(s) == -1)
			return -1;
		if (nc__pump(s, nc__ms_left(deadline, 1000)) == -1)
			return -1;
		if (nc__drained(s)) {
			errno = EPIPE;
			return -1;
		}
	}
}

/*
 * Stopped after part of the file was queued: a FILE_ABORT behind it
 * tells the receiver to drop what it has.  The spool that refused a
 * chunk may still take these few bytes; tried for NC__ABORT_MS.
 */
static void
wtx_abort(struct nc_session *s, struct nc__wtx *tx, int status)
{
	uint8_t		b[1 + NC__ABORT_LEN];
	int64_t		until = nc__now_ms() + NC__ABORT_MS;
	int		wait = NC__BACKOFF_MIN, r;

	b[0] = SP_CT_FILE_ABORT;
	nc__put64(b + 1, tx->src.xfer);
	b[9] = (uint8_t)(status > 0 && status < 256 ? status : NC_TIMEOUT);
	while (nc__now_ms() < until && nc__usable(s) == 0) {
		tx->fail = 0;
		tx->end_sent = 1;	/* nothing else goes */
		if (wtx_put(s, tx, WK_ABORT, b, sizeof(b), NULL, 0) == -1)
			return;
		r = wtx_run(s, tx, NC__ABORT_MS);
		if (r == NC_QUEUED || r == NC_TIMEOUT || r == -1)
			return;
		(void)nc__pump(s, wait);
		wait = wait * 2 > NC__BACKOFF_MAX ? NC__BACKOFF_MAX : wait * 2;
	}
}

static int
wtx_check(struct nc_session *s, const char *to, const char *path,
    uint32_t seconds, char *err, size_t errsz)
{
	if (s == NULL || to == NULL || path == NULL || s->tx != NULL ||
	    s->wtx != NULL || s->waiting) {
		errno = s != NULL && (s->tx != NULL || s->wtx != NULL ||
		    s->waiting) ? EBUSY : EINVAL;
		nc_seterr(err, errsz, "%s", strerror(errno));
		return -1;
	}
	if (s->anonymous) {
		nc_seterr(err, errsz, "an anonymous session cannot send "
		    "files: attach under a name");
		errno = EINVAL;
		return -1;
	}
	if (!nc__valid_to(to, strnlen(to, 256), 0) || seconds == 0 ||
	    seconds > NC_LIFETIME_MAX) {
		nc_seterr(err, errsz, "%s: %s", to,
		    nc_status_str(NC_BAD_NAME));
		return NC_BAD_NAME;
	}
	return 0;
}

static void
wtx_report(const struct nc__wtx *tx, int r, char *err, size_t errsz)
{
	if (r == -1)
		nc_seterr(err, errsz, "netcryptd: %s", errno == EPIPE ?
		    "connection closed" : strerror(errno));
	else if (r == NC_TIMEOUT)
		nc_seterr(err, errsz, "%s: no answer from netcryptd after "
		    "%llu of %llu bytes", tx->to,
		    (unsigned long long)(tx->chunks * NC__CHUNK < tx->src.size ?
		    tx->chunks * NC__CHUNK : tx->src.size),
		    (unsigned long long)tx->src.size);
	else if (r != NC_QUEUED && tx->offer_id != 0)
		nc_seterr(err, errsz, "%s: %s after %llu of %llu bytes were "
		    "queued (a FILE_ABORT follows them)", tx->to,
		    nc_status_str(r), (unsigned long long)(tx->chunks *
		    NC__CHUNK < tx->src.size ? tx->chunks * NC__CHUNK :
		    tx->src.size), (unsigned long long)tx->src.size);
	else if (r != NC_QUEUED)
		nc_seterr(err, errsz, "%s: %s", tx->to, nc_status_str(r));
}

int
nc_send_file_within(struct nc_session *s, const char *to, const char *path,
    uint32_t seconds, int timeout_ms, struct nc_file_ids *ids, char *err,
    size_t errsz)
{
	struct nc__wtx	 tx;
	int		 r;

	if ((r = wtx_check(s, to, path, seconds, err, errsz)) != 0)
		return r;
	memset(&tx, 0, sizeof(tx));
	tx.to = to;
	tx.tolen = strnlen(to, 256);
	tx.seconds = seconds;
	if (nc__src_open(&tx.src, path, err, errsz) == -1) {
		nc__src_close(&tx.src);
		return -1;
	}
	if (wfile_new(s, tx.src.xfer, tx.src.size / NC__CHUNK + 2) == -1) {
		nc_seterr(err, errsz, "%s", strerror(errno));
		nc__src_close(&tx.src);
		return -1;
	}
	s->wtx = &tx;
	r = wtx_run(s, &tx, timeout_ms);
	wtx_report(&tx, r, err, errsz);
	if (r != NC_QUEUED && tx.offer_id != 0)
		wtx_abort(s, &tx, r);
	s->wtx = NULL;
	if (ids != NULL) {
		memset(ids, 0, sizeof(*ids));
		ids->xfer = tx.src.xfer;
		ids->offer = tx.offer_id;
		ids->end = tx.end_id;
		ids->chunks = tx.chunks;
		ids->size = tx.src.size;
	}
	nc__src_close(&tx.src);
	return r;
}

/* ---- waiting for the receiver's verdict -------------------------------- */

/* An END FINAL that became an event before the wait: taken back. */
static void
take_end_event(struct nc_session *s, uint64_t id)
{
	struct nc_event	*ev;
	size_t		 i;

	for (i = 0; i < s->qcount; i++) {
		ev = &s->q[(s->qhead + i) % (NC__QMAX + NC__RX_MAX)].ev;
		if (ev->type == NC_EV_FINAL && ev->id == id)
			ev->type = NC__EV_NONE;
	}
}

/* The verdict so far: a status, or -1 to wait on. */
static int
wfile_verdict(const struct nc__wfile *w, int64_t *deadline)
{
	int64_t	grace;

	if (w->result >= 0)
		return w->result;
	if (w->failed != 0)
		return w->failed;
	if (w->end_final > 0)
		return w->end_final;
	/* Taken but its verdict not here: it was sent before the FINAL. */
	if (w->end_final == NC_OK) {
		grace = nc__now_ms() + NC__VERDICT_MS;
		if (*deadline < 0 || *deadline > grace)
			*deadline = grace;
	}
	return -1;
}

int
nc_file_wait(struct nc_session *s, const struct nc_file_ids *ids,
    int timeout_ms, char *err, size_t errsz)
{
	struct nc__wfile	*w;
	int64_t			 deadline;
	int			 r;

	if (s == NULL || ids == NULL || (w = s->wfile) == NULL ||
	    w->xfer != ids->xfer || w->end == 0 || s->waiting) {
		errno = s != NULL && s->waiting ? EBUSY : EINVAL;
		nc_seterr(err, errsz, "%s", strerror(errno));
		return -1;
	}
	take_end_event(s, w->end);
	deadline = timeout_ms < 0 ? -1 : nc__now_ms() + timeout_ms;
	w->waiting = 1;
	while ((r = wfile_verdict(w, &deadline)) == -1) {
		if (deadline >= 0 && nc__now_ms() >= deadline) {
			r = NC_TIMEOUT;
			break;
		}
		if (nc__pump(s, nc__ms_left(deadline, 1000)) == -1)
			break;
		if (nc__drained(s)) {
			errno = EPIPE;
			break;
		}
	}
	w->waiting = 0;
	if (r == -1)
		nc_seterr(err, errsz, "netcryptd: %s", errno == EPIPE ?
		    "connection closed" : strerror(errno));
	else if (r == NC_TIMEOUT && w->end_final == NC_OK)
		nc_seterr(err, errsz, "%016llx: the receiver took the file, "
		    "but its verdict did not come back",
		    (unsigned long long)w->end);
	else if (r != NC_OK)
		nc_seterr(err, errsz, "%016llx: %s", (unsigned long long)w->end,
		    r == NC_REJECTED && w->result < 0 ? "rejected" :
		    nc_status_str(r));
	return r;
}
