#!/bin/bash
# Redis figures (issue 5): redis-benchmark (-t set,get, -c 50) against a
# private redis-server, untraced vs the server traced by adi-profiler with
# full RESP decoding, without and with pipelining (-P 16); ratios from the
# same run (rounds interleaved); commands seen vs sent (sent: the server's
# INFO commandstats); drops; and the engine alone replaying a saved capture
# of that traffic (commands/s and MB/s on one core). Reports, never gates.
# Usage: sudo bash bench/redis.sh   (ADI_BIN=... to use another build)
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-200000}
CONNS=${CONNS:-50}
BIN=${ADI_BIN:-build/adi-profiler}
for t in redis-server redis-cli redis-benchmark; do
	command -v $t >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
done
# the binary of this checkout: built (incrementally) unless one is named
[ -n "${ADI_BIN:-}" ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null; }
W=$(mktemp -d /tmp/adi-redis-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cp "$BIN" "$W/adi"
PORT=$((20000 + RANDOM % 20000))
SRV=(redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no
     --dir "$W" --logfile "$W/redis.log")

cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }
wait_up() { for _ in $(seq 400); do [ "$(cli ping 2>/dev/null)" = PONG ] && return 0; sleep 0.05; done; return 1; }
# SET and GET requests/s (redis-benchmark --csv: "SET","<rps>",...)
bench() { redis-benchmark -h 127.0.0.1 -p "$PORT" -n "$N" -t set,get -c "$CONNS" "$@" --csv 2>/dev/null |
	awk -F'"' '$2 == "SET" {s = $4} $2 == "GET" {g = $4} END {print s, g}'; }
# SETs + GETs the server executed since the last CONFIG RESETSTAT
sent() { cli info commandstats | awk -F'[:=,]' '/^cmdstat_(set|get):/ {n += $3} END {print n + 0}'; }
ratio() { echo "$1 / $2" | bc -l; }

declare -a RS RG
for P in 1 16; do
	echo "== redis-benchmark -n $N -t set,get -c $CONNS -P $P, $ROUNDS rounds (server traced)"
	RS=(); RG=()
	for r in $(seq "$ROUNDS"); do
		"${SRV[@]}" & RP=$!
		wait_up
		read -r us ug < <(bench -P "$P")
		cli shutdown nosave >/dev/null 2>&1; wait $RP 2>/dev/null
		"$W/adi" run --format json -o "$W/trace.jsonl" -- "${SRV[@]}" & AP=$!
		wait_up
		cli config resetstat >/dev/null
		read -r ts tg < <(bench -P "$P")
		n_sent=$(sent)
		cli shutdown nosave >/dev/null 2>&1; wait $AP 2>/dev/null
		seen=$(grep -c '"kind":"redis_command","[^}]*"command":"\(SET\|GET\)"' "$W/trace.jsonl")
		dropped=$(tail -1 "$W/trace.jsonl" | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
		errors=$(tail -1 "$W/trace.jsonl" | grep -o '"parse_errors":[0-9]*' | cut -d: -f2)
		rm -f "$W/trace.jsonl"
		RS+=("$(ratio "$ts" "$us")"); RG+=("$(ratio "$tg" "$ug")")
		printf "  round %d: SET %s -> %s req/s (x%.2f), GET %s -> %s req/s (x%.2f); SET+GET sent %s, seen %s, dropped %s, parse errors %s\n" \
			"$r" "$us" "$ts" "${RS[-1]}" "$ug" "$tg" "${RG[-1]}" "$n_sent" "$seen" "$dropped" "$errors"
	done
	med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
	printf "  median ratio traced/untraced: SET %.2f, GET %.2f\n" "$(med "${RS[@]}")" "$(med "${RG[@]}")"
done

echo "== engine alone: replay of a saved capture (redis-benchmark -n $N -t set,get -c $CONNS -P 16, client traced)"
"${SRV[@]}" & RP=$!
wait_up
"$W/adi" run --save-raw "$W/cap.raw" --format json -o /dev/null -- \
	redis-benchmark -h 127.0.0.1 -p "$PORT" -n "$N" -t set,get -c "$CONNS" -P 16 -q >/dev/null
cli shutdown nosave >/dev/null 2>&1; wait $RP 2>/dev/null
bytes=$(stat -c %s "$W/cap.raw")
start=$(date +%s.%N)
"$W/adi" replay --format json -o "$W/replay.jsonl" "$W/cap.raw"
end=$(date +%s.%N)
cmds=$(grep -c '"kind":"redis_command"' "$W/replay.jsonl")
secs=$(echo "$end - $start" | bc -l)
printf "  capture %.1f MB, %d commands; replay %.2f s: %.0f MB/s, %.0f commands/s\n" \
	"$(echo "$bytes / 1000000" | bc -l)" "$cmds" "$secs" "$(echo "$bytes / 1000000 / $secs" | bc -l)" \
	"$(echo "$cmds / $secs" | bc -l)"
start=$(date +%s.%N)
"$W/adi" replay --format json -o /dev/null --no-net "$W/cap.raw"
end=$(date +%s.%N)
printf "  the same replay with --no-net (reading and tables only): %.2f s\n" "$(echo "$end - $start" | bc -l)"
