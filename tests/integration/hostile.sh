#!/bin/bash
# Hostile load (doc/PROTOCOL.md 6.3, netcryptd(8) DENIAL OF SERVICE): an
# attacker on the real peers' own address (127.0.0.1, as behind Tor) who
# knows every public key.  The victim a has an RSA-3072 key (the default
# size) and only inbound peers: b has linked with it before, c and d
# never have.
#   hold:  80 connections that each send HELLO(b's key) and a KEY, then
#          wait, reopened as soon as a closes one
#   flood: 1,000 connections a second that send HELLO(b's key) and a KEY
#          and close at once
# During each: b's link, cut with ss -K, is back within 5 s; a never-
# linked peer links within 5 s of the attack's end; the key-holder uses
# at most about half a core; a's log grows by a bounded number of lines;
# the unwraps done for the attacker stay within the unwrap rate.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v ss >/dev/null || skip "needs ss (iproute2)"
HOSTILE="$top_builddir/tests/integration/hostile"
HZ=$(getconf CLK_TCK)

mkdir -p "$T_DIR/a/empty" && chmod 755 "$T_DIR/a" "$T_DIR/a/empty"
"$KEYGEN" -q -b 3072 -f "$T_DIR/a/private.pem" || { not_ok "keygen a"; t_done; }
for h in b c d; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port)
write_conf a "$PA" "keepalive 1" "$(peer_block b 0)" "$(peer_block c 0)" \
	"$(peer_block d 0)"
for h in b c d; do
	p=$(free_port)
	while [ "$p" = "$PA" ]; do p=$(free_port); done
	write_conf "$h" "$p" "keepalive 1" "$(peer_block a "$PA")"
done
start_daemon a; PIDA=$DAEMON_PID
start_daemon b
check "b links with a" wait_up a b 100
KH=$(child_by_title "$PIDA" key-holder)
NET=$(child_by_title "$PIDA" network)

# utime + stime; the title in the comm field has a space, so from ") ".
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# A counter of a's `show --json`; 0 if it has none.
counter() {
	local v
	v=$(daemon_field a "$1")
	case $v in ''|*[!0-9]*) echo 0 ;; *) echo "$v" ;; esac
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# cut_link HOST PEER: kill the TCP connection of HOST's link to PEER.
cut_link() {
	local port
	port=$(peer_field "$1" "$2" address)
	port=${port##*:}
	ss -K "( sport = :$port or dport = :$port )" >/dev/null 2>&1
}
# relink_ms HOST PEER: cut the link, then the milliseconds until it is
# up again (99999 if not within 15 s).
relink_ms() {
	local before t0 i
	before=$(peer_field "$1" "$2" reconnects)
	t0=$(now_ms)
	cut_link "$1" "$2"
	for i in $(seq 1 150); do
		if [ "$(peer_field "$1" "$2" reconnects)" -gt "$before" ] &&
		    is_up "$1" "$2"; then
			echo $(( $(now_ms) - t0 ))
			return
		fi
		sleep 0.1
	done
	echo 99999
}
# Measure the key-holder, the network child and the log over an attack.
measure_start() {
	M_T0=$(now_ms); M_KH=$(ticks "$KH"); M_NET=$(ticks "$NET")
	M_LOG=$(wc -l < "$T_DIR/a/log")
	M_DONE=$(counter rsa_unwraps)
	M_REF=$(counter unwraps_refused)
	M_CAN=$(counter unwraps_cancelled)
}
measure_end() {	# sets the percentages (of one core) and the deltas
	local ms=$(( $(now_ms) - M_T0 ))
	KH_PCT=$(( ( $(ticks "$KH") - M_KH ) * 100000 / HZ / ms ))
	NET_PCT=$(( ( $(ticks "$NET") - M_NET ) * 100000 / HZ / ms ))
	LOG_PER_S=$(( ( $(wc -l < "$T_DIR/a/log") - M_LOG ) * 1000 / ms ))
	D_DONE=$(( $(counter rsa_unwraps) - M_DONE ))
	D_REF=$(( $(counter unwraps_refused) - M_REF ))
	D_CAN=$(( $(counter unwraps_cancelled) - M_CAN ))
	D_SEC=$(( ms / 1000 ))
	[ "$D_SEC" -gt 0 ] || D_SEC=1
}
after_ms() {	# milliseconds until HOST PEER is up, from now, bounded
	local t0 i
	t0=$(now_ms)
	for i in $(seq 1 100); do
		is_up "$1" "$2" && { echo $(( $(now_ms) - t0 )); return; }
		sleep 0.1
	done
	echo 99999
}

RATE=$(counter unwrap_rate)
echo "figure: unwrap rate auto with RSA-3072: $RATE/s"
check "the auto unwrap rate fits an RSA-3072 key (50..1000/s: $RATE)" \
	[ "$RATE" -ge 50 ] && [ "$RATE" -le 1000 ]

# attack NAME NEWPEER HOSTILE-ARGS...: run the attacker with b's public
# key; 3 s in, cut b's link and time its return; start NEWPEER (which
# never linked with a) and time it from the attack's end; measure a from
# 2 s into the attack (after a quiet time the unwrap rate allows a burst
# of one second's worth at full speed, doc/PROTOCOL.md 6.3: what must
# hold is the steady state); then the checks common to every attack.
attack() {
	local name=$1 newpeer=$2 pid ms
	shift 2
	"$HOSTILE" -p "$PA" -k "$T_DIR/b/private.pem.pub" -b 384 "$@" \
		> "$T_DIR/$name.out" 2>&1 &
	pid=$!
	T_PIDS="$T_PIDS $pid"
	sleep 2
	measure_start
	sleep 1
	ms=$(relink_ms a b)
	echo "figure: $name: b relinked in $ms ms"
	check "$name: b (linked before) relinks within 5 s ($ms ms)" \
		[ "$ms" -le 5000 ]
	start_daemon "$newpeer"
	wait_status "$pid"
	measure_end
	ms=$(after_ms a "$newpeer")
	echo "figure: $name: $newpeer (never linked) up $ms ms after the attack"
	check "$name: $newpeer (never linked) links within 5 s of the end ($ms ms)" \
		[ "$ms" -le 5000 ]
	echo "figure: $name: key-holder ${KH_PCT}% of a core, network" \
		"${NET_PCT}%, log ${LOG_PER_S} lines/s, unwraps $D_DONE done" \
		"$D_REF refused $D_CAN cancelled in ${D_SEC} s"
	sed "s/^/figure: $name: attacker /" "$T_DIR/$name.out"
	check "$name: the key-holder leaves half a core free (${KH_PCT}%)" \
		[ "$KH_PCT" -le 50 ]
	check "$name: the log grows by at most 20 lines a second ($LOG_PER_S)" \
		[ "$LOG_PER_S" -le 20 ]
}
attacker() {	# attacker NAME FIELD: a figure the attacker printed
	awk -v f="$2" '$1 == f {print $2}' "$T_DIR/$1.out"
}

# ---- hold: every slot taken by handshakes past KEY, reopened ----------
attack hold c -m hold -N 80 -T 14
BUSY=$(attacker hold busy)
check "hold: the attacker was evicted and told BUSY (${BUSY:-0})" \
	[ "${BUSY:-0}" -gt 0 ]
check "hold: handshakes over the unwrap rate were refused ($D_REF)" \
	[ "$D_REF" -gt 0 ]
# The auto rate follows what unwraps really cost: the bound is the
# higher of the rate at start and the rate it came to.
RATE_NOW=$(counter unwrap_rate)
[ "$RATE_NOW" -gt "$RATE" ] || RATE_NOW=$RATE
check "hold: unwraps within the rate ($D_DONE in ${D_SEC} s, rate $RATE_NOW)" \
	[ "$D_DONE" -le $(( RATE_NOW * (D_SEC + 2) )) ]

# ---- flood: HELLO + KEY and gone, 1,000 a second -------------------------
attack flood d -m flood -r 1000 -T 10
OPENED=$(attacker flood opened)
check "flood: at least 5,000 connections made (${OPENED:-0})" \
	[ "${OPENED:-0}" -ge 5000 ]
check "flood: closed connections cost no unwrap ($D_DONE for $OPENED)" \
	[ "$D_DONE" -le $(( ${OPENED:-0} / 10 )) ]
check "flood: their requests were dropped unworked ($D_CAN)" \
	[ "$D_CAN" -gt 0 ]
check "a still runs" kill -0 "$PIDA"
no_fatal() { ! grep -q "fatal" "$T_DIR/a/log"; }
check "no fatal line in a's log" no_fatal
t_done
