#!/bin/bash
# HTTP/2 figures (issue 6): h2load (Debian's nghttp2-client) against nghttpd
# (--no-tls, one small file), untraced vs nghttpd traced by adi-profiler
# with full HTTP/2 decoding, as a ratio from the same run (rounds
# interleaved); streams seen (http_request events) vs requests sent; drops.
# Reports, never gates. Usage: sudo bash bench/h2.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-100000}
CONNS=${CONNS:-10}
STREAMS=${STREAMS:-10}
BIN=${ADI_BIN:-build/adi-profiler}
command -v h2load >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null
command -v nghttpd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-server >/dev/null
# the binary of this checkout: built (incrementally) unless one is named
[ -n "${ADI_BIN:-}" ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null; }
W=$(mktemp -d /tmp/adi-h2-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cp "$BIN" "$W/adi"
mkdir -p "$W/www"
head -c 612 /dev/urandom | base64 -w 76 > "$W/www/index.html"
PORT=$((20000 + RANDOM % 20000))

wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# h2load's requests/s and requests that succeeded
run_h2load() { h2load -n "$N" -c "$CONNS" -m "$STREAMS" "http://127.0.0.1:$PORT/index.html" > "$W/h2load.txt" 2>&1
	awk '/^finished in/ {rps=$4} /^requests:/ {ok=$8} END {print rps, ok}' "$W/h2load.txt"; }

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TCK=$(getconf CLK_TCK)

echo "== h2load -n $N -c $CONNS -m $STREAMS against nghttpd --no-tls (816-byte file), $ROUNDS rounds, then one of 5x as many"
declare -a U T
for r in $(seq "$((ROUNDS + 1))"); do
	[ "$r" -gt "$ROUNDS" ] && N=$((N * 5)) # sustained: several seconds traced
	nghttpd --no-tls -d "$W/www" "$PORT" >/dev/null 2>&1 & NG=$!; wait_port
	read -r u un < <(run_h2load); kill $NG; wait $NG 2>/dev/null
	"$W/adi" run --format json -o "$W/trace.jsonl" -- nghttpd --no-tls -d "$W/www" "$PORT" >/dev/null 2>&1 & AP=$!
	wait_port; sleep 0.3
	c0=$(cpu_of $AP)
	read -r t tn < <(run_h2load)
	c1=$(cpu_of $AP)
	kill -INT $AP; sleep 0.3; kill -INT $AP; wait $AP 2>/dev/null
	seen=$(grep -c '"kind":"http_request"' "$W/trace.jsonl")
	inc=$(grep '"kind":"http_request"' "$W/trace.jsonl" | grep -c '"incomplete":true\|"headers_unknown"')
	dropped=$(tail -1 "$W/trace.jsonl" | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
	[ "$r" -le "$ROUNDS" ] && { U+=("$u"); T+=("$t"); }
	printf "  %s: untraced %s req/s; traced %s req/s (x%.2f); requests sent %s, streams seen %s (incomplete or unknown headers %s), dropped %s; tracer CPU %.1f us/request\n" \
		"$([ "$r" -le "$ROUNDS" ] && echo "round $r" || echo "sustained, -n $N")" "$u" "$t" "$(echo "$t / $u" | bc -l)" "$tn" "$seen" "$inc" "$dropped" \
		"$(echo "($c1 - $c0) * 1000000 / $TCK / $tn" | bc -l)"
done
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
mu=$(med "${U[@]}"); mt=$(med "${T[@]}")
printf "  median: untraced %.0f req/s, traced %.0f req/s, ratio %.2f\n" "$mu" "$mt" "$(echo "$mt / $mu" | bc -l)"
