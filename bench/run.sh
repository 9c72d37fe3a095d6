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
#   N=1000000         writes per writeloop run (a-d)
#   STRACE_N=200000   writes per strace run (strace is ~100-400x slower)
#   COPY_MIB=256      size of the copied file
#   TPUT_N=2000000    writes per throughput run
#   TPUT_ROUNDS=3     rounds of the throughput runs
#   ADI_PROFILER=...  use this binary instead of building $BUILD_DIR
#   BUILD_DIR=...     cmake build directory (default: <repo>/build)
#   CMD_TIMEOUT=120   seconds any single measured command may take
set -u
export LC_ALL=C

ROUNDS=${ROUNDS:-5}
N=${N:-1000000}
STRACE_N=${STRACE_N:-200000}
COPY_MIB=${COPY_MIB:-256}
TPUT_N=${TPUT_N:-2000000}
TPUT_ROUNDS=${TPUT_ROUNDS:-3}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}
SIZE=64

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
START_S=$(date +%s)

TMP=$(mktemp -d /tmp/adi-bench.XXXXXX) || exit 1
COPYDIR=
BG_PID=
cleanup() {
	if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
		kill_bg_child
		kill "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	[ -n "$COPYDIR" ] && rm -rf "$COPYDIR"
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
record() { printf '%s\n' "$2" >>"$TMP/res/$1"; }

# stats NAME: "median min max count" of the samples (empty if none)
stats() {
	[ -s "$TMP/res/$1" ] || return 0
	sort -g "$TMP/res/$1" | awk '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		      printf "%s %s %s %d\n", m, v[1], v[NR], NR }'
}
med() { stats "$1" | awk '{ print $1 }'; }
range() { stats "$1" | awk '{ printf "%s..%s (n=%d)", $2, $3, $4 }'; }
maxv() { stats "$1" | awk '{ print $3 }'; }

# calc EXPR [DECIMALS]: floating point arithmetic (awk)
calc() {
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

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$REPO" status --porcelain 2>/dev/null | grep -v ' bench/' | wc -l)
say "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "kernel:  $(uname -r); cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
say "commit:  $COMMIT ($DIRTY files changed outside bench/ in the work tree)"
say "binary:  $SRC_BIN ($(stat -c '%y' "$SRC_BIN" 2>/dev/null | cut -d. -f1)), sha256 $(sha256sum "$P" | cut -c1-12)"
say "strace:  $( [ "$HAVE_STRACE" = 1 ] && strace -V | head -1 || echo missing)"
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

run_base() {
	TO "$WL" "$N" "$SIZE" >"$TMP/o" 2>"$TMP/o.err"
	check_run "untraced writeloop" $? 0 "$TMP/o"
	record base "$(field ns_per_call "$TMP/o")"
}
run_adi() { # run_adi NAME [profiler options]
	local name=$1 rc d
	shift
	TO "$P" run --format json -o "$TMP/s.json" "$@" -- "$WL" "$N" "$SIZE" >"$TMP/o" 2>"$TMP/o.err"
	rc=$?
	check_run "adi-profiler run $* -- writeloop $N $SIZE" $rc 0 "$TMP/o"
	record "$name" "$(field ns_per_call "$TMP/o")"
	d=$(summary_drops "$TMP/s.json")
	[ -z "$d" ] && anomaly "adi-profiler run $* -- writeloop: no trace_summary in the output"
	[ -n "$d" ] && [ "$d" != 0 ] && anomaly "adi-profiler run $* -- writeloop $N $SIZE: $d records dropped"
	record "${name}_drops" "${d:-0}"
}
run_bg() {
	local i rc
	"$P" run -o /dev/null -- sleep 60 >/dev/null 2>"$TMP/bg.err" &
	BG_PID=$!
	# attached = the command was let go (it only execs once it is in the filter)
	for i in $(seq 100); do bg_child >/dev/null && break; sleep 0.1; done
	if ! bg_child >/dev/null; then
		anomaly "background adi-profiler did not start its command within 10 s"
	fi
	sleep 0.3
	TO "$WL" "$N" "$SIZE" >"$TMP/o" 2>"$TMP/o.err"
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
	TO strace -f -o /dev/null -- "$WL" "$STRACE_N" "$SIZE" >"$TMP/o" 2>"$TMP/o.err"
	check_run "strace -f writeloop" $? 0 "$TMP/o"
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
say "== a-e: $N writes of $SIZE B to /dev/null (strace: $STRACE_N), $ROUNDS rounds"
# the baseline three times per round (it is cheap, and the figure every
# "added" is taken against): start, middle and end of the rotation
conds=(run_base "run_adi adi" "run_adi adi0 --capture-bytes 0" run_base run_bg run_strace run_base run_startup)
nc=${#conds[@]}
for r in $(seq 0 $((ROUNDS - 1))); do
	for i in $(seq 0 $((nc - 1))); do
		${conds[$(((i + r) % nc))]}
	done
	note "round $((r + 1))/$ROUNDS: base $(tail -1 "$TMP/res/base") adi $(tail -1 "$TMP/res/adi") adi0 $(tail -1 "$TMP/res/adi0") beside $(tail -1 "$TMP/res/bg") strace $(tail -1 "$TMP/res/strace" 2>/dev/null) ns/call"
done

# ---------------------------------------------------------------- f: copy

say ""
say "== f: file copy of $COPY_MIB MiB, $ROUNDS rounds"
fstype=$(stat -f -c %T /dev/shm 2>/dev/null)
avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ "$fstype" = tmpfs ] && [ "${avail:-0}" -gt $((COPY_MIB * 1024 * 3)) ]; then
	COPYDIR=$(mktemp -d /dev/shm/adi-bench.XXXXXX)
else
	COPYDIR=$(mktemp -d /tmp/adi-bench-copy.XXXXXX)
fi
say "copy dir: $COPYDIR ($(stat -f -c %T "$COPYDIR"))"
SRCF=$COPYDIR/src.bin
DSTF=$COPYDIR/dst.bin
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
			run_copy "$w" "${CCONDS[$(((i + r) % 4))]}"
		done
	done
	note "round $((r + 1))/$ROUNDS done ($(($(date +%s) - START_S)) s elapsed)"
done
rm -rf "$COPYDIR"
COPYDIR=

# ---------------------------------------------------------------- g, h: throughput, RSS

say ""
say "== g/h: kernel->user throughput and peak RSS ($TPUT_N writes, $TPUT_ROUNDS rounds)"
# tput NAME SIZE RATE [profiler options]: one traced run under /usr/bin/time
tput() {
	local name=$1 size=$2 rate=$3 n rc d dl rss
	shift 3
	n=$TPUT_N
	[ "$rate" != 0 ] && n=$((rate * ${TPUT_SECONDS:-1}))
	[ "$n" -lt 20000 ] && n=20000
	rm -f "$TMP/t.json" "$TMP/time.txt"
	if [ -x /usr/bin/time ]; then
		TO /usr/bin/time -v -o "$TMP/time.txt" "$P" run --format json -o "$TMP/t.json" "$@" \
			-- "$WL" "$n" "$size" /dev/null "$rate" >"$TMP/o" 2>"$TMP/o.err"
	else
		TO "$P" run --format json -o "$TMP/t.json" "$@" \
			-- "$WL" "$n" "$size" /dev/null "$rate" >"$TMP/o" 2>"$TMP/o.err"
	fi
	rc=$?
	check_run "adi-profiler run $* -- writeloop $n $size /dev/null $rate" $rc 0 "$TMP/o"
	d=$(summary_drops "$TMP/t.json")
	dl=$(summary_delivered "$TMP/t.json")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time.txt" 2>/dev/null)
	record "${name}_rate" "$(field calls_per_s "$TMP/o")"
	record "${name}_drops" "${d:-n/a}"
	record "${name}_calls" "$n"
	record "${name}_delivered" "${dl:-n/a}"
	[ -n "$rss" ] && record "${name}_rss" "$rss"
}
for r in $(seq 1 "$TPUT_ROUNDS"); do
	tput t64 64 0
	tput t4k 4096 0
	note "round $r/$TPUT_ROUNDS: 64 B $(tail -1 "$TMP/res/t64_rate")/s drops $(tail -1 "$TMP/res/t64_drops"); 4 KiB $(tail -1 "$TMP/res/t4k_rate")/s drops $(tail -1 "$TMP/res/t4k_drops")"
done
# the target: one producer at 1 M events/s, default ring, 2 s
TPUT_SECONDS=2 tput p1m 64 1000000
note "paced 1 M/s: achieved $(tail -1 "$TMP/res/p1m_rate")/s drops $(tail -1 "$TMP/res/p1m_drops")"
# where drops begin with a small ring (1 MiB), one producer, 1 s per rate
SWEEP=(25000 50000 100000 200000 400000 800000 1600000 0)
for rate in "${SWEEP[@]}"; do
	tput "sw${rate}" 64 "$rate" --ringbuf-bytes 1048576
	note "1 MiB ring, rate ${rate/#0/max}: achieved $(tail -1 "$TMP/res/sw${rate}_rate")/s dropped $(tail -1 "$TMP/res/sw${rate}_drops") of $(tail -1 "$TMP/res/sw${rate}_calls")"
done
# the same small ring at full speed with the consumer woken at 256 KiB queued
# (the default wake-up threshold is 1 MiB: never reached in a 1 MiB ring)
tput swwake 64 0 --ringbuf-bytes 1048576 --wakeup-bytes 262144

# ---------------------------------------------------------------- report

say ""
say "== results (medians of interleaved rounds; min..max in brackets)"
B=$(med base); A=$(med adi); A0=$(med adi0); G=$(med bg); S=$(med strace)
addA=$(calc "$A - $B"); addA0=$(calc "$A0 - $B"); addG=$(calc "$G - $B")
verdict() { awk "BEGIN { exit !($1) }" 2>/dev/null && echo PASS || echo FAIL; }

say ""
say "write(2) of $SIZE B to /dev/null, ns per call (writeloop's own clock)"
printf '  %-44s %10s  %s\n' "untraced (baseline)" "$B" "[$(range base)]"
printf '  %-44s %10s  %s\n' "adi-profiler (capture 16 KiB default)" "$A" "[$(range adi)]"
printf '  %-44s %10s  %s\n' "adi-profiler --capture-bytes 0" "$A0" "[$(range adi0)]"
printf '  %-44s %10s  %s\n' "untraced process while adi-profiler runs" "$G" "[$(range bg)]"
[ -n "$S" ] && printf '  %-44s %10s  %s\n' "strace -f ($STRACE_N calls)" "$S" "[$(range strace)]"
printf '  %-44s %10s  %s\n' "adi-profiler run -- true, wall ms" "$(med startup_ms)" "[$(range startup_ms)]"

say ""
say "file copy of $COPY_MIB MiB on $fstype: command's own wall ms (ratio = traced / untraced median)"
printf '  %-8s %12s %20s %20s %20s\n' workload untraced adi-profiler "adi --capture-bytes 0" "strace -f"
for w in "${WORKS[@]}"; do
	u=$(med "copy_${w}_none")
	line=$(printf '  %-8s %9s ms' "$w" "$u")
	for c in adi adi0 strace; do
		v=$(med "copy_${w}_${c}")
		if [ -n "$v" ]; then
			line+=$(printf ' %9s ms (x%s)' "$v" "$(calc "$v / $u" 2)")
		else
			line+=$(printf ' %20s' n/a)
		fi
	done
	say "$line"
done
say "  (including the profiler's start-up and tear-down, wall ms:$(for w in "${WORKS[@]}"; do printf ' %s %s/%s' "$w" "$(med "copyouter_${w}_none")" "$(med "copyouter_${w}_adi")"; done) untraced/adi)"

say ""
say "kernel->user path, one producer, default ring (64 MiB), $TPUT_N writes to /dev/null"
for k in t64:64 t4k:4096; do
	name=${k%%:*}; sz=${k#*:}
	rate=$(med "${name}_rate")
	rb=
	[ -n "$REC_IO" ] && rb=$(calc "$rate * int(($REC_IO + $sz + 7) / 8) * 8 / 1e6 + $rate * 8 / 1e6" 0)
	printf '  %5s B: %9.0f events/s  %7s MB/s payload  %7s MB/s through the ring  drops %s (max over %s runs)  peak RSS %s KiB\n' \
		"$sz" "$rate" "$(calc "$rate * $sz / 1e6" 0)" "${rb:-n/a}" "$(maxv "${name}_drops")" \
		"$TPUT_ROUNDS" "$(maxv "${name}_rss")"
done
P1R=$(med p1m_rate); P1D=$(maxv p1m_drops)
printf '  paced to 1,000,000 events/s for 2 s: achieved %.0f events/s, drops %s\n' "$P1R" "$P1D"
say ""
say "small ring (--ringbuf-bytes 1048576), 64 B writes, ~1 s per rate"
first_drop=; last_clean=
for rate in "${SWEEP[@]}"; do
	a=$(med "sw${rate}_rate"); d=$(maxv "sw${rate}_drops"); n=$(maxv "sw${rate}_calls")
	pct=$(calc "100 * $d / $n" 1)
	printf '  target %9s/s  achieved %9.0f/s  dropped %9s (%s%%)  peak RSS %s KiB\n' \
		"${rate/#0/max}" "$a" "$d" "$pct" "$(maxv "sw${rate}_rss")"
	if [ "$d" = 0 ]; then
		[ -z "$first_drop" ] && last_clean=$a
	else
		[ -z "$first_drop" ] && first_drop=$a
	fi
done
say "  drops begin between $(calc "${last_clean:-0}" 0)/s (none) and $(calc "${first_drop:-0}" 0)/s (some) [0 = not reached]"
d=$(maxv swwake_drops)
printf '  max rate with --wakeup-bytes 262144: achieved %.0f/s  dropped %s\n' "$(med swwake_rate)" "$d"

say ""
say "== targets"
printf '  %-58s %12s %12s  %s\n' figure measured target verdict
printf '  %-58s %12s %12s  %s\n' "added ns per captured 64-B write (adi - untraced)" "$addA" "<= 250" "$(verdict "$addA <= 250")"
printf '  %-58s %12s %12s  %s\n' "  same, --capture-bytes 0 (info)" "$addA0" "" ""
printf '  %-58s %12s %12s  %s\n' "added ns per syscall, untraced process beside profiler" "$addG" "<= 50" "$(verdict "$addG <= 50")"
if awk "BEGIN { exit !($P1R >= 990000) }"; then
	printf '  %-58s %12s %12s  %s\n' "drops, one producer at 1 M events/s (paced, 2 s)" "$P1D" "0" "$(verdict "$P1D == 0")"
else
	printf '  %-58s %12s %12s  %s\n' "drops, one producer at 1 M events/s (paced, 2 s)" "$P1D @ $(calc "$P1R / 1e6" 2)M/s" "0" "n/a (producer below 1 M/s)"
fi
printf '  %-58s %12s %12s  %s\n' "drops, one producer at full speed ($(calc "$(med t64_rate) / 1e6" 2) M events/s, 64 B)" "$(maxv t64_drops)" "0" "$(verdict "$(maxv t64_drops) == 0")"
say ""
say "ratios traced / untraced (writeloop ns per call; copies: command wall time)"
printf '  %-22s %12s %12s %12s\n' "" adi-profiler "capture 0" "strace -f"
printf '  %-22s %12s %12s %12s\n' "writeloop 64 B" "x$(calc "$A / $B" 2)" "x$(calc "$A0 / $B" 2)" "$([ -n "$S" ] && echo "x$(calc "$S / $B" 0)" || echo n/a)"
for w in "${WORKS[@]}"; do
	u=$(med "copy_${w}_none")
	v=$(med "copy_${w}_strace")
	printf '  %-22s %12s %12s %12s\n' "copy: $w" "x$(calc "$(med "copy_${w}_adi") / $u" 2)" \
		"x$(calc "$(med "copy_${w}_adi0") / $u" 2)" "$([ -n "$v" ] && echo "x$(calc "$v / $u" 2)" || echo n/a)"
done
say ""
if [ -s "$TMP/anomalies" ]; then
	say "== anomalies ($(wc -l <"$TMP/anomalies"))"
	sed 's/^/  /' "$TMP/anomalies"
else
	say "== anomalies: none (every run exited as expected; no drops outside the small-ring sweep)"
fi
say ""
say "total time: $(($(date +%s) - START_S)) s"
exit 0
