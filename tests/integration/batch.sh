#!/bin/bash
# Many MSGs in one record (doc/PROTOCOL.md 7.9): a burst of small
# messages travels in fewer records than messages, every one delivered
# once and in order, also to a reader slow enough that the receiving
# daemon holds a MSGS part-way; a daemon playing one without the
# extensions (test builds) gets plain MSG records and no link breaks;
# and a peer's malformed MSGS closes its link with CLOSE(protocol error).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the raw session client"
RAW="python3 $top_srcdir/tests/integration/rawsession.py"
EVIL="$top_builddir/tests/integration/evilpeer"
N=3000

for h in a b e; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
attached() { grep -q "session $2 attached" "$T_DIR/$1/log"; }
count_log() { grep -c "$2" "$T_DIR/$1/log"; }

# burst_to LABEL: N numbered 64-byte messages from a to a reader on b that
# pauses 1 ms after every 16, 1000 unanswered.  b's session queue (64
# KiB) fills, so b may hold MSGs, part-way through a MSGS too; a reader
# that falls 100 ms behind gets some refused busy (PROTOCOL.md 7.4), so
# the test asks that each message got one answer, and that the reader
# got, in order, exactly those answered ok.  RECORDS: a's records to b.
burst_to() {
	local label=$1 before ok busy
	: > "$T_DIR/pauser.out"
	$RAW "$T_DIR/b/session.sock" pauser slow "$N" 1 > "$T_DIR/pauser.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_for 50 attached b slow
	before=$(peer_field a b records_out)
	$RAW "$T_DIR/a/session.sock" burst fast slow@b "$N" 64 1000 > "$T_DIR/burst.out" 2>&1
	RECORDS=$(( $(peer_field a b records_out) - before ))
	read -r _ ok _ busy _ < "$T_DIR/burst.out"
	echo "note: $label: ok $ok, busy $busy, in $RECORDS records"
	check "$label: every message answered, ok or busy" \
		grep -q "^ok $ok busy $busy other 0$" "$T_DIR/burst.out"
	check "$label: ... $N in all" test $((ok + busy)) = "$N"
	# The reader stops 3 s after the last message it gets.
	wait_for 100 grep -q "order" "$T_DIR/pauser.out"
	check "$label: the reader got each one answered ok" grep -q "^got $ok$" "$T_DIR/pauser.out"
	check "$label: ... in order" grep -q "^in order$" "$T_DIR/pauser.out"
}

# --- both daemons with the extensions --------------------------------------
write_conf a "$PA" "$(peer_block b "$PB")" "peer \"e\" {
	public key \"$T_DIR/e/private.pem.pub\"
}"
write_conf b "$PB" "session queue 64K" "$(peer_block a "$PA")"
start_daemon a; PIDA=$DAEMON_PID
start_daemon b; PIDB=$DAEMON_PID
check "link up" wait_up a b 30
burst_to "MSGS"
check "MSGS: fewer records than half the messages" test "$RECORDS" -lt $((N / 2))
check "MSGS: the link never broke" test "$(peer_field a b reconnects)" = 0

# --- a malformed MSGS from a peer -------------------------------------------
# evil_msgs HEX REASON: e sends a MSGS with this body; a closes e's link.
evil_msgs() {
	local hex=$1 why=$2 before out
	before=$(count_log a "to e: closing: $why")
	out=$("$EVIL" -m up -a "msgs:$hex" -p "$PA" -k "$T_DIR/e/private.pem" -T 10)
	check "MSGS $why: CLOSE(protocol error)" test "$out" = "up
closed by the daemon: CLOSE reason 2"
	check "MSGS $why: logged" test "$(count_log a "to e: closing: $why")" -gt "$before"
}
# MSG id 1 from alice to nobody, with its u16 length: a valid entry.
ENTRY=$(python3 -c 'import struct
b = struct.pack(">QBB", 1, 0, 5) + b"alice" + bytes([6]) + b"nobody" + b"\0hi"
print((struct.pack(">H", len(b)) + b).hex())')
evil_msgs "" "empty MSGS"
evil_msgs "00ff0000" "malformed MSGS"
evil_msgs "${ENTRY}0005aabb" "malformed MSGS"
evil_msgs "0003000000" "malformed MSG"
check "a peer's bad MSGS leaves b's link up" test "$(peer_field a b state)" = up
stop_pid "$PIDA"; stop_pid "$PIDB"

# --- b plays a daemon without the extensions (test builds only) ------------
if grep -q '^#define NC_SANDBOX_TESTS 1' "$top_builddir/config.h"; then
	rm -f "$T_DIR/a/log" "$T_DIR/b/log"
	start_daemon a; PIDA=$DAEMON_PID
	NETCRYPTD_TEST_FEATURES=0 start_daemon b; PIDB=$DAEMON_PID
	check "without extensions: link up" wait_up a b 30
	burst_to "without extensions"
	check "without extensions: one record or more per message" test "$RECORDS" -ge "$N"
	check "without extensions: the link never broke" test "$(peer_field a b reconnects)" = 0
	check "without extensions: b saw no record it does not know" \
		test "$(count_log b "unexpected record type")" = 0
	stop_pid "$PIDA"; stop_pid "$PIDB"
else
	echo "note: built without --enable-sandbox-tests: a daemon without extensions not played"
fi
t_done
