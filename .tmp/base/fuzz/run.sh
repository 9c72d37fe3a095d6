#!/bin/bash
# Build every fuzz/fuzz_*.c as a libFuzzer target (ASan + UBSan) and run each
# for SECONDS (default 30), seeded from fuzz/corpus/<name>/ when present.
# The engine's sources and the decoder driver (tests/support/pdrive.c) are
# compiled once into an archive every target links; builds run in parallel.
# A crash fails the script and leaves the reproducer in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
OUT=build-fuzz
OBJ=$OUT/obj
mkdir -p "$OUT" "$OBJ"
CFLAGS="-std=c17 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=undefined -Isrc -I. -Itests/support
	$(pkg-config --cflags libbson-1.0 libzstd)"
LIBS="-lz -lnghttp2 -lsqlite3 $(pkg-config --libs libbson-1.0 libzstd) -lsnappy -lm"
SRC=$(ls src/lib/*.c src/core/*.c src/sink/*.c src/proto/*.c $(ls src/proto/*/*.c 2>/dev/null) src/capture/normalize.c tests/support/pdrive.c)
JOBS=$(nproc)

echo "-- building the engine for the fuzzers"
rm -f "$OBJ"/*.o "$OUT/libadi-fuzz.a"
# shellcheck disable=SC2086
printf '%s\n' $SRC | xargs -P "$JOBS" -I{} sh -c \
	'clang '"$(echo $CFLAGS)"' -fsanitize=fuzzer-no-link,address,undefined -c "$1" \
		-o "'"$OBJ"'/$(echo "$1" | tr / _).o"' _ {}
ar rcs "$OUT/libadi-fuzz.a" "$OBJ"/*.o
# shellcheck disable=SC2086
ls fuzz/fuzz_*.c | xargs -P "$JOBS" -I{} sh -c \
	'clang '"$(echo $CFLAGS)"' -fsanitize=fuzzer,address,undefined "$1" \
		"'"$OUT"'/libadi-fuzz.a" '"$LIBS"' -o "'"$OUT"'/$(basename "$1" .c)"' _ {}

for f in fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
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
