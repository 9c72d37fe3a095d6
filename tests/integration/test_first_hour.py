"""The first hour of a new user (issue 21), for real: where the timeline goes
and in which format, colours, each verb's help, "did you mean", options a
verb does not take, the filters, the runtime's own file events hidden and
counted, exec of a script, signals to the profiler, processes a command
leaves running, progress on a terminal, honest errors about trace files,
and the profiler never tracing itself. Run under both backends (ctest's
integ. and integ-ptrace.)."""
import json
import os
import resource
import pty
import select
import signal
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402


def sh(argv, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def lines_of(b):
    return b.decode(errors="replace").splitlines()


class Output(adi.TraceTest):
    def test_timeline_on_stderr_in_text_whatever_stdout_is(self):
        d = self.dir
        p = sh([adi.BIN, "run", "--", "sh", "-c", f"echo hi > {d}/a.txt; cat {d}/a.txt"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # the program's output alone on stdout (a pipe here): never spliced
        self.assertEqual(p.stdout, b"hi\n")
        err = p.stderr.decode()
        self.assertRegex(err, r"\[PID \d+ sh\] FS WRITE " + d + r"/a.txt \(3 B\)")
        self.assertIn("SUMMARY", err.splitlines()[-1])
        self.assertNotIn("\033[", err)  # not a terminal: no colours
        # -o - is stdout; the format stays text
        p = sh([adi.BIN, "run", "-o", "-", "--", "true"])
        self.assertIn(b"SUMMARY", p.stdout)
        self.assertFalse(p.stdout.startswith(b"{"))
        # JSON only when asked: --format, or the file's name
        p = sh([adi.BIN, "run", "--format", "json", "--", "true"])
        self.assertEqual(json.loads(lines_of(p.stderr)[-1])["kind"], "trace_summary")
        p = sh([adi.BIN, "run", "-o", f"{d}/t.jsonl", "--", "true"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(adi.load(f"{d}/t.jsonl")[-1]["kind"], "trace_summary")
        p = sh([adi.BIN, "run", "-o", f"{d}/t.txt", "--", "true"])
        with open(f"{d}/t.txt") as f:
            self.assertIn("SUMMARY", f.read())

    def test_color(self):
        p = sh([adi.BIN, "run", "--color", "always", "--", "true"])
        self.assertIn(b"\033[1mSUMMARY\033[0m", p.stderr)
        p = sh([adi.BIN, "run", "--color", "never", "--", "true"])
        self.assertNotIn(b"\033[", p.stderr)
        # on a terminal: colours, but not for TERM=dumb nor with NO_COLOR
        for env, want in (({"TERM": "xterm"}, True), ({"TERM": "dumb"}, False),
                          ({"TERM": "xterm", "NO_COLOR": "1"}, False)):
            out = on_terminal([adi.BIN, "run", "--", "true"], env)
            self.assertEqual("\033[1mSUMMARY" in out, want, (env, out[-300:]))

    def test_time_columns_and_preview_bytes(self):
        d = self.dir
        text = "x" * 90
        p = sh([adi.BIN, "run", "-r", "--content-bytes", "100", "--", "sh", "-c",
                f"printf {text} > {d}/p.txt"])
        err = lines_of(p.stderr)
        self.assertTrue(all(l.startswith("+") for l in err if "[PID" in l), err[:3])
        w = [l for l in err if "FS WRITE" in l and "p.txt" in l]
        self.assertTrue(w, err)
        self.assertIn('"' + text + '"', w[0])  # whole: --content-bytes says 100
        p = sh([adi.BIN, "run", "--", "sh", "-c", f"printf {text} > {d}/p.txt"])
        w = [l for l in lines_of(p.stderr) if "FS WRITE" in l and "p.txt" in l]
        self.assertIn('"' + "x" * 64 + '"...', w[0])  # the text's default: 64


def wait_for(path, p, timeout=30):
    """Until the traced command has made path: it runs, and the profiler
    (which starts it only once its probes are in) is in its loop."""
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if p.poll() is not None:
            raise AssertionError(f"the profiler ended first ({p.returncode}): "
                                 f"{p.stderr.read()!r}")
        if time.monotonic() > end:
            raise AssertionError(f"{path} not made in {timeout} s")
        time.sleep(0.05)


def on_terminal(argv, env):
    """argv's stderr and stdout on a pseudo-terminal: what it printed"""
    full = dict(os.environ)
    full.pop("NO_COLOR", None)
    full.update(env)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, full)
    out = b""
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            break
        try:
            b = os.read(fd, 65536)
        except OSError:
            break
        if not b:
            break
        out += b
    os.waitpid(pid, 0)
    return out.decode(errors="replace")


class Usage(adi.TraceTest):
    def test_verb_help_lists_every_option_of_the_verb(self):
        for argv in (["run", "--help"], ["help", "run"]):
            p = sh([adi.BIN, *argv])
            self.assertEqual(p.returncode, 0)
            out = p.stdout.decode()
            for o in ("--hold-ms", "--duration", "--save-raw", "--kind", "--slower-than", "--color"):
                self.assertIn(o, out, argv)
            self.assertNotIn("--dump", out)
        p = sh([adi.BIN, "help", "view"])
        self.assertNotIn("--duration", p.stdout.decode())
        self.assertIn("--no-fs", p.stdout.decode())

    def test_options_a_verb_does_not_take_are_refused(self):
        d = self.dir
        t = adi.run(["true"])
        with open(f"{d}/t.jsonl", "w") as f:
            for e in t.events:
                f.write(json.dumps(e) + "\n")
        p = sh([adi.BIN, "view", f"{d}/t.jsonl", "--duration", "3"])
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"view does not take --duration", p.stderr)
        p = sh([adi.BIN, "view", "--ui", f"{d}/t.jsonl"])
        self.assertEqual(p.returncode, 2)

    def test_did_you_mean(self):
        p = sh([adi.BIN, "viwe", "x"])
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"did you mean view?", p.stderr)
        p = sh([adi.BIN, "run", "--formt", "json", "--", "true"])
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"did you mean --format?", p.stderr)
        p = sh([adi.BIN, "view", "--kind", "htp", "x"])
        self.assertEqual(p.returncode, 2)


class Noise(adi.TraceTest):
    def test_runtime_file_events_hidden_and_counted(self):
        d = self.dir
        prog = f"open('{d}/mine.txt', 'w').write('mine')"
        p = sh([adi.BIN, "run", "-o", f"{d}/t.txt", "--", "/usr/bin/python3", "-c", prog])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(f"{d}/t.txt") as f:
            text = f.read()
        self.assertRegex(text, r"\d+ runtime events hidden .* --all shows them")
        self.assertIn(f"FS WRITE {d}/mine.txt", text)
        self.assertNotIn("ld.so.cache", text)
        # JSON keeps every event, marked
        t = adi.run(["/usr/bin/python3", "-c", prog])
        rt = [e for e in t.kind("file") if e.get("runtime")]
        self.assertTrue(any(e["runtime"] == "loader" for e in rt))
        self.assertTrue(any(e["runtime"] == "module" for e in rt), [e["path"] for e in rt][:20])
        self.assertTrue(any(e["path"] == f"{d}/mine.txt" for e in t.kind("file")))
        self.assertFalse([e for e in t.files(d) if e.get("runtime")])
        # view hides them too; --all shows them
        with open(f"{d}/t.jsonl", "w") as f:
            for e in t.events:
                f.write(json.dumps(e) + "\n")
        v = sh([adi.BIN, "view", f"{d}/t.jsonl"]).stdout.decode()
        self.assertIn("%d runtime events hidden" % len(rt), v)
        v = sh([adi.BIN, "view", "--all", f"{d}/t.jsonl"]).stdout.decode()
        self.assertNotIn("runtime events hidden", v)
        self.assertGreaterEqual(v.count(" FS "), len(rt))


class Filters(adi.TraceTest):
    def trace(self):
        d = self.dir
        work = (f"cd {d}; echo a > a.txt; echo b > b.log; cat nope 2>/dev/null; "
                f"sleep 0.2; exit 0")
        t = adi.run(["sh", "-c", work])
        with open(f"{d}/t.jsonl", "w") as f:
            for e in t.events:
                f.write(json.dumps(e) + "\n")
        return t, f"{d}/t.jsonl"

    def view(self, path, *opts):
        p = sh([adi.BIN, "view", "--format", "json", *opts, path])
        self.assertEqual(p.returncode, 0, p.stderr)
        return [json.loads(l) for l in lines_of(p.stdout)]

    def test_view_filters(self):
        t, path = self.trace()
        d = self.dir
        ev = self.view(path, "--kind", "process")
        self.assertTrue(ev[:-1] and all(e["kind"] == "process" for e in ev[:-1]))
        self.assertEqual(ev[-1]["kind"], "trace_summary")  # always there
        ev = self.view(path, "--path", f"{d}/*.txt")
        self.assertTrue(ev[:-1] and all(e["path"].endswith(".txt") for e in ev[:-1]))
        ev = self.view(path, "--kind", "file", "--exclude-path", f"{d}/*.txt")
        self.assertFalse([e for e in ev if str(e.get("path", "")).endswith("a.txt")])
        ev = self.view(path, "--errors")
        self.assertTrue(any(e.get("error") == "ENOENT" and e["path"].endswith("/nope")
                            for e in ev), ev)
        self.assertFalse([e for e in ev[:-1] if e["kind"] == "file" and e["error"] is None])
        ev = self.view(path, "--comm", "sle*")
        self.assertTrue(ev[:-1] and all(e["comm"] == "sleep" for e in ev[:-1]))
        ev = self.view(path, "--grep", "b.log")
        self.assertTrue(ev[:-1] and all("b.log" in json.dumps(e) for e in ev[:-1]))
        ev = self.view(path, "--slower-than", "100ms")
        self.assertFalse([e for e in ev[:-1] if (e["duration_ms"] or 0) < 100])
        ev = self.view(path, "--no-fs")  # view honours it now
        self.assertFalse([e for e in ev if e["kind"] == "file"])
        pid = t.kind("process", op="exec")[0]["pid"]
        ev = self.view(path, "--pid", str(pid))
        self.assertTrue(ev[:-1] and all(e["pid"] == pid for e in ev[:-1]))

    def test_live_filter_drops_families_in_the_kernel(self):
        d = self.dir
        t = adi.run(["sh", "-c", f"echo a > {d}/a.txt; cat {d}/a.txt > /dev/null"],
                    "--kind", "process")
        self.assertTrue(t.kind("process"))
        self.assertFalse(t.kind("file"))
        # no file record was even produced: only fork/exec/exit and the
        # fd-table records the engine always needs
        full = adi.run(["sh", "-c", f"echo a > {d}/a.txt; cat {d}/a.txt > /dev/null"])
        self.assertLess(t.summary["records"]["produced"], full.summary["records"]["produced"])


class Processes(adi.TraceTest):
    def test_script_argv_and_interpreter(self):
        d = self.dir
        with open(f"{d}/tool", "w") as f:
            f.write("#!/bin/sh\necho from tool\n")
        os.chmod(f"{d}/tool", 0o755)
        t = adi.run(["sh", "-c", f"{d}/tool one two"])
        ex = [e for e in t.kind("process", op="exec") if e.get("filename") == f"{d}/tool"]
        self.assertEqual(len(ex), 1, t.kind("process", op="exec"))
        self.assertEqual(ex[0]["argv"], [f"{d}/tool", "one", "two"])
        self.assertEqual(ex[0]["interpreter"], ["/bin/sh"])

    def test_waits_for_what_the_command_left_running(self):
        d = self.dir
        t0 = time.monotonic()
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = adi.run(["sh", "-c", f"(sleep 1.5; echo late > {d}/late.txt) & echo started"])
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.assertGreater(time.monotonic() - t0, 1.4)
        self.assertEqual(t.rc, 0)
        # waiting costs nothing: it spun on the exited command's pidfd
        # (1.5 s of CPU for 1.5 s of waiting); start-up and the end are
        # ~0.3 s of it
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        self.assertLess(cpu, 0.8, "the profiler used %.2f s of CPU waiting" % cpu)
        self.assertTrue([e for e in t.files(f"{d}/late.txt") if e["op"] == "write"])
        exits = t.kind("process", op="exit")
        self.assertTrue(any(e["comm"] == "sleep" for e in exits))
        self.assertRegex(t.stderr, r"waiting for \d+ process")

    def test_a_signal_sent_to_the_profiler_alone_reaches_the_command(self):
        d = self.dir
        out = f"{d}/t.jsonl"
        p = subprocess.Popen([adi.BIN, "run", "-o", out, "--", "sh", "-c",
                              f"touch {d}/ready; exec sleep 30"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(f"{d}/ready", p)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 128 + signal.SIGINT, err)
        ev = adi.load(out)
        self.assertTrue([e for e in ev if e["kind"] == "process" and e["op"] == "exit"
                         and e["signal"] == "SIGINT"], ev[-3:])

    def test_a_second_signal_stops_tracing(self):
        d = self.dir
        out = f"{d}/t.jsonl"
        p = subprocess.Popen([adi.BIN, "run", "-o", out, "--", "sh", "-c",
                              f"trap '' TERM; touch {d}/ready; sleep 30"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(f"{d}/ready", p)
            p.send_signal(signal.SIGTERM)  # passed on, ignored by the command
            time.sleep(1.5)
            self.assertIsNone(p.poll(), "the trace goes on while the command runs")
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 128 + signal.SIGTERM, err)
            self.assertIn(b"stopped tracing", err)
            ev = adi.load(out)
            self.assertEqual(ev[-1]["kind"], "trace_summary")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            # the command and its sleep, left running untraced
            for e in adi.load(out) if os.path.getsize(out) else []:
                if e["kind"] == "process" and e["op"] == "exec":
                    try:
                        os.kill(e["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def test_progress_on_a_terminal(self):
        d = self.dir
        out = on_terminal([adi.BIN, "run", "-o", f"{d}/t.jsonl", "--", "sleep", "2.5"],
                          {"TERM": "xterm"})
        self.assertRegex(out, r"\r\033\[Kadi-profiler: \d+ s, \d+ events \(\d+/s\), \d+ dropped")
        self.assertTrue(out.endswith("\r\033[K"), out[-80:])  # cleared at the end


class NeverItself(adi.TraceTest):
    def test_its_own_message_is_no_event(self):
        # stderr a file, as in the issue: the message was a write of the
        # traced child to it
        d = self.dir
        with open(f"{d}/err.txt", "w") as err:
            p = subprocess.run([adi.BIN, "run", "--format", "json", "-o", f"{d}/t.jsonl", "--",
                                "/nonexistent/program"], stderr=err, timeout=120)
        self.assertEqual(p.returncode, 127)
        with open(f"{d}/err.txt") as f:
            self.assertIn("cannot run /nonexistent/program", f.read())
        ev = adi.load(f"{d}/t.jsonl")
        # the command's own end is in the trace (its child side exited 127
        # before it could exec), the profiler's message is not
        self.assertTrue([e for e in ev if e["kind"] == "process" and e["op"] == "exit"
                         and e["exit_code"] == 127])
        for e in ev:
            if e["kind"] == "file":
                self.assertNotIn("cannot run", json.dumps(e), e)


class TraceFiles(adi.TraceTest):
    def test_honest_errors(self):
        d = self.dir
        open(f"{d}/empty.jsonl", "w").close()
        with open(f"{d}/rand.db", "wb") as f:
            f.write(os.urandom(4096).replace(b"{", b"x"))
        for verb in ("view", "ui"):
            p = sh([adi.BIN, verb, f"{d}/empty.jsonl"], timeout=20)
            self.assertEqual(p.returncode, 1, verb)
            self.assertIn(b"is empty: not a trace", p.stderr)
            self.assertEqual(p.stderr.count(b"\n"), 1)
            p = sh([adi.BIN, verb, f"{d}/rand.db"], timeout=20)
            self.assertEqual(p.returncode, 1, verb)
            self.assertIn(b"is not a trace", p.stderr)
            self.assertEqual(p.stderr.count(b"\n"), 1)
        # a store with pages overwritten
        t = adi.run(["true"])
        with open(f"{d}/t.jsonl", "w") as f:
            for e in t.events:
                f.write(json.dumps(e) + "\n")
        self.assertEqual(sh([adi.BIN, "view", "-o", f"{d}/t.db", f"{d}/t.jsonl"]).returncode, 0)
        with open(f"{d}/t.db", "r+b") as f:
            f.seek(4096)
            f.write(b"\xff" * 8192)
        for verb in ("view", "ui"):
            p = sh([adi.BIN, verb, f"{d}/t.db"], timeout=20)
            self.assertEqual(p.returncode, 1, verb)
            self.assertIn(b"damaged", p.stderr)


if __name__ == "__main__":
    adi.main()
