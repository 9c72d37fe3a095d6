"""Connections and tcp_stream events from real sockets on loopback, with the
traced process as client and as server."""
import os
import socket
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

BODY = b"hello from the test server\n"


def serve_once(sock, reply):
    """accept one connection, read a request, answer it, close"""
    c, _ = sock.accept()
    with c:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.sendall(reply)


class Net(adi.TraceTest):
    def test_client_generic_stream(self):
        """a protocol no decoder knows: one tcp_stream with both previews"""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        reply = b"WELCOME to the line protocol\r\n\r\n" + BODY
        th = threading.Thread(target=serve_once, args=(srv, reply))
        th.start()
        prog = f"""
import socket
s = socket.create_connection(("127.0.0.1", {port}))
s.sendall(b"HELO client.example\\r\\n\\r\\n")
got = b""
while True:
    d = s.recv(7)
    if not d:
        break
    got += d
s.close()
"""
        t = adi.run(["/usr/bin/python3", "-c", prog])
        th.join(10)
        srv.close()
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        conns = [e for e in t.kind("connection") if e["conn"]["transport"] == "tcp"]
        self.assertEqual([e["op"] for e in conns], ["connect", "close"])
        c = conns[0]["conn"]
        self.assertEqual(c["remote"], f"127.0.0.1:{port}")
        self.assertTrue(c["local"].startswith("127.0.0.1:"))
        self.assertEqual(c["role"], "client")
        self.assertIsNone(conns[0]["error"])
        self.assertEqual(conns[1]["conn"], c)
        st = t.kind("tcp_stream")
        self.assertEqual(len(st), 1)
        s = st[0]
        self.assertEqual(s["conn"], c)
        self.assertEqual(s["protocol"], "unknown")
        self.assertEqual(s["bytes_in"], len(reply))
        self.assertEqual(s["preview_in"], reply.decode())
        self.assertEqual(s["preview_out"], "HELO client.example\r\n\r\n")
        self.assertEqual(s["bytes_out"], 23)
        self.assertEqual(s["pid"], conns[0]["pid"])
        self.assertEqual(s["ts_ns"], conns[0]["ts_ns"])
        self.assertNotIn("gaps", s)
        self.assertEqual(t.kind("http_request"), [])

    def test_connection_refused_blocking_and_nonblocking(self):
        port = adi.free_port()
        prog = f"""
import socket, errno
s = socket.socket()
try:
    s.connect(("127.0.0.1", {port}))
except ConnectionRefusedError:
    pass
s.close()
"""
        t = adi.run(["/usr/bin/python3", "-c", prog])
        self.assertEqual(t.rc, 0, t.stderr)
        ref = [e for e in t.kind("connection", op="connect")
               if e["conn"]["remote"] == f"127.0.0.1:{port}"]
        self.assertEqual([e["error"] for e in ref], ["ECONNREFUSED"])
        self.assertEqual(t.kind("tcp_stream"), [])
        self.assertEqual(t.kind("connection", op="close"), [])
        # curl connects without blocking: the outcome arrives through
        # SO_ERROR, and must be reported the same way
        t = adi.run(["curl", "-s", f"http://127.0.0.1:{port}/"])
        self.assertEqual(t.rc, 7, t.stderr)
        ref = [e for e in t.kind("connection", op="connect")
               if e["conn"]["remote"] == f"127.0.0.1:{port}"]
        self.assertEqual([e["error"] for e in ref], ["ECONNREFUSED"])
        self.assertEqual(t.kind("tcp_stream"), [])

    def test_server_role_and_ipv6(self):
        port = adi.free_port()
        prog = f"""
import socket
srv = socket.socket(socket.AF_INET6)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("::1", {port}))
srv.listen(1)
open("{self.dir}/ready", "w").close()
c, _ = srv.accept()
req = c.recv(100)
c.sendall(b"pong:" + req)
c.close()
srv.close()
"""
        res = {}

        def client():
            for _ in range(200):
                if os.path.exists(f"{self.dir}/ready"):
                    break
                time.sleep(0.02)
            s = socket.create_connection(("::1", port))
            res["local"] = s.getsockname()[1]
            s.sendall(b"ping")
            res["reply"] = s.recv(100)
            s.close()

        th = threading.Thread(target=client)
        th.start()
        t = adi.run(["/usr/bin/python3", "-c", prog])
        th.join(10)
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertEqual(res["reply"], b"pong:ping")
        acc = t.kind("connection", op="accept")
        self.assertEqual(len(acc), 1)
        c = acc[0]["conn"]
        self.assertEqual((c["local"], c["remote"], c["role"]),
                         (f"[::1]:{port}", f"[::1]:{res['local']}", "server"))
        st = t.kind("tcp_stream")
        self.assertEqual([(s["bytes_in"], s["preview_in"], s["bytes_out"], s["preview_out"])
                          for s in st], [(4, "ping", 9, "pong:ping")])
        self.assertEqual(st[0]["conn"]["role"], "server")

    def test_binary_payload_is_base64(self):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]

        def sink():
            c, _ = srv.accept()
            while c.recv(65536):
                pass
            c.close()

        th = threading.Thread(target=sink)
        th.start()
        prog = f"""
import socket
s = socket.create_connection(("127.0.0.1", {port}))
s.sendall(bytes([0xff, 0x00, 0xfe]) + b"x" * 100000)
s.close()
"""
        t = adi.run(["/usr/bin/python3", "-c", prog], "--body-bytes", "6")
        th.join(10)
        srv.close()
        self.assertEqual(t.rc, 0, t.stderr)
        st = t.kind("tcp_stream")
        self.assertEqual(len(st), 1)
        self.assertEqual(st[0]["bytes_out"], 100003)
        self.assertEqual(st[0]["preview_out"], "base64:/wD+eHh4")  # ff 00 fe x x x
        self.assertEqual(st[0]["bytes_in"], 0)

    def test_unix_socket(self):
        path = f"{self.dir}/s.sock"
        prog = f"""
import socket, os
srv = socket.socket(socket.AF_UNIX)
srv.bind("{path}")
srv.listen(1)
if os.fork() == 0:
    c = socket.socket(socket.AF_UNIX)
    c.connect("{path}")
    c.sendall(b"over unix")
    c.close()
    os._exit(0)
a, _ = srv.accept()
got = a.recv(100)
a.close()
os.wait()
"""
        t = adi.run(["/usr/bin/python3", "-c", prog])
        self.assertEqual(t.rc, 0, t.stderr)
        con = [e for e in t.kind("connection", op="connect") if e["conn"]["remote"] == path]
        acc = [e for e in t.kind("connection", op="accept") if e["conn"]["local"] == path]
        self.assertEqual(len(con), 1)
        self.assertEqual(len(acc), 1)
        self.assertNotEqual(con[0]["pid"], acc[0]["pid"])  # the forked child connected
        self.assertEqual(con[0]["conn"]["transport"], "unix")
        streams = sorted((s["conn"]["role"], s["bytes_out"], s["bytes_in"])
                         for s in t.kind("tcp_stream"))
        self.assertEqual(streams, [("client", 9, 0), ("server", 0, 9)])

    def test_no_false_gaps_when_fin_arrives_with_data(self):
        """A read that also consumes the peer's FIN must not look like a
        gap (the FIN takes a sequence number of its own)."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(64)
        port = srv.getsockname()[1]

        def server():
            for _ in range(30):
                c, _ = srv.accept()
                c.sendall(b"x" * 3000)
                c.close()  # data and FIN back to back

        th = threading.Thread(target=server)
        th.start()
        prog = f"""
import socket, time
for i in range(30):
    s = socket.create_connection(("127.0.0.1", {port}))
    time.sleep(0.002)
    while s.recv(1000 if i % 2 else 65536):
        pass
    s.close()
"""
        t = adi.run(["/usr/bin/python3", "-c", prog])
        th.join(10)
        srv.close()
        self.assertEqual(t.rc, 0, t.stderr)
        st = [e for e in t.kind("tcp_stream") if e["conn"]["remote"] == f"127.0.0.1:{port}"]
        self.assertEqual(len(st), 30)
        self.assertEqual(sorted({e["bytes_in"] for e in st}), [3000])
        self.assertEqual(t.summary["stream_gaps"], 0)

    def test_program_for_this_kernel(self):
        """the eBPF backend loads the syscall program this kernel takes:
        plain loads of kernel structs here (bpf_rdonly_cast, 6.2+); helper
        reads, as on 5.17-6.1, when ADI_FORCE_NO_DIRECT_READS=1 (ctest's
        integ-helper-reads.* run these tests so)"""
        if adi.ptrace():
            return  # an eBPF program choice
        t = adi.run(["true"], env=dict(os.environ, ADI_DEBUG="1"))
        self.assertEqual(t.rc, 0, t.stderr)
        forced = os.environ.get("ADI_FORCE_NO_DIRECT_READS") == "1"
        want = "helper reads" if forced else "plain loads (bpf_rdonly_cast)"
        self.assertIn("syscall programs: payloads whole (bpf_loop), kernel structs by " + want,
                      t.stderr)


if __name__ == "__main__":
    adi.main()
