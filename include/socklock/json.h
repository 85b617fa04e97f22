/* json: a fast, strict JSON parser that builds jansson values. */
#ifndef SOCKLOCK_JSON_H
#define SOCKLOCK_JSON_H

#include <stddef.h>

#include <jansson.h>

/* The deepest nesting sl_json_parse() ever allows, whatever the caller asks for; it keeps
 * the parser's recursion (one C frame per open array or object) bounded. It equals
 * jansson's own JSON_PARSER_MAX_DEPTH. */
#define SL_JSON_DEPTH_CAP 2048

/* Where and why parsing failed. `line` and `column` are 1-based; the column counts
 * characters (UTF-8 sequences), not bytes, as jansson's does. `position` is the byte offset
 * of the offending byte (the length of the input for a premature end). */
struct sl_json_error {
    int line;
    int column;
    size_t position;
    char text[160];
};

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
 *   error ("maximum parsing depth reached"); "[]" is depth 1, "[[1]]" is depth 2. jansson
 *   counts scalars as one more level and stops at 2048, so with any max_depth up to 2047
 *   both judge every text nested no deeper than max_depth alike.
 * One deliberate difference: jansson silently drops a single NUL byte that directly
 * follows a number, true, false or null ("[1\0]" loads as [1]); this parser rejects every
 * NUL byte outside a string as RFC 8259 requires.
 *
 * Never reads outside buf[0..len); buf need not be NUL-terminated and may be NULL when len
 * is 0. Returns NULL on error and fills `err` when it is not NULL. Returns a new reference. */
json_t *sl_json_parse(const char *buf, size_t len, size_t max_depth, struct sl_json_error *err);

#endif
