/* wire.c - one DNS message, decoded: the header, the questions, the answer,
 * authority and additional records (RFC 1035 4.1), names with compression
 * (loops refused), the data of the common record types as presentation
 * text (A, AAAA, CNAME, NS, PTR, DNAME, MX, SOA, SRV, TXT, SPF, HINFO, CAA,
 * SVCB/HTTPS), and EDNS(0)'s OPT record (RFC 6891: payload size, DO bit,
 * version, extended rcode; client subnet RFC 7871, extended errors RFC
 * 8914). Writes what it found as the members of a message (docs/dns.md).
 * Every read goes through a bounds-checked cursor or a checked offset.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns_priv.h"
#include "../../lib/util.h"

/* ---- text being built: bounded, cut with "..." ---- */

struct dns_sb {
	char *p;
	size_t len, cap;  /* cap includes room for "..." and a NUL */
	bool cut;
};

static void sb_init(struct dns_sb *sb, char *buf, size_t cap)
{
	sb->p = buf;
	sb->len = 0;
	sb->cap = cap;
	sb->cut = false;
	buf[0] = '\0';
}

static void sb_put(struct dns_sb *sb, const char *s, size_t n)
{
	if (!sb || sb->cut)
		return;
	if (n > sb->cap - 4 - sb->len) {
		n = sb->cap - 4 - sb->len;
		sb->cut = true;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	if (sb->cut) {
		memcpy(sb->p + sb->len, "...", 3);
		sb->len += 3;
	}
	sb->p[sb->len] = '\0';
}

static void sb_str(struct dns_sb *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

static void sb_u(struct dns_sb *sb, uint64_t v)
{
	char b[24];

	sb_put(sb, b, (size_t)snprintf(b, sizeof(b), "%llu", (unsigned long long)v));
}

/* A byte of a label or character string in presentation form (RFC 1035
 * 5.1): printable ASCII as is, the given specials as \c, others \DDD. */
static void sb_esc(struct dns_sb *sb, uint8_t c, const char *special)
{
	char b[5];

	if (c < 0x21 || c > 0x7e) {
		snprintf(b, sizeof(b), "\\%03u", c);
		sb_put(sb, b, 4);
	} else if (c == '\\' || strchr(special, c)) {
		b[0] = '\\';
		b[1] = (char)c;
		sb_put(sb, b, 2);
	} else {
		sb_put(sb, (const char *)&c, 1);
	}
}

/* A byte of a quoted character string: a space needs no escape there. */
static void sb_esc_q(struct dns_sb *sb, uint8_t c)
{
	if (c == ' ')
		sb_put(sb, " ", 1);
	else
		sb_esc(sb, c, "\"");
}

/* ---- names (RFC 1035 4.1.4) ---- */

/* The name at *off of m[0..n): its text appended to sb (may be NULL),
 * *hash an FNV-1a of its labels with ASCII folded (may be NULL), *off moved
 * past it where it lies (after its first pointer). A pointer must go below
 * where the labels being read began (so each jump goes strictly backwards:
 * no loop can form) and at most DNS_PTR_HOPS are followed; a name is at
 * most 255 bytes; label types 01 and 10 are refused. The root is ".". */
static bool dns_name(const uint8_t *m, size_t n, size_t *off, struct dns_sb *sb,
		     uint32_t *hash)
{
	size_t p = *off, floor = *off, end = 0;
	unsigned hops = 0, wire = 1;
	uint32_t h = 2166136261u;
	bool jumped = false, first = true;

	for (;;) {
		uint8_t len;

		if (p >= n)
			return false;
		len = m[p];
		if ((len & 0xc0) == 0xc0) {
			size_t to;

			if (p + 1 >= n)
				return false;
			to = (size_t)(len & 0x3f) << 8 | m[p + 1];
			if (!jumped)
				end = p + 2;
			if (to >= floor || ++hops > DNS_PTR_HOPS)
				return false;
			p = floor = to;
			jumped = true;
			continue;
		}
		if (len & 0xc0)
			return false;
		p++;
		if (!len)
			break;
		wire += len + 1u;
		if (wire > 255 || len > n - p)
			return false;
		if (!first)
			sb_put(sb, ".", 1);
		first = false;
		h = (h ^ len) * 16777619u;
		for (size_t i = 0; i < len; i++) {
			uint8_t c = m[p + i];

			sb_esc(sb, c, ".\"");
			h = (h ^ (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c)) * 16777619u;
		}
		p += len;
	}
	if (first)
		sb_put(sb, ".", 1);
	*off = jumped ? end : p;
	if (hash)
		*hash = h;
	return true;
}

/* ---- names of numbers ---- */

static const char *dns_type_name(uint16_t t, char *buf, size_t n)
{
	static const struct { uint16_t t; const char *name; } tab[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 17, "RP" },
		{ 18, "AFSDB" }, { 24, "SIG" }, { 25, "KEY" }, { 28, "AAAA" },
		{ 29, "LOC" }, { 33, "SRV" }, { 35, "NAPTR" }, { 36, "KX" },
		{ 37, "CERT" }, { 39, "DNAME" }, { 41, "OPT" }, { 43, "DS" },
		{ 44, "SSHFP" }, { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" },
		{ 50, "NSEC3" }, { 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" },
		{ 59, "CDS" }, { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" }, { 62, "CSYNC" },
		{ 63, "ZONEMD" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
		{ 108, "EUI48" }, { 109, "EUI64" }, { 249, "TKEY" }, { 250, "TSIG" },
		{ 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" }, { 256, "URI" },
		{ 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].t == t)
			return tab[i].name;
	snprintf(buf, n, "TYPE%u", t); /* RFC 3597 */
	return buf;
}

static const char *dns_class_name(uint16_t c, char *buf, size_t n)
{
	switch (c) {
	case 1: return "IN";
	case 3: return "CH";
	case 4: return "HS";
	case 254: return "NONE";
	case 255: return "ANY";
	}
	snprintf(buf, n, "CLASS%u", c);
	return buf;
}

static const char *dns_rcode_name(unsigned rc, char *buf, size_t n)
{
	static const char *const tab[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
	};

	if (rc < sizeof(tab) / sizeof(tab[0]))
		return tab[rc];
	if (rc == 16)
		return "BADVERS";
	if (rc == 23)
		return "BADCOOKIE";
	snprintf(buf, n, "RCODE%u", rc);
	return buf;
}

static const char *dns_opcode_name(unsigned op, char *buf, size_t n)
{
	static const char *const tab[] = {
		"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO",
	};

	if (op < sizeof(tab) / sizeof(tab[0]) && tab[op])
		return tab[op];
	snprintf(buf, n, "OPCODE%u", op);
	return buf;
}

/* ---- the header ---- */

bool dns_header_ok(const uint8_t *m, size_t n, size_t size, struct dns_hdr *h)
{
	struct adi_cur c = adi_cur_make(m, n);
	unsigned op;
	uint64_t rrs;

	if (n < DNS_HDR || (size && size < DNS_HDR))
		return false;
	adi_cur_be16(&c, &h->id);
	adi_cur_be16(&c, &h->flags);
	adi_cur_be16(&c, &h->qd);
	adi_cur_be16(&c, &h->an);
	adi_cur_be16(&c, &h->ns);
	adi_cur_be16(&c, &h->ar);
	op = dns_opcode(h->flags);
	if ((h->flags & DNS_F_Z) || op == 3 || op > 6 || h->qd > DNS_MAX_QD)
		return false;
	/* a query carries no error code (only a response says what went
	 * wrong), and asks something unless it is a NOTIFY/UPDATE/DSO */
	if (!(h->flags & DNS_F_QR) && ((h->flags & 15) || (!h->qd && op < 4)))
		return false;
	/* a question takes at least 5 bytes, a record 11 */
	rrs = (uint64_t)h->an + h->ns + h->ar;
	return !size || (uint64_t)h->qd * 5 + rrs * 11 <= size - DNS_HDR;
}

/* ---- records ---- */

/* Where a record lies in the message (its name is read again when it is
 * written: names may point anywhere before them). */
struct dns_rr {
	size_t name_off, rd_off;
	uint16_t type, cls, rd_len;
	uint32_t ttl;
};

static bool dns_rr_read(const uint8_t *m, size_t n, size_t *off, struct dns_rr *rr)
{
	struct adi_cur c;

	rr->name_off = *off;
	if (!dns_name(m, n, off, NULL, NULL))
		return false;
	c = adi_cur_make(m + *off, n - *off);
	adi_cur_be16(&c, &rr->type);
	adi_cur_be16(&c, &rr->cls);
	adi_cur_be32(&c, &rr->ttl);
	adi_cur_be16(&c, &rr->rd_len);
	if (c.bad || !adi_cur_skip(&c, rr->rd_len))
		return false;
	rr->rd_off = *off + 10;
	*off += c.pos;
	return true;
}

/* <character-string>s (RFC 1035 3.3) from c to its end, quoted, space
 * separated. false when one runs past the end. */
static bool dns_strings(struct adi_cur *c, struct dns_sb *sb, unsigned max)
{
	bool first = true;

	while (adi_cur_left(c) && max--) {
		const uint8_t *s;
		uint8_t len;

		if (!adi_cur_u8(c, &len) || !adi_cur_bytes(c, len, &s))
			return false;
		if (!first)
			sb_put(sb, " ", 1);
		first = false;
		sb_put(sb, "\"", 1);
		for (size_t i = 0; i < len; i++)
			sb_esc_q(sb, s[i]);
		sb_put(sb, "\"", 1);
	}
	return !adi_cur_left(c);
}

static void dns_addr(struct dns_sb *sb, int af, const uint8_t *a)
{
	char b[INET6_ADDRSTRLEN];

	if (inet_ntop(af, a, b, sizeof(b)))
		sb_str(sb, b);
}

/* SVCB/HTTPS SvcParams (RFC 9460 2.1): key=value pairs, space separated. */
static bool dns_svc_params(struct adi_cur *c, struct dns_sb *sb)
{
	static const char *const keys[] = {
		"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech",
		"ipv6hint", "dohpath", "ohttp",
	};

	while (adi_cur_left(c)) {
		uint16_t key, len, v;
		struct adi_cur val;
		const uint8_t *p;

		if (!adi_cur_be16(c, &key) || !adi_cur_be16(c, &len) ||
		    !adi_cur_sub(c, len, &val))
			return false;
		sb_put(sb, " ", 1);
		if (key < sizeof(keys) / sizeof(keys[0])) {
			sb_str(sb, keys[key]);
		} else {
			sb_str(sb, "key");
			sb_u(sb, key);
		}
		if (key == 2 && !len)
			continue; /* no-default-alpn has no value */
		sb_put(sb, "=", 1);
		switch (key) {
		case 0: /* mandatory: keys */
		case 3: /* port */
			for (bool f = true; adi_cur_left(&val) && adi_cur_be16(&val, &v); f = false) {
				if (!f)
					sb_put(sb, ",", 1);
				if (key == 0 && v < sizeof(keys) / sizeof(keys[0])) {
					sb_str(sb, keys[v]);
				} else {
					if (key == 0)
						sb_str(sb, "key");
					sb_u(sb, v);
				}
			}
			break;
		case 1: /* alpn: character strings, comma separated */
			for (bool f = true; adi_cur_left(&val); f = false) {
				uint8_t l;

				if (!adi_cur_u8(&val, &l) || !adi_cur_bytes(&val, l, &p))
					return false;
				if (!f)
					sb_put(sb, ",", 1);
				for (size_t i = 0; i < l; i++)
					sb_esc(sb, p[i], ",\"");
			}
			break;
		case 4: /* ipv4hint */
		case 6: /* ipv6hint */
			for (bool f = true; adi_cur_left(&val) &&
			     adi_cur_bytes(&val, key == 4 ? 4 : 16, &p); f = false) {
				if (!f)
					sb_put(sb, ",", 1);
				dns_addr(sb, key == 4 ? AF_INET : AF_INET6, p);
			}
			break;
		case 5: { /* ech: base64 */
			char b64[64];

			if (len > 45) {
				sb_str(sb, "<");
				sb_u(sb, len);
				sb_str(sb, " bytes>");
				break;
			}
			adi_cur_bytes(&val, len, &p);
			sb_put(sb, b64, adi_base64_encode(p, len, b64));
			break;
		}
		default:
			adi_cur_bytes(&val, len, &p);
			for (size_t i = 0; i < len; i++)
				sb_esc(sb, p[i], "\" ");
		}
		/* a value shorter or longer than its type says is malformed */
		if (adi_cur_left(&val) || val.bad)
			return false;
	}
	return true;
}

/* The record's data as presentation text in sb. false for a type not
 * decoded here, or data that does not hold what its type says (the record
 * is then shown by its type and length). */
static bool dns_rdata(const uint8_t *m, size_t n, const struct dns_rr *rr, struct dns_sb *sb)
{
	struct adi_cur c = adi_cur_make(m + rr->rd_off, rr->rd_len);
	size_t off = rr->rd_off, end = rr->rd_off + rr->rd_len;
	uint16_t a, b, d;
	uint8_t f8, t8;
	const uint8_t *p;

	(void)n;
	switch (rr->type) {
	case 1: /* A */
	case 28: /* AAAA */
		if (rr->rd_len != (rr->type == 1 ? 4 : 16))
			return false;
		dns_addr(sb, rr->type == 1 ? AF_INET : AF_INET6, m + off);
		return true;
	case 2: case 5: case 12: case 39: /* NS, CNAME, PTR, DNAME */
		return dns_name(m, end, &off, sb, NULL) && off == end;
	case 15: case 18: case 21: case 36: /* MX, AFSDB, RT, KX: preference, name */
		if (!adi_cur_be16(&c, &a))
			return false;
		sb_u(sb, a);
		sb_put(sb, " ", 1);
		off += 2;
		return dns_name(m, end, &off, sb, NULL) && off == end;
	case 6: /* SOA: mname rname serial refresh retry expire minimum */
		if (!dns_name(m, end, &off, sb, NULL))
			return false;
		sb_put(sb, " ", 1);
		if (!dns_name(m, end, &off, sb, NULL) || end - off != 20)
			return false;
		for (int i = 0; i < 5; i++) {
			sb_put(sb, " ", 1);
			sb_u(sb, adi_ld_be32(m + off + 4 * i));
		}
		return true;
	case 16: case 99: /* TXT, SPF */
		return rr->rd_len && dns_strings(&c, sb, 65535);
	case 13: /* HINFO: cpu os */
		return dns_strings(&c, sb, 2);
	case 33: /* SRV: priority weight port target */
		if (!adi_cur_be16(&c, &a) || !adi_cur_be16(&c, &b) || !adi_cur_be16(&c, &d))
			return false;
		sb_u(sb, a);
		sb_put(sb, " ", 1);
		sb_u(sb, b);
		sb_put(sb, " ", 1);
		sb_u(sb, d);
		sb_put(sb, " ", 1);
		off += 6;
		return dns_name(m, end, &off, sb, NULL) && off == end;
	case 64: case 65: /* SVCB, HTTPS: priority target params (no compression) */
		if (!adi_cur_be16(&c, &a))
			return false;
		sb_u(sb, a);
		sb_put(sb, " ", 1);
		off += 2;
		{
			size_t at = off;
			/* the target is uncompressed: read it within the rdata
			 * as if it were a message of its own tail */
			if (!dns_name(m, end, &at, sb, NULL) || at <= off ||
			    !adi_cur_skip(&c, at - off))
				return false;
		}
		return dns_svc_params(&c, sb);
	case 257: /* CAA: flags tag value */
		if (!adi_cur_u8(&c, &f8) || !adi_cur_u8(&c, &t8) || !t8 ||
		    !adi_cur_bytes(&c, t8, &p))
			return false;
		sb_u(sb, f8);
		sb_put(sb, " ", 1);
		for (size_t i = 0; i < t8; i++)
			sb_esc(sb, p[i], "\"");
		sb_put(sb, " \"", 2);
		p = adi_cur_ptr(&c);
		for (size_t i = 0, k = adi_cur_left(&c); i < k; i++)
			sb_esc_q(sb, p[i]);
		sb_put(sb, "\"", 1);
		return true;
	}
	return false;
}

/* ---- EDNS(0): the OPT pseudo-record (RFC 6891 6.1) ---- */

static const char *dns_opt_name(uint16_t code, char *buf, size_t n)
{
	switch (code) {
	case 3: return "NSID";
	case 5: return "DAU";
	case 6: return "DHU";
	case 7: return "N3U";
	case 9: return "EXPIRE";
	case 10: return "COOKIE";
	case 11: return "TCP-KEEPALIVE";
	case 12: return "PADDING";
	case 13: return "CHAIN";
	case 14: return "KEY-TAG";
	}
	snprintf(buf, n, "OPT%u", code);
	return buf;
}

/* The edns member: payload size, version, DO, and the options: client
 * subnet as "addr/prefix" (RFC 7871 6), an extended error (RFC 8914), the
 * names of the others. */
static void dns_edns(struct adi_jw *w, const uint8_t *m, const struct dns_rr *rr)
{
	struct adi_cur c = adi_cur_make(m + rr->rd_off, rr->rd_len);
	char nb[16];
	bool others = false;

	adi_jw_kobj(w, "edns");
	adi_jw_kint(w, "udp_size", rr->cls);
	adi_jw_kint(w, "version", rr->ttl >> 16 & 0xff);
	adi_jw_kbool(w, "do", rr->ttl & 0x8000);
	/* first the options shown on their own, then the list of the rest */
	for (int pass = 0; pass < 2; pass++) {
		c = adi_cur_make(m + rr->rd_off, rr->rd_len);
		if (pass && others)
			adi_jw_karr(w, "options");
		while (adi_cur_left(&c)) {
			uint16_t code, len, fam;
			uint8_t src, scope;
			struct adi_cur o;

			if (!adi_cur_be16(&c, &code) || !adi_cur_be16(&c, &len) ||
			    !adi_cur_sub(&c, len, &o))
				break;
			if (code == 8 && adi_cur_be16(&o, &fam) && adi_cur_u8(&o, &src) &&
			    adi_cur_u8(&o, &scope) && (fam == 1 || fam == 2) &&
			    adi_cur_left(&o) <= (fam == 1 ? 4u : 16u)) {
				uint8_t a[16] = { 0 };
				char buf[DNS_NAME_TEXT];
				struct dns_sb sb;

				if (pass)
					continue;
				memcpy(a, adi_cur_ptr(&o), adi_cur_left(&o));
				sb_init(&sb, buf, sizeof(buf));
				dns_addr(&sb, fam == 1 ? AF_INET : AF_INET6, a);
				sb_put(&sb, "/", 1);
				sb_u(&sb, src);
				adi_jw_kstrn(w, "client_subnet", sb.p, sb.len);
				if (scope)
					adi_jw_kint(w, "client_subnet_scope", scope);
			} else if (code == 15 && len >= 2) {
				if (pass)
					continue;
				adi_jw_kobj(w, "ede");
				adi_jw_kint(w, "code", adi_ld_be16(adi_cur_ptr(&o)));
				adi_jw_kstrn(w, "text", (const char *)adi_cur_ptr(&o) + 2, len - 2u);
				adi_jw_obj_end(w);
			} else if (pass) {
				adi_jw_str(w, dns_opt_name(code, nb, sizeof(nb)));
			} else {
				others = true;
			}
		}
		if (pass && others)
			adi_jw_arr_end(w);
	}
	adi_jw_obj_end(w);
}

/* ---- the message ---- */

/* What pass one found, for pass two to write. */
struct dns_walk {
	size_t q_off[DNS_MAX_QD];   /* each question's name */
	uint16_t q_type[DNS_MAX_QD], q_cls[DNS_MAX_QD];
	unsigned nq;
	struct dns_rr rr[DNS_MAX_RRS];
	uint8_t sect[DNS_MAX_RRS];  /* 0 answer, 1 authority, 2 additional */
	unsigned nrr;
	unsigned omitted;           /* records past DNS_MAX_RRS */
	int opt;                    /* index of the OPT record, -1: none */
	uint32_t hash;              /* of the first question's name */
	const char *error;
};

/* Pass one: every question and record located and checked. */
static enum dns_result dns_walk(const uint8_t *m, size_t n, const struct dns_hdr *h,
				struct dns_walk *wk)
{
	size_t off = DNS_HDR;
	unsigned counts[3] = { h->an, h->ns, h->ar };

	wk->nq = wk->nrr = wk->omitted = 0;
	wk->opt = -1;
	wk->hash = 0;
	wk->error = NULL;
	for (unsigned i = 0; i < h->qd; i++) {
		struct adi_cur c;
		uint32_t hh;

		wk->q_off[i] = off;
		if (!dns_name(m, n, &off, NULL, &hh))
			return DNS_BAD;
		c = adi_cur_make(m + off, n - off);
		adi_cur_be16(&c, &wk->q_type[i]);
		adi_cur_be16(&c, &wk->q_cls[i]);
		if (c.bad)
			return DNS_BAD;
		off += 4;
		if (!i)
			wk->hash = hh;
		wk->nq++;
	}
	for (unsigned s = 0; s < 3; s++) {
		for (unsigned i = 0; i < counts[s]; i++) {
			struct dns_rr rr;

			if (!dns_rr_read(m, n, &off, &rr)) {
				wk->error = s == 0 ? "answer section" : s == 1 ? "authority section"
										 : "additional section";
				return DNS_PARTIAL;
			}
			if (wk->nrr == DNS_MAX_RRS) {
				wk->omitted++;
				continue;
			}
			if (rr.type == 41 && s == 2 && wk->opt < 0)
				wk->opt = (int)wk->nrr;
			wk->sect[wk->nrr] = (uint8_t)s;
			wk->rr[wk->nrr++] = rr;
		}
	}
	if (off != n) {
		wk->error = "bytes after the last record";
		return DNS_PARTIAL;
	}
	return DNS_WHOLE;
}

/* A record's data as a string value: the text, or null when its type is
 * not decoded (or the data is malformed). Returns whether it was text. */
static bool dns_data_value(struct adi_jw *w, const uint8_t *m, size_t n,
			   const struct dns_rr *rr, bool in_array)
{
	char buf[DNS_RDATA_TEXT], tb[16];
	struct dns_sb sb;

	sb_init(&sb, buf, sizeof(buf));
	if (dns_rdata(m, n, rr, &sb)) {
		adi_jw_strn(w, sb.p, sb.len);
		return true;
	}
	if (!in_array) {
		adi_jw_null(w);
		return false;
	}
	/* the answers list holds strings: an undecoded record by its type
	 * and size */
	sb_init(&sb, buf, sizeof(buf));
	sb_str(&sb, dns_type_name(rr->type, tb, sizeof(tb)));
	sb_str(&sb, " (");
	sb_u(&sb, rr->rd_len);
	sb_str(&sb, " bytes)");
	adi_jw_strn(w, sb.p, sb.len);
	return false;
}

static void dns_name_value(struct adi_jw *w, const uint8_t *m, size_t n, size_t off)
{
	char buf[DNS_NAME_TEXT];
	struct dns_sb sb;

	sb_init(&sb, buf, sizeof(buf));
	if (dns_name(m, n, &off, &sb, NULL))
		adi_jw_strn(w, sb.p, sb.len);
	else
		adi_jw_null(w);
}

/* mDNS puts a flag in the top bit of a class (QU in questions, cache-flush
 * in records, RFC 6762 5.4 and 10.2). */
static uint16_t dns_class(uint16_t cls, uint8_t variant)
{
	return variant == DNS_MDNS ? cls & 0x7fff : cls;
}

static void dns_record(struct adi_jw *w, const uint8_t *m, size_t n,
		       const struct dns_rr *rr, uint8_t variant)
{
	char tb[16];

	adi_jw_obj(w);
	adi_jw_key(w, "name");
	dns_name_value(w, m, n, rr->name_off);
	adi_jw_kstr(w, "type", dns_type_name(rr->type, tb, sizeof(tb)));
	if (dns_class(rr->cls, variant) != 1)
		adi_jw_kstr(w, "class", dns_class_name(dns_class(rr->cls, variant), tb, sizeof(tb)));
	if (variant == DNS_MDNS && (rr->cls & 0x8000))
		adi_jw_kbool(w, "cache_flush", true);
	adi_jw_ku64(w, "ttl", rr->ttl);
	adi_jw_key(w, "data");
	if (!dns_data_value(w, m, n, rr, false))
		adi_jw_kint(w, "rdlength", rr->rd_len);
	adi_jw_obj_end(w);
}

static void dns_flags(struct adi_jw *w, uint16_t fl)
{
	static const struct { uint16_t bit; const char *name; } tab[] = {
		{ DNS_F_AA, "AA" }, { DNS_F_TC, "TC" }, { DNS_F_RD, "RD" },
		{ DNS_F_RA, "RA" }, { DNS_F_AD, "AD" }, { DNS_F_CD, "CD" },
	};

	adi_jw_karr(w, "flags");
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (fl & tab[i].bit)
			adi_jw_str(w, tab[i].name);
	adi_jw_arr_end(w);
}

/* Pass two: the message's members (docs/dns.md, "message members"). */
static void dns_write(struct adi_jw *w, const uint8_t *m, size_t n, const struct dns_hdr *h,
		      const struct dns_walk *wk, uint8_t variant)
{
	static const char *const sect[3] = { "answer", "authority", "additional" };
	char tb[16];
	unsigned rcode = h->flags & 15;

	adi_jw_kint(w, "id", h->id);
	dns_flags(w, h->flags);
	if (dns_opcode(h->flags))
		adi_jw_kstr(w, "opcode", dns_opcode_name(dns_opcode(h->flags), tb, sizeof(tb)));
	if (wk->nq) {
		adi_jw_key(w, "name");
		dns_name_value(w, m, n, wk->q_off[0]);
		adi_jw_kstr(w, "qtype", dns_type_name(wk->q_type[0], tb, sizeof(tb)));
		adi_jw_kstr(w, "qclass",
			    dns_class_name(dns_class(wk->q_cls[0], variant), tb, sizeof(tb)));
	} else if (wk->nrr && wk->sect[0] == 0) {
		/* no question (an mDNS response): what its first answer names */
		adi_jw_key(w, "name");
		dns_name_value(w, m, n, wk->rr[0].name_off);
		adi_jw_kstr(w, "qtype", dns_type_name(wk->rr[0].type, tb, sizeof(tb)));
		adi_jw_kstr(w, "qclass",
			    dns_class_name(dns_class(wk->rr[0].cls, variant), tb, sizeof(tb)));
	} else {
		adi_jw_knull(w, "name");
		adi_jw_knull(w, "qtype");
		adi_jw_knull(w, "qclass");
	}
	if (wk->nq > 1) {
		adi_jw_karr(w, "questions");
		for (unsigned i = 0; i < wk->nq; i++) {
			adi_jw_obj(w);
			adi_jw_key(w, "name");
			dns_name_value(w, m, n, wk->q_off[i]);
			adi_jw_kstr(w, "qtype", dns_type_name(wk->q_type[i], tb, sizeof(tb)));
			adi_jw_kstr(w, "qclass", dns_class_name(dns_class(wk->q_cls[i], variant),
								tb, sizeof(tb)));
			if (variant == DNS_MDNS && (wk->q_cls[i] & 0x8000))
				adi_jw_kbool(w, "unicast_response", true);
			adi_jw_obj_end(w);
		}
		adi_jw_arr_end(w);
	}
	adi_jw_karr(w, "answers");
	for (unsigned i = 0; i < wk->nrr && wk->sect[i] == 0; i++)
		dns_data_value(w, m, n, &wk->rr[i], true);
	adi_jw_arr_end(w);
	adi_jw_kobj(w, "records");
	for (unsigned s = 0, i = 0; s < 3; s++) {
		adi_jw_karr(w, sect[s]);
		for (; i < wk->nrr && wk->sect[i] == s; i++)
			if ((int)i != wk->opt)
				dns_record(w, m, n, &wk->rr[i], variant);
		adi_jw_arr_end(w);
	}
	adi_jw_obj_end(w);
	if (wk->omitted)
		adi_jw_kint(w, "records_omitted", wk->omitted);
	if (wk->opt >= 0) {
		dns_edns(w, m, &wk->rr[wk->opt]);
		rcode |= (wk->rr[wk->opt].ttl >> 24) << 4; /* extended rcode */
	}
	adi_jw_kstr(w, "rcode", dns_rcode_name(rcode, tb, sizeof(tb)));
}

enum dns_result dns_decode(const uint8_t *m, size_t n, uint8_t variant, bool cut,
			   struct adi_jw *w, struct dns_info *info)
{
	struct dns_walk wk;
	enum dns_result r;

	memset(info, 0, sizeof(*info));
	/* a cut message may have lost the records its counts promise */
	if (!dns_header_ok(m, n, cut ? 0 : n, &info->h))
		return DNS_BAD;
	r = dns_walk(m, n, &info->h, &wk);
	if (r == DNS_BAD)
		return DNS_BAD;
	info->error = wk.error;
	info->key = info->h.id;
	if (wk.nq)
		info->key |= (uint64_t)wk.q_type[0] << 16 | (uint64_t)wk.hash << 32;
	else if (wk.nrr && wk.sect[0] == 0) {
		size_t off = wk.rr[0].name_off;
		uint32_t hh = 0;

		dns_name(m, n, &off, NULL, &hh);
		info->key |= (uint64_t)wk.rr[0].type << 16 | (uint64_t)hh << 32;
	}
	if (w) {
		dns_write(w, m, n, &info->h, &wk, variant);
		if (r == DNS_PARTIAL && !cut)
			adi_jw_kstr(w, "decode_error", wk.error);
	}
	return r;
}
