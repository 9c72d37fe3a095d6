"""docs/events.md is the contract: adi.py checks every event the integration
tests read against it. Here: the checker itself rejects what the page does not
document and accepts what it does, and a real workload (files, processes, a
TCP connection, a refused one, a replay) passes it."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

SAMPLE = """# A contract

| field | meaning |
|---|---|
| `outside` | before any section: not a field |

## Fields on every event

| field | type |
|---|---|
| `v` | int |
| `pid`, `tid` | int |

## Kinds

### `alpha` — the first kind

| field | meaning |
|---|---|
| `a1` | a `b9` in the meaning is not a field |
| plain words | not a field either |

#### a sub-heading stays in alpha

| `a2` | `x` \\| `y` |

### `beta`

| `b1`, `b2` | both |

## Elsewhere

| `nope` | after the kinds |
"""


def exec_event(**extra):
    e = {"v": 1, "kind": "process", "timestamp": "2026-11-27T17:31:45.000000000Z",
         "ts_ns": 1795800705000000000, "duration_ms": None, "pid": 7, "tid": 7,
         "comm": "sh", "cgroup_id": 0, "container": None, "op": "exec", "ppid": 1,
         "argv": ["sh"], "exit_code": None, "signal": None, "filename": "/bin/sh"}
    e.update(extra)
    return e


class Checker(unittest.TestCase):
    """no root needed: the checker and the convention it reads"""

    def test_convention(self):
        common, kinds = adi.parse_contract(SAMPLE)
        self.assertEqual(common, {"v", "pid", "tid"})
        self.assertEqual(kinds, {"alpha": {"a1", "a2"}, "beta": {"b1", "b2"}})

    def test_documented_event_passes(self):
        e = exec_event()
        self.assertIs(adi.check_event(e), e)
        adi.check_event(exec_event(argv_truncated=True))  # a sometimes-field

    def test_undocumented_kind_fails(self):
        with self.assertRaises(adi.ContractError) as cm:
            adi.check_event(exec_event(kind="gpu_kernel"))
        self.assertIn("'gpu_kernel'", str(cm.exception))
        with self.assertRaises(adi.ContractError):
            adi.check_event({"v": 1})  # no kind at all

    def test_undocumented_field_fails(self):
        with self.assertRaises(adi.ContractError) as cm:
            adi.check_event(exec_event(surprise=1), "t.jsonl:3")
        msg = str(cm.exception)
        for part in ("'process'", "'surprise'", "t.jsonl:3"):
            self.assertIn(part, msg)
        # documented, but for another kind
        with self.assertRaises(adi.ContractError) as cm:
            adi.check_event(exec_event(bytes_out=1))
        self.assertIn("'bytes_out'", str(cm.exception))

    def test_load_checks(self):
        fd, path = tempfile.mkstemp(suffix=".jsonl")
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(exec_event()) + "\n" + json.dumps(exec_event(extra=1)) + "\n")
        try:
            with self.assertRaises(adi.ContractError) as cm:
                adi.load(path)
            self.assertIn(path + ":2", str(cm.exception))
        finally:
            os.unlink(path)

    def test_every_kind_has_fields(self):
        common, kinds = adi.contract()
        self.assertTrue({"v", "kind", "ts_ns", "duration_ms", "container"} <= common)
        for k in ("http_request", "grpc_call", "sql_query", "redis_command", "mongo_command",
                  "tcp_stream", "connection", "file", "process", "trace_summary"):
            self.assertIn(k, kinds)
            self.assertTrue(kinds[k], k)


def serve_once(srv):
    c, _ = srv.accept()
    with c:
        c.recv(64)
        c.sendall(b"pong\n")


class RealWorkload(adi.TraceTest):
    def test_files_processes_tcp(self):
        d = self.dir
        srv = socket.create_server(("127.0.0.1", 0))
        port = srv.getsockname()[1]
        closed = socket.create_server(("127.0.0.1", 0))
        refused = closed.getsockname()[1]
        closed.close()
        th = threading.Thread(target=serve_once, args=(srv,), daemon=True)
        th.start()
        client = ("import socket\n"
                  f"s = socket.create_connection(('127.0.0.1', {port}))\n"
                  "s.sendall(b'ping\\n'); s.recv(64); s.close()\n"
                  "try:\n"
                  f"    socket.create_connection(('127.0.0.1', {refused}))\n"
                  "except OSError:\n"
                  "    pass\n")
        work = (f"cd {d}; echo hi > a.txt; cat a.txt > /dev/null; mv a.txt b.txt; "
                f"ln -s b.txt l; ln b.txt h; chmod 600 b.txt; mkdir sub; rmdir sub; "
                f"truncate -s 1 b.txt; rm -f b.txt l h; cat missing 2>/dev/null; "
                f"python3 -c \"$CLIENT\"; sh -c 'kill -KILL $$'; exit 3")
        raw = f"{d}/cap.raw"
        t = adi.run(["sh", "-c", work], "--save-raw", raw,
                    env=dict(os.environ, CLIENT=client))
        th.join(10)
        srv.close()
        self.assertEqual(t.rc, 3, t.stderr)
        self.assertWellFormed(t)
        for e in t.events:  # run() checked them already; say it here too
            adi.check_event(e)
        ops = {e["op"] for e in t.files(d)}
        self.assertTrue({"open", "write", "read", "rename", "symlink", "link", "chmod",
                         "mkdir", "rmdir", "truncate", "unlink"} <= ops, ops)
        self.assertTrue(t.kind("file", path=f"{d}/missing", error="ENOENT"))
        self.assertTrue(t.kind("process", op="exit", signal="SIGKILL"))
        self.assertTrue(t.kind("process", op="fork"))
        remote = f"127.0.0.1:{port}"
        ok = [e for e in t.kind("connection", op="connect") if e["conn"]["remote"] == remote]
        self.assertEqual(len(ok), 1)
        self.assertIsNone(ok[0]["error"])
        self.assertTrue([e for e in t.kind("connection", op="connect", error="ECONNREFUSED")
                         if e["conn"]["remote"] == f"127.0.0.1:{refused}"])
        st = [e for e in t.kind("tcp_stream") if e["conn"]["remote"] == remote]
        self.assertEqual(len(st), 1)
        self.assertEqual((st[0]["bytes_out"], st[0]["bytes_in"]), (5, 5))
        self.assertEqual(st[0]["protocol"], "unknown")
        # the replay of the same capture is read through adi.load: checked too
        out = f"{d}/replay.jsonl"
        p = subprocess.run([adi.BIN, "replay", "--format", "json", "-o", out, raw],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = adi.load(out)
        self.assertEqual(rep[-1]["kind"], "trace_summary")
        self.assertEqual(rep[-1]["backend"], "replay")
        self.assertEqual(rep[-1]["capture_backend"], adi.BACKEND)


if __name__ == "__main__":
    adi.main()
