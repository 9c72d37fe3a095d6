#!/bin/bash
set -euo pipefail
cd /work/f-tls
OUT=.tmp/fz; OBJ=$OUT/obj; mkdir -p $OBJ
CFLAGS="-std=c17 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=undefined -Isrc -I. -Itests/support $(pkg-config --cflags libbson-1.0 libzstd)"
LIBS="-lz -lnghttp2 -lsqlite3 $(pkg-config --libs libbson-1.0 libzstd) -lsnappy -lm"
SRC=$(ls src/lib/*.c src/core/*.c src/sink/*.c src/proto/*.c src/proto/*/*.c src/capture/normalize.c tests/support/pdrive.c)
rm -f $OBJ/*.o $OUT/lib.a
printf '%s\n' $SRC | xargs -P 2 -I{} sh -c 'clang '"$CFLAGS"' -fsanitize=fuzzer-no-link,address,undefined -c "$1" -o "'$OBJ'/$(echo "$1" | tr / _).o"' _ {}
ar rcs $OUT/lib.a $OBJ/*.o
for t in tls engine postgres mysql; do clang $CFLAGS -fsanitize=fuzzer,address,undefined fuzz/fuzz_$t.c $OUT/lib.a $LIBS -o $OUT/fuzz_$t; done
echo built
