#!/bin/sh
# Record a golden raw capture (run by hand, as root, from a build tree):
#   sh tests/replay/make_capture.sh build/adi-profiler tests/replay/data/workload
# then review data/workload.jsonl line by line before committing it.
set -eu
BIN=$1
OUT=$2
DIR=/tmp/adi-golden
rm -rf "$DIR" && mkdir -p "$DIR"
gcc -static -O1 -o "$DIR/workload" "$(dirname "$0")/workload.c"
python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 47611)); s.listen(1)
c, _ = s.accept(); c.recv(100); c.sendall(b"PONG\r\n"); c.close()
' &
sleep 0.5
"$BIN" run --format json -o "$OUT.live.jsonl" --save-raw "$OUT.raw" -- "$DIR/workload" "$DIR" 47611
wait
"$BIN" replay --format json -o "$OUT.jsonl" "$OUT.raw"
rm -f "$OUT.live.jsonl"
