/*
 * The control protocol: what netcryptctl(8) and the daemon's control
 * socket (control.c) both need to know, and nothing of either side.
 *
 * Wire format on the UNIX stream socket, both directions: records of
 * u32 len (big-endian, body length, at most CTL_MAX_BODY) | u8 type | body.
 *   client -> daemon: CTL_SHOW {u8 flags: CTL_F_JSON}, CTL_RELOAD {},
 *                     CTL_CHECK {}, CTL_QUEUE {u8 op | u8 flags | u64 id:
 *                     0 for CTL_QUEUE_LIST, else the spool id}
 *   daemon -> client: CTL_TEXT {UTF-8 text, a chunk of the answer}... then
 *                     CTL_END {u8 status: CTL_STATUS_OK, else an error;
 *                     the error's text follows}
 * A client sends one request and reads one answer; then the daemon closes
 * the connection.  The daemon formats the answer (table or JSON) itself,
 * so the client is a thin pipe and both always agree on the format.
 */
#ifndef NC_CTL_PROTO_H
#define NC_CTL_PROTO_H

#define CTL_MAX_BODY		16384
#define CTL_HDR_LEN		5	/* u32 len + u8 type */
#define CTL_TYPE_OFF		4	/* the type byte in the header */

/* Record types. */
#define CTL_SHOW		1
#define CTL_TEXT		2
#define CTL_END			3
#define CTL_RELOAD		4	/* re-read the configuration */
#define CTL_CHECK		5	/* parse it and say what would change */
#define CTL_QUEUE		6	/* the spool's entries (doc/SPOOL.md) */

/* The op byte of CTL_QUEUE (the same numbers as the spool's SP_CTL_*). */
#define CTL_QUEUE_LIST		1
#define CTL_QUEUE_SHOW		2
#define CTL_QUEUE_DROP		3
#define CTL_QUEUE_LEN		10	/* u8 op, u8 flags, u64 id */

/* The flags byte of CTL_SHOW. */
#define CTL_F_JSON		0x01

/* The status byte of CTL_END. */
#define CTL_STATUS_OK		0
#define CTL_STATUS_FAIL		1

#endif
