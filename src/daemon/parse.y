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
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"
#include "util.h"

#define MAX_INCLUDE_DEPTH	8
#define UNGET_MAX		8

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

static struct files	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file	*file, *topfile;
/* The parse under way; the checks' lists start empty. */
struct parse_state ps = {
	.checks = TAILQ_HEAD_INITIALIZER(ps.checks),
	.peerchecks = TAILQ_HEAD_INITIALIZER(ps.peerchecks)
};

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
			macro_define($1, $3);
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
				nc_strlcpy(ps.conf->name, $2,
				    sizeof(ps.conf->name));
			free($2);
		}
		| LISTEN ON string optport	{
			if ($4 != -1)
				listen_add($3, (int)$4);
			free($3);
		}
		| PRIVATE KEY string		{
			private_key($3);
			free($3);
		}
		| CIPHER			{ cipher_begin(); }
		  cipherlist			{ cipher_end(); }
		| SESSION SOCKET string		{
			/* Each statement starts from the defaults. */
			ps.conf->session_group[0] = '\0';
			ps.conf->session_mode = 0660;
			setstr("session socket", ps.conf->session_sock,
			    sizeof(((struct sockaddr_un *)NULL)->sun_path), $3);
		} sockopts			{
			/* Freed here: on an error the parser frees it. */
			free($3);
		}
		| CONTROL SOCKET string		{
			ps.conf->control_mode = 0600;
			setstr("control socket", ps.conf->control_sock,
			    sizeof(((struct sockaddr_un *)NULL)->sun_path), $3);
		} ctlopts			{
			free($3);
		}
		| USER string			{
			if ($2[0] == '\0')
				cerror("user: empty name");
			else
				setstr("user", ps.conf->user,
				    sizeof(ps.conf->user), $2);
			free($2);
		}
		| CHROOT string			{
			if ($2[0] != '/')
				cerror("chroot \"%s\": not an absolute path",
				    $2);
			else
				setstr("chroot", ps.conf->chroot,
				    sizeof(ps.conf->chroot), $2);
			free($2);
		}
		| KEEPALIVE numstr		{
			getuint("keepalive", $2, 1, 3600, &ps.conf->keepalive);
			free($2);
		}
		| HANDSHAKE TIMEOUT numstr	{
			getuint("handshake timeout", $3, 1, 300,
			    &ps.conf->handshake_timeout);
			free($3);
		}
		| QUEUE numstr			{
			getsize("queue", $2, 64 * KIB, "64K", GIB, "1G",
			    &ps.conf->queue_size);
			free($2);
		}
		| QUEUE TIMEOUT numstr		{
			getuint("queue timeout", $3, 1, 86400,
			    &ps.conf->queue_timeout);
			free($3);
		}
		| MAX SESSIONS numstr		{
			getuint("max sessions", $3, 1, 1000000,
			    &ps.conf->max_sessions);
			free($3);
		}
		| SESSION QUEUE numstr		{
			getsize("session queue", $3, 64 * KIB, "64K",
			    256 * MIB, "256M", &ps.conf->session_queue);
			free($3);
		}
		| SESSION DEFAULT string	{
			session_default($3);
			free($3);
		}
		| SESSION TIMEOUT numstr	{
			getuint("session timeout", $3, 1, 3600,
			    &ps.conf->session_timeout);
			free($3);
		}
		| UNWRAP RATE numstr		{
			long long n;

			if (strcmp($3, "auto") == 0)
				ps.conf->unwrap_rate = NC_UNWRAP_AUTO;
			else if (getnum("unwrap rate", $3, 0, 100000, &n) == 0)
				ps.conf->unwrap_rate = (unsigned int)n;
			free($3);
		}
		| REKEY INTERVAL numstr		{
			long long n;

			if (getduration("rekey interval", $3, 1, "1s",
			    NC_REKEY_INTERVAL_MAX, "24h", &n) == 0)
				ps.conf->rekey_interval = (unsigned int)n;
			free($3);
		}
		| REKEY BYTES numstr		{
			getsize("rekey bytes", $3, 64 * KIB, "64K",
			    NC_REKEY_BYTES_MAX, "64G", &ps.conf->rekey_bytes);
			free($3);
		}
		| PROXY proxyspec		{ proxy_global(); }
		;

cipherlist	: numstr			{ cipher_add($1); free($1); }
		| cipherlist numstr		{ cipher_add($2); free($2); }
		;

sockopts	: /* empty */
		| sockopts GROUP string		{
			setstr("session socket group", ps.conf->session_group,
			    sizeof(ps.conf->session_group), $3);
			free($3);
		}
		| sockopts MODE numstr		{
			getmode($3, &ps.conf->session_mode);
			free($3);
		}
		;

ctlopts		: /* empty */
		| MODE numstr			{
			getmode($2, &ps.conf->control_mode);
			free($2);
		}
		;

/* Fills ps.proxytmp; the caller copies what applies. */
proxyspec	: SOCKS5 string PORT numstr	{
			proxy_socks5($2, getport($4));
			free($2);
			free($4);
		}
		| NONE				{ proxy_none(); }
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
			rule_add(CONF_RULE_USER, $2);
			free($2);
		}
		| GROUP string			{
			rule_add(CONF_RULE_GROUP, $2);
			free($2);
		}
		| ACCEPT FROM senders
		;

senders		: string			{
			rule_add(CONF_RULE_ACCEPT, $1);
			free($1);
		}
		| senders ',' string		{
			rule_add(CONF_RULE_ACCEPT, $3);
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

/* ---- errors ------------------------------------------------------- */

/* An error on the line of the last token read. */
void
cerror(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cerror_at(file->name, yylval.lineno, "%s", msg);
}

const char *
parse_file_name(void)
{
	return file->name;
}

int
parse_lineno(void)
{
	return yylval.lineno;
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

/* ---- the parse --------------------------------------------------- */

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
	ps.conf = c;
	ps.flags = flags;
	ps.nerrors = 0;
	ps.listen_given = 0;
	newline_seen = 1;
	if ((topfile = pushfile(filename, 0)) == NULL) {
		log_warn("%s", filename);
		free(c);
		return NULL;
	}
	/* Without a "private key" statement, line 0: the whole file. */
	if ((ps.privkey_file = strdup(filename)) == NULL)
		fatal("%s", __func__);
	ps.privkey_line = 0;

	if (yyparse() != 0 && ps.nerrors == 0)
		cerror("cannot parse the file");
	/* After an abort the stack may still hold included files. */
	while (file != topfile)
		popfile();
	config_finish();
	popfile();
	topfile = NULL;
	OPENSSL_cleanse(lexbuf, sizeof(lexbuf));
	errors = ps.nerrors;
	ps.conf = NULL;
	if (errors > 0) {
		config_free(c);
		return NULL;
	}
	return c;
}
