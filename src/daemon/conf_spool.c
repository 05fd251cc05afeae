/*
 * The spool's statements of netcryptd.conf(5) (section SPOOL): the
 * "spool" block (where the spool process keeps its entries, how much it
 * may hold, and the longest lifetime a sender may ask for) and the
 * "mailbox" rules (how much is kept for a local session name that is
 * not attached; the first rule that matches a name wins).  The master
 * hands them to the spool process (masterconf.c); a reload cannot
 * change them (confdiff.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"
#include "namepat.h"
#include "util.h"

void
spool_begin(int lineno)
{
	free(ps.spool_file);
	if ((ps.spool_file = strdup(parse_file_name())) == NULL)
		fatal("%s", __func__);
	ps.spool_line = lineno;
}

void
spool_directory(const char *path)
{
	if (path[0] != '/')
		cerror("spool directory \"%s\": not an absolute path", path);
	else if (strcmp(path, "/") == 0)
		cerror("spool directory \"/\": give a directory of its own");
	else
		(void)setstr("spool directory", ps.conf->spool_dir,
		    sizeof(ps.conf->spool_dir), path);
}

void
spool_size(enum spool_opt opt, const char *s)
{
	if (opt == SPOOL_OPT_SIZE)
		(void)getsize("spool size", s, SPOOL_SIZE_MIN, "1M",
		    SPOOL_SIZE_MAX, "1024G", &ps.conf->spool_size);
	else if (getsize("spool peer size", s, SPOOL_PEER_SIZE_MIN, "64K",
	    SPOOL_SIZE_MAX, "1024G", &ps.conf->spool_peer_size) == 0)
		ps.spool_peer_set = 1;
}

void
spool_lifetime_max(const char *s)
{
	long long	n;

	if (getduration("spool lifetime max", s, 1, "1s",
	    SPOOL_LIFETIME_LIMIT, "90d", &n) == 0)
		ps.conf->spool_lifetime_max = (unsigned int)n;
}

/* ---- mailbox rules ------------------------------------------------ */

void
mailbox_begin(const char *pattern, int lineno)
{
	struct mailbox_rule	*r = &ps.curmbox;

	free(r->file);
	memset(r, 0, sizeof(*r));
	if ((r->file = strdup(parse_file_name())) == NULL)
		fatal("%s", __func__);
	r->lineno = lineno;
	r->max_bytes = SPOOL_MAILBOX_SIZE;
	r->max_count = SPOOL_MAILBOX_COUNT;
	ps.curmbox_errors = ps.nerrors;
	ps.curmbox_opts = 0;
	if (!nc__pat_valid(pattern, strlen(pattern)))
		cerror_at(r->file, lineno, "mailbox \"%s\": a name pattern has "
		    "1 to %d letters, digits, '.', '_', '-', '*' and '?'",
		    pattern, NC_NAME_MAX);
	else
		(void)nc_strlcpy(r->pattern, pattern, sizeof(r->pattern));
}

void
mailbox_none(void)
{
	ps.curmbox.none = 1;
	ps.curmbox_opts++;
}

void
mailbox_size(const char *s)
{
	ps.curmbox_opts++;
	(void)getsize("mailbox size", s, SPOOL_MAILBOX_SIZE_MIN, "64K",
	    SPOOL_SIZE_MAX, "1024G", &ps.curmbox.max_bytes);
}

void
mailbox_count(const char *s)
{
	long long	n;

	ps.curmbox_opts++;
	if (getnum("mailbox count", s, 1, SPOOL_MAILBOX_COUNT_MAX, &n) == 0)
		ps.curmbox.max_count = (uint32_t)n;
}

/*
 * Whether the rule being parsed can join the list: -1 after reporting
 * why not (it repeats a pattern, an earlier pattern matches every name
 * it could match, or it is one rule too many).
 */
static int
mailbox_fits(const struct mailbox_rule *r)
{
	const struct mailbox_rule	*q;
	size_t				 i;

	for (i = 0; i < ps.conf->nmailboxes; i++) {
		q = &ps.conf->mailboxes[i];
		if (strcmp(q->pattern, r->pattern) == 0) {
			cerror_at(r->file, r->lineno, "mailbox \"%s\" given "
			    "twice (first at %s:%d)", r->pattern, q->file,
			    q->lineno);
			return -1;
		}
		if (strpbrk(r->pattern, "*?") == NULL &&
		    nc__pat_match(q->pattern, strlen(q->pattern), r->pattern,
		    strlen(r->pattern))) {
			cerror_at(r->file, r->lineno, "mailbox \"%s\" is never "
			    "used: \"%s\" (%s:%d) comes first and matches it",
			    r->pattern, q->pattern, q->file, q->lineno);
			return -1;
		}
	}
	if (ps.conf->nmailboxes >= SPOOL_MAILBOX_RULES_MAX) {
		cerror_at(r->file, r->lineno, "more than %d mailbox rules",
		    SPOOL_MAILBOX_RULES_MAX);
		return -1;
	}
	return 0;
}

static void
mailbox_append(struct nc_conf *c, const struct mailbox_rule *r)
{
	struct mailbox_rule	*m;

	/* At most SPOOL_MAILBOX_RULES_MAX: growing one by one is cheap. */
	m = realloc(c->mailboxes, (c->nmailboxes + 1) * sizeof(*m));
	if (m == NULL)
		fatal("%s", __func__);
	c->mailboxes = m;
	m[c->nmailboxes] = *r;
	if ((m[c->nmailboxes].file = strdup(r->file)) == NULL)
		fatal("%s", __func__);
	c->nmailboxes++;
}

void
mailbox_end(void)
{
	struct mailbox_rule	*r = &ps.curmbox;

	if (ps.curmbox_opts == 0 && ps.nerrors == ps.curmbox_errors)
		cerror_at(r->file, r->lineno, "mailbox \"%s\": give its size "
		    "and count in braces, or none", r->pattern);
	if (ps.nerrors == ps.curmbox_errors && mailbox_fits(r) == 0)
		mailbox_append(ps.conf, r);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

/* The checks that need the whole file, and the parse state cleared. */
void
spool_finish(void)
{
	const char	*file = ps.spool_file != NULL ? ps.spool_file :
			    parse_file_name();
	int		 line = ps.spool_file != NULL ? ps.spool_line : 0;

	/* A mailbox rule cut short by the end of the file. */
	free(ps.curmbox.file);
	memset(&ps.curmbox, 0, sizeof(ps.curmbox));
	/* The default share follows a smaller total; a given one must fit. */
	if (!ps.spool_peer_set &&
	    ps.conf->spool_peer_size > ps.conf->spool_size)
		ps.conf->spool_peer_size = ps.conf->spool_size;
	if (ps.conf->spool_peer_size > ps.conf->spool_size)
		cerror_at(file, line, "spool peer size %llu is more than "
		    "spool size %llu",
		    (unsigned long long)ps.conf->spool_peer_size,
		    (unsigned long long)ps.conf->spool_size);
	/* The chroot must stay empty and root's; the spool is the user's. */
	if (strcmp(ps.conf->spool_dir, ps.conf->chroot) == 0)
		cerror_at(file, line, "spool directory %s: the same as the "
		    "chroot, which must stay empty", ps.conf->spool_dir);
	free(ps.spool_file);
	ps.spool_file = NULL;
	ps.spool_line = 0;
	ps.spool_peer_set = 0;
}

/* ---- the rules as the rest of the daemon sees them ---------------- */

void
conf_mailboxes_free(struct mailbox_rule *m, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(m[i].file);
	free(m);
}

int
conf_mailboxes_equal(const struct nc_conf *a, const struct nc_conf *b)
{
	const struct mailbox_rule	*x, *y;
	size_t				 i;

	if (a->nmailboxes != b->nmailboxes)
		return 0;
	for (i = 0; i < a->nmailboxes; i++) {
		x = &a->mailboxes[i];
		y = &b->mailboxes[i];
		if (strcmp(x->pattern, y->pattern) != 0 || x->none != y->none ||
		    x->max_bytes != y->max_bytes || x->max_count != y->max_count)
			return 0;
	}
	return 1;
}

void
conf_mailboxes_copy(struct nc_conf *dst, const struct nc_conf *src)
{
	size_t	i;

	conf_mailboxes_free(dst->mailboxes, dst->nmailboxes);
	dst->mailboxes = NULL;
	dst->nmailboxes = 0;
	for (i = 0; i < src->nmailboxes; i++)
		mailbox_append(dst, &src->mailboxes[i]);
}
