/*
 * The network child's view of peers and links, shared by the process's
 * files (network.c: the process, accepting, the channels; netdial.c:
 * dialling) and the link's (link.c, linkhs.c, linkio.c: one TCP
 * connection, its handshake and its records).
 */
#ifndef NC_NETWORK_H
#define NC_NETWORK_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "crypto.h"
#include "inbuf.h"
#include "ipc.h"
#include "outbuf.h"
#include "record.h"
#include "rekey.h"
#include "netspool.h"
#include "relay.h"
#include "resume.h"
#include "util.h"

struct bufferevent;
struct event;
struct event_base;
struct handshake;
struct socks5;

#define NET_MAX_CONNECTS	16
#define NET_MAX_PENDING		64	/* unproven handshakes, + 2 a peer */
#define NET_PENDING_PER_PEER	2	/* so: NET_MAX_PENDING + 2 a peer */
#define NET_MAX_PENDING_ALL	1000000	/* what a CONF_NET may say */
#define NET_MAX_PENDING_SRC	4	/* per source address, not loopback */
#define NET_BACKOFF_MIN		1	/* seconds */
#define NET_BACKOFF_MAX		60

enum link_state {
	LINK_CONNECTING,	/* outbound TCP connect in progress */
	LINK_SOCKS,		/* connected to the proxy, SOCKS5 exchange */
	LINK_HELLO,		/* waiting for the peer's HELLO */
	LINK_KEY,		/* waiting for the peer's KEY */
	LINK_UNWRAP,		/* waiting for the key-holder */
	LINK_FINISHED,		/* waiting for the peer's FINISHED */
	LINK_UP,
	LINK_CLOSING		/* CLOSE sent, draining output */
};

struct peer;
struct unwrap_job;

/* Where a link's request for the key-holder is (see admit.c). */
enum link_unwrap {
	UNWRAP_NONE,
	UNWRAP_QUEUED,		/* waiting in the network child */
	UNWRAP_SENT		/* at the key-holder */
};

struct link {
	TAILQ_ENTRY(link)	 entry;
	TAILQ_ENTRY(link)	 uentry;	/* admit.c's queues */
	uint64_t		 id;		/* handshake id for the key-holder */
	enum link_state		 state;
	int			 outbound;
	int			 was_up;	/* the handshake completed */
	int			 pending;	/* counted in netctx->npending */
	int			 failed_counted;
	int			 proven;	/* resumption proof (admit.c) */
	enum link_unwrap	 unwrap;
	struct unwrap_job	*job;		/* while UNWRAP_QUEUED */
	uint8_t			 resume[RESUME_SECRET_LEN];
	int			 have_resume;	/* up, until net_link_up() */
	struct peer		*peer;		/* NULL until the HELLO names it */
	struct bufferevent	*bev;
	struct outbuf		 ob;		/* what goes out, see outbuf.h */
	struct inbuf		 ib;		/* what comes in, see inbuf.h */
	struct event		*ev_timer;	/* handshake timeout, keepalive */
	struct event		*ev_ack;	/* delayed cumulative ACK */
	struct event		*ev_hold;	/* bound on held_session */
	uint64_t		 held_session;	/* a MSG in rbuf waits for it */
	size_t			 held_len;	/* the record body's length */
	size_t			 held_off;	/* of the held MSG in a MSGS */
	int			 held_batch;	/* rbuf holds a MSGS */
	struct event		*ev_kick;	/* send what sessions queued */
	int			 kick_soon;	/* ev_kick is active */
	uint32_t		 peer_features;	/* announced, PROTOCOL.md 7.9 */
	int			 up_records;	/* opened since FINISHED */
	size_t			 unacked_bytes;	/* MSG bodies since the ACK */
	struct handshake	*hs;
	struct socks5		*socks;		/* until the tunnel is open */
	struct nc_aead		 send, recv;
	uint8_t			 peer_epoch[8];
	uint8_t			 initiator_fp[NC_SHA256_LEN];
	uint8_t			 cipher;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 addr[NC_HOST_MAX + 8];	/* "ip:port", or
						   "host:port via ip:port" */
	int			 loopback;
	struct timespec		 since;		/* created, then up */
	struct timespec		 last_rx, last_tx;
	struct timespec		 last_update;	/* last key update we sent */
	uint64_t		 bytes_in, bytes_out;
	uint64_t		 records_in, records_out;
	uint64_t		 key_updates;
	struct rekey		 rk;		/* exchanges: rk.done, see rekey.h */
	struct event		*ev_rekey;	/* start one, or give up on it */
	uint8_t			*rbuf;		/* one opened record body */
	size_t			 rbuf_dirty;	/* bytes of it ever written */
};
TAILQ_HEAD(link_list, link);
TAILQ_HEAD(link_queue, link);

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	uint32_t		 id;
	char			 name[NC_NAME_MAX + 1];
	uint8_t			 fp[NC_SHA256_LEN];
	char			 fpstr[NC_FP_STRLEN];
	struct connect_msg	 connects[NET_MAX_CONNECTS];
	size_t			 nconnects;
	size_t			 next_connect;	/* which one to dial next */
	const struct connect_msg *target;	/* the one being dialled */
	struct proxy_msg	 proxy;		/* NONE, or how to reach it */
	struct link		*link;		/* the link that is up */
	struct link		*dialing;	/* our outbound attempt */
	struct event		*ev_retry;
	unsigned int		 backoff;	/* seconds, 0 = dial now */
	unsigned int		 busy_ms;	/* the peer said BUSY: retry */
	struct resume_state	 resume;	/* from our last link */
	int			 in_backoff;
	uint32_t		 resolve_seq;
	struct relay_out	 out;
	struct relay_in		 in;
	struct spool_peer	 sp;		/* spoollink.c's */
	/* history for `show` */
	uint64_t		 bytes_in, bytes_out;
	uint64_t		 records_in, records_out;
	uint64_t		 key_updates;
	uint64_t		 rekeys;
	uint64_t		 reconnects;
	int			 reconf;	/* PEER_RECONF_*, in a reload */
};
TAILQ_HEAD(peer_list_net, peer);
#define PEER_RECONF_NEW		0x01
#define PEER_RECONF_CHANGED	0x02
#define PEER_RECONF_KEY		0x04

/* What the links need from the process; one instance, in network.c. */
struct netctx {
	struct event_base	*base;
	struct net_settings	 ns;
	uint8_t			*spki;
	size_t			 spkilen;
	uint8_t			 fp[NC_SHA256_LEN];
	char			 fpstr[NC_FP_STRLEN];
	uint8_t			 epoch[8];
	struct peer_list_net	 peers;
	struct link_list	 links;		/* every link, any state */
	size_t			 npending;	/* links not yet up */
	uint64_t		 next_link_id;
	uint64_t		 handshakes_ok, handshakes_failed;
	uint64_t		 unwraps;
	struct timespec		 started;
};

extern struct netctx	*netctx;

/* netdial.c: what a link coming and going means for its peer */
void		 net_link_up(struct link *);
void		 net_peer_busy(struct peer *, unsigned int retry_ms);
void		 net_link_gone(struct link *);

/* network.c: services the links call. */
struct peer	*net_peer_by_fp(const uint8_t fp[NC_SHA256_LEN]);
void		 net_link_writable(struct link *);
void		 net_accept_room(void);	/* a pool slot came free */
void		 net_session_drained(uint64_t session);
void		 net_peer_send(struct peer *);
int		 net_peer_full(const struct peer *);

/* link.c (a link's life), linkhs.c (to UP), linkio.c (once up) */
/* socks_dest: NULL for a direct link, else what to ask the proxy at sa. */
struct link	*link_new(int fd, int outbound, struct peer *,
		    const struct sockaddr *, socklen_t,
		    const struct connect_msg *socks_dest);
void		 link_unwrapped(struct link *, const uint8_t u[NC_SHA256_LEN]);
void		 link_close(struct link *, uint8_t reason, const char *why);
/* A handshake refused for load: BUSY(retry_ms) on the wire, then closed. */
void		 link_refuse(struct link *, unsigned int retry_ms,
		    const char *why);
void		 link_free(struct link *);
void		 link_kick(struct link *);	/* send queued MSGs */
void		 link_kick_soon(struct link *);	/* the same, batched */
void		 link_resume(struct link *);	/* a held MSG, again */
int		 link_output_full(const struct link *);
const char	*link_state_name(enum link_state);
/* Seal one record into the link's output; 0 or -1. */
int		 link_send(struct link *, uint8_t type, const uint8_t *body,
		    size_t len);
/* The same with the body in two parts (a head and a payload). */
int		 link_send2(struct link *, uint8_t type, const uint8_t *b1,
		    size_t l1, const uint8_t *b2, size_t l2);

/* linkrekey.c: the rekey of an up link (rekey.h) */
void		 link_rekey_up(struct link *);		/* at UP */
void		 link_rekey_check(struct link *);	/* start one if due */
/* An opened REKEY, REKEY_ACK or REKEY_DONE; -1: the link is closing. */
int		 link_rekey_input(struct link *, uint8_t type,
		    const uint8_t *body, size_t len);
void		 link_rekey_stop(struct link *);	/* closing */
void		 link_rekey_free(struct link *);

#endif
