#!/bin/bash
# Configuration reload, by SIGHUP and by `netcryptctl reload`, with three
# daemons: an added peer links; a removed peer's link is closed with
# CLOSE(normal) and messages queued for it are reported unreachable; an
# unchanged peer's link stays up across every reload (same TCP
# connection, no reconnect); an invalid file is refused with its errors
# and the old configuration stays in force; a changed listen port is
# re-bound by the master; a changed pinned key closes the link; live
# settings apply; netcryptctl check says what a reload would do.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
NC="$top_builddir/netcrypt"

for h in a b c x; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port); PC=$(free_port); PG=$(free_port)
PA2=$(free_port)
while [ "$PA2" = "$PA" ]; do PA2=$(free_port); done

# conf_a LISTENPORT [extra lines]: a dials b; the rest varies per step.
conf_a() {
	local port=$1; shift
	write_conf a "$port" "queue timeout 60" "$(peer_block b "$PB")" "$@"
}
ghost_block() {	# a peer that is never there (nothing listens on $PG)
	printf 'peer "ghost" {\n\tconnect to 127.0.0.1 port %s\n\tpublic key "%s"\n}\n' \
		"$PG" "$T_DIR/x/private.pem.pub"
}
conf_a "$PA"
write_conf b "$PB" "$(peer_block a 0)"
write_conf c "$PC" "$(peer_block a "$PA")"
start_daemon a; PIDA=$DAEMON_PID
start_daemon b; PIDB=$DAEMON_PID
start_daemon c; PIDC=$DAEMON_PID
check "a-b link up" wait_up a b 100
T0=$(date +%s)

# The link a-b must never be re-made: b sees it coming from the same
# source port all along, a counts no reconnect, its up time only grows.
B_ADDR=$(peer_field b a address)
B_UP=$(peer_field a b up_seconds)
unchanged_ab() {
	local up
	up=$(peer_field a b up_seconds)
	[ "$(peer_field a b state)" = up ] &&
		[ "$(peer_field a b reconnects)" = 0 ] &&
		[ "$(peer_field b a reconnects)" = 0 ] &&
		[ "$(peer_field b a address)" = "$B_ADDR" ] &&
		[ -n "$up" ] && [ "$up" != null ] && [ "$up" -ge "$B_UP" ] &&
		B_UP=$up
}
reloaded() {	# reloaded HOST N: the network child applied N reloads
	[ "$(grep -c "configuration reloaded:" "$T_DIR/$1/log")" -ge "$2" ]
}
logged() { grep -q -- "$2" "$T_DIR/$1/log"; }
c_refused_by_a() { grep -q "refusing key .* not a configured peer" "$T_DIR/a/log"; }
check "c is refused while a does not know it" wait_for 100 c_refused_by_a
check "a knows only b" test "$(ctl a show --json | jq -r '[.peers[].name] | join(",")')" = b

# --- 1. SIGHUP adds peer c ---------------------------------------------
sleep 1
conf_a "$PA" "$(peer_block c "$PC")"
kill -HUP "$PIDA"
check "SIGHUP: reload applied" wait_for 100 reloaded a 1
check "SIGHUP: added peer logged" logged a "reload: peer c: added"
check "added peer c links" wait_up a c 150
check "c sees a up" wait_up c a 100
check "a-b untouched by the first reload" unchanged_ab

# --- 2. an invalid file is refused, the old one stays ------------------
sleep 1
cp "$T_DIR/a/netcryptd.conf" "$T_DIR/a/good.conf"
printf 'keepalive fast\nbogus statement\n' >> "$T_DIR/a/netcryptd.conf"
out=$(ctl a reload 2>&1); rc=$?
check "invalid: netcryptctl reload exits non-zero" test "$rc" -ne 0
check "invalid: netcryptctl prints file:line: error" \
	grep -q "netcryptd.conf:[0-9]*: " <<<"$out"
check "invalid: the unknown keyword is named" grep -q "bogus" <<<"$out"
check "invalid: errors logged as file:line" \
	logged a "netcryptd.conf:[0-9]*: unknown keyword \"bogus\""
check "invalid: logged as refused" logged a "has errors; the running configuration is kept"
out=$(ctl a check 2>&1); rc=$?
check "invalid: netcryptctl check fails too" test "$rc" -ne 0
check "old configuration in force: c still up" is_up a c
check "old configuration in force: b untouched" unchanged_ab
kill -HUP "$PIDA"
refused_twice() { [ "$(grep -c "reload: .* has errors; the running" "$T_DIR/a/log")" -ge 2 ]; }
check "invalid by SIGHUP: refused again" wait_for 50 refused_twice
cp "$T_DIR/a/good.conf" "$T_DIR/a/netcryptd.conf"
out=$(ctl a check 2>&1); rc=$?
check "check of the unchanged file: ok, no changes" \
	test "$rc" = 0 -a -n "$(grep "would make 0 changes" <<<"$out")"

# --- 3. listen port moved, live settings, via netcryptctl reload -------
sleep 1
conf_a "$PA2" "$(peer_block c "$PC")" "max sessions 1" "$(ghost_block)"
out=$(ctl a check 2>&1)
check "check lists the new listen port" grep -q "port $PA2: added" <<<"$out"
check "check lists the added peer" grep -q "peer ghost: added" <<<"$out"
check "check changed nothing" test "$(peer_field a ghost name)" = ""
out=$(ctl a reload 2>&1); rc=$?
check "netcryptctl reload: exit 0" test "$rc" = 0
check "netcryptctl reload: says what changed" grep -q "max sessions: 10000 -> 1" <<<"$out"
check "netcryptctl reload: listen change reported" grep -q "port $PA: removed" <<<"$out"
check "after netcryptctl reload returns, ghost is known" \
	test "$(peer_field a ghost name)" = ghost
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
check "new listen port accepts" wait_for 30 accepts "$PA2"
check "old listen port no longer accepts" wait_for 30 eval '! accepts '"$PA"
check "links survive the listener change (a-c)" is_up a c
check "links survive the listener change (a-b)" unchanged_ab

# max sessions 1 is live: a second session is refused.
"$NC" -s "$T_DIR/a/session.sock" -n holder listen > /dev/null 2>&1 &
HPID=$!; T_PIDS="$T_PIDS $HPID"
check "one session attached" wait_for 50 logged a "session holder attached"
out=$("$NC" -s "$T_DIR/a/session.sock" -n second send holder hi 2>&1); rc=$?
check "live max sessions 1: a second session is refused" test "$rc" -ne 0
kill -TERM "$HPID" 2>/dev/null; wait_status "$HPID"
no_sessions() { [ "$(daemon_field a sessions)" = 0 ]; }
check "the session left" wait_for 50 no_sessions

# A message for ghost waits in its queue (queue timeout 60).
"$NC" -s "$T_DIR/a/session.sock" send someone@ghost "never delivered" \
	> "$T_DIR/ghost.out" 2>&1 &
GPID=$!; T_PIDS="$T_PIDS $GPID"
queued() { [ "$(peer_field a ghost queued_msgs)" = 1 ]; }
check "a message for ghost is queued" wait_for 50 queued

# --- 4. remove c and ghost; b again untouched ---------------------------
sleep 1
conf_a "$PA2"
kill -HUP "$PIDA"
check "removal reload applied" wait_for 100 reloaded a 3
check "removed peer c: not in show --json" \
	test -z "$(ctl a show --json | jq -r '.peers[] | select(.name == "c") | .name')"
check "removed peer ghost: not in show --json" test "$(peer_field a ghost name)" = ""
check "removed peer's link closed by a with CLOSE(normal)" \
	logged a "closing: peer removed from the configuration"
check "c was told: closed by the peer, reason 0" \
	wait_for 50 logged c "closed by the peer (reason 0)"
check "c's link to a is down" wait_for 50 is_not_up c a
wait_status "$GPID"
check "queued message for the removed peer: sender told at once (exit 1)" test "$RC" = 1
check "queued message for the removed peer: unreachable" grep -q "unreachable" "$T_DIR/ghost.out"
check "b untouched by the removal" unchanged_ab

# --- 5. several reloads in a row leave b alone ---------------------------
for i in 1 2 3; do
	sleep 1
	if [ "$i" = 2 ]; then kill -HUP "$PIDA"; else ctl a reload > /dev/null; fi
	check "repeat reload $i applied" wait_for 100 reloaded a $((3 + i))
	check "repeat reload $i: a-b still the same link" unchanged_ab
done
# Reloads asked at the same time: each is applied, or refused while the
# one before is in progress; never anything else.
for i in 1 2 3; do
	ctl a reload > "$T_DIR/conc1.$i" 2>&1 & P1=$!
	ctl a reload > "$T_DIR/conc2.$i" 2>&1 & P2=$!
	T_PIDS="$T_PIDS $P1 $P2"
	wait_status "$P1"; wait_status "$P2"
done
# Each answer is its own: a refusal never leaks into the other's.
conc_ok() {
	local f
	for f in "$T_DIR"/conc[12].*; do
		case "$(cat "$f")" in
		"configuration reloaded: 0 changes") ;;
		"netcryptctl: netcryptd: another reload is in progress") ;;
		*) echo "unexpected answer in $f:"; cat "$f"; return 1 ;;
		esac
	done
}
check "concurrent reloads: each applied or refused as overlapping" conc_ok
check "concurrent reloads: a-b still the same link" unchanged_ab

# Up since before the first reload: never re-made (allow 1 s of rounding).
check "a-b up for the whole test" field_ge a b up_seconds $(( $(date +%s) - T0 - 1 ))

# --- 6. a listen address that cannot be bound refuses the whole reload ---
conf_a "$PA2" "listen on 127.0.0.1 port $PB" "keepalive 5"
out=$(ctl a reload 2>&1); rc=$?
check "unbindable address: netcryptctl reload exits non-zero" test "$rc" -ne 0
check "unbindable address: the bind error is printed" \
	grep -q "bind 127.0.0.1: Address already in use" <<<"$out"
check "unbindable address: logged" logged a "reload: bind 127.0.0.1: Address already in use"
conf_a "$PA2"
out=$(ctl a check 2>&1)
check "unbindable address: nothing of that reload applied" \
	grep -q "would make 0 changes" <<<"$out"
check "unbindable address: still listening where it was" accepts "$PA2"
check "unbindable address: b untouched" unchanged_ab

# --- 7. a changed pinned key closes the link -----------------------------
write_conf a "$PA2" "peer \"b\" {
	connect to 127.0.0.1 port $PB
	public key \"$T_DIR/x/private.pem.pub\"
}"
ctl a reload > "$T_DIR/keychange.out" 2>&1
check "key change reported" grep -q "peer b: pinned key changed" "$T_DIR/keychange.out"
check "key change: the link is closed" wait_for 50 logged a "closing: pinned key changed"
check "key change: b is no longer accepted" wait_for 100 is_not_up a b
# Restored, with a new cipher preference (live, for new links) and a new
# private key, unwrap rate, spool directory and mailbox rules (all need a
# restart: not applied).
FP_A=$(daemon_field a fingerprint)
SP_A=$(child_by_title "$PIDA" spool)
conf_a "$PA2" "cipher chacha20-poly1305" "unwrap rate 7" \
	"spool { directory \"$T_DIR/a/spool2\" }" 'mailbox "x" none'
sed -i "s|$T_DIR/a/private.pem|$T_DIR/x/private.pem|" "$T_DIR/a/netcryptd.conf"
out=$(ctl a reload 2>&1); rc=$?
check "restart-only changes: the reload is still accepted" test "$rc" = 0
check "private key change: needs a restart" grep -q "private key: .* needs a restart" <<<"$out"
check "unwrap rate change: needs a restart" grep -q "unwrap rate: auto -> 7 needs a restart" <<<"$out"
check "spool directory change: needs a restart" \
	grep -q "spool directory: \"$T_DIR/a/spool\" -> \"$T_DIR/a/spool2\" needs a restart" <<<"$out"
check "mailbox rules change: needs a restart" grep -q "mailbox rules: changed; needs a restart" <<<"$out"
check "... the new spool directory is not made" test ! -e "$T_DIR/a/spool2"
check "... the spool runs on" test "$(child_by_title "$PIDA" spool)" = "$SP_A"
check "restart-only changes logged as warnings" logged a "reload: private key: .* needs a restart"
check "key restored: link back up" wait_up a b 300
check "the new link uses the new cipher preference" \
	test "$(peer_field a b cipher)" = chacha20-poly1305
check "the private key was not reloaded" test "$(daemon_field a fingerprint)" = "$FP_A"
out=$(ctl a check 2>&1)
check "check: the restart-only changes are still pending" \
	grep -q "would make 4 changes, 4 of them need a restart" <<<"$out"

# --- the daemons lived through all of it ----------------------------------
check "a still running" kill -0 "$PIDA"
check "b still running" kill -0 "$PIDB"
check "c still running" kill -0 "$PIDC"
check "a's network child still running" eval 'child_by_title "$PIDA" network > /dev/null'
check "nothing unexpected in a's log" eval '! grep -q "unexpected\|died\|bad " "$T_DIR/a/log"'
for p in "$PIDA" "$PIDB" "$PIDC"; do stop_pid "$p"; check "clean exit of $p" test "$RC" = 0; done
t_done
