/*
 * memscan PID HEX [-r]: exit 0 if the byte string HEX (reversed with -r)
 * occurs in the readable memory of process PID, 1 if not, 2 on error.
 * Used to prove where the private key lives and where it does not.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define CHUNK	(1 << 20)

static int
scan_region(int memfd, uint64_t start, uint64_t end, const uint8_t *needle,
    size_t nlen, uint8_t *buf)
{
	uint64_t	off;

	/* Overlap chunks by nlen - 1 so no match is split. */
	for (off = start; off < end; off += CHUNK - nlen + 1) {
		size_t	want = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
		ssize_t	n = pread(memfd, buf, want, (off_t)off);

		if (n <= 0)
			return 0;
		if (memmem(buf, (size_t)n, needle, nlen) != NULL)
			return 1;
		if ((size_t)n < want || off + want >= end)
			return 0;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	uint8_t		needle[1024], tmp, *buf;
	size_t		nlen, i;
	char		path[64], line[512];
	FILE		*maps;
	int		memfd, found = 0;

	if (argc < 3 || nc_hex_decode(argv[2], needle, sizeof(needle),
	    &nlen) == -1 || nlen < 8) {
		fprintf(stderr, "usage: memscan PID HEX [-r]\n");
		return 2;
	}
	if (argc > 3 && strcmp(argv[3], "-r") == 0)
		for (i = 0; i < nlen / 2; i++) {
			tmp = needle[i];
			needle[i] = needle[nlen - 1 - i];
			needle[nlen - 1 - i] = tmp;
		}
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "r")) == NULL) {
		perror(path);
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	if ((memfd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return 2;
	}
	if ((buf = malloc(CHUNK)) == NULL)
		return 2;
	while (!found && fgets(line, sizeof(line), maps) != NULL) {
		uint64_t	start, end;
		char		perms[8];

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end,
		    perms) != 3 || perms[0] != 'r')
			continue;
		if (strstr(line, "[vvar]") != NULL)
			continue;
		found = scan_region(memfd, start, end, needle, nlen, buf);
	}
	free(buf);
	close(memfd);
	fclose(maps);
	return found ? 0 : 1;
}
