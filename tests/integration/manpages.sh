#!/bin/bash
# The manual pages: mandoc -Tlint finds nothing but references to pages
# that are not installed on the build machine, and every keyword that the
# configuration parser knows is documented in netcryptd.conf(5).
. "${top_srcdir:-.}/tests/integration/lib.sh"
command -v mandoc >/dev/null || skip "needs mandoc (Debian package mandoc)"

MAN="$top_srcdir/man"
CONF5="$MAN/netcryptd.conf.5"

# Style level included; the only message tolerated is a cross-reference to
# a page that is not installed here (our own pages, before make install),
# and mandoc's note that the system's whatis database is stale.
lint=$(mandoc -Tlint -Wstyle "$MAN"/*.[1-8] 2>&1 |
	grep -v 'STYLE: referenced manual not found' |
	grep -v 'outdated mandoc.db')
check "mandoc -Tlint: clean" test -z "$lint"
[ -z "$lint" ] || printf '%s\n' "$lint"

# Every page listed in Makefile.am exists, and every program has one.
for page in netcryptd.8 netcryptd.conf.5 netcryptctl.8 netcrypt.1 \
    netcrypt-keygen.1 libnetcrypt.3; do
	check "man page $page exists" test -s "$MAN/$page"
	check "$page is listed in Makefile.am" \
		grep -q "man/$page" "$top_srcdir/Makefile.am"
done

# The keyword table of the lexer, src/daemon/conf_lex.c: the lines between
# "keywords[] = {" and "};", each { "word", TOKEN }.
kw=$(sed -n '/keywords\[\] = {/,/^};/p' "$top_srcdir/src/daemon/conf_lex.c" |
	sed -n 's/^[[:space:]]*{ "\([a-z0-9]*\)",.*/\1/p')
n=$(wc -w <<<"$kw")
check "parser keyword table found ($n keywords)" test "$n" -ge 20
# Documented: the word stands after .Ic on an .It line (the grammar
# lists), e.g. ".It Ic private key Ar file" documents "private" and "key".
items=$(grep '^\.It .*Ic ' "$CONF5")
for k in $kw; do
	check "keyword '$k' documented in netcryptd.conf.5" \
		grep -Eq "(^| )$k( |$)" <<<"$items"
done
# And the other way: the first keyword of each grammar item is one the
# parser knows (the page documents nothing that does not exist).
for k in $(sed -n 's/^\.It Ic \([a-z0-9]*\).*/\1/p' "$CONF5" | sort -u); do
	check "documented keyword '$k' is known to the parser" \
		grep -qx "$k" <<<"$kw"
done
# Every cipher name the parser accepts (src/daemon/conf.c) is documented.
ciphers=$(sed -n 's/^[[:space:]]*{ NC_CIPHER_[A-Z0-9]*,[[:space:]]*"\([a-z0-9-]*\)" }.*/\1/p' \
    "$top_srcdir/src/daemon/conf.c")
check "cipher table found ($(wc -w <<<"$ciphers") ciphers)" test "$(wc -w <<<"$ciphers")" -ge 3
for c in $ciphers; do
	check "cipher $c documented" grep -q "$c" "$CONF5"
done

t_done
