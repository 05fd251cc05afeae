/*
 * The fake daemon of the libnetcrypt unit tests (check_lib, check_libsend,
 * check_libfiles, check_libsendfile): the test plays the daemon on the
 * other end of a socketpair, writing and reading session protocol records
 * (doc/SESSIONS.md) by hand; and the temporary directories and files that
 * the file transfer tests use.  Every helper fails the running test on a
 * surprise.
 */
#ifndef NC_TEST_LIBFAKE_H
#define NC_TEST_LIBFAKE_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "internal.h"

#define TMO		2000	/* ms: every wait for the library */
#define REC_MAX		(4 + SP_MAX_LEN)

/* Set in a child that relays: a write to a receiver gone is no failure. */
extern int	relaying;

/* ---- records --------------------------------------------------------- */

void		 write_all(int fd, const void *buf, size_t len);
void		 put_rec(int fd, uint8_t type, const void *body, size_t len);
/* Read exactly len bytes, waiting at most TMO for each piece; 0 on EOF. */
int		 read_full(int fd, uint8_t *p, size_t len);
/* One record from the library: its type; the body in buf. */
size_t		 get_rec(int fd, uint8_t *type, uint8_t *buf);
/* Whether fd stays silent for 50 ms. */
int		 nothing_to_read(int fd);
void		 put_attached(int fd, int status, const char *dname,
		    const char *sname);
void		 put_receipt(int fd, uint64_t cid, int status);
/* DELIVER from, payload = ct then p1 then p2. */
void		 put_deliver(int fd, const char *from, uint8_t ct,
		    const void *p1, size_t l1, const void *p2, size_t l2);
void		 put_text(int fd, const char *from, const char *text);
/* Messages with a lifetime (SESSIONS.md 6): SDELIVER, QUEUED, FINAL, STATE. */
void		 put_sdeliver(int fd, uint64_t id, const char *from,
		    uint8_t ct, const void *p1, size_t l1);
void		 put_queued(int fd, uint64_t cid, uint64_t id);
void		 put_id_status(int fd, uint8_t type, uint64_t id, int status);
/* The next record is of type want (TAKEN, QUERY): its u64 id. */
uint64_t	 get_id_rec(int fd, uint8_t want);
/* A session attached as name over a socketpair; *dfd is the daemon end. */
struct nc_session *mk_session(int *dfd, const char *name);
/* The next event, within TMO. */
void		 next_ev(struct nc_session *s, struct nc_event *ev);
/* The SEND the library wrote; checks to, returns the payload length. */
size_t		 get_send(int fd, const char *to, uint64_t *cid, int *flags,
		    uint8_t *pl);
/* The library's FILE_RESULT of transfer xfer to to says status. */
void		 expect_result(int fd, const char *to, uint64_t xfer,
		    int status);

/* ---- files: payloads and directories --------------------------------- */

void		 sha256(const void *p, size_t len, uint8_t out[NC__SHA_LEN]);
void		 put_offer(int fd, const char *from, uint64_t xfer,
		    uint64_t size, const uint8_t *sha, const void *name,
		    size_t nlen);
void		 put_data(int fd, const char *from, uint64_t xfer,
		    uint64_t off, const void *data, size_t len);
void		 put_end(int fd, const char *from, uint64_t xfer);

extern char	 tdir[64];	/* the test's own temporary directory */
extern char	 odir[80];	/* tdir/out: where files are received */

/* Make tdir and odir (removed at exit too); rm_dirs() removes them. */
void		 mk_dirs(void);
void		 rm_dirs(void);
int		 count_entries(const char *dir);
/* dir/name holds exactly len bytes of data, mode 0600. */
void		 check_file(const char *dir, const char *name,
		    const void *data, size_t len);
void		 write_file(const char *path, const void *data, size_t len);

/* Run the suite (SIGPIPE ignored); the exit status of main(). */
int		 libfake_run(Suite *);

#endif
