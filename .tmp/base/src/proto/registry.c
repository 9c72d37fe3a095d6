/* registry.c - the one list of protocol decoders, and the classifier that
 * picks one for a connection from its first bytes; a connection no decoder
 * claims stays a generic tcp_stream. A new decoder is one line here (and
 * the include of its header). The order breaks ties between equal scores. */
#include <stddef.h>
#include <string.h>
#include "proto.h"
#include "dns.h"
#include "http1.h"
#include "http2.h"
#include "mongo.h"
#include "mysql.h"
#include "postgres.h"
#include "redis.h"

static const struct adi_proto *const protos[] = {
	&adi_proto_http1,
	&adi_proto_postgres,
	&adi_proto_mysql,
	&adi_proto_redis,
	&adi_proto_mongo,
	&adi_proto_http2,
	&adi_proto_dns,
};

size_t adi_proto_count(void)
{
	return sizeof(protos) / sizeof(protos[0]);
}

const struct adi_proto *adi_proto_at(size_t i)
{
	return i < adi_proto_count() ? protos[i] : NULL;
}

const struct adi_proto *adi_proto_find(const char *name)
{
	for (size_t i = 0; i < adi_proto_count(); i++)
		if (!strcmp(protos[i]->name, name))
			return protos[i];
	return NULL;
}

const struct adi_proto *adi_proto_classify(const uint8_t *b, size_t n,
					   const struct adi_sniff_ctx *c,
					   int *need_more)
{
	const struct adi_proto *best = NULL;
	int best_score = ADI_SNIFF_CLAIM - 1;

	*need_more = 0;
	for (size_t i = 0; i < adi_proto_count(); i++) {
		int s;

		if (c->datagram && !protos[i]->datagrams)
			continue; /* a stream decoder would take a datagram for a piece */
		s = protos[i]->sniff(b, n, c);

		if (s < 0)
			*need_more = 1;
		else if (s > best_score) {
			best = protos[i];
			best_score = s;
		}
	}
	return best;
}
