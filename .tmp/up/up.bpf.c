#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } cnt SEC(".maps");
SEC("uprobe") int hit(struct pt_regs *ctx) { __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&cnt, &k); if (v) __sync_fetch_and_add(v, 1); return 0; }
