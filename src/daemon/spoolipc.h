/*
 * What the spool process (spool.c) and the others say to each other
 * (doc/SPOOL.md, "The spool process"): the fixed parts of the IMSG_SP_*
 * messages listed in ipc.h.  Variable parts (names, payloads) follow the
 * fixed part in the order the comment gives, their lengths in it; the
 * receiver checks that the lengths add up to the message's exactly.
 *
 * Peers are named by their key's fingerprint, which a reload never
 * changes; local session names are 1..NC_NAME_MAX bytes, not NUL-ended.
 */
#ifndef NC_SPOOLIPC_H
#define NC_SPOOLIPC_H

#include <stdint.h>

#include "crypto.h"
#include "wire.h"

/* `from` as a receiving session sees it: "name@peer". */
#define SP_FROM_MAX		(2 * NC_NAME_MAX + 1)

/* master -> spool, before CONF_END and in a reload */
struct sp_settings {
	uint64_t	total_bytes;	/* `spool size` */
	uint64_t	peer_bytes;	/* `spool peer size`: per peer */
	uint32_t	lifetime_max;	/* seconds */
	uint32_t	pad;
};

/* master -> spool: one per `mailbox` rule, in file order (first wins) */
struct sp_mailbox_rule {
	char		pattern[NC_NAME_MAX + 1];	/* NUL-ended */
	uint8_t		none;		/* 1: names it matches have none */
	uint8_t		pad[6];
	uint64_t	max_bytes;
	uint32_t	max_count;
	uint32_t	pad2;
};

/* spool -> network child, once, when it has read its segments */
struct sp_hello {
	uint64_t	inc;		/* this spool's incarnation */
	uint64_t	entries;	/* kept now (for the log) */
};

/*
 * network -> spool: keep a message from a local session.  dest is
 * SP_DEST_PEER (to peer fp, `to` its session name) or SP_DEST_LOCAL
 * (the mailbox of local name `to`).  Followed by from[fromlen] (the
 * sender's session name), to[tolen], payload[rest].
 */
#define SP_DEST_PEER		1
#define SP_DEST_LOCAL		2
struct sp_put {
	uint64_t	req;		/* echoed in sp_done */
	uint8_t		dest;
	uint8_t		flags;
	uint8_t		fromlen;
	uint8_t		tolen;
	uint32_t	ttl;		/* seconds */
	uint8_t		fp[NC_SHA256_LEN];	/* SP_DEST_PEER only */
};

/*
 * network -> spool: an SMSG from peer fp, for local name `to`.  Followed
 * by from[fromlen] ("name@peer"), to[tolen], payload.  status is what
 * the network child judged it already: ST_OK, or ST_REJECTED /
 * ST_NO_SUCH_SESSION to be kept as a refusal (no payload is kept; the
 * refusal goes back as SFINAL).
 */
struct sp_in {
	uint64_t	req;
	uint64_t	inc;		/* the sender's */
	uint64_t	seq;
	uint32_t	ttl;
	uint8_t		flags;
	uint8_t		fromlen;
	uint8_t		tolen;
	uint8_t		status;
	uint8_t		fp[NC_SHA256_LEN];	/* the sending peer */
};

/*
 * spool -> network: the answer to sp_put (status ST_OK with id, or
 * ST_SPOOL_FULL) and to sp_in (ST_OK: taken, dup set when it had been
 * taken before; ST_SPOOL_FULL: not taken, the sender is to try again).
 * Sent only once what was taken is durable.
 */
struct sp_done {
	uint64_t	req;
	uint64_t	id;
	uint8_t		status;
	uint8_t		dup;
	uint8_t		pad[6];
};

/*
 * network -> spool: the entries waiting for peer fp (after seq) or for
 * the mailbox of local name (after pos), in order, at most max_count and
 * max_bytes of payload (at least one whatever its size).  Answered by
 * SP_ENTRY messages, then SP_FETCH_END.
 */
struct sp_fetch {
	uint8_t		fp[NC_SHA256_LEN];	/* SP_OUT_FETCH */
	char		name[NC_NAME_MAX + 1];	/* SP_BOX_FETCH, NUL-ended */
	uint8_t		pad[7];
	uint64_t	after;			/* seq, or pos */
	uint32_t	max_count;
	uint32_t	max_bytes;
};

/* spool -> network: one entry; followed by from, to, payload. */
struct sp_entry {
	uint64_t	id;
	uint64_t	inc;		/* ours (out) */
	uint64_t	seq;		/* out: the peer's seq; box: pos */
	uint32_t	ttl;		/* seconds left */
	uint8_t		flags;
	uint8_t		fromlen;
	uint8_t		tolen;
	uint8_t		pad;
	uint8_t		fp[NC_SHA256_LEN];	/* out: the peer */
};

struct sp_fetch_end {
	uint8_t		fp[NC_SHA256_LEN];
	char		name[NC_NAME_MAX + 1];
	uint8_t		more;		/* 1: limits cut it short */
	uint8_t		pad[6];
	uint32_t	count;
	uint32_t	pad2;
};

/*
 * network -> spool, about a message we sent to peer fp: its SACK
 * (final 0: status ST_OK, the peer has it) or its SFINAL (final 1).
 * The spool answers with the same struct (SP_OUT_RESULT_DONE) once that
 * is durable; after an SFINAL the network child then sends SFINAL_ACK.
 */
struct sp_result {
	uint8_t		fp[NC_SHA256_LEN];
	uint64_t	inc;
	uint64_t	seq;
	uint8_t		status;
	uint8_t		final;
	uint8_t		pad[6];
};

/* network -> spool: TAKEN by a session. */
struct sp_id {
	uint64_t	id;
};

/*
 * spool -> network: what became of a message a local session sent:
 * tell the session attached as from, if any (SP_NOTIFY; followed by
 * from[fromlen]).
 */
struct sp_notify {
	uint64_t	id;
	uint8_t		status;
	uint8_t		fromlen;
	uint8_t		pad[6];
};

/*
 * spool -> network: a final status owed to the peer fp that sent us
 * (inc, seq): send it as SFINAL when linked (SP_REPORT).  network ->
 * spool: the peer's SFINAL_ACK for it (SP_REPORTED).  At link up the
 * network child asks for every report owed to a peer (SP_REPORT_FETCH,
 * an sp_fetch with fp).
 */
struct sp_report {
	uint8_t		fp[NC_SHA256_LEN];
	uint64_t	inc;
	uint64_t	seq;
	uint8_t		status;
	uint8_t		pad[7];
};

/* network -> spool (SP_QUERY) and back (SP_QUERY_DONE: status set). */
struct sp_query {
	uint64_t	req;
	uint64_t	id;
	uint8_t		status;		/* ST_QUEUED, ST_AT_PEER, final... */
	uint8_t		pad[7];
};

/*
 * SMSGs a link keeps unanswered (spoollink.c).  The spool knows it too:
 * after a restart the first this many entries waiting for a peer may be
 * at the peer already, unanswered, so they cannot be dropped.
 */
#define SP_LINK_WINDOW		64

/*
 * netcryptctl queue, network -> spool: SP_CTL_PEERS (an array of
 * sp_ctl_peer: the names of the configured peers, for the listing; any
 * number of messages), then SP_CTL.  The spool answers, once what the
 * request changed is durable, with SP_CTL_TEXT messages, the answer's
 * text in pieces, the last with last = 1.
 */
#define SP_CTL_LIST		1	/* every entry, damage, totals */
#define SP_CTL_SHOW		2	/* one entry in full */
#define SP_CTL_DROP		3	/* end one entry: status 16 */
#define SP_CTL_JSON		0x01	/* flags: JSON, not a table */
struct sp_ctl {
	uint64_t	id;		/* show, drop */
	uint32_t	client;		/* the control client, echoed */
	uint8_t		op;
	uint8_t		flags;
	uint8_t		pad[2];
};

struct sp_ctl_peer {
	uint8_t		fp[NC_SHA256_LEN];
	char		name[NC_NAME_MAX + 1];	/* NUL-ended */
	uint8_t		pad[7];
};

struct sp_ctl_text {
	uint32_t	client;
	uint8_t		status;		/* CTL_STATUS_OK, or an error's text */
	uint8_t		last;
	uint8_t		pad[2];
};

#endif
