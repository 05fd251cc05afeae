/*
 * The link records of messages with a lifetime (doc/PROTOCOL.md 7.10):
 * SMSG, SACK, SFINAL and SFINAL_ACK bodies.  Sans-I/O, exact lengths,
 * every name checked: a body that does not parse is a protocol error.
 */
#ifndef NC_SPOOLWIRE_H
#define NC_SPOOLWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* An SMSG as parsed (pointing into its body) or to be encoded. */
struct smsg_view {
	uint64_t	 inc;		/* the sending spool's incarnation */
	uint64_t	 seq;		/* its number for the message */
	uint32_t	 ttl;		/* seconds of lifetime left, >= 1 */
	uint8_t		 flags;		/* 0: none defined */
	const char	*from;
	size_t		 fromlen;
	const char	*to;
	size_t		 tolen;
	const uint8_t	*payload;
	size_t		 len;
};

/* SACK and SFINAL (status set) and SFINAL_ACK (status unused). */
struct sack_view {
	uint64_t	 inc;
	uint64_t	 seq;
	uint8_t		 status;
};

#define SMSG_HEAD_MAX	(WIRE_SMSG_HDRLEN + 2 * WIRE_NAME_MAX)

/*
 * What precedes the payload of an SMSG, into out (at least
 * SMSG_HEAD_MAX bytes): its length, or 0 when v does not hold.
 */
size_t	smsg_encode_head(const struct smsg_view *v, uint8_t *out,
	    size_t outsz);
/* 0, or -1: not an SMSG (lengths, names, ttl, flags, seq 0). */
int	smsg_parse(const uint8_t *body, size_t len, struct smsg_view *v);

/* SACK/SFINAL: 17 bytes; SFINAL_ACK: 16. */
void	sack_encode(uint8_t out[WIRE_SACK_LEN], const struct sack_view *);
void	sfinal_ack_encode(uint8_t out[WIRE_SFINAL_ACK_LEN],
	    const struct sack_view *);
/* type is REC_SACK, REC_SFINAL or REC_SFINAL_ACK.  0, or -1. */
int	sack_parse(uint8_t type, const uint8_t *body, size_t len,
	    struct sack_view *);

#endif
