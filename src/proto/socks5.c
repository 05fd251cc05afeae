/*
 * SOCKS5 CONNECT, client side (RFC 1928, RFC 1929 authentication), as a
 * state machine without I/O.  The exchange is strictly one message, one
 * answer: the proxy has nothing to say before it has our next message,
 * so bytes beyond an answer are an error, except after the CONNECT reply
 * where they are the first data of the tunnel and are left to the caller.
 *
 * A name is never resolved here: it goes to the proxy as ATYP 3, which
 * is what keeps peer names (and .onion names) out of the local resolver.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "socks5.h"
#include "util.h"

#define SOCKS5_VERSION		5
#define SOCKS5_AUTH_VERSION	1	/* RFC 1929's sub-negotiation */
#define SOCKS5_M_NONE		0x00
#define SOCKS5_M_USERPASS	0x02
#define SOCKS5_M_REFUSED	0xff
#define SOCKS5_CMD_CONNECT	1

static const struct {
	uint8_t		 code;
	const char	*name;
} reply_names[] = {
	/* RFC 1928, section 6 */
	{ 0x00, "succeeded" },
	{ 0x01, "general SOCKS server failure" },
	{ 0x02, "connection not allowed by ruleset" },
	{ 0x03, "network unreachable" },
	{ 0x04, "host unreachable" },
	{ 0x05, "connection refused" },
	{ 0x06, "TTL expired" },
	{ 0x07, "command not supported" },
	{ 0x08, "address type not supported" },
	/* Tor's onion-service codes (SocksPort ExtendedErrors) */
	{ 0xf0, "onion service descriptor not found" },
	{ 0xf1, "onion service descriptor invalid" },
	{ 0xf2, "onion service introduction failed" },
	{ 0xf3, "onion service rendezvous failed" },
	{ 0xf4, "onion service client authorization missing" },
	{ 0xf5, "onion service client authorization wrong" },
	{ 0xf6, "onion service address invalid" },
	{ 0xf7, "onion service introduction timed out" }
};

static enum socks5_status fail(struct socks5 *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

const char *
socks5_reply_name(uint8_t rep)
{
	size_t	i;

	for (i = 0; i < sizeof(reply_names) / sizeof(reply_names[0]); i++)
		if (reply_names[i].code == rep)
			return reply_names[i].name;
	return "unknown reply code";
}

int
socks5_encode_greeting(uint8_t *out, size_t outsz, int with_auth,
    size_t *len)
{
	size_t	n = with_auth ? 4 : 3;

	if (outsz < n)
		return -1;
	out[0] = SOCKS5_VERSION;
	out[1] = (uint8_t)(n - 2);	/* number of methods */
	out[2] = SOCKS5_M_NONE;
	if (with_auth)
		out[3] = SOCKS5_M_USERPASS;
	*len = n;
	return 0;
}

int
socks5_encode_auth(uint8_t *out, size_t outsz, const char *user,
    const char *password, size_t *len)
{
	size_t	ulen = strlen(user), plen = strlen(password);

	if (ulen < 1 || ulen > SOCKS5_NAME_MAX || plen < 1 ||
	    plen > SOCKS5_NAME_MAX || outsz < 3 + ulen + plen)
		return -1;
	out[0] = SOCKS5_AUTH_VERSION;
	out[1] = (uint8_t)ulen;
	memcpy(out + 2, user, ulen);
	out[2 + ulen] = (uint8_t)plen;
	memcpy(out + 3 + ulen, password, plen);
	*len = 3 + ulen + plen;
	return 0;
}

int
socks5_encode_connect(uint8_t *out, size_t outsz, const char *host,
    uint16_t port, size_t *len)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 n, hlen = strlen(host);

	if (port == 0 || hlen < 1 || hlen > SOCKS5_NAME_MAX)
		return -1;
	/* Literals go as addresses: there is nothing to resolve. */
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if (outsz < (n = 4 + 4 + 2))
			return -1;
		out[3] = SOCKS5_ATYP_IPV4;
		memcpy(out + 4, &a4, 4);
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (outsz < (n = 4 + 16 + 2))
			return -1;
		out[3] = SOCKS5_ATYP_IPV6;
		memcpy(out + 4, &a6, 16);
	} else {
		if (outsz < (n = 4 + 1 + hlen + 2))
			return -1;
		out[3] = SOCKS5_ATYP_NAME;
		out[4] = (uint8_t)hlen;
		memcpy(out + 5, host, hlen);
	}
	out[0] = SOCKS5_VERSION;
	out[1] = SOCKS5_CMD_CONNECT;
	out[2] = 0;			/* reserved */
	put_u16(out + n - 2, port);
	*len = n;
	return 0;
}

int
socks5_init(struct socks5 *s, const char *host, uint16_t port,
    const char *user, const char *password)
{
	memset(s, 0, sizeof(*s));
	s->reply = -1;
	if ((user == NULL) != (password == NULL) ||
	    strlen(host) > SOCKS5_NAME_MAX ||
	    (user != NULL && (strlen(user) > SOCKS5_NAME_MAX ||
	    strlen(password) > SOCKS5_NAME_MAX)))
		goto bad;
	(void)nc_strlcpy(s->host, host, sizeof(s->host));
	s->port = port;
	if (user != NULL) {
		(void)nc_strlcpy(s->user, user, sizeof(s->user));
		(void)nc_strlcpy(s->password, password, sizeof(s->password));
	}
	/* Check the CONNECT now, so that a bad host fails here. */
	if (socks5_encode_connect(s->out, sizeof(s->out), s->host, s->port,
	    &s->outlen) == -1)
		goto bad;
	s->atyp = s->out[3];
	if (user != NULL && socks5_encode_auth(s->out, sizeof(s->out),
	    s->user, s->password, &s->outlen) == -1)
		goto bad;
	if (socks5_encode_greeting(s->out, sizeof(s->out), user != NULL,
	    &s->outlen) == -1)
		goto bad;
	s->state = SOCKS5_S_METHOD;
	return 0;
bad:
	socks5_clear(s);
	return -1;
}

void
socks5_clear(struct socks5 *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
	s->state = SOCKS5_S_FAILED;
	s->reply = -1;
}

const uint8_t *
socks5_output(struct socks5 *s, size_t *len)
{
	*len = s->outlen;
	if (s->outlen == 0)
		return NULL;
	s->outlen = 0;		/* taken: valid until the next input */
	return s->out;
}

const char *
socks5_error(const struct socks5 *s)
{
	return s->err[0] != '\0' ? s->err : "no error";
}

static enum socks5_status
fail(struct socks5 *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->state = SOCKS5_S_FAILED;
	s->outlen = 0;
	/* Nothing is sent any more: the credentials can go. */
	OPENSSL_cleanse(s->user, sizeof(s->user));
	OPENSSL_cleanse(s->password, sizeof(s->password));
	OPENSSL_cleanse(s->out, sizeof(s->out));
	return SOCKS5_ERROR;
}

static enum socks5_status
send_connect(struct socks5 *s)
{
	if (socks5_encode_connect(s->out, sizeof(s->out), s->host, s->port,
	    &s->outlen) == -1)
		return fail(s, "cannot encode the CONNECT request");
	s->state = SOCKS5_S_CONNECT;
	return SOCKS5_SEND;
}

/* The proxy's choice among the methods of the greeting. */
static enum socks5_status
input_method(struct socks5 *s, const uint8_t *in, size_t len, size_t *used)
{
	if (len < 2)
		return SOCKS5_MORE;
	if (in[0] != SOCKS5_VERSION)
		return fail(s, "not a SOCKS5 proxy (version %u in its first "
		    "reply)", in[0]);
	if (len > 2)
		return fail(s, "the proxy sent %zu bytes for a 2-byte method "
		    "reply", len);
	*used = 2;
	s->method = in[1];
	if (in[1] == SOCKS5_M_NONE)
		return send_connect(s);
	if (in[1] == SOCKS5_M_USERPASS && s->user[0] != '\0') {
		if (socks5_encode_auth(s->out, sizeof(s->out), s->user,
		    s->password, &s->outlen) == -1)
			return fail(s, "cannot encode the authentication");
		s->state = SOCKS5_S_AUTH;
		return SOCKS5_SEND;
	}
	if (in[1] == SOCKS5_M_REFUSED)
		return fail(s, "the proxy accepts none of the offered "
		    "authentication methods");
	return fail(s, "the proxy chose method 0x%02x, which was not offered",
	    in[1]);
}

/* RFC 1929: version 1 and a status, 0 for success. */
static enum socks5_status
input_auth(struct socks5 *s, const uint8_t *in, size_t len, size_t *used)
{
	if (len < 2)
		return SOCKS5_MORE;
	if (in[0] != SOCKS5_AUTH_VERSION)
		return fail(s, "bad version %u in the authentication reply",
		    in[0]);
	if (len > 2)
		return fail(s, "the proxy sent %zu bytes for a 2-byte "
		    "authentication reply", len);
	if (in[1] != 0)
		return fail(s, "the proxy refused the user name and password "
		    "(status %u)", in[1]);
	*used = 2;
	OPENSSL_cleanse(s->password, sizeof(s->password));
	return send_connect(s);
}

/*
 * VER REP RSV ATYP BND.ADDR BND.PORT, the address 4, 16 or 1 + n bytes
 * by ATYP.  A refusal is reported as soon as its code is known: nothing
 * after it is used, and a proxy may close without the rest.
 */
static enum socks5_status
input_reply(struct socks5 *s, const uint8_t *in, size_t len, size_t *used)
{
	size_t	need;

	if (len < 2)
		return SOCKS5_MORE;
	if (in[0] != SOCKS5_VERSION)
		return fail(s, "bad version %u in the CONNECT reply", in[0]);
	if (in[1] != 0) {
		s->reply = in[1];
		return fail(s, "CONNECT to %s port %u refused: %s (0x%02x)",
		    s->host, s->port, socks5_reply_name(in[1]), in[1]);
	}
	if (len < 4)
		return SOCKS5_MORE;
	if (in[2] != 0)
		return fail(s, "reserved byte 0x%02x in the CONNECT reply is "
		    "not zero", in[2]);
	switch (in[3]) {
	case SOCKS5_ATYP_IPV4:
		need = 4 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		need = 4 + 16 + 2;
		break;
	case SOCKS5_ATYP_NAME:
		if (len < 5)
			return SOCKS5_MORE;
		if (in[4] == 0)
			return fail(s, "empty bound name in the CONNECT reply");
		need = 4 + 1 + (size_t)in[4] + 2;
		break;
	default:
		return fail(s, "unknown address type %u in the CONNECT reply",
		    in[3]);
	}
	if (len < need)
		return SOCKS5_MORE;
	*used = need;
	s->reply = 0;
	s->state = SOCKS5_S_DONE;
	return SOCKS5_DONE;
}

static enum socks5_status
input_state(struct socks5 *s, const uint8_t *in, size_t len, size_t *used)
{
	switch (s->state) {
	case SOCKS5_S_METHOD:
		return input_method(s, in, len, used);
	case SOCKS5_S_AUTH:
		return input_auth(s, in, len, used);
	case SOCKS5_S_CONNECT:
		return input_reply(s, in, len, used);
	case SOCKS5_S_DONE:
		return SOCKS5_DONE;
	case SOCKS5_S_FAILED:
		break;
	}
	return SOCKS5_ERROR;
}

enum socks5_status
socks5_input(struct socks5 *s, const uint8_t *in, size_t len, size_t *used)
{
	enum socks5_status	st;

	*used = 0;
	st = input_state(s, in, len, used);
	/* As socks5.h says: only SEND and DONE use bytes. */
	if (st != SOCKS5_SEND && st != SOCKS5_DONE)
		*used = 0;
	return st;
}
