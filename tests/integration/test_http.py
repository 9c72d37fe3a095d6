"""HTTP/1.x decoded from real peers: nginx (Debian) driven by curl, traced as
client and as server; Node.js http server and client with keep-alive and
pipelining; python3's http.server. Exact assertions on what was sent."""
import os
import signal
import socket
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

NGINX = "/usr/sbin/nginx"
BIG = 1536 * 1024 + 7  # > 1 MiB, not a round number


CHUNKED_UPSTREAM = r'''
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(4096)
        if not d: break
        data += d
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
    c.close()
'''


class Nginx:
    """A private nginx on a loopback port: static files, 404, gzip, and a
    chunked response proxied from a tiny upstream."""

    def __init__(self, root, traced_by=None):
        self.root = root
        self.port = adi.free_port()
        self.up_port = adi.free_port()
        os.makedirs(f"{root}/www", exist_ok=True)
        with open(f"{root}/www/index.html", "w") as f:
            f.write("<html>hello from nginx</html>\n")
        with open(f"{root}/www/big.bin", "wb") as f:
            f.write(bytes(i % 251 for i in range(BIG)))
        with open(f"{root}/www/text.txt", "w") as f:
            f.write("compress me " * 400)
        with open(f"{root}/nginx.conf", "w") as f:
            f.write(f"""
daemon off; master_process off; worker_processes 1;
error_log {root}/error.log; pid {root}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off; default_type application/octet-stream;
  types {{ text/html html; text/plain txt; }}
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp; uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  gzip on; gzip_types text/plain; gzip_min_length 100;
  server {{
    listen 127.0.0.1:{self.port}; root {root}/www; keepalive_requests 100;
    location /chunked {{ proxy_pass http://127.0.0.1:{self.up_port}; proxy_http_version 1.1;
                         proxy_buffering off; }}
  }}
}}
""")
        self.up = subprocess.Popen(["/usr/bin/python3", "-c", CHUNKED_UPSTREAM, str(self.up_port)])
        cmd = [NGINX, "-c", f"{root}/nginx.conf", "-p", root]
        self.trace = None
        if traced_by:
            self.trace_path = f"{root}/nginx-trace.jsonl"
            cmd = [adi.BIN, "run", "--format", "json", "-o", self.trace_path, "--", *cmd]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        adi.wait_port(self.port)
        adi.wait_port(self.up_port)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        # run: a signal sent to adi-profiler alone reaches the command once,
        # and the trace goes on until it exits (docs/cli.md)
        self.proc.send_signal(signal.SIGTERM if self.proc.args[0] == NGINX else signal.SIGINT)
        self.proc.wait(20)
        self.up.kill()
        self.up.wait()


def http_events(t, port=None):
    evs = t.kind("http_request")
    if port is not None:
        evs = [e for e in evs if e["conn"]["remote"].endswith(f":{port}") or
               e["conn"]["local"].endswith(f":{port}")]
    return evs


class HttpClient(adi.TraceTest):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.ngdir = tempfile.mkdtemp(prefix="adi-nginx-")
        cls.ng = Nginx(cls.ngdir)

    @classmethod
    def tearDownClass(cls):
        cls.ng.stop()
        subprocess.run(["rm", "-rf", cls.ngdir])

    def test_keepalive_several_urls_one_connection(self):
        ng = self.ng
        t = adi.run(["curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                     ng.url("/index.html"), ng.url("/missing"), ng.url("/big.bin")])
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = http_events(t, ng.port)
        self.assertEqual([(e["method"], e["url"], e["status"]) for e in ev],
                         [("GET", "/index.html", 200), ("GET", "/missing", 404),
                          ("GET", "/big.bin", 200)])
        self.assertEqual(len({e["conn"]["id"] for e in ev}), 1)  # keep-alive
        idx, miss, big = ev
        for e in ev:
            self.assertEqual(e["host"], f"127.0.0.1:{ng.port}")
            self.assertEqual(e["version"], "1.1")
            self.assertEqual(e["conn"]["role"], "client")
            self.assertEqual(e["req_bytes"], 0)
            self.assertGreater(e["duration_ms"], 0)
            self.assertEqual(e["req_headers"]["host"], f"127.0.0.1:{ng.port}")
            self.assertEqual(e["resp_headers"]["server"].split("/")[0], "nginx")
        self.assertEqual(idx["resp_body"], "<html>hello from nginx</html>\n")
        self.assertEqual(idx["resp_bytes"], 30)
        self.assertFalse(idx["truncated"])
        self.assertIn("404 Not Found", miss["resp_body"])
        self.assertEqual(big["resp_bytes"], BIG)
        self.assertEqual(big["resp_headers"]["content-length"], str(BIG))
        self.assertTrue(big["truncated"])
        self.assertTrue(big["resp_body"].startswith("base64:"))
        self.assertEqual(t.kind("tcp_stream"), [])  # decoded, not raw
        # curl reads the big body 100 KiB a call: handed over whole now (in
        # 32 KiB records), nothing cut (file contents are only sampled,
        # which is not counted)
        self.assertEqual(t.summary["truncated"], 0)
        self.assertNotIn("incomplete", big)

    def test_head_and_gzip_and_chunked(self):
        ng = self.ng
        t = adi.run(["sh", "-c",
                     f"curl -s -I {ng.url('/index.html')} >/dev/null; "
                     f"curl -s --compressed {ng.url('/text.txt')} >/dev/null; "
                     f"curl -s {ng.url('/chunked')} >/dev/null"])
        self.assertEqual(t.rc, 0, t.stderr)
        ev = http_events(t, ng.port)
        self.assertEqual([(e["method"], e["url"], e["status"]) for e in ev],
                         [("HEAD", "/index.html", 200), ("GET", "/text.txt", 200),
                          ("GET", "/chunked", 200)])
        head, gz, ch = ev
        self.assertEqual(head["resp_bytes"], 0)
        self.assertEqual(head["resp_body"], "")
        self.assertEqual(head["resp_headers"]["content-length"], "30")
        self.assertEqual(gz["resp_headers"]["content-encoding"], "gzip")
        self.assertEqual(gz["content_encoding"], "gzip")
        self.assertEqual(gz["resp_body"], ("compress me " * 400)[:4096])
        self.assertEqual(ch["resp_headers"]["transfer-encoding"], "chunked")
        self.assertEqual(ch["resp_body"], "hello, world")
        self.assertEqual(ch["resp_bytes"], 12)

    def test_post_body_redaction_and_show_secrets(self):
        ng = self.ng
        cmd = ["curl", "-s", "-o", "/dev/null", "-H", "Authorization: Bearer s3cret",
               "-H", "Cookie: a=b", "--data-binary", "x=1&y=2", ng.url("/index.html")]
        t = adi.run(cmd)
        ev = http_events(t, ng.port)
        self.assertEqual(len(ev), 1)
        e = ev[0]
        self.assertEqual((e["method"], e["req_body"], e["req_bytes"], e["status"]),
                         ("POST", "x=1&y=2", 7, 405))
        self.assertEqual(e["req_headers"]["authorization"], "<redacted>")
        self.assertEqual(e["req_headers"]["cookie"], "<redacted>")
        t = adi.run(cmd, "--show-secrets")
        e = http_events(t, ng.port)[0]
        self.assertEqual(e["req_headers"]["authorization"], "Bearer s3cret")


class HttpServer(adi.TraceTest):
    def test_nginx_traced_as_server(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="adi-nginx-srv-")
        ng = Nginx(d, traced_by=True)
        try:
            for p in ("/index.html", "/missing", "/index.html"):
                subprocess.run(["curl", "-s", "-o", "/dev/null", ng.url(p)], check=True)
        finally:
            ng.stop()
        events = adi.load(ng.trace_path)
        ev = [e for e in events if e["kind"] == "http_request"
              and e["conn"]["local"].endswith(f":{ng.port}")]
        self.assertEqual([(e["method"], e["url"], e["status"], e["conn"]["role"]) for e in ev],
                         [("GET", "/index.html", 200, "server"), ("GET", "/missing", 404, "server"),
                          ("GET", "/index.html", 200, "server")])
        for e in ev:
            self.assertGreater(e["duration_ms"], 0)
            self.assertEqual(e["comm"], "nginx")
        self.assertEqual(ev[0]["resp_body"], "<html>hello from nginx</html>\n")
        subprocess.run(["rm", "-rf", d])

    def test_python_http_server_traced_as_server(self):
        d = self.dir
        with open(f"{d}/hello.txt", "w") as f:
            f.write("hi there\n")
        port = adi.free_port()
        out = f"{d}/trace.jsonl"
        srv = subprocess.Popen([adi.BIN, "run", "--format", "json", "-o", out, "--",
                                "/usr/bin/python3", "-m", "http.server", str(port),
                                "--bind", "127.0.0.1", "--directory", d],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            adi.wait_port(port)
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/hello.txt"],
                           check=True)
        finally:
            srv.send_signal(signal.SIGINT)  # passed on to the server once
            srv.wait(20)
        ev = [e for e in adi.load(out) if e["kind"] == "http_request"]
        # the probe connection of wait_port carries no request: not an exchange
        self.assertEqual([(e["method"], e["url"], e["status"], e["resp_body"], e["version"])
                          for e in ev], [("GET", "/hello.txt", 200, "hi there\n", "1.1")])
        self.assertEqual(ev[0]["conn"]["role"], "server")


NODE_SERVER = r'''
const http = require("http");
const srv = http.createServer((req, res) => {
  let body = "";
  req.on("data", d => body += d);
  req.on("end", () => { res.setHeader("X-Seen", String(body.length));
                        res.end("echo:" + req.url + ":" + body); });
});
srv.keepAliveTimeout = 5000;
srv.listen(+process.argv[1], "127.0.0.1", () => console.log("ready"));
setTimeout(() => process.exit(0), +process.argv[2]);
'''

NODE_CLIENT = r'''
const http = require("http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const port = +process.argv[1];
function get(path, body) {
  return new Promise((ok, ko) => {
    const req = http.request({ port, host: "127.0.0.1", path, agent,
                               method: body ? "POST" : "GET" }, res => {
      let d = ""; res.on("data", c => d += c); res.on("end", () => ok(d)); });
    req.on("error", ko);
    if (body) req.write(body);
    req.end();
  });
}
(async () => {
  await get("/a"); await get("/b", "payload-b"); await get("/c");
  agent.destroy();
})();
'''


class Node(adi.TraceTest):
    def test_node_client_keepalive_and_pipelined_server(self):
        port = adi.free_port()
        srv = subprocess.Popen(["node", "-e", NODE_SERVER, str(port), "8000"],
                               stdout=subprocess.PIPE)
        srv.stdout.readline()
        t = adi.run(["node", "-e", NODE_CLIENT, str(port)])
        self.assertEqual(t.rc, 0, t.stderr)
        ev = http_events(t, port)
        self.assertEqual([(e["method"], e["url"], e["status"], e["resp_body"]) for e in ev],
                         [("GET", "/a", 200, "echo:/a:"), ("POST", "/b", 200, "echo:/b:payload-b"),
                          ("GET", "/c", 200, "echo:/c:")])
        self.assertEqual(len({e["conn"]["id"] for e in ev}), 1)
        self.assertEqual(ev[1]["req_body"], "payload-b")
        srv.kill()
        srv.wait()
        srv.stdout.close()

        # pipelining: three requests written at once to a traced node server
        port = adi.free_port()
        out = f"{self.dir}/srv.jsonl"
        srv = subprocess.Popen([adi.BIN, "run", "--format", "json", "-o", out, "--",
                                "node", "-e", NODE_SERVER, str(port), "3000"],
                               stdout=subprocess.PIPE)
        srv.stdout.readline()
        s = socket.create_connection(("127.0.0.1", port))
        reqs = b"".join(b"GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3))
        s.sendall(reqs)
        got = b""
        while got.count(b"echo:/p") < 3:
            d = s.recv(65536)
            if not d:
                break
            got += d
        s.close()
        srv.wait(20)
        srv.stdout.close()
        ev = [e for e in adi.load(out) if e["kind"] == "http_request"]
        self.assertEqual([(e["url"], e["status"], e["resp_body"], e["conn"]["role"]) for e in ev],
                         [(f"/p{i}", 200, f"echo:/p{i}:", "server") for i in range(3)])
        # pipelined: all three requests arrived before the first response left
        self.assertLessEqual(ev[2]["ts_ns"], ev[0]["ts_ns"] + int(ev[0]["duration_ms"] * 1e6))


if __name__ == "__main__":
    adi.main()
