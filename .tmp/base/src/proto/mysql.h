/* mysql.h - the MySQL / MariaDB client/server protocol decoder: the
 * connection phase (greeting, login, auth switch, TLS), text queries, the
 * binary prepared-statement protocol and the small commands of one
 * connection, paired into `sql_query` events with db "mysql" (docs/events.md).
 * The decoder is used only through adi_proto_mysql (proto.h); the message
 * kinds below are what its messages carry in adi_msg.kind. docs/mysql.md
 * lists the fields, formats, limits and what is not decoded.
 */
#ifndef ADI_PROTO_MYSQL_H
#define ADI_PROTO_MYSQL_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages. adi_msg.key is the command's
 * ordinal on the connection (1, 2, ...) on a command and on every response
 * (result) to it; 0 on a response whose command was never seen. */
enum mysql_kind {
	MYSQL_CMD = 1,        /* a client command that is answered */
	MYSQL_CMD_NOREPLY,    /* a client command the server does not answer */
	MYSQL_SSL,            /* the client's SSLRequest: TLS follows */
	MYSQL_GREETING,       /* the server's Handshake v10 */
	MYSQL_AUTH,           /* the end of the connection phase (OK or ERR) */
	MYSQL_RESP,           /* one response (one result of a multi-result) */
};

extern const struct adi_proto adi_proto_mysql;

#endif
