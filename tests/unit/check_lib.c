/*
 * Unit tests for libnetcrypt, without a daemon: the test plays the daemon
 * on the other end of a socketpair (between library calls), or, where
 * the library blocks (nc_open, nc_send_file), in forked children.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "internal.h"

#define TMO		2000	/* ms: every wait for the library */
#define REC_MAX		(4 + SP_MAX_LEN)

/* ---- the fake daemon's side ------------------------------------------- */

static int	relaying;	/* the relay child: a receiver may be gone */

static void
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EPIPE && relaying)
			return;
		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

static void
put_rec(int fd, uint8_t type, const void *body, size_t len)
{
	uint8_t	hdr[5];

	nc__put32(hdr, (uint32_t)len + 1);
	hdr[4] = type;
	write_all(fd, hdr, sizeof(hdr));
	if (len > 0)
		write_all(fd, body, len);
}

/* Read exactly len bytes, waiting at most TMO for each piece; 0 on EOF. */
static int
read_full(int fd, uint8_t *p, size_t len)
{
	struct pollfd	pfd;
	ssize_t		n;

	while (len > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TMO) != 1)
			return -1;
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* One record from the library: its type; the body in buf. */
static size_t
get_rec(int fd, uint8_t *type, uint8_t *buf)
{
	uint8_t		hdr[5];
	uint32_t	len;

	ck_assert_int_eq(read_full(fd, hdr, 5), 1);
	len = nc__get32(hdr);
	ck_assert(len >= 1 && len <= SP_MAX_LEN);
	*type = hdr[4];
	if (len > 1)
		ck_assert_int_eq(read_full(fd, buf, len - 1), 1);
	return len - 1;
}

static int
nothing_to_read(int fd)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 50) == 0;
}

static void
put_attached(int fd, int status, const char *dname, const char *sname)
{
	uint8_t	b[3 + 2 * 255];
	size_t	dl = strlen(dname), sl = strlen(sname);

	b[0] = (uint8_t)status;
	b[1] = (uint8_t)dl;
	memcpy(b + 2, dname, dl);
	b[2 + dl] = (uint8_t)sl;
	memcpy(b + 3 + dl, sname, sl);
	put_rec(fd, SP_ATTACHED, b, 3 + dl + sl);
}

static void
put_receipt(int fd, uint64_t cid, int status)
{
	uint8_t	b[9];

	nc__put64(b, cid);
	b[8] = (uint8_t)status;
	put_rec(fd, SP_RECEIPT, b, sizeof(b));
}

/* DELIVER from, payload = ct then p1 then p2. */
static void
put_deliver(int fd, const char *from, uint8_t ct, const void *p1, size_t l1,
    const void *p2, size_t l2)
{
	static uint8_t	b[SP_MAX_LEN];
	size_t		fl = strlen(from), off;

	b[0] = (uint8_t)fl;
	memcpy(b + 1, from, fl);
	off = 1 + fl;
	b[off++] = ct;
	if (l1 > 0)
		memcpy(b + off, p1, l1);
	off += l1;
	if (l2 > 0)
		memcpy(b + off, p2, l2);
	off += l2;
	put_rec(fd, SP_DELIVER, b, off);
}

static void
put_text(int fd, const char *from, const char *text)
{
	put_deliver(fd, from, SP_CT_TEXT, text, strlen(text), NULL, 0);
}

/* A session attached as name over a socketpair; *dfd is the daemon end. */
static struct nc_session *
mk_session(int *dfd, const char *name)
{
	struct nc_session	*s;
	uint8_t			 buf[REC_MAX], type;
	size_t			 len;
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_attached(sv[1], NC_OK, "hosta", name[0] != '\0' ? name :
	    "anon-1");
	ck_assert_int_eq(nc__attach(&s, sv[0], name, NULL, 0), NC_OK);
	len = get_rec(sv[1], &type, buf);
	ck_assert_int_eq(type, SP_ATTACH);
	ck_assert_uint_eq(len, 1 + strlen(name));
	ck_assert_uint_eq(buf[0], strlen(name));
	ck_assert(memcmp(buf + 1, name, strlen(name)) == 0);
	*dfd = sv[1];
	return s;
}

static void
next_ev(struct nc_session *s, struct nc_event *ev)
{
	ck_assert_int_eq(nc_next(s, ev, TMO), 1);
}

/* The SEND the library wrote; checks to, returns the payload length. */
static size_t
get_send(int fd, const char *to, uint64_t *cid, int *flags, uint8_t *pl)
{
	uint8_t	buf[REC_MAX], type;
	size_t	len, tl;

	len = get_rec(fd, &type, buf);
	ck_assert_int_eq(type, SP_SEND);
	ck_assert_uint_ge(len, 10);
	tl = buf[9];
	ck_assert_uint_ge(len, 10 + tl);
	ck_assert_uint_eq(tl, strlen(to));
	ck_assert(memcmp(buf + 10, to, tl) == 0);
	*cid = nc__get64(buf);
	*flags = buf[8];
	memcpy(pl, buf + 10 + tl, len - 10 - tl);
	return len - 10 - tl;
}

static void
expect_result(int fd, const char *to, uint64_t xfer, int status)
{
	uint8_t		pl[REC_MAX];
	uint64_t	cid;
	int		flags;

	ck_assert_uint_eq(get_send(fd, to, &cid, &flags, pl), 10);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_RESULT);
	ck_assert(nc__get64(pl + 1) == xfer);
	ck_assert_int_eq(pl[9], status);
	ck_assert_int_eq(flags, 0);
	ck_assert(nc__cid_internal(cid));
}

/* ---- files: payloads and directories ---------------------------------- */

static void
sha256(const void *p, size_t len, uint8_t out[NC__SHA_LEN])
{
	unsigned int	n = 0;

	ck_assert_int_eq(EVP_Digest(p, len, out, &n, EVP_sha256(), NULL), 1);
}

static void
put_offer(int fd, const char *from, uint64_t xfer, uint64_t size,
    const uint8_t *sha, const void *name, size_t nlen)
{
	uint8_t	h[NC__OFFER_HDR];

	nc__put64(h, xfer);
	nc__put64(h + 8, size);
	memcpy(h + 16, sha, NC__SHA_LEN);
	nc__put16(h + 48, (uint16_t)nlen);
	put_deliver(fd, from, SP_CT_FILE_OFFER, h, sizeof(h), name, nlen);
}

static void
put_data(int fd, const char *from, uint64_t xfer, uint64_t off,
    const void *data, size_t len)
{
	uint8_t	h[NC__DATA_HDR];

	nc__put64(h, xfer);
	nc__put64(h + 8, off);
	put_deliver(fd, from, SP_CT_FILE_DATA, h, sizeof(h), data, len);
}

static void
put_end(int fd, const char *from, uint64_t xfer)
{
	uint8_t	h[8];

	nc__put64(h, xfer);
	put_deliver(fd, from, SP_CT_FILE_END, h, sizeof(h), NULL, 0);
}

static char	tdir[64];	/* the test's own temporary directory */
static char	odir[80];	/* tdir/out: where files are received */

static void	rm_dirs(void);

static void
mk_dirs(void)
{
	static int	registered;

	/* A failed assertion exits: the directories go all the same. */
	if (!registered++)
		ck_assert_int_eq(atexit(rm_dirs), 0);
	(void)snprintf(tdir, sizeof(tdir), "/tmp/check_lib.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	(void)snprintf(odir, sizeof(odir), "%s/out", tdir);
	ck_assert_int_eq(mkdir(odir, 0700), 0);
}

static int
count_entries(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/* Remove dir's entries (files and symlinks only: all the tests make). */
static void
empty_dir(const char *dir)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	(void)closedir(d);
}

static void
rm_dirs(void)
{
	empty_dir(odir);
	(void)rmdir(odir);
	empty_dir(tdir);
	(void)rmdir(tdir);
}

static void
check_file(const char *dir, const char *name, const void *data, size_t len)
{
	char		path[512];
	uint8_t		*buf;
	struct stat	st;
	int		fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, len);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_ptr_nonnull(buf = calloc(1, len + 1));
	if (len > 0)
		ck_assert_int_eq(read_full(fd, buf, len), 1);
	ck_assert(len == 0 || memcmp(buf, data, len) == 0);
	free(buf);
	(void)close(fd);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int	fd;

	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    -1);
	write_all(fd, data, len);
	(void)close(fd);
}

/* ---- attach ----------------------------------------------------------- */

START_TEST(test_attach_ok)
{
	struct nc_session	*s;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_str_eq(nc_session_name(s), "alice");
	ck_assert_str_eq(nc_daemon_name(s), "hosta");
	ck_assert_int_ge(nc_fd(s), 0);
	ck_assert_int_eq(fcntl(nc_fd(s), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	ck_assert_int_eq(fcntl(nc_fd(s), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	nc_close(s);
	(void)close(d);

	/* Anonymous: the daemon's name for it. */
	s = mk_session(&d, "");
	ck_assert_str_eq(nc_session_name(s), "anon-1");
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_attach_refused)
{
	struct nc_session	*s;
	char			 err[128];
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_attached(sv[1], NC_NAME_IN_USE, "", "");
	ck_assert_int_eq(nc__attach(&s, sv[0], "alice", err, sizeof(err)),
	    NC_NAME_IN_USE);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "name in use");
	(void)close(sv[1]);

	/* A bad name never reaches the daemon. */
	ck_assert_int_eq(nc_open(&s, "/nonexistent/sock", "a b", err,
	    sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_open(&s, "/nonexistent/sock",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234", err, sizeof(err)), NC_BAD_NAME);
	ck_assert_ptr_null(s);

	/* No daemon. */
	ck_assert_int_eq(nc_open(&s, "/nonexistent/sock", "alice", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is netcryptd running"));

	/* A daemon that hangs up, or answers nonsense. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	(void)close(sv[1]);
	ck_assert_int_eq(nc__attach(&s, sv[0], "alice", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	put_rec(sv[1], SP_ATTACHED, "\0\5ab", 4);
	ck_assert_int_eq(nc__attach(&s, sv[0], "alice", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(errno, EPROTO);
	(void)close(sv[1]);
}
END_TEST

/* The real nc_open() over a UNIX socket, a forked child as the daemon. */
static void
serve_attach(int lfd, int n)
{
	uint8_t	buf[REC_MAX], type;
	int	i, c;

	(void)alarm(5);
	for (i = 0; i < n; i++) {
		if ((c = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		if (get_rec(c, &type, buf) != 6 || type != SP_ATTACH ||
		    buf[0] != 5 || memcmp(buf + 1, "alice", 5) != 0)
			_exit(2);
		put_attached(c, i == 0 ? NC_OK : NC_NAME_IN_USE, "hosta",
		    "alice");
		/* Hold the first one until the second has been refused. */
	}
	_exit(0);
}

START_TEST(test_open_socket)
{
	struct sockaddr_un	 sun;
	struct nc_session	*s, *s2;
	char			 err[256];
	pid_t			 pid;
	int			 lfd, st;

	mk_dirs();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s.sock",
	    tdir);
	ck_assert_int_ne(lfd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0)
		serve_attach(lfd, 2);
	(void)close(lfd);
	ck_assert_int_eq(nc_open(&s, sun.sun_path, "alice", err, sizeof(err)),
	    NC_OK);
	ck_assert_str_eq(nc_session_name(s), "alice");
	ck_assert_str_eq(nc_daemon_name(s), "hosta");
	ck_assert_int_eq(nc_open(&s2, sun.sun_path, "alice", err,
	    sizeof(err)), NC_NAME_IN_USE);
	ck_assert_ptr_null(s2);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	nc_close(s);
	rm_dirs();
}
END_TEST

/* ---- messages --------------------------------------------------------- */

START_TEST(test_send_framing)
{
	static const uint8_t	 want[] = {
		0, 0, 0, 23, SP_SEND, 0, 0, 0, 0, 0, 0, 0, 1, SP_F_RECEIPT,
		9, 'b', 'o', 'b', '@', 'h', 'o', 's', 't', 'b',
		SP_CT_TEXT, 'h', 'i'
	};
	struct nc_session	*s;
	uint8_t			 got[sizeof(want)], pl[REC_MAX];
	uint64_t		 id, cid;
	int			 d, flags;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send(s, "bob@hostb", "hi", 2, 1, &id), NC_OK);
	ck_assert(id == 1);
	ck_assert_int_eq(read_full(d, got, sizeof(got)), 1);
	ck_assert(memcmp(got, want, sizeof(want)) == 0);

	/* Ids increase; without a receipt the flag is clear. */
	ck_assert_int_eq(nc_send(s, "*", "", 0, 0, &id), NC_OK);
	ck_assert(id == 3);
	ck_assert_uint_eq(get_send(d, "*", &cid, &flags, pl), 1);
	ck_assert(cid == 3);
	ck_assert_int_eq(flags, 0);
	ck_assert_uint_eq(pl[0], SP_CT_TEXT);
	nc_close(s);
	(void)close(d);
}
END_TEST

typedef int	(*send_fn)(struct nc_session *, const char *, const void *,
		    size_t, int, uint64_t *);

/* nc_send() and nc_send_more() refuse the same, and write nothing then. */
static const send_fn	send_fns[] = { nc_send, nc_send_more };

START_TEST(test_send_refused_locally)
{
	static const char	*bad[] = {
		"", "a b", "bob@", "@hostb", "a@b@c", "**", "*@*", "bob@*",
		"bob\n", "bob/x", "*bob", "bob@host b",
		("01234567890123456789012345678901234567890123456789012345678"
		"901234"),
	};
	static const char	*good[] = {
		"bob", "*", "*@hostb", "bob@hostb", "B.o_b-9@h-1.x",
		("0123456789012345678901234567890123456789012345678901234567"
		"890123"),
	};
	const send_fn		 sendf = send_fns[_i];
	struct nc_session	*s;
	uint8_t			*big, pl[REC_MAX];
	uint64_t		 id, cid;
	size_t			 i;
	int			 d, flags;

	s = mk_session(&d, "alice");
	ck_assert_ptr_nonnull(big = calloc(1, NC_MAX_PAYLOAD + 1));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(sendf(s, bad[i], "x", 1, 1, &id),
		    NC_BAD_NAME);
		ck_assert_int_eq(nc_send_wait(s, bad[i], "x", 1, 100),
		    NC_BAD_NAME);
	}
	ck_assert_int_eq(sendf(s, "bob", big, NC_MAX_PAYLOAD + 1, 1, &id),
	    NC_TOO_LARGE);
	ck_assert_int_eq(nc_send_wait(s, "bob", big, NC_MAX_PAYLOAD + 1,
	    100), NC_TOO_LARGE);
	ck_assert_int_eq(sendf(NULL, "bob", "x", 1, 0, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(sendf(s, NULL, "x", 1, 0, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(sendf(s, "bob", NULL, 1, 0, &id), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_flush(s), 0);
	ck_assert(nothing_to_read(d));

	/* No id was used up: the first message sent is 1. */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(sendf(s, good[i], "x", 1, 0, &id), NC_OK);
		ck_assert(id == 2 * i + 1);
		ck_assert_int_eq(nc_flush(s), 0);
		ck_assert_uint_eq(get_send(d, good[i], &cid, &flags, pl), 2);
		ck_assert(cid == id);
	}
	/* The largest message fits in one record. */
	ck_assert_int_eq(sendf(s, good[5], big, NC_MAX_PAYLOAD, 0, &id),
	    NC_OK);
	ck_assert_uint_eq(get_send(d, good[5], &cid, &flags, pl),
	    NC_MAX_PAYLOAD + 1);

	/* The daemon gone: -1 and EPIPE, from the call that finds out. */
	(void)close(d);
	(void)sendf(s, "bob", "x", 1, 0, &id);
	ck_assert_int_eq(nc_flush(s), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(sendf(s, "bob", "x", 1, 0, &id), -1);
	ck_assert_int_eq(errno, EPIPE);
	free(big);
	nc_close(s);
}
END_TEST

START_TEST(test_send_wait_keeps_events)
{
	static const uint8_t	 peers[] = {
		0, 2, 5, 'h', 'o', 's', 't', 'b', 1, 5, 'h', 'o', 's', 't',
		'c', 0
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint64_t		 id;
	int			 d;

	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send(s, "bob", "a", 1, 1, &id), NC_OK);
	ck_assert(id == 1);
	/* What comes before the receipt that nc_send_wait() wants. */
	put_text(d, "carol@hostb", "hello there");
	put_rec(d, SP_PEERLIST, peers, sizeof(peers));
	put_receipt(d, 1, NC_BUSY);
	put_receipt(d, 3, NC_OK);
	put_text(d, "dave", "after");
	ck_assert_int_eq(nc_send_wait(s, "bob", "b", 1, TMO), NC_OK);

	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_str_eq(ev.from, "carol@hostb");
	ck_assert_uint_eq(ev.len, 11);
	ck_assert(memcmp(ev.data, "hello there", 11) == 0);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_PEERS);
	ck_assert_uint_eq(ev.len, strlen("hostb up\nhostc down\n"));
	ck_assert(memcmp(ev.data, "hostb up\nhostc down\n", ev.len) == 0);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_RECEIPT);
	ck_assert(ev.id == 1);
	ck_assert_int_eq(ev.status, NC_BUSY);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_str_eq(ev.from, "dave");
	ck_assert_int_eq(nc_next(s, &ev, 0), 0);

	/* No receipt: timeout; when it comes late, it is an event. */
	ck_assert_int_eq(nc_send_wait(s, "bob", "c", 1, 100), NC_TIMEOUT);
	put_receipt(d, 5, NC_UNREACHABLE);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_RECEIPT);
	ck_assert(ev.id == 5);
	ck_assert_int_eq(ev.status, NC_UNREACHABLE);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- bursts: nc_send_more() and nc_flush() ---------------------------- */

#define BURST_TO	"bob@hostb"
#define BURST_LEN	64	/* message bytes */
/* A burst's SEND record: u32 len, type, u64 cid, flags, u8 tolen, to, ct. */
#define BURST_REC	(4 + 1 + 8 + 1 + 1 + sizeof(BURST_TO) - 1 + 1 + \
			    BURST_LEN)

/* Message seq of a burst: its number, then a letter it also picks. */
static void
burst_msg(uint8_t *m, long seq)
{
	memset(m, 'a' + (int)(seq % 26), BURST_LEN);
	nc__put64(m, (uint64_t)seq);
}

/*
 * Messages first..first+n-1, with receipts, through sendf; message seq
 * gets id 2 * seq + 1 (the session's first message is seq 0).
 */
static void
queue_burst(struct nc_session *s, send_fn sendf, long first, long n)
{
	uint8_t		m[BURST_LEN];
	uint64_t	id;
	long		i;

	for (i = first; i < first + n; i++) {
		burst_msg(m, i);
		ck_assert_int_eq(sendf(s, BURST_TO, m, sizeof(m), 1, &id),
		    NC_OK);
		ck_assert(id == (uint64_t)(2 * i + 1));
	}
}

/* The session protocol's SEND of message seq, byte for byte. */
static void
burst_rec(uint8_t *r, long seq)
{
	size_t	tl = sizeof(BURST_TO) - 1;

	nc__put32(r, (uint32_t)(BURST_REC - 4));
	r[4] = SP_SEND;
	nc__put64(r + 5, (uint64_t)(2 * seq + 1));
	r[13] = SP_F_RECEIPT;
	r[14] = (uint8_t)tl;
	memcpy(r + 15, BURST_TO, tl);
	r[15 + tl] = SP_CT_TEXT;
	burst_msg(r + 16 + tl, seq);
}

/* Whether got holds messages first.. in order, whole records. */
static int
burst_ok(const uint8_t *got, size_t len, long first)
{
	uint8_t	want[BURST_REC];
	size_t	i;

	if (len % BURST_REC != 0)
		return 0;
	for (i = 0; i < len / BURST_REC; i++) {
		burst_rec(want, first + (long)i);
		if (memcmp(got + i * BURST_REC, want, BURST_REC) != 0)
			return 0;
	}
	return 1;
}

/* The daemon reads exactly messages first..first+n-1, and no more. */
static void
expect_burst(int d, long first, long n)
{
	uint8_t	*got;
	size_t	 len = (size_t)n * BURST_REC;

	ck_assert_ptr_nonnull(got = malloc(len));
	ck_assert_int_eq(read_full(d, got, len), 1);
	ck_assert(burst_ok(got, len, first));
	free(got);
	ck_assert(nothing_to_read(d));
}

/* What the socket holds now, without waiting, appended at got + *len. */
static void
read_now(int d, uint8_t *got, size_t cap, size_t *len)
{
	ssize_t	n;

	while (*len < cap && (n = recv(d, got + *len, cap - *len,
	    MSG_DONTWAIT)) > 0)
		*len += (size_t)n;
}

START_TEST(test_send_more_held)
{
	struct nc_session	*s;
	int			 d;

	s = mk_session(&d, "alice");
	queue_burst(s, nc_send_more, 0, 10);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_flush(s), 0);
	expect_burst(d, 0, 10);
	/* Nothing queued: nothing written, all is written. */
	ck_assert_int_eq(nc_flush(s), 0);
	ck_assert(nothing_to_read(d));

	/* nc_send() writes what was held, then its own, in order. */
	queue_burst(s, nc_send_more, 10, 3);
	ck_assert(nothing_to_read(d));
	queue_burst(s, nc_send, 13, 1);
	expect_burst(d, 10, 4);
	nc_close(s);
	(void)close(d);
}
END_TEST

START_TEST(test_send_more_threshold)
{
	static uint8_t		 big[NC__BATCH];
	struct nc_session	*s;
	uint8_t			 rec[REC_MAX], type;
	long			 below = (NC__BATCH - 1) / (long)BURST_REC;
	int			 d;

	s = mk_session(&d, "alice");
	queue_burst(s, nc_send_more, 0, below);
	ck_assert(nothing_to_read(d));
	/* The message that brings the queue to NC__BATCH writes it all. */
	queue_burst(s, nc_send_more, below, 1);
	expect_burst(d, 0, below + 1);
	/* The count starts again from that write. */
	queue_burst(s, nc_send_more, below + 1, below);
	ck_assert(nothing_to_read(d));
	queue_burst(s, nc_send_more, 2 * below + 1, 1);
	expect_burst(d, below + 1, below + 1);

	/* A message of NC__BATCH bytes goes at once, with what was held. */
	ck_assert_int_eq(nc_send_more(s, "bob", NULL, 0, 0, NULL), NC_OK);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_send_more(s, "bob", big, sizeof(big), 0, NULL),
	    NC_OK);
	ck_assert_uint_eq(get_rec(d, &type, rec), 10 + 3 + 1);
	ck_assert_uint_eq(get_rec(d, &type, rec), 10 + 3 + 1 + sizeof(big));
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
}
END_TEST

/* Enough to fill a socket whose send buffer is FULL_SNDBUF. */
#define FULL_MSGS	((long)(512 * 1024 / BURST_REC))
#define FULL_SNDBUF	16384

/* A session whose socket takes little; *got, room to read a full burst. */
static struct nc_session *
mk_small_session(int *d, uint8_t **got)
{
	struct nc_session	*s;
	int			 sz = FULL_SNDBUF;

	s = mk_session(d, "alice");
	ck_assert_int_eq(setsockopt(nc_fd(s), SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	ck_assert_ptr_nonnull(*got = malloc((size_t)FULL_MSGS * BURST_REC));
	return s;
}

START_TEST(test_flush_full)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			*got;
	size_t			 len = 0, cap = (size_t)FULL_MSGS * BURST_REC;
	int64_t			 t0;
	int			 d, i, r = 1;

	s = mk_small_session(&d, &got);
	queue_burst(s, nc_send_more, 0, FULL_MSGS);
	ck_assert_int_eq(nc_flush(s), 1);
	/* As the daemon reads, nc_flush() writes the rest, then says 0. */
	for (i = 0; i < 100000 && r == 1; i++) {
		read_now(d, got, cap, &len);
		r = nc_flush(s);
		ck_assert_int_ge(r, 0);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(read_full(d, got + len, cap - len), 1);
	ck_assert(burst_ok(got, cap, 0));
	ck_assert(nothing_to_read(d));

	/* What the full socket left goes with nc_next() too. */
	queue_burst(s, nc_send_more, FULL_MSGS, FULL_MSGS);
	ck_assert_int_eq(nc_flush(s), 1);
	len = 0;
	for (i = 0; i < 100000 && len < cap; i++) {
		read_now(d, got, cap, &len);
		ck_assert_int_eq(nc_next(s, &ev, 0), 0);
	}
	ck_assert(burst_ok(got, cap, FULL_MSGS));
	ck_assert_int_eq(nc_flush(s), 0);

	/* A daemon that never reads holds nc_close() for NC__CLOSE_MS. */
	queue_burst(s, nc_send_more, 2 * FULL_MSGS, FULL_MSGS);
	ck_assert_int_eq(nc_flush(s), 1);
	t0 = nc__now_ms();
	nc_close(s);
	ck_assert_int_lt(nc__now_ms() - t0, NC__CLOSE_MS + 500);
	free(got);
	(void)close(d);
}
END_TEST

START_TEST(test_send_more_next_close)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			*got, four[4 * BURST_REC];
	size_t			 cap = (size_t)(FULL_MSGS / 4) * BURST_REC;
	pid_t			 pid;
	int			 d, st;

	s = mk_session(&d, "alice");
	put_text(d, "carol", "one");
	put_text(d, "carol", "two");
	next_ev(s, &ev);
	ck_assert_str_eq((const char *)ev.data, "one");
	/* "two" waits in the library: nc_next() still writes what is held. */
	queue_burst(s, nc_send_more, 0, 3);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_next(s, &ev, 0), 1);
	ck_assert_str_eq((const char *)ev.data, "two");
	expect_burst(d, 0, 3);
	/* And with nothing to return. */
	queue_burst(s, nc_send_more, 3, 2);
	ck_assert(nothing_to_read(d));
	ck_assert_int_eq(nc_next(s, &ev, 0), 0);
	expect_burst(d, 3, 2);

	/* nc_close() writes what is held, then closes. */
	queue_burst(s, nc_send_more, 5, 4);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	ck_assert_int_eq(read_full(d, four, sizeof(four)), 1);
	ck_assert(burst_ok(four, sizeof(four), 5));
	ck_assert_int_eq(read_full(d, four, 1), 0);
	(void)close(d);

	/*
	 * ... all of it, over several writes, as a daemon reads (a quarter
	 * of a full burst: well within NC__CLOSE_MS under a sanitizer).
	 */
	s = mk_small_session(&d, &got);
	queue_burst(s, nc_send_more, 0, FULL_MSGS / 4);
	ck_assert_int_eq(nc_flush(s), 1);
	if ((pid = fork()) == 0) {
		(void)close(nc_fd(s));	/* for the end of file */
		_exit(read_full(d, got, cap) == 1 && burst_ok(got, cap, 0) &&
		    read_full(d, got, 1) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	(void)close(d);
	nc_close(s);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(got);
}
END_TEST

START_TEST(test_ignored_and_partial)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 rec[32];
	int			 d;

	s = mk_session(&d, "alice");
	put_deliver(d, "bob", 42, "zz", 2, NULL, 0);
	put_rec(d, SP_DELIVER, "\3bob", 4);	/* an empty payload */
	put_text(d, "bob", "ok");
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_uint_eq(ev.len, 2);
	ck_assert_uint_eq(s->ignored, 2);

	/* A record in pieces. */
	nc__put32(rec, 8);
	memcpy(rec + 4, "\5\3bob\0hi", 8);
	write_all(d, rec, 7);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	write_all(d, rec + 7, 5);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_MESSAGE);
	ck_assert_uint_eq(ev.len, 2);
	ck_assert(memcmp(ev.data, "hi", 2) == 0);

	/* The daemon leaves: what it said first is still delivered. */
	put_text(d, "bob", "bye");
	(void)close(d);
	next_ev(s, &ev);
	ck_assert(memcmp(ev.data, "bye", 3) == 0);
	ck_assert_int_eq(nc_next(s, &ev, TMO), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(nc_send(s, "bob", "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EPIPE);
	nc_close(s);
}
END_TEST

/* Records from the daemon that must end the session with EPROTO. */
struct bad_record {
	size_t		 len;
	const char	*bytes;
};

static const struct bad_record malformed[] = {
	{ 4, "\0\0\0\0" },				/* length 0 */
	{ 5, "\0\1\0\1\5" },				/* length 65537 */
	{ 5, "\xff\xff\xff\xff\5" },			/* length 2^32-1 */
	{ 5, "\0\0\0\1\143" },				/* unknown type */
	{ 5, "\0\0\0\1\3" },				/* a SEND */
	{ 13, "\0\0\0\x09\4\0\0\0\0\0\0\0\1" },		/* short RECEIPT */
	{ 14, "\0\0\0\x0a\4\0\0\0\0\0\0\0\7\0" },	/* unused id */
	{ 14, "\0\0\0\x0a\4\0\0\0\0\0\0\0\0\0" },	/* id 0 */
	{ 5, "\0\0\0\1\5" },				/* empty DELIVER */
	{ 8, "\0\0\0\4\5\5ab" },			/* from too long */
	{ 9, "\0\0\0\5\5\3a b" },			/* from not a name */
	{ 7, "\0\0\0\3\5\0\0" },			/* from empty */
	{ 9, "\0\0\0\5\5\3a@\0" },			/* from "a@" */
	{ 6, "\0\0\0\2\7\0" },				/* short PEERLIST */
	{ 10, "\0\0\0\6\7\0\2\1a\1" },			/* 2 peers, 1 */
	{ 11, "\0\0\0\7\7\0\1\1a\1\0" },		/* trailing byte */
	{ 10, "\0\0\0\6\7\0\1\1\n\1" },			/* peer not a name */
	{ 12, "\0\0\0\x08\2\0\2hb\5alice" },		/* second ATTACHED */
};

START_TEST(test_malformed)
{
	const struct bad_record	*bad = &malformed[_i];
	struct nc_session	*s;
	struct nc_event		 ev;
	int			 d;

	s = mk_session(&d, "alice");
	write_all(d, bad->bytes, bad->len);
	ck_assert_int_eq(nc_next(s, &ev, TMO), -1);
	ck_assert_int_eq(errno, EPROTO);
	/* It sticks. */
	ck_assert_int_eq(nc_next(s, &ev, 0), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(nc_send(s, "bob", "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EPROTO);
	nc_close(s);
	(void)close(d);
}
END_TEST

/* ---- receiving files -------------------------------------------------- */

START_TEST(test_file_evil_names)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} evil[] = {
		{ "../x", 4 }, { "/etc/passwd", 11 }, { "a/b", 3 },
		{ ".", 1 }, { "..", 2 }, { "", 0 }, { "x\ny", 3 },
		{ "\x7f", 1 }, { "a\0b", 3 }, { "tab\tx", 5 }, { "x/", 2 },
		{ "..\\..\\x/y", 9 }, { "\x1b[2J", 4 }, { NULL, 256 },
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN], longname[300];
	const void		*name;
	size_t			 i;
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	sha256("x", 1, sha);
	memset(longname, 'a', sizeof(longname));
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		name = evil[i].name != NULL ? (const void *)evil[i].name :
		    longname;
		put_offer(d, "alice@hostb", 100 + i, 1, sha, name,
		    evil[i].len);
		put_data(d, "alice@hostb", 100 + i, 0, "x", 1);
		put_end(d, "alice@hostb", 100 + i);
		next_ev(s, &ev);
		ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
		ck_assert_int_eq(ev.status, NC_REJECTED);
		ck_assert_str_eq(ev.from, "alice@hostb");
		/* One answer: the END of a refused offer gets none. */
		expect_result(d, "alice@hostb", 100 + i, NC_REJECTED);
		ck_assert(nothing_to_read(d));
		ck_assert_int_eq(count_entries(odir), 0);
		ck_assert_int_eq(count_entries(tdir), 1);
	}
	/* 255 bytes is the longest name: accepted. */
	put_offer(d, "alice@hostb", 1, 1, sha, longname, 255);
	put_data(d, "alice@hostb", 1, 0, "x", 1);
	put_end(d, "alice@hostb", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	ck_assert_uint_eq(strlen(ev.name), 255);
	expect_result(d, "alice@hostb", 1, NC_OK);
	ck_assert_int_eq(count_entries(odir), 1);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_ok)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	const char		*text = "hello, file\n";
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	sha256(text, strlen(text), sha);
	put_offer(d, "alice", 7, strlen(text), sha, "hello.txt", 9);
	put_data(d, "alice", 7, 0, text, 5);
	put_data(d, "alice", 7, 5, text + 5, strlen(text) - 5);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	/* Only the temporary file so far. */
	ck_assert_int_eq(count_entries(odir), 1);
	put_end(d, "alice", 7);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	ck_assert_str_eq(ev.name, "hello.txt");
	ck_assert_str_eq(ev.from, "alice");
	ck_assert(ev.size == strlen(text));
	expect_result(d, "alice", 7, NC_OK);
	check_file(odir, "hello.txt", text, strlen(text));
	ck_assert_int_eq(count_entries(odir), 1);

	/* A resent END gets the same answer again. */
	put_end(d, "alice", 7);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	expect_result(d, "alice", 7, NC_OK);

	/* An empty file. */
	sha256("", 0, sha);
	put_offer(d, "alice", 8, 0, sha, "empty", 5);
	put_end(d, "alice", 8);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, "alice", 8, NC_OK);
	check_file(odir, "empty", "", 0);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_corrupt)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);

	/* Wrong checksum. */
	sha256("abcd", 4, sha);
	put_offer(d, "alice", 1, 4, sha, "f", 1);
	put_data(d, "alice", 1, 0, "abce", 4);
	put_end(d, "alice", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	ck_assert_str_eq(ev.name, "f");
	expect_result(d, "alice", 1, NC_FILE_CORRUPT);
	ck_assert_int_eq(count_entries(odir), 0);

	/* Too short. */
	put_offer(d, "alice", 2, 4, sha, "f", 1);
	put_data(d, "alice", 2, 0, "abc", 3);
	put_end(d, "alice", 2);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	expect_result(d, "alice", 2, NC_FILE_CORRUPT);
	ck_assert_int_eq(count_entries(odir), 0);

	/* More than offered: refused at once. */
	put_offer(d, "alice", 3, 4, sha, "f", 1);
	put_data(d, "alice", 3, 0, "abcde", 5);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.status, NC_FILE_CORRUPT);
	expect_result(d, "alice", 3, NC_FILE_CORRUPT);
	ck_assert_int_eq(count_entries(odir), 0);

	/* Another session cannot feed someone else's transfer. */
	put_offer(d, "alice", 4, 4, sha, "f", 1);
	put_data(d, "mallory", 4, 0, "abce", 4);
	put_end(d, "mallory", 4);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	ck_assert(nothing_to_read(d));
	put_data(d, "alice", 4, 0, "abcd", 4);
	put_end(d, "alice", 4);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, "alice", 4, NC_OK);
	check_file(odir, "f", "abcd", 4);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_no_overwrite)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	char			 path[256], target[256];
	int			 d, i;

	mk_dirs();
	(void)snprintf(path, sizeof(path), "%s/a.txt", odir);
	write_file(path, "old", 3);
	/* A symlink in the way is not followed either. */
	(void)snprintf(target, sizeof(target), "%s/target", tdir);
	(void)snprintf(path, sizeof(path), "%s/link", odir);
	ck_assert_int_eq(symlink(target, path), 0);
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	sha256("new", 3, sha);
	for (i = 1; i <= 3; i++) {
		put_offer(d, "alice", (uint64_t)i, 3, sha,
		    i < 3 ? "a.txt" : "link", i < 3 ? 5 : 4);
		put_data(d, "alice", (uint64_t)i, 0, "new", 3);
		put_end(d, "alice", (uint64_t)i);
		next_ev(s, &ev);
		ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
		ck_assert_str_eq(ev.name, i == 1 ? "a.txt.1" :
		    i == 2 ? "a.txt.2" : "link.1");
		expect_result(d, "alice", (uint64_t)i, NC_OK);
	}
	check_file(odir, "a.txt.1", "new", 3);
	check_file(odir, "a.txt.2", "new", 3);
	check_file(odir, "link.1", "new", 3);
	ck_assert_int_eq(access(target, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/a.txt", odir);
	ck_assert_int_eq(chmod(path, 0600), 0);
	check_file(odir, "a.txt", "old", 3);
	ck_assert_int_eq(count_entries(odir), 5);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_gaps)
{
	/* Chunks of 100 bytes, as go-back-N may deliver them. */
	static const int	 order[] = {
		0, 2, 1, 1, 3, 2, 0, 3, 4, 6, 5, 4, 6, 7, 9, 8, 9
	};
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 data[950], sha[NC__SHA_LEN];
	size_t			 i, off, n;
	int			 d;

	mk_dirs();
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	sha256(data, sizeof(data), sha);
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	put_offer(d, "alice@hostb", 9, sizeof(data), sha, "g.bin", 5);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		off = (size_t)order[i] * 100;
		n = off + 100 > sizeof(data) ? sizeof(data) - off : 100;
		put_data(d, "alice@hostb", 9, off, data + off, n);
		ck_assert_int_eq(nc_next(s, &ev, 0), 0);
	}
	put_end(d, "alice@hostb", 9);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, "alice@hostb", 9, NC_OK);
	check_file(odir, "g.bin", data, sizeof(data));
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_file_refused_and_limits)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 sha[NC__SHA_LEN];
	int			 d, i;

	mk_dirs();
	sha256("x", 1, sha);
	s = mk_session(&d, "bob");
	/* Not receiving files: offers are refused. */
	put_offer(d, "alice", 1, 1, sha, "x", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_REJECTED);
	ck_assert_str_eq(ev.name, "x");
	expect_result(d, "alice", 1, NC_REJECTED);

	/* At most NC__RX_MAX at once; a resent offer is not a new one. */
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	for (i = 0; i < NC__RX_MAX; i++)
		put_offer(d, "alice", 10 + (uint64_t)i, 1, sha, "x", 1);
	put_offer(d, "alice", 10, 1, sha, "x", 1);
	put_offer(d, "alice", 99, 1, sha, "x", 1);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, NC_BUSY);
	expect_result(d, "alice", 99, NC_BUSY);
	ck_assert_int_eq(count_entries(odir), NC__RX_MAX);

	/* Idle transfers expire, and take their temporary files along. */
	s->rx_idle_ms = 50;
	for (i = 0; i < NC__RX_MAX; i++) {
		next_ev(s, &ev);
		ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
		ck_assert_int_eq(ev.status, NC_TIMEOUT);
		expect_result(d, "alice", 10 + (uint64_t)i, NC_TIMEOUT);
	}
	ck_assert_int_eq(count_entries(odir), 0);

	/* Another directory, or closing: what was coming in is refused. */
	put_offer(d, "alice", 200, 1, sha, "x", 1);
	ck_assert_int_eq(nc_next(s, &ev, 20), 0);
	ck_assert_int_eq(count_entries(odir), 1);
	ck_assert_int_eq(nc_receive_files(s, tdir), 0);
	ck_assert_int_eq(count_entries(odir), 0);
	expect_result(d, "alice", 200, NC_REJECTED);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	put_offer(d, "alice", 201, 1, sha, "x", 1);
	ck_assert_int_eq(nc_next(s, &ev, 20), 0);
	ck_assert_int_eq(count_entries(tdir), 2);
	nc_close(s);
	ck_assert_int_eq(count_entries(tdir), 1);
	expect_result(d, "alice", 201, NC_REJECTED);
	(void)close(d);
	rm_dirs();
}
END_TEST

/* An offer of size bytes from from, refused with status: nothing made. */
static void
expect_refused(struct nc_session *s, int d, const char *from, uint64_t xfer,
    uint64_t size, const char *name, int status)
{
	struct nc_event	ev;
	uint8_t		sha[NC__SHA_LEN];
	int		before = count_entries(odir);

	sha256("x", 1, sha);
	put_offer(d, from, xfer, size, sha, name, strlen(name));
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_FAILED);
	ck_assert_int_eq(ev.status, status);
	expect_result(d, from, xfer, status);
	ck_assert_int_eq(count_entries(odir), before);
}

/* A one-byte file from from, saved. */
static void
expect_saved(struct nc_session *s, int d, const char *from, uint64_t xfer,
    const char *name)
{
	struct nc_event	ev;
	uint8_t		sha[NC__SHA_LEN];

	sha256("x", 1, sha);
	put_offer(d, from, xfer, 1, sha, name, strlen(name));
	put_data(d, from, xfer, 0, "x", 1);
	put_end(d, from, xfer);
	next_ev(s, &ev);
	ck_assert_int_eq(ev.type, NC_EV_FILE_SAVED);
	expect_result(d, from, xfer, NC_OK);
}

/* Names, size, free space and senders: judged before anything is made. */
START_TEST(test_file_receiver_rules)
{
	static const char *const from[] = { "carol@hostb", "d?ve", "*@hostc" };
	static const char *const bad[] = { "a@b@c" };
	struct nc_session	*s;
	struct statvfs		 sv;
	int			 d;

	mk_dirs();
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	expect_refused(s, d, "alice", 1, 1, ".profile", NC_REJECTED);
	expect_refused(s, d, "alice", 2, 1, "-rf", NC_REJECTED);
	/* The default maximum, then one of 10 bytes. */
	expect_refused(s, d, "alice", 3, NC_DEFAULT_MAX_FILE + 1, "big",
	    NC_TOO_LARGE);
	ck_assert_int_eq(nc_receive_limits(s, 10, 0), 0);
	expect_refused(s, d, "alice", 4, 11, "eleven", NC_TOO_LARGE);
	/* More than the file system has: never, whatever the minimum. */
	ck_assert_int_eq(statvfs(odir, &sv), 0);
	ck_assert_int_eq(nc_receive_limits(s, 0, 0), 0);
	expect_refused(s, d, "alice", 5, (uint64_t)sv.f_bavail *
	    sv.f_frsize + 1, "huge", NC_FILE_NO_SPACE);
	ck_assert_int_eq(nc_receive_limits(s, 10, 5), 0);
	expect_saved(s, d, "alice", 6, "one");
	/* Senders. */
	ck_assert_int_eq(nc_receive_from(s, from, 3), 0);
	expect_refused(s, d, "alice", 7, 1, "two", NC_REJECTED);
	expect_refused(s, d, "carol", 8, 1, "two", NC_REJECTED);
	expect_refused(s, d, "dave@hostb", 9, 1, "two", NC_REJECTED);
	ck_assert_int_eq(count_entries(odir), 1);
	expect_saved(s, d, "carol@hostb", 10, "c");
	expect_saved(s, d, "dave", 11, "d");
	expect_saved(s, d, "eve@hostc", 12, "e");
	ck_assert_int_eq(count_entries(odir), 4);
	ck_assert_int_eq(nc_receive_from(s, NULL, 0), 0);
	expect_saved(s, d, "alice", 13, "a");
	/* Bad arguments change nothing. */
	ck_assert_int_eq(nc_receive_from(s, bad, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_receive_from(s, from, NC__FROM_PATS_MAX + 1), -1);
	ck_assert_int_eq(nc_receive_limits(s, 1, 100), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_saved(s, d, "zed", 14, "z");
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

/* nc__space_ok(): every boundary, and no overflow. */
START_TEST(test_space_rule)
{
	/* 1000 blocks of 4096, 100 available: 5% is 50 blocks. */
	ck_assert(nc__space_ok(0, 0, 100, 1000, 4096, 5));
	ck_assert(nc__space_ok(50 * 4096, 0, 100, 1000, 4096, 5));
	ck_assert(!nc__space_ok(50 * 4096 + 1, 0, 100, 1000, 4096, 5));
	ck_assert(!nc__space_ok(25 * 4096, 25 * 4096 + 1, 100, 1000, 4096,
	    5));
	ck_assert(nc__space_ok(100 * 4096, 0, 100, 1000, 4096, 0));
	ck_assert(!nc__space_ok(100 * 4096 + 1, 0, 100, 1000, 4096, 0));
	/* 99 blocks: 5% of them is 4.95, taken as 4. */
	ck_assert(nc__space_ok(95 * 4096, 0, 99, 99, 4096, 5));
	ck_assert(!nc__space_ok(96 * 4096, 0, 99, 99, 4096, 5));
	/* Huge numbers. */
	ck_assert(!nc__space_ok(UINT64_MAX, UINT64_MAX, UINT64_MAX,
	    UINT64_MAX, 1, 5));
	ck_assert(!nc__space_ok(UINT64_MAX, 0, UINT64_MAX, UINT64_MAX, 1, 5));
	ck_assert(nc__space_ok(1, 0, UINT64_MAX, UINT64_MAX, 1, 99));
	ck_assert(!nc__space_ok(1, 0, 10, 10, 0, 0));
}
END_TEST

/* Leftovers of an interrupted receive go; nothing else does. */
START_TEST(test_file_stale_tmp)
{
	static const char *const keep[] = { ".nc-0123456789AB", ".nc-short",
	    "keep", ".nc-0123456789abc" };
	struct nc_session	*s;
	char			 path[256];
	size_t			 i;
	int			 d, held;

	mk_dirs();
	ck_assert(nc__stale_tmp_name(".nc-0123456789ab"));
	ck_assert(!nc__stale_tmp_name(".nc-0123456789aB"));
	ck_assert(!nc__stale_tmp_name("x.nc-0123456789ab"));
	(void)snprintf(path, sizeof(path), "%s/.nc-0123456789ab", odir);
	write_file(path, "stale", 5);
	/* One that a live receiver still holds. */
	(void)snprintf(path, sizeof(path), "%s/.nc-aaaaaaaaaaaa", odir);
	write_file(path, "live", 4);
	ck_assert_int_ne(held = open(path, O_RDONLY), -1);
	ck_assert_int_eq(flock(held, LOCK_EX), 0);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", odir, keep[i]);
		write_file(path, "k", 1);
	}
	(void)snprintf(path, sizeof(path), "%s/.nc-bbbbbbbbbbbb", odir);
	ck_assert_int_eq(symlink("keep", path), 0);
	(void)snprintf(path, sizeof(path), "%s/.nc-cccccccccccc", odir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	s = mk_session(&d, "bob");
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	ck_assert_int_eq(faccessat(AT_FDCWD, path, F_OK, 0), 0);
	(void)rmdir(path);
	(void)snprintf(path, sizeof(path), "%s/.nc-0123456789ab", odir);
	ck_assert_int_eq(faccessat(AT_FDCWD, path, F_OK, 0), -1);
	ck_assert_int_eq(count_entries(odir), 6);
	/* Once its receiver is gone, the held one goes too. */
	(void)close(held);
	ck_assert_int_eq(nc_receive_files(s, odir), 0);
	ck_assert_int_eq(count_entries(odir), 5);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

/* ---- sending files ---------------------------------------------------- */

START_TEST(test_send_file_local_errors)
{
	struct nc_session	*s;
	char			 err[256], path[256];
	int			 d;

	mk_dirs();
	s = mk_session(&d, "alice");
	ck_assert_int_eq(nc_send_file(s, "*", "/etc/hostname", 100, err,
	    sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file(s, "*@hostb", "/etc/hostname", 100, err,
	    sizeof(err)), NC_BAD_NAME);
	ck_assert_int_eq(nc_send_file(s, "bob", tdir, 100, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	(void)snprintf(path, sizeof(path), "%s/fifo", tdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(nc_send_file(s, "bob", path, 100, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(nc_send_file(s, "bob", "/nonexistent/f", 100, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(nothing_to_read(d));
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

START_TEST(test_send_file_answers)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	uint8_t			 res[9], pl[REC_MAX];
	char			 err[256], path[256];
	uint64_t		 cid;
	int			 d, flags;

	mk_dirs();
	(void)snprintf(path, sizeof(path), "%s/f.txt", tdir);
	write_file(path, "content", 7);
	s = mk_session(&d, "alice");

	/* The offer's receipt says there is no such session. */
	put_receipt(d, 2, NC_NO_SUCH_SESSION);
	ck_assert_int_eq(nc_send_file(s, "bob", path, TMO, err, sizeof(err)),
	    NC_NO_SUCH_SESSION);
	ck_assert_str_eq(err, "bob: no such session");
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl),
	    1 + NC__OFFER_HDR + 5);
	ck_assert(cid == 2);
	ck_assert_int_eq(flags, SP_F_RECEIPT);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_OFFER);
	ck_assert(nc__get64(pl + 9) == 7);
	ck_assert(memcmp(pl + 1 + NC__OFFER_HDR, "f.txt", 5) == 0);

	/* Offer taken, then nothing comes back: no progress, timeout. */
	put_receipt(d, 4, NC_OK);
	ck_assert_int_eq(nc_send_file(s, "bob", path, 200, err, sizeof(err)),
	    NC_TIMEOUT);
	ck_assert_str_eq(err, "bob: timed out");
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl),
	    1 + NC__OFFER_HDR + 5);
	ck_assert(cid == 4);
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl), 1 + 16 + 7);
	ck_assert(cid == 6);
	ck_assert_int_eq(flags, SP_F_RECEIPT);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_DATA);
	ck_assert(nc__get64(pl + 9) == 0);
	ck_assert(memcmp(pl + 17, "content", 7) == 0);
	/* And an END, so that the receiver drops its copy at once. */
	ck_assert_uint_eq(get_send(d, "bob", &cid, &flags, pl), 9);
	ck_assert_uint_eq(pl[0], SP_CT_FILE_END);
	ck_assert_int_eq(flags, 0);

	/* A FILE_RESULT for another transfer id changes nothing. */
	put_receipt(d, 10, NC_OK);
	memcpy(res, pl + 1, 8);
	res[8] = NC_OK;
	put_deliver(d, "bob", SP_CT_FILE_RESULT, res, sizeof(res), NULL, 0);
	ck_assert_int_eq(nc_send_file(s, "bob", path, 200, err, sizeof(err)),
	    NC_TIMEOUT);
	/* Nor do receipts for ids it does not wait for. */
	put_receipt(d, 12, NC_OK);
	put_receipt(d, 14, NC_REJECTED);
	ck_assert_int_eq(nc_next(s, &ev, 50), 0);
	nc_close(s);
	(void)close(d);
	rm_dirs();
}
END_TEST

/*
 * The whole transfer: the parent sends, one child plays the daemon (a
 * relay that refuses some chunks as busy), another receives.
 */
static void
relay_send(int from_fd, int to_fd, const char *from, int *n, int busy_every)
{
	uint8_t		buf[REC_MAX], type, pl[REC_MAX];
	uint64_t	cid;
	size_t		len, tl, plen;

	len = get_rec(from_fd, &type, buf);
	if (type != SP_SEND)
		return;
	cid = nc__get64(buf);
	tl = buf[9];
	plen = len - 10 - tl;
	memcpy(pl, buf + 10 + tl, plen);
	if (busy_every > 0 && pl[0] == SP_CT_FILE_DATA &&
	    ++*n % busy_every == 0) {
		put_receipt(from_fd, cid, NC_BUSY);
		return;
	}
	put_deliver(to_fd, from, pl[0], pl + 1, plen - 1, NULL, 0);
	if (buf[8] & SP_F_RECEIPT)
		put_receipt(from_fd, cid, NC_OK);
}

static void __attribute__((noreturn))
relay(int a, int b, int busy_every)
{
	struct pollfd	pfd[2];
	char		c;
	int		i, n = 0;

	(void)alarm(10);
	relaying = 1;
	pfd[0].fd = a;
	pfd[1].fd = b;
	pfd[0].events = pfd[1].events = POLLIN;
	for (i = 0; i < 100000; i++) {
		if (poll(pfd, 2, 3 * TMO) <= 0)
			_exit(1);
		if (pfd[0].revents) {
			if (recv(a, &c, 1, MSG_PEEK) <= 0)
				_exit(0);	/* the sender is done */
			relay_send(a, b, "alice", &n, busy_every);
		}
		if (pfd[1].revents) {
			/* The receiver may leave first: stop watching it. */
			if (recv(b, &c, 1, MSG_PEEK) <= 0)
				pfd[1].fd = -1;
			else
				relay_send(b, a, "bob", &n, 0);
		}
	}
	_exit(3);
}

static void __attribute__((noreturn))
receiver(int fd, int accept_files)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	int			 i, r;

	(void)alarm(10);
	if (nc__attach(&s, fd, "bob", NULL, 0) != NC_OK ||
	    (accept_files && nc_receive_files(s, odir) == -1))
		_exit(20);
	for (i = 0; i < 1000; i++) {
		if ((r = nc_next(s, &ev, 100)) == -1)
			_exit(21);
		if (r == 1 && ev.type == NC_EV_FILE_SAVED) {
			nc_close(s);
			_exit(strcmp(ev.name, "data.bin") == 0 ? 0 : 22);
		}
		if (r == 1 && ev.type == NC_EV_FILE_FAILED) {
			nc_close(s);
			_exit(!accept_files && ev.status == NC_REJECTED &&
			    strcmp(ev.name, "data.bin") == 0 ? 0 : 23);
		}
	}
	_exit(24);
}

static void
transfer(size_t size, int busy_every, int accept_files)
{
	struct nc_session	*s;
	uint8_t			*data, type, buf[REC_MAX];
	char			 err[256], path[256];
	pid_t			 rl, rc;
	size_t			 i;
	int			 a[2], b[2], st, r;

	mk_dirs();
	ck_assert_ptr_nonnull(data = malloc(size + 1));
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	(void)snprintf(path, sizeof(path), "%s/data.bin", tdir);
	write_file(path, data, size);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	put_attached(a[1], NC_OK, "hosta", "alice");
	put_attached(b[1], NC_OK, "hosta", "bob");
	ck_assert_int_eq(nc__attach(&s, a[0], "alice", NULL, 0), NC_OK);
	ck_assert_int_eq(get_rec(a[1], &type, buf), 6);
	ck_assert_int_ne(rc = fork(), -1);
	/* Each child keeps only its own ends, so that EOFs are seen. */
	if (rc == 0) {
		(void)close(a[0]);
		(void)close(a[1]);
		(void)close(b[1]);
		receiver(b[0], accept_files);
	}
	(void)close(b[0]);
	ck_assert_int_eq(get_rec(b[1], &type, buf), 4);
	ck_assert_int_ne(rl = fork(), -1);
	if (rl == 0) {
		(void)close(a[0]);
		relay(a[1], b[1], busy_every);
	}
	(void)close(a[1]);
	(void)close(b[1]);

	r = nc_send_file(s, "bob", path, 5000, err, sizeof(err));
	ck_assert_msg(r == (accept_files ? NC_OK : NC_REJECTED),
	    "size %zu: %d (%s)", size, r, err);
	nc_close(s);
	ck_assert_int_eq(waitpid(rc, &st, 0), rc);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(waitpid(rl, &st, 0), rl);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	if (accept_files)
		check_file(odir, "data.bin", data, size);
	ck_assert_int_eq(count_entries(odir), accept_files ? 1 : 0);
	free(data);
	rm_dirs();
}

START_TEST(test_send_file_transfer)
{
	transfer(40 * NC__CHUNK + 12345, 0, 1);
}
END_TEST

START_TEST(test_send_file_go_back_n)
{
	transfer(40 * NC__CHUNK + 777, 7, 1);
}
END_TEST

START_TEST(test_send_file_small)
{
	transfer(0, 0, 1);
	transfer(1, 2, 1);
	transfer(NC__CHUNK, 0, 1);
	/* A receiver that takes no files refuses the offer. */
	transfer(1000, 0, 0);
}
END_TEST

/* ---- odds and ends ---------------------------------------------------- */

/*
 * A receiver that has forgotten the transfer (its daemon restarted, and a
 * new session of the same name took over): every SEND is delivered, but
 * no FILE_RESULT ever comes.  The receipts of the re-sent ENDs are not
 * progress, so send-file gives up after timeout_ms instead of waiting
 * forever.  The child acknowledges everything and counts the ENDs.
 */
static void __attribute__((noreturn))
black_hole(int fd)
{
	struct pollfd	pfd;
	uint8_t		hdr[5], buf[REC_MAX];
	uint32_t	len;
	int		ends = 0, i;

	(void)alarm(30);
	for (i = 0; i < 10000; i++) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20000) != 1 || read_full(fd, hdr, 5) != 1)
			break;
		len = nc__get32(hdr);
		if (len < 1 || len > SP_MAX_LEN ||
		    (len > 1 && read_full(fd, buf, len - 1) != 1))
			break;
		if (hdr[4] != SP_SEND)
			continue;
		if (buf[10 + buf[9]] == SP_CT_FILE_END)
			ends++;
		/* The last END wants no answer: the sender may be gone. */
		if (buf[8] & SP_F_RECEIPT)
			put_receipt(fd, nc__get64(buf), NC_OK);
	}
	_exit(ends);
}

START_TEST(test_send_file_forgotten)
{
	struct nc_session	*s;
	char			 err[256], path[256];
	pid_t			 pid;
	int			 d, st;

	mk_dirs();
	(void)snprintf(path, sizeof(path), "%s/f.txt", tdir);
	write_file(path, "content", 7);
	s = mk_session(&d, "alice");
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		(void)close(nc_fd(s));	/* so that our EOF comes */
		black_hole(d);
	}
	/*
	 * One END, one re-send after NC__END_RETRY_MS, the timeout, and the
	 * END that tells the receiver to drop its copy: three.
	 */
	ck_assert_int_eq(nc_send_file(s, "bob", path, NC__END_RETRY_MS + 1500,
	    err, sizeof(err)), NC_TIMEOUT);
	ck_assert_str_eq(err, "bob: timed out");
	nc_close(s);
	(void)close(d);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	rm_dirs();
}
END_TEST

START_TEST(test_misc)
{
	int	i;

	ck_assert_str_eq(nc_default_socket(), RUNSTATEDIR
	    "/netcryptd/session.sock");
	for (i = 0; i <= 9; i++)
		ck_assert_str_ne(nc_status_str(i), "unknown status");
	ck_assert_str_eq(nc_status_str(NC_TIMEOUT), "timed out");
	ck_assert_str_eq(nc_status_str(NC_NAME_IN_USE), "name in use");
	ck_assert_str_eq(nc_status_str(77), "unknown status");
	nc_close(NULL);
	ck_assert_int_eq(nc_send(NULL, "bob", "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(nc_flush(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!nc__valid_file_name((const uint8_t *)"...", 3));
	ck_assert(!nc__valid_file_name((const uint8_t *)".hidden", 7));
	ck_assert(!nc__valid_file_name((const uint8_t *)"-rf", 3));
	ck_assert(!nc__valid_file_name((const uint8_t *)"-", 1));
	ck_assert(nc__valid_file_name((const uint8_t *)"a.-b", 4));
	ck_assert(nc__valid_file_name((const uint8_t *)"caf\xc3\xa9", 5));
	ck_assert_str_eq(nc_status_str(NC_NOT_ALLOWED),
	    "name not allowed for this user");
	ck_assert_str_ne(nc_status_str(NC_FILE_NO_SPACE), "unknown status");
}
END_TEST

static Suite *
lib_suite(void)
{
	Suite	*s = suite_create("libnetcrypt");
	TCase	*tc;

	tc = tcase_create("session");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_attach_ok);
	tcase_add_test(tc, test_attach_refused);
	tcase_add_test(tc, test_open_socket);
	tcase_add_test(tc, test_send_framing);
	tcase_add_loop_test(tc, test_send_refused_locally, 0,
	    sizeof(send_fns) / sizeof(send_fns[0]));
	tcase_add_test(tc, test_send_wait_keeps_events);
	tcase_add_test(tc, test_send_more_held);
	tcase_add_test(tc, test_send_more_threshold);
	tcase_add_test(tc, test_flush_full);
	tcase_add_test(tc, test_send_more_next_close);
	tcase_add_test(tc, test_ignored_and_partial);
	tcase_add_loop_test(tc, test_malformed, 0,
	    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_misc);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_file_evil_names);
	tcase_add_test(tc, test_file_ok);
	tcase_add_test(tc, test_file_corrupt);
	tcase_add_test(tc, test_file_no_overwrite);
	tcase_add_test(tc, test_file_gaps);
	tcase_add_test(tc, test_file_refused_and_limits);
	tcase_add_test(tc, test_file_receiver_rules);
	tcase_add_test(tc, test_space_rule);
	tcase_add_test(tc, test_file_stale_tmp);
	tcase_add_test(tc, test_send_file_local_errors);
	tcase_add_test(tc, test_send_file_answers);
	tcase_add_test(tc, test_send_file_transfer);
	tcase_add_test(tc, test_send_file_go_back_n);
	tcase_add_test(tc, test_send_file_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("slow files");
	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, test_send_file_forgotten);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	/* A fake daemon that is gone must not kill the test by SIGPIPE. */
	(void)signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(lib_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
