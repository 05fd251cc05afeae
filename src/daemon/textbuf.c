/*
 * Text for netcryptctl(8) (textbuf.h): a growing string, JSON strings
 * and terminal cells, shared by `show` (ctlformat.c) and the spool's
 * `queue` listing (spoolctl.c).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"
#include "util.h"

static void
sb_grow(struct sbuf *sb, size_t need)
{
	size_t	 ncap;
	char	*np;

	if (sb->err)
		return;
	if (need > SIZE_MAX - sb->len - 1) {
		sb->err = 1;
		return;
	}
	if (sb->len + need + 1 <= sb->cap)
		return;
	ncap = sb->cap ? sb->cap : 1024;
	while (ncap < sb->len + need + 1) {
		if (ncap > SIZE_MAX / 2) {
			sb->err = 1;
			return;
		}
		ncap *= 2;
	}
	if ((np = realloc(sb->p, ncap)) == NULL) {
		sb->err = 1;
		return;
	}
	sb->p = np;
	sb->cap = ncap;
}

void
sb_add(struct sbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	if (sb->err)
		return;
	memcpy(sb->p + sb->len, data, len);
	sb->len += len;
	sb->p[sb->len] = '\0';
}

void
sb_putc(struct sbuf *sb, char ch)
{
	sb_add(sb, &ch, 1);
}

void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char	tmp[512];
	va_list	ap;
	int	n;

	/* Callers print numbers and short, bounded strings only. */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sb->err = 1;
		return;
	}
	sb_add(sb, tmp, (size_t)n);
}

/* Hand over the string, or NULL after any failure. */
char *
sb_finish(struct sbuf *sb)
{
	if (sb->err || sb->p == NULL) {
		free(sb->p);
		return sb->err ? NULL : strdup("");
	}
	return sb->p;
}

/* ---- JSON ---- */

/*
 * A JSON string of at most max bytes of s.  Names are validated when the
 * configuration is parsed, but the output must stay valid JSON whatever
 * they hold: control characters are escaped and bytes that are not
 * UTF-8 become U+FFFD.
 */
void
json_str(struct sbuf *sb, const char *s, size_t max)
{
	const unsigned char	*u = (const unsigned char *)(s ? s : "");
	size_t			 len = strnlen((const char *)u, max), i, n;
	uint32_t		 cp;

	sb_putc(sb, '"');
	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] == '"' || u[i] == '\\') {
			sb_putc(sb, '\\');
			sb_putc(sb, (char)u[i]);
		} else if (u[i] < 0x20 || u[i] == 0x7f)
			sb_printf(sb, "\\u%04x", u[i]);
		else if ((n = nc_utf8_decode(u + i, len - i, &cp)) == 0) {
			sb_puts(sb, "\\ufffd");
			n = 1;
		} else
			sb_add(sb, u + i, n);
	}
	sb_putc(sb, '"');
}

void
json_key_str(struct sbuf *sb, const char *key, const char *s, size_t max)
{
	sb_printf(sb, "\"%s\":", key);
	json_str(sb, s, max);
}

void
json_key_u64(struct sbuf *sb, const char *key, uint64_t v)
{
	sb_printf(sb, "\"%s\":%" PRIu64, key, v);
}

void
table_line(struct sbuf *sb, const char *const *cells, const size_t *width,
    const int *right, size_t n)
{
	size_t	i, len, pad;

	for (i = 0; i < n; i++) {
		len = strlen(cells[i]);
		pad = width[i] > len ? width[i] - len : 0;
		if (i > 0)
			sb_puts(sb, "  ");
		if (right[i])
			sb_printf(sb, "%*s", (int)pad, "");
		sb_puts(sb, cells[i]);
		/* No trailing blanks after the last column. */
		if (!right[i] && i + 1 < n)
			sb_printf(sb, "%*s", (int)pad, "");
	}
	sb_putc(sb, '\n');
}

/*
 * Copy for a terminal: anything but printable ASCII becomes '?', so that
 * no name can carry escape sequences to the administrator's terminal.
 */
void
safe_copy(char *dst, size_t dstsz, const char *src, size_t max)
{
	size_t	i, len;

	if (src == NULL || *src == '\0')
		src = "-";
	len = strnlen(src, max);
	if (len > dstsz - 1)
		len = dstsz - 1;
	for (i = 0; i < len; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[len] = '\0';
}

/* Durations the way bgpctl(8) prints them. */
void
fmt_duration(char *buf, size_t bufsz, int64_t t)
{
	if (t < 0)
		(void)snprintf(buf, bufsz, "-");
	else if (t < 86400)
		(void)snprintf(buf, bufsz, "%02" PRId64 ":%02" PRId64 ":%02"
		    PRId64, t / 3600, t / 60 % 60, t % 60);
	else if (t < 7 * 86400)
		(void)snprintf(buf, bufsz, "%" PRId64 "d%02" PRId64 "h%02"
		    PRId64 "m", t / 86400, t / 3600 % 24, t / 60 % 60);
	else
		(void)snprintf(buf, bufsz, "%02" PRId64 "w%" PRId64 "d%02"
		    PRId64 "h", t / (7 * 86400), t / 86400 % 7, t / 3600 % 24);
}

