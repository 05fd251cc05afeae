/*
 * Output queued during the event loop's callbacks and written with one
 * writev once they are done (see outbuf.h for why).
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "outbuf.h"

#define OUTBUF_WRITE_MAX	(256 * 1024)	/* bytes per writev */

static void	outbuf_event_cb(int, short, void *);

void
outbuf_init(struct outbuf *o, struct event_base *base, struct bufferevent *bev,
    void (*flushed)(void *), void *arg)
{
	o->bev = bev;
	o->flushed = flushed;
	o->arg = arg;
	o->pend = evbuffer_new();
	/* No descriptor: this event only ever runs when made active. */
	o->ev = event_new(base, -1, 0, outbuf_event_cb, o);
	if (o->pend == NULL || o->ev == NULL)
		fatalx("%s: out of memory", __func__);
}

/* Drop what is still queued: the connection is being freed. */
void
outbuf_clear(struct outbuf *o)
{
	if (o->ev != NULL)
		event_free(o->ev);
	if (o->pend != NULL)
		evbuffer_free(o->pend);
	o->ev = NULL;
	o->pend = NULL;
}

/* The buffer to append to; it is written once the callbacks are done. */
struct evbuffer *
outbuf_queue(struct outbuf *o)
{
	event_active(o->ev, EV_WRITE, 0);
	return o->pend;
}

/* Everything not yet taken by the socket, ours and the bufferevent's. */
size_t
outbuf_length(const struct outbuf *o)
{
	return evbuffer_get_length(o->pend) +
	    evbuffer_get_length(bufferevent_get_output(o->bev));
}

int
outbuf_add(struct outbuf *o, const void *data, size_t len)
{
	return evbuffer_add(outbuf_queue(o), data, len);
}

/*
 * Write what is queued now if the bufferevent has nothing before it (the
 * order of bytes on the wire is the order they were queued in); hand the
 * rest to the bufferevent, which waits for the socket to take it and
 * reports a write error through its event callback as before.
 */
void
outbuf_flush(struct outbuf *o)
{
	struct evbuffer	*out = bufferevent_get_output(o->bev);
	evutil_socket_t	 fd = bufferevent_getfd(o->bev);

	if (evbuffer_get_length(o->pend) == 0)
		return;
	if (evbuffer_get_length(out) == 0 && fd != -1)
		(void)evbuffer_write_atmost(o->pend, fd, OUTBUF_WRITE_MAX);
	if (evbuffer_get_length(o->pend) > 0)
		(void)evbuffer_add_buffer(out, o->pend);
}

static void
outbuf_event_cb(int fd, short ev, void *arg)
{
	struct outbuf	*o = arg;

	(void)fd;
	(void)ev;
	if (evbuffer_get_length(o->pend) == 0)
		return;
	outbuf_flush(o);
	/*
	 * All of it went to the socket: the bufferevent's write callback
	 * will not run, so tell the owner the way that callback would.
	 */
	if (o->flushed != NULL &&
	    evbuffer_get_length(bufferevent_get_output(o->bev)) == 0)
		o->flushed(o->arg);
}
