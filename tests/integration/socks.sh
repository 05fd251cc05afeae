#!/bin/bash
# Outgoing links through SOCKS5 proxies on loopback: Debian's microsocks
# (without and with RFC 1929 authentication), and our own recording
# server (socksserver.py), which shows that a proxied peer's name is sent
# to the proxy as ATYP 3 and never resolved locally, that refusals are
# logged by name, that the handshake timeout covers the exchange, and
# that a proxy that is down never leads to a direct connection.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the test SOCKS5 server"
NC="$top_builddir/netcrypt"
SOCKSSERVER="python3 $top_srcdir/tests/integration/socksserver.py"

for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done

stop_all() {	# stop_all PID...: each must exit 0
	local pid
	for pid in "$@"; do
		stop_pid "$pid"
		[ "$RC" = 0 ] || not_ok "daemon $pid exited with $RC"
	done
}

# deliver: a message from alice@a reaches bob@b over the link.
deliver() {
	local out=$T_DIR/bob.out before
	before=$(grep -c "session bob attached" "$T_DIR/b/log")
	"$NC" -s "$T_DIR/b/session.sock" -n bob listen -c 1 > "$out" 2>&1 &
	LPID=$!
	T_PIDS="$T_PIDS $LPID"
	wait_for 50 eval '[ "$(grep -c "session bob attached" "$T_DIR/b/log")" -gt "$before" ]' ||
		return 1
	"$NC" -s "$T_DIR/a/session.sock" -n alice send bob@b "$1" || return 1
	wait_status "$LPID"
	[ "$RC" = 0 ] && [ "$(cat "$out")" = "alice@a: $1" ]
}

# start_server NAME args...: socksserver.py in the background; sets SPID
# and SPORT (the port it chose), its log is $T_DIR/NAME.log.
start_server() {
	local n=$1; shift
	rm -f "$T_DIR/$n.port"
	$SOCKSSERVER "$T_DIR/$n.port" "$T_DIR/$n.log" --lifetime 120 "$@" \
		2> "$T_DIR/$n.err" &
	SPID=$!
	T_PIDS="$T_PIDS $SPID"
	wait_for 50 test -s "$T_DIR/$n.port" || return 1
	SPORT=$(cat "$T_DIR/$n.port")
}

stop_server() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# b accepts a (inbound only): every link below is a's, through the proxy.
write_conf b "$PB" "keepalive 2" "$(peer_block a 0)"

# --- microsocks, no authentication -----------------------------------------
if command -v microsocks >/dev/null; then
	PM=$(free_port)
	while [ "$PM" = "$PA" ] || [ "$PM" = "$PB" ]; do PM=$(free_port); done
	microsocks -i 127.0.0.1 -p "$PM" > "$T_DIR/ms.log" 2>&1 &
	MPID=$!
	T_PIDS="$T_PIDS $MPID"
	wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PM" 2>/dev/null
	write_conf a "$PA" "keepalive 2" \
		"$(peer_block b "$PB" "proxy socks5 127.0.0.1 port $PM")"
	start_daemon b; P2=$DAEMON_PID
	start_daemon a; P1=$DAEMON_PID
	check "microsocks: link up" wait_up a b 100
	check "microsocks: b sees a up, inbound" \
		test "$(peer_field b a state)/$(peer_field b a direction)" = up/in
	check "microsocks: a's link is outbound via the proxy" \
		test "$(peer_field a b address)" = "127.0.0.1:$PB via 127.0.0.1:$PM"
	check "microsocks: the proxy made the connection" \
		grep -q "connected to 127.0.0.1:$PB" "$T_DIR/ms.log"
	check "microsocks: a message delivered" deliver "through microsocks"
	stop_all "$P1" "$P2"
	stop_server "$MPID"

	# --- microsocks with a user and password (RFC 1929) ---------------
	microsocks -i 127.0.0.1 -p "$PM" -u nc-user -P 's3cret pw' \
		> "$T_DIR/ms2.log" 2>&1 &
	MPID=$!
	T_PIDS="$T_PIDS $MPID"
	wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PM" 2>/dev/null
	write_conf a "$PA" "keepalive 2" "$(peer_block b "$PB" \
		"proxy socks5 127.0.0.1 port $PM" \
		"proxy user \"nc-user\" password \"s3cret pw\"")"
	start_daemon b; P2=$DAEMON_PID
	start_daemon a; P1=$DAEMON_PID
	check "microsocks auth: link up" wait_up a b 100
	check "microsocks auth: the proxy made the connection" \
		grep -q "connected to 127.0.0.1:$PB" "$T_DIR/ms2.log"
	check "microsocks auth: a message delivered" deliver "with a password"
	stop_all "$P1"
	# The wrong password: refused, logged, never a link.
	write_conf a "$PA" "keepalive 2" "$(peer_block b "$PB" \
		"proxy socks5 127.0.0.1 port $PM" \
		"proxy user \"nc-user\" password \"wrong\"")"
	start_daemon a; P1=$DAEMON_PID
	check "microsocks wrong password: logged" wait_for 50 grep -q \
		"SOCKS5 proxy: the proxy refused the user name and password" "$T_DIR/a/log"
	check "microsocks wrong password: no link" test "$(peer_field a b state)" != up
	check "microsocks wrong password: not counted as a handshake" \
		test "$(daemon_field a handshakes_failed)" = 0
	check "microsocks wrong password: the password is not logged" \
		bash -c "! grep -q wrong '$T_DIR/a/log'"
	stop_all "$P1" "$P2"
	stop_server "$MPID"
else
	echo "SKIP: microsocks (Debian package microsocks) is not installed:" \
		"the tests through a real SOCKS5 server are not run"
fi

# --- a name that cannot resolve, through the global proxy -----------------
# Only the proxy knows what hostb.invalid is: the daemon must neither ask
# the master to resolve it nor connect anywhere but the proxy.  No user
# is configured: a random one per peer is offered.  The proxy itself is
# given by name, which the master may resolve (localhost: 127.0.0.1 or
# ::1, where the server listens too).
start_server rec --also-ipv6 --map "hostb.invalid=$PB"; RPID=$SPID; PR=$SPORT
write_conf a "$PA" "keepalive 2" "proxy socks5 localhost port $PR" "peer \"b\" {
	connect to \"hostb.invalid\" port $PB
	public key \"$T_DIR/b/private.pem.pub\"
}"
start_daemon b; P2=$DAEMON_PID
start_daemon a; P1=$DAEMON_PID
check "no DNS: link up through the recording proxy, found by name" wait_up a b 100
check "no DNS: a's address names the peer's host and the proxy" \
	grep -qE "^hostb.invalid:$PB via (127.0.0.1|\[::1\]):$PR\$" <<<"$(peer_field a b address)"
check "no DNS: the proxy got ATYP 3 with the name and port" \
	grep -q "atyp=3 host=hostb.invalid port=$PB\$" "$T_DIR/rec.log"
check "no DNS: with a random user (method 2)" \
	grep -qE "^method=2 user=netcryptd-[0-9a-f]{16} atyp=3" "$T_DIR/rec.log"
check "no DNS: the master was never asked to resolve it" \
	bash -c "! grep -q 'resolve' '$T_DIR/a/log'"
check "no DNS: a message delivered" deliver "no lookup"
# The same user on the next link: one circuit per peer, not per link.
kill -KILL "$P2"; wait_status "$P2"
check "no DNS: a notices b is gone" wait_for 80 is_not_up a b
start_daemon b; P2=$DAEMON_PID
check "no DNS: relinked through the proxy" wait_up a b 80
check "no DNS: the same random user both times" \
	test "$(grep -c "atyp=3" "$T_DIR/rec.log")" -ge 2 -a \
	"$(grep -o 'user=[^ ]*' "$T_DIR/rec.log" | sort -u | wc -l)" = 1
stop_all "$P1" "$P2"
stop_server "$RPID"

# --- refusals are logged by name ---------------------------------------
for code in 0x04 0xf0 0xf6; do
	case $code in
	0x04) name="host unreachable" ;;
	0xf0) name="onion service descriptor not found" ;;
	0xf6) name="onion service address invalid" ;;
	esac
	start_server "ref$code" --reply "$code"; RPID=$SPID
	write_conf a "$PA" "$(peer_block b "$PB" \
		"proxy socks5 127.0.0.1 port $SPORT")"
	start_daemon a; P1=$DAEMON_PID
	check "reply $code: logged as \"$name\"" wait_for 50 grep -q \
		"CONNECT to 127.0.0.1 port $PB refused: $name ($code)" "$T_DIR/a/log"
	check "reply $code: no link" test "$(peer_field a b state)" != up
	stop_all "$P1"
	stop_server "$RPID"
done

# --- a proxy that never answers: the handshake timeout covers it -------
start_server stall --stall; RPID=$SPID
write_conf a "$PA" "handshake timeout 2" "$(peer_block b "$PB" \
	"proxy socks5 127.0.0.1 port $SPORT")"
start_daemon a; P1=$DAEMON_PID
check "stalled proxy: timed out and logged" wait_for 60 grep -q \
	"SOCKS5 exchange not finished in 2 seconds" "$T_DIR/a/log"
stop_all "$P1"
stop_server "$RPID"

# --- a proxy that is down: no direct connection ---------------------------
# The peer's address has a plain listener that logs every connection.
start_server direct --listen-only; LSPID=$SPID; PL=$SPORT
PD=$(free_port)
while [ "$PD" = "$PA" ] || [ "$PD" = "$PB" ] || [ "$PD" = "$PL" ]; do PD=$(free_port); done
write_conf a "$PA" "$(peer_block b "$PL" "proxy socks5 127.0.0.1 port $PD")"
start_daemon a; P1=$DAEMON_PID
check "proxy down: logged, no direct connection" wait_for 50 grep -q \
	"cannot reach the SOCKS5 proxy: Connection refused; no direct connection is made" \
	"$T_DIR/a/log"
# Backoff: 1 s, then about 2 s: wait for a second attempt.
check "proxy down: retried through the proxy only" wait_for 80 eval \
	'[ "$(grep -c "cannot reach the SOCKS5 proxy" "$T_DIR/a/log")" -ge 2 ]'
check "proxy down: the peer's listener saw no connection" \
	test "$(grep -c accepted "$T_DIR/direct.log")" = 0
check "proxy down: the listener works (sanity)" \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$PL && sleep 0.3 && grep -q accepted '$T_DIR/direct.log'"
stop_all "$P1"
stop_server "$LSPID"

# --- "proxy none" in a peer overrides the global proxy (which is down) ---
write_conf a "$PA" "proxy socks5 127.0.0.1 port $PD" \
	"$(peer_block b "$PB" "proxy none")"
start_daemon b; P2=$DAEMON_PID
start_daemon a; P1=$DAEMON_PID
check "proxy none: a direct link, up" wait_up a b 100
check "proxy none: to b's own address" \
	test "$(peer_field a b address)" = "127.0.0.1:$PB"
check "proxy none: nothing tried through the global proxy" \
	bash -c "! grep -q SOCKS5 '$T_DIR/a/log'"

# --- a reload that gives the peer a proxy: used from its next link on ---
start_server rl; RLPID=$SPID; PRL=$SPORT
write_conf a "$PA" "proxy socks5 127.0.0.1 port $PD" \
	"$(peer_block b "$PB" "proxy socks5 127.0.0.1 port $PRL")"
check "reload to a proxy: accepted" ctl a reload
check "reload to a proxy: the up link is kept" is_up a b
stop_all "$P2"
start_daemon b; P2=$DAEMON_PID
check "reload to a proxy: relinked" wait_up a b 100
check "reload to a proxy: the new link went through it" \
	grep -q "atyp=1 host=127.0.0.1 port=$PB\$" "$T_DIR/rl.log"
check "reload to a proxy: shown as via the proxy" \
	test "$(peer_field a b address)" = "127.0.0.1:$PB via 127.0.0.1:$PRL"
stop_server "$RLPID"
stop_all "$P1" "$P2"

t_done
