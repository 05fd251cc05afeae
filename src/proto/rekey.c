/*
 * The rekey exchange of an up link (doc/PROTOCOL.md 7.8), without I/O.
 *
 * The starter A seals REKEY(pub_A).  The answerer B draws its own key,
 * computes dh, seals REKEY_ACK(pub_B) and switches its sending direction
 * right after it.  A, on opening REKEY_ACK, computes dh, switches its
 * receiving direction, seals REKEY_DONE and switches its sending
 * direction; B switches its receiving direction on opening REKEY_DONE.
 * Each switch happens at one record of one ordered stream, on the
 * direction's traffic secret as it is at that record (key updates
 * included), so both ends always agree and no record is lost.
 *
 * Either side may start.  Two REKEYs that cross: the initiator's wins;
 * the responder drops its own exchange and answers, and the initiator
 * drops the responder's REKEY (at most one per exchange of its own).
 */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "record.h"
#include "rekey.h"
#include "wire.h"

void
rekey_init(struct rekey *rk, int initiator, struct nc_aead *send,
    struct nc_aead *recv, rekey_send_fn sendfn, void *arg, uint64_t now_ms,
    uint64_t bytes)
{
	memset(rk, 0, sizeof(*rk));
	rk->initiator = initiator;
	rk->send = send;
	rk->recv = recv;
	rk->sendfn = sendfn;
	rk->arg = arg;
	rk->since_ms = now_ms;
	rk->bytes_base = bytes;
}

void
rekey_clear(struct rekey *rk)
{
	EVP_PKEY_free(rk->key);		/* OpenSSL wipes the private half */
	rk->key = NULL;
	OPENSSL_cleanse(rk->dh, sizeof(rk->dh));
	rk->state = REKEY_IDLE;
}

static int
send_dir(const struct rekey *rk)
{
	return rk->initiator ? NC_DIR_I2R : NC_DIR_R2I;
}

static int
recv_dir(const struct rekey *rk)
{
	return rk->initiator ? NC_DIR_R2I : NC_DIR_I2R;
}

/* A fresh key pair; the raw scalar is wiped at once. */
static EVP_PKEY *
fresh_key(struct rekey *rk, uint8_t pub[NC_X25519_LEN])
{
	uint8_t		 priv[NC_X25519_LEN];
	EVP_PKEY	*key = NULL;
	int		 ok;

	if (rk->randfn != NULL)
		ok = rk->randfn(rk->randarg, priv) == 0;
	else
		ok = RAND_priv_bytes(priv, sizeof(priv)) == 1;
	if (ok)
		key = nc_x25519_key(priv, pub);
	OPENSSL_cleanse(priv, sizeof(priv));
	return key;
}

int
rekey_start(struct rekey *rk, uint64_t now_ms)
{
	uint8_t	pub[NC_X25519_LEN];

	if (rk->state != REKEY_IDLE)
		return 0;
	if ((rk->key = fresh_key(rk, pub)) == NULL)
		return -1;
	if (rk->sendfn(rk->arg, REC_REKEY, pub, sizeof(pub)) == -1) {
		rekey_clear(rk);
		return -1;
	}
	rk->state = REKEY_SENT;
	rk->tie_dropped = 0;
	rk->since_ms = now_ms;
	return 0;
}

/* We are B: answer, and switch our sending direction after REKEY_ACK. */
static int
answer(struct rekey *rk, const uint8_t peerpub[NC_X25519_LEN],
    uint64_t now_ms, const char **why)
{
	EVP_PKEY	*key;
	uint8_t		 pub[NC_X25519_LEN];
	int		 rv;

	if ((key = fresh_key(rk, pub)) == NULL) {
		*why = "rekey: no key";
		return -1;
	}
	rv = nc_x25519_derive(key, peerpub, rk->dh);
	EVP_PKEY_free(key);
	if (rv == -1) {
		*why = "REKEY with a low-order point";
		return -1;
	}
	if (rk->sendfn(rk->arg, REC_REKEY_ACK, pub, sizeof(pub)) == -1 ||
	    nc_aead_rekey(rk->send, rk->dh, send_dir(rk)) == -1) {
		*why = "rekey failed";
		return -1;
	}
	rk->state = REKEY_ANSWERED;
	rk->since_ms = now_ms;
	return 0;
}

static int
on_rekey(struct rekey *rk, const uint8_t *body, size_t len, uint64_t now_ms,
    const char **why)
{
	if (len != NC_X25519_LEN) {
		*why = "bad REKEY";
		return -1;
	}
	switch (rk->state) {
	case REKEY_IDLE:
		return answer(rk, body, now_ms, why);
	case REKEY_SENT:
		/* Crossed REKEYs: the initiator's exchange goes on. */
		if (rk->initiator) {
			if (rk->tie_dropped) {
				*why = "REKEY repeated";
				return -1;
			}
			rk->tie_dropped = 1;
			return 0;
		}
		rekey_clear(rk);
		return answer(rk, body, now_ms, why);
	case REKEY_ANSWERED:
		break;
	}
	*why = "REKEY during a rekey";
	return -1;
}

/* The exchange is over on our side: both directions are switched. */
static int
completed(struct rekey *rk, uint64_t now_ms, uint64_t bytes)
{
	rekey_clear(rk);
	rk->since_ms = now_ms;
	rk->bytes_base = bytes;
	rk->done++;
	return 1;
}

/* We are A: receive switch, REKEY_DONE, send switch. */
static int
on_ack(struct rekey *rk, const uint8_t *body, size_t len, uint64_t now_ms,
    uint64_t bytes, const char **why)
{
	int	rv;

	if (len != NC_X25519_LEN) {
		*why = "bad REKEY_ACK";
		return -1;
	}
	if (rk->state != REKEY_SENT) {
		*why = "unexpected REKEY_ACK";
		return -1;
	}
	rv = nc_x25519_derive(rk->key, body, rk->dh);
	EVP_PKEY_free(rk->key);
	rk->key = NULL;
	if (rv == -1) {
		*why = "REKEY_ACK with a low-order point";
		return -1;
	}
	if (nc_aead_rekey(rk->recv, rk->dh, recv_dir(rk)) == -1 ||
	    rk->sendfn(rk->arg, REC_REKEY_DONE, NULL, 0) == -1 ||
	    nc_aead_rekey(rk->send, rk->dh, send_dir(rk)) == -1) {
		*why = "rekey failed";
		return -1;
	}
	return completed(rk, now_ms, bytes);
}

/* We are B: the receive switch, with the dh kept since REKEY_ACK. */
static int
on_done(struct rekey *rk, size_t len, uint64_t now_ms, uint64_t bytes,
    const char **why)
{
	if (len != 0) {
		*why = "bad REKEY_DONE";
		return -1;
	}
	if (rk->state != REKEY_ANSWERED) {
		*why = "unexpected REKEY_DONE";
		return -1;
	}
	if (nc_aead_rekey(rk->recv, rk->dh, recv_dir(rk)) == -1) {
		*why = "rekey failed";
		return -1;
	}
	return completed(rk, now_ms, bytes);
}

int
rekey_input(struct rekey *rk, uint8_t type, const uint8_t *body, size_t len,
    uint64_t now_ms, uint64_t bytes, const char **why)
{
	int	rv = -1;

	switch (type) {
	case REC_REKEY:
		rv = on_rekey(rk, body, len, now_ms, why);
		break;
	case REC_REKEY_ACK:
		rv = on_ack(rk, body, len, now_ms, bytes, why);
		break;
	case REC_REKEY_DONE:
		rv = on_done(rk, len, now_ms, bytes, why);
		break;
	default:
		*why = "not a rekey record";
		break;
	}
	/* The link closes: nothing of the exchange is kept meanwhile. */
	if (rv == -1)
		rekey_clear(rk);
	return rv;
}

static uint64_t
elapsed_ms(const struct rekey *rk, uint64_t now_ms)
{
	return now_ms > rk->since_ms ? now_ms - rk->since_ms : 0;
}

int
rekey_due(const struct rekey *rk, uint64_t now_ms, uint64_t bytes,
    uint64_t interval_ms, uint64_t max_bytes)
{
	if (rk->state != REKEY_IDLE)
		return 0;
	return elapsed_ms(rk, now_ms) >= interval_ms ||
	    (bytes > rk->bytes_base && bytes - rk->bytes_base >= max_bytes);
}

int
rekey_expired(const struct rekey *rk, uint64_t now_ms, uint64_t timeout_ms)
{
	return rk->state != REKEY_IDLE && elapsed_ms(rk, now_ms) >= timeout_ms;
}

uint64_t
rekey_wait_ms(const struct rekey *rk, uint64_t now_ms, uint64_t interval_ms,
    uint64_t timeout_ms)
{
	uint64_t	span, e = elapsed_ms(rk, now_ms);

	span = rk->state == REKEY_IDLE ? interval_ms : timeout_ms;
	return e >= span ? 0 : span - e;
}
