#!/bin/sh
# "make fuzz": run each libFuzzer target for FUZZ_SECONDS (default 60)
# from a copy of its seed corpus, one after the other.  Fails when any
# target crashes, leaks or times out; the input that did it is left in
# fuzz-artifacts/<target>/ of the build directory (replay it with
# tests/fuzz/replay_<target> FILE, and keep it in tests/fuzz/regress/).
# New inputs the fuzzer finds go to fuzz-corpus/<target>/, never into the
# source tree.
#
# usage: run-fuzz.sh srcdir builddir target...
set -u
srcdir=$1
builddir=$2
shift 2
secs=${FUZZ_SECONDS:-60}
failed=
total=0
for t in "$@"; do
	bin="$builddir/tests/fuzz/fuzz_$t"
	work="$builddir/fuzz-corpus/$t"
	art="$builddir/fuzz-artifacts/$t"
	log="$builddir/fuzz-$t.log"
	mkdir -p "$work" "$art"
	extra=
	if [ -f "$srcdir/tests/fuzz/$t.dict" ]; then
		extra="-dict=$srcdir/tests/fuzz/$t.dict"
	fi
	# Regression inputs as seeds too, where the target has some.
	regress=
	if [ -d "$srcdir/tests/fuzz/regress/$t" ]; then
		regress="$srcdir/tests/fuzz/regress/$t"
	fi
	# -timeout: a single input that takes seconds is a bug (a loop).
	# -rss_limit_mb: every target is small; memory growth is a bug.
	top_srcdir="$srcdir" "$bin" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=1024 -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix="$art/" $extra "$work" \
	    "$srcdir/tests/fuzz/corpus/$t" $regress >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	runs=${runs:-0}
	total=$((total + runs))
	if [ $rc -ne 0 ]; then
		echo "fuzz_$t: FAILED (exit $rc) after $runs inputs; log $log:"
		grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" |
		    head -n 20
		failed="$failed $t"
	else
		echo "fuzz_$t: $runs inputs in ${secs} s, no crash"
	fi
done
echo "fuzzing: $total inputs in all"
if [ -n "$failed" ]; then
	echo "fuzz targets that failed:$failed"
	exit 1
fi
exit 0
