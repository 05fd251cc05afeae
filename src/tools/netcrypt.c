/*
 * netcrypt: a session of netcryptd(8) from the command line, built on
 * libnetcrypt(3) alone.  Send a message or a file, listen, chat.
 *
 * Everything printed that came from elsewhere (names, messages, file
 * names) goes through put_text(), which shows any byte that is not
 * printable as \xNN: a peer must not be able to drive our terminal.
 */
#include "config.h"

#include <sys/random.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netcrypt.h"
#include "spoolarg.h"
#include "util.h"

#define SEND_WAIT_MS	60000	/* for a message's receipt */
#define FILE_WAIT_MS	60000	/* a file transfer without progress */
#define PEERS_WAIT_MS	10000
#define CHAT_DRAIN_MS	60000	/* end of input: wait while receipts come */
#define CHAT_ROOM_TRIES	6	/* nc_send() waits 10 s for room each time */
#define NAME_TRIES	3	/* generated names for send-file */
#define FROM_MAX	64	/* --from patterns */
#define QUERY_ANON_MS	5000	/* send --wait: anonymous, asks this often */
#define QUERY_NAMED_MS	60000	/* named: FINAL comes; asks now and then */
#define FINAL_SLACK_MS	3600000	/* after the lifetime, still waiting */
#define EX_USAGE_	2
#define EX_UNKNOWN_ID	3	/* status: the daemon knows no such id */

static const char	*socket_path;	/* NULL: the library's default */
static const char	*session_name;	/* NULL: anonymous */
static int		 utf8_term;	/* raw UTF-8 is safe to print */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: netcrypt [-s socket] [-n name] send "
	    "[--within duration [--wait]] to text ...\n"
	    "       netcrypt [-s socket] [-n name] send-file "
	    "[--within duration [--wait]] to path\n"
	    "       netcrypt [-s socket] [-n name] status id\n"
	    "       netcrypt [-s socket] -n name listen [-o dir] "
	    "[-c count] [--from senders]\n"
	    "                [--max-size size] [--min-free percent]\n"
	    "       netcrypt [-s socket] -n name chat to\n"
	    "       netcrypt [-s socket] peers\n");
	exit(EX_USAGE_);
}

static void
put_text(FILE *fp, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 i = 0, n;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			putc(p[i], fp);
			i++;
		} else if (utf8_term && p[i] >= 0x80 &&
		    (n = nc_utf8_printable_len(p + i, len - i)) > 0) {
			fwrite(p + i, 1, n, fp);
			i += n;
		} else
			fprintf(fp, "\\x%02x", p[i++]);
	}
}

static void
put_str(FILE *fp, const char *s)
{
	put_text(fp, s, strlen(s));
}

/* End a line of output; a reader on a pipe sees every line at once. */
static void
end_line(void)
{
	putchar('\n');
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
}

static struct nc_session *
open_session(const char *name)
{
	struct nc_session	*s;
	char			 ebuf[256];
	int			 r;

	r = nc_open(&s, socket_path, name, ebuf, sizeof(ebuf));
	if (r == -1)
		errx(1, "%s", ebuf);
	if (r != NC_OK)
		errx(1, "%s: %s", name != NULL ? name : "anonymous",
		    nc_status_str(r));
	return s;
}

static void __attribute__((noreturn))
lost(void)
{
	if (errno == EPIPE)
		errx(1, "netcryptd closed the session");
	err(1, "netcryptd");
}

/* Messages and files; 1 if it is one of those (listen counts them). */
static int
print_event(const struct nc_event *ev)
{
	switch (ev->type) {
	case NC_EV_MESSAGE:
		put_str(stdout, ev->from);
		fputs(": ", stdout);
		put_text(stdout, ev->data, ev->len);
		end_line();
		return 1;
	case NC_EV_FILE_SAVED:
		fputs("saved ", stdout);
		put_str(stdout, ev->name);
		printf(" (%llu bytes, sha256 OK) from ",
		    (unsigned long long)ev->size);
		put_str(stdout, ev->from);
		end_line();
		return 1;
	case NC_EV_FILE_FAILED:
		fputs("netcrypt: file ", stderr);
		put_str(stderr, ev->name);
		fputs(" from ", stderr);
		put_str(stderr, ev->from);
		fprintf(stderr, ": %s\n", nc_status_str(ev->status));
		return 1;
	default:
		return 0;
	}
}

/* getopt() again, on a command's own options. */
static void
getopt_reset(void)
{
#ifdef __GLIBC__
	optind = 0;
#else
	optreset = 1;
	optind = 1;
#endif
}

/* The words argv[0..argc) joined by spaces, in *len bytes (no NUL). */
static char *
join_words(int argc, char *argv[], size_t *len)
{
	char	*text;
	size_t	 n;
	int	 i;

	*len = 0;
	for (i = 0; i < argc; i++)
		*len += strlen(argv[i]) + 1;
	if ((text = malloc(*len)) == NULL)
		err(1, NULL);
	*len = 0;
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		memcpy(text + *len, argv[i], n);
		*len += n;
		if (i + 1 < argc)
			text[(*len)++] = ' ';
	}
	return text;
}

/* A status of a message with a lifetime, as netcrypt prints it. */
static const char *
spool_status_str(int status)
{
	if (status == NC_OK)
		return "delivered";
	if (status == NC_BAD_NAME)
		return "bad name or lifetime";
	return nc_status_str(status);
}

/* Whether a STATE status is the end of the message (not still going). */
static int
spool_ended(int status)
{
	return status != NC_QUEUED && status != NC_AT_PEER;
}

/*
 * send --wait: the end of spool id, at most until its lifetime is over
 * (and an hour).  FINAL comes to a named session; every so often (often
 * for an anonymous one, which gets no FINAL) the daemon is asked too.
 * Messages and files that come for the name meanwhile are shown, as by
 * listen: they are this session's, and left unread they would stop it
 * from reading the answer.
 */
static int
wait_final(struct nc_session *s, uint64_t id, uint32_t lifetime)
{
	struct nc_event	ev;
	uint64_t	deadline, next_query = 0;
	int		every, r;

	every = strncmp(nc_session_name(s), "anon-", 5) == 0 ?
	    QUERY_ANON_MS : QUERY_NAMED_MS;
	deadline = now_ms() + (uint64_t)lifetime * 1000 + FINAL_SLACK_MS;
	for (;;) {
		if (now_ms() >= deadline)
			errx(1, "%016llx: no end in sight after its lifetime; "
			    "netcrypt status %016llx tells later",
			    (unsigned long long)id, (unsigned long long)id);
		if (now_ms() >= next_query) {
			if (nc_query(s, id) == -1)
				lost();
			next_query = now_ms() + (uint64_t)every;
		}
		if ((r = nc_next(s, &ev, 1000)) == -1)
			lost();
		if (r == 0)
			continue;
		if (ev.type == NC_EV_FINAL && ev.id == id)
			return ev.status;
		if (ev.type == NC_EV_STATE && ev.id == id &&
		    spool_ended(ev.status))
			return ev.status;
		(void)print_event(&ev);
	}
}

static int
send_within(const char *to, const char *text, size_t len, uint32_t lifetime,
    int wait)
{
	struct nc_session	*s;
	uint64_t		 id = 0;
	int			 r;

	s = open_session(session_name);
	r = nc_send_within_wait(s, to, text, len, lifetime, SEND_WAIT_MS,
	    &id);
	if (r == -1)
		lost();
	if (r != NC_QUEUED)
		errx(1, "%s: %s", to, spool_status_str(r));
	printf("queued %016llx", (unsigned long long)id);
	end_line();
	if (wait && (r = wait_final(s, id, lifetime)) != NC_OK)
		errx(1, "%016llx: %s", (unsigned long long)id,
		    spool_status_str(r));
	if (wait) {
		printf("delivered %016llx", (unsigned long long)id);
		end_line();
	}
	nc_close(s);
	return 0;
}

/*
 * send's and send-file's options: --within DURATION, --wait (only with
 * it).  "+": what follows "to" is never taken for options.
 */
static void
within_options(int argc, char *argv[], uint32_t *lifetime, int *wait)
{
	static const struct option longopts[] = {
		{ "within",	required_argument,	NULL,	'l' },
		{ "wait",	no_argument,		NULL,	'w' },
		{ NULL,		0,			NULL,	0 }
	};
	const char	*why;
	int		 ch;

	getopt_reset();
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if ((why = spoolarg_duration(optarg, lifetime)) != NULL)
				errx(EX_USAGE_, "--within %s: %s", optarg, why);
			break;
		case 'w':
			*wait = 1;
			break;
		default:
			usage();
		}
	}
	if (*wait && *lifetime == 0)
		errx(EX_USAGE_, "--wait: only with --within");
}

static int
cmd_send(int argc, char *argv[])
{
	struct nc_session	*s;
	char			*text;
	size_t			 len;
	uint32_t		 lifetime = 0;
	int			 r, wait = 0;

	within_options(argc, argv, &lifetime, &wait);
	if (argc - optind < 2)
		usage();
	text = join_words(argc - optind - 1, argv + optind + 1, &len);
	if (lifetime != 0) {
		r = send_within(argv[optind], text, len, lifetime, wait);
		free(text);
		return r;
	}
	s = open_session(session_name);
	r = nc_send_wait(s, argv[optind], text, len, SEND_WAIT_MS);
	if (r == -1)
		lost();
	nc_close(s);
	free(text);
	if (r != NC_OK)
		errx(1, "%s: %s", argv[optind], nc_status_str(r));
	return 0;
}

/* status id: what became of a message sent with a lifetime. */
static int
cmd_status(int argc, char *argv[])
{
	struct nc_session	*s;
	const char		*why;
	uint64_t		 id;
	int			 r;

	if (argc != 2)
		usage();
	if ((why = spoolarg_id(argv[1], &id)) != NULL)
		errx(EX_USAGE_, "%s: %s", argv[1], why);
	s = open_session(session_name);
	if ((r = nc_query_wait(s, id, PEERS_WAIT_MS)) == -1)
		lost();
	nc_close(s);
	if (r == NC_TIMEOUT)
		errx(1, "no answer from netcryptd");
	printf("%s", spool_status_str(r));
	end_line();
	return r == NC_UNKNOWN_ID ? EX_UNKNOWN_ID : 0;
}

/*
 * The receiver's verdict comes back as a message, which an anonymous
 * session cannot receive: without -n, send-file attaches under the
 * user's login name (which the default session policy gives the user,
 * and which tells the receiver who sends), or, when that is taken or
 * refused, under a made-up name where the policy allows it.
 */
static struct nc_session *
open_named_session(void)
{
	struct nc_session	*s = NULL;
	struct passwd		*pw;
	char			 name[32], login[32] = "", ebuf[256];
	uint8_t			 rnd[4];
	int			 i, r = NC_NAME_IN_USE;

	if ((pw = getpwuid(getuid())) != NULL && strlen(pw->pw_name) <
	    sizeof(login)) {
		(void)snprintf(login, sizeof(login), "%s", pw->pw_name);
		r = nc_open(&s, socket_path, login, ebuf, sizeof(ebuf));
		if (r == -1)
			errx(1, "%s", ebuf);
		if (r == NC_OK)
			return s;
		r = NC_NAME_IN_USE;
	}
	for (i = 0; i < NAME_TRIES && r == NC_NAME_IN_USE; i++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			err(1, "getrandom");
		(void)snprintf(name, sizeof(name), "file-%02x%02x%02x%02x",
		    rnd[0], rnd[1], rnd[2], rnd[3]);
		r = nc_open(&s, socket_path, name, ebuf, sizeof(ebuf));
		if (r == -1)
			errx(1, "%s", ebuf);
	}
	if (r == NC_NOT_ALLOWED && login[0] != '\0')
		errx(1, "%s is taken, and the session policy gives this user "
		    "no other name: choose one with -n", login);
	if (r != NC_OK)
		errx(1, "%s: %s", name, nc_status_str(r));
	return s;
}

/*
 * send-file --within: queued into the spool (all of it, or an error),
 * then with --wait the receiver's verdict, at most until the lifetime is
 * over (and an hour).
 */
static int
send_file_within(struct nc_session *s, const char *to, const char *path,
    uint32_t lifetime, int wait)
{
	struct nc_file_ids	ids;
	char			ebuf[512];
	uint64_t		ms;
	int			r;

	r = nc_send_file_within(s, to, path, lifetime, FILE_WAIT_MS, &ids,
	    ebuf, sizeof(ebuf));
	if (r != NC_QUEUED) {
		nc_close(s);
		errx(1, "%s", ebuf);
	}
	printf("queued %016llx (%llu bytes in %llu chunks, offer %016llx)",
	    (unsigned long long)ids.end, (unsigned long long)ids.size,
	    (unsigned long long)ids.chunks, (unsigned long long)ids.offer);
	end_line();
	if (!wait) {
		nc_close(s);
		return 0;
	}
	ms = (uint64_t)lifetime * 1000 + FINAL_SLACK_MS;
	r = nc_file_wait(s, &ids, ms > INT_MAX ? -1 : (int)ms, ebuf,
	    sizeof(ebuf));
	nc_close(s);
	if (r != NC_OK)
		errx(1, "%s", ebuf);
	printf("delivered %016llx: saved by the receiver, sha256 OK",
	    (unsigned long long)ids.end);
	end_line();
	return 0;
}

static int
cmd_send_file(int argc, char *argv[])
{
	struct nc_session	*s;
	char			 ebuf[512];
	uint32_t		 lifetime = 0;
	int			 r, wait = 0;

	within_options(argc, argv, &lifetime, &wait);
	if (argc - optind != 2)
		usage();
	if (session_name == NULL || session_name[0] == '\0')
		s = open_named_session();
	else
		s = open_session(session_name);
	if (lifetime != 0)
		return send_file_within(s, argv[optind], argv[optind + 1],
		    lifetime, wait);
	r = nc_send_file(s, argv[optind], argv[optind + 1], FILE_WAIT_MS,
	    ebuf, sizeof(ebuf));
	nc_close(s);
	if (r != NC_OK)
		errx(1, "%s", ebuf);
	return 0;
}

static long long
parse_count(const char *arg)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 1 || v > INT_MAX)
		errx(EX_USAGE_, "%s: count must be 1 to %d", arg, INT_MAX);
	return v;
}

/* A size: bytes, or with K, M, G or T (powers of 1024); 0: no limit. */
static uint64_t
parse_size(const char *arg)
{
	static const char	 units[] = "KMGT";
	const char		*u;
	char			*end;
	unsigned long long	 v;
	unsigned int		 shift = 0;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end != '\0' && end[1] == '\0' &&
	    (u = strchr(units, toupper((unsigned char)*end))) != NULL) {
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
	}
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v > (UINT64_MAX >> shift))
		errx(EX_USAGE_, "%s: a size is a number of bytes, with K, M, "
		    "G or T for powers of 1024", arg);
	return (uint64_t)v << shift;
}

static unsigned int
parse_percent(const char *arg)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > 99)
		errx(EX_USAGE_, "%s: a percentage from 0 to 99", arg);
	return (unsigned int)v;
}

/* --from "a,b" adds each pattern to list. */
static void
add_senders(const char **list, size_t *n, char *arg)
{
	char	*p, *save = NULL;

	for (p = strtok_r(arg, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (*n == FROM_MAX)
			errx(EX_USAGE_, "--from: more than %d senders",
			    FROM_MAX);
		list[(*n)++] = p;
	}
}

static int
cmd_listen(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "from",	required_argument,	NULL,	'f' },
		{ "max-size",	required_argument,	NULL,	'm' },
		{ "min-free",	required_argument,	NULL,	'p' },
		{ NULL,		0,			NULL,	0 }
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	const char		*dir = NULL, *from[FROM_MAX];
	long long		 count = 0, seen = 0;
	unsigned int		 minfree = NC_DEFAULT_MIN_FREE;
	uint64_t		 maxsize = NC_DEFAULT_MAX_FILE;
	size_t			 nfrom = 0;
	int			 ch;

	getopt_reset();
	while ((ch = getopt_long(argc, argv, "+o:c:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			dir = optarg;
			break;
		case 'c':
			count = parse_count(optarg);
			break;
		case 'f':
			add_senders(from, &nfrom, optarg);
			break;
		case 'm':
			maxsize = parse_size(optarg);
			break;
		case 'p':
			minfree = parse_percent(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || session_name == NULL || *session_name == '\0')
		usage();
	s = open_session(session_name);
	if (nc_receive_limits(s, maxsize, minfree) == -1)
		err(1, "nc_receive_limits");
	if (nc_receive_from(s, from, nfrom) == -1)
		errx(EX_USAGE_, "--from: a sender is name or name@host, "
		    "with * and ?");
	/* Without -o the library refuses every file offered. */
	if (dir != NULL && nc_receive_files(s, dir) == -1)
		err(1, "%s", dir);
	while (count == 0 || seen < count) {
		if (nc_next(s, &ev, -1) == -1)
			lost();
		seen += print_event(&ev);
	}
	nc_close(s);
	return 0;
}

struct chat {
	struct nc_session	*s;
	const char		*to;
	char			*line;		/* NC_MAX_PAYLOAD + 1 */
	size_t			 len;
	int			 skipping;	/* the rest of a long line */
	long			 pending;	/* receipts due */
	uint64_t		 last_receipt;	/* now_ms() */
	int			 failed;
};

static void	chat_events(struct chat *);

static void
chat_send(struct chat *c, char *p, size_t len)
{
	uint64_t	id;
	int		r;

	int		tries = 0;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	/* The daemon may stop reading us a while (a link is backed up). */
	while ((r = nc_send(c->s, c->to, p, len, 1, &id)) == -1 &&
	    errno == ETIMEDOUT && ++tries < CHAT_ROOM_TRIES)
		chat_events(c);
	if (r == -1)
		lost();
	if (r != NC_OK) {
		warnx("%s: %s", c->to, nc_status_str(r));
		c->failed = 1;
	} else
		c->pending++;
}

/* Take what stdin has; 0 at its end. */
static int
chat_input(struct chat *c)
{
	char	*nl;
	size_t	 cap = NC_MAX_PAYLOAD + 1, start = 0;
	ssize_t	 n;

	n = read(STDIN_FILENO, c->line + c->len, cap - c->len);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 1;
		err(1, "stdin");
	}
	if (n == 0) {
		if (c->len > 0 && !c->skipping)
			chat_send(c, c->line, c->len);
		c->len = 0;
		return 0;
	}
	c->len += (size_t)n;
	while ((nl = memchr(c->line + start, '\n', c->len - start)) != NULL) {
		if (!c->skipping)
			chat_send(c, c->line + start,
			    (size_t)(nl - (c->line + start)));
		c->skipping = 0;
		start = (size_t)(nl - c->line) + 1;
	}
	memmove(c->line, c->line + start, c->len - start);
	c->len -= start;
	if (c->len == cap) {
		if (!c->skipping)
			warnx("line too long (at most %d bytes)",
			    NC_MAX_PAYLOAD);
		c->skipping = 1;
		c->failed = 1;
		c->len = 0;
	}
	return 1;
}

static void
chat_events(struct chat *c)
{
	struct nc_event	ev;
	int		r;

	while ((r = nc_next(c->s, &ev, 0)) == 1) {
		if (ev.type != NC_EV_RECEIPT) {
			(void)print_event(&ev);
			continue;
		}
		if (c->pending > 0)
			c->pending--;
		c->last_receipt = now_ms();
		if (ev.status != NC_OK) {
			warnx("%s: %s", c->to, nc_status_str(ev.status));
			c->failed = 1;
		}
	}
	if (r == -1)
		lost();
}

static int
cmd_chat(int argc, char **argv)
{
	struct chat	c;
	struct pollfd	pfd[2];
	int		in_open = 1;

	if (argc != 2 || session_name == NULL || *session_name == '\0')
		usage();
	memset(&c, 0, sizeof(c));
	c.to = argv[1];
	if ((c.line = malloc(NC_MAX_PAYLOAD + 1)) == NULL)
		err(1, NULL);
	c.s = open_session(session_name);
	for (;;) {
		chat_events(&c);
		if (!in_open && c.pending == 0)
			break;
		/* Receipts still coming: the link is slow, not dead. */
		if (!in_open && now_ms() >= c.last_receipt + CHAT_DRAIN_MS) {
			warnx("%ld message(s) without a receipt", c.pending);
			c.failed = 1;
			break;
		}
		pfd[0].fd = nc_fd(c.s);
		pfd[0].events = POLLIN;
		pfd[1].fd = in_open ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		/*
		 * At most a second: output the library could not write yet
		 * is flushed by nc_next(), and we only poll for input.
		 */
		if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
			err(1, "poll");
		if (in_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			if ((in_open = chat_input(&c)) == 0)
				c.last_receipt = now_ms();
	}
	nc_close(c.s);
	free(c.line);
	return c.failed;
}

static int
cmd_peers(int argc)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	const uint8_t		*p, *nl, *end;
	uint64_t		 deadline;
	int			 r;

	if (argc != 1)
		usage();
	s = open_session(session_name);
	if (nc_request_peers(s) == -1)
		lost();
	deadline = now_ms() + PEERS_WAIT_MS;
	do {
		if (now_ms() >= deadline)
			errx(1, "no answer from netcryptd");
		if ((r = nc_next(s, &ev, (int)(deadline - now_ms()))) == -1)
			lost();
		/* A message for the name is shown, never dropped. */
		if (r == 1 && ev.type != NC_EV_PEERS)
			(void)print_event(&ev);
	} while (r == 0 || ev.type != NC_EV_PEERS);
	/* "name state" lines; the names are the daemon's, escaped anyway. */
	for (p = ev.data, end = p + ev.len; p < end;
	    p = nl < end ? nl + 1 : end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		put_text(stdout, p, (size_t)(nl - p));
		end_line();
	}
	nc_close(s);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*cmd;
	int		 ch;

	/* Only to learn whether the terminal takes UTF-8. */
	(void)setlocale(LC_CTYPE, "");
	utf8_term = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	while ((ch = getopt(argc, argv, "+s:n:")) != -1) {
		switch (ch) {
		case 's':
			socket_path = optarg;
			break;
		case 'n':
			session_name = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "send") == 0)
		return cmd_send(argc, argv);
	if (strcmp(cmd, "send-file") == 0)
		return cmd_send_file(argc, argv);
	if (strcmp(cmd, "listen") == 0)
		return cmd_listen(argc, argv);
	if (strcmp(cmd, "chat") == 0)
		return cmd_chat(argc, argv);
	if (strcmp(cmd, "peers") == 0)
		return cmd_peers(argc);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc, argv);
	usage();
}
