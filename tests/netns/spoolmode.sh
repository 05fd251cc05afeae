# shellcheck shell=bash disable=SC2154,SC2153  # names set by faults.sh
# The spool mode of tests/netns/faults.sh ("faults.sh spool"; sourced by
# it, which sets up the namespaces and the daemons): issue 18 (h).
#
# Messages with a lifetime of an hour go from alice on a and carl on c to
# bob on b.  a reaches b only through delayproxy.py in b's namespace,
# which holds everything 100 ms each way (the delay fault, for the whole
# run); b does not dial a.  Meanwhile:
#   1. 5% loss each way on a-b (netem, else nftables) from here to the
#      end of 3; bob attached and taking; b killed -9 (the daemon and its
#      children at once).
#   2. bob detached; the a-b link down and a's connection killed (ss -K);
#      a restarted (SIGTERM) during the cut.
#   3. bob attached again; a's connection killed mid-stream (ss -K); b
#      restarted (SIGTERM) while bob takes; the loss ends.
#   4. bob detached; the a-b link down; a killed -9 with messages for b
#      still in its spool; restarted; the link back; bob attached.
# In the end every message queued was taken by bob exactly once, in order
# per sender, and both senders hear "delivered" (0) for each by QUERY.
# A daemon that stops before it saw a TAKEN hands that id again
# (SESSIONS.md 6); the receiving program, like libnetcrypt, keeps the
# first copy of an id, so that is what is counted.  Everything is bounded:
# about a minute when it passes.

SC="python3 $top_srcdir/tests/integration/spoolclient.py"

# spool_setup: a's connection to b through the proxy, b inbound only for
# a (so that no direct link bypasses the proxy), the proxy started.
spool_setup() {
	PPORT=$((PORT + 1))	# the proxy's
	sed -i "s/connect to 10.77.1.2 port $PORT\$/connect to 10.77.1.2 port $PPORT/" \
		"$T_DIR/a/netcryptd.conf"
	sed -i "/connect to 10.77.1.1 port $PORT\$/d" "$T_DIR/b/netcryptd.conf"
	ip netns exec "$(ns b)" python3 "$top_srcdir/tests/netns/delayproxy.py" \
		10.77.1.2 "$PPORT" 10.77.1.2 "$PORT" 100 600 \
		> "$T_DIR/proxy.out" 2> "$T_DIR/proxy.err" &
	T_PIDS="$T_PIDS $!"
	check "spool: the delay proxy listens in b's namespace" \
		wait_for 100 grep -q ready "$T_DIR/proxy.out"
}

sc() { local h=$1; shift; $SC "$T_DIR/$h/session.sock" "$@"; }

# kill9 HOST: SIGKILL to the daemon and all its children at once, as a
# crash would; waits (bounded) until they are gone.
kill9() {
	local pid kids k
	pid=$(eval echo "\$PID_$1")
	kids=$(child_pids "$pid")
	# shellcheck disable=SC2086
	kill -KILL "$pid" $kids 2>/dev/null
	wait "$pid" 2>/dev/null
	for k in $kids; do t_wait_gone "$k" 50; done
	FAULTS=$((FAULTS + 1))
	return 0
}

# put HOST NAME COUNT TAG: COUNT messages "TAG-1"... of 600 bytes with a
# lifetime of an hour to bob@b, all accepted; ids in $T_DIR/TAG.ids.
put() {
	local out
	out=$(sc "$1" put "$2" bob@b 3600 "$3" "$4" 256 600 2> "$T_DIR/$4.ids")
	check "spool: $4: $3 queued on $1" test "$out" = "queued $3 refused 0"
	seq -f "$4-%g" 1 "$3" >> "$T_DIR/want.$2"
}

# take N: bob attaches on b in the background, taking and printing
# "ID TEXT" into $T_DIR/take.N until b goes (or 60 s idle); TAKE_N.
take() {
	local before
	before=$(grep -c "session bob attached" "$T_DIR/b/log")
	sc b take bob 1000000 60 ids > "$T_DIR/take.$1" 2> "$T_DIR/take.$1.err" &
	eval "TAKE_$1=$!"
	T_PIDS="$T_PIDS $!"
	check "spool: bob attached on b ($1)" wait_for 100 eval \
		"[ \$(grep -c 'session bob attached' '$T_DIR/b/log') -gt $before ]"
}
# What bob has taken: the first copy of each id, in the order taken.
firsts() { cat "$T_DIR"/take.[0-9] | awk '!seen[$1]++ {print $2}'; }
taken_ge() { [ "$(firsts | grep -c "^$1")" -ge "$2" ]; }

# cut_ss: a's TCP connections to b (to the proxy) killed: a cut that
# both ends see at once (the proxy closes its side to b).
cut_ss() {
	ip netns exec "$(ns a)" ss -K -t -n dst 10.77.1.2 > "$T_DIR/ss.out" 2>&1
	FAULTS=$((FAULTS + 1))
	grep -q "10.77.1.2:$PPORT" "$T_DIR/ss.out"
}

# The 5% loss on a-b, both ways: netem where the kernel has it, else
# nftables (faults.sh's loss_on), else none (noted).
spool_loss_on() {
	if [ "$HAVE_NETEM" = 1 ]; then
		ip netns exec "$(ns a)" tc qdisc add dev to-b root netem loss 5%
		ip netns exec "$(ns b)" tc qdisc add dev to-a root netem loss 5%
	elif [ "$HAVE_NFT" = 1 ]; then
		loss_on a to-b && loss_on b to-a
		check "spool: nftables loss rules in place" test $? = 0
	else
		echo "note: no loss injected: neither netem nor nftables"
		return 0
	fi
	FAULTS=$((FAULTS + 1))
}
spool_loss_off() {
	local dropped
	if [ "$HAVE_NETEM" = 1 ]; then
		ip netns exec "$(ns a)" tc qdisc del dev to-b root
		ip netns exec "$(ns b)" tc qdisc del dev to-a root
	elif [ "$HAVE_NFT" = 1 ]; then
		dropped=$(( $(loss_count a) + $(loss_count b) ))
		check "spool: loss: packets were really dropped ($dropped)" \
			test "$dropped" -gt 0
		loss_off a; loss_off b
	fi
}

# The statuses of the ids in the .ids files of HOST's sender, counted
# ("0:N" when all are delivered).
statuses() {
	# shellcheck disable=SC2046
	sc "$1" query q $(awk '$1 == "id" {print $3}' "$T_DIR/$2"?.ids) |
		awk '{print $2}' | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}
all_delivered() { [ "$(statuses "$1" "$2")" = "0:$3 " ]; }
# last_is HOST TAG STATUS: the last message of TAG has that status (those
# before it too, since a peer takes them in order).
last_is() {
	[ "$(sc "$1" query q "$(awk '$1 == "id" {print $3}' "$T_DIR/$2.ids" |
		tail -n 1)" | awk '{print $2}')" = "$3" ]
}

spool_faults() {
	local t0=$SECONDS kept na nc

	# 1. loss and delay; bob taking; b killed -9 in the middle.
	take 1
	spool_loss_on
	put a alice 1000 a1
	put c carl 500 c1
	check "spool 1: bob takes through the loss and the delay" \
		wait_for 300 taken_ge a1- 100
	note_hwm b
	kill9 b
	wait_status "$TAKE_1"
	echo "spool 1: bob took $(firsts | wc -l) before b was killed"
	start b
	check "spool 1: a-b up again (through the proxy, with loss)" wait_up a b 300
	check "spool 1: c-b up again" wait_up c b 300

	# 2. bob detached; a cut; a restarted during it.
	put a alice 1000 a2
	ip -n "$(ns a)" link set to-b down
	check "spool 2: ss -K killed a's connection to b" cut_ss
	check "spool 2: a notices b is gone" wait_for 100 is_not_up a b
	stop_pid "$PID_a"
	check "spool 2: a exits 0 on SIGTERM during the cut" test "$RC" = 0
	FAULTS=$((FAULTS + 1))
	start a
	ip -n "$(ns a)" link set to-b up
	check "spool 2: a-b up again" wait_up a b 300
	check "spool 2: all of a2 at b's spool (14) while bob is detached" \
		wait_for 300 last_is a a2 14

	# 3. bob takes again; a cut mid-stream; b restarted while he takes;
	# the loss ends.
	take 2
	put a alice 500 a3
	check "spool 3: ss -K killed a's connection to b mid-stream" cut_ss
	check "spool 3: a-b up again after the cut" wait_up a b 300
	check "spool 3: bob takes a3" wait_for 300 taken_ge a3- 50
	stop_pid "$PID_b"
	check "spool 3: b exits 0 on SIGTERM while bob takes" test "$RC" = 0
	FAULTS=$((FAULTS + 1))
	wait_status "$TAKE_2"
	start b
	check "spool 3: a-b up again after b's restart" wait_up a b 300
	spool_loss_off

	# 4. bob detached; a killed -9 with messages for b in its spool.
	ip -n "$(ns a)" link set to-b down
	FAULTS=$((FAULTS + 1))
	put a alice 500 a4
	note_hwm a; note_hwm b; note_hwm c
	kill9 a
	start a
	kept=$(grep "spool: .* entries kept" "$T_DIR/a/log" | tail -n 1 |
		sed -E 's/.*spool: ([0-9]+) entries.*/\1/')
	check "spool 4: a kept its 500 unsent across kill -9 (${kept:-none})" \
		test "${kept:-0}" -ge 500
	ip -n "$(ns a)" link set to-b up
	check "spool 4: a-b up again" wait_up a b 300
	take 3

	na=$(wc -l < "$T_DIR/want.alice"); nc=$(wc -l < "$T_DIR/want.carl")
	check "spool: bob took all $((na + nc))" wait_for 1200 eval \
		"[ \$(firsts | wc -l) -ge $((na + nc)) ]"
	check "spool: alice@a hears delivered for all $na" \
		wait_for 100 all_delivered a a "$na"
	check "spool: carl@c hears delivered for all $nc" \
		wait_for 100 all_delivered c c "$nc"
	note_hwm a; note_hwm b; note_hwm c
	stop_pid "$TAKE_3"
	check "spool: every a-b link went through the delay proxy ($(grep -c conn "$T_DIR/proxy.err") connections)" \
		test "$(grep -c conn "$T_DIR/proxy.err")" -ge 5
	firsts | sed 's/\.*$//' > "$T_DIR/got"
	check "spool: alice's messages, each once, in order" \
		cmp -s "$T_DIR/want.alice" <(grep '^a' "$T_DIR/got")
	check "spool: carl's messages, each once, in order" \
		cmp -s "$T_DIR/want.carl" <(grep '^c' "$T_DIR/got")
	check "spool: nothing else taken" \
		test "$(wc -l < "$T_DIR/got")" = $((na + nc))
	echo "spool: $(cat "$T_DIR"/take.[0-9] | wc -l) SDELIVERs taken for" \
		"$(wc -l < "$T_DIR/got") messages (the rest: an id again after a" \
		"restart); $((SECONDS - t0)) s"
}
