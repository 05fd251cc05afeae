/*
 * The spool's segment files on disk (doc/SPOOL.md 1 and 6): create one
 * with its header, append records with one fdatasync for all of them
 * (the group commit), and reopen one after a restart or a crash: check
 * its header, hand back its good records and its damage, and cut off a
 * torn tail before anything is appended.  Plain POSIX calls relative to
 * a directory fd; the record format is spoolrec.c's.
 */
#ifndef NC_SPOOLSEG_H
#define NC_SPOOLSEG_H

#include <stddef.h>
#include <stdint.h>

#include "spoolrec.h"

/*
 * The largest segment file.  Reopening reads a whole segment into memory,
 * so this bounds that buffer; a writer starts a new segment rather than
 * grow one past it (spoolseg_append fails with EFBIG).
 */
#define SPOOLSEG_MAXSIZE	((size_t)64 * 1024 * 1024)

struct spoolseg {
	int	fd;			/* -1 once closed */
	uint8_t	salt[SPOOLREC_SALTLEN];
	size_t	size;			/* bytes in the file; durable but
					   for spoolseg_write(..., 0)'s */
	int	broken;			/* 1: a write or sync failed */
};

/* One record to append: its kind and body. */
struct spoolseg_rec {
	uint8_t		 kind;
	const uint8_t	*body;
	size_t		 len;
};

/*
 * Create the segment name in dirfd (it must not exist) with that salt:
 * its header written, the file fdatasync'ed and the directory fsync'ed.
 * Its fd is open for reading too (the spool reads entries back with
 * pread).  0, or -1 with errno (nothing left behind).
 */
int	spoolseg_create(int dirfd, const char *name,
	    const uint8_t salt[SPOOLREC_SALTLEN], struct spoolseg *);
/*
 * Append n records (n >= 1), with as few writev calls as their number
 * allows, then one fdatasync.  0 only once they are durable.  -1 with
 * errno: EINVAL for an unknown kind or a body over SPOOLREC_MAXBODY, and
 * EFBIG when the segment would pass SPOOLSEG_MAXSIZE (nothing written
 * either way); EIO for a segment already broken; otherwise a write or
 * the sync failed, and the segment is marked broken: nothing more is
 * appended to it (after a failed fdatasync the kernel may have dropped
 * the dirty pages, so no retry can be trusted); reopening it finds
 * what reached the disk.
 */
int	spoolseg_append(struct spoolseg *, const struct spoolseg_rec *,
	    size_t n);
/*
 * The same, with the fdatasync left out when sync is 0: for records
 * whose loss in a crash is harmless (they then reach the disk with the
 * next append that syncs, or are found missing or torn at recovery, as
 * any unacknowledged record).
 */
int	spoolseg_write(struct spoolseg *, const struct spoolseg_rec *,
	    size_t n, int sync);
/*
 * Open the segment name in dirfd: read it whole, check its header, scan
 * its records with its salt (good ones to on_record, damage to
 * on_damage, offsets counted from the start of the file; a body is valid
 * only during its call), cut off whatever follows the last good record
 * (ftruncate, fdatasync) and get ready to append.  *res (if not NULL)
 * holds the scan's result, offsets from the start of the file.
 * 0, or -1 with errno: EFBIG for a file over SPOOLSEG_MAXSIZE, EBADMSG
 * for a bad segment header (the file is left as it is), ECANCELED when
 * on_record stopped the scan (nothing truncated), or a system error.
 */
int	spoolseg_open(int dirfd, const char *name,
	    spoolrec_record_cb on_record, spoolrec_damage_cb on_damage,
	    void *arg, struct spoolseg *, struct spoolrec_scan *res);
/* Close the segment's file; safe to call twice. */
void	spoolseg_close(struct spoolseg *);

#endif
