/*
 * The spool process (spool.c) run in a child over socketpairs, without
 * its sandbox (spool_run), with this test playing the master and the
 * network child: the configuration phase, READY and SP_HELLO, puts
 * answered only once their record is in the segment file, fetches,
 * queries, the lock on the spool directory, a restart, malformed
 * messages (fatal), and the master closing its channel (exit 0).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "imsg.h"
#include "ipc.h"
#include "proc.h"
#include "unitrun.h"

static char	tmpdir[] = "/tmp/check_spoolproc.XXXXXX";
static int	dfd = -1;

static const uint8_t	FP_A[NC_SHA256_LEN] = { 0xa1, 0xa2, 0xa3 };

struct child {
	pid_t		pid;
	struct imsgbuf	master;
	struct imsgbuf	net;
	uint64_t	inc;
	uint64_t	entries;
};

static void
empty_dir(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 fd = dup(dfd);

	d = fdopendir(fd);
	ck_assert_ptr_nonnull(d);
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ck_assert_int_eq(unlinkat(dfd, e->d_name, 0), 0);
	closedir(d);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
}

static void
teardown(void)
{
	empty_dir();
	close(dfd);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

/* One message within 5 s; 0, or -1 on EOF or timeout. */
static int
read_one(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct pollfd	pfd = { ibuf->fd, POLLIN, 0 };
	int		i, rv;

	for (i = 0; i < 50; i++) {
		if ((rv = imsg_get(ibuf, imsg)) != 0)
			return rv == 1 ? 0 : -1;
		if (poll(&pfd, 1, 100) == 1 && imsgbuf_read(ibuf) <= 0)
			return -1;
	}
	return -1;
}

static void
expect(struct imsgbuf *ibuf, uint32_t type, void *data, size_t len)
{
	struct imsg	imsg;

	ck_assert_int_eq(read_one(ibuf, &imsg), 0);
	ck_assert_str_eq(imsg_type_name(imsg.hdr.type), imsg_type_name(type));
	if (data != NULL)
		ck_assert_int_eq(imsg_get_data(&imsg, data, len), 0);
	imsg_free(&imsg);
}

/* Fork the spool on the directory; configure it; READY and HELLO. */
static void
start(struct child *c, int ready)
{
	struct sp_settings	set;
	struct sp_mailbox_rule	rule;
	struct sp_hello		hello;
	int			sp_m[2], sp_n[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp_m), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp_n), 0);
	c->pid = fork();
	ck_assert_int_ne(c->pid, -1);
	if (c->pid == 0) {
		close(sp_m[0]);
		close(sp_n[0]);
		fd = dup(dfd);
		_exit(spool_run(sp_m[1], sp_n[1], fd));
	}
	close(sp_m[1]);
	close(sp_n[1]);
	imsgbuf_init(&c->master, sp_m[0]);
	imsgbuf_init(&c->net, sp_n[0]);
	memset(&set, 0, sizeof(set));
	set.total_bytes = 1 << 20;
	set.peer_bytes = 1 << 19;
	set.lifetime_max = 86400;
	memset(&rule, 0, sizeof(rule));
	snprintf(rule.pattern, sizeof(rule.pattern), "svc-*");
	rule.none = 1;
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_CONF_SPOOL, 0, 0, -1,
	    &set, sizeof(set)), 0);
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_CONF_MAILBOX, 0, 0, -1,
	    &rule, sizeof(rule)), 0);
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_CONF_END, 0, 0, -1,
	    NULL, 0), 0);
	ck_assert_int_eq(imsgbuf_flush(&c->master), 0);
	if (!ready)
		return;
	expect(&c->master, IMSG_READY, NULL, 0);
	expect(&c->net, IMSG_SP_HELLO, &hello, sizeof(hello));
	ck_assert_uint_ne(hello.inc, 0);
	c->inc = hello.inc;
	c->entries = hello.entries;
}

/* Wait for the child to exit; its wait status. */
static int
wait_exit(struct child *c)
{
	int	status = 0, i;

	for (i = 0; i < 500; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			imsgbuf_clear(&c->master);
			imsgbuf_clear(&c->net);
			close(c->master.fd);
			close(c->net.fd);
			return status;
		}
		usleep(10000);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	ck_abort_msg("the spool did not exit");
	return status;
}

/* The master goes away: the spool exits 0. */
static void
stop(struct child *c)
{
	int	status;

	close(c->master.fd);
	c->master.fd = -1;
	status = wait_exit(c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

static void
send_put(struct child *c, uint64_t req, uint8_t dest, const char *to,
    const char *payload, uint32_t ttl)
{
	struct sp_put	p;
	struct iovec	iov[4];

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.dest = dest;
	p.fromlen = 5;
	p.tolen = (uint8_t)strlen(to);
	p.ttl = ttl;
	memcpy(p.fp, FP_A, sizeof(p.fp));
	iov[0].iov_base = &p;
	iov[0].iov_len = sizeof(p);
	iov[1].iov_base = (void *)"alice";
	iov[1].iov_len = 5;
	iov[2].iov_base = (void *)to;
	iov[2].iov_len = strlen(to);
	iov[3].iov_base = (void *)payload;
	iov[3].iov_len = strlen(payload);
	ck_assert_int_eq(imsg_composev(&c->net, IMSG_SP_PUT, 0, 0, -1, iov, 4),
	    0);
}

/* 1 if some segment file in the directory holds needle. */
static int
on_disk(const char *needle)
{
	DIR		*d;
	struct dirent	*e;
	static char	 buf[1 << 20];
	ssize_t		 n;
	int		 fd, found = 0;

	d = fdopendir(dup(dfd));
	ck_assert_ptr_nonnull(d);
	rewinddir(d);
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "seg.", 4) != 0)
			continue;
		fd = openat(dfd, e->d_name, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		n = read(fd, buf, sizeof(buf));
		close(fd);
		found = n > 0 && memmem(buf, (size_t)n, needle,
		    strlen(needle)) != NULL;
	}
	closedir(d);
	return found;
}

START_TEST(test_serve)
{
	struct child		c, c2;
	struct sp_done		done;
	struct sp_fetch		f;
	struct sp_fetch_end	fe;
	struct sp_query		q;
	struct imsg		imsg;
	struct sp_entry		e;
	const unsigned char	*tail;
	size_t			taillen;
	uint64_t		id, i;
	int			status;

	empty_dir();
	start(&c, 1);
	ck_assert_uint_eq(c.entries, 0);
	send_put(&c, 7, SP_DEST_PEER, "bob", "first message", 600);
	ck_assert_int_eq(imsgbuf_flush(&c.net), 0);
	expect(&c.net, IMSG_SP_DONE, &done, sizeof(done));
	/* Answered once written (and synced): the bytes are in the file. */
	ck_assert(on_disk("first message"));
	ck_assert_uint_eq(done.req, 7);
	ck_assert_uint_eq(done.status, ST_OK);
	ck_assert_uint_ne(id = done.id, 0);
	send_put(&c, 8, SP_DEST_LOCAL, "svc-x", "nobody", 600);
	/* Many at once: all answered, in order. */
	for (i = 0; i < 50; i++)
		send_put(&c, 100 + i, SP_DEST_LOCAL, "bob", "batch", 600);
	ck_assert_int_eq(imsgbuf_flush(&c.net), 0);
	expect(&c.net, IMSG_SP_DONE, &done, sizeof(done));
	ck_assert_uint_eq(done.req, 8);
	ck_assert_uint_eq(done.status, ST_NO_SUCH_SESSION);
	for (i = 0; i < 50; i++) {
		expect(&c.net, IMSG_SP_DONE, &done, sizeof(done));
		ck_assert_uint_eq(done.req, 100 + i);
		ck_assert_uint_eq(done.status, ST_OK);
	}

	memset(&f, 0, sizeof(f));
	memcpy(f.fp, FP_A, sizeof(f.fp));
	f.max_count = 10;
	f.max_bytes = 65536;
	memset(&q, 0, sizeof(q));
	q.req = 9;
	q.id = id;
	ck_assert_int_eq(imsg_compose(&c.net, IMSG_SP_OUT_FETCH, 0, 0, -1, &f,
	    sizeof(f)), 0);
	ck_assert_int_eq(imsg_compose(&c.net, IMSG_SP_QUERY, 0, 0, -1, &q,
	    sizeof(q)), 0);
	ck_assert_int_eq(imsgbuf_flush(&c.net), 0);
	ck_assert_int_eq(read_one(&c.net, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_SP_ENTRY);
	ck_assert_int_eq(imsg_get_head_tail(&imsg, &e, sizeof(e), &tail,
	    &taillen, 65536), 0);
	ck_assert_uint_eq(e.id, id);
	ck_assert_uint_eq(e.inc, c.inc);
	ck_assert_uint_eq(e.seq, 1);
	ck_assert_uint_eq(e.fromlen, 5);
	ck_assert_uint_eq(e.tolen, 3);
	ck_assert_uint_eq(taillen, 5 + 3 + 13);
	ck_assert_mem_eq(tail, "alicebobfirst message", taillen);
	imsg_free(&imsg);
	expect(&c.net, IMSG_SP_FETCH_END, &fe, sizeof(fe));
	ck_assert_uint_eq(fe.count, 1);
	ck_assert_uint_eq(fe.more, 0);
	expect(&c.net, IMSG_SP_QUERY_DONE, &q, sizeof(q));
	ck_assert_uint_eq(q.req, 9);
	ck_assert_uint_eq(q.status, ST_QUEUED);

	/* A second daemon on the same directory is refused. */
	start(&c2, 0);
	status = wait_exit(&c2);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 0);
	stop(&c);

	/* Started again: the same incarnation, everything kept. */
	i = c.inc;
	start(&c, 1);
	ck_assert_uint_eq(c.inc, i);
	ck_assert_uint_eq(c.entries, 51);
	stop(&c);
}
END_TEST

/* Each of these ends the spool with a failure. */
START_TEST(test_malformed)
{
	struct child	c;
	struct sp_put	p;
	struct sp_fetch	f;
	struct sp_id	id;
	int		status, k;

	for (k = 0; k < 7; k++) {
		empty_dir();
		start(&c, 1);
		memset(&f, 0, sizeof(f));
		f.max_count = 1;
		switch (k) {
		case 0:		/* names longer than the message */
			memset(&p, 0, sizeof(p));
			p.dest = SP_DEST_PEER;
			p.fromlen = 5;
			p.tolen = 60;
			p.ttl = 60;
			ck_assert_int_eq(imsg_compose(&c.net, IMSG_SP_PUT, 0,
			    0, -1, &p, sizeof(p)), 0);
			break;
		case 1:		/* ttl 0 */
			send_put(&c, 1, SP_DEST_PEER, "bob", "x", 0);
			break;
		case 2:		/* ttl past lifetime_max */
			send_put(&c, 1, SP_DEST_PEER, "bob", "x", 86401);
			break;
		case 3:		/* a name with a character no name has */
			send_put(&c, 1, SP_DEST_LOCAL, "b/b", "x", 60);
			break;
		case 4:		/* a fetch one byte short */
			ck_assert_int_eq(imsg_compose(&c.net,
			    IMSG_SP_OUT_FETCH, 0, 0, -1, &f, sizeof(f) - 1), 0);
			break;
		case 5:		/* a type the network child never sends */
			ck_assert_int_eq(imsg_compose(&c.net, IMSG_SP_DONE, 0,
			    0, -1, NULL, 0), 0);
			break;
		case 6:		/* TAKEN of id 0 */
			id.id = 0;
			ck_assert_int_eq(imsg_compose(&c.net, IMSG_SP_TAKEN, 0,
			    0, -1, &id, sizeof(id)), 0);
			break;
		}
		ck_assert_int_eq(imsgbuf_flush(&c.net), 0);
		status = wait_exit(&c);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
		    "case %d: status %d", k, status);
	}
}
END_TEST

static Suite *
spoolproc_suite(void)
{
	Suite	*s = suite_create("spoolproc");
	TCase	*tc = tcase_create("process");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_serve);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return unit_run(spoolproc_suite());
}
