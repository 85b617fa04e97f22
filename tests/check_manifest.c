/* manifest: documents to objects (List expansion, positions, errors) and folder expansion.
 * The reports made of them are tested in check_report.c. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/manifest.h"
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

extern Suite *suite_manifest(void);

Suite *suite_manifest(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_manifest_expands_lists_with_item_lines);
    tcase_add_test(tc, test_manifest_rejects_what_is_not_an_object);
    tcase_add_test(tc, test_manifest_expand_sorts_and_filters);
    suite_add_tcase(s, tc);
    return s;
}
