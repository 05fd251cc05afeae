/*
 * The real key-holder, run in a child process over socketpairs, with this
 * test playing the master and the network child.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "conf.h"
#include "crypto.h"
#include "imsg.h"
#include "log.h"
#include "ipc.h"
#include "proc.h"

static char		 tmpdir[] = "/tmp/check_kh.XXXXXX";
static char		 keypath[512], chrootdir[512];
static EVP_PKEY		*hostkey, *otherkey;

struct kh_child {
	pid_t		pid;
	struct imsgbuf	master;
	struct imsgbuf	net;
};

/* Read one message from ibuf, waiting at most 5 s; 0 ok, -1 EOF/err. */
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
start_keyholder(struct kh_child *c)
{
	struct privsep_conf	 pc;
	struct passwd		*pw;
	struct imsg		 imsg;
	struct kh_settings	 ks;
	struct kh_rate		 rate;
	int			 sp_m[2], sp_n[2], keyfd;
	EVP_PKEY		*pub;
	uint8_t			*spki;
	size_t			 spkilen;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp_m), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp_n), 0);
	c->pid = fork();
	ck_assert_int_ne(c->pid, -1);
	if (c->pid == 0) {
		close(sp_m[0]);
		close(sp_n[0]);
		_exit(keyholder_run(sp_m[1], sp_n[1]));
	}
	close(sp_m[1]);
	close(sp_n[1]);
	imsgbuf_init(&c->master, sp_m[0]);
	imsgbuf_init(&c->net, sp_n[0]);

	memset(&pc, 0, sizeof(pc));
	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	pc.uid = pw->pw_uid;
	pc.gid = pw->pw_gid;
	snprintf(pc.user, sizeof(pc.user), "nobody");
	snprintf(pc.chroot, sizeof(pc.chroot), "%s", chrootdir);
	ck_assert_int_ne(keyfd = open(keypath, O_RDONLY), -1);
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_CONF_PRIVSEP, 0, 0, -1,
	    &pc, sizeof(pc)), 0);
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_KH_KEYFD, 0, 0, keyfd,
	    NULL, 0), 0);
	ks.unwrap_rate = NC_UNWRAP_AUTO;
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_KH_SETTINGS, 0, 0, -1,
	    &ks, sizeof(ks)), 0);
	ck_assert_int_eq(imsg_compose(&c->master, IMSG_CONF_END, 0, 0, -1,
	    NULL, 0), 0);
	ck_assert_int_eq(imsgbuf_flush(&c->master), 0);

	/* First the public key to the network child, then READY. */
	ck_assert_int_eq(read_one(&c->net, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_KH_PUBKEY);
	ck_assert_int_eq(nc_pkey_spki(hostkey, &spki, &spkilen), 0);
	ck_assert_uint_eq(imsg.datalen, spkilen);
	ck_assert_mem_eq(imsg.data, spki, spkilen);
	ck_assert_ptr_nonnull(pub = nc_pkey_from_spki(imsg.data, imsg.datalen));
	EVP_PKEY_free(pub);
	OPENSSL_free(spki);
	imsg_free(&imsg);
	/* Then the rate: `auto` is half a core at the measured speed. */
	ck_assert_int_eq(read_one(&c->net, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_KH_RATE);
	ck_assert_int_eq(imsg_get_data(&imsg, &rate, sizeof(rate)), 0);
	ck_assert_uint_gt(rate.op_us, 0);
	ck_assert_uint_eq(rate.rate, KH_AUTO_SHARE / rate.op_us + 1);
	imsg_free(&imsg);
	ck_assert_int_eq(read_one(&c->master, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_READY);
	imsg_free(&imsg);
}

/* Close both channels; return the child's wait status. */
static int
stop_keyholder(struct kh_child *c)
{
	int	status = 0, i;

	imsgbuf_clear(&c->master);
	imsgbuf_clear(&c->net);
	close(c->master.fd);
	close(c->net.fd);
	for (i = 0; i < 500; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			return status;
		usleep(10000);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	ck_abort_msg("key-holder did not exit");
	return status;
}

/* Wait for the key-holder to die on its own; return its wait status. */
static int
wait_death(struct kh_child *c)
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
	ck_abort_msg("key-holder did not exit");
	return status;
}

static void
wrap(EVP_PKEY *to, int label_role, const uint8_t th1[32],
    const uint8_t secret[32], uint8_t *blob, size_t *bloblen)
{
	uint8_t	label[64];
	size_t	labellen;

	ck_assert_int_eq(nc_oaep_label(label_role, th1, label, sizeof(label),
	    &labellen), 0);
	ck_assert_int_eq(nc_oaep_wrap(to, label, labellen, secret, 32, blob,
	    KH_BLOB_MAX, bloblen), 0);
}

/* Compose one unwrap request for blob (not flushed). */
static void
put_request(struct kh_child *c, uint64_t id, uint8_t role, uint32_t peerid,
    const uint8_t th1[32], const uint8_t *blob, size_t bloblen)
{
	struct kh_unwrap_req	req;
	struct iovec		iov[2];

	memset(&req, 0, sizeof(req));
	req.id = id;
	req.role = role;
	memcpy(req.th1, th1, 32);
	iov[0].iov_base = &req;
	iov[0].iov_len = sizeof(req);
	iov[1].iov_base = (void *)blob;
	iov[1].iov_len = bloblen;
	ck_assert_int_eq(imsg_composev(&c->net, IMSG_KH_UNWRAP, peerid, 0, -1,
	    iov, 2), 0);
}

/* Ask the key-holder for u; checks that the id and peerid are echoed. */
static void
ask_u(struct kh_child *c, uint64_t id, uint8_t role, const uint8_t th1[32],
    const uint8_t *blob, size_t bloblen, uint8_t u[32])
{
	struct kh_unwrap_rep	rep;
	struct imsg		imsg;

	put_request(c, id, role, 77, th1, blob, bloblen);
	ck_assert_int_eq(imsgbuf_flush(&c->net), 0);
	ck_assert_int_eq(read_one(&c->net, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_KH_UNWRAP_DONE);
	ck_assert_uint_eq(imsg.hdr.peerid, 77);
	ck_assert_int_eq(imsg_get_data(&imsg, &rep, sizeof(rep)), 0);
	ck_assert_uint_eq(rep.id, id);
	memcpy(u, rep.u, 32);
	imsg_free(&imsg);
}

START_TEST(test_unwrap_gives_derived_value)
{
	struct kh_child	c;
	uint8_t		th1[32], secret[32], blob[KH_BLOB_MAX];
	uint8_t		u[32], want[32];
	size_t		bloblen;
	int		role;

	start_keyholder(&c);
	for (role = KH_ROLE_INITIATOR; role <= KH_ROLE_RESPONDER; role++) {
		ck_assert_int_eq(RAND_bytes(th1, 32), 1);
		ck_assert_int_eq(RAND_bytes(secret, 32), 1);
		wrap(hostkey, role, th1, secret, blob, &bloblen);
		ck_assert_uint_eq(bloblen, (size_t)EVP_PKEY_get_size(hostkey));
		ask_u(&c, 1000 + (uint64_t)role, (uint8_t)role, th1, blob,
		    bloblen, u);
		ck_assert_int_eq(nc_derive_u(secret, th1, role, want), 0);
		ck_assert_mem_eq(u, want, 32);
		/* Never the raw secret. */
		ck_assert_int_ne(memcmp(u, secret, 32), 0);
	}
	ck_assert(WIFEXITED(stop_keyholder(&c)));
}
END_TEST

/* A bad blob gives a u that differs from the right one, stably. */
static void
check_rejected(struct kh_child *c, uint8_t role, const uint8_t th1[32],
    const uint8_t *blob, size_t bloblen, const uint8_t right[32])
{
	uint8_t	u1[32], u2[32];

	ask_u(c, 1, role, th1, blob, bloblen, u1);
	ask_u(c, 2, role, th1, blob, bloblen, u2);
	ck_assert_int_ne(memcmp(u1, right, 32), 0);
	ck_assert_mem_eq(u1, u2, 32);
}

START_TEST(test_bad_blobs_are_implicitly_rejected)
{
	struct kh_child	c;
	uint8_t		th1[32], secret[32], blob[KH_BLOB_MAX], right[32];
	uint8_t		other_th1[32], u[32];
	size_t		bloblen;

	ck_assert_int_eq(RAND_bytes(th1, 32), 1);
	ck_assert_int_eq(RAND_bytes(secret, 32), 1);
	ck_assert_int_eq(nc_derive_u(secret, th1, KH_ROLE_INITIATOR, right), 0);
	start_keyholder(&c);

	/* Wrong label: wrapped as responder, asked as initiator. */
	wrap(hostkey, KH_ROLE_RESPONDER, th1, secret, blob, &bloblen);
	check_rejected(&c, KH_ROLE_INITIATOR, th1, blob, bloblen, right);
	/* Wrong th1 in the label. */
	memcpy(other_th1, th1, 32);
	other_th1[0] ^= 1;
	wrap(hostkey, KH_ROLE_INITIATOR, other_th1, secret, blob, &bloblen);
	check_rejected(&c, KH_ROLE_INITIATOR, th1, blob, bloblen, right);
	/* Truncated blob. */
	wrap(hostkey, KH_ROLE_INITIATOR, th1, secret, blob, &bloblen);
	check_rejected(&c, KH_ROLE_INITIATOR, th1, blob, bloblen - 1, right);
	/* One flipped bit. */
	blob[bloblen / 2] ^= 0x10;
	check_rejected(&c, KH_ROLE_INITIATOR, th1, blob, bloblen, right);
	/* A blob for another key. */
	wrap(otherkey, KH_ROLE_INITIATOR, th1, secret, blob, &bloblen);
	check_rejected(&c, KH_ROLE_INITIATOR, th1, blob, bloblen, right);
	/* An empty blob. */
	check_rejected(&c, KH_ROLE_INITIATOR, th1, blob, 0, right);
	/* And the right blob still works afterwards. */
	wrap(hostkey, KH_ROLE_INITIATOR, th1, secret, blob, &bloblen);
	ask_u(&c, 9, KH_ROLE_INITIATOR, th1, blob, bloblen, u);
	ck_assert_mem_eq(u, right, 32);
	ck_assert(WIFEXITED(stop_keyholder(&c)));
}
END_TEST

/* The rejection value depends on th1 and the blob (it is an HMAC). */
START_TEST(test_rejection_depends_on_input)
{
	struct kh_child	c;
	uint8_t		th1[32], blob[KH_BLOB_MAX], u1[32], u2[32], u3[32];

	memset(th1, 0x11, sizeof(th1));
	memset(blob, 0, sizeof(blob));
	start_keyholder(&c);
	ask_u(&c, 1, KH_ROLE_INITIATOR, th1, blob, 256, u1);
	blob[255] = 1;
	ask_u(&c, 2, KH_ROLE_INITIATOR, th1, blob, 256, u2);
	th1[0] = 0;
	ask_u(&c, 3, KH_ROLE_INITIATOR, th1, blob, 256, u3);
	ck_assert_int_ne(memcmp(u1, u2, 32), 0);
	ck_assert_int_ne(memcmp(u2, u3, 32), 0);
	ck_assert(WIFEXITED(stop_keyholder(&c)));
}
END_TEST

/*
 * Send one message on a channel of a fresh key-holder and require that
 * it dies of it with a non-zero exit status (fatalx, not a crash).
 */
static void
expect_fatal(int to_master, uint32_t type, const void *data, size_t len)
{
	struct kh_child	 c;
	struct imsgbuf	*ib;
	int		 status;

	start_keyholder(&c);
	ib = to_master ? &c.master : &c.net;
	ck_assert_int_eq(imsg_compose(ib, type, 0, 0, -1, data, len), 0);
	ck_assert_int_eq(imsgbuf_flush(ib), 0);
	status = wait_death(&c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 0);
}

/*
 * A request cancelled while it waits is never worked on: it is answered
 * CANCELLED, the one before it DONE, and a cancel that comes too late
 * changes nothing.
 */
START_TEST(test_cancelled_request_is_not_worked)
{
	struct kh_child	c;
	struct imsg	imsg;
	uint8_t		th1[32] = { 1 }, secret[32] = { 2 }, blob[KH_BLOB_MAX];
	uint8_t		u[32];
	size_t		bloblen;
	uint64_t	id = 12, got;

	start_keyholder(&c);
	wrap(hostkey, KH_ROLE_INITIATOR, th1, secret, blob, &bloblen);
	/* One write: the key-holder reads all three before working. */
	put_request(&c, 11, KH_ROLE_INITIATOR, 0, th1, blob, bloblen);
	put_request(&c, 12, KH_ROLE_INITIATOR, 0, th1, blob, bloblen);
	ck_assert_int_eq(imsg_compose(&c.net, IMSG_KH_CANCEL, 0, 0, -1, &id,
	    sizeof(id)), 0);
	ck_assert_int_eq(imsgbuf_flush(&c.net), 0);
	ck_assert_int_eq(read_one(&c.net, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_KH_CANCELLED);
	ck_assert_int_eq(imsg_get_data(&imsg, &got, sizeof(got)), 0);
	ck_assert_uint_eq(got, 12);
	imsg_free(&imsg);
	ck_assert_int_eq(read_one(&c.net, &imsg), 0);
	ck_assert_uint_eq(imsg.hdr.type, IMSG_KH_UNWRAP_DONE);
	imsg_free(&imsg);
	/* Too late for 11: ignored; the next request is answered. */
	id = 11;
	ck_assert_int_eq(imsg_compose(&c.net, IMSG_KH_CANCEL, 0, 0, -1, &id,
	    sizeof(id)), 0);
	ask_u(&c, 13, KH_ROLE_INITIATOR, th1, blob, bloblen, u);
	ck_assert(WIFEXITED(stop_keyholder(&c)));
}
END_TEST

/* More requests at once than the window: a broken network child. */
START_TEST(test_over_window_is_fatal)
{
	struct kh_child	c;
	uint8_t		th1[32] = { 1 }, secret[32] = { 2 }, blob[KH_BLOB_MAX];
	size_t		bloblen;
	uint64_t	i;
	int		status;

	start_keyholder(&c);
	wrap(hostkey, KH_ROLE_INITIATOR, th1, secret, blob, &bloblen);
	for (i = 1; i <= KH_WINDOW + 1; i++)
		put_request(&c, i, KH_ROLE_INITIATOR, 0, th1, blob, bloblen);
	ck_assert_int_eq(imsgbuf_flush(&c.net), 0);
	status = wait_death(&c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_short_request_is_fatal)
{
	uint8_t	junk[16] = { 0 };

	expect_fatal(0, IMSG_KH_UNWRAP, junk, sizeof(junk));
}
END_TEST

START_TEST(test_oversized_blob_is_fatal)
{
	uint8_t			buf[sizeof(struct kh_unwrap_req) + 257];
	struct kh_unwrap_req	*req = (struct kh_unwrap_req *)buf;

	/* 2048-bit key: 256 bytes at most. */
	memset(buf, 0, sizeof(buf));
	req->role = KH_ROLE_INITIATOR;
	expect_fatal(0, IMSG_KH_UNWRAP, buf, sizeof(buf));
}
END_TEST

START_TEST(test_bad_role_is_fatal)
{
	uint8_t			buf[sizeof(struct kh_unwrap_req) + 256];
	struct kh_unwrap_req	*req = (struct kh_unwrap_req *)buf;

	memset(buf, 0, sizeof(buf));
	req->role = 3;
	expect_fatal(0, IMSG_KH_UNWRAP, buf, sizeof(buf));
}
END_TEST

START_TEST(test_unknown_type_from_network_is_fatal)
{
	/* Key material may come only from the master. */
	expect_fatal(0, IMSG_KH_KEYFD, NULL, 0);
}
END_TEST

START_TEST(test_unknown_type_from_master_is_fatal)
{
	expect_fatal(1, IMSG_KH_UNWRAP, NULL, 0);
}
END_TEST

START_TEST(test_garbage_header_is_fatal)
{
	struct kh_child	c;
	struct imsg_hdr	hdr;
	int		status;

	start_keyholder(&c);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_KH_UNWRAP;
	hdr.len = 3;		/* shorter than the header itself */
	ck_assert_int_eq(write(c.net.fd, &hdr, sizeof(hdr)),
	    (ssize_t)sizeof(hdr));
	status = wait_death(&c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 0);
}
END_TEST

static EVP_PKEY *
write_key(const char *path)
{
	EVP_PKEY	*k;
	FILE		*fp;
	int		 fd;

	k = EVP_RSA_gen(2048);
	if (k == NULL)
		return NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL)
		return NULL;
	if (PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) != 1)
		return NULL;
	fclose(fp);
	return k;
}

int
main(void)
{
	Suite	*s;
	SRunner	*sr;
	TCase	*tc;
	int	 failed;

	if (geteuid() != 0) {
		printf("SKIP: check_keyholder needs root (the key-holder "
		    "chroots and drops to \"nobody\")\n");
		return 77;
	}
	if (getpwnam("nobody") == NULL) {
		printf("SKIP: no user \"nobody\"\n");
		return 77;
	}
	log_init(1, -1);
	if (mkdtemp(tmpdir) == NULL)
		return 99;
	snprintf(keypath, sizeof(keypath), "%s/host.pem", tmpdir);
	snprintf(chrootdir, sizeof(chrootdir), "%s/empty", tmpdir);
	if (chmod(tmpdir, 0755) == -1 || mkdir(chrootdir, 0755) == -1)
		return 99;
	if ((hostkey = write_key(keypath)) == NULL ||
	    (otherkey = EVP_RSA_gen(2048)) == NULL)
		return 99;

	s = suite_create("keyholder");
	tc = tcase_create("unwrap");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_unwrap_gives_derived_value);
	tcase_add_test(tc, test_bad_blobs_are_implicitly_rejected);
	tcase_add_test(tc, test_rejection_depends_on_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("protocol");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cancelled_request_is_not_worked);
	tcase_add_test(tc, test_over_window_is_fatal);
	tcase_add_test(tc, test_short_request_is_fatal);
	tcase_add_test(tc, test_oversized_blob_is_fatal);
	tcase_add_test(tc, test_bad_role_is_fatal);
	tcase_add_test(tc, test_unknown_type_from_network_is_fatal);
	tcase_add_test(tc, test_unknown_type_from_master_is_fatal);
	tcase_add_test(tc, test_garbage_header_is_fatal);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(keypath);
	rmdir(chrootdir);
	rmdir(tmpdir);
	EVP_PKEY_free(hostkey);
	EVP_PKEY_free(otherkey);
	return failed == 0 ? 0 : 1;
}
