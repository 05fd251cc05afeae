/*
 * The client side of a SOCKS5 CONNECT (RFC 1928) with optional
 * username/password authentication (RFC 1929), as a sans-I/O state
 * machine: the caller moves the bytes, this file only encodes what to
 * send and parses what came back.  Used by link.c for outgoing links
 * through a proxy such as Tor (doc/PROTOCOL.md 3).
 */
#ifndef NC_SOCKS5_H
#define NC_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#define SOCKS5_NAME_MAX		255	/* ATYP 3 names, RFC 1929 fields */
/* The largest message we send: the RFC 1929 request. */
#define SOCKS5_OUT_MAX		(3 + 2 * SOCKS5_NAME_MAX)
/* The largest reply we read: CONNECT with a 255-byte bound name. */
#define SOCKS5_IN_MAX		(4 + 1 + SOCKS5_NAME_MAX + 2)

#define SOCKS5_ATYP_IPV4	1
#define SOCKS5_ATYP_NAME	3
#define SOCKS5_ATYP_IPV6	4

enum socks5_state {
	SOCKS5_S_METHOD,	/* greeting sent, waiting for the method */
	SOCKS5_S_AUTH,		/* RFC 1929 request sent */
	SOCKS5_S_CONNECT,	/* CONNECT sent */
	SOCKS5_S_DONE,		/* the tunnel is open */
	SOCKS5_S_FAILED
};

/* What socks5_input() asks of the caller. */
enum socks5_status {
	SOCKS5_MORE,		/* read more, then call again with it all */
	SOCKS5_SEND,		/* send socks5_output(), then read */
	SOCKS5_DONE,		/* tunnel open; later bytes are the peer's */
	SOCKS5_ERROR		/* give up; socks5_error() says why */
};

struct socks5 {
	enum socks5_state	 state;
	char			 host[SOCKS5_NAME_MAX + 1];
	uint16_t		 port;
	char			 user[SOCKS5_NAME_MAX + 1];
	char			 password[SOCKS5_NAME_MAX + 1];
	uint8_t			 out[SOCKS5_OUT_MAX];
	size_t			 outlen;
	uint8_t			 method;	/* chosen by the proxy */
	uint8_t			 atyp;		/* of the CONNECT we sent */
	int			 reply;		/* CONNECT reply code, or -1 */
	char			 err[160];
};

/*
 * Start an exchange asking for host:port.  host is sent as an IPv4 or
 * IPv6 address when it is a literal, otherwise as a name (ATYP 3) that
 * only the proxy resolves.  user and password (1..255 bytes each, or
 * both NULL) are offered with method 02; method 00 (none) is always
 * offered.  The greeting is then waiting in socks5_output().  0, or -1
 * when an argument is out of range (the struct is then wiped).
 */
int		 socks5_init(struct socks5 *, const char *host, uint16_t port,
		    const char *user, const char *password);
/* Wipe the credentials and everything else. */
void		 socks5_clear(struct socks5 *);
/* The bytes to send now (the caller sends them all); NULL when none. */
const uint8_t	*socks5_output(struct socks5 *, size_t *len);
/*
 * Everything received so far and not yet used, in len bytes.  *used is
 * how many of them belong to the exchange (0 unless SEND or DONE); what
 * follows a DONE is the first data from the peer and stays the caller's.
 */
enum socks5_status socks5_input(struct socks5 *, const uint8_t *in,
		    size_t len, size_t *used);
const char	*socks5_error(const struct socks5 *);

/* Name of a CONNECT reply code (RFC 1928 and Tor's extensions). */
const char	*socks5_reply_name(uint8_t rep);
/*
 * Encoders, exported for the tests: 0 and *len set, or -1 when the
 * message would not fit in outsz or a field is out of range.
 */
int		 socks5_encode_greeting(uint8_t *out, size_t outsz,
		    int with_auth, size_t *len);
int		 socks5_encode_auth(uint8_t *out, size_t outsz,
		    const char *user, const char *password, size_t *len);
int		 socks5_encode_connect(uint8_t *out, size_t outsz,
		    const char *host, uint16_t port, size_t *len);

#endif
