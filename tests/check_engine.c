/* Engine: scoping (operations, kinds, subresources, significant updates, exemptions),
 * verdicts per mode, and the denial message. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/engine.h"
#include "socklock/policy.h"
#include "testutil.h"

/* A pod that passes restricted:latest plus readOnlyRootFilesystem. */
#define GOOD_CONTAINER                                                    \
    "{\"name\":\"app\",\"image\":\"nginx:1\",\"securityContext\":{"       \
    "\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true," \
    "\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"NET_BIND_SERVICE\"]}}}"
#define GOOD_POD_SC "{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}"
#define GOOD_POD                                                               \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"}," \
    "\"spec\":{\"securityContext\":" GOOD_POD_SC ",\"containers\":[" GOOD_CONTAINER "]}}"
#define ROOT_POD                                                               \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"}," \
    "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1\","       \
    "\"securityContext\":{\"privileged\":true,\"runAsUser\":0}}]}}"

struct run {
    struct sl_policy *pol;
    json_t *obj;
    json_t *old;
    struct sl_verdict v;
};

static struct sl_request req_for(const json_t *obj, const char *op, const char *kind)
{
    struct sl_request r = {
        .operation = op,
        .group = "",
        .kind = kind,
        .subresource = "",
        .namespace_ = "shop",
        .name = "web",
        .username = "alice",
        .object = obj,
        .old_object = NULL,
    };
    return r;
}

static void eval_default(struct run *r, const struct sl_request *req)
{
    r->pol = sl_policy_new_default();
    sl_engine_verdict_init(&r->v);
    sl_engine_eval(sl_policy_find(r->pol, "default"), req, &r->v);
}

static void run_cleanup(struct run *r)
{
    sl_engine_verdict_cleanup(&r->v);
    sl_policy_free(r->pol);
    json_decref(r->obj);
    json_decref(r->old);
}

START_TEST(test_engine_allows_compliant_pod)
{
    struct run r = {0};
    r.obj = tu_json(GOOD_POD);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    eval_default(&r, &req);
    ck_assert(r.v.allowed);
    ck_assert(r.v.evaluated);
    ck_assert_int_eq(r.v.code, 0);
    ck_assert_ptr_null(r.v.message);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_denies_root_pod_with_psa_shaped_message)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_int_eq(r.v.code, 403);
    ck_assert_str_eq(r.v.reason, "Forbidden");
    ck_assert_msg(strncmp(r.v.message, "pod \"web\" violates profile \"default\": ", 38) == 0,
                  "message: %s", r.v.message);
    ck_assert_ptr_nonnull(strstr(r.v.message, "privileged (container \"app\" must not set "
                                              "securityContext.privileged=true)"));
    ck_assert_ptr_nonnull(strstr(r.v.message, "runAsNonRoot != true"));
    ck_assert_ptr_nonnull(strstr(r.v.message, "runAsUser=0"));
    ck_assert_ptr_nonnull(strstr(r.v.message, "readOnlyRootFilesystem"));
    ck_assert_ptr_nonnull(strstr(r.v.message, "allowPrivilegeEscalation != false"));
    ck_assert_ptr_nonnull(strstr(r.v.message, "unrestricted capabilities"));
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_allows_delete_connect_and_other_kinds)
{
    static const char *const ops[] = {"DELETE", "CONNECT"};
    for (size_t i = 0; i < 2; i++) {
        struct run r = {0};
        r.obj = tu_json(ROOT_POD);
        struct sl_request req = req_for(r.obj, ops[i], "Pod");
        eval_default(&r, &req);
        ck_assert(r.v.allowed);
        ck_assert(!r.v.evaluated);
        run_cleanup(&r);
    }
    struct run r = {0};
    r.obj = tu_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{}}");
    struct sl_request req = req_for(r.obj, "CREATE", "ConfigMap");
    eval_default(&r, &req);
    ck_assert(r.v.allowed);
    ck_assert(!r.v.evaluated);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_ignores_psa_ignored_subresources_only)
{
    static const char *const ignored[] = {"exec", "attach",      "binding", "eviction",
                                          "log",  "portforward", "proxy",   "status"};
    for (size_t i = 0; i < SL_ARRAY_LEN(ignored); i++) {
        struct run r = {0};
        r.obj = tu_json(ROOT_POD);
        struct sl_request req = req_for(r.obj, "CREATE", "Pod");
        req.subresource = ignored[i];
        eval_default(&r, &req);
        ck_assert_msg(r.v.allowed, "%s", ignored[i]);
        run_cleanup(&r);
    }
    /* An unknown subresource carrying a pod (resize) is judged like an UPDATE. */
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    r.old = tu_json(GOOD_POD);
    json_object_set_new(
        json_array_get(json_object_get(json_object_get(r.old, "spec"), "containers"), 0), "image",
        json_string("nginx:0"));
    struct sl_request req = req_for(r.obj, "UPDATE", "Pod");
    req.subresource = "resize";
    req.old_object = r.old;
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_judges_ephemeral_container_added)
{
    struct run r = {0};
    r.old = tu_json(GOOD_POD);
    r.obj = json_deep_copy(r.old);
    json_object_set_new(json_object_get(r.obj, "spec"), "ephemeralContainers",
                        tu_json("[{\"name\":\"debug\",\"image\":\"busybox\","
                                "\"securityContext\":{\"privileged\":true}}]"));
    struct sl_request req = req_for(r.obj, "UPDATE", "Pod");
    req.subresource = "ephemeralcontainers";
    req.old_object = r.old;
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_ptr_nonnull(strstr(r.v.message, "\"debug\""));
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_skips_insignificant_pod_update)
{
    struct run r = {0};
    r.old = tu_json(ROOT_POD);
    r.obj = json_deep_copy(r.old);
    json_object_set_new(json_object_get(r.obj, "metadata"), "labels",
                        tu_json("{\"color\":\"blue\"}"));
    struct sl_request req = req_for(r.obj, "UPDATE", "Pod");
    req.old_object = r.old;
    eval_default(&r, &req);
    ck_assert(r.v.allowed);
    ck_assert(!r.v.evaluated);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_judges_image_change_and_seccomp_annotation_change)
{
    struct run r = {0};
    r.old = tu_json(ROOT_POD);
    r.obj = json_deep_copy(r.old);
    json_t *c = json_array_get(json_object_get(json_object_get(r.obj, "spec"), "containers"), 0);
    json_object_set_new(c, "image", json_string("nginx:2"));
    struct sl_request req = req_for(r.obj, "UPDATE", "Pod");
    req.old_object = r.old;
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    run_cleanup(&r);

    struct run s = {0};
    s.old = tu_json(ROOT_POD);
    s.obj = json_deep_copy(s.old);
    json_object_set_new(json_object_get(s.obj, "metadata"), "annotations",
                        tu_json("{\"container.seccomp.security.alpha.kubernetes.io/app\":"
                                "\"unconfined\"}"));
    req = req_for(s.obj, "UPDATE", "Pod");
    req.old_object = s.old;
    eval_default(&s, &req);
    ck_assert(s.v.evaluated);
    run_cleanup(&s);
}
END_TEST

/* A Deployment whose template runs as root, and an UPDATE of it. */
#define ROOT_DEPLOYMENT                                                                       \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"    \
    "\"spec\":{\"replicas\":1,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"     \
    "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1\",\"securityContext\":{" \
    "\"privileged\":true}}]}}}}"

static void eval_deployment_update(struct run *r, bool with_old)
{
    struct sl_request req = req_for(r->obj, "UPDATE", "Deployment");
    req.group = "apps";
    req.old_object = with_old ? r->old : NULL;
    eval_default(r, &req);
}

START_TEST(test_engine_skips_workload_update_that_keeps_the_template)
{
    /* Scaled, relabelled, a finalizer and a revision annotation added: nothing any pod
     * runs with changed, so a workload that predates the policy may still be updated. */
    struct run r = {0};
    r.old = tu_json(ROOT_DEPLOYMENT);
    r.obj = json_deep_copy(r.old);
    json_t *meta = json_object_get(r.obj, "metadata");
    json_object_set_new(meta, "labels", tu_json("{\"color\":\"blue\"}"));
    json_object_set_new(meta, "finalizers", tu_json("[\"foregroundDeletion\"]"));
    json_object_set_new(meta, "annotations",
                        tu_json("{\"deployment.kubernetes.io/revision\":\"2\"}"));
    json_object_set_new(json_object_get(r.obj, "spec"), "replicas", json_integer(5));
    eval_deployment_update(&r, true);
    ck_assert(r.v.allowed);
    ck_assert(!r.v.evaluated);
    run_cleanup(&r);

    /* Without oldObject nothing can be shown unchanged: judged. */
    struct run s = {0};
    s.obj = tu_json(ROOT_DEPLOYMENT);
    eval_deployment_update(&s, false);
    ck_assert(!s.v.allowed);
    ck_assert_int_eq(s.v.code, 403);
    run_cleanup(&s);
}
END_TEST

START_TEST(test_engine_judges_workload_update_that_changes_the_template)
{
    /* The image, a template label, and a template annotation: each is judged. */
    static const char *const changes[] = {"image", "label", "annotation"};
    for (size_t i = 0; i < SL_ARRAY_LEN(changes); i++) {
        struct run r = {0};
        r.old = tu_json(ROOT_DEPLOYMENT);
        r.obj = json_deep_copy(r.old);
        json_t *tmpl = json_object_get(json_object_get(r.obj, "spec"), "template");
        json_t *tmeta = json_object_get(tmpl, "metadata");
        json_t *c = json_array_get(json_object_get(json_object_get(tmpl, "spec"), "containers"), 0);
        if (i == 0)
            json_object_set_new(c, "image", json_string("nginx:2"));
        else if (i == 1)
            json_object_set_new(json_object_get(tmeta, "labels"), "v", json_string("2"));
        else
            json_object_set_new(tmeta, "annotations",
                                tu_json("{\"container.apparmor.security.beta.kubernetes.io/app\":"
                                        "\"unconfined\"}"));
        eval_deployment_update(&r, true);
        if (i == 1) {
            /* A label is in the template's metadata, not its annotations or spec. */
            ck_assert_msg(r.v.allowed && !r.v.evaluated, "%s", changes[i]);
        } else {
            ck_assert_msg(!r.v.allowed && r.v.evaluated, "%s", changes[i]);
        }
        run_cleanup(&r);
    }
}
END_TEST

START_TEST(test_engine_denies_pod_update_without_old_object)
{
    struct run r = {0};
    r.obj = tu_json(GOOD_POD);
    struct sl_request req = req_for(r.obj, "UPDATE", "Pod");
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_int_eq(r.v.code, 400);
    ck_assert_ptr_nonnull(strstr(r.v.message, "oldObject"));
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_denies_missing_object)
{
    struct run r = {0};
    struct sl_request req = req_for(NULL, "CREATE", "Pod");
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_int_eq(r.v.code, 400);
    ck_assert_ptr_nonnull(strstr(r.v.message, "object missing"));
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_fails_closed_on_malformed_pod)
{
    static const char *const bad[] = {
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":{}}}",
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":[1]}}",
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":"
        "[{\"name\":\"a\",\"securityContext\":\"x\"}]}}",
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"securityContext\":"
        "{\"runAsNonRoot\":\"true\"},\"containers\":[{\"name\":\"a\"}]}}",
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":7}",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        struct run r = {0};
        r.obj = tu_json(bad[i]);
        struct sl_request req = req_for(r.obj, "CREATE", "Pod");
        eval_default(&r, &req);
        ck_assert_msg(!r.v.allowed, "case %zu allowed", i);
        ck_assert_int_eq(r.v.code, 400);
        ck_assert_ptr_nonnull(strstr(r.v.message, "could not be evaluated"));
        ck_assert_ptr_nonnull(strstr(r.v.message, "spec"));
        run_cleanup(&r);
    }
}
END_TEST

START_TEST(test_engine_exempts_namespace_by_name_not_labels)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    req.namespace_ = "kube-system";
    eval_default(&r, &req);
    ck_assert(r.v.allowed);
    ck_assert(!r.v.evaluated);
    run_cleanup(&r);

    /* A pod's own labels never make it exempt: only the namespace name does. */
    struct run s = {0};
    s.obj = tu_json(ROOT_POD);
    json_object_set_new(json_object_get(s.obj, "metadata"), "labels",
                        tu_json("{\"kubernetes.io/metadata.name\":\"kube-system\"}"));
    req = req_for(s.obj, "CREATE", "Pod");
    req.namespace_ = "app";
    eval_default(&s, &req);
    ck_assert(!s.v.allowed);
    run_cleanup(&s);
}
END_TEST

START_TEST(test_engine_controller_service_account_not_exempt)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    req.username = "system:serviceaccount:kube-system:replicaset-controller";
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_judges_deployment_template_and_skips_scale)
{
    struct run r = {0};
    json_t *pod = tu_json(ROOT_POD);
    r.obj = json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:{s:s}, s:O}}}", "apiVersion", "apps/v1", "kind",
                      "Deployment", "metadata", "name", "web", "spec", "template", "metadata",
                      "name", "x", "spec", json_object_get(pod, "spec"));
    json_decref(pod);
    struct sl_request req = req_for(r.obj, "CREATE", "Deployment");
    req.group = "apps";
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_msg(strncmp(r.v.message, "deployment \"web\" violates", 25) == 0, "%s", r.v.message);
    sl_engine_verdict_cleanup(&r.v);
    sl_engine_verdict_init(&r.v);
    req.subresource = "scale";
    sl_engine_eval(sl_policy_find(r.pol, "default"), &req, &r.v);
    ck_assert(r.v.allowed);
    run_cleanup(&r);
}
END_TEST

static struct sl_policy *mode_policy(enum sl_mode mode)
{
    struct sl_policy *pol = sl_policy_new_default();
    pol->profiles[0].mode = mode;
    return pol;
}

START_TEST(test_engine_warn_mode_allows_with_bounded_warnings)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    r.pol = mode_policy(SL_MODE_WARN);
    sl_engine_verdict_init(&r.v);
    sl_engine_eval(&r.pol->profiles[0], &req, &r.v);
    ck_assert(r.v.allowed);
    ck_assert_uint_gt(r.v.nwarnings, 0);
    ck_assert_uint_le(r.v.nwarnings, 10);
    size_t total = 0;
    for (size_t i = 0; i < r.v.nwarnings; i++) {
        size_t n = strlen(r.v.warnings[i]);
        ck_assert_uint_le(n, 120);
        total += n;
        for (size_t k = 0; k < n; k++)
            ck_assert((unsigned char)r.v.warnings[i][k] >= 0x20);
    }
    ck_assert_uint_le(total, 2048);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_audit_mode_allows_with_annotation)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    r.pol = mode_policy(SL_MODE_AUDIT);
    sl_engine_verdict_init(&r.v);
    sl_engine_eval(&r.pol->profiles[0], &req, &r.v);
    ck_assert(r.v.allowed);
    ck_assert_ptr_nonnull(r.v.audit);
    ck_assert_uint_le(strlen(r.v.audit), 1024);
    ck_assert_ptr_nonnull(strstr(r.v.audit, "privileged"));
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_message_is_bounded_for_many_containers)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    json_t *list = json_array();
    for (int i = 0; i < 5000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "container-%d", i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:{s:b}}", "name", name, "image", "x",
                                              "securityContext", "privileged", 1));
    }
    json_object_set_new(json_object_get(r.obj, "spec"), "containers", list);
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_uint_le(strlen(r.v.message), 4096);
    run_cleanup(&r);
}
END_TEST

START_TEST(test_engine_message_cuts_with_count)
{
    struct sl_findings f;
    sl_pss_findings_init(&f);
    for (int i = 0; i < 200; i++)
        sl_pss_findings_add(&f, "x", "some check failed", "container \"abcdefghij\" must be fixed");
    char *m = sl_engine_message("Pod", "web", "default", &f, 1024);
    ck_assert_uint_le(strlen(m), 1024);
    ck_assert_ptr_nonnull(strstr(m, "more)"));
    free(m);
    sl_pss_findings_cleanup(&f);
}
END_TEST

START_TEST(test_engine_pods_resource_must_carry_a_pod)
{
    /* Before Kubernetes 1.22 pods/ephemeralcontainers carried an EphemeralContainers
     * object; PSA refuses anything but a Pod on the pods resource, and so do we. */
    struct run r = {0};
    r.obj = tu_json("{\"kind\":\"EphemeralContainers\",\"apiVersion\":\"v1\","
                    "\"metadata\":{\"name\":\"web\"},\"ephemeralContainers\":[{\"name\":"
                    "\"debug\",\"image\":\"busybox\",\"securityContext\":{\"privileged\":true}}]}");
    struct sl_request req = req_for(r.obj, "UPDATE", "EphemeralContainers");
    req.resource = "pods";
    req.subresource = "ephemeralcontainers";
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_int_eq(r.v.code, 400);
    ck_assert_ptr_nonnull(strstr(r.v.message, "must carry a Pod"));
    run_cleanup(&r);
    /* The ignored subresources stay ignored whatever they carry (pods/binding: Binding). */
    struct run s = {0};
    s.obj = tu_json("{\"kind\":\"Binding\",\"apiVersion\":\"v1\",\"target\":{}}");
    req = req_for(s.obj, "CREATE", "Binding");
    req.resource = "pods";
    req.subresource = "binding";
    eval_default(&s, &req);
    ck_assert(s.v.allowed);
    run_cleanup(&s);
}
END_TEST

/* Names from the request are escaped wherever an answer shows them, and a denial names
 * every failed check within 4 KiB, however long one check's details are. */
START_TEST(test_engine_message_escapes_and_names_every_check)
{
    struct run r = {0};
    r.obj = tu_json(ROOT_POD);
    /* A name with ESC, 0x01, DEL, U+0085 and an invalid byte. */
    struct sl_request req = req_for(r.obj, "CREATE", "Pod");
    req.name = "a\x1b[31mb\x01"
               "c\x7f"
               "d\xc2\x85"
               "e";
    eval_default(&r, &req);
    ck_assert(!r.v.allowed);
    ck_assert_ptr_nonnull(strstr(r.v.message, "pod \"a\\x1b[31mb\\x01c\\x7fd\\u0085e\" violates"));
    for (const char *p = r.v.message; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in message");
    run_cleanup(&r);

    /* A 100,000-character name and 3000 privileged containers: the message stays within
     * 4 KiB, the name is cut, and every failed check is still there. */
    struct run q = {0};
    q.obj = tu_json(ROOT_POD);
    char *longname = sl_xmalloc(100001);
    memset(longname, 'n', 100000);
    longname[100000] = '\0';
    json_t *list = json_array();
    for (int i = 0; i < 3000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "container-%d", i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:{s:b}}", "name", name, "image", "x",
                                              "securityContext", "privileged", 1));
    }
    json_object_set_new(json_object_get(q.obj, "spec"), "containers", list);
    json_object_set_new(json_object_get(q.obj, "spec"), "hostNetwork", json_true());
    req = req_for(q.obj, "CREATE", "Pod");
    req.name = longname;
    eval_default(&q, &req);
    free(longname);
    ck_assert(!q.v.allowed);
    ck_assert_uint_le(strlen(q.v.message), 4096);
    ck_assert_uint_ge(q.v.findings.len, 5);
    for (size_t i = 0; i < q.v.findings.len; i++)
        ck_assert_msg(strstr(q.v.message, q.v.findings.items[i].reason) != NULL,
                      "message lacks \"%s\": %s", q.v.findings.items[i].reason, q.v.message);
    ck_assert_ptr_null(strstr(q.v.message, "more)"));
    run_cleanup(&q);
}
END_TEST

Suite *suite_engine(void); /* for the runner; see run_units.c */

Suite *suite_engine(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, test_engine_allows_compliant_pod);
    tcase_add_test(tc, test_engine_message_escapes_and_names_every_check);
    tcase_add_test(tc, test_engine_denies_root_pod_with_psa_shaped_message);
    tcase_add_test(tc, test_engine_allows_delete_connect_and_other_kinds);
    tcase_add_test(tc, test_engine_ignores_psa_ignored_subresources_only);
    tcase_add_test(tc, test_engine_judges_ephemeral_container_added);
    tcase_add_test(tc, test_engine_pods_resource_must_carry_a_pod);
    tcase_add_test(tc, test_engine_skips_insignificant_pod_update);
    tcase_add_test(tc, test_engine_judges_image_change_and_seccomp_annotation_change);
    tcase_add_test(tc, test_engine_denies_pod_update_without_old_object);
    tcase_add_test(tc, test_engine_skips_workload_update_that_keeps_the_template);
    tcase_add_test(tc, test_engine_judges_workload_update_that_changes_the_template);
    tcase_add_test(tc, test_engine_denies_missing_object);
    tcase_add_test(tc, test_engine_fails_closed_on_malformed_pod);
    tcase_add_test(tc, test_engine_exempts_namespace_by_name_not_labels);
    tcase_add_test(tc, test_engine_controller_service_account_not_exempt);
    tcase_add_test(tc, test_engine_judges_deployment_template_and_skips_scale);
    tcase_add_test(tc, test_engine_warn_mode_allows_with_bounded_warnings);
    tcase_add_test(tc, test_engine_audit_mode_allows_with_annotation);
    tcase_add_test(tc, test_engine_message_is_bounded_for_many_containers);
    tcase_add_test(tc, test_engine_message_cuts_with_count);
    suite_add_tcase(s, tc);
    return s;
}
