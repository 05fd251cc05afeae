#!/bin/bash
# The folders of src/ are layers (doc/DESIGN.md section 8): a file
# includes headers of its own folder and of the folders below it, never
# of one above.  common is the bottom; proto sits on common; daemon on
# both; lib (libnetcrypt) on common and proto; tools on all of them, the
# daemon's only for conf.h (netcrypt-keygen -A reads netcryptd.conf).
set -u
top=${top_srcdir:-.}
cd "$top" || exit 99
bad=0
n=0

# allowed FOLDER: the folders whose headers FOLDER may include.
allowed() {
	case $1 in
	src/common) echo "src/common" ;;
	src/proto) echo "src/common src/proto" ;;
	src/daemon) echo "src/common src/proto src/daemon" ;;
	lib) echo "src/common src/proto lib" ;;
	src/tools) echo "src/common src/proto lib" ;;
	esac
}

# where HEADER: the folder of one of our headers, or "" (config.h, system).
where() {
	local d
	for d in src/common src/proto src/daemon lib; do
		[ -f "$d/$1" ] && { echo "$d"; return; }
	done
}

for folder in src/common src/proto src/daemon lib src/tools; do
	[ -d "$folder" ] || { echo "no folder $folder"; exit 99; }
	ok=$(allowed "$folder")
	for f in "$folder"/*.[chy]; do
		while IFS= read -r h; do
			n=$((n + 1))
			d=$(where "$h")
			[ -z "$d" ] && continue
			case " $ok " in *" $d "*) continue ;; esac
			[ "$f" = src/tools/keygen.c ] && [ "$h" = conf.h ] && continue
			echo "$f includes $d/$h: $folder may use only $ok"
			bad=$((bad + 1))
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
done
echo "$n includes checked, $bad across the layers"
[ "$bad" -eq 0 ]
