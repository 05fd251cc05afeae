/*
 * Resumption secrets and proofs: derivation, the per-peer store and the
 * check of a HELLO's proof with its replay memory (see resume.h and
 * doc/PROTOCOL.md 5.13).
 */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "resume.h"

#define LABEL_SECRET	"nc2 resume"
#define LABEL_PROOF	"nc2 resume proof"

int
resume_secret(const uint8_t prk[32], uint8_t rs[RESUME_SECRET_LEN])
{
	return nc_hkdf_expand(prk, LABEL_SECRET, rs, RESUME_SECRET_LEN);
}

int
resume_tag(const uint8_t rs[RESUME_SECRET_LEN],
    const uint8_t nonce[WIRE_RESUME_NONCE], const uint8_t epoch[8],
    const uint8_t x25519[32], uint8_t tag[WIRE_RESUME_TAG])
{
	uint8_t	data[sizeof(LABEL_PROOF) - 1 + WIRE_RESUME_NONCE + 8 + 32];
	uint8_t	mac[32];
	size_t	off = 0;
	int	rv;

	memcpy(data, LABEL_PROOF, sizeof(LABEL_PROOF) - 1);
	off += sizeof(LABEL_PROOF) - 1;
	memcpy(data + off, nonce, WIRE_RESUME_NONCE);
	off += WIRE_RESUME_NONCE;
	memcpy(data + off, epoch, 8);
	off += 8;
	memcpy(data + off, x25519, 32);
	rv = nc_hmac_sha256(rs, RESUME_SECRET_LEN, data, sizeof(data), mac);
	if (rv == 0)
		memcpy(tag, mac, WIRE_RESUME_TAG);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rv;
}

void
resume_store(struct resume_state *st, const uint8_t rs[RESUME_SECRET_LEN])
{
	memcpy(st->secret[1], st->secret[0], RESUME_SECRET_LEN);
	st->have[1] = st->have[0];
	memcpy(st->secret[0], rs, RESUME_SECRET_LEN);
	st->have[0] = 1;
}

const uint8_t *
resume_current(const struct resume_state *st)
{
	return st->have[0] ? st->secret[0] : NULL;
}

static int
nonce_seen(const struct resume_state *st, const uint8_t *nonce)
{
	size_t	i;

	for (i = 0; i < st->nseen; i++)
		if (memcmp(st->seen[i], nonce, WIRE_RESUME_NONCE) == 0)
			return 1;
	return 0;
}

/* A ring: past RESUME_SEEN_MAX the oldest nonce is forgotten. */
static void
nonce_remember(struct resume_state *st, const uint8_t *nonce)
{
	memcpy(st->seen[st->next], nonce, WIRE_RESUME_NONCE);
	st->next = (st->next + 1) % RESUME_SEEN_MAX;
	if (st->nseen < RESUME_SEEN_MAX)
		st->nseen++;
}

int
resume_check(struct resume_state *st, const uint8_t random[32],
    const uint8_t epoch[8], const uint8_t x25519[32])
{
	uint8_t	want[WIRE_RESUME_TAG];
	int	i, match = 0;

	for (i = 0; i < 2; i++) {
		if (!st->have[i] ||
		    resume_tag(st->secret[i], random, epoch, x25519, want) == -1)
			continue;
		if (nc_memcmp_ct(want, random + WIRE_RESUME_NONCE,
		    WIRE_RESUME_TAG) == 0)
			match = 1;
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (!match)
		return 0;
	if (nonce_seen(st, random))
		return -1;
	nonce_remember(st, random);
	return 1;
}

void
resume_clear(struct resume_state *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}
