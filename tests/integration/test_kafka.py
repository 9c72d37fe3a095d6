"""Kafka decoded from real clients: librdkafka's kcat (produce with keys
and gzip, consume from the beginning) and node's kafkajs (an admin creating
a topic, a producer with keys, headers and gzip, offsets listed), traced as
clients against a broker of the tests' own that answers the wire protocol
(kafka_responder.py: no Kafka broker is in Debian, and the tests fetch
nothing else); then the responder itself traced as the server. Assertions
compare what the clients sent (as the responder decoded it: API, version,
correlation id) with the events, and the records' keys and values."""
import os
import socket
import subprocess
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import kafka_responder  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def ops(events, comm_prefix=None):
    return [e for e in events if e["kind"] == "message_op" and e["system"] == "kafka" and
            (comm_prefix is None or e["comm"].startswith(comm_prefix))]


class KafkaClient(adi.TraceTest):
    def setUp(self):
        super().setUp()
        self.broker = kafka_responder.Broker()

    def tearDown(self):
        self.broker.close()
        super().tearDown()

    def assertPaired(self, ev):
        """every request the responder decoded is one event with its API,
        version and correlation id, answered (a reply, a duration)"""
        sent = {(corr, kafka_responder_api(api), ver) for api, ver, corr in self.broker.requests}
        seen = {(e["correlation_id"], e["op"], e["api_version"]) for e in ev}
        self.assertEqual(seen, sent)
        last = {}
        for e in ev:
            last[e["conn"]["id"]] = e
        for e in ev:
            self.assertNotIn("incomplete", e)
            if "reply" not in e:
                # kcat -e exits at the partition's end with its next Fetch
                # sent and the broker's answer unread (the slower ptrace
                # backend lets it get that far): the last request of its
                # connection, shown unanswered
                self.assertEqual(e["op"], "Fetch", e)
                self.assertIs(last[e["conn"]["id"]], e, e)
                self.assertIsNone(e["duration_ms"])
                continue
            self.assertIsNotNone(e["duration_ms"])

    def test_kcat(self):
        brk = "127.0.0.1:%d" % self.broker.port
        path = os.path.join(self.dir, "in.txt")
        with open(path, "w") as f:
            f.write("k1:one\nk2:two\nk3:three\n")
        t = adi.run(["sh", "-c", f"kcat -P -b {brk} -t adi -p 0 -K: -z gzip < {path} && "
                     f"kcat -C -b {brk} -t adi -p 0 -o beginning -e -q"])
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        # (librdkafka's threads are named rdk:*, the ptrace backend may say kcat)
        ev = [e for e in ops(t.events) if e["conn"]["remote"] == brk]
        self.assertPaired(ev)
        self.assertEqual([e["client_id"] for e in ev], ["rdkafka"] * len(ev))
        apiv = [e for e in ev if e["op"] == "ApiVersions"]
        self.assertEqual(apiv[0]["error"], "UNSUPPORTED_VERSION")  # v3, answered at v0
        self.assertIsNotNone(apiv[0]["client_software_name"])
        prod = [e for e in ev if e["op"] == "Produce"]
        parts = [p for e in prod for p in e["partitions"]]
        self.assertEqual(sum(p["records"] for p in parts), 3)
        self.assertEqual((parts[0]["topic"], parts[0]["partition"], parts[0]["key"],
                          parts[0]["value"]), ("adi", 0, "k1", "one"))
        self.assertIn(parts[0]["compression"], ("gzip", "none"))  # tiny batches may not shrink
        self.assertEqual(prod[0]["reply"]["partitions"][0]["error"], None)
        fetch = [e for e in ev if e["op"] == "Fetch" and e["payload"] is not None]
        self.assertTrue(fetch)
        self.assertEqual(fetch[0]["payload"], "one")
        got = fetch[0]["reply"]["partitions"][0]
        self.assertEqual((got["records"], got["key"], got["value"], got["high_watermark"]),
                         (3, "k1", "one", 3))
        lo = [e for e in ev if e["op"] == "ListOffsets"]
        self.assertEqual(lo[0]["partitions"][0]["timestamp"], -2)  # the beginning
        for e in ev:
            self.assertEqual(e["conn"]["role"], "client")
            self.assertIsNone(e["error"] if e["op"] != "ApiVersions" else None)
        self.assertEqual(t.summary["parse_errors"], 0)

    def test_kafkajs(self):
        env = dict(os.environ, KAFKA_PORT=str(self.broker.port))
        t = adi.run(["node", os.path.join(HERE, "node", "kafka_client.js")], env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = ops(t.events, "node")
        self.assertPaired(ev)
        self.assertEqual({e["client_id"] for e in ev}, {"adi-js"})
        ct = [e for e in ev if e["op"] == "CreateTopics"]
        self.assertEqual([(e["destination"], e["topics"][0]["name"], e["error"]) for e in ct],
                         [("adi-js", "adi-js", None)])
        prod = [e for e in ev if e["op"] == "Produce"]
        self.assertEqual([(p["records"], p["compression"], p["key"], p["value"])
                          for e in prod for p in e["partitions"]],
                         [(2, "none", "k1", "hello"), (1, "gzip", None, "zipped")])
        self.assertEqual([e["reply"]["partitions"][0]["base_offset"] for e in prod], [0, 2])
        lo = [e for e in ev if e["op"] == "ListOffsets"]
        self.assertEqual(sorted(e["reply"]["partitions"][0]["offset"] for e in lo), [0, 3])


class KafkaServerSide(adi.TraceTest):
    def test_traced_responder(self):
        port = adi.free_port()
        path = os.path.join(self.dir, "t.jsonl")
        srv = subprocess.Popen([adi.BIN, "run", "--format", "json", "-o", path, "--",
                                "/usr/bin/python3", os.path.join(HERE, "kafka_responder.py"),
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            adi.wait_port(port, 20)
            env = dict(os.environ, KAFKA_PORT=str(port))
            subprocess.run(["node", os.path.join(HERE, "node", "kafka_client.js")], env=env,
                           check=True, timeout=60, stdout=subprocess.DEVNULL)
        finally:
            # the responder ends on STOP; adi-profiler then writes the trace
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"STOP")
            srv.wait(30)
        ev = ops(adi.load(path))
        prod = [e for e in ev if e["op"] == "Produce"]
        self.assertEqual([p["value"] for e in prod for p in e["partitions"]], ["hello", "zipped"])
        for e in ev:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertIn("reply", e)
            self.assertNotIn("incomplete", e)


def kafka_responder_api(api):
    from_src = ["Produce", "Fetch", "ListOffsets", "Metadata"]
    names = {8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup",
             12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup", 18: "ApiVersions",
             19: "CreateTopics"}
    return from_src[api] if api < 4 else names.get(api, str(api))


if __name__ == "__main__":
    adi.main()
