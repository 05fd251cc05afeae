/*
 * The bounds on what sessions may have at the spool (sessspool.c): a
 * session with SSPOOL_ASKS_MAX puts unanswered is not read further, and
 * neither is one while all sessions' puts in flight hold
 * SSPOOL_PUT_BYTES_MAX of payload; answers bring them back.  The session
 * is made and read as the daemon makes and reads one; the spool is
 * played by tests/fuzz/spoolfake.c, which answers only when told to.
 */
#include "config.h"

#include <sys/socket.h>
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "buf.h"
#include "fuzz.h"
#include "netspool.h"
#include "network.h"
#include "session.h"
#include "session_priv.h"
#include "session_proto.h"
#include "spoolfake.h"
#include "unitrun.h"

static struct peer	hosta;

/* spoolfake.c's way to fail: here, the test's. */
void
fuzz_fail(const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck_abort_msg("%s", msg);
}

static void
setup_child(void)
{
	static int	done;

	if (done)
		return;
	done = 1;
	spoolfake_reserve();
	if ((netctx->base = event_base_new()) == NULL)
		ck_abort_msg("event_base_new");
	TAILQ_INIT(&netctx->peers);
	TAILQ_INIT(&netctx->links);
	(void)snprintf(netctx->ns.name, sizeof(netctx->ns.name), "hostb");
	netctx->ns.max_sessions = 10;
	netctx->ns.session_queue = 64 * 1024 * 1024;
	netctx->ns.session_timeout = 60;
	(void)snprintf(hosta.name, sizeof(hosta.name), "hosta");
	TAILQ_INSERT_TAIL(&netctx->peers, &hosta, entry);
	session_setup(netctx->base);
	spoolfake_init(netctx->base);
}

/* An anonymous session (no policy needed) fed n SENDs with a lifetime. */
static struct session *
fed_session(int *other, size_t n, size_t payload)
{
	static uint8_t	 rec[SP_HDR_LEN + 8 + 1 + 4 + 1 + 7 + 65280];
	struct session	*s;
	struct evbuffer	*in;
	uint8_t		 attach[] = { 0, 0, 0, 2, SP_ATTACH, 0 };
	size_t		 i, len = SP_HDR_LEN + 8 + 1 + 4 + 1 + 7 + payload;
	int		 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	ck_assert_ptr_nonnull(s = session_new(sv[0]));
	*other = sv[1];
	in = bufferevent_get_input(s->bev);
	(void)evbuffer_unfreeze(in, 0);
	ck_assert_int_eq(evbuffer_add(in, attach, sizeof(attach)), 0);
	memset(rec, 0, sizeof(rec));
	put_u32(rec, (uint32_t)(len - 4));
	rec[4] = SP_SEND;
	rec[13] = SP_F_WITHIN;
	put_u32(rec + 14, 3600);
	rec[18] = 7;
	memcpy(rec + 19, "x@hosta", 7);
	for (i = 0; i < n; i++) {
		put_u64(rec + 5, i + 1);
		ck_assert_int_eq(evbuffer_add(in, rec, len), 0);
	}
	(void)evbuffer_freeze(in, 0);
	return s;
}

/* Let the spool answer everything in flight, however many rounds. */
static void
answer_all(void)
{
	int	i;

	for (i = 0; i < 10000 && netspool_put_bytes() > 0; i++)
		spoolfake_run();
	spoolfake_run();
}

/* Read as the event loop would, until it takes no more; what is left. */
static size_t
read_some(struct session *s, size_t reclen)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	size_t		 before;
	int		 i;

	for (i = 0; i < 100000; i++) {
		before = evbuffer_get_length(in);
		ck_assert_int_eq(session_read(s), 0);
		if (evbuffer_get_length(in) == before)
			break;
	}
	return evbuffer_get_length(in) / reclen;
}

START_TEST(t_asks_bound)
{
	struct session	*s;
	size_t		 reclen = SP_HDR_LEN + 8 + 1 + 4 + 1 + 7 + 1;
	int		 other;

	setup_child();
	s = fed_session(&other, SSPOOL_ASKS_MAX + 88, 1);
	/* At the bound the session is paused and the rest stays unread. */
	ck_assert_uint_eq(read_some(s, reclen), 88);
	ck_assert_uint_eq(s->sp.asks, SSPOOL_ASKS_MAX);
	ck_assert(s->paused & SESSION_PAUSE_SPOOL);
	/* The spool answers: read again (by the loop), the rest taken too. */
	answer_all();
	ck_assert_int_eq(s->paused, 0);
	ck_assert_uint_eq(read_some(s, reclen), 0);
	answer_all();
	ck_assert_uint_eq(s->sp.asks, 0);
	session_free(s, "end of test");
	(void)close(other);
	spoolfake_run();
}
END_TEST

START_TEST(t_bytes_bound)
{
	struct session	*s;
	size_t		 payload = 65000, n, reclen;
	int		 other;

	setup_child();
	reclen = SP_HDR_LEN + 8 + 1 + 4 + 1 + 7 + payload;
	n = SSPOOL_PUT_BYTES_MAX / payload + 20;	/* more than 16 MiB */
	s = fed_session(&other, n, payload);
	/* Paused by all puts' bytes, long before its own count. */
	ck_assert_uint_eq(read_some(s, reclen), n - (SSPOOL_PUT_BYTES_MAX +
	    payload - 1) / payload);
	ck_assert_uint_lt(s->sp.asks, SSPOOL_ASKS_MAX);
	ck_assert_uint_ge(netspool_put_bytes(), SSPOOL_PUT_BYTES_MAX);
	ck_assert(s->paused & SESSION_PAUSE_SPOOL);
	answer_all();
	ck_assert_int_eq(s->paused, 0);
	ck_assert_uint_eq(read_some(s, reclen), 0);
	answer_all();
	ck_assert_uint_eq(netspool_put_bytes(), 0);
	session_free(s, "end of test");
	(void)close(other);
	spoolfake_run();
}
END_TEST

/*
 * A session attached taking its mailbox, with the smallest session
 * queue there is (64K): its mailbox is still fetched and delivered.
 */
START_TEST(t_box_small_queue)
{
	static const uint8_t	 attach[] = { 0, 0, 0, 7, SP_ATTACH, 4,
				    'd', 'a', 'v', 'e', SP_ATTACH_SPOOL };
	struct session		*s;
	struct evbuffer		*in;
	uint8_t			 buf[256];
	ssize_t			 n;
	size_t			 off = 0;
	int			 sv[2], sdeliver = 0;

	setup_child();
	netctx->ns.session_queue = 64 * 1024;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	ck_assert_ptr_nonnull(s = session_new(sv[0]));
	s->uid = 0;		/* root may take any name */
	in = bufferevent_get_input(s->bev);
	(void)evbuffer_unfreeze(in, 0);
	ck_assert_int_eq(evbuffer_add(in, attach, sizeof(attach)), 0);
	(void)evbuffer_freeze(in, 0);
	ck_assert_int_eq(session_read(s), 0);
	ck_assert_int_eq(s->sp.takes, 1);
	answer_all();
	(void)event_base_loop(netctx->base, EVLOOP_NONBLOCK);
	n = read(sv[1], buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	/* ATTACHED, then the fake spool's one entry as SDELIVER. */
	while (off + SP_HDR_LEN <= (size_t)n) {
		sdeliver |= buf[off + 4] == SP_SDELIVER;
		off += 4 + get_u32(buf + off);
	}
	ck_assert_int_eq(sdeliver, 1);
	session_free(s, "end of test");
	(void)close(sv[1]);
	answer_all();
	netctx->ns.session_queue = 64 * 1024 * 1024;
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("sessspool");
	TCase	*tc = tcase_create("bounds");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_asks_bound);
	tcase_add_test(tc, t_bytes_bound);
	tcase_add_test(tc, t_box_small_queue);
	suite_add_tcase(su, tc);
	return unit_run(su);
}
