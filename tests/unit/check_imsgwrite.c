/*
 * Unit tests for writing imsgs: partial writes to a full non-blocking
 * socket resumed until every message (some with descriptors) arrives
 * whole and in order, imsgbuf_flush() of more than the socket holds to a
 * reader in a child process, and a dead peer as EPIPE, not SIGPIPE.
 * Every test uses its own socketpair.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include <check.h>

#include "imsg.h"
#include "util.h"
#include "imsgfix.h"
#include "unitrun.h"

#define MAX_TRIES	100000	/* bound for every polling loop */

/*
 * Fill a small non-blocking socket until sendmsg() says EAGAIN, then
 * alternate reads and writes: every message (some with fds, of varied
 * sizes, cut at arbitrary points by partial writes) arrives whole and
 * in order.
 */
#define NB_COUNT	300
#define NB_FDEVERY	37

static size_t
nb_len(uint32_t seq)
{
	return (seq * 7919U) % (IMSG_MAX_PAYLOAD + 1);
}

static void
nb_fill(unsigned char *buf, uint32_t seq)
{
	size_t	i;

	for (i = 0; i < nb_len(seq); i++)
		buf[i] = (unsigned char)(seq * 31 + i);
}

START_TEST(test_nonblock_fill)
{
	static unsigned char	 buf[IMSG_MAX_PAYLOAD], exp[IMSG_MAX_PAYLOAD];
	struct imsgbuf		 wb, rb;
	struct imsg		 im;
	uint32_t		 seq, got = 0;
	ssize_t			 n;
	char			 c;
	int			 sv[2], p[2], i, sndbuf = 4096, eagain = 0;

	mkpair(sv);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	ck_assert_int_eq(nc_set_nonblock(sv[0], 1), 0);
	ck_assert_int_eq(nc_set_nonblock(sv[1], 1), 0);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	for (seq = 0; seq < NB_COUNT; seq++) {
		int fd = -1;

		if (seq % NB_FDEVERY == 0) {
			mkpipe(p);
			c = (char)seq;
			raw_send(p[1], &c, 1);
			close(p[1]);
			fd = p[0];
		}
		nb_fill(buf, seq);
		ck_assert_int_eq(imsg_compose(&wb, seq, seq, 1, fd, buf,
		    nb_len(seq)), 0);
	}

	for (i = 0; i < MAX_TRIES && imsgbuf_queuelen(&wb); i++) {
		errno = 0;
		ck_assert_int_eq(imsgbuf_write(&wb), 0);
		if (errno == EAGAIN) {
			eagain = 1;
			break;
		}
	}
	ck_assert_int_eq(eagain, 1);
	ck_assert_int_ne(imsgbuf_queuelen(&wb), 0);

	for (i = 0; i < MAX_TRIES && got < NB_COUNT; i++) {
		n = imsgbuf_read(&rb);
		ck_assert(n > 0 || (n == -1 && errno == EAGAIN));
		while (imsg_get(&rb, &im) == 1) {
			ck_assert_uint_eq(im.hdr.type, got);
			ck_assert_uint_eq(im.hdr.peerid, got);
			ck_assert_uint_eq(im.datalen, nb_len(got));
			nb_fill(exp, got);
			if (im.datalen > 0)
				ck_assert_mem_eq(im.data, exp, im.datalen);
			if (got % NB_FDEVERY == 0) {
				ck_assert_int_ge(im.fd, 0);
				ck_assert_int_eq(read(im.fd, &c, 1), 1);
				ck_assert_int_eq((unsigned char)c,
				    (unsigned char)got);
			} else
				ck_assert_int_eq(im.fd, -1);
			imsg_free(&im);
			got++;
		}
		ck_assert_int_eq(imsgbuf_write(&wb), 0);
	}
	ck_assert_uint_eq(got, NB_COUNT);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);
	ck_assert_uint_eq(rb.rlen, 0);
	ck_assert_uint_eq(rb.nrfds, 0);
	errno = 0;
	ck_assert_int_eq(imsgbuf_read(&rb), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

#define FL_COUNT	300

/* Flush more than the socket holds to a reader in a child process. */
START_TEST(test_flush)
{
	static unsigned char	 buf[IMSG_MAX_PAYLOAD];
	struct imsgbuf		 wb, rb;
	struct imsg		 im;
	uint32_t		 i;
	pid_t			 pid;
	int			 sv[2], status, bad = 0;

	mkpair(sv);
	if ((pid = fork()) == 0) {
		alarm(5);
		close(sv[0]);
		imsgbuf_init(&rb, sv[1]);
		for (i = 0; i < FL_COUNT && !bad; i++) {
			if (get_one(&rb, &im) != 1 || im.hdr.type != i ||
			    im.datalen != sizeof(buf) ||
			    im.data[0] != (unsigned char)i ||
			    im.data[sizeof(buf) - 1] != (unsigned char)~i)
				bad = 1;
			imsg_free(&im);
		}
		_exit(bad);
	}
	ck_assert_int_gt(pid, 0);
	close(sv[1]);
	imsgbuf_init(&wb, sv[0]);
	for (i = 0; i < FL_COUNT; i++) {
		buf[0] = (unsigned char)i;
		buf[sizeof(buf) - 1] = (unsigned char)~i;
		ck_assert_int_eq(imsg_compose(&wb, i, 0, 1, -1, buf,
		    sizeof(buf)), 0);
	}
	ck_assert_int_eq(imsgbuf_flush(&wb), 0);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* A dead peer is an error, not a SIGPIPE. */
START_TEST(test_flush_epipe)
{
	struct imsgbuf	wb;
	int		sv[2];

	mkpair(sv);
	close(sv[1]);
	imsgbuf_init(&wb, sv[0]);
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 1, -1, "x", 1), 0);
	errno = 0;
	ck_assert_int_eq(imsgbuf_flush(&wb), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_ne(imsgbuf_queuelen(&wb), 0);
	imsgbuf_clear(&wb);
}
END_TEST

static Suite *
imsgwrite_suite(void)
{
	Suite	*s = suite_create("imsg writes");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_nonblock_fill);
	tcase_add_test(tc, test_flush);
	tcase_add_test(tc, test_flush_epipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(imsgwrite_suite());
}
