"""TLS from real peers (docs/tls.md): a test CA and a server certificate made
by `openssl req`; nginx with TLS (HTTP/1.1 and h2) driven by curl --http1.1,
curl --http2 and Python's urllib with the test CA, traced as client and as
server, and attached to while a connection is already open; PostgreSQL with
ssl=on driven by psql and pgbench (sslmode=require: queries with parameters
decoded as in cleartext); Node's https client and server (OpenSSL inside
node, memory BIOs); redis-server --tls-port with redis-cli --tls;
--no-tls-plaintext. Under the ptrace backend the same peers give the
handshake's facts and say why there is no plaintext. Exact assertions on
what was sent."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import dbservers  # noqa: E402

NGINX = "/usr/sbin/nginx"
NODE = shutil.which("node") or "/usr/bin/node"
VERSIONS = ("TLSv1.2", "TLSv1.3")
CERTS = None   # the directory holding ca.pem, srv.pem, srv.key
NG = None


def sh(argv, **kw):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def make_certs(d):
    """a CA and a server certificate for localhost / 127.0.0.1 signed by it"""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    sh(["openssl", "req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem",
        "-days", "2", "-subj", "/O=adi test/CN=adi test CA"])
    sh(["openssl", "req", *ec, "-keyout", f"{d}/srv.key", "-out", f"{d}/srv.csr",
        "-subj", "/O=adi test/CN=localhost"])
    with open(f"{d}/ext.cnf", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    sh(["openssl", "x509", "-req", "-in", f"{d}/srv.csr", "-CA", f"{d}/ca.pem",
        "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/srv.pem", "-days", "2",
        "-extfile", f"{d}/ext.cnf"])


class Nginx:
    """A private nginx serving the same files over TLS (h2 and http/1.1 by
    ALPN) and in clear text; run traced when traced_to names a trace file."""

    def __init__(self, root, traced_to=None):
        self.root = root
        self.port = adi.free_port()
        self.plain = adi.free_port()
        os.makedirs(f"{root}/www", exist_ok=True)
        with open(f"{root}/www/index.html", "w") as f:
            f.write("<html>hello over tls</html>\n")
        with open(f"{root}/nginx.conf", "w") as f:
            f.write(f"""
daemon off; master_process off; worker_processes 1;
error_log {root}/error.log; pid {root}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off; default_type application/octet-stream; types {{ text/html html; }}
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp; uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  server {{
    listen 127.0.0.1:{self.port} ssl http2; listen 127.0.0.1:{self.plain};
    ssl_certificate {CERTS}/srv.pem; ssl_certificate_key {CERTS}/srv.key;
    ssl_protocols TLSv1.2 TLSv1.3; root {root}/www; keepalive_requests 100;
  }}
}}
""")
        cmd = [NGINX, "-c", f"{root}/nginx.conf", "-p", root]
        self.traced_to = traced_to
        if traced_to:
            cmd = [adi.BIN, "run", "--format", "json", "-o", traced_to, "--", *cmd]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        adi.wait_port(self.port)
        adi.wait_port(self.plain)

    def url(self, path, tls=True):
        return (f"https://localhost:{self.port}{path}" if tls
                else f"http://localhost:{self.plain}{path}")

    @property
    def pid(self):
        with open(f"{self.root}/nginx.pid") as f:
            return int(f.read())

    def stop(self):
        if self.traced_to:
            # run: Ctrl-C, then a second one asks the command to end
            self.proc.send_signal(signal.SIGINT)
            time.sleep(0.3)
            self.proc.send_signal(signal.SIGINT)
        else:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def setUpModule():
    global CERTS, NG
    CERTS = tempfile.mkdtemp(prefix="adi-tls-")
    os.chmod(CERTS, 0o755)
    make_certs(CERTS)
    NG = Nginx(tempfile.mkdtemp(prefix="adi-tls-nginx-"))


def tearDownModule():
    if NG:
        NG.stop()
        shutil.rmtree(NG.root, ignore_errors=True)
    if CERTS:
        shutil.rmtree(CERTS, ignore_errors=True)


def on_port(evs, port):
    return [e for e in evs if e["conn"]["remote"].endswith(f":{port}") or
            e["conn"]["local"].endswith(f":{port}")]


# what an exchange says, without what differs between two runs or between
# TLS and cleartext (times, ports, dates, the connection itself)
SAME = ("method", "url", "version", "status", "req_body", "resp_body", "req_bytes",
        "resp_bytes", "truncated")


def same_fields(e):
    out = {k: e[k] for k in SAME if k in e}
    out["fields"] = sorted(k for k in e if k not in ("tls", "conn"))
    return out


class TlsTest(adi.TraceTest):
    def check_facts(self, e, sni="localhost", alpn_offered=None):
        """the handshake's facts on an event (docs/events.md)"""
        tls = e["tls"]
        self.assertIn(tls["version"], VERSIONS, e)
        self.assertTrue(tls["cipher"].startswith("TLS_"), e)
        self.assertEqual(tls["sni"], sni, e)
        self.assertEqual(tls["handshake"], "seen", e)
        if alpn_offered is not None:
            self.assertEqual(tls["alpn_offered"], alpn_offered, e)
        if tls["version"] == "TLSv1.3":
            self.assertEqual(tls["certificate"], "encrypted")
        else:
            self.assertEqual(tls["certificate"]["subject"], "O=adi test,CN=localhost")
            self.assertEqual(tls["certificate"]["issuer"], "O=adi test,CN=adi test CA")
            self.assertEqual(tls["certificate"]["dns_names"], ["localhost"])
        return tls

    def check_no_plaintext(self, t, port, why):
        """ptrace, --no-tls-plaintext: the connection is a tcp_stream with
        the handshake's facts and says why its plaintext is missing"""
        ts = [e for e in on_port(t.kind("tcp_stream"), port) if e.get("tls")]
        self.assertTrue(ts, t.events)
        for e in ts:
            self.assertFalse(e["tls"]["plaintext"], e)
            self.assertIn(why, e["tls"]["no_plaintext"])
            self.assertEqual(e["protocol"], "tls")
        self.assertFalse(on_port(t.kind("http_request"), port))
        self.assertEqual(t.summary["tls"]["with_plaintext"], 0)
        return ts

    def test_curl_http11(self):
        t = adi.run(["curl", "-s", "--http1.1", "--cacert", f"{CERTS}/ca.pem",
                     "-o", "/dev/null", "-o", "/dev/null",
                     NG.url("/index.html"), NG.url("/missing")])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        if adi.ptrace():
            e = self.check_no_plaintext(t, NG.port, "ptrace backend")[0]
            self.check_facts(e, alpn_offered=["http/1.1"])
            return
        ev = on_port(t.kind("http_request"), NG.port)
        self.assertEqual([(e["method"], e["url"], e["status"], e["version"]) for e in ev],
                         [("GET", "/index.html", 200, "1.1"), ("GET", "/missing", 404, "1.1")])
        self.assertEqual(ev[0]["resp_body"], "<html>hello over tls</html>\n")
        self.assertEqual(ev[0]["conn"]["id"], ev[1]["conn"]["id"])
        for e in ev:
            tls = self.check_facts(e, alpn_offered=["http/1.1"])
            if tls["version"] == "TLSv1.2":
                self.assertEqual(tls["alpn"], "http/1.1")
        # the same requests in clear text: the same events but tls
        c = adi.run(["curl", "-s", "--http1.1", "-o", "/dev/null", "-o", "/dev/null",
                     NG.url("/index.html", False), NG.url("/missing", False)])
        cev = on_port(c.kind("http_request"), NG.plain)
        self.assertEqual([same_fields(e) for e in ev], [same_fields(e) for e in cev])
        # the ciphertext is not decoded a second time, nor shown raw
        self.assertFalse(on_port(t.kind("tcp_stream"), NG.port))
        s = t.summary["tls"]
        self.assertEqual(s["plaintext"], "on")
        self.assertEqual((s["connections"], s["with_plaintext"], s["without_plaintext"]),
                         (1, 1, []))
        lib = [x for x in s["libraries"] if "libssl.so" in x["path"]]
        self.assertTrue(lib, s)
        self.assertRegex(lib[0]["build_id"], "^[0-9a-f]{40}$")
        self.assertTrue(lib[0]["version"].startswith("OpenSSL "), lib)
        self.assertIn(lib[0]["probes"], ("entry", "inner"))

    def test_curl_http2(self):
        t = adi.run(["curl", "-s", "--http2", "--cacert", f"{CERTS}/ca.pem", "-o", "/dev/null",
                     "-o", "/dev/null", NG.url("/index.html"), NG.url("/missing")])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        if adi.ptrace():
            self.check_no_plaintext(t, NG.port, "ptrace backend")
            return
        ev = on_port(t.kind("http_request"), NG.port)
        self.assertEqual([(e["method"], e["url"], e["status"], e["version"], e["stream_id"])
                          for e in ev],
                         [("GET", "/index.html", 200, "2", 1), ("GET", "/missing", 404, "2", 3)])
        self.assertEqual(ev[0]["resp_body"], "<html>hello over tls</html>\n")
        for e in ev:
            tls = self.check_facts(e, alpn_offered=["h2", "http/1.1"])
            if tls["version"] == "TLSv1.2":
                self.assertEqual(tls["alpn"], "h2")

    def test_python_urllib(self):
        code = ("import ssl, urllib.request\n"
                f"ctx = ssl.create_default_context(cafile='{CERTS}/ca.pem')\n"
                f"r = urllib.request.urlopen('{NG.url('/index.html')}', context=ctx)\n"
                "print(r.status, r.read().decode())\n")
        t = adi.run([sys.executable, "-c", code])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        if adi.ptrace():
            self.check_no_plaintext(t, NG.port, "ptrace backend")
            return
        ev = on_port(t.kind("http_request"), NG.port)
        self.assertEqual([(e["method"], e["url"], e["status"]) for e in ev],
                         [("GET", "/index.html", 200)])
        self.assertEqual(ev[0]["req_headers"]["user-agent"][:13], "Python-urllib")
        self.check_facts(ev[0], alpn_offered=[])  # urllib offers no ALPN

    def test_no_tls_plaintext(self):
        t = adi.run(["curl", "-s", "--cacert", f"{CERTS}/ca.pem", "-o", "/dev/null",
                     NG.url("/index.html")], "--no-tls-plaintext")
        self.assertEqual(t.rc, 0, t.stderr)
        why = "ptrace backend" if adi.ptrace() else "--no-tls-plaintext"
        e = self.check_no_plaintext(t, NG.port, why)[0]
        self.check_facts(e)
        if not adi.ptrace():
            self.assertEqual(t.summary["tls"]["plaintext"], "off")
            self.assertEqual(t.summary["tls"]["libraries"], [])
        nopt = t.summary["tls"]["without_plaintext"]
        self.assertEqual([(x["conn"], x["sni"]) for x in nopt], [(e["conn"]["id"], "localhost")])

    def test_nginx_server(self):
        """nginx traced as the server, curl over HTTP/1.1 and h2"""
        path = os.path.join(self.dir, "nginx.jsonl")
        ng = Nginx(os.path.join(self.dir, "ng"), traced_to=path)
        try:
            for v in ("--http1.1", "--http2"):
                subprocess.run(["curl", "-s", v, "--cacert", f"{CERTS}/ca.pem", "-o",
                                "/dev/null", ng.url("/index.html")], check=True)
        finally:
            ng.stop()
        t = adi.Trace(0, "", adi.load(path), path)
        self.assertWellFormed(t)
        if adi.ptrace():
            self.check_no_plaintext(t, ng.port, "ptrace backend")
            return
        ev = on_port(t.kind("http_request"), ng.port)
        self.assertEqual([(e["url"], e["status"], e["version"], e["conn"]["role"]) for e in ev],
                         [("/index.html", 200, "1.1", "server"),
                          ("/index.html", 200, "2", "server")])
        self.check_facts(ev[0], alpn_offered=["http/1.1"])
        self.check_facts(ev[1], alpn_offered=["h2", "http/1.1"])

    def test_attach_running_server(self):
        """attach to nginx while a TLS connection is open: its next request
        comes from the next SSL call (handshake unseen); a new connection
        is seen whole"""
        code = ("import http.client, ssl, sys, time\n"
                f"ctx = ssl.create_default_context(cafile='{CERTS}/ca.pem')\n"
                f"c = http.client.HTTPSConnection('localhost', {NG.port}, context=ctx)\n"
                "c.request('GET', '/index.html'); c.getresponse().read()\n"
                "print('ready', flush=True); sys.stdin.readline()\n"
                "c.request('GET', '/again'); c.getresponse().read()\n"
                f"d = http.client.HTTPSConnection('localhost', {NG.port}, context=ctx)\n"
                "d.request('GET', '/new'); d.getresponse().read()\n")
        cli = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        at = None
        try:
            self.assertEqual(cli.stdout.readline().strip(), "ready")
            path = os.path.join(self.dir, "attach.jsonl")
            at = subprocess.Popen([adi.BIN, "attach", "--pid", str(NG.pid), "--format", "json",
                                   "-o", path], stderr=subprocess.PIPE, text=True)
            # said once the filter and the TLS hooks are in place
            banner = at.stderr.readline()
            self.assertIn("attached to", banner)
            cli.stdin.write("go\n")
            cli.stdin.flush()
            cli.wait(30)
            time.sleep(0.5)
            at.send_signal(signal.SIGINT)
            at.communicate(timeout=30)
        finally:
            if at is not None and at.poll() is None:
                at.kill()
                at.communicate()
            cli.kill()
            cli.wait()
            cli.stdin.close()
            cli.stdout.close()
        t = adi.Trace(at.returncode, "", adi.load(path), path)
        self.assertWellFormed(t)
        if adi.ptrace():
            ts = [e for e in t.kind("tcp_stream") if e.get("tls")]
            self.assertEqual(sorted(e["tls"]["handshake"] for e in ts), ["seen", "unseen"])
            return
        ev = on_port(t.kind("http_request"), NG.port)
        self.assertEqual([(e["url"], e["status"], e["tls"]["handshake"]) for e in ev],
                         [("/again", 404, "unseen"), ("/new", 404, "seen")])
        self.assertEqual(ev[0]["tls"]["sni"], None)
        self.check_facts(ev[1])

    def test_node_client(self):
        """node's https client: OpenSSL inside node, memory BIOs tied to
        their socket by the ciphertext they hand it"""
        code = ("const https = require('https');\n"
                "const agent = new https.Agent({ keepAlive: true });\n"
                "const get = p => new Promise((ok, ko) => https.get({ host: 'localhost', port: "
                f"{NG.port}, path: p, ca: require('fs').readFileSync('{CERTS}/ca.pem'), agent }},"
                " r => { let b = ''; r.on('data', d => b += d); r.on('end', () => ok(b)); })"
                ".on('error', ko));\n"
                "(async () => { await get('/index.html'); await get('/missing'); "
                "agent.destroy(); })();\n")
        t = adi.run([NODE, "-e", code])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        if adi.ptrace():
            self.check_no_plaintext(t, NG.port, "ptrace backend")
            return
        ev = on_port(t.kind("http_request"), NG.port)
        self.assertEqual([(e["method"], e["url"], e["status"]) for e in ev],
                         [("GET", "/index.html", 200), ("GET", "/missing", 404)])
        for e in ev:
            self.check_facts(e, alpn_offered=[])
        node = [x for x in t.summary["tls"]["libraries"] if x["path"] == NODE]
        self.assertEqual(len(node), 1, t.summary["tls"])
        self.assertNotIn("unknown_sockets", t.summary["tls"])

    def test_node_server(self):
        """node's https server, curl as its client"""
        port = adi.free_port()
        code = ("const https = require('https'), fs = require('fs');\n"
                f"const s = https.createServer({{ key: fs.readFileSync('{CERTS}/srv.key'), "
                f"cert: fs.readFileSync('{CERTS}/srv.pem') }}, (q, r) => {{ let b = '';\n"
                "  q.on('data', d => b += d); q.on('end', () => r.end('node ' + q.url + ' ' + b)); });\n"
                f"s.listen({port}, '127.0.0.1');\n"
                "process.on('SIGTERM', () => s.close(() => process.exit(0)));\n")
        path = os.path.join(self.dir, "node.jsonl")
        srv = subprocess.Popen([adi.BIN, "run", "--format", "json", "-o", path, "--", NODE, "-e",
                                code], stderr=subprocess.DEVNULL)
        try:
            adi.wait_port(port, 30)
            url = f"https://localhost:{port}"
            out = subprocess.run(["curl", "-s", "--cacert", f"{CERTS}/ca.pem", f"{url}/a", "-d",
                                  "body", f"{url}/b"], check=True, capture_output=True, text=True)
            self.assertEqual(out.stdout, "node /a bodynode /b body")
        finally:
            srv.send_signal(signal.SIGINT)
            time.sleep(0.3)
            srv.send_signal(signal.SIGINT)
            srv.wait(30)
        t = adi.Trace(0, "", adi.load(path), path)
        self.assertWellFormed(t)
        if adi.ptrace():
            return  # the probe connection of wait_port makes the tcp_streams vary
        ev = on_port(t.kind("http_request"), port)
        self.assertEqual([(e["method"], e["url"], e["status"], e["req_body"], e["resp_body"],
                           e["conn"]["role"]) for e in ev],
                         [("POST", "/a", 200, "body", "node /a body", "server"),
                          ("POST", "/b", 200, "body", "node /b body", "server")])
        for e in ev:
            self.check_facts(e)


class TlsPostgres(adi.TraceTest):
    """PostgreSQL with ssl=on: SSLRequest, then the handshake (the postgres
    decoder hands over to TLS), then the protocol in the plaintext"""

    @classmethod
    def setUpClass(cls):
        d = tempfile.mkdtemp(prefix="adi-tls-pg-")
        os.chmod(d, 0o755)
        for f in ("srv.pem", "srv.key"):
            shutil.copy(f"{CERTS}/{f}", d)
            shutil.chown(f"{d}/{f}", "postgres")
        os.chmod(f"{d}/srv.key", 0o600)
        cls.keys = d
        cls.pg = dbservers.Postgres(extra=("-c", "ssl=on", "-c", f"ssl_cert_file={d}/srv.pem",
                                           "-c", f"ssl_key_file={d}/srv.key"))

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        shutil.rmtree(cls.keys, ignore_errors=True)

    def pgbench(self, mode):
        script = os.path.join(self.dir, "q.sql")
        with open(script, "w") as f:
            f.write("\\set a 41\nSELECT :a::int + 1 AS x, 'over tls' AS y;\n")
        env = dict(self.pg.env(), PGSSLMODE=mode)
        t = adi.run(["pgbench", "-n", "-M", "extended", "-t", "2", "-f", script,
                     "-h", "127.0.0.1", "-p", str(self.pg.port), "-U", "postgres", "postgres"],
                    env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        return t

    def test_pgbench_params(self):
        t = self.pgbench("require")
        if adi.ptrace():
            ts = [e for e in t.kind("tcp_stream") if e.get("tls")]
            self.assertTrue(ts)
            self.assertEqual(ts[0]["protocol"], "postgres")
            self.assertIn("ptrace backend", ts[0]["tls"]["no_plaintext"])
            return
        ev = [e for e in t.kind("sql_query") if e["sql"] and "over tls" in e["sql"]]
        self.assertEqual(len(ev), 2)
        for e in ev:
            self.assertEqual((e["sql"], e["params"], e["rows_sample"], e["command_tag"]),
                             ("SELECT $1::int + 1 AS x, 'over tls' AS y;", ["41"],
                              [["42", "over tls"]], "SELECT 1"))
            self.assertEqual(e["tls"]["handshake"], "seen")
            self.assertIn(e["tls"]["version"], VERSIONS)
        clear = [e for e in self.pgbench("disable").kind("sql_query")
                 if e["sql"] and "over tls" in e["sql"]]
        strip = ("timestamp", "ts_ns", "duration_ms", "pid", "tid", "conn", "tls", "id",
                 "parent_id", "parent_by", "parent_candidates")
        self.assertEqual([{k: v for k, v in e.items() if k not in strip} for e in ev],
                         [{k: v for k, v in e.items() if k not in strip} for e in clear])

    def test_psql_sslmode_require(self):
        env = dict(self.pg.env(), PGSSLMODE="require")
        t = adi.run(self.pg.psql_argv("SELECT 'tls' AS t"), env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        if adi.ptrace():
            return
        ev = [e for e in t.kind("sql_query") if e["sql"] == "SELECT 'tls' AS t"]
        self.assertEqual(len(ev), 1, t.kind("sql_query"))
        self.assertEqual(ev[0]["rows_sample"], [["tls"]])
        self.assertEqual(ev[0]["user"], "postgres")
        self.assertEqual(ev[0]["tls"]["handshake"], "seen")


class TlsRedis(adi.TraceTest):
    """redis-server --tls-port (Debian builds Redis with TLS)"""

    @classmethod
    def setUpClass(cls):
        cls.port = adi.free_port()
        cls.srv = subprocess.Popen(
            ["redis-server", "--port", "0", "--tls-port", str(cls.port), "--tls-cert-file",
             f"{CERTS}/srv.pem", "--tls-key-file", f"{CERTS}/srv.key", "--tls-auth-clients",
             "no", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        adi.wait_port(cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.srv.terminate()
        cls.srv.wait(10)

    def test_redis_cli_tls(self):
        cli = ["redis-cli", "--tls", "--cacert", f"{CERTS}/ca.pem", "--sni", "localhost",
               "-h", "127.0.0.1", "-p", str(self.port)]
        t = adi.run(cli + ["SET", "tls:k", "secret value"])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        if adi.ptrace():
            ts = [e for e in t.kind("tcp_stream") if e.get("tls")]
            self.assertEqual(ts[0]["tls"]["sni"], "localhost")
            return
        ev = t.kind("redis_command")
        self.assertEqual([(e["command"], e["args"], e["reply"]) for e in ev],
                         [("SET", ["tls:k", "secret value"], "OK")])
        self.assertEqual(ev[0]["tls"]["sni"], "localhost")
        self.assertEqual(ev[0]["tls"]["handshake"], "seen")


if __name__ == "__main__":
    unittest.main(verbosity=2)
