#!/bin/bash
# The sandbox of the three children, as /proc shows it; where the private
# key is (and is not) in memory; and proof that each seccomp filter bites.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root

SVC_UID=$(id -u nobody)
SVC_GID=$(id -g nobody)
MEMSCAN="$top_builddir/tests/integration/memscan"

make_host a || { not_ok "keygen"; t_done; }
PORT=$(free_port)
write_conf a "$PORT"
check "daemon starts" start_daemon a
M=$DAEMON_PID
KH=$(child_by_title "$M" key-holder)
NET=$(child_by_title "$M" network)
SP=$(child_by_title "$M" spool)

# Each fd of a process, as "N target" lines.
fds() {
	local f
	for f in /proc/"$1"/fd/*; do
		echo "${f##*/} $(readlink "$f")"
	done
}

for pid in $KH $NET $SP; do
	st=/proc/$pid/status
	check "child $pid: Seccomp: 2 (filter mode)" grep -Eq '^Seccomp:[[:space:]]+2$' "$st"
	check "child $pid: NoNewPrivs: 1" grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$st"
	check "child $pid: uid $SVC_UID real/effective/saved" \
		grep -Eq "^Uid:[[:space:]]+$SVC_UID[[:space:]]+$SVC_UID[[:space:]]+$SVC_UID[[:space:]]" "$st"
	check "child $pid: gid $SVC_GID real/effective/saved" \
		grep -Eq "^Gid:[[:space:]]+$SVC_GID[[:space:]]+$SVC_GID[[:space:]]+$SVC_GID[[:space:]]" "$st"
	root=$T_DIR/a/empty
	[ "$pid" = "$SP" ] && root=$T_DIR/a/spool
	check "child $pid: root is $root" test "$(readlink /proc/$pid/root)" = "$root"
	check "child $pid: no core dumps" \
		grep -Eq '^Max core file size[[:space:]]+0[[:space:]]+0[[:space:]]' /proc/$pid/limits
	check "child $pid: no capabilities" grep -Eq '^CapEff:[[:space:]]+0+$' "$st"
done

# Descriptors: stdio, the channels (two for the key-holder and the spool,
# three for the network child), and for the network child the listening
# socket, the control and session sockets, its epoll instance and
# libevent's internal signal pipe pair (created by every event base);
# nothing else.
kh_fds=$(fds "$KH")
check "key-holder: fds are 0-4 only" test "$(echo "$kh_fds" | awk '{print $1}' | sort -n | tr '\n' ' ')" = "0 1 2 3 4 "
check "key-holder: fd 0 is /dev/null" grep -q '^0 /dev/null$' <<<"$kh_fds"
check "key-holder: fds 3 and 4 are sockets" \
	test "$(echo "$kh_fds" | grep -cE '^[34] socket:')" -eq 2
net_fds=$(fds "$NET")
check "network: 12 fds (3 stdio, 3 channels, listener, control, session, epoll, 2 pipe ends)" \
	test "$(echo "$net_fds" | wc -l)" -eq 12
check "network: 6 sockets, 1 epoll, 2 pipe ends above fd 2" \
	test "$(echo "$net_fds" | awk '$1 > 2 {sub(/:.*/, "", $2); print $2}' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" = " 1 anon_inode; 2 pipe; 6 socket;"
check "network: fds 3, 4 and 5 are sockets" \
	test "$(echo "$net_fds" | grep -cE '^[345] socket:')" -eq 3
# The spool's directory is its root; it has no descriptor of it open
# here, nor any other file, beyond its two channels (what the real spool
# keeps open besides, its directory and segments, is its own).
sp_fds=$(fds "$SP")
check "spool: fds 3 and 4 are sockets" \
	test "$(echo "$sp_fds" | grep -cE '^[34] socket:')" -eq 2
check "spool: no socket but its two channels" \
	test "$(echo "$sp_fds" | grep -c ' socket:')" -eq 2

# Where the key is.  The private exponent, as OpenSSL keeps it in a
# BIGNUM on this little-endian machine: its big-endian bytes reversed.
D_HEX=$(openssl pkey -in "$T_DIR/a/private.pem" -text -noout |
	sed -n '/^privateExponent:/,/^prime1:/p' | sed '1d;$d' | tr -d ' :\n')
D_HEX=${D_HEX#00}
D_TAIL=${D_HEX: -64}	# the 32 least significant bytes
if grep -q '^#define NC_SANITIZERS 1' "$top_builddir/config.h"; then
	# Reading ASan's terabytes of shadow mappings through /proc/PID/mem
	# faults them in until the target is OOM-killed: plain builds only.
	echo "note: sanitizer build: key location checked by the plain build only"
elif [ ${#D_TAIL} -eq 64 ] && [ -x "$MEMSCAN" ]; then
	"$MEMSCAN" "$KH" "$D_TAIL" -r; rc=$?
	if [ $rc -eq 2 ]; then
		echo "note: cannot read process memory here (no CAP_SYS_PTRACE?); key location not checked"
	else
		check "the key-holder holds the private exponent (scanner works)" test $rc -eq 0
		"$MEMSCAN" "$M" "$D_TAIL" -r; rc=$?
		check "the master does not hold the private exponent" test $rc -eq 1
		"$MEMSCAN" "$NET" "$D_TAIL" -r; rc=$?
		check "the network child does not hold the private exponent" test $rc -eq 1
		"$MEMSCAN" "$SP" "$D_TAIL" -r; rc=$?
		check "the spool does not hold the private exponent" test $rc -eq 1
		PEM_LINE=$(sed -n 2p "$T_DIR/a/private.pem" | od -An -tx1 | tr -d ' \n')
		"$MEMSCAN" "$M" "$PEM_LINE"; rc=$?
		check "the master never read the PEM file" test $rc -eq 1
	fi
else
	not_ok "could not extract the private exponent or find memscan"
fi

stop_pid "$M"
check "SIGTERM: master exits 0 (got $RC)" test "$RC" = 0

# The forbidden-call hook exists only in --enable-sandbox-tests builds.
if grep -q '^#define NC_SANDBOX_TESTS 1' "$top_builddir/config.h"; then
	for pair in "USR1 key-holder mkdir" "USR2 network execve" "URG spool socket"; do
		set -- $pair
		: > "$T_DIR/a/log"
		write_conf a "$(free_port)"
		if ! start_daemon a; then
			not_ok "start for the $2 filter test"
			continue
		fi
		M=$DAEMON_PID
		V=$(child_by_title "$M" "$2")
		kill -"$1" "$M"
		wait_status "$M"
		check "$2 makes a forbidden call: master exits 1 (got $RC)" test "$RC" = 1
		check "$2 makes a forbidden call: logged as killed by SIGSYS (seccomp) with the call" \
			grep -q "$2 (pid $V) killed by SIGSYS (seccomp): system call [0-9]* ($3)" "$T_DIR/a/log"
	done
else
	echo "note: built without --enable-sandbox-tests: forbidden-call tests not compiled in"
fi

# Refusals: a chroot the service user owns, a missing chroot.
write_conf a "$(free_port)"
chown nobody "$T_DIR/a/empty"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "chroot owned by the service user refused" test "$rc" -ne 0
check "... saying it must be owned by root" grep -q "must be owned by root" <<<"$out"
chown root "$T_DIR/a/empty"
rmdir "$T_DIR/a/empty"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "missing chroot refused" test "$rc" -ne 0
check "... naming it" grep -q "chroot $T_DIR/a/empty" <<<"$out"

t_done
