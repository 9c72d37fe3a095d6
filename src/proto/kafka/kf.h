/* kf.h - private to the Kafka decoder (src/proto/kafka/): limits, the
 * reader of Kafka's primitive types (classic and flexible encodings), the
 * container-tracking writer, and what the files lend each other. Nothing
 * outside this folder includes it.
 *
 *   body.c     request and response bodies of the APIs decoded (Produce,
 *              Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch,
 *              FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup,
 *              ApiVersions, CreateTopics), API and error names
 *   records.c  record batches (magic 2): counts, compression, the first
 *              record's key and value (gzip and zstd inflated)
 *   kafka.c    framing, parse/gap/resync/sniff, stitch by correlation id,
 *              the adi_proto_kafka table
 */
#ifndef ADI_PROTO_KAFKA_KF_H
#define ADI_PROTO_KAFKA_KF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kafka.h"
#include "../../lib/cursor.h"
#include "../../lib/jw.h"

#define KF_WINDOW (ADI_PROTO_LOOKAHEAD - 4096) /* bytes of a message decoded; the
						  * rest is consumed unread */
#define KF_MAX_SIZE (256u << 20)  /* a message size believed */
#define KF_MAX_ITEMS 256          /* topics / partitions written per message */
#define KF_INFLIGHT 256           /* requests remembered for their response */
#define KF_INFLATE (64 * 1024)    /* bytes of a compressed batch inflated */
#define KF_PORT 9092

enum kf_kind { KF_REQ = 1, KF_RESP = 2 };
#define KF_TRUNC 0x100            /* adi_msg.kind: a part was not decoded */

/* A reader over a message body: flexible versions use compact strings,
 * arrays and bytes (unsigned varint lengths + 1) and tagged fields. */
struct kf_rd {
	struct adi_cur c;
	bool flex;
};

bool kf_i8(struct kf_rd *r, int8_t *v);
bool kf_i16(struct kf_rd *r, int16_t *v);
bool kf_i32(struct kf_rd *r, int32_t *v);
bool kf_i64(struct kf_rd *r, int64_t *v);
/* A string (nullable: *p NULL for null). */
bool kf_str(struct kf_rd *r, const uint8_t **p, size_t *n);
/* An array's count (-1 for null). */
bool kf_arr(struct kf_rd *r, int32_t *n);
/* Bytes (nullable). */
bool kf_bytes(struct kf_rd *r, const uint8_t **p, size_t *n);
/* Tagged fields (skipped); a no-op in classic versions. */
bool kf_tags(struct kf_rd *r);

/* A JSON writer that remembers the containers it opened, so a body cut
 * short (a window, a malformed message) still ends as valid JSON. */
struct kf_w {
	struct adi_jw *w;
	char open[16];
	unsigned n;
};
void kf_obj(struct kf_w *k);
void kf_arr_open(struct kf_w *k);
void kf_end(struct kf_w *k);
void kf_close_to(struct kf_w *k, unsigned n);

/* ---- body.c ---- */

/* The API's name ("Produce"), or NULL. */
const char *kf_api_name(int api);
/* The error code's name ("UNKNOWN_TOPIC_OR_PARTITION"), or NULL for 0. */
const char *kf_error_name(int code, char *buf, size_t n);
/* The first version of an API whose messages are flexible (-1: none). */
int kf_flex_from(int api);

/* The request body of api/ver in r: members written to k (after the
 * header's); *dst / *dn the destination (borrowed); *pbytes the records'
 * size (Produce), *pval / *pvn the first record value (into scratch).
 * false when it ended early (the members so far stand). */
struct kf_preview {
	uint64_t bytes;           /* records bytes seen */
	bool have;                /* a first value was found */
	const uint8_t *val;       /* borrowed, or into buf */
	size_t vn;
	uint8_t *buf;             /* inflated records, KF_INFLATE bytes (owned by
				   * the caller) */
};
bool kf_request_body(struct kf_w *k, int api, int ver, struct kf_rd *r, const uint8_t **dst,
		     size_t *dn, struct kf_preview *pv, size_t body_bytes);
/* The response body into "reply" members; *err the first error code that
 * is not 0. */
bool kf_response_body(struct kf_w *k, int api, int ver, struct kf_rd *r, int *err,
		      struct kf_preview *pv, size_t body_bytes);

/* ---- records.c ---- */

/* The record batches in b[0..n) (a Produce partition's records, a Fetch
 * response's): "records" (count), "compression", "key", "value" members
 * of the first record; n may be cut short (a window). */
void kf_records(struct kf_w *k, const uint8_t *b, size_t n, struct kf_preview *pv,
		size_t body_bytes);

#endif
