"""Whole payloads (issue 22): a socket call larger than one record is handed
over whole, and what a smaller --capture-bytes still cuts is recovered by
the decoders. Real peers, traced from both ends in one run (server and
client under the same `adi-profiler run`): chunked HTTP/1.1 responses of
88,000 bytes (2,000 chunks of 44) and 5,000,000 bytes (64 KiB chunks) from
Python's http.server and from Node, fetched by curl, Python's urllib and
Node's http; nghttpd serving 1 MiB files to Node's http2 client (64 KiB
reads) with small requests multiplexed between the large ones; a 4 MiB
gRPC unary call (grpc-js) both ways. Then the chunked and HTTP/2 cases again
with --capture-bytes 4096, where every call is cut: exact sizes and every
request still, marked incomplete where bytes are missing."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
NGHTTPD = "/usr/sbin/nghttpd"
SIZES = {"/c88k": (88000, 44), "/c5m": (5000000, 65536)}
BODY_BYTES = 4096  # --body-bytes default: the body preview


def body(n):
    """the bytes every server sends: 'a'..'z' repeated"""
    return bytes(97 + i % 26 for i in range(n))


PY_SERVER = r'''
import http.server, sys
SIZES = %r
BIG = bytes(97 + i %% 26 for i in range(5000000))
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        total, piece = SIZES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for off in range(0, total, piece):
            d = BIG[off:min(off + piece, total)]
            self.wfile.write(b"%%x\r\n%%s\r\n" %% (len(d), d))  # one call per chunk
        self.wfile.write(b"0\r\n\r\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
''' % (SIZES,)

NODE_SERVER = r'''
const http = require('http');
const SIZES = %s;
const big = Buffer.alloc(5000000);
for (let i = 0; i < big.length; i++) big[i] = 97 + i %% 26;
http.createServer((req, res) => {
  const [total, piece] = SIZES[req.url];
  res.writeHead(200, { 'Content-Type': 'text/plain' }); // no length: chunked
  let off = 0;
  const more = () => {
    while (off < total) {
      const d = big.subarray(off, Math.min(off + piece, total));
      off += d.length;
      if (!res.write(d)) return res.once('drain', more);
    }
    res.end();
  };
  more();
}).listen(+process.argv[1], '127.0.0.1');
''' % ({k: list(v) for k, v in SIZES.items()},)

CLIENTS = {
    "curl": "curl -s -o /dev/null {url}",
    "python": "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()' {url}",
    "node": "node -e 'require(\"http\").get(process.argv[1], r => {{ r.resume(); "
            "r.on(\"end\", () => process.exit(0)); }})' {url}",
}

# Node's http2 client: every path requested at once on one session (the
# small ones multiplexed between the large), each body counted
H2_CLIENT = r'''
const http2 = require('http2');
const s = http2.connect(process.argv[1]);
const paths = process.argv.slice(2);
let left = paths.length;
for (const p of paths) {
  const r = s.request({ ':path': p });
  r.on('data', () => {});
  r.on('end', () => { if (--left === 0) s.close(); });
  r.end();
}
'''

# grpc-js, server and client in one process: a 4 MiB message each way (a
# protobuf: field 1, bytes), no size limits, raw buffers (no schema needed)
GRPC_BIG = r'''
const grpc = require('@grpc/grpc-js');
const id = (b) => b;
const def = { Echo: { path: '/adi.test.Big/Echo', requestStream: false, responseStream: false,
  requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
const opts = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
const len = 4194304 - 5; // tag 0x0a, a 4-byte varint, the bytes
const msg = Buffer.alloc(4194304);
msg[0] = 0x0a;
msg[1] = 0x80 | (len & 0x7f); msg[2] = 0x80 | ((len >> 7) & 0x7f);
msg[3] = 0x80 | ((len >> 14) & 0x7f); msg[4] = len >> 21;
for (let i = 5; i < msg.length; i++) msg[i] = 97 + (i - 5) % 26;
const server = new grpc.Server(opts);
server.addService(def, { Echo: (call, cb) => cb(null, call.request) });
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  const Client = grpc.makeGenericClientConstructor(def, 'Big');
  const c = new Client('127.0.0.1:' + port, grpc.credentials.createInsecure(), opts);
  c.Echo(msg, (e, r) => {
    if (e || !r.equals(msg)) { console.error(e || 'echo differs'); process.exit(1); }
    c.close();
    server.forceShutdown();
  });
});
'''


def shell(server, clients, port):
    """bash: the server in the background, each client when it listens,
    the server stopped"""
    wait = "until (: </dev/tcp/127.0.0.1/%d) 2>/dev/null; do sleep 0.05; done" % port
    return ["bash", "-c", "%s & S=$!; %s; %s; kill $S; wait" % (server, wait, "; ".join(clients))]


def q(s):
    return "'" + s.replace("'", "'\\''") + "'"


class PayloadTest(adi.TraceTest):
    def chunked_run(self, server, client, *opts):
        """one run: the server of kind `server`, `client` fetching both
        chunked paths; the http_request events by (url, role)"""
        port = adi.free_port()
        srv = {"python": "python3 -c %s %d" % (q(PY_SERVER), port),
               "node": "node -e %s %d" % (q(NODE_SERVER), port)}[server]
        urls = ["http://127.0.0.1:%d%s" % (port, p) for p in SIZES]
        t = adi.run(shell(srv, [CLIENTS[client].format(url=u) for u in urls], port), *opts,
                    timeout=300)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        got = {}
        for e in t.kind("http_request"):
            got.setdefault((e["url"], e["conn"]["role"]), []).append(e)
        return t, got

    def check_chunked(self, server, client, cut):
        opts = ("--capture-bytes", "4096") if cut else ()
        t, got = self.chunked_run(server, client, *opts)
        where = "%s server, %s client%s" % (server, client, ", cut" if cut else "")
        # every response, from both ends, and nothing else
        self.assertEqual(sorted(got), sorted((p, r) for p in SIZES for r in ("client", "server")),
                         where)
        for (path, role), evs in got.items():
            self.assertEqual(len(evs), 1, (where, path, role))
            e = evs[0]
            total = SIZES[path][0]
            self.assertEqual(e["status"], 200, (where, path, role))
            self.assertEqual(e["resp_headers"]["transfer-encoding"], "chunked")
            self.assertEqual(e["resp_bytes"], total, (where, path, role))
            if not cut:
                self.assertNotIn("incomplete", e, (where, path, role))
            if "incomplete" not in e:
                self.assertEqual(e["resp_body"], body(BODY_BYTES).decode(), (where, path, role))
            self.assertTrue(e["truncated"])  # the preview is cut, or bytes were lost
        s = t.summary
        self.assertEqual(s["records"]["dropped"], 0, where)
        if not cut:
            self.assertEqual((s["parse_errors"], s["parse_skipped_bytes"]), (0, 0), where)
            self.assertEqual(s.get("stream_gaps", 0), 0, where)
            self.assertEqual(s["truncated"], 0, where)
        else:
            # the client reads more than 4096 bytes a call: its side lost bytes
            self.assertTrue(any("incomplete" in e for (p, r), evs in got.items()
                                for e in evs if r == "client"), where)

    def test_chunked_whole(self):
        for server in ("python", "node"):
            for client in CLIENTS:
                with self.subTest(server=server, client=client):
                    self.check_chunked(server, client, False)

    def test_chunked_cut_4096(self):
        for server in ("python", "node"):
            for client in CLIENTS:
                with self.subTest(server=server, client=client):
                    self.check_chunked(server, client, True)

    def test_kernel_without_bpf_loop(self):
        """the program for kernels before 5.17 (ADI_FORCE_NO_BPF_LOOP=1
        loads it here): one line says calls are cut at 32 KiB, and the
        chunked bodies cut so are still sized exactly by the resync"""
        if adi.ptrace():
            return  # an eBPF program choice: ptrace copies whole calls alike
        os.environ["ADI_FORCE_NO_BPF_LOOP"] = "1"
        try:
            t, got = self.chunked_run("python", "curl")
        finally:
            del os.environ["ADI_FORCE_NO_BPF_LOOP"]
        self.assertIn("no bpf_loop (Linux 5.17 or later): socket payloads are cut at 32768 "
                      "bytes per call", t.stderr)
        self.assertGreater(t.summary["truncated"], 0)  # curl reads 100 KiB a call
        for (path, role), evs in got.items():
            self.assertEqual([e["resp_bytes"] for e in evs], [SIZES[path][0]], (path, role))

    def h2_run(self, *opts):
        www = os.path.join(self.dir, "www")
        os.makedirs(www)
        files = {}
        for i in range(4):
            files["/big%d" % i] = 1 << 20
            files["/small%d" % i] = 100 + i
        for p, n in files.items():
            with open(www + p, "wb") as f:
                f.write(body(n))
        port = adi.free_port()
        paths = [p for i in range(4) for p in ("/big%d" % i, "/small%d" % i)]
        client = "node -e %s http://127.0.0.1:%d %s" % (q(H2_CLIENT), port, " ".join(paths))
        t = adi.run(shell("%s --no-tls -d %s %d" % (NGHTTPD, www, port), [client], port), *opts,
                    timeout=300)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        return t, files

    def test_h2_whole(self):
        t, files = self.h2_run()
        for role in ("client", "server"):
            evs = [e for e in t.kind("http_request") if e["conn"]["role"] == role]
            self.assertEqual(sorted(e["url"] for e in evs), sorted(files), role)
            for e in evs:
                self.assertEqual((e["version"], e["status"]), ("2", 200), e["url"])
                self.assertEqual(e["resp_bytes"], files[e["url"]], (role, e["url"]))
                self.assertEqual(int(e["resp_headers"]["content-length"]), files[e["url"]])
                self.assertNotIn("incomplete", e, (role, e["url"]))
                self.assertNotIn("headers_unknown", e, (role, e["url"]))
                self.assertEqual(e["resp_body"], body(min(files[e["url"]], BODY_BYTES)).decode())
        s = t.summary
        self.assertEqual((s["records"]["dropped"], s["parse_errors"], s["parse_skipped_bytes"]),
                         (0, 0, 0))

    def test_h2_cut_4096(self):
        t, files = self.h2_run("--capture-bytes", "4096")
        for role in ("client", "server"):
            evs = [e for e in t.kind("http_request") if e["conn"]["role"] == role]
            # every request, with its path (requests are small writes) and
            # its response's status and headers (they come first, whole)
            self.assertEqual(sorted(e["url"] for e in evs), sorted(files), role)
            for e in evs:
                where = (role, e["url"])
                self.assertEqual(e["status"], 200, where)
                self.assertEqual(int(e["resp_headers"]["content-length"]), files[e["url"]], where)
                self.assertNotIn("headers_unknown", e, where)
                if "incomplete" not in e:
                    self.assertEqual(e["resp_bytes"], files[e["url"]], where)
                    self.assertEqual(e["resp_body"],
                                     body(min(files[e["url"]], BODY_BYTES)).decode())
                elif files[e["url"]] > 65536 or role == "server":
                    # a stream that ended (its last frame seen) reports its
                    # declared length; nghttpd writes from a frame's start,
                    # so the server side sees every stream end
                    self.assertEqual(e["resp_bytes"], files[e["url"]], where)
                else:
                    # a small response whose only DATA frame fell in a gap
                    # (the client reads 64 KiB at a time): never seen to end
                    self.assertLessEqual(e["resp_bytes"], files[e["url"]], where)
        self.assertEqual(t.summary["records"]["dropped"], 0)

    def test_grpc_4mib_unary(self):
        env = dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))
        t = adi.run(["node", "-e", GRPC_BIG], timeout=300, env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        calls = t.kind("grpc_call")
        self.assertEqual(sorted(e["conn"]["role"] for e in calls), ["client", "server"])
        for e in calls:
            role = e["conn"]["role"]
            self.assertEqual((e["method"], e["status"]), ("/adi.test.Big/Echo", 0), role)
            self.assertEqual(e["req_bytes"], 5 + (4 << 20), role)
            self.assertEqual(e["resp_bytes"], 5 + (4 << 20), role)
            self.assertNotIn("incomplete", e, role)
            self.assertNotIn("decode_error", e, role)
            self.assertEqual(len(e["req_messages"]), 1, role)
            self.assertEqual(len(e["resp_messages"]), 1, role)
        s = t.summary
        self.assertEqual((s["records"]["dropped"], s["parse_errors"], s["parse_skipped_bytes"]),
                         (0, 0, 0))


if __name__ == "__main__":
    adi.main()
