/*
 * libnetcrypt: attach to the local netcryptd as a session, exchange
 * messages and files with sessions on this host and on linked hosts.
 *
 * The library never prints and never exits: every function returns a
 * status or -1 with errno set, and a text for humans where one helps.
 * A session is not thread-safe; use one per thread.
 */
#ifndef NETCRYPT_H
#define NETCRYPT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Delivery status, as the daemon reports it (also NAK codes). */
#define NC_OK			0
#define NC_NO_SUCH_SESSION	1
#define NC_NO_SUCH_PEER		2
#define NC_UNREACHABLE		3
#define NC_TOO_LARGE		4
#define NC_QUEUE_FULL		5
#define NC_NAME_IN_USE		6
#define NC_BAD_NAME		7
#define NC_REJECTED		8
#define NC_BUSY			9
#define NC_NOT_ALLOWED		10	/* attach: the session policy refused */
/* Messages with a lifetime (nc_send_within()). */
#define NC_QUEUED		11	/* kept durably, not delivered yet */
#define NC_EXPIRED		12	/* its lifetime ended undelivered */
#define NC_SPOOL_FULL		13	/* no room in a spool: not kept */
#define NC_AT_PEER		14	/* the peer's spool has it */
#define NC_UNKNOWN_ID		15	/* no such spool id (nc_query()) */
#define NC_DROPPED		16	/* dropped by a daemon's administrator */
#define NC_TIMEOUT		100	/* no answer in time (library) */
#define NC_FILE_CORRUPT		101	/* size or SHA-256 mismatch */
#define NC_FILE_IO		102	/* the receiver could not write it */
#define NC_FILE_NO_SPACE	103	/* it would leave too little free */

#define NC_MAX_PAYLOAD		65279	/* bytes of a message's text */
#define NC_NAME_MAX		64
#define NC_LIFETIME_MAX		7776000	/* seconds: 90 days */

struct nc_session;

/* Default socket: RUNSTATEDIR "/netcryptd/session.sock". */
const char	*nc_default_socket(void);
/* A short English text for a status code. */
const char	*nc_status_str(int status);

/*
 * Connect and attach under name (NULL or "" = anonymous, send-only).
 * Returns NC_OK with *sp set, an NC_* status from the daemon (name in
 * use, bad name, not allowed for this user), or -1 with errno (and err
 * filled) when the daemon cannot be reached.
 */
int	nc_open(struct nc_session **sp, const char *socket_path,
	    const char *name, char *err, size_t errsz);
void	nc_close(struct nc_session *);
const char *nc_session_name(const struct nc_session *);
const char *nc_daemon_name(const struct nc_session *);
/* The descriptor to poll for reading in the caller's own loop. */
int	nc_fd(const struct nc_session *);

/*
 * Send a text message to "name", "name@peer", "*" or "*@peer".
 * nc_send() queues it and returns at once with its id (receipts come as
 * NC_EV_RECEIPT events; with want_receipt 0 only failures are reported);
 * nc_send_wait() waits (at most timeout_ms) for the receipt and returns
 * its status.
 */
int	nc_send(struct nc_session *, const char *to, const void *msg,
	    size_t len, int want_receipt, uint64_t *id);
int	nc_send_wait(struct nc_session *, const char *to, const void *msg,
	    size_t len, int timeout_ms);

/*
 * Bursts.  nc_send_more() is nc_send() (same checks, results, ids and
 * receipts) but only queues the message: the library writes once 32 KiB
 * have been queued since its last write, or when nc_flush(), nc_send(),
 * nc_send_wait(), nc_next() or nc_close() is called.  nc_flush() writes
 * what is queued without waiting: 0 when all of it is written, 1 when the
 * socket is full and some waits (for the next nc_flush(), nc_next() or
 * nc_send(); poll nc_fd() for writing), -1 on error.
 */
int	nc_send_more(struct nc_session *, const char *to, const void *msg,
	    size_t len, int want_receipt, uint64_t *id);
int	nc_flush(struct nc_session *);

/* Events returned by nc_next(). */
#define NC_EV_MESSAGE		1	/* from, data, len */
#define NC_EV_RECEIPT		2	/* id, status */
#define NC_EV_FILE_SAVED	3	/* from, name (saved as), size */
#define NC_EV_FILE_FAILED	4	/* from, name, status */
#define NC_EV_PEERS		5	/* data: "name state\n" lines */
#define NC_EV_QUEUED		6	/* id (the send's), size: spool id */
#define NC_EV_FINAL		7	/* id (spool id), status */
#define NC_EV_STATE		8	/* id (spool id), status */

struct nc_event {
	int		 type;
	char		 from[2 * NC_NAME_MAX + 2];	/* "name@peer" */
	const uint8_t	*data;		/* valid until the next call */
	size_t		 len;
	uint64_t	 id;
	int		 status;
	char		 name[256];	/* files: the name saved as */
	uint64_t	 size;
};

/*
 * An NC_EV_MESSAGE that waited in the daemon's spool has its spool id in
 * id (0 for the others); the library tells the daemon it was taken when
 * nc_next() returns it, and never returns the same spool id twice (of
 * the last NC_SPOOL_SEEN it returned).
 */
#define NC_SPOOL_SEEN		4096

/*
 * The next event, waiting at most timeout_ms (-1: forever, 0: only what
 * is already there).  1 with *ev filled, 0 on timeout, -1 on error
 * (errno; EPIPE when the daemon closed the session).
 */
int	nc_next(struct nc_session *, struct nc_event *ev, int timeout_ms);

/* Ask for the daemon's peers; the answer comes as NC_EV_PEERS. */
int	nc_request_peers(struct nc_session *);

/*
 * Messages with a lifetime: kept on disk by the daemons until delivered,
 * for at most seconds (1 to NC_LIFETIME_MAX), to one "name" or
 * "name@peer".  nc_send_within() and nc_send_within_more() are nc_send()
 * and nc_send_more() with a lifetime: the daemon answers NC_EV_QUEUED
 * (with the spool id) once the message is on disk, or NC_EV_RECEIPT with
 * the reason it was not kept; later NC_EV_FINAL says what became of it
 * (NC_OK delivered, NC_EXPIRED, or a failure), to a session of the
 * sending name.  nc_send_within_wait() waits for the first answer:
 * NC_QUEUED with *spool_id set, or the failure.  nc_wait_final() waits
 * for the end of a spool id (NC_TIMEOUT if not in timeout_ms).
 * nc_query() asks the daemon what became of a spool id (NC_EV_STATE);
 * nc_query_wait() waits for that answer and returns its status.
 */
int	nc_send_within(struct nc_session *, const char *to, const void *msg,
	    size_t len, uint32_t seconds, uint64_t *id);
int	nc_send_within_more(struct nc_session *, const char *to,
	    const void *msg, size_t len, uint32_t seconds, uint64_t *id);
int	nc_send_within_wait(struct nc_session *, const char *to,
	    const void *msg, size_t len, uint32_t seconds, int timeout_ms,
	    uint64_t *spool_id);
int	nc_wait_final(struct nc_session *, uint64_t spool_id, int timeout_ms);
int	nc_query(struct nc_session *, uint64_t spool_id);
int	nc_query_wait(struct nc_session *, uint64_t spool_id, int timeout_ms);

/*
 * Files.  nc_receive_files() makes nc_next() accept offered files into
 * dir (saved under a safe base name, never overwriting, SHA-256 checked)
 * and report them as NC_EV_FILE_SAVED / NC_EV_FILE_FAILED; it first
 * removes the temporary files an interrupted receive left in dir.
 * Names starting with '.' or '-' are refused, and so is a file over the
 * maximum size or one that would leave less than min_free_percent of
 * the file system free (nc_receive_limits(); 0 turns a check off), or
 * one from a sender that no pattern of nc_receive_from() matches
 * ("name" of this host, "name@host", with '*' and '?'; none: anyone).
 * Each refusal happens before a byte is written and tells the sender.
 * nc_send_file() streams a file and waits for the receiver's verdict:
 * NC_OK only when the receiver saved it and the checksum matched.
 */
#define NC_DEFAULT_MAX_FILE	(1024ULL * 1024 * 1024)	/* 1 GiB */
#define NC_DEFAULT_MIN_FREE	5			/* percent */
int	nc_receive_files(struct nc_session *, const char *dir);
int	nc_receive_limits(struct nc_session *, uint64_t max_size,
	    unsigned int min_free_percent);
int	nc_receive_from(struct nc_session *, const char *const *senders,
	    size_t n);
int	nc_send_file(struct nc_session *, const char *to, const char *path,
	    int timeout_ms, char *err, size_t errsz);

/*
 * Files with a lifetime (doc/SESSIONS.md 5).  nc_send_file_within()
 * queues the file as messages with a lifetime of seconds (its FILE_OFFER,
 * every chunk, its FILE_END), each counted only once the daemon's spool
 * has it on disk, so the spools and the receiver's mailbox need room for
 * the whole file.  It returns NC_QUEUED once all of it is (ids filled;
 * the FILE_END's spool id is the one to follow with nc_query()); the
 * first refusal (NC_SPOOL_FULL, NC_NO_SUCH_PEER, or the receiver's, when
 * it refused the offer already), after which the part already queued is
 * followed by a FILE_ABORT that makes the receiver drop it; NC_TIMEOUT
 * when the daemon answered nothing for timeout_ms; or -1.  The library
 * keeps the FINALs of the file's messages (16 bytes of memory a chunk,
 * until the next file); the program sees only the FILE_END's.
 * nc_file_wait() then waits for the receiver's verdict: NC_OK when it
 * saved the file and the SHA-256 matched, its failure status, or the
 * status that ended the file's messages (NC_EXPIRED, NC_REJECTED...).
 */
struct nc_file_ids {
	uint64_t	 xfer;		/* the transfer */
	uint64_t	 offer;		/* the FILE_OFFER's spool id */
	uint64_t	 end;		/* the FILE_END's spool id */
	uint64_t	 chunks;	/* FILE_DATA messages queued */
	uint64_t	 size;		/* bytes */
};
int	nc_send_file_within(struct nc_session *, const char *to,
	    const char *path, uint32_t seconds, int timeout_ms,
	    struct nc_file_ids *ids, char *err, size_t errsz);
int	nc_file_wait(struct nc_session *, const struct nc_file_ids *ids,
	    int timeout_ms, char *err, size_t errsz);

#ifdef __cplusplus
}
#endif
#endif
