#!/bin/bash
# Running out of file descriptors (issue 14, part 2).
#
#  1. Started with a soft limit of 64 under a hard limit of 4096, every
#     process runs with 4096, and the master says so; `max sessions`
#     10000 does not fit and is lowered, with a warning.
#  2. Under `ulimit -n 64` (soft = hard), with a peer: 200 session
#     connections held.  The network child stays under 5% of a core, the
#     log grows by fewer than 20 lines, the link stays up, and once the
#     connections close a message flows and the link comes up again after
#     the peer restarts.
#  3. The network child's own limit lowered under it (prlimit) so that
#     accept() fails with EMFILE: the session listener pauses instead of
#     spinning, logs at most a line a second, and resumes once
#     descriptors are free again.
#  4. A limit that cannot serve even the minimum is refused at start and
#     by -n; a reload that would need more descriptors than there are is
#     refused, and one that raises `max sessions` is lowered with a word.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the session client"
command -v setpriv >/dev/null && command -v prlimit >/dev/null ||
	skip "needs setpriv and prlimit (util-linux)"
[ -n "${NETCRYPTD_WRAPPER:-}" ] && skip "a 64-descriptor limit leaves no room for $NETCRYPTD_WRAPPER"
NC="$top_builddir/netcrypt"
HZ=$(getconf CLK_TCK)

for h in a b c; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port); PC=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done
while [ "$PC" = "$PA" ] || [ "$PC" = "$PB" ]; do PC=$(free_port); done

# start_limited NAME SOFT HARD: start_daemon with RLIMIT_NOFILE SOFT:HARD.
start_limited() {
	local h=$1
	# shellcheck disable=SC2086
	( ulimit -S -n "$2" && ulimit -H -n "$3" &&
	    exec ${NETCRYPTD_WRAPPER:-} "$NETCRYPTD" -d \
	    -f "$T_DIR/$h/netcryptd.conf" ) > "$T_DIR/$h/log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS="$T_PIDS $DAEMON_PID"
	wait_for 100 grep -q "started: key-holder" "$T_DIR/$h/log"
}
# nofile PID: "soft hard" of a running process.
nofile() { awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"; }
# ticks PID: user + system CPU time of a process, in clock ticks.
ticks() { sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
lines() { wc -l < "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# hold SOCKET COUNT TAG: open COUNT connections to SOCKET (within 4 s)
# and keep them until $T_DIR/TAG.release exists (at most 30 s).  The
# number opened goes to $T_DIR/TAG.opened.  Sets HOLD_PID.
hold() {
	python3 - "$1" "$2" "$T_DIR/$3.opened" "$T_DIR/$3.release" <<'PY' &
import os, socket, sys, time
path, count, opened, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
held = []
end = time.monotonic() + 4
while len(held) < count and time.monotonic() < end:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
        held.append(s)
    except OSError:		# the backlog is full: try again shortly
        s.close()
        time.sleep(0.01)
with open(opened + ".tmp", "w") as f:
    f.write("%d\n" % len(held))
os.rename(opened + ".tmp", opened)
end = time.monotonic() + 30
while not os.path.exists(release) and time.monotonic() < end:
    time.sleep(0.05)
for s in held:
    s.close()
PY
	HOLD_PID=$!
	T_PIDS="$T_PIDS $HOLD_PID"
	wait_for 80 test -s "$T_DIR/$3.opened"
}
release() { touch "$T_DIR/$1.release"; wait_status "$HOLD_PID"; }

# measure PID LOG SECONDS: CPU % of PID (x10, an integer) and the lines
# LOG grew by, over SECONDS; left in PERMILLE and GREW.
measure() {
	local t0 t1 l0 ms0 ms1
	t0=$(ticks "$1"); l0=$(lines "$2"); ms0=$(now_ms)
	sleep "$3"
	t1=$(ticks "$1"); ms1=$(now_ms)
	GREW=$(($(lines "$2") - l0))
	PERMILLE=$(( (t1 - t0) * 1000 * 1000 / HZ / (ms1 - ms0) ))
}

# listen_bg HOST NAME FILE: a session that takes one message (LPID).
attached() { [ "$(grep -c "session $2 attached" "$T_DIR/$1/log")" -gt "${3:-0}" ]; }
listen_bg() {
	local before
	before=$(grep -c "session $2 attached" "$T_DIR/$1/log")
	timeout 20 "$NC" -s "$T_DIR/$1/session.sock" -n "$2" listen -c 1 > "$3" 2>&1 &
	LPID=$!
	T_PIDS="$T_PIDS $LPID"
	wait_for 50 attached "$1" "$2" "$before"
}
# message_flows TAG: alice@a -> bob@b delivered and received.
message_flows() {
	listen_bg b bob "$T_DIR/bob.$1" || return 1
	timeout 20 "$NC" -s "$T_DIR/a/session.sock" -n alice send bob@b "$1" || return 1
	wait_status "$LPID"
	[ "$(cat "$T_DIR/bob.$1")" = "alice@a: $1" ]
}

# --- 1. the soft limit is raised to the hard one ------------------------
write_conf c "$PC"
check "started with a soft limit of 64 under a hard one of 4096" start_limited c 64 4096
PIDC=$DAEMON_PID
check "master: 4096 4096" test "$(nofile "$PIDC")" = "4096 4096"
for role in key-holder network; do
	pid=$(child_by_title "$PIDC" "$role")
	check "$role inherited it: 4096 4096" test "$(nofile "$pid")" = "4096 4096"
done
check "the master logs the limit" grep -q "descriptor limit 4096" "$T_DIR/c/log"
check "max sessions 10000 lowered, with a warning" \
	grep -q "max sessions 10000 lowered to" "$T_DIR/c/log"
stop_pid "$PIDC"

# --- 2. 200 sessions held under ulimit -n 64 -------------------------------
write_conf a "$PA" "keepalive 1" "$(peer_block b "$PB")"
write_conf b "$PB" "keepalive 1" "$(peer_block a "$PA")"
check "a starts under ulimit -n 64" start_limited a 64 64
PIDA=$DAEMON_PID
start_daemon b; PIDB=$DAEMON_PID
check "link a-b up" wait_up a b 50
NETA=$(child_by_title "$PIDA" network)
check "network child of a runs with 64 64" test "$(nofile "$NETA")" = "64 64"
check "a says what it lowered" grep -q "max sessions 10000 lowered to" "$T_DIR/a/log"

l0=$(lines "$T_DIR/a/log")
hold "$T_DIR/a/session.sock" 200 hold1
echo "opened $(cat "$T_DIR/hold1.opened") of 200 session connections"
sleep 1
measure "$NETA" "$T_DIR/a/log" 3
GREW=$(($(lines "$T_DIR/a/log") - l0))
echo "network child: $((PERMILLE / 10)).$((PERMILLE % 10))% of a core; the log grew by $GREW lines"
check "200 held: network child under 5% of a core ($PERMILLE per mille)" test "$PERMILLE" -lt 50
check "200 held: the log grew by under 20 lines ($GREW)" test "$GREW" -lt 20
check "200 held: a is running" kill -0 "$PIDA"
check "200 held: link a-b still up" is_up a b
release hold1
check "after the hold: link a-b up" wait_up a b 50
check "after the hold: a message flows" message_flows one
stop_pid "$PIDB"
check "b stopped: link down" wait_for 50 is_not_up a b
start_daemon b; PIDB=$DAEMON_PID
check "b restarted: link a-b comes up again" wait_up a b 100
check "after b's restart: a message flows" message_flows two

# --- 3. EMFILE: the session listener pauses --------------------------------
# set_nofile PID SOFT HARD: prlimit(2) on a process of another user; we
# have no CAP_SYS_RESOURCE (containers), so as that user, whose real,
# effective and saved ids the kernel wants to see match.
set_nofile() {
	local uid gid
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$1/status")
	gid=$(awk '/^Gid:/ { print $2 }' "/proc/$1/status")
	setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	    prlimit --pid "$1" --nofile="$2:$3"
}
# The lowest free descriptor number of the network child plus one: one
# more descriptor can be opened, then accept() fails with EMFILE.
free_fd=0
while [ -e "/proc/$NETA/fd/$free_fd" ]; do free_fd=$((free_fd + 1)); done
check "network child's soft limit lowered to $((free_fd + 1))" set_nofile "$NETA" $((free_fd + 1)) 64
l0=$(lines "$T_DIR/a/log")
hold "$T_DIR/a/session.sock" 200 hold2
echo "opened $(cat "$T_DIR/hold2.opened") of 200 session connections"
sleep 1
measure "$NETA" "$T_DIR/a/log" 3
GREW=$(($(lines "$T_DIR/a/log") - l0))
echo "EMFILE: network child $((PERMILLE / 10)).$((PERMILLE % 10))% of a core; the log grew by $GREW lines"
check "EMFILE: network child under 5% of a core ($PERMILLE per mille)" test "$PERMILLE" -lt 50
check "EMFILE: the log grew by under 20 lines ($GREW)" test "$GREW" -lt 20
check "EMFILE: the pause is logged" grep -q "accept on the session socket: Too many open files: paused" "$T_DIR/a/log"
check "network child's limit back to 64" set_nofile "$NETA" 64 64
release hold2
check "EMFILE over: a message flows" message_flows three
check "EMFILE over: link a-b up" is_up a b

# --- 4. what cannot be served is refused ----------------------------------
# 40 descriptors leave fewer than 8 for handshakes and sessions.
write_conf c "$PC"
out=$(ulimit -n 40 && "$NETCRYPTD" -n -f "$T_DIR/c/netcryptd.conf" 2>&1); rc=$?
check "-n under ulimit -n 40: refused ($rc)" test "$rc" = 1
check "-n says the limit is too low" grep -q "descriptor limit (40) is too low" <<<"$out"
start_limited c 40 40
PIDC=$DAEMON_PID
wait_status "$PIDC"
check "started under ulimit -n 40: exits 1 ($RC)" test "$RC" = 1
check "and says why" grep -q "descriptor limit (40) is too low" "$T_DIR/c/log"

# A reload raising max sessions is lowered and says so; one adding 30
# peers (one descriptor each) is refused whole.
write_conf a "$PA" "keepalive 1" "max sessions 500" "$(peer_block b "$PB")"
out=$(ctl a reload 2>&1); rc=$?
check "reload with max sessions 500: applied ($rc)" test "$rc" = 0
check "reload: the lowering is reported" grep -q "max sessions 500 lowered to" <<<"$out"
fps=$(python3 -c '
import base64, os
for i in range(30):
    fp = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    print("peer \"x%d\" {\n\tfingerprint \"SHA256:%s\"\n}" % (i, fp))')
write_conf a "$PA" "keepalive 1" "$(peer_block b "$PB")" "$fps"
out=$(ctl a reload 2>&1); rc=$?
check "reload adding 30 peers: refused ($rc)" test "$rc" != 0
check "reload: says the limit is too low" grep -q "descriptor limit (64) is too low" <<<"$out"
check "after the refused reload: a message flows" message_flows four

t_done
