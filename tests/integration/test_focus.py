"""Focus: the program under test, not its toolchain (issue 25), on real
toolchains (tests/integration/toolchains/):

- `go test` (Debian's golang-go) on a module whose test fetches a page from
  a private nginx and writes it to a temporary file: a large trace, focused
  by default;
- `make -j2 check`: a C library in three files and its test binary, which
  reads and writes a file, focused with --focus unit_test;
- `npm test` on a package with a dependency from the npm registry (pinned
  by its lock file), whose test fetches and writes, with --focus-net;
- `python3 -m pytest` (Debian's python3-pytest) on a small suite, one test
  of which fetches and writes.

Each runs live with the text timeline (-o t.txt) and --save-raw; the raw
capture replayed to JSON Lines gives the same events as the live run
(test_replay_live), against which the text is checked: the test's own
HTTP and file work is in the text in full, every other process's file
events are either shown or counted in its FOLDED lines (never lost, never
both), and every line of the process tree says what the JSON says. Also:
`view` with --focus, and the web page's focus switch in Chromium. Under
both backends (ctest's integ. and integ-ptrace.)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402
from test_http import Nginx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "toolchains")
NODE_DIR = os.path.join(HERE, "node")
PAGE = b"<html>hello from nginx</html>\n"  # test_http.Nginx's index.html


def sh(argv, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


# ---- what the JSON says, in the timeline's words (docs/output.md) ----

KINDS = ["connection", "tcp_stream", "http_request", "grpc_call", "sql_query",
         "db_session", "redis_command", "mongo_command", "dns_query", "udp_datagram"]
KNOWN = set(KINDS) | {"file", "process", "trace_summary"}


def size_str(n):
    """src/lib/util.c adi_size_str"""
    if n < 1024:
        return "%d B" % n
    units = ["KiB", "MiB", "GiB", "TiB"]
    v, u = n / 1024.0, 0
    while v >= 1023.95 and u + 1 < len(units):
        v /= 1024.0
        u += 1
    return "%.1f %s" % (v, units[u])


def failed(e):
    """the --errors rule (docs/cli.md)"""
    k = e["kind"]
    if e.get("error") is not None:
        return True
    if k == "process":
        return e.get("op") == "exit" and (e.get("signal") is not None or
                                           (e.get("exit_code") or 0) != 0)
    if k == "http_request":
        return e.get("status") is None or e["status"] >= 400 or e.get("reset") is not None
    if k == "grpc_call":
        return e.get("status") != 0
    if k == "mongo_command":
        return e.get("ok") is False
    if k == "dns_query":
        r = e.get("rcode")
        return r is not None and r != "NOERROR" and r != 0
    return False


def new_counts():
    return {"file": 0, "reads": 0, "read_bytes": 0, "writes": 0, "write_bytes": 0,
            "errors": 0, **{k: 0 for k in KINDS}, "other": 0}


def add(c, e):
    k = e["kind"]
    if k == "file":
        c["file"] += 1
        if e.get("op") == "read":
            c["reads"] += 1
            c["read_bytes"] += max(e.get("bytes") or 0, 0)
        elif e.get("op") == "write":
            c["writes"] += 1
            c["write_bytes"] += max(e.get("bytes") or 0, 0)
    elif k in KINDS:
        c[k] += 1
    elif k not in KNOWN:
        c["other"] += 1
    if failed(e):
        c["errors"] += 1


def words(c):
    """proctree.c adi_proc_counts_str"""
    out = []
    if c["file"]:
        s = "%d file event%s" % (c["file"], "" if c["file"] == 1 else "s")
        rw = []
        if c["reads"]:
            rw.append("%d read%s %s" % (c["reads"], "" if c["reads"] == 1 else "s",
                                        size_str(c["read_bytes"])))
        if c["writes"]:
            rw.append("%d write%s %s" % (c["writes"], "" if c["writes"] == 1 else "s",
                                         size_str(c["write_bytes"])))
        if rw:
            s += " (" + ", ".join(rw) + ")"
        out.append(s)
    for k in KINDS + ["other"]:
        if c[k]:
            out.append("%d %s" % (c[k], k))
    if c["errors"]:
        out.append("%d error%s" % (c["errors"], "" if c["errors"] == 1 else "s"))
    return ", ".join(out)


def parse_words(s):
    """the numbers of a counts text (sizes are rounded: not read back)"""
    c = new_counts()
    m = re.match(r"(\d+) file events?(?: \(([^)]*)\))?(?:, )?", s)
    if m:
        c["file"] = int(m.group(1))
        for n, what in re.findall(r"(\d+) (read|write)s? ", m.group(2) or ""):
            c[what + "s"] = int(n)
        s = s[m.end():]
    for part in filter(None, s.split(", ")):
        n, name = part.split(" ", 1)
        c["errors" if name in ("error", "errors") else name] += int(n)
    return c


def per_pid(events, runtime=True):
    """counts of each pid's events (the runtime's file events too, unless
    runtime is False: what the focus can fold)"""
    out = {}
    for e in events:
        if e["kind"] == "trace_summary" or not e["pid"]:
            continue
        if not runtime and e["kind"] == "file" and e.get("runtime"):
            continue
        add(out.setdefault(e["pid"], new_counts()), e)
    return out


# ---- what the text says ----

LINE = re.compile(r"^\S+ \[PID (\d+)(?:/\d+)? (.*?)\] (\S+)")
FOLDED = re.compile(r"^\S+ \[PID (\d+) [^\]]*\] FOLDED (.*) -- --focus .* or --all shows them$")
SINGLE = re.compile(r"^(\s+)(.*?)\((\d+)\)(.*) -> (exit -?\d+|killed by \S+|running) "
                    r"\[([\d.]+) ms\](?:: (.*))?$")
GROUP = re.compile(r"^(\s+)(.+) x(\d+) -> (.*) \[([\d.]+) ms in all\](?:: (.*))?$")


class Text:
    def __init__(self, text):
        self.text = text
        self.lines = text.splitlines()
        self.fs = {}        # pid -> FS lines
        self.folded = {}    # pid -> [counts text of its FOLDED lines]
        self.singles = {}   # pid -> counts text of its tree line
        self.groups = []    # (comm, n, counts text)
        self.header = None
        self.focus_line = None
        self.hidden = 0
        tree = False
        for ln in self.lines:
            if ln.startswith("PROCESSES "):
                self.header = int(ln.split()[1])
                tree = True
                continue
            if tree:
                m = SINGLE.match(ln)
                if m:
                    self.singles[int(m.group(3))] = m.group(7) or ""
                    continue
                m = GROUP.match(ln)
                if m:
                    self.groups.append((m.group(2), int(m.group(3)), m.group(6) or ""))
                    continue
                tree = False
            m = FOLDED.match(ln)
            if m:
                self.folded.setdefault(int(m.group(1)), []).append(m.group(2))
                continue
            m = LINE.match(ln)
            if m and m.group(3) == "FS":
                pid = int(m.group(1))
                self.fs[pid] = self.fs.get(pid, 0) + 1
                continue
            m = re.match(r"^(\d+) file events? of (\d+) process(?:es)? folded \((.*?):", ln)
            if m:
                self.focus_line = (int(m.group(1)), int(m.group(2)), m.group(3))
            m = re.match(r"^(\d+) runtime events? hidden", ln)
            if m:
                self.hidden = int(m.group(1))


class Focus(adi.TraceTest):
    def setUp(self):
        super().setUp()
        self.www = Nginx(f"{self.dir}/nginx")
        self.url = self.www.url("/index.html")
        self.tmp = f"{self.dir}/tmp"
        os.makedirs(self.tmp)

    def tearDown(self):
        self.www.stop()
        super().tearDown()

    def env(self, **kw):
        e = dict(os.environ, FETCH_URL=self.url, TMPDIR=self.tmp, HOME=f"{self.dir}/home",
                 LC_ALL="C")
        e.update(kw)
        return e

    def run_traced(self, cmd, *opts, cwd, env):
        """run COMMAND with the text timeline and a raw capture; returns
        (exit status, Text, the events of the raw capture replayed)"""
        txt, raw = f"{self.dir}/t.txt", f"{self.dir}/t.raw"
        p = sh([adi.BIN, "run", "-o", txt, "--save-raw", raw, *opts, "--", *cmd],
               cwd=cwd, env=env)
        with open(txt, encoding="utf-8", errors="replace") as f:
            text = f.read()
        r = sh([adi.BIN, "replay", "--format", "json", "-o", f"{self.dir}/t.jsonl", raw])
        self.assertEqual(r.returncode, 0, r.stderr)
        events = adi.load(f"{self.dir}/t.jsonl")
        self.assertTrue(text.splitlines()[-1].split(" ", 3)[3].startswith("SUMMARY"),
                        text[-500:])
        return p, Text(text), events

    def check(self, t, events, own):
        """t agrees with the events; the pids in own (the test's own
        processes) are shown in full"""
        allc = per_pid(events)
        mine = per_pid(events, runtime=False)
        runtime = sum(1 for e in events if e["kind"] == "file" and e.get("runtime"))
        self.assertEqual(t.hidden, runtime)
        # every file event of a process is a line or folded, not both
        folded_total = 0
        for pid, c in mine.items():
            f = [parse_words(w) for w in t.folded.get(pid, [])]
            nf = sum(x["file"] for x in f)
            folded_total += nf
            self.assertEqual(t.fs.get(pid, 0) + nf, c["file"], "pid %d" % pid)
            if f and not t.fs.get(pid):
                # all of it folded: the FOLDED lines say what the JSON says
                files = {k: c[k] for k in ("file", "reads", "read_bytes", "writes",
                                           "write_bytes")}
                err = sum(1 for e in events if e["pid"] == pid and e["kind"] == "file" and
                          not e.get("runtime") and e.get("error") is not None)
                want = words(dict(new_counts(), **files, errors=err))
                if len(f) == 1:
                    self.assertEqual(t.folded[pid][0], want, "pid %d" % pid)
        for pid in own:
            self.assertNotIn(pid, t.folded, "the test's own files were folded")
            self.assertEqual(t.fs.get(pid, 0), mine[pid]["file"])
        if folded_total:
            self.assertEqual(t.focus_line[:2], (folded_total, len(t.folded)))
        else:
            self.assertIsNone(t.focus_line)
        # the tree: each process's line says what its events say, and the
        # lines (folds included) add up to the whole trace
        self.assertIsNotNone(t.header)
        self.assertGreaterEqual(t.header, len(allc))
        for pid, w in t.singles.items():
            self.assertEqual(w, words(allc[pid]), "pid %d" % pid)
        total, want = new_counts(), new_counts()
        for w in list(t.singles.values()) + [g[2] for g in t.groups]:
            for k, v in parse_words(w).items():
                total[k] += v
        for c in allc.values():
            for k, v in c.items():
                want[k] += v
        for k in ("read_bytes", "write_bytes"):
            del total[k], want[k]
        self.assertEqual(total, want)
        self.assertEqual(t.header, len(t.singles) + sum(g[1] for g in t.groups))
        return folded_total

    def pids(self, events, pred):
        return {e["pid"] for e in events if e["kind"] == "process" and e["op"] == "exec" and
                pred(e)}

    def http_lines(self, t, pid):
        return [ln for ln in t.lines if re.match(r"^\S+ \[PID %d(/\d+)? [^\]]*\] HTTP GET "
                                                  r"127\.0\.0\.1:%d/index\.html -> 200 "
                                                  % (pid, self.www.port), ln)]

    # ---- the toolchains ----

    def test_go_test(self):
        go = shutil.which("go")
        self.assertTrue(go, "go is needed (golang-go; scripts/install-deps.sh --test)")
        mod = f"{self.dir}/gomod"
        shutil.copytree(f"{TOOLS}/go", mod)
        env = self.env(GOCACHE=f"{self.dir}/gocache", GOPATH=f"{self.dir}/gopath",
                       GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
        # the build cache warmed untraced: the traced run is the one a
        # developer repeats (compile, vet and link still run)
        p = sh([go, "test", "-count=1", "./..."], cwd=mod, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for f in glob.glob(f"{self.tmp}/fetch-*.html"):
            os.unlink(f)
        p, t, events = self.run_traced([go, "test", "-count=1", "./..."], cwd=mod, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        own = self.pids(events, lambda e: e["comm"] == "fetch.test")
        self.assertEqual(len(own), 1)
        pid = own.pop()
        self.assertEqual(len(self.http_lines(t, pid)), 1, t.text[-3000:])
        written = glob.glob(f"{self.tmp}/fetch-*.html")
        self.assertEqual(len(written), 1)
        self.assertRegex(t.text, r"\[PID %d(/\d+)? fetch\.test\] FS WRITE %s \(%d B\)" %
                         (pid, re.escape(written[0]), len(PAGE)))
        # large by default: the go command and its tools folded
        n = self.check(t, events, {pid})
        self.assertEqual(t.focus_line[2], "a large trace")
        self.assertGreater(n, 1000)
        folded_comms = {c for c in ("go", "compile", "vet", "link")
                        if re.search(r"\[PID \d+ %s\] FOLDED " % c, t.text)}
        self.assertGreaterEqual(len(folded_comms), 3, folded_comms)
        self.assertLess(len(t.lines), 200)
        # view, with --focus: the linker shown in full as well (a glob on
        # go would show everything: what it starts is in focus with it)
        v = sh([adi.BIN, "view", "--focus", "li?k", f"{self.dir}/t.jsonl"])
        self.assertEqual(v.returncode, 0, v.stderr)
        vt = Text(v.stdout.decode(errors="replace"))
        links = self.pids(events, lambda e: e["comm"] == "link")
        self.assertTrue(links)
        self.check(vt, events, {pid} | links)
        self.assertEqual(vt.focus_line[2], "focus")
        # --all folds nothing
        v = sh([adi.BIN, "view", "--all", f"{self.dir}/t.jsonl"])
        at = Text(v.stdout.decode(errors="replace"))
        self.assertEqual(sum(at.fs.values()), sum(1 for e in events if e["kind"] == "file"))
        self.assertFalse(at.folded)
        self.page_switch(events, own={pid})
        self.report_tree(events, pid, links)

    def report_tree(self, events, pid, links):
        """report's process tree (docs/insight.md): each process's counts
        are its events', folds add up, --focus marks the linker and the
        test binary used the network"""
        r = sh([adi.BIN, "report", "--format", "json", "--focus", "li?k",
                f"{self.dir}/t.jsonl"])
        self.assertEqual(r.returncode, 0, r.stderr)
        tree = json.loads(r.stdout)["process_tree"]
        allc = per_pid(events)
        seen, total = {}, new_counts()

        def walk(nodes):
            for n in nodes:
                c = n["counts"]
                for k in total:
                    total[k] += c.get(k, 0)
                if "pid" in n:
                    seen[n["pid"]] = n
                    want = allc.get(n["pid"], new_counts())
                    self.assertEqual({k: c.get(k, 0) for k in want}, want, n["comm"])
                walk(n.get("children", []))
        walk(tree)
        want = new_counts()
        for c in allc.values():
            for k, v in c.items():
                want[k] += v
        self.assertEqual(total, want)
        self.assertTrue(seen[pid]["net"])
        for lp in links:
            self.assertTrue(seen[lp]["focus"], lp)
        t = sh([adi.BIN, "report", f"{self.dir}/t.jsonl"]).stdout.decode(errors="replace")
        self.assertRegex(t, r"\n  +fetch\.test\(%d\)" % pid)

    def test_make_check(self):
        src = f"{self.dir}/c"
        shutil.copytree(f"{TOOLS}/c", src)
        p, t, events = self.run_traced(["make", "-j2", "check"], "--focus", "unit_test",
                                       cwd=src, env=self.env())
        self.assertEqual(p.returncode, 0, p.stderr)
        own = self.pids(events, lambda e: e["comm"] == "unit_test")
        self.assertEqual(len(own), 1)
        pid = next(iter(own))
        self.assertRegex(t.text, r"\[PID %d unit_test\] FS READ %s/data\.txt \(12 B(, \d calls)?\)" %
                         (pid, re.escape(src)))
        self.assertRegex(t.text, r"\[PID %d unit_test\] FS WRITE %s/out\.txt \(15 B\) "
                         r"\"sum 100 max 40\\n\"" % (pid, re.escape(src)))
        n = self.check(t, events, own)
        self.assertEqual(t.focus_line[2], "focus")
        self.assertGreater(n, 100)
        # the compilers are folded, and repeated ones fold in the tree
        for comm in ("cc1", "as"):
            self.assertRegex(t.text, r"\[PID \d+ %s\] FOLDED \d+ file events" % comm)
        self.assertTrue(any(g[0] == "gcc" and g[1] >= 4 for g in t.groups), t.groups)

    def test_npm_test(self):
        pkg = f"{TOOLS}/npm"
        self.assertTrue(os.path.isdir(f"{pkg}/node_modules/ms"),
                        "run scripts/install-deps.sh --test (npm ci in %s)" % pkg)
        p, t, events = self.run_traced(["npm", "test"], "--focus-net", cwd=pkg,
                                       env=self.env(npm_config_update_notifier="false",
                                                    npm_config_fund="false"))
        self.assertEqual(p.returncode, 0, p.stderr)
        own = self.pids(events, lambda e: e.get("argv") == ["node", "test.js"])
        self.assertEqual(len(own), 1)
        pid = next(iter(own))
        self.assertEqual(len(self.http_lines(t, pid)), 1, t.text[-3000:])
        self.assertRegex(t.text, r"\[PID %d(/\d+)? node\] FS WRITE %s/npm-fetch\.html \(%d B\)"
                         % (pid, re.escape(self.tmp), len(PAGE)))
        # its dependency, read from the package's node_modules: a module
        # load, counted with the runtime's (events.md `runtime`)
        self.assertTrue(any(e["kind"] == "file" and e["pid"] == pid and
                            "/node_modules/ms/" in (e.get("path") or "") and
                            e.get("runtime") == "module" for e in events))
        n = self.check(t, events, own)
        self.assertEqual(t.focus_line[2], "focus")
        self.assertGreater(n, 0)  # npm's own files: folded

    def test_pytest(self):
        suite = f"{self.dir}/py"
        shutil.copytree(f"{TOOLS}/py", suite)
        p, t, events = self.run_traced(
            ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", suite],
            cwd=self.dir, env=self.env(PYTHONDONTWRITEBYTECODE="1"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        own = self.pids(events, lambda e: e["comm"].startswith("python3"))
        self.assertEqual(len(own), 1)
        pid = next(iter(own))
        self.assertEqual(len(self.http_lines(t, pid)), 1, t.text[-3000:])
        self.assertRegex(t.text, r"\[PID %d(/\d+)? \S+\] FS WRITE %s/py-fetch\.html \(%d B\)"
                         % (pid, re.escape(self.tmp), len(PAGE)))
        self.assertRegex(t.text, r"\[PID %d(/\d+)? \S+\] FS READ %s/test_fetch\.py" %
                         (pid, re.escape(suite)))
        # the interpreter's own work is the runtime line; pytest is the
        # test's process itself: nothing of it to fold
        self.check(t, events, own)
        self.assertGreater(t.hidden, 100)

    # ---- the web page ----

    def page_switch(self, events, own):
        """`ui --focus-net` starts with the switch on: the file events of
        processes out of focus left out; unticked, all of them listed"""
        node = shutil.which("node")
        if not (node and os.path.exists("/usr/bin/chromium") and
                os.path.isdir(f"{NODE_DIR}/node_modules/playwright-core")):
            self.fail("the page's switch needs node, Debian's chromium and "
                      "tests/integration/node's npm ci (install-deps.sh --test)")
        net = {e["pid"] for e in events if e["kind"] not in ("file", "process", "trace_summary")
               and (e["kind"] not in ("connection", "tcp_stream", "udp_datagram") or
                    (e.get("conn") or {}).get("transport") in ("tcp", "udp"))}
        self.assertTrue(own <= net)
        runtime = sum(1 for e in events if e["kind"] == "file" and e.get("runtime"))
        folded = sum(1 for e in events if e["kind"] == "file" and not e.get("runtime") and
                     e["pid"] not in net)
        shown_off = len(events) - runtime
        want = {"on": True, "folded": folded, "shownOn": shown_off - folded,
                "shownOff": shown_off}
        srv = subprocess.Popen([adi.BIN, "ui", "--focus-net", f"{self.dir}/t.jsonl"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = srv.stdout.readline().strip()
            if not url.startswith("http://127.0.0.1:"):
                srv.kill()
                self.fail("no URL from ui: %r %s" % (url, srv.stderr.read()))
            base, token = url.split("?")[0], url.split("token=")[1]
            with urllib.request.urlopen(f"{base}api/info?token={token}", timeout=10) as r:
                info = json.loads(r.read())
            self.assertEqual(info["focus"], {"mode": "on", "above": 1000, "globs": []})
            p = sh([node, "focus_e2e.js", url, json.dumps(want)], cwd=NODE_DIR, timeout=180)
            sys.stderr.write(p.stdout.decode() + p.stderr.decode())
            self.assertEqual(p.returncode, 0, p.stderr.decode())
        finally:
            srv.send_signal(2)
            srv.wait(10)
            srv.stdout.close()
            srv.stderr.close()


if __name__ == "__main__":
    adi.main()
