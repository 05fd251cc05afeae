/*
 * Unit tests for relay.c, both ends together (PROTOCOL.md 7.4): random
 * schedules of a sender and a receiver over a simulated link that is cut
 * twice while messages and ACKs are in flight; every message is delivered
 * exactly once, in order, and completes once.
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

/* xorshift64: deterministic, so a failure can be replayed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Sender and receiver together over a simulated link that is cut twice
 * while messages and ACKs are in flight.
 */
#define SIM_N		10000
#define SIM_RING	256
#define SIM_STEPS	200000

/*
 * ck_assert() reports every passing check to the parent process; in a
 * loop of a million checks that is most of the run time.  This one
 * only speaks up on failure.
 */
#define SIM_CHECK(e)	do {						\
	if (!(e))							\
		ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #e);	\
} while (0)

struct simrec {
	uint8_t		b[RELAY_MSG_HDRLEN + 2 * WIRE_NAME_MAX + 16];
	size_t		len;
};

struct simring {
	struct simrec	r[SIM_RING];
	size_t		head, n;
};

static int
ring_put(struct simring *q, const uint8_t *b, size_t len)
{
	struct simrec	*r;

	if (q->n == SIM_RING)
		return -1;
	r = &q->r[(q->head + q->n) % SIM_RING];
	SIM_CHECK(len <= sizeof(r->b));
	memcpy(r->b, b, len);
	r->len = len;
	q->n++;
	return 0;
}

static struct simrec *
ring_get(struct simring *q)
{
	struct simrec	*r;

	if (q->n == 0)
		return NULL;
	r = &q->r[q->head];
	q->head = (q->head + 1) % SIM_RING;
	q->n--;
	return r;
}

struct sim {
	struct relay_out	ro;
	struct relay_in		ri;
	struct simring		fwd;	/* MSG */
	struct simring		back;	/* ACK */
	uint64_t		rng;
	uint32_t		pushed;
	uint32_t		delivered;
	uint32_t		ndup;
	uint8_t			seen[SIM_N];
};

static void
sim_send_ack(struct sim *s)
{
	uint8_t	ack[RELAY_ACK_LEN];

	relay_encode_ack(ack, relay_in_ack_value(&s->ri));
	/* The sender drains faster than this fills; never full. */
	SIM_CHECK(ring_put(&s->back, ack, sizeof(ack)) == 0);
}

static void
sim_sender(struct sim *s)
{
	const struct relay_msg	*m;
	struct relay_view	 v;
	struct simrec		*r;
	uint8_t			 body[sizeof(r->b)], p[4];
	uint64_t		 upto;
	size_t			 len;
	int			 k;

	for (k = (int)(rnd(&s->rng) % 8); k > 0 && s->pushed < SIM_N; k--) {
		put_u32(p, s->pushed);
		v = mkview("src", "dst", p, sizeof(p));
		SIM_CHECK(relay_out_push(&s->ro, &v, s->pushed, 0, 0, NULL) ==
		    ST_OK);
		s->pushed++;
	}
	for (k = (int)(rnd(&s->rng) % 16); k > 0; k--) {
		if (s->fwd.n == SIM_RING || (m = relay_out_next(&s->ro)) ==
		    NULL)
			break;
		SIM_CHECK(relay_encode_msg(m, body, sizeof(body), &len) == 0);
		SIM_CHECK(ring_put(&s->fwd, body, len) == 0);
	}
	while ((r = ring_get(&s->back)) != NULL) {
		SIM_CHECK(relay_parse_ack(r->b, r->len, &upto) == 0);
		SIM_CHECK(relay_out_ack(&s->ro, upto) == 0);
	}
}

static void
sim_receiver(struct sim *s)
{
	struct relay_view	 v;
	struct simrec		*r;
	struct reader		 rd;
	uint32_t		 idx;
	int			 k, due;

	for (k = (int)(rnd(&s->rng) % 16); k > 0; k--) {
		if ((r = ring_get(&s->fwd)) == NULL)
			break;
		SIM_CHECK(relay_in_parse_msg(r->b, r->len, &v) == 0);
		if (relay_in_accept(&s->ri, v.id) == RELAY_NEW) {
			rd_init(&rd, v.payload, v.len);
			idx = rd_u32(&rd);
			SIM_CHECK(rd_done(&rd) == 0);
			/* In order, exactly once. */
			SIM_CHECK(idx == s->delivered);
			SIM_CHECK(idx < SIM_N && s->seen[idx] == 0);
			s->seen[idx] = 1;
			s->delivered++;
		} else
			s->ndup++;
		due = relay_in_handled(&s->ri, v.id);
		if (due)
			sim_send_ack(s);
	}
	/* The 10 ms timer, now and then. */
	if (rnd(&s->rng) % 4 == 0 && relay_in_ack_pending(&s->ri))
		sim_send_ack(s);
}

/* Lose everything in flight; both ends see the link go and come back. */
static void
sim_cut(struct sim *s)
{
	s->fwd.n = 0;
	s->back.n = 0;
	relay_out_link_down(&s->ro, 0);
	ck_assert_int_eq(relay_in_link_up(&s->ri, epoch_a), 0);
}

static void
sim_run(uint64_t seed)
{
	struct sim	*s = calloc(1, sizeof(*s));
	uint32_t	 cut[2];
	int		 ncut = 0, step;
	size_t		 i;

	ck_assert_ptr_nonnull(s);
	ndone = 0;
	s->rng = seed;
	relay_out_init(&s->ro, 4 << 20, on_done, NULL);
	relay_in_init(&s->ri);
	ck_assert_int_eq(relay_in_link_up(&s->ri, epoch_a), 1);
	/* Two random points, as counts of delivered messages. */
	cut[0] = (uint32_t)(rnd(&s->rng) % (SIM_N / 2));
	cut[1] = SIM_N / 2 + (uint32_t)(rnd(&s->rng) % (SIM_N / 2 - 100));
	for (step = 0; step < SIM_STEPS; step++) {
		if (ndone == SIM_N)
			break;
		sim_sender(s);
		sim_receiver(s);
		/*
		 * Cut only with MSGs on the wire and an ACK owed, so that
		 * both a loss and a re-send of handled ones happen.
		 */
		if (ncut < 2 && s->delivered >= cut[ncut] && s->fwd.n > 0 &&
		    relay_in_ack_pending(&s->ri)) {
			sim_cut(s);
			ncut++;
		}
		/* Flush the last ACK at the end. */
		if (s->pushed == SIM_N && s->fwd.n == 0 &&
		    !relay_out_has_unsent(&s->ro) &&
		    relay_in_ack_pending(&s->ri))
			sim_send_ack(s);
	}
	ck_assert_int_lt(step, SIM_STEPS);
	ck_assert_int_eq(ncut, 2);
	ck_assert_uint_gt(s->ndup, 0);
	ck_assert_uint_eq(s->delivered, SIM_N);
	for (i = 0; i < SIM_N; i++)
		SIM_CHECK(s->seen[i] == 1);
	/* Every sender's message completed once, ok, in order. */
	ck_assert_uint_eq(ndone, SIM_N);
	for (i = 0; i < SIM_N; i++)
		SIM_CHECK(dones[i].cookie == i && dones[i].id == i + 1 &&
		    dones[i].status == ST_OK);
	ck_assert_uint_eq(s->ro.nqueued, 0);
	ck_assert_uint_eq(s->ro.nbytes, 0);
	relay_out_clear(&s->ro, 0);
	free(s);
}

START_TEST(test_exactly_once)
{
	sim_run(0x9e3779b97f4a7c15ULL);
	sim_run(0x0123456789abcdefULL);
	sim_run(0xdeadbeefcafef00dULL);
}
END_TEST

static Suite *
relaysim_suite(void)
{
	Suite	*s = suite_create("relay simulation");
	TCase	*in = tcase_create("receiver");

	tcase_add_checked_fixture(in, dones_reset, NULL);
	tcase_add_test(in, test_exactly_once);
	suite_add_tcase(s, in);
	return s;
}

int
main(void)
{
	return unit_run(relaysim_suite());
}
