#!/bin/bash
# HTTP figures (issue 3): wrk against nginx (one worker, a small file),
# untraced vs nginx traced by adi-profiler with full HTTP decoding, as a
# ratio from the same run (rounds interleaved); requests seen vs sent; and
# the engine alone replaying a saved capture of that traffic (MB/s, req/s on
# one core). Also, from the same run, what bounds the ratio on this machine:
# the ratio with a do-nothing busy loop of idle priority instead of the
# tracer, the ratio with payload capture off (--capture-bytes 0), and the
# tracer's own CPU time per request. Reports, never gates.
# Usage: sudo bash bench/http.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-5}
CONNS=${CONNS:-8}
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
# the binary of this checkout, built (incrementally) every time
cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null || exit 1
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

# CPU time (user + system, clock ticks) of one process, not its children
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TCK=$(getconf CLK_TCK)

# one traced round: nginx under adi-profiler with the given options; sets
# t (req/s), tn (sent), seen, dropped, us (tracer CPU microseconds/request)
traced_round() {
	"$W/adi" run --format json -o "$W/trace.jsonl" "$@" -- nginx -c "$W/nginx.conf" -p "$W" & AP=$!
	wait_port; sleep 0.3
	c0=$(cpu_of $AP)
	read -r t tn < <(run_wrk)
	c1=$(cpu_of $AP)
	kill -INT $AP; sleep 0.3; kill -INT $AP; wait $AP 2>/dev/null
	seen=$(grep -c '"kind":"http_request"' "$W/trace.jsonl")
	dropped=$(tail -1 "$W/trace.jsonl" | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
	us=$(echo "($c1 - $c0) * 1000000 / $TCK / $tn" | bc -l)
}

echo "== wrk -t1 -c$CONNS -d${DUR}s against nginx (1 worker, 816-byte file), $ROUNDS rounds"
declare -a U T S Z
for r in $(seq "$ROUNDS"); do
	nginx -c "$W/nginx.conf" -p "$W" & NG=$!; wait_port
	read -r u un < <(run_wrk)
	# the same untraced server, with a busy loop of idle priority beside
	# it: what any other runnable process costs on this machine
	chrt -i 0 sh -c 'while :; do :; done' & SP=$!
	read -r sp spn < <(run_wrk)
	kill $SP; wait $SP 2>/dev/null
	kill $NG; wait $NG 2>/dev/null
	traced_round
	U+=("$u"); T+=("$t"); S+=("$sp")
	printf "  round %d: untraced %s req/s; traced %s req/s (x%.2f); requests sent %s, seen %s, dropped %s; tracer CPU %.1f us/request; untraced beside an idle-priority busy loop %s req/s (x%.2f)\n" \
		"$r" "$u" "$t" "$(echo "$t / $u" | bc -l)" "$tn" "$seen" "$dropped" "$us" "$sp" "$(echo "$sp / $u" | bc -l)"
	traced_round --capture-bytes 0
	Z+=("$t")
	printf "           with --capture-bytes 0 (capture only, nothing to decode): %s req/s (x%.2f), tracer CPU %.1f us/request\n" \
		"$t" "$(echo "$t / $u" | bc -l)" "$us"
done
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
mu=$(med "${U[@]}"); mt=$(med "${T[@]}"); ms=$(med "${S[@]}"); mz=$(med "${Z[@]}")
printf "  median: untraced %.0f req/s, traced %.0f req/s, ratio %.2f (target >= 0.90)\n" "$mu" "$mt" "$(echo "$mt / $mu" | bc -l)"
printf "  bounds on this machine: capture only x%.2f; an idle-priority busy loop and no tracer x%.2f\n" \
	"$(echo "$mz / $mu" | bc -l)" "$(echo "$ms / $mu" | bc -l)"

echo "== engine alone: replays of saved captures of that traffic (one core)"
# replay: time, MB/s and requests/s of one capture, written to $2
replay_fig() {
	local cap=$1 out=$2 what=$3 bytes start end reqs secs
	bytes=$(stat -c %s "$cap")
	"$W/adi" replay --format json -o /dev/null "$cap" >/dev/null 2>&1 # warm the page cache
	start=$(date +%s.%N)
	"$W/adi" replay --format json -o "$out" "$cap"
	end=$(date +%s.%N)
	reqs=$("$W/adi" replay --format json -o - "$cap" | grep -c '"kind":"http_request"')
	secs=$(echo "$end - $start" | bc -l)
	printf "  %s: capture %.1f MB, %d requests; to %s in %.2f s: %.0f MB/s, %.0f requests/s (target >= 1 GB/s)\n" \
		"$what" "$(echo "$bytes / 1000000" | bc -l)" "$reqs" "$out" "$secs" \
		"$(echo "$bytes / 1000000 / $secs" | bc -l)" "$(echo "$reqs / $secs" | bc -l)"
}
nginx -c "$W/nginx.conf" -p "$W" >/dev/null 2>&1 & NG=$!
wait_port
"$W/adi" run --save-raw "$W/cap.raw" --format json -o /dev/null -- \
	wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PORT/index.html" >/dev/null
kill $NG; wait $NG 2>/dev/null
"$W/adi" run --save-raw "$W/srv.raw" --format json -o /dev/null -- nginx -c "$W/nginx.conf" -p "$W" & AP=$!
wait_port; sleep 0.3
wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PORT/index.html" >/dev/null
kill -INT $AP; sleep 0.3; kill -INT $AP; wait $AP 2>/dev/null
replay_fig "$W/cap.raw" /dev/null "client side (wrk traced)"
replay_fig "$W/cap.raw" "$W/replay.jsonl" "client side (wrk traced)"
replay_fig "$W/srv.raw" /dev/null "server side (nginx traced: HTTP + open/read/close of the file)"
rm -f "$W/replay.jsonl"
"$W/adi" replay --format json -o /dev/null --no-net "$W/cap.raw" >/dev/null
start=$(date +%s.%N)
"$W/adi" replay --format json -o /dev/null --no-net "$W/cap.raw"
end=$(date +%s.%N)
printf "  the client-side replay with --no-net (reading and tables only): %.2f s\n" "$(echo "$end - $start" | bc -l)"
