/*
 * What the imsg unit tests (check_imsg, check_imsgfd, check_imsgwrite)
 * share: socketpairs and pipes made or the test fails, raw writes, and a
 * bounded wait for the next message.
 */
#ifndef NC_TEST_IMSGFIX_H
#define NC_TEST_IMSGFIX_H

#include <stddef.h>

#include "imsg.h"

/* A connected pair of UNIX stream sockets, one end per imsgbuf. */
void	mkpair(int sv[2]);
void	mkpipe(int p[2]);
/* Write buf to fd: the test fails unless one write(2) takes it all. */
void	raw_send(int fd, const void *buf, size_t len);

/*
 * Take the next message, reading (and waiting up to 1 s) as needed.
 * Returns imsg_get()'s 1 or -1, or 0 on EOF, read error or timeout.
 */
int	get_one(struct imsgbuf *rb, struct imsg *im);

#endif
