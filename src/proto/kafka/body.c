/* body.c - request and response bodies of the Kafka APIs the decoder
 * understands, every version up to the ones Kafka 3.x speaks (classic and
 * flexible encodings through struct kf_rd), written as JSON members; the
 * API and error code names. Owns nothing; reads borrowed bytes.
 * Schemas: https://kafka.apache.org/protocol.html (the message JSON files
 * of clients/src/main/resources/common/message in Kafka's source).
 */
#include <stdio.h>
#include <string.h>

#include "kf.h"

static const char *const kf_apis[] = {
	"Produce", "Fetch", "ListOffsets", "Metadata", "LeaderAndIsr", "StopReplica",
	"UpdateMetadata", "ControlledShutdown", "OffsetCommit", "OffsetFetch", "FindCoordinator",
	"JoinGroup", "Heartbeat", "LeaveGroup", "SyncGroup", "DescribeGroups", "ListGroups",
	"SaslHandshake", "ApiVersions", "CreateTopics", "DeleteTopics", "DeleteRecords",
	"InitProducerId", "OffsetForLeaderEpoch", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn",
	"WriteTxnMarkers", "TxnOffsetCommit", "DescribeAcls", "CreateAcls", "DeleteAcls",
	"DescribeConfigs", "AlterConfigs", "AlterReplicaLogDirs", "DescribeLogDirs",
	"SaslAuthenticate", "CreatePartitions", "CreateDelegationToken", "RenewDelegationToken",
	"ExpireDelegationToken", "DescribeDelegationToken", "DeleteGroups", "ElectLeaders",
	"IncrementalAlterConfigs", "AlterPartitionReassignments", "ListPartitionReassignments",
	"OffsetDelete", "DescribeClientQuotas", "AlterClientQuotas", "DescribeUserScramCredentials",
	"AlterUserScramCredentials", "Vote", "BeginQuorumEpoch", "EndQuorumEpoch", "DescribeQuorum",
	"AlterPartition", "UpdateFeatures", "Envelope", "FetchSnapshot", "DescribeCluster",
	"DescribeProducers", "BrokerRegistration", "BrokerHeartbeat", "UnregisterBroker",
	"DescribeTransactions", "ListTransactions", "AllocateProducerIds",
};

const char *kf_api_name(int api)
{
	return api >= 0 && (size_t)api < sizeof(kf_apis) / sizeof(kf_apis[0]) ? kf_apis[api] : NULL;
}

/* The first flexible version of the APIs decoded here (and of the header
 * of every other, which only matters for the bodies decoded). */
int kf_flex_from(int api)
{
	static const int8_t v[] = {
		9, 12, 6, 9, 4, 2, 6, 3, 8, 6, 3, 6, 4, 4, 4, 5, 3, -1, 3, 5, 4, 2, 2, 4, 3, 3, 3,
		1, 3, 2, 2, 2, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 0, 0, 0, 1, 1, 0, 0,
	};

	return api >= 0 && (size_t)api < sizeof(v) ? v[api] : 0;
}

const char *kf_error_name(int code, char *buf, size_t n)
{
	static const char *const e[] = {
		NULL, "OFFSET_OUT_OF_RANGE", "CORRUPT_MESSAGE", "UNKNOWN_TOPIC_OR_PARTITION",
		"INVALID_FETCH_SIZE", "LEADER_NOT_AVAILABLE", "NOT_LEADER_OR_FOLLOWER",
		"REQUEST_TIMED_OUT", "BROKER_NOT_AVAILABLE", "REPLICA_NOT_AVAILABLE",
		"MESSAGE_TOO_LARGE", "STALE_CONTROLLER_EPOCH", "OFFSET_METADATA_TOO_LARGE",
		"NETWORK_EXCEPTION", "COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE",
		"NOT_COORDINATOR", "INVALID_TOPIC_EXCEPTION", "RECORD_LIST_TOO_LARGE",
		"NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "INVALID_REQUIRED_ACKS",
		"ILLEGAL_GENERATION", "INCONSISTENT_GROUP_PROTOCOL", "INVALID_GROUP_ID",
		"UNKNOWN_MEMBER_ID", "INVALID_SESSION_TIMEOUT", "REBALANCE_IN_PROGRESS",
		"INVALID_COMMIT_OFFSET_SIZE", "TOPIC_AUTHORIZATION_FAILED",
		"GROUP_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "INVALID_TIMESTAMP",
		"UNSUPPORTED_SASL_MECHANISM", "ILLEGAL_SASL_STATE", "UNSUPPORTED_VERSION",
		"TOPIC_ALREADY_EXISTS", "INVALID_PARTITIONS", "INVALID_REPLICATION_FACTOR",
		"INVALID_REPLICA_ASSIGNMENT", "INVALID_CONFIG", "NOT_CONTROLLER", "INVALID_REQUEST",
		"UNSUPPORTED_FOR_MESSAGE_FORMAT", "POLICY_VIOLATION", "OUT_OF_ORDER_SEQUENCE_NUMBER",
		"DUPLICATE_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH", "INVALID_TXN_STATE",
		"INVALID_PRODUCER_ID_MAPPING", "INVALID_TRANSACTION_TIMEOUT",
		"CONCURRENT_TRANSACTIONS", "TRANSACTION_COORDINATOR_FENCED",
		"TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "SECURITY_DISABLED",
		"OPERATION_NOT_ATTEMPTED", "KAFKA_STORAGE_ERROR", "LOG_DIR_NOT_FOUND",
		"SASL_AUTHENTICATION_FAILED", "UNKNOWN_PRODUCER_ID", "REASSIGNMENT_IN_PROGRESS",
		"DELEGATION_TOKEN_AUTH_DISABLED", "DELEGATION_TOKEN_NOT_FOUND",
		"DELEGATION_TOKEN_OWNER_MISMATCH", "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
		"DELEGATION_TOKEN_AUTHORIZATION_FAILED", "DELEGATION_TOKEN_EXPIRED",
		"INVALID_PRINCIPAL_TYPE", "NON_EMPTY_GROUP", "GROUP_ID_NOT_FOUND",
		"FETCH_SESSION_ID_NOT_FOUND", "INVALID_FETCH_SESSION_EPOCH", "LISTENER_NOT_FOUND",
		"TOPIC_DELETION_DISABLED", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH",
		"UNSUPPORTED_COMPRESSION_TYPE", "STALE_BROKER_EPOCH", "OFFSET_NOT_AVAILABLE",
		"MEMBER_ID_REQUIRED", "PREFERRED_LEADER_NOT_AVAILABLE", "GROUP_MAX_SIZE_REACHED",
		"FENCED_INSTANCE_ID",
	};

	if (!code)
		return NULL;
	if (code == -1)
		return "UNKNOWN_SERVER_ERROR";
	if (code > 0 && (size_t)code < sizeof(e) / sizeof(e[0]))
		return e[code];
	snprintf(buf, n, "ERROR_%d", code);
	return buf;
}

/* ---- helpers ---- */

/* A string member (null when absent). */
static void kf_kstr(struct adi_jw *w, const char *k, const uint8_t *p, size_t n)
{
	adi_jw_key(w, k);
	if (p)
		adi_jw_bytes(w, p, n);
	else
		adi_jw_null(w);
}

/* The error member of an error code ("error": name or null), and the
 * first one that is not 0 kept in *err. */
static void kf_kerr(struct adi_jw *w, int16_t code, int *err)
{
	char buf[24];

	adi_jw_kstr(w, "error", kf_error_name(code, buf, sizeof(buf)));
	if (code && !*err)
		*err = code;
}

/* Reads a string or, from version uuid_from, a 16-byte topic id (written
 * as hex) as the topic name. */
static bool kf_topic(struct kf_rd *r, struct adi_jw *w, bool uuid, const uint8_t **p, size_t *n)
{
	adi_jw_key(w, "topic");
	if (uuid) {
		const uint8_t *id;
		char hex[33];

		*p = NULL;
		*n = 0;
		if (!adi_cur_bytes(&r->c, 16, &id))
			return false;
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		adi_jw_str(w, hex);
		return true;
	}
	if (!kf_str(r, p, n))
		return false;
	if (*p)
		adi_jw_bytes(w, *p, *n);
	else
		adi_jw_null(w);
	return true;
}

/* The first topic named is the destination. */
static void kf_dest(const uint8_t **dst, size_t *dn, const uint8_t *p, size_t n)
{
	if (!*dst && p) {
		*dst = p;
		*dn = n;
	}
}

/* ---- requests ---- */

/* Produce: [transactional_id] acks timeout topics[name partitions[index records]]. */
static bool kf_produce_req(struct kf_w *k, int ver, struct kf_rd *r, const uint8_t **dst,
			   size_t *dn, struct kf_preview *pv, size_t body_bytes)
{
	struct adi_jw *w = k->w;
	const uint8_t *p;
	size_t n;
	int16_t acks;
	int32_t timeout, nt, np, idx;
	unsigned items = 0;

	if (ver >= 3) {
		if (!kf_str(r, &p, &n))
			return false;
		if (p)
			adi_jw_kbytes(w, "transactional_id", p, n);
	}
	if (!kf_i16(r, &acks) || !kf_i32(r, &timeout))
		return false;
	adi_jw_kint(w, "acks", acks);
	adi_jw_kint(w, "timeout_ms", timeout);
	adi_jw_key(w, "partitions");
	kf_arr_open(k);
	if (!kf_arr(r, &nt))
		return false;
	for (int32_t t = 0; t < nt; t++) {
		const uint8_t *tp;
		size_t tn;

		if (!kf_str(r, &tp, &tn) || !kf_arr(r, &np))
			return false;
		kf_dest(dst, dn, tp, tn);
		for (int32_t i = 0; i < np; i++) {
			if (!kf_i32(r, &idx) || !kf_bytes(r, &p, &n) || !kf_tags(r))
				return false;
			pv->bytes += n;
			if (items++ >= KF_MAX_ITEMS)
				continue;
			kf_obj(k);
			kf_kstr(w, "topic", tp, tn);
			adi_jw_kint(w, "partition", idx);
			kf_records(k, p ? p : (const uint8_t *)"", n, pv, body_bytes);
			kf_end(k);
		}
		if (!kf_tags(r))
			return false;
	}
	kf_end(k);
	return kf_tags(r);
}

/* Fetch: replica max_wait min_bytes [max_bytes] [isolation] [session]
 * topics[name|id partitions[partition [epoch] fetch_offset ...]]. */
static bool kf_fetch_req(struct kf_w *k, int ver, struct kf_rd *r, const uint8_t **dst,
			 size_t *dn)
{
	struct adi_jw *w = k->w;
	int32_t x, nt, np, part;
	int64_t off;
	int8_t iso;
	unsigned items = 0;

	if (!kf_i32(r, &x))
		return false; /* replica id */
	if (!kf_i32(r, &x))
		return false;
	adi_jw_kint(w, "max_wait_ms", x);
	if (!kf_i32(r, &x))
		return false;
	adi_jw_kint(w, "min_bytes", x);
	if (ver >= 3 && !kf_i32(r, &x))
		return false;
	if (ver >= 4 && !kf_i8(r, &iso))
		return false;
	if (ver >= 7 && (!kf_i32(r, &x) || !kf_i32(r, &x)))
		return false;
	adi_jw_key(w, "partitions");
	kf_arr_open(k);
	if (!kf_arr(r, &nt))
		return false;
	for (int32_t t = 0; t < nt; t++) {
		struct adi_jw tw;
		const uint8_t *tp = NULL;
		size_t tn = 0;
		bool ok;

		/* the topic's name is written with each of its partitions */
		adi_jw_init(&tw);
		adi_jw_obj(&tw);
		ok = kf_topic(r, &tw, ver >= 13, &tp, &tn);
		adi_jw_obj_end(&tw);
		if (!ok || !kf_arr(r, &np)) {
			adi_jw_fini(&tw);
			return false;
		}
		kf_dest(dst, dn, tp, tn);
		for (int32_t i = 0; i < np; i++) {
			int32_t e;
			int64_t lso;

			if (!kf_i32(r, &part) || (ver >= 9 && !kf_i32(r, &e)) || !kf_i64(r, &off) ||
			    (ver >= 12 && !kf_i32(r, &e)) || (ver >= 5 && !kf_i64(r, &lso)) ||
			    !kf_i32(r, &x) || !kf_tags(r)) {
				adi_jw_fini(&tw);
				return false;
			}
			if (items++ >= KF_MAX_ITEMS)
				continue;
			kf_obj(k);
			adi_jw_kraw(w, "topic", adi_jv_get(adi_jw_text(&tw), "topic"));
			adi_jw_kint(w, "partition", part);
			adi_jw_kint(w, "fetch_offset", off);
			kf_end(k);
		}
		adi_jw_fini(&tw);
		if (!kf_tags(r))
			return false;
	}
	kf_end(k);
	return true; /* forgotten topics, rack: not written */
}

/* Metadata: topics (null: all). */
static bool kf_metadata_req(struct kf_w *k, int ver, struct kf_rd *r, const uint8_t **dst,
			    size_t *dn)
{
	struct adi_jw *w = k->w;
	int32_t nt;

	if (!kf_arr(r, &nt))
		return false;
	adi_jw_key(w, "topics");
	if (nt < 0) {
		adi_jw_null(w);
		return true;
	}
	kf_arr_open(k);
	for (int32_t t = 0; t < nt; t++) {
		const uint8_t *p = NULL;
		size_t n = 0;

		if (ver >= 10 && !adi_cur_skip(&r->c, 16))
			return false;
		if (!kf_str(r, &p, &n) || !kf_tags(r))
			return false;
		kf_dest(dst, dn, p, n);
		if ((unsigned)t < KF_MAX_ITEMS) {
			if (p)
				adi_jw_bytes(w, p, n);
			else
				adi_jw_null(w);
		}
	}
	kf_end(k);
	return true;
}

/* Topics with partition lists, as several group / offset requests have
 * them: [name [index (fields)]] written as partitions[{topic, partition,
 * (offset|timestamp)}]. what: 'c' OffsetCommit (committed offset), 'l'
 * ListOffsets (timestamp), 'f' OffsetFetch (indexes only). */
static bool kf_topic_parts(struct kf_w *k, int ver, struct kf_rd *r, char what,
			   const uint8_t **dst, size_t *dn)
{
	struct adi_jw *w = k->w;
	int32_t nt, np, idx, e;
	int64_t v = 0, ts;
	unsigned items = 0;
	const uint8_t *p;
	size_t n;

	if (!kf_arr(r, &nt))
		return false;
	adi_jw_key(w, "partitions");
	if (nt < 0) {
		adi_jw_null(w); /* OffsetFetch: all of the group's */
		return true;
	}
	kf_arr_open(k);
	for (int32_t t = 0; t < nt; t++) {
		const uint8_t *tp;
		size_t tn;

		if (!kf_str(r, &tp, &tn) || !kf_arr(r, &np))
			return false;
		kf_dest(dst, dn, tp, tn);
		for (int32_t i = 0; i < np; i++) {
			if (!kf_i32(r, &idx))
				return false;
			if (what == 'c' && (!kf_i64(r, &v) || (ver >= 6 && !kf_i32(r, &e)) ||
					    (ver == 1 && !kf_i64(r, &ts)) || !kf_str(r, &p, &n)))
				return false;
			if (what == 'l' && ((ver >= 4 && !kf_i32(r, &e)) || !kf_i64(r, &v) ||
					    (ver == 0 && !kf_i32(r, &e))))
				return false;
			if (what != 'f' && !kf_tags(r))
				return false;
			if (items++ >= KF_MAX_ITEMS)
				continue;
			kf_obj(k);
			kf_kstr(w, "topic", tp, tn);
			adi_jw_kint(w, "partition", idx);
			if (what == 'c')
				adi_jw_kint(w, "offset", v);
			else if (what == 'l')
				adi_jw_kint(w, "timestamp", v);
			kf_end(k);
		}
		if (!kf_tags(r))
			return false;
	}
	kf_end(k);
	return true;
}

bool kf_request_body(struct kf_w *k, int api, int ver, struct kf_rd *r, const uint8_t **dst,
		     size_t *dn, struct kf_preview *pv, size_t body_bytes)
{
	struct adi_jw *w = k->w;
	const uint8_t *p = NULL;
	size_t n = 0;
	int32_t x, np;
	int64_t l;
	int8_t b;

	switch (api) {
	case 0:
		return kf_produce_req(k, ver, r, dst, dn, pv, body_bytes);
	case 1:
		return kf_fetch_req(k, ver, r, dst, dn);
	case 2:
		if (!kf_i32(r, &x) || (ver >= 2 && !kf_i8(r, &b)))
			return false;
		return kf_topic_parts(k, ver, r, 'l', dst, dn);
	case 3:
		return kf_metadata_req(k, ver, r, dst, dn);
	case 8: /* OffsetCommit */
		if (!kf_str(r, &p, &n))
			return false;
		kf_dest(dst, dn, p, n);
		kf_kstr(w, "group_id", p, n);
		if (ver >= 1) {
			if (!kf_i32(r, &x) || !kf_str(r, &p, &n))
				return false;
			adi_jw_kint(w, "generation_id", x);
			kf_kstr(w, "member_id", p, n);
		}
		if (ver >= 7 && !kf_str(r, &p, &n))
			return false;
		if (ver >= 2 && ver <= 4 && !kf_i64(r, &l))
			return false;
		*dst = NULL; /* the destination: the first topic */
		return kf_topic_parts(k, ver, r, 'c', dst, dn);
	case 9: /* OffsetFetch (v8+ names groups: the group only) */
		if (ver >= 8)
			return true;
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "group_id", p, n);
		kf_dest(dst, dn, p, n);
		*dst = NULL;
		if (!kf_topic_parts(k, ver, r, 'f', dst, dn))
			return false;
		if (!*dst) {
			*dst = p;
			*dn = n;
		}
		return true;
	case 10: /* FindCoordinator */
		if (ver >= 4) {
			if (!kf_i8(r, &b) || !kf_arr(r, &np) || np < 1 || !kf_str(r, &p, &n))
				return false;
		} else if (!kf_str(r, &p, &n) || (ver >= 1 && !kf_i8(r, &b))) {
			return false;
		}
		kf_kstr(w, "key", p, n);
		kf_dest(dst, dn, p, n);
		return true;
	case 11: /* JoinGroup */
	case 12: /* Heartbeat */
	case 13: /* LeaveGroup */
	case 14: /* SyncGroup */
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "group_id", p, n);
		kf_dest(dst, dn, p, n);
		if (api == 11) {
			if (!kf_i32(r, &x) || (ver >= 1 && !kf_i32(r, &x)) || !kf_str(r, &p, &n))
				return false;
			kf_kstr(w, "member_id", p, n);
			if (ver >= 5 && !kf_str(r, &p, &n))
				return false;
			if (!kf_str(r, &p, &n))
				return false;
			kf_kstr(w, "protocol_type", p, n);
			if (!kf_arr(r, &np))
				return false;
			adi_jw_key(w, "protocols");
			kf_arr_open(k);
			for (int32_t i = 0; i < np; i++) {
				const uint8_t *m;
				size_t mn;

				if (!kf_str(r, &p, &n) || !kf_bytes(r, &m, &mn) || !kf_tags(r))
					return false;
				if ((unsigned)i < KF_MAX_ITEMS)
					adi_jw_bytes(w, p ? p : (const uint8_t *)"", n);
			}
			kf_end(k);
			return true;
		}
		if (api == 13 && ver >= 3)
			return true; /* members: not written */
		if (api != 13 && !kf_i32(r, &x))
			return false;
		if (api != 13)
			adi_jw_kint(w, "generation_id", x);
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "member_id", p, n);
		return true;
	case 18: /* ApiVersions */
		if (ver >= 3) {
			if (!kf_str(r, &p, &n))
				return false;
			kf_kstr(w, "client_software_name", p, n);
			if (!kf_str(r, &p, &n))
				return false;
			kf_kstr(w, "client_software_version", p, n);
		}
		return true;
	case 19: { /* CreateTopics */
		int32_t nt;

		if (!kf_arr(r, &nt))
			return false;
		adi_jw_key(w, "topics");
		kf_arr_open(k);
		for (int32_t t = 0; t < nt; t++) {
			int32_t na, nr, nc;
			int16_t rf;

			if (!kf_str(r, &p, &n) || !kf_i32(r, &x) || !kf_i16(r, &rf))
				return false;
			kf_dest(dst, dn, p, n);
			if ((unsigned)t < KF_MAX_ITEMS) {
				kf_obj(k);
				kf_kstr(w, "name", p, n);
				adi_jw_kint(w, "num_partitions", x);
				adi_jw_kint(w, "replication_factor", rf);
				kf_end(k);
			}
			if (!kf_arr(r, &na))
				return false;
			for (int32_t a = 0; a < na; a++) {
				if (!kf_i32(r, &x) || !kf_arr(r, &nr))
					return false;
				for (int32_t j = 0; j < nr; j++)
					if (!kf_i32(r, &x))
						return false;
				if (!kf_tags(r))
					return false;
			}
			if (!kf_arr(r, &nc))
				return false;
			for (int32_t c = 0; c < nc; c++)
				if (!kf_str(r, &p, &n) || !kf_str(r, &p, &n) || !kf_tags(r))
					return false;
			if (!kf_tags(r))
				return false;
		}
		kf_end(k);
		return true;
	}
	}
	return true; /* other APIs: the header only */
}

/* ---- responses ---- */

/* throttle_time_ms, where the API has it first. */
static bool kf_throttle(struct kf_rd *r, struct adi_jw *w)
{
	int32_t x;

	if (!kf_i32(r, &x))
		return false;
	adi_jw_kint(w, "throttle_time_ms", x);
	return true;
}

static bool kf_fetch_resp(struct kf_w *k, int ver, struct kf_rd *r, int *err,
			  struct kf_preview *pv, size_t body_bytes)
{
	struct adi_jw *w = k->w;
	int32_t nt, np, idx, x, na;
	int16_t ec;
	int64_t hw, l;
	unsigned items = 0;

	if (ver >= 1 && !kf_throttle(r, w))
		return false;
	if (ver >= 7) {
		if (!kf_i16(r, &ec) || !kf_i32(r, &x))
			return false;
		kf_kerr(w, ec, err);
	}
	if (!kf_arr(r, &nt))
		return false;
	adi_jw_key(w, "partitions");
	kf_arr_open(k);
	for (int32_t t = 0; t < nt; t++) {
		struct adi_jw tw;
		const uint8_t *tp, *p;
		size_t tn, n;
		bool ok;

		adi_jw_init(&tw);
		adi_jw_obj(&tw);
		ok = kf_topic(r, &tw, ver >= 13, &tp, &tn);
		adi_jw_obj_end(&tw);
		if (!ok || !kf_arr(r, &np)) {
			adi_jw_fini(&tw);
			return false;
		}
		for (int32_t i = 0; i < np; i++) {
			bool cut = false;

			if (!kf_i32(r, &idx) || !kf_i16(r, &ec) || !kf_i64(r, &hw) ||
			    (ver >= 4 && !kf_i64(r, &l)) || (ver >= 5 && !kf_i64(r, &l))) {
				adi_jw_fini(&tw);
				return false;
			}
			if (ver >= 4) {
				if (!kf_arr(r, &na)) {
					adi_jw_fini(&tw);
					return false;
				}
				for (int32_t j = 0; j < na; j++)
					if (!kf_i64(r, &l) || !kf_i64(r, &l) || !kf_tags(r)) {
						adi_jw_fini(&tw);
						return false;
					}
			}
			if ((ver >= 11 && !kf_i32(r, &x))) {
				adi_jw_fini(&tw);
				return false;
			}
			/* the records may run past the window: what is there */
			{
				struct kf_rd save = *r;

				if (!kf_bytes(r, &p, &n)) {
					int64_t len = -1;
					struct kf_rd q = save;

					if (q.flex) {
						uint64_t v;

						if (adi_cur_varint(&q.c, &v))
							len = (int64_t)v - 1;
					} else {
						int32_t v;

						if (kf_i32(&q, &v))
							len = v;
					}
					if (len < 0 || q.c.bad) {
						adi_jw_fini(&tw);
						return false;
					}
					p = adi_cur_ptr(&q.c);
					n = adi_cur_left(&q.c);
					pv->bytes += (uint64_t)len;
					cut = true;
				} else {
					pv->bytes += n;
				}
			}
			if (items++ < KF_MAX_ITEMS) {
				kf_obj(k);
				adi_jw_kraw(w, "topic", adi_jv_get(adi_jw_text(&tw), "topic"));
				adi_jw_kint(w, "partition", idx);
				kf_kerr(w, ec, err);
				adi_jw_kint(w, "high_watermark", hw);
				kf_records(k, p ? p : (const uint8_t *)"", n, pv, body_bytes);
				kf_end(k);
			} else if (ec && !*err) {
				*err = ec;
			}
			if (cut) {
				adi_jw_fini(&tw);
				return false;
			}
			if (!kf_tags(r)) {
				adi_jw_fini(&tw);
				return false;
			}
		}
		adi_jw_fini(&tw);
		if (!kf_tags(r))
			return false;
	}
	kf_end(k);
	return true;
}

static bool kf_metadata_resp(struct kf_w *k, int ver, struct kf_rd *r, int *err)
{
	struct adi_jw *w = k->w;
	int32_t nb, nt, np, x;
	int16_t ec;
	int8_t b;
	const uint8_t *p;
	size_t n;

	if (ver >= 3 && !kf_throttle(r, w))
		return false;
	if (!kf_arr(r, &nb))
		return false;
	adi_jw_key(w, "brokers");
	kf_arr_open(k);
	for (int32_t i = 0; i < nb; i++) {
		int32_t node, port;
		const uint8_t *h;
		size_t hn;

		if (!kf_i32(r, &node) || !kf_str(r, &h, &hn) || !kf_i32(r, &port) ||
		    (ver >= 1 && !kf_str(r, &p, &n)) || !kf_tags(r))
			return false;
		if ((unsigned)i >= KF_MAX_ITEMS)
			continue;
		kf_obj(k);
		adi_jw_kint(w, "node_id", node);
		kf_kstr(w, "host", h, hn);
		adi_jw_kint(w, "port", port);
		kf_end(k);
	}
	kf_end(k);
	if ((ver >= 2 && !kf_str(r, &p, &n)) || (ver >= 1 && !kf_i32(r, &x)))
		return false;
	if (!kf_arr(r, &nt))
		return false;
	adi_jw_key(w, "topics");
	kf_arr_open(k);
	for (int32_t t = 0; t < nt; t++) {
		const uint8_t *tp;
		size_t tn;

		if (!kf_i16(r, &ec) || !kf_str(r, &tp, &tn) || (ver >= 10 && !adi_cur_skip(&r->c, 16)) ||
		    (ver >= 1 && !kf_i8(r, &b)) || !kf_arr(r, &np))
			return false;
		for (int32_t i = 0; i < np; i++) {
			int16_t pe;
			int32_t nr;

			if (!kf_i16(r, &pe) || !kf_i32(r, &x) || !kf_i32(r, &x) ||
			    (ver >= 7 && !kf_i32(r, &x)))
				return false;
			for (int a = 0; a < (ver >= 5 ? 3 : 2); a++) {
				if (!kf_arr(r, &nr))
					return false;
				for (int32_t j = 0; j < nr; j++)
					if (!kf_i32(r, &x))
						return false;
			}
			if (!kf_tags(r))
				return false;
			if (pe && !*err)
				*err = pe;
		}
		if ((ver >= 8 && !kf_i32(r, &x)) || !kf_tags(r))
			return false;
		if ((unsigned)t >= KF_MAX_ITEMS)
			continue;
		kf_obj(k);
		kf_kstr(w, "name", tp, tn);
		kf_kerr(w, ec, err);
		adi_jw_kint(w, "partitions", np);
		kf_end(k);
	}
	kf_end(k);
	return true;
}

/* Topics with partitions and an error per partition (Produce,
 * OffsetCommit, OffsetFetch, ListOffsets responses). what: 'p', 'c', 'f',
 * 'l'. */
static bool kf_topic_parts_resp(struct kf_w *k, int ver, struct kf_rd *r, char what, int *err)
{
	struct adi_jw *w = k->w;
	int32_t nt, np, idx, x, no;
	int16_t ec = 0;
	int64_t off = -1, l;
	unsigned items = 0;

	if (!kf_arr(r, &nt))
		return false;
	adi_jw_key(w, "partitions");
	kf_arr_open(k);
	for (int32_t t = 0; t < nt; t++) {
		const uint8_t *tp, *p;
		size_t tn, n;

		if (!kf_str(r, &tp, &tn) || !kf_arr(r, &np))
			return false;
		for (int32_t i = 0; i < np; i++) {
			if (!kf_i32(r, &idx))
				return false;
			if (what == 'c' && !kf_i16(r, &ec))
				return false;
			if (what == 'p') {
				int32_t ne;

				if (!kf_i16(r, &ec) || !kf_i64(r, &off) || (ver >= 2 && !kf_i64(r, &l)) ||
				    (ver >= 5 && !kf_i64(r, &l)))
					return false;
				if (ver >= 8) {
					if (!kf_arr(r, &ne))
						return false;
					for (int32_t j = 0; j < ne; j++)
						if (!kf_i32(r, &x) || !kf_str(r, &p, &n) || !kf_tags(r))
							return false;
					if (!kf_str(r, &p, &n))
						return false;
				}
			}
			if (what == 'f' && (!kf_i64(r, &off) || (ver >= 5 && !kf_i32(r, &x)) ||
					    !kf_str(r, &p, &n) || !kf_i16(r, &ec)))
				return false;
			if (what == 'l') {
				if (!kf_i16(r, &ec))
					return false;
				if (ver == 0) {
					if (!kf_arr(r, &no))
						return false;
					for (int32_t j = 0; j < no; j++)
						if (!kf_i64(r, j ? &l : &off))
							return false;
				} else if (!kf_i64(r, &l) || !kf_i64(r, &off) ||
					   (ver >= 4 && !kf_i32(r, &x))) {
					return false;
				}
			}
			if (!kf_tags(r))
				return false;
			if (items++ >= KF_MAX_ITEMS) {
				if (ec && !*err)
					*err = ec;
				continue;
			}
			kf_obj(k);
			kf_kstr(w, "topic", tp, tn);
			adi_jw_kint(w, "partition", idx);
			kf_kerr(w, ec, err);
			if (what != 'c')
				adi_jw_kint(w, what == 'p' ? "base_offset" : "offset", off);
			kf_end(k);
		}
		if (!kf_tags(r))
			return false;
	}
	kf_end(k);
	return true;
}

bool kf_response_body(struct kf_w *k, int api, int ver, struct kf_rd *r, int *err,
		      struct kf_preview *pv, size_t body_bytes)
{
	struct adi_jw *w = k->w;
	const uint8_t *p;
	size_t n;
	int32_t x, nt;
	int16_t ec;

	switch (api) {
	case 0:
		return kf_topic_parts_resp(k, ver, r, 'p', err) && (ver < 1 || kf_throttle(r, w));
	case 1:
		return kf_fetch_resp(k, ver, r, err, pv, body_bytes);
	case 2:
		if (ver >= 2 && !kf_throttle(r, w))
			return false;
		return kf_topic_parts_resp(k, ver, r, 'l', err);
	case 3:
		return kf_metadata_resp(k, ver, r, err);
	case 8:
		if (ver >= 3 && !kf_throttle(r, w))
			return false;
		return kf_topic_parts_resp(k, ver, r, 'c', err);
	case 9:
		if (ver >= 8)
			return true;
		if (ver >= 3 && !kf_throttle(r, w))
			return false;
		if (!kf_topic_parts_resp(k, ver, r, 'f', err))
			return false;
		if (ver >= 2) {
			if (!kf_i16(r, &ec))
				return false;
			if (ec && !*err)
				*err = ec;
		}
		return true;
	case 10: /* FindCoordinator (v4+: coordinators[]: the first) */
		if (ver >= 1 && !kf_throttle(r, w))
			return false;
		if (ver >= 4 && (!kf_arr(r, &nt) || nt < 1 || !kf_str(r, &p, &n)))
			return false;
		if (!kf_i16(r, &ec) || (ver >= 1 && !kf_str(r, &p, &n)))
			return false;
		kf_kerr(w, ec, err);
		if (!kf_i32(r, &x))
			return false;
		adi_jw_kint(w, "node_id", x);
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "host", p, n);
		if (!kf_i32(r, &x))
			return false;
		adi_jw_kint(w, "port", x);
		return true;
	case 11: /* JoinGroup */
		if (ver >= 2 && !kf_throttle(r, w))
			return false;
		if (!kf_i16(r, &ec) || !kf_i32(r, &x))
			return false;
		kf_kerr(w, ec, err);
		adi_jw_kint(w, "generation_id", x);
		if (ver >= 7 && !kf_str(r, &p, &n))
			return false;
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "protocol_name", p, n);
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "leader", p, n);
		if (ver >= 9 && !adi_cur_skip(&r->c, 1))
			return false;
		if (!kf_str(r, &p, &n))
			return false;
		kf_kstr(w, "member_id", p, n);
		if (!kf_arr(r, &nt))
			return false;
		adi_jw_kint(w, "members", nt);
		return true;
	case 12: case 13: case 14: /* Heartbeat, LeaveGroup, SyncGroup */
		if (ver >= 1 && !kf_throttle(r, w))
			return false;
		if (!kf_i16(r, &ec))
			return false;
		kf_kerr(w, ec, err);
		return true;
	case 18: /* ApiVersions (error first, always) */
		if (!kf_i16(r, &ec) || !kf_arr(r, &nt))
			return false;
		kf_kerr(w, ec, err);
		adi_jw_kint(w, "api_keys", nt);
		return true;
	case 19: /* CreateTopics */
		if (ver >= 2 && !kf_throttle(r, w))
			return false;
		if (!kf_arr(r, &nt))
			return false;
		adi_jw_key(w, "topics");
		kf_arr_open(k);
		for (int32_t t = 0; t < nt; t++) {
			const uint8_t *tp;
			size_t tn;
			int32_t nc;
			int16_t rf;

			if (!kf_str(r, &tp, &tn) || (ver >= 7 && !adi_cur_skip(&r->c, 16)) ||
			    !kf_i16(r, &ec) || (ver >= 1 && !kf_str(r, &p, &n)))
				return false;
			if (ver >= 5) {
				if (!kf_i32(r, &x) || !kf_i16(r, &rf) || !kf_arr(r, &nc))
					return false;
				for (int32_t c = 0; c < nc; c++) {
					int8_t b;

					if (!kf_str(r, &p, &n) || !kf_str(r, &p, &n) || !kf_i8(r, &b) ||
					    !kf_i8(r, &b) || !kf_i8(r, &b) || !kf_tags(r))
						return false;
				}
			}
			if (!kf_tags(r))
				return false;
			if ((unsigned)t >= KF_MAX_ITEMS)
				continue;
			kf_obj(k);
			kf_kstr(w, "name", tp, tn);
			kf_kerr(w, ec, err);
			kf_end(k);
		}
		kf_end(k);
		return true;
	}
	return true;
}
