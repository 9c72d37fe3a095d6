"""The SQLite trace store and the web UI (docs/store.md, docs/ui.md).

- the store holds the timeline of the run: `run -o t.db --save-raw r.raw`,
  then the JSON Lines of that same run (replay of its raw capture, which
  equals the live JSON Lines: test_replay_live); `view t.db` prints what
  `view t.jsonl` prints, and `view t.db --format json` gives back the lines;
  the README's SQL queries run on it;
- a store on a full disk: the losses are reported, the command's status kept;
- `ui FILE` serves a .jsonl and a .db, with the token required (403);
- in Chromium (tests/integration/node/ui_e2e.js, playwright-core): events
  drawn, a filter, an SQL event clicked and its parameters read, the token
  required, a screenshot kept ($ADI_ARTIFACTS, else the build folder);
- `run --ui`: the events reach the page's stream while the command runs,
  and the -o output is written as without --ui.
The SQL part of the browser test is a trace written by hand from
docs/events.md's shapes, so it does not depend on a database server.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
CHROMIUM = "/usr/bin/chromium"
T0 = 1795800705000000000  # 2026-11-27T17:31:45Z


def iso(ns):
    s, frac = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % frac


def ev(i, kind, pid, comm, dur=None, **fields):
    ts = T0 + i * 1_000_000
    e = {"v": 1, "kind": kind, "timestamp": iso(ts), "ts_ns": ts, "duration_ms": dur,
         "pid": pid, "tid": pid, "comm": comm, "cgroup_id": 4242, "container": None}
    e.update(fields)
    return e


def conn(cid, remote, local="127.0.0.1:40000"):
    return {"transport": "tcp", "local": local, "remote": remote, "role": "client", "id": cid}


def hand_trace():
    """A small trace in docs/events.md's shapes: processes, files (two of
    them the runtime's), connections, three SQL statements (one with an
    error), Redis, HTTP, a kind no renderer knows, and the summary."""
    pg, rd, web = conn(1, "127.0.0.1:5432"), conn(2, "127.0.0.1:6379"), conn(3, "127.0.0.1:8080")
    evs = [
        ev(0, "process", 100, "app", op="exec", ppid=1, argv=["app", "--serve"], exit_code=None, signal=None),
        ev(1, "file", 100, "app", op="open", path="/etc/app.conf", fd=3, new_path=None, flags="O_RDONLY",
           mode=None, error=None),
        ev(2, "file", 100, "app", 0.05, op="read", path="/etc/app.conf", fd=3, bytes=10, ops=1,
           content="port=8080\n", error=None),
        ev(3, "connection", 100, "app", op="connect", conn=pg, error=None),
        # the runtime's own file work: hidden in the page until asked for
        ev(5, "file", 100, "app", op="open", path="/etc/ld.so.cache", fd=4, new_path=None,
           flags="O_RDONLY|O_CLOEXEC", mode="0644", error=None, runtime="loader"),
        ev(7, "file", 100, "app", op="open", path="/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1",
           fd=None, new_path=None, flags="O_RDONLY|O_CLOEXEC", mode=None, error="ENOENT",
           runtime="loader"),
        ev(4, "sql_query", 100, "app", 1.25, conn=pg, db="postgres",
           sql="SELECT id, total FROM orders WHERE customer = $1 AND status = $2",
           params=["42", "shipped"], statement=None, columns=["id", "total"], rows=2,
           rows_sample=[["7", "19.90"], ["9", "5.00"]], command_tag="SELECT 2", error=None,
           tx="idle", database="shop", user="app"),
        ev(6, "sql_query", 100, "app", 0.8, conn=pg, db="postgres",
           sql="INSERT INTO orders(customer, total) VALUES ($1, $2)", params=["42", "12.50"],
           statement="s1", columns=None, rows=1, rows_sample=None, command_tag="INSERT 0 1",
           error=None, tx="idle", database="shop", user="app"),
        ev(8, "sql_query", 100, "app", 0.3, conn=pg, db="postgres", sql="SELECT * FROM missing_table",
           params=[], statement=None, columns=None, rows=0, rows_sample=None, command_tag=None,
           error={"code": "42P01", "message": "relation \"missing_table\" does not exist"},
           tx="idle", database="shop", user="app"),
        ev(9, "connection", 100, "app", op="connect", conn=rd, error=None),
        ev(10, "redis_command", 100, "app", 0.2, conn=rd, command="SET", args=["session:42", "abc"],
           reply="OK", error=None),
        ev(11, "process", 101, "app", op="fork", ppid=100),
        ev(12, "process", 101, "curl", op="exec", ppid=100, argv=["curl", "-s", "http://127.0.0.1:8080/"],
           exit_code=None, signal=None),
        ev(13, "connection", 101, "curl", op="connect", conn=web, error=None),
        ev(14, "http_request", 101, "curl", 4.5, conn=web, method="GET", url="/api/orders?customer=42",
           host="127.0.0.1:8080", version="1.1", status=200,
           req_headers={"host": "127.0.0.1:8080", "accept": "*/*"},
           resp_headers={"content-type": "application/json"}, req_body="",
           resp_body="[{\"id\":7,\"total\":19.9}]", req_bytes=0, resp_bytes=23, truncated=False),
        ev(20, "gpu_kernel", 100, "app", 2.0, name="matmul_tiled", grid=[4, 4, 1]),
        ev(21, "connection", 101, "curl", op="close", conn=web, error=None),
        ev(22, "process", 101, "curl", op="exit", exit_code=0, signal=None),
        ev(23, "process", 100, "app", op="exit", exit_code=0, signal=None),
    ]
    counts = {}
    for e in evs:
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    evs.append(ev(24, "trace_summary", 0, "", 24.0, events=counts, dropped=0, truncated=0,
                  backend="ebpf", records={"produced": 80, "delivered": 80, "dropped": 0}))
    for n, e in enumerate(evs, 1):
        e["id"] = n  # docs/events.md: every event's place in the trace
    return evs


def write_jsonl(path, evs):
    with open(path, "w", encoding="utf-8") as f:
        for e in evs:
            f.write(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n")


def sh(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, **kw)


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    """`adi-profiler ui FILE` in the background; its URL from stdout."""

    def __init__(self, path):
        self.p = subprocess.Popen([adi.BIN, "ui", path], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.url = self.p.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.p.kill()
            raise AssertionError("no URL from ui: %r %s" % (self.url, self.p.stderr.read()))
        self.base = self.url.split("?")[0]
        self.token = self.url.split("token=")[1]

    def api(self, path):
        return self.base + path.lstrip("/") + ("&" if "?" in path else "?") + "token=" + self.token

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        rc = self.p.wait(timeout=10)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


def artifacts_dir():
    d = os.environ.get("ADI_ARTIFACTS") or os.path.dirname(os.path.abspath(adi.BIN))
    os.makedirs(d, exist_ok=True)
    return d


README_QUERIES = None


def readme_queries():
    """the three SQL queries of README.md's trace store section"""
    src = os.environ.get("ADI_SRC") or os.path.join(HERE, "..", "..")
    with open(os.path.join(src, "README.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"```sql\n(.*?)```", text, re.S)
    assert block, "README.md has no ```sql block"
    qs = [q.strip() for q in block.group(1).split(";") if q.strip()]
    return [re.sub(r"^--.*\n", "", q, flags=re.M).strip() for q in qs]


class Store(adi.TraceTest):
    def test_store_holds_the_same_timeline(self):
        d = self.dir
        db, raw, jl = f"{d}/t.db", f"{d}/r.raw", f"{d}/t.jsonl"
        work = (f"cd {d}; echo hi > a.txt; mv a.txt b.txt; cat b.txt; ls /nonexistent; "
                f"for i in 1 2 3; do cat /etc/hostname; done > c.txt; rm b.txt; exit 3")
        p = sh([adi.BIN, "run", "-o", db, "--save-raw", raw, "--", "sh", "-c", work])
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertNotIn(b"adi-profiler", p.stderr)
        p = sh([adi.BIN, "replay", "--format", "json", "-o", jl, raw])
        self.assertEqual(p.returncode, 0, p.stderr)
        # the timeline: view of the store == view of the JSON Lines (the
        # summary's backend says replay for the latter)
        v_db = sh([adi.BIN, "view", db])
        v_jl = sh([adi.BIN, "view", jl])
        self.assertEqual(v_db.returncode, 0, v_db.stderr)
        self.assertEqual(v_jl.returncode, 0, v_jl.stderr)
        a = v_db.stdout.decode().splitlines()
        b = v_jl.stdout.decode().splitlines()
        self.assertGreater(len(a), 20)
        self.assertEqual(len(a), len(b))
        self.assertIn("backend " + adi.BACKEND, a[-1])
        b[-1] = b[-1].replace("backend replay", "backend " + adi.BACKEND)
        self.assertEqual(a, b)
        # field for field: the store exported back to JSON Lines
        exp = f"{d}/export.jsonl"
        p = sh([adi.BIN, "view", "--format", "json", "-o", exp, db])
        self.assertEqual(p.returncode, 0, p.stderr)
        ex, rep = adi.load(exp), adi.load(jl)
        rep[-1]["backend"] = adi.BACKEND
        self.assertEqual(ex, rep)
        # the schema and the README's queries
        con = sqlite3.connect(db)
        meta = dict(con.execute("SELECT key, value FROM meta"))
        self.assertEqual(meta["format"], "adi-profiler-trace")
        self.assertEqual(meta["format_version"], "1")
        n = con.execute("SELECT count(*) FROM events").fetchone()[0]
        self.assertEqual(n, len(rep))
        idx = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        self.assertTrue({"events_ts", "events_kind", "events_pid", "events_conn"} <= idx, idx)
        errs = con.execute("SELECT count(*) FROM events WHERE kind='file' AND "
                           "json_extract(fields, '$.error') = 'ENOENT'").fetchone()[0]
        self.assertGreaterEqual(errs, 1)
        for q in readme_queries():
            con.execute(q).fetchall()  # each runs on a real store
        con.close()
        self.assertFalse(os.path.exists(db + "-wal"), "the store is left as one file")

    def test_store_on_a_full_disk(self):
        mnt = f"{self.dir}/small"
        os.mkdir(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", mnt])
        self.assertEqual(r.returncode, 0, "cannot mount a small tmpfs")
        try:
            work = "for i in $(seq 1 400); do cat /etc/hostname /etc/passwd > /dev/null; done; exit 5"
            p = sh([adi.BIN, "run", "-o", f"{mnt}/t.db", "--", "sh", "-c", work])
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 5, err)  # the command's status, no crash
            self.assertIn("output was lost", err)
            self.assertRegex(err, r"could not be (stored|written)")
        finally:
            subprocess.run(["umount", mnt])

    def test_ui_serves_a_store_and_json_lines(self):
        d = self.dir
        evs = hand_trace()
        write_jsonl(f"{d}/h.jsonl", evs)
        p = sh([adi.BIN, "view", "-o", f"{d}/h.db", f"{d}/h.jsonl"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # the store reads back to the same events
        p = sh([adi.BIN, "view", "--format", "json", f"{d}/h.db"])
        self.assertEqual([json.loads(l) for l in p.stdout.decode().splitlines()], evs)
        for name in ("h.jsonl", "h.db"):
            s = Server(f"{d}/{name}")
            try:
                st, body = http_get(s.base)
                self.assertEqual(st, 403)
                st, body = http_get(s.base + "api/events?token=" + "0" * 32)
                self.assertEqual(st, 403)
                st, body = http_get(s.api("/api/events?from=0&limit=5"))
                self.assertEqual(st, 200)
                page = json.loads(body)
                self.assertEqual(page["total"], len(evs))
                self.assertEqual(page["events"], evs[:5])
                st, body = http_get(s.api("/api/events?from=5&limit=100"))
                self.assertEqual(json.loads(body)["events"], evs[5:])
                st, body = http_get(s.api("/api/info"))
                info = json.loads(body)
                self.assertEqual((info["live"], info["ended"], info["title"]), (False, True, name))
                st, body = http_get(s.url)
                self.assertEqual(st, 200)
                self.assertIn(b"app.js", body)
                st, _ = http_get(s.api("/nope"))
                self.assertEqual(st, 404)
            finally:
                self.assertEqual(s.stop(), 0)

    def test_browser(self):
        d = self.dir
        self.assertTrue(os.path.exists(CHROMIUM), "Debian's chromium is needed (install-deps.sh --test)")
        node = shutil.which("node")
        self.assertTrue(node, "node is needed")
        evs = hand_trace()
        write_jsonl(f"{d}/h.jsonl", evs)
        p = sh([adi.BIN, "view", "-o", f"{d}/h.db", f"{d}/h.jsonl"])
        self.assertEqual(p.returncode, 0, p.stderr)
        shot = os.path.join(artifacts_dir(), "ui-e2e.png")
        runtime = sum(1 for e in evs if e.get("runtime"))
        want = {
            "total": len(evs),
            # all but trace_summary (the summary tab) and the runtime's
            # file events (hidden until the "runtime" box is ticked)
            "drawn": len(evs) - 1 - runtime,
            "runtime": runtime, "drawnAll": len(evs) - 1,
            "lanes": ["postgres shop @127.0.0.1:5432", "redis @127.0.0.1:6379",
                      "http 127.0.0.1:8080 @127.0.0.1:8080"],
            "filter": "orders",     # two statements on orders and the HTTP request
            "filterShown": 3, "filterDrawn": 3,
            "params": ["42", "shipped"],
            "sql": "FROM orders WHERE customer",
            "errorText": "relation \"missing_table\" does not exist",
            "unknownKind": "gpu_kernel", "unknownField": "matmul_tiled",
        }
        s = Server(f"{d}/h.db")
        try:
            p = subprocess.run([node, "ui_e2e.js", s.url, json.dumps(want), shot], cwd=NODE_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
        finally:
            s.stop()
        sys.stderr.write(p.stdout.decode() + p.stderr.decode())
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertTrue(os.path.getsize(shot) > 10000)
        print("\nui_e2e screenshot: %s" % shot, file=sys.stderr)

    def test_run_ui_live(self):
        d = self.dir
        out = f"{d}/live.jsonl"
        work = (f"cd {d}; echo one > a.txt; sleep 1.5; cat a.txt; echo two > b.txt; sleep 0.5")
        p = subprocess.Popen([adi.BIN, "run", "--ui", "--format", "json", "-o", out, "--",
                              "sh", "-c", work], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = p.stderr.readline().decode()
            m = re.search(r"UI at (http://127\.0\.0\.1:\d+/)\?token=([0-9a-f]{32})", line)
            self.assertTrue(m, line)
            base, token = m.group(1), m.group(2)
            st, _ = http_get(base + "api/stream")
            self.assertEqual(st, 403)
            # the stream while the command runs: a.txt's write arrives
            # before the command has finished
            t_start = time.monotonic()
            r = urllib.request.urlopen(base + "api/stream?from=0&token=" + token, timeout=20)
            self.assertEqual(r.headers["Content-Type"], "text/event-stream")
            got, seen_a_at, ended = [], None, False
            while True:
                l = r.readline().decode()
                if not l:
                    break
                if l.startswith("event: end"):
                    ended = True
                    break
                if l.startswith("data: "):
                    e = json.loads(l[6:])
                    got.append(e)
                    if seen_a_at is None and e.get("kind") == "file" and \
                            str(e.get("path", "")).endswith("/a.txt") and e.get("op") == "write":
                        seen_a_at = time.monotonic() - t_start
                        self.assertIsNone(p.poll(), "the command is still running")
            r.close()
            self.assertTrue(ended, "the stream ends with the trace")
            self.assertIsNotNone(seen_a_at, "the write to a.txt was pushed")
            self.assertLess(seen_a_at, 1.5, "pushed while the command ran (it sleeps 1.5 s)")
            # linger: still serving after the trace; Ctrl-C ends it
            st, body = http_get(base + "api/info?token=" + token)
            self.assertEqual(json.loads(body)["ended"], True)
            p.send_signal(signal.SIGINT)
            rc = p.wait(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(rc, 0)
        lines = adi.load(out)
        self.assertEqual(got, lines, "the page got exactly the -o events")
        self.assertEqual(lines[-1]["kind"], "trace_summary")


if __name__ == "__main__":
    adi.main()
