/*
 * Fuzz target: the imsg reader (src/daemon/imsg.c) and the typed payload checks
 * of the channels' dispatch functions.
 *
 * The dispatch functions themselves (netcryptd.c master_dispatch_*,
 * keyholder.c kh_dispatch_*, network.c and netreload.c net_dispatch_*)
 * are not called: each belongs to a running, sandboxed process and ends
 * it with fatalx() on the first message it does not accept, by design.  What they do with
 * a message before acting on it is what runs here: imsg_get() framing
 * (lengths, flags, fd matching) over a real socket with descriptors
 * passed as SCM_RIGHTS, the getters (imsg_get_data() with the size of
 * each message type's struct, imsg_get_empty(), imsg_get_blob() and
 * imsg_get_head_tail() as KH_PUBKEY and KH_UNWRAP use them),
 * imsg_take_fd(), imsg_type_name() on any type, the SPKI parser, and
 * the session policy decoder (CONF_POLICY: what it accepts must encode
 * and decode again).  Every message taken out is composed again and
 * must come back byte for byte.
 *
 * Input: chunks of u8 flags | u16 len | bytes; each is one sendmsg(),
 * with a descriptor (of /dev/null) when flags & 1.  After each, one
 * imsgbuf_read() and every whole message is taken out.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fuzz.h"
#include "imsg.h"
#include "ipc.h"
#include "policy.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* The struct a type carries on its channel; -1: variable, -2: none. */
static long
type_size(uint32_t type)
{
	switch (type) {
	case IMSG_CONF_PRIVSEP:
		return sizeof(struct privsep_conf);
	case IMSG_KH_SETTINGS:
		return sizeof(struct kh_settings);
	case IMSG_KH_UNWRAP_DONE:
		return sizeof(struct kh_unwrap_rep);
	case IMSG_CONF_NET:
		return sizeof(struct net_settings);
	case IMSG_CONF_PEER:
		return sizeof(struct peer_msg);
	case IMSG_CONF_CONNECT:
		return sizeof(struct connect_msg);
	case IMSG_NET_RESOLVE:
		return sizeof(struct resolve_req);
	case IMSG_NET_RESOLVED:
		return sizeof(struct resolve_rep);
	case IMSG_LOG:
		return sizeof(struct log_msg);
	case IMSG_SECCOMP_TRAP:
		return sizeof(int32_t);
	case IMSG_KH_PUBKEY:
	case IMSG_KH_UNWRAP:
	case IMSG_CONF_POLICY:
		return -1;
	default:
		return 0;
	}
}

/* A policy that decodes encodes to bytes that decode again. */
static void
check_policy(const uint8_t *p, size_t len)
{
	struct policy	*pol, *again;
	uint8_t		*enc;
	size_t		 elen;

	if ((pol = policy_decode(p, len)) == NULL)
		return;
	if ((enc = policy_encode(pol, &elen)) == NULL ||
	    (again = policy_decode(enc, elen)) == NULL)
		fuzz_fail("policy: a decoded policy does not round-trip");
	policy_free(again);
	free(enc);
	policy_free(pol);
}

/* The head-and-tail getter, as the key-holder reads KH_UNWRAP. */
static void
check_unwrap(const struct imsg *imsg)
{
	struct kh_unwrap_req	 req;
	const unsigned char	*blob;
	size_t			 bloblen;
	int			 ok;

	ok = imsg_get_head_tail(imsg, &req, sizeof(req), &blob, &bloblen,
	    KH_BLOB_MAX) == 0;
	if (ok != (imsg->datalen >= sizeof(req) &&
	    imsg->datalen - sizeof(req) <= KH_BLOB_MAX))
		fuzz_fail("imsg_get_head_tail: %zu bytes", imsg->datalen);
	if (ok && (bloblen != imsg->datalen - sizeof(req) ||
	    memcmp(&req, imsg->data, sizeof(req)) != 0 ||
	    (bloblen > 0 && blob != imsg->data + sizeof(req))))
		fuzz_fail("imsg_get_head_tail: wrong head or tail");
}

static void
check_payload(struct imsg *imsg)
{
	static uint8_t		 out[IMSG_MAX_PAYLOAD];
	const unsigned char	*spki;
	size_t			 spkilen;
	EVP_PKEY		*pk;
	long			 want = type_size(imsg->hdr.type);
	int			 ok, fd;

	if (imsg_type_name(imsg->hdr.type) == NULL)
		fuzz_fail("imsg_type_name(%u) is NULL", imsg->hdr.type);
	if (want >= 0) {
		ok = imsg_get_data(imsg, want > 0 ? out : NULL, (size_t)want);
		if ((ok == 0) != (imsg->datalen == (size_t)want))
			fuzz_fail("imsg_get_data: %zu bytes for %ld",
			    imsg->datalen, want);
		if (ok == 0 && want > 0 && memcmp(out, imsg->data, want) != 0)
			fuzz_fail("imsg_get_data: wrong bytes");
		if ((imsg_get_empty(imsg) == 0) != (imsg->datalen == 0))
			fuzz_fail("imsg_get_empty: %zu bytes", imsg->datalen);
	} else if (imsg->hdr.type == IMSG_CONF_POLICY) {
		check_policy(imsg->data, imsg->datalen);
	} else if (imsg->hdr.type == IMSG_KH_PUBKEY) {
		if (imsg_get_blob(imsg, &spki, &spkilen, NC_SPKI_MAX) == 0 &&
		    (pk = nc_pkey_from_spki(spki, spkilen)) != NULL)
			EVP_PKEY_free(pk);
	} else
		check_unwrap(imsg);
	/* Descriptor messages: take it, or leave it to imsg_free(). */
	if ((imsg->hdr.flags & IMSGF_HASFD) != (imsg->fd != -1 ?
	    IMSGF_HASFD : 0))
		fuzz_fail("imsg: fd %d with flags %#x", imsg->fd,
		    imsg->hdr.flags);
	if (imsg->hdr.type & 1 && (fd = imsg_take_fd(imsg)) != -1)
		(void)close(fd);
}

/* Compose the message again and read it back: the same bytes. */
static void
roundtrip(const struct imsg *imsg, int sv[2])
{
	struct imsgbuf	 w, r;
	struct imsg	 back;

	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	if (imsg_compose(&w, imsg->hdr.type, imsg->hdr.peerid,
	    (pid_t)imsg->hdr.pid, -1, imsg->data, imsg->datalen) == -1)
		fuzz_fail("imsg_compose: %s", strerror(errno));
	if (imsgbuf_flush(&w) == -1 || imsgbuf_read(&r) <= 0 ||
	    imsg_get(&r, &back) != 1)
		fuzz_fail("imsg round trip");
	if (back.hdr.type != imsg->hdr.type ||
	    back.hdr.peerid != imsg->hdr.peerid ||
	    back.datalen != imsg->datalen || (back.datalen > 0 &&
	    memcmp(back.data, imsg->data, back.datalen) != 0))
		fuzz_fail("imsg round trip: different message");
	imsg_free(&back);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

static int
send_chunk(int fd, const uint8_t *p, size_t len, int withfd)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	int		 dn = -1;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (withfd && (dn = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &dn, sizeof(int));
	}
	n = sendmsg(fd, &msg, 0);
	if (dn != -1)
		(void)close(dn);
	return n == (ssize_t)len ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imsgbuf	 ib;	/* 64 KiB: not on the stack */
	struct imsg		 imsg;
	struct reader		 r;
	const uint8_t		*p;
	size_t			 len;
	int			 sv[2], rt[2], flags, rv = 0, msgs = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, rt) == -1)
		fuzz_fail("socketpair");
	imsgbuf_init(&ib, sv[0]);
	rd_init(&r, data, size);
	while (rv != -1 && r.left >= 3) {
		flags = rd_u8(&r);
		len = rd_u16(&r);
		if (len > r.left)
			len = r.left;
		p = rd_bytes(&r, len);
		/* An empty sendmsg() would read as end of stream. */
		if (len == 0 || send_chunk(sv[1], p, len, flags & 1) == -1)
			continue;
		if (imsgbuf_read(&ib) <= 0)
			break;
		while (msgs < 64 && (rv = imsg_get(&ib, &imsg)) == 1) {
			msgs++;
			if (imsg.datalen > IMSG_MAX_PAYLOAD ||
			    (imsg.datalen > 0) != (imsg.data != NULL))
				fuzz_fail("imsg_get: %zu bytes", imsg.datalen);
			check_payload(&imsg);
			roundtrip(&imsg, rt);
			imsg_free(&imsg);
		}
		if (rv == -1 && errno != EBADMSG)
			fuzz_fail("imsg_get: %s", strerror(errno));
	}
	imsgbuf_clear(&ib);
	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)close(rt[0]);
	(void)close(rt[1]);
	return 0;
}
