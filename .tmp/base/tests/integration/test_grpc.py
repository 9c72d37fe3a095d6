"""HTTP/2 and gRPC decoded from real peers: Node's @grpc/grpc-js server and
client (tests/integration/node/grpc_*.js, grpc_test.proto) traced as client
and as server, Debian's python3-grpcio as a second implementation, plain
HTTP/2 with nghttpd driven by nghttp and curl (prior knowledge), and the h2c
upgrade (curl --http2, nghttp -u, through nghttpx). Exact assertions on methods, paths,
statuses, decoded message fields, grpc-status and counts."""
import base64
import json
import os
import signal
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
NGHTTPD = "/usr/sbin/nghttpd"
NGHTTPX = "/usr/sbin/nghttpx"

# what grpc_client.js sends: Req{name, count, inner{id 7, tag "x"}, tags ["a","b"]}
INNER = {"1": 7, "2": "x"}


def req(name, count):
    return {"1": name, "2": count, "3": INNER, "4": ["a", "b"]}


class Server:
    """A server on a loopback port, optionally under `adi-profiler run`
    (stopped like a user would: Ctrl-C to the profiler, a second one for
    the command)."""

    def __init__(self, cmd, port, root, traced=False, cwd=None):
        self.port = port
        self.traced = traced
        self.trace_path = os.path.join(root, "server-trace.jsonl")
        if traced:
            cmd = [adi.BIN, "run", "--format", "json", "-o", self.trace_path, "--", *cmd]
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        adi.wait_port(port, timeout=15)
        if traced:
            time.sleep(0.3)  # let the tracer see the listening socket settle

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        if self.traced:
            time.sleep(0.3)
            self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        if self.traced:
            return adi.load(self.trace_path)
        return None


def node_server(root, traced=False):
    port = adi.free_port()
    return Server(["node", "grpc_server.js", str(port)], port, root, traced, cwd=NODE_DIR)


def calls(events, method=None):
    return [e for e in events if e["kind"] == "grpc_call" and
            (method is None or e["method"] == method)]


def one(tc, events, method):
    got = calls(events, method)
    tc.assertEqual(len(got), 1, "%s: %r" % (method, [e["method"] for e in calls(events)]))
    return got[0]


class GrpcTest(adi.TraceTest):
    def check_node_calls(self, events, role, gzip):
        """the calls grpc_client.js makes, seen from role"""
        want = 6 if gzip else 5
        self.assertEqual(len(calls(events)), want, [e["method"] for e in calls(events)])
        for e in calls(events):
            self.assertEqual(e["conn"]["role"], role)
            self.assertEqual(e["http_status"], 200)
            self.assertFalse(e["truncated"])
            self.assertNotIn("incomplete", e)
            self.assertEqual(e["req_headers"]["content-type"], "application/grpc")
            self.assertEqual(e["req_headers"]["te"], "trailers")
            self.assertTrue(e["authority"].startswith("127.0.0.1:"))

        u = [e for e in calls(events, "/adi.test.Svc/Unary")
             if e["req_messages"] == [req("alice", 3)]]
        self.assertEqual(len(u), 1)
        u = u[0]
        self.assertEqual(u["status"], 0)
        self.assertEqual(u["resp_messages"], [{"1": "hello alice", "2": 3}])
        self.assertEqual(u["req_headers"]["x-user"], "bob")
        self.assertEqual(u["req_headers"]["authorization"], "<redacted>")
        self.assertEqual(u["resp_headers"]["x-echo"], "bob")
        self.assertEqual(u["resp_trailers"]["grpc-status"], "0")
        # a 5-byte prefix + the message each way
        self.assertEqual(u["req_bytes"], 5 + 22)
        self.assertEqual(u["resp_bytes"], 5 + 15)
        self.assertGreater(u["duration_ms"], 0)

        s = one(self, events, "/adi.test.Svc/ServerStream")
        self.assertEqual(s["status"], 0)
        self.assertEqual(s["req_messages"], [req("srv", 3)])
        self.assertEqual(s["resp_messages"], [{"1": "srv #%d" % i, "2": i} for i in (1, 2, 3)])

        c = one(self, events, "/adi.test.Svc/ClientStream")
        self.assertEqual(c["status"], 0)
        self.assertEqual(c["req_messages"], [req("c1", 1), req("c2", 2)])
        self.assertEqual(c["resp_messages"], [{"1": "c1,c2", "2": 3}])

        b = one(self, events, "/adi.test.Svc/Bidi")
        self.assertEqual(b["status"], 0)
        self.assertEqual(b["req_messages"], [req("b1", 1), req("b2", 2)])
        self.assertEqual(b["resp_messages"], [{"1": "echo b1", "2": 1}, {"1": "echo b2", "2": 2}])

        f = one(self, events, "/adi.test.Svc/Fail")
        self.assertEqual(f["status"], 5)
        self.assertEqual(f["grpc_message"], "no such thing: ghost")
        self.assertEqual(f["req_messages"], [req("ghost", 1)])
        self.assertEqual(f["resp_messages"], [])
        self.assertTrue(f.get("trailers_only"))

        # one connection for the five calls: streams 1, 3, 5, 7, 9
        first = [e for e in calls(events) if e["conn"]["id"] == u["conn"]["id"]]
        self.assertEqual(sorted(e["stream_id"] for e in first), [1, 3, 5, 7, 9])
        if gzip:
            z = [e for e in calls(events, "/adi.test.Svc/Unary") if e is not u]
            self.assertEqual(len(z), 1)
            z = z[0]
            self.assertEqual(z["req_headers"]["grpc-encoding"], "gzip")
            self.assertEqual(z["req_messages"], [req("zipped", 3)])
            self.assertEqual(z["resp_messages"], [{"1": "hello zipped", "2": 3}])
            self.assertNotIn("decode_error", z)

    def test_node_client_traced(self):
        srv = node_server(self.dir)
        try:
            t = adi.run(["node", os.path.join(NODE_DIR, "grpc_client.js"), str(srv.port), "gzip"])
        finally:
            srv.stop()
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        self.check_node_calls(t.events, "client", gzip=True)
        self.assertEqual(t.summary["dropped"], 0)
        self.assertEqual(t.summary["events"]["grpc_call"], 6)

    def test_node_server_traced(self):
        srv = node_server(self.dir, traced=True)
        try:
            p = subprocess.run(["node", os.path.join(NODE_DIR, "grpc_client.js"),
                                str(srv.port), "gzip"], stdout=subprocess.PIPE, timeout=60)
        finally:
            events = srv.stop()
        self.assertEqual(p.returncode, 0)
        out = json.loads(p.stdout)
        self.assertEqual(out["unary"], {"text": "hello alice", "index": 3})
        self.check_node_calls(events, "server", gzip=True)
        self.assertEqual(events[-1]["dropped"], 0)

    def test_python_grpcio_client(self):
        """Debian's grpcio (the C core: another HTTP/2 and HPACK
        implementation) against the Node server, with raw protobuf bytes.
        The server is traced: grpcio writes a frame per iovec, more than the
        16 iovecs a capture copies (ADI_IOV_MAX), so traced as the client
        its writes arrive cut (counted gaps; headers then unknown, never
        wrong)."""
        srv = node_server(self.dir, traced=True)
        script = os.path.join(self.dir, "pyclient.py")
        with open(script, "w") as f:
            f.write(PY_CLIENT)
        try:
            p = subprocess.run(["/usr/bin/python3", script, str(srv.port)], timeout=60,
                               stderr=subprocess.PIPE)
        finally:
            events = srv.stop()
        self.assertEqual(p.returncode, 0, p.stderr)
        cs = sorted(calls(events), key=lambda e: e["stream_id"])
        self.assertEqual([e["method"] for e in cs],
                         ["/adi.test.Svc/Unary", "/adi.test.Svc/ServerStream",
                          "/adi.test.Svc/Fail", "/adi.test.Svc/Bidi"])
        u, s, f, b = cs
        self.assertEqual(u["req_messages"], [{"1": "py", "2": 5}])
        self.assertEqual(u["resp_messages"], [{"1": "hello py", "2": 5}])
        self.assertEqual(u["req_headers"]["x-user"], "snake")
        self.assertEqual(u["resp_headers"]["x-echo"], "snake")
        self.assertEqual(u["status"], 0)
        self.assertEqual(s["resp_messages"], [{"1": "pys #1", "2": 1}, {"1": "pys #2", "2": 2}])
        self.assertEqual(f["status"], 5)
        self.assertEqual(f["grpc_message"], "no such thing: nope")
        self.assertEqual(b["req_messages"], [{"1": "x%d" % i, "2": i} for i in (1, 2, 3)])
        self.assertEqual(b["resp_messages"], [{"1": "echo x%d" % i, "2": i} for i in (1, 2, 3)])
        for e in cs:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertTrue(e["req_headers"]["user-agent"].startswith("grpc-python"))
            self.assertNotIn("headers_unknown", e)
        self.assertEqual(len({e["conn"]["id"] for e in cs}), 1)
        self.assertEqual(events[-1]["dropped"], 0)


PY_CLIENT = r'''
import sys, grpc
ch = grpc.insecure_channel("127.0.0.1:" + sys.argv[1])
raw = dict(request_serializer=None, response_deserializer=None)
unary = ch.unary_unary("/adi.test.Svc/Unary", **raw)
r = unary(b"\x0a\x02py\x10\x05", metadata=(("x-user", "snake"),))
assert r == b"\x0a\x08hello py\x10\x05", r
got = list(ch.unary_stream("/adi.test.Svc/ServerStream", **raw)(b"\x0a\x03pys\x10\x02"))
assert len(got) == 2, got
try:
    ch.unary_unary("/adi.test.Svc/Fail", **raw)(b"\x0a\x04nope")
    sys.exit("no error")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
reqs = [b"\x0a\x02x%d\x10%c" % (i, i) for i in (1, 2, 3)]
got = list(ch.stream_stream("/adi.test.Svc/Bidi", **raw)(iter(reqs)))
assert len(got) == 3, got
ch.close()
'''


class Nghttpd:
    """nghttpd (Debian's nghttp2-server) without TLS: prior knowledge and
    the h2c upgrade, serving files from a directory."""

    def __init__(self, root, traced=False):
        self.www = os.path.join(root, "www")
        os.makedirs(self.www, exist_ok=True)
        with open(os.path.join(self.www, "index.html"), "w") as f:
            f.write("<html>hello over h2</html>\n")
        with open(os.path.join(self.www, "big.bin"), "wb") as f:
            f.write(bytes(i % 251 for i in range(100000)))
        self.port = adi.free_port()
        self.srv = Server([NGHTTPD, "--no-tls", "-d", self.www, str(self.port)],
                          self.port, root, traced)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def h2_requests(events):
    return [e for e in events if e["kind"] == "http_request" and e["version"] == "2"]


class PlainHttp2Test(adi.TraceTest):
    INDEX = "<html>hello over h2</html>\n"

    def test_nghttp_prior_knowledge(self):
        """nghttp: three requests on one connection (concurrent streams),
        one of them a 404, one a 100000-byte body cut to --body-bytes
        (4096; a smaller --body-bytes would cut the captured writes too)"""
        d = Nghttpd(self.dir)
        try:
            t = adi.run(["nghttp", d.url("/index.html"), d.url("/missing"), d.url("/big.bin")])
        finally:
            d.srv.stop()
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        rs = sorted(h2_requests(t.events), key=lambda e: e["stream_id"])
        self.assertEqual([(e["method"], e["url"], e["status"], e["stream_id"]) for e in rs],
                         [("GET", "/index.html", 200, 13), ("GET", "/missing", 404, 15),
                          ("GET", "/big.bin", 200, 17)])
        idx, miss, big = rs
        self.assertEqual(idx["resp_body"], self.INDEX)
        self.assertEqual(idx["resp_bytes"], len(self.INDEX))
        self.assertEqual(idx["host"], "127.0.0.1:%d" % d.port)
        self.assertFalse(idx["truncated"])
        self.assertEqual(big["resp_bytes"], 100000)
        self.assertTrue(big["truncated"])
        self.assertEqual(big["resp_body"], "base64:" + base64.b64encode(
            bytes(i % 251 for i in range(4096))).decode())
        self.assertEqual(len({e["conn"]["id"] for e in rs}), 1)
        for e in rs:
            self.assertEqual(e["conn"]["role"], "client")
            self.assertNotIn("headers_unknown", e)
            self.assertNotIn("incomplete", e)

    def test_curl_prior_knowledge_and_server_side(self):
        """curl --http2-prior-knowledge, GET and POST, with nghttpd traced"""
        d = Nghttpd(self.dir, traced=True)
        try:
            for extra in ([], ["-d", "x=1&y=2"]):
                out = subprocess.run(["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                                      *extra, d.url("/index.html")], timeout=30)
                self.assertEqual(out.returncode, 0)
            t = adi.run(["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                         "-H", "Cookie: a=b", d.url("/index.html")])
        finally:
            events = d.srv.stop()
        self.assertEqual(t.rc, 0, t.stderr)
        rs = h2_requests(t.events)
        self.assertEqual(len(rs), 1)
        self.assertEqual((rs[0]["method"], rs[0]["url"], rs[0]["status"]), ("GET", "/index.html", 200))
        self.assertEqual(rs[0]["req_headers"]["cookie"], "<redacted>")
        self.assertTrue(rs[0]["req_headers"]["user-agent"].startswith("curl/"))
        self.assertEqual(rs[0]["resp_body"], self.INDEX)
        # the server saw the three requests
        srv = sorted(h2_requests(events), key=lambda e: e["ts_ns"])
        self.assertEqual([(e["method"], e["url"], e["conn"]["role"]) for e in srv],
                         [("GET", "/index.html", "server"), ("POST", "/index.html", "server"),
                          ("GET", "/index.html", "server")])
        self.assertEqual(srv[0]["status"], 200)
        self.assertEqual(srv[1]["req_body"], "x=1&y=2")
        self.assertEqual(srv[1]["req_bytes"], 7)
        self.assertEqual(srv[1]["req_headers"]["content-type"], "application/x-www-form-urlencoded")
        self.assertEqual(events[-1]["dropped"], 0)

    def test_h2c_upgrade(self):
        """curl --http2 and nghttp -u: HTTP/1.1 Upgrade: h2c, 101, then the
        response on stream 1 in HTTP/2 (one event, upgrade h2c). nghttpd
        answers prior knowledge only: nghttpx (Debian's nghttp2-proxy) in
        front of it takes the upgrade."""
        d = Nghttpd(self.dir)
        port = adi.free_port()
        px = Server([NGHTTPX, "-f", "127.0.0.1,%d;no-tls" % port,
                     "-b", "127.0.0.1,%d;;proto=h2" % d.port, "--workers", "1",
                     "--conf", "/dev/null", "--errorlog-file", os.path.join(self.dir, "nx.err"),
                     "--accesslog-file", "/dev/null"], port, self.dir)
        url = "http://127.0.0.1:%d/index.html" % port
        try:
            t = adi.run(["curl", "-s", "-o", "/dev/null", "--http2", url])
            n = adi.run(["nghttp", "-u", url])
        finally:
            px.stop()
            d.srv.stop()
        for tr, agent in ((t, "curl/"), (n, "nghttp2/")):
            self.assertEqual(tr.rc, 0, tr.stderr)
            self.assertWellFormed(tr)
            self.assertEqual(tr.kind("http_request", version="1.1"), [])
            rs = h2_requests(tr.events)
            self.assertEqual(len(rs), 1, rs)
            e = rs[0]
            self.assertEqual((e["method"], e["url"], e["status"], e["stream_id"]),
                             ("GET", "/index.html", 200, 1))
            self.assertEqual(e["upgrade"], "h2c")
            self.assertEqual(e["req_headers"]["upgrade"], "h2c")
            self.assertIn("http2-settings", e["req_headers"])
            self.assertTrue(e["req_headers"]["user-agent"].startswith(agent))
            self.assertEqual(e["resp_body"], self.INDEX)
            self.assertEqual(e["resp_bytes"], len(self.INDEX))
            self.assertFalse(e["truncated"])


if __name__ == "__main__":
    adi.main()
