/* yamljson_resolve: what a YAML scalar means to Kubernetes.
 *
 * kubectl and the API server read YAML through sigs.k8s.io/yaml, which decodes with go-yaml
 * v2 into interface{} values and then writes them out with encoding/json. So the rules here
 * are go-yaml v2's resolve.go (YAML 1.1 flavoured) plus what encoding/json does with the
 * result:
 *   - The first character picks the candidates. Only exact spellings from go-yaml's table
 *     are special: y Y yes Yes YES true True TRUE on On ON (true), n N no No NO false False
 *     FALSE off Off OFF (false), "" ~ null Null NULL (null), .nan .inf -.inf +.inf in three
 *     cases each (floats). "yEs" is a string.
 *   - A scalar starting with a digit or a sign is tried as Go's strconv.ParseInt(s, 0, 64)
 *     after removing every underscore (so 0x1F, 0o17, 0b101, 017 octal, 1_000), then as
 *     ParseUint, then as a float matching [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 *     ("08" is the float 8, "1e400" is out of range and stays a string).
 *   - A scalar starting with '.' is tried as a float (".5").
 *   - Timestamps stay strings: go-yaml v2 hands interface{} targets the original text.
 *   - Quoted scalars are strings; an explicit tag (!!str, !!int, ...) decides, and a value
 *     that does not fit it is an error, as in go-yaml; !!float accepts ints.
 *   - encoding/json then writes an integral float as an integer ("1.5e3" becomes 1500) and
 *     refuses NaN and infinities; map keys become strings via strconv (floats as
 *     FormatFloat(f, 'g', -1, 32)), and a null key is refused.
 */
#include "yamljson_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

#define TAG_PREFIX    "tag:yaml.org,2002:"
#define TAG_STR       TAG_PREFIX "str"
#define TAG_BOOL      TAG_PREFIX "bool"
#define TAG_INT       TAG_PREFIX "int"
#define TAG_FLOAT     TAG_PREFIX "float"
#define TAG_NULL      TAG_PREFIX "null"
#define TAG_TIMESTAMP TAG_PREFIX "timestamp"
#define TAG_BINARY    TAG_PREFIX "binary"
#define TAG_MERGE     TAG_PREFIX "merge"

/* go-yaml v2's resolve table: the spellings that are not strings. */
static const struct {
    const char *text;
    enum yj_kind kind;
    bool b;
    double f;
} special[] = {
    {"y", YJ_BOOL, true, 0},
    {"Y", YJ_BOOL, true, 0},
    {"yes", YJ_BOOL, true, 0},
    {"Yes", YJ_BOOL, true, 0},
    {"YES", YJ_BOOL, true, 0},
    {"true", YJ_BOOL, true, 0},
    {"True", YJ_BOOL, true, 0},
    {"TRUE", YJ_BOOL, true, 0},
    {"on", YJ_BOOL, true, 0},
    {"On", YJ_BOOL, true, 0},
    {"ON", YJ_BOOL, true, 0},
    {"n", YJ_BOOL, false, 0},
    {"N", YJ_BOOL, false, 0},
    {"no", YJ_BOOL, false, 0},
    {"No", YJ_BOOL, false, 0},
    {"NO", YJ_BOOL, false, 0},
    {"false", YJ_BOOL, false, 0},
    {"False", YJ_BOOL, false, 0},
    {"FALSE", YJ_BOOL, false, 0},
    {"off", YJ_BOOL, false, 0},
    {"Off", YJ_BOOL, false, 0},
    {"OFF", YJ_BOOL, false, 0},
    {"", YJ_NULL, false, 0},
    {"~", YJ_NULL, false, 0},
    {"null", YJ_NULL, false, 0},
    {"Null", YJ_NULL, false, 0},
    {"NULL", YJ_NULL, false, 0},
    {".nan", YJ_FLOAT, false, NAN},
    {".NaN", YJ_FLOAT, false, NAN},
    {".NAN", YJ_FLOAT, false, NAN},
    {".inf", YJ_FLOAT, false, INFINITY},
    {".Inf", YJ_FLOAT, false, INFINITY},
    {".INF", YJ_FLOAT, false, INFINITY},
    {"+.inf", YJ_FLOAT, false, INFINITY},
    {"+.Inf", YJ_FLOAT, false, INFINITY},
    {"+.INF", YJ_FLOAT, false, INFINITY},
    {"-.inf", YJ_FLOAT, false, -INFINITY},
    {"-.Inf", YJ_FLOAT, false, -INFINITY},
    {"-.INF", YJ_FLOAT, false, -INFINITY},
};

/* Which candidates the first character allows (go-yaml's resolveTable). */
static char hint_of(const char *s, size_t len)
{
    if (len == 0)
        return 'N';
    unsigned char c = (unsigned char)s[0];
    if (c == '+' || c == '-')
        return 'S';
    if (c >= '0' && c <= '9')
        return 'D';
    if (c == '.')
        return '.';
    if (strchr("yYnNtTfFoO~", c) != NULL && c != '\0')
        return 'M';
    return 0;
}

static bool lookup_special(const char *s, size_t len, struct yj_scalar *out)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(special); i++) {
        if (strlen(special[i].text) == len && memcmp(special[i].text, s, len) == 0) {
            out->kind = special[i].kind;
            out->b = special[i].b;
            out->f = special[i].f;
            return true;
        }
    }
    return false;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Go's strconv.ParseUint(s, 0, 64) without the sign: SL_E_INVALID for a syntax error,
 * SL_E_LIMIT when the value does not fit 64 bits. */
static enum sl_status parse_go_uint(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    unsigned base = 10;
    if (len == 0)
        return SL_E_INVALID;
    if (s[0] == '0') {
        char c = (char)(s[1] | 0x20);
        if (len >= 3 && c == 'b') {
            base = 2;
            s += 2;
        } else if (len >= 3 && c == 'o') {
            base = 8;
            s += 2;
        } else if (len >= 3 && c == 'x') {
            base = 16;
            s += 2;
        } else {
            base = 8;
            s += 1;
        }
    }
    uint64_t n = 0;
    bool range = false;
    for (; *s != '\0'; s++) {
        int d = digit_value(*s);
        if (d >= (int)base)
            return SL_E_INVALID;
        if (n > (UINT64_MAX - (uint64_t)d) / base)
            range = true;
        else
            n = n * base + (uint64_t)d;
    }
    *out = n;
    return range ? SL_E_LIMIT : SL_OK;
}

/* Go's strconv.ParseInt(s, 0, 64), with parse_go_uint's statuses. */
static enum sl_status parse_go_int(const char *s, int64_t *out)
{
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++;
    }
    uint64_t u = 0;
    enum sl_status rc = parse_go_uint(s, &u);
    if (rc != SL_OK)
        return rc;
    if (!neg && u > (uint64_t)INT64_MAX)
        return SL_E_LIMIT;
    if (neg && u > (uint64_t)INT64_MAX + 1)
        return SL_E_LIMIT;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return SL_OK;
}

static size_t span_digits(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '.') {
        size_t n = span_digits(s + 1);
        if (n == 0)
            return false;
        s += 1 + n;
    } else {
        size_t n = span_digits(s);
        if (n == 0)
            return false;
        s += n;
        if (*s == '.')
            s += 1 + span_digits(s + 1);
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        size_t n = span_digits(s);
        if (n == 0)
            return false;
        s += n;
    }
    return *s == '\0';
}

/* strtod on text already known to be a plain decimal float; false when it overflows, as Go's
 * ParseFloat returns an error there (underflow to 0 is fine in Go). */
static bool parse_float(const char *s, double *out)
{
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return false;
    if (errno == ERANGE && isinf(v))
        return false;
    *out = v;
    return true;
}

/* Resolves a plain (or int/float/bool/null tagged) scalar; as go-yaml's resolve() body. */
static void resolve_text(const char *s, size_t len, struct yj_scalar *out)
{
    out->kind = YJ_STR;
    char h = hint_of(s, len);
    if (h == 0 || memchr(s, '\0', len) != NULL)
        return;
    if (lookup_special(s, len, out))
        return;
    if (h == '.') {
        /* Go's ParseFloat on ".5" or ".5e3"; underscores are not allowed there. */
        char *t = sl_xstrndup(s, len);
        double v;
        if (yaml_style_float(t) && parse_float(t, &v)) {
            out->kind = YJ_FLOAT;
            out->f = v;
        }
        free(t);
        return;
    }
    if (h != 'D' && h != 'S')
        return;
    /* Numbers: underscores go first, everywhere, as go-yaml strips them. */
    char *plain = sl_xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '_')
            plain[n++] = s[i];
    }
    plain[n] = '\0';
    int64_t iv;
    uint64_t uv;
    double fv;
    if (n > 0 && parse_go_int(plain, &iv) == SL_OK) {
        out->kind = YJ_INT;
        out->i = iv;
    } else if (n > 0 && parse_go_uint(plain, &uv) == SL_OK) {
        out->kind = YJ_UINT;
        out->u = uv;
    } else if (yaml_style_float(plain) && parse_float(plain, &fv)) {
        out->kind = YJ_FLOAT;
        out->f = fv;
    }
    free(plain);
}

static const char *short_tag(const char *tag)
{
    static const char *const names[] = {"!!str", "!!bool", "!!int", "!!float", "!!null"};
    static const char *const longs[] = {TAG_STR, TAG_BOOL, TAG_INT, TAG_FLOAT, TAG_NULL};
    for (size_t i = 0; i < SL_ARRAY_LEN(longs); i++) {
        if (strcmp(tag, longs[i]) == 0)
            return names[i];
    }
    return tag;
}

static const char *kind_tag(enum yj_kind k)
{
    switch (k) {
    case YJ_NULL:
        return TAG_NULL;
    case YJ_BOOL:
        return TAG_BOOL;
    case YJ_INT:
    case YJ_UINT:
        return TAG_INT;
    case YJ_FLOAT:
        return TAG_FLOAT;
    case YJ_STR:
        break;
    }
    return TAG_STR;
}

bool yj_is_merge(const char *tag, const char *text, size_t len, bool plain)
{
    if (len != 2 || memcmp(text, "<<", 2) != 0)
        return false;
    return plain || (tag != NULL && strcmp(tag, TAG_MERGE) == 0);
}

enum sl_status yj_resolve(const char *tag, const char *text, size_t len, bool plain,
                          struct yj_scalar *out, struct sl_error *err)
{
    memset(out, 0, sizeof(*out));
    out->kind = YJ_STR;
    out->s = text;
    out->slen = len;
    if (tag == NULL || tag[0] == '\0') {
        /* A quoted scalar without a tag is a string; a plain one resolves. */
        if (plain)
            resolve_text(text, len, out);
        return SL_OK;
    }
    if (strcmp(tag, TAG_BINARY) == 0) {
        /* sigs.k8s.io/yaml documents !!binary as unsupported. */
        sl_error_set(err, "!!binary values are not supported; write the base64 text "
                          "without the tag");
        return SL_E_INVALID;
    }
    if (strcmp(tag, TAG_STR) == 0 || strcmp(tag, TAG_TIMESTAMP) == 0)
        return SL_OK; /* timestamps reach interface{} targets as their text */
    if (strcmp(tag, TAG_BOOL) != 0 && strcmp(tag, TAG_INT) != 0 && strcmp(tag, TAG_FLOAT) != 0 &&
        strcmp(tag, TAG_NULL) != 0)
        return SL_OK; /* a tag go-yaml cannot resolve (!foo, !!merge, ...) keeps the text */
    resolve_text(text, len, out);
    const char *rtag = kind_tag(out->kind);
    if (strcmp(rtag, tag) == 0)
        return SL_OK;
    if (strcmp(tag, TAG_FLOAT) == 0 && out->kind == YJ_INT) {
        out->kind = YJ_FLOAT;
        out->f = (double)out->i;
        return SL_OK;
    }
    sl_error_set(err, "cannot decode %s `%.*s` as a %s", short_tag(rtag),
                 (int)(len > 64 ? 64 : len), text, short_tag(tag));
    return SL_E_INVALID;
}

/* The largest magnitude below which encoding/json writes an integral float without an
 * exponent (Go switches to 'e' format at 1e21). */
#define GO_JSON_FLOAT_PLAIN_LIMIT 1e21

enum sl_status yj_scalar_json(const struct yj_scalar *sc, json_t **out, struct sl_error *err)
{
    *out = NULL;
    switch (sc->kind) {
    case YJ_NULL:
        *out = json_null();
        return SL_OK;
    case YJ_BOOL:
        *out = json_boolean(sc->b);
        return SL_OK;
    case YJ_INT:
        *out = json_integer((json_int_t)sc->i);
        return SL_OK;
    case YJ_UINT:
        /* encoding/json writes it in full; jansson (and so the webhook) cannot hold it. */
        sl_error_set(err, "integer %llu is out of range", (unsigned long long)sc->u);
        return SL_E_INVALID;
    case YJ_FLOAT:
        if (isnan(sc->f) || isinf(sc->f)) {
            sl_error_set(err, "%s cannot be represented in JSON",
                         isnan(sc->f) ? ".nan" : (sc->f > 0 ? ".inf" : "-.inf"));
            return SL_E_INVALID;
        }
        if (sc->f == floor(sc->f) && fabs(sc->f) < GO_JSON_FLOAT_PLAIN_LIMIT) {
            /* encoding/json writes 1500 for 1.5e3, which JSON readers take as an integer. */
            if (sc->f >= -9223372036854775808.0 && sc->f < 9223372036854775808.0) {
                *out = json_integer((json_int_t)sc->f);
                return SL_OK;
            }
            sl_error_set(err, "number %.0f is out of range", sc->f);
            return SL_E_INVALID;
        }
        *out = json_real(sc->f);
        return SL_OK;
    case YJ_STR:
        *out = json_stringn(sc->s, sc->slen);
        if (*out != NULL)
            return SL_OK;
        sl_error_set(err, "string is not valid UTF-8");
        return SL_E_INVALID;
    }
    sl_error_set(err, "internal error: unknown scalar kind");
    return SL_E_INTERNAL;
}

/* Go's strconv.FormatFloat(f, 'g', -1, 32): the shortest digits that read back as the same
 * float32, in %e form when the exponent is below -4 or at least 6 (Go uses 6 as the
 * precision for that choice when printing the shortest form). */
static char *go_format_float32(double d)
{
    if (isnan(d))
        return sl_xstrdup(".nan");
    if (isinf(d))
        return sl_xstrdup(d > 0 ? ".inf" : "-.inf");
    float f = (float)d;
    char buf[64];
    int digits = 1;
    for (; digits <= 9; digits++) {
        snprintf(buf, sizeof(buf), "%.*e", digits - 1, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    const char *e = strchr(buf, 'e');
    int exp = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    if (f == 0.0f)
        exp = 0;
    if (exp < -4 || exp >= 6)
        return sl_xstrdup(buf);
    int decimals = digits - 1 - exp;
    snprintf(buf, sizeof(buf), "%.*f", decimals > 0 ? decimals : 0, (double)f);
    return sl_xstrdup(buf);
}

enum sl_status yj_scalar_key(const struct yj_scalar *sc, char **out, struct sl_error *err)
{
    *out = NULL;
    switch (sc->kind) {
    case YJ_NULL:
        sl_error_set(err, "a mapping key cannot be null in JSON");
        return SL_E_INVALID;
    case YJ_BOOL:
        *out = sl_xstrdup(sc->b ? "true" : "false");
        return SL_OK;
    case YJ_INT:
        *out = sl_xasprintf("%lld", (long long)sc->i);
        return SL_OK;
    case YJ_UINT:
        /* sigs.k8s.io/yaml has no case for uint64 keys and refuses them. */
        sl_error_set(err, "unsupported mapping key %llu", (unsigned long long)sc->u);
        return SL_E_INVALID;
    case YJ_FLOAT:
        *out = go_format_float32(sc->f);
        return SL_OK;
    case YJ_STR:
        if (memchr(sc->s, '\0', sc->slen) != NULL) {
            sl_error_set(err, "a mapping key cannot contain a NUL character");
            return SL_E_INVALID;
        }
        *out = sl_xstrndup(sc->s, sc->slen);
        return SL_OK;
    }
    sl_error_set(err, "internal error: unknown scalar kind");
    return SL_E_INTERNAL;
}
