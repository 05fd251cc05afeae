/*
 * PLACEHOLDER, for testing the master's side of the spool (issue 18)
 * until the real spool process (spool.c) is merged; drop this file then.
 *
 * It does what the master expects of any child: read its configuration
 * (CONF_PRIVSEP, CONF_SPOOL, CONF_MAILBOX..., CONF_END), enter the
 * spool's sandbox, report READY, and exit 0 when the master closes its
 * channel.  It keeps nothing and answers nothing on the network child's
 * channel.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

struct ph_conf {
	struct privsep_conf	privsep;
	struct sp_settings	settings;
	size_t			nrules;
	int			have_privsep, have_settings;
};

static int
ph_dispatch_conf(void *arg, struct imsg *imsg)
{
	struct ph_conf		*c = arg;
	struct sp_mailbox_rule	 mr;

	switch (imsg->hdr.type) {
	case IMSG_CONF_PRIVSEP:
		if (imsg_get_data(imsg, &c->privsep, sizeof(c->privsep)) == -1)
			return -1;
		c->privsep.user[sizeof(c->privsep.user) - 1] = '\0';
		c->privsep.chroot[sizeof(c->privsep.chroot) - 1] = '\0';
		c->have_privsep = 1;
		return 0;
	case IMSG_CONF_SPOOL:
		if (imsg_get_data(imsg, &c->settings, sizeof(c->settings)) == -1)
			return -1;
		c->have_settings = 1;
		return 0;
	case IMSG_CONF_MAILBOX:
		if (imsg_get_data(imsg, &mr, sizeof(mr)) == -1)
			return -1;
		c->nrules++;
		return 0;
	case IMSG_CONF_END:
		if (imsg_get_empty(imsg) == -1 || !c->have_privsep ||
		    !c->have_settings)
			return -1;
		return 1;
	default:
		log_warnx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg->hdr.type));
		return -1;
	}
}

static void
ph_dispatch_master(struct imsg *imsg)
{
	switch (imsg->hdr.type) {
#ifdef NC_SANDBOX_TESTS
	case IMSG_TEST_FORBIDDEN:
		log_warnx("test: attempting a forbidden system call");
		(void)socket(AF_INET, SOCK_STREAM, 0);
		fatalx("test: the forbidden call was allowed");
#endif
	default:
		fatalx("%s: unexpected %s from the master", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

/* Read what the master sent; 0 once it has closed the channel. */
static int
ph_service_master(struct imsgbuf *ibuf)
{
	struct imsg	imsg;
	ssize_t		n;
	int		rv;

	n = imsgbuf_read(ibuf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n == -1)
		fatal("%s: read", __func__);
	if (n == 0)
		return 0;
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		ph_dispatch_master(&imsg);
		imsg_free(&imsg);
	}
	if (rv == -1)
		fatalx("%s: malformed message", __func__);
	return 1;
}

void
spool_main(void)
{
	struct ph_conf	c;
	struct imsgbuf	master;
	struct pollfd	pfd[2];
	const int	keep[2] = { PROC_MASTER_FD, PROC_PEER_FD };
	char		buf[256];

	memset(&c, 0, sizeof(c));
	imsgbuf_init(&master, PROC_MASTER_FD);
	proc_forward_logs(&master);
	if (proc_read_until(&master, ph_dispatch_conf, &c) == -1)
		fatalx("configuration failed");
	sandbox_enter(PROC_SPOOL, &c.privsep, keep, 2);
	sandbox_lock(PROC_SPOOL);
	log_info("placeholder spool: %zu mailbox rules, nothing kept",
	    c.nrules);
	if (imsg_compose(&master, IMSG_READY, 0, 0, -1, NULL, 0) == -1 ||
	    imsgbuf_flush(&master) == -1)
		fatal("send READY");

	pfd[0].fd = PROC_MASTER_FD;
	pfd[1].fd = PROC_PEER_FD;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP)) &&
		    ph_service_master(&master) == 0)
			break;
		/* The network child says nothing to us yet; it may go first. */
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(PROC_PEER_FD, buf, sizeof(buf));

			if (n > 0)
				fatalx("unexpected data from the network child");
			if (n == 0 || errno != EINTR)
				pfd[1].fd = -1;
		}
	}
	exit(0);
}

int
spool_run(int master_fd, int net_fd, int dirfd)
{
	(void)master_fd;
	(void)net_fd;
	(void)dirfd;
	return -1;
}
