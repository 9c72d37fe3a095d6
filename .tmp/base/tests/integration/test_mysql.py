"""MySQL protocol decoded from real peers: a private MariaDB server
(mariadb-install-db) driven by the mariadb CLI (COM_QUERY text protocol,
over TCP and over the Unix socket) and node's mysql2 (query(): text
protocol; execute(): COM_STMT_PREPARE + COM_STMT_EXECUTE, binary protocol
with typed parameters and binary result rows). Exact assertions on sql,
params, columns, rows, error codes and transaction states."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import dbservers  # noqa: E402

MY = None
HERE = os.path.dirname(os.path.abspath(__file__))


def setUpModule():
    global MY
    MY = dbservers.MariaDB()


def tearDownModule():
    if MY:
        MY.stop()


# The CLI sends each statement as one COM_QUERY without its delimiter.
# (sql, rows, error code, tx, columns, rows_sample)
SCRIPT = [
    ("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))", 0, None, "idle", None, None),
    ("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)", 3, None, "idle", None, None),
    ("SELECT id, name FROM t ORDER BY id", 3, None, "idle", ["id", "name"],
     [["1", "a"], ["2", "b"], ["3", None]]),
    ("SELECT * FROM missing_table", 0, "1146", "idle", None, None),
    ("BEGIN", 0, None, "in_tx", None, None),
    ("UPDATE t SET name = 'z' WHERE id = 1", 1, None, "in_tx", None, None),
    ("COMMIT", 0, None, "idle", None, None),
    ("BEGIN", 0, None, "in_tx", None, None),
    ("DELETE FROM t", 3, None, "in_tx", None, None),
    ("ROLLBACK", 0, None, "idle", None, None),
    ("SELECT COUNT(*) AS n FROM t", 1, None, "idle", ["n"], [["3"]]),
    ("DROP TABLE t", 0, None, "idle", None, None),
]


class MySQLTest(adi.TraceTest):
    def sql_events(self, t, comm=None):
        return [e for e in t.kind("sql_query")
                if (comm is None or e["comm"] == comm) and e["sql"] is not None]

    def check_common(self, e, transport, database="test"):
        dbservers.check_client_query(self, e, "mysql", transport, "root", database)

    def run_cli_script(self, unix):
        path = os.path.join(self.dir, "script.sql")
        with open(path, "w") as f:
            f.write(";\n".join(s[0] for s in SCRIPT) + ";\n")
        # --force: go on after the error, as psql does
        t = adi.run(MY.cli_argv(unix=unix, database="test") + ["--force", "-e",
                                                               "source " + path])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertIn("ERROR 1146", t.stderr)
        self.assertWellFormed(t)
        ev = [e for e in self.sql_events(t, "mariadb")
              if not e["sql"].startswith("select @@version_comment")]
        self.assertEqual([e["sql"] for e in ev], [s[0] for s in SCRIPT])
        for e, (sql, rows, code, tx, cols, sample) in zip(ev, SCRIPT):
            self.check_common(e, "unix" if unix else "tcp")
            self.assertEqual(e["rows"], rows, sql)
            self.assertEqual(e["tx"], tx, sql)
            self.assertEqual(e["params"], [], sql)
            self.assertIsNone(e["statement"], sql)
            self.assertEqual(e["columns"], cols, sql)
            if sample is not None:
                self.assertEqual(e["rows_sample"], sample, sql)
            if code:
                self.assertEqual(e["error"]["code"], code, sql)
                self.assertIn("doesn't exist", e["error"]["message"])
                self.assertIsNone(e["command_tag"])
            else:
                self.assertIsNone(e["error"], sql)
                self.assertIsNotNone(e["command_tag"], sql)
        self.assertEqual(t.summary["dropped"], 0)
        return t

    def test_cli_tcp(self):
        self.run_cli_script(unix=False)

    def test_cli_unix_socket(self):
        t = self.run_cli_script(unix=True)
        e = self.sql_events(t, "mariadb")[0]
        self.assertEqual(e["conn"]["remote"], MY.socket)

    def test_init_db_and_ping(self):
        # `use` is COM_INIT_DB; it changes the database of later events
        t = adi.run(MY.cli_argv() + ["-e", "SELECT 1; USE test; SELECT DATABASE() AS d"])
        self.assertEqual(t.rc, 0, t.stderr)
        # the CLI itself asks SELECT DATABASE() after USE; COM_QUIT ends it
        ev = [e for e in t.kind("sql_query") if e["comm"] == "mariadb"]
        self.assertEqual([e["command"] for e in ev],
                         ["CONNECT", "COM_QUERY", "COM_QUERY", "COM_INIT_DB", "COM_QUERY",
                          "COM_QUIT"])
        self.assertEqual(ev[0]["user"], "root")
        self.assertIsNone(ev[0]["error"])
        self.assertEqual(ev[3]["sql"], "USE `test`")
        self.assertEqual(ev[3]["database"], "test")
        self.assertIsNone(ev[5]["duration_ms"])  # no reply to a QUIT
        ev = [e for e in ev if e["sql"]]
        last = ev[-1]
        self.assertEqual(last["sql"], "SELECT DATABASE() AS d")
        self.assertEqual(last["rows_sample"], [["test"]])
        self.assertEqual(last["database"], "test")
        first = [e for e in ev if e["sql"] == "SELECT 1"][0]
        self.assertIsNone(first["database"])

    def test_node_mysql2(self):
        t = adi.run(["node", os.path.join(HERE, "node", "mysql_client.js"), str(MY.port)])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        ev = self.sql_events(t)
        for e in ev:
            self.check_common(e, "tcp")
        ins = "INSERT INTO node_t VALUES (?, ?, ?, ?, ?)"
        sel = "SELECT id, name, score FROM node_t WHERE id >= ? ORDER BY id"
        # execute(): one prepare per text, then an execute per call
        execs = [e for e in ev if e["params"]]
        self.assertEqual([(e["sql"], e["params"]) for e in execs], [
            (ins, ["2", "user2", "0.5", "2021-03-02", "n2"]),
            (ins, ["3", "user3", "0.75", "2021-03-03", None]),
            (sel, ["1"]),
        ])
        self.assertEqual(execs[0]["statement"], execs[1]["statement"])
        self.assertIsNotNone(execs[0]["statement"])
        self.assertEqual([e["rows"] for e in execs[:2]], [1, 1])
        self.assertEqual(execs[2]["columns"], ["id", "name", "score"])
        self.assertEqual(execs[2]["rows"], 3)
        self.assertEqual(execs[2]["rows_sample"],
                         [["1", "ann", "1.5"], ["2", "user2", "0.5"], ["3", "user3", "0.75"]])
        # query(): the values interpolated by the client
        texts = [e for e in ev if not e["params"] and e["statement"] is None]
        sqls = [e["sql"] for e in texts]
        self.assertIn("INSERT INTO node_t VALUES (1, 'ann', 1.5, '2020-01-02', NULL)", sqls)
        tsel = [e for e in texts if e["sql"] == "SELECT id, name FROM node_t ORDER BY id"][0]
        self.assertEqual(tsel["rows_sample"], [["1", "ann"], ["2", "user2"], ["3", "user3"]])
        err = [e for e in texts if e["sql"] == "SELECT * FROM no_such_table"][0]
        self.assertEqual(err["error"]["code"], "1146")
        self.assertEqual(t.summary["dropped"], 0)


if __name__ == "__main__":
    adi.main()
