/*
 * The spool's storage engine (doc/SPOOL.md, sections 8 to 13): the
 * entries the spool keeps (OUT: to a peer; BOX: in a local name's
 * mailbox), their states, the per-peer sequence numbers and the origin
 * table that removes duplicates, limits, expiry, and the segment files
 * that hold all of it (spoolseg.c), with recovery at start, checkpoints
 * and the removal of dead segments.
 *
 * No I/O but the spool directory's files and no imsg: spool.c turns imsgs
 * into the calls below and the events back into imsgs.  Changes are
 * staged in memory; sps_commit() appends their records with one fdatasync
 * and only then hands out the answers (group commit).  Reads (fetch,
 * query) see only what is durable: call them with nothing staged.
 */
#ifndef NC_SPOOLSTORE_H
#define NC_SPOOLSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "spoolipc.h"

/* A segment takes no more records once this many follow its checkpoint. */
#define SPS_ROTATE_SIZE		((size_t)16 * 1024 * 1024)
/* Final statuses stay answerable this long after an entry's end. */
#define SPS_RETAIN_SECS		86400
#define SPS_MAX_FINALS		100000	/* statuses kept for SP_QUERY */
#define SPS_MAX_OWED		100000	/* reports owed to peers */
#define SPS_MAX_LIVE		1000000	/* entries kept */
#define SPS_MAX_ORIGINS		4096	/* peers that sent us entries */
#define SPS_MAX_DAMAGE		64	/* damaged stretches remembered */
#define SPS_MAX_RULES		1024	/* mailbox rules */
/* The mailbox of a name no rule matches. */
#define SPS_BOX_DEFAULT_BYTES	((uint64_t)64 * 1024 * 1024)
#define SPS_BOX_DEFAULT_COUNT	100000
/* Entries expired in one commit (the rest wait for the next tick). */
#define SPS_EXPIRE_BATCH	4096
/* After a SP_IN refused for room, later ones of that origin wait this. */
#define SPS_BLOCK_SECS		60

/* What sps_commit() hands out once the changes behind it are durable. */
enum sps_event_type {
	SPS_EV_DONE = 1,	/* u.done: SP_DONE */
	SPS_EV_RESULT_DONE,	/* u.result: SP_OUT_RESULT_DONE */
	SPS_EV_NOTIFY,		/* u.notify and from: SP_NOTIFY */
	SPS_EV_REPORT		/* u.report: SP_REPORT */
};

struct sps_event {
	int	type;
	union {
		struct sp_done		done;
		struct sp_result	result;
		struct sp_notify	notify;
		struct sp_report	report;
	}	u;
	char	from[NC_NAME_MAX];	/* NOTIFY: u.notify.fromlen bytes */
};
typedef void	(*sps_emit_fn)(void *arg, const struct sps_event *);

/* The variable parts of a message, checked by the caller (spool.c). */
struct sps_msg {
	const char	*from;
	size_t		 fromlen;	/* 1..SP_FROM_MAX */
	const char	*to;
	size_t		 tolen;		/* 1..NC_NAME_MAX */
	const uint8_t	*payload;
	size_t		 len;
};

/* One entry of a fetch: its fixed part and variable parts. */
typedef void	(*sps_entry_fn)(void *arg, const struct sp_entry *,
		    const struct sps_msg *);

/* A damaged stretch found in a segment (or an entry found lost). */
struct sps_damage {
	uint64_t	seg;		/* the segment's number */
	uint64_t	off;
	uint64_t	len;
	const char	*why;
};

struct sps_stats {
	uint64_t	appends;	/* appends of staged batches */
	uint64_t	syncs;		/* of them with their fdatasync */
	uint64_t	records;	/* records appended */
	uint64_t	segments;	/* segment files now */
	uint64_t	unlinked;	/* segment files removed */
	uint64_t	live;		/* entries kept */
	uint64_t	finals;		/* statuses kept for SP_QUERY */
	uint64_t	owed;		/* reports owed */
	uint64_t	bytes;		/* counted against total_bytes */
	uint64_t	damaged;	/* damaged stretches found */
};

struct spoolstore;

/*
 * 1 if from and to are names an entry may carry: session names (to
 * always; from too, or "name@peer" when remote).
 */
int	sps_names_valid(const char *from, size_t fromlen, int remote,
	    const char *to, size_t tolen);

/*
 * Open the spool in dirfd (the caller holds its lock): read every
 * segment, rebuild the entries, start a new segment with a checkpoint,
 * remove dead segments.  emit gets the answers of later commits.
 * NULL (logged) when the directory cannot be used.
 */
struct spoolstore	*sps_open(int dirfd, uint64_t now, sps_emit_fn emit,
			    void *arg);
void			 sps_close(struct spoolstore *);
/* Limits and mailbox rules (copied); before this, none but defaults. */
void	sps_settings(struct spoolstore *, const struct sp_settings *,
	    const struct sp_mailbox_rule *, size_t nrules);
uint64_t sps_incarnation(const struct spoolstore *);
void	sps_get_stats(const struct spoolstore *, struct sps_stats *);
/* Up to max damaged stretches remembered since the start; how many. */
size_t	sps_damage(const struct spoolstore *, struct sps_damage *, size_t max);

/*
 * Staged changes: answered through emit at the next sps_commit().  ttl
 * and names are the caller's to check (1..lifetime_max, name rules).
 */
/* Answer req with status (not ST_OK) without keeping anything. */
void	sps_refuse(struct spoolstore *, uint64_t req, uint8_t status);
void	sps_put(struct spoolstore *, const struct sp_put *,
	    const struct sps_msg *, uint64_t now);
void	sps_in(struct spoolstore *, const struct sp_in *,
	    const struct sps_msg *, uint64_t now);
void	sps_out_result(struct spoolstore *, const struct sp_result *,
	    uint64_t now);
void	sps_taken(struct spoolstore *, uint64_t id, uint64_t now);
void	sps_reported(struct spoolstore *, const struct sp_report *);
/* Lifetimes that ended, statuses no longer kept. */
void	sps_expire(struct spoolstore *, uint64_t now);
/* 1 when something is staged. */
int	sps_pending(const struct spoolstore *);
/*
 * 1 when what is staged must be committed now: anything but what a
 * peer's SFINAL ends and the records that need no sync, whose answers
 * may wait a few milliseconds for a commit that shares the sync.
 */
int	sps_urgent(const struct spoolstore *);
/*
 * Append what is staged (one fdatasync), then emit the answers.  0, or
 * -1 when the append failed: entries staged are dropped and answered
 * ST_SPOOL_FULL, the rest becomes durable in a new segment (fatal if
 * none can be made).
 */
int	sps_commit(struct spoolstore *, uint64_t now);

/*
 * Reads, with nothing staged.  A fetch hands entries to fn in order and
 * fills *end (count, more); sps_report_fetch emits SPS_EV_REPORT for
 * every report owed to fp.
 */
void	sps_out_fetch(struct spoolstore *, const struct sp_fetch *,
	    uint64_t now, sps_entry_fn fn, void *arg, struct sp_fetch_end *end);
void	sps_box_fetch(struct spoolstore *, const struct sp_fetch *,
	    uint64_t now, sps_entry_fn fn, void *arg, struct sp_fetch_end *end);
void	sps_report_fetch(struct spoolstore *, const uint8_t fp[NC_SHA256_LEN]);
uint8_t	sps_query(struct spoolstore *, uint64_t id, uint64_t now);

/*
 * netcryptctl queue (spoolctl.c).  sps_drop stages the end of entry id
 * with status 16 (ST_DROPPED), told to its sender or its origin like any
 * other end, or says why it cannot: an entry the peer has, or one handed
 * to a link or a session, which may have it, is not the spool's alone
 * to end (*ended: the status of an entry that has ended already).
 */
#define SPS_DROP_OK		0
#define SPS_DROP_UNKNOWN	1	/* no such entry */
#define SPS_DROP_ENDED		2	/* ended already: *ended */
#define SPS_DROP_NOT_YET	3	/* not durable yet */
#define SPS_DROP_AT_PEER	4	/* the peer's spool has it */
#define SPS_DROP_SENT		5	/* sent to the peer, unanswered */
#define SPS_DROP_HANDED		6	/* handed to a session, not taken */
int	sps_drop(struct spoolstore *, uint64_t id, uint8_t *ended);

#define SPS_LIST_MAX		1000	/* entries, mailboxes a listing shows */

/* A peer's name, for the listing (from the network child). */
struct sps_peername {
	uint8_t		fp[NC_SHA256_LEN];
	char		name[NC_NAME_MAX + 1];
};

/*
 * The answer's text, malloc'd (NULL: out of memory), with nothing
 * staged: *failed set when it is an error to show as one.  A drop's
 * answer is made after the commit, from what sps_drop returned.
 */
char	*sps_ctl_list(struct spoolstore *, const struct sps_peername *,
	    size_t, int json, uint64_t now);
char	*sps_ctl_show(struct spoolstore *, uint64_t id,
	    const struct sps_peername *, size_t, int json, uint64_t now,
	    int *failed);
char	*sps_ctl_drop_text(uint64_t id, int result, uint8_t ended,
	    int *failed);
/* At start: the first entries for each peer may be at the peer. */
void	sps_mark_maybe_sent(struct spoolstore *);

#endif
