/*
 * Unit tests for the spool's segment records (spoolrec.c, doc/SPOOL.md):
 * CRC-32C against its published values and its bitwise definition,
 * the segment header, records of every kind and size encoded and scanned
 * back, and the scan of damaged images: torn tails cut at every offset, a
 * byte flipped at every offset, lengths that lie, garbage, images of
 * nothing else, and record look-alikes made without the segment's salt.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "spoolrec.h"
#include "unitrun.h"

#define KEEP	64	/* reports kept in full; the rest only counted */

/* The salt of the segment every test writes and scans. */
static const uint8_t	SALT[SPOOLREC_SALTLEN] = {
	0x5a, 0x17, 0xc3, 0x08, 0x9e, 0x41, 0xd2, 0x66,
	0x0b, 0xf4, 0x73, 0x2c, 0xa9, 0x35, 0xe0, 0x8d
};

/* What a scan reported, in order. */
struct seen {
	size_t	nrec;
	struct {
		size_t		off;
		uint8_t		kind;
		size_t		len;
		uint32_t	hash;
	} rec[KEEP];
	size_t	ndmg;
	size_t	skipped;	/* all damaged stretches together */
	struct {
		size_t			off;
		size_t			skip;
		enum spoolrec_damage	why;
	} dmg[KEEP];
	int	stop_after;	/* on_record stops the scan after so many */
};

/* FNV-1a: a body's fingerprint that owes nothing to the code tested. */
static uint32_t
fnv(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int
on_record(size_t off, uint8_t kind, const uint8_t *body, size_t len,
    void *arg)
{
	struct seen	*s = arg;

	if (s->nrec < KEEP) {
		s->rec[s->nrec].off = off;
		s->rec[s->nrec].kind = kind;
		s->rec[s->nrec].len = len;
		s->rec[s->nrec].hash = fnv(body, len);
	}
	s->nrec++;
	return (s->stop_after > 0 && s->nrec == (size_t)s->stop_after) ?
	    42 : 0;
}

static void
on_damage(size_t off, size_t skip, enum spoolrec_damage why, void *arg)
{
	struct seen	*s = arg;

	if (s->ndmg < KEEP) {
		s->dmg[s->ndmg].off = off;
		s->dmg[s->ndmg].skip = skip;
		s->dmg[s->ndmg].why = why;
	}
	s->ndmg++;
	s->skipped += skip;
}

/*
 * Scan, into a cleared s, a copy of img[0..len) in a buffer of exactly len bytes (a read
 * past it is caught by a sanitizer or valgrind), checking that the
 * result agrees with the callbacks and that every byte is accounted
 * for: in a good record or in a damaged stretch, once.
 */
static void
scan(const uint8_t *img, size_t len, struct seen *s,
    struct spoolrec_scan *res)
{
	uint8_t	*copy = malloc(len > 0 ? len : 1);
	size_t	 good = 0, i;

	memset(s, 0, sizeof(*s));
	ck_assert_ptr_nonnull(copy);
	if (len > 0)
		memcpy(copy, img, len);
	ck_assert_int_eq(spoolrec_scan(SALT, copy, len, on_record, on_damage,
	    s, res), 0);
	free(copy);
	ck_assert_uint_eq(res->records, s->nrec);
	ck_assert_uint_eq(res->damaged, s->ndmg);
	for (i = 0; i < s->nrec && i < KEEP; i++)
		good += SPOOLREC_SIZE(s->rec[i].len);
	if (s->nrec <= KEEP)
		ck_assert_uint_eq(good + s->skipped, len);
}

/* The body of the record with that seed: a pattern with 'N's in it. */
static void
fill(uint8_t *body, size_t len, unsigned seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		body[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Append a record of that kind, size and seed at img + *used. */
static void
add(uint8_t *img, size_t cap, size_t *used, uint8_t kind, size_t len,
    unsigned seed)
{
	uint8_t	*body = malloc(len > 0 ? len : 1);
	size_t	 n;

	ck_assert_ptr_nonnull(body);
	fill(body, len, seed);
	ck_assert_int_eq(spoolrec_encode(SALT, kind, body, len, img + *used,
	    cap - *used, &n), 0);
	ck_assert_uint_eq(n, SPOOLREC_SIZE(len));
	*used += n;
	free(body);
}

/* The i-th report of s is a good record at off with that size and seed. */
static void
expect_rec(const struct seen *s, size_t i, size_t off, uint8_t kind,
    size_t len, unsigned seed)
{
	uint8_t	*body = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(body);
	fill(body, len, seed);
	ck_assert_uint_lt(i, s->nrec);
	ck_assert_uint_eq(s->rec[i].off, off);
	ck_assert_uint_eq(s->rec[i].kind, kind);
	ck_assert_uint_eq(s->rec[i].len, len);
	ck_assert_uint_eq(s->rec[i].hash, fnv(body, len));
	free(body);
}

static void
expect_dmg(const struct seen *s, size_t i, size_t off, size_t skip,
    enum spoolrec_damage why)
{
	ck_assert_uint_lt(i, s->ndmg);
	ck_assert_uint_eq(s->dmg[i].off, off);
	ck_assert_uint_eq(s->dmg[i].skip, skip);
	ck_assert_int_eq(s->dmg[i].why, why);
}

/*
 * Three records, the middle one of mid bytes: the image every damage
 * test starts from.  Their offsets in at[].
 */
#define BODY1	23
#define BODY3	9
static size_t
three(uint8_t *img, size_t cap, size_t mid, size_t at[3])
{
	size_t	used = 0;

	at[0] = used;
	add(img, cap, &used, SPOOLREC_MSG, BODY1, 1);
	at[1] = used;
	add(img, cap, &used, SPOOLREC_FILE, mid, 2);
	at[2] = used;
	add(img, cap, &used, SPOOLREC_STATE, BODY3, 3);
	return used;
}

/*
 * Scan img: the first and last records of three() delivered, the middle
 * one reported as one damaged stretch for that reason, never delivered.
 */
static void
expect_middle_skipped(const uint8_t *img, size_t len, const size_t at[3],
    enum spoolrec_damage why)
{
	struct spoolrec_scan	res;
	struct seen		s;

	scan(img, len, &s, &res);
	ck_assert_uint_eq(s.nrec, 2);
	expect_rec(&s, 0, at[0], SPOOLREC_MSG, BODY1, 1);
	expect_rec(&s, 1, at[2], SPOOLREC_STATE, BODY3, 3);
	ck_assert_uint_eq(s.ndmg, 1);
	expect_dmg(&s, 0, at[1], at[2] - at[1], why);
	ck_assert_uint_eq(res.end, len);
	ck_assert_int_eq(res.torn, 0);
}

/*
 * CRC-32C.
 */

/* The definition: one bit at a time, reflected, polynomial 0x82F63B78. */
static uint32_t
crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t	crc = 0xffffffffu;
	size_t		i;
	int		k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return ~crc;
}

/* A record header's crc by the definition: over salt || its 12 bytes. */
static uint32_t
hcrc_bitwise(const uint8_t salt[SPOOLREC_SALTLEN], const uint8_t *hdr)
{
	uint8_t	b[SPOOLREC_SALTLEN + 12];

	memcpy(b, salt, SPOOLREC_SALTLEN);
	memcpy(b + SPOOLREC_SALTLEN, hdr, 12);
	return crc_bitwise(b, sizeof(b));
}

START_TEST(test_crc_vectors)
{
	uint8_t	b[32];
	int	i;

	ck_assert_uint_eq(spoolrec_crc32c(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(spoolrec_crc32c(0, "", 0), 0);
	/* RFC 3720, B.4 */
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(spoolrec_crc32c(0, b, 32), 0x8a9136aau);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(spoolrec_crc32c(0, b, 32), 0x62a8ab43u);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(spoolrec_crc32c(0, b, 32), 0x46dd794eu);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(spoolrec_crc32c(0, b, 32), 0x113fdb5cu);
}
END_TEST

/* Every table entry, through every byte value and length; and in parts. */
START_TEST(test_crc_bitwise)
{
	uint8_t		b[600];
	uint32_t	x = 12345;
	size_t		i, n;

	for (i = 0; i < sizeof(b); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	for (i = 0; i < 256; i++)
		b[i] = (uint8_t)i;
	for (n = 0; n <= sizeof(b); n += 37)
		ck_assert_uint_eq(spoolrec_crc32c(0, b, n), crc_bitwise(b, n));
	for (i = 0; i < 256; i++) {
		uint8_t	one = (uint8_t)i;

		ck_assert_uint_eq(spoolrec_crc32c(0, &one, 1),
		    crc_bitwise(&one, 1));
	}
	for (n = 0; n <= sizeof(b); n += 53)
		ck_assert_uint_eq(spoolrec_crc32c(spoolrec_crc32c(0, b, n),
		    b + n, sizeof(b) - n), crc_bitwise(b, sizeof(b)));
}
END_TEST

/*
 * Encoding.
 */

/* A crc as stored: big-endian. */
static uint32_t
get_crc(const uint8_t *p)
{
	struct reader	r;

	rd_init(&r, p, 4);
	return rd_u32(&r);
}

/* Each kind at sizes 0, 1 and the maximum: the layout, and scanned back. */
START_TEST(test_round_trip)
{
	static uint8_t		img[SPOOLREC_SIZE(SPOOLREC_MAXBODY)];
	const size_t		sizes[] = { 0, 1, SPOOLREC_MAXBODY };
	const uint8_t		kinds[] = { SPOOLREC_MSG, SPOOLREC_FILE,
				    SPOOLREC_STATE, SPOOLREC_CKPT };
	struct spoolrec_scan	res;
	struct seen		s;
	struct reader		r;
	size_t			k, z, used;

	for (k = 0; k < 3; k++)
		for (z = 0; z < 3; z++) {
			used = 0;
			add(img, sizeof(img), &used, kinds[k], sizes[z],
			    (unsigned)z);
			ck_assert_mem_eq(img, "NCSQ", 4);
			rd_init(&r, img + 4, 12);
			ck_assert_uint_eq(rd_u8(&r), 1);
			ck_assert_uint_eq(rd_u8(&r), kinds[k]);
			ck_assert_uint_eq(rd_u16(&r), 0);
			ck_assert_uint_eq(rd_u32(&r), sizes[z]);
			ck_assert_uint_eq(rd_u32(&r),
			    hcrc_bitwise(SALT, img));
			ck_assert_uint_eq(get_crc(img + 16 + sizes[z]),
			    crc_bitwise(img + 16, sizes[z]));
			scan(img, used, &s, &res);
			ck_assert_uint_eq(s.nrec, 1);
			expect_rec(&s, 0, 0, kinds[k], sizes[z], (unsigned)z);
			ck_assert_uint_eq(s.ndmg, 0);
			ck_assert_uint_eq(res.end, used);
			ck_assert_int_eq(res.torn, 0);
		}
}
END_TEST

/* What encode writes is header, body, trailer: for a writer's writev. */
START_TEST(test_header_trailer)
{
	uint8_t	body[100], rec[SPOOLREC_SIZE(100)], hdr[SPOOLREC_HDRLEN];
	uint8_t	trl[SPOOLREC_TRLLEN];
	size_t	n;

	fill(body, sizeof(body), 9);
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_STATE, body,
	    sizeof(body), rec, sizeof(rec), &n), 0);
	ck_assert_uint_eq(n, sizeof(rec));
	ck_assert_int_eq(spoolrec_header(SALT, SPOOLREC_STATE, sizeof(body),
	    hdr), 0);
	spoolrec_trailer(body, sizeof(body), trl);
	ck_assert_uint_eq(get_crc(hdr + 12), hcrc_bitwise(SALT, hdr));
	ck_assert_uint_eq(get_crc(trl), crc_bitwise(body, sizeof(body)));
	ck_assert_mem_eq(rec, hdr, sizeof(hdr));
	ck_assert_mem_eq(rec + sizeof(hdr), body, sizeof(body));
	ck_assert_mem_eq(rec + sizeof(hdr) + sizeof(body), trl, sizeof(trl));
}
END_TEST

/* Unknown kinds, a body over the maximum, no room: refused, nothing
 * written. */
START_TEST(test_encode_refuses)
{
	static uint8_t	out[SPOOLREC_SIZE(SPOOLREC_MAXBODY + 1)];
	static uint8_t	body[SPOOLREC_MAXBODY + 1];
	const uint8_t	bad[] = { 0, 5, 255 };
	size_t		n = 7, i;

	memset(out, 0xaa, sizeof(out));
	for (i = 0; i < sizeof(bad); i++) {
		ck_assert_int_eq(spoolrec_encode(SALT, bad[i], body, 1, out,
		    sizeof(out), &n), -1);
		ck_assert_int_eq(spoolrec_header(SALT, bad[i], 1, out), -1);
	}
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_MSG, body,
	    SPOOLREC_MAXBODY + 1, out, sizeof(out), &n), -1);
	ck_assert_int_eq(spoolrec_header(SALT, SPOOLREC_MSG,
	    SPOOLREC_MAXBODY + 1, out), -1);
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_MSG, body, 10, out,
	    SPOOLREC_SIZE(10) - 1, &n), -1);
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_MSG, NULL, 0, out,
	    SPOOLREC_SIZE(0) - 1, &n), -1);
	ck_assert_uint_eq(n, 7);
	/* One assertion, not a million: each one costs check a write. */
	for (i = 0; i < sizeof(out) && out[i] == 0xaa; i++)
		continue;
	ck_assert_uint_eq(i, sizeof(out));
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_MSG, NULL, 0, out,
	    SPOOLREC_SIZE(0), &n), 0);
	ck_assert_uint_eq(n, SPOOLREC_SIZE(0));
}
END_TEST

/*
 * The scan of images without damage.
 */

START_TEST(test_scan_clean)
{
	uint8_t			img[4096];
	size_t			at[20], used = 0, i;
	struct spoolrec_scan	res;
	struct seen		s;

	for (i = 0; i < 20; i++) {
		at[i] = used;
		add(img, sizeof(img), &used, (uint8_t)(1 + i % 3), i * 11,
		    (unsigned)i);
	}
	scan(img, used, &s, &res);
	ck_assert_uint_eq(s.nrec, 20);
	for (i = 0; i < 20; i++)
		expect_rec(&s, i, at[i], (uint8_t)(1 + i % 3), i * 11,
		    (unsigned)i);
	ck_assert_uint_eq(s.ndmg, 0);
	ck_assert_uint_eq(res.end, used);
	ck_assert_int_eq(res.torn, 0);
}
END_TEST

START_TEST(test_scan_empty)
{
	uint8_t			one = 0;
	struct spoolrec_scan	res;
	struct seen		s;

	memset(&s, 0, sizeof(s));
	memset(&res, 0xff, sizeof(res));
	ck_assert_int_eq(spoolrec_scan(SALT, &one, 0, on_record, on_damage,
	    &s, &res), 0);
	ck_assert_int_eq(spoolrec_scan(SALT, NULL, 0, on_record, on_damage,
	    &s, NULL), 0);
	ck_assert_uint_eq(s.nrec + s.ndmg, 0);
	ck_assert_uint_eq(res.records + res.damaged + res.end, 0);
	ck_assert_int_eq(res.torn, 0);
}
END_TEST

/* A record callback that says stop: the scan stops and says why. */
START_TEST(test_scan_stop)
{
	uint8_t			img[512];
	size_t			at[3], len;
	struct spoolrec_scan	res;
	struct seen		s;

	len = three(img, sizeof(img), 40, at);
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	ck_assert_int_eq(spoolrec_scan(SALT, img, len, on_record, on_damage,
	    &s, &res), 42);
	ck_assert_uint_eq(s.nrec, 2);
	ck_assert_uint_eq(res.records, 2);
	ck_assert_uint_eq(res.end, at[2]);
	/* Without callbacks: only counted. */
	ck_assert_int_eq(spoolrec_scan(SALT, img, len, NULL, NULL, NULL,
	    &res), 0);
	ck_assert_uint_eq(res.records, 3);
	ck_assert_uint_eq(res.end, len);
}
END_TEST

/*
 * The scan of damaged images.
 */

/*
 * The last record cut at every offset inside it: the two before it
 * delivered, the cut one reported as a torn tail where it starts, and
 * nothing else.  A cut at its first byte leaves a clean image.
 */
START_TEST(test_torn_tail)
{
	uint8_t			img[512];
	size_t			at[3], len, cut;
	struct spoolrec_scan	res;
	struct seen		s;

	len = three(img, sizeof(img), 40, at);
	for (cut = at[2]; cut < len; cut++) {
		scan(img, cut, &s, &res);
		ck_assert_uint_eq(s.nrec, 2);
		expect_rec(&s, 0, at[0], SPOOLREC_MSG, BODY1, 1);
		expect_rec(&s, 1, at[1], SPOOLREC_FILE, 40, 2);
		ck_assert_uint_eq(res.end, at[2]);
		if (cut == at[2]) {
			ck_assert_uint_eq(s.ndmg, 0);
			ck_assert_int_eq(res.torn, 0);
			continue;
		}
		ck_assert_uint_eq(s.ndmg, 1);
		expect_dmg(&s, 0, at[2], cut - at[2], SPOOLREC_PAST_END);
		ck_assert_int_eq(res.torn, 1);
		ck_assert_uint_eq(res.tornoff, at[2]);
	}
}
END_TEST

/*
 * One byte of the middle record changed, at every offset and in three
 * ways: that record reported as one damaged stretch, for the reason its
 * part gives, and never delivered; the records around it delivered.
 */
START_TEST(test_flipped_byte)
{
	uint8_t			img[512];
	const uint8_t		masks[] = { 0x01, 0x80, 0xff };
	size_t			at[3], len, i, m;
	enum spoolrec_damage	why;

	len = three(img, sizeof(img), 40, at);
	for (i = at[1]; i < at[2]; i++) {
		if (i - at[1] < 4)
			why = SPOOLREC_BAD_MAGIC;
		else if (i - at[1] < SPOOLREC_HDRLEN)
			why = SPOOLREC_BAD_HDRCRC;
		else
			why = SPOOLREC_BAD_BODYCRC;
		for (m = 0; m < sizeof(masks); m++) {
			img[i] ^= masks[m];
			expect_middle_skipped(img, len, at, why);
			img[i] ^= masks[m];
		}
	}
}
END_TEST

/* Set the middle record's length field, its header crc made good again
 * or not. */
static void
set_len(uint8_t *rec, uint32_t bodylen, int fixcrc)
{
	put_u32(rec + 8, bodylen);
	if (fixcrc)
		put_u32(rec + 12, hcrc_bitwise(SALT, rec));
}

/*
 * Length fields that claim past the end.  A header that verifies vouches
 * for its length: what follows is that record's body, cut off, so the
 * image ends in a torn tail there and nothing after it is delivered, even
 * what looks like records.  A length over the maximum is a bad header and
 * one that does not verify a bad crc: both skipped, the rest delivered.
 */
START_TEST(test_length_past_end)
{
	uint8_t			img[512];
	size_t			at[3], len;
	struct spoolrec_scan	res;
	struct seen		s;

	len = three(img, sizeof(img), 40, at);
	set_len(img + at[1], 1000, 1);
	scan(img, len, &s, &res);
	ck_assert_uint_eq(s.nrec, 1);
	ck_assert_uint_eq(s.ndmg, 1);
	expect_dmg(&s, 0, at[1], len - at[1], SPOOLREC_PAST_END);
	ck_assert_int_eq(res.torn, 1);
	ck_assert_uint_eq(res.tornoff, at[1]);
	ck_assert_uint_eq(res.end, at[1]);

	/* Past the end by one byte, and by everything a u32 can say. */
	len = three(img, sizeof(img), 40, at);
	set_len(img + at[2], BODY3 + 1, 1);
	scan(img, len, &s, &res);
	ck_assert_uint_eq(s.nrec, 2);
	expect_dmg(&s, 0, at[2], len - at[2], SPOOLREC_PAST_END);
	set_len(img + at[2], UINT32_MAX, 1);
	scan(img, len, &s, &res);
	ck_assert_uint_eq(s.nrec, 2);
	expect_dmg(&s, 0, at[2], len - at[2], SPOOLREC_BAD_HEADER);
	ck_assert_int_eq(res.torn, 0);

	len = three(img, sizeof(img), 40, at);
	set_len(img + at[1], SPOOLREC_MAXBODY + 1, 1);
	expect_middle_skipped(img, len, at, SPOOLREC_BAD_HEADER);

	len = three(img, sizeof(img), 40, at);
	set_len(img + at[1], 1000, 0);
	expect_middle_skipped(img, len, at, SPOOLREC_BAD_HDRCRC);
}
END_TEST

/* Headers that verify with a field no reader may accept. */
START_TEST(test_bad_header_fields)
{
	uint8_t			img[512];
	const size_t		field[] = { 4, 5, 5, 6, 7 };
	const uint8_t		value[] = { 2, 0, 5, 1, 1 };
	size_t			at[3], len, i;

	for (i = 0; i < sizeof(field) / sizeof(field[0]); i++) {
		len = three(img, sizeof(img), 40, at);
		img[at[1] + field[i]] = value[i];
		put_u32(img + at[1] + 12, hcrc_bitwise(SALT, img + at[1]));
		expect_middle_skipped(img, len, at, SPOOLREC_BAD_HEADER);
	}
}
END_TEST

/*
 * Garbage before, between and after records, with decoys: lone 'N's, a
 * magic alone, a magic whose header crc fails, a magic cut by the end.
 * Every record delivered; each stretch of garbage reported once.
 */
START_TEST(test_garbage_between)
{
	const char		g1[] = "xxNNCSxNCSQ\x01\x01\x00\x00\x00\x00";
	const char		g2[] = "NCSQNCSQNCSQ0123456789abcdefN";
	uint8_t			img[1024];
	size_t			at[3], used = 0, g[3];
	struct spoolrec_scan	res;
	struct seen		s;

	g[0] = used;
	memcpy(img + used, g1, sizeof(g1) - 1);
	used += sizeof(g1) - 1;
	at[0] = used;
	add(img, sizeof(img), &used, SPOOLREC_MSG, 30, 1);
	g[1] = used;
	memcpy(img + used, g2, sizeof(g2) - 1);
	used += sizeof(g2) - 1;
	at[1] = used;
	add(img, sizeof(img), &used, SPOOLREC_FILE, 0, 2);
	at[2] = used;
	add(img, sizeof(img), &used, SPOOLREC_STATE, 5, 3);
	g[2] = used;
	memcpy(img + used, "garbageNCS", 10);
	used += 10;

	scan(img, used, &s, &res);
	ck_assert_uint_eq(s.nrec, 3);
	expect_rec(&s, 0, at[0], SPOOLREC_MSG, 30, 1);
	expect_rec(&s, 1, at[1], SPOOLREC_FILE, 0, 2);
	expect_rec(&s, 2, at[2], SPOOLREC_STATE, 5, 3);
	ck_assert_uint_eq(s.ndmg, 4);
	expect_dmg(&s, 0, g[0], at[0] - g[0], SPOOLREC_BAD_MAGIC);
	/* Garbage that starts with a magic fails the header's crc. */
	expect_dmg(&s, 1, g[1], at[1] - g[1], SPOOLREC_BAD_HDRCRC);
	/* The trailing garbage, then the magic the end cuts off. */
	expect_dmg(&s, 2, g[2], 7, SPOOLREC_BAD_MAGIC);
	expect_dmg(&s, 3, g[2] + 7, 3, SPOOLREC_PAST_END);
	ck_assert_int_eq(res.torn, 1);
	ck_assert_uint_eq(res.tornoff, g[2] + 7);
	ck_assert_uint_eq(res.end, g[2]);
}
END_TEST

/*
 * A record that holds a record look-alike in its body, that body damaged
 * elsewhere: the header still vouches for the length, so the whole record
 * is skipped and the look-alike never delivered.
 */
START_TEST(test_lookalike_in_bad_body)
{
	uint8_t			img[512], body[100];
	size_t			used = 0, n, at;
	struct spoolrec_scan	res;
	struct seen		s;

	memset(body, 'b', sizeof(body));
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_MSG, body, 10,
	    body + 20, sizeof(body) - 20, &n), 0);
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_FILE, body,
	    sizeof(body), img, sizeof(img), &used), 0);
	at = used;
	add(img, sizeof(img), &used, SPOOLREC_STATE, 7, 4);
	img[SPOOLREC_HDRLEN + 5] ^= 1;
	scan(img, used, &s, &res);
	ck_assert_uint_eq(s.nrec, 1);
	expect_rec(&s, 0, at, SPOOLREC_STATE, 7, 4);
	expect_dmg(&s, 0, 0, at, SPOOLREC_BAD_BODYCRC);
}
END_TEST

/* A 100-byte body holding at byte 20 a record look-alike whose header
 * crc is made with lsalt, or with none (crc32c of its 12 bytes alone). */
static void
lookalike_body(uint8_t body[100], const uint8_t *lsalt)
{
	size_t	n;

	memset(body, 'b', 100);
	if (lsalt != NULL) {
		ck_assert_int_eq(spoolrec_encode(lsalt, SPOOLREC_MSG, body, 10,
		    body + 20, 80, &n), 0);
		return;
	}
	ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_MSG, body, 10,
	    body + 20, 80, &n), 0);
	put_u32(body + 20 + 12, crc_bitwise(body + 20, 12));
}

/*
 * The enclosing record's header damaged (its magic, or its crc), so the
 * scan searches its body: a look-alike made with another salt or with
 * none is not taken; the whole record is one damaged stretch and the
 * record after it is delivered.  The same look-alike made with the
 * segment's own salt would be taken (what the salt is there to prevent),
 * which shows the search does reach it.
 */
START_TEST(test_lookalike_bad_header)
{
	static const uint8_t	other[SPOOLREC_SALTLEN] = { 1, 2, 3 };
	const uint8_t		*lsalts[] = { other, NULL, SALT };
	const size_t		hit[] = { 0, 12 };
	const enum spoolrec_damage	why[] = { SPOOLREC_BAD_MAGIC,
					    SPOOLREC_BAD_HDRCRC };
	uint8_t			img[512], body[100];
	size_t			used, at, l, h;
	struct spoolrec_scan	res;
	struct seen		s;

	for (l = 0; l < 3; l++)
		for (h = 0; h < 2; h++) {
			lookalike_body(body, lsalts[l]);
			ck_assert_int_eq(spoolrec_encode(SALT, SPOOLREC_FILE,
			    body, sizeof(body), img, sizeof(img), &used), 0);
			at = used;
			add(img, sizeof(img), &used, SPOOLREC_STATE, 7, 4);
			img[hit[h]] ^= 0x10;
			scan(img, used, &s, &res);
			if (lsalts[l] == SALT) {
				ck_assert_uint_eq(s.nrec, 2);
				ck_assert_uint_eq(s.rec[0].off,
				    SPOOLREC_HDRLEN + 20);
				continue;
			}
			ck_assert_uint_eq(s.nrec, 1);
			expect_rec(&s, 0, at, SPOOLREC_STATE, 7, 4);
			ck_assert_uint_eq(s.ndmg, 1);
			expect_dmg(&s, 0, 0, at, why[h]);
		}
}
END_TEST

/* Records scanned with a salt not theirs, one bit apart: none verifies. */
START_TEST(test_wrong_salt)
{
	uint8_t			img[512], salt[SPOOLREC_SALTLEN];
	size_t			at[3], len, i;
	struct seen		s;

	len = three(img, sizeof(img), 40, at);
	for (i = 0; i < SPOOLREC_SALTLEN * 8; i++) {
		memcpy(salt, SALT, sizeof(salt));
		salt[i / 8] ^= (uint8_t)(1 << (i % 8));
		memset(&s, 0, sizeof(s));
		ck_assert_int_eq(spoolrec_scan(salt, img, len, on_record,
		    on_damage, &s, NULL), 0);
		ck_assert_uint_eq(s.nrec, 0);
		ck_assert_uint_eq(s.ndmg, 1);
		expect_dmg(&s, 0, 0, len, SPOOLREC_BAD_HDRCRC);
	}
}
END_TEST

/*
 * The segment header: its layout, read back with its salt; refused when
 * short, or with any bit of any byte changed.
 */
START_TEST(test_seghdr)
{
	uint8_t	hdr[SPOOLREC_SEGHDRLEN + 1], salt[SPOOLREC_SALTLEN];
	size_t	i, bit;

	spoolrec_seghdr(SALT, hdr);
	ck_assert_mem_eq(hdr, "NCSG\x01\x00\x00\x00", 8);
	ck_assert_mem_eq(hdr + 8, SALT, SPOOLREC_SALTLEN);
	ck_assert_uint_eq(get_crc(hdr + 24), crc_bitwise(hdr, 24));
	memset(salt, 0, sizeof(salt));
	ck_assert_int_eq(spoolrec_seghdr_check(hdr, SPOOLREC_SEGHDRLEN,
	    salt), 0);
	ck_assert_mem_eq(salt, SALT, SPOOLREC_SALTLEN);
	hdr[SPOOLREC_SEGHDRLEN] = 'x';
	ck_assert_int_eq(spoolrec_seghdr_check(hdr, sizeof(hdr), salt), 0);
	for (i = 0; i < SPOOLREC_SEGHDRLEN; i++)
		ck_assert_int_eq(spoolrec_seghdr_check(hdr, i, salt), -1);
	for (i = 0; i < SPOOLREC_SEGHDRLEN; i++)
		for (bit = 0; bit < 8; bit++) {
			hdr[i] ^= (uint8_t)(1 << bit);
			ck_assert_int_eq(spoolrec_seghdr_check(hdr,
			    SPOOLREC_SEGHDRLEN, salt), -1);
			hdr[i] ^= (uint8_t)(1 << bit);
		}
	/* A later version or reserved bytes set, with a crc that fits. */
	for (i = 4; i < 8; i++) {
		spoolrec_seghdr(SALT, hdr);
		hdr[i] = 2;
		put_u32(hdr + 24, crc_bitwise(hdr, 24));
		ck_assert_int_eq(spoolrec_seghdr_check(hdr,
		    SPOOLREC_SEGHDRLEN, salt), -1);
	}
}
END_TEST

/*
 * Images of nothing but garbage, 1 MiB each: random bytes, the magic over
 * and over (a candidate at every fourth byte, each failing its crc), and
 * 'N' over and over.  Nothing delivered, every byte accounted for, and
 * quickly: work that grew with the square of the length would take hours
 * here and pass the test case's timeout.
 */
START_TEST(test_only_garbage)
{
	const size_t		len = 1024 * 1024;
	uint8_t			*img = malloc(len);
	uint32_t		x = 777;
	size_t			i, k;
	struct spoolrec_scan	res;
	struct seen		s;

	ck_assert_ptr_nonnull(img);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			img[i] = k == 0 ? (uint8_t)x :
			    k == 1 ? (uint8_t)"NCSQ"[i % 4] : 'N';
		}
		scan(img, len, &s, &res);
		ck_assert_uint_eq(s.nrec, 0);
		ck_assert_uint_ge(s.ndmg, 1);
		ck_assert_uint_eq(s.skipped, len);
		ck_assert_uint_eq(res.end, 0);
	}
	free(img);
}
END_TEST

START_TEST(test_damage_str)
{
	const enum spoolrec_damage	all[] = { SPOOLREC_BAD_MAGIC,
					    SPOOLREC_BAD_HDRCRC,
					    SPOOLREC_BAD_HEADER,
					    SPOOLREC_BAD_BODYCRC,
					    SPOOLREC_PAST_END };
	size_t				a, b;

	for (a = 0; a < sizeof(all) / sizeof(all[0]); a++)
		for (b = 0; b < a; b++)
			ck_assert_str_ne(spoolrec_damage_str(all[a]),
			    spoolrec_damage_str(all[b]));
}
END_TEST

static Suite *
spoolrec_suite(void)
{
	Suite	*s = suite_create("spoolrec");
	TCase	*tc = tcase_create("crc");

	tcase_add_test(tc, test_crc_vectors);
	tcase_add_test(tc, test_crc_bitwise);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_header_trailer);
	tcase_add_test(tc, test_encode_refuses);
	tcase_add_test(tc, test_seghdr);
	suite_add_tcase(s, tc);
	tc = tcase_create("scan");
	tcase_add_test(tc, test_scan_clean);
	tcase_add_test(tc, test_scan_empty);
	tcase_add_test(tc, test_scan_stop);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_flipped_byte);
	tcase_add_test(tc, test_length_past_end);
	tcase_add_test(tc, test_bad_header_fields);
	tcase_add_test(tc, test_garbage_between);
	tcase_add_test(tc, test_lookalike_in_bad_body);
	tcase_add_test(tc, test_lookalike_bad_header);
	tcase_add_test(tc, test_wrong_salt);
	tcase_add_test(tc, test_damage_str);
	suite_add_tcase(s, tc);
	/* Linear work is a few ms; even valgrind stays far below this. */
	tc = tcase_create("garbage");
	tcase_add_test(tc, test_only_garbage);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(spoolrec_suite());
}
