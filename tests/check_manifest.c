/* manifest and report: documents to objects (List expansion, positions, errors), folder
 * expansion, and the text and JSON renderings of a report. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/engine.h"
#include "socklock/manifest.h"
#include "socklock/report.h"
#include "testutil.h"

static void parse_ok(const char *yaml, struct sl_manifest_file *f)
{
    struct sl_error err = {0};
    enum sl_status rc = sl_manifest_parse(yaml, strlen(yaml), "m.yaml", f, &err);
    ck_assert_msg(rc == SL_OK, "%s at %d:%d", err.msg, err.line, err.column);
}

START_TEST(test_manifest_expands_lists_with_item_lines)
{
    const char *y = "apiVersion: v1\n"
                    "kind: List\n"
                    "items:\n"
                    "- kind: Pod\n"
                    "  metadata: {name: a}\n"
                    "- kind: PodList\n"
                    "  items:\n"
                    "  - kind: Pod\n"
                    "    metadata: {name: b}\n"
                    "---\n"
                    "---\n"
                    "kind: Service\n";
    struct sl_manifest_file f;
    parse_ok(y, &f);
    ck_assert_uint_eq(f.nobjs, 3);
    ck_assert_str_eq(f.objs[0].pointer, "/items/0");
    ck_assert_int_eq(f.objs[0].line, 4);
    ck_assert_int_eq(f.objs[0].column, 3);
    ck_assert_str_eq(f.objs[1].pointer, "/items/1/items/0");
    ck_assert_int_eq(f.objs[1].line, 8);
    ck_assert_uint_eq(f.objs[1].doc, 0);
    ck_assert_str_eq(f.objs[2].pointer, "");
    ck_assert_int_eq(f.objs[2].line, 12);
    ck_assert_uint_eq(f.objs[2].doc, 1);
    ck_assert_str_eq(json_string_value(json_object_get(f.objs[2].object, "kind")), "Service");
    sl_manifest_file_cleanup(&f);
    /* A List without items is an object like any other; an empty List holds nothing. */
    parse_ok("kind: ConfigMapList\nitems: []\n", &f);
    ck_assert_uint_eq(f.nobjs, 0);
    sl_manifest_file_cleanup(&f);
}
END_TEST

static void parse_fails(const char *yaml, int line, int column, const char *part)
{
    struct sl_manifest_file f;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_manifest_parse(yaml, strlen(yaml), "m.yaml", &f, &err), SL_E_INVALID);
    ck_assert_str_eq(err.file, "m.yaml");
    ck_assert_msg(err.line == line && err.column == column, "%s at %d:%d", err.msg, err.line,
                  err.column);
    ck_assert_msg(strstr(err.msg, part) != NULL, "%s", err.msg);
    ck_assert_uint_eq(f.nobjs, 0);
}

START_TEST(test_manifest_rejects_what_is_not_an_object)
{
    parse_fails("kind: Pod\n---\n- a\n- b\n", 3, 1, "document is a sequence");
    parse_fails("--- just text\n", 1, 5, "document is a string");
    parse_fails("kind: List\nitems:\n- kind: Pod\n- 5\n", 4, 3, "list item is a number");
    parse_fails("metadata: {name: x}\n", 1, 1, "object has no kind");
}
END_TEST

START_TEST(test_manifest_expand_sorts_and_filters)
{
    struct sl_strlist l = {0};
    struct sl_error err = {0};
    ck_assert_int_eq(sl_manifest_expand("tests/fixtures/manifests/tree", &l, &err), SL_OK);
    ck_assert_uint_eq(l.len, 3);
    ck_assert_str_eq(l.items[0], "tests/fixtures/manifests/tree/a.yaml");
    ck_assert_str_eq(l.items[1], "tests/fixtures/manifests/tree/c.json");
    ck_assert_str_eq(l.items[2], "tests/fixtures/manifests/tree/sub/b.yml");
    ck_assert_int_eq(sl_manifest_expand("tests/fixtures/manifests/tree/notes.txt", &l, &err),
                     SL_OK); /* named explicitly: read whatever its extension */
    ck_assert_uint_eq(l.len, 4);
    ck_assert_int_eq(sl_manifest_expand("tests/fixtures/nope", &l, &err), SL_E_IO);
    ck_assert_str_eq(err.file, "tests/fixtures/nope");
    sl_strlist_cleanup(&l);
}
END_TEST

START_TEST(test_report_text_and_json)
{
    struct sl_report r;
    sl_report_init(&r, "default");
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    v.allowed = false;
    v.evaluated = true;
    v.code = 403;
    v.message = strdup("pod \"x\" violates profile \"default\": ...");
    sl_pss_findings_add(&v.findings, "hostNamespaces", "host namespaces", "hostNetwork=true");
    sl_report_add(&r, "a.yaml", 3, 0, "v1", "Pod", "ns", "evil\nname", true, &v);
    sl_engine_verdict_cleanup(&v);
    sl_engine_verdict_init(&v);
    sl_report_add(&r, "a.yaml", 9, 1, "v1", "Service", "ns", "svc", false, &v);
    sl_report_add(&r, "b.yaml", 1, 0, "v1", "Pod", "kube-system", "p", true, &v);
    sl_engine_verdict_cleanup(&v);
    struct sl_error e = {.line = 2, .column = 5};
    strcpy(e.file, "bad.yaml");
    strcpy(e.msg, "oops");
    sl_report_add_error(&r, &e);

    char *text = sl_report_text(&r);
    ck_assert_str_eq(text, "a.yaml:3: Pod ns/evil\\x0aname: hostNamespaces: hostNetwork=true\n"
                           "2 objects checked: 1 allowed, 1 denied (1 exempt); "
                           "1 skipped (no pod spec); 1 error\n");
    free(text);
    char *js = sl_report_json(&r);
    json_t *j = tu_json(js);
    free(js);
    json_t *want = tu_json("{\"checked\": 2, \"allowed\": 1, \"denied\": 1, \"exempt\": 1, "
                           "\"skipped\": 1, \"errors\": 1}");
    ck_assert(json_equal(json_object_get(j, "summary"), want));
    json_t *o = json_array_get(json_object_get(j, "objects"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "name")), "evil\nname");
    ck_assert_str_eq(json_string_value(json_object_get(o, "verdict")), "denied");
    ck_assert_int_eq(json_array_size(json_object_get(o, "violations")), 1);
    o = json_array_get(json_object_get(j, "objects"), 2);
    ck_assert_str_eq(json_string_value(json_object_get(o, "verdict")), "exempt");
    ck_assert(json_is_null(json_object_get(o, "message")));
    o = json_array_get(json_object_get(j, "errors"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "column")), 5);
    json_decref(want);
    json_decref(j);
    sl_report_cleanup(&r);
}
END_TEST

extern Suite *suite_manifest(void);

Suite *suite_manifest(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_manifest_expands_lists_with_item_lines);
    tcase_add_test(tc, test_manifest_rejects_what_is_not_an_object);
    tcase_add_test(tc, test_manifest_expand_sorts_and_filters);
    tcase_add_test(tc, test_report_text_and_json);
    suite_add_tcase(s, tc);
    return s;
}
