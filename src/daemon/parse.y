/*
 * Parser of netcryptd.conf(5), in the manner of OpenBSD's parse.y files:
 * the grammar here, the hand-written lexer (a sorted keyword table,
 * "include" over a stack of open files, $macros) in conf_lex.c, and
 * every error as "file:line: message".  An error does not stop the
 * parse, so that one run reports as many mistakes as it can;
 * config_parse() then returns NULL.
 */

%{
#include "config.h"

#include <sys/types.h>
#include <sys/un.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "conf_int.h"
#include "conf_lex.h"
#include "log.h"
#include "util.h"

/* The parse under way; the checks' lists start empty. */
struct parse_state ps = {
	.checks = TAILQ_HEAD_INITIALIZER(ps.checks),
	.peerchecks = TAILQ_HEAD_INITIALIZER(ps.peerchecks)
};

%}

%token	ACCEPT BYTES CHROOT CIPHER CONNECT CONTROL COUNT DEFAULT DIRECTORY
%token	FINGERPRINT FROM GROUP HANDSHAKE INCLUDE INTERVAL KEEPALIVE KEY
%token	LIFETIME LISTEN MAILBOX MAX MODE NAME NONE ON PASSWORD PEER PORT
%token	PRIVATE PROXY PUBLIC QUEUE RATE REKEY SESSION SESSIONS SIZE SOCKET
%token	SOCKS5 SPOOL TIMEOUT TO UNWRAP USER
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
		| grammar spool '\n'
		| grammar mailbox '\n'
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

/* The spool (conf_spool.c): a block, like a peer's. */
spool		: SPOOL				{
			spool_begin($<lineno>1);
		} optnl '{' spoolbody spoollast '}'
		;

spoolbody	: /* empty */
		| spoolbody '\n'
		| spoolbody spoolopt '\n'
		| spoolbody error '\n'		{ yyerrok; }
		;

spoollast	: /* empty */
		| spoolopt
		;

spoolopt	: DIRECTORY string		{
			spool_directory($2);
			free($2);
		}
		| SIZE numstr			{
			spool_size(SPOOL_OPT_SIZE, $2);
			free($2);
		}
		| PEER SIZE numstr		{
			spool_size(SPOOL_OPT_PEER_SIZE, $3);
			free($3);
		}
		| LIFETIME MAX numstr		{
			spool_lifetime_max($3);
			free($3);
		}
		;

/* A mailbox rule: "none", or its limits on the line or in a block. */
mailbox		: mboxhead			{ mailbox_end(); }
		| mboxhead NONE			{
			mailbox_none();
			mailbox_end();
		}
		| mboxhead '{' mboxbody mboxlast '}' { mailbox_end(); }
		;

mboxhead	: MAILBOX string		{
			mailbox_begin($2, $<lineno>1);
			free($2);
		}
		;

mboxbody	: /* empty */
		| mboxbody '\n'
		| mboxbody mboxopts '\n'
		| mboxbody error '\n'		{ yyerrok; }
		;

mboxlast	: /* empty */
		| mboxopts
		;

mboxopts	: mboxopt
		| mboxopts mboxopt
		;

mboxopt		: SIZE numstr			{
			mailbox_size($2);
			free($2);
		}
		| COUNT numstr			{
			mailbox_count($2);
			free($2);
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

/* Called by the generated parser only: the lexer knows the line. */
void
yyerror(const char *msg)
{
	lex_syntax_error(msg, yychar);
}

/* ---- the parse --------------------------------------------------- */

struct nc_conf *
config_parse(const char *filename, int flags)
{
	struct nc_conf	*c;
	int		 errors;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	config_init_defaults(c);
	ps.conf = c;
	ps.flags = flags;
	ps.nerrors = 0;
	ps.listen_given = 0;
	if (lex_open(filename) == -1) {
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
	lex_close_includes();
	config_finish();	/* its errors name the top file */
	lex_close();
	errors = ps.nerrors;
	ps.conf = NULL;
	if (errors > 0) {
		config_free(c);
		return NULL;
	}
	return c;
}
