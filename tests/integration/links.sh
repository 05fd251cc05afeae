#!/bin/bash
# Peer links between real daemons on loopback: both start orders, a full
# mesh of three, every cipher, a wrong pinned key, a tampering proxy
# (flipped byte, replayed record, truncated stream), forced key updates,
# and a daemon killed and started again.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq

for h in a b c x; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port); PC=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done
while [ "$PC" = "$PA" ] || [ "$PC" = "$PB" ]; do PC=$(free_port); done

# conf HOST PORT "peer blocks and settings..."
conf() { local h=$1 p=$2; shift 2; write_conf "$h" "$p" "keepalive 1" "$@"; }

stop_all() {	# stop_all PID...: each must exit 0
	local pid
	for pid in "$@"; do
		stop_pid "$pid"
		[ "$RC" = 0 ] || not_ok "daemon $pid exited with $RC"
	done
}

# --- two daemons, both start orders ------------------------------------
conf a "$PA" "$(peer_block b "$PB")"
conf b "$PB" "$(peer_block a "$PA")"
for order in "a b" "b a"; do
	set -- $order
	start_daemon "$1"; P1=$DAEMON_PID
	sleep 0.3
	start_daemon "$2"; P2=$DAEMON_PID
	check "start order $order: link up within 2 s" wait_up a b 20
	check "start order $order: b sees a up" wait_up b a 20
	check "start order $order: a pins b's fingerprint" \
		test "$(peer_field a b fingerprint)" = "$(fp_of b)"
	check "start order $order: b's own fingerprint matches" \
		test "$(daemon_field b fingerprint)" = "$(fp_of b)"
	check "start order $order: default cipher aes-256-gcm" \
		test "$(peer_field a b cipher)" = aes-256-gcm
	check "start order $order: exactly one link each way counted" \
		test "$(peer_field a b state)" = up -a "$(peer_field b a state)" = up
	stop_all "$P1" "$P2"
done

# --- every cipher --------------------------------------------------------
for c in aes-128-gcm chacha20-poly1305; do
	conf a "$PA" "cipher $c" "$(peer_block b "$PB")"
	conf b "$PB" "cipher $c aes-256-gcm" "$(peer_block a "$PA")"
	start_daemon a; P1=$DAEMON_PID
	start_daemon b; P2=$DAEMON_PID
	check "cipher $c: link up" wait_up a b 20
	check "cipher $c: negotiated" test "$(peer_field b a cipher)" = "$c"
	stop_all "$P1" "$P2"
done

# --- three daemons, full mesh -----------------------------------------
conf a "$PA" "$(peer_block b "$PB")" "$(peer_block c "$PC")"
conf b "$PB" "$(peer_block a "$PA")" "$(peer_block c "$PC")"
conf c "$PC" "$(peer_block a "$PA")" "$(peer_block b "$PB")"
start_daemon a; P1=$DAEMON_PID
start_daemon b; P2=$DAEMON_PID
start_daemon c; P3=$DAEMON_PID
check "mesh: a-b up" wait_up a b 30
check "mesh: a-c up" wait_up a c 30
check "mesh: b-c up" wait_up b c 30
check "mesh: c sees a up" is_up c a
check "mesh: c sees b up" is_up c b

# --- kill -9 one daemon and start it again: relinks ---------------------
kill -KILL "$P3"
wait_status "$P3"
check "restart: a notices c is gone" wait_for 60 is_not_up a c
start_daemon c; P3=$DAEMON_PID
check "restart: a-c up again" wait_up a c 50
check "restart: b-c up again" wait_up b c 50
check "restart: a counts a reconnect" test "$(peer_field a c reconnects)" -ge 1
stop_all "$P1" "$P2" "$P3"

# --- a wrong pinned key: refused before any RSA work --------------------
# a pins x's key under the name b.
conf a "$PA" "peer \"b\" {
	connect to 127.0.0.1 port $PB
	public key \"$T_DIR/x/private.pem.pub\"
}"
conf b "$PB" "$(peer_block a "$PA")"
start_daemon a; P1=$DAEMON_PID
start_daemon b; P2=$DAEMON_PID
sleep 2.5
check "wrong key: no link" test "$(peer_field a b state)" != up
check "wrong key: a logs the refusal with the fingerprint" \
	grep -q "refusing key $(fp_of b)" "$T_DIR/a/log"
check "wrong key: b's side never comes up either" test "$(peer_field b a state)" != up
check "wrong key: a refuses b's key on b's inbound link too" \
	test "$(grep -c "refusing key $(fp_of b)" "$T_DIR/a/log")" -ge 2
check "wrong key: a did no RSA unwrap" test "$(daemon_field a rsa_unwraps)" = 0
check "wrong key: b did no RSA unwrap" test "$(daemon_field b rsa_unwraps)" = 0
check "wrong key: handshakes counted as failed" test "$(daemon_field a handshakes_failed)" -ge 1
stop_all "$P1" "$P2"

# --- a tampering proxy between a and b: the link closes and comes back --
PX=$(free_port)
for mode in "flip 700" "replay 4" "truncate 720"; do
	set -- $mode
	conf a "$PA" "$(peer_block b "$PX")"
	conf b "$PB" "$(peer_block a 0)"
	"$TAMPERPROXY" -l "$PX" -c "$PB" -m "$1" -n "$2" -T 30 \
		> "$T_DIR/proxy.out" 2> "$T_DIR/proxy.log" &
	PP=$!
	T_PIDS="$T_PIDS $PP"
	wait_for 50 grep -q ready "$T_DIR/proxy.out"
	start_daemon b; P2=$DAEMON_PID
	start_daemon a; P1=$DAEMON_PID
	check "tamper $1: the proxy tampered" wait_for 80 grep -qiE "$1|trunc|replay" "$T_DIR/proxy.log"
	check "tamper $1: a's link to b broke" wait_for 80 field_ge a b reconnects 1
	check "tamper $1: and came back" wait_up a b 80
	check "tamper $1: b logged why" grep -qE "did not verify|without CLOSE|closing|end of stream" "$T_DIR/b/log"
	stop_all "$P1" "$P2"
	kill "$PP" 2>/dev/null; wait "$PP" 2>/dev/null
done

# --- forced key updates keep the link up (test builds only) -----------
if grep -q '^#define NC_SANDBOX_TESTS 1' "$top_builddir/config.h"; then
	conf a "$PA" "$(peer_block b "$PB")"
	conf b "$PB" "$(peer_block a "$PA")"
	NETCRYPTD_TEST_KEYUPDATE_RECORDS=2 start_daemon a; P1=$DAEMON_PID
	NETCRYPTD_TEST_KEYUPDATE_RECORDS=2 start_daemon b; P2=$DAEMON_PID
	check "key update: link up" wait_up a b 20
	check "key update: several updates" wait_for 80 field_ge a b key_updates 3
	check "key update: still up, no reconnect" \
		test "$(peer_field a b state)" = up -a "$(peer_field a b reconnects)" = 0
	check "key update: b still up too" test "$(peer_field b a state)" = up
	stop_all "$P1" "$P2"
else
	echo "note: built without --enable-sandbox-tests: forced key updates not tested"
fi

t_done
