#!/bin/bash
# make install DESTDIR=... of this build tree into a temporary directory:
# every file where configure said, with its mode; the systemd unit valid
# and its paths substituted; the installed keygen reads the installed
# sample; a second install keeps an edited netcryptd.conf; make uninstall
# removes everything but an edited configuration.
. "$top_srcdir/tests/integration/lib.sh"

D=$T_DIR/dest
# The sub-make must not inherit make check's jobserver or flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE_CMD=${MAKE:-make}

for v in prefix bindir sbindir libdir includedir mandir sysconfdir \
    runstatedir systemdsystemunitdir sysusersdir tmpfilesdir NC_USER \
    NC_CHROOT NC_SPOOL_DIR; do
	printf -v "$v" '%s' "$(make_var "$v")"
done
[ -n "$sbindir" ] && [ -n "$sysconfdir" ] || {
	echo "cannot read the install directories from $top_builddir/Makefile"
	exit 1
}

do_make() {	# do_make target log
	"$MAKE_CMD" -C "$top_builddir" "$1" DESTDIR="$D" > "$2" 2>&1
}

# has_mode FILE MODE: a regular file with exactly this mode.
has_mode() { [ -f "$1" ] && [ "$(stat -c %a "$1")" = "$2" ]; }

check "make install DESTDIR=... succeeds" do_make install "$T_DIR/install1.log"
[ "$T_FAILED" -eq 0 ] || { tail -n 30 "$T_DIR/install1.log"; t_done; }

for p in netcryptd netcryptctl; do
	check "$sbindir/$p installed, mode 755" has_mode "$D$sbindir/$p" 755
done
for p in netcrypt netcrypt-keygen; do
	check "$bindir/$p installed, mode 755" has_mode "$D$bindir/$p" 755
done
check "libnetcrypt.so.0 installed" test -e "$D$libdir/libnetcrypt.so.0"
check "libnetcrypt.so.0.3.0 installed, mode 755" \
	has_mode "$D$libdir/libnetcrypt.so.0.3.0" 755
# The exported names are the nc_* of netcrypt.h (lib/local.mk), the
# burst calls of version 0.1, the lifetimes of 0.2 and the files with a
# lifetime of 0.3 among them.
exported() { nm -D --defined-only "$D$libdir/libnetcrypt.so.0" |
	awk '$2 == "T" { print $3 }'; }
if command -v nm >/dev/null; then
	check "libnetcrypt exports only nc_* names" \
		test -z "$(exported | grep -v '^nc_')"
	for f in nc_send nc_send_more nc_flush nc_next nc_send_within \
	    nc_send_within_more nc_send_within_wait nc_wait_final nc_query \
	    nc_query_wait nc_send_file_within nc_file_wait; do
		check "libnetcrypt exports $f" grep -qx "$f" <<<"$(exported)"
	done
fi
check "netcrypt.h installed, mode 644" has_mode "$D$includedir/netcrypt.h" 644
check "netcrypt.pc installed, mode 644" \
	has_mode "$D$libdir/pkgconfig/netcrypt.pc" 644
check "netcrypt.pc names the prefix" \
	grep -qx "prefix=$prefix" "$D$libdir/pkgconfig/netcrypt.pc"
for m in man1/netcrypt.1 man1/netcrypt-keygen.1 man3/libnetcrypt.3 \
    man5/netcryptd.conf.5 man8/netcryptd.8 man8/netcryptctl.8; do
	check "$m installed, mode 644" has_mode "$D$mandir/$m" 644
done

conf=$D$sysconfdir/netcryptd.conf
check "netcryptd.conf installed, mode 600" has_mode "$conf" 600
check "netcryptd.conf is the sample" \
	cmp -s "$top_builddir/etc/netcryptd.conf.sample" "$conf"
check "the sample's key directory is under sysconfdir" \
	grep -qx "keydir = \"$sysconfdir/netcryptd\"" "$conf"
# The installed keygen reads the installed sample (keys kept out of DESTDIR).
mkdir -m 700 "$T_DIR/keys"
check "installed netcrypt-keygen -A reads the installed sample" \
	"$D$bindir/netcrypt-keygen" -A -q -b 2048 -c "$conf" \
	-D keydir="$T_DIR/keys"
check "... and creates the host key it names, mode 600" \
	has_mode "$T_DIR/keys/private.pem" 600

# No @variable@ left in what was generated.
unsubstituted() { grep -q '@[A-Za-z_]*@' "$1"; }
not() { ! "$@"; }
if [ -n "$systemdsystemunitdir" ]; then
	unit=$D$systemdsystemunitdir/netcryptd.service
	check "netcryptd.service installed, mode 644" has_mode "$unit" 644
	check "the unit starts $sbindir/netcryptd -d" \
		grep -qx "ExecStart=$sbindir/netcryptd -d" "$unit"
	check "the unit creates the key with $bindir/netcrypt-keygen -A" \
		grep -qx "ExecStartPre=$bindir/netcrypt-keygen -A" "$unit"
	check "the unit has no @variable@ left" not unsubstituted "$unit"
else
	echo "no systemd unit directory configured: unit not checked"
fi
if [ -n "$sysusersdir" ]; then
	f=$D$sysusersdir/netcryptd.conf
	check "sysusers.d/netcryptd.conf installed, mode 644" has_mode "$f" 644
	check "sysusers.d file creates user $NC_USER" \
		grep -q "^u $NC_USER - " "$f"
	check "sysusers.d file creates group netcrypt" grep -q "^g netcrypt " "$f"
	check "sysusers.d file has no @variable@ left" not unsubstituted "$f"
fi
if [ -n "$tmpfilesdir" ]; then
	f=$D$tmpfilesdir/netcryptd.conf
	check "tmpfiles.d/netcryptd.conf installed, mode 644" has_mode "$f" 644
	check "tmpfiles.d file makes $NC_CHROOT root's, 0755" \
		grep -qx "d $NC_CHROOT 0755 root root -" "$f"
	check "tmpfiles.d file makes $sysconfdir/netcryptd 0700" \
		grep -qx "d $sysconfdir/netcryptd 0700 root root -" "$f"
	check "tmpfiles.d file makes $NC_SPOOL_DIR $NC_USER's, 0700" \
		grep -qx "d $NC_SPOOL_DIR 0700 $NC_USER $NC_USER -" "$f"
	check "tmpfiles.d file has no @variable@ left" not unsubstituted "$f"
fi

# systemd-analyze on the installed unit: "verify" says nothing but that
# the programs are not where the unit expects them (they are in DESTDIR),
# and "security" rates it 2.5 or better (--threshold is in tenths).
verify_clean() {
	local line path bad=0
	systemd-analyze verify --man=no "$unit" > "$T_DIR/verify.log" 2>&1
	while IFS= read -r line; do
		path=$(sed -nE 's/^netcryptd\.service: Command (\/[^ ]+) is not executable: .*/\1/p' <<<"$line")
		if [ -n "$path" ] && [ -x "$D$path" ]; then
			continue
		fi
		echo "systemd-analyze verify: $line"
		bad=1
	done < "$T_DIR/verify.log"
	return $bad
}
security_ok() {
	systemd-analyze security --offline=true --threshold=25 "$unit" \
		> "$T_DIR/security.log" 2>&1
}
if [ -n "$systemdsystemunitdir" ] && command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify: clean but for the paths in DESTDIR" \
		verify_clean
	check "systemd-analyze security rates the unit 2.5 or better" \
		security_ok
	grep -o 'Overall exposure level.*' "$T_DIR/security.log"
else
	echo "no systemd-analyze or no unit: the unit is not verified here"
fi

# A second install leaves an edited configuration alone.
echo "# edited by install.sh" >> "$conf"
check "a second make install succeeds" do_make install "$T_DIR/install2.log"
check "... keeps the edited netcryptd.conf" \
	grep -qx "# edited by install.sh" "$conf"
check "... and says so" grep -q "keeping the existing $conf" \
	"$T_DIR/install2.log"

check "make uninstall succeeds" do_make uninstall "$T_DIR/uninstall1.log"
left() { find "$D" \( -type f -o -type l \) | sort; }
check "uninstall leaves only the edited configuration" \
	test "$(left)" = "$conf"
check "... and says it kept it" grep -q "keeping $conf" "$T_DIR/uninstall1.log"
# Back to the sample: now it goes too.
cp "$top_builddir/etc/netcryptd.conf.sample" "$conf"
check "make uninstall with an unedited configuration succeeds" \
	do_make uninstall "$T_DIR/uninstall2.log"
check "... removes every file" test -z "$(left)"
[ "$T_FAILED" -eq 0 ] || left

t_done
