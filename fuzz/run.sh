#!/bin/bash
# Build every fuzz/fuzz_*.c as a libFuzzer target (ASan + UBSan) and run each
# for SECONDS (default 30), seeded from fuzz/corpus/<name>/ when present.
# Every target links the decoder driver tests/support/pdrive.c (pdrive.h).
# A crash fails the script and leaves the reproducer in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
OUT=build-fuzz
mkdir -p "$OUT"
SRC=$(ls src/core/*.c src/out/*.c src/proto/*.c src/capture/ebpf/normalize.c)
for f in fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	echo "-- $name: building"
	# shellcheck disable=SC2086
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Isrc -I. -Itests/support "$f" \
		tests/support/pdrive.c $SRC -lz -lnghttp2 -lsqlite3 \
		$(pkg-config --cflags --libs libbson-1.0 libzstd) -lsnappy -o "$OUT/$name"
	corpus="$OUT/corpus-$name"
	mkdir -p "$corpus"
	[ -d "fuzz/corpus/$name" ] && cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
	echo "-- $name: ${SECONDS_EACH}s"
	if ! (cd "$OUT" && "./$name" -max_total_time="$SECONDS_EACH" -print_final_stats=0 \
		-artifact_prefix="./$name-" "corpus-$name" >"$name.log" 2>&1); then
		tail -n 40 "$OUT/$name.log" >&2
		echo "FUZZ FAILURE in $name (reproducer in $OUT/)" >&2
		exit 1
	fi
	tail -n 1 "$OUT/$name.log"
done
