#!/bin/bash
# TLS figures (issue 18): what one SSL_write of 64 B costs (bench/tls_write.c:
# a client and a server SSL object in one process over a socketpair, the
# client writing, the server draining between timed batches), as ns per
# call, median of ROUNDS rounds within each run, runs interleaved:
#   untraced       no adi-profiler at all
#   bystander      adi-profiler tracing another process: the uprobes sit in
#                  the system's libssl, so an untraced process pays their hit
#   no-plaintext   traced with --no-tls-plaintext (syscalls only, no uprobe)
#   sites          traced, plaintext through the probe sites adi-profiler
#                  chose (tls.c: on this Debian 12 libssl, the internal
#                  function SSL_write calls, whose first instruction is a
#                  push the kernel emulates)
#   entry          traced, plaintext through probes on SSL_write's first
#                  instruction (ADI_TLS_PROBES=stepped: single-stepped)
# Reports, never gates. Usage: sudo bash bench/tls.sh (ADI_BIN=..., N=..., ROUNDS=..., RUNS=...)
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-3}
BIN=${ADI_BIN:-build/adi-profiler}
[ -n "${ADI_BIN:-}" ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null; }
W=$(mktemp -d /tmp/adi-tls-bench.XXXXXX)
BG=
cleanup() {
	[ -n "$BG" ] && kill -INT "$BG" 2>/dev/null && sleep 0.3 && kill -INT "$BG" 2>/dev/null
	[ -n "$BG" ] && wait "$BG" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cp "$BIN" "$W/adi"
cc -O2 -Wall -o "$W/tls_write" bench/tls_write.c -lssl -lcrypto || exit 1

# one run: prints the median ns per SSL_write
once() {
	case "$1" in
	untraced) "$W/tls_write" -n "$N" -R "$ROUNDS" ;;
	bystander)
		"$W/adi" run --format json -o /dev/null -- sleep 3600 >/dev/null 2>&1 & BG=$!
		sleep 3 # the hooks in place
		"$W/tls_write" -n "$N" -R "$ROUNDS"
		kill -INT "$BG"; sleep 0.3; kill -INT "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; BG= ;;
	no-plaintext) "$W/adi" run --no-tls-plaintext --format json -o /dev/null -- \
		"$W/tls_write" -n "$N" -R "$ROUNDS" ;;
	sites) "$W/adi" run --format json -o "$W/t.jsonl" -- "$W/tls_write" -n "$N" -R "$ROUNDS" ;;
	entry) ADI_TLS_PROBES=stepped "$W/adi" run --format json -o "$W/t.jsonl" -- \
		"$W/tls_write" -n "$((N / 10))" -R "$ROUNDS" ;;
	esac | awk '/ssl_write_ns/ { print $2 }'
}

MODES="untraced bystander no-plaintext sites entry"
for r in $(seq "$RUNS"); do
	for m in $MODES; do
		v=$(once "$m")
		echo "$m $v" >>"$W/res"
		echo "  run $r $m: ${v:-?} ns" >&2
	done
done
# what the traced runs captured: plaintext records and the probe kind
if [ -s "$W/t.jsonl" ]; then
	tail -1 "$W/t.jsonl" | python3 -c 'import json,sys
s = json.loads(sys.stdin.read())["tls"]
print("last traced run:", s["plaintext_calls"], "plaintext calls;",
      ", ".join("%s (%s)" % (l["path"], l["probes"]) for l in s["libraries"]))'
fi
echo "== SSL_write of 64 B, ns per call (median of $ROUNDS rounds of $N calls; min / median of $RUNS runs; entry: $((N / 10)) calls)"
base=$(awk '$1 == "untraced" { print $2 }' "$W/res" | sort -n | head -1)
for m in $MODES; do
	awk -v m="$m" '$1 == m { print $2 }' "$W/res" | sort -n | awk -v m="$m" -v b="$base" '
		{ v[NR] = $1 } END { if (!NR) exit; med = v[int((NR + 1) / 2)];
		  printf "%-13s min %7d  median %7d  (+%d ns over untraced min)\n", m, v[1], med, v[1] - b }'
done
