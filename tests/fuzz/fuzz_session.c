/*
 * Fuzz target: the session protocol as the daemon reads it from a local
 * program (src/daemon/session.c).
 *
 * Sessions are made by session_new(), as the accept callback makes
 * them, and read by session_read(), as the read callback reads them
 * (src/daemon/session_priv.h): the input is what a program writes on the
 * session socket, put into a session's input buffer and read from there
 * (framing, ATTACH, SEND, PEERS, and the records of messages with a
 * lifetime: SEND with one, TAKEN, QUERY, the mailbox's SDELIVERs, with
 * the spool played by spoolfake.c).  Another session,
 * "bob", is attached, so SENDs can be delivered locally, and one peer,
 * "hosta", is configured but down, so SENDs to "name@hosta" are queued
 * for it (and complete as unreachable at the end).  A session policy is
 * in force (default own; bob takes messages from alice and from hosta
 * only; "x*" belongs to root), and the fuzzed session is root for an
 * input of even length, uid 1000 otherwise.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf.h"
#include "fuzz.h"
#include "network.h"
#include "policy.h"
#include "relay.h"
#include "session.h"
#include "session_priv.h"
#include "session_proto.h"
#include "spoolfake.h"

static struct peer	fpeer;
static int		ready;

/* The policy, through the same encoding the master sends. */
static void
install_policy(void)
{
	struct nc_conf	*c;
	struct policy	*pol;
	uint8_t		*blob;
	size_t		 len;
	char		 path[4200], err[512];
	FILE		*fp;

	(void)snprintf(path, sizeof(path), "%s/policy.conf", fuzz_tmpdir());
	if ((fp = fopen(path, "w")) == NULL)
		fuzz_fail("%s", path);
	fprintf(fp, "session \"bob\" accept from \"alice\", \"*@hosta\"\n"
	    "session \"x*\" user \"root\"\n");
	fclose(fp);
	if ((c = config_parse(path, CONF_F_NOKEYS)) == NULL ||
	    (pol = policy_resolve(c, err, sizeof(err))) == NULL ||
	    (blob = policy_encode(pol, &len)) == NULL)
		fuzz_fail("policy");
	policy_take(blob, len);
	policy_commit();
	free(blob);
	policy_free(pol);
	config_free(c);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	spoolfake_reserve();	/* before anything else opens a descriptor */
	if ((netctx->base = event_base_new()) == NULL)
		fuzz_fail("event_base_new");
	spoolfake_init(netctx->base);
	TAILQ_INIT(&netctx->peers);
	TAILQ_INIT(&netctx->links);
	(void)snprintf(netctx->ns.name, sizeof(netctx->ns.name), "hostb");
	netctx->ns.queue_size = 256 * 1024;
	netctx->ns.max_sessions = 100;
	netctx->ns.session_queue = 256 * 1024;
	netctx->ns.session_timeout = 60;
	(void)snprintf(fpeer.name, sizeof(fpeer.name), "hosta");
	TAILQ_INSERT_TAIL(&netctx->peers, &fpeer, entry);
	session_setup(netctx->base);
	install_policy();
	ready = 1;
	return 0;
}

/* Bytes into a bufferevent's input, as it does itself when it reads. */
static void
feed(struct bufferevent *bev, const uint8_t *p, size_t len)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	(void)evbuffer_unfreeze(in, 0);
	if (len > 0 && evbuffer_add(in, p, len) == -1)
		fuzz_fail("evbuffer_add");
	(void)evbuffer_freeze(in, 0);
}

/* A connected session as accept_cb() makes it; *other is the program. */
static struct session *
new_session(int *other)
{
	struct session	*s;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1 ||
	    (s = session_new(sv[0])) == NULL)
		fuzz_fail("session");
	*other = sv[1];
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 attach_bob[] = { 0, 0, 0, 5, SP_ATTACH, 3,
				    'b', 'o', 'b' };
	struct session		*bob, *s;
	struct evbuffer		*in;
	uint64_t		 id, bob_id;
	size_t			 before;
	int			 fd_bob, fd_s, turns;

	if (!ready)
		(void)LLVMFuzzerInitialize(NULL, NULL);
	relay_out_init(&fpeer.out, netctx->ns.queue_size, session_completed,
	    &fpeer);
	relay_in_init(&fpeer.in);

	bob = new_session(&fd_bob);
	bob_id = bob->id;
	feed(bob->bev, attach_bob, sizeof(attach_bob));
	(void)session_read(bob);
	if (session_by_name("bob", 3) == NULL)
		fuzz_fail("bob did not attach");

	s = new_session(&fd_s);
	s->uid = size % 2 == 0 ? 0 : 1000;
	id = s->id;
	in = bufferevent_get_input(s->bev);
	feed(s->bev, data, size);
	/*
	 * As the event loop would: again while records are taken.  The
	 * session may be freed by any call: looked up again each time.
	 */
	for (turns = 0; turns < 1000 && (s = session_by_id(id)) != NULL;
	    turns++) {
		before = evbuffer_get_length(in);
		if (s->waiting != NULL)
			session_peer_writable(s->waiting);
		spoolfake_run();	/* answers may let it be read again */
		if ((s = session_by_id(id)) == NULL)
			break;
		(void)session_read(s);
		if (session_by_id(id) == NULL ||
		    evbuffer_get_length(in) == before)
			break;
	}

	/* Queued messages complete (unreachable): receipts, frees. */
	relay_out_clear(&fpeer.out, 1);
	spoolfake_run();
	if ((s = session_by_id(id)) != NULL)
		session_free(s, "end of input");
	if ((s = session_by_id(bob_id)) != NULL)
		session_free(s, "end of input");
	if (session_count() != 0)
		fuzz_fail("a session the target did not make");
	(void)close(fd_bob);
	(void)close(fd_s);
	(void)event_base_loop(netctx->base, EVLOOP_NONBLOCK);
	spoolfake_run();	/* answers to sessions gone go nowhere */
	return 0;
}
