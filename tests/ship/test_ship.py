"""What ships with the binary (docs/install.md): the version it reports and
records, the man page and completions it writes of itself, and what
`cmake --install` puts where. No root and no kernel needed; the package and
the portable binary are checked by check-installed.sh and check-portable.sh
(.ci/run)."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

BIN = os.environ.get("ADI_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "adi-profiler")
SRC = os.environ.get("ADI_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
BUILD = os.environ.get("ADI_BUILD") or os.path.join(SRC, "build")
CMAKE = os.environ.get("CMAKE") or "cmake"
RAW = os.path.join(SRC, "tests", "replay", "data", "workload.raw")
JSONL = os.path.join(SRC, "tests", "replay", "data", "workload.jsonl")


def run(*args, **kw):
    return subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120, **kw)


def project_version():
    with open(os.path.join(SRC, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(adi_profiler VERSION ([0-9.]+)", f.read()).group(1)


def reported_version():
    p = run("--version")
    return p.stdout.splitlines()[0].split(" ", 1)[1]


class Version(unittest.TestCase):
    def test_shape(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        # the project's VERSION, then what git describe said, if anything
        self.assertRegex(lines[0], r"^adi-profiler " + re.escape(project_version()) +
                         r"(\+([0-9]+\.)?(g[0-9a-f]{7,})?(\.?dirty)?)?$")
        facts = dict(l.split(": ", 1) for l in lines[1:])
        self.assertEqual(list(facts), ["backends", "libbpf", "libnghttp2", "libbson", "sqlite",
                                       "zstd", "allocator", "linking"])
        self.assertTrue(set(facts["backends"].split()) <= {"ebpf", "ptrace", "dtrace"})
        self.assertIn("ebpf", facts["backends"].split())
        self.assertRegex(facts["libbpf"], r"^\d+\.\d+$")
        for lib in ("libnghttp2", "libbson", "sqlite", "zstd"):
            self.assertRegex(facts[lib], r"^\d+\.\d+\.\d+", lib)
        self.assertRegex(facts["allocator"], r"^(mimalloc \d+\.\d+\.\d+|the C library's malloc)$")
        # the verb says the same
        self.assertEqual(run("version").stdout, p.stdout)

    def test_build_folder_agrees(self):
        """version.txt, which names the Debian package, is what the binary says"""
        txt = os.path.join(BUILD, "gen", "version.txt")
        with open(txt, encoding="utf-8") as f:
            self.assertEqual(f.read().strip(), reported_version())

    def test_trace_summary_and_store_record_it(self):
        v = reported_version()
        p = run("replay", "--format", "json", RAW)
        self.assertEqual(p.returncode, 0, p.stderr)
        summary = json.loads(p.stdout.splitlines()[-1])
        self.assertEqual(summary["kind"], "trace_summary")
        self.assertEqual(summary["version"], v)
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "t.db")
            p = run("view", JSONL, "-o", db)
            self.assertEqual(p.returncode, 0, p.stderr)
            meta = dict(sqlite3.connect(db).execute("SELECT key, value FROM meta"))
        self.assertEqual(meta["version"], v)
        self.assertEqual(meta["format_version"], "1")


def verbs_and_options():
    """the verbs and long options, read from --help (main.c's tables)"""
    text = run("--help").stdout
    verbs = re.findall(r"^  (\w+) ", text.split("verbs:\n")[1].split("options:\n")[0], re.M)
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text.split("options:\n")[1]))
    return verbs, opts


class Docs(unittest.TestCase):
    def test_man_page_lists_every_verb_and_option(self):
        p = run("--gen-doc", "man")
        self.assertEqual(p.returncode, 0, p.stderr)
        man = p.stdout
        self.assertTrue(man.startswith(".TH ADI\\-PROFILER 1 "))
        self.assertIn(reported_version().replace("-", "\\-"), man.splitlines()[0])
        verbs, opts = verbs_and_options()
        self.assertIn("version", verbs)
        for v in verbs:
            self.assertIn(".B " + v + "\n", man)
        for o in opts | {"--pid", "--container"}:
            self.assertIn("\\fB" + o.replace("-", "\\-") + "\\fR", man, o)

    def test_unknown_doc_fails(self):
        p = run("--gen-doc", "nroff")
        self.assertEqual(p.returncode, 1)
        self.assertIn("--gen-doc nroff", p.stderr)

    def bash_complete(self, script, *words):
        """COMPREPLY of the generated bash completion for the words typed"""
        prog = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
                '_adi_profiler 2>/dev/null; printf "%s\\n" "${COMPREPLY[@]}"')
        p = subprocess.run(["bash", "-c", prog, "_", script, "adi-profiler", *words],
                           stdout=subprocess.PIPE, text=True, timeout=30, cwd="/")
        return sorted(set(filter(None, p.stdout.splitlines())))

    def test_bash_completion(self):
        with tempfile.NamedTemporaryFile("w", suffix=".bash") as f:
            f.write(run("--gen-doc", "bash").stdout)
            f.flush()
            c = lambda *w: self.bash_complete(f.name, *w)  # noqa: E731
            verbs, opts = verbs_and_options()
            self.assertEqual(c(""), sorted(verbs))
            self.assertEqual(c("re"), ["replay", "report"])
            self.assertEqual(c("run", "--"), sorted(opts | {"--pid", "--container", "--help"}))
            self.assertEqual(c("run", "--format", ""), ["json", "text"])
            self.assertEqual(c("attach", "--backend", "p"), ["ptrace"])
            self.assertEqual(c("run", "--duration", ""), [])
            self.assertIn("true", c("run", "-o", "t.db", "tru"))  # the command
            self.assertIn("true", c("run", "--", "tru"))
            self.assertEqual(c("run", "true", "-"), [])  # its arguments: the shell's
            self.assertIn("etc", c("view", "et"))  # FILE (from /)
            self.assertIn("etc", c("run", "--save-raw", "et"))

    def test_zsh_and_fish_parse(self):
        for shell, doc, check in (("zsh", "zsh", ["zsh", "-n"]),
                                  ("fish", "fish", ["fish", "--no-execute"])):
            # scripts/install-deps.sh --test installs both: missing is a failure
            self.assertTrue(shutil.which(shell), "%s is needed" % shell)
            with self.subTest(shell=shell), tempfile.NamedTemporaryFile("w") as f:
                f.write(run("--gen-doc", doc).stdout)
                f.flush()
                p = subprocess.run(check + [f.name], stderr=subprocess.PIPE, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_fish_completion(self):
        self.assertTrue(shutil.which("fish"), "fish is needed (scripts/install-deps.sh --test)")
        with tempfile.NamedTemporaryFile("w", suffix=".fish") as f:
            f.write(run("--gen-doc", "fish").stdout)
            f.flush()
            got = lambda line: sorted(l.split("\t")[0] for l in subprocess.run(  # noqa: E731
                ["fish", "-c", "source $argv[1]; complete -C$argv[2]", f.name, line],
                stdout=subprocess.PIPE, text=True, timeout=30).stdout.splitlines())
            self.assertEqual(got("adi-profiler re"), ["replay", "report"])
            self.assertEqual(got("adi-profiler run --format "), ["json", "text"])
            self.assertEqual(got("adi-profiler attach --co"),
                             ["--color", "--comm", "--container", "--content-bytes"])


class Install(unittest.TestCase):
    def test_cmake_install_with_destdir(self):
        with tempfile.TemporaryDirectory() as dest:
            for prefix, zsh in (("/usr", "share/zsh/vendor-completions"),
                                ("/opt/adi", "share/zsh/site-functions")):
                p = subprocess.run([CMAKE, "--install", BUILD, "--prefix", prefix],
                                   env=dict(os.environ, DESTDIR=dest), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stdout)
                root = dest + prefix
                for path in ("bin/adi-profiler", "share/man/man1/adi-profiler.1.gz",
                             "share/bash-completion/completions/adi-profiler",
                             zsh + "/_adi-profiler",
                             "share/fish/vendor_completions.d/adi-profiler.fish",
                             "share/doc/adi-profiler/events.md",
                             "share/doc/adi-profiler/install.md",
                             "share/doc/adi-profiler/README.md"):
                    self.assertTrue(os.path.isfile(os.path.join(root, path)), path)
                self.assertTrue(os.access(os.path.join(root, "bin/adi-profiler"), os.X_OK))
            self.assertEqual(sorted(os.listdir(dest)), ["opt", "usr"])  # all under DESTDIR
            p = subprocess.run([dest + "/usr/bin/adi-profiler", "--version"],
                               stdout=subprocess.PIPE, text=True)
            self.assertEqual(p.stdout.splitlines()[0], "adi-profiler " + reported_version())


if __name__ == "__main__":
    unittest.main(verbosity=2)
