"""Shared helpers for the integration tests: run adi-profiler for real (eBPF,
root) and read its JSON Lines. Nothing here skips: a machine that cannot
trace makes these tests fail, loudly, because CI must prove the capture.
Every event read here is checked against docs/events.md (check_event): an
undocumented kind or field fails the test that met it."""
import functools
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("ADI_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "adi-profiler")

# ADI_BACKEND=ptrace runs the suite under that backend: run() passes
# --backend, and adi-profiler itself reads ADI_BACKEND (inherited by every
# subprocess) when no --backend is given, so tests that start it directly
# use it too. A test skips an assertion only where BACKEND explains why.
BACKEND = os.environ.get("ADI_BACKEND") or "ebpf"
os.environ.setdefault("ADI_BACKEND", BACKEND)


def ptrace():
    """true when the suite runs under the ptrace backend"""
    return BACKEND == "ptrace"


# --- loopback ports, shared by the test modules and dbservers.py ---

def free_port():
    """a loopback TCP port that nothing listens on (at the time of asking)"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_open(port):
    """true when something accepts connections on 127.0.0.1:port"""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_port(port, timeout=10):
    """return once something listens on 127.0.0.1:port; RuntimeError after
    timeout seconds"""
    end = time.time() + timeout
    while time.time() < end:
        if port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def require_root(tc):
    if os.geteuid() != 0:
        tc.fail("integration tests trace with eBPF and must run as root "
                "(CI runs them as root; they never skip)")


SRC = os.environ.get("ADI_SRC") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
EVENTS_MD = os.path.join(SRC, "docs", "events.md")


class ContractError(AssertionError):
    """an event that docs/events.md does not describe"""


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_KIND_TITLE = re.compile(r"^`([a-z0-9_]+)`")
_NAMES_CELL = re.compile(r"^\s*`[A-Za-z0-9_]+`(\s*,\s*`[A-Za-z0-9_]+`)*\s*$")
_COMMON_TITLE = "Fields on every event"


def parse_contract(text):
    """(common fields, {kind: fields}) by the convention at the top of
    docs/events.md: sections from a `##`/`###` heading to the next one of
    level 2 or 3; the first cell of a table row, when it is only
    backticked names, documents them."""
    common, kinds, cur = set(), {}, None
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            if len(m.group(1)) <= 3:
                cur = None
                title = m.group(2)
                k = _KIND_TITLE.match(title)
                if len(m.group(1)) == 2 and title == _COMMON_TITLE:
                    cur = common
                elif len(m.group(1)) == 3 and k:
                    cur = kinds.setdefault(k.group(1), set())
            continue
        if cur is None or not line.lstrip().startswith("|"):
            continue
        first = re.split(r"(?<!\\)\|", line.strip())[1]
        if _NAMES_CELL.match(first):
            cur.update(re.findall(r"`([A-Za-z0-9_]+)`", first))
    return common, kinds


@functools.lru_cache(maxsize=None)
def contract():
    """docs/events.md, parsed once; a missing or empty contract fails"""
    with open(EVENTS_MD, encoding="utf-8") as f:
        common, kinds = parse_contract(f.read())
    if not common or not kinds:
        raise ContractError(f"{EVENTS_MD}: no fields found; see the convention at its top")
    return common, kinds


def check_event(e, where="", doc=None):
    """Raise ContractError unless e's kind and each of its top-level fields
    are documented (doc: a parse_contract result, default docs/events.md)."""
    common, kinds = doc or contract()
    kind = e.get("kind") if isinstance(e, dict) else None
    at = f" ({where})" if where else ""
    if kind not in kinds:
        raise ContractError(f"kind {kind!r} is not documented in docs/events.md{at}: {e!r}")
    for k in e:
        if k not in common and k not in kinds[kind]:
            raise ContractError(f"kind {kind!r}: field {k!r} is not documented in "
                                f"docs/events.md{at}: {e!r}")
    return e


def parse_events(text, where):
    """the events of JSON Lines text, each checked against the contract"""
    return [check_event(json.loads(l), f"{where}:{i}")
            for i, l in enumerate(text.splitlines(), 1) if l]


def load(path):
    """the events of a JSON Lines trace file"""
    with open(path, encoding="utf-8") as f:
        return parse_events(f.read(), path)


class Trace:
    """One `adi-profiler run`: its exit status, stderr and events."""

    def __init__(self, rc, stderr, events, path):
        self.rc = rc
        self.stderr = stderr
        self.events = events
        self.path = path

    def kind(self, kind, **match):
        out = []
        for e in self.events:
            if e.get("kind") != kind:
                continue
            if all(e.get(k) == v for k, v in match.items()):
                out.append(e)
        return out

    def files(self, prefix):
        """file events whose path or new_path is under prefix"""
        return [e for e in self.events if e.get("kind") == "file" and
                any(isinstance(e.get(k), str) and e[k].startswith(prefix)
                    for k in ("path", "new_path"))]

    @property
    def summary(self):
        return self.events[-1]


def run(cmd, *opts, timeout=120, env=None, stdin=None):
    fd, path = tempfile.mkstemp(prefix="adi-trace-", suffix=".jsonl")
    os.close(fd)
    argv = [BIN, "run", "--format", "json", "-o", path, "--backend", BACKEND,
            *opts, "--", *cmd]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env, stdin=stdin)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    os.unlink(path)
    events = parse_events(text, "run " + " ".join(cmd)[:60])
    return Trace(p.returncode, p.stderr.decode(errors="replace"), events, path)


class TraceTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.dir = tempfile.mkdtemp(prefix="adi-it-")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.dir])

    def assertWellFormed(self, t):
        """every line follows the common part of docs/events.md"""
        self.assertTrue(t.events, "no events at all")
        last = t.events[-1]
        self.assertEqual(last["kind"], "trace_summary")
        prev = 0
        for e in t.events:
            for k in ("v", "kind", "timestamp", "ts_ns", "duration_ms", "pid",
                      "tid", "comm", "cgroup_id", "container"):
                self.assertIn(k, e)
            self.assertEqual(e["v"], 1)
            if e is not last:
                self.assertGreaterEqual(e["ts_ns"], prev, "events out of order: %r" % e)
                prev = e["ts_ns"]
        self.assertEqual(sum(last["events"].values()), len(t.events) - 1)
        rec = last["records"]
        self.assertEqual(rec["produced"], rec["delivered"] + rec["dropped"])


def main():
    unittest.main(verbosity=2)
