/*
 * The rekey of an up link (src/proto/rekey.c, nc_aead_rekey of src/proto/record.c,
 * doc/PROTOCOL.md 7.8): the known answers of tests/vectors/rekey-v2.json,
 * every value of which must be checked, and the exchange between two ends
 * whose records travel through two queues delivered in any order: either
 * side starting, both at once, key updates in between, random schedules,
 * malformed and unexpected records, the wiping of the ephemeral secrets,
 * and the timing rules.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "record.h"
#include "rekey.h"
#include "util.h"
#include "vectors.h"
#include "wire.h"

#define VEC_REKEY_V2	TEST_SRCDIR "/tests/vectors/rekey-v2.json"
#define QMAX		20000		/* records in flight per direction */
#define NOW		1000		/* ms, any value */

/* One direction of the link: sealed records in flight, in order. */
struct wire {
	uint8_t		*rec[QMAX];
	size_t		 len[QMAX];
	size_t		 head, tail;
};

/* One end: its two directions, its exchange and its traffic counters. */
struct end {
	const char	*name;
	struct nc_aead	 send, recv;
	struct rekey	 rk;
	struct wire	*out, *in;
	uint64_t	 pings_sent, pings_got;
	int		 fail_send;
	uint8_t		 fixed[NC_X25519_LEN];	/* scalar, if use_fixed */
	int		 use_fixed;
	int		 ties;		/* REKEYs that found us in SENT */
	int		 any_ping;	/* PING bodies are not our counter */
};

static struct wire	w_i2r, w_r2i;

/* ---- the harness ---------------------------------------------------- */

static int
end_send(void *arg, uint8_t type, const uint8_t *body, size_t len)
{
	struct end	*e = arg;
	struct wire	*w = e->out;
	size_t		 sz = NC_REC_HDRLEN + NC_REC_MINLEN + len, reclen;

	if (e->fail_send)
		return -1;
	ck_assert_uint_lt(w->tail, QMAX);
	ck_assert_ptr_nonnull(w->rec[w->tail] = malloc(sz));
	ck_assert_int_eq(nc_record_seal(&e->send, type, body, len,
	    w->rec[w->tail], sz, &reclen), 0);
	w->len[w->tail++] = reclen;
	return 0;
}

static int
fixed_rand(void *arg, uint8_t priv[NC_X25519_LEN])
{
	memcpy(priv, arg, NC_X25519_LEN);
	return 0;
}

static void
wire_clear(struct wire *w)
{
	while (w->head < w->tail)
		free(w->rec[w->head++]);
	w->head = w->tail = 0;
}

static void
end_init(struct end *e, const char *name, int initiator,
    const struct nc_keysched *ks)
{
	int	out = initiator ? NC_DIR_I2R : NC_DIR_R2I;
	int	in = initiator ? NC_DIR_R2I : NC_DIR_I2R;

	memset(e, 0, sizeof(*e));
	e->name = name;
	ck_assert_int_eq(nc_aead_init_ks(&e->send, NC_AEAD_SEAL, ks, out), 0);
	ck_assert_int_eq(nc_aead_init_ks(&e->recv, NC_AEAD_OPEN, ks, in), 0);
	e->out = initiator ? &w_i2r : &w_r2i;
	e->in = initiator ? &w_r2i : &w_i2r;
	rekey_init(&e->rk, initiator, &e->send, &e->recv, end_send, e, NOW, 0);
}

static void
end_fix_key(struct end *e, const uint8_t priv[NC_X25519_LEN])
{
	memcpy(e->fixed, priv, NC_X25519_LEN);
	e->use_fixed = 1;
	e->rk.randfn = fixed_rand;
	e->rk.randarg = e->fixed;
}

static void
end_clear(struct end *e)
{
	rekey_clear(&e->rk);
	nc_aead_clear(&e->send);
	nc_aead_clear(&e->recv);
}

/* A link just up with the keys of ks, at seq 1 (FINISHED was 0). */
static void
pair_keyed(struct end *i, struct end *r, const struct nc_keysched *ks)
{
	wire_clear(&w_i2r);
	wire_clear(&w_r2i);
	end_init(i, "initiator", 1, ks);
	end_init(r, "responder", 0, ks);
	i->send.seq = i->recv.seq = r->send.seq = r->recv.seq = 1;
}

/* The same with the keys of an arbitrary schedule. */
static void
pair_init(struct end *i, struct end *r, uint8_t cipher)
{
	struct nc_keysched	ks;
	uint8_t			th2[32], u_i[32], u_r[32], dh[32];

	memset(th2, 1, sizeof(th2));
	memset(u_i, 2, sizeof(u_i));
	memset(u_r, 3, sizeof(u_r));
	memset(dh, 4, sizeof(dh));
	ck_assert_int_eq(nc_key_schedule(cipher, th2, u_i, u_r, dh, &ks,
	    NULL), 0);
	pair_keyed(i, r, &ks);
	nc_keysched_clear(&ks);
}

static void
pair_clear(struct end *i, struct end *r)
{
	end_clear(i);
	end_clear(r);
	wire_clear(&w_i2r);
	wire_clear(&w_r2i);
}

static void
send_ping(struct end *e)
{
	uint8_t	body[8];

	put_u64(body, ++e->pings_sent);
	ck_assert_int_eq(end_send(e, REC_PING, body, sizeof(body)), 0);
}

static void
send_keyupdate(struct end *e)
{
	ck_assert_int_eq(end_send(e, REC_KEYUPDATE, NULL, 0), 0);
	ck_assert_int_eq(nc_aead_update(&e->send), 0);
}

/*
 * Open the next record for e, which must verify, and act on it as a link
 * does.  Returns its type.
 */
static uint8_t
deliver(struct end *e)
{
	static uint8_t	 body[NC_REC_MAXBODY];
	struct wire	*w = e->in;
	struct reader	 rd;
	const char	*why = NULL;
	uint8_t		 type;
	size_t		 n;
	int		 rv;

	ck_assert_uint_lt(w->head, w->tail);
	ck_assert_msg(nc_record_open(&e->recv, w->rec[w->head],
	    w->len[w->head], &type, body, sizeof(body), &n) == 0,
	    "%s: record %zu did not open", e->name, w->head);
	free(w->rec[w->head++]);
	switch (type) {
	case REC_PING:
		rd_init(&rd, body, n);
		if (e->any_ping)
			(void)rd_u64(&rd);
		else
			ck_assert_uint_eq(rd_u64(&rd), e->pings_got + 1);
		ck_assert_int_eq(rd_done(&rd), 0);
		e->pings_got++;
		break;
	case REC_KEYUPDATE:
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(nc_aead_update(&e->recv), 0);
		break;
	default:
		if (type == REC_REKEY && e->rk.state == REKEY_SENT)
			e->ties++;
		rv = rekey_input(&e->rk, type, body, n, NOW, 0, &why);
		ck_assert_msg(rv >= 0, "%s: %s", e->name, why);
		break;
	}
	return type;
}

/* The next record for e, opened and given to its exchange as it is. */
static int
feed_next(struct end *e, uint64_t now, uint64_t bytes, const char **why)
{
	struct wire	*w = e->in;
	uint8_t		 t, body[64];
	size_t		 n;

	ck_assert_uint_lt(w->head, w->tail);
	ck_assert_int_eq(nc_record_open(&e->recv, w->rec[w->head],
	    w->len[w->head], &t, body, sizeof(body), &n), 0);
	free(w->rec[w->head++]);
	return rekey_input(&e->rk, t, body, n, now, bytes, why);
}

static int
pending(const struct end *e)
{
	return e->in->head < e->in->tail;
}

/* Everything in flight, both ways, until nothing is left. */
static void
drain(struct end *i, struct end *r)
{
	int	n;

	for (n = 0; pending(i) || pending(r); n++) {
		ck_assert_int_lt(n, 2 * QMAX);
		if (pending(i))
			(void)deliver(i);
		if (pending(r))
			(void)deliver(r);
	}
}

/* Both directions agree, and traffic still flows both ways after. */
static void
check_agree(struct end *i, struct end *r)
{
	drain(i, r);
	ck_assert_mem_eq(i->send.ts, r->recv.ts, NC_TS_LEN);
	ck_assert_mem_eq(r->send.ts, i->recv.ts, NC_TS_LEN);
	ck_assert_uint_eq(i->send.seq, r->recv.seq);
	ck_assert_uint_eq(r->send.seq, i->recv.seq);
	send_ping(i);
	send_ping(r);
	drain(i, r);
	ck_assert_uint_eq(i->pings_sent, r->pings_got);
	ck_assert_uint_eq(r->pings_sent, i->pings_got);
	ck_assert_int_eq(i->rk.state, REKEY_IDLE);
	ck_assert_int_eq(r->rk.state, REKEY_IDLE);
}

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* ---- known answers: rekey-v2.json ---------------------------------- */


struct kat {
	struct vec	*root;		/* rekey-v2.json */
	struct vec	*v1;		/* link-v1.json */
	uint8_t		 priv_a[NC_X25519_LEN], priv_b[NC_X25519_LEN];
	uint8_t		 dh[NC_X25519_LEN];
};

/* The top-level values: public keys and dh from the two scalars. */
static void
kat_open(struct kat *k)
{
	uint8_t	pub_a[NC_X25519_LEN], pub_b[NC_X25519_LEN];

	memset(k, 0, sizeof(*k));
	k->root = vec_load(VEC_REKEY_V2);
	k->v1 = vec_load(VEC_LINK_V1);
	vec_touch(vec_get(k->root, "about"));
	ck_assert_int_eq(vec_int(k->root, "base_case"), 0);
	vec_hex(k->root, "x25519_private_a", k->priv_a, sizeof(k->priv_a),
	    NULL);
	vec_hex(k->root, "x25519_private_b", k->priv_b, sizeof(k->priv_b),
	    NULL);
	ck_assert_int_eq(nc_x25519_public(k->priv_a, pub_a), 0);
	ck_assert_int_eq(nc_x25519_public(k->priv_b, pub_b), 0);
	vec_expect_hex(k->root, "x25519_public_a", pub_a, sizeof(pub_a));
	vec_expect_hex(k->root, "x25519_public_b", pub_b, sizeof(pub_b));
	ck_assert_int_eq(nc_x25519(k->priv_a, pub_b, k->dh), 0);
	vec_expect_hex(k->root, "dh", k->dh, sizeof(k->dh));
}

static void
kat_close(struct kat *k)
{
	vec_free(k->root);
	vec_free(k->v1);
	OPENSSL_cleanse(k, sizeof(*k));
}

/* The two ends keyed as case 0 of link-v1.json leaves them, at seq 1. */
static void
kat_pair(struct kat *k, struct end *i, struct end *r)
{
	struct vec	*c = vec_index(vec_get(k->v1, "cases"), 0);
	struct vec	*e = vec_get(c, "expanded");
	struct nc_keysched ks;

	memset(&ks, 0, sizeof(ks));
	ks.cipher_id = (uint8_t)vec_int(c, "cipher");
	ks.keylen = nc_cipher_keylen(ks.cipher_id);
	vec_hex(e, "nc1 key i2r", ks.key_i2r, ks.keylen, NULL);
	vec_hex(e, "nc1 key r2i", ks.key_r2i, ks.keylen, NULL);
	vec_hex(e, "nc1 iv i2r", ks.iv_i2r, sizeof(ks.iv_i2r), NULL);
	vec_hex(e, "nc1 iv r2i", ks.iv_r2i, sizeof(ks.iv_r2i), NULL);
	vec_hex(e, "nc1 upd i2r", ks.upd_i2r, sizeof(ks.upd_i2r), NULL);
	vec_hex(e, "nc1 upd r2i", ks.upd_r2i, sizeof(ks.upd_r2i), NULL);
	pair_keyed(i, r, &ks);
	nc_keysched_clear(&ks);
}

static uint8_t
type_of(const char *what)
{
	static const struct {
		const char	*name;
		uint8_t		 type;
	} types[] = {
		{ "REKEY", REC_REKEY }, { "REKEY_ACK", REC_REKEY_ACK },
		{ "REKEY_DONE", REC_REKEY_DONE }, { "PING", REC_PING },
		{ "KEYUPDATE", REC_KEYUPDATE },
	};
	size_t	j;

	for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
		if (strcmp(types[j].name, what) == 0)
			return types[j].type;
	ck_abort_msg("unknown step \"%s\"", what);
	return 0;
}

/* A switch of the sender's direction d: salt, prk, then the new state. */
static void
kat_switch(struct kat *k, struct vec *d, const uint8_t salt[NC_TS_LEN],
    const struct nc_aead *a)
{
	uint8_t	prk[NC_SHA256_LEN];

	vec_expect_hex(d, "salt", salt, NC_TS_LEN);
	ck_assert_int_eq(nc_hkdf_extract(salt, NC_TS_LEN, k->dh,
	    sizeof(k->dh), prk), 0);
	vec_expect_hex(d, "prk", prk, sizeof(prk));
	vec_expect_hex(d, "ts", a->ts, NC_TS_LEN);
	vec_expect_hex(d, "key", a->key, a->keylen);
	vec_expect_hex(d, "iv", a->iv, NC_AEAD_IVLEN);
	ck_assert_uint_eq(a->seq, 0);
}

/*
 * One step: its sender seals the record the file gives, byte for byte.
 * Records stay in flight until a REKEY_ACK or REKEY_DONE step needs its
 * sender to open what was sent to it.
 */
static void
kat_step(struct kat *k, struct vec *c, struct vec *s, struct end *i,
    struct end *r)
{
	const char	*what = vec_str(s, "what"), *dir = vec_str(s, "dir");
	struct end	*e = strcmp(dir, "i2r") == 0 ? i : r;
	struct wire	*w = e->out;
	uint8_t		 salt[NC_TS_LEN], body[64], pub[NC_X25519_LEN];
	uint8_t		 type = type_of(what);
	size_t		 n, before = w->tail;

	ck_assert(strcmp(dir, "i2r") == 0 || strcmp(dir, "r2i") == 0);
	ck_assert_uint_eq(e->send.seq, (uint64_t)vec_int(s, "seq"));
	ck_assert_int_eq(vec_int(s, "type"), type);
	vec_hex(s, "body", body, sizeof(body), &n);
	memcpy(salt, e->send.ts, sizeof(salt));
	switch (type) {
	case REC_REKEY:
		ck_assert_int_eq(rekey_start(&e->rk, NOW), 0);
		break;
	case REC_KEYUPDATE:
		send_keyupdate(e);
		break;
	case REC_PING:
		ck_assert_int_eq(end_send(e, REC_PING, body, n), 0);
		break;
	default:
		/* ACK and DONE answer what is in flight to their sender. */
		while (w->tail == before) {
			ck_assert(pending(e));
			(void)deliver(e);
		}
		kat_switch(k, vec_get(c, dir), salt, &e->send);
		break;
	}
	ck_assert_uint_eq(w->tail, before + 1);
	if (type == REC_REKEY || type == REC_REKEY_ACK) {
		ck_assert_int_eq(nc_x25519_public(e->fixed, pub), 0);
		ck_assert_uint_eq(n, sizeof(pub));
		ck_assert_mem_eq(body, pub, sizeof(pub));
	}
	vec_expect_hex(s, "record", w->rec[before], w->len[before]);
}

static void
kat_case(struct kat *k, struct vec *c)
{
	struct end	 i, r;
	struct vec	*steps = vec_get(c, "steps");
	const char	*starter = vec_str(c, "starter");
	size_t		 j;

	kat_pair(k, &i, &r);
	i.any_ping = r.any_ping = 1;
	if (strcmp(starter, "initiator") == 0) {
		end_fix_key(&i, k->priv_a);
		end_fix_key(&r, k->priv_b);
	} else {
		ck_assert_str_eq(starter, "responder");
		end_fix_key(&r, k->priv_a);
		end_fix_key(&i, k->priv_b);
	}
	for (j = 0; j < vec_len(steps); j++)
		kat_step(k, c, vec_index(steps, j), &i, &r);
	/* The rest opens at the other ends, which switch in turn. */
	drain(&i, &r);
	ck_assert_uint_eq(i.rk.done, 1);
	ck_assert_uint_eq(r.rk.done, 1);
	ck_assert_mem_eq(r.recv.ts, i.send.ts, NC_TS_LEN);
	ck_assert_mem_eq(i.recv.ts, r.send.ts, NC_TS_LEN);
	pair_clear(&i, &r);
}

START_TEST(test_rekey_vectors)
{
	struct kat	 k;
	struct vec	*cases;
	size_t		 j;

	kat_open(&k);
	cases = vec_get(k.root, "cases");
	ck_assert_uint_ge(vec_len(cases), 2);
	for (j = 0; j < vec_len(cases); j++)
		kat_case(&k, vec_index(cases, j));
	printf("rekey-v2.json: %zu cases, %zu values checked, %zu unchecked\n",
	    vec_len(cases), vec_nread(k.root), vec_unread(k.root, 1));
	ck_assert_uint_eq(vec_unread(k.root, 1), 0);
	kat_close(&k);
}
END_TEST

/* nc_aead_rekey alone: the labels differ by direction; bad use fails. */
START_TEST(test_aead_rekey)
{
	struct nc_aead	a, b;
	uint8_t		key[32] = { 1 }, iv[12] = { 2 }, ts[32] = { 3 };
	uint8_t		dh[32] = { 4 };

	ck_assert_int_eq(nc_aead_init(&a, NC_AEAD_SEAL, NC_CIPHER_CHACHA20,
	    key, 32, iv, ts), 0);
	ck_assert_int_eq(nc_aead_init(&b, NC_AEAD_SEAL, NC_CIPHER_CHACHA20,
	    key, 32, iv, ts), 0);
	a.seq = b.seq = 5;
	ck_assert_int_eq(nc_aead_rekey(&a, dh, NC_DIR_I2R), 0);
	ck_assert_int_eq(nc_aead_rekey(&b, dh, NC_DIR_R2I), 0);
	ck_assert_uint_eq(a.seq, 0);
	ck_assert(memcmp(a.ts, b.ts, sizeof(a.ts)) != 0);
	ck_assert(memcmp(a.ts, ts, sizeof(ts)) != 0);
	ck_assert_int_eq(nc_aead_rekey(&a, dh, 3), -1);
	ck_assert_ptr_null(a.ctx);		/* cleared: fails closed */
	ck_assert_int_eq(nc_aead_rekey(&a, dh, NC_DIR_I2R), -1);
	nc_aead_clear(&a);
	nc_aead_clear(&b);
}
END_TEST

/* ---- the exchange -------------------------------------------------- */

/* _i: 0 the initiator starts, 1 the responder. */
START_TEST(test_one_side_starts)
{
	struct end	 i, r, *a, *b;
	uint8_t		 t;

	pair_init(&i, &r, (uint8_t)(_i + 1));
	a = _i == 0 ? &i : &r;
	b = _i == 0 ? &r : &i;
	send_ping(a);
	ck_assert_int_eq(rekey_start(&a->rk, NOW), 0);
	ck_assert_int_eq(a->rk.state, REKEY_SENT);
	ck_assert_ptr_nonnull(a->rk.key);
	/* A second start while one runs does nothing. */
	ck_assert_int_eq(rekey_start(&a->rk, NOW), 0);
	ck_assert_uint_eq(a->out->tail - a->out->head, 2);
	send_ping(a);		/* still under the old key */
	ck_assert_int_eq(deliver(b), REC_PING);
	ck_assert_int_eq(deliver(b), REC_REKEY);
	ck_assert_int_eq(b->rk.state, REKEY_ANSWERED);
	ck_assert(!all_zero(b->rk.dh, sizeof(b->rk.dh)));	/* kept */
	ck_assert_ptr_null(b->rk.key);
	ck_assert_uint_eq(b->send.seq, 0);	/* switched after the ACK */
	send_ping(b);		/* under b's new key */
	ck_assert_int_eq(deliver(b), REC_PING);
	ck_assert_int_eq(deliver(a), REC_REKEY_ACK);
	ck_assert_int_eq(a->rk.state, REKEY_IDLE);
	ck_assert_ptr_null(a->rk.key);
	ck_assert(all_zero(a->rk.dh, sizeof(a->rk.dh)));
	ck_assert_uint_eq(a->rk.done, 1);
	ck_assert_uint_eq(a->send.seq, 0);
	ck_assert_uint_eq(a->recv.seq, 0);
	ck_assert_int_eq(deliver(a), REC_PING);	/* b's, new key */
	send_ping(a);
	t = deliver(b);
	ck_assert_int_eq(t, REC_REKEY_DONE);
	ck_assert_int_eq(b->rk.state, REKEY_IDLE);
	ck_assert(all_zero(b->rk.dh, sizeof(b->rk.dh)));
	ck_assert_uint_eq(b->rk.done, 1);
	check_agree(&i, &r);
	ck_assert_int_eq(i.ties + r.ties, 0);
	pair_clear(&i, &r);
}
END_TEST

/*
 * Both start before either REKEY arrives.  _i: 0 the responder opens the
 * initiator's REKEY first, 1 the initiator opens the responder's first.
 * Either way one exchange happens, the initiator's.
 */
START_TEST(test_simultaneous)
{
	struct end	i, r;

	pair_init(&i, &r, NC_CIPHER_AES256GCM);
	ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
	ck_assert_int_eq(rekey_start(&r.rk, NOW), 0);
	send_ping(&i);
	send_ping(&r);
	if (_i == 0) {
		ck_assert_int_eq(deliver(&r), REC_REKEY);	/* r yields */
		ck_assert_int_eq(r.rk.state, REKEY_ANSWERED);
		ck_assert_int_eq(deliver(&i), REC_REKEY);	/* dropped */
		ck_assert_int_eq(i.rk.state, REKEY_SENT);
	} else {
		ck_assert_int_eq(deliver(&i), REC_REKEY);	/* dropped */
		ck_assert_int_eq(i.rk.state, REKEY_SENT);
		ck_assert_int_eq(i.rk.tie_dropped, 1);
		ck_assert_int_eq(deliver(&r), REC_REKEY);	/* r yields */
		ck_assert_int_eq(r.rk.state, REKEY_ANSWERED);
	}
	ck_assert_int_eq(i.ties, 1);
	ck_assert_int_eq(r.ties, 1);
	drain(&i, &r);
	ck_assert_uint_eq(i.rk.done, 1);
	ck_assert_uint_eq(r.rk.done, 1);
	check_agree(&i, &r);
	pair_clear(&i, &r);
}
END_TEST

/*
 * Key updates in every gap of an exchange, in both directions: each
 * switch starts from the secret its direction has at the marked record.
 */
START_TEST(test_keyupdate_interleaved)
{
	struct end	i, r;

	pair_init(&i, &r, NC_CIPHER_AES128GCM);
	send_keyupdate(&i);
	ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
	send_keyupdate(&i);		/* after REKEY, before DONE */
	send_ping(&i);
	send_keyupdate(&r);		/* r's old key, before the ACK */
	ck_assert_int_eq(deliver(&r), REC_KEYUPDATE);
	ck_assert_int_eq(deliver(&r), REC_REKEY);	/* the ACK goes */
	send_keyupdate(&r);		/* on r's new key already */
	send_ping(&r);
	ck_assert_int_eq(deliver(&r), REC_KEYUPDATE);	/* i's second */
	ck_assert_int_eq(deliver(&r), REC_PING);
	ck_assert_int_eq(deliver(&i), REC_KEYUPDATE);
	ck_assert_int_eq(deliver(&i), REC_REKEY_ACK);	/* DONE goes */
	send_keyupdate(&i);		/* on i's new key */
	drain(&i, &r);
	ck_assert_uint_eq(i.rk.done, 1);
	ck_assert_uint_eq(r.rk.done, 1);
	check_agree(&i, &r);
	pair_clear(&i, &r);
}
END_TEST

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random schedules: sends, key updates, starts by either side and
 * deliveries in any interleaving.  Every record opens, every ping arrives
 * once and in order, and the two ends end up agreeing.
 */
START_TEST(test_random_schedules)
{
	struct end	 i, r, *e;
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(_i + 1);
	int		 step, x;

	pair_init(&i, &r, (uint8_t)(_i % 3 + 1));
	for (step = 0; step < 4000; step++) {
		x = (int)(xorshift(&seed) % 100);
		e = (xorshift(&seed) & 1) ? &i : &r;
		if (x < 25)
			send_ping(e);
		else if (x < 30)
			send_keyupdate(e);
		else if (x < 34)
			ck_assert_int_eq(rekey_start(&e->rk, NOW), 0);
		else if (pending(e))
			(void)deliver(e);
	}
	drain(&i, &r);
	ck_assert_uint_gt(i.rk.done, 10);
	ck_assert_uint_eq(i.rk.done, r.rk.done);
	check_agree(&i, &r);
	/* Crossed starts happened, and were settled. */
	ck_assert_int_gt(i.ties + r.ties, 0);
	pair_clear(&i, &r);
}
END_TEST

/* ---- errors: each is a protocol error, and leaves nothing behind --- */

static const char *
input_err(struct end *e, uint8_t type, const uint8_t *body, size_t n)
{
	const char	*why = NULL;

	ck_assert_int_eq(rekey_input(&e->rk, type, body, n, NOW, 0, &why),
	    -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(e->rk.key);
	ck_assert(all_zero(e->rk.dh, sizeof(e->rk.dh)));
	return why;
}

START_TEST(test_malformed)
{
	struct end	i, r;
	uint8_t		pub[33];

	pair_init(&i, &r, NC_CIPHER_AES256GCM);
	memset(pub, 9, sizeof(pub));
	ck_assert_str_eq(input_err(&r, REC_REKEY, pub, 31), "bad REKEY");
	ck_assert_str_eq(input_err(&r, REC_REKEY, pub, 33), "bad REKEY");
	ck_assert_str_eq(input_err(&r, REC_REKEY, NULL, 0), "bad REKEY");
	ck_assert_str_eq(input_err(&r, REC_REKEY_ACK, pub, 31),
	    "bad REKEY_ACK");
	ck_assert_str_eq(input_err(&r, REC_REKEY_DONE, pub, 1),
	    "bad REKEY_DONE");
	ck_assert_str_eq(input_err(&r, REC_PING, pub, 8),
	    "not a rekey record");
	ck_assert_int_eq(r.rk.state, REKEY_IDLE);
	ck_assert_uint_eq(w_r2i.tail, 0);	/* nothing was sent */
	pair_clear(&i, &r);
}
END_TEST

/* Records out of turn: _i picks the state they find. */
START_TEST(test_unexpected)
{
	struct end	i, r;
	uint8_t		pub[32];
	const char	*why;

	pair_init(&i, &r, NC_CIPHER_CHACHA20);
	memset(pub, 9, sizeof(pub));
	switch (_i) {
	case 0:		/* idle */
		ck_assert_str_eq(input_err(&r, REC_REKEY_ACK, pub, 32),
		    "unexpected REKEY_ACK");
		ck_assert_str_eq(input_err(&r, REC_REKEY_DONE, NULL, 0),
		    "unexpected REKEY_DONE");
		break;
	case 1:		/* sent */
		ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
		ck_assert_str_eq(input_err(&i, REC_REKEY_DONE, NULL, 0),
		    "unexpected REKEY_DONE");
		break;
	case 2:		/* answered */
		ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
		ck_assert_int_eq(deliver(&r), REC_REKEY);
		why = input_err(&r, REC_REKEY, pub, 32);
		ck_assert_str_eq(why, "REKEY during a rekey");
		break;
	case 3:		/* answered, then a duplicate ACK */
		ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
		ck_assert_int_eq(deliver(&r), REC_REKEY);
		ck_assert_str_eq(input_err(&r, REC_REKEY_ACK, pub, 32),
		    "unexpected REKEY_ACK");
		break;
	case 4:		/* the initiator drops one crossing REKEY, not two */
		ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
		ck_assert_int_eq(rekey_input(&i.rk, REC_REKEY, pub, 32, NOW,
		    0, &why), 0);
		ck_assert_str_eq(input_err(&i, REC_REKEY, pub, 32),
		    "REKEY repeated");
		break;
	case 5:		/* a finished exchange: its ACK again */
		ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
		ck_assert_int_eq(deliver(&r), REC_REKEY);
		ck_assert_int_eq(deliver(&i), REC_REKEY_ACK);
		ck_assert_str_eq(input_err(&i, REC_REKEY_ACK, pub, 32),
		    "unexpected REKEY_ACK");
		break;
	}
	pair_clear(&i, &r);
}
END_TEST

/* Low-order points (RFC 7748 section 7): dh would be all zero. */
static const char *const low_order[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

START_TEST(test_low_order)
{
	struct end	i, r;
	uint8_t		pt[32];
	size_t		n;

	ck_assert_int_eq(nc_hex_decode(low_order[_i], pt, sizeof(pt), &n), 0);
	ck_assert_uint_eq(n, sizeof(pt));
	pair_init(&i, &r, NC_CIPHER_AES256GCM);
	ck_assert_str_eq(input_err(&r, REC_REKEY, pt, sizeof(pt)),
	    "REKEY with a low-order point");
	ck_assert_uint_eq(w_r2i.tail, 0);	/* no ACK went out */
	ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
	ck_assert_str_eq(input_err(&i, REC_REKEY_ACK, pt, sizeof(pt)),
	    "REKEY_ACK with a low-order point");
	ck_assert_int_eq(i.rk.state, REKEY_IDLE);
	ck_assert_uint_eq(w_i2r.tail, 1);	/* the REKEY only */
	pair_clear(&i, &r);
}
END_TEST

/* Output that fails: nothing switches, nothing is kept. */
START_TEST(test_send_fails)
{
	struct end	i, r;
	const char	*why;

	pair_init(&i, &r, NC_CIPHER_AES256GCM);
	i.fail_send = 1;
	ck_assert_int_eq(rekey_start(&i.rk, NOW), -1);
	ck_assert_int_eq(i.rk.state, REKEY_IDLE);
	ck_assert_ptr_null(i.rk.key);
	i.fail_send = 0;
	ck_assert_int_eq(rekey_start(&i.rk, NOW), 0);
	r.fail_send = 1;
	why = NULL;
	ck_assert_int_eq(feed_next(&r, NOW, 0, &why), -1);
	ck_assert_str_eq(why, "rekey failed");
	ck_assert_uint_eq(r.send.seq, 1);	/* not switched */
	ck_assert(all_zero(r.rk.dh, sizeof(r.rk.dh)));
	pair_clear(&i, &r);
}
END_TEST

/* ---- when: rekey_due, rekey_expired, rekey_wait_ms ------------------ */

START_TEST(test_timing)
{
	struct end	 i, r;
	const char	*why;

	pair_init(&i, &r, NC_CIPHER_AES256GCM);
	rekey_init(&i.rk, 1, &i.send, &i.recv, end_send, &i, 5000, 100);
	ck_assert_int_eq(rekey_due(&i.rk, 5999, 100 + 999, 1000, 1000), 0);
	ck_assert_int_eq(rekey_due(&i.rk, 6000, 100, 1000, 1000), 1);
	ck_assert_int_eq(rekey_due(&i.rk, 5001, 1100, 1000, 1000), 1);
	ck_assert_int_eq(rekey_due(&i.rk, 4000, 50, 1000, 1000), 0);
	ck_assert_uint_eq(rekey_wait_ms(&i.rk, 5250, 1000, 300), 750);
	ck_assert_uint_eq(rekey_wait_ms(&i.rk, 9000, 1000, 300), 0);
	ck_assert_int_eq(rekey_expired(&i.rk, 99999, 300), 0);	/* idle */

	ck_assert_int_eq(rekey_start(&i.rk, 7000), 0);
	/* In progress: never due, expires after the timeout. */
	ck_assert_int_eq(rekey_due(&i.rk, 99999, 1 << 30, 1000, 1000), 0);
	ck_assert_int_eq(rekey_expired(&i.rk, 7299, 300), 0);
	ck_assert_int_eq(rekey_expired(&i.rk, 7300, 300), 1);
	ck_assert_uint_eq(rekey_wait_ms(&i.rk, 7100, 1000, 300), 200);

	/* Done: both clocks start again from the end of the exchange. */
	ck_assert_int_eq(deliver(&r), REC_REKEY);
	ck_assert_int_eq(feed_next(&i, 8000, 5000, &why), 1);
	ck_assert_int_eq(rekey_due(&i.rk, 8999, 5999, 1000, 1000), 0);
	ck_assert_int_eq(rekey_due(&i.rk, 8999, 6000, 1000, 1000), 1);
	ck_assert_int_eq(rekey_due(&i.rk, 9000, 5000, 1000, 1000), 1);
	pair_clear(&i, &r);
}
END_TEST

static Suite *
rekey_suite(void)
{
	Suite	*s = suite_create("rekey");
	TCase	*tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_rekey_vectors);
	tcase_add_test(tc, test_aead_rekey);
	suite_add_tcase(s, tc);

	tc = tcase_create("exchange");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_one_side_starts, 0, 2);
	tcase_add_loop_test(tc, test_simultaneous, 0, 2);
	tcase_add_test(tc, test_keyupdate_interleaved);
	tcase_add_loop_test(tc, test_random_schedules, 0, 12);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_malformed);
	tcase_add_loop_test(tc, test_unexpected, 0, 6);
	tcase_add_loop_test(tc, test_low_order, 0,
	    (int)(sizeof(low_order) / sizeof(low_order[0])));
	tcase_add_test(tc, test_send_fails);
	tcase_add_test(tc, test_timing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(rekey_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
