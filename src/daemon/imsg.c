/*
 * imsg-style IPC over a connected UNIX stream socket; see imsg.h.
 *
 * The write side keeps a queue of whole messages.  A message's fd is
 * sent with the sendmsg() that carries the message's first byte, and a
 * message with an fd always starts a sendmsg(): at most one fd travels
 * per call.  Linux stops a stream recvmsg() after the segment that
 * carried fds, so the reader receives each fd no later than the first
 * byte of its message and can queue fds in order and hand the oldest to
 * the next message flagged IMSGF_HASFD.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "util.h"

#define IMSG_WRITE_IOVMAX	64	/* messages per sendmsg() */
#define IMSG_FLUSH_TIMEOUT_MS	10000	/* flush gives up without progress */
#define IMSG_MAX_LEN		(IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD)

_Static_assert(sizeof(struct imsg_hdr) == 20, "imsg header has padding");
_Static_assert(IMSG_READ_BUFSZ > IMSG_MAX_LEN, "rbuf must hold a message");

struct imsg_wmsg {
	TAILQ_ENTRY(imsg_wmsg)	 entry;
	size_t			 len;	/* header + payload */
	size_t			 off;	/* bytes already sent */
	int			 fd;	/* -1 when none or already sent */
	unsigned char		 buf[];
};

static struct imsg_wmsg	*wmsg_new(struct imsgbuf *, uint32_t, uint32_t,
			    pid_t, int, size_t);
static void		 wmsg_enqueue(struct imsgbuf *, struct imsg_wmsg *);
static void		 wmsg_free(struct imsg_wmsg *);
static ssize_t		 wq_send(struct imsgbuf *);
static void		 wq_consume(struct imsgbuf *, size_t);
static void		 rfds_collect(struct imsgbuf *, struct msghdr *);

void
imsgbuf_init(struct imsgbuf *ibuf, int fd)
{
	memset(ibuf, 0, sizeof(*ibuf));
	ibuf->fd = fd;
	ibuf->pid = getpid();
	TAILQ_INIT(&ibuf->wq);
}

void
imsgbuf_clear(struct imsgbuf *ibuf)
{
	struct imsg_wmsg	*w;
	size_t			 i;

	while ((w = TAILQ_FIRST(&ibuf->wq)) != NULL) {
		TAILQ_REMOVE(&ibuf->wq, w, entry);
		wmsg_free(w);
	}
	ibuf->wqueued = 0;
	for (i = 0; i < ibuf->nrfds; i++)
		(void)close(ibuf->rfds[i]);
	ibuf->nrfds = 0;
	ibuf->rlen = 0;
	ibuf->rpos = 0;
	ibuf->rerr = 0;
}

/*
 * Allocate a message with its header filled in and room for datalen
 * payload bytes.  A pid of 0 means "this process", as in OpenBSD.
 */
static struct imsg_wmsg *
wmsg_new(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, size_t datalen)
{
	struct imsg_wmsg	*w;
	struct imsg_hdr		 hdr;

	if (datalen > IMSG_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (fd < -1) {
		errno = EBADF;
		return NULL;
	}
	if ((w = malloc(sizeof(*w) + IMSG_HEADER_SIZE + datalen)) == NULL)
		return NULL;
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)(IMSG_HEADER_SIZE + datalen);
	hdr.flags = fd != -1 ? IMSGF_HASFD : 0;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)(pid != 0 ? pid : ibuf->pid);
	memcpy(w->buf, &hdr, sizeof(hdr));
	w->len = IMSG_HEADER_SIZE + datalen;
	w->off = 0;
	w->fd = fd;
	return w;
}

static void
wmsg_enqueue(struct imsgbuf *ibuf, struct imsg_wmsg *w)
{
	TAILQ_INSERT_TAIL(&ibuf->wq, w, entry);
	ibuf->wqueued++;
}

static void
wmsg_free(struct imsg_wmsg *w)
{
	if (w->fd != -1)
		(void)close(w->fd);
	free(w);
}

/*
 * On failure the fd is not queued, so it still belongs to the caller
 * (as with OpenBSD's imsg_compose()).
 */
int
imsg_compose(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	struct imsg_wmsg	*w;

	if (datalen > 0 && data == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((w = wmsg_new(ibuf, type, peerid, pid, fd, datalen)) == NULL)
		return -1;
	if (datalen > 0)
		memcpy(w->buf + IMSG_HEADER_SIZE, data, datalen);
	wmsg_enqueue(ibuf, w);
	return 0;
}

int
imsg_composev(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	struct imsg_wmsg	*w;
	size_t			 datalen = 0, off;
	int			 i;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		errno = EINVAL;
		return -1;
	}
	/* Sum step by step so that huge iov_len values cannot wrap. */
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > IMSG_MAX_PAYLOAD - datalen) {
			errno = EMSGSIZE;
			return -1;
		}
		if (iov[i].iov_len > 0 && iov[i].iov_base == NULL) {
			errno = EINVAL;
			return -1;
		}
		datalen += iov[i].iov_len;
	}
	if ((w = wmsg_new(ibuf, type, peerid, pid, fd, datalen)) == NULL)
		return -1;
	off = IMSG_HEADER_SIZE;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(w->buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	wmsg_enqueue(ibuf, w);
	return 0;
}

/* Drop n sent bytes from the head of the queue. */
static void
wq_consume(struct imsgbuf *ibuf, size_t n)
{
	struct imsg_wmsg	*w, *next;
	size_t			 left;

	for (w = TAILQ_FIRST(&ibuf->wq); w != NULL && n > 0; w = next) {
		next = TAILQ_NEXT(w, entry);
		left = w->len - w->off;
		if (n < left) {
			w->off += n;
			return;
		}
		n -= left;
		TAILQ_REMOVE(&ibuf->wq, w, entry);
		ibuf->wqueued--;
		wmsg_free(w);
	}
}

/*
 * One sendmsg() of queued data.  Returns bytes sent, 0 when the socket
 * is full (or we were interrupted), -1 on error.
 */
static ssize_t
wq_send(struct imsgbuf *ibuf)
{
	struct iovec		 iov[IMSG_WRITE_IOVMAX];
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	}			 cmsgbuf;
	struct msghdr		 msg;
	struct cmsghdr		*cmsg;
	struct imsg_wmsg	*w, *fdmsg = NULL;
	ssize_t			 n;
	int			 i = 0;

	for (w = TAILQ_FIRST(&ibuf->wq); w != NULL && i < IMSG_WRITE_IOVMAX;
	    w = TAILQ_NEXT(w, entry)) {
		/*
		 * A message with an fd opens its own sendmsg() so that
		 * the fd goes with its first byte and no other fd.
		 * The analyzer misses that wq_consume()'s TAILQ_REMOVE()
		 * updates the head, and reports a use after free here.
		 */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (w->fd != -1) {
			if (i > 0)
				break;
			fdmsg = w;
		}
		iov[i].iov_base = w->buf + w->off;
		iov[i].iov_len = w->len - w->off;
		i++;
	}
	if (i == 0)
		return 0;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)i;
	if (fdmsg != NULL) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fdmsg->fd, sizeof(int));
	}

	if ((n = sendmsg(ibuf->fd, &msg, MSG_NOSIGNAL)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	/* Any byte sent means the fd went too: the kernel holds it now. */
	if (fdmsg != NULL && n > 0) {
		(void)close(fdmsg->fd);
		fdmsg->fd = -1;
	}
	wq_consume(ibuf, (size_t)n);
	return n;
}

int
imsgbuf_write(struct imsgbuf *ibuf)
{
	return wq_send(ibuf) == -1 ? -1 : 0;
}

int
imsgbuf_flush(struct imsgbuf *ibuf)
{
	struct pollfd	pfd;
	long long	deadline, left;
	ssize_t		n;

	deadline = (long long)now_ms() + IMSG_FLUSH_TIMEOUT_MS;
	while (!TAILQ_EMPTY(&ibuf->wq)) {
		if ((n = wq_send(ibuf)) == -1)
			return -1;
		if (n > 0) {
			deadline = (long long)now_ms() + IMSG_FLUSH_TIMEOUT_MS;
			continue;
		}
		if ((left = deadline - (long long)now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = ibuf->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return -1;
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		/* POLLERR/POLLHUP: the next sendmsg() reports the error. */
	}
	return 0;
}

int
imsgbuf_queuelen(const struct imsgbuf *ibuf)
{
	/* The number of messages waiting, capped to fit the return type. */
	return ibuf->wqueued > INT_MAX ? INT_MAX : (int)ibuf->wqueued;
}

/*
 * Queue the fds of every SCM_RIGHTS message.  Fds that do not fit, or a
 * truncated control buffer, mean fds were lost and could no longer be
 * matched to their messages: the stream is marked broken.
 */
static void
rfds_collect(struct imsgbuf *ibuf, struct msghdr *msg)
{
	struct cmsghdr	*cmsg;
	size_t		 i, nfds;
	int		 fd;

	if (msg->msg_flags & MSG_CTRUNC)
		ibuf->rerr = 1;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			/* CMSG_DATA need not be int-aligned for each slot. */
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (ibuf->nrfds < IMSG_MAX_FDS_QUEUED) {
				ibuf->rfds[ibuf->nrfds++] = fd;
			} else {
				(void)close(fd);
				ibuf->rerr = 1;
			}
		}
	}
}

ssize_t
imsgbuf_read(struct imsgbuf *ibuf)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int) *
				    IMSG_MAX_FDS_QUEUED)];
	}			 cmsgbuf;
	struct msghdr		 msg;
	struct iovec		 iov;
	ssize_t			 n;

	if (ibuf->rpos > 0) {
		if (ibuf->rlen > 0)
			memmove(ibuf->rbuf, ibuf->rbuf + ibuf->rpos,
			    ibuf->rlen);
		ibuf->rpos = 0;
	}
	/* Only if the caller reads without taking messages out. */
	if (ibuf->rlen >= sizeof(ibuf->rbuf)) {
		errno = ENOBUFS;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ibuf->rbuf + ibuf->rlen;
	iov.iov_len = sizeof(ibuf->rbuf) - ibuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	if ((n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		/* Nothing was read; the caller retries when readable. */
		if (errno == EINTR)
			errno = EAGAIN;
		return -1;
	}
	rfds_collect(ibuf, &msg);
	ibuf->rlen += (size_t)n;
	return n;
}

int
imsg_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct imsg_hdr		 hdr;
	const unsigned char	*p = ibuf->rbuf + ibuf->rpos;
	unsigned char		*data = NULL;
	size_t			 datalen;

	imsg->fd = -1;
	imsg->data = NULL;
	imsg->datalen = 0;

	if (ibuf->rerr) {
		errno = EBADMSG;
		return -1;
	}
	if (ibuf->rlen < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.len < IMSG_HEADER_SIZE || hdr.len > IMSG_MAX_LEN ||
	    (hdr.flags & ~IMSGF_HASFD) != 0 || hdr.pad != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (ibuf->rlen < hdr.len)
		return 0;
	if ((hdr.flags & IMSGF_HASFD) && ibuf->nrfds == 0) {
		errno = EBADMSG;
		return -1;
	}

	datalen = hdr.len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return -1;
		memcpy(data, p + IMSG_HEADER_SIZE, datalen);
	}
	imsg->hdr = hdr;
	imsg->datalen = datalen;
	imsg->data = data;
	if (hdr.flags & IMSGF_HASFD) {
		imsg->fd = ibuf->rfds[0];
		ibuf->nrfds--;
		memmove(ibuf->rfds, ibuf->rfds + 1,
		    ibuf->nrfds * sizeof(ibuf->rfds[0]));
	}

	/* imsgbuf_read() compacts what is left before reading again. */
	ibuf->rpos += hdr.len;
	ibuf->rlen -= hdr.len;
	if (ibuf->rlen == 0)
		ibuf->rpos = 0;
	return 1;
}

void
imsg_free(struct imsg *imsg)
{
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
	if (imsg->fd != -1)
		(void)close(imsg->fd);
	imsg->fd = -1;
}

int
imsg_take_fd(struct imsg *imsg)
{
	int	fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}

int
imsg_get_data(const struct imsg *imsg, void *out, size_t len)
{
	if (len != imsg->datalen || (len > 0 && (out == NULL ||
	    imsg->data == NULL))) {
		errno = EBADMSG;
		return -1;
	}
	if (len > 0)
		memcpy(out, imsg->data, len);
	return 0;
}

int
imsg_get_empty(const struct imsg *imsg)
{
	return imsg_get_data(imsg, NULL, 0);
}

int
imsg_get_head_tail(const struct imsg *imsg, void *head, size_t headlen,
    const unsigned char **tail, size_t *taillen, size_t tailmax)
{
	if (imsg->datalen < headlen || imsg->datalen - headlen > tailmax ||
	    (headlen > 0 && (head == NULL || imsg->data == NULL))) {
		errno = EBADMSG;
		return -1;
	}
	if (headlen > 0)
		memcpy(head, imsg->data, headlen);
	*taillen = imsg->datalen - headlen;
	*tail = *taillen > 0 ? imsg->data + headlen : NULL;
	return 0;
}

int
imsg_get_blob(const struct imsg *imsg, const unsigned char **blob,
    size_t *len, size_t max)
{
	if (imsg->datalen == 0 || imsg->datalen > max || imsg->data == NULL) {
		errno = EBADMSG;
		return -1;
	}
	*blob = imsg->data;
	*len = imsg->datalen;
	return 0;
}
