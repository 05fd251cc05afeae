# bench/lib.sh: what bench/run and bench/profile share, sourced by both.
# Every process is started with bg (its pid joins $PIDS) and stopped by
# pid; every wait is bounded; ports are free ones on 127.0.0.1.

wait_gone() {	# pid tenths
	local i
	for i in $(seq 1 "$2"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1" 50 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
# Background process: its log, then its command line; sets BGPID.
bg() {
	local log=$1; shift
	"$@" > "$log" 2>&1 &
	BGPID=$!
	PIDS="$PIDS $BGPID"
}
wait_for() {	# tenths command...
	local n=$1 i; shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local i port
	for i in $(seq 1 50); do
		# Below the ephemeral range: the connection tests leave
		# thousands of TIME_WAIT sockets there.
		port=$(( (RANDOM << 1 ^ RANDOM) % 20000 + 10000 ))
		if ! port_open "$port"; then
			echo "$port"
			return 0
		fi
	done
	return 1
}
