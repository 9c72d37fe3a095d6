#!/usr/bin/env bash
# bench/export.sh - export throughput per format (docs/export.md): events/s of
# `adi-profiler export otlp` (protobuf and JSON, to a local receiver that
# answers 200 without decoding), `export perfetto` and `view --format json`
# (the reference: reading the store and writing JSON Lines) on one
# 1,000,000-event SQLite store; and `export pcapng` on the raw capture it
# came from (records/s, MB/s of payload). One command, as root (the
# workload is captured for real): `sudo bash bench/export.sh`. It reports;
# it does not gate.
#
# The store: a workload (HTTP exchanges against a local server and file
# reads, so about half the events become spans and half log records) is
# captured with --save-raw, replayed to JSON Lines, and its events repeated
# with shifted times until there are EVENTS of them; `view -o x.db` makes
# the store. Knobs: ADI_PROFILER (binary; default BUILD_DIR/adi-profiler),
# BUILD_DIR, EVENTS=1000000, ROUNDS=3 (best of), HTTP=20000, FILES=20000.
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
BIN=${ADI_PROFILER:-$BUILD_DIR/adi-profiler}
EVENTS=${EVENTS:-1000000}
ROUNDS=${ROUNDS:-3}
HTTP=${HTTP:-20000}
FILES=${FILES:-20000}
TMP=$(mktemp -d /tmp/adi-bench-export.XXXXXX)
RPID=
cleanup() { [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
[ -x "$BIN" ] || { echo "no binary at $BIN (build first or set ADI_PROFILER)" >&2; exit 1; }
cp "$BIN" "$TMP/adi-profiler"   # a concurrent rebuild cannot swap it mid-run
BIN=$TMP/adi-profiler

echo "== workload capture (--save-raw): $HTTP HTTP exchanges, $FILES file reads"
cat > "$TMP/work.py" <<PY
import http.client, http.server, os, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each exchange waits for a delayed ACK
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
c = http.client.HTTPConnection("127.0.0.1", s.server_address[1])
for i in range(max($HTTP, $FILES)):
    if i < $FILES:
        with open(f"{d}/f{i % 64}") as f: f.read()
    if i < $HTTP:
        c.request("GET", f"/api/items?page={i}"); c.getresponse().read()
PY
"$BIN" run --save-raw "$TMP/w.raw" -o /dev/null -- python3 "$TMP/work.py"
"$BIN" replay "$TMP/w.raw" --format json -o "$TMP/w.jsonl"

echo "== a store of $EVENTS events"
python3 - "$TMP/w.jsonl" "$TMP/big.jsonl" "$EVENTS" <<'PY'
import json, sys, time
src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src).read().splitlines()
events, summary = [json.loads(l) for l in lines[:-1]], json.loads(lines[-1])
span = events[-1]["ts_ns"] - events[0]["ts_ns"] + 1000
n, rep, kinds = 0, 0, {}
with open(dst, "w") as out:
    while n < want - 1:
        for e in events:
            if n == want - 1:
                break
            s = e["ts_ns"] + rep * span
            e = dict(e, ts_ns=s, timestamp=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s // 10**9))
                     + ".%09dZ" % (s % 10**9))
            out.write(json.dumps(e, separators=(",", ":")) + "\n")
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
            n += 1
        rep += 1
    summary["events"] = kinds
    summary["total"] = n
    out.write(json.dumps(summary, separators=(",", ":")) + "\n")
print("events by kind:", kinds)
PY
"$BIN" view "$TMP/big.jsonl" -o "$TMP/big.db"
N=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from events').fetchone()[0])" "$TMP/big.db")
echo "store: $N events, $(du -m "$TMP/big.db" | cut -f1) MiB"

# best of ROUNDS runs of a command: "wall_s cpu_s" (CPU: user + system of
# the command, which counts on a VM shared with other work)
best() {
	local b= c=
	for _ in $(seq "$ROUNDS"); do
		/usr/bin/time -f "%e %U %S" -o "$TMP/time" "$@" > /dev/null 2>"$TMP/err" ||
			{ cat "$TMP/err" >&2; return 1; }
		read -r w u sy < "$TMP/time"
		b=$(python3 -c "import sys; w=float(sys.argv[1]); b=sys.argv[2]; print(w if not b or w < float(b) else b)" "$w" "$b")
		c=$(python3 -c "import sys; x=float(sys.argv[1])+float(sys.argv[2]); c=sys.argv[3]; print(x if not c or x < float(c) else c)" "$u" "$sy" "$c")
	done
	echo "$b $c"
}

PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
node "$REPO/tests/integration/node/otlp_receiver.js" "$PORT" /dev/null discard > "$TMP/recv.out" &
RPID=$!
for _ in $(seq 100); do grep -q listening "$TMP/recv.out" && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT

printf '\n%-28s %8s %12s %8s %14s\n' "format" "wall s" "events/s" "CPU s" "events/CPU-s"
row() {
	set -- "$1" $2
	printf '%-28s %8.2f %12.0f %8.2f %14.0f\n' "$1" "$2" "$(python3 -c "print($N / $2)")" "$3" \
		"$(python3 -c "print($N / $3)")"
}
row "view --format json (ref.)" "$(best "$BIN" view "$TMP/big.db" --format json -o "$TMP/out.jsonl")"
row "export perfetto" "$(best "$BIN" export perfetto "$TMP/big.db" -o "$TMP/out.json")"
row "export otlp (protobuf)" "$(best "$BIN" export otlp "$TMP/big.db" --endpoint "$URL")"
row "export otlp (json)" "$(best "$BIN" export otlp "$TMP/big.db" --endpoint "$URL" --otlp-encoding json)"
RAWN=$("$BIN" replay "$TMP/w.raw" --dump | wc -l)
RAWB=$(stat -c %s "$TMP/w.raw")
set -- $(best "$BIN" export pcapng "$TMP/w.raw" -o "$TMP/out.pcapng")
printf '%-28s %8.2f %12.0f %8.2f %14.0f  raw records (%d records, %.0f MB/s of capture per CPU-s)\n' \
	"export pcapng (raw capture)" "$1" "$(python3 -c "print($RAWN / $1)")" "$2" \
	"$(python3 -c "print($RAWN / $2)")" "$RAWN" "$(python3 -c "print($RAWB / $2 / 1e6)")"
uptime
