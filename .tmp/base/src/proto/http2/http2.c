/* http2.c - the HTTP/2 decoder (RFC 9113) and gRPC over it, as the engine
 * sees it: the adi_proto_http2 table, start() and fini(). The work is done
 * by the files h2.h lists (frames, header blocks, DATA and gRPC, streams
 * and events); events are `grpc_call` or `http_request` with version "2",
 * one per stream (docs/http2.md). Owns struct http2_state as a whole: fini()
 * frees what each part allocated in it.
 */
#include <stdlib.h>
#include <string.h>

#include "h2.h"

/* start(): the client's direction is the one the traced task writes to
 * unless it accepted the connection (the preface, when seen, decides). */
static void http2_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct http2_state *st = vst;

	st->client_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	for (int i = 0; i < 2; i++) {
		st->side[i].max_frame = H2_DEFAULT_FRAME;
		st->side[i].table = H2_DEFAULT_TABLE;
	}
}

/* fini(): the streams still open (stitch() emitted them at the final
 * call), both directions' inflaters and buffers, the zlib state. */
static void http2_fini(void *vst)
{
	struct http2_state *st = vst;

	for (size_t i = 0; i < st->nstreams; i++)
		h2_stream_free(st->streams[i]);
	free(st->streams);
	st->streams = NULL;
	st->nstreams = st->cap = 0;
	for (int i = 0; i < 2; i++) {
		struct h2_side *sd = &st->side[i];

		if (sd->inf)
			nghttp2_hd_inflate_del(sd->inf);
		if (sd->one)
			nghttp2_hd_inflate_del(sd->one);
		free(sd->hb);
		free(sd->fb);
		free(sd->jb);
		memset(sd, 0, sizeof(*sd));
	}
	h2_gzip_free(st);
}

const struct adi_proto adi_proto_http2 = {
	.name = "http2",
	.state_size = sizeof(struct http2_state),
	.start = http2_start,
	.sniff = http2_sniff,           /* frame.c */
	.parse = http2_parse,           /* frame.c */
	.gap = http2_gap,               /* frame.c */
	.resync = http2_resync,         /* frame.c */
	.stitch = http2_stitch,         /* stitch.c */
	.fini = http2_fini,
};
