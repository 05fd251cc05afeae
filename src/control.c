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
	    c->waiting ? "waiting for the master" : c->out == NULL ?
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

/* A successful answer: text in CTL_TEXT chunks, then CTL_END(OK). */
static void
ctl_answer_text(struct ctl_client *c, const char *text, size_t tlen)
{
	size_t	off, chunk, nchunks, i;

	nchunks = (tlen + CTL_MAX_BODY - 1) / CTL_MAX_BODY;
	/* One record header per chunk, then CTL_END with its status byte. */
	free(c->out);
	c->outlen = tlen + nchunks * CTL_HDR_LEN + CTL_HDR_LEN + 1;
	if ((c->out = malloc(c->outlen)) == NULL) {
		log_warn("control: client %u: answer", c->id);
		c->outlen = 0;
		ctl_fail(c, "out of memory");
		return;
	}
	for (i = 0, off = 0; off < tlen; i++, off += chunk) {
		chunk = tlen - off < CTL_MAX_BODY ? tlen - off : CTL_MAX_BODY;
		put_u32(c->out + off + i * CTL_HDR_LEN, (uint32_t)chunk);
		c->out[off + i * CTL_HDR_LEN + CTL_TYPE_OFF] = CTL_TEXT;
		memcpy(c->out + off + (i + 1) * CTL_HDR_LEN, text + off, chunk);
	}
	off = c->outlen - CTL_HDR_LEN - 1;
	put_u32(c->out + off, 1);
	c->out[off + CTL_TYPE_OFF] = CTL_END;
	c->out[off + CTL_HDR_LEN] = CTL_STATUS_OK;
	ctl_send(c);
}

/* Answer with CTL_END, a non-zero status and an error text. */
static void
ctl_fail_text(struct ctl_client *c, const char *msg, size_t n)
{
	if (n > CTL_MAX_BODY - 1)
		n = CTL_MAX_BODY - 1;
	free(c->out);
	c->outlen = CTL_HDR_LEN + 1 + n;
	if ((c->out = malloc(c->outlen)) == NULL) {
		log_warn("control: client %u: error answer", c->id);
		ctl_close(c);
		return;
	}
	put_u32(c->out, (uint32_t)(1 + n));
	c->out[CTL_TYPE_OFF] = CTL_END;
	c->out[CTL_HDR_LEN] = CTL_STATUS_FAIL;
	memcpy(c->out + CTL_HDR_LEN + 1, msg, n);
	ctl_send(c);
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

void
control_answer(unsigned int client, uint8_t status, const void *text,
    size_t len)
{
	struct ctl_client	*c;

	TAILQ_FOREACH(c, &ctl.clients, entry)
		if (c->id == client && c->waiting)
			break;
	if (c == NULL) {
		log_debug("control: client %u left before its answer", client);
		return;
	}
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
	c->outoff = 0;
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
	log_debug("control: client %u: answer of %zu bytes sent", c->id,
	    c->outlen);
	ctl_close(c);
}

/* ---- formatting --------------------------------------------------- */

/* A growing string; after a failed allocation it only records the error. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

static void
sb_grow(struct sbuf *sb, size_t need)
{
	size_t	 ncap;
	char	*np;

	if (sb->err)
		return;
	if (need > SIZE_MAX - sb->len - 1) {
		sb->err = 1;
		return;
	}
	if (sb->len + need + 1 <= sb->cap)
		return;
	ncap = sb->cap ? sb->cap : 1024;
	while (ncap < sb->len + need + 1) {
		if (ncap > SIZE_MAX / 2) {
			sb->err = 1;
			return;
		}
		ncap *= 2;
	}
	if ((np = realloc(sb->p, ncap)) == NULL) {
		sb->err = 1;
		return;
	}
	sb->p = np;
	sb->cap = ncap;
}

static void
sb_add(struct sbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	if (sb->err)
		return;
	memcpy(sb->p + sb->len, data, len);
	sb->len += len;
	sb->p[sb->len] = '\0';
}

static void
sb_putc(struct sbuf *sb, char ch)
{
	sb_add(sb, &ch, 1);
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static void sb_printf(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char	tmp[512];
	va_list	ap;
	int	n;

	/* Callers print numbers and short, bounded strings only. */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sb->err = 1;
		return;
	}
	sb_add(sb, tmp, (size_t)n);
}

/* Hand over the string, or NULL after any failure. */
static char *
sb_finish(struct sbuf *sb)
{
	if (sb->err || sb->p == NULL) {
		free(sb->p);
		return sb->err ? NULL : strdup("");
	}
	return sb->p;
}


/*
 * A JSON string of at most max bytes of s.  Names are validated when the
 * configuration is parsed, but the output must stay valid JSON whatever
 * they hold: control characters are escaped and bytes that are not
 * UTF-8 become U+FFFD.
 */
static void
json_str(struct sbuf *sb, const char *s, size_t max)
{
	const unsigned char	*u = (const unsigned char *)(s ? s : "");
	size_t			 len = strnlen((const char *)u, max), i, n;
	uint32_t		 cp;

	sb_putc(sb, '"');
	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] == '"' || u[i] == '\\') {
			sb_putc(sb, '\\');
			sb_putc(sb, (char)u[i]);
		} else if (u[i] < 0x20 || u[i] == 0x7f)
			sb_printf(sb, "\\u%04x", u[i]);
		else if ((n = nc_utf8_decode(u + i, len - i, &cp)) == 0) {
			sb_puts(sb, "\\ufffd");
			n = 1;
		} else
			sb_add(sb, u + i, n);
	}
	sb_putc(sb, '"');
}

static void
json_key_str(struct sbuf *sb, const char *key, const char *s, size_t max)
{
	sb_printf(sb, "\"%s\":", key);
	json_str(sb, s, max);
}

static void
json_key_u64(struct sbuf *sb, const char *key, uint64_t v)
{
	sb_printf(sb, "\"%s\":%" PRIu64, key, v);
}

/* A counter of `show --json`, and a run of them, each after a comma. */
struct json_counter {
	const char	*key;
	uint64_t	 value;
};

static void
json_counters(struct sbuf *sb, const struct json_counter *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		sb_putc(sb, ',');
		json_key_u64(sb, c[i].key, c[i].value);
	}
}

static void
json_daemon(struct sbuf *sb, const struct ctl_daemon *d)
{
	const struct json_counter	counters[] = {
		{ "handshakes_ok", d->handshakes_ok },
		{ "handshakes_failed", d->handshakes_failed },
		{ "rsa_unwraps", d->rsa_unwraps },
		{ "unwraps_refused", d->unwraps_refused },
		{ "unwraps_cancelled", d->unwraps_cancelled },
		{ "unwrap_rate", d->unwrap_rate },
		{ "unwrap_us", d->unwrap_us },
		{ "handshakes_evicted", d->handshakes_evicted },
		{ "handshakes_proven", d->handshakes_proven },
		{ "sessions", d->sessions },
		{ "attaches_refused", d->attaches_refused },
		{ "messages_rejected", d->messages_rejected },
	};

	sb_puts(sb, "\"daemon\":{");
	json_key_str(sb, "name", d->name, sizeof(d->name));
	sb_putc(sb, ',');
	json_key_str(sb, "fingerprint", d->fingerprint,
	    sizeof(d->fingerprint));
	sb_printf(sb, ",\"uptime\":%" PRId64,
	    d->uptime_seconds < 0 ? 0 : d->uptime_seconds);
	json_counters(sb, counters, sizeof(counters) / sizeof(counters[0]));
	sb_putc(sb, '}');
}

/* Strings behind pointers get a bound too, for the same reason. */
#define CTL_STR_MAX	64

static void
json_peer(struct sbuf *sb, const struct ctl_peer *p)
{
	const struct json_counter	counters[] = {
		{ "bytes_in", p->bytes_in },
		{ "bytes_out", p->bytes_out },
		{ "records_in", p->records_in },
		{ "records_out", p->records_out },
		{ "key_updates", p->key_updates },
		{ "rekeys", p->rekeys },
		{ "reconnects", p->reconnects },
		{ "queued_msgs", p->queued_msgs },
		{ "queued_bytes", p->queued_bytes },
	};

	sb_putc(sb, '{');
	json_key_str(sb, "name", p->name, sizeof(p->name));
	sb_putc(sb, ',');
	json_key_str(sb, "state", p->state, CTL_STR_MAX);
	sb_putc(sb, ',');
	json_key_str(sb, "address", p->address, sizeof(p->address));
	sb_putc(sb, ',');
	json_key_str(sb, "direction", p->direction, CTL_STR_MAX);
	sb_putc(sb, ',');
	json_key_str(sb, "cipher", p->cipher, CTL_STR_MAX);
	sb_putc(sb, ',');
	json_key_str(sb, "fingerprint", p->fingerprint,
	    sizeof(p->fingerprint));
	if (p->up_seconds < 0)
		sb_puts(sb, ",\"up_seconds\":null");
	else
		sb_printf(sb, ",\"up_seconds\":%" PRId64, p->up_seconds);
	json_counters(sb, counters, sizeof(counters) / sizeof(counters[0]));
	sb_putc(sb, '}');
}

static void
format_json(struct sbuf *sb, const struct ctl_daemon *d,
    const struct ctl_peer *peers, size_t npeers)
{
	size_t	i;

	sb_putc(sb, '{');
	json_daemon(sb, d);
	sb_puts(sb, ",\"peers\":[");
	for (i = 0; i < npeers; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		json_peer(sb, &peers[i]);
	}
	sb_puts(sb, "]}\n");
}

/* ---- the table ---- */

enum {
	COL_NAME, COL_STATE, COL_ADDRESS, COL_CIPHER, COL_UP, COL_BYTES_IN,
	COL_BYTES_OUT, COL_KEYUPD, COL_REKEYS, COL_RECONN, COL_QUEUED,
	COL_MAX
};

static const struct {
	const char	*title;
	int		 right;		/* numbers are right-aligned */
} columns[COL_MAX] = {
	{ "NAME", 0 }, { "STATE", 0 }, { "ADDRESS", 0 }, { "CIPHER", 0 },
	{ "UP", 1 }, { "BYTES-IN", 1 }, { "BYTES-OUT", 1 }, { "KEYUPD", 1 },
	{ "REKEYS", 1 }, { "RECONN", 1 }, { "QUEUED", 1 }
};

/* Room for "address (direction)". */
#define CELL_MAX	(NC_HOST_MAX + 8 + CTL_STR_MAX + 4)

struct row {
	char	cell[COL_MAX][CELL_MAX];
};

/*
 * Copy for a terminal: anything but printable ASCII becomes '?', so that
 * no name can carry escape sequences to the administrator's terminal.
 */
static void
safe_copy(char *dst, size_t dstsz, const char *src, size_t max)
{
	size_t	i, len;

	if (src == NULL || *src == '\0')
		src = "-";
	len = strnlen(src, max);
	if (len > dstsz - 1)
		len = dstsz - 1;
	for (i = 0; i < len; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[len] = '\0';
}

/* Durations the way bgpctl(8) prints them. */
static void
fmt_duration(char *buf, size_t bufsz, int64_t t)
{
	if (t < 0)
		(void)snprintf(buf, bufsz, "-");
	else if (t < 86400)
		(void)snprintf(buf, bufsz, "%02" PRId64 ":%02" PRId64 ":%02"
		    PRId64, t / 3600, t / 60 % 60, t % 60);
	else if (t < 7 * 86400)
		(void)snprintf(buf, bufsz, "%" PRId64 "d%02" PRId64 "h%02"
		    PRId64 "m", t / 86400, t / 3600 % 24, t / 60 % 60);
	else
		(void)snprintf(buf, bufsz, "%02" PRId64 "w%" PRId64 "d%02"
		    PRId64 "h", t / (7 * 86400), t / 86400 % 7, t / 3600 % 24);
}

static void
peer_row(const struct ctl_peer *p, struct row *r)
{
	char	addr[sizeof(p->address)];
	char	dir[CTL_STR_MAX + 1];

	safe_copy(r->cell[COL_NAME], CELL_MAX, p->name, sizeof(p->name));
	safe_copy(r->cell[COL_STATE], CELL_MAX, p->state, CTL_STR_MAX);
	safe_copy(addr, sizeof(addr), p->address, sizeof(p->address));
	if (p->address[0] != '\0' && p->direction != NULL &&
	    p->direction[0] != '\0') {
		safe_copy(dir, sizeof(dir), p->direction, CTL_STR_MAX);
		(void)snprintf(r->cell[COL_ADDRESS], CELL_MAX, "%s (%s)",
		    addr, dir);
	} else
		nc_strlcpy(r->cell[COL_ADDRESS], addr, CELL_MAX);
	safe_copy(r->cell[COL_CIPHER], CELL_MAX, p->cipher, CTL_STR_MAX);
	fmt_duration(r->cell[COL_UP], CELL_MAX, p->up_seconds);
	(void)snprintf(r->cell[COL_BYTES_IN], CELL_MAX, "%" PRIu64,
	    p->bytes_in);
	(void)snprintf(r->cell[COL_BYTES_OUT], CELL_MAX, "%" PRIu64,
	    p->bytes_out);
	(void)snprintf(r->cell[COL_KEYUPD], CELL_MAX, "%" PRIu64,
	    p->key_updates);
	(void)snprintf(r->cell[COL_REKEYS], CELL_MAX, "%" PRIu64, p->rekeys);
	(void)snprintf(r->cell[COL_RECONN], CELL_MAX, "%" PRIu64,
	    p->reconnects);
	(void)snprintf(r->cell[COL_QUEUED], CELL_MAX, "%" PRIu64 "/%" PRIu64,
	    p->queued_msgs, p->queued_bytes);
}

static void
table_line(struct sbuf *sb, const char *const cells[COL_MAX],
    const size_t width[COL_MAX])
{
	size_t	i, len, pad;

	for (i = 0; i < COL_MAX; i++) {
		len = strlen(cells[i]);
		pad = width[i] > len ? width[i] - len : 0;
		if (i > 0)
			sb_puts(sb, "  ");
		if (columns[i].right)
			sb_printf(sb, "%*s", (int)pad, "");
		sb_puts(sb, cells[i]);
		/* No trailing blanks after the last column. */
		if (!columns[i].right && i + 1 < COL_MAX)
			sb_printf(sb, "%*s", (int)pad, "");
	}
	sb_putc(sb, '\n');
}

static void
table_header(struct sbuf *sb, const struct ctl_daemon *d)
{
	char	name[sizeof(d->name)], fp[sizeof(d->fingerprint)], up[32];

	safe_copy(name, sizeof(name), d->name, sizeof(d->name));
	safe_copy(fp, sizeof(fp), d->fingerprint, sizeof(d->fingerprint));
	fmt_duration(up, sizeof(up), d->uptime_seconds);
	sb_printf(sb, "netcryptd %s, key %s, up %s\n", name, fp, up);
	sb_printf(sb, "sessions %" PRIu64 ", handshakes %" PRIu64 " ok %"
	    PRIu64 " failed %" PRIu64 " evicted %" PRIu64 " proven\n",
	    d->sessions, d->handshakes_ok, d->handshakes_failed,
	    d->handshakes_evicted, d->handshakes_proven);
	sb_printf(sb, "rsa unwraps %" PRIu64 " done %" PRIu64 " refused %"
	    PRIu64 " cancelled, rate %" PRIu64 "/s\n", d->rsa_unwraps,
	    d->unwraps_refused, d->unwraps_cancelled, d->unwrap_rate);
	sb_printf(sb, "session policy: %" PRIu64 " attaches refused, %" PRIu64
	    " messages rejected\n\n", d->attaches_refused,
	    d->messages_rejected);
}

static void
format_table(struct sbuf *sb, const struct ctl_daemon *d,
    const struct ctl_peer *peers, size_t npeers)
{
	struct row	 r;
	const char	*cells[COL_MAX];
	size_t		 width[COL_MAX], i, j, len;
	char		 fp[sizeof(peers->fingerprint)];

	memset(&r, 0, sizeof(r));
	table_header(sb, d);
	/* Two passes over the peers: first the widths, then the lines. */
	for (j = 0; j < COL_MAX; j++) {
		cells[j] = columns[j].title;
		width[j] = strlen(columns[j].title);
	}
	for (i = 0; i < npeers; i++) {
		peer_row(&peers[i], &r);
		for (j = 0; j < COL_MAX; j++)
			if ((len = strlen(r.cell[j])) > width[j])
				width[j] = len;
	}
	table_line(sb, cells, width);
	for (i = 0; i < npeers; i++) {
		peer_row(&peers[i], &r);
		for (j = 0; j < COL_MAX; j++)
			cells[j] = r.cell[j];
		table_line(sb, cells, width);
		safe_copy(fp, sizeof(fp), peers[i].fingerprint,
		    sizeof(peers[i].fingerprint));
		sb_printf(sb, "    key %s\n", fp);
	}
}

char *
control_format(const struct ctl_daemon *d, const struct ctl_peer *peers,
    size_t npeers, int json)
{
	struct sbuf	sb;

	memset(&sb, 0, sizeof(sb));
	if (d == NULL || (npeers > 0 && peers == NULL))
		return NULL;
	if (json)
		format_json(&sb, d, peers, npeers);
	else
		format_table(&sb, d, peers, npeers);
	return sb_finish(&sb);
}
