/*
 * Unit tests for descriptor passing over imsg: a descriptor sent is
 * closed on the sender's side and arrives close-on-exec with its own
 * message, in order among messages without one; imsgbuf_clear() closes
 * those queued or received but never taken; more than the reader can
 * hold fails the stream.  Every test uses its own socketpair.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include <check.h>

#include "imsg.h"
#include "util.h"
#include "imsgfix.h"
#include "unitrun.h"

static int
fd_is_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

START_TEST(test_fd_passing)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	char		got[8];
	int		sv[2], p[2], fd;

	mkpair(sv);
	mkpipe(p);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	ck_assert_int_eq(imsg_compose(&wb, 3, 0, 1, p[0], "fd", 2), 0);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	/* Sent means closed on our side (checked before recvmsg reuses it). */
	ck_assert(fd_is_closed(p[0]));

	ck_assert_int_eq(get_one(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 3);
	ck_assert_uint_eq(im.hdr.flags, IMSGF_HASFD);
	ck_assert_mem_eq(im.data, "fd", 2);
	ck_assert_int_ge(im.fd, 0);
	ck_assert_int_ne(fcntl(im.fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_uint_eq(rb.nrfds, 0);

	raw_send(p[1], "hello", 5);
	ck_assert_int_eq(read(im.fd, got, sizeof(got)), 5);
	ck_assert_mem_eq(got, "hello", 5);

	fd = imsg_take_fd(&im);
	ck_assert_int_eq(im.fd, -1);
	imsg_free(&im);
	/* imsg_free() must not have closed the fd we took. */
	ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
	close(fd);
	close(p[1]);
}
END_TEST

/* Messages 1, 4 and 5 carry pipes; each must get its own pipe back. */
START_TEST(test_fd_interleaved)
{
	static const int	 hasfd[6] = { 0, 1, 0, 0, 1, 1 };
	struct imsgbuf		 wb, rb;
	struct imsg		 im;
	char			 c;
	int			 sv[2], p[6][2], i;

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	for (i = 0; i < 6; i++) {
		if (!hasfd[i])
			continue;
		mkpipe(p[i]);
		c = (char)('a' + i);
		raw_send(p[i][1], &c, 1);
		close(p[i][1]);
	}
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(imsg_compose(&wb, (uint32_t)i, 0, 1,
		    hasfd[i] ? p[i][0] : -1, &i, sizeof(i)), 0);
	ck_assert_int_eq(imsgbuf_flush(&wb), 0);
	/* Read it all first so that the three fds queue up together. */
	ck_assert_int_eq(nc_set_nonblock(sv[1], 1), 0);
	for (i = 0; i < 100 && rb.rlen < 6 * (IMSG_HEADER_SIZE + sizeof(i));
	    i++)
		ck_assert_int_gt(imsgbuf_read(&rb), 0);
	ck_assert_uint_eq(rb.nrfds, 3);

	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(imsg_get(&rb, &im), 1);
		ck_assert_uint_eq(im.hdr.type, (uint32_t)i);
		if (!hasfd[i]) {
			ck_assert_int_eq(im.fd, -1);
		} else {
			ck_assert_int_ge(im.fd, 0);
			ck_assert_int_eq(read(im.fd, &c, 1), 1);
			ck_assert_int_eq(c, 'a' + i);
		}
		imsg_free(&im);
	}
	ck_assert_uint_eq(rb.nrfds, 0);
}
END_TEST

START_TEST(test_clear_closes_fds)
{
	struct imsgbuf	wb, rb;
	int		sv[2], p[2], t1, t2, rfd;

	mkpair(sv);
	mkpipe(p);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);

	/* Queued, never sent: clear closes them. */
	ck_assert_int_ge(t1 = dup(p[0]), 0);
	ck_assert_int_ge(t2 = dup(p[0]), 0);
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 1, t1, NULL, 0), 0);
	ck_assert_int_eq(imsg_compose(&wb, 2, 0, 1, -1, "x", 1), 0);
	ck_assert_int_eq(imsg_compose(&wb, 3, 0, 1, t2, NULL, 0), 0);
	ck_assert_int_ne(fcntl(t1, F_GETFD), -1);
	ck_assert_int_ne(fcntl(t2, F_GETFD), -1);
	imsgbuf_clear(&wb);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);
	ck_assert(fd_is_closed(t1));
	ck_assert(fd_is_closed(t2));

	/* Received, never taken: clear closes it too. */
	ck_assert_int_eq(imsg_compose(&wb, 4, 0, 1, p[0], NULL, 0), 0);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	ck_assert_int_eq(imsgbuf_read(&rb), (ssize_t)IMSG_HEADER_SIZE);
	ck_assert_uint_eq(rb.nrfds, 1);
	rfd = rb.rfds[0];
	ck_assert_int_ne(fcntl(rfd, F_GETFD), -1);
	imsgbuf_clear(&rb);
	ck_assert(fd_is_closed(rfd));
	ck_assert_uint_eq(rb.nrfds, 0);
	ck_assert_uint_eq(rb.rlen, 0);
	close(p[1]);
}
END_TEST

/* More fds than rfds holds: the extras are closed and the stream fails. */
START_TEST(test_fd_overflow)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	const size_t	n = IMSG_MAX_FDS_QUEUED + 1;
	size_t		i;
	int		sv[2], p[2], fd;

	mkpair(sv);
	mkpipe(p);
	ck_assert_int_eq(nc_set_nonblock(sv[1], 1), 0);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	for (i = 0; i < n; i++) {
		ck_assert_int_ge(fd = dup(p[0]), 0);
		ck_assert_int_eq(imsg_compose(&wb, (uint32_t)i, 0, 1, fd,
		    NULL, 0), 0);
	}
	ck_assert_int_eq(imsgbuf_flush(&wb), 0);
	for (i = 0; i < 10 * n && rb.rlen < n * IMSG_HEADER_SIZE; i++)
		ck_assert_int_gt(imsgbuf_read(&rb), 0);
	ck_assert_uint_eq(rb.rlen, n * IMSG_HEADER_SIZE);
	ck_assert_uint_eq(rb.nrfds, IMSG_MAX_FDS_QUEUED);
	errno = 0;
	ck_assert_int_eq(imsg_get(&rb, &im), -1);
	ck_assert_int_eq(errno, EBADMSG);
	imsgbuf_clear(&rb);
}
END_TEST

static Suite *
imsgfd_suite(void)
{
	Suite	*s = suite_create("imsg descriptors");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_fd_passing);
	tcase_add_test(tc, test_fd_interleaved);
	tcase_add_test(tc, test_clear_closes_fds);
	tcase_add_test(tc, test_fd_overflow);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(imsgfd_suite());
}
