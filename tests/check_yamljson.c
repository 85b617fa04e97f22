/* yamljson: YAML to JSON values as sigs.k8s.io/yaml (go-yaml v2 resolution) makes them,
 * positions, limits and errors. Expected values are written as JSON text and compared with
 * json_equal, which tells an integer from a real. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/yamljson.h"
#include "testutil.h"

/* Loads YAML text expecting success and exactly `ndocs` documents. */
static void load_ok(const char *yaml, size_t ndocs, struct sl_yaml_stream *s)
{
    struct sl_error err = {0};
    enum sl_status rc = sl_yamljson_load(yaml, strlen(yaml), "t.yaml", s, &err);
    ck_assert_msg(rc == SL_OK, "load failed: %s at %d:%d", err.msg, err.line, err.column);
    ck_assert_uint_eq(s->len, ndocs);
}

/* Asserts that the single document of `yaml` equals the JSON text `expect`. */
static void expect_json(const char *yaml, const char *expect)
{
    struct sl_yaml_stream s;
    load_ok(yaml, 1, &s);
    json_t *want = tu_json(expect);
    char *got = json_dumps(s.docs[0].value, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    ck_assert_msg(json_equal(s.docs[0].value, want), "%s: got %s, want %s", yaml, got, expect);
    free(got);
    json_decref(want);
    sl_yamljson_stream_cleanup(&s);
}

/* Asserts that `value` (a YAML scalar written after "v: ") becomes the JSON `expect`. */
static void expect_scalar(const char *value, const char *expect)
{
    char yaml[256], want[256];
    snprintf(yaml, sizeof(yaml), "v: %s\n", value);
    snprintf(want, sizeof(want), "{\"v\": %s}", expect);
    expect_json(yaml, want);
}

/* Asserts failure with status rc, at line:column, with msg containing `part`. */
static void expect_error(const char *yaml, size_t len, enum sl_status rc, int line, int column,
                         const char *part)
{
    struct sl_yaml_stream s;
    struct sl_error err = {0};
    enum sl_status got = sl_yamljson_load(yaml, len, "bad.yaml", &s, &err);
    ck_assert_msg(got == rc, "status %d, want %d (%s)", got, rc, err.msg);
    ck_assert_uint_eq(s.len, 0);
    ck_assert_str_eq(err.file, "bad.yaml");
    ck_assert_msg(strstr(err.msg, part) != NULL, "message \"%s\" lacks \"%s\"", err.msg, part);
    if (line > 0) {
        ck_assert_msg(err.line == line && err.column == column, "%s: at %d:%d, want %d:%d", err.msg,
                      err.line, err.column, line, column);
    }
}

START_TEST(test_yamljson_booleans_in_go_yaml_spellings)
{
    static const char *const yes[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                      "True", "TRUE", "on",  "On",  "ON"};
    static const char *const no[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                     "False", "FALSE", "off", "Off", "OFF"};
    for (size_t i = 0; i < SL_ARRAY_LEN(yes); i++)
        expect_scalar(yes[i], "true");
    for (size_t i = 0; i < SL_ARRAY_LEN(no); i++)
        expect_scalar(no[i], "false");
    /* Mixed case outside go-yaml's table, and quoted forms, stay strings. */
    expect_scalar("yEs", "\"yEs\"");
    expect_scalar("tRUE", "\"tRUE\"");
    expect_scalar("\"true\"", "\"true\"");
    expect_scalar("'no'", "\"no\"");
    expect_scalar("yes please", "\"yes please\"");
}
END_TEST

START_TEST(test_yamljson_nulls)
{
    expect_scalar("~", "null");
    expect_scalar("null", "null");
    expect_scalar("Null", "null");
    expect_scalar("NULL", "null");
    expect_scalar("", "null");
    expect_scalar("nULL", "\"nULL\"");
    expect_scalar("\"\"", "\"\"");
    expect_scalar("''", "\"\"");
    expect_json("a:\nb: 1\n", "{\"a\": null, \"b\": 1}");
    expect_json("- \n- ~\n", "[null, null]");
}
END_TEST

START_TEST(test_yamljson_integers_as_go_parseint)
{
    expect_scalar("0", "0");
    expect_scalar("-17", "-17");
    expect_scalar("+17", "17");
    expect_scalar("0x1F", "31");
    expect_scalar("0X1f", "31");
    expect_scalar("-0x1F", "-31");
    expect_scalar("0o17", "15");
    expect_scalar("017", "15"); /* YAML 1.1 octal, as Go's base-0 ParseInt reads it */
    expect_scalar("-017", "-15");
    expect_scalar("0b101", "5");
    expect_scalar("1_000", "1000");
    expect_scalar("1__0_0", "100");
    expect_scalar("0x_FF", "255");
    expect_scalar("9223372036854775807", "9223372036854775807");
    expect_scalar("-9223372036854775808", "-9223372036854775808");
    /* Not ints: "08" is no octal, so go-yaml's float pattern reads it. */
    expect_scalar("08", "8");
    expect_scalar("0x", "\"0x\"");
    expect_scalar("0xZZ", "\"0xZZ\"");
    expect_scalar("12abc", "\"12abc\"");
    expect_scalar("_1", "\"_1\"");
    expect_scalar("1-2", "\"1-2\"");
    expect_scalar("2001-12-14", "\"2001-12-14\""); /* timestamps stay text */
    expect_scalar("10:30", "\"10:30\"");           /* no base-60 in go-yaml */
}
END_TEST

START_TEST(test_yamljson_floats)
{
    /* encoding/json writes integral floats without a fraction, so JSON readers (jansson in
     * the webhook) see integers. */
    expect_scalar("1.5e3", "1500");
    expect_scalar("1.0", "1");
    expect_scalar("1.", "1");
    expect_scalar("1.5", "1.5");
    expect_scalar("-0.25", "-0.25");
    expect_scalar(".5", "0.5");
    expect_scalar("+.5", "0.5");
    expect_scalar("1_000.5", "1000.5");
    expect_scalar("6.02e23", "6.02e23");
    expect_scalar("1e400", "\"1e400\""); /* out of range for ParseFloat: a string */
    expect_scalar(".", "\".\"");
    expect_scalar("1e", "\"1e\"");
    expect_scalar("!!float 3", "3");
}
END_TEST

START_TEST(test_yamljson_inf_and_nan_are_refused)
{
    static const char *const bad[] = {"v: .inf\n", "v: -.Inf\n", "v: +.INF\n", "v: .nan\n",
                                      "v: .NaN\n"};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++)
        expect_error(bad[i], strlen(bad[i]), SL_E_INVALID, 1, 4, "cannot be represented");
    /* Other spellings are plain strings. */
    expect_scalar(".iNf", "\".iNf\"");
    expect_scalar("inf", "\"inf\"");
    expect_scalar("nan", "\"nan\"");
}
END_TEST

START_TEST(test_yamljson_out_of_range_integers_are_refused)
{
    /* go-yaml makes a uint64 of it; jansson, like the webhook, cannot hold it. */
    const char *y = "v: 18446744073709551615\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 4, "out of range");
    /* Beyond uint64 it is a float, written in full by encoding/json: refused the same. */
    y = "v: 99999999999999999999\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 4, "out of range");
}
END_TEST

START_TEST(test_yamljson_strings_and_tags)
{
    expect_scalar("\"quoted 123\"", "\"quoted 123\"");
    expect_scalar("'single ''quote'''", "\"single 'quote'\"");
    expect_scalar("\"123\"", "\"123\"");
    expect_scalar("!!str 123", "\"123\"");
    expect_scalar("!!str true", "\"true\"");
    expect_scalar("!!str", "\"\"");
    expect_scalar("!!int \"12\"", "12");
    expect_scalar("!!bool \"yes\"", "true");
    expect_scalar("!!null ~", "null");
    expect_scalar("!custom 12", "\"12\"");
    expect_scalar("\"tab\\there\"", "\"tab\\there\"");
    expect_scalar("\"\\u00e9\"", "\"\\u00e9\"");
    expect_json("v: |\n  line1\n  line2\n", "{\"v\": \"line1\\nline2\\n\"}");
    expect_json("v: >-\n  folded\n  text\n", "{\"v\": \"folded text\"}");
    const char *y = "v: !!int abc\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 4, "cannot decode !!str `abc` as a !!int");
    y = "v: !!binary aGVsbG8=\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 4, "!!binary");
}
END_TEST

START_TEST(test_yamljson_keys_become_strings)
{
    expect_json("1: a\ntrue: b\nno: c\n1.5: d\n1e6: e\n0x10: f\n",
                "{\"1\": \"a\", \"true\": \"b\", "
                "\"false\": \"c\", \"1.5\": \"d\", \"1e+06\": \"e\", \"16\": \"f\"}");
    expect_json("\"on\": 1\n", "{\"on\": 1}");
    /* go-yaml v2 reads a bare y as true, keys included (the "Norway problem"). */
    expect_json("y: n\n", "{\"true\": false}");
    const char *y = "~: 1\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 1, "null");
    y = "a: 1\n[x]: 2\n";
    expect_error(y, strlen(y), SL_E_INVALID, 2, 1, "key");
    /* "on" and "true" both become the key "true": a duplicate. */
    y = "on: 1\ntrue: 2\n";
    expect_error(y, strlen(y), SL_E_INVALID, 2, 1, "duplicate mapping key \"true\"");
}
END_TEST

START_TEST(test_yamljson_comments_and_multi_docs)
{
    const char *y = "# leading comment\n"
                    "---\n"
                    "a: 1 # trailing\n"
                    "---\n"
                    "# only a comment\n"
                    "---\n"
                    "~\n"
                    "---\n"
                    "b: [1, 2]\n"
                    "...\n"
                    "---\n"
                    "- x\n";
    struct sl_yaml_stream s;
    load_ok(y, 3, &s);
    json_t *a = tu_json("{\"a\": 1}"), *b = tu_json("{\"b\": [1, 2]}"), *c = tu_json("[\"x\"]");
    ck_assert(json_equal(s.docs[0].value, a));
    ck_assert(json_equal(s.docs[1].value, b));
    ck_assert(json_equal(s.docs[2].value, c));
    ck_assert_int_eq(s.docs[0].line, 3);
    ck_assert_int_eq(s.docs[0].column, 1);
    ck_assert_int_eq(s.docs[1].line, 9);
    ck_assert_int_eq(s.docs[2].line, 12);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    sl_yamljson_stream_cleanup(&s);
    /* Nothing at all, and comments only, are streams of no documents. */
    load_ok("", 0, &s);
    load_ok("# nothing\n---\n...\n", 0, &s);
}
END_TEST

START_TEST(test_yamljson_json_input)
{
    const char *j =
        "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"spec\": {\"n\": -1.5e2, "
        "\"t\": true, \"z\": null, \"s\": \"a\\/b\\u00e9\", \"l\": [1, {\"x\": []}]}\n}\n";
    expect_json(j, "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"n\": -150, \"t\": "
                   "true, \"z\": null, \"s\": \"a/b\\u00e9\", \"l\": [1, {\"x\": []}]}}");
    const char *dup = "{\"a\": 1,\n \"a\": 2}";
    expect_error(dup, strlen(dup), SL_E_INVALID, 2, 2, "duplicate mapping key \"a\"");
}
END_TEST

START_TEST(test_yamljson_anchors_and_aliases)
{
    expect_json("base: &b {x: 1, z: [1, 2]}\ncopy: *b\nlist: [&s str, *s]\n",
                "{\"base\": {\"x\": 1, \"z\": [1, 2]}, \"copy\": {\"x\": 1, \"z\": [1, 2]}, "
                "\"list\": [\"str\", \"str\"]}");
    /* A later anchor of the same name wins; an alias may be a key. */
    expect_json("a: &k one\nb: &k two\n*k : 3\n", "{\"a\": \"one\", \"b\": \"two\", \"two\": 3}");
    const char *y = "a: *nope\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 4, "unknown anchor 'nope'");
    y = "a: &r [1, *r]\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 11, "contains itself");
    /* Anchors belong to their document. */
    y = "a: &x 1\n---\nb: *x\n";
    expect_error(y, strlen(y), SL_E_INVALID, 3, 4, "unknown anchor 'x'");
}
END_TEST

START_TEST(test_yamljson_aliases_copy_not_share)
{
    struct sl_yaml_stream s;
    load_ok("a: &m {x: 1}\nb: *m\n", 1, &s);
    json_t *a = json_object_get(s.docs[0].value, "a");
    json_t *b = json_object_get(s.docs[0].value, "b");
    ck_assert_ptr_ne(a, b);
    json_object_set_new(b, "x", json_integer(2));
    ck_assert_int_eq(json_integer_value(json_object_get(a, "x")), 1);
    sl_yamljson_stream_cleanup(&s);
}
END_TEST

START_TEST(test_yamljson_merge_keys_as_go_yaml_v2)
{
    expect_json("base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  b: 3\n",
                "{\"base\": {\"a\": 1, \"b\": 2}, \"d\": {\"a\": 1, \"b\": 3}}");
    /* In a sequence, earlier mappings take precedence. */
    expect_json("p: &p {k: p, only_p: 1}\nq: &q {k: q, only_q: 1}\nd: {<<: [*p, *q]}\n",
                "{\"p\": {\"k\": \"p\", \"only_p\": 1}, \"q\": {\"k\": \"q\", \"only_q\": 1}, "
                "\"d\": {\"k\": \"p\", \"only_p\": 1, \"only_q\": 1}}");
    /* go-yaml v2 applies keys in order: a merge after a key overrides it. */
    expect_json("d: {a: 1, <<: {a: 2}}\n", "{\"d\": {\"a\": 2}}");
    /* A quoted "<<" is an ordinary key. */
    expect_json("\"<<\": {a: 1}\n", "{\"<<\": {\"a\": 1}}");
    const char *y = "d:\n  <<: 5\n";
    expect_error(y, strlen(y), SL_E_INVALID, 2, 7, "map merge requires map");
    y = "d:\n  <<: [{a: 1}, 2]\n";
    expect_error(y, strlen(y), SL_E_INVALID, 2, 7, "map merge requires map");
    /* A key written twice is still a duplicate once a merge happened. */
    y = "d:\n  <<: {a: 1}\n  b: 1\n  b: 2\n";
    expect_error(y, strlen(y), SL_E_INVALID, 4, 3, "duplicate mapping key \"b\"");
}
END_TEST

START_TEST(test_yamljson_duplicate_key_at_second_key)
{
    const char *y = "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: false\n  hostNetwork: true\n";
    expect_error(y, strlen(y), SL_E_INVALID, 5, 3, "duplicate mapping key \"hostNetwork\"");
}
END_TEST

START_TEST(test_yamljson_invalid_yaml_position)
{
    const char *y = "a: 1\nb: [1, 2\nc: 3\n";
    struct sl_yaml_stream s;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_yamljson_load(y, strlen(y), "bad.yaml", &s, &err), SL_E_INVALID);
    ck_assert_str_eq(err.file, "bad.yaml");
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_gt(err.column, 0);
    y = "a: 1\n  b: 2\n";
    expect_error(y, strlen(y), SL_E_INVALID, 2, 4, "mapping values are not allowed");
    y = "a: \"unterminated\n";
    expect_error(y, strlen(y), SL_E_INVALID, 2, 1,
                 "found unexpected end of stream (while scanning a quoted scalar at line 1)");
    y = "a: \xff\xfe\n";
    expect_error(y, strlen(y), SL_E_INVALID, 1, 4, "UTF-8");
    char msg[600];
    struct sl_error e2 = {0};
    sl_yamljson_load("k: [\n", 5, "f.yaml", &s, &e2);
    sl_error_format(&e2, msg, sizeof(msg));
    ck_assert_msg(strncmp(msg, "f.yaml:2:1: ", 12) == 0, "%s", msg);
}
END_TEST

/* Builds "[[[...]]]" `depth` deep, or block mappings when `block`. */
static char *nested(int depth, bool block)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < depth; i++) {
        if (block)
            sl_buf_printf(&b, "%*sk%d:\n", i, "", i);
        else
            sl_buf_puts(&b, "[");
    }
    if (block)
        sl_buf_printf(&b, "%*sleaf: 1\n", depth, "");
    for (int i = 0; i < depth && !block; i++)
        sl_buf_puts(&b, "]");
    return sl_buf_detach(&b, NULL);
}

START_TEST(test_yamljson_depth_limit)
{
    char *ok = nested(SL_YAML_MAX_DEPTH, false);
    struct sl_yaml_stream s;
    load_ok(ok, 1, &s);
    sl_yamljson_stream_cleanup(&s);
    free(ok);
    char *deep = nested(SL_YAML_MAX_DEPTH + 1, false);
    expect_error(deep, strlen(deep), SL_E_LIMIT, 1, SL_YAML_MAX_DEPTH + 1, "nested too deeply");
    free(deep);
    /* 63 block mappings plus the leaf mapping: 64 levels. */
    char *block = nested(SL_YAML_MAX_DEPTH - 1, true);
    load_ok(block, 1, &s);
    sl_yamljson_stream_cleanup(&s);
    free(block);
    block = nested(SL_YAML_MAX_DEPTH, true);
    expect_error(block, strlen(block), SL_E_LIMIT, SL_YAML_MAX_DEPTH + 1, SL_YAML_MAX_DEPTH + 1,
                 "nested too deeply");
    free(block);
    /* 100,000 levels of flow nesting end at once (libyaml is quadratic there). */
    char *huge = nested(100000, false);
    expect_error(huge, strlen(huge), SL_E_LIMIT, 1, SL_YAML_MAX_DEPTH + 1, "nested too deeply");
    free(huge);
}
END_TEST

START_TEST(test_yamljson_billion_laughs)
{
    const char *y =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    ck_assert_int_lt(strlen(y), 400);
    expect_error(y, strlen(y), SL_E_LIMIT, 0, 0, "aliases expand too far");
}
END_TEST

START_TEST(test_yamljson_long_document)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_puts(&b, "items:\n");
    for (int i = 0; i < 20000; i++)
        sl_buf_printf(&b, "- {name: item-%d, value: %d, on: yes}\n", i, i);
    struct sl_yaml_stream s;
    load_ok(b.data, 1, &s);
    json_t *items = json_object_get(s.docs[0].value, "items");
    ck_assert_uint_eq(json_array_size(items), 20000);
    json_t *last = json_array_get(items, 19999);
    ck_assert_int_eq(json_integer_value(json_object_get(last, "value")), 19999);
    ck_assert(json_is_true(json_object_get(last, "true")));
    struct sl_yaml_pos pos;
    ck_assert_int_eq(sl_yamljson_find(&s.docs[0], "/items/19999", &pos, NULL), SL_OK);
    ck_assert_int_eq(pos.line, 20001);
    ck_assert_int_eq(pos.column, 3);
    sl_yamljson_stream_cleanup(&s);
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_yamljson_find_positions)
{
    const char *y = "---\n"
                    "kind: List\n"
                    "items:\n"
                    "  - kind: Pod\n"
                    "    metadata: {name: a}\n"
                    "  - kind: Pod\n"
                    "    metadata:\n"
                    "      name: \"b/~\"\n"
                    "      labels: &l {x: y}\n"
                    "    copy: *l\n";
    struct sl_yaml_stream s;
    load_ok(y, 1, &s);
    const struct sl_yaml_doc *d = &s.docs[0];
    struct sl_yaml_pos p;
    ck_assert_int_eq(d->line, 2);
    ck_assert_int_eq(sl_yamljson_find(d, "", &p, NULL), SL_OK);
    ck_assert_int_eq(p.line, 2);
    ck_assert_int_eq(sl_yamljson_find(d, "/items/1", &p, NULL), SL_OK);
    ck_assert_int_eq(p.line, 6);
    ck_assert_int_eq(p.column, 5);
    ck_assert_int_eq(p.key_line, 0);
    ck_assert_int_eq(sl_yamljson_find(d, "/items/1/metadata/name", &p, NULL), SL_OK);
    ck_assert_int_eq(p.line, 8);
    ck_assert_int_eq(p.column, 13);
    ck_assert_int_eq(p.key_line, 8);
    ck_assert_int_eq(p.key_column, 7);
    ck_assert_int_eq(sl_yamljson_find(d, "/items/0/metadata/name", &p, NULL), SL_OK);
    ck_assert_int_eq(p.line, 5);
    /* Inside an alias copy: the alias itself is the best answer. */
    ck_assert_int_eq(sl_yamljson_find(d, "/items/1/copy/x", &p, NULL), SL_E_NOTFOUND);
    ck_assert_int_eq(p.line, 10);
    ck_assert_int_eq(p.column, 11);
    /* A path that does not exist: its deepest existing ancestor. */
    ck_assert_int_eq(sl_yamljson_find(d, "/items/1/spec/containers", &p, NULL), SL_E_NOTFOUND);
    ck_assert_int_eq(p.line, 6);
    ck_assert_int_eq(sl_yamljson_find(d, "/items/7", &p, NULL), SL_E_NOTFOUND);
    ck_assert_int_eq(p.line, 4); /* the sequence's value starts at its first "-" */
    ck_assert_int_eq(p.column, 3);
    ck_assert_int_eq(p.key_line, 3);
    ck_assert_int_eq(p.key_column, 1);
    sl_yamljson_stream_cleanup(&s);
}
END_TEST

START_TEST(test_yamljson_non_mapping_documents_are_kept)
{
    struct sl_yaml_stream s;
    load_ok("--- 5\n--- [a]\n--- text\n", 3, &s);
    ck_assert(json_is_integer(s.docs[0].value));
    ck_assert(json_is_array(s.docs[1].value));
    ck_assert(json_is_string(s.docs[2].value));
    sl_yamljson_stream_cleanup(&s);
}
END_TEST

extern Suite *suite_yamljson(void);

Suite *suite_yamljson(void)
{
    Suite *s = suite_create("yamljson");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_yamljson_booleans_in_go_yaml_spellings);
    tcase_add_test(tc, test_yamljson_nulls);
    tcase_add_test(tc, test_yamljson_integers_as_go_parseint);
    tcase_add_test(tc, test_yamljson_floats);
    tcase_add_test(tc, test_yamljson_inf_and_nan_are_refused);
    tcase_add_test(tc, test_yamljson_out_of_range_integers_are_refused);
    tcase_add_test(tc, test_yamljson_strings_and_tags);
    tcase_add_test(tc, test_yamljson_keys_become_strings);
    tcase_add_test(tc, test_yamljson_comments_and_multi_docs);
    tcase_add_test(tc, test_yamljson_json_input);
    tcase_add_test(tc, test_yamljson_anchors_and_aliases);
    tcase_add_test(tc, test_yamljson_aliases_copy_not_share);
    tcase_add_test(tc, test_yamljson_merge_keys_as_go_yaml_v2);
    tcase_add_test(tc, test_yamljson_duplicate_key_at_second_key);
    tcase_add_test(tc, test_yamljson_invalid_yaml_position);
    tcase_add_test(tc, test_yamljson_depth_limit);
    tcase_add_test(tc, test_yamljson_billion_laughs);
    tcase_add_test(tc, test_yamljson_long_document);
    tcase_add_test(tc, test_yamljson_find_positions);
    tcase_add_test(tc, test_yamljson_non_mapping_documents_are_kept);
    suite_add_tcase(s, tc);
    return s;
}
