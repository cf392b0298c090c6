#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the libFuzzer targets (tests/fuzz, clang, ASan/UBSan) into
# build-fuzz/ and runs each one, one after the other, at low priority,
# then reports executions, coverage and crashes per target.
#
#   scripts/fuzz.sh                   every target for 60 s
#   scripts/fuzz.sh -t 3600 ovsdb     one target for an hour
#   scripts/fuzz.sh -n 10000000       every target for 10 million runs
#   scripts/fuzz.sh -j 2 -n 10000000 ovsdb   two processes on one target
#
# Options: -t SECONDS (per target), -n RUNS (per target, instead of -t;
# shared out among the processes), -j N (processes per target, default
# 1; they share the corpus directory), -o FILE (also write the report
# there).  SIGINT or SIGTERM stops the running target's processes; what
# they did is reported ("stopped", not a crash).  Targets: config_file
# config_args ipc ovsdb zmq_port_control zmq_stats zmq_config
# zmq_core_sched (default: all).  The corpus each run grows is kept in
# build-fuzz/corpus/<target>, so soaks build on each other; it starts
# from tests/fuzz/corpus/ and tests/fuzz/regress/.  A crash leaves its
# input in build-fuzz/artifacts/<target>/: fix the bug and add the input
# to tests/fuzz/regress/<target>/, where the unit tests replay it.
# libFuzzer's output of the last run of each target: build-fuzz/logs/
# (<target>.log, or <target>.<N>.log with -j).
# Exit status: 0 when no target crashed, 1 otherwise.
set -u
. "$(dirname "$0")/lib.sh"
cd "$VFWD_ROOT"

ALL="config_file config_args ipc ovsdb zmq_port_control zmq_stats zmq_config zmq_core_sched"
secs=60
runs=
report=
jobs=1
while getopts "t:n:o:j:h" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	n) runs=$OPTARG ;;
	o) report=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
for v in "$secs" "${runs:-1}"; do
	case $v in
	''|*[!0-9]*) echo "fuzz.sh: -t and -n take whole numbers, not '$v'" >&2; exit 2 ;;
	esac
done
case $jobs in
''|*[!0-9]*|0) echo "fuzz.sh: -j takes a number of processes from 1, not '$jobs'" >&2; exit 2 ;;
esac
shift $((OPTIND - 1))
targets=${*:-$ALL}

command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (Debian: clang, libclang-rt-14-dev)" >&2; exit 1; }
echo "==> building the fuzz targets (build-fuzz/, clang, libFuzzer, ASan/UBSan)"
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz "$VFWD_ROOT" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
		{ echo "fuzz.sh: meson setup build-fuzz failed" >&2; exit 1; }
fi
# Only the targets (and what they link): the rest of the tree is not fuzzed.
bins=()
for t in $targets; do bins+=("tests/fuzz/fuzz_$t"); done
ninja -C build-fuzz "${bins[@]}" >/dev/null || { ninja -C build-fuzz "${bins[@]}"; exit 1; }

# Per target: longest input, dictionary.
max_len() {
	case $1 in
	config_args) echo 1024 ;;
	zmq_*) echo 4096 ;;
	*) echo 16384 ;;
	esac
}
dict_of() {
	case $1 in
	zmq_*) echo tests/fuzz/dict/zmq.dict ;;
	*) echo "tests/fuzz/dict/$1.dict" ;;
	esac
}

mkdir -p build-fuzz/logs
table="target seconds executions exec/s coverage features corpus result"
crashed=0
for t in $targets; do
	bin=build-fuzz/tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz.sh: no target '$t' (have: $ALL)" >&2; exit 2; }
	corpus=build-fuzz/corpus/$t
	art=build-fuzz/artifacts/$t
	mkdir -p "$corpus" "$art"
	cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
	find tests/fuzz/regress/"$t" -type f ! -name '.*' -exec cp -n {} "$corpus"/ \;
	if [ -n "$runs" ]; then
		limit=(-runs="$(( (runs + jobs - 1) / jobs ))"); what="$runs runs"
	else
		limit=(-max_total_time="$secs"); what="$secs s"
	fi
	[ "$jobs" -gt 1 ] && what="$what, $jobs processes"
	echo "==> fuzz_$t ($what)"
	start=$(date +%s)
	pids=()
	logs=()
	# Stopped from outside: libFuzzer prints its counts on SIGINT.  Each
	# signal is counted, so that a wait it interrupted is told from one
	# that returned a child's status.
	sigs=0
	trap 'stop=1; sigs=$((sigs + 1)); kill -INT "${pids[@]}" 2>/dev/null' INT TERM
	for ((j = 1; j <= jobs; j++)); do
		out=build-fuzz/logs/$t.log     # libFuzzer's own output, kept
		[ "$jobs" -gt 1 ] && out=build-fuzz/logs/$t.$j.log
		logs+=("$out")
		# -timeout: an input that takes 10 s is a hang, reported as a crash.
		(cd "$VFWD_ROOT" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			exec nice -n 19 "$bin" "${limit[@]}" -max_len="$(max_len "$t")" \
			-dict="$(dict_of "$t")" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$art/" "$corpus") >"$out" 2>&1 &
		pids+=($!)
	done
	[ "${stop:-0}" = 1 ] && kill -INT "${pids[@]}" 2>/dev/null  # a signal came during the start
	rcs=()
	for p in "${pids[@]}"; do
		while :; do
			s=$sigs
			wait "$p"
			rc=$?
			# Interrupted by a trapped signal: wait again (bash keeps
			# the status of a child it has reaped meanwhile).
			[ "$sigs" = "$s" ] && break
		done
		rcs+=("$rc")
		# The OVSDB target's socket directory: atexit() does not run
		# when libFuzzer stops on a signal.
		rm -rf "/tmp/vfwd-fuzz-ovsdb.$p"
	done
	trap - INT TERM
	took=$(($(date +%s) - start))
	execs=0
	result=ok
	for j in "${!logs[@]}"; do
		out=${logs[$j]}
		n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out" | grep -o '[0-9]*$')
		execs=$((execs + ${n:-0}))
		case ${rcs[$j]} in
		0) ;;
		72) [ "$result" = ok ] && result=stopped ;;   # libFuzzer's exit on SIGINT
		*)
			result=CRASH
			crashed=1
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$out" | head -n 8
			echo "fuzz_$t failed: $out; input in $art/ (add it to tests/fuzz/regress/$t/ once fixed)"
			;;
		esac
	done
	last=$(grep -hE '^#[0-9]+' "${logs[@]}" | grep -o 'cov: [0-9]* ft: [0-9]*' | sort -t' ' -k2n | tail -n 1)
	cov=$(echo "$last" | awk '{print $2}')
	ft=$(echo "$last" | awk '{print $4}')
	corp=$(find "$corpus" -type f | wc -l)
	rate=$(( took > 0 ? ${execs:-0} / took : 0 ))
	table="$table
$t $took ${execs:-?} $rate ${cov:-?} ${ft:-?} ${corp:-?} $result"
	[ "${stop:-0}" = 1 ] && break
done

echo
echo "$table" | column -t | tee ${report:+"$report"}
exit $crashed
