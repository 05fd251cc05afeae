/*
 * Fuzz target: file offers, data, ends and results, and the names
 * offered (lib/file.c), and in one mode the whole client side of the
 * session protocol (lib/netcrypt.c reading what the daemon sends).
 *
 * The library's internals are compiled in (as for check_lib).  A session
 * "bob" is attached over a socketpair whose other end plays the daemon,
 * and receives files into a private directory.
 *
 * Input: one mode byte (with bit 1 set, the receiver also takes files
 * only from "alice@*" and "carol@hostc", of 4096 bytes at most), then
 *	mode even	payloads u8 sender | u16 len | payload (len >= 1),
 *			each handed to nc__file_input() as from one of three
 *			senders (sender byte % 3), as from the spool when its
 *			top bit is set; nc__valid_file_name() sees each too
 *	mode odd	raw bytes from the daemon, read with nc_next()
 * Afterwards the directory may hold only files with valid names, and
 * the temporary files of spooled transfers (kept for the next receiver).
 */
#include "config.h"

#include <sys/socket.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz.h"
#include "internal.h"
#include "util.h"

static const char *const senders[] = {
	"alice@hosta", "carol@hostc", "anon-1@hosta"
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	(void)fuzz_tmpdir();
	return 0;
}

static struct nc_session *
attach(int sv[2])
{
	static const uint8_t	 attached[] = { 0, 0, 0, 12, SP_ATTACHED, NC_OK,
				    5, 'h', 'o', 's', 't', 'b', 3, 'b', 'o',
				    'b' };
	struct nc_session	*s;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fuzz_fail("socketpair");
	if (write(sv[1], attached, sizeof(attached)) != sizeof(attached) ||
	    nc__attach(&s, sv[0], "bob", NULL, 0) != NC_OK ||
	    nc_set_nonblock(sv[1], 1) == -1)
		fuzz_fail("attach");
	if (nc_receive_files(s, fuzz_tmpdir()) == -1)
		fuzz_fail("nc_receive_files: %s", strerror(errno));
	return s;
}

/* What the session sent to the "daemon": read and dropped. */
static void
drain(int fd)
{
	uint8_t	buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
check_dir(void)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(fuzz_tmpdir())) == NULL)
		fuzz_fail("opendir");
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (nc__spooled_tmp_name(de->d_name))
			continue;
		if (!nc__valid_file_name((const uint8_t *)de->d_name,
		    strlen(de->d_name)) || (strncmp(de->d_name, ".nc-", 4) ==
		    0 && strlen(de->d_name) == 16))
			fuzz_fail("left in the directory: \"%s\"", de->d_name);
	}
	(void)closedir(d);
	if (fuzz_empty_dir(fuzz_tmpdir()) == -1)
		fuzz_fail("cannot empty the directory");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nc_session	*s;
	struct nc_event		 ev;
	struct reader		 r;
	const uint8_t		*p;
	size_t			 len;
	ssize_t			 n;
	uint64_t		 sid = 0;
	int			 sv[2], who, spooled, i;

	static const char *const from[] = { "alice@*", "carol@hostc" };

	if (size < 1)
		return 0;
	s = attach(sv);
	if ((data[0] & 2) && (nc_receive_from(s, from, 2) == -1 ||
	    nc_receive_limits(s, 4096, 5) == -1))
		fuzz_fail("receive rules: %s", strerror(errno));
	rd_init(&r, data + 1, size - 1);
	if (data[0] & 1) {
		while (r.left > 0) {
			n = write(sv[1], r.p, r.left);
			if (n <= 0)
				break;
			(void)rd_bytes(&r, (size_t)n);
			for (i = 0; i < 1000 && nc_next(s, &ev, 0) == 1; i++)
				drain(sv[1]);
		}
		(void)shutdown(sv[1], SHUT_WR);
		for (i = 0; i < 1000 && nc_next(s, &ev, 0) == 1; i++)
			drain(sv[1]);
	} else {
		while (r.left >= 3) {
			who = rd_u8(&r);
			spooled = (who & 0x80) != 0;
			who %= 3;
			len = rd_u16(&r);
			if (len > r.left)
				len = r.left;
			p = rd_bytes(&r, len);
			if (len == 0)
				continue;
			(void)nc__valid_file_name(p, len);
			nc__file_input(s, senders[who], p, len,
			    spooled ? ++sid : 0);
			drain(sv[1]);
		}
	}
	drain(sv[1]);
	(void)close(sv[1]);
	nc_close(s);
	check_dir();
	return 0;
}
