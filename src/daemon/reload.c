/*
 * The master's side of a reload (SIGHUP, netcryptctl reload and check):
 * parse the file again, refuse it whole or work out the difference, bind
 * what it adds, and send the network child the difference between
 * RECONF_START and RECONF_END (doc/DESIGN.md section 4).  The answer for
 * netcryptctl is a report of lines: the errors, or what changed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "confdiff.h"
#include "fdlimit.h"
#include "log.h"
#include "netcryptd.h"
#include "notify.h"
#include "policy.h"

static void
report_reset(struct report *r)
{
	r->len = 0;
	r->truncated = 0;
	r->text[0] = '\0';
}

/* One line; what does not fit is replaced by a final "...". */
static void
report_line(struct report *r, const char *line)
{
	size_t	len = strlen(line), room;

	if (r->truncated)
		return;
	room = sizeof(r->text) - r->len;
	if (len + 1 >= room || room < 5) {
		if (room >= 5) {
			memcpy(r->text + r->len, "...\n", 4);
			r->len += 4;
		}
		r->truncated = 1;
		return;
	}
	memcpy(r->text + r->len, line, len);
	r->text[r->len + len] = '\n';
	r->len += len + 1;
}

/* While a new file is parsed: its errors, as they are logged. */
static void
report_capture(int priority, const char *line)
{
	(void)priority;
	report_line(&master.report, line);
}

static void
report_change(void *arg, int restart, const char *text)
{
	int	checkonly = *(const int *)arg;

	if (!checkonly) {
		if (restart)
			log_warnx("reload: %s", text);
		else
			log_info("reload: %s", text);
	}
	report_line(&master.report, text);
}

static void
ctl_answer(uint32_t client, uint8_t status, const struct report *r)
{
	struct ctl_reload_rep	rep;
	struct iovec		iov[2];

	memset(&rep, 0, sizeof(rep));
	rep.client = client;
	rep.status = status;
	iov[0].iov_base = &rep;
	iov[0].iov_len = sizeof(rep);
	iov[1].iov_base = (void *)r->text;
	iov[1].iov_len = r->len;
	imsgev_composev(&master.net.iev, IMSG_CTL_RELOAD_DONE, 0, -1, iov, 2);
}

/* Refused at once: the report of a reload in progress stays intact. */
static void
ctl_refuse(uint32_t client, const char *why)
{
	struct report	r;

	report_reset(&r);
	report_line(&r, why);
	ctl_answer(client, 1, &r);
}

void
ctl_reload_request(struct imsg *imsg)
{
	struct ctl_reload_req	req;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 || req.check > 1)
		fatalx("%s: bad CTL_RELOAD", __func__);
	log_info("%s requested by netcryptctl", req.check ? "configuration "
	    "check" : "reload");
	reload(req.check, 1, req.client);
}

/*
 * The listening sockets a new configuration adds, bound now: a reload
 * whose addresses cannot all be bound is refused as a whole.  fds[i]
 * belongs to the i-th address of nc, -1 for those already open.
 */
static int
reload_bind(const struct nc_conf *nc, int fds[NET_MAX_LISTEN], char *err,
    size_t errsz)
{
	const struct listen_addr	*la;
	size_t				 i, j, n = 0;

	TAILQ_FOREACH(la, &nc->listens, entry)
		n++;
	if (n > NET_MAX_LISTEN) {
		(void)snprintf(err, errsz, "more than %d listening addresses",
		    NET_MAX_LISTEN);
		return -1;
	}
	i = 0;
	TAILQ_FOREACH(la, &nc->listens, entry) {
		fds[i] = -1;
		for (j = 0; j < master.nlisteners; j++)
			if (confdiff_find_listen(nc,
			    &master.listeners[j].addr) == la)
				break;
		if (j == master.nlisteners &&
		    (fds[i] = open_listener(la, err, errsz)) == -1) {
			while (i-- > 0)
				if (fds[i] != -1)
					(void)close(fds[i]);
			return -1;
		}
		i++;
	}
	return 0;
}

/* Listeners: the removed ones closed, the new ones handed over. */
static void
reload_listeners(const struct nc_conf *nc, const int fds[NET_MAX_LISTEN])
{
	const struct listen_addr	*la;
	size_t				 i;

	for (i = 0; i < master.nlisteners;) {
		if (confdiff_find_listen(nc, &master.listeners[i].addr) !=
		    NULL) {
			i++;
			continue;
		}
		imsgev_compose(&master.net.iev, IMSG_RECONF_LISTEN_CLOSE, 0,
		    -1, &master.listeners[i].id, sizeof(uint32_t));
		master.listeners[i] = master.listeners[--master.nlisteners];
	}
	i = 0;
	TAILQ_FOREACH(la, &nc->listens, entry) {
		if (i >= NET_MAX_LISTEN)
			break;		/* reload_bind() refused more */
		if (fds[i] != -1)
			send_listener(la, fds[i]);
		i++;
	}
}

/*
 * Peers: removed ones first (a peer renamed with the same key is then
 * never known twice), then the added and changed ones.  Unchanged peers
 * keep their id and are not mentioned, so their links are not touched.
 */
static void
reload_peers(struct nc_conf *nc)
{
	struct peer_conf	*op, *np;

	TAILQ_FOREACH(op, &master.conf->peers, entry)
		if (config_find_peer(nc, op->name) == NULL)
			imsgev_compose(&master.net.iev, IMSG_RECONF_PEER_DEL, 0,
			    -1, &op->id, sizeof(op->id));
	TAILQ_FOREACH(np, &nc->peers, entry) {
		if ((op = config_find_peer(master.conf, np->name)) == NULL) {
			np->id = master.next_peer_id++;
			send_peer(nc, np);
			continue;
		}
		np->id = op->id;
		if (confdiff_peer(master.conf, op, nc, np) != 0)
			send_peer(nc, np);
	}
}

/* What a reload's configuration lowers to fit the descriptor limit. */
static void
reload_lowered(const struct fd_budget *b, int checkonly)
{
	char	msg[512];

	fd_budget_lowered(b, msg, sizeof(msg));
	if (msg[0] == '\0')
		return;
	if (!checkonly)
		log_warnx("reload: %s", msg);
	report_line(&master.report, msg);
}

/* A reload (or check) refused: the running configuration stays. */
static void
reload_refuse(struct nc_conf *nc, int checkonly, int from_ctl,
    uint32_t client, const char *err)
{
	log_warnx("%s: %s; refused, the running configuration is kept",
	    checkonly ? "check" : "reload", err);
	report_reset(&master.report);
	report_line(&master.report, "refused, the running configuration is "
	    "kept:");
	report_line(&master.report, err);
	if (from_ctl)
		ctl_answer(client, 1, &master.report);
	config_free(nc);
	if (!checkonly)
		notify_ready();
}

/*
 * Re-read the configuration file into a fresh structure.  With errors
 * the running one stays in force; otherwise the difference goes to the
 * network child between RECONF_START and RECONF_END, and the reload is
 * over when it answers RECONF_DONE.  Until then another is refused.
 * checkonly parses and compares only (netcryptctl check).
 */
void
reload(int checkonly, int from_ctl, uint32_t client)
{
	struct nc_conf	*nc;
	struct fd_budget budget;
	struct policy	*pol;
	size_t		 nchanges, nrestart;
	int		 fds[NET_MAX_LISTEN];
	char		 line[PATH_MAX + 64], err[512];
	size_t		 i;

	for (i = 0; i < NET_MAX_LISTEN; i++)
		fds[i] = -1;
	if (master.stopping || !master.net.ready) {
		log_warnx("%s: the daemon is %s; request ignored",
		    checkonly ? "check" : "reload", master.stopping ?
		    "stopping" : "still starting");
		if (from_ctl)
			ctl_refuse(client, master.stopping ? "the daemon is "
			    "stopping" : "the daemon is still starting");
		return;
	}
	if (!checkonly && master.reloading) {
		log_warnx("reload: another reload is in progress; request "
		    "ignored");
		if (from_ctl)
			ctl_refuse(client, "another reload is in progress");
		return;
	}
	/* systemd: RELOADING=1 now, READY=1 once it ended either way. */
	if (!checkonly)
		notify_reloading();
	report_reset(&master.report);
	/* The heading of the answer if errors follow; else discarded. */
	(void)snprintf(line, sizeof(line), "%s has errors; the running "
	    "configuration is kept:", master.conffile);
	report_line(&master.report, line);
	log_set_capture(report_capture);
	nc = config_parse(master.conffile, 0);
	log_set_capture(NULL);
	/* Its users and groups must exist; users added since are known now. */
	pol = nc != NULL ? policy_resolve(nc, err, sizeof(err)) : NULL;
	if (nc != NULL && pol == NULL) {
		log_warnx("%s", err);
		report_line(&master.report, err);
		config_free(nc);
		nc = NULL;
	}
	if (nc == NULL) {
		log_warnx("%s: %s has errors; the running configuration is "
		    "kept", checkonly ? "check" : "reload", master.conffile);
		if (from_ctl)
			ctl_answer(client, 1, &master.report);
		if (!checkonly)
			notify_ready();
		return;
	}
	if (fd_budget_conf(nc, fdlimit_current(), &budget) == -1) {
		fd_budget_refused(&budget, err, sizeof(err));
		policy_free(pol);
		reload_refuse(nc, checkonly, from_ctl, client, err);
		return;
	}
	report_reset(&master.report);
	nchanges = confdiff(master.conf, nc, report_change, &checkonly,
	    &nrestart);
	reload_lowered(&budget, checkonly);
	if (checkonly) {
		(void)snprintf(line, sizeof(line), "configuration OK: a reload "
		    "would make %zu changes, %zu of them need a restart",
		    nchanges, nrestart);
		report_line(&master.report, line);
		if (from_ctl)
			ctl_answer(client, 0, &master.report);
		config_free(nc);
		policy_free(pol);
		return;
	}
	if (reload_bind(nc, fds, err, sizeof(err)) == -1) {
		policy_free(pol);
		reload_refuse(nc, 0, from_ctl, client, err);
		return;
	}
	imsgev_compose(&master.net.iev, IMSG_RECONF_START, 0, -1, NULL, 0);
	confdiff_keep_running(master.conf, nc);
	send_net_settings(nc, &budget);
	reload_peers(nc);
	reload_listeners(nc, fds);
	/* Always: the user database may have changed, if nothing else. */
	policy_send(&master.net.iev, pol);
	imsgev_compose(&master.net.iev, IMSG_RECONF_END, 0, -1, NULL, 0);
	config_free(master.conf);
	master.conf = nc;
	master.budget = budget;
	log_policy("reload: ", pol);
	policy_free(pol);
	master.reloading = 1;
	master.pending = master.report;
	master.reload_ctl = from_ctl;
	master.reload_client = client;
	master.reload_changes = nchanges;
	if (nrestart > 0)
		log_warnx("reload: %zu changed settings need a restart of "
		    "netcryptd", nrestart);
}

/* The network child applied the new configuration. */
void
reload_done(void)
{
	char	line[128];

	master.reloading = 0;
	log_info("reload: done, %zu changes", master.reload_changes);
	if (master.reload_ctl) {
		(void)snprintf(line, sizeof(line), "configuration reloaded: "
		    "%zu changes", master.reload_changes);
		report_line(&master.pending, line);
		ctl_answer(master.reload_client, 0, &master.pending);
	}
	notify_ready();
}
