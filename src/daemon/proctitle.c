/*
 * setproctitle() for Linux: ps(1) shows /proc/PID/cmdline, which is the
 * memory of the original argv strings.  We move the environment out of
 * the way, then overwrite the argv area with the title.
 */
#include "config.h"

#include <sys/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "util.h"

extern char **environ;

static char	*title_start;
static size_t	 title_size;
/*
 * The environment's copy lives as long as the process.  Kept here too,
 * because a later setenv() may give environ an array of libc's own and
 * drop the only other pointer to it (valgrind would call it a leak).
 * Not static: the compiler would drop a variable that is never read.
 */
char		**proctitle_env;

void
proctitle_init(int argc, char **argv)
{
	char	*end;
	char	**newenv;
	size_t	 n, i;
	int	 a;

	if (argc == 0 || argv[0] == NULL)
		return;
	end = argv[0];
	for (a = 0; a < argc; a++)
		if (argv[a] == end)
			end = argv[a] + strlen(argv[a]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		if (environ[n] == end)
			end = environ[n] + strlen(environ[n]) + 1;
	/* Copy the environment so that the area it used can be reused. */
	if ((newenv = calloc(n + 1, sizeof(*newenv))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((newenv[i] = strdup(environ[i])) == NULL) {
			/* Keep the old environment: the title stays short. */
			while (i > 0)
				free(newenv[--i]);
			free(newenv);
			return;
		}
	environ = proctitle_env = newenv;
	/* argv[0] itself must stay valid for getopt's messages: copy it. */
	title_start = argv[0];
	title_size = (size_t)(end - argv[0]);
	if ((argv[0] = strdup(argv[0])) == NULL)
		argv[0] = (char *)"netcryptd";
	for (a = 1; a < argc; a++)
		if ((argv[a] = strdup(argv[a])) == NULL)
			argv[a] = (char *)"";
}

void
proctitle_set(const char *fmt, ...)
{
	char	title[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	/* comm (15 bytes) for top(1) and the journal. */
	(void)prctl(PR_SET_NAME, title, 0, 0, 0);
	if (title_start == NULL || title_size < 2)
		return;
	memset(title_start, 0, title_size);
	(void)nc_strlcpy(title_start, title, title_size - 1);
}
