/* x86.h - just enough x86-64 decoding to place a uprobe where it is cheap
 * (docs/tls.md): instruction lengths, which instructions the kernel
 * emulates when a uprobe sits on them (the others are single-stepped, about
 * 15-30 us per hit on the target VM), direct call targets, and the few
 * prologue instructions that leave a function's argument registers alone.
 * Pure functions over borrowed bytes; no state. */
#ifndef ADI_X86_H
#define ADI_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the instruction at p[0..n), or 0 when this decoder cannot
 * tell (VEX/EVEX/XOP encodings, 3DNow!, opcodes invalid in 64-bit mode, an
 * instruction cut by n). Covers the general-purpose set that prologues and
 * wrappers are made of. */
size_t adi_x86_len(const uint8_t *p, size_t n);

/* True when a uprobe on this instruction (len bytes) is emulated by the
 * kernel rather than single-stepped (arch/x86/kernel/uprobes.c): push of a
 * register, call/jmp rel, jcc, nop. */
bool adi_x86_emulated(const uint8_t *p, size_t len);

/* A `call rel32` at address at: true and *target. */
bool adi_x86_call_target(const uint8_t *p, size_t len, uint64_t at, uint64_t *target);

/* True when the instruction writes none of the argument registers (rdi,
 * rsi, rdx, rcx, r8, r9) and does not move the stack pointer in a way that
 * matters before the arguments are read: endbr64, the stack protector's
 * load and store, sub/add of an immediate to %rsp, test/cmp, xor %eax,%eax.
 * A probe after only such instructions still sees the arguments. */
bool adi_x86_keeps_args(const uint8_t *p, size_t len);

/* True for endbr64 (CET): a function may start with it; the probe then
 * sits on the next instruction, where the stack is still the entry's. */
bool adi_x86_endbr64(const uint8_t *p, size_t len);

#endif
