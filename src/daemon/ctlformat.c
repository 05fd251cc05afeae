/*
 * The answer to `netcryptctl show`: the daemon's and the peers' figures
 * (struct ctl_daemon, struct ctl_peer) formatted as a table for a terminal
 * or as JSON for scripts.  control.c takes the snapshot and sends the text;
 * this file only turns the figures into text.  Whatever the strings hold,
 * the table shows only printable ASCII and the JSON stays valid.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "textbuf.h"
#include "util.h"

/* A counter of `show --json`, and a run of them, each after a comma. */
struct json_counter {
	const char	*key;
	uint64_t	 value;
};

static void
json_counters(struct sbuf *sb, const struct json_counter *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		sb_putc(sb, ',');
		json_key_u64(sb, c[i].key, c[i].value);
	}
}

static void
json_daemon(struct sbuf *sb, const struct ctl_daemon *d)
{
	const struct json_counter	counters[] = {
		{ "handshakes_ok", d->handshakes_ok },
		{ "handshakes_failed", d->handshakes_failed },
		{ "rsa_unwraps", d->rsa_unwraps },
		{ "unwraps_refused", d->unwraps_refused },
		{ "unwraps_cancelled", d->unwraps_cancelled },
		{ "unwrap_rate", d->unwrap_rate },
		{ "unwrap_us", d->unwrap_us },
		{ "handshakes_evicted", d->handshakes_evicted },
		{ "handshakes_proven", d->handshakes_proven },
		{ "sessions", d->sessions },
		{ "attaches_refused", d->attaches_refused },
		{ "messages_rejected", d->messages_rejected },
	};

	sb_puts(sb, "\"daemon\":{");
	json_key_str(sb, "name", d->name, sizeof(d->name));
	sb_putc(sb, ',');
	json_key_str(sb, "fingerprint", d->fingerprint,
	    sizeof(d->fingerprint));
	sb_printf(sb, ",\"uptime\":%" PRId64,
	    d->uptime_seconds < 0 ? 0 : d->uptime_seconds);
	json_counters(sb, counters, sizeof(counters) / sizeof(counters[0]));
	sb_putc(sb, '}');
}

/* Strings behind pointers get a bound too, for the same reason. */
#define CTL_STR_MAX	64

static void
json_peer(struct sbuf *sb, const struct ctl_peer *p)
{
	const struct json_counter	counters[] = {
		{ "bytes_in", p->bytes_in },
		{ "bytes_out", p->bytes_out },
		{ "records_in", p->records_in },
		{ "records_out", p->records_out },
		{ "key_updates", p->key_updates },
		{ "rekeys", p->rekeys },
		{ "reconnects", p->reconnects },
		{ "queued_msgs", p->queued_msgs },
		{ "queued_bytes", p->queued_bytes },
	};

	sb_putc(sb, '{');
	json_key_str(sb, "name", p->name, sizeof(p->name));
	sb_putc(sb, ',');
	json_key_str(sb, "state", p->state, CTL_STR_MAX);
	sb_putc(sb, ',');
	json_key_str(sb, "address", p->address, sizeof(p->address));
	sb_putc(sb, ',');
	json_key_str(sb, "direction", p->direction, CTL_STR_MAX);
	sb_putc(sb, ',');
	json_key_str(sb, "cipher", p->cipher, CTL_STR_MAX);
	sb_putc(sb, ',');
	json_key_str(sb, "fingerprint", p->fingerprint,
	    sizeof(p->fingerprint));
	if (p->up_seconds < 0)
		sb_puts(sb, ",\"up_seconds\":null");
	else
		sb_printf(sb, ",\"up_seconds\":%" PRId64, p->up_seconds);
	json_counters(sb, counters, sizeof(counters) / sizeof(counters[0]));
	sb_putc(sb, '}');
}

static void
format_json(struct sbuf *sb, const struct ctl_daemon *d,
    const struct ctl_peer *peers, size_t npeers)
{
	size_t	i;

	sb_putc(sb, '{');
	json_daemon(sb, d);
	sb_puts(sb, ",\"peers\":[");
	for (i = 0; i < npeers; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		json_peer(sb, &peers[i]);
	}
	sb_puts(sb, "]}\n");
}

/* ---- the table ---- */

enum {
	COL_NAME, COL_STATE, COL_ADDRESS, COL_CIPHER, COL_UP, COL_BYTES_IN,
	COL_BYTES_OUT, COL_KEYUPD, COL_REKEYS, COL_RECONN, COL_QUEUED,
	COL_MAX
};

static const struct {
	const char	*title;
	int		 right;		/* numbers are right-aligned */
} columns[COL_MAX] = {
	{ "NAME", 0 }, { "STATE", 0 }, { "ADDRESS", 0 }, { "CIPHER", 0 },
	{ "UP", 1 }, { "BYTES-IN", 1 }, { "BYTES-OUT", 1 }, { "KEYUPD", 1 },
	{ "REKEYS", 1 }, { "RECONN", 1 }, { "QUEUED", 1 }
};

/* Room for "address (direction)". */
#define CELL_MAX	(NC_HOST_MAX + 8 + CTL_STR_MAX + 4)

struct row {
	char	cell[COL_MAX][CELL_MAX];
};

static void
peer_row(const struct ctl_peer *p, struct row *r)
{
	char	addr[sizeof(p->address)];
	char	dir[CTL_STR_MAX + 1];

	safe_copy(r->cell[COL_NAME], CELL_MAX, p->name, sizeof(p->name));
	safe_copy(r->cell[COL_STATE], CELL_MAX, p->state, CTL_STR_MAX);
	safe_copy(addr, sizeof(addr), p->address, sizeof(p->address));
	if (p->address[0] != '\0' && p->direction != NULL &&
	    p->direction[0] != '\0') {
		safe_copy(dir, sizeof(dir), p->direction, CTL_STR_MAX);
		(void)snprintf(r->cell[COL_ADDRESS], CELL_MAX, "%s (%s)",
		    addr, dir);
	} else
		nc_strlcpy(r->cell[COL_ADDRESS], addr, CELL_MAX);
	safe_copy(r->cell[COL_CIPHER], CELL_MAX, p->cipher, CTL_STR_MAX);
	fmt_duration(r->cell[COL_UP], CELL_MAX, p->up_seconds);
	(void)snprintf(r->cell[COL_BYTES_IN], CELL_MAX, "%" PRIu64,
	    p->bytes_in);
	(void)snprintf(r->cell[COL_BYTES_OUT], CELL_MAX, "%" PRIu64,
	    p->bytes_out);
	(void)snprintf(r->cell[COL_KEYUPD], CELL_MAX, "%" PRIu64,
	    p->key_updates);
	(void)snprintf(r->cell[COL_REKEYS], CELL_MAX, "%" PRIu64, p->rekeys);
	(void)snprintf(r->cell[COL_RECONN], CELL_MAX, "%" PRIu64,
	    p->reconnects);
	(void)snprintf(r->cell[COL_QUEUED], CELL_MAX, "%" PRIu64 "/%" PRIu64,
	    p->queued_msgs, p->queued_bytes);
}

static void
ctl_table_line(struct sbuf *sb, const char *const cells[COL_MAX],
    const size_t width[COL_MAX])
{
	int	right[COL_MAX];
	size_t	i;

	for (i = 0; i < COL_MAX; i++)
		right[i] = columns[i].right;
	table_line(sb, cells, width, right, COL_MAX);
}

static void
table_header(struct sbuf *sb, const struct ctl_daemon *d)
{
	char	name[sizeof(d->name)], fp[sizeof(d->fingerprint)], up[32];

	safe_copy(name, sizeof(name), d->name, sizeof(d->name));
	safe_copy(fp, sizeof(fp), d->fingerprint, sizeof(d->fingerprint));
	fmt_duration(up, sizeof(up), d->uptime_seconds);
	sb_printf(sb, "netcryptd %s, key %s, up %s\n", name, fp, up);
	sb_printf(sb, "sessions %" PRIu64 ", handshakes %" PRIu64 " ok %"
	    PRIu64 " failed %" PRIu64 " evicted %" PRIu64 " proven\n",
	    d->sessions, d->handshakes_ok, d->handshakes_failed,
	    d->handshakes_evicted, d->handshakes_proven);
	sb_printf(sb, "rsa unwraps %" PRIu64 " done %" PRIu64 " refused %"
	    PRIu64 " cancelled, rate %" PRIu64 "/s\n", d->rsa_unwraps,
	    d->unwraps_refused, d->unwraps_cancelled, d->unwrap_rate);
	sb_printf(sb, "session policy: %" PRIu64 " attaches refused, %" PRIu64
	    " messages rejected\n\n", d->attaches_refused,
	    d->messages_rejected);
}

static void
format_table(struct sbuf *sb, const struct ctl_daemon *d,
    const struct ctl_peer *peers, size_t npeers)
{
	struct row	 r;
	const char	*cells[COL_MAX];
	size_t		 width[COL_MAX], i, j, len;
	char		 fp[sizeof(peers->fingerprint)];

	memset(&r, 0, sizeof(r));
	table_header(sb, d);
	/* Two passes over the peers: first the widths, then the lines. */
	for (j = 0; j < COL_MAX; j++) {
		cells[j] = columns[j].title;
		width[j] = strlen(columns[j].title);
	}
	for (i = 0; i < npeers; i++) {
		peer_row(&peers[i], &r);
		for (j = 0; j < COL_MAX; j++)
			if ((len = strlen(r.cell[j])) > width[j])
				width[j] = len;
	}
	ctl_table_line(sb, cells, width);
	for (i = 0; i < npeers; i++) {
		peer_row(&peers[i], &r);
		for (j = 0; j < COL_MAX; j++)
			cells[j] = r.cell[j];
		ctl_table_line(sb, cells, width);
		safe_copy(fp, sizeof(fp), peers[i].fingerprint,
		    sizeof(peers[i].fingerprint));
		sb_printf(sb, "    key %s\n", fp);
	}
}

char *
control_format(const struct ctl_daemon *d, const struct ctl_peer *peers,
    size_t npeers, int json)
{
	struct sbuf	sb;

	memset(&sb, 0, sizeof(sb));
	if (d == NULL || (npeers > 0 && peers == NULL))
		return NULL;
	if (json)
		format_json(&sb, d, peers, npeers);
	else
		format_table(&sb, d, peers, npeers);
	return sb_finish(&sb);
}
