#!/bin/bash
# DNS figures (issue 16): the cost of tracing a resolver-heavy loop, N
# (10,000) getaddrinfo() calls of Python through glibc's resolver (A and
# AAAA each: 2 queries per call) against a private dnsmasq, untraced vs the
# loop traced by adi-profiler with full DNS decoding (rounds interleaved,
# same dnsmasq); queries seen vs made; and the engine alone replaying the
# saved capture of that traffic (MB/s and events/s on one core, user+sys
# CPU, best of 5). glibc's resolv.conf names no port, so dnsmasq listens on
# 127.0.0.1:53 inside a private network and mount namespace (unshare -mn)
# whose /etc/resolv.conf is a bind mount: the machine's is never touched.
# Reports, never gates. Usage: sudo bash bench/dns.sh (ADI_BIN=..., N=..., ROUNDS=...)
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
ROUNDS=${ROUNDS:-3}
BIN=${ADI_BIN:-build/adi-profiler}
command -v dnsmasq >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null
[ -n "${ADI_BIN:-}" ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null; }
W=$(mktemp -d /tmp/adi-dns-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cp "$BIN" "$W/adi"
printf '127.0.0.1 host.example.test\n::1 host.example.test\n' >"$W/hosts"
cat >"$W/dnsmasq.conf" <<CONF
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
addn-hosts=$W/hosts
local=/example.test/
keep-in-foreground
user=root
pid-file=
CONF
printf 'nameserver 127.0.0.1\n' >"$W/resolv.conf"
cat >"$W/loop.py" <<'PY'
import socket, sys, time
t0 = time.monotonic()
for _ in range(int(sys.argv[1])):
    socket.getaddrinfo("host.example.test", 80, type=socket.SOCK_STREAM)
print("%.4f" % (time.monotonic() - t0))
PY
# inside the namespaces: the server, then the rounds
cat >"$W/inner.sh" <<'SH'
set -u
W=$1 N=$2 ROUNDS=$3
ip link set lo up
mount --bind "$W/resolv.conf" /etc/resolv.conf
dnsmasq -C "$W/dnsmasq.conf" & DP=$!
python3 -c 'import socket, time
for _ in range(200):
    try: socket.create_connection(("127.0.0.1", 53), timeout=0.2).close(); break
    except OSError: time.sleep(0.05)'
# the loop times itself: the profiler's start-up (seconds with eBPF on a
# loaded machine) is not the loop's cost
for r in $(seq "$ROUNDS"); do
	u=$(python3 "$W/loop.py" "$N")
	save=()
	[ "$r" = "$ROUNDS" ] && save=(--save-raw "$W/cap.raw")
	t=$("$W/adi" run "${save[@]}" --format json -o "$W/trace.jsonl" -- python3 "$W/loop.py" "$N")
	seen=$(grep -c '"kind":"dns_query","[^}]*"comm":"python3"' "$W/trace.jsonl")
	unans=$(grep -c '"unanswered":true' "$W/trace.jsonl")
	dropped=$(tail -1 "$W/trace.jsonl" | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
	echo "$r $u $t $seen $unans $dropped"
done
kill "$DP"; wait "$DP" 2>/dev/null
SH
echo "== $N getaddrinfo() calls (A + AAAA: $((2 * N)) queries) against dnsmasq, $ROUNDS rounds, untraced vs traced"
unshare -mn bash "$W/inner.sh" "$W" "$N" "$ROUNDS" >"$W/rounds.txt"
ratios=()
while read -r r u t seen unans dropped; do
	ratios+=("$(echo "$t / $u" | bc -l)")
	printf "  round %s: untraced %.2f s (%.0f us/call), traced %.2f s (%.0f us/call, x%.2f); queries seen %s of %s, unanswered %s, dropped %s\n" \
		"$r" "$u" "$(echo "$u * 1000000 / $N" | bc -l)" "$t" "$(echo "$t * 1000000 / $N" | bc -l)" \
		"${ratios[-1]}" "$seen" "$((2 * N))" "$unans" "$dropped"
done <"$W/rounds.txt"
printf "  median ratio traced/untraced: %.2f (the loop's own time: the profiler's start-up excluded)\n" \
	"$(printf "%s\n" "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')"

echo "== engine alone: replay of the last round's capture (best of 5, user+sys CPU)"
bytes=$(stat -c %s "$W/cap.raw")
best=
for _ in 1 2 3 4 5; do
	cpu=$( { /usr/bin/time -f "%U %S" "$W/adi" replay --format json -o "$W/replay.jsonl" "$W/cap.raw"; } 2>&1 | tail -1 |
		awk '{print $1 + $2}')
	if [ -z "$best" ] || [ "$(echo "$cpu < $best" | bc -l)" = 1 ]; then best=$cpu; fi
done
events=$(($(wc -l <"$W/replay.jsonl") - 1))
queries=$(grep -c '"kind":"dns_query"' "$W/replay.jsonl")
[ "$(echo "$best > 0" | bc -l)" = 1 ] || best=0.01
printf "  capture %.1f MB, %d events (%d dns_query); replay %.2f s CPU: %.0f MB/s, %.0f events/s, %.0f queries/s\n" \
	"$(echo "$bytes / 1000000" | bc -l)" "$events" "$queries" "$best" \
	"$(echo "$bytes / 1000000 / $best" | bc -l)" "$(echo "$events / $best" | bc -l)" \
	"$(echo "$queries / $best" | bc -l)"
