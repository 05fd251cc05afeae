/*
 * The session policy (netcryptd.conf(5), "session"): under which names a
 * user may attach, and from whom each session takes messages.
 *
 * Three stages, in two processes:
 *  - the configuration: parse.y builds one struct session_rule per
 *    statement with the policy_rule_*() functions, which check names,
 *    patterns and bounds;
 *  - the master resolves the user and group names of the rules, and
 *    the login names for the "own" default, to numbers with the user
 *    database (policy_resolve()), at start and at every reload, and
 *    sends the result to the network child (policy_send());
 *  - the network child, which cannot read /etc/passwd from its chroot,
 *    keeps the last policy it was sent (policy_take(), policy_commit())
 *    and answers session.c's two questions: policy_may_attach() and
 *    policy_accepts().
 */
#ifndef NC_POLICY_H
#define NC_POLICY_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define POLICY_USERS_MAX	65536	/* user database entries read */
#define POLICY_UIDS_MAX		65536	/* uids allowed by one rule */
#define POLICY_BLOB_MAX		(8 * 1024 * 1024)	/* master -> network */

/* ---- the resolved policy ---- */

struct policy;

/*
 * Resolve conf's rules with the user database (master only): NULL with
 * "file:line: ..." in err when a user or group does not exist.
 */
struct policy	*policy_resolve(const struct nc_conf *, char *err,
		    size_t errsz);
/* The encoding sent to the network child; NULL only without memory. */
uint8_t		*policy_encode(const struct policy *, size_t *len);
/* Its strict reader: NULL when anything is out of place. */
struct policy	*policy_decode(const uint8_t *, size_t);
void		 policy_free(struct policy *);
/* Counts, for the log: rules and login names known. */
size_t		 policy_nrules(const struct policy *);
size_t		 policy_nusers(const struct policy *);

/* May uid attach under name?  Root may take any name. */
int	policy_may_attach(const struct policy *, uid_t uid, const char *name);
/*
 * Does the session called to take a message from from ("name" of this
 * host, or "name@peer")?  self is this host's name.
 */
int	policy_accepts(const struct policy *, const char *to,
	    const char *from, const char *self);

/* ---- between the processes ---- */

struct imsgev;
/* Master: the policy as IMSG_CONF_POLICY fragments. */
void	policy_send(struct imsgev *, const struct policy *);
/* Network child: one fragment; then the whole, at CONF_END/RECONF_END. */
void	policy_take(const void *data, size_t len);
void	policy_commit(void);
/* The policy in force in the network child (NULL before the first). */
const struct policy *policy_current(void);

#endif
