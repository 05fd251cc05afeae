/*
 * The lexer of netcryptd.conf(5) for the grammar in parse.y: a sorted
 * keyword table, words, quoted strings and $macros, line continuations,
 * and the stack of files that "include" opens.  It also knows where it
 * is, for every "file:line: message" (cerror()) and for the parser's
 * syntax errors.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

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
#include "conf_lex.h"
#include "log.h"
#include "parse.h"
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

static int	 lex_token(void);
static int	 lgetc(int);
static void	 lungetc(int);
static void	 skip_line(void);
static int	 lex_error(void);
static int	 kw_lookup(const char *);
static int	 kw_cmp(const void *, const void *);
static struct file *pushfile(const char *, int);
static void	 popfile(void);

static struct files	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file	*file, *topfile;

/* What the lexer knows about the line being parsed, for yyerror(). */
static int		 lexerr;	/* the lexer already said what */
static int		 linetok;	/* tokens on this line so far */
static int		 newline_seen;
static int		 firstword;	/* line starts with an unknown word */
static char		 firstbuf[NC_NAME_MAX + 1];
static char		 lexbuf[STRING_MAX];	/* wiped: may hold a password */

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
	{ "count",		COUNT },
	{ "default",		DEFAULT },
	{ "directory",		DIRECTORY },
	{ "fingerprint",	FINGERPRINT },
	{ "from",		FROM },
	{ "group",		GROUP },
	{ "handshake",		HANDSHAKE },
	{ "include",		INCLUDE },
	{ "interval",		INTERVAL },
	{ "keepalive",		KEEPALIVE },
	{ "key",		KEY },
	{ "lifetime",		LIFETIME },
	{ "listen",		LISTEN },
	{ "mailbox",		MAILBOX },
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
	{ "size",		SIZE },
	{ "socket",		SOCKET },
	{ "socks5",		SOCKS5 },
	{ "spool",		SPOOL },
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
 * A syntax error the generated parser found (yyerror() in parse.y), tok
 * being the token it looked at.  A line that starts with a word which is
 * neither a keyword nor a macro being defined gets a better message than
 * "syntax error"; nothing is said when the lexer already said what.
 */
void
lex_syntax_error(const char *msg, int tok)
{
	if (lexerr)
		return;
	/* Token 0 is the end of input in every yacc. */
	if (firstword && (linetok == 1 || (linetok == 2 && tok != '=')))
		cerror("unknown keyword \"%s\"", firstbuf);
	else if (tok == 0)
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
void
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

/* ---- start and end of a parse ------------------------------------ */

int
lex_open(const char *filename)
{
	static int	sorted;
	size_t		i;

	if (!sorted) {
		for (i = 1; i < NKEYWORDS; i++)
			if (strcmp(keywords[i - 1].k_name,
			    keywords[i].k_name) >= 0)
				fatalx("%s: keyword table not sorted at %s",
				    __func__, keywords[i].k_name);
		sorted = 1;
	}
	newline_seen = 1;
	if ((topfile = pushfile(filename, 0)) == NULL)
		return -1;
	return 0;
}

void
lex_close_includes(void)
{
	/* After an abort the stack may still hold included files. */
	while (file != topfile)
		popfile();
}

void
lex_close(void)
{
	lex_close_includes();
	popfile();
	topfile = NULL;
	OPENSSL_cleanse(lexbuf, sizeof(lexbuf));
}
