/*
 * Text the daemon formats for netcryptctl(8) (textbuf.c): a growing
 * string that records an allocation failure instead of reporting each,
 * JSON strings that stay valid whatever bytes they are given, and cells
 * for a terminal that carry nothing but printable ASCII.  Used by `show`
 * (ctlformat.c) and by the spool's `queue` listing (spoolctl.c).
 */
#ifndef NC_TEXTBUF_H
#define NC_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

/* A growing string; after a failed allocation it only records the error. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

void	sb_add(struct sbuf *, const void *, size_t);
void	sb_putc(struct sbuf *, char);
void	sb_puts(struct sbuf *, const char *);
/* Numbers and short, bounded strings only (at most 511 bytes). */
void	sb_printf(struct sbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hand over the string ("" when empty), or NULL after any failure. */
char	*sb_finish(struct sbuf *);

/* A JSON string of at most max bytes of s (NULL: ""). */
void	json_str(struct sbuf *, const char *s, size_t max);
void	json_key_str(struct sbuf *, const char *key, const char *s,
	    size_t max);
void	json_key_u64(struct sbuf *, const char *key, uint64_t);

/* One line of a table: n cells, padded to width, numbers right. */
void	table_line(struct sbuf *, const char *const *cells,
	    const size_t *width, const int *right, size_t n);
/* At most max bytes of src ("-" when empty), non-ASCII as '?'. */
void	safe_copy(char *dst, size_t dstsz, const char *src, size_t max);
/* A duration the way bgpctl(8) prints it; "-" when negative. */
void	fmt_duration(char *buf, size_t bufsz, int64_t t);

#endif
