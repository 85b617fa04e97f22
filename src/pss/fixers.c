/* fixers: what the mutating webhook (and `socklock fix`) changes so that a pod passes a
 * check. Each fixer reads the decoded, unchanged pod and writes into a copy of the pod spec
 * (fx->spec), locating containers there by list and index; the caller turns the difference
 * into a JSON patch. The rules every fixer keeps:
 *
 * - Fill in what is unset; replace an explicit value (runAsNonRoot: false, Unconfined,
 *   allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, an added capability
 *   outside the allowed set) only when the profile lets this check override. Silently
 *   reversing what a manifest states turns a clear denial into a pod that crash-loops.
 * - Never write a field the API server would then refuse: Windows pods take none of the
 *   Linux-only fields (allowPrivilegeEscalation, capabilities, seccompProfile,
 *   readOnlyRootFilesystem, runAsUser; runAsNonRoot is allowed there), and
 *   allowPrivilegeEscalation=false is invalid beside privileged: true or an added
 *   CAP_SYS_ADMIN (core validation's ValidateSecurityContext).
 * - Be idempotent: a pod a fixer already fixed is left as it is, so a second pass of the
 *   mutating webhook (reinvocationPolicy: IfNeeded) patches nothing.
 * - On the pods/ephemeralcontainers subresource only the containers being added change;
 *   pod-level fields, the volumes and the other containers are immutable there. */
#include "pss_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/json.h"

/* The name of the emptyDir volume mounted at /tmp in containers made read-only. */
#define TMP_VOLUME "socklock-tmp"

/* ---- finding and making the places to write ---- */

static bool pod_level(const struct pss_fix *fx)
{
    return fx->opts->only_ephemeral == NULL;
}

static bool may_change(const struct pss_fix *fx, const struct pss_container *c)
{
    if (pod_level(fx))
        return true;
    return c->list == PSS_EPHEMERAL_CONTAINERS && sl_strlist_has(fx->opts->only_ephemeral, c->name);
}

/* The member `key` of obj as an object, made (or a null replaced) when absent. */
static json_t *object_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, key, v);
    }
    return v;
}

/* The copy of container c. */
static json_t *container_copy(const struct pss_fix *fx, const struct pss_container *c)
{
    return json_array_get(json_object_get(fx->spec, pss_list_names[c->list]), c->index);
}

/* The securityContext of the copy of container c, made when absent. */
static json_t *container_sc(const struct pss_fix *fx, const struct pss_container *c)
{
    return object_at(container_copy(fx, c), "securityContext");
}

static json_t *pod_sc(const struct pss_fix *fx)
{
    return object_at(fx->spec, "securityContext");
}

static bool has_string(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *x = json_string_value(v);
        if (x != NULL && strcmp(x, s) == 0)
            return true;
    }
    return false;
}

/* ---- allowPrivilegeEscalation ---- */

/* Sets allowPrivilegeEscalation in the copy's securityContext sc where a fixer running in
 * table order would have put it: after the keys the container wrote, before those the other
 * fixers added (it runs after them only to see their capabilities), so that the patch and
 * `fix`'s text edits keep one order. */
static void put_allow_priv_esc(json_t *sc, const json_t *orig)
{
    if (json_object_get(sc, "allowPrivilegeEscalation") != NULL) {
        json_object_set_new(sc, "allowPrivilegeEscalation", json_false()); /* keeps its place */
        return;
    }
    json_t *added = json_object();
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(sc, tmp, key, v)
    {
        if (json_object_get(orig, key) == NULL) {
            json_object_set(added, key, v);
            json_object_del(sc, key);
        }
    }
    json_object_set_new(sc, "allowPrivilegeEscalation", json_false());
    json_object_update(sc, added);
    json_decref(added);
}

void pss_fix_allow_priv_esc(const struct pss_fix *fx, const char *const *allowed)
{
    SL_UNUSED(allowed);
    if (fx->pod->windows)
        return;
    for (size_t i = 0; i < fx->pod->ncontainers; i++) {
        const struct pss_container *c = &fx->pod->containers[i];
        if (!may_change(fx, c) || c->privileged == PSS_TRUE)
            continue;
        /* The capabilities as the capabilities fixers left them (they run first). */
        json_t *sc = container_sc(fx, c);
        const json_t *add = json_object_get(json_object_get(sc, "capabilities"), "add");
        if (has_string(add, "CAP_SYS_ADMIN"))
            continue;
        if (c->allow_priv_esc == PSS_UNSET || (c->allow_priv_esc == PSS_TRUE && fx->override))
            put_allow_priv_esc(sc, json_object_get(c->json, "securityContext"));
    }
}

/* ---- capabilities ---- */

/* The drop list with every spelling of ALL ("all", "All", "CAP_ALL") written as one "ALL",
 * and "ALL" added when `require` and it was missing. New reference. */
static json_t *fixed_drop(const json_t *drop, bool require)
{
    json_t *out = json_array();
    bool all = false;
    size_t i;
    const json_t *v;
    json_array_foreach(drop, i, v)
    {
        char *canon = pss_canonical_cap(json_string_value(v));
        if (strcmp(canon, "ALL") != 0) {
            json_array_append(out, sl_json_mut(v));
        } else if (!all) {
            json_array_append_new(out, json_string("ALL"));
            all = true;
        }
        free(canon);
    }
    if (require && !all)
        json_array_append_new(out, json_string("ALL"));
    return out;
}

/* The add list with allowed capabilities in their canonical spelling (without repeats), and
 * the others kept, or dropped when `drop_others` (but never those a policy exception lets
 * the container add: `waived`, may be NULL). New reference. */
static json_t *fixed_add(const json_t *add, const char *const *allowed, bool drop_others,
                         const struct sl_strlist *waived)
{
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(add, i, v)
    {
        char *canon = pss_canonical_cap(json_string_value(v));
        if (pss_in_set(allowed, canon)) {
            if (!has_string(out, canon))
                json_array_append_new(out, json_string(canon));
        } else if (!drop_others || (waived != NULL && sl_strlist_has(waived, canon))) {
            json_array_append(out, sl_json_mut(v));
        }
        free(canon);
    }
    return out;
}

/* Writes list `key` of the container's capabilities when it differs from `orig`; an empty
 * add list that was not there stays absent. Steals fixed. */
static void put_caps(const struct pss_fix *fx, const struct pss_container *c, const char *key,
                     const json_t *orig, json_t *fixed)
{
    bool same = orig != NULL ? json_equal(orig, fixed) : json_array_size(fixed) == 0;
    if (!same)
        json_object_set_new(object_at(container_sc(fx, c), "capabilities"), key, fixed);
    else
        json_decref(fixed);
}

static void fix_caps(const struct pss_fix *fx, const char *const *allowed, bool require_drop_all)
{
    if (fx->pod->windows)
        return;
    for (size_t i = 0; i < fx->pod->ncontainers; i++) {
        const struct pss_container *c = &fx->pod->containers[i];
        if (!may_change(fx, c))
            continue;
        put_caps(fx, c, "drop", c->cap_drop, fixed_drop(c->cap_drop, require_drop_all));
        put_caps(fx, c, "add", c->cap_add,
                 fixed_add(c->cap_add, allowed, fx->override, c->waived_caps));
    }
}

void pss_fix_caps_baseline(const struct pss_fix *fx, const char *const *allowed)
{
    fix_caps(fx, allowed, false);
}

void pss_fix_caps_restricted(const struct pss_fix *fx, const char *const *allowed)
{
    fix_caps(fx, allowed, true);
}

/* ---- runAsNonRoot and runAsUser ---- */

void pss_fix_run_as_non_root(const struct pss_fix *fx, const char *const *allowed)
{
    const struct pss_pod *pod = fx->pod;
    SL_UNUSED(allowed);
    bool pod_true = pod->sc.run_as_non_root == PSS_TRUE;
    if (pod_level(fx)) {
        bool undecided = false;
        for (size_t i = 0; i < pod->ncontainers; i++)
            undecided = undecided || pod->containers[i].sc.run_as_non_root == PSS_UNSET;
        /* One field at pod level covers every container that does not decide for itself. */
        if ((pod->sc.run_as_non_root == PSS_UNSET && undecided) ||
            (pod->sc.run_as_non_root == PSS_FALSE && fx->override)) {
            json_object_set_new(pod_sc(fx), "runAsNonRoot", json_true());
            pod_true = true;
        }
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (!may_change(fx, c))
            continue;
        if ((c->sc.run_as_non_root == PSS_FALSE && fx->override) ||
            (c->sc.run_as_non_root == PSS_UNSET && !pod_true))
            json_object_set_new(container_sc(fx, c), "runAsNonRoot", json_true());
    }
}

void pss_fix_run_as_user(const struct pss_fix *fx, const char *const *allowed)
{
    const struct pss_pod *pod = fx->pod;
    long long uid = fx->opts->run_as_user;
    SL_UNUSED(allowed);
    /* Without a uid to set, there is nothing to write, not even over runAsUser: 0. */
    if (uid <= 0 || pod->windows)
        return;
    bool pod_set = pod->sc.run_as_user_set;
    if (pod_level(fx) && (!pod_set || (pod->sc.run_as_user == 0 && fx->override))) {
        json_object_set_new(pod_sc(fx), "runAsUser", json_integer(uid));
        pod_set = true;
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (!may_change(fx, c))
            continue;
        if ((c->sc.run_as_user_set && c->sc.run_as_user == 0 && fx->override) ||
            (!c->sc.run_as_user_set && !pod_set))
            json_object_set_new(container_sc(fx, c), "runAsUser", json_integer(uid));
    }
}

/* ---- seccompProfile ---- */

static bool seccomp_ok(const struct pss_profile *p)
{
    return p->set && (strcmp(p->type, "RuntimeDefault") == 0 || strcmp(p->type, "Localhost") == 0);
}

static json_t *runtime_default(void)
{
    return json_pack("{s:s}", "type", "RuntimeDefault");
}

/* With `require` (restricted), every container must end up with a valid profile, its own
 * or the pod's; without, only explicit bad values are replaced (and only with override). */
static void fix_seccomp(const struct pss_fix *fx, bool require)
{
    const struct pss_pod *pod = fx->pod;
    if (pod->windows)
        return;
    bool pod_ok = seccomp_ok(&pod->sc.seccomp);
    if (pod_level(fx)) {
        bool uncovered = false;
        for (size_t i = 0; i < pod->ncontainers; i++)
            uncovered = uncovered || !pod->containers[i].sc.seccomp.set;
        if ((pod->sc.seccomp.set && !pod_ok && fx->override) ||
            (!pod->sc.seccomp.set && require && uncovered)) {
            json_object_set_new(pod_sc(fx), "seccompProfile", runtime_default());
            pod_ok = true;
        }
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (!may_change(fx, c))
            continue;
        bool bad = c->sc.seccomp.set && !seccomp_ok(&c->sc.seccomp);
        /* A container the pod's profile does not cover: only where the pod level may not
         * change (an ephemeral container being added). */
        bool uncovered = require && !c->sc.seccomp.set && !pod_ok && !pod->sc.seccomp.set;
        if ((bad && fx->override) || uncovered)
            json_object_set_new(container_sc(fx, c), "seccompProfile", runtime_default());
    }
}

void pss_fix_seccomp_fields(const struct pss_fix *fx, const char *const *allowed)
{
    SL_UNUSED(allowed);
    fix_seccomp(fx, false);
}

void pss_fix_seccomp_required(const struct pss_fix *fx, const char *const *allowed)
{
    SL_UNUSED(allowed);
    fix_seccomp(fx, true);
}

/* ---- readOnlyRootFilesystem, and /tmp ---- */

/* True when the container mounts something at /tmp; also when its volumeMounts cannot be
 * read, so nothing is added to them. */
static bool mounts_tmp(const json_t *ctr)
{
    const json_t *mounts = json_object_get(ctr, "volumeMounts");
    if (mounts == NULL || json_is_null(mounts))
        return false;
    if (!json_is_array(mounts))
        return true;
    size_t i;
    const json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *path = json_string_value(json_object_get(m, "mountPath"));
        if (path != NULL && (strcmp(path, "/tmp") == 0 || strcmp(path, "/tmp/") == 0))
            return true;
    }
    return false;
}

/* The state of the /tmp volume in the pod: absent, an emptyDir of that name, or a volume of
 * that name that is something else (then /tmp is left alone). */
enum tmp_volume { TMP_ABSENT, TMP_EMPTYDIR, TMP_OTHER };

static enum tmp_volume find_tmp_volume(const json_t *volumes)
{
    size_t i;
    const json_t *v;
    json_array_foreach(volumes, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (name != NULL && strcmp(name, TMP_VOLUME) == 0)
            return json_is_object(json_object_get(v, "emptyDir")) ? TMP_EMPTYDIR : TMP_OTHER;
    }
    return TMP_ABSENT;
}

static void add_tmp_volume(const struct pss_fix *fx)
{
    json_t *volumes = json_object_get(fx->spec, "volumes");
    if (!json_is_array(volumes)) {
        volumes = json_array();
        json_object_set_new(fx->spec, "volumes", volumes);
    }
    json_t *empty = json_object();
    if (fx->opts->tmp_size_limit != NULL)
        json_object_set_new(empty, "sizeLimit", json_string(fx->opts->tmp_size_limit));
    json_array_append_new(volumes, json_pack("{s:s, s:o}", "name", TMP_VOLUME, "emptyDir", empty));
}

static void mount_tmp(const struct pss_fix *fx, const struct pss_container *c)
{
    json_t *ctr = container_copy(fx, c);
    json_t *mounts = json_object_get(ctr, "volumeMounts");
    if (!json_is_array(mounts)) {
        mounts = json_array();
        json_object_set_new(ctr, "volumeMounts", mounts);
    }
    json_array_append_new(mounts, json_pack("{s:s, s:s}", "name", TMP_VOLUME, "mountPath", "/tmp"));
}

void pss_fix_ro_rootfs(const struct pss_fix *fx, const char *const *allowed)
{
    const struct pss_pod *pod = fx->pod;
    SL_UNUSED(allowed);
    if (pod->windows)
        return;
    enum tmp_volume vol = find_tmp_volume(pod->volumes_json);
    /* Where the volume may not be added (ephemeral containers), only an existing one is
     * mounted. */
    bool tmp = fx->opts->tmp_dir && (vol == TMP_EMPTYDIR || (vol == TMP_ABSENT && pod_level(fx)));
    bool need_volume = false;
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (!may_change(fx, c))
            continue;
        if (c->ro_rootfs == PSS_UNSET || (c->ro_rootfs == PSS_FALSE && fx->override)) {
            json_object_set_new(container_sc(fx, c), "readOnlyRootFilesystem", json_true());
            /* A root filesystem made read-only here gets a writable /tmp, as most
             * programs expect one; one the manifest made read-only was its author's call. */
            if (tmp && !mounts_tmp(c->json)) {
                mount_tmp(fx, c);
                need_volume = true;
            }
        }
    }
    if (need_volume && vol == TMP_ABSENT)
        add_tmp_volume(fx);
}
