"""The command line contract (docs/cli.md) and loss accounting: exit statuses,
clear errors for bad input, and a deliberately tiny ring buffer whose losses
are counted exactly, never silent."""
import json
import os
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402


def sh(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120, **kw)


class Cli(adi.TraceTest):
    def test_usage_errors_exit_2(self):
        for argv in (["frobnicate"], ["run"], ["run", "--format", "xml", "--", "true"],
                     ["run", "--content-bytes", "-3", "--", "true"],
                     ["run", "--capture-bytes", "268435457", "--", "true"],
                     ["run", "--bogus", "--", "true"], ["replay"], ["attach"]):
            p = sh([adi.BIN, *argv])
            self.assertEqual(p.returncode, 2, argv)
            self.assertIn(b"adi-profiler:", p.stderr)

    def test_exit_status_is_the_commands(self):
        self.assertEqual(adi.run(["sh", "-c", "exit 42"]).rc, 42)
        self.assertEqual(adi.run(["sh", "-c", "kill -TERM $$"]).rc, 128 + 15)
        t = adi.run(["/nonexistent/program"])
        self.assertEqual(t.rc, 127)
        self.assertIn("cannot run /nonexistent/program", t.stderr)
        self.assertEqual(t.summary["kind"], "trace_summary")

    def test_not_root_is_a_clear_error(self):
        p = sh(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                adi.BIN, "run", "--", "true"])
        if adi.ptrace():
            # ptrace needs no privilege to trace one's own command: that
            # is what it is for, so the same command simply runs
            self.assertEqual(p.returncode, 0, p.stderr)
            return
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"needs root", p.stderr)
        self.assertEqual(p.stderr.count(b"\n"), 1)  # one sentence, no libbpf dump

    def test_duration_stops_the_trace(self):
        t0 = time.monotonic()
        t = adi.run(["sleep", "30"], "--duration", "1")
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(t.rc, 128 + 15)  # run sends the command SIGTERM
        self.assertEqual(t.summary["kind"], "trace_summary")

    def test_text_format_and_view(self):
        d = self.dir
        p = sh([adi.BIN, "run", "--format", "text", "-o", f"{d}/t.txt", "--",
                "sh", "-c", f"echo hi > {d}/a.txt"])
        self.assertEqual(p.returncode, 0)
        with open(f"{d}/t.txt") as f:
            text = f.read()
        self.assertRegex(text, r"\[PID \d+ sh\] FS WRITE " + d + r"/a.txt \(3 B\)")
        self.assertIn("SUMMARY", text.splitlines()[-1])
        t = adi.run(["sh", "-c", f"echo hi > {d}/a.txt"])
        with open(f"{d}/t.jsonl", "w") as f:
            for e in t.events:
                f.write(json.dumps(e) + "\n")
        v = sh([adi.BIN, "view", f"{d}/t.jsonl"])
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertRegex(v.stdout.decode(), r"\[PID \d+ sh\] FS WRITE " + d + r"/a.txt \(3 B\)")
        with open(f"{d}/bad.jsonl", "w") as f:
            f.write('{"kind":"file"}\nnot json\n')
        v = sh([adi.BIN, "view", f"{d}/bad.jsonl"])
        self.assertEqual(v.returncode, 1)
        self.assertIn(b":2: not an event line", v.stderr)

    def test_replay_errors(self):
        d = self.dir
        with open(f"{d}/junk.raw", "wb") as f:
            f.write(b"not a capture")
        p = sh([adi.BIN, "replay", f"{d}/junk.raw"])
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"not an adi-profiler raw capture", p.stderr)
        p = sh([adi.BIN, "replay", f"{d}/missing.raw"])
        self.assertEqual(p.returncode, 1)

    def test_full_disk_is_reported(self):
        p = sh([adi.BIN, "run", "--format", "json", "-o", "/dev/full", "--",
                "sh", "-c", "echo hi > /dev/null"])
        self.assertEqual(p.returncode, 0)  # the command's status, still
        self.assertIn(b"could not be written to /dev/full", p.stderr)

    def test_full_disk_under_save_raw_is_reported(self):
        # a small capture stays in its 1 MiB stream buffer until the trace
        # ends: the failure is still said the way saving says it, once
        p = sh([adi.BIN, "run", "--save-raw", "/dev/full", "-o", "/dev/null", "--",
                "sh", "-c", "echo hi > /dev/null"])
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"the raw capture /dev/full is incomplete (No space left on device)",
                      p.stderr)
        self.assertEqual(p.stderr.count(b"/dev/full"), 1, p.stderr)


class Loss(adi.TraceTest):
    def test_tiny_ring_counts_every_lost_record(self):
        d = self.dir
        # 4 KiB of ring and no early wake-up: a burst of small writes must
        # overflow it; every record is either delivered or counted dropped
        t = adi.run(["sh", "-c", f"i=0; while [ $i -lt 3000 ]; do echo $i >> {d}/f; "
                     f"i=$((i+1)); done"], "--ringbuf-bytes", "4096",
                    "--wakeup-bytes", "1000000000")
        self.assertEqual(t.rc, 0)
        s = t.summary
        rec = s["records"]
        if not adi.ptrace():  # ptrace has no ring: the tracee waits, nothing is lost
            self.assertGreater(s["dropped"], 0)
            self.assertIn("records were lost", t.stderr)
        self.assertEqual(rec["dropped"], s["dropped"])
        self.assertEqual(rec["produced"], rec["delivered"] + rec["dropped"])
        # sh does one open+write+close per iteration: at least 9000 records
        self.assertGreaterEqual(rec["produced"], 9000)

    def test_default_ring_loses_nothing(self):
        d = self.dir
        t = adi.run(["sh", "-c", f"i=0; while [ $i -lt 3000 ]; do echo $i >> {d}/f; "
                     f"i=$((i+1)); done"])
        self.assertEqual(t.rc, 0)
        self.assertEqual(t.summary["dropped"], 0)
        rec = t.summary["records"]
        self.assertEqual(rec["produced"], rec["delivered"])
        w = t.kind("file", op="write", path=f"{d}/f")
        self.assertEqual(len(w), 3000)  # each write has its own open/close
        self.assertEqual(sum(e["bytes"] for e in w),
                         sum(len(str(i)) + 1 for i in range(3000)))


if __name__ == "__main__":
    adi.main()
