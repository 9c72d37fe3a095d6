"""Private database servers for the integration tests and benchmarks: a
PostgreSQL cluster (initdb into a temp directory, trust auth) and a MariaDB
instance (mariadb-install-db into a temp datadir), each on a free loopback
port and on its own Unix socket. Started and stopped by the test module;
nothing shared with the machine's own services. A server that does not come
up raises, so the tests fail instead of skipping. Also the checks every
SQL client's events share (check_client_query)."""
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import adi

PG_BIN = "/usr/lib/postgresql/15/bin"
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def _wait(check, what, timeout=30, log=None):
    end = time.time() + timeout
    while time.time() < end:
        if check():
            return
        time.sleep(0.1)
    tail = ""
    if log and os.path.exists(log):
        with open(log, errors="replace") as f:
            tail = f.read()[-2000:]
    raise RuntimeError("%s did not come up in %ds\n%s" % (what, timeout, tail))


def check_client_query(tc, e, db, transport, user, database):
    """what every sql_query event of a traced client says (docs/events.md):
    db, transport, user and database as given, a duration, every field"""
    tc.assertEqual(e["db"], db)
    tc.assertEqual(e["conn"]["transport"], transport)
    tc.assertEqual(e["conn"]["role"], "client")
    tc.assertEqual(e["user"], user)
    tc.assertEqual(e["database"], database)
    tc.assertIsNotNone(e["duration_ms"])
    tc.assertGreater(e["duration_ms"], 0)
    for k in ("sql", "params", "statement", "columns", "rows", "rows_sample",
              "command_tag", "error", "tx"):
        tc.assertIn(k, e)


def _stop(proc, timeout, tmpdir):
    """terminate proc (killed after timeout seconds), then remove tmpdir"""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(tmpdir, ignore_errors=True)


def _pg_bin():
    if os.path.isdir(PG_BIN):
        return PG_BIN
    vers = sorted(os.listdir("/usr/lib/postgresql"))
    return "/usr/lib/postgresql/%s/bin" % vers[-1]


class Postgres:
    """initdb + postgres as the `postgres` user (the server refuses root)."""

    def __init__(self):
        self.bin = _pg_bin()
        self.dir = tempfile.mkdtemp(prefix="adi-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sockdir = self.dir
        self.port = adi.free_port()
        self.log = os.path.join(self.dir, "server.log")
        self.user = "postgres"
        self.database = "postgres"
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._as_pg([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres",
                     "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        self.proc = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", os.path.join(self.bin, "postgres"),
             "-D", self.data, "-p", str(self.port), "-k", self.sockdir,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "logging_collector=off"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        _wait(lambda: adi.port_open(self.port) and os.path.exists(self.socket),
              "postgres", log=self.log)
        # ready for queries, not only listening
        _wait(lambda: subprocess.run(self.psql_argv("select 1"), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL).returncode == 0,
              "postgres (queries)", log=self.log)

    @property
    def socket(self):
        return os.path.join(self.sockdir, ".s.PGSQL.%d" % self.port)

    def _as_pg(self, argv):
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def psql_argv(self, sql=None, unix=False):
        host = self.sockdir if unix else "127.0.0.1"
        argv = ["psql", "-X", "-q", "-h", host, "-p", str(self.port), "-U", "postgres",
                "-d", "postgres", "-v", "ON_ERROR_STOP=0"]
        if sql is not None:
            argv += ["-c", sql]
        return argv

    def env(self):
        """what libpq-based clients and node's pg read"""
        e = dict(os.environ)
        e.update(PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="postgres",
                 PGDATABASE="postgres", PGSSLMODE="disable")
        return e

    def stop(self):
        _stop(self.proc, 10, self.dir)


class MariaDB:
    """mariadb-install-db + mariadbd (as root: --user=root), root without a
    password, a `test` database."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="adi-my-")
        self.data = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.port = adi.free_port()
        self.log = os.path.join(self.dir, "server.log")
        self.user = "root"
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.data,
                        "--user=root", "--auth-root-authentication-method=normal",
                        "--skip-test-db"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--datadir=" + self.data, "--user=root",
             "--socket=" + self.socket, "--port=%d" % self.port,
             "--bind-address=127.0.0.1", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
             "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
             "--log-error=" + self.log],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait(lambda: adi.port_open(self.port) and os.path.exists(self.socket),
              "mariadbd", log=self.log)
        subprocess.run(self.cli_argv("CREATE DATABASE IF NOT EXISTS test"), check=True,
                       stdout=subprocess.DEVNULL)

    def cli_argv(self, sql=None, unix=False, database=None):
        argv = ["mariadb", "--no-defaults", "-u", "root", "--skip-ssl"]
        if unix:
            argv += ["--protocol=SOCKET", "-S", self.socket]
        else:
            argv += ["--protocol=TCP", "-h", "127.0.0.1", "-P", str(self.port)]
        if database:
            argv += ["-D", database]
        if sql is not None:
            argv += ["-e", sql]
        return argv

    def stop(self):
        _stop(self.proc, 20, self.dir)
