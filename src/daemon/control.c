/*
 * The control socket, served by the network child for netcryptctl(8).
 *
 * A client connects, sends one request record and gets one answer: some
 * CTL_TEXT records, then CTL_END.  Then the daemon closes the connection.
 * A reload or check is answered by the master: the client waits, within
 * its deadline, until control_answer() is called with its id.
 * The socket is only reachable by root (or the admin group), yet every
 * byte a client sends is treated as hostile: requests are bounded, each
 * client has a deadline, and their number is capped, so that a stuck or
 * malicious client can neither crash nor stall the network child.
 *
 * Only calls the network child's seccomp filter allows are used here:
 * accept4, read, sendto (send), close, fcntl and getsockopt.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acceptpause.h"
#include "buf.h"
#include "control.h"
#include "log.h"
#include "util.h"

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	unsigned int		 id;		/* for the logs */
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_timer;
	/* The request: header, then a body of at most CTL_MAX_BODY. */
	uint8_t			 req[CTL_HDR_LEN + CTL_MAX_BODY];
	size_t			 reqlen;	/* bytes read so far */
	size_t			 reqwant;	/* complete record size */
	/* The answer, already framed. */
	uint8_t			*out;
	size_t			 outlen;
	size_t			 outoff;	/* bytes sent so far */
	int			 waiting;	/* for control_answer() */
	int			 complete;	/* CTL_END is in out */
};
TAILQ_HEAD(ctl_clients, ctl_client);

static struct {
	struct event_base	*base;
	int			 fd;		/* listening; -1 when off */
	struct acceptpause	*listener;	/* pauses after EMFILE */
	struct ratelog		 full_log;	/* "clients already" */
	struct control_ops	 ops;
	struct ctl_clients	 clients;
	size_t			 nclients;
	unsigned int		 nextid;
	unsigned int		 timeout_ms;
} ctl = { .fd = -1 };

static void	ctl_accept(int, short, void *);
static void	ctl_read(int, short, void *);
static void	ctl_write(int, short, void *);
static void	ctl_timeout(int, short, void *);
static void	ctl_close(struct ctl_client *);
static void	ctl_dispatch(struct ctl_client *);
static void	ctl_show(struct ctl_client *, const uint8_t *, size_t);
static void	ctl_reload(struct ctl_client *, uint8_t, size_t);
static void	ctl_queue(struct ctl_client *, const uint8_t *, size_t);
static void	ctl_answer_text(struct ctl_client *, const char *, size_t);
static void	ctl_fail(struct ctl_client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	ctl_send(struct ctl_client *);
static void	ctl_arm_timer(struct ctl_client *);

/* ---- the socket --------------------------------------------------- */

void
control_set_timeout_ms(unsigned int ms)
{
	ctl.timeout_ms = ms;
}

void
control_init(struct event_base *base, int fd, const struct control_ops *ops)
{
	if (ctl.fd != -1)
		fatalx("%s: already serving a control socket", __func__);
	if (base == NULL || fd < 0 || ops == NULL || ops->snapshot == NULL ||
	    ops->peer == NULL)
		fatalx("%s: bad arguments", __func__);
	/* accept4() must never block the event loop. */
	if (nc_set_nonblock(fd, 1) == -1)
		fatal("%s: cannot make the control socket non-blocking",
		    __func__);
	ctl.base = base;
	ctl.fd = fd;
	ctl.ops = *ops;
	TAILQ_INIT(&ctl.clients);
	ctl.nclients = 0;
	ctl.listener = acceptpause_new(base, fd, ctl_accept, NULL,
	    "the control socket");
	log_debug("control: serving the control socket");
}

void
control_shutdown(void)
{
	struct ctl_client	*c;

	while ((c = TAILQ_FIRST(&ctl.clients)) != NULL)
		ctl_close(c);
	acceptpause_free(ctl.listener);
	ctl.listener = NULL;
	if (ctl.fd != -1) {
		(void)close(ctl.fd);
		log_debug("control: socket closed");
	}
	ctl.fd = -1;
	ctl.base = NULL;
}

static struct timeval
ms_to_tv(unsigned int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

static void
ctl_log_peer(struct ctl_client *c)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    len == sizeof(cred))
		log_debug("control: client %u connected (pid %ld uid %ld)",
		    c->id, (long)cred.pid, (long)cred.uid);
	else
		log_debug("control: client %u connected", c->id);
}

static void
ctl_accept(int lfd, short ev, void *arg)
{
	struct ctl_client	*c;
	uint64_t		 suppressed;
	char			 note[64];
	int			 fd;

	(void)ev;
	(void)arg;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		acceptpause_failed(ctl.listener, errno);
		return;
	}
	/* Refusing by closing is all a flood of clients gets. */
	if (ctl.nclients >= CTL_MAX_CLIENTS) {
		if (ratelog_allow(&ctl.full_log, acceptpause_now_ms(),
		    &suppressed))
			log_warnx("control: %d clients already, refusing "
			    "another%s", CTL_MAX_CLIENTS, ratelog_note(
			    suppressed, note, sizeof(note)));
		(void)close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control: client");
		(void)close(fd);
		return;
	}
	c->fd = fd;
	c->id = ++ctl.nextid;
	c->reqwant = CTL_HDR_LEN;
	TAILQ_INSERT_TAIL(&ctl.clients, c, entry);
	ctl.nclients++;
	c->ev_read = event_new(ctl.base, fd, EV_READ | EV_PERSIST, ctl_read,
	    c);
	c->ev_write = event_new(ctl.base, fd, EV_WRITE | EV_PERSIST,
	    ctl_write, c);
	c->ev_timer = evtimer_new(ctl.base, ctl_timeout, c);
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_timer == NULL ||
	    event_add(c->ev_read, NULL) == -1) {
		log_warnx("control: cannot set up client events");
		ctl_close(c);
		return;
	}
	/*
	 * The timer is not re-armed while reading: a request is a few bytes,
	 * so it must arrive whole in time, and a client trickling a byte at
	 * a time cannot hold a slot forever.
	 */
	ctl_arm_timer(c);
	ctl_log_peer(c);
}

static void
ctl_arm_timer(struct ctl_client *c)
{
	struct timeval	tv;

	tv = ms_to_tv(ctl.timeout_ms ? ctl.timeout_ms : CTL_TIMEOUT * 1000);
	(void)evtimer_add(c->ev_timer, &tv);
}

static void
ctl_close(struct ctl_client *c)
{
	TAILQ_REMOVE(&ctl.clients, c, entry);
	ctl.nclients--;
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	(void)close(c->fd);
	free(c->out);
	log_debug("control: client %u closed", c->id);
	free(c);
}

static void
ctl_timeout(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;

	(void)fd;
	(void)ev;
	log_warnx("control: client %u timed out %s", c->id,
	    c->waiting ? "waiting for its answer" : c->out == NULL ?
	    "sending its request" : "reading the answer");
	ctl_close(c);
}

/* ---- requests ----------------------------------------------------- */

static void
ctl_read(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;
	struct reader		 r;
	ssize_t			 n;
	uint32_t		 len;

	(void)ev;
	/* Read no further than the record: one request per connection. */
	n = read(fd, c->req + c->reqlen, c->reqwant - c->reqlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("control: client %u: read: %s", c->id,
		    strerror(errno));
		ctl_close(c);
		return;
	}
	if (n == 0) {
		log_debug("control: client %u left before its request was "
		    "complete", c->id);
		ctl_close(c);
		return;
	}
	c->reqlen += (size_t)n;
	if (c->reqlen == CTL_HDR_LEN && c->reqwant == CTL_HDR_LEN) {
		rd_init(&r, c->req, CTL_HDR_LEN);
		len = rd_u32(&r);
		/* Not worth an answer: it is not speaking our protocol. */
		if (len > CTL_MAX_BODY) {
			log_warnx("control: client %u: request of %" PRIu32
			    " bytes, more than %d; dropped", c->id, len,
			    CTL_MAX_BODY);
			ctl_close(c);
			return;
		}
		c->reqwant = CTL_HDR_LEN + len;
	}
	if (c->reqlen < c->reqwant)
		return;
	(void)event_del(c->ev_read);
	ctl_dispatch(c);
}

static void
ctl_dispatch(struct ctl_client *c)
{
	const uint8_t	*body = c->req + CTL_HDR_LEN;
	size_t		 len = c->reqlen - CTL_HDR_LEN;
	uint8_t		 type = c->req[CTL_TYPE_OFF];

	switch (type) {
	case CTL_SHOW:
		ctl_show(c, body, len);
		break;
	case CTL_RELOAD:
	case CTL_CHECK:
		ctl_reload(c, type, len);
		break;
	case CTL_QUEUE:
		ctl_queue(c, body, len);
		break;
	default:
		log_warnx("control: client %u: unknown request type %u",
		    c->id, type);
		ctl_fail(c, "unknown request type %u", type);
		break;
	}
}

/* Take a snapshot of the daemon and format it; NULL on failure. */
static char *
ctl_snapshot(int json)
{
	struct ctl_daemon	 d;
	struct ctl_peer		*peers = NULL;
	size_t			 i, n;
	char			*text;

	memset(&d, 0, sizeof(d));
	n = ctl.ops.snapshot(ctl.ops.arg, &d);
	if (n > 0 && (peers = calloc(n, sizeof(*peers))) == NULL) {
		log_warn("control: snapshot of %zu peers", n);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		ctl.ops.peer(ctl.ops.arg, i, &peers[i]);
		/* Never trust a fixed-size string to be terminated. */
		peers[i].name[sizeof(peers[i].name) - 1] = '\0';
		peers[i].address[sizeof(peers[i].address) - 1] = '\0';
		peers[i].fingerprint[sizeof(peers[i].fingerprint) - 1] = '\0';
	}
	d.name[sizeof(d.name) - 1] = '\0';
	d.fingerprint[sizeof(d.fingerprint) - 1] = '\0';
	text = control_format(&d, peers, n, json);
	free(peers);
	if (text == NULL)
		log_warnx("control: cannot format the answer");
	return text;
}

static void
ctl_show(struct ctl_client *c, const uint8_t *body, size_t len)
{
	struct reader	 r;
	uint8_t		 flags;
	char		*text;

	rd_init(&r, body, len);
	flags = rd_u8(&r);
	if (rd_done(&r) == -1) {
		log_warnx("control: client %u: malformed show request", c->id);
		ctl_fail(c, "malformed show request");
		return;
	}
	if (flags & ~CTL_F_JSON) {
		log_warnx("control: client %u: unknown show flags 0x%02x",
		    c->id, flags);
		ctl_fail(c, "unknown show flags 0x%02x", flags);
		return;
	}
	log_debug("control: client %u: show%s", c->id,
	    (flags & CTL_F_JSON) ? " json" : "");
	if ((text = ctl_snapshot(flags & CTL_F_JSON)) == NULL) {
		ctl_fail(c, "out of memory");
		return;
	}
	ctl_answer_text(c, text, strlen(text));
	free(text);
}

/*
 * Append one record to the client's answer and see that it is sent:
 * 0, or -1 when the client was closed (out of memory, or an answer past
 * CTL_MAX_ANSWER: nothing the daemon sends is that long).
 */
static int
ctl_out_record(struct ctl_client *c, uint8_t type, const uint8_t *status,
    const void *body, size_t len)
{
	size_t	 need = CTL_HDR_LEN + (status != NULL) + len, keep;
	uint8_t	*p;

	/* What was sent already goes first. */
	keep = c->outlen - c->outoff;
	if (c->outoff > 0 && keep > 0)
		memmove(c->out, c->out + c->outoff, keep);
	c->outlen = keep;
	c->outoff = 0;
	if (need > CTL_MAX_ANSWER - keep ||
	    (p = realloc(c->out, keep + need)) == NULL) {
		log_warnx("control: client %u: answer too large or out of "
		    "memory; closed", c->id);
		ctl_close(c);
		return -1;
	}
	c->out = p;
	p += keep;
	put_u32(p, (uint32_t)(need - CTL_HDR_LEN));
	p[CTL_TYPE_OFF] = type;
	p += CTL_HDR_LEN;
	if (status != NULL)
		*p++ = *status;
	if (len > 0)
		memcpy(p, body, len);
	c->outlen += need;
	if (type == CTL_END)
		c->complete = 1;
	ctl_send(c);
	return 0;
}

/* Text in CTL_TEXT chunks; 0, or -1 when the client was closed. */
static int
ctl_out_text(struct ctl_client *c, const char *text, size_t tlen)
{
	size_t	off, chunk;

	for (off = 0; off < tlen; off += chunk) {
		chunk = tlen - off < CTL_MAX_BODY ? tlen - off : CTL_MAX_BODY;
		if (ctl_out_record(c, CTL_TEXT, NULL, text + off, chunk) == -1)
			return -1;
	}
	return 0;
}

/* A successful answer: text in CTL_TEXT chunks, then CTL_END(OK). */
static void
ctl_answer_text(struct ctl_client *c, const char *text, size_t tlen)
{
	uint8_t	status = CTL_STATUS_OK;

	if (ctl_out_text(c, text, tlen) == 0)
		(void)ctl_out_record(c, CTL_END, &status, NULL, 0);
}

/* Answer with CTL_END, a non-zero status and an error text. */
static void
ctl_fail_text(struct ctl_client *c, const char *msg, size_t n)
{
	uint8_t	status = CTL_STATUS_FAIL;

	if (n > CTL_MAX_BODY - 1)
		n = CTL_MAX_BODY - 1;
	(void)ctl_out_record(c, CTL_END, &status, msg, n);
}

static void
ctl_fail(struct ctl_client *c, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	ctl_fail_text(c, msg, (size_t)n);
}

/* reload and check have an empty body; the master does the work. */
static void
ctl_reload(struct ctl_client *c, uint8_t type, size_t len)
{
	const char	*what = type == CTL_CHECK ? "check" : "reload";

	if (len != 0) {
		log_warnx("control: client %u: malformed %s request", c->id,
		    what);
		ctl_fail(c, "malformed %s request", what);
		return;
	}
	if (ctl.ops.reload == NULL) {
		ctl_fail(c, "%s is not supported here", what);
		return;
	}
	log_debug("control: client %u: %s", c->id, what);
	c->waiting = 1;
	ctl.ops.reload(ctl.ops.arg, c->id, type == CTL_CHECK);
}

/* queue: the spool answers, through the network child. */
static void
ctl_queue(struct ctl_client *c, const uint8_t *body, size_t len)
{
	struct reader	r;
	uint8_t		op, flags;
	uint64_t	id;

	rd_init(&r, body, len);
	op = rd_u8(&r);
	flags = rd_u8(&r);
	id = rd_u64(&r);
	if (rd_done(&r) == -1 || op < CTL_QUEUE_LIST || op > CTL_QUEUE_DROP ||
	    (flags & ~CTL_F_JSON) != 0 || (op == CTL_QUEUE_DROP && flags) ||
	    (op == CTL_QUEUE_LIST) != (id == 0)) {
		log_warnx("control: client %u: malformed queue request", c->id);
		ctl_fail(c, "malformed queue request");
		return;
	}
	if (ctl.ops.queue == NULL) {
		ctl_fail(c, "queue is not supported here");
		return;
	}
	log_debug("control: client %u: queue op %u", c->id, op);
	c->waiting = 1;
	ctl.ops.queue(ctl.ops.arg, c->id, op, flags, id);
}

/* The client waiting for an answer from elsewhere, or NULL: it left. */
static struct ctl_client *
ctl_waiting(unsigned int client)
{
	struct ctl_client	*c;

	TAILQ_FOREACH(c, &ctl.clients, entry)
		if (c->id == client && c->waiting)
			return c;
	log_debug("control: client %u left before its answer", client);
	return NULL;
}

void
control_answer_part(unsigned int client, const void *text, size_t len)
{
	struct ctl_client	*c;

	if ((c = ctl_waiting(client)) != NULL)
		(void)ctl_out_text(c, text, len);
}

void
control_answer(unsigned int client, uint8_t status, const void *text,
    size_t len)
{
	struct ctl_client	*c;

	if ((c = ctl_waiting(client)) == NULL)
		return;
	c->waiting = 0;
	if (status == CTL_STATUS_OK)
		ctl_answer_text(c, text, len);
	else
		ctl_fail_text(c, text, len);
}

/* ---- answers ------------------------------------------------------ */

static void
ctl_send(struct ctl_client *c)
{
	if (event_add(c->ev_write, NULL) == -1) {
		log_warnx("control: client %u: cannot wait to write", c->id);
		ctl_close(c);
		return;
	}
	/* From now on the timeout is for a client not reading. */
	ctl_arm_timer(c);
}

static void
ctl_write(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;
	ssize_t			 n;

	(void)ev;
	/* MSG_NOSIGNAL: a client gone away must not SIGPIPE the child. */
	n = send(fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("control: client %u: write: %s", c->id,
		    strerror(errno));
		ctl_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen) {
		ctl_arm_timer(c);	/* progress: it is not idle */
		return;
	}
	if (!c->complete) {
		/* More is coming (control_answer_part). */
		(void)event_del(c->ev_write);
		return;
	}
	log_debug("control: client %u: answer of %zu bytes sent", c->id,
	    c->outlen);
	ctl_close(c);
}
