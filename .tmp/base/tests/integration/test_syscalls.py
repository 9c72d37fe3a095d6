"""The less common syscall variants, from a small C program built here."""
import os
import subprocess
import sys
sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

SRC = os.path.join(os.path.dirname(__file__), "syscalls.c")


class Syscalls(adi.TraceTest):
    def test_variants(self):
        d = self.dir
        exe = f"{d}/syscalls"
        subprocess.run(["cc", "-O1", "-o", exe, SRC], check=True)
        os.makedirs(f"{d}/w")
        w = f"{d}/w"
        t = adi.run([exe, w])
        self.assertWellFormed(t)
        self.assertEqual(t.rc, 0, t.stderr)

        def one(op, path, flags=None, **more):
            evs = [e for e in t.kind("file", op=op, path=path)
                   if flags is None or e["flags"] == flags]
            self.assertEqual(len(evs), 1, (op, path, evs))
            for k, v in more.items():
                self.assertEqual(evs[0][k], v, (op, path, k))
            return evs[0]

        one("open", f"{w}/o2.txt", flags="O_WRONLY|O_CREAT", mode="0600", error=None)
        one("write", f"{w}/o2.txt", bytes=8, content="openat2\n")
        one("open", f"{w}/creat.txt", flags="O_WRONLY|O_CREAT|O_TRUNC", mode="0644")
        one("write", f"{w}/creat.txt", bytes=4, content="pwv2")
        # preadv2 (4 bytes), then sendfile from the same fd: one merged read run;
        # sendfile's bytes are counted, not seen
        rd = one("read", f"{w}/creat.txt", bytes=8, ops=2, content="pwv2")
        self.assertTrue(rd.get("content_partial"))
        # splice into spliced.txt (renamed later: the fd follows the rename)
        one("open", f"{w}/spliced.txt", flags="O_WRONLY|O_CREAT|O_TRUNC")
        sp = t.kind("file", op="write", path=f"{w}/moved.txt")
        self.assertEqual([(e["bytes"], e["content"]) for e in sp], [(4, "")])
        one("rename", f"{w}/spliced.txt", new_path=f"{w}/moved.txt")
        one("link", f"{w}/moved.txt", new_path=f"{w}/hard.txt")
        self.assertEqual([(e["path"], e["new_path"]) for e in t.kind("file", op="symlink")],
                         [("moved.txt", f"{w}/sym.txt")])
        one("chmod", f"{w}/moved.txt", mode="0604")
        one("chown", f"{w}/moved.txt", uid=42, gid=43)
        one("truncate", f"{w}/moved.txt", bytes=2)
        one("mkdir", f"{w}/sub", mode="0700")
        one("rmdir", f"{w}/sub")
        # close_range closed the files it covered: their close events are there
        self.assertEqual(len(t.kind("file", op="close", path=f"{w}/moved.txt")), 1)
        self.assertEqual(len(t.kind("file", op="close", path=f"{w}/creat.txt")), 2)

        tcp = [e for e in t.kind("tcp_stream") if e["conn"]["transport"] == "tcp"]
        by_role = {e["conn"]["role"]: e for e in tcp}
        self.assertEqual(set(by_role), {"client", "server"})
        cl, sv = by_role["client"], by_role["server"]
        self.assertEqual((cl["bytes_out"], cl["preview_out"], cl["bytes_in"], cl["preview_in"]),
                         (13, "one|two|three", 2, "ok"))
        self.assertEqual((sv["bytes_in"], sv["preview_in"], sv["bytes_out"], sv["preview_out"]),
                         (13, "one|two|three", 2, "ok"))
        self.assertEqual(cl["conn"]["local"], sv["conn"]["remote"])
        self.assertEqual(t.summary["stream_gaps"], 0)


if __name__ == "__main__":
    adi.main()
