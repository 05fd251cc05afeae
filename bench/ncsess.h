/*
 * The session protocol spoken raw (ncsess.c), for ncspool.c.
 */
#ifndef NC_BENCH_NCSESS_H
#define NC_BENCH_NCSESS_H

#include <stddef.h>
#include <stdint.h>

#define SESS_WINDOW_MAX	8192		/* SENDs a connection may buffer */
#define SESS_INCAP	(256 * 1024)

/* A session connection: non-blocking, buffered both ways. */
struct sconn {
	int		 fd;
	uint8_t		*in, *out;
	size_t		 inlen, outlen, outcap;
};

void		put_u32(uint8_t *, uint32_t);
void		put_u64(uint8_t *, uint64_t);
uint64_t	get_u64(const uint8_t *);

size_t	rec_attach(uint8_t *, size_t cap, const char *name, uint8_t flags);
size_t	rec_send(uint8_t *, size_t cap, uint64_t cid, uint8_t flags,
	    uint32_t lifetime, const char *to, const uint8_t *, size_t);
size_t	rec_taken(uint8_t *, size_t cap, uint64_t id);
size_t	rec_next(const uint8_t *, size_t, uint8_t *type,
	    const uint8_t **body, size_t *blen);
int	rec_delivered(uint8_t type, const uint8_t *, size_t, uint64_t *id,
	    const uint8_t **pay, size_t *plen);

void	 s_connect(struct sconn *, const char *path);
uint8_t	*s_room(struct sconn *, size_t);
int	 s_flush(struct sconn *);
int	 s_read(struct sconn *);
void	 s_records(struct sconn *, void (*)(void *, uint8_t, const uint8_t *,
	     size_t), void *);
void	 s_attach(struct sconn *, const char *name, uint8_t flags);
int	 sess_check(void);

#endif
