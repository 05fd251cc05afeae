/*
 * libnetcrypt: the rules a receiver of files applies, which file.c asks
 * before it creates anything: the names it takes, the senders, the
 * largest size, the share of the disk it leaves free; and the leftovers
 * of interrupted receives that it removes when it starts in a folder.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SCAN_MAX	100000	/* directory entries looked at for leftovers */

/*
 * A name to create in the output directory: one component, no '/', no
 * NUL or control character, at most 255 bytes, and no '.' or '-' first:
 * a dot file may be read by a shell or a mailer (.profile, .forward)
 * when the directory is a home, a dash turns the name into an option of
 * a careless command line, and "." and ".." are not files.  Anything
 * else is refused, not repaired: a repaired name is a surprise.
 */
int
nc__valid_file_name(const uint8_t *p, size_t len)
{
	size_t	i;

	if (len == 0 || len > 255)
		return 0;
	if (p[0] == '.' || p[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] == '/' || p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/* Whether name is one of our temporary names (".nc-" and 12 hex digits). */
int
nc__stale_tmp_name(const char *name)
{
	size_t	i;

	if (strncmp(name, NC__TMP_PREFIX, strlen(NC__TMP_PREFIX)) != 0 ||
	    strlen(name) != strlen(NC__TMP_PREFIX) + NC__TMP_HEX)
		return 0;
	for (i = strlen(NC__TMP_PREFIX); name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

/* flock(2) within NC__LOCK_TRIES ms: 0, or -1 (held, or no locks here). */
int
nc__lock_within(int fd, int op)
{
	int	i;

	for (i = 0; i < NC__LOCK_TRIES; i++) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		(void)poll(NULL, 0, 1);
	}
	return -1;
}

/* One leftover, if it is ours, a plain file, and nobody holds it. */
static void
remove_if_stale(int dirfd, const char *name)
{
	struct stat	st, again;
	int		fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
	    again.st_dev == st.st_dev && again.st_ino == st.st_ino)
		(void)unlinkat(dirfd, name, 0);
	(void)close(fd);
}

/*
 * The temporary files of receives that were interrupted (the program
 * killed, the machine down).  A receiver holds a lock on each of its
 * temporary files while it lives, so one that can be locked is a
 * leftover.  The directory lock keeps this out of the moment between
 * another receiver's creating its file and locking it (file.c,
 * rx_open_tmp()).  Those of spooled transfers (.ncs-) are another
 * matter: a receiver started again goes on with them (fileresume.c).
 * Best effort: without the directory lock, nothing is removed.
 */
void
nc__remove_stale(int dirfd)
{
	struct dirent	*de;
	DIR		*d;
	int64_t		 now = (int64_t)time(NULL);
	int		 fd, n;

	if (nc__lock_within(dirfd, LOCK_EX) == -1)
		return;
	/* fdopendir() takes its descriptor: a second one, for it alone. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1 && (d = fdopendir(fd)) == NULL)
		(void)close(fd);
	else if (fd != -1) {
		for (n = 0; n < SCAN_MAX && (de = readdir(d)) != NULL; n++)
			if (nc__stale_tmp_name(de->d_name))
				remove_if_stale(dirfd, de->d_name);
			else if (nc__spooled_tmp_name(de->d_name))
				nc__spooled_stale(dirfd, de->d_name, now);
		(void)closedir(d);
	}
	(void)flock(dirfd, LOCK_UN);
}

int
nc_receive_limits(struct nc_session *s, uint64_t max_size,
    unsigned int min_free_percent)
{
	if (s == NULL || min_free_percent > 99) {
		errno = EINVAL;
		return -1;
	}
	s->rx_max_size = max_size;
	s->rx_min_free = min_free_percent;
	return 0;
}

int
nc_receive_from(struct nc_session *s, const char *const *senders, size_t n)
{
	char	(*v)[NC__SENDER_PAT_MAX + 1] = NULL;
	size_t	 i;

	if (s == NULL || n > NC__FROM_PATS_MAX || (n > 0 && senders == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (senders[i] == NULL || !nc__sender_valid(senders[i])) {
			errno = EINVAL;
			return -1;
		}
	}
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		memcpy(v[i], senders[i], strlen(senders[i]) + 1);
	free(s->rx_from);
	s->rx_from = v;
	s->rx_nfrom = n;
	return 0;
}

/*
 * Whether size more bytes (and reserved more, for the files being
 * received) leave at least pct percent of the file system free, all in
 * blocks of frsize bytes: bavail of them available, blocks in all.
 * Nothing here overflows, whatever the numbers.
 */
int
nc__space_ok(uint64_t size, uint64_t reserved, uint64_t bavail,
    uint64_t blocks, uint64_t frsize, unsigned int pct)
{
	uint64_t	need, more, floor;

	if (frsize == 0 || pct > 100)
		return 0;
	need = size / frsize + (size % frsize != 0);
	more = reserved / frsize + (reserved % frsize != 0);
	if (need > UINT64_MAX - more || need + more > bavail)
		return 0;
	floor = blocks / 100 * pct + blocks % 100 * pct / 100;
	return bavail - need - more >= floor;
}

/* Room for size more bytes in the directory's file system. */
int
nc__rx_space(struct nc_session *s, uint64_t size)
{
	struct statvfs	sv;
	uint64_t	reserved = 0, left;
	size_t		i;

	if (fstatvfs(s->dirfd, &sv) == -1)
		return NC_FILE_IO;
	for (i = 0; i < NC__RX_MAX; i++) {
		if (!s->rx[i].used)
			continue;
		left = s->rx[i].size - s->rx[i].got;
		reserved = reserved > UINT64_MAX - left ? UINT64_MAX :
		    reserved + left;
	}
	return nc__space_ok(size, reserved, sv.f_bavail, sv.f_blocks,
	    sv.f_frsize, s->rx_min_free) ? NC_OK : NC_FILE_NO_SPACE;
}

int
nc__rx_sender_ok(const struct nc_session *s, const char *from)
{
	size_t	i;

	if (s->rx_nfrom == 0)
		return 1;
	for (i = 0; i < s->rx_nfrom; i++)
		if (nc__sender_match(s->rx_from[i], from, s->daemon))
			return 1;
	return 0;
}
