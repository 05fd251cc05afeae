#!/bin/bash
# Local trust (issue 15), with real users that the test creates (useradd)
# and acts as (setpriv), and removes at the end: session names bound to
# users by the session policy, a group rule, the socket's group as the
# first gate, "accept from" locally and across a link, anonymous sessions
# that receive nothing, the rules a receiver of files can count on
# (names, size, free space, senders, leftovers of an interrupted
# receive), what a reload does to the policy, and the bound on the log
# lines refused attaches write.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
for tool in useradd userdel groupadd groupdel setpriv python3 mount umount; do
	command -v "$tool" >/dev/null || skip "needs $tool"
done
NC="$top_builddir/netcrypt"
RAW="$top_srcdir/tests/integration/rawsession.py"
# The system's python3: a shim in root's home is not for other users.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# --- users and groups of this run ----------------------------------------
# A random tag keeps concurrent runs (and leftovers of a killed one) apart.
TAG=lt$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
GS=${TAG}sock	# the session socket's group
GB=${TAG}bak	# a group with a session rule
ALICE=${TAG}alice BOB=${TAG}bob MAL=${TAG}mal BK=${TAG}bk OUT=${TAG}out
LATE=${TAG}late
LT_USERS="" LT_GROUPS="" MNT=""
lt_cleanup() {
	local u g
	t_cleanup
	if [ -n "$MNT" ]; then
		umount "$MNT" 2>/dev/null
		rmdir "$MNT" 2>/dev/null
	fi
	for u in $LT_USERS; do
		userdel "$u" 2>/dev/null || userdel -f "$u" 2>/dev/null
	done
	for g in $LT_GROUPS; do
		groupdel "$g" 2>/dev/null
	done
}
trap lt_cleanup EXIT

add_group() { groupadd "$1" && LT_GROUPS="$LT_GROUPS $1"; }
# add_user NAME PRIMARY-GROUP [SUPPLEMENTARY]
add_user() {
	useradd -M -N -d /nonexistent -s /usr/sbin/nologin -g "$2" \
	    ${3:+-G "$3"} "$1" && LT_USERS="$LT_USERS $1"
}
add_group "$GS" && add_group "$GB" || { not_ok "groupadd"; t_done; }
for u in "$ALICE" "$BOB" "$MAL"; do
	add_user "$u" "$GS" || { not_ok "useradd $u"; t_done; }
done
add_user "$BK" "$GS" "$GB" && add_user "$OUT" nogroup ||
	{ not_ok "useradd"; t_done; }
MALUID=$(id -u "$MAL")

# as_user USER command...: as USER, for at most 90 s (a send waits 60 s
# at most; a listen that should have been refused may never end).
as_user() { as_user_for 90 "$@"; }
as_user_for() {	# as_user_for SECONDS USER command...
	local t=$1 u=$2; shift 2
	timeout "$t" setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
	    --init-groups "$@"
}
# as_user_bg USER command...: the same in the background, one process
# (setpriv, then the command, exec'd in the subshell): BGPID.
as_user_bg() {
	local u=$1; shift
	(exec setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
	    --init-groups "$@") &
	BGPID=$!
	T_PIDS="$T_PIDS $BGPID"
}
ua() { local u=$1; shift; as_user "$u" "$NC" -s "$T_DIR/a/session.sock" "$@"; }
# uaq: the same for what must be refused at once (10 s at most)
uaq() { local u=$1; shift; as_user_for 10 "$u" "$NC" -s "$T_DIR/a/session.sock" "$@"; }
nb() { "$NC" -s "$T_DIR/b/session.sock" "$@"; }
nattached() { grep -c "session $1 attached" "$T_DIR/a/log"; }
attached_more() { [ "$(nattached "$1")" -gt "$2" ]; }
# ... or the listener gave up (LPID gone)
attached_or_gone() { attached_more "$1" "$2" || ! kill -0 "$LPID" 2>/dev/null; }
# ulisten USER NAME FILE [listen args]: a listener on a, in the
# background.  A listener of the same name that just ended may not be
# detached yet: "name in use" is tried again, a few times.
ulisten() {
	local u=$1 n=$2 f=$3 before i; shift 3
	for i in 1 2 3 4 5; do
		before=$(nattached "$n")
		as_user_bg "$u" "$NC" -s "$T_DIR/a/session.sock" -n "$n" \
		    listen "$@" > "$f" 2> "$f.err"
		LPID=$BGPID
		wait_for 50 attached_or_gone "$n" "$before"
		attached_more "$n" "$before" && return 0
		grep -q "name in use" "$f.err" || return 1
		sleep 0.2
	done
	return 1
}
refusals() { grep -c "refused (pid [0-9]* uid [0-9]*): the session policy" "$T_DIR/a/log"; }
# udir USER: a fresh directory that USER owns, for received files
udir() {
	local d
	d=$(mktemp -d "$T_DIR/in.XXXXXX") && chown "$1" "$d" && chmod 700 "$d" && echo "$d"
}
is_empty() { [ -z "$(ls -A "$1")" ]; }

# --- two daemons; a has the policy -----------------------------------------
for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
policy_a() {	# policy_a [lines]: a's configuration, with these rules
	write_conf a "$PA" \
	    "session socket \"$T_DIR/a/session.sock\" group \"$GS\"" \
	    "$(peer_block b "$PB")" "$@"
}
policy_a "session \"backup-*\" group \"$GB\"" \
    "session \"$ALICE\" accept from \"$BOB\", \"carol@b\""
write_conf b "$PB" "$(peer_block a "$PA")"
start_daemon a; PIDA=$DAEMON_PID
start_daemon b
check "link up" wait_up a b 50
check "the default is own, said at start" grep -q "session policy: default own, 2 rules" "$T_DIR/a/log"

# --- the socket's group is the first gate -----------------------------------
out=$(ua "$OUT" send "$ALICE" hello 2>&1); rc=$?
check "outside the socket's group: cannot connect (exit $rc)" test "$rc" = 1
check "outside the socket's group: told so" grep -q "Permission denied (the session socket is for its group)" <<<"$out"

# --- squatting --------------------------------------------------------------
for name in "$ALICE" "$BOB" "free-name"; do
	out=$(uaq "$MAL" -n "$name" listen -c 1 2>&1); rc=$?
	check "squatting $name: refused (exit $rc)" test "$rc" = 1
	check "squatting $name: told why" grep -q "$name: name not allowed for this user" <<<"$out"
	check "squatting $name: logged with the uid" \
	    grep -q "session $name refused (pid [0-9]* uid $MALUID): the session policy" "$T_DIR/a/log"
done
out=$(ua "$MAL" -n anon-1 send "$ALICE" x 2>&1)
check "anon-* names stay reserved" grep -q "bad name" <<<"$out"

# --- the owner, a group rule --------------------------------------------------
ADIR=$(udir "$ALICE")
check "the owner attaches" ulisten "$ALICE" "$ALICE" "$T_DIR/alice.out" -c 2 -o "$ADIR"
ALPID=$LPID
check "... logged with her uid" grep -q "session $ALICE attached (pid [0-9]* uid $(id -u "$ALICE"))" "$T_DIR/a/log"
out=$(uaq "$MAL" -n "$ALICE" listen -c 1 2>&1)
check "squatting an attached name: not allowed (not 'in use')" grep -q "not allowed" <<<"$out"
check "group rule: a member attaches as backup-db" ulisten "$BK" backup-db "$T_DIR/bk.out" -c 1
BKPID=$LPID
for u in "$ALICE" "$MAL"; do
	out=$(uaq "$u" -n backup-x listen -c 1 2>&1)
	check "group rule: $u, not a member, refused" grep -q "not allowed" <<<"$out"
done

# --- accept from --------------------------------------------------------------
out=$(ua "$MAL" -n "$MAL" send "$ALICE" "from mallory" 2>&1); rc=$?
check "accept from: mallory rejected (exit $rc)" test "$rc" = 1
check "accept from: ... with status rejected" grep -q "$ALICE: rejected" <<<"$out"
out=$(ua "$MAL" send "$ALICE" "anonymous" 2>&1)
check "accept from: an anonymous sender rejected" grep -q "rejected" <<<"$out"
head -c 5000 /dev/urandom > "$T_DIR/small.bin"
out=$(ua "$MAL" -n "$MAL" send-file "$ALICE" "$T_DIR/small.bin" 2>&1)
check "accept from: mallory's file rejected" grep -q "rejected" <<<"$out"
out=$(nb -n dave send "$ALICE@a" "from dave" 2>&1); rc=$?
check "accept from, remote: dave@b rejected at the sender (exit $rc)" test "$rc" = 1
check "accept from, remote: ... as rejected" grep -q "rejected" <<<"$out"
check "accept from: bob accepted" ua "$BOB" -n "$BOB" send "$ALICE" "from bob"
check "accept from, remote: carol@b accepted" nb -n carol send "$ALICE@a" "from carol"
wait_status "$ALPID"
check "alice got exactly bob's and carol's" test "$(cat "$T_DIR/alice.out")" = "$BOB: from bob
carol@b: from carol"
check "nothing was written for the rejected file" is_empty "$ADIR"
check "show: 4 messages rejected" test "$(daemon_field a messages_rejected)" = 4
check "show: attaches refused counted" test "$(daemon_field a attaches_refused)" -ge 6
check "show (table): the same figures" grep -q "session policy: [0-9]* attaches refused, 4 messages rejected" <(ctl a show)

# --- anonymous sessions are never a destination ------------------------------
as_user_bg "$BOB" "$PY" "$RAW" "$T_DIR/a/session.sock" anonsink 4 > "$T_DIR/anon.out"
APID=$BGPID
wait_for 30 grep -q "^anon-" "$T_DIR/anon.out"
ANON=$(head -n 1 "$T_DIR/anon.out")
out=$(ua "$MAL" -n "$MAL" send "$ANON" "to the anonymous" 2>&1)
check "anon-N as a local destination: no such session" grep -q "$ANON: no such session" <<<"$out"
out=$(ua "$MAL" -n "$MAL" send "$ANON@a" "to the anonymous" 2>&1)
check "anon-N@<this host>: no such session" grep -q "no such session" <<<"$out"
out=$(nb -n carol send "$ANON@a" "to the anonymous" 2>&1)
check "anon-N from a peer: no such session" grep -q "no such session" <<<"$out"
wait "$APID"
check "the anonymous session got nothing" grep -q "^got 0$" "$T_DIR/anon.out"

# --- files: names ----------------------------------------------------------------
BDIR=$(udir "$BOB")
ulisten "$BOB" "$BOB" "$T_DIR/names.out" -c 3 -o "$BDIR"
as_user "$MAL" "$PY" "$RAW" "$T_DIR/a/session.sock" offer "$MAL" "$BOB" \
    .profile -rf .forward > "$T_DIR/names.raw" 2>&1
wait_status "$LPID"
check "names: every offer answered" grep -q '^results 3$' "$T_DIR/names.raw"
check "names: each refused as rejected" test "$(grep -c 'status 8$' "$T_DIR/names.raw")" = 3
check "names: nothing written" is_empty "$BDIR"
out=$(ua "$MAL" -n "$MAL" send-file "$BOB" "$T_DIR/.hidden" 2>&1)
check "names: the sender refuses a dot name itself" grep -q "receiver would refuse" <<<"$out"

# --- files: size -------------------------------------------------------------------
ulisten "$BOB" "$BOB" "$T_DIR/size.out" -c 1 -o "$BDIR" --max-size 1K
out=$(ua "$MAL" -n "$MAL" send-file "$BOB" "$T_DIR/small.bin" 2>&1); rc=$?
wait_status "$LPID"
check "--max-size 1K: a 5000-byte file refused (exit $rc)" test "$rc" = 1
check "--max-size 1K: the sender is told too large" grep -q "too large" <<<"$out"
check "--max-size 1K: nothing written" is_empty "$BDIR"
truncate -s $((1024 * 1024 * 1024 + 1)) "$T_DIR/huge.bin"
ulisten "$BOB" "$BOB" "$T_DIR/huge.out" -c 1 -o "$BDIR"
out=$(as_user_for 60 "$MAL" "$NC" -s "$T_DIR/a/session.sock" -n "$MAL" \
    send-file "$BOB" "$T_DIR/huge.bin" 2>&1); rc=$?
wait_status "$LPID"
check "default maximum 1 GiB: 1 GiB + 1 byte refused (exit $rc)" test "$rc" = 1
check "default maximum: too large" grep -q "too large" <<<"$out"
check "default maximum: nothing written" is_empty "$BDIR"
rm -f "$T_DIR/huge.bin"

# --- files: free space ---------------------------------------------------------------
MNT=$(mktemp -d /tmp/nc-lt-fs.XXXXXX)
if mount -t tmpfs -o size=1m,mode=700 tmpfs "$MNT" 2>/dev/null; then
	chown "$BOB" "$MNT"
	head -c $((1000 * 1024)) /dev/urandom > "$T_DIR/fill.bin"
	ulisten "$BOB" "$BOB" "$T_DIR/space.out" -c 1 -o "$MNT"
	out=$(ua "$MAL" -n "$MAL" send-file "$BOB" "$T_DIR/fill.bin" 2>&1); rc=$?
	wait_status "$LPID"
	check "free space: 1000 KiB on 1 MiB refused (exit $rc)" test "$rc" = 1
	check "free space: the sender is told why" grep -q "not enough free space at the receiver" <<<"$out"
	check "free space: nothing written" is_empty "$MNT"
	check "free space: not a block used" test "$(df --output=used -B1 "$MNT" | tail -n 1 | tr -d ' ')" = 0
	ulisten "$BOB" "$BOB" "$T_DIR/space0.out" -c 1 -o "$MNT" --min-free 0
	check "free space: with --min-free 0 it is taken" ua "$MAL" -n "$MAL" send-file "$BOB" "$T_DIR/fill.bin"
	wait_status "$LPID"
	check "free space: ... and saved whole" cmp -s "$T_DIR/fill.bin" "$MNT/fill.bin"
else
	echo "note: cannot mount a tmpfs here: the free-space rule is not tried"
fi

# --- files: --from -------------------------------------------------------------------
FDIR=$(udir "$BOB")
ulisten "$BOB" "$BOB" "$T_DIR/from.out" -c 2 -o "$FDIR" --from "$ALICE,*@b"
out=$(ua "$MAL" -n "$MAL" send-file "$BOB" "$T_DIR/small.bin" 2>&1); rc=$?
check "--from: mallory's file refused (exit $rc)" test "$rc" = 1
check "--from: ... as rejected" grep -q "rejected" <<<"$out"
check "--from: nothing written" is_empty "$FDIR"
check "--from: alice's file taken" ua "$ALICE" -n "$ALICE" send-file "$BOB" "$T_DIR/small.bin"
wait_status "$LPID"
check "--from: ... and only hers saved" test "$(ls -A "$FDIR")" = small.bin

# --- send-file without -n: the login name, which a receiver can trust ------
ulisten "$ALICE" "$ALICE" "$T_DIR/login.out" -c 1 -o "$ADIR"
check "send-file without -n: sent" ua "$BOB" send-file "$ALICE" "$T_DIR/small.bin"
wait_status "$LPID"
check "send-file without -n: from the login name" grep -q "^saved small.bin (5000 bytes, sha256 OK) from $BOB$" "$T_DIR/login.out"
rm -f "$ADIR/small.bin"

# --- files: leftovers of an interrupted receive ------------------------------------
SDIR=$(udir "$BOB")
ulisten "$BOB" "$BOB" "$T_DIR/stale.out" -o "$SDIR"
as_user_bg "$MAL" "$PY" "$RAW" "$T_DIR/a/session.sock" partial "$MAL" "$BOB" half.bin 30 \
    > "$T_DIR/partial.out" 2>&1
PPID_=$BGPID
has_tmp() { [ -n "$(find "$SDIR" -name '.nc-*' -size 64000c)" ]; }
check "interrupted: a temporary file is being written" wait_for 50 has_tmp
gone=$(grep -c "session $BOB (pid [0-9]* uid [0-9]*): detached" "$T_DIR/a/log")
kill -KILL "$LPID"; wait "$LPID" 2>/dev/null
kill "$PPID_" 2>/dev/null; wait "$PPID_" 2>/dev/null
detached_more() { [ "$(grep -c "session $BOB (pid [0-9]* uid [0-9]*): detached" "$T_DIR/a/log")" -gt "$gone" ]; }
wait_for 50 detached_more
STALE=$(find "$SDIR" -name '.nc-*' -printf '%f\n')
check "interrupted: the receiver killed, its temporary file left ($STALE)" test -n "$STALE"
touch "$SDIR/.nc-0123456789ab" "$SDIR/keep.txt"	# root's: not the receiver's
as_user "$BOB" touch "$SDIR/.nc-notoursatall"
ulisten "$BOB" "$BOB" "$T_DIR/stale2.out" -o "$SDIR"
check "interrupted: the next receiver removed the leftover" test ! -e "$SDIR/$STALE"
check "interrupted: ... and nothing else" test "$(ls -A "$SDIR" | LC_ALL=C sort | tr '\n' ' ')" = ".nc-0123456789ab .nc-notoursatall keep.txt "
kill "$LPID"; wait "$LPID" 2>/dev/null

# --- reload -----------------------------------------------------------------------
add_user "$LATE" "$GS" || not_ok "useradd $LATE"
out=$(uaq "$LATE" -n "$LATE" listen -c 1 2>&1)
check "a user added after start: unknown to the policy until a reload" grep -q "not allowed" <<<"$out"
policy_a "session \"backup-*\" user \"$ALICE\"" \
    "session \"$ALICE\" accept from \"$BOB\", \"carol@b\", \"$MAL\""
check "reload" ctl a reload
check "reload: the policy change reported" grep -q "reload: session rules: changed" "$T_DIR/a/log"
check "reload: a session the new policy refuses is detached" \
    wait_for 30 grep -q "session backup-db (pid [0-9]* uid $(id -u "$BK")): detached: the session policy no longer" "$T_DIR/a/log"
wait_status "$BKPID"
check "reload: ... and its program told (exit $RC)" test "$RC" = 1
check "reload: the late user attaches now" ulisten "$LATE" "$LATE" "$T_DIR/late.out" -c 1
kill "$LPID"; wait "$LPID" 2>/dev/null
ulisten "$ALICE" "$ALICE" "$T_DIR/alice2.out" -c 1
check "reload: a new accept list applies at once" ua "$MAL" -n "$MAL" send "$ALICE" "now welcome"
wait_status "$LPID"
check "reload: ... delivered" grep -q "^$MAL: now welcome$" "$T_DIR/alice2.out"

# --- the bound on refusal log lines ---------------------------------------------------
before=$(refusals)
n0=$(daemon_field a attaches_refused)
[ "$n0" -ge 0 ] 2>/dev/null || n0=0
out=$(as_user_for 30 "$MAL" "$PY" "$RAW" "$T_DIR/a/session.sock" tryattach "$ALICE" 300)
check "300 refused attaches on one connection: all refused, status 10" test "$out" = "status 10 300"
burst=$(( $(refusals) - before ))
check "300 refused attaches: at most 20 log lines ($burst)" test "$burst" -le 20
check "300 refused attaches: all counted" test "$(daemon_field a attaches_refused)" = $((n0 + 300))
sleep 1.1
ua "$MAL" -n "$ALICE" send "$BOB" x > /dev/null 2>&1
check "the next line says how many were left out" \
    grep -q "session $ALICE refused (pid [0-9]* uid $MALUID): .*([1-9][0-9]* refusals not logged" "$T_DIR/a/log"

stop_pid "$PIDA"; check "a exits 0" test "$RC" = 0
t_done
