#!/bin/bash
# The rekey of an up link (doc/PROTOCOL.md 7.8) under traffic: two daemons
# rekey every second (and a every 1 MiB), while sessions chat both ways
# with receipts; after a reload to an hour, a file goes across, rekeyed by
# its bytes alone.  No message is lost or doubled, the link never breaks,
# and both sides count the rekeys.  Then evilpeer ignores b's rekey (the
# link is closed after three keepalives, at least 10 s) or answers or
# starts one with a low-order point (protocol error).  In test builds the
# key updates of 7.6 are forced every few records too, so the two kinds of
# switch interleave.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
NC="$top_builddir/netcrypt"
N=3000

for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done

ku=""
if grep -q '^#define NC_SANDBOX_TESTS 1' "$top_builddir/config.h"; then
	ku=7
else
	echo "note: built without --enable-sandbox-tests: key updates not forced"
fi
write_conf a "$PA" "rekey interval 1s" "rekey bytes 1M" "$(peer_block b "$PB")"
write_conf b "$PB" "rekey interval 1" "$(peer_block a 0)"
NETCRYPTD_TEST_KEYUPDATE_RECORDS=$ku start_daemon b; PIDB=$DAEMON_PID
NETCRYPTD_TEST_KEYUPDATE_RECORDS=$ku start_daemon a; PIDA=$DAEMON_PID
check "link up" wait_up a b 50

na() { "$NC" -s "$T_DIR/a/session.sock" "$@"; }
nb() { "$NC" -s "$T_DIR/b/session.sock" "$@"; }
attached() { grep -q "session $2 attached" "$T_DIR/$1/log"; }

# --- idle: the interval alone starts rekeys ------------------------------
check "idle link: a counts rekeys" wait_for 60 field_ge a b rekeys 2
check "idle link: b counts rekeys" wait_for 60 field_ge b a rekeys 2

# --- messages both ways, paced over several seconds of rekeys -----------
# paced FILE: the lines of FILE in 30 slices, a tenth of a second apart.
paced() {
	local n i
	n=$(( $(wc -l < "$1") / 30 + 1 ))
	for i in $(seq 0 29); do
		sed -n "$((i * n + 1)),$(((i + 1) * n))p" "$1"
		sleep 0.1
	done
}
seq 1 $N | sed 's/^/a2b /' > "$T_DIR/a2b.in"
seq 1 $N | sed 's/^/b2a /' > "$T_DIR/b2a.in"
nb -n bob listen -c $N > "$T_DIR/bob.out" 2> "$T_DIR/bob.err" &
LB=$!
na -n alice listen -c $N > "$T_DIR/alice.out" 2> "$T_DIR/alice.err" &
LA=$!
T_PIDS="$T_PIDS $LA $LB"
wait_for 50 attached b bob
wait_for 50 attached a alice
ra0=$(peer_field a b rekeys); rb0=$(peer_field b a rekeys)
paced "$T_DIR/a2b.in" | na -n alice2 chat bob@b > /dev/null 2> "$T_DIR/a2b.err" &
CA=$!
paced "$T_DIR/b2a.in" | nb -n bob2 chat alice@a > /dev/null 2> "$T_DIR/b2a.err" &
CB=$!
T_PIDS="$T_PIDS $CA $CB"
wait_status "$CA"; rca=$RC
wait_status "$CB"; rcb=$RC
wait_for 100 bash -c "! kill -0 $LA 2>/dev/null && ! kill -0 $LB 2>/dev/null"
check "a to b: every receipt ok (exit $rca)" test "$rca" = 0 -a ! -s "$T_DIR/a2b.err"
check "b to a: every receipt ok (exit $rcb)" test "$rcb" = 0 -a ! -s "$T_DIR/b2a.err"
sed 's/^alice2@a: //' "$T_DIR/bob.out" > "$T_DIR/a2b.got"
sed 's/^bob2@b: //' "$T_DIR/alice.out" > "$T_DIR/b2a.got"
check "a to b: $N messages, each once, in order" cmp -s "$T_DIR/a2b.in" "$T_DIR/a2b.got"
check "b to a: $N messages, each once, in order" cmp -s "$T_DIR/b2a.in" "$T_DIR/b2a.got"
ra1=$(peer_field a b rekeys); rb1=$(peer_field b a rekeys)
check "rekeys during the messages: a $ra0 -> $ra1" test "$ra1" -ge $((ra0 + 2))
check "rekeys during the messages: b $rb0 -> $rb1" test "$rb1" -ge $((rb0 + 2))

# --- reload to an hour: rekeys stop, but for a's 1 MiB threshold -------
write_conf a "$PA" "rekey interval 1h" "rekey bytes 1M" "$(peer_block b "$PB")"
write_conf b "$PB" "rekey interval 60m" "$(peer_block a 0)"
check "reload a" ctl a reload
check "reload b" ctl b reload
sleep 1.5	# a rekey under way when the reload came may still end
ra1=$(peer_field a b rekeys)
sleep 2.5
check "an hour's interval: no more rekeys on an idle link" \
	test "$(peer_field a b rekeys)" = "$ra1"
mkdir -p "$T_DIR/inbox"
head -c $((16 * 1024 * 1024)) /dev/urandom > "$T_DIR/f.bin"
nb -n fbob listen -c 1 -o "$T_DIR/inbox" > "$T_DIR/file.out" 2>&1 &
LF=$!
T_PIDS="$T_PIDS $LF"
wait_for 50 attached b fbob
na -n falice send-file fbob@b "$T_DIR/f.bin" 2> "$T_DIR/sendfile.err"
rc=$?
wait_status "$LF"
ra2=$(peer_field a b rekeys)
check "file: sent and verified (exit $rc)" test "$rc" = 0
check "file: identical" cmp -s "$T_DIR/f.bin" "$T_DIR/inbox/f.bin"
# 16 MiB of data at 1 MiB a rekey; a rekey's round trip lets some more
# through before the count starts again.
check "file: rekeys by bytes alone ($ra1 -> $ra2)" test $((ra2 - ra1)) -ge 4

# --- through all of it the link never broke ------------------------------
check "no reconnect on a" test "$(peer_field a b reconnects)" = 0
check "no reconnect on b" test "$(peer_field b a reconnects)" = 0
check "no link closed on either side" \
	bash -c "! grep -qE 'closing|without CLOSE' '$T_DIR/a/log' '$T_DIR/b/log'"
# The starter counts at REKEY_ACK, the other side half a round trip later.
close_counts() {
	local x y
	x=$(peer_field a b rekeys); y=$(peer_field b a rekeys)
	[ $((x - y)) -le 1 ] && [ $((y - x)) -le 1 ]
}
check "both sides count the same rekeys" close_counts
if [ -n "$ku" ]; then
	check "key updates interleaved" field_ge a b key_updates 10
fi
stop_pid "$PIDA"; check "a exits 0" test "$RC" = 0

# --- peers that get the rekey wrong ---------------------------------------
# e is a configured peer whose private key evilpeer holds.
make_host e || { not_ok "keygen e"; t_done; }
write_conf b "$PB" "keepalive 1" "rekey interval 1s" "$(peer_block a 0)" \
	"$(peer_block e 0)"
check "reload b with peer e" ctl b reload
evil() { "$top_builddir/tests/integration/evilpeer" -m up -a "rekey:$1" \
	-p "$PB" -k "$T_DIR/e/private.pem" -T 30; }
t0=$(date +%s)
out=$(evil ignore)
t1=$(date +%s)
check "never answered: b started a rekey" grep -q "REKEY received" <<<"$out"
check "never answered: CLOSE(timeout)" \
	grep -q "closed by the daemon: CLOSE reason 3" <<<"$out"
check "never answered: not before 3 keepalives, at least 10 s ($((t1 - t0)) s)" \
	test $((t1 - t0)) -ge 10
check "never answered: b says why" grep -q "rekey not finished in time" "$T_DIR/b/log"
out=$(evil lowack)
check "REKEY_ACK of a low-order point: CLOSE(protocol error)" \
	grep -q "closed by the daemon: CLOSE reason 2" <<<"$out"
check "REKEY_ACK of a low-order point: b says why" \
	grep -q "REKEY_ACK with a low-order point" "$T_DIR/b/log"
out=$(evil lowstart)
check "REKEY of a low-order point: CLOSE(protocol error)" \
	grep -q "closed by the daemon: CLOSE reason 2" <<<"$out"
check "REKEY of a low-order point: b says why" \
	grep -q "REKEY with a low-order point" "$T_DIR/b/log"
check "b still runs" kill -0 "$PIDB"
stop_pid "$PIDB"; check "b exits 0" test "$RC" = 0
t_done
