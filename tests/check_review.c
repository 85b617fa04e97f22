/* Review: AdmissionReview decoding (strict, bounded) and response encoding. Each case
 * asserts what the API server would see: HTTP status, body, uid and apiVersion echo. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/policy.h"
#include "socklock/review.h"
#include "testutil.h"

#define GOOD_POD                                                                               \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{"       \
    "\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"                 \
    "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"app\",\"image\":\"nginx\","              \
    "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true," \
    "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}"
#define BAD_POD                                                                          \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{" \
    "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}"

static char *review(const char *api, const char *uid_json, const char *op, const char *object)
{
    return sl_xasprintf("{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{"
                        "\"uid\":%s,\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":"
                        "\"Pod\"},\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":"
                        "\"pods\"},\"namespace\":\"shop\",\"name\":\"web\",\"operation\":\"%s\","
                        "\"userInfo\":{\"username\":\"alice\"},\"object\":%s}}",
                        api, uid_json, op, object);
}

/* Answers `body` with the default policy; returns the parsed answer body. */
static json_t *answer(const char *body, int *status)
{
    struct sl_policy *pol = sl_policy_new_default();
    struct sl_answer ans;
    sl_review_answer(sl_policy_find(pol, "default"), SL_EP_VALIDATE, body, strlen(body), &ans);
    *status = ans.http_status;
    json_t *out = tu_json(ans.body);
    sl_review_answer_cleanup(&ans);
    sl_policy_free(pol);
    return out;
}

static void expect_400(const char *body, const char *needle)
{
    int status;
    json_t *out = answer(body, &status);
    ck_assert_int_eq(status, 400);
    const char *err = json_string_value(json_object_get(out, "error"));
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
    json_decref(out);
}

START_TEST(test_review_allows_compliant_pod_without_status)
{
    char *body = review("admission.k8s.io/v1", "\"u-1\"", "CREATE", GOOD_POD);
    int status;
    json_t *out = answer(body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(out, "apiVersion")), "admission.k8s.io/v1");
    ck_assert_str_eq(json_string_value(json_object_get(out, "kind")), "AdmissionReview");
    json_t *resp = json_object_get(out, "response");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "uid")), "u-1");
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_ptr_null(json_object_get(resp, "status"));
    ck_assert_ptr_null(json_object_get(resp, "patch"));
    ck_assert_ptr_null(json_object_get(resp, "patchType"));
    json_decref(out);
    free(body);
}
END_TEST

START_TEST(test_review_denies_with_403_forbidden)
{
    char *body = review("admission.k8s.io/v1", "\"u-2\"", "CREATE", BAD_POD);
    int status;
    json_t *out = answer(body, &status);
    ck_assert_int_eq(status, 200);
    json_t *resp = json_object_get(out, "response");
    ck_assert(json_is_false(json_object_get(resp, "allowed")));
    json_t *st = json_object_get(resp, "status");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "code")), 403);
    ck_assert_str_eq(json_string_value(json_object_get(st, "reason")), "Forbidden");
    const char *msg = json_string_value(json_object_get(st, "message"));
    ck_assert_ptr_nonnull(strstr(msg, "pod \"web\" violates profile \"default\""));
    ck_assert_ptr_nonnull(strstr(msg, "container \"app\""));
    json_decref(out);
    free(body);
}
END_TEST

START_TEST(test_review_echoes_uid_byte_for_byte)
{
    static const char *const uids[][2] = {
        {"\"a\"", "a"},
        {"\"705ab4f5-6393-11e8-b7cc-42010a800002\"", "705ab4f5-6393-11e8-b7cc-42010a800002"},
        {"\"q\\\"uote\\u00e9\"", "q\"uote\xc3\xa9"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(uids); i++) {
        char *body = review("admission.k8s.io/v1", uids[i][0], "CREATE", GOOD_POD);
        int status;
        json_t *out = answer(body, &status);
        ck_assert_int_eq(status, 200);
        ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(out, "response"), "uid")),
            uids[i][1]);
        json_decref(out);
        free(body);
    }
}
END_TEST

START_TEST(test_review_answers_v1beta1_in_kind)
{
    char *body = review("admission.k8s.io/v1beta1", "\"u\"", "CREATE", BAD_POD);
    int status;
    json_t *out = answer(body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(out, "apiVersion")),
                     "admission.k8s.io/v1beta1");
    json_decref(out);
    free(body);
}
END_TEST

START_TEST(test_review_rejects_bad_envelopes)
{
    expect_400("", "empty body");
    expect_400("{", "invalid JSON");
    expect_400("{\"a\":1} x", "invalid JSON");
    expect_400("[]", "not an AdmissionReview");
    expect_400("\"x\"", "not an AdmissionReview");
    expect_400("1", "not an AdmissionReview");
    expect_400("{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\"}}", "apiVersion");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\","
               "\"request\":{\"uid\":\"u\"}}",
               "apiVersion");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}", "kind");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "request");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
               "\"request\":[]}",
               "request");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
               "\"request\":{\"operation\":\"CREATE\"}}",
               "uid");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
               "\"request\":{\"uid\":\"\",\"operation\":\"CREATE\"}}",
               "uid");
    expect_400("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
               "\"request\":{\"uid\":5,\"operation\":\"CREATE\"}}",
               "uid");
    char *long_uid = sl_xasprintf("\"%0129d\"", 0);
    char *body = review("admission.k8s.io/v1", long_uid, "CREATE", GOOD_POD);
    expect_400(body, "uid");
    free(body);
    free(long_uid);
}
END_TEST

START_TEST(test_review_rejects_parser_differentials)
{
    /* Duplicate keys anywhere, NUL, lone surrogates, huge numbers: a lenient parser would
     * judge another object than the API server stores. */
    char *dup = review("admission.k8s.io/v1", "\"u\"", "CREATE",
                       "{\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true,\"hostNetwork\":false}}");
    expect_400(dup, "duplicate");
    free(dup);
    char *nul = review("admission.k8s.io/v1", "\"u\\u0000\"", "CREATE", GOOD_POD);
    expect_400(nul, "invalid JSON");
    free(nul);
    char *sur = review("admission.k8s.io/v1", "\"\\ud800\"", "CREATE", GOOD_POD);
    expect_400(sur, "invalid JSON");
    free(sur);
    char *big = review("admission.k8s.io/v1", "\"u\"", "CREATE",
                       "{\"kind\":\"Pod\",\"spec\":{\"x\":1e400}}");
    expect_400(big, "invalid JSON");
    free(big);
    char *bigint = review("admission.k8s.io/v1", "\"u\"", "CREATE",
                          "{\"kind\":\"Pod\",\"spec\":{\"x\":12345678901234567890}}");
    expect_400(bigint, "invalid JSON");
    free(bigint);
}
END_TEST

START_TEST(test_review_rejects_deep_nesting_before_parsing)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < 2048; i++)
        sl_buf_puts(&b, "[");
    for (int i = 0; i < 2048; i++)
        sl_buf_puts(&b, "]");
    expect_400(b.data, "nested too deeply");
    sl_buf_cleanup(&b);
    /* Brackets inside strings do not count. */
    struct sl_buf pod;
    sl_buf_init(&pod, 0);
    sl_buf_puts(&pod, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"annotations\":"
                      "{\"a\":\"");
    for (int i = 0; i < 300; i++)
        sl_buf_puts(&pod, "[{");
    sl_buf_puts(&pod, "\"}},\"spec\":{\"containers\":[]}}");
    char *s = review("admission.k8s.io/v1", "\"u\"", "CREATE", pod.data);
    sl_buf_cleanup(&pod);
    int status;
    json_t *out = answer(s, &status);
    ck_assert_int_eq(status, 200);
    json_decref(out);
    free(s);
}
END_TEST

START_TEST(test_review_allows_configmap_and_delete)
{
    char *cm = sl_xasprintf("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                            "\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"group\":"
                            "\"\",\"version\":\"v1\",\"kind\":\"ConfigMap\"},\"operation\":"
                            "\"CREATE\",\"object\":{\"kind\":\"ConfigMap\"}}}");
    int status;
    json_t *out = answer(cm, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_true(json_object_get(json_object_get(out, "response"), "allowed")));
    json_decref(out);
    free(cm);
    char *del = review("admission.k8s.io/v1", "\"u\"", "DELETE", "null");
    out = answer(del, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_true(json_object_get(json_object_get(out, "response"), "allowed")));
    json_decref(out);
    free(del);
}
END_TEST

/* A NetworkPolicy review, as the API server sends it for kubectl apply. */
static char *netpol_review(const char *op, const char *spec)
{
    return sl_xasprintf("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                        "\"request\":{\"uid\":\"np-1\",\"kind\":{\"group\":\"networking.k8s.io\","
                        "\"version\":\"v1\",\"kind\":\"NetworkPolicy\"},\"resource\":{\"group\":"
                        "\"networking.k8s.io\",\"version\":\"v1\",\"resource\":"
                        "\"networkpolicies\"},\"namespace\":\"shop\",\"name\":\"front\","
                        "\"operation\":\"%s\",\"object\":{\"apiVersion\":\"networking.k8s.io/v1\","
                        "\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"front\",\"namespace\":"
                        "\"shop\"},\"spec\":%s}}}",
                        op, spec);
}

/* The response to body under the profile "default" of the policy text `yaml` (NULL: the
 * embedded default). Returns a new reference to "response". */
static json_t *netpol_answer(const char *yaml, const char *body)
{
    struct sl_policy *pol = NULL;
    struct sl_error err = {0};
    if (yaml == NULL)
        pol = sl_policy_new_default();
    else
        ck_assert_msg(sl_policy_load(yaml, strlen(yaml), "p.yaml", &pol, &err) == SL_OK, "%s",
                      err.msg);
    struct sl_answer ans;
    sl_review_answer(sl_policy_find(pol, "default"), SL_EP_VALIDATE, body, strlen(body), &ans);
    ck_assert_int_eq(ans.http_status, 200);
    json_t *out = tu_json(ans.body);
    json_t *resp = json_incref(json_object_get(out, "response"));
    ck_assert_str_eq(json_string_value(json_object_get(resp, "uid")), "np-1");
    json_decref(out);
    sl_review_answer_cleanup(&ans);
    sl_policy_free(pol);
    return resp;
}

#define OPEN_SPEC                                                                            \
    "{\"podSelector\":{\"matchLabels\":{\"name\":\"front-end\"}},\"ingress\":[{\"ports\":[{" \
    "\"protocol\":\"TCP\",\"port\":8079}]},{\"from\":[{\"ipBlock\":{\"cidr\":\"::/0\"}}]}]}"

/* /validate warns about a NetworkPolicy that admits everyone, and never denies it unless the
 * profile says so; a policy that admits only some peers gets no warning. */
START_TEST(test_review_warns_on_networkpolicy_open_to_everyone)
{
    char *body = netpol_review("CREATE", OPEN_SPEC);
    json_t *resp = netpol_answer(NULL, body);
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_ptr_null(json_object_get(resp, "status"));
    json_t *w = json_object_get(resp, "warnings");
    ck_assert_uint_eq(json_array_size(w), 2);
    ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
                     "networkPolicyOpen: NetworkPolicy \"front\": ingress rule 1 admits every "
                     "source (no from) on TCP 8079");
    ck_assert_str_eq(json_string_value(json_array_get(w, 1)),
                     "networkPolicyOpen: NetworkPolicy \"front\": ingress rule 2 admits every "
                     "source (ipBlock ::/0) on all ports");
    json_decref(resp);
    free(body);

    /* UPDATE too; a narrower rule is quiet. */
    body = netpol_review("UPDATE", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
                                   "\"namespaceSelector\":{},\"podSelector\":{\"matchLabels\":"
                                   "{\"app\":\"probe\"}}}]}]}");
    resp = netpol_answer(NULL, body);
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_ptr_null(json_object_get(resp, "warnings"));
    json_decref(resp);
    free(body);
}
END_TEST

START_TEST(test_review_networkpolicy_denied_or_silent_as_the_profile_says)
{
    char *body = netpol_review("CREATE", OPEN_SPEC);
    json_t *resp = netpol_answer("profiles:\n  default:\n    network:\n      networkPolicyOpen: "
                                 "deny\n",
                                 body);
    ck_assert(json_is_false(json_object_get(resp, "allowed")));
    json_t *st = json_object_get(resp, "status");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "code")), 403);
    ck_assert_str_eq(json_string_value(json_object_get(st, "message")),
                     "networkpolicy \"front\" violates profile \"default\": networkPolicyOpen "
                     "(ingress rule 1 admits every source (no from) on TCP 8079), "
                     "networkPolicyOpen (ingress rule 2 admits every source (ipBlock ::/0) on all "
                     "ports)");
    json_decref(resp);
    resp = netpol_answer("profiles:\n  default:\n    network: off\n", body);
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_ptr_null(json_object_get(resp, "warnings"));
    json_decref(resp);
    /* Warn mode turns the denial into warnings, as it does for pods. */
    resp = netpol_answer("profiles:\n  default:\n    mode: warn\n    network: deny\n", body);
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_uint_eq(json_array_size(json_object_get(resp, "warnings")), 2);
    json_decref(resp);
    free(body);
}
END_TEST

START_TEST(test_review_denies_pod_without_object_with_400_code)
{
    char *body = review("admission.k8s.io/v1", "\"u\"", "CREATE", "null");
    int status;
    json_t *out = answer(body, &status);
    ck_assert_int_eq(status, 200);
    json_t *resp = json_object_get(out, "response");
    ck_assert(json_is_false(json_object_get(resp, "allowed")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(resp, "status"), "code")),
                     400);
    json_decref(out);
    free(body);
}
END_TEST

START_TEST(test_review_dry_run_gets_the_same_answer)
{
    char *a = review("admission.k8s.io/v1", "\"u\"", "CREATE", BAD_POD);
    char *b = sl_xstrdup(a);
    char *p = strstr(b, "\"operation\"");
    ck_assert_ptr_nonnull(p);
    /* Insert dryRun:true before operation. */
    char *c = sl_xasprintf("%.*s\"dryRun\":true,%s", (int)(p - b), b, p);
    int s1, s2;
    json_t *o1 = answer(a, &s1), *o2 = answer(c, &s2);
    ck_assert_int_eq(s1, s2);
    ck_assert(json_equal(o1, o2));
    json_decref(o1);
    json_decref(o2);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_review_takes_kind_from_object_when_request_kind_absent)
{
    char *body = sl_xasprintf("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                              "\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"operation\":"
                              "\"CREATE\",\"object\":%s}}",
                              BAD_POD);
    int status;
    json_t *out = answer(body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_false(json_object_get(json_object_get(out, "response"), "allowed")));
    json_decref(out);
    free(body);
}
END_TEST

START_TEST(test_review_decode_reads_the_request)
{
    char *body = review("admission.k8s.io/v1beta1", "\"u-7\"", "UPDATE", BAD_POD);
    struct sl_review r;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_review_decode(body, strlen(body), &r, &err), SL_OK);
    ck_assert_str_eq(r.api_version, "admission.k8s.io/v1beta1");
    ck_assert_str_eq(r.uid, "u-7");
    ck_assert_str_eq(r.req.operation, "UPDATE");
    ck_assert_str_eq(r.req.group, "");
    ck_assert_str_eq(r.req.kind, "Pod");
    ck_assert_str_eq(r.req.resource, "pods");
    ck_assert_str_eq(r.req.subresource, "");
    ck_assert_str_eq(r.req.namespace_, "shop");
    ck_assert_str_eq(r.req.name, "web");
    ck_assert_str_eq(r.req.username, "alice");
    ck_assert_str_eq(json_string_value(json_object_get(r.req.object, "kind")), "Pod");
    ck_assert_ptr_null(r.req.old_object);
    sl_review_cleanup(&r);
    free(body);
}
END_TEST

START_TEST(test_review_decode_tells_depth_by_status)
{
    char deep[2 * SL_REVIEW_MAX_DEPTH + 3];
    size_t n = SL_REVIEW_MAX_DEPTH + 1;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    struct sl_review r;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_review_decode(deep, 2 * n, &r, &err), SL_E_LIMIT);
    ck_assert_ptr_null(r.doc);
    ck_assert_str_eq(err.msg, "JSON nested too deeply (limit 128) at line 1 column 129");
    sl_review_cleanup(&r);
    ck_assert_int_eq(sl_review_decode("{\"a\":1,\"a\":2}", 15, &r, &err), SL_E_INVALID);
    ck_assert_str_eq(err.msg, "invalid JSON: duplicate object key at line 1 column 8");
    ck_assert_int_eq(sl_review_decode("[]", 2, &r, &err), SL_E_INVALID);
    ck_assert_str_eq(err.msg, "not an AdmissionReview: top level is not an object");
}
END_TEST

START_TEST(test_review_encode_writes_the_verdict)
{
    char *body = review("admission.k8s.io/v1", "\"u-8\"", "CREATE", BAD_POD);
    struct sl_review r;
    ck_assert_int_eq(sl_review_decode(body, strlen(body), &r, NULL), SL_OK);
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    v.allowed = false;
    v.code = 403;
    v.reason = sl_xstrdup("Forbidden");
    v.message = sl_xstrdup("pod \"web\" violates profile \"p\": x");
    v.warnings = sl_xcalloc(1, sizeof(char *));
    v.warnings[v.nwarnings++] = sl_xstrdup("w1");
    v.audit = sl_xstrdup("a1");
    char *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(sl_review_encode(&r, &v, &text, &len, NULL), SL_OK);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_str_eq(text, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                           "\"response\":{\"uid\":\"u-8\",\"allowed\":false,\"status\":{"
                           "\"status\":\"Failure\",\"code\":403,\"reason\":\"Forbidden\","
                           "\"message\":\"pod \\\"web\\\" violates profile \\\"p\\\": x\"},"
                           "\"warnings\":[\"w1\"],\"auditAnnotations\":{\"audit-violations\":"
                           "\"a1\"}}}");
    free(text);
    sl_engine_verdict_cleanup(&v);
    sl_review_cleanup(&r);
    free(body);
}
END_TEST

START_TEST(test_review_answer_is_the_same_inside_an_arena)
{
    /* The server answers inside the thread's arena, `socklock review` outside it. */
    char *body = review("admission.k8s.io/v1", "\"u-9\"", "CREATE", BAD_POD);
    struct sl_policy *pol = sl_policy_new_default();
    const struct sl_profile *prof = sl_policy_find(pol, "default");
    struct sl_answer plain, arena;
    sl_review_answer(prof, SL_EP_VALIDATE, body, strlen(body), &plain);
    sl_arena_begin();
    sl_review_answer(prof, SL_EP_VALIDATE, body, strlen(body), &arena);
    sl_arena_end();
    ck_assert_int_eq(plain.http_status, 200);
    ck_assert_int_eq(arena.http_status, 200);
    ck_assert_str_eq(plain.body, arena.body);
    ck_assert_str_eq(arena.uid, "u-9");
    ck_assert(!arena.allowed);
    sl_review_answer_cleanup(&plain);
    sl_review_answer_cleanup(&arena);
    sl_policy_free(pol);
    free(body);
}
END_TEST

Suite *suite_review(void); /* for the runner; see run_units.c */

Suite *suite_review(void)
{
    Suite *s = suite_create("review");
    TCase *tc = tcase_create("review");
    tcase_add_test(tc, test_review_allows_compliant_pod_without_status);
    tcase_add_test(tc, test_review_denies_with_403_forbidden);
    tcase_add_test(tc, test_review_echoes_uid_byte_for_byte);
    tcase_add_test(tc, test_review_answers_v1beta1_in_kind);
    tcase_add_test(tc, test_review_rejects_bad_envelopes);
    tcase_add_test(tc, test_review_rejects_parser_differentials);
    tcase_add_test(tc, test_review_rejects_deep_nesting_before_parsing);
    tcase_add_test(tc, test_review_allows_configmap_and_delete);
    tcase_add_test(tc, test_review_warns_on_networkpolicy_open_to_everyone);
    tcase_add_test(tc, test_review_networkpolicy_denied_or_silent_as_the_profile_says);
    tcase_add_test(tc, test_review_denies_pod_without_object_with_400_code);
    tcase_add_test(tc, test_review_dry_run_gets_the_same_answer);
    tcase_add_test(tc, test_review_takes_kind_from_object_when_request_kind_absent);
    tcase_add_test(tc, test_review_decode_reads_the_request);
    tcase_add_test(tc, test_review_decode_tells_depth_by_status);
    tcase_add_test(tc, test_review_encode_writes_the_verdict);
    tcase_add_test(tc, test_review_answer_is_the_same_inside_an_arena);
    suite_add_tcase(s, tc);
    return s;
}
