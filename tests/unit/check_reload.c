/*
 * Unit tests of the configuration difference a reload is made of
 * (src/daemon/confdiff.c): two files are parsed with the real parser and
 * compared; every reported line is collected and checked.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <check.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "confdiff.h"
#include "crypto.h"
#include "util.h"

static char	tmpdir[64];
static char	fp1[NC_FP_STRLEN], fp2[NC_FP_STRLEN], fp3[NC_FP_STRLEN];

/* What confdiff() reported. */
struct lines {
	char	text[32][512];
	int	restart[32];
	size_t	n;
};

static void
collect(void *arg, int restart, const char *text)
{
	struct lines	*l = arg;

	ck_assert_uint_lt(l->n, 32);
	(void)nc_strlcpy(l->text[l->n], text, sizeof(l->text[0]));
	l->restart[l->n] = restart;
	l->n++;
}

/* The index of the line that contains s, or -1. */
static int
find(const struct lines *l, const char *s)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strstr(l->text[i], s) != NULL)
			return (int)i;
	return -1;
}

static struct nc_conf *
parse(const char *name, const char *fmt, ...)
{
	char		 path[PATH_MAX];
	FILE		*fp;
	va_list		 ap;
	struct nc_conf	*c;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "name \"here\"\nuser \"nobody\"\n");
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fclose(fp);
	/* No private key in these files: the parser must not look for it. */
	c = config_parse(path, CONF_F_NOKEYS);
	ck_assert_msg(c != NULL, "%s does not parse", name);
	return c;
}

/* Three peers: b is changed in each test, c and d stay as they are. */
#define BASE_PEERS \
	"peer \"c\" {\n connect to 127.0.0.1 port 7\n fingerprint \"%s\"\n}\n" \
	"peer \"d\" {\n fingerprint \"%s\"\n}\n"

START_TEST(t_identical)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };
	size_t		 nrestart = 99;

	a = parse("a.conf", "listen on 127.0.0.1 port 5000\n" BASE_PEERS,
	    fp1, fp2);
	b = parse("b.conf", "listen on 127.0.0.1 port 5000\n" BASE_PEERS,
	    fp1, fp2);
	ck_assert_uint_eq(confdiff(a, b, collect, &l, &nrestart), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(nrestart, 0);
	ck_assert_uint_eq(confdiff_peer(a, TAILQ_FIRST(&a->peers), b,
	    TAILQ_FIRST(&b->peers)), 0);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(t_peers_added_removed)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };

	a = parse("a.conf", BASE_PEERS, fp1, fp2);
	b = parse("b.conf", "peer \"c\" {\n connect to 127.0.0.1 port 7\n"
	    " fingerprint \"%s\"\n}\npeer \"e\" {\n fingerprint \"%s\"\n}\n",
	    fp1, fp3);
	ck_assert_uint_eq(confdiff(a, b, collect, &l, NULL), 2);
	ck_assert_int_eq(find(&l, "peer d: removed"), 0);
	ck_assert_int_eq(find(&l, "peer e: added"), 1);
	ck_assert_int_eq(find(&l, "peer c"), -1);
	ck_assert_int_eq(l.restart[0] + l.restart[1], 0);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(t_peer_changes)
{
	struct nc_conf		*a, *b;
	struct peer_conf	*pa, *pb;
	struct lines		 l = { .n = 0 };

	a = parse("a.conf", BASE_PEERS, fp1, fp2);
	/* c: other port; d: other key. */
	b = parse("b.conf", "peer \"c\" {\n connect to 127.0.0.1 port 8\n"
	    " fingerprint \"%s\"\n}\npeer \"d\" {\n fingerprint \"%s\"\n}\n",
	    fp1, fp3);
	pa = config_find_peer(a, "c");
	pb = config_find_peer(b, "c");
	ck_assert_uint_eq(confdiff_peer(a, pa, b, pb), CD_PEER_CONNECT);
	pa = config_find_peer(a, "d");
	pb = config_find_peer(b, "d");
	ck_assert_uint_eq(confdiff_peer(a, pa, b, pb), CD_PEER_KEY);
	ck_assert_uint_eq(confdiff(a, b, collect, &l, NULL), 2);
	ck_assert_int_ge(find(&l, "peer c: connect addresses changed"), 0);
	ck_assert_int_ge(find(&l, "peer d: pinned key changed"), 0);
	ck_assert_int_eq(find(&l, "; "), -1);	/* one change each */
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(t_connect_order_and_count)
{
	struct nc_conf	*a, *b, *c;

	a = parse("a.conf", "peer \"c\" {\n connect to h1 port 7\n"
	    " connect to h2 port 7\n fingerprint \"%s\"\n}\n", fp1);
	b = parse("b.conf", "peer \"c\" {\n connect to h2 port 7\n"
	    " connect to h1 port 7\n fingerprint \"%s\"\n}\n", fp1);
	c = parse("c.conf", "peer \"c\" {\n connect to h1 port 7\n"
	    " fingerprint \"%s\"\n}\n", fp1);
	/* The order is the dialling order: it matters. */
	ck_assert_uint_eq(confdiff_peer(a, TAILQ_FIRST(&a->peers), b,
	    TAILQ_FIRST(&b->peers)), CD_PEER_CONNECT);
	/* A prefix is not the same list, either way round. */
	ck_assert_uint_eq(confdiff_peer(a, TAILQ_FIRST(&a->peers), c,
	    TAILQ_FIRST(&c->peers)), CD_PEER_CONNECT);
	ck_assert_uint_eq(confdiff_peer(c, TAILQ_FIRST(&c->peers), a,
	    TAILQ_FIRST(&a->peers)), CD_PEER_CONNECT);
	config_free(a);
	config_free(b);
	config_free(c);
}
END_TEST

/* A global proxy change is a change of every peer that inherits it. */
START_TEST(t_proxy_inherited)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };

	a = parse("a.conf", "peer \"c\" {\n connect to h1 port 7\n"
	    " fingerprint \"%s\"\n}\npeer \"d\" {\n fingerprint \"%s\"\n"
	    " proxy none\n}\n", fp1, fp2);
	b = parse("b.conf", "proxy socks5 127.0.0.1 port 9050\n"
	    "peer \"c\" {\n connect to h1 port 7\n fingerprint \"%s\"\n}\n"
	    "peer \"d\" {\n fingerprint \"%s\"\n proxy none\n}\n", fp1, fp2);
	ck_assert_uint_eq(confdiff_peer(a, config_find_peer(a, "c"), b,
	    config_find_peer(b, "c")), CD_PEER_PROXY);
	ck_assert_uint_eq(confdiff_peer(a, config_find_peer(a, "d"), b,
	    config_find_peer(b, "d")), 0);
	ck_assert_uint_eq(confdiff(a, b, collect, &l, NULL), 2);
	ck_assert_int_ge(find(&l, "proxy: changed"), 0);
	ck_assert_int_ge(find(&l, "peer c: proxy changed"), 0);
	ck_assert_int_eq(find(&l, "9050"), -1);	/* no proxy details */
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(t_live_settings)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };
	size_t		 nrestart = 99;

	a = parse("a.conf", "keepalive 15\nmax sessions 10\n");
	b = parse("b.conf", "keepalive 5\nmax sessions 1\nqueue 1M\n"
	    "queue timeout 3\nhandshake timeout 4\nsession queue 2M\n"
	    "session timeout 9\ncipher chacha20-poly1305\nname \"there\"\n"
	    "rekey interval 2m\nrekey bytes 1M\n");
	ck_assert_uint_eq(confdiff(a, b, collect, &l, &nrestart), 11);
	ck_assert_uint_eq(nrestart, 0);
	ck_assert_int_ge(find(&l, "keepalive: 15 -> 5"), 0);
	ck_assert_int_ge(find(&l, "max sessions: 10 -> 1"), 0);
	ck_assert_int_ge(find(&l, "queue: 4194304 -> 1048576"), 0);
	ck_assert_int_ge(find(&l, "queue timeout: 30 -> 3"), 0);
	ck_assert_int_ge(find(&l, "handshake timeout: 10 -> 4"), 0);
	ck_assert_int_ge(find(&l, "session queue: "), 0);
	ck_assert_int_ge(find(&l, "session timeout: 60 -> 9"), 0);
	ck_assert_int_ge(find(&l, "name: \"here\" -> \"there\""), 0);
	ck_assert_int_ge(find(&l, "rekey interval: 3600 -> 120"), 0);
	ck_assert_int_ge(find(&l, "rekey bytes: 1073741824 -> 1048576"), 0);
	ck_assert_int_ge(find(&l, "cipher: aes-256-gcm aes-128-gcm "
	    "chacha20-poly1305 -> chacha20-poly1305"), 0);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(t_restart_settings)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };
	size_t		 nrestart = 0, i;

	a = parse("a.conf", "keepalive 15\n");
	b = parse("b.conf", "private key \"/elsewhere.pem\"\nuser \"other\"\n"
	    "chroot \"/other\"\nsession socket \"/s.sock\" group \"g\" "
	    "mode 0600\ncontrol socket \"/c.sock\" mode 0660\n"
	    "unwrap rate 5\nkeepalive 7\n");
	ck_assert_uint_eq(confdiff(a, b, collect, &l, &nrestart), 10);
	ck_assert_uint_eq(nrestart, 9);
	for (i = 0; i < l.n; i++)
		ck_assert_int_eq(l.restart[i],
		    strncmp(l.text[i], "keepalive", 9) != 0);
	ck_assert_int_ge(find(&l, "private key: "), 0);
	ck_assert_int_ge(find(&l, "needs a restart"), 0);
	ck_assert_int_ge(find(&l, "unwrap rate: auto -> 5 needs a restart"), 0);
	ck_assert_int_ge(find(&l, "session socket mode: 0660 -> 0600"), 0);
	/* Once the running values are kept, only the live change is left. */
	confdiff_keep_running(a, b);
	l.n = 0;
	ck_assert_uint_eq(confdiff(a, b, collect, &l, &nrestart), 1);
	ck_assert_uint_eq(nrestart, 0);
	ck_assert_int_eq(find(&l, "keepalive: 15 -> 7"), 0);
	ck_assert_str_eq(b->privkey, a->privkey);
	ck_assert_str_eq(b->user, a->user);
	ck_assert_uint_eq(b->unwrap_rate, NC_UNWRAP_AUTO);
	ck_assert_uint_eq(b->keepalive, 7);
	config_free(a);
	config_free(b);
}
END_TEST

/* The spool process gets its settings at start only: all need a restart. */
START_TEST(t_spool_settings)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };
	size_t		 nrestart = 0, i;

	a = parse("a.conf", "mailbox \"x\" none\n");
	b = parse("b.conf", "spool {\n directory \"/srv/sp\"\n size 2G\n"
	    " peer size 1G\n lifetime max 1d\n}\n"
	    "mailbox \"x\" { size 1M }\n");
	ck_assert_uint_eq(confdiff(a, b, collect, &l, &nrestart), 5);
	ck_assert_uint_eq(nrestart, 5);
	for (i = 0; i < l.n; i++)
		ck_assert_int_eq(l.restart[i], 1);
	ck_assert_int_ge(find(&l, "spool directory: \"" NC_DEFAULT_SPOOL_DIR
	    "\" -> \"/srv/sp\" needs a restart"), 0);
	ck_assert_int_ge(find(&l, "spool size: "), 0);
	ck_assert_int_ge(find(&l, "spool peer size: "), 0);
	ck_assert_int_ge(find(&l, "spool lifetime max: 2592000 -> 86400"), 0);
	ck_assert_int_ge(find(&l, "mailbox rules: changed; needs a restart"),
	    0);
	confdiff_keep_running(a, b);
	l.n = 0;
	ck_assert_uint_eq(confdiff(a, b, collect, &l, &nrestart), 0);
	ck_assert_str_eq(b->spool_dir, NC_DEFAULT_SPOOL_DIR);
	ck_assert_uint_eq(b->nmailboxes, 1);
	ck_assert_int_eq(b->mailboxes[0].none, 1);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(t_listens)
{
	struct nc_conf		*a, *b;
	struct lines		 l = { .n = 0 };
	struct listen_addr	*la;

	a = parse("a.conf", "listen on 127.0.0.1 port 5000\n"
	    "listen on ::1 port 5000\n");
	b = parse("b.conf", "listen on ::1 port 5000\n"
	    "listen on 127.0.0.1 port 5001\n");
	ck_assert_uint_eq(confdiff(a, b, collect, &l, NULL), 2);
	ck_assert_int_eq(find(&l, "listen on 127.0.0.1 port 5000: removed"),
	    0);
	ck_assert_int_eq(find(&l, "listen on 127.0.0.1 port 5001: added"), 1);
	/* ::1 is found in both, whatever its position. */
	la = TAILQ_LAST(&a->listens, listen_list);
	ck_assert_ptr_eq(confdiff_find_listen(b, la), TAILQ_FIRST(&b->listens));
	ck_assert_ptr_null(confdiff_find_listen(b, TAILQ_FIRST(&a->listens)));
	config_free(a);
	config_free(b);
}
END_TEST

/* Without "listen on": the default pair, the same in both files. */
START_TEST(t_listens_default)
{
	struct nc_conf	*a, *b;
	struct lines	 l = { .n = 0 };

	a = parse("a.conf", "keepalive 15\n");
	b = parse("b.conf", "listen on * port %d\n", NC_DEFAULT_PORT);
	ck_assert_uint_eq(confdiff(a, b, collect, &l, NULL), 0);
	config_free(a);
	config_free(b);
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

static void
make_fingerprint(char *out, uint8_t seed)
{
	uint8_t	digest[NC_SHA256_LEN];

	memset(digest, seed, sizeof(digest));
	if (nc_fingerprint_from_digest(digest, out, NC_FP_STRLEN) == -1)
		abort();
}

int
main(void)
{
	Suite	*s;
	SRunner	*sr;
	TCase	*tc;
	int	 failed;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_reload.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	make_fingerprint(fp1, 1);
	make_fingerprint(fp2, 2);
	make_fingerprint(fp3, 3);
	s = suite_create("reload");
	tc = tcase_create("confdiff");
	tcase_add_test(tc, t_identical);
	tcase_add_test(tc, t_peers_added_removed);
	tcase_add_test(tc, t_peer_changes);
	tcase_add_test(tc, t_connect_order_and_count);
	tcase_add_test(tc, t_proxy_inherited);
	tcase_add_test(tc, t_live_settings);
	tcase_add_test(tc, t_restart_settings);
	tcase_add_test(tc, t_spool_settings);
	tcase_add_test(tc, t_listens);
	tcase_add_test(tc, t_listens_default);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
