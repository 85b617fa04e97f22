/* pss_model: decodes a pod's metadata and spec into the structs of pss_int.h.
 *
 * The Pod Security Admission checks run on typed Go structs, which the API server decodes
 * from JSON: unknown fields are ignored, null is the same as absent, and a value of the
 * wrong type fails the whole request. We copy that here for every field a check reads, so
 * that a pod we cannot understand is an error (fail closed) and never passes for one whose
 * fields are unset: `runAsNonRoot: "true"` is not true, and it is not absent either.
 * Numbers must be integers in the range API validation allows (runAsUser 0..2^31-1,
 * hostPort 0..65535). Everything decoded is borrowed from the JSON values. */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/json.h"

/* Returns the member `key` of obj, or NULL when it is absent or null. */
static const json_t *member(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static enum sl_status type_error(struct sl_error *err, const char *path, const char *key,
                                 const char *what)
{
    if (key)
        sl_error_set(err, "%s.%s is not %s", path, key, what);
    else
        sl_error_set(err, "%s is not %s", path, what);
    return SL_E_INVALID;
}

static enum sl_status get_object(const json_t *obj, const char *key, const char *path,
                                 const json_t **out, struct sl_error *err)
{
    *out = member(obj, key);
    if (*out && !json_is_object(*out))
        return type_error(err, path, key, "an object");
    return SL_OK;
}

static enum sl_status get_array(const json_t *obj, const char *key, const char *path,
                                const json_t **out, struct sl_error *err)
{
    *out = member(obj, key);
    if (*out && !json_is_array(*out))
        return type_error(err, path, key, "an array");
    return SL_OK;
}

/* A string field; "" when absent (Go's zero value). */
static enum sl_status get_string(const json_t *obj, const char *key, const char *path,
                                 const char **out, struct sl_error *err)
{
    const json_t *v = member(obj, key);
    *out = "";
    if (!v)
        return SL_OK;
    if (!json_is_string(v))
        return type_error(err, path, key, "a string");
    *out = json_string_value(v);
    return SL_OK;
}

static enum sl_status get_tri(const json_t *obj, const char *key, const char *path,
                              enum pss_tri *out, struct sl_error *err)
{
    const json_t *v = member(obj, key);
    *out = PSS_UNSET;
    if (!v)
        return SL_OK;
    if (!json_is_boolean(v))
        return type_error(err, path, key, "a boolean");
    *out = json_is_true(v) ? PSS_TRUE : PSS_FALSE;
    return SL_OK;
}

/* An integer field within [min, max]; *set is false when absent. */
static enum sl_status get_int(const json_t *obj, const char *key, const char *path, long long min,
                              long long max, bool *set, long long *out, struct sl_error *err)
{
    const json_t *v = member(obj, key);
    *set = false;
    *out = 0;
    if (!v)
        return SL_OK;
    if (!json_is_integer(v))
        return type_error(err, path, key, "an integer");
    long long n = json_integer_value(v);
    if (n < min || n > max) {
        sl_error_set(err, "%s.%s is out of range (%lld..%lld)", path, key, min, max);
        return SL_E_INVALID;
    }
    *set = true;
    *out = n;
    return SL_OK;
}

/* An array of strings, such as capabilities.add; NULL when absent. */
static enum sl_status get_string_array(const json_t *obj, const char *key, const char *path,
                                       const json_t **out, struct sl_error *err)
{
    enum sl_status rc = get_array(obj, key, path, out, err);
    if (rc != SL_OK || !*out)
        return rc;
    size_t i;
    const json_t *v;
    json_array_foreach(*out, i, v)
    {
        if (!json_is_string(v)) {
            sl_error_set(err, "%s.%s[%zu] is not a string", path, key, i);
            return SL_E_INVALID;
        }
    }
    return SL_OK;
}

/* Decodes a profile object (seccompProfile, appArmorProfile) member of sc. */
static enum sl_status get_profile(const json_t *sc, const char *key, const char *path,
                                  struct pss_profile *out, struct sl_error *err)
{
    const json_t *p;
    enum sl_status rc = get_object(sc, key, path, &p, err);
    out->set = p != NULL;
    out->type = "";
    if (rc != SL_OK || !p)
        return rc;
    char sub[160];
    snprintf(sub, sizeof(sub), "%s.%s", path, key);
    return get_string(p, "type", sub, &out->type, err);
}

/* Decodes the fields pod and container securityContexts share. `path` names sc. */
static enum sl_status decode_sc(const json_t *sc, const char *path, struct pss_sc *out,
                                struct sl_error *err)
{
    enum sl_status rc;
    char sub[160];
    const json_t *o;

    memset(out, 0, sizeof(*out));
    out->seccomp.type = out->apparmor.type = "";
    out->selinux.type = out->selinux.user = out->selinux.role = "";
    if (!sc)
        return SL_OK;
    if ((rc = get_tri(sc, "runAsNonRoot", path, &out->run_as_non_root, err)) != SL_OK)
        return rc;
    rc = get_int(sc, "runAsUser", path, 0, 2147483647LL, &out->run_as_user_set, &out->run_as_user,
                 err);
    if (rc != SL_OK)
        return rc;
    if ((rc = get_profile(sc, "seccompProfile", path, &out->seccomp, err)) != SL_OK)
        return rc;
    if ((rc = get_profile(sc, "appArmorProfile", path, &out->apparmor, err)) != SL_OK)
        return rc;

    if ((rc = get_object(sc, "seLinuxOptions", path, &o, err)) != SL_OK)
        return rc;
    if (o) {
        snprintf(sub, sizeof(sub), "%s.seLinuxOptions", path);
        out->selinux.set = true;
        if ((rc = get_string(o, "type", sub, &out->selinux.type, err)) != SL_OK ||
            (rc = get_string(o, "user", sub, &out->selinux.user, err)) != SL_OK ||
            (rc = get_string(o, "role", sub, &out->selinux.role, err)) != SL_OK)
            return rc;
    }

    if ((rc = get_object(sc, "windowsOptions", path, &o, err)) != SL_OK)
        return rc;
    if (o) {
        snprintf(sub, sizeof(sub), "%s.windowsOptions", path);
        if ((rc = get_tri(o, "hostProcess", sub, &out->host_process, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Records the host of an httpGet or tcpSocket action inside `handler` (a probe or a
 * lifecycle handler object, already checked). */
static enum sl_status decode_handler_hosts(const json_t *handler, const char *path,
                                           struct pss_container *c, struct sl_error *err)
{
    static const char *const actions[] = {"httpGet", "tcpSocket"};
    char sub[192];
    for (size_t i = 0; i < SL_ARRAY_LEN(actions); i++) {
        const json_t *a;
        const char *host;
        enum sl_status rc = get_object(handler, actions[i], path, &a, err);
        if (rc != SL_OK)
            return rc;
        if (!a)
            continue;
        snprintf(sub, sizeof(sub), "%s.%s", path, actions[i]);
        if ((rc = get_string(a, "host", sub, &host, err)) != SL_OK)
            return rc;
        if (*host && c->nhosts < PSS_MAX_HOSTS)
            c->hosts[c->nhosts++] = host;
    }
    return SL_OK;
}

static enum sl_status decode_hosts(const json_t *ctr, const char *path, struct pss_container *c,
                                   struct sl_error *err)
{
    static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
    static const char *const hooks[] = {"postStart", "preStop"};
    char sub[160];
    const json_t *o, *lc;
    enum sl_status rc;

    for (size_t i = 0; i < SL_ARRAY_LEN(probes); i++) {
        if ((rc = get_object(ctr, probes[i], path, &o, err)) != SL_OK)
            return rc;
        if (!o)
            continue;
        snprintf(sub, sizeof(sub), "%s.%s", path, probes[i]);
        if ((rc = decode_handler_hosts(o, sub, c, err)) != SL_OK)
            return rc;
    }
    if ((rc = get_object(ctr, "lifecycle", path, &lc, err)) != SL_OK || !lc)
        return rc;
    for (size_t i = 0; i < SL_ARRAY_LEN(hooks); i++) {
        snprintf(sub, sizeof(sub), "%s.lifecycle", path);
        if ((rc = get_object(lc, hooks[i], sub, &o, err)) != SL_OK)
            return rc;
        if (!o)
            continue;
        snprintf(sub, sizeof(sub), "%s.lifecycle.%s", path, hooks[i]);
        if ((rc = decode_handler_hosts(o, sub, c, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status decode_ports(const json_t *ctr, const char *path, struct pss_container *c,
                                   struct sl_error *err)
{
    enum sl_status rc = get_array(ctr, "ports", path, &c->ports, err);
    if (rc != SL_OK || !c->ports)
        return rc;
    size_t i;
    const json_t *p;
    char sub[160];
    json_array_foreach(c->ports, i, p)
    {
        snprintf(sub, sizeof(sub), "%s.ports[%zu]", path, i);
        if (!json_is_object(p))
            return type_error(err, sub, NULL, "an object");
        bool set;
        long long port;
        if ((rc = get_int(p, "hostPort", sub, 0, 65535, &set, &port, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status decode_container(const json_t *ctr, const char *path, struct pss_container *c,
                                       struct sl_error *err)
{
    enum sl_status rc;
    const json_t *sc, *caps;
    char sub[160];

    memset(c, 0, sizeof(*c));
    if (!json_is_object(ctr))
        return type_error(err, path, NULL, "an object");
    if ((rc = get_string(ctr, "name", path, &c->name, err)) != SL_OK)
        return rc;
    if ((rc = get_object(ctr, "securityContext", path, &sc, err)) != SL_OK)
        return rc;
    snprintf(sub, sizeof(sub), "%s.securityContext", path);
    if ((rc = decode_sc(sc, sub, &c->sc, err)) != SL_OK)
        return rc;
    if (sc) {
        if ((rc = get_tri(sc, "privileged", sub, &c->privileged, err)) != SL_OK ||
            (rc = get_tri(sc, "allowPrivilegeEscalation", sub, &c->allow_priv_esc, err)) != SL_OK ||
            (rc = get_tri(sc, "readOnlyRootFilesystem", sub, &c->ro_rootfs, err)) != SL_OK)
            return rc;
        const char *pm;
        if ((rc = get_string(sc, "procMount", sub, &pm, err)) != SL_OK)
            return rc;
        c->proc_mount = member(sc, "procMount") ? pm : NULL;
        if ((rc = get_object(sc, "capabilities", sub, &caps, err)) != SL_OK)
            return rc;
        if (caps) {
            char csub[192];
            snprintf(csub, sizeof(csub), "%s.capabilities", sub);
            c->caps_set = true;
            if ((rc = get_string_array(caps, "add", csub, &c->cap_add, err)) != SL_OK ||
                (rc = get_string_array(caps, "drop", csub, &c->cap_drop, err)) != SL_OK)
                return rc;
        }
    }
    if ((rc = decode_ports(ctr, path, c, err)) != SL_OK)
        return rc;
    return decode_hosts(ctr, path, c, err);
}

/* PSA's visitor order (policy/visitor.go). */
const char *const pss_list_names[3] = {"initContainers", "containers", "ephemeralContainers"};

static enum sl_status decode_containers(struct pss_pod *pod, const json_t *spec,
                                        struct sl_error *err)
{
    const char *const *lists = pss_list_names;
    const json_t *arr[3];
    size_t total = 0;
    enum sl_status rc;

    for (size_t l = 0; l < 3; l++) {
        if ((rc = get_array(spec, lists[l], "spec", &arr[l], err)) != SL_OK)
            return rc;
        total += json_array_size(arr[l]);
    }
    if (total > PSS_MAX_CONTAINERS) {
        sl_error_set(err, "spec has %zu containers (the limit is %d)", total, PSS_MAX_CONTAINERS);
        return SL_E_LIMIT;
    }
    pod->containers = sl_xcalloc(total, sizeof(*pod->containers)); /* never NULL, even for 0 */
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        const json_t *ctr;
        json_array_foreach(arr[l], i, ctr)
        {
            char path[96];
            snprintf(path, sizeof(path), "spec.%s[%zu]", lists[l], i);
            struct pss_container *c = &pod->containers[pod->ncontainers];
            rc = decode_container(ctr, path, c, err);
            if (rc != SL_OK)
                return rc;
            c->json = ctr;
            c->list = (enum pss_list)l;
            c->index = i;
            pod->ncontainers++;
        }
    }
    return SL_OK;
}

/* Volume sources in the order restrictedVolumes names them (check_restrictedVolumes.go);
 * `allowed` marks the sources the restricted level accepts. */
static const struct {
    const char *key;
    bool allowed;
} volume_sources[] = {
    {"configMap", true},
    {"csi", true},
    {"downwardAPI", true},
    {"emptyDir", true},
    {"ephemeral", true},
    {"image", true},
    {"persistentVolumeClaim", true},
    {"projected", true},
    {"secret", true},
    {"hostPath", false},
    {"gcePersistentDisk", false},
    {"awsElasticBlockStore", false},
    {"gitRepo", false},
    {"nfs", false},
    {"iscsi", false},
    {"glusterfs", false},
    {"rbd", false},
    {"flexVolume", false},
    {"cinder", false},
    {"cephfs", false},
    {"flocker", false},
    {"fc", false},
    {"azureFile", false},
    {"vsphereVolume", false},
    {"quobyte", false},
    {"azureDisk", false},
    {"photonPersistentDisk", false},
    {"portworxVolume", false},
    {"scaleIO", false},
    {"storageos", false},
};

static enum sl_status decode_volume(const json_t *v, const char *path, struct pss_volume *out,
                                    struct sl_error *err)
{
    enum sl_status rc;
    bool allowed = false;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(v))
        return type_error(err, path, NULL, "an object");
    if ((rc = get_string(v, "name", path, &out->name, err)) != SL_OK)
        return rc;
    for (size_t i = 0; i < SL_ARRAY_LEN(volume_sources); i++) {
        const json_t *src;
        if ((rc = get_object(v, volume_sources[i].key, path, &src, err)) != SL_OK)
            return rc;
        if (!src)
            continue;
        if (volume_sources[i].allowed)
            allowed = true;
        else if (!out->bad_type)
            out->bad_type = volume_sources[i].key;
        if (strcmp(volume_sources[i].key, "hostPath") == 0)
            out->host_path = true;
    }
    /* Any allowed source wins (PSA's switch tests them first). A volume with no source the
     * API knows is defaulted to emptyDir by the API server (SetDefaults_Volume) before
     * admission sees it, so it is allowed too. */
    if (allowed)
        out->bad_type = NULL;
    return SL_OK;
}

static enum sl_status decode_volumes(struct pss_pod *pod, const json_t *spec, struct sl_error *err)
{
    const json_t *vols;
    enum sl_status rc = get_array(spec, "volumes", "spec", &vols, err);
    if (rc != SL_OK || !vols)
        return rc;
    pod->volumes_json = vols;
    size_t n = json_array_size(vols);
    if (n > PSS_MAX_VOLUMES) {
        sl_error_set(err, "spec has %zu volumes (the limit is %d)", n, PSS_MAX_VOLUMES);
        return SL_E_LIMIT;
    }
    pod->volumes = sl_xcalloc(n, sizeof(*pod->volumes)); /* never NULL, even for 0 */
    size_t i;
    const json_t *v;
    json_array_foreach(vols, i, v)
    {
        char path[64];
        snprintf(path, sizeof(path), "spec.volumes[%zu]", i);
        if ((rc = decode_volume(v, path, &pod->volumes[i], err)) != SL_OK)
            return rc;
        pod->nvolumes++;
    }
    return SL_OK;
}

static enum sl_status decode_sysctls(struct pss_pod *pod, const json_t *sc, struct sl_error *err)
{
    enum sl_status rc = get_array(sc, "sysctls", "spec.securityContext", &pod->sysctls, err);
    if (rc != SL_OK || !pod->sysctls)
        return rc;
    size_t i;
    const json_t *s;
    json_array_foreach(pod->sysctls, i, s)
    {
        char path[80];
        const char *name;
        snprintf(path, sizeof(path), "spec.securityContext.sysctls[%zu]", i);
        if (!json_is_object(s))
            return type_error(err, path, NULL, "an object");
        if ((rc = get_string(s, "name", path, &name, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status decode_meta(struct pss_pod *pod, const json_t *meta, struct sl_error *err)
{
    if (!meta || json_is_null(meta))
        return SL_OK;
    if (!json_is_object(meta))
        return type_error(err, "metadata", NULL, "an object");
    enum sl_status rc = get_object(meta, "annotations", "metadata", &pod->annotations, err);
    if (rc != SL_OK || !pod->annotations)
        return rc;
    const char *key;
    const json_t *v;
    json_object_foreach(sl_json_mut(pod->annotations), key, v)
    {
        if (!json_is_string(v)) {
            sl_error_set(err, "metadata.annotations[\"%s\"] is not a string", key);
            return SL_E_INVALID;
        }
    }
    return SL_OK;
}

enum sl_status pss_pod_decode(struct pss_pod *pod, const json_t *meta, const json_t *spec,
                              struct sl_error *err)
{
    enum sl_status rc;
    const json_t *sc, *os;
    enum pss_tri t;

    memset(pod, 0, sizeof(*pod));
    if (!json_is_object(spec))
        return type_error(err, "spec", NULL, "an object");
    if ((rc = decode_meta(pod, meta, err)) != SL_OK)
        return rc;

    if ((rc = get_tri(spec, "hostNetwork", "spec", &t, err)) != SL_OK)
        return rc;
    pod->host_network = t == PSS_TRUE;
    if ((rc = get_tri(spec, "hostPID", "spec", &t, err)) != SL_OK)
        return rc;
    pod->host_pid = t == PSS_TRUE;
    if ((rc = get_tri(spec, "hostIPC", "spec", &t, err)) != SL_OK)
        return rc;
    pod->host_ipc = t == PSS_TRUE;
    if ((rc = get_tri(spec, "hostUsers", "spec", &pod->host_users, err)) != SL_OK)
        return rc;

    if ((rc = get_object(spec, "os", "spec", &os, err)) != SL_OK)
        return rc;
    if (os) {
        const char *name;
        if ((rc = get_string(os, "name", "spec.os", &name, err)) != SL_OK)
            return rc;
        pod->windows = strcmp(name, "windows") == 0;
    }

    if ((rc = get_object(spec, "securityContext", "spec", &sc, err)) != SL_OK)
        return rc;
    if ((rc = decode_sc(sc, "spec.securityContext", &pod->sc, err)) != SL_OK)
        return rc;
    if (sc && (rc = decode_sysctls(pod, sc, err)) != SL_OK)
        return rc;
    if ((rc = decode_volumes(pod, spec, err)) != SL_OK)
        return rc;
    return decode_containers(pod, spec, err);
}

void pss_pod_cleanup(struct pss_pod *pod)
{
    if (!pod)
        return;
    free(pod->containers);
    free(pod->volumes);
    pod->containers = NULL;
    pod->volumes = NULL;
}
