/* mysql.c - the MySQL / MariaDB decoder's one adi_proto table, and where
 * each entry point lives: frame.c (start, sniff, parse, gap, resync),
 * stitch.c (stitch), state.c (fini). The folder's shared declarations are
 * in mysql_priv.h; what is decoded and its limits: docs/mysql.md.
 */
#include "mysql_priv.h"

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
};
