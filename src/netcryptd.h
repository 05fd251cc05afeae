/*
 * What the three netcryptd processes share: process roles, the one enum
 * of IPC message types, and the fixed-size structures they carry.
 */
#ifndef NC_NETCRYPTD_H
#define NC_NETCRYPTD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdint.h>

#include "conf.h"
#include "crypto.h"

/*
 * Each child is a re-exec of the binary with a role flag; its channels
 * sit at fixed descriptors.
 */
#define PROC_MASTER_FD		3	/* child <-> master */
#define PROC_PEER_FD		4	/* key-holder <-> network child */

enum proc_role {
	PROC_MASTER = 0,
	PROC_KEYHOLDER,
	PROC_NETWORK
};

/*
 * Message types, named by direction and purpose.  Every process has one
 * dispatch function per channel that accepts a fixed subset; any other
 * type on that channel is fatal.
 */
enum imsg_type {
	IMSG_NONE = 0,
	/* master -> both children, before IMSG_CONF_END */
	IMSG_CONF_PRIVSEP,	/* struct privsep_conf */
	IMSG_CONF_END,		/* empty: configuration complete */
	/* master -> key-holder */
	IMSG_KH_KEYFD,		/* fd of the open private key file */
	IMSG_KH_SETTINGS,	/* struct kh_settings */
	/* key-holder -> network child */
	IMSG_KH_PUBKEY,		/* SPKI DER of the host key */
	/* network child <-> key-holder */
	IMSG_KH_UNWRAP,		/* struct kh_unwrap_req + blob */
	IMSG_KH_UNWRAP_DONE,	/* struct kh_unwrap_rep */
	/* master -> network child */
	IMSG_NET_LISTEN_FD,	/* fd of a bound, listening TCP socket */
	IMSG_NET_CONTROL_FD,	/* fd of the listening control socket */
	IMSG_NET_SESSION_FD,	/* fd of the listening session socket */
	IMSG_CONF_NET,		/* struct net_settings */
	IMSG_CONF_PEER,		/* struct peer_msg */
	IMSG_CONF_CONNECT,	/* struct connect_msg: one "connect to" */
	/* network child <-> master: name resolution (the child has no DNS) */
	IMSG_NET_RESOLVE,	/* struct resolve_req */
	IMSG_NET_RESOLVED,	/* struct resolve_rep */
	/* children -> master */
	IMSG_READY,		/* empty: sandboxed and serving */
	IMSG_LOG,		/* struct log_msg: a line for syslog */
	IMSG_SECCOMP_TRAP,	/* int32: number of a forbidden system call */
	/* master -> child, test builds only (--enable-sandbox-tests) */
	IMSG_TEST_FORBIDDEN,	/* empty: attempt a forbidden system call */
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
	uint32_t	unwrap_rate;	/* unwraps per second, 0 = unlimited */
};

#define KH_ROLE_INITIATOR	1	/* the wrapper's role in the handshake */
#define KH_ROLE_RESPONDER	2
#define KH_BLOB_MAX		(NC_RSA_MAX_BITS / 8)

struct kh_unwrap_req {
	uint64_t	id;		/* handshake id, echoed */
	uint8_t		role;		/* KH_ROLE_* of the side that wrapped */
	uint8_t		pad[7];
	uint8_t		th1[NC_SHA256_LEN];
	/* followed by the blob: exactly the modulus size */
};

struct kh_unwrap_rep {
	uint64_t	id;
	uint8_t		u[NC_SHA256_LEN];
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
	uint32_t	max_sessions;
	uint64_t	session_queue;
	uint32_t	session_timeout;
	/* test builds only: force key updates sooner (0 = protocol limits) */
	uint64_t	test_keyupdate_records;
};

struct peer_msg {
	uint32_t	id;			/* index, used by connect_msg */
	char		name[NC_NAME_MAX + 1];
	uint8_t		fp[NC_SHA256_LEN];	/* pinned key */
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

struct log_msg {
	int32_t		priority;
	char		line[1024];
};

/* keyholder.c */
void	keyholder_main(void) __attribute__((noreturn));
/* The key-holder's loop on explicit descriptors (used by tests). */
int	keyholder_run(int master_fd, int net_fd);

/* network.c */
void	network_main(void) __attribute__((noreturn));

/* proctitle.c */
extern char	**proctitle_env;
void	proctitle_init(int argc, char **argv);
void	proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
