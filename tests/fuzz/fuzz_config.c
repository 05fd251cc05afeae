/*
 * Fuzz target: the configuration parser (src/daemon/parse.y).
 *
 * The input is written to a file in a private directory and parsed with
 * CONF_F_NOKEYS, so the grammar, the lexer (quotes, macros, joins,
 * comments) and the value checks are exercised, not the key files (their
 * own checks have unit tests).  "include" works: a relative name is
 * looked for in the private directory, where only the input itself is
 * (an include loop, which must be reported).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char	path[4200];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	(void)snprintf(path, sizeof(path), "%s/netcryptd.conf", fuzz_tmpdir());
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nc_conf	*c;
	size_t		 off;
	ssize_t		 n;
	int		 fd;

	if (path[0] == '\0')
		(void)LLVMFuzzerInitialize(NULL, NULL);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		fuzz_fail("%s: cannot write", path);
	for (off = 0; off < size; off += (size_t)n)
		if ((n = write(fd, data + off, size - off)) <= 0)
			fuzz_fail("%s: short write", path);
	(void)close(fd);

	c = config_parse(path, CONF_F_NOKEYS);
	if (c != NULL) {
		/* What the parser accepted must hold its own invariants. */
		if (c->nciphers < 1 || c->nciphers > NC_CIPHER_MAX ||
		    memchr(c->name, '\0', sizeof(c->name)) == NULL ||
		    c->name[0] == '\0')
			fuzz_fail("config_parse accepted a broken configuration");
		config_free(c);
	}
	return 0;
}
