#!/bin/bash
# The four processes: titles, privilege drop, chroot, the spool
# directory, orderly stop with SIGTERM, and fail-closed when a child dies.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root

NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

make_host a || { not_ok "keygen"; t_done; }
PORT=$(free_port)
write_conf a "$PORT"

check "netcryptd -n accepts the configuration" \
	bash -c "'$NETCRYPTD' -n -f '$T_DIR/a/netcryptd.conf' | grep -qx 'configuration OK'"

check "no spool directory before the first start" test ! -e "$T_DIR/a/spool"
check "daemon starts and reports its children" start_daemon a
M=$DAEMON_PID
KH=$(child_by_title "$M" key-holder)
NET=$(child_by_title "$M" network)
SP=$(child_by_title "$M" spool)
check "master has title 'netcryptd: master'" \
	bash -c "tr '\0' ' ' < /proc/$M/cmdline | grep -q '^netcryptd: master'"
check "key-holder child found by title" test -n "$KH"
check "network child found by title" test -n "$NET"
check "spool child found by title" test -n "$SP"
check "exactly three children" test "$(child_pids "$M" | wc -l)" -eq 3
check "the start is logged with the three pids" \
	grep -q "started: key-holder $KH, spool $SP, network $NET" "$T_DIR/a/log"
check "the spool directory was made: mode 0700, owned by nobody" \
	test "$(stat -c '%a %u %g' "$T_DIR/a/spool")" = "700 $NOBODY_UID $NOBODY_GID"

for pid in $KH $NET $SP; do
	check "child $pid: uid nobody (real, effective, saved, fs)" \
		grep -Eq "^Uid:[[:space:]]+$NOBODY_UID[[:space:]]+$NOBODY_UID[[:space:]]+$NOBODY_UID[[:space:]]+$NOBODY_UID\$" "/proc/$pid/status"
	check "child $pid: gid nobody everywhere" \
		grep -Eq "^Gid:[[:space:]]+$NOBODY_GID[[:space:]]+$NOBODY_GID[[:space:]]+$NOBODY_GID[[:space:]]+$NOBODY_GID\$" "/proc/$pid/status"
	check "child $pid: no supplementary groups but its own" \
		grep -Eq "^Groups:[[:space:]]+$NOBODY_GID[[:space:]]*\$" "/proc/$pid/status"
	root=$T_DIR/a/empty
	[ "$pid" = "$SP" ] && root=$T_DIR/a/spool
	check "child $pid: root is $root" test "$(readlink /proc/$pid/root)" = "$root"
	check "child $pid: NoNewPrivs" grep -Eq '^NoNewPrivs:[[:space:]]+1$' "/proc/$pid/status"
done
check "master is still root" grep -Eq '^Uid:[[:space:]]+0[[:space:]]' "/proc/$M/status"
check "the network child listens on the port" \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"

stop_pid "$M"
check "SIGTERM: master exits 0 (got $RC)" test "$RC" = 0
check "SIGTERM: key-holder gone" t_wait_gone "$KH" 20
check "SIGTERM: network child gone" t_wait_gone "$NET" 20
check "SIGTERM: spool gone" t_wait_gone "$SP" 20

# A child killed from outside takes the daemon down, with a log line.
for victim in key-holder network spool; do
	: > "$T_DIR/a/log"
	PORT=$(free_port)
	write_conf a "$PORT"
	if ! start_daemon a; then
		not_ok "restart for the $victim test"
		continue
	fi
	M=$DAEMON_PID
	KIDS=$(child_pids "$M")
	V=$(child_by_title "$M" "$victim")
	kill -KILL "$V"
	wait_status "$M"
	check "kill -9 $victim: master exits 1 (got $RC)" test "$RC" = 1
	check "kill -9 $victim: log names it and the signal" \
		grep -q "$victim (pid $V) killed by signal 9 (SIGKILL)" "$T_DIR/a/log"
	for pid in $KIDS; do
		check "kill -9 $victim: child $pid gone too" t_wait_gone "$pid" 20
	done
done

# Refusals, before anything is forked.
write_conf a "$PORT"
chmod 644 "$T_DIR/a/private.pem"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "group/world-readable private key refused" test "$rc" -ne 0
check "... with a message saying why" grep -q "too open" <<<"$out"
chmod 600 "$T_DIR/a/private.pem"

chmod 777 "$T_DIR/a/empty"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "chroot writable by others refused" test "$rc" -ne 0
check "... with a message naming the chroot" grep -q "chroot $T_DIR/a/empty" <<<"$out"
chmod 755 "$T_DIR/a/empty"

# Without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, as under the systemd
# unit, root may not search the spool's 0700 directory: the spool enters
# it with its user's rights.
if command -v setpriv >/dev/null; then
	: > "$T_DIR/a/log"
	write_conf a "$PORT"
	if NETCRYPTD_WRAPPER="setpriv --bounding-set -dac_override,-dac_read_search" \
	    start_daemon a; then
		ok "started without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH"
	else
		not_ok "started without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH"
		grep chroot "$T_DIR/a/log"
	fi
	M=$DAEMON_PID
	SP=$(child_by_title "$M" spool)
	check "... the spool runs in its directory" \
		test -n "$SP" -a "$(readlink "/proc/$SP/root")" = "$T_DIR/a/spool"
	stop_pid "$M"
	check "... and stops cleanly (got $RC)" test "$RC" = 0
else
	echo "note: no setpriv: the start without CAP_DAC_OVERRIDE is not checked"
fi

# The spool directory: the service user's alone, and a directory.
chmod 770 "$T_DIR/a/spool"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "spool directory writable by its group refused" test "$rc" -ne 0
check "... with a message naming it" \
	grep -q "spool directory $T_DIR/a/spool: must be owned by nobody (uid $NOBODY_UID) and writable by nobody else (owner uid $NOBODY_UID, mode 0770)" <<<"$out"
chmod 700 "$T_DIR/a/spool"
chown root "$T_DIR/a/spool"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "spool directory owned by root refused" test "$rc" -ne 0
check "... saying who must own it" grep -q "spool directory $T_DIR/a/spool: must be owned by nobody" <<<"$out"
rm -rf "$T_DIR/a/spool"	# its lock and segments too
: > "$T_DIR/a/spool"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "spool directory that is a file refused" test "$rc" -ne 0
check "... saying so" grep -q "spool directory $T_DIR/a/spool: not a directory" <<<"$out"
rm -f "$T_DIR/a/spool"
write_conf a "$PORT" "spool { directory \"$T_DIR/a/no/spool\" }"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "spool directory whose parent is missing refused" test "$rc" -ne 0
check "... naming it" grep -q "spool directory $T_DIR/a/no/spool: mkdir" <<<"$out"

write_conf a "$PORT" 'user "no-such-user-nc"'
sed -i '/^user "nobody"/d' "$T_DIR/a/netcryptd.conf"
out=$("$NETCRYPTD" -d -f "$T_DIR/a/netcryptd.conf" 2>&1); rc=$?
check "missing service user refused" test "$rc" -ne 0
check "... with a message naming it" grep -q 'no-such-user-nc' <<<"$out"

t_done
