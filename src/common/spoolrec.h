/*
 * The records of the spool's segment files (doc/SPOOL.md): encoding one,
 * and walking a whole segment image to find the good records, the
 * damaged ones and a torn tail.  Sans-I/O: the caller reads and writes
 * the files; everything here works on bytes in memory, bounded by the
 * lengths given, and allocates nothing.
 *
 * A segment starts with its header, every integer big-endian:
 *
 *	magic "NCSG" | u8 version | 3 bytes reserved (0) | salt[16] |
 *	u32 crc32c(the 24 bytes before it)
 *
 * and goes on with records back to back:
 *
 *	magic "NCSQ" | u8 version | u8 kind | u16 reserved (0) |
 *	u32 bodylen | u32 crc32c(salt || the 12 bytes before it) |
 *	body[bodylen] | u32 crc32c(body)
 *
 * The salt is the segment's secret: a record look-alike that a sender
 * hides in a body cannot carry a header crc that verifies without it.
 */
#ifndef NC_SPOOLREC_H
#define NC_SPOOLREC_H

#include <stddef.h>
#include <stdint.h>

#define SPOOLREC_SEGMAGIC	"NCSG"
#define SPOOLREC_SEGVERSION	1
#define SPOOLREC_SALTLEN	16
#define SPOOLREC_SEGHDRLEN	28	/* magic to crc, the salt within */
#define SPOOLREC_MAGIC		"NCSQ"
#define SPOOLREC_VERSION	1
#define SPOOLREC_HDRLEN		16	/* up to and with the header's crc */
#define SPOOLREC_TRLLEN		4	/* the body's crc */
/*
 * The largest body.  A MSG record holds one session message, whose
 * payload is at most 64 KiB (SESSIONS.md 1), with its addressing and
 * spool metadata; a file's bytes live in a file of their own, and its
 * records carry only metadata and progress; STATE records are a few
 * dozen bytes.  1 MiB leaves ample room for all of them while bounding
 * the buffer a reader needs for one record, and how far a length field
 * that verifies can ever send the scan.
 */
#define SPOOLREC_MAXBODY	(1024 * 1024)
/* Bytes on disk of a record with a body of n bytes. */
#define SPOOLREC_SIZE(n)	(SPOOLREC_HDRLEN + (size_t)(n) + SPOOLREC_TRLLEN)

enum spoolrec_kind {
	SPOOLREC_MSG = 1,	/* a message kept for later delivery */
	SPOOLREC_FILE = 2,	/* a file kept for later delivery */
	SPOOLREC_STATE = 3,	/* a change of an entry's state */
	SPOOLREC_CKPT = 4	/* part of a checkpoint (doc/SPOOL.md 10) */
};

/* Why a stretch of a segment image holds no good record. */
enum spoolrec_damage {
	SPOOLREC_BAD_MAGIC = 1,	/* no record starts where one should */
	SPOOLREC_BAD_HDRCRC,	/* the header's crc does not verify */
	SPOOLREC_BAD_HEADER,	/* it does, but a field is not allowed */
	SPOOLREC_BAD_BODYCRC,	/* the body's crc does not verify */
	SPOOLREC_PAST_END	/* cut off by the end of the image: torn */
};

/*
 * CRC-32C (Castagnoli): crc32c(0, p, n) is the CRC of p[0..n); pass the
 * result back in as crc to go on over more bytes.
 */
uint32_t	spoolrec_crc32c(uint32_t crc, const void *p, size_t n);

/*
 * The header of a segment with that salt (random, from the caller:
 * RAND_bytes), into out.
 */
void	spoolrec_seghdr(const uint8_t salt[SPOOLREC_SALTLEN],
	    uint8_t out[SPOOLREC_SEGHDRLEN]);
/*
 * Check the segment header at the start of seg[0..len): 0 and its salt
 * in salt, or -1 when the image is shorter than a header, or its magic,
 * version, reserved bytes or crc are not what spoolrec_seghdr writes.
 */
int	spoolrec_seghdr_check(const uint8_t *seg, size_t len,
	    uint8_t salt[SPOOLREC_SALTLEN]);

/*
 * Write the header of a record of that kind with a body of len bytes, for
 * a segment with that salt, into hdr, and the body's trailer into trl:
 * what goes before and after the body, for a writer that gathers them
 * with writev.  0, or -1 for an unknown kind or a body over
 * SPOOLREC_MAXBODY.
 */
int	spoolrec_header(const uint8_t salt[SPOOLREC_SALTLEN], uint8_t kind,
	    size_t len, uint8_t hdr[SPOOLREC_HDRLEN]);
void	spoolrec_trailer(const uint8_t *body, size_t len,
	    uint8_t trl[SPOOLREC_TRLLEN]);
/*
 * The whole record in out[0..outsz), its length in *outlen: 0, or -1
 * (nothing written) for an unknown kind, a body over SPOOLREC_MAXBODY or
 * an out too small for SPOOLREC_SIZE(len).
 */
int	spoolrec_encode(const uint8_t salt[SPOOLREC_SALTLEN], uint8_t kind,
	    const uint8_t *body, size_t len, uint8_t *out, size_t outsz,
	    size_t *outlen);

/*
 * Called for each good record, in order: its offset in the image, kind
 * and body (pointing into the image).  A non-zero return stops the scan,
 * which returns that value.
 */
typedef int	(*spoolrec_record_cb)(size_t off, uint8_t kind,
		    const uint8_t *body, size_t len, void *arg);
/*
 * Called for each damaged stretch: where it starts, how many bytes the
 * scan skipped and why.  A stretch with SPOOLREC_PAST_END is the last.
 */
typedef void	(*spoolrec_damage_cb)(size_t off, size_t skipped,
		    enum spoolrec_damage why, void *arg);

struct spoolrec_scan {
	size_t	records;	/* good records delivered */
	size_t	damaged;	/* damaged stretches reported */
	/*
	 * The offset just after the last good record (0 if none): no good
	 * record lies beyond it, so an appender truncates the file here.
	 */
	size_t	end;
	int	torn;		/* 1: the image ends in a torn record */
	size_t	tornoff;	/* where that record starts */
};

/*
 * Walk the records of a segment with that salt, seg[0..len): the image
 * after the segment header, offsets counted from there (the caller checks
 * the segment header and adds SPOOLREC_SEGHDRLEN).  Good records go to
 * on_record; damage goes to on_damage (either may be NULL).  After a bad
 * body the scan resumes at the end of that record, whose length its
 * header vouched for; after other damage, at the next offset where a
 * header verifies.  A record whose header verifies but whose end lies
 * past len is a torn tail: reported as SPOOLREC_PAST_END, and the scan
 * stops there.  *res (which may be NULL) says what was found.  0 once
 * the whole image is walked, or the non-zero value on_record returned.
 * Reads only seg[0..len), and each byte a bounded number of times.
 */
int	spoolrec_scan(const uint8_t salt[SPOOLREC_SALTLEN], const uint8_t *seg,
	    size_t len, spoolrec_record_cb on_record, spoolrec_damage_cb on_damage,
	    void *arg, struct spoolrec_scan *res);
/* A short text for a damage reason, for logs. */
const char	*spoolrec_damage_str(enum spoolrec_damage);

#endif
