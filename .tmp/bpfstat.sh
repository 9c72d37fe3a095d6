#!/bin/bash
# runs tls_write traced and prints per-program ns/run
cd /work/f-tls
sysctl -q kernel.bpf_stats_enabled=1
./build/adi-profiler run --format json -o /tmp/tb.jsonl -- .tmp/tls_write -n 50000 -R 3 -w 3 > /tmp/tb.out 2>&1 &
AP=$!
sleep 8
bpftool prog show 2>/dev/null | grep -A1 -E 'name handle_ssl_return|name handle_sys_exit|name handle_ssl_write_ex' | grep -E 'name|run_time' | paste - - | awk '{for(i=1;i<=NF;i++){if($i=="name")n=$(i+1); if($i=="run_time_ns")t=$(i+1); if($i=="run_cnt")c=$(i+1)} if (c>0) printf "%-28s cnt %9d  ns/run %6.0f\n", n, c, t/c}'
wait $AP
sysctl -q kernel.bpf_stats_enabled=0
cat /tmp/tb.out | tail -1
