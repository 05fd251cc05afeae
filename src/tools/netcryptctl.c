/*
 * netcryptctl: ask netcryptd(8), over its control socket, what it is
 * doing, and what its spool keeps.  The daemon formats the answer; this program is a thin pipe that
 * checks every record it is handed and never trusts a length.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl_proto.h"
#include "spoolarg.h"
#include "util.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#define CTL_SOCKET	RUNSTATEDIR "/netcryptd/control.sock"
#define CTL_WAIT_MS	10000		/* for the whole conversation */
#define CTL_MAX_REPLY	(64 * 1024 * 1024)	/* all text records */
#define CTL_RETRY_MS	50		/* while the daemon's backlog is full */

static uint64_t		deadline;	/* now_ms() when we give up */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: netcryptctl [-s socket] show [--json]\n"
	    "       netcryptctl [-s socket] reload | check\n"
	    "       netcryptctl [-s socket] queue [show id] [--json]\n"
	    "       netcryptctl [-s socket] queue drop id\n");
	exit(1);
}

static void
deadline_set(void)
{
	deadline = now_ms() + CTL_WAIT_MS;
}

/* Milliseconds left; exits once the time is up. */
static int
time_left(void)
{
	uint64_t	now = now_ms();

	if (now >= deadline)
		errx(1, "timed out waiting for netcryptd");
	return deadline - now > CTL_WAIT_MS ? CTL_WAIT_MS :
	    (int)(deadline - now);
}

static void
wait_fd(int fd, short events)
{
	struct pollfd	pfd;
	int		rv;

	pfd.fd = fd;
	pfd.events = events;
	do {
		rv = poll(&pfd, 1, time_left());
	} while (rv == -1 && errno == EINTR);
	if (rv == -1)
		err(1, "poll");
	if (rv == 0)
		errx(1, "timed out waiting for netcryptd");
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		err(1, "socket");
	/*
	 * Non-blocking, so that a daemon too busy to accept cannot hang us:
	 * a full backlog gives EAGAIN, and we retry until the deadline.
	 */
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
			(void)time_left();
			(void)poll(NULL, 0, CTL_RETRY_MS);
			continue;
		case ENOENT:
		case ECONNREFUSED:
			errx(1, "%s: %s (is netcryptd running?)", path,
			    strerror(errno));
		case EACCES:
		case EPERM:
			errx(1, "%s: %s (the control socket is for root or "
			    "its group)", path, strerror(errno));
		default:
			err(1, "%s", path);
		}
	}
	return fd;
}

static void
send_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		/* MSG_NOSIGNAL: report a closed socket, do not die of it. */
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				wait_fd(fd, POLLOUT);
				continue;
			}
			if (errno == EPIPE || errno == ECONNRESET)
				errx(1, "netcryptd closed the connection");
			err(1, "send");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Read exactly len bytes: 0, or -1 on EOF before the first of them. */
static int
recv_all(int fd, uint8_t *p, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				wait_fd(fd, POLLIN);
				continue;
			}
			if (errno == ECONNRESET)
				errx(1, "netcryptd reset the connection");
			err(1, "read");
		}
		if (n == 0) {
			if (got == 0)
				return -1;
			errx(1, "netcryptd closed the connection in the "
			    "middle of a record");
		}
		got += (size_t)n;
	}
	return 0;
}


/*
 * The daemon only ever sends text, but the network child that writes it
 * faces the network: keep escape sequences off the terminal anyway.
 */
static void
print_safe(FILE *fp, const uint8_t *p, size_t len)
{
	size_t	i, n;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (p[i] == '\n' || p[i] == '\t' ||
		    (p[i] >= 0x20 && p[i] < 0x7f))
			(void)putc(p[i], fp);
		else if (p[i] >= 0x80 && (n = nc_utf8_printable_len(p + i,
		    len - i)) > 0)
			(void)fwrite(p + i, 1, n, fp);
		else {
			(void)putc('?', fp);
			n = 1;
		}
	}
}

struct text {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static void
text_add(struct text *t, const uint8_t *p, size_t len)
{
	size_t	 ncap;
	uint8_t	*np;

	if (len > CTL_MAX_REPLY - t->len)
		errx(1, "malformed reply: more than %d bytes of text",
		    CTL_MAX_REPLY);
	if (t->len + len > t->cap) {
		ncap = t->cap ? t->cap : CTL_MAX_BODY;
		while (ncap < t->len + len)
			ncap *= 2;
		if ((np = realloc(t->p, ncap)) == NULL)
			err(1, "reply");
		t->p = np;
		t->cap = ncap;
	}
	if (len == 0)
		return;
	memcpy(t->p + t->len, p, len);
	t->len += len;
}

/*
 * Collect the text until CTL_END.  It is printed only once the daemon
 * said it is complete, so a failure never leaves half an answer behind.
 */
static int
read_reply(int fd, struct text *t)
{
	static uint8_t	 body[CTL_MAX_BODY];
	uint8_t		 hdr[CTL_HDR_LEN];
	struct reader	 r;
	uint32_t	 len;
	uint8_t		 type;
	size_t		 nrec;

	for (nrec = 0;; nrec++) {
		if (recv_all(fd, hdr, sizeof(hdr)) == -1)
			errx(1, "netcryptd closed the connection %s",
			    nrec ? "before the end of its answer" :
			    "without answering");
		rd_init(&r, hdr, sizeof(hdr));
		len = rd_u32(&r);
		type = rd_u8(&r);
		if (len > CTL_MAX_BODY)
			errx(1, "malformed reply: record of %u bytes, more "
			    "than %d", (unsigned int)len, CTL_MAX_BODY);
		if (recv_all(fd, body, len) == -1)
			errx(1, "netcryptd closed the connection in the "
			    "middle of a record");
		switch (type) {
		case CTL_TEXT:
			text_add(t, body, len);
			break;
		case CTL_END:
			if (len < 1)
				errx(1, "malformed reply: empty end record");
			if (body[0] == CTL_STATUS_OK)
				return 0;
			fprintf(stderr, "netcryptctl: netcryptd: ");
			/* Errors of a reload come as lines: no blank one. */
			if (len > 2 && body[len - 1] == '\n')
				len--;
			if (len > 1)
				print_safe(stderr, body + 1, len - 1);
			else
				fprintf(stderr, "error %u", body[0]);
			fprintf(stderr, "\n");
			return -1;
		default:
			errx(1, "malformed reply: unknown record type %u",
			    type);
		}
	}
}

/* One request, one answer: printed on success, the error on stderr. */
static int
request(const char *path, uint8_t type, const uint8_t *body, size_t bodylen)
{
	struct text	t = { NULL, 0, 0 };
	uint8_t		req[CTL_HDR_LEN + CTL_QUEUE_LEN];
	int		fd, rv;

	if (bodylen > sizeof(req) - CTL_HDR_LEN)
		errx(1, "request too long");
	deadline_set();
	fd = ctl_connect(path);
	put_u32(req, (uint32_t)bodylen);
	req[CTL_TYPE_OFF] = type;
	if (bodylen > 0)
		memcpy(req + CTL_HDR_LEN, body, bodylen);
	send_all(fd, req, CTL_HDR_LEN + bodylen);
	rv = read_reply(fd, &t);
	(void)close(fd);
	if (rv == 0) {
		print_safe(stdout, t.p, t.len);
		if (fflush(stdout) == EOF || ferror(stdout))
			err(1, "stdout");
	}
	free(t.p);
	return rv == 0 ? 0 : 1;
}

static int
cmd_show(const char *path, int argc, char *argv[])
{
	uint8_t	flags = 0;
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			flags |= CTL_F_JSON;
		else
			usage();
	}
	return request(path, CTL_SHOW, &flags, 1);
}

/* queue [--json] | queue show ID [--json] | queue drop ID */
static int
cmd_queue(const char *path, int argc, char *argv[])
{
	uint8_t		 body[CTL_QUEUE_LEN], op = CTL_QUEUE_LIST, flags = 0;
	uint64_t	 id = 0;
	const char	*why;
	int		 i = 1;

	if (i < argc && (strcmp(argv[i], "show") == 0 ||
	    strcmp(argv[i], "drop") == 0)) {
		op = argv[i][0] == 's' ? CTL_QUEUE_SHOW : CTL_QUEUE_DROP;
		if (++i >= argc)
			usage();
		if ((why = spoolarg_id(argv[i], &id)) != NULL)
			errx(1, "%s: %s", argv[i], why);
		i++;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0 || op == CTL_QUEUE_DROP)
			usage();
		flags |= CTL_F_JSON;
	}
	body[0] = op;
	body[1] = flags;
	put_u64(body + 2, id);
	return request(path, CTL_QUEUE, body, sizeof(body));
}

int
main(int argc, char *argv[])
{
	const char	*path = CTL_SOCKET;
	int		 ch;

	/* "+": options stop at the command, whose own come after it. */
	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (*path == '\0')
		errx(1, "empty socket path");
	if (strcmp(argv[0], "show") == 0)
		return cmd_show(path, argc, argv);
	if (strcmp(argv[0], "queue") == 0)
		return cmd_queue(path, argc, argv);
	/* The daemon re-reads (or only checks) its own file, -D and all. */
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return request(path, CTL_RELOAD, NULL, 0);
	if (strcmp(argv[0], "check") == 0 && argc == 1)
		return request(path, CTL_CHECK, NULL, 0);
	usage();
}
