/*
 * Fuzz target: opening encrypted records and the record bodies of an up
 * link (src/proto/record.c, src/daemon/link.c, src/proto/relay.c).
 *
 * The link is made by link_alloc(), the constructor of link_new(), and
 * read by link_read(), both of link_priv.h, so that the record handlers
 * run exactly as in the daemon: the input goes into the input buffer of
 * a link in state UP and link_read() takes it from there (length
 * check, nc_record_open, then PING (and the announcement), PONG, MSG,
 * MSGS, ACK, NAK, KEYUPDATE, REKEY, REKEY_ACK, REKEY_DONE, CLOSE, and
 * SMSG, SACK, SFINAL, SFINAL_ACK through spoollink.c).  The link is keyed
 * with a known-answer case of link-v1.json (i2r direction), and its peer
 * has three messages on the wire, so that ACKs and NAKs can match.  The
 * link's rekey key is a fixed scalar, so the sealer can follow a rekey
 * the input carries out and the records after it still open.  The spool
 * process is played by spoolfake.c, which answers every ask of the
 * network child between and after the reads.
 *
 * Input: one mode byte, then the records.
 *	mode & 3	the vector case (cipher 1, 2, 3; 3 is case 0)
 *	mode & 4	seal: the rest is u8 type | u16 len | body, repeated,
 *			and each is sealed (in order, following KEYUPDATEs
 *			and the switch after REKEY_ACK or REKEY_DONE)
 *			before the link sees it, so the body parsers behind
 *			the tag check are reached; otherwise the rest is raw
 *			wire bytes (the vector's records open with it)
 *	mode >> 3 & 3	the receive sequence number to start from
 *	mode & 0x20	the link starts a rekey before the input (so that
 *			REKEY_ACK finds it waiting)
 *	mode & 0x40	the peer announced messages with a lifetime before
 *			the input, and the spool's answers are in: SMSGs
 *			seq 1..SPOOLFAKE_ENTRIES of SPOOLFAKE_INC and one
 *			SFINAL are on the wire, so that SACKs, SFINALs and
 *			an SFINAL_ACK of the input can match
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "crypto.h"
#include "fuzz.h"
#include "link_priv.h"
#include "netspool.h"
#include "network.h"
#include "record.h"
#include "rekey.h"
#include "relay.h"
#include "session.h"
#include "spoolfake.h"
#include "util.h"
#include "wire.h"

#define NCASES		3
#define NMSG		3	/* queued and sent before the input */

struct dir_keys {
	uint8_t		key[NC_AEAD_KEYMAX];
	size_t		keylen;
	uint8_t		iv[NC_AEAD_IVLEN];
	uint8_t		ts[NC_TS_LEN];
};

static struct dir_keys	i2r[NCASES], r2i[NCASES];
static struct peer	fpeer;
static int		ready;
/* The link's X25519 scalar for every rekey (any 32 bytes will do). */
static const uint8_t	link_xpriv[NC_X25519_LEN] = { 0x6e, 0x63, 0x31, 7 };

static int
fixed_xpriv(void *arg, uint8_t priv[NC_X25519_LEN])
{
	(void)arg;
	memcpy(priv, link_xpriv, NC_X25519_LEN);
	return 0;
}

static void
load_dir(struct dir_keys *k, const char *dir, int n)
{
	char	name[64];

	(void)snprintf(name, sizeof(name), "nc1 key %s", dir);
	k->keylen = fuzz_vector(name, n, k->key, sizeof(k->key));
	(void)snprintf(name, sizeof(name), "nc1 iv %s", dir);
	(void)fuzz_vector(name, n, k->iv, sizeof(k->iv));
	(void)snprintf(name, sizeof(name), "nc1 upd %s", dir);
	(void)fuzz_vector(name, n, k->ts, sizeof(k->ts));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	i;

	(void)argc;
	(void)argv;
	spoolfake_reserve();
	fuzz_quiet();
	for (i = 0; i < NCASES; i++) {
		load_dir(&i2r[i], "i2r", i);
		load_dir(&r2i[i], "r2i", i);
	}
	if ((netctx->base = event_base_new()) == NULL)
		fuzz_fail("event_base_new");
	TAILQ_INIT(&netctx->peers);
	TAILQ_INIT(&netctx->links);
	(void)snprintf(netctx->ns.name, sizeof(netctx->ns.name), "hostb");
	netctx->ns.keepalive = 15;
	netctx->ns.handshake_timeout = 10;
	netctx->ns.queue_size = 1 << 20;
	netctx->ns.session_queue = 1 << 20;
	netctx->ns.features = WIRE_FEATURES_OURS;	/* MSGS opened too */
	(void)snprintf(fpeer.name, sizeof(fpeer.name), "hosta");
	relay_out_init(&fpeer.out, netctx->ns.queue_size, session_completed,
	    &fpeer);
	relay_in_init(&fpeer.in);
	TAILQ_INSERT_TAIL(&netctx->peers, &fpeer, entry);
	spoollink_peer_init(&fpeer);
	spoolfake_init(netctx->base);
	ready = 1;
	return 0;
}

static void
key(struct nc_aead *a, int op, uint8_t cipher, const struct dir_keys *k)
{
	if (nc_aead_init(a, op, cipher, k->key, k->keylen, k->iv,
	    k->ts) == -1)
		fuzz_fail("nc_aead_init");
}

/* A link in state UP, as link_is_up() leaves it, on one end of sv. */
static struct link *
up_link(int fd, int c)
{
	struct sockaddr_in	 sin;
	struct link		*l;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = link_alloc(fd, 0, &fpeer, (struct sockaddr *)&sin, sizeof(sin));
	l->last_update = l->since;
	key(&l->recv, NC_AEAD_OPEN, (uint8_t)(c + 1), &i2r[c]);
	key(&l->send, NC_AEAD_SEAL, (uint8_t)(c + 1), &r2i[c]);
	l->cipher = (uint8_t)(c + 1);
	l->state = LINK_UP;
	l->was_up = 1;
	link_rekey_up(l);
	l->rk.randfn = fixed_xpriv;
	fpeer.link = l;
	return l;
}

/*
 * The input's side of a rekey: after its REKEY_ACK, or its REKEY_DONE
 * following its REKEY, it switches its sending direction as the link
 * will switch its receiving one (dh from the link's fixed scalar).
 */
static void
follow_rekey(struct nc_aead *a, uint8_t type, const uint8_t *body,
    size_t len, uint8_t peerpub[NC_X25519_LEN], int *have_pub)
{
	const uint8_t	*pub;
	uint8_t		 dh[NC_X25519_LEN];

	if (type == REC_REKEY && len == NC_X25519_LEN) {
		memcpy(peerpub, body, NC_X25519_LEN);
		*have_pub = 1;
		return;
	}
	if (type == REC_REKEY_ACK && len == NC_X25519_LEN)
		pub = body;
	else if (type == REC_REKEY_DONE && len == 0 && *have_pub)
		pub = peerpub;
	else
		return;
	if (nc_x25519(link_xpriv, pub, dh) == 0 &&
	    nc_aead_rekey(a, dh, NC_DIR_I2R) == -1)
		fuzz_fail("nc_aead_rekey");
	OPENSSL_cleanse(dh, sizeof(dh));
}

/* Seal u8 type | u16 len | body records of the input into in. */
static void
seal_input(struct evbuffer *in, int c, uint64_t seq, const uint8_t *p,
    size_t n)
{
	static uint8_t	rec[NC_REC_MAXWIRE];
	struct nc_aead	a;
	struct reader	r;
	const uint8_t	*body;
	uint8_t		 peerpub[NC_X25519_LEN];
	size_t		 len, reclen;
	uint8_t		 type;
	int		 have_pub = 0;

	key(&a, NC_AEAD_SEAL, (uint8_t)(c + 1), &i2r[c]);
	a.seq = seq;
	rd_init(&r, p, n);
	while (r.left >= 3) {
		type = rd_u8(&r);
		len = rd_u16(&r);
		if (len > r.left)
			len = r.left;
		body = rd_bytes(&r, len);
		if (nc_record_seal(&a, type, body, len, rec, sizeof(rec),
		    &reclen) == -1)
			fuzz_fail("nc_record_seal");
		if (evbuffer_add(in, rec, reclen) == -1)
			fuzz_fail("evbuffer_add");
		if (type == REC_KEYUPDATE && len == 0 &&
		    nc_aead_update(&a) == -1)
			fuzz_fail("nc_aead_update");
		follow_rekey(&a, type, body, len, peerpub, &have_pub);
	}
	nc_aead_clear(&a);
}

/* As the first record of the link, an announcement of both bits. */
static void
spool_up_before(struct link *l)
{
	l->peer_features = WIRE_FEAT_MSGS | WIRE_FEAT_SPOOL;
	l->up_records = 1;
	spoollink_up(l);
	spoolfake_run();
}

/* Whether l is still a link (the event loop may have freed it). */
static int
link_alive(const struct link *l)
{
	struct link	*x;

	TAILQ_FOREACH(x, &netctx->links, entry)
		if (x == l)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 payload[] = "hello";
	struct relay_view	 v;
	struct evbuffer		*in;
	struct link		*l;
	uint64_t		 id;
	size_t			 before;
	int			 sv[2], c, i;
	uint8_t			 mode;

	if (!ready)
		(void)LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	mode = data[0];
	c = (mode & 3) % NCASES;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		fuzz_fail("socketpair");
	l = up_link(sv[0], c);
	l->recv.seq = (mode >> 3) & 3;

	/* Messages on the wire, for ACK and NAK to refer to (ids 1..3). */
	relay_out_init(&fpeer.out, netctx->ns.queue_size, session_completed,
	    &fpeer);
	relay_in_init(&fpeer.in);
	memset(&v, 0, sizeof(v));
	v.from = "alice";
	v.fromlen = 5;
	v.to = "bob";
	v.tolen = 3;
	v.payload = payload;
	v.len = sizeof(payload) - 1;
	for (i = 0; i < NMSG; i++)
		if (relay_out_push(&fpeer.out, &v, 0, 0, now_ms(), &id) != ST_OK)
			fuzz_fail("relay_out_push");
	link_kick(l);
	if ((mode & 0x20) && rekey_start(&l->rk, now_ms()) == -1)
		fuzz_fail("rekey_start");
	if (mode & 0x40)
		spool_up_before(l);

	/* As the bufferevent does around its reads. */
	in = bufferevent_get_input(l->bev);
	(void)evbuffer_unfreeze(in, 0);
	if (mode & 4)
		seal_input(in, c, l->recv.seq, data + 1, size - 1);
	else if (size > 1 && evbuffer_add(in, data + 1, size - 1) == -1)
		fuzz_fail("evbuffer_add");
	(void)evbuffer_freeze(in, 0);
	/* Each call takes up to 256 records: on while it makes progress. */
	do {
		before = evbuffer_get_length(in);
		link_read(l);
	} while (l->state == LINK_UP && evbuffer_get_length(in) > 0 &&
	    evbuffer_get_length(in) < before);

	/* The spool's answers to what the records asked, link or not. */
	if (l->state == LINK_UP)
		spoolfake_run();
	if (link_alive(l))
		link_free(l);
	spoolfake_run();
	if (fpeer.sp.at_spool != 0 || fpeer.sp.up)
		fuzz_fail("%u asks left at the spool", fpeer.sp.at_spool);
	(void)close(sv[1]);
	relay_out_clear(&fpeer.out, 0);
	/* Deferred callbacks and frees of the bufferevent. */
	(void)event_base_loop(netctx->base, EVLOOP_NONBLOCK);
	return 0;
}
