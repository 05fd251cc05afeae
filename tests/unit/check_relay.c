/*
 * Unit tests for relay.c, each end alone: the sender's queue (ids,
 * order, ACK, NAK, re-send after link failure, limits, expiry) and the
 * receiver's duplicate suppression and ACK pacing (PROTOCOL.md 7.4).
 * Both together over a simulated link are in check_relaysim.c, the
 * MSG/ACK/NAK body parsers in check_relaybody.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "relay.h"
#include "relayfix.h"
#include "unitrun.h"
#include "wire.h"

/* Push "from" -> "to" with a short text payload; returns the status. */
static int
push(struct relay_out *ro, const char *text, uint64_t cookie, uint64_t now,
    uint64_t *idp)
{
	struct relay_view	v = mkview("alice", "bob", text, strlen(text));

	return relay_out_push(ro, &v, cookie, 0, now, idp);
}

static void
push_n(struct relay_out *ro, int n, uint64_t now)
{
	int	i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(push(ro, "x", (uint64_t)i + 100, now, NULL),
		    ST_OK);
}

static uint64_t
next_id(struct relay_out *ro)
{
	const struct relay_msg	*m = relay_out_next(ro);

	ck_assert_ptr_nonnull(m);
	return m->id;
}

/*
 * Sender.
 */

START_TEST(test_ids_from_one)
{
	struct relay_out	ro;
	uint64_t		id, i;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	for (i = 1; i <= 5; i++) {
		ck_assert_int_eq(push(&ro, "hi", i, 0, &id), ST_OK);
		ck_assert_uint_eq(id, i);
	}
	ck_assert_uint_eq(ro.nqueued, 5);
	relay_out_clear(&ro, 0);
	ck_assert_uint_eq(ndone, 0);
	ck_assert_uint_eq(ro.nqueued, 0);
	ck_assert_uint_eq(ro.nbytes, 0);
}
END_TEST

START_TEST(test_order_and_encode)
{
	struct relay_out	 ro;
	const struct relay_msg	*m;
	struct relay_view	 v;
	uint8_t			 body[RELAY_MSG_MAXLEN];
	char			 text[16];
	size_t			 len;
	int			 i;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "msg %d", i);
		ck_assert_int_eq(push(&ro, text, (uint64_t)i, 0, NULL), ST_OK);
	}
	for (i = 0; i < 10; i++) {
		ck_assert(relay_out_has_unsent(&ro));
		m = relay_out_next(&ro);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->id, (uint64_t)i + 1);
		ck_assert_uint_eq(m->cookie, (uint64_t)i);
		ck_assert_int_eq(relay_encode_msg(m, body, sizeof(body), &len),
		    0);
		ck_assert_uint_eq(len, relay_msg_bodylen(m));
		ck_assert_int_eq(relay_in_parse_msg(body, len, &v), 0);
		ck_assert_uint_eq(v.id, m->id);
		ck_assert_uint_eq(v.fromlen, 5);
		ck_assert(memcmp(v.from, "alice", 5) == 0);
		ck_assert_uint_eq(v.tolen, 3);
		ck_assert(memcmp(v.to, "bob", 3) == 0);
		snprintf(text, sizeof(text), "msg %d", i);
		ck_assert_uint_eq(v.len, strlen(text));
		ck_assert(memcmp(v.payload, text, v.len) == 0);
		/* One byte short of room. */
		ck_assert_int_eq(relay_encode_msg(m, body, len - 1, &len), -1);
	}
	ck_assert_ptr_null(relay_out_next(&ro));
	ck_assert(!relay_out_has_unsent(&ro));
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_empty_payload)
{
	struct relay_out	 ro;
	struct relay_view	 v = mkview("a", "*", NULL, 0), p;
	const struct relay_msg	*m;
	uint8_t			 body[64];
	size_t			 len;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	v.flags = 0x01;
	ck_assert_int_eq(relay_out_push(&ro, &v, 7, 0, 0, NULL), ST_OK);
	m = relay_out_next(&ro);
	ck_assert_int_eq(relay_encode_msg(m, body, sizeof(body), &len), 0);
	ck_assert_uint_eq(len, RELAY_MSG_HDRLEN + 2);
	ck_assert_int_eq(relay_in_parse_msg(body, len, &p), 0);
	ck_assert_uint_eq(p.flags, 0x01);
	ck_assert_uint_eq(p.len, 0);
	ck_assert_uint_eq(p.tolen, 1);
	ck_assert_int_eq(p.to[0], '*');
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_cumulative_ack)
{
	struct relay_out	ro;
	size_t			one, i;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	push_n(&ro, 10, 0);
	one = ro.nbytes / 10;
	for (i = 0; i < 7; i++)
		(void)next_id(&ro);
	ck_assert_int_eq(relay_out_ack(&ro, 4), 0);
	ck_assert_uint_eq(ndone, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(dones[i].id, i + 1);
		ck_assert_uint_eq(dones[i].cookie, i + 100);
		ck_assert_uint_eq(dones[i].status, ST_OK);
	}
	ck_assert_uint_eq(ro.nqueued, 6);
	ck_assert_uint_eq(ro.nbytes, 6 * one);
	/* The same ACK again, or an older one, completes nothing more. */
	ck_assert_int_eq(relay_out_ack(&ro, 4), 0);
	ck_assert_int_eq(relay_out_ack(&ro, 2), 0);
	ck_assert_int_eq(relay_out_ack(&ro, 0), 0);
	ck_assert_uint_eq(ndone, 4);
	ck_assert_int_eq(relay_out_ack(&ro, 7), 0);
	ck_assert_uint_eq(ndone, 7);
	ck_assert_uint_eq(dones[6].id, 7);
	ck_assert_uint_eq(ro.nqueued, 3);
	ck_assert_uint_eq(ro.nbytes, 3 * one);
	/* The unsent rest is untouched and comes next. */
	ck_assert_uint_eq(next_id(&ro), 8);
	relay_out_clear(&ro, 0);
	ck_assert_uint_eq(ndone, 7);
}
END_TEST

START_TEST(test_nak)
{
	struct relay_out	ro;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	push_n(&ro, 5, 0);
	(void)next_id(&ro);
	(void)next_id(&ro);
	(void)next_id(&ro);
	ck_assert_int_eq(relay_out_nak(&ro, 2, ST_BUSY), 0);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(dones[0].id, 2);
	ck_assert_uint_eq(dones[0].cookie, 101);
	ck_assert_uint_eq(dones[0].status, ST_BUSY);
	ck_assert_uint_eq(ro.nqueued, 4);
	/* Completed once: a second NAK is refused. */
	ck_assert_int_eq(relay_out_nak(&ro, 2, ST_BUSY), -1);
	/* The ACK covers the NAKed one too, without a second receipt. */
	ck_assert_int_eq(relay_out_ack(&ro, 3), 0);
	ck_assert_uint_eq(ndone, 3);
	ck_assert_uint_eq(dones[1].id, 1);
	ck_assert_uint_eq(dones[1].status, ST_OK);
	ck_assert_uint_eq(dones[2].id, 3);
	ck_assert_uint_eq(dones[2].status, ST_OK);
	/* Each NAK status of PROTOCOL.md 7.5. */
	(void)next_id(&ro);
	(void)next_id(&ro);
	ck_assert_int_eq(relay_out_nak(&ro, 5, ST_NO_SUCH_SESSION), 0);
	ck_assert_int_eq(relay_out_nak(&ro, 4, ST_TOO_LARGE), 0);
	ck_assert_uint_eq(dones[3].status, ST_NO_SUCH_SESSION);
	ck_assert_uint_eq(dones[4].status, ST_TOO_LARGE);
	ck_assert_uint_eq(ro.nqueued, 0);
	ck_assert_uint_eq(ro.nbytes, 0);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_ack_above_sent)
{
	struct relay_out	ro;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	ck_assert_int_eq(relay_out_ack(&ro, 1), -1);
	push_n(&ro, 5, 0);
	/* Queued is not sent. */
	ck_assert_int_eq(relay_out_ack(&ro, 1), -1);
	(void)next_id(&ro);
	(void)next_id(&ro);
	ck_assert_int_eq(relay_out_ack(&ro, 3), -1);
	ck_assert_int_eq(relay_out_ack(&ro, UINT64_MAX), -1);
	ck_assert_uint_eq(ndone, 0);
	ck_assert_uint_eq(ro.nqueued, 5);
	ck_assert_int_eq(relay_out_ack(&ro, 2), 0);
	ck_assert_uint_eq(ndone, 2);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_nak_refused)
{
	struct relay_out	ro;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	ck_assert_int_eq(relay_out_nak(&ro, 1, ST_BUSY), -1);
	push_n(&ro, 5, 0);
	(void)next_id(&ro);
	(void)next_id(&ro);
	/* Queued but not sent. */
	ck_assert_int_eq(relay_out_nak(&ro, 3, ST_BUSY), -1);
	/* Never queued. */
	ck_assert_int_eq(relay_out_nak(&ro, 6, ST_BUSY), -1);
	ck_assert_int_eq(relay_out_nak(&ro, 0, ST_BUSY), -1);
	ck_assert_int_eq(relay_out_nak(&ro, UINT64_MAX, ST_BUSY), -1);
	/* Not a NAK status. */
	ck_assert_int_eq(relay_out_nak(&ro, 1, ST_OK), -1);
	ck_assert_int_eq(relay_out_nak(&ro, 1, ST_QUEUE_FULL), -1);
	ck_assert_int_eq(relay_out_nak(&ro, 1, 200), -1);
	/* Already ACKed. */
	ck_assert_int_eq(relay_out_ack(&ro, 1), 0);
	ck_assert_int_eq(relay_out_nak(&ro, 1, ST_BUSY), -1);
	ck_assert_uint_eq(ndone, 1);
	/* Sent on a link that went down, not yet re-sent. */
	relay_out_link_down(&ro, 0);
	ck_assert_int_eq(relay_out_nak(&ro, 2, ST_BUSY), -1);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(ro.nqueued, 4);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_link_down_resend)
{
	struct relay_out	ro;
	uint64_t		i;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	push_n(&ro, 10, 0);
	for (i = 1; i <= 6; i++)
		ck_assert_uint_eq(next_id(&ro), i);
	ck_assert_int_eq(relay_out_ack(&ro, 2), 0);
	ck_assert_int_eq(relay_out_nak(&ro, 4, ST_REJECTED), 0);
	ck_assert_int_eq(TAILQ_FIRST(&ro.q)->sent, 1);
	ck_assert_int_eq(TAILQ_LAST(&ro.q, relay_msgq)->sent, 0);
	relay_out_link_down(&ro, 0);
	/* Nothing is on the wire any more. */
	ck_assert_int_eq(TAILQ_FIRST(&ro.q)->sent, 0);
	ck_assert_int_eq(TAILQ_NEXT(TAILQ_FIRST(&ro.q), entry)->sent, 0);
	/* 3, 5, 6 again, then the never-sent ones; 1, 2, 4 never again. */
	ck_assert_uint_eq(next_id(&ro), 3);
	ck_assert_uint_eq(next_id(&ro), 5);
	/* Down again in the middle of re-sending. */
	relay_out_link_down(&ro, 0);
	ck_assert_uint_eq(next_id(&ro), 3);
	ck_assert_uint_eq(next_id(&ro), 5);
	ck_assert_uint_eq(next_id(&ro), 6);
	for (i = 7; i <= 10; i++)
		ck_assert_uint_eq(next_id(&ro), i);
	ck_assert_ptr_null(relay_out_next(&ro));
	ck_assert_int_eq(relay_out_ack(&ro, 10), 0);
	ck_assert_uint_eq(ndone, 10);
	ck_assert_uint_eq(ro.nqueued, 0);
	ck_assert_uint_eq(ro.nbytes, 0);
	/* Each completed exactly once. */
	for (i = 0; i < ndone; i++) {
		size_t	j;

		for (j = i + 1; j < ndone; j++)
			ck_assert_uint_ne(dones[i].id, dones[j].id);
	}
	/* Ids go on after the queue drained. */
	ck_assert_int_eq(push(&ro, "y", 1, 0, &i), ST_OK);
	ck_assert_uint_eq(i, 11);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_ack_covers_unsent_after_down)
{
	struct relay_out	ro;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	push_n(&ro, 6, 0);
	(void)next_id(&ro);
	(void)next_id(&ro);
	(void)next_id(&ro);
	(void)next_id(&ro);
	relay_out_link_down(&ro, 0);
	/*
	 * New link: the receiver had 1..4 already; its ACK after the first
	 * duplicate says 4.  2..4 are not re-sent.
	 */
	ck_assert_uint_eq(next_id(&ro), 1);
	ck_assert_int_eq(relay_out_ack(&ro, 4), 0);
	ck_assert_uint_eq(ndone, 4);
	ck_assert_uint_eq(next_id(&ro), 5);
	/* 6 was never sent. */
	ck_assert_int_eq(relay_out_ack(&ro, 6), -1);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_queue_full)
{
	struct relay_out	ro;
	struct relay_view	v;
	static uint8_t		big[1000];
	size_t			cost = sizeof(struct relay_msg) + sizeof(big);
	int			i;

	relay_out_init(&ro, 3 * cost, on_done, NULL);
	v = mkview("a", "b", big, sizeof(big));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_OK);
	ck_assert_uint_eq(ro.nbytes, 3 * cost);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_QUEUE_FULL);
	/* Even an empty payload costs its overhead. */
	v.len = 0;
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_QUEUE_FULL);
	ck_assert_uint_eq(ro.nqueued, 3);
	/* Room again once one is acknowledged; no id was used up. */
	(void)next_id(&ro);
	ck_assert_int_eq(relay_out_ack(&ro, 1), 0);
	v.len = sizeof(big);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_OK);
	ck_assert_uint_eq(ro.next_id, 5);
	relay_out_clear(&ro, 0);

	/* 4 MiB of the largest payloads. */
	relay_out_init(&ro, 4 << 20, on_done, NULL);
	{
		uint8_t	*p = calloc(1, WIRE_PAYLOAD_MAX);

		ck_assert_ptr_nonnull(p);
		v = mkview("a", "b", p, WIRE_PAYLOAD_MAX);
		for (i = 0; i < 1000; i++)
			if (relay_out_push(&ro, &v, 0, 0, 0, NULL) != ST_OK)
				break;
		free(p);
	}
	ck_assert_int_eq(i, (4 << 20) /
	    (int)(sizeof(struct relay_msg) + WIRE_PAYLOAD_MAX));
	ck_assert_uint_le(ro.nbytes, 4 << 20);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_too_large_and_bad_names)
{
	struct relay_out	 ro;
	struct relay_view	 v;
	uint8_t			*p = calloc(1, WIRE_PAYLOAD_MAX + 1);
	char			 n65[66];

	ck_assert_ptr_nonnull(p);
	relay_out_init(&ro, 1 << 20, on_done, NULL);
	v = mkview("a", "b", p, WIRE_PAYLOAD_MAX + 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_TOO_LARGE);
	v.len = WIRE_PAYLOAD_MAX;
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_OK);
	free(p);

	memset(n65, 'n', sizeof(n65));
	n65[65] = '\0';
	v = mkview(n65, "b", "x", 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_BAD_NAME);
	v = mkview("a", n65, "x", 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_BAD_NAME);
	n65[64] = '\0';
	v = mkview(n65, n65, "x", 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_OK);
	v = mkview("", "b", "x", 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_BAD_NAME);
	v = mkview("*", "b", "x", 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_BAD_NAME);
	v = mkview("a", "b@c", "x", 1);
	ck_assert_int_eq(relay_out_push(&ro, &v, 0, 0, 0, NULL), ST_BAD_NAME);
	ck_assert_uint_eq(ro.nqueued, 2);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_expire)
{
	struct relay_out	ro;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	push_n(&ro, 2, 1000);		/* ids 1, 2 at t=1000 */
	push_n(&ro, 2, 5000);		/* ids 3, 4 at t=5000 */
	(void)next_id(&ro);		/* 1 on the wire */
	/* At the timeout exactly nothing expires. */
	ck_assert_uint_eq(relay_out_expire(&ro, 31000, 30000), 0);
	/* 2 is older than the timeout and off the wire; 1 is on it. */
	ck_assert_uint_eq(relay_out_expire(&ro, 31001, 30000), 1);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(dones[0].id, 2);
	ck_assert_uint_eq(dones[0].status, ST_UNREACHABLE);
	ck_assert_uint_eq(ro.nqueued, 3);
	/* Next comes 3: 2 is gone. */
	ck_assert_uint_eq(next_id(&ro), 3);
	ck_assert_uint_eq(relay_out_expire(&ro, 100000, 30000), 1);
	ck_assert_uint_eq(dones[1].id, 4);
	/*
	 * 1 and 3 fall off the wire at t=100000; their wait starts then,
	 * not at their enqueue.
	 */
	relay_out_link_down(&ro, 100000);
	ck_assert_uint_eq(relay_out_expire(&ro, 130000, 30000), 0);
	ck_assert_uint_eq(relay_out_expire(&ro, 130001, 30000), 2);
	ck_assert_uint_eq(dones[2].id, 1);
	ck_assert_uint_eq(dones[3].id, 3);
	ck_assert_uint_eq(ro.nqueued, 0);
	ck_assert_uint_eq(ro.nbytes, 0);
	ck_assert_ptr_null(relay_out_next(&ro));
	/* A clock that went backwards expires nothing. */
	push_n(&ro, 1, 5000);
	ck_assert_uint_eq(relay_out_expire(&ro, 10, 0), 0);
	relay_out_clear(&ro, 0);
}
END_TEST

START_TEST(test_clear_notify)
{
	struct relay_out	ro;

	relay_out_init(&ro, 1 << 20, on_done, NULL);
	push_n(&ro, 4, 0);
	(void)next_id(&ro);
	relay_out_clear(&ro, 1);
	ck_assert_uint_eq(ndone, 4);
	ck_assert_uint_eq(dones[0].id, 1);
	ck_assert_uint_eq(dones[3].id, 4);
	ck_assert_uint_eq(dones[3].status, ST_UNREACHABLE);
	ck_assert_uint_eq(ro.nqueued, 0);
	ck_assert_uint_eq(ro.nbytes, 0);
	ck_assert_ptr_null(relay_out_next(&ro));
	/* Usable again, ids go on. */
	push_n(&ro, 1, 0);
	ck_assert_uint_eq(next_id(&ro), 5);
	relay_out_clear(&ro, 0);
	ck_assert_uint_eq(ndone, 4);
}
END_TEST

/* A callback that queues one more message on every receipt. */
static struct relay_out	*repush_ro;

static void
on_done_repush(void *arg, const struct relay_msg *m, uint8_t status)
{
	on_done(arg, m, status);
	ck_assert_int_eq(push(repush_ro, "again", m->id, 0, NULL), ST_OK);
}

START_TEST(test_callback_pushes)
{
	struct relay_out	ro;

	repush_ro = &ro;
	relay_out_init(&ro, 1 << 20, on_done_repush, NULL);
	push_n(&ro, 3, 0);
	(void)next_id(&ro);
	(void)next_id(&ro);
	ck_assert_int_eq(relay_out_ack(&ro, 2), 0);
	ck_assert_uint_eq(ndone, 2);
	ck_assert_uint_eq(ro.nqueued, 3);	/* 3, 4, 5 */
	ck_assert_uint_eq(relay_out_expire(&ro, 100, 10), 3);
	ck_assert_uint_eq(ro.nqueued, 3);	/* 6, 7, 8, fresh */
	relay_out_clear(&ro, 1);
	ck_assert_uint_eq(ro.nqueued, 3);	/* and 9, 10, 11 */
	ck_assert_uint_eq(next_id(&ro), 9);
	relay_out_clear(&ro, 0);
}
END_TEST

/*
 * Receiver.
 */

START_TEST(test_in_dedup)
{
	struct relay_in	ri;
	uint64_t	id;

	relay_in_init(&ri);
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 1);
	for (id = 1; id <= 5; id++) {
		ck_assert_int_eq(relay_in_accept(&ri, id), RELAY_NEW);
		(void)relay_in_handled(&ri, id);
	}
	/* Link breaks before the ACK; same daemon, same epoch. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 0);
	ck_assert(!relay_in_ack_pending(&ri));
	for (id = 1; id <= 5; id++) {
		ck_assert_int_eq(relay_in_accept(&ri, id), RELAY_DUP);
		(void)relay_in_handled(&ri, id);
		ck_assert(relay_in_ack_pending(&ri));
	}
	ck_assert_uint_eq(relay_in_ack_value(&ri), 5);
	ck_assert(!relay_in_ack_pending(&ri));
	ck_assert_int_eq(relay_in_accept(&ri, 6), RELAY_NEW);
	/* Gaps are fine (the sender expired or NAK-completed some). */
	ck_assert_int_eq(relay_in_accept(&ri, 60), RELAY_NEW);
	(void)relay_in_handled(&ri, 60);
	ck_assert_int_eq(relay_in_accept(&ri, 59), RELAY_DUP);
	ck_assert_int_eq(relay_in_accept(&ri, 0), RELAY_DUP);
	ck_assert_uint_eq(relay_in_ack_value(&ri), 60);
}
END_TEST

START_TEST(test_in_new_epoch)
{
	struct relay_in	ri;

	relay_in_init(&ri);
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 1);
	(void)relay_in_handled(&ri, 1);
	(void)relay_in_handled(&ri, 2);
	ck_assert_int_eq(relay_in_accept(&ri, 2), RELAY_DUP);
	/* The peer restarted: its ids start again at 1. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_b), 1);
	ck_assert_int_eq(relay_in_accept(&ri, 1), RELAY_NEW);
	ck_assert(!relay_in_ack_pending(&ri));
	(void)relay_in_handled(&ri, 1);
	ck_assert_uint_eq(relay_in_ack_value(&ri), 1);
	/* Back to an older epoch is another restart, not a resume. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 1);
	ck_assert_int_eq(relay_in_accept(&ri, 1), RELAY_NEW);
}
END_TEST

/*
 * A NAK lost with the link: the re-sent MSG must be handled anew, not
 * taken for a duplicate (whose ACK would report it delivered).
 */
START_TEST(test_in_lost_nak)
{
	struct relay_in	ri;
	uint64_t	id;

	relay_in_init(&ri);
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 1);
	for (id = 1; id <= 3; id++) {
		ck_assert_int_eq(relay_in_accept(&ri, id), RELAY_NEW);
		if (id == 2)
			relay_in_naked(&ri, id);	/* e.g. busy */
		(void)relay_in_handled(&ri, id);
	}
	/* Cut before the NAK and the ACK left: all three come again. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 0);
	ck_assert_int_eq(relay_in_accept(&ri, 1), RELAY_DUP);
	ck_assert_int_eq(relay_in_accept(&ri, 2), RELAY_NEW);
	(void)relay_in_handled(&ri, 2);		/* delivered this time */
	ck_assert_int_eq(relay_in_accept(&ri, 3), RELAY_DUP);
	/* Handled now: a further re-send of 2 is a plain duplicate. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 0);
	ck_assert_int_eq(relay_in_accept(&ri, 2), RELAY_DUP);

	/* NAKed twice, lost twice: still handled anew each time. */
	ck_assert_int_eq(relay_in_accept(&ri, 4), RELAY_NEW);
	relay_in_naked(&ri, 4);
	(void)relay_in_handled(&ri, 4);
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 0);
	ck_assert_int_eq(relay_in_accept(&ri, 4), RELAY_NEW);
	relay_in_naked(&ri, 4);
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 0);
	ck_assert_int_eq(relay_in_accept(&ri, 4), RELAY_NEW);
	ck_assert_uint_eq(ri.nnaked, 0);
}
END_TEST

/* The first MSG on a link tells which NAKs have reached the sender. */
START_TEST(test_in_nak_memory_pruned)
{
	struct relay_in	ri;
	uint64_t	id;

	relay_in_init(&ri);
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 1);
	for (id = 1; id <= 10; id++) {
		ck_assert_int_eq(relay_in_accept(&ri, id), RELAY_NEW);
		relay_in_naked(&ri, id);
		(void)relay_in_handled(&ri, id);
	}
	ck_assert_uint_eq(ri.nnaked, 10);
	/* The sender resumes at 8: the NAKs of 1..7 reached it. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_a), 0);
	ck_assert_int_eq(relay_in_accept(&ri, 8), RELAY_NEW);
	ck_assert_uint_eq(ri.nnaked, 2);
	ck_assert_int_eq(relay_in_accept(&ri, 5), RELAY_DUP);
	ck_assert_int_eq(relay_in_accept(&ri, 9), RELAY_NEW);
	ck_assert_int_eq(relay_in_accept(&ri, 10), RELAY_NEW);
	ck_assert_uint_eq(ri.nnaked, 0);

	/* Bounded: past the limit the oldest is forgotten, not the newest. */
	for (id = 100; id < 100 + RELAY_NAK_MEMORY + 1; id++) {
		(void)relay_in_accept(&ri, id);
		relay_in_naked(&ri, id);
		(void)relay_in_handled(&ri, id);
	}
	ck_assert_uint_eq(ri.nnaked, RELAY_NAK_MEMORY);
	ck_assert_int_eq(relay_in_accept(&ri, 100), RELAY_DUP);
	ck_assert_int_eq(relay_in_accept(&ri, 101), RELAY_NEW);
	ck_assert_int_eq(relay_in_accept(&ri, 100 + RELAY_NAK_MEMORY),
	    RELAY_NEW);
	/* A new epoch forgets them all. */
	ck_assert_int_eq(relay_in_link_up(&ri, epoch_b), 1);
	ck_assert_uint_eq(ri.nnaked, 0);
}
END_TEST

START_TEST(test_in_ack_pacing)
{
	struct relay_in	ri;
	uint64_t	id;

	relay_in_init(&ri);
	(void)relay_in_link_up(&ri, epoch_a);
	ck_assert(!relay_in_ack_pending(&ri));
	for (id = 1; id < RELAY_ACK_EVERY; id++) {
		ck_assert_int_eq(relay_in_handled(&ri, id), 0);
		ck_assert(relay_in_ack_pending(&ri));
	}
	ck_assert_int_eq(relay_in_handled(&ri, id), 1);
	ck_assert_uint_eq(relay_in_ack_value(&ri), RELAY_ACK_EVERY);
	ck_assert(!relay_in_ack_pending(&ri));
	/* The count starts over; the timer's ACK resets it too. */
	ck_assert_int_eq(relay_in_handled(&ri, ++id), 0);
	ck_assert_uint_eq(relay_in_ack_value(&ri), RELAY_ACK_EVERY + 1);
	for (id++; id < 2 * RELAY_ACK_EVERY + 1; id++)
		ck_assert_int_eq(relay_in_handled(&ri, id), 0);
	ck_assert_int_eq(relay_in_handled(&ri, id), 1);
	/* Duplicates count toward the ACK as well. */
	(void)relay_in_ack_value(&ri);
	for (id = 1; id < RELAY_ACK_EVERY; id++)
		ck_assert_int_eq(relay_in_handled(&ri, 1), 0);
	ck_assert_int_eq(relay_in_handled(&ri, 1), 1);
	ck_assert_uint_eq(relay_in_ack_value(&ri), 2 * RELAY_ACK_EVERY + 1);
}
END_TEST

static Suite *
relay_suite(void)
{
	Suite	*s = suite_create("relay");
	TCase	*out = tcase_create("sender");
	TCase	*in = tcase_create("receiver");

	tcase_add_checked_fixture(out, dones_reset, NULL);
	tcase_add_test(out, test_ids_from_one);
	tcase_add_test(out, test_order_and_encode);
	tcase_add_test(out, test_empty_payload);
	tcase_add_test(out, test_cumulative_ack);
	tcase_add_test(out, test_nak);
	tcase_add_test(out, test_ack_above_sent);
	tcase_add_test(out, test_nak_refused);
	tcase_add_test(out, test_link_down_resend);
	tcase_add_test(out, test_ack_covers_unsent_after_down);
	tcase_add_test(out, test_queue_full);
	tcase_add_test(out, test_too_large_and_bad_names);
	tcase_add_test(out, test_expire);
	tcase_add_test(out, test_clear_notify);
	tcase_add_test(out, test_callback_pushes);
	suite_add_tcase(s, out);

	tcase_add_checked_fixture(in, dones_reset, NULL);
	tcase_add_test(in, test_in_dedup);
	tcase_add_test(in, test_in_new_epoch);
	tcase_add_test(in, test_in_ack_pacing);
	tcase_add_test(in, test_in_lost_nak);
	tcase_add_test(in, test_in_nak_memory_pruned);
	suite_add_tcase(s, in);
	return s;
}

int
main(void)
{
	return unit_run(relay_suite());
}
