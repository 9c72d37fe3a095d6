"""Insight from real programs (docs/insight.md): a web application of the
tests' own (insight_app.py: Python, a thread per request, with its own small
PostgreSQL and Redis clients) and a Node event-loop server
(node/insight_app.js), traced for real against the private PostgreSQL and
Redis these tests start; then `report`, `deps` and `diff` on the traces.

The report must find the N+1 loop of /authors/:id/books-n1 and not the single
query of /authors/:id/books, the failing endpoint's 500 and SQL error; the
thread-per-request server's queries belong to their own request even when
two requests run at once; the Node server's are "ambiguous" (both requests
named) when two are open and its own request's when one is. diff exits 1
with the finding for the change that adds a query per item, and 0 for two
runs of the same code."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import dbservers  # noqa: E402
from test_redis import RedisServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "insight_app.py")
NODE_APP = os.path.join(dbservers.NODE_DIR, "insight_app.js")
PG = None
REDIS = None

SCHEMA = """
CREATE TABLE authors (id int PRIMARY KEY, name text);
CREATE TABLE books (id int PRIMARY KEY, author_id int, title text);
CREATE TABLE reviews (id serial PRIMARY KEY, book_id int, stars int);
INSERT INTO authors VALUES (1, 'Ann'), (2, 'Bob');
INSERT INTO books SELECT g, 1, 'Book ' || g FROM generate_series(1, 10) g;
INSERT INTO books SELECT g, 2, 'Book ' || g FROM generate_series(11, 12) g;
INSERT INTO reviews (book_id, stars) SELECT 1 + g % 10, 4 FROM generate_series(1, 30) g;
"""


def setUpModule():
    global PG, REDIS
    PG = dbservers.Postgres()
    REDIS = RedisServer()
    subprocess.run(PG.psql_argv(SCHEMA), check=True, stdout=subprocess.DEVNULL)


def tearDownModule():
    if PG:
        PG.stop()
    if REDIS:
        REDIS.stop()


def get(port, path):
    """GET path from the server on port (untraced); (status, body)"""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def at_once(port, paths):
    """the paths requested together, each from its own thread"""
    out = {}
    ts = [threading.Thread(target=lambda p=p: out.__setitem__(p, get(port, p))) for p in paths]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def adi_cli(*args):
    """adi-profiler ARGS (report, deps, diff); the completed process"""
    return subprocess.run([adi.BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)


class Insight(adi.TraceTest):
    def serve(self, argv, drive, env=None, port=None):
        """run argv ("{port}" in it replaced by the port to serve on: a
        free one unless given) under adi-profiler, call drive(port), then
        /quit; the trace's path and its events"""
        port = port or adi.free_port()
        fd, path = tempfile.mkstemp(prefix="trace-", suffix=".jsonl", dir=self.dir)
        os.close(fd)
        cmd = [a.replace("{port}", str(port)) for a in argv]
        p = subprocess.Popen([adi.BIN, "run", "--format", "json", "-o", path, "--", *cmd],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            adi.wait_port(port, timeout=30)
            drive(port)
            self.assertEqual(get(port, "/quit")[0], 200)
            _, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err.decode(errors="replace"))
        return path, adi.load(path)

    def app(self, drive, variant="before", port=None):
        return self.serve([sys.executable, APP, "{port}", str(PG.port), str(REDIS.port),
                           "--variant", variant], drive, port=port)

    def report(self, path, *opts):
        r = adi_cli("report", "--format", "json", path, *opts)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return json.loads(r.stdout)

    # --- the thread-per-request application ---

    def drive_app(self, port):
        for _ in range(2):
            self.assertEqual(get(port, "/authors/1/books-n1")[0], 200)
            self.assertEqual(get(port, "/authors/1/books")[0], 200)
        self.assertEqual(get(port, "/authors/2/books-n1")[0], 200)
        self.assertEqual(get(port, "/fail")[0], 500)
        self.assertEqual(get(port, "/cache/7")[1], "fresh")
        self.assertEqual(get(port, "/cache/7")[1], "fresh")
        # two at once: threads, each with its own request
        got = at_once(port, ["/authors/1/books-n1?a", "/authors/1/books-n1?b"])
        self.assertEqual([s for s, _ in got.values()], [200, 200])

    def test_report_finds_n_plus_one_and_errors(self):
        path, events = self.app(self.drive_app)
        rep = self.report(path)
        eps = {e["endpoint"]: e for e in rep["endpoints"] if e["side"] == "served"}
        self.assertEqual(eps["GET /authors/:id/books-n1"]["count"], 5)
        self.assertEqual(eps["GET /authors/:id/books"]["count"], 2)
        self.assertEqual(eps["GET /fail"]["errors"], 1)
        self.assertEqual(eps["GET /cache/:id"]["count"], 2)

        n1 = [f for f in rep["findings"] if f["type"] == "n_plus_one"]
        self.assertEqual(len(n1), 1, rep["findings"])
        f = n1[0]
        self.assertEqual(f["endpoint"], "GET /authors/:id/books-n1")
        self.assertEqual(f["system"], "postgres")
        self.assertEqual(f["operation"], "SELECT title FROM books WHERE id = ?")
        self.assertEqual(f["executions"], 10)
        self.assertEqual(f["requests"], 4)  # author 2 has 2 books: under the threshold
        self.assertEqual(f["suggestion"], "WHERE id IN (...)")
        by_id = {e["id"]: e for e in events}
        src = by_id[f["source_id"]]
        self.assertEqual(src["kind"], "sql_query")
        self.assertEqual(src["parent_id"], f["parent_id"])
        self.assertEqual(by_id[f["parent_id"]]["url"].split("?")[0], "/authors/1/books-n1")
        # the single query finds nothing
        self.assertFalse([x for x in rep["findings"]
                          if x["endpoint"] == "GET /authors/:id/books"])

        q = {x["fingerprint"]: x for x in rep["queries"] if x["system"] == "postgres"}
        self.assertEqual(q["SELECT title FROM books WHERE id = ?"]["count"], 42)
        self.assertEqual(q["SELECT b.title FROM books b WHERE b.author_id = ? ORDER BY b.id"]
                         ["count"], 2)
        self.assertEqual(q["SELECT * FROM no_such_table WHERE id = ?"]["errors"], 1)
        self.assertEqual({x["fingerprint"] for x in rep["queries"] if x["system"] == "redis"},
                         {"GET page:*", "SET page:*"})

        errs = {(e["category"], e["what"]): e for e in rep["errors"]}
        self.assertEqual(errs[("http_5xx_served", "GET /fail -> 500")]["count"], 1)
        sql = errs[("sql", "postgres 42P01: SELECT * FROM no_such_table WHERE id = ?")]
        self.assertIn("no_such_table", sql["message"])

        # the breakdown: 11 queries per N+1 request, 1 for the single query
        per = {p["operation"]: p["count"] for p in eps["GET /authors/:id/books-n1"]["per_request"]}
        self.assertEqual(per["SELECT title FROM books WHERE id = ?"], 42 / 5)
        self.assertGreater(eps["GET /authors/:id/books-n1"]["breakdown"]["sql_ms"], 0)
        # its database work: the login, the query, the quit (db_session and
        # sql_query are both database time)
        self.assertEqual(eps["GET /authors/:id/books"]["breakdown"]["sql_count"], 3.0)

        # text too
        r = adi_cli("report", path)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"N+1      GET /authors/:id/books-n1: postgres "
                      b"`SELECT title FROM books WHERE id = ?` 10 times", r.stdout)

    def test_thread_per_request_attribution(self):
        path, events = self.app(self.drive_app)
        by_id = {e["id"]: e for e in events}
        served = [e for e in events if e["kind"] == "http_request" and
                  e["conn"]["role"] == "server"]
        self.assertEqual(len(served), 11)  # /quit too
        queries = [e for e in events if e["kind"] == "sql_query"]
        # books-n1: 4 x (1 + 10) for author 1, 1 + 2 for author 2; books: 2; fail: 1
        self.assertEqual(len(queries), 44 + 3 + 2 + 1)
        for q in queries:
            # every query is its own request's, found by its thread, even
            # for the two requests served at once
            self.assertEqual(q.get("parent_by"), "thread", q)
            parent = by_id[q["parent_id"]]
            self.assertEqual(parent["kind"], "http_request")
            self.assertGreaterEqual(q["ts_ns"], parent["ts_ns"])
        for e in events:
            self.assertNotIn("parent", e)
        # the two concurrent requests each own 11 queries
        for tag in ("a", "b"):
            req = [e for e in served if e["url"] == "/authors/1/books-n1?" + tag][0]
            mine = [q for q in queries if q["parent_id"] == req["id"]]
            self.assertEqual(len(mine), 11)
        # the connections a request opened are its work too; the accepted
        # ones are nobody's
        for e in events:
            if e["kind"] == "connection" and e["conn"]["role"] == "server":
                self.assertNotIn("parent_id", e)
        connects = [e for e in events if e["kind"] == "connection" and e["op"] == "connect"
                    and e["conn"]["remote"].endswith(":%d" % PG.port)]
        self.assertEqual(len(connects), 8)  # books-n1 5, books 2, fail 1
        for e in connects:
            self.assertEqual(by_id[e["parent_id"]]["kind"], "http_request")

    def test_deps(self):
        path, _ = self.app(lambda port: (get(port, "/authors/1/books"), get(port, "/cache/9"),
                                         get(port, "/report")))
        r = adi_cli("deps", "--format", "json", path)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        d = json.loads(r.stdout)
        svc = {(s["role"], s["address"]): s for s in d["services"]}
        pg = svc[("client", "127.0.0.1:%d" % PG.port)]
        self.assertEqual(pg["protocols"], ["postgres"])
        self.assertEqual(pg["users"], ["postgres"])
        self.assertEqual(pg["databases"], ["postgres"])
        self.assertEqual([(t["name"], t["statements"]) for t in pg["tables"]],
                         [("books", ["SELECT"])])
        rd = svc[("client", "127.0.0.1:%d" % REDIS.port)]
        self.assertEqual(rd["protocols"], ["redis"])
        self.assertEqual({c["name"] for c in rd["commands"]}, {"GET", "SET"})
        self.assertEqual([k["name"] for k in rd["key_patterns"]], ["page:*"])
        srv = [s for s in d["services"] if s["role"] == "server"]
        self.assertEqual(len(srv), 1)
        self.assertEqual({x["name"] for x in srv[0]["routes"]},
                         {"GET /authors/:id/books", "GET /cache/:id", "GET /report",
                          "GET /quit"})
        self.assertIn(sys.executable, [x["name"] for x in d["executed"]] +
                      [os.path.realpath(x["name"]) for x in d["executed"]])
        self.assertIn(APP, d["files"]["read"])
        r = adi_cli("deps", path)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"calls  tcp 127.0.0.1:%d postgres" % PG.port, r.stdout)

    # --- the web UI: a request's waterfall, the Insights tab ---

    def test_ui_waterfall_and_insights(self):
        path, events = self.app(lambda port: get(port, "/authors/1/books-n1"))
        req = [e for e in events if e["kind"] == "http_request"
               and e["url"] == "/authors/1/books-n1"][0]
        index = events.index(req)
        ui = subprocess.Popen([adi.BIN, "ui", path], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
        try:
            url = ui.stdout.readline().strip()
            self.assertTrue(url.startswith("http://127.0.0.1:"), url)
            shot = os.path.join(os.environ.get("ADI_ARTIFACTS") or self.dir, "insight-ui.png")
            p = subprocess.run(["node", "insight_ui.js", url, str(index), shot],
                               cwd=dbservers.NODE_DIR, stdout=subprocess.PIPE, timeout=120)
        finally:
            ui.send_signal(2)
            ui.wait(10)
            ui.stdout.close()
        got = json.loads(p.stdout)
        self.assertNotIn("fatal", got, got)
        self.assertEqual(got["errors"], [])
        # the request, its connect, login, 11 queries, quit and close
        self.assertEqual(len(got["rows"]), 1 + 1 + 1 + 11 + 1 + 1, got["rows"])
        self.assertIn("/authors/1/books-n1", got["rows"][0])
        self.assertIn("SELECT id FROM books WHERE author_id = 1", got["rows"][3])
        self.assertTrue(got["partOf"])
        self.assertIn("postgres", got["selected"])
        self.assertIn("n_plus_one: GET /authors/:id/books-n1 runs postgres "
                      "SELECT title FROM books WHERE id = ? 10 times", got["insights"])
        # the process tree: the traced command at its top, by comm(pid)
        top = [e for e in events if e["kind"] == "process" and e["op"] == "exec"][0]
        self.assertRegex(got["insights"], r"(?i)processes \(\d+ lines?\)")
        self.assertIn("%s(%d)" % (top["comm"], top["pid"]), got["insights"])

    # --- diff ---

    def drive_report(self, port):
        for _ in range(3):
            self.assertEqual(get(port, "/report")[0], 200)

    def test_diff(self):
        # one port for the three runs, as a CI job would serve on: the
        # service the program serves is a dependency, its address included
        port = adi.free_port()
        before, _ = self.app(self.drive_report, "before", port)
        again, _ = self.app(self.drive_report, "before", port)
        after, _ = self.app(self.drive_report, "after", port)

        r = adi_cli("diff", before, again)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn(b"ok: 0 changes fail", r.stdout)

        r = adi_cli("diff", "--format", "json", before, after)
        self.assertEqual(r.returncode, 1, r.stdout.decode() + r.stderr.decode())
        d = json.loads(r.stdout)
        self.assertTrue(d["failed"])
        fails = {(c["change"], c["what"], c["name"]) for c in d["changes"] if c["fails"]}
        q = "SELECT COUNT(*) FROM reviews WHERE book_id = ?"
        self.assertIn(("added", "query", q), fails)
        self.assertIn(("n+1", "finding", "n_plus_one: GET /report -> " + q), fails)
        self.assertIn(("count", "per_request", "GET /report -> " + q), fails)
        per = [c for c in d["changes"] if c["what"] == "per_request" and q in c["name"]][0]
        self.assertEqual((per["a"], per["b"]), (0, 10))
        self.assertIn(("deps", "table", "calls tcp 127.0.0.1:%d postgres table reviews"
                       % PG.port), fails)

        # the same change, failing only on what --fail-on names
        # (not "slower": timing on a shared machine is noise, which is why
        # it is not failed on by default)
        r = adi_cli("diff", "--fail-on", "errors,removed", before, after)
        self.assertEqual(r.returncode, 0, r.stdout.decode())
        r = adi_cli("diff", "--fail-on", "n+1", before, after)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"! n+1", r.stdout)
        # and the other way round, nothing was added: the removed query is
        # not a failure unless asked
        r = adi_cli("diff", after, before)
        self.assertEqual(r.returncode, 0, r.stdout.decode())
        r = adi_cli("diff", "--fail-on", "removed", after, before)
        self.assertEqual(r.returncode, 1)
        # usage errors and unreadable traces are 2, never 0
        self.assertEqual(adi_cli("diff", before).returncode, 2)
        self.assertEqual(adi_cli("diff", "--fail-on", "bogus", before, after).returncode, 2)
        self.assertEqual(adi_cli("diff", before, os.path.join(self.dir, "none")).returncode, 2)

    # --- the event loop ---

    def test_event_loop_ambiguous(self):
        def drive(port):
            got = at_once(port, ["/wait?tag=a", "/wait?tag=b"])
            self.assertEqual(sorted(b for _, b in got.values()), ["a", "b"])
            self.assertEqual(get(port, "/one"), (200, "1"))

        path, events = self.serve(["node", NODE_APP, "{port}"], drive, env=PG.env())
        served = {e["url"]: e for e in events if e["kind"] == "http_request" and
                  e["conn"]["role"] == "server"}
        both = sorted([served["/wait?tag=a"]["id"], served["/wait?tag=b"]["id"]])
        waits = [e for e in events if e["kind"] == "sql_query" and
                 e["sql"] == "SELECT $1::text AS tag"]
        self.assertEqual(len(waits), 2)
        for q in waits:
            self.assertEqual(q["parent"], "ambiguous", q)
            self.assertEqual(sorted(q["parent_candidates"]), both)
            self.assertNotIn("parent_id", q)
        one = [e for e in events if e["kind"] == "sql_query" and e["sql"] == "SELECT 1 AS one"]
        self.assertEqual(len(one), 1)
        self.assertEqual(one[0]["parent_id"], served["/one"]["id"])
        self.assertEqual(one[0]["parent_by"], "thread")
        rep = self.report(path)
        self.assertEqual(rep["trace"]["ambiguous"], 2 + sum(
            1 for e in events if e.get("parent") == "ambiguous" and e["kind"] != "sql_query"))


if __name__ == "__main__":
    adi.main()
