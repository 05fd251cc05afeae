#!/bin/bash
# Every section that the code cites exists (doc/DESIGN.md, section 1).
# A citation is "PROTOCOL.md 5.8", "SESSIONS.md 3", "DESIGN.md 2.1" (with
# "doc/" or "section" allowed before the number); the section exists when
# that document has a heading with that number.  A bare "DESIGN" and a
# number cites the first sketch of the design, not in the tree: refused.
# Looks at the sources, tests, benchmarks and manual pages.  Also: every
# path of a source file (under src/ or lib/) that the documents, the
# README or a comment names exists, so that a file moved or split leaves
# no reader looking for it.
set -u
top=${top_srcdir:-.}
cd "$top" || exit 99
files=$(find src lib tests bench man -type f \( -name '*.[ch]' -o -name '*.y' \
	-o -name '*.sh' -o -name '*.py' -o -name '*.[1-8]' -o -name 'run' \
	-o -name 'relink' \) 2>/dev/null | sort)
[ -n "$files" ] || { echo "no sources found under $top"; exit 99; }
bad=0
n=0

# heads DOC: the section numbers of doc/DOC's headings, one a line.
heads() {
	sed -nE 's/^#+ +([0-9]+(\.[0-9]+)*)\.? .*/\1/p' "doc/$1"
}

while IFS=: read -r file line doc num; do
	n=$((n + 1))
	if ! heads "$doc" | grep -qx -- "$num"; then
		echo "$file:$line: cites $doc $num, which has no such section"
		bad=$((bad + 1))
	fi
done < <(grep -noE '(PROTOCOL|SESSIONS|DESIGN)\.md,?( sections?| §)? ?[0-9]+(\.[0-9]+)*' \
	$files | sed -E 's/^([^:]*):([0-9]*):(PROTOCOL|SESSIONS|DESIGN)\.md,?( sections?| §)? ?/\1:\2:\3.md:/')

# The first sketch is not in the tree: its section numbers mean nothing here.
while IFS= read -r hit; do
	echo "$hit: cites the design sketch, not a document of the tree"
	bad=$((bad + 1))
done < <(grep -noE '\bDESIGN( section| §)? ?[0-9]+' $files)

docs=$(find doc bench -name '*.md'; echo README.md)
while IFS=: read -r file line path; do
	n=$((n + 1))
	[ -e "$path" ] && continue
	echo "$file:$line: names $path, which does not exist"
	bad=$((bad + 1))
done < <(grep -noE '(^|[^A-Za-z0-9_./-])(src|lib)/[A-Za-z0-9_/]+\.(c|h|y|mk)\b' \
	$files $docs | sed -E 's/^([^:]*):([0-9]*):.*((src|lib)\/.*)$/\1:\2:\3/')

echo "$n citations and paths checked, $bad bad"
[ "$bad" -eq 0 ]
