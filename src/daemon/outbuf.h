/*
 * Output written straight to the socket at the end of the event loop's
 * current callbacks, with one writev for everything queued meanwhile;
 * used by link.c and session.c for their bufferevents.
 */
#ifndef NC_OUTBUF_H
#define NC_OUTBUF_H

#include <stddef.h>

struct bufferevent;
struct event;
struct event_base;
struct evbuffer;

/*
 * A bufferevent writes its output only on the next loop iteration, after
 * an epoll_ctl to watch for POLLOUT, an epoll_wait to learn it, and an
 * epoll_ctl to stop watching: four system calls for each small message.
 * Here records go to a buffer of our own; an event that waits on nothing
 * is made active (no system call), and its callback writes the buffer if
 * the bufferevent has nothing queued.  What the socket does not take is
 * handed to the bufferevent, which keeps the order, the watermarks and
 * the error reporting exactly as before.
 */
struct outbuf {
	struct bufferevent	*bev;
	struct evbuffer		*pend;		/* queued, not yet written */
	struct event		*ev;		/* active while pend is not
						   empty */
	void			(*flushed)(void *);
	void			*arg;
};

void		 outbuf_init(struct outbuf *, struct event_base *,
		    struct bufferevent *, void (*flushed)(void *), void *);
void		 outbuf_clear(struct outbuf *);
struct evbuffer	*outbuf_queue(struct outbuf *);
size_t		 outbuf_length(const struct outbuf *);
int		 outbuf_add(struct outbuf *, const void *, size_t);
void		 outbuf_flush(struct outbuf *);

#endif
