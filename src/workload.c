/* workload: where each kind that creates pods keeps its pod spec.
 *
 * One table maps (group, kind) to the JSON pointers of the pod spec and of the metadata
 * that goes with it (the pod's own, or the template's). Kinds are recognised in every API
 * group that served them (Deployment under "extensions" as well as "apps"), since the API
 * version inside the group does not move the pod spec. Every step of the path that is
 * present must be an object: a Deployment whose spec.template is a string cannot be judged,
 * so it is an error, not an object without pods; an absent step means no pods to judge. */
#include "socklock/workload.h"

#include <stdio.h>
#include <string.h>

static const struct kind {
    const char *group;
    const char *kind;
    const char *spec;    /* JSON pointer of the pod spec */
    const char *meta;    /* JSON pointer of its metadata */
    const char *path[6]; /* the same as object keys, NULL-terminated */
} kinds[] = {
    {"", "Pod", "/spec", "/metadata", {"spec", NULL}},
    {"", "PodTemplate", "/template/spec", "/template/metadata", {"template", "spec", NULL}},
    {"",
     "ReplicationController",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"apps",
     "Deployment",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"extensions",
     "Deployment",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"apps",
     "ReplicaSet",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"extensions",
     "ReplicaSet",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"apps",
     "DaemonSet",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"extensions",
     "DaemonSet",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"apps",
     "StatefulSet",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"batch",
     "Job",
     "/spec/template/spec",
     "/spec/template/metadata",
     {"spec", "template", "spec", NULL}},
    {"batch",
     "CronJob",
     "/spec/jobTemplate/spec/template/spec",
     "/spec/jobTemplate/spec/template/metadata",
     {"spec", "jobTemplate", "spec", "template", "spec", NULL}},
};

/* The row for (group, kind), or NULL: a kind that carries no pod spec. */
static const struct kind *find_kind(const char *group, const char *kind)
{
    for (size_t i = 0; group != NULL && kind != NULL && i < SL_ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].group, group) == 0 && strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

/* "spec.template.spec" for the first n keys of k's path (the metadata's parent for n - 1),
 * into out: written only when an error names it. */
static void dotted(const struct kind *k, size_t n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k->path[i] != NULL && used < size; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? "." : "", k->path[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

bool sl_workload_supported(const char *group, const char *kind)
{
    return find_kind(group, kind) != NULL;
}

enum sl_status sl_workload_find(const json_t *obj, const char *group, const char *kind,
                                struct sl_podref *out, struct sl_error *err)
{
    const struct kind *k = find_kind(group, kind);
    char path[128];
    if (k == NULL)
        return SL_E_NOTFOUND;
    if (!json_is_object(obj)) {
        sl_error_set(err, "%s is not an object", kind);
        return SL_E_INVALID;
    }

    /* Walk to the spec; `parent` ends as the object that holds it and its metadata. */
    const json_t *parent = obj, *cur = obj;
    size_t depth = 0;
    for (; k->path[depth]; depth++) {
        parent = cur;
        cur = json_object_get(cur, k->path[depth]);
        if (!cur || json_is_null(cur)) {
            /* Absent (or null) is empty, as the API server's typed decoding reads it: PSA
             * then evaluates an empty pod spec, or skips a nil template, and allows both.
             * So does a partial manifest such as a kustomize patch. */
            dotted(k, depth + 1, path, sizeof(path));
            sl_error_set(err, "%s %s is absent", kind, path);
            return SL_E_NOTFOUND;
        }
        if (!json_is_object(cur)) {
            dotted(k, depth + 1, path, sizeof(path));
            sl_error_set(err, "%s %s is not an object", kind, path);
            return SL_E_INVALID;
        }
    }

    const json_t *meta = json_object_get(parent, "metadata");
    if (json_is_null(meta))
        meta = NULL;
    if (meta && !json_is_object(meta)) {
        /* Name the metadata next to the spec. */
        dotted(k, depth - 1, path, sizeof(path));
        sl_error_set(err, "%s %s%smetadata is not an object", kind, path, *path ? "." : "");
        return SL_E_INVALID;
    }
    out->meta = meta;
    out->spec = cur;
    out->pointer = k->spec;
    out->meta_pointer = k->meta;
    return SL_OK;
}

void sl_workload_group_of(const char *api_version, char *out, size_t size)
{
    if (size == 0)
        return;
    const char *slash = api_version ? strchr(api_version, '/') : NULL;
    if (!slash) {
        out[0] = '\0';
        return;
    }
    size_t n = (size_t)(slash - api_version);
    if (n >= size)
        n = size - 1;
    memcpy(out, api_version, n);
    out[n] = '\0';
}
