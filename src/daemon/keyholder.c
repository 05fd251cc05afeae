/*
 * The key-holder: the only process that ever holds the RSA private key.
 *
 * It is configured by the master (the open key file, who to become),
 * then sandboxed, then answers exactly one question from the network
 * child: "what is u for this wrapped secret?" (PROTOCOL.md 5.8).  It
 * never returns the secret itself, the padding is fixed here, a blob
 * longer than the modulus is refused (the network child checks the exact
 * size; a shorter one simply fails to decode), and a failure yields the
 * implicit-rejection value through the same code path, so that neither
 * the reply nor its timing tells a bad blob from a good one.
 *
 * The loop is blocking read-compute-write: there is nothing else to do.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf.h"
#include "crypto.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "util.h"

#define KH_KEYFILE_MAX		65536
#define KH_SECURE_HEAP		(256 * 1024)
#define KH_MEASURE_OPS		5	/* unwraps timed at start, at most */
#define KH_MEASURE_US		200000	/* and for at most this long */

/* A request from the network child, waiting for its turn. */
struct kh_request {
	struct kh_unwrap_req	req;
	uint32_t		peerid;
	size_t			bloblen;
	uint8_t			blob[KH_BLOB_MAX];
};

struct keyholder {
	struct imsgbuf		master;
	struct imsgbuf		net;
	int			keyfd;		/* until CONF_END */
	int			have_privsep;
	struct privsep_conf	privsep;
	struct kh_settings	settings;
	EVP_PKEY		*key;
	size_t			modlen;		/* bytes */
	uint8_t			*seed;		/* implicit rejection, secure heap */
	double			tokens;		/* rate limit bucket */
	double			rate;		/* its rate: twice the agreed */
	struct timespec		last_refill;
	struct kh_rate		agreed;		/* the network child's limit */
	struct kh_request	queue[KH_WINDOW];
	size_t			nqueue;
	uint64_t		unwraps, cancelled;
};

static int	kh_dispatch_master_conf(void *, struct imsg *);
static void	kh_dispatch_master(struct keyholder *, struct imsg *);
static void	kh_dispatch_net(struct keyholder *, struct imsg *);

/* Read the key file (already opened by the master) into locked memory. */
static EVP_PKEY *
kh_load_key(int fd)
{
	uint8_t		*pem;
	size_t		 len = 0;
	ssize_t		 n;
	EVP_PKEY	*key;

	if ((pem = OPENSSL_secure_malloc(KH_KEYFILE_MAX)) == NULL)
		fatalx("%s: secure heap exhausted", __func__);
	while (len < KH_KEYFILE_MAX) {
		n = read(fd, pem + len, KH_KEYFILE_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("%s: read private key", __func__);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == KH_KEYFILE_MAX)
		fatalx("%s: private key file larger than %d bytes", __func__,
		    KH_KEYFILE_MAX);
	key = nc_load_privkey_mem(pem, len);
	OPENSSL_secure_clear_free(pem, KH_KEYFILE_MAX);
	if (key == NULL)
		fatalx("%s: the private key file holds no RSA private key",
		    __func__);
	return key;
}

/* One wrap and unwrap of our own: fetches every algorithm, seeds DRBGs. */
static void
kh_warm_up(struct keyholder *kh)
{
	uint8_t	secret[NC_SECRET_LEN], out[KH_BLOB_MAX], blob[KH_BLOB_MAX];
	uint8_t	th1[NC_SHA256_LEN] = { 0 }, label[64], u[NC_SHA256_LEN];
	size_t	bloblen, outlen, labellen;

	if (RAND_priv_bytes(secret, sizeof(secret)) != 1 ||
	    nc_oaep_label(KH_ROLE_INITIATOR, th1, label, sizeof(label),
	    &labellen) == -1 ||
	    nc_oaep_wrap(kh->key, label, labellen, secret, sizeof(secret),
	    blob, sizeof(blob), &bloblen) == -1 ||
	    nc_oaep_unwrap(kh->key, label, labellen, blob, bloblen, out,
	    sizeof(out), &outlen) == -1 || outlen != sizeof(secret) ||
	    memcmp(out, secret, sizeof(secret)) != 0 ||
	    nc_derive_u(out, th1, KH_ROLE_INITIATOR, u) == -1 ||
	    nc_reject_u(kh->seed, th1, blob, bloblen, u) == -1)
		fatalx("%s: the private key does not work", __func__);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(u, sizeof(u));
}

/*
 * Time our own unwraps (the CPU time they take, the least of a few) and
 * set the rate: `unwrap rate auto` is what leaves half
 * a core free.  The network child enforces it, refusing past it; this
 * process keeps a bucket of twice that rate only as a second line,
 * against a network child that misbehaves.
 */
static void
kh_set_rate(struct keyholder *kh)
{
	uint8_t		secret[NC_SECRET_LEN], blob[KH_BLOB_MAX], out[KH_BLOB_MAX];
	uint8_t		th1[NC_SHA256_LEN] = { 0 }, label[64];
	size_t		bloblen, outlen, labellen, i;
	struct timespec	t0, t1;
	uint64_t	us, best = UINT64_MAX;

	memset(secret, 0x5a, sizeof(secret));
	if (nc_oaep_label(KH_ROLE_INITIATOR, th1, label, sizeof(label),
	    &labellen) == -1 || nc_oaep_wrap(kh->key, label, labellen, secret,
	    sizeof(secret), blob, sizeof(blob), &bloblen) == -1)
		fatalx("%s: cannot wrap", __func__);
	monotime(&t0);
	for (i = 0; i < KH_MEASURE_OPS &&
	    usec_since(CLOCK_MONOTONIC, &t0) < KH_MEASURE_US;
	    i++) {
		(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		if (nc_oaep_unwrap(kh->key, label, labellen, blob, bloblen,
		    out, sizeof(out), &outlen) == -1)
			fatalx("%s: cannot unwrap", __func__);
		if ((us = usec_since(CLOCK_PROCESS_CPUTIME_ID, &t1)) < best)
			best = us;
	}
	OPENSSL_cleanse(out, sizeof(out));
	kh->agreed.op_us = best == 0 ? 1 : (uint32_t)best;
	kh->agreed.is_auto = kh->settings.unwrap_rate == NC_UNWRAP_AUTO;
	if (kh->agreed.is_auto)
		kh->agreed.rate = KH_AUTO_SHARE / kh->agreed.op_us + 1;
	else
		kh->agreed.rate = kh->settings.unwrap_rate;
	if (kh->agreed.rate != 0 &&
	    kh->agreed.rate > 500000 / kh->agreed.op_us + 1)
		log_warnx("unwrap rate %u/s is more than half a core can do "
		    "(%u us an unwrap): handshakes may starve other work",
		    kh->agreed.rate, kh->agreed.op_us);
	log_info("unwrap: %u us each; at most %u/s%s", kh->agreed.op_us,
	    kh->agreed.rate, kh->settings.unwrap_rate == NC_UNWRAP_AUTO ?
	    " (auto: 45% of a core)" : "");
	kh->rate = 2.0 * kh->agreed.rate;
	kh->tokens = 2.0 * kh->rate;
	monotime(&kh->last_refill);
}

static void
kh_send_pubkey(struct keyholder *kh)
{
	uint8_t	*spki;
	size_t	 len;
	char	 fp[NC_FP_STRLEN];

	if (nc_pkey_spki(kh->key, &spki, &len) == -1 ||
	    nc_fingerprint(spki, len, fp, sizeof(fp)) == -1)
		fatalx("%s: cannot encode the public key", __func__);
	log_info("host key %s (RSA %d bits)", fp, nc_rsa_bits(kh->key));
	if (imsg_compose(&kh->net, IMSG_KH_PUBKEY, 0, 0, -1, spki, len) == -1 ||
	    imsg_compose(&kh->net, IMSG_KH_RATE, 0, 0, -1, &kh->agreed,
	    sizeof(kh->agreed)) == -1 ||
	    imsgbuf_flush(&kh->net) == -1)
		fatal("%s: send", __func__);
	OPENSSL_free(spki);
}

/* Everything that needs files, privileges or fresh allocations. */
static void
kh_prepare(struct keyholder *kh)
{
	int	keep[2] = { kh->master.fd, kh->net.fd };

	if (kh->keyfd == -1 || !kh->have_privsep)
		fatalx("%s: configuration incomplete", __func__);
	kh->key = kh_load_key(kh->keyfd);
	(void)close(kh->keyfd);
	kh->keyfd = -1;
	if (nc_rsa_bits(kh->key) < NC_RSA_MIN_BITS)
		fatalx("%s: RSA key of %d bits, at least %d required",
		    __func__, nc_rsa_bits(kh->key), NC_RSA_MIN_BITS);
	kh->modlen = (size_t)EVP_PKEY_get_size(kh->key);
	if (kh->modlen == 0 || kh->modlen > KH_BLOB_MAX)
		fatalx("%s: unexpected modulus size", __func__);
	if ((kh->seed = OPENSSL_secure_malloc(NC_SHA256_LEN)) == NULL ||
	    RAND_priv_bytes(kh->seed, NC_SHA256_LEN) != 1)
		fatalx("%s: cannot draw the rejection seed", __func__);
	kh_warm_up(kh);
	kh_set_rate(kh);
	kh_send_pubkey(kh);
	sandbox_enter(PROC_KEYHOLDER, &kh->privsep, keep, 2);
	sandbox_lock(PROC_KEYHOLDER);
}

static int
kh_dispatch_master_conf(void *arg, struct imsg *imsg)
{
	struct keyholder	*kh = arg;

	switch (imsg->hdr.type) {
	case IMSG_CONF_PRIVSEP:
		if (imsg_get_data(imsg, &kh->privsep, sizeof(kh->privsep)) == -1)
			fatalx("%s: bad %s", __func__,
			    imsg_type_name(imsg->hdr.type));
		kh->privsep.user[sizeof(kh->privsep.user) - 1] = '\0';
		kh->privsep.chroot[sizeof(kh->privsep.chroot) - 1] = '\0';
		kh->have_privsep = 1;
		return 0;
	case IMSG_KH_SETTINGS:
		if (imsg_get_data(imsg, &kh->settings,
		    sizeof(kh->settings)) == -1)
			fatalx("%s: bad %s", __func__,
			    imsg_type_name(imsg->hdr.type));
		return 0;
	case IMSG_KH_KEYFD:
		/* Key material only from the master, only once. */
		if (kh->keyfd != -1 || imsg_get_empty(imsg) == -1 ||
		    (kh->keyfd = imsg_take_fd(imsg)) == -1)
			fatalx("%s: bad %s", __func__,
			    imsg_type_name(imsg->hdr.type));
		return 0;
	case IMSG_CONF_END:
		if (imsg_get_empty(imsg) == -1)
			fatalx("%s: bad CONF_END", __func__);
		return 1;
	default:
		fatalx("%s: unexpected %s from the master during configuration",
		    __func__, imsg_type_name(imsg->hdr.type));
	}
}

/*
 * The second line: even a network child that ignores the agreed rate
 * gets at most twice that much of our CPU.  Past it we wait (at most
 * KH_WINDOW requests can be waiting).
 */
static void
kh_rate_limit(struct keyholder *kh)
{
	struct timespec	now, ts;
	double		rate = kh->rate, elapsed;

	if (rate <= 0)
		return;
	monotime(&now);
	elapsed = timespec_diff(&now, &kh->last_refill);
	kh->last_refill = now;
	kh->tokens += elapsed * rate;
	if (kh->tokens > 2 * rate)
		kh->tokens = 2 * rate;
	if (kh->tokens < 1.0) {
		double wait = (1.0 - kh->tokens) / rate;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		(void)nanosleep(&ts, NULL);
		kh->tokens = 1.0;
		monotime(&kh->last_refill);
	}
	kh->tokens -= 1.0;
}

/*
 * Compute u for one wrapped secret.  Both candidate values are always
 * computed and one is picked with a mask, so the work done does not
 * depend on whether the OAEP decoding succeeded.
 */
static int
kh_unwrap(EVP_PKEY *key, const uint8_t *seed, uint8_t role,
    const uint8_t th1[NC_SHA256_LEN], const uint8_t *blob, size_t bloblen,
    uint8_t u[NC_SHA256_LEN])
{
	uint8_t		label[64], plain[KH_BLOB_MAX];
	uint8_t		u_good[NC_SHA256_LEN], u_bad[NC_SHA256_LEN];
	size_t		labellen, plainlen = 0, i;
	unsigned int	ok, mask;
	int		rv;

	if (nc_oaep_label(role, th1, label, sizeof(label), &labellen) == -1 ||
	    bloblen > sizeof(plain))
		return -1;
	memset(plain, 0, sizeof(plain));
	rv = nc_oaep_unwrap(key, label, labellen, blob, bloblen, plain,
	    sizeof(plain), &plainlen);
	ok = (unsigned int)(rv == 0) & (unsigned int)(plainlen == NC_SECRET_LEN);
	if (nc_derive_u(plain, th1, role, u_good) == -1 ||
	    nc_reject_u(seed, th1, blob, bloblen, u_bad) == -1)
		return -1;
	mask = 0u - ok;
	for (i = 0; i < NC_SHA256_LEN; i++)
		u[i] = (uint8_t)((u_good[i] & mask) | (u_bad[i] & ~mask));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(u_good, sizeof(u_good));
	OPENSSL_cleanse(u_bad, sizeof(u_bad));
	return 0;
}

/*
 * Queue one request.  A header and a blob no longer than the modulus,
 * and no more than KH_WINDOW at once: anything else is a broken network
 * child.  A shorter blob is the peer's doing and, like any blob that
 * does not decode, gets the implicit-rejection value.
 */
static void
kh_queue_unwrap(struct keyholder *kh, struct imsg *imsg)
{
	struct kh_request	*r;
	const unsigned char	*blob;
	size_t			 i;

	if (kh->nqueue == KH_WINDOW)
		fatalx("%s: more than %d unwrap requests at once", __func__,
		    KH_WINDOW);
	r = &kh->queue[kh->nqueue];
	if (imsg_get_head_tail(imsg, &r->req, sizeof(r->req), &blob,
	    &r->bloblen, kh->modlen) == -1)
		fatalx("%s: unwrap request of %zu bytes, at most %zu allowed",
		    __func__, imsg->datalen, sizeof(r->req) + kh->modlen);
	if (r->req.role != KH_ROLE_INITIATOR &&
	    r->req.role != KH_ROLE_RESPONDER)
		fatalx("%s: unwrap request with role %u", __func__,
		    (unsigned)r->req.role);
	for (i = 0; i < sizeof(r->req.pad); i++)
		if (r->req.pad[i] != 0)
			fatalx("%s: unwrap request with bad padding", __func__);
	r->peerid = imsg->hdr.peerid;
	if (r->bloblen > 0)
		memcpy(r->blob, blob, r->bloblen);
	kh->nqueue++;
}

static void
kh_dequeue(struct keyholder *kh, size_t i)
{
	memmove(&kh->queue[i], &kh->queue[i + 1],
	    (kh->nqueue - i - 1) * sizeof(kh->queue[0]));
	kh->nqueue--;
}

/* The connection is gone: drop its request if it still waits. */
static void
kh_cancel(struct keyholder *kh, struct imsg *imsg)
{
	uint64_t	id;
	size_t		i;

	if (imsg_get_data(imsg, &id, sizeof(id)) == -1)
		fatalx("%s: bad cancel", __func__);
	for (i = 0; i < kh->nqueue; i++) {
		if (kh->queue[i].req.id != id)
			continue;
		kh_dequeue(kh, i);
		kh->cancelled++;
		if (imsg_compose(&kh->net, IMSG_KH_CANCELLED, 0, 0, -1, &id,
		    sizeof(id)) == -1 || imsgbuf_flush(&kh->net) == -1)
			fatal("%s: reply", __func__);
		return;
	}
	/* Already answered: the answer is on its way, nothing to do. */
}

/* The oldest request: compute u and answer. */
static void
kh_work_one(struct keyholder *kh)
{
	struct kh_request	*r = &kh->queue[0];
	struct kh_unwrap_rep	 rep;
	struct timespec		 t0;
	uint64_t		 us;

	kh_rate_limit(kh);
	memset(&rep, 0, sizeof(rep));
	rep.id = r->req.id;
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	if (kh_unwrap(kh->key, kh->seed, r->req.role, r->req.th1, r->blob,
	    r->bloblen, rep.u) == -1)
		fatalx("%s: unwrap failed internally", __func__);
	us = usec_since(CLOCK_PROCESS_CPUTIME_ID, &t0);
	rep.op_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	kh->unwraps++;
	if (imsg_compose(&kh->net, IMSG_KH_UNWRAP_DONE, r->peerid, 0,
	    -1, &rep, sizeof(rep)) == -1 || imsgbuf_flush(&kh->net) == -1)
		fatal("%s: reply", __func__);
	OPENSSL_cleanse(&rep, sizeof(rep));
	kh_dequeue(kh, 0);
}

static void
kh_dispatch_net(struct keyholder *kh, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_KH_UNWRAP:
		kh_queue_unwrap(kh, imsg);
		break;
	case IMSG_KH_CANCEL:
		kh_cancel(kh, imsg);
		break;
	default:
		fatalx("%s: unexpected %s from the network child", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
kh_dispatch_master(struct keyholder *kh, struct imsg *imsg)
{
	(void)kh;
	switch (imsg->hdr.type) {
#ifdef NC_SANDBOX_TESTS
	case IMSG_TEST_FORBIDDEN:
		log_warnx("test: attempting a forbidden system call");
		(void)mkdir("/forbidden", 0700);
		fatalx("test: the forbidden call was allowed");
#endif
	default:
		fatalx("%s: unexpected %s from the master", __func__,
		    imsg_type_name(imsg->hdr.type));
	}
}

/* Read and handle what one channel has; 0 on EOF. */
static int
kh_service(struct keyholder *kh, struct imsgbuf *ibuf,
    void (*dispatch)(struct keyholder *, struct imsg *))
{
	struct imsg	imsg;
	ssize_t		n;
	int		rv;

	n = imsgbuf_read(ibuf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n == -1)
		fatal("%s: read", __func__);
	if (n == 0)
		return 0;
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		dispatch(kh, &imsg);
		imsg_free(&imsg);
	}
	if (rv == -1)
		fatalx("%s: malformed message", __func__);
	return 1;
}

int
keyholder_run(int master_fd, int net_fd)
{
	struct keyholder	kh;
	struct pollfd		pfd[2];

	memset(&kh, 0, sizeof(kh));
	kh.keyfd = -1;
	kh.settings.unwrap_rate = 0;
	/* Locked memory for the key's private numbers (CBIGNUMs land there). */
	if (CRYPTO_secure_malloc_init(KH_SECURE_HEAP, 32) != 1)
		fatalx("cannot set up locked memory for the private key");
	imsgbuf_init(&kh.master, master_fd);
	imsgbuf_init(&kh.net, net_fd);
	/* Used only when not logging to stderr (see log_init()). */
	proc_forward_logs(&kh.master);

	if (proc_read_until(&kh.master, kh_dispatch_master_conf, &kh) == -1)
		fatalx("configuration failed");
	kh_prepare(&kh);
	if (imsg_compose(&kh.master, IMSG_READY, 0, 0, -1, NULL, 0) == -1 ||
	    imsgbuf_flush(&kh.master) == -1)
		fatal("send READY");

	pfd[0].fd = master_fd;
	pfd[1].fd = net_fd;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		/*
		 * With work queued, only look for news (a cancel) first;
		 * else sleep until something comes.
		 */
		if (poll(pfd, 2, kh.nqueue > 0 ? 0 : -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* EOF from either side: the daemon is going away. */
		if ((pfd[0].revents & (POLLIN | POLLHUP)) &&
		    kh_service(&kh, &kh.master, kh_dispatch_master) == 0)
			break;
		if ((pfd[1].revents & (POLLIN | POLLHUP)) &&
		    kh_service(&kh, &kh.net, kh_dispatch_net) == 0)
			break;
		if (kh.nqueue > 0)
			kh_work_one(&kh);
	}
	log_debug("exiting after %llu unwraps, %llu cancelled",
	    (unsigned long long)kh.unwraps, (unsigned long long)kh.cancelled);
	EVP_PKEY_free(kh.key);
	OPENSSL_secure_clear_free(kh.seed, NC_SHA256_LEN);
	return 0;
}

void
keyholder_main(void)
{
	exit(keyholder_run(PROC_MASTER_FD, PROC_PEER_FD));
}
