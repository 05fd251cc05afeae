#!/bin/bash
# Issue 18 (d): 10,000 messages with a lifetime to a peer that is down;
# the sender restarted twice (once by kill -9) before the peer comes up,
# the receiver twice (once by kill -9) while they stream in; then the
# receiving session takes them: each exactly once, in order, and the
# sender hears "delivered" for every one.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the raw client"
SC="python3 $top_srcdir/tests/integration/spoolclient.py"
N=10000

for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
write_conf a "$PA" "$(peer_block b "$PB")"
write_conf b "$PB" "$(peer_block a "$PA")"

kill9() {
	local kids k
	kids=$(child_pids "$1")
	# shellcheck disable=SC2086
	kill -KILL "$1" $kids 2>/dev/null
	wait "$1" 2>/dev/null
	for k in $kids; do t_wait_gone "$k" 50; done
	return 0
}
sa() { $SC "$T_DIR/a/session.sock" "$@"; }
sb() { $SC "$T_DIR/b/session.sock" "$@"; }
# kept HOST: entries the spool said it holds at its last start.
kept() { grep "spool: .* entries kept" "$T_DIR/$1/log" | tail -1 | sed -E 's/.*spool: ([0-9]+) entries.*/\1/'; }

start_daemon a; PIDA=$DAEMON_PID
out=$(sa put alice bob@b 3600 $N m 2> "$T_DIR/ids")
check "$N queued while b is down" test "$out" = "queued $N refused 0"
stop_pid "$PIDA"
check "a stopped cleanly" test "$RC" = 0
start_daemon a; PIDA=$DAEMON_PID
kill9 "$PIDA"
start_daemon a; PIDA=$DAEMON_PID
check "a restarted twice (once by kill -9) and still keeps $N" test "$(kept a)" = "$N"

start_daemon b; PIDB=$DAEMON_PID
check "link up" wait_up a b 100
# Cut b twice while the messages stream into its spool.
sleep 0.3
kill9 "$PIDB"
start_daemon b; PIDB=$DAEMON_PID
check "link up after b's kill -9" wait_up a b 100
sleep 0.3
stop_pid "$PIDB"
start_daemon b; PIDB=$DAEMON_PID
check "link up after b's restart" wait_up a b 100
sb take bob $N 20 > "$T_DIR/got" 2> "$T_DIR/take"
seq -f 'm-%g' 1 $N > "$T_DIR/want"
check "$N taken, each exactly once, in order" cmp -s "$T_DIR/want" "$T_DIR/got"
check "no id handed twice" grep -q "dup 0" "$T_DIR/take"
# shellcheck disable=SC2046
delivered() { [ "$(sa query q $(awk '$1 == "id" {print $3}' "$T_DIR/ids") | awk '$2 == 0' | wc -l)" = "$N" ]; }
check "the sender hears delivered for all $N" wait_for 300 delivered
t_done
