#!/bin/bash
# Issue 18 (e): torn and damaged entries, and netcryptctl queue.  With the
# receiver down, messages are queued on a, a is stopped cleanly and its
# last segment damaged: cut inside its last records (a torn tail; three
# rounds, each at another offset), then bytes flipped in the middle of an
# entry in the middle of a segment.  Each time a restarts and must find
# the damage and report it, in its log and in `netcryptctl queue` (and
# --json); then b comes up and every entry that was not damaged is
# delivered exactly once, in order, and the damaged ones never.  Before
# that: `queue show` and `queue drop` (status 16, told to the sender; the
# dropped entry is never sent), and a drop at the receiver, which the
# sender hears as SFINAL 16.  Offsets come from reading the segment's
# records with a fixed seed: the same test every run.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
need_jq
command -v python3 >/dev/null || skip "needs python3 for the raw client"
SC="python3 $top_srcdir/tests/integration/spoolclient.py"
SEED=${SPOOLTORN_SEED:-18}

for h in a b; do make_host "$h" || { not_ok "keygen $h"; t_done; }; done
PA=$(free_port); PB=$(free_port)
write_conf a "$PA" "$(peer_block b "$PB")"
write_conf b "$PB" "$(peer_block a "$PA")"

sa() { $SC "$T_DIR/a/session.sock" "$@"; }
sb() { $SC "$T_DIR/b/session.sock" "$@"; }
ids() { awk '$1 == "id" {print $3}' "$1"; }
status_of() { sa query q "$1" | awk '{print $2}'; }
queue_json() { ctl "$1" queue --json; }

# damage MODE ROUND: cut (torn tail) or flip (one entry in the middle)
# the last segment of a's spool; prints the texts of the MSG records left
# whole, in order, then "at SEGMENT OFFSET" of the damage.
damage() {
	python3 - "$T_DIR/a/spool" "$1" "$SEED" "$2" <<'PY'
import os, random, struct, sys
d, mode, seed, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
segs = sorted(f for f in os.listdir(d) if f.startswith("seg."))
path = os.path.join(d, segs[-1])
img = open(path, "rb").read()
recs, off = [], 28                      # doc/SPOOL.md 2 and 3
while off + 16 <= len(img) and img[off:off + 4] == b"NCSQ":
    kind, blen = img[off + 5], struct.unpack(">I", img[off + 8:off + 12])[0]
    end = off + 20 + blen
    if kind == 1:                       # MSG: names, then the payload
        body = img[off + 16:end - 4]
        p = body[80 + body[10] + body[11]:]
        recs.append((off, end, p[1:].decode()))
    off = end
rng = random.Random(seed * 10 + rnd)
if mode == "cut":                       # inside one of the last three
    i = rng.randrange(max(0, len(recs) - 3), len(recs))
    at = rng.randrange(recs[i][0] + 1, recs[i][1])
    os.truncate(path, at)
    keep = [r for r in recs if r[1] <= at]
    where = recs[i][0]
else:                                   # the payload of the middle one
    i = len(recs) // 2
    s, e, _ = recs[i]
    a = (s + 16 + 80 + e - 4) // 2
    b = bytearray(img)
    for k in range(a - 2, a + 2):
        b[k] ^= 0x5a
    open(path, "r+b").write(bytes(b))
    keep = recs[:i] + recs[i + 1:]
    where = s
for r in keep:
    print(r[2])
print("at %s %d" % (segs[-1][4:], where))
PY
}

# reported SEG OFF WHY: the damage is in a's log, the listing and the JSON.
reported() {
	check "$3 at $1 offset $2: in the log" \
		grep -q "spool: segment $1 offset $2: .*($4" "$T_DIR/a/log"
	check "$3: in netcryptctl queue" \
		grep -Eq "^$1 +$2 +[0-9]+ +$4" <(ctl a queue)
	check "$3: in netcryptctl queue --json" test "$(queue_json a |
		jq -r --arg s "$1" --argjson o "$2" \
		'.damage[] | select(.segment == $s and .offset == $o) | .reason' |
		cut -c1-${#4})" = "$4"
}

start_daemon a; PIDA=$DAEMON_PID

# --- netcryptctl queue: list, show, drop ---------------------------------
out=$(sa put alice bob@b 3600 3 d 2> "$T_DIR/d.ids")
check "three queued while b is down" test "$out" = "queued 3 refused 0"
read -r D1 D2 D3 <<< "$(ids "$T_DIR/d.ids" | tr '\n' ' ')"
check "queue --json lists the three, out to b, queued, in order" test \
	"$(queue_json a | jq -r '.entries[] | "\(.id) \(.kind) \(.peer) \(.state) \(.from) \(.to) \(.seq)"' | tr '\n' ' ')" = \
	"$D1 out b queued alice bob 1 $D2 out b queued alice bob 2 $D3 out b queued alice bob 3 "
check "queue --json totals: 3 entries, peer b" test \
	"$(queue_json a | jq -r '"\(.totals.entries) \(.totals.peers[0].name) \(.totals.peers[0].entries)"')" = "3 b 3"
check "queue lists them in a table" grep -Eq "^$D2 +out to b +queued +alice +bob +4 +2 " <(ctl a queue)
ctl a queue show "$D2" > "$T_DIR/show" 2>&1
check "queue show: size and content type" grep -q "size *4 bytes, content text" "$T_DIR/show"
check "queue show: never the payload" test "$(grep -c 'd-2' "$T_DIR/show")" = 0
check "queue show --json" test "$(ctl a queue show "$D2" --json | jq -r '"\(.id) \(.content) \(.size)"')" = "$D2 text 4"
check "queue drop" grep -q "dropped" <(ctl a queue drop "$D2")
check "the sender's status is 16, dropped" test "$(status_of "$D2")" = 16
check "a second drop fails: ended already" \
	grep -q "ended already (16, dropped)" <(ctl a queue drop "$D2" 2>&1 >/dev/null)
check "a drop of no entry fails" \
	test "$(ctl a queue drop 0123456789abcdef >/dev/null 2>&1; echo $?)" = 1
check "the dropped entry is no longer listed" test "$(queue_json a | jq -r '.entries | length')" = 2
echo d-1 > "$T_DIR/want"; echo d-3 >> "$T_DIR/want"

# --- torn tails: three rounds, each cut elsewhere ------------------------
for r in 1 2 3; do
	sa put alice bob@b 3600 8 "t$r" > /dev/null 2>&1
	stop_pid "$PIDA"
	damage cut "$r" > "$T_DIR/cut$r"
	grep -v '^at ' "$T_DIR/cut$r" | grep "^t$r-" >> "$T_DIR/want"
	read -r _ SEG OFF <<< "$(grep '^at ' "$T_DIR/cut$r")"
	start_daemon a; PIDA=$DAEMON_PID
	reported "$SEG" "$OFF" "round $r: torn tail" "torn"
	check "round $r: the listing has exactly what is left" test \
		"$(queue_json a | jq -r '.entries | length')" = "$(wc -l < "$T_DIR/want")"
done

# --- bytes flipped in an entry in the middle of a segment ----------------
sa put alice bob@b 3600 9 f > /dev/null 2>&1
stop_pid "$PIDA"
damage flip 0 > "$T_DIR/flip"
grep "^f-" "$T_DIR/flip" >> "$T_DIR/want"
read -r _ SEG OFF <<< "$(grep '^at ' "$T_DIR/flip")"
check "the flip hit one of the nine" test "$(grep -c '^f-' "$T_DIR/flip")" = 8
start_daemon a; PIDA=$DAEMON_PID
reported "$SEG" "$OFF" "flipped bytes" "bad body crc"

# --- b comes up: the rest delivered once, in order; the damaged never ----
start_daemon b; PIDB=$DAEMON_PID
check "link up" wait_up a b 100
N=$(wc -l < "$T_DIR/want")
sb take bob 100 8 > "$T_DIR/got" 2> "$T_DIR/take"
check "all $N undamaged entries delivered, in order, and nothing else" \
	cmp -s "$T_DIR/want" "$T_DIR/got"
check "none twice" grep -q "dup 0" "$T_DIR/take"
check "the dropped one was never sent" test "$(grep -c '^d-2$' "$T_DIR/got")" = 0

# --- a drop at the receiver reaches the sender as SFINAL 16 --------------
out=$(sa put alice bob@b 3600 1 r 2> "$T_DIR/r.ids")
R=$(ids "$T_DIR/r.ids")
check "at b's spool (14)" wait_for 100 test "$(status_of "$R")" = 14
check "a cannot drop what b has" \
	grep -q "only the peer's administrator" <(ctl a queue drop "$R" 2>&1)
BID=$(queue_json b | jq -r '.entries[] | select(.kind == "mailbox") | .id')
check "b lists it in bob's mailbox" test -n "$BID"
check "b's administrator drops it" grep -q dropped <(ctl b queue drop "$BID")
check "a hears dropped (16)" wait_for 100 test "$(status_of "$R")" = 16
sb take bob 1 2 > "$T_DIR/r.got" 2>/dev/null
check "bob never gets it" test ! -s "$T_DIR/r.got"
t_done
