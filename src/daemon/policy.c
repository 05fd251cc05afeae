/*
 * The session policy (policy.h): the rules the configuration gives
 * (conf_rules.c) resolved to uids by the master, the encoding that
 * carries them to the network child, and the two questions session.c
 * asks there.  Only policy_resolve() reads the user database; the
 * network child sees numbers and login names, never /etc/passwd.
 */
#include "config.h"

#include <sys/types.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "namepat.h"
#include "policy.h"
#include "proc.h"
#include "relay.h"
#include "util.h"

#define POLICY_VERSION		1
#define RULE_RESTRICTED		0x01	/* users or groups were given */

struct policy_rule {
	char		 pattern[NC_NAME_MAX + 1];
	int		 restricted;
	uid_t		*uids;		/* sorted, no repeats */
	size_t		 nuids;
	char		**accept;	/* sender patterns; none: anyone */
	size_t		 naccept;
};

struct policy_user {
	uid_t		 uid;
	char		 name[NC_NAME_MAX + 1];
};

struct policy {
	int			 def;		/* SESSION_DEFAULT_* */
	struct policy_rule	*rules;
	size_t			 nrules;
	struct policy_user	*users;		/* by uid, then name */
	size_t			 nusers;
};

/* ---- resolution with the user database (master) ------------------- */

struct dbuser {
	uid_t	uid;
	gid_t	gid;
	char	name[NC_NAME_MAX + 1];	/* "": not usable as a session name */
};

struct userdb {
	struct dbuser	*v;
	size_t		 n;
};

/* Every entry getpwent(3) gives, up to POLICY_USERS_MAX. */
static void
userdb_read(struct userdb *db)
{
	struct passwd	*pw;
	struct dbuser	*e;
	size_t		 cap = 0, len;

	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (db->n == POLICY_USERS_MAX) {
			log_warnx("session policy: more than %d users; the "
			    "rest are not known to it", POLICY_USERS_MAX);
			break;
		}
		if (db->n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((e = reallocarray(db->v, cap, sizeof(*e))) == NULL)
				fatal("%s", __func__);
			db->v = e;
		}
		e = &db->v[db->n++];
		e->uid = pw->pw_uid;
		e->gid = pw->pw_gid;
		e->name[0] = '\0';
		len = strlen(pw->pw_name);
		if (relay_name_valid(pw->pw_name, len, 0) &&
		    strncmp(pw->pw_name, "anon-", 5) != 0)
			memcpy(e->name, pw->pw_name, len + 1);
	}
	endpwent();
}

static int
uid_cmp(const void *a, const void *b)
{
	uid_t	x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

static int
user_cmp(const void *a, const void *b)
{
	const struct policy_user	*x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sort the n elements of v and drop repeats; the new count. */
static size_t
sort_unique(void *v, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	char	*p = v;
	size_t	 i, j = 0;

	if (n == 0)
		return 0;
	qsort(v, n, size, cmp);
	for (i = 1; i < n; i++)
		if (cmp(p + i * size, p + j * size) != 0 && ++j != i)
			memcpy(p + j * size, p + i * size, size);
	return j + 1;
}

static int
rule_add_uid(struct policy_rule *pr, size_t *cap, uid_t uid)
{
	uid_t	*v;

	if (pr->nuids == POLICY_UIDS_MAX)
		return -1;
	if (pr->nuids == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((v = reallocarray(pr->uids, *cap, sizeof(*v))) == NULL)
			fatal("%s", __func__);
		pr->uids = v;
	}
	pr->uids[pr->nuids++] = uid;
	return 0;
}

/* A group's members: listed in it, or with it as their primary group. */
static int
rule_add_group(struct policy_rule *pr, size_t *cap, const struct group *gr,
    const struct userdb *db)
{
	struct passwd	*pw;
	size_t		 i;
	gid_t		 gid = gr->gr_gid;

	for (i = 0; gr->gr_mem != NULL && gr->gr_mem[i] != NULL; i++)
		if ((pw = getpwnam(gr->gr_mem[i])) != NULL &&
		    rule_add_uid(pr, cap, pw->pw_uid) == -1)
			return -1;
	for (i = 0; i < db->n; i++)
		if (db->v[i].gid == gid &&
		    rule_add_uid(pr, cap, db->v[i].uid) == -1)
			return -1;
	return 0;
}

static int
rule_resolve(const struct session_rule *r, const struct userdb *db,
    struct policy_rule *pr, char *err, size_t errsz)
{
	struct passwd	*pw;
	struct group	*gr;
	size_t		 i, cap = 0;

	(void)nc_strlcpy(pr->pattern, r->pattern, sizeof(pr->pattern));
	pr->restricted = r->nusers + r->ngroups > 0;
	for (i = 0; i < r->nusers; i++) {
		if ((pw = getpwnam(r->users[i])) == NULL) {
			nc_seterr(err, errsz, "%s:%d: session \"%s\": no user "
			    "\"%s\"", r->file, r->lineno, r->pattern,
			    r->users[i]);
			return -1;
		}
		if (rule_add_uid(pr, &cap, pw->pw_uid) == -1)
			goto toomany;
	}
	for (i = 0; i < r->ngroups; i++) {
		if ((gr = getgrnam(r->groups[i])) == NULL) {
			nc_seterr(err, errsz, "%s:%d: session \"%s\": no group "
			    "\"%s\"", r->file, r->lineno, r->pattern,
			    r->groups[i]);
			return -1;
		}
		if (rule_add_group(pr, &cap, gr, db) == -1)
			goto toomany;
	}
	pr->nuids = sort_unique(pr->uids, pr->nuids, sizeof(*pr->uids),
	    uid_cmp);
	for (i = 0; i < r->naccept; i++)
		if (nc_strv_add(&pr->accept, &pr->naccept, r->accept[i]) == -1)
			fatal("%s", __func__);
	return 0;
toomany:
	nc_seterr(err, errsz, "%s:%d: session \"%s\": more than %d users",
	    r->file, r->lineno, r->pattern, POLICY_UIDS_MAX);
	return -1;
}

/* The login names that "own" lets their users attach under. */
static void
users_from_db(struct policy *pol, const struct userdb *db)
{
	size_t	i;

	if (db->n > 0 && (pol->users = calloc(db->n,
	    sizeof(*pol->users))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < db->n; i++) {
		if (db->v[i].name[0] == '\0')
			continue;
		pol->users[pol->nusers].uid = db->v[i].uid;
		memcpy(pol->users[pol->nusers].name, db->v[i].name,
		    sizeof(db->v[i].name));
		pol->nusers++;
	}
	pol->nusers = sort_unique(pol->users, pol->nusers,
	    sizeof(*pol->users), user_cmp);
}

struct policy *
policy_resolve(const struct nc_conf *conf, char *err, size_t errsz)
{
	const struct session_rule	*r;
	struct userdb			 db = { NULL, 0 };
	struct policy			*pol;
	size_t				 n = 0;
	int				 groups = 0;

	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		fatal("%s", __func__);
	pol->def = conf->session_default;
	TAILQ_FOREACH(r, &conf->session_rules, entry) {
		n++;
		groups |= r->ngroups > 0;
	}
	/* Read the whole database only when it is needed. */
	if (pol->def == SESSION_DEFAULT_OWN || groups)
		userdb_read(&db);
	if (n > 0 && (pol->rules = calloc(n, sizeof(*pol->rules))) == NULL)
		fatal("%s", __func__);
	TAILQ_FOREACH(r, &conf->session_rules, entry) {
		if (rule_resolve(r, &db, &pol->rules[pol->nrules++], err,
		    errsz) == -1) {
			free(db.v);
			policy_free(pol);
			return NULL;
		}
	}
	if (pol->def == SESSION_DEFAULT_OWN)
		users_from_db(pol, &db);
	free(db.v);
	return pol;
}

void
policy_free(struct policy *pol)
{
	size_t	i;

	if (pol == NULL)
		return;
	for (i = 0; i < pol->nrules; i++) {
		free(pol->rules[i].uids);
		nc_strv_free(pol->rules[i].accept, pol->rules[i].naccept);
	}
	free(pol->rules);
	free(pol->users);
	free(pol);
}

size_t
policy_nrules(const struct policy *pol)
{
	return pol != NULL ? pol->nrules : 0;
}

size_t
policy_nusers(const struct policy *pol)
{
	return pol != NULL ? pol->nusers : 0;
}

/* ---- the encoding ------------------------------------------------- */

/*
 * u8 version, u8 default, u16 nrules, u32 nusers; per rule: u8 n,
 * pattern[n], u8 flags, u32 nuids, u32 uid..., u8 naccept, per pattern
 * u8 n, pattern[n]; per user: u32 uid, u8 n, name[n].
 */
struct writer {
	uint8_t	*p;
	size_t	 off;
};

static void
wr_u8(struct writer *w, uint8_t v)
{
	w->p[w->off++] = v;
}

static void
wr_u32(struct writer *w, uint32_t v)
{
	put_u32(w->p + w->off, v);
	w->off += 4;
}

static void
wr_str(struct writer *w, const char *s)
{
	size_t	len = strlen(s);

	wr_u8(w, (uint8_t)len);
	memcpy(w->p + w->off, s, len);
	w->off += len;
}

static size_t
encoded_size(const struct policy *pol)
{
	size_t	i, j, n = 8;

	for (i = 0; i < pol->nrules; i++) {
		n += 1 + strlen(pol->rules[i].pattern) + 1 + 4 +
		    4 * pol->rules[i].nuids + 1;
		for (j = 0; j < pol->rules[i].naccept; j++)
			n += 1 + strlen(pol->rules[i].accept[j]);
	}
	for (i = 0; i < pol->nusers; i++)
		n += 4 + 1 + strlen(pol->users[i].name);
	return n;
}

uint8_t *
policy_encode(const struct policy *pol, size_t *len)
{
	const struct policy_rule	*pr;
	struct writer			 w;
	size_t				 i, j;

	*len = encoded_size(pol);
	if ((w.p = malloc(*len)) == NULL)
		return NULL;
	w.off = 0;
	wr_u8(&w, POLICY_VERSION);
	wr_u8(&w, (uint8_t)pol->def);
	w.p[w.off++] = (uint8_t)(pol->nrules >> 8);
	w.p[w.off++] = (uint8_t)pol->nrules;
	wr_u32(&w, (uint32_t)pol->nusers);
	for (i = 0; i < pol->nrules; i++) {
		pr = &pol->rules[i];
		wr_str(&w, pr->pattern);
		wr_u8(&w, pr->restricted ? RULE_RESTRICTED : 0);
		wr_u32(&w, (uint32_t)pr->nuids);
		for (j = 0; j < pr->nuids; j++)
			wr_u32(&w, (uint32_t)pr->uids[j]);
		wr_u8(&w, (uint8_t)pr->naccept);
		for (j = 0; j < pr->naccept; j++)
			wr_str(&w, pr->accept[j]);
	}
	for (i = 0; i < pol->nusers; i++) {
		wr_u32(&w, (uint32_t)pol->users[i].uid);
		wr_str(&w, pol->users[i].name);
	}
	return w.p;
}

/* A length-prefixed string into buf (NUL-terminated); -1 if bad. */
static int
rd_str(struct reader *r, char *buf, size_t bufsz)
{
	uint8_t	n = rd_u8(r);

	if ((size_t)n >= bufsz || rd_copy(r, buf, n) == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int
decode_rule(struct reader *r, struct policy_rule *pr)
{
	char		pat[NC__SENDER_PAT_MAX + 1];
	uint32_t	n;
	uint8_t		flags, na;
	size_t		i;

	if (rd_str(r, pr->pattern, sizeof(pr->pattern)) == -1 ||
	    conf_rule_check_pattern(pr->pattern, pat, sizeof(pat)) == -1)
		return -1;
	flags = rd_u8(r);
	n = rd_u32(r);
	/* Each uid takes 4 bytes: the count cannot promise more. */
	if (r->err || (flags & ~RULE_RESTRICTED) != 0 ||
	    n > POLICY_UIDS_MAX || n > r->left / 4)
		return -1;
	pr->restricted = (flags & RULE_RESTRICTED) != 0;
	if (n > 0 && (pr->uids = calloc(n, sizeof(*pr->uids))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++)
		pr->uids[i] = (uid_t)rd_u32(r);
	pr->nuids = n;
	pr->nuids = sort_unique(pr->uids, pr->nuids, sizeof(*pr->uids),
	    uid_cmp);
	na = rd_u8(r);
	if (na > SESSION_RULE_ITEMS_MAX)
		return -1;
	for (i = 0; i < na; i++) {
		if (rd_str(r, pat, sizeof(pat)) == -1 || !nc__sender_valid(pat))
			return -1;
		if (nc_strv_add(&pr->accept, &pr->naccept, pat) == -1)
			fatal("%s", __func__);
	}
	return r->err ? -1 : 0;
}

static int
decode_users(struct reader *r, struct policy *pol, uint32_t n)
{
	struct policy_user	*u;
	size_t			 i;

	/* Each user takes 6 bytes at least. */
	if (n > POLICY_USERS_MAX || n > r->left / 6)
		return -1;
	if (n > 0 && (pol->users = calloc(n, sizeof(*pol->users))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++) {
		u = &pol->users[pol->nusers++];
		u->uid = (uid_t)rd_u32(r);
		if (rd_str(r, u->name, sizeof(u->name)) == -1 ||
		    !relay_name_valid(u->name, strlen(u->name), 0))
			return -1;
	}
	pol->nusers = sort_unique(pol->users, pol->nusers,
	    sizeof(*pol->users), user_cmp);
	return 0;
}

struct policy *
policy_decode(const uint8_t *buf, size_t len)
{
	struct reader	 r;
	struct policy	*pol;
	uint32_t	 nusers;
	uint16_t	 nrules;
	size_t		 i;

	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		fatal("%s", __func__);
	rd_init(&r, buf, len);
	if (rd_u8(&r) != POLICY_VERSION)
		goto bad;
	pol->def = rd_u8(&r);
	nrules = rd_u16(&r);
	nusers = rd_u32(&r);
	if (r.err || (pol->def != SESSION_DEFAULT_ANY &&
	    pol->def != SESSION_DEFAULT_OWN) || nrules > SESSION_RULES_MAX)
		goto bad;
	if (nrules > 0 && (pol->rules = calloc(nrules,
	    sizeof(*pol->rules))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < nrules; i++)
		if (decode_rule(&r, &pol->rules[pol->nrules++]) == -1)
			goto bad;
	if (decode_users(&r, pol, nusers) == -1 || rd_done(&r) == -1)
		goto bad;
	return pol;
bad:
	policy_free(pol);
	return NULL;
}

/* ---- the questions ------------------------------------------------ */

/* The first rule whose pattern matches name, or NULL. */
static const struct policy_rule *
rule_for(const struct policy *pol, const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < pol->nrules; i++)
		if (nc__pat_match(pol->rules[i].pattern,
		    strlen(pol->rules[i].pattern), name, len))
			return &pol->rules[i];
	return NULL;
}

static int
has_uid(const uid_t *v, size_t n, uid_t uid)
{
	return n > 0 && bsearch(&uid, v, n, sizeof(*v), uid_cmp) != NULL;
}

/* Whether name is a login name of uid. */
static int
owns_name(const struct policy *pol, uid_t uid, const char *name)
{
	size_t	lo = 0, hi = pol->nusers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pol->users[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < pol->nusers && pol->users[lo].uid == uid; lo++)
		if (strcmp(pol->users[lo].name, name) == 0)
			return 1;
	return 0;
}

int
policy_may_attach(const struct policy *pol, uid_t uid, const char *name)
{
	const struct policy_rule	*pr;

	if (uid == 0)
		return 1;
	if (pol == NULL)
		return 0;
	if ((pr = rule_for(pol, name)) != NULL && pr->restricted)
		return has_uid(pr->uids, pr->nuids, uid);
	if (pol->def == SESSION_DEFAULT_ANY)
		return 1;
	return owns_name(pol, uid, name);
}

int
policy_accepts(const struct policy *pol, const char *to, const char *from,
    const char *self)
{
	const struct policy_rule	*pr;
	size_t				 i;

	if (pol == NULL || (pr = rule_for(pol, to)) == NULL ||
	    pr->naccept == 0)
		return 1;
	for (i = 0; i < pr->naccept; i++)
		if (nc__sender_match(pr->accept[i], from, self))
			return 1;
	return 0;
}

/* ---- between the master and the network child --------------------- */

void
policy_send(struct imsgev *iev, const struct policy *pol)
{
	uint8_t	*blob;
	size_t	 len, off, n;

	if ((blob = policy_encode(pol, &len)) == NULL)
		fatal("%s", __func__);
	if (len > POLICY_BLOB_MAX)
		fatalx("%s: the session policy takes %zu bytes, more than %d",
		    __func__, len, POLICY_BLOB_MAX);
	for (off = 0; off < len; off += n) {
		n = len - off < IMSG_MAX_PAYLOAD ? len - off : IMSG_MAX_PAYLOAD;
		imsgev_compose(iev, IMSG_CONF_POLICY, 0, -1, blob + off, n);
	}
	free(blob);
}

static struct {
	uint8_t		*buf;		/* fragments so far */
	size_t		 len;
	struct policy	*cur;
} net;

void
policy_take(const void *data, size_t len)
{
	uint8_t	*p;

	if (len > POLICY_BLOB_MAX - net.len)
		fatalx("%s: session policy over %d bytes", __func__,
		    POLICY_BLOB_MAX);
	if (len == 0)
		return;
	if ((p = realloc(net.buf, net.len + len)) == NULL)
		fatal("%s", __func__);
	memcpy(p + net.len, data, len);
	net.buf = p;
	net.len += len;
}

void
policy_commit(void)
{
	struct policy	*pol;

	pol = policy_decode(net.buf, net.len);
	free(net.buf);
	net.buf = NULL;
	net.len = 0;
	if (pol == NULL)
		fatalx("%s: no valid session policy from the master", __func__);
	policy_free(net.cur);
	net.cur = pol;
	log_debug("session policy: default %s, %zu rules, %zu login names",
	    conf_session_default_name(pol->def), pol->nrules, pol->nusers);
}

const struct policy *
policy_current(void)
{
	return net.cur;
}
