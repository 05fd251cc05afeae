/*
 * Codecs of the spool's link records (doc/PROTOCOL.md 7.10).  Which
 * statuses each record may carry is decided here, once, so that the
 * link code never acts on a status the protocol does not allow.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "relay.h"
#include "spoolwire.h"

size_t
smsg_encode_head(const struct smsg_view *v, uint8_t *out, size_t outsz)
{
	size_t	off = 0;

	if (outsz < SMSG_HEAD_MAX || v->seq == 0 || v->ttl == 0 ||
	    v->ttl > WIRE_TTL_MAX || v->flags != 0 ||
	    !relay_name_valid(v->from, v->fromlen, 0) ||
	    !relay_name_valid(v->to, v->tolen, 0) ||
	    v->len > WIRE_PAYLOAD_MAX)
		return 0;
	put_u64(out, v->inc);
	put_u64(out + 8, v->seq);
	put_u32(out + 16, v->ttl);
	out[20] = v->flags;
	out[21] = (uint8_t)v->fromlen;
	off = 22;
	memcpy(out + off, v->from, v->fromlen);
	off += v->fromlen;
	out[off++] = (uint8_t)v->tolen;
	memcpy(out + off, v->to, v->tolen);
	return off + v->tolen;
}

int
smsg_parse(const uint8_t *body, size_t len, struct smsg_view *v)
{
	struct reader	r;

	rd_init(&r, body, len);
	v->inc = rd_u64(&r);
	v->seq = rd_u64(&r);
	v->ttl = rd_u32(&r);
	v->flags = rd_u8(&r);
	v->fromlen = rd_u8(&r);
	v->from = (const char *)rd_bytes(&r, v->fromlen);
	v->tolen = rd_u8(&r);
	v->to = (const char *)rd_bytes(&r, v->tolen);
	if (r.err || v->seq == 0 || v->ttl == 0 || v->ttl > WIRE_TTL_MAX ||
	    v->flags != 0 || !relay_name_valid(v->from, v->fromlen, 0) ||
	    !relay_name_valid(v->to, v->tolen, 0) || r.left > WIRE_PAYLOAD_MAX)
		return -1;
	v->payload = r.p;
	v->len = r.left;
	return 0;
}

void
sack_encode(uint8_t out[WIRE_SACK_LEN], const struct sack_view *a)
{
	put_u64(out, a->inc);
	put_u64(out + 8, a->seq);
	out[16] = a->status;
}

void
sfinal_ack_encode(uint8_t out[WIRE_SFINAL_ACK_LEN],
    const struct sack_view *a)
{
	put_u64(out, a->inc);
	put_u64(out + 8, a->seq);
}

/*
 * SACK: taken or full.  SFINAL: what a receiver may end a message with
 * (delivered, refused, expired, or dropped by its administrator).
 */
static int
status_allowed(uint8_t type, uint8_t status)
{
	if (type == REC_SACK)
		return status == ST_OK || status == ST_SPOOL_FULL;
	switch (status) {
	case ST_OK:
	case ST_NO_SUCH_SESSION:
	case ST_REJECTED:
	case ST_EXPIRED:
	case ST_DROPPED:
		return 1;
	default:
		return 0;
	}
}

int
sack_parse(uint8_t type, const uint8_t *body, size_t len,
    struct sack_view *a)
{
	struct reader	r;

	rd_init(&r, body, len);
	a->inc = rd_u64(&r);
	a->seq = rd_u64(&r);
	a->status = type == REC_SFINAL_ACK ? ST_OK : rd_u8(&r);
	if (rd_done(&r) == -1 || a->seq == 0 ||
	    (type != REC_SFINAL_ACK && !status_allowed(type, a->status)))
		return -1;
	return 0;
}
