/* A policy for a real cluster, on a running server: /validate routes each review by its
 * namespace (exact names, globs, the first rule that matches), exceptions waive per
 * container, per capability and per namespace, an expired one waives nothing and says so,
 * and the warn and audit answers carry exactly their fields. The decision log names the
 * profile, the mode and the exception. */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "testutil.h"

static const char policy_text[] =
    "profiles:\n"
    "  default: {level: restricted}\n"
    "  baseline: {level: baseline}\n"
    "namespaces:\n"
    "  - {match: \"legacy-*\", profile: baseline}\n"
    "  - {match: legacy-strict, mode: enforce}\n" /* shadowed: legacy-* wins */
    "  - {match: team-a, mode: warn}\n"
    "  - {match: \"audit-?\", mode: audit}\n"
    "exceptions:\n"
    "  - name: istio-proxy\n"
    "    images: [\"istio/proxyv2:*\"]\n"
    "    checks: [capabilities_restricted]\n"
    "    capabilities: [NET_ADMIN, NET_RAW]\n"
    "  - name: old\n"
    "    namespaces: [payments]\n"
    "    checks: [seccompProfile_restricted]\n"
    "    expires: 2020-01-01\n";

static struct it_server srv;

static void start(void)
{
    const char *path = it_write_file("cluster-policy.yaml", policy_text);
    const char *args[] = {"--cert", it_env.crt, "--key", it_env.key, "--policy", path, NULL};
    ck_assert_msg(it_server_start(&srv, "policy", args), "server did not start, see %s", srv.log);
}

static void stop(void)
{
    it_server_kill(&srv);
}

/* How the pod of a review departs from a restricted-compliant one. */
struct flaws {
    const char *app_sc;  /* JSON members put first in the app container's securityContext */
    const char *app_add; /* the app container's capability adds (a JSON array), or NULL */
    const char *sidecar; /* an istio-proxy sidecar's capability adds, or NULL for none */
    bool no_seccomp;     /* the pod sets no seccompProfile */
};

/* A review of pod "p" in ns, with flaws f. */
static char *review(const char *uid, const char *ns, struct flaws f)
{
    char *sidecar =
        f.sidecar != NULL
            ? sl_xasprintf(",{\"name\":\"istio-proxy\",\"image\":\"istio/proxyv2:1.20.0\","
                           "\"securityContext\":{\"allowPrivilegeEscalation\":false,"
                           "\"capabilities\":{\"drop\":[\"ALL\"],\"add\":%s}}}",
                           f.sidecar)
            : sl_xstrdup("");
    char *add = f.app_add != NULL ? sl_xasprintf(",\"add\":%s", f.app_add) : sl_xstrdup("");
    char *body = sl_xasprintf(
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"%s\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        "\"namespace\":\"%s\",\"name\":\"p\",\"operation\":\"CREATE\","
        "\"userInfo\":{\"username\":\"u\"},\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        "\"metadata\":{\"name\":\"p\",\"namespace\":\"%s\"},"
        "\"spec\":{\"securityContext\":{\"runAsNonRoot\":true%s},"
        "\"containers\":[{\"name\":\"app\",\"image\":\"app:1\",\"securityContext\":{%s"
        "\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]%s}}}%s]}}}}",
        uid, ns, ns, f.no_seccomp ? "" : ",\"seccompProfile\":{\"type\":\"RuntimeDefault\"}",
        f.app_sc != NULL ? f.app_sc : "", add, sidecar);
    free(sidecar);
    free(add);
    return body;
}

/* POSTs body to /validate; the response object (a reference to the document in *doc). */
static json_t *validate(const char *body, json_t **doc)
{
    struct it_req q = {
        .path = "/validate", .ctype = "application/json", .body = body, .len = strlen(body)};
    struct it_resp r;
    it_request(srv.port, &q, &r);
    ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
    *doc = tu_json(r.body);
    it_resp_cleanup(&r);
    return json_object_get(*doc, "response");
}

/* The keys of obj, "a,b,c" in order, into out. */
static void keys(const json_t *obj, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)obj, k, v)
    {
        (void)v;
        int n = snprintf(out + o, size - o, "%s%s", o ? "," : "", k);
        if (n > 0)
            o += (size_t)n;
    }
}

/* A privileged container: a baseline violation too. */
#define PRIVILEGED "\"privileged\":true,"

START_TEST(test_namespaces_route_reviews)
{
    static const struct {
        const char *ns, *app_sc;
        bool allowed;
        const char *fields; /* the response's keys */
    } cases[] = {
        /* no rule: the default profile, restricted, enforce */
        {"shop", PRIVILEGED, false, "uid,allowed,status"},
        /* glob: baseline, which privileged still fails */
        {"legacy-billing", PRIVILEGED, false, "uid,allowed,status"},
        /* first match wins: legacy-strict is legacy-*, baseline, which runAsUser 0 passes */
        {"legacy-strict", "\"runAsUser\":0,", true, "uid,allowed"},
        /* exact name: warn */
        {"team-a", PRIVILEGED, true, "uid,allowed,warnings"},
        /* team-ab is not team-a */
        {"team-ab", PRIVILEGED, false, "uid,allowed,status"},
        /* audit-? matches audit-1, not audit-12 */
        {"audit-1", PRIVILEGED, true, "uid,allowed,auditAnnotations"},
        {"audit-12", PRIVILEGED, false, "uid,allowed,status"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        char *body = review("r", cases[i].ns, (struct flaws){.app_sc = cases[i].app_sc});
        json_t *doc, *resp = validate(body, &doc);
        ck_assert_msg(json_is_true(json_object_get(resp, "allowed")) == cases[i].allowed,
                      "%s: allowed is not %d", cases[i].ns, cases[i].allowed);
        char k[128];
        keys(resp, k, sizeof(k));
        ck_assert_msg(strcmp(k, cases[i].fields) == 0, "%s: fields %s, want %s", cases[i].ns, k,
                      cases[i].fields);
        json_decref(doc);
        free(body);
    }
}
END_TEST

/* warn and audit answers, field by field. */
START_TEST(test_warn_and_audit_answers)
{
    char *body = review("w", "team-a", (struct flaws){.app_sc = PRIVILEGED});
    json_t *doc, *resp = validate(body, &doc);
    json_t *w = json_object_get(resp, "warnings");
    ck_assert_uint_eq(json_array_size(w), 1);
    ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
                     "socklock default: privileged (container \"app\" must not set "
                     "securityContext.privileged=true)");
    json_decref(doc);
    free(body);

    body = review("a", "audit-1", (struct flaws){.app_sc = PRIVILEGED});
    resp = validate(body, &doc);
    json_t *aa = json_object_get(resp, "auditAnnotations");
    char k[128];
    keys(aa, k, sizeof(k));
    ck_assert_str_eq(k, "audit-violations");
    ck_assert_str_eq(json_string_value(json_object_get(aa, "audit-violations")),
                     "pod \"p\" violates profile \"default\": privileged (container \"app\" must "
                     "not set securityContext.privileged=true)");
    json_decref(doc);
    free(body);
}
END_TEST

/* An image exception: the sidecar's listed adds pass, named in the annotation and the log;
 * an add beyond them, or the same add by the neighbour, denies. */
START_TEST(test_image_exception_per_container)
{
    char *body = review("x1", "shop", (struct flaws){.sidecar = "[\"NET_ADMIN\",\"NET_RAW\"]"});
    json_t *doc, *resp = validate(body, &doc);
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    char k[128];
    keys(resp, k, sizeof(k));
    ck_assert_str_eq(k, "uid,allowed,auditAnnotations");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(resp, "auditAnnotations"), "exceptions")),
        "istio-proxy waives capabilities_restricted (container \"istio-proxy\" adding "
        "\"NET_ADMIN\", \"NET_RAW\")");
    json_decref(doc);
    free(body);
    ck_assert(it_log_wait(&srv,
                          "\"msg\":\"decision\",\"uid\":\"x1\",\"kind\":\"Pod\","
                          "\"namespace\":\"shop\",\"name\":\"p\",\"operation\":\"CREATE\"",
                          IT_HANG_GUARD));
    ck_assert(
        it_log_wait(&srv,
                    "\"profile\":\"default\",\"mode\":\"enforce\",\"verdict\":\"allowed\","
                    "\"evaluated\":true,\"checks\":[],\"waived\":[\"capabilities_restricted\"],"
                    "\"exceptions\":[\"istio-proxy\"]",
                    IT_HANG_GUARD));

    body = review("x2", "shop", (struct flaws){.sidecar = "[\"NET_ADMIN\",\"SYS_ADMIN\"]"});
    resp = validate(body, &doc);
    ck_assert(json_is_false(json_object_get(resp, "allowed")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "status"), "message")),
                     "pod \"p\" violates profile \"default\": unrestricted capabilities (container "
                     "\"istio-proxy\" must not include \"SYS_ADMIN\" in "
                     "securityContext.capabilities.add)");
    json_decref(doc);
    free(body);

    body = review("x3", "shop",
                  (struct flaws){.app_add = "[\"NET_ADMIN\"]", .sidecar = "[\"NET_ADMIN\"]"});
    resp = validate(body, &doc);
    ck_assert(json_is_false(json_object_get(resp, "allowed")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "status"), "message")),
                     "pod \"p\" violates profile \"default\": unrestricted capabilities (container "
                     "\"app\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)");
    json_decref(doc);
    free(body);
}
END_TEST

/* An expired exception waives nothing; the denial comes with a warning that says why. */
START_TEST(test_expired_exception)
{
    char *body = review("e", "payments", (struct flaws){.no_seccomp = true});
    json_t *doc, *resp = validate(body, &doc);
    ck_assert(json_is_false(json_object_get(resp, "allowed")));
    json_t *w = json_object_get(resp, "warnings");
    ck_assert_uint_eq(json_array_size(w), 1);
    ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
                     "socklock default: exception \"old\" expired on 2020-01-01 (its checks apply "
                     "again)");
    ck_assert_ptr_null(json_object_get(resp, "auditAnnotations"));
    json_decref(doc);
    free(body);
}
END_TEST

Suite *it_suite_policy(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_namespaces_route_reviews);
    tcase_add_test(tc, test_warn_and_audit_answers);
    tcase_add_test(tc, test_image_exception_per_container);
    tcase_add_test(tc, test_expired_exception);
    suite_add_tcase(s, tc);
    return s;
}
