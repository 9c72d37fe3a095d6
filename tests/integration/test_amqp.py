"""AMQP 0-9-1 decoded from real peers: a private RabbitMQ (Debian's
rabbitmq-server 3.10) started by the test with its own node name, AMQP,
distribution and epmd ports, data and log directories, driven by node's
amqplib (queue and exchange declarations, a binding, publishes with
properties, a consumer and its acks, an empty basic.get, a refused passive
declare) and by a raw client written here (the exact frames, basic.get with
its content); then the broker itself traced (role server). Assertions on
method names, destinations, arguments, content, the pairing with each -ok
and the SASL response never written."""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRV = None


class RabbitMQ:
    """rabbitmq-server as a private node: its own node name, ports, data
    and log directories (owned by the rabbitmq user, which the Debian
    wrapper runs it as), no plugins; its own epmd, stopped afterwards.
    traced: under adi-profiler, its events returned by stop()."""

    def __init__(self, traced=False):
        self.dir = tempfile.mkdtemp(prefix="adi-rmq-")
        self.port = adi.free_port()
        self.epmd_port = adi.free_port()
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[].\n")
        os.makedirs(os.path.join(self.dir, "conf.d"))
        subprocess.run(["chown", "-R", "rabbitmq:rabbitmq", self.dir], check=True)
        self.env = env = dict(os.environ, HOME=self.dir,
                   RABBITMQ_NODENAME="adi%d@localhost" % self.port,
                   RABBITMQ_NODE_IP_ADDRESS="127.0.0.1", RABBITMQ_NODE_PORT=str(self.port),
                   RABBITMQ_DIST_PORT=str(adi.free_port()), ERL_EPMD_PORT=str(self.epmd_port),
                   RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                   RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
                   RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir, "enabled_plugins"),
                   RABBITMQ_PID_FILE=os.path.join(self.dir, "pid"),
                   RABBITMQ_CONFIG_FILES=os.path.join(self.dir, "conf.d"))
        cmd = ["rabbitmq-server"]
        self.trace_path = None
        if traced:
            self.trace_path = os.path.join(tempfile.mkdtemp(prefix="adi-rmqt-"), "t.jsonl")
            cmd = [adi.BIN, "run", "--format", "json", "-o", self.trace_path, "--", *cmd]
        self.log = open(os.path.join(self.dir, "out.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        adi.wait_port(self.port, 90)

    def stop(self):
        # the node is stopped by rabbitmqctl (the wrapper runs it as the
        # rabbitmq user, in a session of its own); then the epmd it started
        subprocess.run(["rabbitmqctl", "-n", self.env["RABBITMQ_NODENAME"], "stop"],
                       env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["epmd", "-kill"], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        self.log.close()
        events = []
        if self.trace_path:
            time.sleep(0.2)
            events = adi.load(self.trace_path)
            shutil.rmtree(os.path.dirname(self.trace_path), ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        return events


def setUpModule():
    global SRV
    SRV = RabbitMQ()


def tearDownModule():
    if SRV:
        SRV.stop()


def ops(events, comm=None):
    return [e for e in events if e["kind"] == "message_op" and e["system"] == "amqp" and
            (comm is None or e["comm"] == comm)]


# A raw AMQP client: the handshake by hand (PLAIN guest/guest), a channel, a
# queue declared, a message published to it by the default exchange, then
# basic.get (get-ok with the content), basic.ack, queue.delete, close. Each
# synchronous method's -ok is read before the next is sent.
RAW_CLIENT = r'''
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
buf = b""
def frame():
    global buf
    while True:
        if len(buf) >= 7:
            t, ch, size = struct.unpack(">BHI", buf[:7])
            if len(buf) >= size + 8:
                p, buf = buf[7:7 + size], buf[size + 8:]
                return t, ch, p
        buf += s.recv(65536)
def method(cls, mid):
    while True:
        t, ch, p = frame()
        if t == 1:
            assert struct.unpack(">HH", p[:4]) == (cls, mid), (struct.unpack(">HH", p[:4]), cls, mid)
            return p
def send(t, ch, p):
    s.sendall(struct.pack(">BHI", t, ch, len(p)) + p + b"\xce")
def m(ch, cls, mid, args=b""):
    send(1, ch, struct.pack(">HH", cls, mid) + args)
ss = lambda b: bytes([len(b)]) + b
ls = lambda b: struct.pack(">I", len(b)) + b
s.sendall(b"AMQP\x00\x00\x09\x01")
method(10, 10)
m(0, 10, 11, ls(b"") + ss(b"PLAIN") + ls(b"\0guest\0guest") + ss(b"en_US"))
tune = method(10, 30)
m(0, 10, 31, tune[4:])
m(0, 10, 40, ss(b"/") + ss(b"") + b"\x00")
method(10, 41)
m(1, 20, 10, ss(b""))
method(20, 11)
m(1, 50, 10, b"\x00\x00" + ss(b"raw.q") + b"\x00" + ls(b""))
method(50, 11)
m(1, 60, 40, b"\x00\x00" + ss(b"") + ss(b"raw.q") + b"\x00")
send(2, 1, struct.pack(">HHQH", 60, 0, 5, 0x9000) + ss(b"text/plain") + bytes([1]))
send(3, 1, b"hello")
m(1, 60, 70, b"\x00\x00" + ss(b"raw.q") + b"\x00")
get_ok = method(60, 71)
frame(); frame()   # its header and body
m(1, 60, 80, get_ok[4:12] + b"\x00")  # its delivery tag
m(1, 50, 40, b"\x00\x00" + ss(b"raw.q") + b"\x00")
method(50, 41)
m(0, 10, 50, struct.pack(">H", 200) + ss(b"bye") + struct.pack(">HH", 0, 0))
method(10, 51)
'''


class AmqpClient(adi.TraceTest):
    def test_raw_client(self):
        t = adi.run(["/usr/bin/python3", "-c", RAW_CLIENT, str(SRV.port)])
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = ops(t.events, "python3")
        self.assertEqual([(e["op"], e["destination"], e["channel"], (e.get("reply") or {}).get("op"))
                          for e in ev], [
            ("connection.start", None, 0, "connection.start-ok"),
            ("connection.tune", None, 0, "connection.tune-ok"),
            ("connection.open", "/", 0, "connection.open-ok"),
            ("channel.open", None, 1, "channel.open-ok"),
            ("queue.declare", "raw.q", 1, "queue.declare-ok"),
            ("basic.publish", "raw.q", 1, None),
            ("basic.get", "raw.q", 1, "basic.get-ok"),
            ("basic.ack", None, 1, None),
            ("queue.delete", "raw.q", 1, "queue.delete-ok"),
            ("connection.close", None, 0, "connection.close-ok"),
        ])
        start = ev[0]
        self.assertEqual(start["reply"]["arguments"]["response"], "<redacted>")
        self.assertEqual(start["arguments"]["version_minor"], 9)
        self.assertIn("product", start["arguments"]["server_properties"])
        self.assertNotIn("\\u0000guest", json.dumps(ev))
        pub = ev[5]
        self.assertEqual((pub["properties"], pub["payload_bytes"], pub["payload"]),
                         ({"content_type": "text/plain", "delivery_mode": 1}, 5, "hello"))
        get = ev[6]
        self.assertEqual((get["reply"]["properties"], get["reply"]["payload"]),
                         ({"content_type": "text/plain", "delivery_mode": 1}, "hello"))
        self.assertEqual(get["reply"]["arguments"]["routing_key"], "raw.q")
        self.assertEqual(ev[4]["reply"]["arguments"]["queue"], "raw.q")
        for e in ev:
            self.assertEqual(e["conn"]["role"], "client")
            self.assertIsNone(e["error"])
            self.assertNotIn("incomplete", e)
            if e.get("reply"):
                self.assertGreater(e["duration_ms"], 0)
        self.assertEqual(t.summary["parse_errors"], 0)

    def test_node_amqplib(self):
        env = dict(os.environ, AMQP_PORT=str(SRV.port))
        t = adi.run(["node", os.path.join(HERE, "node", "amqp_client.js")], env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = ops(t.events, "node")
        names = [e["op"] for e in ev]
        for want in ("connection.start", "connection.tune", "connection.open", "channel.open",
                     "queue.declare", "exchange.declare", "queue.bind", "basic.consume",
                     "basic.cancel", "basic.get", "queue.delete", "exchange.delete",
                     "channel.close", "connection.close"):
            self.assertIn(want, names)
        by = {}
        for e in ev:
            by.setdefault(e["op"], []).append(e)
        pubs = by["basic.publish"]
        self.assertEqual([(e["destination"], e["arguments"]["routing_key"], e["payload"]) for e in pubs],
                         [("adi.x", "rk", "hello"), ("adi.q", "adi.q", "second")])
        self.assertEqual(pubs[0]["properties"]["headers"], {"h": "v"})
        self.assertEqual(pubs[0]["properties"]["message_id"], "m1")
        dl = by["basic.deliver"]
        self.assertEqual([(e["arguments"]["consumer_tag"], e["payload"]) for e in dl],
                         [("adi-c", "hello"), ("adi-c", "second")])
        self.assertEqual([e["arguments"]["delivery_tag"] for e in by["basic.ack"]], [1, 2])
        self.assertEqual(by["basic.get"][0]["reply"]["op"], "basic.get-empty")
        bind = by["queue.bind"][0]
        self.assertEqual((bind["destination"], bind["arguments"]["exchange"],
                          bind["arguments"]["routing_key"]), ("adi.q", "adi.x", "rk"))
        refused = [e for e in by["queue.declare"] if e["destination"] == "adi.missing"]
        self.assertEqual(len(refused), 1)
        self.assertTrue(refused[0]["error"].startswith("NOT_FOUND"), refused[0])
        self.assertNotIn("reply", refused[0])
        close404 = [e for e in by["channel.close"] if e["arguments"]["reply_code"] == 404]
        self.assertEqual(len(close404), 1)
        self.assertEqual(close404[0]["reply"]["op"], "channel.close-ok")
        for e in ev:
            self.assertNotIn("incomplete", e)
        self.assertEqual(t.summary["parse_errors"], 0)


class AmqpServerSide(adi.TraceTest):
    def test_traced_broker(self):
        srv = RabbitMQ(traced=True)
        try:
            subprocess.run(["/usr/bin/python3", "-c", RAW_CLIENT, str(srv.port)], check=True,
                           timeout=60)
        finally:
            events = srv.stop()
        ev = [e for e in ops(events) if e["conn"]["role"] == "server" and e["op"] != "basic.ack"]
        conn = {e["conn"]["id"] for e in ev if e["op"] == "queue.declare"}
        self.assertEqual(len(conn), 1)
        ev = [e for e in ev if e["conn"]["id"] in conn]
        self.assertEqual([e["op"] for e in ev],
                         ["connection.start", "connection.tune", "connection.open", "channel.open",
                          "queue.declare", "basic.publish", "basic.get", "queue.delete",
                          "connection.close"])
        self.assertEqual(ev[5]["payload"], "hello")
        self.assertEqual(ev[6]["reply"]["payload"], "hello")
        for e in ev:
            self.assertNotIn("incomplete", e)


if __name__ == "__main__":
    adi.main()
