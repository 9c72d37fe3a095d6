#!/usr/bin/env bash
# bench/run.sh - what tracing with adi-profiler costs, measured against an
# untraced baseline in the same run. One command: `bash bench/run.sh`.
#
# It reports; it does not gate: the exit status is 0 whenever the figures
# could be measured, PASS or FAIL. See bench/README.md for what each figure
# means and the figures of a real run.
#
# Knobs (environment):
#   ROUNDS=5          interleaved rounds of the per-call and copy measurements
#   N=1000000         writes of 64 B per writeloop run (a-d), to a 4 MiB tmpfs
#                     file (captured) and to /dev/null (hooked, not shipped)
#   STRACE_N=200000   writes per strace run (strace is ~40-400x slower)
#   COPY_MIB=256      size of the copied file
#   TPUT_N=2000000    writes per throughput run
#   TPUT_ROUNDS=3     rounds of the throughput runs
#   ADI_PROFILER=...  use this binary instead of building $BUILD_DIR
#   BUILD_DIR=...     cmake build directory (default: <repo>/build)
#   CMD_TIMEOUT=60    seconds any single measured command may take
#   DEADLINE=540      seconds after which the remaining measurements are skipped
#   WAIT_BUDGET=120   seconds, in all, to wait for other tracers to finish
set -u
export LC_ALL=C

ROUNDS=${ROUNDS:-5}
N=${N:-1000000}
STRACE_N=${STRACE_N:-200000}
COPY_MIB=${COPY_MIB:-256}
TPUT_N=${TPUT_N:-2000000}
TPUT_ROUNDS=${TPUT_ROUNDS:-3}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
DEADLINE=${DEADLINE:-540}
SIZE=64

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
START_S=$(date +%s)

TMP=$(mktemp -d /tmp/adi-bench.XXXXXX) || exit 1
SHM=
BG_PID=
cleanup() {
	if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
		kill_bg_child
		kill "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	[ -n "$SHM" ] && rm -rf "$SHM"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

say() { printf '%s\n' "$*"; }
note() { printf '  %s\n' "$*" >&2; }
anomaly() { printf '%s\n' "$*" >>"$TMP/anomalies"; note "ANOMALY: $*"; }
: >"$TMP/anomalies"
mkdir -p "$TMP/res"

# ---------------------------------------------------------------- helpers

# record NAME VALUE: append one sample
# Samples are staged and kept only when no other tracer ran meanwhile (see
# guarded): record NAME VALUE
record() { printf '%s %s\n' "$1" "$2" >>"$TMP/stage"; }
commit_stage() {
	local k v
	while read -r k v; do printf '%s\n' "$v" >>"$TMP/res/$k"; done <"$TMP/stage"
	: >"$TMP/stage"
}
: >"$TMP/stage"

# Another tracer on the machine (someone else's adi-profiler, strace,
# bpftrace, perf) hooks the same syscalls: every process, our "untraced"
# baseline included, pays for it while it runs. foreign lists them.
foreign() {
	pgrep -x 'adi-profiler|strace|bpftrace|perf' 2>/dev/null | grep -vx "${BG_PID:-none}" | tr '\n' ' '
}
WAIT_BUDGET=${WAIT_BUDGET:-120} # seconds, in all, spent waiting for them to end
CONTAMINATED=0
WAIT_BUDGET_START=$WAIT_BUDGET
# guarded CMD...: wait (within the budget) until no foreign tracer runs,
# run CMD, keep its samples if none appeared meanwhile; otherwise run it
# again (up to 2 more times), then keep the last try and count it
guarded() {
	local try f
	if [ $(($(date +%s) - START_S)) -gt "$DEADLINE" ]; then
		[ -z "${DEADLINE_HIT:-}" ] && anomaly "deadline (${DEADLINE} s) reached: the remaining measurements were skipped"
		DEADLINE_HIT=1
		return 0
	fi
	for try in 1 2 3; do
		while [ -n "$(foreign)" ] && [ "$WAIT_BUDGET" -gt 0 ]; do
			sleep 1
			WAIT_BUDGET=$((WAIT_BUDGET - 1))
		done
		f=$(foreign)
		: >"$TMP/stage"
		"$@"
		f+=$(foreign)
		[ -z "$f" ] && break
	done
	if [ -n "$f" ]; then
		CONTAMINATED=$((CONTAMINATED + 1))
		printf '%s\n' "$* (other tracers: $(for p in $f; do printf '%s ' "$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-60)"; done))" >>"$TMP/contaminated"
	fi
	commit_stage
}

# stats NAME: "median min max count" of the samples (empty if none)
stats() {
	[ -s "$TMP/res/$1" ] || return 0
	sort -g "$TMP/res/$1" | awk '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		      printf "%s %s %s %d\n", m, v[1], v[NR], NR }'
}
med() { local v; v=$(stats "$1" | awk '{ print $1 }'); echo "${v:-n/a}"; }
range() { local v; v=$(stats "$1" | awk '{ printf "%s..%s (n=%d)", $2, $3, $4 }'); echo "${v:-n/a}"; }
last() { tail -1 "$TMP/res/$1" 2>/dev/null || echo n/a; }
maxv() { local v; v=$(stats "$1" | awk '{ print $3 }'); echo "${v:-n/a}"; }

# calc EXPR [DECIMALS]: floating point arithmetic (awk); n/a when an
# operand is n/a or missing
calc() {
	case $1 in *n/a*) printf 'n/a'; return ;; esac
	awk "BEGIN { x = ($1); printf \"%.${2:-1}f\", x }" 2>/dev/null || printf 'n/a'
}

# field KEY FILE: value of KEY=... in writeloop's output line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | tail -1; }

# summary_drops FILE: records lost between kernel and user space, from the
# trace_summary line (records.dropped if present, else dropped); empty if
# there is no summary
summary_drops() {
	grep '"kind":"trace_summary"' "$1" 2>/dev/null | tail -1 |
		jq -r '(.records.dropped // .dropped) // empty' 2>/dev/null
}
summary_delivered() {
	grep '"kind":"trace_summary"' "$1" 2>/dev/null | tail -1 |
		jq -r '.records.delivered // empty' 2>/dev/null
}

TO() { timeout -k 5 "$CMD_TIMEOUT" "$@"; }

now_us() { local t=$EPOCHREALTIME; printf '%s' "${t/./}"; }

# check_run WHAT RC EXPECTED_RC OUTFILE: note wrong exit status / timeouts
check_run() {
	if [ "$2" = 124 ] || [ "$2" = 137 ]; then
		anomaly "$1: timed out after ${CMD_TIMEOUT}s (exit $2)"
	elif [ "$2" != "$3" ]; then
		anomaly "$1: exit status $2, expected $3; stderr: $(head -c 300 "$4.err" 2>/dev/null | tr '\n' ' ')"
	fi
}

# ---------------------------------------------------------------- setup

if [ "$(id -u)" != 0 ]; then
	say "bench/run.sh: tracing needs root (eBPF); run it as root" >&2
	exit 1
fi

need_pkg() { # need_pkg COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	note "installing $2 (apt-get)"
	(apt-get install -y "$2" || { apt-get update && apt-get install -y "$2"; }) >/dev/null 2>&1
	command -v "$1" >/dev/null 2>&1
}
need_pkg strace strace || note "strace unavailable: its rows will be n/a"
need_pkg jq jq || { say "bench/run.sh: jq is needed to read trace_summary" >&2; exit 1; }
[ -x /usr/bin/time ] || need_pkg /usr/bin/time time || note "/usr/bin/time unavailable: no peak RSS"
HAVE_STRACE=$(command -v strace >/dev/null && echo 1 || echo 0)

say "== building"
if [ -n "${ADI_PROFILER:-}" ]; then
	SRC_BIN=$ADI_PROFILER
else
	if ! { cmake -S "$REPO" -B "$BUILD_DIR" >"$TMP/cmake.log" 2>&1 &&
	       cmake --build "$BUILD_DIR" -j2 >>"$TMP/cmake.log" 2>&1; }; then
		tail -30 "$TMP/cmake.log" >&2
		say "bench/run.sh: building adi-profiler failed" >&2
		exit 1
	fi
	SRC_BIN=$BUILD_DIR/adi-profiler
fi
# a private copy: other people may rebuild $BUILD_DIR while we measure
P=$TMP/adi-profiler
cp "$SRC_BIN" "$P" || exit 1
WL=$TMP/writeloop
cc -O2 -std=c17 -Wall -Wextra -o "$WL" "$REPO/bench/writeloop.c" || exit 1
# ring bytes per IO record = 8 (ring header) + sizeof(struct adi_rec_io) + payload, 8-aligned
REC_IO=
if printf '#include <stdio.h>\n#include "adi_abi.h"\nint main(void){printf("%%zu\\n",sizeof(struct adi_rec_io));return 0;}\n' \
	>"$TMP/recsz.c" && cc -I "$REPO/abi" -o "$TMP/recsz" "$TMP/recsz.c" 2>/dev/null; then
	REC_IO=$("$TMP/recsz")
fi

# a tmpfs directory for the written and copied files (no disk in the figures)
fstype=$(stat -f -c %T /dev/shm 2>/dev/null)
avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ "$fstype" = tmpfs ] && [ "${avail:-0}" -gt $((COPY_MIB * 1024 * 3)) ]; then
	SHM=$(mktemp -d /dev/shm/adi-bench.XXXXXX)
else
	SHM=$(mktemp -d /tmp/adi-bench-files.XXXXXX)
fi
WLT=$SHM/wl.bin

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$REPO" status --porcelain 2>/dev/null | grep -v ' bench/' | wc -l)
say "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "kernel:  $(uname -r); cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
say "commit:  $COMMIT ($DIRTY files changed outside bench/ in the work tree)"
say "binary:  $SRC_BIN ($(stat -c '%y' "$SRC_BIN" 2>/dev/null | cut -d. -f1)), sha256 $(sha256sum "$P" | cut -c1-12)"
say "strace:  $( [ "$HAVE_STRACE" = 1 ] && strace -V | head -1 || echo missing)"
say "files:   $SHM ($(stat -f -c %T "$SHM"))"
# other work on a 2-core machine moves every figure (the consumer and the
# traced program each need a core): say what else was running
busy() {
	ps -eo pcpu=,pid=,comm= --sort=-pcpu 2>/dev/null |
		awk -v me=$$ '$2 != me && $1 >= 10 { printf "%s%s(pid %s, %s%% cpu)", sep, $3, $2, $1; sep = ", " }'
}
say "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start; busy: $(b=$(busy); echo "${b:-none}")"
[ "$(awk '{ print ($1 > 0.5) }' /proc/loadavg)" = 1 ] &&
	say "         WARNING: the machine is not idle; expect noisier, higher figures"
say "rounds:  $ROUNDS (interleaved; medians reported, min..max alongside)"

# ---------------------------------------------------------------- a-e

# the background profiler of condition d traces `sleep 60`; its child is
# that sleep
bg_child() {
	local c
	for c in $(cat "/proc/$BG_PID/task/$BG_PID/children" 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && { echo "$c"; return 0; }
	done
	return 1
}
kill_bg_child() { local c; c=$(bg_child) && kill "$c" 2>/dev/null; }

# run_plain NAME TARGET: writeloop N SIZE TARGET, untraced
run_plain() {
	TO "$WL" "$N" "$SIZE" "$2" >"$TMP/o" 2>"$TMP/o.err"
	check_run "writeloop $N $SIZE $2" $? 0 "$TMP/o"
	record "$1" "$(field ns_per_call "$TMP/o")"
}
# run_adi NAME TARGET [profiler options]: the same under adi-profiler run
run_adi() {
	local name=$1 target=$2 rc d dl
	shift 2
	TO "$P" run --format json -o "$TMP/s.json" "$@" -- "$WL" "$N" "$SIZE" "$target" \
		>"$TMP/o" 2>"$TMP/o.err"
	rc=$?
	check_run "adi-profiler run $* -- writeloop $N $SIZE $target" $rc 0 "$TMP/o"
	record "$name" "$(field ns_per_call "$TMP/o")"
	d=$(summary_drops "$TMP/s.json")
	dl=$(summary_delivered "$TMP/s.json")
	[ -z "$d" ] && anomaly "adi-profiler run $* -- writeloop $target: no trace_summary in the output"
	[ -n "$d" ] && [ "$d" != 0 ] && anomaly "adi-profiler run $* -- writeloop $N $SIZE $target: $d records dropped"
	# a write to a regular file must reach user space as a record
	if [ "$target" != /dev/null ] && [ -n "$dl" ] && [ "$dl" -lt "$N" ]; then
		anomaly "adi-profiler run $* -- writeloop $N $SIZE $target: only $dl records delivered"
	fi
	record "${name}_drops" "${d:-0}"
	record "${name}_delivered" "${dl:-n/a}"
}
run_bg() { # writeloop to /dev/null, untraced, while a profiler traces sleep
	local i rc
	"$P" run -o /dev/null -- sleep 60 >/dev/null 2>"$TMP/bg.err" &
	BG_PID=$!
	# attached = the command was let go (it only execs once it is in the filter)
	for i in $(seq 100); do bg_child >/dev/null && break; sleep 0.1; done
	if ! bg_child >/dev/null; then
		anomaly "background adi-profiler did not start its command within 10 s"
	fi
	sleep 0.3
	TO "$WL" "$N" "$SIZE" /dev/null >"$TMP/o" 2>"$TMP/o.err"
	check_run "writeloop beside a running profiler" $? 0 "$TMP/o"
	record bg "$(field ns_per_call "$TMP/o")"
	kill_bg_child
	for i in $(seq 100); do kill -0 "$BG_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$BG_PID" 2>/dev/null; then
		anomaly "background adi-profiler still running 10 s after its command was killed"
		kill "$BG_PID" 2>/dev/null
	fi
	wait "$BG_PID"
	rc=$?
	BG_PID=
	# the command died of SIGTERM: run reports 128 + 15
	check_run "adi-profiler run -- sleep 60 (sleep killed by SIGTERM)" $rc 143 "$TMP/bg"
}
run_strace() {
	[ "$HAVE_STRACE" = 1 ] || return 0
	TO strace -f -o /dev/null -- "$WL" "$STRACE_N" "$SIZE" "$WLT" >"$TMP/o" 2>"$TMP/o.err"
	check_run "strace -f writeloop $STRACE_N $SIZE $WLT" $? 0 "$TMP/o"
	record strace "$(field ns_per_call "$TMP/o")"
}
run_startup() { # fixed cost: load, attach, start, stop, detach
	local t0 t1
	t0=$(now_us)
	TO "$P" run -o /dev/null -- true >/dev/null 2>"$TMP/o.err"
	check_run "adi-profiler run -- true" $? 0 "$TMP/o"
	t1=$(now_us)
	record startup_ms "$(calc "($t1 - $t0) / 1000" 1)"
}

say ""
say "== a-e: $N writes of $SIZE B (strace: $STRACE_N), $ROUNDS rounds"
say "   to $WLT (captured) and to /dev/null (not shipped, the hook's fixed cost)"
# the baselines twice per round (cheap, and every "added" is taken against
# them), spread over the rotation
conds=("run_plain base $WLT" "run_adi adi $WLT" "run_plain basenull /dev/null"
	"run_adi adi0 $WLT --capture-bytes 0" run_bg "run_plain base $WLT" run_strace
	"run_adi adinull /dev/null" "run_plain basenull /dev/null" run_startup)
nc=${#conds[@]}
for r in $(seq 0 $((ROUNDS - 1))); do
	for i in $(seq 0 $((nc - 1))); do
		guarded ${conds[$(((i + r) % nc))]}
	done
	note "round $((r + 1))/$ROUNDS ns/call: file: base $(last "base") adi $(last "adi") adi0 $(last "adi0") strace $(last "strace"); /dev/null: base $(last "basenull") adi $(last "adinull") beside $(last "bg")"
done
rm -f "$WLT"

# ---------------------------------------------------------------- f: copy

say ""
say "== f: file copy of $COPY_MIB MiB, $ROUNDS rounds"
SRCF=$SHM/src.bin
DSTF=$SHM/dst.bin
head -c $((COPY_MIB << 20)) /dev/urandom >"$SRCF"
# the command's own wall time, measured inside the traced tree: the
# profiler's start-up and tear-down do not count (they are reported apart)
cat >"$TMP/timed.sh" <<'EOF'
#!/bin/bash
s=$EPOCHREALTIME
"$@"
rc=$?
e=$EPOCHREALTIME
echo "inner_us=$(( ${e/./} - ${s/./} ))"
exit $rc
EOF
chmod +x "$TMP/timed.sh"

copy_cmd() { # copy_cmd WORKLOAD -> argv
	case $1 in
	cp) echo "cp $SRCF $DSTF" ;;
	dd64k) echo "dd if=$SRCF of=$DSTF bs=64k status=none" ;;
	dd4k) echo "dd if=$SRCF of=$DSTF bs=4k status=none" ;;
	esac
}
run_copy() { # run_copy WORKLOAD COND
	local w=$1 c=$2 rc t0 t1 d
	local -a cmd pre=()
	read -r -a cmd <<<"$(copy_cmd "$w")"
	rm -f "$DSTF"
	case $c in
	none) pre=() ;;
	adi) pre=("$P" run --format json -o "$TMP/c.json" --) ;;
	adi0) pre=("$P" run --format json -o "$TMP/c.json" --capture-bytes 0 --) ;;
	strace) [ "$HAVE_STRACE" = 1 ] || return 0; pre=(strace -f -o /dev/null --) ;;
	esac
	rm -f "$TMP/c.json"
	t0=$(now_us)
	TO "${pre[@]}" "$TMP/timed.sh" "${cmd[@]}" >"$TMP/o" 2>"$TMP/o.err"
	rc=$?
	t1=$(now_us)
	check_run "$c: ${cmd[*]}" $rc 0 "$TMP/o"
	record "copy_${w}_${c}" "$(calc "$(field inner_us "$TMP/o") / 1000" 1)"
	record "copyouter_${w}_${c}" "$(calc "($t1 - $t0) / 1000" 1)"
	if [ "$c" = adi ] || [ "$c" = adi0 ]; then
		d=$(summary_drops "$TMP/c.json")
		[ -n "$d" ] && [ "$d" != 0 ] && anomaly "$c: ${cmd[*]}: $d records dropped"
		[ -z "$d" ] && anomaly "$c: ${cmd[*]}: no trace_summary"
	fi
	if ! cmp -s "$SRCF" "$DSTF"; then anomaly "$c: ${cmd[*]}: the copy differs"; fi
	rm -f "$DSTF"
}
WORKS=(cp dd64k dd4k)
CCONDS=(none adi adi0 strace)
# one untimed warm-up of each workload (page allocator, dentry and exec caches)
for w in "${WORKS[@]}"; do
	read -r -a cmd <<<"$(copy_cmd "$w")"
	TO "${cmd[@]}" >/dev/null 2>&1
	rm -f "$DSTF"
done
for r in $(seq 0 $((ROUNDS - 1))); do
	for w in "${WORKS[@]}"; do
		for i in 0 1 2 3; do
			guarded run_copy "$w" "${CCONDS[$(((i + r) % 4))]}"
		done
	done
	note "round $((r + 1))/$ROUNDS done ($(($(date +%s) - START_S)) s elapsed)"
done
rm -f "$SRCF" "$DSTF"

# ---------------------------------------------------------------- g, h: throughput, RSS

say ""
say "== g/h: kernel->user throughput and peak RSS ($TPUT_N writes to $WLT, $TPUT_ROUNDS rounds)"
# tput NAME SIZE RATE [profiler options]: one traced run under /usr/bin/time
tput() {
	local name=$1 size=$2 rate=$3 n rc d dl rss ns
	shift 3
	n=$TPUT_N
	[ "$rate" != 0 ] && n=$((rate * ${TPUT_SECONDS:-1}))
	[ "$n" -lt 20000 ] && n=20000
	rm -f "$TMP/t.json" "$TMP/time.txt"
	if [ -x /usr/bin/time ]; then
		TO /usr/bin/time -v -o "$TMP/time.txt" "$P" run --format json -o "$TMP/t.json" "$@" \
			-- "$WL" "$n" "$size" "$WLT" "$rate" >"$TMP/o" 2>"$TMP/o.err"
	else
		TO "$P" run --format json -o "$TMP/t.json" "$@" \
			-- "$WL" "$n" "$size" "$WLT" "$rate" >"$TMP/o" 2>"$TMP/o.err"
	fi
	rc=$?
	check_run "adi-profiler run $* -- writeloop $n $size $WLT $rate" $rc 0 "$TMP/o"
	d=$(summary_drops "$TMP/t.json")
	dl=$(summary_delivered "$TMP/t.json")
	ns=$(field total_ns "$TMP/o")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time.txt" 2>/dev/null)
	[ -z "$d" ] && anomaly "adi-profiler run $* -- writeloop $n $size: no trace_summary"
	# records per second over the loop: the writes that reached user space
	# (delivered also counts the ~15 records of exec and start-up: capped)
	if [ -n "$dl" ] && [ -n "$ns" ] && [ -n "$d" ]; then
		record "${name}_rate" "$(calc "($dl > $n ? $n : $dl) * 1e9 / $ns" 0)"
		record "${name}_offered" "$(calc "($dl + $d > $n ? $n : $dl + $d) * 1e9 / $ns" 0)"
	fi
	record "${name}_drops" "${d:-n/a}"
	record "${name}_calls" "$n"
	record "${name}_delivered" "${dl:-n/a}"
	[ -n "$rss" ] && record "${name}_rss" "$rss"
	if [ -n "$dl" ] && [ -n "$d" ] && [ $((dl + d)) -lt "$n" ]; then
		anomaly "adi-profiler run $* -- writeloop $n $size $WLT: $((dl + d)) records produced for $n writes"
	fi
}
for r in $(seq 1 "$TPUT_ROUNDS"); do
	guarded tput t64 64 0
	guarded tput t4k 4096 0
	note "round $r/$TPUT_ROUNDS: 64 B $(last "t64_rate")/s drops $(last "t64_drops"); 4 KiB $(last "t4k_rate")/s drops $(last "t4k_drops")"
done
# the target: one producer at 1 M events/s, default ring, 2 s
TPUT_SECONDS=2 guarded tput p1m 64 1000000
note "paced 1 M/s: achieved $(last "p1m_offered")/s drops $(last "p1m_drops")"
# where drops begin with a small ring (1 MiB), one producer, 1 s per rate
SWEEP=(25000 50000 100000 200000 400000 800000 1600000 0)
for rate in "${SWEEP[@]}"; do
	guarded tput "sw${rate}" 64 "$rate" --ringbuf-bytes 1048576
	note "1 MiB ring, rate ${rate/#0/max}: offered $(last "sw${rate}_offered")/s dropped $(last "sw${rate}_drops") of $(last "sw${rate}_calls")"
done
# the same small ring at full speed with the consumer woken at 256 KiB queued
# (the default wake-up threshold is 1 MiB: never reached in a 1 MiB ring)
guarded tput swwake 64 0 --ringbuf-bytes 1048576 --wakeup-bytes 262144
rm -f "$WLT"

# ---------------------------------------------------------------- report

say ""
say "== results (medians of interleaved rounds; min..max and count in brackets)"
B=$(med base); A=$(med adi); A0=$(med adi0); S=$(med strace)
BN=$(med basenull); AN=$(med adinull); G=$(med bg)
addA=$(calc "$A - $B"); addA0=$(calc "$A0 - $B"); addAN=$(calc "$AN - $BN"); addG=$(calc "$G - $BN")
verdict() { # verdict EXPR: PASS/FAIL, n/a when a figure is missing
	case $1 in *n/a*) echo n/a; return ;; esac
	awk "BEGIN { exit !($1) }" 2>/dev/null && echo PASS || echo FAIL
}
x() { case $1 in *n/a*) echo n/a ;; *) echo "x$1" ;; esac; }
row() { printf '  %-52s %10s  %s\n' "$1" "$2" "$3"; }

say ""
say "write(2) of $SIZE B, ns per call (writeloop's own clock around the loop)"
say " to a 4 MiB file on $(stat -f -c %T "$SHM") (every write is captured and shipped to user space):"
row "untraced (baseline)" "$B" "[$(range base)]"
row "adi-profiler (capture up to 16 KiB, the default)" "$A" "[$(range adi)]"
row "adi-profiler --capture-bytes 0" "$A0" "[$(range adi0)]"
[ "$S" != n/a ] && row "strace -f ($STRACE_N calls)" "$S" "[$(range strace)]"
say " to /dev/null (a character device: not shipped, so only the hook's fixed cost):"
row "untraced (baseline)" "$BN" "[$(range basenull)]"
row "adi-profiler (traced, nothing shipped)" "$AN" "[$(range adinull)]"
row "untraced process while adi-profiler runs" "$G" "[$(range bg)]"
say " fixed cost:"
row "adi-profiler run -- true, wall ms" "$(med startup_ms)" "[$(range startup_ms)]"

say ""
say "file copy of $COPY_MIB MiB on $(stat -f -c %T "$SHM"): the command's own wall ms (ratio = traced / untraced median)"
printf '  %-8s %12s %20s %20s %20s\n' workload untraced adi-profiler "adi --capture-bytes 0" "strace -f"
spread=
for w in "${WORKS[@]}"; do
	u=$(med "copy_${w}_none")
	spread+=" untraced $w [$(range "copy_${w}_none")]"
	line=$(printf '  %-8s %9s ms' "$w" "$u")
	for c in adi adi0 strace; do
		v=$(med "copy_${w}_${c}")
		if [ "$v" != n/a ]; then
			line+=$(printf ' %9s ms (%s)' "$v" "$(x "$(calc "$v / $u" 2)")")
			spread+=$(printf ' %s %s [%s]' "$c" "$w" "$(range "copy_${w}_${c}")")
		else
			line+=$(printf ' %20s' n/a)
		fi
	done
	say "$line"
done
say "  spread (min..max ms):$spread" | fold -s -w 100 | sed '2,$s/^/    /'
say "  (wall ms including the profiler's start-up and tear-down, untraced/adi:$(for w in "${WORKS[@]}"; do printf ' %s %s/%s' "$w" "$(med "copyouter_${w}_none")" "$(med "copyouter_${w}_adi")"; done))"

say ""
say "kernel->user path, one producer, default ring (64 MiB), $TPUT_N writes to a tmpfs file"
for k in t64:64 t4k:4096; do
	name=${k%%:*}; sz=${k#*:}
	rate=$(med "${name}_rate")
	rb=n/a
	[ -n "$REC_IO" ] && rb=$(calc "$rate * (int(($REC_IO + $sz + 7) / 8) * 8 + 8) / 1e6" 0)
	printf '  %5s B: %9s records/s  %6s MB/s payload  %6s MB/s through the ring  drops %s (max of %s runs)  peak RSS %s KiB\n' \
		"$sz" "$rate" "$(calc "$rate * $sz / 1e6" 0)" "$rb" "$(maxv "${name}_drops")" \
		"$TPUT_ROUNDS" "$(maxv "${name}_rss")"
done
P1R=$(med p1m_offered); P1D=$(maxv p1m_drops)
printf '  paced to 1,000,000 writes/s for 2 s: %s records/s offered, drops %s\n' "$P1R" "$P1D"
say ""
say "small ring (--ringbuf-bytes 1048576), 64 B writes, ~1 s per rate"
first_drop=; last_clean=
for rate in "${SWEEP[@]}"; do
	a=$(med "sw${rate}_offered"); d=$(maxv "sw${rate}_drops"); n=$(maxv "sw${rate}_calls")
	pct=$(calc "100 * $d / $n" 1)
	printf '  paced to %9s/s: %9s records/s offered, dropped %9s (%s%%), peak RSS %s KiB\n' \
		"${rate/#0/max}" "$a" "$d" "$pct" "$(maxv "sw${rate}_rss")"
	if [ "$d" = 0 ]; then
		[ -z "$first_drop" ] && last_clean=$a
	elif [ -z "$first_drop" ]; then
		first_drop=$a
	fi
done
say "  drops begin between $(calc "${last_clean:-0}" 0)/s (none) and $(calc "${first_drop:-0}" 0)/s (some) [0 = not reached]"
printf '  full speed with --wakeup-bytes 262144: %s records/s offered, dropped %s\n' \
	"$(med swwake_offered)" "$(maxv swwake_drops)"

say ""
say "== targets"
trow() { printf '  %-62s %12s %8s  %s\n' "$@"; }
trow figure measured target verdict
trow "added ns per captured 64-B write (adi - untraced, file)" "$addA" "<= 250" "$(verdict "$addA <= 250")"
trow "  same, --capture-bytes 0 (info)" "$addA0" "" ""
trow "  traced write not shipped (/dev/null) (info)" "$addAN" "" ""
trow "added ns per syscall, untraced process beside the profiler" "$addG" "<= 50" "$(verdict "$addG <= 50")"
if [ "$P1R" = n/a ]; then
	trow "drops, one producer at 1 M records/s (paced, 2 s)" n/a "0" "n/a (not measured)"
elif [ "$(verdict "$P1R >= 990000")" = PASS ]; then
	trow "drops, one producer at 1 M records/s (paced, 2 s)" "$P1D" "0" "$(verdict "$P1D == 0")"
else
	trow "drops, one producer at 1 M records/s (paced, 2 s)" "$P1D@$(calc "$P1R / 1e6" 2)M/s" "0" "n/a (producer below 1 M/s)"
fi
trow "drops, one producer at full speed ($(calc "$(med t64_offered) / 1e6" 2) M records/s, 64 B)" "$(maxv t64_drops)" "0" "$(verdict "$(maxv t64_drops) == 0")"
say ""
say "ratios traced / untraced (writeloop: ns per call; copies: the command's wall time)"
printf '  %-26s %12s %12s %12s\n' "" adi-profiler "capture 0" "strace -f"
printf '  %-26s %12s %12s %12s\n' "writeloop 64 B, file" "$(x "$(calc "$A / $B" 2)")" "$(x "$(calc "$A0 / $B" 2)")" "$(x "$(calc "$S / $B" 0)")"
printf '  %-26s %12s %12s %12s\n' "writeloop 64 B, /dev/null" "$(x "$(calc "$AN / $BN" 2)")" "" ""
for w in "${WORKS[@]}"; do
	u=$(med "copy_${w}_none")
	v=$(med "copy_${w}_strace")
	printf '  %-26s %12s %12s %12s\n' "copy: $w" "$(x "$(calc "$(med "copy_${w}_adi") / $u" 2)")" \
		"$(x "$(calc "$(med "copy_${w}_adi0") / $u" 2)")" "$(x "$(calc "$v / $u" 2)")"
done
say ""
if [ -s "$TMP/anomalies" ]; then
	say "== anomalies ($(wc -l <"$TMP/anomalies"))"
	sed 's/^/  /' "$TMP/anomalies"
else
	say "== anomalies: none (every run exited as expected; no drops outside the small-ring sweep)"
fi
say ""
if [ "$CONTAMINATED" -gt 0 ]; then
	say "== $CONTAMINATED measurement(s) overlapped another tracer even after retries (kept; figures less reliable):"
	sed 's/^/  /' "$TMP/contaminated"
else
	say "== no measurement overlapped another tracer (checked before and after each; waited $(( ${WAIT_BUDGET_START:-120} - WAIT_BUDGET )) s for others to finish)"
fi
say "load at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min); busy: $(b=$(busy); echo "${b:-none}")"
say "total time: $(($(date +%s) - START_S)) s"
exit 0
