#!/usr/bin/env python3
"""check-layers.py - fails when an #include climbs the layer stack.

The stack, lowest first (docs/architecture.md):
    abi -> lib -> proto -> core -> sink, ui -> capture -> cli -> main.c
A file may include headers of its own layer or of any layer below it, never
one above. Every quoted #include in abi/ and src/ is resolved (relative to
the including file, then to src/ and the repository root) and checked; an
include that resolves to nothing is an error too. Prints each violation and
exits 1 when there is one; run by CI (ctest: lint.layers).
"""
import os
import re
import sys

RANK = {"abi": 0, "lib": 1, "proto": 2, "core": 3, "sink": 4, "ui": 4,
        "capture": 5, "cli": 6, "main": 7}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer(root, path):
    rel = os.path.relpath(path, root).split(os.sep)
    if rel[0] == "abi":
        return "abi"
    if rel[0] == "src":
        return "main" if len(rel) == 2 else rel[1]
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    bad = []
    checked = 0
    for top in ("abi", "src"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                src = os.path.join(d, f)
                me = layer(root, src)
                if me not in RANK:
                    bad.append(f"{os.path.relpath(src, root)}: folder is in no layer")
                    continue
                text = open(src, encoding="utf-8", errors="replace").read()
                for m in INCLUDE.finditer(text):
                    inc = m.group(1)
                    cands = [os.path.join(d, inc), os.path.join(root, "src", inc),
                             os.path.join(root, inc)]
                    target = next((os.path.normpath(c) for c in cands if os.path.exists(c)), None)
                    if target is None:
                        # generated files (the BPF skeleton, web assets) live in the build tree
                        if inc.endswith(".skel.h"):
                            continue
                        bad.append(f"{os.path.relpath(src, root)}: #include \"{inc}\" not found")
                        continue
                    checked += 1
                    them = layer(root, target)
                    if them is None:
                        bad.append(f"{os.path.relpath(src, root)}: #include \"{inc}\" is outside abi/ and src/")
                    elif RANK[them] > RANK[me]:
                        bad.append(f"{os.path.relpath(src, root)} ({me}) includes "
                                   f"{os.path.relpath(target, root)} ({them}): climbs the stack")
    for b in bad:
        print(b)
    print(f"check-layers: {checked} includes checked, {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
