#!/bin/bash
cd /work/f-tls
.tmp/fuzzbuild.sh || exit 1
cd .tmp/fz
for t in tls:60 engine:90 postgres:30 mysql:30; do
	n=${t%%:*}; s=${t##*:}
	mkdir -p corpus-$n; cp -n ../../fuzz/corpus/fuzz_$n/* corpus-$n/ 2>/dev/null
	if ./fuzz_$n -max_total_time=$s -print_final_stats=0 -artifact_prefix=./$n- corpus-$n > $n.log 2>&1; then echo "$n ok: $(tail -1 $n.log)"; else echo "$n FAILED"; tail -30 $n.log; fi
done
