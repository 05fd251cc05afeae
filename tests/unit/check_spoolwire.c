/*
 * Unit tests for the codec of the records of messages with a lifetime
 * (src/proto/spoolwire.c, doc/PROTOCOL.md 7.10): the known answers of
 * tests/vectors/spool-v2.json rebuilt with the codec and sealed with the
 * daemon's record code, byte for byte; round trips; and every refusal of
 * smsg_parse(), sack_parse() and smsg_encode_head().
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "record.h"
#include "spoolwire.h"
#include "unitrun.h"
#include "vectors.h"
#include "wire.h"

#define VEC_SPOOL_V2	TEST_SRCDIR "/tests/vectors/spool-v2.json"
#define SMSG_BODY_MAX	(SMSG_HEAD_MAX + WIRE_PAYLOAD_MAX)
/* Room for the small SMSGs of the refusal tests. */
#define SMALL		(SMSG_HEAD_MAX + 8)

/* A valid SMSG to start every case from. */
static void
good_smsg(struct smsg_view *v, const uint8_t *payload, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->inc = 0x1122334455667788ULL;
	v->seq = 7;
	v->ttl = 3600;
	v->from = "alice";
	v->fromlen = 5;
	v->to = "bob";
	v->tolen = 3;
	v->payload = payload;
	v->len = len;
}

/* The whole body as the link sends it: the head, then the payload. */
static size_t
smsg_body(const struct smsg_view *v, uint8_t *out, size_t outsz)
{
	size_t	n;

	ck_assert_uint_ge(outsz, SMSG_HEAD_MAX);
	n = smsg_encode_head(v, out, outsz);
	ck_assert_uint_ne(n, 0);
	ck_assert_uint_le(n + v->len, outsz);
	if (v->len > 0)
		memcpy(out + n, v->payload, v->len);
	return n + v->len;
}

static void
same_smsg(const struct smsg_view *a, const struct smsg_view *b)
{
	ck_assert_uint_eq(a->inc, b->inc);
	ck_assert_uint_eq(a->seq, b->seq);
	ck_assert_uint_eq(a->ttl, b->ttl);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_uint_eq(a->fromlen, b->fromlen);
	ck_assert_mem_eq(a->from, b->from, a->fromlen);
	ck_assert_uint_eq(a->tolen, b->tolen);
	ck_assert_mem_eq(a->to, b->to, a->tolen);
	ck_assert_uint_eq(a->len, b->len);
	if (a->len > 0)
		ck_assert_mem_eq(a->payload, b->payload, a->len);
}

/* ---- known answers: spool-v2.json ---------------------------------- */

struct kat_msg {
	struct smsg_view	v;
	uint8_t			payload[1024];
};

static uint64_t
vec_u64(struct vec *obj, const char *key)
{
	uint8_t	b[8];

	vec_hex(obj, key, b, sizeof(b), NULL);
	return get_u64(b);
}

static void
kat_message(struct vec *m, struct kat_msg *k)
{
	memset(k, 0, sizeof(*k));
	k->v.inc = vec_u64(m, "inc");
	k->v.seq = vec_u64(m, "seq");
	k->v.ttl = (uint32_t)vec_int(m, "ttl");
	k->v.flags = (uint8_t)vec_int(m, "flags");
	k->v.from = vec_str(m, "from");
	k->v.fromlen = strlen(k->v.from);
	k->v.to = vec_str(m, "to");
	k->v.tolen = strlen(k->v.to);
	vec_hex(m, "payload", k->payload, sizeof(k->payload), &k->v.len);
	k->v.payload = k->payload;
}

/* One direction of a case keyed as link-v1.json leaves it, at seq 1. */
static void
kat_keys(struct vec *c, struct vec *v1, const char *dir,
    struct nc_aead *seal, struct nc_aead *open)
{
	struct vec	*base = vec_index(vec_get(v1, "cases"),
			    (size_t)vec_int(c, "from_case"));
	struct vec	*e = vec_get(base, "expanded");
	uint8_t		 key[32], iv[NC_AEAD_IVLEN], ts[NC_TS_LEN];
	uint8_t		 cipher = (uint8_t)vec_int(c, "cipher");
	size_t		 keylen = nc_cipher_keylen(cipher);
	char		 name[32];

	ck_assert_int_eq(cipher, vec_int(base, "cipher"));
	(void)snprintf(name, sizeof(name), "nc1 key %s", dir);
	vec_hex(e, name, key, keylen, NULL);
	(void)snprintf(name, sizeof(name), "nc1 iv %s", dir);
	vec_hex(e, name, iv, sizeof(iv), NULL);
	memset(ts, 0, sizeof(ts));	/* no key update here */
	ck_assert_int_eq(nc_aead_init(seal, NC_AEAD_SEAL, cipher, key,
	    keylen, iv, ts), 0);
	ck_assert_int_eq(nc_aead_init(open, NC_AEAD_OPEN, cipher, key,
	    keylen, iv, ts), 0);
	seal->seq = open->seq = 1;	/* FINISHED took 0 */
	OPENSSL_cleanse(key, sizeof(key));
}

static const char *
type_name(uint8_t type)
{
	switch (type) {
	case REC_PING:
		return "PING";
	case REC_SMSG:
		return "SMSG";
	case REC_SACK:
		return "SACK";
	case REC_SFINAL:
		return "SFINAL";
	case REC_SFINAL_ACK:
		return "SFINAL_ACK";
	default:
		ck_abort_msg("record type %u in spool-v2.json", type);
		return NULL;
	}
}

/*
 * The body of record r as the daemon builds it, sealed as the link
 * does (an SMSG in two parts, as link_send2() gives them): its length.
 */
static size_t
kat_seal(struct vec *r, const struct kat_msg *k, struct nc_aead *seal,
    uint8_t *body, uint8_t *rec, size_t recsz, size_t *reclen)
{
	struct sack_view	a = { k->v.inc, k->v.seq, 0 };
	uint8_t			type = (uint8_t)vec_int(r, "type");
	size_t			n;

	switch (type) {
	case REC_PING:
		memcpy(body, WIRE_FEATURES_MAGIC, 4);
		/* bits 0 and 1, as link_announce() sends them today */
		put_u32(body + 4, WIRE_FEAT_MSGS | WIRE_FEAT_SPOOL);
		n = 8;
		break;
	case REC_SMSG:
		n = smsg_encode_head(&k->v, body, SMSG_HEAD_MAX);
		ck_assert_uint_ne(n, 0);
		ck_assert_int_eq(nc_record_seal2(seal, type, body, n,
		    k->v.payload, k->v.len, rec, recsz, reclen), 0);
		memcpy(body + n, k->v.payload, k->v.len);
		return n + k->v.len;
	case REC_SACK:
	case REC_SFINAL:
		a.status = (uint8_t)vec_int(r, "status");
		sack_encode(body, &a);
		n = WIRE_SACK_LEN;
		break;
	case REC_SFINAL_ACK:
		sfinal_ack_encode(body, &a);
		n = WIRE_SFINAL_ACK_LEN;
		break;
	default:
		ck_abort_msg("record type %u", type);
		return 0;
	}
	ck_assert_int_eq(nc_record_seal(seal, type, body, n, rec, recsz,
	    reclen), 0);
	return n;
}

/* What the receiver reads back must be the message and the status. */
static void
kat_parse(struct vec *r, const struct kat_msg *k, uint8_t type,
    const uint8_t *body, size_t len)
{
	struct smsg_view	v;
	struct sack_view	a;

	if (type == REC_PING) {
		ck_assert_uint_eq(len, 8);
		ck_assert_mem_eq(body, WIRE_FEATURES_MAGIC, 4);
		ck_assert_uint_eq(get_u32(body + 4) & WIRE_FEAT_SPOOL,
		    WIRE_FEAT_SPOOL);
		return;
	}
	if (type == REC_SMSG) {
		ck_assert_int_eq(smsg_parse(body, len, &v), 0);
		same_smsg(&v, &k->v);
		return;
	}
	ck_assert_int_eq(sack_parse(type, body, len, &a), 0);
	ck_assert_uint_eq(a.inc, k->v.inc);
	ck_assert_uint_eq(a.seq, k->v.seq);
	if (type != REC_SFINAL_ACK)
		ck_assert_uint_eq(a.status, vec_int(r, "status"));
}

static void
kat_direction(struct vec *c, struct vec *v1, const char *dir,
    const struct kat_msg *k)
{
	static uint8_t	 body[SMSG_BODY_MAX], rec[NC_REC_MAXWIRE],
			 opened[NC_REC_MAXBODY];
	struct vec	*recs = vec_get(c, dir), *r;
	struct nc_aead	 seal, open;
	size_t		 i, n, reclen, olen;
	uint8_t		 type, otype;

	kat_keys(c, v1, dir, &seal, &open);
	ck_assert_uint_gt(vec_len(recs), 0);
	for (i = 0; i < vec_len(recs); i++) {
		r = vec_index(recs, i);
		type = (uint8_t)vec_int(r, "type");
		ck_assert_str_eq(vec_str(r, "name"), type_name(type));
		ck_assert_uint_eq((uint64_t)vec_int(r, "seq"), seal.seq);
		n = kat_seal(r, k, &seal, body, rec, sizeof(rec), &reclen);
		vec_expect_hex(r, "body", body, n);
		vec_expect_hex(r, "record", rec, reclen);
		ck_assert_int_eq(nc_record_open(&open, rec, reclen, &otype,
		    opened, sizeof(opened), &olen), 0);
		ck_assert_uint_eq(otype, type);
		ck_assert_uint_eq(olen, n);
		ck_assert_mem_eq(opened, body, n);
		kat_parse(r, k, otype, opened, olen);
	}
	nc_aead_clear(&seal);
	nc_aead_clear(&open);
}

START_TEST(test_spool_vectors)
{
	struct vec	*root = vec_load(VEC_SPOOL_V2);
	struct vec	*v1 = vec_load(VEC_LINK_V1);
	struct vec	*cases = vec_get(root, "cases"), *c;
	struct kat_msg	 k;
	size_t		 i;

	vec_touch(vec_get(root, "about"));
	ck_assert_uint_eq(vec_len(cases), 3);
	for (i = 0; i < vec_len(cases); i++) {
		c = vec_index(cases, i);
		kat_message(vec_get(c, "message"), &k);
		kat_direction(c, v1, "i2r", &k);
		kat_direction(c, v1, "r2i", &k);
	}
	ck_assert_uint_eq(vec_unread(root, 1), 0);
	vec_free(root);
	vec_free(v1);
}
END_TEST

/* ---- round trips ---------------------------------------------------- */

START_TEST(test_smsg_round_trip)
{
	static uint8_t		 payload[WIRE_PAYLOAD_MAX], body[SMSG_BODY_MAX];
	static const size_t	 lens[] = { 0, 1, 2047, WIRE_PAYLOAD_MAX };
	char			 name[WIRE_NAME_MAX];
	struct smsg_view	 v, got;
	size_t			 i, n;

	memset(name, 'n', sizeof(name));
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		good_smsg(&v, payload, lens[i]);
		v.inc = i == 0 ? 0 : UINT64_MAX - i;
		v.seq = i == 3 ? UINT64_MAX : i + 1;
		v.ttl = i == 2 ? WIRE_TTL_MAX : (uint32_t)(i + 1);
		if (i >= 2) {	/* the longest names */
			v.from = v.to = name;
			v.fromlen = v.tolen = sizeof(name);
		}
		n = smsg_body(&v, body, sizeof(body));
		ck_assert_uint_eq(n, WIRE_SMSG_HDRLEN + v.fromlen + v.tolen +
		    v.len);
		ck_assert_int_eq(smsg_parse(body, n, &got), 0);
		same_smsg(&got, &v);
		ck_assert_ptr_eq(got.payload, body + n - v.len);
	}
}
END_TEST

START_TEST(test_sack_round_trip)
{
	static const uint8_t	 types[] = { REC_SACK, REC_SFINAL };
	struct sack_view	 a = { UINT64_MAX, 1, ST_OK }, got;
	uint8_t			 body[WIRE_SACK_LEN + 1];
	size_t			 i;

	ck_assert_uint_eq(WIRE_SACK_LEN, WIRE_SFINAL_LEN);
	for (i = 0; i < sizeof(types); i++) {
		a.status = types[i] == REC_SACK ? ST_SPOOL_FULL : ST_EXPIRED;
		memset(body, 0xee, sizeof(body));
		sack_encode(body, &a);
		ck_assert_uint_eq(body[WIRE_SACK_LEN], 0xee);	/* 17 bytes */
		ck_assert_int_eq(sack_parse(types[i], body, WIRE_SACK_LEN,
		    &got), 0);
		ck_assert_uint_eq(got.inc, a.inc);
		ck_assert_uint_eq(got.seq, a.seq);
		ck_assert_uint_eq(got.status, a.status);
	}
	a.inc = 0;
	a.seq = UINT64_MAX;
	memset(body, 0xee, sizeof(body));
	sfinal_ack_encode(body, &a);
	ck_assert_uint_eq(body[WIRE_SFINAL_ACK_LEN], 0xee);	/* 16 bytes */
	ck_assert_int_eq(sack_parse(REC_SFINAL_ACK, body, WIRE_SFINAL_ACK_LEN,
	    &got), 0);
	ck_assert_uint_eq(got.inc, 0);
	ck_assert_uint_eq(got.seq, UINT64_MAX);
}
END_TEST

/* ---- smsg_parse refusals -------------------------------------------- */

/* body: a good SMSG "alice" -> "bob" with a 4-byte payload. */
static size_t
good_body(uint8_t *body, size_t bodysz)
{
	static const uint8_t	payload[] = { 0, 'h', 'i', '!' };
	struct smsg_view	v;

	good_smsg(&v, payload, sizeof(payload));
	return smsg_body(&v, body, bodysz);
}

#define OFF_SEQ		8
#define OFF_TTL		16
#define OFF_FLAGS	20
#define OFF_FROMLEN	21
#define OFF_TOLEN	(22 + 5)	/* after "alice" */

static int
parses(const uint8_t *body, size_t len)
{
	struct smsg_view	v;

	return smsg_parse(body, len, &v) == 0;
}

/* A body cut before the end of to is refused; the payload may end anywhere. */
START_TEST(test_smsg_short)
{
	uint8_t	body[SMALL];
	size_t	n = good_body(body, sizeof(body)), head = n - 4, i;

	ck_assert(parses(body, n));
	for (i = 0; i < head; i++)
		ck_assert_msg(!parses(body, i), "cut at %zu", i);
	for (i = head; i <= n; i++)
		ck_assert_msg(parses(body, i), "cut at %zu", i);
}
END_TEST

/*
 * Each name length one long (the next byte joins the name: refused), 0,
 * over the limit, past the end; and one short, which for from makes to's
 * length a letter (refused) and for to gives another valid SMSG whose
 * payload starts with to's last byte: the parse follows the lengths.
 */
START_TEST(test_smsg_name_lengths)
{
	static const size_t	 at[] = { OFF_FROMLEN, OFF_TOLEN };
	uint8_t			 body[SMALL], b[SMALL];
	size_t			 n = good_body(body, sizeof(body)), i;
	struct smsg_view	 v;

	for (i = 0; i < 2; i++) {
		memcpy(b, body, n);
		b[at[i]]++;
		ck_assert_msg(!parses(b, n), "one long at %zu", at[i]);
		b[at[i]] = 0;
		ck_assert(!parses(b, n));
		b[at[i]] = WIRE_NAME_MAX + 1;
		ck_assert(!parses(b, n));
		b[at[i]] = 0xff;
		ck_assert(!parses(b, n));
	}
	memcpy(b, body, n);
	b[OFF_FROMLEN]--;
	ck_assert(!parses(b, n));
	memcpy(b, body, n);
	b[OFF_TOLEN]--;
	ck_assert_int_eq(smsg_parse(b, n, &v), 0);
	ck_assert_uint_eq(v.tolen, 2);
	ck_assert_uint_eq(v.len, 5);
	ck_assert_uint_eq(v.payload[0], 'b');
	/* to's length past the end of the body. */
	memcpy(b, body, n);
	b[OFF_TOLEN] = (uint8_t)(n - OFF_TOLEN);
	ck_assert(!parses(b, n));
}
END_TEST

START_TEST(test_smsg_seq_ttl_flags)
{
	uint8_t	body[SMALL], b[SMALL];
	size_t	n = good_body(body, sizeof(body)), bit;

	memcpy(b, body, n);
	put_u64(b + OFF_SEQ, 0);
	ck_assert(!parses(b, n));
	put_u64(b + OFF_SEQ, 1);
	ck_assert(parses(b, n));
	put_u64(b + OFF_SEQ, UINT64_MAX);
	ck_assert(parses(b, n));

	memcpy(b, body, n);
	put_u32(b + OFF_TTL, 0);
	ck_assert(!parses(b, n));
	put_u32(b + OFF_TTL, 1);
	ck_assert(parses(b, n));
	put_u32(b + OFF_TTL, WIRE_TTL_MAX);
	ck_assert(parses(b, n));
	put_u32(b + OFF_TTL, WIRE_TTL_MAX + 1);
	ck_assert(!parses(b, n));
	put_u32(b + OFF_TTL, UINT32_MAX);
	ck_assert(!parses(b, n));

	memcpy(b, body, n);
	for (bit = 0; bit < 8; bit++) {
		b[OFF_FLAGS] = (uint8_t)(1u << bit);
		ck_assert_msg(!parses(b, n), "flags %02x", b[OFF_FLAGS]);
	}
	b[OFF_FLAGS] = 0xff;
	ck_assert(!parses(b, n));
}
END_TEST

static int
name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Every byte value in each name: only [A-Za-z0-9._-] passes. */
START_TEST(test_smsg_name_chars)
{
	static const size_t	 at[] = { OFF_FROMLEN + 1, OFF_FROMLEN + 3,
				    OFF_FROMLEN + 5, OFF_TOLEN + 1,
				    OFF_TOLEN + 3 };
	uint8_t			 body[SMALL], b[SMALL];
	size_t			 n = good_body(body, sizeof(body)), i;
	int			 c;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (c = 0; c < 256; c++) {
			memcpy(b, body, n);
			b[at[i]] = (uint8_t)c;
			ck_assert_msg(parses(b, n) == name_char(c),
			    "byte %02x at %zu", c, at[i]);
		}
}
END_TEST

/* "*" is never a name here: not as to (one destination), nor as from. */
START_TEST(test_smsg_star)
{
	struct smsg_view	v;
	uint8_t			body[SMALL];
	size_t			n;

	good_smsg(&v, NULL, 0);
	n = smsg_body(&v, body, sizeof(body));
	body[OFF_TOLEN] = 1;
	body[OFF_TOLEN + 1] = '*';
	ck_assert(!parses(body, OFF_TOLEN + 2));
	body[OFF_TOLEN + 1] = 'b';
	ck_assert(parses(body, OFF_TOLEN + 2));
	n = smsg_body(&v, body, sizeof(body));
	body[OFF_FROMLEN] = 1;
	body[OFF_FROMLEN + 1] = '*';
	memmove(body + OFF_FROMLEN + 2, body + OFF_TOLEN, n - OFF_TOLEN);
	ck_assert(!parses(body, n - 4));
	body[OFF_FROMLEN + 1] = 'a';
	ck_assert(parses(body, n - 4));
}
END_TEST

START_TEST(test_smsg_payload_max)
{
	static uint8_t		body[SMSG_BODY_MAX + 1];
	struct smsg_view	v;
	size_t			n;

	good_smsg(&v, NULL, 0);
	n = smsg_body(&v, body, sizeof(body));
	ck_assert(parses(body, n + WIRE_PAYLOAD_MAX));
	ck_assert(!parses(body, n + WIRE_PAYLOAD_MAX + 1));
	/* The longest SMSG body there is. */
	ck_assert_uint_le(n + WIRE_PAYLOAD_MAX, SMSG_BODY_MAX);
	ck_assert_uint_le(SMSG_BODY_MAX, NC_REC_MAXBODY);
}
END_TEST

/* ---- sack_parse refusals -------------------------------------------- */

static int
sack_ok(uint8_t type, const uint8_t *body, size_t len)
{
	struct sack_view	a;

	return sack_parse(type, body, len, &a) == 0;
}

START_TEST(test_sack_lengths)
{
	static const uint8_t	 types[] = { REC_SACK, REC_SFINAL,
				    REC_SFINAL_ACK };
	struct sack_view	 a = { 9, 9, ST_OK };
	uint8_t			 body[WIRE_SACK_LEN + 1];
	size_t			 i, want, len;

	memset(body, 0, sizeof(body));
	sack_encode(body, &a);	/* status 0 fits all three */
	for (i = 0; i < sizeof(types); i++) {
		want = types[i] == REC_SFINAL_ACK ? WIRE_SFINAL_ACK_LEN :
		    WIRE_SACK_LEN;
		for (len = 0; len <= sizeof(body); len++)
			ck_assert_msg(sack_ok(types[i], body, len) ==
			    (len == want), "type %u len %zu", types[i], len);
	}
}
END_TEST

START_TEST(test_sack_seq0)
{
	static const uint8_t	 types[] = { REC_SACK, REC_SFINAL,
				    REC_SFINAL_ACK };
	struct sack_view	 a = { 5, 0, ST_OK };
	uint8_t			 body[WIRE_SACK_LEN];
	size_t			 i, len;

	sack_encode(body, &a);
	for (i = 0; i < sizeof(types); i++) {
		len = types[i] == REC_SFINAL_ACK ? WIRE_SFINAL_ACK_LEN :
		    WIRE_SACK_LEN;
		ck_assert(!sack_ok(types[i], body, len));
		put_u64(body + 8, 1);
		ck_assert(sack_ok(types[i], body, len));
		put_u64(body + 8, 0);
	}
}
END_TEST

/* SACK: 0 and 13 only.  SFINAL: 0, 1, 8, 12, 16 only.  Every byte tried. */
START_TEST(test_sack_statuses)
{
	struct sack_view	a = { 1, 2, 0 };
	uint8_t			body[WIRE_SACK_LEN];
	int			s, sack, sfinal;

	for (s = 0; s < 256; s++) {
		a.status = (uint8_t)s;
		sack_encode(body, &a);
		sack = s == ST_OK || s == ST_SPOOL_FULL;
		sfinal = s == ST_OK || s == ST_NO_SUCH_SESSION ||
		    s == ST_REJECTED || s == ST_EXPIRED || s == ST_DROPPED;
		ck_assert_msg(sack_ok(REC_SACK, body, sizeof(body)) == sack,
		    "SACK status %d", s);
		ck_assert_msg(sack_ok(REC_SFINAL, body, sizeof(body)) ==
		    sfinal, "SFINAL status %d", s);
	}
}
END_TEST

/* ---- smsg_encode_head refusals -------------------------------------- */

static size_t
head(const struct smsg_view *v)
{
	uint8_t	out[SMSG_HEAD_MAX];

	return smsg_encode_head(v, out, sizeof(out));
}

START_TEST(test_encode_refusals)
{
	uint8_t			 out[SMSG_HEAD_MAX];
	struct smsg_view	 v;

	good_smsg(&v, NULL, 0);
	ck_assert_uint_eq(head(&v), WIRE_SMSG_HDRLEN + 5 + 3);
	ck_assert_uint_eq(smsg_encode_head(&v, out, sizeof(out) - 1), 0);

	good_smsg(&v, NULL, 0);
	v.seq = 0;
	ck_assert_uint_eq(head(&v), 0);
	good_smsg(&v, NULL, 0);
	v.ttl = 0;
	ck_assert_uint_eq(head(&v), 0);
	v.ttl = WIRE_TTL_MAX + 1;
	ck_assert_uint_eq(head(&v), 0);
	v.ttl = WIRE_TTL_MAX;
	ck_assert_uint_ne(head(&v), 0);
	good_smsg(&v, NULL, 0);
	v.flags = 1;
	ck_assert_uint_eq(head(&v), 0);
	good_smsg(&v, NULL, 0);
	v.len = WIRE_PAYLOAD_MAX + 1;
	ck_assert_uint_eq(head(&v), 0);
	v.len = WIRE_PAYLOAD_MAX;
	ck_assert_uint_ne(head(&v), 0);
}
END_TEST

START_TEST(test_encode_name_refusals)
{
	char			 longname[WIRE_NAME_MAX + 1];
	struct smsg_view	 v;
	const char		**name;
	size_t			*len;
	int			 side;

	memset(longname, 'x', sizeof(longname));
	for (side = 0; side < 2; side++) {
		good_smsg(&v, NULL, 0);
		name = side == 0 ? &v.from : &v.to;
		len = side == 0 ? &v.fromlen : &v.tolen;
		*len = 0;
		ck_assert_uint_eq(head(&v), 0);
		*name = longname;
		*len = WIRE_NAME_MAX + 1;
		ck_assert_uint_eq(head(&v), 0);
		*len = WIRE_NAME_MAX;
		ck_assert_uint_ne(head(&v), 0);
		*name = "*";
		*len = 1;
		ck_assert_uint_eq(head(&v), 0);
		*name = "a@b";
		*len = 3;
		ck_assert_uint_eq(head(&v), 0);
		*name = NULL;
		*len = 1;
		ck_assert_uint_eq(head(&v), 0);
	}
}
END_TEST

static Suite *
spoolwire_suite(void)
{
	Suite	*s = suite_create("spoolwire");
	TCase	*tc = tcase_create("codec");

	tcase_add_test(tc, test_spool_vectors);
	tcase_add_test(tc, test_smsg_round_trip);
	tcase_add_test(tc, test_sack_round_trip);
	tcase_add_test(tc, test_smsg_short);
	tcase_add_test(tc, test_smsg_name_lengths);
	tcase_add_test(tc, test_smsg_seq_ttl_flags);
	tcase_add_test(tc, test_smsg_name_chars);
	tcase_add_test(tc, test_smsg_star);
	tcase_add_test(tc, test_smsg_payload_max);
	tcase_add_test(tc, test_sack_lengths);
	tcase_add_test(tc, test_sack_seq0);
	tcase_add_test(tc, test_sack_statuses);
	tcase_add_test(tc, test_encode_refusals);
	tcase_add_test(tc, test_encode_name_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(spoolwire_suite());
}
