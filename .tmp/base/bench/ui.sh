#!/usr/bin/env bash
# bench/ui.sh - the trace store and the web UI, measured (docs/store.md,
# docs/ui.md). One command: `sudo bash bench/ui.sh` (root: the capture is a
# real eBPF run). It reports; it does not gate.
#
#  1. write throughput of the SQLite store against the JSON Lines writer in
#     the same run: one raw capture (--save-raw of a workload with files,
#     processes and HTTP) replayed ROUNDS times to -o x.jsonl and to -o x.db,
#     interleaved; events/s of each (engine included: the same for both) and
#     the store's added cost per event;
#  2. time to open a 100,000-event trace (the first 99,999 events of that
#     replay and its trace_summary) in the page: Debian's chromium driven by
#     playwright-core (tests/integration/node/ui_bench.js), served by
#     `adi-profiler ui` from the .db and from the .jsonl.
# Knobs: ADI_PROFILER (binary; default BUILD_DIR/adi-profiler), BUILD_DIR,
#        ROUNDS=3, FILES=60000 (file open/read/close in the workload), HTTP=3000
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
BIN=${ADI_PROFILER:-$BUILD_DIR/adi-profiler}
ROUNDS=${ROUNDS:-3}
FILES=${FILES:-60000}
HTTP=${HTTP:-3000}
TMP=$(mktemp -d /tmp/adi-bench-ui.XXXXXX)
UIPID=
cleanup() { [ -n "$UIPID" ] && kill -INT "$UIPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
[ -x "$BIN" ] || { echo "no binary at $BIN (build first or set ADI_PROFILER)" >&2; exit 1; }
cp "$BIN" "$TMP/adi-profiler"   # a concurrent rebuild cannot swap it mid-run
BIN=$TMP/adi-profiler

echo "== workload capture (--save-raw)"
cat > "$TMP/work.py" <<PY
import http.client, http.server, os, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        b = b'{"ok":true,"items":[1,2,3]}'
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=s.serve_forever, daemon=True).start()
d = "$TMP/files"; os.makedirs(d, exist_ok=True)
for i in range(64):
    with open(f"{d}/f{i}", "w") as f: f.write("x" * 300)
for i in range($FILES):
    with open(f"{d}/f{i % 64}") as f: f.read()
c = http.client.HTTPConnection("127.0.0.1", s.server_address[1])
for i in range($HTTP):
    if i % 100 == 0:
        c.close(); c = http.client.HTTPConnection("127.0.0.1", s.server_address[1])
    c.request("GET", f"/api/items?page={i}"); c.getresponse().read()
for i in range(50):
    os.system("true")
PY
"$BIN" run --format json -o /dev/null --save-raw "$TMP/cap.raw" -- python3 "$TMP/work.py"
ls -l "$TMP/cap.raw" | awk '{printf "raw capture: %.1f MiB\n", $5/1048576}'

echo "== store vs JSON Lines: replay of the same capture, $ROUNDS rounds each, interleaved"
# wall and CPU (user+sys) seconds of one command, best of the rounds: the
# CPU figure is what the writer costs; the wall one suffers from whatever
# else runs on the machine
TIMEFORMAT='%R %U %S'
timed() { { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
bj_w= bj_c= bd_w= bd_c=
for r in $(seq 1 "$ROUNDS"); do
	read -r jw jc < <(timed "$BIN" replay --format json -o "$TMP/x.jsonl" "$TMP/cap.raw")
	read -r dw dc < <(timed "$BIN" replay -o "$TMP/x.db" "$TMP/cap.raw")
	echo "round $r: jsonl ${jw}s wall ${jc}s cpu   db ${dw}s wall ${dc}s cpu"
	bj_w=$(best "$jw" "$bj_w"); bj_c=$(best "$jc" "$bj_c")
	bd_w=$(best "$dw" "$bd_w"); bd_c=$(best "$dc" "$bd_c")
done
N=$(wc -l < "$TMP/x.jsonl")
NDB=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events").fetchone()[0])' "$TMP/x.db")
[ "$N" = "$NDB" ] || echo "WARNING: $N lines but $NDB rows"
JSZ=$(stat -c %s "$TMP/x.jsonl"); DBSZ=$(stat -c %s "$TMP/x.db")
echo "events per replay: $N; file sizes: jsonl $((JSZ/1048576)) MiB, db $((DBSZ/1048576)) MiB"
awk -v n="$N" -v jw="$bj_w" -v jc="$bj_c" -v dw="$bd_w" -v dc="$bd_c" 'BEGIN {
	printf "JSON Lines:   %7.0f events/s wall, %7.0f events/s of CPU (engine included)\n", n / jw, n / jc
	printf "SQLite store: %7.0f events/s wall, %7.0f events/s of CPU\n", n / dw, n / dc
	printf "store / JSON Lines: %.2f x the wall time, %.2f x the CPU; the store adds %.1f us of CPU per event\n",
		dw / jw, dc / jc, (dc - jc) * 1e6 / n }'

echo "== open a 100,000-event trace in chromium"
head -n 99999 "$TMP/x.jsonl" > "$TMP/big.jsonl"
tail -n 1 "$TMP/x.jsonl" >> "$TMP/big.jsonl"
"$BIN" view -o "$TMP/big.db" "$TMP/big.jsonl"
for f in big.db big.jsonl; do
	"$BIN" ui "$TMP/$f" > "$TMP/url" 2>/dev/null &
	UIPID=$!
	for _ in $(seq 1 100); do [ -s "$TMP/url" ] && break; sleep 0.1; done
	echo "$f: $(cd "$REPO/tests/integration/node" && node ui_bench.js "$(head -1 "$TMP/url")" "$ROUNDS")"
	kill -INT "$UIPID"; wait "$UIPID" || true
	UIPID=
	rm -f "$TMP/url"
done
echo "(open_ms: navigation to every event loaded and drawn, measured by the harness;"
echo " page_ms: the page's performance.now() at that moment; redraw_ms: one zoom step)"
