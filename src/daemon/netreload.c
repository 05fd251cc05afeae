/*
 * Reload, in the network process: the master sends the difference
 * between the old configuration and the new one (DESIGN.md 4) between
 * RECONF_START and RECONF_END.  New and changed peers, their addresses,
 * the settings, listeners and the session policy are taken in as they
 * come; what they mean for peers and their links (added peers dialled,
 * links of a changed key closed, removed peers closed and their queues
 * answered) is applied at RECONF_END, all together.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "netpriv.h"
#include "network.h"
#include "policy.h"
#include "relay.h"
#include "resume.h"
#include "session.h"
#include "util.h"
#include "wire.h"

/* ---- reload: the difference the master sends --------------------- */

/*
 * CONF_PEER in a reload: a new peer, or one whose key, addresses or
 * proxy changed.  What that means for its links is decided at
 * RECONF_END, once the whole block is in.
 */
static void
reconf_peer_apply(const struct peer_msg *pm)
{
	struct peer	*p;

	if ((p = peer_by_id(pm->id)) == NULL) {
		add_peer(pm);
		p = peer_by_id(pm->id);
		p->reconf = PEER_RECONF_NEW;
		/*
		 * It can be accepted before RECONF_END, and a link of it that
		 * fails would then schedule a redial: the timer must exist.
		 */
		peer_new_timer(p);
		return;
	}
	if (strcmp(p->name, pm->name) != 0)
		fatalx("%s: peer %u is %s, not %s", __func__, pm->id, p->name,
		    pm->name);
	p->reconf |= PEER_RECONF_CHANGED;
	/* A changed proxy applies from the next connection on. */
	OPENSSL_cleanse(&p->proxy, sizeof(p->proxy));
	set_peer_proxy(p, &pm->proxy);
	if (memcmp(p->fp, pm->fp, sizeof(p->fp)) != 0) {
		memcpy(p->fp, pm->fp, sizeof(p->fp));
		(void)nc_fingerprint_from_digest(p->fp, p->fpstr,
		    sizeof(p->fpstr));
		p->reconf |= PEER_RECONF_KEY;
		/* Secrets of links with the old key prove nothing now. */
		resume_clear(&p->resume);
	}
	/* The CONF_CONNECTs that follow replace the list. */
	p->nconnects = 0;
	p->next_connect = 0;
}

static void
reconf_peer(struct imsg *imsg)
{
	struct peer_msg	 pm;

	take_peer_msg(imsg, &pm);
	reconf_peer_apply(&pm);
	OPENSSL_cleanse(&pm, sizeof(pm));
}

/*
 * RECONF_PEER_DEL: close its links with CLOSE(normal), and complete
 * every message still queued for it as "peer unreachable".
 */
static void
reconf_peer_del(struct imsg *imsg)
{
	uint32_t	 id;
	struct peer	*p;
	struct link	*l;

	if (imsg_get_data(imsg, &id, sizeof(id)) == -1 ||
	    (p = peer_by_id(id)) == NULL)
		fatalx("%s: bad RECONF_PEER_DEL", __func__);
	TAILQ_FOREACH(l, &netctx->links, entry) {
		if (l->peer != p)
			continue;
		link_close(l, CLOSE_NORMAL, "peer removed from the "
		    "configuration");
		/* Freed later, by the event loop: it must not find p then. */
		l->peer = NULL;
	}
	p->link = p->dialing = NULL;
	if (p->ev_retry != NULL)
		event_free(p->ev_retry);
	spoollink_peer_free(p);
	relay_out_clear(&p->out, 1);
	session_peer_writable(p);	/* nobody may wait for it */
	TAILQ_REMOVE(&netctx->peers, p, entry);
	net.npeers--;
	log_info("peer %s: removed", p->name);
	OPENSSL_cleanse(&p->proxy, sizeof(p->proxy));	/* a password */
	resume_clear(&p->resume);
	free(p);
}

/* RECONF_END: the new settings and peers take effect together. */
static void
reconf_end(void)
{
	struct peer	*p;
	struct link	*l;

	TAILQ_FOREACH(p, &netctx->peers, entry) {
		p->out.limit = netctx->ns.queue_size;
		if (p->reconf & PEER_RECONF_NEW) {
			log_info("peer %s: added", p->name);
			peer_start(p);
			p->reconf = 0;
			continue;
		}
		if (p->reconf & PEER_RECONF_KEY) {
			/* The old key was verified: nothing of it may stay. */
			log_info("peer %s: pinned key changed to %s", p->name,
			    p->fpstr);
			TAILQ_FOREACH(l, &netctx->links, entry)
				if (l->peer == p)
					link_close(l, CLOSE_NORMAL,
					    "pinned key changed");
		}
		if (p->reconf & PEER_RECONF_CHANGED) {
			/* New addresses are for the next attempt. */
			if (p->nconnects == 0 && p->in_backoff &&
			    evtimer_pending(p->ev_retry, NULL)) {
				evtimer_del(p->ev_retry);
				p->in_backoff = 0;
			}
			/* Idle: a peer that only waited may dial now. */
			if (!p->in_backoff)
				peer_dial(p);
		}
		p->reconf = 0;
	}
}

void
net_dispatch_reconf(struct imsg *imsg)
{
	struct connect_msg	cm;

	switch (imsg->hdr.type) {
	case IMSG_CONF_NET:
		take_settings(imsg);
		break;
	case IMSG_CONF_PEER:
		reconf_peer(imsg);
		break;
	case IMSG_CONF_CONNECT:
		if (imsg_get_data(imsg, &cm, sizeof(cm)) == -1)
			fatalx("%s: bad CONF_CONNECT", __func__);
		add_connect(&cm);
		break;
	case IMSG_RECONF_PEER_DEL:
		reconf_peer_del(imsg);
		break;
	case IMSG_NET_LISTEN_FD:
		listener_add(imsg);
		break;
	case IMSG_RECONF_LISTEN_CLOSE:
		listener_close(imsg);
		break;
	case IMSG_CONF_POLICY:
		policy_take(imsg->data, imsg->datalen);
		break;
	case IMSG_RECONF_END:
		if (imsg_get_empty(imsg) == -1)
			fatalx("%s: bad RECONF_END", __func__);
		policy_commit();
		session_policy_changed();
		reconf_end();
		net.reconf = 0;
		log_info("configuration reloaded: %u peers, %zu listening "
		    "sockets", net.npeers, net.nlisten);
		imsgev_compose(&net.master, IMSG_RECONF_DONE, 0, -1, NULL, 0);
		break;
	default:
		fatalx("%s: unexpected %s from the master during a reload",
		    __func__, imsg_type_name(imsg->hdr.type));
	}
}
