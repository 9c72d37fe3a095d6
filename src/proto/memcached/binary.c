/* binary.c - memcached's binary protocol for the memcached decoder: the
 * 24-byte header, extras and key (held whole), the value (consumed as it
 * comes, its first bytes kept); a stat reply's many responses gathered
 * into one message. Writes each message into its side's writer. Owns
 * nothing. Protocol: https://github.com/memcached/memcached/wiki/BinaryProtocolRevamped
 *
 *   0      1       2-3        4        5         6-7              8-11        12-15   16-23
 *   magic  opcode  key length extras   data type vbucket / status total body  opaque  cas
 *   then: extras, key, value (total body - extras - key)
 */
#include <stdio.h>
#include <string.h>

#include "mc.h"
#include "../../lib/cursor.h"

/* Opcode names, lower case as the specification names them. */
static const char *const mc_ops[] = {
	"get", "set", "add", "replace", "delete", "increment", "decrement", "quit",
	"flush", "getq", "noop", "version", "getk", "getkq", "append", "prepend",
	"stat", "setq", "addq", "replaceq", "deleteq", "incrementq", "decrementq", "quitq",
	"flushq", "appendq", "prependq", "verbosity", "touch", "gat", "gatq", NULL,
	"sasl_list_mechs", "sasl_auth", "sasl_step", "gatk", "gatkq",
};
#define MC_NOPS (sizeof(mc_ops) / sizeof(mc_ops[0]))

enum {
	OP_GET = 0x00, OP_SET = 0x01, OP_ADD = 0x02, OP_REPLACE = 0x03, OP_INCR = 0x05,
	OP_DECR = 0x06, OP_QUIT = 0x07, OP_FLUSH = 0x08, OP_GETQ = 0x09, OP_NOOP = 0x0a,
	OP_VERSION = 0x0b, OP_GETK = 0x0c, OP_GETKQ = 0x0d, OP_APPEND = 0x0e,
	OP_PREPEND = 0x0f, OP_STAT = 0x10, OP_SETQ = 0x11, OP_ADDQ = 0x12,
	OP_REPLACEQ = 0x13, OP_INCRQ = 0x15, OP_DECRQ = 0x16, OP_QUITQ = 0x17,
	OP_FLUSHQ = 0x18, OP_APPENDQ = 0x19, OP_PREPENDQ = 0x1a, OP_VERBOSITY = 0x1b,
	OP_TOUCH = 0x1c, OP_GAT = 0x1d, OP_GATQ = 0x1e, OP_SASL_LIST = 0x20,
	OP_SASL_AUTH = 0x21, OP_SASL_STEP = 0x22, OP_GATK = 0x23, OP_GATKQ = 0x24,
};

static bool mc_op_known(uint8_t op)
{
	return op < MC_NOPS && mc_ops[op];
}

static bool mc_op_quiet(uint8_t op)
{
	switch (op) {
	case OP_GETQ: case OP_GETKQ: case OP_SETQ: case OP_ADDQ: case OP_REPLACEQ:
	case 0x14: case OP_INCRQ: case OP_DECRQ: case OP_QUITQ: case OP_FLUSHQ:
	case OP_APPENDQ: case OP_PREPENDQ: case OP_GATQ: case OP_GATKQ:
		return true;
	}
	return false;
}

static bool mc_op_get(uint8_t op)
{
	switch (op) {
	case OP_GET: case OP_GETQ: case OP_GETK: case OP_GETKQ:
	case OP_GAT: case OP_GATQ: case OP_GATK: case OP_GATKQ:
		return true;
	}
	return false;
}

static bool mc_op_store(uint8_t op)
{
	switch (op) {
	case OP_SET: case OP_ADD: case OP_REPLACE: case OP_SETQ: case OP_ADDQ: case OP_REPLACEQ:
		return true;
	}
	return false;
}

/* Status names (the specification's, upper case with underscores). */
static const char *mc_status_name(uint16_t s, char *buf, size_t n)
{
	switch (s) {
	case 0x00: return "NO_ERROR";
	case 0x01: return "KEY_NOT_FOUND";
	case 0x02: return "KEY_EXISTS";
	case 0x03: return "VALUE_TOO_LARGE";
	case 0x04: return "INVALID_ARGUMENTS";
	case 0x05: return "ITEM_NOT_STORED";
	case 0x06: return "NON_NUMERIC_VALUE";
	case 0x07: return "WRONG_VBUCKET";
	case 0x08: return "AUTH_ERROR";
	case 0x09: return "AUTH_CONTINUE";
	case 0x81: return "UNKNOWN_COMMAND";
	case 0x82: return "OUT_OF_MEMORY";
	case 0x83: return "NOT_SUPPORTED";
	case 0x84: return "INTERNAL_ERROR";
	case 0x85: return "BUSY";
	case 0x86: return "TEMPORARY_FAILURE";
	}
	snprintf(buf, n, "0x%04x", s);
	return buf;
}

struct mc_hdr {
	uint8_t magic, op, extlen, dtype;
	uint16_t keylen, status;
	uint32_t total, opaque;
	uint64_t cas;
};

static void mc_hdr_read(const uint8_t *b, struct mc_hdr *h)
{
	h->magic = b[0];
	h->op = b[1];
	h->keylen = adi_ld_be16(b + 2);
	h->extlen = b[4];
	h->dtype = b[5];
	h->status = adi_ld_be16(b + 6);
	h->total = adi_ld_be32(b + 8);
	h->opaque = adi_ld_be32(b + 12);
	h->cas = adi_ld_be64(b + 16);
}

/* The extras an opcode's request carries (-1: any). */
static int mc_req_extras(uint8_t op)
{
	if (mc_op_store(op))
		return 8;
	switch (op) {
	case OP_INCR: case OP_DECR: case OP_INCRQ: case OP_DECRQ:
		return 20;
	case OP_TOUCH: case OP_GAT: case OP_GATQ: case OP_GATK: case OP_GATKQ:
	case OP_VERBOSITY:
		return 4;
	case OP_FLUSH: case OP_FLUSHQ:
		return -1; /* 0 or 4 */
	}
	return 0;
}

int mc_bin_start(const uint8_t *b, size_t n, bool request)
{
	struct mc_hdr h;
	int ext;

	if (!n)
		return 1;
	if (b[0] != (request ? 0x80 : 0x81))
		return 0;
	if (n < 2)
		return 1;
	if (!mc_op_known(b[1]))
		return 0;
	if (n < MC_BIN_HDR) {
		/* the data type (byte 5) is 0 */
		return n > 5 && b[5] ? 0 : 1;
	}
	mc_hdr_read(b, &h);
	if (h.dtype || (uint64_t)h.extlen + h.keylen > h.total || h.keylen > MC_MAX_KEY * 4 ||
	    h.total > MC_MAX_DATA + 4096)
		return 0;
	ext = mc_req_extras(h.op);
	if (request) {
		if (ext >= 0 && h.extlen != ext)
			return 0;
		if (ext < 0 && h.extlen && h.extlen != 4)
			return 0;
		if (h.status && h.status != 0xffff)
			return h.status < 0x400 ? 2 : 0; /* a vbucket id */
	} else if (h.extlen && h.extlen != 4) {
		return 0;
	}
	return 2;
}

/* A request's members (docs/memcached.md: the event's order). */
static void mc_bin_req(struct mc_side *sd, const struct adi_proto_cfg *cfg, const struct mc_hdr *h,
		       const uint8_t *ext, const uint8_t *key, uint32_t vlen)
{
	struct adi_jw *w = &sd->w;
	char num[24];

	sd->kind = MEMCACHED_CMD | MC_F_BIN;
	if (mc_op_quiet(h->op))
		sd->kind |= MC_F_QUIET;
	if (mc_op_get(h->op))
		sd->kind |= MC_F_GET;
	if (h->op == OP_NOOP)
		sd->kind |= MC_F_FLUSH;
	if (h->op == OP_QUITQ)
		sd->kind |= MC_F_NOREPLY;
	sd->key = h->opaque;
	adi_jw_kstr(w, "command", mc_ops[h->op]);
	adi_jw_kstr(w, "protocol", "binary");
	adi_jw_karr(w, "keys");
	if (h->keylen)
		adi_jw_bytes(w, key, h->keylen);
	adi_jw_arr_end(w);
	adi_jw_karr(w, "args");
	if (h->extlen == 20) {
		/* incr / decr: delta, initial value */
		snprintf(num, sizeof(num), "%llu", (unsigned long long)adi_ld_be64(ext));
		adi_jw_str(w, num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)adi_ld_be64(ext + 8));
		adi_jw_str(w, num);
	} else if (h->extlen == 4 && (h->op == OP_VERBOSITY || h->op == OP_FLUSH ||
				      h->op == OP_FLUSHQ)) {
		snprintf(num, sizeof(num), "%u", adi_ld_be32(ext));
		adi_jw_str(w, num);
	}
	adi_jw_arr_end(w);
	if (h->extlen == 8 && mc_op_store(h->op)) {
		adi_jw_ku64(w, "flags", adi_ld_be32(ext));
		adi_jw_kint(w, "exptime", (int32_t)adi_ld_be32(ext + 4));
	} else if (h->extlen == 20) {
		adi_jw_kint(w, "exptime", (int32_t)adi_ld_be32(ext + 16));
	} else if (h->extlen == 4 && h->op != OP_VERBOSITY && h->op != OP_FLUSH &&
		   h->op != OP_FLUSHQ) {
		adi_jw_kint(w, "exptime", (int32_t)adi_ld_be32(ext));
	}
	if (h->cas)
		adi_jw_ku64(w, "cas", h->cas);
	sd->redact = (h->op == OP_SASL_AUTH || h->op == OP_SASL_STEP) && !cfg->show_secrets;
	if (vlen || mc_op_store(h->op) || h->op == OP_APPEND || h->op == OP_PREPEND ||
	    h->op == OP_APPENDQ || h->op == OP_PREPENDQ)
		mc_data_begin(sd, MC_D_STORE, vlen, cfg->body_bytes);
	else
		mc_data_begin(sd, MC_D_SKIP, 0, 0);
}

/* A response's members; a stat response with a key joins the result
 * object (sd->block MC_B_BINSTAT) instead. */
static void mc_bin_resp(struct mc_side *sd, const struct adi_proto_cfg *cfg, const struct mc_hdr *h,
			const uint8_t *ext, const uint8_t *key, const uint8_t *val, uint32_t vlen)
{
	struct adi_jw *w = &sd->w;
	char sbuf[8];

	sd->kind = MEMCACHED_REPLY | MC_F_BIN;
	sd->key = h->opaque;
	if (h->op == OP_STAT && !h->status && h->keylen) {
		if (sd->block != MC_B_BINSTAT) {
			sd->block = MC_B_BINSTAT;
			adi_jw_kobj(w, "result");
		}
		if (sd->items >= MC_MAX_ITEMS) {
			sd->truncated = true;
			return;
		}
		sd->items++;
		{
			char name[MC_MAX_KEY + 1];
			size_t k = 0;

			for (size_t i = 0; i < h->keylen && k < MC_MAX_KEY; i++)
				name[k++] = key[i] >= 0x20 && key[i] < 0x7f ? (char)key[i] : '?';
			adi_jw_keyn(w, name, k);
		}
		adi_jw_bytes(w, val, vlen);
		return;
	}
	if (sd->block == MC_B_BINSTAT) {
		adi_jw_obj_end(w);
		sd->block = MC_B_NONE;
	}
	adi_jw_kstr(w, "status", mc_status_name(h->status, sbuf, sizeof(sbuf)));
	if (h->status) {
		if (vlen)
			mc_data_begin(sd, MC_D_ERROR, vlen, cfg->body_bytes > 256 ? cfg->body_bytes : 256);
		else {
			adi_jw_kstr(w, "error", mc_status_name(h->status, sbuf, sizeof(sbuf)));
			mc_data_begin(sd, MC_D_SKIP, 0, 0);
		}
		return;
	}
	if (mc_op_get(h->op)) {
		adi_jw_karr(w, "values");
		adi_jw_obj(w);
		sd->items++;
		if (h->keylen) {
			adi_jw_key(w, "key");
			adi_jw_bytes(w, key, h->keylen);
		}
		if (h->extlen == 4)
			adi_jw_ku64(w, "flags", adi_ld_be32(ext));
		adi_jw_ku64(w, "bytes", vlen);
		if (h->cas)
			adi_jw_ku64(w, "cas", h->cas);
		sd->block = MC_B_ONE;
		mc_data_begin(sd, MC_D_ITEM, vlen, cfg->body_bytes);
		return;
	}
	if ((h->op == OP_INCR || h->op == OP_DECR || h->op == OP_INCRQ || h->op == OP_DECRQ) &&
	    vlen == 8)
		mc_data_begin(sd, MC_D_COUNTER, vlen, 8);
	else if (vlen && (h->op == OP_VERSION || h->op == OP_SASL_LIST || h->op == OP_SASL_AUTH ||
			  h->op == OP_SASL_STEP))
		mc_data_begin(sd, MC_D_RESULT, vlen, cfg->body_bytes > 256 ? cfg->body_bytes : 256);
	else
		mc_data_begin(sd, MC_D_SKIP, vlen, 0);
}

enum adi_parse mc_bin_parse(struct mc_side *sd, const struct adi_proto_cfg *cfg, bool request,
			    const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	size_t pos = 0;

	for (;;) {
		if (sd->phase == MC_LINE) {
			struct adi_cur c = adi_cur_make(b + pos, n - pos);
			const uint8_t *hb, *ext, *key, *val = NULL;
			struct mc_hdr h;
			uint32_t vlen;
			bool statent;
			int s = mc_bin_start(b + pos, n - pos, request);

			if (s == 0) {
				*used = pos;
				return pos ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
			}
			if (s == 1 || adi_cur_need(&c, MC_BIN_HDR)) {
				*used = pos;
				return ADI_PARSE_AGAIN;
			}
			adi_cur_bytes(&c, MC_BIN_HDR, &hb);
			mc_hdr_read(hb, &h);
			vlen = h.total - h.extlen - h.keylen;
			/* a stat entry is held whole (names and values are short) */
			statent = !request && h.op == OP_STAT && !h.status && h.keylen;
			if ((size_t)MC_BIN_HDR + h.extlen + h.keylen + (statent ? vlen : 0) >
			    ADI_PROTO_LOOKAHEAD) {
				*used = pos;
				return pos ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
			}
			if (adi_cur_need(&c, (size_t)h.extlen + h.keylen + (statent ? vlen : 0))) {
				*used = pos;
				return ADI_PARSE_AGAIN;
			}
			adi_cur_bytes(&c, h.extlen, &ext);
			adi_cur_bytes(&c, h.keylen, &key);
			if (statent)
				adi_cur_bytes(&c, vlen, &val);
			pos += c.pos;
			sd->started = true;
			if (request) {
				mc_bin_req(sd, cfg, &h, ext, key, vlen);
			} else {
				mc_bin_resp(sd, cfg, &h, ext, key, val, vlen);
				if (statent)
					continue; /* more stat entries follow */
			}
		}
		if (!mc_data_take(sd, b, n, &pos)) {
			*used = pos;
			return ADI_PARSE_AGAIN;
		}
		mc_data_done(sd);
		sd->phase = MC_LINE;
		*used = pos;
		mc_frame(sd, out);
		return ADI_PARSE_FRAME;
	}
}
