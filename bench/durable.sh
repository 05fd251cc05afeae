# shellcheck shell=bash disable=SC2046
# (SC2046: "$(on a)" is a command prefix, split on purpose, as in bench/run.)
#
# bench/durable.sh: bench/run's "durable" suite, sourced by it (issue 18
# part 5).  Messages that must survive a crash: netcryptd's messages with
# a lifetime (QUEUED only after the spool's fdatasync) against NATS
# JetStream's acked publishes to a stream kept in files, in the same leaf
# topology as the nats suite, and the cost of one fdatasync on the file
# system both write to.  bench/durable.awk turns the figures into the
# report's section and its lines of the targets table.
#
# Which nats-server keeps the stream: B, the receiving side, so that a
# publish crosses the TLS leaf link before it is stored and its ack
# crosses it back (the issue's anchor figures are "through a TLS leaf
# node"; B names its JetStream domain, "hub", which is what lets A's
# clients reach it);
# then A, the publisher's own server, an ack without the link, which is
# nearer to what netcryptd's QUEUED covers (stored by the sender's own
# daemon).  The targets table has a line for each.
#
# The calls to fsync and fdatasync of the storing processes are counted
# in a run of their own, with perf's syscall tracepoints (counted in the
# kernel, nothing slowed) or else strace -f -c (which stops the process
# at every call it traces, so the count run is never a timed one).

if [ "$QUICK" = 1 ]; then
	DUR_N=5000; DUR_ONE=300
else
	DUR_N=50000; DUR_ONE=3000
fi
DUR_W=256
FSYNC_N=1000

# How to count a process's syncs: SYNC_HOW is perf, strace or "".
sync_how() {
	SYNC_HOW=""
	if command -v perf >/dev/null 2>&1 &&
	    perf stat -x, -e syscalls:sys_enter_fdatasync -- true >/dev/null 2>&1; then
		SYNC_HOW=perf
	elif need_tool strace strace; then
		SYNC_HOW=strace
	fi
}
# Counts the syncs of a process (all its threads) until sync_stop; sets
# SYNCPID, the counter's.  1 if it cannot.
sync_start() {	# file pid
	case $SYNC_HOW in
	perf)
		bg "$1.log" perf stat -x, -o "$1" \
		    -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync -p "$2" ;;
	strace)
		bg "$1.log" strace -f -c -e trace=fsync,fdatasync -o "$1" -p "$2" ;;
	*) return 1 ;;
	esac
	SYNCPID=$BGPID
	sleep 0.5	# attached to every thread
	kill -0 "$SYNCPID" 2>/dev/null
}
# Stops a counter; prints the calls it counted.
sync_stop() {	# file counter-pid
	kill -INT "$2" 2>/dev/null
	wait_gone "$2" 50
	stop_all_of "$2"
	if [ "$SYNC_HOW" = perf ]; then
		awk -F, '$3 ~ /sys_enter_f/ && $1 ~ /^[0-9]+$/ { s += $1; n++ }
		    END { if (n == 2) print s }' "$1"
	else
		awk '$NF == "fsync" || $NF == "fdatasync" { s += $4 } END { print s + 0 }' "$1"
	fi
}
# The syncs of pid while the command runs, per 1000 of n messages, as
# figure metric of tool.
count_syncs() {	# tool metric pid n command...
	local tool=$1 metric=$2 pid=$3 n=$4 f="$DIR/syncs.$RANDOM" c s; shift 4
	if ! sync_start "$f" "$pid"; then
		note "$tool: syncs not counted (no perf, no strace)"
		return
	fi
	c=$SYNCPID
	"$@" >/dev/null 2>"$f.err" || note "$tool: the counted run failed: $(tail -1 "$f.err")"
	s=$(sync_stop "$f" "$c")
	[ -n "$s" ] && record "$tool" "$metric" "$(awk -v s="$s" -v n="$n" 'BEGIN { printf "%.2f", 1000 * s / n }')"
}

# One 64-byte append and its fdatasync, where the spools and the
# JetStream stores are: the floor under a durable receipt.
durable_fsync() {
	local fs
	fs=$(df -PT "$DIR" 2>/dev/null | awk 'NR == 2 { print $2 }')
	echo "${fs:-unknown}" > "$DIR/fs_type"
	case $fs in
	tmpfs|ramfs) note "durable: $DIR is on $fs: fsync costs nothing there, the durable figures mean little" ;;
	esac
	client fsync 60 fsync-lat "$DIR" "$FSYNC_N"
}

# ---- JetStream --------------------------------------------------------------
js_bytes() { du -sb "$1" 2>/dev/null | cut -f1; }
js_round() {	# tool a|b: the stream kept on that host
	local tool=$1 host=$2 store pid b0 b1 dom=""
	store="$DIR/nats/js-$host"
	rm -rf "$store"
	nats_pair_confs "$host"
	nats_pair_start "$tool" || return
	pid=$NA; [ "$host" = b ] && { pid=$NB; dom=hub; }
	# The stream is made by the first js-pub; the window run is measured
	# against an empty store.
	if ! timeout 60 $(on a) "$NCLOAD" js-pub "$PA" BENCH 100 1 $dom >/dev/null 2>"$DIR/js.err"; then
		note "$tool: no stream: $(tail -1 "$DIR/js.err")"
		stop_all_of "$NA" "$NB"
		return
	fi
	b0=$(js_bytes "$store")
	client "$tool" 120 js-pub "$PA" BENCH "$DUR_N" "$DUR_W" $dom
	b1=$(js_bytes "$store")
	[ -n "$b0" ] && [ -n "$b1" ] &&
	    record "$tool" disk_bytes_per_msg "$(awk -v a="$b0" -v b="$b1" -v n="$DUR_N" 'BEGIN { printf "%.1f", (b - a) / n }')"
	client "$tool/1" 120 js-pub "$PA" BENCH "$DUR_ONE" 1 $dom
	count_syncs "$tool" syncs_per_1000_msgs "$pid" "$DUR_N" \
	    timeout 120 $(on a) "$NCLOAD" js-pub "$PA" BENCH "$DUR_N" "$DUR_W" $dom
	stop_all_of "$NA" "$NB"
	nats_slow "$tool" "$DIR/nats/a.log" "$DIR/nats/b.log"
}
durable_jetstream() {
	# shellcheck disable=SC2034 # set and read by nats_pair_confs, _start
	local PA PB LB MB NA NB
	if ! need_tool nats-server nats-server || ! need_tool openssl openssl; then
		note "jetstream: skipped: nats-server or openssl missing, and apt-get could not install it"
		return
	fi
	nats_prepare || return
	js_round jetstream b
	js_round jetstream-local a
}

# ---- netcryptd ------------------------------------------------------------------
# Daemons A and B with their spools, linked; sets DA DB PA PB.
nc_durable_start() {
	PA=$(free_port); PB=$(free_port)
	nc_conf a "$PA" aes-256-gcm "peer \"hostb\" {" \
	    "	connect to 127.0.0.1 port $PB" \
	    "	public key \"$DIR/b/private.pem.pub\"" "}"
	nc_conf b "$PB" aes-256-gcm "peer \"hosta\" {" \
	    "	public key \"$DIR/a/private.pem.pub\"" "}"
	bg "$DIR/b/log" $(on b) "$NETCRYPTD" -d -f "$DIR/b/netcryptd.conf"; DB=$BGPID
	bg "$DIR/a/log" $(on a) "$NETCRYPTD" -d -f "$DIR/a/netcryptd.conf"; DA=$BGPID
	wait_for 150 link_up && return 0
	note "netcryptd-durable: the link did not come up: $(tail -1 "$DIR/a/log")"
	stop_all_of "$DA" "$DB"
	return 1
}
durable_netcryptd() {
	local tool=netcryptd-durable PA PB DA DB sa sb sc="" n rx=""
	if [ "$SPOOL_OK" != 1 ]; then
		note "$tool: skipped: this netcryptd has no spool (its configuration test refused the spool block: $SPOOL_WHY)"
		return
	fi
	if ! "$NCLOAD" nc-durable-check >/dev/null 2>&1; then
		note "$tool: skipped: ncload nc-durable-check failed (its session records)"
		return
	fi
	rm -rf "$DIR/a/spool" "$DIR/b/spool"
	nc_durable_start || return
	[ "$PIN" = 1 ] && rx=1
	NCLOAD_RX_CPU=$rx NCLOAD_WINDOW=$DUR_W client "$tool" 300 nc-durable \
	    "$DIR/a/session.sock" "$DIR/b/session.sock" hostb "$DUR_N" "$DUR_ONE" \
	    "$DIR/a/spool" "$DIR/b/spool"
	# The window part again, without the others (one at a time, they
	# would count one sync a message): each spool's syncs.
	sa=$(child_of "$DA" spool); sb=$(child_of "$DB" spool)
	if [ -z "$sa" ] || [ -z "$sb" ]; then
		note "$tool: no spool process found: syncs not counted"
	elif [ "$SYNC_HOW" = perf ]; then
		sync_start "$DIR/syncs-b" "$sb" && sc=$SYNCPID
			NCLOAD_RX_CPU=$rx NCLOAD_WINDOW=$DUR_W count_syncs "$tool" \
		    syncs_per_1000_msgs_a "$sa" $((DUR_N + 20)) timeout 120 $(on a) \
		    "$NCLOAD" nc-durable "$DIR/a/session.sock" "$DIR/b/session.sock" hostb "$DUR_N" 0
		[ -n "$sc" ] && n=$(sync_stop "$DIR/syncs-b" "$sc") && [ -n "$n" ] &&
		    record "$tool" syncs_per_1000_msgs_b "$(awk -v s="$n" -v n=$((DUR_N + 20)) 'BEGIN { printf "%.2f", 1000 * s / n }')"
	else
		# strace slows what it traces: one spool at a time.
		NCLOAD_RX_CPU=$rx NCLOAD_WINDOW=$DUR_W count_syncs "$tool" \
		    syncs_per_1000_msgs_a "$sa" $((DUR_N + 20)) timeout 120 $(on a) \
		    "$NCLOAD" nc-durable "$DIR/a/session.sock" "$DIR/b/session.sock" hostb "$DUR_N" 0
	fi
	stop_all_of "$DA" "$DB"
}

durable_suite() {
	sync_how
	echo "${SYNC_HOW:-none}" > "$DIR/sync_how"
	durable_fsync
	durable_jetstream
	durable_netcryptd
}
