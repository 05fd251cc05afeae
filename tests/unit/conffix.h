/*
 * The fixtures and helpers of the configuration parser's unit tests
 * (check_config, check_confpeers, check_confproxy, check_confmacros):
 * conffix_run() makes a temporary directory with RSA keys once, then runs
 * the suite; each test writes a configuration there, parses it, and
 * checks either the values or, for a bad one, that config_parse() failed
 * and printed the expected "file:line: message" on stderr.
 */
#ifndef NC_TEST_CONFFIX_H
#define NC_TEST_CONFFIX_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "conf.h"
#include "crypto.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

/*
 * The directory holds private.pem (key A, with hosta.pub), peers/hostb.pub
 * (key B), hostc.pub (key C), weak.pem and weak.pub (RSA-1024), and an
 * empty directory inc.
 */
extern char	tmpdir[64];		/* mkdtemp(3) template */
extern char	fp_b[NC_FP_STRLEN];	/* fingerprints of keys B and C */
extern char	fp_c[NC_FP_STRLEN];

#define PRIV	"private key \"@D@/private.pem\"\n"
#define PEER_B	"peer \"hostb\" {\n\tpublic key \"@D@/peers/hostb.pub\"\n}\n"

/*
 * Write a configuration into tmpdir; "@D@" stands for tmpdir, "@FPB@"
 * and "@FPC@" for the fingerprints of keys B and C.
 */
void		 conf_write(const char *name, const char *text);
/* Parse tmpdir/name (or an absolute name) with stderr captured in err. */
struct nc_conf	*parse_capture(const char *name, int flags, char *err,
		    size_t errsz);
/* A configuration that must parse without a word on stderr. */
struct nc_conf	*parse_ok(const char *name, const char *text, int flags);
/*
 * A configuration that must be refused, with each expected message
 * (a NULL-terminated list of "line: message" beginnings) on stderr as
 * "name:line: message".
 */
void		 parse_bad(const char *name, const char *text, int flags,
		    ...);
void		 assert_fp_eq(const uint8_t fp[NC_SHA256_LEN],
		    const char *expect);
struct listen_addr *listen_nth(struct nc_conf *c, int n);
int		 listen_count(struct nc_conf *c);
int		 peer_count(struct nc_conf *c);
unsigned int	 listen_port(const struct listen_addr *la);

/* Make the fixtures, run the suite, remove them: main()'s exit status. */
int		 conffix_run(Suite *);

#endif
