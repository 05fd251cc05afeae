/*
 * Input read from a socket into its bufferevent's input buffer by our
 * own event, in place of the bufferevent's reading; used by link.c and
 * session.c.
 */
#ifndef NC_INBUF_H
#define NC_INBUF_H

#include <stddef.h>

struct bufferevent;
struct event;
struct event_base;

/*
 * libevent 2.1 asks the kernel how much is readable (an ioctl) before
 * every read, and reads at most 4 KiB a call: one system call more for
 * each small message and sixteen reads for each large one.  Here one
 * readv takes what is there, up to the high mark, into a reservation
 * that grows while reads fill it.  The bufferevent keeps the writing,
 * the connect and the input buffer; its own reading is never enabled.
 *
 * input() is called with what is buffered and returns 0, or -1 when it
 * freed its owner (and with it this inbuf); error() gets EOF or a read
 * error (BEV_EVENT_READING | BEV_EVENT_EOF or _ERROR) and may free it.
 */
struct inbuf {
	struct bufferevent	*bev;
	struct event		*ev_read;	/* the socket is readable */
	struct event		*ev_again;	/* look at what is buffered */
	size_t			 high;		/* no reading past this */
	size_t			 next;		/* size of the next reservation */
	int			 enabled;
	int			(*input)(void *);
	void			(*error)(void *, short);
	void			*arg;
};

void	inbuf_init(struct inbuf *, struct event_base *, struct bufferevent *,
	    size_t high, int (*input)(void *), void (*error)(void *, short),
	    void *);
void	inbuf_clear(struct inbuf *);
void	inbuf_enable(struct inbuf *);
void	inbuf_disable(struct inbuf *);
/* Have input() look at the buffer again from the event loop. */
void	inbuf_again(struct inbuf *);
/* Read now, as if the socket had said it was readable (a new socket). */
void	inbuf_poke(struct inbuf *);
/* One read into the buffer, no callback: what is left, when it breaks. */
ssize_t	inbuf_fill(struct inbuf *);

#endif
