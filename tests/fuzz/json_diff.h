/* json_diff: the differential oracle for sl_json_parse, shared by tests/check_json.c and
 * tests/fuzz/fuzz_json.c. It parses the same bytes with sl_json_parse and with jansson's
 * json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) and demands the same verdict and,
 * when both accept, equal values of the same types with bit-identical reals and keys in the
 * same order. Header-only (static inline) so the fuzz target needs no test runner.
 *
 * Two documented differences are told apart rather than reported (see json.h):
 * - jansson drops one NUL byte directly after a number or literal; when sl_json_parse
 *   rejects exactly such a byte while jansson accepts, the byte is removed and our parser
 *   must then agree with jansson's verdict on the original (JD_NUL_QUIRK);
 * - the depth limits differ (ours counts containers, up to the caller's limit; jansson
 *   counts values, up to 2048); past JD_DEPTH the comparison is repeated with our limit at
 *   2047, where both agree, and only nesting past that is left uncompared (JD_DEEP). */
#ifndef SOCKLOCK_JSON_DIFF_H
#define SOCKLOCK_JSON_DIFF_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/json.h"

#define JD_DEPTH    128 /* what socklock's callers pass */
#define JD_DEPTH_HI 2047

enum jd_outcome {
    JD_BOTH_ACCEPT,
    JD_BOTH_REJECT,
    JD_NUL_QUIRK, /* agreed after removing the NUL bytes jansson skips */
    JD_DEEP,      /* nesting past JD_DEPTH_HI: rejected by us, not compared */
    JD_DISAGREE,
};

/* True when a and b are the same value: same types (integer is not real), same integers,
 * reals bit for bit, strings byte for byte, object keys in the same order. */
static inline bool jd_same(json_t *a, json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        void *ia = json_object_iter(a), *ib = json_object_iter(b);
        for (; ia != NULL && ib != NULL;
             ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
            size_t n = json_object_iter_key_len(ia);
            if (n != json_object_iter_key_len(ib) ||
                memcmp(json_object_iter_key(ia), json_object_iter_key(ib), n) != 0 ||
                !jd_same(json_object_iter_value(ia), json_object_iter_value(ib)))
                return false;
        }
        return ia == NULL && ib == NULL;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++) {
            if (!jd_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        }
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof(x)) == 0;
    }
    default:
        return true; /* true, false and null are singletons of their type */
    }
}

static inline bool jd_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool jd_error_sane(const struct sl_error *e, size_t len)
{
    return e->line >= 1 && e->column >= 1 && e->offset <= len && e->msg[0] != '\0' &&
           memchr(e->msg, '\0', sizeof(e->msg)) != NULL && e->file[0] == '\0';
}

/* sl_json_parse with socklock's limit, and again with the highest limit at which it still
 * agrees with jansson when that was too low. *deep says the input nests past both. */
static inline json_t *jd_ours(const char *buf, size_t len, struct sl_error *se, bool *deep)
{
    json_t *v = NULL;
    enum sl_status rc = sl_json_parse(buf, len, JD_DEPTH, &v, se);
    if (rc == SL_E_LIMIT)
        rc = sl_json_parse(buf, len, JD_DEPTH_HI, &v, se);
    *deep = rc == SL_E_LIMIT;
    return v;
}

/* Compares the parsers on buf[0..len). On JD_DISAGREE `why` says how. */
static inline enum jd_outcome jd_compare(const char *buf, size_t len, char *why, size_t size)
{
    enum jd_outcome out = JD_BOTH_ACCEPT;
    json_error_t je;
    json_t *jv = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    struct sl_error se;
    bool deep;
    json_t *sv = jd_ours(buf, len, &se, &deep);
    char *copy = NULL;
    const char *cur = buf;
    size_t clen = len;
    why[0] = '\0';
    while (jv != NULL && sv == NULL && !deep && se.offset > 0 && se.offset < clen &&
           cur[se.offset] == '\0' && jd_alnum(cur[se.offset - 1])) {
        if (copy == NULL) {
            copy = malloc(len);
            if (copy == NULL)
                abort();
            memcpy(copy, buf, len);
            cur = copy;
        }
        memmove(copy + se.offset, copy + se.offset + 1, clen - se.offset - 1);
        clen--;
        sv = jd_ours(cur, clen, &se, &deep);
        out = JD_NUL_QUIRK;
    }
    if (deep) {
        out = JD_DEEP;
    } else if (sv == NULL && !jd_error_sane(&se, clen)) {
        snprintf(why, size, "bad error report: line %d column %d position %zu of %zu", se.line,
                 se.column, se.offset, clen);
        out = JD_DISAGREE;
    } else if (jv == NULL && sv == NULL) {
        out = JD_BOTH_REJECT;
    } else if (jv == NULL) {
        snprintf(why, size, "jansson rejects (%s at %d:%d) but sl_json_parse accepts", je.text,
                 je.line, je.column);
        out = JD_DISAGREE;
    } else if (sv == NULL) {
        snprintf(why, size, "jansson accepts but sl_json_parse rejects (%.160s at %d:%d)", se.msg,
                 se.line, se.column);
        out = JD_DISAGREE;
    } else if (!json_equal(jv, sv) || !jd_same(jv, sv)) {
        snprintf(why, size, "both accept, values differ");
        out = JD_DISAGREE;
    }
    json_decref(jv);
    json_decref(sv);
    free(copy);
    return out;
}

#endif
