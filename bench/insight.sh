#!/usr/bin/env bash
# bench/insight.sh - report, deps and diff on a 1,000,000-event trace
# (docs/insight.md), measured: wall and CPU time and peak RSS, from an
# SQLite store and from JSON Lines. No root: the trace is generated (events
# in the contract's shape, docs/events.md: a server's requests, each with its
# queries -- one endpoint an N+1 loop --, a Redis lookup, a connect and a
# file read as work naming it), then turned into a store by `view -o x.db`.
# The "after" trace is the same with one query more per item of one
# endpoint, what diff must catch. It reports; it does not gate.
# Knobs: ADI_PROFILER (binary; default BUILD_DIR/adi-profiler), BUILD_DIR,
#        EVENTS=1000000, ROUNDS=3 (best of)
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
BIN=${ADI_PROFILER:-$BUILD_DIR/adi-profiler}
EVENTS=${EVENTS:-1000000}
ROUNDS=${ROUNDS:-3}
TMP=$(mktemp -d /tmp/adi-bench-insight.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ -x "$BIN" ] || { echo "no binary at $BIN (build first or set ADI_PROFILER)" >&2; exit 1; }
cp "$BIN" "$TMP/adi-profiler"   # a concurrent rebuild cannot swap it mid-run
BIN=$TMP/adi-profiler

cat > "$TMP/gen.py" <<'PY'
"""EVENTS events of a traced server, as JSON Lines (docs/events.md)."""
import json, sys
events, variant, out = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "w")
T0 = 1795800705000000000
n = [0]
def ev(kind, ts, dur, fields, pid=4242, tid=4242):
    n[0] += 1
    e = {"v": 1, "kind": kind, "timestamp": "2026-11-27T17:31:45.000000000Z", "ts_ns": ts,
         "duration_ms": dur, "pid": pid, "tid": tid, "comm": "app", "cgroup_id": 1,
         "container": None, "id": n[0]}
    e.update(fields)
    out.write(json.dumps(e, separators=(",", ":")) + "\n")
    return n[0]
srv = {"transport": "tcp", "local": "127.0.0.1:8080", "remote": "127.0.0.1:50000",
       "role": "server", "id": 1}
pg = {"transport": "tcp", "local": "127.0.0.1:40000", "remote": "127.0.0.1:5432",
      "role": "client", "id": 2}
rd = {"transport": "tcp", "local": "127.0.0.1:40001", "remote": "127.0.0.1:6379",
      "role": "client", "id": 3}
def sql(ts, parent, tid, text, rows=1):
    ev("sql_query", ts, 0.2, {"parent_id": parent, "parent_by": "thread", "conn": pg,
       "db": "postgres", "sql": text, "params": [], "statement": None, "columns": ["x"],
       "rows": rows, "rows_sample": [["1"]], "command_tag": "SELECT %d" % rows,
       "error": None, "tx": "idle", "database": "app", "user": "app"}, tid=tid)
i, ts = 0, T0
while n[0] < events - 1:
    i += 1
    tid = 5000 + i % 8
    path = ["/users/%d" % i, "/orders/%d/items" % i, "/search?q=%d" % i][i % 3]
    rid = ev("http_request", ts, 12.0, {"method": "GET", "url": path, "host": "app",
             "version": "1.1", "status": 500 if i % 997 == 0 else 200,
             "req_headers": {"host": "app"}, "resp_headers": {"content-length": "2"},
             "req_body": "", "resp_body": "ok", "req_bytes": 0, "resp_bytes": 2,
             "truncated": False, "conn": srv}, tid=tid)
    t = ts + 100000
    ev("connection", t, None, {"parent_id": rid, "parent_by": "thread", "op": "connect",
       "conn": pg, "error": None}, tid=tid)
    t += 100000
    if i % 3 == 1:
        sql(t, rid, tid, "SELECT id FROM items WHERE order_id = %d" % i, 8)
        for k in range(8 + (1 if variant == "after" else 0)):
            t += 300000
            sql(t, rid, tid, "SELECT name, price FROM items WHERE id = %d" % (i * 8 + k))
        if variant == "after":
            for k in range(8):
                t += 300000
                sql(t, rid, tid, "SELECT count(*) FROM reviews WHERE item_id = %d" % k)
    else:
        sql(t, rid, tid, "SELECT * FROM users u JOIN orders o ON o.user_id = u.id "
            "WHERE u.id = %d AND o.state IN (1, 2, 3)" % i, 3)
    t += 300000
    ev("redis_command", t, 0.1, {"parent_id": rid, "parent_by": "thread", "conn": rd,
       "command": "GET", "args": ["session:%d" % i], "reply": None, "error": None,
       "req_bytes": 30, "resp_bytes": 5, "truncated": False}, tid=tid)
    t += 200000
    ev("file", t, 0.05, {"parent_id": rid, "parent_by": "thread", "op": "read",
       "path": "/srv/templates/page.html", "fd": 9, "new_path": None, "flags": None,
       "mode": "0644", "uid": 0, "gid": 0, "bytes": 512, "ops": 1, "content": "<html>",
       "error": None}, tid=tid)
    ts += 13000000
ev("trace_summary", ts, 1000.0, {"events": {}, "dropped": 0, "truncated": 0,
   "backend": "replay", "capture_backend": "ebpf", "total": n[0]}, pid=0, tid=0)
PY

measure() { # label, command...: best of ROUNDS: wall s, user+sys s, peak RSS MiB
	local label=$1 best="" line; shift
	for _ in $(seq "$ROUNDS"); do
		# diff exits 1 for a change: a status is no failure here
		/usr/bin/time -o "$TMP/time" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
		line=$(tail -1 "$TMP/time")
		best=$(printf '%s\n%s\n' "$best" "$line" | awk 'NF==4' | sort -n | head -1)
	done
	echo "$best" | awk -v l="$label" '{printf "%-34s wall %6.2f s  cpu %6.2f s  peak RSS %6.1f MiB\n", l, $1, $2+$3, $4/1024}'
}

echo "== generating $EVENTS events (before, after)"
python3 "$TMP/gen.py" "$EVENTS" before "$TMP/before.jsonl"
python3 "$TMP/gen.py" "$EVENTS" after "$TMP/after.jsonl"
"$BIN" view "$TMP/before.jsonl" -o "$TMP/before.db"
"$BIN" view "$TMP/after.jsonl" -o "$TMP/after.db"
ls -l "$TMP"/before.* | awk '{printf "%-40s %7.1f MiB\n", $9, $5/1048576}'
echo "== best of $ROUNDS"
measure "view (reading alone), store" "$BIN" view --format json "$TMP/before.db"
measure "report, store" "$BIN" report "$TMP/before.db"
measure "report --format json, store" "$BIN" report --format json "$TMP/before.db"
measure "report, JSON Lines" "$BIN" report "$TMP/before.jsonl"
measure "deps, store" "$BIN" deps "$TMP/before.db"
measure "diff before after, stores" "$BIN" diff "$TMP/before.db" "$TMP/after.db"
echo "== what they found"
"$BIN" report "$TMP/before.db" | sed -n '/^N+1/,/^Errors/p' | head -8
set +e
"$BIN" diff "$TMP/before.db" "$TMP/after.db" > "$TMP/diff.txt"
rc=$?
tail -8 "$TMP/diff.txt"
echo "diff exit status: $rc (1: a change got worse)"
