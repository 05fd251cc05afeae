/*
 * Private to the configuration parser, shared by its files: parse.y (the
 * grammar), conf_lex.c (the lexer, included files), conf.c (the configuration object
 * and the macros), conf_build.c (what each statement adds) and
 * conf_check.c (the checks run when the whole file has been read).
 * The rest of the daemon sees only conf.h.
 */
#ifndef NC_CONF_INT_H
#define NC_CONF_INT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include "conf.h"

#define STRING_MAX		8192	/* one token, or strings joined */
#define NAME_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789._-"
#define KIB			1024ULL
#define MIB			(1024ULL * KIB)
#define GIB			(1024ULL * MIB)

/*
 * Checks that depend on statements which may come later in the file
 * (the global proxy, this host's name), run when the parse is over.
 */
enum check_kind {
	CHECK_SELF,	/* peer named like this host */
	CHECK_ONION,	/* .onion host needs a socks5 proxy */
	CHECK_AUTH	/* proxy user/password needs a socks5 proxy */
};

struct check {
	TAILQ_ENTRY(check)	 entry;
	enum check_kind		 kind;
	struct peer_conf	*peer;
	char			*file;
	int			 lineno;
	char			 host[NC_HOST_MAX + 1];
};
TAILQ_HEAD(checks, check);

/* The parse under way (one at a time: config_parse() is not reentrant). */
struct parse_state {
	struct nc_conf		*conf;		/* being built */
	int			 flags;		/* CONF_F_* */
	int			 nerrors;
	int			 listen_given;	/* a "listen on": no "*" */
	struct checks		 checks;	/* for the end of the parse */

	/* The peer block being parsed, and its checks until it ends. */
	struct peer_conf	*curpeer;
	int			 curpeer_key, curpeer_fp, curpeer_errors;
	struct checks		 peerchecks;

	/* The session rule being parsed (conf_rules.c builds it). */
	struct session_rule	*currule;
	int			 currule_errors;

	/* The mailbox rule being parsed (conf_spool.c builds it). */
	struct mailbox_rule	 curmbox;
	int			 curmbox_errors, curmbox_opts;

	/* The last "spool" block, for the checks at the end. */
	char			*spool_file;
	int			 spool_line;
	int			 spool_peer_set;	/* "peer size" given */

	/* Where the private key was named, for the check at the end. */
	char			*privkey_file;
	int			 privkey_line;

	/* Scratch space of "cipher" and "proxy" statements. */
	uint8_t			 ciphertmp[NC_CIPHER_MAX];
	int			 nciphertmp, cipherbad;
	struct proxy_conf	 proxytmp;
};
extern struct parse_state ps;

/*
 * Errors as "file:line: message": cerror_at() (conf.c) at a place given,
 * cerror() (conf_lex.c) at the line of the last token read.
 */
void		 cerror_at(const char *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 cerror(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* conf_lex.c: where the lexer is. */
const char	*parse_file_name(void);	/* the file being read */
int		 parse_lineno(void);	/* the line of the last token */

/* conf.c: the macros ($name), and freeing a peer. */
void		 macro_define(const char *, const char *);
int		 valid_macro_name(const char *);
int		 symset(const char *, const char *, int);
const char	*symget(const char *);
void		 symclear(void);
void		 peer_free(struct peer_conf *);

/* conf_build.c: values of statements; each reports its own errors. */
char		*join(char *, char *);
int		 getnum(const char *, const char *, long long, long long,
		    long long *);
void		 getuint(const char *, const char *, unsigned int,
		    unsigned int, unsigned int *);
int		 getport(const char *);
int		 getmode(const char *, mode_t *);
int		 getsize(const char *, const char *, uint64_t, const char *,
		    uint64_t, const char *, uint64_t *);
int		 getduration(const char *, const char *, long long,
		    const char *, long long, const char *, long long *);
int		 check_name(const char *, const char *);
int		 setstr(const char *, char *, size_t, const char *);
void		 private_key(const char *);
void		 cipher_begin(void);
void		 cipher_add(const char *);
void		 cipher_end(void);
void		 proxy_socks5(const char *, int);	/* into ps.proxytmp */
void		 proxy_none(void);			/* into ps.proxytmp */
void		 proxy_global(void);	/* ps.proxytmp as the global proxy */

/* conf_build.c: what the statements add to ps.conf. */
void		 listen_add(const char *, int);
int		 listen_add_one(const char *, uint16_t);
void		 peer_begin(const char *, int);
void		 peer_end(void);
void		 peer_connect(const char *, int);
void		 peer_pubkey(const char *);
void		 peer_fingerprint(const char *);
void		 peer_proxy(void);
void		 peer_auth(const char *, const char *);
void		 rule_begin(const char *, int);
void		 rule_add(enum conf_rule_item, const char *);
void		 rule_end(void);
void		 session_default(const char *);

/* conf_spool.c: the "spool" block and "mailbox" rules. */
enum spool_opt {
	SPOOL_OPT_SIZE,
	SPOOL_OPT_PEER_SIZE
};
void		 spool_begin(int);
void		 spool_directory(const char *);
void		 spool_size(enum spool_opt, const char *);
void		 spool_lifetime_max(const char *);
void		 mailbox_begin(const char *, int);
void		 mailbox_none(void);
void		 mailbox_size(const char *);
void		 mailbox_count(const char *);
void		 mailbox_end(void);
void		 spool_finish(void);	/* from config_finish() */

/* conf_check.c: the checks kept for the end, and the end of a parse. */
void		 check_add(struct checks *, enum check_kind, const char *,
		    int);
void		 checks_clear(struct checks *);
void		 config_finish(void);	/* before the top file is closed */

#endif
