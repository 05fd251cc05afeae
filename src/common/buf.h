/*
 * Exact-size, fail-closed readers and writers for byte strings in network
 * byte order.  A reader that runs short sets its error flag and returns
 * zeros from then on, so a parser checks once, at the end, with
 * rd_done(), which also fails when bytes are left over.
 */
#ifndef NC_BUF_H
#define NC_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct reader {
	const uint8_t	*p;
	size_t		 left;
	int		 err;
};

static inline void
rd_init(struct reader *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->err = 0;
}

/* Returns a pointer to the next n bytes, or NULL (and the error flag). */
static inline const uint8_t *
rd_bytes(struct reader *r, size_t n)
{
	const uint8_t	*p;

	if (r->err || n > r->left) {
		r->err = 1;
		r->left = 0;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static inline int
rd_copy(struct reader *r, void *out, size_t n)
{
	const uint8_t	*p = rd_bytes(r, n);

	if (p == NULL)
		return -1;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

static inline uint8_t
rd_u8(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 1);

	return p ? p[0] : 0;
}

static inline uint16_t
rd_u16(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 2);

	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint32_t
rd_u32(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 4);

	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3] : 0;
}

static inline uint64_t
rd_u64(struct reader *r)
{
	uint64_t	hi = rd_u32(r);

	return (hi << 32) | rd_u32(r);
}

/* 0 when everything was read and nothing is left over. */
static inline int
rd_done(const struct reader *r)
{
	return (r->err || r->left != 0) ? -1 : 0;
}

/* A big-endian u32 at p, whose 4 bytes the caller has checked are there. */
static inline uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
get_u64(const uint8_t *p)
{
	return ((uint64_t)get_u32(p) << 32) | get_u32(p + 4);
}

static inline void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

#endif
