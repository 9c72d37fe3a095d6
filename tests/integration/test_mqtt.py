"""MQTT decoded from real peers: a private mosquitto (Debian's, 2.0) on a
free loopback port, driven by MQTT.js (npm `mqtt`) at 3.1.1 and 5.0
(subscribe, QoS 0/1/2 publishes and their deliveries, unsubscribe,
disconnect) and by mosquitto_pub / mosquitto_sub (a user name and password:
never written; 5.0 user properties); and the broker itself traced (role
server). Assertions on op, topic, QoS, payload, the answers paired by packet
identifier, reason codes."""
import json
import os
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MOSQUITTO = "/usr/sbin/mosquitto"
SRV = None


class Mosquitto:
    """mosquitto on a free loopback port, anonymous, no persistence;
    traced: under adi-profiler, its events returned by stop()."""

    def __init__(self, traced=False):
        self.port = adi.free_port()
        self.conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
        self.conf.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "log_dest none\n" % self.port)
        self.conf.close()
        cmd = [MOSQUITTO, "-c", self.conf.name]
        self.trace_path = None
        if traced:
            fd, self.trace_path = tempfile.mkstemp(prefix="adi-mqtt-", suffix=".jsonl")
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
        os.unlink(self.conf.name)
        events = []
        if self.trace_path:
            time.sleep(0.2)
            events = adi.load(self.trace_path)
            os.unlink(self.trace_path)
        return events


def setUpModule():
    global SRV
    SRV = Mosquitto()


def tearDownModule():
    if SRV:
        SRV.stop()


def ops(events, comm=None):
    return [e for e in events if e["kind"] == "message_op" and e["system"] == "mqtt" and
            (comm is None or e["comm"] == comm)]


class MqttClient(adi.TraceTest):
    def check_node(self, level):
        env = dict(os.environ, MQTT_PORT=str(SRV.port), MQTT_VERSION=str(level))
        t = adi.run(["node", os.path.join(HERE, "node", "mqtt_client.js")], env=env)
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = ops(t.events, "node")
        conn = ev[0]
        self.assertEqual((conn["op"], conn["protocol_version"], conn["client_id"]),
                         ("CONNECT", "5.0" if level == 5 else "3.1.1", "adi-node-%d" % level))
        self.assertEqual((conn["error"], conn["reason_code"], conn["session_present"]),
                         (None, 0, False))
        self.assertIsNotNone(conn["duration_ms"])
        sub = [e for e in ev if e["op"] == "SUBSCRIBE"]
        self.assertEqual([(e["destination"], e["topics"], e["reason_codes"]) for e in sub],
                         [("adi/#", [{"filter": "adi/#", "qos": 1}], [1])])
        pubs = {e["destination"]: e for e in ev if e["op"] == "PUBLISH" and e["sender"] == "client"}
        self.assertEqual({k: (e["qos"], e["payload"]) for k, e in pubs.items()},
                         {"adi/q0": (0, "zero"), "adi/q1": (1, "one"), "adi/q2": (2, "two")})
        self.assertIsNone(pubs["adi/q0"]["duration_ms"])         # QoS 0: no answer
        for k in ("adi/q1", "adi/q2"):                            # PUBACK, PUBREC
            self.assertIsNotNone(pubs[k]["duration_ms"])
            self.assertGreater(pubs[k]["resp_bytes"], 0)
        rel = [e for e in ev if e["op"] == "PUBREL"]
        self.assertEqual([e["packet_id"] for e in rel], [pubs["adi/q2"]["packet_id"]])
        self.assertGreater(rel[0]["resp_bytes"], 0)               # its PUBCOMP
        dl = {e["destination"]: e for e in ev if e["op"] == "PUBLISH" and e["sender"] == "server"}
        self.assertEqual({k: (e["qos"], e["payload"]) for k, e in dl.items()},
                         {"adi/q0": (0, "zero"), "adi/q1": (1, "one"), "adi/q2": (1, "two")})
        for k in ("adi/q1", "adi/q2"):                            # the client's PUBACK
            self.assertGreater(dl[k]["resp_bytes"], 0)
        if level == 5:
            self.assertEqual(pubs["adi/q1"]["properties"], {"user_properties": [["k", "v"]]})
            self.assertEqual(dl["adi/q1"]["properties"], {"user_properties": [["k", "v"]]})
        unsub = [e for e in ev if e["op"] == "UNSUBSCRIBE"]
        self.assertEqual([(e["destination"], e["topics"]) for e in unsub], [("adi/#", ["adi/#"])])
        self.assertIsNotNone(unsub[0]["duration_ms"])
        self.assertEqual(ev[-1]["op"], "DISCONNECT")
        for e in ev:
            self.assertEqual(e["conn"]["role"], "client")
            self.assertNotIn("incomplete", e)
            self.assertFalse(e["truncated"])
            self.assertNotIn(e["op"], ("PUBACK", "PUBREC", "PUBCOMP", "SUBACK", "CONNACK"))
        self.assertEqual(t.summary["parse_errors"], 0)

    def test_node_mqtt_311(self):
        self.check_node(4)

    def test_node_mqtt_5(self):
        self.check_node(5)

    def test_mosquitto_pub_credentials(self):
        """mosquitto_pub with a user name and password, 3.1.1 and 5.0 (a
        user property): the password is never written"""
        for v, ver in (("mqttv311", "3.1.1"), ("mqttv5", "5.0")):
            cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(SRV.port), "-V", v, "-u", "alice",
                   "-P", "pw-s3cret", "-i", "adi-pub", "-t", "adi/pub", "-m", "hello", "-q", "1"]
            if v == "mqttv5":
                cmd += ["-D", "publish", "user-property", "k", "v"]
            t = adi.run(cmd)
            self.assertEqual(t.rc, 0, t.stderr)
            ev = ops(t.events, "mosquitto_pub")
            self.assertEqual([e["op"] for e in ev], ["CONNECT", "PUBLISH", "DISCONNECT"])
            self.assertEqual((ev[0]["protocol_version"], ev[0]["username"], ev[0]["client_id"]),
                             (ver, "alice", "adi-pub"))
            self.assertNotIn("pw-s3cret", json.dumps(ev))
            self.assertEqual((ev[1]["destination"], ev[1]["qos"], ev[1]["payload"]),
                             ("adi/pub", 1, "hello"))
            self.assertIsNotNone(ev[1]["duration_ms"])
            if v == "mqttv5":
                self.assertEqual(ev[1]["properties"], {"user_properties": [["k", "v"]]})


class MqttServerSide(adi.TraceTest):
    def test_traced_broker(self):
        srv = Mosquitto(traced=True)
        try:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(srv.port), "-V", "mqttv5",
                            "-i", "adi-srv", "-t", "adi/s", "-m", "to-broker", "-q", "2"],
                           check=True, timeout=30)
        finally:
            events = srv.stop()
        ev = [e for e in ops(events) if e.get("op") != "CONNECT" or e["client_id"] == "adi-srv"]
        conn = [e["conn"]["id"] for e in ev if e["op"] == "CONNECT"]
        self.assertEqual(len(conn), 1)
        ev = [e for e in ev if e["conn"]["id"] == conn[0]]
        self.assertEqual([e["op"] for e in ev], ["CONNECT", "PUBLISH", "PUBREL", "DISCONNECT"])
        self.assertEqual((ev[1]["destination"], ev[1]["qos"], ev[1]["payload"]),
                         ("adi/s", 2, "to-broker"))
        for e in ev:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertEqual(e["comm"], "mosquitto")
            self.assertEqual(e["sender"], "client")
            self.assertNotIn("incomplete", e)
        self.assertGreater(ev[1]["resp_bytes"], 0)  # PUBREC
        self.assertGreater(ev[2]["resp_bytes"], 0)  # PUBCOMP


if __name__ == "__main__":
    adi.main()
