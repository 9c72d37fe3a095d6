"""attach --pid and attach --container, for real: a running HTTP server
(python3's http.server and nginx) traced from the middle of its life, a
keep-alive connection joined mid-stream, a process tree, Ctrl-C during a
busy trace, errors, and a "container" made here (a cgroup v2 directory
named the way Docker names scopes, with its own PID, mount and network
namespaces) found by id prefix and through a Docker Engine API served on a
Unix socket."""
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

PY = "/usr/bin/python3"


class Attach:
    """`adi-profiler attach ...` in the background; stop() sends SIGINT
    (as Ctrl-C does) and returns the trace."""

    def __init__(self, *args):
        fd, self.path = tempfile.mkstemp(prefix="adi-attach-", suffix=".jsonl")
        os.close(fd)
        self.p = subprocess.Popen([adi.BIN, "attach", *args, "--format", "json",
                                   "-o", self.path],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # the profiler says when the target is in the filter
        line = self.p.stderr.readline().decode()
        if "attached to" not in line:
            out, err = self.p.communicate(timeout=10)
            raise AssertionError("attach failed: %s%s" % (line, err.decode()))
        self.banner = line

    def stop(self, sig=signal.SIGINT, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        _, err = self.p.communicate(timeout=timeout)
        events = adi.load(self.path)
        os.unlink(self.path)
        return adi.Trace(self.p.returncode, self.banner + err.decode(), events, self.path)


def http_get(port, path, conn=None):
    s = conn or socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    f = s.makefile("rb")
    status = f.readline()
    length = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        if h.lower().startswith(b"content-length:"):
            length = int(h.split(b":")[1])
    f.read(length)
    return s, int(status.split()[1])


KEEPALIVE_SERVER = r'''
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("you asked for %s\n" % self.path).encode()
        self.send_response(200 if self.path != "/missing" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


def keepalive_server(tc, name):
    """KEEPALIVE_SERVER written to tc.dir/name and started on a free port,
    killed at tc's cleanup: (process, port) once it listens"""
    port = adi.free_port()
    prog = os.path.join(tc.dir, name)
    with open(prog, "w") as f:
        f.write(KEEPALIVE_SERVER)
    srv = subprocess.Popen([PY, prog, str(port)])
    tc.addCleanup(lambda: (srv.kill(), srv.wait()))
    adi.wait_port(port)
    return srv, port


class AttachPidTest(adi.TraceTest):
    def test_server_requests_after_attach(self):
        srv, port = keepalive_server(self, "server.py")
        http_get(port, "/before")[0].close()  # not traced: before attach
        a = Attach("--pid", str(srv.pid))
        for p in ("/one", "/two?x=1", "/missing"):
            http_get(port, p)[0].close()
        time.sleep(0.3)
        t = a.stop()
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        reqs = t.kind("http_request")
        self.assertEqual([(e["method"], e["url"], e["status"]) for e in reqs],
                         [("GET", "/one", 200), ("GET", "/two?x=1", 200),
                          ("GET", "/missing", 404)])
        for e in reqs:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertEqual(e["pid"], srv.pid)
            self.assertEqual(e["resp_body"], "you asked for %s\n" % e["url"])
        self.assertEqual(t.summary["dropped"], 0)
        # the target is left running
        self.assertIsNone(srv.poll())
        s, st = http_get(port, "/after")
        s.close()
        self.assertEqual(st, 200)

    def test_nginx_same_events_as_a_run(self):
        # nginx running before the trace; the same curl workload seen from
        # the client (run) and from the attached server must agree
        import test_http
        root = tempfile.mkdtemp(prefix="adi-nginx-", dir=self.dir)
        ng = test_http.Nginx(root)
        self.addCleanup(ng.stop)
        a = Attach("--pid", str(ng.proc.pid))
        t = adi.run(["curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                     "-o", "/dev/null", ng.url("/index.html"), ng.url("/missing"),
                     ng.url("/big.bin"), ng.url("/text.txt")])
        self.assertEqual(t.rc, 0, t.stderr)
        t2 = adi.run(["curl", "-s", "-I", ng.url("/index.html")])
        time.sleep(0.3)
        srv = a.stop()
        self.assertEqual(srv.rc, 0, srv.stderr)
        self.assertWellFormed(srv)

        def key(e):
            return (e["method"], e["url"], e["status"], e["req_bytes"], e["resp_bytes"],
                    e["resp_headers"].get("content-length"))
        client = [key(e) for tr in (t, t2) for e in tr.kind("http_request")]
        served = [key(e) for e in srv.kind("http_request")]
        self.assertEqual(len(client), 5)
        self.assertEqual(served, client)
        for e in srv.kind("http_request"):
            self.assertEqual(e["conn"]["role"], "server")
            self.assertEqual(e["pid"], ng.proc.pid)
        self.assertEqual(srv.summary["dropped"], 0)

    def test_postgres_same_queries_as_a_run(self):
        # a PostgreSQL server running before the trace: attach to the
        # postmaster; the backend it forks for psql's connection is traced
        # through the fork, and its events (server side) equal psql's own
        import dbservers
        pg = dbservers.Postgres()
        self.addCleanup(pg.stop)
        a = Attach("--pid", str(pg.proc.pid))
        t = adi.run(pg.psql_argv("CREATE TABLE at (id int, v text); "
                                 "INSERT INTO at VALUES (1, 'one'), (2, NULL); "
                                 "SELECT * FROM at ORDER BY id; SELECT 1/0; DROP TABLE at"))
        self.assertEqual(t.rc, 1, t.stderr)  # psql reports the division by zero
        time.sleep(0.5)
        srv = a.stop()
        self.assertEqual(srv.rc, 0, srv.stderr)
        self.assertWellFormed(srv)

        def key(e):
            return (e["sql"], e["params"], e["command_tag"], e["rows"], e["rows_sample"],
                    e["columns"], (e["error"] or {}).get("code"), e["tx"], e["user"],
                    e["database"])
        client = [key(e) for e in t.kind("sql_query")]
        served = [key(e) for e in srv.kind("sql_query") if e["sql"] is not None]
        self.assertEqual(len(client), 4)   # the statement after the error never ran
        self.assertEqual(served, client)
        for e in srv.kind("sql_query"):
            self.assertEqual(e["conn"]["role"], "server")
            self.assertNotEqual(e["pid"], pg.proc.pid)  # a backend, forked after attach
        self.assertEqual(srv.summary["dropped"], 0)

    def test_redis_same_commands_as_a_run(self):
        import test_redis
        rs = test_redis.RedisServer()
        self.addCleanup(rs.stop)
        rs.cli("set", "before", "attach")    # not traced
        a = Attach("--pid", str(rs.proc.pid))
        # one command per redis-cli run (without a terminal it asks nothing
        # else); each run a connection of its own
        cmds = [["SET", "k1", "v1"], ["GET", "k1"], ["INCR", "n"], ["LPUSH", "l", "a", "b", "c"],
                ["LRANGE", "l", "0", "-1"], ["GET", "missing"]]
        events = []
        for c in cmds:
            t = adi.run(rs.cli_argv(*c))
            self.assertEqual(t.rc, 0, t.stderr)
            events += t.kind("redis_command")
        time.sleep(0.3)
        srv = a.stop()
        self.assertEqual(srv.rc, 0, srv.stderr)

        def key(e):
            return (e["command"], e["args"], e["reply"], e["error"])
        client = [key(e) for e in events]
        served = [key(e) for e in srv.kind("redis_command")]
        self.assertEqual(served, client)
        self.assertIn(("LRANGE", ["l", "0", "-1"], ["c", "b", "a"], None), served)
        self.assertIn(("GET", ["missing"], None, None), served)
        self.assertNotIn("before", [a for c in served for a in c[1]])
        for e in srv.kind("redis_command"):
            self.assertEqual(e["conn"]["role"], "server")
        self.assertEqual(srv.summary["dropped"], 0)

    def test_keepalive_joined_mid_stream(self):
        srv, port = keepalive_server(self, "server.py")
        conn, st = http_get(port, "/first")   # a whole exchange before attach
        self.assertEqual(st, 200)
        # half a request before attach, the rest after: the partial one
        # must not be reported as fact, the later ones are decoded
        conn.sendall(b"GET /partial HTTP/1.1\r\nHo")
        time.sleep(0.3)
        a = Attach("--pid", str(srv.pid))
        conn.sendall(b"st: x\r\n\r\n")
        f = conn.makefile("rb")
        self.assertIn(b"200", f.readline())
        while f.readline() not in (b"\r\n", b""):
            pass
        f.read(len("you asked for /partial\n"))
        for p in ("/second", "/third"):
            http_get(port, p, conn)
        time.sleep(0.3)
        t = a.stop()
        conn.close()
        self.assertEqual(t.rc, 0, t.stderr)
        reqs = t.kind("http_request")
        urls = [e["url"] for e in reqs]
        self.assertEqual(urls[-2:], ["/second", "/third"])
        self.assertNotIn("/first", urls)
        # the tail of the partial request is skipped and counted, or (when
        # the response alone was seen) reported without a request line
        for e in reqs[:-2]:
            self.assertIsNone(e["url"])
        self.assertEqual(len(reqs), 2 + len(reqs[:-2]))
        # the tail of the partial request was skipped and counted; a backend
        # that cannot see the read already blocked at attach (ptrace) saw
        # no byte of it, and shows the lone response instead
        self.assertTrue(t.summary["parse_skipped_bytes"] > 0 or reqs[:-2],
                        t.summary)
        self.assertEqual(reqs[-1]["conn"]["role"], "server")

    def attach_until_written(self, proc, mark, out, content, banner=None):
        # attach to proc, let it go on (mark), and expect the one write of
        # content to out it then makes; the stopped trace is returned
        a = Attach("--pid", str(proc.pid))
        if banner:
            self.assertRegex(a.banner, banner)
        open(mark, "w").close()
        proc.wait(10)
        t = a.stop()
        self.assertEqual(t.rc, 0, t.stderr)
        w = [e for e in t.files(out) if e["op"] == "write"]
        self.assertEqual(len(w), 1)
        self.assertEqual(w[0]["content"], content)
        return t

    def test_children_and_new_processes(self):
        # a shell with a child started before attach; both, and what the
        # shell starts afterwards, are traced
        mark = os.path.join(self.dir, "go")
        out = os.path.join(self.dir, "out")
        script = ("sleep 30 & while [ ! -e %s ]; do sleep 0.05; done; "
                  "echo child-done > %s; kill $!" % (mark, out))
        sh = subprocess.Popen(["/bin/sh", "-c", script])
        self.addCleanup(lambda: (sh.kill(), sh.wait()))
        time.sleep(0.3)
        t = self.attach_until_written(sh, mark, out, "child-done\n",
                                      # the shell, its sleep 30, maybe a sleep 0.05
                                      banner=r"\(\d+ processes\)")
        exits = t.kind("process", op="exit")
        self.assertIn(sh.pid, [e["pid"] for e in exits])
        # the sleep started before attach was traced too: its exit by SIGTERM
        self.assertTrue([e for e in exits if e["comm"] == "sleep"])

    def test_exited_child_not_reaped_yet(self):
        # a child that has exited but is not reaped (a zombie, as a shell's
        # short `sleep` is for a moment) is still in the tree /proc shows,
        # and ptrace refuses it: the attach goes on without it
        mark = os.path.join(self.dir, "go")
        out = os.path.join(self.dir, "out")
        prog = ("import os,time\nif os.fork() == 0:\n    os._exit(0)\n"
                "while not os.path.exists(%r):\n    time.sleep(0.05)\n"
                "open(%r, 'w').write('parent-done\\n')\n" % (mark, out))
        p = subprocess.Popen([sys.executable, "-c", prog])
        self.addCleanup(lambda: (p.kill(), p.wait()))
        time.sleep(0.5)  # the child has exited by now, unreaped
        self.attach_until_written(p, mark, out, "parent-done\n")

    def test_ctrl_c_during_busy_trace_loses_nothing(self):
        # fixed-width numbered lines: what the trace holds of the file must
        # be a run of consecutive lines ending at the writer's last one
        path = os.path.join(self.dir, "busy.log")
        prog = ("import os,sys\nfd=os.open(%r, os.O_WRONLY|os.O_CREAT|os.O_TRUNC)\n"
                "i=0\nwhile True:\n    os.write(fd, b'%%08d\\n' %% i)\n    i+=1\n" % path)
        w = subprocess.Popen([PY, "-c", prog])
        self.addCleanup(lambda: (w.kill(), w.wait()))
        time.sleep(0.3)
        a = Attach("--pid", str(w.pid))
        time.sleep(1.0)
        os.kill(w.pid, signal.SIGSTOP)   # nothing more is written
        t = a.stop()
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        rec = t.summary["records"]
        self.assertEqual(t.summary["dropped"], 0)
        self.assertEqual(rec["produced"], rec["delivered"])
        with open(path, "rb") as f:
            data = f.read()
        last = int(data[-9:-1])
        writes = [e for e in t.files(path) if e["op"] == "write"]
        self.assertTrue(writes)
        first = int(writes[0]["content"][:8])
        # what to look at when it fails (it failed once in CI, one op
        # short, and did not again in 15 runs): the runs' ends and counts
        why = "first %d last %d, %d events; first %s; last %s; summary %s" % (
            first, last, len(writes),
            {k: str(writes[0].get(k))[:40] for k in ("ts_ns", "ops", "bytes", "fd", "content")},
            {k: writes[-1].get(k) for k in ("ts_ns", "ops", "bytes", "fd")},
            {k: t.summary.get(k) for k in ("records", "dropped", "out_of_order", "lost")})
        self.assertEqual(sum(e["ops"] for e in writes), last - first + 1, why)
        self.assertEqual(sum(e["bytes"] for e in writes), 9 * (last - first + 1))
        self.assertGreater(last - first, 1000)

    def test_errors(self):
        # an unknown pid: one line, exit 1
        p = subprocess.run([adi.BIN, "attach", "--pid", "4000000"], capture_output=True)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.decode().strip().count("\n"), 0)
        self.assertIn("no process with pid 4000000", p.stderr.decode())
        # a process that is already gone
        q = subprocess.Popen(["true"])
        q.wait()
        p = subprocess.run([adi.BIN, "attach", "--pid", str(q.pid)], capture_output=True)
        self.assertEqual(p.returncode, 1)
        # both --pid and --container, or neither: usage error
        p = subprocess.run([adi.BIN, "attach"], capture_output=True)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([adi.BIN, "attach", "--container", "zz-no-such"],
                           capture_output=True, env=dict(os.environ, DOCKER_HOST=""))
        self.assertEqual(p.returncode, 1)
        self.assertIn("zz-no-such", p.stderr.decode())

    def test_duration(self):
        srv, port = keepalive_server(self, "server.py")
        t0 = time.time()
        # the timeline of attach goes to stderr unless -o says otherwise
        p = subprocess.run([adi.BIN, "attach", "--pid", str(srv.pid), "--duration", "1",
                            "--format", "json", "-o", "-"], capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(time.time() - t0, 5)
        self.assertIn(b'"kind":"trace_summary"', p.stdout)
        self.assertIsNone(srv.poll())


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, typ = line.split()[:3]
            if typ == "cgroup2":
                return mnt
    raise RuntimeError("no cgroup v2 hierarchy")


# Inside the "container": its own PID, mount and network namespaces, a
# loopback HTTP server and a client that asks it twice.
INSIDE = r'''
set -e
ip link set lo up
python3 -c '
import http.server, socketserver, threading, urllib.request, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = b"inside\n"; self.send_response(200)
        self.send_header("Content-Length", "7"); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 8088), H)
threading.Thread(target=s.serve_forever, daemon=True).start()
import sys
open(sys.argv[1], "w").close()
while True:
    import os
    if os.path.exists(sys.argv[2]):
        for p in ("/in-1", "/in-2"):
            urllib.request.urlopen("http://127.0.0.1:8088" + p).read()
        break
    time.sleep(0.05)
' "$1" "$2"
'''


class EngineAPI(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class AttachContainerTest(adi.TraceTest):
    def make_container(self):
        cid = secrets.token_hex(32)
        parent = os.path.join(cgroup2_root(), "adi-test-%d" % os.getpid())
        cg = os.path.join(parent, "docker-%s.scope" % cid)
        os.makedirs(cg)
        self.addCleanup(self.remove_cgroup, parent, cg)
        ready = os.path.join(self.dir, "ready")
        go = os.path.join(self.dir, "go")
        script = os.path.join(self.dir, "inside.sh")
        with open(script, "w") as f:
            f.write(INSIDE)
        # enter the cgroup first, then the new namespaces (as runc does)
        argv = ["/bin/sh", "-c", 'echo $$ > "%s/cgroup.procs"; exec unshare --pid --mount '
                '--net --fork --mount-proc /bin/sh "%s" "%s" "%s"' % (cg, script, ready, go)]
        p = subprocess.Popen(argv)
        self.addCleanup(lambda: (p.kill(), p.wait()))
        end = time.time() + 10
        while not os.path.exists(ready):
            self.assertLess(time.time(), end, "the container did not start")
            self.assertIsNone(p.poll())
            time.sleep(0.05)
        return cid, cg, p, go

    def remove_cgroup(self, parent, cg):
        for d in (cg, parent):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    try:
                        with open(os.path.join(d, "cgroup.procs")) as f:
                            for pid in f.read().split():
                                os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
                    time.sleep(0.1)

    def outside_client(self, port):
        # the same work outside the container: must not be reported
        http_get(port, "/outside")[0].close()

    def check_container_trace(self, t, cid, cg):
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        reqs = t.kind("http_request")
        got = sorted((e["url"], e["conn"]["role"]) for e in reqs)
        # the client's and the server's view of each request
        self.assertEqual(got, [("/in-1", "client"), ("/in-1", "server"),
                               ("/in-2", "client"), ("/in-2", "server")])
        for e in t.events[:-1]:
            self.assertEqual(e["container"], cid, e)
            # the cgroup (v2) id is its directory's inode number
            self.assertEqual(e["cgroup_id"], os.stat(cg).st_ino, e)
        self.assertNotIn("/outside", [e["url"] for e in reqs])

    def test_by_id_prefix(self):
        port = keepalive_server(self, "outside.py")[1]
        cid, cg, p, go = self.make_container()
        a = Attach("--container", cid[:12])
        self.assertIn(cid[:12], a.banner)
        self.assertIn("found through cgroup", a.banner)
        open(go, "w").close()
        self.outside_client(port)
        p.wait(10)
        t = a.stop()
        self.check_container_trace(t, cid, cg)

    def test_by_name_through_docker_api(self):
        port = keepalive_server(self, "outside.py")[1]
        cid, cg, p, go = self.make_container()
        sock = os.path.join(self.dir, "docker.sock")
        asked = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                asked.append(self.path)
                m = re.match(r"^(/v[0-9.]+)?/containers/([^/]+)/json$", self.path)
                if m and m.group(2) == "api-test":
                    # the Engine API's documented shape (ContainerInspect)
                    body = json.dumps({"Id": cid, "Name": "/api-test",
                                       "State": {"Status": "running", "Running": True,
                                                 "Pid": p.pid},
                                       "Config": {"Image": "debian"}}).encode()
                    self.send_response(200)
                else:
                    body = b'{"message":"No such container: x"}'
                    self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

            def address_string(self):
                return "unix"

        api = EngineAPI(sock, Handler)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        self.addCleanup(api.server_close)
        self.addCleanup(api.shutdown)
        os.environ["DOCKER_HOST"] = "unix://" + sock
        try:
            a = Attach("--container", "api-test")
            miss = subprocess.run([adi.BIN, "attach", "--container", "nope"],
                                  capture_output=True)
        finally:
            del os.environ["DOCKER_HOST"]
        self.assertIn("found through docker", a.banner)
        self.assertIn("/containers/api-test/json", asked)
        self.assertEqual(miss.returncode, 1)
        self.assertIn("nope", miss.stderr.decode())
        open(go, "w").close()
        self.outside_client(port)
        p.wait(10)
        t = a.stop()
        self.check_container_trace(t, cid, cg)


if __name__ == "__main__":
    adi.main()
