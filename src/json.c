/* json: a fast, strict JSON parser that builds jansson values.
 *
 * jansson's json_loadb reads its input one byte at a time through a stream with a
 * callback, a lexer that copies every token into a growable buffer and a UTF-8 check per
 * character; on our payloads it was about 80% of the cost of answering an AdmissionReview.
 * This parser makes one pass over the bytes with a recursive descent (one C frame per open
 * array or object, bounded by the caller's depth limit) and builds the same jansson values
 * as json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY), so every consumer stays as it is.
 *
 * Where the time goes and what keeps it short:
 * - Strings are scanned eight bytes at a time while they hold only printable ASCII (a
 *   SWAR test for '"', '\\', control bytes and bytes >= 0x80); other bytes are handled one
 *   at a time, UTF-8 sequences validated in place. A string without escapes is handed to
 *   jansson straight from the input; only a string with escapes is decoded, into a scratch
 *   buffer that lives for the whole parse.
 * - Keys are checked for duplicates with json_object_getn and inserted with
 *   json_object_setn_new_nocheck: both take a length, so keys need no copy or terminator.
 * - Integers are accumulated by hand with an overflow check. Reals go through strtod() on
 *   a NUL-terminated copy of the number, as in jansson, so the bits are the same (the
 *   program never calls setlocale, so the decimal point is '.').
 *
 * Errors record a message and the offending byte; line and column are computed from the
 * input only when a parse fails. The accepted language, and the one place where it
 * deliberately differs from jansson's, is described in json.h. tests/check_json.c and
 * tests/fuzz/fuzz_json.c compare the two parsers on every input they see. */
#include "socklock/json.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

static_assert(sizeof(json_int_t) == sizeof(int64_t), "json_int_t must be 64 bits");

struct parser {
    const unsigned char *start; /* the first byte of the input */
    const unsigned char *p;     /* the next byte to read */
    const unsigned char *end;   /* one past the last byte */
    size_t depth;               /* arrays and objects open around p */
    size_t max_depth;
    char *scratch; /* decoded strings with escapes; reused, grows as needed */
    size_t top;    /* scratch[0..top) holds keys waiting for their value */
    size_t cap;
    const char *msg;             /* the first error, a static string; NULL while none */
    const unsigned char *errpos; /* the byte it is about */
    enum sl_status rc;           /* SL_E_LIMIT for the depth limit, else SL_E_INVALID */
};

/* Records an error unless one is recorded already (the innermost failure is the one that
 * explains; callers further out only pass NULL on). */
static void fail_rc(struct parser *ps, const unsigned char *at, enum sl_status rc, const char *msg)
{
    if (ps->msg == NULL) {
        ps->msg = msg;
        ps->errpos = at;
        ps->rc = rc;
    }
}

static void fail(struct parser *ps, const unsigned char *at, const char *msg)
{
    fail_rc(ps, at, SL_E_INVALID, msg);
}

static void skip_ws(struct parser *ps)
{
    const unsigned char *p = ps->p;
    while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* Returns scratch[at..at+n), making room for n more bytes at `at`. */
static char *scratch_room(struct parser *ps, size_t at, size_t n)
{
    if (ps->scratch == NULL || at + n > ps->cap) {
        size_t cap = ps->cap ? ps->cap : 256;
        while (cap < at + n)
            cap *= 2;
        ps->scratch = sl_xrealloc(ps->scratch, cap);
        ps->cap = cap;
    }
    return ps->scratch + at;
}

/* Returns the end of the valid UTF-8 sequence (of 2 to 4 bytes) that starts at p, or NULL.
 * Valid means RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF; exactly
 * what jansson's utf8_check_full accepts. */
static const unsigned char *utf8_next(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* below is overlong */
        else if (c == 0xED)
            hi = 0x9F; /* above are the surrogates U+D800..U+DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* below is overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above is past U+10FFFF */
    } else {
        return NULL; /* a continuation byte, 0xC0, 0xC1 or 0xF5..0xFF */
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return NULL;
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return NULL;
    }
    return p + n;
}

/* Reads four hex digits at p (p + 4 <= end checked by the caller); -1 if one is not. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (long)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (long)((c | 0x20) - 'a' + 10);
        else
            return -1;
    }
    return v;
}

/* Decodes the escape at *pp (a backslash) and appends it to scratch at base + *n.
 * Advances *pp past the escape. */
static bool decode_escape(struct parser *ps, const unsigned char **pp, size_t base, size_t *n)
{
    const unsigned char *p = *pp, *end = ps->end;
    if (end - p < 2) {
        fail(ps, end, "premature end of input");
        return false;
    }
    char simple = 0;
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
        simple = (char)p[1];
        break;
    case 'b':
        simple = '\b';
        break;
    case 'f':
        simple = '\f';
        break;
    case 'n':
        simple = '\n';
        break;
    case 'r':
        simple = '\r';
        break;
    case 't':
        simple = '\t';
        break;
    case 'u':
        break;
    default:
        fail(ps, p, "invalid escape");
        return false;
    }
    if (simple != 0) {
        *scratch_room(ps, base + *n, 1) = simple;
        *n += 1;
        *pp = p + 2;
        return true;
    }
    long cp = end - p >= 6 ? hex4(p + 2) : -1;
    if (cp < 0) {
        fail(ps, p, "invalid \\u escape");
        return false;
    }
    size_t used = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate must be followed by an escaped low one (RFC 8259 section 7). */
        long lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            fail(ps, p, "invalid Unicode: lone surrogate");
            return false;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        used = 12;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(ps, p, "invalid Unicode: lone surrogate");
        return false;
    } else if (cp == 0) {
        fail(ps, p, "\\u0000 is not allowed");
        return false;
    }
    char *o = scratch_room(ps, base + *n, 4);
    size_t k;
    if (cp < 0x80) {
        o[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    *n += k;
    *pp = p + used;
    return true;
}

#define ONES  0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Returns a word with bit 7 set in each byte of w that is a control byte, '"', '\\' or
 * >= 0x80, read as eight bytes in memory order on a little-endian machine. The classic
 * "has a zero byte" tests can flag a byte above a real hit (through a borrow), never below
 * one, so the lowest flag is exactly the first special byte. */
static uint64_t special_bytes(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"'), bslash = w ^ (ONES * '\\');
    uint64_t t =
        ((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) | ((bslash - ONES) & ~bslash) | w;
    return t & HIGHS;
}

/* Returns the first byte in [p, end) that is not printable ASCII other than '"' and '\\'
 * (end if none): eight bytes at a time, then one at a time near the end. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = special_bytes(w);
        if (m != 0)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}

/* Scans the string whose opening quote is at ps->p. On success *s and *n are its decoded
 * text: a pointer into the input when it had no escapes, else (*escaped) into scratch at
 * ps->top, valid only until the next string is scanned unless the caller moves ps->top past
 * it, and only until scratch grows. */
static bool scan_string(struct parser *ps, const char **s, size_t *n, bool *escaped)
{
    const unsigned char *p = ps->p + 1, *end = ps->end;
    const unsigned char *run = p; /* the start of the bytes not yet copied to scratch */
    size_t len = 0;               /* bytes in scratch at ps->top, once escaped */
    *escaped = false;
    for (;;) {
        p = skip_plain(p, end);
        if (p == end) {
            fail(ps, end, "premature end of input");
            return false;
        }
        unsigned c = *p;
        if (c == '"')
            break;
        if (c >= 0x80) {
            const unsigned char *q = utf8_next(p, end);
            if (q == NULL) {
                fail(ps, p, "invalid UTF-8");
                return false;
            }
            p = q;
        } else if (c == '\\') {
            size_t k = (size_t)(p - run);
            memcpy(scratch_room(ps, ps->top + len, k), run, k);
            len += k;
            if (!decode_escape(ps, &p, ps->top, &len))
                return false;
            run = p;
            *escaped = true;
        } else {
            fail(ps, p, c == '\n' ? "unexpected newline in string" : "control character in string");
            return false;
        }
    }
    if (*escaped) {
        size_t k = (size_t)(p - run);
        memcpy(scratch_room(ps, ps->top + len, k), run, k);
        *s = ps->scratch + ps->top;
        *n = len + k;
    } else {
        *s = (const char *)run;
        *n = (size_t)(p - run);
    }
    ps->p = p + 1;
    return true;
}

static bool is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* Parses a number (RFC 8259 section 6): an integer when it has neither fraction nor
 * exponent, else a real, as jansson decides. */
static json_t *parse_number(struct parser *ps)
{
    const unsigned char *s = ps->p, *p = s, *end = ps->end;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (!is_digit(p, end)) {
        fail(ps, s, "invalid number");
        return NULL;
    }
    uint64_t mag = 0;
    bool big = false;
    if (*p == '0') {
        p++;
        if (is_digit(p, end)) {
            fail(ps, s, "invalid number: leading zero");
            return NULL;
        }
    } else {
        for (; is_digit(p, end); p++) {
            unsigned d = *p - '0';
            if (mag > (UINT64_MAX - d) / 10)
                big = true;
            else
                mag = mag * 10 + d;
        }
    }
    bool real = false;
    if (p < end && *p == '.') {
        p++;
        if (!is_digit(p, end)) {
            fail(ps, s, "invalid number: digit expected after '.'");
            return NULL;
        }
        while (is_digit(p, end))
            p++;
        real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end)) {
            fail(ps, s, "invalid number: digit expected in exponent");
            return NULL;
        }
        while (is_digit(p, end))
            p++;
        real = true;
    }
    if (!real) {
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (big || mag > limit) {
            fail(ps, s, neg ? "too big negative integer" : "too big integer");
            return NULL;
        }
        ps->p = p;
        if (neg)
            return json_integer(mag == limit ? INT64_MIN : -(json_int_t)mag);
        return json_integer((json_int_t)mag);
    }
    /* strtod wants a terminated string; the input is neither ours nor terminated. */
    size_t n = (size_t)(p - s);
    char small[64];
    char *text = n < sizeof(small) ? small : sl_xmalloc(n + 1);
    memcpy(text, s, n);
    text[n] = '\0';
    char *stop;
    errno = 0;
    double d = strtod(text, &stop);
    bool overflow = (d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE;
    assert(stop == text + n);
    if (text != small)
        free(text);
    if (overflow) {
        fail(ps, s, "real number overflow");
        return NULL;
    }
    ps->p = p;
    return json_real(d);
}

static json_t *parse_value(struct parser *ps);

/* NOLINTNEXTLINE(misc-no-recursion): one frame per open array or object, bounded */
static json_t *parse_array(struct parser *ps)
{
    json_t *arr = json_array();
    if (arr == NULL) {
        fail(ps, ps->p, "out of memory");
        return NULL;
    }
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }
    for (;;) {
        json_t *v = parse_value(ps);
        if (v == NULL)
            goto error;
        if (json_array_append_new(arr, v) != 0) {
            fail(ps, ps->p, "cannot append to array");
            goto error;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
        } else if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return arr;
        } else {
            fail(ps, ps->p, ps->p == ps->end ? "premature end of input" : "',' or ']' expected");
            goto error;
        }
    }
error:
    json_decref(arr);
    return NULL;
}

/* One member: the key (its quote at ps->p), ':' and the value. `first` saves the search
 * for a duplicate in an empty object. */
/* NOLINTNEXTLINE(misc-no-recursion): one frame per open array or object, bounded */
static bool parse_member(struct parser *ps, json_t *obj, bool first)
{
    const unsigned char *at = ps->p;
    const char *key;
    size_t klen;
    bool in_scratch;
    if (!scan_string(ps, &key, &klen, &in_scratch))
        return false;
    if (!first && json_object_getn(obj, key, klen) != NULL) {
        fail(ps, at, "duplicate object key");
        return false;
    }
    skip_ws(ps);
    if (ps->p == ps->end || *ps->p != ':') {
        fail(ps, ps->p, ps->p == ps->end ? "premature end of input" : "':' expected");
        return false;
    }
    ps->p++;
    /* A key decoded into scratch must survive the strings of its value: reserve it. */
    size_t off = ps->top;
    if (in_scratch)
        ps->top = off + klen;
    json_t *v = parse_value(ps);
    if (in_scratch) {
        ps->top = off;
        key = ps->scratch + off;
    }
    if (v == NULL)
        return false;
    if (json_object_setn_new_nocheck(obj, key, klen, v) != 0) {
        fail(ps, at, "cannot set object member");
        return false;
    }
    return true;
}

/* NOLINTNEXTLINE(misc-no-recursion): one frame per open array or object, bounded */
static json_t *parse_object(struct parser *ps)
{
    json_t *obj = json_object();
    if (obj == NULL) {
        fail(ps, ps->p, "out of memory");
        return NULL;
    }
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }
    for (bool first = true;; first = false) {
        if (ps->p == ps->end || *ps->p != '"') {
            fail(ps, ps->p, ps->p == ps->end ? "premature end of input" : "string expected");
            goto error;
        }
        if (!parse_member(ps, obj, first))
            goto error;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
        } else if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return obj;
        } else {
            fail(ps, ps->p, ps->p == ps->end ? "premature end of input" : "',' or '}' expected");
            goto error;
        }
    }
error:
    json_decref(obj);
    return NULL;
}

static json_t *parse_literal(struct parser *ps, const char *word, size_t n, json_t *value)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        fail(ps, ps->p, "invalid token");
        return NULL;
    }
    ps->p += n;
    return value;
}

/* NOLINTNEXTLINE(misc-no-recursion): one frame per open array or object, bounded */
static json_t *parse_value(struct parser *ps)
{
    skip_ws(ps);
    if (ps->p == ps->end) {
        fail(ps, ps->p, "premature end of input");
        return NULL;
    }
    json_t *v;
    switch (*ps->p) {
    case '{':
    case '[':
        if (ps->depth >= ps->max_depth) {
            fail_rc(ps, ps->p, SL_E_LIMIT, "maximum parsing depth reached");
            return NULL;
        }
        ps->depth++;
        v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
        ps->depth--;
        return v;
    case '"': {
        const char *s;
        size_t n;
        bool escaped;
        if (!scan_string(ps, &s, &n, &escaped))
            return NULL;
        v = json_stringn_nocheck(s, n);
        if (v == NULL)
            fail(ps, ps->p, "out of memory");
        return v;
    }
    case 't':
        return parse_literal(ps, "true", 4, json_true());
    case 'f':
        return parse_literal(ps, "false", 5, json_false());
    case 'n':
        return parse_literal(ps, "null", 4, json_null());
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
        fail(ps, ps->p, "invalid token");
        return NULL;
    }
}

/* Fills err from the recorded error: line and column of the offending byte, counted from
 * the start of the input the way jansson counts (columns in characters), and its offset. */
static void set_error(const struct parser *ps, struct sl_error *err)
{
    int line = 1, column = 1;
    for (const unsigned char *q = ps->start; q < ps->errpos; q++) {
        if (*q == '\n') {
            line++;
            column = 1;
        } else if ((*q & 0xC0) != 0x80) {
            column++;
        }
    }
    sl_error_setpos(err, NULL, line, column, "%s", ps->msg);
    err->offset = (size_t)(ps->errpos - ps->start);
}

enum sl_status sl_json_parse(const char *buf, size_t len, size_t max_depth, json_t **out,
                             struct sl_error *err)
{
    /* NULL + 0 is undefined in C; an empty input gets a real address. */
    const unsigned char *start =
        buf != NULL ? (const unsigned char *)buf : (const unsigned char *)"";
    struct parser ps = {
        .start = start,
        .p = start,
        .end = start + (buf != NULL ? len : 0),
        .max_depth = max_depth < SL_JSON_DEPTH_CAP ? max_depth : SL_JSON_DEPTH_CAP,
    };
    json_t *v = parse_value(&ps);
    if (v != NULL) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            fail(&ps, ps.p, "end of file expected");
            json_decref(v);
            v = NULL;
        }
    }
    free(ps.scratch);
    *out = v;
    if (v != NULL)
        return SL_OK;
    if (err != NULL)
        set_error(&ps, err);
    return ps.rc;
}
