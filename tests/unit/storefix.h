/*
 * What the spool store's unit tests (check_spoolstore, check_spoolrecov)
 * share: a temporary spool directory, the events the store emitted, the
 * entries fetches handed out, and helpers that stage and commit puts,
 * incoming messages and results, fetch, and find what came out.
 */
#ifndef NC_TEST_STOREFIX_H
#define NC_TEST_STOREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "spoolstore_int.h"

#define NOW		1700000000ULL
#define MAXEV		4096
#define MAXENT		1024

/* The spool directory: made by setup(), removed by teardown(). */
extern int			dfd;

extern const uint8_t		FP_A[NC_SHA256_LEN];
extern const uint8_t		FP_B[NC_SHA256_LEN];

/* What the store emitted and what fetches handed out. */
extern struct sps_event		evs[MAXEV];
extern size_t			nev;
struct fetched {
	struct sp_entry	e;
	char		from[SP_FROM_MAX + 1];
	char		to[NC_NAME_MAX + 1];
	uint8_t		payload[70000];
	size_t		len;
};
extern struct fetched		*got;		/* MAXENT of them */
extern size_t			 ngot;

/* The unchecked fixture of a TCase. */
void		 setup(void);
void		 teardown(void);
/* Each test's start: the directory emptied, no events, nothing fetched. */
void		 fresh(void);

/* sps_open() on the directory, emitting into evs; never NULL. */
struct spoolstore *store_open(uint64_t now);
/* Total and per-peer byte limits, and mailbox rules. */
void		 limits(struct spoolstore *s, uint64_t total, uint64_t peer,
		    const struct sp_mailbox_rule *rules, size_t n);
/* A message view of from, to and payload. */
struct sps_msg	 msg(const char *from, const char *to, const void *payload,
		    size_t len);
/* Stage a put (not committed); fp NULL for a local one. */
void		 put(struct spoolstore *s, int local, const uint8_t *fp,
		    const char *from, const char *to, const char *text,
		    uint32_t ttl, uint64_t req);
/* Stage an incoming message from fp (not committed). */
void		 in(struct spoolstore *s, const uint8_t *fp, uint64_t inc,
		    uint64_t seq, const char *to, const char *text,
		    uint8_t status, uint64_t req);
/* The id in the last DONE of req, whose status must be want. */
uint64_t	 done_id(uint64_t req, uint8_t want);
/* Put one message from "alice" and commit: its id. */
uint64_t	 put1(struct spoolstore *s, int local, const uint8_t *fp,
		    const char *to, const char *text, uint8_t want);
/* Fetch fp's outgoing entries, or a mailbox's, into got. */
void		 fetch_out(struct spoolstore *s, const uint8_t *fp,
		    uint64_t after, uint32_t count, uint32_t bytes,
		    struct sp_fetch_end *end);
void		 fetch_box(struct spoolstore *s, const char *name,
		    uint64_t after, struct sp_fetch_end *end);
/* An OUT result for fp's seq, committed. */
void		 result(struct spoolstore *s, const uint8_t *fp, uint64_t seq,
		    uint8_t status, int final);
/* How many events of a type; the last one of a type (must exist). */
size_t		 count_events(int type);
const struct sps_event *last_event(int type);

#endif
