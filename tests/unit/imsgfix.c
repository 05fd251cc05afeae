/*
 * What the imsg unit tests share (imsgfix.h): socketpairs, pipes, raw
 * writes, and get_one().
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <check.h>

#include "imsg.h"
#include "imsgfix.h"

void
mkpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

void
mkpipe(int p[2])
{
	ck_assert_int_eq(pipe(p), 0);
}

void
raw_send(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
}

int
get_one(struct imsgbuf *rb, struct imsg *im)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		i, r;

	for (i = 0; i < 1000; i++) {
		if ((r = imsg_get(rb, im)) != 0)
			return r;
		if ((n = imsgbuf_read(rb)) == 0)
			return 0;
		if (n == -1) {
			if (errno != EAGAIN)
				return 0;
			pfd.fd = rb->fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 1000) != 1)
				return 0;
		}
	}
	return 0;
}
