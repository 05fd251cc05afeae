/*
 * netcryptctl queue, the spool's side (spoolstore.h, doc/SPOOL.md 15):
 * the listing (the entries, at most SPS_LIST_MAX, in order per peer and
 * per mailbox; the damaged stretches found since the start; totals and
 * limits), one entry in full, and the answers to a drop, as a table for
 * a terminal or as JSON.  An entry is shown without its payload: its
 * size and the content type of its first byte only, for what people
 * write to each other is not the administrator's to read.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "session_proto.h"
#include "spoolstore_int.h"
#include "textbuf.h"
#include "util.h"

/* The peers' names the network child gave, to look fingerprints up. */
struct names {
	const struct sps_peername	*v;
	size_t				 n;
};

/* What the listing and `show` say of one entry. */
#define CELL_MAX	(SP_FROM_MAX + NC_FP_STRLEN + 16)
enum {
	C_ID, C_KIND, C_STATE, C_FROM, C_TO, C_SIZE, C_SEQ, C_LEFT, C_MAX
};
static const char *const titles[C_MAX] = {
	"ID", "KIND", "STATE", "FROM", "TO", "SIZE", "SEQ", "LEFT"
};
static const int right[C_MAX] = { 0, 0, 0, 0, 0, 1, 1, 1 };

struct row {
	char	cell[C_MAX][CELL_MAX];
};

/* The configured name of peer p, or NULL (its key is shown instead). */
static const char *
peer_name(const struct names *nm, const struct sps_peer *p)
{
	size_t	i;

	for (i = 0; i < nm->n; i++)
		if (memcmp(nm->v[i].fp, p->fp, NC_SHA256_LEN) == 0)
			return nm->v[i].name;
	return NULL;
}

static void
peer_key(const struct sps_peer *p, char key[NC_FP_STRLEN])
{
	if (nc_fingerprint_from_digest(p->fp, key, NC_FP_STRLEN) == -1)
		(void)nc_strlcpy(key, "?", NC_FP_STRLEN);
}

/* The name if known, else the key. */
static void
peer_label(const struct names *nm, const struct sps_peer *p, char *out,
    size_t outsz)
{
	const char	*name = peer_name(nm, p);
	char		 key[NC_FP_STRLEN];

	if (name != NULL) {
		safe_copy(out, outsz, name, NC_NAME_MAX);
		return;
	}
	peer_key(p, key);
	safe_copy(out, outsz, key, sizeof(key));
}

static const char *
state_name(const struct sps_entry *e)
{
	if (e->unreadable)
		return "damaged";
	if (e->kind == SPS_BOX)
		return e->handed ? "handed" : "kept";
	if (e->state == SPS_AT_PEER)
		return "at peer";
	return e->handed ? "sent" : "queued";
}

static uint64_t
payload_size(const struct sps_entry *e)
{
	size_t	fixed = SPOOLREC_SIZE(SPS_MSG_FIXED + e->fromlen + e->tolen);

	return e->reclen > fixed ? e->reclen - fixed : 0;
}

static int64_t
time_left(const struct sps_entry *e, uint64_t now)
{
	return e->end > now ? (int64_t)(e->end - now) : 0;
}

static void
names_of(const struct sps_entry *e, char *from, char *to)
{
	memcpy(from, e->names, e->fromlen);
	from[e->fromlen] = '\0';
	memcpy(to, e->names + e->fromlen, e->tolen);
	to[e->tolen] = '\0';
}

static void
entry_row(const struct names *nm, const struct sps_entry *e, uint64_t now,
    struct row *r)
{
	char	label[NC_FP_STRLEN + NC_NAME_MAX], from[SP_FROM_MAX + 1];
	char	to[NC_NAME_MAX + 1];

	(void)snprintf(r->cell[C_ID], CELL_MAX, "%016" PRIx64, e->id);
	if (e->kind == SPS_OUT) {
		peer_label(nm, e->peer, label, sizeof(label));
		(void)snprintf(r->cell[C_KIND], CELL_MAX, "out to %s", label);
	} else {
		safe_copy(label, sizeof(label), e->box->name, e->box->namelen);
		(void)snprintf(r->cell[C_KIND], CELL_MAX, "mailbox of %s",
		    label);
	}
	(void)nc_strlcpy(r->cell[C_STATE], state_name(e), CELL_MAX);
	names_of(e, from, to);
	safe_copy(r->cell[C_FROM], CELL_MAX, from, sizeof(from));
	safe_copy(r->cell[C_TO], CELL_MAX, to, sizeof(to));
	(void)snprintf(r->cell[C_SIZE], CELL_MAX, "%" PRIu64, payload_size(e));
	(void)snprintf(r->cell[C_SEQ], CELL_MAX, "%" PRIu64, e->seq);
	fmt_duration(r->cell[C_LEFT], CELL_MAX, time_left(e, now));
}

/* "key":"name", or "key":null for a peer without a name here. */
static void
json_key_name(struct sbuf *sb, const char *key, const char *name)
{
	if (name == NULL)
		sb_printf(sb, "\"%s\":null", key);
	else
		json_key_str(sb, key, name, NC_NAME_MAX);
}

/* The fields every JSON entry has, without the closing brace. */
static void
entry_json(struct sbuf *sb, const struct names *nm, const struct sps_entry *e,
    uint64_t now)
{
	char	key[NC_FP_STRLEN], from[SP_FROM_MAX + 1], to[NC_NAME_MAX + 1];

	sb_printf(sb, "{\"id\":\"%016" PRIx64 "\",\"kind\":\"%s\",", e->id,
	    e->kind == SPS_OUT ? "out" : "mailbox");
	if (e->kind == SPS_OUT) {
		json_key_name(sb, "peer", peer_name(nm, e->peer));
		peer_key(e->peer, key);
		sb_putc(sb, ',');
		json_key_str(sb, "peer_key", key, sizeof(key));
	} else
		json_key_str(sb, "mailbox", e->box->name, e->box->namelen);
	sb_printf(sb, ",\"state\":\"%s\",", state_name(e));
	names_of(e, from, to);
	json_key_str(sb, "from", from, sizeof(from));
	sb_putc(sb, ',');
	json_key_str(sb, "to", to, sizeof(to));
	sb_printf(sb, ",\"size\":%" PRIu64 ",\"seq\":%" PRIu64 ",\"left\":%"
	    PRId64, payload_size(e), e->seq, time_left(e, now));
}

/* ---- the entries, in order ------------------------------------------- */

/* OUT before BOX; per peer by seq; per mailbox (by name) by position. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct sps_entry	*x = *(struct sps_entry *const *)a;
	const struct sps_entry	*y = *(struct sps_entry *const *)b;
	int			 c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == SPS_OUT)
		c = memcmp(x->peer->fp, y->peer->fp, NC_SHA256_LEN);
	else if ((c = memcmp(x->box->name, y->box->name,
	    x->box->namelen < y->box->namelen ? x->box->namelen :
	    y->box->namelen)) == 0)
		c = (int)x->box->namelen - (int)y->box->namelen;
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every live entry, sorted: a malloc'd array (NULL when none or no room). */
static struct sps_entry **
sorted_entries(const struct spoolstore *s, size_t *n)
{
	struct sps_entry	**v;
	size_t			  i;

	*n = 0;
	/* Arrays of pointers below: the size of one pointer is meant. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if (s->ids.n == 0 || (v = calloc(s->ids.n, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < s->ids.cap && *n < s->ids.n; i++)
		if (s->ids.keys[i] != 0)
			v[(*n)++] = s->ids.vals[i];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	qsort(v, *n, sizeof(*v), entry_cmp);
	return v;
}

static void
list_table(struct sbuf *sb, const struct names *nm, struct sps_entry **v,
    size_t shown, uint64_t now)
{
	struct row	 r;
	const char	*cells[C_MAX];
	size_t		 width[C_MAX], i, j, len;

	if (shown == 0) {
		sb_puts(sb, "no entries\n");
		return;
	}
	/* Two passes: the widths, then the lines. */
	for (j = 0; j < C_MAX; j++)
		width[j] = strlen(titles[j]);
	for (i = 0; i < shown; i++) {
		entry_row(nm, v[i], now, &r);
		for (j = 0; j < C_MAX; j++)
			if ((len = strlen(r.cell[j])) > width[j])
				width[j] = len;
	}
	table_line(sb, titles, width, right, C_MAX);
	for (i = 0; i < shown; i++) {
		entry_row(nm, v[i], now, &r);
		for (j = 0; j < C_MAX; j++)
			cells[j] = r.cell[j];
		table_line(sb, cells, width, right, C_MAX);
	}
}

/* ---- damage ---------------------------------------------------------- */

static void
damage_table(struct sbuf *sb, const struct spoolstore *s)
{
	static const char *const dt[4] = {
		"SEGMENT", "OFFSET", "LENGTH", "REASON"
	};
	static const int	 dr[4] = { 0, 1, 1, 0 };
	char			 c[4][64];
	const char		*cells[4] = { c[0], c[1], c[2], c[3] };
	size_t			 width[4] = { 16, 6, 6, 6 }, i, j;

	sb_printf(sb, "\ndamaged stretches found since the spool started: %"
	    PRIu64 "%s\n", s->damaged, s->damaged > s->ndamage ?
	    " (the first listed)" : "");
	if (s->ndamage == 0)
		return;
	for (i = 0; i < s->ndamage; i++) {
		(void)snprintf(c[1], sizeof(c[1]), "%" PRIu64,
		    s->damage[i].off);
		(void)snprintf(c[2], sizeof(c[2]), "%" PRIu64,
		    s->damage[i].len);
		for (j = 1; j < 3; j++)
			if (strlen(c[j]) > width[j])
				width[j] = strlen(c[j]);
	}
	table_line(sb, dt, width, dr, 4);
	for (i = 0; i < s->ndamage; i++) {
		(void)snprintf(c[0], sizeof(c[0]), "%016" PRIx64,
		    s->damage[i].seg);
		(void)snprintf(c[1], sizeof(c[1]), "%" PRIu64,
		    s->damage[i].off);
		(void)snprintf(c[2], sizeof(c[2]), "%" PRIu64,
		    s->damage[i].len);
		safe_copy(c[3], sizeof(c[3]), s->damage[i].why, 63);
		table_line(sb, cells, width, dr, 4);
	}
}

static void
damage_json(struct sbuf *sb, const struct spoolstore *s)
{
	size_t	i;

	sb_puts(sb, ",\"damage\":[");
	for (i = 0; i < s->ndamage; i++) {
		sb_printf(sb, "%s{\"segment\":\"%016" PRIx64 "\",\"offset\":%"
		    PRIu64 ",\"length\":%" PRIu64 ",", i > 0 ? "," : "",
		    s->damage[i].seg, s->damage[i].off, s->damage[i].len);
		json_key_str(sb, "reason", s->damage[i].why, 64);
		sb_putc(sb, '}');
	}
	sb_printf(sb, "],\"damaged\":%" PRIu64, s->damaged);
}

/* ---- totals ---------------------------------------------------------- */

static int
box_cmp(const void *a, const void *b)
{
	const struct sps_box	*x = *(struct sps_box *const *)a;
	const struct sps_box	*y = *(struct sps_box *const *)b;
	int			 c;

	c = memcmp(x->name, y->name, x->namelen < y->namelen ? x->namelen :
	    y->namelen);
	return c != 0 ? c : (int)x->namelen - (int)y->namelen;
}

/* Mailboxes with entries, by name: malloc'd (NULL when none). */
static struct sps_box **
sorted_boxes(const struct spoolstore *s, size_t *n)
{
	struct sps_box	**v = NULL, *b;
	size_t		  i, cap = 0;

	*n = 0;
	for (i = 0; i < s->boxes.cap; i++)
		for (b = s->boxes.keys[i] ? s->boxes.vals[i] : NULL; b != NULL;
		    b = b->next) {
			/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
			v = sps_grow(v, &cap, *n + 1, sizeof(*v));
			v[(*n)++] = b;
		}
	if (*n > 0)
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		qsort(v, *n, sizeof(*v), box_cmp);
	return v;
}

/* A mailbox's limits: its rule's, else the defaults. */
static void
box_limits(const struct spoolstore *s, const struct sps_box *b,
    uint64_t *maxb, uint64_t *maxc, int *none)
{
	const struct sps_rule	*r = sps_box_rule(s, b->name, b->namelen);

	*maxb = r != NULL ? r->max_bytes : SPS_BOX_DEFAULT_BYTES;
	*maxc = r != NULL ? r->max_count : SPS_BOX_DEFAULT_COUNT;
	*none = r != NULL && r->none;
}

static void
limit_text(char *buf, size_t sz, uint64_t v)
{
	if (v == 0)
		(void)nc_strlcpy(buf, "none", sz);
	else
		(void)snprintf(buf, sz, "%" PRIu64, v);
}

/* Calls fn for every peer with entries. */
static void
each_peer(const struct spoolstore *s, void (*fn)(struct sbuf *,
    const struct names *, const struct sps_peer *, int), struct sbuf *sb,
    const struct names *nm)
{
	struct sps_peer	*p;
	size_t		 i;
	int		 first = 1;

	for (i = 0; i < s->peers.cap; i++)
		for (p = s->peers.keys[i] ? s->peers.vals[i] : NULL; p != NULL;
		    p = p->next)
			if (p->count > 0) {
				fn(sb, nm, p, first);
				first = 0;
			}
}

static void
peer_total_text(struct sbuf *sb, const struct names *nm,
    const struct sps_peer *p, int first)
{
	char	label[NC_FP_STRLEN + NC_NAME_MAX];

	(void)first;
	peer_label(nm, p, label, sizeof(label));
	sb_printf(sb, "peer %s: %" PRIu64 " entries, %" PRIu64 " bytes\n",
	    label, p->count, p->bytes);
}

static void
peer_total_json(struct sbuf *sb, const struct names *nm,
    const struct sps_peer *p, int first)
{
	char	key[NC_FP_STRLEN];

	peer_key(p, key);
	sb_puts(sb, first ? "{" : ",{");
	json_key_name(sb, "name", peer_name(nm, p));
	sb_putc(sb, ',');
	json_key_str(sb, "key", key, sizeof(key));
	sb_printf(sb, ",\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
	    p->count, p->bytes);
}

static void
totals_text(struct sbuf *sb, const struct spoolstore *s,
    const struct names *nm)
{
	struct sps_box	**boxes;
	size_t		  nbox, i;
	uint64_t	  maxb, maxc;
	int		  none;
	char		  total[24], share[24], name[NC_NAME_MAX + 1];

	limit_text(total, sizeof(total), s->set.total_bytes);
	limit_text(share, sizeof(share), s->set.peer_bytes);
	sb_printf(sb, "\ntotals: %zu entries, %" PRIu64 " bytes (spool size %s,"
	    " per peer %s), %zu segments, %zu statuses kept, %zu reports "
	    "owed\n", s->ids.n, s->bytes, total, share, s->nsegs,
	    s->finals.n, s->nowed);
	each_peer(s, peer_total_text, sb, nm);
	boxes = sorted_boxes(s, &nbox);
	for (i = 0; i < nbox && i < SPS_LIST_MAX; i++) {
		box_limits(s, boxes[i], &maxb, &maxc, &none);
		safe_copy(name, sizeof(name), boxes[i]->name,
		    boxes[i]->namelen);
		sb_printf(sb, "mailbox %s: %" PRIu32 " entries, %" PRIu64
		    " bytes (", name, boxes[i]->count, boxes[i]->bytes);
		if (none)
			sb_puts(sb, "no mailbox now)\n");
		else
			sb_printf(sb, "at most %" PRIu64 " bytes, %" PRIu64
			    " entries)\n", maxb, maxc);
	}
	if (nbox > SPS_LIST_MAX)
		sb_printf(sb, "(%zu more mailboxes not listed)\n",
		    nbox - SPS_LIST_MAX);
	free(boxes);
}

static void
totals_json(struct sbuf *sb, const struct spoolstore *s,
    const struct names *nm)
{
	struct sps_box	**boxes;
	size_t		  nbox, i;
	uint64_t	  maxb, maxc;
	int		  none;

	sb_printf(sb, ",\"totals\":{\"entries\":%zu,\"bytes\":%" PRIu64
	    ",\"limit_bytes\":%" PRIu64 ",\"peer_limit_bytes\":%" PRIu64
	    ",\"segments\":%zu,\"statuses\":%zu,\"reports_owed\":%zu,"
	    "\"peers\":[", s->ids.n, s->bytes, s->set.total_bytes,
	    s->set.peer_bytes, s->nsegs, s->finals.n, s->nowed);
	each_peer(s, peer_total_json, sb, nm);
	sb_puts(sb, "],\"mailboxes\":[");
	boxes = sorted_boxes(s, &nbox);
	for (i = 0; i < nbox && i < SPS_LIST_MAX; i++) {
		box_limits(s, boxes[i], &maxb, &maxc, &none);
		sb_puts(sb, i > 0 ? ",{" : "{");
		json_key_str(sb, "name", boxes[i]->name, boxes[i]->namelen);
		sb_printf(sb, ",\"entries\":%" PRIu32 ",\"bytes\":%" PRIu64
		    ",\"max_bytes\":%" PRIu64 ",\"max_count\":%" PRIu64
		    ",\"none\":%s}", boxes[i]->count, boxes[i]->bytes, maxb,
		    maxc, none ? "true" : "false");
	}
	sb_printf(sb, "],\"mailboxes_not_listed\":%zu}",
	    nbox > SPS_LIST_MAX ? nbox - SPS_LIST_MAX : 0);
	free(boxes);
}

char *
sps_ctl_list(struct spoolstore *s, const struct sps_peername *names,
    size_t nnames, int json, uint64_t now)
{
	struct names	  nm = { names, nnames };
	struct sbuf	  sb;
	struct sps_entry **v;
	size_t		  n, shown, i;

	memset(&sb, 0, sizeof(sb));
	v = sorted_entries(s, &n);
	if (n < s->ids.n)
		sb.err = 1;		/* no room for the array */
	shown = n < SPS_LIST_MAX ? n : SPS_LIST_MAX;
	if (json) {
		sb_puts(&sb, "{\"entries\":[");
		for (i = 0; i < shown; i++) {
			if (i > 0)
				sb_putc(&sb, ',');
			entry_json(&sb, &nm, v[i], now);
			sb_putc(&sb, '}');
		}
		sb_printf(&sb, "],\"entries_not_listed\":%zu", n - shown);
		damage_json(&sb, s);
		totals_json(&sb, s, &nm);
		sb_puts(&sb, "}\n");
	} else {
		list_table(&sb, &nm, v, shown, now);
		if (n > shown)
			sb_printf(&sb, "(%zu more entries not listed)\n",
			    n - shown);
		damage_table(&sb, s);
		totals_text(&sb, s, &nm);
	}
	free(v);
	return sb_finish(&sb);
}

/* ---- one entry ------------------------------------------------------- */

static const char *
content_name(const uint8_t *payload, size_t len)
{
	if (len == 0)
		return "empty";
	switch (payload[0]) {
	case SP_CT_TEXT:
		return "text";
	case SP_CT_FILE_OFFER:
		return "file offer";
	case SP_CT_FILE_DATA:
		return "file data";
	case SP_CT_FILE_END:
		return "file end";
	case SP_CT_FILE_RESULT:
		return "file result";
	default:
		return "unknown";
	}
}

/* The content type, read back (and checked) from the entry's record. */
static const char *
entry_content(struct spoolstore *s, struct sps_entry *e)
{
	const uint8_t	*payload;
	const char	*what;
	uint8_t		*buf;
	size_t		 len;

	if (e->unreadable || e->seg == NULL)
		return "unreadable";
	if ((buf = malloc(e->reclen)) == NULL)
		return "unknown (out of memory)";
	if (sps_read_entry(s, e, buf, &payload, &len) == -1)
		what = "unreadable";
	else
		what = content_name(payload, len);
	free(buf);
	return what;
}

static void
show_text(struct sbuf *sb, const struct names *nm, const struct sps_entry *e,
    const char *content, uint64_t now)
{
	struct row	r;
	char		key[NC_FP_STRLEN], origin[CELL_MAX];

	entry_row(nm, e, now, &r);
	sb_printf(sb, "id       %s\nkind     %s\n", r.cell[C_ID],
	    r.cell[C_KIND]);
	if (e->kind == SPS_OUT) {
		peer_key(e->peer, key);
		sb_printf(sb, "key      %s\n", key);
	}
	sb_printf(sb, "state    %s\nfrom     %s\nto       %s\n"
	    "size     %s bytes, content %s\n%s %s\nleft     %s (ends %"
	    PRIu64 ")\n", r.cell[C_STATE], r.cell[C_FROM], r.cell[C_TO],
	    r.cell[C_SIZE], content, e->kind == SPS_OUT ? "seq     " :
	    "position", r.cell[C_SEQ], r.cell[C_LEFT], e->end);
	if (e->remote) {
		peer_label(nm, e->peer, origin, sizeof(origin));
		sb_printf(sb, "origin   %s, its seq %" PRIu64 "\n", origin,
		    e->oseq);
	}
	sb_printf(sb, "record   segment %016" PRIx64 " offset %" PRIu32 ", %"
	    PRIu32 " bytes\n", e->seg->no, e->off, e->reclen);
}

static void
show_json(struct sbuf *sb, const struct names *nm, const struct sps_entry *e,
    const char *content)
{
	char	key[NC_FP_STRLEN];

	sb_printf(sb, ",\"content\":\"%s\",\"end\":%" PRIu64 ",\"remote\":%s",
	    content, e->end, e->remote ? "true" : "false");
	if (e->remote) {
		peer_key(e->peer, key);
		sb_putc(sb, ',');
		json_key_name(sb, "origin", peer_name(nm, e->peer));
		sb_putc(sb, ',');
		json_key_str(sb, "origin_key", key, sizeof(key));
		sb_printf(sb, ",\"origin_seq\":%" PRIu64, e->oseq);
	}
	sb_printf(sb, ",\"segment\":\"%016" PRIx64 "\",\"offset\":%" PRIu32
	    ",\"record_bytes\":%" PRIu32 "}\n", e->seg->no, e->off, e->reclen);
}

char *
sps_ctl_show(struct spoolstore *s, uint64_t id,
    const struct sps_peername *names, size_t nnames, int json, uint64_t now,
    int *failed)
{
	struct names		 nm = { names, nnames };
	struct sps_entry	*e = sps_map_get(&s->ids, id);
	struct sbuf		 sb;
	const char		*content;

	memset(&sb, 0, sizeof(sb));
	*failed = e == NULL || e->seg == NULL;
	if (*failed) {
		sb_printf(&sb, "no entry %016" PRIx64 " in the spool", id);
		return sb_finish(&sb);
	}
	content = entry_content(s, e);
	if (json) {
		entry_json(&sb, &nm, e, now);
		show_json(&sb, &nm, e, content);
	} else
		show_text(&sb, &nm, e, content, now);
	return sb_finish(&sb);
}

/* ---- drop ------------------------------------------------------------ */

/* Final statuses as SESSIONS.md names them. */
static const char *
status_word(uint8_t st)
{
	static const char *const w[] = {
		"delivered", "no such session", "no such peer",
		"peer unreachable", "too large", "queue full", "name in use",
		"bad name", "rejected", "busy", "not allowed", "queued",
		"expired", "spool full", "at peer", "unknown id", "dropped"
	};

	return st < sizeof(w) / sizeof(w[0]) ? w[st] : "unknown status";
}

char *
sps_ctl_drop_text(uint64_t id, int result, uint8_t ended, int *failed)
{
	struct sbuf	sb;

	memset(&sb, 0, sizeof(sb));
	*failed = result != SPS_DROP_OK;
	sb_printf(&sb, "%016" PRIx64 ": ", id);
	switch (result) {
	case SPS_DROP_OK:
		sb_puts(&sb, "dropped; it will not be delivered, and its "
		    "sender is told (status 16)\n");
		break;
	case SPS_DROP_ENDED:
		sb_printf(&sb, "ended already (%u, %s)", ended,
		    status_word(ended));
		break;
	case SPS_DROP_NOT_YET:
		sb_puts(&sb, "not on disk yet; try again");
		break;
	case SPS_DROP_AT_PEER:
		sb_puts(&sb, "the peer's spool has it: only the peer's "
		    "administrator can drop it now");
		break;
	case SPS_DROP_SENT:
		sb_puts(&sb, "sent to the peer, which has not answered yet "
		    "and may have it; try again once it has, or drop it at "
		    "the peer");
		break;
	case SPS_DROP_HANDED:
		sb_puts(&sb, "handed to a session, which has not answered "
		    "yet and may have it");
		break;
	default:
		sb_puts(&sb, "no such entry in the spool");
		break;
	}
	return sb_finish(&sb);
}

/*
 * After a restart nothing says which entries the last run sent to a
 * peer that did not answer; a link sends in seq order, at most
 * SP_LINK_WINDOW unanswered, and an answer moves an entry out of the
 * queue, so they are among the first that many still queued.
 */
void
sps_mark_maybe_sent(struct spoolstore *s)
{
	struct sps_peer		*p;
	struct sps_entry	*e;
	size_t			 i, n;

	for (i = 0; i < s->peers.cap; i++)
		for (p = s->peers.keys[i] ? s->peers.vals[i] : NULL; p != NULL;
		    p = p->next) {
			n = 0;
			TAILQ_FOREACH(e, &p->queued, qlink)
				if (n++ < SP_LINK_WINDOW)
					e->handed = 1;
				else
					break;
		}
}
