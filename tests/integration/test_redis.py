"""Redis decoded from real peers: a private redis-server (Debian's) on a free
loopback port and a Unix socket, driven by redis-cli (single commands, a
--pipe mass insertion, MULTI/EXEC typed on stdin, BLPOP, big values, AUTH,
RESP3 with -3), redis-benchmark (counts checked against the server's own
INFO commandstats), node's ioredis (pipeline, MULTI, pub/sub; RESP2 only:
ioredis 5 has no RESP3 parser) and a small RESP3 client written here on
raw sockets (HELLO 3, every RESP3 type Redis 7 sends, pub/sub pushes); and
the server itself traced (role server). Exact assertions on command, args,
reply, error and counts."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
REDIS_BENCH = "/usr/bin/redis-benchmark"
SRV = None


class RedisServer:
    """redis-server on a free loopback port and a Unix socket in a temp
    directory; no persistence. traced_by: run it under adi-profiler, its
    trace in self.trace_path."""

    def __init__(self, traced=False):
        self.dir = tempfile.mkdtemp(prefix="adi-redis-")
        self.port = adi.free_port()
        self.sock = os.path.join(self.dir, "redis.sock")
        self.log = os.path.join(self.dir, "redis.log")
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
               "--unixsocket", self.sock, "--unixsocketperm", "777", "--save", "",
               "--appendonly", "no", "--daemonize", "no", "--dir", self.dir,
               "--logfile", self.log]
        self.trace_path = None
        if traced:
            self.trace_path = os.path.join(self.dir, "server-trace.jsonl")
            cmd = [adi.BIN, "run", "--format", "json", "-o", self.trace_path, "--", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 20
        while time.time() < end:
            if os.path.exists(self.sock) and self.cli("ping").strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not come up:\n" + self.tail())

    def tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def cli_argv(self, *args, unix=False):
        where = ["-s", self.sock] if unix else ["-h", "127.0.0.1", "-p", str(self.port)]
        return [REDIS_CLI, *where, *args]

    def cli(self, *args, unix=False, stdin=None):
        """an untraced redis-cli; its output"""
        p = subprocess.run(self.cli_argv(*args, unix=unix), input=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        return p.stdout.decode(errors="replace")

    def commandstats(self):
        """calls per command from INFO commandstats ("set", "config|get")"""
        out = {}
        for line in self.cli("info", "commandstats").splitlines():
            if line.startswith("cmdstat_"):
                name, rest = line[len("cmdstat_"):].split(":", 1)
                out[name] = int(rest.split(",")[0].split("=")[1])
        return out

    def stop(self):
        """stop it; a traced server's events (else [])"""
        events = []
        if self.trace_path:
            # the traced server ends on SHUTDOWN; adi-profiler then ends
            subprocess.run(self.cli_argv("shutdown", "nosave"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGINT)
                self.proc.wait(20)
            if os.path.exists(self.trace_path):
                events = adi.load(self.trace_path)
        else:
            self.proc.terminate()
            self.proc.wait(20)
        shutil.rmtree(self.dir, ignore_errors=True)
        return events


def setUpModule():
    global SRV
    SRV = RedisServer()


def tearDownModule():
    if SRV:
        SRV.stop()


def cmds(t, comm=None):
    """the redis_command events (of one comm)"""
    return [e for e in t.kind("redis_command") if comm is None or e["comm"] == comm]


def brief(e):
    """(command, args, reply, error) of an event"""
    return (e["command"], e["args"], e["reply"], e["error"])


# A raw-socket RESP3 client: HELLO 3, a value of each RESP3 type Redis 7
# sends (map, set, double, boolean, big number, null, verbatim string), then
# pub/sub: SUBSCRIBE, a message PUBLISHed from a second (RESP2) connection
# arrives as a push ('>'), a GET while subscribed (RESP3 allows it),
# UNSUBSCRIBE, QUIT. Replies are read whole before the next command, so
# the order is fixed. argv[1]: a port, or a Unix socket path.
RESP3_CLIENT = r'''
import socket, sys

def connect():
    a = sys.argv[1]
    if a.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(a)
    else:
        s = socket.create_connection(("127.0.0.1", int(a)))
    return s, s.makefile("rb")

def send(s, *args):
    b = b"*%d\r\n" % len(args)
    for x in args:
        x = x.encode()
        b += b"$%d\r\n%s\r\n" % (len(x), x)
    s.sendall(b)

def read(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in b"$=!":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if t in b"*~>%":
        n = int(rest)
        return None if n < 0 else [read(f) for _ in range(n * (2 if t == b"%" else 1))]
    return rest

s, f = connect()
p, pf = connect()
for cmd in [("HELLO", "3"), ("SET", "r3:k", "v"), ("GET", "r3:k"), ("GET", "r3:none"),
            ("HSET", "r3:h", "f", "1"), ("HGETALL", "r3:h"), ("SADD", "r3:s", "a"),
            ("SMEMBERS", "r3:s"), ("ZADD", "r3:z", "1.5", "m"), ("ZSCORE", "r3:z", "m"),
            ("EVAL", "redis.setresp(3); return true", "0"),
            ("EVAL", "return {big_number='12345678901234567890123'}", "0"),
            ("EVAL", "return redis.error_reply('MYERR boom')", "0"),
            ("CLIENT", "GETNAME"), ("SUBSCRIBE", "r3:ch")]:
    send(s, *cmd)
    read(f)
send(p, "PUBLISH", "r3:ch", "hi")
read(pf)
read(f)  # the message push
send(s, "GET", "r3:k")
read(f)
send(s, "UNSUBSCRIBE", "r3:ch")
read(f)
send(s, "QUIT")
read(f)
send(p, "QUIT")
read(pf)
'''


class RedisClient(adi.TraceTest):
    def check_conn(self, e, transport="tcp"):
        self.assertEqual(e["conn"]["transport"], transport)
        self.assertEqual(e["conn"]["role"], "client")
        if transport == "tcp":
            self.assertEqual(e["conn"]["remote"], "127.0.0.1:%d" % SRV.port)
        else:
            self.assertEqual(e["conn"]["remote"], SRV.sock)

    def cli_script(self, unix):
        """single redis-cli commands, each its own connection"""
        c = " ".join(SRV.cli_argv(unix=unix))
        return ["sh", "-c",
                f"{c} set it:k hello >/dev/null; {c} get it:k >/dev/null; "
                f"{c} get it:missing >/dev/null; {c} del it:n >/dev/null; "
                f"{c} incr it:n >/dev/null; {c} incrby it:n 41 >/dev/null; "
                f"{c} lpush it:k x >/dev/null; {c} del it:l >/dev/null; "
                f"{c} rpush it:l a b c >/dev/null; {c} lrange it:l 0 -1 >/dev/null; "
                f"{c} config get maxmemory-policy >/dev/null; "
                f"{c} client setname it >/dev/null; {c} ping >/dev/null"]

    CLI_EXPECT = [
        ("SET", ["it:k", "hello"], "OK", None),
        ("GET", ["it:k"], "hello", None),
        ("GET", ["it:missing"], None, None),
        ("DEL", ["it:n"], 0, None),
        ("INCR", ["it:n"], 1, None),
        ("INCRBY", ["it:n", "41"], 42, None),
        ("LPUSH", ["it:k", "x"],
         {"error": "WRONGTYPE Operation against a key holding the wrong kind of value"},
         "WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("DEL", ["it:l"], 0, None),
        ("RPUSH", ["it:l", "a", "b", "c"], 3, None),
        ("LRANGE", ["it:l", "0", "-1"], ["a", "b", "c"], None),
        ("CONFIG GET", ["maxmemory-policy"], ["maxmemory-policy", "noeviction"], None),
        ("CLIENT SETNAME", ["it"], "OK", None),
        ("PING", [], "PONG", None),
    ]

    def check_cli(self, unix):
        SRV.cli("del", "it:k", "it:n", "it:l")
        t = adi.run(self.cli_script(unix))
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "redis-cli")
        self.assertEqual([brief(e) for e in ev], self.CLI_EXPECT)
        self.assertEqual(len({e["conn"]["id"] for e in ev}), len(ev))  # one each
        for e in ev:
            self.check_conn(e, "unix" if unix else "tcp")
            self.assertGreater(e["duration_ms"], 0)
            self.assertFalse(e["truncated"])
            self.assertNotIn("incomplete", e)
        # SET it:k hello: *3 $3 SET $4 it:k $5 hello = 4+9+10+11; +OK
        self.assertEqual((ev[0]["req_bytes"], ev[0]["resp_bytes"]), (34, 5))
        self.assertEqual(t.kind("tcp_stream"), [])
        self.assertEqual(t.summary["parse_errors"], 0)
        self.assertEqual(t.summary["parse_skipped_bytes"], 0)

    def test_cli_commands_tcp(self):
        self.check_cli(unix=False)

    def test_cli_commands_unix_socket(self):
        self.check_cli(unix=True)

    def test_pipe_mass_insertion(self):
        """redis-cli --pipe (https://redis.io/docs/latest/develop/use/
        patterns/bulk-loading/): the SETs written at once, then an ECHO of a
        random 20-byte string the tool uses to know all replies came."""
        n = 500
        path = os.path.join(self.dir, "mass.resp")
        with open(path, "wb") as f:
            for i in range(n):
                k, v = b"mass:%d" % i, b"value-%d" % i
                f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
        # its first write is 16 KiB: the decoder gets it whole
        with open(path, "rb") as stdin:
            t = adi.run(SRV.cli_argv("--pipe"), stdin=stdin)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "redis-cli")
        sets = [e for e in ev if e["command"] == "SET"]
        self.assertEqual(len(sets), n)
        self.assertEqual([e["args"] for e in sets],
                         [["mass:%d" % i, "value-%d" % i] for i in range(n)])
        self.assertTrue(all(e["reply"] == "OK" for e in sets))
        echo = [e for e in ev if e["command"] != "SET"]
        self.assertEqual(len(echo), 1)
        self.assertEqual(echo[0]["command"], "ECHO")
        self.assertEqual(len(echo[0]["args"]), 1)
        self.assertEqual(echo[0]["reply"], echo[0]["args"][0])
        self.assertEqual(len({e["conn"]["id"] for e in ev}), 1)
        self.assertEqual(SRV.cli("get", "mass:%d" % (n - 1)).strip(), "value-%d" % (n - 1))

    def test_multi_exec(self):
        """commands typed on redis-cli's stdin: one connection, in order,
        after the COMMAND DOCS redis-cli 7 asks for its hints"""
        script = (b"MULTI\nSET tx:a 1\nINCR tx:a\nEXEC\n"
                  b"MULTI\nNOSUCHCMD x\nSET tx:a 5\nEXEC\nGET tx:a\n")
        path = os.path.join(self.dir, "tx.txt")
        with open(path, "wb") as f:
            f.write(script)
        with open(path, "rb") as stdin:
            t = adi.run(SRV.cli_argv(), stdin=stdin)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "redis-cli")
        self.assertEqual((ev[0]["command"], ev[0]["args"]), ("COMMAND DOCS", []))
        self.assertIsInstance(ev[0]["reply"], list)  # name, docs, ... (RESP2)
        ev = ev[1:]
        unknown = "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "
        abort = "EXECABORT Transaction discarded because of previous errors."
        self.assertEqual([brief(e) for e in ev], [
            ("MULTI", [], "OK", None),
            ("SET", ["tx:a", "1"], "QUEUED", None),
            ("INCR", ["tx:a"], "QUEUED", None),
            ("EXEC", [], ["OK", 2], None),
            ("MULTI", [], "OK", None),
            ("NOSUCHCMD", ["x"], {"error": unknown}, unknown),
            ("SET", ["tx:a", "5"], "QUEUED", None),
            ("EXEC", [], {"error": abort}, abort),
            ("GET", ["tx:a"], "2", None),
        ])
        self.assertEqual(len({e["conn"]["id"] for e in ev}), 1)

    def test_benchmark_counts(self):
        """redis-benchmark -n 1000 -t set,get -P 16 -c 4: it first reads
        "save" and "appendonly" with two CONFIG GETs on a connection of its
        own; then each test's clients send batches of 16, a batch starting
        while fewer than -n requests were issued (redis-benchmark.c
        writeHandler), so ceil(1000 / 16) * 16 = 1008 SETs and 1008 GETs.
        The server's INFO commandstats must agree."""
        SRV.cli("config", "resetstat")
        t = adi.run([REDIS_BENCH, "-h", "127.0.0.1", "-p", str(SRV.port), "-n", "1000",
                     "-t", "set,get", "-P", "16", "-c", "4", "-q"])
        self.assertEqual(t.rc, 0, t.stderr)
        stats = SRV.commandstats()
        ev = cmds(t, "redis-benchmark")
        by = {}
        for e in ev:
            by[e["command"]] = by.get(e["command"], 0) + 1
        self.assertEqual(by, {"SET": 1008, "GET": 1008, "CONFIG GET": 2})
        self.assertEqual((stats.get("set"), stats.get("get"), stats.get("config|get")),
                         (1008, 1008, 2))
        self.assertEqual(sorted(e["args"][0] for e in ev if e["command"] == "CONFIG GET"),
                         ["appendonly", "save"])
        for e in ev:
            if e["command"] == "SET":
                self.assertEqual(e["reply"], "OK")
                self.assertEqual(e["args"][0], "key:__rand_int__")
            elif e["command"] == "GET":
                self.assertEqual(len(e["reply"]), 3)  # SET wrote 3 bytes: "XXX"
        self.assertEqual(t.summary["dropped"], 0)
        self.assertEqual(t.summary["parse_errors"], 0)

    def check_node(self, unix):
        env = dict(os.environ)
        if unix:
            env["REDIS_PATH"] = SRV.sock
        else:
            env["REDIS_PORT"] = str(SRV.port)
        t = adi.run(["node", os.path.join(HERE, "node", "redis_client.js")], env=env)
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t)
        conns = []
        for e in ev:
            if e["conn"]["id"] not in conns:
                conns.append(e["conn"]["id"])
        self.assertEqual(len(conns), 2)
        main = [brief(e) for e in ev if e["conn"]["id"] == conns[0]]
        sub = [e for e in ev if e["conn"]["id"] == conns[1]]
        self.assertEqual(main, [
            ("CLIENT SETNAME", ["adi-node"], "OK", None),
            ("SET", ["node:k", "v1"], "OK", None),
            ("GET", ["node:k"], "v1", None),
            ("SET", ["node:p", "1"], "OK", None),
            ("INCR", ["node:p"], 2, None),
            ("GET", ["node:p"], "2", None),
            ("MULTI", [], "OK", None),
            ("SET", ["node:m", "a"], "QUEUED", None),
            ("APPEND", ["node:m", "b"], "QUEUED", None),
            ("GET", ["node:m"], "QUEUED", None),
            ("EXEC", [], ["OK", 2, "ab"], None),
            ("SET", ["node:bin", "base64:/wD+"], "OK", None),
            ("PUBLISH", ["node:ch1", "hello"], 1, None),
            ("QUIT", [], "OK", None),
        ])
        self.assertEqual([brief(e) for e in sub[:2]], [
            ("CLIENT SETNAME", ["adi-node"], "OK", None),
            ("SUBSCRIBE", ["node:ch1", "node:ch2"],
             [["subscribe", "node:ch1", 1], ["subscribe", "node:ch2", 2]], None),
        ])
        push = sub[2]
        self.assertEqual(brief(push), (None, [], ["message", "node:ch1", "hello"], None))
        self.assertIs(push["push"], True)
        self.assertEqual(push["req_bytes"], 0)
        unsub = sub[3]
        self.assertEqual((unsub["command"], unsub["args"]), ("UNSUBSCRIBE", []))
        # one confirmation per channel, in the server's order; the last
        # says none is left
        self.assertEqual(sorted(c[1] for c in unsub["reply"]), ["node:ch1", "node:ch2"])
        self.assertEqual([c[2] for c in unsub["reply"]], [1, 0])
        self.assertEqual(brief(sub[4]), ("QUIT", [], "OK", None))
        self.assertEqual(len(sub), 5)
        for e in ev:
            self.assertEqual(e["conn"]["transport"], "unix" if unix else "tcp")
            self.assertNotIn("incomplete", e)
            if "push" not in e:
                self.assertIsNotNone(e["duration_ms"])

    def test_node_ioredis_tcp(self):
        self.check_node(unix=False)

    def test_node_ioredis_unix_socket(self):
        self.check_node(unix=True)

    def check_resp3(self, where, transport):
        SRV.cli("del", "r3:h", "r3:s", "r3:z")
        t = adi.run(["/usr/bin/python3", "-c", RESP3_CLIENT, where])
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "python3")
        conns = []
        for e in ev:
            if e["conn"]["id"] not in conns:
                conns.append(e["conn"]["id"])
        self.assertEqual(len(conns), 2)
        main = [e for e in ev if e["conn"]["id"] == conns[0]]
        hello = main[0]
        self.assertEqual((hello["command"], hello["args"]), ("HELLO", ["3"]))
        self.assertEqual(hello["reply"]["proto"], 3)
        self.assertEqual(hello["reply"]["server"], "redis")
        self.assertEqual(hello["reply"]["modules"], [])
        boom = "MYERR boom"
        self.assertEqual([brief(e) for e in main[1:]], [
            ("SET", ["r3:k", "v"], "OK", None),
            ("GET", ["r3:k"], "v", None),
            ("GET", ["r3:none"], None, None),
            ("HSET", ["r3:h", "f", "1"], 1, None),
            ("HGETALL", ["r3:h"], {"f": "1"}, None),
            ("SADD", ["r3:s", "a"], 1, None),
            ("SMEMBERS", ["r3:s"], ["a"], None),
            ("ZADD", ["r3:z", "1.5", "m"], 1, None),
            ("ZSCORE", ["r3:z", "m"], 1.5, None),
            ("EVAL", ["redis.setresp(3); return true", "0"], True, None),
            ("EVAL", ["return {big_number='12345678901234567890123'}", "0"],
             "12345678901234567890123", None),
            ("EVAL", ["return redis.error_reply('MYERR boom')", "0"], {"error": boom}, boom),
            ("CLIENT GETNAME", [], None, None),
            ("SUBSCRIBE", ["r3:ch"], [["subscribe", "r3:ch", 1]], None),
            (None, [], ["message", "r3:ch", "hi"], None),
            ("GET", ["r3:k"], "v", None),
            ("UNSUBSCRIBE", ["r3:ch"], [["unsubscribe", "r3:ch", 0]], None),
            ("QUIT", [], "OK", None),
        ])
        self.assertIs(main[15]["push"], True)
        pub = [brief(e) for e in ev if e["conn"]["id"] == conns[1]]
        self.assertEqual(pub, [("PUBLISH", ["r3:ch", "hi"], 1, None), ("QUIT", [], "OK", None)])
        for e in ev:
            self.assertEqual(e["conn"]["transport"], transport)
            self.assertNotIn("incomplete", e)

    def test_resp3_raw_client_tcp(self):
        self.check_resp3(str(SRV.port), "tcp")

    def test_resp3_raw_client_unix_socket(self):
        self.check_resp3(SRV.sock, "unix")

    def test_resp3_cli(self):
        """redis-cli -3 says HELLO 3 first; CLIENT INFO is then a verbatim
        string (its "txt:" dropped)"""
        SRV.cli("hset", "cli3:h", "a", "1")
        t = adi.run(SRV.cli_argv("-3", "hgetall", "cli3:h"))
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "redis-cli")
        self.assertEqual([e["command"] for e in ev], ["HELLO", "HGETALL"])
        self.assertEqual(ev[1]["reply"], {"a": "1"})
        t = adi.run(SRV.cli_argv("-3", "client", "info"))
        ev = cmds(t, "redis-cli")
        self.assertEqual([e["command"] for e in ev], ["HELLO", "CLIENT INFO"])
        self.assertTrue(ev[1]["reply"].startswith("id="), ev[1]["reply"])

    def test_blpop_waits(self):
        """BLPOP answered by an RPUSH 0.5 s later: its duration is the wait"""
        SRV.cli("del", "bq")
        c = " ".join(SRV.cli_argv())
        t = adi.run(["sh", "-c", f"{c} blpop bq 5 >/dev/null & sleep 0.5; "
                     f"{c} rpush bq job >/dev/null; wait"])
        self.assertEqual(t.rc, 0, t.stderr)
        ev = cmds(t, "redis-cli")
        blpop = [e for e in ev if e["command"] == "BLPOP"]
        self.assertEqual([brief(e) for e in blpop], [("BLPOP", ["bq", "5"], ["bq", "job"], None)])
        self.assertGreater(blpop[0]["duration_ms"], 400)
        self.assertLess(blpop[0]["duration_ms"], 5000)
        push = [e for e in ev if e["command"] == "RPUSH"]
        self.assertEqual(push[0]["reply"], 1)
        self.assertGreaterEqual(push[0]["ts_ns"], blpop[0]["ts_ns"])

    def test_big_values(self):
        """values over --body-bytes (4096, and 10: shorter than the
        first command) and over 64 KiB, typed on redis-cli's stdin: cut,
        flagged, the wire sizes true"""
        for size in (10000, 300000):
            val = bytes(ord("a") + i % 26 for i in range(size))
            key = "big:%d" % size
            path = os.path.join(self.dir, "cmds")
            with open(path, "wb") as f:
                f.write(b"SET %s %s\nGET %s\n" % (key.encode(), val, key.encode()))
            for body in (4096, 10):
                with open(path, "rb") as stdin:
                    t = adi.run(SRV.cli_argv(), "--body-bytes", str(body), stdin=stdin)
                self.assertEqual(t.rc, 0, t.stderr)
                ev = cmds(t, "redis-cli")
                self.assertEqual([e["command"] for e in ev], ["COMMAND DOCS", "SET", "GET"])
                st, get = ev[1], ev[2]
                self.assertEqual((st["args"][0], st["args"][1], st["reply"]),
                                 (key, val[:body].decode(), "OK"))
                self.assertTrue(st["truncated"])
                hdr = "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(key), key, size)
                self.assertEqual(st["req_bytes"], len(hdr) + size + 2)
                self.assertEqual((get["args"], get["reply"]), ([key], val[:body].decode()))
                self.assertTrue(get["truncated"])
                self.assertEqual(get["resp_bytes"], len("$%d\r\n" % size) + size + 2)
                # a socket write is handed over whole (300 KB: in 32 KiB
                # records): nothing is lost
                self.assertNotIn("incomplete", st)
                self.assertNotIn("incomplete", get)  # read in 16 KiB pieces
                self.assertEqual(t.summary["parse_errors"], 0)
                self.assertEqual(t.summary["parse_skipped_bytes"], 0)

    def test_auth_redacted_unless_show_secrets(self):
        cmd = ["sh", "-c", " ".join(SRV.cli_argv("auth", "alice", "s3cret")) + " >/dev/null; " +
               " ".join(SRV.cli_argv("config", "get", "requirepass")) + " >/dev/null"]
        t = adi.run(cmd)
        ev = cmds(t, "redis-cli")
        self.assertEqual([(e["command"], e["args"]) for e in ev],
                         [("AUTH", ["alice", "<redacted>"]), ("CONFIG GET", ["requirepass"])])
        # no password is configured: Redis refuses (WRONGPASS)
        self.assertTrue(ev[0]["error"].startswith("WRONGPASS"), ev[0]["error"])
        self.assertEqual(ev[1]["reply"], ["requirepass", "<redacted>"])
        self.assertNotIn("s3cret", json.dumps(ev))
        t = adi.run(cmd, "--show-secrets")
        ev = cmds(t, "redis-cli")
        self.assertEqual(ev[0]["args"], ["alice", "s3cret"])
        self.assertEqual(ev[1]["reply"], ["requirepass", ""])


class RedisServerSide(adi.TraceTest):
    def test_traced_server(self):
        """redis-server itself traced: commands come in (role server), an
        inline command typed on a raw socket, a pipeline of three"""
        srv = RedisServer(traced=True)
        try:
            srv.cli("set", "s:k", "v")
            srv.cli("get", "s:k", unix=True)
            with socket.create_connection(("127.0.0.1", srv.port)) as s:
                # an inline command alone is Redis only on its own port
                # (any text protocol may send "PING"), so the connection
                # opens with a pipeline, then a command typed inline
                s.sendall(b"*2\r\n$4\r\nINCR\r\n$3\r\ns:n\r\n" * 3)
                got = b""
                while got.count(b"\r\n") < 3:
                    got += s.recv(100)
                self.assertEqual(got, b":1\r\n:2\r\n:3\r\n")
                s.sendall(b"PING\r\n")
                self.assertEqual(s.recv(100), b"+PONG\r\n")
        finally:
            events = srv.stop()
        ev = [e for e in events if e["kind"] == "redis_command"]
        self.assertEqual([brief(e) for e in ev], [
            ("PING", [], "PONG", None),        # the readiness check
            ("SET", ["s:k", "v"], "OK", None),
            ("GET", ["s:k"], "v", None),
            ("INCR", ["s:n"], 1, None),
            ("INCR", ["s:n"], 2, None),
            ("INCR", ["s:n"], 3, None),
            ("PING", [], "PONG", None),        # inline
            ("SHUTDOWN", ["nosave"], None, None),
        ])
        for e in ev:
            self.assertEqual(e["conn"]["role"], "server")
            self.assertEqual(e["comm"], "redis-server")
        self.assertEqual(ev[2]["conn"]["transport"], "unix")
        self.assertEqual(ev[6]["req_bytes"], 6)
        self.assertIsNone(ev[-1]["duration_ms"])  # no reply: the server ended


if __name__ == "__main__":
    adi.main()
