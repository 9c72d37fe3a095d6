/* protobuf.h - protocol buffers decoded without their schema: field numbers
 * and wire types only (https://protobuf.dev/programming-guides/encoding/),
 * for gRPC messages (http2.c) and any decoder that carries protobuf. Owns
 * nothing between calls; the JSON it returns is the caller's.
 */
#ifndef ADI_PROTO_PROTOBUF_H
#define ADI_PROTO_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../lib/json.h"

/* Nesting followed into length-delimited fields; deeper ones are shown as
 * bytes. */
#define ADI_PB_MAX_DEPTH 16

/* Decode b[0..n) as one protobuf message. Returns a new JSON object,
 * {"<field number>": value, ...} in order of first appearance, or NULL
 * when the bytes are not a message (a wire type 3, 4, 6 or 7, a field
 * number outside 1..2^29-1, a value running past n) or memory ran out.
 * Values:
 *   varint, fixed64  an int when it fits +-2^53 (read as int64 when the top
 *                    bit is set: negative int32/int64), else the unsigned
 *                    decimal as a string
 *   fixed32          an int (unsigned)
 *   length-delimited a string when the bytes are printable UTF-8 (no control
 *                    characters but TAB, LF, CR), else a nested object when
 *                    they parse as a message (depth < ADI_PB_MAX_DEPTH), else
 *                    "base64:..."; "" when empty
 *   a repeated field number: an array of its values, in order.
 * partial: b is only the first bytes of the message (cut to a capture
 * limit): a last length-delimited field cut short shows its first bytes
 * (text up to its last whole character, a message prefix, or base64); any
 * other field cut short is left out. Never fails then but for memory. */
struct adi_jval *adi_pb_decode(const uint8_t *b, size_t n, bool partial);

#endif
