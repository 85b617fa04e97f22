/* workload: where the pod spec lives in each supported kind, and the effective
 * securityContext of a container. Pure; borrows everything it is given. */
#ifndef SOCKLOCK_WORKLOAD_H
#define SOCKLOCK_WORKLOAD_H

#include <stdbool.h>

#include <jansson.h>

#include "socklock/common.h"

/* A located pod spec. All pointers are borrowed from the object. */
struct sl_podref {
    const json_t *meta;       /* metadata of the pod or of the template; NULL if absent */
    const json_t *spec;       /* the pod spec object */
    const char *pointer;      /* JSON pointer of spec in the object, e.g. "/spec/template/spec" */
    const char *meta_pointer; /* JSON pointer of meta, e.g. "/spec/template/metadata" */
};

/* True when (group, kind) is a kind that carries a pod spec: Pod, PodTemplate,
 * ReplicationController (core); Deployment, ReplicaSet, DaemonSet (apps, extensions);
 * StatefulSet (apps); Job, CronJob (batch). group is "" for core. */
bool sl_workload_supported(const char *group, const char *kind);

/* Finds the pod spec of `obj`, a (group, kind) object. SL_E_NOTFOUND when the kind carries
 * no pod spec, or when a step of the path is absent or null (an empty spec or nil template,
 * which PSA allows): both are allowed untouched. SL_E_INVALID, with err naming the path,
 * when a step is present but not an object. */
enum sl_status sl_workload_find(const json_t *obj, const char *group, const char *kind,
                                struct sl_podref *out, struct sl_error *err);

/* Splits an apiVersion "apps/v1" into a group ("apps"; "" for "v1"), written into out. */
void sl_workload_group_of(const char *api_version, char *out, size_t size);

#endif
