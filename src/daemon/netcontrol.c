/*
 * The network process's side of the control socket (control.c): what
 * `netcryptctl show` reports of the daemon and of each peer, and
 * `netcryptctl reload` and `check`, which only the master can do and
 * which are passed on to it, the answer coming back the same way, and
 * `netcryptctl queue`, passed on to the spool likewise.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "admit.h"
#include "conf.h"
#include "control.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "netpriv.h"
#include "netspool.h"
#include "network.h"
#include "session.h"
#include "util.h"

/* ---- control: what `netcryptctl show` reports ------------------------ */

static void
ctl_admission(struct ctl_daemon *d)
{
	const struct admit_stats	*st = admit_stats();

	d->unwrap_rate = st->rate;
	d->unwrap_us = st->op_us;
	d->unwraps_refused = st->refused;
	d->unwraps_cancelled = st->cancelled;
	d->handshakes_evicted = st->evicted;
	d->handshakes_proven = st->proven;
}

static size_t
ctl_snapshot(void *arg, struct ctl_daemon *d)
{
	struct timespec	now;

	(void)arg;
	monotime(&now);
	memset(d, 0, sizeof(*d));
	(void)nc_strlcpy(d->name, netctx->ns.name, sizeof(d->name));
	(void)nc_strlcpy(d->fingerprint, netctx->fpstr, sizeof(d->fingerprint));
	d->uptime_seconds = (int64_t)timespec_diff(&now, &netctx->started);
	d->handshakes_ok = netctx->handshakes_ok;
	d->handshakes_failed = netctx->handshakes_failed;
	d->rsa_unwraps = netctx->unwraps;
	ctl_admission(d);
	d->sessions = session_count();
	session_refusals(&d->attaches_refused, &d->messages_rejected);
	return net.npeers;
}

static void
ctl_peer(void *arg, size_t i, struct ctl_peer *c)
{
	struct peer	*p;
	struct link	*l, *shown = NULL;
	struct timespec	 now;

	(void)arg;
	memset(c, 0, sizeof(*c));
	TAILQ_FOREACH(p, &netctx->peers, entry)
		if (i-- == 0)
			break;
	if (p == NULL)
		return;
	(void)nc_strlcpy(c->name, p->name, sizeof(c->name));
	(void)nc_strlcpy(c->fingerprint, p->fpstr, sizeof(c->fingerprint));
	c->up_seconds = -1;
	c->cipher = "";
	c->direction = "";
	c->bytes_in = p->bytes_in;
	c->bytes_out = p->bytes_out;
	c->records_in = p->records_in;
	c->records_out = p->records_out;
	c->key_updates = p->key_updates;
	c->rekeys = p->rekeys;
	c->reconnects = p->reconnects;
	c->queued_msgs = p->out.nqueued;
	c->queued_bytes = p->out.nbytes;
	/* The up link, else a handshake in progress, for this peer. */
	shown = p->link != NULL ? p->link : p->dialing;
	TAILQ_FOREACH(l, &netctx->links, entry)
		if (shown == NULL && l->peer == p && l->state != LINK_CLOSING)
			shown = l;
	if (shown != NULL) {
		c->state = link_state_name(shown->state);
		(void)nc_strlcpy(c->address, shown->addr, sizeof(c->address));
		c->direction = shown->outbound ? "out" : "in";
		c->bytes_in += shown->bytes_in;
		c->bytes_out += shown->bytes_out;
		c->records_in += shown->records_in;
		c->records_out += shown->records_out;
		c->key_updates += shown->key_updates;
		c->rekeys += shown->rk.done;
		if (shown->state == LINK_UP) {
			monotime(&now);
			c->cipher = cipher_name(shown->cipher);
			c->up_seconds = (int64_t)timespec_diff(&now,
			    &shown->since);
		}
	} else
		c->state = p->in_backoff ? "backoff" : "idle";
}

/* netcryptctl reload / check: only the master can do it; ask it. */
static void
ctl_reload(void *arg, unsigned int client, int check)
{
	struct ctl_reload_req	req;

	(void)arg;
	memset(&req, 0, sizeof(req));
	req.client = client;
	req.check = check ? 1 : 0;
	imsgev_compose(&net.master, IMSG_CTL_RELOAD, 0, -1, &req, sizeof(req));
}

/* netcryptctl queue: the spool keeps the entries; ask it. */
static void
ctl_queue(void *arg, unsigned int client, uint8_t op, uint8_t flags,
    uint64_t id)
{
	(void)arg;
	netspool_ctl(client, op, flags, id);
}

const struct control_ops ctl_ops = {
	.snapshot = ctl_snapshot,
	.peer = ctl_peer,
	.reload = ctl_reload,
	.queue = ctl_queue,
	.arg = NULL
};

void
ctl_reload_done(struct imsg *imsg)
{
	struct ctl_reload_rep	 rep;
	const unsigned char	*text;
	size_t			 textlen;

	if (imsg_get_head_tail(imsg, &rep, sizeof(rep), &text, &textlen,
	    CTL_RELOAD_TEXT_MAX) == -1)
		fatalx("%s: bad CTL_RELOAD_DONE", __func__);
	control_answer(rep.client, rep.status, textlen > 0 ? text :
	    (const unsigned char *)"", textlen);
}
