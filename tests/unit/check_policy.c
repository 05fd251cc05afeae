/*
 * Unit tests of the session policy (src/daemon/policy.c, src/common/namepat.c): name
 * and sender patterns, the rules as the parser builds and checks them,
 * their resolution with this machine's user database (root, nobody and
 * nogroup, which every Debian system has), the encoding the master sends
 * the network child, and the two questions the network child asks.
 */
#include "config.h"

#include <sys/types.h>
#include <check.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "confdiff.h"
#include "namepat.h"
#include "policy.h"
#include "util.h"

static char	tmpdir[64];

/* The configuration made of these lines; NULL if it has errors. */
static struct nc_conf *
parse(const char *fmt, ...)
{
	char	 path[PATH_MAX];
	FILE	*fp;
	va_list	 ap;

	snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "name \"hosta\"\nuser \"nobody\"\n");
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fclose(fp);
	return config_parse(path, CONF_F_NOKEYS);
}

static struct policy *
resolve(struct nc_conf *c)
{
	struct policy	*pol;
	char		 err[512];

	ck_assert_ptr_nonnull(c);
	pol = policy_resolve(c, err, sizeof(err));
	ck_assert_msg(pol != NULL, "%s", err);
	return pol;
}

static int
match(const char *pat, const char *s)
{
	return nc__pat_match(pat, strlen(pat), s, strlen(s));
}

START_TEST(t_name_patterns)
{
	char		pat[80], s[80];
	struct timespec	t0, t1;
	int		i;

	ck_assert(match("alice", "alice"));
	ck_assert(!match("alice", "alic"));
	ck_assert(!match("alice", "alice2"));
	ck_assert(match("*", "x"));
	ck_assert(match("backup-*", "backup-db"));
	ck_assert(match("backup-*", "backup-"));
	ck_assert(!match("backup-*", "backup"));
	ck_assert(match("a?c", "abc"));
	ck_assert(!match("a?c", "ac"));
	ck_assert(match("a*b*c", "axxbyyc"));
	ck_assert(!match("a*b*c", "axxbyy"));
	ck_assert(match("**x", "x"));
	ck_assert(match("*-*-*", "a-b-c"));
	ck_assert(!match("*-*-*", "a-b"));
	ck_assert(match("*c", "cccc"));
	/* The worst case is quadratic, not exponential. */
	memset(pat, 0, sizeof(pat));
	memset(s, 'a', 64);
	s[64] = '\0';
	for (i = 0; i < 31; i++)
		memcpy(pat + 2 * i, "*a", 2);
	pat[62] = 'b';
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert(!match(pat, s));
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);

	ck_assert(nc__pat_valid("a", 1));
	ck_assert(nc__pat_valid("A-z_0.9*?", 9));
	ck_assert(!nc__pat_valid("", 0));
	ck_assert(!nc__pat_valid("a b", 3));
	ck_assert(!nc__pat_valid("a@b", 3));
	ck_assert(!nc__pat_valid("a/b", 3));
	ck_assert(nc__pat_valid(s, 64));
	s[64] = 'a';
	ck_assert(!nc__pat_valid(s, 65));
}
END_TEST

START_TEST(t_sender_patterns)
{
	ck_assert(nc__sender_valid("bob@hostb"));
	ck_assert(nc__sender_valid("*@hostc"));
	ck_assert(nc__sender_valid("alice"));
	ck_assert(nc__sender_valid("*@*"));
	ck_assert(!nc__sender_valid(""));
	ck_assert(!nc__sender_valid("@hostb"));
	ck_assert(!nc__sender_valid("bob@"));
	ck_assert(!nc__sender_valid("a@b@c"));
	ck_assert(!nc__sender_valid("bob @hostb"));

	ck_assert(nc__sender_match("bob@hostb", "bob@hostb", "hosta"));
	ck_assert(!nc__sender_match("bob@hostb", "bob@hostc", "hosta"));
	ck_assert(!nc__sender_match("bob@hostb", "bobby@hostb", "hosta"));
	ck_assert(nc__sender_match("*@hostc", "x@hostc", "hosta"));
	ck_assert(!nc__sender_match("*@hostc", "x@hostcc", "hosta"));
	/* Without '@': this host's sessions only. */
	ck_assert(nc__sender_match("alice", "alice", "hosta"));
	ck_assert(!nc__sender_match("alice", "alice@hostb", "hosta"));
	/* name@<this host> is local too. */
	ck_assert(nc__sender_match("alice@hosta", "alice", "hosta"));
	ck_assert(!nc__sender_match("alice@hostb", "alice", "hosta"));
	ck_assert(nc__sender_match("*@*", "alice", "hosta"));
	ck_assert(nc__sender_match("*@*", "alice@hostb", "hosta"));
	ck_assert(nc__sender_match("anon-*", "anon-3", "hosta"));
	ck_assert(!nc__sender_match("alice", "anon-3", "hosta"));
}
END_TEST

/* The string vectors the rules are made of (util.c). */
START_TEST(t_string_vectors)
{
	char	**a = NULL, **b = NULL, err[16];
	size_t	  na = 0, nb = 0;

	ck_assert_int_eq(nc_strv_add(&a, &na, "alice"), 0);
	ck_assert_int_eq(nc_strv_add(&a, &na, "bob"), 0);
	ck_assert_uint_eq(na, 2);
	ck_assert(nc_strv_has(a, na, "bob"));
	ck_assert(!nc_strv_has(a, na, "bo"));
	ck_assert_int_eq(nc_strv_add(&b, &nb, "bob"), 0);
	ck_assert(!nc_strv_equal(a, na, b, nb));
	ck_assert_int_eq(nc_strv_add(&b, &nb, "alice"), 0);
	/* The same strings in another order are another list. */
	ck_assert(!nc_strv_equal(a, na, b, nb));
	nc_strv_free(b, nb);
	b = NULL;
	nb = 0;
	ck_assert_int_eq(nc_strv_add(&b, &nb, "alice"), 0);
	ck_assert_int_eq(nc_strv_add(&b, &nb, "bob"), 0);
	ck_assert(nc_strv_equal(a, na, b, nb));
	nc_strv_free(a, na);
	nc_strv_free(b, nb);
	/* nc_seterr: always -1, truncates, and takes no buffer at all. */
	ck_assert_int_eq(nc_seterr(err, sizeof(err), "%s %d", "a long reason",
	    12345), -1);
	ck_assert_str_eq(err, "a long reason 1");
	ck_assert_int_eq(nc_seterr(NULL, 0, "%s", "nowhere"), -1);
}
END_TEST

START_TEST(t_rules_parsed)
{
	struct nc_conf		*c;
	struct session_rule	*r;

	c = parse("session \"alice\" user \"alice\" accept from \"bob@hostb\", "
	    "\"*@hostc\"\nsession \"backup-*\" {\n\tgroup \"backup\"\n\t"
	    "user \"root\" group \"ops\"\n\taccept from \"x\"\n\taccept "
	    "from \"y\", \"x\"\n}\nsession \"z\" { accept from \"q\" }\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->session_default, SESSION_DEFAULT_OWN);
	r = TAILQ_FIRST(&c->session_rules);
	ck_assert_str_eq(r->pattern, "alice");
	ck_assert_uint_eq(r->nusers, 1);
	ck_assert_str_eq(r->users[0], "alice");
	ck_assert_uint_eq(r->naccept, 2);
	ck_assert_str_eq(r->accept[1], "*@hostc");
	ck_assert_int_eq(r->lineno, 3);
	r = TAILQ_NEXT(r, entry);
	ck_assert_str_eq(r->pattern, "backup-*");
	ck_assert_uint_eq(r->ngroups, 2);
	ck_assert_uint_eq(r->nusers, 1);
	ck_assert_uint_eq(r->naccept, 2);	/* "x" once */
	r = TAILQ_NEXT(r, entry);
	ck_assert_str_eq(r->pattern, "z");
	ck_assert_ptr_null(TAILQ_NEXT(r, entry));
	config_free(c);

	ck_assert_ptr_nonnull(c = parse("session default any\n"));
	ck_assert_int_eq(c->session_default, SESSION_DEFAULT_ANY);
	config_free(c);
}
END_TEST

START_TEST(t_rules_refused)
{
	static const char *const bad[] = {
		"session \"a\"\n",				/* empty */
		"session \"a\" { }\n",
		"session \"a b\" user \"root\"\n",
		"session \"anon-1\" user \"root\"\n",
		"session \"a@b\" user \"root\"\n",
		"session \"a\" user \"ro ot\"\n",
		"session \"a\" user \"-root\"\n",
		"session \"a\" accept from \"a@b@c\"\n",
		"session \"a\" accept from \"x\",\n",
		"session \"a\" user \"root\"\nsession \"a\" user \"root\"\n",
		"session \"a*\" user \"root\"\nsession \"ab\" user \"root\"\n",
		"session \"*\" accept from \"x\"\n"
		"session \"q\" user \"root\"\n",
		"session default maybe\n",
		"session \"a\" {\nuser \"root\"\n",		/* unclosed */
	};
	struct nc_conf	*c;
	size_t		 i;
	char		*big;
	int		 n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse("%s", bad[i]) == NULL, "accepted: %s",
		    bad[i]);
	/* A glob after a glob, or a name before a glob, is fine. */
	ck_assert_ptr_nonnull(c = parse("session \"ab\" user \"root\"\n"
	    "session \"a*\" user \"root\"\nsession \"*\" user \"root\"\n"));
	config_free(c);
	/* The bounds: SESSION_RULE_ITEMS_MAX senders, SESSION_RULES_MAX rules */
	ck_assert_ptr_nonnull(big = malloc(64 * 1024));
	n = snprintf(big, 64 * 1024, "session \"a\" accept from \"s0\"");
	for (i = 1; i <= SESSION_RULE_ITEMS_MAX; i++)
		n += snprintf(big + n, 64 * 1024 - (size_t)n, ", \"s%zu\"", i);
	ck_assert_ptr_null(parse("%s\n", big));
	big[strlen(big) - 7] = '\0';	/* the last one off */
	ck_assert_ptr_nonnull(c = parse("%s\n", big));
	ck_assert_uint_eq(TAILQ_FIRST(&c->session_rules)->naccept,
	    SESSION_RULE_ITEMS_MAX);
	config_free(c);
	free(big);
	ck_assert_ptr_nonnull(big = malloc(64 * 1024));
	for (i = 0, n = 0; i <= SESSION_RULES_MAX; i++)
		n += snprintf(big + n, 64 * 1024 - (size_t)n,
		    "session \"r%zu\" accept from \"x\"\n", i);
	ck_assert_ptr_null(parse("%s", big));
	free(big);
}
END_TEST

START_TEST(t_resolve)
{
	struct passwd	*pw;
	struct policy	*pol;
	struct nc_conf	*c;
	char		 err[512];
	uid_t		 nobody;

	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	nobody = pw->pw_uid;
	ck_assert_ptr_nonnull(getgrnam("nogroup"));
	c = parse("session \"svc\" user \"nobody\"\n"
	    "session \"grp-*\" group \"nogroup\"\n"
	    "session \"root-only\" user \"root\"\n"
	    "session \"nobody\" accept from \"x\"\n");
	pol = resolve(c);
	ck_assert_uint_eq(policy_nrules(pol), 4);
	ck_assert_uint_gt(policy_nusers(pol), 1);
	/* Root may take any name. */
	ck_assert(policy_may_attach(pol, 0, "svc"));
	ck_assert(policy_may_attach(pol, 0, "anything"));
	/* A rule with users or groups: them only. */
	ck_assert(policy_may_attach(pol, nobody, "svc"));
	ck_assert(!policy_may_attach(pol, nobody, "root-only"));
	ck_assert(!policy_may_attach(pol, 12345678, "svc"));
	/* nogroup is nobody's primary group. */
	ck_assert(policy_may_attach(pol, nobody, "grp-x"));
	ck_assert(!policy_may_attach(pol, 12345678, "grp-x"));
	/* "own": the login name (a rule without users leaves it so). */
	ck_assert(policy_may_attach(pol, nobody, "nobody"));
	ck_assert(!policy_may_attach(pol, nobody, "root"));
	ck_assert(!policy_may_attach(pol, nobody, "other"));
	ck_assert(!policy_may_attach(pol, (uid_t)-1, "nobody"));
	ck_assert(!policy_may_attach(NULL, nobody, "nobody"));
	ck_assert(policy_may_attach(NULL, 0, "nobody"));
	policy_free(pol);
	config_free(c);

	/* "any": unlisted names to anyone, listed ones still guarded. */
	c = parse("session default any\nsession \"svc\" user \"root\"\n");
	pol = resolve(c);
	ck_assert_uint_eq(policy_nusers(pol), 0);	/* not needed */
	ck_assert(policy_may_attach(pol, nobody, "root"));
	ck_assert(policy_may_attach(pol, 12345678, "free"));
	ck_assert(!policy_may_attach(pol, nobody, "svc"));
	policy_free(pol);
	config_free(c);

	/* Names that do not exist: an error that says where. */
	c = parse("\nsession \"x\" user \"no-such-user-here\"\n");
	ck_assert_ptr_null(policy_resolve(c, err, sizeof(err)));
	ck_assert_msg(strstr(err, "p.conf:4: session \"x\": no user "
	    "\"no-such-user-here\"") != NULL, "%s", err);
	config_free(c);
	c = parse("session \"x\" group \"no-such-group-here\"\n");
	ck_assert_ptr_null(policy_resolve(c, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no group"));
	config_free(c);
}
END_TEST

START_TEST(t_accepts)
{
	struct policy	*pol;
	struct nc_conf	*c;

	c = parse("session \"alice\" accept from \"bob@hostb\", \"*@hostc\", "
	    "\"carol\"\nsession \"open\" user \"root\"\n");
	pol = resolve(c);
	ck_assert(policy_accepts(pol, "alice", "bob@hostb", "hosta"));
	ck_assert(policy_accepts(pol, "alice", "x@hostc", "hosta"));
	ck_assert(policy_accepts(pol, "alice", "carol", "hosta"));
	ck_assert(!policy_accepts(pol, "alice", "carol@hostb", "hosta"));
	ck_assert(!policy_accepts(pol, "alice", "bob", "hosta"));
	ck_assert(!policy_accepts(pol, "alice", "anon-1", "hosta"));
	ck_assert(!policy_accepts(pol, "alice", "mallory@hostb", "hosta"));
	/* No accept list, or no rule: anyone. */
	ck_assert(policy_accepts(pol, "open", "mallory@hostb", "hosta"));
	ck_assert(policy_accepts(pol, "dave", "mallory@hostb", "hosta"));
	ck_assert(policy_accepts(NULL, "alice", "mallory", "hosta"));
	policy_free(pol);
	config_free(c);
}
END_TEST

/* The encoding: round trip, and every damaged form refused or harmless. */
START_TEST(t_encoding)
{
	struct policy	*pol, *back;
	struct nc_conf	*c;
	uint8_t		*a, *b, *m;
	size_t		 alen, blen, i;
	uid_t		 nobody = getpwnam("nobody")->pw_uid;
	int		 bit;

	c = parse("session \"svc\" user \"nobody\" user \"root\"\n"
	    "session \"grp-*\" group \"nogroup\" accept from \"x@y\", \"z\"\n"
	    "session \"q\" accept from \"*@*\"\n");
	pol = resolve(c);
	ck_assert_ptr_nonnull(a = policy_encode(pol, &alen));
	ck_assert_ptr_nonnull(back = policy_decode(a, alen));
	ck_assert_ptr_nonnull(b = policy_encode(back, &blen));
	ck_assert_uint_eq(alen, blen);
	ck_assert(memcmp(a, b, alen) == 0);
	ck_assert(policy_may_attach(back, nobody, "svc"));
	ck_assert(policy_may_attach(back, nobody, "nobody"));
	ck_assert(!policy_accepts(back, "grp-1", "w@y", "h"));
	free(b);
	policy_free(back);
	/* Every truncation, and a byte more, are refused. */
	for (i = 0; i < alen; i++)
		ck_assert_ptr_null(policy_decode(a, i));
	ck_assert_ptr_nonnull(m = malloc(alen + 1));
	memcpy(m, a, alen);
	m[alen] = 0;
	ck_assert_ptr_null(policy_decode(m, alen + 1));
	/* Bad version, bad default. */
	m[0] = 2;
	ck_assert_ptr_null(policy_decode(m, alen));
	m[0] = a[0];
	m[1] = 2;
	ck_assert_ptr_null(policy_decode(m, alen));
	/* Any flipped bit: refused or decoded, never a crash or a leak. */
	for (i = 0; i < alen; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, a, alen);
			m[i] ^= (uint8_t)(1 << bit);
			policy_free(policy_decode(m, alen));
		}
	/* Counts that promise more than there is. */
	memcpy(m, a, alen);
	m[4] = m[5] = m[6] = m[7] = 0xff;	/* nusers */
	ck_assert_ptr_null(policy_decode(m, alen));
	ck_assert_ptr_null(policy_decode(NULL, 0));
	free(m);
	free(a);
	policy_free(pol);
	config_free(c);
}
END_TEST

/* What a reload reports. */
static void
collect(void *arg, int restart, const char *text)
{
	char	*out = arg;

	ck_assert_int_eq(restart, 0);
	(void)nc_strlcpy(out + strlen(out), text, 1024 - strlen(out));
	(void)nc_strlcpy(out + strlen(out), "\n", 1024 - strlen(out));
}

START_TEST(t_reload_report)
{
	struct nc_conf	*a, *b, *c;
	char		 out[1024] = "";

	a = parse("session \"x\" user \"root\"\n");
	b = parse("session \"x\" user \"root\"\n");
	c = parse("session default any\nsession \"x\" user \"nobody\"\n");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(confdiff(a, b, collect, out, NULL), 0);
	ck_assert_uint_eq(confdiff(a, c, collect, out, NULL), 2);
	ck_assert_ptr_nonnull(strstr(out, "session default: own -> any"));
	ck_assert_ptr_nonnull(strstr(out, "session rules: changed"));
	config_free(a);
	config_free(b);
	config_free(c);
}
END_TEST

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	Suite	*s;
	SRunner	*sr;
	TCase	*tc;
	int	 failed;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_policy.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	s = suite_create("policy");
	tc = tcase_create("policy");
	tcase_add_test(tc, t_name_patterns);
	tcase_add_test(tc, t_sender_patterns);
	tcase_add_test(tc, t_string_vectors);
	tcase_add_test(tc, t_rules_parsed);
	tcase_add_test(tc, t_rules_refused);
	tcase_add_test(tc, t_resolve);
	tcase_add_test(tc, t_accepts);
	tcase_add_test(tc, t_encoding);
	tcase_add_test(tc, t_reload_report);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
