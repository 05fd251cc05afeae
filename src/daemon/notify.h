/*
 * The service manager's readiness protocol (sd_notify(3)), spoken by
 * the master only.  Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef NC_NOTIFY_H
#define NC_NOTIFY_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, then remove
 * them from the environment so that the children never see them.
 * Returns 1 when a service manager listens, else 0.
 */
int	notify_init(void);
int	notify_enabled(void);

void	notify_ready(void);	/* READY=1: listening, children ready */
void	notify_reloading(void);	/* RELOADING=1, MONOTONIC_USEC= */
void	notify_stopping(void);	/* STOPPING=1 */
void	notify_watchdog(void);	/* WATCHDOG=1 */

/* The watchdog period asked for, in microseconds; 0: none. */
uint64_t notify_watchdog_usec(void);
/* Send WATCHDOG=1 every half period from this event loop. */
void	notify_watchdog_start(struct event_base *);
void	notify_watchdog_stop(void);

/* The pieces, for the unit tests. */
int	notify_parse_addr(const char *, struct sockaddr_un *, socklen_t *);
int	notify_parse_watchdog(const char *usec, const char *pid, pid_t self,
	    uint64_t *usecp);
int	notify_format_reloading(char *, size_t, uint64_t monotonic_usec);
int	notify_send_to(const struct sockaddr_un *, socklen_t, const char *);

#endif
