#!/bin/bash
# Files with a lifetime (issue 18 part 2, test (g); SESSIONS.md 5): two
# 200 MiB files through the spools, with kill -9s that try to lose them or
# make them start again from zero.  Queued with the peer down (durable,
# the rate measured); (1) kill -9 of the sending daemon while it streams
# the first file to the peer's mailbox; (2) kill -9 of the receiving
# daemon while the second streams in; (3) the receiving program killed in
# the middle of the first file and started again.  Each time the rest
# goes on from where it was: the bytes that crossed the link after a
# restart are counted against what the receiver's spool held already.
# Then: --wait, a refusal by the receiver, a full mailbox in the middle
# of a file (FILE_ABORT), and the daemons' memory bounded.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
[ -n "${NC_TEST_SKIP_BIG:-}" ] && skip "NC_TEST_SKIP_BIG set: the 200 MiB files are not sent"
NC="$top_builddir/netcrypt"
MIB=$((1024 * 1024))
SIZE=$((200 * MIB))
SLACK=$((8 * MIB))	# re-sent after a cut: what was in flight, headers

for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
write_conf a "$PA" "$(peer_block b "$PB")" \
	'mailbox "small" { size 1M count 100 }'
write_conf b "$PB" "$(peer_block a "$PA")" \
	'mailbox "bob" { size 1G count 100000 }'
for h in a b; do
	sed -i "s|^spool {.*|spool {\\n\\tdirectory \"$T_DIR/$h/spool\"\\n\\tsize 2G\\n\\tpeer size 1G\\n}|" "$T_DIR/$h/netcryptd.conf"
done

na() { "$NC" -s "$T_DIR/a/session.sock" "$@"; }
nb() { "$NC" -s "$T_DIR/b/session.sock" "$@"; }
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
spool_bytes() { du -sb "$T_DIR/$1/spool" | cut -f1; }
spool_ge() { [ "$(spool_bytes "$1")" -ge "$2" ]; }
status_is() { [ "$(na -n alice status "$1" 2>/dev/null)" = "$2" ]; }
partial_size() { stat -c %s "$T_DIR"/in/.ncs-* 2>/dev/null | head -1; }
partial_ge() { [ "$(partial_size)" -ge "$1" ] 2>/dev/null; }
sha() { sha256sum < "$1" | cut -d' ' -f1; }
ms() { echo $(($(date +%s%N) / 1000000)); }

head -c "$SIZE" /dev/urandom > "$T_DIR/f1.bin"
head -c "$SIZE" /dev/urandom > "$T_DIR/f2.bin"
mkdir -p "$T_DIR/in"

# --- queued while the peer is down: durable, and how fast ----------------
start_daemon a; PIDA=$DAEMON_PID
t0=$(ms)
na -n alice send-file --within 1h bob@b "$T_DIR/f1.bin" > "$T_DIR/q1.out" 2>&1
rc=$?
t1=$(ms)
check "queued with b down: exit 0" test "$rc" = 0
check "the FILE_END's id and the chunks are printed" \
	grep -q "^queued [0-9a-f]\{16\} (209715200 bytes in 3214 chunks, offer [0-9a-f]\{16\})$" "$T_DIR/q1.out"
END1=$(awk '{print $2}' "$T_DIR/q1.out")
echo "200 MiB queued durably in $((t1 - t0)) ms: $((SIZE * 1000 / MIB / (t1 - t0 + 1))) MiB/s"
check "a's spool holds the whole file" spool_ge a "$SIZE"
check "status of the END: queued" status_is "$END1" queued

# --- (1) kill -9 of the sending daemon while it streams ------------------
start_daemon b; PIDB=$DAEMON_PID
check "(1) b receives" wait_for 600 field_ge b a bytes_in $((40 * MIB))
kill9 "$PIDA"
check "(1) the link is down" wait_for 100 is_not_up b a
in1=$(peer_field b a bytes_in)
held=$(spool_bytes b)
echo "(1) a killed when b had received $in1 bytes; b's spool held $held"
check "(1) killed in the middle of the file" test "$in1" -lt "$SIZE"
check "(1) b's spool kept part of it" test "$held" -ge $((30 * MIB))
start_daemon a; PIDA=$DAEMON_PID
check "(1) link up again" wait_up a b 100
check "(1) the whole file reached b's spool (at peer)" wait_for 1200 status_is "$END1" "at peer"
in2=$(peer_field b a bytes_in)
echo "(1) after the restart b received $((in2 - in1)) bytes more"
check "(1) only the rest was sent again, not the file from zero" \
	test $((in2 - in1)) -lt $((SIZE - held + SLACK))

# --- (2) kill -9 of the receiving daemon while it takes the next file ---
base=$(spool_bytes b)
na -n alice send-file --within 1h bob@b "$T_DIR/f2.bin" > "$T_DIR/q2.out" 2>&1 &
SPID=$!; T_PIDS="$T_PIDS $SPID"
check "(2) b's spool grows" wait_for 600 spool_ge b $((base + 40 * MIB))
kill9 "$PIDB"
check "(2) the link is down" wait_for 100 is_not_up a b
out1=$(peer_field a b bytes_out)
held=$(($(spool_bytes b) - base))
echo "(2) b killed holding $held bytes of the second file"
wait_status "$SPID"
check "(2) the sender queued the whole file all the same" test "$RC" = 0
END2=$(awk '{print $2}' "$T_DIR/q2.out")
start_daemon b; PIDB=$DAEMON_PID
check "(2) link up again" wait_up a b 100
check "(2) the whole file reached b's spool (at peer)" wait_for 1200 status_is "$END2" "at peer"
out2=$(peer_field a b bytes_out)
echo "(2) after the restart a sent $((out2 - out1)) bytes more"
check "(2) only the rest was sent again" test $((out2 - out1)) -lt $((SIZE - held + SLACK))

# --- (3) the receiving program killed in the middle, started again ------
"$NC" -s "$T_DIR/b/session.sock" -n bob listen -o "$T_DIR/in" -c 2 > "$T_DIR/l1.out" 2>&1 &
LPID=$!; T_PIDS="$T_PIDS $LPID"
check "(3) the receiver writes the first file" wait_for 600 partial_ge $((40 * MIB))
kill -KILL "$LPID"; wait "$LPID" 2>/dev/null
check "(3) b saw it go" wait_for 100 grep -Eq "session bob \(pid $LPID uid [0-9]+\): (detached|connection error)" "$T_DIR/b/log"
check "(3) it had saved nothing yet" test ! -s "$T_DIR/l1.out"
part=$(partial_size)
inode=$(stat -c %i "$T_DIR"/in/.ncs-* 2>/dev/null | head -1)
echo "(3) receiver killed with $part bytes written"
check "(3) its partial file stays for the next receiver" test "${part:-0}" -gt 0 -a "${part:-0}" -lt "$SIZE"
t0=$(ms)
timeout 300 "$NC" -s "$T_DIR/b/session.sock" -n bob listen -o "$T_DIR/in" -c 2 > "$T_DIR/l2.out" 2>&1
t1=$(ms)
echo "(3) the rest of both files taken in $((t1 - t0)) ms"
check "(3) the first file saved, checked" grep -q "^saved f1.bin (209715200 bytes, sha256 OK) from alice@a$" "$T_DIR/l2.out"
check "(3) the second file saved, checked" grep -q "^saved f2.bin (209715200 bytes, sha256 OK) from alice@a$" "$T_DIR/l2.out"
check "(3) f1.bin is the partial file, continued (same inode)" test "$(stat -c %i "$T_DIR/in/f1.bin")" = "$inode"
check "(3) f1.bin: sha256 equal" test "$(sha "$T_DIR/f1.bin")" = "$(sha "$T_DIR/in/f1.bin")"
check "(3) f2.bin: sha256 equal" test "$(sha "$T_DIR/f2.bin")" = "$(sha "$T_DIR/in/f2.bin")"
check "(3) no temporary file is left" test -z "$(ls -A "$T_DIR/in" | grep -v '^f[12]\.bin$')"
check "(3) the sender learns: delivered" wait_for 100 status_is "$END1" delivered
check "(3) both" wait_for 100 status_is "$END2" delivered
rm -f "$T_DIR/f2.bin" "$T_DIR"/in/*

# --- --wait, and a receiver that refuses ---------------------------------
head -c 300000 /dev/urandom > "$T_DIR/small.bin"
"$NC" -s "$T_DIR/b/session.sock" -n bob listen -o "$T_DIR/in" -c 2 --max-size 100K > "$T_DIR/l3.out" 2>&1 &
LPID=$!; T_PIDS="$T_PIDS $LPID"
head -c 1000 /dev/urandom > "$T_DIR/tiny.bin"
out=$(na -n alice send-file --within 1h --wait bob@b "$T_DIR/tiny.bin" 2>&1)
check "--wait: delivered, saved by the receiver" grep -q "^delivered [0-9a-f]\{16\}: saved by the receiver, sha256 OK$" <<< "$out"
out=$(na -n alice send-file --within 1h --wait bob@b "$T_DIR/small.bin" 2>&1); rc=$?
check "--wait: the receiver's refusal, exit 1" test "$rc" = 1
check "--wait: ... says too large" grep -q "too large" <<< "$out"
wait_status "$LPID"
check "the receiver saved the one and refused the other" \
	test "$(grep -c '^saved tiny.bin' "$T_DIR/l3.out")" = 1 -a "$(grep -c 'small.bin.*too large' "$T_DIR/l3.out")" = 1

# --- a mailbox full in the middle of a file: refused, and aborted --------
head -c $((3 * MIB)) /dev/urandom > "$T_DIR/three.bin"
out=$(na -n alice send-file --within 1h small "$T_DIR/three.bin" 2>&1); rc=$?
echo "$out"
check "a full mailbox stops the sending, exit 1" test "$rc" = 1
check "... with spool full and how much was queued" grep -q "spool full after [0-9]* of 3145728 bytes were queued" <<< "$out"
timeout 20 "$NC" -s "$T_DIR/a/session.sock" -n small listen -o "$T_DIR/in" -c 1 > "$T_DIR/l4.out" 2>&1
check "the receiver drops the part that came (FILE_ABORT)" grep -q "three.bin from alice: spool full" "$T_DIR/l4.out"
check "... and keeps nothing of it" test -z "$(ls -A "$T_DIR/in" | grep -v '^tiny.bin$')"

# --- memory stays bounded ------------------------------------------------
for pair in "a $PIDA" "b $PIDB"; do
	set -- $pair
	for role in network spool; do
		pid=$(child_by_title "$2" "$role")
		hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
		echo "$role child of $1: peak RSS ${hwm} kB"
		if grep -q '^#define NC_SANITIZERS 1' "$top_builddir/config.h"; then
			echo "note: sanitizer build: RSS bound not asserted"
		else
			check "$role child of $1 peaked under 64 MiB (${hwm} kB)" test "$hwm" -lt 65536
		fi
	done
done

t_done
