/*
 * Unit tests for the imsg module's framing: messages composed and read
 * back whole (one, many in one read, pieces across reads), the payload
 * and argument limits, headers that must fail the stream, the getters
 * that read a payload of an exact or bounded size, and EOF and EAGAIN on
 * read.  Descriptor passing is in check_imsgfd.c, partial writes and
 * flushing in check_imsgwrite.c.  Every test uses its own socketpair.
 */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "imsg.h"
#include "util.h"
#include "imsgfix.h"
#include "unitrun.h"

static void
raw_hdr(struct imsg_hdr *h, uint32_t type, size_t len, uint16_t flags)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->len = (uint32_t)len;
	h->flags = flags;
	h->peerid = 3;
	h->pid = 4;
}

/* Write a bare header to sv[0] and expect imsg_get() to fail on sv[1]. */
static void
expect_badmsg(uint32_t len, uint16_t flags)
{
	struct imsgbuf	rb;
	struct imsg	im;
	struct imsg_hdr	h;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&rb, sv[1]);
	raw_hdr(&h, 1, len, flags);
	raw_send(sv[0], &h, sizeof(h));
	ck_assert_int_eq(imsgbuf_read(&rb), (ssize_t)sizeof(h));
	errno = 0;
	ck_assert_int_eq(imsg_get(&rb, &im), -1);
	ck_assert_int_eq(errno, EBADMSG);
	/* The error sticks: the stream cannot be resynchronised. */
	ck_assert_int_eq(imsg_get(&rb, &im), -1);
	imsgbuf_clear(&rb);
	close(sv[0]);
	close(sv[1]);
}

START_TEST(test_roundtrip)
{
	static const struct {
		uint32_t	 type, peerid;
		pid_t		 pid;
		const char	*s;
	} m[] = {
		{ 1, 10, 100, "alpha" },
		{ 2, 20, 200, "bravo charlie" },
		{ 0xffffffffU, 0xfffffffeU, 12345, "x" },
	};
	struct imsgbuf	wb, rb;
	struct imsg	im;
	size_t		i, len;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(imsg_compose(&wb, m[i].type, m[i].peerid,
		    m[i].pid, -1, m[i].s, strlen(m[i].s)), 0);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 3);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);

	for (i = 0; i < 3; i++) {
		len = strlen(m[i].s);
		ck_assert_int_eq(get_one(&rb, &im), 1);
		ck_assert_uint_eq(im.hdr.type, m[i].type);
		ck_assert_uint_eq(im.hdr.peerid, m[i].peerid);
		ck_assert_uint_eq(im.hdr.pid, (uint32_t)m[i].pid);
		ck_assert_uint_eq(im.hdr.len, IMSG_HEADER_SIZE + len);
		ck_assert_uint_eq(im.hdr.flags, 0);
		ck_assert_int_eq(im.fd, -1);
		ck_assert_uint_eq(im.datalen, len);
		ck_assert_mem_eq(im.data, m[i].s, len);
		imsg_free(&im);
		ck_assert_ptr_null(im.data);
	}
	ck_assert_int_eq(imsg_get(&rb, &im), 0);
	ck_assert_uint_eq(rb.rlen, 0);
	imsgbuf_clear(&wb);
	imsgbuf_clear(&rb);
}
END_TEST

START_TEST(test_pid_default)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	ck_assert_int_eq(get_one(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.pid, (uint32_t)getpid());
	imsg_free(&im);
}
END_TEST

START_TEST(test_empty_payload)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	unsigned char	c;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	ck_assert_int_eq(imsg_compose(&wb, 9, 1, 2, -1, NULL, 0), 0);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	ck_assert_int_eq(get_one(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 9);
	ck_assert_uint_eq(im.hdr.len, IMSG_HEADER_SIZE);
	ck_assert_uint_eq(im.datalen, 0);
	ck_assert_ptr_null(im.data);
	ck_assert_int_eq(imsg_get_data(&im, NULL, 0), 0);
	errno = 0;
	ck_assert_int_eq(imsg_get_data(&im, &c, 1), -1);
	ck_assert_int_eq(errno, EBADMSG);
	imsg_free(&im);
}
END_TEST

START_TEST(test_max_payload)
{
	static unsigned char	buf[IMSG_MAX_PAYLOAD + 1];
	struct imsgbuf		wb, rb;
	struct imsg		im;
	struct iovec		iov[2];
	size_t			i;
	int			sv[2];

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);

	errno = 0;
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 1, -1, buf,
	    IMSG_MAX_PAYLOAD + 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	iov[0].iov_base = buf;
	iov[0].iov_len = IMSG_MAX_PAYLOAD;
	iov[1].iov_base = buf;
	iov[1].iov_len = 1;
	errno = 0;
	ck_assert_int_eq(imsg_composev(&wb, 1, 0, 1, -1, iov, 2), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	/* A length that would wrap a naive sum. */
	iov[1].iov_len = SIZE_MAX;
	errno = 0;
	ck_assert_int_eq(imsg_composev(&wb, 1, 0, 1, -1, iov, 2), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);

	ck_assert_int_eq(imsg_compose(&wb, 2, 0, 1, -1, buf,
	    IMSG_MAX_PAYLOAD), 0);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 1);
	ck_assert_int_eq(imsgbuf_flush(&wb), 0);
	ck_assert_int_eq(get_one(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 2);
	ck_assert_uint_eq(im.hdr.len, IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD);
	ck_assert_uint_eq(im.datalen, IMSG_MAX_PAYLOAD);
	ck_assert_mem_eq(im.data, buf, IMSG_MAX_PAYLOAD);
	imsg_free(&im);
}
END_TEST

START_TEST(test_composev)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	struct iovec	iov[3];
	char		a[] = "ab", c[] = "cdef";
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	iov[0].iov_base = a;
	iov[0].iov_len = 2;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = c;
	iov[2].iov_len = 4;
	ck_assert_int_eq(imsg_composev(&wb, 5, 6, 7, -1, iov, 3), 0);
	ck_assert_int_eq(imsg_composev(&wb, 8, 0, 7, -1, NULL, 0), 0);
	errno = 0;
	ck_assert_int_eq(imsg_composev(&wb, 8, 0, 7, -1, iov, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);

	ck_assert_int_eq(get_one(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 5);
	ck_assert_uint_eq(im.hdr.peerid, 6);
	ck_assert_uint_eq(im.datalen, 6);
	ck_assert_mem_eq(im.data, "abcdef", 6);
	imsg_free(&im);
	ck_assert_int_eq(get_one(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 8);
	ck_assert_uint_eq(im.datalen, 0);
	imsg_free(&im);
}
END_TEST

START_TEST(test_compose_bad_args)
{
	struct imsgbuf	wb;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	errno = 0;
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 0, -2, NULL, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 0, -1, NULL, 5), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(imsgbuf_queuelen(&wb), 0);
	/* Nothing queued: writing is a no-op, not an error. */
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	ck_assert_int_eq(imsgbuf_flush(&wb), 0);
}
END_TEST

START_TEST(test_many_in_one_read)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	uint64_t	v;
	uint32_t	i;
	const uint32_t	n = 500;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	for (i = 0; i < n; i++) {
		v = (uint64_t)i * 0x1000001ULL;
		ck_assert_int_eq(imsg_compose(&wb, i, i, 1, -1, &v,
		    sizeof(v)), 0);
	}
	ck_assert_int_eq(imsgbuf_flush(&wb), 0);
	/* One read takes everything: it all fits in rbuf. */
	ck_assert_int_eq(imsgbuf_read(&rb),
	    (ssize_t)(n * (IMSG_HEADER_SIZE + sizeof(v))));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(imsg_get(&rb, &im), 1);
		ck_assert_uint_eq(im.hdr.type, i);
		ck_assert_int_eq(imsg_get_data(&im, &v, sizeof(v)), 0);
		ck_assert_uint_eq(v, (uint64_t)i * 0x1000001ULL);
		imsg_free(&im);
	}
	ck_assert_int_eq(imsg_get(&rb, &im), 0);
}
END_TEST

/*
 * One whole message, then a second one delivered in pieces: inside its
 * header, inside its payload, then the rest.
 */
START_TEST(test_partial_read)
{
	struct imsgbuf	rb;
	struct imsg	im;
	struct imsg_hdr	h;
	unsigned char	raw[2 * (sizeof(h) + 10)];
	size_t		one = sizeof(h) + 10;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&rb, sv[1]);
	raw_hdr(&h, 6, one, 0);
	memcpy(raw, &h, sizeof(h));
	memcpy(raw + sizeof(h), "ABCDEFGHIJ", 10);
	raw_hdr(&h, 7, one, 0);
	memcpy(raw + one, &h, sizeof(h));
	memcpy(raw + one + sizeof(h), "0123456789", 10);

	raw_send(sv[0], raw, one + 5);
	ck_assert_int_eq(imsgbuf_read(&rb), (ssize_t)(one + 5));
	ck_assert_int_eq(imsg_get(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 6);
	ck_assert_mem_eq(im.data, "ABCDEFGHIJ", 10);
	imsg_free(&im);
	ck_assert_int_eq(imsg_get(&rb, &im), 0);

	raw_send(sv[0], raw + one + 5, one / 2 - 5);
	ck_assert_int_eq(imsgbuf_read(&rb), (ssize_t)(one / 2 - 5));
	ck_assert_int_eq(imsg_get(&rb, &im), 0);

	raw_send(sv[0], raw + one + one / 2, one - one / 2);
	ck_assert_int_eq(imsgbuf_read(&rb), (ssize_t)(one - one / 2));
	ck_assert_int_eq(imsg_get(&rb, &im), 1);
	ck_assert_uint_eq(im.hdr.type, 7);
	ck_assert_uint_eq(im.hdr.peerid, 3);
	ck_assert_uint_eq(im.hdr.pid, 4);
	ck_assert_uint_eq(im.datalen, 10);
	ck_assert_mem_eq(im.data, "0123456789", 10);
	imsg_free(&im);
	ck_assert_int_eq(imsg_get(&rb, &im), 0);
	ck_assert_uint_eq(rb.rlen, 0);
}
END_TEST

START_TEST(test_bad_len_short)
{
	expect_badmsg(0, 0);
	expect_badmsg(IMSG_HEADER_SIZE - 1, 0);
}
END_TEST

START_TEST(test_bad_len_long)
{
	expect_badmsg(IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD + 1, 0);
	expect_badmsg(UINT32_MAX, 0);
}
END_TEST

START_TEST(test_bad_flags)
{
	expect_badmsg(IMSG_HEADER_SIZE, 0x8000);
	expect_badmsg(IMSG_HEADER_SIZE, IMSGF_HASFD | 0x0002);
}
END_TEST

/* The header's pad must be zero: a peer writing it is not ours. */
START_TEST(test_bad_pad)
{
	struct imsgbuf	rb;
	struct imsg	im;
	struct imsg_hdr	h;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&rb, sv[1]);
	raw_hdr(&h, 1, IMSG_HEADER_SIZE, 0);
	h.pad = 1;
	raw_send(sv[0], &h, sizeof(h));
	ck_assert_int_eq(imsgbuf_read(&rb), (ssize_t)sizeof(h));
	errno = 0;
	ck_assert_int_eq(imsg_get(&rb, &im), -1);
	ck_assert_int_eq(errno, EBADMSG);
	imsgbuf_clear(&rb);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_hasfd_without_fd)
{
	expect_badmsg(IMSG_HEADER_SIZE, IMSGF_HASFD);
}
END_TEST

START_TEST(test_get_data_len)
{
	struct imsgbuf	wb, rb;
	struct imsg	im;
	uint32_t	v = 0xdeadbeef, out = 0;
	unsigned char	big[8];
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&wb, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	ck_assert_int_eq(imsg_compose(&wb, 1, 0, 1, -1, &v, sizeof(v)), 0);
	ck_assert_int_eq(imsgbuf_write(&wb), 0);
	ck_assert_int_eq(get_one(&rb, &im), 1);
	errno = 0;
	ck_assert_int_eq(imsg_get_data(&im, big, 3), -1);
	ck_assert_int_eq(errno, EBADMSG);
	errno = 0;
	ck_assert_int_eq(imsg_get_data(&im, big, 5), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(imsg_get_data(&im, &out, sizeof(out)), 0);
	ck_assert_uint_eq(out, 0xdeadbeef);
	imsg_free(&im);
}
END_TEST

/* A message as imsg_get() hands it over, for the getters. */
static struct imsg
msg_of(unsigned char *data, size_t len)
{
	struct imsg	im;

	memset(&im, 0, sizeof(im));
	im.fd = -1;
	im.datalen = len;
	im.data = len > 0 ? data : NULL;
	return im;
}

START_TEST(test_get_empty)
{
	unsigned char	b[1] = { 0 };
	struct imsg	empty = msg_of(NULL, 0), one = msg_of(b, 1);

	ck_assert_int_eq(imsg_get_empty(&empty), 0);
	errno = 0;
	ck_assert_int_eq(imsg_get_empty(&one), -1);
	ck_assert_int_eq(errno, EBADMSG);
}
END_TEST

START_TEST(test_get_head_tail)
{
	unsigned char		 b[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	const unsigned char	*tail = NULL;
	size_t			 taillen = 99;
	uint32_t		 head = 0;
	struct imsg		 im;

	/* Head alone: an empty tail. */
	im = msg_of(b, 4);
	ck_assert_int_eq(imsg_get_head_tail(&im, &head, 4, &tail, &taillen,
	    8), 0);
	ck_assert_ptr_null(tail);
	ck_assert_uint_eq(taillen, 0);
	/* Head and the longest tail allowed. */
	im = msg_of(b, 12);
	ck_assert_int_eq(imsg_get_head_tail(&im, &head, 4, &tail, &taillen,
	    8), 0);
	ck_assert_int_eq(memcmp(&head, b, 4), 0);
	ck_assert_ptr_eq(tail, b + 4);
	ck_assert_uint_eq(taillen, 8);
	/* One byte over the tail's bound, and shorter than the head. */
	head = 0;
	tail = NULL;
	errno = 0;
	ck_assert_int_eq(imsg_get_head_tail(&im, &head, 4, &tail, &taillen,
	    7), -1);
	ck_assert_int_eq(errno, EBADMSG);
	im = msg_of(b, 3);
	ck_assert_int_eq(imsg_get_head_tail(&im, &head, 4, &tail, &taillen,
	    8), -1);
	ck_assert_uint_eq(head, 0);
	ck_assert_ptr_null(tail);
}
END_TEST

START_TEST(test_get_blob)
{
	unsigned char		 b[4] = { 1, 2, 3, 4 };
	const unsigned char	*blob = NULL;
	size_t			 len = 0;
	struct imsg		 im;

	im = msg_of(b, 4);
	ck_assert_int_eq(imsg_get_blob(&im, &blob, &len, 4), 0);
	ck_assert_ptr_eq(blob, b);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(imsg_get_blob(&im, &blob, &len, 3), -1);
	im = msg_of(NULL, 0);
	ck_assert_int_eq(imsg_get_blob(&im, &blob, &len, 4), -1);
}
END_TEST

START_TEST(test_eof)
{
	struct imsgbuf	rb;
	struct imsg	im;
	int		sv[2];

	mkpair(sv);
	imsgbuf_init(&rb, sv[1]);
	raw_send(sv[0], "abc", 3);
	close(sv[0]);
	ck_assert_int_eq(imsgbuf_read(&rb), 3);
	ck_assert_int_eq(imsgbuf_read(&rb), 0);
	/* A truncated header is not a message. */
	ck_assert_int_eq(imsg_get(&rb, &im), 0);
}
END_TEST

START_TEST(test_read_eagain)
{
	struct imsgbuf	rb;
	int		sv[2];

	mkpair(sv);
	ck_assert_int_eq(nc_set_nonblock(sv[1], 1), 0);
	imsgbuf_init(&rb, sv[1]);
	errno = 0;
	ck_assert_int_eq(imsgbuf_read(&rb), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

static Suite *
imsg_suite(void)
{
	Suite	*s = suite_create("imsg");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_pid_default);
	tcase_add_test(tc, test_empty_payload);
	tcase_add_test(tc, test_max_payload);
	tcase_add_test(tc, test_composev);
	tcase_add_test(tc, test_compose_bad_args);
	tcase_add_test(tc, test_many_in_one_read);
	tcase_add_test(tc, test_partial_read);
	tcase_add_test(tc, test_bad_len_short);
	tcase_add_test(tc, test_bad_len_long);
	tcase_add_test(tc, test_bad_flags);
	tcase_add_test(tc, test_bad_pad);
	tcase_add_test(tc, test_hasfd_without_fd);
	tcase_add_test(tc, test_get_data_len);
	tcase_add_test(tc, test_get_empty);
	tcase_add_test(tc, test_get_head_tail);
	tcase_add_test(tc, test_get_blob);
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_read_eagain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(imsg_suite());
}
