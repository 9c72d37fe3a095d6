/* x86.c - instruction lengths and the few instruction classes x86.h asks
 * about, for the 64-bit mode encodings (Intel SDM vol. 2, chapter 2 and
 * appendix A). Unknown encodings answer 0 / false: the caller then falls
 * back to a probe it knows is correct, only dearer. */
#include <string.h>

#include "x86.h"

/* What follows an opcode of the one-byte map. */
enum {
	F_MODRM = 1,  /* a ModRM byte (and SIB/displacement) */
	F_I8 = 2,     /* an 8-bit immediate */
	F_IZ = 4,     /* a 16/32-bit immediate (16 with the 0x66 prefix) */
	F_I16 = 8,    /* a 16-bit immediate */
	F_BAD = 16,   /* invalid in 64-bit mode, or an encoding not decoded */
};

static unsigned one_byte(uint8_t op)
{
	if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3: return F_MODRM; /* ALU r/m forms */
		case 4: return F_I8;                              /* ALU al, imm8 */
		case 5: return F_IZ;                              /* ALU eax, imm */
		default: return F_BAD; /* push/pop seg, daa..., prefixes (seen before) */
		}
	}
	if (op < 0x60)
		return 0; /* REX (consumed before), push/pop reg */
	switch (op) {
	case 0x63: return F_MODRM;                  /* movsxd */
	case 0x68: return F_IZ;                     /* push imm */
	case 0x69: return F_MODRM | F_IZ;           /* imul r, r/m, imm */
	case 0x6a: return F_I8;
	case 0x6b: return F_MODRM | F_I8;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: return 0;
	case 0x80: case 0x82: case 0x83: case 0xc0: case 0xc1: case 0xc6:
		return op == 0x82 ? F_BAD : F_MODRM | F_I8;
	case 0x81: case 0xc7: return F_MODRM | F_IZ;
	case 0x8f: return F_MODRM;                  /* pop r/m (XOP when reg != 0: rare) */
	case 0x9a: case 0xea: case 0xce: case 0xd4: case 0xd5: case 0xd6:
	case 0x60: case 0x61: case 0x62: case 0xc4: case 0xc5:
		return F_BAD;                       /* invalid, or VEX/EVEX */
	case 0xa8: return F_I8;
	case 0xa9: return F_IZ;
	case 0xc2: case 0xca: return F_I16;         /* ret imm16 */
	case 0xc8: return F_I16 | F_I8;             /* enter */
	case 0xcd: return F_I8;                     /* int imm8 */
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xeb: return F_I8; /* rel8 */
	case 0xe4: case 0xe5: case 0xe6: case 0xe7: return F_I8;
	case 0xe8: case 0xe9: return F_IZ;          /* rel32 */
	case 0xf6: case 0xf7: return F_MODRM;       /* test imm added by reg */
	case 0xfe: case 0xff: return F_MODRM;
	}
	if (op >= 0x70 && op <= 0x7f)
		return F_I8;                        /* jcc rel8 */
	if (op >= 0x84 && op <= 0x8e)
		return F_MODRM;                     /* test, xchg, mov, lea, mov seg */
	if (op >= 0xb0 && op <= 0xb7)
		return F_I8;
	if (op >= 0xd0 && op <= 0xd3)
		return F_MODRM;                     /* shifts */
	if (op >= 0xd8 && op <= 0xdf)
		return F_MODRM;                     /* x87 */
	return 0; /* 0x90-0x9f, 0xa4-0xaf strings, 0xc3, 0xc9, 0xcc... */
}

/* The 0x0f map: ModRM for nearly everything; these have none. */
static bool two_byte_no_modrm(uint8_t op)
{
	switch (op) {
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b: case 0x0e:
	case 0x77: case 0xa0: case 0xa1: case 0xa2: case 0xa8: case 0xa9: case 0xaa:
		return true;
	}
	return (op >= 0x30 && op <= 0x37) || (op >= 0xc8 && op <= 0xcf) ||
	       (op >= 0x80 && op <= 0x8f);
}

static bool two_byte_imm8(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba ||
	       op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6;
}

size_t adi_x86_len(const uint8_t *p, size_t n)
{
	bool osz = false, rexw = false, modrm = false;
	size_t i = 0, imm = 0;
	uint8_t op;

	for (; i < n && i < 14; i++) { /* legacy prefixes */
		uint8_t b = p[i];

		if (b == 0x66)
			osz = true;
		else if (b != 0x67 && b != 0xf0 && b != 0xf2 && b != 0xf3 && b != 0x2e &&
			 b != 0x36 && b != 0x3e && b != 0x26 && b != 0x64 && b != 0x65)
			break;
	}
	if (i < n && (p[i] & 0xf0) == 0x40) /* REX */
		rexw = p[i++] & 8;
	if (i >= n)
		return 0;
	op = p[i++];
	if (op == 0x0f) {
		if (i >= n)
			return 0;
		op = p[i++];
		if (op == 0x0f)
			return 0; /* 3DNow! */
		if (op == 0x38 || op == 0x3a) {
			if (i >= n)
				return 0;
			i++; /* the third opcode byte */
			modrm = true;
			imm = op == 0x3a;
		} else if (op >= 0x80 && op <= 0x8f) {
			imm = 4; /* jcc rel32 */
		} else {
			modrm = !two_byte_no_modrm(op);
			imm = two_byte_imm8(op);
		}
	} else {
		unsigned f = one_byte(op);

		if (f & F_BAD)
			return 0;
		modrm = f & F_MODRM;
		if (f & F_I8)
			imm += 1;
		if (f & F_I16)
			imm += 2;
		if (f & F_IZ)
			imm += osz ? 2 : 4;
		if (op >= 0xa0 && op <= 0xa3)
			imm = 8; /* mov moffs64 (4 with 0x67: not seen in code we probe) */
		if (op >= 0xb8 && op <= 0xbf)
			imm = rexw ? 8 : osz ? 2 : 4; /* mov r, imm */
		if (op == 0x8f && i < n && ((p[i] >> 3) & 7) != 0)
			return 0; /* XOP, not pop */
		if ((op == 0xf6 || op == 0xf7) && i < n && ((p[i] >> 3) & 7) <= 1)
			imm = op == 0xf6 ? 1 : osz ? 2 : 4; /* test r/m, imm */
	}
	if (modrm) {
		uint8_t m, mod, rm;

		if (i >= n)
			return 0;
		m = p[i++];
		mod = m >> 6;
		rm = m & 7;
		if (mod != 3) {
			if (rm == 4) { /* SIB */
				if (i >= n)
					return 0;
				if (mod == 0 && (p[i] & 7) == 5)
					i += 4; /* no base: disp32 */
				i++;
			}
			if (mod == 0 && rm == 5)
				i += 4; /* RIP-relative disp32 */
			else if (mod == 1)
				i += 1;
			else if (mod == 2)
				i += 4;
		}
	}
	i += imm;
	return i <= n && i <= 15 ? i : 0;
}

bool adi_x86_emulated(const uint8_t *p, size_t len)
{
	if (!len)
		return false;
	/* push %r8..%r15 carries REX.B alone; the kernel emulates it too */
	if (len == 2 && p[0] == 0x41 && p[1] >= 0x50 && p[1] <= 0x57)
		return true;
	if (len == 1)
		return (p[0] >= 0x50 && p[0] <= 0x57) || p[0] == 0x90;
	if (len == 2)
		return p[0] == 0xeb || (p[0] >= 0x70 && p[0] <= 0x7f);
	if (len == 5)
		return p[0] == 0xe8 || p[0] == 0xe9;
	if (len == 6)
		return p[0] == 0x0f && p[1] >= 0x80 && p[1] <= 0x8f;
	return false;
}

bool adi_x86_call_target(const uint8_t *p, size_t len, uint64_t at, uint64_t *target)
{
	int32_t rel;

	if (len != 5 || p[0] != 0xe8)
		return false;
	memcpy(&rel, p + 1, 4); /* x86 is little endian, as the host */
	*target = at + 5 + (int64_t)rel;
	return true;
}

bool adi_x86_endbr64(const uint8_t *p, size_t len)
{
	return len == 4 && !memcmp(p, "\xf3\x0f\x1e\xfa", 4);
}

bool adi_x86_keeps_args(const uint8_t *p, size_t len)
{
	uint8_t m;

	if (adi_x86_endbr64(p, len))
		return true;
	/* mov %fs:0x28,%rax: the stack protector's canary */
	if (len == 9 && !memcmp(p, "\x64\x48\x8b\x04\x25\x28\x00\x00\x00", 9))
		return true;
	/* xor %eax,%eax (31 c0 / 33 c0) */
	if (len == 2 && (p[0] == 0x31 || p[0] == 0x33) && p[1] == 0xc0)
		return true;
	/* test/cmp reg, reg (84, 85, 38, 39, 3a, 3b with mod 3): flags only */
	if (len == 2 && (p[0] == 0x84 || p[0] == 0x85 || (p[0] >= 0x38 && p[0] <= 0x3b)) &&
	    (p[1] >> 6) == 3)
		return true;
	if (len == 3 && (p[0] & 0xf0) == 0x40 &&
	    (p[1] == 0x84 || p[1] == 0x85 || (p[1] >= 0x38 && p[1] <= 0x3b)) && (p[2] >> 6) == 3)
		return true;
	if (len < 3 || p[0] != 0x48)
		return false;
	m = p[2];
	/* sub/add $imm, %rsp (48 83 /5 or /0 ec|c4, 48 81 ...) */
	if ((p[1] == 0x83 && len == 4) || (p[1] == 0x81 && len == 7))
		return m == 0xec || m == 0xc4;
	/* mov %rax, disp8(%rsp) (48 89 44 24 d8): the canary's store */
	if (p[1] == 0x89 && len == 5 && m == 0x44 && p[3] == 0x24)
		return true;
	return false;
}
