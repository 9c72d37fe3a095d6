"""Replay tests: raw captures saved from real runs (data/*.raw, recorded by
make_capture.sh) must turn into exactly the reviewed events (data/*.jsonl).
No root and no kernel needed: this is the engine alone."""
import glob
import os
import re
import subprocess
import sys
import unittest

BIN = os.environ.get("ADI_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "adi-profiler")
DATA = os.path.join(os.path.dirname(__file__), "data")
VERSION = re.compile(r',"version":"[^"]+"')


class Golden(unittest.TestCase):
    def test_captures(self):
        raws = sorted(glob.glob(os.path.join(DATA, "*.raw")))
        self.assertTrue(raws, "no golden captures found")
        for raw in raws:
            with self.subTest(capture=os.path.basename(raw)):
                with open(raw[:-4] + ".jsonl", encoding="utf-8") as f:
                    want = f.read()
                p = subprocess.run([BIN, "replay", "--format", "json", raw],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.assertEqual(p.returncode, 0, p.stderr)
                got = p.stdout.decode().splitlines()
                # trace_summary.version names the build that replayed (it
                # changes with every commit; tests/ship checks its value)
                got[-1], n = VERSION.subn("", got[-1])
                self.assertEqual(n, 1, "trace_summary has no version: " + got[-1])
                self.assertEqual(got, want.splitlines())

    def test_truncated_capture_reports_and_keeps_what_it_read(self):
        raw = os.path.join(DATA, "workload.raw")
        with open(raw, "rb") as f:
            data = f.read()
        cut = os.path.join(os.environ.get("TMPDIR", "/tmp"), "adi-cut-%d.raw" % os.getpid())
        with open(cut, "wb") as f:
            f.write(data[: len(data) * 2 // 3])
        try:
            p = subprocess.run([BIN, "replay", "--format", "json", cut],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            os.unlink(cut)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"truncated or corrupt", p.stderr)
        lines = p.stdout.decode().splitlines()
        self.assertGreater(len(lines), 3)
        self.assertIn('"kind":"trace_summary"', lines[-1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
