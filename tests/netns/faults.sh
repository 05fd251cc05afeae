#!/bin/bash
# Network faults between three daemons, each in a network namespace of
# its own, linked in a triangle by veth pairs (10.77.x.0/24 exists only
# inside these namespaces; the host's interfaces and routes are never
# touched).  Faults: a link cut for 10 s, 200 ms delay with 5% loss (tc
# netem; where the kernel lacks it, the 5% loss alone with nftables), a daemon
# restarted, and a network child killed with SIGKILL and its daemon
# started again.  During each, sessions send numbered messages and a
# file; afterwards every message with a `delivered` receipt arrived, and
# exactly once unless its receiving daemon was the one restarted (then at
# least once: PROTOCOL.md 7.4), every file is whole or reported failed,
# and the network children's peak RSS stayed under 64 MiB.
#
# "faults.sh spool" (faults-spool.sh in make check): messages with a
# lifetime instead (issue 18 (h)); tests/netns/spoolmode.sh says how.
MODE=${1:-plain}
case $MODE in
plain|spool) ;;
*) echo "usage: faults.sh [spool]" >&2; exit 2 ;;
esac
. "${top_srcdir:-.}/tests/integration/lib.sh"
[ "$MODE" = spool ] && . "$top_srcdir/tests/netns/spoolmode.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the stream client"
command -v ip >/dev/null || skip "needs ip (Debian package iproute2)"
NC="$top_builddir/netcrypt"
RAW="python3 $top_srcdir/tests/integration/rawsession.py"
PORT=55555
NS_PREFIX="ncT$$-"
NSLIST=""
FAULTS=0

ns_cleanup() {
	local ns
	t_cleanup
	for ns in $NSLIST; do
		ip netns del "$ns" 2>/dev/null
	done
}
trap ns_cleanup EXIT

if ! ip netns add "${NS_PREFIX}probe" 2>"$T_DIR/probe.err"; then
	skip "ip netns add refused: $(cat "$T_DIR/probe.err")"
fi
ip netns del "${NS_PREFIX}probe"

ns() { echo "${NS_PREFIX}$1"; }
for h in a b c; do
	ip netns add "$(ns "$h")" || { not_ok "netns $h"; t_done; }
	NSLIST="$NSLIST $(ns "$h")"
	ip -n "$(ns "$h")" link set lo up
done
# veth X Y NET: X gets 10.77.NET.1, Y gets 10.77.NET.2; device "to-Y" in X.
veth() {
	ip -n "$(ns "$1")" link add "to-$2" type veth peer name "to-$1" \
		netns "$(ns "$2")" &&
	ip -n "$(ns "$1")" addr add "10.77.$3.1/24" dev "to-$2" &&
	ip -n "$(ns "$2")" addr add "10.77.$3.2/24" dev "to-$1" &&
	ip -n "$(ns "$1")" link set "to-$2" up &&
	ip -n "$(ns "$2")" link set "to-$1" up
}
veth a b 1 && veth b c 2 && veth a c 3 || { not_ok "veth pairs"; t_done; }
# Addresses: a 10.77.1.1 (to b), 10.77.3.1 (to c); b 10.77.1.2, 10.77.2.1;
# c 10.77.2.2, 10.77.3.2.

HAVE_NETEM=0
if ip netns exec "$(ns a)" tc qdisc add dev to-b root netem delay 1ms \
	2>"$T_DIR/netem.err"; then
	ip netns exec "$(ns a)" tc qdisc del dev to-b root
	HAVE_NETEM=1
else
	echo "note: tc netem unavailable ($(cat "$T_DIR/netem.err")): no 200 ms delay can be injected (modprobe sch_netem)"
fi
# Without netem, the 5% loss still can be: nftables drops a random 5% of
# the packets that arrive on each end of the a-b pair.
HAVE_NFT=0
if [ "$HAVE_NETEM" = 0 ] && command -v nft >/dev/null &&
    ip netns exec "$(ns a)" nft add table inet ncprobe 2>"$T_DIR/nft.err"; then
	ip netns exec "$(ns a)" nft delete table inet ncprobe
	HAVE_NFT=1
elif [ "$HAVE_NETEM" = 0 ]; then
	echo "note: nftables unavailable ($(cat "$T_DIR/nft.err" 2>/dev/null || echo "no nft; Debian package nftables")): no loss can be injected either"
fi
# loss_on HOST DEV: drop 5% of what arrives on DEV in HOST's namespace.
loss_on() {
	ip netns exec "$(ns "$1")" nft -f - <<NFT
table inet ncfault {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "$2" numgen random mod 100 < 5 counter drop
	}
}
NFT
}
loss_off() { ip netns exec "$(ns "$1")" nft delete table inet ncfault; }
# Packets the rule dropped in HOST's namespace.
loss_count() {
	ip netns exec "$(ns "$1")" nft list table inet ncfault |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

for h in a b c; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
conf() {	# conf HOST ADDR1 ADDR2 PEER1 ADDR PEER2 ADDR
	local h=$1
	cat > "$T_DIR/$h/netcryptd.conf" <<CONF
name "$h"
listen on $2 port $PORT
listen on $3 port $PORT
private key "$T_DIR/$h/private.pem"
user "nobody"
chroot "$T_DIR/$h/empty"
spool { directory "$T_DIR/$h/spool" }
session socket "$T_DIR/$h/session.sock"
control socket "$T_DIR/$h/control.sock"
keepalive 1
queue timeout 90
peer "$4" {
	connect to $5 port $PORT
	public key "$T_DIR/$4/private.pem.pub"
}
peer "$6" {
	connect to $7 port $PORT
	public key "$T_DIR/$6/private.pem.pub"
}
CONF
}
conf a 10.77.1.1 10.77.3.1 b 10.77.1.2 c 10.77.3.2
conf b 10.77.1.2 10.77.2.1 a 10.77.1.1 c 10.77.2.2
conf c 10.77.2.2 10.77.3.2 a 10.77.3.1 b 10.77.2.1
[ "$MODE" = spool ] && spool_setup

# start HOST: the daemon in its namespace (ip netns exec execs it, so
# the pid is the daemon's); PID_<HOST> is set.
# shellcheck disable=SC2034  # set and read through eval
PID_a=""; PID_b=""; PID_c=""
# The log is appended to across restarts: wait for one more "started".
start() {
	local h=$1 before
	touch "$T_DIR/$h/log"
	before=$(grep -c "started: key-holder" "$T_DIR/$h/log")
	ip netns exec "$(ns "$h")" "$NETCRYPTD" -d -f "$T_DIR/$h/netcryptd.conf" \
		>> "$T_DIR/$h/log" 2>&1 &
	eval "PID_$h=$!"
	T_PIDS="$T_PIDS $!"
	check "$h started" wait_for 300 eval \
		"[ \$(grep -c 'started: key-holder' '$T_DIR/$h/log') -gt $before ]"
}
start a; start b; start c
check "triangle: a-b up" wait_up a b 100
check "triangle: b-c up" wait_up b c 100
check "triangle: a-c up" wait_up a c 100

# Peak RSS of the network children, recorded at each phase's end and
# before any restart.
MAXHWM=0
note_hwm() {	# note_hwm HOST
	local pid v
	pid=$(child_by_title "$(eval echo "\$PID_$1")" network) || return 0
	v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	[ -n "$v" ] && [ "$v" -gt "$MAXHWM" ] && MAXHWM=$v
	return 0
}

# listener HOST NAME: a receiver appending to $T_DIR/NAME.out, files
# into $T_DIR/NAME.in; LST_<NAME> is its pid.
listener() {
	local h=$1 n=$2 before
	mkdir -p "$T_DIR/$n.in"
	before=$(grep -c "session $n attached" "$T_DIR/$h/log")
	"$NC" -s "$T_DIR/$h/session.sock" -n "$n" listen -o "$T_DIR/$n.in" \
		>> "$T_DIR/$n.out" 2>> "$T_DIR/$n.err" &
	eval "LST_$n=$!"
	T_PIDS="$T_PIDS $!"
	check "listener $n attached on $h" wait_for 300 eval \
		"[ \$(grep -c 'session $n attached' '$T_DIR/$h/log') -gt $before ]"
}
# stream FROMHOST TO SECONDS TAG: numbered messages from a session
# called TAG, in the background, into $T_DIR/TAG.sent; STR_<TAG>.
stream() {
	$RAW "$T_DIR/$1/session.sock" stream "$4" "$2" "$3" "$4" \
		> "$T_DIR/$4.sent" 2> "$T_DIR/$4.sent.err" &
	eval "STR_$4=$!"
	T_PIDS="$T_PIDS $!"
}
# sendfile FROMHOST TO TAG: an 8 MiB file in the background; FIL_<TAG>.
sendfile() {
	head -c $((8 * 1024 * 1024)) /dev/urandom > "$T_DIR/$3.bin"
	"$NC" -s "$T_DIR/$1/session.sock" -n "f$3" send-file "$2" "$T_DIR/$3.bin" \
		> "$T_DIR/$3.file" 2>&1 &
	eval "FIL_$3=$!"
	T_PIDS="$T_PIDS $!"
}
# verify TAG RECEIVER FROMHOST ONCE: the stream's delivered messages all
# arrived at RECEIVER, exactly once if ONCE=1.
verify() {
	local tag=$1 r=$2 from=$1@$3 once=$4 nd miss dup pid
	pid=$(eval echo "\$STR_$tag")
	t_wait_gone "$pid" 1200 || not_ok "$tag: stream still running after 120 s"
	wait_status "$pid"
	nd=$(grep -c '^delivered' "$T_DIR/$tag.sent")
	echo "$tag: $(tail -n 1 "$T_DIR/$tag.sent"), $nd delivered," \
		"$(grep -c '^failed' "$T_DIR/$tag.sent") failed," \
		"$(grep -c '^unanswered' "$T_DIR/$tag.sent") unanswered"
	check "$tag: messages were delivered during the fault" test "$nd" -gt 0
	grep "^$from: $tag-" "$T_DIR/$r.out" | sed "s/^$from: $tag-//" | LC_ALL=C sort > "$T_DIR/$tag.got"
	awk '/^delivered/ {print $2}' "$T_DIR/$tag.sent" | LC_ALL=C sort > "$T_DIR/$tag.want"
	miss=$(LC_ALL=C comm -23 "$T_DIR/$tag.want" <(LC_ALL=C sort -u "$T_DIR/$tag.got") | wc -l)
	dup=$(uniq -d "$T_DIR/$tag.got" | wc -l)
	check "$tag: every delivered message arrived ($miss missing)" test "$miss" = 0
	if [ "$once" = 1 ]; then
		check "$tag: none arrived twice ($dup duplicates)" test "$dup" = 0
	else
		echo "$tag: $dup duplicate(s) after the receiving daemon's restart (at least once)"
	fi
}
# verify_file TAG RECEIVER: whole (sha256) or reported failed.
verify_file() {
	local tag=$1 r=$2 pid
	pid=$(eval echo "\$FIL_$tag")
	if ! t_wait_gone "$pid" 1800; then
		not_ok "$tag: send-file still running after 180 s"
		kill "$pid" 2>/dev/null
	fi
	RC=0; wait "$pid" 2>/dev/null || RC=$?
	if [ "$RC" = 0 ]; then
		check "$tag: file reported saved is whole (sha256)" test \
			"$(sha256sum < "$T_DIR/$tag.bin")" = "$(sha256sum < "$T_DIR/$r.in/$tag.bin")"
	else
		check "$tag: file not saved was reported failed ($(tail -n 1 "$T_DIR/$tag.file"))" \
			grep -q . "$T_DIR/$tag.file"
	fi
	rm -f "$T_DIR/$tag.bin" "$T_DIR/$r.in/$tag.bin"
}

# The end of either mode: the network children's memory, clean stops.
finish() {
	local h
	echo "faults injected: $FAULTS; network children's peak RSS: ${MAXHWM} kB"
	if grep -q '^#define NC_SANITIZERS 1' "$top_builddir/config.h"; then
		echo "note: sanitizer build: RSS bound not asserted (ASan quarantine)"
	else
		check "memory: every network child peaked under 64 MiB (${MAXHWM} kB)" \
			test "$MAXHWM" -lt 65536
	fi
	for h in a b c; do
		stop_pid "$(eval echo "\$PID_$h")"
		check "$h exits 0 on SIGTERM" test "$RC" = 0
	done
	t_done
}
if [ "$MODE" = spool ]; then
	spool_faults
	finish
fi

listener a ann
listener b bob
listener c cat

# --- 1. the a-b link cut for 10 s --------------------------------------
stream a bob@b 20 cut; stream c ann@a 20 cutby
sleep 3
ip -n "$(ns a)" link set to-b down
FAULTS=$((FAULTS + 1))
sendfile a bob@b cutf
check "cut: a notices b is gone" wait_for 100 is_not_up a b
sleep 7
ip -n "$(ns a)" link set to-b up
check "cut: a-b up again" wait_up a b 300
verify cut bob a 1
verify cutby ann c 1
verify_file cutf bob
note_hwm a; note_hwm b; note_hwm c

# --- 2. 200 ms delay and 5% loss on a-b ------------------------------------
if [ "$HAVE_NETEM" = 1 ]; then
	stream a bob@b 20 lossy
	sleep 2
	ip netns exec "$(ns a)" tc qdisc add dev to-b root netem delay 200ms loss 5%
	ip netns exec "$(ns b)" tc qdisc add dev to-a root netem delay 200ms loss 5%
	FAULTS=$((FAULTS + 1))
	sendfile a bob@b lossyf
	sleep 15
	ip netns exec "$(ns a)" tc qdisc del dev to-b root
	ip netns exec "$(ns b)" tc qdisc del dev to-a root
	check "netem: a-b up afterwards" wait_up a b 300
	verify lossy bob a 1
	verify_file lossyf bob
	note_hwm a; note_hwm b
elif [ "$HAVE_NFT" = 1 ]; then
	echo "note: fault 2 without netem: 5% loss each way (nftables), no added delay"
	stream a bob@b 20 lossy
	sleep 2
	loss_on a to-b && loss_on b to-a
	check "loss: nftables rules in place" test $? = 0
	FAULTS=$((FAULTS + 1))
	sendfile a bob@b lossyf
	sleep 15
	dropped=$(( $(loss_count a) + $(loss_count b) ))
	check "loss: packets were really dropped ($dropped)" test "$dropped" -gt 0
	loss_off a; loss_off b
	check "loss: a-b up afterwards" wait_up a b 300
	verify lossy bob a 1
	verify_file lossyf bob
	note_hwm a; note_hwm b
else
	echo "note: fault 2 (delay and loss) skipped: neither netem nor nftables"
fi

# --- 3. daemon c restarted ---------------------------------------------
stream a bob@b 15 rsby; stream a cat@c 15 rs
sleep 3
note_hwm c
sendfile a cat@c rsf
sleep 0.2
stop_pid "$PID_c"
check "restart: c exits 0 on SIGTERM" test "$RC" = 0
FAULTS=$((FAULTS + 1))
sleep 2
start c
listener c cat
check "restart: a-c up again" wait_up a c 300
check "restart: b-c up again" wait_up b c 300
verify rsby bob a 1
verify rs cat a 0
verify_file rsf cat
note_hwm a; note_hwm b; note_hwm c

# --- 4. kill -9 b's network child, then start b again -----------------
stream a cat@c 15 k9by; stream c bob@b 15 k9
sleep 3
sendfile c bob@b k9f
sleep 0.2
note_hwm b
NETB=$(child_by_title "$PID_b" network)
KHB=$(child_by_title "$PID_b" key-holder)
check "kill -9: found b's network child" test -n "$NETB"
kill -KILL "$NETB"
FAULTS=$((FAULTS + 1))
wait_status "$PID_b"
check "kill -9: b's master stops (status $RC)" test "$RC" != 0
check "kill -9: b's key-holder is gone too" t_wait_gone "${KHB:-0}" 50
check "kill -9: the death is logged" grep -q "network.*killed by signal 9" "$T_DIR/b/log"
sleep 1
start b
listener b bob
check "kill -9: a-b up again" wait_up a b 300
check "kill -9: c-b up again" wait_up c b 300
verify k9by cat a 1
verify k9 bob c 0
verify_file k9f bob
note_hwm a; note_hwm b; note_hwm c

finish
