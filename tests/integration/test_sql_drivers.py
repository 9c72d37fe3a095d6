"""SQL fidelity with real drivers: one scenario (tests/integration/java/
JdbcClient.java, tests/integration/perl/dbi_client.pl) run through PgJDBC and
MariaDB Connector/J (Debian's jars, server-side prepared statements), Perl
DBI's DBD::Pg and DBD::MariaDB (mariadb_server_prepare=1), against the
private PostgreSQL and MariaDB of dbservers.py. Each driver's events are
checked exactly where the scenario fixes them: a prepared INSERT executed 7
times (text, binary and NULL parameters), a prepared SELECT executed 7 times
with its columns and decoded rows on every execution (PgJDBC's executions
after the 5th carry no Describe; MariaDB's metadata cache leaves the column
definitions out), an error at prepare and one at execute, a batch, a
committed and a rolled-back transaction, and the session model: the login
and the quit are db_session events, every sql_query event is a statement."""
import base64
import os
import re
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
import dbservers  # noqa: E402

PG = MY = None
HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_CLIENT = os.path.join(HERE, "java", "JdbcClient.java")
DBI_CLIENT = os.path.join(HERE, "perl", "dbi_client.pl")
PGJDBC = "/usr/share/java/postgresql.jar"
MARIADB_JDBC = "/usr/share/java/mariadb-java-client.jar"


def setUpModule():
    global PG, MY
    PG = dbservers.Postgres()
    MY = dbservers.MariaDB()


def tearDownModule():
    if PG:
        PG.stop()
    if MY:
        MY.stop()


def name_of(i):
    """the name the scenario inserts with id i (3: NULL)"""
    return None if i == 3 else "n%d" % i


def blob_of(db, i):
    """the 2-byte binary parameter of id i as each decoder shows it: bytea
    as PostgreSQL writes it, MySQL's BLOB bytes as base64 (not UTF-8)"""
    raw = bytes([i, 0xff])
    if db == "postgres":
        return "\\x" + raw.hex()
    return "base64:" + base64.b64encode(raw).decode()


class DriversTest(adi.TraceTest):
    def run_client(self, argv, db):
        # a JVM under ptrace is slow to start: a generous timeout
        t = adi.run(argv, timeout=600)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        self.assertEqual(t.summary["dropped"], 0)
        comm = "java" if argv[0] == "java" else "perl"
        ev = [e for e in t.events if e["kind"] in ("sql_query", "db_session") and
              e["comm"] == comm and e["db"] == db]
        return t, ev

    def sql(self, db, text):
        """the scenario's text as the server gets it: PostgreSQL drivers
        number the placeholders"""
        if db != "postgres":
            return text
        n = iter(range(1, 100))
        return re.sub(r"\?", lambda m: "$%d" % next(n), text)

    def check_session(self, ev, db, user, database):
        """the session model: the login first, the quit last, both
        db_session events; everything between them is a statement"""
        sess = [e for e in ev if e["kind"] == "db_session"]
        self.assertEqual([e["op"] for e in sess], ["login", "quit"])
        self.assertIs(ev[0], sess[0])
        self.assertIs(ev[-1], sess[1])
        for e in sess:
            self.assertEqual((e["user"], e["database"], e["error"]), (user, database, None))
        self.assertGreater(sess[0]["duration_ms"], 0)
        self.assertIsNone(sess[1]["duration_ms"])
        queries = [e for e in ev if e["kind"] == "sql_query"]
        for e in queries:
            self.assertNotIn(e.get("command"), ("CONNECT", "COM_QUIT", "COM_PING"))
            if e.get("command") == "COM_STMT_CLOSE":  # no reply
                self.assertIsNone(e["duration_ms"])
                continue
            dbservers.check_client_query(self, e, db, "tcp", user, database)
        return queries

    def check_scenario(self, q, db):
        """the events of the scenario's statements (q: the sql_query events
        of one run, in order); returns the events by step for the caller's
        driver-specific checks"""
        my = db == "mysql"
        ins = self.sql(db, "INSERT INTO %s (id, name, score, data) VALUES (?, ?, ?, ?)")
        sel = self.sql(db, "SELECT id, name, score FROM %s WHERE id <= ? ORDER BY id")
        table = "jt" if ins % "jt" in [e["sql"] for e in q] else "pt"
        ins, sel = ins % table, sel % table

        def execs(text):
            return [e for e in q if e["sql"] == text and
                    (not my or e["command"] == "COM_STMT_EXECUTE")]

        # the INSERT: text, NULL (id 3) and binary parameters, 7 times
        got = [e for e in execs(ins) if e["error"] is None]
        self.assertEqual(len(got), 7)
        for i, e in enumerate(got, 1):
            self.assertEqual(e["params"], [str(i), name_of(i), "%d.5" % i, blob_of(db, i)])
            self.assertIsNone(e["error"])
            self.assertEqual(e["rows"], 1)
            self.assertEqual(e["command_tag"], "OK, 1 row affected" if my else "INSERT 0 1")
        # the SELECT: its columns and rows on every execution
        got = execs(sel)
        self.assertEqual(len(got), 7)
        rows = [[str(k), name_of(k), "%d.5" % k] for k in range(1, 8)]
        for i, e in enumerate(got, 1):
            self.assertEqual(e["params"], [str(i)], i)
            self.assertEqual(e["columns"], ["id", "name", "score"], i)
            self.assertEqual(e["rows"], i)
            self.assertEqual(e["rows_sample"], rows[:min(i, 5)], i)
            self.assertEqual(e["command_tag"],
                             ("SELECT %d row%s" % (i, "" if i == 1 else "s")) if my
                             else "SELECT %d" % i)
        # an error at prepare (PostgreSQL: in the Parse of the execution)
        bad = self.sql(db, "SELECT * FROM no_such_table WHERE id = ?")
        err = [e for e in q if e["sql"] == bad][0]
        self.assertEqual(err["error"]["code"], "1146" if my else "42P01")
        if my:
            self.assertEqual(err["command"], "COM_STMT_PREPARE")
            self.assertEqual(err["error"]["sqlstate"], "42S02")
        # an error at execute: the duplicate key, with its parameters
        dup = [e for e in q if (e["params"] or [])[:2] == ["1", "dup"]]
        self.assertEqual(len(dup), 1)
        dup = dup[0]
        self.assertEqual(dup["error"]["code"], "1062" if my else "23505")
        self.assertIsNone(dup["command_tag"])
        # the batch: one event per row
        batch = [e for e in execs(self.sql(db, "INSERT INTO %s (id, name) VALUES (?, ?)" % table))
                 if e["error"] is None]
        self.assertEqual([e["params"] for e in batch], [["10", "b10"], ["11", "b11"], ["12", "b12"]])
        self.assertTrue(all(e["rows"] == 1 for e in batch))
        # the transactions: in_tx until the COMMIT / ROLLBACK, idle after
        upd = execs(self.sql(db, "UPDATE %s SET name = ? WHERE id = ?" % table))
        self.assertEqual([e["params"] for e in upd], [["kept", "10"], ["undone", "11"]])
        self.assertEqual([e["tx"] for e in upd], ["in_tx", "in_tx"])
        ends = [e for e in q if (e["sql"] or "").upper() in ("COMMIT", "ROLLBACK")]
        self.assertEqual([(e["sql"].upper(), e["tx"]) for e in ends],
                         [("COMMIT", "idle"), ("ROLLBACK", "idle")])
        self.assertLess(q.index(upd[0]), q.index(ends[0]))
        self.assertLess(q.index(ends[0]), q.index(upd[1]))
        self.assertLess(q.index(upd[1]), q.index(ends[1]))
        return {"ins": execs(ins), "sel": got}

    def test_pgjdbc(self):
        url = "jdbc:postgresql://127.0.0.1:%d/postgres?user=postgres&sslmode=disable" % PG.port
        t, ev = self.run_client(["java", "-cp", PGJDBC, JAVA_CLIENT, url, "bytea"], "postgres")
        q = self.check_session(ev, "postgres", "postgres", "postgres")
        steps = self.check_scenario(q, "postgres")
        # the unnamed statement for the first 4 executions, then a named
        # one (prepareThreshold 5), bound without a Describe from the 6th
        for k in ("ins", "sel"):
            names = [e["statement"] for e in steps[k][:7]]
            self.assertEqual(names[:4], [None] * 4, k)
            self.assertIsNotNone(names[4], k)
            self.assertEqual(names[4:], [names[4]] * 3, k)

    def test_mariadb_jdbc(self):
        url = "jdbc:mariadb://127.0.0.1:%d/test?user=root&useServerPrepStmts=true" % MY.port
        t, ev = self.run_client(["java", "-cp", MARIADB_JDBC, JAVA_CLIENT, url, "BLOB"], "mysql")
        q = self.check_session(ev, "mysql", "root", "test")
        steps = self.check_scenario(q, "mysql")
        self.check_prepared(q, steps)

    def test_dbd_pg(self):
        dsn = "dbi:Pg:dbname=postgres;host=127.0.0.1;port=%d;sslmode=disable" % PG.port
        t, ev = self.run_client(["perl", DBI_CLIENT, dsn, "postgres", "bytea"], "postgres")
        q = self.check_session(ev, "postgres", "postgres", "postgres")
        self.check_scenario(q, "postgres")

    def test_dbd_mariadb_server_prepare(self):
        dsn = ("dbi:MariaDB:database=test;host=127.0.0.1;port=%d;mariadb_server_prepare=1"
               % MY.port)
        t, ev = self.run_client(["perl", DBI_CLIENT, dsn, "root", "BLOB"], "mysql")
        q = self.check_session(ev, "mysql", "root", "test")
        steps = self.check_scenario(q, "mysql")
        self.check_prepared(q, steps)

    def check_prepared(self, q, steps):
        """MySQL: each statement prepared once (its PREPARE event lists the
        columns) and every EXECUTE names that statement"""
        for k, cols in (("ins", []), ("sel", ["id", "name", "score"])):
            sql = steps[k][0]["sql"]
            prep = [e for e in q if e["sql"] == sql and e["command"] == "COM_STMT_PREPARE"]
            self.assertEqual(len(prep), 1, sql)
            self.assertEqual(prep[0]["columns"], cols)
            self.assertEqual({e["statement"] for e in steps[k]}, {prep[0]["statement"]})


if __name__ == "__main__":
    adi.main()
