#!/bin/bash
# check-portable.sh BIN - the portable binary (docs/install.md): it needs
# only glibc's libraries, of glibc at most GLIBC_MAX (2.35), says it is the
# portable build with mimalloc, traces `run -- true` under eBPF and replays
# the golden capture to the reviewed events. Root (eBPF); run by .ci/run.
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
max=${GLIBC_MAX:-2.35}
fail() {
	echo "check-portable: $*" >&2
	exit 1
}
glibc='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|ld-linux-x86-64\.so\.2)$'

echo "-- ldd $bin"
ldd "$bin"
while read -r name _; do
	name=${name##*/}
	[[ $name == linux-vdso.so.1 || $name =~ $glibc ]] || fail "ldd lists $name, not glibc's"
done < <(ldd "$bin")
for n in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	[[ $n =~ $glibc ]] || fail "NEEDED $n is not glibc's"
done
need=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "-- needs glibc $need; $(stat -c %s "$bin") bytes"
[ "$(printf '%s\n%s\n' "$need" "$max" | sort -V | tail -1)" = "$max" ] ||
	fail "needs glibc $need, more than $max (docs/install.md says $max)"

"$bin" --version
"$bin" --version | grep -qx 'linking: static but for the C library (portable)' ||
	fail "--version does not say portable"
"$bin" --version | grep -q '^allocator: mimalloc ' || fail "not linked with mimalloc"
out=$("$bin" run --format json -o - -- true)
grep '"kind":"trace_summary"' <<<"$out" | grep -q '"backend":"ebpf"' ||
	fail "run -- true under eBPF gave no trace_summary: $out"
ADI_BIN=$bin ADI_SRC=$here python3 "$here/tests/replay/test_golden.py"
