/*
 * The spool: the fourth process, and the only one that reads or writes
 * spooled bytes (doc/SPOOL.md 8).  Configured by the master (who to
 * become, the spool directory, limits, mailbox rules), then chrooted into
 * the spool directory as the service user, it takes the directory's lock,
 * recovers its segments (spoolstore.c) and serves the network child.
 *
 * Group commit: every message one read brings is checked and staged; a
 * libevent event made active by the first of them runs once the read's
 * messages are all dispatched, appends their records with one fdatasync
 * and only then sends the answers, and then serves the reads (fetches,
 * queries) of that batch, so that nothing is sent before it is durable.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl_proto.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "namepat.h"
#include "proc.h"
#include "sandbox.h"
#include "spoolstore.h"

/*
 * A fetch, a query or a netcryptctl request, served once the batch
 * before it is durable (a drop: once the drop is).
 */
struct spool_read {
	uint32_t		 type;
	struct sp_fetch		 fetch;
	struct sp_query		 query;
	struct sp_ctl		 ctl;
	int			 dropped;	/* what sps_drop said */
	uint8_t			 ended;
	struct sps_peername	*names;		/* for the listing */
	size_t			 nnames;
};

/* Peers' names one netcryptctl request may bring (more: keys shown). */
#define SPOOL_CTL_NAMES_MAX	8192
#define SPOOL_DEFER_MS		5	/* longest wait of a commit that may */

struct spool_conf {
	struct privsep_conf	 privsep;
	int			 have_privsep;
	struct sp_settings	 set;
	struct sp_mailbox_rule	*rules;
	size_t			 nrules;
	int			 in_reload;
};

struct spool {
	struct event_base	*base;
	struct imsgev		 master;
	struct imsgev		 net;
	struct event		*commit_ev;
	struct event		*defer_ev;	/* a commit that could wait */
	struct event		*tick_ev;
	struct spoolstore	*store;
	struct spool_conf	 conf;		/* in force */
	struct spool_conf	 next;		/* a reload being read */
	struct spool_read	*reads;
	size_t			 nreads;
	struct sps_peername	*names;		/* for the next SP_CTL */
	size_t			 nnames;
	int			 lockfd;
	struct imsgbuf		 boot;		/* the configuration phase */
};

static uint64_t
wall_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec;
}

static void
bad_imsg(const char *where, const struct imsg *imsg)
{
	fatalx("%s: malformed %s (%zu bytes)", where,
	    imsg_type_name(imsg->hdr.type), imsg->datalen);
}

/* One configuration message; 1 at CONF_END.  Fatal on anything bad. */
static int
conf_message(struct spool_conf *c, struct imsg *imsg)
{
	struct sp_mailbox_rule	r;
	void			*nr;

	switch (imsg->hdr.type) {
	case IMSG_CONF_PRIVSEP:
		if (imsg_get_data(imsg, &c->privsep, sizeof(c->privsep)) == -1)
			bad_imsg(__func__, imsg);
		c->privsep.user[sizeof(c->privsep.user) - 1] = '\0';
		c->privsep.chroot[sizeof(c->privsep.chroot) - 1] = '\0';
		c->have_privsep = 1;
		return 0;
	case IMSG_CONF_SPOOL:
		if (imsg_get_data(imsg, &c->set, sizeof(c->set)) == -1 ||
		    c->set.lifetime_max > WIRE_TTL_MAX)
			bad_imsg(__func__, imsg);
		if (c->set.lifetime_max == 0)
			c->set.lifetime_max = WIRE_TTL_MAX;
		/* A reload sends the whole set of rules again. */
		free(c->rules);
		c->rules = NULL;
		c->nrules = 0;
		return 0;
	case IMSG_CONF_MAILBOX:
		if (imsg_get_data(imsg, &r, sizeof(r)) == -1 ||
		    memchr(r.pattern, '\0', sizeof(r.pattern)) == NULL ||
		    !nc__pat_valid(r.pattern, strlen(r.pattern)) ||
		    r.none > 1 || c->nrules >= SPS_MAX_RULES)
			bad_imsg(__func__, imsg);
		if ((nr = reallocarray(c->rules, c->nrules + 1,
		    sizeof(r))) == NULL)
			fatal("%s", __func__);
		c->rules = nr;
		c->rules[c->nrules++] = r;
		return 0;
	case IMSG_CONF_END:
		if (imsg_get_empty(imsg) == -1)
			bad_imsg(__func__, imsg);
		return 1;
	default:
		fatalx("%s: unexpected %s from the master during "
		    "configuration", __func__, imsg_type_name(imsg->hdr.type));
	}
}

static int
conf_dispatch(void *arg, struct imsg *imsg)
{
	return conf_message(arg, imsg);
}

/* ---- answers to the network child -------------------------------------- */

static void
emit_event(void *arg, const struct sps_event *ev)
{
	struct spool	*sp = arg;
	struct iovec	 iov[2];

	switch (ev->type) {
	case SPS_EV_DONE:
		imsgev_compose(&sp->net, IMSG_SP_DONE, 0, -1, &ev->u.done,
		    sizeof(ev->u.done));
		break;
	case SPS_EV_RESULT_DONE:
		imsgev_compose(&sp->net, IMSG_SP_OUT_RESULT_DONE, 0, -1,
		    &ev->u.result, sizeof(ev->u.result));
		break;
	case SPS_EV_NOTIFY:
		iov[0].iov_base = (void *)(uintptr_t)&ev->u.notify;
		iov[0].iov_len = sizeof(ev->u.notify);
		iov[1].iov_base = (void *)(uintptr_t)ev->from;
		iov[1].iov_len = ev->u.notify.fromlen;
		imsgev_composev(&sp->net, IMSG_SP_NOTIFY, 0, -1, iov, 2);
		break;
	case SPS_EV_REPORT:
		imsgev_compose(&sp->net, IMSG_SP_REPORT, 0, -1, &ev->u.report,
		    sizeof(ev->u.report));
		break;
	}
}

static void
send_entry(void *arg, const struct sp_entry *e, const struct sps_msg *m)
{
	struct spool	*sp = arg;
	struct iovec	 iov[4];

	iov[0].iov_base = (void *)(uintptr_t)e;
	iov[0].iov_len = sizeof(*e);
	iov[1].iov_base = (void *)(uintptr_t)m->from;
	iov[1].iov_len = m->fromlen;
	iov[2].iov_base = (void *)(uintptr_t)m->to;
	iov[2].iov_len = m->tolen;
	iov[3].iov_base = (void *)(uintptr_t)m->payload;
	iov[3].iov_len = m->len;
	imsgev_composev(&sp->net, IMSG_SP_ENTRY, 0, -1, iov, 4);
}

/* The answer to netcryptctl, in pieces that fit an imsg. */
static void
send_ctl_text(struct spool *sp, uint32_t client, const char *text,
    int failed)
{
	struct sp_ctl_text	 h;
	struct iovec		 iov[2];
	size_t			 len, off = 0, n;

	if (text == NULL) {
		text = "the spool is out of memory";
		failed = 1;
	}
	len = strlen(text);
	memset(&h, 0, sizeof(h));
	h.client = client;
	h.status = failed ? CTL_STATUS_FAIL : CTL_STATUS_OK;
	do {
		n = len - off > SP_CTL_TEXT_MAX ? SP_CTL_TEXT_MAX : len - off;
		h.last = off + n == len;
		iov[0].iov_base = &h;
		iov[0].iov_len = sizeof(h);
		iov[1].iov_base = (void *)(uintptr_t)(text + off);
		iov[1].iov_len = n;
		imsgev_composev(&sp->net, IMSG_SP_CTL_TEXT, 0, -1, iov, 2);
		off += n;
	} while (off < len);
}

static void
serve_ctl(struct spool *sp, struct spool_read *r, uint64_t now)
{
	char	*text;
	int	 failed = 0, json = (r->ctl.flags & SP_CTL_JSON) != 0;

	switch (r->ctl.op) {
	case SP_CTL_LIST:
		text = sps_ctl_list(sp->store, r->names, r->nnames, json, now);
		break;
	case SP_CTL_SHOW:
		text = sps_ctl_show(sp->store, r->ctl.id, r->names, r->nnames,
		    json, now, &failed);
		break;
	default:
		if (r->dropped == SPS_DROP_OK)
			log_info("spool: entry %016" PRIx64 " dropped by the "
			    "administrator", r->ctl.id);
		text = sps_ctl_drop_text(r->ctl.id, r->dropped, r->ended,
		    &failed);
		break;
	}
	send_ctl_text(sp, r->ctl.client, text, failed);
	free(text);
	free(r->names);
	r->names = NULL;
}

static void
serve_read(struct spool *sp, struct spool_read *r, uint64_t now)
{
	struct sp_fetch_end	end;

	switch (r->type) {
	case IMSG_SP_OUT_FETCH:
		sps_out_fetch(sp->store, &r->fetch, now, send_entry, sp, &end);
		imsgev_compose(&sp->net, IMSG_SP_FETCH_END, 0, -1, &end,
		    sizeof(end));
		break;
	case IMSG_SP_BOX_FETCH:
		sps_box_fetch(sp->store, &r->fetch, now, send_entry, sp, &end);
		imsgev_compose(&sp->net, IMSG_SP_FETCH_END, 0, -1, &end,
		    sizeof(end));
		break;
	case IMSG_SP_REPORT_FETCH:
		sps_report_fetch(sp->store, r->fetch.fp);
		break;
	case IMSG_SP_QUERY:
		r->query.status = sps_query(sp->store, r->query.id, now);
		imsgev_compose(&sp->net, IMSG_SP_QUERY_DONE, 0, -1, &r->query,
		    sizeof(r->query));
		break;
	case IMSG_SP_CTL:
		serve_ctl(sp, r, now);
		break;
	}
}

/*
 * The batch is complete: make it durable, answer, then serve reads.  A
 * batch of what may wait (a peer's SFINALs, records needing no sync) is
 * left staged for SPOOL_DEFER_MS, so that its sync is shared with the
 * next message's rather than delaying it: one at a time, a message
 * would otherwise often find the disk busy with the last one's end.
 */
static void
commit_and_serve(struct spool *sp, int now_or_never)
{
	struct timeval	 tv = { 0, SPOOL_DEFER_MS * 1000 };
	uint64_t	 now = wall_now();
	size_t		 i;

	if (!now_or_never && !sps_urgent(sp->store)) {
		if (sps_pending(sp->store) &&
		    !evtimer_pending(sp->defer_ev, NULL))
			(void)evtimer_add(sp->defer_ev, &tv);
	} else
		(void)sps_commit(sp->store, now);
	for (i = 0; i < sp->nreads; i++)
		serve_read(sp, &sp->reads[i], now);
	sp->nreads = 0;
}

static void
commit_batch(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	commit_and_serve(arg, 0);
}

/* The wait is over: commit what waited. */
static void
commit_deferred(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	commit_and_serve(arg, 1);
}

static void
batch_touch(struct spool *sp)
{
	event_active(sp->commit_ev, EV_TIMEOUT, 0);
}

/* ---- requests from the network child ----------------------------------- */

static size_t
name_len(const char *name, size_t max)
{
	const char	*nul = memchr(name, '\0', max);

	return nul == NULL ? max : (size_t)(nul - name);
}

/* The variable parts after a fixed head: from, to, payload; checked. */
static void
msg_parts(const struct imsg *imsg, const unsigned char *tail, size_t taillen,
    size_t fromlen, size_t tolen, int remote, struct sps_msg *m)
{
	if (fromlen > taillen || tolen > taillen - fromlen ||
	    !sps_names_valid((const char *)tail, fromlen, remote,
	    (const char *)tail + fromlen, tolen))
		bad_imsg(__func__, imsg);
	m->from = (const char *)tail;
	m->fromlen = fromlen;
	m->to = m->from + fromlen;
	m->tolen = tolen;
	m->payload = tail + fromlen + tolen;
	m->len = taillen - fromlen - tolen;
}

static void
check_ttl(const struct spool *sp, const struct imsg *imsg, uint32_t ttl)
{
	if (ttl == 0 || ttl > sp->conf.set.lifetime_max)
		bad_imsg(__func__, imsg);
}

/* What must fit in one SP_ENTRY to be fetched again. */
static int
entry_fits(const struct sps_msg *m)
{
	return sizeof(struct sp_entry) + m->fromlen + m->tolen + m->len <=
	    IMSG_MAX_PAYLOAD;
}

static void
net_put(struct spool *sp, struct imsg *imsg, uint64_t now)
{
	struct sp_put		 p;
	const unsigned char	*tail;
	size_t			 taillen;
	struct sps_msg		 m;

	if (imsg_get_head_tail(imsg, &p, sizeof(p), &tail, &taillen,
	    IMSG_MAX_PAYLOAD) == -1 ||
	    (p.dest != SP_DEST_PEER && p.dest != SP_DEST_LOCAL) ||
	    p.fromlen > NC_NAME_MAX)
		bad_imsg(__func__, imsg);
	check_ttl(sp, imsg, p.ttl);
	msg_parts(imsg, tail, taillen, p.fromlen, p.tolen, 0, &m);
	if (!entry_fits(&m))
		sps_refuse(sp->store, p.req, ST_TOO_LARGE);
	else
		sps_put(sp->store, &p, &m, now);
}

static void
net_in(struct spool *sp, struct imsg *imsg, uint64_t now)
{
	struct sp_in		 in;
	const unsigned char	*tail;
	size_t			 taillen;
	struct sps_msg		 m;

	if (imsg_get_head_tail(imsg, &in, sizeof(in), &tail, &taillen,
	    IMSG_MAX_PAYLOAD) == -1 || in.seq == 0 ||
	    (in.status != ST_OK && in.status != ST_REJECTED &&
	    in.status != ST_NO_SUCH_SESSION))
		bad_imsg(__func__, imsg);
	check_ttl(sp, imsg, in.ttl);
	msg_parts(imsg, tail, taillen, in.fromlen, in.tolen, 1, &m);
	if (!entry_fits(&m))
		bad_imsg(__func__, imsg);
	sps_in(sp->store, &in, &m, now);
}

static void
read_add(struct spool *sp, const struct spool_read *r)
{
	sp->reads = reallocarray(sp->reads, sp->nreads + 1, sizeof(*r));
	if (sp->reads == NULL)
		fatal("%s", __func__);
	sp->reads[sp->nreads++] = *r;
}

/* Names of peers for the next SP_CTL: an array of sp_ctl_peer. */
static void
net_ctl_peers(struct spool *sp, struct imsg *imsg)
{
	struct sp_ctl_peer	 cp;
	const unsigned char	*tail;
	size_t			 taillen, i;

	if (imsg_get_blob(imsg, &tail, &taillen, IMSG_MAX_PAYLOAD) == -1 ||
	    taillen % sizeof(cp) != 0)
		bad_imsg(__func__, imsg);
	for (i = 0; i < taillen && sp->nnames < SPOOL_CTL_NAMES_MAX;
	    i += sizeof(cp)) {
		memcpy(&cp, tail + i, sizeof(cp));
		sp->names = reallocarray(sp->names, sp->nnames + 1,
		    sizeof(*sp->names));
		if (sp->names == NULL)
			fatal("%s", __func__);
		memcpy(sp->names[sp->nnames].fp, cp.fp, sizeof(cp.fp));
		cp.name[sizeof(cp.name) - 1] = '\0';
		memcpy(sp->names[sp->nnames].name, cp.name, sizeof(cp.name));
		sp->nnames++;
	}
}

/* A drop is staged now and answered once durable; the rest is a read. */
static void
net_ctl(struct spool *sp, struct imsg *imsg)
{
	struct spool_read	r;

	memset(&r, 0, sizeof(r));
	r.type = IMSG_SP_CTL;
	if (imsg_get_data(imsg, &r.ctl, sizeof(r.ctl)) == -1 ||
	    r.ctl.op < SP_CTL_LIST || r.ctl.op > SP_CTL_DROP ||
	    (r.ctl.flags & ~SP_CTL_JSON) != 0 ||
	    (r.ctl.op != SP_CTL_LIST && r.ctl.id == 0))
		bad_imsg(__func__, imsg);
	if (r.ctl.op == SP_CTL_DROP)
		r.dropped = sps_drop(sp->store, r.ctl.id, &r.ended);
	r.names = sp->names;
	r.nnames = sp->nnames;
	sp->names = NULL;
	sp->nnames = 0;
	read_add(sp, &r);
}

static void
net_read(struct spool *sp, struct imsg *imsg)
{
	struct spool_read	r;
	size_t			len;

	memset(&r, 0, sizeof(r));
	r.type = imsg->hdr.type;
	if (r.type == IMSG_SP_QUERY) {
		if (imsg_get_data(imsg, &r.query, sizeof(r.query)) == -1)
			bad_imsg(__func__, imsg);
	} else {
		if (imsg_get_data(imsg, &r.fetch, sizeof(r.fetch)) == -1)
			bad_imsg(__func__, imsg);
		len = name_len(r.fetch.name, sizeof(r.fetch.name));
		if (r.type != IMSG_SP_REPORT_FETCH && r.fetch.max_count == 0)
			bad_imsg(__func__, imsg);
		if (r.type == IMSG_SP_BOX_FETCH &&
		    !sps_names_valid(r.fetch.name, len, 0, r.fetch.name, len))
			bad_imsg(__func__, imsg);
	}
	read_add(sp, &r);
}

static void
net_dispatch(void *arg, struct imsg *imsg)
{
	struct spool		*sp = arg;
	struct sp_result	 res;
	struct sp_report	 rep;
	struct sp_id		 id;
	uint64_t		 now = wall_now();

	switch (imsg->hdr.type) {
	case IMSG_SP_PUT:
		net_put(sp, imsg, now);
		break;
	case IMSG_SP_IN:
		net_in(sp, imsg, now);
		break;
	case IMSG_SP_OUT_RESULT:
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1 ||
		    res.final > 1 || res.seq == 0)
			bad_imsg(__func__, imsg);
		sps_out_result(sp->store, &res, now);
		break;
	case IMSG_SP_TAKEN:
		if (imsg_get_data(imsg, &id, sizeof(id)) == -1 || id.id == 0)
			bad_imsg(__func__, imsg);
		sps_taken(sp->store, id.id, now);
		break;
	case IMSG_SP_REPORTED:
		if (imsg_get_data(imsg, &rep, sizeof(rep)) == -1)
			bad_imsg(__func__, imsg);
		sps_reported(sp->store, &rep);
		break;
	case IMSG_SP_OUT_FETCH:
	case IMSG_SP_BOX_FETCH:
	case IMSG_SP_REPORT_FETCH:
	case IMSG_SP_QUERY:
		net_read(sp, imsg);
		break;
	case IMSG_SP_CTL_PEERS:
		net_ctl_peers(sp, imsg);
		break;
	case IMSG_SP_CTL:
		net_ctl(sp, imsg);
		break;
	default:
		fatalx("%s: unexpected %s from the network child", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
	batch_touch(sp);
}

/* ---- the master -------------------------------------------------------- */

static void
master_dispatch(void *arg, struct imsg *imsg)
{
	struct spool	*sp = arg;

	switch (imsg->hdr.type) {
	case IMSG_CONF_SPOOL:
	case IMSG_CONF_MAILBOX:
	case IMSG_CONF_END:
		/* A reload: CONF_SPOOL, CONF_MAILBOX..., CONF_END. */
		if (imsg->hdr.type == IMSG_CONF_SPOOL)
			sp->next.in_reload = 1;
		else if (!sp->next.in_reload)
			fatalx("%s: %s outside a reload", __func__,
			    imsg_type_name(imsg->hdr.type));
		if (conf_message(&sp->next, imsg) == 0)
			break;
		free(sp->conf.rules);
		sp->conf.set = sp->next.set;
		sp->conf.rules = sp->next.rules;
		sp->conf.nrules = sp->next.nrules;
		memset(&sp->next, 0, sizeof(sp->next));
		sps_settings(sp->store, &sp->conf.set, sp->conf.rules,
		    sp->conf.nrules);
		log_info("spool: settings reloaded (%zu mailbox rules)",
		    sp->conf.nrules);
		break;
#ifdef NC_SANDBOX_TESTS
	case IMSG_TEST_FORBIDDEN:
		log_warnx("test: attempting a forbidden system call");
		/* A socket: what the spool, of all processes, never needs. */
		(void)socket(AF_INET, SOCK_STREAM, 0);
		fatalx("test: the forbidden call was allowed");
#endif
	default:
		fatalx("%s: unexpected %s from the master", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
channel_eof(void *arg)
{
	struct spool	*sp = arg;

	(void)event_base_loopbreak(sp->base);
}

static void
tick(int fd, short ev, void *arg)
{
	struct spool	*sp = arg;

	(void)fd;
	(void)ev;
	sps_expire(sp->store, wall_now());
	if (sps_pending(sp->store))
		batch_touch(sp);
}

/* ---- the process ------------------------------------------------------- */

/* The lock that keeps two daemons out of one spool directory. */
static int
take_lock(int dirfd, const char *dirname)
{
	int	fd;

	fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		fatal("spool: open %s/lock", dirname);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx("spool directory %s in use by another "
			    "netcryptd", dirname);
		fatal("spool: lock %s/lock", dirname);
	}
	return fd;
}

static void
spool_config(struct spool *sp, int master_fd)
{
	memset(sp, 0, sizeof(*sp));
	sp->lockfd = -1;
	sp->conf.set.lifetime_max = WIRE_TTL_MAX;
	imsgbuf_init(&sp->boot, master_fd);
	/* Used only when not logging to stderr (see log_init()). */
	proc_forward_logs(&sp->boot);
	if (proc_read_until(&sp->boot, conf_dispatch, &sp->conf) == -1)
		fatalx("configuration failed");
}

static int
spool_serve(struct spool *sp, int master_fd, int net_fd, int dirfd,
    int sandboxed)
{
	struct sp_hello		hello;
	struct sps_stats	st;
	struct timeval		one = { 1, 0 };
	const char		*dirname = sp->conf.have_privsep ?
				    sp->conf.privsep.chroot : ".";

	sp->lockfd = take_lock(dirfd, dirname);
	if ((sp->store = sps_open(dirfd, wall_now(), emit_event, sp)) == NULL)
		fatalx("spool: cannot use the spool directory %s", dirname);
	sps_settings(sp->store, &sp->conf.set, sp->conf.rules,
	    sp->conf.nrules);
	if ((sp->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	imsgev_init(&sp->master, sp->base, master_fd, "master",
	    master_dispatch, channel_eof, sp);
	proc_forward_logs(&sp->master.ibuf);
	imsgev_init(&sp->net, sp->base, net_fd, "network child", net_dispatch,
	    channel_eof, sp);
	sp->commit_ev = event_new(sp->base, -1, 0, commit_batch, sp);
	sp->defer_ev = event_new(sp->base, -1, 0, commit_deferred, sp);
	sp->tick_ev = event_new(sp->base, -1, EV_PERSIST, tick, sp);
	if (sp->commit_ev == NULL || sp->defer_ev == NULL ||
	    sp->tick_ev == NULL || event_add(sp->tick_ev, &one) == -1)
		fatalx("spool: cannot set up events");
	if (sandboxed)
		sandbox_lock(PROC_SPOOL);
	imsgev_compose(&sp->master, IMSG_READY, 0, -1, NULL, 0);
	sps_get_stats(sp->store, &st);
	memset(&hello, 0, sizeof(hello));
	hello.inc = sps_incarnation(sp->store);
	hello.entries = st.live;
	imsgev_compose(&sp->net, IMSG_SP_HELLO, 0, -1, &hello, sizeof(hello));

	if (event_base_dispatch(sp->base) == -1)
		fatalx("spool: event loop");
	log_debug("spool: exiting");
	if (sps_pending(sp->store))
		(void)sps_commit(sp->store, wall_now());
	proc_forward_logs(&sp->boot);
	event_free(sp->commit_ev);
	event_free(sp->defer_ev);
	event_free(sp->tick_ev);
	imsgev_clear(&sp->master);
	imsgev_clear(&sp->net);
	event_base_free(sp->base);
	sps_close(sp->store);
	free(sp->conf.rules);
	free(sp->next.rules);
	free(sp->reads);
	free(sp->names);
	close(sp->lockfd);
	imsgbuf_clear(&sp->boot);
	return 0;
}

int
spool_run(int master_fd, int net_fd, int dirfd)
{
	struct spool	sp;

	spool_config(&sp, master_fd);
	return spool_serve(&sp, master_fd, net_fd, dirfd, 0);
}

void
spool_main(void)
{
	struct spool	sp;
	int		keep[2] = { PROC_MASTER_FD, PROC_PEER_FD }, dirfd;

	spool_config(&sp, PROC_MASTER_FD);
	if (!sp.conf.have_privsep)
		fatalx("spool: configuration incomplete");
	/* Chrooted into the spool directory: "/" is the spool. */
	sandbox_enter(PROC_SPOOL, &sp.conf.privsep, keep, 2);
	if ((dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("spool: open the spool directory");
	exit(spool_serve(&sp, PROC_MASTER_FD, PROC_PEER_FD, dirfd, 1));
}
