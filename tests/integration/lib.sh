# Shared helpers for the integration tests (sourced by bash scripts).
#
# Every daemon a test starts is recorded by pid and stopped by pid on exit;
# every wait is bounded; everything lives in one temporary directory; only
# loopback addresses are used.

set -u

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
NETCRYPTD="$top_builddir/netcryptd"
KEYGEN="$top_builddir/netcrypt-keygen"

T_PASSED=0
T_FAILED=0
# NETCRYPTD_WRAPPER: a command that start_daemon runs the daemon under
# (valgrind, see tests/run-all); its words are split.  Every bounded
# wait is then T_SLOW times longer.
T_SLOW=1
[ -n "${NETCRYPTD_WRAPPER:-}" ] && T_SLOW=${NETCRYPTD_WRAPPER_SLOW:-10}
T_PIDS=""
T_DIR=$(mktemp -d /tmp/nc-test.XXXXXX)
chmod 755 "$T_DIR"

t_cleanup() {
	[ "$T_FAILED" -gt 0 ] && [ -n "${KEEP_FAILED:-}" ] && cp -r "$T_DIR" "$KEEP_FAILED"
	local pid
	for pid in $T_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $T_PIDS; do
		t_wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT

ok() { T_PASSED=$((T_PASSED + 1)); echo "ok: $*"; }
not_ok() { T_FAILED=$((T_FAILED + 1)); echo "FAIL: $*"; }
check() {	# check "description" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
t_done() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}
skip() { echo "SKIP: $*"; exit 77; }

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (the daemon chroots its children)"
	getent passwd nobody >/dev/null || skip "no user nobody"
}

# A free TCP port on 127.0.0.1, from a random start, checked with bash's
# /dev/tcp (nothing must answer there).  Bounded.  Below Linux's
# ephemeral range (32768 and up by default): an outgoing connection
# anywhere on the machine may hold a port of that range as its source,
# and the daemon's bind would then fail although nothing listens there.
free_port() {
	local i port
	for i in $(seq 1 50); do
		port=$(( (RANDOM << 1 ^ RANDOM) % 12000 + 20000 ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# wait_for TENTHS command...: retry a command every 0.1 s (for T_SLOW
# times longer under a wrapper such as valgrind).
wait_for() {
	local n=$(($1 * T_SLOW)) i; shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

t_wait_gone() {	# pid tenths
	local i
	for i in $(seq 1 $(($2 * T_SLOW))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Children of a pid, from /proc (no procps needed).
child_pids() {
	local f ppid
	for f in /proc/[0-9]*/stat; do
		ppid=$(sed -E 's/^[0-9]+ \(.*\) [A-Za-z] ([0-9]+) .*/\1/' "$f" 2>/dev/null) || continue
		[ "$ppid" = "$1" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
	done
	return 0
}

# The child of $1 whose title is "netcryptd: $2".
child_by_title() {
	local pid
	for pid in $(child_pids "$1"); do
		if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "^netcryptd: $2"; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# make_host NAME: keys and an empty chroot for a daemon called NAME (the
# daemon makes its spool directory, NAME/spool, at its first start).
make_host() {
	local h=$1
	mkdir -p "$T_DIR/$h/empty"
	chmod 755 "$T_DIR/$h" "$T_DIR/$h/empty"
	"$KEYGEN" -q -b 2048 -f "$T_DIR/$h/private.pem" || return 1
}

# write_conf NAME PORT [extra lines]: a minimal configuration.
write_conf() {
	local h=$1 port=$2; shift 2
	cat > "$T_DIR/$h/netcryptd.conf" <<CONF
name "$h"
listen on 127.0.0.1 port $port
private key "$T_DIR/$h/private.pem"
user "nobody"
chroot "$T_DIR/$h/empty"
spool { directory "$T_DIR/$h/spool" }
session socket "$T_DIR/$h/session.sock"
control socket "$T_DIR/$h/control.sock"
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$T_DIR/$h/netcryptd.conf"
	return 0
}

# start_daemon NAME: run netcryptd -d in the background, log to NAME/log,
# wait (bounded) until it reports its children started.  Sets DAEMON_PID.
start_daemon() {
	local h=$1
	# shellcheck disable=SC2086
	${NETCRYPTD_WRAPPER:-} "$NETCRYPTD" -d -f "$T_DIR/$h/netcryptd.conf" \
	    > "$T_DIR/$h/log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS="$T_PIDS $DAEMON_PID"
	wait_for 100 grep -q "started: key-holder" "$T_DIR/$h/log"
}

# stop_pid PID: SIGTERM, wait bounded; the exit status is left in RC.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait_status "$1"
}

# wait_status PID: the exit status of a background job of this shell
# (so never call it in a $(...) subshell), bounded; left in RC.
wait_status() {
	if ! t_wait_gone "$1" 100; then
		kill -KILL "$1" 2>/dev/null
	fi
	RC=0
	wait "$1" 2>/dev/null || RC=$?
}

NETCRYPTCTL="$top_builddir/netcryptctl"
TAMPERPROXY="$top_builddir/tests/integration/tamperproxy"

need_jq() {
	command -v jq >/dev/null || skip "needs jq (Debian package jq)"
}

# peer_block NAME PORT [extra lines]: a peer that we dial at PORT (port 0:
# inbound only), pinned to NAME's key.
peer_block() {
	local h=$1 port=$2; shift 2
	echo "peer \"$h\" {"
	[ "$port" != 0 ] && echo "	connect to 127.0.0.1 port $port"
	echo "	public key \"$T_DIR/$h/private.pem.pub\""
	[ $# -gt 0 ] && printf '\t%s\n' "$@"
	echo "}"
}

ctl() {	# ctl HOST args...
	local h=$1; shift
	"$NETCRYPTCTL" -s "$T_DIR/$h/control.sock" "$@"
}

# peer_field HOST PEER FIELD: one field of `show --json` for a peer.
peer_field() {
	ctl "$1" show --json 2>/dev/null |
		jq -r --arg p "$2" ".peers[] | select(.name == \$p) | .$3"
}

daemon_field() {	# daemon_field HOST FIELD
	ctl "$1" show --json 2>/dev/null | jq -r ".daemon.$2"
}

is_up() { [ "$(peer_field "$1" "$2" state)" = up ]; }

# wait_up HOST PEER TENTHS: bounded wait for a link to be up.
wait_up() { wait_for "$3" is_up "$1" "$2"; }

# The daemon's own fingerprint, as keygen prints it.
fp_of() { "$KEYGEN" -l -f "$T_DIR/$1/private.pem.pub" | awk '{print $2}'; }
is_not_up() { ! is_up "$1" "$2"; }
# field_ge HOST PEER FIELD N: a numeric peer field is at least N.
field_ge() {
	local v
	v=$(peer_field "$1" "$2" "$3")
	[ -n "$v" ] && [ "$v" != null ] && [ "$v" -ge "$4" ]
}

# make_var NAME: a variable of the build tree's Makefile, fully expanded
# (install directories and the like).  Unset MAKEFLAGS first when called
# from make check.
make_var() {
	printf 'include Makefile\nnc-print-%%:\n\t@echo $(%s)\n' "$1" |
		"${MAKE:-make}" -s --no-print-directory -C "$top_builddir" \
		-f - "nc-print-$1"
}
