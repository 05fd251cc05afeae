/*
 * A small JSON reader for the known-answer files of the unit tests
 * (tests/vectors/link-v1.json).  The whole file becomes a tree; lookups
 * fail the running test (ck_abort_msg, after a line on stderr) when a key
 * is missing or has the wrong type, so a renamed key cannot silently
 * skip a check.
 *
 * Every leaf remembers whether a test read it: vec_unread() lists the
 * values no check looked at, so a test can demand that all were used.
 */
#ifndef NC_TEST_VECTORS_H
#define NC_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#ifndef TEST_SRCDIR
#define TEST_SRCDIR	"."
#endif
#define VEC_LINK_V1	TEST_SRCDIR "/tests/vectors/link-v1.json"

#define VEC_MAX_DEPTH	32		/* nesting of containers */
#define VEC_MAX_FILE	(4 << 20)	/* bytes */

enum vec_type {
	VEC_NULL,
	VEC_BOOL,
	VEC_NUM,
	VEC_STR,
	VEC_ARR,
	VEC_OBJ
};

struct vec;

/*
 * Errors call ck_abort_msg() unless a hook is set (tests of this reader
 * use one); a hook must not return (longjmp or exit).  Returns the old.
 */
typedef void	(*vec_fail_fn)(const char *msg);
vec_fail_fn	 vec_set_fail(vec_fail_fn);

/* Load and parse a file; fails the test on any error. */
struct vec	*vec_load(const char *path);
/* Parse len bytes of text; name is for messages. */
struct vec	*vec_parse(const char *text, size_t len, const char *name);
void		 vec_free(struct vec *);

enum vec_type	 vec_type(const struct vec *);
/* Members of an object or elements of an array; 0 for the others. */
size_t		 vec_len(const struct vec *);

/* Object member by exact name; fails the test when missing. */
struct vec	*vec_get(struct vec *obj, const char *key);
/* The same, but NULL when missing. */
struct vec	*vec_find(struct vec *obj, const char *key);
/* Element i of an array or member i of an object; fails out of range. */
struct vec	*vec_index(struct vec *arr, size_t i);
/* Name of an object member (from vec_index on an object). */
const char	*vec_key(const struct vec *member);

/* Values of nodes; each fails the test on a type mismatch. */
const char	*vec_as_str(struct vec *);
long long	 vec_as_int(struct vec *);
int		 vec_as_bool(struct vec *);
/*
 * Decode a hex string into buf.  With len NULL the value must be exactly
 * bufsz bytes long; otherwise at most bufsz, and *len gets the length.
 */
void		 vec_as_hex(struct vec *, uint8_t *buf, size_t bufsz,
		    size_t *len);

/* Shorthands: the same on member key of obj. */
const char	*vec_str(struct vec *obj, const char *key);
long long	 vec_int(struct vec *obj, const char *key);
void		 vec_hex(struct vec *obj, const char *key, uint8_t *buf,
		    size_t bufsz, size_t *len);
/* A malloc'd copy of a hex member's bytes (free it); never NULL. */
uint8_t		*vec_hex_alloc(struct vec *obj, const char *key,
		    size_t *len);

/* got must equal the hex member key of obj, length included. */
void		 vec_expect_hex(struct vec *obj, const char *key,
		    const uint8_t *got, size_t gotlen);
/* Mark a value (and all below it) as read without checking it. */
void		 vec_touch(struct vec *);
/* Number of leaves read, and of leaves not read (listed on stderr). */
size_t		 vec_nread(const struct vec *);
size_t		 vec_unread(const struct vec *, int print);
/* "cases[1].expanded.\"nc1 key i2r\"": where a node is, for messages. */
void		 vec_path(const struct vec *, char *buf, size_t bufsz);

#endif
