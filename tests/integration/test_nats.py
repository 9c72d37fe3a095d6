"""NATS decoded from real peers: a private nats-server (Debian's) on a free
loopback port with a user and password, driven by a raw-socket client
written here in verbose mode (every operation acknowledged) and by node's
nats.js (request / reply through a queue group, headers, flush, drain);
and the server itself traced (role server). Assertions on op, subject,
reply subject, payload, pairing and the password never written."""
import json
import os
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NATS_SERVER = "/usr/sbin/nats-server"
USER, PASS = "u", "s3cret"
SRV = None


class NatsServer:
    """nats-server on a free loopback port; traced: under adi-profiler,
    its events returned by stop()."""

    def __init__(self, traced=False):
        self.port = adi.free_port()
        cmd = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "--user", USER,
               "--pass", PASS, "-m", "0"]
        self.trace_path = None
        if traced:
            fd, self.trace_path = tempfile.mkstemp(prefix="adi-nats-", suffix=".jsonl")
            os.close(fd)
            cmd = [adi.BIN, "run", "--format", "json", "-o", self.trace_path, "--", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        adi.wait_port(self.port, 20)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        events = []
        if self.trace_path:
            time.sleep(0.2)
            events = adi.load(self.trace_path)
            os.unlink(self.trace_path)
        return events


def setUpModule():
    global SRV
    SRV = NatsServer()


def tearDownModule():
    if SRV:
        SRV.stop()


def ops(events, comm=None):
    return [e for e in events if e["kind"] == "message_op" and e["system"] == "nats" and
            (comm is None or e["comm"] == comm)]


# A raw client in verbose mode: each operation is sent after the answer to
# the one before it was read, so the order is fixed; FOO is no operation
# (the server answers -ERR and closes).
RAW_CLIENT = r'''
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
assert f.readline().startswith(b"INFO ")
def op(b, want):
    s.sendall(b)
    line = f.readline()
    assert line.startswith(want), line
s.sendall(b'CONNECT {"verbose":true,"pedantic":false,"user":"%s","pass":"%s","name":"raw"}\r\n'
          % (sys.argv[2].encode(), sys.argv[3].encode()))
assert f.readline() == b"+OK\r\n"
op(b"SUB a.b 7\r\n", b"+OK")
op(b"PUB a.b _r 5\r\nhello\r\n", b"+OK")
assert f.readline() == b"MSG a.b 7 _r 5\r\n" and f.readline() == b"hello\r\n"
op(b"PING\r\n", b"PONG")
op(b"UNSUB 7\r\n", b"+OK")
op(b"FOO\r\n", b"-ERR")
'''


class NatsClient(adi.TraceTest):
    def test_raw_verbose(self):
        t = adi.run(["/usr/bin/python3", "-c", RAW_CLIENT, str(SRV.port), USER, PASS])
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = ops(t.events, "python3")
        got = [(e["op"], e["destination"], e["payload"], e["error"], e["resp_bytes"] > 0)
               for e in ev]
        self.assertEqual(got, [
            ("INFO", None, None, None, False),
            ("CONNECT", None, None, None, True),
            ("SUB", "a.b", None, None, True),
            ("PUB", "a.b", "hello", None, True),
            ("MSG", "a.b", "hello", None, False),
            ("PING", None, None, None, True),
            ("UNSUB", None, None, None, True),
            ("-ERR", None, None, "Unknown Protocol Operation", False),
        ])
        info, conn, sub, pub, msg = ev[:5]
        self.assertEqual(info["info"]["port"], SRV.port)
        self.assertEqual(conn["connect"]["pass"], "<redacted>")
        self.assertEqual(conn["connect"]["user"], USER)
        self.assertNotIn(PASS, json.dumps(ev))  # (it is in the client's argv)
        self.assertEqual(sub["sid"], "7")
        self.assertEqual((pub["reply_to"], pub["payload_bytes"]), ("_r", 5))
        self.assertEqual((msg["sid"], msg["reply_to"]), ("7", "_r"))
        for e in ev[1:4] + ev[5:7]:
            self.assertGreater(e["duration_ms"], 0)
        for e in ev:
            self.assertEqual(e["conn"]["role"], "client")
            self.assertFalse(e["truncated"])
            self.assertNotIn("incomplete", e)
        self.assertEqual(len({e["conn"]["id"] for e in ev}), 1)
        # FOO is no operation: skipped, counted
        self.assertEqual(t.summary["parse_errors"], 1)

    def test_node_nats(self):
        env = dict(os.environ, NATS_PORT=str(SRV.port), NATS_USER=USER, NATS_PASS=PASS)
        t = adi.run(["node", os.path.join(HERE, "node", "nats_client.js")], env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = ops(t.events, "node")
        self.assertEqual(ev[0]["op"], "INFO")
        self.assertEqual(ev[1]["op"], "CONNECT")
        self.assertEqual(ev[1]["connect"]["name"], "adi-node")
        self.assertEqual(ev[1]["connect"]["pass"], "<redacted>")
        self.assertNotIn(PASS, json.dumps(ev))
        by = {}
        for e in ev:
            by.setdefault(e["op"], []).append(e)
        subs = {(e["destination"], e.get("queue_group")) for e in by["SUB"]}
        self.assertIn(("greet.*", "workers"), subs)
        inbox = [d for d, q in subs if d.startswith("_INBOX.")]
        self.assertEqual(len(inbox), 1)
        req = [e for e in by["PUB"] if e["destination"] == "greet.joe"]
        self.assertEqual(len(req), 1)
        self.assertEqual(req[0]["payload"], "hello")
        self.assertTrue(req[0]["reply_to"].startswith(inbox[0][:-1]))
        got = [e for e in by["MSG"] if e["destination"] == "greet.joe"]
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0]["payload"], got[0]["reply_to"]), ("hello", req[0]["reply_to"]))
        answer = [e for e in by["PUB"] if e["destination"] == req[0]["reply_to"]]
        self.assertEqual([e["payload"] for e in answer], ["hi greet.joe"])
        back = [e for e in by["MSG"] if e["destination"] == req[0]["reply_to"]]
        self.assertEqual([e["payload"] for e in back], ["hi greet.joe"])
        hp = by["HPUB"]
        self.assertEqual(len(hp), 1)
        self.assertEqual((hp[0]["destination"], hp[0]["headers"], hp[0]["payload"]),
                         ("greet.ann", {"A": "1, 2"}, "with headers"))
        hm = by["HMSG"]
        self.assertEqual([(e["destination"], e["headers"]) for e in hm],
                         [("greet.ann", {"A": "1, 2"})])
        self.assertTrue(by["PING"])
        for e in by["PING"]:
            self.assertIsNotNone(e["duration_ms"])
            self.assertEqual(e["resp_bytes"], 6)
        for e in ev:
            self.assertNotIn("incomplete", e)
            self.assertIsNone(e["error"])
        self.assertEqual(t.summary["parse_errors"], 0)


class NatsServerSide(adi.TraceTest):
    def test_traced_server(self):
        srv = NatsServer(traced=True)
        try:
            subprocess.run(["/usr/bin/python3", "-c", RAW_CLIENT, str(srv.port), USER, PASS],
                           check=True, timeout=30)
        finally:
            events = srv.stop()
        # the readiness probe's connection saw only INFO
        conn = [e["conn"]["id"] for e in ops(events) if e["op"] == "CONNECT"]
        self.assertEqual(len(conn), 1)
        raw = [e for e in ops(events) if e["conn"]["id"] == conn[0]]
        self.assertEqual([e["op"] for e in raw],
                         ["INFO", "CONNECT", "SUB", "PUB", "MSG", "PING", "UNSUB", "-ERR"])
        for e in raw:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertEqual(e["comm"], "nats-server")
            self.assertNotIn("incomplete", e)
        self.assertEqual(raw[1]["connect"]["pass"], "<redacted>")
        self.assertEqual(raw[3]["payload"], "hello")
        self.assertGreater(raw[3]["resp_bytes"], 0)  # its +OK

if __name__ == "__main__":
    adi.main()
