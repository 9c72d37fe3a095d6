#!/bin/bash
# bpftime.sh - the kernel side of tracing a server: nanoseconds of BPF
# program time per nginx request (kernel.bpf_stats_enabled: the kernel's own
# run_time_ns and run_cnt of each program), and the server's and the
# tracer's CPU per request, for one or more adi-profiler binaries with rounds
# interleaved. The BPF time runs on the server's CPU (it is part of its
# syscalls), so it is what the server pays beyond the tracer's own process.
# bpf_stats adds two clock reads per program run (~40 ns): compare binaries
# in the same run, not with figures taken without it.
# Usage: sudo bash bench/bpftime.sh [BIN...]   (default: build/adi-profiler)
#        env: ROUNDS (3) DUR (4 s of wrk -t1 -c8) PER_PROG (1: a line per program)
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-4}
[ "$(id -u)" = 0 ] || { echo "bpftime.sh: run as root (eBPF, bpf_stats)"; exit 1; }
for t in wrk nginx bpftool bc; do
	command -v $t >/dev/null || { echo "bpftime.sh: $t is missing (apt-get install wrk nginx bpftool bc)"; exit 1; }
done
BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
	cmake -S . -B build >/dev/null && cmake --build build -j2 --target adi-profiler >/dev/null ||
		{ echo "bpftime.sh: build failed"; exit 1; }
	BINS=(build/adi-profiler)
fi
W=$(mktemp -d /tmp/adi-bpftime.XXXXXX)
trap 'sysctl -qw kernel.bpf_stats_enabled=0; rm -rf "$W"' EXIT
for i in "${!BINS[@]}"; do cp "${BINS[$i]}" "$W/adi$i" || exit 1; done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
. bench/nginx-site.sh
nginx_site "$W" "$PORT"
port_up() { for _ in $(seq 200); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# name run_time_ns run_cnt of every adi-profiler program loaded now
snap() { bpftool prog show 2>/dev/null | awk '/ name handle_/ {for(i=1;i<=NF;i++){if($i=="name")n=$(i+1); if($i=="run_time_ns")t=$(i+1); if($i=="run_cnt")c=$(i+1)}; print n, t+0, c+0}' | sort; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sysctl -qw kernel.bpf_stats_enabled=1
TCK=$(getconf CLK_TCK)
: > "$W/results"
for r in $(seq "$ROUNDS"); do
	for i in "${!BINS[@]}"; do
		"$W/adi$i" run --format json -o "$W/trace.jsonl" -- nginx -c "$W/nginx.conf" -p "$W" & AP=$!
		port_up || { echo "bpftime.sh: nginx did not start"; cat "$W/nginx-error.log"; kill -INT $AP; exit 1; }
		sleep 0.3
		NP=$(pgrep -P $AP nginx | head -1)
		snap > "$W/b0"; a0=$(cpu $AP); n0=$(cpu "$NP")
		n=$(wrk -t1 -c8 -d"${DUR}s" "http://127.0.0.1:$PORT/index.html" | awk '/requests in/ {print $1}')
		snap > "$W/b1"; a1=$(cpu $AP); n1=$(cpu "$NP")
		kill -INT $AP; wait $AP 2>/dev/null
		seen=$(grep -c '"kind":"http_request"' "$W/trace.jsonl")
		bpf=$(join "$W/b0" "$W/b1" | awk -v n="$n" '{t += $4 - $2} END {printf "%.0f", t / n}')
		srv=$(echo "($n1-$n0)*1000000/$TCK/$n" | bc -l)
		trc=$(echo "($a1-$a0)*1000000/$TCK/$n" | bc -l)
		echo "$i $r $bpf $srv $trc $((n / DUR))" >> "$W/results"
		printf "round %d  %-28s BPF %5s ns/req  server %5.2f us/req  tracer %5.2f us/req  %6d req/s  seen %s\n" \
			"$r" "${BINS[$i]}" "$bpf" "$srv" "$trc" "$((n / DUR))" "$seen/$n"
		if [ "${PER_PROG:-0}" = 1 ]; then
			join "$W/b0" "$W/b1" | awk -v n="$n" '{dt=$4-$2; dc=$5-$3; if (dc > 0)
				printf "    %-28s %6.2f runs/req %5.0f ns/run %6.0f ns/req\n", $1, dc/n, dt/dc, dt/n}'
		fi
	done
done
echo
echo "medians of $ROUNDS interleaved rounds (nginx 1 worker, wrk -t1 -c8 -d${DUR}s, 827-byte file):"
for i in "${!BINS[@]}"; do
	awk -v i="$i" '$1 == i' "$W/results" | awk -v b="${BINS[$i]}" '
		{bp[NR]=$3; sv[NR]=$4; tr[NR]=$5; rq[NR]=$6}
		function med(a, n) { asort(a); return a[int((n + 1) / 2)] }
		END {printf "  %-30s BPF %5.0f ns/req  server %5.2f us/req  tracer %5.2f us/req  %6.0f req/s\n",
			b, med(bp, NR), med(sv, NR), med(tr, NR), med(rq, NR)}'
done
