/*
 * The spool process, played for fuzz_record and fuzz_session
 * (spoolfake.c): it answers the network child's spool channel at
 * PROC_SPOOL_FD without keeping anything.
 */
#ifndef NC_FUZZ_SPOOLFAKE_H
#define NC_FUZZ_SPOOLFAKE_H

struct event_base;

/* Its incarnation: an SACK or SFINAL about our entries names it. */
#define SPOOLFAKE_INC		0x0102030405060708ULL
/* Entries it hands out for the peer: seq 1 to this. */
#define SPOOLFAKE_ENTRIES	3
/* The peer's incarnation in the one report it owes the peer. */
#define SPOOLFAKE_PEER_INC	0x1111111111111111ULL

/* The channel, at PROC_SPOOL_FD: first, before anything opens a file. */
void	spoolfake_reserve(void);
/* netspool_init() on it, and the spool's hello dispatched. */
void	spoolfake_init(struct event_base *);
/* Run the event loop and answer until nothing more is asked. */
void	spoolfake_run(void);

#endif
