# bench/durable.awk: the durable suite's part of bench/run's report
# (bench/durable.sh measures).  Loaded before bench/run's own program,
# which holds v[tool "|" metric], get(), tline() and calls these two.

function dcell(k, fmt) {	# a figure, or "" if not measured
	return (k in v) ? sprintf(fmt, v[k]) : ""
}
function dpair(k1, k2, fmt) {	# "a (b)", or "" if a was not measured
	if (!(k1 in v)) return ""
	return sprintf(fmt, v[k1]) ((k2 in v) ? sprintf(" (" fmt ")", v[k2]) : "")
}
function drow(what, nc, jb, ja) {
	if (nc == "" && jb == "" && ja == "") return
	printf "| %s | %s | %s | %s |\n", what, nc, jb, ja
}
function durable_section(    nc, a, b) {
	nc = "netcryptd-durable"
	if (get(nc "|queued_per_s") < 0 && get("jetstream|acked_per_s") < 0 &&
	    get("jetstream-local|acked_per_s") < 0 && get("fsync|fsync_median_us") < 0)
		return
	printf "\n### Durable 64-byte messages: netcryptd's spool and NATS JetStream\n\n"
	printf "netcryptd: messages with a lifetime from a session on A to one on B; a receipt is QUEUED, sent after the spool of A wrote the message and its fdatasync returned.  JetStream: publishes with a reply subject to a stream with file storage; a receipt is the ack of the server that keeps the stream, on B (across the TLS leaf link) or on A (the publisher's own server).  Syncs were counted in a run of their own.\n\n"
	printf "| figure | netcryptd | JetStream, stream on B | JetStream, stream on A |\n|---|---:|---:|---:|\n"
	drow("receipts/s, 256 in flight", dcell(nc "|queued_per_s", "%d"), dcell("jetstream|acked_per_s", "%d"), dcell("jetstream-local|acked_per_s", "%d"))
	drow("deliveries/s at the receiving session, 256 in flight", dcell(nc "|delivered_per_s", "%d"), "", "")
	drow("receipts/s, one at a time", dcell(nc "|one_per_s", "%d"), dcell("jetstream/1|acked_per_s", "%d"), dcell("jetstream-local/1|acked_per_s", "%d"))
	drow("receipt latency one at a time, median µs", dcell(nc "|queued_median_us", "%.1f"), dcell("jetstream/1|ack_median_us", "%.1f"), dcell("jetstream-local/1|ack_median_us", "%.1f"))
	drow("receipt latency one at a time, p99 µs", dcell(nc "|queued_p99_us", "%.1f"), dcell("jetstream/1|ack_p99_us", "%.1f"), dcell("jetstream-local/1|ack_p99_us", "%.1f"))
	a = dcell(nc "|syncs_per_1000_msgs_a", "%.2f"); b = dcell(nc "|syncs_per_1000_msgs_b", "%.2f")
	drow("fsync + fdatasync calls per 1000 messages, 256 in flight", a == "" ? "" : "A " a (b == "" ? "" : ", B " b), dcell("jetstream|syncs_per_1000_msgs", "%.2f"), dcell("jetstream-local|syncs_per_1000_msgs", "%.2f"))
	a = dcell(nc "|disk_bytes_per_msg_a", "%.1f"); b = dcell(nc "|disk_bytes_per_msg_b", "%.1f")
	drow("disk bytes per message (file sizes)", a == "" ? "" : "A " a ", B " b, dcell("jetstream|disk_bytes_per_msg", "%.1f"), dcell("jetstream-local|disk_bytes_per_msg", "%.1f"))
	a = dcell(nc "|alloc_bytes_per_msg_a", "%.1f"); b = dcell(nc "|alloc_bytes_per_msg_b", "%.1f")
	drow("disk blocks per message, bytes", a == "" ? "" : "A " a ", B " b, "", "")
	drow("SEND to delivery with a lifetime, median µs (p99)", dpair(nc "|spooled_median_us", nc "|spooled_p99_us", "%.1f"), "", "")
	drow("SEND to delivery without, median µs (p99)", dpair(nc "|plain_median_us", nc "|plain_p99_us", "%.1f"), "", "")
	drow("latency the spools add to a delivery, median µs", dcell(nc "|spool_added_us", "%.1f"), "", "")
	drow("one 64-byte append + fdatasync here, median µs (p99)", dpair("fsync|fsync_median_us", "fsync|fsync_p99_us", "%.1f"), "", "")
}
function durable_targets(    nc, q, j, l, f) {
	nc = "netcryptd-durable"
	# Against both places JetStream may keep the stream: B is the
	# issue's anchor (through the leaf link); A acks where QUEUED is given.
	q = get(nc "|queued_per_s")
	j = get("jetstream|acked_per_s")
	tline("durable 64 B msgs/s, 256 in flight: >= JetStream's acked rate, stream on B (across the leaf link)", sprintf("%.2f x", j > 0 && q > 0 ? q / j : 0), q >= j, q > 0 && j > 0)
	j = get("jetstream-local|acked_per_s")
	tline("durable 64 B msgs/s, 256 in flight: >= JetStream's acked rate, stream on A (the publisher's server)", sprintf("%.2f x", j > 0 && q > 0 ? q / j : 0), q >= j, q > 0 && j > 0)
	l = get(nc "|queued_median_us"); f = get("fsync|fsync_median_us")
	tline("one at a time: QUEUED latency <= 1.3 x one fsync's latency", sprintf("%.2f x", f > 0 && l > 0 ? l / f : 0), l <= 1.3 * f, l > 0 && f > 0)
	printf "| latency the spools add to a delivered message (reported) | %s | |\n", (nc "|spool_added_us") in v ? sprintf("%.0f µs", v[nc "|spool_added_us"]) : "not measured"
	printf "| disk bytes per 64-byte message (reported) | %s | |\n", (nc "|disk_bytes_per_msg_a") in v ? sprintf("A %.0f, B %.0f", v[nc "|disk_bytes_per_msg_a"], v[nc "|disk_bytes_per_msg_b"]) : "not measured"
}
