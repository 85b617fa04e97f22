/* json: a fast, strict JSON parser that builds jansson values. */
#ifndef SOCKLOCK_JSON_H
#define SOCKLOCK_JSON_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "socklock/common.h"

/* The deepest nesting sl_json_parse() ever allows, whatever the caller asks for; it keeps
 * the parser's recursion (one C frame per open array or object) bounded. It equals
 * jansson's own JSON_PARSER_MAX_DEPTH. */
#define SL_JSON_DEPTH_CAP 2048

/* jansson's iteration API (json_object_foreach) takes json_t * even to read. This gives a
 * value we only read to it without a cast that would hide a real const violation. */
static inline json_t *sl_json_mut(const json_t *v)
{
    json_t *m;
    memcpy(&m, &v, sizeof(m));
    return m;
}

/* Parses exactly one JSON text (RFC 8259) in buf[0..len) into a jansson value. It accepts
 * what json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, ...) accepts and
 * builds an equal value of the same types, only faster:
 * - any value may stand at the top; whitespace is space, tab, CR and LF only; anything but
 *   whitespace after the value is an error ("end of file expected");
 * - strings must be valid UTF-8 without raw control characters, lone surrogates (escaped)
 *   or \u0000 (jansson rejects NUL without JSON_ALLOW_NUL);
 * - duplicate keys in one object are an error ("duplicate object key"), compared after
 *   escapes are decoded ("a" and "\u0061" are the same key);
 * - a number without fraction or exponent is a json_integer and must fit json_int_t (64
 *   bits, else "too big integer"/"too big negative integer"); any other number is a
 *   json_real from strtod(), bit for bit jansson's; overflow to infinity is an error ("real
 *   number overflow"), underflow gives 0 or a subnormal as in jansson;
 * - arrays and objects nested deeper than max_depth (capped at SL_JSON_DEPTH_CAP) are an
 *   error, SL_E_LIMIT ("maximum parsing depth reached"); "[]" is depth 1, "[[1]]" is depth 2.
 * jansson counts scalars as one more level and stops at 2048, so with any max_depth up to 2047 both
 * judge every text nested no deeper than max_depth alike. One deliberate difference: jansson
 * silently drops a single NUL byte that directly follows a number, true, false or null ("[1\0]"
 * loads as [1]); this parser rejects every NUL byte outside a string as RFC 8259 requires.
 *
 * Never reads outside buf[0..len); buf need not be NUL-terminated and may be NULL when len
 * is 0. On success *out is a new reference. On failure *out is NULL, the status is
 * SL_E_LIMIT for the depth limit and SL_E_INVALID for everything else, and err (when not
 * NULL) holds jansson's wording of the problem, the line and column of the offending byte
 * (1-based; columns count characters, as jansson's do) and its byte offset (the input's
 * length for a premature end); err->file is empty. */
enum sl_status sl_json_parse(const char *buf, size_t len, size_t max_depth, json_t **out,
                             struct sl_error *err);

#endif
