#!/bin/bash
# HTTP figures (issue 3): wrk against nginx (one worker, a small file),
# untraced vs nginx traced by adi-profiler with full HTTP decoding, as a
# ratio from the same run (rounds interleaved); requests seen vs sent; and
# the engine alone replaying a saved capture of that traffic (MB/s, req/s on
# one core). Reports, never gates. Usage: sudo bash bench/http.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-5}
CONNS=${CONNS:-8}
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
[ -x build/adi-profiler ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" >/dev/null; }
W=$(mktemp -d /tmp/adi-http-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cp build/adi-profiler "$W/adi"
mkdir -p "$W/www"
head -c 612 /dev/urandom | base64 -w 76 > "$W/www/index.html"
PORT=$((20000 + RANDOM % 20000))
cat > "$W/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
error_log $W/error.log; pid $W/nginx.pid;
events { worker_connections 256; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $W; proxy_temp_path $W; fastcgi_temp_path $W;
  uwsgi_temp_path $W; scgi_temp_path $W;
  server { listen 127.0.0.1:$PORT; root $W/www; } }
CONF

wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# wrk's requests/s and total requests
run_wrk() { wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$PORT/index.html" > "$W/wrk.txt" 2>&1
	awk '/Requests\/sec/ {rps=$2} /requests in/ {n=$1} END {print rps, n}' "$W/wrk.txt"; }

echo "== wrk -t1 -c$CONNS -d${DUR}s against nginx (1 worker, 816-byte file), $ROUNDS rounds"
declare -a U T
for r in $(seq "$ROUNDS"); do
	nginx -c "$W/nginx.conf" -p "$W" & NG=$!; wait_port
	read -r u un < <(run_wrk); kill $NG; wait $NG 2>/dev/null
	"$W/adi" run --format json -o "$W/trace.jsonl" -- nginx -c "$W/nginx.conf" -p "$W" & AP=$!
	wait_port; sleep 0.3
	read -r t tn < <(run_wrk)
	kill -INT $AP; sleep 0.3; kill -INT $AP; wait $AP 2>/dev/null
	seen=$(grep -c '"kind":"http_request"' "$W/trace.jsonl")
	dropped=$(tail -1 "$W/trace.jsonl" | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
	U+=("$u"); T+=("$t")
	printf "  round %d: untraced %s req/s; traced %s req/s (x%.2f); requests sent %s, seen %s, dropped %s\n" \
		"$r" "$u" "$t" "$(echo "$t / $u" | bc -l)" "$tn" "$seen" "$dropped"
done
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
mu=$(med "${U[@]}"); mt=$(med "${T[@]}")
printf "  median: untraced %.0f req/s, traced %.0f req/s, ratio %.2f (target >= 0.90)\n" "$mu" "$mt" "$(echo "$mt / $mu" | bc -l)"

echo "== engine alone: replay of a saved capture of that traffic (one core)"
nginx -c "$W/nginx.conf" -p "$W" >/dev/null 2>&1 & NG=$!
wait_port
"$W/adi" run --save-raw "$W/cap.raw" --format json -o /dev/null -- \
	wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PORT/index.html" >/dev/null
kill $NG; wait $NG 2>/dev/null
bytes=$(stat -c %s "$W/cap.raw")
start=$(date +%s.%N)
"$W/adi" replay --format json -o "$W/replay.jsonl" "$W/cap.raw"
end=$(date +%s.%N)
reqs=$(grep -c '"kind":"http_request"' "$W/replay.jsonl")
secs=$(echo "$end - $start" | bc -l)
printf "  capture %.1f MB, %d requests; replay %.2f s: %.0f MB/s, %.0f requests/s (target >= 1 GB/s)\n" \
	"$(echo "$bytes / 1000000" | bc -l)" "$reqs" "$secs" "$(echo "$bytes / 1000000 / $secs" | bc -l)" \
	"$(echo "$reqs / $secs" | bc -l)"
"$W/adi" replay --format json -o /dev/null --no-net "$W/cap.raw" >/dev/null
start=$(date +%s.%N)
"$W/adi" replay --format json -o /dev/null --no-net "$W/cap.raw"
end=$(date +%s.%N)
printf "  the same replay with --no-net (reading and tables only): %.2f s\n" "$(echo "$end - $start" | bc -l)"
