/*
 * The control socket's server (control.c), run by the network child: its
 * API and the structs `show` reports.  The bytes on the socket are in
 * ctl_proto.h, which netcryptctl(8) shares.
 */
#ifndef NC_CONTROL_H
#define NC_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "crypto.h"
#include "ctl_proto.h"

#define CTL_MAX_CLIENTS		16
#define CTL_TIMEOUT		10	/* seconds a client may idle */
/* One client's answer, framed (the spool's listing is under 1 MiB). */
#define CTL_MAX_ANSWER		(4 * 1024 * 1024)

/* One peer as `show` reports it. */
struct ctl_peer {
	char		name[NC_NAME_MAX + 1];
	const char	*state;		/* "idle", "connecting", "handshaking",
					   "up", "backoff" */
	char		address[NC_HOST_MAX + 8];	/* "" when no link */
	const char	*direction;	/* "out", "in" or "" */
	const char	*cipher;	/* "" until up */
	char		fingerprint[NC_FP_STRLEN];	/* pinned key */
	int64_t		up_seconds;	/* since the handshake; -1 if not up */
	uint64_t	bytes_in, bytes_out;
	uint64_t	records_in, records_out;
	uint64_t	key_updates;
	uint64_t	rekeys;		/* X25519 exchanges on up links */
	uint64_t	reconnects;	/* links lost since start */
	uint64_t	queued_msgs, queued_bytes;
};

/* Daemon-wide figures. */
struct ctl_daemon {
	char		name[NC_NAME_MAX + 1];
	char		fingerprint[NC_FP_STRLEN];
	int64_t		uptime_seconds;
	uint64_t	handshakes_ok;
	uint64_t	handshakes_failed;
	uint64_t	rsa_unwraps;	/* requests answered by the key-holder */
	uint64_t	unwraps_refused;	/* past the unwrap rate */
	uint64_t	unwraps_cancelled;	/* connection gone: not worked */
	uint64_t	unwrap_rate;	/* per second, 0: no limit */
	uint64_t	unwrap_us;	/* one unwrap, measured at start */
	uint64_t	handshakes_evicted;	/* to make room for newer */
	uint64_t	handshakes_proven;	/* with a resumption proof */
	uint64_t	sessions;
	uint64_t	attaches_refused;	/* by the session policy */
	uint64_t	messages_rejected;	/* by "accept from" */
};

/* What the control module asks the network child for. */
struct control_ops {
	/* Fill *d and return the number of peers; peer(i) fills one. */
	size_t	(*snapshot)(void *arg, struct ctl_daemon *d);
	void	(*peer)(void *arg, size_t i, struct ctl_peer *p);
	/*
	 * Reload or check (only the master can): the answer comes later,
	 * through control_answer(client, ...).  NULL: not offered.
	 */
	void	(*reload)(void *arg, unsigned int client, int check);
	/*
	 * netcryptctl queue (CTL_QUEUE_*, flags CTL_F_JSON), answered by
	 * the spool through control_answer_part() and control_answer().
	 * NULL: not offered.
	 */
	void	(*queue)(void *arg, unsigned int client, uint8_t op,
		    uint8_t flags, uint64_t id);
	void	*arg;
};

struct event_base;
/* Serve the listening control socket fd (already bound by the master). */
void	control_init(struct event_base *, int fd, const struct control_ops *);
void	control_shutdown(void);
/*
 * The answer to a reload, a check or a queue request of client (gone
 * already: dropped):
 * status CTL_STATUS_OK sends text as the answer, otherwise as the error.
 */
void	control_answer(unsigned int client, uint8_t status, const void *text,
	    size_t len);
/* A piece of a successful answer, sent at once; control_answer() ends it. */
void	control_answer_part(unsigned int client, const void *text, size_t len);
/* For the unit tests: the client timeout in ms; 0 restores CTL_TIMEOUT. */
void	control_set_timeout_ms(unsigned int);

/* The text of `show` (ctlformat.c), a table or JSON: a malloc'd string. */
char	*control_format(const struct ctl_daemon *, const struct ctl_peer *,
	    size_t npeers, int json);

#endif
