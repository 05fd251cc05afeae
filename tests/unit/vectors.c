/*
 * A minimal JSON reader for the unit tests' known-answer files: RFC 8259
 * values, strict (no trailing commas, no comments, no duplicate keys),
 * with bounded nesting and file size.  Errors fail the running test.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util.h"
#include "vectors.h"

struct vec {
	enum vec_type	 type;
	struct vec	*parent;
	char		*key;		/* member name, in an object */
	size_t		 idx;		/* position in the parent */
	char		*str;		/* VEC_STR value, VEC_NUM text */
	size_t		 slen;
	long long	 num;
	int		 isint;		/* VEC_NUM, an exact integer */
	int		 bval;
	struct vec	**kids;
	size_t		 nkids;
	size_t		 kidsalloc;
	int		 read;
};

struct vparse {
	const char	*p;
	const char	*end;
	const char	*name;
	const char	*linestart;
	int		 line;
	char		 err[160];
};

static void vec_die(const char *) __attribute__((noreturn));
static void vec_fail(const struct vec *, const char *, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static struct vec *parse_value(struct vparse *, struct vec *, int);

static vec_fail_fn	fail_hook;

vec_fail_fn
vec_set_fail(vec_fail_fn fn)
{
	vec_fail_fn	old = fail_hook;

	fail_hook = fn;
	return old;
}

/* Every error ends here: the test fails, with the reason. */
static void
vec_die(const char *msg)
{
	if (fail_hook != NULL) {
		fail_hook(msg);
		abort();	/* a hook must not return */
	}
	fprintf(stderr, "vectors: %s\n", msg);
	ck_abort_msg("vectors: %s", msg);
	abort();	/* not reached */
}

static void
vec_fail(const struct vec *at, const char *fmt, ...)
{
	char	path[256], msg[512], full[800];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		vec_path(at, path, sizeof(path));
	else
		path[0] = '\0';
	snprintf(full, sizeof(full), "%s: %s", path[0] ? path : "(root)",
	    msg);
	vec_die(full);
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		vec_die("out of memory");
	return p;
}

/* Record the first error only; the parse then unwinds. */
static struct vec *
perr(struct vparse *ps, const char *what)
{
	if (ps->err[0] == '\0')
		snprintf(ps->err, sizeof(ps->err), "%s:%d:%d: %s", ps->name,
		    ps->line, (int)(ps->p - ps->linestart) + 1, what);
	return NULL;
}

static void
skip_ws(struct vparse *ps)
{
	while (ps->p < ps->end) {
		if (*ps->p == '\n') {
			ps->line++;
			ps->linestart = ps->p + 1;
		} else if (*ps->p != ' ' && *ps->p != '\t' && *ps->p != '\r')
			return;
		ps->p++;
	}
}

static struct vec *
new_node(enum vec_type type, struct vec *parent)
{
	struct vec	*v = xcalloc(1, sizeof(*v));

	v->type = type;
	v->parent = parent;
	return v;
}

static void
add_kid(struct vec *v, struct vec *kid)
{
	struct vec	**k;
	size_t		  n;

	if (v->nkids == v->kidsalloc) {
		n = v->kidsalloc ? v->kidsalloc * 2 : 8;
		if ((k = reallocarray(v->kids, n, sizeof(*k))) == NULL)
			vec_die("out of memory");
		v->kids = k;
		v->kidsalloc = n;
	}
	kid->idx = v->nkids;
	v->kids[v->nkids++] = kid;
}

static int
hex4(const char *s, unsigned int *out)
{
	unsigned int	v = 0;
	int		i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= (unsigned int)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= (unsigned int)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= (unsigned int)(s[i] - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at ps->p (after the backslash-u), a surrogate pair included. */
static int
parse_uescape(struct vparse *ps, unsigned int *cp)
{
	unsigned int	hi, lo;

	if (ps->end - ps->p < 4 || hex4(ps->p, &hi) == -1)
		return -1;
	ps->p += 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1;		/* a lone low surrogate */
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
		    ps->p[1] != 'u' || hex4(ps->p + 2, &lo) == -1 ||
		    lo < 0xdc00 || lo > 0xdfff)
			return -1;
		ps->p += 6;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	/* Values become C strings: an embedded NUL would truncate them. */
	if (hi == 0)
		return -1;
	*cp = hi;
	return 0;
}

/*
 * A string at ps->p (the opening quote) into a malloc'd C string.  The
 * decoded form is never longer than the source, which bounds the buffer.
 */
static char *
parse_string(struct vparse *ps, size_t *lenp)
{
	const char	*s;
	char		*buf, *o;
	unsigned int	 cp;
	unsigned char	 c;

	s = ++ps->p;
	while (ps->p < ps->end && *ps->p != '"')
		ps->p += (*ps->p == '\\' && ps->p + 1 < ps->end) ? 2 : 1;
	if (ps->p >= ps->end) {
		perr(ps, "unterminated string");
		return NULL;
	}
	o = buf = xcalloc((size_t)(ps->p - s) + 1, 1);
	ps->p = s;
	while (*ps->p != '"') {
		c = (unsigned char)*ps->p++;
		if (c < 0x20) {
			ps->p--;
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		switch (*ps->p++) {
		case '"':	*o++ = '"';	break;
		case '\\':	*o++ = '\\';	break;
		case '/':	*o++ = '/';	break;
		case 'b':	*o++ = '\b';	break;
		case 'f':	*o++ = '\f';	break;
		case 'n':	*o++ = '\n';	break;
		case 'r':	*o++ = '\r';	break;
		case 't':	*o++ = '\t';	break;
		case 'u':
			if (parse_uescape(ps, &cp) == -1)
				goto bad;
			o += put_utf8(o, cp);
			break;
		default:
			goto bad;
		}
	}
	ps->p++;		/* closing quote */
	*o = '\0';
	*lenp = (size_t)(o - buf);
	return buf;
 bad:
	free(buf);
	perr(ps, "bad character or escape in string");
	return NULL;
}

static int
span_digits(struct vparse *ps)
{
	const char	*s = ps->p;

	while (ps->p < ps->end && isdigit((unsigned char)*ps->p))
		ps->p++;
	return ps->p > s ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static struct vec *
parse_number(struct vparse *ps, struct vec *parent)
{
	const char	*s = ps->p;
	struct vec	*v;
	char		*end;
	int		 isint = 1;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (span_digits(ps) == -1)
		return perr(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		isint = 0;
		if (span_digits(ps) == -1)
			return perr(ps, "bad fraction");
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		isint = 0;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (span_digits(ps) == -1)
			return perr(ps, "bad exponent");
	}
	v = new_node(VEC_NUM, parent);
	v->slen = (size_t)(ps->p - s);
	v->str = xcalloc(v->slen + 1, 1);
	memcpy(v->str, s, v->slen);
	if (isint) {
		errno = 0;
		v->num = strtoll(v->str, &end, 10);
		v->isint = errno == 0 && *end == '\0';
	}
	return v;
}

static struct vec *
parse_literal(struct vparse *ps, struct vec *parent)
{
	static const struct {
		const char	*word;
		enum vec_type	 type;
		int		 bval;
	} lits[] = {
		{ "true", VEC_BOOL, 1 },
		{ "false", VEC_BOOL, 0 },
		{ "null", VEC_NULL, 0 },
	};
	struct vec	*v;
	size_t		 i, n;

	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		n = strlen(lits[i].word);
		if ((size_t)(ps->end - ps->p) >= n &&
		    memcmp(ps->p, lits[i].word, n) == 0) {
			ps->p += n;
			v = new_node(lits[i].type, parent);
			v->bval = lits[i].bval;
			return v;
		}
	}
	return perr(ps, "unexpected character");
}

/* Parse elements or members after the opening bracket or brace. */
static struct vec *
parse_container(struct vparse *ps, struct vec *parent, int depth)
{
	struct vec	*v, *kid;
	char		*key = NULL;
	size_t		 klen;
	int		 obj = *ps->p == '{';
	char		 close = obj ? '}' : ']';

	if (depth >= VEC_MAX_DEPTH)
		return perr(ps, "nested too deeply");
	v = new_node(obj ? VEC_OBJ : VEC_ARR, parent);
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"') {
				perr(ps, "expected a member name");
				goto fail;
			}
			if ((key = parse_string(ps, &klen)) == NULL)
				goto fail;
			if (vec_find(v, key) != NULL) {
				perr(ps, "duplicate member name");
				goto fail;
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				perr(ps, "expected ':'");
				goto fail;
			}
			ps->p++;
		}
		if ((kid = parse_value(ps, v, depth + 1)) == NULL)
			goto fail;
		kid->key = key;
		key = NULL;
		add_kid(v, kid);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto fail;
	}
 fail:
	free(key);
	vec_free(v);
	return NULL;
}

static struct vec *
parse_value(struct vparse *ps, struct vec *parent, int depth)
{
	struct vec	*v;
	char		*s;
	size_t		 len;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return perr(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, parent, depth);
	case '"':
		if ((s = parse_string(ps, &len)) == NULL)
			return NULL;
		v = new_node(VEC_STR, parent);
		v->str = s;
		v->slen = len;
		return v;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps, parent);
	default:
		return parse_literal(ps, parent);
	}
}

struct vec *
vec_parse(const char *text, size_t len, const char *name)
{
	struct vparse	 ps;
	struct vec	*root;

	memset(&ps, 0, sizeof(ps));
	ps.p = ps.linestart = text;
	ps.end = text + len;
	ps.name = name;
	ps.line = 1;
	if ((root = parse_value(&ps, NULL, 0)) != NULL) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			perr(&ps, "trailing data after the value");
			vec_free(root);
			root = NULL;
		}
	}
	if (root == NULL)
		vec_die(ps.err);
	return root;
}

struct vec *
vec_load(const char *path)
{
	FILE		*fp;
	struct vec	*root;
	char		*buf, msg[512];
	size_t		 len = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		vec_die(msg);
	}
	buf = xcalloc(VEC_MAX_FILE + 1, 1);
	/* Read one byte more than allowed to notice an oversized file. */
	while (len <= VEC_MAX_FILE &&
	    (n = fread(buf + len, 1, VEC_MAX_FILE + 1 - len, fp)) > 0)
		len += n;
	if (ferror(fp) || len > VEC_MAX_FILE) {
		fclose(fp);
		free(buf);
		snprintf(msg, sizeof(msg), "%s: read error or too large", path);
		vec_die(msg);
	}
	fclose(fp);
	root = vec_parse(buf, len, path);
	free(buf);
	return root;
}

void
vec_free(struct vec *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nkids; i++)
		vec_free(v->kids[i]);
	free(v->kids);
	free(v->key);
	free(v->str);
	free(v);
}

enum vec_type
vec_type(const struct vec *v)
{
	return v->type;
}

size_t
vec_len(const struct vec *v)
{
	return (v->type == VEC_ARR || v->type == VEC_OBJ) ? v->nkids : 0;
}

struct vec *
vec_find(struct vec *obj, const char *key)
{
	size_t	i;

	if (obj->type != VEC_OBJ)
		vec_fail(obj, "not an object (looking up \"%s\")", key);
	for (i = 0; i < obj->nkids; i++)
		if (strcmp(obj->kids[i]->key, key) == 0)
			return obj->kids[i];
	return NULL;
}

struct vec *
vec_get(struct vec *obj, const char *key)
{
	struct vec	*v;

	if ((v = vec_find(obj, key)) == NULL)
		vec_fail(obj, "no member \"%s\"", key);
	return v;
}

struct vec *
vec_index(struct vec *v, size_t i)
{
	if (v->type != VEC_ARR && v->type != VEC_OBJ)
		vec_fail(v, "not an array or object");
	if (i >= v->nkids)
		vec_fail(v, "index %zu out of range (%zu)", i, v->nkids);
	return v->kids[i];
}

const char *
vec_key(const struct vec *v)
{
	if (v->key == NULL)
		vec_fail(v, "not an object member");
	return v->key;
}

const char *
vec_as_str(struct vec *v)
{
	if (v->type != VEC_STR)
		vec_fail(v, "not a string");
	v->read = 1;
	return v->str;
}

long long
vec_as_int(struct vec *v)
{
	if (v->type != VEC_NUM || !v->isint)
		vec_fail(v, "not an integer");
	v->read = 1;
	return v->num;
}

int
vec_as_bool(struct vec *v)
{
	if (v->type != VEC_BOOL)
		vec_fail(v, "not a boolean");
	v->read = 1;
	return v->bval;
}

void
vec_as_hex(struct vec *v, uint8_t *buf, size_t bufsz, size_t *len)
{
	size_t	n, got;

	if (v->type != VEC_STR || v->slen % 2 != 0)
		vec_fail(v, "not a hex string");
	n = v->slen / 2;
	if (len == NULL && n != bufsz)
		vec_fail(v, "%zu bytes, expected %zu", n, bufsz);
	if (n > bufsz)
		vec_fail(v, "%zu bytes, more than %zu", n, bufsz);
	if (nc_hex_decode(v->str, buf, bufsz, &got) == -1 || got != n)
		vec_fail(v, "not a hex string");
	v->read = 1;
	if (len != NULL)
		*len = n;
}

const char *
vec_str(struct vec *obj, const char *key)
{
	return vec_as_str(vec_get(obj, key));
}

long long
vec_int(struct vec *obj, const char *key)
{
	return vec_as_int(vec_get(obj, key));
}

void
vec_hex(struct vec *obj, const char *key, uint8_t *buf, size_t bufsz,
    size_t *len)
{
	vec_as_hex(vec_get(obj, key), buf, bufsz, len);
}

uint8_t *
vec_hex_alloc(struct vec *obj, const char *key, size_t *len)
{
	struct vec	*v = vec_get(obj, key);
	uint8_t		*buf;

	if (v->type != VEC_STR)
		vec_fail(v, "not a hex string");
	/* +1: never malloc(0) */
	buf = xcalloc(v->slen / 2 + 1, 1);
	vec_as_hex(v, buf, v->slen / 2, len);
	return buf;
}

void
vec_touch(struct vec *v)
{
	size_t	i;

	v->read = 1;
	for (i = 0; i < v->nkids; i++)
		vec_touch(v->kids[i]);
}

static int
is_leaf(const struct vec *v)
{
	return v->type != VEC_ARR && v->type != VEC_OBJ;
}

size_t
vec_nread(const struct vec *v)
{
	size_t	i, n = 0;

	if (is_leaf(v))
		return v->read ? 1 : 0;
	for (i = 0; i < v->nkids; i++)
		n += vec_nread(v->kids[i]);
	return n;
}

size_t
vec_unread(const struct vec *v, int print)
{
	char	path[256];
	size_t	i, n = 0;

	if (is_leaf(v)) {
		if (v->read)
			return 0;
		if (print) {
			vec_path(v, path, sizeof(path));
			fprintf(stderr, "vectors: never checked: %s\n", path);
		}
		return 1;
	}
	for (i = 0; i < v->nkids; i++)
		n += vec_unread(v->kids[i], print);
	return n;
}

static int
is_ident(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

void
vec_path(const struct vec *v, char *buf, size_t bufsz)
{
	const struct vec	*chain[VEC_MAX_DEPTH + 2];
	size_t			 n = 0, off = 0, i;
	int			 w;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	for (; v != NULL && v->parent != NULL && n < sizeof(chain) /
	    sizeof(chain[0]); v = v->parent)
		chain[n++] = v;
	for (i = n; i > 0 && off < bufsz; i--) {
		v = chain[i - 1];
		if (v->key == NULL)
			w = snprintf(buf + off, bufsz - off, "[%zu]", v->idx);
		else if (is_ident(v->key))
			w = snprintf(buf + off, bufsz - off, "%s%s",
			    off ? "." : "", v->key);
		else
			w = snprintf(buf + off, bufsz - off, "[\"%s\"]",
			    v->key);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

void
vec_expect_hex(struct vec *obj, const char *key, const uint8_t *got,
    size_t gotlen)
{
	char	 path[256], hw[513], hg[513];
	uint8_t	*want;
	size_t	 wantlen;
	int	 ok;

	want = vec_hex_alloc(obj, key, &wantlen);
	ok = wantlen == gotlen && memcmp(want, got, gotlen) == 0;
	if (!ok) {
		vec_path(vec_get(obj, key), path, sizeof(path));
		nc_hex_encode(want, wantlen, hw, sizeof(hw));
		nc_hex_encode(got, gotlen, hg, sizeof(hg));
		free(want);
		ck_abort_msg("%s: want %zu bytes %s, got %zu bytes %s", path,
		    wantlen, hw, gotlen, hg);
	}
	free(want);
}
