"""--save-raw then `replay`: the same events as the live run, line for line
(only trace_summary.backend says "replay")."""
import json
import os
import subprocess
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402


class ReplayLive(adi.TraceTest):
    def test_replay_equals_live(self):
        d = self.dir
        raw = f"{d}/cap.raw"
        t = adi.run(["sh", "-c", f"cd {d}; echo hi > a.txt; mv a.txt b.txt; cat b.txt; "
                     f"sleep 0.3; rm b.txt; ls /nonexistent; exit 4"], "--save-raw", raw)
        self.assertEqual(t.rc, 4)
        p = subprocess.run([adi.BIN, "replay", "--format", "json", raw],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = [json.loads(l) for l in p.stdout.decode().splitlines()]
        self.assertEqual(len(rep), len(t.events))
        self.assertEqual(rep[-1]["backend"], "replay")
        self.assertEqual(t.events[-1]["backend"], adi.BACKEND)
        rep[-1]["backend"] = adi.BACKEND
        for a, b in zip(t.events, rep):
            self.assertEqual(a, b)


if __name__ == "__main__":
    adi.main()
