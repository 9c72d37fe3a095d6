#!/bin/bash
# check-installed.sh DEB - install the Debian package with apt-get as a user
# would (its Depends pulled from the archive), then trace a short workload
# through the installed /usr/bin/adi-profiler, the build folders off PATH: a
# file written, read and removed, and one HTTP request to a private server on
# loopback. The package is removed at the end. Root (eBPF); run by .ci/run.
set -euo pipefail
deb=$(realpath "$1")
work=$(mktemp -d)
srv=""
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	apt-get remove -y -qq adi-profiler >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "check-installed: $*" >&2
	exit 1
}

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --reinstall --allow-downgrades "$deb" >/dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
[ "$(command -v adi-profiler)" = /usr/bin/adi-profiler ] ||
	fail "adi-profiler on PATH is $(command -v adi-profiler), not the package's"
for f in /usr/share/man/man1/adi-profiler.1.gz /usr/share/bash-completion/completions/adi-profiler \
	/usr/share/zsh/vendor-completions/_adi-profiler /usr/share/doc/adi-profiler/events.md; do
	dpkg -S "$f" >/dev/null 2>&1 || fail "the package has no $f"
done
adi-profiler --version
version=$(adi-profiler --version | sed -n '1s/^adi-profiler //p')

cd "$work"
mkdir www
echo hello >www/hello.txt
python3 -u -m http.server 0 --bind 127.0.0.1 --directory www >srv.log 2>&1 &
srv=$!
for _ in $(seq 50); do
	grep -q 'Serving HTTP' srv.log && break
	sleep 0.1
done
port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' srv.log)
[ -n "$port" ] || fail "the HTTP server did not start: $(cat srv.log)"

adi-profiler run --format json -o trace.jsonl -- sh -c \
	"echo hi > $work/a.txt; cat $work/a.txt >/dev/null; rm $work/a.txt;
	 curl -sf http://127.0.0.1:$port/hello.txt -o /dev/null"
python3 - "$work" "$version" <<'PY'
import json, sys
work, version = sys.argv[1], sys.argv[2]
ev = [json.loads(l) for l in open(work + "/trace.jsonl")]
def has(pred, what):
    if not any(pred(e) for e in ev):
        sys.exit("check-installed: no " + what + " in the trace")
path = work + "/a.txt"
has(lambda e: e["kind"] == "file" and e["op"] == "write" and e["path"] == path, "write of a.txt")
has(lambda e: e["kind"] == "file" and e["op"] == "read" and e["path"] == path, "read of a.txt")
has(lambda e: e["kind"] == "file" and e["op"] == "unlink" and e["path"] == path, "unlink of a.txt")
has(lambda e: e["kind"] == "process" and e["op"] == "exec" and e["argv"][0] == "curl", "exec of curl")
has(lambda e: e["kind"] == "http_request" and e["url"] == "/hello.txt" and e["status"] == 200,
    "GET /hello.txt -> 200")
s = ev[-1]
if s["kind"] != "trace_summary" or s["version"] != version or s["backend"] != "ebpf":
    sys.exit("check-installed: bad trace_summary: %r" % s)
print("check-installed: %d events through /usr/bin/adi-profiler %s (%s)"
      % (len(ev), version, ", ".join("%s=%d" % kv for kv in s["events"].items())))
PY
