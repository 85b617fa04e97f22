/* fix: `socklock fix` on text. What a reader of the fixed file sees: the bytes unchanged when
 * nothing is to fix; otherwise the lines added at the block's indentation, a scalar rewritten
 * in its own quoting, the document left alone (and reported) where a text edit is not safe;
 * the patch is the one /mutate sends. The unified diff: exact output for small cases, and a
 * property over random texts (the diff, applied by a small applier here, gives the new text).
 * Golden files and the command line: tests/cli/fix_cli.sh; the conformance data:
 * tests/cli/fix_conformance.sh. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/engine.h"
#include "socklock/fix.h"
#include "socklock/policy.h"
#include "socklock/yamljson.h"
#include "testutil.h"

Suite *suite_fix(void); /* for the runner */

static struct sl_policy *pol;

static void setup(void)
{
    pol = sl_policy_new_default();
}

static void teardown(void)
{
    sl_policy_free(pol);
}

/* Fixes text under the default profile (templates as given); the result in *r. */
static enum sl_status fix(const char *text, bool templates, struct sl_fix_result *r,
                          struct sl_error *err)
{
    struct sl_fix_opts o = {
        .profile = sl_policy_find(pol, "default"), .templates = templates, .keep_patches = true};
    return sl_fix_text(&o, text, strlen(text), "t.yaml", r, err);
}

static const char pod[] = "apiVersion: v1\n"
                          "kind: Pod\n"
                          "metadata:\n"
                          "  name: p  # the name\n"
                          "spec:\n"
                          "  containers:\n"
                          "  - name: a\n"
                          "    image: nginx\n"
                          "    securityContext:\n"
                          "      capabilities:\n"
                          "        drop: ['all']\n"
                          "# the end\n";

START_TEST(test_fix_adds_lines_and_rewrites_scalars_in_their_quotes)
{
    struct sl_fix_result r;
    struct sl_error err = {0};
    ck_assert_int_eq(fix(pod, true, &r, &err), SL_OK);
    ck_assert(r.changed);
    ck_assert_str_eq(r.text, "apiVersion: v1\n"
                             "kind: Pod\n"
                             "metadata:\n"
                             "  name: p  # the name\n"
                             "spec:\n"
                             "  containers:\n"
                             "  - name: a\n"
                             "    image: nginx\n"
                             "    securityContext:\n"
                             "      capabilities:\n"
                             "        drop: ['ALL']\n"
                             "      allowPrivilegeEscalation: false\n"
                             "      readOnlyRootFilesystem: true\n"
                             "    volumeMounts:\n"
                             "    - name: socklock-tmp\n"
                             "      mountPath: /tmp\n"
                             "  securityContext:\n"
                             "    runAsNonRoot: true\n"
                             "    seccompProfile:\n"
                             "      type: RuntimeDefault\n"
                             "  volumes:\n"
                             "  - name: socklock-tmp\n"
                             "    emptyDir: {}\n"
                             "# the end\n");
    ck_assert_uint_eq(r.replaced_scalars, 1);
    ck_assert_uint_eq(r.inserted_lines, 12);
    ck_assert_uint_eq(r.removed_lines, 0);
    ck_assert_uint_eq(r.nobjs, 1);
    ck_assert_int_eq(r.objs[0].outcome, SL_FIX_FIXED);
    ck_assert_str_eq(r.objs[0].kind, "Pod");
    ck_assert_str_eq(r.objs[0].name, "p");
    ck_assert_int_eq(r.objs[0].line, 1);
    ck_assert_ptr_null(r.objs[0].why);
    sl_fix_result_cleanup(&r);
}
END_TEST

/* The patch is /mutate's for a pod, and for a template only when templates are asked for. */
START_TEST(test_fix_patch_is_the_webhooks)
{
    const struct sl_profile *prof = sl_policy_find(pol, "default");
    struct sl_yaml_stream s;
    ck_assert_int_eq(sl_yamljson_load(pod, strlen(pod), "t", &s, NULL), SL_OK);
    const json_t *obj = s.docs[0].value;
    char group[64];
    struct sl_request req;
    sl_engine_request_create(obj, group, sizeof(group), &req);
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    sl_engine_mutate(prof, &req, &v);
    json_t *patch = sl_fix_patch(prof, false, obj);
    ck_assert_ptr_nonnull(v.patch);
    ck_assert(json_equal(patch, v.patch));
    json_decref(patch);
    sl_engine_verdict_cleanup(&v);
    sl_yamljson_stream_cleanup(&s);

    json_t *dep =
        tu_json_sq("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},"
                   "'spec':{'template':{'spec':{'containers':[{'name':'a','image':'x'}]}}}}");
    ck_assert_ptr_null(sl_fix_patch(prof, false, dep));
    patch = sl_fix_patch(prof, true, dep);
    ck_assert_ptr_nonnull(patch);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(patch, 0), "path")),
                     "/spec/template/spec/containers/0/securityContext");
    json_decref(patch);
    /* An exempt namespace (kube-system in the default policy) gets nothing. */
    json_object_set_new(json_object_get(dep, "metadata"), "namespace", json_string("kube-system"));
    ck_assert_ptr_null(sl_fix_patch(prof, true, dep));
    json_decref(dep);
}
END_TEST

START_TEST(test_fix_keeps_the_bytes_when_nothing_is_to_fix)
{
    static const char *const texts[] = {
        "# only a comment\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 'b'}   \n",
        /* Exempt: the default policy exempts kube-system. */
        "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p, namespace: kube-system}\r\n"
        "spec: {containers: [{name: a, image: x}]}",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(texts); i++) {
        struct sl_fix_result r;
        ck_assert_int_eq(fix(texts[i], true, &r, NULL), SL_OK);
        ck_assert(!r.changed);
        ck_assert_uint_eq(r.len, strlen(texts[i]));
        ck_assert_mem_eq(r.text, texts[i], r.len);
        ck_assert_uint_eq(r.nobjs, 0);
        sl_fix_result_cleanup(&r);
    }
}
END_TEST

/* A template is left as it is without templates; the Deployment is then not an object to fix. */
START_TEST(test_fix_templates_only_when_asked)
{
    const char *dep =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n"
        "  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n";
    struct sl_fix_result r;
    ck_assert_int_eq(fix(dep, false, &r, NULL), SL_OK);
    ck_assert(!r.changed);
    ck_assert_uint_eq(r.nobjs, 0);
    sl_fix_result_cleanup(&r);
    ck_assert_int_eq(fix(dep, true, &r, NULL), SL_OK);
    ck_assert(r.changed);
    ck_assert_ptr_nonnull(strstr(r.text,
                                 "      - name: a\n        image: x\n        securityContext:\n"
                                 "          allowPrivilegeEscalation: false\n"));
    sl_fix_result_cleanup(&r);
}
END_TEST

/* Where a text edit is not safe the document stays as written and says why; the other
 * documents are still fixed. */
static const struct {
    const char *doc, *why;
} by_hand[] = {
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
     "  - {name: a, image: x}\n",
     "an insertion into a flow collection at /spec/containers/0"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
     "    image: x\n    securityContext: &sc\n      runAsNonRoot: true\n",
     "an insertion into an anchored, aliased or merged node at /spec/containers/0/securityContext"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
     "    image: x\n    securityContext:\n      capabilities:\n        drop: &d [all]\n",
     "a change to an anchored, aliased or merged node at /spec/containers/0/securityContext/"
     "capabilities/drop/0"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - <<: {name: a}\n"
     "    image: x\n",
     "an insertion into an anchored, aliased or merged node at /spec/containers/0"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
     "    image: x\n    securityContext:\n      capabilities:\n        drop:\n        - >-\n"
     "          all\n",
     "a value that is not a plain or quoted scalar at /spec/containers/0/securityContext/"
     "capabilities/drop/0"},
};

START_TEST(test_fix_leaves_unsafe_documents_for_a_fix_by_hand)
{
    const char *other = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n"
                        "  containers:\n  - name: b\n    image: y\n";
    char *text = sl_xasprintf("%s%s", by_hand[_i].doc, other);
    struct sl_fix_result r;
    ck_assert_int_eq(fix(text, true, &r, NULL), SL_OK);
    ck_assert_uint_eq(r.nobjs, 2);
    ck_assert_int_eq(r.objs[0].outcome, SL_FIX_BY_HAND);
    ck_assert_str_eq(r.objs[0].why, by_hand[_i].why);
    ck_assert_ptr_nonnull(r.objs[0].patch);
    ck_assert_int_eq(r.objs[1].outcome, SL_FIX_FIXED);
    /* The first document is as it was, byte for byte. */
    ck_assert(r.changed);
    ck_assert_mem_eq(r.text, text, strlen(by_hand[_i].doc));
    free(text);
    sl_fix_result_cleanup(&r);
}
END_TEST

START_TEST(test_fix_reports_unreadable_text)
{
    struct sl_fix_result r;
    struct sl_error err = {0};
    ck_assert_int_eq(fix("kind: Pod\nspec: [\n", true, &r, &err), SL_E_INVALID);
    ck_assert_str_eq(err.file, "t.yaml");
    ck_assert_int_eq(err.line, 3);
    sl_fix_result_cleanup(&r);
    ck_assert_int_eq(fix("- 1\n- 2\n", true, &r, &err), SL_E_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a Kubernetes object"));
    sl_fix_result_cleanup(&r);
}
END_TEST

/* JSON stays JSON, in its indentation, with its final newline. */
START_TEST(test_fix_writes_json_back_as_json)
{
    const char *text = "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Pod\",\n"
                       "    \"metadata\": {\n        \"name\": \"j\"\n    },\n"
                       "    \"spec\": {\n        \"containers\": [\n"
                       "            {\n                \"name\": \"a\",\n"
                       "                \"image\": \"x\"\n            }\n        ]\n    }\n}\n";
    struct sl_fix_result r;
    ck_assert_int_eq(fix(text, true, &r, NULL), SL_OK);
    ck_assert(r.changed);
    json_t *v = json_loadb(r.text, r.len, 0, NULL);
    ck_assert_ptr_nonnull(v);
    ck_assert(json_is_false(json_object_get(
        json_object_get(
            json_array_get(json_object_get(json_object_get(v, "spec"), "containers"), 0),
            "securityContext"),
        "allowPrivilegeEscalation")));
    json_decref(v);
    const char *head = "{\n    \"apiVersion\": \"v1\",\n";
    ck_assert_mem_eq(r.text, head, strlen(head));
    ck_assert_str_eq(r.text + r.len - 3, "\n}\n");
    sl_fix_result_cleanup(&r);
}
END_TEST

/* ---- diff ---- */

START_TEST(test_fix_diff_exact)
{
    char *d = sl_fix_diff("f", "a\nb\n", 4, "a\nb\n", 4);
    ck_assert_str_eq(d, "");
    free(d);
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
    const char *b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nseventeen";
    d = sl_fix_diff("dir/f.yaml", a, strlen(a), b, strlen(b));
    ck_assert_str_eq(d, "--- a/dir/f.yaml\n+++ b/dir/f.yaml\n"
                        "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
                        "@@ -14,3 +14,4 @@\n 14\n 15\n 16\n+seventeen\n"
                        "\\ No newline at end of file\n");
    free(d);
    d = sl_fix_diff("/abs", "", 0, "x\n", 2);
    ck_assert_str_eq(d, "--- /abs\n+++ /abs\n@@ -0,0 +1 @@\n+x\n");
    free(d);
    d = sl_fix_diff("f", "x", 1, "x\n", 2);
    ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n");
    free(d);
}
END_TEST

/* Applies the hunks of diff d to text a; NULL when they do not fit. */
static char *apply(const char *a, const char *d)
{
    struct sl_buf out;
    sl_buf_init(&out, 0);
    (void)sl_buf_puts(&out, "");
    const char *at = a; /* the next line of a not yet copied */
    size_t line = 1;    /* its number */
    const char *p = strstr(d, "\n@@");
    p = p != NULL ? p + 1 : d + strlen(d);
    while (*p == '@') {
        unsigned long start = strtoul(p + 4, NULL, 10), count = 1;
        const char *comma = strchr(p + 4, ','), *space = strchr(p + 4, ' ');
        if (comma != NULL && comma < space)
            count = strtoul(comma + 1, NULL, 10);
        if (count == 0)
            start++;
        for (; line < start; line++) {
            const char *nl = strchr(at, '\n');
            size_t n = nl != NULL ? (size_t)(nl - at) + 1 : strlen(at);
            (void)sl_buf_append(&out, at, n);
            at += n;
        }
        p = strchr(p, '\n') + 1;
        while (*p == ' ' || *p == '-' || *p == '+') {
            const char *nl = strchr(p, '\n');
            size_t n = (size_t)(nl - p); /* without the '\n' */
            bool eol = strncmp(nl + 1, "\\ No newline", 12) != 0;
            const char *next = eol ? nl + 1 : strchr(nl + 1, '\n') + 1;
            if (*p != '+') {
                if (strncmp(at, p + 1, n - 1) != 0 ||
                    (eol ? at[n - 1] != '\n' : at[n - 1] != '\0')) {
                    sl_buf_cleanup(&out);
                    return NULL;
                }
                at += n - 1 + eol;
                line++;
            }
            if (*p != '-') {
                (void)sl_buf_append(&out, p + 1, n - 1);
                if (eol)
                    (void)sl_buf_puts(&out, "\n");
            }
            p = next;
        }
    }
    (void)sl_buf_puts(&out, at);
    return sl_buf_detach(&out, NULL);
}

/* A random text of up to n lines from a small alphabet, so lines repeat. */
static char *random_text(unsigned *seed, size_t n)
{
    static const char *const words[] = {"a", "b", "c", "- x", "  y: 1", ""};
    struct sl_buf b;
    sl_buf_init(&b, 0);
    (void)sl_buf_puts(&b, "");
    size_t lines = (size_t)rand_r(seed) % (n + 1);
    for (size_t i = 0; i < lines; i++)
        (void)sl_buf_printf(&b, "%s\n", words[rand_r(seed) % SL_ARRAY_LEN(words)]);
    if (b.len > 0 && rand_r(seed) % 4 == 0)
        b.data[--b.len] = '\0'; /* no final newline */
    return sl_buf_detach(&b, NULL);
}

START_TEST(test_fix_diff_applies_to_give_the_new_text)
{
    unsigned seed = 12345;
    for (int i = 0; i < 2000; i++) {
        char *a = random_text(&seed, 40);
        char *b = rand_r(&seed) % 3 == 0 ? random_text(&seed, 40) : sl_xstrdup(a);
        /* Mostly small edits of a, as fix makes. */
        if (strcmp(a, b) == 0 && rand_r(&seed) % 2 == 0) {
            free(b);
            b = sl_xasprintf("%.*sinserted\n%s", (int)(strlen(a) / 2), a, a + strlen(a) / 2);
        }
        char *d = sl_fix_diff("f", a, strlen(a), b, strlen(b));
        char *got = apply(a, d);
        ck_assert_msg(got != NULL && strcmp(got, b) == 0, "a=[%s] b=[%s] diff=[%s] got=[%s]", a, b,
                      d, got != NULL ? got : "(does not apply)");
        free(got);
        free(d);
        free(a);
        free(b);
    }
}
END_TEST

/* Texts too different for the minimal search still get a correct (whole) diff. */
START_TEST(test_fix_diff_of_very_different_texts)
{
    struct sl_buf a, b;
    sl_buf_init(&a, 0);
    sl_buf_init(&b, 0);
    for (int i = 0; i < 3000; i++) {
        (void)sl_buf_printf(&a, "a%d\n", i);
        (void)sl_buf_printf(&b, "b%d\n", i);
    }
    char *d = sl_fix_diff("f", a.data, a.len, b.data, b.len);
    char *got = apply(a.data, d);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, b.data);
    free(got);
    free(d);
    sl_buf_cleanup(&a);
    sl_buf_cleanup(&b);
}
END_TEST

Suite *suite_fix(void)
{
    Suite *s = suite_create("fix");
    TCase *tc = tcase_create("fix");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fix_adds_lines_and_rewrites_scalars_in_their_quotes);
    tcase_add_test(tc, test_fix_patch_is_the_webhooks);
    tcase_add_test(tc, test_fix_keeps_the_bytes_when_nothing_is_to_fix);
    tcase_add_test(tc, test_fix_templates_only_when_asked);
    tcase_add_loop_test(tc, test_fix_leaves_unsafe_documents_for_a_fix_by_hand, 0,
                        (int)SL_ARRAY_LEN(by_hand));
    tcase_add_test(tc, test_fix_reports_unreadable_text);
    tcase_add_test(tc, test_fix_writes_json_back_as_json);
    tcase_add_test(tc, test_fix_diff_exact);
    tcase_add_test(tc, test_fix_diff_applies_to_give_the_new_text);
    tcase_add_test(tc, test_fix_diff_of_very_different_texts);
    suite_add_tcase(s, tc);
    return s;
}
