/*
 * Unit tests for the control socket: the formats, and the server driven
 * over a real UNIX socket in a temporary directory, with clients in the
 * same process.  Every wait is a bounded number of short event-loop runs.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
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

#define MAX_PUMPS	500	/* bound for every wait: 500 x 2 ms */
#define FP_A	"SHA256:3bDlWv8kk0a3ytKtN3ZQTOZxSHi1ypB4z3Ja1/V6NLE"
#define FP_B	"SHA256:Qm9iIHB1YmxpYyBrZXkgZmluZ2VycHJpbnQgdGVzdA0"
#define FP_D	"SHA256:aG9zdGEgcHVibGljIGtleSBmaW5nZXJwcmludCB0ZXN0"

/* ---- a fake network child ----------------------------------------- */

static size_t	fake_npeers = 2;	/* beyond 2: generated peers */
static int	fake_calls;

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
static unsigned int	reload_calls, reload_client;
static int		reload_check;

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

/* What the server should answer, computed the same way. */
static char *
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
	default:
		return js_number(s);
	}
}

static int
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
static int			 lfd;

static void
on_break(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_base_loopbreak(base);
}

/* Run the event loop for ms milliseconds. */
static void
pump(unsigned int ms)
{
	struct timeval	tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	ck_assert_int_eq(evtimer_add(breaker, &tv), 0);
	ck_assert_int_ne(event_base_loop(base, 0), -1);
}

static void
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

static void
setup(void)
{
	setup_with(&fake_ops);
}

static void
setup_reload(void)
{
	setup_with(&reload_ops);
}

static void
teardown(void)
{
	control_shutdown();
	event_free(breaker);
	event_base_free(base);
	(void)unlink(sockpath);
	(void)rmdir(tmpdir);
}

static int
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

static void
send_raw(int fd, const void *p, size_t len)
{
	ck_assert_int_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
send_req(int fd, uint8_t type, const void *body, size_t len)
{
	uint8_t	hdr[CTL_HDR_LEN];

	put_u32(hdr, (uint32_t)len);
	hdr[4] = type;
	send_raw(fd, hdr, sizeof(hdr));
	if (len > 0)
		send_raw(fd, body, len);
}

static void
send_show(int fd, uint8_t flags)
{
	send_req(fd, CTL_SHOW, &flags, 1);
}

/* Everything the server sent until it closed, or what came in time. */
struct reply {
	uint8_t	*p;
	size_t	 len;
	int	 eof;
};

/* Read what is there; 1 once the server has closed the connection. */
static int
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

/* Pump until the server closes fd, for at most maxms. */
static void
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

/*
 * Split a reply into its records: the text, the END status (-1: none)
 * and its message.  Asserts the framing: bounded records, only TEXT
 * before END, nothing after it.
 */
struct parsed {
	char	*text;
	size_t	 textlen;
	size_t	 ntext;
	int	 status;
	char	 msg[256];
};

static void
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

static void
free_reply(struct reply *r, struct parsed *pr)
{
	free(r->p);
	if (pr != NULL)
		free(pr->text);
}

/* One complete, successful `show`, compared with control_format(). */
static void
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

/* Closed by the server, with nothing sent. */
static void
assert_closed_silently(int fd, unsigned int maxms)
{
	struct reply	r;

	collect(fd, &r, maxms);
	ck_assert(r.eof);
	ck_assert_uint_eq(r.len, 0);
	free_reply(&r, NULL);
}

/* ---- formats ------------------------------------------------------ */

static const char json_want[] =
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

START_TEST(format_json_exact)
{
	char	*s = expected(1);

	ck_assert_str_eq(s, json_want);
	ck_assert(json_valid(s));
	free(s);
}
END_TEST

START_TEST(format_json_escapes)
{
	struct ctl_daemon	d;
	struct ctl_peer		p;
	char			*s;

	memset(&d, 0, sizeof(d));
	memset(&p, 0, sizeof(p));
	/* Control characters, bad UTF-8, good UTF-8, DEL. */
	nc_strlcpy(d.name, "a\x01" "b\nc\xff" "\xc3\xa9" "\x7f",
	    sizeof(d.name));
	/* Overlong '/' and a lone surrogate are not UTF-8 either. */
	nc_strlcpy(p.name, "\xc0\xaf" "\xed\xa0\x80" "\"\\", sizeof(p.name));
	p.state = NULL;			/* a NULL string is "" */
	p.up_seconds = 0;
	ck_assert_ptr_nonnull(s = control_format(&d, &p, 1, 1));
	ck_assert(json_valid(s));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"a\\u0001b\\u000ac\\ufffd"
	    "\xc3\xa9" "\\u007f\""));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\\"\\\\\""));
	ck_assert_ptr_nonnull(strstr(s, "\"state\":\"\""));
	ck_assert_ptr_nonnull(strstr(s, "\"up_seconds\":0,"));
	free(s);
}
END_TEST

START_TEST(format_json_no_peers)
{
	char	*s;

	fake_npeers = 0;
	s = expected(1);
	ck_assert_ptr_nonnull(strstr(s, ",\"peers\":[]}\n"));
	ck_assert(json_valid(s));
	free(s);
	/* The checker itself must reject what is broken. */
	ck_assert(!json_valid("{\"a\":1"));
	ck_assert(!json_valid("{\"a\":\"\x01\"}"));
	ck_assert(!json_valid("{\"a\":\"\\x\"}"));
	ck_assert(!json_valid("[1,]"));
}
END_TEST

static const char table_want[] =
    "netcryptd hosta, key " FP_D ", up 1d02h03m\n"
    "sessions 4, handshakes 12 ok 3 failed 8 evicted 9 proven\n"
    "rsa unwraps 7 done 5 refused 6 cancelled, rate 294/s\n"
    "session policy: 5 attaches refused, 6 messages rejected\n"
    "\n"
    "NAME      STATE    ADDRESS                CIPHER       "
    "      UP  BYTES-IN  BYTES-OUT  KEYUPD  REKEYS  RECONN  QUEUED\n"
    "al\"ice\\x  up       192.0.2.7:55555 (out)  aes-256-gcm  "
    "01:02:03      1000      20000       1       6       2     0/0\n"
    "    key " FP_A "\n"
    "bob       backoff  -                      -            "
    "       -         0          0       0       0       5  3/4096\n"
    "    key " FP_B "\n";

START_TEST(format_table_exact)
{
	char	*s = expected(0);

	ck_assert_str_eq(s, table_want);
	free(s);
}
END_TEST

START_TEST(format_table_sanitized)
{
	struct ctl_daemon	d;
	struct ctl_peer		p[2];
	char			*s;

	memset(&d, 0, sizeof(d));
	memset(p, 0, sizeof(p));
	nc_strlcpy(d.name, "h\x1b[2J", sizeof(d.name));
	nc_strlcpy(p[0].name, "e\x1b]0;x\x07\xc3\xa9", sizeof(p[0].name));
	p[0].state = "up";
	p[0].up_seconds = 8 * 86400 + 3 * 3600;	/* 01w1d03h */
	nc_strlcpy(p[1].name, "long-name-of-a-peer", sizeof(p[1].name));
	p[1].state = "idle";
	p[1].up_seconds = -1;
	ck_assert_ptr_nonnull(s = control_format(&d, p, 2, 0));
	ck_assert_ptr_null(strchr(s, '\x1b'));
	ck_assert_ptr_null(strchr(s, '\x07'));
	ck_assert_ptr_nonnull(strstr(s, "netcryptd h?[2J, key -,"));
	ck_assert_ptr_nonnull(strstr(s, "\ne?]0;x??? "));
	ck_assert_ptr_nonnull(strstr(s, " 01w1d03h "));
	ck_assert_ptr_nonnull(strstr(s, "\nlong-name-of-a-peer  idle "));
	free(s);
}
END_TEST

/* ---- the server --------------------------------------------------- */

START_TEST(show_json)
{
	assert_show_works(CTL_F_JSON);
	ck_assert_int_eq(fake_calls, 2);	/* server, then expected() */
}
END_TEST

START_TEST(show_table)
{
	struct reply	r;
	struct parsed	pr;
	int		fd;

	assert_show_works(0);
	fd = client();
	send_show(fd, 0);
	collect(fd, &r, 1000);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_ptr_nonnull(strstr(pr.text, "\nal\"ice\\x  up "));
	ck_assert_ptr_nonnull(strstr(pr.text, "\nbob       backoff "));
	ck_assert_ptr_nonnull(strstr(pr.text, "    key " FP_B "\n"));
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

/* An answer larger than one record comes in bounded chunks. */
START_TEST(show_chunked)
{
	struct reply	r;
	struct parsed	pr;
	char		*want;
	int		fd;

	fake_npeers = 2000;
	fd = client();
	send_show(fd, CTL_F_JSON);
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_uint_gt(pr.ntext, 10);
	want = expected(1);
	ck_assert_uint_eq(pr.ntext,
	    (strlen(want) + CTL_MAX_BODY - 1) / CTL_MAX_BODY);
	ck_assert_str_eq(pr.text, want);
	ck_assert(json_valid(pr.text));
	free(want);
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

static void
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

START_TEST(unknown_type)
{
	int	fd;

	fd = client();
	send_req(fd, 77, "abc", 3);
	assert_error_reply(fd, "unknown request type 77");
	(void)close(fd);
	/* A reply type sent as a request is just as unknown. */
	fd = client();
	send_req(fd, CTL_END, NULL, 0);
	assert_error_reply(fd, "unknown request type 3");
	(void)close(fd);
	ck_assert_int_eq(fake_calls, 0);
	assert_show_works(0);
}
END_TEST

START_TEST(malformed_show)
{
	uint8_t	two[2] = { 0, 0 };
	int	fd;

	fd = client();
	send_req(fd, CTL_SHOW, NULL, 0);
	assert_error_reply(fd, "malformed show request");
	(void)close(fd);
	fd = client();
	send_req(fd, CTL_SHOW, two, sizeof(two));
	assert_error_reply(fd, "malformed show request");
	(void)close(fd);
	fd = client();
	send_show(fd, 0x82);
	assert_error_reply(fd, "unknown show flags 0x82");
	(void)close(fd);
	ck_assert_int_eq(fake_calls, 0);
}
END_TEST

START_TEST(oversized_length)
{
	uint8_t	hdr[CTL_HDR_LEN];
	int	fd;

	fd = client();
	put_u32(hdr, CTL_MAX_BODY + 1);
	hdr[4] = CTL_SHOW;
	send_raw(fd, hdr, sizeof(hdr));
	assert_closed_silently(fd, 1000);
	(void)close(fd);
	fd = client();
	put_u32(hdr, UINT32_MAX);
	send_raw(fd, hdr, sizeof(hdr));
	assert_closed_silently(fd, 1000);
	(void)close(fd);
	assert_show_works(CTL_F_JSON);
}
END_TEST

/* The largest legal body is read whole, then answered. */
START_TEST(max_body)
{
	uint8_t	*body;
	int	 fd;

	ck_assert_ptr_nonnull(body = calloc(1, CTL_MAX_BODY));
	fd = client();
	send_req(fd, 9, body, CTL_MAX_BODY);
	assert_error_reply(fd, "unknown request type 9");
	(void)close(fd);
	free(body);
}
END_TEST

START_TEST(disconnect_mid_request)
{
	uint8_t	hdr[CTL_HDR_LEN] = { 0, 0, 0, 1, CTL_SHOW };
	int	fd, i;

	/* Gone in the header, after it, and right after a full request. */
	for (i = 0; i < 3; i++) {
		fd = client();
		send_raw(fd, hdr, i == 0 ? 3 : sizeof(hdr));
		if (i == 2)
			send_raw(fd, "\0", 1);
		pump(5);
		(void)close(fd);
		pump(5);
	}
	/* Every slot was given back: a full house is still served. */
	{
		int	fds[CTL_MAX_CLIENTS];

		for (i = 0; i < CTL_MAX_CLIENTS; i++)
			fds[i] = client();
		pump(10);
		for (i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct reply	r;
			struct parsed	pr;

			send_show(fds[i], 0);
			collect(fds[i], &r, 1000);
			parse_reply(&r, &pr);
			ck_assert_int_eq(pr.status, 0);
			free_reply(&r, &pr);
			(void)close(fds[i]);
		}
	}
}
END_TEST

/*
 * A client that leaves in the middle of a large answer: the server gets
 * EPIPE, not SIGPIPE (which is not ignored here), and carries on.
 */
START_TEST(disconnect_mid_reply)
{
	uint8_t	buf[1024];
	int	fd;

	fake_npeers = 5000;
	fd = client();
	send_show(fd, CTL_F_JSON);
	pump(10);
	ck_assert_int_gt(read(fd, buf, sizeof(buf)), 0);
	(void)close(fd);
	pump(20);
	fake_npeers = 2;
	assert_show_works(0);
}
END_TEST

START_TEST(too_many_clients)
{
	int	fds[CTL_MAX_CLIENTS], extra, i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		fds[i] = client();
	pump(10);
	extra = client();
	assert_closed_silently(extra, 1000);
	(void)close(extra);
	/* The ones let in are served normally. */
	{
		struct reply	r;
		struct parsed	pr;

		send_show(fds[0], CTL_F_JSON);
		collect(fds[0], &r, 1000);
		parse_reply(&r, &pr);
		ck_assert_int_eq(pr.status, 0);
		ck_assert_str_eq(pr.text, json_want);
		free_reply(&r, &pr);
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		(void)close(fds[i]);
	pump(10);
	assert_show_works(0);
}
END_TEST

START_TEST(idle_timeout)
{
	struct reply	r;
	int		fd;

	control_set_timeout_ms(100);
	fd = client();
	collect(fd, &r, 40);
	ck_assert(!r.eof);		/* not yet */
	free_reply(&r, NULL);
	assert_closed_silently(fd, 1000);
	(void)close(fd);
	assert_show_works(CTL_F_JSON);
}
END_TEST

/* Trickling a byte now and then does not buy more time. */
START_TEST(request_deadline)
{
	struct reply	r;
	uint8_t		hdr[CTL_HDR_LEN] = { 0, 0, 0, 1, CTL_SHOW };
	int		fd, i;

	control_set_timeout_ms(100);
	fd = client();
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 5 && !r.eof; i++) {
		(void)send(fd, hdr + i, 1, MSG_NOSIGNAL);
		pump(40);
		(void)drain(fd, &r);
	}
	ck_assert(r.eof);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_lt(i, 5);
	free_reply(&r, NULL);
	(void)close(fd);
}
END_TEST

/* A client that asks and then never reads is dropped as well. */
START_TEST(reader_stalls)
{
	struct reply	r;
	struct parsed	pr;
	char		*want;
	int		fd;

	control_set_timeout_ms(100);
	fake_npeers = 5000;
	fd = client();
	send_show(fd, CTL_F_JSON);
	pump(300);
	/* Whatever was buffered is there, then EOF, and no CTL_END. */
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	want = expected(1);
	ck_assert_uint_lt(r.len, strlen(want));
	free(want);
	r.len -= r.len % (CTL_HDR_LEN + CTL_MAX_BODY);	/* whole records */
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, -1);
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

/* Out of descriptors: accepting pauses, then resumes. */
START_TEST(accept_emfile)
{
	struct rlimit	 old, low;
	struct reply	 r;
	struct parsed	 pr;
	int		 fd, fill[256], nfill = 0, i;

	fd = client();
	send_show(fd, 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* Use up every descriptor below the limit. */
	low = old;
	low.rlim_cur = (rlim_t)fd + 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nfill < 256 && (i = dup(fd)) != -1)
		fill[nfill++] = i;
	ck_assert_int_eq(errno, EMFILE);
	collect(fd, &r, 50);
	ck_assert_uint_eq(r.len, 0);
	ck_assert(!r.eof);
	free_reply(&r, NULL);
	for (i = 0; i < nfill; i++)
		(void)close(fill[i]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	collect(fd, &r, 1500);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	free_reply(&r, &pr);
	(void)close(fd);
}
END_TEST

START_TEST(shutdown_closes_all)
{
	int	fds[3], i;

	for (i = 0; i < 3; i++)
		fds[i] = client();
	send_raw(fds[1], "\0\0", 2);
	pump(10);
	control_shutdown();
	for (i = 0; i < 3; i++) {
		assert_closed_silently(fds[i], 100);
		(void)close(fds[i]);
	}
	/* The listening socket went with it. */
	ck_assert_int_eq(fcntl(lfd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	/* Again is harmless; teardown does it too. */
	control_shutdown();
}
END_TEST

/* ---- reload and check: answered later, by control_answer() ------- */

START_TEST(reload_not_offered)
{
	int	fd;

	fd = client();
	send_req(fd, CTL_RELOAD, NULL, 0);
	assert_error_reply(fd, "reload is not supported here");
	(void)close(fd);
	fd = client();
	send_req(fd, CTL_CHECK, NULL, 0);
	assert_error_reply(fd, "check is not supported here");
	(void)close(fd);
}
END_TEST

START_TEST(reload_answered)
{
	static const char	 done[] =
	    "peer c: added\nconfiguration reloaded\n";
	struct reply		 r;
	struct parsed		 pr;
	int			 fd;

	fd = client();
	send_req(fd, CTL_RELOAD, NULL, 0);
	pump(50);
	ck_assert_uint_eq(reload_calls, 1);
	ck_assert_int_eq(reload_check, 0);
	/* Nothing until the answer comes; another id is not this client. */
	control_answer(reload_client + 1, 0, "wrong", 5);
	collect(fd, &r, 100);
	ck_assert(!r.eof);
	ck_assert_uint_eq(r.len, 0);
	free_reply(&r, NULL);
	control_answer(reload_client, 0, done, strlen(done));
	collect(fd, &r, 1000);
	ck_assert(r.eof);
	parse_reply(&r, &pr);
	ck_assert_int_eq(pr.status, 0);
	ck_assert_str_eq(pr.text, done);
	free_reply(&r, &pr);
	(void)close(fd);
	/* The same client cannot be answered twice. */
	control_answer(reload_client, 0, done, strlen(done));
	pump(10);
}
END_TEST

START_TEST(check_refused)
{
	static const char	err[] = "a.conf:3: unknown keyword \"x\"\n";
	int			fd;

	fd = client();
	send_req(fd, CTL_CHECK, NULL, 0);
	pump(50);
	ck_assert_uint_eq(reload_calls, 1);
	ck_assert_int_eq(reload_check, 1);
	control_answer(reload_client, 1, err, strlen(err));
	assert_error_reply(fd, err);
	(void)close(fd);
}
END_TEST

START_TEST(reload_malformed)
{
	int	fd;

	fd = client();
	send_req(fd, CTL_RELOAD, "x", 1);
	assert_error_reply(fd, "malformed reload request");
	(void)close(fd);
	ck_assert_uint_eq(reload_calls, 0);
}
END_TEST

/* A client that gives up before the answer: the answer is dropped. */
START_TEST(reload_client_gone)
{
	unsigned int	id;
	int		fd;

	control_set_timeout_ms(100);
	fd = client();
	send_req(fd, CTL_RELOAD, NULL, 0);
	pump(50);
	ck_assert_uint_eq(reload_calls, 1);
	id = reload_client;
	(void)close(fd);
	pump(300);		/* its deadline passes: freed */
	control_answer(id, 0, "late", 4);
	pump(10);
	control_set_timeout_ms(0);
	assert_show_works(0);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, reset_fake, NULL);
	tcase_add_test(tc, format_json_exact);
	tcase_add_test(tc, format_json_escapes);
	tcase_add_test(tc, format_json_no_peers);
	tcase_add_test(tc, format_table_exact);
	tcase_add_test(tc, format_table_sanitized);
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, show_json);
	tcase_add_test(tc, show_table);
	tcase_add_test(tc, show_chunked);
	tcase_add_test(tc, unknown_type);
	tcase_add_test(tc, malformed_show);
	tcase_add_test(tc, oversized_length);
	tcase_add_test(tc, max_body);
	tcase_add_test(tc, disconnect_mid_request);
	tcase_add_test(tc, disconnect_mid_reply);
	tcase_add_test(tc, too_many_clients);
	tcase_add_test(tc, idle_timeout);
	tcase_add_test(tc, request_deadline);
	tcase_add_test(tc, reader_stalls);
	tcase_add_test(tc, accept_emfile);
	tcase_add_test(tc, shutdown_closes_all);
	tcase_add_test(tc, reload_not_offered);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, setup_reload, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, reload_answered);
	tcase_add_test(tc, check_refused);
	tcase_add_test(tc, reload_malformed);
	tcase_add_test(tc, reload_client_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(control_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
