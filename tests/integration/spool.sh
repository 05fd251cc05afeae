#!/bin/bash
# Messages with a lifetime (issue 18, SESSIONS.md 6, PROTOCOL.md 7.10):
# tests that try to lose them.  (c) the receiver down for the whole send
# and started 30 s later; (a) kill -9 of the sender after "queued";
# (b) kill -9 of the receiver after its spool took them, before the
# session read them; (f) a full spool refuses with status 13 and loses
# nothing it accepted; a full mailbox makes the sender wait and keep the
# order; statuses by query and FINAL.  Exactly once throughout.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the raw client"
SC="python3 $top_srcdir/tests/integration/spoolclient.py"

for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
write_conf a "$PA" "$(peer_block b "$PB")"
write_conf b "$PB" "$(peer_block a "$PA")" \
	'mailbox "small" { size 1M count 5 }' 'mailbox "nobox" none' \
	'session default any' 'session "guarded" accept from "carol@a"'

# kill9 PID: the daemon and its children at once, as a crash would.
kill9() {
	local kids
	kids=$(child_pids "$1")
	# shellcheck disable=SC2086
	kill -KILL "$1" $kids 2>/dev/null
	wait "$1" 2>/dev/null
	for k in $kids; do t_wait_gone "$k" 50; done
	return 0
}
sa() { $SC "$T_DIR/a/session.sock" "$@"; }
sb() { $SC "$T_DIR/b/session.sock" "$@"; }
# ids FILE: the hex ids a put wrote to stderr.
ids() { awk '$1 == "id" {print $3}' "$1"; }
# statuses HOST FILE: the status of every id in FILE, sorted and counted.
statuses() { $SC "$T_DIR/$1/session.sock" query q $(ids "$2") | awk '{print $2}' | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' '; }
all_status() {	# all_status HOST FILE STATUS COUNT
	[ "$(statuses "$1" "$2")" = "$3:$4 " ]
}

# --- (c) the receiver down for the whole send, up 30 s later --------------
start_daemon a; PIDA=$DAEMON_PID
out=$(sa put alice bob@b 3600 5 c 2> "$T_DIR/c.ids")
check "(c) five queued while b is down" test "$out" = "queued 5 refused 0"
check "(c) each has an id" test "$(ids "$T_DIR/c.ids" | sort -u | wc -l)" = 5
check "(c) query: queued (11)" all_status a "$T_DIR/c.ids" 11 5
sleep 30
start_daemon b; PIDB=$DAEMON_PID
check "(c) link up" wait_up a b 100
check "(c) at the peer (14) once b's spool has them" wait_for 100 all_status a "$T_DIR/c.ids" 14 5
sb take bob 5 10 > "$T_DIR/c.got" 2> "$T_DIR/c.take"
check "(c) bob took the five, in order" test "$(tr '\n' ' ' < "$T_DIR/c.got")" = "c-1 c-2 c-3 c-4 c-5 "
check "(c) delivered (0) at the sender" wait_for 100 all_status a "$T_DIR/c.ids" 0 5
sb take bob 1 2 > "$T_DIR/c.again" 2>/dev/null
check "(c) nothing more for bob" test ! -s "$T_DIR/c.again"

# --- a local mailbox --------------------------------------------------------
out=$(sa put alice dave 3600 2 l 2> "$T_DIR/l.ids")
check "local: two queued for dave, who is not attached" test "$out" = "queued 2 refused 0"
sa take dave 2 10 > "$T_DIR/l.got" 2>/dev/null
check "local: dave took both when he attached" test "$(tr '\n' ' ' < "$T_DIR/l.got")" = "l-1 l-2 "
check "local: delivered (0)" wait_for 50 all_status a "$T_DIR/l.ids" 0 2
out=$(sa put alice anon-1 3600 1 x 2>/dev/null)
check "local: an anonymous name is no destination (1)" test "$out" = "queued 0 refused 1
refused 1 1"

# --- (a) kill -9 of the sender after "queued" ------------------------------
stop_pid "$PIDB"
out=$(sa put alice bob@b 3600 3 a 2> "$T_DIR/a.ids")
check "(a) three queued while b is down" test "$out" = "queued 3 refused 0"
kill9 "$PIDA"
start_daemon a; PIDA=$DAEMON_PID
check "(a) still queued after the crash" all_status a "$T_DIR/a.ids" 11 3
start_daemon b; PIDB=$DAEMON_PID
check "(a) link up" wait_up a b 100
sb take bob 3 10 > "$T_DIR/a.got" 2> "$T_DIR/a.take"
check "(a) bob took the three, once each, in order" test "$(tr '\n' ' ' < "$T_DIR/a.got")" = "a-1 a-2 a-3 "
check "(a) no id given twice" grep -q "dup 0" "$T_DIR/a.take"

# --- (b) kill -9 of the receiver after its spool took them ----------------
out=$(sa put alice bob@b 3600 3 b 2> "$T_DIR/b.ids")
check "(b) three queued" test "$out" = "queued 3 refused 0"
check "(b) b's spool has them (14)" wait_for 100 all_status a "$T_DIR/b.ids" 14 3
kill9 "$PIDB"
start_daemon b; PIDB=$DAEMON_PID
check "(b) link up again" wait_up a b 100
sb take bob 10 3 > "$T_DIR/b.got" 2> "$T_DIR/b.take"
check "(b) bob took the three, once each, in order" test "$(tr '\n' ' ' < "$T_DIR/b.got")" = "b-1 b-2 b-3 "
check "(b) delivered (0) at the sender" wait_for 100 all_status a "$T_DIR/b.ids" 0 3
# Both restarted once more: nothing comes twice.
stop_pid "$PIDA"; stop_pid "$PIDB"
start_daemon a; PIDA=$DAEMON_PID
start_daemon b; PIDB=$DAEMON_PID
check "link up after both restarted" wait_up a b 100
sb take bob 1 3 > "$T_DIR/again.got" 2>/dev/null
check "after both restarted, nothing is delivered again" test ! -s "$T_DIR/again.got"

# --- FINAL to the sender, refusals at the receiver -------------------------
sa putwait alice bob@b 3600 f 15 > "$T_DIR/final.f" &
FPID=$!; T_PIDS="$T_PIDS $FPID"
sb take bob 1 10 > /dev/null 2>&1
wait_status "$FPID"
check "FINAL delivered (0) reaches the sending session" grep -q "^[0-9a-f]\{16\} 0$" "$T_DIR/final.f"
check "FINAL no such session (1) for a name without a mailbox" \
	grep -q "^[0-9a-f]\{16\} 1$" <(sa putwait carol nobox@b 3600 n 15)
check "FINAL rejected (8): the receiver's accept list does not name alice" \
	grep -q "^[0-9a-f]\{16\} 8$" <(sa putwait alice guarded@b 3600 g 15)
sa putwait carol guarded@b 3600 g 15 > "$T_DIR/final.g" &
FPID=$!; T_PIDS="$T_PIDS $FPID"
sb take guarded 1 10 > "$T_DIR/g.got" 2>/dev/null
wait_status "$FPID"
check "carol@a, whom guarded accepts, is delivered" test "$(cat "$T_DIR/g.got")" = g
check "and hears delivered (0)" grep -q "^[0-9a-f]\{16\} 0$" "$T_DIR/final.g"
out=$(sa put alice '*@b' 3600 1 s 2>/dev/null)
check "'*' is refused: bad name (7)" test "$out" = "queued 0 refused 1
refused 1 7"
out=$(sa put alice bob@nowhere 3600 1 s 2>/dev/null)
check "unknown peer refused: no such peer (2)" test "$out" = "queued 0 refused 1
refused 1 2"
check "unknown id: 15" test "$(sa query q 0123456789abcdef)" = "0123456789abcdef 15"

# --- netcrypt(1): send --within, status, listen ----------------------------
NC="$top_builddir/netcrypt"
out=$("$NC" -s "$T_DIR/a/session.sock" -n erin send --within 1h frank@b "via the CLI" 2>&1); rc=$?
check "netcrypt send --within: exit 0 ($rc)" test "$rc" = 0
id=$(sed -n 's/^queued \([0-9a-f]\{16\}\)$/\1/p' <<<"$out")
check "netcrypt send --within: prints 'queued ID'" test -n "$id"
is_at_peer() { "$NC" -s "$T_DIR/a/session.sock" status "$id" 2>&1 | grep -q "at peer"; }
check "netcrypt status: at peer" wait_for 100 is_at_peer
got=$(timeout 20 "$NC" -s "$T_DIR/b/session.sock" -n frank listen -c 1 2>&1)
check "netcrypt listen shows the spooled message" grep -q "erin@a: via the CLI" <<<"$got"
is_delivered() { "$NC" -s "$T_DIR/a/session.sock" status "$id" 2>&1 | grep -q "delivered"; }
check "netcrypt status: delivered" wait_for 100 is_delivered
"$NC" -s "$T_DIR/a/session.sock" status 0123456789abcdef >/dev/null 2>&1; rc=$?
check "netcrypt status of an unknown id: exit 3 ($rc)" test "$rc" = 3
out=$("$NC" -s "$T_DIR/a/session.sock" send --within 0s frank@b x 2>&1); rc=$?
check "netcrypt send --within 0s: refused (exit 2, $rc)" test "$rc" = 2
out=$(timeout 30 "$NC" -s "$T_DIR/a/session.sock" -n erin send --within 1h --wait nobox@b "x" 2>&1); rc=$?
check "netcrypt send --wait: exit 1 with the final status" test "$rc" = 1
check "netcrypt send --wait: says no such session" grep -q "no such session" <<<"$out"

# --- a full mailbox: the sender waits, order kept, nothing lost ------------
out=$(sa put alice small@b 3600 12 m 2> "$T_DIR/m.ids")
check "12 queued for a mailbox of 5" test "$out" = "queued 12 refused 0"
check "b's spool said full (the sender backs off)" wait_for 100 grep -q "its spool is full" "$T_DIR/a/log"
sb take small 12 20 > "$T_DIR/m.got" 2> "$T_DIR/m.take"
check "all 12 taken in order as room came" test "$(tr '\n' ' ' < "$T_DIR/m.got")" = "$(seq -f 'm-%g' 1 12 | tr '\n' ' ')"

# --- (f) a full spool refuses with 13, and keeps what it accepted ----------
stop_pid "$PIDB"
stop_pid "$PIDA"
# The smallest spool there is (1M), filled with 30,000-byte messages.
sed -i "s|^spool {.*|spool {\\n\\tdirectory \"$T_DIR/a/spool\"\\n\\tsize 1M\\n}|" "$T_DIR/a/netcryptd.conf"
start_daemon a; PIDA=$DAEMON_PID
sa put alice bob@b 3600 100 full 16 30000 > "$T_DIR/full.out" 2> "$T_DIR/full.ids"
nq=$(awk '/^queued/ {print $2}' "$T_DIR/full.out")
check "(f) some accepted, then refused" test "${nq:-0}" -gt 0 -a "${nq:-0}" -lt 100
check "(f) every refusal is spool full (13)" test "$(awk '$1 == "refused" && NF == 3 {print $3}' "$T_DIR/full.out" | sort -u)" = 13
start_daemon b; PIDB=$DAEMON_PID
check "(f) link up" wait_up a b 100
sb take bob 100 10 > "$T_DIR/full.got" 2>/dev/null
check "(f) all $nq accepted were delivered, in order" test "$(cut -c1-12 "$T_DIR/full.got" | sed 's/\.*$//' | tr '\n' ' ')" = "$(seq -f 'full-%g' 1 "$nq" | tr '\n' ' ')"

t_done
