/*
 * Parser of netcryptd.conf(5), in the manner of OpenBSD's parse.y files:
 * a hand-written lexer with a sorted keyword table, "include" over a
 * stack of open files, $macros, and every error as "file:line: message".
 * An error does not stop the parse, so that one run reports as many
 * mistakes as it can; config_parse() then returns NULL.
 */

%{
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "policy.h"
#include "util.h"

#define MAX_INCLUDE_DEPTH	8
#define STRING_MAX		8192	/* one token, or strings joined */
#define UNGET_MAX		8
#define PRIVKEY_FILE_MAX	(64 * 1024)
#define NAME_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789._-"
#define KIB			1024ULL
#define MIB			(1024ULL * KIB)
#define GIB			(1024ULL * MIB)

/* One open configuration file; the last one in the list is read. */
struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	dev_t			 dev;
	ino_t			 ino;
	int			 lineno;
	int			 depth;		/* 0 for the top file */
	int			 pending;	/* tokens since the last '\n' */
	int			 unget[UNGET_MAX];
	int			 nunget;
};
TAILQ_HEAD(files, file);

/* A macro; those from the command line (-D) win over the file's. */
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	char			*name;
	char			*value;
	int			 cmdline;
};
TAILQ_HEAD(syms, sym);

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

typedef struct {
	union {
		long long	 number;
		char		*string;
	} v;
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

int		 yylex(void);
void		 yyerror(const char *);

static int	 lex_token(void);
static int	 lgetc(int);
static void	 lungetc(int);
static void	 skip_line(void);
static int	 lex_error(void);
static int	 kw_lookup(const char *);
static int	 kw_cmp(const void *, const void *);
static struct file *pushfile(const char *, int);
static void	 popfile(void);
static void	 include_file(const char *);

static void	 cerror(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 cerror_at(const char *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int	 symset(const char *, const char *, int);
static const char *symget(const char *);
static void	 symclear(void);
static int	 valid_macro_name(const char *);

static char	*join(char *, char *);
static int	 getnum(const char *, const char *, long long, long long,
		    long long *);
static int	 getport(const char *);
static int	 getmode(const char *, mode_t *);
static int	 getsize(const char *, const char *, uint64_t, const char *,
		    uint64_t, const char *, uint64_t *);
static int	 getduration(const char *, const char *, long long,
		    const char *, long long, const char *, long long *);
static int	 valid_name(const char *);
static int	 check_name(const char *, const char *);
static int	 valid_host(const char *);
static int	 is_onion(const char *);
static int	 setstr(const char *, char *, size_t, const char *);

static void	 default_name(char *, size_t);
static void	 listen_add(const char *, int);
static int	 listen_add_one(const char *, uint16_t);
static int	 sa_equal(const struct sockaddr *, const struct sockaddr *);
static void	 cipher_add(const char *);
static void	 proxy_socks5(const char *, int);

static void	 peer_begin(const char *, int);
static void	 peer_end(void);
static void	 peer_connect(const char *, int);
static void	 peer_pubkey(const char *);
static void	 peer_fingerprint(const char *);
static void	 peer_proxy(void);
static void	 peer_auth(const char *, const char *);
static void	 peer_free(struct peer_conf *);
static int	 peer_has_fp(const struct peer_conf *);
static void	 check_add(struct checks *, enum check_kind, const char *,
		    int);
static void	 rule_begin(const char *, int);
static void	 rule_add(enum policy_item, const char *);
static void	 rule_end(void);
static void	 session_default(const char *);
static void	 checks_clear(struct checks *);

static void	 config_finish(void);
static void	 run_checks(void);
static void	 check_privkey(void);
static int	 load_privkey(int, const char *);

static struct files	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file	*file, *topfile;
static struct syms	 syms = TAILQ_HEAD_INITIALIZER(syms);
static struct checks	 checks = TAILQ_HEAD_INITIALIZER(checks);
static struct checks	 peerchecks = TAILQ_HEAD_INITIALIZER(peerchecks);

static struct nc_conf	*conf;
static int		 parse_flags;
static int		 nerrors;
static int		 listen_given;	/* the first "listen on" drops "*" */

/* The peer block being parsed. */
static struct peer_conf	*curpeer;
static int		 curpeer_key, curpeer_fp, curpeer_errors;

/* The session rule being parsed (policy.c builds it). */
static struct session_rule *currule;
static int		 currule_errors;

/* Where the private key was named, for the check at the end. */
static char		*privkey_file;
static int		 privkey_line;

/* Scratch space of "cipher" and "proxy" statements. */
static uint8_t		 ciphertmp[NC_CIPHER_MAX];
static int		 nciphertmp, cipherbad;
static struct proxy_conf proxytmp;

/* What the lexer knows about the line being parsed, for yyerror(). */
static int		 lexerr;	/* the lexer already said what */
static int		 linetok;	/* tokens on this line so far */
static int		 newline_seen;
static int		 firstword;	/* line starts with an unknown word */
static char		 firstbuf[NC_NAME_MAX + 1];
static char		 lexbuf[STRING_MAX];	/* wiped: may hold a password */

%}

%token	ACCEPT BYTES CHROOT CIPHER CONNECT CONTROL DEFAULT FINGERPRINT FROM
%token	GROUP HANDSHAKE INCLUDE INTERVAL KEEPALIVE KEY LISTEN MAX MODE NAME
%token	NONE ON PASSWORD PEER PORT PRIVATE PROXY PUBLIC QUEUE RATE REKEY
%token	SESSION SESSIONS SOCKET
%token	SOCKS5 TIMEOUT TO UNWRAP USER
%token	ERROR
%token	<v.string>	STRING		/* quoted, or a macro's value */
%token	<v.string>	WORD		/* bare word, not a keyword */
%type	<v.string>	string numstr
%type	<v.number>	optport

%destructor { free($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include
		| grammar varset '\n'
		| grammar main '\n'
		| grammar peer '\n'
		| grammar sessrule '\n'
		| grammar error '\n'		{ yyerrok; }
		;

/*
 * The file is pushed once the newline is shifted, so that the next
 * token comes from the included file.
 */
include		: INCLUDE string '\n'		{
			include_file($2);
			free($2);
		}
		;

/* Adjacent quoted strings and macros make one string. */
string		: WORD
		| STRING
		| string STRING			{
			if (($$ = join($1, $2)) == NULL)
				YYERROR;
		}
		;

numstr		: WORD
		| STRING
		;

varset		: WORD '=' string		{
			if (!valid_macro_name($1))
				cerror("invalid macro name \"%s\": use letters, "
				    "digits and '_'", $1);
			else if (symset($1, $3, 0) == -1)
				cerror("macro \"%s\": out of memory", $1);
			free($1);
			free($3);
		}
		;

optport		: /* empty */			{ $$ = NC_DEFAULT_PORT; }
		| PORT numstr			{
			$$ = getport($2);
			free($2);
		}
		;

main		: NAME string			{
			if (check_name("name", $2) == 0)
				nc_strlcpy(conf->name, $2, sizeof(conf->name));
			free($2);
		}
		| LISTEN ON string optport	{
			if ($4 != -1)
				listen_add($3, (int)$4);
			free($3);
		}
		| PRIVATE KEY string		{
			if (setstr("private key", conf->privkey,
			    sizeof(conf->privkey), $3) == 0) {
				free(privkey_file);
				if ((privkey_file = strdup(file->name)) == NULL)
					fatal("private key");
				privkey_line = yylval.lineno;
			}
			free($3);
		}
		| CIPHER			{
			nciphertmp = 0;
			cipherbad = 0;
		} cipherlist			{
			if (!cipherbad) {
				memcpy(conf->ciphers, ciphertmp,
				    sizeof(conf->ciphers));
				conf->nciphers = (uint8_t)nciphertmp;
			}
		}
		| SESSION SOCKET string		{
			/* Each statement starts from the defaults. */
			conf->session_group[0] = '\0';
			conf->session_mode = 0660;
			setstr("session socket", conf->session_sock,
			    sizeof(((struct sockaddr_un *)NULL)->sun_path), $3);
		} sockopts			{
			/* Freed here: on an error the parser frees it. */
			free($3);
		}
		| CONTROL SOCKET string		{
			conf->control_mode = 0600;
			setstr("control socket", conf->control_sock,
			    sizeof(((struct sockaddr_un *)NULL)->sun_path), $3);
		} ctlopts			{
			free($3);
		}
		| USER string			{
			if ($2[0] == '\0')
				cerror("user: empty name");
			else
				setstr("user", conf->user, sizeof(conf->user),
				    $2);
			free($2);
		}
		| CHROOT string			{
			if ($2[0] != '/')
				cerror("chroot \"%s\": not an absolute path", $2);
			else
				setstr("chroot", conf->chroot,
				    sizeof(conf->chroot), $2);
			free($2);
		}
		| KEEPALIVE numstr		{
			long long n;

			if (getnum("keepalive", $2, 1, 3600, &n) == 0)
				conf->keepalive = (unsigned int)n;
			free($2);
		}
		| HANDSHAKE TIMEOUT numstr	{
			long long n;

			if (getnum("handshake timeout", $3, 1, 300, &n) == 0)
				conf->handshake_timeout = (unsigned int)n;
			free($3);
		}
		| QUEUE numstr			{
			getsize("queue", $2, 64 * KIB, "64K", GIB, "1G",
			    &conf->queue_size);
			free($2);
		}
		| QUEUE TIMEOUT numstr		{
			long long n;

			if (getnum("queue timeout", $3, 1, 86400, &n) == 0)
				conf->queue_timeout = (unsigned int)n;
			free($3);
		}
		| MAX SESSIONS numstr		{
			long long n;

			if (getnum("max sessions", $3, 1, 1000000, &n) == 0)
				conf->max_sessions = (unsigned int)n;
			free($3);
		}
		| SESSION QUEUE numstr		{
			getsize("session queue", $3, 64 * KIB, "64K",
			    256 * MIB, "256M", &conf->session_queue);
			free($3);
		}
		| SESSION DEFAULT string	{
			session_default($3);
			free($3);
		}
		| SESSION TIMEOUT numstr	{
			long long n;

			if (getnum("session timeout", $3, 1, 3600, &n) == 0)
				conf->session_timeout = (unsigned int)n;
			free($3);
		}
		| UNWRAP RATE numstr		{
			long long n;

			if (strcmp($3, "auto") == 0)
				conf->unwrap_rate = NC_UNWRAP_AUTO;
			else if (getnum("unwrap rate", $3, 0, 100000, &n) == 0)
				conf->unwrap_rate = (unsigned int)n;
			free($3);
		}
		| REKEY INTERVAL numstr		{
			long long n;

			if (getduration("rekey interval", $3, 1, "1s",
			    NC_REKEY_INTERVAL_MAX, "24h", &n) == 0)
				conf->rekey_interval = (unsigned int)n;
			free($3);
		}
		| REKEY BYTES numstr		{
			getsize("rekey bytes", $3, 64 * KIB, "64K",
			    NC_REKEY_BYTES_MAX, "64G", &conf->rekey_bytes);
			free($3);
		}
		| PROXY proxyspec		{
			/* The global proxy has no user: see PROTOCOL.md 3. */
			conf->proxy.type = proxytmp.type;
			memcpy(conf->proxy.host, proxytmp.host,
			    sizeof(conf->proxy.host));
			conf->proxy.port = proxytmp.port;
		}
		;

cipherlist	: numstr			{ cipher_add($1); free($1); }
		| cipherlist numstr		{ cipher_add($2); free($2); }
		;

sockopts	: /* empty */
		| sockopts GROUP string		{
			setstr("session socket group", conf->session_group,
			    sizeof(conf->session_group), $3);
			free($3);
		}
		| sockopts MODE numstr		{
			getmode($3, &conf->session_mode);
			free($3);
		}
		;

ctlopts		: /* empty */
		| MODE numstr			{
			getmode($2, &conf->control_mode);
			free($2);
		}
		;

/* Fills proxytmp; the caller copies what applies. */
proxyspec	: SOCKS5 string PORT numstr	{
			proxy_socks5($2, getport($4));
			free($2);
			free($4);
		}
		| NONE				{
			memset(&proxytmp, 0, sizeof(proxytmp));
			proxytmp.type = PROXY_NONE;
		}
		;

/*
 * A session rule: options on the line, or in a block whose brace opens
 * on the same line.
 */
sessrule	: sesshead			{ rule_end(); }	/* an error */
		| sesshead sessopts		{ rule_end(); }
		| sesshead '{' sessbody sesslast '}' { rule_end(); }
		;

sesshead	: SESSION string		{
			rule_begin($2, $<lineno>1);
			free($2);
		}
		;

sessbody	: /* empty */
		| sessbody '\n'
		| sessbody sessopts '\n'
		| sessbody error '\n'		{ yyerrok; }
		;

sesslast	: /* empty */
		| sessopts
		;

sessopts	: sessopt
		| sessopts sessopt
		;

sessopt		: USER string			{
			rule_add(POLICY_USER, $2);
			free($2);
		}
		| GROUP string			{
			rule_add(POLICY_GROUP, $2);
			free($2);
		}
		| ACCEPT FROM senders
		;

senders		: string			{
			rule_add(POLICY_ACCEPT, $1);
			free($1);
		}
		| senders ',' string		{
			rule_add(POLICY_ACCEPT, $3);
			free($3);
		}
		;

peer		: PEER string			{
			peer_begin($2, $<lineno>1);
		} optnl '{' peerbody peerlast '}' {
			peer_end();
			free($2);
		}
		;

optnl		: /* empty */
		| optnl '\n'
		;

peerbody	: /* empty */
		| peerbody '\n'
		| peerbody peeropt '\n'
		| peerbody error '\n'		{ yyerrok; }
		;

/* The last statement may share its line with the closing brace. */
peerlast	: /* empty */
		| peeropt
		;

peeropt		: CONNECT TO string optport	{
			if ($4 != -1)
				peer_connect($3, (int)$4);
			free($3);
		}
		| PUBLIC KEY string		{
			peer_pubkey($3);
			free($3);
		}
		| FINGERPRINT string		{
			peer_fingerprint($2);
			free($2);
		}
		| PROXY proxyspec		{ peer_proxy(); }
		| PROXY USER string PASSWORD string {
			peer_auth($3, $5);
			OPENSSL_cleanse($5, strlen($5));
			free($3);
			free($5);
		}
		;

%%

struct keywords {
	const char	*k_name;
	int		 k_val;
};

/* Sorted for bsearch(3); config_parse() checks the order once. */
static const struct keywords keywords[] = {
	{ "accept",		ACCEPT },
	{ "bytes",		BYTES },
	{ "chroot",		CHROOT },
	{ "cipher",		CIPHER },
	{ "connect",		CONNECT },
	{ "control",		CONTROL },
	{ "default",		DEFAULT },
	{ "fingerprint",	FINGERPRINT },
	{ "from",		FROM },
	{ "group",		GROUP },
	{ "handshake",		HANDSHAKE },
	{ "include",		INCLUDE },
	{ "interval",		INTERVAL },
	{ "keepalive",		KEEPALIVE },
	{ "key",		KEY },
	{ "listen",		LISTEN },
	{ "max",		MAX },
	{ "mode",		MODE },
	{ "name",		NAME },
	{ "none",		NONE },
	{ "on",			ON },
	{ "password",		PASSWORD },
	{ "peer",		PEER },
	{ "port",		PORT },
	{ "private",		PRIVATE },
	{ "proxy",		PROXY },
	{ "public",		PUBLIC },
	{ "queue",		QUEUE },
	{ "rate",		RATE },
	{ "rekey",		REKEY },
	{ "session",		SESSION },
	{ "sessions",		SESSIONS },
	{ "socket",		SOCKET },
	{ "socks5",		SOCKS5 },
	{ "timeout",		TIMEOUT },
	{ "to",			TO },
	{ "unwrap",		UNWRAP },
	{ "user",		USER }
};
#define NKEYWORDS	(sizeof(keywords) / sizeof(keywords[0]))

static const struct {
	uint8_t		 id;
	const char	*name;
} ciphers[] = {
	{ NC_CIPHER_AES256GCM,	"aes-256-gcm" },
	{ NC_CIPHER_AES128GCM,	"aes-128-gcm" },
	{ NC_CIPHER_CHACHA20,	"chacha20-poly1305" }
};
#define NCIPHERS	(sizeof(ciphers) / sizeof(ciphers[0]))

/* ---- errors ------------------------------------------------------- */

static void
cerror_at(const char *fname, int lineno, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", fname, lineno, msg);
	nerrors++;
}

/* An error on the line of the last token read. */
static void
cerror(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cerror_at(file->name, yylval.lineno, "%s", msg);
}

/*
 * Called by the generated parser only.  A line that starts with a word
 * which is neither a keyword nor a macro being defined gets a better
 * message than "syntax error".
 */
void
yyerror(const char *msg)
{
	if (lexerr)
		return;
	/* Token 0 is the end of input in every yacc. */
	if (firstword && (linetok == 1 || (linetok == 2 && yychar != '=')))
		cerror("unknown keyword \"%s\"", firstbuf);
	else if (yychar == 0)
		cerror("%s at end of file", msg);
	else
		cerror("%s", msg);
}

/* ---- lexer -------------------------------------------------------- */

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keywords *)e)->k_name);
}

static int
kw_lookup(const char *s)
{
	const struct keywords	*p;

	p = bsearch(s, keywords, NKEYWORDS, sizeof(keywords[0]), kw_cmp);
	return p != NULL ? p->k_val : 0;
}

static int
is_word_char(int c)
{
	return isalnum((unsigned char)c) || (c != '\0' &&
	    strchr("-_.:/*%@+", c) != NULL);
}

/*
 * Next character of the current file.  Outside quoted strings a
 * backslash at the end of a line joins it with the next one.
 */
static int
lgetc(int raw)
{
	int	c, next;

	if (file->nunget > 0)
		return file->unget[--file->nunget];
	c = getc(file->stream);
	if (raw)
		return c;
	/* Each turn consumes two characters: ends at EOF at the latest. */
	while (c == '\\') {
		next = getc(file->stream);
		if (next != '\n') {
			lungetc(next);
			return c;
		}
		file->lineno++;
		c = getc(file->stream);
	}
	return c;
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (file->nunget >= UNGET_MAX)
		fatalx("%s: pushback buffer full", __func__);
	file->unget[file->nunget++] = c;
}

/* Skip the rest of the line, leaving the newline for error recovery. */
static void
skip_line(void)
{
	int	c;

	while ((c = lgetc(1)) != EOF && c != '\n')
		;
	lungetc(c);
}

/* The lexer has printed its own message; no "syntax error" after it. */
static int
lex_error(void)
{
	lexerr = 1;
	return ERROR;
}

/*
 * yylex() keeps track of the line being read for yyerror() and makes
 * sure the last statement of a file ends with a newline token.
 */
int
yylex(void)
{
	int	tok;

	lexerr = 0;
	if (newline_seen) {
		newline_seen = 0;
		linetok = 0;
		firstword = 0;
	}
	tok = lex_token();
	if (tok == '\n') {
		newline_seen = 1;
		file->pending = 0;
	} else if (tok != 0)
		file->pending = 1;
	if (++linetok == 1 && tok == WORD) {
		firstword = 1;
		nc_strlcpy(firstbuf, yylval.v.string, sizeof(firstbuf));
	}
	return tok;
}

static int
lex_quoted(char *buf, size_t bufsz)
{
	size_t	len = 0;
	int	c, next;

	for (;;) {
		c = lgetc(1);
		if (c == EOF || c == '\n') {
			lungetc(c);
			cerror("unterminated quoted string");
			return lex_error();
		}
		if (c == '\0') {
			skip_line();
			cerror("NUL byte in a quoted string");
			return lex_error();
		}
		if (c == '"')
			break;
		if (c == '\\') {
			next = lgetc(1);
			if (next == '\n') {
				file->lineno++;
				continue;
			}
			if (next != '"' && next != '\\') {
				/* Any other backslash stays as written. */
				lungetc(next);
			} else
				c = next;
		}
		if (len + 1 >= bufsz) {
			skip_line();
			cerror("string too long");
			return lex_error();
		}
		buf[len++] = (char)c;
	}
	buf[len] = '\0';
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return STRING;
}

static int
lex_macro(char *buf, size_t bufsz)
{
	const char	*val;
	size_t		 len = 0;
	int		 c;

	while ((c = lgetc(0)) != EOF && (isalnum((unsigned char)c) ||
	    c == '_')) {
		if (len + 1 >= bufsz) {
			skip_line();
			cerror("macro name too long");
			return lex_error();
		}
		buf[len++] = (char)c;
	}
	lungetc(c);
	buf[len] = '\0';
	if (len == 0) {
		cerror("'$' without a macro name");
		return lex_error();
	}
	if ((val = symget(buf)) == NULL) {
		cerror("macro \"%s\" not defined", buf);
		return lex_error();
	}
	if ((yylval.v.string = strdup(val)) == NULL)
		fatal("%s", __func__);
	return STRING;
}

static int
lex_word(int c, char *buf, size_t bufsz)
{
	size_t	len = 0;
	int	kw;

	do {
		if (len + 1 >= bufsz) {
			skip_line();
			cerror("word too long");
			return lex_error();
		}
		buf[len++] = (char)c;
	} while ((c = lgetc(0)) != EOF && is_word_char(c));
	buf[len] = '\0';
	/*
	 * A keyword that starts a line and is followed by '=' is the name
	 * of a macro being defined ("port = 55555").
	 */
	if (linetok == 0)
		while (c == ' ' || c == '\t')
			c = lgetc(0);
	lungetc(c);
	if ((kw = kw_lookup(buf)) != 0 && (linetok != 0 || c != '='))
		return kw;
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return WORD;
}

static int
lex_token(void)
{
	int	c;

	/* Each turn ends an included file: bounded by the include depth. */
	for (;;) {
		while ((c = lgetc(0)) == ' ' || c == '\t')
			;
		yylval.lineno = file->lineno;
		if (c == '#') {
			/* No line continuation inside comments. */
			while ((c = lgetc(1)) != '\n' && c != EOF)
				;
		}
		if (c != EOF)
			break;
		if (file->pending)
			return '\n';	/* the last line had no newline */
		if (file == topfile)
			return 0;
		popfile();
	}

	switch (c) {
	case '\n':
		file->lineno++;
		return '\n';
	case '{':
	case '}':
	case '=':
	case ',':
		return c;
	case '"':
		return lex_quoted(lexbuf, sizeof(lexbuf));
	case '$':
		return lex_macro(lexbuf, sizeof(lexbuf));
	default:
		break;
	}
	if (is_word_char(c))
		return lex_word(c, lexbuf, sizeof(lexbuf));
	/* Anything else is a syntax error, reported by the parser. */
	return ERROR;
}

/* ---- files -------------------------------------------------------- */

static struct file *
pushfile(const char *name, int depth)
{
	struct file	*nfile, *f;
	struct stat	 st;
	int		 fd, saved_errno;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	TAILQ_FOREACH(f, &files, entry) {
		if (f->dev == st.st_dev && f->ino == st.st_ino) {
			close(fd);
			errno = ELOOP;
			return NULL;
		}
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL ||
	    (nfile->name = strdup(name)) == NULL ||
	    (nfile->stream = fdopen(fd, "r")) == NULL) {
		if (nfile != NULL)
			free(nfile->name);
		free(nfile);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	nfile->dev = st.st_dev;
	nfile->ino = st.st_ino;
	nfile->lineno = 1;
	nfile->depth = depth;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	file = nfile;
	return nfile;
}

static void
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file);
	file = prev;
}

/* A relative path is taken from the directory of the including file. */
static void
include_file(const char *path)
{
	char		 buf[PATH_MAX];
	const char	*slash;
	int		 n;

	slash = strrchr(file->name, '/');
	if (path[0] == '/' || slash == NULL)
		n = snprintf(buf, sizeof(buf), "%s", path);
	else
		n = snprintf(buf, sizeof(buf), "%.*s/%s",
		    (int)(slash - file->name), file->name, path);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		cerror("include \"%s\": path too long", path);
		return;
	}
	if (file->depth >= MAX_INCLUDE_DEPTH) {
		cerror("include \"%s\": includes nested deeper than %d",
		    buf, MAX_INCLUDE_DEPTH);
		return;
	}
	if (pushfile(buf, file->depth + 1) == NULL) {
		if (errno == ELOOP)
			cerror("include \"%s\": include loop", buf);
		else
			cerror("include \"%s\": %s", buf, strerror(errno));
	}
}

/* ---- macros ------------------------------------------------------- */

static int
valid_macro_name(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return i > 0;
}

static int
symset(const char *name, const char *value, int cmdline)
{
	struct sym	*sym;
	char		*v;

	TAILQ_FOREACH(sym, &syms, entry)
		if (strcmp(sym->name, name) == 0)
			break;
	if (sym != NULL) {
		/* -D wins over the file, as in OpenBSD's daemons. */
		if (sym->cmdline && !cmdline)
			return 0;
		if ((v = strdup(value)) == NULL)
			return -1;
		free(sym->value);
		sym->value = v;
		sym->cmdline = cmdline;
		return 0;
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return -1;
	if ((sym->name = strdup(name)) == NULL ||
	    (sym->value = strdup(value)) == NULL) {
		free(sym->name);
		free(sym);
		return -1;
	}
	sym->cmdline = cmdline;
	TAILQ_INSERT_TAIL(&syms, sym, entry);
	return 0;
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &syms, entry)
		if (strcmp(sym->name, name) == 0)
			return sym->value;
	return NULL;
}

/* Forget the file's macros; those from the command line stay. */
static void
symclear(void)
{
	struct sym	*sym, *next;

	for (sym = TAILQ_FIRST(&syms); sym != NULL; sym = next) {
		next = TAILQ_NEXT(sym, entry);
		if (sym->cmdline)
			continue;
		TAILQ_REMOVE(&syms, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym);
	}
}

int
config_define_macro(const char *def)
{
	const char	*eq;
	char		 name[128];
	size_t		 len;

	if ((eq = strchr(def, '=')) == NULL)
		return -1;
	len = (size_t)(eq - def);
	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, def, len);
	name[len] = '\0';
	if (!valid_macro_name(name))
		return -1;
	return symset(name, eq + 1, 1);
}

/* ---- values ------------------------------------------------------- */

/* Join two strings into the first; both are consumed. */
static char *
join(char *a, char *b)
{
	size_t	alen = strlen(a), blen = strlen(b);
	char	*s;

	if (alen + blen >= STRING_MAX) {
		cerror("string too long");
		free(a);
		free(b);
		return NULL;
	}
	if ((s = realloc(a, alen + blen + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(s + alen, b, blen + 1);
	free(b);
	return s;
}

static int
getnum(const char *what, const char *s, long long min, long long max,
    long long *out)
{
	const char	*errstr;
	size_t		 len = strlen(s);

	/* Digits only: strtoll(3) would also take spaces and signs. */
	if (len == 0 || len > 18 || strspn(s, "0123456789") != len) {
		cerror("%s: \"%s\" is not a number", what, s);
		return -1;
	}
	if (nc_strtonum(s, min, max, out, &errstr) == -1) {
		cerror("%s %s: out of range %lld..%lld", what, s, min, max);
		return -1;
	}
	return 0;
}

/* A port number, or -1 after an error. */
static int
getport(const char *s)
{
	long long	n;

	if (getnum("port", s, 1, 65535, &n) == -1)
		return -1;
	return (int)n;
}

static int
getmode(const char *s, mode_t *out)
{
	size_t		len = strlen(s);
	unsigned long	m;

	if (len == 0 || len > 5 || strspn(s, "01234567") != len) {
		cerror("mode: \"%s\" is not an octal number", s);
		return -1;
	}
	m = strtoul(s, NULL, 8);
	if (m > 0777) {
		cerror("mode %s: out of range 0..0777", s);
		return -1;
	}
	*out = (mode_t)m;
	return 0;
}

/* A byte count: digits and an optional K, M or G (powers of 1024). */
static int
getsize(const char *what, const char *s, uint64_t min, const char *mins,
    uint64_t max, const char *maxs, uint64_t *out)
{
	size_t		len = strlen(s), ndig;
	uint64_t	mult = 1, v;

	ndig = strspn(s, "0123456789");
	if (ndig == 0 || ndig > 19 || len > ndig + 1)
		goto bad;
	if (len == ndig + 1) {
		switch (s[ndig]) {
		case 'k':
		case 'K':
			mult = KIB;
			break;
		case 'm':
		case 'M':
			mult = MIB;
			break;
		case 'g':
		case 'G':
			mult = GIB;
			break;
		default:
			goto bad;
		}
	}
	v = strtoull(s, NULL, 10);
	if (v > max / mult || v * mult < min) {
		cerror("%s %s: out of range %s..%s", what, s, mins, maxs);
		return -1;
	}
	*out = v * mult;
	return 0;
bad:
	cerror("%s: bad size \"%s\" (a number of bytes, optionally followed "
	    "by K, M or G)", what, s);
	return -1;
}

/*
 * A duration in seconds: digits and an optional s, m or h.  min and max
 * are seconds, mins and maxs the same for the message.
 */
static int
getduration(const char *what, const char *s, long long min,
    const char *mins, long long max, const char *maxs, long long *out)
{
	size_t		len = strlen(s), ndig;
	long long	mult = 1, v;

	ndig = strspn(s, "0123456789");
	if (ndig == 0 || ndig > 9 || len > ndig + 1)
		goto bad;
	if (len == ndig + 1) {
		switch (s[ndig]) {
		case 's':
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		default:
			goto bad;
		}
	}
	v = strtoll(s, NULL, 10) * mult;	/* at most 10^9 * 3600 */
	if (v < min || v > max) {
		cerror("%s %s: out of range %s..%s", what, s, mins, maxs);
		return -1;
	}
	*out = v;
	return 0;
bad:
	cerror("%s: bad duration \"%s\" (a number of seconds, optionally "
	    "followed by s, m or h)", what, s);
	return -1;
}

static int
valid_name(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= NC_NAME_MAX && strspn(s, NAME_CHARS) == len;
}

/* Host and peer names: what sessions write after '@'. */
static int
check_name(const char *what, const char *s)
{
	if (strlen(s) > NC_NAME_MAX) {
		cerror("%s \"%s\": too long (at most %d characters)", what, s,
		    NC_NAME_MAX);
		return -1;
	}
	if (!valid_name(s)) {
		cerror("%s \"%s\": invalid (use letters, digits, '.', '_' "
		    "and '-')", what, s);
		return -1;
	}
	return 0;
}

/* A DNS name or an address literal; never resolved here. */
static int
valid_host(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= NC_HOST_MAX &&
	    strspn(s, NAME_CHARS ":%") == len;
}

static int
is_onion(const char *host)
{
	size_t	len = strlen(host);

	if (len > 0 && host[len - 1] == '.')	/* fully qualified */
		len--;
	return len >= 6 && strncasecmp(host + len - 6, ".onion", 6) == 0;
}

static int
setstr(const char *what, char *dst, size_t dstsz, const char *src)
{
	if (strlen(src) >= dstsz) {
		cerror("%s \"%s\": too long (at most %zu bytes)", what, src,
		    dstsz - 1);
		return -1;
	}
	nc_strlcpy(dst, src, dstsz);
	return 0;
}

const char *
cipher_name(uint8_t id)
{
	size_t	i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].id == id)
			return ciphers[i].name;
	return "unknown";
}

int
cipher_from_name(const char *name)
{
	size_t	i;

	for (i = 0; i < NCIPHERS; i++)
		if (strcasecmp(ciphers[i].name, name) == 0)
			return ciphers[i].id;
	return -1;
}

static void
cipher_add(const char *name)
{
	int	id, i;

	if ((id = cipher_from_name(name)) == -1) {
		cerror("unknown cipher \"%s\" (use aes-256-gcm, aes-128-gcm "
		    "or chacha20-poly1305)", name);
		cipherbad = 1;
		return;
	}
	for (i = 0; i < nciphertmp; i++) {
		if (ciphertmp[i] == id) {
			cerror("cipher %s given twice", cipher_name(id));
			cipherbad = 1;
			return;
		}
	}
	/* Cannot overflow: there are only NC_CIPHER_MAX distinct ones. */
	ciphertmp[nciphertmp++] = (uint8_t)id;
}

static void
proxy_socks5(const char *host, int port)
{
	memset(&proxytmp, 0, sizeof(proxytmp));
	proxytmp.type = PROXY_SOCKS5;
	if (!valid_host(host)) {
		cerror("proxy socks5: invalid host \"%s\"", host);
		return;
	}
	/* The master would have to resolve it: a lookup that leaks. */
	if (is_onion(host)) {
		cerror("proxy socks5: \"%s\": a .onion host cannot be the "
		    "proxy itself", host);
		return;
	}
	nc_strlcpy(proxytmp.host, host, sizeof(proxytmp.host));
	/* A bad port has been reported; 0 never reaches a socket. */
	proxytmp.port = port > 0 ? (uint16_t)port : 0;
}

/* ---- listen ------------------------------------------------------- */

static int
sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return a6->sin6_port == b6->sin6_port &&
	    a6->sin6_scope_id == b6->sin6_scope_id &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* Address literals only: the master never waits on DNS to listen. */
static int
listen_add_one(const char *host, uint16_t port)
{
	struct addrinfo		 hints, *res;
	struct listen_addr	*la, *l;
	int			 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if ((error = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		cerror("listen on \"%s\": not an IPv4 or IPv6 address", host);
		return -1;
	}
	if (res->ai_addrlen > sizeof(la->ss) || (res->ai_family != AF_INET &&
	    res->ai_family != AF_INET6)) {
		cerror("listen on \"%s\": unsupported address", host);
		freeaddrinfo(res);
		return -1;
	}
	if ((la = calloc(1, sizeof(*la))) == NULL)
		fatal("%s", __func__);
	memcpy(&la->ss, res->ai_addr, res->ai_addrlen);
	la->sslen = res->ai_addrlen;
	freeaddrinfo(res);
	if (la->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&la->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&la->ss)->sin6_port = htons(port);
	if (getnameinfo((struct sockaddr *)&la->ss, la->sslen, la->text,
	    sizeof(la->text), NULL, 0, NI_NUMERICHOST) != 0)
		nc_strlcpy(la->text, host, sizeof(la->text));

	TAILQ_FOREACH(l, &conf->listens, entry) {
		if (sa_equal((struct sockaddr *)&l->ss,
		    (struct sockaddr *)&la->ss)) {
			cerror("listen on %s port %u given twice", la->text,
			    port);
			free(la);
			return -1;
		}
	}
	TAILQ_INSERT_TAIL(&conf->listens, la, entry);
	return 0;
}

static void
listen_add(const char *host, int port)
{
	listen_given = 1;
	if (strcmp(host, "*") == 0) {
		/* Both families, as two sockets (IPV6_V6ONLY on ::). */
		listen_add_one("0.0.0.0", (uint16_t)port);
		listen_add_one("::", (uint16_t)port);
	} else
		listen_add_one(host, (uint16_t)port);
}

/* ---- peers -------------------------------------------------------- */

static void
peer_free(struct peer_conf *p)
{
	struct connect_to	*ct;

	if (p == NULL)
		return;
	while ((ct = TAILQ_FIRST(&p->connects)) != NULL) {
		TAILQ_REMOVE(&p->connects, ct, entry);
		free(ct);
	}
	free(p->spki);
	OPENSSL_cleanse(&p->proxy, sizeof(p->proxy));
	free(p);
}

/* Whether fp holds a key: not for a key file skipped with NOKEYS. */
static int
peer_has_fp(const struct peer_conf *p)
{
	return p->keyfile[0] == '\0' || p->spki != NULL;
}

static void
check_add(struct checks *list, enum check_kind kind, const char *host,
    int lineno)
{
	struct check	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->file = strdup(file->name)) == NULL)
		fatal("%s", __func__);
	c->kind = kind;
	c->peer = curpeer;
	c->lineno = lineno;
	if (host != NULL)
		nc_strlcpy(c->host, host, sizeof(c->host));
	TAILQ_INSERT_TAIL(list, c, entry);
}

static void
checks_clear(struct checks *list)
{
	struct check	*c;

	while ((c = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, c, entry);
		free(c->file);
		free(c);
	}
}

/*
 * A peer block is parsed even when its name is bad, to report what is
 * wrong inside; a peer with any error is dropped at its end.
 */
static void
peer_begin(const char *name, int lineno)
{
	struct peer_conf	*p;

	peer_free(curpeer);
	checks_clear(&peerchecks);
	if ((curpeer = calloc(1, sizeof(*curpeer))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&curpeer->connects);
	curpeer->lineno = lineno;
	curpeer->proxy.type = PROXY_INHERIT;
	curpeer_key = curpeer_fp = 0;
	curpeer_errors = nerrors;

	if (check_name("peer name", name) == 0) {
		nc_strlcpy(curpeer->name, name, sizeof(curpeer->name));
		TAILQ_FOREACH(p, &conf->peers, entry)
			if (strcmp(p->name, name) == 0)
				break;
		if (p != NULL)
			cerror_at(file->name, lineno, "peer \"%s\" defined "
			    "twice (first on line %d)", name, p->lineno);
	}
	check_add(&peerchecks, CHECK_SELF, NULL, lineno);
}

static void
peer_end(void)
{
	struct peer_conf	*p;

	if (curpeer_key && curpeer_fp)
		cerror_at(file->name, curpeer->lineno, "peer \"%s\": give "
		    "either \"public key\" or \"fingerprint\", not both",
		    curpeer->name);
	else if (!curpeer_key && !curpeer_fp)
		cerror_at(file->name, curpeer->lineno, "peer \"%s\": "
		    "\"public key\" or \"fingerprint\" required",
		    curpeer->name);
	if (nerrors == curpeer_errors && peer_has_fp(curpeer)) {
		TAILQ_FOREACH(p, &conf->peers, entry) {
			if (peer_has_fp(p) && memcmp(p->fp, curpeer->fp,
			    sizeof(p->fp)) == 0) {
				cerror_at(file->name, curpeer->lineno,
				    "peers \"%s\" and \"%s\" have the same "
				    "key", p->name, curpeer->name);
				break;
			}
		}
	}
	if (nerrors != curpeer_errors) {
		peer_free(curpeer);
		checks_clear(&peerchecks);
	} else {
		TAILQ_INSERT_TAIL(&conf->peers, curpeer, entry);
		TAILQ_CONCAT(&checks, &peerchecks, entry);
	}
	curpeer = NULL;
}

static void
peer_connect(const char *host, int port)
{
	struct connect_to	*ct;

	if (!valid_host(host)) {
		cerror("connect to \"%s\": invalid host", host);
		return;
	}
	if ((ct = calloc(1, sizeof(*ct))) == NULL)
		fatal("%s", __func__);
	nc_strlcpy(ct->host, host, sizeof(ct->host));
	ct->port = (uint16_t)port;
	TAILQ_INSERT_TAIL(&curpeer->connects, ct, entry);
	/* Only a proxy can reach it; which one is known at the end. */
	if (is_onion(host))
		check_add(&peerchecks, CHECK_ONION, host, yylval.lineno);
}

static void
peer_pubkey(const char *path)
{
	EVP_PKEY	*pkey;
	char		 errbuf[512];
	int		 bits;

	if (curpeer_key) {
		cerror("peer \"%s\": public key given twice", curpeer->name);
		return;
	}
	curpeer_key = 1;
	if (setstr("public key", curpeer->keyfile, sizeof(curpeer->keyfile),
	    path) == -1 || (parse_flags & CONF_F_NOKEYS))
		return;
	if ((pkey = nc_load_pubkey_file(path, errbuf, sizeof(errbuf))) ==
	    NULL) {
		cerror("peer \"%s\": %s", curpeer->name, errbuf);
		return;
	}
	/* nc_load_pubkey_file() checks it too; this is the policy. */
	if ((bits = nc_rsa_bits(pkey)) < NC_RSA_MIN_BITS) {
		cerror("peer \"%s\": %s: RSA key of %d bits, at least %d "
		    "required", curpeer->name, path, bits, NC_RSA_MIN_BITS);
		EVP_PKEY_free(pkey);
		return;
	}
	if (nc_pkey_spki(pkey, &curpeer->spki, &curpeer->spkilen) == -1 ||
	    nc_sha256(curpeer->spki, curpeer->spkilen, curpeer->fp) == -1)
		cerror("peer \"%s\": %s: cannot encode the key",
		    curpeer->name, path);
	EVP_PKEY_free(pkey);
}

static void
peer_fingerprint(const char *s)
{
	if (curpeer_fp) {
		cerror("peer \"%s\": fingerprint given twice", curpeer->name);
		return;
	}
	curpeer_fp = 1;
	if (nc_fingerprint_parse(s, curpeer->fp) == -1)
		cerror("peer \"%s\": invalid fingerprint \"%s\" (expected "
		    "SHA256: and 43 base64 characters)", curpeer->name, s);
}

static void
peer_proxy(void)
{
	/* Keep a user and password given before. */
	curpeer->proxy.type = proxytmp.type;
	memcpy(curpeer->proxy.host, proxytmp.host,
	    sizeof(curpeer->proxy.host));
	curpeer->proxy.port = proxytmp.port;
}

static void
peer_auth(const char *user, const char *password)
{
	size_t	ulen = strlen(user), plen = strlen(password);

	/* RFC 1929 sends both with a one-byte length. */
	if (ulen < 1 || ulen > 255 || plen < 1 || plen > 255) {
		cerror("peer \"%s\": proxy user and password must have 1 to "
		    "255 bytes each", curpeer->name);
		return;
	}
	curpeer->proxy.has_auth = 1;
	nc_strlcpy(curpeer->proxy.user, user, sizeof(curpeer->proxy.user));
	nc_strlcpy(curpeer->proxy.password, password,
	    sizeof(curpeer->proxy.password));
	check_add(&peerchecks, CHECK_AUTH, NULL, yylval.lineno);
}

/* ---- session rules (built by policy.c) ---------------------------- */

/* Like a peer, a rule with errors is parsed to its end, then dropped. */
static void
rule_begin(const char *pattern, int lineno)
{
	char	err[256];

	policy_rule_free(currule);
	currule = policy_rule_new(pattern, file->name, lineno);
	currule_errors = nerrors;
	if (policy_rule_check_pattern(pattern, err, sizeof(err)) == -1)
		cerror_at(file->name, lineno, "%s", err);
}

static void
rule_add(enum policy_item item, const char *value)
{
	char	err[256];

	if (policy_rule_add(currule, item, value, err, sizeof(err)) == -1)
		cerror("%s", err);
}

static void
rule_end(void)
{
	char	err[512];

	if (nerrors == currule_errors && policy_rule_fits(&conf->session_rules,
	    currule, err, sizeof(err)) == -1)
		cerror_at(currule->file, currule->lineno, "%s", err);
	if (nerrors == currule_errors)
		TAILQ_INSERT_TAIL(&conf->session_rules, currule, entry);
	else
		policy_rule_free(currule);
	currule = NULL;
}

static void
session_default(const char *value)
{
	if (strcmp(value, "own") == 0)
		conf->session_default = SESSION_DEFAULT_OWN;
	else if (strcmp(value, "any") == 0)
		conf->session_default = SESSION_DEFAULT_ANY;
	else
		cerror("session default \"%s\": \"own\" or \"any\"", value);
}

struct peer_conf *
config_find_peer(struct nc_conf *c, const char *name)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &c->peers, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/*
 * The proxy a peer's outgoing links use: its own "proxy" statement, else
 * the global one; the user and password are always the peer's.  The
 * type is PROXY_NONE or PROXY_SOCKS5, never PROXY_INHERIT.
 */
void
config_peer_proxy(const struct nc_conf *c, const struct peer_conf *p,
    struct proxy_conf *out)
{
	const struct proxy_conf	*src;

	src = p->proxy.type == PROXY_INHERIT ? &c->proxy : &p->proxy;
	memset(out, 0, sizeof(*out));
	if (src->type != PROXY_SOCKS5) {
		out->type = PROXY_NONE;
		return;
	}
	out->type = PROXY_SOCKS5;
	nc_strlcpy(out->host, src->host, sizeof(out->host));
	out->port = src->port;
	if (p->proxy.has_auth) {
		out->has_auth = 1;
		nc_strlcpy(out->user, p->proxy.user, sizeof(out->user));
		nc_strlcpy(out->password, p->proxy.password,
		    sizeof(out->password));
	}
}

/* ---- the whole configuration -------------------------------------- */

static void
default_name(char *buf, size_t bufsz)
{
	char	host[256];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	if (host[0] == '\0')
		nc_strlcpy(host, "localhost", sizeof(host));
	/* Keep it a valid name whatever the system calls itself. */
	for (i = 0; host[i] != '\0'; i++)
		if (strchr(NAME_CHARS, host[i]) == NULL)
			host[i] = '_';
	nc_strlcpy(buf, host, bufsz);
}

/*
 * No allocation here: the default listen addresses (* port 55555) are
 * added by config_parse() when the file has no "listen on".
 */
void
config_init_defaults(struct nc_conf *c)
{
	memset(c, 0, sizeof(*c));
	default_name(c->name, sizeof(c->name));
	TAILQ_INIT(&c->listens);
	TAILQ_INIT(&c->peers);
	TAILQ_INIT(&c->session_rules);
	/* Names are identities: see netcryptd.conf(5) for why "own". */
	c->session_default = SESSION_DEFAULT_OWN;
	nc_strlcpy(c->privkey, SYSCONFDIR "/netcryptd/private.pem",
	    sizeof(c->privkey));
	c->ciphers[0] = NC_CIPHER_AES256GCM;
	c->ciphers[1] = NC_CIPHER_AES128GCM;
	c->ciphers[2] = NC_CIPHER_CHACHA20;
	c->nciphers = 3;
	nc_strlcpy(c->session_sock, RUNSTATEDIR "/netcryptd/session.sock",
	    sizeof(c->session_sock));
	c->session_mode = 0660;
	nc_strlcpy(c->control_sock, RUNSTATEDIR "/netcryptd/control.sock",
	    sizeof(c->control_sock));
	c->control_mode = 0600;
	nc_strlcpy(c->user, NC_DEFAULT_USER, sizeof(c->user));
	nc_strlcpy(c->chroot, NC_DEFAULT_CHROOT, sizeof(c->chroot));
	c->keepalive = 15;
	c->handshake_timeout = 10;
	c->queue_size = 4 * MIB;
	c->queue_timeout = 30;
	c->max_sessions = 10000;
	c->session_queue = 1 * MIB;
	c->session_timeout = 60;
	c->unwrap_rate = NC_UNWRAP_AUTO;
	c->rekey_interval = NC_REKEY_INTERVAL;
	c->rekey_bytes = NC_REKEY_BYTES;
	c->proxy.type = PROXY_NONE;
}

void
config_free(struct nc_conf *c)
{
	struct listen_addr	*la;
	struct peer_conf	*p;
	struct session_rule	*r;

	if (c == NULL)
		return;
	while ((r = TAILQ_FIRST(&c->session_rules)) != NULL) {
		TAILQ_REMOVE(&c->session_rules, r, entry);
		policy_rule_free(r);
	}
	while ((la = TAILQ_FIRST(&c->listens)) != NULL) {
		TAILQ_REMOVE(&c->listens, la, entry);
		free(la);
	}
	while ((p = TAILQ_FIRST(&c->peers)) != NULL) {
		TAILQ_REMOVE(&c->peers, p, entry);
		peer_free(p);
	}
	OPENSSL_cleanse(&c->proxy, sizeof(c->proxy));
	free(c);
}

static void
run_checks(void)
{
	struct check		*c;
	struct peer_conf	*p;
	enum proxy_type		 type;

	TAILQ_FOREACH(c, &checks, entry) {
		p = c->peer;
		type = p->proxy.type == PROXY_INHERIT ? conf->proxy.type :
		    p->proxy.type;
		switch (c->kind) {
		case CHECK_SELF:
			if (strcmp(p->name, conf->name) == 0)
				cerror_at(c->file, c->lineno, "peer \"%s\" has "
				    "the name of this host", p->name);
			break;
		case CHECK_ONION:
			if (type != PROXY_SOCKS5)
				cerror_at(c->file, c->lineno, "peer \"%s\": "
				    "connect to \"%s\": .onion hosts need a "
				    "socks5 proxy", p->name, c->host);
			break;
		case CHECK_AUTH:
			if (type != PROXY_SOCKS5)
				cerror_at(c->file, c->lineno, "peer \"%s\": "
				    "proxy user and password need a socks5 "
				    "proxy", p->name);
			break;
		}
	}
}

/* With CONF_F_LOADKEY: the key must parse and be strong enough. */
static int
load_privkey(int fd, const char *path)
{
	EVP_PKEY	*pkey;
	uint8_t		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 tries, bits, ret = -1;

	if ((buf = malloc(PRIVKEY_FILE_MAX + 1)) == NULL)
		fatal("%s", __func__);
	/* Each turn reads something, or is one of few interruptions. */
	for (tries = 0; len <= PRIVKEY_FILE_MAX && tries < 64; tries++) {
		n = read(fd, buf + len, PRIVKEY_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("%s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > PRIVKEY_FILE_MAX) {
		cerror_at(privkey_file, privkey_line, "private key %s: larger "
		    "than %d bytes", path, PRIVKEY_FILE_MAX);
		goto out;
	}
	if ((pkey = nc_load_privkey_mem(buf, len)) == NULL) {
		cerror_at(privkey_file, privkey_line, "private key %s: not an "
		    "unencrypted PEM RSA private key", path);
		goto out;
	}
	bits = nc_rsa_bits(pkey);
	EVP_PKEY_free(pkey);
	if (bits < NC_RSA_MIN_BITS) {
		cerror_at(privkey_file, privkey_line, "private key %s: RSA key "
		    "of %d bits, at least %d required", path, bits,
		    NC_RSA_MIN_BITS);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(buf, PRIVKEY_FILE_MAX + 1);
	free(buf);
	return ret;
}

/* The secrecy check sshd does: nobody else may read the key. */
static void
check_privkey(void)
{
	char	errbuf[512];
	int	fd;

	if ((fd = open(conf->privkey, O_RDONLY | O_CLOEXEC)) == -1) {
		cerror_at(privkey_file, privkey_line, "private key %s: %s",
		    conf->privkey, strerror(errno));
		return;
	}
	if (nc_check_private_key_file(fd, conf->privkey, errbuf,
	    sizeof(errbuf)) == -1)
		cerror_at(privkey_file, privkey_line, "private key %s",
		    errbuf);
	else if (parse_flags & CONF_F_LOADKEY)
		load_privkey(fd, conf->privkey);
	close(fd);
}

static void
config_finish(void)
{
	if (!listen_given) {
		listen_add_one("0.0.0.0", NC_DEFAULT_PORT);
		listen_add_one("::", NC_DEFAULT_PORT);
	}
	run_checks();
	if (!(parse_flags & CONF_F_NOKEYS))
		check_privkey();
}

struct nc_conf *
config_parse(const char *filename, int flags)
{
	static int	 sorted;
	struct nc_conf	*c;
	size_t		 i;
	int		 errors;

	if (!sorted) {
		for (i = 1; i < NKEYWORDS; i++)
			if (strcmp(keywords[i - 1].k_name,
			    keywords[i].k_name) >= 0)
				fatalx("%s: keyword table not sorted at %s",
				    __func__, keywords[i].k_name);
		sorted = 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	config_init_defaults(c);
	conf = c;
	parse_flags = flags;
	nerrors = 0;
	listen_given = 0;
	newline_seen = 1;
	if ((topfile = pushfile(filename, 0)) == NULL) {
		log_warn("%s", filename);
		free(c);
		return NULL;
	}
	/* Without a "private key" statement, line 0: the whole file. */
	if ((privkey_file = strdup(filename)) == NULL)
		fatal("%s", __func__);
	privkey_line = 0;

	if (yyparse() != 0 && nerrors == 0)
		cerror("cannot parse the file");
	/* After an abort the stack may still hold included files. */
	while (file != topfile)
		popfile();
	/* A block cut short by the end of the file. */
	peer_free(curpeer);
	curpeer = NULL;
	checks_clear(&peerchecks);
	policy_rule_free(currule);
	currule = NULL;

	config_finish();

	popfile();
	topfile = NULL;
	checks_clear(&checks);
	symclear();
	free(privkey_file);
	privkey_file = NULL;
	OPENSSL_cleanse(lexbuf, sizeof(lexbuf));
	errors = nerrors;
	conf = NULL;
	if (errors > 0) {
		config_free(c);
		return NULL;
	}
	return c;
}
