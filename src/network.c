/*
 * The network child: owns every untrusted byte (peer links, sessions,
 * the control socket) inside its sandbox.  It holds link keys, never the
 * RSA private key: private-key work is asked of the key-holder.
 *
 * This file is the process: its configuration phase, its channels to the
 * master and the key-holder, and its event loop.  The protocols live in
 * their own files.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "crypto.h"
#include "imsg.h"
#include "log.h"
#include "netcryptd.h"
#include "proc.h"
#include "sandbox.h"

#define NET_MAX_LISTEN	16

struct network {
	struct event_base	*base;
	struct imsgev		 master;
	struct imsgev		 kh;
	int			 listen_fds[NET_MAX_LISTEN];
	size_t			 nlisten;
	int			 have_privsep;
	struct privsep_conf	 privsep;
	uint8_t			*spki;		/* our public key, DER */
	size_t			 spkilen;
	char			 fp[NC_FP_STRLEN];
};

static struct network	net;

static int
net_dispatch_master_conf(void *arg, struct imsg *imsg)
{
	struct network	*n = arg;
	int		 fd;

	switch (imsg->hdr.type) {
	case IMSG_CONF_PRIVSEP:
		if (imsg_get_data(imsg, &n->privsep, sizeof(n->privsep)) == -1)
			fatalx("%s: bad %s", __func__,
			    imsg_type_name(imsg->hdr.type));
		n->privsep.user[sizeof(n->privsep.user) - 1] = '\0';
		n->privsep.chroot[sizeof(n->privsep.chroot) - 1] = '\0';
		n->have_privsep = 1;
		return 0;
	case IMSG_NET_LISTEN_FD:
		if (imsg->datalen != 0 || n->nlisten >= NET_MAX_LISTEN ||
		    (fd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad %s", __func__,
			    imsg_type_name(imsg->hdr.type));
		n->listen_fds[n->nlisten++] = fd;
		return 0;
	case IMSG_CONF_END:
		if (imsg->datalen != 0)
			fatalx("%s: bad CONF_END", __func__);
		return 1;
	default:
		fatalx("%s: unexpected %s from the master during configuration",
		    __func__, imsg_type_name(imsg->hdr.type));
	}
}

/* The key-holder's first message is our public key. */
static int
net_dispatch_kh_conf(void *arg, struct imsg *imsg)
{
	struct network	*n = arg;
	EVP_PKEY	*pkey;

	if (imsg->hdr.type != IMSG_KH_PUBKEY)
		fatalx("%s: unexpected %s from the key-holder", __func__,
		    imsg_type_name(imsg->hdr.type));
	if ((pkey = nc_pkey_from_spki(imsg->data, imsg->datalen)) == NULL)
		fatalx("%s: the key-holder sent a bad public key", __func__);
	EVP_PKEY_free(pkey);
	if ((n->spki = malloc(imsg->datalen)) == NULL)
		fatal("%s", __func__);
	memcpy(n->spki, imsg->data, imsg->datalen);
	n->spkilen = imsg->datalen;
	if (nc_fingerprint(n->spki, n->spkilen, n->fp, sizeof(n->fp)) == -1)
		fatalx("%s: fingerprint", __func__);
	return 1;
}

static void
net_dispatch_master(void *arg, struct imsg *imsg)
{
	(void)arg;
	switch (imsg->hdr.type) {
#ifdef NC_SANDBOX_TESTS
	case IMSG_TEST_FORBIDDEN:
		log_warnx("test: attempting a forbidden system call");
		(void)execl("/bin/true", "true", (char *)NULL);
		fatalx("test: the forbidden call was allowed");
#endif
	default:
		fatalx("%s: unexpected %s from the master", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
net_dispatch_kh(void *arg, struct imsg *imsg)
{
	(void)arg;
	/* No handshake is pending yet, so no reply can be expected. */
	fatalx("%s: unexpected %s from the key-holder", __func__,
	    imsg_type_name(imsg->hdr.type));
}

static void
net_master_eof(void *arg)
{
	struct network	*n = arg;

	/* The master closed our channel: the daemon is stopping. */
	log_debug("master went away, exiting");
	event_base_loopbreak(n->base);
}

static void
net_kh_eof(void *arg)
{
	(void)arg;
	fatalx("the key-holder went away");
}

void
network_main(void)
{
	struct imsgbuf	 boot;
	int		 keep[2 + NET_MAX_LISTEN];
	size_t		 i;

	memset(&net, 0, sizeof(net));
	/* Configuration phase: blocking reads, still root, no network. */
	imsgbuf_init(&boot, PROC_MASTER_FD);
	proc_forward_logs(&boot);
	if (proc_read_until(&boot, net_dispatch_master_conf, &net) == -1)
		fatalx("configuration failed");
	if (!net.have_privsep)
		fatalx("configuration incomplete");
	{
		struct imsgbuf khboot;

		imsgbuf_init(&khboot, PROC_PEER_FD);
		if (proc_read_until(&khboot, net_dispatch_kh_conf, &net) == -1)
			fatalx("no public key from the key-holder");
		if (khboot.rlen != 0)
			fatalx("unexpected data from the key-holder");
		imsgbuf_clear(&khboot);
	}
	if (boot.rlen != 0)
		fatalx("unexpected data from the master");

	keep[0] = PROC_MASTER_FD;
	keep[1] = PROC_PEER_FD;
	for (i = 0; i < net.nlisten; i++)
		keep[2 + i] = net.listen_fds[i];
	sandbox_enter(PROC_NETWORK, &net.privsep, keep, 2 + net.nlisten);

	/* The event base comes after the descriptor cleanup. */
	if ((net.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	imsgev_init(&net.master, net.base, PROC_MASTER_FD, "master",
	    net_dispatch_master, net_master_eof, &net);
	proc_forward_logs(&net.master.ibuf);
	imsgbuf_clear(&boot);
	imsgev_init(&net.kh, net.base, PROC_PEER_FD, "key-holder",
	    net_dispatch_kh, net_kh_eof, &net);
	sandbox_lock(PROC_NETWORK);
	log_info("listening on %zu sockets as %s", net.nlisten, net.fp);
	imsgev_compose(&net.master, IMSG_READY, 0, -1, NULL, 0);

	if (event_base_dispatch(net.base) == -1)
		fatalx("event loop failed");

	imsgev_clear(&net.kh);
	imsgev_clear(&net.master);
	for (i = 0; i < net.nlisten; i++)
		(void)close(net.listen_fds[i]);
	event_base_free(net.base);
	free(net.spki);
	exit(0);
}
