/* Helpers shared by the fuzz targets (fuzz.h). */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "util.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR	"."
#endif
#define VECTOR_FILE	"/tests/vectors/link-v1.json"
#define VECTOR_MAX	(1024 * 1024)

static char	tmpdir[4096];

static void
drop_line(int priority, const char *line)
{
	(void)priority;
	(void)line;
}

void
fuzz_quiet(void)
{
	if (getenv("FUZZ_VERBOSE") != NULL)
		return;
	/* Not stderr, not syslog: every line goes to the forward hook. */
	log_init(LOG_TO_SYSLOG, -1);
	log_set_forward(drop_line);
}

int
fuzz_empty_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[4096 + 256];
	int		 rv = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == -1)
			rv = -1;
	}
	(void)closedir(d);
	return rv;
}

static void
tmpdir_remove(void)
{
	if (tmpdir[0] != '\0') {
		(void)fuzz_empty_dir(tmpdir);
		(void)rmdir(tmpdir);
	}
}

const char *
fuzz_tmpdir(void)
{
	const char	*base;
	int		 n;

	if (tmpdir[0] != '\0')
		return tmpdir;
	if ((base = getenv("TMPDIR")) == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(tmpdir, sizeof(tmpdir), "%s/nc-fuzz.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL)
		fuzz_fail("cannot make a temporary directory under %s", base);
	(void)atexit(tmpdir_remove);
	return tmpdir;
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	abort();
}

static char	*vectors;

static void
vectors_load(void)
{
	const char	*top;
	char		 path[4096];
	FILE		*f;
	size_t		 len;

	if ((top = getenv("top_srcdir")) == NULL)
		top = TEST_SRCDIR;
	(void)snprintf(path, sizeof(path), "%s%s", top, VECTOR_FILE);
	if ((f = fopen(path, "r")) == NULL)
		fuzz_fail("%s: cannot open", path);
	if ((vectors = malloc(VECTOR_MAX + 1)) == NULL)
		fuzz_fail("out of memory");
	len = fread(vectors, 1, VECTOR_MAX, f);
	(void)fclose(f);
	vectors[len] = '\0';
}

size_t
fuzz_vector(const char *key, int nth, uint8_t *out, size_t outsz)
{
	char		 pat[128], *p, *end, hex[16384];
	size_t		 len;
	int		 i;

	if (vectors == NULL)
		vectors_load();
	(void)snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = vectors;
	for (i = 0; i <= nth; i++) {
		if ((p = strstr(p, pat)) == NULL)
			fuzz_fail("vector %s #%d: not found", key, nth);
		p += strlen(pat);
	}
	if ((end = strchr(p, '"')) == NULL || (size_t)(end - p) >= sizeof(hex))
		fuzz_fail("vector %s #%d: bad string", key, nth);
	memcpy(hex, p, (size_t)(end - p));
	hex[end - p] = '\0';
	if (nc_hex_decode(hex, out, outsz, &len) == -1)
		fuzz_fail("vector %s #%d: not hex, or too long", key, nth);
	return len;
}
