/*
 * The session protocol: between a local program (through libnetcrypt)
 * and netcryptd, over the session UNIX socket.  See netcrypt(1) and
 * doc/PROTOCOL.md.
 *
 * Records: u32 len (big-endian, counts the type byte and the body,
 * 1..SP_MAX_LEN) | u8 type | body.  All integers big-endian.
 */
#ifndef NC_SESSION_PROTO_H
#define NC_SESSION_PROTO_H

#define SP_MAX_LEN		65536
#define SP_HDR_LEN		5	/* u32 len + u8 type */

/* client -> daemon */
#define SP_ATTACH		1	/* u8 namelen, name ("" = anonymous) */
#define SP_SEND			3	/* u64 cid, u8 flags, u8 tolen, to, payload */
#define SP_PEERS		6	/* empty */
#define SP_TAKEN		10	/* u64 id: a SDELIVER is the app's */
#define SP_QUERY		12	/* u64 id: what became of it? */
/* daemon -> client */
#define SP_ATTACHED		2	/* u8 status, u8 len, daemon name,
					   u8 len, session name */
#define SP_RECEIPT		4	/* u64 cid, u8 status */
#define SP_DELIVER		5	/* u8 fromlen, from, payload */
#define SP_PEERLIST		7	/* u16 n, n x (u8 len, name, u8 state) */
#define SP_QUEUED		8	/* u64 cid, u64 id: kept durably */
#define SP_SDELIVER		9	/* u64 id, u8 fromlen, from, payload */
#define SP_FINAL		11	/* u64 id, u8 status: the end of it */
#define SP_STATE		13	/* u64 id, u8 status: QUERY's answer */

#define SP_F_RECEIPT		0x01	/* SEND: report success too */
#define SP_F_WITHIN		0x02	/* SEND: u32 lifetime (s) after flags */

/* ATTACH: an optional u8 of flags after the name */
#define SP_ATTACH_SPOOL		0x01	/* takes SDELIVER, answers TAKEN */

/* PEERLIST states */
#define SP_PEER_DOWN		0
#define SP_PEER_UP		1

/*
 * Content types: byte 0 of every payload (done by libnetcrypt).
 *   0 TEXT        the rest is the message
 *   1 FILE_OFFER  u64 xfer, u64 size, sha256[32], u16 len, name
 *   2 FILE_DATA   u64 xfer, u64 offset, data
 *   3 FILE_END    u64 xfer
 *   4 FILE_RESULT u64 xfer, u8 status (FILE_* below)
 *   5 FILE_ABORT  u64 xfer, u8 status: the sender stopped (spooled files)
 */
#define SP_CT_TEXT		0
#define SP_CT_FILE_OFFER	1
#define SP_CT_FILE_DATA		2
#define SP_CT_FILE_END		3
#define SP_CT_FILE_RESULT	4
#define SP_CT_FILE_ABORT	5

#endif
