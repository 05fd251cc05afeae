/*
 * Between the grammar of netcryptd.conf(5) (parse.y) and its lexer
 * (conf_lex.c): the value a token carries, and the files being read.
 * Private to those two files.
 */
#ifndef NC_CONF_LEX_H
#define NC_CONF_LEX_H

typedef struct {
	union {
		long long	 number;
		char		*string;
	} v;
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

int	yylex(void);
void	yyerror(const char *);

/* Open the top file and start at its first line: 0, or -1 and errno. */
int	lex_open(const char *filename);
/* Close the included files still open (after an aborted parse). */
void	lex_close_includes(void);
/* Close every file, the top one too, and wipe the token buffer. */
void	lex_close(void);
/* Open an included file, reporting any error at the current line. */
void	include_file(const char *path);
/* A syntax error of the parser, tok the token it was looking at. */
void	lex_syntax_error(const char *msg, int tok);

#endif
