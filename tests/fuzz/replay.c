/*
 * Replays inputs through a fuzz target without libFuzzer: "make check"
 * runs replay_<name>, which feeds every file of tests/fuzz/corpus/<name>/
 * and tests/fuzz/regress/<name>/ (the inputs that once crashed) to the
 * same LLVMFuzzerTestOneInput() the fuzzer calls.  A bug aborts the
 * program (under ASan, with a report).  With arguments, it replays those
 * files instead: to reproduce a crash in a debugger.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX	(1024 * 1024)	/* no input of ours is larger */

static int
replay_file(const char *path)
{
	FILE		*f;
	uint8_t		*buf, *exact;
	size_t		 len;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, REPLAY_MAX + 1, f);
	fclose(f);
	if (len > REPLAY_MAX) {
		fprintf(stderr, "%s: larger than %d bytes\n", path, REPLAY_MAX);
		free(buf);
		return -1;
	}
	/* Exactly len bytes, as libFuzzer hands them: ASan sees overreads. */
	if ((exact = malloc(len > 0 ? len : 1)) == NULL) {
		free(buf);
		return -1;
	}
	if (len > 0)
		memcpy(exact, buf, len);
	free(buf);
	(void)LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; the count, or -1. */
static int
replay_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 path[8192], **names = NULL, **more;
	size_t		 nnames = 0, i;
	int		 count = 0, n;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (more = realloc(names,
		    (nnames + 1) * sizeof(*names))) == NULL)
			continue;
		names = more;
		if ((names[nnames] = strdup(de->d_name)) != NULL)
			nnames++;
	}
	(void)closedir(d);
	if (names == NULL)
		return 0;
	qsort(names, nnames, sizeof(*names), cmp_names);
	for (i = 0; i < nnames; i++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path) == -1)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	const char	*srcdir, *name, *sub[] = { "corpus", "regress" };
	char		 dir[4096];
	int		 i, n, total = 0;

	(void)LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay_file(argv[i]) == -1)
				return 1;
		printf("%d passed, 0 failed\n", argc - 1);
		return 0;
	}
	/* replay_<name>: the target's name. */
	if ((name = strrchr(argv[0], '/')) != NULL)
		name++;
	else
		name = argv[0];
	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = ".";
	for (i = 0; i < 2; i++) {
		(void)snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", srcdir,
		    sub[i], name);
		if ((n = replay_dir(dir)) == -1) {
			fprintf(stderr, "%s: cannot replay\n", dir);
			return 1;
		}
		printf("%s: %d inputs replayed\n", dir, n);
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "no input found for %s\n", name);
		return 1;
	}
	return 0;
}
