/*
 * Tor's control protocol, client side, without I/O (torctl.h).  The
 * reader keeps one reply at a time in a bounded struct: a line longer
 * than TORCTL_LINE_MAX, a reply of more than TORCTL_REPLY_LINES lines or
 * TORCTL_REPLY_MAX bytes, a bare LF or CR, a NUL, a bad status code or
 * one that changes inside a reply all end the stream with an error.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "torctl.h"
#include "util.h"

static const char b32alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char b64alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* ---- the reply reader ---------------------------------------------- */

void
torctl_reader_init(struct torctl_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void
torctl_reader_clear(struct torctl_reader *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
}

const struct torctl_reply *
torctl_reply(const struct torctl_reader *r)
{
	return r->done ? &r->reply : NULL;
}

const char *
torctl_error(const struct torctl_reader *r)
{
	return r->err;
}

const char *
torctl_line_text(const struct torctl_reply *rep, size_t i, size_t *len)
{
	if (i >= rep->nlines) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = rep->line[i].len;
	return rep->text + rep->line[i].off;
}

static enum torctl_status
fail(struct torctl_reader *r, size_t *used, const char *why)
{
	r->failed = 1;
	*used = 0;
	nc_strlcpy(r->err, why, sizeof(r->err));
	return TORCTL_ERROR;
}

/* Keep one line's text; -1 past a bound. */
static int
keep_line(struct torctl_reply *rep, char kind, const char *text, size_t len)
{
	if (rep->nlines >= TORCTL_REPLY_LINES)
		return -1;
	if (len + 1 > sizeof(rep->text) - rep->used)
		return -1;
	memcpy(rep->text + rep->used, text, len);
	rep->text[rep->used + len] = '\0';
	rep->line[rep->nlines].off = (uint32_t)rep->used;
	rep->line[rep->nlines].len = (uint32_t)len;
	rep->line[rep->nlines].kind = kind;
	rep->nlines++;
	rep->used += len + 1;
	return 0;
}

/* A data line: "." ends the block, a leading ".." loses one dot. */
static const char *
data_line(struct torctl_reader *r, const char *s, size_t len)
{
	if (len == 1 && s[0] == '.') {
		r->in_data = 0;
		return NULL;
	}
	if (len > 0 && s[0] == '.') {
		s++;
		len--;
	}
	if (keep_line(&r->reply, TORCTL_DLINE, s, len) == -1)
		return "reply over its bound";
	return NULL;
}

/* A status line "NNNx text"; NULL, or why it is refused. */
static const char *
status_line(struct torctl_reader *r, const char *s, size_t len)
{
	struct torctl_reply	*rep = &r->reply;
	int			 code;

	if (len < 4)
		return "reply line too short";
	if (s[0] < '1' || s[0] > '6' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return "bad status code";
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (rep->nlines > 0 && code != rep->code)
		return "status code changed inside a reply";
	if (s[3] != TORCTL_MID && s[3] != TORCTL_DATA && s[3] != TORCTL_END)
		return "bad reply line separator";
	rep->code = code;
	if (keep_line(rep, s[3], s + 4, len - 4) == -1)
		return "reply over its bound";
	if (s[3] == TORCTL_DATA)
		r->in_data = 1;
	else if (s[3] == TORCTL_END)
		r->done = 1;
	return NULL;
}

/*
 * The length of the line at in (its CRLF excluded) in *linelen; 1 when
 * whole, 0 when more is needed, -1 with why when it cannot be a line.
 */
static int
find_line(const uint8_t *in, size_t len, size_t *linelen, const char **why)
{
	size_t	i, lim = len < TORCTL_IN_MAX ? len : TORCTL_IN_MAX;

	for (i = 0; i < lim; i++) {
		if (in[i] == '\n') {
			if (i == 0 || in[i - 1] != '\r') {
				*why = "line ends in a bare LF";
				return -1;
			}
			*linelen = i - 1;
			return 1;
		}
		if (in[i] == '\0') {
			*why = "NUL in a reply";
			return -1;
		}
		if (i > 0 && in[i - 1] == '\r') {
			*why = "bare CR in a reply";
			return -1;
		}
	}
	if (lim == TORCTL_IN_MAX) {
		*why = "reply line too long";
		return -1;
	}
	return 0;
}

enum torctl_status
torctl_read(struct torctl_reader *r, const uint8_t *in, size_t len,
    size_t *used)
{
	const char	*why = NULL;
	size_t		 off = 0, linelen;
	int		 whole;

	*used = 0;
	if (r->failed)
		return TORCTL_ERROR;
	if (r->done) {		/* the last reply was taken */
		OPENSSL_cleanse(&r->reply, sizeof(r->reply));
		r->done = 0;
	}
	while (off < len) {
		whole = find_line(in + off, len - off, &linelen, &why);
		if (whole == -1)
			return fail(r, used, why);
		if (whole == 0)
			break;
		if (r->in_data)
			why = data_line(r, (const char *)in + off, linelen);
		else
			why = status_line(r, (const char *)in + off, linelen);
		if (why != NULL)
			return fail(r, used, why);
		off += linelen + 2;
		if (r->done) {
			*used = off;
			return TORCTL_REPLY;
		}
	}
	*used = off;
	return TORCTL_MORE;
}

/* ---- encoders ------------------------------------------------------ */

static int
put(char *out, size_t outsz, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append to out at *len; -1 when it does not fit. */
static int
put(char *out, size_t outsz, size_t *len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*len >= outsz)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *len, outsz - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

int
torctl_encode_protocolinfo(char *out, size_t outsz, size_t *len)
{
	*len = 0;
	return put(out, outsz, len, "PROTOCOLINFO 1\r\n");
}

int
torctl_encode_quit(char *out, size_t outsz, size_t *len)
{
	*len = 0;
	return put(out, outsz, len, "QUIT\r\n");
}

int
torctl_encode_auth_cookie(char *out, size_t outsz, const uint8_t *cookie,
    size_t cookielen, size_t *len)
{
	size_t	i;

	*len = 0;
	if (cookielen == 0 || cookielen > 64)
		return -1;
	if (put(out, outsz, len, "AUTHENTICATE ") == -1)
		return -1;
	for (i = 0; i < cookielen; i++)
		if (put(out, outsz, len, "%02X", cookie[i]) == -1)
			return -1;
	return put(out, outsz, len, "\r\n");
}

int
torctl_encode_auth_password(char *out, size_t outsz, const char *password,
    size_t *len)
{
	const char	*p;

	*len = 0;
	if (strpbrk(password, "\r\n") != NULL || strlen(password) > 1024)
		return -1;
	if (put(out, outsz, len, "AUTHENTICATE \"") == -1)
		return -1;
	for (p = password; *p != '\0'; p++) {
		if ((*p == '"' || *p == '\\') &&
		    put(out, outsz, len, "\\") == -1)
			return -1;
		if (put(out, outsz, len, "%c", *p) == -1)
			return -1;
	}
	return put(out, outsz, len, "\"\r\n");
}

/* Tor's Flags= list: names of letters, comma separated. */
static int
valid_flags(const char *flags)
{
	size_t	i, n = strlen(flags);

	if (n == 0 || n > 128 || flags[0] == ',' || flags[n - 1] == ',')
		return 0;
	for (i = 0; i < n; i++) {
		if (flags[i] == ',' && flags[i + 1] == ',')
			return 0;
		if (flags[i] != ',' && !((flags[i] >= 'A' && flags[i] <= 'Z') ||
		    (flags[i] >= 'a' && flags[i] <= 'z')))
			return 0;
	}
	return 1;
}

int
torctl_encode_add_onion(char *out, size_t outsz, const char *key,
    const char *flags, uint16_t virtport, uint16_t port, size_t *len)
{
	*len = 0;
	if (virtport == 0 || port == 0)
		return -1;
	if (key != NULL && !torctl_valid_key(key))
		return -1;
	if (flags != NULL && !valid_flags(flags))
		return -1;
	if (put(out, outsz, len, "ADD_ONION %s%s", key == NULL ? "NEW:" :
	    "ED25519-V3:", key == NULL ? "ED25519-V3" : key) == -1)
		goto bad;
	if (flags != NULL && put(out, outsz, len, " Flags=%s", flags) == -1)
		goto bad;
	if (put(out, outsz, len, " Port=%u,127.0.0.1:%u\r\n",
	    (unsigned int)virtport, (unsigned int)port) == -1)
		goto bad;
	return 0;
 bad:
	OPENSSL_cleanse(out, outsz);
	*len = 0;
	return -1;
}

int
torctl_encode_del_onion(char *out, size_t outsz, const char *service_id,
    size_t *len)
{
	*len = 0;
	if (!torctl_valid_service_id(service_id))
		return -1;
	return put(out, outsz, len, "DEL_ONION %s\r\n", service_id);
}

/* ---- values -------------------------------------------------------- */

/* 56 base32 characters to 35 bytes; -1 on a bad character. */
static int
base32_decode_id(const char *id, uint8_t out[35])
{
	uint32_t	 acc = 0;
	int		 bits = 0;
	size_t		 i, n = 0;
	const char	*p;

	for (i = 0; i < TORCTL_ONION_ID_LEN; i++) {
		if (id[i] == '\0' || (p = strchr(b32alpha, id[i])) == NULL)
			return -1;
		acc = (acc << 5) | (uint32_t)(p - b32alpha);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return n == 35 ? 0 : -1;
}

int
torctl_valid_service_id(const char *id)
{
	static const char	 label[] = ".onion checksum";
	uint8_t			 raw[35], sum[EVP_MAX_MD_SIZE];
	uint8_t			 msg[sizeof(label) - 1 + 33];
	unsigned int		 sumlen = 0;

	if (id == NULL || strlen(id) != TORCTL_ONION_ID_LEN ||
	    base32_decode_id(id, raw) == -1 || raw[34] != 3)
		return 0;
	/* checksum = SHA3-256(".onion checksum" | pubkey | version)[:2] */
	memcpy(msg, label, sizeof(label) - 1);
	memcpy(msg + sizeof(label) - 1, raw, 32);
	msg[sizeof(msg) - 1] = raw[34];
	if (EVP_Digest(msg, sizeof(msg), sum, &sumlen, EVP_sha3_256(),
	    NULL) != 1 || sumlen < 2)
		return 0;
	return sum[0] == raw[32] && sum[1] == raw[33];
}

int
torctl_valid_key(const char *b64)
{
	size_t	i, n;

	if (b64 == NULL)
		return 0;
	n = strlen(b64);
	/* 64 bytes: 85 full characters and one with 4 zero bits. */
	if (n == 88 && strcmp(b64 + 86, "==") != 0)
		return 0;
	if (n != 86 && n != 88)
		return 0;
	for (i = 0; i < 86; i++)
		if (strchr(b64alpha, b64[i]) == NULL || b64[i] == '\0')
			return 0;
	return ((strchr(b64alpha, b64[85]) - b64alpha) & 0x0f) == 0;
}

static int
octal3(const char *s, size_t left, int *v)
{
	size_t	i;

	if (left < 3)
		return -1;
	*v = 0;
	for (i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		*v = *v * 8 + (s[i] - '0');
	}
	return *v >= 1 && *v <= 255 ? 0 : -1;
}

/* The byte an escape "\c..." stands for; *skip is its length after '\'. */
static int
unescape(const char *s, size_t left, size_t *skip)
{
	int	v;

	*skip = 1;
	switch (s[0]) {
	case '\\': case '"': case '\'':
		return (unsigned char)s[0];
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		if (octal3(s, left, &v) == -1)
			return -1;
		*skip = 3;
		return v;
	}
}

int
torctl_unquote(const char *s, size_t slen, char *out, size_t outsz,
    size_t *consumed)
{
	size_t	i = 1, o = 0, skip;
	int	c;

	if (slen < 2 || s[0] != '"' || outsz == 0)
		return -1;
	while (i < slen && s[i] != '"') {
		if (s[i] == '\\') {
			if (i + 1 >= slen ||
			    (c = unescape(s + i + 1, slen - i - 1, &skip)) == -1)
				return -1;
			i += 1 + skip;
		} else
			c = (unsigned char)s[i++];
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	if (i >= slen)
		return -1;	/* no closing quote */
	out[o] = '\0';
	*consumed = i + 1;
	return 0;
}

/* ---- answers ------------------------------------------------------- */

/* The text of line i when it starts with prefix, after the prefix. */
static const char *
after(const struct torctl_reply *rep, size_t i, const char *prefix)
{
	const char	*t = torctl_line_text(rep, i, NULL);
	size_t		 n = strlen(prefix);

	if (t == NULL || strncmp(t, prefix, n) != 0)
		return NULL;
	return t + n;
}

/* A reply that succeeded and ends in "250 OK". */
static int
reply_ok(const struct torctl_reply *rep, const char *what, char *err,
    size_t errsz)
{
	const char	*last;

	if (rep->code != 250) {
		seterr(err, errsz, "%s: status %d", what, rep->code);
		return -1;
	}
	last = torctl_line_text(rep, rep->nlines - 1, NULL);
	if (rep->nlines == 0 || last == NULL || strcmp(last, "OK") != 0) {
		seterr(err, errsz, "%s: reply does not end in OK", what);
		return -1;
	}
	return 0;
}

static unsigned int
auth_method(const char *name, size_t len)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} methods[] = {
		{ "COOKIE", TORCTL_AUTH_COOKIE },
		{ "HASHEDPASSWORD", TORCTL_AUTH_HASHEDPASSWORD },
		{ "NULL", TORCTL_AUTH_NULL },
		{ "SAFECOOKIE", TORCTL_AUTH_SAFECOOKIE },
	};
	size_t	i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i].name) == len &&
		    memcmp(methods[i].name, name, len) == 0)
			return methods[i].bit;
	return 0;		/* a method we do not know: ignored */
}

/* "METHODS=A,B[ COOKIEFILE="..."]" */
static int
parse_auth(const char *t, struct torctl_protoinfo *pi)
{
	size_t	n, used;

	if (strncmp(t, "METHODS=", 8) != 0)
		return -1;
	t += 8;
	while (*t != '\0' && *t != ' ') {
		n = strcspn(t, ", ");
		if (n == 0)
			return -1;
		pi->methods |= auth_method(t, n);
		t += n;
		if (*t == ',')
			t++;
	}
	if (*t == '\0')
		return 0;
	t++;
	if (strncmp(t, "COOKIEFILE=", 11) != 0)
		return 0;	/* later arguments we do not use */
	t += 11;
	if (torctl_unquote(t, strlen(t), pi->cookiefile,
	    sizeof(pi->cookiefile), &used) == -1 || pi->cookiefile[0] == '\0')
		return -1;
	return 0;
}

int
torctl_parse_protocolinfo(const struct torctl_reply *rep,
    struct torctl_protoinfo *pi, char *err, size_t errsz)
{
	const char	*t;
	size_t		 i, used;
	int		 have_auth = 0;

	memset(pi, 0, sizeof(*pi));
	if (reply_ok(rep, "PROTOCOLINFO", err, errsz) == -1)
		return -1;
	for (i = 0; i + 1 < rep->nlines; i++) {
		if ((t = after(rep, i, "AUTH ")) != NULL) {
			if (have_auth++ || parse_auth(t, pi) == -1) {
				seterr(err, errsz, "PROTOCOLINFO: bad AUTH line");
				return -1;
			}
		} else if ((t = after(rep, i, "VERSION Tor=")) != NULL &&
		    torctl_unquote(t, strlen(t), pi->version,
		    sizeof(pi->version), &used) == -1) {
			seterr(err, errsz, "PROTOCOLINFO: bad VERSION line");
			return -1;
		}
	}
	if (!have_auth) {
		seterr(err, errsz, "PROTOCOLINFO: no AUTH line");
		return -1;
	}
	return 0;
}

void
torctl_onion_clear(struct torctl_onion *o)
{
	OPENSSL_cleanse(o, sizeof(*o));
}

int
torctl_parse_add_onion(const struct torctl_reply *rep, struct torctl_onion *o,
    char *err, size_t errsz)
{
	const char	*t;
	size_t		 i;

	torctl_onion_clear(o);
	if (reply_ok(rep, "ADD_ONION", err, errsz) == -1)
		return -1;
	for (i = 0; i + 1 < rep->nlines; i++) {
		if ((t = after(rep, i, "ServiceID=")) != NULL) {
			if (o->service_id[0] != '\0' ||
			    !torctl_valid_service_id(t)) {
				seterr(err, errsz, "ADD_ONION: bad ServiceID");
				goto bad;
			}
			nc_strlcpy(o->service_id, t, sizeof(o->service_id));
		} else if ((t = after(rep, i, "PrivateKey=")) != NULL) {
			if (o->key[0] != '\0' ||
			    strncmp(t, "ED25519-V3:", 11) != 0 ||
			    !torctl_valid_key(t + 11)) {
				seterr(err, errsz, "ADD_ONION: bad PrivateKey");
				goto bad;
			}
			nc_strlcpy(o->key, t + 11, sizeof(o->key));
		}
	}
	if (o->service_id[0] == '\0') {
		seterr(err, errsz, "ADD_ONION: no ServiceID");
		goto bad;
	}
	return 0;
 bad:
	torctl_onion_clear(o);
	return -1;
}

/* Append text to out, dropping control characters; 0, or -1 when full. */
static int
put_clean(char *out, size_t outsz, size_t *len, const char *s, size_t n)
{
	size_t	i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		if (*len + 1 >= outsz)
			return -1;
		out[(*len)++] = c >= 0x80 ? '?' : (char)c;
	}
	out[*len] = '\0';
	return 0;
}

void
torctl_error_line(const struct torctl_reply *rep, const char *cmd, char *out,
    size_t outsz)
{
	const char	*t;
	size_t		 i, n, len = 0;

	if (outsz == 0)
		return;
	if (outsz > TORCTL_ERRLINE_MAX)
		outsz = TORCTL_ERRLINE_MAX;
	out[0] = '\0';
	if (put(out, outsz, &len, "tor refused %s: %d", cmd, rep->code) == -1)
		goto cut;
	for (i = 0; i < rep->nlines; i++) {
		t = torctl_line_text(rep, i, &n);
		if (put(out, outsz, &len, i == 0 ? " " : "; ") == -1 ||
		    put_clean(out, outsz, &len, t, n) == -1)
			goto cut;
	}
	return;
 cut:
	/* Mark the cut: "..." over the last bytes that fit. */
	len = strlen(out);
	if (outsz >= 4) {
		if (len > outsz - 4)
			len = outsz - 4;
		memcpy(out + len, "...", 4);
	}
}
