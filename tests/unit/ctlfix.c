/*
 * What the control socket's unit tests share (ctlfix.h): the fake network
 * child, the JSON checker, and the server with its clients.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "buf.h"
#include "control.h"
#include "log.h"
#include "util.h"
#include "ctlfix.h"

#define MAX_PUMPS	500	/* bound for every wait: 500 x 2 ms */

/* ---- a fake network child ----------------------------------------- */

size_t	fake_npeers = 2;	/* beyond 2: generated peers */
int	fake_calls;

static size_t
fake_snapshot(void *arg, struct ctl_daemon *d)
{
	(void)arg;
	fake_calls++;
	nc_strlcpy(d->name, "hosta", sizeof(d->name));
	nc_strlcpy(d->fingerprint, FP_D, sizeof(d->fingerprint));
	d->uptime_seconds = 93784;		/* 1d02h03m */
	d->handshakes_ok = 12;
	d->handshakes_failed = 3;
	d->rsa_unwraps = 7;
	d->unwraps_refused = 5;
	d->unwraps_cancelled = 6;
	d->unwrap_rate = 294;
	d->unwrap_us = 1700;
	d->handshakes_evicted = 8;
	d->handshakes_proven = 9;
	d->sessions = 4;
	d->attaches_refused = 5;
	d->messages_rejected = 6;
	return fake_npeers;
}

static void
fake_peer(void *arg, size_t i, struct ctl_peer *p)
{
	(void)arg;
	if (i == 0) {
		nc_strlcpy(p->name, "al\"ice\\x", sizeof(p->name));
		p->state = "up";
		nc_strlcpy(p->address, "192.0.2.7:55555", sizeof(p->address));
		p->direction = "out";
		p->cipher = "aes-256-gcm";
		nc_strlcpy(p->fingerprint, FP_A, sizeof(p->fingerprint));
		p->up_seconds = 3723;
		p->bytes_in = 1000;
		p->bytes_out = 20000;
		p->records_in = 10;
		p->records_out = 200;
		p->key_updates = 1;
		p->rekeys = 6;
		p->reconnects = 2;
		p->queued_msgs = 0;
		p->queued_bytes = 0;
	} else if (i == 1) {
		nc_strlcpy(p->name, "bob", sizeof(p->name));
		p->state = "backoff";
		p->address[0] = '\0';
		p->direction = "";
		p->cipher = "";
		nc_strlcpy(p->fingerprint, FP_B, sizeof(p->fingerprint));
		p->up_seconds = -1;
		p->reconnects = 5;
		p->queued_msgs = 3;
		p->queued_bytes = 4096;
	} else {
		/* Filler for big answers; leaves state and the rest unset. */
		(void)snprintf(p->name, sizeof(p->name), "peer%zu", i);
		nc_strlcpy(p->fingerprint, FP_B, sizeof(p->fingerprint));
		p->up_seconds = (int64_t)i;
	}
}

static const struct control_ops fake_ops = {
	.snapshot = fake_snapshot,
	.peer = fake_peer,
	.reload = NULL,		/* as if not offered */
	.arg = NULL
};

/* reload/check requests as the network child would forward them. */
unsigned int	reload_calls, reload_client;
int		reload_check;

static void
fake_reload(void *arg, unsigned int client, int check)
{
	(void)arg;
	reload_calls++;
	reload_client = client;
	reload_check = check;
}

static const struct control_ops reload_ops = {
	.snapshot = fake_snapshot,
	.peer = fake_peer,
	.reload = fake_reload,
	.arg = NULL
};

/* queue requests as the network child would pass them to the spool. */
unsigned int	queue_calls, queue_client;
uint8_t		queue_op, queue_flags;
uint64_t	queue_id;

static void
fake_queue(void *arg, unsigned int client, uint8_t op, uint8_t flags,
    uint64_t id)
{
	(void)arg;
	queue_calls++;
	queue_client = client;
	queue_op = op;
	queue_flags = flags;
	queue_id = id;
}

static const struct control_ops queue_ops = {
	.snapshot = fake_snapshot,
	.peer = fake_peer,
	.queue = fake_queue,
	.arg = NULL
};

char *
expected(int json)
{
	struct ctl_daemon	 d;
	struct ctl_peer		*p;
	size_t			 n, i;
	char			*s;

	memset(&d, 0, sizeof(d));
	n = fake_snapshot(NULL, &d);
	ck_assert_ptr_nonnull(p = calloc(n, sizeof(*p)));
	for (i = 0; i < n; i++)
		fake_peer(NULL, i, &p[i]);
	ck_assert_ptr_nonnull(s = control_format(&d, p, n, json));
	free(p);
	return s;
}

/* The JSON answer of the two known peers, written out by hand. */
const char json_want[] =
    "{\"daemon\":{\"name\":\"hosta\",\"fingerprint\":\"" FP_D "\","
    "\"uptime\":93784,\"handshakes_ok\":12,\"handshakes_failed\":3,"
    "\"rsa_unwraps\":7,\"unwraps_refused\":5,\"unwraps_cancelled\":6,"
    "\"unwrap_rate\":294,\"unwrap_us\":1700,\"handshakes_evicted\":8,"
    "\"handshakes_proven\":9,\"sessions\":4,\"attaches_refused\":5,"
    "\"messages_rejected\":6},\"peers\":["
    "{\"name\":\"al\\\"ice\\\\x\",\"state\":\"up\","
    "\"address\":\"192.0.2.7:55555\",\"direction\":\"out\","
    "\"cipher\":\"aes-256-gcm\",\"fingerprint\":\"" FP_A "\","
    "\"up_seconds\":3723,\"bytes_in\":1000,\"bytes_out\":20000,"
    "\"records_in\":10,\"records_out\":200,\"key_updates\":1,"
    "\"rekeys\":6,\"reconnects\":2,\"queued_msgs\":0,\"queued_bytes\":0},"
    "{\"name\":\"bob\",\"state\":\"backoff\",\"address\":\"\","
    "\"direction\":\"\",\"cipher\":\"\",\"fingerprint\":\"" FP_B "\","
    "\"up_seconds\":null,\"bytes_in\":0,\"bytes_out\":0,"
    "\"records_in\":0,\"records_out\":0,\"key_updates\":0,"
    "\"rekeys\":0,\"reconnects\":5,\"queued_msgs\":3,\"queued_bytes\":4096}]}\n";

/* ---- a minimal JSON checker --------------------------------------- */

static int	js_value(const char **);

static void
js_ws(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')
		(*s)++;
}

static int
js_string(const char **s)
{
	const char	*p = *s;
	int		 i;

	if (*p++ != '"')
		return -1;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return -1;		/* raw control character */
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF",
					    p[i]) == NULL || p[i] == '\0')
						return -1;
				p += 4;
			} else if (*p == '\0' || strchr("\"\\/bfnrt", *p) ==
			    NULL)
				return -1;
		}
		p++;
	}
	*s = p + 1;
	return 0;
}

static int
js_number(const char **s)
{
	const char	*p = *s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	*s = p;
	return 0;
}

/* Objects and arrays: open, members separated by commas, close. */
static int
js_list(const char **s, char close, int object)
{
	(*s)++;
	js_ws(s);
	if (**s == close) {
		(*s)++;
		return 0;
	}
	for (;;) {
		if (object) {
			if (js_string(s) == -1)
				return -1;
			js_ws(s);
			if (*(*s)++ != ':')
				return -1;
		}
		if (js_value(s) == -1)
			return -1;
		js_ws(s);
		if (**s == close) {
			(*s)++;
			return 0;
		}
		if (*(*s)++ != ',')
			return -1;
	}
}

static int
js_value(const char **s)
{
	js_ws(s);
	switch (**s) {
	case '{':
		return js_list(s, '}', 1);
	case '[':
		return js_list(s, ']', 0);
	case '"':
		return js_string(s);
	case 'n':
		if (strncmp(*s, "null", 4) != 0)
			return -1;
		*s += 4;
		return 0;
	case 't':
		if (strncmp(*s, "true", 4) != 0)
			return -1;
		*s += 4;
		return 0;
	case 'f':
		if (strncmp(*s, "false", 5) != 0)
			return -1;
		*s += 5;
		return 0;
	default:
		return js_number(s);
	}
}

int
json_valid(const char *s)
{
	if (js_value(&s) == -1)
		return 0;
	js_ws(&s);
	return *s == '\0';
}

/* ---- the server and its clients ----------------------------------- */

static struct event_base	*base;
static struct event		*breaker;
static char			 tmpdir[64];
static char			 sockpath[128];
int				 lfd;

static void
on_break(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_base_loopbreak(base);
}

void
pump(unsigned int ms)
{
	struct timeval	tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	ck_assert_int_eq(evtimer_add(breaker, &tv), 0);
	ck_assert_int_ne(event_base_loop(base, 0), -1);
}

void
reset_fake(void)
{
	log_init(LOG_TO_STDERR, 0);
	fake_npeers = 2;
	fake_calls = 0;
}

static void
setup_with(const struct control_ops *ops)
{
	struct sockaddr_un	sun;

	reset_fake();
	reload_calls = 0;
	nc_strlcpy(tmpdir, "/tmp/check_control.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(sockpath, sizeof(sockpath), "%s/control.sock", tmpdir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	nc_strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 64), 0);
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(breaker = evtimer_new(base, on_break, NULL));
	control_set_timeout_ms(0);
	control_init(base, lfd, ops);
}

void
setup(void)
{
	setup_with(&fake_ops);
}

void
setup_reload(void)
{
	setup_with(&reload_ops);
}

void
setup_queue(void)
{
	queue_calls = 0;
	setup_with(&queue_ops);
}

void
teardown(void)
{
	control_shutdown();
	event_free(breaker);
	event_base_free(base);
	(void)unlink(sockpath);
	(void)rmdir(tmpdir);
}

int
client(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	nc_strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	/* The listen backlog takes it before the server accepts. */
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(nc_set_nonblock(fd, 1), 0);
	return fd;
}

void
send_raw(int fd, const void *p, size_t len)
{
	ck_assert_int_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

void
send_req(int fd, uint8_t type, const void *body, size_t len)
{
	uint8_t	hdr[CTL_HDR_LEN];

	put_u32(hdr, (uint32_t)len);
	hdr[4] = type;
	send_raw(fd, hdr, sizeof(hdr));
	if (len > 0)
		send_raw(fd, body, len);
}

void
send_show(int fd, uint8_t flags)
{
	send_req(fd, CTL_SHOW, &flags, 1);
}

void
send_queue(int fd, uint8_t op, uint8_t flags, uint64_t id)
{
	uint8_t	body[CTL_QUEUE_LEN];

	body[0] = op;
	body[1] = flags;
	put_u64(body + 2, id);
	send_req(fd, CTL_QUEUE, body, sizeof(body));
}

int
drain(int fd, struct reply *r)
{
	uint8_t	buf[65536];
	ssize_t	n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			r->p = realloc(r->p, r->len + (size_t)n);
			ck_assert_ptr_nonnull(r->p);
			memcpy(r->p + r->len, buf, (size_t)n);
			r->len += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			return r->eof = 1;
		ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
		return 0;
	}
}

void
collect(int fd, struct reply *r, unsigned int maxms)
{
	unsigned int	i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < MAX_PUMPS && i * 2 < maxms; i++) {
		if (drain(fd, r))
			return;
		pump(2);
	}
	(void)drain(fd, r);
}

void
parse_reply(const struct reply *r, struct parsed *out)
{
	struct reader	 rd;
	const uint8_t	*body;
	uint32_t	 len;
	uint8_t		 type;

	memset(out, 0, sizeof(*out));
	out->status = -1;
	ck_assert_ptr_nonnull(out->text = malloc(r->len + 1));
	rd_init(&rd, r->p, r->len);
	while (rd.left > 0) {
		ck_assert_int_eq(out->status, -1);	/* nothing after END */
		len = rd_u32(&rd);
		type = rd_u8(&rd);
		ck_assert_uint_le(len, CTL_MAX_BODY);
		ck_assert_ptr_nonnull(body = rd_bytes(&rd, len));
		if (type == CTL_TEXT) {
			memcpy(out->text + out->textlen, body, len);
			out->textlen += len;
			out->ntext++;
		} else {
			ck_assert_uint_eq(type, CTL_END);
			ck_assert_uint_ge(len, 1);
			ck_assert_uint_lt(len, sizeof(out->msg));
			out->status = body[0];
			memcpy(out->msg, body + 1, len - 1);
		}
	}
	ck_assert_int_eq(rd_done(&rd), 0);
	out->text[out->textlen] = '\0';
}

void
free_reply(struct reply *r, struct parsed *pr)
{
	free(r->p);
	if (pr != NULL)
		free(pr->text);
}

void
assert_show_works(uint8_t flags)
{
	struct reply	r;
	struct parsed	pr;
	char		*want;
	int		fd;

	fd = client();
	send_show(fd, flags);
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	want = expected(flags & CTL_F_JSON);
	ck_assert_str_eq(pr.text, want);
	free(want);
	free_reply(&r, &pr);
	(void)close(fd);
}

void
assert_closed_silently(int fd, unsigned int maxms)
{
	struct reply	r;

	collect(fd, &r, maxms);
	ck_assert(r.eof);
	ck_assert_uint_eq(r.len, 0);
	free_reply(&r, NULL);
}

void
assert_error_reply(int fd, const char *msg)
{
	struct reply	r;
	struct parsed	pr;

	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_uint_eq(pr.ntext, 0);
	ck_assert_int_eq(pr.status, 1);
	ck_assert_str_eq(pr.msg, msg);
	free_reply(&r, &pr);
}
