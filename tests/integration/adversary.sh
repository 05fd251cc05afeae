#!/bin/bash
# Adversaries against a daemon on loopback: a man in the middle with its
# own key, 1,000 handshakes that stall after HELLO, a flood of KEY blobs
# from an unknown key, record lengths 0, 1, 2^31 and 2^32-1 in both
# phases, records after CLOSE, a peer and a session that try to spoof
# `from`, sessions that send garbage, lie about lengths or send 10,000
# ATTACHes.  After each: a clear line in the victim's log, the victim
# still running, and a message between two other sessions (alice on a
# to carol on c, over the a-c link) still delivered.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the raw session client"
NC="$top_builddir/netcrypt"
RAW="python3 $top_srcdir/tests/integration/rawsession.py"
EVIL="$top_builddir/tests/integration/evilpeer"

# a: the victim; b: a real peer of a; c: a bystander linked to a;
# e: a configured peer of a run by the attacker (evilpeer has its private
# key); m: the man in the middle's own key; u: a key nobody knows.
for h in a b c e m u; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port); PC=$(free_port); PX=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done
while [ "$PC" = "$PA" ] || [ "$PC" = "$PB" ]; do PC=$(free_port); done
while [ "$PX" = "$PA" ] || [ "$PX" = "$PB" ] || [ "$PX" = "$PC" ]; do
	PX=$(free_port)
done

# The stalled handshakes must outlive the test of the real peer: a long
# handshake timeout on a.
write_conf a "$PA" "keepalive 1" "handshake timeout 60" \
	"$(peer_block b 0)" "$(peer_block c "$PC")" "$(peer_block e 0)"
write_conf c "$PC" "keepalive 1" "$(peer_block a "$PA")"
start_daemon a; PIDA=$DAEMON_PID
start_daemon c; PIDC=$DAEMON_PID
check "bystander link a-c up" wait_up a c 50
ALOG="$T_DIR/a/log"

na() { "$NC" -s "$T_DIR/a/session.sock" "$@"; }
attached() { [ "$(grep -c "session $2 attached" "$T_DIR/$1/log")" -gt "${3:-0}" ]; }
# listen_bg HOST NAME COUNT FILE: a listener in the background (LPID).
listen_bg() {
	local h=$1 n=$2 c=$3 f=$4 before
	before=$(grep -c "session $n attached" "$T_DIR/$h/log")
	"$NC" -s "$T_DIR/$h/session.sock" -n "$n" listen -c "$c" > "$f" 2> "$f.err" &
	LPID=$!
	T_PIDS="$T_PIDS $LPID"
	wait_for 50 attached "$h" "$n" "$before"
}
# unaffected WHAT: a alive, a-c up, alice@a -> carol@c delivered once.
N_BY=0
unaffected() {
	N_BY=$((N_BY + 1))
	check "$1: a still running" kill -0 "$PIDA"
	check "$1: bystander link a-c still up" wait_up a c 50
	listen_bg c carol 1 "$T_DIR/carol.$N_BY"
	check "$1: alice -> carol@c delivered" na -n alice send carol@c "after $N_BY"
	wait_status "$LPID"
	check "$1: carol got it once" test "$(cat "$T_DIR/carol.$N_BY")" = "alice@a: after $N_BY"
}
# count_log PATTERN: lines of a's log matching.
count_log() { grep -c -- "$1" "$ALOG"; }
log_grew() { [ "$(count_log "$1")" -ge $(($2 + ${3:-1})) ]; }
unwraps() { daemon_field a rsa_unwraps; }

# --- a man in the middle with its own key --------------------------------
# b dials a through the MITM, which swaps its key into both HELLOs.
write_conf b "$PB" "keepalive 1" "$(peer_block a "$PX")"
"$EVIL" -m mitm -l "$PX" -p "$PA" -k "$T_DIR/m/private.pem" -T 8 \
	> "$T_DIR/mitm.out" 2> "$T_DIR/mitm.err" &
PM=$!
T_PIDS="$T_PIDS $PM"
wait_for 50 grep -q ready "$T_DIR/mitm.out"
UA=$(unwraps)
start_daemon b; PIDB=$DAEMON_PID
check "mitm: HELLOs swapped" wait_for 50 grep -q "swapped" "$T_DIR/mitm.out"
sleep 1
check "mitm: a refuses the MITM's key" grep -q "refusing key $(fp_of m)" "$ALOG"
check "mitm: b refuses the MITM's key" grep -q "refusing key $(fp_of m)" "$T_DIR/b/log"
check "mitm: no link" test "$(peer_field a b state)" != up -a "$(peer_field b a state)" != up
check "mitm: a did no RSA unwrap" test "$(unwraps)" = "$UA"
check "mitm: b did no RSA unwrap" test "$(daemon_field b rsa_unwraps)" = 0
stop_pid "$PIDB"
check "mitm: b exits 0" test "$RC" = 0
wait_status "$PM"
unaffected mitm

# --- 1,000 handshakes that stall after HELLO; the real b still links -----
# They present b's public key (anyone may know it), so they pass pinning
# and would hold a pending slot each until the handshake timeout.
# Evictions are counted (the log has only some of them: at most 10 lines
# a second about unproven handshakes).
before=$(daemon_field a handshakes_evicted)
"$EVIL" -m stall -N 1000 -T 40 -p "$PA" -k "$T_DIR/b/private.pem.pub" \
	> "$T_DIR/stall.out" 2> "$T_DIR/stall.err" &
PS=$!
T_PIDS="$T_PIDS $PS"
check "stall: 1,000 connections sent their HELLO" \
	wait_for 300 grep -q "stalled 1000" "$T_DIR/stall.out"
evicted_more() { [ "$(daemon_field a handshakes_evicted)" -gt "$before" ]; }
check "stall: a evicted stalled handshakes" wait_for 50 evicted_more
write_conf b "$PB" "keepalive 1" "$(peer_block a "$PA")"
start_daemon b; PIDB=$DAEMON_PID
check "stall: the real b links within 2 s" wait_up b a 20
check "stall: a sees b up" wait_up a b 20
unaffected stall
kill "$PS" 2>/dev/null; wait "$PS" 2>/dev/null
stop_pid "$PIDB"
check "stall: b exits 0" test "$RC" = 0

# --- a flood of KEY blobs from an unknown key ----------------------------
UA=$(unwraps)
before=$(count_log "refusing key $(fp_of u)")
sleep 1		# a second with room for the lines of these checks
"$EVIL" -m keyflood -N 500 -p "$PA" -k "$T_DIR/u/private.pem" \
	> "$T_DIR/flood.out" 2>&1
check "keyflood: 500 HELLO+KEY sent" grep -q "keyflood 500 sent" "$T_DIR/flood.out"
# Anyone can cause these lines: at most 10 a second are written, then a
# count of the others (doc/PROTOCOL.md 6.3).
check "keyflood: a logged refusals" log_grew "refusing key $(fp_of u)" "$before"
check "keyflood: and a count of the lines not written" \
	wait_for 30 grep -q "inbound handshakes: [0-9]* similar lines not logged" "$ALOG"
sleep 1		# a second with room for the lines of the checks below
check "keyflood: no blob reached the key-holder" test "$(unwraps)" = "$UA"
unaffected keyflood

# --- lengths 0, 1, 2^31, 2^32-1 before the handshake ----------------------
for len in 0 1 2147483648 4294967295; do
	if [ "$len" = 1 ]; then
		why="closing: HELLO: record type 65, expected 1"
	else
		why="closing: record length out of range"
	fi
	before=$(count_log "$why")
	out=$("$EVIL" -m plain -a "$len" -p "$PA" -k "$T_DIR/u/private.pem")
	check "plaintext length $len: a closes the connection" test "$out" = eof
	check "plaintext length $len: logged ($why)" log_grew "$why" "$before"
done
unaffected "plaintext lengths"

# --- the same lengths on an up link (e completes the handshake) -----------
for len in 0 1 2147483648 4294967295; do
	before=$(count_log "to e: closing: record length out of range")
	out=$("$EVIL" -m up -a "len:$len" -p "$PA" -k "$T_DIR/e/private.pem")
	check "encrypted length $len: CLOSE(protocol error) back" \
		test "$out" = "up
closed by the daemon: CLOSE reason 2"
	check "encrypted length $len: logged" \
		log_grew "to e: closing: record length out of range" "$before"
done
unaffected "encrypted lengths"

# --- records after CLOSE are not processed --------------------------------
listen_bg a dave 1 "$T_DIR/dave.1"
before=$(count_log "to e: closed by the peer")
out=$("$EVIL" -m up -a "afterclose:dave" -p "$PA" -k "$T_DIR/e/private.pem")
check "after CLOSE: the daemon closes without answering" test "$out" = "up
eof"
check "after CLOSE: logged" log_grew "to e: closed by the peer (reason 0)" "$before"
sleep 1
check "after CLOSE: the MSG after it was not delivered" test ! -s "$T_DIR/dave.1"
na -n alice send dave "local" >/dev/null
wait_status "$LPID"
check "after CLOSE: dave's first message is alice's" test "$(cat "$T_DIR/dave.1")" = "alice: local"
unaffected "after CLOSE"

# --- a peer cannot speak for another host's sessions ----------------------
listen_bg a dave 1 "$T_DIR/dave.2"
out=$("$EVIL" -m up -a "msg:alice:dave" -p "$PA" -k "$T_DIR/e/private.pem")
wait_status "$LPID"
check "peer from: dave sees alice@e, the name of the real sender" \
	test "$(cat "$T_DIR/dave.2")" = "alice@e: hello from evil"
listen_bg a dave 1 "$T_DIR/dave.3"
before=$(count_log "to e: closing: malformed MSG")
out=$("$EVIL" -m up -a "msg:alice@c:dave" -p "$PA" -k "$T_DIR/e/private.pem")
check "peer from with @host: CLOSE(protocol error)" test "$out" = "up
closed by the daemon: CLOSE reason 2"
check "peer from with @host: logged" log_grew "to e: closing: malformed MSG" "$before"
na -n alice send dave "local" >/dev/null
wait_status "$LPID"
check "peer from with @host: not delivered" test "$(cat "$T_DIR/dave.3")" = "alice: local"
unaffected "peer from"

# --- hostile sessions -----------------------------------------------------
SOCK="$T_DIR/a/session.sock"
for hex in 00000000 00000001 80000000 ffffffff; do
	before=$(count_log "record length out of range")
	[ "$hex" = 00000001 ] && before=$(count_log "protocol error")
	out=$($RAW "$SOCK" raw "$hex"01)
	check "session record $hex: closed" test "$out" = eof
	if [ "$hex" = 00000001 ]; then
		check "session record $hex: protocol error logged" log_grew "protocol error" "$before"
	else
		check "session record $hex: logged" log_grew "record length out of range" "$before"
	fi
done
before=$(count_log "session liar (.*): protocol error")
check "session lying about the to length: closed" test "$($RAW "$SOCK" lie liar)" = eof
check "session lying: logged" log_grew "session liar (.*): protocol error" "$before"
# A header promising 100 bytes, 10 sent, then the end: no effect.
before=$(count_log "session - (.*): detached")
check "session short record: the daemon waits for the rest" test "$($RAW "$SOCK" raw "0000006403$(printf '%020d' 0)")" = "still open"
check "session short record: logged when it went" log_grew "session - (.*): detached" "$before"
# 10,000 ATTACHes for a name in use, answered one by one.
listen_bg a dave 1 "$T_DIR/dave.4"
before=$(count_log "protocol error")
out=$($RAW "$SOCK" attaches dave 10000)
check "10,000 ATTACHes: all refused as name in use" grep -qx "refused 10000" <<<"$out"
check "10,000 ATTACHes: then one that works" grep -qx attached <<<"$out"
check "10,000 ATTACHes: a second ATTACH once attached ends it" grep -qx eof <<<"$out"
check "10,000 ATTACHes: logged" log_grew "protocol error" "$before"
# Nothing in a session's hands can change `from`.
out=$($RAW "$SOCK" spoof mallory dave $'\x05alice spoofed')
wait_status "$LPID"
check "session spoof: delivered" test "$out" = 0
check "session spoof: dave sees mallory, not alice" grep -q "^mallory: " "$T_DIR/dave.4"
listen_bg c carol 1 "$T_DIR/carol.spoof"
$RAW "$SOCK" spoof mallory carol@c "alice@a: spoofed" > /dev/null
wait_status "$LPID"
check "session spoof across the link: carol sees mallory@a" \
	grep -q "^mallory@a: alice@a: spoofed" "$T_DIR/carol.spoof"
unaffected "hostile sessions"

stop_pid "$PIDA"
check "a exits 0 on SIGTERM after all this" test "$RC" = 0
stop_pid "$PIDC"
check "c exits 0" test "$RC" = 0
t_done
