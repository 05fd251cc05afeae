/*
 * Reading a socket into its bufferevent's input buffer with one readv a
 * time (see inbuf.h for why).
 */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "inbuf.h"
#include "log.h"

#define INBUF_FIRST	(16 * 1024)	/* the first reservation */

static void	inbuf_readable(int, short, void *);
static void	inbuf_again_cb(int, short, void *);

void
inbuf_init(struct inbuf *ib, struct event_base *base, struct bufferevent *bev,
    size_t high, int (*input)(void *), void (*error)(void *, short),
    void *arg)
{
	ib->bev = bev;
	ib->high = high;
	ib->next = INBUF_FIRST < high ? INBUF_FIRST : high;
	ib->enabled = 0;
	ib->input = input;
	ib->error = error;
	ib->arg = arg;
	ib->ev_read = event_new(base, bufferevent_getfd(bev),
	    EV_READ | EV_PERSIST, inbuf_readable, ib);
	ib->ev_again = event_new(base, -1, 0, inbuf_again_cb, ib);
	if (ib->ev_read == NULL || ib->ev_again == NULL)
		fatalx("%s: out of memory", __func__);
	/*
	 * The bufferevent freezes the end of its input outside its own
	 * reads; it never reads here, so the buffer stays ours to fill.
	 */
	(void)evbuffer_unfreeze(bufferevent_get_input(bev), 0);
}

void
inbuf_clear(struct inbuf *ib)
{
	if (ib->ev_read != NULL)
		event_free(ib->ev_read);
	if (ib->ev_again != NULL)
		event_free(ib->ev_again);
	ib->ev_read = NULL;
	ib->ev_again = NULL;
}

/* Watch the socket while reading is wanted and under the high mark. */
static void
inbuf_arm(struct inbuf *ib)
{
	int	want, watching;

	want = ib->enabled &&
	    evbuffer_get_length(bufferevent_get_input(ib->bev)) < ib->high;
	watching = event_pending(ib->ev_read, EV_READ, NULL);
	if (want && !watching)
		(void)event_add(ib->ev_read, NULL);
	else if (!want && watching)
		(void)event_del(ib->ev_read);
}

void
inbuf_enable(struct inbuf *ib)
{
	ib->enabled = 1;
	inbuf_arm(ib);
}

void
inbuf_disable(struct inbuf *ib)
{
	ib->enabled = 0;
	inbuf_arm(ib);
}

void
inbuf_poke(struct inbuf *ib)
{
	event_active(ib->ev_read, EV_READ, 0);
}

void
inbuf_again(struct inbuf *ib)
{
	event_active(ib->ev_again, EV_TIMEOUT, 0);
}

/*
 * One readv into a reservation of ib->next bytes (never past the high
 * mark), which doubles while reads fill it and shrinks back when one
 * comes in under half: small messages do not get 256 KiB buffers, bulk
 * data is not read 16 KiB a call.  0 at EOF, -1 with errno.
 */
static ssize_t
inbuf_read(struct inbuf *ib, int fd)
{
	struct evbuffer		*in = bufferevent_get_input(ib->bev);
	struct evbuffer_iovec	 v[2];
	size_t			 have = evbuffer_get_length(in), want, left;
	ssize_t			 n;
	int			 nv, i;

	want = ib->high - have;
	if (want > ib->next)
		want = ib->next;
	if ((nv = evbuffer_reserve_space(in, (ev_ssize_t)want, v, 2)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	/* The space reserved may be larger than asked: read no more. */
	left = want;
	for (i = 0; i < nv; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
	}
	do
		n = readv(fd, (struct iovec *)v, nv);
	while (n == -1 && errno == EINTR);
	left = n > 0 ? (size_t)n : 0;
	for (i = 0; i < nv; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
	}
	(void)evbuffer_commit_space(in, v, nv);
	if (n > 0 && (size_t)n == want && ib->next < ib->high)
		ib->next = ib->next * 2 < ib->high ? ib->next * 2 : ib->high;
	else if (n >= 0 && (size_t)n < want / 2 && ib->next > INBUF_FIRST)
		ib->next /= 2;
	return n;
}

ssize_t
inbuf_fill(struct inbuf *ib)
{
	return inbuf_read(ib, bufferevent_getfd(ib->bev));
}

static void
inbuf_run(struct inbuf *ib)
{
	if (ib->input(ib->arg) == -1)
		return;		/* the owner is gone, and ib with it */
	inbuf_arm(ib);
}

static void
inbuf_readable(int fd, short ev, void *arg)
{
	struct inbuf	*ib = arg;
	ssize_t		 n = 1;

	(void)ev;
	if (evbuffer_get_length(bufferevent_get_input(ib->bev)) < ib->high)
		n = inbuf_read(ib, fd);
	if (n == 0) {
		ib->error(ib->arg, BEV_EVENT_READING | BEV_EVENT_EOF);
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		ib->error(ib->arg, BEV_EVENT_READING | BEV_EVENT_ERROR);
		return;
	}
	inbuf_run(ib);
}

static void
inbuf_again_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	inbuf_run(arg);
}
