/*
 * Confinement of the children, in one fixed order (doc/DESIGN.md section 3):
 * fds, chroot, groups, gid, uid, no-new-privs, not dumpable, no core,
 * then the seccomp allow-list of the process's role.
 */
#ifndef NC_SANDBOX_H
#define NC_SANDBOX_H

#include "ipc.h"

/*
 * Enter the sandbox.  keep[] lists the descriptors the process still
 * needs; every other one >= 3 is closed.  Any failure is fatal.
 */
void	sandbox_enter(enum proc_role, const struct privsep_conf *,
	    const int *keep, size_t nkeep);
/*
 * Load the seccomp allow-list of the role: the last step, after the
 * event base and everything else that needs a system call once.
 */
void	sandbox_lock(enum proc_role);
/*
 * Checks the master runs before forking, so the error is clear: the
 * chroot of the key-holder and the network child (root's), and the
 * spool's directory (the service user's); both writable by nobody else.
 */
int	sandbox_check_privsep(const struct privsep_conf *, char *errbuf,
	    size_t errsz);
int	sandbox_check_spool(const struct privsep_conf *, char *errbuf,
	    size_t errsz);

#endif
