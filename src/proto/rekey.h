/*
 * The rekey of an up link (doc/PROTOCOL.md 7.8): a fresh X25519 exchange
 * inside the encrypted channel, mixed into both directions' traffic
 * secrets, so that whoever read a link's keys once loses the link again
 * at the next exchange.
 *
 * struct rekey is the exchange without I/O: records to send go through a
 * callback that seals them with the link's sending state, and the two
 * switches change the link's nc_aead structs in place.  The link decides
 * when to start (rekey_due) and gives up on a peer that does not finish
 * (rekey_expired); link.c has the glue.
 */
#ifndef NC_REKEY_H
#define NC_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "record.h"

enum rekey_state {
	REKEY_IDLE = 0,
	REKEY_SENT,		/* our REKEY is out, waiting for REKEY_ACK */
	REKEY_ANSWERED		/* our REKEY_ACK is out, waiting for DONE */
};

/* Seal one record with the sending state; 0 or -1 (link must close). */
typedef int	(*rekey_send_fn)(void *arg, uint8_t type, const uint8_t *body,
		    size_t len);
/* Draw an X25519 private key; tests and the fuzzer set a fixed one. */
typedef int	(*rekey_rand_fn)(void *arg, uint8_t priv[NC_X25519_LEN]);

struct rekey {
	enum rekey_state state;
	int		 initiator;	/* our role on the link: wins a tie */
	int		 tie_dropped;	/* SENT: the peer's losing REKEY seen */
	struct nc_aead	*send, *recv;	/* the link's, switched in place */
	rekey_send_fn	 sendfn;
	void		*arg;
	rekey_rand_fn	 randfn;	/* NULL: RAND_priv_bytes */
	void		*randarg;
	EVP_PKEY	*key;		/* SENT: our ephemeral key */
	uint8_t		 dh[NC_X25519_LEN];	/* ANSWERED: for the receive
						   switch, then wiped */
	uint64_t	 since_ms;	/* start of the exchange in progress,
					   else end of the last one */
	uint64_t	 bytes_base;	/* link bytes at the end of the last */
	uint64_t	 done;		/* exchanges completed */
};

/*
 * Ready for a link that just came up: now_ms and bytes (the link's total,
 * both directions) start the clocks of rekey_due().
 */
void	rekey_init(struct rekey *, int initiator, struct nc_aead *send,
	    struct nc_aead *recv, rekey_send_fn, void *arg, uint64_t now_ms,
	    uint64_t bytes);
/* Wipe the ephemeral key and dh; idempotent. */
void	rekey_clear(struct rekey *);

/*
 * Start an exchange: a fresh key pair, REKEY(pub) sealed.  Nothing when
 * one is already in progress.  0, or -1: the link must close.
 */
int	rekey_start(struct rekey *, uint64_t now_ms);

/*
 * An opened REKEY, REKEY_ACK or REKEY_DONE.  1: an exchange completed on
 * our side (both our directions are switched), 0: nothing more to do,
 * -1: protocol error (*why says which), the link must close with
 * CLOSE(protocol error).  bytes is the link's total, as for rekey_init.
 */
int	rekey_input(struct rekey *, uint8_t type, const uint8_t *body,
	    size_t len, uint64_t now_ms, uint64_t bytes, const char **why);

/* 1 when idle and interval_ms or max_bytes has passed since the last. */
int	rekey_due(const struct rekey *, uint64_t now_ms, uint64_t bytes,
	    uint64_t interval_ms, uint64_t max_bytes);
/* 1 when an exchange has been in progress for timeout_ms or more. */
int	rekey_expired(const struct rekey *, uint64_t now_ms,
	    uint64_t timeout_ms);
/* Milliseconds until rekey_due or rekey_expired can next turn true. */
uint64_t rekey_wait_ms(const struct rekey *, uint64_t now_ms,
	    uint64_t interval_ms, uint64_t timeout_ms);

#endif
