/*
 * What the control socket's unit tests (check_control, check_ctlformat,
 * check_ctlreload, check_ctlqueue) share: a fake network child that
 * answers snapshots and takes reload and queue requests, a minimal JSON checker, and the server on a
 * real UNIX socket in a temporary directory, with clients in the same
 * process.  Every wait is a bounded number of short event-loop runs.
 */
#ifndef NC_TEST_CTLFIX_H
#define NC_TEST_CTLFIX_H

#include <stddef.h>
#include <stdint.h>

#define FP_A	"SHA256:3bDlWv8kk0a3ytKtN3ZQTOZxSHi1ypB4z3Ja1/V6NLE"
#define FP_B	"SHA256:Qm9iIHB1YmxpYyBrZXkgZmluZ2VycHJpbnQgdGVzdA0"
#define FP_D	"SHA256:aG9zdGEgcHVibGljIGtleSBmaW5nZXJwcmludCB0ZXN0"

/* ---- the fake network child ---- */

/* Its peers: alice (FP_A) and bob (FP_B), then generated fillers. */
extern size_t	fake_npeers;
extern int	fake_calls;	/* snapshots taken */

/* The last reload or check request it took (setup_reload only). */
extern unsigned int	reload_calls, reload_client;
extern int		reload_check;

/* The last queue request it took (setup_queue only). */
extern unsigned int	queue_calls, queue_client;
extern uint8_t		queue_op, queue_flags;
extern uint64_t		queue_id;

/* What the server should answer, computed the same way (to free). */
char	*expected(int json);
/* expected(1) with the two known peers, written out by hand. */
extern const char	json_want[];

/* 1 if s is one JSON value and nothing else. */
int	 json_valid(const char *s);

/* ---- the server and its clients ---- */

extern int	lfd;		/* the server's listening socket */

/* Run the event loop for ms milliseconds. */
void	pump(unsigned int ms);
/* Log to stderr, two peers, no snapshot taken yet. */
void	reset_fake(void);
/* The server, without a reload (setup) or with one (setup_reload). */
void	setup(void);
void	setup_reload(void);
void	setup_queue(void);
void	teardown(void);

/* A connected, non-blocking client. */
int	client(void);
void	send_raw(int fd, const void *p, size_t len);
void	send_req(int fd, uint8_t type, const void *body, size_t len);
void	send_show(int fd, uint8_t flags);
void	send_queue(int fd, uint8_t op, uint8_t flags, uint64_t id);

/* Everything the server sent until it closed, or what came in time. */
struct reply {
	uint8_t	*p;
	size_t	 len;
	int	 eof;
};

/* Read what is there; 1 once the server has closed the connection. */
int	drain(int fd, struct reply *r);
/* Pump until the server closes fd, for at most maxms. */
void	collect(int fd, struct reply *r, unsigned int maxms);

/*
 * Split a reply into its records: the text, the END status (-1: none)
 * and its message.  Asserts the framing: bounded records, only TEXT
 * before END, nothing after it.
 */
struct parsed {
	char	*text;
	size_t	 textlen;
	size_t	 ntext;
	int	 status;
	char	 msg[256];
};
void	parse_reply(const struct reply *r, struct parsed *out);
void	free_reply(struct reply *r, struct parsed *pr);

/* One complete, successful `show`, compared with control_format(). */
void	assert_show_works(uint8_t flags);
/* Closed by the server, with nothing sent. */
void	assert_closed_silently(int fd, unsigned int maxms);
/* No text, an END with status 1 and this message, then closed. */
void	assert_error_reply(int fd, const char *msg);

#endif
