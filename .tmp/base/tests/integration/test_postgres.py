"""PostgreSQL decoded from real peers: a private PostgreSQL server (initdb,
trust auth) driven by psql (simple protocol, over TCP and over the Unix
socket), psycopg2 and node's pg (extended protocol with bind parameters,
a named prepared statement reused). Exact assertions on sql, params,
columns, rows, command tags, error codes and transaction states."""
import os
import sys
import unittest
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import dbservers  # noqa: E402

PG = None
HERE = os.path.dirname(os.path.abspath(__file__))


def setUpModule():
    global PG
    PG = dbservers.Postgres()


def tearDownModule():
    if PG:
        PG.stop()


# psql sends each statement of a script as one simple Query ('Q'), with its
# semicolon; `sql` is the statement without the terminator (as for each
# statement of a multi-statement Query). (sql, command_tag, rows, error
# code, tx) expected for each.
SCRIPT = [
    ("CREATE TABLE t (id int PRIMARY KEY, name text);", "CREATE TABLE", 0, None, "idle"),
    ("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL);", "INSERT 0 3", 3, None, "idle"),
    ("SELECT id, name FROM t ORDER BY id;", "SELECT 3", 3, None, "idle"),
    ("SELECT * FROM missing_table;", None, 0, "42P01", "idle"),
    ("BEGIN;", "BEGIN", 0, None, "in_tx"),
    ("UPDATE t SET name = 'z' WHERE id = 1;", "UPDATE 1", 1, None, "in_tx"),
    ("COMMIT;", "COMMIT", 0, None, "idle"),
    ("BEGIN;", "BEGIN", 0, None, "in_tx"),
    ("INSERT INTO t VALUES (1, 'dup');", None, 0, "23505", "failed"),
    ("SELECT 1;", None, 0, "25P02", "failed"),
    ("ROLLBACK;", "ROLLBACK", 0, None, "idle"),
    ("DROP TABLE t;", "DROP TABLE", 0, None, "idle"),
]


class PostgresTest(adi.TraceTest):
    def sql_events(self, t, comm=None):
        return [e for e in t.kind("sql_query") if comm is None or e["comm"] == comm]

    def check_common(self, e, transport):
        dbservers.check_client_query(self, e, "postgres", transport, "postgres", "postgres")

    def run_psql_script(self, unix):
        path = os.path.join(self.dir, "script.sql")
        with open(path, "w") as f:
            f.write("\n".join(s[0] for s in SCRIPT) + "\n")
        t = adi.run(PG.psql_argv(unix=unix) + ["-f", path])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        ev = self.sql_events(t, "psql")
        self.assertEqual([e["sql"] for e in ev], [s[0].rstrip(";") for s in SCRIPT])
        for e, (sql, tag, rows, code, tx) in zip(ev, SCRIPT):
            self.check_common(e, "unix" if unix else "tcp")
            self.assertEqual(e["command_tag"], tag, sql)
            self.assertEqual(e["rows"], rows, sql)
            self.assertEqual(e["tx"], tx, sql)
            self.assertEqual(e["params"], [], sql)
            self.assertIsNone(e["statement"], sql)
            if code:
                self.assertEqual(e["error"]["code"], code, sql)
                self.assertTrue(e["error"]["message"], sql)
            else:
                self.assertIsNone(e["error"], sql)
        sel = ev[2]
        self.assertEqual(sel["columns"], ["id", "name"])
        self.assertEqual(sel["rows_sample"], [["1", "a"], ["2", "b"], ["3", None]])
        self.assertIn("does not exist", ev[3]["error"]["message"])
        self.assertEqual(t.summary["dropped"], 0)
        return t

    def test_psql_tcp(self):
        self.run_psql_script(unix=False)

    def test_psql_unix_socket(self):
        t = self.run_psql_script(unix=True)
        e = self.sql_events(t, "psql")[0]
        self.assertEqual(e["conn"]["remote"], PG.socket)

    def test_multi_statement_query(self):
        # one Query message with three statements: one event each, each
        # with its own tag; the statement after an error never ran
        t = adi.run(PG.psql_argv(
            "SELECT 1 AS one; SELECT 'two' AS two, 2 AS n; VALUES (1), (2), (3)"))
        self.assertEqual(t.rc, 0, t.stderr)
        ev = self.sql_events(t, "psql")
        self.assertEqual([e["sql"] for e in ev],
                         ["SELECT 1 AS one", "SELECT 'two' AS two, 2 AS n",
                          "VALUES (1), (2), (3)"])
        self.assertEqual([e["command_tag"] for e in ev], ["SELECT 1", "SELECT 1", "SELECT 3"])
        self.assertEqual(ev[1]["columns"], ["two", "n"])
        self.assertEqual(ev[1]["rows_sample"], [["two", "2"]])
        self.assertEqual(ev[2]["rows_sample"], [["1"], ["2"], ["3"]])
        t = adi.run(PG.psql_argv("SELECT 1; SELECT 1/0; SELECT 3"))
        ev = self.sql_events(t, "psql")
        self.assertEqual([e["sql"] for e in ev], ["SELECT 1", "SELECT 1/0"])
        self.assertEqual(ev[1]["error"]["code"], "22012")
        self.assertEqual(ev[1]["command_tag"], None)

    def test_psycopg2(self):
        prog = os.path.join(self.dir, "p.py")
        with open(prog, "w") as f:
            f.write("""
import psycopg2
c = psycopg2.connect(host="127.0.0.1", port=%d, user="postgres", dbname="postgres")
cur = c.cursor()
cur.execute("CREATE TABLE py_t (id int, name text)")
cur.execute("INSERT INTO py_t VALUES (%%s, %%s)", (7, "seven"))
c.commit()
cur.execute("SELECT name FROM py_t WHERE id = %%s", (7,))
assert cur.fetchone() == ("seven",)
c.rollback()
cur.execute("DROP TABLE py_t")
c.commit()
c.close()
""" % PG.port)
        t = adi.run(["/usr/bin/python3", prog])
        self.assertEqual(t.rc, 0, t.stderr)
        ev = self.sql_events(t)
        # psycopg2 opens a transaction implicitly (BEGIN) and interpolates
        # the values into the text on the client
        self.assertEqual([(e["sql"], e["command_tag"], e["tx"]) for e in ev], [
            ("BEGIN", "BEGIN", "in_tx"),
            ("CREATE TABLE py_t (id int, name text)", "CREATE TABLE", "in_tx"),
            ("INSERT INTO py_t VALUES (7, 'seven')", "INSERT 0 1", "in_tx"),
            ("COMMIT", "COMMIT", "idle"),
            ("BEGIN", "BEGIN", "in_tx"),
            ("SELECT name FROM py_t WHERE id = 7", "SELECT 1", "in_tx"),
            ("ROLLBACK", "ROLLBACK", "idle"),
            ("BEGIN", "BEGIN", "in_tx"),
            ("DROP TABLE py_t", "DROP TABLE", "in_tx"),
            ("COMMIT", "COMMIT", "idle"),
        ])
        self.assertEqual(ev[5]["rows_sample"], [["seven"]])
        for e in ev:
            self.check_common(e, "tcp")

    def test_node_pg_extended(self):
        t = adi.run(["node", os.path.join(HERE, "node", "pg_client.js")], env=PG.env())
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        ev = self.sql_events(t)
        for e in ev:
            self.check_common(e, "tcp")
        got = [(e["sql"], e["params"], e["statement"]) for e in ev]
        ins = "INSERT INTO node_t (id, name, data) VALUES ($1, $2, $3)"
        get = "SELECT id, name FROM node_t WHERE id >= $1 ORDER BY id"
        self.assertEqual(got, [
            ("CREATE TABLE IF NOT EXISTS node_t (id int PRIMARY KEY, name text, data bytea)",
             [], None),
            ("SELECT $1::int + $2::int AS sum", ["2", "3"], None),
            # a Buffer goes in binary format with no type in the Parse
            # (OID 0) and no ParameterDescription is asked for: the bytes
            # are shown as they are, base64 (docs/events.md)
            (ins, ["1", "name1", "base64:Af8="], "ins"),
            (ins, ["2", "name2", "base64:Av8="], "ins"),
            (ins, ["3", "name3", "base64:A/8="], "ins"),
            (get, ["2"], "get"),
            (get, ["1"], "get"),
            ("SELECT g, g * 2 AS double FROM generate_series(1, 10) AS g", [], None),
            ("SELECT $1::text IS NULL AS isnull", [None], None),
            # the Parse failed: the server skipped the Bind that followed,
            # so no value was bound
            ("SELECT * FROM no_such_table WHERE id = $1", [], None),
            ("DROP TABLE node_t", [], None),
        ])
        self.assertEqual(ev[1]["columns"], ["sum"])
        self.assertEqual(ev[1]["rows_sample"], [["5"]])
        self.assertEqual([e["command_tag"] for e in ev[2:5]], ["INSERT 0 1"] * 3)
        self.assertEqual(ev[5]["rows_sample"], [["2", "name2"], ["3", "name3"]])
        self.assertEqual(ev[6]["rows"], 3)
        series = ev[7]
        self.assertEqual(series["columns"], ["g", "double"])
        self.assertEqual(series["rows"], 10)
        self.assertEqual(series["command_tag"], "SELECT 10")
        self.assertEqual(series["rows_sample"], [[str(i), str(2 * i)] for i in range(1, 6)])
        self.assertEqual(ev[8]["rows_sample"], [["t"]])
        self.assertEqual(ev[9]["error"]["code"], "42P01")
        self.assertEqual(t.summary["dropped"], 0)

    def test_rows_sample_option_and_no_secrets(self):
        t = adi.run(PG.psql_argv("SELECT g FROM generate_series(1, 4) g"), "--rows-sample", "2")
        ev = self.sql_events(t, "psql")
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["rows"], 4)
        self.assertEqual(ev[0]["rows_sample"], [["1"], ["2"]])


if __name__ == "__main__":
    adi.main()
