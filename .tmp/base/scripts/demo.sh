#!/bin/sh
# One command on a fresh Debian 12 machine, as root: install the build
# dependencies, build adi-profiler, and trace a sample workload that touches
# files and makes a local HTTP request. The timeline is printed; the JSON
# Lines trace is left in /tmp/adi-demo/trace.jsonl.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
apt-get install -y -qq --no-install-recommends curl python3 >/dev/null 2>&1 || true
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
mkdir -p /tmp/adi-demo
cd /tmp/adi-demo
python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
sleep 1
BIN="$OLDPWD/build/adi-profiler"
W='echo hi > /tmp/a.txt; mv /tmp/a.txt /tmp/b.txt; cat /tmp/b.txt; rm /tmp/b.txt; curl -s http://127.0.0.1:8080/ >/dev/null'
"$BIN" run --format text -- sh -c "$W"
"$BIN" run --format json -o /tmp/adi-demo/trace.jsonl -- sh -c "$W" >/dev/null
echo "JSON Lines trace: /tmp/adi-demo/trace.jsonl ($(wc -l < /tmp/adi-demo/trace.jsonl) events)"
