#!/usr/bin/env bash
# bench/gotest.sh - what tracing costs the workflow the profiler was designed
# around (issue 25): `go test -count=1 ./...` on the module of
# tests/integration/toolchains/go (one test that fetches a page from a local
# server and writes it to a temporary file), untraced and under
# `adi-profiler run`. Root, a kernel with BTF, Debian's golang-go.
#
#   sudo bash bench/gotest.sh [BIN]        # N=10 interleaved runs of each mode
#
# The build cache is warmed once, untraced: each run is the one a developer
# repeats (compile, vet and link still run, the test binary is relinked).
# Modes: untraced; eBPF with the text timeline (focused: a large trace);
# eBPF with JSON Lines; ptrace with the text timeline. Prints per mode the
# wall time and the CPU time (user + system of the profiler and everything
# it ran) as min and median, and the traced/untraced ratio of the medians.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../build/adi-profiler}
N=${N:-10}
GO=$(command -v go) || { echo "go is needed (golang-go)"; exit 1; }
TMP=$(mktemp -d /tmp/adi-gotest.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

mkdir -p "$TMP/www" "$TMP/tmp"
echo "<html>hello from a local server</html>" >"$TMP/www/index.html"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server -b 127.0.0.1 -d "$TMP/www" "$PORT" >/dev/null 2>&1 &
SRV=$!
cp -r "$HERE/../tests/integration/toolchains/go" "$TMP/mod"
export HOME=$TMP GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOFLAGS=-mod=mod GOPROXY=off \
	TMPDIR=$TMP/tmp FETCH_URL=http://127.0.0.1:$PORT/index.html
cd "$TMP/mod" || exit 1
for _ in 1 2 3 4 5 6 7 8 9 10; do
	curl -sf "$FETCH_URL" >/dev/null && break
	sleep 0.2
done
"$GO" test -count=1 ./... >/dev/null || { echo "go test fails untraced"; exit 1; }

MODES=(untraced ebpf-text ebpf-json ptrace-text)
one() { # $1 mode: appends "wall user sys" to $TMP/$1
	local cmd
	case $1 in
	untraced) cmd=("$GO" test -count=1 ./...) ;;
	ebpf-text) cmd=("$BIN" run --backend ebpf -o "$TMP/t.txt" -- "$GO" test -count=1 ./...) ;;
	ebpf-json) cmd=("$BIN" run --backend ebpf -o "$TMP/t.jsonl" -- "$GO" test -count=1 ./...) ;;
	ptrace-text) cmd=("$BIN" run --backend ptrace -o "$TMP/t.txt" -- "$GO" test -count=1 ./...) ;;
	esac
	/usr/bin/time -f "%e %U %S" -o "$TMP/time" "${cmd[@]}" >/dev/null 2>&1 || return
	cat "$TMP/time" >>"$TMP/$1"
	rm -f "$TMP"/tmp/fetch-*.html
}

stat() { # column $1 of file $2: "min median"
	awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{a[NR]=$1} END {printf "%s %s", a[1], a[int((NR+1)/2)]}'
}

for ((i = 0; i < N; i++)); do
	for m in "${MODES[@]}"; do
		one "$m"
	done
done
printf "%-12s %20s %20s %14s\n" mode "wall s (min/med)" "cpu s (min/med)" "wall ratio"
base=
for m in "${MODES[@]}"; do
	f="$TMP/$m"
	[ -s "$f" ] || { echo "$m: no run succeeded"; continue; }
	awk '{print $1, $2 + $3}' "$f" >"$f.x"
	read -r wmin wmed <<<"$(stat 1 "$f.x")"
	read -r cmin cmed <<<"$(stat 2 "$f.x")"
	[ -n "$base" ] || base=$wmed
	printf "%-12s %9.2f / %-8.2f %9.2f / %-8.2f %12.2fx\n" "$m" "$wmin" "$wmed" "$cmin" "$cmed" \
		"$(echo "$wmed $base" | awk '{print $1 / $2}')"
done
if [ -s "$TMP/t.txt" ]; then
	echo "last text timeline: $(wc -l <"$TMP/t.txt") lines; $(tail -1 "$TMP/t.txt" | cut -c1-160)"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
