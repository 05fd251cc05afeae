#!/bin/bash
# The records of messages with a lifetime (doc/PROTOCOL.md 7.10) from a
# hostile peer (evilpeer, which announces bit 1 first): a malformed SMSG,
# a SACK with a status a SACK may not carry, an SFINAL_ACK when no SFINAL
# is unacknowledged and a SACK for a seq never sent each close its link
# with CLOSE(protocol error) and a log line saying why; so do types 16 to
# 19 from a peer that did not announce bit 1.  A well-formed SMSG, sent
# last, is answered SACK 0 and leaves the link up, and sent again on a new
# link it is a duplicate, answered SACK 0 again.
#
# Needs the daemon with its spool process (issue 18).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
EVIL="$top_builddir/tests/integration/evilpeer"

for h in a e; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port)
count_log() { grep -c "$2" "$T_DIR/$1/log"; }

write_conf a "$PA" "peer \"e\" {
	public key \"$T_DIR/e/private.pem.pub\"
}"
start_daemon a; PIDA=$DAEMON_PID
check "a's spool says hello" wait_for 100 grep -q "spool: .* entries kept" "$T_DIR/a/log"

# Bodies, field by field (7.10).  e's incarnation and seq 1:
INC=0102030405060708
SEQ=0000000000000001
# SMSG: inc, seq, ttl 60 s, flags 0, from "evil", to "bob", payload
# content type 0 (text) "hi".
smsg() {	# smsg TOHEX: the SMSG above with another to
	printf '%s%s%s%s%02x%s%02x%s%s' "$INC" "$SEQ" 0000003c 00 \
		4 6576696c $((${#1} / 2)) "$1" 006869
}
GOOD=$(smsg 626f62)		# to "bob"
BADNAME=$(smsg 624064)		# to "b@d"
SACK5=${INC}${SEQ}05		# SACK: 0 and 13 only
SFINAL_ACK=${INC}${SEQ}		# no SFINAL sent to e
SACK_UNSENT=${INC}${SEQ}00	# a's spool sent e nothing

# evil WHY HOW:RECS: e sends the records; a closes e's link, saying WHY.
evil() {
	local why=$1 recs=$2 before out
	before=$(count_log a "to e: closing: $why")
	out=$("$EVIL" -m up -a "$recs" -p "$PA" -k "$T_DIR/e/private.pem" -T 10)
	check "$why ($recs): CLOSE(protocol error)" test "$out" = "up
closed by the daemon: CLOSE reason 2"
	check "$why: logged" test "$(count_log a "to e: closing: $why")" -gt "$before"
}
evil "malformed SMSG" "spool:16:$BADNAME"
evil "malformed SACK or SFINAL" "spool:17:$SACK5"
evil "SFINAL_ACK for nothing sent" "spool:19:$SFINAL_ACK"
evil "SACK for nothing sent" "spool:17:$SACK_UNSENT"
evil "unexpected record type" "rec:16:$GOOD"
evil "unexpected record type" "rec:19:$SFINAL_ACK"

# The same peer, well-formed: taken, then taken again as a duplicate.
for n in 1 2; do
	out=$("$EVIL" -m up -a "spool:16:$GOOD" -p "$PA" -k "$T_DIR/e/private.pem" -T 10)
	while IFS= read -r line; do echo "note: evilpeer: $line"; done <<<"$out"
	check "a good SMSG ($n): SACK 0" grep -q "^SACK seq 1 status 0$" <<<"$out"
	check "a good SMSG ($n): no CLOSE from a" test "$(grep -c "CLOSE reason" <<<"$out")" = 0
done
check "a is still running" kill -0 "$PIDA"
stop_pid "$PIDA"
check "a exits 0" test "$RC" = 0
t_done
