/*
 * The client side of Tor's control protocol (Tor's control-spec.txt), as
 * a sans-I/O piece like socks5.c: a reader that turns the bytes Tor sends
 * into whole replies, encoders for the few commands netcryptd needs
 * (PROTOCOLINFO, AUTHENTICATE, ADD_ONION, DEL_ONION, QUIT), parsers for
 * their answers, and one clear log line for a refusal.  The caller moves
 * the bytes; nothing here opens a socket or a file.
 */
#ifndef NC_TORCTL_H
#define NC_TORCTL_H

#include <stddef.h>
#include <stdint.h>

/* A reply line without its CRLF: code, separator and text. */
#define TORCTL_LINE_MAX		4096
/* The most bytes the caller need ever offer at once: a line and CRLF. */
#define TORCTL_IN_MAX		(TORCTL_LINE_MAX + 2)
/* One reply: at most this many lines (data lines included)... */
#define TORCTL_REPLY_LINES	64
/* ...and this many bytes of kept text (each line's text and a NUL). */
#define TORCTL_REPLY_MAX	65536
#define TORCTL_ERR_MAX		160
#define TORCTL_ERRLINE_MAX	300	/* torctl_error_line(), NUL included */

#define TORCTL_ONION_ID_LEN	56	/* base32 of a v3 address, no .onion */
#define TORCTL_KEY_B64_MAX	88	/* base64 of 64 bytes, padded */
#define TORCTL_PATH_MAX		1024
#define TORCTL_VERSION_MAX	64

/* The kind of a reply line: its separator, or a data line. */
#define TORCTL_MID	'-'
#define TORCTL_DATA	'+'	/* the line that opens a data block */
#define TORCTL_END	' '
#define TORCTL_DLINE	'D'	/* a line inside a data block, unstuffed */

struct torctl_line {
	uint32_t	 off;		/* of the text in reply.text */
	uint32_t	 len;
	char		 kind;
};

struct torctl_reply {
	int			code;		/* 100..699 */
	size_t			nlines;
	struct torctl_line	line[TORCTL_REPLY_LINES];
	size_t			used;		/* of text[] */
	char			text[TORCTL_REPLY_MAX];
};

enum torctl_status {
	TORCTL_MORE,		/* read more; offer what was not used */
	TORCTL_REPLY,		/* a whole reply is in torctl_reply() */
	TORCTL_ERROR		/* the stream is broken; torctl_error() */
};

struct torctl_reader {
	int			in_data;	/* inside a data block */
	int			done;		/* reply complete, not yet taken */
	int			failed;
	struct torctl_reply	reply;
	char			err[TORCTL_ERR_MAX];
};

void		torctl_reader_init(struct torctl_reader *);
/* Wipe everything read (a reply may hold a private key). */
void		torctl_reader_clear(struct torctl_reader *);
/*
 * Offer everything received and not yet used (the caller need keep no
 * more than TORCTL_IN_MAX bytes).  Whole lines are taken: *used says how
 * many bytes, also with MORE.  After REPLY the reply stays in
 * torctl_reply() until the next call, which starts the next one.
 */
enum torctl_status torctl_read(struct torctl_reader *, const uint8_t *in,
		    size_t len, size_t *used);
const struct torctl_reply *torctl_reply(const struct torctl_reader *);
const char	*torctl_error(const struct torctl_reader *);
/* Line i's text (after "NNN-"), NUL-terminated; its length in *len. */
const char	*torctl_line_text(const struct torctl_reply *, size_t i,
		    size_t *len);

/*
 * Encoders: 0 with *len set, or -1 when an argument is out of range or
 * the command does not fit outsz.  The bytes of AUTHENTICATE and of
 * ADD_ONION with a key are secret: the caller wipes them once sent.
 */
int		torctl_encode_protocolinfo(char *out, size_t outsz,
		    size_t *len);
int		torctl_encode_auth_cookie(char *out, size_t outsz,
		    const uint8_t *cookie, size_t cookielen, size_t *len);
int		torctl_encode_auth_password(char *out, size_t outsz,
		    const char *password, size_t *len);
/* key: NULL for a new key, else the base64 of an ED25519-V3 key. */
int		torctl_encode_add_onion(char *out, size_t outsz,
		    const char *key, const char *flags, uint16_t virtport,
		    uint16_t port, size_t *len);
int		torctl_encode_del_onion(char *out, size_t outsz,
		    const char *service_id, size_t *len);
int		torctl_encode_quit(char *out, size_t outsz, size_t *len);

#define TORCTL_AUTH_NULL		0x01
#define TORCTL_AUTH_HASHEDPASSWORD	0x02
#define TORCTL_AUTH_COOKIE		0x04
#define TORCTL_AUTH_SAFECOOKIE		0x08

struct torctl_protoinfo {
	unsigned int	methods;	/* TORCTL_AUTH_* */
	char		cookiefile[TORCTL_PATH_MAX];	/* "" if none */
	char		version[TORCTL_VERSION_MAX];	/* "" if none */
};

struct torctl_onion {
	char		service_id[TORCTL_ONION_ID_LEN + 1];
	char		key[TORCTL_KEY_B64_MAX + 1];	/* secret; "" if none */
};

/* 0, or -1 with a reason in err. */
int		torctl_parse_protocolinfo(const struct torctl_reply *,
		    struct torctl_protoinfo *, char *err, size_t errsz);
int		torctl_parse_add_onion(const struct torctl_reply *,
		    struct torctl_onion *, char *err, size_t errsz);
void		torctl_onion_clear(struct torctl_onion *);

/* A v3 service id: 56 base32 characters, version 3, checksum right. */
int		torctl_valid_service_id(const char *id);
/* The base64 of an ED25519-V3 key blob (64 bytes), padded or not. */
int		torctl_valid_key(const char *b64);
/*
 * A control-spec QuotedString starting at s[0] == '"': unescaped into
 * out (NUL-terminated); *consumed is its length in s.  0 or -1.
 */
int		torctl_unquote(const char *s, size_t slen, char *out,
		    size_t outsz, size_t *consumed);
/*
 * "tor refused CMD: 512 text[; text...]": control characters removed,
 * other bytes outside ASCII shown as '?', cut to outsz.
 */
void		torctl_error_line(const struct torctl_reply *, const char *cmd,
		    char *out, size_t outsz);

#endif
