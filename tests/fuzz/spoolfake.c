/*
 * The spool process, played for fuzz_record: the other end of the
 * network child's spool channel (src/daemon/netspool.c), so that the
 * link records of messages with a lifetime (doc/PROTOCOL.md 7.10) run
 * through spoollink.c as in the daemon, answers included.
 *
 * It keeps nothing.  It says hello with a fixed incarnation, answers an
 * SMSG taken (SP_IN) with SP_DONE (full, or a duplicate, for some seqs,
 * so that both paths are reached), a fetch of the entries for the peer
 * with up to SPOOLFAKE_ENTRIES entries of its incarnation (seq 1 on),
 * the fetch of what is owed to the peer with one report (so that one
 * SFINAL goes out and an SFINAL_ACK has something to answer), and every
 * result with its "durable".  Every ask is answered, so the network
 * child's tables are empty again after each input.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fuzz.h"
#include "imsg.h"
#include "ipc.h"
#include "netspool.h"
#include "spoolfake.h"
#include "spoolipc.h"

#define ROUNDS	8	/* ask-answer rounds per call: each asks less */

static struct imsgbuf	 fake;
static struct event_base *fbase;

static void
answer(uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(&fake, type, 0, 0, -1, data, len) == -1)
		fuzz_fail("imsg_compose");
}

void
spoolfake_reserve(void)
{
	int	sv[2];

	/* The channel is at a fixed descriptor; nothing else may be there. */
	if (fcntl(PROC_SPOOL_FD, F_GETFD) != -1 || errno != EBADF)
		fuzz_fail("descriptor %d is taken", PROC_SPOOL_FD);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		fuzz_fail("socketpair");
	/* Our end may have landed on the fixed number: move it away. */
	if (sv[1] == PROC_SPOOL_FD) {
		if ((sv[1] = fcntl(PROC_SPOOL_FD, F_DUPFD_CLOEXEC, 10)) == -1)
			fuzz_fail("fcntl");
		(void)close(PROC_SPOOL_FD);
	}
	if (sv[0] != PROC_SPOOL_FD) {
		if (dup2(sv[0], PROC_SPOOL_FD) == -1)
			fuzz_fail("dup2");
		(void)close(sv[0]);
	}
	imsgbuf_init(&fake, sv[1]);
}

void
spoolfake_init(struct event_base *base)
{
	struct sp_hello	h = { SPOOLFAKE_INC, 0 };

	fbase = base;
	netspool_init(base);
	answer(IMSG_SP_HELLO, &h, sizeof(h));
	spoolfake_run();
}

static void
take_in(struct imsg *imsg)
{
	struct sp_in		 in;
	struct sp_done		 d;
	const unsigned char	*tail;
	size_t			 taillen;

	if (imsg_get_head_tail(imsg, &in, sizeof(in), &tail, &taillen,
	    IMSG_MAX_PAYLOAD) == -1 ||
	    taillen < (size_t)in.fromlen + in.tolen)
		fuzz_fail("a bad SP_IN");
	memset(&d, 0, sizeof(d));
	d.req = in.req;
	d.id = in.seq;
	d.status = in.seq % 4 == 3 ? ST_SPOOL_FULL : ST_OK;
	d.dup = in.seq % 4 == 2;
	answer(IMSG_SP_DONE, &d, sizeof(d));
}

static void
take_out_fetch(struct imsg *imsg)
{
	static const char	 names[] = "alicebob", payload[] = "hi";
	struct sp_fetch		 f;
	struct sp_fetch_end	 end;
	struct sp_entry		 e;
	struct iovec		 iov[3];
	uint64_t		 seq;

	if (imsg_get_data(imsg, &f, sizeof(f)) == -1)
		fuzz_fail("a bad SP_OUT_FETCH");
	for (seq = f.after + 1; seq <= SPOOLFAKE_ENTRIES &&
	    seq - f.after <= f.max_count; seq++) {
		memset(&e, 0, sizeof(e));
		e.id = seq;
		e.inc = SPOOLFAKE_INC;
		e.seq = seq;
		e.ttl = 60;
		e.fromlen = 5;
		e.tolen = 3;
		memcpy(e.fp, f.fp, sizeof(e.fp));
		iov[0].iov_base = &e;
		iov[0].iov_len = sizeof(e);
		iov[1].iov_base = (void *)(uintptr_t)names;
		iov[1].iov_len = 8;
		iov[2].iov_base = (void *)(uintptr_t)payload;
		iov[2].iov_len = 2;
		if (imsg_composev(&fake, IMSG_SP_ENTRY, 0, 0, -1, iov, 3) == -1)
			fuzz_fail("imsg_composev");
	}
	memset(&end, 0, sizeof(end));
	memcpy(end.fp, f.fp, sizeof(end.fp));
	answer(IMSG_SP_FETCH_END, &end, sizeof(end));
}

/* A session's put: kept (id = req), or full for every fourth. */
static void
take_put(struct imsg *imsg)
{
	struct sp_put		 p;
	struct sp_done		 d;
	const unsigned char	*tail;
	size_t			 taillen;

	if (imsg_get_head_tail(imsg, &p, sizeof(p), &tail, &taillen,
	    IMSG_MAX_PAYLOAD) == -1 ||
	    taillen < (size_t)p.fromlen + p.tolen || p.ttl == 0 ||
	    (p.dest != SP_DEST_PEER && p.dest != SP_DEST_LOCAL))
		fuzz_fail("a bad SP_PUT");
	memset(&d, 0, sizeof(d));
	d.req = p.req;
	d.id = p.req;
	d.status = p.req % 4 == 3 ? ST_SPOOL_FULL : ST_OK;
	answer(IMSG_SP_DONE, &d, sizeof(d));
}

/* A mailbox: one entry after position 0, then the end. */
static void
take_box_fetch(struct imsg *imsg)
{
	static const char	 from[] = "carol@hosta", payload[] = "\0hi";
	struct sp_fetch		 f;
	struct sp_fetch_end	 end;
	struct sp_entry		 e;
	struct iovec		 iov[3];

	if (imsg_get_data(imsg, &f, sizeof(f)) == -1 ||
	    memchr(f.name, '\0', sizeof(f.name)) == NULL)
		fuzz_fail("a bad SP_BOX_FETCH");
	if (f.after == 0 && f.max_count > 0) {
		memset(&e, 0, sizeof(e));
		e.id = 77;
		e.seq = 1;
		e.ttl = 60;
		e.fromlen = sizeof(from) - 1;
		e.tolen = 0;
		iov[0].iov_base = &e;
		iov[0].iov_len = sizeof(e);
		iov[1].iov_base = (void *)(uintptr_t)from;
		iov[1].iov_len = sizeof(from) - 1;
		iov[2].iov_base = (void *)(uintptr_t)payload;
		iov[2].iov_len = sizeof(payload) - 1;
		if (imsg_composev(&fake, IMSG_SP_ENTRY, 0, 0, -1, iov, 3) == -1)
			fuzz_fail("imsg_composev");
	}
	memset(&end, 0, sizeof(end));
	memcpy(end.name, f.name, sizeof(end.name));
	answer(IMSG_SP_FETCH_END, &end, sizeof(end));
}

static void
take_query(struct imsg *imsg)
{
	struct sp_query	q;

	if (imsg_get_data(imsg, &q, sizeof(q)) == -1)
		fuzz_fail("a bad SP_QUERY");
	q.status = q.id == 0 ? ST_UNKNOWN_ID : ST_QUEUED;
	answer(IMSG_SP_QUERY_DONE, &q, sizeof(q));
}

static void
take_report_fetch(struct imsg *imsg)
{
	struct sp_fetch		f;
	struct sp_report	rep;

	if (imsg_get_data(imsg, &f, sizeof(f)) == -1)
		fuzz_fail("a bad SP_REPORT_FETCH");
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.fp, f.fp, sizeof(rep.fp));
	rep.inc = SPOOLFAKE_PEER_INC;
	rep.seq = 1;
	rep.status = ST_OK;
	answer(IMSG_SP_REPORT, &rep, sizeof(rep));
}

static void
take(struct imsg *imsg)
{
	struct sp_result	res;

	switch (imsg->hdr.type) {
	case IMSG_SP_IN:
		take_in(imsg);
		break;
	case IMSG_SP_OUT_FETCH:
		take_out_fetch(imsg);
		break;
	case IMSG_SP_REPORT_FETCH:
		take_report_fetch(imsg);
		break;
	case IMSG_SP_OUT_RESULT:
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1)
			fuzz_fail("a bad SP_OUT_RESULT");
		answer(IMSG_SP_OUT_RESULT_DONE, &res, sizeof(res));
		break;
	case IMSG_SP_REPORTED:
	case IMSG_SP_TAKEN:
		break;
	case IMSG_SP_PUT:
		take_put(imsg);
		break;
	case IMSG_SP_BOX_FETCH:
		take_box_fetch(imsg);
		break;
	case IMSG_SP_QUERY:
		take_query(imsg);
		break;
	default:
		fuzz_fail("the network child sent %s to the spool",
		    imsg_type_name(imsg->hdr.type));
	}
}

/* Read what was asked, answer it: whether anything was asked. */
static int
answer_all(void)
{
	struct imsg	imsg;
	ssize_t		n;
	int		rv, asked = 0;

	while ((n = imsgbuf_read(&fake)) > 0) {
		while ((rv = imsg_get(&fake, &imsg)) == 1) {
			asked = 1;
			take(&imsg);
			imsg_free(&imsg);
		}
		if (rv == -1)
			fuzz_fail("a malformed message to the spool");
	}
	if (n == 0 || (n == -1 && errno != EAGAIN))
		fuzz_fail("the spool channel broke");
	if (imsgbuf_flush(&fake) == -1)
		fuzz_fail("imsgbuf_flush");
	return asked;
}

void
spoolfake_run(void)
{
	int	i;

	for (i = 0; i < ROUNDS; i++) {
		/* The child's writes go out; our answers are dispatched. */
		(void)event_base_loop(fbase, EVLOOP_NONBLOCK);
		if (!answer_all())
			break;
	}
	(void)event_base_loop(fbase, EVLOOP_NONBLOCK);
}
