/*
 * The session rules as the configuration holds them (netcryptd.conf(5),
 * "session" blocks): building one as the parser reads it, checking each
 * value and whether the rule can join the list, and comparing two lists
 * for a reload.  policy.c resolves them to uids for the network child.
 */
#include "config.h"

#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "namepat.h"
#include "relay.h"
#include "util.h"

/* Add a copy of s to a rule's vector; out of memory is fatal. */
static void
add_copy(char ***v, size_t *n, const char *s)
{
	if (nc_strv_add(v, n, s) == -1)
		fatal("%s", __func__);
}

struct session_rule *
conf_rule_new(const char *pattern, const char *file, int lineno)
{
	struct session_rule	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->file = strdup(file)) == NULL)
		fatal("%s", __func__);
	(void)nc_strlcpy(r->pattern, pattern, sizeof(r->pattern));
	r->lineno = lineno;
	return r;
}

void
conf_rule_free(struct session_rule *r)
{
	if (r == NULL)
		return;
	nc_strv_free(r->users, r->nusers);
	nc_strv_free(r->groups, r->ngroups);
	nc_strv_free(r->accept, r->naccept);
	free(r->file);
	free(r);
}

int
conf_rule_check_pattern(const char *pattern, char *err, size_t errsz)
{
	if (!nc__pat_valid(pattern, strlen(pattern))) {
		nc_seterr(err, errsz, "session \"%s\": a name pattern has 1 to "
		    "%d letters, digits, '.', '_', '-', '*' and '?'", pattern,
		    NC_NAME_MAX);
		return -1;
	}
	if (strncmp(pattern, "anon-", 5) == 0) {
		nc_seterr(err, errsz, "session \"%s\": anon-* names are given to "
		    "anonymous sessions only", pattern);
		return -1;
	}
	return 0;
}

/* A user or group name: letters, digits, '.', '_', '-', maybe a final '$'. */
static int
account_name_valid(const char *s)
{
	size_t	len = strlen(s);

	if (len > 1 && s[len - 1] == '$')
		len--;
	return s[0] != '-' && relay_name_valid(s, len, 0);
}

int
conf_rule_add(struct session_rule *r, enum conf_rule_item item,
    const char *value, char *err, size_t errsz)
{
	const char	*what = item == CONF_RULE_USER ? "user" : "group";

	if (item == CONF_RULE_ACCEPT) {
		if (!nc__sender_valid(value)) {
			nc_seterr(err, errsz, "session \"%s\": accept from "
			    "\"%s\": not a sender pattern (name or name@host, with "
			    "'*' and '?')", r->pattern, value);
			return -1;
		}
		if (r->naccept >= SESSION_RULE_ITEMS_MAX) {
			nc_seterr(err, errsz, "session \"%s\": more than %d "
			    "senders", r->pattern, SESSION_RULE_ITEMS_MAX);
			return -1;
		}
		if (!nc_strv_has(r->accept, r->naccept, value))
			add_copy(&r->accept, &r->naccept, value);
		return 0;
	}
	if (!account_name_valid(value)) {
		nc_seterr(err, errsz, "session \"%s\": %s \"%s\": not a %s name",
		    r->pattern, what, value, what);
		return -1;
	}
	if (r->nusers + r->ngroups >= SESSION_RULE_ITEMS_MAX) {
		nc_seterr(err, errsz, "session \"%s\": more than %d users and "
		    "groups", r->pattern, SESSION_RULE_ITEMS_MAX);
		return -1;
	}
	if (item == CONF_RULE_USER && !nc_strv_has(r->users, r->nusers, value))
		add_copy(&r->users, &r->nusers, value);
	else if (item == CONF_RULE_GROUP && !nc_strv_has(r->groups, r->ngroups,
	    value))
		add_copy(&r->groups, &r->ngroups, value);
	return 0;
}

static int
has_wildcard(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

int
conf_rule_fits(const struct session_rule_list *list,
    const struct session_rule *r, char *err, size_t errsz)
{
	const struct session_rule	*q;
	size_t				 n = 0;

	if (r->nusers + r->ngroups + r->naccept == 0) {
		nc_seterr(err, errsz, "session \"%s\": give a user, a group or "
		    "\"accept from\"", r->pattern);
		return -1;
	}
	TAILQ_FOREACH(q, list, entry) {
		n++;
		if (strcmp(q->pattern, r->pattern) == 0) {
			nc_seterr(err, errsz, "session \"%s\" given twice (first "
			    "at %s:%d)", r->pattern, q->file, q->lineno);
			return -1;
		}
		/* The first rule that matches a name is its rule. */
		if (!has_wildcard(r->pattern) && nc__pat_match(q->pattern,
		    strlen(q->pattern), r->pattern, strlen(r->pattern))) {
			nc_seterr(err, errsz, "session \"%s\" is never used: "
			    "\"%s\" (%s:%d) comes first and matches it",
			    r->pattern, q->pattern, q->file, q->lineno);
			return -1;
		}
	}
	if (n >= SESSION_RULES_MAX) {
		nc_seterr(err, errsz, "more than %d session rules",
		    SESSION_RULES_MAX);
		return -1;
	}
	return 0;
}

int
conf_rules_equal(const struct session_rule_list *a,
    const struct session_rule_list *b)
{
	const struct session_rule	*x, *y;

	for (x = TAILQ_FIRST(a), y = TAILQ_FIRST(b); x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->pattern, y->pattern) != 0 ||
		    !nc_strv_equal(x->users, x->nusers, y->users, y->nusers) ||
		    !nc_strv_equal(x->groups, x->ngroups, y->groups, y->ngroups) ||
		    !nc_strv_equal(x->accept, x->naccept, y->accept, y->naccept))
			return 0;
	return x == NULL && y == NULL;
}

const char *
conf_session_default_name(int def)
{
	return def == SESSION_DEFAULT_ANY ? "any" : "own";
}
