"""MongoDB decoded from real drivers: python3-pymongo 3.11 (compressors=zlib:
this pymongo has no zstd or snappy module) and a C client on Debian's
libmongoc 1.23 (compressors=zstd and snappy), traced as clients against a
wire-protocol responder owned by the test (mongo_responder.py: no MongoDB
server can be installed here); then the responder itself traced as the
server. Assertions compare what the drivers really sent (as the responder
decoded it) with the mongo_command events: op, database, collection,
documents, filters, the getMore's cursor id, the compressor of each request,
and request_id pairing."""
import os
import subprocess
import sys
import threading
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import mongo_responder  # noqa: E402

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))

PY_CLIENT = r'''
import sys
import pymongo
port, comp = int(sys.argv[1]), sys.argv[2]
c = pymongo.MongoClient("mongodb://127.0.0.1:%d/?compressors=%s&directConnection=true"
                        % (port, comp), serverSelectionTimeoutMS=5000)
c.admin.command("ping")
db = c.testdb
db.people.insert_many([{"name": "dan", "age": 22}, {"name": "eve", "age": 38}])
print([d["name"] for d in db.people.find({"age": {"$gte": 20}}, batch_size=2)])
print(list(db.people.aggregate([{"$group": {"_id": "all", "n": {"$sum": 1}}}])))
cur = db.people.find({}, batch_size=1)
next(cur)
cur.close()
c.close()
'''

C_CLIENT = r'''
#include <mongoc/mongoc.h>
#include <stdio.h>
/* insert one, then find with batchSize 2 (3 documents: a getMore follows) */
int main(int argc, char **argv)
{
	char uri[256];
	bson_error_t err;
	mongoc_client_t *c;
	mongoc_collection_t *col;
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_t *d1, *filter, *opts;
	int n = 0;

	mongoc_init();
	snprintf(uri, sizeof(uri),
		 "mongodb://127.0.0.1:%s/?compressors=%s&directConnection=true", argv[1], argv[2]);
	c = mongoc_client_new(uri);
	col = mongoc_client_get_collection(c, "cdb", "things");
	d1 = BCON_NEW("name", BCON_UTF8("gizmo"), "qty", BCON_INT32(5));
	if (!mongoc_collection_insert_one(col, d1, NULL, NULL, &err)) {
		fprintf(stderr, "insert: %s\n", err.message);
		return 1;
	}
	filter = BCON_NEW("qty", "{", "$lt", BCON_INT32(10), "}");
	opts = BCON_NEW("batchSize", BCON_INT32(2));
	cur = mongoc_collection_find_with_opts(col, filter, opts, NULL);
	while (mongoc_cursor_next(cur, &doc))
		n++;
	if (mongoc_cursor_error(cur, &err)) {
		fprintf(stderr, "find: %s\n", err.message);
		return 1;
	}
	printf("%d\n", n);
	mongoc_cursor_destroy(cur);
	bson_destroy(d1);
	bson_destroy(filter);
	bson_destroy(opts);
	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	mongoc_cleanup();
	return 0;
}
'''


class MongoTest(adi.TraceTest):
    @classmethod
    def setUpClass(cls):
        cls.bin_dir = subprocess.run(["mktemp", "-d", "/tmp/adi-mongo-XXXXXX"],
                                     capture_output=True, text=True).stdout.strip()
        with open(os.path.join(cls.bin_dir, "client.py"), "w") as f:
            f.write(PY_CLIENT)
        with open(os.path.join(cls.bin_dir, "cclient.c"), "w") as f:
            f.write(C_CLIENT)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmongoc-1.0"],
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["cc", os.path.join(cls.bin_dir, "cclient.c"), *flags, "-o",
                        os.path.join(cls.bin_dir, "cclient")], check=True)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.bin_dir])

    def setUp(self):
        super().setUp()
        self.responder = mongo_responder.Responder()

    def tearDown(self):
        self.responder.close()
        super().tearDown()

    # ---- helpers ----

    def events(self, t):
        self.assertWellFormed(t)
        ev = t.kind("mongo_command")
        self.assertTrue(ev, "no mongo_command events:\n" + t.stderr)
        return ev

    def one(self, evs, op, **match):
        got = [e for e in evs if e["op"] == op and
               all(e.get(k) == v for k, v in match.items())]
        self.assertEqual(len(got), 1, "%s %r: %r" % (op, match, [e["op"] for e in evs]))
        return got[0]

    def assertPaired(self, evs):
        """every request the responder decoded is one event with its
        requestID and command name, answered (a reply, ok true), and
        compressed as the responder saw it"""
        sent = {(rid, next(iter(cmd))): comp for rid, _op, comp, cmd in self.responder.requests}
        seen = {(e["request_id"], e["op"]): e for e in evs}
        # what to look at if they differ (CI once saw every event and an
        # empty list of requests on the responder's side, not reproduced)
        self.assertEqual(set(seen), set(sent), "responder on port %d decoded %d requests; "
                         "events' remote ends: %s" % (
                             self.responder.port, len(self.responder.requests),
                             sorted({e["conn"]["remote"] for e in evs})))
        for key, comp in sent.items():
            e = seen[key]
            self.assertIsNotNone(e["reply"], e)
            self.assertTrue(e["ok"], e)
            self.assertIsNone(e["error"])
            self.assertFalse(e["truncated"])
            self.assertIsNotNone(e["duration_ms"])
            self.assertEqual((e.get("compressed") or {}).get("request"), comp, e)

    # ---- the tests ----

    def test_pymongo_zlib(self):
        port = self.responder.port
        t = adi.run([PY, os.path.join(self.bin_dir, "client.py"), str(port), "zlib"])
        self.assertEqual(t.rc, 0, t.stderr)
        evs = self.events(t)
        self.assertPaired(evs)
        for e in evs:
            self.assertEqual(e["conn"]["role"], "client")
            self.assertTrue(e["conn"]["remote"].endswith(":%d" % port))
        # the legacy handshake: OP_QUERY on admin.$cmd, never compressed
        hs = [e for e in evs if e["op"] in ("ismaster", "isMaster")]
        self.assertTrue(hs)
        for e in hs:
            self.assertEqual(e["database"], "admin")
            self.assertNotIn("compressed", e)
            self.assertEqual(e["reply"]["maxWireVersion"], 17)
        self.assertIn(["zlib"], [e["command"].get("compression") for e in hs])
        ping = self.one(evs, "ping")
        self.assertEqual(ping["database"], "admin")
        self.assertEqual(ping["compressed"], {"request": "zlib", "reply": "zlib"})
        ins = self.one(evs, "insert")
        self.assertEqual((ins["database"], ins["collection"]), ("testdb", "people"))
        self.assertEqual([(d["name"], d["age"]) for d in ins["command"]["documents"]],
                         [("dan", 22), ("eve", 38)])
        self.assertEqual(ins["reply"]["n"], 2)
        # two finds: the one with a filter (then its getMore), and one
        # closed after its first batch (then killCursors)
        find = [e for e in evs if e["op"] == "find" and e["command"]["filter"]]
        self.assertEqual(len(find), 1)
        find = find[0]
        self.assertEqual(find["collection"], "people")
        self.assertEqual(find["command"]["filter"], {"age": {"$gte": 20}})
        self.assertEqual(find["command"]["batchSize"], 2)
        cursor = find["reply"]["cursor"]
        self.assertEqual([d["name"] for d in cursor["firstBatch"]], ["ann", "bob"])
        gm = self.one(evs, "getMore")
        self.assertEqual(gm["command"]["getMore"], cursor["id"])
        self.assertEqual(gm["collection"], "people")
        self.assertEqual([d["name"] for d in gm["reply"]["cursor"]["nextBatch"]], ["cid"])
        self.assertGreaterEqual(gm["ts_ns"], find["ts_ns"])
        agg = self.one(evs, "aggregate")
        self.assertEqual(agg["command"]["pipeline"],
                         [{"$group": {"_id": "all", "n": {"$sum": 1}}}])
        self.assertEqual(agg["reply"]["cursor"]["firstBatch"], [{"_id": "all", "n": 3}])
        kc = self.one(evs, "killCursors")
        self.assertEqual(kc["command"]["cursors"], [mongo_responder.CURSOR_ID])
        self.one(evs, "endSessions")

    def check_c_client(self, comp):
        port = self.responder.port
        t = adi.run([os.path.join(self.bin_dir, "cclient"), str(port), comp])
        self.assertEqual(t.rc, 0, t.stderr)
        evs = self.events(t)
        self.assertPaired(evs)
        hs = self.one(evs, "isMaster")
        self.assertEqual(hs["command"]["compression"], [comp])
        self.assertEqual(hs["reply"]["compression"], [comp])
        ins = self.one(evs, "insert")
        self.assertEqual((ins["database"], ins["collection"]), ("cdb", "things"))
        docs = ins["command"]["documents"]
        self.assertEqual([(d["name"], d["qty"]) for d in docs], [("gizmo", 5)])
        self.assertEqual(set(docs[0]["_id"]), {"$oid"})  # libmongoc adds an ObjectId
        self.assertEqual(ins["compressed"], {"request": comp, "reply": None})
        find = self.one(evs, "find")
        self.assertEqual(find["command"]["filter"], {"qty": {"$lt": 10}})
        self.assertEqual(find["command"]["batchSize"], 2)
        gm = self.one(evs, "getMore")
        self.assertEqual(gm["command"]["getMore"], find["reply"]["cursor"]["id"])
        self.assertEqual(gm["command"]["getMore"], mongo_responder.CURSOR_ID)
        self.assertEqual(gm["compressed"]["request"], comp)
        self.assertEqual(len(gm["reply"]["cursor"]["nextBatch"]), 1)

    def test_libmongoc_zstd(self):
        self.check_c_client("zstd")

    def test_libmongoc_snappy(self):
        self.check_c_client("snappy")

    def test_server_side(self):
        """the responder traced as the server (requests come in), driven by
        the C client with zstd: the same exchanges, role server"""
        self.responder.close()
        port = adi.free_port()
        got = {}

        def drive():
            adi.wait_port(port)
            got["client"] = subprocess.run([os.path.join(self.bin_dir, "cclient"), str(port),
                                            "zstd"], capture_output=True, text=True, timeout=60)

        th = threading.Thread(target=drive)
        th.start()
        # the wait_port probe is one connection, the client another
        t = adi.run([PY, os.path.join(HERE, "mongo_responder.py"), str(port), "2"])
        th.join()
        self.assertEqual(got["client"].returncode, 0, got["client"].stderr)
        self.assertEqual(t.rc, 0, t.stderr)
        evs = self.events(t)
        for e in evs:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertIsNotNone(e["reply"], e)
            self.assertTrue(e["ok"])
        self.assertEqual([e["op"] for e in evs],
                         ["isMaster", "insert", "find", "getMore", "endSessions"])
        find, gm = evs[2], evs[3]
        self.assertEqual(gm["command"]["getMore"], find["reply"]["cursor"]["id"])
        self.assertEqual(find["compressed"]["request"], "zstd")
        self.assertEqual(len({e["request_id"] for e in evs}), 5)


if __name__ == "__main__":
    adi.main()
