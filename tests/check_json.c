/* json: sl_json_parse against jansson. Every input goes through both parsers (the oracle in
 * fuzz/json_diff.h): they must agree on accepting it and, when both do, build the same
 * value with the same types and bit-identical reals. Inputs: a table of edge cases, every
 * .json file of the fixtures and of the conformance data (tests/conformance), and a
 * deterministic mutation loop over both. A few tests pin down the depth limit, error
 * positions and the one documented difference (jansson's skipped NUL). */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>
#include <jansson.h>

#include "fuzz/json_diff.h"
#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/json.h"
#include "testutil.h"

/* sl_json_parse without error detail: the value, or NULL. */
static json_t *parse(const char *buf, size_t len, size_t max_depth)
{
    json_t *v = NULL;
    enum sl_status rc = sl_json_parse(buf, len, max_depth, &v, NULL);
    ck_assert((rc == SL_OK) == (v != NULL));
    return v;
}

extern Suite *suite_json(void);

struct bytes {
    const char *s;
    size_t n;
};

#define B(lit)               \
    {                        \
        lit, sizeof(lit) - 1 \
    }

static const struct bytes edge_cases[] = {
    /* strings and escapes */
    B("\"\""),
    B("\"a\""),
    B("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
    B("\"\\u0041\\u00e9\\u20AC\\uffff\""),
    B("\"\\uD83D\\uDE00\""),
    B("\"\\ud83d\\ude00\""),
    B("\"\\uD83D\""),
    B("\"\\uDE00\""),
    B("\"\\uDE00\\uD83D\""),
    B("\"\\uD83Dx\""),
    B("\"\\uD83D\\u0041\""),
    B("\"\\uD83D\\uD83D\""),
    B("\"\\uD83D\\\"\""),
    B("\"\\uD83D\\u\""),
    B("\"\\uDBFF\\uDFFF\""),
    B("\"\\uD800\\uDC00\""),
    B("\"\\u12\""),
    B("\"\\u12G4\""),
    B("\"\\x\""),
    B("\"\\U0041\""),
    B("\"\\'\""),
    B("\"\\u0000\""),
    B("\"a\\u0000b\""),
    B("{\"\\u0000\":1}"),
    B("\"\\u0001\\u001f\\u007f\\u0080\\u07ff\\u0800\""),
    B("\"\\"),
    B("\"\\u00"),
    B("\"abc"),
    B("\""),
    B("\"abcdefghijklmnop\\\"qrstuvwxyz\""),
    B("\"abcdefgh\xc3\xa9ijklmnop\""),
    B("\"0123456\\u00e9\""),
    B("\"0123456789abcdef"),
    B("\"0123456\"7"),
    B("\"01234567\""),
    B("\"012345678\""),
    /* UTF-8, valid and not */
    B("\"\xc3\xa9\""),
    B("\"\xc0\xaf\""),
    B("\"\xc0\x80\""),
    B("\"\xc1\xbf\""),
    B("\"\xc2\x80\""),
    B("\"\xe0\x80\xaf\""),
    B("\"\xe0\x9f\xbf\""),
    B("\"\xe0\xa0\x80\""),
    B("\"\xed\xa0\x80\""),
    B("\"\xed\xbf\xbf\""),
    B("\"\xed\x9f\xbf\""),
    B("\"\xee\x80\x80\""),
    B("\"\xef\xbf\xbf\""),
    B("\"\xef\xbf\xbe\""),
    B("\"\xf0\x8f\xbf\xbf\""),
    B("\"\xf0\x90\x80\x80\""),
    B("\"\xf4\x8f\xbf\xbf\""),
    B("\"\xf4\x90\x80\x80\""),
    B("\"\xf5\x80\x80\x80\""),
    B("\"\xff\""),
    B("\"\xfe\""),
    B("\"\xf8\x88\x80\x80\x80\""),
    B("\"\xfc\x84\x80\x80\x80\x80\""),
    B("\"\x80\""),
    B("\"\xbf\""),
    B("\"\xc3\""),
    B("\"\xc3x\""),
    B("\"\xe2\x82\""),
    B("\"\xe2\x82x\""),
    B("\"\xf0\x9f\x98\""),
    B("\"\xc3"),
    B("\"\xe2\x82"),
    B("\"\xf0\x9f\x98"),
    B("\xc3\xa9"),
    B("[\xc3\xa9]"),
    B("1\xc3\xa9"),
    B("\"\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9 mixed \""),
    /* control characters raw in strings */
    B("\"a\x01"
      "b\""),
    B("\"\x1f\""),
    B("\"\t\""),
    B("\"\n\""),
    B("\"\r\""),
    B("\"\x7f\""),
    /* numbers */
    B("0"),
    B("-0"),
    B("-0.0"),
    B("0.0"),
    B("1"),
    B("1.0"),
    B("1e2"),
    B("01"),
    B("-01"),
    B("00"),
    B("1."),
    B("1.e5"),
    B(".1"),
    B("-.1"),
    B("1e"),
    B("1e+"),
    B("1e-"),
    B("1E5"),
    B("1e+5"),
    B("1e-5"),
    B("1E+05"),
    B("-"),
    B("--1"),
    B("+1"),
    B("-a"),
    B("1.5e3"),
    B("-1.5E-3"),
    B("9223372036854775807"),
    B("9223372036854775808"),
    B("-9223372036854775808"),
    B("-9223372036854775809"),
    B("18446744073709551615"),
    B("18446744073709551616"),
    B("99999999999999999999999"),
    B("-99999999999999999999999"),
    B("1e308"),
    B("1e309"),
    B("-1e309"),
    B("1e-400"),
    B("-1e-400"),
    B("4.9e-324"),
    B("2.4e-324"),
    B("2.5e-324"),
    B("1.7976931348623157e308"),
    B("1.7976931348623158e308"),
    B("1.7976931348623159e308"),
    B("2.2250738585072011e-308"),
    B("0.1"),
    B("0.30000000000000004"),
    B("1e0000000000000000001"),
    B("1e-99999999999999999999"),
    B("123456789012345678901234567890.5"),
    B("0e0"),
    B("-0e-0"),
    B("[1,-1,0.5,-0.5,1e1,1E-1]"),
    B("[0x10]"),
    B("[1true]"),
    B("1 2"),
    /* literals */
    B("true"),
    B("false"),
    B("null"),
    B("tru"),
    B("nul"),
    B("fals"),
    B("truex"),
    B("True"),
    B("NULL"),
    B("nan"),
    B("NaN"),
    B("Infinity"),
    B("-Infinity"),
    B("[true,false,null]"),
    B("[true false]"),
    B("nulltrue"),
    /* structure */
    B(""),
    B(" "),
    B(" \t\r\n "),
    B("\f1"),
    B("\v1"),
    B("[1,]"),
    B("{,}"),
    B("{\"a\":1,}"),
    B("["),
    B("]"),
    B("{"),
    B("}"),
    B("[1 2]"),
    B("{\"a\" 1}"),
    B("{\"a\":}"),
    B("{1:2}"),
    B("{\"a\":1 \"b\":2}"),
    B("[,1]"),
    B("[1,,2]"),
    B(":"),
    B(","),
    B("[]"),
    B("{}"),
    B("[[]]"),
    B("[{}]"),
    B("{\"a\":[]}"),
    B("{\"a\":{\"b\":[1,{\"c\":null}]}}"),
    B(" [ 1 , 2 ] "),
    B("\r\n{\r\n\"a\"\t:\t1\r\n}\r\n"),
    B("{\"a\":1"),
    B("{\"a\""),
    B("{\"a\":"),
    B("[1"),
    B("[1,"),
    B("{\"a\":1,"),
    B("{'a':1}"),
    B("['a']"),
    /* duplicate keys */
    B("{\"a\":1,\"a\":2}"),
    B("{\"a\":{\"b\":1,\"b\":2}}"),
    B("[{\"x\":1},{\"x\":1,\"x\":1}]"),
    B("{\"a\":1,\"\\u0061\":2}"),
    B("{\"\\u00e9\":1,\"\xc3\xa9\":2}"),
    B("{\"a\":{\"a\":1}}"),
    B("{\"\":1,\"\":2}"),
    B("{\"a\\nb\":1,\"a\\u000ab\":2}"),
    B("{\"a\":1,\"b\":2,\"a\":3}"),
    B("{\"k\\u00e9y\":\"v\\u00e9\",\"k\\u00e9z\":{\"k\\u00e9y\":\"\\t\",\"x\":[\"\\n\"]}}"),
    B("{\"\\u00e9\\u00e9\":{\"\\u00e8\":\"\\u00e7\"},\"\\u00e9\\u00e9\":0}"),
    B("{\"ab\":1,\"a\\u0062\":2}"),
    B("{\"a\":1,\"A\":2}"),
    /* trailing garbage, BOM, NUL */
    B("1x"),
    B("[]]"),
    B("{}}"),
    B("1 ,"),
    B("\"a\"\"b\""),
    B("[] x"),
    B("\xef\xbb\xbf{}"),
    B("\0"),
    B("[\0]"),
    B("{\"a\":1}\0"),
    B("[1\0]"),
    B("1\0"),
    B("1\0 "),
    B("1\0\0"),
    B("[1\0\0]"),
    B("true\0"),
    B("[null\0,false\0]"),
    B("1.5\0"),
    B("1e5\0"),
    B("\"a\0b\""),
    B("tr\0ue"),
    B("1\0"
      "2"),
    B("[\"a\"\0]"),
    B(" \0"),
};

struct tally {
    unsigned accept, reject, quirk, deep;
};

static void diff_one(const char *buf, size_t len, struct tally *t, const char *what)
{
    char why[512];
    /* An exact-size copy, so that AddressSanitizer and valgrind see any read past len. */
    char *exact = sl_xmalloc(len);
    memcpy(exact, buf, len);
    enum jd_outcome outcome = jd_compare(exact, len, why, sizeof(why));
    free(exact);
    switch (outcome) {
    case JD_BOTH_ACCEPT:
        t->accept++;
        break;
    case JD_BOTH_REJECT:
        t->reject++;
        break;
    case JD_NUL_QUIRK:
        t->quirk++;
        break;
    case JD_DEEP:
        t->deep++;
        break;
    case JD_DISAGREE: {
        char shown[200];
        size_t k = 0;
        for (size_t i = 0; i < len && k + 5 < sizeof(shown); i++) {
            unsigned char c = (unsigned char)buf[i];
            if (c >= 0x20 && c < 0x7f)
                shown[k++] = (char)c;
            else
                k += (size_t)snprintf(shown + k, sizeof(shown) - k, "\\x%02x", c);
        }
        shown[k] = '\0';
        ck_abort_msg("%s: %s; input (%zu bytes): %s", what, why, len, shown);
    }
    }
}

static void print_tally(const char *name, const struct tally *t)
{
    printf("json differential %s: %u inputs: %u both accept, %u both reject, %u jansson NUL "
           "quirk, %u nested past 2047\n",
           name, t->accept + t->reject + t->quirk + t->deep, t->accept, t->reject, t->quirk,
           t->deep);
}

/* Numbers whose text is too long for the table: many digits around the edges of double. */
static char *long_number(int which)
{
    struct {
        const char *head;
        char fill;
        int count;
        const char *tail;
    } shapes[] = {
        {"1", '0', 400, ".0"},    {"0.", '0', 400, "1"},
        {"1", '0', 30, ""},       {"-1", '0', 30, ""},
        {"0.", '3', 800, "e1"},   {"1", '9', 320, ""},
        {"1", '0', 308, ".5"},    {"1", '0', 309, ".0"},
        {"9", '9', 17, "e290"},   {"2.", '2', 100, "e-308"},
        {"4.", '9', 60, "e-324"}, {"0.000", '0', 330, "1"},
        {"1.", '0', 60, "1"},     {"17976931348623157", '0', 292, ".0"},
    };
    if (which >= (int)SL_ARRAY_LEN(shapes))
        return NULL;
    char *s = sl_xmalloc(strlen(shapes[which].head) + (size_t)shapes[which].count +
                         strlen(shapes[which].tail) + 1);
    size_t n = strlen(shapes[which].head);
    memcpy(s, shapes[which].head, n);
    memset(s + n, shapes[which].fill, (size_t)shapes[which].count);
    n += (size_t)shapes[which].count;
    memcpy(s + n, shapes[which].tail, strlen(shapes[which].tail) + 1);
    return s;
}

/* depth nested arrays ("[[...]]") or objects ({"a":{"a":...}}) around `inner`. */
static char *nested(size_t depth, bool objects, const char *inner)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < depth; i++)
        sl_buf_puts(&b, objects ? "{\"a\":" : "[");
    sl_buf_puts(&b, inner);
    for (size_t i = 0; i < depth; i++)
        sl_buf_puts(&b, objects ? "}" : "]");
    return sl_buf_detach(&b, NULL);
}

START_TEST(test_json_agrees_with_jansson_on_edge_cases)
{
    struct tally t = {0};
    for (size_t i = 0; i < SL_ARRAY_LEN(edge_cases); i++)
        diff_one(edge_cases[i].s, edge_cases[i].n, &t, "edge case");
    char *s;
    for (int i = 0; (s = long_number(i)) != NULL; i++) {
        diff_one(s, strlen(s), &t, "long number");
        free(s);
    }
    const char *inners[] = {"", "1", "\"x\"", "{}", "[]"};
    for (size_t d = 126; d <= JD_DEPTH; d++) {
        for (size_t k = 0; k < SL_ARRAY_LEN(inners); k++) {
            for (int obj = 0; obj < 2; obj++) {
                if (obj && inners[k][0] == '\0')
                    continue;
                s = nested(d - (inners[k][0] == '{' || inners[k][0] == '[' ? 1 : 0), obj,
                           inners[k]);
                diff_one(s, strlen(s), &t, "nesting");
                free(s);
            }
        }
    }
    print_tally("edge cases", &t);
    ck_assert_uint_eq(t.deep, 0);
}
END_TEST

START_TEST(test_json_keeps_integer_and_real_types)
{
    struct {
        const char *text;
        json_type type;
        double value;
    } cases[] = {
        {"1", JSON_INTEGER, 1},
        {"1.0", JSON_REAL, 1},
        {"1e2", JSON_REAL, 100},
        {"-0", JSON_INTEGER, 0},
        {"-0.0", JSON_REAL, -0.0},
        {"1E-2", JSON_REAL, 0.01},
        {"1e-400", JSON_REAL, 0},
        {"-9223372036854775808", JSON_INTEGER, -9223372036854775807.0 - 1},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        json_t *v = parse(cases[i].text, strlen(cases[i].text), 128);
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(json_typeof(v), cases[i].type);
        ck_assert(json_number_value(v) == cases[i].value);
        json_decref(v);
    }
    json_t *neg = parse("-0.0", 4, 128);
    ck_assert(signbit(json_real_value(neg)));
    json_decref(neg);
    json_t *minint = parse("-9223372036854775808", 20, 128);
    ck_assert(json_integer_value(minint) == INT64_MIN);
    json_decref(minint);
}
END_TEST

static void expect_error(const char *buf, size_t len, size_t max_depth, const char *text, int line,
                         int column, size_t position)
{
    struct sl_error e;
    memset(&e, 0x55, sizeof(e));
    json_t *v = (json_t *)&e;
    enum sl_status rc = sl_json_parse(buf, len, max_depth, &v, &e);
    ck_assert_ptr_null(v);
    /* The depth limit is the one failure callers tell apart, by status. */
    ck_assert_int_eq(rc, strstr(text, "depth") ? SL_E_LIMIT : SL_E_INVALID);
    ck_assert_msg(strstr(e.msg, text) != NULL, "error \"%s\" lacks \"%s\"", e.msg, text);
    ck_assert_str_eq(e.file, "");
    ck_assert_int_eq(e.line, line);
    ck_assert_int_eq(e.column, column);
    ck_assert_uint_eq(e.offset, position);
}

START_TEST(test_json_reports_line_and_column)
{
    const char *dup = "{\n  \"a\": 1,\n  \"a\": 2\n}";
    expect_error(dup, strlen(dup), 128, "duplicate object key", 3, 3, 14);
    const char *bad = "[1,\n 2,\n x]";
    expect_error(bad, strlen(bad), 128, "invalid token", 3, 2, 9);
    /* Columns count characters: two two-byte characters before the control byte. */
    const char *ctl = "\"\xc3\xa9\xc3\xa9\x01\"";
    expect_error(ctl, strlen(ctl), 128, "control character", 1, 4, 5);
    expect_error("", 0, 128, "premature end", 1, 1, 0);
    expect_error(NULL, 0, 128, "premature end", 1, 1, 0);
    expect_error("[1,", 3, 128, "premature end", 1, 4, 3);
    expect_error("{} x", 4, 128, "end of file expected", 1, 4, 3);
    expect_error("99999999999999999999", 20, 128, "too big integer", 1, 1, 0);
    expect_error("[-99999999999999999999]", 23, 128, "too big negative integer", 1, 2, 1);
    expect_error(" 1e400", 6, 128, "real number overflow", 1, 2, 1);
    expect_error("\xef\xbb\xbf{}", 5, 128, "invalid token", 1, 1, 0);
    expect_error("\"\\u0000\"", 8, 128, "\\u0000", 1, 2, 1);
    expect_error("\"\xed\xa0\x80\"", 5, 128, "invalid UTF-8", 1, 2, 1);
    /* The difference json.h documents: jansson loads this as [1]. */
    expect_error("[1\0]", 4, 128, "',' or ']' expected", 1, 3, 2);
    /* Only the first len bytes count, even when more follow in memory. */
    expect_error("[1]", 2, 128, "premature end", 1, 3, 2);
}
END_TEST

START_TEST(test_json_limits_depth)
{
    for (int obj = 0; obj < 2; obj++) {
        char *ok = nested(128, obj, obj ? "1" : "");
        char *deep = nested(129, obj, obj ? "1" : "");
        json_t *v = parse(ok, strlen(ok), 128);
        ck_assert_ptr_nonnull(v);
        json_decref(v);
        /* One level too many: the opening bracket of level 129 is at fault. */
        size_t at = obj ? 128 * 5 : 128;
        expect_error(deep, strlen(deep), 128, "maximum parsing depth reached", 1, (int)at + 1, at);
        /* jansson's own limit is 2048 values, so it takes what our callers refuse. */
        json_t *j = json_loadb(deep, strlen(deep), JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(j);
        json_decref(j);
        free(ok);
        free(deep);
    }
    /* Depth 0 allows scalars only. */
    json_t *v = parse("1", 1, 0);
    ck_assert_ptr_nonnull(v);
    json_decref(v);
    expect_error("[]", 2, 0, "maximum parsing depth reached", 1, 1, 0);
    /* An absurd limit is capped, so the recursion stays bounded. */
    char *cap = nested(SL_JSON_DEPTH_CAP, false, "");
    char *past = nested(SL_JSON_DEPTH_CAP + 1, false, "");
    v = parse(cap, strlen(cap), SIZE_MAX);
    ck_assert_ptr_nonnull(v);
    json_decref(v);
    expect_error(past, strlen(past), SIZE_MAX, "maximum parsing depth reached", 1,
                 SL_JSON_DEPTH_CAP + 1, SL_JSON_DEPTH_CAP);
    free(cap);
    free(past);
    /* A hostile body stops at the limit without reading the rest. */
    size_t n = 1u << 20;
    char *bomb = sl_xmalloc(n);
    memset(bomb, '[', n);
    expect_error(bomb, n, 128, "maximum parsing depth reached", 1, 129, 128);
    free(bomb);
}
END_TEST

/* Appends the .json files under dir (recursively) to *files. */
static void collect(const char *dir, char ***files, size_t *nfiles)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = sl_xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        size_t n = strlen(path);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(path, files, nfiles);
            free(path);
        } else if (n > 5 && strcmp(path + n - 5, ".json") == 0) {
            *files = sl_xrealloc(*files, (*nfiles + 1) * sizeof(**files));
            (*files)[(*nfiles)++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
}

struct corpus {
    struct bytes *items;
    size_t n;
};

static struct corpus load_corpus(void)
{
    char **files = NULL;
    size_t nfiles = 0;
    struct corpus c = {NULL, 0};
    collect("tests/fixtures", &files, &nfiles);
    size_t nfixtures = nfiles;
    /* The AdmissionReview set holds most of the conformance JSON; missing, it fails. */
    free(tu_conformance_set("admission-review", "index.tsv"));
    collect(tu_conformance_dir(), &files, &nfiles);
    ck_assert_msg(nfiles - nfixtures >= 72, "only %zu .json files under %s", nfiles - nfixtures,
                  tu_conformance_dir());
    c.items = sl_xcalloc(nfiles + 1, sizeof(*c.items));
    for (size_t i = 0; i < nfiles; i++) {
        size_t len;
        char *text = tu_read_file(files[i], &len);
        ck_assert_msg(text != NULL, "cannot read %s", files[i]);
        c.items[c.n++] = (struct bytes){text, len};
        free(files[i]);
    }
    free(files);
    return c;
}

static void free_corpus(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free((void *)(uintptr_t)c->items[i].s);
    free(c->items);
}

START_TEST(test_json_agrees_with_jansson_on_corpus)
{
    struct corpus c = load_corpus();
    ck_assert_uint_gt(c.n, 0);
    struct tally t = {0};
    for (size_t i = 0; i < c.n; i++)
        diff_one(c.items[i].s, c.items[i].n, &t, "corpus file");
    print_tally("corpus", &t);
    free_corpus(&c);
}
END_TEST

static uint64_t rng_next(uint64_t *state)
{
    /* xorshift64*: deterministic, so a failure is reproducible from its iteration. */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Du;
}

static const char *const tokens[] = {
    "\\u",     "\\uD83D", "\\uDE00",  "\\u0000", "\"",
    "{",       "}",       "[",        "]",       ",",
    ":",       "1e309",   "-",        "\xc3",    "\xed\xa0\x80",
    "true",    "null",    "\\",       "0",       "9223372036854775808",
    "1.5",     "e",       ".",        " ",       "\n",
    "\"a\":1", "\0",      "\xf4\x90",
};

static const unsigned char interesting[] = {'"',  '\\', '{',  '}',  '[', ']',  ',',  ':',  '0',
                                            '9',  '-',  'e',  '.',  'u', 0,    0x80, 0xbf, 0xc0,
                                            0xc3, 0xed, 0xf4, 0xff, ' ', '\n', 0x1f, 'n',  't'};

/* Applies one random edit to b[0..*n) (capacity cap). */
static void mutate(unsigned char *b, size_t *n, size_t cap, uint64_t *rng)
{
    uint64_t r = rng_next(rng);
    size_t at = *n ? (size_t)(rng_next(rng) % (*n + 1)) : 0;
    switch (r % 7) {
    case 0: /* flip a bit */
        if (at < *n)
            b[at] ^= (unsigned char)(1u << (rng_next(rng) % 8));
        break;
    case 1: /* overwrite a byte */
        if (at < *n)
            b[at] = interesting[rng_next(rng) % sizeof(interesting)];
        break;
    case 2: /* insert a byte */
        if (*n < cap) {
            memmove(b + at + 1, b + at, *n - at);
            b[at] = interesting[rng_next(rng) % sizeof(interesting)];
            (*n)++;
        }
        break;
    case 3: /* delete a byte */
        if (at < *n) {
            memmove(b + at, b + at + 1, *n - at - 1);
            (*n)--;
        }
        break;
    case 4: { /* delete a run */
        size_t k = (size_t)(rng_next(rng) % 16);
        if (k > *n - at)
            k = *n - at;
        memmove(b + at, b + at + k, *n - at - k);
        *n -= k;
        break;
    }
    case 5: { /* duplicate a run */
        size_t k = (size_t)(rng_next(rng) % 16);
        if (k > *n - at)
            k = *n - at;
        if (*n + k <= cap) {
            memmove(b + at + k, b + at, *n - at);
            *n += k;
        }
        break;
    }
    default: { /* insert a token */
        size_t i = (size_t)(rng_next(rng) % SL_ARRAY_LEN(tokens));
        size_t k = tokens[i][0] ? strlen(tokens[i]) : 1;
        if (*n + k <= cap) {
            memmove(b + at + k, b + at, *n - at);
            memcpy(b + at, tokens[i], k);
            *n += k;
        }
        break;
    }
    }
}

START_TEST(test_json_agrees_with_jansson_on_mutations)
{
    struct corpus c = load_corpus();
    const char *env = getenv("SOCKLOCK_JSON_MUTATIONS");
    unsigned long rounds = env && *env ? strtoul(env, NULL, 10) : 20000;
    size_t cap = 20000;
    unsigned char *b = sl_xmalloc(cap);
    uint64_t rng = 0x5eed5eed12345678u;
    struct tally t = {0};
    for (unsigned long i = 0; i < rounds; i++) {
        /* Half the inputs start from an edge case, half from a (small enough) corpus file. */
        const struct bytes *seed = &edge_cases[rng_next(&rng) % SL_ARRAY_LEN(edge_cases)];
        if (c.n > 0 && rng_next(&rng) % 2 == 0) {
            const struct bytes *f = &c.items[rng_next(&rng) % c.n];
            if (f->n <= cap / 2)
                seed = f;
        }
        size_t n = seed->n;
        memcpy(b, seed->s, n);
        int edits = 1 + (int)(rng_next(&rng) % 4);
        for (int e = 0; e < edits; e++)
            mutate(b, &n, cap, &rng);
        char what[64];
        snprintf(what, sizeof(what), "mutation %lu", i);
        diff_one((const char *)b, n, &t, what);
    }
    print_tally("mutations", &t);
    free(b);
    free_corpus(&c);
}
END_TEST

Suite *suite_json(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_json_agrees_with_jansson_on_edge_cases);
    tcase_add_test(tc, test_json_keeps_integer_and_real_types);
    tcase_add_test(tc, test_json_reports_line_and_column);
    tcase_add_test(tc, test_json_limits_depth);
    tcase_add_test(tc, test_json_agrees_with_jansson_on_corpus);
    tcase_add_test(tc, test_json_agrees_with_jansson_on_mutations);
    suite_add_tcase(s, tc);
    return s;
}
