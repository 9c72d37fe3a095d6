#!/usr/bin/env bash
# bench/ptrace.sh - what each way of tracing costs the same syscall-heavy
# workload (bench/writeloop.c, as in bench/run.sh), from one run: untraced,
# adi-profiler with the eBPF backend, with the ptrace backend (seccomp
# filter: only decoded syscalls stop), and `strace -f`. Rounds are
# interleaved so a noisy neighbour hits every variant alike; the figure per
# variant is the median ns per write(2) inside the loop (start-up excluded)
# and its ratio to the untraced median. A third table mixes in syscalls we do
# not decode (9 getppid per write, as most of a real program's calls are):
# there the filter spares ptrace the stops strace pays for every call.
#
#   bash bench/ptrace.sh            # ADI_PROFILER=path to use another binary
# Knobs: N=200000 writes per run, ROUNDS=3, SIZE=64.
set -u
export LC_ALL=C
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-64}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADI=${ADI_PROFILER:-$REPO/build/adi-profiler}
TMP=$(mktemp -d /tmp/adi-ptbench.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

[ -x "$ADI" ] || { echo "no adi-profiler at $ADI (set ADI_PROFILER)" >&2; exit 1; }
cc -O2 -o "$TMP/writeloop" "$REPO/bench/writeloop.c" || exit 1
SHM=$(mktemp -d /dev/shm/adi-ptbench.XXXXXX) || exit 1
trap 'rm -rf "$TMP" "$SHM"' EXIT

# ns per call of one run: the writeloop line, under the given prefix
one() {
	local target=$1 other=0; shift
	case $target in *.mix) target=${target%.mix}; other=9 ;; esac
	"$@" "$TMP/writeloop" "$N" "$SIZE" "$target" 0 "$other" 2>/dev/null |
		sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

variants="untraced ebpf ptrace strace"
prefix() {
	case $1 in
	untraced) echo "" ;;
	ebpf) echo "$ADI run --backend ebpf --format json -o $TMP/t.jsonl --" ;;
	ptrace) echo "$ADI run --backend ptrace --format json -o $TMP/t.jsonl --" ;;
	strace) echo "strace -f -qq -o /dev/null" ;;
	esac
}

for target in "$SHM/f" /dev/null "$SHM/g.mix"; do
	case $target in
	*.mix) label="per iteration: write 64 B to a tmpfs file + 9 getppid (not decoded)" ;;
	/dev/null) label="write 64 B to /dev/null (hooked, not shipped)" ;;
	*) label="write 64 B to a tmpfs file (captured with payload)" ;;
	esac
	for r in $(seq "$ROUNDS"); do
		for v in $variants; do
			if [ "$v" = strace ] && ! command -v strace >/dev/null; then continue; fi
			# shellcheck disable=SC2046
			x=$(one "$target" $(prefix "$v"))
			[ -n "$x" ] && echo "$x" >>"$TMP/$v.$r.$(basename "$target")"
			[ -n "$x" ] && echo "$x" >>"$TMP/$v.$(basename "$target")"
		done
	done
	base=$(median <"$TMP/untraced.$(basename "$target")")
	echo "== $label: N=$N, $ROUNDS interleaved rounds, median ns per call"
	printf '%-10s %12s %10s\n' variant ns/call "x untraced"
	for v in $variants; do
		f="$TMP/$v.$(basename "$target")"
		[ -s "$f" ] || { printf '%-10s %12s\n' "$v" "n/a"; continue; }
		m=$(median <"$f")
		printf '%-10s %12.1f %10.2f\n' "$v" "$m" "$(echo "$m / $base" | bc -l)"
	done
	echo
done
echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null), kernel $(uname -r), $(nproc) CPUs"
