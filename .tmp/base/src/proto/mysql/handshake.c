/* handshake.c - the MySQL connection phase: the server's Handshake v10, the
 * client's HandshakeResponse (41 and 320) and SSLRequest, the auth exchange
 * (AuthSwitchRequest, AuthMoreData, skipped) and the OK / ERR that ends it
 * (a MYSQL_AUTH message), the negotiated capabilities. Never keeps or
 * shows a password, scramble or auth response.
 */
#include <stdlib.h>
#include <string.h>

#include "mysql_priv.h"

/* What the session's capabilities say of flag `cap`: both sides' flags
 * when the login was seen, else `guess`. */
bool my_cap(const struct mysql_state *st, uint64_t cap, bool guess)
{
	if (!st->caps_known)
		return guess;
	if (st->greeted)
		return (st->cli_caps & st->srv_caps & cap) != 0;
	return (st->cli_caps & cap) != 0;
}

/* ---- the server's greeting ---- */

/* Handshake v10 at b: sequence id 0, protocol 10, a version string of
 * printable ASCII starting with a digit and ending in NUL within 64
 * bytes, a payload of 20..1024 bytes. */
enum my_ps my_greeting_plausible(const uint8_t *b, size_t n)
{
	uint32_t len;

	if (n >= 4 && b[3] != 0)
		return PS_BAD;
	if (n >= 5 && b[4] != 10)
		return PS_BAD;
	if (n < 6)
		return PS_PARTIAL;
	len = adi_ld_le24(b);
	if (len < 20 || len > 1024 || b[5] < '0' || b[5] > '9')
		return PS_BAD;
	for (size_t i = 6; i < 5 + 58 && i < 4 + len; i++) {
		if (i >= n)
			return PS_PARTIAL;
		if (!b[i])
			return PS_OK;
		if (b[i] < 0x20 || b[i] > 0x7e)
			return PS_BAD;
	}
	return PS_BAD;
}

/* Handshake v10 (page_protocol_connection_phase_packets_protocol_handshake_v10):
 *   int<1> 10 | string<NUL> server version | int<4> connection id |
 *   8 bytes scramble | 0x00 | int<2> capabilities (low) | int<1> charset |
 *   int<2> status | int<2> capabilities (high) | int<1> scramble length |
 *   10 reserved (MariaDB: 6 + int<4> extended capabilities) |
 *   scramble part 2 (SECURE_CONNECTION) | string<NUL> auth plugin (PLUGIN_AUTH)
 * The scramble is never shown. MariaDB 10.x prefixes its version with
 * "5.5.5-" for old clients: the prefix is dropped. The version and the
 * connection id are written into f. */
static void my_greeting(struct mysql_state *st, struct adi_cur *c, struct adi_jw *f)
{
	const uint8_t *ver, *pl = NULL;
	size_t vl, pll = 0;
	uint16_t lo;
	uint64_t caps;

	adi_cur_skip(c, 1);
	ver = my_nulstr(c, &vl);
	adi_cur_le32(c, &st->conn_id);
	adi_cur_skip(c, 9);
	adi_cur_le16(c, &lo);
	caps = lo;
	if (adi_cur_left(c) >= 16) {
		const uint8_t *res;
		uint16_t hi;
		uint8_t alen;

		adi_cur_skip(c, 3);
		adi_cur_le16(c, &hi);
		caps |= (uint64_t)hi << 16;
		adi_cur_u8(c, &alen);
		adi_cur_bytes(c, 10, &res);
		if (res && !(caps & CLIENT_LONG_PASSWORD))
			caps |= (uint64_t)adi_ld_le32(res + 6) << 32; /* MariaDB extended */
		if (caps & CLIENT_SECURE_CONNECTION)
			adi_cur_skip(c, alen > 21 ? alen - 8u : 13u);
		if (caps & CLIENT_PLUGIN_AUTH)
			pl = my_nulstr(c, &pll);
	}
	if (vl > 6 && !memcmp(ver, "5.5.5-", 6) && memmem(ver, vl, "MariaDB", 7)) {
		ver += 6;
		vl -= 6;
	}
	st->srv_caps = caps;
	st->greeted = true;
	my_set_str(&st->server_version, ver, vl);
	if (pl)
		my_set_str(&st->auth_plugin, pl, pll);
	adi_jw_kbytes(f, "server_version", ver, vl);
	adi_jw_kint(f, "connection_id", st->conn_id);
}

/* ---- capabilities and the client's login ---- */

/* Capability names, for the connect event. */
static const char *const my_cap_names[] = {
	"CLIENT_LONG_PASSWORD", "CLIENT_FOUND_ROWS", "CLIENT_LONG_FLAG",
	"CLIENT_CONNECT_WITH_DB", "CLIENT_NO_SCHEMA", "CLIENT_COMPRESS",
	"CLIENT_ODBC", "CLIENT_LOCAL_FILES", "CLIENT_IGNORE_SPACE",
	"CLIENT_PROTOCOL_41", "CLIENT_INTERACTIVE", "CLIENT_SSL",
	"CLIENT_IGNORE_SIGPIPE", "CLIENT_TRANSACTIONS", "CLIENT_RESERVED",
	"CLIENT_SECURE_CONNECTION", "CLIENT_MULTI_STATEMENTS",
	"CLIENT_MULTI_RESULTS", "CLIENT_PS_MULTI_RESULTS", "CLIENT_PLUGIN_AUTH",
	"CLIENT_CONNECT_ATTRS", "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA",
	"CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS", "CLIENT_SESSION_TRACK",
	"CLIENT_DEPRECATE_EOF", "CLIENT_OPTIONAL_RESULTSET_METADATA",
	"CLIENT_ZSTD_COMPRESSION_ALGORITHM", "CLIENT_QUERY_ATTRIBUTES",
	"MULTI_FACTOR_AUTHENTICATION", "CLIENT_CAPABILITY_EXTENSION",
	"CLIENT_SSL_VERIFY_SERVER_CERT", "CLIENT_REMEMBER_OPTIONS",
	"MARIADB_CLIENT_PROGRESS", "MARIADB_CLIENT_COM_MULTI",
	"MARIADB_CLIENT_STMT_BULK_OPERATIONS", "MARIADB_CLIENT_EXTENDED_METADATA",
	"MARIADB_CLIENT_CACHE_METADATA", "MARIADB_CLIENT_BULK_UNIT_RESULTS",
};

/* Member "capabilities": the names of the flags set in caps (unnamed
 * ones as "0x..."). */
static void my_caps(struct adi_jw *w, uint64_t caps)
{
	size_t nn = sizeof(my_cap_names) / sizeof(my_cap_names[0]);

	adi_jw_karr(w, "capabilities");
	for (unsigned i = 0; i < 64; i++) {
		if (!(caps >> i & 1))
			continue;
		if (i < nn)
			adi_jw_str(w, my_cap_names[i]);
		else
			my_wfmt(w, "0x%llx", 1ull << i);
	}
	adi_jw_arr_end(w);
}

/* HandshakeResponse41 (page_protocol_connection_phase_packets_protocol_handshake_response):
 *   int<4> capabilities | int<4> max packet | int<1> charset |
 *   23 filler (MariaDB: 19 + int<4> extended capabilities) |
 *   string<NUL> user | auth response (lenenc with PLUGIN_AUTH_LENENC,
 *   int<1> length + bytes with SECURE_CONNECTION, else string<NUL>) |
 *   string<NUL> database (CONNECT_WITH_DB) | string<NUL> plugin (PLUGIN_AUTH) |
 *   int<lenenc> length + (key<lenenc>, value<lenenc>)* (CONNECT_ATTRS)
 * SSLRequest is its first 32 bytes with CLIENT_SSL: TLS follows.
 * HandshakeResponse320 (no PROTOCOL_41): int<2> caps, int<3> max packet,
 * string<NUL> user, ... The auth response is skipped, never shown.
 * Returns true for an SSLRequest. */
static bool my_login(struct mysql_state *st, struct adi_cur *c)
{
	const uint8_t *u, *p;
	size_t ul, pl;
	uint32_t c4;
	uint64_t caps;

	adi_cur_le32(c, &c4);
	caps = c4;
	st->login_seen = true;
	if (!(caps & CLIENT_PROTOCOL_41)) {
		uint16_t c2;

		c->pos = 0;
		adi_cur_le16(c, &c2);
		caps = c2;
		adi_cur_skip(c, 3);
	} else {
		const uint8_t *fill;

		adi_cur_skip(c, 5);
		adi_cur_bytes(c, 23, &fill);
		if (fill && !(caps & CLIENT_LONG_PASSWORD))
			caps |= (uint64_t)adi_ld_le32(fill + 19) << 32;
	}
	st->cli_caps = caps;
	st->caps_known = true;
	if (!adi_cur_left(c) && (caps & CLIENT_SSL))
		return true;
	u = my_nulstr(c, &ul);
	my_sess_set(st, &st->user, u, ul);
	if (caps & CLIENT_PLUGIN_AUTH_LENENC) {
		my_lenstr(c, &p, &pl);
	} else if (caps & CLIENT_SECURE_CONNECTION) {
		uint8_t al;

		adi_cur_u8(c, &al);
		adi_cur_skip(c, al);
	} else if (caps & CLIENT_PROTOCOL_41) {
		my_nulstr(c, &pl);
	} else { /* 3.20: the scramble ends the packet */
		c->pos = c->n;
	}
	if ((caps & CLIENT_CONNECT_WITH_DB) && adi_cur_left(c)) {
		p = my_nulstr(c, &pl);
		my_sess_set(st, &st->database, p, pl);
	}
	if ((caps & CLIENT_PLUGIN_AUTH) && adi_cur_left(c)) {
		p = my_nulstr(c, &pl);
		if (pl)
			my_set_str(&st->auth_plugin, p, pl);
	}
	if ((caps & CLIENT_CONNECT_ATTRS) && adi_cur_left(c)) {
		struct my_pair at[MY_MAX_ATTRS];
		uint64_t total;
		struct adi_cur a;
		unsigned na = 0;

		my_lenenc(c, &total, NULL);
		a = adi_cur_make(adi_cur_ptr(c), my_min(adi_cur_left(c), total));
		while (adi_cur_left(&a) && na < MY_MAX_ATTRS) {
			struct my_pair *x = &at[na];
			const uint8_t *k, *nul;

			my_lenstr(&a, &k, &x->kn);
			my_lenstr(&a, &x->v, &x->vn);
			if (a.bad)
				break;
			if ((nul = memchr(k, 0, x->kn))) /* keys are names: a NUL ends one */
				x->kn = (size_t)(nul - k);
			x->k = (const char *)k;
			x->json = false;
			na++;
		}
		adi_jw_reset(&st->attrs);
		my_wpairs(&st->attrs, at, na);
	}
	return false;
}

/* The client's login packet is complete: SKIP, or for an SSLRequest (the
 * 32-byte head alone, CLIENT_SSL) the MYSQL_SSL message: TLS follows. */
enum adi_parse my_cli_login(struct mysql_state *st, struct my_side *sd,
			    struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);

	if (!my_login(st, &c) || sd->plen != 32)
		return ADI_PARSE_SKIP;
	st->tls = true;
	my_caps(&out->f, st->cli_caps);
	out->kind = MYSQL_SSL;
	return ADI_PARSE_FRAME;
}

/* ---- the auth exchange and its end ---- */

/* The end of the connection phase (OK or ERR after the login): the
 * MYSQL_AUTH message, with the session's facts. err: a cursor on the
 * ERR packet, or NULL (an OK); no_tag: command_tag null even without an
 * ERR (the direction ended before the answer). */
enum adi_parse my_auth_done(struct mysql_state *st, struct my_side *sd,
			    struct adi_msg *out, struct adi_cur *err, bool no_tag)
{
	struct adi_jw *w = &sd->mw;

	st->rph = R_IDLE;
	adi_jw_key(w, "error");
	if (err)
		my_err(w, err);
	else
		adi_jw_null(w);
	adi_jw_kstr(w, "command_tag", err || no_tag ? NULL : "OK");
	my_after(st, w, NULL);
	adi_jw_kstr(w, "auth_plugin", st->auth_plugin);
	if (st->caps_known)
		my_caps(w, st->greeted ? st->cli_caps & st->srv_caps : st->cli_caps);
	if (st->attrs.len) {
		adi_jw_kraw(w, "connect_attrs", adi_jw_text(&st->attrs));
		adi_jw_fini(&st->attrs);
	}
	if (!err && my_cap(st, CLIENT_COMPRESS, false)) {
		st->compress = true;
		adi_jw_kbool(w, "compressed", true);
	}
	if (sd->incomplete || sd->damaged)
		adi_jw_kbool(w, "incomplete", true);
	out->kind = MYSQL_AUTH;
	out->key = 0;
	adi_jw_copy(&out->f, w);
	out->incomplete = sd->incomplete || sd->damaged;
	sd->msg = false;
	return ADI_PARSE_FRAME;
}

/* AuthSwitchRequest (0xfe + string<NUL> plugin name + data): the name. */
static bool my_switch_plugin(const struct my_side *sd, const uint8_t **p, size_t *pl)
{
	struct adi_cur c = my_pk_cur(sd);

	if (my_pk_first(sd) != 0xfe || sd->pk_len <= 1)
		return false;
	adi_cur_skip(&c, 1);
	*p = my_nulstr(&c, pl);
	return true;
}

/* The greeting is complete: the MYSQL_GREETING message; the auth exchange
 * follows. */
enum adi_parse my_srv_greeting(struct mysql_state *st, struct my_side *sd,
			       struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);

	sd->msg = false;
	out->kind = MYSQL_GREETING;
	my_greeting(st, &c, &out->f);
	out->incomplete = sd->damaged;
	st->rph = R_AUTH;
	return ADI_PARSE_FRAME;
}

/* Connection phase: OK or ERR end it; AuthMoreData and AuthSwitchRequest
 * continue the exchange. */
enum adi_parse my_srv_auth(struct mysql_state *st, struct my_side *sd,
			   struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	const uint8_t *p;
	struct my_ok o;
	size_t pl;

	if (!sd->msg)
		my_side_msg(sd);
	switch (my_pk_first(sd)) {
	case 0x00:
		my_ok_parse(st, &c, &o);
		my_status(st, o.status);
		st->authed = true;
		if (st->caps_known)
			st->deprecate_eof = my_cap(st, CLIENT_DEPRECATE_EOF, false) ?
					    EOF_DEPRECATED : EOF_SENT;
		return my_auth_done(st, sd, out, NULL, false);
	case 0xff:
		return my_auth_done(st, sd, out, &c, false);
	}
	if (my_switch_plugin(sd, &p, &pl))
		my_set_str(&st->auth_plugin, p, pl);
	return ADI_PARSE_AGAIN;
}

/* COM_CHANGE_USER's auth exchange: the plugin it switches to. Nothing
 * else of the response is written before its OK or ERR, so a second
 * switch rewrites the message (the latest plugin is the one in effect). */
enum adi_parse my_srv_authsw(struct my_side *sd)
{
	const uint8_t *p;
	size_t pl;

	if (my_switch_plugin(sd, &p, &pl)) {
		adi_jw_reset(&sd->mw);
		adi_jw_kbytes(&sd->mw, "auth_plugin", p, pl);
	}
	return ADI_PARSE_AGAIN;
}
