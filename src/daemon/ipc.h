/*
 * The IPC vocabulary of netcryptd's processes (doc/DESIGN.md section 2):
 * process roles and their descriptors, the one list of message types,
 * and the fixed-size structures the messages carry.  Every process
 * includes this; only the master includes netcryptd.h.
 */
#ifndef NC_IPC_H
#define NC_IPC_H

#include <sys/types.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdint.h>

#include "crypto.h"
#include "imsg.h"
#include "spoolipc.h"
#include "unwrap.h"
#include "wire.h"

/*
 * Each child is a re-exec of the binary with a role flag; its channels
 * sit at fixed descriptors.
 */
#define PROC_MASTER_FD		3	/* child <-> master */
#define PROC_PEER_FD		4	/* key-holder <-> network child */
#define PROC_SPOOL_FD		5	/* network child <-> spool */

enum proc_role {
	PROC_MASTER = 0,
	PROC_KEYHOLDER,
	PROC_NETWORK,
	PROC_SPOOL
};

/*
 * Message types, named by direction and purpose.  Every process has one
 * dispatch function per channel that accepts a fixed subset; any other
 * type on that channel is fatal.  The enum and the names in log lines
 * (imsg_type_name) both come from this one list, so they cannot drift;
 * a new type goes at the end.
 */
#define IMSG_TYPES(X) \
	X(NONE)								\
	/* master -> both children, before IMSG_CONF_END */		\
	X(CONF_PRIVSEP)		/* struct privsep_conf */		\
	X(CONF_END)		/* empty: configuration complete */	\
	/* master -> key-holder */					\
	X(KH_KEYFD)		/* fd of the open private key file */	\
	X(KH_SETTINGS)		/* struct kh_settings */		\
	/* key-holder -> network child */				\
	X(KH_PUBKEY)		/* SPKI DER of the host key */		\
	/* network child <-> key-holder */				\
	X(KH_UNWRAP)		/* struct kh_unwrap_req + blob */	\
	X(KH_UNWRAP_DONE)	/* struct kh_unwrap_rep */		\
	X(KH_CANCEL)		/* uint64_t: id of a request not to work on */ \
	X(KH_CANCELLED)		/* uint64_t: that request, dropped unworked */ \
	X(KH_RATE)		/* struct kh_rate: after IMSG_KH_PUBKEY */ \
	/* master -> network child */					\
	X(NET_LISTEN_FD)	/* struct listen_msg + a listening TCP socket */ \
	X(NET_CONTROL_FD)	/* fd of the listening control socket */ \
	X(NET_SESSION_FD)	/* fd of the listening session socket */ \
	X(CONF_NET)		/* struct net_settings */		\
	X(CONF_PEER)		/* struct peer_msg */			\
	X(CONF_CONNECT)		/* struct connect_msg: one "connect to" */ \
	/* network child <-> master: name resolution (the child has no DNS) */ \
	X(NET_RESOLVE)		/* struct resolve_req */		\
	X(NET_RESOLVED)		/* struct resolve_rep */		\
	/* children -> master */					\
	X(READY)		/* empty: sandboxed and serving */	\
	X(LOG)			/* struct log_msg: a line for syslog */	\
	X(SECCOMP_TRAP)		/* int32: number of a forbidden system call */ \
	/*								\
	 * Reload (netcryptd.c).  network child -> master: a netcryptctl	\
	 * request; the answer goes back when the reload is done.  Between \
	 * RECONF_START and RECONF_END the master sends the network child \
	 * CONF_NET, CONF_PEER + CONF_CONNECT (added or changed peers),	\
	 * RECONF_PEER_DEL, NET_LISTEN_FD and RECONF_LISTEN_CLOSE; the child \
	 * applies them and answers RECONF_DONE.				\
	 */								\
	X(CTL_RELOAD)		/* struct ctl_reload_req */		\
	X(CTL_RELOAD_DONE)	/* struct ctl_reload_rep + text */	\
	X(RECONF_START)		/* empty */				\
	X(RECONF_PEER_DEL)	/* uint32_t: id of a peer to remove */	\
	X(RECONF_LISTEN_CLOSE)	/* uint32_t: id of a listener to close */ \
	X(RECONF_END)		/* empty */				\
	X(RECONF_DONE)		/* empty: network child -> master, applied */ \
	/* master -> child, test builds only (--enable-sandbox-tests) */ \
	X(TEST_FORBIDDEN)	/* empty: attempt a forbidden system call */ \
	/*								\
	 * master -> network child, before CONF_END and in a reload: the	\
	 * session policy, policy_encode()'s bytes in fragments (policy.h) \
	 */								\
	X(CONF_POLICY)							\
	/*								\
	 * The spool (spoolipc.h, doc/SPOOL.md).  master -> spool, before	\
	 * CONF_END: CONF_PRIVSEP (its chroot is the spool directory),	\
	 * CONF_SPOOL, CONF_MAILBOX (one per rule).			\
	 */								\
	X(CONF_SPOOL)		/* struct sp_settings */		\
	X(CONF_MAILBOX)		/* struct sp_mailbox_rule */		\
	/* spool -> network child */					\
	X(SP_HELLO)		/* struct sp_hello */			\
	/* network child -> spool, and the answers */			\
	X(SP_PUT)		/* struct sp_put + from, to, payload */	\
	X(SP_IN)		/* struct sp_in + from, to, payload */	\
	X(SP_DONE)		/* struct sp_done: to SP_PUT and SP_IN */ \
	X(SP_OUT_FETCH)		/* struct sp_fetch (fp, after seq) */	\
	X(SP_BOX_FETCH)		/* struct sp_fetch (name, after pos) */	\
	X(SP_ENTRY)		/* struct sp_entry + from, to, payload */ \
	X(SP_FETCH_END)		/* struct sp_fetch_end */		\
	X(SP_OUT_RESULT)	/* struct sp_result */			\
	X(SP_OUT_RESULT_DONE)	/* struct sp_result, durable */		\
	X(SP_TAKEN)		/* struct sp_id */			\
	X(SP_NOTIFY)		/* struct sp_notify + from */		\
	X(SP_REPORT_FETCH)	/* struct sp_fetch (fp) */		\
	X(SP_REPORT)		/* struct sp_report */			\
	X(SP_REPORTED)		/* struct sp_report */			\
	X(SP_QUERY)		/* struct sp_query */			\
	X(SP_QUERY_DONE)	/* struct sp_query */			\
	/* netcryptctl queue: network child -> spool, and the answer */	\
	X(SP_CTL_PEERS)		/* struct sp_ctl_peer[] */		\
	X(SP_CTL)		/* struct sp_ctl */			\
	X(SP_CTL_TEXT)		/* struct sp_ctl_text + text */

enum imsg_type {
#define IMSG_ENUM_ENTRY(name)	IMSG_##name,
	IMSG_TYPES(IMSG_ENUM_ENTRY)
#undef IMSG_ENUM_ENTRY
	IMSG_TYPE_MAX
};

const char	*imsg_type_name(uint32_t type);
const char	*proc_role_name(enum proc_role);

/* Who the children become (sent by the master, resolved as root). */
struct privsep_conf {
	uid_t	uid;
	gid_t	gid;
	char	user[64];		/* for messages */
	char	chroot[PATH_MAX];
};

struct kh_settings {
	uint32_t	unwrap_rate;	/* per second, 0 = unlimited, or AUTO */
};

/* The unwrap rate the network child enforces, and what it is based on. */
struct kh_rate {
	uint32_t	rate;		/* unwraps per second, 0 = unlimited */
	uint32_t	op_us;		/* one unwrap measured at start, in us */
	uint32_t	is_auto;	/* follow what unwraps really take */
	uint32_t	pad;
};

/*
 * `unwrap rate auto`: microseconds of private-key work a second, a little
 * under half a core, so that half is left free whatever the noise.
 */
#define KH_AUTO_SHARE		450000

/* Requests the key-holder holds at once (one worked on, one waiting). */
#define KH_WINDOW		2

/* struct kh_unwrap_req, KH_ROLE_* and KH_BLOB_MAX are in unwrap.h. */
struct kh_unwrap_rep {
	uint64_t	id;
	uint8_t		u[NC_SHA256_LEN];
	uint32_t	op_us;		/* CPU time this unwrap took */
	uint32_t	pad;
};

/* Settings of the network child (from netcryptd.conf). */
struct net_settings {
	char		name[NC_NAME_MAX + 1];
	uint8_t		ciphers[NC_CIPHER_MAX];
	uint8_t		nciphers;
	uint32_t	keepalive;		/* seconds */
	uint32_t	handshake_timeout;	/* seconds */
	uint64_t	queue_size;		/* bytes per peer */
	uint32_t	queue_timeout;		/* seconds */
	uint32_t	max_sessions;		/* as fdlimit.c allows */
	uint32_t	max_pending;		/* handshake slots, likewise */
	uint64_t	session_queue;
	uint32_t	session_timeout;
	uint32_t	rekey_interval;		/* seconds */
	uint64_t	rekey_bytes;		/* both directions together */
	/* test builds only: force key updates sooner (0 = protocol limits) */
	uint64_t	test_keyupdate_records;
	/* extensions announced and accepted (PROTOCOL.md 7.9) */
	uint32_t	features;
	/* the longest lifetime a message may ask (`spool lifetime max`) */
	uint32_t	spool_lifetime_max;
};

/*
 * The proxy a peer is dialled through, as it applies (the peer's own,
 * else the global one).  Without has_auth the network child draws a
 * random user and password for the peer (doc/PROTOCOL.md 3).
 */
struct proxy_msg {
	uint8_t		type;			/* PROXY_NONE, PROXY_SOCKS5 */
	uint8_t		has_auth;
	uint16_t	port;
	char		host[NC_HOST_MAX + 1];
	char		user[256];		/* RFC 1929: 1..255 bytes */
	char		password[256];
};

/* Listening sockets the network child may hold at once. */
#define NET_MAX_LISTEN		16

struct listen_msg {
	uint32_t	id;		/* for RECONF_LISTEN_CLOSE */
};

struct peer_msg {
	uint32_t	id;		/* the master's, kept across reloads */
	char		name[NC_NAME_MAX + 1];
	uint8_t		fp[NC_SHA256_LEN];	/* pinned key */
	struct proxy_msg proxy;
};

struct connect_msg {
	uint32_t	peer;
	char		host[NC_HOST_MAX + 1];
	uint16_t	port;
};

#define RESOLVE_MAX_ADDRS	8
struct resolve_req {
	uint32_t	peer;
	uint32_t	seq;			/* echoed */
	char		host[NC_HOST_MAX + 1];
	uint16_t	port;
};

struct resolve_rep {
	uint32_t		peer;
	uint32_t		seq;
	int32_t			error;		/* 0, or a gai error code */
	uint32_t		naddrs;
	struct sockaddr_storage	addrs[RESOLVE_MAX_ADDRS];
};

/* netcryptctl reload / check, forwarded by the network child. */
struct ctl_reload_req {
	uint32_t	client;		/* control client, echoed */
	uint8_t		check;		/* 1: check only, change nothing */
	uint8_t		pad[3];
};

struct ctl_reload_rep {
	uint32_t	client;
	uint8_t		status;		/* 0 ok, 1 refused */
	uint8_t		pad[3];
	/* followed by text for netcryptctl, not NUL-terminated */
};
#define CTL_RELOAD_TEXT_MAX	\
	(IMSG_MAX_PAYLOAD - sizeof(struct ctl_reload_rep))
/* The text one SP_CTL_TEXT carries at most. */
#define SP_CTL_TEXT_MAX		(IMSG_MAX_PAYLOAD - sizeof(struct sp_ctl_text))

struct log_msg {
	int32_t		priority;
	char		line[1024];
};

#endif
