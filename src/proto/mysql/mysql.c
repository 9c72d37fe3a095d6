/* mysql.c - the MySQL / MariaDB decoder's one adi_proto table, and where
 * each entry point lives: frame.c (start, sniff, parse, gap, resync),
 * stitch.c (stitch), state.c (fini). The folder's shared declarations are
 * in mysql_priv.h; what is decoded and its limits: docs/mysql.md.
 */
#include "mysql_priv.h"
#include "../tls.h"

/* next(): after the client's SSLRequest the connection is TLS: the TLS
 * decoder takes it over (its handshake facts; the plaintext, when a library
 * shows it, is decoded as MySQL again by the engine). */
static const struct adi_proto *mysql_next(void *vst, enum adi_dir dir)
{
	const struct mysql_state *st = vst;

	(void)dir;
	return st->tls ? &adi_proto_tls : NULL;
}

const struct adi_proto adi_proto_mysql = {
	.name = "mysql",
	.state_size = sizeof(struct mysql_state),
	.start = mysql_start,
	.sniff = mysql_sniff,
	.parse = mysql_parse,
	.gap = mysql_gap,
	.resync = mysql_resync,
	.stitch = mysql_stitch,
	.fini = mysql_fini,
	.next = mysql_next,
};
