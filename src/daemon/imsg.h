/*
 * A small imsg-style IPC module (doc/DESIGN.md section 2).
 *
 * Every message is a fixed header followed by at most IMSG_MAX_PAYLOAD
 * bytes; at most one file descriptor travels with a message as
 * SCM_RIGHTS ancillary data.  The header is in host byte order: both
 * ends are processes of the same binary on the same machine.
 *
 * Writing queues whole messages; imsgbuf_write() sends as much as the
 * socket takes with one sendmsg() per call.  Reading is "read once, then
 * take whole messages out": imsgbuf_read() does one recvmsg(), imsg_get()
 * returns complete messages.  A length under the header size or over the
 * limit is a protocol error: the caller must treat it as fatal.
 */
#ifndef NC_IMSG_H
#define NC_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a spooled message: a 65280-byte payload, names, metadata. */
#define IMSG_MAX_PAYLOAD	(64 * 1024 + 1024)
#define IMSG_READ_BUFSZ		(128 * 1024)
#define IMSG_MAX_FDS_QUEUED	32
#define IMSGF_HASFD		0x0001

struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;		/* header included */
	uint16_t	flags;
	uint16_t	pad;		/* 0 */
	uint32_t	peerid;
	uint32_t	pid;
};

#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)

struct imsg_wmsg;			/* a queued outgoing message */
TAILQ_HEAD(imsg_wqueue, imsg_wmsg);

struct imsgbuf {
	int			 fd;
	pid_t			 pid;
	struct imsg_wqueue	 wq;
	size_t			 wqueued;	/* messages waiting */
	unsigned char		 rbuf[IMSG_READ_BUFSZ];
	size_t			 rlen;		/* bytes held in rbuf */
	int			 rfds[IMSG_MAX_FDS_QUEUED];
	size_t			 nrfds;		/* received fds not yet taken */
	size_t			 rpos;		/* rbuf offset of held bytes */
	int			 rerr;		/* fds were lost: stream broken */
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 when none */
	size_t		 datalen;	/* hdr.len - IMSG_HEADER_SIZE */
	unsigned char	*data;		/* owned by the imsg; NULL if datalen 0 */
};

/* Set up a buffer over a connected socket; never fails. */
void	imsgbuf_init(struct imsgbuf *, int fd);
/* Drop queued output and close every received fd not yet taken. */
void	imsgbuf_clear(struct imsgbuf *);

/*
 * Queue one message.  fd (or -1) is passed with it and closed here once
 * sent (or on imsgbuf_clear()).  Returns 0, or -1 with errno set
 * (EMSGSIZE when datalen > IMSG_MAX_PAYLOAD, ENOMEM); on failure the
 * caller still owns fd.  A pid of 0 sends the buffer's own pid.
 */
int	imsg_compose(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const void *data, size_t datalen);
/* The same, with the payload gathered from an iovec array. */
struct iovec;
int	imsg_composev(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const struct iovec *iov, int iovcnt);

/* One sendmsg() of queued data: 0 ok (or EAGAIN), -1 error, errno set. */
int	imsgbuf_write(struct imsgbuf *);
/* Write until the queue is empty, waiting with poll() if need be. */
int	imsgbuf_flush(struct imsgbuf *);
/* Non-zero when output is waiting. */
int	imsgbuf_queuelen(const struct imsgbuf *);

/*
 * One recvmsg() into the read buffer.  Returns bytes read, 0 on EOF,
 * -1 with errno set (EAGAIN when nothing was there).
 */
ssize_t	imsgbuf_read(struct imsgbuf *);

/*
 * Take the next whole message out of the read buffer.
 * Returns 1 with *imsg filled, 0 when no whole message is buffered, and
 * -1 (errno EBADMSG) on a bad length or a message flagged with an fd when
 * no fd was received: the peer is broken and the caller must stop.
 */
int	imsg_get(struct imsgbuf *, struct imsg *);
/* Free the payload and close an fd the caller did not take. */
void	imsg_free(struct imsg *);
/* Take the fd out of the message (the caller then owns it). */
int	imsg_take_fd(struct imsg *);
/*
 * The getters below check a message's shape before anything reads it;
 * each returns 0, or -1 with errno EBADMSG and *out untouched.
 */
/* Copy the payload, which must be exactly len bytes. */
int	imsg_get_data(const struct imsg *, void *out, size_t len);
/* The payload must be empty. */
int	imsg_get_empty(const struct imsg *);
/*
 * A fixed head of headlen bytes, copied to head, then a tail of at most
 * tailmax bytes, left in the message: *tail points into it (NULL when
 * the tail is empty) and *taillen says how long it is.
 */
int	imsg_get_head_tail(const struct imsg *, void *head, size_t headlen,
	    const unsigned char **tail, size_t *taillen, size_t tailmax);
/* A payload of 1 to max bytes, left in the message (a blob, a key). */
int	imsg_get_blob(const struct imsg *, const unsigned char **blob,
	    size_t *len, size_t max);

#endif
