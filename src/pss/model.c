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

#include <stdarg.h>
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

/* Where a value sits, for error messages only: a chain built on the stack as the decoder
 * descends ("spec", "containers", 1, "securityContext"), turned into text only when an error
 * names it. Formatting every path eagerly cost a third of a review. */
struct mpath {
    const struct mpath *up;
    const char *key; /* a member, or NULL for an array index */
    size_t index;
};

/* NOLINTNEXTLINE(misc-no-recursion): one frame per level of the path, a handful */
static void path_put(struct sl_buf *b, const struct mpath *p)
{
    if (p == NULL)
        return;
    path_put(b, p->up);
    if (p->key == NULL)
        (void)sl_buf_printf(b, "[%zu]", p->index);
    else
        (void)sl_buf_printf(b, "%s%s", p->up != NULL ? "." : "", p->key);
}

/* Sets err to "PATH[.KEY] " followed by the formatted rest. */
static enum sl_status path_error(struct sl_error *err, const struct mpath *path, const char *key,
                                 const char *fmt, ...) SL_PRINTF(4, 5);

static enum sl_status path_error(struct sl_error *err, const struct mpath *path, const char *key,
                                 const char *fmt, ...)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    struct mpath last = {path, key, 0};
    path_put(&b, key != NULL ? &last : path);
    char rest[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    sl_error_set(err, "%s %s", b.data, rest);
    sl_buf_cleanup(&b);
    return SL_E_INVALID;
}

static enum sl_status type_error(struct sl_error *err, const struct mpath *path, const char *key,
                                 const char *what)
{
    return path_error(err, path, key, "is not %s", what);
}

static enum sl_status get_object(const json_t *obj, const char *key, const struct mpath *path,
                                 const json_t **out, struct sl_error *err)
{
    *out = member(obj, key);
    if (*out && !json_is_object(*out))
        return type_error(err, path, key, "an object");
    return SL_OK;
}

static enum sl_status get_array(const json_t *obj, const char *key, const struct mpath *path,
                                const json_t **out, struct sl_error *err)
{
    *out = member(obj, key);
    if (*out && !json_is_array(*out))
        return type_error(err, path, key, "an array");
    return SL_OK;
}

/* A string field; "" when absent (Go's zero value). */
static enum sl_status get_string(const json_t *obj, const char *key, const struct mpath *path,
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

static enum sl_status get_tri(const json_t *obj, const char *key, const struct mpath *path,
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
static enum sl_status get_int(const json_t *obj, const char *key, const struct mpath *path,
                              long long min, long long max, bool *set, long long *out,
                              struct sl_error *err)
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
        return path_error(err, path, key, "is out of range (%lld..%lld)", min, max);
    }
    *set = true;
    *out = n;
    return SL_OK;
}

/* An array of strings, such as capabilities.add; NULL when absent. */
static enum sl_status get_string_array(const json_t *obj, const char *key, const struct mpath *path,
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
            struct mpath list = {path, key, 0}, item = {&list, NULL, i};
            return type_error(err, &item, NULL, "a string");
        }
    }
    return SL_OK;
}

/* Decodes a profile object (seccompProfile, appArmorProfile) member of sc. */
static enum sl_status get_profile(const json_t *sc, const char *key, const struct mpath *path,
                                  struct pss_profile *out, struct sl_error *err)
{
    const json_t *p;
    enum sl_status rc = get_object(sc, key, path, &p, err);
    out->set = p != NULL;
    out->type = "";
    if (rc != SL_OK || !p)
        return rc;
    struct mpath sub = {path, key, 0};
    return get_string(p, "type", &sub, &out->type, err);
}

/* Decodes the fields pod and container securityContexts share. `path` names sc. */
static enum sl_status decode_sc(const json_t *sc, const struct mpath *path, struct pss_sc *out,
                                struct sl_error *err)
{
    enum sl_status rc;
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
        struct mpath sub = {path, "seLinuxOptions", 0};
        out->selinux.set = true;
        if ((rc = get_string(o, "type", &sub, &out->selinux.type, err)) != SL_OK ||
            (rc = get_string(o, "user", &sub, &out->selinux.user, err)) != SL_OK ||
            (rc = get_string(o, "role", &sub, &out->selinux.role, err)) != SL_OK)
            return rc;
    }

    if ((rc = get_object(sc, "windowsOptions", path, &o, err)) != SL_OK)
        return rc;
    if (o) {
        struct mpath sub = {path, "windowsOptions", 0};
        if ((rc = get_tri(o, "hostProcess", &sub, &out->host_process, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Records the host of an httpGet or tcpSocket action inside `handler` (a probe or a
 * lifecycle handler object, already checked). */
static enum sl_status decode_handler_hosts(const json_t *handler, const struct mpath *path,
                                           struct pss_container *c, struct sl_error *err)
{
    static const char *const actions[] = {"httpGet", "tcpSocket"};
    for (size_t i = 0; i < SL_ARRAY_LEN(actions); i++) {
        const json_t *a;
        const char *host;
        enum sl_status rc = get_object(handler, actions[i], path, &a, err);
        if (rc != SL_OK)
            return rc;
        if (!a)
            continue;
        struct mpath sub = {path, actions[i], 0};
        if ((rc = get_string(a, "host", &sub, &host, err)) != SL_OK)
            return rc;
        if (*host && c->nhosts < PSS_MAX_HOSTS)
            c->hosts[c->nhosts++] = host;
    }
    return SL_OK;
}

static enum sl_status decode_hosts(const json_t *ctr, const struct mpath *path,
                                   struct pss_container *c, struct sl_error *err)
{
    static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
    static const char *const hooks[] = {"postStart", "preStop"};
    const json_t *o, *lc;
    enum sl_status rc;

    for (size_t i = 0; i < SL_ARRAY_LEN(probes); i++) {
        if ((rc = get_object(ctr, probes[i], path, &o, err)) != SL_OK)
            return rc;
        if (!o)
            continue;
        struct mpath sub = {path, probes[i], 0};
        if ((rc = decode_handler_hosts(o, &sub, c, err)) != SL_OK)
            return rc;
    }
    if ((rc = get_object(ctr, "lifecycle", path, &lc, err)) != SL_OK || !lc)
        return rc;
    struct mpath lsub = {path, "lifecycle", 0};
    for (size_t i = 0; i < SL_ARRAY_LEN(hooks); i++) {
        if ((rc = get_object(lc, hooks[i], &lsub, &o, err)) != SL_OK)
            return rc;
        if (!o)
            continue;
        struct mpath sub = {&lsub, hooks[i], 0};
        if ((rc = decode_handler_hosts(o, &sub, c, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status decode_ports(const json_t *ctr, const struct mpath *path,
                                   struct pss_container *c, struct sl_error *err)
{
    enum sl_status rc = get_array(ctr, "ports", path, &c->ports, err);
    if (rc != SL_OK || !c->ports)
        return rc;
    size_t i;
    const json_t *p;
    struct mpath ports = {path, "ports", 0};
    json_array_foreach(c->ports, i, p)
    {
        struct mpath sub = {&ports, NULL, i};
        if (!json_is_object(p))
            return type_error(err, &sub, NULL, "an object");
        bool set;
        long long port;
        if ((rc = get_int(p, "hostPort", &sub, 0, 65535, &set, &port, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status decode_container(const json_t *ctr, const struct mpath *path,
                                       struct pss_container *c, struct sl_error *err)
{
    enum sl_status rc;
    const json_t *sc, *caps;
    struct mpath sub = {path, "securityContext", 0};

    memset(c, 0, sizeof(*c));
    if (!json_is_object(ctr))
        return type_error(err, path, NULL, "an object");
    if ((rc = get_string(ctr, "name", path, &c->name, err)) != SL_OK)
        return rc;
    if ((rc = get_object(ctr, "securityContext", path, &sc, err)) != SL_OK)
        return rc;
    if ((rc = decode_sc(sc, &sub, &c->sc, err)) != SL_OK)
        return rc;
    if (sc) {
        if ((rc = get_tri(sc, "privileged", &sub, &c->privileged, err)) != SL_OK ||
            (rc = get_tri(sc, "allowPrivilegeEscalation", &sub, &c->allow_priv_esc, err)) !=
                SL_OK ||
            (rc = get_tri(sc, "readOnlyRootFilesystem", &sub, &c->ro_rootfs, err)) != SL_OK)
            return rc;
        const char *pm;
        if ((rc = get_string(sc, "procMount", &sub, &pm, err)) != SL_OK)
            return rc;
        c->proc_mount = member(sc, "procMount") ? pm : NULL;
        if ((rc = get_object(sc, "capabilities", &sub, &caps, err)) != SL_OK)
            return rc;
        if (caps) {
            struct mpath csub = {&sub, "capabilities", 0};
            c->caps_set = true;
            if ((rc = get_string_array(caps, "add", &csub, &c->cap_add, err)) != SL_OK ||
                (rc = get_string_array(caps, "drop", &csub, &c->cap_drop, err)) != SL_OK)
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
    static const struct mpath spec_path = {NULL, "spec", 0};
    const json_t *arr[3];
    size_t total = 0;
    enum sl_status rc;

    for (size_t l = 0; l < 3; l++) {
        if ((rc = get_array(spec, lists[l], &spec_path, &arr[l], err)) != SL_OK)
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
        struct mpath list = {&spec_path, lists[l], 0};
        json_array_foreach(arr[l], i, ctr)
        {
            struct mpath path = {&list, NULL, i};
            struct pss_container *c = &pod->containers[pod->ncontainers];
            rc = decode_container(ctr, &path, c, err);
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

static enum sl_status decode_volume(const json_t *v, const struct mpath *path,
                                    struct pss_volume *out, struct sl_error *err)
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
    static const struct mpath spec_path = {NULL, "spec", 0};
    static const struct mpath vols_path = {&spec_path, "volumes", 0};
    const json_t *vols;
    enum sl_status rc = get_array(spec, "volumes", &spec_path, &vols, err);
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
        struct mpath path = {&vols_path, NULL, i};
        if ((rc = decode_volume(v, &path, &pod->volumes[i], err)) != SL_OK)
            return rc;
        pod->nvolumes++;
    }
    return SL_OK;
}

static enum sl_status decode_sysctls(struct pss_pod *pod, const json_t *sc, struct sl_error *err)
{
    static const struct mpath spec_path = {NULL, "spec", 0};
    static const struct mpath sc_path = {&spec_path, "securityContext", 0};
    static const struct mpath sysctls_path = {&sc_path, "sysctls", 0};
    enum sl_status rc = get_array(sc, "sysctls", &sc_path, &pod->sysctls, err);
    if (rc != SL_OK || !pod->sysctls)
        return rc;
    size_t i;
    const json_t *s;
    json_array_foreach(pod->sysctls, i, s)
    {
        const char *name;
        struct mpath path = {&sysctls_path, NULL, i};
        if (!json_is_object(s))
            return type_error(err, &path, NULL, "an object");
        if ((rc = get_string(s, "name", &path, &name, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status decode_meta(struct pss_pod *pod, const json_t *meta, struct sl_error *err)
{
    if (!meta || json_is_null(meta))
        return SL_OK;
    static const struct mpath meta_path = {NULL, "metadata", 0};
    if (!json_is_object(meta))
        return type_error(err, &meta_path, NULL, "an object");
    enum sl_status rc = get_object(meta, "annotations", &meta_path, &pod->annotations, err);
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

    static const struct mpath sp = {NULL, "spec", 0};
    static const struct mpath os_path = {&sp, "os", 0};
    static const struct mpath sc_path = {&sp, "securityContext", 0};

    memset(pod, 0, sizeof(*pod));
    if (!json_is_object(spec))
        return type_error(err, &sp, NULL, "an object");
    if ((rc = decode_meta(pod, meta, err)) != SL_OK)
        return rc;

    if ((rc = get_tri(spec, "hostNetwork", &sp, &t, err)) != SL_OK)
        return rc;
    pod->host_network = t == PSS_TRUE;
    if ((rc = get_tri(spec, "hostPID", &sp, &t, err)) != SL_OK)
        return rc;
    pod->host_pid = t == PSS_TRUE;
    if ((rc = get_tri(spec, "hostIPC", &sp, &t, err)) != SL_OK)
        return rc;
    pod->host_ipc = t == PSS_TRUE;
    if ((rc = get_tri(spec, "hostUsers", &sp, &pod->host_users, err)) != SL_OK)
        return rc;

    if ((rc = get_object(spec, "os", &sp, &os, err)) != SL_OK)
        return rc;
    if (os) {
        const char *name;
        if ((rc = get_string(os, "name", &os_path, &name, err)) != SL_OK)
            return rc;
        pod->windows = strcmp(name, "windows") == 0;
    }

    if ((rc = get_object(spec, "securityContext", &sp, &sc, err)) != SL_OK)
        return rc;
    if ((rc = decode_sc(sc, &sc_path, &pod->sc, err)) != SL_OK)
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
