"""memcached decoded from real peers: a private memcached (Debian's) on a
free loopback port, driven by a text client written here on raw sockets
(every command family, noreply, a multi-get, meta commands), by
libmemcached's tools (memccp / memccat / memcrm, text and --binary) and by
node's memjs (the binary protocol); and the server itself traced (role
server). Exact assertions on command, keys, values, status and hits."""
import os
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MEMCACHED = "/usr/bin/memcached"
SRV = None


class Memcached:
    """memcached on a free loopback port (UDP off); traced: run under
    adi-profiler, its events returned by stop()."""

    def __init__(self, traced=False):
        self.port = adi.free_port()
        cmd = [MEMCACHED, "-u", "root", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
               "-m", "16"]
        self.trace_path = None
        if traced:
            fd, self.trace_path = tempfile.mkstemp(prefix="adi-mc-", suffix=".jsonl")
            os.close(fd)
            cmd = [adi.BIN, "run", "--format", "json", "-o", self.trace_path, "--", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        adi.wait_port(self.port, 20)

    def stop(self):
        """stop it; a traced server's events (else [])"""
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        events = []
        if self.trace_path:
            # adi-profiler ends with the server it ran
            time.sleep(0.2)
            if os.path.exists(self.trace_path):
                events = adi.load(self.trace_path)
                os.unlink(self.trace_path)
        return events


def setUpModule():
    global SRV
    SRV = Memcached()


def tearDownModule():
    if SRV:
        SRV.stop()


def cmds(t, comm=None):
    return [e for e in t.kind("memcached_command") if comm is None or e["comm"] == comm]


def brief(e):
    return (e["command"], e["keys"], e["args"], e["status"], e["error"])


# A raw-socket text client: one command at a time, each reply read whole
# (it ends in a line the command's family ends with) before the next.
TEXT_CLIENT = r'''
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")

def ask(cmd, ends):
    s.sendall(cmd)
    out = b""
    while True:
        line = f.readline()
        out += line
        if any(line.startswith(e) for e in ends):
            return out

ask(b"set t:k 7 0 5\r\nhello\r\n", [b"STORED"])
ask(b"set t:n 0 0 2\r\n10\r\n", [b"STORED"])
ask(b"get t:k t:none t:n\r\n", [b"END"])
r = ask(b"gets t:k\r\n", [b"END"])
cas = r.split(b"\r\n")[0].split()[4]
ask(b"cas t:k 0 0 3 " + cas + b"\r\nbye\r\n", [b"STORED", b"EXISTS"])
ask(b"cas t:k 0 0 3 " + cas + b"\r\nbye\r\n", [b"STORED", b"EXISTS"])
ask(b"incr t:n 5\r\n", [b"1"])
ask(b"append t:k 0 0 1 noreply\r\n!\r\nget t:k\r\n", [b"END"])
ask(b"delete t:k\r\n", [b"DELETED"])
ask(b"touch t:k 10\r\n", [b"NOT_FOUND"])
ask(b"ms t:m 2 T60\r\nhi\r\n", [b"HD"])
ask(b"mg t:m v\r\n", [b"VA"]); f.readline()
ask(b"nosuchcommand\r\n", [b"ERROR"])
ask(b"version\r\n", [b"VERSION"])
s.sendall(b"quit\r\n")
f.read()
'''


class MemcachedClient(adi.TraceTest):
    def test_text_raw_client(self):
        t = adi.run(["/usr/bin/python3", "-c", TEXT_CLIENT, str(SRV.port)])
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "python3")
        self.assertEqual([brief(e) for e in ev], [
            ("set", ["t:k"], [], "STORED", None),
            ("set", ["t:n"], [], "STORED", None),
            ("get", ["t:k", "t:none", "t:n"], [], "END", None),
            ("gets", ["t:k"], [], "END", None),
            ("cas", ["t:k"], [], "STORED", None),
            ("cas", ["t:k"], [], "EXISTS", None),
            ("incr", ["t:n"], ["5"], None, None),
            ("append", ["t:k"], [], None, None),
            ("get", ["t:k"], [], "END", None),
            ("delete", ["t:k"], [], "DELETED", None),
            ("touch", ["t:k"], ["10"], "NOT_FOUND", None),
            ("ms", ["t:m"], ["T60"], "HD", None),
            ("mg", ["t:m"], ["v"], "VA", None),
            ("nosuchcommand", [], [], "ERROR", "ERROR"),
            ("version", [], [], "VERSION", None),
            ("quit", [], [], None, None),
        ])
        self.assertEqual(len({e["conn"]["id"] for e in ev}), 1)
        st, get, gets, cas = ev[0], ev[2], ev[3], ev[4]
        self.assertEqual((st["flags"], st["exptime"], st["value_bytes"], st["value"]),
                         (7, 0, 5, "hello"))
        self.assertEqual((st["req_bytes"], st["resp_bytes"]), (len("set t:k 7 0 5\r\nhello\r\n"), 8))
        self.assertEqual(get["values"], [{"key": "t:k", "flags": 7, "bytes": 5, "value": "hello"},
                                         {"key": "t:n", "flags": 0, "bytes": 2, "value": "10"}])
        self.assertEqual((get["hits"], get["misses"]), (2, 1))
        self.assertEqual(gets["values"][0]["cas"], cas["cas"])
        self.assertEqual(ev[6]["result"], 15)
        self.assertIs(ev[7]["noreply"], True)
        self.assertIsNone(ev[7]["duration_ms"])
        self.assertEqual(ev[8]["values"][0]["value"], "bye!")
        self.assertEqual(ev[12]["values"], [{"bytes": 2, "value": "hi"}])
        self.assertTrue(ev[14]["result"].startswith("1."), ev[14]["result"])
        for e in ev:
            self.assertEqual(e["protocol"], "text")
            self.assertEqual(e["conn"]["role"], "client")
            self.assertEqual(e["conn"]["remote"], "127.0.0.1:%d" % SRV.port)
            self.assertFalse(e["truncated"])
            self.assertNotIn("incomplete", e)
            if e["command"] not in ("append", "quit"):
                self.assertGreater(e["duration_ms"], 0)
        self.assertEqual(t.summary["parse_errors"], 0)
        self.assertEqual(t.kind("tcp_stream"), [])

    def check_tools(self, binary):
        """memccp, memccat, memcrm (libmemcached): one connection each"""
        path = os.path.join(self.dir, "lm_file")
        with open(path, "w") as f:
            f.write("from a file")
        srv = "--servers=127.0.0.1:%d" % SRV.port
        opt = " --binary" if binary else ""
        t = adi.run(["sh", "-c", f"cd {self.dir} && memccp {srv}{opt} lm_file && "
                     f"memccat {srv}{opt} lm_file && memcrm {srv}{opt} lm_file"])
        self.assertEqual(t.rc, 0, t.stderr)
        ev = [e for e in cmds(t) if e["comm"].startswith("memc")]
        by = {e["comm"]: e for e in ev if e["keys"] == ["lm_file"]}
        self.assertEqual(set(by), {"memccp", "memccat", "memcrm"}, [brief(e) for e in ev])
        self.assertEqual(by["memccp"]["command"], "set")
        self.assertEqual(by["memccp"]["value"], "from a file")
        self.assertIn(by["memccat"]["command"], ("get", "getk"))
        self.assertEqual(by["memccat"]["values"][0]["value"], "from a file")
        self.assertEqual(by["memccat"]["hits"], 1)
        self.assertEqual(by["memcrm"]["command"], "delete")
        for e in ev:
            self.assertEqual(e["protocol"], "binary" if binary else "text")
            self.assertNotIn("incomplete", e)
        self.assertEqual(by["memccp"]["status"], "NO_ERROR" if binary else "STORED")
        self.assertEqual(by["memcrm"]["status"], "NO_ERROR" if binary else "DELETED")

    def test_libmemcached_text(self):
        self.check_tools(False)

    def test_libmemcached_binary(self):
        self.check_tools(True)

    def test_memjs_binary(self):
        env = dict(os.environ, MEMCACHED_PORT=str(SRV.port))
        t = adi.run(["node", os.path.join(HERE, "node", "memcached_client.js")], env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t)
        self.assertEqual([brief(e) for e in ev], [
            ("set", ["js:k"], [], "NO_ERROR", None),
            ("get", ["js:k"], [], "NO_ERROR", None),
            ("get", ["js:none"], [], "KEY_NOT_FOUND", "Not found"),
            ("add", ["js:k"], [], "KEY_EXISTS", "Data exists for key."),
            ("increment", ["js:n"], ["5", "10"], "NO_ERROR", None),
            ("delete", ["js:k"], [], "NO_ERROR", None),
            ("quit", [], [], "NO_ERROR", None),
        ])
        self.assertEqual(ev[0]["value"], "hello")
        self.assertEqual((ev[1]["values"][0]["value"], ev[1]["hits"]), ("hello", 1))
        self.assertEqual((ev[2]["values"], ev[2]["misses"]), ([], 1))
        self.assertEqual(ev[4]["result"], 10)
        for e in ev:
            self.assertEqual(e["protocol"], "binary")
            self.assertEqual(e["conn"]["role"], "client")
            self.assertNotIn("incomplete", e)


class MemcachedServerSide(adi.TraceTest):
    def test_traced_server(self):
        srv = Memcached(traced=True)
        try:
            subprocess.run(["/usr/bin/python3", "-c", TEXT_CLIENT, str(srv.port)], check=True,
                           timeout=30)
            env = dict(os.environ, MEMCACHED_PORT=str(srv.port))
            subprocess.run(["node", os.path.join(HERE, "node", "memcached_client.js")],
                           env=env, check=True, timeout=30, stdout=subprocess.DEVNULL)
        finally:
            events = srv.stop()
        ev = [e for e in events if e["kind"] == "memcached_command"]
        text = [e for e in ev if e["protocol"] == "text"]
        binary = [e for e in ev if e["protocol"] == "binary"]
        self.assertEqual([e["command"] for e in text],
                         ["set", "set", "get", "gets", "cas", "cas", "incr", "append", "get",
                          "delete", "touch", "ms", "mg", "nosuchcommand", "version", "quit"])
        self.assertEqual([e["command"] for e in binary],
                         ["set", "get", "get", "add", "increment", "delete", "quit"])
        for e in ev:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertEqual(e["comm"], "memcached")
            self.assertNotIn("incomplete", e)
        self.assertEqual(text[2]["hits"], 2)


if __name__ == "__main__":
    adi.main()
