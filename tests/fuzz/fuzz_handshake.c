/*
 * Fuzz target: HELLO and KEY parsing, and the handshake state machine
 * behind them (src/proto/hsrecord.c, src/proto/handshake.c).
 *
 * We are the responder of a known-answer case of link-v1.json (its key,
 * random, X25519 key, secret and KEY record), so the vector's initiator
 * records complete the handshake and the mutations start from a real
 * one.  Input: one byte that picks the case, then records as on the
 * wire, each u32 len | rest (cut at the end of the input):
 *
 *	HELLO		hs_recv_hello (hs_parse_hello inside), then
 *			hs_make_key
 *	KEY		hs_recv_key, then hs_unwrapped with the vector's u
 *	FINISHED	hs_recv_finished, then hs_take_aeads
 *	records...	nc_record_open with the keys the handshake made
 *
 * Each record is also given to the pure parsers on its own
 * (hs_parse_hello, hs_parse_key for 2048- and 4096-bit moduli).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "handshake.h"
#include "log.h"
#include "record.h"

#define NCASES	3

struct vcase {
	uint8_t		hello[HS_HELLO_MAX];
	size_t		hellolen;
	struct hs_hello_info info;
	uint8_t		xpriv[NC_X25519_LEN];
	uint8_t		secret[NC_SECRET_LEN];
	uint8_t		key[HS_KEY_MAX];
	size_t		keylen;
	uint8_t		u_i[NC_SHA256_LEN];
};

static uint8_t		spki[NC_SPKI_MAX];
static size_t		spkilen;
static struct vcase	cases[NCASES];
static int		loaded;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vcase	*vc;
	char		 err[256];
	int		 i;

	(void)argc;
	(void)argv;
	fuzz_quiet();
	spkilen = fuzz_vector("spki_r", 0, spki, sizeof(spki));
	for (i = 0; i < NCASES; i++) {
		vc = &cases[i];
		vc->hellolen = fuzz_vector("hello_r_record", i, vc->hello,
		    sizeof(vc->hello));
		if (hs_parse_hello(vc->hello, vc->hellolen, &vc->info, err,
		    sizeof(err)) == -1)
			fuzz_fail("vector case %d: HELLO: %s", i, err);
		(void)fuzz_vector("x25519_private_r", 0, vc->xpriv,
		    sizeof(vc->xpriv));
		(void)fuzz_vector("secret_r", i, vc->secret,
		    sizeof(vc->secret));
		vc->keylen = fuzz_vector("key_r_record", i, vc->key,
		    sizeof(vc->key));
		(void)fuzz_vector("u_i", i, vc->u_i, sizeof(vc->u_i));
	}
	loaded = 1;
	return 0;
}

static struct handshake *
responder(const struct vcase *vc)
{
	struct hs_config	cfg;
	struct hs_fixed		fx;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WIRE_ROLE_RESPONDER;
	cfg.spki = spki;
	cfg.spkilen = spkilen;
	cfg.name = vc->info.name;
	cfg.ciphers = vc->info.ciphers;
	cfg.nciphers = vc->info.nciphers;
	memcpy(cfg.epoch, vc->info.epoch, sizeof(cfg.epoch));
	cfg.version = 1;	/* the vectors are of version 1's HELLO */
	memset(&fx, 0, sizeof(fx));
	memcpy(fx.random, vc->info.random, sizeof(fx.random));
	memcpy(fx.x25519, vc->xpriv, sizeof(fx.x25519));
	memcpy(fx.secret, vc->secret, sizeof(fx.secret));
	fx.keyrec = vc->key;
	fx.keyreclen = vc->keylen;
	return hs_new_fixed(&cfg, &fx);
}

/* The next record: u32 len | len bytes, or what is left of the input. */
static int
next_record(struct reader *r, const uint8_t **rec, size_t *len)
{
	uint32_t	n;

	if (r->left < NC_REC_HDRLEN)
		return 0;
	n = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
	    ((uint32_t)r->p[2] << 8) | r->p[3];
	*len = (size_t)n + NC_REC_HDRLEN <= r->left ? (size_t)n +
	    NC_REC_HDRLEN : r->left;
	*rec = rd_bytes(r, *len);
	return 1;
}

static void
pure_parsers(const uint8_t *rec, size_t len)
{
	struct hs_hello_info	 info;
	const uint8_t		*blob;
	char			 err[256];

	if (hs_parse_hello(rec, len, &info, err, sizeof(err)) == 0 &&
	    (info.spkilen == 0 || info.spkilen > sizeof(info.spki) ||
	    info.nciphers == 0 || info.nciphers > HS_NCIPHER_MAX))
		fuzz_fail("hs_parse_hello accepted a bad HELLO");
	if (hs_parse_key(rec, len, 256, &blob, err, sizeof(err)) == 0 &&
	    (len != 5 + 256 || blob != rec + 5))
		fuzz_fail("hs_parse_key accepted a bad KEY");
	(void)hs_parse_key(rec, len, 512, &blob, err, sizeof(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 body[NC_REC_MAXBODY];
	struct reader		 r;
	struct handshake	*hs;
	struct hs_hello_info	 info;
	struct kh_unwrap_req	 req;
	struct nc_aead		 send, recv;
	const struct vcase	*vc;
	const uint8_t		*rec, *key, *blob, *fin;
	size_t			 len, keylen, bloblen, finlen, bodylen;
	char			 err[256] = "input ended";
	uint8_t			 type;

	if (!loaded)
		(void)LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	vc = &cases[data[0] % NCASES];
	rd_init(&r, data + 1, size - 1);
	if ((hs = responder(vc)) == NULL)
		fuzz_fail("hs_new_fixed failed on a vector");
	memset(&send, 0, sizeof(send));
	memset(&recv, 0, sizeof(recv));

	if (!next_record(&r, &rec, &len))
		goto out;
	pure_parsers(rec, len);
	if (hs_recv_hello(hs, rec, len, &info, err, sizeof(err)) == -1 ||
	    hs_make_key(hs, &key, &keylen, err, sizeof(err)) == -1)
		goto out;
	if (!next_record(&r, &rec, &len))
		goto out;
	pure_parsers(rec, len);
	if (hs_recv_key(hs, rec, len, &req, &blob, &bloblen, err,
	    sizeof(err)) == -1)
		goto out;
	if (bloblen != 256 || blob == NULL)
		fuzz_fail("hs_recv_key: blob of %zu bytes", bloblen);
	if (hs_unwrapped(hs, vc->u_i, &fin, &finlen, err, sizeof(err)) == -1)
		goto out;
	if (!next_record(&r, &rec, &len))
		goto out;
	if (hs_recv_finished(hs, rec, len, err, sizeof(err)) == -1)
		goto out;
	if (hs_take_aeads(hs, &send, &recv) == -1)
		fuzz_fail("hs_take_aeads failed after FINISHED");
	while (next_record(&r, &rec, &len))
		if (nc_record_open(&recv, rec, len, &type, body, sizeof(body),
		    &bodylen) == -1)
			break;
out:
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "handshake: %s\n", send.ctx != NULL ?
		    "up" : err);
	nc_aead_clear(&send);
	nc_aead_clear(&recv);
	hs_free(hs);
	return 0;
}
