/*
 * libnetcrypt internals, shared by netcrypt.c (sessions and messages),
 * output.c and input.c (the session protocol's two directions), file.c,
 * filesend.c and receive.c (file transfers), and by the unit tests.
 * Nothing here is API: every function is named nc__ so that it cannot
 * clash with a program's.
 */
#ifndef NC_INTERNAL_H
#define NC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "namepat.h"
#include "netcrypt.h"
#include "session_proto.h"

#define NC__ATTACH_MS	10000		/* for connect + ATTACH/ATTACHED */
#define NC__CLOSE_MS	1000		/* nc_close() flushing what is left */
#define NC__ROOM_MS	10000		/* waiting for room in the output */
#define NC__QMAX	128		/* events kept for nc_next() */
#define NC__QBYTES	(2 * 1024 * 1024)	/* their data */
#define NC__OUT_MAX	(1024 * 1024)	/* output queued for the daemon */
#define NC__BATCH	(32 * 1024)	/* nc_send_more(): bytes that make a write */
#define NC__IN_SIZE	(4 + SP_MAX_LEN)	/* one whole record */
#define NC__RX_MAX	16		/* files received at once */
#define NC__SLOT_KEEP	256		/* event buffers a queue slot keeps */
#define NC__RX_IDLE_MS	60000		/* an idle incoming file is dropped */
#define NC__DONE_MAX	16		/* results remembered */
#define NC__END_RETRY_MS 5000		/* FILE_END again if no result */
#define NC__WINDOW	32		/* file chunks in flight */
#define NC__CHUNK	(NC_MAX_PAYLOAD - 17)	/* data bytes per chunk */
#define NC__BACKOFF_MIN	10		/* ms, after busy/queue full */
#define NC__BACKOFF_MAX	1000
#define NC__FROM_MAX	(2 * NC_NAME_MAX + 1)	/* "name@peer" */
#define NC__FROM_PATS_MAX 64		/* nc_receive_from() patterns */
#define NC__LOCK_TRIES	100		/* ms waiting for a directory lock */
#define NC__TMP_PREFIX	".nc-"		/* then 12 hex digits: temporary files */
#define NC__TMP_HEX	12
#define NC__SHA_LEN	32
#define NC__SEEN_BUCKETS 1024		/* hash chains of the spool ids seen */
#define NC__SEEN_NIL	0xffff		/* the end of a chain */
#define NC__EV_NONE	0		/* a queued event a wait took */
/* Files with a lifetime (filewithin.c, fileresume.c). */
#define NC__WFLIGHT	32		/* their messages awaiting QUEUED */
#define NC__WSET_MAX	(1U << 20)	/* spool ids a transfer remembers */
#define NC__ABORT_MS	5000		/* trying to queue a FILE_ABORT */
#define NC__VERDICT_MS	60000		/* FILE_RESULT after the END's FINAL */
#define NC__RX_SPOOLED	8		/* spooled files received at once */
#define NC__PEND_MAX	16		/* chunks written, TAKEN held for fsync */
#define NC__STMP_PREFIX	".ncs-"		/* then 16 hex digits: spooled files */
#define NC__STMP_HEX	16
#define NC__SAVED_KEEP_S 86400		/* a saved one's second name kept */

/* nc__wait(): what a nc_*_wait() call waits for. */
#define NC__WAIT_SEND	0		/* RECEIPT (or QUEUED) of wait_cid */
#define NC__WAIT_FINAL	1		/* FINAL of wait_id */
#define NC__WAIT_STATE	2		/* STATE of wait_id */

/* Content type headers, after the type byte. */
#define NC__OFFER_HDR	(8 + 8 + NC__SHA_LEN + 2)
#define NC__DATA_HDR	(8 + 8)
#define NC__END_LEN	8
#define NC__RESULT_LEN	(8 + 1)
#define NC__ABORT_LEN	(8 + 1)

struct nc__queued {
	struct nc_event	 ev;
	uint8_t		*data;		/* owned; ev.data points here */
	size_t		 cap;		/* its size */
};

/* One incoming file (file.c). */
struct nc__rx {
	int		 used;
	char		 from[NC__FROM_MAX + 1];
	uint64_t	 xfer;
	uint64_t	 size;		/* offered */
	uint64_t	 got;		/* written, in order */
	uint8_t		 sha[NC__SHA_LEN];	/* offered */
	void		*md;		/* EVP_MD_CTX, running over the data */
	int		 fd;		/* the temporary file */
	char		 tmp[32];	/* its name in the directory */
	char		 name[256];	/* the offered (valid) name */
	int64_t		 last;		/* ms of the last record for it */
	uint64_t	 offer_id;	/* spooled: the OFFER's spool id, or 0 */
	int		 saved;		/* spooled: found linked already */
	int		 dirty;		/* spooled: written since its fsync */
};

/* A finished incoming file, remembered to answer a resent FILE_END. */
struct nc__done {
	char		 from[NC__FROM_MAX + 1];
	uint64_t	 xfer;
	int		 status;
};

/*
 * The spool ids of the last NC_SPOOL_SEEN messages handed to the program
 * (spool.c): a ring, oldest first, and hash chains through it to look an
 * id up in a few steps.
 */
struct nc__seen {
	uint64_t	 ids[NC_SPOOL_SEEN];
	uint16_t	 next[NC_SPOOL_SEEN];	/* chain, or NC__SEEN_NIL */
	uint16_t	 head[NC__SEEN_BUCKETS];
	size_t		 count;		/* ids held, up to NC_SPOOL_SEEN */
	size_t		 oldest;	/* once full: the ring's next victim */
};

/* A file to send, opened and hashed (filesend.c). */
struct nc__src {
	int		 fd;
	uint64_t	 size;
	uint8_t		 sha[NC__SHA_LEN];
	uint64_t	 xfer;		/* random */
	const char	*name;		/* the base name offered */
	size_t		 namelen;
	uint8_t		*buf;		/* one FILE_DATA payload */
};

/*
 * The last file a session queued with a lifetime (filewithin.c): its
 * spool ids, so that their FINALs are the library's, and what came back.
 */
struct nc__wfile {
	uint64_t	 xfer;
	uint64_t	 end;		/* FILE_END's spool id, 0 until queued */
	uint64_t	*set;		/* the other ids; 0 is an empty slot */
	size_t		 mask;		/* set has mask + 1 slots, or is NULL */
	size_t		 nset;
	int		 result;	/* FILE_RESULT's status, -1 */
	int		 failed;	/* a FINAL other than 0 of the set */
	int		 end_final;	/* the END's FINAL, -1 until it came */
	int		 waiting;	/* nc_file_wait() takes the END's FINAL */
};

struct nc__tx;
struct nc__wtx;

struct nc_session {
	int		 fd;
	int		 eof;		/* the daemon closed its side */
	int		 wdead;		/* writing failed: output dropped */
	int		 error;		/* sticky errno, 0 while healthy */
	int		 attached;	/* ATTACHED came */
	int		 attach_status;	/* and said this */
	int		 anonymous;	/* attached without a name */
	char		 name[256];	/* the session's, as the daemon says */
	char		 daemon[256];
	uint64_t	 cid;		/* the last id handed out */

	uint8_t		*in;		/* NC__IN_SIZE bytes */
	size_t		 inoff, inlen;	/* unparsed: in[inoff, inoff+inlen) */

	uint8_t		*out;
	size_t		 outoff, outlen, outcap;
	size_t		 held;		/* queued since the last write attempt */

	struct nc__queued q[NC__QMAX + NC__RX_MAX];
	size_t		 qhead, qcount, qbytes;
	uint8_t		*evdata;	/* of the event last returned */
	size_t		 evcap;
	/* evdata once the caller is done with it, for the next event. */
	uint8_t		*spare;
	size_t		 sparecap;

	/* nc_send_wait() and the others: the answer it waits for. */
	int		 waiting;
	int		 wait_kind;	/* NC__WAIT_* */
	uint64_t	 wait_cid;
	uint64_t	 wait_id;	/* a spool id: FINAL or STATE */
	int		 wait_status;	/* -1 until it came */
	uint64_t	 wait_spool;	/* QUEUED's spool id */

	struct nc__seen	*seen;		/* spool ids handed, or NULL */

	struct nc__tx	*tx;		/* nc_send_file() running, or NULL */
	struct nc__wtx	*wtx;		/* nc_send_file_within() running */
	struct nc__wfile *wfile;	/* the last file it queued, or NULL */
	uint64_t	 wcid_first;	/* the library's cids sent with a */
	uint64_t	 wcid_last;	/* lifetime: the first and the last */

	int		 dirfd;		/* nc_receive_files(), or -1 */
	uint64_t	 rx_max_size;	/* 0: any size */
	unsigned int	 rx_min_free;	/* percent, 0: no check */
	char		(*rx_from)[NC__SENDER_PAT_MAX + 1];
	size_t		 rx_nfrom;	/* 0: from anyone */
	struct nc__rx	 rx[NC__RX_MAX];
	int		 rx_idle_ms;	/* NC__RX_IDLE_MS; tests shorten it */
	struct nc__done	 done[NC__DONE_MAX];	/* answered, for resent ENDs */
	size_t		 ndone;
	uint64_t	 pend[NC__PEND_MAX];	/* spooled chunks written, */
	size_t		 npend;		/* their TAKEN after an fsync */

	uint64_t	 ignored;	/* payloads of unknown content types */
	uint64_t	 lost;		/* events dropped at the hard cap */
};

/* netcrypt.c */
int	 nc__attach(struct nc_session **, int, const char *, char *,
	    size_t);
int64_t	 nc__now_ms(void);
int	 nc__ms_left(int64_t, int);
int	 nc__valid_name(const char *, size_t);
int	 nc__valid_to(const char *, size_t, int);
uint64_t nc__cid(struct nc_session *, int);
int	 nc__cid_internal(uint64_t);
int	 nc__usable(struct nc_session *);
int	 nc__random(void *, size_t);
int	 nc__queue_text(struct nc_session *, const char *, const void *,
	    size_t, int, uint32_t, uint64_t *);
int	 nc__wait(struct nc_session *, int64_t);

/* output.c */
int	 nc__queue_rec(struct nc_session *, uint8_t, const void *, size_t);
int	 nc__put_send(struct nc_session *, uint64_t, int, uint32_t,
	    const char *, size_t, const void *, size_t, const void *, size_t);
int	 nc__send_rec(struct nc_session *, uint64_t, int, const char *,
	    const void *, size_t, const void *, size_t);
int	 nc__flush_out(struct nc_session *);
int	 nc__wait_room(struct nc_session *, size_t, int);
int	 nc__room(const struct nc_session *, size_t);

/* input.c */
int	 nc__pump(struct nc_session *, int);
int	 nc__parse_in(struct nc_session *);
int	 nc__drained(const struct nc_session *);
int	 nc__push_event(struct nc_session *, const struct nc_event *,
	    const void *, size_t);
void	 nc__pop_event(struct nc_session *, struct nc_event *);
int	 nc__deliver(struct nc_session *, uint64_t, const uint8_t *, size_t);
int	 nc__proto_error(struct nc_session *);

/* spool.c */
int	 nc__on_queued(struct nc_session *, const uint8_t *, size_t);
int	 nc__on_sdeliver(struct nc_session *, const uint8_t *, size_t);
int	 nc__on_end(struct nc_session *, uint8_t, const uint8_t *, size_t);
void	 nc__spool_taken(struct nc_session *, uint64_t);
int	 nc__seen_has(const struct nc_session *, uint64_t);
int	 nc__seen_add(struct nc_session *, uint64_t);

/* file.c (receiving) and filesend.c */
void	 nc__file_input(struct nc_session *, const char *, const uint8_t *,
	    size_t, uint64_t);
int	 nc__src_open(struct nc__src *, const char *, char *, size_t);
void	 nc__src_close(struct nc__src *);
int	 nc__pread_all(int, uint8_t *, size_t, uint64_t);
void	 nc__tx_receipt(struct nc_session *, uint64_t, int);
void	 nc__tx_result(struct nc_session *, const uint8_t *, size_t);
void	 nc__rx_expire(struct nc_session *, int64_t);
int	 nc__rx_wait(const struct nc_session *, int64_t);
void	 nc__rx_fail(struct nc_session *, struct nc__rx *, int);
void	 nc__rx_fail_all(struct nc_session *);
void	 nc__rx_close_all(struct nc_session *);
void	 nc__rx_free_all(struct nc_session *);

/* filewithin.c */
int	 nc__wtx_queued(struct nc_session *, uint64_t, uint64_t);
void	 nc__wtx_receipt(struct nc_session *, uint64_t, int);
int	 nc__wfile_final(struct nc_session *, uint64_t, int);
void	 nc__wfile_free(struct nc_session *);

/* fileresume.c */
int	 nc__rx_spool_open(struct nc_session *, struct nc__rx *);
void	 nc__rx_saved_name(struct nc_session *, const struct nc__rx *,
	    char *, size_t);
void	 nc__rx_written(struct nc_session *, struct nc__rx *, uint64_t);
void	 nc__rx_sync(struct nc_session *);
void	 nc__rx_sync_idle(struct nc_session *);
int	 nc__spooled_tmp_name(const char *);
void	 nc__spooled_stale(int, const char *, int64_t);

/* receive.c */
int	 nc__valid_file_name(const uint8_t *, size_t);
int	 nc__space_ok(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
	    unsigned int);
int	 nc__rx_space(struct nc_session *, uint64_t);
int	 nc__rx_sender_ok(const struct nc_session *, const char *);
int	 nc__stale_tmp_name(const char *);
int	 nc__lock_within(int, int);
void	 nc__remove_stale(int);

/* Big-endian integers. */
static inline uint16_t
nc__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
nc__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
nc__get64(const uint8_t *p)
{
	return (uint64_t)nc__get32(p) << 32 | nc__get32(p + 4);
}

static inline void
nc__put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
nc__put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static inline void
nc__put64(uint8_t *p, uint64_t v)
{
	nc__put32(p, (uint32_t)(v >> 32));
	nc__put32(p + 4, (uint32_t)v);
}

#endif
