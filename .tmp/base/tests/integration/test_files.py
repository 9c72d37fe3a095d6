"""File and process events of real programs under the real eBPF backend,
checked field by field against what the programs did."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402


class FileOps(adi.TraceTest):
    def traced(self, cmd, rc=0):
        """adi.run(cmd): a well-formed trace, and the command's status rc"""
        t = adi.run(cmd)
        self.assertWellFormed(t)
        self.assertEqual(t.rc, rc, t.stderr)
        return t

    def test_shell_workload(self):
        d = self.dir
        t = self.traced(["sh", "-c", f"cd {d} && echo hi > a.txt && mv a.txt b.txt && "
                         f"cat b.txt > /dev/null && rm b.txt && cat missing.txt; exit 5"], rc=5)
        root = t.kind("process", op="exec")[0]
        self.assertEqual(root["argv"][0], "sh")
        self.assertEqual(root["argv"][1], "-c")
        sh = root["pid"]

        opened = t.kind("file", op="open", path=f"{d}/a.txt")
        self.assertEqual(len(opened), 1)
        self.assertEqual(opened[0]["pid"], sh)
        self.assertEqual(opened[0]["flags"], "O_WRONLY|O_CREAT|O_TRUNC")
        self.assertEqual(opened[0]["error"], None)
        self.assertEqual(opened[0]["uid"], 0)

        w = t.kind("file", op="write", path=f"{d}/a.txt")
        self.assertEqual(len(w), 1)
        self.assertEqual((w[0]["bytes"], w[0]["ops"], w[0]["content"], w[0]["pid"]),
                         (3, 1, "hi\n", sh))

        mv = t.kind("process", op="exec", comm="mv")[0]
        self.assertEqual(mv["argv"], ["mv", "a.txt", "b.txt"])
        self.assertEqual(mv["ppid"], sh)
        rn = t.kind("file", op="rename")
        self.assertEqual([(e["path"], e["new_path"], e["pid"]) for e in rn],
                         [(f"{d}/a.txt", f"{d}/b.txt", mv["pid"])])

        cat = t.kind("process", op="exec", comm="cat")
        self.assertEqual(cat[0]["argv"], ["cat", "b.txt"])
        r = t.kind("file", op="read", path=f"{d}/b.txt")
        self.assertEqual(len(r), 1)
        self.assertEqual((r[0]["bytes"], r[0]["content"], r[0]["pid"]),
                         (3, "hi\n", cat[0]["pid"]))

        rm = t.kind("process", op="exec", comm="rm")[0]
        ul = t.kind("file", op="unlink", path=f"{d}/b.txt")
        self.assertEqual([(e["pid"], e["error"]) for e in ul], [(rm["pid"], None)])

        miss = t.kind("file", op="open", path=f"{d}/missing.txt")
        self.assertEqual(len(miss), 1)
        self.assertEqual((miss[0]["error"], miss[0]["fd"]), ("ENOENT", None))
        self.assertEqual(miss[0]["pid"], cat[1]["pid"])
        exits = {e["pid"]: e for e in t.kind("process", op="exit")}
        self.assertEqual(exits[cat[1]["pid"]]["exit_code"], 1)
        self.assertEqual(exits[sh]["exit_code"], 5)
        for c in cat:  # every child was forked by sh, and exited after its exec
            self.assertEqual(t.kind("process", op="fork", pid=c["pid"])[0]["ppid"], sh)

    def test_metadata_ops(self):
        d = self.dir
        t = self.traced(["sh", "-c",
                         f"cd {d} && mkdir sub && touch sub/f && chmod 640 sub/f && "
                         f"chown 1234:4321 sub/f && ln sub/f hard && ln -s sub/f soft && "
                         f"truncate -s 10 sub/f && rm hard soft sub/f && rmdir sub"])
        mk = t.kind("file", op="mkdir", path=f"{d}/sub")
        self.assertEqual(len(mk), 1)
        self.assertEqual(mk[0]["mode"], "0777")  # mkdir(1) asks 0777, umask applies later
        ch = t.kind("file", op="chmod", path=f"{d}/sub/f")
        self.assertEqual([e["mode"] for e in ch], ["0640"])
        co = t.kind("file", op="chown", path=f"{d}/sub/f")
        self.assertEqual([(e["uid"], e["gid"]) for e in co], [(1234, 4321)])
        ln = t.kind("file", op="link")
        self.assertEqual([(e["path"], e["new_path"]) for e in ln],
                         [(f"{d}/sub/f", f"{d}/hard")])
        sl = t.kind("file", op="symlink")
        self.assertEqual([(e["path"], e["new_path"]) for e in sl],
                         [("sub/f", f"{d}/soft")])  # the target is kept verbatim
        tr = t.kind("file", op="truncate", path=f"{d}/sub/f")
        self.assertEqual([e["bytes"] for e in tr], [10])
        ul = sorted(e["path"] for e in t.kind("file", op="unlink") if e["path"].startswith(d))
        self.assertEqual(ul, [f"{d}/hard", f"{d}/soft", f"{d}/sub/f"])
        self.assertEqual([e["path"] for e in t.kind("file", op="rmdir")], [f"{d}/sub"])

    def test_fd_reuse_dup_and_vectored_io(self):
        d = self.dir
        prog = f"""
import os
a = os.open("{d}/a", os.O_WRONLY | os.O_CREAT, 0o600)
os.write(a, b"first")
os.close(a)
b = os.open("{d}/b", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
assert a == b  # the same number, another file
os.writev(b, [b"ab", b"cd", b"ef"])
os.pwrite(b, b"XY", 0)
os.dup2(b, 9)
os.write(9, b"via9")
os.close(b)
os.close(9)
r = os.open("{d}/b", os.O_RDONLY | os.O_CLOEXEC)
os.readv(r, [bytearray(3), bytearray(100)])
os.close(r)
try:
    os.open("{d}/nope/x", os.O_WRONLY | os.O_CREAT, 0o600)
except FileNotFoundError:
    pass
"""
        t = self.traced(["/usr/bin/python3", "-c", prog])
        wa = t.kind("file", op="write", path=f"{d}/a")
        self.assertEqual([(e["bytes"], e["content"]) for e in wa], [(5, "first")])
        ob = t.kind("file", op="open", path=f"{d}/b")
        self.assertEqual(ob[0]["flags"], "O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC")
        self.assertEqual(ob[0]["mode"], "0644")
        self.assertEqual(ob[1]["flags"], "O_RDONLY|O_CLOEXEC")
        # writev + pwrite on fd b, then write on fd 9 (a dup): b's run is
        # one merged event, fd 9's is another, both named b
        wb = t.kind("file", op="write", path=f"{d}/b")
        self.assertEqual([(e["fd"], e["bytes"], e["ops"], e["content"]) for e in wb],
                         [(ob[0]["fd"], 8, 2, "abcdefXY"), (9, 4, 1, "via9")])
        self.assertEqual(wb[0]["fd"], t.kind("file", op="open", path=f"{d}/a")[0]["fd"])
        rb = t.kind("file", op="read", path=f"{d}/b")
        # Linux appends a pwrite on an O_APPEND fd (pwrite(2), BUGS)
        self.assertEqual([(e["bytes"], e["content"]) for e in rb], [(12, "abcdefXYvia9")])
        self.assertEqual(len(t.kind("file", op="close", path=f"{d}/a")), 1)
        fail = t.kind("file", op="open", path=f"{d}/nope/x")
        self.assertEqual([(e["error"], e["mode"], e["flags"]) for e in fail],
                         [("ENOENT", "0600", "O_WRONLY|O_CREAT|O_CLOEXEC")])

    def test_child_attribution_and_signals(self):
        d = self.dir
        t = self.traced(["sh", "-c", f"(echo child > {d}/c.txt) & wait; "
                         f"sh -c 'kill -9 $$'; exit 0"])
        root = t.kind("process", op="exec")[0]["pid"]
        w = t.kind("file", op="write", path=f"{d}/c.txt")
        self.assertEqual(len(w), 1)
        self.assertNotEqual(w[0]["pid"], root)
        forks = {e["pid"]: e["ppid"] for e in t.kind("process", op="fork")}
        self.assertEqual(forks[w[0]["pid"]], root)
        killed = [e for e in t.kind("process", op="exit") if e["signal"]]
        self.assertEqual([(e["signal"], e["exit_code"]) for e in killed], [("SIGKILL", None)])

    def test_content_bytes_and_big_payload(self):
        d = self.dir
        prog = f"""
import os
fd = os.open("{d}/big", os.O_WRONLY | os.O_CREAT, 0o600)
os.write(fd, b"A" * 100000)
os.close(fd)
"""
        t = adi.run(["/usr/bin/python3", "-c", prog], "--content-bytes", "10")
        self.assertEqual(t.rc, 0, t.stderr)
        w = t.kind("file", op="write", path=f"{d}/big")
        self.assertEqual([(e["bytes"], e["content"]) for e in w], [(100000, "A" * 10)])
        # a file's bytes are copied only up to its sample (--content-bytes):
        # the 100,000-byte write is not a truncated payload, nor is any file
        # read of the interpreter's start-up
        self.assertEqual(t.summary["truncated"], 0)


if __name__ == "__main__":
    adi.main()
