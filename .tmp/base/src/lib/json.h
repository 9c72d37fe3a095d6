/* json.h - a small JSON value tree: what every semantic event carries.
 *
 * Protocol decoders and the engine build events as trees of adi_jval; sinks
 * walk them (the JSON Lines sink serialises them, the text sink picks the
 * fields it shows). Objects keep insertion order, so output is stable.
 * Owns: every string and child it is given is copied. Does not parse JSON
 * except adi_json_parse(), which `view` uses to read traces back.
 */
#ifndef ADI_JSON_H
#define ADI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum adi_jtype {
	ADI_J_NULL, ADI_J_BOOL, ADI_J_INT, ADI_J_DOUBLE, ADI_J_STR,
	ADI_J_ARR, ADI_J_OBJ,
};

struct adi_jval;

/* Constructors: return a new value owned by the caller, or NULL with
 * errno = ENOMEM. */
struct adi_jval *adi_j_null(void);
struct adi_jval *adi_j_bool(bool b);
struct adi_jval *adi_j_int(int64_t v);
struct adi_jval *adi_j_double(double v);
/* A string from a NUL terminated C string (copied; NULL gives a JSON null). */
struct adi_jval *adi_j_str(const char *s);
/* A string from n bytes (copied; NULL with n > 0 gives a JSON null). */
struct adi_jval *adi_j_strn(const char *s, size_t n);
/* Payload bytes: copied as a string if they are valid UTF-8, otherwise as
 * "base64:<data>" (docs/events.md). n == 0 gives "". */
struct adi_jval *adi_j_bytes(const uint8_t *b, size_t n);
struct adi_jval *adi_j_arr(void);
struct adi_jval *adi_j_obj(void);

void adi_j_free(struct adi_jval *v); /* accepts NULL; frees children */

/* Add to an array / object. The container takes ownership of v, also on
 * failure (v is freed then). A NULL v (a failed constructor) is ignored and
 * reported as -ENOMEM. Setting a key that exists replaces its value in place.
 * Return 0 or -errno. */
int adi_j_push(struct adi_jval *arr, struct adi_jval *v);
int adi_j_set(struct adi_jval *obj, const char *key, struct adi_jval *v);

/* Convenience setters: adi_j_set(obj, key, adi_j_xxx(...)). */
int adi_j_set_str(struct adi_jval *obj, const char *key, const char *s);
int adi_j_set_int(struct adi_jval *obj, const char *key, int64_t v);
int adi_j_set_bool(struct adi_jval *obj, const char *key, bool b);
int adi_j_set_null(struct adi_jval *obj, const char *key);
int adi_j_set_double(struct adi_jval *obj, const char *key, double v);
int adi_j_set_bytes(struct adi_jval *obj, const char *key, const uint8_t *b, size_t n);

/* Access. adi_j_get returns the member or NULL (borrowed). */
enum adi_jtype adi_j_type(const struct adi_jval *v);
struct adi_jval *adi_j_get(const struct adi_jval *obj, const char *key);
/* Array/object members; for a string its length in bytes (it may hold NUL
 * bytes, which adi_j_as_str cannot show); 0 for anything else. */
size_t adi_j_len(const struct adi_jval *v);
struct adi_jval *adi_j_at(const struct adi_jval *v, size_t i); /* array item / object value */
const char *adi_j_key_at(const struct adi_jval *obj, size_t i);
bool adi_j_is_null(const struct adi_jval *v);      /* NULL pointer or null */
/* Scalar readers: the value, or the fallback when v is missing or of
 * another type. Strings are borrowed. */
const char *adi_j_as_str(const struct adi_jval *v, const char *fallback);
int64_t adi_j_as_int(const struct adi_jval *v, int64_t fallback);
double adi_j_as_double(const struct adi_jval *v, double fallback);
bool adi_j_as_bool(const struct adi_jval *v, bool fallback);
/* Shortcuts: adi_j_as_*(adi_j_get(obj, key), fallback). */
const char *adi_j_get_str(const struct adi_jval *obj, const char *key, const char *fallback);
int64_t adi_j_get_int(const struct adi_jval *obj, const char *key, int64_t fallback);

/* Serialise compactly (no spaces, like {"a":1,"b":[true,null]}).
 * Strings are escaped per RFC 8259 (\" \\ \n \r \t \b \f, other control
 * characters as \u00XX; non-ASCII UTF-8 written as is). Doubles are written
 * with up to 3 decimals (%.3f with trailing zeros removed, "1.0" never
 * written as "1"). Returns 0 or -errno (write error). */
int adi_j_write(const struct adi_jval *v, FILE *f);
/* The same into a malloc'd string (caller frees), or NULL. */
char *adi_j_to_string(const struct adi_jval *v);

/* Append to a caller-owned buffer *buf of *len bytes in *cap (grown with
 * realloc; a NUL is kept after the text; *buf may start NULL): the
 * serialisation of v, a string literal of s[0..n), a double in the writer's
 * format, or raw bytes. Return 0, or -ENOMEM with the buffer holding a
 * partial text. Callers that write many values reuse one buffer. */
int adi_j_append(const struct adi_jval *v, char **buf, size_t *len, size_t *cap);
int adi_j_append_str(const char *s, size_t n, char **buf, size_t *len, size_t *cap);
int adi_j_append_double(double d, char **buf, size_t *len, size_t *cap);
int adi_j_append_raw(const char *s, size_t n, char **buf, size_t *len, size_t *cap);

/* Remove key from obj and return its value, now owned by the caller (a
 * move, no copy). NULL when absent or obj is not an object. */
struct adi_jval *adi_j_take(struct adi_jval *obj, const char *key);

/* A deep copy of v (a new tree the caller owns); NULL gives null. Decoders
 * use it for fields several events share (a multi-result's command). */
struct adi_jval *adi_j_copy(const struct adi_jval *v);

/* Parse one JSON text (RFC 8259; \uXXXX with surrogate pairs). Returns a
 * new value or NULL with errno = EINVAL on malformed input. Never reads past
 * n bytes. Nesting deeper than 64 is rejected. */
struct adi_jval *adi_json_parse(const char *s, size_t n);

#endif
