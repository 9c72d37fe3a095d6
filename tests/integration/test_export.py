"""Exports (docs/export.md) of a real traced workload: curl against nginx, psql
against PostgreSQL, the mariadb client against MariaDB, redis-cli against
redis-server, dig against dnsmasq, all private servers on loopback, traced
once with
--otlp (a receiver decoding protobuf with the official OpenTelemetry proto
definitions, tests/integration/node/otlp_receiver.js), --save-raw and
--pcapng. Then: the spans against the events (attributes by the semantic
conventions, resource, parent ids from a W3C traceparent and from
parent_id when events carry one); the same trace exported as OTLP/JSON; a
receiver answering 503 then 200 (retried) and one that never answers (no
hang, counted loss); the pcapng read by tshark, whose own dissectors must
find the same HTTP requests, PostgreSQL and MySQL queries, Redis
commands and DNS queries as our events, and capinfos; the Perfetto JSON checked against the
trace-event format's structure."""
import collections
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adi  # noqa: E402
import dbservers  # noqa: E402
from test_http import Nginx  # noqa: E402
from test_redis import RedisServer  # noqa: E402
from test_dns import free_udp_tcp_port, write_zone  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
RECEIVER = os.path.join(NODE_DIR, "otlp_receiver.js")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
PROTOCOL_KINDS = ("http_request", "grpc_call", "sql_query", "db_session", "redis_command",
                  "mongo_command", "dns_query")

W = None  # the one traced workload (setUpModule)


class Receiver:
    """otlp_receiver.js on a free port; its requests, decoded."""

    def __init__(self, mode="ok"):
        self.port = adi.free_port()
        fd, self.out = tempfile.mkstemp(prefix="adi-otlp-", suffix=".jsonl")
        os.close(fd)
        self.proc = subprocess.Popen(["node", RECEIVER, str(self.port), self.out, mode],
                                     stdout=subprocess.PIPE, cwd=NODE_DIR)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening"):
            raise RuntimeError("the OTLP receiver did not start: " + line)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def requests(self):
        with open(self.out) as f:
            return [json.loads(l) for l in f if l.strip()]

    def items(self, type_=None):
        out = []
        for r in self.requests():
            if r["status"] != 200:
                continue
            out += [i for i in r.get("items", []) if type_ is None or i["type"] == type_]
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        self.proc.stdout.close()
        os.unlink(self.out)


class Workload:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="adi-export-")
        self.nginx = Nginx(os.path.join(self.dir, "nginx"))
        self.pg = dbservers.Postgres()
        self.my = dbservers.MariaDB()
        self.redis = RedisServer()
        self.dns_port = free_udp_tcp_port()
        os.makedirs(os.path.join(self.dir, "dns"))
        self.dnsmasq = subprocess.Popen(
            ["dnsmasq", "-C", write_zone(os.path.join(self.dir, "dns"), self.dns_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        adi.wait_port(self.dns_port)
        self.recv = Receiver()
        self.trace = os.path.join(self.dir, "trace.jsonl")
        self.raw = os.path.join(self.dir, "trace.raw")
        self.live_pcap = os.path.join(self.dir, "live.pcapng")
        ng = self.nginx
        script = "\n".join([
            f"curl -s -o /dev/null -H 'traceparent: 00-{TRACE_ID}-{PARENT_ID}-01' {ng.url('/index.html')}",
            f"curl -s -o /dev/null {ng.url('/missing')}",
            shlex.join(self.pg.psql_argv("SELECT 1 AS one")) + " >/dev/null",
            shlex.join(self.pg.psql_argv("SELECT nosuchcolumn")) + " 2>/dev/null",
            shlex.join(self.my.cli_argv("SELECT 2 AS two")) + " >/dev/null",
            shlex.join(self.redis.cli_argv("set", "exportkey", "v1")) + " >/dev/null",
            shlex.join(self.redis.cli_argv("get", "exportkey")) + " >/dev/null",
            shlex.join(self.redis.cli_argv("incr", "exportkey")) + " >/dev/null 2>&1",
            f"dig @127.0.0.1 -p {self.dns_port} +tries=1 +time=5 host.example.test A >/dev/null",
            f"dig @127.0.0.1 -p {self.dns_port} +tries=1 +time=5 nope.example.test A >/dev/null",
            "true",
        ])
        argv = [adi.BIN, "run", "--format", "json", "-o", self.trace, "--backend", adi.BACKEND,
                "--otlp", self.recv.url, "--save-raw", self.raw, "--pcapng", self.live_pcap,
                "--", "sh", "-c", script]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180,
                           env=self.pg.env())
        self.rc, self.stderr = p.returncode, p.stderr.decode(errors="replace")
        self.events = adi.load(self.trace)

    def stop(self):
        for s in (self.recv, self.redis, self.my, self.pg):
            try:
                s.stop()
            except Exception:  # noqa: BLE001 - the others still stop
                pass
        self.nginx.stop()
        self.dnsmasq.terminate()
        self.dnsmasq.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def proto_events(self, kind=None):
        return [e for e in self.events if e["kind"] in PROTOCOL_KINDS and
                (kind is None or e["kind"] == kind)]


def setUpModule():
    global W
    if os.geteuid() != 0:
        raise unittest.SkipTest("never reached: TraceTest fails without root")
    W = Workload()


def tearDownModule():
    if W:
        W.stop()


def by_start(items):
    """spans keyed by (start ns, pid)"""
    return {(int(s["start"]), s["resource"]["process.pid"]): s for s in items}


class Otlp(adi.TraceTest):
    def setUp(self):
        super().setUp()
        self.assertEqual(W.rc, 0, W.stderr)
        self.assertNotIn("lost", W.stderr)

    def span_of(self, e, spans=None):
        spans = spans or by_start(W.recv.items("span"))
        s = spans.get((e["ts_ns"], e["pid"]))
        self.assertIsNotNone(s, "no span for %r" % e)
        return s

    def test_every_event_arrives(self):
        """one span per protocol exchange, one log record per other event"""
        spans, logs = W.recv.items("span"), W.recv.items("log")
        self.assertEqual(len(spans), len(W.proto_events()))
        self.assertEqual(len(logs), len(W.events) - len(W.proto_events()))
        for r in W.recv.requests():
            self.assertTrue(r["gzip"], r["path"])
            self.assertEqual(r["encoding"], "application/x-protobuf")
            self.assertNotIn("error", r)
        for i in spans + logs:
            self.assertEqual(i["scope"]["name"], "adi-profiler")
        # the trace_summary closes the logs, from adi-profiler itself
        self.assertTrue(any(l["body"] == "trace_summary" and
                            l["resource"]["service.name"] == "adi-profiler" for l in logs))

    def test_http_spans(self):
        ev = [e for e in W.proto_events("http_request")
              if e["conn"]["remote"].endswith(f":{W.nginx.port}")]
        self.assertEqual([(e["url"], e["status"]) for e in ev],
                         [("/index.html", 200), ("/missing", 404)])
        for e in ev:
            s = self.span_of(e)
            a = s["attributes"]
            self.assertEqual(s["name"], "GET")
            self.assertEqual(s["kind"], 3)  # CLIENT: curl connected
            self.assertEqual(a["http.request.method"], "GET")
            self.assertEqual(a["url.path"], e["url"])
            self.assertEqual(a["url.full"], f"http://127.0.0.1:{W.nginx.port}{e['url']}")
            self.assertEqual(a["http.response.status_code"], e["status"])
            self.assertEqual(a["server.address"], "127.0.0.1")
            self.assertEqual(a["server.port"], W.nginx.port)
            self.assertEqual(a["network.peer.address"], "127.0.0.1")
            self.assertEqual(a["network.peer.port"], W.nginx.port)
            self.assertEqual(a["network.transport"], "tcp")
            self.assertEqual(a["network.protocol.version"], "1.1")
            self.assertEqual(a["http.response.body.size"], e["resp_bytes"])
            self.assertEqual(a["user_agent.original"], e["req_headers"]["user-agent"])
            # duration_ms is rounded to the microsecond
            self.assertAlmostEqual(int(s["end"]) - int(s["start"]),
                                   e["duration_ms"] * 1e6, delta=1000)
            r = s["resource"]
            self.assertEqual(r["service.name"], "curl")
            self.assertEqual(r["process.pid"], e["pid"])
            self.assertEqual(r["process.executable.name"], "curl")
            self.assertTrue(r["process.command_line"].startswith("curl -s -o /dev/null"), r)
            self.assertIn("process.parent_pid", r)
            self.assertEqual(r["host.name"], os.uname().nodename)
        ok, missing = (self.span_of(e) for e in ev)
        # W3C traceparent: the span joins the caller's trace under its span
        self.assertEqual(ok["traceId"], TRACE_ID)
        self.assertEqual(ok["parentSpanId"], PARENT_ID)
        self.assertEqual(ok["status"]["code"], 0)
        # a 404 fails a client span (semantic conventions), no exception
        self.assertNotEqual(missing["traceId"], TRACE_ID)
        self.assertEqual(missing["status"]["code"], 2)
        self.assertEqual(missing["attributes"]["error.type"], "404")

    def test_sql_spans(self):
        pg = [e for e in W.proto_events("sql_query") if e["db"] == "postgres"]
        my = [e for e in W.proto_events("sql_query") if e["db"] == "mysql" and
              e.get("command") == "COM_QUERY" and e["sql"] == "SELECT 2 AS two"]
        self.assertEqual([e["sql"] for e in pg], ["SELECT 1 AS one", "SELECT nosuchcolumn"])
        self.assertEqual(len(my), 1)
        for e in pg + my:
            s = self.span_of(e)
            a = s["attributes"]
            self.assertEqual(a["db.system"], "postgresql" if e["db"] == "postgres" else "mysql")
            self.assertEqual(a["db.query.text"], e["sql"])
            self.assertEqual(a["db.operation.name"], "SELECT")
            self.assertEqual(s["kind"], 3)
            if e["database"]:
                self.assertEqual(a["db.namespace"], e["database"])
                self.assertEqual(s["name"], "SELECT " + e["database"])
            port = W.pg.port if e["db"] == "postgres" else W.my.port
            self.assertEqual(a["server.port"], port)
            self.assertEqual(a["network.peer.port"], port)
            self.assertEqual(s["resource"]["process.pid"], e["pid"])
        ok, bad = (self.span_of(e) for e in pg)
        self.assertEqual(ok["status"]["code"], 0)
        self.assertEqual(ok["attributes"]["db.response.returned_rows"], 1)
        # an error: span status, error.type, db.response.status_code, and an
        # exception event with the SQLSTATE and the server's message
        self.assertEqual(bad["status"]["code"], 2)
        self.assertEqual(bad["attributes"]["db.response.status_code"], "42703")
        self.assertEqual(bad["attributes"]["error.type"], "42703")
        self.assertEqual(bad["events"][0]["name"], "exception")
        self.assertEqual(bad["events"][0]["attributes"]["exception.type"], "42703")
        self.assertIn("nosuchcolumn", bad["events"][0]["attributes"]["exception.message"])
        self.assertIn("nosuchcolumn", bad["status"]["message"])

    def test_db_session_spans(self):
        """psql's login: a span of its own, not a statement"""
        ev = [e for e in W.proto_events("db_session")
              if e["db"] == "postgres" and e["op"] == "login"]
        self.assertEqual(len(ev), 2)  # one per psql
        for e in ev:
            s = self.span_of(e)
            a = s["attributes"]
            self.assertEqual(s["name"], "login " + e["database"])
            self.assertEqual(a["db.system"], "postgresql")
            self.assertEqual(a["db.operation.name"], "login")
            self.assertEqual(a["db.user"], e["user"])
            self.assertNotIn("db.query.text", a)
            self.assertEqual(s["status"]["code"], 0)

    def test_redis_spans(self):
        ev = [e for e in W.proto_events("redis_command") if e["args"][:1] == ["exportkey"]]
        self.assertEqual([e["command"] for e in ev], ["SET", "GET", "INCR"])
        for e in ev:
            s = self.span_of(e)
            a = s["attributes"]
            self.assertEqual(s["name"], e["command"])
            self.assertEqual(a["db.system"], "redis")
            self.assertEqual(a["db.operation.name"], e["command"])
            self.assertEqual(a["db.query.text"], " ".join([e["command"]] + e["args"]))
            self.assertEqual(a["server.port"], W.redis.port)
        incr = self.span_of(ev[2])
        self.assertEqual(incr["status"]["code"], 2)
        self.assertEqual(incr["attributes"]["db.response.status_code"], "ERR")

    def test_dns_spans(self):
        ev = [e for e in W.proto_events("dns_query") if e["conn"]["role"] == "client"]
        self.assertEqual([(e["name"], e["qtype"], e["rcode"]) for e in ev],
                         [("host.example.test", "A", "NOERROR"),
                          ("nope.example.test", "A", "NXDOMAIN")])
        ok, nx = (self.span_of(e) for e in ev)
        for s, e in ((ok, ev[0]), (nx, ev[1])):
            a = s["attributes"]
            self.assertEqual(s["name"], "DNS A")
            self.assertEqual(s["kind"], 3)
            self.assertEqual(a["dns.question.name"], e["name"])
            self.assertEqual(a["dns.question.type"], "A")
            self.assertEqual(a["network.transport"], "udp")
            self.assertEqual(a["server.port"], W.dns_port)
            self.assertEqual(a["adi.dns.id"], e["txid"])
        self.assertEqual(ok["attributes"]["dns.answers"], ["127.0.0.1"])
        self.assertEqual(ok["status"]["code"], 0)
        self.assertEqual(nx["status"]["code"], 2)
        self.assertEqual(nx["attributes"]["error.type"], "NXDOMAIN")

    def test_parent_ids(self):
        """Spans are roots of their own trace, unless a traceparent said
        otherwise or (request trees) the event names its parent_id: then the
        span is the child of its parent's span, in its parent's trace."""
        spans = by_start(W.recv.items("span"))
        # every event has its id (a common field; dns_query's transaction id is txid)
        by_id = {e["id"]: e for e in W.events if "id" in e}
        for e in W.proto_events():
            s = self.span_of(e, spans)
            self.assertRegex(s["traceId"], "^[0-9a-f]{32}$")
            self.assertRegex(s["spanId"], "^[0-9a-f]{16}$")
            if e.get("parent_id") is not None and e["parent_id"] in by_id:
                parent = by_id[e["parent_id"]]
                if parent["kind"] in PROTOCOL_KINDS:
                    p = self.span_of(parent, spans)
                    self.assertEqual(s["parentSpanId"], p["spanId"])
                    self.assertEqual(s["traceId"], p["traceId"])
            elif s["traceId"] != TRACE_ID:
                self.assertEqual(s["parentSpanId"], "", e)
        self.assertEqual(len({s["spanId"] for s in spans.values()}), len(spans))

    def test_logs(self):
        logs = W.recv.items("log")
        execs = [l for l in logs if l["body"] == "process exec"]
        self.assertTrue(execs)
        for l in execs:
            self.assertEqual(l["attributes"]["adi.op"], "exec")
            self.assertIsInstance(l["attributes"]["adi.argv"], list)
            self.assertEqual(l["severity"], 9)
        files = [l for l in logs if l["body"].startswith("file ")]
        self.assertTrue(files)
        for l in files:
            self.assertIn("file.path", l["attributes"])

    def test_json_encoding(self):
        """export otlp --otlp-encoding json of the saved trace: the same spans
        as the live protobuf (ids aside: random per export)"""
        r = Receiver()
        try:
            p = subprocess.run([adi.BIN, "export", "otlp", W.trace, "--endpoint", r.url,
                                "--otlp-encoding", "json", "--otlp-header", "X-Adi-Test=t:1"],
                               stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            reqs = r.requests()
            self.assertTrue(reqs)
            for q in reqs:
                self.assertEqual(q["encoding"], "application/json")
                self.assertEqual(q["header"], "t:1")
                self.assertNotIn("error", q)
            def strip(s):
                # ids are random per export; a saved trace keeps durations
                # to the microsecond (a half is rounded either way: the
                # double it passes through decides), so the live span's
                # exact duration is compared within half a microsecond
                us = (int(s["end"]) - int(s["start"])) / 1000
                s = {k: v for k, v in s.items()
                     if k not in ("spanId", "traceId", "parentSpanId", "end")}
                s["events"] = [dict(e, time=None) for e in s["events"]]
                return json.dumps(s, sort_keys=True), us
            live = sorted(strip(s) for s in W.recv.items("span"))
            exp = sorted(strip(s) for s in r.items("span"))
            self.assertEqual([k for k, _ in exp], [k for k, _ in live])
            for (k, e), (_, l) in zip(exp, live):
                self.assertEqual(e, round(e), k)
                self.assertLessEqual(abs(e - l), 0.5, k)
            self.assertEqual(len(r.items("log")), len(W.recv.items("log")))
            tp = [s for s in r.items("span") if s["traceId"] == TRACE_ID]
            self.assertEqual([s["parentSpanId"] for s in tp], [PARENT_ID])
        finally:
            r.stop()

    def test_retry_503(self):
        r = Receiver("503-then-200")
        try:
            p = subprocess.run([adi.BIN, "export", "otlp", W.trace, "--endpoint", r.url],
                               stderr=subprocess.PIPE, timeout=120)
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 0, err)
            reqs = r.requests()
            self.assertEqual(reqs[0]["status"], 503)
            self.assertEqual(reqs[1]["status"], 200)
            self.assertEqual(reqs[1]["path"], reqs[0]["path"])
            self.assertEqual(len(reqs[1]["items"]), len(reqs[0]["items"]))
            self.assertEqual(len(r.items()), len(W.events))
            self.assertIn("(1 retries)", err)
        finally:
            r.stop()

    def test_receiver_never_answers(self):
        """capture does not wait on the network: the trace ends on time and
        what was not delivered is counted and reported"""
        r = Receiver("hang")
        try:
            t0 = time.time()
            p = subprocess.run([adi.BIN, "run", "--format", "json", "-o", "/dev/null",
                                "--otlp", r.url, "--", "sh", "-c", "cat /etc/hostname; exit 3"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            took = time.time() - t0
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 3, err)  # the command's status
            self.assertLess(took, 30)
            self.assertRegex(err, r"OTLP output was lost: (\d+) of \1 spans and log records")
        finally:
            r.stop()


def tshark(pcap, *args):
    ports = ["-d", f"tcp.port=={W.nginx.port},http", "-d", f"tcp.port=={W.pg.port},pgsql",
             "-d", f"tcp.port=={W.my.port},mysql", "-d", f"tcp.port=={W.redis.port},resp",
             "-d", f"udp.port=={W.dns_port},dns"]
    p = subprocess.run(["tshark", "-r", pcap, *ports, *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode:
        raise AssertionError("tshark failed: " + p.stderr.decode())
    return [l.split("\t") for l in p.stdout.decode().splitlines()]


class Pcapng(adi.TraceTest):
    @classmethod
    def setUpClass(cls):
        cls.pcap = os.path.join(W.dir, "export.pcapng")
        p = subprocess.run([adi.BIN, "export", "pcapng", W.raw, "-o", cls.pcap],
                           stderr=subprocess.PIPE, timeout=120)
        cls.rc, cls.err = p.returncode, p.stderr.decode()

    def client(self, kind, port):
        return [e for e in W.events if e["kind"] == kind and e["conn"]["role"] == "client"
                and e["conn"]["remote"].endswith(f":{port}")]

    def test_capinfos(self):
        self.assertEqual(self.rc, 0, self.err)
        for f in (self.pcap, W.live_pcap):
            p = subprocess.run(["capinfos", "-M", f], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            out = p.stdout.decode()
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("pcapng", out)
            self.assertIn("Ethernet", out)
            self.assertRegex(out, r"Number of packets:\s+[1-9]")

    def test_http_requests(self):
        ours = collections.Counter((e["method"], e["url"])
                                   for e in self.client("http_request", W.nginx.port))
        for f in (self.pcap, W.live_pcap):
            theirs = collections.Counter(tuple(r) for r in tshark(
                f, "-Y", "http.request", "-T", "fields", "-e", "http.request.method",
                "-e", "http.request.uri"))
            self.assertEqual(theirs, ours, f)
            # the responses too, by status
            codes = collections.Counter(r[0] for r in tshark(
                f, "-Y", "http.response", "-T", "fields", "-e", "http.response.code"))
            self.assertEqual(codes, collections.Counter(
                str(e["status"]) for e in self.client("http_request", W.nginx.port)))

    def test_handshake_and_fin(self):
        """the export's first pass gives the SYN / SYN-ACK their numbers:
        Wireshark sees whole conversations"""
        syn = tshark(self.pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
                     "-e", "tcp.dstport")
        ports = {int(r[0]) for r in syn}
        if adi.ptrace():
            # no sequence numbers under ptrace: counted from 1, no handshake
            self.assertEqual(ports, set())
        else:
            self.assertTrue({W.nginx.port, W.pg.port, W.my.port, W.redis.port} <= ports, ports)
        fins = tshark(self.pcap, "-Y", "tcp.flags.fin==1", "-T", "fields", "-e", "tcp.stream")
        self.assertTrue(fins)
        # no segment is seen twice though both ends were not traced
        self.assertEqual(tshark(self.pcap, "-Y", "tcp.analysis.retransmission"), [])

    def test_postgres_queries(self):
        ours = [e["sql"] for e in self.client("sql_query", W.pg.port)]
        theirs = [r[0] for r in tshark(self.pcap, "-Y", 'pgsql.type == "Simple query"',
                                       "-T", "fields", "-e", "pgsql.query")]
        self.assertEqual(theirs, ours)

    def test_mysql_queries(self):
        ours = [e["sql"] for e in self.client("sql_query", W.my.port)
                if e.get("command") == "COM_QUERY"]
        self.assertIn("SELECT 2 AS two", ours)
        theirs = [r[0] for r in tshark(self.pcap, "-Y", "mysql.query", "-T", "fields",
                                       "-e", "mysql.query")]
        self.assertEqual(theirs, ours)

    def test_redis_commands(self):
        ours = [" ".join([e["command"]] + e["args"]).lower()
                for e in self.client("redis_command", W.redis.port)]
        rows = tshark(self.pcap, "-Y", f"resp && tcp.dstport == {W.redis.port}", "-T",
                      "fields", "-e", "resp.bulk_string.value")
        # tshark shows the bulk strings' bytes in hex, comma-separated
        theirs = [" ".join(bytes.fromhex(x).decode() for x in r[0].split(",")).lower()
                  for r in rows]
        self.assertEqual(theirs, ours)
        self.assertIn("set exportkey v1", ours)


    def test_dns_queries(self):
        ours = [(e["name"], 0 if e["rcode"] == "NOERROR" else 3)
                for e in W.events if e["kind"] == "dns_query" and e["conn"]["role"] == "client"]
        self.assertEqual(len(ours), 2)
        for f in (self.pcap, W.live_pcap):
            q = tshark(f, "-Y", "dns.flags.response == 0", "-T", "fields", "-e", "dns.qry.name")
            r = tshark(f, "-Y", "dns.flags.response == 1", "-T", "fields", "-e", "dns.qry.name",
                       "-e", "dns.flags.rcode")
            self.assertEqual([x[0] for x in q], [n for n, _ in ours], f)
            self.assertEqual([(x[0], int(x[1])) for x in r], ours, f)


class Perfetto(adi.TraceTest):
    PH = {"X", "i", "M", "s", "f"}

    def test_trace_event_format(self):
        out = os.path.join(W.dir, "trace.perfetto.json")
        p = subprocess.run([adi.BIN, "export", "perfetto", W.trace, "-o", out],
                           stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(doc["displayTimeUnit"], "ms")
        evs = doc["traceEvents"]
        self.assertIsInstance(evs, list)
        slices, tracks, flows = [], collections.defaultdict(list), collections.Counter()
        named = set()
        for e in evs:
            self.assertIn(e["ph"], self.PH, e)
            self.assertIsInstance(e["name"], str)
            self.assertIsInstance(e["pid"], int)
            self.assertIsInstance(e["tid"], int)
            if e["ph"] == "M":
                self.assertIn(e["name"], ("process_name", "thread_name"))
                self.assertIsInstance(e["args"]["name"], str)
                named.add((e["pid"], e["tid"] if e["name"] == "thread_name" else None))
                continue
            self.assertIsInstance(e["ts"], (int, float))
            self.assertGreaterEqual(e["ts"], 0)
            if e["ph"] in ("s", "f"):
                flows[(e["id"], e["ph"])] += 1
                continue
            self.assertIsInstance(e["cat"], str)
            self.assertIsInstance(e["args"], dict)
            slices.append(e)
            if e["ph"] == "X":
                self.assertGreaterEqual(e["dur"], 0)
                # in ns: the microsecond floats with 3 decimals are exact there
                b = round(e["ts"] * 1000)
                tracks[(e["pid"], e["tid"])].append((b, b + round(e["dur"] * 1000)))
            else:
                self.assertEqual(e["s"], "t")
        # every slice's process and thread have names
        for e in slices:
            self.assertIn((e["pid"], None), named)
            self.assertIn((e["pid"], e["tid"]), named)
        # one slice per event but the summary, which is the otherData
        self.assertEqual(len(slices), len(W.events) - 1)
        self.assertEqual(collections.Counter(e["cat"] for e in slices),
                         collections.Counter(e["kind"] for e in W.events[:-1]))
        self.assertEqual(doc["otherData"]["trace_summary"]["events"], W.events[-1]["events"])
        # slices on one track nest or are apart (the format's rule)
        for t, xs in tracks.items():
            stack = []
            for b, e in sorted(xs, key=lambda x: (x[0], -x[1])):
                while stack and stack[-1] <= b:
                    stack.pop()
                if stack:
                    self.assertLessEqual(e, stack[-1], f"slices overlap on track {t}")
                stack.append(e)
        # flows come in pairs
        for (fid, ph), n in flows.items():
            self.assertEqual(flows[(fid, "s" if ph == "f" else "f")], n)
        # the slices carry the events' fields
        http = [e for e in slices if e["cat"] == "http_request"]
        self.assertTrue(any(e["args"].get("url") == "/index.html" for e in http))


if __name__ == "__main__":
    adi.main()
