#!/usr/bin/env bash
# bench/startup.sh - how long `adi-profiler run -- true` takes to start under
# eBPF: from the moment the profiler is started to the moment its first event
# (the exec of `true`) happens, which is when the trace is ready; and the
# whole run's wall and CPU time. Root, a kernel with BTF.
#
#   sudo bash bench/startup.sh [BIN [BIN2]]     # N=15 runs each, interleaved
#
# With two binaries (before, after) the runs alternate, so both see the same
# load. Prints, per binary: the first-event latency (min and median, ms),
# the wall time (min, median) and the CPU time (user + system, min, median).
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BINS=("${@:-$HERE/../build/adi-profiler}")
N=${N:-15}
# seconds between runs: the kernel detaches a run's programs after it has
# returned (docs/capture.md "The end"). A run started meanwhile used to wait
# for that detach as it attached (perf-event probes and the kernel's
# event_mutex: median 0.75 s back to back); with raw tracepoints and
# uprobe_multi links it no longer does. GAP=0 measures back to back.
GAP=${GAP:-1.5}
TMP=$(mktemp -d /tmp/adi-startup.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

one() { # $1 binary, $2 tag: appends "first_ms wall_s cpu_s" to $TMP/$2
	local t0 first
	t0=$(date +%s%N)
	/usr/bin/time -f "%e %U %S" -o "$TMP/time" "$1" run --backend ebpf --format json \
		-o "$TMP/t.jsonl" -- true || return
	first=$(head -1 "$TMP/t.jsonl" | sed -n 's/.*"ts_ns":\([0-9]*\).*/\1/p')
	[ -n "$first" ] || return
	read -r wall user sys <"$TMP/time"
	echo "$(( (first - t0) / 1000 )) $wall $user $sys" >>"$TMP/$2"
}

stat() { # column $1 of file $2: "min median"
	awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{a[NR]=$1} END {printf "%s %s", a[1], a[int((NR+1)/2)]}'
}

for ((i = 0; i < N; i++)); do
	for k in "${!BINS[@]}"; do
		one "${BINS[$k]}" "b$k"
		sleep "$GAP"
	done
done
printf "%-40s %22s %18s %18s\n" binary "first event ms (min/med)" "wall s (min/med)" "cpu s (min/med)"
for k in "${!BINS[@]}"; do
	f="$TMP/b$k"
	[ -s "$f" ] || { echo "${BINS[$k]}: no run succeeded"; continue; }
	awk '{print $1 / 1000, $2, $3 + $4}' "$f" >"$f.x"
	read -r fmin fmed <<<"$(stat 1 "$f.x")"
	read -r wmin wmed <<<"$(stat 2 "$f.x")"
	read -r cmin cmed <<<"$(stat 3 "$f.x")"
	printf "%-40s %10.0f / %-10.0f %8.2f / %-8.2f %8.2f / %-8.2f\n" "${BINS[$k]}" \
		"$fmin" "$fmed" "$wmin" "$wmed" "$cmin" "$cmed"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
