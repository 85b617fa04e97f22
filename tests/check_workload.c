/* Unit tests for workload: the pod spec of every supported kind, in every group that
 * served it, and the errors for kinds without pods and for broken structure. */
#include <string.h>

#include <check.h>

#include "socklock/workload.h"
#include "testutil.h"

static const struct {
    const char *api_version, *kind, *json, *pointer, *meta_pointer;
} found[] = {
    {"v1", "Pod", "{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}", "/spec", "/metadata"},
    {"v1", "PodTemplate", "{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}",
     "/template/spec", "/template/metadata"},
    {"v1", "ReplicationController",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"apps/v1", "Deployment",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"extensions/v1beta1", "Deployment",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"apps/v1beta2", "ReplicaSet",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"extensions/v1beta1", "DaemonSet",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"apps/v1", "StatefulSet",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"batch/v1", "Job",
     "{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"x\":1}}}}",
     "/spec/template/spec", "/spec/template/metadata"},
    {"batch/v1beta1", "CronJob",
     "{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"metadata\":{\"name\":\"m\"},"
     "\"spec\":{\"x\":1}}}}}}",
     "/spec/jobTemplate/spec/template/spec", "/spec/jobTemplate/spec/template/metadata"},
};

START_TEST(test_workload_finds_pod_spec)
{
    char group[32];
    struct sl_podref ref;
    struct sl_error err = {0};
    json_t *obj = tu_json(found[_i].json);
    sl_workload_group_of(found[_i].api_version, group, sizeof(group));
    ck_assert(sl_workload_supported(group, found[_i].kind));
    ck_assert_int_eq(sl_workload_find(obj, group, found[_i].kind, &ref, &err), SL_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(ref.spec, "x")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(ref.meta, "name")), "m");
    ck_assert_str_eq(ref.pointer, found[_i].pointer);
    ck_assert_str_eq(ref.meta_pointer, found[_i].meta_pointer);
    json_decref(obj);
}
END_TEST

START_TEST(test_workload_unsupported_kinds)
{
    struct sl_podref ref;
    struct sl_error err = {0};
    json_t *obj = tu_json("{\"spec\":{\"template\":{\"spec\":{}}}}");
    ck_assert_int_eq(sl_workload_find(obj, "", "Service", &ref, &err), SL_E_NOTFOUND);
    ck_assert_int_eq(sl_workload_find(obj, "apps", "Pod", &ref, &err), SL_E_NOTFOUND);
    ck_assert_int_eq(sl_workload_find(obj, "extensions", "StatefulSet", &ref, &err), SL_E_NOTFOUND);
    ck_assert_int_eq(sl_workload_find(obj, "apps", "Job", &ref, &err), SL_E_NOTFOUND);
    ck_assert_int_eq(sl_workload_find(obj, "batch", "deployment", &ref, &err), SL_E_NOTFOUND);
    ck_assert(!sl_workload_supported("", "Deployment"));
    ck_assert(!sl_workload_supported(NULL, "Pod"));
    json_decref(obj);
}
END_TEST

START_TEST(test_workload_broken_structure)
{
    struct sl_podref ref;
    struct sl_error err = {0};
    json_t *obj = tu_json("{\"spec\":{\"template\":\"x\"}}");
    ck_assert_int_eq(sl_workload_find(obj, "apps", "Deployment", &ref, &err), SL_E_INVALID);
    ck_assert_str_eq(err.msg, "Deployment spec.template is not an object");
    json_decref(obj);

    /* Absent or null steps are empty, as typed decoding reads them: nothing to judge. */
    obj = tu_json("{\"spec\":{\"jobTemplate\":{\"spec\":{}}}}");
    ck_assert_int_eq(sl_workload_find(obj, "batch", "CronJob", &ref, &err), SL_E_NOTFOUND);
    ck_assert_str_eq(err.msg, "CronJob spec.jobTemplate.spec.template is absent");
    json_decref(obj);

    obj = tu_json("{\"metadata\":{},\"spec\":null}");
    ck_assert_int_eq(sl_workload_find(obj, "", "Pod", &ref, &err), SL_E_NOTFOUND);
    json_decref(obj);

    obj = tu_json("{\"kind\":\"Deployment\",\"spec\":{\"replicas\":3}}");
    ck_assert_int_eq(sl_workload_find(obj, "apps", "Deployment", &ref, &err), SL_E_NOTFOUND);
    json_decref(obj);

    obj = tu_json("{\"metadata\":[],\"spec\":{}}");
    ck_assert_int_eq(sl_workload_find(obj, "", "Pod", &ref, &err), SL_E_INVALID);
    ck_assert_str_eq(err.msg, "Pod metadata is not an object");
    json_decref(obj);

    obj = tu_json("{\"spec\":{\"template\":{\"metadata\":5,\"spec\":{}}}}");
    ck_assert_int_eq(sl_workload_find(obj, "batch", "Job", &ref, &err), SL_E_INVALID);
    ck_assert_str_eq(err.msg, "Job spec.template.metadata is not an object");
    json_decref(obj);

    obj = tu_json("[]");
    ck_assert_int_eq(sl_workload_find(obj, "", "Pod", &ref, &err), SL_E_INVALID);
    json_decref(obj);

    /* Absent metadata is fine: meta is NULL. */
    obj = tu_json("{\"spec\":{}}");
    ck_assert_int_eq(sl_workload_find(obj, "", "Pod", &ref, &err), SL_OK);
    ck_assert_ptr_null(ref.meta);
    json_decref(obj);
}
END_TEST

START_TEST(test_workload_group_of)
{
    char g[16];
    sl_workload_group_of("apps/v1", g, sizeof(g));
    ck_assert_str_eq(g, "apps");
    sl_workload_group_of("v1", g, sizeof(g));
    ck_assert_str_eq(g, "");
    sl_workload_group_of("batch/v1beta1", g, sizeof(g));
    ck_assert_str_eq(g, "batch");
    sl_workload_group_of(NULL, g, sizeof(g));
    ck_assert_str_eq(g, "");
    char small[4];
    sl_workload_group_of("extensions/v1beta1", small, sizeof(small));
    ck_assert_str_eq(small, "ext");
}
END_TEST

/* Declared for -Wmissing-prototypes; the runner calls it (see run_units.c). */
extern Suite *suite_workload(void);

Suite *suite_workload(void)
{
    Suite *s = suite_create("workload");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_workload_finds_pod_spec, 0,
                        (int)(sizeof(found) / sizeof(found[0])));
    tcase_add_test(tc, test_workload_unsupported_kinds);
    tcase_add_test(tc, test_workload_broken_structure);
    tcase_add_test(tc, test_workload_group_of);
    suite_add_tcase(s, tc);
    return s;
}
