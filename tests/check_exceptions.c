/* Exceptions and namespace routing, end to end through the engine and the AdmissionReview
 * answer: what a waived violation does to the verdict (per container, per capability, per
 * object name, whole pod), what it never waives (a neighbour's violation, what the pod
 * itself sets), an expired exception, the modes a namespace rule sets, and the fields an
 * answer carries (the audit annotation naming the exception, warnings). */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/engine.h"
#include "socklock/policy.h"
#include "socklock/review.h"
#include "testutil.h"

Suite *suite_exceptions(void); /* for the runner */

static const char policy_text[] = "profiles:\n"
                                  "  default:\n"
                                  "    level: restricted\n"
                                  "  strict:\n"
                                  "    level: restricted\n"
                                  "    mutate:\n"
                                  "      overrideExplicit: [capabilities_restricted]\n"
                                  "namespaces:\n"
                                  "  - {match: warned, mode: warn}\n"
                                  "  - {match: audited, mode: audit}\n"
                                  "  - {match: \"strict-*\", profile: strict}\n"
                                  "exceptions:\n"
                                  "  - name: istio-proxy\n"
                                  "    images: [\"istio/proxyv2:*\"]\n"
                                  "    checks: [capabilities_restricted]\n"
                                  "    capabilities: [NET_ADMIN, NET_RAW]\n"
                                  "  - name: legacy-root\n"
                                  "    namespaces: [legacy]\n"
                                  "    names: [\"old-*\"]\n"
                                  "    checks: [runAsNonRoot, runAsUser]\n"
                                  "  - name: host-net\n"
                                  "    namespaces: [infra]\n"
                                  "    checks: [hostNamespaces]\n"
                                  "  - name: sidecar-host-net\n"
                                  "    images: [\"istio/proxyv2:*\"]\n"
                                  "    checks: [hostNamespaces]\n"
                                  "  - name: gone\n"
                                  "    namespaces: [payments]\n"
                                  "    checks: [runAsNonRoot]\n"
                                  "    expires: 2020-01-01\n"
                                  "  - name: lab\n"
                                  "    namespaces: [lab]\n"
                                  "    checks: all\n";

static struct sl_policy *pol;

static void setup(void)
{
    struct sl_error err = {0};
    ck_assert_msg(sl_policy_load(policy_text, strlen(policy_text), "t", &pol, &err) == SL_OK, "%s",
                  err.msg);
}

static void teardown(void)
{
    sl_policy_free(pol);
}

/* A restricted-compliant pod "NAME" in namespace NS, with one container "app"; the sidecar
 * istio-proxy when sidecar, adding the capabilities listed in caps (JSON). */
static json_t *pod(const char *ns, const char *name, bool sidecar, const char *caps)
{
    char *text =
        sl_xasprintf("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'%s','namespace':'%s'},"
                     "'spec':{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'"
                     "RuntimeDefault'}},"
                     "'containers':[{'name':'app','image':'registry.example.com/app:1',"
                     "'securityContext':{'allowPrivilegeEscalation':false,'capabilities':{'drop':['"
                     "ALL']}}}%s]}}",
                     name, ns,
                     sidecar ? ",{'name':'istio-proxy','image':'docker.io/istio/proxyv2:1.20.0',"
                               "'securityContext':{'allowPrivilegeEscalation':false,"
                               "'capabilities':{'drop':['ALL'],'add':CAPS}}}"
                             : "");
    /* CAPS stands for the sidecar's add list. */
    char *at = strstr(text, "CAPS");
    char *full = at != NULL ? sl_xasprintf("%.*s%s%s", (int)(at - text), text, caps, at + 4)
                            : sl_xstrdup(text);
    json_t *v = tu_json_sq(full);
    free(text);
    free(full);
    return v;
}

static json_t *containers(json_t *p)
{
    return json_object_get(json_object_get(p, "spec"), "containers");
}

/* Judges obj at /validate, routed by its namespace. */
static void judge(const json_t *obj, struct sl_verdict *v)
{
    char group[64];
    struct sl_request req;
    sl_engine_request_create(obj, group, sizeof(group), &req);
    sl_engine_verdict_init(v);
    sl_engine_eval(sl_policy_route(pol, req.namespace_, NULL), &req, v);
}

START_TEST(test_exception_waives_one_container_only)
{
    json_t *p = pod("web", "shop", true, "['NET_ADMIN','NET_RAW']");
    struct sl_verdict v;
    judge(p, &v);
    ck_assert_msg(v.allowed, "%s", v.message);
    ck_assert_uint_eq(v.findings.len, 0);
    ck_assert_uint_eq(v.waived.len, 1);
    ck_assert_str_eq(v.waived.items[0].check, "capabilities_restricted");
    ck_assert_str_eq(v.waived.items[0].exception, "istio-proxy");
    ck_assert_str_eq(v.waived.items[0].detail, "container \"istio-proxy\" adding \"NET_ADMIN\", "
                                               "\"NET_RAW\"");
    ck_assert_str_eq(v.exceptions, "istio-proxy waives capabilities_restricted (container "
                                   "\"istio-proxy\" adding \"NET_ADMIN\", \"NET_RAW\")");
    sl_engine_verdict_cleanup(&v);

    /* The neighbour adding the same capability is not waived: the sidecar is left out of the
     * denial, the neighbour is named. */
    json_t *app_caps = json_object_get(
        json_object_get(json_array_get(containers(p), 0), "securityContext"), "capabilities");
    json_object_set_new(app_caps, "add", tu_json_sq("['NET_ADMIN']"));
    judge(p, &v);
    ck_assert(!v.allowed);
    ck_assert_str_eq(v.message, "pod \"shop\" violates profile \"default\": unrestricted "
                                "capabilities (container \"app\" must not include \"NET_ADMIN\" "
                                "in securityContext.capabilities.add)");
    ck_assert_uint_eq(v.waived.len, 1);
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

/* Only the listed adds: a capability beyond them is a violation, and names only itself. */
START_TEST(test_exception_waives_only_the_listed_capabilities)
{
    json_t *p = pod("web", "shop", true, "['NET_ADMIN','SYS_ADMIN']");
    struct sl_verdict v;
    judge(p, &v);
    ck_assert(!v.allowed);
    ck_assert_ptr_nonnull(strstr(v.message, "container \"istio-proxy\" must not include "
                                            "\"SYS_ADMIN\""));
    ck_assert_ptr_null(strstr(v.message, "NET_ADMIN"));
    ck_assert_uint_eq(v.waived.len, 1);
    ck_assert_str_eq(v.waived.items[0].detail, "container \"istio-proxy\" adding \"NET_ADMIN\"");
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

/* hostNetwork is the pod's: an image exception never waives it, a namespace one does. */
START_TEST(test_pod_level_checks_need_a_whole_pod_exception)
{
    json_t *p = pod("web", "shop", true, "['NET_ADMIN']");
    json_object_set_new(json_object_get(p, "spec"), "hostNetwork", json_true());
    struct sl_verdict v;
    judge(p, &v);
    ck_assert(!v.allowed);
    ck_assert_ptr_nonnull(strstr(v.message, "host namespaces (hostNetwork=true)"));
    sl_engine_verdict_cleanup(&v);
    json_object_set_new(json_object_get(p, "metadata"), "namespace", json_string("infra"));
    judge(p, &v);
    ck_assert_msg(v.allowed, "%s", v.message);
    ck_assert_uint_eq(v.waived.len, 2);
    ck_assert_str_eq(v.waived.items[0].check, "hostNamespaces");
    ck_assert_str_eq(v.waived.items[0].exception, "host-net");
    ck_assert_str_eq(v.waived.items[0].detail, "hostNetwork=true");
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

/* names: only the objects it names; the namespace must match too. */
START_TEST(test_exception_by_object_name)
{
    json_t *p = pod("legacy", "old-billing", false, "");
    json_object_del(json_object_get(json_object_get(p, "spec"), "securityContext"), "runAsNonRoot");
    struct sl_verdict v;
    judge(p, &v);
    ck_assert_msg(v.allowed, "%s", v.message);
    ck_assert_str_eq(v.waived.items[0].exception, "legacy-root");
    sl_engine_verdict_cleanup(&v);
    json_object_set_new(json_object_get(p, "metadata"), "name", json_string("new-billing"));
    judge(p, &v);
    ck_assert(!v.allowed);
    ck_assert_uint_eq(v.waived.len, 0);
    sl_engine_verdict_cleanup(&v);
    json_object_set_new(json_object_get(p, "metadata"), "name", json_string("old-billing"));
    json_object_set_new(json_object_get(p, "metadata"), "namespace", json_string("legacy-2"));
    judge(p, &v);
    ck_assert(!v.allowed);
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

/* An expired exception waives nothing, and the answer says it expired. */
START_TEST(test_expired_exception_is_named)
{
    json_t *p = pod("payments", "pay", false, "");
    json_object_del(json_object_get(json_object_get(p, "spec"), "securityContext"), "runAsNonRoot");
    struct sl_verdict v;
    judge(p, &v);
    ck_assert(!v.allowed);
    ck_assert_uint_eq(v.waived.len, 0);
    ck_assert_uint_eq(v.nwarnings, 1);
    ck_assert_str_eq(v.warnings[0], "socklock default: exception \"gone\" expired on 2020-01-01 "
                                    "(its checks apply again)");
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

/* checks: all waives every check for what it matches. */
START_TEST(test_exception_for_all_checks)
{
    json_t *p =
        tu_json_sq("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'x','namespace':'lab'},"
                   "'spec':{'hostPID':true,'containers':[{'name':'c','image':'i',"
                   "'securityContext':{'privileged':true}}]}}");
    struct sl_verdict v;
    judge(p, &v);
    ck_assert_msg(v.allowed, "%s", v.message);
    ck_assert_uint_eq(v.findings.len, 0);
    ck_assert_uint_ge(v.waived.len, 6);
    for (size_t i = 0; i < v.waived.len; i++)
        ck_assert_str_eq(v.waived.items[i].exception, "lab");
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

/* The review answer: routed by namespace, the modes a rule sets, and the exceptions audit
 * annotation, field for field. */
START_TEST(test_answers_carry_mode_and_exceptions)
{
    json_t *p = pod("warned", "w", true, "['NET_ADMIN']");
    json_object_del(json_object_get(json_object_get(p, "spec"), "securityContext"),
                    "seccompProfile");
    json_t *review =
        json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:O}}", "apiVersion",
                  "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid", "u1", "kind",
                  "group", "", "version", "v1", "kind", "Pod", "namespace", "warned", "name", "w",
                  "operation", "CREATE", "object", p);
    char *body = json_dumps(review, JSON_COMPACT);
    struct sl_answer ans;
    sl_review_answer_routed(pol, NULL, SL_EP_VALIDATE, body, strlen(body), &ans);
    ck_assert_int_eq(ans.http_status, 200);
    ck_assert_str_eq(ans.profile, "default");
    ck_assert_int_eq(ans.mode, SL_MODE_WARN);
    ck_assert_str_eq(ans.exceptions, "istio-proxy");
    json_t *doc = tu_json(ans.body);
    json_t *resp = json_object_get(doc, "response");
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_ptr_null(json_object_get(resp, "status"));
    json_t *w = json_object_get(resp, "warnings");
    ck_assert_uint_eq(json_array_size(w), 1);
    /* (a warning is cut at 120 bytes, as the API server's budget asks) */
    ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
                     "socklock default: seccompProfile (pod or containers \"app\", "
                     "\"istio-proxy\" must set securityContext.seccompProfile.type...");
    json_t *aa = json_object_get(resp, "auditAnnotations");
    ck_assert_uint_eq(json_object_size(aa), 1);
    ck_assert_str_eq(json_string_value(json_object_get(aa, "exceptions")),
                     "istio-proxy waives capabilities_restricted (container \"istio-proxy\" "
                     "adding \"NET_ADMIN\")");
    json_decref(doc);
    sl_review_answer_cleanup(&ans);
    free(body);

    /* audit: allowed, no warnings, both annotations. */
    json_object_set_new(json_object_get(review, "request"), "namespace", json_string("audited"));
    body = json_dumps(review, JSON_COMPACT);
    sl_review_answer_routed(pol, NULL, SL_EP_VALIDATE, body, strlen(body), &ans);
    doc = tu_json(ans.body);
    resp = json_object_get(doc, "response");
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    ck_assert_ptr_null(json_object_get(resp, "warnings"));
    aa = json_object_get(resp, "auditAnnotations");
    ck_assert_uint_eq(json_object_size(aa), 2);
    ck_assert_str_eq(json_string_value(json_object_get(aa, "audit-violations")),
                     "pod \"w\" violates profile \"default\": seccompProfile (pod or containers "
                     "\"app\", \"istio-proxy\" must set securityContext.seccompProfile.type to "
                     "\"RuntimeDefault\" or \"Localhost\")");
    ck_assert_ptr_nonnull(json_object_get(aa, "exceptions"));
    json_decref(doc);
    sl_review_answer_cleanup(&ans);
    free(body);

    /* A named profile route is not routed: /validate/strict in namespace warned enforces. */
    body = json_dumps(review, JSON_COMPACT);
    sl_review_answer_routed(pol, "strict", SL_EP_VALIDATE, body, strlen(body), &ans);
    ck_assert_str_eq(ans.profile, "strict");
    ck_assert(!ans.allowed);
    sl_review_answer_cleanup(&ans);
    sl_review_answer_routed(pol, "nope", SL_EP_VALIDATE, body, strlen(body), &ans);
    ck_assert_int_eq(ans.http_status, 404);
    sl_review_answer_cleanup(&ans);
    free(body);
    json_decref(review);
    json_decref(p);
}
END_TEST

/* /mutate leaves what an exception waives: the sidecar's waived adds survive a profile that
 * overrides explicit capabilities, while the neighbour's do not; a waived runAsNonRoot is not
 * set. */
START_TEST(test_mutation_leaves_what_is_waived)
{
    json_t *p = pod("strict-a", "m", true, "['NET_ADMIN','SYS_ADMIN']");
    json_object_set_new(
        json_object_get(json_object_get(json_array_get(containers(p), 0), "securityContext"),
                        "capabilities"),
        "add", tu_json_sq("['NET_ADMIN']"));
    char group[64];
    struct sl_request req;
    sl_engine_request_create(p, group, sizeof(group), &req);
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    sl_engine_mutate(sl_policy_route(pol, "strict-a", NULL), &req, &v);
    char *ops = json_dumps(v.patch, JSON_COMPACT);
    ck_assert_str_eq(ops, "[{\"op\":\"remove\",\"path\":\"/spec/containers/0/securityContext/"
                          "capabilities/add/0\"},{\"op\":\"remove\",\"path\":\"/spec/containers/"
                          "1/securityContext/capabilities/add/1\"}]");
    free(ops);
    sl_engine_verdict_cleanup(&v);
    json_decref(p);

    p = pod("legacy", "old-app", false, "");
    json_object_del(json_object_get(json_object_get(p, "spec"), "securityContext"), "runAsNonRoot");
    sl_engine_request_create(p, group, sizeof(group), &req);
    sl_engine_verdict_init(&v);
    sl_engine_mutate(sl_policy_route(pol, "legacy", NULL), &req, &v);
    ops = v.patch != NULL ? json_dumps(v.patch, JSON_COMPACT) : NULL;
    ck_assert_msg(ops == NULL || strstr(ops, "runAsNonRoot") == NULL, "%s", ops);
    free(ops);
    sl_engine_verdict_cleanup(&v);
    json_decref(p);
}
END_TEST

Suite *suite_exceptions(void)
{
    Suite *s = suite_create("exceptions");
    TCase *tc = tcase_create("exceptions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_exception_waives_one_container_only);
    tcase_add_test(tc, test_exception_waives_only_the_listed_capabilities);
    tcase_add_test(tc, test_pod_level_checks_need_a_whole_pod_exception);
    tcase_add_test(tc, test_exception_by_object_name);
    tcase_add_test(tc, test_expired_exception_is_named);
    tcase_add_test(tc, test_exception_for_all_checks);
    tcase_add_test(tc, test_answers_carry_mode_and_exceptions);
    tcase_add_test(tc, test_mutation_leaves_what_is_waived);
    suite_add_tcase(s, tc);
    return s;
}
