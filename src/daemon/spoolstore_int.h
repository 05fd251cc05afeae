/*
 * The storage engine's insides (spoolstore.c: the entries and their
 * changes; spooldisk.c: records, checkpoints, recovery, segments;
 * spoolmap.c: the tables).  Not for spool.c, which sees spoolstore.h.
 */
#ifndef NC_SPOOLSTORE_INT_H
#define NC_SPOOLSTORE_INT_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "spoolseg.h"
#include "spoolstore.h"

/* An entry's kind, in its MSG record. */
#define SPS_OUT			1	/* to a peer */
#define SPS_BOX			2	/* in a local name's mailbox */

/* The states of a live entry (checkpoint LIVE items). */
#define SPS_QUEUED		1	/* OUT, not taken by the peer yet */
#define SPS_AT_PEER		2	/* OUT, the peer's spool has it */
#define SPS_KEPT		3	/* BOX, not delivered yet */

/* The changes a STATE record lists. */
#define SPS_OP_AT_PEER		1
#define SPS_OP_FINAL		2
#define SPS_OP_REPORTED		3
#define SPS_STATE_ITEM		16	/* u64 id, u8 op, u8 status, 6 zeros */

/* The fixed part of a MSG record's body (doc/SPOOL.md 9). */
#define SPS_MSG_FIXED		80

/* A map from non-zero 64-bit keys to pointers (open addressing). */
struct sps_map {
	uint64_t	*keys;		/* 0: free */
	void		**vals;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};
void	*sps_map_get(const struct sps_map *, uint64_t key);
int	 sps_map_put(struct sps_map *, uint64_t key, void *);	/* 0/-1 */
void	 sps_map_del(struct sps_map *, uint64_t key);
void	 sps_map_free(struct sps_map *);

/* A binary min-heap of nodes ordered by key (a deadline). */
struct sps_hnode {
	uint64_t	key;
	size_t		idx;		/* SIZE_MAX: not in the heap */
};
struct sps_heap {
	struct sps_hnode	**v;
	size_t			  n, cap;
};
int		 sps_heap_add(struct sps_heap *, struct sps_hnode *);
void		 sps_heap_del(struct sps_heap *, struct sps_hnode *);
void		 sps_heap_rekey(struct sps_heap *, struct sps_hnode *,
		    uint64_t key);
struct sps_hnode *sps_heap_min(const struct sps_heap *);
void		 sps_heap_free(struct sps_heap *);
#define SPS_CONTAINER(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

struct sps_seg {
	TAILQ_ENTRY(sps_seg)	 link;
	uint64_t		 no;
	struct spoolseg		 sg;
	uint64_t		 live;		/* entries whose MSG is here */
	size_t			 ckptend;	/* where its checkpoint ends */
};
TAILQ_HEAD(sps_seglist, sps_seg);

struct sps_entry;
struct sps_final;
TAILQ_HEAD(sps_queue, sps_entry);
TAILQ_HEAD(sps_owedlist, sps_final);

/* A peer: where our OUT entries go, and an origin of SP_IN. */
struct sps_peer {
	struct sps_peer		*next;		/* same map key */
	uint8_t			 fp[NC_SHA256_LEN];
	uint64_t		 next_seq;	/* never reused */
	struct sps_queue	 queued;	/* QUEUED, in seq order */
	uint64_t		 bytes;		/* of its OUT entries */
	uint64_t		 count;		/* its OUT entries */
	int			 is_origin;
	uint64_t		 inc, high;	/* origin table */
	uint64_t		 blocked_seq;	/* 0, or refused for room */
	uint64_t		 blocked_until;
	struct sps_owedlist	 owed;		/* final, report owed */
};

struct sps_box {
	struct sps_box		*next;		/* same map key */
	struct sps_queue	 kept;		/* KEPT, in pos order */
	uint64_t		 bytes;
	uint32_t		 count;
	uint8_t			 namelen;
	char			 name[NC_NAME_MAX];
};

struct sps_entry {
	TAILQ_ENTRY(sps_entry)	 qlink;		/* queued or kept list */
	struct sps_entry	*snext;		/* OUT: same outs key */
	struct sps_hnode	 hn;		/* its deadline */
	uint64_t		 id;
	uint64_t		 seq;		/* OUT: the peer's; BOX: pos */
	uint64_t		 end;		/* unix seconds */
	uint64_t		 inc, oseq;	/* BOX from a peer: its numbers */
	struct sps_seg		*seg;		/* NULL: not durable yet */
	uint32_t		 off;		/* of its MSG record */
	uint32_t		 reclen;	/* the whole record */
	struct sps_peer		*peer;		/* OUT: the peer; BOX: origin */
	struct sps_box		*box;		/* BOX */
	uint64_t		 listed;	/* recovery: checkpoint gen */
	uint8_t			 kind, state, flags, remote;
	uint8_t			 unreadable;	/* its record went bad */
	/* Handed to a link or a session, which may have it: not dropped. */
	uint8_t			 handed;
	uint8_t			 fromlen, tolen;
	char			 names[SP_FROM_MAX + NC_NAME_MAX];
};

struct sps_final {
	TAILQ_ENTRY(sps_final)	 olink;		/* owed: its origin's list */
	struct sps_final	*onext;		/* owed: same oweds key */
	struct sps_hnode	 hn;		/* not owed: until */
	uint64_t		 id;
	uint64_t		 until;		/* end + SPS_RETAIN_SECS */
	uint64_t		 inc, oseq;	/* owed: the origin's numbers */
	struct sps_peer		*origin;	/* owed: to whom */
	uint8_t			 status;
	uint8_t			 remote;	/* from a peer: not queryable */
};

/* Something to take back if the append fails. */
#define SPS_UNDO_ENTRY		1	/* a new live entry */
#define SPS_UNDO_FINAL		2	/* a refusal kept as a final */
#define SPS_UNDO_ORIGIN		3	/* an origin's inc and high */
#define SPS_UNDO_NEWORIGIN	4	/* a peer that was no origin */
struct sps_undo {
	int			 what;
	void			*p;
	uint64_t		 inc, high;
};

struct sps_rule {
	char		pattern[NC_NAME_MAX + 1];
	size_t		len;
	uint8_t		none;
	uint64_t	max_bytes;
	uint32_t	max_count;
};

struct spoolstore {
	int			 dirfd;
	sps_emit_fn		 emit;
	void			*arg;
	uint64_t		 inc;
	uint64_t		 next_pos;
	uint64_t		 boxseed;	/* mailbox name hash */
	struct sp_settings	 set;
	struct sps_rule		*rules;
	size_t			 nrules;

	struct sps_map		 ids;		/* live entries */
	struct sps_map		 finals;	/* final statuses */
	struct sps_map		 peers;
	struct sps_map		 boxes;
	struct sps_map		 outs;		/* OUT entries by peer, seq */
	struct sps_map		 oweds;		/* owed finals by peer, seq */
	struct sps_heap		 deadlines;	/* live entries */
	struct sps_heap		 retained;	/* finals not owed */
	size_t			 npeers, norigins, nowed;
	uint64_t		 bytes;		/* counted against total */
	struct sps_seglist	 segs;		/* oldest first; last: current */
	size_t			 nsegs;

	/* The stage: records, entries awaiting a place, answers, undo. */
	uint8_t			*sbuf;
	size_t			 slen, scap;
	struct sps_rec {
		uint8_t			 kind;
		size_t			 off, len;	/* in sbuf */
		struct sps_entry	*e;		/* MSG of a live one */
	}			*srecs;
	size_t			 nsrecs, srcap;
	size_t			 statrec;	/* open STATE record + 1, or 0 */
	int			 ssync;		/* a staged record must be durable
						   before its answer */
	int			 surgent;	/* ... and its answer not wait */
	int			 sdeferring;	/* staging what may wait */
	struct sps_sev {
		struct sps_event	 ev;
		int			 tied;	/* to what undo takes back */
	}			*sev;
	size_t			 nsev, sevcap;
	struct sps_undo		*undo;
	size_t			 nundo, undocap;

	struct sps_damage	 damage[SPS_MAX_DAMAGE];
	size_t			 ndamage;
	uint64_t		 damaged, dlogged;
	uint64_t		 appends, syncs, records, unlinked;
	/* Recovery only: a checkpoint is being read. */
	int			 in_ckpt;
	uint8_t			*ckpend;	/* its records so far */
	size_t			 ckplen, ckpcap;
	int			 have_head;
	uint64_t		 ckgen;		/* entries it listed: listed */
	struct sps_map		 missing;	/* listed, record not seen */
};

/* spoolstore.c, for spooldisk.c */
struct sps_peer	*sps_peer_get(struct spoolstore *, const uint8_t *fp, int make);
struct sps_box	*sps_box_get(struct spoolstore *, const char *name, size_t len,
		    int make);
void		 sps_entry_link(struct spoolstore *, struct sps_entry *);
void		 sps_entry_drop(struct spoolstore *, struct sps_entry *);
struct sps_final *sps_final_add(struct spoolstore *, uint64_t id,
		    uint8_t status, uint64_t until, int remote,
		    struct sps_peer *owed_to, uint64_t inc, uint64_t oseq);
void		 sps_final_drop(struct spoolstore *, struct sps_final *);
void		 sps_final_reported(struct spoolstore *, struct sps_final *);
struct sps_final *sps_finalize(struct spoolstore *, struct sps_entry *,
		    uint8_t status);
void		 sps_set_state(struct spoolstore *, struct sps_entry *,
		    uint8_t state);
uint64_t	 sps_entry_cost(const struct sps_entry *);
const struct sps_rule *sps_box_rule(const struct spoolstore *, const char *name,
		    size_t len);
uint64_t	 sps_seq_key(const struct sps_peer *, uint64_t seq);
uint64_t	 sps_random_id(struct spoolstore *);
void		 sps_fatal_oom(const char *) __attribute__((noreturn));
void		*sps_grow(void *, size_t *cap, size_t need, size_t size);

#define SPS_SEGNAME_LEN		20	/* "seg." and 16 hex digits */
#define SPS_DAMAGE_LOGGED	16	/* lines at start; a count for more */
#define SPS_MAX_SEGMENTS	100000	/* files read at start */
#define SPS_DEAD_MIN		((size_t)1024 * 1024)

/* Checkpoint items (doc/SPOOL.md 11): a type, then its fields. */
#define CK_HEAD			1	/* u64 inc, u64 next_pos */
#define CK_PEER			2	/* fp, u64 next_seq */
#define CK_ORIGIN		3	/* fp, u64 inc, u64 high */
#define CK_LIVE			4	/* u64 id, u8 state, u64 end */
#define CK_FINAL		5	/* u64 id, u8 status, u8 remote, u64 until */
#define CK_OWED			6	/* u64 id, u8 status, u64 until, fp, */
					/* u64 inc, u64 oseq */
#define CK_LAST			0x01	/* flags: the checkpoint's last record */
#define CK_HDRLEN		8	/* u8 flags, 3 zeros, u32 count */

/* The length of each item's fields, by type. */
extern const size_t	sps_ck_len[CK_OWED + 1];

static inline void
sps_put64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t
sps_get64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* spooldisk.c, for spoolstore.c and spoolrecover.c */
void	sps_seg_name(uint64_t no, char name[SPS_SEGNAME_LEN + 1]);
int	sps_rotate(struct spoolstore *);
int	sps_msg_decode(const uint8_t *b, size_t len, struct sps_entry *e,
	    uint8_t *status, uint8_t fp[NC_SHA256_LEN], struct sps_msg *m);
void	sps_stage_msg(struct spoolstore *, struct sps_entry *,
	    const struct sps_msg *, uint8_t status);
void	sps_stage_state(struct spoolstore *, uint64_t id, uint8_t op,
	    uint8_t status);
void	sps_stage_event(struct spoolstore *, const struct sps_event *,
	    int tied);
void	sps_stage_undo(struct spoolstore *, int what, void *p, uint64_t inc,
	    uint64_t high);
int	sps_recover(struct spoolstore *, uint64_t now);
int	sps_read_entry(struct spoolstore *, struct sps_entry *, uint8_t *buf,
	    const uint8_t **payload, size_t *len);
void	sps_note_damage(struct spoolstore *, uint64_t seg, uint64_t off,
	    uint64_t len, const char *why);
void	sps_segs_close(struct spoolstore *);
void	sps_stage_free(struct spoolstore *);

#endif
