/*
 * The parsed configuration (netcryptd.conf(5), doc/DESIGN.md section 4).
 * Produced by parse.y in the master; parts of it are sent to the children.
 */
#ifndef NC_CONF_H
#define NC_CONF_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdint.h>

#include "crypto.h"
#include "wire.h"

#define NC_DEFAULT_PORT		55555
#define NC_CONF_FILE		SYSCONFDIR "/netcryptd.conf"

/* Rekey of an up link (doc/PROTOCOL.md 7.8): defaults and limits. */
#define NC_REKEY_INTERVAL	3600			/* seconds */
#define NC_REKEY_INTERVAL_MAX	86400
#define NC_REKEY_BYTES		(1ULL << 30)		/* in + out */
#define NC_REKEY_BYTES_MAX	(64ULL << 30)

/*
 * The spool (netcryptd.conf(5), SPOOL; doc/SPOOL.md): defaults and
 * limits.  SPOOL_MAILBOX_SIZE and _COUNT are the mailbox of a name no
 * "mailbox" rule matches: the spool process applies them.
 */
#define SPOOL_SIZE		(1ULL << 30)		/* all entries */
#define SPOOL_SIZE_MIN		(1ULL << 20)
#define SPOOL_SIZE_MAX		(1ULL << 40)
#define SPOOL_PEER_SIZE		(256ULL << 20)		/* per peer */
#define SPOOL_PEER_SIZE_MIN	(64ULL << 10)
#define SPOOL_LIFETIME_MAX	(30 * 86400)		/* seconds */
#define SPOOL_LIFETIME_LIMIT	(90 * 86400)		/* of the setting */
#define SPOOL_MAILBOX_SIZE	(64ULL << 20)		/* bytes per name */
#define SPOOL_MAILBOX_SIZE_MIN	(64ULL << 10)
#define SPOOL_MAILBOX_COUNT	100000			/* messages per name */
#define SPOOL_MAILBOX_COUNT_MAX	10000000
#define SPOOL_MAILBOX_RULES_MAX	1024

struct listen_addr {
	TAILQ_ENTRY(listen_addr) entry;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 text[NC_HOST_MAX + 1];	/* for logs */
};
TAILQ_HEAD(listen_list, listen_addr);

struct connect_to {
	TAILQ_ENTRY(connect_to)	 entry;
	char			 host[NC_HOST_MAX + 1];
	uint16_t		 port;
};
TAILQ_HEAD(connect_list, connect_to);

enum proxy_type {
	PROXY_INHERIT = 0,	/* peer: use the global setting */
	PROXY_NONE,
	PROXY_SOCKS5
};

struct proxy_conf {
	enum proxy_type	 type;
	char		 host[NC_HOST_MAX + 1];
	uint16_t	 port;
	int		 has_auth;		/* user/password given */
	char		 user[256];		/* RFC 1929: at most 255 */
	char		 password[256];
};

struct peer_conf {
	TAILQ_ENTRY(peer_conf)	 entry;
	char			 name[NC_NAME_MAX + 1];
	struct connect_list	 connects;	/* empty: inbound only */
	char			 keyfile[PATH_MAX];	/* "" when by fingerprint */
	uint8_t			 fp[NC_SHA256_LEN];	/* always set */
	uint8_t			*spki;		/* DER, NULL when by fingerprint */
	size_t			 spkilen;
	struct proxy_conf	 proxy;
	int			 lineno;	/* where it was declared */
	uint32_t		 id;		/* set by the master (reload) */
};
TAILQ_HEAD(peer_list, peer_conf);

/* `unwrap rate auto`: half a core, measured by the key-holder. */
#define NC_UNWRAP_AUTO		UINT32_MAX

/* The "session default": names no rule lists (conf_rules.c, policy.c). */
#define SESSION_DEFAULT_ANY	0	/* anyone who can reach the socket */
#define SESSION_DEFAULT_OWN	1	/* a user's login name; root: any */

#define SESSION_RULES_MAX	1024
#define SESSION_RULE_ITEMS_MAX	64	/* users + groups, and patterns */

/* One "session" statement or block, in file order (conf_rules.c). */
struct session_rule {
	TAILQ_ENTRY(session_rule) entry;
	char			 pattern[NC_NAME_MAX + 1];
	char			**users;	/* nusers user names */
	size_t			 nusers;
	char			**groups;
	size_t			 ngroups;
	char			**accept;	/* sender patterns; none: all */
	size_t			 naccept;
	char			*file;		/* where it is, for errors */
	int			 lineno;
};
TAILQ_HEAD(session_rule_list, session_rule);

/* One "mailbox" statement, in file order: the first that matches wins. */
struct mailbox_rule {
	char			 pattern[NC_NAME_MAX + 1];
	int			 none;		/* names it matches have none */
	uint64_t		 max_bytes;
	uint32_t		 max_count;
	char			*file;		/* where it is, for errors */
	int			 lineno;
};

struct nc_conf {
	char			 name[NC_NAME_MAX + 1];
	struct listen_list	 listens;	/* default: * port 55555 */
	char			 privkey[PATH_MAX];
	uint8_t			 ciphers[NC_CIPHER_MAX];  /* preference order */
	uint8_t			 nciphers;
	char			 session_sock[PATH_MAX];
	char			 session_group[64];	/* "" = primary of root */
	mode_t			 session_mode;
	char			 control_sock[PATH_MAX];
	mode_t			 control_mode;
	char			 user[64];
	char			 chroot[PATH_MAX];
	unsigned int		 keepalive;		/* seconds */
	unsigned int		 handshake_timeout;	/* seconds */
	uint64_t		 queue_size;		/* bytes per peer */
	unsigned int		 queue_timeout;		/* seconds */
	unsigned int		 max_sessions;
	uint64_t		 session_queue;		/* bytes per session */
	unsigned int		 session_timeout;	/* seconds */
	unsigned int		 unwrap_rate;		/* RSA unwraps/s, or AUTO */
	unsigned int		 rekey_interval;	/* seconds */
	uint64_t		 rekey_bytes;		/* in + out, per link */
	struct proxy_conf	 proxy;			/* NONE or SOCKS5 */
	struct peer_list	 peers;
	int			 session_default;	/* SESSION_DEFAULT_* */
	struct session_rule_list session_rules;
	char			 spool_dir[PATH_MAX];
	uint64_t		 spool_size;		/* bytes, all entries */
	uint64_t		 spool_peer_size;	/* bytes per peer */
	unsigned int		 spool_lifetime_max;	/* seconds */
	struct mailbox_rule	*mailboxes;		/* file order */
	size_t			 nmailboxes;
};

/* Flags for config_parse(). */
#define CONF_F_NOKEYS	0x01	/* do not open key files (keygen -A) */
#define CONF_F_LOADKEY	0x02	/* also parse the private key (-n) */

/*
 * Define a macro from the command line ("name=value", as -D does); it
 * overrides a definition of the same name in the file.  0 or -1.
 */
int		 config_define_macro(const char *def);

/*
 * Parse a configuration file.  Errors are printed to stderr (through
 * log_warnx) as "file:line: message"; NULL when there was any.
 */
struct nc_conf	*config_parse(const char *file, int flags);
void		 config_free(struct nc_conf *);
/* Defaults of a configuration without any statement. */
void		 config_init_defaults(struct nc_conf *);
struct peer_conf *config_find_peer(struct nc_conf *, const char *name);
/* The proxy that applies to a peer (its own, else the global one). */
void		 config_peer_proxy(const struct nc_conf *,
		    const struct peer_conf *, struct proxy_conf *);
const char	*cipher_name(uint8_t id);
int		 cipher_from_name(const char *name);	/* -1 if unknown */

/* conf_rules.c: the session rules as configured.  What conf_rule_add() adds: */
enum conf_rule_item {
	CONF_RULE_USER,
	CONF_RULE_GROUP,
	CONF_RULE_ACCEPT
};

/* A new rule for pattern, written at file:lineno; never NULL. */
struct session_rule *conf_rule_new(const char *pattern, const char *file,
	    int lineno);
void	conf_rule_free(struct session_rule *);
/* 0, or -1 with the reason in err: a bad session name pattern. */
int	conf_rule_check_pattern(const char *pattern, char *err, size_t errsz);
/* Add a user, group or sender pattern: 0, or -1 with the reason. */
int	conf_rule_add(struct session_rule *, enum conf_rule_item,
	    const char *value, char *err, size_t errsz);
/*
 * Whether rule can join list (after every rule already there): -1 with
 * the reason when it says nothing, repeats a pattern, would never be
 * used (an earlier pattern matches its name), or is one rule too many.
 */
int	conf_rule_fits(const struct session_rule_list *,
	    const struct session_rule *, char *err, size_t errsz);
/* The same rules in the same order. */
int	conf_rules_equal(const struct session_rule_list *,
	    const struct session_rule_list *);
const char *conf_session_default_name(int);

/* conf_spool.c: the mailbox rules as configured. */
void	conf_mailboxes_free(struct mailbox_rule *, size_t);
/* The same rules in the same order. */
int	conf_mailboxes_equal(const struct nc_conf *, const struct nc_conf *);
/* Give dst a copy of src's rules (a reload that keeps the running ones). */
void	conf_mailboxes_copy(struct nc_conf *dst, const struct nc_conf *src);

#endif
