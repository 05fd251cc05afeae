/*
 * ncload's client of NATS's text protocol (ncnats.c), shared with the
 * JetStream modes (ncjs.c): a connection, its parser and its writes.
 */
#ifndef NC_BENCH_NCNATS_H
#define NC_BENCH_NCNATS_H

#include <stddef.h>
#include <stdint.h>

#define NATS_INCAP	(256 * 1024)	/* whole messages are parsed in place */
#define NATS_LINE_MAX	16384		/* longest control line (INFO) */
#define NATS_PAYLOAD_MAX (NATS_INCAP - NATS_LINE_MAX - 4)
#define NATS_OUTBUF	(32 * 1024)	/* nats.go's write buffer */
#define NATS_BULK	65536		/* bulk message payload */
#define NATS_CONN_MAX	1000		/* senders, receivers */
#define NATS_COUNT_MAX	100000000L

struct nmsg {
	const char	*subj;
	size_t		 slen;
	const char	*reply;		/* NULL: none */
	size_t		 rlen;
	const uint8_t	*data;
	size_t		 len;
};

/* What the receivers counted, and the CPU time their process has used. */
struct ntally {
	long long	 msgs, bytes, cpu_us;
};

/* An answer to a request, found by the number ending its reply subject. */
struct nanswer {
	struct ntally	 t;		/* a receiver's: -1 if none */
	size_t		 len;
	int		 have;
};

struct nconn {
	int		 fd;
	void		(*on_msg)(struct nconn *, const struct nmsg *);
	long		 infos, pongs, owed_pongs;
	long long	 msgs, bytes;		/* receiver: counted */
	struct nanswer	*ans;			/* requester: answers awaited */
	long		 ans_lo, ans_n, answered, next_seq;
	uint8_t		*in;
	size_t		 inlen;
	uint8_t		*out;			/* publisher: PUBs not written */
	size_t		 outoff, outlen, outcap;
};

long long	nats_num(const char *, size_t, long long max);
void		nats_read(struct nconn *);
void		nats_pay_pongs(struct nconn *);
int		nats_wait(struct nconn *, const long *what, long target,
		    double secs);
void		nats_sync(struct nconn *);
void		nats_dial(struct nconn *, int port, const char *name,
		    void (*)(struct nconn *, const struct nmsg *));
void		nats_hang_up(struct nconn *);
void		nats_pub(struct nconn *, const char *subj, size_t slen,
		    const char *reply, size_t rlen, const void *, size_t);

/* ncjs.c */
int		js_mode(int argc, char *argv[]);

#endif
