/* protobuf.h - protocol buffers decoded without their schema: field numbers
 * and wire types only (https://protobuf.dev/programming-guides/encoding/),
 * for gRPC messages (http2/grpc.c) and any decoder that carries protobuf.
 * The JSON is written straight into the caller's writer (jw.h). Owns
 * nothing between calls.
 */
#ifndef ADI_PROTO_PROTOBUF_H
#define ADI_PROTO_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../lib/jw.h"

/* Nesting followed into length-delimited fields; deeper ones are shown as
 * bytes. */
#define ADI_PB_MAX_DEPTH 16

/* Decode b[0..n) as one protobuf message and write it into w as one JSON
 * value (an array item, or the value of the member whose key w just
 * wrote): {"<field number>": value, ...} in order of first appearance.
 * Returns true; false, with nothing written, when the bytes are not a
 * message (a wire type 3, 4, 6 or 7, a field number outside 1..2^29-1, a
 * value running past n) or memory ran out. A failed write of w itself
 * shows in w->err.
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
 * other field cut short is left out: a cut never makes it fail then. */
bool adi_pb_write(struct adi_jw *w, const uint8_t *b, size_t n, bool partial);

#endif
