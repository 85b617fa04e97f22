/* scope: whether, and how, the engine judges a request.
 *
 * The order follows Pod Security Admission's admission.go, so that socklock scopes requests
 * exactly as PSA does:
 *   1. DELETE and CONNECT are allowed; so is any kind that carries no pod spec.
 *   2. Pods: the subresources PSA ignores (exec, attach, binding, eviction, log,
 *      portforward, proxy, status) are allowed; every other one (ephemeralcontainers,
 *      resize, ...) is judged, since it may change the pod spec. Controllers: any
 *      subresource (scale, status) is allowed.
 *   3. Exempt namespaces and usernames are allowed.
 *   4. A pod UPDATE is judged only when it is significant (isSignificantPodUpdate): a
 *      container or init container added or removed, an image changed, a container's
 *      seccomp annotation changed, an ephemeral container added or changed. A workload
 *      UPDATE is judged only when its pod template changes.
 *   5. Exempt runtimeClassNames are allowed; then the checks run. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

static const char *const ignored_pod_subresources[] = {
    "exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status",
};

static bool list_has(const struct sl_strlist *l, const char *s)
{
    return s != NULL && *s != '\0' && sl_strlist_has(l, s);
}

static const char *str_at(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static const json_t *container_list(const json_t *spec, const char *key)
{
    const json_t *l = json_object_get(spec, key);
    return json_is_array(l) ? l : NULL;
}

/* Kubernetes' corev1.SeccompContainerAnnotationKeyPrefix. */
#define SECCOMP_CONTAINER_PREFIX "container.seccomp.security.alpha.kubernetes.io/"

static bool seccomp_annotation_changed(const json_t *meta, const json_t *old_meta, const char *name)
{
    char *key = sl_xasprintf(SECCOMP_CONTAINER_PREFIX "%s", name);
    const char *a = str_at(json_object_get(meta, "annotations"), key);
    const char *b = str_at(json_object_get(old_meta, "annotations"), key);
    free(key);
    return strcmp(a, b) != 0;
}

static bool container_changed(const json_t *c, const json_t *old, const json_t *meta,
                              const json_t *old_meta)
{
    if (strcmp(str_at(c, "image"), str_at(old, "image")) != 0)
        return true;
    return seccomp_annotation_changed(meta, old_meta, str_at(c, "name"));
}

/* PSA's isSignificantPodUpdate, on JSON. Structure errors count as significant, so the
 * checks run and report them. */
static bool significant_pod_update(const json_t *pod, const json_t *old)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *ospec = json_object_get(old, "spec");
    const json_t *meta = json_object_get(pod, "metadata");
    const json_t *ometa = json_object_get(old, "metadata");
    if (!json_is_object(spec) || !json_is_object(ospec))
        return true;
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < SL_ARRAY_LEN(lists); l++) {
        const json_t *a = json_object_get(spec, lists[l]);
        const json_t *b = json_object_get(ospec, lists[l]);
        if ((a != NULL && !json_is_array(a) && !json_is_null(a)) ||
            (b != NULL && !json_is_array(b) && !json_is_null(b)))
            return true;
        if (json_array_size(a) != json_array_size(b))
            return true;
        for (size_t i = 0; i < json_array_size(a); i++) {
            if (container_changed(json_array_get(a, i), json_array_get(b, i), meta, ometa))
                return true;
        }
    }
    const json_t *eph = json_object_get(spec, "ephemeralContainers");
    const json_t *oeph = container_list(ospec, "ephemeralContainers");
    if (eph != NULL && !json_is_array(eph) && !json_is_null(eph))
        return true;
    for (size_t i = 0; i < json_array_size(eph); i++) {
        const json_t *c = json_array_get(eph, i);
        const json_t *oc = NULL;
        for (size_t j = 0; j < json_array_size(oeph); j++) {
            const json_t *cand = json_array_get(oeph, j);
            if (strcmp(str_at(cand, "name"), str_at(c, "name")) == 0) {
                oc = cand;
                break;
            }
        }
        if (oc == NULL || container_changed(c, oc, meta, ometa))
            return true;
    }
    return false;
}

static const json_t *annotations_of(const json_t *meta)
{
    const json_t *a = json_object_get(meta, "annotations");
    return json_is_object(a) && json_object_size(a) > 0 ? a : NULL;
}

/* True when a workload UPDATE leaves its pod template as it was: the same pod spec and the
 * same template annotations (which carry the AppArmor and seccomp profiles of old
 * clusters). Scaling, relabelling, a finalizer removed by the garbage collector or a revision
 * annotation written by the deployment controller change nothing any pod will run with. */
static bool template_unchanged(const struct sl_podref *now, const struct sl_podref *old)
{
    const json_t *a = annotations_of(now->meta), *b = annotations_of(old->meta);
    if ((a == NULL) != (b == NULL) || (a != NULL && !json_equal(a, b)))
        return false;
    return json_equal(now->spec, old->spec);
}

static const char *object_name(const struct sl_request *req)
{
    if (req->name != NULL && *req->name != '\0')
        return req->name;
    const json_t *meta = json_object_get(req->object, "metadata");
    const char *n = str_at(meta, "name");
    return *n ? n : str_at(meta, "generateName");
}

void eng_scope_init(struct eng_scope *s, const struct sl_request *req)
{
    s->op = req->operation ? req->operation : "";
    s->sub = req->subresource ? req->subresource : "";
    s->group = req->group ? req->group : "";
    s->kind = req->kind ? req->kind : "";
    s->name = object_name(req);
    const char *resource = req->resource ? req->resource : "";
    /* PSA dispatches on the resource: a request on core "pods" (any subresource it does
     * not ignore) must carry a Pod, or it is refused, so a version-skewed or unknown
     * subresource that changes the pod spec cannot slip past as another kind. Without a
     * resource (offline checks), the kind decides. */
    bool core = strcmp(s->group, "") == 0;
    s->is_pod = core && (strcmp(resource, "pods") == 0 || strcmp(s->kind, "Pod") == 0);
}

/* Steps 1 to 3: operations, kinds, subresources and the exemptions that need no object. */
bool eng_in_scope(const struct sl_profile *prof, const struct sl_request *req,
                  const struct eng_scope *s)
{
    if (strcmp(s->op, "CREATE") != 0 && strcmp(s->op, "UPDATE") != 0)
        return false;
    if (!s->is_pod && !sl_workload_supported(s->group, s->kind))
        return false;
    if (s->is_pod) {
        for (size_t i = 0; i < SL_ARRAY_LEN(ignored_pod_subresources); i++) {
            if (strcmp(s->sub, ignored_pod_subresources[i]) == 0)
                return false;
        }
    } else if (*s->sub != '\0') {
        return false;
    }
    /* Namespaces are matched by the request's namespace name only, never by labels a user
     * can set. */
    return !list_has(&prof->exempt_namespaces, req->namespace_) &&
           !list_has(&prof->exempt_usernames, req->username);
}

/* The object is there, is an object, and a request on pods carries a Pod; else a denial. */
bool eng_object_present(const struct sl_request *req, const struct eng_scope *s,
                        struct sl_verdict *out)
{
    if (req->object == NULL || json_is_null(req->object)) {
        eng_deny_unreadable(out, s, "object missing");
        return false;
    }
    if (!json_is_object(req->object)) {
        eng_deny_unreadable(out, s, "object is not a JSON object");
        return false;
    }
    if (s->is_pod && strcmp(s->kind, "Pod") != 0) {
        eng_deny_unreadable(out, s, "a request on pods/%s must carry a Pod, not %s", s->sub,
                            *s->kind ? s->kind : "an object without kind");
        return false;
    }
    return true;
}

/* Step 4: an UPDATE is judged only when it changes what pods run with. A pod UPDATE
 * without oldObject is a denial: the old object is never assumed. socklock enforces
 * workload templates (PSA only warns on them), so judging every workload UPDATE would
 * refuse a metadata change to a workload that predates the policy, and stall the
 * controllers that update it. */
bool eng_significant(const struct sl_request *req, const struct eng_scope *s,
                     const struct sl_podref *ref, struct sl_verdict *out)
{
    if (strcmp(s->op, "UPDATE") != 0)
        return true;
    if (s->is_pod) {
        if (!json_is_object(req->old_object)) {
            eng_deny(out, 400, "BadRequest",
                     sl_xasprintf("pod \"%s\" could not be evaluated: UPDATE without oldObject",
                                  s->name));
            return false;
        }
        return significant_pod_update(req->object, req->old_object);
    }
    struct sl_podref old;
    return !json_is_object(req->old_object) ||
           sl_workload_find(req->old_object, s->group, s->kind, &old, NULL) != SL_OK ||
           !template_unchanged(ref, &old);
}

bool eng_runtime_class_exempt(const struct sl_profile *prof, const struct sl_podref *ref)
{
    const json_t *rtc = json_object_get(ref->spec, "runtimeClassName");
    return json_is_string(rtc) && list_has(&prof->exempt_runtime_classes, json_string_value(rtc));
}

struct sl_pss_opts eng_pss_opts(const struct sl_profile *prof, const struct eng_waivers *w,
                                struct sl_findings *waived)
{
    struct sl_pss_opts opts = {
        .level = prof->level,
        .version = prof->version,
        .extras = prof->read_only_root_fs ? SL_PSS_EXTRA_READ_ONLY_ROOT_FS : 0u,
        .relax_user_ns = prof->relax_user_ns,
        .only_check = NULL,
        .waivers = w != NULL ? w->v : NULL,
        .nwaivers = w != NULL ? w->n : 0,
        .waived = waived,
    };
    return opts;
}
