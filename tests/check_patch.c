/* patch: RFC 6901 pointer escaping, RFC 6902 patches by difference and their replay. The
 * patches are also applied by an independent implementation (the API server's own,
 * evanphx/json-patch) in the mutation tests; here each diff is checked for the exact
 * operations a reader expects, and for replaying to its target. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/patch.h"
#include "testutil.h"

Suite *suite_patch(void); /* for the runner */

START_TEST(test_patch_pointer_escapes_tilde_then_slash)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_patch_pointer_append(&b, "spec");
    sl_patch_pointer_append(&b, "a/b~c");
    sl_patch_pointer_append(&b, "~1");
    sl_patch_pointer_append(&b, "");
    ck_assert_str_eq(b.data, "/spec/a~1b~0c/~01/");
    sl_buf_cleanup(&b);
}
END_TEST

static const struct {
    const char *from, *to, *ops;
} diffs[] = {
    /* Nothing changes: no operation. */
    {"{\"a\":[1,{\"b\":null}]}", "{\"a\":[1,{\"b\":null}]}", "[]"},
    /* A missing parent is one add of the whole object. */
    {"{\"name\":\"c\"}", "{\"name\":\"c\",\"securityContext\":{\"runAsNonRoot\":true}}",
     "[{\"op\":\"add\",\"path\":\"/securityContext\",\"value\":{\"runAsNonRoot\":true}}]"},
    /* A null parent is replaced. */
    {"{\"sc\":null}", "{\"sc\":{\"x\":1}}",
     "[{\"op\":\"replace\",\"path\":\"/sc\",\"value\":{\"x\":1}}]"},
    /* An empty parent gets its member. */
    {"{\"sc\":{}}", "{\"sc\":{\"x\":false}}",
     "[{\"op\":\"add\",\"path\":\"/sc/x\",\"value\":false}]"},
    /* Array items: changed in place, appended at their index, removed from the end down. */
    {"{\"d\":[\"all\"]}", "{\"d\":[\"ALL\"]}",
     "[{\"op\":\"replace\",\"path\":\"/d/0\",\"value\":\"ALL\"}]"},
    {"{\"v\":[1]}", "{\"v\":[1,2,3]}",
     "[{\"op\":\"add\",\"path\":\"/v/1\",\"value\":2},{\"op\":\"add\",\"path\":\"/v/"
     "2\",\"value\":3}]"},
    {"{\"v\":[1,2,3]}", "{\"v\":[1]}",
     "[{\"op\":\"remove\",\"path\":\"/v/2\"},{\"op\":\"remove\",\"path\":\"/v/1\"}]"},
    /* Members in the target's order; removals after; keys escaped. */
    {"{\"a/b\":1,\"gone\":2}", "{\"a/b\":5,\"~\":[]}",
     "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":5},{\"op\":\"add\",\"path\":\"/"
     "~0\",\"value\":[]},"
     "{\"op\":\"remove\",\"path\":\"/gone\"}]"},
    /* A type change is a replace; 1 and 1.0 differ in JSON's eyes here too. */
    {"{\"x\":\"1\"}", "{\"x\":1}", "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":1}]"},
};

START_TEST(test_patch_diff_is_minimal_and_replays)
{
    json_t *from = tu_json(diffs[_i].from), *to = tu_json(diffs[_i].to);
    json_t *want = tu_json(diffs[_i].ops);
    json_t *ops = json_array();
    sl_patch_diff(from, to, "", ops);
    char *got = json_dumps(ops, JSON_COMPACT);
    ck_assert_msg(json_equal(ops, want), "case %d: %s", _i, got);
    free(got);
    json_t *doc = json_deep_copy(from);
    struct sl_error err = {0};
    ck_assert_int_eq(sl_patch_apply(&doc, ops, &err), SL_OK);
    ck_assert(json_equal(doc, to));
    json_decref(doc);
    json_decref(ops);
    json_decref(want);
    json_decref(from);
    json_decref(to);
}
END_TEST

START_TEST(test_patch_diff_prefixes_its_pointer)
{
    json_t *from = tu_json("{}"), *to = tu_json("{\"k\":1}");
    json_t *ops = json_array();
    sl_patch_diff(from, to, "/spec/template/spec", ops);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ops, 0), "path")),
                     "/spec/template/spec/k");
    json_decref(ops);
    json_decref(from);
    json_decref(to);
}
END_TEST

START_TEST(test_patch_apply_refuses_what_does_not_apply)
{
    static const char *const bad[] = {
        "[{\"op\":\"replace\",\"path\":\"/missing\",\"value\":1}]",
        "[{\"op\":\"remove\",\"path\":\"/a/5\"}]",
        "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":1}]",
        "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":1}]",
        "[{\"op\":\"add\",\"path\":\"/no/such/parent\",\"value\":1}]",
        "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]",
        "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]",
        "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"}]",
        "[{\"op\":\"add\",\"path\":\"/x\"}]",
        "[{\"op\":\"test\",\"path\":\"/a/0\",\"value\":2}]",
        "{\"op\":\"add\"}",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        json_t *doc = tu_json("{\"a\":[1,2]}");
        json_t *ops = tu_json(bad[i]);
        struct sl_error err = {0};
        ck_assert_msg(sl_patch_apply(&doc, ops, &err) == SL_E_INVALID, "%s applied", bad[i]);
        ck_assert(err.msg[0] != '\0');
        json_decref(doc);
        json_decref(ops);
    }
    /* What RFC 6902 allows: "-" appends, add on an existing member replaces it, a root
     * replace swaps the document, test compares. */
    json_t *doc = tu_json("{\"a\":[1,2],\"b\":0}");
    json_t *ops = tu_json("[{\"op\":\"test\",\"path\":\"/a/1\",\"value\":2},"
                          "{\"op\":\"add\",\"path\":\"/a/-\",\"value\":3},"
                          "{\"op\":\"add\",\"path\":\"/b\",\"value\":9},"
                          "{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]");
    ck_assert_int_eq(sl_patch_apply(&doc, ops, NULL), SL_OK);
    json_t *want = tu_json("{\"a\":[0,1,2,3],\"b\":9}");
    ck_assert(json_equal(doc, want));
    json_decref(ops);
    json_decref(want);
    ops = tu_json("[{\"op\":\"replace\",\"path\":\"\",\"value\":[true]}]");
    ck_assert_int_eq(sl_patch_apply(&doc, ops, NULL), SL_OK);
    ck_assert(json_is_array(doc) && json_is_true(json_array_get(doc, 0)));
    json_decref(ops);
    json_decref(doc);
}
END_TEST

Suite *suite_patch(void)
{
    Suite *s = suite_create("patch");
    TCase *tc = tcase_create("patch");
    tcase_add_test(tc, test_patch_pointer_escapes_tilde_then_slash);
    tcase_add_loop_test(tc, test_patch_diff_is_minimal_and_replays, 0, (int)SL_ARRAY_LEN(diffs));
    tcase_add_test(tc, test_patch_diff_prefixes_its_pointer);
    tcase_add_test(tc, test_patch_apply_refuses_what_does_not_apply);
    suite_add_tcase(s, tc);
    return s;
}
