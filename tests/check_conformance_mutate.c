/* Conformance: the mutating webhook's promise, over every object in the vendored data (the
 * Pod Security Admission fixtures, the Sock Shop manifests, Kyverno's pod-security
 * resources). For each pod (a Pod, or the pod a workload's template makes) and each of two
 * profiles (plain restricted, and socklock's embedded default):
 *
 *   mutate    /mutate's answer, through the same code as the server (sl_review_answer);
 *   apply     its patch, applied by github.com/evanphx/json-patch, the library the API
 *             server applies patches with (tests/tools/jsonpatch), never socklock's own;
 *   validate  the patched pod at /validate with the same profile;
 *   again     /mutate on the patched pod.
 *
 * The promise: the patch applies; it adds no field the API server's validation refuses
 * (allowPrivilegeEscalation=false beside privileged or CAP_SYS_ADMIN, Linux-only fields on a
 * Windows pod); the patched pod is allowed unless a violation is one the profile may not
 * fix, and then /mutate named it ("not fixed: ..."); mutating again patches nothing. Each run
 * prints its counts: fixed, already compliant, unfixable (warned), exempt, broken, and how many
 * second passes were empty. Broken must be 0. Workloads run a second time as themselves, under a
 * profile that patches templates, so the template pointers (spec.template.spec, CronJob's
 * spec.jobTemplate.spec.template.spec) are proven too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/engine.h"
#include "socklock/manifest.h"
#include "socklock/policy.h"
#include "socklock/review.h"
#include "socklock/workload.h"
#include "testutil.h"

Suite *suite_conformance_mutate(void); /* for the runner */

/* The plain restricted profile, mutating as the defaults say, and one that patches
 * templates as well. */
static const char policy_text[] = "profiles:\n"
                                  "  restricted:\n"
                                  "    level: restricted\n"
                                  "    version: latest\n"
                                  "    readOnlyRootFilesystem: false\n"
                                  "  templates:\n"
                                  "    level: restricted\n"
                                  "    version: latest\n"
                                  "    readOnlyRootFilesystem: true\n"
                                  "    mutate:\n"
                                  "      templates: true\n"
                                  "      runAsUser: 10001\n";

struct item {
    char *label;
    json_t *obj; /* the object created */
};

struct items {
    struct item *v;
    size_t n, cap;
};

static void items_add(struct items *l, const char *label, json_t *obj)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = sl_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n].label = sl_xstrdup(label);
    l->v[l->n].obj = obj;
    l->n++;
}

static void items_free(struct items *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].label);
        json_decref(l->v[i].obj);
    }
    free(l->v);
}

static const char *str_at(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL && *s != '\0' ? s : dflt;
}

/* The Pod a workload's template makes, in the workload's namespace. New reference. */
static json_t *pod_of_template(const json_t *obj, const struct sl_podref *ref)
{
    json_t *meta =
        ref->meta != NULL && json_is_object(ref->meta) ? json_deep_copy(ref->meta) : json_object();
    const json_t *ometa = json_object_get(obj, "metadata");
    json_object_set_new(meta, "name", json_string(str_at(ometa, "name", "pod")));
    json_object_set_new(meta, "namespace", json_string(str_at(ometa, "namespace", "default")));
    return json_pack("{s:s, s:s, s:o, s:O}", "apiVersion", "v1", "kind", "Pod", "metadata", meta,
                     "spec", ref->spec);
}

/* Every object with a pod spec under folder `set` of the conformance data: the pods (Pods,
 * and the pods templates make) into pods, the workloads themselves into workloads. */
static void collect(const char *set, struct items *pods, struct items *workloads)
{
    char *dir = tu_conformance_set(set, NULL);
    struct sl_strlist files = {0};
    struct sl_error err = {0};
    ck_assert_msg(sl_manifest_expand(dir, &files, &err) == SL_OK, "%s", err.msg);
    for (size_t i = 0; i < files.len; i++) {
        struct sl_manifest_file f;
        if (sl_manifest_load(files.items[i], &f, &err) != SL_OK)
            continue; /* not a manifest (the data sets hold other YAML too) */
        for (size_t j = 0; j < f.nobjs; j++) {
            const json_t *obj = f.objs[j].object;
            char group[128];
            sl_workload_group_of(str_at(obj, "apiVersion", ""), group, sizeof(group));
            const char *kind = str_at(obj, "kind", "");
            struct sl_podref ref;
            if (sl_workload_find(obj, group, kind, &ref, NULL) != SL_OK)
                continue;
            char *label = sl_xasprintf("%s#%zu%s", files.items[i] + strlen(dir) + 1, f.objs[j].doc,
                                       f.objs[j].pointer);
            if (strcmp(kind, "Pod") == 0 && *group == '\0') {
                items_add(pods, label, json_deep_copy(obj));
            } else {
                items_add(pods, label, pod_of_template(obj, &ref));
                items_add(workloads, label, json_deep_copy(obj));
            }
            free(label);
        }
        sl_manifest_file_cleanup(&f);
    }
    sl_strlist_cleanup(&files);
    free(dir);
}

/* The request to create obj, as the API server sends it. */
static struct sl_request create_of(const json_t *obj, char *group, size_t size)
{
    sl_workload_group_of(str_at(obj, "apiVersion", ""), group, size);
    const char *kind = str_at(obj, "kind", "");
    const json_t *meta = json_object_get(obj, "metadata");
    struct sl_request r = {
        .operation = "CREATE",
        .group = group,
        .kind = kind,
        .subresource = "",
        .resource = strcmp(kind, "Pod") == 0 && *group == '\0' ? "pods" : "",
        .namespace_ = str_at(meta, "namespace", "default"),
        .name = str_at(meta, "name", ""),
        .username = "system:serviceaccount:kube-system:replicaset-controller",
        .object = obj,
        .old_object = NULL,
    };
    return r;
}

/* /mutate's answer for creating obj, through the server's own path. Returns the response
 * object (a new reference). */
static json_t *mutate_answer(const struct sl_profile *prof, const json_t *obj)
{
    char group[128];
    struct sl_request r = create_of(obj, group, sizeof(group));
    json_t *review =
        json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:O}}",
                  "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid",
                  "property", "kind", "group", r.group, "version", "v1", "kind", r.kind, "resource",
                  "group", r.group, "version", "v1", "resource", *r.resource ? r.resource : "x",
                  "operation", "CREATE", "namespace", r.namespace_, "name", r.name, "object", obj);
    char *body = json_dumps(review, JSON_COMPACT);
    struct sl_answer ans;
    sl_review_answer(prof, SL_EP_MUTATE, body, strlen(body), &ans);
    ck_assert_msg(ans.http_status == 200, "mutate: HTTP %d %s", ans.http_status, ans.body);
    json_t *doc = tu_json(ans.body);
    json_t *resp = json_incref(json_object_get(doc, "response"));
    ck_assert(json_is_true(json_object_get(resp, "allowed")));
    json_decref(doc);
    sl_review_answer_cleanup(&ans);
    free(body);
    json_decref(review);
    return resp;
}

/* How many fields of a pod the API server's validation would refuse: on a container,
 * allowPrivilegeEscalation=false beside privileged or an added CAP_SYS_ADMIN; on a Windows
 * pod, any Linux-only field. Counted on the original and on the patched pod: a patch must
 * never add one (the API server would refuse the pod it patched). */
static size_t api_refusals(const json_t *pod)
{
    static const char *const linux_only[] = {"allowPrivilegeEscalation",
                                             "capabilities",
                                             "seccompProfile",
                                             "readOnlyRootFilesystem",
                                             "runAsUser",
                                             "privileged",
                                             "procMount",
                                             "seLinuxOptions"};
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    const json_t *spec = json_object_get(pod, "spec");
    bool windows = strcmp(str_at(json_object_get(spec, "os"), "name", ""), "windows") == 0;
    size_t n = 0;
    const json_t *psc = json_object_get(spec, "securityContext");
    for (size_t k = 0; windows && k < SL_ARRAY_LEN(linux_only); k++)
        n += json_object_get(psc, linux_only[k]) != NULL &&
             !json_is_null(json_object_get(psc, linux_only[k]));
    for (size_t l = 0; l < SL_ARRAY_LEN(lists); l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
        {
            const json_t *sc = json_object_get(c, "securityContext");
            for (size_t k = 0; windows && k < SL_ARRAY_LEN(linux_only); k++) {
                const json_t *v = json_object_get(sc, linux_only[k]);
                n += v != NULL && !json_is_null(v);
            }
            if (!json_is_false(json_object_get(sc, "allowPrivilegeEscalation")))
                continue;
            n += json_is_true(json_object_get(sc, "privileged"));
            size_t j;
            const json_t *cap;
            json_array_foreach(json_object_get(json_object_get(sc, "capabilities"), "add"), j, cap)
                n += json_is_string(cap) && strcmp(json_string_value(cap), "CAP_SYS_ADMIN") == 0;
        }
    }
    return n;
}

struct counts {
    size_t fixed, compliant, unfixable, exempt, broken, idempotent, total;
};

/* The check ids of a verdict's findings, as a set. */
static void ids_of(const struct sl_findings *f, struct sl_strlist *out)
{
    for (size_t i = 0; i < f->len; i++)
        sl_strlist_add(out, f->items[i].check);
    sl_strlist_sort_unique(out);
}

/* Mutate, apply, validate and mutate again, for every item under prof. */
static void run(const char *what, const struct sl_profile *prof, const struct items *l,
                struct counts *c)
{
    const char *tool = getenv("SOCKLOCK_JSONPATCH");
    ck_assert_msg(tool != NULL && *tool != '\0',
                  "SOCKLOCK_JSONPATCH is not set (make test builds tests/tools/jsonpatch)");
    char in[] = "/tmp/socklock-mutate-in-XXXXXX";
    int fd = mkstemp(in);
    ck_assert(fd >= 0);
    FILE *fin = fdopen(fd, "w");
    json_t **answers = sl_xcalloc(l->n, sizeof(json_t *));
    for (size_t i = 0; i < l->n; i++) {
        answers[i] = mutate_answer(prof, l->v[i].obj);
        const char *patch = json_string_value(json_object_get(answers[i], "patch"));
        json_t *line = json_pack("{s:O, s:s}", "doc", l->v[i].obj, "patch", patch ? patch : "W10=");
        char *text = json_dumps(line, JSON_COMPACT);
        fprintf(fin, "%s\n", text);
        free(text);
        json_decref(line);
    }
    ck_assert_int_eq(fclose(fin), 0);
    char *cmd = sl_xasprintf("'%s' < '%s'", tool, in);
    FILE *fout = popen(cmd, "r");
    ck_assert_msg(fout != NULL, "cannot run %s", tool);
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < l->n; i++) {
        json_error_t je;
        json_t *res = json_loadf(fout, JSON_DISABLE_EOF_CHECK, &je);
        ck_assert_msg(res != NULL, "%s: no answer from the patch tool: %s", what, je.text);
        const struct item *it = &l->v[i];
        const json_t *resp = answers[i];
        bool patched = json_object_get(resp, "patch") != NULL;
        char group[128];
        struct sl_verdict v, again, m;
        sl_engine_verdict_init(&v);
        sl_engine_verdict_init(&again);
        sl_engine_verdict_init(&m);
        c->total++;
        if (!json_is_true(json_object_get(res, "ok"))) {
            c->broken++;
            printf("mutate %s: BROKEN %s: %s\n", what, it->label,
                   json_string_value(json_object_get(res, "error")));
        } else {
            const json_t *doc = json_object_get(res, "doc");
            struct sl_request r = create_of(doc, group, sizeof(group));
            sl_engine_eval(prof, &r, &v);
            sl_engine_mutate(prof, &r, &again);
            struct sl_request orig = create_of(it->obj, group, sizeof(group));
            sl_engine_mutate(prof, &orig, &m);
            /* What /validate still finds must be what /mutate said it would not fix. */
            struct sl_strlist left = {0}, warned = {0};
            ids_of(&v.findings, &left);
            ids_of(&m.findings, &warned);
            bool all_warned = v.code != 400;
            for (size_t k = 0; k < left.len; k++)
                all_warned = all_warned && sl_strlist_has(&warned, left.items[k]);
            const json_t *ws = json_object_get(resp, "warnings");
            bool said = warned.len == 0 ||
                        (json_array_size(ws) > 0 &&
                         strstr(json_string_value(json_array_get(ws, 0)), "not fixed: ") != NULL);
            if (again.patch == NULL)
                c->idempotent++;
            bool api_ok = api_refusals(doc) <= api_refusals(it->obj);
            if (again.patch != NULL || !all_warned || !said || !api_ok) {
                c->broken++;
                char *p = again.patch ? json_dumps(again.patch, JSON_COMPACT) : NULL;
                printf("mutate %s: BROKEN %s: %s%s%s\n", what, it->label,
                       p ? "second pass patches " : "",
                       p             ? p
                       : !api_ok     ? "the patch adds a field the API server refuses "
                       : !all_warned ? "a violation left that /mutate did not name: "
                                     : "no 'not fixed' warning",
                       v.message ? v.message : "");
                free(p);
            } else if (!v.evaluated) {
                c->exempt++;
            } else if (v.allowed) {
                patched ? c->fixed++ : c->compliant++;
            } else {
                c->unfixable++;
            }
            sl_strlist_cleanup(&left);
            sl_strlist_cleanup(&warned);
        }
        sl_engine_verdict_cleanup(&v);
        sl_engine_verdict_cleanup(&again);
        sl_engine_verdict_cleanup(&m);
        json_decref(res);
        json_decref(answers[i]);
    }
    ck_assert_int_eq(pclose(fout), 0);
    unlink(in);
    free(cmd);
    free(answers);
    printf("mutate %s: %zu objects: fixed %zu, already compliant %zu, unfixable %zu (warned), "
           "exempt %zu, broken %zu; second pass empty %zu/%zu\n",
           what, c->total, c->fixed, c->compliant, c->unfixable, c->exempt, c->broken,
           c->idempotent, c->total);
    ck_assert_msg(c->broken == 0, "%s: %zu broken", what, c->broken);
    ck_assert_uint_eq(c->idempotent, c->total);
}

static const char *const sets[] = {"pod-security-admission", "sock-shop", "kyverno-policies"};

START_TEST(test_mutate_then_validate_over_the_conformance_data)
{
    const char *set = sets[_i];
    struct items pods = {0}, workloads = {0};
    collect(set, &pods, &workloads);
    ck_assert_msg(pods.n > 0, "%s: no pods found", set);
    struct sl_policy *def = sl_policy_new_default();
    struct sl_policy *pol = NULL;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_policy_load(policy_text, strlen(policy_text), "test", &pol, &err), SL_OK);
    struct counts c;
    char what[128];
    snprintf(what, sizeof(what), "%s pods, restricted", set);
    run(what, sl_policy_find(pol, "restricted"), &pods, &c);
    snprintf(what, sizeof(what), "%s pods, default", set);
    run(what, sl_policy_find(def, "default"), &pods, &c);
    if (strcmp(set, "sock-shop") == 0)
        printf("sock-shop through /mutate then /validate (default profile): %zu of %zu pods "
               "admitted (%zu exempt namespace)\n",
               c.fixed + c.compliant + c.exempt, c.total, c.exempt);
    if (workloads.n > 0) {
        snprintf(what, sizeof(what), "%s workloads, templates patched", set);
        run(what, sl_policy_find(pol, "templates"), &workloads, &c);
    }
    sl_policy_free(pol);
    sl_policy_free(def);
    items_free(&pods);
    items_free(&workloads);
}
END_TEST

Suite *suite_conformance_mutate(void)
{
    Suite *s = suite_create("conformance_mutate");
    TCase *tc = tcase_create("property");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_mutate_then_validate_over_the_conformance_data, 0,
                        (int)SL_ARRAY_LEN(sets));
    suite_add_tcase(s, tc);
    return s;
}
