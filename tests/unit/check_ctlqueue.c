/*
 * Unit tests for netcryptctl queue on the control socket (control.c):
 * the request checked and passed on, the spool's answer relayed as it
 * comes in pieces (CTL_TEXT records of at most CTL_MAX_BODY, then
 * CTL_END), an error answer, a client that leaves in the middle of an
 * answer (the rest is dropped, the slot given back), an answer past
 * CTL_MAX_ANSWER, and a daemon that does not offer it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "control.h"
#include "ctlfix.h"
#include "unitrun.h"

/* Send a request and pump until the fake network child has it. */
static unsigned int
asked(int fd, uint8_t op, uint8_t flags, uint64_t id)
{
	unsigned int	i, calls = queue_calls;

	send_queue(fd, op, flags, id);
	for (i = 0; i < 500 && queue_calls == calls; i++)
		pump(2);
	ck_assert_uint_eq(queue_calls, calls + 1);
	ck_assert_uint_eq(queue_op, op);
	ck_assert_uint_eq(queue_flags, flags);
	ck_assert_uint_eq(queue_id, id);
	return queue_client;
}

START_TEST(queue_relayed_in_pieces)
{
	struct reply	 r;
	struct parsed	 pr;
	char		*big;
	size_t		 bigsz = 3 * CTL_MAX_BODY + 5;
	unsigned int	 c;
	int		 fd;

	ck_assert_ptr_nonnull(big = malloc(bigsz));
	memset(big, 'x', bigsz);
	fd = client();
	c = asked(fd, CTL_QUEUE_LIST, CTL_F_JSON, 0);
	control_answer_part(c, "{\"entries\":", 11);
	pump(5);
	control_answer_part(c, big, bigsz);
	control_answer(c, CTL_STATUS_OK, "}\n", 2);
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_uint_eq(pr.textlen, 11 + bigsz + 2);
	ck_assert_mem_eq(pr.text + 11, big, bigsz);
	ck_assert_str_eq(pr.text + 11 + bigsz, "}\n");
	/* One piece, then the big one in four records, then the end. */
	ck_assert_uint_eq(pr.ntext, 6);
	free_reply(&r, &pr);
	free(big);
	(void)close(fd);
	/* Show and drop carry the id. */
	fd = client();
	c = asked(fd, CTL_QUEUE_DROP, 0, 0x0123456789abcdefULL);
	control_answer(c, CTL_STATUS_FAIL, "no such entry", 13);
	assert_error_reply(fd, "no such entry");
	(void)close(fd);
	fd = client();
	c = asked(fd, CTL_QUEUE_SHOW, CTL_F_JSON, 7);
	control_answer(c, CTL_STATUS_OK, "{}\n", 3);
	collect(fd, &r, 1000);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_str_eq(pr.text, "{}\n");
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

START_TEST(queue_malformed)
{
	static const struct {
		uint8_t		op, flags;
		uint64_t	id;
	} bad[] = {
		{ 0, 0, 0 }, { 4, 0, 1 }, { CTL_QUEUE_LIST, 0x80, 0 },
		{ CTL_QUEUE_LIST, 0, 5 }, { CTL_QUEUE_SHOW, 0, 0 },
		{ CTL_QUEUE_DROP, 0, 0 }, { CTL_QUEUE_DROP, CTL_F_JSON, 5 },
	};
	uint8_t	short_body[CTL_QUEUE_LEN - 1] = { CTL_QUEUE_LIST };
	size_t	i;
	int	fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = client();
		send_queue(fd, bad[i].op, bad[i].flags, bad[i].id);
		assert_error_reply(fd, "malformed queue request");
		(void)close(fd);
	}
	fd = client();
	send_req(fd, CTL_QUEUE, short_body, sizeof(short_body));
	assert_error_reply(fd, "malformed queue request");
	(void)close(fd);
	ck_assert_uint_eq(queue_calls, 0);
}
END_TEST

/* Gone in the middle of the answer: the rest is dropped, nothing breaks. */
START_TEST(queue_client_leaves)
{
	unsigned int	c;
	int		fd, i;

	fd = client();
	c = asked(fd, CTL_QUEUE_LIST, 0, 0);
	control_answer_part(c, "ID  KIND\n", 9);
	pump(5);
	(void)close(fd);
	pump(5);
	control_answer_part(c, "more\n", 5);
	control_answer(c, CTL_STATUS_OK, "end\n", 4);
	pump(5);
	/* Every slot is free again. */
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		assert_show_works(0);
}
END_TEST

/* More than CTL_MAX_ANSWER waiting for a reader: the client is cut off. */
START_TEST(queue_answer_bound)
{
	struct reply	 r;
	char		*piece;
	size_t		 i, n = CTL_MAX_ANSWER / CTL_MAX_BODY + 2;
	unsigned int	 c;
	int		 fd;

	ck_assert_ptr_nonnull(piece = calloc(1, CTL_MAX_BODY));
	fd = client();
	c = asked(fd, CTL_QUEUE_LIST, 0, 0);
	/* No pumping: nothing is written, all of it waits in the server. */
	for (i = 0; i < n; i++)
		control_answer_part(c, piece, CTL_MAX_BODY);
	control_answer(c, CTL_STATUS_OK, "", 0);
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	ck_assert_uint_eq(r.len, 0);
	free_reply(&r, NULL);
	free(piece);
	(void)close(fd);
	assert_show_works(0);
}
END_TEST

START_TEST(queue_not_offered)
{
	int	fd;

	fd = client();
	send_queue(fd, CTL_QUEUE_LIST, 0, 0);
	assert_error_reply(fd, "queue is not supported here");
	(void)close(fd);
}
END_TEST

static Suite *
ctlqueue_suite(void)
{
	Suite	*su = suite_create("ctlqueue");
	TCase	*tc = tcase_create("queue");
	TCase	*tn = tcase_create("not offered");

	tcase_add_checked_fixture(tc, setup_queue, teardown);
	tcase_add_test(tc, queue_relayed_in_pieces);
	tcase_add_test(tc, queue_malformed);
	tcase_add_test(tc, queue_client_leaves);
	tcase_add_test(tc, queue_answer_bound);
	suite_add_tcase(su, tc);
	tcase_add_checked_fixture(tn, setup, teardown);
	tcase_add_test(tn, queue_not_offered);
	suite_add_tcase(su, tn);
	return su;
}

int
main(void)
{
	return unit_run(ctlqueue_suite());
}
